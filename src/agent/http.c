/*
 * http: the agent's HTTP API on libmicrohttpd (docs/api.md), routed by a table.
 * Connections pass the gate (gate.h): its limits at accept, its head deadline
 * kept by a sweeper thread; a request that will not be served (no token, an
 * encoded NUL, a body over the limit) is answered as soon as its head is in.
 */
#include "gate.h"
#include "request.h"
#include "web.h"

#include <arpa/inet.h>
#include <errno.h>
#include <jansson.h>
#include <microhttpd.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <time.h>

/* MHD's own inactivity timeout (reset by every byte), once the head is in. */
#define HTTP_IDLE_TIMEOUT_S 60u
#define NS_PER_S            1000000000ull

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

/* One request, from its request line: its body as it arrives. */
struct req {
	struct sbuf body;
	bool too_big;
	bool head_seen; /* the access handler has been called */
	bool nul;       /* the target holds %00 */
};

/* What a handler replies: a status and a JSON body, or a response made already. */
struct reply {
	unsigned status;
	json_t *json;
	struct MHD_Response *resp;
	char content_range[64]; /* a Content-Range header for a JSON reply, when set */
};

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * NS_PER_S + (uint64_t)ts.tv_nsec;
}

struct call {
	struct agent *a;
	struct agent_http *http;
	struct MHD_Connection *conn;
	const char *method;
	const char *id; /* the {id} of the path, NUL-terminated copy in idbuf */
	char idbuf[64];
	const struct req *req;
};

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

static void fail(struct reply *r, int err, const char *fmt, ...) PRINTF_LIKE(3, 4);

/* r is the status http_status() gives err, with the message. */
static void fail(struct reply *r, int err, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	reply_error(r, http_status(err), NULL, msg);
}

static const char *query(void *ctx, const char *key)
{
	const struct call *c = ctx;

	return MHD_lookup_connection_value(c->conn, MHD_GET_ARGUMENT_KIND, key);
}

/* A request refused by request.c's checks: its 4xx, naming the member at fault when it knows it. */
static void refused(struct reply *r, const struct req_error *re)
{
	reply_error(r, re->status, re->field, re->msg);
}

/* The body as a JSON object, or a 400 in r. */
static json_t *body_object(const struct call *c, struct reply *r)
{
	struct req_error re = { 0 };
	json_t *j = request_object(c->req->body.data, c->req->body.len, &re);

	if (!j)
		refused(r, &re);
	return j;
}

/* ---- captures ---- */

/* A capture as the API shows it: its record, and whether it is expiring now (the catalog's rule). */
static json_t *capture_json(struct agent *a, const struct capture_meta *m)
{
	json_t *j = capture_meta_to_json(m);

	json_object_set_new(j, "expiring", json_boolean(catalog_expiring(m, agent_now(a))));
	return j;
}

static void take(const struct call *c, struct reply *r)
{
	json_t *body = body_object(c, r);
	struct agent_take t;
	struct capture_meta m;
	struct req_error re = { 0 };
	struct err e = { { 0 } };
	int rc;

	if (!body)
		return;
	if (request_take(body, &t, &re) != 0) {
		refused(r, &re);
		json_decref(body);
		return;
	}
	rc = agent_take_capture(c->a, &t, &m, &e);
	if (rc) {
		fail(r, rc, "%s", e.msg);
	} else {
		r->status = 201;
		r->json = capture_json(c->a, &m);
		capture_meta_free(&m);
	}
	json_decref(body);
}

static void list(const struct call *c, struct reply *r)
{
	struct catalog_query q = { 0 };
	struct capture_meta *items = NULL;
	size_t n = 0, total = 0;
	struct req_error re = { 0 };
	struct err e = { { 0 } };
	json_t *arr;
	int rc;

	if (request_list(query, (void *)(uintptr_t)c, &q, &re) != 0) {
		refused(r, &re);
		return;
	}
	q.now = agent_now(c->a);
	if ((rc = catalog_list(c->a->cat, &q, &items, &n, &total, &e)) != 0) {
		fail(r, rc, "%s", e.msg);
		return;
	}
	arr = json_array();
	for (size_t i = 0; i < n; i++)
		json_array_append_new(arr, capture_json(c->a, &items[i]));
	catalog_list_free(items, n);
	r->status = 200;
	r->json = json_pack("{s:o,s:I,s:I,s:I}", "captures", arr, "total", (json_int_t)total, "offset",
	                    (json_int_t)q.offset, "limit", (json_int_t)q.limit);
}

/* The capture named in the path, or a 404 in r. */
static bool get_capture(const struct call *c, struct capture_meta *m, struct reply *r)
{
	if (!capture_id_valid(c->id) || catalog_get(c->a->cat, c->id, m) != 0) {
		fail(r, -ENOENT, "no capture with id '%s'", c->id);
		return false;
	}
	return true;
}

static void show(const struct call *c, struct reply *r)
{
	struct capture_meta m;

	if (!get_capture(c, &m, r))
		return;
	r->status = 200;
	r->json = capture_json(c->a, &m);
	capture_meta_free(&m);
}

