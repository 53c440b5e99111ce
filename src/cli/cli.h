/* cli: the sysrec command line; one function per subcommand. */
#ifndef SYSREC_CLI_H
#define SYSREC_CLI_H

#include "../filter/filter.h"
#include "../scap/scap.h"

#define SYSREC_VERSION "0.1.0"

/* Each returns the process exit code: 0 ok, 1 failure, 2 usage. */
int cmd_read(int argc, char **argv);
int cmd_demo(int argc, char **argv);
int cmd_record(int argc, char **argv);
int cmd_agent(int argc, char **argv);      /* agent.c */
int cmd_capture(int argc, char **argv);    /* capture.c: the API client */
int cmd_token(int argc, char **argv);      /* capture_token.c */
int cmd_rules(int argc, char **argv);      /* rules.c: validate, replay */
int cmd_profile(int argc, char **argv);    /* profile.c: profile diff */
int cmd_pcapdump(int argc, char **argv);   /* pcapdump.c: merge; the agent's pcapdump: */
int pcapdump_agent(int argc, char **argv); /* pcapdump_agent.c: settings, status, export */
void pcapdump_agent_usage(FILE *f);

/* Progress of a long read on a terminal (stderr), a few times a second: "WHO: N events, M MiB". */
struct progress {
	bool on; /* set when stderr is a terminal */
	double last;
	const char *who;
};
void progress_tick(struct progress *p, uint64_t events, uint64_t bytes, bool done);

/* The words argv[from..argc) joined by spaces (a filter given unquoted); NULL when there are none. */
char *cli_join_args(int argc, char **argv, int from);

/*
 * The default lines of `sysrec read`, written by a second thread (see
 * output_prepare()). printer_add() queues a shown event right after
 * state_process() and returns false once writing to fd failed (the reader is
 * gone); printer_finish() writes the rest and returns 0 or the first -errno.
 */
struct printer *printer_new(struct output *o, struct state *st, int fd, bool stable_events);
bool printer_add(struct printer *p, const struct evctx *cx);
int printer_finish(struct printer *p);
void printer_free(struct printer *p);

#endif
