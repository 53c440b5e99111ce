/*
 * perfring: the kernel's per-CPU perf rings read in place and merged into
 * one stream in time order (perfring.c).
 */
#ifndef SYSREC_PERFRING_H
#define SYSREC_PERFRING_H

#include "../common/common.h"

#include <linux/perf_event.h>

struct perfring {
	struct perf_event_mmap_page *hdr; /* the ring's control page, shared with the kernel */
	uint8_t *data;                    /* its data area: size bytes, a power of two */
	uint64_t size;
	uint64_t head, tail; /* the records in hand: [tail, head) */
	uint8_t *whole;      /* a record that wraps past the end, copied whole */
	size_t whole_cap;
};

/* A ring whose control page is at base (its data where the page says). */
void perfring_init(struct perfring *r, void *base);
void perfring_release(struct perfring *r);

/* Whether any of the n rings is more than 1/frac full. */
bool perfring_pressed(const struct perfring *r, size_t n, unsigned frac);

/* The time of a sample (size bytes of raw data); false: not one to hand on (it is skipped). */
typedef bool (*perfring_time_fn)(const uint8_t *sample, size_t size, uint64_t *ts);

/* A sample handed on; or, sample NULL, `size` samples the kernel had no room for in ring `ring`. */
typedef void (*perfring_fn)(void *ctx, int ring, const uint8_t *sample, size_t size);

/*
 * Hand on every sample of the n rings stamped before `until`, earliest first,
 * giving the kernel back their room as it goes; later ones stay in their rings
 * for the next call. Each ring must hold its own samples in time order (a CPU stamps
 * and hands over one packet before the next). The samples handed on.
 */
size_t perfring_merge(struct perfring *r, size_t n, uint64_t until, perfring_time_fn time_of, perfring_fn fn,
                      void *ctx);

#endif
