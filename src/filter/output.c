/* output: compiled -p formats, the default line and -j JSON, one event at a time. */
#include "extract.h"

#include <errno.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

/* ---- compiled formats ---- */

struct piece {
	const struct field *field; /* NULL: literal */
	char *text;                /* literal text, or the full field name */
	size_t text_len;
	char *arg;
	int64_t argn;
	struct fstate *fs; /* FF_MEMORY fields: this place's memory */
};

/* The decimal text of the last event number, incremented in place. */
struct counter_text {
	uint64_t value;
	unsigned len;
	char digits[24];
};

struct output {
	struct state *st;
	struct counter_text num;
	bool needs_state;
	struct piece *pieces;
	size_t n;
	bool all; /* '*': print even when a field is missing */
	bool json;
	bool plain_default;
	struct time_cache tc;
	struct sbuf val;
};

static void add_piece(struct output *o, const struct field *f, const char *text, size_t len, const char *arg,
                      size_t arglen)
{
	o->pieces = xrealloc(o->pieces, (o->n + 1) * sizeof(*o->pieces));
	o->pieces[o->n].field = f;
	o->pieces[o->n].text = xstrndup(text, len);
	o->pieces[o->n].text_len = len;
	o->pieces[o->n].arg = arg ? xstrndup(arg, arglen) : NULL;
	o->pieces[o->n].argn = arg ? strtoll(o->pieces[o->n].arg, NULL, 10) : 0;
	o->pieces[o->n].fs = f ? fstate_new(o->st, f) : NULL;
	o->n++;
}

static bool field_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
	       c == '_';
}

struct output *output_new(struct state *st, const char *format, bool json, struct err *e)
{
	struct output *o = xcalloc(1, sizeof(*o));
	const char *p = format;

	fields_init();
	o->st = st;
	o->json = json;
	o->tc.sec = -1;
	sbuf_init(&o->val, 256);
	if (*p == '*') {
		o->all = true;
		p++;
	}
	while (*p) {
		const char *lit = p;

		while (*p && *p != '%')
			p++;
		if (p > lit)
			add_piece(o, NULL, lit, (size_t)(p - lit), NULL, 0);
		if (*p == '%') {
			const char *name = ++p, *arg;
			const struct field *f;

			const char *end, *close;
			size_t arglen;

			while (field_char(*p))
				p++;
			end = p;
			f = field_find(name, (size_t)(p - name), &arg);
			arglen = arg ? (size_t)(p - arg) : 0;
			if (f && !arg && *p == '[' && field_arg(f) != FARG_NONE &&
			    (close = strchr(p, ']')) != NULL) {
				arg = p + 1;
				arglen = (size_t)(close - arg);
				p = close + 1;
			}
			if (!f) {
				err_set(e, -EINVAL,
				        "invalid formatting token %%%.*s (offset %zu of the format)",
				        (int)(end - name), name, (size_t)(name - format));
				output_free(o);
				return NULL;
			}
			if (f->flags & FF_FILTER_ONLY) {
				err_set(e, -EINVAL, "%s is filter only and cannot be used as a display field",
				        f->name);
				output_free(o);
				return NULL;
			}
			if ((f->arg == FARG_NAME || f->arg == FARG_NAME_OR_INDEX) && !arg) {
				err_set(e, -EINVAL, "%%%s needs an argument: %%%s.NAME%s", f->name, f->name,
				        f->arg == FARG_NAME ? "" : " or [N]");
				output_free(o);
				return NULL;
			}
			add_piece(o, f, name, (size_t)(p - name), arg, arglen);
			o->needs_state |= !(f->flags & FF_STATELESS);
		}
	}
	return o;
}

struct output *output_new_default(struct state *st, bool json)
{
	struct output *o;

	if (json)
		o = output_new(st,
		               "*%evt.num %evt.outputtime %evt.cpu %proc.name %thread.tid %evt.dir %evt.type "
		               "%evt.info",
		               true, NULL);
	else
		o = output_new(st,
		               "*%evt.num %evt.outputtime %evt.cpu %proc.name (%thread.tid) %evt.dir "
		               "%evt.type %evt.info",
		               false, NULL);
	o->plain_default = !json;
	return o;
}

bool output_needs_state(const struct output *o)
{
	return o->needs_state || o->plain_default;
}

void output_free(struct output *o)
{
	if (!o)
		return;
	for (size_t i = 0; i < o->n; i++) {
		free(o->pieces[i].text);
		free(o->pieces[i].arg);
		fstate_free(o->pieces[i].fs);
	}
	free(o->pieces);
	sbuf_release(&o->val);
	free(o);
}

static int cmp_keys(const void *a, const void *b)
{
	const struct piece *const *pa = a, *const *pb = b;

	return strcmp((*pa)->text, (*pb)->text);
}

/* Append s as a JSON string literal (escaped by jansson). */
static void put_json_string(struct sbuf *out, const char *s, size_t n)
{
	json_t *j = json_stringn_nocheck(s, n);
	char *enc = j ? json_dumps(j, JSON_ENCODE_ANY) : NULL;

	sbuf_puts(out, enc ? enc : "\"\"");
	free(enc);
	json_decref(j);
}

