/* expand: lists, macros and exceptions spliced into conditions (on the syntax tree), then compiled. */
#include "../filter/filter.h"
#include "alert.h"
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

static void list_drop_expanded(struct rlist *l)
{
	for (size_t k = 0; k < l->nexpanded; k++)
		free(l->expanded[k]);
	free(l->expanded);
	l->expanded = NULL;
	l->nexpanded = 0;
}

/*
 * Each list's items with the lists defined before it spliced in, as Falco
 * expands them. A list that would hold more than RULES_TERMS_MAX items is
 * left empty and marked too_large: an error where a condition uses it.
 */
static void expand_lists(struct ruleset *s)
{
	for (size_t i = 0; i < s->nlists; i++) {
		struct rlist *l = &s->lists[i];

		list_drop_expanded(l);
		l->too_large = l->nitems > RULES_TERMS_MAX;
		for (size_t k = 0; k < l->nitems && !l->too_large; k++) {
			struct rlist *sub = NULL;

			for (size_t j = 0; j < i && !sub; j++)
				if (!strcmp(s->lists[j].name, l->items[k]))
					sub = &s->lists[j];
			if (!sub) {
				l->expanded = xrealloc(l->expanded, (l->nexpanded + 1) * sizeof(char *));
				l->expanded[l->nexpanded++] = xstrdup(l->items[k]);
				continue;
			}
			if (sub->too_large || sub->nexpanded > RULES_TERMS_MAX - l->nexpanded) {
				l->too_large = true;
				break;
			}
			for (size_t j = 0; j < sub->nexpanded; j++) {
				l->expanded = xrealloc(l->expanded, (l->nexpanded + 1) * sizeof(char *));
				l->expanded[l->nexpanded++] = xstrdup(sub->expanded[j]);
			}
		}
		if (l->too_large)
			list_drop_expanded(l);
	}
}

struct expander {
	struct ruleset *s;
	size_t nmacros;   /* macros usable: those compiled before the one being expanded */
	size_t terms;     /* the terms of the item expanded so far */
	size_t set_terms; /* the terms of the macros and rules expanded before it */
	bool too_large;   /* it would hold more than RULES_TERMS_MAX terms */
	bool set_full;    /* ... or take the set past RULES_SET_TERMS_MAX */
	char undefined[256];
	char bad_list[256];
	char too_large_by[300]; /* "macro 'm'" or "list 'l'" that took it past; empty: its own text */
};

/*
 * Count n more terms, those of by ("macro 'm'", "list 'l'"; NULL: of the
 * item's own text). false, with too_large set, when that would take the item
 * past RULES_TERMS_MAX or the set past RULES_SET_TERMS_MAX: the caller then
 * stops before copying anything. Macros and lists are copied at each use (as
 * Falco does), so counting first is what keeps a macro naming the one before
 * it twice, at every level, from doubling the work each time.
 */
static bool add_terms(struct expander *x, size_t n, const char *by)
{
	bool item_room = n <= RULES_TERMS_MAX - x->terms;

	if (item_room && n <= RULES_SET_TERMS_MAX - x->set_terms - x->terms) {
		x->terms += n;
		return true;
	}
	x->too_large = true;
	x->set_full = item_room;
	snprintf(x->too_large_by, sizeof(x->too_large_by), "%s", by ? by : "");
	return false;
}

static bool add_list_terms(struct expander *x, const struct rlist *l)
{
	char by[300];

	snprintf(by, sizeof(by), "list '%s'", l->name);
	return add_terms(x, l->too_large ? SIZE_MAX : l->nexpanded, by);
}

/* The terms a check holds once its lists are spliced in (itself, its values), counted before splicing. */
static bool add_check_terms(struct expander *x, const struct fnode *n)
{
	if (!add_terms(x, 1, NULL))
		return false;
	if (n->list_ref) {
		const struct rlist *l = ruleset_list(x->s, n->list_ref);

		return !l || add_list_terms(x, l);
	}
	for (size_t i = 0; i < n->nvals; i++) {
		const struct rlist *l = n->vals[i].quoted ? NULL : ruleset_list(x->s, n->vals[i].s);

		if (!(l ? add_list_terms(x, l) : add_terms(x, 1, NULL)))
			return false;
	}
	return true;
}

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
	char by[300];

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
		snprintf(by, sizeof(by), "macro '%s'", m->name);
		if (!add_terms(x, m->terms, by))
			return NULL;
		fnode_free(n);
		return fnode_copy(m->tree);
	}
	case FN_CHECK:
		return add_check_terms(x, n) && expand_check_lists(x, n) ? n : NULL;
	case FN_AND:
	case FN_OR:
	case FN_NOT:
		if (!add_terms(x, 1, NULL))
			return NULL;
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

