/* test_filter_parse: the Falco condition grammar, its trees and its error messages. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "../../src/filter/parse.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Parse text and return the canonical print (static buffer), or NULL with e set. */
static const char *canon(const char *text, struct err *e)
{
	static char out[4096];
	struct fnode *n = filter_parse(text, e);
	struct sbuf b;

	if (!n)
		return NULL;
	sbuf_init(&b, 64);
	fnode_print(n, &b);
	snprintf(out, sizeof(out), "%s", sbuf_cstr(&b));
	sbuf_release(&b);
	fnode_free(n);
	return out;
}

static void expect_tree(const char *text, const char *want)
{
	struct err e = { { 0 } };
	const char *got = canon(text, &e);

	if (!got)
		fail_msg("'%s' did not parse: %s", text, e.msg);
	if (strcmp(got, want))
		fail_msg("'%s' gave %s, want %s", text, got, want);
}

static void expect_error(const char *text, const char *want)
{
	struct err e = { { 0 } };
	const char *got = canon(text, &e);

	if (got)
		fail_msg("'%s' parsed as %s, want the error %s", text, got, want);
	if (strcmp(e.msg, want))
		fail_msg("'%s' gave the error\n  %s\nwant\n  %s", text, e.msg, want);
}

static void test_operators(void **state)
{
	(void)state;
	expect_tree("evt.type=open", "(evt.type = open)");
	expect_tree("evt.type == open", "(evt.type = open)");
	expect_tree("fd.num!=3", "(fd.num != 3)");
	expect_tree("fd.num<3", "(fd.num < 3)");
	expect_tree("fd.num <= 3", "(fd.num <= 3)");
	expect_tree("fd.num>3", "(fd.num > 3)");
	expect_tree("fd.num >=-3", "(fd.num >= -3)");
	expect_tree("fd.name contains /lib/", "(fd.name contains /lib/)");
	expect_tree("proc.name icontains BASH", "(proc.name icontains BASH)");
	expect_tree("evt.buffer bcontains 0a0b", "(evt.buffer bcontains 0a0b)");
	expect_tree("fd.name startswith /etc", "(fd.name startswith /etc)");
	expect_tree("evt.buffer bstartswith 7f454c46", "(evt.buffer bstartswith 7f454c46)");
	expect_tree("fd.name endswith .so", "(fd.name endswith .so)");
	expect_tree("fd.name glob '/etc/*.conf'", "(fd.name glob /etc/*.conf)");
	expect_tree("fd.name pmatch (/etc, /usr/lib)", "(fd.name pmatch (/etc, /usr/lib))");
	expect_tree("evt.type in (open,openat, 'close')", "(evt.type in (open, openat, close))");
	expect_tree("evt.type in()", "(evt.type in ())");
	expect_tree("proc.aname intersects (bash, sh)", "(proc.aname intersects (bash, sh))");
	expect_tree("container.id exists", "(container.id exists)");
	expect_tree("evt.type in shell_binaries", "(evt.type in shell_binaries)");
	/* a word operator directly followed by a quote */
	expect_tree("proc.name contains\"x y\"", "(proc.name contains \"x y\")");
}

static void test_booleans_and_precedence(void **state)
{
	(void)state;
	expect_tree("a.b=1 and c.d=2 and e.f=3", "((a.b = 1) and (c.d = 2) and (e.f = 3))");
	/* and binds tighter than or, as in Falco */
	expect_tree("a.b=1 or c.d=2 and e.f=3", "((a.b = 1) or ((c.d = 2) and (e.f = 3)))");
	expect_tree("(a.b=1 or c.d=2) and e.f=3", "(((a.b = 1) or (c.d = 2)) and (e.f = 3))");
	expect_tree("not a.b=1", "not (a.b = 1)");
	expect_tree("not not a.b=1", "not not (a.b = 1)");
	expect_tree("not(a.b=1)", "not (a.b = 1)");
	expect_tree("not a.b=1 and c.d=2", "(not (a.b = 1) and (c.d = 2))");
	expect_tree("((a.b=1))", "(a.b = 1)");
	expect_tree("\ta.b=1\n and\r\nc.d = 2  ", "((a.b = 1) and (c.d = 2))");
	/* macro references (resolved by the rules loader) */
	expect_tree("spawned_process and not shell_procs", "(spawned_process and not shell_procs)");
	/* keywords are whole words only */
	expect_tree("notx or andy", "(notx or andy)");
	expect_tree("proc.name = and", "(proc.name = and)");
	expect_tree("proc.name=in", "(proc.name = in)");
}

