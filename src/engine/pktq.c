/*
 * pktq: packets put back in time order.
 *
 * Each CPU has its own perf buffer, read one after the other: a packet one
 * CPU handled can come out after a later one of another CPU (on a veth, the
 * two directions of a connection are often on two CPUs). The programs stamp
 * each packet just before handing it over, so once the buffers are read
 * after time T, every packet stamped well before T is in hand: those are
 * sorted and handed on, the later ones wait for the next read.
 */
#include "pktq.h"

#include <stdlib.h>
#include <string.h>

void pktq_push(struct pktq *q, uint64_t ts, const void *sample, size_t size)
{
	if (q->n == q->cap) {
		q->cap = q->cap ? q->cap * 2 : 256;
		q->v = xrealloc(q->v, q->cap * sizeof(*q->v));
	}
	q->v[q->n] = (struct pktq_item){ ts, q->seq++, NULL, size };
	if (sample) {
		q->v[q->n].sample = xcalloc(1, size ? size : 1);
		memcpy(q->v[q->n].sample, sample, size);
	}
	q->n++;
}

static int by_time(const void *a, const void *b)
{
	const struct pktq_item *x = a, *y = b;

	if (x->ts != y->ts)
		return x->ts < y->ts ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

size_t pktq_pop(struct pktq *q, uint64_t until, void (*fn)(void *ctx, const uint8_t *sample, size_t size),
                void *ctx)
{
	size_t k = 0;

	if (!q->n)
		return 0;
	qsort(q->v, q->n, sizeof(*q->v), by_time);
	while (k < q->n && q->v[k].ts < until) {
		fn(ctx, q->v[k].sample, q->v[k].size);
		free(q->v[k].sample);
		k++;
	}
	memmove(q->v, q->v + k, (q->n - k) * sizeof(*q->v));
	q->n -= k;
	return k;
}

void pktq_release(struct pktq *q)
{
	for (size_t i = 0; i < q->n; i++)
		free(q->v[i].sample);
	free(q->v);
	*q = (struct pktq){ 0 };
}
