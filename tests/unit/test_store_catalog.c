/* test_store_catalog: the capture catalog: put, get, reopen, search, filter, sort, page, expire, delete. */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <pthread.h>
#include <unistd.h>

#include "store_fixtures.h"

/* The ids of a query's result, joined by ' '; total in *total. */
static const char *query_ids(struct catalog *c, const struct catalog_query *q, size_t *total)
{
	static char buf[1024];
	struct capture_meta *list;
	struct err e = { "" };
	size_t n, len = 0;

	buf[0] = '\0';
	if (catalog_list(c, q, &list, &n, total, &e))
		fail_msg("catalog_list: %s", e.msg);
	for (size_t i = 0; i < n; i++)
		len += (size_t)snprintf(buf + len, sizeof(buf) - len, "%s%s", i ? " " : "", list[i].id);
	catalog_list_free(list, n);
	return buf;
}

static void test_catalog_put_get_reopen(void **state)
{
	struct fixture *f = *state;
	struct catalog *c = open_catalog(f);
	struct capture_meta m, got, raw;
	struct err e = { "" };
	char *text;
	size_t len;
	json_t *j;

	sample_meta(&m);
	put_meta(c, &m);
	assert_int_equal(catalog_get(c, m.id, &got), 0);
	assert_meta_equal(&got, &m);
	capture_meta_free(&got);
	assert_int_equal(catalog_get(c, "nope", &got), -ENOENT);

	/* the record on the store is the capture object, pretty-printed */
	assert_int_equal(
	        store_get_all(f->s, "captures/20261124T101500Z-3f2a9c01.json", 1 << 16, &text, &len, &e), 0);
	assert_non_null(strstr(text, "\n  \"name\": \"suspicious-curl\""));
	j = json_loads(text, 0, NULL);
	free(text);
	assert_int_equal(capture_meta_from_json(j, &raw, &e), 0);
	json_decref(j);
	assert_meta_equal(&raw, &m);
	capture_meta_free(&raw);

	/* replace, then rebuild from the store */
	free(m.name);
	m.name = xstrdup("renamed");
	put_meta(c, &m);
	add(c, "second", "two", "web-2", "manual", CAPTURE_ERROR, 1795515400);
	catalog_close(c);
	c = open_catalog(f);
	assert_int_equal(catalog_count(c, CAPTURE_OK), 1);
	assert_int_equal(catalog_count(c, CAPTURE_ERROR), 1);
	assert_int_equal(catalog_get(c, m.id, &got), 0);
	assert_meta_equal(&got, &m);
	capture_meta_free(&got);
	assert_int_equal(catalog_get(c, "second", &got), 0);
	assert_string_equal(got.host, "web-2");
	capture_meta_free(&got);

	/* a record that would not read back never reaches the store */
	m.start_ns = UINT64_MAX;
	assert_int_equal(catalog_put(c, &m, &e), -EINVAL);
	assert_non_null(strstr(e.msg, "'start_ns'"));
	assert_int_equal(catalog_get(c, m.id, &got), 0);
	assert_int_equal(got.start_ns, 1795515297000000000ULL); /* unchanged */
	capture_meta_free(&got);
	snprintf(m.id, sizeof(m.id), "../evil");
	assert_int_equal(catalog_put(c, &m, &e), -EINVAL);
	capture_meta_free(&m);
	catalog_close(c);
}

static void test_catalog_search(void **state)
{
	struct fixture *f = *state;
	struct catalog *c = open_catalog(f);
	struct catalog_query q = { .ascending = true, .sort = "name" };
	size_t total;

	add(c, "a", "Suspicious-Curl", "db-1", "manual", CAPTURE_OK, 100);
	add(c, "b", "nightly", "WEB-1", "manual", CAPTURE_OK, 200);
	add(c, "c", "other", "db-2", "Shell in Container", CAPTURE_ERROR, 300);
	q.search = "curl";
	assert_string_equal(query_ids(c, &q, &total), "a");
	q.search = "web-1";
	assert_string_equal(query_ids(c, &q, &total), "b");
	q.search = "SHELL IN";
	assert_string_equal(query_ids(c, &q, &total), "c");
	q.search = "DB-";
	assert_string_equal(query_ids(c, &q, &total), "c a"); /* by name: "other" < "Suspicious-Curl" */
	assert_int_equal(total, 2);
	q.search = "nothing";
	assert_string_equal(query_ids(c, &q, &total), "");
	assert_int_equal(total, 0);
	q.search = "";
	assert_string_equal(query_ids(c, &q, &total), "b c a");
	assert_int_equal(total, 3);
	q.search = NULL;
	assert_string_equal(query_ids(c, &q, &total), "b c a");
	catalog_close(c);
}

