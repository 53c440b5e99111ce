/*
 * config: the agent's options: their table, values, flags, checks and dump.
 *
 * One table names every option: its dotted key, the kind of value it takes and
 * where it lives in struct agent_config. The file loader (config_file.c) walks
 * libyaml's events against that table, agent_config_set() looks a key up in it,
 * and agent_config_dump() prints it. The appliers of the kinds of value check
 * and store a value for both the loader and agent_config_set().
 */
#include "../common/common.h"
#include "../engine/engine.h"
#include "../runtime/runtime.h"
#include "../pcap/pcap.h"
#include "config_int.h"

#include <regex.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define KiB (1ull << 10)
#define MiB (1ull << 20)
#define GiB (1ull << 30)

#define PATH_MAX_BYTES 4095 /* PATH_MAX less its NUL */
#define HOST_MAX_BYTES 64   /* HOST_NAME_MAX */

#define FIELD(f) offsetof(struct agent_config, f)

/* In the order of the file and of the dump; a section's keys follow it. */
const struct opt config_opts[] = {
	{ "data", OPT_PATH, FIELD(data_dir), 0, 0 },
	{ "listen", OPT_LISTEN, FIELD(listen), 0, 0 },
	{ "tls", OPT_SECTION, 0, 0, 0 },
	{ "tls.cert", OPT_PATH_OR_NULL, FIELD(tls_cert), 0, 0 },
	{ "tls.key", OPT_PATH_OR_NULL, FIELD(tls_key), 0, 0 },
	{ "host", OPT_HOST, FIELD(host_name), 0, 0 },
	{ "http", OPT_SECTION, 0, 0, 0 },
	{ "http.max_connections", OPT_UINT, FIELD(http_max_connections), 1, 1024 },
	{ "http.max_connections_per_ip", OPT_UINT, FIELD(http_max_per_ip), 1, 1024 },
	{ "http.header_timeout", OPT_DURATION, FIELD(http_header_timeout), 1, 300 },
	{ "recorder", OPT_SECTION, 0, 0, 0 },
	{ "recorder.max_memory", OPT_SIZE, FIELD(max_memory), 16 * MiB, 64 * GiB },
	{ "recorder.seconds", OPT_DURATION, FIELD(seconds), 1, 3600 },
	{ "recorder.ring_mb", OPT_POW2, FIELD(ring_mb), 1, 1024 },
	{ "recorder.snaplen", OPT_UINT, FIELD(snaplen), 0, 65535 },
	{ "captures", OPT_SECTION, 0, 0, 0 },
	{ "captures.enabled", OPT_BOOL, FIELD(captures_enabled), 0, 0 },
	{ "captures.max_outstanding", OPT_UINT, FIELD(max_outstanding), 1, 64 },
	{ "captures.retention_days", OPT_UINT, FIELD(retention_days), 1, 36500 },
	{ "rules_files", OPT_PATH_LIST, 0, 0, 0 },
	{ "alerts", OPT_SECTION, 0, 0, 0 },
	{ "alerts.output", OPT_ALERT_OUTPUT, FIELD(alerts_output), 0, 0 },
	{ "alerts.file", OPT_PATH_OR_NULL, FIELD(alerts_file), 0, 0 },
	{ "alerts.json", OPT_BOOL, FIELD(alerts_json), 0, 0 },
	{ "containers", OPT_SECTION, 0, 0, 0 },
	{ "containers.docker_socket", OPT_PATH_OR_NULL, FIELD(docker_socket), 0, 0 },
	{ "containers.podman_socket", OPT_PATH_OR_NULL, FIELD(podman_socket), 0, 0 },
	{ "containers.containerd_socket", OPT_PATH_OR_NULL, FIELD(containerd_socket), 0, 0 },
	{ "containers.containerd_namespaces", OPT_NAMESPACES, FIELD(containerd_namespaces), 0, 0 },
	{ "packets", OPT_SECTION, 0, 0, 0 },
	{ "packets.enabled", OPT_BOOL, FIELD(packets_enabled), 0, 0 },
	{ "packets.snaplen", OPT_UINT, FIELD(packets_snaplen), 64, 65535 },
	{ "packets.max_memory", OPT_SIZE, FIELD(packets_memory), MiB, 32 * GiB },
	{ "packets.interfaces", OPT_IFACES, FIELD(packets_ifaces), 0, 0 },
	{ "packets.filter", OPT_BPF, FIELD(packets_filter), 0, 0 },
	{ "artifacts", OPT_SECTION, 0, 0, 0 },
	{ "artifacts.write", OPT_PREFIXES, FIELD(artifacts_write), 0, 0 },
	{ "artifacts.exec", OPT_BOOL, FIELD(artifacts_exec), 0, 0 },
	{ "artifacts.mem", OPT_BOOL, FIELD(artifacts_mem), 0, 0 },
	{ "artifacts.module", OPT_BOOL, FIELD(artifacts_module), 0, 0 },
	{ "artifacts.max_memory", OPT_SIZE, FIELD(artifacts_memory), MiB, 32 * GiB },
	{ "pcapdump", OPT_SECTION, 0, 0, 0 },
	{ "pcapdump.enabled", OPT_BOOL, FIELD(pcapdump.enabled), 0, 0 },
	{ "pcapdump.maxTime", OPT_DURATION, FIELD(pcapdump.max_time), 1, 30 * 86400 },
	{ "pcapdump.maxSize", OPT_SIZE, FIELD(pcapdump.max_size), MiB, 1024 * GiB },
	{ "pcapdump.regex", OPT_REGEX, FIELD(pcapdump.regex), 0, 0 },
	{ "pcapdump.namespaces", OPT_K8S_NAMESPACES, FIELD(pcapdump.namespaces), 0, 0 },
	{ "pcapdump.excludedNamespaces", OPT_K8S_NAMESPACES, FIELD(pcapdump.excluded), 0, 0 },
	{ "pcapdump.bpfOverride", OPT_BPF, FIELD(pcapdump.bpf), 0, 0 },
};

