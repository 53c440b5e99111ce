/* test_agent_config: the agent's YAML configuration, its flags, checks and dump (src/agent/config*.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "../../src/agent/config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MiB (1ull << 20)
#define GiB (1ull << 30)

/* Messages name this file, as the brief's examples do; nothing is read from it. */
#define NAME "/etc/sysrec.yaml"

static int load_text(struct agent_config *c, const char *text, struct err *e)
{
	return agent_config_load_buffer(c, NAME, text, strlen(text), e);
}

/* Load text over the defaults and expect the error msg. */
static void expect_load_error(const char *text, const char *msg)
{
	struct agent_config c;
	struct err e = { { 0 } };

	agent_config_defaults(&c);
	assert_int_equal(load_text(&c, text, &e), -EINVAL);
	assert_string_equal(e.msg, msg);
	agent_config_release(&c);
}

/* Set key to value on the defaults and expect the error msg. */
static void expect_set_error(const char *key, const char *value, const char *msg)
{
	struct agent_config c;
	struct err e = { { 0 } };

	agent_config_defaults(&c);
	assert_int_equal(agent_config_set(&c, key, value, &e), -EINVAL);
	assert_string_equal(e.msg, msg);
	agent_config_release(&c);
}

static void assert_str_or_null_equal(const char *a, const char *b)
{
	if (!a || !b)
		assert_ptr_equal(a, b);
	else
		assert_string_equal(a, b);
}

static void assert_config_equal(const struct agent_config *a, const struct agent_config *b)
{
	assert_str_or_null_equal(a->data_dir, b->data_dir);
	assert_str_or_null_equal(a->listen, b->listen);
	assert_str_or_null_equal(a->tls_cert, b->tls_cert);
	assert_str_or_null_equal(a->tls_key, b->tls_key);
	assert_str_or_null_equal(a->host_name, b->host_name);
	assert_int_equal(a->http_max_connections, b->http_max_connections);
	assert_int_equal(a->http_max_per_ip, b->http_max_per_ip);
	assert_int_equal(a->http_header_timeout, b->http_header_timeout);
	assert_int_equal(a->max_memory, b->max_memory);
	assert_int_equal(a->seconds, b->seconds);
	assert_int_equal(a->ring_mb, b->ring_mb);
	assert_int_equal(a->snaplen, b->snaplen);
	assert_int_equal(a->captures_enabled, b->captures_enabled);
	assert_int_equal(a->max_outstanding, b->max_outstanding);
	assert_int_equal(a->retention_days, b->retention_days);
	assert_int_equal(a->nrules_files, b->nrules_files);
	for (size_t i = 0; i < a->nrules_files; i++)
		assert_string_equal(a->rules_files[i], b->rules_files[i]);
	assert_int_equal(a->alerts_output, b->alerts_output);
	assert_str_or_null_equal(a->alerts_file, b->alerts_file);
	assert_int_equal(a->alerts_json, b->alerts_json);
	assert_str_or_null_equal(a->docker_socket, b->docker_socket);
	assert_str_or_null_equal(a->podman_socket, b->podman_socket);
	assert_str_or_null_equal(a->containerd_socket, b->containerd_socket);
	assert_str_or_null_equal(a->containerd_namespaces, b->containerd_namespaces);
	assert_str_or_null_equal(a->artifacts_write, b->artifacts_write);
	assert_int_equal(a->artifacts_exec, b->artifacts_exec);
	assert_int_equal(a->artifacts_mem, b->artifacts_mem);
	assert_int_equal(a->artifacts_module, b->artifacts_module);
	assert_int_equal(a->artifacts_memory, b->artifacts_memory);
}

static void assert_defaults(const struct agent_config *c)
{
	assert_string_equal(c->data_dir, "/var/lib/sysrec");
	assert_string_equal(c->listen, "127.0.0.1:7070");
	assert_null(c->tls_cert);
	assert_null(c->tls_key);
	assert_null(c->host_name);
	assert_int_equal(c->http_max_connections, 256);
	assert_int_equal(c->http_max_per_ip, 64);
	assert_int_equal(c->http_header_timeout, 10);
	assert_int_equal(c->max_memory, 256 * MiB);
	assert_int_equal(c->seconds, 30);
	assert_int_equal(c->ring_mb, 16);
	assert_int_equal(c->snaplen, 80);
	assert_true(c->captures_enabled);
	assert_int_equal(c->max_outstanding, 1);
	assert_int_equal(c->retention_days, 90);
	assert_int_equal(c->nrules_files, 0);
	assert_null(c->rules_files);
	assert_int_equal(c->alerts_output, AGENT_ALERTS_STDOUT);
	assert_null(c->alerts_file);
	assert_false(c->alerts_json);
	assert_string_equal(c->docker_socket, "/var/run/docker.sock");
	assert_string_equal(c->podman_socket, "/run/podman/podman.sock");
	assert_string_equal(c->containerd_socket, "/run/containerd/containerd.sock");
	assert_string_equal(c->containerd_namespaces, "k8s.io,default");
	assert_null(c->artifacts_write);
	assert_false(c->artifacts_exec);
	assert_false(c->artifacts_mem);
	assert_false(c->artifacts_module);
	assert_int_equal(c->artifacts_memory, 64 * MiB);
	assert_false(agent_config_artifacts(c));
}

static void test_defaults(void **state)
{
	struct agent_config c;
	struct err e = { { 0 } };

	(void)state;
	agent_config_defaults(&c);
	assert_defaults(&c);
	assert_int_equal(agent_config_check(&c, &e), 0);
	agent_config_release(&c);
	assert_null(c.data_dir); /* released: zeroed */
}

/* etc/sysrec.yaml, the sample shipped, loads and states the defaults. */
static void test_sample_file_loads(void **state)
{
	struct agent_config c;
	struct err e = { { 0 } };
	char path[4096];

	(void)state;
	snprintf(path, sizeof(path), "%s/etc/sysrec.yaml", env_or("SYSREC_SRCDIR", "."));
	agent_config_defaults(&c);
	if (agent_config_load(&c, path, &e))
		fail_msg("%s", e.msg);
	assert_defaults(&c);
	assert_int_equal(agent_config_check(&c, &e), 0);
	agent_config_release(&c);
}

static const char full_text[] =
        "# every key, none at its default\n"
        "data: /srv/sysrec\n"
        "listen: \"[::1]:8443\"\n"
        "tls:\n"
        "  cert: /etc/sysrec/agent.crt\n"
        "  key: /etc/sysrec/agent.key\n"
        "host: web-1\n"
        "http: {max_connections: 16, max_connections_per_ip: 4, header_timeout: 1m}\n"
        "recorder:\n"
        "  max_memory: 1 GiB\n"
        "  seconds: 2m\n"
        "  ring_mb: 64\n"
        "  snaplen: 0\n"
        "captures: {enabled: no, max_outstanding: 4, retention_days: 7}\n"
        "rules_files:\n"
        "  - /etc/sysrec/rules.d/a.yaml\n"
        "  - 'b c.yaml'\n"
        "alerts:\n"
        "  output: file\n"
        "  file: /var/log/sysrec/alerts.log\n"
        "  json: true\n"
        "containers:\n"
        "  docker_socket: /run/docker-2.sock\n"
        "  podman_socket: null\n"
        "  containerd_socket: /run/ctd.sock\n"
        "  containerd_namespaces: k8s.io,moby\n"
        "packets: {enabled: true, snaplen: 128, max_memory: 32MiB, interfaces: 'lo,eth0@ns1', "
        "filter: udp}\n"
        "artifacts:\n"
        "  write: /tmp,/home/\n"
        "  exec: yes\n"
        "  mem: on\n"
        "  module: true\n"
        "  max_memory: 128 MiB\n"
        "pcapdump:\n"
        "  enabled: true\n"
        "  maxTime: 2h\n"
        "  maxSize: 500MB\n"
        "  regex: '^(web|api)-[0-9]+$'\n"
        "  namespaces: prod,shop\n"
        "  excludedNamespaces: kube-system\n"
        "  bpfOverride: tcp port 443\n";

