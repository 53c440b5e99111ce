/* event: building an event: the per-CPU scratch, put_* parameters, ev_submit(), the ring_* writers. */
/* SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only) */
/*
 * The contract (included once, by sysrec.bpf.c, after the maps and task.bpf.h).
 *
 * Two ways to write an event. A shape the dispatchers write themselves
 * (SYSREC_SHAPE_*) goes straight into ring space: ring_begin() reserves it and
 * writes the record head and event header, the caller stores the parameters,
 * ring_end() submits it. Every other event is built by its filler in a
 * per-CPU scratch buffer and copied into the ring by ev_submit().
 *
 * Who owns the scratch: `scratch` holds SYSREC_SCRATCH_SLOTS buffers per CPU,
 * one per program kind: enters (even codes), exits (odd codes) and procexit
 * (scratch_get()). The kernel never runs one program twice at once on a CPU,
 * so a buffer belongs to the one program of its kind running there; since the
 * syscall tracepoints became preemptible (Linux 6.14) an enter and an exit can
 * interleave on a CPU, hence a buffer each. The dispatcher stamps the buffer
 * (ev_stamp(): time, thread; s->code: the event code, for routed_code()) and
 * tail-calls the filler, which owns it until it returns: ev_begin() starts the
 * event (its code, its parameter count), each put_*() appends one parameter
 * and its length, ev_submit() ends it. data[0, PRE) is the ring record's head,
 * written by ev_submit(); the event starts at data[PRE]. Nothing else carries
 * over from one event to the next (procexit stamps its own buffer).
 *
 * When an event is submitted or counted lost: ev_submit() writes it to the
 * ring only when the filler wrote exactly the parameters it declared;
 * otherwise it counts bad_params (a filler bug, not a loss) and writes
 * nothing. An event larger than SYSREC_MAX_EVENT is lost (drops_big); one the
 * full ring has no room for is lost (drops_ring), from ev_submit() or
 * ring_begin() alike. Each loss is counted in `stats` and kept pending (the
 * times of the first and last, the thread of the first) until ev_tell_losses()
 * writes them as a SYSREC_REC_DROPS record right before the next event that
 * fits. A filler that gives up before ev_begin() (no scratch buffer) writes
 * and counts nothing. Records go without a wakeup (BPF_RB_NO_WAKEUP):
 * userspace (src/engine) polls the ring.
 */

/* ---- the event being built ---- */

/*
 * Stores at any byte offset. The event layout packs values unaligned, and
 * clang splits an unaligned store into byte stores (8 of them, plus shifts,
 * for a u64); x86 stores unaligned data natively and the verifier allows it
 * (no strict alignment), so each is written as the single instruction.
 */
static __always_inline void st16(void *p, __u16 v)
{
	asm volatile("*(u16 *)(%[p] + 0) = %[v]" ::[p] "r"(p), [v] "r"(v) : "memory");
}

static __always_inline void st32(void *p, __u32 v)
{
	asm volatile("*(u32 *)(%[p] + 0) = %[v]" ::[p] "r"(p), [v] "r"(v) : "memory");
}

static __always_inline void st64(void *p, __u64 v)
{
	asm volatile("*(u64 *)(%[p] + 0) = %[v]" ::[p] "r"(p), [v] "r"(v) : "memory");
}

/*
 * The scratch buffer for an event of this type. Since Linux 6.14 the syscall
 * tracepoints are preemptible: a task can be switched out in the middle of
 * building an event, and another task on the same CPU can start one. The
 * kernel never runs one program twice at once on a CPU, so each program kind
 * gets its own buffer per CPU: enters (even codes), exits (odd) and procexit.
 */
static __always_inline struct scratch *scratch_get(__u16 type)
{
	__u32 slot = bpf_get_smp_processor_id() * SYSREC_SCRATCH_SLOTS;

	slot += type == PPME_PROCEXIT_1_E ? 2 : type & 1;
	return bpf_map_lookup_elem(&scratch, &slot);
}

/*
 * The event's time and thread, taken once by the dispatcher (which needs the
 * thread anyway) before the tail call: the filler finds them in its scratch.
 */
/* The time events are stamped with: epoch ns. */
static __always_inline __u64 ev_now(void)
{
	return bpf_ktime_get_boot_ns() + boot_to_epoch;
}