static void test_catalog_filters(void **state)
{
	static const int64_t now = 1800000000;
	struct fixture *f = *state;
	struct catalog *c = open_catalog(f);
	struct catalog_query q = { .ascending = true, .sort = "created", .now = now };
	struct capture_meta m;
	size_t total;

	static const struct {
		const char *id;
		int64_t left; /* expires_at - now */
		enum capture_status st;
		bool kept;
	} caps[] = {
		{ "ok-soon", 3 * DAY, CAPTURE_OK, false },     { "ok-later", 30 * DAY, CAPTURE_OK, false },
		{ "ok-edge", 7 * DAY, CAPTURE_OK, false },     { "ok-edge2", 7 * DAY + 1, CAPTURE_OK, false },
		{ "err-soon", DAY, CAPTURE_ERROR, false },     { "err-past", -DAY, CAPTURE_ERROR, false },
		{ "rec-soon", DAY, CAPTURE_RECORDING, false }, { "sto", 60 * DAY, CAPTURE_STORING, false },
		{ "ok-kept", DAY, CAPTURE_OK, true },
	};
	for (size_t i = 0; i < sizeof(caps) / sizeof(caps[0]); i++) {
		meta_init(&m, caps[i].id, caps[i].id, "h", "manual", caps[i].st, (int64_t)(1000 + i));
		m.expires_at = now + caps[i].left;
		m.kept = caps[i].kept;
		put_meta(c, &m);
		capture_meta_free(&m);
	}
	q.filter = CATALOG_ALL;
	query_ids(c, &q, &total);
	assert_int_equal(total, 9);
	q.filter = CATALOG_OK;
	assert_string_equal(query_ids(c, &q, &total), "ok-soon ok-later ok-edge ok-edge2 ok-kept");
	q.filter = CATALOG_ERROR;
	assert_string_equal(query_ids(c, &q, &total), "err-soon err-past");
	q.filter = CATALOG_RECORDING;
	assert_string_equal(query_ids(c, &q, &total), "rec-soon");
	q.filter = CATALOG_STORING;
	assert_string_equal(query_ids(c, &q, &total), "sto");
	q.filter = CATALOG_EXPIRING;
	assert_string_equal(query_ids(c, &q, &total), "ok-soon ok-edge err-soon err-past");
	assert_int_equal(total, 4);
	q.now = now - 3 * DAY; /* the clock is the caller's */
	assert_string_equal(query_ids(c, &q, &total), "ok-soon err-soon err-past");
	catalog_close(c);
}

static void test_catalog_sort_keys_both_orders(void **state)
{
	static const struct {
		const char *key;
		const char *asc;
	} sorts[] = {
		{ "created", "c1 c2 c3 c4" }, { NULL, "c1 c2 c3 c4" },     { "", "c1 c2 c3 c4" },
		{ "name", "c3 c1 c4 c2" },    { "start", "c4 c3 c2 c1" },  { "duration", "c2 c1 c3 c4" },
		{ "size", "c1 c4 c2 c3" },    { "status", "c3 c1 c4 c2" }, { "trigger", "c2 c4 c1 c3" },
		{ "host", "c4 c1 c3 c2" },
	};
	struct fixture *f = *state;
	struct catalog *c = open_catalog(f);
	/* id, name, host, trigger, status, created, start_ns, duration, size */
	static const struct {
		const char *id, *name, *host, *trigger;
		enum capture_status st;
		int64_t created;
		uint64_t start, size;
		double duration;
	} caps[] = {
		{ "c1", "Beta", "b-host", "manual", CAPTURE_OK, 10, 400, 5, 5.0 }, /* size ties c4: by id */
		{ "c2", "delta", "d-host", "a-rule", CAPTURE_STORING, 20, 300, 50, 1.0 },
		{ "c3", "alpha", "c-host", "z-rule", CAPTURE_ERROR, 30, 200, 70, 10.0 },
		{ "c4", "Charlie", "A-host", "b-rule", CAPTURE_RECORDING, 40, 100, 5,
		  10.0 }, /* duration ties c3 */
	};
	struct catalog_query q = { 0 };
	struct capture_meta m;
	struct err e = { "" };
	struct capture_meta *list;
	size_t n;

	for (size_t i = 0; i < sizeof(caps) / sizeof(caps[0]); i++) {
		meta_init(&m, caps[i].id, caps[i].name, caps[i].host, caps[i].trigger, caps[i].st,
		          caps[i].created);
		m.start_ns = caps[i].start;
		m.size = caps[i].size;
		m.duration = caps[i].duration;
		put_meta(c, &m);
		capture_meta_free(&m);
	}
	for (size_t i = 0; i < sizeof(sorts) / sizeof(sorts[0]); i++) {
		char desc[64];
		const char *got;
		size_t len = strlen(sorts[i].asc);

		q.sort = sorts[i].key;
		q.ascending = true;
		got = query_ids(c, &q, NULL);
		if (strcmp(got, sorts[i].asc) != 0)
			fail_msg("sort %s asc: got '%s', want '%s'", sorts[i].key, got, sorts[i].asc);
		/* descending is the exact reverse, ties included: "c1 c2 c3 c4" -> "c4 c3 c2 c1" */
		for (size_t k = 0; k < 4; k++) {
			memcpy(desc + 3 * k, sorts[i].asc + len - 2 - 3 * k, 2);
			desc[3 * k + 2] = k < 3 ? ' ' : '\0';
		}
		q.ascending = false;
		got = query_ids(c, &q, NULL);
		if (strcmp(got, desc) != 0)
			fail_msg("sort %s desc: got '%s', want '%s'", sorts[i].key, got, desc);
	}
	/* the default query: newest first */
	assert_string_equal(query_ids(c, NULL, NULL), "c4 c3 c2 c1");
	q.sort = "bogus";
	assert_int_equal(catalog_list(c, &q, &list, &n, NULL, &e), -EINVAL);
	assert_string_equal(e.msg, "unknown sort key 'bogus'");
	assert_null(list);
	catalog_close(c);
}

