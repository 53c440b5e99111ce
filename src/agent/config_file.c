/*
 * config_file: the agent's configuration file, read with libyaml's event parser.
 *
 * The loader walks libyaml's events against the option table (config_int.h):
 * the nesting is at most two deep, and the first node of an unexpected shape
 * ends the load, so no input makes it recurse. A load fills a copy of the
 * configuration and replaces the caller's only when the whole file was good.
 */
#include "../common/common.h"
#include "config_int.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <yaml.h>

struct loader {
	yaml_parser_t parser;
	const char *name; /* of the file, for messages */
	const unsigned char *buf;
	size_t len;
	struct agent_config *c; /* the copy being filled */
	struct err *e;
};

static int fail_at(struct loader *ld, yaml_mark_t m, const char *fmt, ...) PRINTF_LIKE(3, 4);

static int fail_at(struct loader *ld, yaml_mark_t m, const char *fmt, ...)
{
	char msg[480];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return err_set(ld->e, -EINVAL, "%s:%zu:%zu: %s", ld->name, m.line + 1, m.column + 1, msg);
}

/* The error libyaml stopped with, in e. */
static int syntax_error(struct loader *ld)
{
	const yaml_parser_t *p = &ld->parser;
	const char *problem = p->problem ? p->problem : "syntax error";

	if (p->error == YAML_MEMORY_ERROR)
		return err_set(ld->e, -ENOMEM, "%s: out of memory reading YAML", ld->name);
	if (p->error == YAML_READER_ERROR) { /* an encoding error: libyaml gives a byte offset */
		size_t off = p->problem_offset < ld->len ? p->problem_offset : ld->len;
		size_t line = 1, col = 1;

		for (size_t i = 0; i < off; i++, col++)
			if (ld->buf[i] == '\n')
				line++, col = 0;
		if (p->problem_value >= 0)
			return err_set(ld->e, -EINVAL, "%s:%zu:%zu: %s (#%X)", ld->name, line, col, problem,
			               (unsigned)p->problem_value);
		return err_set(ld->e, -EINVAL, "%s:%zu:%zu: %s", ld->name, line, col, problem);
	}
	if (p->context)
		return fail_at(ld, p->problem_mark, "%s (%s at line %zu, column %zu)", problem, p->context,
		               p->context_mark.line + 1, p->context_mark.column + 1);
	return fail_at(ld, p->problem_mark, "%s", problem);
}

/* The next event in ev, or an error (and nothing to delete). Aliases are errors. */
static int next_event(struct loader *ld, yaml_event_t *ev)
{
	if (!yaml_parser_parse(&ld->parser, ev))
		return syntax_error(ld);
	if (ev->type == YAML_ALIAS_EVENT) {
		const char *a = (const char *)ev->data.alias.anchor;
		yaml_mark_t m = ev->start_mark;
		char sh[64];

		config_shown(sh, sizeof(sh), a ? a : "", a ? strlen(a) : 0);
		yaml_event_delete(ev);
		return fail_at(ld, m, "aliases (*%s) are not supported here: write the value out", sh);
	}
	return 0;
}

static bool event_is_null(const yaml_event_t *ev)
{
	return ev->type == YAML_SCALAR_EVENT &&
	       config_is_null((const char *)ev->data.scalar.value, ev->data.scalar.length,
	                      ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE);
}

/* What a node is, for "found ..." in messages. */
static const char *event_shown(const yaml_event_t *ev, char *out, size_t size)
{
	char sh[64];

	if (ev->type == YAML_MAPPING_START_EVENT)
		return "a mapping";
	if (ev->type == YAML_SEQUENCE_START_EVENT)
		return "a list";
	if (ev->type != YAML_SCALAR_EVENT)
		return "the end of a collection";
	config_shown(sh, sizeof(sh), (const char *)ev->data.scalar.value, ev->data.scalar.length);
	snprintf(out, size, "'%s'", sh);
	return out;
}

/* A node of the wrong shape for o: report it at o's key and delete ev. */
static int wrong_shape(struct loader *ld, const struct opt *o, yaml_mark_t at, yaml_event_t *ev,
                       const char *want)
{
	char found[80];
	int rc = fail_at(ld, at, "%s: expected %s, found %s", o->key, want,
	                 event_shown(ev, found, sizeof(found)));

	yaml_event_delete(ev);
	return rc;
}

