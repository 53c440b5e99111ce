/* test_agent_request: the API's request checks (src/agent/request.c) that issue 19 sharpened. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "../../src/agent/request.h"
#include "../../src/engine/engine.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

/* A Range with another unit is ignored (the whole file); bytes is any case; bad bytes ranges are 416. */
static void test_range_units(void **state)
{
	uint64_t from = 7, to = 7;

	(void)state;
	assert_int_equal(request_range("items=0-5", 100, &from, &to), 0);
	assert_int_equal(request_range("pages=1", 100, &from, &to), 0);
	assert_int_equal(request_range("", 100, &from, &to), 0);
	assert_int_equal(request_range(NULL, 100, &from, &to), 0);
	assert_int_equal(from, 7); /* untouched when the whole file is meant */
	assert_int_equal(request_range("Bytes=10-19", 100, &from, &to), 1);
	assert_int_equal(from, 10);
	assert_int_equal(to, 19);
	assert_int_equal(request_range("bytes=-30", 100, &from, &to), 1);
	assert_int_equal(from, 70);
	assert_int_equal(to, 99);
	assert_int_equal(request_range("bytes=50-", 100, &from, &to), 1);
	assert_int_equal(to, 99);
	assert_int_equal(request_range("bytes=100-", 100, &from, &to), -1);
	assert_int_equal(request_range("bytes=5-1", 100, &from, &to), -1);
	assert_int_equal(request_range("bytes=x", 100, &from, &to), -1);
	assert_int_equal(request_range("bytes=0-1,5-6", 100, &from, &to), -1);
}

/* Names: printable UTF-8; C0, DEL, C1, line separators and bidi controls refused. */
static void test_name_valid(void **state)
{
	static const char *const good[] = { "incident-42", "café", "日本語", "a b", "emoji \xF0\x9F\x98\x80",
		                            "a.b",         "..." };
	static const char *const bad[] = {
		"",
		".",
		"..",
		"a/b",
		"a\\b",
		"tab\there",
		"del\x7f",
		"nel\xC2\x85x", /* U+0085 */
		"csi\xC2\x9B"
		"2J",               /* U+009B */
		"c1 first\xC2\x80", /* U+0080 */
		"ls\xE2\x80\xA8x",  /* U+2028 */
		"ps\xE2\x80\xA9x",  /* U+2029 */
		"rlo\xE2\x80\xAEtxt.exe",
		"lri\xE2\x81\xA6x",
		"rlm\xE2\x80\x8Fx",
		"alm\xD8\x9Cx",
		"bad\xFFutf8",
		"overlong\xC0\xAF",
		"cut\xE2\x80",
		"surrogate\xED\xA0\x80",
	};

	(void)state;
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		if (!request_name_valid(good[i]))
			fail_msg("'%s' refused", good[i]);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (request_name_valid(bad[i]))
			fail_msg("bad name %zu accepted", i);
	assert_true(request_char_unshown(0x9F));
	assert_false(request_char_unshown(0xA0)); /* no-break space: shown */
	assert_false(request_char_unshown(0x202F));
}

/* What replies echo: valid UTF-8 as is, the rest as \xNN, cut with "..." at a character. */
static void test_shown(void **state)
{
	char out[64], tiny[8];

	(void)state;
	request_shown(out, sizeof(out), "plain 'text' é");
	assert_string_equal(out, "plain 'text' é");
	request_shown(out, sizeof(out), "\xFF\xFE");
	assert_string_equal(out, "\\xFF\\xFE");
	request_shown(out, sizeof(out), "a\nb\x1b[2J");
	assert_string_equal(out, "a\\x0Ab\\x1B[2J");
	request_shown(out, sizeof(out), "nel\xC2\x85 ls\xE2\x80\xA8");
	assert_string_equal(out, "nel\\xC2\\x85 ls\\xE2\\x80\\xA8");
	request_shown(out, sizeof(out), "cut\xE2\x80");
	assert_string_equal(out, "cut\\xE2\\x80");
	request_shown(tiny, sizeof(tiny), "abcdefghij");
	assert_string_equal(tiny, "abcd...");
	request_shown(tiny, sizeof(tiny), "abcdefg");
	assert_string_equal(tiny, "abcdefg");
	request_shown(tiny, sizeof(tiny), "ab\xFF\xFF");
	assert_string_equal(tiny, "ab...");
	request_shown(tiny, sizeof(tiny), "abc日本");
	assert_string_equal(tiny, "abc...");
	request_shown(tiny, sizeof(tiny), "");
	assert_string_equal(tiny, "");
}

