/*
 * test_filter_match: compiled filters against hand-built state, for the
 * shortcuts the evaluator takes (the substring search, the checks decided by
 * event code) where the differential tests see only the shared captures.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/filter/fields.h"
#include "../../src/filter/filter.h"

#define TID 7
#define FD0 3

/* A state with thread TID holding fds FD0, FD0+1, ... named names[0], names[1], ... */
static struct state *state_with_fds(const char *const *names, size_t n)
{
	struct state *st = state_new();
	struct scap_proc p = { 0 };
	struct scap_fd *fds = calloc(n, sizeof(*fds));
	struct scap_record rec = { 0 };

	assert_non_null(fds);
	p.tid = p.pid = TID;
	p.ptid = 1;
	p.comm = p.exe = "cat";
	p.exepath = "/usr/bin/cat";
	p.args = p.env = p.cgroups = "";
	p.cwd = p.root = "/";
	rec.kind = SCAP_REC_PROCS;
	rec.procs = &p;
	rec.nprocs = 1;
	state_add_record(st, &rec);
	for (size_t i = 0; i < n; i++) {
		fds[i].fd = FD0 + (int64_t)i;
		fds[i].type = SCAP_FD_FILE_V2;
		fds[i].name = (char *)names[i];
	}
	rec.kind = SCAP_REC_FDS;
	rec.fds_tid = TID;
	rec.fds = fds;
	rec.nfds = n;
	state_add_record(st, &rec);
	free(fds);
	return st;
}

/* Apply one event of thread TID: code type, the given parameters. */
static void apply(struct state *st, struct sbuf *buf, struct event *ev, struct evctx *cx, uint16_t type,
                  uint32_t n, const void *const *v, const uint32_t *l)
{
	struct err e = { { 0 } };

	buf->len = 0;
	scap_encode_event(buf, 1700000000000000000ULL, TID, type, n, v, l);
	assert_int_equal(event_parse(ev, (const uint8_t *)buf->data, buf->len, 2, &e), 0);
	state_process(st, ev, cx);
}

/* A read enter on fd: the event fd.name is tested on. */
static void apply_read(struct state *st, struct sbuf *buf, struct event *ev, struct evctx *cx, int64_t fd)
{
	uint32_t size = 64;
	const void *v[] = { &fd, &size };
	const uint32_t l[] = { 8, 4 };

	apply(st, buf, ev, cx, (uint16_t)event_code_by_name("read"), 2, v, l);
}

static uint32_t rnd(uint32_t *seed)
{
	*seed = *seed * 1103515245u + 12345u;
	return (*seed >> 16) & 0x7fff;
}

/*
 * `fd.name contains X` agrees with memmem on every text length from 0 to 99
 * (the short-text, 16-at-a-time and overlapping-tail paths) and needles of 1
 * to 20 bytes over a small alphabet, so that near misses are common.
 */
static void test_contains_agrees_with_memmem(void **unused)
{
	static const char alphabet[] = "/lib.a";
	enum { NTEXTS = 100, NNEEDLES = 300 };
	char *texts[NTEXTS];
	uint32_t seed = 42;
	struct state *st;
	struct sbuf buf, ftext;
	struct event ev;
	size_t checked = 0, found = 0;

	(void)unused;
	for (size_t i = 0; i < NTEXTS; i++) {
		texts[i] = malloc(i + 1);
		assert_non_null(texts[i]);
		for (size_t k = 0; k < i; k++)
			texts[i][k] = alphabet[rnd(&seed) % (sizeof(alphabet) - 1)];
		texts[i][i] = 0;
	}
	st = state_with_fds((const char *const *)texts, NTEXTS);
	sbuf_init(&buf, 256);
	sbuf_init(&ftext, 64);
	for (size_t k = 0; k < NNEEDLES; k++) {
		size_t nlen = 1 + rnd(&seed) % 20;
		char needle[21];
		struct filter *f;
		struct err e = { { 0 } };

		for (size_t j = 0; j < nlen; j++)
			needle[j] = alphabet[rnd(&seed) % (sizeof(alphabet) - 1)];
		needle[nlen] = 0;
		/* and now and then a needle taken from a text, so that some match far in */
		if (k % 3 == 0) {
			size_t t = 20 + rnd(&seed) % (NTEXTS - 20), at = rnd(&seed) % (t - nlen);

			memcpy(needle, texts[t] + at, nlen);
		}
		ftext.len = 0;
		sbuf_printf(&ftext, "fd.name contains \"%s\"", needle);
		f = filter_compile(st, sbuf_cstr(&ftext), &e);
		assert_non_null(f);
		for (size_t i = 0; i < NTEXTS; i++) {
			struct evctx cx;
			bool want = memmem(texts[i], i, needle, nlen) != NULL;

			apply_read(st, &buf, &ev, &cx, FD0 + (int64_t)i);
			if (filter_match(f, &cx) != want)
				fail_msg("'%s' contains '%s': sysrec says %s", texts[i], needle,
				         want ? "no" : "yes");
			checked++;
			found += want;
		}
		filter_free(f);
	}
	assert_int_equal(checked, NTEXTS * NNEEDLES);
	assert_true(found > checked / 20 && found < checked - checked / 20); /* both answers tested */
	for (size_t i = 0; i < NTEXTS; i++)
		free(texts[i]);
	sbuf_release(&buf);
	sbuf_release(&ftext);
	state_free(st);
}

