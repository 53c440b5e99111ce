/* test_scap_framing: bad block framing and section headers refused, naming defect and offset. */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <sys/resource.h>
#include <time.h>

#include "scap_fixtures.h"

static void test_malformed_truncated_block_header(void **state)
{
	struct sbuf b;

	(void)state;
	sbuf_init(&b, 256);
	add_shb(&b);
	add_close_event(&b, 1);
	assert_int_equal(b.len, 28 + CLOSE_BLOCK_LEN);
	sbuf_put(&b, "\x16\x02\x00\x00\x30", 5); /* 5 of the 8 header bytes */
	expect_cut_short(&b, 2, "truncated block header", 28 + CLOSE_BLOCK_LEN);
}

static void test_malformed_truncated_block_body(void **state)
{
	struct sbuf b;

	(void)state;
	sbuf_init(&b, 256);
	add_shb(&b);
	add_close_event(&b, 1);
	b.len -= 10;
	expect_cut_short(&b, 1, "truncated block", 28);
}

static void test_malformed_trailer_mismatch(void **state)
{
	struct sbuf b;
	uint32_t bad = CLOSE_BLOCK_LEN + 4;

	(void)state;
	sbuf_init(&b, 256);
	add_shb(&b);
	add_close_event(&b, 1);
	memcpy(b.data + b.len - 4, &bad, 4);
	expect_refused(&b, 1, "trailer length", 28);
}

static void test_malformed_length_not_multiple_of_4(void **state)
{
	struct sbuf b;
	uint32_t odd = CLOSE_BLOCK_LEN - 2;

	(void)state;
	sbuf_init(&b, 256);
	add_shb(&b);
	add_close_event(&b, 1);
	memcpy(b.data + 28 + 4, &odd, 4);
	memcpy(b.data + 28 + odd - 4, &odd, 4);
	b.len = 28 + odd;
	expect_refused(&b, 1, "not a multiple of 4", 28);
}

static void test_malformed_length_below_12(void **state)
{
	struct sbuf b;

	(void)state;
	sbuf_init(&b, 256);
	add_shb(&b);
	p32(&b, SCAP_BT_EV_V2);
	p32(&b, 8);
	p32(&b, 8);
	expect_refused(&b, 1, "below the 12-byte minimum", 28);
}

static void test_malformed_shb_length_below_28(void **state)
{
	struct sbuf b;
	size_t at;

	(void)state;
	sbuf_init(&b, 256);
	at = blk_begin(&b, SCAP_BT_SHB);
	p32(&b, SCAP_SHB_MAGIC);
	p16(&b, 1);
	p16(&b, 2);
	blk_end(&b, at); /* 20 bytes: no section_length */
	add_close_event(&b, 1);
	expect_refused(&b, 0, "below 28", 0);
}

static long maxrss_kb(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_maxrss;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/*
 * A block declaring more than SCAP_MAX_BLOCK in a file that really is that
 * large (sparse): refused from the header alone, without reading or
 * allocating the declared size.
 */
static void test_malformed_over_large_block_fails_fast(void **state)
{
	char path[128];
	struct sbuf b;
	struct err e = { { 0 } };
	long rss0;
	double t0;
	int fd;

	(void)state;
	sbuf_init(&b, 256);
	add_shb(&b);
	p32(&b, SCAP_BT_EV_V2_LARGE);
	p32(&b, SCAP_MAX_BLOCK + 4);
	tmp_path(path, sizeof(path), "huge.scap");
	write_file(path, b.data, b.len);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, (off_t)SCAP_MAX_BLOCK + 64), 0); /* sparse tail */
	close(fd);
	sbuf_release(&b);
	rss0 = maxrss_kb();
	t0 = now_s();
	expect_refused_reader(scap_reader_open(path, &e), 1, "exceeds", 28);
	assert_true(now_s() - t0 < 0.5);
	/* a reader that buffered the block would have touched >= 256 MiB */
	assert_true(maxrss_kb() - rss0 < 64 * 1024);
	unlink(path);
}

/* The same over a non-blocking pipe holding only the header: any attempt to
 * read the declared body would fail with EAGAIN instead. */
