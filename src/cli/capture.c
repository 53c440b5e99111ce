/*
 * capture: `sysrec capture take|list|show|download|delete|keep|discard` and
 * `sysrec token`, the command-line client of the agent's API (docs/api.md).
 * Requests go through client.c; this file parses options, checks them before
 * any request, and prints what came back: a table, one member per line, or
 * the API's own JSON with --json.
 */
#include "cli.h"

#include "../common/common.h"
#include "client.h"

#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <jansson.h>
#include <locale.h>
#include <math.h>
#include <openssl/evp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>
#include <wchar.h>

#define DEFAULT_URL   "http://127.0.0.1:7070"
#define DEFAULT_DATA  "/var/lib/sysrec"
#define TOKEN_MAX     4096      /* bytes of the token file read */
#define POLL_NS       250000000 /* between two looks at a capture being taken */
#define NAME_COLS     40        /* names wider than this are cut, on a terminal */
#define DELETE_BATCH  1000      /* ids per POST /api/captures/delete */
#define JSON_OUT      (JSON_INDENT(2) | JSON_REAL_PRECISION(15))
#define CAPTURE_PATH  "/api/captures"
#define SHA256_HEXLEN 64

/* Every option of every subcommand; each subcommand names those it takes as a mask. */
enum opt {
	O_URL,
	O_TOKEN,
	O_DATA,
	O_CACERT,
	O_INSECURE,
	O_JSON,
	O_NAME,
	O_CONTAINER,
	O_DURATION,
	O_BEFORE,
	O_AFTER,
	O_FILTER,
	O_FILTER_PROCLIST,
	O_STORAGE,
	O_NO_WAIT,
	O_SEARCH,
	O_ERROR,
	O_EXPIRING,
	O_STATUS,
	O_SORT,
	O_ASC,
	O_LIMIT,
	O_OFFSET,
	O_OUTPUT,
};
#define BIT(o)      (1u << (o))
#define OPT_VAL(o)  (256 + (int)(o)) /* getopt's value for a long option */
#define COMMON_OPTS (BIT(O_URL) | BIT(O_TOKEN) | BIT(O_DATA) | BIT(O_CACERT) | BIT(O_INSECURE) | BIT(O_JSON))
#define TAKE_OPTS                                                                                          \
	(BIT(O_NAME) | BIT(O_CONTAINER) | BIT(O_DURATION) | BIT(O_BEFORE) | BIT(O_AFTER) | BIT(O_FILTER) | \
	 BIT(O_FILTER_PROCLIST) | BIT(O_STORAGE) | BIT(O_NO_WAIT))
#define LIST_OPTS                                                                                    \
	(BIT(O_SEARCH) | BIT(O_ERROR) | BIT(O_EXPIRING) | BIT(O_STATUS) | BIT(O_SORT) | BIT(O_ASC) | \
	 BIT(O_LIMIT) | BIT(O_OFFSET))

