/*
 * fuzz_config: libFuzzer target for the agent's configuration loader
 * (src/agent/config_file.c, over config.c) and libyaml beneath it.
 *
 * The input is a configuration file. A load that fails must leave the
 * configuration as it was and say "NAME:LINE:COLUMN: ..." (or "NAME: ..." for
 * out of memory); one that succeeds must pass through agent_config_dump() and
 * load back to an equal configuration. The first line, when it reads
 * "KEY=VALUE", is also given to agent_config_set(). Anything else aborts;
 * crashes, leaks, hangs and UB are bugs.
 *
 * Build: clang -std=gnu11 -g -O1 -D_GNU_SOURCE -fsanitize=fuzzer,address,undefined
 *   -fno-sanitize-recover=undefined -o /tmp/fuzz_config tests/fuzz/fuzz_config.c
 *   src/agent/config.c src/agent/config_file.c src/common/[a-z]*.c -lyaml -lz -ljansson
 */
#include "../../src/common/common.h"
#include "../../src/agent/config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NAME "fuzz.yaml"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bool str_equal(const char *a, const char *b)
{
	return a == b || (a && b && !strcmp(a, b));
}

static bool config_equal(const struct agent_config *a, const struct agent_config *b)
{
	if (!str_equal(a->data_dir, b->data_dir) || !str_equal(a->listen, b->listen) ||
	    !str_equal(a->tls_cert, b->tls_cert) || !str_equal(a->tls_key, b->tls_key) ||
	    !str_equal(a->host_name, b->host_name) || a->http_max_connections != b->http_max_connections ||
	    a->http_max_per_ip != b->http_max_per_ip || a->http_header_timeout != b->http_header_timeout ||
	    a->max_memory != b->max_memory || a->seconds != b->seconds || a->ring_mb != b->ring_mb ||
	    a->snaplen != b->snaplen || a->captures_enabled != b->captures_enabled ||
	    a->max_outstanding != b->max_outstanding || a->retention_days != b->retention_days ||
	    a->nrules_files != b->nrules_files || a->alerts_output != b->alerts_output ||
	    !str_equal(a->alerts_file, b->alerts_file) || a->alerts_json != b->alerts_json)
		return false;
	for (size_t i = 0; i < a->nrules_files; i++)
		if (strcmp(a->rules_files[i], b->rules_files[i]) != 0)
			return false;
	return true;
}

/* A failed load names the file, and a position unless memory ran out. */
static void check_error(const struct err *e)
{
	if (strncmp(e->msg, NAME ":", strlen(NAME ":")) != 0) {
		fprintf(stderr, "error without the file name: %s\n", e->msg);
		abort();
	}
}

/* The first line as KEY=VALUE through agent_config_set(): it must succeed or leave c alone. */
static void try_set(struct agent_config *c, const uint8_t *data, size_t size)
{
	const uint8_t *nl = memchr(data, '\n', size);
	size_t len = nl ? (size_t)(nl - data) : size;
	char *line = xstrndup((const char *)data, len), *eq = strchr(line, '=');
	struct agent_config before;
	struct err e = { { 0 } };

	if (eq) {
		*eq = 0;
		agent_config_defaults(&before);
		if (agent_config_set(&before, line, eq + 1, &e) == 0) {
			char *text = agent_config_dump(&before);

			if (agent_config_load_buffer(c, NAME, text, strlen(text), &e) ||
			    !config_equal(c, &before)) {
				fprintf(stderr, "set %s=%s does not round-trip: %s\n%s", line, eq + 1, e.msg,
				        text);
				abort();
			}
			free(text);
		}
		agent_config_release(&before);
	}
	free(line);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct agent_config c, back;
	struct err e = { { 0 } };

	agent_config_defaults(&c);
	if (agent_config_load_buffer(&c, NAME, data, size, &e)) {
		struct agent_config fresh;

		check_error(&e);
		agent_config_defaults(&fresh);
		if (!config_equal(&c, &fresh)) {
			fprintf(stderr, "a failed load changed the configuration: %s\n", e.msg);
			abort();
		}
		agent_config_release(&fresh);
	} else {
		char *text = agent_config_dump(&c);

		agent_config_defaults(&back);
		if (agent_config_load_buffer(&back, NAME, text, strlen(text), &e) ||
		    !config_equal(&c, &back)) {
			fprintf(stderr, "the dump does not load back to the same configuration: %s\n%s",
			        e.msg, text);
			abort();
		}
		(void)agent_config_check(&c, &e);
		agent_config_release(&back);
		free(text);
	}
	try_set(&c, data, size);
	agent_config_release(&c);
	return 0;
}
