/* capture: a flight-recorder window into a stored .scap file (see capture.h). */
#include "capture.h"

#include "../event/event.h"
#include "../common/common.h"
#include "../filter/filter.h"
#include "../state/source.h"
#include "../state/state.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

/* PPME_SYSCALL_READ_X: what sysdig judges its process table as, with --filter-proclist */
#define EV_PROCLIST_TYPE PPME_SYSCALL_READ_X

/*
 * Events may reach the recorder a little out of time order: the window ends
 * once one this late is read, or once the recorder is complete this far past it.
 */
#define LATE_NS 500000000ULL

struct job {
	struct recorder *r;
	const struct capture_request *q;
	uint64_t t0, t1;
	struct store_put *put;
	struct scap_writer *w;
	struct state *st;
	struct filter *flt;
	bool head_done, trigger_done;
	const char *history_why; /* why the recorder no longer held the window's start */
	struct capture_result *out;
	struct sbuf ev;
	uint64_t from;         /* the first instant the file covers (t0, or later when history is short) */
	uint64_t stream_ts;    /* the last event read */
	uint64_t loss_version; /* of the recorder's loss log when last read */
	struct i64map marked;  /* loss run id -> uint64_t[EVENT_LOST_NCAUSES] already marked */
};

static int put_out(void *ctx, const void *p, size_t n)
{
	return store_put_write(ctx, p, n);
}

/* "HH:MM:SS.nnnnnnnnn UTC" of epoch ns, for notifications. */
static void utc_text(uint64_t ns, char *buf, size_t n)
{
	time_t s = (time_t)(ns / 1000000000ULL);
	struct tm tm;
	char hms[32];

	gmtime_r(&s, &tm);
	strftime(hms, sizeof(hms), "%Y-%m-%d %H:%M:%S", &tm);
	snprintf(buf, n, "%s.%09" PRIu64 " UTC", hms, (uint64_t)(ns % 1000000000ULL));
}

/* A notification event (what sysdig shows as evt.type=notification) with this id and text. */
static void notify(struct job *j, uint64_t ts, const char *id, const char *desc)
{
	const void *val[2] = { id, desc };
	uint32_t len[2] = { (uint32_t)strlen(id) + 1, (uint32_t)strlen(desc) + 1 };

	sbuf_reset(&j->ev);
	scap_encode_event(&j->ev, ts, 0, PPME_NOTIFICATION_E, PPME_NOTIFICATION_E_NPARAMS, val, len);
	scap_writer_event_bytes(j->w, 0, 0, (const uint8_t *)j->ev.data, (uint32_t)j->ev.len);
	j->out->events++;
}

/* "N" with its causes: "ring buffer full 3, recorder behind 2" (nonzero ones only). */
static void causes_text(const uint64_t n[CAPTURE_LOST_NCAUSES], char *buf, size_t size)
{
	size_t off = 0;

	buf[0] = 0;
	for (int c = 0; c < CAPTURE_LOST_NCAUSES && off < size; c++) {
		if (!n[c])
			continue;
		off += (size_t)snprintf(buf + off, size - off, "%s%s %" PRIu64, off ? ", " : "",
		                        c == CAPTURE_LOST_OVERRUN
		                                ? "let go before this capture read them"
		                                : event_loss_cause_name((enum event_loss_cause)c),
		                        n[c]);
	}
}

/*
 * Drop marks for n events lost from first to last (epoch ns): drop begin, a
 * notification (id) naming the counts, drop end, stamped within the covered
 * span [j->from, t1], and counted in the result.
 */
