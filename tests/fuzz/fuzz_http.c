/*
 * fuzz_http: libFuzzer target for what the agent's HTTP API reads from a
 * request (src/agent/request.c): JSON bodies through jansson, the take and
 * delete-many members, the list query, a Range header and the route paths.
 *
 * The first byte picks the part (its low three bits); the rest is its input:
 *   0: a POST /api/captures body (request_object, request_take, request_ids),
 *      also as a PUT /api/pcapdump body (request_pcapdump);
 *   1: eight bytes of file size (little-endian), then a Range header;
 *   2: a query string "k=v&k=v" for request_list, each value as a time (request_time);
 *   3, 7: a URL path, matched against every route pattern;
 *   4: a byte of buffer size, then text that replies echo (request_shown) and
 *      a capture name (request_name_valid);
 *   5: a raw request target, checked for %00 (request_target_has_nul);
 *   6: a download link's path (request_link_take) against a table of links.
 * What each accepts must hold the API's promises (below); a refusal must be a
 * 400 or 416 with a message. Anything else aborts; crashes, leaks, hangs and
 * UB are bugs.
 *
 * Build: make build/fuzz/fuzz_http; run: make fuzz-http.
 */
#include "../../src/agent/request.h"
#include "../../src/pcap/pcap.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(c)                                                                           \
	do {                                                                               \
		if (!(c)) {                                                                \
			fprintf(stderr, "fuzz_http: %s:%d: %s\n", __FILE__, __LINE__, #c); \
			abort();                                                           \
		}                                                                          \
	} while (0)

static void refusal_ok(const struct req_error *re, unsigned status)
{
	CHECK(re->status == status);
	CHECK(re->msg[0] != 0);
}

/* The body as pcapdump's settings: taken within their bounds, or a 400 naming the member at fault. */
static void pcapdump_settings(json_t *j)
{
	struct req_error re = { 0 };
	struct agent_config c;

	agent_config_defaults(&c);
	if (request_pcapdump(j, &c, &re) == 0) {
		CHECK(json_object_size(j) > 0);
		CHECK(c.pcapdump.max_size >= (1u << 20) && c.pcapdump.max_size <= (1ull << 40));
		CHECK(c.pcapdump.max_time >= 1 && c.pcapdump.max_time <= 30 * 86400);
		CHECK(!c.pcapdump.bpf || pcap_filter_check(c.pcapdump.bpf, NULL) == 0);
	} else {
		refusal_ok(&re, 400);
		CHECK(re.field || json_object_size(j) == 0);
	}
	agent_config_release(&c);
}

static void body(const char *p, size_t n)
{
	struct req_error re = { 0 };
	struct agent_take t;
	json_t *j = request_object(p, n, &re), *ids;

	if (!j) {
		refusal_ok(&re, 400);
		return;
	}
	if (request_take(j, &t, &re) == 0) {
		size_t len = strlen(t.name);

		CHECK(len >= 1 && len <= REQUEST_NAME_MAX);
		CHECK(!strchr(t.name, '/') && !strchr(t.name, '\\') && strcmp(t.name, "..") != 0);
		CHECK(t.before >= 0 && t.after >= 0);
		CHECK(t.before + t.after >= 1 && t.before + t.after <= AGENT_MAX_WINDOW_S);
		/* none, an id's 12 digits, or a name (letters, digits, '_', '.', '-', not first) */
		CHECK(!*t.container ||
		      (!t.container_is_name && strlen(t.container) == 12 &&
		       strspn(t.container, "0123456789abcdef") == 12) ||
		      (t.container_is_name && strlen(t.container) <= 64 &&
		       strspn(t.container,
		              "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-") ==
		               strlen(t.container) &&
		       !strchr("_.-", t.container[0])));
		CHECK(!*t.storage || !strcmp(t.storage, "local"));
		CHECK(strlen(t.filter) <= REQUEST_FILTER_MAX);
	} else {
		refusal_ok(&re, 400);
	}
	if (request_ids(j, &ids, &re) == 0) {
		CHECK(json_array_size(ids) >= 1 && json_array_size(ids) <= 1000);
		for (size_t i = 0; i < json_array_size(ids); i++)
			CHECK(json_is_string(json_array_get(ids, i)));
	} else {
		refusal_ok(&re, 400);
	}
	pcapdump_settings(j);
	json_decref(j);
}

static void range(const uint8_t *p, size_t n)
{
	uint64_t size = 0, from = 0, to = 0;
	char *h;
	int rc;

	if (n < 8)
		return;
	memcpy(&size, p, 8);
	size %= 1ULL << 62;
	h = strndup((const char *)p + 8, n - 8);
	rc = request_range(h, size, &from, &to);
	CHECK(rc == 1 || rc == -1 || (rc == 0 && strncasecmp(h, "bytes=", 6) != 0));
	if (rc == 1)
		CHECK(from <= to && to < size);
	free(h);
	CHECK(request_range(NULL, size, &from, &to) == 0);
}

struct args {
	char *k[16], *v[16];
	size_t n;
};

static const char *arg(void *ctx, const char *key)
{
	const struct args *a = ctx;

	for (size_t i = 0; i < a->n; i++)
		if (!strcmp(a->k[i], key))
			return a->v[i];
	return NULL;
}

static void query(const char *p, size_t n)
{
	char *s = strndup(p, n), *save = NULL, *kv;
	struct args a = { 0 };
	struct catalog_query q = { 0 };
	struct req_error re = { 0 };

	for (kv = strtok_r(s, "&", &save); kv && a.n < 16; kv = strtok_r(NULL, "&", &save)) {
		char *eq = strchr(kv, '=');

		if (eq)
			*eq++ = 0;
		a.k[a.n] = kv;
		a.v[a.n++] = eq ? eq : (char *)"";
	}
	if (request_list(arg, &a, &q, &re) == 0) {
		CHECK(q.limit >= 1 && q.limit <= 1000);
		CHECK(q.offset <= SIZE_MAX / 2);
	} else {
		refusal_ok(&re, 400);
	}
	for (size_t i = 0; i < a.n; i++) {
		uint64_t ns = 0;

		memset(&re, 0, sizeof(re));
		if (request_time(a.v[i], "since", &ns, &re) != 0) {
			refusal_ok(&re, 400);
			CHECK(re.field && !strcmp(re.field, "since"));
		}
	}
	free(s);
}

static void route(const char *p, size_t n)
{
	static const char *const patterns[] = { "/api/captures",        "/api/captures/delete",
		                                "/api/captures/*",      "/api/captures/*/download",
		                                "/api/captures/*/keep", "/metrics" };
	char *url = strndup(p, n), id[64];

	for (size_t i = 0; i < sizeof(patterns) / sizeof(patterns[0]); i++) {
		memset(id, 'x', sizeof(id));
		if (request_route(patterns[i], url, id, sizeof(id)) && strchr(patterns[i], '*')) {
			size_t len = strnlen(id, sizeof(id));

			CHECK(len >= 1 && len < sizeof(id));
			CHECK(!strchr(id, '/'));
			CHECK(strstr(url, id) != NULL);
		}
	}
	free(url);
}

/* Whether s is UTF-8 without a character request_char_unshown() names. */
static bool shown_clean(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t left = strlen(s), n;
	uint32_t cp;

	for (; left; p += n, left -= n)
		if (!(n = utf8_decode(p, left, &cp)) || request_char_unshown(cp))
			return false;
	return true;
}

static void text(const uint8_t *p, size_t n)
{
	size_t outsize;
	char *s, *out;
	json_t *j;

	if (n < 1)
		return;
	outsize = 4 + p[0];
	s = strndup((const char *)p + 1, n - 1);
	out = malloc(outsize);
	request_shown(out, outsize, s);
	CHECK(strlen(out) < outsize);
	CHECK(shown_clean(out));
	CHECK((j = json_string(out)) != NULL); /* a reply can always hold it */
	json_decref(j);
	if (strlen(out) < 3 || strcmp(out + strlen(out) - 3, "...") != 0)
		CHECK(strlen(out) >= strlen(s)); /* not cut: nothing dropped */
	if (request_name_valid(s))
		CHECK(shown_clean(s) && !strchr(s, '/') && !strchr(s, '\\') && strcmp(s, "..") != 0);
	free(out);
	free(s);
}

/* The target percent-decoded as a server does (%XX only): whether a NUL comes out. */
static bool decodes_to_nul(const char *t)
{
	for (const char *p = t; *p; p++) {
		unsigned v;

		if (p[0] == '%' && p[1] && p[2] && sscanf(p + 1, "%2x", &v) == 1 &&
		    strspn(p + 1, "0123456789abcdefABCDEF") >= 2) {
			if (v == 0)
				return true;
			p += 2;
		}
	}
	return false;
}

static void target(const char *p, size_t n)
{
	char *t = strndup(p, n);

	CHECK(request_target_has_nul(t) == decodes_to_nul(t));
	free(t);
}

/* Only the path of a live link is taken, once, with its capture id; every other path is -ENOENT. */
static void link_path(const char *p, size_t n)
{
	static struct request_links l;
	char *url = strndup(p, n), nonce[REQUEST_LINK_HEX + 1], want[8 + REQUEST_LINK_HEX], id[64];
	uint8_t rnd[32];
	int rc;

	memset(&l, 0, sizeof(l));
	memset(rnd, 0, sizeof(rnd));
	memcpy(rnd, p, n < sizeof(rnd) ? n : sizeof(rnd)); /* sometimes the input's own nonce */
	CHECK(request_link_new(&l, "cap", rnd, 1, nonce) == 0);
	snprintf(want, sizeof(want), "/dl/%s", nonce);
	rc = request_link_take(&l, url, 2, id);
	CHECK(rc == 0 || rc == -ENOENT);
	CHECK((rc == 0) == (strcmp(url, want) == 0));
	if (rc == 0) {
		CHECK(strcmp(id, "cap") == 0);
		CHECK(request_link_take(&l, url, 2, id) == -ENOENT);
	}
	free(url);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1 || size > REQUEST_BODY_MAX)
		return 0;
	switch (data[0] & 7) {
	case 0:
		body((const char *)data + 1, size - 1);
		break;
	case 1:
		range(data + 1, size - 1);
		break;
	case 2:
		query((const char *)data + 1, size - 1);
		break;
	case 4:
		text(data + 1, size - 1);
		break;
	case 5:
		target((const char *)data + 1, size - 1);
		break;
	case 6:
		link_path((const char *)data + 1, size - 1);
		break;
	default:
		route((const char *)data + 1, size - 1);
		break;
	}
	return 0;
}