_Static_assert(ARRAY_SIZE(config_opts) <= CONFIG_OPTS_MAX, "the loader keeps a 64-bit set of the keys seen");

struct unit {
	const char *suffix; /* matched without regard to case */
	uint64_t scale;
};

/* KB, MB, GB: powers of 1000, as Kubeshark's sizes ("50MB") */
static const struct unit size_units[] = {
	{ "K", KiB },   { "KiB", KiB },        { "M", MiB },
	{ "MiB", MiB }, { "G", GiB },          { "GiB", GiB },
	{ "KB", 1000 }, { "MB", 1000 * 1000 }, { "GB", 1000 * 1000 * 1000 },
};

static const struct unit duration_units[] = { { "s", 1 }, { "m", 60 }, { "h", 3600 } };

/* alerts.output's words, indexed by enum agent_alert_output. */
static const char *const alert_outputs[] = { "stdout", "file", "syslog" };

/* ---- the table ---- */

/* The last component of o's key: "max_memory" for "recorder.max_memory". */
static const char *opt_name(const struct opt *o)
{
	const char *dot = strrchr(o->key, '.');

	return dot ? dot + 1 : o->key;
}

/* Whether o sits directly in section (NULL: at the top). */
static bool opt_in(const struct opt *o, const struct opt *section)
{
	size_t n;

	if (!section)
		return !strchr(o->key, '.');
	n = strlen(section->key);
	return o != section && !strncmp(o->key, section->key, n) && o->key[n] == '.';
}

/* The option named name (len bytes, maybe with NULs) in section, or NULL. */
const struct opt *config_opt_find(const struct opt *section, const char *name, size_t len)
{
	for (size_t i = 0; i < ARRAY_SIZE(config_opts); i++) {
		const char *n = opt_name(&config_opts[i]);

		if (opt_in(&config_opts[i], section) && strlen(n) == len && !memcmp(n, name, len))
			return &config_opts[i];
	}
	return NULL;
}

/* The option with this full dotted key, or NULL. */
static const struct opt *opt_by_key(const char *key)
{
	for (size_t i = 0; i < ARRAY_SIZE(config_opts); i++)
		if (!strcmp(config_opts[i].key, key))
			return &config_opts[i];
	return NULL;
}

/*
 * "a, b, c": the options directly in section by name, or with full_keys by
 * their dotted keys; with full_keys and no section, every key that takes a value.
 */
const char *config_opt_list(const struct opt *section, bool full_keys, char *out, size_t size)
{
	size_t len = 0;

	out[0] = 0;
	for (size_t i = 0; i < ARRAY_SIZE(config_opts) && len < size; i++) {
		const struct opt *o = &config_opts[i];
		bool want = full_keys && !section ? o->kind != OPT_SECTION : opt_in(o, section);

		if (want) {
			int n = snprintf(out + len, size - len, "%s%s", len ? ", " : "",
			                 full_keys ? o->key : opt_name(o));
			len += n > 0 ? (size_t)n : 0;
		}
	}
	return out;
}

/* Where o's value lives in c; its type is the one o->kind names. */
static void *field(struct agent_config *c, const struct opt *o)
{
	return (char *)c + o->off;
}

static const void *cfield(const struct agent_config *c, const struct opt *o)
{
	return (const char *)c + o->off;
}

/* ---- values ---- */

/*
 * v (len bytes) as a message shows it: at most size - 4 bytes, cut at a
 * character boundary and marked "...", control bytes as '?'.
 */
const char *config_shown(char *out, size_t size, const char *v, size_t len)
{
	size_t max = size - 4, o = 0;
	bool cut = len > max;

	if (cut) {
		len = max;
		while (len && ((unsigned char)v[len] & 0xC0) == 0x80)
			len--;
	}
	for (size_t i = 0; i < len; i++) {
		unsigned char ch = (unsigned char)v[i];

		out[o++] = ch < 0x20 || ch == 0x7f ? '?' : (char)ch;
	}
	if (cut) {
		memcpy(out + o, "...", 3);
		o += 3;
	}
	out[o] = 0;
	return out;
}

static bool utf8_valid(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	uint32_t cp;

	for (size_t i = 0, n; i < len; i += n)
		if (!(n = utf8_decode(p + i, len - i, &cp)))
			return false;
	return true;
}

/* Decimal digits at s[*i..len): -EINVAL when there are none, -ERANGE past UINT64_MAX. */
static int scan_u64(const char *s, size_t len, size_t *i, uint64_t *out)
{
	size_t start = *i;
	uint64_t v = 0;
	bool over = false;

	for (; *i < len && s[*i] >= '0' && s[*i] <= '9'; (*i)++)
		over |= __builtin_mul_overflow(v, 10, &v) ||
		        __builtin_add_overflow(v, (uint64_t)(s[*i] - '0'), &v);
	if (*i == start)
		return -EINVAL;
	*out = v;
	return over ? -ERANGE : 0;
}

/*
 * A whole number with an optional unit suffix (spaces allowed before it):
 * 0, -EINVAL when it is not such a thing, -ERANGE when it is but overflows.
 */