static void test_fields_and_values(void **state)
{
	(void)state;
	expect_tree("evt.arg[0]=3", "(evt.arg[0] = 3)");
	expect_tree("evt.arg.name=/etc/passwd", "(evt.arg.name = /etc/passwd)");
	expect_tree("evt.rawarg.res<0", "(evt.rawarg.res < 0)");
	expect_tree("proc.aname[2]=bash", "(proc.aname[2] = bash)");
	expect_tree("proc.apid[1] > 1", "(proc.apid[1] > 1)");
	expect_tree("evt.arg['a b']=x", "(evt.arg[\"a b\"] = x)");
	expect_tree("fd.name = \"a \\\"quoted\\\" name\"", "(fd.name = \"a \\\"quoted\\\" name\")");
	expect_tree("fd.name = 'it\\'s'", "(fd.name = \"it's\")");
	expect_tree("fd.name = \"tab\\there\"", "(fd.name = \"tab\\there\")");
	expect_tree("fd.name = \"back\\\\slash\"", "(fd.name = back\\slash)");
	/* an unknown escape keeps its backslash */
	expect_tree("fd.name = \"\\d+\"", "(fd.name = \\d+)");
	expect_tree("fd.name = ''", "(fd.name = \"\")");
	expect_tree("fd.sip = 10.0.0.0/8", "(fd.sip = 10.0.0.0/8)");
	expect_tree("fd.name = /tmp/a[1]", "(fd.name = /tmp/a[1])");
	expect_tree("evt.type in (open, \"a,b\", 'c d')", "(evt.type in (open, \"a,b\", \"c d\"))");
}

static void test_errors_say_where_and_what(void **state)
{
	(void)state;
	expect_error("proc.name startswith", "filter error at column 21: expected a value after "
	                                     "'startswith', found the end of the filter");
	expect_error("evt.type=open and", "filter error at column 18: expected a field, a macro name, 'not' "
	                                  "or '(', found the end of the "
	                                  "filter");
	expect_error("evt.type=open and or x",
	             "filter error at column 19: expected a field, a macro name, 'not' or '(', found 'or'");
	expect_error("proc.name bash", "filter error at column 11: expected an operator (=, !=, <, contains, "
	                               "startswith, in, exists, "
	                               "...) after 'proc.name', found 'bash'");
	expect_error("proc.name = bash)",
	             "filter error at column 17: expected 'and', 'or' or the end of the filter, found ')'");
	expect_error("(proc.name = bash", "filter error at column 1: the '(' here is not closed (no ')')");
	expect_error("proc.name = 'bash",
	             "filter error at column 13: the string opened here is not closed (no ')");
	expect_error("evt.type in (open, close",
	             "filter error at column 13: the list opened here is not closed (no ')')");
	expect_error("evt.type in (open close)",
	             "filter error at column 19: expected ',' or ')' in the list after 'in', found 'close)'");
	expect_error(
	        "evt.type in open,close",
	        "filter error at column 17: expected 'and', 'or' or the end of the filter, found ',close'");
	expect_error(
	        "evt.type in",
	        "filter error at column 12: expected a list '(...)' or a list name after 'in', found the end "
	        "of the filter");
	expect_error("evt.arg[0=1",
	             "filter error at column 8: the '[' after 'evt.arg' is not closed (no ']')");
	expect_error(
	        "",
	        "filter error at column 1: expected a field, a macro name, 'not' or '(', found the end of "
	        "the filter");
	expect_error("proc.name == =bash",
	             "filter error at column 14: expected a value after '=', found '=bash'");
	expect_error("proc.name = a b",
	             "filter error at column 15: expected 'and', 'or' or the end of the filter, "
	             "found 'b'");
}

static void test_depth_is_bounded(void **state)
{
	char deep[2000], nots[2000];
	struct err e;
	size_t n = 0;

	(void)state;
	for (int i = 0; i < 300; i++)
		deep[n++] = '(';
	memcpy(deep + n, "a.b=1", 6);
	assert_null(canon(deep, &e));
	assert_non_null(strstr(e.msg, "nests deeper than 200 levels"));
	n = 0;
	for (int i = 0; i < 300; i++) {
		memcpy(nots + n, "not ", 4);
		n += 4;
	}
	memcpy(nots + n, "a.b=1", 6);
	assert_null(canon(nots, &e));
	assert_non_null(strstr(e.msg, "nests deeper than 200 levels"));
}

/* What the printer writes, the parser reads back to the same tree. */
static void test_print_round_trips(void **state)
{
	static const char *const filters[] = {
		"evt.type in (open, \"a,b\", 'c d', \"\") and not (fd.name contains \"x\\\"y\" or fd.num>=3)",
		"a.b=\"\\n\\t\\r\\b\\f\\\\\" or not not c.d exists",
		"evt.arg['x]y']=1 and proc.aname[0]=a",
		"m1 or (m2 and m3) or not m4",
	};

	(void)state;
	for (size_t i = 0; i < sizeof(filters) / sizeof(filters[0]); i++) {
		struct err e;
		char first[4096];
		const char *again;

		assert_non_null(canon(filters[i], &e));
		snprintf(first, sizeof(first), "%s", canon(filters[i], &e));
		again = canon(first, &e);
		if (!again || strcmp(again, first))
			fail_msg("%s printed %s, which reads back as %s", filters[i], first,
			         again ? again : e.msg);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_operators),         cmocka_unit_test(test_booleans_and_precedence),
		cmocka_unit_test(test_fields_and_values), cmocka_unit_test(test_errors_say_where_and_what),
		cmocka_unit_test(test_depth_is_bounded),  cmocka_unit_test(test_print_round_trips),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
