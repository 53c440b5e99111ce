/* recorder: the flight recorder's chain of self-describing segments (see recorder.h). */
#include "recorder.h"

#include "../event/event.h"
#include "../state/state.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

struct recorder_seg {
	uint8_t *data;
	size_t cap, head_len;
	size_t len;             /* published: readers load it with acquire */
	uint64_t first_ts;      /* published with len */
	bool sealed;            /* published */
	uint64_t seq;           /* 1, 2, ... in the order segments begin */
	uint64_t nevents;       /* published events (under the recorder's lock) */
	uint64_t events_before; /* events appended before it began */
	int refs;               /* the chain's and the readers' (under the recorder's lock) */
	bool chained;           /* still in the chain */
	struct recorder_seg *next;
};

/* A container first seen, not yet handed over. */
struct recorder_container {
	char id[13];
	int type;
};

struct recorder {
	struct recorder_opts o;
	uint64_t span_ns;                /* a segment covers at most this long, so that old history can go */
	struct sbuf host_head;           /* section, machine, interfaces, users: the start of every head */
	struct state *st;                /* the writer thread's: processes and fds as the events leave them */
	struct recorder_seg *cur;        /* the writer's segment (the newest) */
	size_t wlen;                     /* the writer's length of cur (published at the end of a run) */
	uint64_t wfirst, wlast;          /* the writer's first and last event times in cur */
	struct sbuf tmp, ctmp;           /* ctmp: a container event being framed */
	struct recorder_container *newc; /* containers seen since recorder_take_containers() */
	size_t nnewc;
	recorder_hook_fn hook; /* after state_process() on each parsed event (writer thread) */
	void *hook_ctx;
	pthread_mutex_t lock;
	pthread_cond_t grew;
	/* under lock */
	struct recorder_seg *oldest, *newest;
	uint64_t bytes, events, held, let_go, aged, seq, newest_ts;
	size_t nsegs;
	uint64_t complete_ts; /* atomic: every event before it is appended or told lost */
	/* the loss log, under loss_lock: runs [loss_start, nloss) of losses, oldest told first */
	pthread_mutex_t loss_lock;
	struct loss_run *loss;
	size_t loss_start, nloss, loss_cap;
	uint64_t loss_ids, loss_version;
};

/* A run in the loss log: told counts, and for kernel drops a snapshot of what is not yet told. */
struct loss_run {
	struct event_loss l;
	uint64_t pending[2]; /* ring, big */
};

static void new_container(struct recorder *r, const char *id, int type, uint64_t ts, uint64_t *nevents);
static void append_container(struct recorder *r, uint64_t ts, const char *json, uint64_t *nevents);

static int sbuf_out(void *ctx, const void *p, size_t n)
{
	sbuf_put(ctx, p, n);
	return 0;
}

/*
 * Segment memory comes straight from the kernel and goes back to it whole.
 * Through malloc, glibc raises its mmap threshold after the first large free,
 * later segments then come from the heap, and the holes old ones leave are
 * never returned: the agent's RSS grew by 200 MiB in a minute past its bound
 * (bench/soak.sh).
 */
static uint8_t *seg_alloc(size_t n)
{
	void *p = mmap(NULL, n, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED) { /* as xmalloc() does */
		fprintf(stderr, "sysrec: out of memory allocating %zu bytes\n", n);
		abort();
	}
	return p;
}