static const struct option longs[] = {
	{ "url", required_argument, NULL, OPT_VAL(O_URL) },
	{ "token", required_argument, NULL, OPT_VAL(O_TOKEN) },
	{ "data", required_argument, NULL, OPT_VAL(O_DATA) },
	{ "cacert", required_argument, NULL, OPT_VAL(O_CACERT) },
	{ "insecure", no_argument, NULL, OPT_VAL(O_INSECURE) },
	{ "json", no_argument, NULL, OPT_VAL(O_JSON) },
	{ "name", required_argument, NULL, OPT_VAL(O_NAME) },
	{ "container", required_argument, NULL, OPT_VAL(O_CONTAINER) },
	{ "duration", required_argument, NULL, OPT_VAL(O_DURATION) },
	{ "before", required_argument, NULL, OPT_VAL(O_BEFORE) },
	{ "after", required_argument, NULL, OPT_VAL(O_AFTER) },
	{ "filter", required_argument, NULL, OPT_VAL(O_FILTER) },
	{ "filter-proclist", no_argument, NULL, OPT_VAL(O_FILTER_PROCLIST) },
	{ "storage", required_argument, NULL, OPT_VAL(O_STORAGE) },
	{ "no-wait", no_argument, NULL, OPT_VAL(O_NO_WAIT) },
	{ "search", required_argument, NULL, OPT_VAL(O_SEARCH) },
	{ "error", no_argument, NULL, OPT_VAL(O_ERROR) },
	{ "expiring", no_argument, NULL, OPT_VAL(O_EXPIRING) },
	{ "status", required_argument, NULL, OPT_VAL(O_STATUS) },
	{ "sort", required_argument, NULL, OPT_VAL(O_SORT) },
	{ "asc", no_argument, NULL, OPT_VAL(O_ASC) },
	{ "limit", required_argument, NULL, OPT_VAL(O_LIMIT) },
	{ "offset", required_argument, NULL, OPT_VAL(O_OFFSET) },
	{ "output", required_argument, NULL, OPT_VAL(O_OUTPUT) },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

struct capture_opts {
	const char *url, *token_arg, *data, *cacert;
	bool insecure, json;
	const char *name, *container, *filter, *storage; /* take */
	double duration, before, after;
	bool filter_proclist, no_wait;
	const char *search, *status, *sort; /* list */
	bool asc;
	long limit, offset;
	const char *output; /* download */
	unsigned given;     /* BIT(O_...) of each option on the line */
	char **args;        /* the words after the subcommand: ids */
	int nargs;
};

struct subcommand {
	const char *name;
	int (*run)(struct client *c, const struct capture_opts *o);
	unsigned opts;          /* beyond COMMON_OPTS */
	int min_args, max_args; /* ids; max -1: any number */
	const char *synopsis;
	const char *help; /* its own options */
};

static const char common_help[] =
        "  --url URL             the agent (else $SYSREC_URL, else " DEFAULT_URL ")\n"
        "  --token TOKEN         the API token (else $SYSREC_TOKEN, else the file DATA/token)\n"
        "  --data DIR            the agent's data directory (else $SYSREC_DATA, else " DEFAULT_DATA ")\n"
        "  --cacert FILE         the CA that signed the agent's TLS certificate\n"
        "  --insecure            do not verify the agent's TLS certificate\n"
        "  --json                print the API's JSON on stdout\n";

static int usage_error(const char *fmt, ...) PRINTF_LIKE(1, 2);
static int usage_error(const char *fmt, ...)
{
	va_list ap;

	fputs("sysrec capture: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return 2;
}

static int fail(const struct err *e)
{
	fflush(stdout); /* what was printed comes first when both go to one place */
	fprintf(stderr, "sysrec capture: %s\n", e->msg);
	return 1;
}

static void print_json(const json_t *j)
{
	json_dumpf(j, stdout, JSON_OUT);
	putchar('\n');
}

static const char *member_str(const json_t *obj, const char *key)
{
	const char *s = json_string_value(json_object_get(obj, key));

	return s ? s : "";
}

/* "/api/captures/ID" + suffix, the id escaped; the caller frees it. */
static char *capture_path(struct client *c, const char *id, const char *suffix)
{
	char *esc = client_escape(c, id);
	struct sbuf b = { 0 };

	sbuf_printf(&b, CAPTURE_PATH "/%s%s", esc, suffix);
	free(esc);
	return (char *)sbuf_cstr(&b);
}

/* ---- text for a terminal ---- */

/* Bytes of the UTF-8 sequence at p (jansson gives valid UTF-8 only) and its code point. */
static size_t utf8_next(const unsigned char *p, uint32_t *cp)
{
	size_t n = *p < 0x80 ? 1 : *p < 0xe0 ? 2 : *p < 0xf0 ? 3 : 4;
	uint32_t v = n == 1 ? *p : *p & (0x3f >> (n - 1));

	for (size_t i = 1; i < n; i++) {
		if ((p[i] & 0xc0) != 0x80) {
			*cp = 0xfffd;
			return i;
		}
		v = v << 6 | (p[i] & 0x3f);
	}
	*cp = v;
	return n;
}

/* Columns s takes; *fit gets the bytes of its longest prefix that fits in max columns. */
static size_t text_width(const char *s, size_t max, size_t *fit)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t cols = 0, i = 0;

	*fit = 0;
	while (p[i]) {
		uint32_t cp;
		size_t k = utf8_next(p + i, &cp);
		int w = wcwidth((wchar_t)cp);

		cols += w < 0 ? 1 : (size_t)w;
		i += k;
		if (cols <= max)
			*fit = i;
	}
	return cols;
}

/* s for a terminal: control characters (a hostile name could move the cursor) become spaces. */
static char *clean_text(const char *s)
{
	char *c = xstrdup(s);

	for (char *p = c; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = ' ';
	return c;
}

/* ---- the capture table ---- */

enum { COL_STATUS, COL_NAME, COL_TIME, COL_DURATION, COL_TRIGGER, COL_HOST, NCOLS };
static const char *const col_titles[NCOLS] = { "Status", "Name", "Time", "Duration", "Trigger", "Host" };

static const struct {
	const char *status, *label;
} status_labels[] = {
	{ "ok", "Ok" },
	{ "error", "Error" },
	{ "recording", "Recording" },
	{ "storing", "Storing" },
};

static const char *status_label(const char *status)
{
	for (size_t i = 0; i < ARRAY_SIZE(status_labels); i++)
		if (!strcmp(status, status_labels[i].status))
			return status_labels[i].label;
	return status;
}

/* The local time of a capture's start: from start_ns, else the RFC 3339 `start`. */
static char *start_text(const json_t *cap)
{
	const json_t *ns = json_object_get(cap, "start_ns");
	struct tm tm;
	time_t t;
	char buf[64];

	if (json_is_integer(ns)) {
		t = (time_t)(json_integer_value(ns) / 1000000000);
	} else {
		const char *s = member_str(cap, "start");

		memset(&tm, 0, sizeof(tm));
		if (!strptime(s, "%Y-%m-%dT%H:%M:%S", &tm))
			return xstrdup("-");
		t = timegm(&tm);
	}
	if (!localtime_r(&t, &tm) || !strftime(buf, sizeof(buf), "%Y-%m-%d %H:%M:%S", &tm))
		return xstrdup("-");
	return xstrdup(buf);
}

static void row_cells(const json_t *cap, bool cut_names, char *cell[NCOLS])
{
	char dur[32];
	size_t fit;

	bool incomplete = json_is_true(json_object_get(cap, "incomplete"));
	double asked = json_number_value(json_object_get(cap, "before")) +
	               json_number_value(json_object_get(cap, "after"));
	double held = json_number_value(json_object_get(cap, "duration"));

	/* a capture that is not the whole window says so where it is listed */
	cell[COL_STATUS] = clean_text(incomplete && !strcmp(member_str(cap, "status"), "ok")
	                                      ? "Incomplete"
	                                      : status_label(member_str(cap, "status")));
	cell[COL_NAME] = clean_text(member_str(cap, "name"));
	if (cut_names && text_width(cell[COL_NAME], NAME_COLS - 1, &fit) > NAME_COLS) {
		char *cut = xmalloc(fit + sizeof("…"));

		memcpy(cut, cell[COL_NAME], fit);
		memcpy(cut + fit, "…", sizeof("…"));
		free(cell[COL_NAME]);
		cell[COL_NAME] = cut;
	}
	cell[COL_TIME] = start_text(cap);
	if (incomplete && held + 0.05 < asked)
		snprintf(dur, sizeof(dur), "%.1fs of %.1fs", held, asked);
	else
		snprintf(dur, sizeof(dur), "%.1fs", held);
	cell[COL_DURATION] = xstrdup(dur);
	cell[COL_TRIGGER] = clean_text(member_str(cap, "trigger"));
	cell[COL_HOST] = clean_text(member_str(cap, "host"));
}

static void put_cell(struct sbuf *b, const char *s, size_t width, bool last, bool right)
{
	size_t fit, w = text_width(s, 0, &fit);
	size_t pad = width > w ? width - w : 0;

	if (right)
		for (size_t i = 0; i < pad; i++)
			sbuf_putc(b, ' ');
	sbuf_puts(b, s);
	if (last) {
		sbuf_putc(b, '\n');
		return;
	}
	if (!right)
		for (size_t i = 0; i < pad; i++)
			sbuf_putc(b, ' ');
	sbuf_puts(b, "  ");
}

/* Captures (a JSON array) as a table on stdout, each column as wide as its widest cell. */
static void print_table(const json_t *caps)
{
	size_t n = json_array_size(caps), width[NCOLS], fit;
	char *(*cells)[NCOLS] = xcalloc(n + 1, sizeof(*cells));
	bool cut = isatty(STDOUT_FILENO);
	struct sbuf b = { 0 };

	for (int k = 0; k < NCOLS; k++) {
		cells[0][k] = xstrdup(col_titles[k]);
		width[k] = strlen(col_titles[k]);
	}
	for (size_t i = 0; i < n; i++) {
		row_cells(json_array_get(caps, i), cut, cells[i + 1]);
		for (int k = 0; k < NCOLS; k++) {
			size_t w = text_width(cells[i + 1][k], 0, &fit);

			if (w > width[k])
				width[k] = w;
		}
	}
	for (size_t i = 0; i <= n; i++)
		for (int k = 0; k < NCOLS; k++) {
			put_cell(&b, cells[i][k], width[k], k == NCOLS - 1, k == COL_DURATION);
			free(cells[i][k]);
		}
	fwrite(b.data, 1, b.len, stdout);
	sbuf_release(&b);
	free(cells);
}

static void print_capture(const json_t *cap, bool json)
{
	json_t *one;

	if (json) {
		print_json(cap);
		return;
	}
	one = json_array();
	json_array_append(one, (json_t *)cap);
	print_table(one);
	json_decref(one);
}

/* ---- take ---- */

static volatile sig_atomic_t interrupted;

static void on_interrupt(int sig)
{
	(void)sig;
	interrupted = 1;
}

/* One line of stderr rewritten in place with \r. */
struct status_line {
	int len; /* the widest text shown; 0: nothing shown */
};

static void status_line_show(struct status_line *l, const char *fmt, ...) PRINTF_LIKE(2, 3);
static void status_line_show(struct status_line *l, const char *fmt, ...)
{
	char buf[128];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	fprintf(stderr, "\r%s%*s", buf, l->len > n ? l->len - n : 0, "");
	if (n > l->len)
		l->len = n;
}

static json_t *take_request(const struct capture_opts *o)
{
	json_t *req = json_object();
	int bad = json_object_set_new(req, "name", json_string(o->name));

	if (o->container)
		bad |= json_object_set_new(req, "container", json_string(o->container));
	if (o->given & BIT(O_DURATION))
		bad |= json_object_set_new(req, "duration", json_real(o->duration));
	if (o->given & BIT(O_BEFORE))
		bad |= json_object_set_new(req, "before", json_real(o->before));
	if (o->given & BIT(O_AFTER))
		bad |= json_object_set_new(req, "after", json_real(o->after));
	if (o->filter)
		bad |= json_object_set_new(req, "filter", json_string(o->filter));
	if (o->filter_proclist)
		bad |= json_object_set_new(req, "filter_proclist", json_true());
	if (o->storage)
		bad |= json_object_set_new(req, "storage", json_string(o->storage));
	if (bad) { /* json_string() refuses text that is not UTF-8 */
		json_decref(req);
		return NULL;
	}
	return req;
}

/*
 * Look at the capture every POLL_NS until it is ok or error, showing how far
 * it is on stderr when that is a terminal. Takes cap's reference; returns the
 * last look, or NULL with e set (also when interrupted: the capture goes on).
 */
static json_t *take_wait(struct client *c, json_t *cap, struct err *e)
{
	bool tty = isatty(STDERR_FILENO);
	struct status_line line = { 0 };
	struct sigaction sa = { .sa_handler = on_interrupt }, old_int;
	const struct timespec tick = { 0, POLL_NS };
	double t0 = mono_seconds();
	char *path = capture_path(c, member_str(cap, "id"), "");
	char *id = xstrdup(member_str(cap, "id"));

	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, &old_int);
	for (;;) {
		const char *status = member_str(cap, "status");
		json_t *next;

		if (!strcmp(status, "ok") || !strcmp(status, "error"))
			break;
		if (tty && !strcmp(status, "recording")) {
			double before = json_number_value(json_object_get(cap, "before"));
			double total = json_number_value(json_object_get(cap, "duration"));
			double done = before + mono_seconds() - t0;

			status_line_show(&line, "recording  %.1f/%.1f s", done < total ? done : total, total);
		} else if (tty) {
			status_line_show(&line, "%s", status);
		}
		nanosleep(&tick, NULL);
		next = interrupted ? NULL : client_call(c, "GET", path, NULL, e);
		if (interrupted)
			err_set(e, -EINTR, "stopped waiting: capture %s goes on (sysrec capture show %s)", id,
			        id);
		json_decref(cap);
		cap = next;
		if (!cap)
			break;
	}
	if (tty && line.len) {
		if (cap)
			status_line_show(&line, "%s", member_str(cap, "status"));
		fputc('\n', stderr);
	}
	sigaction(SIGINT, &old_int, NULL);
	free(path);
	free(id);
	return cap;
}

static int run_take(struct client *c, const struct capture_opts *o)
{
	json_t *req = take_request(o), *cap;
	struct err e = { { 0 } };
	int rc = 0;

	if (!req)
		return usage_error("--name, --container, --filter and --storage must be UTF-8 text");
	cap = client_call(c, "POST", CAPTURE_PATH, req, &e);
	json_decref(req);
	if (cap && !o->no_wait)
		cap = take_wait(c, cap, &e);
	if (!cap)
		return fail(&e);
	print_capture(cap, o->json);
	if (!strcmp(member_str(cap, "status"), "error")) {
		char *why = clean_text(member_str(cap, "error"));

		fflush(stdout);
		fprintf(stderr, "sysrec capture: capture %s failed: %s\n", member_str(cap, "id"),
		        *why ? why : "the agent gave no reason");
		free(why);
		rc = 1;
	} else if (json_is_true(json_object_get(cap, "incomplete"))) {
		char *why = clean_text(member_str(cap, "incomplete_reason"));

		fflush(stdout);
		fprintf(stderr, "sysrec capture: capture %s is incomplete: %s\n", member_str(cap, "id"), why);
		free(why);
	}
	json_decref(cap);
	return rc;
}

/* ---- list, show ---- */

static void add_param(struct client *c, struct sbuf *q, const char *name, const char *value)
{
	char *esc;

	if (!value)
		return;
	esc = client_escape(c, value);
	sbuf_printf(q, "%c%s=%s", q->len ? '&' : '?', name, esc);
	free(esc);
}

static int run_list(struct client *c, const struct capture_opts *o)
{
	struct sbuf q = { 0 }, path = { 0 };
	char num[32];
	struct err e = { { 0 } };
	json_t *reply, *caps;
	size_t shown;
	json_int_t total;

	add_param(c, &q, "search", o->search);
	add_param(c, &q, "status", o->status);
	add_param(c, &q, "sort", o->sort);
	add_param(c, &q, "order", o->asc ? "asc" : NULL);
	snprintf(num, sizeof(num), "%ld", o->limit);
	add_param(c, &q, "limit", o->limit >= 0 ? num : NULL);
	snprintf(num, sizeof(num), "%ld", o->offset);
	add_param(c, &q, "offset", o->offset >= 0 ? num : NULL);
	sbuf_printf(&path, CAPTURE_PATH "%s", q.len ? sbuf_cstr(&q) : "");
	reply = client_call(c, "GET", sbuf_cstr(&path), NULL, &e);
	sbuf_release(&q);
	sbuf_release(&path);
	if (!reply)
		return fail(&e);
	caps = json_object_get(reply, "captures");
	if (!json_is_array(caps)) {
		json_decref(reply);
		err_set(&e, -EPROTO, "the agent's list has no \"captures\" array");
		return fail(&e);
	}
	if (o->json) {
		print_json(reply);
	} else {
		print_table(caps);
		shown = json_array_size(caps);
		total = json_integer_value(json_object_get(reply, "total"));
		fflush(stdout);
		if (total > (json_int_t)shown)
			fprintf(stderr, "%zu of %" JSON_INTEGER_FORMAT " captures\n", shown, total);
	}
	json_decref(reply);
	return 0;
}

/* The members `show` prints first, in this order; any others follow as the agent sent them. */
static const char *const show_order[] = {
	"id",          "name",
	"status",      "host",
	"container",   "trigger",
	"filter",      "filter_proclist",
	"storage",     "start",
	"start_ns",    "duration",
	"before",      "after",
	"end",         "end_ns",
	"incomplete",  "incomplete_reason",
	"lost_events", "kept",
	"created",     "expires_at",
	"size",        "sha256",
	"error",
};

static void show_member(const char *key, const json_t *v, int width)
{
	char *text = json_is_string(v) ? clean_text(json_string_value(v))
	                               : json_dumps(v, JSON_ENCODE_ANY | JSON_REAL_PRECISION(15));

	if (text && *text)
		printf("%s:%*s %s\n", key, width - (int)strlen(key), "", text);
	else
		printf("%s:\n", key);
	free(text);
}

static int run_show(struct client *c, const struct capture_opts *o)
{
	char *path = capture_path(c, o->args[0], "");
	struct err e = { { 0 } };
	json_t *cap = client_call(c, "GET", path, NULL, &e);
	const char *key;
	json_t *v;
	int width = 0;

	free(path);
	if (!cap)
		return fail(&e);
	if (o->json) {
		print_json(cap);
		json_decref(cap);
		return 0;
	}
	json_object_foreach(cap, key, v) if ((int)strlen(key) > width) width = (int)strlen(key);
	for (size_t i = 0; i < ARRAY_SIZE(show_order); i++)
		if ((v = json_object_get(cap, show_order[i])))
			show_member(show_order[i], v, width);
	json_object_foreach(cap, key, v)
	{
		size_t i = 0;

		while (i < ARRAY_SIZE(show_order) && strcmp(key, show_order[i]) != 0)
			i++;
		if (i == ARRAY_SIZE(show_order))
			show_member(key, v, width);
	}
	json_decref(cap);
	return 0;
}

/* ---- download ---- */

struct download {
	struct sink *sink; /* NULL: stdout */
	EVP_MD_CTX *md;
	uint64_t bytes;
};

static int download_data(void *ctx, const void *p, size_t n, struct err *e)
{
	struct download *d = ctx;
	int rc;

	if (!EVP_DigestUpdate(d->md, p, n))
		return err_set(e, -EIO, "SHA-256 failed");
	d->bytes += n;
	if (d->sink) {
		sink_write(d->sink, p, n);
		rc = sink_error(d->sink);
		return rc ? err_set(e, rc, "cannot write the download: %s", strerror(-rc)) : 0;
	}
	while (n) {
		ssize_t w = write(STDOUT_FILENO, p, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return err_set(e, -EIO, "cannot write to stdout: %s",
			               w < 0 ? strerror(errno) : "short write");
		p = (const char *)p + w;
		n -= (size_t)w;
	}
	return 0;
}

/* Stream the file, hashing what is written; 0 when it matches the catalog's sha256 and size. */
static int download_verified(struct client *c, const json_t *cap, struct download *d, struct err *e)
{
	const char *id = member_str(cap, "id"), *want = member_str(cap, "sha256");
	json_int_t size = json_integer_value(json_object_get(cap, "size"));
	unsigned char md[EVP_MAX_MD_SIZE];
	char got[2 * EVP_MAX_MD_SIZE + 1];
	unsigned mdlen = 0;
	char *path = capture_path(c, id, "/download");
	int rc;

	d->md = EVP_MD_CTX_new();
	if (!d->md || !EVP_DigestInit_ex(d->md, EVP_sha256(), NULL)) {
		EVP_MD_CTX_free(d->md);
		free(path);
		return err_set(e, -ENOMEM, "cannot start SHA-256");
	}
	rc = client_download(c, path, download_data, d, isatty(STDERR_FILENO), e);
	free(path);
	if (!rc && !EVP_DigestFinal_ex(d->md, md, &mdlen))
		rc = err_set(e, -EIO, "SHA-256 failed");
	EVP_MD_CTX_free(d->md);
	if (rc)
		return rc;
	for (unsigned i = 0; i < mdlen; i++)
		snprintf(got + 2 * i, 3, "%02x", md[i]);
	got[2 * mdlen] = '\0';
	if (strcasecmp(got, want) != 0)
		return err_set(e, -EBADMSG,
		               "the download of %s does not match the catalog: sha256 %s, expected %s", id,
		               got, want);
	if ((uint64_t)size != d->bytes)
		return err_set(e, -EBADMSG, "the download of %s has %llu bytes, the catalog says %lld", id,
		               (unsigned long long)d->bytes, (long long)size);
	return 0;
}

/* Into output (a file, published only when whole and verified; "-": stdout). */
static int download_to(struct client *c, const json_t *cap, const char *output, struct download *d,
                       struct err *e)
{
	int rc;

	if (strcmp(output, "-") != 0 && !(d->sink = sink_open(output, false, e)))
		return -EIO;
	rc = download_verified(c, cap, d, e);
	if (d->sink && rc)
		sink_abort(d->sink); /* nothing half-written or unverified under the name asked for */
	else if (d->sink)
		rc = sink_close(d->sink, e);
	d->sink = NULL;
	return rc;
}

static int run_download(struct client *c, const struct capture_opts *o)
{
	const char *id = o->args[0];
	char *path = capture_path(c, id, "");
	struct err e = { { 0 } };
	json_t *cap = client_call(c, "GET", path, NULL, &e);
	struct download d = { 0 };
	const char *status;
	int rc;

	free(path);
	if (!cap)
		return fail(&e);
	status = member_str(cap, "status");
	if (strcmp(status, "ok") != 0)
		rc = err_set(&e, -EAGAIN, "capture %s is %s, not ok: there is no file to download%s", id,
		             status, strcmp(status, "error") ? " yet" : "");
	else if (strlen(member_str(cap, "sha256")) != SHA256_HEXLEN)
		rc = err_set(&e, -EPROTO,
		             "the agent gives no sha256 for %s: a download could not be verified", id);
	else
		rc = download_to(c, cap, o->output, &d, &e);
	if (rc) {
		fail(&e);
		if (!strcmp(o->output, "-") && d.bytes)
			fprintf(stderr,
			        "sysrec capture: the %llu bytes written to stdout are not the capture\n",
			        (unsigned long long)d.bytes);
	} else if (o->json) {
		print_json(cap);
	} else if (strcmp(o->output, "-") != 0) {
		fprintf(stderr, "sysrec capture: downloaded %s to %s (%llu bytes, sha256 verified)\n", id,
		        o->output, (unsigned long long)d.bytes);
	}
	json_decref(cap);
	return rc ? 1 : 0;
}

/* ---- delete, keep, discard ---- */

/* Print a delete reply: "deleted ID" for each on stdout, "ID: why" for each error on stderr. */
static int report_deleted(const json_t *reply, const char *verb)
{
	const json_t *v;
	const char *id;
	size_t i;
	int failed = 0;

	json_array_foreach(json_object_get(reply, "deleted"), i, v)
	{
		char *s = clean_text(json_string_value(v) ? json_string_value(v) : "");

		printf("%s %s\n", verb, s);
		free(s);
	}
	json_object_foreach(json_object_get(reply, "errors"), id, v)
	{
		char *s = clean_text(id), *why = clean_text(json_string_value(v) ? json_string_value(v) : "");

		fprintf(stderr, "sysrec capture: %s: %s\n", s, why);
		free(s);
		free(why);
		failed = 1;
	}
	return failed;
}

static int run_delete(struct client *c, const struct capture_opts *o)
{
	json_t *all = json_pack("{s:[],s:{}}", "deleted", "errors");
	bool answered = false;
	int rc = 0;

	for (int from = 0; from < o->nargs; from += DELETE_BATCH) {
		int to = from + DELETE_BATCH < o->nargs ? from + DELETE_BATCH : o->nargs;
		struct err e = { { 0 } };
		json_t *reply, *ids = json_array();

		for (int i = from; i < to; i++)
			json_array_append_new(ids, json_string(o->args[i]));
		if (o->nargs == 1) {
			char *path = capture_path(c, o->args[0], "");

			reply = client_call(c, "DELETE", path, NULL, &e);
			free(path);
		} else {
			json_t *req = json_pack("{s:O}", "ids", ids);

			reply = client_call(c, "POST", CAPTURE_PATH "/delete", req, &e);
			json_decref(req);
		}
		json_decref(ids);
		if (!reply) {
			rc = fail(&e); /* the whole request failed: one message, not one per id */
			continue;
		}
		answered = true;
		json_array_extend(json_object_get(all, "deleted"), json_object_get(reply, "deleted"));
		json_object_update(json_object_get(all, "errors"), json_object_get(reply, "errors"));
		json_decref(reply);
	}
	if (!answered) {
		/* nothing to show */
	} else if (o->json) {
		print_json(all);
		rc |= json_object_size(json_object_get(all, "errors")) != 0;
	} else {
		rc |= report_deleted(all, "deleted");
	}
	json_decref(all);
	return rc;
}

static int run_keep_or_discard(struct client *c, const struct capture_opts *o, bool keep)
{
	char *path = capture_path(c, o->args[0], keep ? "/keep" : "/discard");
	struct err e = { { 0 } };
	json_t *reply = client_call(c, "POST", path, NULL, &e);
	int rc = 0;

	free(path);
	if (!reply)
		return fail(&e);
	if (o->json)
		print_json(reply);
	else if (keep)
		printf("kept %s\n", o->args[0]);
	else
		rc = report_deleted(reply, "discarded");
	json_decref(reply);
	return rc;
}

static int run_keep(struct client *c, const struct capture_opts *o)
{
	return run_keep_or_discard(c, o, true);
}

static int run_discard(struct client *c, const struct capture_opts *o)
{
	return run_keep_or_discard(c, o, false);
}

static const struct subcommand subcommands[] = {
	{ "take", run_take, TAKE_OPTS, 0, 0,
	  "take --name NAME [--container ID] [--duration S | --before S --after S] [--filter FILTER]\n"
	  "                      [--filter-proclist] [--storage local] [--no-wait]",
	  "  --name NAME           the capture's name (required)\n"
	  "  --container ID        record only this container's processes\n"
	  "  --duration S          seconds from now (default 5); --before and --after instead\n"
	  "  --before S            seconds before now, from the flight recorder\n"
	  "  --after S             seconds after now\n"
	  "  --filter FILTER       Falco condition: the events it rejects are not written\n"
	  "  --filter-proclist     apply the filter to the process table too\n"
	  "  --storage STORE       where to store it (local)\n"
	  "  --no-wait             return once the agent took the request\n" },
	{ "list", run_list, LIST_OPTS, 0, 0,
	  "list [--search S] [--error | --expiring | --status S] [--sort KEY] [--asc]\n"
	  "                      [--limit N] [--offset N]",
	  "  --search S            substring of the name, host or trigger\n"
	  "  --error, --expiring   only failed captures, or those retention deletes within 7 days\n"
	  "  --status S            ok, error, expiring, recording or storing\n"
	  "  --sort KEY            created (default), name, start, duration, size, status, trigger, host\n"
	  "  --asc                 ascending (default: descending)\n"
	  "  --limit N, --offset N the page: N captures (1..1000, default 100) after skipping N\n" },
	{ "show", run_show, 0, 1, 1, "show ID", "" },
	{ "download", run_download, BIT(O_OUTPUT), 1, 1, "download ID -o FILE",
	  "  -o, --output FILE     where to write the .scap file (- for stdout); it appears only\n"
	  "                        when whole and matching the catalog's sha256\n" },
	{ "delete", run_delete, 0, 1, -1, "delete ID [ID...]", "" },
	{ "keep", run_keep, 0, 1, 1, "keep ID", "" },
	{ "discard", run_discard, 0, 1, 1, "discard ID", "" },
};

static const struct subcommand *find_subcommand(const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(subcommands); i++)
		if (!strcmp(name, subcommands[i].name))
			return &subcommands[i];
	return NULL;
}

static void capture_usage(FILE *f, const struct subcommand *sub)
{
	if (sub) {
		fprintf(f, "usage: sysrec capture %s [options]\n\n%s%s", sub->synopsis, sub->help,
		        sub->help[0] ? "\n" : "");
	} else {
		fprintf(f, "usage: sysrec capture <subcommand> [options]\n\n");
		for (size_t i = 0; i < ARRAY_SIZE(subcommands); i++)
			fprintf(f, "  sysrec capture %s\n", subcommands[i].synopsis);
		fprintf(f,
		        "\nsysrec capture <subcommand> -h shows its options. Options of every subcommand:\n");
	}
	fputs(common_help, f);
}

/* ---- options ---- */

static const char *option_name(enum opt o)
{
	for (size_t i = 0; i < ARRAY_SIZE(longs) - 1; i++)
		if (longs[i].val == OPT_VAL(o))
			return longs[i].name;
	return "?";
}

static int parse_seconds(const char *s, enum opt o, double *v)
{
	char *end;

	errno = 0;
	*v = strtod(s, &end);
	if (errno || end == s || *end || !isfinite(*v) || *v < 0)
		return usage_error("--%s must be a number of seconds (0 or more), not '%s'", option_name(o),
		                   s);
	return 0;
}

static int parse_long(const char *s, enum opt o, long min, long max, long *v)
{
	char *end;

	errno = 0;
	*v = strtol(s, &end, 10);
	if (errno || end == s || *end || *v < min || *v > max)
		return usage_error("--%s must be a number from %ld to %ld, not '%s'", option_name(o), min,
		                   max, s);
	return 0;
}

static bool one_of(const char *s, const char *const *list)
{
	for (; *list; list++)
		if (!strcmp(s, *list))
			return true;
	return false;
}

static int set_option(struct capture_opts *o, enum opt opt, const char *arg)
{
	static const char *const statuses[] = { "ok", "error", "expiring", "recording", "storing", NULL };
	static const char *const sorts[] = { "created", "name",    "start", "duration", "size",
		                             "status",  "trigger", "host",  NULL };
	const char **str[] = {
		[O_URL] = &o->url,       [O_TOKEN] = &o->token_arg, [O_DATA] = &o->data,
		[O_CACERT] = &o->cacert, [O_NAME] = &o->name,       [O_CONTAINER] = &o->container,
		[O_FILTER] = &o->filter, [O_STORAGE] = &o->storage, [O_SEARCH] = &o->search,
		[O_STATUS] = &o->status, [O_SORT] = &o->sort,       [O_OUTPUT] = &o->output,
	};

	if ((o->given & BIT(opt)) && opt != O_ERROR && opt != O_EXPIRING)
		return usage_error("--%s is given twice", option_name(opt));
	o->given |= BIT(opt);
	if ((size_t)opt < ARRAY_SIZE(str) && str[opt])
		*str[opt] = arg;
	switch (opt) {
	case O_INSECURE:
		o->insecure = true;
		return 0;
	case O_JSON:
		o->json = true;
		return 0;
	case O_FILTER_PROCLIST:
		o->filter_proclist = true;
		return 0;
	case O_NO_WAIT:
		o->no_wait = true;
		return 0;
	case O_ASC:
		o->asc = true;
		return 0;
	case O_DURATION:
		return parse_seconds(arg, opt, &o->duration);
	case O_BEFORE:
		return parse_seconds(arg, opt, &o->before);
	case O_AFTER:
		return parse_seconds(arg, opt, &o->after);
	case O_LIMIT:
		return parse_long(arg, opt, 1, 1000, &o->limit);
	case O_OFFSET:
		return parse_long(arg, opt, 0, 1000000000, &o->offset);
	case O_ERROR:
	case O_EXPIRING:
		if (o->status && strcmp(o->status, opt == O_ERROR ? "error" : "expiring") != 0)
			return usage_error("--error, --expiring and --status select one status");
		o->status = opt == O_ERROR ? "error" : "expiring";
		return 0;
	case O_STATUS:
		if ((o->given & (BIT(O_ERROR) | BIT(O_EXPIRING))))
			return usage_error("--error, --expiring and --status select one status");
		if (!one_of(arg, statuses))
			return usage_error(
			        "--status must be ok, error, expiring, recording or storing, not '%s'", arg);
		return 0;
	case O_SORT:
		if (!one_of(arg, sorts))
			return usage_error(
			        "--sort must be one of created, name, start, duration, size, status, "
			        "trigger, host, not '%s'",
			        arg);
		return 0;
	default:
		return 0;
	}
}

/* What getopt cannot check: the subcommand, the options it takes, its ids. */
static int check_opts(const struct subcommand *sub, const struct capture_opts *o)
{
	unsigned extra = o->given & ~(COMMON_OPTS | sub->opts);

	for (enum opt k = O_URL; extra; k++, extra >>= 1)
		if (extra & 1)
			return usage_error("%s does not take --%s (sysrec capture %s -h lists its options)",
			                   sub->name, option_name(k), sub->name);
	if (o->nargs < sub->min_args)
		return usage_error("%s needs %s", sub->name,
		                   sub->max_args == 1 ? "an ID" : "at least one ID");
	if (sub->max_args >= 0 && o->nargs > sub->max_args)
		return usage_error("%s takes %s, not '%s'", sub->name, sub->max_args ? "one ID" : "no word",
		                   o->args[sub->max_args]);
	for (int i = 0; i < o->nargs; i++)
		if (!o->args[i][0] || !strcmp(o->args[i], ".") || !strcmp(o->args[i], ".."))
			return usage_error("'%s' is not a capture id", o->args[i]);
	if (sub->run == run_take) {
		if (!o->name || !o->name[0])
			return usage_error("take needs --name NAME");
		if ((o->given & BIT(O_DURATION)) && (o->given & (BIT(O_BEFORE) | BIT(O_AFTER))))
			return usage_error(
			        "--duration is the seconds after now: give it, or --before and --after");
	}
	if (sub->run == run_download) {
		if (!o->output)
			return usage_error("download needs -o FILE (- for stdout)");
		if (!strcmp(o->output, "-") && o->json)
			return usage_error("-o - and --json would both write to stdout");
		if (!strcmp(o->output, "-") && isatty(STDOUT_FILENO))
			return usage_error(
			        "will not write a capture to a terminal: redirect stdout, or -o FILE");
	}
	return 0;
}

/* Returns 0 to go on, -1 after -h, or the exit code of a usage error. */
static int parse_opts(int argc, char **argv, struct capture_opts *o, const struct subcommand **sub)
{
	int c;
	bool help = false;

	memset(o, 0, sizeof(*o));
	o->limit = o->offset = -1;
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":ho:", longs, NULL)) != -1) {
		int rc = 0;

		if (c == 'h')
			help = true;
		else if (c == 'o')
			rc = set_option(o, O_OUTPUT, optarg);
		else if (c >= OPT_VAL(O_URL) && c <= OPT_VAL(O_OUTPUT))
			rc = set_option(o, (enum opt)(c - OPT_VAL(O_URL)), optarg);
		else if (c == ':')
			rc = usage_error("%s needs a value", argv[optind - 1]);
		else if (optopt > 0 && optopt < 256)
			rc = usage_error("unknown option '-%c'", optopt);
		else
			rc = usage_error("unknown or malformed option '%s'", argv[optind - 1]);
		if (rc)
			return rc;
	}
	*sub = optind < argc ? find_subcommand(argv[optind]) : NULL;
	if (help) {
		capture_usage(stdout, *sub);
		return -1;
	}
	if (!*sub) {
		if (optind < argc)
			usage_error("unknown subcommand '%s'", argv[optind]);
		capture_usage(stderr, NULL);
		return 2;
	}
	o->args = argv + optind + 1;
	o->nargs = argc - optind - 1;
	return check_opts(*sub, o);
}

