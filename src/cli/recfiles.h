/*
 * recfiles: the files `sysrec record` writes, on its writing thread.
 *
 * Each file starts with the host as it is at that moment: machine, interfaces,
 * users, every thread with its fds, and the containers seen so far. The first
 * file takes the threads from /proc; a rotated one (-C, -G, -e) takes them
 * from the state the event stream has kept current since (src/state), so a
 * reader of any one file knows every process and fd its events name.
 *
 * With a filter, that state also feeds the filter: an event it rejects is
 * dropped, or with fatfile kept hidden when it changes the state, and an
 * internal one is kept (event_rejected_flags(), as sysdig -w does).
 */
#ifndef SYSREC_RECFILES_H
#define SYSREC_RECFILES_H

#include "../common/common.h"
#include "../engine/engine.h"
#include "../runtime/runtime.h"

struct recfiles_opts {
	const char *path;     /* -w: the file, or the base of rotated names */
	bool gzip;            /* -z */
	uint64_t rotate_mb;   /* -C: a new file past this many 10^6 bytes (0: never) */
	uint64_t rotate_secs; /* -G: a new file every this many seconds; strftime in path */
	uint64_t max_files;   /* -W: keep a ring of this many files (0: no limit) */
	uint64_t file_events; /* -e: a new file every this many events */
	const char *filter;   /* the events to keep (Falco condition); NULL: all */
	bool fatfile;         /* -F: keep the state-changing events the filter rejects, hidden */
	uint64_t max_shown;   /* with a filter: stop after this many matching events (0: no limit) */
	/*
	 * the runtimes, asked about each container seen (NULL: containers known by
	 * their ids only): its event is written again, whole, once they answer
	 */
	struct rt_watch *rt;
};

/* Events lost in a row on one CPU (or on an unknown one), told in the file where they were lost. */
struct recfiles;

/* Open the first file and write the host's state from /proc into it; NULL with e set. */
struct recfiles *recfiles_open(const struct recfiles_opts *o, struct err *e);
/*
 * Write a run of events framed by scap_frame_event(), rotating where due;
 * 0 or -errno (recfiles_error() tells; the first error stays).
 */
int recfiles_blocks(struct recfiles *f, const uint8_t *blocks, size_t len);
/* Write the marks of a run of lost events: drop begin, a notification naming the counts, drop end. */
int recfiles_lost(struct recfiles *f, uint16_t cpu, const struct event_loss *l);
/* The first error, if any. */
const char *recfiles_error(const struct recfiles *f);
/* Files opened so far. */
uint64_t recfiles_count(const struct recfiles *f);
/* The names of the files opened, in order, each once (-W's ring reuses names); valid until close. */
char *const *recfiles_names(const struct recfiles *f, size_t *n);
/* With a filter: events it matched, and rejected ones kept hidden (-F). */
void recfiles_filtered(const struct recfiles *f, uint64_t *matched, uint64_t *hidden);
/* With a filter and max_shown: that many events matched; later ones are not written. Any thread. */
bool recfiles_full(const struct recfiles *f);
/* Finish the last file; 0 or the first error (in e). Frees f. */
int recfiles_close(struct recfiles *f, struct err *e);
/* Drop the file being written (the ones already finished stay). Frees f. */
void recfiles_abort(struct recfiles *f);

#endif
