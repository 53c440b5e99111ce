/*
 * printer: the default lines written by a second thread.
 *
 * The reading thread applies each event to the state and queues it with a memo
 * of what its line reads from the state (output_prepare()); this thread turns
 * the queue into text (output_render()) and writes it. Formatting is most of
 * the work of `sysrec read`, so the two halves run side by side. Batches go
 * round a small ring; the thread starts with the first full batch, so small
 * captures never start it.
 */
#include "cli.h"

#include "../common/common.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define BATCH_BYTES (1U << 18)
#define NBATCH      8
#define FLUSH_AT    (1U << 16)

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

/*
 * The reading thread's fields, the writing thread's and the shared ones lie on
 * separate cache lines: one thread's writes must not evict the other's reads.
 */
#define LINE 128

struct printer {
	/* the reading thread's */
	struct state *st;
	bool stable;   /* events stay in place: queue pointers, not copies */
	bool alone;    /* no thread could start: batches are written by the caller */
	uint64_t next; /* batches handed over so far; p->batch[next % NBATCH] is being filled */
	struct sbuf batch[NBATCH];
	char pad1[LINE];
	/* the writing thread's */
	struct output *o;
	int fd;
	struct sbuf out;
	char pad2[LINE];
	/* shared, under mu */
	pthread_mutex_t mu;
	pthread_cond_t cv;
	pthread_t thread;
	bool started;
	uint64_t filled, consumed; /* batches handed over / written */
	bool done;                 /* no more batches */
	int err;                   /* first write error (-errno) */
};

struct printer *printer_new(struct output *o, struct state *st, int fd, bool stable)
{
	struct printer *p = xcalloc(1, sizeof(*p));

	p->o = o;
	p->st = st;
	p->fd = fd;
	p->stable = stable;
	pthread_mutex_init(&p->mu, NULL);
	pthread_cond_init(&p->cv, NULL);
	return p;
}

/* Render and write n bytes of queued events; 0 or -errno. */
static int write_batch(struct printer *p, const char *data, size_t n)
{
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

static void *writer_main(void *arg)
{
	struct printer *p = arg;

	pthread_mutex_lock(&p->mu);
	for (;;) {
		const struct sbuf *b;
		int rc;

		while (p->consumed == p->filled && !p->done)
			pthread_cond_wait(&p->cv, &p->mu);
		if (p->consumed == p->filled)
			break;
		b = &p->batch[p->consumed % NBATCH];
		pthread_mutex_unlock(&p->mu);
		rc = write_batch(p, b->data, b->len);
		pthread_mutex_lock(&p->mu);
		p->consumed++;
		pthread_cond_broadcast(&p->cv);
		if (rc < 0) {
			p->err = rc;
			break;
		}
	}
	pthread_mutex_unlock(&p->mu);
	return NULL;
}

/* Hand the current batch to the writer and wait for a free one; false once writing failed. */
static bool hand_over(struct printer *p)
{
	struct sbuf *b = &p->batch[p->next % NBATCH];
	bool ok;

	if (p->alone) { /* no thread could be started: write it here */
		p->err = write_batch(p, b->data, b->len);
		b->len = 0;
		return !p->err;
	}
	pthread_mutex_lock(&p->mu);
	if (!p->started && pthread_create(&p->thread, NULL, writer_main, p)) {
		pthread_mutex_unlock(&p->mu);
		p->alone = true;
		return hand_over(p);
	}
	p->started = true;
	p->filled = ++p->next;
	pthread_cond_broadcast(&p->cv);
	while (p->filled - p->consumed >= NBATCH && !p->err)
		pthread_cond_wait(&p->cv, &p->mu);
	ok = !p->err;
	pthread_mutex_unlock(&p->mu);
	p->batch[p->next % NBATCH].len = 0;
	return ok;
}

bool printer_add(struct printer *p, const struct evctx *cx)
{
	struct sbuf *b = &p->batch[p->next % NBATCH];
	struct item it = { cx->num, cx->ev->raw, cx->ev->raw_len, p->stable ? 0 : cx->ev->raw_len,
		           0,       cx->ev->cpu, cx->ev->version };
	size_t at = b->len;

	sbuf_put(b, &it, sizeof(it));
	sbuf_put(b, cx->ev->raw, it.copied);
	output_prepare(p->st, cx, b);
	it.memo_len = (uint32_t)(b->len - at - sizeof(it) - it.copied);
	memcpy(b->data + at, &it, sizeof(it));
	return b->len < BATCH_BYTES || hand_over(p);
}

int printer_finish(struct printer *p)
{
	struct sbuf *b = &p->batch[p->next % NBATCH];
	int rc;

	if (!p->started) {
		rc = p->err ? p->err : write_batch(p, b->data, b->len);
	} else {
		pthread_mutex_lock(&p->mu);
		if (b->len && !p->err)
			p->filled = ++p->next;
		p->done = true;
		pthread_cond_broadcast(&p->cv);
		pthread_mutex_unlock(&p->mu);
		pthread_join(p->thread, NULL);
		rc = p->err;
	}
	if (!rc && p->out.len)
		rc = sbuf_flush_fd(&p->out, p->fd);
	return rc;
}

void printer_free(struct printer *p)
{
	if (!p)
		return;
	for (int i = 0; i < NBATCH; i++)
		sbuf_release(&p->batch[i]);
	sbuf_release(&p->out);
	pthread_mutex_destroy(&p->mu);
	pthread_cond_destroy(&p->cv);
	free(p);
}
