/* agent: `sysrec agent`, the options of the daemon (src/agent runs it). */
#include "cli.h"

#include "../agent/agent.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Each flag and the configuration key it sets (every option is also a key of the YAML file). */
static const struct {
	const char *flag;
	const char *key;
	const char *arg;
	const char *help;
} flags[] = {
	{ "data", "data", "DIR", "where captures and the token live (default /var/lib/sysrec)" },
	{ "listen", "listen", "HOST:PORT", "the API's address (default 127.0.0.1:7070)" },
	{ "tls-cert", "tls.cert", "FILE", "serve HTTPS with this PEM certificate (and --tls-key)" },
	{ "tls-key", "tls.key", "FILE", "the certificate's PEM private key" },
	{ "host", "host", "NAME", "the host name captures carry (default: the system's)" },
	{ "http-max-connections", "http.max_connections", "N", "API connections held at once (default 256)" },
	{ "http-max-connections-per-ip", "http.max_connections_per_ip", "N",
	  "of them from one remote address (default 64)" },
	{ "http-header-timeout", "http.header_timeout", "SECONDS",
	  "time to send a request head, from accept (default 10s)" },
	{ "max-memory", "recorder.max_memory", "SIZE", "memory for the flight recorder (default 256MiB)" },
	{ "seconds", "recorder.seconds", "N", "seconds of history to keep (default 30)" },
	{ "ring-mb", "recorder.ring_mb", "MB", "kernel ring buffer, a power of two (default 16)" },
	{ "snaplen", "recorder.snaplen", "LEN", "I/O bytes kept per event (default 80)" },
	{ "captures-enabled", "captures.enabled", "BOOL", "false refuses every capture (default true)" },
	{ "max-outstanding", "captures.max_outstanding", "N", "captures at once (default 1)" },
	{ "retention-days", "captures.retention_days", "N", "days a capture is kept (default 90)" },
	{ "rules", "rules_files", "FILE", "a Falco rules file (may be repeated)" },
	{ "alerts-output", "alerts.output", "WHERE",
	  "where alerts go: stdout, file or syslog (default stdout)" },
	{ "alerts-file", "alerts.file", "FILE", "the file alerts are appended to (--alerts-output file)" },
	{ "alerts-json", "alerts.json", "BOOL", "alerts as Falco's JSON objects (default false)" },
	{ "docker-socket", "containers.docker_socket", "PATH",
	  "Docker's API, asked about containers (default /var/run/docker.sock; \"\" none)" },
	{ "podman-socket", "containers.podman_socket", "PATH",
	  "podman's API (default /run/podman/podman.sock; \"\" none)" },
	{ "containerd-socket", "containers.containerd_socket", "PATH",
	  "containerd's API (default /run/containerd/containerd.sock; \"\" none)" },
	{ "containerd-namespaces", "containers.containerd_namespaces", "LIST",
	  "containerd's namespaces asked, in order (default k8s.io,default)" },
	{ "packets", "packets.enabled", "BOOL", "the flight recorder keeps packets too (default false)" },
	{ "packets-snaplen", "packets.snaplen", "LEN", "bytes kept of each packet (default 65535)" },
	{ "packets-max-memory", "packets.max_memory", "SIZE",
	  "of recorder.max_memory, for packets (default 64MiB)" },
	{ "packets-interfaces", "packets.interfaces", "LIST",
	  "only these interfaces (NAME, NAME@NETNS, NAME@PID)" },
	{ "packets-filter", "packets.filter", "EXPR", "only packets tcpdump's filter passes" },
	{ "artifacts-write", "artifacts.write", "PREFIXES",
	  "the flight recorder keeps the files written under these paths (comma-separated; / all)" },
	{ "artifacts-exec", "artifacts.exec", "BOOL", "and each binary run (default false)" },
	{ "artifacts-mem", "artifacts.mem", "BOOL", "and memory made executable after being writable" },
	{ "artifacts-module", "artifacts.module", "BOOL", "and kernel modules loaded (default false)" },
	{ "artifacts-max-memory", "artifacts.max_memory", "SIZE",
	  "of recorder.max_memory, for artifacts (default 64MiB)" },
	{ "pcapdump", "pcapdump.enabled", "BOOL",
	  "record packets continuously into DATA/pcapdump (default false)" },
	{ "pcapdump-max-size", "pcapdump.maxSize", "SIZE", "bytes of pcapdump files at most (default 50MB)" },
	{ "pcapdump-max-time", "pcapdump.maxTime", "DURATION",
	  "age of the packets kept at most (default 1h)" },
	{ "pcapdump-regex", "pcapdump.regex", "RE", "only containers whose name or pod name matches" },
	{ "pcapdump-namespaces", "pcapdump.namespaces", "LIST", "only pods of these namespaces" },
	{ "pcapdump-excluded-namespaces", "pcapdump.excludedNamespaces", "LIST", "never pods of these" },
	{ "pcapdump-bpf", "pcapdump.bpfOverride", "EXPR", "tcpdump's filter, replacing the three above" },
};

