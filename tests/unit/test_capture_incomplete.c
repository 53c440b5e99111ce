/* test_capture_incomplete: a capture says what it lacks: history short, events lost, recorder behind. */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "capture_readback.h"
#include "capture_source.h"

#define LATE_TEST_NS (NS / 2 + 1) /* capture.c's LATE_NS, and a little */

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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_history_short, fixture_open, fixture_close),
		cmocka_unit_test_setup_teardown(test_losses_in_window, fixture_open, fixture_close),
		cmocka_unit_test_setup_teardown(test_cut_short, fixture_open, fixture_close),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