/* Delete one capture: 0, or -errno with a message in e. */
static int delete_one(struct agent *a, const char *id, struct err *e)
{
	struct capture_meta m;
	int rc;

	if (!capture_id_valid(id) || catalog_get(a->cat, id, &m) != 0)
		return err_set(e, -ENOENT, "no capture with id '%s'", id);
	if (m.status == CAPTURE_RECORDING || m.status == CAPTURE_STORING) {
		rc = err_set(e, -EBUSY, "capture '%s' is %s: it can be deleted once complete", id,
		             capture_status_name(m.status));
		capture_meta_free(&m);
		return rc;
	}
	capture_meta_free(&m);
	return catalog_delete(a->cat, id, e);
}

static void delete_capture(const struct call *c, struct reply *r)
{
	struct err e = { { 0 } };
	int rc = delete_one(c->a, c->id, &e);

	if (rc) {
		fail(r, rc, "%s", e.msg);
		return;
	}
	r->status = 200;
	r->json = json_pack("{s:[s]}", "deleted", c->id);
}

static void delete_many(const struct call *c, struct reply *r)
{
	json_t *body = body_object(c, r), *ids, *v, *deleted, *errors;
	struct req_error re = { 0 };
	size_t i;

	if (!body)
		return;
	if (request_ids(body, &ids, &re) != 0) {
		refused(r, &re);
		json_decref(body);
		return;
	}
	deleted = json_array();
	errors = json_object();
	json_array_foreach(ids, i, v)
	{
		struct err e = { { 0 } };
		const char *id = json_string_value(v);

		if (delete_one(c->a, id, &e)) { /* under the id as sent (a JSON string: valid UTF-8) */
			char shown[sizeof(e.msg)];

			request_shown(shown, sizeof(shown), e.msg);
			json_object_set_new(errors, id, json_string(shown));
		} else
			json_array_append_new(deleted, json_string(id));
	}
	r->status = 200;
	r->json = json_pack("{s:o,s:o}", "deleted", deleted, "errors", errors);
	json_decref(body);
}

static void keep_or_discard(const struct call *c, struct reply *r, bool keep)
{
	struct capture_meta m;
	struct err e = { { 0 } };
	int rc;

	if (!get_capture(c, &m, r))
		return;
	if (m.status == CAPTURE_RECORDING || m.status == CAPTURE_STORING) {
		fail(r, -EBUSY, "capture '%s' is %s: keep or discard it once complete", c->id,
		     capture_status_name(m.status));
		capture_meta_free(&m);
		return;
	}
	if (keep) {
		m.kept = true;
		if ((rc = catalog_put(c->a->cat, &m, &e)) != 0) {
			fail(r, rc, "%s", e.msg);
		} else {
			r->status = 200;
			r->json = capture_json(c->a, &m);
		}
	} else if ((rc = catalog_delete(c->a->cat, c->id, &e)) != 0) {
		fail(r, rc, "%s", e.msg);
	} else {
		r->status = 200;
		r->json = json_pack("{s:[s]}", "deleted", c->id);
	}
	capture_meta_free(&m);
}

static void keep(const struct call *c, struct reply *r)
{
	keep_or_discard(c, r, true);
}

static void discard(const struct call *c, struct reply *r)
{
	keep_or_discard(c, r, false);
}

/* ---- download, with one Range ---- */

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