/* The items of a sequence of paths (its start consumed) replace c->rules_files. */
static int load_path_list(struct loader *ld, const struct opt *o)
{
	char **list = NULL;
	size_t n = 0, cap = 0;
	int rc = 0;

	for (;;) {
		yaml_event_t ev;
		const char *v, *problem;
		char found[80];

		if ((rc = next_event(ld, &ev)))
			break;
		if (ev.type == YAML_SEQUENCE_END_EVENT) {
			yaml_event_delete(&ev);
			break;
		}
		if (ev.type != YAML_SCALAR_EVENT) {
			rc = fail_at(ld, ev.start_mark, "%s[%zu]: expected a path, found %s", o->key, n,
			             event_shown(&ev, found, sizeof(found)));
			yaml_event_delete(&ev);
			break;
		}
		v = (const char *)ev.data.scalar.value;
		if ((problem = config_path_problem(v, ev.data.scalar.length))) {
			rc = fail_at(ld, ev.start_mark, "%s[%zu]: %s", o->key, n, problem);
			yaml_event_delete(&ev);
			break;
		}
		if (n == cap) {
			cap = cap ? 2 * cap : 4;
			list = xrealloc(list, cap * sizeof(*list));
		}
		list[n++] = xstrndup(v, ev.data.scalar.length);
		yaml_event_delete(&ev);
	}
	if (rc) {
		config_free_list(list, n);
		return rc;
	}
	config_free_list(ld->c->rules_files, ld->c->nrules_files);
	ld->c->rules_files = list;
	ld->c->nrules_files = n;
	return 0;
}

static int load_mapping(struct loader *ld, const struct opt *section);

/* The value node of o, starting with ev (which this deletes), whose key is at `at`. */
static int load_value(struct loader *ld, const struct opt *o, yaml_mark_t at, yaml_event_t *ev)
{
	char msg[400], keys[200], want[240];

	switch (o->kind) {
	case OPT_SECTION:
		if (ev->type == YAML_MAPPING_START_EVENT || event_is_null(ev)) {
			bool mapping = ev->type == YAML_MAPPING_START_EVENT;

			yaml_event_delete(ev);
			return mapping ? load_mapping(ld, o) : 0;
		}
		snprintf(want, sizeof(want), "a mapping of %s",
		         config_opt_list(o, false, keys, sizeof(keys)));
		return wrong_shape(ld, o, at, ev, want);
	case OPT_PATH_LIST:
		if (ev->type == YAML_SEQUENCE_START_EVENT) {
			yaml_event_delete(ev);
			return load_path_list(ld, o);
		}
		if (event_is_null(ev)) {
			yaml_event_delete(ev);
			config_free_list(ld->c->rules_files, ld->c->nrules_files);
			ld->c->rules_files = NULL;
			ld->c->nrules_files = 0;
			return 0;
		}
		return wrong_shape(ld, o, at, ev, "a list of paths");
	default:
		if (ev->type == YAML_SCALAR_EVENT) {
			int rc = config_apply_value(
			        ld->c, o, (const char *)ev->data.scalar.value, ev->data.scalar.length,
			        ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE, msg, sizeof(msg));

			yaml_event_delete(ev);
			return rc ? fail_at(ld, at, "%s: %s", o->key, msg) : 0;
		}
		return wrong_shape(ld, o, at, ev, "a single value");
	}
}

/* The pairs of a mapping (its start consumed) in section (NULL: the top). */
static int load_mapping(struct loader *ld, const struct opt *section)
{
	size_t first_line[CONFIG_OPTS_MAX] = { 0 };
	uint64_t seen = 0;
	char keys[200], sh[64], found[80];

	for (;;) {
		const struct opt *o;
		yaml_event_t ev;
		yaml_mark_t at;
		size_t i;
		int rc;

		if ((rc = next_event(ld, &ev)))
			return rc;
		if (ev.type == YAML_MAPPING_END_EVENT) {
			yaml_event_delete(&ev);
			return 0;
		}
		at = ev.start_mark;
		if (ev.type != YAML_SCALAR_EVENT) {
			rc = fail_at(ld, at, "%s%skeys must be words (%s), found %s",
			             section ? section->key : "", section ? ": " : "",
			             config_opt_list(section, false, keys, sizeof(keys)),
			             event_shown(&ev, found, sizeof(found)));
			yaml_event_delete(&ev);
			return rc;
		}
		o = config_opt_find(section, (const char *)ev.data.scalar.value, ev.data.scalar.length);
		if (!o) {
			rc = fail_at(ld, at, "%s%sunknown key '%s' (expected one of: %s)",
			             section ? section->key : "", section ? ": " : "",
			             config_shown(sh, sizeof(sh), (const char *)ev.data.scalar.value,
			                          ev.data.scalar.length),
			             config_opt_list(section, false, keys, sizeof(keys)));
			yaml_event_delete(&ev);
			return rc;
		}
		yaml_event_delete(&ev);
		i = (size_t)(o - config_opts);
		if (seen & (1ull << i))
			return fail_at(ld, at, "duplicate key '%s' (first at line %zu)", o->key,
			               first_line[i]);
		seen |= 1ull << i;
		first_line[i] = at.line + 1;
		if ((rc = next_event(ld, &ev)))
			return rc;
		if ((rc = load_value(ld, o, at, &ev)))
			return rc;
	}
}

