/*
 * request: what the API reads from a request (a JSON body, query arguments,
 * a Range header, a path), checked without the agent or the network, so that
 * http.c only routes and replies, and a fuzzer drives every parser here.
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
 * A capture name the API takes: printable, without '/', '\\' or control
 * characters, not "." or ".." (its length, at most REQUEST_NAME_MAX, apart).
 */
bool request_name_valid(const char *s);

/* POST /api/captures/delete: body's "ids", an array of 1 to 1000 strings. */
int request_ids(json_t *body, json_t **ids, struct req_error *re);

/* GET /api/captures: q from the query arguments arg(ctx, key) gives (NULL: absent). */
typedef const char *(*request_arg_fn)(void *ctx, const char *key);
int request_list(request_arg_fn arg, void *ctx, struct catalog_query *q, struct req_error *re);

/*
 * A Range header ("bytes=A-B", "bytes=A-", "bytes=-N"; one range) against a
 * file of size bytes: 1 with [*from, *to] inclusive, 0 when h is NULL (the
 * whole file), -1 when it cannot be satisfied or is not one we serve (416).
 */
int request_range(const char *h, uint64_t size, uint64_t *from, uint64_t *to);

/*
 * url against a route's pattern, where '*' stands for one non-empty path
 * segment (the capture id), copied NUL-terminated into id (idsize bytes).
 */
bool request_route(const char *pattern, const char *url, char *id, size_t idsize);

#endif
