/*
 * fuzz_filter: libFuzzer target for the filter parser (src/filter/parse.c).
 *
 * The input is filter text. A filter that parses must print (fnode_print) to
 * a text that parses to the same print; one that does not must fail with
 * "filter error at column N: ..." where N lies within the text (or just past
 * it). Anything else aborts; crashes, leaks, hangs and UB are bugs.
 *
 * Build: make build/fuzz/fuzz_filter; run: make fuzz-filter (scripts/fuzz.sh).
 */
#include "../../src/common/common.h"
#include "../../src/filter/parse.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The column an error names, or 0. */
static unsigned long error_column(const char *msg)
{
	static const char head[] = "filter error at column ";

	if (strncmp(msg, head, sizeof(head) - 1))
		return 0;
	return strtoul(msg + sizeof(head) - 1, NULL, 10);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = xmalloc(size + 1);
	struct err e = { { 0 } };
	struct fnode *n;
	size_t len;

	memcpy(text, data, size);
	text[size] = 0;
	len = strlen(text); /* the parser sees the text up to its first NUL */
	n = filter_parse(text, &e);
	if (!n) {
		unsigned long col = error_column(e.msg);

		if (!col || col > len + 1) {
			fprintf(stderr, "fuzz_filter: bad error for input of %zu bytes: %s\n", len, e.msg);
			abort();
		}
	} else {
		struct sbuf first, again;
		struct fnode *m;

		sbuf_init(&first, 64);
		sbuf_init(&again, 64);
		fnode_print(n, &first);
		m = filter_parse(sbuf_cstr(&first), &e);
		if (!m) {
			fprintf(stderr, "fuzz_filter: the print %s does not parse: %s\n", sbuf_cstr(&first),
			        e.msg);
			abort();
		}
		fnode_print(m, &again);
		if (first.len != again.len || memcmp(first.data, again.data, first.len)) {
			fprintf(stderr, "fuzz_filter: %s reads back as %s\n", sbuf_cstr(&first),
			        sbuf_cstr(&again));
			abort();
		}
		fnode_free(m);
		sbuf_release(&first);
		sbuf_release(&again);
		fnode_free(n);
	}
	free(text);
	return 0;
}
