/* ruleset: a loaded rules set's lifetime and lookups, the public rules_* API, and its diagnostics. */
#include "../filter/filter.h"
#include "rules_int.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

/* ------------------------------------------------------------ priorities */

static const char *const prio_names[] = { "Emergency", "Alert",  "Critical",      "Error",
	                                  "Warning",   "Notice", "Informational", "Debug" };

const char *rule_priority_name(enum rule_priority p)
{
	return (unsigned)p < ARRAY_SIZE(prio_names) ? prio_names[p] : "Unknown";
}

int rule_priority_parse(const char *s, enum rule_priority *out)
{
	for (size_t i = 0; i < ARRAY_SIZE(prio_names); i++) {
		if (!strcasecmp(s, prio_names[i])) {
			*out = (enum rule_priority)i;
			return 0;
		}
	}
	if (!strcasecmp(s, "INFO")) {
		*out = PRIO_INFORMATIONAL;
		return 0;
	}
	return -1;
}

/* ------------------------------------------------------------ diagnostics under construction */

void diag_add(struct diags *d, bool warning, const char *file, int line, const char *item, const char *fmt,
              ...)
{
	struct rules_diag *g;
	va_list ap;
	char *msg;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	msg = xmalloc((size_t)(n > 0 ? n : 0) + 1);
	va_start(ap, fmt);
	vsnprintf(msg, (size_t)(n > 0 ? n : 0) + 1, fmt, ap);
	va_end(ap);
	/* a warning seen already (the set is compiled again after each file) is not repeated */
	for (size_t i = 0; warning && i < d->n; i++) {
		if (d->v[i].warning && !strcmp(d->v[i].msg, msg)) {
			free(msg);
			return;
		}
	}
	d->v = xrealloc(d->v, (d->n + 1) * sizeof(*d->v));
	g = &d->v[d->n++];
	g->warning = warning;
	g->file = file ? xstrdup(file) : NULL;
	g->line = line;
	g->item = item ? xstrdup(item) : NULL;
	g->msg = msg;
}

static void diags_release(struct diags *d)
{
	for (size_t i = 0; i < d->n; i++) {
		free(d->v[i].file);
		free(d->v[i].item);
		free(d->v[i].msg);
	}
	free(d->v);
	d->v = NULL;
	d->n = 0;
}

/* ------------------------------------------------------------ the set: release and lookups */

void strv_free(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

void exception_release(struct exception *x)
{
	free(x->name);
	strv_free(x->fields, x->nfields);
	strv_free(x->comps, x->ncomps);
	for (size_t i = 0; i < x->nrows; i++) {
		for (size_t k = 0; k < x->rows[i].n; k++) {
			free(x->rows[i].v[k].s);
			strv_free(x->rows[i].v[k].items, x->rows[i].v[k].nitems);
		}
		free(x->rows[i].v);
	}
	free(x->rows);
}

void list_release(struct rlist *l)
{
	free(l->name);
	strv_free(l->items, l->nitems);
	strv_free(l->expanded, l->nexpanded);
}

void macro_release(struct rmacro *m)
{
	free(m->name);
	free(m->cond);
	free(m->context);
	free(m->file);
	fnode_free(m->tree);
}

static void capture_release(struct rule_capture *c)
{
	free(c->name);
	free(c->filter);
	free(c->storage);
	memset(c, 0, sizeof(*c));
}

void rule_entry_free(struct rule_entry *re)
{
	struct rule *r;

	if (!re)
		return;
	r = &re->pub;
	free(r->name);
	free(r->desc);
	free(r->output);
	free(r->source);
	free(r->condition);
	free(r->expanded);
	strv_free(r->tags, r->ntags);
	filter_free(r->filter);
	free(r->types);
	capture_release(&r->capture);
	free(r->file);
	free(re->context);
	for (size_t i = 0; i < re->nexcs; i++)
		exception_release(&re->excs[i]);
	free(re->excs);
	free(re);
}

void policy_release(struct rpolicy *p)
{
	free(p->name);
	strv_free(p->rules, p->nrules);
	capture_release(&p->capture);
	free(p->file);
	free(p->context);
}

void ruleset_free(struct ruleset *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->nlists; i++)
		list_release(&s->lists[i]);
	free(s->lists);
	for (size_t i = 0; i < s->nmacros; i++)
		macro_release(&s->macros[i]);
	free(s->macros);
	for (size_t i = 0; i < s->nrules; i++)
		rule_entry_free(s->rules[i]);
	free(s->rules);
	for (size_t i = 0; i < s->npolicies; i++)
		policy_release(&s->policies[i]);
	free(s->policies);
	free(s);
}