/* %00 anywhere in a raw target, in any case of hex; a literal "%2500" is not one. */
static void test_target_nul(void **state)
{
	(void)state;
	assert_true(request_target_has_nul("/api/captures/ID%00/download"));
	assert_true(request_target_has_nul("/api/captures?search=a%00b"));
	assert_true(request_target_has_nul("%00"));
	assert_false(request_target_has_nul("/api/captures/ID/download"));
	assert_false(request_target_has_nul("/api/captures?search=%2500"));
	assert_false(request_target_has_nul("/api/x%0"));
	assert_false(request_target_has_nul("/api/x%"));
	assert_false(request_target_has_nul("/api/x%01%10"));
	assert_false(request_target_has_nul(""));
}

/* A 4xx about one member names it; one about the request as a whole names none. */
static void test_error_field(void **state)
{
	static const struct {
		const char *body, *field;
	} cases[] = {
		{ "{\"name\": \"x\", \"duration\": 0}", "duration" },
		{ "{\"name\": \"x\", \"before\": 400}", "before" },
		{ "{\"name\": \"x\", \"duration\": 5, \"after\": 2}", "duration" },
		{ "{\"name\": 7}", "name" },
		{ "{\"name\": \"a/b\"}", "name" },
		{ "{\"name\": \"x\", \"container\": \"../xyz\"}", "container" },
		{ "{\"name\": \"x\", \"container\": \"-xyz\"}", "container" },
		{ "{\"name\": \"x\", \"storage\": \"s3\"}", "storage" },
		{ "{\"name\": \"x\", \"filter\": \"proc.name=\"}", "filter" },
		{ "{\"name\": \"x\", \"filter_proclist\": 1}", "filter_proclist" },
	};
	struct req_error re;
	struct agent_take t;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		json_t *body = json_loads(cases[i].body, 0, NULL);

		memset(&re, 0, sizeof(re));
		assert_non_null(body);
		assert_int_equal(request_take(body, &t, &re), -1);
		assert_int_equal(re.status, 400);
		assert_non_null(re.field);
		assert_string_equal(re.field, cases[i].field);
		json_decref(body);
	}
	memset(&re, 0, sizeof(re));
	assert_null(request_object("[1]", 3, &re));
	assert_null(re.field);
}

/* A link serves once, for its capture, until it expires; a full table refuses; bad paths are 404. */
/* PUT /api/pcapdump's body: each member set as the configuration sets it; a bad one a 400 naming it. */
static void test_pcapdump_body(void **state)
{
	static const char *const bad[][3] = {
		{ "{\"maxSize\": \"50XB\"}", "maxSize", "pcapdump.maxSize: '50XB' is not a size" },
		{ "{\"maxTime\": -1}", "maxTime", "pcapdump.maxTime: '-1' is not a duration" },
		{ "{\"regex\": \"(\"}", "regex", "pcapdump.regex: '(' is not a regular expression" },
		{ "{\"bpfOverride\": \"tcp prt 80\"}", "bpfOverride", "pcapdump.bpfOverride: not a filter" },
		{ "{\"namespaces\": [\"a\", 2]}", "namespaces", "namespaces must be a list of namespace" },
		{ "{\"regex\": [\"a\"]}", "regex", "regex must be a string" },
		{ "{\"maxsize\": 1}", "maxsize", "unknown setting 'maxsize'" },
		{ "{\"enabled\": {}}", "enabled", "enabled must be a string or a boolean" },
	};
	struct req_error re = { 0 };
	struct agent_config c;
	json_t *j;

	(void)state;
	agent_config_defaults(&c);
	j = json_loads(
	        "{\"enabled\": true, \"maxSize\": \"500MB\", \"maxTime\": 7200, \"namespaces\": [\"prod\", "
	        "\"shop\"], \"regex\": \"^web\", \"bpfOverride\": null}",
	        0, NULL);
	assert_int_equal(request_pcapdump(j, &c, &re), 0);
	json_decref(j);
	assert_true(c.pcapdump.enabled);
	assert_int_equal(c.pcapdump.max_size, 500000000);
	assert_int_equal(c.pcapdump.max_time, 7200);
	assert_string_equal(c.pcapdump.namespaces, "prod,shop");
	assert_string_equal(c.pcapdump.regex, "^web");
	assert_null(c.pcapdump.bpf);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memset(&re, 0, sizeof(re));
		j = json_loads(bad[i][0], 0, NULL);
		assert_non_null(j);
		assert_int_not_equal(request_pcapdump(j, &c, &re), 0);
		assert_int_equal(re.status, 400);
		assert_string_equal(re.field, bad[i][1]);
		if (!strstr(re.msg, bad[i][2]))
			fail_msg("%s: '%s', want '%s'", bad[i][0], re.msg, bad[i][2]);
		json_decref(j);
	}
	j = json_object();
	assert_int_not_equal(request_pcapdump(j, &c, &re), 0);
	json_decref(j);
	agent_config_release(&c);
}