static int parse_scaled(const char *s, size_t len, const struct unit *units, size_t nunits, uint64_t *out)
{
	size_t i = 0, spaces;
	uint64_t v = 0, scale = 1;
	int rc = scan_u64(s, len, &i, &v);

	if (rc == -EINVAL)
		return rc;
	for (spaces = 0; i < len && s[i] == ' '; i++)
		spaces++;
	if (i < len) {
		size_t j;

		for (j = 0; j < nunits; j++)
			if (strlen(units[j].suffix) == len - i &&
			    !strncasecmp(s + i, units[j].suffix, len - i))
				break;
		if (j == nunits)
			return -EINVAL;
		scale = units[j].scale;
	} else if (spaces) {
		return -EINVAL;
	}
	if (rc || __builtin_mul_overflow(v, scale, &v))
		return -ERANGE;
	*out = v;
	return 0;
}

static int parse_uint(const char *s, size_t len, uint64_t *out)
{
	size_t i = 0;
	int rc = scan_u64(s, len, &i, out);

	return rc == -EINVAL || i != len ? -EINVAL : rc;
}

/* "16 MiB" (space), or for the dump "16MiB": the largest unit that divides v. */
const char *config_fmt_size(uint64_t v, bool space, char *out, size_t size)
{
	static const struct unit units[] = { { "GiB", GiB }, { "MiB", MiB }, { "KiB", KiB } };

	for (size_t i = 0; i < ARRAY_SIZE(units); i++) {
		if (v && v % units[i].scale == 0) {
			snprintf(out, size, "%llu%s%s", (unsigned long long)(v / units[i].scale),
			         space ? " " : "", units[i].suffix);
			return out;
		}
	}
	snprintf(out, size, "%llu", (unsigned long long)v);
	return out;
}

static bool is_bool(const char *s, size_t len, bool *out)
{
	static const struct {
		const char *word;
		bool value;
	} words[] = { { "true", true }, { "false", false }, { "yes", true },
		      { "no", false },  { "on", true },     { "off", false } };

	for (size_t i = 0; i < ARRAY_SIZE(words); i++) {
		if (strlen(words[i].word) == len && !strncasecmp(s, words[i].word, len)) {
			*out = words[i].value;
			return true;
		}
	}
	return false;
}

/* YAML's plain null: empty, ~ or null (quoted, these are strings). */
bool config_is_null(const char *s, size_t len, bool plain)
{
	return plain &&
	       (len == 0 || (len == 1 && s[0] == '~') ||
	        (len == 4 && (!memcmp(s, "null", 4) || !memcmp(s, "Null", 4) || !memcmp(s, "NULL", 4))));
}

int agent_listen_split(const char *listen, char *host, size_t host_size, uint16_t *port)
{
	const char *h, *p;
	size_t hlen;
	uint64_t v;

	if (listen[0] == '[') {
		const char *close = strchr(listen, ']');

		if (!close || close[1] != ':')
			return -EINVAL;
		h = listen + 1;
		hlen = (size_t)(close - h);
		p = close + 2;
		if (!memchr(h, ':', hlen)) /* brackets are for IPv6 addresses */
			return -EINVAL;
	} else {
		const char *colon = strrchr(listen, ':');

		if (!colon || memchr(listen, ':', (size_t)(colon - listen)))
			return -EINVAL; /* no port, or an IPv6 address without brackets */
		h = listen;
		hlen = (size_t)(colon - listen);
		p = colon + 1;
	}
	if (!hlen || hlen >= host_size)
		return -EINVAL;
	for (size_t i = 0; i < hlen; i++)
		if ((unsigned char)h[i] <= ' ' || h[i] == 0x7f || h[i] == '/' || h[i] == '[' || h[i] == ']')
			return -EINVAL;
	if (strlen(p) > 5 || parse_uint(p, strlen(p), &v) || v > 65535)
		return -EINVAL;
	memcpy(host, h, hlen);
	host[hlen] = 0;
	*port = (uint16_t)v;
	return 0;
}

/* What is wrong with path v, or NULL. */
const char *config_path_problem(const char *v, size_t len)
{
	if (!len)
		return "must not be empty";
	if (memchr(v, 0, len))
		return "contains a NUL byte";
	if (len > PATH_MAX_BYTES)
		return "is longer than 4095 bytes";
	if (!utf8_valid(v, len))
		return "is not valid UTF-8";
	return NULL;
}

static void set_str(char **field, const char *v, size_t len)
{
	free(*field);
	*field = v ? xstrndup(v, len) : NULL;
}

/* A value to apply to an option: its bytes, and how a message shows them. */
struct value {
	const char *s;
	size_t len;
	bool plain;        /* an unquoted YAML scalar, where ~ and null mean null */
	const char *shown; /* s as config_shown() writes it, for messages */
};

/*
 * The appliers of the kinds of value, one each: parse v for o and store it in
 * c; on error write what is wrong to msg, without the key, and return -EINVAL,
 * leaving c as it was.
 */
typedef int (*value_applier)(struct agent_config *c, const struct opt *o, const struct value *v, char *msg,
                             size_t msgsize);

static int apply_path(struct agent_config *c, const struct opt *o, const struct value *v, char *msg,
                      size_t msgsize)
{
	const char *problem = config_path_problem(v->s, v->len);

	if (problem) {
		snprintf(msg, msgsize, "%s", problem);
		return -EINVAL;
	}
	set_str((char **)field(c, o), v->s, v->len);
	return 0;
}

