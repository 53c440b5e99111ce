/* grpc: a unary gRPC call over a unix socket with libcurl, and its answer read (grpc.h). */
#include "grpc.h"

#include <ctype.h>
#include <curl/curl.h>
#include <errno.h>
#include <stdlib.h>
#include <strings.h>

void rt_grpc_reply_init(struct rt_grpc_reply *r)
{
	memset(r, 0, sizeof(*r));
	r->status = -1;
}

void rt_grpc_reply_release(struct rt_grpc_reply *r)
{
	sbuf_release(&r->body.b);
	rt_grpc_reply_init(r);
}

/* Whether the header name n (nlen bytes) is name, in any case. */
static bool header_is(const char *n, size_t nlen, const char *name)
{
	return nlen == strlen(name) && !strncasecmp(n, name, nlen);
}

void rt_grpc_reply_header(struct rt_grpc_reply *r, const char *line, size_t len)
{
	const char *colon = memchr(line, ':', len), *v, *end = line + len;
	size_t nlen, vlen;

	if (!colon || colon == line)
		return; /* the status line, the blank line that ends the headers */
	nlen = (size_t)(colon - line);
	for (v = colon + 1; v < end && (*v == ' ' || *v == '\t'); v++)
		;
	while (end > v && isspace((unsigned char)end[-1]))
		end--;
	vlen = (size_t)(end - v);
	if (header_is(line, nlen, "content-type")) {
		r->is_grpc = (vlen == 16 || (vlen > 16 && (v[16] == '+' || v[16] == ';'))) &&
		             !strncasecmp(v, "application/grpc", 16);
	} else if (header_is(line, nlen, "grpc-status")) {
		int s = 0;

		for (size_t i = 0; i < vlen && s <= 1000; i++)
			s = isdigit((unsigned char)v[i]) ? s * 10 + (v[i] - '0') : 1001;
		r->status = vlen && s <= 1000 ? s : 2; /* 2: UNKNOWN, for a status that is not a number */
	} else if (header_is(line, nlen, "grpc-message")) {
		snprintf(r->message, sizeof(r->message), "%.*s", (int)(vlen < 199 ? vlen : 199), v);
	}
}

int rt_grpc_frame(const uint8_t *p, size_t len, const uint8_t **msg, size_t *mlen, size_t *used,
                  struct err *e)
{
	uint32_t n;

	if (len < 5)
		return err_set(e, -EPROTO, "a gRPC frame cut short (%zu bytes of its 5-byte head)", len);
	n = (uint32_t)p[1] << 24 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 8 | p[4];
	if (p[0] != 0)
		return err_set(e, -EPROTO, "a gRPC frame with flag %u (compressed: not asked for)", p[0]);
	if (n > len - 5)
		return err_set(e, -EPROTO, "a gRPC frame of %u bytes cut short at %zu", n, len - 5);
	*msg = p + 5;
	*mlen = n;
	*used = 5 + (size_t)n;
	return 0;
}

int rt_grpc_reply_message(const struct rt_grpc_reply *r, const uint8_t **msg, size_t *len, struct err *e)
{
	const uint8_t *body = (const uint8_t *)r->body.b.data;
	size_t used = 0;
	int rc;

	if (r->http_status != 200)
		return err_set(e, -EPROTO, "HTTP status %ld, not a gRPC answer", r->http_status);
	if (!r->is_grpc)
		return err_set(e, -EPROTO, "not a gRPC answer (its content type is not application/grpc)");
	if (r->status < 0)
		return err_set(e, -EPROTO, "a gRPC answer without its status (grpc-status)");
	if (r->status == RT_GRPC_NOT_FOUND)
		return err_set(e, -ENOENT, "not found (%s)", r->message);
	if (r->status != RT_GRPC_OK)
		return err_set(e,
		               r->status == RT_GRPC_DEADLINE_EXCEEDED || r->status == RT_GRPC_UNAVAILABLE
		                       ? -EIO
		                       : -EPROTO,
		               "gRPC status %d (%s)", r->status, r->message);
	if ((rc = rt_grpc_frame(body ? body : (const uint8_t *)"", r->body.b.len, msg, len, &used, e)) != 0)
		return rc;
	if (used != r->body.b.len)
		return err_set(e, -EPROTO, "%zu bytes after the answer's message", r->body.b.len - used);
	return 0;
}

