/*
 * recorder: the flight recorder, the agent's always-on memory of the last
 * seconds of events.
 *
 * One writer thread appends events, framed as .scap blocks
 * (scap_frame_event()), with recorder_append(). They are kept in a chain of
 * segments, each a whole .scap image in memory: a head (section, machine,
 * interfaces, users, and every process with its fds as the events had left
 * them when the segment began) followed by event blocks. A window cut
 * anywhere is written as a self-contained capture by reading its segment from
 * the head (src/capture), so process and fd names resolve as they do in a
 * continuous recording.
 *
 *   segment 1                      segment 2                  segment 3 (current)
 *   [head | ev ev ev ... ev]  ->  [head | ev ev ... ev]  ->  [head | ev ev ..   ]
 *    oldest: goes first when memory or the history wanted is exceeded
 *
 * The chain is bounded by max_bytes (whole segments go, oldest first) and by
 * the history wanted: a segment whose successor already starts `seconds`
 * before the newest event is let go.
 *
 * Readers on other threads (capture jobs) hold a segment while they read it:
 * recorder_seg_at() / recorder_seg_next() take one, recorder_seg_put() gives
 * it back. A held segment stays allocated after the chain lets it go. Its
 * image only grows (recorder_seg_len()), and never moves.
 */
#ifndef SYSREC_RECORDER_H
#define SYSREC_RECORDER_H

#include "../common/common.h"
#include "../scap/scap.h"

struct recorder_opts {
	uint64_t max_bytes;     /* memory for segments, heads and events */
	uint64_t seconds;       /* history wanted */
	uint64_t segment_bytes; /* event bytes per segment (0: max_bytes / 16, within 1 and 64 MiB) */
};

/* The host as every head describes it, and the processes (with fds) when recording starts. */
struct recorder_host {
	const struct scap_machine *machine;
	const struct scap_iface *ifaces;
	size_t nifaces;
	const struct scap_user *users;
	size_t nusers;
	const struct scap_group *groups;
	size_t ngroups;
	const struct scap_proc *procs;
	struct scap_fd *const *fds; /* fds[i] for procs[i] */
	const size_t *nfds;
	size_t nprocs;
};

struct recorder;

/* A recorder whose first segment starts from h (copied: h may go after the call). */
struct recorder *recorder_new(const struct recorder_opts *o, const struct recorder_host *h);
void recorder_free(struct recorder *r);

/*
 * Append a run of framed event blocks (writer thread only). Each event is
 * applied to the recorder's state, which heads the next segment.
 */
void recorder_append(struct recorder *r, const uint8_t *blocks, size_t len);
/* Append one event given in the v2 layout (drop marks, notifications); writer thread only. */
void recorder_append_event(struct recorder *r, uint16_t cpu, const uint8_t *ev, uint32_t len);

/*
 * Containers. A container the events show for the first time (a process's
 * cgroups name it) is described by its id and runtime at once, with a
 * container event as sysdig's writer does, and kept for
 * recorder_take_containers(), which hands each over once (fn(ctx, id, type):
 * the 12-digit id and sysdig's container type), for its runtime to be asked.
 * recorder_describe_container() appends the runtime's description (the
 * container event's JSON), which readers take over the earlier one. Every
 * segment's head describes every container known, so a window cut anywhere
 * names them. Writer thread only.
 */
void recorder_take_containers(struct recorder *r, void (*fn)(void *ctx, const char *id, int type), void *ctx);
void recorder_describe_container(struct recorder *r, const char *json);

struct evctx;
struct state;

/*
 * A function called for every event the recorder parses, right after the
 * event is applied to the recorder's state, with cx as state_process() left
 * it (the event, its thread and fd). It runs on the writer thread, inside
 * recorder_append(), before the event is visible to readers: everything
 * appended waits while it runs, so it must be quick. cx is valid during the
 * call only. Set it (fn NULL: none) before the writer thread starts appending.
 */
typedef void (*recorder_hook_fn)(const struct evctx *cx, void *ctx);
void recorder_set_hook(struct recorder *r, recorder_hook_fn fn, void *ctx);