static void seg_unref(struct recorder_seg *s)
{
	if (--s->refs == 0) {
		munmap(s->data, s->cap);
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
		__atomic_store_n(&r->newest_ts, r->wlast,
		                 __ATOMIC_RELAXED); /* the loss log reads it unlocked */
	trim(r);
	pthread_cond_broadcast(&r->grew);
	pthread_mutex_unlock(&r->lock);
}

/* A container event (PPME_CONTAINER_JSON_2_E) with this JSON, into r->ctmp. */
static void container_event(struct recorder *r, uint64_t ts, const char *json)
{
	const void *val[1] = { json };
	uint32_t len[1] = { (uint32_t)strlen(json) + 1 };

	sbuf_reset(&r->ctmp);
	scap_encode_event(&r->ctmp, ts, -1, PPME_CONTAINER_JSON_2_E, PPME_CONTAINER_JSON_2_E_NPARAMS, val,
	                  len);
}

/*
 * Every container described so far, as container events after a head's
 * process table: a capture cut from this segment on knows them, as a reader
 * of a file knows those in its head. Stamped with the last event's time.
 */
static void head_containers(struct recorder *r, struct scap_writer *w)
{
	size_t n;
	const struct container *c = state_containers(r->st, &n);

	for (size_t i = 0; i < n; i++) {
		container_event(r, r->newest_ts, c[i].json);
		scap_writer_event_bytes(w, 0, 0, (const uint8_t *)r->ctmp.data, (uint32_t)r->ctmp.len);
	}
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
	head_containers(r, w);
	scap_writer_close(w, &e);
	s->head_len = r->tmp.len;
	s->cap = s->head_len + (need > r->o.segment_bytes ? need : r->o.segment_bytes);
	s->data = seg_alloc(s->cap);
	memcpy(s->data, r->tmp.data, s->head_len);
	s->refs = 1;
	s->chained = true;
	pthread_mutex_lock(&r->lock);
	s->seq = ++r->seq;
	s->events_before = r->events;
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

/* The containers the processes at the start are in: described as the first events. */
static void host_containers(struct recorder *r, const struct recorder_host *h)
{
	uint64_t n = 0, now = epoch_ns();
	char id[13];

	for (size_t i = 0; i < h->nprocs; i++) {
		int type = state_cgroups_container(h->procs[i].cgroups, h->procs[i].cgroups_len, id);

		if (type >= 0 && !state_container(r->st, id))
			new_container(r, id, type, now, &n);
	}
	publish(r, n);
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
	pthread_mutex_init(&r->loss_lock, NULL);
	pthread_cond_init(&r->grew, NULL);
	sbuf_init(&r->host_head, 4096);
	sbuf_init(&r->tmp, 1 << 16);
	sbuf_init(&r->ctmp, 1024);
	r->st = state_new();
	feed_host(r, h);
	begin_segment(r, 0);
	host_containers(r, h);
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
	sbuf_release(&r->ctmp);
	free(r->newc);
	free(r->loss);
	pthread_cond_destroy(&r->grew);
	pthread_mutex_destroy(&r->loss_lock);
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
	char id[13];
	int type = -1;

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
		if (event_carries_cgroups(e.type) && e.nvals > 14)
			type = state_cgroups_container((const char *)e.val[14], e.vlen[14], id);
	}
	memcpy(r->cur->data + r->cur->head_len + r->wlen, b, blen);
	r->wlen += blen;
	if (!r->wfirst)
		r->wfirst = ts;
	if (ts > r->wlast)
		r->wlast = ts;
	(*nevents)++;
	if (type >= 0 && !state_container(r->st, id))
		new_container(r, id, type, ts, nevents);
}

/*
 * A container seen for the first time: described by its id and runtime (a
 * container event after the event that revealed it), and kept for
 * recorder_take_containers().
 */
static void new_container(struct recorder *r, const char *id, int type, uint64_t ts, uint64_t *nevents)
{
	char *json = state_container_json_min(id, type);

	append_container(r, ts, json, nevents);
	free(json);
	r->newc = xrealloc(r->newc, (r->nnewc + 1) * sizeof(*r->newc));
	snprintf(r->newc[r->nnewc].id, sizeof(r->newc[r->nnewc].id), "%s", id);
	r->newc[r->nnewc++].type = type;
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

/* A container event with this JSON, framed and appended (within a run: nevents counts it). */
static void append_container(struct recorder *r, uint64_t ts, const char *json, uint64_t *nevents)
{
	size_t n;
	uint8_t *b;

	container_event(r, ts, json);
	n = scap_frame_size((uint32_t)r->ctmp.len);
	b = xmalloc(n);
	scap_frame_event(b, 0, (const uint8_t *)r->ctmp.data, (uint32_t)r->ctmp.len);
	append_block(r, b, (uint32_t)n, nevents);
	free(b);
}

void recorder_describe_container(struct recorder *r, const char *json)
{
	uint64_t n = 0;

	append_container(r, r->newest_ts ? r->newest_ts : epoch_ns(), json, &n);
	publish(r, n);
}

void recorder_take_containers(struct recorder *r, void (*fn)(void *ctx, const char *id, int type), void *ctx)
{
	for (size_t i = 0; i < r->nnewc; i++)
		fn(ctx, r->newc[i].id, r->newc[i].type);
	r->nnewc = 0;
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

struct recorder_seg *recorder_seg_next(struct recorder *r, const struct recorder_seg *s, uint64_t *skipped)
{
	struct recorder_seg *pick = NULL;

	*skipped = 0;
	pthread_mutex_lock(&r->lock);
	if (r->newest && r->newest->seq > s->seq) {
		for (pick = r->oldest; pick && pick->seq != s->seq + 1; pick = pick->next)
			;
		if (!pick &&
		    (pick = r->oldest)) /* s is sealed: its count is final, the ones between went whole */
			*skipped = pick->events_before - (s->events_before + s->nevents);
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

void recorder_mark_complete(struct recorder *r, uint64_t ts)
{
	if (ts <= __atomic_load_n(&r->complete_ts, __ATOMIC_RELAXED))
		return;
	__atomic_store_n(&r->complete_ts, ts, __ATOMIC_RELEASE);
	pthread_mutex_lock(&r->lock);
	pthread_cond_broadcast(&r->grew);
	pthread_mutex_unlock(&r->lock);
}

uint64_t recorder_complete(struct recorder *r)
{
	return __atomic_load_n(&r->complete_ts, __ATOMIC_ACQUIRE);
}

/* ---- the loss log ---- */

/*
 * Let go of runs older than the history the recorder may hold, and of the
 * oldest beyond RECORDER_LOSSES_MAX (under loss_lock).
 */
static void loss_trim(struct recorder *r)
{
	uint64_t newest = __atomic_load_n(&r->newest_ts, __ATOMIC_RELAXED);
	/* a run this old cannot touch a window the recorder still holds */
	uint64_t keep_ns = (r->o.seconds + 60) * 1000000000ULL;

	while (r->loss_start < r->nloss && (r->nloss - r->loss_start >= RECORDER_LOSSES_MAX ||
	                                    r->loss[r->loss_start].l.last_ts + keep_ns < newest))
		r->loss_start++;
	if (r->loss_start && r->loss_start >= r->nloss / 2) {
		memmove(r->loss, r->loss + r->loss_start, (r->nloss - r->loss_start) * sizeof(*r->loss));
		r->nloss -= r->loss_start;
		r->loss_start = 0;
	}
}

static struct loss_run *loss_add(struct recorder *r, const struct event_loss *l)
{
	struct loss_run *run;

	loss_trim(r);
	if (r->nloss == r->loss_cap) {
		r->loss_cap = r->loss_cap ? 2 * r->loss_cap : 64;
		r->loss = xrealloc(r->loss, r->loss_cap * sizeof(*r->loss));
	}
	run = &r->loss[r->nloss++];
	memset(run, 0, sizeof(*run));
	run->l = *l;
	run->l.id = ++r->loss_ids;
	return run;
}

void recorder_note_loss(struct recorder *r, const struct event_loss *l)
{
	if (!event_loss_total(l))
		return;
	pthread_mutex_lock(&r->loss_lock);
	loss_add(r, l);
	r->loss_version++;
	pthread_mutex_unlock(&r->loss_lock);
}

/* Kernel drops: how many runs back to look for the one a telling continues (they are recent). */
#define LOSS_LOOK_BACK 256

void recorder_note_drops(struct recorder *r, const struct event_loss *l, bool told)
{
	struct loss_run *run = NULL;
	uint64_t ring = l->n[EVENT_LOST_RING], big = l->n[EVENT_LOST_BIG];

	if (!ring && !big)
		return;
	pthread_mutex_lock(&r->loss_lock);
	for (size_t i = r->nloss; i > r->loss_start && r->nloss - i < LOSS_LOOK_BACK; i--) {
		struct loss_run *c = &r->loss[i - 1];

		if (c->l.cpu == l->cpu && c->l.first_ts == l->first_ts && !c->l.n[EVENT_LOST_BEHIND] &&
		    !c->l.n[EVENT_LOST_BUSY]) {
			run = c;
			break;
		}
	}
	if (!run) {
		struct event_loss z = *l;

		z.n[EVENT_LOST_RING] = z.n[EVENT_LOST_BIG] = 0;
		run = loss_add(r, &z);
	}
	if (told) {
		run->l.n[EVENT_LOST_RING] += ring;
		run->l.n[EVENT_LOST_BIG] += big;
		run->pending[0] = run->pending[1] = 0;
	} else {
		run->pending[0] = ring;
		run->pending[1] = big;
	}
	if (l->last_ts > run->l.last_ts)
		run->l.last_ts = l->last_ts;
	r->loss_version++;
	pthread_mutex_unlock(&r->loss_lock);
}

size_t recorder_losses(struct recorder *r, uint64_t from, uint64_t to, struct event_loss **out,
                       uint64_t *version)
{
	size_t n = 0, cap = 0;

	*out = NULL;
	pthread_mutex_lock(&r->loss_lock);
	if (version)
		*version = r->loss_version;
	for (size_t i = r->loss_start; i < r->nloss; i++) {
		const struct loss_run *run = &r->loss[i];

		if (run->l.first_ts > to || run->l.last_ts < from)
			continue;
		if (n == cap) {
			cap = cap ? 2 * cap : 16;
			*out = xrealloc(*out, cap * sizeof(**out));
		}
		(*out)[n] = run->l;
		(*out)[n].n[EVENT_LOST_RING] += run->pending[0];
		(*out)[n].n[EVENT_LOST_BIG] += run->pending[1];
		n++;
	}
	pthread_mutex_unlock(&r->loss_lock);
	return n;
}

uint64_t recorder_losses_version(struct recorder *r)
{
	uint64_t v;

	pthread_mutex_lock(&r->loss_lock);
	v = r->loss_version;
	pthread_mutex_unlock(&r->loss_lock);
	return v;
}
