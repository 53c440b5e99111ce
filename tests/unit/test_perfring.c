/* test_perfring: perf rings read in place, several CPUs' merged in time order. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "../../src/engine/perfring.h"

#include <stdlib.h>
#include <string.h>

#define DATA 4096u

/* A ring as the kernel lays it out: a control page, then DATA bytes. */
struct fake {
	uint8_t mem[4096 + DATA] __attribute__((aligned(8)));
	struct perfring r;
};

static struct fake *fake_new(uint64_t start)
{
	struct fake *f = calloc(1, sizeof(*f));
	struct perf_event_mmap_page *h = (void *)f->mem;

	h->data_offset = 4096;
	h->data_size = DATA;
	h->data_head = h->data_tail = start;
	perfring_init(&f->r, f->mem);
	return f;
}

/* Bytes written at the ring's head, wrapping as the kernel does. */
static void put(struct fake *f, const void *p, size_t n)
{
	struct perf_event_mmap_page *h = (void *)f->mem;

	for (size_t i = 0; i < n; i++)
		f->mem[4096 + (h->data_head + i) % DATA] = ((const uint8_t *)p)[i];
	h->data_head += n;
}

/* A sample of the value v stamped ts (16 bytes: ts, v), padded to 8 as perf pads it. */
static void put_sample(struct fake *f, uint64_t ts, uint64_t v)
{
	struct perf_event_header hd = { PERF_RECORD_SAMPLE, 0, sizeof(hd) + 4 + 16 + 4 };
	uint32_t size = 16 + 4; /* the raw size counts the padding */
	uint32_t pad = 0;

	put(f, &hd, sizeof(hd));
	put(f, &size, 4);
	put(f, &ts, 8);
	put(f, &v, 8);
	put(f, &pad, 4);
}

static void put_lost(struct fake *f, uint64_t n)
{
	struct perf_event_header hd = { PERF_RECORD_LOST, 0, sizeof(hd) + 16 };
	uint64_t id = 1;

	put(f, &hd, sizeof(hd));
	put(f, &id, 8);
	put(f, &n, 8);
}

static bool time_of(const uint8_t *sample, size_t size, uint64_t *ts)
{
	if (size < 16)
		return false;
	memcpy(ts, sample, 8);
	return true;
}

struct seen {
	uint64_t v[64];
	int ring[64];
	size_t n;
	uint64_t lost;
};

static void collect(void *ctx, int ring, const uint8_t *sample, size_t size)
{
	struct seen *s = ctx;

	if (!sample) {
		s->lost += size;
		return;
	}
	assert_true(size >= 16);
	memcpy(&s->v[s->n], sample + 8, 8);
	s->ring[s->n++] = ring;
}

/* Two CPUs, each in its own order: one stream in time order; later ones wait in their ring. */
static void test_perfring_merges_in_time_order_and_keeps_later(void **state)
{
	struct fake *a = fake_new(0), *b = fake_new(DATA - 40); /* b's third sample runs past the end */
	struct perfring r[2];
	struct seen s = { 0 };

	(void)state;
	put_sample(a, 10, 1);
	put_sample(a, 40, 4);
	put_sample(a, 90, 9);
	put_sample(b, 20, 2);
	put_sample(b, 30, 3);
	put_lost(b, 7);
	put_sample(b, 50, 5);
	put_sample(b, 95, 10);
	r[0] = a->r;
	r[1] = b->r;
	assert_int_equal(perfring_merge(r, 2, 60, time_of, collect, &s), 5);
	uint64_t want[] = { 1, 2, 3, 4, 5 };
	int want_ring[] = { 0, 1, 1, 0, 1 };
	for (size_t i = 0; i < 5; i++) {
		assert_int_equal(s.v[i], want[i]);
		assert_int_equal(s.ring[i], want_ring[i]);
	}
	assert_int_equal(s.lost, 7);
	/* the room of what was handed on is given back; the rest stays */
	struct perf_event_mmap_page *ha = (void *)a->mem, *hb = (void *)b->mem;
	assert_int_equal(ha->data_tail, 2 * 32);
	assert_int_equal(hb->data_tail, DATA - 40 + 3 * 32 + 24);
	put_sample(a, 99, 11);
	assert_int_equal(perfring_merge(r, 2, UINT64_MAX, time_of, collect, &s), 3);
	assert_int_equal(s.v[5], 9);
	assert_int_equal(s.v[6], 10);
	assert_int_equal(s.v[7], 11);
	assert_int_equal(ha->data_tail, ha->data_head);
	assert_int_equal(hb->data_tail, hb->data_head);
	perfring_release(&r[0]);
	perfring_release(&r[1]);
	free(a);
	free(b);
}

/* A record cut short (its size past what the kernel published) is left for later, never read. */
static void test_perfring_never_reads_past_head(void **state)
{
	struct fake *a = fake_new(0);
	struct perf_event_mmap_page *h = (void *)a->mem;
	struct seen s = { 0 };

	(void)state;
	put_sample(a, 10, 1);
	put_sample(a, 20, 2);
	h->data_head -= 8;                            /* the second not whole yet */
	assert_false(perfring_pressed(&a->r, 1, 4));  /* 56 bytes of 4096 */
	assert_true(perfring_pressed(&a->r, 1, 128)); /* more than 32 */
	assert_int_equal(perfring_merge(&a->r, 1, UINT64_MAX, time_of, collect, &s), 1);
	assert_int_equal(h->data_tail, 32);
	h->data_head += 8;
	assert_int_equal(perfring_merge(&a->r, 1, UINT64_MAX, time_of, collect, &s), 1);
	assert_int_equal(s.v[1], 2);
	perfring_release(&a->r);
	free(a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_perfring_merges_in_time_order_and_keeps_later),
		cmocka_unit_test(test_perfring_never_reads_past_head),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