static void assert_full(const struct agent_config *c)
{
	assert_string_equal(c->data_dir, "/srv/sysrec");
	assert_string_equal(c->listen, "[::1]:8443");
	assert_string_equal(c->tls_cert, "/etc/sysrec/agent.crt");
	assert_string_equal(c->tls_key, "/etc/sysrec/agent.key");
	assert_string_equal(c->host_name, "web-1");
	assert_int_equal(c->http_max_connections, 16);
	assert_int_equal(c->http_max_per_ip, 4);
	assert_int_equal(c->http_header_timeout, 60);
	assert_int_equal(c->max_memory, GiB);
	assert_int_equal(c->seconds, 120);
	assert_int_equal(c->ring_mb, 64);
	assert_int_equal(c->snaplen, 0);
	assert_false(c->captures_enabled);
	assert_int_equal(c->max_outstanding, 4);
	assert_int_equal(c->retention_days, 7);
	assert_int_equal(c->nrules_files, 2);
	assert_string_equal(c->rules_files[0], "/etc/sysrec/rules.d/a.yaml");
	assert_string_equal(c->rules_files[1], "b c.yaml");
	assert_int_equal(c->alerts_output, AGENT_ALERTS_FILE);
	assert_string_equal(c->alerts_file, "/var/log/sysrec/alerts.log");
	assert_true(c->alerts_json);
	assert_string_equal(c->docker_socket, "/run/docker-2.sock");
	assert_null(c->podman_socket);
	assert_string_equal(c->containerd_socket, "/run/ctd.sock");
	assert_string_equal(c->containerd_namespaces, "k8s.io,moby");
	assert_true(c->packets_enabled);
	assert_int_equal(c->packets_snaplen, 128);
	assert_int_equal(c->packets_memory, 32 * MiB);
	assert_string_equal(c->packets_ifaces, "lo,eth0@ns1");
	assert_string_equal(c->packets_filter, "udp");
	assert_string_equal(c->artifacts_write, "/tmp,/home/");
	assert_true(c->artifacts_exec);
	assert_true(c->artifacts_mem);
	assert_true(c->artifacts_module);
	assert_int_equal(c->artifacts_memory, 128 * MiB);
	assert_true(agent_config_artifacts(c));
	assert_true(c->pcapdump.enabled);
	assert_int_equal(c->pcapdump.max_time, 7200);
	assert_int_equal(c->pcapdump.max_size, 500000000);
	assert_string_equal(c->pcapdump.regex, "^(web|api)-[0-9]+$");
	assert_string_equal(c->pcapdump.namespaces, "prod,shop");
	assert_string_equal(c->pcapdump.excluded, "kube-system");
	assert_string_equal(c->pcapdump.bpf, "tcp port 443");
}

/* A file on disk through agent_config_load(), every key set. */
static void test_full_file(void **state)
{
	char path[] = "/tmp/test_agent_config-XXXXXX";
	struct agent_config c;
	struct err e = { { 0 } };
	int fd = mkstemp(path);

	(void)state;
	assert_true(fd >= 0);
	assert_int_equal(write(fd, full_text, strlen(full_text)), (ssize_t)strlen(full_text));
	close(fd);
	agent_config_defaults(&c);
	if (agent_config_load(&c, path, &e))
		fail_msg("%s", e.msg);
	unlink(path);
	assert_full(&c);
	assert_int_equal(agent_config_check(&c, &e), 0);
	agent_config_release(&c);
}

static void test_missing_file(void **state)
{
	struct agent_config c;
	struct err e = { { 0 } };

	(void)state;
	agent_config_defaults(&c);
	assert_int_equal(agent_config_load(&c, "/nonexistent/sysrec.yaml", &e), -ENOENT);
	assert_string_equal(e.msg, "/nonexistent/sysrec.yaml: No such file or directory");
	assert_int_equal(agent_config_load(&c, "/", &e), -EISDIR);
	assert_defaults(&c);
	agent_config_release(&c);
}

/* Empty files, comments only, an empty document, empty sections: all the defaults. */
static void test_empty_inputs(void **state)
{
	static const char *const texts[] = { "",           "# nothing\n", "---\n",
		                             "---\n...\n", "~\n",         "tls:\nrecorder:\ncaptures: {}\n" };
	(void)state;
	for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
		struct agent_config c;
		struct err e = { { 0 } };

		agent_config_defaults(&c);
		if (load_text(&c, texts[i], &e))
			fail_msg("'%s': %s", texts[i], e.msg);
		assert_defaults(&c);
		agent_config_release(&c);
	}
}

/* Keys a file names replace; others stay; an explicit null clears; an error changes nothing. */
static void test_load_over_current_values(void **state)
{
	struct agent_config c;
	struct err e = { { 0 } };

	(void)state;
	agent_config_defaults(&c);
	assert_int_equal(load_text(&c, full_text, &e), 0);
	assert_int_equal(load_text(&c, "recorder: {snaplen: 100}\nrules_files: [/x]\nhost: ~\n", &e), 0);
	assert_int_equal(c.snaplen, 100);
	assert_int_equal(c.max_memory, GiB);
	assert_null(c.host_name);
	assert_int_equal(c.nrules_files, 1);
	assert_string_equal(c.rules_files[0], "/x");
	assert_int_equal(load_text(&c, "tls: {cert: null, key: ''}\nrules_files:\n", &e), 0);
	assert_null(c.tls_cert);
	assert_null(c.tls_key);
	assert_int_equal(c.nrules_files, 0);

	/* a good key before a bad one is not applied either */
	assert_int_equal(load_text(&c, "data: /elsewhere\nrecorder: {seconds: 0}\n", &e), -EINVAL);
	assert_string_equal(c.data_dir, "/srv/sysrec");
	assert_int_equal(c.seconds, 120);
	agent_config_release(&c);
}

/* The two messages of the brief, to the byte, with their line:column. */
static void test_error_messages_of_the_brief(void **state)
{
	(void)state;
	expect_load_error(
	        "# sysrec\n"
	        "data: /var/lib/sysrec\n"
	        "recordr:\n"
	        "  seconds: 30\n",
	        NAME ":3:1: unknown key 'recordr' (expected one of: data, listen, tls, host, http, recorder, "
	             "captures, rules_files, alerts, containers, packets, artifacts, pcapdump)");
	expect_load_error("# sysrec\n"
	                  "data: /var/lib/sysrec\n"
	                  "listen: 127.0.0.1:7070\n"
	                  "host: web-1\n"
	                  "recorder:\n"
	                  "  seconds: 30\n"
	                  "  max_memory: 12 potatoes\n",
	                  NAME
	                  ":7:3: recorder.max_memory: '12 potatoes' is not a size (a number with an optional "
	                  "KiB, MiB, GiB, K, M, G, KB, MB, GB suffix)");
}

