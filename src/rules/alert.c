/*
 * alert: Falco 0.31.1's alert text and JSON, sinks and per-rule rate limits
 * (alert.h). Field values come from the filter module's compiled outputs,
 * one per %token, so a token's value, its absence and its JSON type are what
 * `sysrec read -p` and `-j` give for that field.
 */
#include "alert.h"

#include "../filter/filter.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

/* ------------------------------------------------------------ formats */

/* One piece of a format: literal text, or a field. */
struct token {
	char *text; /* literal text, or the field as written (the output_fields key) */
	size_t text_len;
	struct output *value; /* the field's text; output_event() false when missing */
	struct output *json;  /* the same field as -j writes it: {"key":VALUE} */
	unsigned width;       /* %Nfield: padded or cut to N characters (0: as is) */
	bool time;            /* Falco's JSON gives the event time in ns for it */
};

struct alert_format {
	struct token *t;
	size_t n;
	struct sbuf tmp;
};

/* Fields whose JSON value Falco gives as the event time in ns (libsinsp's extract_as_js). */
static const char *const time_fields[] = {
	"evt.time", "evt.time.s", "evt.time.iso8601", "evt.datetime", "evt.datetime.s", "evt.outputtime",
};

static bool is_time_field(const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(time_fields); i++)
		if (!strcmp(name, time_fields[i]))
			return true;
	return false;
}

static bool field_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
	       c == '_';
}

static void add_literal(struct alert_format *f, const char *s, size_t n)
{
	struct token *t;

	if (!n)
		return;
	f->t = xrealloc(f->t, (f->n + 1) * sizeof(*f->t));
	t = &f->t[f->n++];
	memset(t, 0, sizeof(*t));
	t->text = xstrndup(s, n);
	t->text_len = n;
}

/* The filter module's output for "%name", or NULL. */
static struct output *field_output(struct state *st, const char *name, size_t n, bool json, struct err *e)
{
	struct sbuf b = { 0 };
	struct output *o;

	sbuf_putc(&b, '%');
	sbuf_put(&b, name, n);
	o = output_new(st, sbuf_cstr(&b), json, e);
	sbuf_release(&b);
	return o;
}

/*
 * Compile the field named at name[0..*n): the longest prefix that names a
 * field, as Falco's formatter matches field names ("%proc.name." is
 * proc.name and a '.'). *n becomes its length; false when no prefix does.
 */
static bool add_field(struct alert_format *f, struct state *st, const char *name, size_t *n, unsigned width,
                      struct err *e)
{
	struct output *o = NULL;
	size_t len = *n;
	struct token *t;

	for (; len > 0 && !(o = field_output(st, name, len, false, NULL)); len--)
		;
	if (!o) {
		err_set(e, -EINVAL, "invalid formatting token %.*s", (int)*n, name);
		return false;
	}
	f->t = xrealloc(f->t, (f->n + 1) * sizeof(*f->t));
	t = &f->t[f->n++];
	memset(t, 0, sizeof(*t));
	t->text = xstrndup(name, len);
	t->text_len = len;
	t->value = o;
	t->json = field_output(st, name, len, true, NULL);
	t->width = width;
	t->time = is_time_field(t->text);
	*n = len;
	return true;
}

/* Falco's default for "%container.info" (no -pc/-pk): the container's name and id. */
static char *container_info(const char *output)
{
	struct sbuf b = { 0 };
	const char *p = output, *hit;
	char *s;

	while ((hit = strstr(p, "%container.info"))) {
		sbuf_put(&b, p, (size_t)(hit - p));
		sbuf_puts(&b, "%container.name (id=%container.id)");
		p = hit + strlen("%container.info");
	}
	sbuf_puts(&b, p);
	s = xstrdup(sbuf_cstr(&b));
	sbuf_release(&b);
	return s;
}

static struct alert_format *format_compile(struct state *st, const char *output, struct err *e);

