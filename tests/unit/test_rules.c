/*
 * test_rules: Falco 0.31.1's own rules files and regression cases
 * (testdata/falco-0.31.1) loaded, expanded, compiled and matched: the default
 * ruleset compiles whole, the diagnostics read as Falco's, the event types
 * are Falco's, and single_rule.yaml fires on cat_write.scap as often as Falco.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../src/engine/engine.h"
#include "../../src/rules/rules.h"
#include "../../src/scap/scap.h"
#include "../../src/state/state.h"

static char falco_dir[512];

static bool have_data(void)
{
	snprintf(falco_dir, sizeof(falco_dir), "%s/falco-0.31.1",
	         env_or("SYSREC_TESTDATA", "../shared/testdata"));
	if (access(falco_dir, R_OK) == 0)
		return true;
	printf("[  SKIPPED ] %s not found (set SYSREC_TESTDATA)\n", falco_dir);
	return false;
}

static char *data_path(const char *rel)
{
	static char buf[4][700];
	static int k;

	k = (k + 1) % 4;
	snprintf(buf[k], sizeof(buf[k]), "%s/%s", falco_dir, rel);
	return buf[k];
}

/* Load the files in order; returns the first failing load's code (0: all loaded). */
static int load(struct rules *r, const char *const *files, size_t n)
{
	struct err e = { { 0 } };

	for (size_t i = 0; i < n; i++) {
		int rc = rules_load_file(r, data_path(files[i]), &e);

		if (rc)
			return rc;
	}
	return 0;
}

/* The first error's message and item, as printed by rules_diag_print. */
static char *print_errors(struct rules *r, const char *file)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	rules_diag_print(r, file ? data_path(file) : NULL, f);
	fclose(f);
	return buf;
}

static char *read_text(const char *path)
{
	FILE *f = fopen(path, "r");
	struct sbuf b = { 0 };
	char buf[4096];
	size_t n;

	if (!f)
		fail_msg("%s: cannot open", path);
	while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
		sbuf_put(&b, buf, n);
	fclose(f);
	sbuf_cstr(&b);
	return b.data; /* the caller frees it */
}

static void test_default_ruleset(void **unused)
{
	struct rules *r;
	struct state *st;
	struct err e = { { 0 } };
	size_t compiled = 0;
	char *text;

	(void)unused;
	if (!have_data())
		skip();
	r = rules_new();
	st = state_new();
	text = read_text(data_path("rules/falco_rules.yaml"));
	if (rules_load_text(r, "falco_rules.yaml", text, strlen(text), &e)) {
		rules_diag_print(r, NULL, stdout);
		fail_msg("%s", e.msg);
	}
	if (rules_compile(r, st, &e)) {
		rules_diag_print(r, NULL, stdout);
		fail_msg("%s", e.msg);
	}
	assert_int_equal(rules_count(r), 69);
	for (size_t i = 0; i < rules_count(r); i++)
		compiled += rules_at(r, i)->filter != NULL;
	assert_int_equal(compiled, 69);
	rules_free(r);
	state_free(st);
	free(text);
}

/*
 * test_warnings' rules: the event types sysrec tries each rule on, sorted
 * names, "all", or "all but" the names left out. falco_tests.yaml lists
 * rules_events from Falco's older Lua inference, where an evt.type check
 * after any `not` or `!=` meant every type; Falco 0.31.1 narrows by set
 * algebra (and, or, not), and so does sysrec. The rules marked * are where
 * the two differ (the yaml says "all"): there the set is exactly the types
 * the condition can match. The warnings (test_rules_events) are 0.31.1's.
 */
static const struct {
	const char *rule, *events;
} warning_events[] = {
	{ "no_warnings", "execve" },
	{ "no_evttype", "all" },
	{ "evttype_not_equals", "all but execve" },
	{ "leading_not", "all but execve" },
	{ "not_equals_after_evttype", "execve" },
	{ "not_after_evttype", "execve" },
	{ "leading_trailing_evttypes", "execve,open" },
	{ "leading_multitrailing_evttypes", "connect,execve,open" },
	{ "leading_multitrailing_evttypes_using_in", "connect,execve,open" },
	{ "not_equals_at_end", "all but connect" },
	{ "not_at_end", "all but connect" },
	{ "not_before_trailing_evttype", "execve,open" },        /* * */
	{ "not_equals_before_trailing_evttype", "execve,open" }, /* * */
	{ "not_equals_and_not", "all but connect" },
	{ "not_equals_before_in", "connect,execve,open" }, /* * */
	{ "not_before_in", "connect,execve,open" },        /* * */
	{ "not_in_before_in", "connect,execve,open" },     /* * */
	{ "evttype_in", "execve,open" },
	{ "evttype_in_plus_trailing", "connect,execve,open" },
	{ "leading_in_not_equals_before_evttype", "connect,execve,open" }, /* * */
	{ "leading_in_not_equals_at_evttype", "all but connect" },
	{ "not_with_evttypes", "all but execve,open" },
	{ "not_with_evttypes_addl", "all but execve,open" },
	{ "not_equals_before_evttype", "execve" },         /* * */
	{ "not_equals_before_in_evttype", "execve,open" }, /* * */
	{ "not_before_evttype", "execve" },                /* * */
	{ "not_before_evttype_using_in", "execve,open" },  /* * */
	{ "repeated_evttypes", "open" },
	{ "repeated_evttypes_with_in", "open" },
	{ "repeated_evttypes_with_separate_in", "open" },
	{ "repeated_evttypes_with_mix", "open" },
};

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Sorted names of the codes in (or, with out_of, not in) the rule's set, each once. */
static void name_list(const struct rule *rule, bool out_of, char *out, size_t n)
{
	const char *names[EVENT_MAX];
	size_t k = 0;

	for (uint16_t code = 0; code < EVENT_MAX; code++) {
		bool in = false, seen = false;
		const char *name = event_type_name(code);

		for (size_t i = 0; i < rule->ntypes; i++)
			in |= rule->types[i] == code;
		if (in == out_of)
			continue;
		for (size_t j = 0; j < k; j++)
			seen |= !strcmp(names[j], name);
		if (!seen)
			names[k++] = name;
	}
	qsort(names, k, sizeof(names[0]), cmp_str);
	for (size_t i = 0; i < k; i++)
		snprintf(out + strlen(out), n - strlen(out), "%s%s", i ? "," : "", names[i]);
}

