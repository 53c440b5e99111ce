/*
 * http_int: what the files of the agent's HTTP API share (docs/api.md).
 *
 *   http.c           the server: start, stop, connections through the gate, each
 *                    request from its head to its handler (the route table), the web UI
 *   http_reply.c     a handler's reply: the errno -> HTTP status table, error bodies,
 *                    the response sent
 *   http_captures.c  /api/captures: take, list, show, delete, keep, discard
 *   http_download.c  a capture's file, with one Range; download links (/dl/NONCE)
 *   http_status.c    /api/status and /metrics
 *   http_pcapdump.c  /api/pcapdump: continuous packet recording's status, settings, export
 *
 * A handler runs on the connection's thread (MHD_USE_THREAD_PER_CONNECTION)
 * and fills a struct reply that http.c sends: a status with a JSON body, or a
 * response it made already. Handlers never queue a response themselves.
 */
#ifndef SYSREC_AGENT_HTTP_INT_H
#define SYSREC_AGENT_HTTP_INT_H

#include "agent_int.h"
#include "gate.h"
#include "request.h"

#include <jansson.h>
#include <microhttpd.h>
#include <pthread.h>

/* The server (agent_http_start() to agent_http_stop()). */
struct agent_http {
	struct agent *a;
	struct MHD_Daemon *d;
	char *cert, *key; /* PEM text, when TLS */
	struct gate *gate;
	pthread_t sweeper;
	bool sweeping; /* the sweeper thread runs */
	pthread_mutex_t lock;
	pthread_cond_t wake; /* the sweeper's sleep; signalled to stop it */
	bool stop;
	pthread_mutex_t links_lock;
	struct request_links links; /* download links waiting (under links_lock) */
};

/*
 * One request, from its request line: its body as it arrives. MHD holds it as
 * the request's context from the request line to its end (http.c makes it
 * and frees it, body with it).
 */
struct req {
	struct sbuf body;
	bool too_big;
	bool head_seen; /* the access handler has been called */
	bool nul;       /* the target holds %00 */
};

/*
 * What a handler replies: a status and a JSON body, or a response made
 * already. The reply owns json (one reference) and resp: http_fail() drops
 * the json it replaces; http_send_reply() sends resp when set, else json,
 * and releases both.
 */
struct reply {
	unsigned status;
	json_t *json;
	struct MHD_Response *resp;
	char content_range[64]; /* a Content-Range header for a JSON reply, when set */
};

/* A request on its way to a handler: everything here is borrowed for the handler's call. */
struct call {
	struct agent *a;
	struct agent_http *http;
	struct MHD_Connection *conn;
	const char *method;
	const char *id; /* the {id} of the path, NUL-terminated copy in idbuf */
	char idbuf[64];
	const struct req *req;
};

/* The monotonic clock in ns: the gate's deadlines and the download links' expiry (http.c). */
uint64_t http_mono_ns(void);

/*
 * Replies (http_reply.c). http_fail() makes r the status the errno err maps
 * to (a code not in the table is the server's failure: 500), with
 * {"error": message}; the message is escaped as echoed text
 * (request_shown()). http_refused() makes r the 4xx of a check of request.c,
 * with "field" when the check names the member at fault.
 */
void http_fail(struct reply *r, int err, const char *fmt, ...) PRINTF_LIKE(3, 4);
void http_refused(struct reply *r, const struct req_error *re);
/* The request's body as a JSON object (the caller json_decref()s it), or NULL with a 400 in r. */
json_t *http_body_object(const struct call *c, struct reply *r);
/*
 * Queue r on conn: its resp, or its json (null when none) as the body. r's
 * json and resp are released whatever MHD says. Returns what
 * MHD_queue_response() returns.
 */
enum MHD_Result http_send_reply(struct MHD_Connection *conn, struct reply *r);

/*
 * The handlers of the route table (http.c). Each fills r; one that leaves
 * r->status 0 is answered 500.
 */
/* http_captures.c */
void http_captures_take(const struct call *c, struct reply *r);
void http_captures_list(const struct call *c, struct reply *r);
void http_captures_show(const struct call *c, struct reply *r);
void http_captures_delete(const struct call *c, struct reply *r);
void http_captures_delete_many(const struct call *c, struct reply *r);
void http_captures_keep(const struct call *c, struct reply *r);
void http_captures_discard(const struct call *c, struct reply *r);
/*
 * The capture named in the path into *m (the caller capture_meta_free()s
 * it): true, or false with a 404 in r.
 */
bool http_get_capture(const struct call *c, struct capture_meta *m, struct reply *r);

/* http_download.c */
/* The capture's file (a response that reads the store as MHD sends it), whole or one Range. */
void http_download(const struct call *c, struct reply *r);
void http_download_link(const struct call *c, struct reply *r);
/* Whether url is a download link's path (which needs no token). */
bool http_is_link(const char *url);
/* GET /dl/NONCE: the file of the capture its link names, once; c->id is set to that capture. */
void http_follow_link(struct call *c, const char *url, struct reply *r);

/* http_pcapdump.c */
void http_pcapdump_status(const struct call *c, struct reply *r);
void http_pcapdump_set(const struct call *c, struct reply *r);
void http_pcapdump_export(const struct call *c, struct reply *r);

/* http_status.c */
void http_get_status(const struct call *c, struct reply *r);
void http_get_metrics(const struct call *c, struct reply *r);

#endif
