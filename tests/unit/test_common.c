/* test_common: sbuf, cursor, i64map, sink and err. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "../../src/common/common.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

static void test_sbuf_numbers_and_growth(void **state)
{
	struct sbuf b;

	(void)state;
	sbuf_init(&b, 1);
	sbuf_u64(&b, 0);
	sbuf_putc(&b, ' ');
	sbuf_u64(&b, UINT64_MAX);
	sbuf_putc(&b, ' ');
	sbuf_i64(&b, INT64_MIN);
	sbuf_putc(&b, ' ');
	sbuf_hex(&b, 0x55DB0DE73000ULL, true);
	sbuf_putc(&b, ' ');
	sbuf_hex(&b, 0xabcULL, false);
	sbuf_printf(&b, " %s-%d", "x", 42);
	assert_string_equal(sbuf_cstr(&b),
	                    "0 18446744073709551615 -9223372036854775808 55DB0DE73000 abc x-42");
	for (int i = 0; i < 10000; i++)
		sbuf_puts(&b, "0123456789");
	assert_int_equal(b.len, 65 + 100000);
	sbuf_release(&b);
}

static void test_cursor_sticky_short_read(void **state)
{
	static const uint8_t data[] = { 1, 0x34, 0x12, 0x78, 0x56, 0x34, 0x12, 3, 0, 'a', 'b', 'c' };
	struct cursor c;
	size_t len;
	char *s;

	(void)state;
	cursor_init(&c, data, sizeof(data));
	assert_int_equal(cursor_u8(&c), 1);
	assert_int_equal(cursor_u16(&c), 0x1234);
	assert_int_equal(cursor_u32(&c), 0x12345678);
	s = cursor_lstr(&c, 10, &len);
	assert_string_equal(s, "abc");
	assert_int_equal(len, 3);
	free(s);
	assert_false(c.bad);
	assert_int_equal(cursor_u64(&c), 0); /* nothing left: zero and sticky */
	assert_true(c.bad);
	assert_int_equal(cursor_u8(&c), 0);
}

static void test_cursor_lstr_over_limit(void **state)
{
	static const uint8_t data[] = { 5, 0, 'h', 'e', 'l', 'l', 'o' };
	struct cursor c;
	size_t len = 0;

	(void)state;
	cursor_init(&c, data, sizeof(data));
	assert_null(cursor_lstr(&c, 4, &len));
	assert_true(c.bad);
	assert_int_equal(len, 5);
}

static void test_i64map_put_get_del_grow(void **state)
{
	struct i64map m;
	static int vals[5000];

	(void)state;
	i64map_init(&m);
	for (int i = 0; i < 5000; i++)
		assert_null(i64map_put(&m, (int64_t)i * 7919 - 100000, &vals[i]));
	assert_int_equal(m.len, 5000);
	for (int i = 0; i < 5000; i++)
		assert_ptr_equal(i64map_get(&m, (int64_t)i * 7919 - 100000), &vals[i]);
	for (int i = 0; i < 5000; i += 2)
		assert_ptr_equal(i64map_del(&m, (int64_t)i * 7919 - 100000), &vals[i]);
	for (int i = 0; i < 5000; i++)
		assert_ptr_equal(i64map_get(&m, (int64_t)i * 7919 - 100000), i % 2 ? &vals[i] : NULL);
	assert_null(i64map_del(&m, 123456789));
	assert_ptr_equal(i64map_put(&m, 1 * 7919 - 100000, &vals[0]), &vals[1]);
	i64map_release(&m);
}

static void test_err_set_returns_code(void **state)
{
	struct err e;

	(void)state;
	assert_int_equal(err_set(&e, -EINVAL, "bad %s at %d", "thing", 7), -EINVAL);
	assert_string_equal(e.msg, "bad thing at 7");
	assert_int_equal(err_set(NULL, -EIO, "ignored"), -EIO);
}

static mode_t current_umask(void)
{
	mode_t m = umask(0);

	umask(m);
	return m;
}

static void test_sink_publishes_only_on_close(void **state)
{
	char dir[] = "/tmp/sysrec-test-XXXXXX";
	char path[256];
	struct err e;
	struct sink *s;
	struct stat st;
	FILE *f;
	char buf[16] = { 0 };

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/out", dir);
	s = sink_open(path, false, &e);
	assert_non_null(s);
	sink_write(s, "hello", 5);
	assert_int_equal(stat(path, &st), -1); /* not there until closed */
	assert_int_equal(sink_offset(s), 5);
	assert_int_equal(sink_close(s, &e), 0);
	f = fopen(path, "rb");
	assert_non_null(f);
	assert_int_equal(fread(buf, 1, sizeof(buf), f), 5);
	fclose(f);
	assert_string_equal(buf, "hello");
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600 & ~current_umask()); /* recorded I/O: the owner's */
	unlink(path);
	snprintf(path, sizeof(path), "%s/out.gz", dir);
	s = sink_open(path, true, &e);
	assert_non_null(s);
	sink_write(s, "hello", 5);
	assert_int_equal(sink_close(s, &e), 0);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600 & ~current_umask());
	unlink(path);
	rmdir(dir);
}