struct alert_format *alert_format_compile(struct state *st, const char *output, struct err *e)
{
	char *text = container_info(output ? output : "");
	struct alert_format *f = format_compile(st, text, e);

	free(text);
	return f;
}

static struct alert_format *format_compile(struct state *st, const char *output, struct err *e)
{
	struct alert_format *f = xcalloc(1, sizeof(*f));
	const char *p = output;

	if (*p == '*')
		p++;
	while (*p) {
		const char *lit = p, *name;
		unsigned width = 0;
		size_t n;
		bool paren = false;

		while (*p && *p != '%')
			p++;
		add_literal(f, lit, (size_t)(p - lit));
		if (!*p)
			break;
		if (!p[1]) {
			err_set(e, -EINVAL, "invalid formatting syntax: formatting cannot end with a %%");
			goto fail;
		}
		p++;
		while (*p >= '0' && *p <= '9')
			width = width * 10 + (unsigned)(*p++ - '0');
		if (*p == '(') {
			paren = true;
			p++;
		}
		name = p;
		while (field_char(*p))
			p++;
		if (*p == '[' && strchr(p, ']'))
			p = strchr(p, ']') + 1;
		n = (size_t)(p - name);
		if (paren && *p != ')') {
			err_set(e, -EINVAL, "invalid formatting token %%(%.*s: missing ')'", (int)n, name);
			goto fail;
		}
		if (!n || !add_field(f, st, name, &n, width, e)) {
			if (!n)
				err_set(e, -EINVAL, "invalid formatting token %s", name - 1 - paren);
			goto fail;
		}
		if (paren && name + n != p) {
			err_set(e, -EINVAL, "invalid formatting token %%(%.*s)", (int)(p - name), name);
			goto fail;
		}
		p = name + n + paren;
	}
	return f;
fail:
	alert_format_free(f);
	return NULL;
}

void alert_format_free(struct alert_format *f)
{
	if (!f)
		return;
	for (size_t i = 0; i < f->n; i++) {
		free(f->t[i].text);
		output_free(f->t[i].value);
		output_free(f->t[i].json);
	}
	free(f->t);
	sbuf_release(&f->tmp);
	free(f);
}

/* Append the field's text (without the newline output_event() ends it with); false when missing. */
static bool token_text(struct token *t, const struct evctx *cx, struct sbuf *out)
{
	size_t start = out->len;

	if (!output_event(t->value, cx, out))
		return false;
	if (out->len > start && out->data[out->len - 1] == '\n')
		out->len--;
	return true;
}

static void format_message(struct alert_format *f, const struct evctx *cx, struct sbuf *out)
{
	for (size_t i = 0; i < f->n; i++) {
		struct token *t = &f->t[i];
		size_t start = out->len;

		if (!t->value) {
			sbuf_put(out, t->text, t->text_len);
			continue;
		}
		if (!token_text(t, cx, out))
			sbuf_puts(out, "<NA>");
		if (t->width) {
			size_t len = out->len - start;

			if (len > t->width) {
				out->len = start + t->width;
			} else {
				for (; len < t->width; len++)
					sbuf_putc(out, ' ');
			}
		}
	}
}

/* The field's JSON value as -j gives it: null when missing; its text as a string when -j's is not JSON. */
static json_t *token_json(struct alert_format *f, struct token *t, const struct evctx *cx)
{
	json_t *obj, *v = NULL;

	if (t->time)
		return json_integer((json_int_t)cx->ev->ts);
	sbuf_reset(&f->tmp);
	if (!t->json || !output_event(t->json, cx, &f->tmp))
		return json_null();
	obj = json_loadb(f->tmp.data, f->tmp.len, 0, NULL);
	if (obj && json_object_size(obj) == 1) {
		void *it = json_object_iter(obj);

		v = json_incref(json_object_iter_value(it));
	}
	json_decref(obj);
	if (v)
		return v;
	sbuf_reset(&f->tmp);
	if (!token_text(t, cx, &f->tmp))
		return json_null();
	return json_stringn_nocheck(f->tmp.data, f->tmp.len);
}