static void event_names(const struct rule *rule, char *out, size_t n)
{
	out[0] = 0;
	if (rule->all_types) {
		snprintf(out, n, "all");
		return;
	}
	if (rule->ntypes > EVENT_MAX / 2) {
		snprintf(out, n, "all but ");
		name_list(rule, true, out, n);
		return;
	}
	name_list(rule, false, out, n);
}

static void test_rules_events(void **unused)
{
	static const char *const files[] = { "tests/rules/falco_rules_warnings.yaml" };
	static const char *const warned[] = { "no_evttype",
		                              "evttype_not_equals",
		                              "leading_not",
		                              "not_equals_at_end",
		                              "not_at_end",
		                              "not_equals_and_not",
		                              "leading_in_not_equals_at_evttype",
		                              "not_with_evttypes",
		                              "not_with_evttypes_addl" };
	struct rules *r;
	char got[256];

	(void)unused;
	if (!have_data())
		skip();
	r = rules_new();
	assert_int_equal(load(r, files, 1), 0);
	assert_int_equal(rules_count(r), ARRAY_SIZE(warning_events));
	for (size_t i = 0; i < ARRAY_SIZE(warning_events); i++) {
		struct rule *rule = rules_find(r, warning_events[i].rule);

		assert_non_null(rule);
		event_names(rule, got, sizeof(got));
		if (strcmp(got, warning_events[i].events))
			fail_msg("%s: events %s, want %s", warning_events[i].rule, got,
			         warning_events[i].events);
	}
	/* exactly the rules Falco 0.31.1 warns about */
	for (size_t k = 0; k < rules_diag_count(r); k++) {
		const char *msg = rules_diag_at(r, k)->msg;
		bool listed = false;

		assert_true(rules_diag_at(r, k)->warning);
		for (size_t i = 0; i < ARRAY_SIZE(warned); i++)
			listed |= !strncmp(msg + 5, warned[i], strlen(warned[i])) &&
			          !strncmp(msg + 5 + strlen(warned[i]), ": warning (", 11);
		if (!listed)
			fail_msg("a warning Falco does not give: %s", msg);
	}
	for (size_t i = 0; i < ARRAY_SIZE(warned); i++) {
		char want[200];
		bool found = false;

		snprintf(want, sizeof(want), "Rule %s: warning (", warned[i]);
		for (size_t k = 0; k < rules_diag_count(r); k++)
			found |= rules_diag_at(r, k)->warning &&
			         !strncmp(rules_diag_at(r, k)->msg, want, strlen(want));
		if (!found)
			fail_msg("no warning for %s", warned[i]);
	}
	rules_free(r);
}