static void download(const struct call *c, struct reply *r)
{
	struct capture_meta m;
	char key[STORE_KEY_MAX + 1], hdr[512], safe[REQUEST_NAME_MAX + 1];
	struct store_stat st;
	struct store_get *g;
	struct err e = { { 0 } };
	uint64_t from = 0, to = 0;
	int ranged;
	size_t k = 0;

	if (!get_capture(c, &m, r))
		return;
	if (m.status != CAPTURE_OK) {
		fail(r, -EBUSY, "capture '%s' is %s: only a complete (ok) capture can be downloaded", c->id,
		     capture_status_name(m.status));
		capture_meta_free(&m);
		return;
	}
	capture_scap_key(key, c->id);
	/* the catalog holds the capture: a store that cannot give its file is the server's failure */
	if (store_stat(c->a->store, key, &st, &e) != 0) {
		fail(r, -EIO, "%s", e.msg);
		capture_meta_free(&m);
		return;
	}
	if (st.size != m.size) { /* never a short or altered file as if it were whole */
		fail(r, -EIO,
		     "capture '%s': the file is %llu bytes on disk, the catalog says %llu: it was changed "
		     "or truncated outside the agent",
		     c->id, (unsigned long long)st.size, (unsigned long long)m.size);
		log_warn("download refused: %s", json_string_value(json_object_get(r->json, "error")));
		capture_meta_free(&m);
		return;
	}
	ranged = request_range(MHD_lookup_connection_value(c->conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_RANGE),
	                       st.size, &from, &to);
	if (ranged < 0) {
		fail(r, -ERANGE, "the range cannot be satisfied: the file has %llu bytes",
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
		fail(r, -EIO, "%s", e.msg);
		capture_meta_free(&m);
		return;
	}
	r->resp = MHD_create_response_from_callback(st.size ? to - from + 1 : 0, 64 * 1024, read_object, g,
	                                            close_object);
	r->status = ranged ? 206 : 200;
	MHD_add_response_header(r->resp, MHD_HTTP_HEADER_CONTENT_TYPE, "application/octet-stream");
	MHD_add_response_header(r->resp, MHD_HTTP_HEADER_ACCEPT_RANGES, "bytes");
	for (const char *p = m.name; *p && k < REQUEST_NAME_MAX; p++)
		safe[k++] = (*p == '"' || (unsigned char)*p < 0x20) ? '_' : *p;
	safe[k] = 0;
	snprintf(hdr, sizeof(hdr), "attachment; filename=\"%s.scap\"", safe);
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
static void download_link(const struct call *c, struct reply *r)
{
	struct capture_meta m;
	uint8_t rnd[32];
	char nonce[REQUEST_LINK_HEX + 1], url[8 + REQUEST_LINK_HEX];
	enum capture_status st;
	int rc;

	if (!get_capture(c, &m, r))
		return;
	st = m.status;
	capture_meta_free(&m);
	if (st != CAPTURE_OK) {
		fail(r, -EBUSY, "capture '%s' is %s: only a complete (ok) capture can be downloaded", c->id,
		     capture_status_name(st));
		return;
	}
	if (getrandom(rnd, sizeof(rnd), 0) != (ssize_t)sizeof(rnd)) {
		fail(r, -EIO, "cannot make a download link: no randomness");
		return;
	}
	pthread_mutex_lock(&c->http->links_lock);
	rc = request_link_new(&c->http->links, c->id, rnd, mono_ns(), nonce);
	pthread_mutex_unlock(&c->http->links_lock);
	if (rc) {
		fail(r, rc, "%d download links are waiting to be used: try again within %d s", REQUEST_LINKS,
		     REQUEST_LINK_TTL_S);
		return;
	}
	snprintf(url, sizeof(url), "/dl/%s", nonce);
	r->status = 200;
	r->json = json_pack("{s:s,s:i}", "url", url, "expires_in", REQUEST_LINK_TTL_S);
}

/* Whether url is a download link's path (which needs no token). */
static bool is_link(const char *url)
{
	return strncmp(url, "/dl/", 4) == 0;
}

/* GET /dl/NONCE: the capture its link names, once; any other use of the path is a 404. */
static void follow_link(struct call *c, const char *url, struct reply *r)
{
	int rc;

	if (strcmp(c->method, "GET") != 0) { /* not even HEAD uses a link up */
		fail(r, -EOPNOTSUPP, "a download link takes GET only");
		return;
	}
	pthread_mutex_lock(&c->http->links_lock);
	rc = request_link_take(&c->http->links, url, mono_ns(), c->idbuf);
	pthread_mutex_unlock(&c->http->links_lock);
	if (rc) { /* the nonce is not echoed */
		fail(r, rc, "no such download link: a link serves once, within %d s", REQUEST_LINK_TTL_S);
		return;
	}
	c->id = c->idbuf;
	download(c, r);
}

/* ---- status and metrics ---- */

/* The agent's counters, read together. */
struct counters {
	struct recorder_stats rs;
	double er, dr;
	uint64_t et, dt;
	uint64_t dby[EVENT_LOST_NCAUSES];
	uint64_t bugs;
	unsigned out;
	struct agent_rules_stats ru;
	struct catalog_stats cs;
	struct gate_stats conns;
};

static void read_counters(const struct call *c, struct counters *k)
{
	struct agent *a = c->a;

	gate_stats(c->http->gate, &k->conns);
	recorder_stats(a->rec, &k->rs);
	pthread_mutex_lock(&a->lock);
	k->er = a->event_rate;
	k->dr = a->drop_rate;
	k->et = a->events_total;
	k->dt = a->drops_total;
	memcpy(k->dby, a->drops_by, sizeof(k->dby));
	k->bugs = a->filler_bugs;
	k->out = a->outstanding;
	pthread_mutex_unlock(&a->lock);
	agent_rules_stats(a->rules, &k->ru);
	catalog_stats(a->cat, &k->cs);
}

static void status(const struct call *c, struct reply *r)
{
	struct agent *a = c->a;
	struct counters k;
	const struct recorder_stats *rs = &k.rs;
	const struct agent_rules_stats *ru = &k.ru;

	read_counters(c, &k);
	r->status = 200;
	r->json = json_pack(
	        "{s:s,s:s,s:b,s:i,s:i,s:{s:f,s:i,s:I,s:I,s:I,s:I,s:I},s:{s:I,s:f},s:{s:I,s:f}}", "host",
	        a->host, "version", AGENT_VERSION, "captures_enabled", a->cfg->captures_enabled,
	        "outstanding", (int)k.out, "max_outstanding", (int)a->cfg->max_outstanding, "ring", "seconds",
	        rs->seconds, "seconds_wanted", (int)a->cfg->seconds, "bytes", (json_int_t)rs->bytes,
	        "max_bytes", (json_int_t)rs->max_bytes, "segments", (json_int_t)rs->segments, "events",
	        (json_int_t)rs->held, "oldest_ns", (json_int_t)rs->oldest_ns, "events", "total",
	        (json_int_t)k.et, "per_second", k.er, "drops", "total", (json_int_t)k.dt, "per_second", k.dr);
	{
		json_t *by = json_object_get(r->json, "drops");

		/* by cause, as capture records and drop marks name them */
		json_object_set_new(by, "ring_full", json_integer((json_int_t)k.dby[EVENT_LOST_RING]));
		json_object_set_new(by, "too_large", json_integer((json_int_t)k.dby[EVENT_LOST_BIG]));
		json_object_set_new(by, "recorder_behind",
		                    json_integer((json_int_t)k.dby[EVENT_LOST_BEHIND]));
		json_object_set_new(by, "tracepoint_busy", json_integer((json_int_t)k.dby[EVENT_LOST_BUSY]));
		/* not a loss of the host's doing: a bug of ours, counted apart (not in total) */
		json_object_set_new(by, "filler_bugs", json_integer((json_int_t)k.bugs));
	}
	json_object_set_new(r->json, "rules",
	                    json_pack("{s:I,s:I,s:I,s:I,s:I,s:I}", "loaded", (json_int_t)ru->loaded, "files",
	                              (json_int_t)ru->files, "alerts", (json_int_t)ru->alerts,
	                              "alerts_dropped", (json_int_t)ru->alerts_dropped, "captures_taken",
	                              (json_int_t)ru->captures_taken, "captures_refused",
	                              (json_int_t)ru->captures_refused));
	json_object_set_new(r->json, "catalog",
	                    json_pack("{s:I,s:I}", "unsaved_records", (json_int_t)k.cs.unsaved,
	                              "record_write_failures", (json_int_t)k.cs.write_failures));
	json_object_set_new(
	        r->json, "http",
	        json_pack("{s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I}", "connections", (json_int_t)k.conns.open,
	                  "max_connections", (json_int_t)a->cfg->http_max_connections,
	                  "max_connections_per_ip", (json_int_t)a->cfg->http_max_per_ip, "header_timeout",
	                  (json_int_t)a->cfg->http_header_timeout, "accepted", (json_int_t)k.conns.accepted,
	                  "refused", (json_int_t)k.conns.refused, "evicted", (json_int_t)k.conns.evicted,
	                  "header_timeouts", (json_int_t)k.conns.head_timeouts));
}

static void metrics(const struct call *c, struct reply *r)
{
	struct agent *a = c->a;
	struct counters k;
	struct sbuf b;

	read_counters(c, &k);
	sbuf_init(&b, 2048);
	sbuf_printf(&b,
	            "# HELP sysrec_events_total Events recorded since the agent started.\n"
	            "# TYPE sysrec_events_total counter\nsysrec_events_total %llu\n"
	            "# HELP sysrec_drops_total Events lost since the agent started.\n"
	            "# TYPE sysrec_drops_total counter\nsysrec_drops_total %llu\n"
	            "# HELP sysrec_ring_bytes Bytes the flight recorder holds.\n"
	            "# TYPE sysrec_ring_bytes gauge\nsysrec_ring_bytes %llu\n"
	            "# HELP sysrec_ring_events Events the flight recorder holds.\n"
	            "# TYPE sysrec_ring_events gauge\nsysrec_ring_events %llu\n"
	            "# HELP sysrec_ring_seconds Seconds of history the flight recorder holds.\n"
	            "# TYPE sysrec_ring_seconds gauge\nsysrec_ring_seconds %.3f\n"
	            "# HELP sysrec_captures_outstanding Captures recording or storing now.\n"
	            "# TYPE sysrec_captures_outstanding gauge\nsysrec_captures_outstanding %u\n"
	            "# HELP sysrec_captures_total Captures in the catalog, by status.\n"
	            "# TYPE sysrec_captures_total gauge\n",
	            (unsigned long long)k.et, (unsigned long long)k.dt, (unsigned long long)k.rs.bytes,
	            (unsigned long long)k.rs.held, k.rs.seconds, k.out);
	for (int s = CAPTURE_RECORDING; s <= CAPTURE_ERROR; s++)
		sbuf_printf(&b, "sysrec_captures_total{status=\"%s\"} %zu\n",
		            capture_status_name((enum capture_status)s),
		            catalog_count(a->cat, (enum capture_status)s));
	sbuf_printf(&b,
	            "# HELP sysrec_rules_loaded Rules that can match (enabled and compiled).\n"
	            "# TYPE sysrec_rules_loaded gauge\nsysrec_rules_loaded %zu\n"
	            "# HELP sysrec_alerts_total Alerts of rules written since the agent started.\n"
	            "# TYPE sysrec_alerts_total counter\nsysrec_alerts_total %llu\n"
	            "# HELP sysrec_alerts_dropped_total Alerts held back by a rule's rate limit.\n"
	            "# TYPE sysrec_alerts_dropped_total counter\nsysrec_alerts_dropped_total %llu\n"
	            "# HELP sysrec_rule_captures_total Captures rules asked for, by result.\n"
	            "# TYPE sysrec_rule_captures_total counter\n"
	            "sysrec_rule_captures_total{result=\"taken\"} %llu\n"
	            "sysrec_rule_captures_total{result=\"refused\"} %llu\n",
	            k.ru.loaded, (unsigned long long)k.ru.alerts, (unsigned long long)k.ru.alerts_dropped,
	            (unsigned long long)k.ru.captures_taken, (unsigned long long)k.ru.captures_refused);
	sbuf_printf(&b,
	            "# HELP sysrec_catalog_unsaved_records Capture records whose write failed, not yet "
	            "rewritten.\n"
	            "# TYPE sysrec_catalog_unsaved_records gauge\nsysrec_catalog_unsaved_records %zu\n"
	            "# HELP sysrec_catalog_record_write_failures_total Capture record writes that failed.\n"
	            "# TYPE sysrec_catalog_record_write_failures_total counter\n"
	            "sysrec_catalog_record_write_failures_total %llu\n",
	            k.cs.unsaved, (unsigned long long)k.cs.write_failures);
	sbuf_printf(&b,
	            "# HELP sysrec_http_connections Connections the API holds.\n"
	            "# TYPE sysrec_http_connections gauge\nsysrec_http_connections %u\n"
	            "# HELP sysrec_http_connections_closed_total API connections the agent closed or "
	            "refused, by reason.\n"
	            "# TYPE sysrec_http_connections_closed_total counter\n"
	            "sysrec_http_connections_closed_total{reason=\"refused\"} %llu\n"
	            "sysrec_http_connections_closed_total{reason=\"evicted\"} %llu\n"
	            "sysrec_http_connections_closed_total{reason=\"header_timeout\"} %llu\n",
	            k.conns.open, (unsigned long long)k.conns.refused, (unsigned long long)k.conns.evicted,
	            (unsigned long long)k.conns.head_timeouts);
	sbuf_printf(&b, "# HELP sysrec_drops_by_cause_total Events lost since the agent started, by cause.\n"
	                "# TYPE sysrec_drops_by_cause_total counter\n");
	for (int i = 0; i < EVENT_LOST_NCAUSES; i++)
		sbuf_printf(&b, "sysrec_drops_by_cause_total{cause=\"%s\"} %llu\n",
		            event_loss_cause_name((enum event_loss_cause)i), (unsigned long long)k.dby[i]);
	r->resp = MHD_create_response_from_buffer(b.len, b.data, MHD_RESPMEM_MUST_COPY);
	MHD_add_response_header(r->resp, MHD_HTTP_HEADER_CONTENT_TYPE, "text/plain; version=0.0.4");
	r->status = 200;
	sbuf_release(&b);
}

/* ---- the web UI: its files, without the token (the page asks for it) ---- */

/* The policy of the UI's pages: their own files only, no inline script or style, no framing. */
#define WEB_CSP                                                                                        \
	"default-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'; object-src " \
	"'none'"

/* The embedded file url names (/ is index.html, /web/NAME is NAME), or NULL. */
static const struct web_asset *web_file(const char *url)
{
	const char *name = NULL;

	if (strcmp(url, "/") == 0 || strcmp(url, "/index.html") == 0)
		name = "index.html";
	else if (strncmp(url, "/web/", 5) == 0)
		name = url + 5;
	if (!name)
		return NULL;
	for (size_t i = 0; i < web_assets_n; i++)
		if (strcmp(web_assets[i].name, name) == 0)
			return &web_assets[i];
	return NULL;
}

/* A reply for a file of the UI, true when url names one. */
static bool web(const char *url, const char *method, struct reply *r)
{
	const struct web_asset *f = web_file(url);

	if (!f)
		return false;
	if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0) {
		fail(r, -EOPNOTSUPP, "%s does not take %s", url, method);
		return true;
	}
	r->resp = MHD_create_response_from_buffer(f->len, (void *)(uintptr_t)f->data, MHD_RESPMEM_PERSISTENT);
	MHD_add_response_header(r->resp, MHD_HTTP_HEADER_CONTENT_TYPE, f->type);
	MHD_add_response_header(r->resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-cache");
	MHD_add_response_header(r->resp, "Content-Security-Policy", WEB_CSP);
	MHD_add_response_header(r->resp, "X-Content-Type-Options", "nosniff");
	MHD_add_response_header(r->resp, "Referrer-Policy", "no-referrer");
	r->status = 200;
	return true;
}

/* Whether url is the API's (or the metrics'): those need the token. */
static bool needs_token(const char *url)
{
	return strncmp(url, "/api/", 5) == 0 || strcmp(url, "/api") == 0 || strncmp(url, "/metrics", 8) == 0;
}

/* ---- routing ---- */

struct route {
	const char *method;
	const char *pattern; /* '*' stands for one path segment: the capture id */
	void (*fn)(const struct call *c, struct reply *r);
};

static const struct route routes[] = {
	{ "POST", "/api/captures", take },
	{ "GET", "/api/captures", list },
	{ "POST", "/api/captures/delete", delete_many },
	{ "GET", "/api/captures/*", show },
	{ "DELETE", "/api/captures/*", delete_capture },
	{ "GET", "/api/captures/*/download", download },
	{ "POST", "/api/captures/*/download-link", download_link },
	{ "POST", "/api/captures/*/keep", keep },
	{ "POST", "/api/captures/*/discard", discard },
	{ "GET", "/api/status", status },
	{ "GET", "/metrics", metrics },
};

static bool authorized(const struct agent *a, struct MHD_Connection *conn)
{
	const char *h = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION);

	if (!h || strncasecmp(h, "Bearer ", 7) != 0)
		return false;
	h += 7;
	return strlen(h) == 64 && CRYPTO_memcmp(h, a->token, 64) == 0;
}

static enum MHD_Result send_reply(struct MHD_Connection *conn, struct reply *r)
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

/* The gate's handle of conn (NULL if it has none). */
static struct gate_conn *gate_of(struct MHD_Connection *conn)
{
	const union MHD_ConnectionInfo *ci =
	        MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);

	return ci ? ci->socket_context : NULL;
}

