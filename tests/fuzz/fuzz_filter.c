/*
 * fuzz_filter: libFuzzer target for the filter parser and compiler
 * (src/filter/parse.c, compile.c) and the evaluator behind them.
 *
 * The input is filter text. A filter that parses must print (fnode_print) to
 * a text that parses to the same print; one that does not must fail with
 * "filter error at column N: ..." where N lies within the text (or just past
 * it). A filter that parses is then compiled against the field table (an
 * error must name its column too) and, when it compiles, run over the first
 * events of a real capture (FUZZ_FILTER_CAPTURE, by default the testdata's
 * curl_google.scap; without it only parsing and compiling are fuzzed).
 * Anything else aborts; crashes, leaks, hangs and UB are bugs.
 *
 * Build: make build/fuzz/fuzz_filter; run: make fuzz-filter (scripts/fuzz.sh).
 */
#include "../../src/common/common.h"
#include "../../src/filter/filter.h"
#include "../../src/filter/parse.h"
#include "../../src/scap/scap.h"
#include "../../src/state/state.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The column an error names, or 0. */
static unsigned long error_column(const char *msg)
{
	static const char head[] = "filter error at column ";

	if (strncmp(msg, head, sizeof(head) - 1))
		return 0;
	return strtoul(msg + sizeof(head) - 1, NULL, 10);
}

#define MAX_EVENTS 300 /* events of the capture each compiled filter runs over */

static const char *capture_path(void)
{
	static const char *path;
	static bool looked;

	if (!looked) {
		const char *env = getenv("FUZZ_FILTER_CAPTURE");
		const char *def = "../shared/testdata/scap/curl_google.scap";

		looked = true;
		path = env && *env ? env : def;
		if (access(path, R_OK) != 0) {
			fprintf(stderr,
			        "fuzz_filter: no capture at %s (FUZZ_FILTER_CAPTURE): fuzzing the parser "
			        "and compiler only\n",
			        path);
			path = NULL;
		}
	}
	return path;
}

/* Compile text; when it compiles, run it over the capture's first events. */
static void compile_and_run(const char *text, size_t len)
{
	struct err e = { { 0 } };
	struct state *st = state_new();
	struct filter *f = filter_compile(st, text, &e);
	const char *path = capture_path();
	struct scap_reader *r;
	struct scap_record rec;
	struct evctx cx;
	int n = 0;

	if (!f) {
		unsigned long col = error_column(e.msg);

		if (!col || col > len + 1) {
			fprintf(stderr, "fuzz_filter: bad compile error for input of %zu bytes: %s\n", len,
			        e.msg);
			abort();
		}
		state_free(st);
		return;
	}
	r = path ? scap_reader_open(path, &e) : NULL;
	while (r && n < MAX_EVENTS && scap_reader_next(r, &rec, &e) > 0) {
		if (rec.kind != SCAP_REC_EVENT) {
			state_add_record(st, &rec);
			continue;
		}
		n++;
		state_process(st, &rec.ev, &cx);
		(void)filter_match(f, &cx);
	}
	scap_reader_close(r);
	filter_free(f);
	state_free(st);
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
		compile_and_run(text, len);
	}
	free(text);
	return 0;
}