/* The names of sink temporaries, as `sysrec read` recognises an unfinished recording. */
static void test_sink_temp_names(void **state)
{
	(void)state;
	assert_int_equal(sink_temp_pid("/x/trace.scap.tmp-4242"), 4242);
	assert_int_equal(sink_temp_pid("trace.scap.tmp-1"), 1);
	assert_int_equal(sink_temp_pid("trace.scap"), 0);
	assert_int_equal(sink_temp_pid("trace.scap.tmp-"), 0);
	assert_int_equal(sink_temp_pid("trace.scap.tmp-12x"), 0);
	assert_int_equal(sink_temp_pid("trace.scap.tmp-0"), 0);
	assert_int_equal(sink_temp_pid("trace.scap.tmp-99999999999"), 0);
	assert_int_equal(sink_temp_pid(".tmp-12"), 0);
	assert_false(sink_writer_alive((long)getpid())); /* alive, but test_common, not sysrec */
}

/* Write n pseudo-random bytes in pieces of odd sizes under dir; the file must hold exactly them. */
static void sink_bytes_exact(const char *dir, size_t n)
{
	char path[256];
	struct err e;
	struct sink *s;
	unsigned char *want = malloc(n), *got = malloc(n + 1);
	uint32_t x = 2463534242u;
	size_t off = 0, piece = 1;
	FILE *f;

	snprintf(path, sizeof(path), "%s/sysrec-sink-%d", dir, (int)getpid());
	for (size_t i = 0; i < n; i++) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		want[i] = (unsigned char)x;
	}
	s = sink_open(path, false, &e);
	assert_non_null(s);
	while (off < n) {
		size_t k = piece < n - off ? piece : n - off;

		sink_write(s, want + off, k);
		off += k;
		piece = piece * 7 % 300007 + 1; /* 1 byte to ~300 KB, crossing the 1 MiB chunks */
	}
	assert_int_equal(sink_offset(s), n);
	assert_int_equal(sink_close(s, &e), 0);
	f = fopen(path, "rb");
	assert_non_null(f);
	assert_int_equal(fread(got, 1, n + 1, f), n);
	fclose(f);
	assert_memory_equal(got, want, n);
	unlink(path);
	free(want);
	free(got);
}

/* Whole chunks go direct where the file system takes O_DIRECT (ext4 /tmp), else through the cache (tmpfs). */
static void test_sink_large_writes_exact(void **state)
{
	struct stat st;

	(void)state;
	sink_bytes_exact("/tmp", (3u << 20) + 12345);
	sink_bytes_exact("/tmp", 1u << 20); /* exactly one chunk: no tail */
	sink_bytes_exact("/tmp", 1);
	if (stat("/dev/shm", &st) == 0 && S_ISDIR(st.st_mode))
		sink_bytes_exact("/dev/shm", (2u << 20) + 777);
}

static void test_sink_gzip_round_trip(void **state)
{
	char path[] = "/tmp/sysrec-test-gz-XXXXXX";
	int fd = mkstemp(path);
	struct err e;
	struct sink *s;
	gzFile gz;
	char buf[64] = { 0 };

	(void)state;
	close(fd);
	s = sink_open(path, true, &e);
	assert_non_null(s);
	sink_write(s, "compressed text", 15);
	assert_int_equal(sink_close(s, &e), 0);
	gz = gzopen(path, "rb");
	assert_int_equal(gzread(gz, buf, sizeof(buf)), 15);
	gzclose(gz);
	assert_string_equal(buf, "compressed text");
	unlink(path);
}

static void test_sink_open_error_names_path(void **state)
{
	struct err e;

	(void)state;
	assert_null(sink_open("/nonexistent-dir/x/out.scap", false, &e));
	assert_non_null(strstr(e.msg, "cannot create /nonexistent-dir/x/out.scap"));
}

static void test_sink_abort_leaves_nothing(void **state)
{
	char dir[] = "/tmp/sysrec-test-XXXXXX";
	char path[256];
	struct err e;
	struct sink *s;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/out", dir);
	s = sink_open(path, false, &e);
	sink_write(s, "partial", 7);
	sink_abort(s);
	assert_int_equal(rmdir(dir), 0); /* empty: no temporary left behind */
}

static void *scratch_in_thread(void *arg)
{
	struct sbuf *b = sbuf_scratch(SCRATCH_JOIN);

	sbuf_puts(b, "grown in another thread, released when it exits");
	return b != arg ? b : NULL;
}

