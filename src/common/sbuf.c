/* sbuf: growable byte buffer with fast integer formatting. */
#include "common.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

void sbuf_init(struct sbuf *b, size_t cap)
{
	b->data = xmalloc(cap);
	b->len = 0;
	b->cap = cap;
}

void sbuf_release(struct sbuf *b)
{
	free(b->data);
	b->data = NULL;
	b->len = b->cap = 0;
}

void sbuf_grow(struct sbuf *b, size_t extra)
{
	size_t need = b->len + extra + 1;
	size_t cap = b->cap ? b->cap : 64;

	while (cap < need)
		cap *= 2;
	if (cap != b->cap) {
		b->data = xrealloc(b->data, cap);
		b->cap = cap;
	}
}

const char *sbuf_cstr(struct sbuf *b)
{
	if (b->len + 1 > b->cap)
		sbuf_grow(b, 1);
	b->data[b->len] = 0;
	return b->data;
}

void sbuf_printf(struct sbuf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (b->len + 1 > b->cap)
		sbuf_grow(b, 64);
	va_start(ap, fmt);
	n = vsnprintf(b->data + b->len, b->cap - b->len, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n >= b->cap - b->len) {
		sbuf_grow(b, (size_t)n + 1);
		va_start(ap, fmt);
		vsnprintf(b->data + b->len, b->cap - b->len, fmt, ap);
		va_end(ap);
	}
	b->len += (size_t)n;
}

/* "00".."99": integers are printed two digits per division. */
static const char digits2[201] =
        "00010203040506070809101112131415161718192021222324252627282930313233343536373839"
        "40414243444546474849505152535455565758596061626364656667686970717273747576777879"
        "8081828384858687888990919293949596979899";

static unsigned count_digits(uint64_t v)
{
	unsigned n = 1;

	if (v < 10)
		return 1;
	if (v < 100)
		return 2;
	while (v >= 10000) {
		v /= 10000;
		n += 4;
	}
	return n + (v >= 10) + (v >= 100) + (v >= 1000);
}

/* Write v's digits ending at end (exclusive); 32-bit arithmetic once it fits. */
static void put_digits(char *end, uint64_t v)
{
	uint32_t w;

	while (v > UINT32_MAX) {
		unsigned r = (unsigned)(v % 100);

		v /= 100;
		end -= 2;
		end[0] = digits2[2 * r];
		end[1] = digits2[2 * r + 1];
	}
	w = (uint32_t)v;
	while (w >= 100) {
		uint32_t r = w % 100;

		w /= 100;
		end -= 2;
		end[0] = digits2[2 * r];
		end[1] = digits2[2 * r + 1];
	}
	if (w >= 10) {
		end[-2] = digits2[2 * w];
		end[-1] = digits2[2 * w + 1];
	} else {
		end[-1] = (char)('0' + w);
	}
}

void sbuf_u64(struct sbuf *b, uint64_t v)
{
	unsigned n = count_digits(v);

	if (b->len + n > b->cap)
		sbuf_grow(b, n);
	put_digits(b->data + b->len + n, v);
	b->len += n;
}

void sbuf_u64_padded(struct sbuf *b, uint64_t v, unsigned width)
{
	unsigned n = count_digits(v);
	unsigned w = n > width ? n : width;

	if (b->len + w > b->cap)
		sbuf_grow(b, w);
	for (unsigned i = n; i < w; i++)
		b->data[b->len + i - n] = '0';
	put_digits(b->data + b->len + w, v);
	b->len += w;
}

void sbuf_i64(struct sbuf *b, int64_t v)
{
	if (v < 0) {
		sbuf_putc(b, '-');
		sbuf_u64(b, (uint64_t)0 - (uint64_t)v);
	} else {
		sbuf_u64(b, (uint64_t)v);
	}
}

void sbuf_hex(struct sbuf *b, uint64_t v, bool upper)
{
	const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
	char tmp[16];
	char *p = tmp + sizeof(tmp);

	do {
		*--p = digits[v & 15];
		v >>= 4;
	} while (v);
	sbuf_put(b, p, (size_t)(tmp + sizeof(tmp) - p));
}

int sbuf_flush_fd(struct sbuf *b, int fd)
{
	size_t off = 0;

	while (off < b->len) {
		ssize_t n = write(fd, b->data + off, b->len - off);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			b->len = 0;
			return -errno;
		}
		off += (size_t)n;
	}
	b->len = 0;
	return 0;
}

static pthread_key_t scratch_key;
static pthread_once_t scratch_once = PTHREAD_ONCE_INIT;
static __thread struct sbuf scratch[SCRATCH_SLOTS];
static __thread bool scratch_registered;

static void scratch_release(void *p)
{
	struct sbuf *bufs = p;

	for (int i = 0; i < SCRATCH_SLOTS; i++)
		sbuf_release(&bufs[i]);
}

static void scratch_init(void)
{
	if (pthread_key_create(&scratch_key, scratch_release))
		abort();
}

struct sbuf *sbuf_scratch(enum sbuf_slot slot)
{
	if (!scratch_registered) {
		pthread_once(&scratch_once, scratch_init);
		pthread_setspecific(scratch_key, scratch);
		scratch_registered = true;
	}
	return &scratch[slot];
}