/* since and until: epoch seconds or RFC 3339 UTC; anything else a 400 naming the argument. */
static void test_time_arg(void **state)
{
	static const char *const bad[] = {
		"",     "-5",  "yesterday", "12abc",      "2026-12-05T19:30:00", "2026-12-05T19:30:00+01:00",
		"1e20", "nan", ".",         "99999999999"
	};
	struct req_error re = { 0 };
	uint64_t ns = 0;

	(void)state;
	assert_int_equal(request_time("1796500000", "since", &ns, &re), 0);
	assert_int_equal(ns, 1796500000ULL * 1000000000ULL);
	assert_int_equal(request_time("1796500000.25", "since", &ns, &re), 0);
	assert_int_equal(ns, 1796500000250000000ULL);
	assert_int_equal(request_time("2026-12-05T19:30:00Z", "until", &ns, &re), 0);
	assert_int_equal(ns, 1796499000ULL * 1000000000ULL);
	assert_int_equal(request_time("2026-12-05T19:30:00.5Z", "until", &ns, &re), 0);
	assert_int_equal(ns, 1796499000500000000ULL);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memset(&re, 0, sizeof(re));
		if (request_time(bad[i], "until", &ns, &re) == 0)
			fail_msg("'%s' taken as a time", bad[i]);
		assert_int_equal(re.status, 400);
		assert_string_equal(re.field, "until");
	}
}

static void test_links(void **state)
{
	static struct request_links l;
	uint8_t rnd[32];
	char nonce[REQUEST_LINK_HEX + 1], url[80], id[64];
	const uint64_t t0 = 1000000000000ull, ttl = (uint64_t)REQUEST_LINK_TTL_S * 1000000000u;

	(void)state;
	memset(&l, 0, sizeof(l));
	memset(rnd, 0xab, sizeof(rnd));
	assert_int_equal(request_link_new(&l, "cap-1", rnd, t0, nonce), 0);
	assert_int_equal(strlen(nonce), REQUEST_LINK_HEX);
	assert_int_equal(strspn(nonce, "ab"), REQUEST_LINK_HEX);
	snprintf(url, sizeof(url), "/dl/%s", nonce);
	assert_int_equal(request_link_take(&l, url, t0 + 1, id), 0);
	assert_string_equal(id, "cap-1");
	assert_int_equal(request_link_take(&l, url, t0 + 2, id), -ENOENT); /* used up */

	/* expired: gone, even when asked for again */
	assert_int_equal(request_link_new(&l, "cap-2", rnd, t0, nonce), 0);
	assert_int_equal(request_link_take(&l, url, t0 + ttl, id), -ENOENT);
	assert_int_equal(request_link_take(&l, url, t0, id), -ENOENT);

	/* wrong, short, long, uppercase, other paths */
	assert_int_equal(request_link_new(&l, "cap-3", rnd, t0, nonce), 0);
	url[10] = url[10] == 'a' ? 'b' : 'a';
	assert_int_equal(request_link_take(&l, url, t0, id), -ENOENT);
	assert_int_equal(request_link_take(&l, "/dl/", t0, id), -ENOENT);
	assert_int_equal(request_link_take(&l, "/dl/abab", t0, id), -ENOENT);
	snprintf(url, sizeof(url), "/dl/%sa", nonce);
	assert_int_equal(request_link_take(&l, url, t0, id), -ENOENT);
	snprintf(url, sizeof(url), "/DL/%s", nonce);
	assert_int_equal(request_link_take(&l, url, t0, id), -ENOENT);
	snprintf(url, sizeof(url), "/dl/%s", nonce);
	assert_int_equal(request_link_take(&l, url, t0, id), 0);
	assert_string_equal(id, "cap-3");

	/* bounded: REQUEST_LINKS wait at most; expired ones make room */
	memset(&l, 0, sizeof(l));
	for (int i = 0; i < REQUEST_LINKS; i++) {
		rnd[0] = (uint8_t)i;
		assert_int_equal(request_link_new(&l, "cap", rnd, t0, nonce), 0);
	}
	assert_int_equal(request_link_new(&l, "cap", rnd, t0 + 1, nonce), -EAGAIN);
	assert_int_equal(request_link_new(&l, "cap", rnd, t0 + ttl, nonce), 0);
	assert_int_equal(request_link_new(&l,
	                                  "0123456789012345678901234567890123456789012345678901234567890123",
	                                  rnd, t0, nonce),
	                 -EINVAL);
}

