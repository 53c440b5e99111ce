/* expand: lists, macros and exceptions spliced into conditions (on the syntax tree), then compiled. */
#include "../filter/filter.h"
#include "rules_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Macros nest at most this deep (a macro naming itself through others ends here). */
#define MACRO_DEPTH_MAX 64

/* An item as a filter value: surrounding quotes (Falco pastes items into the text) are dropped. */
static struct fvalue item_value(const char *item, uint32_t col)
{
	struct fvalue v = { 0 };
	size_t n = strlen(item);

	if (n >= 2 && (item[0] == '"' || item[0] == '\'') && item[n - 1] == item[0]) {
		v.s = xstrndup(item + 1, n - 2);
		v.quoted = true;
	} else {
		v.s = xstrdup(item);
	}
	v.len = strlen(v.s);
	v.col = col;
	return v;
}

/* Each list's items with the lists defined before it spliced in, as Falco expands them. */
static void expand_lists(struct ruleset *s)
{
	for (size_t i = 0; i < s->nlists; i++) {
		struct rlist *l = &s->lists[i];

		for (size_t k = 0; k < l->nexpanded; k++)
			free(l->expanded[k]);
		free(l->expanded);
		l->expanded = NULL;
		l->nexpanded = 0;
		for (size_t k = 0; k < l->nitems; k++) {
			struct rlist *sub = NULL;

			for (size_t j = 0; j < i && !sub; j++)
				if (!strcmp(s->lists[j].name, l->items[k]))
					sub = &s->lists[j];
			if (!sub) {
				l->expanded = xrealloc(l->expanded, (l->nexpanded + 1) * sizeof(char *));
				l->expanded[l->nexpanded++] = xstrdup(l->items[k]);
				continue;
			}
			for (size_t j = 0; j < sub->nexpanded; j++) {
				l->expanded = xrealloc(l->expanded, (l->nexpanded + 1) * sizeof(char *));
				l->expanded[l->nexpanded++] = xstrdup(sub->expanded[j]);
			}
		}
	}
}

struct expander {
	struct ruleset *s;
	size_t nmacros; /* macros usable: those compiled before the one being expanded */
	char undefined[256];
	char bad_list[256];
};

/* A check's values, with every bare value naming a list replaced by the list's items. */
static bool expand_check_lists(struct expander *x, struct fnode *n)
{
	struct fvalue *vals = NULL;
	size_t nvals = 0;
	bool list_op = n->op == FOP_IN || n->op == FOP_INTERSECTS || n->op == FOP_PMATCH;

	if (n->list_ref) {
		struct rlist *l = ruleset_list(x->s, n->list_ref);

		if (!l)
			return true; /* the compiler names it */
		for (size_t i = 0; i < l->nexpanded; i++) {
			n->vals = xrealloc(n->vals, (n->nvals + 1) * sizeof(*n->vals));
			n->vals[n->nvals++] = item_value(l->expanded[i], n->op_col);
		}
		free(n->list_ref);
		n->list_ref = NULL;
		return true;
	}
	for (size_t i = 0; i < n->nvals; i++) {
		struct rlist *l = n->vals[i].quoted ? NULL : ruleset_list(x->s, n->vals[i].s);

		if (!l) {
			vals = xrealloc(vals, (nvals + 1) * sizeof(*vals));
			vals[nvals++] = n->vals[i];
			continue;
		}
		if (!list_op && l->nexpanded != 1) {
			snprintf(x->bad_list, sizeof(x->bad_list), "%s", l->name);
			for (size_t k = i; k < n->nvals; k++)
				vals = xrealloc(vals, (nvals + 1) * sizeof(*vals)),
				vals[nvals++] = n->vals[k];
			free(n->vals);
			n->vals = vals;
			n->nvals = nvals;
			return false;
		}
		for (size_t k = 0; k < l->nexpanded; k++) {
			vals = xrealloc(vals, (nvals + 1) * sizeof(*vals));
			vals[nvals++] = item_value(l->expanded[k], n->vals[i].col);
		}
		free(n->vals[i].s);
	}
	free(n->vals);
	n->vals = vals;
	n->nvals = nvals;
	return true;
}

