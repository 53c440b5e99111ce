/* drain: the live engine's ring into one consumer thread, every loss accounted (drain.h). */
#include "drain.h"

#include <stdlib.h>
#include <string.h>

/* The kernel's counters are read at most this often (a busy drain returns many times a second). */
#define STATS_EVERY_NS 20000000ULL

/* Up to 16 x 4 MiB of events wait for the consumer; beyond that they are counted, not waited for. */
#define QUEUE_BATCH_BYTES (4u << 20)
#define QUEUE_BATCHES     16

/*
 * Between runs of event blocks the queue carries pseudo-blocks, told apart
 * from EV_V2 blocks by their type: a loss, and a completeness mark. The queue
 * packs blocks without alignment: they are copied in and out.
 */
#define LOSS_BLOCK     0x4c535953u /* "SYSL" */
#define COMPLETE_BLOCK 0x43535953u /* "SYSC" */

struct loss_block {
	uint32_t type, len;
	uint16_t cpu; /* the stream it is told in */
	uint8_t final, pad[5];
	struct event_loss l;
};

struct complete_block {
	uint32_t type, len;
	uint64_t ts;
};

struct drain {
	struct engine *en;
	struct drain_opts o;
	struct drain_consumer c;
	struct bq *q;
	uint32_t ncpus;
	/*
	 * Losses not yet told, 2 * ncpus + 1 slots: the kernel's drop runs per CPU
	 * (kept apart: a consumer may merge them with looks at the same run), the
	 * others (behind) per CPU, and the last for losses with no CPU (busy).
	 */
	struct event_loss *pend;
	bool any_pend;
	uint64_t events;
	uint64_t lost[EVENT_LOST_NCAUSES];
	uint64_t *cpu_lost; /* ncpus */
	uint64_t bad_params;
	uint64_t busy_seen; /* the kernel's skips of our programs accounted so far */
	uint64_t looked_ns; /* when the kernel's counters were last read */
	int err;            /* the consumer's first non-zero return */
};

/* ---- the consumer's thread ---- */

static int consume(void *ctx, const char *data, size_t n)
{
	struct drain *d = ctx;
	const uint8_t *p = (const uint8_t *)data;
	size_t off = 0, run = 0; /* event blocks [run, off) not yet given */
	int rc = 0;

	while (off + 8 <= n && !rc) {
		uint32_t type = load_u32(p + off), len = load_u32(p + off + 4);

		if (type == LOSS_BLOCK || type == COMPLETE_BLOCK) {
			if (off > run)
				rc = d->c.blocks(d->c.ctx, p + run, off - run);
			if (!rc && type == LOSS_BLOCK) {
				struct loss_block b;

				memcpy(&b, p + off, sizeof(b));
				rc = d->c.loss(d->c.ctx, b.cpu, &b.l, b.final);
			} else if (!rc) {
				d->c.complete(d->c.ctx, load_u64(p + off + 8));
			}
			run = off + len;
		}
		off += len;
	}
	if (!rc && off > run)
		rc = d->c.blocks(d->c.ctx, p + run, off - run);
	return rc; /* non-zero: the drain sees it through bq_error() and stops */
}

/* ---- the draining thread ---- */

static uint32_t nslots(const struct drain *d)
{
	return 2 * d->ncpus + 1;
}

/* The slot of a loss on cpu: the kernel's drops, or the others. */
static uint32_t slot_of(const struct drain *d, uint16_t cpu, bool kernel)
{
	if (cpu >= d->ncpus)
		return 2 * d->ncpus;
	return kernel ? cpu : d->ncpus + cpu;
}

/* The CPU a slot's losses are told on. */
static uint16_t slot_cpu(const struct drain *d, uint32_t slot)
{
	return (uint16_t)(slot < 2 * d->ncpus ? slot % d->ncpus : 0);
}

