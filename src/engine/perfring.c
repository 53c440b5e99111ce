/*
 * perfring: reading perf rings in place.
 *
 * The packet programs hand each packet to the perf ring of the CPU that saw
 * it. Copying each one out to put the CPUs' streams back in time order cost
 * the reader more than writing it; instead the rings are read where they
 * are: the earliest sample at the front of any ring is handed on, until the
 * fronts are all at or after `until`; the room of what was handed on is given
 * back every 1/16 of a ring and at the end.
 * A record is a perf_event_header, then for a sample a u32 size and the
 * data; a record that runs past the ring's end is copied whole first.
 */
#include "perfring.h"

#include <stdlib.h>
#include <string.h>

void perfring_init(struct perfring *r, void *base)
{
	*r = (struct perfring){ 0 };
	r->hdr = base;
	r->data = (uint8_t *)base + r->hdr->data_offset;
	r->size = r->hdr->data_size;
}

void perfring_release(struct perfring *r)
{
	free(r->whole);
	r->whole = NULL;
	r->whole_cap = 0;
}

bool perfring_pressed(const struct perfring *r, size_t n, unsigned frac)
{
	for (size_t i = 0; i < n; i++)
		if (__atomic_load_n(&r[i].hdr->data_head, __ATOMIC_ACQUIRE) - r[i].hdr->data_tail >
		    r[i].size / frac)
			return true;
	return false;
}

/* The record at the front, made contiguous; NULL when none is whole in hand. */
static const struct perf_event_header *front(struct perfring *r)
{
	struct perf_event_header h;
	uint64_t off = r->tail & (r->size - 1);
	size_t first;

	if (r->head - r->tail < sizeof(h))
		return NULL;
	memcpy(&h, r->data + off, sizeof(h)); /* records are 8-aligned: a header never wraps */
	if (h.size < sizeof(h) || h.size > r->head - r->tail)
		return NULL;
	if (off + h.size <= r->size)
		return (const struct perf_event_header *)(r->data + off);
	if (r->whole_cap < h.size) {
		r->whole_cap = h.size;
		r->whole = xrealloc(r->whole, r->whole_cap);
	}
	first = (size_t)(r->size - off);
	memcpy(r->whole, r->data + off, first);
	memcpy(r->whole + first, r->data, h.size - first);
	return (const struct perf_event_header *)r->whole;
}

/*
 * The ring's first sample to hand on, with its time: losses and records of
 * other kinds before it are told or passed over on the way.
 */
static const uint8_t *next_sample(struct perfring *r, int ring, perfring_time_fn time_of, perfring_fn fn,
                                  void *ctx, uint32_t *size, uint64_t *ts)
{
	const struct perf_event_header *h;

	while ((h = front(r))) {
		const uint8_t *body = (const uint8_t *)(h + 1);

		if (h->type == PERF_RECORD_SAMPLE && h->size >= sizeof(*h) + sizeof(*size)) {
			memcpy(size, body, sizeof(*size));
			if (*size <= h->size - sizeof(*h) - sizeof(*size) &&
			    time_of(body + sizeof(*size), *size, ts))
				return body + sizeof(*size);
		} else if (h->type == PERF_RECORD_LOST && h->size >= sizeof(*h) + 2 * sizeof(uint64_t)) {
			uint64_t lost;

			memcpy(&lost, body + sizeof(uint64_t), sizeof(lost)); /* after the event id */
			fn(ctx, ring, NULL, lost);
		}
		r->tail += h->size;
	}
	return NULL;
}

size_t perfring_merge(struct perfring *r, size_t n, uint64_t until, perfring_time_fn time_of, perfring_fn fn,
                      void *ctx)
{
	struct front {
		const uint8_t *p;
		uint32_t size;
		uint64_t ts;
	} stack_fronts[16], *fr = n <= 16 ? stack_fronts : xcalloc(n, sizeof(*fr));
	size_t handed = 0;

	for (size_t i = 0; i < n; i++) {
		r[i].head = __atomic_load_n(&r[i].hdr->data_head, __ATOMIC_ACQUIRE);
		r[i].tail = r[i].hdr->data_tail;
		fr[i].p = next_sample(&r[i], (int)i, time_of, fn, ctx, &fr[i].size, &fr[i].ts);
	}
	for (;;) {
		size_t best = n;

		for (size_t i = 0; i < n; i++)
			if (fr[i].p && fr[i].ts < until && (best == n || fr[i].ts < fr[best].ts))
				best = i;
		if (best == n)
			break;
		fn(ctx, (int)best, fr[best].p, fr[best].size);
		handed++;
		r[best].tail += ((const struct perf_event_header *)(fr[best].p - sizeof(uint32_t)) - 1)->size;
		/* room handed back as the merge goes: a long merge must not leave the kernel a full ring */
		if (r[best].tail - r[best].hdr->data_tail >= r[best].size / 16)
			__atomic_store_n(&r[best].hdr->data_tail, r[best].tail, __ATOMIC_RELEASE);
		fr[best].p = next_sample(&r[best], (int)best, time_of, fn, ctx, &fr[best].size, &fr[best].ts);
	}
	for (size_t i = 0; i < n; i++)
		__atomic_store_n(&r[i].hdr->data_tail, r[i].tail, __ATOMIC_RELEASE);
	if (fr != stack_fronts)
		free(fr);
	return handed;
}