static void mark_loss(struct job *j, const char *id, uint16_t cpu, uint64_t first, uint64_t last, int64_t tid,
                      const uint64_t n[CAPTURE_LOST_NCAUSES], bool more)
{
	uint64_t total = 0, b, e;
	char causes[256], from[64], to[64], where[32], desc[1024];
	uint32_t len[3];
	size_t off = 0;

	for (int c = 0; c < CAPTURE_LOST_NCAUSES; c++) {
		total += n[c];
		j->out->lost_by[c] += n[c];
	}
	if (!total)
		return;
	j->out->lost += total;
	b = first < j->from ? j->from : first > j->t1 ? j->t1 : first;
	e = last < b ? b : last > j->t1 ? j->t1 : last;
	causes_text(n, causes, sizeof(causes));
	utc_text(first, from, sizeof(from));
	utc_text(last, to, sizeof(to));
	if (cpu == EVENT_ANY_CPU)
		where[0] = 0;
	else
		snprintf(where, sizeof(where), " on CPU %u", cpu);
	snprintf(desc, sizeof(desc), "%" PRIu64 "%s events lost%s from %s to %s: %s%s%s", total,
	         more ? " more" : "", where, from, to, causes,
	         first < j->from ? " (the loss began before this capture's start)" : "",
	         last > j->t1 ? " (and went on after its end)" : "");
	sbuf_reset(&j->ev);
	/* a scoped capture names no thread outside its scope: the marks then belong to none, as notifications
	 */
	scap_encode_drop_marks(&j->ev, id, b, e, j->q->container ? 0 : tid, desc, len);
	for (int i = 0; i < 3; off += len[i++])
		scap_writer_event_bytes(j->w, cpu == EVENT_ANY_CPU ? 0 : cpu, 0,
		                        (const uint8_t *)j->ev.data + off, len[i]);
	j->out->events += 3;
}

/*
 * Mark the recorder's loss runs touching the covered span that are not yet
 * marked (or have grown since): all of them when all is set, else those the
 * stream has reached.
 */
static void mark_losses(struct job *j, bool all)
{
	struct event_loss *v;
	size_t n;

	if (!all && recorder_losses_version(j->r) == j->loss_version)
		return;
	n = recorder_losses(j->r, j->from, j->t1, &v, &j->loss_version);
	for (size_t i = 0; i < n; i++) {
		const struct event_loss *l = &v[i];
		uint64_t *done = i64map_get(&j->marked, (int64_t)l->id);
		uint64_t delta[CAPTURE_LOST_NCAUSES] = { 0 };
		bool any = false, before = false; /* some of the run is already marked */

		if (!all && (l->first_ts > j->from ? l->first_ts : j->from) > j->stream_ts)
			continue; /* the stream has not reached it: marked where it has, or at the end */
		if (!done) {
			done = xcalloc(EVENT_LOST_NCAUSES, sizeof(*done));
			i64map_put(&j->marked, (int64_t)l->id, done);
		}
		for (int c = 0; c < EVENT_LOST_NCAUSES; c++) {
			delta[c] = l->n[c] > done[c] ? l->n[c] - done[c] : 0;
			any |= delta[c] != 0;
			before |= done[c] != 0;
		}
		if (!any)
			continue;
		mark_loss(j, "sysrec-drops", l->cpu, l->first_ts, l->last_ts, (int64_t)l->tid, delta, before);
		for (int c = 0; c < EVENT_LOST_NCAUSES; c++)
			done[c] += delta[c];
	}
	free(v);
}

static void marked_free(struct i64map *m)
{
	for (size_t i = 0; i < m->cap; i++)
		free(m->slots[i].val);
	i64map_release(m);
}

/* Drop marks and notifications belong to no process: the container scope keeps them. */
static bool marks(uint16_t type)
{
	return type == PPME_DROP_E || type == PPME_DROP_X || type == PPME_NOTIFICATION_E;
}

/* Is thread t in the capture's container (always, without one)? */
static bool thread_in_scope(const struct job *j, const struct thread *t)
{
	return !j->q->container || (t && t->container_id && !strcmp(t->container_id, j->q->container));
}

static bool in_container(const struct job *j, const struct evctx *cx)
{
	return marks(cx->ev->type) || thread_in_scope(j, cx->thread);
}

/*
 * Does the filter match thread t as a fake read exit with fd (or with no fd
 * when fd < 0)? sysdig judges its process table so with --filter-proclist.
 */
