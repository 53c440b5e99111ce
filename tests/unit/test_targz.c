/* test_targz: the streaming tar.gz writer (src/common/targz.c): ustar headers, data, padding, errors. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "../../src/common/common.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#define MTIME 1795515300 /* 2026-11-24T10:15:00Z */

/* The out callback: appends to a buffer; fails with fail_rc from call number fail_at (1-based; 0 never). */
struct sink_buf {
	struct sbuf b;
	unsigned calls, fail_at;
	int fail_rc;
};

static int to_buf(void *ctx, const void *p, size_t n)
{
	struct sink_buf *s = ctx;

	s->calls++;
	if (s->fail_at && s->calls >= s->fail_at)
		return s->fail_rc;
	sbuf_put(&s->b, p, n);
	return 0;
}

/* The gzip stream in, whole, inflated (zlib's automatic header detection); the caller frees it. */
static uint8_t *gunzip(const void *in, size_t n, size_t *outlen)
{
	z_stream z;
	size_t cap = 1 << 16, len = 0;
	uint8_t *out = xmalloc(cap);
	int zr;

	memset(&z, 0, sizeof(z));
	assert_int_equal(inflateInit2(&z, 15 + 32), Z_OK);
	z.next_in = (Bytef *)(uintptr_t)in;
	z.avail_in = (uInt)n;
	do {
		if (len == cap)
			out = xrealloc(out, cap *= 2);
		z.next_out = out + len;
		z.avail_out = (uInt)(cap - len);
		zr = inflate(&z, Z_NO_FLUSH);
		assert_true(zr == Z_OK || zr == Z_STREAM_END);
		len = cap - z.avail_out;
	} while (zr != Z_STREAM_END);
	assert_int_equal(z.avail_in, 0); /* nothing after the gzip member */
	inflateEnd(&z);
	*outlen = len;
	return out;
}

/* A NUL-padded field of size bytes holds s (no NUL needed when s fills it). */
static void assert_field(const uint8_t *f, size_t size, const char *s)
{
	size_t n = strlen(s);

	assert_true(n <= size);
	assert_memory_equal(f, s, n);
	for (size_t i = n; i < size; i++)
		assert_int_equal(f[i], 0);
}

static uint64_t octal(const uint8_t *f, size_t size)
{
	char tmp[16];

	assert_true(size < sizeof(tmp));
	memcpy(tmp, f, size);
	tmp[size] = 0;
	return strtoull(tmp, NULL, 8);
}

/* One ustar header: name, prefix, size, mtime, type, magic, and a checksum that adds up. */
static void assert_header(const uint8_t *h, const char *name, const char *prefix, uint64_t size)
{
	unsigned sum = 0;

	assert_field(h, 100, name);
	assert_field(h + 345, 155, prefix);
	assert_int_equal(octal(h + 124, 12), size);
	assert_int_equal(octal(h + 136, 12), MTIME);
	assert_int_equal(h[156], '0');
	assert_memory_equal(h + 257, "ustar\0", 6);
	assert_memory_equal(h + 263, "00", 2);
	for (int i = 0; i < 512; i++)
		sum += (i >= 148 && i < 156) ? ' ' : h[i];
	assert_int_equal(octal(h + 148, 7), sum);
}

static void assert_zeros(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i])
			fail_msg("byte %zu of %zu is %#x, not 0", i, n, p[i]);
}

static uint8_t pattern(size_t i)
{
	return (uint8_t)(i * 7 + 3);
}

/* "artifacts/" + 60 'a' + "/" + 59 'b': 130 bytes, split at the last '/'. */
static void long_name(char out[131], char prefix[71], char name[60])
{
	memcpy(prefix, "artifacts/", 10);
	memset(prefix + 10, 'a', 60);
	prefix[70] = 0;
	memset(name, 'b', 59);
	name[59] = 0;
	snprintf(out, 131, "%s/%s", prefix, name);
	assert_int_equal(strlen(out), 130);
}

/* Three files into a buffer: an empty one, 1000 bytes in pieces, 512 bytes under a long name. */
static void write_sample(struct sink_buf *s)
{
	char longn[131], prefix[71], name[60];
	uint8_t data[1000];
	struct targz *t = targz_new(to_buf, s);

	long_name(longn, prefix, name);
	for (size_t i = 0; i < sizeof(data); i++)
		data[i] = pattern(i);
	assert_non_null(t);
	assert_int_equal(targz_file(t, "empty.txt", 0, MTIME), 0);
	assert_int_equal(targz_file(t, "artifacts/data.bin", 1000, MTIME), 0);
	assert_int_equal(targz_write(t, data, 1), 0);
	assert_int_equal(targz_write(t, data + 1, 0), 0);
	assert_int_equal(targz_write(t, data + 1, 600), 0);
	assert_int_equal(targz_write(t, data + 601, 399), 0);
	assert_int_equal(targz_file(t, longn, 512, MTIME), 0);
	assert_int_equal(targz_write(t, data, 512), 0);
	assert_int_equal(targz_close(t), 0);
}