/* validate_rules_file cases: the files, and what Falco prints for the last (stdout_is / stdout_contains). */
static const struct {
	const char *files[2];
	const char *out;
} validate_cases[] = {
	{ { "tests/rules/invalid_not_yaml.yaml" },
	  "1 errors:\nRules content is not yaml\n---\nThis is not yaml\n---\n" },
	{ { "tests/rules/invalid_not_array.yaml" },
	  "1 errors:\nRules content is not yaml array of objects\n---\nfoo: bar\n---\n" },
	{ { "tests/rules/invalid_array_item_not_object.yaml" },
	  "1 errors:\nUnexpected element of type string. Each element should be a yaml associative "
	  "array.\n---\n- "
	  "foo\n---\n" },
	{ { "tests/rules/invalid_engine_version_not_number.yaml" },
	  "1 errors:\nValue of required_engine_version must be a number\n---\n- required_engine_version: "
	  "not-a-number\n---\n" },
	{ { "tests/rules/invalid_yaml_parse_error.yaml" },
	  "1 errors:\nmapping values are not allowed in this context\n---\nthis : is : not : yaml\n---\n" },
	{ { "tests/rules/invalid_list_without_items.yaml" },
	  "1 errors:\nList must have property items\n---\n- list: bad_list\n  no_items: foo\n---\n" },
	{ { "tests/rules/invalid_macro_without_condition.yaml" },
	  "1 errors:\nMacro must have property condition\n---\n- macro: bad_macro\n  nope: 1\n---\n" },
	{ { "tests/rules/invalid_rule_without_output.yaml" },
	  "1 errors:\nRule must have property output\n---\n- rule: no output rule\n  desc: some desc\n  "
	  "condition: "
	  "evt.type=fork\n  priority: INFO\n---\n" },
	{ { "tests/rules/invalid_append_rule_without_condition.yaml" },
	  "1 errors:\nAppended rule must have exceptions or condition property\n---\n- rule: no condition "
	  "rule\n  "
	  "append: true\n---\n" },
	{ { "tests/rules/invalid_append_macro_dangling.yaml" },
	  "1 errors:\nMacro dangling append has 'append' key but no macro by that name already "
	  "exists\n---\n- "
	  "macro: dangling append\n  condition: and evt.type=execve\n  append: true\n---\n" },
	{ { "tests/rules/list_append_failure.yaml" },
	  "1 errors:\nList my_list has 'append' key but no list by that name already exists\n---\n- list: "
	  "my_list\n  items: [not-cat]\n  append: true\n---\n" },
	{ { "tests/rules/rule_append_failure.yaml" },
	  "1 errors:\nRule my_rule has 'append' key but no rule by that name already exists\n---\n- rule: "
	  "my_rule\n  condition: evt.type=open\n  append: true\n---\n" },
	{ { "tests/rules/invalid_base_macro.yaml", "tests/rules/invalid_overwrite_macro.yaml" },
	  "1 errors:\nCompilation error when compiling \"foo\": Undefined macro 'foo' used in "
	  "filter.\n---\n- "
	  "macro: some macro\n  condition: foo\n  append: false\n---\n" },
	{ { "tests/rules/invalid_base_macro.yaml", "tests/rules/invalid_append_macro.yaml" },
	  "1 errors:\nCompilation error when compiling \"evt.type=execve foo\": 17: syntax error, unexpected "
	  "'foo', expecting 'or', 'and'\n---\n- macro: some macro\n  condition: evt.type=execve\n\n- macro: "
	  "some "
	  "macro\n  condition: foo\n  append: true\n---\n" },
	{ { "tests/rules/invalid_overwrite_macro_multiple_docs.yaml" },
	  "1 errors:\nCompilation error when compiling \"foo\": Undefined macro 'foo' used in "
	  "filter.\n---\n- "
	  "macro: some macro\n  condition: foo\n  append: false\n---\n" },
	{ { "tests/rules/invalid_append_macro_multiple_docs.yaml" },
	  "1 errors:\nCompilation error when compiling \"evt.type=execve foo\": 17: syntax error, unexpected "
	  "'foo', expecting 'or', 'and'\n---\n- macro: some macro\n  condition: evt.type=execve\n\n- macro: "
	  "some "
	  "macro\n  condition: foo\n  append: true\n---\n" },
	{ { "tests/rules/invalid_base_rule.yaml", "tests/rules/invalid_overwrite_rule.yaml" },
	  "1 errors:\nUndefined macro 'bar' used in filter.\n---\n- rule: some rule\n  desc: some desc\n  "
	  "condition: bar\n  output: some output\n  priority: INFO\n  append: false\n---\n" },
	{ { "tests/rules/invalid_base_rule.yaml", "tests/rules/invalid_append_rule.yaml" },
	  "1 errors:\nCompilation error when compiling \"evt.type=open bar\": 15: syntax error, unexpected "
	  "'bar', "
	  "expecting 'or', 'and'\n---\n- rule: some rule\n  desc: some desc\n  condition: evt.type=open\n  "
	  "output: "
	  "some output\n  priority: INFO\n\n- rule: some rule\n  desc: some desc\n  condition: bar\n  "
	  "output: some "
	  "output\n  priority: INFO\n  append: true\n---\n" },
	{ { "tests/rules/invalid_overwrite_rule_multiple_docs.yaml" },
	  "1 errors:\nUndefined macro 'bar' used in filter.\n---\n- rule: some rule\n  desc: some desc\n  "
	  "condition: bar\n  output: some output\n  priority: INFO\n  append: false\n---\n" },
	{ { "tests/rules/invalid_append_rule_multiple_docs.yaml" },
	  "1 errors:\nCompilation error when compiling \"evt.type=open bar\": 15: syntax error, unexpected "
	  "'bar', "
	  "expecting 'or', 'and'\n---\n- rule: some rule\n  desc: some desc\n  condition: evt.type=open\n  "
	  "output: "
	  "some output\n  priority: INFO\n\n- rule: some rule\n  desc: some desc\n  condition: bar\n  "
	  "output: some "
	  "output\n  priority: INFO\n  append: true\n---\n" },
	{ { "tests/rules/invalid_missing_rule_name.yaml" },
	  "1 errors:\nRule name is empty\n---\n- rule:\n  desc: some desc\n  condition: evt.type=execve\n  "
	  "output: "
	  "some output\n---\n" },
	{ { "tests/rules/invalid_missing_list_name.yaml" },
	  "1 errors:\nList name is empty\n---\n- list:\n  items: [foo]\n---\n" },
	{ { "tests/rules/invalid_missing_macro_name.yaml" },
	  "1 errors:\nMacro name is empty\n---\n- macro:\n  condition: evt.type=execve\n---\n" },
	{ { "tests/rules/skip_unknown_error.yaml" },
	  "1 errors:\nRule Contains Unknown Event And Not Skipping: error filter_check called with "
	  "nonexistent "
	  "field proc.nobody\n---\n- rule: Contains Unknown Event And Not Skipping\n  desc: Contains an "
	  "unknown "
	  "event\n  condition: proc.nobody=cat\n  output: Never\n  skip-if-unknown-filter: false\n  "
	  "priority: "
	  "INFO\n---\n" },
	{ { "tests/rules/skip_unknown_unspec.yaml" },
	  "1 errors:\nRule Contains Unknown Event And Unspecified: error filter_check called with "
	  "nonexistent field "
	  "proc.nobody\n---\n- rule: Contains Unknown Event And Unspecified\n  desc: Contains an unknown "
	  "event\n  "
	  "condition: proc.nobody=cat\n  output: Never\n  priority: INFO\n---\n" },
	{ { "tests/rules/engine_version_mismatch.yaml" },
	  "1 errors:\nRules require engine version 9999999, but engine version is " },
	/* falco_tests_exceptions.yaml */
	{ { "tests/rules/exceptions/item_no_fields.yaml" },
	  "1 errors:\nRule exception item ex1: must have fields property with a list of fields\n---\n" },
	{ { "tests/rules/exceptions/item_no_name.yaml" },
	  "1 errors:\nRule exception item must have name property\n---\n" },
	{ { "tests/rules/exceptions/append_item_no_name.yaml" },
	  "1 errors:\nRule exception item must have name property\n---\n- rule: My Rule\n  exceptions:\n    "
	  "- "
	  "values:\n        - [nginx, /tmp/foo]\n  append: true\n---\n" },
	{ { "tests/rules/exceptions/item_unknown_fields.yaml" },
	  "1 errors:\nRule exception item ex1: field name not.exist is not a supported filter field\n---\n" },
	{ { "tests/rules/exceptions/item_comps_fields_len_mismatch.yaml" },
	  "1 errors:\nRule exception item ex1: fields and comps lists must have equal length\n---\n" },
	{ { "tests/rules/exceptions/item_unknown_comp.yaml" },
	  "1 errors:\nRule exception item ex1: comparison operator no-comp is not a supported comparison "
	  "operator\n---\n" },
	{ { "tests/rules/exceptions/item_fields_values_len_mismatch.yaml" },
	  "1 errors:\nException item ex1: fields and values lists must have equal length\n---\n" },
	{ { "tests/rules/exceptions/append_item_fields_values_len_mismatch.yaml" },
	  "1 errors:\nException item ex1: fields and values lists must have equal length\n---\n- rule: My "
	  "Rule\n  "
	  "desc: Some desc\n  condition: evt.type=open and proc.name=cat\n  output: Some output\n  "
	  "exceptions:\n    "
	  "- name: ex1\n      fields: [proc.name, fd.filename]\n  priority: error\n\n- rule: My Rule\n  "
	  "exceptions:\n  "
	  "  - name: ex1\n      values:\n        - [nginx]\n  append: true\n---\n" },
	{ { "tests/rules/exceptions/append_item_not_in_rule.yaml" },
	  "1 errors:\nRule exception new item ex2: must have fields property with a list of fields\n---\n- "
	  "rule: My "
	  "Rule\n  exceptions:\n    - name: ex2\n      values:\n        - [apache, /tmp]\n  append: "
	  "true\n---\n" },
	{ { "tests/rules/exceptions/rule_exception_new_no_field_append.yaml" },
	  "1 errors:\nRule exception new item proc_cmdline: must have fields property with a list of "
	  "fields\n---\n- rule: Open From Cat\n  exceptions:\n    - name: proc_cmdline\n      comps: in\n    "
	  "  "
	  "values:\n        - \"cat /dev/null\"\n  append: true\n---\n" },
};