/* Whether the request announces a body (a non-zero Content-Length, or chunks). */
static bool has_body(struct MHD_Connection *conn)
{
	const char *cl = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);

	return (cl && strspn(cl, "0") != strlen(cl)) ||
	       MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_TRANSFER_ENCODING);
}

/* The announced Content-Length, or 0 (MHD has checked that it is a number). */
static unsigned long long content_length(struct MHD_Connection *conn)
{
	const char *cl = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);

	return cl ? strtoull(cl, NULL, 10) : 0;
}

/*
 * The request head is in (the first call of the access handler): the gate
 * learns whether it carries the token, and a request that will not be served
 * is answered now, before any of its body is read (answering early makes MHD
 * close the connection after the reply). The rest wait for their body.
 */
static enum MHD_Result head_in(struct agent_http *h, struct MHD_Connection *conn, const char *url,
                               const char *method, const struct req *rq)
{
	struct reply r = { 0 };
	bool trusted = authorized(h->a, conn);

	gate_head(h->gate, gate_of(conn), trusted);
	if (rq->nul) {
		fail(&r, -EINVAL, "the path or a query argument holds an encoded NUL (%%00)");
		return send_reply(conn, &r);
	}
	if (web_file(url)) {
		bool plain_get = !strcmp(method, "GET") || !strcmp(method, "HEAD");

		/* a plain GET is served once the (empty) request is complete: the connection stays */
		if (plain_get && !has_body(conn))
			return MHD_YES;
		web(url, method, &r);
		return send_reply(conn, &r);
	}
	if (is_link(url)) { /* no token: the nonce is the credential; nothing to upload */
		if (!has_body(conn))
			return MHD_YES;
		fail(&r, -EINVAL, "a download link takes a GET without a body");
		return send_reply(conn, &r);
	}
	if (!needs_token(url)) {
		fail(&r, -ENOENT, "no such path: %s", url);
		return send_reply(conn, &r);
	}
	if (!trusted) {
		fail(&r, -EACCES,
		     "a valid API token is required: Authorization: Bearer TOKEN (sysrec token prints it)");
		return send_reply(conn, &r);
	}
	if (content_length(conn) > REQUEST_BODY_MAX) {
		fail(&r, -EMSGSIZE, "the body is larger than %u bytes", REQUEST_BODY_MAX);
		return send_reply(conn, &r);
	}
	return MHD_YES;
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *conn, const char *url, const char *method,
                              const char *version, const char *upload, size_t *upload_size, void **con_cls)
{
	struct agent_http *h = cls;
	struct req *rq = *con_cls;
	struct reply r = { 0 };
	struct call c = { 0 };
	bool path_known = false;

	(void)version;
	if (!rq) { /* the URI log callback makes it; this is only a safety net */
		rq = xcalloc(1, sizeof(*rq));
		*con_cls = rq;
	}
	if (!rq->head_seen) {
		rq->head_seen = true;
		return head_in(h, conn, url, method, rq);
	}
	if (*upload_size) {
		if (rq->body.len + *upload_size > REQUEST_BODY_MAX)
			rq->too_big = true;
		else
			sbuf_put(&rq->body, upload, *upload_size);
		*upload_size = 0;
		return MHD_YES;
	}
	c.a = h->a;
	c.http = h;
	c.conn = conn;
	c.method = method;
	c.req = rq;
	if (web(url, method, &r))
		return send_reply(conn, &r);
	if (rq->too_big) { /* chunked: no length was announced */
		fail(&r, -EMSGSIZE, "the body is larger than %u bytes", REQUEST_BODY_MAX);
		return send_reply(conn, &r);
	}
	if (is_link(url)) {
		follow_link(&c, url, &r);
		return send_reply(conn, &r);
	}
	for (size_t i = 0; i < ARRAY_SIZE(routes); i++) {
		if (!request_route(routes[i].pattern, url, c.idbuf, sizeof(c.idbuf)))
			continue;
		c.id = c.idbuf;
		path_known = true;
		if (strcmp(routes[i].method, method) != 0)
			continue;
		routes[i].fn(&c, &r);
		if (!r.status)
			fail(&r, -EIO, "no reply");
		return send_reply(conn, &r);
	}
	if (path_known)
		fail(&r, -EOPNOTSUPP, "%s does not take %s", url, method);
	else
		fail(&r, -ENOENT, "no such path: %s", url);
	return send_reply(conn, &r);
}