/* The tree with macros and lists expanded: n itself, or what replaces it (n is then freed). NULL on error. */
static struct fnode *expand_node(struct expander *x, struct fnode *n, unsigned depth)
{
	switch (n->kind) {
	case FN_IDENT: {
		struct rmacro *m = NULL;

		for (size_t i = 0; i < x->nmacros && !m; i++)
			if (!strcmp(x->s->macros[i].name, n->field) && x->s->macros[i].tree)
				m = &x->s->macros[i];
		if (!m || depth > MACRO_DEPTH_MAX) {
			snprintf(x->undefined, sizeof(x->undefined), "%s", n->field);
			return NULL;
		}
		fnode_free(n);
		return fnode_copy(m->tree);
	}
	case FN_CHECK:
		return expand_check_lists(x, n) ? n : NULL;
	case FN_AND:
	case FN_OR:
	case FN_NOT:
		break;
	}
	for (size_t i = 0; i < n->nkids; i++) {
		struct fnode *k = expand_node(x, n->kids[i], depth + 1);

		if (!k)
			return NULL;
		n->kids[i] = k;
	}
	return n;
}

/*
 * A parse error in Falco's words where it has them ("17: syntax error,
 * unexpected 'foo', expecting 'or', 'and'"), else ours.
 */
static void parse_error_text(const char *msg, char *out, size_t n)
{
	unsigned col;
	char tok[128];

	if (sscanf(msg,
	           "filter error at column %u: expected 'and', 'or' or the end of the filter, found "
	           "'%127[^']'",
	           &col, tok) == 2)
		snprintf(out, n, "%u: syntax error, unexpected '%s', expecting 'or', 'and'", col, tok);
	else
		snprintf(out, n, "%s", msg);
}

/* text parsed and expanded; NULL with the problem reported (prefix says whose). */
static struct fnode *parse_expand(struct expander *x, const char *text, struct diags *d, const char *file,
                                  int line, const char *context, bool macro)
{
	struct err e = { { 0 } };
	struct fnode *t = filter_parse(text, &e), *out;
	char msg[600];

	if (!t) {
		parse_error_text(e.msg, msg, sizeof(msg));
		diag_add(d, false, file, line, context, "Compilation error when compiling \"%s\": %s", text,
		         msg);
		return NULL;
	}
	x->undefined[0] = x->bad_list[0] = 0;
	out = expand_node(x, t, 0);
	if (out)
		return out;
	fnode_free(t);
	if (x->bad_list[0])
		snprintf(msg, sizeof(msg), "List '%s' of several items used as a single value.", x->bad_list);
	else
		snprintf(msg, sizeof(msg), "Undefined macro '%s' used in filter.", x->undefined);
	if (macro)
		diag_add(d, false, file, line, context, "Compilation error when compiling \"%s\": %s", text,
		         msg);
	else
		diag_add(d, false, file, line, context, "%s", msg);
	return NULL;
}

/* Falco quotes an exception value with a blank in it, unless quoted already. */
static void put_quoted_item(struct sbuf *b, const char *s)
{
	if (strchr(s, ' ') && s[0] != '"' && s[0] != '\'')
		sbuf_printf(b, "\"%s\"", s);
	else
		sbuf_puts(b, s);
}

static bool is_list_comp(const char *c)
{
	return !strcmp(c, "in") || !strcmp(c, "intersects") || !strcmp(c, "pmatch");
}

/*
 * One exception as Falco 0.31.1 writes it: "((f1 c1 v1 and f2 c2 v2) or
 * (...))", or for a single field "(f c (v1, v2))"; empty when it has no
 * values. 0, or -1 with the message in msg.
 */
static int exception_text(const struct exception *x, struct sbuf *b, char *msg, size_t n)
{
	if (x->single) {
		for (size_t i = 0; i < x->nrows; i++) {
			if (!x->rows[i].scalar) {
				snprintf(msg, n,
				         "Expected values array for item %s to contain a list of strings",
				         x->name);
				return -1;
			}
			if (!i)
				sbuf_printf(b, "(%s %s (", x->fields[0], x->comps[0]);
			else
				sbuf_puts(b, ", ");
			put_quoted_item(b, x->rows[i].v[0].s);
		}
		if (x->nrows)
			sbuf_puts(b, "))");
		return 0;
	}
	if (!x->nrows)
		return 0;
	sbuf_putc(b, '(');
	for (size_t i = 0; i < x->nrows; i++) {
		const struct exc_row *row = &x->rows[i];

		if (row->n != x->nfields || row->scalar) {
			snprintf(msg, n, "Exception item %s: fields and values lists must have equal length",
			         x->name);
			return -1;
		}
		sbuf_puts(b, i ? " or (" : "(");
		for (size_t k = 0; k < x->nfields; k++) {
			const struct exc_val *v = &row->v[k];

			sbuf_printf(b, "%s%s %s ", k ? " and " : "", x->fields[k], x->comps[k]);
			if (!v->s) {
				sbuf_putc(b, '(');
				for (size_t j = 0; j < v->nitems; j++) {
					if (j)
						sbuf_puts(b, ", ");
					put_quoted_item(b, v->items[j]);
				}
				sbuf_putc(b, ')');
			} else if (is_list_comp(x->comps[k])) {
				sbuf_printf(b, v->s[0] == '(' ? "%s" : "(%s)", v->s);
			} else {
				put_quoted_item(b, v->s);
			}
		}
		sbuf_putc(b, ')');
	}
	sbuf_putc(b, ')');
	return 0;
}