/* ------------------------------------------------------------ alert text */

/* The time of the prefix: local "HH:MM:SS.nnnnnnnnn", or ISO 8601 UTC with "+0000". */
static void put_prefix_time(struct sbuf *out, uint64_t ts, bool iso)
{
	time_t sec = (time_t)(ts / 1000000000ULL);
	struct tm tm;
	char tmp[40];

	if (iso) {
		gmtime_r(&sec, &tm);
		strftime(tmp, sizeof(tmp), "%Y-%m-%dT%H:%M:%S", &tm);
		sbuf_printf(out, "%s.%09u+0000", tmp, (unsigned)(ts % 1000000000ULL));
	} else {
		localtime_r(&sec, &tm);
		sbuf_printf(out, "%02d:%02d:%02d.%09u", tm.tm_hour, tm.tm_min, tm.tm_sec,
		            (unsigned)(ts % 1000000000ULL));
	}
}

static void put_line(const struct alert_opts *o, const struct rule *r, struct alert_format *f,
                     const struct evctx *cx, struct sbuf *out)
{
	put_prefix_time(out, cx->ev->ts, o->iso_time);
	sbuf_puts(out, ": ");
	sbuf_puts(out, rule_priority_name(r->priority));
	sbuf_putc(out, ' ');
	format_message(f, cx, out);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static json_t *sorted_tags(const struct rule *r)
{
	json_t *arr = json_array();
	const char **v = r->ntags ? xmalloc(r->ntags * sizeof(*v)) : NULL;

	for (size_t i = 0; i < r->ntags; i++)
		v[i] = r->tags[i] ? r->tags[i] : "";
	if (r->ntags)
		qsort(v, r->ntags, sizeof(*v), cmp_str);
	for (size_t i = 0; i < r->ntags; i++)
		if (!i || strcmp(v[i], v[i - 1]) != 0)
			json_array_append_new(arr, json_string_nocheck(v[i]));
	free(v);
	return arr;
}

static void put_dump(struct sbuf *out, json_t *j)
{
	char *s = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY);

	sbuf_puts(out, s ? s : "null");
	free(s);
}