static void test_validate_errors(void **unused)
{
	size_t failed = 0;

	(void)unused;
	if (!have_data())
		skip();
	for (size_t i = 0; i < ARRAY_SIZE(validate_cases); i++) {
		struct rules *r = rules_new();
		size_t n = validate_cases[i].files[1] ? 2 : 1;
		const char *last = validate_cases[i].files[n - 1];
		char *out;
		int rc = load(r, validate_cases[i].files, n);

		out = print_errors(r, last);
		if (rc != -EINVAL ||
		    strncmp(out, validate_cases[i].out, strlen(validate_cases[i].out)) != 0) {
			printf("%s: rc %d\n--- got:\n%s--- want:\n%s\n", last, rc, out,
			       validate_cases[i].out);
			failed++;
		}
		free(out);
		rules_free(r);
	}
	assert_int_equal(failed, 0);
}

/* Files that load, and the condition one rule compiles to. */
static const struct {
	const char *files[2];
	const char *rule, *expanded;
} expand_cases[] = {
	{ { "tests/rules/single_rule.yaml" },
	  "open_from_cat",
	  "((evt.type = open) and (proc.name in (cat)))" },
	{ { "tests/rules/list_order.yaml" },
	  "open_from_cat",
	  "((evt.type = open) and (proc.name in (cat)))" },
	{ { "tests/rules/macro_order.yaml" },
	  "open_from_cat",
	  "((evt.type = open) and (proc.name in (cat)))" },
	{ { "tests/rules/single_rule.yaml", "tests/rules/override_list.yaml" },
	  "open_from_cat",
	  "((evt.type = open) and (proc.name in (not-cat)))" },
	{ { "tests/rules/single_rule.yaml", "tests/rules/override_nested_list.yaml" },
	  "open_from_cat",
	  "((evt.type = open) and (proc.name in (not-cat)))" },
	{ { "tests/rules/single_rule.yaml", "tests/rules/override_macro.yaml" }, "open_from_cat", NULL },
	{ { "tests/rules/single_rule.yaml", "tests/rules/override_rule.yaml" }, "open_from_cat", NULL },
	{ { "tests/rules/list_append.yaml" }, "Open From Cat", NULL },
	{ { "tests/rules/list_append_false.yaml" }, "Open From Cat", NULL },
	{ { "tests/rules/macro_append.yaml" }, "Open From Cat", NULL },
	{ { "tests/rules/macro_append_false.yaml" }, "Open From Cat", NULL },
	{ { "tests/rules/rule_append.yaml" }, "my_rule", NULL },
	{ { "tests/rules/rule_append_false.yaml" }, "my_rule", NULL },
	{ { "tests/rules/list_sub_whitespace.yaml" }, "open_from_cat", NULL },
	{ { "tests/rules/list_sub_front.yaml" }, "open_from_cat", NULL },
	{ { "tests/rules/list_sub_mid.yaml" }, "open_from_cat", NULL },
	{ { "tests/rules/list_sub_end.yaml" }, "open_from_cat", NULL },
	{ { "tests/rules/list_sub_bare.yaml" }, "open_from_cat", NULL },
	{ { "tests/rules/list_substring.yaml" }, "my_rule", NULL },
	{ { "tests/rules/skip_unknown_evt.yaml" }, NULL, NULL },
	{ { "tests/rules/skip_unknown_prefix.yaml" }, NULL, NULL },
	{ { "tests/rules/exceptions/rule_exception_no_values.yaml" }, NULL, NULL },
	{ { "tests/rules/exceptions/rule_exception_one_value.yaml" }, NULL, NULL },
	{ { "tests/rules/exceptions/rule_exception_append_one_value.yaml" }, NULL, NULL },
	{ { "tests/rules/exceptions/rule_exception_second_value.yaml" }, NULL, NULL },
	{ { "tests/rules/exceptions/rule_exception_append_second_value.yaml" }, NULL, NULL },
	{ { "tests/rules/exceptions/rule_exception_second_item.yaml" }, NULL, NULL },
	{ { "tests/rules/exceptions/rule_exception_append_second_item.yaml" }, NULL, NULL },
	{ { "tests/rules/exceptions/rule_exception_third_item.yaml" }, NULL, NULL },
	{ { "tests/rules/exceptions/rule_exception_append_third_item.yaml" }, NULL, NULL },
	{ { "tests/rules/exceptions/rule_exception_quoted.yaml" }, NULL, NULL },
	{ { "tests/rules/exceptions/rule_exception_append_multiple.yaml" }, NULL, NULL },
	{ { "tests/rules/exceptions/rule_exception_comp.yaml" }, NULL, NULL },
	{ { "tests/rules/exceptions/rule_exception_append_comp.yaml" }, NULL, NULL },
	{ { "tests/rules/exceptions/rule_exception_values_listref.yaml" }, NULL, NULL },
	{ { "tests/rules/exceptions/rule_exception_values_listref_noparens.yaml" }, NULL, NULL },
	{ { "tests/rules/exceptions/rule_exception_values_list.yaml" }, NULL, NULL },
	{ { "tests/rules/exceptions/rule_exception_single_field.yaml" }, NULL, NULL },
	{ { "tests/rules/exceptions/rule_exception_single_field_append.yaml" }, NULL, NULL },
	{ { "tests/rules/exceptions/rule_exception_new_single_field_append.yaml" }, NULL, NULL },
	{ { "tests/rules/exceptions/rule_exception_new_second_field_append.yaml" }, NULL, NULL },
};