/*
 * Falco 0.31.1's event types of a rule: the evt.type values named, walking
 * the condition in order, until a `not` or `!=`; an evt.type check after
 * one (or none at all) makes the rule apply to every type.
 */
struct evttype_walk {
	bool found_event, found_not, after_not;
	const char **names;
	size_t nnames;
};

static void evttype_add(struct evttype_walk *w, const char *name)
{
	for (size_t i = 0; i < w->nnames; i++)
		if (!strcmp(w->names[i], name))
			return;
	w->names = xrealloc(w->names, (w->nnames + 1) * sizeof(*w->names));
	w->names[w->nnames++] = name;
}

static void evttype_visit(struct evttype_walk *w, const struct fnode *n)
{
	if (n->kind == FN_NOT)
		w->found_not = true;
	if (n->kind == FN_CHECK) {
		if (n->op == FOP_NE)
			w->found_not = true;
		if (!strcmp(n->field, "evt.type") && !n->arg) {
			w->found_event = true;
			w->after_not |= w->found_not;
			if (n->op == FOP_IN || n->op == FOP_PMATCH || n->nvals == 1)
				for (size_t i = 0; i < n->nvals; i++)
					if (!n->vals[i].quoted)
						evttype_add(w, n->vals[i].s);
		}
	}
	for (size_t i = 0; i < n->nkids; i++)
		evttype_visit(w, n->kids[i]);
}

static void rule_types(struct rule_entry *re, const struct fnode *tree, const char *cond, struct diags *d,
                       const char *file)
{
	struct evttype_walk w = { 0 };
	struct rule *r = &re->pub;

	evttype_visit(&w, tree);
	free(r->types);
	r->types = NULL;
	r->ntypes = 0;
	r->all_types = !w.found_event || w.after_not;
	if (!w.found_event && re->warn_evttypes)
		diag_add(d, true, file, r->line, re->context,
		         "Rule %s: warning (no-evttype):\n%s\n"
		         "         did not contain any evt.type restriction, meaning it will run for all "
		         "event types.\n"
		         "         This has a significant performance penalty. Consider adding an evt.type "
		         "restriction "
		         "if possible.",
		         r->name, cond);
	if (w.found_event && w.after_not && re->warn_evttypes)
		diag_add(d, true, file, r->line, re->context,
		         "Rule %s: warning (trailing-evttype):\n%s\n"
		         "         does not have all evt.type restrictions at the beginning of the "
		         "condition,\n"
		         "         or uses a negative match (i.e. \"not\"/\"!=\") for some evt.type "
		         "restriction.\n"
		         "         This has a performance penalty, as the rule can not be limited to "
		         "specific event "
		         "types.\n"
		         "         Consider moving all evt.type restrictions to the beginning of the rule "
		         "and/or\n"
		         "         replacing negative matches with positive matches if possible.",
		         r->name, cond);
	if (!r->all_types) {
		for (size_t i = 0; i < w.nnames; i++) {
			bool found = false;

			for (uint32_t code = 2; code < EVENT_MAX; code++) {
				if (strcmp(event_table[code].name, w.names[i]) != 0)
					continue;
				r->types = xrealloc(r->types, (r->ntypes + 1) * sizeof(*r->types));
				r->types[r->ntypes++] = (uint16_t)code;
				found = true;
			}
			if (!found) { /* a syscall without events of its own: the generic pair */
				r->types = xrealloc(r->types, (r->ntypes + 2) * sizeof(*r->types));
				r->types[r->ntypes++] = 0;
				r->types[r->ntypes++] = 1;
			}
		}
	}
	free(w.names);
}

/* The first field of the tree that the field table does not know, or NULL. */
static const char *unknown_field(const struct fnode *n)
{
	if (n->kind == FN_CHECK && !filter_field_known(n->field, strlen(n->field)))
		return n->field;
	for (size_t i = 0; i < n->nkids; i++) {
		const char *f = unknown_field(n->kids[i]);

		if (f)
			return f;
	}
	return NULL;
}