static void test_catalog_paging_with_total(void **state)
{
	struct fixture *f = *state;
	struct catalog *c = open_catalog(f);
	struct catalog_query q = { .sort = "created", .limit = 10 };
	char all[1024], pages[1024] = "";
	size_t total;

	for (int i = 0; i < 25; i++) {
		char id[16];

		snprintf(id, sizeof(id), "p%02d", i);
		add(c, id, "n", "h", "manual", i % 2 ? CAPTURE_OK : CAPTURE_ERROR,
		    1000 + i / 2); /* created ties */
	}
	q.limit = 0;
	snprintf(all, sizeof(all), "%s", query_ids(c, &q, &total));
	assert_int_equal(total, 25);
	assert_memory_equal(all, "p24 p23 p22", 11);
	q.limit = 10;
	for (q.offset = 0; q.offset < 30; q.offset += 10) {
		const char *page = query_ids(c, &q, &total);

		assert_int_equal(total, 25);
		if (*page)
			snprintf(pages + strlen(pages), sizeof(pages) - strlen(pages), "%s%s",
			         *pages ? " " : "", page);
	}
	assert_string_equal(pages, all); /* the pages are the whole list, once each, in order */
	q.offset = 20;
	assert_string_equal(query_ids(c, &q, &total), "p04 p03 p02 p01 p00");
	q.offset = 25;
	assert_string_equal(query_ids(c, &q, &total), "");
	q.offset = 1000;
	assert_string_equal(query_ids(c, &q, &total), "");
	assert_int_equal(total, 25);
	q.offset = 0;
	q.filter = CATALOG_OK;
	query_ids(c, &q, &total);
	assert_int_equal(total, 12); /* total counts what the filter selects */
	catalog_close(c);
}

static void test_catalog_interrupted_capture_becomes_error(void **state)
{
	struct fixture *f = *state;
	struct catalog *c = open_catalog(f);
	struct capture_meta got;
	struct err e = { "" };
	char *text;
	size_t len;
	json_t *j;

	add(c, "rec", "r", "h", "manual", CAPTURE_RECORDING, 100);
	add(c, "sto", "s", "h", "manual", CAPTURE_STORING, 100);
	add(c, "fine", "f", "h", "manual", CAPTURE_OK, 100);
	catalog_close(c); /* the agent dies */
	c = open_catalog(f);
	assert_int_equal(catalog_count(c, CAPTURE_RECORDING), 0);
	assert_int_equal(catalog_count(c, CAPTURE_STORING), 0);
	assert_int_equal(catalog_count(c, CAPTURE_ERROR), 2);
	assert_int_equal(catalog_get(c, "rec", &got), 0);
	assert_int_equal(got.status, CAPTURE_ERROR);
	assert_string_equal(got.error, "the agent stopped before the capture was complete");
	capture_meta_free(&got);
	assert_int_equal(catalog_get(c, "fine", &got), 0);
	assert_int_equal(got.status, CAPTURE_OK);
	assert_string_equal(got.error, "");
	capture_meta_free(&got);
	/* and the record was rewritten */
	assert_int_equal(store_get_all(f->s, "captures/sto.json", 1 << 16, &text, &len, &e), 0);
	j = json_loads(text, 0, NULL);
	free(text);
	assert_string_equal(json_string_value(json_object_get(j, "status")), "error");
	assert_string_equal(json_string_value(json_object_get(j, "error")),
	                    "the agent stopped before the capture was complete");
	json_decref(j);
	catalog_close(c);
}

