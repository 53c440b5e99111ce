/* http_reply: a handler's reply sent: the errno -> HTTP status table, error bodies, the response. */
#include "http_int.h"

#include <errno.h>
#include <jansson.h>
#include <microhttpd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/*
 * The one place an error code becomes an HTTP status: every layer below
 * speaks negative errno (agent_take_capture(), the catalog, the store), the
 * handlers pass it here. A code not listed is the server's failure: 500.
 */
static const struct {
	int err;
	unsigned status;
} error_statuses[] = {
	{ -EINVAL, 400 },     /* the request is wrong */
	{ -EACCES, 401 },     /* no valid token */
	{ -EPERM, 403 },      /* captures are disabled */
	{ -ENOENT, 404 },     /* no such capture, path or link */
	{ -EOPNOTSUPP, 405 }, /* the path does not take the method */
	{ -EBUSY, 409 },      /* the capture's state, or the limit of outstanding captures */
	{ -EMSGSIZE, 413 },   /* the body is too large */
	{ -ERANGE, 416 },     /* the range cannot be satisfied */
	{ -ESHUTDOWN, 503 },  /* the agent is stopping */
	{ -EAGAIN, 503 },     /* a bounded table is full: try again later */
};

static unsigned http_status(int err)
{
	for (size_t i = 0; i < ARRAY_SIZE(error_statuses); i++)
		if (error_statuses[i].err == err)
			return error_statuses[i].status;
	return 500;
}

/* r is status with {"error": msg, "field": field (when not NULL)}; msg is escaped as echoed text. */
static void reply_error(struct reply *r, unsigned status, const char *field, const char *msg)
{
	char shown[1024];

	request_shown(shown, sizeof(shown), msg);
	r->status = status;
	json_decref(r->json);
	r->json = json_pack("{s:s}", "error", shown);
	if (field)
		json_object_set_new(r->json, "field", json_string(field));
}

/* r is the status http_status() gives err, with the message. */
void http_fail(struct reply *r, int err, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	reply_error(r, http_status(err), NULL, msg);
}

/* A request refused by request.c's checks: its 4xx, naming the member at fault when it knows it. */
void http_refused(struct reply *r, const struct req_error *re)
{
	reply_error(r, re->status, re->field, re->msg);
}

/* The body as a JSON object, or a 400 in r. */
json_t *http_body_object(const struct call *c, struct reply *r)
{
	struct req_error re = { 0 };
	json_t *j = request_object(c->req->body.data, c->req->body.len, &re);

	if (!j)
		http_refused(r, &re);
	return j;
}

enum MHD_Result http_send_reply(struct MHD_Connection *conn, struct reply *r)
{
	enum MHD_Result ret;

	if (!r->resp) {
		char *text = json_dumps(r->json ? r->json : json_null(), JSON_INDENT(2) | JSON_ENCODE_ANY);
		size_t n = text ? strlen(text) : 0;

		if (text) {
			text = xrealloc(text, n + 2);
			text[n++] = '\n';
		}
		r->resp = MHD_create_response_from_buffer(n, text ? text : (void *)(uintptr_t) "",
		                                          text ? MHD_RESPMEM_MUST_FREE
		                                               : MHD_RESPMEM_PERSISTENT);
		MHD_add_response_header(r->resp, MHD_HTTP_HEADER_CONTENT_TYPE, "application/json");
		if (r->content_range[0])
			MHD_add_response_header(r->resp, MHD_HTTP_HEADER_CONTENT_RANGE, r->content_range);
	}
	if (!MHD_get_response_header(r->resp, MHD_HTTP_HEADER_CACHE_CONTROL))
		MHD_add_response_header(r->resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
	if (r->status == 401)
		MHD_add_response_header(r->resp, MHD_HTTP_HEADER_WWW_AUTHENTICATE, "Bearer");
	ret = MHD_queue_response(conn, r->status, r->resp);
	MHD_destroy_response(r->resp);
	json_decref(r->json);
	return ret;
}