/* ---- the token ---- */

/* Bearer tokens are visible ASCII; anything else would break (or inject into) the header. */
static bool token_ok(const char *t)
{
	if (!*t)
		return false;
	for (; *t; t++)
		if (*t < 0x21 || *t > 0x7e)
			return false;
	return true;
}

/* The first line of the token file, newly allocated; NULL with e set when it cannot be had. */
static char *read_token_file(const char *path, struct err *e)
{
	char buf[TOKEN_MAX + 1];
	ssize_t n;
	size_t len;
	char *tok = NULL;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0) {
		err_set(e, -errno, "cannot read %s: %s", path, strerror(errno));
		return NULL;
	}
	do
		n = read(fd, buf, TOKEN_MAX);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		err_set(e, -errno, "cannot read %s: %s", path, strerror(errno));
	close(fd);
	if (n < 0)
		return NULL;
	buf[n] = '\0';
	len = strcspn(buf, "\r\n");
	while (len && (buf[len - 1] == ' ' || buf[len - 1] == '\t'))
		len--;
	buf[len] = '\0';
	if (!len)
		err_set(e, -ENODATA, "%s is empty", path);
	else if (len == TOKEN_MAX || !token_ok(buf))
		err_set(e, -EINVAL, "%s does not hold a token on its first line", path);
	else
		tok = xstrdup(buf);
	explicit_bzero(buf, sizeof(buf));
	return tok;
}

