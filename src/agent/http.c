/*
 * http: the agent's HTTP API on libmicrohttpd (docs/api.md): the server, and
 * each request from its head to its handler, routed by a table; the handlers
 * and their replies are in the files http_int.h lists.
 * Connections pass the gate (gate.h): its limits at accept, its head deadline
 * kept by a sweeper thread; a request that will not be served (no token, an
 * encoded NUL, a body over the limit) is answered as soon as its head is in.
 */
#include "http_int.h"
#include "web.h"

#include <arpa/inet.h>
#include <errno.h>
#include <microhttpd.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

/* MHD's own inactivity timeout (reset by every byte), once the head is in. */
#define HTTP_IDLE_TIMEOUT_S 60u
#define NS_PER_S            1000000000ull

/* The monotonic clock in ns. */
uint64_t http_mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * NS_PER_S + (uint64_t)ts.tv_nsec;
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
		http_fail(r, -EOPNOTSUPP, "%s does not take %s", url, method);
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
	{ "POST", "/api/captures", http_captures_take },
	{ "GET", "/api/captures", http_captures_list },
	{ "POST", "/api/captures/delete", http_captures_delete_many },
	{ "GET", "/api/captures/*", http_captures_show },
	{ "DELETE", "/api/captures/*", http_captures_delete },
	{ "GET", "/api/captures/*/download", http_download },
	{ "POST", "/api/captures/*/download-link", http_download_link },
	{ "POST", "/api/captures/*/keep", http_captures_keep },
	{ "POST", "/api/captures/*/discard", http_captures_discard },
	{ "GET", "/api/status", http_get_status },
	{ "GET", "/api/pcapdump", http_pcapdump_status },
	{ "PUT", "/api/pcapdump", http_pcapdump_set },
	{ "POST", "/api/pcapdump", http_pcapdump_set },
	{ "GET", "/api/pcapdump/export", http_pcapdump_export },
	{ "GET", "/metrics", http_get_metrics },
};

static bool authorized(const struct agent *a, struct MHD_Connection *conn)
{
	const char *h = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION);

	if (!h || strncasecmp(h, "Bearer ", 7) != 0)
		return false;
	h += 7;
	return strlen(h) == 64 && CRYPTO_memcmp(h, a->token, 64) == 0;
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
		http_fail(&r, -EINVAL, "the path or a query argument holds an encoded NUL (%%00)");
		return http_send_reply(conn, &r);
	}
	if (web_file(url)) {
		bool plain_get = !strcmp(method, "GET") || !strcmp(method, "HEAD");

		/* a plain GET is served once the (empty) request is complete: the connection stays */
		if (plain_get && !has_body(conn))
			return MHD_YES;
		web(url, method, &r);
		return http_send_reply(conn, &r);
	}
	if (http_is_link(url)) { /* no token: the nonce is the credential; nothing to upload */
		if (!has_body(conn))
			return MHD_YES;
		http_fail(&r, -EINVAL, "a download link takes a GET without a body");
		return http_send_reply(conn, &r);
	}
	if (!needs_token(url)) {
		http_fail(&r, -ENOENT, "no such path: %s", url);
		return http_send_reply(conn, &r);
	}
	if (!trusted) {
		http_fail(&r, -EACCES,
		          "a valid API token is required: Authorization: Bearer TOKEN (sysrec token prints "
		          "it)");
		return http_send_reply(conn, &r);
	}
	if (content_length(conn) > REQUEST_BODY_MAX) {
		http_fail(&r, -EMSGSIZE, "the body is larger than %u bytes", REQUEST_BODY_MAX);
		return http_send_reply(conn, &r);
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
		return http_send_reply(conn, &r);
	if (rq->too_big) { /* chunked: no length was announced */
		http_fail(&r, -EMSGSIZE, "the body is larger than %u bytes", REQUEST_BODY_MAX);
		return http_send_reply(conn, &r);
	}
	if (http_is_link(url)) {
		http_follow_link(&c, url, &r);
		return http_send_reply(conn, &r);
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
			http_fail(&r, -EIO, "no reply");
		return http_send_reply(conn, &r);
	}
	if (path_known)
		http_fail(&r, -EOPNOTSUPP, "%s does not take %s", url, method);
	else
		http_fail(&r, -ENOENT, "no such path: %s", url);
	return http_send_reply(conn, &r);
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
	gate_done(h->gate, gate_of(conn), http_mono_ns());
	if (rq) {
		sbuf_release(&rq->body);
		free(rq);
		*con_cls = NULL;
	}
}

/* ---- the server: its connections through the gate, start and stop ---- */

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
		*socket_context = gate_add(h->gate, fd->connect_fd, addr ? addr->client_addr : NULL, len,
		                           http_mono_ns());
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
		uint64_t now = http_mono_ns(), wait = gate_sweep(h->gate, now);
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
