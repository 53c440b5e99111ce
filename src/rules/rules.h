/*
 * rules: Falco rules files (as Falco 0.31.1 reads them) loaded, expanded,
 * compiled and matched against events.
 *
 * A file is a YAML sequence of items: `- required_engine_version: N`,
 * `- list: NAME` (items), `- macro: NAME` (condition), `- rule: NAME`
 * (condition, output, desc, priority, tags, enabled, source, exceptions,
 * skip-if-unknown-filter, warn_evttypes, append) and sysrec's own `capture:`
 * action on a rule. Files load in order; `append: true` extends the list,
 * macro or rule of that name loaded before; an item of a name already loaded
 * replaces it. After the last file, rules_compile() expands lists into
 * `in (...)` values and macros into conditions (on the syntax tree of
 * src/filter/parse.h), adds each rule's exceptions as `and not (...)`, and
 * compiles every enabled rule against the field table.
 *
 * Problems are diagnostics, as Falco reports them: an error or a warning, the
 * file, the line of the item, the item's text, and Falco's message ("Rule
 * must have property output", "Undefined macro 'foo' used in filter.", ...).
 * An error in a file makes rules_load_file() fail; the ruleset keeps what it
 * had before that file.
 */
#ifndef SYSREC_RULES_H
#define SYSREC_RULES_H

#include "../common/common.h"
#include "../state/state.h"

#include <stdio.h>

/* The engine version sysrec's rules engine answers to required_engine_version (Falco 0.31.1's). */
#define RULES_ENGINE_VERSION 11

/*
 * A macro's or rule's condition, macros and lists expanded, holds at most
 * RULES_TERMS_MAX terms: operators (and, or, not), checks and their values;
 * a list at most as many items; all the macros and rules of a set together
 * at most RULES_SET_TERMS_MAX. Past either limit the macro or rule is an
 * error naming the macro or list that took it there ("Macro 'm16' is too
 * large: with macro 'm15' expanded it would hold more than 100000 terms
 * ..."), found before anything is copied. Macros are copied at each use, as
 * in Falco, so without the limits macros naming the one before twice would
 * double at each level. Falco 0.31.1's default ruleset: 969 terms in its
 * largest rule, 9628 in all.
 */
#define RULES_TERMS_MAX     100000
#define RULES_SET_TERMS_MAX 1000000

/* Falco's priorities, most severe first (the numbers syslog uses). */
enum rule_priority {
	PRIO_EMERGENCY,
	PRIO_ALERT,
	PRIO_CRITICAL,
	PRIO_ERROR,
	PRIO_WARNING,
	PRIO_NOTICE,
	PRIO_INFORMATIONAL,
	PRIO_DEBUG,
};

/* "Emergency" ... "Debug", as Falco prints a priority in alerts. */
const char *rule_priority_name(enum rule_priority p);
/* From a rules file's priority (case-insensitive; "INFO" is Informational): 0, or -1. */
int rule_priority_parse(const char *s, enum rule_priority *out);

/*
 * sysrec's capture action on a rule: `capture: {enabled, name, before, after,
 * filter, storage, packets, artifacts}`.
 */
struct rule_capture {
	bool enabled;
	int packets;   /* the window's packets in the bundle: 1, 0, or -1 (the agent's packets.enabled) */
	int artifacts; /* the window's artifacts: ENGINE_ART_* kinds, or -1 (those the agent keeps) */
	char *name;    /* NULL: the rule's name */
	double before, after; /* seconds (defaults 5 and 20; at most 300 together) */
	char *filter;         /* NULL: every event */
	char *storage;        /* NULL: the default store */
};

struct rule {
	char *name, *desc, *output, *source; /* source: "syscall" unless the file says */
	char *condition;                     /* as written, appends joined */
	char *expanded;                      /* the condition compiled, macros and lists expanded */
	enum rule_priority priority;
	char **tags;
	size_t ntags;
	bool enabled;
	bool skipped;          /* not compiled: an unknown field with skip-if-unknown-filter */
	struct filter *filter; /* NULL when skipped or not yet compiled (disabled rules keep theirs) */
	/*
	 * The event types the rule applies to, as Falco computes them for
	 * rules_events and its warnings: all_types when the condition does not
	 * restrict evt.type (or restricts it only through a `not`/`!=`), else
	 * the codes of types (both directions of each named type).
	 */
	bool all_types;
	uint16_t *types;
	size_t ntypes;
	struct rule_capture capture;
	char *file; /* where it was defined */
	int line;
};