struct rlist *ruleset_list(struct ruleset *s, const char *name)
{
	for (size_t i = 0; i < s->nlists; i++)
		if (!strcmp(s->lists[i].name, name))
			return &s->lists[i];
	return NULL;
}

struct rmacro *ruleset_macro(struct ruleset *s, const char *name)
{
	for (size_t i = 0; i < s->nmacros; i++)
		if (!strcmp(s->macros[i].name, name))
			return &s->macros[i];
	return NULL;
}

struct rule_entry *ruleset_rule(struct ruleset *s, const char *name)
{
	for (size_t i = 0; i < s->nrules; i++)
		if (!strcmp(s->rules[i]->pub.name, name))
			return s->rules[i];
	return NULL;
}

/* ------------------------------------------------------------ toggles */

/* Switch every rule of s that t names (by name, name part or tag); how many changed. */
static size_t apply_toggle(struct ruleset *s, const struct rules_toggle *t)
{
	size_t n = 0;

	for (size_t i = 0; i < s->nrules; i++) {
		struct rule *rule = &s->rules[i]->pub;
		bool hit = !t->tag &&
		           (t->substring ? strstr(rule->name, t->key) != NULL : !strcmp(rule->name, t->key));

		for (size_t k = 0; t->tag && k < rule->ntags && !hit; k++)
			hit = !strcmp(rule->tags[k], t->key);
		if (hit && rule->enabled != t->enabled) {
			rule->enabled = t->enabled;
			n++;
		}
	}
	return n;
}

/* Keep t (each set a later file builds replays it) and apply it to the current set. */
static size_t toggle(struct rules *r, const char *key, bool tag, bool substring, bool enabled)
{
	struct rules_toggle t = { xstrdup(key), tag, substring, enabled };

	r->toggles = xrealloc(r->toggles, (r->ntoggles + 1) * sizeof(*r->toggles));
	r->toggles[r->ntoggles++] = t;
	return apply_toggle(r->set, &t);
}

size_t rules_enable_name(struct rules *r, const char *name, bool substring, bool enabled)
{
	return toggle(r, name, false, substring, enabled);
}

size_t rules_enable_tag(struct rules *r, const char *tag, bool enabled)
{
	return toggle(r, tag, true, false, enabled);
}

/* ------------------------------------------------------------ struct rules: its life, loading, compiling */

struct rules *rules_new(void)
{
	struct rules *r = xcalloc(1, sizeof(*r));

	r->set = xcalloc(1, sizeof(*r->set));
	r->min_priority = PRIO_DEBUG;
	return r;
}

void rules_free(struct rules *r)
{
	if (!r)
		return;
	rules_index_free(r);
	ruleset_free(r->set);
	for (size_t i = 0; i < r->nfiles; i++) {
		free(r->files[i].name);
		free(r->files[i].text);
	}
	free(r->files);
	for (size_t i = 0; i < r->ntoggles; i++)
		free(r->toggles[i].key);
	free(r->toggles);
	diags_release(&r->diags);
	free(r);
}

/*
 * The set is built anew from the files kept in r->files, then this one, and
 * checked (ruleset_compile without a state). Only when all of that holds
 * does it replace r->set (the old set, and every struct rule of it, freed)
 * and the text join r->files; on failure r->set is untouched.
 */
int rules_load_text(struct rules *r, const char *name, const char *text, size_t len, struct err *e)
{
	struct ruleset *set = xcalloc(1, sizeof(*set));
	struct diags quiet = { 0 };
	bool rc;

	(void)e;
	/* the files before this one again (they loaded before: no errors), then this one */
	for (size_t i = 0; i < r->nfiles; i++)
		ruleset_load_text(set, r->files[i].name, r->files[i].text, r->files[i].len, &quiet);
	diags_release(&quiet);
	r->diags.file = name;
	rc = ruleset_load_text(set, name, text, len, &r->diags) < 0 ||
	     ruleset_compile(set, NULL, &r->diags) > 0;
	r->diags.file = NULL;
	if (rc) {
		ruleset_free(set);
		return -EINVAL;
	}
	for (size_t i = 0; i < r->ntoggles; i++)
		apply_toggle(set, &r->toggles[i]);
	rules_index_free(r);
	ruleset_free(r->set);
	r->set = set;
	r->files = xrealloc(r->files, (r->nfiles + 1) * sizeof(*r->files));
	r->files[r->nfiles].name = xstrdup(name);
	r->files[r->nfiles].text = xstrndup(text, len);
	r->files[r->nfiles].len = len;
	r->nfiles++;
	return 0;
}

