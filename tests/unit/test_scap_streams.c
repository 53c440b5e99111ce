/* test_scap_streams: gzip captures (cut, corrupt, many members), concatenated sections, SHB options. */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <zlib.h>

#include "scap_fixtures.h"
#include "scap_samples.h"

/* ------------------------------------------------------------------ gzip */

/* Deflate in to a gzip member; with flush_at > 0 the input is flushed
 * (Z_FULL_FLUSH) after flush_at bytes and the compressed size there is
 * returned in *flush_off. */
static void gz_member(struct sbuf *out, const void *in, size_t n, size_t flush_at, size_t *flush_off)
{
	z_stream zs;
	unsigned char buf[16384];
	size_t fed = 0;

	memset(&zs, 0, sizeof(zs));
	assert_int_equal(deflateInit2(&zs, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY), Z_OK);
	for (int phase = flush_at ? 0 : 1; phase < 2; phase++) {
		size_t upto = phase == 0 ? flush_at : n;
		int flush = phase == 0 ? Z_FULL_FLUSH : Z_FINISH;
		int rc;

		zs.next_in = (unsigned char *)in + fed;
		zs.avail_in = (unsigned)(upto - fed);
		do {
			zs.next_out = buf;
			zs.avail_out = sizeof(buf);
			rc = deflate(&zs, flush);
			assert_true(rc == Z_OK || rc == Z_STREAM_END || rc == Z_BUF_ERROR);
			sbuf_put(out, buf, sizeof(buf) - zs.avail_out);
		} while (zs.avail_out == 0 || (flush == Z_FINISH && rc != Z_STREAM_END));
		fed = upto;
		if (phase == 0 && flush_off)
			*flush_off = out->len;
	}
	deflateEnd(&zs);
}

/* A raw capture with many events (a few hundred KB). */
static void build_many_events(struct sbuf *b, int nevents)
{
	struct sbuf e;

	sbuf_init(&e, 256);
	add_shb(b);
	for (int i = 0; i < nevents; i++) {
		int64_t res = i;
		char data[200];
		const void *v[] = { &res, data };
		uint32_t l[] = { 8, (uint32_t)(i % 200) };
		uint32_t len;

		for (size_t k = 0; k < sizeof(data); k++)
			data[k] = (char)((i * 31 + (int)k * 17) & 0x7f);
		sbuf_reset(&e);
		len = scap_encode_event(&e, (uint64_t)i, 1000 + i % 7, 7, 2, v, l);
		add_event_block(b, SCAP_BT_EV_V2, (uint16_t)(i % 4), 0, e.data, len);
	}
	sbuf_release(&e);
}

static void test_gzip_truncated_mid_stream_refused(void **state)
{
	struct sbuf raw, z;
	char path[128];

	(void)state;
	sbuf_init(&raw, 1 << 16);
	sbuf_init(&z, 1 << 16);
	build_many_events(&raw, 2000);
	gz_member(&z, raw.data, raw.len, 0, NULL);
	tmp_path(path, sizeof(path), "trunc.scap.gz");
	for (int k = 1; k <= 9; k++) {
		struct err e = { { 0 } };
		struct scap_record rec;
		struct scap_reader *r;
		size_t cut = z.len * (size_t)k / 10;
		int rc, n = 0;

		write_file(path, z.data, cut);
		r = scap_reader_open(path, &e);
		assert_non_null(r);
		memset(&rec, 0, sizeof(rec));
		while ((rc = scap_reader_next(r, &rec, &e)) > 0)
			n++;
		if (rc >= 0)
			print_error("gzip cut at %zu of %zu bytes read as complete (%d records)\n", cut,
			            z.len, n);
		assert_true(rc < 0);
		assert_true(n < 2001);
		assert_true(strlen(e.msg) > 0);
		assert_non_null(strstr(e.msg, "offset"));
		scap_reader_close(r);
	}
	sbuf_release(&raw);
	sbuf_release(&z);
}

/* The stream cut right after a flush point that falls on a block boundary:
 * zlib reports "unexpected end of file", which must not pass for a clean end. */
static void test_gzip_truncated_at_block_boundary_refused(void **state)
{
	struct sbuf raw, z;
	struct err e = { { 0 } };
	char path[128];
	size_t flush_off = 0;
	int kinds[4];
	struct scap_reader *r;
	int rc;

	(void)state;
	sbuf_init(&raw, 1 << 16);
	sbuf_init(&z, 1 << 16);
	add_shb(&raw);
	add_close_event(&raw, 1);
	add_close_event(&raw, 2);
	add_close_event(&raw, 3);
	gz_member(&z, raw.data, raw.len, 28 + CLOSE_BLOCK_LEN, &flush_off);
	assert_true(flush_off > 0 && flush_off < z.len);
	tmp_path(path, sizeof(path), "trunc-boundary.scap.gz");
	write_file(path, z.data, flush_off);
	r = scap_reader_open(path, &e);
	assert_non_null(r);
	rc = read_kinds(r, kinds, 4, &e);
	if (rc >= 0)
		print_error("truncated gzip read as a complete capture of %d records\n", rc);
	assert_true(rc < 0);
	scap_reader_close(r);
	sbuf_release(&raw);
	sbuf_release(&z);
}

