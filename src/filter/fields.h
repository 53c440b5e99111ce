/*
 * fields: the field table as the filter compiler sees it (private to
 * src/filter). Each field is extracted as text, the way `-p` prints it; the
 * compiler compares that text, or the number it holds for numeric fields.
 */
#ifndef SYSREC_FILTER_FIELDS_H
#define SYSREC_FILTER_FIELDS_H

#include "filter.h"

enum ftype { FT_STR, FT_NUM };

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
enum field_arg {
	FARG_NONE,
	FARG_NAME_OR_INDEX, /* evt.arg.NAME or evt.arg[N] */
	FARG_INDEX,         /* proc.aname[N]: a generation, 0 for the process itself */
};

/* The argument the field takes. */
enum field_arg field_arg(const struct field *f);
/* Append the field's text for the event; false when the event does not have it. */
bool field_extract(const struct field *f, struct state *st, const struct evctx *cx, const char *arg,
                   struct sbuf *out);

#endif