static int apply_path_or_null(struct agent_config *c, const struct opt *o, const struct value *v, char *msg,
                              size_t msgsize)
{
	if (!v->len || config_is_null(v->s, v->len, v->plain)) {
		set_str((char **)field(c, o), NULL, 0);
		return 0;
	}
	return apply_path(c, o, v, msg, msgsize);
}

static int apply_namespaces(struct agent_config *c, const struct opt *o, const struct value *v, char *msg,
                            size_t msgsize)
{
	struct err e = { { 0 } };
	char *text, **list;

	if (!v->len || config_is_null(v->s, v->len, v->plain)) {
		set_str((char **)field(c, o), NULL, 0);
		return 0;
	}
	text = xstrndup(v->s, v->len);
	list = memchr(v->s, 0, v->len) ? NULL : rt_containerd_namespaces(text, &e);
	free(text);
	if (!list) {
		snprintf(msg, msgsize, "%s", e.msg[0] ? e.msg : "not a list of namespaces");
		return -EINVAL;
	}
	free(list);
	set_str((char **)field(c, o), v->s, v->len);
	return 0;
}

/* What is wrong with a Kubernetes namespace list (NULL: nothing): names as DNS labels, comma-separated. */
static const char *k8s_namespaces_problem(const char *s, char *msg, size_t msgsize)
{
	for (const char *p = s;;) {
		size_t n = strcspn(p, ",");
		bool ok = n > 0 && n <= 63 && p[0] != '-' && p[n - 1] != '-';

		for (size_t i = 0; ok && i < n; i++)
			ok = (p[i] >= 'a' && p[i] <= 'z') || (p[i] >= '0' && p[i] <= '9') || p[i] == '-';
		if (!ok) {
			snprintf(msg, msgsize,
			         "'%.*s' is not a namespace name (lowercase letters, digits and '-', at most "
			         "63, "
			         "comma-separated)",
			         (int)(n > 63 ? 63 : n), p);
			return msg;
		}
		if (!p[n])
			return NULL;
		p += n + 1;
	}
}

/* What is wrong with an interface list (NULL: nothing): NAME, NAME@NS or NAME@PID, comma-separated. */
static const char *ifaces_problem(const char *s, char *msg, size_t msgsize)
{
	for (const char *p = s;;) {
		size_t n = strcspn(p, ","), at = strcspn(p, "@,");
		/* a name of 1 to 15 characters, then nothing or '@' and something */
		bool ok = n > 0 && at > 0 && at < 16 && (at == n || at + 1 < n);

		for (size_t i = 0; ok && i < n; i++)
			ok = p[i] > ' ' && p[i] != '/' && p[i] != 0x7f;
		if (!ok) {
			snprintf(
			        msg, msgsize,
			        "'%.*s' is not an interface (NAME, NAME@NETNS or NAME@PID; a name of 1 to 15 "
			        "characters, comma-separated)",
			        (int)(n > 64 ? 64 : n), p);
			return msg;
		}
		if (!p[n])
			return NULL;
		p += n + 1;
	}
}

/*
 * What glibc's regcomp() builds of an extended regular expression, in copies
 * of its parts: `+` copies what it repeats once more, `{m,n}` n times, and
 * repetitions nest, so a short pattern ("x++++...", "((a{99}){99}){99}")
 * can ask for gigabytes. Counted from *pp to the end or the ')' closing
 * depth, saturating at RE_COST_MAX + 1.
 */
#define RE_COST_MAX    20000
#define RE_DEPTH_MAX   64
#define RE_SATURATE(x) ((x) > RE_COST_MAX ? RE_COST_MAX + 1 : (x))

static uint64_t re_cost(const char **pp, int depth)
{
	const char *p = *pp;
	uint64_t total = 0, atom = 0;

	if (depth > RE_DEPTH_MAX)
		return RE_COST_MAX + 1;
	while (*p && !(*p == ')' && depth)) {
		if (*p == '*' || *p == '?') {
			p++;
		} else if (*p == '+') {
			atom = RE_SATURATE(atom * 2);
			p++;
		} else if (*p == '{' && p[1] >= '0' && p[1] <= '9') {
			char *end;
			unsigned long m = strtoul(p + 1, &end, 10), n = m;

			if (*end == ',')
				n = end[1] >= '0' && end[1] <= '9' ? strtoul(end + 1, &end, 10)
				                                   : (end++, m + 1);
			atom = RE_SATURATE(atom * (n > m ? n : m > 0 ? m : 1));
			p = *end == '}' ? end + 1 : end;
		} else {
			total = RE_SATURATE(total + atom);
			atom = 1;
			if (*p == '(') {
				p++;
				atom = re_cost(&p, depth + 1);
				if (*p == ')')
					p++;
			} else if (*p == '[') { /* a bracket expression: one atom */
				p += p[1] == '^' ? 2 : 1;
				p += *p == ']';
				while (*p && *p != ']')
					p += *p == '[' && (p[1] == ':' || p[1] == '=' || p[1] == '.') &&
					                     strchr(p + 2, ']')
					             ? strchr(p + 2, ']') - p + 1
					             : 1;
				p += *p == ']';
			} else {
				p += *p == '\\' && p[1] ? 2 : 1;
			}
		}
	}
	*pp = p;
	return RE_SATURATE(total + atom);
}