/* stream-start [document-start root document-end] stream-end */
static int load_stream(struct loader *ld)
{
	yaml_event_t ev;
	char keys[200], found[80];
	int rc;

	if ((rc = next_event(ld, &ev))) /* stream start */
		return rc;
	yaml_event_delete(&ev);
	if ((rc = next_event(ld, &ev)))
		return rc;
	if (ev.type == YAML_STREAM_END_EVENT) { /* no document: an empty file, or only comments */
		yaml_event_delete(&ev);
		return 0;
	}
	yaml_event_delete(&ev); /* document start */
	if ((rc = next_event(ld, &ev)))
		return rc;
	if (ev.type == YAML_MAPPING_START_EVENT) {
		yaml_event_delete(&ev);
		if ((rc = load_mapping(ld, NULL)))
			return rc;
	} else if (event_is_null(&ev)) {
		yaml_event_delete(&ev);
	} else {
		rc = fail_at(ld, ev.start_mark, "expected a mapping of %s, found %s",
		             config_opt_list(NULL, false, keys, sizeof(keys)),
		             event_shown(&ev, found, sizeof(found)));
		yaml_event_delete(&ev);
		return rc;
	}
	if ((rc = next_event(ld, &ev))) /* document end */
		return rc;
	yaml_event_delete(&ev);
	if ((rc = next_event(ld, &ev)))
		return rc;
	if (ev.type != YAML_STREAM_END_EVENT)
		rc = fail_at(ld, ev.start_mark, "a second YAML document: the configuration is one document");
	yaml_event_delete(&ev);
	return rc;
}

int agent_config_load_buffer(struct agent_config *c, const char *name, const void *buf, size_t len,
                             struct err *e)
{
	struct loader ld = { .name = name, .buf = len ? buf : (const unsigned char *)"", .len = len, .e = e };
	struct agent_config copy;
	int rc;

	if (!yaml_parser_initialize(&ld.parser))
		return err_set(e, -ENOMEM, "%s: out of memory reading YAML", name);
	yaml_parser_set_input_string(&ld.parser, ld.buf, len);
	config_copy(&copy, c);
	ld.c = &copy;
	rc = load_stream(&ld);
	yaml_parser_delete(&ld.parser);
	if (rc) {
		agent_config_release(&copy);
		return rc;
	}
	agent_config_release(c);
	*c = copy;
	return 0;
}

int agent_config_load(struct agent_config *c, const char *path, struct err *e)
{
	struct sbuf b = { 0 };
	char sz[32];
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	int rc = 0;

	if (fd < 0) {
		rc = -errno;
		return err_set(e, rc, "%s: %s", path, strerror(-rc));
	}
	for (;;) {
		ssize_t n;

		sbuf_grow(&b, 65536);
		n = read(fd, b.data + b.len, b.cap - b.len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			rc = -errno;
			err_set(e, rc, "%s: %s", path, strerror(-rc));
			break;
		}
		if (n == 0)
			break;
		b.len += (size_t)n;
		if (b.len > AGENT_CONFIG_MAX_BYTES) {
			rc = err_set(e, -EFBIG, "%s: larger than %s: not a configuration file", path,
			             config_fmt_size(AGENT_CONFIG_MAX_BYTES, true, sz, sizeof(sz)));
			break;
		}
	}
	close(fd);
	if (!rc)
		rc = agent_config_load_buffer(c, path, b.data, b.len, e);
	sbuf_release(&b);
	return rc;
}
