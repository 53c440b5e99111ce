/* recorder: the flight recorder's chain of self-describing segments (see recorder.h). */
#include "recorder.h"

#include "../event/event.h"
#include "../state/state.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct recorder_seg {
	uint8_t *data;
	size_t cap, head_len;
	size_t len;        /* published: readers load it with acquire */
	uint64_t first_ts; /* published with len */
	bool sealed;       /* published */
	uint64_t seq;      /* 1, 2, ... in the order segments begin */
	uint64_t nevents;  /* published events (under the recorder's lock) */
	int refs;          /* the chain's and the readers' (under the recorder's lock) */
	bool chained;      /* still in the chain */
	struct recorder_seg *next;
};

struct recorder {
	struct recorder_opts o;
	uint64_t span_ns;         /* a segment covers at most this long, so that old history can go */
	struct sbuf host_head;    /* section, machine, interfaces, users: the start of every head */
	struct state *st;         /* the writer thread's: processes and fds as the events leave them */
	struct recorder_seg *cur; /* the writer's segment (the newest) */
	size_t wlen;              /* the writer's length of cur (published at the end of a run) */
	uint64_t wfirst, wlast;   /* the writer's first and last event times in cur */
	struct sbuf tmp;
	recorder_hook_fn hook; /* after state_process() on each parsed event (writer thread) */
	void *hook_ctx;
	pthread_mutex_t lock;
	pthread_cond_t grew;
	/* under lock */
	struct recorder_seg *oldest, *newest;
	uint64_t bytes, events, held, let_go, aged, seq, newest_ts;
	size_t nsegs;
};

static int sbuf_out(void *ctx, const void *p, size_t n)
{
	sbuf_put(ctx, p, n);
	return 0;
}

static void seg_unref(struct recorder_seg *s)
{
	if (--s->refs == 0) {
		free(s->data);
		free(s);
	}
}

/* Unlink the oldest segment from the chain (under lock). */
static void drop_oldest(struct recorder *r)
{
	struct recorder_seg *s = r->oldest;

	r->oldest = s->next;
	r->bytes -= s->head_len + s->len;
	r->held -= s->nevents;
	r->nsegs--;
	s->chained = false;
	seg_unref(s);
}

/*
 * Let old segments go (under lock): those past the history wanted, then, for
 * as long as the memory bound would be passed when the current segment
 * fills, the oldest.
 */
static void trim(struct recorder *r)
{
	while (r->oldest != r->newest && r->oldest->next->first_ts &&
	       r->oldest->next->first_ts + r->o.seconds * 1000000000ULL <= r->newest_ts) {
		drop_oldest(r);
		r->aged++;
	}
	while (r->oldest != r->newest &&
	       r->bytes + (r->newest->cap - r->newest->head_len - r->newest->len) > r->o.max_bytes) {
		drop_oldest(r);
		r->let_go++;
	}
}

/* Make what the writer appended to cur visible to readers. */
static void publish(struct recorder *r, uint64_t nevents)
{
	struct recorder_seg *s = r->cur;

	pthread_mutex_lock(&r->lock);
	r->bytes += r->wlen - s->len;
	if (!s->first_ts)
		__atomic_store_n(&s->first_ts, r->wfirst, __ATOMIC_RELEASE);
	__atomic_store_n(&s->len, r->wlen, __ATOMIC_RELEASE);
	r->events += nevents;
	r->held += nevents;
	s->nevents += nevents;
	if (r->wlast > r->newest_ts)
		r->newest_ts = r->wlast;
	trim(r);
	pthread_cond_broadcast(&r->grew);
	pthread_mutex_unlock(&r->lock);
}

/* Begin a new segment, headed by the state now, for at least need event bytes. */
static void begin_segment(struct recorder *r, size_t need)
{
	struct recorder_seg *s = xcalloc(1, sizeof(*s));
	struct scap_writer *w;
	struct state_snapshot snap;
	struct err e = { { 0 } };

	sbuf_reset(&r->tmp);
	sbuf_put(&r->tmp, r->host_head.data, r->host_head.len);
	w = scap_writer_open_fn(sbuf_out, &r->tmp);
	state_snapshot(r->st, &snap);
	scap_writer_proc_table(w, snap.procs, snap.fds, snap.nfds, snap.n);
	state_snapshot_free(&snap);
	scap_writer_close(w, &e);
	s->head_len = r->tmp.len;
	s->cap = s->head_len + (need > r->o.segment_bytes ? need : r->o.segment_bytes);
	s->data = xmalloc(s->cap);
	memcpy(s->data, r->tmp.data, s->head_len);
	s->refs = 1;
	s->chained = true;
	pthread_mutex_lock(&r->lock);
	s->seq = ++r->seq;
	if (r->newest) {
		__atomic_store_n(&r->newest->sealed, true, __ATOMIC_RELEASE);
		r->newest->next = s;
	} else {
		r->oldest = s;
	}
	r->newest = s;
	r->nsegs++;
	r->bytes += s->head_len;
	trim(r);
	pthread_mutex_unlock(&r->lock);
	r->cur = s;
	r->wlen = 0;
	r->wfirst = r->wlast = 0;
}

