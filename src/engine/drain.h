/*
 * drain: the live engine's ring into one consumer thread, every loss
 * accounted. `record` (into files) and the agent (into its flight recorder)
 * both take events through it.
 *
 * The draining thread (the caller of drain_poll()) frames each event as an
 * EV_V2 block and queues it; it never waits for the consumer: an event that
 * finds the queue full is counted lost ("behind"). Losses are gathered per
 * CPU (and one slot for losses with no CPU: the kernel's tracepoint-busy
 * skips) and told in the stream, before that CPU's next event or at the end
 * of the drain that found them, so that the consumer sees each run of lost
 * events where it happened. A loss that finds the queue full stays gathered
 * until there is room: none is ever dropped.
 *
 * The consumer's callbacks run on the queue's thread, one at a time, in
 * stream order; after drain_finish() has stopped that thread, the last
 * losses are told on the caller's.
 */
#ifndef SYSREC_DRAIN_H
#define SYSREC_DRAIN_H

#include "engine.h"

struct drain_consumer {
	/*
	 * A run of events, each framed by scap_frame_event(); the bytes are the
	 * queue's, valid during the call. A negative return (-errno) stops the
	 * drain: drain_poll() returns it from then on.
	 */
	int (*blocks)(void *ctx, const uint8_t *p, size_t n);
	/*
	 * A run of events lost (l, its cpu EVENT_ANY_CPU when not known), told
	 * in the stream of CPU `cpu`. final: false when it is a look at what the
	 * kernel has gathered on a CPU idle since (drain_opts.look_pending), which
	 * the kernel tells again, counts included, with the same cpu and first_ts
	 * once that CPU writes again. Each run holds either the kernel's drops
	 * (ring, big) or the others (behind, busy), never both. A negative return
	 * stops the drain as for blocks.
	 */
	int (*loss)(void *ctx, uint16_t cpu, const struct event_loss *l, bool final);
	/*
	 * Every event stamped before ts (epoch ns) has been given to blocks() or
	 * told lost (NULL: no marks).
	 */
	void (*complete)(void *ctx, uint64_t ts);
	void *ctx;
};

struct drain_opts {
	uint64_t max_events; /* take no events after this many (0: no limit) */
	/*
	 * Look at the kernel's gathered, untold drops of idle CPUs as often as its
	 * counters are read (told with final false): a consumer that keeps a loss
	 * log merges them; one that writes them at once (a file) must not ask.
	 */
	bool look_pending;
};

/* What the drain has done so far. */
struct drain_stats {
	uint64_t events;                   /* queued for the consumer */
	uint64_t lost[EVENT_LOST_NCAUSES]; /* by cause (the kernel's told and untold, and behind) */
	uint64_t bad_params;               /* events a filler wrote with a wrong parameter count (a bug) */
	uint32_t ncpus;
	const uint64_t *cpu_lost; /* per CPU, ring + big + behind (ncpus entries, owned by the drain) */
};

struct drain;

/*
 * A drain of en (opened, not yet polled) into c, with its consumer thread
 * started. The drain does not own en: drain_free() before engine_close().
 */
struct drain *drain_new(struct engine *en, const struct drain_opts *o, const struct drain_consumer *c);
/*
 * Take what the ring holds (waiting up to timeout_ms for the first event) into
 * the queue, tell the losses found, hand the batch to the consumer, and now
 * and then read the kernel's counters (tracepoint-busy skips, untold drops)
 * and queue a completeness mark. Events taken (>= 0), the consumer's first
 * negative return, or -errno from the ring.
 */
int drain_poll(struct drain *d, int timeout_ms);
/* max_events have been taken. */
bool drain_full(const struct drain *d);
/*
 * Detach the engine, take what is left in the ring (up to max_events, or
 * until stop() says so; stop may be NULL), wait for the consumer to finish,
 * then tell it every loss not yet told (final) on this thread. 0 or the
 * consumer's first negative return.
 */
int drain_finish(struct drain *d, bool (*stop)(void *ctx), void *ctx);
void drain_stats(const struct drain *d, struct drain_stats *out);
void drain_free(struct drain *d);

#endif