static void test_gzip_truncated_in_trailer_refused(void **state)
{
	struct sbuf raw, z;
	char path[128];

	(void)state;
	sbuf_init(&raw, 1 << 16);
	sbuf_init(&z, 1 << 16);
	build_many_events(&raw, 50);
	gz_member(&z, raw.data, raw.len, 0, NULL);
	tmp_path(path, sizeof(path), "trunc-trailer.scap.gz");
	/* drop 4 of the 8 trailer bytes (CRC32 + ISIZE): all data still inflates */
	write_file(path, z.data, z.len - 4);
	{
		struct err e = { { 0 } };
		int kinds[4];
		struct scap_reader *r = scap_reader_open(path, &e);
		int rc;

		assert_non_null(r);
		rc = read_kinds(r, kinds, 4, &e);
		if (rc >= 0)
			print_error("gzip without its trailer read as complete (%d records)\n", rc);
		assert_true(rc < 0);
		scap_reader_close(r);
	}
	sbuf_release(&raw);
	sbuf_release(&z);
}

static void test_gzip_corrupt_data_refused(void **state)
{
	struct sbuf raw, z;
	struct err e = { { 0 } };
	char path[128];
	int kinds[4];
	struct scap_reader *r;
	int rc;

	(void)state;
	sbuf_init(&raw, 1 << 16);
	sbuf_init(&z, 1 << 16);
	build_many_events(&raw, 500);
	gz_member(&z, raw.data, raw.len, 0, NULL);
	/* flip the stored CRC32: inflate reports "incorrect data check" */
	z.data[z.len - 8] ^= 0x55;
	tmp_path(path, sizeof(path), "crc.scap.gz");
	write_file(path, z.data, z.len);
	r = scap_reader_open(path, &e);
	assert_non_null(r);
	rc = read_kinds(r, kinds, 4, &e);
	assert_true(rc < 0);
	assert_non_null(strstr(e.msg, "gzip error"));
	scap_reader_close(r);
	sbuf_release(&raw);
	sbuf_release(&z);
}

static void test_gzip_concatenated_members_read_fully(void **state)
{
	struct sbuf raw, z;
	char path[128];
	struct err e = { { 0 } };
	struct scap_reader *r;
	struct scap_record rec;
	size_t cut;
	int n = 0, rc;

	(void)state;
	sbuf_init(&raw, 1 << 16);
	sbuf_init(&z, 1 << 16);
	build_many_events(&raw, 300);
	/* the member boundary falls in the middle of a block */
	cut = raw.len / 2 + 3;
	gz_member(&z, raw.data, cut, 0, NULL);
	gz_member(&z, raw.data + cut, raw.len - cut, 0, NULL);
	tmp_path(path, sizeof(path), "members.scap.gz");
	write_file(path, z.data, z.len);
	r = scap_reader_open(path, &e);
	assert_non_null(r);
	memset(&rec, 0, sizeof(rec));
	while ((rc = scap_reader_next(r, &rec, &e)) > 0) {
		if (rc == SCAP_REC_EVENT) {
			assert_true(rec.ev.ts == (uint64_t)n);
			assert_int_equal(rec.ev.vlen[1], n % 200);
			n++;
		}
	}
	if (rc < 0)
		print_error("%s\n", e.msg);
	assert_int_equal(rc, SCAP_REC_EOF);
	assert_int_equal(n, 300);
	assert_true(scap_reader_offset(r) == raw.len);
	scap_reader_close(r);
	sbuf_release(&raw);
	sbuf_release(&z);
}

static void test_two_concatenated_sections_read_fully(void **state)
{
	char a[128], b2[128];
	struct sbuf b, x;
	struct err e = { { 0 } };
	struct scap_reader *r;
	struct scap_record rec;
	struct tev evs[NSAMPLE_EVENTS];
	uint64_t second;

	(void)state;
	tmp_path(a, sizeof(a), "sec-a.scap");
	tmp_path(b2, sizeof(b2), "sec-b.scap");
	write_sample(a, false, W_ALL);
	write_sample(b2, false, W_MI | W_PL);
	sbuf_init(&b, 4096);
	sbuf_init(&x, 4096);
	read_whole(a, &b);
	second = b.len;
	read_whole(b2, &x);
	sbuf_put(&b, x.data, x.len); /* cat a.scap b.scap */
	sample_events(evs);
	r = open_bytes(b.data, b.len, &e);
	assert_non_null(r);
	memset(&rec, 0, sizeof(rec));
	assert_int_equal(next_ok(r, &rec), SCAP_REC_SECTION);
	assert_int_equal(next_ok(r, &rec), SCAP_REC_MACHINE);
	assert_int_equal(next_ok(r, &rec), SCAP_REC_IFACES);
	assert_int_equal(next_ok(r, &rec), SCAP_REC_USERS);
	assert_int_equal(next_ok(r, &rec), SCAP_REC_PROCS);
	assert_int_equal(next_ok(r, &rec), SCAP_REC_FDS);
	for (int i = 0; i < NSAMPLE_EVENTS; i++) {
		assert_int_equal(next_ok(r, &rec), SCAP_REC_EVENT);
		tev_check(&rec, &evs[i], SCAP_BT_EV_V2);
	}
	/* the second section: its own metadata after the first one's events */
	assert_int_equal(next_ok(r, &rec), SCAP_REC_SECTION);
	assert_true(rec.offset == second);
	assert_int_equal(next_ok(r, &rec), SCAP_REC_MACHINE);
	check_machine(&rec);
	assert_int_equal(next_ok(r, &rec), SCAP_REC_PROCS);
	check_procs(&rec);
	for (int i = 0; i < NSAMPLE_EVENTS; i++) {
		assert_int_equal(next_ok(r, &rec), SCAP_REC_EVENT);
		tev_check(&rec, &evs[i], SCAP_BT_EV_V2);
	}
	assert_int_equal(next_ok(r, &rec), SCAP_REC_EOF);
	scap_reader_close(r);
	sbuf_release(&b);
	sbuf_release(&x);
}

