/* test_capture_recorder: the flight recorder under a memory bound, its overruns counted, its hook. */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "capture_readback.h"
#include "capture_source.h"
#include "scap_samples.h"

#include "../../src/state/state.h"

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

struct seen_containers {
	char ids[4][13];
	int types[4];
	size_t n;
};

static void took(void *ctx, const char *id, int type)
{
	struct seen_containers *s = ctx;

	assert_true(s->n < 4);
	snprintf(s->ids[s->n], 13, "%s", id);
	s->types[s->n++] = type;
}

/* The container event of head image p (n bytes) describing id, or NULL: a copy of its JSON. */
static char *head_container(const uint8_t *p, size_t n)
{
	struct scap_reader *rd = scap_reader_open_mem(p, n);
	struct scap_record rec;
	struct err e = { { 0 } };
	char *json = NULL;

	while (scap_reader_next(rd, &rec, &e) > 0)
		if (rec.kind == SCAP_REC_EVENT && rec.ev.type == PPME_CONTAINER_JSON_2_E) {
			free(json);
			json = xstrdup(event_str(&rec.ev, 0, ""));
		}
	scap_reader_close(rd);
	return json;
}

/*
 * A process of the host in a container at the start: described at once by
 * its id (recorder_take_containers() hands it over once, for its runtime),
 * then by its runtime's answer, which the state takes and every later
 * segment's head repeats, so that a window cut from there names it.
 */
static void test_containers_described(void **state)
{
	struct scap_proc procs[NPROCS];
	struct scap_fd *fds[NPROCS] = { NULL };
	size_t nfds[NPROCS] = { 0 };
	struct recorder_host h = {
		.machine = &sample_machine, .procs = procs, .fds = fds, .nfds = nfds, .nprocs = NPROCS
	};
	static const struct recorder_opts small_segments = { .max_bytes = 64u << 20,
		                                             .seconds = 3600,
		                                             .segment_bytes = 4096 };
	struct seen_containers seen = { 0 };
	struct recorder *r;
	struct recorder_seg *seg;
	const struct container *c;
	char json[8192], *head;

	(void)state;
	sample_procs(procs);
	r = recorder_new(&small_segments, &h);
	recorder_take_containers(r, took, &seen);
	assert_int_equal(seen.n, 1);
	assert_string_equal(seen.ids[0], "0123456789ab");
	assert_int_equal(seen.types[0], 0);
	recorder_take_containers(r, took, &seen);
	assert_int_equal(seen.n, 1); /* handed over once */
	c = state_container(recorder_state(r), "0123456789ab");
	assert_non_null(c);
	assert_string_equal(c->name, "");

	/* the runtime's answer, too big for the segment: a new one begins, its head the id alone */
	snprintf(json, sizeof(json),
	         "{\"container\":{\"id\":\"0123456789ab\",\"type\":0,\"name\":\"web\",\"image\":\"shop/"
	         "web:2\","
	         "\"labels\":{\"pad\":\"%05000d\"}}}",
	         0);
	recorder_describe_container(r, json);
	c = state_container(recorder_state(r), "0123456789ab");
	assert_string_equal(c->name, "web");
	assert_string_equal(c->image, "shop/web:2");
	seg = recorder_seg_at(r, UINT64_MAX);
	head = head_container(recorder_seg_data(seg), recorder_seg_head_len(seg));
	assert_non_null(head);
	assert_non_null(strstr(head, "\"name\":\"\""));
	free(head);
	recorder_seg_put(r, seg);
	/* the next segment's head: the answer */
	recorder_describe_container(r, json);
	seg = recorder_seg_at(r, UINT64_MAX);
	head = head_container(recorder_seg_data(seg), recorder_seg_head_len(seg));
	assert_non_null(head);
	assert_string_equal(head, json);
	free(head);
	recorder_seg_put(r, seg);
	recorder_take_containers(r, took, &seen);
	assert_int_equal(seen.n, 1);
	recorder_free(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_memory_bound, fixture_open, fixture_close),
		cmocka_unit_test_setup_teardown(test_overrun_counted, fixture_open, fixture_close),
		cmocka_unit_test(test_containers_described),
		cmocka_unit_test(test_hook),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