static bool table_match(struct job *j, struct thread *t, int64_t fd)
{
	static const uint8_t fake_hdr[EVENT_HDR_V2]; /* ts 0, no parameters */
	struct event ev = { .tid = t->tid,
		            .len = EVENT_HDR_V2,
		            .type = EV_PROCLIST_TYPE,
		            .raw = fake_hdr,
		            .raw_len = EVENT_HDR_V2,
		            .version = 2 };
	struct evctx cx = { .ev = &ev, .thread = t, .fd = fd, .has_fd = fd >= 0 };

	if (fd >= 0)
		cx.fdinfo = state_fd(j->st, t, fd);
	return filter_match(j->flt, &cx);
}

/* Does the filter match thread t with any of the fds of snapshot entry i (then marked in keep)? */
static bool fds_match(struct job *j, struct thread *t, const struct state_snapshot *snap, size_t i,
                      bool *keep)
{
	bool any = false;

	for (size_t k = 0; k < snap->nfds[i]; k++) {
		bool m = table_match(j, t, snap->fds[i][k].fd);

		if (keep)
			keep[k] = m;
		any |= m;
	}
	return any;
}

/*
 * Keep, in place, the processes the filter matches and only their matching
 * fds. A thread sharing its process's table (no fds of its own) is judged
 * with that table; a process without fds, with none.
 */
static void filter_table(struct job *j, struct state_snapshot *snap)
{
	struct i64map at; /* tid -> snapshot index + 1 */
	bool *match = xcalloc(snap->n + 1, sizeof(bool));
	size_t kept = 0;

	i64map_init(&at);
	for (size_t i = 0; i < snap->n; i++)
		i64map_put(&at, (int64_t)snap->procs[i].tid, (void *)(uintptr_t)(i + 1));
	/* first the threads without fds of their own, while their processes' lists are whole */
	for (size_t i = 0; i < snap->n; i++) {
		struct thread *t = state_thread(j->st, (int64_t)snap->procs[i].tid);
		struct thread *owner;
		size_t oi;

		if (!t || snap->nfds[i])
			continue;
		owner = state_main_thread(j->st, t);
		oi = (size_t)(uintptr_t)i64map_get(&at, owner->tid);
		match[i] = oi && oi - 1 != i && snap->nfds[oi - 1] ? fds_match(j, t, snap, oi - 1, NULL)
		                                                   : table_match(j, t, -1);
	}
	for (size_t i = 0; i < snap->n; i++) {
		struct thread *t = state_thread(j->st, (int64_t)snap->procs[i].tid);
		size_t nf = 0;

		if (t && snap->nfds[i]) {
			bool *keep = xcalloc(snap->nfds[i], sizeof(bool));

			match[i] = fds_match(j, t, snap, i, keep);
			for (size_t k = 0; k < snap->nfds[i]; k++)
				if (keep[k])
					snap->fds[i][nf++] = snap->fds[i][k];
			free(keep);
		}
		if (!match[i]) {
			free(snap->fds[i]);
			continue;
		}
		snap->procs[kept] = snap->procs[i];
		snap->fds[kept] = snap->fds[i];
		snap->nfds[kept] = nf;
		kept++;
	}
	snap->n = kept;
	free(match);
	i64map_release(&at);
}

/*
 * The containers described before the window (all, or the capture's own):
 * their container events, so that readers name the containers of the
 * window's processes, as the head of a file does.
 */
static void write_containers(struct job *j)
{
	size_t n;
	const struct container *c = state_containers(j->st, &n);

	for (size_t i = 0; i < n; i++) {
		const void *val[1] = { c[i].json };
		uint32_t len[1] = { (uint32_t)strlen(c[i].json) + 1 };

		if (j->q->container && strcmp(c[i].id, j->q->container) != 0)
			continue;
		sbuf_reset(&j->ev);
		scap_encode_event(&j->ev, j->from, -1, PPME_CONTAINER_JSON_2_E,
		                  PPME_CONTAINER_JSON_2_E_NPARAMS, val, len);
		scap_writer_event_bytes(j->w, 0, 0, (const uint8_t *)j->ev.data, (uint32_t)j->ev.len);
		j->out->events++;
	}
}