static bool output_json(struct output *o, const struct evctx *cx, struct sbuf *out)
{
	struct fctx f = { o->st, cx, &o->tc, NULL, 0, NULL, true };
	const struct piece *sorted[64] = { 0 };
	size_t n = 0, start = out->len;

	for (size_t i = 0; i < o->n && n < ARRAY_SIZE(sorted); i++) {
		bool dup = false;

		if (!o->pieces[i].field)
			continue;
		for (size_t j = 0; j < n; j++)
			dup |= strcmp(sorted[j]->text, o->pieces[i].text) == 0;
		if (!dup)
			sorted[n++] = &o->pieces[i];
	}
	qsort(sorted, n, sizeof(sorted[0]), cmp_keys); // NOLINT(bugprone-sizeof-expression): sorts pointers
	sbuf_putc(out, '{');
	for (size_t i = 0; i < n; i++) {
		const struct piece *p = sorted[i];
		bool ok;

		f.arg = p->arg;
		f.argn = p->argn;
		f.fs = p->fs;
		o->val.len = 0;
		ok = p->field->fn(&f, &o->val);
		if (!ok && !o->all) {
			out->len = start;
			return false;
		}
		if (i)
			sbuf_putc(out, ',');
		put_json_string(out, p->text, strlen(p->text));
		sbuf_putc(out, ':');
		if (!ok)
			sbuf_puts(out, "null");
		else if (p->field->type == FT_NUM)
			sbuf_put(out, o->val.data, o->val.len);
		else
			put_json_string(out, o->val.data, o->val.len);
	}
	sbuf_puts(out, "}\n");
	return true;
}

/* Append n in decimal; n is usually the previous one plus one. */
static void put_counter(struct sbuf *out, struct counter_text *c, uint64_t n)
{
	if (c->len && n == c->value + 1) {
		int i = (int)c->len - 1;

		while (i >= 0 && c->digits[i] == '9')
			c->digits[i--] = '0';
		if (i >= 0) {
			c->digits[i]++;
		} else {
			memmove(c->digits + 1, c->digits, c->len);
			c->digits[0] = '1';
			c->len++;
		}
	} else {
		struct sbuf tmp = { c->digits, 0, sizeof(c->digits) };

		sbuf_u64(&tmp, n);
		c->len = (unsigned)tmp.len;
	}
	c->value = n;
	sbuf_put(out, c->digits, c->len);
}

void output_default_line(struct output *o, const struct event *ev, uint64_t num, const char *comm,
                         size_t comm_len, const struct event_resolver *r, struct sbuf *out)
{
	put_counter(out, &o->num, num);
	sbuf_putc(out, ' ');
	put_time(out, ev->ts, &o->tc);
	sbuf_putc(out, ' ');
	sbuf_u64(out, ev->cpu);
	sbuf_putc(out, ' ');
	sbuf_put(out, comm, comm_len);
	sbuf_put(out, " (", 2);
	sbuf_i64(out, ev->tid);
	sbuf_put(out, ") ", 2);
	sbuf_putc(out, event_is_exit(ev->type) ? '<' : '>');
	sbuf_putc(out, ' ');
	if (ev->type <= PPME_GENERIC_X)
		put_syscall_name(out, ev);
	else
		sbuf_put(out, event_table[ev->type].name, event_name_len(ev->type));
	sbuf_putc(out, ' ');
	event_format_args(ev, r, out);
	sbuf_putc(out, '\n');
}

static void output_default(struct output *o, const struct evctx *cx, struct sbuf *out)
{
	struct filter_resolve rc;
	struct event_resolver r;

	filter_resolver(o->st, cx, &rc, &r);
	if (cx->thread)
		output_default_line(o, cx->ev, cx->num, cx->thread->comm, cx->thread->comm_len, &r, out);
	else
		output_default_line(o, cx->ev, cx->num, "<NA>", 4, &r, out);
}

bool output_splits(const struct output *o)
{
	return o->plain_default;
}

bool output_event(struct output *o, const struct evctx *cx, struct sbuf *out)
{
	struct fctx f = { o->st, cx, &o->tc, NULL, 0, NULL, false };
	size_t start = out->len;

	if (o->plain_default) {
		output_default(o, cx, out);
		return true;
	}
	if (o->json)
		return output_json(o, cx, out);
	for (size_t i = 0; i < o->n; i++) {
		const struct piece *p = &o->pieces[i];

		if (!p->field) {
			sbuf_put(out, p->text, p->text_len);
			continue;
		}
		f.arg = p->arg;
		f.argn = p->argn;
		f.fs = p->fs;
		if (!p->field->fn(&f, out)) {
			if (!o->all) {
				out->len = start;
				return false;
			}
			sbuf_puts(out, "<NA>");
		}
	}
	sbuf_putc(out, '\n');
	return true;
}
