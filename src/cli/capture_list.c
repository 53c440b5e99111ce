/* capture_list: `sysrec capture list` and `show`: the capture table, one member per line, terminal text. */
#include "capture_int.h"

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <wchar.h>

#define NAME_COLS 40 /* names wider than this are cut, on a terminal */

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
char *capture_clean_text(const char *s)
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
		const char *s = capture_member_str(cap, "start");

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
	cell[COL_STATUS] = capture_clean_text(incomplete && !strcmp(capture_member_str(cap, "status"), "ok")
	                                              ? "Incomplete"
	                                              : status_label(capture_member_str(cap, "status")));
	cell[COL_NAME] = capture_clean_text(capture_member_str(cap, "name"));
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
	cell[COL_TRIGGER] = capture_clean_text(capture_member_str(cap, "trigger"));
	cell[COL_HOST] = capture_clean_text(capture_member_str(cap, "host"));
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

void capture_print(const json_t *cap, bool json)
{
	json_t *one;

	if (json) {
		capture_print_json(cap);
		return;
	}
	one = json_array();
	json_array_append(one, (json_t *)cap);
	print_table(one);
	json_decref(one);
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

int capture_run_list(struct client *c, const struct capture_opts *o)
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
		return capture_fail(&e);
	caps = json_object_get(reply, "captures");
	if (!json_is_array(caps)) {
		json_decref(reply);
		err_set(&e, -EPROTO, "the agent's list has no \"captures\" array");
		return capture_fail(&e);
	}
	if (o->json) {
		capture_print_json(reply);
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
	"id",
	"name",
	"status",
	"host",
	"container",
	"container_name",
	"container_image",
	"trigger",
	"filter",
	"filter_proclist",
	"storage",
	"start",
	"start_ns",
	"duration",
	"before",
	"after",
	"end",
	"end_ns",
	"incomplete",
	"incomplete_reason",
	"lost_events",
	"kept",
	"created",
	"expires_at",
	"size",
	"sha256",
	"error",
};

static void show_member(const char *key, const json_t *v, int width)
{
	char *text = json_is_string(v) ? capture_clean_text(json_string_value(v))
	                               : json_dumps(v, JSON_ENCODE_ANY | JSON_REAL_PRECISION(15));

	if (text && *text)
		printf("%s:%*s %s\n", key, width - (int)strlen(key), "", text);
	else
		printf("%s:\n", key);
	free(text);
}

int capture_run_show(struct client *c, const struct capture_opts *o)
{
	char *path = capture_path(c, o->args[0], "");
	struct err e = { { 0 } };
	json_t *cap = client_call(c, "GET", path, NULL, &e);
	const char *key;
	json_t *v;
	int width = 0;

	free(path);
	if (!cap)
		return capture_fail(&e);
	if (o->json) {
		capture_print_json(cap);
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