static void gather(struct drain *d, const struct event_loss *l, bool kernel)
{
	uint32_t slot = slot_of(d, l->cpu, kernel);

	event_loss_add(&d->pend[slot], l);
	d->any_pend = true;
	for (int i = 0; i < EVENT_LOST_NCAUSES; i++)
		d->lost[i] += l->n[i];
	if (l->cpu < d->ncpus)
		d->cpu_lost[l->cpu] += l->n[EVENT_LOST_RING] + l->n[EVENT_LOST_BIG] + l->n[EVENT_LOST_BEHIND];
}

/* Queue slot's gathered losses, told on cpu; false when the queue is full (they stay gathered). */
static bool tell(struct drain *d, uint32_t slot, uint16_t cpu)
{
	struct event_loss *l = &d->pend[slot];
	struct loss_block b = { LOSS_BLOCK, sizeof(b), cpu, 1, { 0 }, *l };
	char *p;

	if (!event_loss_total(l))
		return true;
	if (!(p = bq_reserve(d->q, sizeof(b))))
		return false;
	memcpy(p, &b, sizeof(b));
	memset(l, 0, sizeof(*l));
	return true;
}

/* Queue every gathered loss; false when some stay gathered. */
static bool tell_all(struct drain *d)
{
	bool all = true;

	if (!d->any_pend)
		return true;
	for (uint32_t s = 0; s < nslots(d); s++)
		all &= tell(d, s, slot_cpu(d, s));
	d->any_pend = !all;
	return all;
}

static int on_event(void *ctx, uint16_t cpu, const uint8_t *ev, uint32_t len)
{
	struct drain *d = ctx;
	char *p;

	if (d->o.max_events && d->events >= d->o.max_events)
		return 0; /* taken from the ring, not kept: the recording is full */
	if (d->any_pend) {
		tell(d, slot_of(d, cpu, true), cpu);
		tell(d, slot_of(d, cpu, false), cpu);
		tell(d, slot_of(d, EVENT_ANY_CPU, false), cpu);
	}
	if (!(p = bq_reserve(d->q, scap_frame_size(len)))) {
		struct event_loss l = { .first_ts = load_u64(ev), .tid = load_u64(ev + 8), .cpu = cpu };

		l.last_ts = l.first_ts;
		l.n[EVENT_LOST_BEHIND] = 1;
		gather(d, &l, false);
		return 0;
	}
	scap_frame_event((uint8_t *)p, cpu, ev, len);
	d->events++;
	return 0;
}

/* The kernel lost events on cpu just before its next event (which follows). */
static void on_drops(void *ctx, uint16_t cpu, const struct engine_drops *dr)
{
	struct event_loss l = {
		.first_ts = dr->first_ts, .last_ts = dr->last_ts, .tid = dr->tid, .cpu = cpu
	};

	l.n[EVENT_LOST_RING] = dr->ring;
	l.n[EVENT_LOST_BIG] = dr->big;
	gather(ctx, &l, true);
}

/*
 * Read the kernel's counters at `now`: the skips of our programs that grew
 * since the last look are gathered as one run with no CPU spanning the two
 * looks; with look_pending (or final, the engine detached), each CPU's
 * gathered, untold drops are queued as they stand.
 */
static void look(struct drain *d, uint64_t now, bool final)
{
	struct engine_stats st;

	engine_stats(d->en, &st);
	if (st.drops_busy > d->busy_seen) {
		struct event_loss l = { .first_ts = d->looked_ns, .last_ts = now, .cpu = EVENT_ANY_CPU };

		l.n[EVENT_LOST_BUSY] = st.drops_busy - d->busy_seen;
		gather(d, &l, false);
		d->busy_seen = st.drops_busy;
	}
	d->looked_ns = now;
	d->bad_params = st.bad_params;
	if (final) {
		for (uint32_t cpu = 0; cpu < st.ncpus; cpu++)
			on_drops(d, (uint16_t)cpu, &st.pending[cpu]);
	} else if (d->o.look_pending) {
		for (uint32_t cpu = 0; cpu < st.ncpus && cpu < d->ncpus; cpu++) {
			const struct engine_drops *dr = &st.pending[cpu];
			struct loss_block b = { LOSS_BLOCK, sizeof(b), (uint16_t)cpu, 0, { 0 }, { 0 } };
			char *p;

			if (!dr->ring && !dr->big)
				continue;
			b.l = (struct event_loss){ .first_ts = dr->first_ts,
				                   .last_ts = dr->last_ts,
				                   .tid = dr->tid,
				                   .cpu = (uint16_t)cpu };
			b.l.n[EVENT_LOST_RING] = dr->ring;
			b.l.n[EVENT_LOST_BIG] = dr->big;
			if ((p = bq_reserve(d->q, sizeof(b))))
				memcpy(p, &b, sizeof(b));
		}
	}
}

