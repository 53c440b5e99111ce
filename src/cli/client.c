/*
 * client: the agent's HTTP API (docs/api.md) over libcurl. JSON replies are
 * read into memory (at most CLIENT_MAX_REPLY bytes), downloads are streamed to
 * the caller, and every failure becomes one sentence in struct err.
 */
#include "client.h"

#include <curl/curl.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ERROR_BODY_MAX (64u << 10) /* a download's non-2xx body, read as its error */
#define CONNECT_SECS   10L
#define CALL_SECS      60L /* a whole JSON request */
#define STALL_SECS     60L /* a download that moves no byte for this long fails */

struct client {
	CURL *curl;
	char *base;                  /* the URL as given, without trailing '/': messages name it */
	struct sbuf url;             /* base + the request's path */
	struct curl_slist *hdr_auth; /* Authorization */
	struct curl_slist *hdr_json; /* Authorization, Content-Type: application/json */
	const struct client_opts *o;
	char errbuf[CURL_ERROR_SIZE];
};

/* One request's reply: its body in memory, or (downloads, 2xx) the caller's fn. */
struct reply {
	struct client *c;
	struct sbuf body;
	size_t limit;
	bool too_large;
	client_data_fn fn;
	void *ctx;
	int fn_rc;
	struct err *e;
	bool progress;
	double shown_at;
	int shown_len; /* columns of the progress line on stderr; 0: none shown */
};

struct client *client_new(const struct client_opts *o, struct err *e)
{
	struct client *c = xcalloc(1, sizeof(*c));
	struct sbuf auth = { 0 };
	size_t n = strlen(o->url);

	c->curl = curl_easy_init();
	if (!c->curl) {
		free(c);
		err_set(e, -ENOMEM, "cannot start libcurl");
		return NULL;
	}
	while (n && o->url[n - 1] == '/')
		n--;
	c->base = xstrndup(o->url, n);
	c->o = o;
	sbuf_printf(&auth, "Authorization: Bearer %s", o->token);
	c->hdr_auth = curl_slist_append(NULL, sbuf_cstr(&auth));
	c->hdr_auth =
	        curl_slist_append(c->hdr_auth, "Content-Type:"); /* not curl's form type on an empty POST */
	c->hdr_json = curl_slist_append(NULL, sbuf_cstr(&auth));
	c->hdr_json = curl_slist_append(c->hdr_json, "Content-Type: application/json");
	explicit_bzero(auth.data, auth.len);
	sbuf_release(&auth);
	if (!c->hdr_auth || !c->hdr_json) {
		client_free(c);
		err_set(e, -ENOMEM, "cannot start libcurl");
		return NULL;
	}
	return c;
}

void client_free(struct client *c)
{
	if (!c)
		return;
	curl_slist_free_all(c->hdr_auth);
	curl_slist_free_all(c->hdr_json);
	curl_easy_cleanup(c->curl);
	sbuf_release(&c->url);
	free(c->base);
	free(c);
}

char *client_escape(struct client *c, const char *s)
{
	char *q = curl_easy_escape(c->curl, s, (int)strlen(s));
	char *copy;

	if (!q)
		abort(); /* as xmalloc: only out of memory makes it fail */
	copy = xstrdup(q);
	curl_free(q);
	return copy;
}

/* Server text goes to a terminal: control characters become spaces. */
static void clean_ctrl(char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			*s = ' ';
}

static size_t on_data(char *p, size_t size, size_t nmemb, void *arg)
{
	struct reply *r = arg;
	size_t n = size * nmemb;
	long status = 0;

	if (r->fn) {
		curl_easy_getinfo(r->c->curl, CURLINFO_RESPONSE_CODE, &status);
		if (status / 100 == 2) {
			r->fn_rc = r->fn(r->ctx, p, n, r->e);
			return r->fn_rc ? 0 : n;
		}
	}
	if (r->body.len + n > r->limit) {
		r->too_large = true;
		return 0;
	}
	sbuf_put(&r->body, p, n);
	return n;
}

