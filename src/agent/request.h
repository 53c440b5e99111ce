/*
 * request: what the API reads from a request (a JSON body, query arguments,
 * a Range header, a path), checked without the agent or the network, so that
 * the HTTP files (http_int.h) only route and reply, and a fuzzer drives every
 * parser here.
 * Each checker returns 0, or fills re with the 4xx status and the message the
 * client gets (and returns -1).
 */
#ifndef SYSREC_AGENT_REQUEST_H
#define SYSREC_AGENT_REQUEST_H

#include "agent_int.h"

#include <jansson.h>

#define REQUEST_BODY_MAX   (64u << 10)
#define REQUEST_NAME_MAX   128
#define REQUEST_FILTER_MAX 8192

struct req_error {
	unsigned status;
	const char *field; /* the body member or query argument at fault, or NULL */
	char msg[1024];
};

/* The body as a JSON object (the caller json_decref()s it), or NULL with a 400. */
json_t *request_object(const char *body, size_t len, struct req_error *re);

/*
 * POST /api/captures: t filled from body (its strings point into body, or
 * into t->cont for the container id), the filter compiled as the capture
 * will compile it.
 */
int request_take(json_t *body, struct agent_take *t, struct req_error *re);

/*
 * A capture name the API takes: UTF-8 without '/', '\\' or a character that
 * request_char_unshown() names, not "." or ".." (its length, at most
 * REQUEST_NAME_MAX, apart).
 */
bool request_name_valid(const char *s);

/*
 * Whether a terminal or a one-line display would act on code point cp rather
 * than show it: C0 and C1 controls and DEL, the line and paragraph separators
 * (U+2028, U+2029), and the bidirectional controls that reorder what follows
 * (U+061C, U+200E, U+200F, U+202A..U+202E, U+2066..U+2069).
 */
bool request_char_unshown(uint32_t cp);

/*
 * s as text a reply may echo: valid UTF-8 is copied, except the characters
 * request_char_unshown() names; those and bytes that are not UTF-8 are
 * written as \xNN, one per byte. At most size - 1 bytes (size >= 4), cut at
 * a character and ended "..." when s does not fit; always NUL-terminated.
 */
void request_shown(char *out, size_t size, const char *s);

/*
 * Whether a request target, as it came on the request line (still
 * percent-encoded), holds an encoded NUL (%00) in its path or query: the
 * server's decoding would cut the string there.
 */
bool request_target_has_nul(const char *target);

/* POST /api/captures/delete: body's "ids", an array of 1 to 1000 strings. */
int request_ids(json_t *body, json_t **ids, struct req_error *re);

/* GET /api/captures: q from the query arguments arg(ctx, key) gives (NULL: absent). */
typedef const char *(*request_arg_fn)(void *ctx, const char *key);
int request_list(request_arg_fn arg, void *ctx, struct catalog_query *q, struct req_error *re);

/*
 * A Range header ("bytes=A-B", "bytes=A-", "bytes=-N"; one range) against a
 * file of size bytes: 1 with [*from, *to] inclusive; 0 for the whole file,
 * when h is NULL or names a unit other than bytes (RFC 9110 14.2: ignored);
 * -1 when it cannot be satisfied or is not a range we serve (416).
 */
int request_range(const char *h, uint64_t size, uint64_t *from, uint64_t *to);

/*
 * url against a route's pattern, where '*' stands for one non-empty path
 * segment (the capture id), copied NUL-terminated into id (idsize bytes).
 */
bool request_route(const char *pattern, const char *url, char *id, size_t idsize);

/*
 * Download links: a capture's file behind a random name ("/dl/" and 64 hex
 * digits, 32 bytes from the caller's randomness), for a browser to follow
 * without the token. A link serves once, for REQUEST_LINK_TTL_S seconds,
 * the capture it was made for; at most REQUEST_LINKS links wait at once.
 * The table takes no lock: the caller holds one around each call.
 */
#define REQUEST_LINKS      64
#define REQUEST_LINK_TTL_S 60
#define REQUEST_LINK_HEX   64

struct request_links {
	struct request_link {
		char nonce[REQUEST_LINK_HEX + 1]; /* "" for a free slot */
		char id[64];
		uint64_t expires_ns;
	} slot[REQUEST_LINKS];
};

/*
 * A link to capture id from rnd (its nonce, NUL-terminated, in nonce), good
 * until now_ns + REQUEST_LINK_TTL_S; links expired by now_ns are forgotten
 * first. 0, or -EAGAIN when REQUEST_LINKS are waiting, -EINVAL for an id
 * longer than a capture id.
 */
int request_link_new(struct request_links *l, const char *id, const uint8_t rnd[32], uint64_t now_ns,
                     char nonce[REQUEST_LINK_HEX + 1]);

/*
 * The link url names ("/dl/NONCE"), used up: 0 with its capture id copied
 * into id (64 bytes), or -ENOENT when url is not a link's path, or names no
 * link, a used one or one expired by now_ns.
 */
int request_link_take(struct request_links *l, const char *url, uint64_t now_ns, char id[64]);

/*
 * PUT /api/pcapdump: each member of body sets pcapdump's setting of that name
 * in c (c->pcapdump holds the current settings): enabled, maxTime, maxSize,
 * regex, namespaces, excludedNamespaces, bpfOverride, each checked as the
 * configuration's pcapdump.NAME (a string, a number, a boolean, null to
 * clear; the namespaces also as a list of strings). 0, or -1 with a 400
 * naming the member.
 */
struct agent_config;
int request_pcapdump(json_t *body, struct agent_config *c, struct req_error *re);

/*
 * A time argument (since, until): epoch seconds (a fraction allowed) or an
 * RFC 3339 UTC time ("2026-12-05T19:30:00Z", a fraction allowed) into *ns;
 * 0, or -1 with a 400 naming field.
 */
int request_time(const char *s, const char *field, uint64_t *ns, struct req_error *re);

#endif