static void test_archive_layout(void **state)
{
	char longn[131], prefix[71], name[60];
	struct sink_buf s = { 0 };
	size_t len;
	uint8_t *tar, *p;

	(void)state;
	long_name(longn, prefix, name);
	write_sample(&s);
	assert_true(s.b.len > 18);
	assert_int_equal((uint8_t)s.b.data[0], 0x1f); /* gzip's magic */
	assert_int_equal((uint8_t)s.b.data[1], 0x8b);
	tar = gunzip(s.b.data, s.b.len, &len);
	/* 3 headers, 1000 bytes padded to 1024, 512 bytes, 2 zero blocks */
	assert_int_equal(len, 512 + 512 + 1024 + 512 + 512 + 1024);
	p = tar;
	assert_header(p, "empty.txt", "", 0);
	p += 512; /* no data block for an empty file */
	assert_header(p, "artifacts/data.bin", "", 1000);
	p += 512;
	for (size_t i = 0; i < 1000; i++)
		assert_int_equal(p[i], pattern(i));
	assert_zeros(p + 1000, 24);
	p += 1024;
	assert_header(p, name, prefix, 512);
	p += 512;
	for (size_t i = 0; i < 512; i++)
		assert_int_equal(p[i], pattern(i));
	p += 512;
	assert_zeros(p, 1024);
	free(tar);
	sbuf_release(&s.b);
}

/* Names of exactly 100 bytes fill the name field; past that a '/' splits it, or it is refused. */
static void test_names(void **state)
{
	char n100[101], dir_long[110], single[201], trailing[120], left[200], left_name[70];
	struct sink_buf s = { 0 };
	struct targz *t;
	size_t len;
	uint8_t *tar;

	(void)state;
	memset(n100, 'n', 100);
	n100[100] = 0;
	snprintf(dir_long, sizeof(dir_long), "dir/%s%s", n100, "x"); /* last component 101 bytes */
	memset(single, 's', 200);
	single[200] = 0;
	memset(trailing, 't', 110);
	snprintf(trailing + 110, sizeof(trailing) - 110, "/");
	/* 100 + "/" + 60 + "/c": only the leftmost '/' splits it (the rightmost leaves a 161-byte prefix) */
	memset(left_name, 'b', 60);
	snprintf(left_name + 60, sizeof(left_name) - 60, "/c");
	snprintf(left, sizeof(left), "%s/%s", n100, left_name);

	t = targz_new(to_buf, &s);
	assert_int_equal(targz_file(t, "first", 3, MTIME), 0);
	assert_int_equal(targz_write(t, "abc", 3), 0);
	/* refused names leave the archive good, the last file's padding still due */
	assert_int_equal(targz_file(t, single, 10, MTIME), -ENAMETOOLONG);
	assert_int_equal(targz_file(t, dir_long, 10, MTIME), -ENAMETOOLONG);
	assert_int_equal(targz_file(t, trailing, 10, MTIME), -ENAMETOOLONG);
	assert_int_equal(targz_file(t, n100, 2, MTIME), 0);
	assert_int_equal(targz_write(t, "xy", 2), 0);
	assert_int_equal(targz_file(t, left, 0, MTIME), 0);
	assert_int_equal(targz_close(t), 0);

	tar = gunzip(s.b.data, s.b.len, &len);
	assert_int_equal(len, 5 * 512 + 1024);
	assert_header(tar, "first", "", 3);
	assert_memory_equal(tar + 512, "abc", 3);
	assert_zeros(tar + 515, 509);
	assert_header(tar + 1024, n100, "", 2);
	assert_memory_equal(tar + 1536, "xy", 2);
	assert_zeros(tar + 1538, 510);
	assert_header(tar + 2048, left_name, n100, 0);
	assert_zeros(tar + 2560, 1024);
	free(tar);
	sbuf_release(&s.b);
}

