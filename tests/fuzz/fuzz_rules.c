/*
 * fuzz_rules: libFuzzer target for the rules loader (src/rules: libyaml
 * documents, items, appends, exceptions, list and macro expansion, the
 * condition parser) and the alert formatter.
 *
 * The input is a rules file. It is loaded after a small base file (so that
 * appends and overrides have something to work on), compiled against a state,
 * and every compiled rule's output is compiled as an alert format. A file
 * that fails must leave the ruleset as it was (the base rule still there,
 * compiled) and have at least one error diagnostic; every diagnostic must
 * have a message. Anything else aborts; crashes, leaks, hangs and UB are bugs.
 *
 * Build: make build/fuzz/fuzz_rules; run: make fuzz-rules (scripts/fuzz.sh).
 */
#include "../../src/common/common.h"
#include "../../src/rules/alert.h"
#include "../../src/rules/rules.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char base[] = "- list: base_list\n"
                           "  items: [cat, bash]\n"
                           "- macro: base_macro\n"
                           "  condition: proc.name in (base_list)\n"
                           "- rule: base rule\n"
                           "  desc: d\n"
                           "  condition: evt.type=open and base_macro\n"
                           "  output: \"%proc.name opened %fd.name\"\n"
                           "  priority: WARNING\n"
                           "  tags: [t]\n";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rules *r = rules_new();
	struct state *st = state_new();
	struct err e = { { 0 } };
	size_t errors = 0;
	int rc;

	if (rules_load_text(r, "base.yaml", base, sizeof(base) - 1, &e) != 0)
		abort();
	rc = rules_load_text(r, "fuzz.yaml", (const char *)data, size, &e);
	for (size_t i = 0; i < rules_diag_count(r); i++) {
		const struct rules_diag *d = rules_diag_at(r, i);

		if (!d->msg || !*d->msg)
			abort();
		errors += !d->warning;
	}
	if (rc == -EINVAL && !errors)
		abort(); /* refused without saying why */
	if (rc != 0 && rc != -EINVAL)
		abort();
	if (!rules_find(r, "base rule") && rc != 0)
		abort(); /* a refused file took the base with it */
	if (rules_compile(r, st, &e) == 0) {
		for (size_t i = 0; i < rules_count(r); i++) {
			struct rule *rule = rules_at(r, i);
			struct alert_format *f;

			if (!rule->filter)
				continue;
			f = alert_format_compile(st, rule->output, &e);
			alert_format_free(f);
		}
	} else if (rc != 0) {
		abort(); /* the set kept after a refused file compiled before */
	}
	{
		FILE *devnull = fopen("/dev/null", "w");

		if (devnull) {
			rules_diag_print(r, NULL, devnull);
			fclose(devnull);
		}
	}
	rules_free(r);
	state_free(st);
	return 0;
}