static void test_expand(void **unused)
{
	size_t failed = 0;

	(void)unused;
	if (!have_data())
		skip();
	for (size_t i = 0; i < ARRAY_SIZE(expand_cases); i++) {
		struct rules *r = rules_new();
		size_t n = expand_cases[i].files[1] ? 2 : 1;
		int rc = load(r, expand_cases[i].files, n);
		struct rule *rule = expand_cases[i].rule ? rules_find(r, expand_cases[i].rule) : NULL;

		if (rc) {
			char *out = print_errors(r, NULL);

			printf("%s: rc %d\n%s", expand_cases[i].files[n - 1], rc, out);
			free(out);
			failed++;
		} else if (expand_cases[i].rule && !rule) {
			printf("%s: no rule %s\n", expand_cases[i].files[n - 1], expand_cases[i].rule);
			failed++;
		} else if (expand_cases[i].expanded && strcmp(rule->expanded, expand_cases[i].expanded)) {
			printf("%s: %s\n   want %s\n", expand_cases[i].files[n - 1], rule->expanded,
			       expand_cases[i].expanded);
			failed++;
		}
		rules_free(r);
	}
	assert_int_equal(failed, 0);
}

/* Replay a capture through the state and the rules; how often open_from_cat fired. */
static size_t replay(struct rules *r, const char *path)
{
	struct state *st = state_new();
	struct err e = { { 0 } };
	struct scap_reader *rd = scap_reader_open(path, &e);
	struct scap_record rec;
	size_t hits = 0;
	int rc;

	if (!rd)
		fail_msg("%s", e.msg);
	if (rules_compile(r, st, &e)) {
		rules_diag_print(r, NULL, stdout);
		fail_msg("%s", e.msg);
	}
	memset(&rec, 0, sizeof(rec));
	while ((rc = scap_reader_next(rd, &rec, &e)) > 0) {
		struct evctx cx;
		struct rule *hit;

		if (rc != SCAP_REC_EVENT) {
			state_add_record(st, &rec);
			continue;
		}
		state_process(st, &rec.ev, &cx);
		hit = rules_match(r, &cx);
		hits += hit && !strcmp(hit->name, "open_from_cat");
	}
	assert_true(rc == 0);
	scap_reader_close(rd);
	state_free(st);
	return hits;
}

static void test_match_single_rule(void **unused)
{
	static const char *const files[] = { "tests/rules/single_rule.yaml", "tests/rules/double_rule.yaml" };
	char scap[700];
	struct rules *r;

	(void)unused;
	if (!have_data())
		skip();
	snprintf(scap, sizeof(scap), "%s/../scap/falco_cat_write.scap", falco_dir);
	r = rules_new();
	assert_int_equal(load(r, files, 2), 0);
	rules_set_all_events(r, true); /* multiple_rules_suppress_info: all_events, open_from_cat: 8 */
	assert_int_equal(replay(r, scap), 8);
	rules_free(r);
}