static void test_error_messages_yaml_syntax(void **state)
{
	(void)state;
	expect_load_error(
	        "recorder:\n  seconds: 5\n snaplen: 3\n",
	        NAME ":3:2: did not find expected key (while parsing a block mapping at line 1, column 1)");
	expect_load_error("tls:\n  cert: /c\n\tkey: /k\n", NAME
	                  ":3:1: found a tab character that violates indentation (while scanning a plain "
	                  "scalar at line 2, column 9)");
	expect_load_error("data: \"/var/lib\n", NAME
	                  ":2:1: found unexpected end of stream (while scanning a quoted scalar at line 1, "
	                  "column 7)");
	expect_load_error("data: /a\xff\n", NAME ":1:9: invalid leading UTF-8 octet (#FF)");
	expect_load_error("host: a\x01\n", NAME ":1:8: control characters are not allowed (#1)");
}

static void test_error_messages_structure(void **state)
{
	(void)state;
	expect_load_error("recorder:\n  seconds: 5\n  sconds: 5\n",
	                  NAME ":3:3: recorder: unknown key 'sconds' (expected one of: max_memory, seconds, "
	                       "ring_mb, snaplen)");
	expect_load_error("captures:\n  enabled: true\n  enabled: false\n",
	                  NAME ":3:3: duplicate key 'captures.enabled' (first at line 2)");
	expect_load_error("data: /a\nhost: b\ndata: /c\n",
	                  NAME ":3:1: duplicate key 'data' (first at line 1)");
	expect_load_error("host:\n  name: web-1\n",
	                  NAME ":1:1: host: expected a single value, found a mapping");
	expect_load_error("data: [/a, /b]\n", NAME ":1:1: data: expected a single value, found a list");
	expect_load_error("recorder: 30\n", NAME ":1:1: recorder: expected a mapping of max_memory, seconds, "
	                                         "ring_mb, snaplen, found '30'");
	expect_load_error("tls: [a]\n", NAME ":1:1: tls: expected a mapping of cert, key, found a list");
	expect_load_error("rules_files: /etc/r.yaml\n",
	                  NAME ":1:1: rules_files: expected a list of paths, found '/etc/r.yaml'");
	expect_load_error("rules_files:\n  - /a\n  - [b]\n",
	                  NAME ":3:5: rules_files[1]: expected a path, found a list");
	expect_load_error("rules_files: [/a, '']\n", NAME ":1:19: rules_files[1]: must not be empty");
	expect_load_error("- data\n", NAME
	                  ":1:1: expected a mapping of data, listen, tls, host, http, recorder, captures, "
	                  "rules_files, alerts, containers, packets, artifacts, pcapdump, found a list");
	expect_load_error("just words\n",
	                  NAME ":1:1: expected a mapping of data, listen, tls, host, http, recorder, "
	                       "captures, rules_files, alerts, containers, packets, artifacts, pcapdump, "
	                       "found 'just words'");
	expect_load_error(
	        "? [data]\n: /a\n", NAME
	        ":1:3: keys must be words (data, listen, tls, host, http, recorder, "
	        "captures, rules_files, alerts, containers, packets, artifacts, pcapdump), found a list");
	expect_load_error("data: /a\n---\ndata: /b\n",
	                  NAME ":2:1: a second YAML document: the configuration is one document");
	expect_load_error("data: &d /a\nrules_files: [*d]\n",
	                  NAME ":2:15: aliases (*d) are not supported here: write the value out");
	expect_load_error("data: \"/a\\0b\"\n", NAME ":1:1: data: contains a NUL byte");
	expect_load_error("data: ''\n", NAME ":1:1: data: must not be empty");
	expect_load_error("listen: localhost\n", NAME
	                  ":1:1: listen: 'localhost' is not HOST:PORT (like 127.0.0.1:7070 or [::1]:7070)");
	expect_load_error("listen: \"::1:7070\"\n", NAME
	                  ":1:1: listen: '::1:7070' is not HOST:PORT (like 127.0.0.1:7070 or [::1]:7070)");
	expect_load_error("host: a/b\n", NAME
	                  ":1:1: host: 'a/b' is not a host name (1 to 64 bytes, no spaces, '/' or control "
	                  "characters)");
	/* long values are cut in messages */
	expect_load_error(
	        "recorder: {snaplen: "
	        "1234567890123456789012345678901234567890123456789012345678901234567890}\n",
	        NAME
	        ":1:12: recorder.snaplen: '123456789012345678901234567890123456789012345678901234567890..."
	        "' is out of range (from 0 to 65535)");
}

/* Sizes: units any case, optional space, edges, overflow. */
/* pcapdump's settings: each bad value refused naming its key, as the API reports it too. */
static void test_pcapdump_values(void **state)
{
	static const char *const bad[][3] = {
		{ "pcapdump.maxSize", "50XB", "pcapdump.maxSize: '50XB' is not a size" },
		{ "pcapdump.maxSize", "0", "pcapdump.maxSize: '0' is out of range" },
		{ "pcapdump.maxTime", "-1h", "pcapdump.maxTime: '-1h' is not a duration" },
		{ "pcapdump.maxTime", "31d", "pcapdump.maxTime: '31d' is not a duration" },
		{ "pcapdump.maxTime", "0", "pcapdump.maxTime: '0' is out of range" },
		{ "pcapdump.regex", "web-(", "pcapdump.regex: 'web-(' is not a regular expression: " },
		/* what glibc's regcomp would take gigabytes to build: refused before it is asked */
		{ "pcapdump.regex", "x++++++++++++++++++++++++++++++++++++++++",
		  "pcapdump.regex: 'x++++++++++++++++++++++++++++++++++++++++' repeats or nests too much" },
		{ "pcapdump.regex", "((a{99}){99}){99}",
		  "pcapdump.regex: '((a{99}){99}){99}' repeats or nests too much" },
		{ "pcapdump.regex", "(x{2,}){65535}",
		  "pcapdump.regex: '(x{2,}){65535}' repeats or nests too much" },
		{ "pcapdump.bpfOverride", "tcp prt 80",
		  "pcapdump.bpfOverride: not a filter in tcpdump's language: 'tcp prt 80': " },
		{ "pcapdump.namespaces", "prod,Shop", "pcapdump.namespaces: 'Shop' is not a namespace name" },
		{ "pcapdump.excludedNamespaces", "a,,b",
		  "pcapdump.excludedNamespaces: '' is not a namespace" },
		{ "pcapdump.enabled", "maybe", "pcapdump.enabled: 'maybe' is not a boolean" },
		{ "packets.interfaces", "lo,", "packets.interfaces: '' is not an interface" },
		{ "packets.interfaces", "averyveryverylongname",
		  "packets.interfaces: 'averyveryverylongname' is not an" },
		{ "packets.interfaces", "eth0@", "packets.interfaces: 'eth0@' is not an interface" },
		{ "packets.filter", "udp prt 1", "packets.filter: not a filter in tcpdump's language" },
		{ "packets.snaplen", "63", "packets.snaplen: '63' is out of range" },
	};
	struct agent_config c;
	struct err e = { { 0 } };

	(void)state;
	agent_config_defaults(&c);
	assert_false(c.pcapdump.enabled);
	assert_int_equal(c.pcapdump.max_time, 3600);
	assert_int_equal(c.pcapdump.max_size, 50000000);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(agent_config_set(&c, bad[i][0], bad[i][1], &e), -EINVAL);
		if (strncmp(e.msg, bad[i][2], strlen(bad[i][2])) != 0)
			fail_msg("%s=%s: '%s', want '%s...'", bad[i][0], bad[i][1], e.msg, bad[i][2]);
	}
	/* nothing changed by the refusals; empty clears */
	assert_int_equal(c.pcapdump.max_size, 50000000);
	/* repetitions a name pattern needs are fine: 99 x 99 copies, brackets, classes, alternatives */
	for (const char *const *re =
	             (const char *const[]){ "(a{99}){99}", "^web-[0-9]+$", "[[:alpha:]]+[]x]{2,}",
	                                    "db|web|(api-)+v[0-9]?", "x{1000}", NULL };
	     *re; re++)
		if (agent_config_set(&c, "pcapdump.regex", *re, &e))
			fail_msg("%s: %s", *re, e.msg);
	assert_int_equal(agent_config_set(&c, "pcapdump.regex", "^web", &e), 0);
	assert_string_equal(c.pcapdump.regex, "^web");
	assert_int_equal(agent_config_set(&c, "pcapdump.regex", "", &e), 0);
	assert_null(c.pcapdump.regex);
	agent_config_release(&c);
}

