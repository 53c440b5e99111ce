/* test_agent_pktring: the flight recorder's packets (src/agent/pktring.c): bounds, reads, held chunks. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "../../src/agent/agent_int.h"

#include <stdio.h>
#include <string.h>

#define SEC 1000000000ULL

static void put(struct pktring *r, uint64_t ts, uint32_t caplen, uint32_t pid)
{
	static uint8_t data[65536];
	struct pktring_pkt p = { .ts = ts, .caplen = caplen, .len = caplen + 10, .pid = pid, .data = data };

	memset(data, (int)(pid & 0xff), caplen);
	snprintf(p.comm, sizeof(p.comm), "c%u", pid);
	snprintf(p.container, sizeof(p.container), "%012u", pid);
	pktring_append(r, &p);
}

struct seen {
	uint64_t n, last_ts, lost;
	bool ordered, bytes_ok;
	struct pktring *r; /* when set: the writer appends while the reader holds chunks */
};

static void on_pkt(void *ctx, const struct pktring_pkt *p)
{
	struct seen *s = ctx;
	char want[13];

	if (p->ts < s->last_ts)
		s->ordered = false;
	s->last_ts = p->ts;
	s->n++;
	s->lost += p->lost_before;
	snprintf(want, sizeof(want), "%012u", p->pid);
	if (p->caplen && (p->data[0] != (uint8_t)(p->pid & 0xff) || p->data[p->caplen - 1] != p->data[0] ||
	                  strcmp(p->container, want) != 0 || p->len != p->caplen + 10))
		s->bytes_ok = false;
	if (s->r) /* the writer goes on: the chunks being read are let go meanwhile */
		for (int i = 0; i < 50; i++)
			put(s->r, 1000 * SEC + s->n * 100 + (uint64_t)i, 1500, 7);
}

/* The memory bound holds (whole chunks go, oldest first); what is left reads back in order, whole. */
static void test_memory_bound(void **state)
{
	struct pktring *r = pktring_new(1u << 20, 0);
	struct pktring_stats st;
	struct seen s = { .ordered = true, .bytes_ok = true };

	(void)state;
	for (uint32_t i = 0; i < 5000; i++) {
		put(r, 1000 * SEC + i * 1000ULL, 100 + (i * 37) % 1400, i);
		pktring_stats(r, &st);
		assert_true(st.bytes <= st.max_bytes);
	}
	assert_int_equal(st.appended, 5000);
	assert_true(st.held < 5000 && st.held > 100);
	assert_true(st.let_go > 0);
	assert_int_equal(pktring_read(r, 0, UINT64_MAX, on_pkt, &s), st.held);
	assert_true(s.ordered && s.bytes_ok);
	assert_int_equal(s.last_ts, 1000 * SEC + 4999 * 1000ULL);
	pktring_free(r);
}

/* The history wanted: chunks whose last packet is older than `seconds` before the newest go. */
static void test_age_and_range(void **state)
{
	struct pktring *r = pktring_new(64u << 20, 5);
	struct pktring_stats st;
	struct seen s = { .ordered = true, .bytes_ok = true };

	(void)state;
	for (uint32_t i = 0; i < 200; i++) /* 20 s of packets, 10 a second */
		put(r, 1000 * SEC + i * (SEC / 10), 60000, i);
	pktring_stats(r, &st);
	assert_true(st.aged > 0);
	assert_true(st.oldest_ns >= 1000 * SEC + 199 * (SEC / 10) - 5 * SEC - 2 * SEC);
	/* a range: exactly the packets of [1018 s, 1019 s] */
	assert_int_equal(pktring_read(r, 1018 * SEC, 1019 * SEC, on_pkt, &s), 11);
	assert_true(s.ordered && s.bytes_ok);
	pktring_free(r);
}

/* Losses told before a packet ride on it; a reader holding chunks while the writer lets them go. */
static void test_lost_and_held(void **state)
{
	struct pktring *r = pktring_new(1u << 20, 0);
	struct seen s = { .ordered = true, .bytes_ok = true };
	uint64_t n;

	(void)state;
	put(r, 1 * SEC, 10, 1);
	pktring_note_lost(r, 3);
	pktring_note_lost(r, 4);
	put(r, 2 * SEC, 10, 2);
	put(r, 3 * SEC, 10, 3);
	assert_int_equal(pktring_read(r, 0, UINT64_MAX, on_pkt, &s), 3);
	assert_int_equal(s.lost, 7);
	/* the reader's callback appends 1.5 MB per packet: every chunk it holds is let go meanwhile */
	memset(&s, 0, sizeof(s));
	s.ordered = s.bytes_ok = true;
	s.r = r;
	n = pktring_read(r, 0, 10 * SEC, on_pkt, &s);
	assert_int_equal(n, 3);
	assert_true(s.bytes_ok);
	pktring_free(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_memory_bound),
		cmocka_unit_test(test_age_and_range),
		cmocka_unit_test(test_lost_and_held),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