static void test_bad_text(void **unused)
{
	static const char *const texts[] = {
		"- rule: x\n  condition: [\n",
		"- [a, b]\n",
		"[",
		"- rule: {a: b}\n",
		"- list: l\n  items: {a: b}\n",
		"- rule: r\n  condition: evt.type=open\n  output: o\n  desc: d\n  priority: LOUD\n",
		"- rule: r\n  condition: evt.type=open\n  output: o\n  desc: d\n  priority: INFO\n  capture: "
		"{before: "
		"200, after: 200}\n",
		"- macro: m\n  condition: m\n- rule: r\n  condition: m\n  output: o\n  desc: d\n  priority: "
		"INFO\n",
		"\x01\x02",
		"- rule: r\n  exceptions: 5\n  append: true\n",
	};
	struct err e = { { 0 } };

	(void)unused;
	for (size_t i = 0; i < ARRAY_SIZE(texts); i++) {
		struct rules *r = rules_new();

		assert_int_equal(rules_load_text(r, "t.yaml", texts[i], strlen(texts[i]), &e), -EINVAL);
		assert_true(rules_diag_count(r) > 0);
		assert_non_null(rules_diag_at(r, 0)->msg);
		rules_free(r);
	}
	{
		/* rules_diag_locate: FILE:LINE of the item, the message's first line */
		static const char text[] =
		        "# a comment\n\n- rule: ok\n  desc: d\n  condition: evt.type=open\n"
		        "  output: o\n  priority: INFO\n\n- rule: r\n  desc: d\n  output: o\n"
		        "  priority: INFO\n";
		struct rules *r = rules_new();
		char *buf = NULL;
		size_t len = 0;
		FILE *f = open_memstream(&buf, &len);

		assert_int_equal(rules_load_text(r, "t.yaml", text, strlen(text), &e), -EINVAL);
		rules_diag_locate(r, "t.yaml", f);
		fclose(f);
		assert_string_equal(buf, "t.yaml:9: error: Rule must have property condition\n");
		free(buf);
		rules_free(r);
	}
}

/* A policy gives its capture action to the rules it names, in files loaded after theirs. */
static void test_policy(void **unused)
{
	static const char rules_text[] =
	        "- rule: a\n  condition: evt.type=open\n  output: o\n  desc: d\n  priority: info\n"
	        "- rule: b\n  condition: evt.type=close\n  output: o\n  desc: d\n  priority: info\n"
	        "  capture: {before: 1s, after: 1s}\n"
	        "- rule: c\n  condition: evt.type=read\n  output: o\n  desc: d\n  priority: info\n";
	static const char policy[] =
	        "- policy: p\n  rules: [a, b]\n  capture: {before: 10s, after: 1m, packets: true, filter: "
	        "\"proc.name=x\"}\n";
	static const char *const bad[] = {
		"- policy: q\n  rules: [a, nope]\n  capture: {}\n",
		"- policy: q\n  rules: []\n  capture: {}\n",
		"- policy: q\n  rules: [a]\n",
		"- policy: q\n  rules: [a]\n  capture: {before: 200s, after: 200s}\n",
		"- policy: q\n  rules: [a]\n  capture: {packets: maybe}\n",
	};
	static const char *const msgs[] = {
		"Policy q names rule 'nope', which is not defined",
		"Policy q: rules must be a list of rule names",
		"Policy q must have property capture",
		"Policy q: capture before + after is 400s, more than the 300s a capture may span",
		"Policy q: capture packets must be true or false, not 'maybe'",
	};
	struct rules *r = rules_new();
	struct err e = { { 0 } };
	struct state *st = state_new();

	(void)unused;
	assert_int_equal(rules_load_text(r, "rules.yaml", rules_text, strlen(rules_text), &e), 0);
	assert_int_equal(rules_load_text(r, "policy.yaml", policy, strlen(policy), &e), 0);
	assert_int_equal(rules_compile(r, st, &e), 0);
	for (const char *n = "ab"; *n; n++) {
		char name[2] = { *n, 0 };
		const struct rule *rule = rules_find(r, name);

		assert_true(rule->capture.enabled);
		assert_true(rule->capture.before == 10 && rule->capture.after == 60);
		assert_string_equal(rule->capture.filter, "proc.name=x");
		assert_int_equal(rule->capture.packets, 1);
	}
	assert_false(rules_find(r, "c")->capture.enabled);
	assert_int_equal(rules_find(r, "c")->capture.packets, -1);
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		size_t before = rules_diag_count(r);

		assert_int_equal(rules_load_text(r, "bad.yaml", bad[i], strlen(bad[i]), &e), -EINVAL);
		assert_true(rules_diag_count(r) > before);
		assert_string_equal(rules_diag_at(r, before)->msg, msgs[i]);
		assert_true(rules_find(r, "a")->capture.before == 10); /* the set as it was */
	}
	rules_free(r);
	state_free(st);
}

static void test_priority_and_capture(void **unused)
{
	static const char text[] =
	        "- rule: r\n  condition: evt.type=open\n  output: o\n  desc: d\n  priority: info\n"
	        "  capture: {enabled: true, name: cap, before: 1m, after: 30s, storage: local}\n";
	struct rules *r = rules_new();
	struct err e = { { 0 } };
	enum rule_priority p = PRIO_DEBUG;
	struct rule *rule;

	(void)unused;
	assert_int_equal(rule_priority_parse("INFORMATIONAL", &p), 0);
	assert_int_equal(p, PRIO_INFORMATIONAL);
	assert_int_equal(rule_priority_parse("critical", &p), 0);
	assert_int_equal(p, PRIO_CRITICAL);
	assert_int_equal(rule_priority_parse("nope", &p), -1);
	assert_string_equal(rule_priority_name(PRIO_WARNING), "Warning");
	assert_int_equal(rules_load_text(r, "t.yaml", text, strlen(text), &e), 0);
	rule = rules_find(r, "r");
	assert_non_null(rule);
	assert_int_equal(rule->priority, PRIO_INFORMATIONAL);
	assert_true(rule->capture.enabled);
	assert_string_equal(rule->capture.name, "cap");
	assert_true(rule->capture.before == 60 && rule->capture.after == 30);
	assert_int_equal(rules_enable_name(r, "r", false, false), 1);
	assert_false(rule->enabled);
	rules_free(r);
}

