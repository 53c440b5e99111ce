/*
 * test_capture: real captures replayed into a flight recorder as the agent
 * would (host from the file's metadata, every event framed and appended), then
 * windows cut with capture_write() into a local store and read back: the
 * events of the window, formatted through a fresh state from the capture's own
 * head, must read exactly as they do in the continuous source file.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <ftw.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "../../src/capture/capture.h"
#include "../../src/filter/filter.h"
#include "../../src/recorder/recorder.h"
#include "../../src/scap/scap.h"
#include "../../src/state/state.h"
#include "../../src/store/store.h"

#define EV_NOTIFICATION 280
#define EV_DROP_E       148
#define EV_DROP_X       149
#define LATE_TEST_NS    (NS / 2 + 1) /* capture.c's LATE_NS, and a little */
#define NS              1000000000ULL
/* '*': a line for every event, <NA> for a field it lacks */
#define LINE_FORMAT "*%evt.rawtime %evt.type %evt.dir %proc.name %thread.tid %fd.name %evt.args"
/*
 * For filtered captures: the events that made a process or fd in the window
 * are not in the file (as with sysdig -w FILTER without -F), so a reader of it
 * cannot name what they made; the event's own parameters still read the same.
 */
#define EVENT_FORMAT "*%evt.rawtime %evt.type %evt.dir %thread.tid %evt.args"

/* ------------------------------------------------------------ the source */

/* The host of a capture: its metadata records up to the first event, copied. */
struct host {
	struct scap_machine machine;
	struct scap_iface *ifaces;
	size_t nifaces;
	struct scap_user *users;
	size_t nusers;
	struct scap_group *groups;
	size_t ngroups;
	struct scap_proc *procs;
	size_t nprocs;
	struct scap_fd **fds;
	size_t *nfds;
	size_t orphan_fds; /* fd lists of threads the process list lacks */
};

/* A source capture in memory: its host and its events, framed as the agent frames them. */
struct source {
	char path[512];
	struct host h;
	struct sbuf framed;
	size_t nevents;
	uint64_t *ts; /* per event, in file order */
	int64_t *tid;
	uint16_t *type;
	uint64_t first_ts, last_ts;
};

static const char *testdata_dir(void)
{
	return env_or("SYSREC_TESTDATA", "../shared/testdata");
}

static char *dup_bytes(const char *p, size_t n)
{
	char *d = xmalloc(n + 1);

	if (n)
		memcpy(d, p, n);
	d[n] = 0;
	return d;
}

static char *dup_str(const char *s)
{
	return xstrdup(s ? s : "");
}

static void host_add_procs(struct host *h, const struct scap_record *rec)
{
	h->procs = xrealloc(h->procs, (h->nprocs + rec->nprocs) * sizeof(*h->procs));
	h->fds = xrealloc(h->fds, (h->nprocs + rec->nprocs) * sizeof(*h->fds));
	h->nfds = xrealloc(h->nfds, (h->nprocs + rec->nprocs) * sizeof(*h->nfds));
	for (size_t i = 0; i < rec->nprocs; i++) {
		const struct scap_proc *s = &rec->procs[i];
		struct scap_proc *d = &h->procs[h->nprocs];

		*d = *s;
		d->comm = dup_str(s->comm);
		d->exe = dup_str(s->exe);
		d->exepath = dup_str(s->exepath);
		d->cwd = dup_str(s->cwd);
		d->root = dup_str(s->root);
		d->args = dup_bytes(s->args, s->args ? s->args_len : 0);
		d->env = dup_bytes(s->env, s->env ? s->env_len : 0);
		d->cgroups = dup_bytes(s->cgroups, s->cgroups ? s->cgroups_len : 0);
		h->fds[h->nprocs] = NULL;
		h->nfds[h->nprocs] = 0;
		h->nprocs++;
	}
}

static void host_add_fds(struct host *h, const struct scap_record *rec)
{
	size_t i, n;

	for (i = 0; i < h->nprocs && h->procs[i].tid != rec->fds_tid; i++)
		;
	if (i == h->nprocs) {
		h->orphan_fds++;
		return;
	}
	n = h->nfds[i];
	h->fds[i] = xrealloc(h->fds[i], (n + rec->nfds) * sizeof(*h->fds[i]));
	for (size_t k = 0; k < rec->nfds; k++) {
		h->fds[i][n + k] = rec->fds[k];
		h->fds[i][n + k].name = dup_str(rec->fds[k].name);
	}
	h->nfds[i] = n + rec->nfds;
}

static void host_add(struct host *h, const struct scap_record *rec)
{
	switch (rec->kind) {
	case SCAP_REC_MACHINE:
		h->machine = rec->machine;
		break;
	case SCAP_REC_IFACES:
		h->ifaces = xrealloc(h->ifaces, (h->nifaces + rec->nifaces) * sizeof(*h->ifaces));
		for (size_t i = 0; i < rec->nifaces; i++) {
			h->ifaces[h->nifaces] = rec->ifaces[i];
			h->ifaces[h->nifaces++].name = dup_str(rec->ifaces[i].name);
		}
		break;
	case SCAP_REC_USERS:
		h->users = xrealloc(h->users, (h->nusers + rec->nusers) * sizeof(*h->users));
		for (size_t i = 0; i < rec->nusers; i++) {
			struct scap_user *u = &h->users[h->nusers++];

			*u = rec->users[i];
			u->name = dup_str(rec->users[i].name);
			u->homedir = dup_str(rec->users[i].homedir);
			u->shell = dup_str(rec->users[i].shell);
		}
		h->groups = xrealloc(h->groups, (h->ngroups + rec->ngroups) * sizeof(*h->groups));
		for (size_t i = 0; i < rec->ngroups; i++) {
			h->groups[h->ngroups] = rec->groups[i];
			h->groups[h->ngroups++].name = dup_str(rec->groups[i].name);
		}
		break;
	case SCAP_REC_PROCS:
		host_add_procs(h, rec);
		break;
	case SCAP_REC_FDS:
		host_add_fds(h, rec);
		break;
	default:
		break;
	}
}

static void host_free(struct host *h)
{
	for (size_t i = 0; i < h->nifaces; i++)
		free(h->ifaces[i].name);
	for (size_t i = 0; i < h->nusers; i++) {
		free(h->users[i].name);
		free(h->users[i].homedir);
		free(h->users[i].shell);
	}
	for (size_t i = 0; i < h->ngroups; i++)
		free(h->groups[i].name);
	for (size_t i = 0; i < h->nprocs; i++) {
		scap_proc_release(&h->procs[i]);
		for (size_t k = 0; k < h->nfds[i]; k++)
			scap_fd_release(&h->fds[i][k]);
		free(h->fds[i]);
	}
	free(h->ifaces);
	free(h->users);
	free(h->groups);
	free(h->procs);
	free(h->fds);
	free(h->nfds);
	memset(h, 0, sizeof(*h));
}

static struct recorder_host host_view(const struct host *h)
{
	struct recorder_host v = { 0 };

	v.machine = &h->machine;
	v.ifaces = h->ifaces;
	v.nifaces = h->nifaces;
	v.users = h->users;
	v.nusers = h->nusers;
	v.groups = h->groups;
	v.ngroups = h->ngroups;
	v.procs = h->procs;
	v.fds = (struct scap_fd *const *)h->fds;
	v.nfds = h->nfds;
	v.nprocs = h->nprocs;
	return v;
}