/*
 * The item name (macro or rule) is past RULES_TERMS_MAX, or takes the set
 * past RULES_SET_TERMS_MAX: say so, naming what took it there.
 */
static void too_large_text(const struct expander *x, const char *name, bool macro, char *out, size_t n)
{
	char head[300], by[400] = "";

	if (macro)
		snprintf(head, sizeof(head), "Macro '%s' is too large", name);
	else
		snprintf(head, sizeof(head), "Rule %s: condition too large", name);
	if (x->too_large_by[0])
		snprintf(by, sizeof(by), " with %s expanded", x->too_large_by);
	if (x->set_full)
		snprintf(out, n,
		         "%s:%s the macros and rules would hold more than %d terms together (operators, "
		         "checks and values).",
		         head, by, RULES_SET_TERMS_MAX);
	else
		snprintf(out, n, "%s:%s it would hold more than %d terms (operators, checks and values).",
		         head, by, RULES_TERMS_MAX);
}

/*
 * text parsed and expanded (the terms it holds in x->terms, added to
 * x->set_terms); NULL with the problem reported, naming the item: name, a
 * macro when macro is set, else a rule.
 */
static struct fnode *parse_expand(struct expander *x, const char *name, const char *text, struct diags *d,
                                  const char *file, int line, const char *context, bool macro)
{
	struct err e = { { 0 } };
	struct fnode *t = filter_parse(text, &e), *out;
	char msg[1024]; /* too_large_text(): a head, a "with ... expanded" and the sentence */

	if (!t) {
		parse_error_text(e.msg, msg, sizeof(msg));
		diag_add(d, false, file, line, context, "Compilation error when compiling \"%s\": %s", text,
		         msg);
		return NULL;
	}
	x->undefined[0] = x->bad_list[0] = x->too_large_by[0] = 0;
	x->terms = 0;
	x->too_large = x->set_full = false;
	out = expand_node(x, t, 0);
	if (out) {
		x->set_terms += x->terms;
		return out;
	}
	fnode_free(t);
	if (x->too_large) {
		too_large_text(x, name, macro, msg, sizeof(msg));
		diag_add(d, false, file, line, context, "%s", msg);
		return NULL;
	}
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
 * The event types a condition can match, as Falco 0.31.1's filters compute
 * them: a set of event codes per node. An evt.type check names the codes of
 * its values (= and in; != the rest), any other check every code; `and`
 * intersects, `or` unites, `not` takes the complement (but the complement
 * of every code is every code: a `not` over other fields does not narrow).
 *
 * Falco warns (no-evttype) when the set is empty or holds more than 100
 * codes. An evt.type value that names no event (madvise) is empty for
 * Falco; for sysrec's index it is the generic pair (such syscalls are
 * recorded as generic events), so the rule is still only tried there.
 */
#define TYPE_WORDS       ((EVENT_MAX + 63) / 64)
#define FALCO_MANY_TYPES 100

struct typeset {
	uint64_t w[TYPE_WORDS];
};

static void ts_fill(struct typeset *t, bool all)
{
	memset(t->w, all ? 0xff : 0, sizeof(t->w));
	if (all && EVENT_MAX % 64)
		t->w[TYPE_WORDS - 1] = (1ULL << (EVENT_MAX % 64)) - 1;
}

static bool ts_all(const struct typeset *t)
{
	struct typeset all;

	ts_fill(&all, true);
	return !memcmp(t->w, all.w, sizeof(t->w));
}

static size_t ts_count(const struct typeset *t)
{
	size_t n = 0;

	for (size_t i = 0; i < TYPE_WORDS; i++)
		n += (size_t)__builtin_popcountll(t->w[i]);
	return n;
}

static void ts_add(struct typeset *t, unsigned code)
{
	t->w[code / 64] |= 1ULL << (code % 64);
}

/* The codes named name (both directions, every version); none found: the generic pair, when generic. */
static void ts_name(struct typeset *t, const char *name, bool generic)
{
	bool found = false;

	for (unsigned code = PPME_GENERIC_X + 1; code < EVENT_MAX; code++)
		if (!strcmp(event_table[code].name, name)) {
			ts_add(t, code);
			found = true;
		}
	if (!found && generic) {
		ts_add(t, 0);
		ts_add(t, 1);
	}
}

