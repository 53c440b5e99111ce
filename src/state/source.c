/* source: the events of a capture, one at a time, applied to a state (source.h). */
#include "source.h"

#include <stdlib.h>

struct source {
	struct scap_reader *rd;
	struct state *st;
	enum source_apply how;
};

static struct source *source_new(struct scap_reader *rd, struct state *st, enum source_apply how)
{
	struct source *s = xcalloc(1, sizeof(*s));

	s->rd = rd;
	s->st = st;
	s->how = how;
	return s;
}

struct source *source_open_file(const char *path, struct state *st, enum source_apply how, struct err *e)
{
	struct scap_reader *rd = scap_reader_open(path, e);

	return rd ? source_new(rd, st, how) : NULL;
}

struct source *source_open_mem(const void *p, size_t n, struct state *st, enum source_apply how)
{
	return source_new(scap_reader_open_mem(p, n), st, how);
}

void source_mem_grow(struct source *s, size_t n)
{
	scap_reader_mem_grow(s->rd, n);
}

int source_read(struct source *s, struct scap_record *rec, struct err *e)
{
	int kind = scap_reader_next(s->rd, rec, e);

	if (kind <= 0)
		return kind;
	return kind == SCAP_REC_EVENT ? SOURCE_EVENT : SOURCE_HEAD;
}

void source_take(struct source *s, const struct scap_record *rec, struct evctx *cx)
{
	if (rec->kind != SCAP_REC_EVENT) {
		if (s->how != SOURCE_NO_HEADS)
			state_add_record(s->st, rec);
	} else if (s->how == SOURCE_COUNT) {
		state_count(s->st, &rec->ev, cx);
	} else {
		state_process(s->st, &rec->ev, cx);
	}
}

int source_next(struct source *s, struct scap_record *rec, struct evctx *cx, struct err *e)
{
	int kind = source_read(s, rec, e);

	if (kind > 0)
		source_take(s, rec, cx);
	return kind;
}

uint64_t source_offset(const struct source *s)
{
	return scap_reader_offset(s->rd);
}

bool source_stable(const struct source *s)
{
	return scap_reader_stable(s->rd);
}

void source_close(struct source *s)
{
	if (!s)
		return;
	scap_reader_close(s->rd);
	free(s);
}