static void test_sizes(void **state)
{
	static const struct {
		const char *text;
		uint64_t bytes;
	} good[] = {
		{ "16777216", 16 * MiB },
		{ "16MiB", 16 * MiB },
		{ "16 MiB", 16 * MiB },
		{ "16m", 16 * MiB },
		{ "16384K", 16 * MiB },
		{ "16384kib", 16 * MiB },
		{ "1G", GiB },
		{ "1 gib", GiB },
		{ "64GiB", 64 * GiB },
		{ "68719476736", 64 * GiB },
		{ "0016M", 16 * MiB },
		{ "20MB", 20000000 }, /* Kubeshark's: powers of 1000 */
		{ "1GB", 1000000000 },
		{ "20000kb", 20000000 },
	};
	static const char *const out_of_range[] = {
		"16777215",
		"15M",
		"0",
		"65G",
		"68719476737",
		"99999999999999999999G",
		"18446744073709551615",
		"18446744073709551616",
		"17179869184G",
		"16MB", /* 16,000,000: under 16 MiB */
	};
	static const char *const not_sizes[] = { "",      "-1",      "1.5G",   "G",     "1 ",
		                                 "16XB",  "16 M iB", "16MiBs", "0x10M", "+16M",
		                                 "16\tM", "sixteen", "16_M" };
	char msg[512];

	(void)state;
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		struct agent_config c;
		struct err e = { { 0 } };

		agent_config_defaults(&c);
		if (agent_config_set(&c, "recorder.max_memory", good[i].text, &e))
			fail_msg("%s: %s", good[i].text, e.msg);
		assert_int_equal(c.max_memory, good[i].bytes);
		agent_config_release(&c);
	}
	for (size_t i = 0; i < sizeof(out_of_range) / sizeof(out_of_range[0]); i++) {
		snprintf(msg, sizeof(msg),
		         "recorder.max_memory: '%s' is out of range (from 16 MiB to 64 GiB)",
		         out_of_range[i]);
		expect_set_error("recorder.max_memory", out_of_range[i], msg);
	}
	for (size_t i = 0; i < sizeof(not_sizes) / sizeof(not_sizes[0]); i++) {
		snprintf(msg, sizeof(msg),
		         "recorder.max_memory: '%s' is not a size (a number with an optional KiB, MiB, GiB, "
		         "K, M, G, KB, MB, GB "
		         "suffix)",
		         strcmp(not_sizes[i], "16\tM") ? not_sizes[i] : "16?M");
		expect_set_error("recorder.max_memory", not_sizes[i], msg);
	}
}

static void test_durations(void **state)
{
	static const struct {
		const char *text;
		uint32_t seconds;
	} good[] = { { "1", 1 },   { "30", 30 },    { "30s", 30 },  { "30 s", 30 },   { "1m", 60 },
		     { "1M", 60 }, { "60m", 3600 }, { "1h", 3600 }, { "3600", 3600 }, { "3600S", 3600 } };
	static const char *const out_of_range[] = {
		"0", "0s", "3601", "61m", "2h", "99999999999999999999h", "307445734561825861h"
	};
	static const char *const not_durations[] = { "",  "-1",  "1d",    "1.5m", "1ms",
		                                     "m", "30 ", "1h30m", "PT30S" };
	char msg[512];

	(void)state;
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		struct agent_config c;
		struct err e = { { 0 } };

		agent_config_defaults(&c);
		if (agent_config_set(&c, "recorder.seconds", good[i].text, &e))
			fail_msg("%s: %s", good[i].text, e.msg);
		assert_int_equal(c.seconds, good[i].seconds);
		agent_config_release(&c);
	}
	for (size_t i = 0; i < sizeof(out_of_range) / sizeof(out_of_range[0]); i++) {
		snprintf(msg, sizeof(msg), "recorder.seconds: '%s' is out of range (from 1 to 3600 seconds)",
		         out_of_range[i]);
		expect_set_error("recorder.seconds", out_of_range[i], msg);
	}
	for (size_t i = 0; i < sizeof(not_durations) / sizeof(not_durations[0]); i++) {
		snprintf(msg, sizeof(msg),
		         "recorder.seconds: '%s' is not a duration (seconds, or a number with an s, m or h "
		         "suffix)",
		         not_durations[i]);
		expect_set_error("recorder.seconds", not_durations[i], msg);
	}
}

static void test_booleans(void **state)
{
	static const struct {
		const char *text;
		bool value;
	} good[] = { { "true", true }, { "false", false }, { "yes", true }, { "no", false }, { "on", true },
		     { "off", false }, { "TRUE", true },   { "No", false }, { "oFf", false } };
	static const char *const bad[] = { "", "1", "0", "y", "n", "truee", "enabled", "t" };
	char msg[512];

	(void)state;
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		struct agent_config c;
		struct err e = { { 0 } };

		agent_config_defaults(&c);
		c.captures_enabled = !good[i].value;
		if (agent_config_set(&c, "captures.enabled", good[i].text, &e))
			fail_msg("%s: %s", good[i].text, e.msg);
		assert_int_equal(c.captures_enabled, good[i].value);
		agent_config_release(&c);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(msg, sizeof(msg),
		         "captures.enabled: '%s' is not a boolean (true, false, yes, no, on or off)", bad[i]);
		expect_set_error("captures.enabled", bad[i], msg);
	}
	/* in a file as well, and a quoted boolean is still one */
	{
		struct agent_config c;
		struct err e = { { 0 } };

		agent_config_defaults(&c);
		assert_int_equal(load_text(&c, "captures: {enabled: 'off'}\n", &e), 0);
		assert_false(c.captures_enabled);
		agent_config_release(&c);
	}
}

