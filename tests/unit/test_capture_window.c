/* test_capture_window: windows cut from a recorded capture read as the source, wherever they start. */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "capture_readback.h"
#include "capture_source.h"

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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_windows_curl_google, fixture_open, fixture_close),
		cmocka_unit_test_setup_teardown(test_windows_falco_cat_write, fixture_open, fixture_close),
		cmocka_unit_test_setup_teardown(test_after_only, fixture_open, fixture_close),
		cmocka_unit_test_setup_teardown(test_window_start_split_between_segments, fixture_open,
		                                fixture_close),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
