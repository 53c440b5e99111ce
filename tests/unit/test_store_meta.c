/* test_store_meta: the capture record: its JSON and back, refusals naming the member, statuses, ids. */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "store_fixtures.h"

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
		                             "parts",
		                             "status",
		                             "error",
		                             "note",
		                             "kept",
		                             "created",
		                             "expires_at" };
	struct capture_meta m, back;
	struct err e = { "" };
	json_error_t jerr;
	json_t *j, *j2;
	size_t i = 0;
	char *text;
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
	text = json_dumps(j, JSON_INDENT(2));
	json_decref(j);
	j = json_loads(text, 0, &jerr);
	free(text);
	assert_non_null(j);
	assert_int_equal(capture_meta_from_json(j, &back, &e), 0);
	assert_meta_equal(&back, &m);
	j2 = capture_meta_to_json(&back);
	assert_true(json_equal(j, j2));
	json_decref(j);
	json_decref(j2);
	capture_meta_free(&back);

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
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_meta_json_shape_and_round_trip),
		cmocka_unit_test(test_meta_from_json_refusals_name_the_member),
		cmocka_unit_test(test_status_names_and_ids),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