static void feed_host(struct recorder *r, const struct recorder_host *h)
{
	struct scap_writer *w = scap_writer_open_fn(sbuf_out, &r->host_head);
	struct scap_record rec;
	struct err e = { { 0 } };

	scap_writer_section(w);
	scap_writer_machine(w, h->machine);
	scap_writer_ifaces(w, h->ifaces, h->nifaces);
	scap_writer_users(w, h->users, h->nusers, h->groups, h->ngroups);
	scap_writer_close(w, &e);
	memset(&rec, 0, sizeof(rec));
	rec.kind = SCAP_REC_IFACES;
	rec.ifaces = (struct scap_iface *)(uintptr_t)h->ifaces;
	rec.nifaces = h->nifaces;
	state_add_record(r->st, &rec);
	memset(&rec, 0, sizeof(rec));
	rec.kind = SCAP_REC_USERS;
	rec.users = (struct scap_user *)(uintptr_t)h->users;
	rec.nusers = h->nusers;
	rec.groups = (struct scap_group *)(uintptr_t)h->groups;
	rec.ngroups = h->ngroups;
	state_add_record(r->st, &rec);
	state_add_procs(r->st, h->procs, h->fds, h->nfds, h->nprocs);
}

struct recorder *recorder_new(const struct recorder_opts *o, const struct recorder_host *h)
{
	struct recorder *r = xcalloc(1, sizeof(*r));
	uint64_t seg = o->segment_bytes;

	r->o = *o;
	if (!seg) {
		seg = o->max_bytes / 16;
		seg = seg < (1u << 20) ? (1u << 20) : seg > (64u << 20) ? (64u << 20) : seg;
	}
	r->o.segment_bytes = seg;
	if (r->o.seconds < 1)
		r->o.seconds = 1;
	r->span_ns = r->o.seconds * 1000000000ULL / 8;
	if (r->span_ns < 1000000000ULL)
		r->span_ns = 1000000000ULL;
	pthread_mutex_init(&r->lock, NULL);
	pthread_cond_init(&r->grew, NULL);
	sbuf_init(&r->host_head, 4096);
	sbuf_init(&r->tmp, 1 << 16);
	r->st = state_new();
	feed_host(r, h);
	begin_segment(r, 0);
	return r;
}

void recorder_free(struct recorder *r)
{
	if (!r)
		return;
	pthread_mutex_lock(&r->lock);
	while (r->oldest)
		drop_oldest(r);
	pthread_mutex_unlock(&r->lock);
	state_free(r->st);
	sbuf_release(&r->host_head);
	sbuf_release(&r->tmp);
	pthread_cond_destroy(&r->grew);
	pthread_mutex_destroy(&r->lock);
	free(r);
}

void recorder_set_hook(struct recorder *r, recorder_hook_fn fn, void *ctx)
{
	r->hook = fn;
	r->hook_ctx = ctx;
}

struct state *recorder_state(struct recorder *r)
{
	return r->st;
}

/* One framed block: apply it to the state and keep it, in a new segment when due. */
static void append_block(struct recorder *r, const uint8_t *b, uint32_t blen, uint64_t *nevents)
{
	const uint8_t *ev = b + 10;
	uint64_t ts = load_u64(ev);
	uint32_t elen = load_u32(ev + 16);
	struct event e;
	struct evctx cx;
	struct err err;

	if (r->wlen + blen > r->cur->cap - r->cur->head_len || (r->wfirst && ts > r->wfirst + r->span_ns)) {
		publish(r, *nevents);
		*nevents = 0;
		begin_segment(r, blen);
	}
	if (elen + 10 <= blen && event_parse(&e, ev, elen, 2, &err) == 0) {
		e.cpu = load_u16(b + 8);
		e.dump_flags = 0; /* an EV block (event_parse() leaves it to the caller) */
		state_process(r->st, &e, &cx);
		if (r->hook)
			r->hook(&cx, r->hook_ctx);
	}
	memcpy(r->cur->data + r->cur->head_len + r->wlen, b, blen);
	r->wlen += blen;
	if (!r->wfirst)
		r->wfirst = ts;
	if (ts > r->wlast)
		r->wlast = ts;
	(*nevents)++;
}

