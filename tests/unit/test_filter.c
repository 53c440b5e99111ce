/* test_filter: -p format compilation, field extraction and JSON output. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "../../src/filter/filter.h"

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <string.h>

/* One thread (tid 7, "cat") with fd 3 open on /etc/passwd, and a read pair on it. */
struct fixture {
	struct state *st;
	struct sbuf enter, exit;
	struct event ev_enter, ev_exit;
};

static void encode(struct sbuf *out, uint64_t ts, uint16_t type, uint32_t n, const void *const *v,
                   const uint32_t *l)
{
	sbuf_init(out, 256);
	scap_encode_event(out, ts, 7, type, n, v, l);
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	struct scap_proc p = { 0 };
	struct scap_fd fd = { 0 };
	struct scap_user u = { 1000, 1000, "alice", "/home/alice", "/bin/sh" };
	struct scap_record rec = { 0 };
	struct err e;
	int64_t fdnum = 3, res = 4;
	uint32_t size = 100;
	const void *ve[] = { &fdnum, &size };
	const uint32_t le[] = { 8, 4 };
	const void *vx[] = { &res, "ro\x01t" };
	const uint32_t lx[] = { 8, 4 };

	f->st = state_new();
	p.tid = p.pid = 7;
	p.ptid = 1;
	p.comm = "cat";
	p.exe = "cat";
	p.exepath = "/usr/bin/cat";
	p.args = "/etc/passwd";
	p.args_len = sizeof("/etc/passwd");
	p.cwd = "/root";
	p.env = "";
	p.cgroups = "";
	p.root = "/";
	p.uid = 1000;
	rec.kind = SCAP_REC_PROCS;
	rec.procs = &p;
	rec.nprocs = 1;
	state_add_record(f->st, &rec);
	fd.fd = 3;
	fd.type = SCAP_FD_FILE_V2;
	fd.name = "/etc/passwd";
	rec.kind = SCAP_REC_FDS;
	rec.fds_tid = 7;
	rec.fds = &fd;
	rec.nfds = 1;
	state_add_record(f->st, &rec);
	rec.kind = SCAP_REC_USERS;
	rec.users = &u;
	rec.nusers = 1;
	state_add_record(f->st, &rec);

	encode(&f->enter, 1000000001000ULL, 6, 2, ve, le);
	encode(&f->exit, 1000000002000ULL, 7, 2, vx, lx);
	assert_int_equal(event_parse(&f->ev_enter, (uint8_t *)f->enter.data, f->enter.len, 2, &e), 0);
	assert_int_equal(event_parse(&f->ev_exit, (uint8_t *)f->exit.data, f->exit.len, 2, &e), 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	sbuf_release(&f->enter);
	sbuf_release(&f->exit);
	state_free(f->st);
	free(f);
	return 0;
}

/* Run both events through the state; return the line the format gives the exit. */
static char *line_for_exit(struct fixture *f, struct output *o)
{
	struct evctx cx;
	struct sbuf out;

	sbuf_init(&out, 256);
	state_process(f->st, &f->ev_enter, &cx);
	state_process(f->st, &f->ev_exit, &cx);
	if (!output_event(o, &cx, &out))
		sbuf_puts(&out, "(suppressed)");
	return (char *)sbuf_cstr(&out);
}

static void test_format_fields_and_literals(void **state)
{
	struct fixture *f = *state;
	struct err e;
	struct output *o = output_new(f->st,
	                              "[%evt.num] %proc.name(%thread.tid) %fd.name %fd.num %fd.type "
	                              "%user.name %evt.res %evt.rawres %evt.dir %evt.type %proc.cmdline",
	                              false, &e);
	char *line;

	assert_non_null(o);
	line = line_for_exit(f, o);
	assert_string_equal(line, "[2] cat(7) /etc/passwd 3 file alice SUCCESS 4 < read cat /etc/passwd\n");
	free(line);
	output_free(o);
}

static void test_missing_field_suppresses_unless_star(void **state)
{
	struct fixture *f = *state;
	struct err e;
	struct output *o = output_new(f->st, "%evt.num %container.image", false, &e);
	char *line = line_for_exit(f, o);

	assert_string_equal(line, "(suppressed)");
	free(line);
	output_free(o);
}

static void test_star_prints_na(void **state)
{
	struct fixture *f = *state;
	struct err e;
	struct output *o = output_new(f->st, "*%evt.num %container.image", false, &e);
	char *line = line_for_exit(f, o);

	assert_string_equal(line, "2 <NA>\n");
	free(line);
	output_free(o);
}

static void test_unknown_field_refused_with_offset(void **state)
{
	struct fixture *f = *state;
	struct err e;

	assert_null(output_new(f->st, "%evt.num %proc.nosuch", false, &e));
	assert_non_null(strstr(e.msg, "%proc.nosuch"));
	assert_non_null(strstr(e.msg, "offset 10"));
}

static void test_default_line(void **state)
{
	struct fixture *f = *state;
	struct output *o = output_new_default(f->st, false);
	char *line = line_for_exit(f, o);

	assert_string_equal(line, "2 00:16:40.000002000 0 cat (7) < read res=4 data=ro.t \n");
	free(line);
	output_free(o);
}

static void test_json_sorted_typed_and_escaped(void **state)
{
	struct fixture *f = *state;
	struct err e;
	struct output *o = output_new(f->st, "%proc.name %evt.num %evt.args %fd.num", true, &e);
	char *line = line_for_exit(f, o);

	assert_string_equal(
	        line,
	        "{\"evt.args\":\"res=4 data=ro.t \",\"evt.num\":2,\"fd.num\":3,\"proc.name\":\"cat\"}\n");
	free(line);
	output_free(o);
}

/*
 * The line made in two steps (output_prepare() then output_render(), as the
 * printing thread does) equals the line made directly, for every event of every
 * shared capture: the memo holds every answer the formatter asks for.
 */
static void test_split_line_equals_direct(void **state)
{
	static const char *const caps[] = { "curl_google",   "falco_cat_write",  "falco_connect_localhost",
		                            "falco_syscall", "single_ipv6_conn", "test_ipv6_client" };
	const char *td = getenv("SYSREC_TESTDATA") ? getenv("SYSREC_TESTDATA") : "../shared/testdata";
	size_t compared = 0, looked_up = 0;

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(caps); i++) {
		char path[512];
		struct err e = { { 0 } };
		struct scap_reader *r;
		struct scap_record rec;
		struct state *st = state_new();
		struct output *direct = output_new_default(st, false), *split = output_new_default(st, false);
		struct sbuf a = { 0 }, b = { 0 }, memo = { 0 };
		int rc;

		snprintf(path, sizeof(path), "%s/scap/%s.scap", td, caps[i]);
		r = scap_reader_open(path, &e);
		if (!r) {
			fprintf(stderr, "test_filter: SKIP: %s (set SYSREC_TESTDATA)\n", e.msg);
			output_free(direct);
			output_free(split);
			state_free(st);
			skip();
		}
		assert_true(output_splits(split));
		while ((rc = scap_reader_next(r, &rec, &e)) > 0) {
			struct evctx cx;

			if (rec.kind != SCAP_REC_EVENT) {
				state_add_record(st, &rec);
				continue;
			}
			state_process(st, &rec.ev, &cx);
			if (!cx.shown)
				continue;
			a.len = b.len = memo.len = 0;
			output_event(direct, &cx, &a);
			output_prepare(st, &cx, &memo);
			output_render(split, &rec.ev, cx.num, memo.data, memo.len, &b);
			assert_string_equal(sbuf_cstr(&a), sbuf_cstr(&b));
			compared++;
			looked_up += memo.len > 40; /* more than the thread's name */
		}
		assert_int_equal(rc, 0);
		scap_reader_close(r);
		sbuf_release(&a);
		sbuf_release(&b);
		sbuf_release(&memo);
		output_free(direct);
		output_free(split);
		state_free(st);
	}
	assert_true(compared >= 1400); /* the lines of the references */
	assert_true(looked_up >= 300);
}

