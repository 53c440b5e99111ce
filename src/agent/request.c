/* request: the API's request checks, apart from the network (see request.h). */
#include "request.h"
#include "../engine/engine.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

static int refuse_field(struct req_error *re, unsigned status, const char *field, const char *fmt, ...)
        PRINTF_LIKE(4, 5);

/* re is status and the message, about member field (NULL: the request as a whole). */
static int refuse_field(struct req_error *re, unsigned status, const char *field, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(re->msg, sizeof(re->msg), fmt, ap);
	va_end(ap);
	re->status = status;
	re->field = field;
	return -1;
}

#define refuse(re, status, ...) refuse_field(re, status, NULL, __VA_ARGS__)

json_t *request_object(const char *body, size_t len, struct req_error *re)
{
	json_error_t je;
	json_t *j;

	if (!len) {
		refuse(re, 400, "the request needs a JSON object as its body");
		return NULL;
	}
	j = json_loadb(body, len, JSON_REJECT_DUPLICATES, &je);
	if (!j) {
		refuse(re, 400, "the body is not JSON: %s at line %d, column %d", je.text, je.line,
		       je.column);
		return NULL;
	}
	if (!json_is_object(j)) {
		json_decref(j);
		refuse(re, 400, "the body must be a JSON object");
		return NULL;
	}
	return j;
}

/* A member that must be a string if present: its text, "" when absent, NULL (and a 400) otherwise. */
static const char *opt_string(json_t *body, const char *key, size_t max, struct req_error *re)
{
	json_t *v = json_object_get(body, key);

	if (!v || json_is_null(v))
		return "";
	if (!json_is_string(v)) {
		refuse_field(re, 400, key, "%s must be a string", key);
		return NULL;
	}
	if (json_string_length(v) > max || strlen(json_string_value(v)) != json_string_length(v)) {
		refuse_field(re, 400, key, "%s must be a string of at most %zu bytes, without NUL", key, max);
		return NULL;
	}
	return json_string_value(v);
}

/* A member that must be a number of seconds if present (*v unchanged when absent); -1 with a 400. */
static int opt_seconds(json_t *body, const char *key, double lo, double hi, double *v, bool *given,
                       struct req_error *re)
{
	json_t *j = json_object_get(body, key);

	*given = false;
	if (!j || json_is_null(j))
		return 0;
	if (!json_is_number(j) || json_number_value(j) < lo || json_number_value(j) > hi)
		return refuse_field(re, 400, key, "%s must be a number of seconds from %g to %g", key, lo,
		                    hi);
	*v = json_number_value(j);
	*given = true;
	return 0;
}

bool request_char_unshown(uint32_t cp)
{
	return cp < 0x20 || (cp >= 0x7f && cp <= 0x9f) || cp == 0x2028 || cp == 0x2029 || cp == 0x061c ||
	       cp == 0x200e || cp == 0x200f || (cp >= 0x202a && cp <= 0x202e) ||
	       (cp >= 0x2066 && cp <= 0x2069);
}

bool request_name_valid(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t left = strlen(s), n;
	uint32_t cp;

	if (!left || !strcmp(s, ".") || !strcmp(s, ".."))
		return false;
	for (; left; p += n, left -= n)
		if (!(n = utf8_decode(p, left, &cp)) || request_char_unshown(cp) || cp == '/' || cp == '\\')
			return false;
	return true;
}

/* The bytes request_shown() writes for s, uncut. */
static size_t shown_len(const unsigned char *p, size_t left)
{
	size_t total = 0, n;
	uint32_t cp;

	for (; left; p += n, left -= n) {
		n = utf8_decode(p, left, &cp);
		if (!n)
			total += 4, n = 1;
		else
			total += request_char_unshown(cp) ? 4 * n : n;
	}
	return total;
}