/* ------------------------------------------------------- SHB options */

static void test_shb_with_pcapng_options_is_read(void **state)
{
	struct sbuf b;
	struct err e = { { 0 } };
	struct scap_reader *r;
	struct scap_record rec;
	size_t at;

	(void)state;
	sbuf_init(&b, 512);
	at = blk_begin(&b, SCAP_BT_SHB);
	p32(&b, SCAP_SHB_MAGIC);
	p16(&b, 1);
	p16(&b, 2);
	p64(&b, UINT64_MAX);
	p16(&b, 1); /* opt_comment */
	p16(&b, 13);
	sbuf_put(&b, "edited by me\0\0\0", 16);
	p16(&b, 4); /* shb_userappl */
	p16(&b, 7);
	sbuf_put(&b, "editcap\0", 8);
	p16(&b, 0); /* opt_endofopt */
	p16(&b, 0);
	blk_end(&b, at);
	assert_int_equal(load_u32(b.data + 4), 64);
	add_close_event(&b, 1);
	r = open_bytes(b.data, b.len, &e);
	assert_non_null(r);
	memset(&rec, 0, sizeof(rec));
	assert_int_equal(next_ok(r, &rec), SCAP_REC_SECTION);
	assert_int_equal(next_ok(r, &rec), SCAP_REC_EVENT);
	assert_int_equal(rec.offset, 64);
	assert_int_equal(rec.ev.type, 5);
	assert_int_equal(next_ok(r, &rec), SCAP_REC_EOF);
	scap_reader_close(r);
	sbuf_release(&b);
}

static const char *testdata_dir(void)
{
	return env_or("SYSREC_TESTDATA", "../shared/testdata");
}

/* The shared capture rewritten by editcap (116-byte SHB with options). */
static void test_shared_capture_with_shb_options(void **state)
{
	char path[512], plain[512];
	struct err e = { { 0 } };
	struct scap_reader *r;
	struct scap_record rec;
	int rc, nev = 0, nplain = 0;

	(void)state;
	snprintf(path, sizeof(path), "%s/scap/curl_google_comments.scap", testdata_dir());
	snprintf(plain, sizeof(plain), "%s/scap/curl_google.scap", testdata_dir());
	if (access(path, R_OK) != 0 || access(plain, R_OK) != 0) {
		fprintf(stderr,
		        "test_scap_streams: SKIP: shared capture %s not found (set SYSREC_TESTDATA)\n", path);
		skip();
	}
	r = open_ok(path);
	memset(&rec, 0, sizeof(rec));
	assert_int_equal(next_ok(r, &rec), SCAP_REC_SECTION);
	while ((rc = scap_reader_next(r, &rec, &e)) > 0)
		nev += rc == SCAP_REC_EVENT;
	if (rc < 0)
		print_error("%s\n", e.msg);
	assert_int_equal(rc, SCAP_REC_EOF);
	scap_reader_close(r);
	r = open_ok(plain);
	while ((rc = scap_reader_next(r, &rec, &e)) > 0)
		nplain += rc == SCAP_REC_EVENT;
	assert_int_equal(rc, SCAP_REC_EOF);
	scap_reader_close(r);
	assert_true(nev > 0);
	assert_int_equal(nev, nplain);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_gzip_truncated_mid_stream_refused),
		cmocka_unit_test(test_gzip_truncated_at_block_boundary_refused),
		cmocka_unit_test(test_gzip_truncated_in_trailer_refused),
		cmocka_unit_test(test_gzip_corrupt_data_refused),
		cmocka_unit_test(test_gzip_concatenated_members_read_fully),
		cmocka_unit_test(test_two_concatenated_sections_read_fully),
		cmocka_unit_test(test_shb_with_pcapng_options_is_read),
		cmocka_unit_test(test_shared_capture_with_shb_options),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
