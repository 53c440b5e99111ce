/*
 * rules_int: what the rules module's files share; not part of its interface.
 *
 *   load.c     a rules file's YAML into a struct ruleset (items, item errors)
 *   ruleset.c  the ruleset's lifetime and lookups, struct rules and the rules_* API, diagnostics
 *   expand.c   lists and macros expanded, each rule's condition compiled
 *   match.c    the compiled rules indexed by event type, and matched
 *
 * Ownership: a struct ruleset owns every list, macro, rule and policy in it
 * and every string they hold (all heap copies); ruleset_free() frees them
 * all. A struct rules owns its current set, the text of each file loaded
 * (the set is rebuilt from them at each load), its toggles and diagnostics.
 */
#ifndef SYSREC_RULES_INT_H
#define SYSREC_RULES_INT_H

#include "../filter/filter.h"
#include "rules.h"

/* One element of an exception's values tuple: a text, or a list of texts. */
struct exc_val {
	char *s;      /* NULL when a list */
	char **items; /* a list: [a, b] */
	size_t nitems;
};

/* A row of an exception's values: one element per field (single-field: n == 1, scalar). */
struct exc_row {
	struct exc_val *v;
	size_t n;
	bool scalar; /* the row was a plain text, not a [tuple] */
};

struct exception {
	char *name;
	char **fields; /* one field when single */
	size_t nfields;
	bool single; /* fields: was one text, not a list */
	char **comps;
	size_t ncomps;
	struct exc_row *rows;
	size_t nrows;
};

struct rlist {
	char *name;
	char **items;
	size_t nitems;
	char **expanded; /* items with earlier lists spliced in (by expand) */
	size_t nexpanded;
	bool too_large; /* it would hold more than RULES_TERMS_MAX items: expanded is empty */
};

struct rmacro {
	char *name;
	char *cond;
	char *context;
	char *file;
	int line;
	struct fnode *tree; /* expanded (by expand), NULL when it did not compile */
	size_t terms;       /* the terms tree holds (rules.h: RULES_TERMS_MAX) */
};

/* A rule and what only the loader needs of it. */
struct rule_entry {
	struct rule pub;
	char *context;
	struct exception *excs;
	size_t nexcs;
	bool skip_unknown;
	bool warn_evttypes;
};

/*
 * sysrec's `policy` item: a capture action given to rules named (Falco's own
 * files stay untouched). Applied when the set compiles, so it names rules
 * of its file or of files loaded before.
 */
struct rpolicy {
	char *name;
	char **rules;
	size_t nrules;
	struct rule_capture capture;
	char *file;
	int line;
	char *context;
};

/*
 * Lists, macros and rules by definition order. Lists and macros are held by
 * value (a pointer into them lasts until the next item of its kind is
 * added); rules by pointer, so a struct rule's address lasts as long as the
 * set.
 */
struct ruleset {
	struct rpolicy *policies;
	size_t npolicies;
	struct rlist *lists;
	size_t nlists;
	struct rmacro *macros;
	size_t nmacros;
	struct rule_entry **rules;
	size_t nrules;
};

/* Diagnostics under construction: v owns each diagnostic's strings. */
struct diags {
	struct rules_diag *v;
	size_t n;
	const char *file; /* the file being loaded: compile problems are reported in it */
};

/*
 * ruleset.c: add a diagnostic to d; file and item are copied (either may be
 * NULL). A warning whose message d holds already is dropped (the set is
 * compiled again after each file).
 */
void diag_add(struct diags *d, bool warning, const char *file, int line, const char *item, const char *fmt,
              ...) PRINTF_LIKE(6, 7);

/*
 * load.c: the items of a rules file (text, len bytes, named name in
 * diagnostics) added to set in order, as Falco's first pass reads them: a
 * list, macro, rule or policy of a name set holds replaces it, `append`
 * extends it. The first error stops: 0, or -EINVAL (-ENOMEM when no YAML
 * parser) with the error in d; set then holds what loaded before it (the
 * caller frees set either way). Nothing in text is kept: set holds copies.
 */
int ruleset_load_text(struct ruleset *set, const char *name, const char *text, size_t len, struct diags *d);

/*
 * ruleset.c: releasing the set and its parts. *_release frees what the
 * struct holds, not the struct; *_free frees the struct too. Each takes a
 * part as load.c built it (also a half-built one: NULL members are fine).
 */
void ruleset_free(struct ruleset *s);
void list_release(struct rlist *l);
void macro_release(struct rmacro *m);
void rule_entry_free(struct rule_entry *re);
void exception_release(struct exception *x);
void policy_release(struct rpolicy *p);
/* n heap strings, then the array holding them. */
void strv_free(char **v, size_t n);

/* ruleset.c: the list, macro or rule of that name in s, or NULL; owned by s. */
struct rlist *ruleset_list(struct ruleset *s, const char *name);
struct rmacro *ruleset_macro(struct ruleset *s, const char *name);
struct rule_entry *ruleset_rule(struct ruleset *s, const char *name);

/*
 * expand.c: expand and compile the whole set against st, as Falco does after each file:
 * lists, macros, then each rule (exceptions, macros, lists, event types, fields).
 * Problems go to d; returns the number of errors. With st NULL, a private
 * state is used and the rules keep no filter (a check only).
 */
size_t ruleset_compile(struct ruleset *s, struct state *st, struct diags *d);

/* A file as loaded, kept: each later file's set is built from the files before it, then that file. */
struct rules_file {
	char *name;
	char *text;
	size_t len;
};

/* rules_enable_*() calls, replayed when the set is rebuilt. */
struct rules_toggle {
	char *key;
	bool tag;
	bool substring;
	bool enabled;
};

struct rules {
	struct ruleset *set; /* the set as of the last file that loaded without errors */
	struct rules_file *files;
	size_t nfiles;
	struct rules_toggle *toggles;
	size_t ntoggles;
	struct diags diags;
	bool all_events;
	enum rule_priority min_priority;
	/* match.c: per event code, the indexes of the compiled rules that apply to it */
	size_t **index;
	size_t *nindex;
};

/* match.c: build or drop the per-event-type index of r's compiled rules. */
void rules_index_build(struct rules *r);
void rules_index_free(struct rules *r);

#endif
