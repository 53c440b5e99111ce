/* test_store_meta: the capture record: its JSON and back, refusals naming the member, statuses, ids. */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "store_fixtures.h"

static void assert_artifacts_equal(const struct capture_meta *a, const struct capture_meta *b)
{
	assert_string_equal(a->artifacts, b->artifacts);
	assert_int_equal(a->artifacts_size, b->artifacts_size);
	assert_string_equal(a->artifacts_sha256, b->artifacts_sha256);
	assert_int_equal(a->artifacts_count, b->artifacts_count);
	assert_int_equal(a->artifacts_not_kept, b->artifacts_not_kept);
}

/*
 * j (m's JSON, freed here) through text and back: the record read equals m
 * (and by more, when given) and writes the same JSON again.
 */
static void through_text(json_t *j, const struct capture_meta *m,
                         void (*more)(const struct capture_meta *, const struct capture_meta *))
{
	char *text = json_dumps(j, JSON_INDENT(2));
	struct capture_meta back;
	struct err e = { "" };
	json_error_t jerr;
	json_t *j2;

	json_decref(j);
	j = json_loads(text, 0, &jerr);
	free(text);
	assert_non_null(j);
	assert_int_equal(capture_meta_from_json(j, &back, &e), 0);
	assert_meta_equal(&back, m);
	if (more)
		more(&back, m);
	j2 = capture_meta_to_json(&back);
	assert_true(json_equal(j, j2));
	json_decref(j);
	json_decref(j2);
	capture_meta_free(&back);
}

static void test_meta_json_shape_and_round_trip(void **state)
{
	static const char *const order[] = { "id",
		                             "name",
		                             "host",
		                             "container",
		                             "container_name",
		                             "container_image",
		                             "trigger",
		                             "filter",
		                             "filter_proclist",
		                             "storage",
		                             "start",
		                             "start_ns",
		                             "duration",
		                             "before",
		                             "after",
		                             "end",
		                             "end_ns",
		                             "lost_events",
		                             "incomplete",
		                             "incomplete_reason",
		                             "size",
		                             "sha256",
		                             "packets",
		                             "pcapng_size",
		                             "pcapng_sha256",
		                             "pcapng_packets",
		                             "pcapng_lost_packets",
		                             "artifacts",
		                             "artifacts_size",
		                             "artifacts_sha256",
		                             "artifacts_count",
		                             "artifacts_not_kept_bytes",
		                             "parts",
		                             "status",
		                             "error",
		                             "note",
		                             "kept",
		                             "created",
		                             "expires_at" };
	struct capture_meta m, back;
	struct err e = { "" };
	json_t *j;
	size_t i = 0;
	void *it;

	(void)state;
	sample_meta(&m);
	j = capture_meta_to_json(&m);
	for (it = json_object_iter(j); it; it = json_object_iter_next(j, it), i++) {
		assert_true(i < sizeof(order) / sizeof(order[0]));
		assert_string_equal(json_object_iter_key(it), order[i]);
	}
	assert_int_equal(i, sizeof(order) / sizeof(order[0]));
	assert_string_equal(json_string_value(json_object_get(j, "start")), "2026-11-24T10:14:57.000000000Z");
	assert_true(json_is_integer(json_object_get(j, "start_ns")));
	assert_int_equal(json_integer_value(json_object_get(j, "start_ns")), 1795515297000000000LL);
	assert_string_equal(json_string_value(json_object_get(j, "created")), "2026-11-24T10:15:00Z");
	assert_string_equal(json_string_value(json_object_get(j, "expires_at")), "2027-02-22T10:15:00Z");
	assert_true(json_is_real(json_object_get(j, "duration")));
	assert_true(json_is_real(json_object_get(j, "before")));
	assert_true(json_is_real(json_object_get(j, "after")));
	assert_true(json_is_true(json_object_get(j, "filter_proclist")));
	assert_string_equal(json_string_value(json_object_get(j, "status")), "ok");
	assert_string_equal(json_string_value(json_object_get(j, "end")), "2026-11-24T10:15:02.500000000Z");
	assert_true(json_is_true(json_object_get(j, "incomplete")));
	assert_int_equal(json_integer_value(json_object_get(j, "lost_events")), 1788694);
	/* no artifacts asked: an empty list, zeros */
	assert_true(json_is_array(json_object_get(j, "artifacts")));
	assert_int_equal(json_array_size(json_object_get(j, "artifacts")), 0);
	assert_int_equal(json_integer_value(json_object_get(j, "artifacts_size")), 0);
	assert_string_equal(json_string_value(json_object_get(j, "artifacts_sha256")), "");
	/* the bundle's parts, derived: the .scap and the pcapng, each with its size and sha256 */
	assert_int_equal(json_array_size(json_object_get(j, "parts")), 2);
	assert_string_equal(
	        json_string_value(json_object_get(json_array_get(json_object_get(j, "parts"), 1), "part")),
	        "pcapng");
	assert_int_equal(json_integer_value(
	                         json_object_get(json_array_get(json_object_get(j, "parts"), 1), "packets")),
	                 4242);
	assert_int_equal(
	        json_integer_value(json_object_get(json_array_get(json_object_get(j, "parts"), 0), "size")),
	        1843200);

	/* through text and back */
	through_text(j, &m, NULL);

	/* nanoseconds survive; "start" alone is read when start_ns is absent */
	m.start_ns = 1795515297123456789ULL;
	j = capture_meta_to_json(&m);
	assert_string_equal(json_string_value(json_object_get(j, "start")), "2026-11-24T10:14:57.123456789Z");
	json_object_del(j, "start_ns");
	assert_int_equal(capture_meta_from_json(j, &back, &e), 0);
	assert_int_equal(back.start_ns, 1795515297123456789ULL);
	capture_meta_free(&back);
	json_decref(j);
	capture_meta_free(&m);
}

