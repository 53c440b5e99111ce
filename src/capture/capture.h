/*
 * capture: a window of the flight recorder written as a .scap file into the
 * store.
 *
 * The file holds the events of [trigger - before, trigger + after]. It starts
 * with the host and every process with its fds as they were at the window's
 * start (replayed from the head of the recorder segment holding it), so every
 * name resolves; the filter (unless filter_proclist) and the container never
 * apply to those tables. A
 * notification event marks the trigger instant; another one, at the start,
 * says from when the history is complete when the recorder no longer held the
 * whole `before`.
 *
 * Every loss that touches the window is stated, in the file and in the
 * result: each run of the recorder's loss log (recorder_losses()) that
 * overlaps the span the file covers is written as drop marks (drop begin, a
 * `sysrec-drops` notification naming the counts, drop end), stamped within
 * the window (a run that began before the window is marked at its start);
 * segments the recorder let go before the capture read them are marked the
 * same way (`sysrec-overrun`). The window ends once the recorder is complete
 * (recorder_complete()) past its end; a recorder that never gets there within
 * lag_max ends it short, and says so. A capture that is not whole ends with a
 * `sysrec-incomplete` notification giving the reason.
 */
#ifndef SYSREC_CAPTURE_H
#define SYSREC_CAPTURE_H

#include "../common/common.h"
#include "../recorder/recorder.h"
#include "../store/store.h"

struct capture_request {
	uint64_t trigger_ns; /* epoch ns: the request, or the event that fired a rule */
	uint64_t before_ns, after_ns;
	const char *filter;    /* Falco condition for the events written; NULL: all */
	const char *container; /* 12-hex-digit container id: only its processes' events; NULL: all */
	const char *trigger;   /* "manual" or the rule's name, for the trigger's notification */
	const char *name;      /* the capture's name, for the same */
	/*
	 * Apply the filter to the head's tables too (sysdig's --filter-proclist):
	 * a process stays when the filter matches it with one of its fds (or with
	 * none, when it has none), and only those fds stay.
	 */
	bool filter_proclist;
	/* how long past the window's end to wait for the recorder to be complete (0: CAPTURE_LAG_MAX_NS) */
	uint64_t lag_max_ns;
	/*
	 * When set: the process id of each event written that the filter and the
	 * container passed goes in (value (void *)1): the owners whose packets a
	 * bundle keeps.
	 */
	struct i64map *pids;
};

#define CAPTURE_LAG_MAX_NS (30 * 1000000000ULL)

/* Why events of the window are missing: the recorder's causes, then the capture's own. */
#define CAPTURE_LOST_OVERRUN                                                       \
	EVENT_LOST_NCAUSES /* let go by the recorder before this capture read them \
	                    */
#define CAPTURE_LOST_NCAUSES (EVENT_LOST_NCAUSES + 1)

struct capture_result {
	uint64_t events;       /* events written */
	uint64_t start_ns;     /* the first instant the file covers */
	uint64_t end_ns;       /* the last: the window's end, or where the recorder was complete up to */
	bool history_short;    /* the recorder no longer held the start of the window */
	uint64_t history_from; /* then: the first instant it held */
	bool cut_short;        /* the recorder was not complete up to the window's end within lag_max */
	/*
	 * Events lost in runs touching the covered span (a run crossing its
	 * edge counts whole), by cause, and in all: what the file's drop marks say.
	 */
	uint64_t lost_by[CAPTURE_LOST_NCAUSES];
	uint64_t lost;
	/* Why the file is not the whole window: "" when it is (then it is complete). */
	char incomplete[512];
	char sha256[65];
	uint64_t size;
};

/* Progress a job reports: the window's end has passed and the file is being finished. */
typedef void (*capture_storing_fn)(void *ctx);

/*
 * Write the window of q from r into store s under key, waiting for the
 * window's end as it goes (call it on a thread of its own). *cancel (read
 * now and then) stops it early with -ECANCELED. storing(ctx) is called once
 * the window is over. Returns 0 with out filled, or -errno with e set; the
 * object is then not stored.
 */
int capture_write(struct recorder *r, struct store *s, const char *key, const struct capture_request *q,
                  const bool *cancel, capture_storing_fn storing, void *ctx, struct capture_result *out,
                  struct err *e);

/* Check a filter as capture_write() will compile it: 0, or -EINVAL with the message in e. */
int capture_filter_check(const char *filter, struct err *e);

#endif