/* The request line is parsed: the request's state, with what its raw target says. */
static void *request_line(void *cls, const char *uri, struct MHD_Connection *conn)
{
	struct req *rq = xcalloc(1, sizeof(*rq));

	(void)cls;
	(void)conn;
	rq->nul = uri && request_target_has_nul(uri);
	return rq;
}

/* A request ends (answered, or its connection closed): its state goes; the gate waits for the next head. */
static void completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                      enum MHD_RequestTerminationCode toe)
{
	struct agent_http *h = cls;
	struct req *rq = *con_cls;

	(void)toe;
	gate_done(h->gate, gate_of(conn), mono_ns());
	if (rq) {
		sbuf_release(&rq->body);
		free(rq);
		*con_cls = NULL;
	}
}

/* Accept policy: the gate's limits, before MHD takes the connection. */
static enum MHD_Result admit(void *cls, const struct sockaddr *addr, socklen_t addrlen)
{
	struct agent_http *h = cls;

	return gate_admit(h->gate, addr, addrlen) ? MHD_YES : MHD_NO;
}

/* A connection starts or closes: the gate holds or forgets it. */
static void connection_event(void *cls, struct MHD_Connection *conn, void **socket_context,
                             enum MHD_ConnectionNotificationCode code)
{
	struct agent_http *h = cls;