/*
 * Macros nested levels deep, each naming the one before twice, used by one
 * rule (issue 19): m1 is 5 terms, m_k 2 * m_(k-1) + 1, so m16 is the first
 * past RULES_TERMS_MAX. extra is appended (more items using the macros).
 */
static char *nested_macros(unsigned levels, const char *extra)
{
	struct sbuf b = { 0 };

	sbuf_puts(&b, "- macro: m1\n  condition: evt.type=open or evt.type=openat\n");
	for (unsigned i = 2; i <= levels; i++)
		sbuf_printf(&b, "- macro: m%u\n  condition: m%u or m%u\n", i, i - 1, i - 1);
	sbuf_printf(&b, "- rule: r\n  desc: d\n  condition: m%u\n  output: o\n  priority: INFO\n", levels);
	sbuf_puts(&b, extra);
	sbuf_cstr(&b);
	return b.data; /* the caller frees it */
}

/* The errors of text loaded alone, as rules_diag_locate() prints them. */
static char *locate_errors(const char *text)
{
	struct rules *r = rules_new();
	struct err e = { { 0 } };
	char *buf = NULL;
	size_t len = 0;
	FILE *f;

	assert_int_equal(rules_load_text(r, "nest.yaml", text, strlen(text), &e), -EINVAL);
	f = open_memstream(&buf, &len);
	rules_diag_locate(r, NULL, f);
	fclose(f);
	rules_free(r);
	return buf;
}

/*
 * Expansion copies a macro at each use: past RULES_TERMS_MAX terms in one
 * condition, or RULES_SET_TERMS_MAX in all, the item is refused (before the
 * copy), naming the macro or list that took it there, instead of doubling at
 * each level (20 levels took 16 s and 1.6 GB, 30 would not finish).
 */
static void test_expansion_limits(void **unused)
{
	static const char m16[] = "nest.yaml:31: error: Macro 'm16' is too large: with macro 'm15' "
	                          "expanded it would hold more than 100000 terms (operators, checks and "
	                          "values).\n";
	static const unsigned levels[] = { 20, 30 };
	struct sbuf extra = { 0 };
	char *text, *out;

	(void)unused;
	assert_int_equal(RULES_TERMS_MAX, 100000);
	for (size_t i = 0; i < ARRAY_SIZE(levels); i++) {
		text = nested_macros(levels[i], "");
		out = locate_errors(text);
		assert_string_equal(out, m16);
		free(out);
		free(text);
	}
	/* under the limit a macro is used whole; a rule naming it twice is past it */
	text = nested_macros(15, "- rule: r2\n  desc: d\n  condition: m15 or m15\n  output: o\n  "
	                         "priority: INFO\n");
	out = locate_errors(text);
	assert_string_equal(out, "nest.yaml:36: error: Rule r2: condition too large: with macro 'm15' "
	                         "expanded it would hold more than 100000 terms (operators, checks and "
	                         "values).\n");
	free(out);
	free(text);
	/* each under the limit, together past RULES_SET_TERMS_MAX: m1..m15 hold 196587 terms, each w 98303 */
	for (unsigned i = 1; i <= 10; i++)
		sbuf_printf(&extra, "- macro: w%u\n  condition: m15\n", i);
	text = nested_macros(15, sbuf_cstr(&extra));
	out = locate_errors(text);
	assert_string_equal(out, "nest.yaml:52: error: Macro 'w9' is too large: with macro 'm15' expanded "
	                         "the macros and rules would hold more than 1000000 terms together "
	                         "(operators, checks and values).\n");
	free(out);
	free(text);
	sbuf_release(&extra);
	/* lists nest the same way: l30 would be 2^30 items */
	sbuf_puts(&extra, "- list: l1\n  items: [a, b]\n");
	for (unsigned i = 2; i <= 30; i++)
		sbuf_printf(&extra, "- list: l%u\n  items: [l%u, l%u]\n", i, i - 1, i - 1);
	sbuf_puts(&extra, "- rule: r\n  desc: d\n  condition: proc.name in (l30)\n  output: o\n  "
	                  "priority: INFO\n");
	out = locate_errors(sbuf_cstr(&extra));
	assert_string_equal(out, "nest.yaml:61: error: Rule r: condition too large: with list 'l30' "
	                         "expanded it would hold more than 100000 terms (operators, checks and "
	                         "values).\n");
	free(out);
	sbuf_release(&extra);
}

/* capture: {artifacts: ...}: true or absent -1, false 0, a list of kinds their ENGINE_ART_* flags; else
 * refused. */
