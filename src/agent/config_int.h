/*
 * config_int: what the files of the agent's configuration (config.h) share.
 *
 *   config.c       the option table and its lookups, the values (parsing,
 *                  checking, storing: one applier per kind), agent_config_defaults,
 *                  _set, _check, _release, the deep copy, and agent_config_dump
 *   config_file.c  the YAML file: agent_config_load and agent_config_load_buffer,
 *                  libyaml's events walked against the option table
 *
 * config.c owns the table and every rule about a value: the loader only finds
 * a key's option, hands a scalar to config_apply_value() and reports where it
 * was; it checks the shape of the nodes (mappings, lists) and itself parses
 * only the items of rules_files.
 */
#ifndef SYSREC_AGENT_CONFIG_INT_H
#define SYSREC_AGENT_CONFIG_INT_H

#include "config.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum opt_kind {
	OPT_SECTION,        /* a mapping of the options whose keys start with this one's and a dot */
	OPT_PATH,           /* char *: a non-empty path */
	OPT_PATH_OR_NULL,   /* char *: a path, or null/empty for none */
	OPT_LISTEN,         /* char *: HOST:PORT or [V6]:PORT */
	OPT_HOST,           /* char *: a host name, or null/empty for gethostname() */
	OPT_SIZE,           /* uint64_t: bytes, with an optional K/KiB/M/MiB/G/GiB suffix */
	OPT_DURATION,       /* uint32_t: seconds, with an optional s/m/h suffix */
	OPT_UINT,           /* uint32_t: a decimal number */
	OPT_POW2,           /* uint32_t: a decimal power of two */
	OPT_BOOL,           /* bool */
	OPT_PATH_LIST,      /* rules_files: a sequence of paths */
	OPT_ALERT_OUTPUT,   /* enum agent_alert_output: one of alert_outputs[] */
	OPT_NAMESPACES,     /* char *: containerd namespaces, comma-separated; null/empty: the default */
	OPT_REGEX,          /* char *: a POSIX extended regular expression; null/empty: none */
	OPT_K8S_NAMESPACES, /* char *: Kubernetes namespaces, comma-separated; null/empty: none */
	OPT_BPF,            /* char *: a filter in tcpdump's language; null/empty: none */
	OPT_IFACES,         /* char *: interfaces NAME[@NS|@PID], comma-separated; null/empty: all */
	OPT_PREFIXES,       /* char *: absolute path prefixes, comma-separated; null/empty: none */
};

struct opt {
	const char *key; /* dotted: "recorder.max_memory" */
	enum opt_kind kind;
	size_t off; /* of the field in struct agent_config */
	uint64_t min, max;
};

/* The most options the table may hold: the loader keeps a 64-bit set of the keys seen. */
#define CONFIG_OPTS_MAX 64

/* Every option, in the order of the file and of the dump; a section's keys follow it. */
extern const struct opt config_opts[];

/* The option named name (len bytes, maybe with NULs) in section, or NULL. */
const struct opt *config_opt_find(const struct opt *section, const char *name, size_t len);

/*
 * "a, b, c": the options directly in section by name, or with full_keys by
 * their dotted keys; with full_keys and no section, every key that takes a value.
 */
const char *config_opt_list(const struct opt *section, bool full_keys, char *out, size_t size);

/*
 * Parse v (len bytes; plain: an unquoted YAML scalar, where ~ and null mean
 * null) for o and store it in c. On error write what is wrong to msg, without
 * the key, and return -EINVAL, leaving c as it was.
 */
int config_apply_value(struct agent_config *c, const struct opt *o, const char *v, size_t len, bool plain,
                       char *msg, size_t msgsize);

/*
 * v (len bytes) as a message shows it: at most size - 4 bytes, cut at a
 * character boundary and marked "...", control bytes as '?'.
 */
const char *config_shown(char *out, size_t size, const char *v, size_t len);

/* YAML's plain null: empty, ~ or null (quoted, these are strings). */
bool config_is_null(const char *s, size_t len, bool plain);

/* What is wrong with path v, or NULL. */
const char *config_path_problem(const char *v, size_t len);

/* "16 MiB" (space), or for the dump "16MiB": the largest unit that divides v. */
const char *config_fmt_size(uint64_t v, bool space, char *out, size_t size);

/* Free the n strings of list, and list. */
void config_free_list(char **list, size_t n);

/* A deep copy of src in dst (whose contents are not freed). */
void config_copy(struct agent_config *dst, const struct agent_config *src);

#endif