static void test_malformed_over_large_block_not_read(void **state)
{
	struct sbuf b;
	struct err e = { { 0 } };
	int p[2];

	(void)state;
	sbuf_init(&b, 256);
	add_shb(&b);
	p32(&b, SCAP_BT_PL_V9);
	p32(&b, 0xFFFFFFF0u);
	assert_int_equal(pipe2(p, O_CLOEXEC), 0);
	assert_int_equal(write(p[1], b.data, b.len), (ssize_t)b.len);
	assert_int_equal(fcntl(p[0], F_SETFL, O_NONBLOCK), 0);
	sbuf_release(&b);
	expect_refused_reader(scap_reader_open_fd(p[0], &e), 1, "exceeds", 28);
	close(p[1]);
}

/* An EV_V2 block: cpu, then a read exit event of event length evlen, then
 * `extra` bytes (ignored by readers), padded; returns the block length. */
static uint32_t add_read_event_block(struct sbuf *b, uint32_t evlen, size_t extra)
{
	struct sbuf e;
	int64_t res = 1;
	uint8_t *data = calloc(1, evlen);
	const void *v[] = { &res, data };
	uint32_t l[] = { 8, evlen - 26 - 4 - 8 };
	size_t at;

	assert_non_null(data);
	sbuf_init(&e, evlen + 16);
	assert_int_equal(scap_encode_event(&e, 5, 1, 7, 2, v, l), evlen);
	at = blk_begin(b, SCAP_BT_EV_V2);
	p16(b, 0);
	sbuf_put(b, e.data, e.len);
	for (size_t i = 0; i < extra; i++)
		p8(b, 0);
	blk_end(b, at);
	sbuf_release(&e);
	free(data);
	return load_u32(b->data + at + 4);
}

static void test_malformed_non_large_event_block_over_65536(void **state)
{
	struct sbuf b;

	(void)state;
	sbuf_init(&b, 1 << 17);
	add_shb(&b);
	assert_int_equal(add_read_event_block(&b, 65530, 4000), 8 + 2 + 65530 + 4000 + 4);
	expect_refused(&b, 1, "non-LARGE", 28);
}

/* Section 7.1: block_total_length - 8 <= 65536 is the limit (65544-byte block
 * accepted, 65548 refused, as sysdig's "event block length ... greater than
 * NON-LARGE read buffer size 65536"). */
static void test_non_large_event_block_at_limit_accepted(void **state)
{
	struct sbuf b;
	struct err e = { { 0 } };
	int kinds[8];
	struct scap_reader *r;
	int rc;

	(void)state;
	sbuf_init(&b, 1 << 17);
	add_shb(&b);
	assert_int_equal(add_read_event_block(&b, 65530, 0), 65544);
	r = open_bytes(b.data, b.len, &e);
	assert_non_null(r);
	rc = read_kinds(r, kinds, 8, &e);
	if (rc < 0)
		print_error("%s\n", e.msg);
	assert_int_equal(rc, 2);
	assert_int_equal(kinds[1], SCAP_REC_EVENT);
	scap_reader_close(r);
	sbuf_release(&b);
}

static void test_malformed_non_large_event_block_limit_plus_4(void **state)
{
	struct sbuf b;

	(void)state;
	sbuf_init(&b, 1 << 17);
	add_shb(&b);
	assert_int_equal(add_read_event_block(&b, 65530, 4), 65548);
	expect_refused(&b, 1, "non-LARGE", 28);
}

static void test_malformed_bad_magic(void **state)
{
	struct sbuf b;

	(void)state;
	sbuf_init(&b, 256);
	sbuf_puts(&b, "#!/bin/sh\necho this is not a capture\n");
	expect_refused(&b, 0, "not a scap capture", 0);
}

static void test_malformed_bad_byte_order_magic(void **state)
{
	struct sbuf b;
	uint32_t swapped = 0x4D3C2B1A;

	(void)state;
	sbuf_init(&b, 256);
	add_shb(&b);
	memcpy(b.data + 8, &swapped, 4);
	add_close_event(&b, 1);
	expect_refused(&b, 0, "bad byte-order magic", 0);
}

static void test_malformed_shb_major_version_2(void **state)
{
	struct sbuf b;
	uint16_t major = 2, minor = 0;

	(void)state;
	sbuf_init(&b, 256);
	add_shb(&b);
	memcpy(b.data + 12, &major, 2);
	memcpy(b.data + 14, &minor, 2);
	add_close_event(&b, 1);
	expect_refused(&b, 0, "version 2.0 is newer than 1.x", 0);
}

