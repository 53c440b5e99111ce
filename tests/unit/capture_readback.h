/* capture_readback.h: windows cut into a local store, read back line by line against their source. */
/*
 * A window cut with capture_write() from a recorder of a real capture, read
 * back through a fresh state from the capture's own head, must read exactly
 * as the events do in the continuous source file.
 */

#ifndef SYSREC_TESTS_CAPTURE_READBACK_H
#define SYSREC_TESTS_CAPTURE_READBACK_H

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

#include "capture_source.h"

#define EV_NOTIFICATION 280
#define EV_DROP_E       148
#define EV_DROP_X       149

/* '*': a line for every event, <NA> for a field it lacks */
#define LINE_FORMAT "*%evt.rawtime %evt.type %evt.dir %proc.name %thread.tid %fd.name %evt.args"
/*
 * For filtered captures: the events that made a process or fd in the window
 * are not in the file (as with sysdig -w FILTER without -F), so a reader of it
 * cannot name what they made; the event's own parameters still read the same.
 */
#define EVENT_FORMAT "*%evt.rawtime %evt.type %evt.dir %thread.tid %evt.args"

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

static inline void lines_add(struct lines *l, const char *s, size_t n, uint16_t type, uint64_t ts)
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

static inline void lines_free(struct lines *l)
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
static inline void read_lines(struct scap_reader *rd, uint64_t t0, uint64_t t1, const char *fmt,
                              struct lines *out, struct capinfo *ci)
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

static inline void source_lines(const char *path, uint64_t t0, uint64_t t1, const char *fmt,
                                struct lines *out)
{
	struct err e = { { 0 } };
	struct scap_reader *rd = scap_reader_open(path, &e);

	if (!rd)
		fail_msg("%s", e.msg);
	read_lines(rd, t0, t1, fmt, out, NULL);
	scap_reader_close(rd);
}

/* The same lines in the same order; else false, with the first few that differ printed. */
/*
 * Lines equal but for the l4 letter of v6 sockets ("<6u>" and "<6>"): a
 * window's head lists the sockets open at its start, and a v6 socket listed
 * there has no role for sysdig (nor for sysrec, which reads it as sysdig
 * does), so it shows no protocol letter where the source, which saw the
 * socket get its role, does.
 */
static inline bool same_but_v6_role(const char *a, const char *b)
{
	while (*a && *b) {
		if (a[0] == '<' && a[1] == '6' && b[0] == '<' && b[1] == '6') {
			a += 2, b += 2;
			if (*a != '>')
				a++;
			if (*b != '>')
				b++;
			continue;
		}
		if (*a++ != *b++)
			return false;
	}
	return *a == *b;
}

static inline bool lines_equal(const struct lines *want, const struct lines *got, const char *what)
{
	size_t bad = 0;

	for (size_t i = 0; i < want->n && i < got->n && bad < 4; i++)
		if (strcmp(want->v[i], got->v[i]) && !same_but_v6_role(want->v[i], got->v[i]) && bad++ < 3)
			print_error("%s: event %zu of the window differs\n  source:  %s\n  capture: %s\n",
			            what, i, want->v[i], got->v[i]);
	if (bad || want->n != got->n) {
		print_error("%s: %zu events in the source's window, %zu in the capture's%s\n", what, want->n,
		            got->n, bad ? ", not the same" : "");
		return false;
	}
	return true;
}

static inline void assert_lines_equal(const struct lines *want, const struct lines *got, const char *what)
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
static inline int fixture_open(void **state)
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

static inline int rm_one(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static inline int fixture_close(void **state)
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

static inline void on_storing(void *ctx)
{
	((struct fixture *)ctx)->storing_calls++;
}

static inline void sha256_hex(const void *p, size_t n, char out[65])
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

static inline void cut_free(struct cut *c)
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
static inline void cut(struct fixture *f, struct recorder *r, const char *key,
                       const struct capture_request *q, const char *fmt, struct cut *c)
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
static inline bool window_matches(struct fixture *f, struct recorder *r, const char *src_path,
                                  const char *key, const struct capture_request *q, const char *fmt)
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

static inline void check_window(struct fixture *f, struct recorder *r, const char *src_path, const char *key,
                                const struct capture_request *q)
{
	if (!window_matches(f, r, src_path, key, q, LINE_FORMAT))
		fail_msg("%s: the capture's window is not the source's", key);
}

#endif