/* Frame ev (a v1 header gains its nparams) as one EV_V2 block at the end of out. */
static void frame(struct sbuf *out, const struct event *ev)
{
	uint8_t stack[4096];
	uint8_t *v2 = ev->len <= sizeof(stack) ? stack : xmalloc(ev->len);
	size_t n;

	if (ev->version == 2) {
		memcpy(v2, ev->raw, ev->raw_len);
	} else {
		uint32_t len = ev->len;

		memcpy(v2, ev->raw, EVENT_HDR_V1);
		memcpy(v2 + 16, &len, 4);
		memcpy(v2 + 22, &ev->nparams, 4);
		memcpy(v2 + EVENT_HDR_V2, ev->raw + EVENT_HDR_V1, ev->raw_len - EVENT_HDR_V1);
	}
	n = scap_frame_size(ev->len);
	sbuf_grow(out, n);
	scap_frame_event((uint8_t *)out->data + out->len, ev->cpu, v2, ev->len);
	out->len += n;
	if (v2 != stack)
		free(v2);
}

/* Load path; false (with a visible message) when the shared testdata is absent. */
static bool source_load(struct source *src, const char *path)
{
	struct err e = { { 0 } };
	struct scap_reader *rd;
	struct scap_record rec;
	size_t cap = 1024;
	int rc;

	memset(src, 0, sizeof(*src));
	snprintf(src->path, sizeof(src->path), "%s", path);
	if (access(path, R_OK) != 0) {
		fprintf(stderr, "test_capture: SKIP: shared capture %s not found (set SYSREC_TESTDATA)\n",
		        path);
		return false;
	}
	rd = scap_reader_open(path, &e);
	if (!rd)
		fail_msg("%s", e.msg);
	sbuf_init(&src->framed, 1 << 16);
	src->ts = xmalloc(cap * sizeof(*src->ts));
	src->tid = xmalloc(cap * sizeof(*src->tid));
	src->type = xmalloc(cap * sizeof(*src->type));
	memset(&rec, 0, sizeof(rec));
	while ((rc = scap_reader_next(rd, &rec, &e)) > 0) {
		if (rc != SCAP_REC_EVENT) {
			/* these files describe the host once, ahead of their events */
			assert_int_equal(src->nevents, 0);
			host_add(&src->h, &rec);
			continue;
		}
		assert_int_equal(rec.ev.dump_flags, 0);
		if (src->nevents == cap) {
			cap *= 2;
			src->ts = xrealloc(src->ts, cap * sizeof(*src->ts));
			src->tid = xrealloc(src->tid, cap * sizeof(*src->tid));
			src->type = xrealloc(src->type, cap * sizeof(*src->type));
		}
		src->tid[src->nevents] = rec.ev.tid;
		src->type[src->nevents] = rec.ev.type;
		src->ts[src->nevents++] = rec.ev.ts;
		if (!src->first_ts || rec.ev.ts < src->first_ts)
			src->first_ts = rec.ev.ts;
		if (rec.ev.ts > src->last_ts)
			src->last_ts = rec.ev.ts;
		frame(&src->framed, &rec.ev);
	}
	if (rc < 0)
		fail_msg("%s: %s", path, e.msg);
	scap_reader_close(rd);
	assert_int_equal(src->h.orphan_fds, 0);
	assert_true(src->h.nprocs > 0);
	assert_true(src->nevents > 100);
	assert_true(src->last_ts > src->first_ts);
	return true;
}

static bool source_load_shared(struct source *src, const char *name)
{
	char path[512];

	snprintf(path, sizeof(path), "%s/scap/%s", testdata_dir(), name);
	return source_load(src, path);
}

static void source_free(struct source *src)
{
	host_free(&src->h);
	sbuf_release(&src->framed);
	free(src->ts);
	free(src->tid);
	free(src->type);
	memset(src, 0, sizeof(*src));
}

/*
 * The first event k >= from where a window may start without cutting a
 * syscall in two: the first of its time (a window takes every event of its
 * start time), and no thread's exit at or after k follows its enter before k.
 * Such an exit's fd is its enter's, which the head cannot carry: its fd.name
 * would not resolve (see the report of this test).
 */
static size_t clean_cut(const struct source *src, size_t from)
{
	int *cross = xcalloc(src->nevents + 2, sizeof(*cross));
	int64_t *tids = xmalloc(src->nevents * sizeof(*tids));
	size_t *prev = xmalloc(src->nevents * sizeof(*prev));
	size_t ntids = 0, k;
	int open = 0;

	for (size_t j = 0; j < src->nevents; j++) {
		size_t t;

		for (t = 0; t < ntids && tids[t] != src->tid[j]; t++)
			;
		if (t == ntids) {
			tids[ntids++] = src->tid[j];
		} else if ((src->type[j] & 1) && src->type[prev[t]] == src->type[j] - 1) {
			cross[prev[t] + 1]++; /* the pair (prev, j) spans the cuts prev+1 .. j */
			cross[j + 1]--;
		}
		prev[t] = j;
	}
	for (k = 0; k < src->nevents; k++) {
		open += cross[k];
		if (k >= from && !open && (k == 0 || src->ts[k] != src->ts[k - 1]))
			break;
	}
	free(cross);
	free(tids);
	free(prev);
	assert_true(k < src->nevents);
	return k;
}

/*
 * A recorder holding every event of src, appended in runs of about `run`
 * events, and marked complete up to complete_ts (UINT64_MAX: a replay,
 * nothing more will come).
 */
static struct recorder *record_upto(const struct source *src, const struct recorder_opts *o, size_t run,
                                    uint64_t complete_ts)
{
	struct recorder_host h = host_view(&src->h);
	struct recorder *r = recorder_new(o, &h);
	const uint8_t *p = (const uint8_t *)src->framed.data;
	size_t off = 0, start = 0, n = 0;
	struct recorder_stats st;

	while (off < src->framed.len) {
		off += load_u32(p + off + 4);
		if (++n % run == 0 || off == src->framed.len) {
			recorder_append(r, p + start, off - start);
			start = off;
		}
	}
	recorder_stats(r, &st);
	assert_int_equal(st.events, src->nevents);
	assert_int_equal(st.newest_ns, src->last_ts);
	recorder_mark_complete(r, complete_ts);
	return r;
}

static struct recorder *record(const struct source *src, const struct recorder_opts *o, size_t run)
{
	return record_upto(src, o, run, UINT64_MAX);
}

/* ------------------------------------------------------------ reading back */

struct lines {
	char **v;
	uint16_t *type;
	uint64_t *ts;
	size_t n, cap;
};

/* What a capture holds besides the window's lines. */
struct capinfo {
	uint64_t events; /* all, notifications included */
	size_t ntrigger, nhistory, noverrun, nother_note;
	uint64_t trigger_ts, history_ts;
	char history_desc[256];
	/* drop marks: begin and end events, and the sysrec-drops notifications' counts */
	size_t ndrop_begin, ndrop_end, ndrops;
	uint64_t drop_begin_min, drop_begin_max, drop_end_max; /* times */
	uint64_t drops_told;                                   /* the counts the notifications lead with */
	size_t nincomplete;
	uint64_t incomplete_ts;
	char incomplete_desc[512];
	bool note_first;   /* the first event of the file is a notification */
	uint64_t first_ts; /* the first event that is not a notification */
	size_t meta_after_events;
	uint64_t t0;    /* the window's start */
	uint64_t early; /* enters before t0: syscalls in progress at the window's start */
};

static void lines_add(struct lines *l, const char *s, size_t n, uint16_t type, uint64_t ts)
{
	if (l->n == l->cap) {
		l->cap = l->cap ? 2 * l->cap : 256;
		l->v = xrealloc(l->v, l->cap * sizeof(*l->v));
		l->type = xrealloc(l->type, l->cap * sizeof(*l->type));
		l->ts = xrealloc(l->ts, l->cap * sizeof(*l->ts));
	}
	l->v[l->n] = dup_bytes(s, n);
	l->type[l->n] = type;
	l->ts[l->n++] = ts;
}

static void lines_free(struct lines *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
	free(l->type);
	free(l->ts);
	memset(l, 0, sizeof(*l));
}

