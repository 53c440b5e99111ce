/*
 * test_alert: Falco alerts (src/rules/alert.h) for rules matched on a real
 * capture, compared with what Falco 0.31.1 printed for the same rule and trace
 * (falco-0.31.1/tests/output_files, falco_tests.yaml): the text line, the ISO
 * and local times, <NA>, the JSON object (member order, value types, tags),
 * the per-rule token bucket on an injected clock, and the file and stdout sinks.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "../../src/filter/filter.h"
#include "../../src/rules/alert.h"
#include "../../src/scap/scap.h"
#include "../../src/state/state.h"

#define NS 1000000000ULL

static const char *testdata_dir(void)
{
	return env_or("SYSREC_TESTDATA", "../shared/testdata");
}

/* A rule as the loader would make it (the loader is not used here). */
static struct rule make_rule(const char *name, const char *output, enum rule_priority prio, char **tags,
                             size_t ntags)
{
	struct rule r;

	memset(&r, 0, sizeof(r));
	r.name = (char *)name;
	r.output = (char *)output;
	r.source = (char *)"syscall";
	r.priority = prio;
	r.tags = tags;
	r.ntags = ntags;
	r.enabled = true;
	return r;
}

/* Lines of a text file (NULL when it cannot be read), *n of them. */
static char **read_lines(const char *path, size_t *n)
{
	FILE *fp = fopen(path, "r");
	char **v = NULL, *line = NULL;
	size_t cap = 0;
	ssize_t len;

	*n = 0;
	if (!fp)
		return NULL;
	while ((len = getline(&line, &cap, fp)) >= 0) {
		while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
			line[--len] = 0;
		v = xrealloc(v, (*n + 1) * sizeof(*v));
		v[(*n)++] = xstrdup(line);
	}
	free(line);
	fclose(fp);
	return v;
}