static void human_bytes(char *buf, size_t size, double v)
{
	static const char *const units[] = { "KiB", "MiB", "GiB", "TiB" };
	size_t u = 0;

	if (v < 1024) {
		snprintf(buf, size, "%.0f B", v);
		return;
	}
	v /= 1024;
	while (v >= 1024 && u + 1 < ARRAY_SIZE(units)) {
		v /= 1024;
		u++;
	}
	snprintf(buf, size, "%.1f %s", v, units[u]);
}

/* Rewrite the progress line: "1.2 MiB / 1.8 MiB  66%", or the bytes alone without a length. */
static void show_progress(struct reply *r, curl_off_t now, curl_off_t total)
{
	char a[32], b[32];
	int len;

	human_bytes(a, sizeof(a), (double)now);
	if (total > 0) {
		human_bytes(b, sizeof(b), (double)total);
		len = fprintf(stderr, "\r%s / %s  %3d%%", a, b, (int)(100.0 * (double)now / (double)total));
	} else {
		len = fprintf(stderr, "\r%s", a);
	}
	if (len > 0 && len < r->shown_len)
		fprintf(stderr, "%*s", r->shown_len - len, "");
	if (len > r->shown_len)
		r->shown_len = len;
	r->shown_at = mono_seconds();
}

static int on_progress(void *arg, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal, curl_off_t ulnow)
{
	struct reply *r = arg;
	long status = 0;

	(void)ultotal;
	(void)ulnow;
	curl_easy_getinfo(r->c->curl, CURLINFO_RESPONSE_CODE, &status);
	if (status / 100 == 2 && mono_seconds() - r->shown_at >= 0.1)
		show_progress(r, dlnow, dltotal);
	return 0;
}

/* Reset the handle for base + path: the options every request shares. */
static void client_prepare(struct client *c, const char *path, bool json_body)
{
	CURL *h = c->curl;

	curl_easy_reset(h);
	sbuf_reset(&c->url);
	sbuf_puts(&c->url, c->base);
	sbuf_puts(&c->url, path);
	c->errbuf[0] = '\0';
	curl_easy_setopt(h, CURLOPT_URL, sbuf_cstr(&c->url));
#if LIBCURL_VERSION_NUM >= 0x075500
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
#else
	curl_easy_setopt(h, CURLOPT_PROTOCOLS, (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
#endif
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, c->errbuf);
	curl_easy_setopt(h, CURLOPT_USERAGENT, "sysrec");
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, CONNECT_SECS);
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, json_body ? c->hdr_json : c->hdr_auth);
	if (c->o->cacert)
		curl_easy_setopt(h, CURLOPT_CAINFO, c->o->cacert);
	if (c->o->insecure) {
		curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 0L);
		curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 0L);
	}
}

/* The sentence for a request that got no complete reply. */
static int transfer_error(struct client *c, CURLcode rc, const struct reply *r, struct err *e)
{
	const char *why = c->errbuf[0] ? c->errbuf : curl_easy_strerror(rc);

	switch (rc) {
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_RESOLVE_PROXY:
	case CURLE_COULDNT_CONNECT:
		return err_set(e, -ECONNREFUSED,
		               "cannot reach the agent at %s: %s (is `sysrec agent` running?)", c->base, why);
	case CURLE_OPERATION_TIMEDOUT:
		return err_set(e, -ETIMEDOUT, "the agent at %s did not answer in time: %s", c->base, why);
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_SSL_CACERT_BADFILE:
	case CURLE_SSL_CERTPROBLEM:
		return err_set(e, -EPROTO,
		               "cannot set up TLS with the agent at %s: %s (--cacert FILE names the CA that "
		               "signed its certificate; --insecure skips the check)",
		               c->base, why);
	case CURLE_WRITE_ERROR:
		if (r->fn_rc)
			return r->fn_rc; /* fn said why */
		if (r->too_large)
			return err_set(e, -EFBIG, "the agent's reply is larger than %u MiB",
			               (unsigned)(r->limit >> 20));
		break;
	default:
		break;
	}
	return err_set(e, -EIO, "request to the agent at %s failed: %s", c->base, why);
}