/* Whole numbers: strict digits, the range in every message. */
static void test_integers(void **state)
{
	struct agent_config c;
	struct err e = { { 0 } };

	(void)state;
	agent_config_defaults(&c);
	assert_int_equal(agent_config_set(&c, "recorder.snaplen", "0", &e), 0);
	assert_int_equal(c.snaplen, 0);
	assert_int_equal(agent_config_set(&c, "recorder.snaplen", "65535", &e), 0);
	assert_int_equal(c.snaplen, 65535);
	assert_int_equal(agent_config_set(&c, "captures.max_outstanding", "64", &e), 0);
	assert_int_equal(c.max_outstanding, 64);
	assert_int_equal(agent_config_set(&c, "captures.retention_days", "36500", &e), 0);
	assert_int_equal(c.retention_days, 36500);
	assert_int_equal(agent_config_set(&c, "recorder.ring_mb", "1", &e), 0);
	assert_int_equal(c.ring_mb, 1);
	assert_int_equal(agent_config_set(&c, "recorder.ring_mb", "1024", &e), 0);
	assert_int_equal(c.ring_mb, 1024);
	agent_config_release(&c);

	expect_set_error("recorder.snaplen", "65536",
	                 "recorder.snaplen: '65536' is out of range (from 0 to 65535)");
	expect_set_error("recorder.snaplen", "99999999999999999999",
	                 "recorder.snaplen: '99999999999999999999' is out of range (from 0 to 65535)");
	expect_set_error("recorder.snaplen", "-1",
	                 "recorder.snaplen: '-1' is not a whole number (from 0 to 65535)");
	expect_set_error("recorder.snaplen", "80b",
	                 "recorder.snaplen: '80b' is not a whole number (from 0 to 65535)");
	expect_set_error("recorder.snaplen", "+80",
	                 "recorder.snaplen: '+80' is not a whole number (from 0 to 65535)");
	expect_set_error("recorder.snaplen", " 80",
	                 "recorder.snaplen: ' 80' is not a whole number (from 0 to 65535)");
	expect_set_error("recorder.snaplen", "",
	                 "recorder.snaplen: '' is not a whole number (from 0 to 65535)");
	expect_set_error("captures.max_outstanding", "0",
	                 "captures.max_outstanding: '0' is out of range (from 1 to 64)");
	expect_set_error("captures.max_outstanding", "65",
	                 "captures.max_outstanding: '65' is out of range (from 1 to 64)");
	expect_set_error("captures.retention_days", "0",
	                 "captures.retention_days: '0' is out of range (from 1 to 36500)");
	expect_set_error("captures.retention_days", "36501",
	                 "captures.retention_days: '36501' is out of range (from 1 to 36500)");
	expect_set_error("recorder.ring_mb", "0",
	                 "recorder.ring_mb: '0' is not a power of two from 1 to 1024");
	expect_set_error("recorder.ring_mb", "3",
	                 "recorder.ring_mb: '3' is not a power of two from 1 to 1024");
	expect_set_error("recorder.ring_mb", "2048",
	                 "recorder.ring_mb: '2048' is not a power of two from 1 to 1024");
	expect_set_error("recorder.ring_mb", "16M",
	                 "recorder.ring_mb: '16M' is not a power of two from 1 to 1024");
	expect_set_error("http.max_connections", "0",
	                 "http.max_connections: '0' is out of range (from 1 to 1024)");
	expect_set_error("http.max_connections_per_ip", "1025",
	                 "http.max_connections_per_ip: '1025' is out of range (from 1 to 1024)");
	expect_set_error("http.header_timeout", "0",
	                 "http.header_timeout: '0' is out of range (from 1 to 300 seconds)");
	expect_set_error("http.header_timeout", "6m",
	                 "http.header_timeout: '6m' is out of range (from 1 to 300 seconds)");
	/* and the same messages from a file, at the key */
	expect_load_error("captures:\n  max_outstanding: 100\n",
	                  NAME ":2:3: captures.max_outstanding: '100' is out of range (from 1 to 64)");
}

/* agent_config_set() for every key, and its own errors. */
static void test_set_every_key(void **state)
{
	struct agent_config c;
	struct err e = { { 0 } };
	static const char *const kv[][2] = {
		{ "data", "/srv/sysrec" },
		{ "listen", "[::1]:8443" },
		{ "tls.cert", "/etc/sysrec/agent.crt" },
		{ "tls.key", "/etc/sysrec/agent.key" },
		{ "host", "web-1" },
		{ "http.max_connections", "16" },
		{ "http.max_connections_per_ip", "4" },
		{ "http.header_timeout", "60" },
		{ "recorder.max_memory", "1GiB" },
		{ "recorder.seconds", "2m" },
		{ "recorder.ring_mb", "64" },
		{ "recorder.snaplen", "0" },
		{ "captures.enabled", "no" },
		{ "captures.max_outstanding", "4" },
		{ "captures.retention_days", "7" },
		{ "rules_files", "/etc/sysrec/rules.d/a.yaml" },
		{ "rules_files", "b c.yaml" },
		{ "alerts.output", "file" },
		{ "alerts.file", "/var/log/sysrec/alerts.log" },
		{ "alerts.json", "yes" },
		{ "containers.docker_socket", "/run/docker-2.sock" },
		{ "containers.podman_socket", "" },
		{ "containers.containerd_socket", "/run/ctd.sock" },
		{ "containers.containerd_namespaces", "k8s.io,moby" },
		{ "packets.enabled", "yes" },
		{ "packets.snaplen", "128" },
		{ "packets.max_memory", "32MiB" },
		{ "packets.interfaces", "lo,eth0@ns1" },
		{ "packets.filter", "udp" },
		{ "artifacts.write", "/tmp,/home/" },
		{ "artifacts.exec", "yes" },
		{ "artifacts.mem", "on" },
		{ "artifacts.module", "true" },
		{ "artifacts.max_memory", "128MiB" },
		{ "pcapdump.enabled", "true" },
		{ "pcapdump.maxTime", "2h" },
		{ "pcapdump.maxSize", "500MB" },
		{ "pcapdump.regex", "^(web|api)-[0-9]+$" },
		{ "pcapdump.namespaces", "prod,shop" },
		{ "pcapdump.excludedNamespaces", "kube-system" },
		{ "pcapdump.bpfOverride", "tcp port 443" },
	};

	(void)state;
	agent_config_defaults(&c);
	for (size_t i = 0; i < sizeof(kv) / sizeof(kv[0]); i++)
		if (agent_config_set(&c, kv[i][0], kv[i][1], &e))
			fail_msg("%s=%s: %s", kv[i][0], kv[i][1], e.msg);
	assert_full(&c);

	/* empty clears the optional strings and the list; "null" is a name when set by a flag */
	assert_int_equal(agent_config_set(&c, "tls.cert", "", &e), 0);
	assert_null(c.tls_cert);
	assert_int_equal(agent_config_set(&c, "host", "", &e), 0);
	assert_null(c.host_name);
	assert_int_equal(agent_config_set(&c, "host", "null", &e), 0);
	assert_string_equal(c.host_name, "null");
	assert_int_equal(agent_config_set(&c, "rules_files", "", &e), 0);
	assert_int_equal(c.nrules_files, 0);
	assert_null(c.rules_files);
	assert_int_equal(agent_config_set(&c, "listen", "0.0.0.0:0", &e), 0);
	assert_string_equal(c.listen, "0.0.0.0:0");
	agent_config_release(&c);

	expect_set_error(
	        "recorder.max_memory", "12 potatoes",
	        "recorder.max_memory: '12 potatoes' is not a size (a number with an optional KiB, MiB, GiB, "
	        "K, M, G, KB, MB, GB suffix)");
	expect_set_error(
	        "recordr.seconds", "30",
	        "unknown key 'recordr.seconds' (expected one of: data, listen, tls, host, http, recorder, "
	        "captures, rules_files, alerts, containers, packets, artifacts, pcapdump)");
	expect_set_error(
	        "recorder.second", "30",
	        "unknown key 'recorder.second' (expected one of: recorder.max_memory, recorder.seconds, "
	        "recorder.ring_mb, recorder.snaplen)");
	expect_set_error(
	        "recorder", "x",
	        "'recorder' is a section: set one of its keys (recorder.max_memory, recorder.seconds, "
	        "recorder.ring_mb, recorder.snaplen)");
	expect_set_error("data", "", "data: must not be empty");
	expect_set_error("containers.containerd_namespaces", "k8s.io,../x",
	                 "containers.containerd_namespaces: '../x' is not a containerd namespace (letters, "
	                 "digits, '.', '_', '-'; 76 at most)");
	expect_set_error("data", "/a\xff", "data: is not valid UTF-8");
	expect_set_error("tls.key", "\xc0\xaf", "tls.key: is not valid UTF-8");
	expect_set_error("listen", "127.0.0.1:65536",
	                 "listen: '127.0.0.1:65536' is not HOST:PORT (like 127.0.0.1:7070 or [::1]:7070)");
	expect_set_error("listen", "[]:80",
	                 "listen: '[]:80' is not HOST:PORT (like 127.0.0.1:7070 or [::1]:7070)");
	expect_set_error("host", "a b",
	                 "host: 'a b' is not a host name (1 to 64 bytes, no spaces, '/' or control "
	                 "characters)");
	expect_set_error("rules_files", "\xff", "rules_files: is not valid UTF-8");
	expect_set_error("data", NULL, "data: needs a value");
}