/* The processes and fds as the window's start finds them; then, if short, when history begins. */
static void write_head(struct job *j)
{
	struct state_snapshot snap;

	state_snapshot(j->st, &snap);
	if (j->q->filter_proclist && j->flt)
		filter_table(j, &snap);
	scap_writer_proc_table(j->w, snap.procs, snap.fds, snap.nfds, snap.n);
	write_containers(j);
	/*
	 * Syscalls in progress at the window's start (in the container scope):
	 * their enter events, so that a reader pairs the exits in the window with
	 * them (a read's exit names no fd; its enter does).
	 */
	for (size_t i = 0; i < snap.n; i++) {
		const struct thread *t = state_thread(j->st, (int64_t)snap.procs[i].tid);

		if (t && thread_in_scope(j, t) && t->enter_len >= EVENT_HDR_V2 && t->last_type < EVENT_MAX &&
		    !event_is_exit(t->last_type) && load_u16(t->enter + 20) == t->last_type &&
		    load_u64(t->enter) == t->last_enter_ts) {
			scap_writer_event_bytes(j->w, t->enter_cpu, 0, t->enter, t->enter_len);
			j->out->events++;
		}
	}
	state_snapshot_free(&snap);
	j->head_done = true;
	if (j->out->history_short) {
		char from[64], desc[256];

		utc_text(j->out->history_from, from, sizeof(from));
		snprintf(desc, sizeof(desc),
		         "history complete from %s: the flight recorder held %.1f of the %.1f seconds "
		         "asked before the trigger (%s)",
		         from,
		         j->q->trigger_ns > j->out->history_from
		                 ? (double)(j->q->trigger_ns - j->out->history_from) / 1e9
		                 : 0.0,
		         (double)j->q->before_ns / 1e9, j->history_why);
		notify(j, j->out->history_from, "sysrec-history", desc);
	}
	mark_losses(j, false);
}

static void mark_trigger(struct job *j)
{
	char desc[512];

	snprintf(desc, sizeof(desc), "capture '%s' triggered by %s", j->q->name ? j->q->name : "",
	         j->q->trigger ? j->q->trigger : "manual");
	notify(j, j->q->trigger_ns, "sysrec-trigger", desc);
	j->trigger_done = true;
}

/*
 * One record of a segment. Returns 1 when the window is over, else 0.
 * first: the segment the job started in (its head is the file's).
 */
static int take(struct job *j, struct source *src, struct scap_record *rec, int kind, bool first)
{
	struct evctx cx;
	struct event ev;
	uint64_t ts;

	if (kind == SOURCE_HEAD) {
		/* the first segment's head is the capture's; a later segment's is not read (the
		 * source was told so): the events have kept the state current */
		source_take(src, rec, &cx);
		if (first && rec->kind != SCAP_REC_PROCS && rec->kind != SCAP_REC_FDS)
			scap_writer_record(j->w, rec);
		return 0;
	}
	ts = rec->ev.ts;
	if (ts > j->t1 + LATE_NS)
		return 1;
	if (ts > j->stream_ts)
		j->stream_ts = ts;
	if (!j->head_done && ts >= j->t0)
		write_head(j); /* the state as it stood before the window's first event */
	source_take(src, rec, &cx);
	if (ts < j->t0 || ts > j->t1)
		return 0;
	if (!j->trigger_done && ts >= j->q->trigger_ns)
		mark_trigger(j);
	if (!in_container(j, &cx))
		return 0;
	ev = rec->ev;
	ev.dump_flags = 0;
	/* a container's description (its runtime answered) is metadata, never filtered out */
	if (j->flt && ev.type != PPME_CONTAINER_JSON_2_E && !filter_match(j->flt, &cx)) {
		int flags = event_rejected_flags(ev.type, false);

		if (flags < 0)
			return 0;
		ev.dump_flags = (uint32_t)flags;
	}
	scap_writer_event(j->w, &ev);
	j->out->events++;
	if (j->q->pids && !ev.dump_flags && cx.thread && cx.thread->pid > 0 &&
	    !i64map_get(j->q->pids, cx.thread->pid))
		i64map_put(j->q->pids, cx.thread->pid, (void *)1);
	return 0;
}