static void node_types(const struct fnode *n, bool generic, struct typeset *out)
{
	struct typeset k;

	switch (n->kind) {
	case FN_AND:
	case FN_OR:
		node_types(n->kids[0], generic, out);
		for (size_t i = 1; i < n->nkids; i++) {
			node_types(n->kids[i], generic, &k);
			for (size_t j = 0; j < TYPE_WORDS; j++)
				out->w[j] = n->kind == FN_AND ? out->w[j] & k.w[j] : out->w[j] | k.w[j];
		}
		return;
	case FN_NOT:
		node_types(n->kids[0], generic, out);
		if (!ts_all(out)) {
			ts_fill(&k, true);
			for (size_t j = 0; j < TYPE_WORDS; j++)
				out->w[j] = ~out->w[j] & k.w[j];
		}
		return;
	case FN_CHECK:
		if (!strcmp(n->field, "evt.type") && !n->arg &&
		    (n->op == FOP_EQ || n->op == FOP_NE || n->op == FOP_IN || n->op == FOP_PMATCH)) {
			ts_fill(out, false);
			for (size_t i = 0; i < n->nvals; i++)
				ts_name(out, n->vals[i].s, generic);
			if (n->op == FOP_NE) {
				ts_fill(&k, true);
				for (size_t j = 0; j < TYPE_WORDS; j++)
					out->w[j] = ~out->w[j] & k.w[j];
			}
			return;
		}
		ts_fill(out, true);
		return;
	default:
		ts_fill(out, true);
		return;
	}
}

static void rule_types(struct rule_entry *re, const struct fnode *tree, struct diags *d, const char *file)
{
	struct rule *r = &re->pub;
	struct typeset falco, ours;
	size_t nf;

	node_types(tree, false, &falco);
	node_types(tree, true, &ours);
	nf = ts_count(&falco);
	if ((nf == 0 || nf > FALCO_MANY_TYPES) && re->warn_evttypes)
		diag_add(d, true, file, r->line, re->context,
		         "Rule %s: warning (no-evttype):\n"
		         "         matches too many evt.type values.\n"
		         "         This has a significant performance penalty.",
		         r->name);
	free(r->types);
	r->types = NULL;
	r->ntypes = 0;
	r->all_types = ts_all(&ours) || ts_count(&ours) == 0;
	if (r->all_types)
		return;
	for (unsigned code = 0; code < EVENT_MAX; code++)
		if (ours.w[code / 64] >> (code % 64) & 1) {
			r->types = xrealloc(r->types, (r->ntypes + 1) * sizeof(*r->types));
			r->types[r->ntypes++] = (uint16_t)code;
		}
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

/* Falco's output check: the output compiles as an alert's (alert.h). */
static int check_output(struct state *st, const char *output, char *msg, size_t n)
{
	struct err e = { { 0 } };
	struct alert_format *f = alert_format_compile(st, output, &e);

	if (!f) {
		snprintf(msg, n, "Invalid output format '%s': '%s'", output, e.msg);
		return -1;
	}
	alert_format_free(f);
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
	tree = parse_expand(x, r->name, sbuf_cstr(&cond), d, file, r->line, re->context, false);
	if (!tree)
		goto out;
	rule_types(re, tree, d, file);
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

static char *dup_or_null(const char *s)
{
	return s ? xstrdup(s) : NULL;
}

/* Each policy's capture action onto the rules it names (replacing theirs); the errors. */
static size_t apply_policies(struct ruleset *s, struct diags *d)
{
	size_t errors = 0;

	for (size_t i = 0; i < s->npolicies; i++) {
		const struct rpolicy *p = &s->policies[i];

		for (size_t k = 0; k < p->nrules; k++) {
			struct rule_entry *re = NULL;
			struct rule_capture *c;

			for (size_t j = 0; j < s->nrules && !re; j++)
				if (!strcmp(s->rules[j]->pub.name, p->rules[k]))
					re = s->rules[j];
			if (!re) {
				diag_add(d, false, d->file ? d->file : p->file, p->line, p->context,
				         "Policy %s names rule '%s', which is not defined", p->name,
				         p->rules[k]);
				errors++;
				continue;
			}
			c = &re->pub.capture;
			free(c->name);
			free(c->filter);
			free(c->storage);
			*c = p->capture;
			c->name = dup_or_null(p->capture.name);
			c->filter = dup_or_null(p->capture.filter);
			c->storage = dup_or_null(p->capture.storage);
		}
	}
	return errors;
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
		m->tree = parse_expand(&x, m->name, m->cond, d, d->file ? d->file : m->file, m->line,
		                       m->context, true);
		m->terms = x.terms;
		errors += !m->tree;
	}
	for (size_t i = 0; i < s->nrules && !errors; i++)
		errors += compile_rule(&x, s->rules[i], st ? st : own, st != NULL, d) < 0;
	if (!errors)
		errors += apply_policies(s, d);
	if (own)
		state_free(own);
	return errors;
}
