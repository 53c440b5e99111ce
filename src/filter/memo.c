/* memo: the default line in two steps, the resolver's answers kept per event. */
#include "extract.h"

#include <string.h>

/*
 * ---- the default line in two steps ----
 *
 * The memo is a list of answers, each a struct memo_entry followed by len bytes
 * and a NUL: what the resolver said for (kind, key). Entries are looked up by
 * (kind, key), so the formatter may ask in any order.
 */

enum { MEMO_COMM_LINE, MEMO_FD, MEMO_COMM, MEMO_DIR, MEMO_USER, MEMO_GROUP };

struct memo_entry {
	int64_t key;
	uint32_t len;
	uint8_t kind;
	bool found;
};

struct memo_rec {
	const struct event_resolver *real; /* filter_resolver()'s, whose answers are kept */
	struct sbuf *memo;
};

static void memo_put(struct sbuf *memo, uint8_t kind, int64_t key, const char *s, size_t len, bool found)
{
	struct memo_entry me = { key, (uint32_t)len, kind, found };

	sbuf_put(memo, &me, sizeof(me));
	sbuf_put(memo, s, len);
	sbuf_putc(memo, '\0');
}

static void memo_put_str(struct sbuf *memo, uint8_t kind, int64_t key, const char *s)
{
	memo_put(memo, kind, key, s ? s : "", s ? strlen(s) : 0, s != NULL);
}

static bool rec_fd(void *ctx, int64_t fd, struct sbuf *out)
{
	struct memo_rec *m = ctx;
	size_t at = m->memo->len;
	struct memo_entry me = { fd, 0, MEMO_FD, false };
	bool found;

	(void)out;
	sbuf_put(m->memo, &me, sizeof(me));
	found = m->real->fd(m->real->ctx, fd, m->memo);
	me.len = (uint32_t)(m->memo->len - at - sizeof(me));
	me.found = found;
	memcpy(m->memo->data + at, &me, sizeof(me));
	sbuf_putc(m->memo, '\0');
	return found;
}

static const char *rec_comm(void *ctx, int64_t tid)
{
	struct memo_rec *m = ctx;

	memo_put_str(m->memo, MEMO_COMM, tid, m->real->comm(m->real->ctx, tid));
	return NULL;
}

static const char *rec_base_dir(void *ctx, int64_t dirfd)
{
	struct memo_rec *m = ctx;

	memo_put_str(m->memo, MEMO_DIR, dirfd, m->real->base_dir(m->real->ctx, dirfd));
	return NULL;
}

static const char *rec_user(void *ctx, uint32_t uid)
{
	struct memo_rec *m = ctx;

	memo_put_str(m->memo, MEMO_USER, uid, m->real->user(m->real->ctx, uid));
	return NULL;
}

static const char *rec_group(void *ctx, uint32_t gid)
{
	struct memo_rec *m = ctx;

	memo_put_str(m->memo, MEMO_GROUP, gid, m->real->group(m->real->ctx, gid));
	return NULL;
}

void output_prepare(struct state *st, const struct evctx *cx, struct sbuf *memo)
{
	struct filter_resolve rc;
	struct event_resolver real;
	struct memo_rec m = { NULL, memo };
	struct event_resolver rec = { &m,       rec_fd,    rec_comm, rec_base_dir, filter_join_path,
		                      rec_user, rec_group, 0 };

	filter_resolver(st, cx, &rc, &real);
	m.real = &real;
	if (cx->thread)
		memo_put(memo, MEMO_COMM_LINE, 0, cx->thread->comm, cx->thread->comm_len, true);
	else
		memo_put(memo, MEMO_COMM_LINE, 0, "<NA>", 4, true);
	event_args_lookups(cx->ev, &rec);
}

struct memo_view {
	const uint8_t *p;
	size_t n;
};

/* The answer for (kind, key): its text, or NULL when absent or not found. */
static const char *memo_get(const struct memo_view *v, uint8_t kind, int64_t key, uint32_t *len)
{
	size_t off = 0;

	while (off + sizeof(struct memo_entry) <= v->n) {
		struct memo_entry me;

		memcpy(&me, v->p + off, sizeof(me));
		if (me.kind == kind && me.key == key) {
			*len = me.len;
			return me.found ? (const char *)v->p + off + sizeof(me) : NULL;
		}
		off += sizeof(me) + me.len + 1;
	}
	return NULL;
}

static bool memo_fd(void *ctx, int64_t fd, struct sbuf *out)
{
	uint32_t len;
	const char *s = memo_get(ctx, MEMO_FD, fd, &len);

	if (s)
		sbuf_put(out, s, len);
	return s != NULL;
}

static const char *memo_str(void *ctx, uint8_t kind, int64_t key)
{
	uint32_t len;

	return memo_get(ctx, kind, key, &len);
}

static const char *memo_comm(void *ctx, int64_t tid)
{
	return memo_str(ctx, MEMO_COMM, tid);
}

static const char *memo_base_dir(void *ctx, int64_t dirfd)
{
	return memo_str(ctx, MEMO_DIR, dirfd);
}

static const char *memo_user(void *ctx, uint32_t uid)
{
	return memo_str(ctx, MEMO_USER, uid);
}

static const char *memo_group(void *ctx, uint32_t gid)
{
	return memo_str(ctx, MEMO_GROUP, gid);
}

void output_render(struct output *o, const struct event *ev, uint64_t num, const void *memo, size_t memo_len,
                   struct sbuf *out)
{
	struct memo_view v = { memo, memo_len };
	struct event_resolver r = {
		&v,        memo_fd,    memo_comm,           memo_base_dir, filter_join_path,
		memo_user, memo_group, EVENT_MAX_BUF_OUTPUT
	};
	uint32_t comm_len = 0;
	const char *comm = memo_get(&v, MEMO_COMM_LINE, 0, &comm_len);

	output_default_line(o, ev, num, comm ? comm : "<NA>", comm ? comm_len : 4, &r, out);
}
