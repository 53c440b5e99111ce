/* test_capture_filter: a capture's filter and filter_proclist; a cancel or bad filter stores nothing. */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "capture_readback.h"
#include "capture_source.h"

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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_filter_curl_google, fixture_open, fixture_close),
		cmocka_unit_test_setup_teardown(test_filter_falco_cat_write, fixture_open, fixture_close),
		cmocka_unit_test_setup_teardown(test_filter_proclist, fixture_open, fixture_close),
		cmocka_unit_test_setup_teardown(test_cancel_and_bad_filter, fixture_open, fixture_close),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