static void test_listen_split(void **state)
{
	char host[64];
	uint16_t port = 0;

	(void)state;
	assert_int_equal(agent_listen_split("127.0.0.1:7070", host, sizeof(host), &port), 0);
	assert_string_equal(host, "127.0.0.1");
	assert_int_equal(port, 7070);
	assert_int_equal(agent_listen_split("[fe80::1%eth0]:65535", host, sizeof(host), &port), 0);
	assert_string_equal(host, "fe80::1%eth0");
	assert_int_equal(port, 65535);
	assert_int_equal(agent_listen_split("localhost:0", host, sizeof(host), &port), 0);
	assert_string_equal(host, "localhost");
	assert_int_equal(port, 0);
	assert_int_equal(agent_listen_split("localhost", host, sizeof(host), &port), -EINVAL);
	assert_int_equal(agent_listen_split(":7070", host, sizeof(host), &port), -EINVAL);
	assert_int_equal(agent_listen_split("host:", host, sizeof(host), &port), -EINVAL);
	assert_int_equal(agent_listen_split("::1:7070", host, sizeof(host), &port), -EINVAL);
	assert_int_equal(agent_listen_split("[::1]7070", host, sizeof(host), &port), -EINVAL);
	assert_int_equal(agent_listen_split("[host]:7070", host, sizeof(host), &port), -EINVAL);
	assert_int_equal(agent_listen_split("h:007070", host, sizeof(host), &port), -EINVAL);
	assert_int_equal(agent_listen_split("h:-1", host, sizeof(host), &port), -EINVAL);
	assert_int_equal(
	        agent_listen_split("0123456789012345678901234567890123456789012345678901234567890123:1", host,
	                           sizeof(host), &port),
	        -EINVAL); /* longer than host[] */
}

static void test_check(void **state)
{
	struct agent_config c;
	struct err e = { { 0 } };

	(void)state;
	agent_config_defaults(&c);
	assert_int_equal(agent_config_set(&c, "tls.cert", "/c", &e), 0);
	assert_int_equal(agent_config_check(&c, &e), -EINVAL);
	assert_string_equal(e.msg, "tls.cert is set but tls.key is not: give both (HTTPS) or neither (HTTP)");
	assert_int_equal(agent_config_set(&c, "tls.key", "/k", &e), 0);
	assert_int_equal(agent_config_check(&c, &e), 0);
	assert_int_equal(agent_config_set(&c, "tls.cert", "", &e), 0);
	assert_int_equal(agent_config_check(&c, &e), -EINVAL);
	assert_string_equal(e.msg, "tls.key is set but tls.cert is not: give both (HTTPS) or neither (HTTP)");
	assert_int_equal(agent_config_set(&c, "tls.key", "", &e), 0);

	assert_int_equal(agent_config_set(&c, "recorder.max_memory", "16M", &e), 0);
	assert_int_equal(agent_config_check(&c, &e), 0); /* a ring as large as the memory is fine */
	assert_int_equal(agent_config_set(&c, "recorder.ring_mb", "32", &e), 0);
	assert_int_equal(agent_config_check(&c, &e), -EINVAL);
	assert_string_equal(e.msg, "recorder.ring_mb (32 MiB) is larger than recorder.max_memory (16 MiB)");
	agent_config_release(&c);
}

/* dump, then load over the defaults: the same configuration, whatever the strings hold. */
static void round_trip(const struct agent_config *c)
{
	struct agent_config back;
	struct err e = { { 0 } };
	char *text = agent_config_dump(c);

	agent_config_defaults(&back);
	if (load_text(&back, text, &e))
		fail_msg("%s\n%s", e.msg, text);
	assert_config_equal(c, &back);
	agent_config_release(&back);
	free(text);
}

static void test_dump_round_trip(void **state)
{
	struct agent_config c;
	struct err e = { { 0 } };
	char *text;

	(void)state;
	agent_config_defaults(&c);
	round_trip(&c);
	text = agent_config_dump(&c);
	assert_non_null(strstr(text, "\nrecorder:\n  max_memory: 256MiB\n  seconds: 30\n"));
	assert_non_null(strstr(text, "\nhost: null\n"));
	assert_non_null(strstr(text, "\nrules_files: []\n"));
	free(text);

	assert_int_equal(load_text(&c, full_text, &e), 0);
	round_trip(&c);

	/* strings YAML would read otherwise: quotes, escapes, breaks, controls, a BOM, "null", "true" */
	assert_int_equal(agent_config_set(&c, "data", "/a \"b\" \\c\td\ne: #f", &e), 0);
	assert_int_equal(agent_config_set(&c, "host", "null", &e), 0);
	assert_int_equal(agent_config_set(&c, "tls.cert", "true", &e), 0);
	assert_int_equal(agent_config_set(&c, "tls.key", "- ~", &e), 0);
	assert_int_equal(agent_config_set(&c, "rules_files",
	                                  "\xc2\x85nel \xe2\x80\xa8ls \xef\xbb\xbf bom \x7f\x01", &e),
	                 0);
	assert_int_equal(agent_config_set(&c, "rules_files", "caf\xc3\xa9 \xf0\x9f\x93\xbc '*x' &y !z", &e),
	                 0);
	assert_int_equal(agent_config_set(&c, "recorder.max_memory", "16777217", &e), 0);
	assert_int_equal(agent_config_set(&c, "recorder.snaplen", "65535", &e), 0);
	round_trip(&c);
	text = agent_config_dump(&c);
	assert_non_null(strstr(text, "\n  max_memory: 16777217\n"));
	assert_non_null(strstr(text, "\nhost: \"null\"\n"));
	free(text);
	agent_config_release(&c);
}

