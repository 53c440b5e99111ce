/* main: sysrec's entry point, dispatching to subcommands. */
#include "cli.h"

#include "../common/common.h"

#include <stdio.h>
#include <string.h>

struct command {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *summary;
};

static const struct command commands[] = {
	{ "read", cmd_read, "print, filter or rewrite a .scap capture as sysdig -r does (-p, -j, -w)" },
	{ "record", cmd_record, "record system calls with eBPF into a .scap file (as sysdig -w)" },
	{ "agent", cmd_agent, "run the agent: flight recorder, captures, HTTP API (docs/api.md)" },
	{ "capture", cmd_capture, "take, list, show, download, delete, keep or discard captures" },
	{ "rules", cmd_rules, "validate Falco rules files; replay a capture through them (as falco -e)" },
	{ "profile", cmd_profile,
	  "compare two runtime profiles: what ran that did not before (profile diff)" },
	{ "pcapdump", cmd_pcapdump,
	  "merge pcapng files into one in time order (as mergecap), hosts kept apart" },
	{ "token", cmd_token, "print the agent's API token (from its data directory)" },
	{ "demo", cmd_demo, "write a small demo capture (used by make run)" },
};

char *cli_join_args(int argc, char **argv, int from)
{
	struct sbuf b;
	char *s;

	if (from >= argc)
		return NULL;
	sbuf_init(&b, 64);
	for (int i = from; i < argc; i++) {
		if (i > from)
			sbuf_putc(&b, ' ');
		sbuf_puts(&b, argv[i]);
	}
	s = xstrdup(sbuf_cstr(&b));
	sbuf_release(&b);
	return s;
}

static void usage(FILE *f)
{
	fprintf(f, "usage: sysrec <command> [options]\n\ncommands:\n");
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(f, "  %-8s %s\n", commands[i].name, commands[i].summary);
	fprintf(f, "\nsysrec <command> -h shows a command's options.\n");
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help") || !strcmp(argv[1], "help")) {
		usage(stdout);
		return 0;
	}
	if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "version")) {
		printf("sysrec %s\n", SYSREC_VERSION);
		return 0;
	}
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (!strcmp(argv[1], commands[i].name))
			return commands[i].run(argc - 1, argv + 1);
	fprintf(stderr, "sysrec: unknown command '%s'\n", argv[1]);
	usage(stderr);
	return 2;
}
