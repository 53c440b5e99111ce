/* test_agent_request: the API's request checks (src/agent/request.c) that issue 19 sharpened. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "../../src/agent/request.h"

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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_range_units),
		cmocka_unit_test(test_name_valid),
		cmocka_unit_test(test_shown),
		cmocka_unit_test(test_target_nul),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
