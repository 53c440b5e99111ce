/*
 * capture_int: what the files of `sysrec capture` and `sysrec token`, the
 * command-line client of the agent's API (docs/api.md), share.
 *
 *   capture.c           cmd_capture(): the subcommand table, options and their
 *                       checks, and the helpers every subcommand prints with
 *   capture_token.c     the API token (--token, $SYSREC_TOKEN, DATA/token); cmd_token()
 *   capture_take.c      take: ask for a capture, wait until it is ok or error
 *   capture_list.c      list, show: the capture table, one member per line, text for a terminal
 *   capture_download.c  download: the file, verified against the catalog's sha256
 *   capture_delete.c    delete, keep, discard
 *
 * A subcommand's run function (capture_run_*) gets a client and options that
 * cmd_capture() has checked (the ids among them: o->args, o->nargs within the
 * subcommand's bounds) and returns the process exit code: 0 ok, 1 failure, 2
 * usage. It prints what came back on stdout and why it failed on stderr.
 */
#ifndef SYSREC_CLI_CAPTURE_INT_H
#define SYSREC_CLI_CAPTURE_INT_H

#include "../common/common.h"
#include "client.h"

#include <jansson.h>

/* The agent's data directory (its token file) when neither --data nor $SYSREC_DATA names one. */
#define DEFAULT_DATA "/var/lib/sysrec"
#define CAPTURE_PATH "/api/captures" /* the API's captures; a capture is CAPTURE_PATH/ID */

/* Every option of every subcommand; each subcommand names those it takes as a mask. */
enum opt {
	O_URL,
	O_TOKEN,
	O_DATA,
	O_CACERT,
	O_INSECURE,
	O_JSON,
	O_NAME,
	O_CONTAINER,
	O_DURATION,
	O_BEFORE,
	O_AFTER,
	O_FILTER,
	O_FILTER_PROCLIST,
	O_STORAGE,
	O_NO_WAIT,
	O_SEARCH,
	O_ERROR,
	O_EXPIRING,
	O_STATUS,
	O_SORT,
	O_ASC,
	O_LIMIT,
	O_OFFSET,
	O_OUTPUT,
	O_PACKETS,
	O_NO_PACKETS,
	O_PART,
	O_ALL,
	O_ARTIFACTS,
	O_NO_ARTIFACTS,
};
#define BIT(o) (1u << (o))

/* The options on the line, checked (strings point into argv). */
struct capture_opts {
	const char *url, *token_arg, *data, *cacert;
	bool insecure, json;
	const char *name, *container, *filter, *storage; /* take */
	double duration, before, after;
	bool filter_proclist, no_wait;
	const char *search, *status, *sort; /* list */
	bool asc;
	long limit, offset;
	const char *output; /* download */
	const char *part;   /* download: scap (default), pcapng or artifacts */
	bool all;           /* download: every part into one tar.gz */
	int packets;        /* take: 1 --packets, 0 --no-packets, -1 neither (the agent's packets.enabled) */
	const char *artifacts; /* take: --artifacts KINDS ("all": those the agent keeps) */
	bool no_artifacts;     /* take: --no-artifacts */
	unsigned given;        /* BIT(O_...) of each option on the line */
	char **args;           /* the words after the subcommand: ids */
	int nargs;
};

/*
 * Shared by every subcommand (capture.c). capture_usage_error() prints
 * "sysrec capture: MESSAGE" and returns 2; capture_fail() prints e's message
 * the same way, after what stdout holds, and returns 1. capture_member_str()
 * is obj's string member key, or "" (never NULL). capture_path() is
 * "/api/captures/ID" and suffix, the id escaped (the caller frees it).
 */
int capture_usage_error(const char *fmt, ...) PRINTF_LIKE(1, 2);
int capture_fail(const struct err *e);
void capture_print_json(const json_t *j);
const char *capture_member_str(const json_t *obj, const char *key);
char *capture_path(struct client *c, const char *id, const char *suffix);

/*
 * capture_list.c. capture_clean_text() is s for a terminal, its control
 * characters as spaces (the caller frees it). capture_print() prints one
 * capture: its JSON, or the table of one row.
 */
char *capture_clean_text(const char *s);
void capture_print(const json_t *cap, bool json);
int capture_run_list(struct client *c, const struct capture_opts *o);
int capture_run_show(struct client *c, const struct capture_opts *o);

/* capture_take.c */
int capture_run_take(struct client *c, const struct capture_opts *o);

/* capture_download.c */
int capture_run_download(struct client *c, const struct capture_opts *o);

/* capture_delete.c */
int capture_run_delete(struct client *c, const struct capture_opts *o);
int capture_run_keep(struct client *c, const struct capture_opts *o);
int capture_run_discard(struct client *c, const struct capture_opts *o);

/*
 * capture_token.c: --token, else $SYSREC_TOKEN, else DATA/token, into *token
 * (the caller wipes and frees it). Returns 0, or the exit code after saying
 * why there is none: 2 for a token given that cannot be one, 1 for a token
 * file that cannot be read.
 */
int capture_resolve_token(const struct capture_opts *o, char **token);

#endif