/* The sentence for a non-2xx reply: the agent's `error` member when it gave one. */
static int status_error(struct client *c, long status, const struct sbuf *body, struct err *e)
{
	json_t *j;
	const char *msg;
	int rc;

	if (status == 401)
		return err_set(e, -EACCES,
		               "the agent refused the token (check --token, SYSREC_TOKEN or the token file)");
	j = body->len ? json_loadb(body->data, body->len, 0, NULL) : NULL;
	msg = json_string_value(json_object_get(j, "error"));
	if (msg && *msg) {
		rc = err_set(e, -EPROTO, "%s", msg);
		if (e)
			clean_ctrl(e->msg);
	} else {
		rc = err_set(e, -EPROTO, "the agent at %s replied HTTP %ld without an error message%s",
		             c->base, status, status == 404 ? " (is it a sysrec agent?)" : "");
	}
	json_decref(j);
	return rc;
}

/* Run the prepared request; 0 with a 2xx reply, else the error. */
static int client_perform(struct client *c, struct reply *r, struct err *e)
{
	CURLcode rc;
	long status = 0;

	curl_easy_setopt(c->curl, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(c->curl, CURLOPT_WRITEDATA, r);
	rc = curl_easy_perform(c->curl);
	if (rc != CURLE_OK)
		return transfer_error(c, rc, r, e);
	curl_easy_getinfo(c->curl, CURLINFO_RESPONSE_CODE, &status);
	if (status / 100 != 2)
		return status_error(c, status, &r->body, e);
	return 0;
}

json_t *client_call(struct client *c, const char *method, const char *path, const json_t *body, struct err *e)
{
	struct reply r = { .c = c, .limit = CLIENT_MAX_REPLY, .e = e };
	char *text = NULL;
	json_t *j = NULL;
	json_error_t jerr;

	client_prepare(c, path, body != NULL);
	curl_easy_setopt(c->curl, CURLOPT_TIMEOUT, CALL_SECS);
	if (body) {
		text = json_dumps(body, JSON_COMPACT);
		if (!text) {
			err_set(e, -EINVAL, "cannot encode the request as JSON");
			return NULL;
		}
		curl_easy_setopt(c->curl, CURLOPT_POSTFIELDS, text);
	} else if (!strcmp(method, "POST")) {
		curl_easy_setopt(c->curl, CURLOPT_POSTFIELDS, "");
	}
	if (strcmp(method, "GET") != 0 && strcmp(method, "POST") != 0)
		curl_easy_setopt(c->curl, CURLOPT_CUSTOMREQUEST, method);
	if (!client_perform(c, &r, e)) {
		j = r.body.len ? json_loadb(r.body.data, r.body.len, 0, &jerr) : NULL;
		if (!json_is_object(j)) {
			err_set(e, -EPROTO, "the agent's reply to %s %s is not a JSON object%s%s", method,
			        path, j || !r.body.len ? "" : ": ", j || !r.body.len ? "" : jerr.text);
			json_decref(j);
			j = NULL;
		}
	}
	free(text);
	sbuf_release(&r.body);
	return j;
}

int client_download(struct client *c, const char *path, client_data_fn fn, void *ctx, bool progress,
                    struct err *e)
{
	struct reply r = {
		.c = c, .limit = ERROR_BODY_MAX, .fn = fn, .ctx = ctx, .e = e, .progress = progress
	};
	curl_off_t got = 0, total = -1;
	int rc;

	client_prepare(c, path, false);
	curl_easy_setopt(c->curl, CURLOPT_LOW_SPEED_LIMIT, 1L);
	curl_easy_setopt(c->curl, CURLOPT_LOW_SPEED_TIME, STALL_SECS);
	if (progress) {
		curl_easy_setopt(c->curl, CURLOPT_XFERINFOFUNCTION, on_progress);
		curl_easy_setopt(c->curl, CURLOPT_XFERINFODATA, &r);
		curl_easy_setopt(c->curl, CURLOPT_NOPROGRESS, 0L);
	}
	rc = client_perform(c, &r, e);
	if (r.shown_len) {
		if (!rc) {
			curl_easy_getinfo(c->curl, CURLINFO_SIZE_DOWNLOAD_T, &got);
			curl_easy_getinfo(c->curl, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &total);
			show_progress(&r, got, total);
		}
		fputc('\n', stderr);
	}
	sbuf_release(&r.body);
	return rc;
}