/* Falco's output check: "%container.info" stands for the container's name and id. */
static int check_output(struct state *st, const char *output, char *msg, size_t n)
{
	struct sbuf b = { 0 };
	const char *p = output, *hit;
	struct err e = { { 0 } };
	struct output *o;

	while ((hit = strstr(p, "%container.info"))) {
		sbuf_put(&b, p, (size_t)(hit - p));
		sbuf_puts(&b, "%container.name (id=%container.id)");
		p = hit + strlen("%container.info");
	}
	sbuf_puts(&b, p);
	o = output_new(st, sbuf_cstr(&b), false, &e);
	sbuf_release(&b);
	if (!o) {
		snprintf(msg, n, "Invalid output format '%s': '%s'", output, e.msg);
		return -1;
	}
	output_free(o);
	return 0;
}

static int compile_rule(struct expander *x, struct rule_entry *re, struct state *st, bool keep,
                        struct diags *d)
{
	struct rule *r = &re->pub;
	const char *file = d->file ? d->file : r->file;
	struct sbuf cond = { 0 }, ex = { 0 };
	struct err e = { { 0 } };
	struct fnode *tree;
	const char *unknown;
	char msg[600];
	int rc = -1;

	for (size_t i = 0; i < re->nexcs; i++) {
		sbuf_reset(&ex);
		if (exception_text(&re->excs[i], &ex, msg, sizeof(msg)) < 0) {
			diag_add(d, false, file, r->line, re->context, "%s", msg);
			goto out;
		}
		if (ex.len)
			sbuf_printf(&cond, " and not %s", sbuf_cstr(&ex));
	}
	if (cond.len) {
		char *tail = xstrdup(sbuf_cstr(&cond));

		sbuf_reset(&cond);
		sbuf_printf(&cond, "(%s)%s", r->condition, tail);
		free(tail);
	} else {
		sbuf_puts(&cond, r->condition);
	}
	x->nmacros = x->s->nmacros;
	tree = parse_expand(x, sbuf_cstr(&cond), d, file, r->line, re->context, false);
	if (!tree)
		goto out;
	rule_types(re, tree, sbuf_cstr(&cond), d, file);
	free(r->expanded);
	sbuf_reset(&ex);
	fnode_print(tree, &ex);
	r->expanded = xstrdup(sbuf_cstr(&ex));
	r->skipped = false;
	if ((unknown = unknown_field(tree))) {
		if (re->skip_unknown) {
			r->skipped = true;
			diag_add(d, true, file, r->line, re->context,
			         "Rule %s: warning (unknown-field): skipped, field %s is unknown", r->name,
			         unknown);
			rc = 0;
		} else {
			diag_add(d, false, file, r->line, re->context,
			         "Rule %s: error filter_check called with nonexistent field %s", r->name,
			         unknown);
		}
		fnode_free(tree);
		goto out;
	}
	r->filter = filter_compile_tree(st, tree, &e);
	fnode_free(tree);
	if (!r->filter) {
		diag_add(d, false, file, r->line, re->context, "Rule %s: %s", r->name, e.msg);
		goto out;
	}
	if (!keep) {
		filter_free(r->filter);
		r->filter = NULL;
	}
	if (check_output(st, r->output, msg, sizeof(msg)) < 0) {
		diag_add(d, false, file, r->line, re->context, "%s", msg);
		goto out;
	}
	rc = 0;
out:
	sbuf_release(&cond);
	sbuf_release(&ex);
	return rc;
}

size_t ruleset_compile(struct ruleset *s, struct state *st, struct diags *d)
{
	struct expander x = { .s = s };
	struct state *own = st ? NULL : state_new();
	size_t errors = 0;

	expand_lists(s);
	for (size_t i = 0; i < s->nmacros; i++) {
		fnode_free(s->macros[i].tree);
		s->macros[i].tree = NULL;
	}
	/* Falco stops at the first error */
	for (size_t i = 0; i < s->nmacros && !errors; i++) {
		struct rmacro *m = &s->macros[i];

		x.nmacros = i;
		m->tree =
		        parse_expand(&x, m->cond, d, d->file ? d->file : m->file, m->line, m->context, true);
		errors += !m->tree;
	}
	for (size_t i = 0; i < s->nrules && !errors; i++)
		errors += compile_rule(&x, s->rules[i], st ? st : own, st != NULL, d) < 0;
	if (own)
		state_free(own);
	return errors;
}