/* Absolute path prefixes, comma-separated, as many and as long as the engine takes. */
static const char *prefixes_problem(const char *s, char *msg, size_t msgsize)
{
	size_t count = 0;

	for (const char *p = s;;) {
		size_t n = strcspn(p, ",");

		if (n == 0 || p[0] != '/' || n > ENGINE_ART_PREFIX_MAX) {
			snprintf(msg, msgsize,
			         "'%.*s' is not a path prefix (an absolute path of at most %d bytes; \"/\" "
			         "for every "
			         "file; comma-separated)",
			         (int)(n > 64 ? 64 : n), p, ENGINE_ART_PREFIX_MAX);
			return msg;
		}
		if (++count > ENGINE_ART_PREFIXES) {
			snprintf(msg, msgsize, "more than %d path prefixes", ENGINE_ART_PREFIXES);
			return msg;
		}
		if (!p[n])
			return NULL;
		p += n + 1;
	}
}

/* A text checked by its kind (a regular expression, namespaces, a tcpdump filter); null/empty: none. */
static int apply_checked(struct agent_config *c, const struct opt *o, const struct value *v, char *msg,
                         size_t msgsize)
{
	char *text, buf[640];
	const char *problem = NULL;

	if (!v->len || config_is_null(v->s, v->len, v->plain)) {
		set_str((char **)field(c, o), NULL, 0);
		return 0;
	}
	if (memchr(v->s, 0, v->len)) {
		snprintf(msg, msgsize, "'%s' holds a NUL byte", v->shown);
		return -EINVAL;
	}
	text = xstrndup(v->s, v->len);
	if (o->kind == OPT_REGEX) {
		regex_t re;
		const char *cur = text;
		int rc = re_cost(&cur, 0) > RE_COST_MAX ? -1 : regcomp(&re, text, REG_EXTENDED | REG_NOSUB);

		if (rc < 0) {
			snprintf(buf, sizeof(buf),
			         "'%s' repeats or nests too much: compiled it would hold more than %d copies "
			         "of its "
			         "parts (each + doubles what it repeats, {m,n} takes n of it) or nest more "
			         "than %d "
			         "groups",
			         v->shown, RE_COST_MAX, RE_DEPTH_MAX);
			problem = buf;
		} else if (rc) {
			char why[160];

			regerror(rc, &re, why, sizeof(why));
			snprintf(buf, sizeof(buf), "'%s' is not a regular expression: %s", v->shown, why);
			problem = buf;
		} else {
			regfree(&re);
		}
	} else if (o->kind == OPT_K8S_NAMESPACES) {
		problem = k8s_namespaces_problem(text, buf, sizeof(buf));
	} else if (o->kind == OPT_IFACES) {
		problem = ifaces_problem(text, buf, sizeof(buf));
	} else if (o->kind == OPT_PREFIXES) {
		problem = prefixes_problem(text, buf, sizeof(buf));
	} else {
		struct err e = { { 0 } };

		if (pcap_filter_check(text, &e)) {
			snprintf(buf, sizeof(buf), "not a filter in tcpdump's language: %s", e.msg);
			problem = buf;
		}
	}
	free(text);
	if (problem) {
		snprintf(msg, msgsize, "%s", problem);
		return -EINVAL;
	}
	set_str((char **)field(c, o), v->s, v->len);
	return 0;
}

static int apply_host(struct agent_config *c, const struct opt *o, const struct value *v, char *msg,
                      size_t msgsize)
{
	bool ok;

	if (!v->len || config_is_null(v->s, v->len, v->plain)) {
		set_str((char **)field(c, o), NULL, 0);
		return 0;
	}
	ok = v->len <= HOST_MAX_BYTES && utf8_valid(v->s, v->len);
	for (size_t i = 0; ok && i < v->len; i++)
		ok = (unsigned char)v->s[i] > ' ' && v->s[i] != 0x7f && v->s[i] != '/';
	if (!ok) {
		snprintf(msg, msgsize,
		         "'%s' is not a host name (1 to 64 bytes, no spaces, '/' or control "
		         "characters)",
		         v->shown);
		return -EINVAL;
	}
	set_str((char **)field(c, o), v->s, v->len);
	return 0;
}

static int apply_listen(struct agent_config *c, const struct opt *o, const struct value *v, char *msg,
                        size_t msgsize)
{
	char host[256], addr[sizeof(host) + 8];
	uint16_t port;
	bool ok = v->len < sizeof(addr) && !memchr(v->s, 0, v->len) && utf8_valid(v->s, v->len);

	if (ok) {
		memcpy(addr, v->s, v->len);
		addr[v->len] = 0;
		ok = !agent_listen_split(addr, host, sizeof(host), &port);
	}
	if (!ok) {
		snprintf(msg, msgsize, "'%s' is not HOST:PORT (like 127.0.0.1:7070 or [::1]:7070)", v->shown);
		return -EINVAL;
	}
	set_str((char **)field(c, o), v->s, v->len);
	return 0;
}

static int apply_size(struct agent_config *c, const struct opt *o, const struct value *v, char *msg,
                      size_t msgsize)
{
	char lo[32], hi[32];
	uint64_t n = 0;
	int rc = parse_scaled(v->s, v->len, size_units, ARRAY_SIZE(size_units), &n);

	if (rc == -EINVAL) {
		snprintf(msg, msgsize,
		         "'%s' is not a size (a number with an optional KiB, MiB, GiB, K, M, G, "
		         "KB, MB, GB suffix)",
		         v->shown);
		return rc;
	}
	if (rc || n < o->min || n > o->max) {
		snprintf(msg, msgsize, "'%s' is out of range (from %s to %s)", v->shown,
		         config_fmt_size(o->min, true, lo, sizeof(lo)),
		         config_fmt_size(o->max, true, hi, sizeof(hi)));
		return -EINVAL;
	}
	*(uint64_t *)field(c, o) = n;
	return 0;
}

