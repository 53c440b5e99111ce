/*
 * source: the events of a capture, one at a time, each applied to a state as
 * it is read. The pull side of sysrec's engine interface: a capture file
 * (`read`, `rules replay`) or a capture image in memory (the capture walk over
 * the flight recorder's segments); the live side is src/engine (engine.h: the
 * kernel's ring; drain.h: the ring into one consumer thread, losses told).
 *
 * Ownership: the source owns its reader; the state is the caller's and must
 * outlive the source. A record, and everything it points to, is valid until
 * the next source_next() (or, when source_stable(), until source_close()).
 */
#ifndef SYSREC_SOURCE_H
#define SYSREC_SOURCE_H

#include "state.h"

/* How a source applies what it reads to the state. */
enum source_apply {
	SOURCE_STATE,   /* events change the tables (state_process) */
	SOURCE_COUNT,   /* events are only numbered and judged shown (state_count): no tables read */
	SOURCE_NO_HEADS /* as SOURCE_STATE, but head records are not added (a later segment's head) */
};

struct source;

/* A capture file; NULL with e set when it cannot be opened. */
struct source *source_open_file(const char *path, struct state *st, enum source_apply how, struct err *e);
/*
 * A capture image in memory: n bytes at p, not copied (they must outlive the
 * source); source_mem_grow() tells that the image, still at p, now has n bytes.
 */
struct source *source_open_mem(const void *p, size_t n, struct state *st, enum source_apply how);
void source_mem_grow(struct source *s, size_t n);

/*
 * The next record into *rec, applied to the state: SOURCE_EVENT with cx set
 * (rec->ev is the event), SOURCE_HEAD for a head record (the process list, fds,
 * interfaces, users: added unless SOURCE_NO_HEADS; other kinds as read), 0 at
 * a clean end, or the reader's negative errno with e naming the defect and
 * where (-ENODATA: the file ends inside a block).
 */
#define SOURCE_EVENT 1
#define SOURCE_HEAD  2
int source_next(struct source *s, struct scap_record *rec, struct evctx *cx, struct err *e);
/*
 * The same in two steps, for a consumer that acts between reading an event
 * and applying it (a capture writes the state as it stood before its window's
 * first event): source_read() reads (SOURCE_EVENT, SOURCE_HEAD, 0 or -errno,
 * nothing applied), source_take() applies what it read.
 */
int source_read(struct source *s, struct scap_record *rec, struct err *e);
void source_take(struct source *s, const struct scap_record *rec, struct evctx *cx);
/* Uncompressed bytes consumed so far (progress). */
uint64_t source_offset(const struct source *s);
/* True when events read stay in place until source_close(). */
bool source_stable(const struct source *s);
void source_close(struct source *s);

#endif