static void test_capture_artifacts(void **unused)
{
	static const struct {
		const char *capture;
		int artifacts;
	} good[] = {
		{ "{}", -1 },
		{ "{artifacts: ~}", -1 },
		{ "{artifacts: false}", 0 },
		{ "{artifacts: off}", 0 },
		{ "{artifacts: []}", 0 },
		{ "{artifacts: [write]}", ENGINE_ART_WRITE },
		{ "{artifacts: [exec, mem]}", ENGINE_ART_EXEC | ENGINE_ART_MEM },
		{ "{artifacts: [module, bpf, module]}", ENGINE_ART_MODULE | ENGINE_ART_BPF },
		{ "\n    artifacts:\n      - write\n      - exec\n      - mem\n      - module\n      - bpf",
		  ENGINE_ART_ALL },
	};
	static const char *const bad[] = {
		"{artifacts: maybe}",     "{artifacts: write}",         "{artifacts: [bogus]}",
		"{artifacts: [1]}",       "{artifacts: {write: true}}", "{artifacts: [Write]}",
		"{artifacts: [[write]]}", "{artifacts: [write, ~]}",    "{artifacts: 0}",
	};
	static const char policy[] = "- policy: p\n  rules: [r]\n  capture: {artifacts: [module]}\n";
	static const char policy_bad[] = "- policy: q\n  rules: [r]\n  capture: {artifacts: all}\n";
	static const char msg[] =
	        "capture artifacts must be true, false or a list of kinds (write, exec, mem, "
	        "module, bpf)";
	struct err e = { { 0 } };
	struct sbuf b = { 0 };
	struct rules *r;

	(void)unused;
	for (size_t i = 0; i < ARRAY_SIZE(good); i++) {
		r = rules_new();
		sbuf_printf(
		        &b,
		        "- rule: r\n  condition: evt.type=open\n  output: o\n  desc: d\n  priority: info\n"
		        "  capture: %s\n",
		        good[i].capture);
		if (rules_load_text(r, "t.yaml", b.data, b.len, &e))
			fail_msg("%s: %s", good[i].capture, e.msg);
		assert_true(rules_find(r, "r")->capture.enabled);
		if (rules_find(r, "r")->capture.artifacts != good[i].artifacts)
			fail_msg("%s: artifacts %d, want %d", good[i].capture,
			         rules_find(r, "r")->capture.artifacts, good[i].artifacts);
		rules_free(r);
		sbuf_release(&b);
	}
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		r = rules_new();
		sbuf_printf(
		        &b,
		        "- rule: r\n  condition: evt.type=open\n  output: o\n  desc: d\n  priority: info\n"
		        "  capture: %s\n",
		        bad[i]);
		if (rules_load_text(r, "t.yaml", b.data, b.len, &e) != -EINVAL)
			fail_msg("%s: loaded", bad[i]);
		assert_true(rules_diag_count(r) > 0);
		if (!strstr(rules_diag_at(r, 0)->msg, msg))
			fail_msg("%s: '%s'", bad[i], rules_diag_at(r, 0)->msg);
		assert_memory_equal(rules_diag_at(r, 0)->msg, "Rule r: ", 8);
		rules_free(r);
		sbuf_release(&b);
	}

	/* a policy gives its artifacts to its rules; a bad one is refused naming the policy */
	r = rules_new();
	sbuf_puts(&b, "- rule: r\n  condition: evt.type=open\n  output: o\n  desc: d\n  priority: info\n"
	              "  capture: {artifacts: false}\n");
	assert_int_equal(rules_load_text(r, "t.yaml", b.data, b.len, &e), 0);
	sbuf_release(&b);
	assert_int_equal(rules_find(r, "r")->capture.artifacts, 0);
	assert_int_equal(rules_load_text(r, "policy.yaml", policy, strlen(policy), &e), 0);
	{
		struct state *st = state_new();

		assert_int_equal(rules_compile(r, st, &e), 0);
		assert_int_equal(rules_find(r, "r")->capture.artifacts, ENGINE_ART_MODULE);
		assert_int_equal(rules_load_text(r, "bad.yaml", policy_bad, strlen(policy_bad), &e), -EINVAL);
		assert_string_equal(
		        rules_diag_at(r, rules_diag_count(r) - 1)->msg,
		        "Policy q: capture artifacts must be true, false or a list of kinds (write, exec, "
		        "mem, module, bpf)");
		assert_int_equal(rules_find(r, "r")->capture.artifacts, ENGINE_ART_MODULE);
		state_free(st);
	}
	rules_free(r);
}

/* capture: {artifacts: true}: the kinds the agent keeps (-1), as absent. */
static void test_capture_artifacts_true(void **unused)
{
	static const char *const texts[] = { "true", "yes", "on", "'true'" };
	struct err e = { { 0 } };
	struct sbuf b = { 0 };

	(void)unused;
	for (size_t i = 0; i < ARRAY_SIZE(texts); i++) {
		struct rules *r = rules_new();

		sbuf_printf(
		        &b,
		        "- rule: r\n  condition: evt.type=open\n  output: o\n  desc: d\n  priority: info\n"
		        "  capture: {artifacts: %s}\n",
		        texts[i]);
		if (rules_load_text(r, "t.yaml", b.data, b.len, &e))
			fail_msg("artifacts: %s refused: %s", texts[i],
			         rules_diag_count(r) ? rules_diag_at(r, 0)->msg : e.msg);
		assert_int_equal(rules_find(r, "r")->capture.artifacts, -1);
		rules_free(r);
		sbuf_release(&b);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_default_ruleset),        cmocka_unit_test(test_rules_events),
		cmocka_unit_test(test_validate_errors),        cmocka_unit_test(test_expand),
		cmocka_unit_test(test_match_single_rule),      cmocka_unit_test(test_bad_text),
		cmocka_unit_test(test_priority_and_capture),   cmocka_unit_test(test_policy),
		cmocka_unit_test(test_expansion_limits),       cmocka_unit_test(test_capture_artifacts),
		cmocka_unit_test(test_capture_artifacts_true),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
