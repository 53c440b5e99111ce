/* http_download: a capture's file, whole or one Range, and the links that serve it once without the token. */
#include "http_int.h"

#include <errno.h>
#include <jansson.h>
#include <microhttpd.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>

static ssize_t read_object(void *cls, uint64_t pos, char *buf, size_t max)
{
	ssize_t n;

	(void)pos; /* the stream is read in order */
	n = store_get_read(cls, buf, max);
	if (n == 0)
		return MHD_CONTENT_READER_END_OF_STREAM;
	return n < 0 ? MHD_CONTENT_READER_END_WITH_ERROR : n;
}

static void close_object(void *cls)
{
	store_get_close(cls);
}

/* GET /api/captures/ID/download: the file of a complete capture whose size the catalog confirms. */
void http_download(const struct call *c, struct reply *r)
{
	struct capture_meta m;
	char key[STORE_KEY_MAX + 1], hdr[512], safe[REQUEST_NAME_MAX + 1];
	struct store_stat st;
	struct store_get *g;
	struct err e = { { 0 } };
	uint64_t from = 0, to = 0, want;
	int ranged;
	size_t k = 0;
	const char *part = MHD_lookup_connection_value(c->conn, MHD_GET_ARGUMENT_KIND, "part");
	bool pcapng = part && !strcmp(part, "pcapng"), arts = part && !strcmp(part, "artifacts");
	const char *ext = pcapng ? "pcapng" : arts ? "artifacts.tar.gz" : "scap";

	if (part && !pcapng && !arts && strcmp(part, "scap") != 0) {
		struct req_error re = { .status = 400, .field = "part" };

		snprintf(re.msg, sizeof(re.msg), "part must be scap, pcapng or artifacts");
		http_refused(r, &re);
		return;
	}
	if (!http_get_capture(c, &m, r))
		return;
	if (m.status != CAPTURE_OK) {
		http_fail(r, -EBUSY, "capture '%s' is %s: only a complete (ok) capture can be downloaded",
		          c->id, capture_status_name(m.status));
		capture_meta_free(&m);
		return;
	}
	if (pcapng && !m.pcapng_sha256[0]) {
		http_fail(r, -ENOENT, "capture '%s' has no pcapng part: %s", c->id,
		          m.packets ? "its packets were not kept (incomplete_reason says why)"
		                    : "it did not ask for packets");
		capture_meta_free(&m);
		return;
	}
	if (arts && !m.artifacts_sha256[0]) {
		http_fail(r, -ENOENT, "capture '%s' has no artifacts part: %s", c->id,
		          m.artifacts[0] ? "its artifacts were not kept (incomplete_reason says why)"
		                         : "it did not ask for artifacts");
		capture_meta_free(&m);
		return;
	}
	want = pcapng ? m.pcapng_size : arts ? m.artifacts_size : m.size;
	if (pcapng)
		capture_pcapng_key(key, c->id);
	else if (arts)
		capture_artifacts_key(key, c->id);
	else
		capture_scap_key(key, c->id);
	/* the catalog holds the capture: a store that cannot give its file is the server's failure */
	if (store_stat(c->a->store, key, &st, &e) != 0) {
		http_fail(r, -EIO, "%s", e.msg);
		capture_meta_free(&m);
		return;
	}
	if (st.size != want) { /* never a short or altered file as if it were whole */
		http_fail(
		        r, -EIO,
		        "capture '%s': the file is %llu bytes on disk, the catalog says %llu: it was changed "
		        "or truncated outside the agent",
		        c->id, (unsigned long long)st.size, (unsigned long long)want);
		log_warn("download refused: %s", json_string_value(json_object_get(r->json, "error")));
		capture_meta_free(&m);
		return;
	}
	ranged = request_range(MHD_lookup_connection_value(c->conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_RANGE),
	                       st.size, &from, &to);
	if (ranged < 0) {
		http_fail(r, -ERANGE, "the range cannot be satisfied: the file has %llu bytes",
		          (unsigned long long)st.size);
		snprintf(r->content_range, sizeof(r->content_range), "bytes */%llu",
		         (unsigned long long)st.size);
		capture_meta_free(&m);
		return;
	}
	if (!ranged)
		to = st.size ? st.size - 1 : 0;
	g = store_get_open(c->a->store, key, from, st.size ? to - from + 1 : 0, &e);
	if (!g) {
		http_fail(r, -EIO, "%s", e.msg);
		capture_meta_free(&m);
		return;
	}
	r->resp = MHD_create_response_from_callback(st.size ? to - from + 1 : 0, 64 * 1024, read_object, g,
	                                            close_object);
	r->status = ranged ? 206 : 200;
	MHD_add_response_header(r->resp, MHD_HTTP_HEADER_CONTENT_TYPE,
	                        arts ? "application/gzip" : "application/octet-stream");
	MHD_add_response_header(r->resp, MHD_HTTP_HEADER_ACCEPT_RANGES, "bytes");
	for (const char *p = m.name; *p && k < REQUEST_NAME_MAX; p++)
		safe[k++] = (*p == '"' || (unsigned char)*p < 0x20) ? '_' : *p;
	safe[k] = 0;
	snprintf(hdr, sizeof(hdr), "attachment; filename=\"%s.%s\"", safe, ext);
	MHD_add_response_header(r->resp, MHD_HTTP_HEADER_CONTENT_DISPOSITION, hdr);
	if (ranged) {
		snprintf(hdr, sizeof(hdr), "bytes %llu-%llu/%llu", (unsigned long long)from,
		         (unsigned long long)to, (unsigned long long)st.size);
		MHD_add_response_header(r->resp, MHD_HTTP_HEADER_CONTENT_RANGE, hdr);
	}
	capture_meta_free(&m);
}