int rules_load_file(struct rules *r, const char *path, struct err *e)
{
	struct sbuf b = { 0 };
	char buf[65536];
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC), rc;

	if (fd < 0)
		return err_set(e, -errno, "%s: %s", path, strerror(errno));
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		sbuf_put(&b, buf, (size_t)n);
	if (n < 0) {
		rc = err_set(e, -errno, "%s: %s", path, strerror(errno));
		close(fd);
		sbuf_release(&b);
		return rc;
	}
	close(fd);
	rc = rules_load_text(r, path, b.len ? b.data : "", b.len, e);
	if (rc < 0)
		err_set(e, rc, "%s: the rules file has errors", path);
	sbuf_release(&b);
	return rc;
}

int rules_compile(struct rules *r, struct state *st, struct err *e)
{
	size_t errors;

	rules_index_free(r);
	for (size_t i = 0; i < r->set->nrules; i++) {
		filter_free(r->set->rules[i]->pub.filter);
		r->set->rules[i]->pub.filter = NULL;
	}
	errors = ruleset_compile(r->set, st, &r->diags);
	if (errors)
		return err_set(e, -EINVAL, "the rules do not compile (%zu errors)", errors);
	rules_index_build(r);
	return 0;
}

/* ------------------------------------------------------------ lookups */

size_t rules_count(const struct rules *r)
{
	return r->set->nrules;
}

struct rule *rules_at(struct rules *r, size_t i)
{
	return i < r->set->nrules ? &r->set->rules[i]->pub : NULL;
}

struct rule *rules_find(struct rules *r, const char *name)
{
	struct rule_entry *re = ruleset_rule(r->set, name);

	return re ? &re->pub : NULL;
}

/* ------------------------------------------------------------ diagnostics, as callers read them */

size_t rules_diag_count(const struct rules *r)
{
	return r->diags.n;
}

const struct rules_diag *rules_diag_at(const struct rules *r, size_t i)
{
	return i < r->diags.n ? &r->diags.v[i] : NULL;
}

static void print_diags(const struct rules *r, const char *file, bool warning, FILE *out)
{
	size_t n = 0;

	for (size_t i = 0; i < r->diags.n; i++)
		n += r->diags.v[i].warning == warning &&
		     (!file || (r->diags.v[i].file && !strcmp(r->diags.v[i].file, file)));
	if (!n) {
		if (!warning)
			fprintf(out, "Ok\n");
		return;
	}
	fprintf(out, "%zu %s:\n", n, warning ? "warnings" : "errors");
	for (size_t i = 0; i < r->diags.n; i++) {
		const struct rules_diag *g = &r->diags.v[i];

		if (g->warning != warning || (file && (!g->file || strcmp(g->file, file) != 0)))
			continue;
		fprintf(out, "%s\n", g->msg);
		if (g->item)
			fprintf(out, "---\n%s---\n", g->item);
	}
}

void rules_diag_print(const struct rules *r, const char *file, FILE *out)
{
	print_diags(r, file, false, out);
	print_diags(r, file, true, out);
}

void rules_diag_locate(const struct rules *r, const char *file, FILE *out)
{
	for (size_t i = 0; i < r->diags.n; i++) {
		const struct rules_diag *g = &r->diags.v[i];
		const char *nl = strchr(g->msg, '\n');

		if (g->warning || (file && (!g->file || strcmp(g->file, file) != 0)))
			continue;
		fprintf(out, "%s:%d: error: %.*s\n", g->file ? g->file : "(rules)", g->line,
		        (int)(nl ? (size_t)(nl - g->msg) : strlen(g->msg)), g->msg);
	}
}

/* ------------------------------------------------------------ settings */

void rules_set_all_events(struct rules *r, bool all)
{
	r->all_events = all;
}

void rules_set_min_priority(struct rules *r, enum rule_priority p)
{
	r->min_priority = p;
}