static void free_lines(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

/*
 * Replay a shared capture through the state; for each event the condition
 * matches, render the rule's alert with opts into out[] (one string each).
 * Returns false (after a visible SKIP line) when the capture is absent.
 */
static bool replay(const char *capture, const char *condition, const struct alert_opts *opts,
                   const struct rule *r, char ***out, size_t *nout)
{
	char path[1024];
	struct err e = { { 0 } };
	struct scap_reader *rd;
	struct scap_record rec;
	struct state *st;
	struct filter *flt;
	struct alert_format *fmt;
	int rc;

	*out = NULL;
	*nout = 0;
	snprintf(path, sizeof(path), "%s/scap/%s", testdata_dir(), capture);
	if (access(path, R_OK) != 0) {
		fprintf(stderr, "test_alert: SKIP: shared capture %s not found (set SYSREC_TESTDATA)\n",
		        path);
		return false;
	}
	rd = scap_reader_open(path, &e);
	assert_non_null(rd);
	st = state_new();
	flt = filter_compile(st, condition, &e);
	assert_non_null(flt);
	fmt = alert_format_compile(st, r->output, &e);
	if (!fmt)
		fail_msg("%s", e.msg);
	while ((rc = scap_reader_next(rd, &rec, &e)) > 0) {
		struct evctx cx;
		struct sbuf b = { 0 };

		if (rec.kind != SCAP_REC_EVENT) {
			state_add_record(st, &rec);
			continue;
		}
		state_process(st, &rec.ev, &cx);
		if (!cx.shown || !filter_match(flt, &cx))
			continue;
		alert_render(opts, r, fmt, &cx, &b);
		*out = xrealloc(*out, (*nout + 1) * sizeof(**out));
		(*out)[(*nout)++] = xstrdup(sbuf_cstr(&b));
		sbuf_release(&b);
	}
	assert_int_equal(rc, 0);
	alert_format_free(fmt);
	filter_free(flt);
	state_free(st);
	scap_reader_close(rd);
	return true;
}

/* Every line Falco wrote for single_rule.yaml on cat_write.scap with time_iso_8601. */
static void test_text_iso_matches_falco(void **state)
{
	struct alert_opts o = { .iso_time = true };
	struct rule r =
	        make_rule("open_from_cat", "An open was seen (command=%proc.cmdline)", PRIO_WARNING, NULL, 0);
	char path[1024], **got, **want;
	size_t ngot, nwant;

	(void)state;
	snprintf(path, sizeof(path), "%s/falco-0.31.1/tests/output_files/single_rule_with_cat_write.txt",
	         testdata_dir());
	want = read_lines(path, &nwant);
	if (!want) {
		fprintf(stderr, "test_alert: SKIP: %s not found\n", path);
		skip();
	}
	if (!replay("falco_cat_write.scap", "evt.type=open and proc.name in (cat)", &o, &r, &got, &ngot))
		skip();
	assert_int_equal(ngot, 8);
	assert_int_equal(ngot, nwant);
	for (size_t i = 0; i < ngot; i++)
		assert_string_equal(got[i], want[i]);
	free_lines(got, ngot);
	free_lines(want, nwant);
}

/* Falco's JSON for single_rule_with_tags.yaml (stdout_output_json_strict), byte for byte. */
static void test_json_matches_falco(void **state)
{
	char *tags[] = { "filesystem", "process", "testing" };
	struct alert_opts o = { .json = true, .iso_time = true };
	struct rule r =
	        make_rule("open_from_cat", "An open was seen (command=%proc.cmdline)", PRIO_WARNING, tags, 3);
	char path[1024], **got, **want;
	size_t ngot, nwant;

	(void)state;
	snprintf(path, sizeof(path), "%s/falco-0.31.1/tests/output_files/single_rule_with_cat_write.json",
	         testdata_dir());
	want = read_lines(path, &nwant);
	if (!want) {
		fprintf(stderr, "test_alert: SKIP: %s not found\n", path);
		skip();
	}
	if (!replay("falco_cat_write.scap", "evt.type=open and proc.name=cat", &o, &r, &got, &ngot))
		skip();
	assert_int_equal(ngot, nwant);
	for (size_t i = 0; i < ngot; i++)
		assert_string_equal(got[i], want[i]);
	free_lines(got, ngot);
	free_lines(want, nwant);
}

/* The JSON read back: members in Falco's order, numbers as numbers, null for a missing field. */
static void test_json_shape(void **state)
{
	char *tags[] = { "process", "b", "process", "a" };
	struct alert_opts o = { .json = true };
	struct rule r =
	        make_rule("null field", "open (cport=%fd.cport command=%proc.cmdline tid=%thread.tid)",
	                  PRIO_NOTICE, tags, 4);
	static const char *const order[] = { "output", "priority", "rule",         "source",
		                             "tags",   "time",     "output_fields" };
	json_error_t jerr;
	char **got;
	size_t ngot, i = 0;
	json_t *j, *f, *v;
	const char *key;

	(void)state;
	if (!replay("falco_cat_write.scap", "evt.type=open and proc.name=cat", &o, &r, &got, &ngot))
		skip();
	assert_int_equal(ngot, 8);
	j = json_loads(got[7], JSON_PRESERVE_ORDER, &jerr);
	if (!j)
		fail_msg("not JSON (%s): %s", jerr.text, got[7]);
	json_object_foreach(j, key, v)
	{
		assert_true(i < ARRAY_SIZE(order));
		assert_string_equal(key, order[i++]);
	}
	assert_int_equal(i, ARRAY_SIZE(order));
	assert_string_equal(json_string_value(json_object_get(j, "priority")), "Notice");
	assert_string_equal(json_string_value(json_object_get(j, "rule")), "null field");
	assert_string_equal(json_string_value(json_object_get(j, "time")), "2016-08-04T16:17:57.882054739Z");
	/* tags sorted, without repeats, as Falco's std::set gives them */
	v = json_object_get(j, "tags");
	assert_int_equal(json_array_size(v), 3);
	assert_string_equal(json_string_value(json_array_get(v, 0)), "a");
	assert_string_equal(json_string_value(json_array_get(v, 1)), "b");
	assert_string_equal(json_string_value(json_array_get(v, 2)), "process");
	/* TZ=UTC in main(): the local prefix time reads as UTC */
	assert_string_equal(json_string_value(json_object_get(j, "output")),
	                    "16:17:57.882054739: Notice open (cport=<NA> command=cat /dev/null tid=20072)");
	f = json_object_get(j, "output_fields");
	assert_true(json_is_object(f));
	assert_int_equal(json_object_size(f), 4);
	i = 0;
	json_object_foreach(f, key, v)
	{
		static const char *const keys[] = { "evt.time", "fd.cport", "proc.cmdline", "thread.tid" };

		assert_string_equal(key, keys[i++]);
	}
	assert_true(json_is_integer(json_object_get(f, "evt.time")));
	assert_int_equal(json_integer_value(json_object_get(f, "evt.time")), 1470327477882054739LL);
	assert_true(json_is_null(json_object_get(f, "fd.cport")));
	assert_string_equal(json_string_value(json_object_get(f, "proc.cmdline")), "cat /dev/null");
	assert_true(json_is_integer(json_object_get(f, "thread.tid")));
	assert_int_equal(json_integer_value(json_object_get(f, "thread.tid")), 20072);
	json_decref(j);

	/* json_include_output_property / json_include_tags_property false */
	free_lines(got, ngot);
	o.json_no_output = o.json_no_tags = true;
	if (!replay("falco_cat_write.scap", "evt.type=open and proc.name=cat", &o, &r, &got, &ngot))
		skip();
	j = json_loads(got[0], 0, &jerr);
	assert_non_null(j);
	assert_null(json_object_get(j, "output"));
	assert_null(json_object_get(j, "tags"));
	assert_non_null(json_object_get(j, "output_fields"));
	json_decref(j);
	free_lines(got, ngot);
}

/* falco_tests.yaml null_output_field: "Warning An open was seen (cport=<NA> command=cat /dev/null)". */
static void test_na_and_local_time(void **state)
{
	struct alert_opts o = { 0 };
	struct rule r = make_rule("open_from_cat", "An open was seen (cport=%fd.cport command=%proc.cmdline)",
	                          PRIO_WARNING, NULL, 0);
	char **got;
	size_t ngot;

	(void)state;
	if (!replay("falco_cat_write.scap", "evt.type=open and proc.name=cat", &o, &r, &got, &ngot))
		skip();
	assert_int_equal(ngot, 8);
	assert_string_equal(
	        got[0], "16:17:57.881781397: Warning An open was seen (cport=<NA> command=cat /dev/null)");
	assert_string_equal(
	        got[7], "16:17:57.882054739: Warning An open was seen (cport=<NA> command=cat /dev/null)");
	free_lines(got, ngot);
}

/* The token forms: %field[arg], %(field), %Nfield, the longest field name, and refusals. */
static void test_format_tokens(void **state)
{
	struct alert_opts o = { .iso_time = true };
	struct rule r = make_rule("forms",
	                          "*[%(proc.name)] [%6proc.name] [%2proc.name] %proc.name. %proc.aname[0] "
	                          "%evt.arg.name %evt.arg[0]",
	                          PRIO_CRITICAL, NULL, 0);
	struct state *st = state_new();
	struct err e = { { 0 } };
	char **got;
	size_t ngot;

	(void)state;
	assert_null(alert_format_compile(st, "x %no.such.field", &e));
	assert_non_null(strstr(e.msg, "no.such.field"));
	assert_null(alert_format_compile(st, "ends with %", &e));
	assert_non_null(strstr(e.msg, "cannot end with a %"));
	assert_null(alert_format_compile(st, "%(proc.name", &e));
	state_free(st);

	if (!replay("falco_cat_write.scap", "evt.type=open and evt.dir=< and proc.name=cat", &o, &r, &got,
	            &ngot))
		skip();
	assert_int_equal(ngot, 4);
	assert_string_equal(got[3],
	                    "2016-08-04T16:17:57.882054739+0000: Critical [cat] [cat   ] [ca] cat. cat "
	                    "/dev/null <f>/dev/null");
	free_lines(got, ngot);
}

/* An injected clock for the rate limiter. */
static uint64_t fake_now;

static uint64_t fake_clock(void *ctx)
{
	(void)ctx;
	return fake_now;
}

/* A shown event of the capture with its state, for emitting alerts by hand. */
struct one_event {
	struct scap_reader *rd;
	struct state *st;
	struct evctx cx;
	struct scap_record rec;
};

static bool first_cat_open(struct one_event *oe)
{
	char path[1024];
	struct err e = { { 0 } };
	struct filter *flt;
	int rc;

	memset(oe, 0, sizeof(*oe));
	snprintf(path, sizeof(path), "%s/scap/falco_cat_write.scap", testdata_dir());
	if (access(path, R_OK) != 0) {
		fprintf(stderr, "test_alert: SKIP: shared capture %s not found (set SYSREC_TESTDATA)\n",
		        path);
		return false;
	}
	oe->rd = scap_reader_open(path, &e);
	assert_non_null(oe->rd);
	oe->st = state_new();
	flt = filter_compile(oe->st, "evt.type=open and evt.dir=< and proc.name=cat", &e);
	assert_non_null(flt);
	while ((rc = scap_reader_next(oe->rd, &oe->rec, &e)) > 0) {
		if (oe->rec.kind != SCAP_REC_EVENT) {
			state_add_record(oe->st, &oe->rec);
			continue;
		}
		state_process(oe->st, &oe->rec.ev, &oe->cx);
		if (oe->cx.shown && filter_match(flt, &oe->cx))
			break;
	}
	assert_true(rc > 0);
	filter_free(flt);
	return true;
}

static void one_event_free(struct one_event *oe)
{
	state_free(oe->st);
	scap_reader_close(oe->rd);
}

static char *slurp(const char *path)
{
	FILE *fp = fopen(path, "r");
	char *buf = xcalloc(1, 1 << 16);

	assert_non_null(fp);
	assert_true(fread(buf, 1, (1 << 16) - 1, fp) < (1 << 16) - 1);
	fclose(fp);
	return buf;
}

/* Falco's token bucket, per rule: starts with burst alerts, gains rate per second, holds back the rest. */
static void test_rate_limit(void **state)
{
	char path[] = "/tmp/test_alert_rate_XXXXXX";
	struct alert_opts o = { .kind = ALERT_SINK_FILE, .rate = 1, .burst = 3, .clock = fake_clock };
	struct rule a = make_rule("rule a", "a %proc.name", PRIO_ERROR, NULL, 0);
	struct rule b = make_rule("rule b", "b %proc.name", PRIO_ERROR, NULL, 0);
	struct err e = { { 0 } };
	struct one_event oe;
	struct alert_format *fa, *fb;
	struct alert_sink *s;
	char *report = NULL;
	size_t report_len = 0;
	FILE *rf;
	int fd = mkstemp(path);

	(void)state;
	assert_true(fd >= 0);
	close(fd);
	if (!first_cat_open(&oe)) {
		unlink(path);
		skip();
	}
	fa = alert_format_compile(oe.st, a.output, &e);
	fb = alert_format_compile(oe.st, b.output, &e);
	o.path = path;
	fake_now = 1000 * NS;
	s = alert_sink_open(&o, &e);
	assert_non_null(s);
	for (int i = 0; i < 5; i++)
		assert_int_equal(alert_emit(s, &a, fa, &oe.cx), i < 3 ? 1 : 0);
	assert_int_equal(alert_emit(s, &b, fb, &oe.cx), 1); /* b has its own bucket */
	fake_now += NS / 2;
	assert_int_equal(alert_emit(s, &a, fa, &oe.cx), 0); /* half a token */
	fake_now += NS / 2;
	assert_int_equal(alert_emit(s, &a, fa, &oe.cx), 1); /* one whole token again */
	assert_int_equal(alert_emit(s, &a, fa, &oe.cx), 0);
	fake_now += 100 * NS; /* refills, capped at the burst */
	for (int i = 0; i < 4; i++)
		assert_int_equal(alert_emit(s, &a, fa, &oe.cx), i < 3 ? 1 : 0);
	assert_int_equal(alert_sink_dropped(s, &a), 5);
	assert_int_equal(alert_sink_dropped(s, &b), 0);
	assert_int_equal(alert_sink_dropped(s, NULL), 5);
	assert_int_equal(alert_sink_written(s), 8);
	rf = open_memstream(&report, &report_len);
	alert_sink_report(s, rf);
	fclose(rf);
	assert_string_equal(report, "5 alerts of rule 'rule a' over the rate limit were not written\n");
	free(report);
	assert_int_equal(alert_sink_close(s, &e), 0);

	/* rate 0: no limit */
	o.rate = 0;
	s = alert_sink_open(&o, &e);
	for (int i = 0; i < 10; i++)
		assert_int_equal(alert_emit(s, &a, fa, &oe.cx), 1);
	assert_int_equal(alert_sink_dropped(s, NULL), 0);
	assert_int_equal(alert_sink_close(s, &e), 0);

	alert_format_free(fa);
	alert_format_free(fb);
	one_event_free(&oe);
	unlink(path);
}

/* The file sink appends (what was there stays); each alert one line. */
static void test_file_sink(void **state)
{
	char path[] = "/tmp/test_alert_file_XXXXXX";
	struct alert_opts o = { .kind = ALERT_SINK_FILE,
		                .iso_time = true,
		                .rate = ALERT_DEFAULT_RATE,
		                .burst = ALERT_DEFAULT_BURST };
	struct rule r =
	        make_rule("open_from_cat", "An open was seen (command=%proc.cmdline)", PRIO_WARNING, NULL, 0);
	struct err e = { { 0 } };
	struct one_event oe;
	struct alert_format *f;
	struct alert_sink *s;
	char *text;
	int fd = mkstemp(path);

	(void)state;
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "before\n", 7), 7);
	close(fd);
	if (!first_cat_open(&oe)) {
		unlink(path);
		skip();
	}
	f = alert_format_compile(oe.st, r.output, &e);
	o.path = path;
	s = alert_sink_open(&o, &e);
	assert_non_null(s);
	assert_int_equal(alert_emit(s, &r, f, &oe.cx), 1);
	assert_int_equal(alert_emit(s, &r, f, &oe.cx), 1);
	assert_int_equal(alert_sink_close(s, &e), 0);
	text = slurp(path);
	assert_string_equal(
	        text,
	        "before\n"
	        "2016-08-04T16:17:57.881785348+0000: Warning An open was seen (command=cat /dev/null)\n"
	        "2016-08-04T16:17:57.881785348+0000: Warning An open was seen (command=cat /dev/null)\n");
	free(text);

	o.path = "/nonexistent-dir/alerts.txt";
	assert_null(alert_sink_open(&o, &e));
	assert_non_null(strstr(e.msg, "/nonexistent-dir/alerts.txt"));

	alert_format_free(f);
	one_event_free(&oe);
	unlink(path);
}

