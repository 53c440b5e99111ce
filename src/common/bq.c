/*
 * bq: batches from one producer to one consumer thread, never blocking the
 * producer. A full queue makes bq_reserve() fail: the caller counts what it
 * could not keep instead of waiting (the eBPF drain must not wait on a disk).
 */
#include "common.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct bq {
	/* the producer's */
	struct sbuf *cur;
	uint64_t next; /* batches handed over */
	char pad1[128];
	/* shared, under mu */
	pthread_mutex_t mu;
	pthread_cond_t cv;
	uint64_t filled, consumed;
	bool done;
	char pad2[128];
	/* fixed */
	struct sbuf *batches;
	unsigned n;
	size_t batch_bytes;
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

		while (q->consumed == q->filled && !q->done)
			pthread_cond_wait(&q->cv, &q->mu);
		if (q->consumed == q->filled)
			break;
		b = &q->batches[q->consumed % q->n];
		pthread_mutex_unlock(&q->mu);
		q->fn(q->ctx, b->data, b->len);
		b->len = 0;
		pthread_mutex_lock(&q->mu);
		q->consumed++;
	}
	pthread_mutex_unlock(&q->mu);
	return NULL;
}

struct bq *bq_new(size_t batch_bytes, unsigned nbatches, bq_consume_fn fn, void *ctx)
{
	struct bq *q = xcalloc(1, sizeof(*q));

	q->n = nbatches < 2 ? 2 : nbatches;
	q->batch_bytes = batch_bytes;
	q->batches = xcalloc(q->n, sizeof(*q->batches));
	for (unsigned i = 0; i < q->n; i++)
		sbuf_init(&q->batches[i], batch_bytes);
	q->cur = &q->batches[0];
	q->fn = fn;
	q->ctx = ctx;
	pthread_mutex_init(&q->mu, NULL);
	pthread_cond_init(&q->cv, NULL);
	if (pthread_create(&q->thread, NULL, consumer_main, q))
		abort();
	return q;
}

/* Hand the current batch over if a free one can take its place; false when all are in use. */
static bool hand_over(struct bq *q)
{
	bool ok;

	pthread_mutex_lock(&q->mu);
	ok = q->next + 1 - q->consumed < q->n;
	if (ok) {
		q->filled = ++q->next;
		pthread_cond_signal(&q->cv);
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

void bq_free(struct bq *q)
{
	if (!q)
		return;
	while (q->cur->len && !hand_over(q)) {
		struct timespec ts = { 0, 1000000 };

		nanosleep(&ts, NULL); /* closing: waiting is fine now */
	}
	pthread_mutex_lock(&q->mu);
	q->done = true;
	pthread_cond_signal(&q->cv);
	pthread_mutex_unlock(&q->mu);
	pthread_join(q->thread, NULL);
	for (unsigned i = 0; i < q->n; i++)
		sbuf_release(&q->batches[i]);
	free(q->batches);
	pthread_mutex_destroy(&q->mu);
	pthread_cond_destroy(&q->cv);
	free(q);
}