static size_t on_header(char *p, size_t size, size_t n, void *ctx)
{
	rt_grpc_reply_header(ctx, p, size * n);
	return size * n;
}

int rt_grpc_call(const char *sock, const char *method, const char *const *metadata, const uint8_t *req,
                 size_t len, long timeout_ms, struct rt_grpc_reply *r, struct err *e)
{
	CURL *h = curl_easy_init();
	struct curl_slist *headers = NULL;
	char url[256], line[64], errbuf[CURL_ERROR_SIZE] = "";
	struct sbuf framed = { 0 };
	uint8_t head[5] = { 0 }; /* flag 0 (not compressed), the length big-endian */
	CURLcode rc;
	int err = 0;

	if (!h)
		return err_set(e, -ENOMEM, "cannot start an HTTP client");
	head[1] = (uint8_t)(len >> 24);
	head[2] = (uint8_t)(len >> 16);
	head[3] = (uint8_t)(len >> 8);
	head[4] = (uint8_t)len;
	sbuf_put(&framed, head, sizeof(head));
	sbuf_put(&framed, req, len);
	headers = curl_slist_append(headers, "content-type: application/grpc");
	headers = curl_slist_append(headers, "te: trailers");
	snprintf(line, sizeof(line), "grpc-timeout: %ldm", timeout_ms); /* the server's deadline too */
	headers = curl_slist_append(headers, line);
	for (size_t i = 0; metadata && metadata[i]; i++)
		headers = curl_slist_append(headers, metadata[i]);
	snprintf(url, sizeof(url), "http://localhost%s", method);
	curl_easy_setopt(h, CURLOPT_UNIX_SOCKET_PATH, sock);
	curl_easy_setopt(h, CURLOPT_URL, url);
	if (curl_easy_setopt(h, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_2_PRIOR_KNOWLEDGE) !=
	    CURLE_OK) {
		err = err_set(e, -EIO, "%s: this libcurl has no HTTP/2 (gRPC needs it)", sock);
		goto out;
	}
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers);
	curl_easy_setopt(h, CURLOPT_POSTFIELDS, framed.data);
	curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE, (long)framed.len);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, timeout_ms);
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, rt_body_write);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, &r->body);
	curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(h, CURLOPT_HEADERDATA, r);
	rc = curl_easy_perform(h);
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &r->http_status);
	if (r->body.too_big)
		err = err_set(e, -EPROTO, "%s: %s: an answer over %u bytes", sock, method, RT_MAX_BODY);
	else if (rc == CURLE_COULDNT_CONNECT)
		err = err_set(e, -ECONNREFUSED, "%s: %s", sock, errbuf[0] ? errbuf : curl_easy_strerror(rc));
	else if (rc == CURLE_HTTP2 || rc == CURLE_WEIRD_SERVER_REPLY || rc == CURLE_UNSUPPORTED_PROTOCOL ||
	         rc == CURLE_GOT_NOTHING) /* an HTTP/1 server: no HTTP/2 frame in what it said */
		err = err_set(e, -EPROTO, "%s: not a gRPC server (%s)", sock,
		              errbuf[0] ? errbuf : curl_easy_strerror(rc));
	else if (rc != CURLE_OK)
		err = err_set(e, -EIO, "%s: %s", sock, errbuf[0] ? errbuf : curl_easy_strerror(rc));
out:
	curl_easy_cleanup(h);
	curl_slist_free_all(headers);
	sbuf_release(&framed);
	return err;
}