/* alerts.output, alerts.file, alerts.json: values, errors, the check across them, the dump. */
static void test_alerts(void **state)
{
	struct agent_config c;
	struct err e = { { 0 } };
	char *text;

	(void)state;
	agent_config_defaults(&c);
	assert_int_equal(load_text(&c, "alerts: {output: SysLog}\n", &e), 0);
	assert_int_equal(c.alerts_output, AGENT_ALERTS_SYSLOG);
	assert_false(c.alerts_json);
	assert_int_equal(agent_config_check(&c, &e), 0);
	round_trip(&c);

	/* a file output needs the file; a file with another output is kept, unused */
	assert_int_equal(agent_config_set(&c, "alerts.output", "file", &e), 0);
	assert_int_equal(agent_config_check(&c, &e), -EINVAL);
	assert_string_equal(e.msg, "alerts.output is file but alerts.file is not set: give the file");
	assert_int_equal(agent_config_set(&c, "alerts.file", "/tmp/alerts.log", &e), 0);
	assert_int_equal(agent_config_check(&c, &e), 0);
	assert_int_equal(agent_config_set(&c, "alerts.json", "on", &e), 0);
	assert_true(c.alerts_json);
	round_trip(&c);
	text = agent_config_dump(&c);
	assert_non_null(
	        strstr(text, "\nalerts:\n  output: file\n  file: \"/tmp/alerts.log\"\n  json: true\n"));
	free(text);
	assert_int_equal(agent_config_set(&c, "alerts.output", "stdout", &e), 0);
	assert_int_equal(agent_config_check(&c, &e), 0);
	assert_int_equal(load_text(&c, "alerts:\n  file: null\n", &e), 0);
	assert_null(c.alerts_file);
	assert_int_equal(agent_config_set(&c, "alerts.file", "/x", &e), 0);
	assert_int_equal(agent_config_set(&c, "alerts.file", "", &e), 0);
	assert_null(c.alerts_file);
	agent_config_release(&c);

	agent_config_defaults(&c);
	text = agent_config_dump(&c);
	assert_non_null(strstr(text, "\nalerts:\n  output: stdout\n  file: null\n  json: false\n"));
	free(text);
	agent_config_release(&c);

	expect_load_error("alerts:\n  output: mail\n",
	                  NAME ":2:3: alerts.output: 'mail' is not an alert output (stdout, file or syslog)");
	expect_load_error("alerts: {json: maybe}\n", NAME
	                  ":1:10: alerts.json: 'maybe' is not a boolean (true, false, yes, no, on or off)");
	expect_load_error("alerts: {format: json}\n",
	                  NAME ":1:10: alerts: unknown key 'format' (expected one of: output, file, json)");
	expect_load_error("alerts: [stdout]\n",
	                  NAME ":1:1: alerts: expected a mapping of output, file, json, found a list");
	expect_set_error("alerts.output", "",
	                 "alerts.output: '' is not an alert output (stdout, file or syslog)");
	expect_set_error("alerts.file", "\xff", "alerts.file: is not valid UTF-8");
	expect_set_error(
	        "alerts", "stdout",
	        "'alerts' is a section: set one of its keys (alerts.output, alerts.file, alerts.json)");
}

/* artifacts.*: values, refusals naming the key, the memory check, the dump. */
static void test_artifacts(void **state)
{
	static const char *const kinds[] = { "artifacts.write", "artifacts.exec", "artifacts.mem",
		                             "artifacts.module" };
	struct agent_config c;
	struct err e = { { 0 } };
	struct sbuf b = { 0 };
	char prefix[257], msg[512];

	(void)state;
	/* each kind alone turns the artifacts on */
	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		agent_config_defaults(&c);
		assert_int_equal(agent_config_set(&c, kinds[i], i ? "yes" : "/", &e), 0);
		assert_true(agent_config_artifacts(&c));
		agent_config_release(&c);
	}

	agent_config_defaults(&c);
	assert_int_equal(agent_config_set(&c, "artifacts.write", "/", &e), 0);
	assert_string_equal(c.artifacts_write, "/");
	assert_int_equal(agent_config_set(&c, "artifacts.write", "/tmp,/var/www/,/dev/shm", &e), 0);
	assert_string_equal(c.artifacts_write, "/tmp,/var/www/,/dev/shm");
	/* at the limits: a prefix of 255 bytes, 64 prefixes */
	memset(prefix, 'p', 255);
	prefix[0] = '/';
	prefix[255] = 0;
	assert_int_equal(agent_config_set(&c, "artifacts.write", prefix, &e), 0);
	assert_int_equal(strlen(c.artifacts_write), 255);
	for (int i = 0; i < 64; i++)
		sbuf_printf(&b, "%s/d%d", i ? "," : "", i);
	assert_int_equal(agent_config_set(&c, "artifacts.write", sbuf_cstr(&b), &e), 0);
	assert_string_equal(c.artifacts_write, b.data);
	/* empty or null in a file: off */
	assert_int_equal(agent_config_set(&c, "artifacts.write", "", &e), 0);
	assert_null(c.artifacts_write);
	assert_int_equal(load_text(&c, "artifacts: {write: /srv}\n", &e), 0);
	assert_string_equal(c.artifacts_write, "/srv");
	assert_int_equal(load_text(&c, "artifacts: {write: null, exec: true}\n", &e), 0);
	assert_null(c.artifacts_write);
	assert_true(c.artifacts_exec);
	assert_int_equal(load_text(&c, "artifacts:\n  write: ''\n  exec: false\n", &e), 0);
	assert_null(c.artifacts_write);
	assert_false(agent_config_artifacts(&c));
	assert_int_equal(agent_config_set(&c, "artifacts.max_memory", "1MiB", &e), 0);
	assert_int_equal(c.artifacts_memory, MiB);
	assert_int_equal(agent_config_set(&c, "artifacts.max_memory", "32GiB", &e), 0);
	assert_int_equal(c.artifacts_memory, 32 * GiB);
	agent_config_release(&c);

	expect_set_error(
	        "artifacts.write", "tmp",
	        "artifacts.write: 'tmp' is not a path prefix (an absolute path of at most 255 bytes; "
	        "\"/\" for every file; comma-separated)");
	expect_set_error("artifacts.write", "/a,,/b",
	                 "artifacts.write: '' is not a path prefix (an absolute path of at most 255 bytes; "
	                 "\"/\" for every file; comma-separated)");
	expect_set_error("artifacts.write", "/a,",
	                 "artifacts.write: '' is not a path prefix (an absolute path of at most 255 bytes; "
	                 "\"/\" for every file; comma-separated)");
	expect_set_error("artifacts.write", "/a, /b",
	                 "artifacts.write: ' /b' is not a path prefix (an absolute path of at most 255 "
	                 "bytes; \"/\" for every file; comma-separated)");
	/* 300 bytes: refused, shown cut to 64 */
	sbuf_release(&b);
	sbuf_puts(&b, "/");
	for (int i = 1; i < 300; i++)
		sbuf_putc(&b, 'q');
	snprintf(msg, sizeof(msg),
	         "artifacts.write: '/%.63s' is not a path prefix (an absolute path of at most 255 bytes; "
	         "\"/\" for every file; comma-separated)",
	         sbuf_cstr(&b) + 1);
	expect_set_error("artifacts.write", b.data, msg);
	prefix[255] = 'p'; /* 256 bytes */
	prefix[256] = 0;
	snprintf(msg, sizeof(msg),
	         "artifacts.write: '%.64s' is not a path prefix (an absolute path of at most 255 bytes; "
	         "\"/\" for every file; comma-separated)",
	         prefix);
	expect_set_error("artifacts.write", prefix, msg);
	sbuf_release(&b);
	for (int i = 0; i < 65; i++)
		sbuf_printf(&b, "%s/d%d", i ? "," : "", i);
	expect_set_error("artifacts.write", sbuf_cstr(&b), "artifacts.write: more than 64 path prefixes");
	sbuf_release(&b);
	expect_set_error("artifacts.exec", "maybe",
	                 "artifacts.exec: 'maybe' is not a boolean (true, false, yes, no, on or off)");
	expect_set_error("artifacts.mem", "1",
	                 "artifacts.mem: '1' is not a boolean (true, false, yes, no, on or off)");
	expect_set_error("artifacts.module", "",
	                 "artifacts.module: '' is not a boolean (true, false, yes, no, on or off)");
	expect_set_error("artifacts.max_memory", "512K",
	                 "artifacts.max_memory: '512K' is out of range (from 1 MiB to 32 GiB)");
	expect_set_error("artifacts.max_memory", "33G",
	                 "artifacts.max_memory: '33G' is out of range (from 1 MiB to 32 GiB)");
	expect_set_error(
	        "artifacts.max_memory", "lots",
	        "artifacts.max_memory: 'lots' is not a size (a number with an optional KiB, MiB, GiB, "
	        "K, M, G, KB, MB, GB suffix)");
	expect_set_error("artifacts.bpf", "yes",
	                 "unknown key 'artifacts.bpf' (expected one of: artifacts.write, artifacts.exec, "
	                 "artifacts.mem, artifacts.module, artifacts.max_memory)");
	expect_load_error("artifacts:\n  write: relative/dir\n",
	                  NAME ":2:3: artifacts.write: 'relative/dir' is not a path prefix (an absolute path "
	                       "of at most 255 bytes; \"/\" for every file; comma-separated)");
	expect_load_error("artifacts: {write: [/tmp]}\n",
	                  NAME ":1:13: artifacts.write: expected a single value, found a list");
	expect_load_error(
	        "artifacts: [write]\n",
	        NAME ":1:1: artifacts: expected a mapping of write, exec, mem, module, max_memory, found "
	             "a list");
	expect_load_error(
	        "artifacts: {exec: true, memory: 1G}\n",
	        NAME ":1:25: artifacts: unknown key 'memory' (expected one of: write, exec, mem, module, "
	             "max_memory)");
}