/*
 * evt.abspath joins the path to its directory in a buffer of its own: the
 * line it is appended to keeps what came before it (it once lost it).
 */
static void test_abspath_appends(void **state)
{
	struct fixture *f = *state;
	struct err e;
	struct output *o = output_new(f->st, "%evt.num %evt.abspath", false, &e);
	int64_t res = 0, dirfd = -100;
	uint32_t flags = 0;
	const void *v[] = { &res, &dirfd, "x/../notes.txt", &flags };
	const uint32_t l[] = { 8, 8, sizeof("x/../notes.txt"), 4 };
	struct sbuf raw, out;
	struct event ev;
	struct evctx cx;

	assert_non_null(o);
	encode(&raw, 1000000003000ULL, 303, 4, v, l); /* unlinkat exit, relative to the cwd */
	assert_int_equal(event_parse(&ev, (uint8_t *)raw.data, raw.len, 2, &e), 0);
	sbuf_init(&out, 64);
	sbuf_puts(&out, "earlier line\n");
	state_process(f->st, &ev, &cx);
	assert_true(output_event(o, &cx, &out));
	assert_string_equal(sbuf_cstr(&out), "earlier line\n1 /root/notes.txt\n");
	sbuf_release(&out);
	sbuf_release(&raw);
	output_free(o);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_format_fields_and_literals, setup, teardown),
		cmocka_unit_test_setup_teardown(test_missing_field_suppresses_unless_star, setup, teardown),
		cmocka_unit_test_setup_teardown(test_star_prints_na, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unknown_field_refused_with_offset, setup, teardown),
		cmocka_unit_test_setup_teardown(test_default_line, setup, teardown),
		cmocka_unit_test_setup_teardown(test_json_sorted_typed_and_escaped, setup, teardown),
		cmocka_unit_test(test_split_line_equals_direct),
		cmocka_unit_test_setup_teardown(test_abspath_appends, setup, teardown),
	};

	setenv("TZ", "UTC", 1);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