static int apply_duration(struct agent_config *c, const struct opt *o, const struct value *v, char *msg,
                          size_t msgsize)
{
	uint64_t n = 0;
	int rc = parse_scaled(v->s, v->len, duration_units, ARRAY_SIZE(duration_units), &n);

	if (rc == -EINVAL) {
		snprintf(msg, msgsize,
		         "'%s' is not a duration (seconds, or a number with an s, m or h suffix)", v->shown);
		return rc;
	}
	if (rc || n < o->min || n > o->max) {
		snprintf(msg, msgsize, "'%s' is out of range (from %llu to %llu seconds)", v->shown,
		         (unsigned long long)o->min, (unsigned long long)o->max);
		return -EINVAL;
	}
	*(uint32_t *)field(c, o) = (uint32_t)n;
	return 0;
}

static int apply_uint(struct agent_config *c, const struct opt *o, const struct value *v, char *msg,
                      size_t msgsize)
{
	uint64_t n = 0;
	int rc = parse_uint(v->s, v->len, &n);

	if (rc || n < o->min || n > o->max) {
		snprintf(msg, msgsize, "'%s' is %s (from %llu to %llu)", v->shown,
		         rc == -EINVAL ? "not a whole number" : "out of range", (unsigned long long)o->min,
		         (unsigned long long)o->max);
		return -EINVAL;
	}
	*(uint32_t *)field(c, o) = (uint32_t)n;
	return 0;
}

static int apply_pow2(struct agent_config *c, const struct opt *o, const struct value *v, char *msg,
                      size_t msgsize)
{
	uint64_t n = 0;

	if (parse_uint(v->s, v->len, &n) || n < o->min || n > o->max || (n & (n - 1))) {
		snprintf(msg, msgsize, "'%s' is not a power of two from %llu to %llu", v->shown,
		         (unsigned long long)o->min, (unsigned long long)o->max);
		return -EINVAL;
	}
	*(uint32_t *)field(c, o) = (uint32_t)n;
	return 0;
}

static int apply_bool(struct agent_config *c, const struct opt *o, const struct value *v, char *msg,
                      size_t msgsize)
{
	bool b;

	if (!is_bool(v->s, v->len, &b)) {
		snprintf(msg, msgsize, "'%s' is not a boolean (true, false, yes, no, on or off)", v->shown);
		return -EINVAL;
	}
	*(bool *)field(c, o) = b;
	return 0;
}

static int apply_alert_output(struct agent_config *c, const struct opt *o, const struct value *v, char *msg,
                              size_t msgsize)
{
	for (size_t i = 0; i < ARRAY_SIZE(alert_outputs); i++) {
		if (strlen(alert_outputs[i]) == v->len && !strncasecmp(v->s, alert_outputs[i], v->len)) {
			*(enum agent_alert_output *)field(c, o) = (enum agent_alert_output)i;
			return 0;
		}
	}
	snprintf(msg, msgsize, "'%s' is not an alert output (stdout, file or syslog)", v->shown);
	return -EINVAL;
}

/* By enum opt_kind; NULL for the kinds that take no single value (a section, a list). */
static const value_applier value_appliers[] = {
	[OPT_PATH] = apply_path,
	[OPT_PATH_OR_NULL] = apply_path_or_null,
	[OPT_LISTEN] = apply_listen,
	[OPT_HOST] = apply_host,
	[OPT_NAMESPACES] = apply_namespaces,
	[OPT_REGEX] = apply_checked,
	[OPT_K8S_NAMESPACES] = apply_checked,
	[OPT_BPF] = apply_checked,
	[OPT_IFACES] = apply_checked,
	[OPT_PREFIXES] = apply_checked,
	[OPT_SIZE] = apply_size,
	[OPT_DURATION] = apply_duration,
	[OPT_UINT] = apply_uint,
	[OPT_POW2] = apply_pow2,
	[OPT_BOOL] = apply_bool,
	[OPT_ALERT_OUTPUT] = apply_alert_output,
};

/*
 * Parse v (len bytes; plain: an unquoted YAML scalar, where ~ and null mean
 * null) for o and store it in c. On error write what is wrong to msg, without
 * the key, and return -EINVAL, leaving c as it was.
 */
int config_apply_value(struct agent_config *c, const struct opt *o, const char *v, size_t len, bool plain,
                       char *msg, size_t msgsize)
{
	char sh[64];
	const struct value value = { v, len, plain, config_shown(sh, sizeof(sh), v, len) };

	if ((size_t)o->kind < ARRAY_SIZE(value_appliers) && value_appliers[o->kind])
		return value_appliers[o->kind](c, o, &value, msg, msgsize);
	snprintf(msg, msgsize, "takes no single value");
	return -EINVAL;
}

/* ---- the configuration ---- */

void agent_config_defaults(struct agent_config *c)
{
	memset(c, 0, sizeof(*c));
	c->data_dir = xstrdup("/var/lib/sysrec");
	c->listen = xstrdup("127.0.0.1:7070");
	c->http_max_connections = 256;
	c->http_max_per_ip = 64;
	c->http_header_timeout = 10;
	c->max_memory = 256 * MiB;
	c->seconds = 30;
	c->ring_mb = 16;
	c->snaplen = 80;
	c->captures_enabled = true;
	c->max_outstanding = 1;
	c->retention_days = 90;
	c->docker_socket = xstrdup(RT_DOCKER_SOCK);
	c->podman_socket = xstrdup(RT_PODMAN_SOCK);
	c->containerd_socket = xstrdup(RT_CONTAINERD_SOCK);
	c->containerd_namespaces = xstrdup(RT_CONTAINERD_NAMESPACES);
	c->packets_snaplen = 65535;
	c->packets_memory = 64 * MiB;
	c->artifacts_memory = 64 * MiB;
	c->pcapdump.max_time = 3600;
	c->pcapdump.max_size = 50 * 1000 * 1000;
}