/*
 * Every field marked FF_FD has no value on an event without an fd, even with
 * a thread that has fds: the evaluator rejects such events by code alone.
 */
static void test_fd_fields_absent_without_fd(void **unused)
{
	static const char *const names[] = { "/etc/passwd" };
	struct state *st = state_with_fds(names, 1);
	struct sbuf buf, out;
	struct event ev;
	struct evctx cx;
	uint64_t addr = 0;
	const void *v[] = { &addr };
	const uint32_t l[] = { 8 };
	size_t nfd = 0;
	const char *arg;

	(void)unused;
	sbuf_init(&buf, 256);
	sbuf_init(&out, 64);
	apply(st, &buf, &ev, &cx, (uint16_t)event_code_by_name("brk"), 1, v, l);
	assert_non_null(cx.thread);
	assert_false(cx.has_fd);
	for (size_t i = 0; field_at(i); i++) {
		const struct field *fd = field_at(i);

		if (!(field_flags(fd) & FF_FD))
			continue;
		nfd++;
		out.len = 0;
		for (int64_t side = 0; side < 2; side++)
			if (field_extract(fd, st, &cx, NULL, side, NULL, &out))
				fail_msg("%s has a value (%s) on brk", field_name(fd), sbuf_cstr(&out));
	}
	assert_true(nfd >= 30);
	/* and the same thread's read on fd 3 has one */
	apply_read(st, &buf, &ev, &cx, FD0);
	out.len = 0;
	assert_true(field_extract(field_find("fd.name", 7, &arg), st, &cx, NULL, 0, NULL, &out));
	assert_string_equal(sbuf_cstr(&out), "/etc/passwd");
	sbuf_release(&buf);
	sbuf_release(&out);
	state_free(st);
}

/* Checks decided by event code give what the full check gives, negated or not. */
static void test_checks_by_code(void **unused)
{
	static const char *const names[] = { "/etc/passwd" };
	static const char *const filters[] = {
		"evt.dir=<",     "evt.dir!=<",        "not evt.dir=>",           "evt.type=read",
		"evt.type<read", "not evt.type=read", "evt.type in (brk, read)", "evt.type contains read",
	};
	static const bool want[][2] = {
		/* on read >, on brk > */
		{ false, false }, { true, true },  { false, false }, { true, false },
		{ false, true },  { false, true }, { true, true },   { true, false },
	};
	struct state *st = state_with_fds(names, 1);
	struct sbuf buf;
	struct event ev;

	(void)unused;
	sbuf_init(&buf, 256);
	for (size_t i = 0; i < sizeof(filters) / sizeof(filters[0]); i++) {
		struct err e = { { 0 } };
		struct filter *f = filter_compile(st, filters[i], &e);
		struct evctx cx;
		uint64_t addr = 0;
		const void *v[] = { &addr };
		const uint32_t l[] = { 8 };

		assert_non_null(f);
		apply_read(st, &buf, &ev, &cx, FD0);
		if (filter_match(f, &cx) != want[i][0])
			fail_msg("%s on read: expected %d", filters[i], want[i][0]);
		apply(st, &buf, &ev, &cx, (uint16_t)event_code_by_name("brk"), 1, v, l);
		if (filter_match(f, &cx) != want[i][1])
			fail_msg("%s on brk: expected %d", filters[i], want[i][1]);
		filter_free(f);
	}
	sbuf_release(&buf);
	state_free(st);
}

