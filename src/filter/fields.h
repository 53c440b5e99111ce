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
};

struct field;

/*
 * The field called name[0..len), or NULL. For evt.arg.NAME, *arg points at
 * NAME inside name; else it is NULL.
 */
const struct field *field_find(const char *name, size_t len, const char **arg);
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
};

/* The argument the field takes. */
enum field_arg field_arg(const struct field *f);
/*
 * Append the field's text for the event; false when the event does not have
 * it. argn is the argument as a number (a generation, an index), or the side
 * of an FF_EITHER field.
 */
bool field_extract(const struct field *f, struct state *st, const struct evctx *cx, const char *arg,
                   int64_t argn, struct sbuf *out);

#endif