void request_shown(char *out, size_t size, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	const unsigned char *p = (const unsigned char *)s;
	size_t left = strlen(s), o = 0, n;
	size_t room = shown_len(p, left) <= size - 1 ? size - 1 : size - 4; /* less "..." when cut */
	uint32_t cp;

	for (; left; p += n, left -= n) {
		bool escape;

		n = utf8_decode(p, left, &cp);
		escape = !n || request_char_unshown(cp);
		if (!n)
			n = 1; /* a byte that is not UTF-8: escaped alone */
		if (o + (escape ? 4 * n : n) > room) {
			memcpy(out + o, "...", 3);
			o += 3;
			break;
		}
		for (size_t i = 0; i < n; i++) {
			if (escape) {
				out[o++] = '\\';
				out[o++] = 'x';
				out[o++] = hex[p[i] >> 4];
				out[o++] = hex[p[i] & 15];
			} else {
				out[o++] = (char)p[i];
			}
		}
	}
	out[o] = 0;
}

static int hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

bool request_target_has_nul(const char *target)
{
	for (const char *p = target; *p; p++)
		if (p[0] == '%' && hex_value(p[1]) == 0 && hex_value(p[2]) == 0)
			return true;
	return false;
}

static bool valid_container(const char *s)
{
	size_t n = strlen(s);

	return n >= 12 && n <= 64 && strspn(s, "0123456789abcdef") == n;
}

