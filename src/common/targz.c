/*
 * targz: a tar.gz archive written as a stream (part of common): ustar headers
 * for regular files, each file's bytes padded to 512, two zero blocks at the
 * end, all through zlib's gzip deflate into the caller's writer.
 */
#include "common.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

struct targz {
	z_stream z;
	int (*out)(void *ctx, const void *p, size_t n);
	void *ctx;
	uint64_t left, pad; /* bytes of the current file still due, and its padding */
	int err;
	uint8_t buf[64 << 10];
};

struct targz *targz_new(int (*out)(void *ctx, const void *p, size_t n), void *ctx)
{
	struct targz *t = xcalloc(1, sizeof(*t));

	t->out = out;
	t->ctx = ctx;
	/* 15 + 16: a gzip wrapper */
	if (deflateInit2(&t->z, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
		t->err = -ENOMEM;
	return t;
}

static int deflate_some(struct targz *t, const void *p, size_t n, int flush)
{
	t->z.next_in = (Bytef *)(uintptr_t)p;
	t->z.avail_in = (uInt)n;
	do {
		int zr;
		size_t have;

		t->z.next_out = t->buf;
		t->z.avail_out = sizeof(t->buf);
		zr = deflate(&t->z, flush);
		if (zr == Z_STREAM_ERROR)
			return t->err = -EIO;
		have = sizeof(t->buf) - t->z.avail_out;
		if (have && (t->err = t->out(t->ctx, t->buf, have)) != 0)
			return t->err;
	} while (t->z.avail_out == 0 || t->z.avail_in);
	return 0;
}

/* Bytes into the archive, in pieces a uInt holds. */
static int put(struct targz *t, const void *p, size_t n)
{
	const uint8_t *b = p;

	while (!t->err && n) {
		size_t k = n > (1u << 30) ? (1u << 30) : n;

		deflate_some(t, b, k, Z_NO_FLUSH);
		b += k;
		n -= k;
	}
	return t->err;
}

static int put_zeros(struct targz *t, size_t n)
{
	static const uint8_t zeros[1024];

	while (!t->err && n) {
		size_t k = n > sizeof(zeros) ? sizeof(zeros) : n;

		put(t, zeros, k);
		n -= k;
	}
	return t->err;
}

/* n bytes of s into a field of a header (zeroed: the field needs no NUL when full). */
static void put_field(uint8_t *f, const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		f[i] = (uint8_t)s[i];
}

/*
 * name in ustar's fields: up to 100 bytes in name, what comes before a '/'
 * (up to 155 bytes) in prefix. The leftmost '/' leaving at most 100 bytes
 * after it leaves the shortest prefix: when that one is too long, all are.
 */
static int split_name(uint8_t h[512], const char *name)
{
	size_t n = strlen(name);
	const char *cut;

	if (n <= 100) {
		put_field(h, name, n);
		return 0;
	}
	for (cut = strchr(name, '/'); cut && strlen(cut + 1) > 100; cut = strchr(cut + 1, '/'))
		;
	if (!cut || cut == name || (size_t)(cut - name) > 155 || !cut[1])
		return -ENAMETOOLONG;
	put_field(h + 345, name, (size_t)(cut - name));
	put_field(h, cut + 1, strlen(cut + 1));
	return 0;
}

int targz_file(struct targz *t, const char *name, uint64_t size, int64_t mtime)
{
	uint8_t h[512];
	unsigned sum = 0;

	if (t->err)
		return t->err;
	if (t->left)
		return t->err = -EINVAL; /* the last file's bytes are still due */
	if (t->pad)
		put_zeros(t, t->pad);
	t->pad = 0;
	memset(h, 0, sizeof(h));
	if (split_name(h, name))
		return -ENAMETOOLONG; /* the archive is still good: this file is not in it */
	memcpy(h + 100, "0000644", 8);
	memcpy(h + 108, "0000000", 8);
	memcpy(h + 116, "0000000", 8);
	if (size < (1ULL << 33)) {
		snprintf((char *)h + 124, 12, "%011llo", (unsigned long long)size);
	} else { /* base-256, as GNU tar and libarchive read it */
		h[124] = 0x80;
		for (int i = 0; i < 8; i++)
			h[135 - i] = (uint8_t)(size >> (8 * i));
	}
	/* 11 octal digits: from 1970 to 2242 */
	snprintf((char *)h + 136, 12, "%011llo",
	         (unsigned long long)(mtime <= 0             ? 0
	                              : mtime > 077777777777 ? 077777777777
	                                                     : mtime));
	h[156] = '0';
	memcpy(h + 257, "ustar", 6);
	h[263] = h[264] = '0'; /* version "00" */
	memcpy(h + 265, "root", 5);
	memcpy(h + 297, "root", 5);
	memset(h + 148, ' ', 8);
	for (int i = 0; i < 512; i++)
		sum += h[i];
	snprintf((char *)h + 148, 8, "%06o", sum);
	h[155] = ' ';
	t->left = size;
	t->pad = (512 - size % 512) % 512;
	return put(t, h, sizeof(h));
}

int targz_write(struct targz *t, const void *p, size_t n)
{
	if (!t->err && n > t->left)
		t->err = -EINVAL; /* more than the header said */
	if (!t->err) {
		t->left -= n;
		put(t, p, n);
	}
	return t->err;
}

int targz_close(struct targz *t)
{
	int rc;

	if (!t->err && t->left)
		t->err = -EINVAL; /* fewer bytes than the header said */
	if (!t->err && t->pad)
		put_zeros(t, t->pad);
	if (!t->err)
		put_zeros(t, 1024); /* the end of the archive */
	if (!t->err)
		deflate_some(t, NULL, 0, Z_FINISH);
	rc = t->err;
	deflateEnd(&t->z);
	free(t);
	return rc;
}
