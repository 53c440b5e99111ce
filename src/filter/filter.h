/*
 * filter: sysdig/Falco fields over events and state: the field extractors
 * behind `-p` formats (%evt.num, %proc.name, %fd.name, ...), the default output
 * line and `-j` JSON (output.c), and the Falco condition language compiled
 * onto the same extractors (compile.c).
 *
 * Ownership: a compiled output or filter reads the state it was made with,
 * which must outlive it; the text it makes goes into the caller's sbuf.
 */
#ifndef SYSREC_FILTER_H
#define SYSREC_FILTER_H

#include "../common/common.h"
#include "../event/event.h"
#include "../state/state.h"
#include "parse.h" /* the syntax tree is public: the rules loader expands macros on it */

#include <stdio.h>

struct output;

/*
 * A compiled output format: "%field" references and literal text, as sysdig's
 * -p takes it. A leading '*' prints events even when a field is missing.
 * Returns NULL with a message for an unknown field.
 */
struct output *output_new(struct state *st, const char *format, bool json, struct err *e);
/* The default sysdig line; json selects the -j shape. */
struct output *output_new_default(struct state *st, bool json);
void output_free(struct output *o);
/* False when every field reads only the event: the caller may skip the state. */
bool output_needs_state(const struct output *o);
/* Append the line for one shown event (with trailing newline); false if suppressed. */
bool output_event(struct output *o, const struct evctx *cx, struct sbuf *out);

/*
 * The default line in two steps, so that a second thread can write it:
 * output_prepare(), right after state_process(), appends to memo what the line
 * reads from the state (the thread's name, fd names, directories, user names);
 * output_render() later writes the line from the event, its number and that
 * memo alone, never touching the state. Only when output_splits(o). Neither
 * touches what the other writes (prepare reads st, not o), so they may run on
 * two threads at once.
 */
bool output_splits(const struct output *o);
void output_prepare(struct state *st, const struct evctx *cx, struct sbuf *memo);
void output_render(struct output *o, const struct event *ev, uint64_t num, const void *memo, size_t memo_len,
                   struct sbuf *out);

/*
 * Filters: the Falco condition language (syntax in parse.h) compiled against
 * the field table. filter_compile() resolves every field and converts every
 * value once; a filter that names an unknown field, gives a field an argument
 * it does not take, or compares a numeric field with something that is not a
 * number is refused with "filter error at column N: ..." in e (NULL). A
 * field the event does not have makes its check false, whatever the operator
 * (`exists` tests for it); `not` then makes it true, as in sysdig.
 * filter_match() may be called for every event after state_process() (or
 * state_count() when !filter_needs_state()); it keeps no pointer into cx.
 */
struct filter;

struct filter *filter_compile(struct state *st, const char *text, struct err *e);
/* The same from a parsed tree (parse.h), which stays the caller's; an FN_IDENT in it is an error. */
struct fnode;
struct filter *filter_compile_tree(struct state *st, const struct fnode *tree, struct err *e);
/* False when every field reads only the event: the caller may skip the state. */
bool filter_needs_state(const struct filter *f);
/* Does the field table know this field (name of len bytes, "proc.aname[2]" style arguments allowed)? */
bool filter_field_known(const char *name, size_t len);
bool filter_match(struct filter *f, const struct evctx *cx);
/* False when no event of this code can match (what filter_match() rejects on the code alone). */
bool filter_can_match(const struct filter *f, uint16_t type);
void filter_free(struct filter *f);

/* Every field -p formats and filters take, with what it holds, by class (sysrec read -l). */
void filter_list_fields(FILE *f);

/*
 * The resolver that renders parameters through the state for one event: r's
 * context is ctx, which the caller fills through this call and keeps while r
 * is used (a local beside r).
 */
struct filter_resolve {
	struct state *st;
	const struct evctx *cx;
	struct sbuf *tmp;
};
void filter_resolver(struct state *st, const struct evctx *cx, struct filter_resolve *ctx,
                     struct event_resolver *r);

#endif