static void put_json(const struct alert_opts *o, const struct rule *r, struct alert_format *f,
                     const struct evctx *cx, struct sbuf *out)
{
	json_t *ev = json_object(), *fields = json_object();
	struct sbuf line = { 0 };
	uint64_t ts = cx->ev->ts;
	time_t sec = (time_t)(ts / 1000000000ULL);
	struct tm tm;
	char tmp[64];

	put_line(o, r, f, cx, &line);
	gmtime_r(&sec, &tm);
	strftime(tmp, sizeof(tmp), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(tmp + strlen(tmp), sizeof(tmp) - strlen(tmp), ".%09uZ", (unsigned)(ts % 1000000000ULL));
	if (!o->json_no_output)
		json_object_set_new_nocheck(ev, "output", json_stringn_nocheck(line.data, line.len));
	json_object_set_new_nocheck(ev, "priority", json_string_nocheck(rule_priority_name(r->priority)));
	json_object_set_new_nocheck(ev, "rule", json_string_nocheck(r->name ? r->name : ""));
	json_object_set_new_nocheck(ev, "source", json_string_nocheck(r->source ? r->source : "syscall"));
	if (!o->json_no_tags)
		json_object_set_new_nocheck(ev, "tags", sorted_tags(r));
	json_object_set_new_nocheck(ev, "time", json_string_nocheck(tmp));

	/* the prefix's time field, then the format's (Falco's formatter sees both) */
	json_object_set_new_nocheck(fields, o->iso_time ? "evt.time.iso8601" : "evt.time",
	                            json_integer((json_int_t)ts));
	for (size_t i = 0; i < f->n; i++) {
		struct token *t = &f->t[i];

		if (t->value)
			json_object_set_new_nocheck(fields, t->text, token_json(f, t, cx));
	}

	/* Falco writes the object, then grafts ", "output_fields": {...}" before its '}' */
	put_dump(out, ev);
	if (out->len && out->data[out->len - 1] == '}')
		out->len--;
	sbuf_puts(out, ", \"output_fields\": ");
	put_dump(out, fields);
	sbuf_putc(out, '}');
	json_decref(ev);
	json_decref(fields);
	sbuf_release(&line);
}

void alert_render(const struct alert_opts *o, const struct rule *r, struct alert_format *f,
                  const struct evctx *cx, struct sbuf *out)
{
	if (o->json)
		put_json(o, r, f, cx, out);
	else
		put_line(o, r, f, cx, out);
}

/* ------------------------------------------------------------ sinks */

/* A rule's token bucket (Falco's token_bucket: starts full, gains rate per second up to burst). */
struct bucket {
	char *rule; /* the rule's name, for the report */
	double tokens;
	uint64_t last;
	uint64_t dropped;
};

struct alert_sink {
	struct alert_opts o;
	char *path;
	FILE *prog; /* ALERT_SINK_PROGRAM */
	int fd;     /* stdout or the file; -1 for syslog */
	int err;
	uint64_t written;
	struct i64map by_rule; /* struct rule * -> index + 1 into buckets */
	struct bucket *buckets;
	size_t nbuckets;
	struct sbuf line;
};

static uint64_t wall_clock(void *ctx)
{
	(void)ctx;
	return epoch_ns();
}

struct alert_sink *alert_sink_open(const struct alert_opts *o, struct err *e)
{
	struct alert_sink *s;
	int fd = -1;

	switch (o->kind) {
	case ALERT_SINK_STDOUT:
		fd = STDOUT_FILENO;
		break;
	case ALERT_SINK_FILE:
		if (!o->path || !*o->path) {
			err_set(e, -EINVAL, "alert file output needs a file name");
			return NULL;
		}
		fd = open(o->path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
		if (fd < 0) {
			err_set(e, -errno, "cannot open alert file %s: %s", o->path, strerror(errno));
			return NULL;
		}
		break;
	case ALERT_SINK_SYSLOG:
		openlog("sysrec", LOG_PID, LOG_USER);
		break;
	case ALERT_SINK_PROGRAM:
		if (!o->path || !*o->path) {
			err_set(e, -EINVAL, "alert program output needs a command");
			return NULL;
		}
		break;
	default:
		err_set(e, -EINVAL, "unknown alert output %d", (int)o->kind);
		return NULL;
	}
	s = xcalloc(1, sizeof(*s));
	s->o = *o;
	s->path = o->path ? xstrdup(o->path) : NULL;
	s->o.path = s->path;
	if (!s->o.clock)
		s->o.clock = wall_clock;
	s->fd = fd;
	if (o->kind == ALERT_SINK_PROGRAM) {
		s->prog = popen(o->path, "we");
		if (!s->prog) {
			err_set(e, -errno, "cannot start alert program '%s': %s", o->path, strerror(errno));
			free(s->path);
			free(s);
			return NULL;
		}
		s->fd = fileno(s->prog);
	}
	i64map_init(&s->by_rule);
	return s;
}

/* Claim one alert from r's bucket; false (and counted) when it has none. */
static bool bucket_claim(struct alert_sink *s, const struct rule *r)
{
	uintptr_t idx = (uintptr_t)i64map_get(&s->by_rule, (int64_t)(uintptr_t)r);
	uint64_t now = s->o.clock(s->o.clock_ctx);
	struct bucket *b;

	if (!idx) {
		s->buckets = xrealloc(s->buckets, (s->nbuckets + 1) * sizeof(*s->buckets));
		b = &s->buckets[s->nbuckets++];
		b->rule = xstrdup(r->name ? r->name : "");
		b->tokens = s->o.burst;
		b->last = now;
		b->dropped = 0;
		i64map_put(&s->by_rule, (int64_t)(uintptr_t)r, (void *)(uintptr_t)s->nbuckets);
	} else {
		b = &s->buckets[idx - 1];
	}
	if (s->o.rate <= 0)
		return true;
	if (now > b->last)
		b->tokens += s->o.rate * (double)(now - b->last) / 1e9;
	b->last = now;
	if (b->tokens > s->o.burst)
		b->tokens = s->o.burst;
	if (b->tokens < 1) {
		b->dropped++;
		return false;
	}
	b->tokens -= 1;
	return true;
}

static int write_all(int fd, const char *p, size_t n)
{
	while (n) {
		ssize_t w = write(fd, p, n);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* syslog(3) levels are Falco's priorities' numbers. */
static int syslog_level(enum rule_priority p)
{
	return (unsigned)p <= LOG_DEBUG ? (int)p : LOG_DEBUG;
}

int alert_emit(struct alert_sink *s, const struct rule *r, struct alert_format *f, const struct evctx *cx)
{
	int rc = 0;

	if (!bucket_claim(s, r))
		return 0;
	sbuf_reset(&s->line);
	alert_render(&s->o, r, f, cx, &s->line);
	if (s->o.kind == ALERT_SINK_SYSLOG) {
		syslog(syslog_level(r->priority), "%s", sbuf_cstr(&s->line));
	} else {
		sbuf_putc(&s->line, '\n');
		rc = write_all(s->fd, s->line.data, s->line.len);
	}
	if (rc < 0) {
		if (!s->err)
			s->err = rc;
		return rc;
	}
	s->written++;
	return 1;
}

uint64_t alert_sink_dropped(const struct alert_sink *s, const struct rule *r)
{
	uint64_t n = 0;

	if (r) {
		uintptr_t idx = (uintptr_t)i64map_get(&s->by_rule, (int64_t)(uintptr_t)r);

		return idx ? s->buckets[idx - 1].dropped : 0;
	}
	for (size_t i = 0; i < s->nbuckets; i++)
		n += s->buckets[i].dropped;
	return n;
}

uint64_t alert_sink_written(const struct alert_sink *s)
{
	return s->written;
}

void alert_sink_report(const struct alert_sink *s, FILE *out)
{
	for (size_t i = 0; i < s->nbuckets; i++)
		if (s->buckets[i].dropped)
			fprintf(out, "%llu alerts of rule '%s' over the rate limit were not written\n",
			        (unsigned long long)s->buckets[i].dropped, s->buckets[i].rule);
}

int alert_sink_close(struct alert_sink *s, struct err *e)
{
	int rc;

	if (!s)
		return 0;
	rc = s->err;
	if (s->o.kind == ALERT_SINK_FILE && close(s->fd) < 0 && !rc)
		rc = -errno;
	if (s->o.kind == ALERT_SINK_SYSLOG)
		closelog();
	if (s->prog) {
		int st = pclose(s->prog);

		if (st < 0 && !rc)
			rc = -errno;
		else if (!rc && !(WIFEXITED(st) && WEXITSTATUS(st) == 0))
			rc = -EPIPE;
	}
	if (rc)
		err_set(e, rc, "writing alerts to %s%s: %s", s->prog ? "the program " : "",
		        s->o.kind == ALERT_SINK_STDOUT ? "stdout" : s->path,
		        rc == -EPIPE && s->prog ? "it failed" : strerror(-rc));
	for (size_t i = 0; i < s->nbuckets; i++)
		free(s->buckets[i].rule);
	free(s->buckets);
	i64map_release(&s->by_rule);
	sbuf_release(&s->line);
	free(s->path);
	free(s);
	return rc;
}