/*
 * Read rd through a fresh state as any reader would, and format a line for
 * each event with ts in [t0, t1] (file order). ci: the file is a capture;
 * its notifications are counted there instead of formatted.
 */
static void read_lines(struct scap_reader *rd, uint64_t t0, uint64_t t1, const char *fmt, struct lines *out,
                       struct capinfo *ci)
{
	struct state *st = state_new();
	struct err e = { { 0 } };
	struct output *o = output_new(st, fmt, false, &e);
	struct scap_record rec;
	struct sbuf line;
	bool seen_event = false;
	int rc;

	if (!o)
		fail_msg("%s", e.msg);
	sbuf_init(&line, 512);
	memset(&rec, 0, sizeof(rec));
	while ((rc = scap_reader_next(rd, &rec, &e)) > 0) {
		struct evctx cx;

		if (rc != SCAP_REC_EVENT) {
			if (seen_event && ci)
				ci->meta_after_events++;
			state_add_record(st, &rec);
			continue;
		}
		state_process(st, &rec.ev, &cx);
		if (ci) {
			ci->events++;
			if (rec.ev.type == EV_DROP_E || rec.ev.type == EV_DROP_X) {
				if (rec.ev.type == EV_DROP_E) {
					ci->ndrop_begin++;
					if (!ci->drop_begin_min || rec.ev.ts < ci->drop_begin_min)
						ci->drop_begin_min = rec.ev.ts;
					if (rec.ev.ts > ci->drop_begin_max)
						ci->drop_begin_max = rec.ev.ts;
				} else {
					ci->ndrop_end++;
					if (rec.ev.ts > ci->drop_end_max)
						ci->drop_end_max = rec.ev.ts;
				}
				continue;
			}
			if (rec.ev.type == EV_NOTIFICATION) {
				const char *id = event_str(&rec.ev, 0, "");

				if (!seen_event)
					ci->note_first = true;
				if (!strcmp(id, "sysrec-trigger")) {
					ci->ntrigger++;
					ci->trigger_ts = rec.ev.ts;
				} else if (!strcmp(id, "sysrec-history")) {
					ci->nhistory++;
					ci->history_ts = rec.ev.ts;
					snprintf(ci->history_desc, sizeof(ci->history_desc), "%s",
					         event_str(&rec.ev, 1, ""));
				} else if (!strcmp(id, "sysrec-overrun")) {
					ci->noverrun++;
				} else if (!strcmp(id, "sysrec-drops")) {
					ci->ndrops++;
					ci->drops_told += strtoull(event_str(&rec.ev, 1, ""), NULL, 10);
				} else if (!strcmp(id, "sysrec-incomplete")) {
					ci->nincomplete++;
					ci->incomplete_ts = rec.ev.ts;
					snprintf(ci->incomplete_desc, sizeof(ci->incomplete_desc), "%s",
					         event_str(&rec.ev, 1, ""));
				} else {
					ci->nother_note++;
				}
				seen_event = true;
				continue;
			}
			if (rec.ev.ts < ci->t0 && !ci->first_ts) {
				/* an enter written with the head: its exit is in the window */
				assert_false(event_is_exit(rec.ev.type));
				ci->early++;
				continue;
			}
			if (!ci->first_ts)
				ci->first_ts = rec.ev.ts;
		}
		seen_event = true;
		if (rec.ev.ts < t0 || rec.ev.ts > t1)
			continue;
		sbuf_reset(&line);
		sbuf_puts(&line, cx.shown ? "+ " : "- ");
		assert_true(output_event(o, &cx, &line));
		lines_add(out, line.data, line.len - 1, rec.ev.type, rec.ev.ts);
	}
	if (rc < 0)
		fail_msg("%s", e.msg);
	sbuf_release(&line);
	output_free(o);
	state_free(st);
}

static void source_lines(const char *path, uint64_t t0, uint64_t t1, const char *fmt, struct lines *out)
{
	struct err e = { { 0 } };
	struct scap_reader *rd = scap_reader_open(path, &e);

	if (!rd)
		fail_msg("%s", e.msg);
	read_lines(rd, t0, t1, fmt, out, NULL);
	scap_reader_close(rd);
}

/* The same lines in the same order; else false, with the first few that differ printed. */
static bool lines_equal(const struct lines *want, const struct lines *got, const char *what)
{
	size_t bad = 0;

	for (size_t i = 0; i < want->n && i < got->n && bad < 4; i++)
		if (strcmp(want->v[i], got->v[i]) && bad++ < 3)
			print_error("%s: event %zu of the window differs\n  source:  %s\n  capture: %s\n",
			            what, i, want->v[i], got->v[i]);
	if (bad || want->n != got->n) {
		print_error("%s: %zu events in the source's window, %zu in the capture's%s\n", what, want->n,
		            got->n, bad ? ", not the same" : "");
		return false;
	}
	return true;
}

static void assert_lines_equal(const struct lines *want, const struct lines *got, const char *what)
{
	if (!lines_equal(want, got, what))
		fail_msg("%s: the capture's window is not the source's", what);
}

/* ------------------------------------------------------------ the store */

struct fixture {
	char dir[64];
	struct store *s;
	int storing_calls;
};

/* Each test's store, in a directory of its own under /tmp, removed whether the test passes or not. */
static int fixture_open(void **state)
{
	struct fixture *f = xcalloc(1, sizeof(*f));
	struct err e = { { 0 } };

	snprintf(f->dir, sizeof(f->dir), "/tmp/sysrec-test-capture-XXXXXX");
	if (!mkdtemp(f->dir)) {
		print_error("mkdtemp %s: %s\n", f->dir, strerror(errno));
		free(f);
		return -1;
	}
	f->s = store_local_open(f->dir, &e);
	if (!f->s) {
		print_error("%s\n", e.msg);
		rmdir(f->dir);
		free(f);
		return -1;
	}
	*state = f;
	return 0;
}