static void test_meta_from_json_refusals_name_the_member(void **state)
{
	static const struct {
		const char *json;
		const char *member;
	} cases[] = {
		{ "{\"name\":\"n\",\"status\":\"ok\"}", "'id'" },
		{ "{\"id\":\"x\",\"status\":\"ok\"}", "'name'" },
		{ "{\"id\":\"x\",\"name\":\"n\"}", "'status'" },
		{ "{\"id\":7,\"name\":\"n\",\"status\":\"ok\"}", "'id'" },
		{ "{\"id\":\"a/b\",\"name\":\"n\",\"status\":\"ok\"}", "'id'" },
		{ "{\"id\":\"x\",\"name\":3,\"status\":\"ok\"}", "'name'" },
		{ "{\"id\":\"x\",\"name\":\"n\",\"status\":\"bogus\"}", "'status'" },
		{ "{\"id\":\"x\",\"name\":\"n\",\"status\":\"ok\",\"size\":\"big\"}", "'size'" },
		{ "{\"id\":\"x\",\"name\":\"n\",\"status\":\"ok\",\"size\":-1}", "'size'" },
		{ "{\"id\":\"x\",\"name\":\"n\",\"status\":\"ok\",\"kept\":\"yes\"}", "'kept'" },
		{ "{\"id\":\"x\",\"name\":\"n\",\"status\":\"ok\",\"duration\":\"5\"}", "'duration'" },
		{ "{\"id\":\"x\",\"name\":\"n\",\"status\":\"ok\",\"created\":\"yesterday\"}", "'created'" },
		{ "{\"id\":\"x\",\"name\":\"n\",\"status\":\"ok\",\"expires_at\":\"2026-02-30T00:00:00Z\"}",
		  "'expires_at'" },
		{ "{\"id\":\"x\",\"name\":\"n\",\"status\":\"ok\",\"start\":\"2026-11-24T10:14:57.Z\"}",
		  "'start'" },
		{ "{\"id\":\"x\",\"name\":\"n\",\"status\":\"ok\",\"sha256\":\"abc\"}", "'sha256'" },
		{ "{\"id\":\"x\",\"name\":\"n\",\"status\":\"ok\",\"host\":null}", "'host'" },
		{ "{\"id\":\"x\",\"name\":\"n\",\"status\":\"ok\",\"artifacts\":\"write\"}", "'artifacts'" },
		{ "{\"id\":\"x\",\"name\":\"n\",\"status\":\"ok\",\"artifacts\":{}}", "'artifacts'" },
		{ "{\"id\":\"x\",\"name\":\"n\",\"status\":\"ok\",\"artifacts\":[\"Write\"]}",
		  "'artifacts'" },
		{ "{\"id\":\"x\",\"name\":\"n\",\"status\":\"ok\",\"artifacts\":[1]}", "'artifacts'" },
		{ "{\"id\":\"x\",\"name\":\"n\",\"status\":\"ok\",\"artifacts\":[\"\"]}", "'artifacts'" },
		{ "{\"id\":\"x\",\"name\":\"n\",\"status\":\"ok\",\"artifacts\":[\"write\",null]}",
		  "'artifacts'" },
		{ "{\"id\":\"x\",\"name\":\"n\",\"status\":\"ok\",\"artifacts\":[\"a,b\"]}", "'artifacts'" },
		{ "{\"id\":\"x\",\"name\":\"n\",\"status\":\"ok\",\"artifacts\":[\"exec\",\"../x\"]}",
		  "'artifacts'" },
		{ "{\"id\":\"x\",\"name\":\"n\",\"status\":\"ok\",\"artifacts\":"
		  "[\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\"]}",
		  "'artifacts'" },
		{ "{\"id\":\"x\",\"name\":\"n\",\"status\":\"ok\",\"artifacts_size\":-1}",
		  "'artifacts_size'" },
		{ "{\"id\":\"x\",\"name\":\"n\",\"status\":\"ok\",\"artifacts_sha256\":\"abc\"}",
		  "'artifacts_sha256'" },
		{ "{\"id\":\"x\",\"name\":\"n\",\"status\":\"ok\",\"artifacts_count\":\"3\"}",
		  "'artifacts_count'" },
		{ "{\"id\":\"x\",\"name\":\"n\",\"status\":\"ok\",\"artifacts_not_kept_bytes\":1.5}",
		  "'artifacts_not_kept_bytes'" },
	};
	struct capture_meta m;
	struct err e = { "" };
	json_t *j;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		j = json_loads(cases[i].json, 0, NULL);
		assert_non_null(j);
		e.msg[0] = '\0';
		assert_int_equal(capture_meta_from_json(j, &m, &e), -EINVAL);
		if (!strstr(e.msg, cases[i].member))
			fail_msg("%s: '%s' does not name %s", cases[i].json, e.msg, cases[i].member);
		json_decref(j);
	}
	j = json_array();
	assert_int_equal(capture_meta_from_json(j, &m, &e), -EINVAL);
	json_decref(j);

	/* the minimum record: every other member empty */
	j = json_loads("{\"id\":\"x\",\"name\":\"n\",\"status\":\"storing\"}", 0, NULL);
	assert_int_equal(capture_meta_from_json(j, &m, &e), 0);
	assert_string_equal(m.host, "");
	assert_string_equal(m.error, "");
	assert_int_equal(m.status, CAPTURE_STORING);
	capture_meta_free(&m);
	json_decref(j);
}

