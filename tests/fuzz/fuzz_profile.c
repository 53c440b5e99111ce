/*
 * fuzz_profile: libFuzzer target for `sysrec profile diff` (src/artifacts/profile.c
 * over jansson): the input is a profile file, as a CI pipeline might be handed one.
 *
 * Compared with itself, a profile that loads has nothing new, changed or gone;
 * compared with a fixed good profile either way, it loads or is refused with
 * a message naming the file. Anything else aborts; crashes, leaks, hangs and
 * UB are bugs.
 *
 * Build: make build/fuzz/fuzz_profile (see FUZZ_SRCS_profile in the Makefile).
 */
#include "../../src/artifacts/artifacts.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char in_path[64], good_path[64];

static void setup(void)
{
	FILE *f;

	if (in_path[0])
		return;
	snprintf(in_path, sizeof(in_path), "/tmp/fuzz-profile-%d.json", (int)getpid());
	snprintf(good_path, sizeof(good_path), "/tmp/fuzz-profile-good-%d.json", (int)getpid());
	f = fopen(good_path, "w");
	if (!f)
		abort();
	fputs("{\"version\":1,\"programs\":[{\"path\":\"/bin/ls\",\"sha256\":\"aa\"},"
	      "{\"path\":\"/bin/cat\",\"sha256\":\"bb\"}]}",
	      f);
	fclose(f);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct art_diff_line *lines;
	struct err e = { { 0 } };
	size_t n;
	FILE *f;
	int rc;

	setup();
	f = fopen(in_path, "w");
	if (!f)
		abort();
	if (size && fwrite(data, 1, size, f) != size)
		abort();
	fclose(f);
	rc = art_profile_diff(in_path, in_path, &lines, &n, &e);
	if (rc == 0) {
		if (n != 0)
			abort(); /* a profile has nothing new against itself */
		art_diff_free(lines, n);
	} else if (!strstr(e.msg, in_path)) {
		abort();
	}
	for (int way = 0; way < 2; way++) {
		rc = art_profile_diff(way ? in_path : good_path, way ? good_path : in_path, &lines, &n, &e);
		if (rc == 0)
			art_diff_free(lines, n);
		else if (!strstr(e.msg, in_path))
			abort();
	}
	return 0;
}