/* Segments the recorder let go before the capture read them: marked where they were. */
static void mark_overrun(struct job *j, uint64_t skipped, uint64_t resume_ts)
{
	uint64_t n[CAPTURE_LOST_NCAUSES] = { 0 };

	n[CAPTURE_LOST_OVERRUN] = skipped;
	if (!j->head_done || resume_ts < j->from)
		return; /* before the window: nothing of it went */
	mark_loss(j, "sysrec-overrun", EVENT_ANY_CPU, j->stream_ts, resume_ts, 0, n, false);
}

/*
 * Read the segments from seg on until the window is over: an event past its
 * end (and the lateness allowed) is read, or the recorder is complete past it
 * and everything it holds is read, or lag_max has passed (cut short).
 */
static int walk(struct job *j, struct recorder_seg *seg, const bool *cancel, capture_storing_fn storing,
                void *ctx, struct err *e)
{
	struct source *src =
	        source_open_mem(recorder_seg_data(seg), recorder_seg_len(seg), j->st, SOURCE_STATE);
	bool first = true, told = false, over = false;
	uint64_t lag_max = j->q->lag_max_ns ? j->q->lag_max_ns : CAPTURE_LAG_MAX_NS;
	int rc = 0;

	for (;;) {
		struct scap_record rec;
		/* first how far the recorder is complete, then what it holds: all of it is before that */
		uint64_t complete = recorder_complete(j->r);
		size_t len = recorder_seg_len(seg);

		if (__atomic_load_n(cancel, __ATOMIC_RELAXED)) {
			rc = err_set(e, -ECANCELED, "the capture was cancelled (the agent is stopping)");
			break;
		}
		if (!told && epoch_ns() > j->t1) {
			told = true;
			if (storing)
				storing(ctx);
		}
		source_mem_grow(src, len);
		/* what is there now, in one go (the clock and the cancel flag are read between runs) */
		for (unsigned n = 0; n < 4096 && source_offset(src) < len; n++) {
			int kind = source_read(src, &rec, e);

			if (kind < 0) {
				rc = kind;
				break;
			}
			if (take(j, src, &rec, kind, first)) {
				over = true;
				break;
			}
		}
		if (rc || over)
			break;
		mark_losses(j, false);
		if (source_offset(src) < len)
			continue;
		if (recorder_seg_sealed(seg) && recorder_seg_len(seg) == len) {
			uint64_t skipped;
			struct recorder_seg *next = recorder_seg_next(j->r, seg, &skipped);

			if (!next)
				continue; /* sealed just now: the next one is there on the next look */
			source_close(src);
			recorder_seg_put(j->r, seg);
			seg = next;
			src = source_open_mem(recorder_seg_data(seg), recorder_seg_len(seg), j->st,
			                      SOURCE_NO_HEADS);
			first = false;
			if (skipped)
				mark_overrun(j, skipped, recorder_seg_first_ts(seg));
			continue;
		}
		/* everything up to the window's end (and a little after) is in, and read */
		if (complete >= j->t1 + LATE_NS)
			break;
		if (epoch_ns() > j->t1 + lag_max) {
			j->out->cut_short = true;
			j->out->end_ns = complete > j->from ? complete : j->from;
			break;
		}
		recorder_wait(j->r, 100);
	}
	source_close(src);
	recorder_seg_put(j->r, seg);
	return rc;
}

