/*
 * pktq: packets from the per-CPU perf buffers, held until no CPU can still
 * hand over an earlier one, then handed on in time order (pktq.c).
 */
#ifndef SYSREC_PKTQ_H
#define SYSREC_PKTQ_H

#include "../common/common.h"

struct pktq_item {
	uint64_t ts;     /* the packet's time */
	uint64_t seq;    /* arrival order, for packets of the same time */
	uint8_t *sample; /* NULL: a mark that size packets were lost here */
	size_t size;
};

struct pktq {
	struct pktq_item *v;
	size_t n, cap;
	uint64_t seq;
};

/* Hold a copy of size bytes at sample, stamped ts; sample NULL: a mark of size packets lost at ts. */
void pktq_push(struct pktq *q, uint64_t ts, const void *sample, size_t size);

/*
 * Hand each sample stamped before `until` to fn, oldest first (the same time:
 * in arrival order), and forget it; the later ones stay. The number handed.
 */
size_t pktq_pop(struct pktq *q, uint64_t until, void (*fn)(void *ctx, const uint8_t *sample, size_t size),
                void *ctx);

/* Forget every sample held. */
void pktq_release(struct pktq *q);

#endif