struct drain *drain_new(struct engine *en, const struct drain_opts *o, const struct drain_consumer *c)
{
	struct drain *d = xcalloc(1, sizeof(*d));
	struct engine_stats st;

	d->en = en;
	d->o = *o;
	d->c = *c;
	engine_stats(en, &st);
	d->ncpus = st.ncpus;
	d->pend = xcalloc(nslots(d), sizeof(*d->pend));
	d->cpu_lost = xcalloc(d->ncpus ? d->ncpus : 1, sizeof(*d->cpu_lost));
	d->busy_seen = st.drops_busy;
	d->looked_ns = epoch_ns();
	d->q = bq_new(QUEUE_BATCH_BYTES, QUEUE_BATCHES, false, consume, d);
	return d;
}

int drain_poll(struct drain *d, int timeout_ms)
{
	struct engine_sink sink = { on_event, on_drops, d };
	uint64_t drained = epoch_ns(); /* every event stamped before this is in the ring or taken */
	int rc;

	if (d->err)
		return d->err;
	rc = engine_poll(d->en, timeout_ms, &sink);
	if (rc >= 0) {
		bool told = tell_all(d);

		/* the ring was emptied: a mark, once the counters read now are told too */
		if (drained >= d->looked_ns + STATS_EVERY_NS) {
			look(d, drained, false);
			told = tell_all(d) && told;
			if (told && d->c.complete) {
				struct complete_block m = { COMPLETE_BLOCK, sizeof(m), drained };
				char *p = bq_reserve(d->q, sizeof(m));

				if (p) /* else the next look marks */
					memcpy(p, &m, sizeof(m));
			}
		}
	}
	bq_flush(d->q);
	if ((d->err = bq_error(d->q)) != 0)
		return d->err;
	return rc;
}

bool drain_full(const struct drain *d)
{
	return d->o.max_events && d->events >= d->o.max_events;
}

int drain_finish(struct drain *d, bool (*stop)(void *ctx), void *ctx)
{
	struct engine_sink sink = { on_event, on_drops, d };

	/* what is already in the ring belongs to the recording */
	engine_stop(d->en);
	while (!d->err && !drain_full(d) && !(stop && stop(ctx)) && engine_poll(d->en, 0, &sink) > 0) {
		tell_all(d);
		bq_flush(d->q);
		d->err = bq_error(d->q);
	}
	look(d, epoch_ns(), true);
	tell_all(d);
	if (d->q) {
		int rc = bq_finish(d->q);

		if (!d->err)
			d->err = rc;
		bq_free(d->q);
		d->q = NULL;
	}
	/* the consumer's thread is done: what is left to tell goes straight to it */
	for (uint32_t s = 0; s < nslots(d) && !d->err; s++) {
		struct event_loss *l = &d->pend[s];

		if (event_loss_total(l))
			d->err = d->c.loss(d->c.ctx, slot_cpu(d, s), l, true);
		memset(l, 0, sizeof(*l));
	}
	d->any_pend = false;
	return d->err;
}

void drain_stats(const struct drain *d, struct drain_stats *out)
{
	memcpy(out->lost, d->lost, sizeof(out->lost));
	out->events = d->events;
	out->bad_params = d->bad_params;
	out->ncpus = d->ncpus;
	out->cpu_lost = d->cpu_lost;
}

void drain_free(struct drain *d)
{
	if (!d)
		return;
	if (d->q)
		bq_free(d->q);
	free(d->pend);
	free(d->cpu_lost);
	free(d);
}