void recorder_append(struct recorder *r, const uint8_t *blocks, size_t len)
{
	size_t off = 0;
	uint64_t n = 0;

	while (off + 12 + EVENT_HDR_V2 <= len) {
		uint32_t blen = load_u32(blocks + off + 4);

		if (blen < 12 + EVENT_HDR_V2 || blen > len - off)
			break; /* not a framed event: the writer's bug, never the kernel's */
		append_block(r, blocks + off, blen, &n);
		off += blen;
	}
	publish(r, n);
}

void recorder_append_event(struct recorder *r, uint16_t cpu, const uint8_t *ev, uint32_t len)
{
	size_t n = scap_frame_size(len);
	uint8_t *b = xmalloc(n);

	scap_frame_event(b, cpu, ev, len);
	recorder_append(r, b, n);
	free(b);
}

void recorder_stats(struct recorder *r, struct recorder_stats *out)
{
	memset(out, 0, sizeof(*out));
	pthread_mutex_lock(&r->lock);
	out->bytes = r->bytes;
	out->max_bytes = r->o.max_bytes;
	out->segments = r->nsegs;
	out->events = r->events;
	out->held = r->held;
	out->let_go = r->let_go;
	out->aged = r->aged;
	for (struct recorder_seg *s = r->oldest; s; s = s->next)
		if (s->first_ts) {
			out->oldest_ns = s->first_ts;
			break;
		}
	out->newest_ns = r->newest_ts;
	pthread_mutex_unlock(&r->lock);
	if (out->oldest_ns && out->newest_ns > out->oldest_ns)
		out->seconds = (double)(out->newest_ns - out->oldest_ns) / 1e9;
}

struct recorder_seg *recorder_seg_at(struct recorder *r, uint64_t ts)
{
	struct recorder_seg *pick = NULL;

	pthread_mutex_lock(&r->lock);
	for (struct recorder_seg *s = r->oldest; s; s = s->next)
		if (s->first_ts && s->first_ts <= ts)
			pick = s;
	if (!pick)
		pick = r->oldest;
	if (pick)
		pick->refs++;
	pthread_mutex_unlock(&r->lock);
	return pick;
}

struct recorder_seg *recorder_seg_next(struct recorder *r, const struct recorder_seg *s, bool *skipped)
{
	struct recorder_seg *pick = NULL;

	*skipped = false;
	pthread_mutex_lock(&r->lock);
	if (r->newest && r->newest->seq > s->seq) {
		for (pick = r->oldest; pick && pick->seq != s->seq + 1; pick = pick->next)
			;
		if (!pick) {
			pick = r->oldest;
			*skipped = true;
		}
		if (pick)
			pick->refs++;
	}
	pthread_mutex_unlock(&r->lock);
	return pick;
}

void recorder_seg_put(struct recorder *r, struct recorder_seg *s)
{
	if (!s)
		return;
	pthread_mutex_lock(&r->lock);
	seg_unref(s);
	pthread_mutex_unlock(&r->lock);
}

const uint8_t *recorder_seg_data(const struct recorder_seg *s)
{
	return s->data;
}

size_t recorder_seg_len(const struct recorder_seg *s)
{
	return s->head_len + __atomic_load_n(&s->len, __ATOMIC_ACQUIRE);
}

size_t recorder_seg_head_len(const struct recorder_seg *s)
{
	return s->head_len;
}

bool recorder_seg_sealed(const struct recorder_seg *s)
{
	return __atomic_load_n(&s->sealed, __ATOMIC_ACQUIRE);
}

uint64_t recorder_seg_first_ts(const struct recorder_seg *s)
{
	return __atomic_load_n(&s->first_ts, __ATOMIC_ACQUIRE);
}

void recorder_wait(struct recorder *r, int timeout_ms)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += timeout_ms / 1000;
	ts.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&r->lock);
	pthread_cond_timedwait(&r->grew, &r->lock, &ts);
	pthread_mutex_unlock(&r->lock);
}