	if (code == MHD_CONNECTION_NOTIFY_STARTED) {
		const union MHD_ConnectionInfo *fd =
		        MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
		const union MHD_ConnectionInfo *addr =
		        MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
		socklen_t len = 0;

		if (!fd)
			return;
		if (addr && addr->client_addr)
			len = addr->client_addr->sa_family == AF_INET6 ? sizeof(struct sockaddr_in6)
			                                               : sizeof(struct sockaddr_in);
		*socket_context =
		        gate_add(h->gate, fd->connect_fd, addr ? addr->client_addr : NULL, len, mono_ns());
	} else if (code == MHD_CONNECTION_NOTIFY_CLOSED) {
		gate_remove(h->gate, *socket_context);
		*socket_context = NULL;
	}
}

/* At most once a minute, what the gate closed or refused since the last report. */
static void report_gate(struct agent_http *h, struct gate_stats *last, uint64_t *next, uint64_t now)
{
	struct gate_stats st;

	if (now < *next)
		return;
	gate_stats(h->gate, &st);
	if (st.head_timeouts != last->head_timeouts || st.evicted != last->evicted ||
	    st.refused != last->refused) {
		log_warn("http: since the last report, %llu connections closed at the %u s head deadline, "
		         "%llu closed to make room, %llu refused at the limits (%u, %u per address)",
		         (unsigned long long)(st.head_timeouts - last->head_timeouts),
		         (unsigned)h->a->cfg->http_header_timeout,
		         (unsigned long long)(st.evicted - last->evicted),
		         (unsigned long long)(st.refused - last->refused),
		         (unsigned)h->a->cfg->http_max_connections, (unsigned)h->a->cfg->http_max_per_ip);
		*last = st;
		*next = now + 60 * NS_PER_S;
	}
}

