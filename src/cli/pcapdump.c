/*
 * pcapdump: continuous packet recording's tools: `sysrec pcapdump merge`
 * here, the agent's settings, status and export in pcapdump_agent.c.
 */
#include "cli.h"

#include "../pcap/pcap.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static void pcapdump_usage(FILE *f)
{
	fprintf(f, "usage: sysrec pcapdump merge -w OUT [--json] IN...\n");
	pcapdump_agent_usage(f);
	fprintf(f,
	        "\n"
	        "  merge: the pcapng files IN into OUT, ordered by time as `mergecap -w OUT IN...`\n"
	        "  orders them (equal times: the later input's first), every interface of every input its "
	        "own\n"
	        "  interface in OUT, described with its input's host (sysrec's files name it);\n"
	        "  each packet's bytes, lengths, direction, comment and owner kept.\n"
	        "  -w, --write OUT        the merged file (written whole, or not at all)\n"
	        "      --json             one JSON object on stdout: inputs, interfaces, packets, bytes\n");
}

struct merge_progress {
	bool on;
	double start, last;
	bool shown;
};

static void on_progress(void *ctx, const struct pcap_merge_stats *st)
{
	struct merge_progress *p = ctx;
	double t = mono_seconds();

	if (!p->on || t - p->start < 1 || t - p->last < 0.25)
		return;
	p->last = t;
	p->shown = true;
	fprintf(stderr, "\rsysrec pcapdump merge: %llu packets, %.1f MiB", (unsigned long long)st->packets,
	        (double)st->bytes / (1 << 20));
}

static int merge(int argc, char **argv)
{
	static const struct option longs[] = {
		{ "write", required_argument, NULL, 'w' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct merge_progress prog = { isatty(STDERR_FILENO), mono_seconds(), 0, false };
	struct pcap_merge_stats st;
	struct err e = { { 0 } };
	const char *out = NULL;
	bool json = false;
	int c, rc;

	optind = 1;
	while ((c = getopt_long(argc, argv, "w:h", longs, NULL)) != -1) {
		if (c == 'w') {
			out = optarg;
		} else if (c == 'j') {
			json = true;
		} else if (c == 'h') {
			pcapdump_usage(stdout);
			return 0;
		} else {
			pcapdump_usage(stderr);
			return 2;
		}
	}
	if (!out || !*out || optind >= argc) {
		fprintf(stderr, "sysrec pcapdump merge: %s\n",
		        !out || !*out ? "-w OUT is required" : "no input files");
		pcapdump_usage(stderr);
		return 2;
	}
	rc = pcap_merge((const char *const *)(argv + optind), (size_t)(argc - optind), out,
	                &(struct pcap_merge_opts){ .progress = on_progress, .ctx = &prog }, &st, &e);
	if (prog.shown)
		fputc('\n', stderr);
	if (rc) {
		fprintf(stderr, "sysrec pcapdump merge: %s\n", e.msg);
		return 1;
	}
	if (json)
		printf("{\"inputs\": %zu, \"interfaces\": %llu, \"packets\": %llu, \"bytes\": %llu}\n",
		       st.inputs, (unsigned long long)st.interfaces, (unsigned long long)st.packets,
		       (unsigned long long)st.bytes);
	else
		fprintf(stderr,
		        "sysrec pcapdump merge: %llu packets (%llu bytes) of %zu files, %llu interfaces, "
		        "into %s\n",
		        (unsigned long long)st.packets, (unsigned long long)st.bytes, st.inputs,
		        (unsigned long long)st.interfaces, out);
	return 0;
}

int cmd_pcapdump(int argc, char **argv)
{
	if (argc >= 2 && !strcmp(argv[1], "merge"))
		return merge(argc - 1, argv + 1);
	if (argc >= 2 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))) {
		pcapdump_usage(stdout);
		return 0;
	}
	if (argc < 2) {
		pcapdump_usage(stderr);
		return 2;
	}
	return pcapdump_agent(argc, argv);
}
