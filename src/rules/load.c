/* load: a Falco 0.31.1 rules file (YAML, via libyaml) into a ruleset's lists, macros, rules and policies. */
#include "../engine/engine.h"
#include "../filter/filter.h"
#include "rules_int.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <yaml.h>

/* Nested YAML deeper than this is refused (a rules file is three levels deep). */
#define YAML_DEPTH_MAX 16
/* A capture's window, before + after, in seconds. */
#define CAPTURE_WINDOW_MAX 300.0

/* ------------------------------------------------------------ YAML helpers */

/* One file being loaded: its text by lines (for the items' text) and its YAML document. */
struct loader {
	struct ruleset *set;
	struct diags *d;
	const char *name;
	const char *text;
	size_t len;
	yaml_document_t *doc;
	char *context; /* the current item's text */
	int line;      /* its line, 1-based */
};

static const char *scalar(yaml_node_t *n)
{
	return n && n->type == YAML_SCALAR_NODE ? (const char *)n->data.scalar.value : NULL;
}

/* A YAML null: absent, `~`, `null` or nothing, when plain. */
static bool is_null(yaml_node_t *n)
{
	const char *s = scalar(n);

	if (!n)
		return true;
	if (!s || n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
		return false;
	return !*s || !strcmp(s, "~") || !strcasecmp(s, "null");
}

static yaml_node_t *map_get(yaml_document_t *doc, yaml_node_t *map, const char *key)
{
	if (!map || map->type != YAML_MAPPING_NODE)
		return NULL;
	for (yaml_node_pair_t *p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top; p++) {
		const char *k = scalar(yaml_document_get_node(doc, p->key));

		if (k && !strcmp(k, key))
			return yaml_document_get_node(doc, p->value);
	}
	return NULL;
}

/* A YAML boolean (true/false, yes/no, on/off); dflt when n is absent or not one. */
static bool yaml_bool(yaml_node_t *n, bool dflt)
{
	const char *s = scalar(n);

	if (!s)
		return dflt;
	if (!strcasecmp(s, "true") || !strcasecmp(s, "yes") || !strcasecmp(s, "on"))
		return true;
	if (!strcasecmp(s, "false") || !strcasecmp(s, "no") || !strcasecmp(s, "off"))
		return false;
	return dflt;
}

/* The scalars of a sequence node (a scalar alone: one), copied; false when something else is in it. */
static bool yaml_strings(yaml_document_t *doc, yaml_node_t *n, char ***out, size_t *nout)
{
	*out = NULL;
	*nout = 0;
	if (n && n->type == YAML_SCALAR_NODE) {
		*out = xcalloc(1, sizeof(char *));
		(*out)[0] = xstrdup(scalar(n));
		*nout = 1;
		return true;
	}
	if (!n || n->type != YAML_SEQUENCE_NODE)
		return false;
	for (yaml_node_item_t *it = n->data.sequence.items.start; it < n->data.sequence.items.top; it++) {
		const char *s = scalar(yaml_document_get_node(doc, *it));

		if (!s) {
			strv_free(*out, *nout);
			*out = NULL;
			*nout = 0;
			return false;
		}
		*out = xrealloc(*out, (*nout + 1) * sizeof(char *));
		(*out)[(*nout)++] = xstrdup(s);
	}
	return true;
}

/* Line (0-based) start offsets: the text of line i is text[off(i) .. next newline). */
static const char *line_at(const char *text, size_t len, size_t line, size_t *n)
{
	size_t pos = 0;
	const char *nl;

	for (size_t i = 0; i < line && pos < len; i++) {
		nl = memchr(text + pos, '\n', len - pos);
		if (!nl)
			return NULL;
		pos = (size_t)(nl - text) + 1;
	}
	if (pos >= len)
		return NULL;
	nl = memchr(text + pos, '\n', len - pos);
	*n = nl ? (size_t)(nl - (text + pos)) : len - pos;
	return text + pos;
}

/*
 * An item's text as Falco shows it: its first line, then the lines after
 * it up to the next that starts with '-' (an item or a document marker),
 * without empty lines; at most max lines when max is not 0.
 */
static char *lines_from(const char *text, size_t len, size_t line, bool item, size_t max)
{
	struct sbuf b = { 0 };
	size_t n, taken = 0;
	const char *l;

	for (size_t i = line; (l = line_at(text, len, i, &n)); i++) {
		if (n && l[n - 1] == '\r')
			n--;
		if (!n)
			continue;
		if (item && taken && l[0] == '-')
			break;
		sbuf_put(&b, l, n);
		sbuf_putc(&b, '\n');
		if (++taken == max)
			break;
	}
	{
		char *r = xstrdup(b.len ? sbuf_cstr(&b) : "");

		sbuf_release(&b);
		return r;
	}
}

/* The first non-empty line of the text (for errors about the whole file). */
static char *first_line(const char *text, size_t len)
{
	return lines_from(text, len, 0, false, 1);
}

static int item_error(struct loader *ld, const char *fmt, ...) PRINTF_LIKE(2, 3);

static int item_error(struct loader *ld, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	diag_add(ld->d, false, ld->name, ld->line, ld->context, "%s", msg);
	return -EINVAL;
}

/* ------------------------------------------------------------ items */

static int load_engine_version(struct loader *ld, yaml_node_t *v)
{
	const char *s = scalar(v);
	char *end = NULL;
	double ver;

	if (!s || !*s || v->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
		return item_error(ld, "Value of required_engine_version must be a number");
	errno = 0;
	ver = strtod(s, &end);
	if (errno || *end)
		return item_error(ld, "Value of required_engine_version must be a number");
	if (ver > RULES_ENGINE_VERSION)
		return item_error(ld, "Rules require engine version %s, but engine version is %d", s,
		                  RULES_ENGINE_VERSION);
	return 0;
}

static int load_list(struct loader *ld, yaml_node_t *item, yaml_node_t *namev)
{
	const char *name = scalar(namev);
	yaml_node_t *itemsv = map_get(ld->doc, item, "items");
	struct rlist *l;
	char **items;
	size_t n;

	if (!name || is_null(namev))
		return item_error(ld, "List name is empty");
	if (!itemsv)
		return item_error(ld, "List must have property items");
	if (is_null(itemsv)) {
		items = NULL;
		n = 0;
	} else if (itemsv->type != YAML_SEQUENCE_NODE || !yaml_strings(ld->doc, itemsv, &items, &n)) {
		return item_error(ld, "List %s: items must be a list of strings", name);
	}
	l = ruleset_list(ld->set, name);
	if (yaml_bool(map_get(ld->doc, item, "append"), false)) {
		if (!l) {
			strv_free(items, n);
			return item_error(
			        ld, "List %s has 'append' key but no list by that name already exists", name);
		}
		l->items = xrealloc(l->items, (l->nitems + n + 1) * sizeof(char *));
		if (n)
			memcpy(l->items + l->nitems, items, n * sizeof(char *));
		l->nitems += n;
		free(items);
		return 0;
	}
	if (l) {
		list_release(l);
	} else {
		ld->set->lists = xrealloc(ld->set->lists, (ld->set->nlists + 1) * sizeof(*ld->set->lists));
		l = &ld->set->lists[ld->set->nlists++];
	}
	memset(l, 0, sizeof(*l));
	l->name = xstrdup(name);
	l->items = items;
	l->nitems = n;
	return 0;
}

static char *join_context(const char *a, const char *b, bool blank)
{
	struct sbuf s = { 0 };

	sbuf_puts(&s, a);
	if (blank)
		sbuf_putc(&s, '\n');
	sbuf_puts(&s, b);
	{
		char *r = xstrdup(sbuf_cstr(&s));

		sbuf_release(&s);
		return r;
	}
}

static char *join_cond(const char *a, const char *b)
{
	struct sbuf s = { 0 };
	char *r;

	sbuf_printf(&s, "%s %s", a, b);
	r = xstrdup(sbuf_cstr(&s));
	sbuf_release(&s);
	return r;
}

static int load_macro(struct loader *ld, yaml_node_t *item, yaml_node_t *namev)
{
	const char *name = scalar(namev);
	const char *cond = scalar(map_get(ld->doc, item, "condition"));
	struct rmacro *m;

	if (!name || is_null(namev))
		return item_error(ld, "Macro name is empty");
	if (!cond)
		return item_error(ld, "Macro must have property condition");
	m = ruleset_macro(ld->set, name);
	if (yaml_bool(map_get(ld->doc, item, "append"), false)) {
		char *c;

		if (!m)
			return item_error(
			        ld, "Macro %s has 'append' key but no macro by that name already exists",
			        name);
		c = join_cond(m->cond, cond);
		free(m->cond);
		m->cond = c;
		c = join_context(m->context, ld->context, true);
		free(m->context);
		m->context = c;
		return 0;
	}
	if (m) {
		macro_release(m);
	} else {
		ld->set->macros =
		        xrealloc(ld->set->macros, (ld->set->nmacros + 1) * sizeof(*ld->set->macros));
		m = &ld->set->macros[ld->set->nmacros++];
	}
	memset(m, 0, sizeof(*m));
	m->name = xstrdup(name);
	m->cond = xstrdup(cond);
	m->context = xstrdup(ld->context);
	m->file = xstrdup(ld->name);
	m->line = ld->line;
	return 0;
}

/* The comparison operators an exception may use (as Falco 0.31.1's loader lists them). */
static bool exception_comp_ok(const char *c)
{
	static const char *const ok[] = { "=",      "==",         "!=",       "<=",        ">=",
		                          "<",      ">",          "contains", "icontains", "bcontains",
		                          "glob",   "startswith", "endswith", "in",        "intersects",
		                          "pmatch", "bstartswith" };

	for (size_t i = 0; i < ARRAY_SIZE(ok); i++)
		if (!strcmp(c, ok[i]))
			return true;
	return false;
}

static bool field_defined(const char *name)
{
	return filter_field_known(name, strcspn(name, "["));
}

/* The values of an exception item: rows of scalars or [tuples] of scalars or [lists]. */
static bool read_rows(yaml_document_t *doc, yaml_node_t *v, struct exception *x)
{
	if (!v || is_null(v))
		return true;
	if (v->type != YAML_SEQUENCE_NODE)
		return false;
	for (yaml_node_item_t *it = v->data.sequence.items.start; it < v->data.sequence.items.top; it++) {
		yaml_node_t *rowv = yaml_document_get_node(doc, *it);
		struct exc_row row = { 0 };

		if (!rowv)
			return false;
		if (rowv->type == YAML_SCALAR_NODE) {
			row.scalar = true;
			row.v = xcalloc(1, sizeof(*row.v));
			row.v[0].s = xstrdup(scalar(rowv));
			row.n = 1;
		} else if (rowv->type == YAML_SEQUENCE_NODE) {
			for (yaml_node_item_t *e = rowv->data.sequence.items.start;
			     e < rowv->data.sequence.items.top; e++) {
				yaml_node_t *ev = yaml_document_get_node(doc, *e);
				struct exc_val val = { 0 };

				if (ev && ev->type == YAML_SCALAR_NODE) {
					val.s = xstrdup(scalar(ev));
				} else if (!ev || !yaml_strings(doc, ev, &val.items, &val.nitems)) {
					x->rows = xrealloc(x->rows, (x->nrows + 1) * sizeof(*x->rows));
					x->rows[x->nrows++] = row;
					return false;
				}
				row.v = xrealloc(row.v, (row.n + 1) * sizeof(*row.v));
				row.v[row.n++] = val;
			}
		} else {
			return false;
		}
		x->rows = xrealloc(x->rows, (x->nrows + 1) * sizeof(*x->rows));
		x->rows[x->nrows++] = row;
	}
	return true;
}

/* Validate a new exception item's fields and comps, as Falco does before it is used. */
static int exception_validate(struct loader *ld, struct exception *x, bool has_comps, bool comps_scalar)
{
	if (x->single) {
		if (!has_comps) {
			x->comps = xcalloc(1, sizeof(char *));
			x->comps[0] = xstrdup("in");
			x->ncomps = 1;
		} else if (!comps_scalar) {
			return item_error(ld, "Rule exception item %s: fields and comps must both be strings",
			                  x->name);
		}
	} else if (!has_comps) {
		x->comps = xcalloc(x->nfields ? x->nfields : 1, sizeof(char *));
		for (size_t i = 0; i < x->nfields; i++)
			x->comps[i] = xstrdup("=");
		x->ncomps = x->nfields;
	} else if (x->ncomps != x->nfields) {
		return item_error(ld, "Rule exception item %s: fields and comps lists must have equal length",
		                  x->name);
	}
	for (size_t i = 0; i < x->nfields; i++)
		if (!field_defined(x->fields[i]))
			return item_error(
			        ld, "Rule exception item %s: field name %s is not a supported filter field",
			        x->name, x->fields[i]);
	for (size_t i = 0; i < x->ncomps; i++)
		if (!exception_comp_ok(x->comps[i]))
			return item_error(ld,
			                  "Rule exception item %s: comparison operator %s is not a supported "
			                  "comparison operator",
			                  x->name, x->comps[i]);
	return 0;
}

/*
 * One exception item into x: name, fields, comps, values. new_item says how
 * a missing fields property is reported. 0, or -EINVAL with the error reported
 * (x then holds what was read: the caller releases it either way).
 */
static int read_exception(struct loader *ld, yaml_node_t *ev, struct exception *x, const char *new_item)
{
	yaml_node_t *fields = map_get(ld->doc, ev, "fields");
	yaml_node_t *comps = map_get(ld->doc, ev, "comps");
	const char *name = scalar(map_get(ld->doc, ev, "name"));

	memset(x, 0, sizeof(*x));
	if (!name || ev->type != YAML_MAPPING_NODE)
		return item_error(ld, "Rule exception item must have name property");
	x->name = xstrdup(name);
	if (!fields || is_null(fields))
		return item_error(ld, "Rule exception %s%s: must have fields property with a list of fields",
		                  new_item, name);
	x->single = fields->type == YAML_SCALAR_NODE;
	if (!yaml_strings(ld->doc, fields, &x->fields, &x->nfields))
		return item_error(ld, "Rule exception item %s: fields must be a field name or a list of them",
		                  name);
	if (comps && !yaml_strings(ld->doc, comps, &x->comps, &x->ncomps))
		return item_error(ld, "Rule exception item %s: comps must be an operator or a list of them",
		                  name);
	if (!read_rows(ld->doc, map_get(ld->doc, ev, "values"), x))
		return item_error(ld, "Rule exception item %s: values must be a list", name);
	return exception_validate(ld, x, comps != NULL, comps && comps->type == YAML_SCALAR_NODE);
}

static int load_exceptions(struct loader *ld, yaml_node_t *v, struct rule_entry *re)
{
	if (!v || is_null(v))
		return 0;
	if (v->type != YAML_SEQUENCE_NODE)
		return item_error(ld, "Rule %s: exceptions must be a list", re->pub.name);
	for (yaml_node_item_t *it = v->data.sequence.items.start; it < v->data.sequence.items.top; it++) {
		struct exception x;

		if (read_exception(ld, yaml_document_get_node(ld->doc, *it), &x, "item ") < 0) {
			exception_release(&x);
			return -EINVAL;
		}
		re->excs = xrealloc(re->excs, (re->nexcs + 1) * sizeof(*re->excs));
		re->excs[re->nexcs++] = x;
	}
	return 0;
}

/* append: values of exceptions the rule has are added; other items are new exceptions. */
static int append_exceptions(struct loader *ld, yaml_node_t *v, struct rule_entry *re)
{
	if (!v || is_null(v))
		return 0;
	if (v->type != YAML_SEQUENCE_NODE)
		return item_error(ld, "Rule %s: exceptions must be a list", re->pub.name);
	for (yaml_node_item_t *it = v->data.sequence.items.start; it < v->data.sequence.items.top; it++) {
		yaml_node_t *ev = yaml_document_get_node(ld->doc, *it);
		const char *name = scalar(map_get(ld->doc, ev, "name"));
		struct exception *old = NULL, x;

		if (!name)
			return item_error(ld, "Rule exception item must have name property");
		for (size_t i = 0; i < re->nexcs; i++)
			if (re->excs[i].name && !strcmp(re->excs[i].name, name))
				old = &re->excs[i];
		if (!old) {
			if (read_exception(ld, ev, &x, "new item ") < 0) {
				exception_release(&x);
				return -EINVAL;
			}
			re->excs = xrealloc(re->excs, (re->nexcs + 1) * sizeof(*re->excs));
			re->excs[re->nexcs++] = x;
			continue;
		}
		if (map_get(ld->doc, ev, "fields"))
			return item_error(ld,
			                  "Can not append exception fields to existing rule, only values");
		if (map_get(ld->doc, ev, "comps"))
			return item_error(ld, "Can not append exception comps to existing rule, only values");
		if (!read_rows(ld->doc, map_get(ld->doc, ev, "values"), old))
			return item_error(ld, "Rule exception item %s: values must be a list", name);
	}
	return 0;
}

/* "5", "5s", "2m", 5: seconds; -1 when not a duration. */
static double parse_duration(const char *s)
{
	char *end;
	double v;

	if (!s || !*s)
		return -1;
	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s || v < 0)
		return -1;
	if (!strcmp(end, "m"))
		return v * 60;
	if (!*end || !strcmp(end, "s"))
		return v;
	return -1;
}

/* A capture's artifacts: true (all the agent keeps: -1), false, or a list of kinds; -2 for anything else. */
static int capture_artifacts(yaml_document_t *doc, yaml_node_t *v)
{
	int kinds = 0;

	if (v->type == YAML_SCALAR_NODE) {
		if (yaml_bool(v, true) != yaml_bool(v, false))
			return -2;
		return yaml_bool(v, false) ? -1 : 0;
	}
	if (v->type != YAML_SEQUENCE_NODE)
		return -2;
	for (yaml_node_item_t *it = v->data.sequence.items.start; it < v->data.sequence.items.top; it++) {
		yaml_node_t *k = yaml_document_get_node(doc, *it);
		const char *s = k ? scalar(k) : NULL;
		uint32_t f = s ? engine_art_kind(s, strlen(s)) : 0;

		if (!f)
			return -2;
		kinds |= (int)f;
	}
	return kinds;
}

/* A capture action (of a rule, or a policy: who is "Rule X" or "Policy X" in messages). */
static int load_capture_of(struct loader *ld, yaml_node_t *v, const char *kind, const char *name,
                           struct rule_capture *c)
{
	static const char *const keys[] = { "name", "filter", "storage" };
	char **dst[] = { &c->name, &c->filter, &c->storage };
	yaml_node_t *b, *a;

	c->before = 5;
	c->after = 20;
	c->packets = -1;
	c->artifacts = -1;
	if (!v || is_null(v))
		return 0;
	if (v->type != YAML_MAPPING_NODE)
		return item_error(ld,
		                  "%s %s: capture must be a mapping (enabled, name, before, after, filter, "
		                  "storage, packets, artifacts)",
		                  kind, name);
	c->enabled = yaml_bool(map_get(ld->doc, v, "enabled"), true);
	for (size_t i = 0; i < ARRAY_SIZE(keys); i++) {
		yaml_node_t *kv = map_get(ld->doc, v, keys[i]);

		if (kv && !is_null(kv)) {
			if (!scalar(kv))
				return item_error(ld, "%s %s: capture %s must be a string", kind, name,
				                  keys[i]);
			free(*dst[i]);
			*dst[i] = xstrdup(scalar(kv));
		}
	}
	if ((b = map_get(ld->doc, v, "packets")) != NULL && !is_null(b)) {
		/* a boolean: the same whatever the default */
		if (yaml_bool(b, true) != yaml_bool(b, false))
			return item_error(ld, "%s %s: capture packets must be true or false, not '%s'", kind,
			                  name, scalar(b) ? scalar(b) : "?");
		c->packets = yaml_bool(b, false);
	}
	if ((b = map_get(ld->doc, v, "artifacts")) != NULL && !is_null(b) &&
	    (c->artifacts = capture_artifacts(ld->doc, b)) == -2)
		return item_error(
		        ld,
		        "%s %s: capture artifacts must be true, false or a list of kinds (write, exec, "
		        "mem, module, bpf)",
		        kind, name);
	b = map_get(ld->doc, v, "before");
	a = map_get(ld->doc, v, "after");
	if (b && (c->before = parse_duration(scalar(b))) < 0)
		return item_error(
		        ld, "%s %s: capture before must be a duration (seconds, or with s or m), not '%s'",
		        kind, name, scalar(b) ? scalar(b) : "?");
	if (a && (c->after = parse_duration(scalar(a))) < 0)
		return item_error(
		        ld, "%s %s: capture after must be a duration (seconds, or with s or m), not '%s'",
		        kind, name, scalar(a) ? scalar(a) : "?");
	if (c->before + c->after > CAPTURE_WINDOW_MAX)
		return item_error(
		        ld, "%s %s: capture before + after is %gs, more than the %gs a capture may span",
		        kind, name, c->before + c->after, CAPTURE_WINDOW_MAX);
	return 0;
}

static int load_capture(struct loader *ld, yaml_node_t *v, struct rule *r)
{
	return load_capture_of(ld, v, "Rule", r->name, &r->capture);
}
/* - policy: NAME, rules: [RULE, ...], capture: {...} (sysrec's; a later one of a name replaces it) */
static int load_policy(struct loader *ld, yaml_node_t *item, yaml_node_t *namev)
{
	const char *name = scalar(namev);
	yaml_node_t *rv = map_get(ld->doc, item, "rules");
	struct rpolicy p = { 0 };
	size_t at;

	if (!name || !*name)
		return item_error(ld, "Policy name is empty");
	if (!rv || rv->type != YAML_SEQUENCE_NODE || !yaml_strings(ld->doc, rv, &p.rules, &p.nrules) ||
	    !p.nrules) {
		strv_free(p.rules, p.nrules);
		return item_error(ld, "Policy %s: rules must be a list of rule names", name);
	}
	if (!map_get(ld->doc, item, "capture")) {
		strv_free(p.rules, p.nrules);
		return item_error(ld, "Policy %s must have property capture", name);
	}
	p.capture.enabled = true;
	if (load_capture_of(ld, map_get(ld->doc, item, "capture"), "Policy", name, &p.capture) < 0) {
		policy_release(&p);
		return -EINVAL;
	}
	p.name = xstrdup(name);
	p.file = xstrdup(ld->name);
	p.line = ld->line;
	p.context = xstrdup(ld->context);
	for (at = 0; at < ld->set->npolicies && strcmp(ld->set->policies[at].name, name) != 0; at++)
		;
	if (at < ld->set->npolicies) {
		policy_release(&ld->set->policies[at]);
	} else {
		ld->set->policies =
		        xrealloc(ld->set->policies, (ld->set->npolicies + 1) * sizeof(*ld->set->policies));
		ld->set->npolicies++;
	}
	ld->set->policies[at] = p;
	return 0;
}

/* Falco trims a rule's output (a folded `>` block ends in a newline). */
static char *trimmed(const char *s)
{
	size_t n;

	while (isspace((unsigned char)*s))
		s++;
	n = strlen(s);
	while (n && isspace((unsigned char)s[n - 1]))
		n--;
	return xstrndup(s, n);
}

static int append_rule(struct loader *ld, yaml_node_t *item, const char *name)
{
	yaml_node_t *condv = map_get(ld->doc, item, "condition");
	yaml_node_t *excv = map_get(ld->doc, item, "exceptions");
	struct rule_entry *re;
	char *c;

	if (!scalar(condv) && !excv)
		return item_error(ld, "Appended rule must have exceptions or condition property");
	re = ruleset_rule(ld->set, name);
	if (!re)
		return item_error(ld, "Rule %s has 'append' key but no rule by that name already exists",
		                  name);
	if (append_exceptions(ld, excv, re) < 0)
		return -EINVAL;
	if (scalar(condv)) {
		c = join_cond(re->pub.condition, scalar(condv));
		free(re->pub.condition);
		re->pub.condition = c;
	}
	c = join_context(re->context, ld->context, true);
	free(re->context);
	re->context = c;
	return 0;
}

static int load_rule(struct loader *ld, yaml_node_t *item, yaml_node_t *namev)
{
	static const char *const required[] = { "condition", "output", "desc", "priority" };
	const char *name = scalar(namev), *prio;
	struct rule_entry *re, *old;
	yaml_node_t *tags;
	struct rule *r;
	size_t at;

	if (!name || is_null(namev))
		return item_error(ld, "Rule name is empty");
	if (yaml_bool(map_get(ld->doc, item, "append"), false))
		return append_rule(ld, item, name);
	old = ruleset_rule(ld->set, name);
	/* `- rule: X` with `enabled:` alone switches a rule loaded before on or off */
	if (old && !map_get(ld->doc, item, "condition") && map_get(ld->doc, item, "enabled")) {
		old->pub.enabled = yaml_bool(map_get(ld->doc, item, "enabled"), old->pub.enabled);
		return 0;
	}
	for (size_t i = 0; i < ARRAY_SIZE(required); i++)
		if (!scalar(map_get(ld->doc, item, required[i])))
			return item_error(ld, "Rule must have property %s", required[i]);
	re = xcalloc(1, sizeof(*re));
	r = &re->pub;
	r->name = xstrdup(name);
	r->condition = xstrdup(scalar(map_get(ld->doc, item, "condition")));
	r->output = trimmed(scalar(map_get(ld->doc, item, "output")));
	r->desc = xstrdup(scalar(map_get(ld->doc, item, "desc")));
	r->source =
	        xstrdup(scalar(map_get(ld->doc, item, "source")) ? scalar(map_get(ld->doc, item, "source"))
	                                                         : "syscall");
	r->enabled = yaml_bool(map_get(ld->doc, item, "enabled"), true);
	r->file = xstrdup(ld->name);
	r->line = ld->line;
	re->context = xstrdup(ld->context);
	re->skip_unknown = yaml_bool(map_get(ld->doc, item, "skip-if-unknown-filter"), false);
	re->warn_evttypes = yaml_bool(map_get(ld->doc, item, "warn_evttypes"), true);
	prio = scalar(map_get(ld->doc, item, "priority"));
	if (rule_priority_parse(prio, &r->priority) < 0) {
		rule_entry_free(re);
		return item_error(ld, "Invalid priority level: %s", prio);
	}
	tags = map_get(ld->doc, item, "tags");
	if (tags && !is_null(tags) && !yaml_strings(ld->doc, tags, &r->tags, &r->ntags)) {
		rule_entry_free(re);
		return item_error(ld, "Rule %s: tags must be a list of strings", name);
	}
	if (load_exceptions(ld, map_get(ld->doc, item, "exceptions"), re) < 0 ||
	    load_capture(ld, map_get(ld->doc, item, "capture"), r) < 0) {
		rule_entry_free(re);
		return -EINVAL;
	}
	for (at = 0; at < ld->set->nrules && ld->set->rules[at] != old; at++)
		;
	if (old) {
		rule_entry_free(old);
	} else {
		ld->set->rules =
		        xrealloc(ld->set->rules, (ld->set->nrules + 1) * sizeof(struct rule_entry *));
		at = ld->set->nrules++;
	}
	ld->set->rules[at] = re;
	return 0;
}

static int load_item(struct loader *ld, yaml_node_t *item)
{
	yaml_node_t *v;

	if (item->type != YAML_MAPPING_NODE)
		return item_error(
		        ld, "Unexpected element of type %s. Each element should be a yaml associative array.",
		        item->type == YAML_SCALAR_NODE ? "string" : "table");
	if ((v = map_get(ld->doc, item, "required_engine_version")))
		return load_engine_version(ld, v);
	if ((v = map_get(ld->doc, item, "list")))
		return load_list(ld, item, v);
	if ((v = map_get(ld->doc, item, "macro")))
		return load_macro(ld, item, v);
	if ((v = map_get(ld->doc, item, "rule")))
		return load_rule(ld, item, v);
	if ((v = map_get(ld->doc, item, "policy")))
		return load_policy(ld, item, v);
	diag_add(ld->d, true, ld->name, ld->line, ld->context, "Unknown top level object");
	return 0;
}

/*
 * The items of one document (root, its root node) in order; the first error
 * stops. An empty document has none. 0, or -EINVAL with the error in ld->d.
 */
static int load_document(struct loader *ld, yaml_node_t *root)
{
	int rc = 0;

	if (root->type == YAML_SCALAR_NODE && is_null(root))
		return 0;
	if (root->type != YAML_SEQUENCE_NODE) {
		char *ctx = first_line(ld->text, ld->len);

		diag_add(ld->d, false, ld->name, 1, ctx, "%s",
		         root->type == YAML_SCALAR_NODE ? "Rules content is not yaml"
		                                        : "Rules content is not yaml array of objects");
		free(ctx);
		return -EINVAL;
	}
	for (yaml_node_item_t *it = root->data.sequence.items.start;
	     it < root->data.sequence.items.top && !rc; it++) {
		yaml_node_t *item = yaml_document_get_node(ld->doc, *it);

		if (!item)
			continue;
		ld->line = (int)item->start_mark.line + 1;
		ld->context = lines_from(ld->text, ld->len, item->start_mark.line, true, 0);
		rc = load_item(ld, item);
		free(ld->context);
		ld->context = NULL;
	}
	return rc;
}

int ruleset_load_text(struct ruleset *set, const char *name, const char *text, size_t len, struct diags *d)
{
	struct loader ld = { set, d, name, text, len, NULL, NULL, 0 };
	yaml_parser_t parser;
	yaml_document_t doc;
	int rc = 0;

	if (!yaml_parser_initialize(&parser)) {
		diag_add(d, false, name, 0, NULL, "out of memory starting the YAML parser");
		return -ENOMEM;
	}
	yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
	while (!rc) {
		yaml_node_t *root;

		if (!yaml_parser_load(&parser, &doc)) {
			char *ctx = lines_from(text, len, parser.problem_mark.line, false, 3);

			diag_add(d, false, name, (int)parser.problem_mark.line + 1, ctx, "%s",
			         parser.problem ? parser.problem : "YAML syntax error");
			free(ctx);
			rc = -EINVAL;
			break;
		}
		root = yaml_document_get_root_node(&doc);
		if (!root) { /* past the last document */
			yaml_document_delete(&doc);
			break;
		}
		ld.doc = &doc;
		rc = load_document(&ld, root);
		yaml_document_delete(&doc);
	}
	yaml_parser_delete(&parser);
	return rc;
}