/* A problem found while loading or compiling. */
struct rules_diag {
	bool warning;
	char *file; /* the rules file, NULL for problems of no file */
	int line;   /* the item's line (1-based), 0 when unknown */
	char *item; /* the item's text as written in the file, NULL when none */
	char *msg;  /* Falco's message */
};

/*
 * Ownership: struct rules owns everything it hands out. The strings given to
 * it are copied. A struct rule * (rules_at, rules_find, rules_match) lasts
 * until the next rules_load_*() that succeeds (the set is rebuilt from
 * every file then) or rules_free(); its filter until the next
 * rules_compile(). A struct rules_diag * lasts until the next call that
 * loads or compiles (diagnostics are added to one array).
 */
struct rules;

/* An empty set (no files, every priority, Falco's simple-consumer filtering on). */
struct rules *rules_new(void);
void rules_free(struct rules *r);

/*
 * Load one file (rules_load_text: text of len bytes, named name in
 * diagnostics). 0, or -EINVAL when the file has errors (listed as
 * diagnostics; the ruleset then holds what it held before the call) or
 * -errno when it cannot be read (e set).
 */
int rules_load_file(struct rules *r, const char *path, struct err *e);
int rules_load_text(struct rules *r, const char *name, const char *text, size_t len, struct err *e);

/*
 * Expand and compile every enabled rule against st's field table (after
 * every file is loaded). 0, or -EINVAL when a rule or macro does not compile
 * (diagnostics say which; with skip-if-unknown-filter an unknown field is a
 * warning and the rule is skipped).
 */
int rules_compile(struct rules *r, struct state *st, struct err *e);

/*
 * Enable or disable rules by name (exactly, or every rule whose name holds
 * name when substring is set: Falco's -D), or by tag (-t and -T). Returns how
 * many changed. An empty substring names every rule.
 */
size_t rules_enable_name(struct rules *r, const char *name, bool substring, bool enabled);
size_t rules_enable_tag(struct rules *r, const char *tag, bool enabled);

size_t rules_count(const struct rules *r);
struct rule *rules_at(struct rules *r, size_t i);
struct rule *rules_find(struct rules *r, const char *name);

size_t rules_diag_count(const struct rules *r);
const struct rules_diag *rules_diag_at(const struct rules *r, size_t i);
/*
 * Print the diagnostics of file (NULL: all) in Falco's `-V` layout: "N errors:"
 * then msg, ---, item, --- for each; "Ok" when there are none; then the
 * warnings the same way ("N warnings:").
 */
void rules_diag_print(const struct rules *r, const char *file, FILE *out);
/*
 * The errors of file (NULL: all) one per line, where an editor jumps to:
 * "FILE:LINE: error: MESSAGE" (the message's first line). Falco's layout
 * names no line; this does, after it.
 */
void rules_diag_locate(const struct rules *r, const char *file, FILE *out);

/*
 * Falco skips events flagged EF_DROP_SIMPLE_CONS (its "simple consumer"
 * mode) unless run with -A; rules_match() does the same unless all is set.
 */
void rules_set_all_events(struct rules *r, bool all);

/*
 * Rules less severe than p are not matched (Falco's `priority` option); the
 * default is PRIO_DEBUG, every rule. Takes effect at the next rules_compile().
 */
void rules_set_min_priority(struct rules *r, enum rule_priority p);

/*
 * The rule the event triggers: as Falco 0.31.1, the first enabled, compiled
 * rule in the order the files defined them whose condition matches (one
 * alert per event at most), or NULL. Only the rules that apply to the
 * event's type are tried. Call after state_process() on the event.
 */
struct rule *rules_match(struct rules *r, const struct evctx *cx);

#endif