static __always_inline void ev_stamp_at(struct scratch *s, __u64 pid_tgid, __u64 ts)
{
	__u8 *h = &s->data[PRE];

	st64(h, ts);
	st64(h + 8, pid_tgid & 0xffffffff);
}

static __always_inline void ev_stamp(struct scratch *s, __u64 pid_tgid)
{
	ev_stamp_at(s, pid_tgid, ev_now());
}

/* Start an event of this type in a stamped scratch buffer. */
static __always_inline void ev_begin(struct scratch *s, __u16 type, __u32 nparams)
{
	__u8 *h = &s->data[PRE];

	s->nparams = nparams;
	s->arg = 0;
	s->pos = PRE + SYSREC_EVT_HDR + nparams * 2;
	st16(h + 20, type);
	st32(h + 22, nparams);
}

/* Record that the next parameter took n bytes. */
static __always_inline void ev_param_len(struct scratch *s, __u32 n)
{
	__u16 l = n;
	__u32 at = PRE + SYSREC_EVT_HDR + s->arg * 2;

	st16(&s->data[OFF(at)], l);
	s->arg++;
	s->pos += n;
}

static __always_inline void put_u8(struct scratch *s, __u8 v)
{
	s->data[OFF(s->pos)] = v;
	ev_param_len(s, 1);
}

static __always_inline void put_u16(struct scratch *s, __u16 v)
{
	st16(&s->data[OFF(s->pos)], v);
	ev_param_len(s, 2);
}

static __always_inline void put_u32(struct scratch *s, __u32 v)
{
	st32(&s->data[OFF(s->pos)], v);
	ev_param_len(s, 4);
}

static __always_inline void put_u64(struct scratch *s, __u64 v)
{
	st64(&s->data[OFF(s->pos)], v);
	ev_param_len(s, 8);
}

static __always_inline void put_empty(struct scratch *s)
{
	ev_param_len(s, 0);
}

/*
 * A NUL-terminated user string. When it cannot be read (its page not yet
 * faulted in at syscall entry, or a bad pointer) the parameter says "<NA>":
 * sysdig renders an empty path parameter with stale text from another one.
 */
static __always_inline void put_str_user(struct scratch *s, const void *p)
{
	long n = bpf_probe_read_user_str(&s->data[OFF(s->pos)], MAX_STR, p);

	if (n <= 0) {
		__builtin_memcpy(&s->data[OFF(s->pos)], "<NA>", 5);
		n = 5;
	}
	ev_param_len(s, n);
}

static __always_inline void put_str_kernel(struct scratch *s, const void *p, __u32 max)
{
	long n = bpf_probe_read_kernel_str(&s->data[OFF(s->pos)], max & (MAX_STR - 1), p);

	ev_param_len(s, n > 0 ? n : 0);
}

/*
 * n capped at max (a power of two) in a form the verifier can follow: the
 * barrier keeps the compiler from moving the mask away from the use.
 */
static __always_inline __u32 bound(__u32 n, __u32 max)
{
	if (n > max)
		n = max;
	barrier_var(n);
	return n & (2 * max - 1);
}

/* Up to snaplen bytes of a user buffer of len bytes. */
static __always_inline void put_buf_user(struct scratch *s, const void *p, __s64 len)
{
	__u32 n = len < 0 ? 0 : len > snaplen ? snaplen : len;

	n = bound(n, SYSREC_MAX_SNAPLEN);
	if (n && bpf_probe_read_user(&s->data[OFF(s->pos)], n, p))
		n = 0;
	ev_param_len(s, n);
}

/* A user memory range [start, end) capped at MAX_ARGS_BUF (argv, env). */
static __always_inline void put_range_user(struct scratch *s, unsigned long start, unsigned long end)
{
	__u32 n = bound(end > start ? end - start : 0, MAX_ARGS_BUF);

	if (n && bpf_probe_read_user(&s->data[OFF(s->pos)], n, (void *)start))
		n = 0;
	ev_param_len(s, n);
}

#define MAX_IOVCNT 32 /* iovecs looked at, as the drivers */