static void test_shb_minor_version_not_checked(void **state)
{
	struct sbuf b;
	struct err e = { { 0 } };
	uint16_t minor = 99;
	int kinds[4];
	struct scap_reader *r;

	(void)state;
	sbuf_init(&b, 256);
	add_shb(&b);
	memcpy(b.data + 14, &minor, 2);
	add_close_event(&b, 1);
	r = open_bytes(b.data, b.len, &e);
	assert_int_equal(read_kinds(r, kinds, 4, &e), 2);
	scap_reader_close(r);
	sbuf_release(&b);
}

static void test_unknown_metadata_block_is_skipped(void **state)
{
	struct sbuf b;
	struct err e = { { 0 } };
	struct scap_reader *r;
	struct scap_record rec;
	size_t at, mi_at, ev_at;

	(void)state;
	sbuf_init(&b, 512);
	add_shb(&b);
	at = blk_begin(&b, 0x12345678);
	sbuf_puts(&b, "some future metadata, 35 bytes long");
	blk_end(&b, at);
	mi_at = b.len;
	at = blk_begin(&b, SCAP_BT_MI);
	for (int i = 0; i < 180; i++)
		p8(&b, 0);
	blk_end(&b, at);
	at = blk_begin(&b, 0x8003ABCD);
	blk_end(&b, at); /* empty unknown block */
	ev_at = b.len;
	add_close_event(&b, 1);
	r = open_bytes(b.data, b.len, &e);
	assert_non_null(r);
	memset(&rec, 0, sizeof(rec));
	assert_int_equal(next_ok(r, &rec), SCAP_REC_SECTION);
	assert_int_equal(next_ok(r, &rec), SCAP_REC_MACHINE);
	assert_int_equal(rec.offset, mi_at);
	assert_int_equal(mi_at, 28 + 8 + 36 + 4);
	assert_int_equal(next_ok(r, &rec), SCAP_REC_EVENT);
	assert_int_equal(rec.offset, ev_at);
	assert_int_equal(ev_at, mi_at + 192 + 12);
	assert_int_equal(next_ok(r, &rec), SCAP_REC_EOF);
	scap_reader_close(r);
	sbuf_release(&b);
}

static void test_malformed_metadata_block_after_events(void **state)
{
	struct sbuf b;
	size_t at;

	(void)state;
	sbuf_init(&b, 512);
	add_shb(&b);
	add_close_event(&b, 1);
	at = blk_begin(&b, SCAP_BT_MI);
	for (int i = 0; i < 180; i++)
		p8(&b, 0);
	blk_end(&b, at);
	expect_refused(&b, 2, "after the first event", 28 + CLOSE_BLOCK_LEN);
}

static void test_malformed_no_events_in_file(void **state)
{
	struct sbuf b;
	size_t at;

	(void)state;
	sbuf_init(&b, 512);
	add_shb(&b);
	at = blk_begin(&b, SCAP_BT_MI);
	for (int i = 0; i < 180; i++)
		p8(&b, 0);
	blk_end(&b, at);
	expect_refused(&b, 2, "no events in file", -1);
}

static void test_malformed_empty_file(void **state)
{
	struct sbuf b;

	(void)state;
	sbuf_init(&b, 16);
	expect_refused(&b, 0, "empty file", -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_malformed_truncated_block_header),
		cmocka_unit_test(test_malformed_truncated_block_body),
		cmocka_unit_test(test_malformed_trailer_mismatch),
		cmocka_unit_test(test_malformed_length_not_multiple_of_4),
		cmocka_unit_test(test_malformed_length_below_12),
		cmocka_unit_test(test_malformed_shb_length_below_28),
		cmocka_unit_test(test_malformed_over_large_block_fails_fast),
		cmocka_unit_test(test_malformed_over_large_block_not_read),
		cmocka_unit_test(test_malformed_non_large_event_block_over_65536),
		cmocka_unit_test(test_non_large_event_block_at_limit_accepted),
		cmocka_unit_test(test_malformed_non_large_event_block_limit_plus_4),
		cmocka_unit_test(test_malformed_bad_magic),
		cmocka_unit_test(test_malformed_bad_byte_order_magic),
		cmocka_unit_test(test_malformed_shb_major_version_2),
		cmocka_unit_test(test_shb_minor_version_not_checked),
		cmocka_unit_test(test_unknown_metadata_block_is_skipped),
		cmocka_unit_test(test_malformed_metadata_block_after_events),
		cmocka_unit_test(test_malformed_no_events_in_file),
		cmocka_unit_test(test_malformed_empty_file),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