/* The sweeper thread: closes the connections whose head is late, waking at the next deadline. */
static void *sweep_heads(void *arg)
{
	struct agent_http *h = arg;
	struct gate_stats last = { 0 };
	uint64_t next_report = 0;

	pthread_mutex_lock(&h->lock);
	while (!h->stop) {
		uint64_t now = mono_ns(), wait = gate_sweep(h->gate, now);
		struct timespec until;

		report_gate(h, &last, &next_report, now);
		if (wait > NS_PER_S)
			wait = NS_PER_S;
		clock_gettime(CLOCK_MONOTONIC, &until);
		wait += (uint64_t)until.tv_nsec + 1000000u; /* a millisecond past, so that it is due */
		until.tv_sec += (time_t)(wait / NS_PER_S);
		until.tv_nsec = (long)(wait % NS_PER_S);
		pthread_cond_timedwait(&h->wake, &h->lock, &until);
	}
	pthread_mutex_unlock(&h->lock);
	return NULL;
}

static char *read_text(const char *path, struct err *e)
{
	FILE *f = fopen(path, "r");
	struct sbuf b;
	char buf[4096];
	size_t n;

	if (!f) {
		err_set(e, -errno, "cannot read %s: %s", path, strerror(errno));
		return NULL;
	}
	sbuf_init(&b, 4096);
	while ((n = fread(buf, 1, sizeof(buf), f)) > 0 && b.len < (1u << 20))
		sbuf_put(&b, buf, n);
	fclose(f);
	sbuf_cstr(&b);
	return b.data;
}