/* Each thread has its own scratch buffers, one per slot, kept between calls. */
static void test_sbuf_scratch_per_thread(void **state)
{
	struct sbuf *a = sbuf_scratch(SCRATCH_JOIN), *b = sbuf_scratch(SCRATCH_RESOLVE);
	pthread_t t;
	void *other = NULL;

	(void)state;
	assert_ptr_not_equal(a, b);
	sbuf_puts(a, "kept");
	assert_ptr_equal(sbuf_scratch(SCRATCH_JOIN), a);
	assert_int_equal(sbuf_scratch(SCRATCH_JOIN)->len, 4);
	assert_int_equal(pthread_create(&t, NULL, scratch_in_thread, a), 0);
	assert_int_equal(pthread_join(t, &other), 0);
	assert_non_null(other); /* a different buffer; LeakSanitizer checks it was freed */
	assert_int_equal(a->len, 4);
	sbuf_release(a);
}

struct bq_sink {
	volatile int hold; /* the consumer waits while set: a slow disk */
	size_t bytes;
	uint32_t next; /* the next value expected: batches arrive in order */
	bool in_order;
};

static int bq_consume(void *ctx, const char *data, size_t len)
{
	struct bq_sink *k = ctx;

	while (__atomic_load_n(&k->hold, __ATOMIC_ACQUIRE)) {
		struct timespec ts = { 0, 1000000 };

		nanosleep(&ts, NULL);
	}
	for (size_t off = 0; off + 4 <= len; off += 4) {
		uint32_t v;

		memcpy(&v, data + off, 4);
		k->in_order &= v == k->next++;
	}
	k->bytes += len;
	return 0;
}

/* The producer never waits: with the consumer stuck, reserve fails; everything kept arrives in order. */
static void test_bq_never_blocks_and_keeps_order(void **state)
{
	struct bq_sink k = { 1, 0, 0, true };
	struct bq *q = bq_new(64, 3, false, bq_consume, &k);
	uint32_t v = 0;
	size_t kept = 0;
	bool refused = false;

	(void)state;
	for (int i = 0; i < 1000 && !refused; i++) {
		char *p = bq_reserve(q, 4);

		if (!p) {
			refused = true;
			break;
		}
		memcpy(p, &v, 4);
		v++;
		kept += 4;
	}
	assert_true(refused); /* 3 batches of 64 bytes: at most 192 bytes waiting */
	assert_true(kept <= 3 * 64);
	__atomic_store_n(&k.hold, 0, __ATOMIC_RELEASE);
	bq_free(q);
	assert_int_equal(k.bytes, kept);
	assert_true(k.in_order);
}

/* rm_temp_dirs: what mkdtemp(PREFIX + 6) made goes, files and subdirectories; nothing else does. */
static void test_rm_temp_dirs(void **state)
{
	char root[] = "/tmp/sysrec-rmtest-XXXXXX", p[256];
	struct stat st;
	FILE *f;

	(void)state;
	assert_non_null(mkdtemp(root));
	snprintf(p, sizeof(p), "%s/artifacts-Ab12Cd/out/files", root);
	assert_int_equal(mkdir_p(p, 0700), 0);
	snprintf(p, sizeof(p), "%s/artifacts-Ab12Cd/out/files/a.txt", root);
	assert_non_null(f = fopen(p, "w"));
	fclose(f);
	snprintf(p, sizeof(p), "%s/artifacts-keep", root); /* not mkdtemp's length */
	assert_int_equal(mkdir_p(p, 0700), 0);
	snprintf(p, sizeof(p), "%s/captures", root);
	assert_int_equal(mkdir_p(p, 0700), 0);

	rm_temp_dirs(root, "artifacts-");
	snprintf(p, sizeof(p), "%s/artifacts-Ab12Cd", root);
	assert_int_equal(stat(p, &st), -1);
	snprintf(p, sizeof(p), "%s/artifacts-keep", root);
	assert_int_equal(stat(p, &st), 0);
	snprintf(p, sizeof(p), "%s/captures", root);
	assert_int_equal(stat(p, &st), 0);
	rm_tree(root);
	assert_int_equal(stat(root, &st), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sbuf_numbers_and_growth),
		cmocka_unit_test(test_sbuf_scratch_per_thread),
		cmocka_unit_test(test_bq_never_blocks_and_keeps_order),
		cmocka_unit_test(test_cursor_sticky_short_read),
		cmocka_unit_test(test_cursor_lstr_over_limit),
		cmocka_unit_test(test_i64map_put_get_del_grow),
		cmocka_unit_test(test_err_set_returns_code),
		cmocka_unit_test(test_sink_publishes_only_on_close),
		cmocka_unit_test(test_sink_temp_names),
		cmocka_unit_test(test_sink_large_writes_exact),
		cmocka_unit_test(test_sink_gzip_round_trip),
		cmocka_unit_test(test_sink_open_error_names_path),
		cmocka_unit_test(test_sink_abort_leaves_nothing),
		cmocka_unit_test(test_rm_temp_dirs),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