struct iov_walk {
	struct scratch *s;
	const struct iovec *iov;
	__u64 cnt;
	__u64 total; /* the lengths added up */
	__u32 room;  /* data bytes still to copy */
};

/* One iovec: its length counted, its data copied while there is room (a bpf_loop callback). */
static long iov_one(__u32 i, void *data)
{
	struct iov_walk *w = data;
	struct scratch *s = w->s;
	struct iovec v;
	__u32 n;

	if (i >= w->cnt || bpf_probe_read_user(&v, sizeof(v), &w->iov[i]))
		return 1;
	w->total += v.iov_len;
	n = bound(v.iov_len < w->room ? v.iov_len : w->room, SYSREC_MAX_SNAPLEN);
	if (n && bpf_probe_read_user(&s->data[OFF(s->pos)], n, v.iov_base) == 0) {
		s->pos += n;
		w->room -= n;
	} else if (n) {
		w->room = 0; /* unreadable: what was gathered so far */
	}
	return 0;
}

/*
 * An iovec array's parameters: when with_size its size (the lengths added
 * up, at most max), when with_data up to min(max, snaplen) of its bytes.
 */
static __always_inline void put_iov(struct scratch *s, const void *iov, __u64 cnt, bool with_size,
                                    bool with_data, __u64 max)
{
	struct iov_walk w = { s, iov, cnt, 0, with_data ? (max < snaplen ? max : snaplen) : 0 };
	__u32 at = s->pos, start;
	__u32 size;

	if (with_size)
		put_u32(s, 0); /* filled in below */
	start = s->pos;
	if (iov && cnt)
		bpf_loop(MAX_IOVCNT, iov_one, &w, 0);
	size = w.total < max ? w.total : max;
	if (with_size)
		__builtin_memcpy(&s->data[OFF(at)], &size, 4);
	if (with_data) {
		__u32 n = s->pos - start;

		s->pos = start;
		ev_param_len(s, n);
	}
}

/* A PT_DYN parameter: the index of the value's type, then the value's n bytes. */
static __always_inline void put_dyn(struct scratch *s, __u8 idx, __u32 n, __u64 v)
{
	s->data[OFF(s->pos)] = idx;
	__builtin_memcpy(&s->data[OFF(s->pos + 1)], &v, 8);
	ev_param_len(s, 1 + n);
}

/* ---- submitting it, or counting it lost ---- */

/* Count one lost event (ring full or too big) to be told in the ring later. */
static __always_inline void ev_lost(struct sysrec_stats *st, __u64 ts, __u64 tid, bool big)
{
	if (big)
		__sync_fetch_and_add(&st->drops_big, 1);
	else
		__sync_fetch_and_add(&st->drops_ring, 1);
	if (!st->pend_ring && !st->pend_big) {
		st->pend_first_ts = ts;
		st->pend_tid = tid;
	}
	st->pend_last_ts = ts;
	if (big)
		__sync_fetch_and_add(&st->pend_big, 1);
	else
		__sync_fetch_and_add(&st->pend_ring, 1);
}

/* The time and thread a scratch event was stamped with. */
static __always_inline void ev_lost_scratch(struct sysrec_stats *st, struct scratch *s, bool big)
{
	__u64 ts, tid;

	__builtin_memcpy(&ts, &s->data[PRE], 8);
	__builtin_memcpy(&tid, &s->data[PRE + 8], 8);
	ev_lost(st, ts, tid, big);
}

/* Tell the losses gathered on this CPU, ahead of the event about to be written. */
static __always_inline void ev_tell_losses(struct sysrec_stats *st)
{
	struct {
		struct sysrec_rec_head h;
		struct sysrec_drops d;
	} r;

	r.h.cpu = bpf_get_smp_processor_id();
	r.h.flags = SYSREC_REC_DROPS;
	r.h.len = sizeof(r.d);
	r.d.first_ts = st->pend_first_ts;
	r.d.last_ts = st->pend_last_ts;
	r.d.tid = st->pend_tid;
	r.d.ring = st->pend_ring;
	r.d.big = st->pend_big;
	if (bpf_ringbuf_output(&rb, &r, sizeof(r), BPF_RB_NO_WAKEUP) == 0) {
		__sync_fetch_and_sub(&st->pend_ring, r.d.ring);
		__sync_fetch_and_sub(&st->pend_big, r.d.big);
	}
}