/* The listen address (split by agent_listen_split(), which the config checked) as a socket address. */
static int listen_addr(const char *listen, struct sockaddr_storage *ss, struct err *e)
{
	char host[256];
	uint16_t port;
	struct sockaddr_in *v4 = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)ss;

	if (agent_listen_split(listen, host, sizeof(host), &port) != 0)
		return err_set(e, -EINVAL, "listen must be HOST:PORT or [V6ADDR]:PORT, not '%s'", listen);
	memset(ss, 0, sizeof(*ss));
	if (inet_pton(AF_INET, host, &v4->sin_addr) == 1) {
		v4->sin_family = AF_INET;
		v4->sin_port = htons(port);
	} else if (inet_pton(AF_INET6, host, &v6->sin6_addr) == 1) {
		v6->sin6_family = AF_INET6;
		v6->sin6_port = htons(port);
	} else {
		return err_set(e, -EINVAL, "listen: '%s' is not an IPv4 or IPv6 address", host);
	}
	return 0;
}

int agent_http_start(struct agent *a, struct agent_http **out, struct err *e)
{
	struct agent_http *h = xcalloc(1, sizeof(*h));
	struct sockaddr_storage ss = { 0 };
	/* poll, not select: no socket number is too large for it */
	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION | MHD_USE_POLL |
	                 MHD_USE_ERROR_LOG;
	const struct gate_limits lim = {
		.max_connections = a->cfg->http_max_connections,
		.max_per_ip = a->cfg->http_max_per_ip,
		.head_timeout_ns = (uint64_t)a->cfg->http_header_timeout * NS_PER_S,
	};
	pthread_condattr_t ca;
	int rc;
	struct MHD_OptionItem opts[] = {
		{ MHD_OPTION_SOCK_ADDR, 0, &ss },
		{ MHD_OPTION_NOTIFY_COMPLETED, (intptr_t)completed, h },
		{ MHD_OPTION_URI_LOG_CALLBACK, (intptr_t)request_line, h },
		{ MHD_OPTION_NOTIFY_CONNECTION, (intptr_t)connection_event, h },
		/* the gate's bound: the connections it holds and those being closed */
		{ MHD_OPTION_CONNECTION_LIMIT, 2 * (intptr_t)lim.max_connections, NULL },
		{ MHD_OPTION_CONNECTION_TIMEOUT, HTTP_IDLE_TIMEOUT_S, NULL },
		{ MHD_OPTION_END, 0, NULL }, /* or the certificate */
		{ MHD_OPTION_END, 0, NULL }, /* and its key */
		{ MHD_OPTION_END, 0, NULL },
	};

	*out = NULL;
	h->a = a;
	if ((rc = listen_addr(a->cfg->listen, &ss, e)) != 0) {
		free(h);
		return rc;
	}
	if (ss.ss_family == AF_INET6)
		flags |= MHD_USE_IPv6;
	if (a->cfg->tls_cert) {
		if (!(h->cert = read_text(a->cfg->tls_cert, e)) ||
		    !(h->key = read_text(a->cfg->tls_key, e))) {
			free(h->cert);
			free(h);
			return -EIO; /* read_text() has set e */
		}
		flags |= MHD_USE_TLS;
		opts[ARRAY_SIZE(opts) - 3] = (struct MHD_OptionItem){ MHD_OPTION_HTTPS_MEM_CERT, 0, h->cert };
		opts[ARRAY_SIZE(opts) - 2] = (struct MHD_OptionItem){ MHD_OPTION_HTTPS_MEM_KEY, 0, h->key };
	}
	h->gate = gate_new(&lim);
	pthread_mutex_init(&h->lock, NULL);
	pthread_mutex_init(&h->links_lock, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&h->wake, &ca);
	pthread_condattr_destroy(&ca);
	if (pthread_create(&h->sweeper, NULL, sweep_heads, h) != 0) {
		agent_http_stop(h);
		return err_set(e, -EAGAIN, "cannot start the API's connection sweeper thread");
	}
	h->sweeping = true;
	h->d = MHD_start_daemon(flags, 0, admit, h, handle, h, MHD_OPTION_ARRAY, opts, MHD_OPTION_END);
	if (!h->d) {
		agent_http_stop(h);
		return err_set(e, -EADDRINUSE,
		               "cannot serve the API on %s (the address is taken, or TLS failed)",
		               a->cfg->listen);
	}
	*out = h;
	return 0;
}

void agent_http_stop(struct agent_http *h)
{
	if (!h)
		return;
	if (h->sweeping) {
		pthread_mutex_lock(&h->lock);
		h->stop = true;
		pthread_cond_signal(&h->wake);
		pthread_mutex_unlock(&h->lock);
		pthread_join(h->sweeper, NULL);
	}
	if (h->d)
		MHD_stop_daemon(h->d); /* every connection closes, and leaves the gate */
	if (h->gate) {
		pthread_cond_destroy(&h->wake);
		pthread_mutex_destroy(&h->lock);
		pthread_mutex_destroy(&h->links_lock);
	}
	gate_free(h->gate);
	free(h->cert);
	free(h->key);
	free(h);
}
