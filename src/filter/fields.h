/*
 * fields: the field table as the filter compiler sees it (private to
 * src/filter). Each field is extracted as text, the way `-p` prints it; the
 * compiler compares that text, or the number it holds for numeric fields.
 */
#ifndef SYSREC_FILTER_FIELDS_H
#define SYSREC_FILTER_FIELDS_H

#include "filter.h"

/*
 * How a filter compares the field's text: as text, as a number, as an IP
 * address (v4 or v6, any spelling), or as an address inside a CIDR network.
 */
enum ftype { FT_STR, FT_NUM, FT_IP, FT_NET };

enum {
	FF_STATELESS = 1,   /* reads only the event itself, never threads or fds */
	FF_FILTER_ONLY = 2, /* filters take it, -p formats do not (sysdig's EPF_FILTER_ONLY) */
	FF_EITHER = 4,      /* two values, client side (argn 0) and server side (1): either may match */
	FF_ANY = 8,         /* without its [N], a filter tests generations 1, 2, ... until one matches */
	FF_BYTYPE = 16,     /* its value follows from the event code alone, except for codes 0 and 1 */
	FF_FD = 32,         /* absent from events whose code makes, uses and closes no fd */
	FF_EVENT_NAME = 64, /* its values are event or syscall names, checked at compile time */
	FF_MEMORY = 128, /* keeps values between events, apart for each place a filter or format names it */
};

struct field;

/*
 * What an FF_MEMORY field keeps between events. sysdig keeps it per
 * filtercheck, so each place the field is named has one, and its values
 * depend on the events that place was evaluated on.
 */
struct fstate;

/* A new memory for field f over state st; NULL when f keeps none. */
struct fstate *fstate_new(struct state *st, const struct field *f);
void fstate_free(struct fstate *fs);

/*
 * The field called name[0..len), or NULL. For evt.arg.NAME, *arg points at
 * NAME inside name; else it is NULL.
 */
const struct field *field_find(const char *name, size_t len, const char **arg);
/* The i-th field of the table (0, 1, ...), NULL past its end. */
const struct field *field_at(size_t i);
const char *field_name(const struct field *f);
enum ftype field_type(const struct field *f);
/* Reads only the event itself, never threads or fds. */
bool field_stateless(const struct field *f);
unsigned field_flags(const struct field *f);
enum field_arg {
	FARG_NONE,
	FARG_NAME,          /* evt.rawarg.NAME, thread.cgroup.SUBSYS */
	FARG_NAME_OR_INDEX, /* evt.arg.NAME or evt.arg[N] */
	FARG_INDEX,         /* proc.aname[N]: a generation, 0 for the process itself */
	FARG_TIME,          /* evt.around[T]: a time in ns since the epoch */
};

/* The argument the field takes. */
enum field_arg field_arg(const struct field *f);
/*
 * Append the field's text for the event; false when the event does not have
 * it. argn is the argument as a number (a generation, an index), or the side
 * of an FF_EITHER field. fs is the place's memory (fstate_new()) for
 * FF_MEMORY fields, else NULL.
 */
bool field_extract(const struct field *f, struct state *st, const struct evctx *cx, const char *arg,
                   int64_t argn, struct fstate *fs, struct sbuf *out);
/*
 * The field's text for the event as *s, NUL-terminated, of *len bytes; false
 * when the event does not have it. The hot fields point into the state or
 * static text, the others at what they wrote into scratch. *s stays valid
 * until the next event is applied or scratch is written.
 */
bool field_view(const struct field *f, struct state *st, const struct evctx *cx, const char *arg,
                int64_t argn, struct fstate *fs, struct sbuf *scratch, const char **s, size_t *len);

#endif