/* More bytes than the header said, or fewer at close: -EINVAL, and it sticks. */
static void test_size_mismatch(void **state)
{
	struct sink_buf s = { 0 };
	struct targz *t;

	(void)state;
	t = targz_new(to_buf, &s);
	assert_int_equal(targz_file(t, "a", 4, MTIME), 0);
	assert_int_equal(targz_write(t, "abc", 3), 0);
	assert_int_equal(targz_write(t, "de", 2), -EINVAL);
	assert_int_equal(targz_write(t, "d", 1), -EINVAL);
	assert_int_equal(targz_file(t, "b", 0, MTIME), -EINVAL);
	assert_int_equal(targz_close(t), -EINVAL);

	t = targz_new(to_buf, &s);
	assert_int_equal(targz_file(t, "a", 0, MTIME), 0);
	assert_int_equal(targz_write(t, "x", 1), -EINVAL);
	assert_int_equal(targz_close(t), -EINVAL);

	t = targz_new(to_buf, &s);
	assert_int_equal(targz_file(t, "a", 10, MTIME), 0);
	assert_int_equal(targz_write(t, "abc", 3), 0);
	assert_int_equal(targz_close(t), -EINVAL);

	/* the next header before the last file's bytes are all in */
	t = targz_new(to_buf, &s);
	assert_int_equal(targz_file(t, "a", 10, MTIME), 0);
	assert_int_equal(targz_file(t, "b", 1, MTIME), -EINVAL);
	assert_int_equal(targz_close(t), -EINVAL);
	sbuf_release(&s.b);
}

/* The out callback's error is targz_close()'s, and every call's after it. */
static void test_out_error(void **state)
{
	struct sink_buf s = { .fail_at = 1, .fail_rc = -EIO };
	uint64_t x = 88172645463325252ull;
	uint8_t chunk[4096];
	struct targz *t;
	int rc = 0;

	(void)state;
	/* every call fails: the gzip header goes out with the first tar header */
	t = targz_new(to_buf, &s);
	assert_int_equal(targz_file(t, "a", 3, MTIME), -EIO);
	assert_int_equal(targz_write(t, "abc", 3), -EIO);
	assert_int_equal(targz_close(t), -EIO);
	assert_int_equal(s.calls, 1);
	assert_int_equal(s.b.len, 0);

	/* the gzip header taken, the rest of a small archive refused at close */
	s.calls = 0;
	s.fail_at = 2;
	t = targz_new(to_buf, &s);
	assert_int_equal(targz_file(t, "a", 3, MTIME), 0);
	assert_int_equal(targz_write(t, "abc", 3), 0);
	assert_int_equal(targz_close(t), -EIO);
	assert_int_equal(s.calls, 2);
	sbuf_release(&s.b);
	memset(&s.b, 0, sizeof(s.b));

	/* incompressible bytes: out is called, and fails, while writing */
	s.calls = 0;
	s.fail_at = 3;
	t = targz_new(to_buf, &s);
	assert_int_equal(targz_file(t, "noise", 1 << 20, MTIME), 0);
	for (size_t off = 0; off < (1 << 20) && !rc; off += sizeof(chunk)) {
		for (size_t i = 0; i < sizeof(chunk); i++) {
			x ^= x << 13; /* xorshift64 */
			x ^= x >> 7;
			x ^= x << 17;
			chunk[i] = (uint8_t)x;
		}
		rc = targz_write(t, chunk, sizeof(chunk));
	}
	assert_int_equal(rc, -EIO);
	assert_int_equal(s.calls, 3);
	assert_true(s.b.len > 10); /* the first two calls' bytes */
	assert_int_equal(targz_write(t, chunk, 1), -EIO);
	assert_int_equal(targz_file(t, "b", 0, MTIME), -EIO);
	assert_int_equal(targz_close(t), -EIO);
	assert_int_equal(s.calls, 3); /* nothing more offered after the error */
	sbuf_release(&s.b);
}

/* The system's tar lists the sample archive's names (skipped without tar). */
static void test_system_tar_lists(void **state)
{
	char path[] = "/tmp/test_targz-XXXXXX", cmd[256], longn[131], prefix[71], name[60];
	char expect[512], got[512] = "";
	struct sink_buf s = { 0 };
	size_t n;
	FILE *f;
	int fd;

	(void)state;
	if (system("command -v tar >/dev/null 2>&1") != 0)
		skip();
	long_name(longn, prefix, name);
	write_sample(&s);
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, s.b.data, s.b.len), (ssize_t)s.b.len);
	close(fd);
	snprintf(cmd, sizeof(cmd), "tar -tzf %s 2>&1", path);
	f = popen(cmd, "r");
	assert_non_null(f);
	n = fread(got, 1, sizeof(got) - 1, f);
	got[n] = 0;
	assert_int_equal(pclose(f), 0);
	unlink(path);
	snprintf(expect, sizeof(expect), "empty.txt\nartifacts/data.bin\n%s\n", longn);
	assert_string_equal(got, expect);
	sbuf_release(&s.b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_archive_layout),   cmocka_unit_test(test_names),
		cmocka_unit_test(test_size_mismatch),    cmocka_unit_test(test_out_error),
		cmocka_unit_test(test_system_tar_lists),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