/* A container name as Docker and podman allow one. */
static bool valid_container_name(const char *s)
{
	static const char ok[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-";

	return *s && strchr(ok, *s) && *s != '_' && *s != '.' && *s != '-' && strspn(s, ok) == strlen(s);
}

/* A capture's artifacts: absent, null or true (those kept: -1), false (0), an array of kinds; -2 for else. */
static int request_artifacts(const json_t *v)
{
	const json_t *k;
	size_t i;
	int kinds = 0;

	if (!v || json_is_null(v) || json_is_true(v))
		return -1;
	if (json_is_false(v))
		return 0;
	if (!json_is_array(v))
		return -2;
	json_array_foreach(v, i, k)
	{
		uint32_t f =
		        json_is_string(k) ? engine_art_kind(json_string_value(k), json_string_length(k)) : 0;

		if (!f)
			return -2;
		kinds |= (int)f;
	}
	return kinds;
}

int request_take(json_t *body, struct agent_take *t, struct req_error *re)
{
	struct err e = { { 0 } };
	double duration = 5;
	bool has_d, has_b, has_a;
	json_t *fp;

	memset(t, 0, sizeof(*t));
	t->trigger = "manual";
	if (!json_is_string(json_object_get(body, "name")))
		return refuse_field(re, 400, "name", "name is required: a string of 1 to %d bytes",
		                    REQUEST_NAME_MAX);
	if (!(t->name = opt_string(body, "name", REQUEST_NAME_MAX, re)))
		return -1;
	if (!request_name_valid(t->name))
		return refuse_field(
		        re, 400, "name",
		        "name must be 1 to %d printable bytes, without '/', '\\' or control characters, "
		        "and not '.' or '..'",
		        REQUEST_NAME_MAX);
	if (!(t->container = opt_string(body, "container", 64, re)) ||
	    !(t->filter = opt_string(body, "filter", REQUEST_FILTER_MAX, re)) ||
	    !(t->storage = opt_string(body, "storage", 64, re)))
		return -1;
	if (*t->container && !valid_container(t->container) && !valid_container_name(t->container))
		return refuse_field(
		        re, 400, "container",
		        "container must be a container id (12 to 64 lowercase hex digits) or name "
		        "(letters, digits, '_', '.', '-', starting with a letter or digit)");
	t->container_is_name = *t->container && !valid_container(t->container);
	if (*t->container && !t->container_is_name) {
		memcpy(t->cont, t->container, 12);
		t->cont[12] = 0;
		t->container = t->cont;
	}
	if (*t->storage && strcmp(t->storage, "local") != 0)
		return refuse_field(re, 400, "storage",
		                    "storage '%s' is not configured on this agent (it has: local)",
		                    t->storage);
	fp = json_object_get(body, "packets");
	if (fp && !json_is_null(fp) && !json_is_boolean(fp))
		return refuse_field(re, 400, "packets", "packets must be true or false");
	t->packets = fp && !json_is_null(fp) ? json_is_true(fp) : -1;
	if ((t->artifacts = request_artifacts(json_object_get(body, "artifacts"))) == -2)
		return refuse_field(re, 400, "artifacts",
		                    "artifacts must be true, false or an array of kinds (write, exec, mem, "
		                    "module, bpf)");
	fp = json_object_get(body, "filter_proclist");
	if (fp && !json_is_null(fp) && !json_is_boolean(fp))
		return refuse_field(re, 400, "filter_proclist", "filter_proclist must be true or false");
	t->filter_proclist = json_is_true(fp);
	if (opt_seconds(body, "duration", 1, AGENT_MAX_WINDOW_S, &duration, &has_d, re) ||
	    opt_seconds(body, "before", 0, AGENT_MAX_WINDOW_S, &t->before, &has_b, re) ||
	    opt_seconds(body, "after", 0, AGENT_MAX_WINDOW_S, &t->after, &has_a, re))
		return -1;
	if (has_d && (has_b || has_a))
		return refuse_field(re, 400, "duration",
		                    "give either duration, or before and after, not both");
	if (!has_a)
		t->after = has_b ? 0 : duration;
	if (t->before + t->after < 1 || t->before + t->after > AGENT_MAX_WINDOW_S)
		return refuse_field(re, 400, has_d || !has_b ? "duration" : "before",
		                    "before + after must be from 1 to %g seconds", AGENT_MAX_WINDOW_S);
	if (*t->filter && capture_filter_check(t->filter, &e) != 0)
		return refuse_field(re, 400, "filter", "%s", e.msg);
	return 0;
}

int request_ids(json_t *body, json_t **ids, struct req_error *re)
{
	json_t *v;
	size_t i;

	*ids = json_object_get(body, "ids");
	if (!json_is_array(*ids) || !json_array_size(*ids) || json_array_size(*ids) > 1000)
		return refuse_field(re, 400, "ids", "ids must be an array of 1 to 1000 capture ids");
	json_array_foreach(*ids, i, v)
	{
		if (!json_is_string(v))
			return refuse_field(re, 400, "ids", "ids[%zu] must be a string", i);
	}
	return 0;
}

/* A decimal count from lo to hi (*v unchanged when s is NULL); false when it is not one. */
static bool parse_size(const char *s, size_t lo, size_t hi, size_t *v)
{
	char *end;
	unsigned long long x;

	if (!s)
		return true;
	errno = 0;
	x = strtoull(s, &end, 10);
	if (errno || end == s || *end || s[0] == '-' || x < lo || x > hi)
		return false;
	*v = (size_t)x;
	return true;
}

int request_list(request_arg_fn arg, void *ctx, struct catalog_query *q, struct req_error *re)
{
	static const struct {
		const char *name;
		enum catalog_filter f;
	} filters[] = {
		{ "ok", CATALOG_OK },
		{ "error", CATALOG_ERROR },
		{ "expiring", CATALOG_EXPIRING },
		{ "recording", CATALOG_RECORDING },
		{ "storing", CATALOG_STORING },
	};
	const char *status = arg(ctx, "status"), *order = arg(ctx, "order");

	q->search = arg(ctx, "search");
	q->sort = arg(ctx, "sort");
	q->limit = 100;
	if (status && *status) {
		size_t i;

		for (i = 0; i < ARRAY_SIZE(filters) && strcmp(filters[i].name, status) != 0; i++)
			;
		if (i == ARRAY_SIZE(filters))
			return refuse_field(
			        re, 400, "status",
			        "status must be one of ok, error, expiring, recording, storing; not '%s'",
			        status);
		q->filter = filters[i].f;
	}
	if (order && strcmp(order, "asc") != 0 && strcmp(order, "desc") != 0)
		return refuse_field(re, 400, "order", "order must be asc or desc, not '%s'", order);
	q->ascending = order && !strcmp(order, "asc");
	if (!parse_size(arg(ctx, "offset"), 0, SIZE_MAX / 2, &q->offset))
		return refuse_field(re, 400, "offset", "offset must be a number from 0");
	if (!parse_size(arg(ctx, "limit"), 1, 1000, &q->limit))
		return refuse_field(re, 400, "limit", "limit must be a number from 1 to 1000");
	return 0;
}

/* A decimal number of at most 19 digits at p: its value, end set past it; false when none. */
static bool range_number(const char *p, const char **end, uint64_t *v)
{
	size_t n = strspn(p, "0123456789");

	if (!n || n > 19)
		return false;
	*v = strtoull(p, NULL, 10);
	*end = p + n;
	return true;
}

int request_range(const char *h, uint64_t size, uint64_t *from, uint64_t *to)
{
	uint64_t a, b;
	const char *p;

	if (!h || strncasecmp(h, "bytes=", 6) != 0)
		return 0; /* no range, or a unit we do not serve: the whole file */
	p = h + 6;
	if (*p == '-') { /* the last b bytes */
		if (!range_number(p + 1, &p, &b) || *p || b == 0 || size == 0)
			return -1;
		*from = b >= size ? 0 : size - b;
		*to = size - 1;
		return 1;
	}
	if (!range_number(p, &p, &a) || *p++ != '-' || a >= size)
		return -1;
	if (*p) {
		if (!range_number(p, &p, &b) || *p || b < a)
			return -1;
	} else {
		b = size - 1;
	}
	*from = a;
	*to = b >= size ? size - 1 : b;
	return 1;
}

bool request_route(const char *pattern, const char *url, char *id, size_t idsize)
{
	const char *p = pattern, *u = url;

	while (*p && *u) {
		if (*p == '*') {
			size_t n = strcspn(u, "/");

			if (!n || n >= idsize)
				return false;
			memcpy(id, u, n);
			id[n] = 0;
			u += n;
			p++;
			continue;
		}
		if (*p++ != *u++)
			return false;
	}
	return !*p && !*u;
}

int request_link_new(struct request_links *l, const char *id, const uint8_t rnd[32], uint64_t now_ns,
                     char nonce[REQUEST_LINK_HEX + 1])
{
	struct request_link *free_slot = NULL;

	if (strlen(id) >= sizeof(l->slot[0].id))
		return -EINVAL;
	for (size_t i = 0; i < REQUEST_LINKS; i++) {
		struct request_link *k = &l->slot[i];

		if (k->nonce[0] && k->expires_ns <= now_ns)
			memset(k, 0, sizeof(*k));
		if (!k->nonce[0] && !free_slot)
			free_slot = k;
	}
	if (!free_slot)
		return -EAGAIN;
	for (size_t i = 0; i < 32; i++)
		snprintf(nonce + 2 * i, 3, "%02x", rnd[i]);
	memcpy(free_slot->nonce, nonce, sizeof(free_slot->nonce));
	snprintf(free_slot->id, sizeof(free_slot->id), "%s", id);
	free_slot->expires_ns = now_ns + (uint64_t)REQUEST_LINK_TTL_S * 1000000000u;
	return 0;
}

/* Whether a and b (REQUEST_LINK_HEX bytes each) are equal, in a time that does not tell where they differ. */
static bool same_nonce(const char *a, const char *b)
{
	unsigned char d = 0;

	for (size_t i = 0; i < REQUEST_LINK_HEX; i++)
		d |= (unsigned char)(a[i] ^ b[i]);
	return d == 0;
}

int request_link_take(struct request_links *l, const char *url, uint64_t now_ns, char id[64])
{
	const char *n;

	if (strncmp(url, "/dl/", 4) != 0)
		return -ENOENT;
	n = url + 4;
	if (strlen(n) != REQUEST_LINK_HEX || strspn(n, "0123456789abcdef") != REQUEST_LINK_HEX)
		return -ENOENT;
	for (size_t i = 0; i < REQUEST_LINKS; i++) {
		struct request_link *k = &l->slot[i];
		bool live;

		if (!k->nonce[0] || !same_nonce(k->nonce, n))
			continue;
		live = k->expires_ns > now_ns;
		if (live)
			memcpy(id, k->id, sizeof(k->id));
		memset(k, 0, sizeof(*k)); /* used up, or expired: either way gone */
		return live ? 0 : -ENOENT;
	}
	return -ENOENT;
}

/* ---- pcapdump ---- */

static const char *const pcapdump_members[] = {
	"enabled", "maxTime", "maxSize", "regex", "namespaces", "excludedNamespaces", "bpfOverride",
};

/* A member's value as the configuration's text: NULL (with re set) when it cannot be one. */
static char *member_text(const char *key, json_t *v, struct req_error *re)
{
	struct sbuf b = { 0 };

	if (json_is_string(v))
		return xstrndup(json_string_value(v), json_string_length(v));
	if (json_is_null(v))
		return xstrdup("");
	if (json_is_boolean(v))
		return xstrdup(json_is_true(v) ? "true" : "false");
	if (json_is_integer(v)) {
		char n[32];

		snprintf(n, sizeof(n), "%lld", (long long)json_integer_value(v));
		return xstrdup(n);
	}
	if (json_is_array(v) && (!strcmp(key, "namespaces") || !strcmp(key, "excludedNamespaces"))) {
		size_t i;
		json_t *item;

		json_array_foreach(v, i, item)
		{
			if (!json_is_string(item)) {
				sbuf_release(&b);
				refuse_field(re, 400, key, "%s must be a list of namespace names (strings)",
				             key);
				return NULL;
			}
			if (i)
				sbuf_putc(&b, ',');
			sbuf_put(&b, json_string_value(item), json_string_length(item));
		}
		sbuf_cstr(&b);
		return b.data ? b.data : xstrdup("");
	}
	refuse_field(re, 400, key, "%s must be a string%s", key,
	             !strcmp(key, "enabled") ? " or a boolean" : "");
	return NULL;
}

int request_pcapdump(json_t *body, struct agent_config *c, struct req_error *re)
{
	const char *key;
	json_t *v;

	if (!json_object_size(body))
		return refuse(re, 400,
		              "name at least one setting: enabled, maxTime, maxSize, regex, namespaces, "
		              "excludedNamespaces or bpfOverride");
	json_object_foreach(body, key, v)
	{
		struct err e = { { 0 } };
		char dotted[64], *text;
		bool known = false;
		int rc;

		for (size_t i = 0; i < ARRAY_SIZE(pcapdump_members); i++)
			known = known || !strcmp(key, pcapdump_members[i]);
		if (!known)
			return refuse_field(
			        re, 400, key,
			        "unknown setting '%.64s' (expected one of: enabled, maxTime, maxSize, "
			        "regex, namespaces, excludedNamespaces, bpfOverride)",
			        key);
		if (!(text = member_text(key, v, re)))
			return -1;
		snprintf(dotted, sizeof(dotted), "pcapdump.%s", key);
		/* the body was parsed without NULs in strings (request_object) */
		rc = agent_config_set(c, dotted, text, &e);
		free(text);
		if (rc)
			return refuse_field(re, 400, key, "%s", e.msg);
	}
	return 0;
}

/* Digits after a '.' at *p as nanoseconds (more than 9 are cut), *p moved past them. */
static uint64_t fraction_ns(const char **p)
{
	uint64_t ns = 0;
	int k = 0;

	if (**p != '.')
		return 0;
	for ((*p)++; **p >= '0' && **p <= '9'; (*p)++)
		if (k < 9) {
			ns = ns * 10 + (uint64_t)(**p - '0');
			k++;
		}
	for (; k < 9; k++)
		ns *= 10;
	return ns;
}

int request_time(const char *s, const char *field, uint64_t *ns, struct req_error *re)
{
	struct tm tm;
	const char *end;
	uint64_t sec = 0, frac;

	memset(&tm, 0, sizeof(tm));
	if ((end = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm)) != NULL) {
		time_t t = timegm(&tm);

		frac = fraction_ns(&end);
		if (t < 0 || (strcmp(end, "Z") != 0 && strcmp(end, "+00:00") != 0))
			return refuse_field(re, 400, field,
			                    "%s '%.64s' is not a UTC time (like 2026-12-05T19:30:00Z)", field,
			                    s);
		*ns = (uint64_t)t * 1000000000ULL + frac;
		return 0;
	}
	for (end = s; *end >= '0' && *end <= '9' && sec <= 10000000000ULL; end++)
		sec = sec * 10 + (uint64_t)(*end - '0');
	frac = end == s ? 0 : fraction_ns(&end);
	if (end == s || *end || sec > 10000000000ULL)
		return refuse_field(re, 400, field,
		                    "%s '%.64s' is not a time: epoch seconds (not negative) or RFC 3339 "
		                    "(2026-12-05T19:30:00Z)",
		                    field, s);
	*ns = sec * 1000000000ULL + frac;
	return 0;
}
