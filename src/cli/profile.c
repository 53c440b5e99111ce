/* profile: `sysrec profile diff OLD NEW`, what a runtime profile has that an earlier one did not. */
#include "cli.h"

#include "../artifacts/artifacts.h"

#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>

static void profile_usage(FILE *f)
{
	fprintf(f, "usage: sysrec profile diff [--json] OLD NEW\n"
	           "\n"
	           "  Compare two runtime profiles (sysrec record --capture profile writes them):\n"
	           "  the programs NEW ran that OLD never did (new), and those whose binary is not\n"
	           "  one OLD saw at that path (changed); programs OLD ran and NEW did not are listed\n"
	           "  as gone. Exit status 1 when anything is new or changed, 0 when nothing is,\n"
	           "  2 on bad input (for CI pipelines).\n"
	           "      --json            one JSON object: {\"new\": [...], \"changed\": [...], \"gone\": "
	           "[...]}\n");
}

static int diff(int argc, char **argv)
{
	static const struct option longs[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct art_diff_line *lines;
	struct err e = { { 0 } };
	size_t n, changes = 0;
	bool json = false;
	int c;

	optind = 1;
	while ((c = getopt_long(argc, argv, "h", longs, NULL)) != -1) {
		if (c == 'j') {
			json = true;
		} else if (c == 'h') {
			profile_usage(stdout);
			return 0;
		} else {
			profile_usage(stderr);
			return 2;
		}
	}
	if (argc - optind != 2) {
		profile_usage(stderr);
		return 2;
	}
	if (art_profile_diff(argv[optind], argv[optind + 1], &lines, &n, &e)) {
		fprintf(stderr, "sysrec profile diff: %s\n", e.msg);
		return 2;
	}
	if (json) {
		json_t *o = json_pack("{s:[],s:[],s:[]}", "new", "changed", "gone");

		for (size_t i = 0; i < n; i++)
			json_array_append_new(json_object_get(o, lines[i].what),
			                      json_pack("{s:s,s:s?,s:s?}", "path", lines[i].path,
			                                "old_sha256", lines[i].old_sha, "new_sha256",
			                                lines[i].new_sha));
		json_dumpf(o, stdout, JSON_COMPACT);
		putchar('\n');
		json_decref(o);
	}
	for (size_t i = 0; i < n; i++) {
		bool gone = !strcmp(lines[i].what, "gone");

		changes += !gone;
		if (json)
			continue;
		if (gone)
			printf("gone     %s\n", lines[i].path);
		else if (!strcmp(lines[i].what, "new"))
			printf("new      %s sha256=%s\n", lines[i].path, lines[i].new_sha);
		else
			printf("changed  %s sha256=%s (before: %s)\n", lines[i].path, lines[i].new_sha,
			       lines[i].old_sha);
	}
	if (!json)
		fprintf(stderr, "sysrec profile diff: %zu new or changed, %zu gone\n", changes, n - changes);
	art_diff_free(lines, n);
	return changes ? 1 : 0;
}

int cmd_profile(int argc, char **argv)
{
	if (argc >= 2 && !strcmp(argv[1], "diff"))
		return diff(argc - 1, argv + 1);
	if (argc >= 2 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))) {
		profile_usage(stdout);
		return 0;
	}
	profile_usage(stderr);
	return 2;
}