static char *token_path(const char *data)
{
	struct sbuf b = { 0 };

	sbuf_printf(&b, "%s/token", data ? data : env_or("SYSREC_DATA", DEFAULT_DATA));
	return (char *)sbuf_cstr(&b);
}

/*
 * --token, else $SYSREC_TOKEN, else DATA/token, into *token (the caller frees
 * it). Returns 0, or the exit code after saying why there is none: 2 for a
 * token given that cannot be one, 1 for a token file that cannot be read.
 */
static int resolve_token(const struct capture_opts *o, char **token)
{
	const char *t = o->token_arg ? o->token_arg : getenv("SYSREC_TOKEN");
	struct err e = { { 0 } };
	char *path;

	*token = NULL;
	if (t && *t) {
		if (!token_ok(t)) {
			usage_error("the token given by %s has characters no token has",
			            o->token_arg ? "--token" : "SYSREC_TOKEN");
			return 2;
		}
		*token = xstrdup(t);
		return 0;
	}
	path = token_path(o->data);
	*token = read_token_file(path, &e);
	free(path);
	if (*token)
		return 0;
	fprintf(stderr,
	        "sysrec capture: %s (start the agent once, pass --data DIR, or give --token or "
	        "SYSREC_TOKEN)\n",
	        e.msg);
	return 1;
}