unsigned agent_config_artifacts(const struct agent_config *c)
{
	return (c->artifacts_write ? ENGINE_ART_WRITE : 0) | (c->artifacts_exec ? ENGINE_ART_EXEC : 0) |
	       (c->artifacts_mem ? ENGINE_ART_MEM : 0) | (c->artifacts_module ? ENGINE_ART_MODULE : 0);
}

void config_free_list(char **list, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(list[i]);
	free(list);
}

void agent_config_release(struct agent_config *c)
{
	free(c->data_dir);
	free(c->listen);
	free(c->tls_cert);
	free(c->tls_key);
	free(c->host_name);
	config_free_list(c->rules_files, c->nrules_files);
	free(c->alerts_file);
	free(c->docker_socket);
	free(c->podman_socket);
	free(c->containerd_socket);
	free(c->containerd_namespaces);
	agent_pcapdump_cfg_release(&c->pcapdump);
	free(c->packets_ifaces);
	free(c->packets_filter);
	free(c->artifacts_write);
	memset(c, 0, sizeof(*c));
}

static char *dup_or_null(const char *s)
{
	return s ? xstrdup(s) : NULL;
}

void agent_pcapdump_cfg_copy(struct agent_pcapdump_cfg *dst, const struct agent_pcapdump_cfg *src)
{
	*dst = *src;
	dst->regex = dup_or_null(src->regex);
	dst->namespaces = dup_or_null(src->namespaces);
	dst->excluded = dup_or_null(src->excluded);
	dst->bpf = dup_or_null(src->bpf);
}

void agent_pcapdump_cfg_release(struct agent_pcapdump_cfg *p)
{
	free(p->regex);
	free(p->namespaces);
	free(p->excluded);
	free(p->bpf);
	memset(p, 0, sizeof(*p));
}

/* A deep copy of src in dst (whose contents are not freed). */
void config_copy(struct agent_config *dst, const struct agent_config *src)
{
	*dst = *src;
	dst->data_dir = dup_or_null(src->data_dir);
	dst->listen = dup_or_null(src->listen);
	dst->tls_cert = dup_or_null(src->tls_cert);
	dst->tls_key = dup_or_null(src->tls_key);
	dst->host_name = dup_or_null(src->host_name);
	dst->alerts_file = dup_or_null(src->alerts_file);
	dst->docker_socket = dup_or_null(src->docker_socket);
	dst->podman_socket = dup_or_null(src->podman_socket);
	dst->containerd_socket = dup_or_null(src->containerd_socket);
	dst->containerd_namespaces = dup_or_null(src->containerd_namespaces);
	agent_pcapdump_cfg_copy(&dst->pcapdump, &src->pcapdump);
	dst->packets_ifaces = dup_or_null(src->packets_ifaces);
	dst->packets_filter = dup_or_null(src->packets_filter);
	dst->artifacts_write = dup_or_null(src->artifacts_write);
	dst->rules_files = src->nrules_files ? xcalloc(src->nrules_files, sizeof(char *)) : NULL;
	for (size_t i = 0; i < src->nrules_files; i++)
		dst->rules_files[i] = xstrdup(src->rules_files[i]);
}

int agent_config_set(struct agent_config *c, const char *key, const char *value, struct err *e)
{
	const struct opt *o = opt_by_key(key);
	char msg[400], sh[64];
	size_t len;

	if (!o) {
		/* the keys of its section when that is one, else the sections and top-level keys */
		const char *dot = strrchr(key, '.');
		const struct opt *sec = NULL;

		if (dot) {
			char name[64];

			snprintf(name, sizeof(name), "%.*s", (int)(dot - key), key);
			sec = opt_by_key(name);
			if (sec && sec->kind != OPT_SECTION)
				sec = NULL;
		}
		return err_set(e, -EINVAL, "unknown key '%s' (expected one of: %s)",
		               config_shown(sh, sizeof(sh), key, strlen(key)),
		               config_opt_list(sec, sec != NULL, msg, sizeof(msg)));
	}
	if (o->kind == OPT_SECTION)
		return err_set(e, -EINVAL, "'%s' is a section: set one of its keys (%s)", o->key,
		               config_opt_list(o, true, msg, sizeof(msg)));
	if (!value)
		return err_set(e, -EINVAL, "%s: needs a value", o->key);
	len = strlen(value);
	if (o->kind == OPT_PATH_LIST) {
		const char *problem = config_path_problem(value, len);

		if (!len) {
			config_free_list(c->rules_files, c->nrules_files);
			c->rules_files = NULL;
			c->nrules_files = 0;
			return 0;
		}
		if (problem)
			return err_set(e, -EINVAL, "%s: %s", o->key, problem);
		c->rules_files = xrealloc(c->rules_files, (c->nrules_files + 1) * sizeof(char *));
		c->rules_files[c->nrules_files++] = xstrdup(value);
		return 0;
	}
	if (config_apply_value(c, o, value, len, false, msg, sizeof(msg)))
		return err_set(e, -EINVAL, "%s: %s", o->key, msg);
	return 0;
}

