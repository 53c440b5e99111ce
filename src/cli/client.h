/* client: requests to the agent's HTTP API (docs/api.md) over libcurl, replies as jansson values. */
#ifndef SYSREC_CLI_CLIENT_H
#define SYSREC_CLI_CLIENT_H

#include "../common/common.h"

#include <jansson.h>

/* Replies read into memory stop here; downloads stream and have no limit. */
#define CLIENT_MAX_REPLY (16u << 20)

struct client_opts {
	const char *url;    /* the agent's base URL, http:// or https:// */
	const char *token;  /* sent as "Authorization: Bearer", never shown */
	const char *cacert; /* the CA file that signed the agent's certificate; NULL: the system's */
	bool insecure;      /* do not verify the agent's certificate */
};

struct client;

/*
 * One connection to the agent, kept open from request to request. The caller
 * keeps `o`'s strings alive until client_free(). Returns NULL with e set when
 * libcurl cannot start. curl_global_init() is the caller's.
 */
struct client *client_new(const struct client_opts *o, struct err *e);
void client_free(struct client *c);

/* s URL-encoded (every byte but [A-Za-z0-9._~-]), newly allocated; the caller frees it. */
char *client_escape(struct client *c, const char *s);

/*
 * METHOD base-URL + path (already escaped) with body (a JSON value, or NULL to
 * send none). Returns the reply's JSON object (a new reference) when the agent
 * answered 2xx. Otherwise NULL and e holds one sentence for after "sysrec
 * capture: ": the agent's `error`, or why it could not be reached or refused
 * the token.
 */
json_t *client_call(struct client *c, const char *method, const char *path, const json_t *body,
                    struct err *e);

/*
 * Receives a download's bytes in order; returns 0 to go on, or non-zero with
 * e set to stop the transfer (client_download() then returns that value).
 */
typedef int (*client_data_fn)(void *ctx, const void *p, size_t n, struct err *e);

/*
 * GET path and hand the body to fn as it arrives (a non-2xx reply's body is
 * read as the error instead). With progress, bytes and percent (from
 * Content-Length) are shown on stderr on one line rewritten with \r.
 * Returns 0, or non-zero with e set as client_call() does.
 */
int client_download(struct client *c, const char *path, client_data_fn fn, void *ctx, bool progress,
                    struct err *e);

#endif