int cmd_capture(int argc, char **argv)
{
	struct capture_opts o;
	const struct subcommand *sub = NULL;
	struct client_opts co = { 0 };
	struct client *c;
	struct err e = { { 0 } };
	char *token;
	int rc = parse_opts(argc, argv, &o, &sub);

	if (rc)
		return rc < 0 ? 0 : rc;
	co.url = o.url ? o.url : env_or("SYSREC_URL", DEFAULT_URL);
	if (strncasecmp(co.url, "http://", 7) != 0 && strncasecmp(co.url, "https://", 8) != 0)
		return usage_error("the agent's URL must start with http:// or https://, not '%s'", co.url);
	rc = resolve_token(&o, &token);
	if (rc || !token)
		return rc ? rc : 1;
	co.token = token;
	co.cacert = o.cacert;
	co.insecure = o.insecure;
	setlocale(LC_CTYPE, ""); /* wcwidth() for the table's columns */
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		err_set(&e, -EIO, "cannot start libcurl");
		rc = fail(&e);
	} else {
		c = client_new(&co, &e);
		rc = c ? sub->run(c, &o) : fail(&e);
		client_free(c);
		curl_global_cleanup();
	}
	fflush(stdout);
	if (ferror(stdout)) {
		fprintf(stderr, "sysrec capture: cannot write to stdout\n");
		rc = 1;
	}
	explicit_bzero(token, strlen(token));
	free(token);
	return rc;
}