/* The artifacts members: kinds as a JSON array, the part's numbers, its entry in parts, and back. */
static void test_meta_artifacts(void **state)
{
	static const char sha[] = "2c26b46b68ffc68ff99b453c1d30413413422d706483bfa0f98a5e886266e7ae";
	struct capture_meta m, back;
	struct err e = { "" };
	json_t *j, *kinds, *part;

	(void)state;
	sample_meta(&m);
	snprintf(m.artifacts, sizeof(m.artifacts), "%s", "write,exec,module");
	m.artifacts_size = 20480;
	snprintf(m.artifacts_sha256, sizeof(m.artifacts_sha256), "%s", sha);
	m.artifacts_count = 12;
	m.artifacts_not_kept = 4096;
	j = capture_meta_to_json(&m);
	kinds = json_object_get(j, "artifacts");
	assert_true(json_is_array(kinds));
	assert_int_equal(json_array_size(kinds), 3);
	assert_string_equal(json_string_value(json_array_get(kinds, 0)), "write");
	assert_string_equal(json_string_value(json_array_get(kinds, 1)), "exec");
	assert_string_equal(json_string_value(json_array_get(kinds, 2)), "module");
	assert_int_equal(json_integer_value(json_object_get(j, "artifacts_size")), 20480);
	assert_string_equal(json_string_value(json_object_get(j, "artifacts_sha256")), sha);
	assert_int_equal(json_integer_value(json_object_get(j, "artifacts_count")), 12);
	assert_int_equal(json_integer_value(json_object_get(j, "artifacts_not_kept_bytes")), 4096);
	assert_null(json_object_get(j, "artifacts_not_kept"));
	/* parts: scap, pcapng, then artifacts */
	assert_int_equal(json_array_size(json_object_get(j, "parts")), 3);
	part = json_array_get(json_object_get(j, "parts"), 2);
	assert_int_equal(json_object_size(part), 5);
	assert_string_equal(json_string_value(json_object_get(part, "part")), "artifacts");
	assert_int_equal(json_integer_value(json_object_get(part, "size")), 20480);
	assert_string_equal(json_string_value(json_object_get(part, "sha256")), sha);
	assert_int_equal(json_integer_value(json_object_get(part, "artifacts")), 12);
	assert_int_equal(json_integer_value(json_object_get(part, "not_kept_bytes")), 4096);

	/* through text and back */
	through_text(j, &m, assert_artifacts_equal);

	/* every kind: 25 bytes of the 40 */
	snprintf(m.artifacts, sizeof(m.artifacts), "%s", "write,exec,mem,module,bpf");
	j = capture_meta_to_json(&m);
	assert_int_equal(json_array_size(json_object_get(j, "artifacts")), 5);
	assert_int_equal(capture_meta_from_json(j, &back, &e), 0);
	assert_artifacts_equal(&back, &m);
	capture_meta_free(&back);
	json_decref(j);

	/* no artifacts part until the capture is ok with the part's sha256 */
	m.status = CAPTURE_STORING;
	j = capture_meta_to_json(&m);
	assert_int_equal(json_array_size(json_object_get(j, "parts")), 0);
	assert_int_equal(json_array_size(json_object_get(j, "artifacts")), 5); /* the kinds asked, still */
	json_decref(j);
	m.status = CAPTURE_OK;
	m.artifacts_sha256[0] = 0;
	j = capture_meta_to_json(&m);
	assert_int_equal(json_array_size(json_object_get(j, "parts")), 2);
	json_decref(j);
	capture_meta_free(&m);

	/* an older record without them, or null kinds: none */
	j = json_loads("{\"id\":\"x\",\"name\":\"n\",\"status\":\"ok\",\"artifacts\":null}", 0, NULL);
	assert_int_equal(capture_meta_from_json(j, &back, &e), 0);
	assert_string_equal(back.artifacts, "");
	assert_int_equal(back.artifacts_size, 0);
	assert_string_equal(back.artifacts_sha256, "");
	assert_int_equal(back.artifacts_count, 0);
	assert_int_equal(back.artifacts_not_kept, 0);
	capture_meta_free(&back);
	json_decref(j);
}