int agent_config_check(const struct agent_config *c, struct err *e)
{
	char sz[32], sz2[32];

	if (!c->data_dir || !*c->data_dir)
		return err_set(e, -EINVAL, "data: no data directory is set");
	if (!c->listen || !*c->listen)
		return err_set(e, -EINVAL, "listen: no address is set");
	if (c->tls_cert && !c->tls_key)
		return err_set(e, -EINVAL,
		               "tls.cert is set but tls.key is not: give both (HTTPS) or neither (HTTP)");
	if (c->tls_key && !c->tls_cert)
		return err_set(e, -EINVAL,
		               "tls.key is set but tls.cert is not: give both (HTTPS) or neither (HTTP)");
	if ((uint64_t)c->ring_mb * MiB > c->max_memory)
		return err_set(e, -EINVAL,
		               "recorder.ring_mb (%u MiB) is larger than recorder.max_memory (%s)",
		               (unsigned)c->ring_mb, config_fmt_size(c->max_memory, true, sz, sizeof(sz)));
	if (c->packets_enabled && c->packets_memory > c->max_memory / 2)
		return err_set(e, -EINVAL,
		               "packets.max_memory (%s) is more than half of recorder.max_memory (%s): the "
		               "events need the rest",
		               config_fmt_size(c->packets_memory, true, sz, sizeof(sz)),
		               config_fmt_size(c->max_memory, true, sz2, sizeof(sz2)));
	if (agent_config_artifacts(c) &&
	    c->artifacts_memory + (c->packets_enabled ? c->packets_memory : 0) > c->max_memory / 2)
		return err_set(
		        e, -EINVAL,
		        "artifacts.max_memory (%s)%s is more than half of recorder.max_memory (%s): the "
		        "events need the rest",
		        config_fmt_size(c->artifacts_memory, true, sz, sizeof(sz)),
		        c->packets_enabled ? " with packets.max_memory" : "",
		        config_fmt_size(c->max_memory, true, sz2, sizeof(sz2)));
	if (c->alerts_output == AGENT_ALERTS_FILE && !c->alerts_file)
		return err_set(e, -EINVAL, "alerts.output is file but alerts.file is not set: give the file");
	return 0;
}
/* ---- the dump ---- */

/* s as a YAML double-quoted scalar that libyaml reads back byte for byte. */
static void put_quoted(struct sbuf *b, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t left = strlen(s);

	sbuf_putc(b, '"');
	while (left) {
		uint32_t cp = 0xFFFD;
		size_t n = utf8_decode(p, left, &cp);

		if (!n) /* not UTF-8 (the loader and agent_config_set refuse it) */
			n = 1, cp = 0xFFFD;
		if (cp == '"' || cp == '\\') {
			sbuf_putc(b, '\\');
			sbuf_putc(b, (char)cp);
		} else if (cp < 0x20 || (cp >= 0x7f && cp <= 0x9f) || cp == 0x2028 || cp == 0x2029 ||
		           cp == 0xFEFF || cp == 0xFFFD || cp == 0xFFFE || cp == 0xFFFF) {
			sbuf_printf(b, "\\u%04X",
			            (unsigned)cp); /* breaks, controls, BOM and what YAML may not hold */
		} else {
			sbuf_put(b, p, n);
		}
		p += n;
		left -= n;
	}
	sbuf_putc(b, '"');
}

char *agent_config_dump(const struct agent_config *c)
{
	struct sbuf b = { 0 };
	char sz[32];

	sbuf_puts(&b, "# sysrec agent configuration: the effective values (sysrec agent --print-config)\n");
	for (size_t i = 0; i < ARRAY_SIZE(config_opts); i++) {
		const struct opt *o = &config_opts[i];
		const char *s;

		sbuf_printf(&b, "%s%s:", strchr(o->key, '.') ? "  " : "", opt_name(o));
		switch (o->kind) {
		case OPT_SECTION:
			break;
		case OPT_PATH:
		case OPT_PATH_OR_NULL:
		case OPT_LISTEN:
		case OPT_HOST:
		case OPT_NAMESPACES:
		case OPT_REGEX:
		case OPT_K8S_NAMESPACES:
		case OPT_BPF:
		case OPT_IFACES:
		case OPT_PREFIXES:
			s = *(char *const *)cfield(c, o);
			sbuf_putc(&b, ' ');
			if (s)
				put_quoted(&b, s);
			else
				sbuf_puts(&b, "null");
			break;
		case OPT_SIZE:
			sbuf_printf(&b, " %s",
			            config_fmt_size(*(const uint64_t *)cfield(c, o), false, sz, sizeof(sz)));
			break;
		case OPT_DURATION:
		case OPT_UINT:
		case OPT_POW2:
			sbuf_printf(&b, " %u", (unsigned)*(const uint32_t *)cfield(c, o));
			break;
		case OPT_BOOL:
			sbuf_puts(&b, *(const bool *)cfield(c, o) ? " true" : " false");
			break;
		case OPT_ALERT_OUTPUT:
			sbuf_printf(&b, " %s", alert_outputs[*(const enum agent_alert_output *)cfield(c, o)]);
			break;
		case OPT_PATH_LIST:
			if (!c->nrules_files)
				sbuf_puts(&b, " []");
			for (size_t j = 0; j < c->nrules_files; j++) {
				sbuf_puts(&b, "\n  - ");
				put_quoted(&b, c->rules_files[j]);
			}
			break;
		}
		sbuf_putc(&b, '\n');
	}
	sbuf_cstr(&b);
	return b.data;
}