static int rm_one(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static int fixture_close(void **state)
{
	struct fixture *f = *state;
	int rc;

	store_close(f->s);
	rc = nftw(f->dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	if (rc || access(f->dir, F_OK) == 0) {
		print_error("could not remove %s\n", f->dir);
		rc = -1;
	}
	free(f);
	return rc;
}

static void on_storing(void *ctx)
{
	((struct fixture *)ctx)->storing_calls++;
}

static void sha256_hex(const void *p, size_t n, char out[65])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;

	assert_int_equal(EVP_Digest(p, n, md, &mdlen, EVP_sha256(), NULL), 1);
	assert_int_equal(mdlen, 32);
	for (unsigned int i = 0; i < mdlen; i++)
		snprintf(out + 2 * i, 3, "%02x", md[i]);
}

/* A capture written and read back: its bytes, what capture_write said, and its lines. */
struct cut {
	char *buf;
	size_t len;
	struct capture_result res;
	struct capinfo ci;
	struct lines lines;
};

static void cut_free(struct cut *c)
{
	free(c->buf);
	lines_free(&c->lines);
	memset(c, 0, sizeof(*c));
}

/*
 * capture_write() q from r under key; check it ends quickly by the clock rule
 * with the object stored as it says (size, sha256, file in DIR/captures/), and
 * read it back.
 */
static void cut(struct fixture *f, struct recorder *r, const char *key, const struct capture_request *q,
                const char *fmt, struct cut *c)
{
	struct err e = { { 0 } };
	bool cancel = false;
	double t;
	char sha[65], path[512];
	struct stat sb;
	struct scap_reader *rd;
	int rc;

	memset(c, 0, sizeof(*c));
	f->storing_calls = 0;
	t = mono_seconds();
	rc = capture_write(r, f->s, key, q, &cancel, on_storing, f, &c->res, &e);
	t = mono_seconds() - t;
	if (rc)
		fail_msg("capture_write: %d %s", rc, e.msg);
	/* the window ended in 2018: nothing to wait for (QUIET_NS is the most it may wait) */
	if (t > 2.5)
		fail_msg("capture_write took %.2f s for a window long past", t);
	assert_int_equal(f->storing_calls, 1);
	rc = store_get_all(f->s, key, 1u << 30, &c->buf, &c->len, &e);
	if (rc)
		fail_msg("store_get_all: %s", e.msg);
	snprintf(path, sizeof(path), "%s/%s", f->dir, key);
	assert_int_equal(stat(path, &sb), 0);
	assert_int_equal((uint64_t)sb.st_size, c->len);
	assert_int_equal(c->res.size, c->len);
	sha256_hex(c->buf, c->len, sha);
	assert_string_equal(c->res.sha256, sha);
	rd = scap_reader_open_mem(c->buf, c->len);
	assert_non_null(rd);
	c->ci.t0 = q->before_ns < q->trigger_ns ? q->trigger_ns - q->before_ns : 0;
	read_lines(rd, 0, UINT64_MAX, fmt, &c->lines, &c->ci);
	scap_reader_close(rd);
	assert_int_equal(c->res.events, c->ci.events);
	assert_int_equal(c->ci.ntrigger, 1);
	assert_int_equal(c->ci.trigger_ts, q->trigger_ns);
	assert_int_equal(c->ci.noverrun, 0);
	assert_int_equal(c->ci.nother_note, 0);
	/* what the file says of losses and gaps is what the result says */
	assert_int_equal(c->ci.ndrops, c->ci.ndrop_begin - c->ci.noverrun);
	assert_int_equal(c->ci.ndrop_begin, c->ci.ndrop_end);
	assert_int_equal(c->ci.drops_told, c->res.lost - c->res.lost_by[CAPTURE_LOST_OVERRUN]);
	assert_int_equal(c->ci.nincomplete, c->res.incomplete[0] != 0);
	if (c->ci.nincomplete) {
		assert_string_equal(c->ci.incomplete_desc, c->res.incomplete);
		assert_int_equal(c->ci.incomplete_ts, c->res.end_ns);
	}
	assert_int_equal(c->res.incomplete[0] != 0, c->res.history_short || c->res.lost || c->res.cut_short);
	/* the head comes first: no table after an event */
	assert_int_equal(c->ci.meta_after_events, 0);
}

/*
 * The window [trigger - before, trigger + after] of a capture reads, in fmt,
 * as the source does. False, with the differences printed, when the events
 * differ; the rest is asserted.
 */
static bool window_matches(struct fixture *f, struct recorder *r, const char *src_path, const char *key,
                           const struct capture_request *q, const char *fmt)
{
	uint64_t t0 = q->before_ns < q->trigger_ns ? q->trigger_ns - q->before_ns : 0;
	uint64_t t1 = q->trigger_ns + q->after_ns;
	struct lines want = { 0 };
	struct cut c;
	char what[128];
	bool same;

	snprintf(what, sizeof(what), "%s [%" PRIu64 ", %" PRIu64 "]", key, t0, t1);
	source_lines(src_path, t0, t1, fmt, &want);
	assert_true(want.n > 0);
	cut(f, r, key, q, fmt, &c);
	same = lines_equal(&want, &c.lines, what);
	if (same)
		assert_int_equal(c.res.events, want.n + 1 + c.ci.nhistory + c.ci.nincomplete + c.ci.early);
	assert_int_equal(c.res.history_short, c.ci.nhistory == 1);
	if (!c.res.history_short)
		assert_int_equal(c.res.start_ns, t0);
	lines_free(&want);
	cut_free(&c);
	return same;
}

static void check_window(struct fixture *f, struct recorder *r, const char *src_path, const char *key,
                         const struct capture_request *q)
{
	if (!window_matches(f, r, src_path, key, q, LINE_FORMAT))
		fail_msg("%s: the capture's window is not the source's", key);
}

/* ------------------------------------------------------------ tests */

static const struct recorder_opts big_opts = {
	.max_bytes = 256u << 20,
	.seconds = 3600,
	.segment_bytes = 4u << 10, /* the shared captures hold 22 to 100 KiB of events */
};

/*
 * Windows around several triggers of one capture, over many segments: the
 * events of each as asked read as the source's (EVENT_FORMAT: what the event
 * itself says), and from the next clean cut on, with every name (LINE_FORMAT).
 */
static void windows_match(void **state, const char *name)
{
	/* start, trigger and end of each window, as % of the events */
	static const unsigned win[][3] = { { 20, 50, 80 }, { 5, 10, 40 },  { 60, 90, 99 }, { 0, 50, 100 },
		                           { 45, 50, 55 }, { 33, 33, 66 }, { 50, 50, 50 } };
	struct source src;
	struct fixture *f = *state;
	struct recorder *r;
	struct recorder_stats st;
	char key[64];
	size_t failed = 0, last;

	if (!source_load_shared(&src, name))
		skip();
	r = record(&src, &big_opts, 64);
	recorder_stats(r, &st);
	assert_true(st.segments >= 4);
	assert_int_equal(st.let_go, 0);
	assert_int_equal(st.oldest_ns, src.ts[0]);
	last = src.nevents - 1;
	for (size_t i = 0; i < ARRAY_SIZE(win); i++) {
		struct capture_request q = { 0 };
		size_t k0 = last * win[i][0] / 100, kt = last * win[i][1] / 100, k1 = last * win[i][2] / 100;

		q.trigger_ns = src.ts[kt];
		q.before_ns = q.trigger_ns - src.ts[k0];
		q.after_ns = src.ts[k1] - q.trigger_ns;
		q.trigger = "manual";
		q.name = "window";
		snprintf(key, sizeof(key), "captures/window-%zu.scap", i);
		failed += !window_matches(f, r, src.path, key, &q, EVENT_FORMAT);
		k0 = clean_cut(&src, k0);
		if (src.ts[k0] > q.trigger_ns)
			q.trigger_ns = src.ts[k0];
		q.before_ns = q.trigger_ns - src.ts[k0];
		q.after_ns = src.ts[k1 > k0 ? k1 : k0] - q.trigger_ns;
		snprintf(key, sizeof(key), "captures/window-%zu-clean.scap", i);
		failed += !window_matches(f, r, src.path, key, &q, LINE_FORMAT);
	}
	/* 30% of the time span each way around the middle event, and a narrow one */
	for (size_t i = 0; i < 2; i++) {
		struct capture_request q = { 0 };
		uint64_t span = src.last_ts - src.first_ts;

		q.trigger_ns = src.ts[clean_cut(&src, src.nevents / 2)];
		q.before_ns = i ? span * 30 / 100 : 0;
		q.after_ns = i ? span * 30 / 100 : span / 1000;
		snprintf(key, sizeof(key), "captures/span-%zu.scap", i);
		failed += !window_matches(f, r, src.path, key, &q, LINE_FORMAT);
	}
	recorder_free(r);
	source_free(&src);
	if (failed)
		fail_msg("%s: %zu windows differ from the source", name, failed);
}

static void test_windows_curl_google(void **state)
{
	windows_match(state, "curl_google.scap");
}

static void test_windows_falco_cat_write(void **state)
{
	windows_match(state, "falco_cat_write.scap");
}

/* The first event type of the source among the candidates, for a filter. */
static const char *pick_type(const struct lines *l, const char *const *cands, size_t n)
{
	for (size_t k = 0; k < n; k++)
		for (size_t i = 0; i < l->n; i++)
			if (!strcmp(event_type_name(l->type[i]), cands[k]))
				return cands[k];
	return NULL;
}

/* A filter keeps the events it matches and the internal ones; those read as in the source. */
static void filter_keeps(void **state, const char *name)
{
	static const char *const cands[] = { "open", "openat", "read", "write" };
	struct source src;
	struct fixture *f = *state;
	struct recorder *r;
	struct lines all = { 0 }, want = { 0 };
	struct capture_request q = { 0 };
	const char *type;
	char filter[64];
	struct cut c;
	uint64_t span;

	if (!source_load_shared(&src, name))
		skip();
	r = record(&src, &big_opts, 64);
	span = src.last_ts - src.first_ts;
	q.trigger_ns = src.ts[src.nevents / 2];
	q.before_ns = span * 40 / 100;
	q.after_ns = span * 40 / 100;
	source_lines(src.path, q.trigger_ns - q.before_ns, q.trigger_ns + q.after_ns, EVENT_FORMAT, &all);
	type = pick_type(&all, cands, ARRAY_SIZE(cands));
	assert_non_null(type);
	snprintf(filter, sizeof(filter), "evt.type=%s", type);
	q.filter = filter;
	q.trigger = "rule X";
	q.name = "filtered";
	cut(f, r, "captures/filtered.scap", &q, EVENT_FORMAT, &c);
	for (size_t i = 0; i < all.n; i++) {
		bool keep = !strcmp(event_type_name(all.type[i]), type) ||
		            event_rejected_flags(all.type[i], false) >= 0;

		if (keep)
			lines_add(&want, all.v[i], strlen(all.v[i]), all.type[i], all.ts[i]);
	}
	assert_true(want.n > 0 && want.n < all.n);
	for (size_t i = 0; i < c.lines.n; i++)
		if (strcmp(event_type_name(c.lines.type[i]), type) &&
		    event_rejected_flags(c.lines.type[i], false) < 0)
			fail_msg("the filter %s let through: %s", filter, c.lines.v[i]);
	assert_lines_equal(&want, &c.lines, filter);
	assert_int_equal(c.res.events, want.n + 1);
	cut_free(&c);
	lines_free(&want);
	lines_free(&all);
	recorder_free(r);
	source_free(&src);
}

static void test_filter_curl_google(void **state)
{
	filter_keeps(state, "curl_google.scap");
}

static void test_filter_falco_cat_write(void **state)
{
	filter_keeps(state, "falco_cat_write.scap");
}

/* The head's tables of a stored capture: each process's comm and pid, its own fds' numbers. */
struct table {
	size_t n;
	char comm[4096][16];
	uint64_t tid[4096], pid[4096];
	size_t nfds[4096];
	int64_t fd[4096][64];
};

static void table_read(const struct cut *c, struct table *t)
{
	struct scap_reader *rd = scap_reader_open_mem(c->buf, c->len);
	struct err e = { { 0 } };
	struct scap_record rec;

	memset(t, 0, sizeof(*t));
	while (scap_reader_next(rd, &rec, &e) > 0 && rec.kind != SCAP_REC_EVENT) {
		if (rec.kind == SCAP_REC_PROCS) {
			for (size_t i = 0; i < rec.nprocs && t->n < ARRAY_SIZE(t->tid); i++, t->n++) {
				snprintf(t->comm[t->n], sizeof(t->comm[0]), "%s", rec.procs[i].comm);
				t->tid[t->n] = rec.procs[i].tid;
				t->pid[t->n] = rec.procs[i].pid;
			}
		} else if (rec.kind == SCAP_REC_FDS) {
			for (size_t i = 0; i < t->n; i++)
				if (t->tid[i] == rec.fds_tid)
					for (size_t k = 0; k < rec.nfds && t->nfds[i] < ARRAY_SIZE(t->fd[0]);
					     k++)
						t->fd[i][t->nfds[i]++] = rec.fds[k].fd;
		}
	}
	scap_reader_close(rd);
}

/* The entry of tid in t, or -1. */
static ssize_t table_find(const struct table *t, uint64_t tid)
{
	for (size_t i = 0; i < t->n; i++)
		if (t->tid[i] == tid)
			return (ssize_t)i;
	return -1;
}

/*
 * filter_proclist: the head keeps the processes the filter matches (by name:
 * each with all its fds; by fd number: only those fds, a thread by its
 * process's), and the events are those of the same filter without it.
 */
static void test_filter_proclist(void **state)
{
	struct source src;
	struct fixture *f = *state;
	struct recorder *r;
	struct capture_request q = { 0 };
	struct table *whole = malloc(sizeof(*whole)), *t = malloc(sizeof(*t));
	struct cut c0, c1, c2;
	const char *name = NULL;
	char filter[64];
	size_t want = 0;

	if (!source_load_shared(&src, "curl_google.scap"))
		skip();
	r = record(&src, &big_opts, 64);
	q.trigger_ns = src.ts[src.nevents / 2];
	q.before_ns = (src.last_ts - src.first_ts) / 4;
	q.after_ns = q.before_ns;
	cut(f, r, "captures/pl-whole.scap", &q, EVENT_FORMAT, &c0);
	table_read(&c0, whole);
	assert_true(whole->n > 10);
	/* a name several processes share, with fds */
	for (size_t i = 0; i < whole->n && !name; i++) {
		size_t same = 0;

		for (size_t k = 0; k < whole->n; k++)
			same += !strcmp(whole->comm[k], whole->comm[i]);
		if (whole->nfds[i] && same > 1 && same < whole->n / 2)
			name = whole->comm[i];
	}
	assert_non_null(name);
	snprintf(filter, sizeof(filter), "proc.name=%s", name);
	q.filter = filter;
	cut(f, r, "captures/pl-plain.scap", &q, EVENT_FORMAT, &c1);
	q.filter_proclist = true;
	cut(f, r, "captures/pl-name.scap", &q, EVENT_FORMAT, &c2);
	assert_lines_equal(&c1.lines, &c2.lines, "events with and without filter_proclist");
	table_read(&c1, t);
	assert_int_equal(t->n, whole->n); /* without it the table is whole */
	table_read(&c2, t);
	for (size_t i = 0; i < whole->n; i++)
		want += !strcmp(whole->comm[i], name);
	assert_int_equal(t->n, want);
	for (size_t i = 0; i < t->n; i++) {
		ssize_t w = table_find(whole, t->tid[i]);

		assert_string_equal(t->comm[i], name);
		assert_true(w >= 0);
		assert_int_equal(t->nfds[i], whole->nfds[w]);
	}

	/* by fd: a process stays with its fds above 4 only (all have 0 to 2) */
	cut_free(&c1);
	cut_free(&c2);
	q.filter = "fd.num > 4";
	cut(f, r, "captures/pl-fd.scap", &q, EVENT_FORMAT, &c2);
	table_read(&c2, t);
	if (!(t->n > 0 && t->n < whole->n))
		fail_msg("%s kept %zu of %zu processes", q.filter, t->n, whole->n);
	for (size_t i = 0; i < whole->n; i++) {
		ssize_t k = table_find(t, whole->tid[i]), owner = (ssize_t)i;
		size_t high = 0;

		if (!whole->nfds[i]) /* a thread: judged by its process's table */
			owner = table_find(whole, whole->pid[i]);
		if (owner < 0 || !whole->nfds[owner]) {
			/* no fds at all: judged without one (fd.num does not exist: false) */
			if (k >= 0)
				fail_msg("tid %" PRIu64 " (%s) has no fds but stayed", whole->tid[i],
				         whole->comm[i]);
			continue;
		}
		for (size_t j = 0; j < whole->nfds[owner]; j++)
			high += whole->fd[owner][j] > 4;
		if ((k >= 0) != (high > 0))
			fail_msg("tid %" PRIu64 " (%s) has %zu fds above 4 but %s", whole->tid[i],
			         whole->comm[i], high, k >= 0 ? "stayed" : "was left out");
		if (k < 0)
			continue;
		assert_int_equal(t->nfds[k], whole->nfds[i] ? high : 0);
		for (size_t j = 0; j < t->nfds[k]; j++)
			assert_true(t->fd[k][j] > 4);
	}
	cut_free(&c0);
	cut_free(&c2);
	free(whole);
	free(t);
	recorder_free(r);
	source_free(&src);
}

/*
 * The history notification says how much of the `before` asked for was held:
 * from 0 to all of it. False, with the text printed, when it does not.
 */
static bool history_desc_ok(const struct cut *c, const struct capture_request *q)
{
	const char *p = strstr(c->ci.history_desc, "held ");
	double held = -1, asked = -1;

	assert_non_null(strstr(c->ci.history_desc, "history complete from "));
	assert_non_null(p);
	assert_int_equal(sscanf(p, "held %lf of the %lf seconds", &held, &asked), 2);
	assert_true(asked > (double)q->before_ns / 1e9 - 0.1 && asked < (double)q->before_ns / 1e9 + 0.1);
	if (held < 0 || held > asked) {
		print_error("the history notification says: %s\n", c->ci.history_desc);
		return false;
	}
	return true;
}

/* A window starting before the first event held: history_short, said by a notification. */
static void test_history_short(void **state)
{
	struct source src;
	struct fixture *f = *state;
	struct recorder *r;
	struct capture_request q = { 0 };
	struct lines want = { 0 };
	struct cut c;
	bool ok = true;

	if (!source_load_shared(&src, "curl_google.scap"))
		skip();
	r = record(&src, &big_opts, 64);
	q.trigger_ns = src.ts[src.nevents / 4];
	q.before_ns = q.trigger_ns - src.first_ts + NS;
	q.after_ns = (src.last_ts - src.first_ts) / 10;
	cut(f, r, "captures/short.scap", &q, LINE_FORMAT, &c);
	assert_true(c.res.history_short);
	assert_int_equal(c.res.history_from, src.ts[0]);
	assert_int_equal(c.res.start_ns, src.ts[0]);
	assert_int_equal(c.ci.nhistory, 1);
	assert_int_equal(c.ci.history_ts, src.ts[0]);
	assert_true(c.ci.note_first);
	ok &= history_desc_ok(&c, &q);
	/* nothing was let go: the recording began there, memory is not what bounds it */
	if (!strstr(c.ci.history_desc, "(the recording began then)"))
		fail_msg("the history note gives another reason: %s", c.ci.history_desc);
	source_lines(src.path, 0, q.trigger_ns + q.after_ns, LINE_FORMAT, &want);
	assert_lines_equal(&want, &c.lines, "history short");
	assert_int_equal(c.res.events, want.n + 3); /* the trigger, the history and the incomplete notes */
	assert_non_null(strstr(c.res.incomplete, "the flight recorder held "));
	cut_free(&c);
	lines_free(&want);

	/* a trigger before anything held: none of the history asked for is there */
	q.trigger_ns = src.ts[0] - NS;
	q.before_ns = NS;
	q.after_ns = NS + (src.ts[10] - src.ts[0]);
	cut(f, r, "captures/none-held.scap", &q, LINE_FORMAT, &c);
	assert_true(c.res.history_short);
	assert_int_equal(c.res.history_from, src.ts[0]);
	assert_int_equal(c.ci.nhistory, 1);
	ok &= history_desc_ok(&c, &q);
	source_lines(src.path, 0, q.trigger_ns + q.after_ns, LINE_FORMAT, &want);
	assert_lines_equal(&want, &c.lines, "none held");
	lines_free(&want);
	cut_free(&c);

	/* the same start without before_ns asks for no history: nothing is short */
	q.trigger_ns = src.ts[0] - NS;
	q.before_ns = 0;
	q.after_ns = NS + (src.ts[10] - src.ts[0]);
	cut(f, r, "captures/not-short.scap", &q, LINE_FORMAT, &c);
	assert_false(c.res.history_short);
	assert_int_equal(c.ci.nhistory, 0);
	assert_int_equal(c.res.start_ns, q.trigger_ns);
	cut_free(&c);
	recorder_free(r);
	source_free(&src);
	if (!ok)
		fail_msg("the history notification misstates the seconds held");
}

static struct event_loss loss(uint16_t cpu, uint64_t first, uint64_t last, int cause, uint64_t n)
{
	struct event_loss l = { .first_ts = first, .last_ts = last, .cpu = cpu, .tid = 1 };

	l.n[cause] = n;
	return l;
}

/*
 * Every run of lost events that touches the window is in the file and the
 * result, whenever it was told: one that began before the window is marked at
 * its start, one that crosses its end is marked up to it, a kernel snapshot
 * later told in full counts once, and runs outside the window are left out.
 * The file then says it is incomplete, and why.
 */
static void test_losses_in_window(void **state)
{
	struct source src;
	struct fixture *f = *state;
	struct recorder *r;
	struct capture_request q = { 0 };
	struct event_loss l;
	uint64_t t0, t1, mid;
	struct lines want = { 0 };
	struct cut c;

	if (!source_load_shared(&src, "curl_google.scap"))
		skip();
	r = record(&src, &big_opts, 64);
	t0 = src.ts[src.nevents / 4];
	t1 = src.ts[3 * src.nevents / 4];
	mid = src.ts[src.nevents / 2];
	q.trigger_ns = mid;
	q.before_ns = mid - t0;
	q.after_ns = t1 - mid;
	q.name = "losses";
	/* told after the window's events were appended, as the agent tells them */
	l = loss(1, t0 - 5 * NS, t0 + 10, EVENT_LOST_RING, 100); /* began before the window */
	recorder_note_drops(r, &l, true);
	l = loss(0, mid, mid + 1000, EVENT_LOST_RING, 5); /* a snapshot of what cpu 0 gathered ... */
	recorder_note_drops(r, &l, false);
	l.n[EVENT_LOST_RING] = 7; /* ... then told in full */
	l.last_ts = mid + 2000;
	recorder_note_drops(r, &l, true);
	l = loss(1, mid + 10, mid + 20, EVENT_LOST_BEHIND, 3);
	recorder_note_loss(r, &l);
	l = loss(EVENT_ANY_CPU, t1 - 10, t1 + 5 * NS, EVENT_LOST_BUSY, 2); /* crosses the end */
	recorder_note_loss(r, &l);
	l = loss(0, t0 - 9 * NS, t0 - 8 * NS, EVENT_LOST_RING, 1000); /* before the window */
	recorder_note_drops(r, &l, true);
	l = loss(0, t1 + 2 * NS, t1 + 3 * NS, EVENT_LOST_BIG, 1000); /* after it */
	recorder_note_drops(r, &l, true);

	cut(f, r, "captures/losses.scap", &q, LINE_FORMAT, &c);
	assert_int_equal(c.res.lost, 100 + 7 + 3 + 2);
	assert_int_equal(c.res.lost_by[EVENT_LOST_RING], 107);
	assert_int_equal(c.res.lost_by[EVENT_LOST_BEHIND], 3);
	assert_int_equal(c.res.lost_by[EVENT_LOST_BUSY], 2);
	assert_int_equal(c.res.lost_by[EVENT_LOST_BIG], 0);
	assert_int_equal(c.ci.ndrops, 4);
	assert_int_equal(c.ci.drops_told, 112);
	/* marked within the window: the run from before at its start, the one crossing its end up to it */
	assert_int_equal(c.ci.drop_begin_min, t0);
	assert_true(c.ci.drop_begin_max <= t1);
	assert_int_equal(c.ci.drop_end_max, t1);
	assert_false(c.res.cut_short);
	assert_int_equal(c.res.start_ns, t0);
	assert_int_equal(c.res.end_ns, t1);
	assert_non_null(strstr(c.res.incomplete, "112 events lost (ring buffer full 107, recorder behind 3, "
	                                         "tracepoint busy 2)"));
	/* the window's events are all there, as in the source */
	source_lines(src.path, t0, t1, LINE_FORMAT, &want);
	assert_lines_equal(&want, &c.lines, "window with losses");
	lines_free(&want);
	cut_free(&c);
	recorder_free(r);
	source_free(&src);
}

/*
 * A recorder that is not complete up to the window's end within lag_max (the
 * agent behind or stalled): the capture ends, and says where its file stops
 * being whole instead of passing for the window.
 */
static void test_cut_short(void **state)
{
	struct source src;
	struct fixture *f = *state;
	struct recorder *r;
	struct capture_request q = { 0 };
	uint64_t upto;
	struct cut c;

	if (!source_load_shared(&src, "curl_google.scap"))
		skip();
	upto = src.ts[9 * src.nevents / 10];
	r = record_upto(&src, &big_opts, 64, upto);
	q.trigger_ns = src.ts[src.nevents / 2];
	q.before_ns = q.trigger_ns - src.ts[src.nevents / 4];
	q.after_ns = src.last_ts + 10 * NS - q.trigger_ns; /* past what the recorder holds */
	q.lag_max_ns = 1;                                  /* the window ended in 2018: no wait */
	q.name = "behind";
	cut(f, r, "captures/behind.scap", &q, LINE_FORMAT, &c);
	assert_true(c.res.cut_short);
	assert_int_equal(c.res.end_ns, upto);
	assert_non_null(strstr(c.res.incomplete, "the recorder was behind: it held every event only up to "));
	assert_int_equal(c.res.lost, 0);
	cut_free(&c);

	/* complete past the window's end: whole, and not said to be otherwise */
	q.after_ns = upto - LATE_TEST_NS - q.trigger_ns;
	cut(f, r, "captures/whole.scap", &q, LINE_FORMAT, &c);
	assert_false(c.res.cut_short);
	assert_string_equal(c.res.incomplete, "");
	assert_int_equal(c.ci.nincomplete, 0);
	cut_free(&c);
	recorder_free(r);
	source_free(&src);
}

/* before 0: the window starts at the trigger, marked first. */
static void test_after_only(void **state)
{
	struct source src;
	struct fixture *f = *state;
	struct recorder *r;
	struct capture_request q = { 0 };
	struct cut c;

	if (!source_load_shared(&src, "falco_cat_write.scap"))
		skip();
	r = record(&src, &big_opts, 64);
	q.trigger_ns = src.ts[src.nevents / 3] + 1; /* between events */
	q.after_ns = (src.last_ts - src.first_ts) * 30 / 100;
	check_window(f, r, src.path, "captures/after.scap", &q);
	cut(f, r, "captures/after2.scap", &q, LINE_FORMAT, &c);
	assert_true(c.lines.n > 0);
	assert_true(c.ci.first_ts >= q.trigger_ns);
	assert_true(c.lines.ts[0] >= q.trigger_ns);
	assert_true(c.ci.note_first);
	assert_false(c.res.history_short);
	assert_int_equal(c.res.start_ns, q.trigger_ns);
	cut_free(&c);
	recorder_free(r);
	source_free(&src);
}

/* A cancelled job and a bad filter store nothing. */
static void test_cancel_and_bad_filter(void **state)
{
	struct source src;
	struct fixture *f = *state;
	struct recorder *r;
	struct capture_request q = { 0 };
	struct capture_result res;
	struct store_stat ss;
	struct err e = { { 0 } };
	bool cancel = true;

	if (!source_load_shared(&src, "falco_cat_write.scap"))
		skip();
	r = record(&src, &big_opts, 64);
	q.trigger_ns = src.ts[src.nevents / 2];
	q.before_ns = NS;
	q.after_ns = NS;
	assert_int_equal(capture_write(r, f->s, "captures/cancel.scap", &q, &cancel, NULL, NULL, &res, &e),
	                 -ECANCELED);
	assert_int_equal(store_stat(f->s, "captures/cancel.scap", &ss, NULL), -ENOENT);
	cancel = false;
	q.filter = "no.such.field = 1";
	assert_int_equal(capture_filter_check(q.filter, &e), -EINVAL);
	assert_int_equal(capture_write(r, f->s, "captures/bad.scap", &q, &cancel, NULL, NULL, &res, &e),
	                 -EINVAL);
	assert_int_equal(store_stat(f->s, "captures/bad.scap", &ss, NULL), -ENOENT);
	assert_int_equal(capture_filter_check("evt.type=open", &e), 0);
	recorder_free(r);
	source_free(&src);
}

/* The time of events that the recorder split between two segments (0: none). */
static uint64_t split_ts(struct recorder *r)
{
	struct recorder_seg *s = recorder_seg_at(r, 0);
	uint64_t last = 0, found = 0;

	while (s && !found) {
		const uint8_t *d = recorder_seg_data(s);
		size_t off = recorder_seg_head_len(s), len = recorder_seg_len(s);
		struct recorder_seg *next;
		uint64_t skipped;

		if (off < len && last && load_u64(d + off + 10) == last)
			found = last;
		for (; off < len; off += load_u32(d + off + 4))
			last = load_u64(d + off + 10);
		next = recorder_seg_next(r, s, &skipped);
		recorder_seg_put(r, s);
		s = next;
	}
	recorder_seg_put(r, s);
	return found;
}

/*
 * Events of one time (a driver's procinfo burst shares it) split between two
 * segments, and a window starting at that time: every one of them is in it.
 */
static void test_window_start_split_between_segments(void **state)
{
	struct source src;
	struct fixture *f = *state;
	struct recorder *r = NULL;
	struct capture_request q = { 0 };
	struct recorder_opts o = big_opts;
	uint64_t ts = 0;
	bool same;

	if (!source_load_shared(&src, "curl_google.scap"))
		skip();
	for (o.segment_bytes = 1024; !ts && o.segment_bytes <= 16384; o.segment_bytes += 256) {
		recorder_free(r);
		r = record(&src, &o, 64);
		ts = split_ts(r);
	}
	assert_true(ts != 0);
	q.trigger_ns = ts;
	q.after_ns = (src.last_ts - ts) / 2;
	same = window_matches(f, r, src.path, "captures/split.scap", &q, LINE_FORMAT);
	recorder_free(r);
	source_free(&src);
	if (!same)
		fail_msg("a window starting at %" PRIu64 ", the time of events split between two segments, "
		         "lacks some of them",
		         ts);
}

/*
 * A source of many copies of curl_google's events, one after the other, as a
 * .scap file in dir: the host as in the original.
 */
static void make_big(const struct source *orig, const char *path, unsigned copies)
{
	struct err e = { { 0 } };
	struct scap_writer *w = scap_writer_open(path, false, &e);
	const struct host *h = &orig->h;
	uint64_t shift = orig->last_ts - orig->first_ts + NS / 1000;
	struct sbuf b;

	if (!w)
		fail_msg("%s", e.msg);
	scap_writer_section(w);
	scap_writer_machine(w, &h->machine);
	scap_writer_ifaces(w, h->ifaces, h->nifaces);
	scap_writer_users(w, h->users, h->nusers, h->groups, h->ngroups);
	scap_writer_procs(w, h->procs, h->nprocs);
	for (size_t i = 0; i < h->nprocs; i++)
		if (h->nfds[i])
			scap_writer_fds(w, h->procs[i].tid, h->fds[i], h->nfds[i]);
	sbuf_init(&b, orig->framed.len);
	for (unsigned k = 0; k < copies; k++) {
		sbuf_reset(&b);
		sbuf_put(&b, orig->framed.data, orig->framed.len);
		for (size_t off = 0; off < b.len; off += load_u32(b.data + off + 4)) {
			uint64_t ts = load_u64(b.data + off + 10) + k * shift;

			memcpy(b.data + off + 10, &ts, 8);
		}
		scap_writer_framed(w, b.data, b.len, orig->nevents);
	}
	sbuf_release(&b);
	if (scap_writer_close(w, &e))
		fail_msg("%s", e.msg);
}

/* A small memory bound lets old segments go; a window in what is held still reads as the source. */
static void test_memory_bound(void **state)
{
	static const struct recorder_opts small = {
		.max_bytes = 1u << 20,
		.seconds = 3600,
		.segment_bytes = 64u << 10,
	};
	struct source orig, src;
	struct fixture *f = *state;
	struct recorder *r;
	struct recorder_stats st;
	struct capture_request q = { 0 };
	char path[128];
	size_t i;
	struct cut c;

	if (!source_load_shared(&orig, "curl_google.scap"))
		skip();
	snprintf(path, sizeof(path), "%s/big.scap", f->dir);
	make_big(&orig, path, 64);
	assert_true(source_load(&src, path));
	assert_int_equal(src.nevents, 64 * orig.nevents);
	assert_true(src.framed.len > 4 * small.max_bytes);
	r = record(&src, &small, 256);
	recorder_stats(r, &st);
	assert_true(st.bytes <= st.max_bytes);
	assert_int_equal(st.max_bytes, small.max_bytes);
	assert_true(st.let_go > 0);
	assert_true(st.segments >= 2);
	assert_true(st.oldest_ns > src.first_ts);
	assert_int_equal(st.newest_ns, src.last_ts);
	/* a window from a little after the oldest event held to the end */
	for (i = 0; i < src.nevents && src.ts[i] < st.oldest_ns; i++)
		;
	assert_true(i < src.nevents - 100);
	q.trigger_ns = src.ts[i + (src.nevents - i) / 2];
	q.before_ns = q.trigger_ns - src.ts[i + 10];
	q.after_ns = src.last_ts - q.trigger_ns;
	check_window(f, r, src.path, "captures/bound.scap", &q);
	/* one reaching before it: short, from the oldest held on */
	q.before_ns = q.trigger_ns - src.ts[i / 2];
	cut(f, r, "captures/bound-short.scap", &q, LINE_FORMAT, &c);
	assert_true(c.res.history_short);
	assert_int_equal(c.res.history_from, st.oldest_ns);
	assert_int_equal(c.ci.nhistory, 1);
	assert_true(c.ci.first_ts >= st.oldest_ns);
	cut_free(&c);
	recorder_free(r);
	source_free(&src);
	source_free(&orig);
}

/*
 * A reader holding a segment while the memory bound lets the ones after it go:
 * recorder_seg_next() resumes at the oldest held and counts exactly the events
 * of the segments it skipped (what a capture marks as sysrec-overrun).
 */
static void test_overrun_counted(void **state)
{
	static const struct recorder_opts small = {
		.max_bytes = 1u << 20,
		.seconds = 3600,
		.segment_bytes = 64u << 10,
	};
	struct source orig, src;
	struct fixture *f = *state;
	struct recorder_host h;
	struct recorder *r;
	struct recorder_seg *held, *next;
	struct recorder_stats st;
	const uint8_t *p;
	uint64_t skipped, in_held = 0;
	size_t off = 0, start = 0, n = 0;
	char path[128];

	if (!source_load_shared(&orig, "curl_google.scap"))
		skip();
	snprintf(path, sizeof(path), "%s/big.scap", f->dir);
	make_big(&orig, path, 32);
	assert_true(source_load(&src, path));
	h = host_view(&src.h);
	r = recorder_new(&small, &h);
	p = (const uint8_t *)src.framed.data;
	held = NULL;
	while (off < src.framed.len) {
		off += load_u32(p + off + 4);
		if (++n % 256 == 0 || off == src.framed.len) {
			recorder_append(r, p + start, off - start);
			start = off;
			if (!held)
				held = recorder_seg_at(r, 0); /* a slow reader, from the start */
		}
	}
	for (size_t o = recorder_seg_head_len(held); o < recorder_seg_len(held);
	     o += load_u32(recorder_seg_data(held) + o + 4))
		in_held++;
	recorder_stats(r, &st);
	assert_true(st.let_go > 1);
	next = recorder_seg_next(r, held, &skipped);
	assert_non_null(next);
	assert_int_equal(skipped, st.events - st.held - in_held);
	assert_true(skipped > 0);
	recorder_seg_put(r, next);
	recorder_seg_put(r, held);
	recorder_free(r);
	source_free(&src);
	source_free(&orig);
}

/* What the recorder's hook saw: each event formatted through the recorder's own state. */
struct hook_seen {
	struct output *o;
	struct lines lines;
	struct sbuf line;
};

static void hook_format(const struct evctx *cx, void *ctx)
{
	struct hook_seen *h = ctx;

	sbuf_reset(&h->line);
	sbuf_puts(&h->line, cx->shown ? "+ " : "- ");
	assert_true(output_event(h->o, cx, &h->line));
	lines_add(&h->lines, h->line.data, h->line.len - 1, cx->ev->type, cx->ev->ts);
}

/*
 * The hook sees every event once, in order, after the recorder's state has
 * applied it: a format compiled against recorder_state() reads each event as
 * the source read on its own does (process and fd names included).
 */
static void test_hook(void **state)
{
	struct source src;
	struct recorder_host h;
	struct recorder *r;
	struct hook_seen seen = { 0 };
	struct lines want = { 0 };
	struct err e = { { 0 } };
	const uint8_t *p;
	size_t off = 0, start = 0, n = 0;

	(void)state;
	if (!source_load_shared(&src, "falco_cat_write.scap"))
		skip();
	h = host_view(&src.h);
	r = recorder_new(&big_opts, &h);
	seen.o = output_new(recorder_state(r), LINE_FORMAT, false, &e);
	if (!seen.o)
		fail_msg("%s", e.msg);
	sbuf_init(&seen.line, 512);
	recorder_set_hook(r, hook_format, &seen);
	p = (const uint8_t *)src.framed.data;
	while (off < src.framed.len) {
		off += load_u32(p + off + 4);
		if (++n % 64 == 0 || off == src.framed.len) {
			recorder_append(r, p + start, off - start);
			start = off;
		}
	}
	source_lines(src.path, 0, UINT64_MAX, LINE_FORMAT, &want);
	assert_int_equal(seen.lines.n, src.nevents);
	assert_lines_equal(&want, &seen.lines, "the hook");
	/* no hook: appending goes on without it */
	recorder_set_hook(r, NULL, NULL);
	recorder_append(r, p, load_u32(p + 4));
	assert_int_equal(seen.lines.n, src.nevents);
	output_free(seen.o);
	sbuf_release(&seen.line);
	lines_free(&seen.lines);
	lines_free(&want);
	recorder_free(r);
	source_free(&src);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_windows_curl_google, fixture_open, fixture_close),
		cmocka_unit_test_setup_teardown(test_windows_falco_cat_write, fixture_open, fixture_close),
		cmocka_unit_test_setup_teardown(test_filter_curl_google, fixture_open, fixture_close),
		cmocka_unit_test_setup_teardown(test_filter_falco_cat_write, fixture_open, fixture_close),
		cmocka_unit_test_setup_teardown(test_filter_proclist, fixture_open, fixture_close),
		cmocka_unit_test_setup_teardown(test_history_short, fixture_open, fixture_close),
		cmocka_unit_test_setup_teardown(test_after_only, fixture_open, fixture_close),
		cmocka_unit_test_setup_teardown(test_losses_in_window, fixture_open, fixture_close),
		cmocka_unit_test_setup_teardown(test_cut_short, fixture_open, fixture_close),
		cmocka_unit_test_setup_teardown(test_cancel_and_bad_filter, fixture_open, fixture_close),
		cmocka_unit_test_setup_teardown(test_window_start_split_between_segments, fixture_open,
		                                fixture_close),
		cmocka_unit_test_setup_teardown(test_memory_bound, fixture_open, fixture_close),
		cmocka_unit_test_setup_teardown(test_overrun_counted, fixture_open, fixture_close),
		cmocka_unit_test(test_hook),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