static __always_inline void ev_submit(struct scratch *s)
{
	__u32 key = 0, len = s->pos - PRE;
	struct sysrec_stats *st = bpf_map_lookup_elem(&stats, &key);
	struct sysrec_rec_head head = { .cpu = bpf_get_smp_processor_id(), .len = len };

	if (!st)
		return;
	if (s->arg != s->nparams) {
		__sync_fetch_and_add(&st->bad_params, 1);
		return;
	}
	if (len > SYSREC_MAX_EVENT - PRE) {
		ev_lost_scratch(st, s, true);
		return;
	}
	if (st->pend_ring || st->pend_big)
		ev_tell_losses(st);
	st32(&s->data[PRE + 16], len);
	__builtin_memcpy(s->data, &head, sizeof(head));
	if (bpf_ringbuf_output(&rb, s->data, (len + PRE) & (SYSREC_MAX_EVENT - 1), BPF_RB_NO_WAKEUP))
		ev_lost_scratch(st, s, false);
	else
		st->events++; /* a statistic: a rare lost update under preemption is harmless */
}

/* ---- events the dispatchers write themselves ---- */

/*
 * Reserve ring space for an event of at most size bytes (a constant) and
 * write its record head and event header. NULL when the ring is full: the
 * loss is counted, to be told in the ring before the next event that fits.
 */
static __always_inline __u8 *ring_begin(struct sysrec_stats *st, __u32 size, __u64 ts, __u64 tid, __u16 type,
                                        __u32 nparams)
{
	__u8 *p;

	if (st->pend_ring || st->pend_big)
		ev_tell_losses(st);
	p = bpf_ringbuf_reserve(&rb, PRE + size, 0);
	if (!p) {
		ev_lost(st, ts, tid, false);
		return NULL;
	}
	st16(p, bpf_get_smp_processor_id());
	st16(p + 2, SYSREC_REC_EVENT);
	st32(p + 4, size);
	st64(p + PRE, ts);
	st64(p + PRE + 8, tid);
	st32(p + PRE + 16, size);
	st16(p + PRE + 20, type);
	st32(p + PRE + 22, nparams);
	return p;
}

static __always_inline void ring_end(struct sysrec_stats *st, __u8 *p)
{
	bpf_ringbuf_submit(p, BPF_RB_NO_WAKEUP);
	st->events++;
}

/* One u16 length, then a u64 or u32 value: the shapes with a single parameter. */
static __always_inline void ring_one(struct sysrec_stats *st, __u64 ts, __u64 tid, __u16 type, __u64 v,
                                     bool wide)
{
	__u8 *p;

	if (wide) {
		p = ring_begin(st, SYSREC_EVT_HDR + 2 + 8, ts, tid, type, 1);
		if (!p)
			return;
		st16(p + PRE + SYSREC_EVT_HDR, 8);
		st64(p + PRE + SYSREC_EVT_HDR + 2, v);
	} else {
		p = ring_begin(st, SYSREC_EVT_HDR + 2 + 4, ts, tid, type, 1);
		if (!p)
			return;
		st16(p + PRE + SYSREC_EVT_HDR, 4);
		st32(p + PRE + SYSREC_EVT_HDR + 2, v);
	}
	ring_end(st, p);
}

/*
 * res and up to snaplen bytes of the buffer in the second argument (read,
 * write, recv, send exits). The ring space is reserved for a full snaplen
 * (the loader routes here only when snaplen <= SYSREC_SHAPE_SNAPLEN); the
 * record's length says what was used.
 */
static __always_inline void ring_res_data(struct sysrec_stats *st, __u64 ts, __u64 tid, __u16 type,
                                          struct pt_regs *regs, long ret, bool is_read)
{
	__s64 len = is_read ? ret : ret < 0 ? (__s64)arg(regs, 2) : ret;
	__u64 n = len < 0 ? 0 : len, max = snaplen;
	__u8 *p;