/* The span covered and, when the file is not the whole window, why: in out and at the file's end. */
static void finish(struct job *j)
{
	struct capture_result *o = j->out;
	size_t off = 0, size = sizeof(o->incomplete);

	if (!o->cut_short)
		o->end_ns = j->t1;
	if (o->end_ns < j->from)
		o->end_ns = j->from;
	o->incomplete[0] = 0;
	if (o->history_short)
		off += (size_t)snprintf(o->incomplete + off, size - off,
		                        "the flight recorder held %.1f of the %.1f seconds asked before the "
		                        "trigger (%s)",
		                        j->q->trigger_ns > o->history_from
		                                ? (double)(j->q->trigger_ns - o->history_from) / 1e9
		                                : 0.0,
		                        (double)j->q->before_ns / 1e9, j->history_why);
	if (o->lost && off < size) {
		char causes[256];

		causes_text(o->lost_by, causes, sizeof(causes));
		off += (size_t)snprintf(o->incomplete + off, size - off, "%s%" PRIu64 " events lost (%s)",
		                        off ? "; " : "", o->lost, causes);
	}
	if (o->cut_short && off < size) {
		char upto[64];

		utc_text(o->end_ns, upto, sizeof(upto));
		off += (size_t)snprintf(o->incomplete + off, size - off,
		                        "%sthe recorder was behind: it held every event only up to %s, "
		                        "%.1f s before the window's end",
		                        off ? "; " : "", upto, (double)(j->t1 - o->end_ns) / 1e9);
	}
	if (off)
		notify(j, o->end_ns, "sysrec-incomplete", o->incomplete);
}

int capture_filter_check(const char *filter, struct err *e)
{
	struct state *st = state_new();
	struct filter *f = filter_compile(st, filter, e);
	int rc = f ? 0 : -EINVAL;

	filter_free(f);
	state_free(st);
	return rc;
}

int capture_write(struct recorder *r, struct store *s, const char *key, const struct capture_request *q,
                  const bool *cancel, capture_storing_fn storing, void *ctx, struct capture_result *out,
                  struct err *e)
{
	struct job j = { 0 };
	struct recorder_seg *seg;
	int rc;

	memset(out, 0, sizeof(*out));
	j.r = r;
	j.q = q;
	j.out = out;
	j.t0 = q->before_ns < q->trigger_ns ? q->trigger_ns - q->before_ns : 0;
	j.t1 = q->trigger_ns + q->after_ns;
	j.st = state_new();
	if (q->filter && *q->filter && !(j.flt = filter_compile(j.st, q->filter, e))) {
		state_free(j.st);
		return -EINVAL;
	}
	/* from a little earlier: events at t0, or a little out of order, may end the segment before */
	seg = recorder_seg_at(r, j.t0 > LATE_NS ? j.t0 - LATE_NS : 0);
	if (!seg) {
		filter_free(j.flt);
		state_free(j.st);
		return err_set(e, -EAGAIN, "the flight recorder holds nothing yet");
	}
	if (recorder_seg_first_ts(seg) > j.t0 && q->before_ns) {
		struct recorder_stats rs;

		out->history_short = true;
		out->history_from = recorder_seg_first_ts(seg);
		recorder_stats(r, &rs);
		j.history_why = rs.let_go ? "recorder.max_memory bounds it"
		                : rs.aged ? "recorder.seconds bounds it"
		                          : "the recording began then";
	}
	j.from = out->history_short ? out->history_from : j.t0;
	i64map_init(&j.marked);
	j.put = store_put_begin(s, key, e);
	if (!j.put) {
		recorder_seg_put(r, seg);
		filter_free(j.flt);
		state_free(j.st);
		return -EIO;
	}
	sbuf_init(&j.ev, 512);
	j.w = scap_writer_open_fn(put_out, j.put);
	rc = walk(&j, seg, cancel, storing, ctx, e);
	if (!rc) {
		if (!j.head_done)
			write_head(&j);
		if (!j.trigger_done)
			mark_trigger(&j);
		mark_losses(&j, true);
		finish(&j);
	}
	marked_free(&j.marked);
	out->start_ns = j.from;
	if (!rc)
		rc = scap_writer_close(j.w, e);
	else
		scap_writer_abort(j.w);
	if (!rc)
		rc = store_put_commit(j.put, out->sha256, &out->size, e);
	else
		store_put_abort(j.put);
	sbuf_release(&j.ev);
	filter_free(j.flt);
	state_free(j.st);
	return rc;
}