/* The stdout sink writes each alert at once to fd 1 (here redirected into a file). */
static void test_stdout_sink(void **state)
{
	char path[] = "/tmp/test_alert_stdout_XXXXXX";
	struct alert_opts o = { .kind = ALERT_SINK_STDOUT, .json = true, .iso_time = true };
	struct rule r =
	        make_rule("open_from_cat", "An open was seen (command=%proc.cmdline)", PRIO_WARNING, NULL, 0);
	struct err e = { { 0 } };
	struct one_event oe;
	struct alert_format *f;
	struct alert_sink *s;
	char *text;
	int fd = mkstemp(path), saved;

	(void)state;
	assert_true(fd >= 0);
	if (!first_cat_open(&oe)) {
		close(fd);
		unlink(path);
		skip();
	}
	f = alert_format_compile(oe.st, r.output, &e);
	s = alert_sink_open(&o, &e);
	assert_non_null(s);
	fflush(stdout);
	saved = dup(STDOUT_FILENO);
	assert_true(dup2(fd, STDOUT_FILENO) >= 0);
	assert_int_equal(alert_emit(s, &r, f, &oe.cx), 1);
	assert_true(dup2(saved, STDOUT_FILENO) >= 0);
	close(saved);
	close(fd);
	assert_int_equal(alert_sink_close(s, &e), 0);
	text = slurp(path);
	assert_string_equal(
	        text,
	        "{\"output\":\"2016-08-04T16:17:57.881785348+0000: Warning An open was seen "
	        "(command=cat /dev/null)\",\"priority\":\"Warning\",\"rule\":\"open_from_cat\",\"source\":"
	        "\"syscall\",\"tags\":[],\"time\":\"2016-08-04T16:17:57.881785348Z\", "
	        "\"output_fields\": {\"evt.time.iso8601\":1470327477881785348,\"proc.cmdline\":"
	        "\"cat /dev/null\"}}\n");
	free(text);
	alert_format_free(f);
	one_event_free(&oe);
	unlink(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_text_iso_matches_falco),
		cmocka_unit_test(test_json_matches_falco),
		cmocka_unit_test(test_json_shape),
		cmocka_unit_test(test_na_and_local_time),
		cmocka_unit_test(test_format_tokens),
		cmocka_unit_test(test_rate_limit),
		cmocka_unit_test(test_file_sink),
		cmocka_unit_test(test_stdout_sink),
	};

	setenv("TZ", "UTC", 1);
	tzset();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