/*
 * POST /api/captures/ID/download-link: a link that serves the capture's file
 * once, within REQUEST_LINK_TTL_S, without the token, for the browser to
 * save to disk itself. The nonce goes to the client only, never to a log.
 */
void http_download_link(const struct call *c, struct reply *r)
{
	struct capture_meta m;
	uint8_t rnd[32];
	char nonce[REQUEST_LINK_HEX + 1], url[8 + REQUEST_LINK_HEX];
	enum capture_status st;
	int rc;

	if (!http_get_capture(c, &m, r))
		return;
	st = m.status;
	capture_meta_free(&m);
	if (st != CAPTURE_OK) {
		http_fail(r, -EBUSY, "capture '%s' is %s: only a complete (ok) capture can be downloaded",
		          c->id, capture_status_name(st));
		return;
	}
	if (getrandom(rnd, sizeof(rnd), 0) != (ssize_t)sizeof(rnd)) {
		http_fail(r, -EIO, "cannot make a download link: no randomness");
		return;
	}
	pthread_mutex_lock(&c->http->links_lock);
	rc = request_link_new(&c->http->links, c->id, rnd, http_mono_ns(), nonce);
	pthread_mutex_unlock(&c->http->links_lock);
	if (rc) {
		http_fail(r, rc, "%d download links are waiting to be used: try again within %d s",
		          REQUEST_LINKS, REQUEST_LINK_TTL_S);
		return;
	}
	snprintf(url, sizeof(url), "/dl/%s", nonce);
	r->status = 200;
	r->json = json_pack("{s:s,s:i}", "url", url, "expires_in", REQUEST_LINK_TTL_S);
}

/* Whether url is a download link's path (which needs no token). */
bool http_is_link(const char *url)
{
	return strncmp(url, "/dl/", 4) == 0;
}

/* GET /dl/NONCE: the capture its link names, once; any other use of the path is a 404. */
void http_follow_link(struct call *c, const char *url, struct reply *r)
{
	int rc;

	if (strcmp(c->method, "GET") != 0) { /* not even HEAD uses a link up */
		http_fail(r, -EOPNOTSUPP, "a download link takes GET only");
		return;
	}
	pthread_mutex_lock(&c->http->links_lock);
	rc = request_link_take(&c->http->links, url, http_mono_ns(), c->idbuf);
	pthread_mutex_unlock(&c->http->links_lock);
	if (rc) { /* the nonce is not echoed */
		http_fail(r, rc, "no such download link: a link serves once, within %d s",
		          REQUEST_LINK_TTL_S);
		return;
	}
	c->id = c->idbuf;
	http_download(c, r);
}