/* A procinfo event of thread TID: its user and system CPU ticks so far. */
static void apply_procinfo(struct state *st, struct sbuf *buf, struct event *ev, struct evctx *cx,
                           uint64_t usr, uint64_t sys)
{
	const void *v[] = { &usr, &sys };
	const uint32_t l[] = { 8, 8 };

	apply(st, buf, ev, cx, 234, 2, v, l);
}

/*
 * thread.cpu and its user/system parts: on procinfo events only, the ticks
 * since the previous procinfo of the thread that this filter saw, at most
 * 100; every filter (every place it is named) keeps its own memory.
 */
static void test_thread_cpu(void **unused)
{
	static const uint64_t ticks[][2] = { { 3, 2 }, { 10, 5 }, { 300, 5 }, { 301, 6 } };
	static const bool over5[] = { false, true, true, false };      /* 0, 10, 100 (290 capped), 2 */
	static const bool user_is_7[] = { false, true, false, false }; /* 0, 7, 100, 1 */
	struct state *st = state_with_fds(NULL, 0);
	struct err e = { { 0 } };
	struct filter *cpu = filter_compile(st, "thread.cpu > 5", &e);
	struct filter *user = filter_compile(st, "thread.cpu.user = 7", &e);
	struct filter *both = filter_compile(st, "thread.cpu = 0 and thread.cpu.system = 0", &e);
	struct output *out = output_new(st, "%thread.cpu %thread.cpu.user %thread.cpu.system", false, &e);
	struct sbuf buf, line;
	struct event ev;
	struct evctx cx;

	(void)unused;
	assert_non_null(cpu);
	assert_non_null(user);
	assert_non_null(both);
	assert_non_null(out);
	sbuf_init(&buf, 256);
	sbuf_init(&line, 256);
	for (size_t i = 0; i < ARRAY_SIZE(ticks); i++) {
		apply_procinfo(st, &buf, &ev, &cx, ticks[i][0], ticks[i][1]);
		assert_int_equal(filter_match(cpu, &cx), over5[i]);
		assert_int_equal(filter_match(user, &cx), user_is_7[i]);
		/* its two checks run on the first event only: the second's memory starts there */
		assert_int_equal(filter_match(both, &cx), i == 0);
		line.len = 0;
		assert_true(output_event(out, &cx, &line));
		if (i == 1)
			assert_string_equal(sbuf_cstr(&line), "10 7 3\n");
	}
	/* other events do not have it */
	apply_read(st, &buf, &ev, &cx, 0);
	line.len = 0;
	assert_false(output_event(out, &cx, &line));
	filter_free(cpu);
	filter_free(user);
	filter_free(both);
	output_free(out);
	sbuf_release(&buf);
	sbuf_release(&line);
	state_free(st);
}

/* evt.around[T]=D: the event's time within D ms of T, either side. */
static void test_evt_around(void **unused)
{
	static const struct {
		const char *filter;
		bool match;
	} cases[] = {
		{ "evt.around[1700000000005000000]=5", true }, { "evt.around[1700000000005000000]=4", false },
		{ "evt.around[1699999999995000000]=5", true }, { "evt.around[1699999999994999999]=5", false },
		{ "evt.around[1700000000000000000]=0", true }, { "not evt.around[1]=1", true },
	};
	struct state *st = state_with_fds(NULL, 0);
	struct sbuf buf;
	struct event ev;
	struct evctx cx;

	(void)unused;
	sbuf_init(&buf, 256);
	apply_read(st, &buf, &ev, &cx, 0); /* at 1700000000000000000 */
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct err e = { { 0 } };
		struct filter *f = filter_compile(st, cases[i].filter, &e);

		assert_non_null(f);
		if (filter_match(f, &cx) != cases[i].match)
			fail_msg("%s: expected %d", cases[i].filter, cases[i].match);
		filter_free(f);
	}
	sbuf_release(&buf);
	state_free(st);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_contains_agrees_with_memmem),
		cmocka_unit_test(test_fd_fields_absent_without_fd),
		cmocka_unit_test(test_checks_by_code),
		cmocka_unit_test(test_thread_cpu),
		cmocka_unit_test(test_evt_around),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