/* POST /api/captures' artifacts: absent, null or true -1; false 0; an array of kinds their flags; else a 400.
 */
static void test_take_artifacts(void **state)
{
	static const struct {
		const char *body;
		int artifacts;
	} good[] = {
		{ "{\"name\": \"x\"}", -1 },
		{ "{\"name\": \"x\", \"artifacts\": null}", -1 },
		{ "{\"name\": \"x\", \"artifacts\": true}", -1 },
		{ "{\"name\": \"x\", \"artifacts\": false}", 0 },
		{ "{\"name\": \"x\", \"artifacts\": []}", 0 },
		{ "{\"name\": \"x\", \"artifacts\": [\"write\"]}", ENGINE_ART_WRITE },
		{ "{\"name\": \"x\", \"artifacts\": [\"exec\"]}", ENGINE_ART_EXEC },
		{ "{\"name\": \"x\", \"artifacts\": [\"mem\"]}", ENGINE_ART_MEM },
		{ "{\"name\": \"x\", \"artifacts\": [\"module\"]}", ENGINE_ART_MODULE },
		{ "{\"name\": \"x\", \"artifacts\": [\"bpf\"]}", ENGINE_ART_BPF },
		{ "{\"name\": \"x\", \"artifacts\": [\"mem\", \"exec\", \"mem\"]}",
		  ENGINE_ART_EXEC | ENGINE_ART_MEM },
		{ "{\"name\": \"x\", \"artifacts\": [\"write\", \"exec\", \"mem\", \"module\", \"bpf\"]}",
		  ENGINE_ART_ALL },
	};
	static const char *const bad[] = {
		"{\"name\": \"x\", \"artifacts\": \"write\"}",
		"{\"name\": \"x\", \"artifacts\": [\"bogus\"]}",
		"{\"name\": \"x\", \"artifacts\": [1]}",
		"{\"name\": \"x\", \"artifacts\": {}}",
		"{\"name\": \"x\", \"artifacts\": 1}",
		"{\"name\": \"x\", \"artifacts\": [\"Write\"]}",
		"{\"name\": \"x\", \"artifacts\": [\"write \"]}",
		"{\"name\": \"x\", \"artifacts\": [\"writes\"]}",
		"{\"name\": \"x\", \"artifacts\": [\"\"]}",
		"{\"name\": \"x\", \"artifacts\": [\"write\", null]}",
		"{\"name\": \"x\", \"artifacts\": [[\"write\"]]}",
	};
	struct req_error re;
	struct agent_take t;

	(void)state;
	assert_int_equal(ENGINE_ART_WRITE, 1);
	assert_int_equal(ENGINE_ART_EXEC, 2);
	assert_int_equal(ENGINE_ART_MEM, 4);
	assert_int_equal(ENGINE_ART_MODULE, 8);
	assert_int_equal(ENGINE_ART_BPF, 16);
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		json_t *body = json_loads(good[i].body, 0, NULL);

		memset(&re, 0, sizeof(re));
		assert_non_null(body);
		if (request_take(body, &t, &re) != 0)
			fail_msg("%s: refused: %s", good[i].body, re.msg);
		if (t.artifacts != good[i].artifacts)
			fail_msg("%s: artifacts %d, want %d", good[i].body, t.artifacts, good[i].artifacts);
		json_decref(body);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		json_t *body = json_loads(bad[i], 0, NULL);

		memset(&re, 0, sizeof(re));
		assert_non_null(body);
		if (request_take(body, &t, &re) != -1)
			fail_msg("%s: taken", bad[i]);
		assert_int_equal(re.status, 400);
		assert_non_null(re.field);
		assert_string_equal(re.field, "artifacts");
		if (!strstr(re.msg, "artifacts must be true, false or an array of kinds"))
			fail_msg("%s: '%s'", bad[i], re.msg);
		json_decref(body);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_range_units),    cmocka_unit_test(test_name_valid),
		cmocka_unit_test(test_shown),          cmocka_unit_test(test_target_nul),
		cmocka_unit_test(test_error_field),    cmocka_unit_test(test_links),
		cmocka_unit_test(test_pcapdump_body),  cmocka_unit_test(test_time_arg),
		cmocka_unit_test(test_take_artifacts),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