static void test_status_names_and_ids(void **state)
{
	static const char *const names[] = { "recording", "storing", "ok", "error" };
	enum capture_status st = CAPTURE_ERROR;
	char id[64], id2[64], key[STORE_KEY_MAX + 1];

	(void)state;
	for (int i = 0; i < 4; i++) {
		assert_string_equal(capture_status_name((enum capture_status)i), names[i]);
		assert_int_equal(capture_status_parse(names[i], &st), 0);
		assert_int_equal(st, i);
	}
	assert_int_equal(capture_status_parse("OK", &st), -EINVAL);
	assert_int_equal(capture_status_parse(NULL, &st), -EINVAL);

	assert_int_equal(capture_id_new(id, 1795515300), 0);
	assert_int_equal(strlen(id), 25);
	assert_memory_equal(id, "20261124T101500Z-", 17);
	assert_int_equal(strspn(id + 17, "0123456789abcdef"), 8);
	assert_true(capture_id_valid(id));
	assert_int_equal(capture_id_new(id2, 1795515300), 0);
	assert_string_not_equal(id, id2); /* 1 in 4 billion to fail */
	assert_false(capture_id_valid(""));
	assert_false(capture_id_valid("a.b"));
	assert_false(capture_id_valid(NULL));
	assert_int_equal(capture_scap_key(key, "abc"), 0);
	assert_string_equal(key, "captures/abc.scap");
	assert_int_equal(capture_scap_key(key, "../x"), -EINVAL);
	assert_int_equal(capture_artifacts_key(key, "20261124T101500Z-3f2a9c01"), 0);
	assert_string_equal(key, "captures/20261124T101500Z-3f2a9c01.artifacts.tar.gz");
	assert_int_equal(capture_artifacts_key(key, "../x"), -EINVAL);
	assert_int_equal(capture_artifacts_key(key, ""), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_meta_json_shape_and_round_trip),
		cmocka_unit_test(test_meta_from_json_refusals_name_the_member),
		cmocka_unit_test(test_meta_artifacts),
		cmocka_unit_test(test_status_names_and_ids),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
