/*
 * printer: the default lines written by a second thread.
 *
 * The reading thread applies each event to the state and queues it with a memo
 * of what its line reads from the state (output_prepare()); the queue's thread
 * turns it into text (output_render()) and writes it. Formatting is most of
 * the work of `sysrec read`, so the two halves run side by side. The queue
 * (bq, in wait mode) starts its thread with the first full batch, so small
 * captures never start it.
 */
#include "cli.h"

#include "../common/common.h"

#include <stdlib.h>
#include <string.h>

#define BATCH_BYTES (1U << 18)
#define NBATCH      8
#define FLUSH_AT    (1U << 16)
#define LINE        128

/*
 * One queued event: this header, then the event as stored (unless it stays in
 * place: then `raw` points at it), then its memo.
 */
struct item {
	uint64_t num;
	const uint8_t *raw;
	uint32_t raw_len;
	uint32_t copied; /* bytes of the event copied after the header: 0 or raw_len */
	uint32_t memo_len;
	uint16_t cpu; /* from the block header, not the event */
	uint8_t version;
};

/* The two threads' fields lie on separate cache lines: one's writes must not evict the other's reads. */
struct printer {
	/* the reading thread's */
	struct state *st;
	bool stable; /* events stay in place: queue pointers, not copies */
	struct sbuf memo;
	struct bq *q;
	char pad[LINE];
	/* the writing thread's */
	struct output *o;
	int fd;
	struct sbuf out;
};

/* Render and write queued events; 0 or -errno. */
static int write_batch(void *ctx, const char *data, size_t n)
{
	struct printer *p = ctx;
	size_t off = 0;

	while (off + sizeof(struct item) <= n) {
		struct item it;
		struct event ev;
		struct err e;
		const uint8_t *raw, *memo;

		memcpy(&it, data + off, sizeof(it));
		raw = it.copied ? (const uint8_t *)data + off + sizeof(it) : it.raw;
		memo = (const uint8_t *)data + off + sizeof(it) + it.copied;
		off += sizeof(it) + it.copied + it.memo_len;
		if (event_parse(&ev, raw, it.raw_len, it.version, &e))
			abort(); /* parsed once already: cannot fail */
		ev.cpu = it.cpu;
		output_render(p->o, &ev, it.num, memo, it.memo_len, &p->out);
		if (p->out.len >= FLUSH_AT) {
			int rc = sbuf_flush_fd(&p->out, p->fd);

			if (rc < 0)
				return rc;
		}
	}
	return 0;
}

struct printer *printer_new(struct output *o, struct state *st, int fd, bool stable)
{
	struct printer *p = xcalloc(1, sizeof(*p));

	p->o = o;
	p->st = st;
	p->fd = fd;
	p->stable = stable;
	p->q = bq_new(BATCH_BYTES, NBATCH, true, write_batch, p);
	return p;
}

bool printer_add(struct printer *p, const struct evctx *cx)
{
	struct item it = { cx->num, cx->ev->raw, cx->ev->raw_len, p->stable ? 0 : cx->ev->raw_len,
		           0,       cx->ev->cpu, cx->ev->version };
	char *dst;

	p->memo.len = 0;
	output_prepare(p->st, cx, &p->memo);
	it.memo_len = (uint32_t)p->memo.len;
	dst = bq_reserve(p->q, sizeof(it) + it.copied + it.memo_len);
	if (!dst)
		return false; /* writing failed: the reader is gone */
	memcpy(dst, &it, sizeof(it));
	memcpy(dst + sizeof(it), cx->ev->raw, it.copied);
	memcpy(dst + sizeof(it) + it.copied, p->memo.data, it.memo_len);
	return true;
}

int printer_finish(struct printer *p)
{
	int rc = bq_finish(p->q);

	if (!rc && p->out.len)
		rc = sbuf_flush_fd(&p->out, p->fd);
	return rc;
}

void printer_free(struct printer *p)
{
	if (!p)
		return;
	bq_free(p->q);
	sbuf_release(&p->memo);
	sbuf_release(&p->out);
	free(p);
}