static void agent_usage(FILE *f)
{
	fprintf(f, "usage: sysrec agent [--config FILE] [options]\n\n"
	           "  -c, --config FILE                    YAML configuration (default " AGENT_CONFIG_PATH
	           " when present)\n");
	for (size_t i = 0; i < ARRAY_SIZE(flags); i++) {
		char left[64];

		snprintf(left, sizeof(left), "--%s %s", flags[i].flag, flags[i].arg);
		fprintf(f, "      %-32s %s\n", left, flags[i].help);
	}
	fprintf(f,
	        "      --print-config                   print the configuration in effect as YAML and exit\n"
	        "\nThe API is described in docs/api.md; `sysrec capture` is its client.\n");
}

int cmd_agent(int argc, char **argv)
{
	struct option longs[ARRAY_SIZE(flags) + 4];
	struct agent_config cfg;
	struct err e = { { 0 } };
	const char *config = NULL;
	bool print = false;
	size_t n = 0;
	int c, rc;

	for (; n < ARRAY_SIZE(flags); n++)
		longs[n] = (struct option){ flags[n].flag, required_argument, NULL, 1000 + (int)n };
	longs[n++] = (struct option){ "config", required_argument, NULL, 'c' };
	longs[n++] = (struct option){ "print-config", no_argument, NULL, 'P' };
	longs[n++] = (struct option){ "help", no_argument, NULL, 'h' };
	longs[n] = (struct option){ NULL, 0, NULL, 0 };
	agent_config_defaults(&cfg);
	/* the file first, then the flags over it */
	optind = 1;
	while ((c = getopt_long(argc, argv, "c:h", longs, NULL)) != -1) {
		if (c == 'c')
			config = optarg;
		else if (c == 'h') {
			agent_usage(stdout);
			agent_config_release(&cfg);
			return 0;
		} else if (c == '?') {
			agent_usage(stderr);
			agent_config_release(&cfg);
			return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "sysrec agent: unexpected argument '%s'\n", argv[optind]);
		agent_config_release(&cfg);
		return 2;
	}
	if (!config && access(AGENT_CONFIG_PATH, F_OK) == 0)
		config = AGENT_CONFIG_PATH;
	if (config && agent_config_load(&cfg, config, &e) != 0) {
		fprintf(stderr, "sysrec agent: %s\n", e.msg);
		agent_config_release(&cfg);
		return 2;
	}
	optind = 1;
	while ((c = getopt_long(argc, argv, "c:h", longs, NULL)) != -1) {
		if (c == 'P')
			print = true;
		if (c < 1000)
			continue;
		if (agent_config_set(&cfg, flags[c - 1000].key, optarg, &e) != 0) {
			fprintf(stderr, "sysrec agent: --%s: %s\n", flags[c - 1000].flag, e.msg);
			agent_config_release(&cfg);
			return 2;
		}
	}
	if (agent_config_check(&cfg, &e) != 0) {
		fprintf(stderr, "sysrec agent: %s\n", e.msg);
		agent_config_release(&cfg);
		return 2;
	}
	if (print) {
		char *text = agent_config_dump(&cfg);

		fputs(text, stdout);
		free(text);
		agent_config_release(&cfg);
		return 0;
	}
	rc = agent_run(&cfg, &e);
	if (rc)
		fprintf(stderr, "sysrec agent: %s\n", e.msg);
	agent_config_release(&cfg);
	return rc ? 1 : 0;
}