/*
 * The recorder's state: processes and fds as the events appended so far
 * leave them. Compile filters and formats that a hook evaluates against it
 * (they read its tables). It belongs to the writer thread: other threads may
 * use it only before the writer starts appending.
 */
struct state *recorder_state(struct recorder *r);

struct recorder_stats {
	uint64_t bytes;     /* held now: heads and events */
	uint64_t max_bytes; /* the bound */
	size_t segments;
	uint64_t oldest_ns, newest_ns; /* first and last event held (0: none) */
	double seconds;                /* newest - oldest */
	uint64_t events;               /* appended in all */
	uint64_t held;                 /* in the segments held now */
	uint64_t let_go;               /* segments let go to stay within max_bytes */
	uint64_t aged;                 /* segments let go as older than the seconds wanted */
};

/* Any thread. */
void recorder_stats(struct recorder *r, struct recorder_stats *out);

struct recorder_seg;

/*
 * The segment holding time ts: the newest whose first event is at or before
 * ts, or the oldest when ts precedes them all. NULL while nothing is held.
 * The caller holds it until recorder_seg_put().
 */
struct recorder_seg *recorder_seg_at(struct recorder *r, uint64_t ts);
/*
 * The segment after s, held; NULL while s is the newest. When the chain has
 * let go of segments after s (a reader too slow for the memory bound), the
 * oldest one held now, with *skipped set to the events those segments held
 * (else 0).
 */
struct recorder_seg *recorder_seg_next(struct recorder *r, const struct recorder_seg *s, uint64_t *skipped);
void recorder_seg_put(struct recorder *r, struct recorder_seg *s);
/* The image: head then whole event blocks, valid while held; its length only grows. */
const uint8_t *recorder_seg_data(const struct recorder_seg *s);
size_t recorder_seg_len(const struct recorder_seg *s);
/* Bytes of the head: events start there. */
size_t recorder_seg_head_len(const struct recorder_seg *s);
/* No event will be appended to it any more (a newer segment has begun). */
bool recorder_seg_sealed(const struct recorder_seg *s);
/* Its first event's time (0 while it has none). */
uint64_t recorder_seg_first_ts(const struct recorder_seg *s);

/*
 * Completeness. The one who feeds the writer thread marks, in order with the
 * events, that every event stamped before ts has been appended or told lost
 * (the agent's drain found the kernel ring empty at ts). Writer thread; ts
 * only moves forward. A reader that loads recorder_complete() and then finds
 * it has read all the newest segment holds every event before that time.
 * 0 until marked.
 */
void recorder_mark_complete(struct recorder *r, uint64_t ts);
uint64_t recorder_complete(struct recorder *r);

/*
 * The loss log: runs of events that never reached the recorder, kept as long
 * as the history they fall in (and at most RECORDER_LOSSES_MAX runs), so that
 * a capture states every loss that touches its window, even one told after
 * the window's events were appended or one that began before the window.
 */
#define RECORDER_LOSSES_MAX 65536

/* A new run of lost events (l->id ignored). Any thread. */
void recorder_note_loss(struct recorder *r, const struct event_loss *l);
/*
 * The kernel's ring and size drops of the run that began on l->cpu at
 * l->first_ts. told: the kernel told these in the ring, they add to the run's
 * counts and replace what a snapshot said; else a snapshot of what it has
 * gathered but not yet told (the CPU has been idle since), standing until the
 * telling. Any thread.
 */
void recorder_note_drops(struct recorder *r, const struct event_loss *l, bool told);
/*
 * The runs touching [from, to] (first_ts <= to and last_ts >= from), in the
 * order they were told: *out a new array (the caller free()s it; NULL when
 * none), their count returned. *version (may be NULL): changes whenever the
 * log does, so a reader can skip asking again.
 */
size_t recorder_losses(struct recorder *r, uint64_t from, uint64_t to, struct event_loss **out,
                       uint64_t *version);
/* The log's version now (see recorder_losses()). */
uint64_t recorder_losses_version(struct recorder *r);

/* Wait until events are appended, or timeout_ms passes. Any thread. */
void recorder_wait(struct recorder *r, int timeout_ms);

#endif