	p = ring_begin(st, SYSREC_EVT_HDR + 12 + snaplen, ts, tid, type, 2);
	if (!p)
		return;
	/* n = min(n, snaplen), in a form the verifier follows (snaplen is a known constant) */
	asm volatile("if %[n] <= %[max] goto +1; %[n] = %[max]" : [n] "+r"(n) : [max] "r"(max));
	if (n && bpf_probe_read_user(p + PRE + SYSREC_EVT_HDR + 12, n, (void *)arg(regs, 1)))
		n = 0;
	st32(p + 4, SYSREC_EVT_HDR + 12 + n);
	st32(p + PRE + 16, SYSREC_EVT_HDR + 12 + n);
	st16(p + PRE + SYSREC_EVT_HDR, 8);
	st16(p + PRE + SYSREC_EVT_HDR + 2, n);
	st64(p + PRE + SYSREC_EVT_HDR + 4, ret);
	ring_end(st, p);
}

/* Write an enter (exit: ret valid) event of a dispatcher-written shape, stamped ts. */
static __always_inline void ring_shaped(struct pt_regs *regs, long ret, const struct sysrec_route *r,
                                        __u64 pid_tgid, __u32 nr, bool exit, __u64 ts)
{
	__u64 tid = pid_tgid & 0xffffffff;
	__u8 shape = exit ? r->shapes >> 4 : r->shapes & 15;
	__u16 type = exit ? r->exit : r->enter;
	struct sysrec_stats *st;
	__u32 key = 0;
	__u8 *p;

	st = bpf_map_lookup_elem(&stats, &key);
	if (!st)
		return;
	switch (shape) {
	case SYSREC_SHAPE_GENERIC:
		if (exit) {
			p = ring_begin(st, SYSREC_EVT_HDR + 2 + 2, ts, tid, PPME_GENERIC_X,
			               PPME_GENERIC_X_NPARAMS);
			if (!p)
				return;
			st16(p + PRE + SYSREC_EVT_HDR, 2);
			st16(p + PRE + SYSREC_EVT_HDR + 2, r->ppm_sc);
		} else {
			p = ring_begin(st, SYSREC_EVT_HDR + 4 + 4, ts, tid, PPME_GENERIC_E,
			               PPME_GENERIC_E_NPARAMS);
			if (!p)
				return;
			st32(p + PRE + SYSREC_EVT_HDR, 2 | 2 << 16);
			st16(p + PRE + SYSREC_EVT_HDR + 4, r->ppm_sc);
			st16(p + PRE + SYSREC_EVT_HDR + 6, nr);
		}
		ring_end(st, p);
		return;
	case SYSREC_SHAPE_EMPTY:
		p = ring_begin(st, SYSREC_EVT_HDR, ts, tid, type, 0);
		if (p)
			ring_end(st, p);
		return;
	case SYSREC_SHAPE_FD:
		ring_one(st, ts, tid, type, (__s64)(int)arg(regs, 0), true);
		return;
	case SYSREC_SHAPE_FD_SIZE:
		p = ring_begin(st, SYSREC_EVT_HDR + 4 + 12, ts, tid, type, 2);
		if (!p)
			return;
		st32(p + PRE + SYSREC_EVT_HDR, 8 | 4 << 16);
		st64(p + PRE + SYSREC_EVT_HDR + 4, (__s64)(int)arg(regs, 0));
		st32(p + PRE + SYSREC_EVT_HDR + 12, arg(regs, 2));
		ring_end(st, p);
		return;
	case SYSREC_SHAPE_RES:
		ring_one(st, ts, tid, type, ret, true);
		return;
	case SYSREC_SHAPE_ID:
		ring_one(st, ts, tid, type, ret, false);
		return;
	case SYSREC_SHAPE_RES_READ:
		ring_res_data(st, ts, tid, type, regs, ret, true);
		return;
	case SYSREC_SHAPE_RES_WRITE:
		ring_res_data(st, ts, tid, type, regs, ret, false);
		return;
	}
}

/* The benchmarks' bare event (floor_mode 2): the header alone. */
static __always_inline void ring_bare(__u16 type, __u64 pid_tgid, __u64 ts)
{
	struct sysrec_stats *st;
	__u32 key = 0;
	__u8 *p;

	st = bpf_map_lookup_elem(&stats, &key);
	if (!st)
		return;
	p = ring_begin(st, SYSREC_EVT_HDR, ts, pid_tgid & 0xffffffff, type, 0);
	if (p)
		ring_end(st, p);
}