int cmd_token(int argc, char **argv)
{
	static const struct option token_longs[] = {
		{ "data", required_argument, NULL, 'd' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *data = NULL;
	struct err e = { { 0 } };
	char *path, *tok;
	int c;

	optind = 1;
	while ((c = getopt_long(argc, argv, "h", token_longs, NULL)) != -1) {
		if (c == 'd') {
			data = optarg;
		} else if (c == 'h') {
			printf("usage: sysrec token [--data DIR]\n\n"
			       "Print the agent's API token, the first line of DIR/token (DIR: --data, else\n"
			       "$SYSREC_DATA, else " DEFAULT_DATA ").\n");
			return 0;
		} else {
			fprintf(stderr, "usage: sysrec token [--data DIR]\n");
			return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "sysrec token: unexpected '%s'\nusage: sysrec token [--data DIR]\n",
		        argv[optind]);
		return 2;
	}
	path = token_path(data);
	tok = read_token_file(path, &e);
	free(path);
	if (!tok) {
		fprintf(stderr, "sysrec token: %s (start the agent once, or pass --data DIR)\n", e.msg);
		return 1;
	}
	printf("%s\n", tok);
	explicit_bzero(tok, strlen(tok));
	free(tok);
	return fflush(stdout) ? 1 : 0;
}