static void test_catalog_corrupt_record_skipped_not_deleted(void **state)
{
	struct fixture *f = *state;
	struct catalog *c = open_catalog(f);
	char log[160], *text;
	struct err e = { "" };
	struct store_stat st;
	struct keys ks = { .n = 0 };
	struct capture_meta m;
	int saved, fd;
	size_t len;
	FILE *fp;

	add(c, "good", "g", "h", "manual", CAPTURE_OK, 100);
	catalog_close(c);
	put(f->s, "captures/broken.json", "{\"id\": \"broken\", \"name\": ");
	put(f->s, "captures/noname.json", "{\"id\": \"noname\", \"status\": \"ok\"}");
	put(f->s, "captures/other.json",
	    "{\"id\": \"good\", \"name\": \"x\", \"status\": \"ok\"}"); /* wrong id */
	put(f->s, "captures/orphan.scap", "scap bytes");

	/* the warnings go to stderr: catch them */
	snprintf(log, sizeof(log), "%s/stderr.txt", f->dir);
	fflush(stderr);
	saved = dup(2);
	fd = open(log, O_CREAT | O_WRONLY | O_TRUNC, 0600);
	assert_true(saved >= 0 && fd >= 0);
	dup2(fd, 2);
	close(fd);
	c = catalog_open(f->s, &e);
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	assert_non_null(c);

	assert_int_equal(catalog_count(c, CAPTURE_OK), 1);
	assert_int_equal(catalog_get(c, "good", &m), 0);
	capture_meta_free(&m);
	fp = fopen(log, "r");
	assert_non_null(fp);
	text = xcalloc(1, 4096);
	len = fread(text, 1, 4095, fp);
	fclose(fp);
	assert_true(len > 0);
	assert_non_null(strstr(text, "captures/broken.json"));
	assert_non_null(strstr(text, "captures/noname.json"));
	assert_non_null(strstr(text, "'name'"));
	assert_non_null(strstr(text, "captures/other.json"));
	assert_null(strstr(text, "orphan"));
	free(text);

	/* nothing was deleted */
	assert_int_equal(store_stat(f->s, "captures/broken.json", &st, &e), 0);
	assert_int_equal(store_stat(f->s, "captures/noname.json", &st, &e), 0);
	assert_int_equal(store_stat(f->s, "captures/other.json", &st, &e), 0);
	assert_int_equal(store_stat(f->s, "captures/orphan.scap", &st, &e), 0);
	assert_int_equal(store_list(f->s, "captures/", collect, &ks, &e), 0);
	assert_int_equal(ks.n, 5);
	catalog_close(c);
}

static void test_catalog_expire_only_old_complete(void **state)
{
	static const int64_t now = 1800000000;
	static const struct {
		const char *id;
		int64_t expires;
		enum capture_status st;
		bool kept, gone;
	} caps[] = {
		{ "old-ok", now - DAY, CAPTURE_OK, false, true },
		{ "old-err", now, CAPTURE_ERROR, false, true },
		{ "old-rec", now - DAY, CAPTURE_RECORDING, false, false },
		{ "old-sto", now - DAY, CAPTURE_STORING, false, false },
		{ "old-kept", now - DAY, CAPTURE_OK, true, false },
		{ "new-ok", now + 1, CAPTURE_OK, false, false },
	};
	struct fixture *f = *state;
	struct catalog *c = open_catalog(f);
	struct capture_meta m;
	struct err e = { "" };
	struct store_stat st;
	char key[STORE_KEY_MAX + 1];

	for (size_t i = 0; i < sizeof(caps) / sizeof(caps[0]); i++) {
		meta_init(&m, caps[i].id, caps[i].id, "h", "manual", caps[i].st, 100);
		m.expires_at = caps[i].expires;
		m.kept = caps[i].kept;
		put_meta(c, &m);
		capture_meta_free(&m);
		assert_int_equal(capture_scap_key(key, caps[i].id), 0);
		put(f->s, key, "scap");
	}
	assert_int_equal(catalog_expire(c, now, &e), 2);
	for (size_t i = 0; i < sizeof(caps) / sizeof(caps[0]); i++) {
		char json_key[STORE_KEY_MAX + 1];
		int want = caps[i].gone ? -ENOENT : 0;

		capture_scap_key(key, caps[i].id);
		snprintf(json_key, sizeof(json_key), "captures/%s.json", caps[i].id);
		assert_int_equal(catalog_get(c, caps[i].id, &m), want);
		if (!want)
			capture_meta_free(&m);
		assert_int_equal(store_stat(f->s, key, &st, NULL), want);
		assert_int_equal(store_stat(f->s, json_key, &st, NULL), want);
	}
	assert_int_equal(catalog_expire(c, now, &e), 0);
	catalog_close(c);
}

