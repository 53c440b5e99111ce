/*
 * bq: batches of bytes from one producer to one consumer thread.
 *
 * Two uses: the eBPF drain, which must never wait (a full queue makes
 * bq_reserve() fail and the caller counts the loss), and `sysrec read`'s
 * printer, which waits for a free batch. The consumer thread starts with the
 * first batch handed over; a queue that never fills one batch is consumed on
 * the producer's thread at bq_finish().
 */
#include "common.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define LINE 128

struct bq {
	/* the producer's */
	struct sbuf *cur;
	uint64_t next; /* batches handed over */
	bool started;
	char pad1[LINE];
	/* shared, under mu */
	pthread_mutex_t mu;
	pthread_cond_t cv;
	uint64_t filled, consumed;
	bool done;
	int err; /* the consumer's first non-zero return */
	char pad2[LINE];
	/* fixed */
	struct sbuf *batches;
	unsigned n;
	size_t batch_bytes;
	bool wait;
	bq_consume_fn fn;
	void *ctx;
	pthread_t thread;
};

static void *consumer_main(void *arg)
{
	struct bq *q = arg;

	pthread_mutex_lock(&q->mu);
	for (;;) {
		struct sbuf *b;
		int rc;

		while (q->consumed == q->filled && !q->done)
			pthread_cond_wait(&q->cv, &q->mu);
		if (q->consumed == q->filled)
			break;
		b = &q->batches[q->consumed % q->n];
		pthread_mutex_unlock(&q->mu);
		rc = q->err ? 0 : q->fn(q->ctx, b->data, b->len);
		b->len = 0;
		pthread_mutex_lock(&q->mu);
		if (rc && !q->err)
			q->err = rc;
		q->consumed++;
		pthread_cond_broadcast(&q->cv);
	}
	pthread_mutex_unlock(&q->mu);
	return NULL;
}

struct bq *bq_new(size_t batch_bytes, unsigned nbatches, bool wait, bq_consume_fn fn, void *ctx)
{
	struct bq *q = xcalloc(1, sizeof(*q));

	q->n = nbatches < 2 ? 2 : nbatches;
	q->batch_bytes = batch_bytes;
	q->batches = xcalloc(q->n, sizeof(*q->batches));
	q->cur = &q->batches[0];
	q->wait = wait;
	q->fn = fn;
	q->ctx = ctx;
	pthread_mutex_init(&q->mu, NULL);
	pthread_cond_init(&q->cv, NULL);
	return q;
}

/*
 * Hand the current batch over and take a free one: waiting for it in wait
 * mode, else giving up when none is free. False when nothing was handed over
 * (no free batch, or the consumer failed).
 */
static bool hand_over(struct bq *q)
{
	bool ok;

	if (!q->started) {
		if (pthread_create(&q->thread, NULL, consumer_main, q))
			abort();
		q->started = true;
	}
	pthread_mutex_lock(&q->mu);
	while (q->wait && !q->err && q->next + 1 - q->consumed >= q->n)
		pthread_cond_wait(&q->cv, &q->mu);
	ok = !q->err && q->next + 1 - q->consumed < q->n;
	if (ok) {
		q->filled = ++q->next;
		pthread_cond_broadcast(&q->cv);
	}
	pthread_mutex_unlock(&q->mu);
	if (ok)
		q->cur = &q->batches[q->next % q->n];
	return ok;
}

char *bq_reserve(struct bq *q, size_t n)
{
	char *p;

	if (q->cur->len + n > q->batch_bytes && q->cur->len && !hand_over(q))
		return NULL;
	sbuf_grow(q->cur, n);
	p = q->cur->data + q->cur->len;
	q->cur->len += n;
	return p;
}

void bq_flush(struct bq *q)
{
	if (q->cur->len)
		hand_over(q);
}

int bq_error(struct bq *q)
{
	int err;

	if (!q->started)
		return 0;
	pthread_mutex_lock(&q->mu);
	err = q->err;
	pthread_mutex_unlock(&q->mu);
	return err;
}

int bq_finish(struct bq *q)
{
	if (!q->started) /* never filled a batch: consume it here */
		return q->cur->len ? q->fn(q->ctx, q->cur->data, q->cur->len) : 0;
	while (q->cur->len && !hand_over(q) && !bq_error(q)) {
		struct timespec ts = { 0, 1000000 };

		nanosleep(&ts, NULL); /* finishing: waiting is fine now */
	}
	pthread_mutex_lock(&q->mu);
	q->done = true;
	pthread_cond_broadcast(&q->cv);
	pthread_mutex_unlock(&q->mu);
	pthread_join(q->thread, NULL);
	q->started = false;
	q->cur->len = 0;
	return q->err;
}

void bq_free(struct bq *q)
{
	if (!q)
		return;
	if (q->started)
		bq_finish(q);
	for (unsigned i = 0; i < q->n; i++)
		sbuf_release(&q->batches[i]);
	free(q->batches);
	pthread_mutex_destroy(&q->mu);
	pthread_cond_destroy(&q->cv);
	free(q);
}
