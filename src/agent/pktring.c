/*
 * pktring: the flight recorder's packets (see agent_int.h): a chain of chunks
 * of packet records in time order, the oldest let go first when the memory
 * bound or the history wanted is passed. Readers hold the chunks they read
 * (a reference each), so the writer never waits for them beyond a lock held
 * to append one record or to take the references.
 */
#include "agent_int.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#define CHUNK_MIN (64u << 10)
#define CHUNK_MAX (4u << 20)

/*
 * A record in a chunk: the packet's struct pktring_pkt (its data pointer
 * cleared, its lost_before what the ring had gathered), then caplen bytes,
 * padded to 8.
 */
struct chunk {
	struct chunk *next;
	uint64_t first_ts, last_ts;
	size_t used, cap; /* bytes of records; used only grows, under the ring's lock */
	uint64_t packets;
	int refs;      /* readers holding it */
	bool detached; /* let go by the ring: freed by its last reader */
	uint8_t mem[];
};

struct pktring {
	pthread_mutex_t mu;
	struct chunk *head, *tail; /* oldest, newest */
	uint64_t max_bytes, keep_ns;
	size_t chunk_bytes;
	uint64_t bytes; /* of the chunks in the chain */
	uint64_t held, appended, let_go, aged;
	uint64_t pending_lost; /* for the next record */
};

static size_t rec_size(uint32_t caplen)
{
	return ((sizeof(struct pktring_pkt) + 7) & ~(size_t)7) + (((size_t)caplen + 7) & ~(size_t)7);
}

struct pktring *pktring_new(uint64_t max_bytes, uint64_t seconds)
{
	struct pktring *r = xcalloc(1, sizeof(*r));
	uint64_t c = max_bytes / 16;

	pthread_mutex_init(&r->mu, NULL);
	r->max_bytes = max_bytes;
	r->keep_ns = seconds * 1000000000ULL;
	r->chunk_bytes = c < CHUNK_MIN ? CHUNK_MIN : c > CHUNK_MAX ? CHUNK_MAX : (size_t)c;
	return r;
}

void pktring_free(struct pktring *r)
{
	if (!r)
		return;
	for (struct chunk *c = r->head, *n; c; c = n) {
		n = c->next;
		free(c); /* readers are gone: the agent frees the ring last */
	}
	pthread_mutex_destroy(&r->mu);
	free(r);
}

/* Let the oldest chunk go (under mu): freed now, or by its last reader. */
static void let_go(struct pktring *r)
{
	struct chunk *c = r->head;

	r->head = c->next;
	if (!r->head)
		r->tail = NULL;
	r->bytes -= sizeof(*c) + c->cap;
	r->held -= c->packets;
	if (c->refs)
		c->detached = true;
	else
		free(c);
}

void pktring_note_lost(struct pktring *r, uint64_t n)
{
	pthread_mutex_lock(&r->mu);
	r->pending_lost += n;
	pthread_mutex_unlock(&r->mu);
}

void pktring_append(struct pktring *r, const struct pktring_pkt *p)
{
	size_t need = rec_size(p->caplen);
	struct pktring_pkt h = *p;
	struct chunk *c;

	h.data = NULL;
	pthread_mutex_lock(&r->mu);
	h.lost_before = r->pending_lost + p->lost_before;
	r->pending_lost = 0;
	c = r->tail;
	if (!c || c->cap - c->used < need) {
		size_t cap = need > r->chunk_bytes ? need : r->chunk_bytes;

		c = xmalloc(sizeof(*c) + cap);
		memset(c, 0, sizeof(*c));
		c->cap = cap;
		c->first_ts = p->ts;
		if (r->tail)
			r->tail->next = c;
		else
			r->head = c;
		r->tail = c;
		r->bytes += sizeof(*c) + cap;
	}
	memcpy(c->mem + c->used, &h, sizeof(h));
	memcpy(c->mem + c->used + rec_size(0), p->data, p->caplen);
	c->used += need;
	c->last_ts = p->ts;
	c->packets++;
	r->held++;
	r->appended++;
	/* the bounds: memory, then the history wanted (never the chunk being filled) */
	while (r->head != r->tail && r->bytes > r->max_bytes) {
		let_go(r);
		r->let_go++;
	}
	while (r->head != r->tail && r->keep_ns && r->head->last_ts + r->keep_ns < p->ts) {
		let_go(r);
		r->aged++;
	}
	pthread_mutex_unlock(&r->mu);
}

uint64_t pktring_read(struct pktring *r, uint64_t from, uint64_t to,
                      void (*fn)(void *ctx, const struct pktring_pkt *p), void *ctx)
{
	struct chunk **held = NULL;
	size_t *used = NULL, n = 0;
	uint64_t count = 0;

	pthread_mutex_lock(&r->mu);
	for (struct chunk *c = r->head; c; c = c->next)
		if (c->packets && c->last_ts >= from && c->first_ts <= to) {
			held = xrealloc(held, (n + 1) * sizeof(struct chunk *));
			used = xrealloc(used, (n + 1) * sizeof(*used));
			c->refs++;
			held[n] = c;
			used[n++] = c->used; /* what is there now: records are whole once counted */
		}
	pthread_mutex_unlock(&r->mu);
	for (size_t i = 0; i < n; i++)
		for (size_t off = 0; off < used[i];) {
			struct pktring_pkt p;

			memcpy(&p, held[i]->mem + off, sizeof(p));
			if (p.ts >= from && p.ts <= to) {
				p.data = held[i]->mem + off + rec_size(0);
				fn(ctx, &p);
				count++;
			}
			off += rec_size(p.caplen);
		}
	pthread_mutex_lock(&r->mu);
	for (size_t i = 0; i < n; i++)
		if (--held[i]->refs == 0 && held[i]->detached)
			free(held[i]);
	pthread_mutex_unlock(&r->mu);
	free(held);
	free(used);
	return count;
}

void pktring_stats(struct pktring *r, struct pktring_stats *out)
{
	pthread_mutex_lock(&r->mu);
	out->bytes = r->bytes;
	out->max_bytes = r->max_bytes;
	out->held = r->held;
	out->appended = r->appended;
	out->let_go = r->let_go;
	out->aged = r->aged;
	out->oldest_ns = r->head ? r->head->first_ts : 0;
	out->newest_ns = r->tail ? r->tail->last_ts : 0;
	out->seconds = out->newest_ns > out->oldest_ns ? (double)(out->newest_ns - out->oldest_ns) / 1e9 : 0;
	pthread_mutex_unlock(&r->mu);
}