static void test_catalog_delete_removes_both(void **state)
{
	struct fixture *f = *state;
	struct catalog *c = open_catalog(f);
	struct capture_meta m;
	struct err e = { "" };
	struct store_stat st;

	add(c, "d1", "n", "h", "manual", CAPTURE_OK, 100);
	add(c, "d2", "n", "h", "manual", CAPTURE_ERROR, 100); /* no .scap: an error before any byte */
	put(f->s, "captures/d1.scap", "bytes");
	assert_int_equal(catalog_delete(c, "d1", &e), 0);
	assert_int_equal(store_stat(f->s, "captures/d1.scap", &st, NULL), -ENOENT);
	assert_int_equal(store_stat(f->s, "captures/d1.json", &st, NULL), -ENOENT);
	assert_int_equal(catalog_get(c, "d1", &m), -ENOENT);
	assert_int_equal(catalog_delete(c, "d1", &e), -ENOENT);
	assert_non_null(strstr(e.msg, "d1"));
	assert_int_equal(catalog_delete(c, "d2", &e), 0);
	assert_int_equal(catalog_count(c, CAPTURE_OK) + catalog_count(c, CAPTURE_ERROR), 0);
	catalog_close(c);
	c = open_catalog(f); /* and they stay gone */
	assert_int_equal(catalog_get(c, "d2", &m), -ENOENT);
	catalog_close(c);
}

struct worker {
	struct catalog *c;
	int n;
	char prefix;
};

static void *worker_run(void *arg)
{
	struct worker *w = arg;

	for (int i = 0; i < w->n; i++) {
		struct catalog_query q = { .search = "n" };
		struct capture_meta *list;
		struct capture_meta m;
		size_t n, total;
		char id[16];

		snprintf(id, sizeof(id), "%c%03d", w->prefix, i);
		meta_init(&m, id, "n", "h", "manual", CAPTURE_OK, 1000 + i);
		if (catalog_put(w->c, &m, NULL) || catalog_list(w->c, &q, &list, &n, &total, NULL))
			abort();
		catalog_list_free(list, n);
		capture_meta_free(&m);
	}
	return NULL;
}

static void test_catalog_shared_by_threads(void **state)
{
	struct fixture *f = *state;
	struct catalog *c = open_catalog(f);
	struct worker w[4];
	pthread_t t[4];

	for (int i = 0; i < 4; i++) {
		w[i] = (struct worker){ c, 15, (char)('a' + i) };
		assert_int_equal(pthread_create(&t[i], NULL, worker_run, &w[i]), 0);
	}
	for (int i = 0; i < 4; i++)
		pthread_join(t[i], NULL);
	assert_int_equal(catalog_count(c, CAPTURE_OK), 60);
	catalog_close(c);
	c = open_catalog(f);
	assert_int_equal(catalog_count(c, CAPTURE_OK), 60);
	catalog_close(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_catalog_put_get_reopen, setup, teardown),
		cmocka_unit_test_setup_teardown(test_catalog_search, setup, teardown),
		cmocka_unit_test_setup_teardown(test_catalog_filters, setup, teardown),
		cmocka_unit_test_setup_teardown(test_catalog_sort_keys_both_orders, setup, teardown),
		cmocka_unit_test_setup_teardown(test_catalog_paging_with_total, setup, teardown),
		cmocka_unit_test_setup_teardown(test_catalog_interrupted_capture_becomes_error, setup,
		                                teardown),
		cmocka_unit_test_setup_teardown(test_catalog_corrupt_record_skipped_not_deleted, setup,
		                                teardown),
		cmocka_unit_test_setup_teardown(test_catalog_expire_only_old_complete, setup, teardown),
		cmocka_unit_test_setup_teardown(test_catalog_delete_removes_both, setup, teardown),
		cmocka_unit_test_setup_teardown(test_catalog_shared_by_threads, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
