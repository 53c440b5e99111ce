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
 * whole `before`. Drop marks the recorder kept in the window are written too.
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
};

struct capture_result {
	uint64_t events;       /* events written */
	uint64_t start_ns;     /* the first instant the file covers */
	bool history_short;    /* the recorder no longer held the start of the window */
	uint64_t history_from; /* then: the first instant it held */
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