/* artifacts.max_memory, with packets.max_memory when packets are on, at most half of recorder.max_memory. */
static void test_artifacts_check(void **state)
{
	struct agent_config c;
	struct err e = { { 0 } };

	(void)state;
	agent_config_defaults(&c);
	assert_int_equal(c.max_memory, 256 * MiB);
	assert_int_equal(c.packets_memory, 64 * MiB);
	assert_int_equal(agent_config_set(&c, "artifacts.max_memory", "100MiB", &e), 0);
	assert_int_equal(agent_config_set(&c, "packets.enabled", "yes", &e), 0);
	assert_int_equal(agent_config_check(&c, &e), 0); /* no artifacts kept: no share */
	assert_int_equal(agent_config_set(&c, "artifacts.exec", "yes", &e), 0);
	assert_int_equal(agent_config_check(&c, &e), -EINVAL);
	assert_string_equal(e.msg,
	                    "artifacts.max_memory (100 MiB) with packets.max_memory is more than half of "
	                    "recorder.max_memory (256 MiB): the events need the rest");
	assert_int_equal(agent_config_set(&c, "packets.enabled", "no", &e), 0);
	assert_int_equal(agent_config_check(&c, &e), 0); /* 100 MiB alone is under 128 MiB */
	assert_int_equal(agent_config_set(&c, "artifacts.max_memory", "129MiB", &e), 0);
	assert_int_equal(agent_config_check(&c, &e), -EINVAL);
	assert_string_equal(e.msg, "artifacts.max_memory (129 MiB) is more than half of recorder.max_memory "
	                           "(256 MiB): the events need the rest");
	/* exactly half, together, is allowed */
	assert_int_equal(agent_config_set(&c, "artifacts.max_memory", "64MiB", &e), 0);
	assert_int_equal(agent_config_set(&c, "packets.enabled", "yes", &e), 0);
	assert_int_equal(agent_config_check(&c, &e), 0);
	assert_int_equal(agent_config_set(&c, "artifacts.max_memory", "65MiB", &e), 0);
	assert_int_equal(agent_config_check(&c, &e), -EINVAL);
	assert_non_null(strstr(e.msg, "artifacts.max_memory"));
	assert_int_equal(agent_config_set(&c, "recorder.max_memory", "512MiB", &e), 0);
	assert_int_equal(agent_config_check(&c, &e), 0);
	agent_config_release(&c);
}

/* The artifacts section in the dump, and read back. */
static void test_artifacts_dump(void **state)
{
	struct agent_config c;
	struct err e = { { 0 } };
	char *text;

	(void)state;
	agent_config_defaults(&c);
	text = agent_config_dump(&c);
	assert_non_null(strstr(text,
	                       "\nartifacts:\n  write: null\n  exec: false\n  mem: false\n  module: false\n"
	                       "  max_memory: 64MiB\n"));
	free(text);
	assert_int_equal(agent_config_set(&c, "artifacts.write", "/tmp,/home/a b", &e), 0);
	assert_int_equal(agent_config_set(&c, "artifacts.mem", "yes", &e), 0);
	assert_int_equal(agent_config_set(&c, "artifacts.max_memory", "3MiB", &e), 0);
	text = agent_config_dump(&c);
	assert_non_null(strstr(text, "\nartifacts:\n  write: \"/tmp,/home/a b\"\n  exec: false\n  mem: true\n"
	                             "  module: false\n  max_memory: 3MiB\n"));
	free(text);
	round_trip(&c);
	assert_int_equal(agent_config_set(&c, "artifacts.write", "/", &e), 0);
	assert_int_equal(agent_config_set(&c, "artifacts.exec", "on", &e), 0);
	assert_int_equal(agent_config_set(&c, "artifacts.module", "on", &e), 0);
	assert_int_equal(agent_config_set(&c, "artifacts.max_memory", "1048577", &e), 0);
	round_trip(&c);
	agent_config_release(&c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_sample_file_loads),
		cmocka_unit_test(test_full_file),
		cmocka_unit_test(test_missing_file),
		cmocka_unit_test(test_empty_inputs),
		cmocka_unit_test(test_load_over_current_values),
		cmocka_unit_test(test_error_messages_of_the_brief),
		cmocka_unit_test(test_error_messages_yaml_syntax),
		cmocka_unit_test(test_error_messages_structure),
		cmocka_unit_test(test_sizes),
		cmocka_unit_test(test_durations),
		cmocka_unit_test(test_booleans),
		cmocka_unit_test(test_integers),
		cmocka_unit_test(test_set_every_key),
		cmocka_unit_test(test_pcapdump_values),
		cmocka_unit_test(test_listen_split),
		cmocka_unit_test(test_check),
		cmocka_unit_test(test_dump_round_trip),
		cmocka_unit_test(test_alerts),
		cmocka_unit_test(test_artifacts),
		cmocka_unit_test(test_artifacts_check),
		cmocka_unit_test(test_artifacts_dump),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
