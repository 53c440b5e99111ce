/* test_scap_roundtrip: every block the .scap writer emits reads back field by field; its limits. */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <zlib.h>

#include "scap_fixtures.h"
#include "scap_samples.h"

/* Write the sample blocks `what` to a temp file and check every field reads back. */
static void roundtrip(const char *name, bool gzip, unsigned what)
{
	char path[128];

	tmp_path(path, sizeof(path), name);
	write_sample(path, gzip, what);
	check_sample(path, what);
}

static void test_roundtrip_shb(void **state)
{
	char path[128];
	struct sbuf b;
	static const uint8_t want[28] = { 0x0a, 0x0d, 0x0d, 0x0a, 28, 0, 0,    0,    0x4d, 0x3c,
		                          0x2b, 0x1a, 1,    0,    2,  0, 0xff, 0xff, 0xff, 0xff,
		                          0xff, 0xff, 0xff, 0xff, 28, 0, 0,    0 };

	(void)state;
	tmp_path(path, sizeof(path), "shb.scap");
	write_sample(path, false, 0);
	sbuf_init(&b, 1024);
	read_whole(path, &b);
	assert_true(b.len > 28);
	assert_memory_equal(b.data, want, 28); /* exactly the 28-byte SHB of section 1.3 */
	sbuf_release(&b);
	check_sample(path, 0);
}

static void test_roundtrip_machine_info(void **state)
{
	char path[128];
	struct sbuf b;

	(void)state;
	tmp_path(path, sizeof(path), "mi.scap");
	write_sample(path, false, W_MI);
	sbuf_init(&b, 1024);
	read_whole(path, &b);
	/* MI: type 0x201, total 192 (180-byte body) right after the SHB */
	assert_int_equal(load_u32(b.data + 28), SCAP_BT_MI);
	assert_int_equal(load_u32(b.data + 32), 192);
	assert_int_equal(load_u32(b.data + 28 + 188), 192);
	sbuf_release(&b);
	check_sample(path, W_MI);
}

static void test_roundtrip_il_v2_ipv4_ipv6(void **state)
{
	(void)state;
	roundtrip("il.scap", false, W_IL);
}

static void test_roundtrip_ul_v2_users_groups(void **state)
{
	(void)state;
	roundtrip("ul.scap", false, W_UL);
}

static void test_roundtrip_pl_v9_caps_and_nul_lists(void **state)
{
	(void)state;
	roundtrip("pl.scap", false, W_PL);
}

static void test_roundtrip_pl_v9_tail_sizes(void **state)
{
	char path[128];
	struct sbuf b;
	struct scap_proc p[NPROCS];
	struct scap_writer *w;
	uint32_t e0, e1;
	size_t off;

	(void)state;
	/* the entries carry the 5-byte tail, and the 29-byte tail with capabilities */
	tmp_path(path, sizeof(path), "pltail.scap");
	sample_procs(p);
	w = open_writer(path, false);
	scap_writer_section(w);
	scap_writer_procs(w, p, NPROCS);
	close_writer_ok(w);
	sbuf_init(&b, 1024);
	read_whole(path, &b);
	assert_int_equal(load_u32(b.data + 28), SCAP_BT_PL_V9);
	off = 28 + 8;
	e0 = load_u32(b.data + off);
	e1 = load_u32(b.data + off + e0);
	/* entry_len includes itself: fixed part + strings + lists + tail */
	assert_int_equal(e0, 4 + 5 * 8 + 2 + 7 + 2 + 10 + 2 + 24 + 2 + (sizeof(p0_args) - 1) + 2 + 1 + 8 +
	                             4 * 3 + 4 * 3 + 8 * 2 + 2 + (sizeof(p0_env) - 1) + 8 * 2 + 2 +
	                             (sizeof(p0_cg) - 1) + 2 + 1 + 5);
	assert_int_equal(e1, 4 + 5 * 8 + 2 + 4 + 2 + 4 + 2 + 13 + 2 + (sizeof(p1_args) - 1) + 2 + 11 + 8 +
	                             4 * 3 + 4 * 3 + 8 * 2 + 2 + (sizeof(p1_env) - 1) + 8 * 2 + 2 +
	                             (sizeof(p1_cg) - 1) + 2 + 11 + 29);
	sbuf_release(&b);
}

static void test_roundtrip_fdl_v2_every_fd_type(void **state)
{
	(void)state;
	roundtrip("fdl.scap", false, W_FDL);
}

static void test_roundtrip_all_blocks_raw(void **state)
{
	char path[128];
	DIR *d;
	struct dirent *de;

	(void)state;
	tmp_path(path, sizeof(path), "all.scap");
	write_sample(path, false, W_ALL);
	check_sample(path, W_ALL);
	/* the temporary "<path>.tmp-<pid>" was renamed away */
	d = opendir(g_dir);
	assert_non_null(d);
	while ((de = readdir(d)) != NULL)
		assert_null(strstr(de->d_name, ".tmp-"));
	closedir(d);
}

static void test_roundtrip_ev_v2(void **state)
{
	char path[128];

	(void)state;
	/* check_sample asserts each event block is EV_V2 with every field intact */
	tmp_path(path, sizeof(path), "ev.scap");
	write_sample(path, false, 0);
	check_sample(path, 0);
}

static void test_roundtrip_evf_v2_dump_flags(void **state)
{
	char path[128];
	struct scap_writer *w;
	struct scap_reader *r;
	struct scap_record rec;
	struct tev evs[NSAMPLE_EVENTS];
	static const uint32_t flags[] = { 1, 2, 0, 0x80000001u };

	(void)state;
	tmp_path(path, sizeof(path), "evf.scap");
	sample_events(evs);
	w = open_writer(path, false);
	scap_writer_section(w);
	for (int i = 0; i < 4; i++) {
		evs[i].flags = flags[i];
		tev_write(w, &evs[i]);
	}
	close_writer_ok(w);
	r = open_ok(path);
	memset(&rec, 0, sizeof(rec));
	assert_int_equal(next_ok(r, &rec), SCAP_REC_SECTION);
	for (int i = 0; i < 4; i++) {
		assert_int_equal(next_ok(r, &rec), SCAP_REC_EVENT);
		tev_check(&rec, &evs[i], flags[i] ? SCAP_BT_EVF_V2 : SCAP_BT_EV_V2);
	}
	assert_int_equal(next_ok(r, &rec), SCAP_REC_EOF);
	scap_reader_close(r);
}

static void test_roundtrip_ev_v2_large(void **state)
{
	static const char json[] = "{\"container\":{\"id\":\"0123456789ab\",\"name\":\"web\","
	                           "\"image\":\"nginx:latest\",\"type\":0}}";
	char path[128];
	struct scap_writer *w;
	struct scap_reader *r;
	struct scap_record rec;
	uint8_t *big = malloc(100000), *io = malloc(65500);
	uint32_t plugin = 999;
	int64_t res = 65500;
	struct tev t[5];

	(void)state;
	assert_non_null(big);
	assert_non_null(io);
	for (size_t i = 0; i < 100000; i++)
		big[i] = (uint8_t)(i * 7 + 3);
	for (size_t i = 0; i < 65500; i++)
		io[i] = (uint8_t)(i ^ 0x5a);
	memset(t, 0, sizeof(t));
	/* 324 container: EF_LARGE_PAYLOAD, u32 lengths, small */
	t[0] = (struct tev){
		.ts = 10, .tid = -1, .type = 324, .cpu = 0, .n = 1, .vals = { json }, .lens = { sizeof(json) }
	};
	/* 322 plugin event over 65536 bytes */
	t[1] = (struct tev){ .ts = 11,
		             .tid = 7,
		             .type = 322,
		             .cpu = 1,
		             .n = 2,
		             .vals = { &plugin, big },
		             .lens = { 4, 100000 } };
	/* the same with dump flags: EVF_V2_LARGE */
	t[2] = t[1];
	t[2].ts = 12;
	t[2].flags = 1;
	/* a u16-length event (read exit) whose block would exceed 65536 bytes */
	t[3] = (struct tev){
		.ts = 13, .tid = 7, .type = 7, .cpu = 2, .n = 2, .vals = { &res, io }, .lens = { 8, 65500 }
	};
	/* a 324 event with dump flags */
	t[4] = t[0];
	t[4].ts = 14;
	t[4].flags = 1;
	tmp_path(path, sizeof(path), "large.scap");
	w = open_writer(path, false);
	scap_writer_section(w);
	for (int i = 0; i < 5; i++)
		tev_write(w, &t[i]);
	close_writer_ok(w);

	r = open_ok(path);
	memset(&rec, 0, sizeof(rec));
	assert_int_equal(next_ok(r, &rec), SCAP_REC_SECTION);
	assert_int_equal(next_ok(r, &rec), SCAP_REC_EVENT);
	tev_check(&rec, &t[0], SCAP_BT_EV_V2_LARGE);
	assert_int_equal(load_u32(rec.ev.raw + 26), sizeof(json)); /* u32 length */
	assert_int_equal(rec.ev.len, 26 + 4 + sizeof(json));
	assert_int_equal(next_ok(r, &rec), SCAP_REC_EVENT);
	tev_check(&rec, &t[1], SCAP_BT_EV_V2_LARGE);
	assert_int_equal(rec.ev.len, 26 + 8 + 4 + 100000);
	assert_int_equal(next_ok(r, &rec), SCAP_REC_EVENT);
	tev_check(&rec, &t[2], SCAP_BT_EVF_V2_LARGE);
	assert_int_equal(next_ok(r, &rec), SCAP_REC_EVENT);
	tev_check(&rec, &t[3], SCAP_BT_EV_V2_LARGE);
	assert_int_equal(rec.ev.len, 26 + 4 + 8 + 65500);
	assert_int_equal(next_ok(r, &rec), SCAP_REC_EVENT);
	tev_check(&rec, &t[4], SCAP_BT_EVF_V2_LARGE);
	assert_int_equal(next_ok(r, &rec), SCAP_REC_EOF);
	scap_reader_close(r);
	free(big);
	free(io);
}

/*
 * Section 7.1: for non-LARGE blocks block_total_length - 8 must be <= 65536.
 * Events just below/above the limit, with and without dump flags, must be
 * written either as a non-LARGE block within the limit or as a LARGE block.
 */
static void test_writer_non_large_blocks_stay_within_limit(void **state)
{
	char path[128];
	struct scap_writer *w;
	struct sbuf b;
	uint8_t *io = calloc(1, 65536);
	int64_t res = 1;
	size_t off;
	int bad = 0, nblocks = 0;
	bool framing_ok = true;

	(void)state;
	assert_non_null(io);
	tmp_path(path, sizeof(path), "limit.scap");
	w = open_writer(path, false);
	scap_writer_section(w);
	for (uint32_t len = 65520; len <= 65540; len++) {
		for (uint32_t fl = 0; fl <= 1; fl++) {
			struct tev t = { .ts = len,
				         .tid = 1,
				         .type = 7,
				         .cpu = 0,
				         .flags = fl,
				         .n = 2,
				         .vals = { &res, io },
				         .lens = { 8, len - 26 - 4 - 8 } };

			tev_write(w, &t);
		}
	}
	close_writer_ok(w);
	free(io);
	sbuf_init(&b, 1 << 20);
	read_whole(path, &b);
	for (off = 28; off + 8 <= b.len;) {
		uint32_t bt = load_u32(b.data + off), blen = load_u32(b.data + off + 4);
		bool flags = bt == SCAP_BT_EVF_V2 || bt == SCAP_BT_EVF_V2_LARGE;

		if (blen < 32 || off + blen > b.len) {
			framing_ok = false;
			break;
		}
		if ((bt == SCAP_BT_EV_V2 || bt == SCAP_BT_EVF_V2) && blen - 8 > 65536) {
			print_error("event len %u written as non-LARGE block 0x%x of %u bytes (%u > 65536)\n",
			            load_u32(b.data + off + 8 + (flags ? 6 : 2) + 16), bt, blen, blen - 8);
			bad++;
		}
		nblocks++;
		off += blen;
	}
	framing_ok = framing_ok && off == b.len;
	sbuf_release(&b);
	assert_true(framing_ok);
	assert_int_equal(nblocks, 2 * 21);
	assert_int_equal(bad, 0);
}

static void test_roundtrip_gzip(void **state)
{
	char raw[128], gzp[128];
	struct sbuf a, z, u;
	gzFile g;
	char buf[4096];
	int n;

	(void)state;
	tmp_path(raw, sizeof(raw), "cmp.scap");
	tmp_path(gzp, sizeof(gzp), "all.scap.gz");
	write_sample(raw, false, W_ALL);
	write_sample(gzp, true, W_ALL);
	sbuf_init(&a, 4096);
	sbuf_init(&z, 4096);
	sbuf_init(&u, 4096);
	read_whole(raw, &a);
	read_whole(gzp, &z);
	/* a gzip stream whose content is byte for byte the raw capture */
	assert_true(z.len > 2);
	assert_int_equal((uint8_t)z.data[0], 0x1f);
	assert_int_equal((uint8_t)z.data[1], 0x8b);
	g = gzopen(gzp, "rb");
	assert_non_null(g);
	assert_int_equal(gzdirect(g), 0);
	while ((n = gzread(g, buf, sizeof(buf))) > 0)
		sbuf_put(&u, buf, (size_t)n);
	assert_int_equal(n, 0);
	gzclose(g);
	assert_int_equal(u.len, a.len);
	assert_memory_equal(u.data, a.data, a.len);
	sbuf_release(&a);
	sbuf_release(&z);
	sbuf_release(&u);
	check_sample(gzp, W_ALL);
}

static void test_writer_truncates_overlong_strings(void **state)
{
	char path[128];
	struct scap_writer *w;
	struct scap_reader *r;
	struct scap_record rec;
	struct scap_proc p[NPROCS];
	char *args = malloc(5000), *comm = malloc(2000);
	struct scap_fd f = { .fd = 3, .type = SCAP_FD_FILE_V2, .ino = 1 };
	struct scap_user u = { .uid = 1, .gid = 1 };

	(void)state;
	assert_non_null(args);
	assert_non_null(comm);
	memset(args, 'a', 5000);
	memset(comm, 'c', 1999);
	comm[1999] = 0;
	sample_procs(p);
	p[0].args = args;
	p[0].args_len = 5000;
	p[0].comm = comm;
	f.name = comm;
	u.name = comm;
	tmp_path(path, sizeof(path), "trunc.scap");
	w = open_writer(path, false);
	scap_writer_section(w);
	scap_writer_users(w, &u, 1, NULL, 0);
	scap_writer_procs(w, p, 1);
	scap_writer_fds(w, 1, &f, 1);
	close_writer_ok(w);
	/* readers refuse longer strings, so the writer cuts them to the limit */
	r = open_ok(path);
	memset(&rec, 0, sizeof(rec));
	assert_int_equal(next_ok(r, &rec), SCAP_REC_SECTION);
	assert_int_equal(next_ok(r, &rec), SCAP_REC_USERS);
	assert_int_equal(strlen(rec.users[0].name), 255);
	assert_int_equal(next_ok(r, &rec), SCAP_REC_PROCS);
	assert_int_equal(rec.procs[0].args_len, 4096);
	assert_int_equal(strlen(rec.procs[0].comm), 1024);
	assert_int_equal(next_ok(r, &rec), SCAP_REC_FDS);
	assert_int_equal(strlen(rec.fds[0].name), 1023);
	scap_reader_close(r);
	free(args);
	free(comm);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_roundtrip_shb),
		cmocka_unit_test(test_roundtrip_machine_info),
		cmocka_unit_test(test_roundtrip_il_v2_ipv4_ipv6),
		cmocka_unit_test(test_roundtrip_ul_v2_users_groups),
		cmocka_unit_test(test_roundtrip_pl_v9_caps_and_nul_lists),
		cmocka_unit_test(test_roundtrip_pl_v9_tail_sizes),
		cmocka_unit_test(test_roundtrip_fdl_v2_every_fd_type),
		cmocka_unit_test(test_roundtrip_ev_v2),
		cmocka_unit_test(test_roundtrip_evf_v2_dump_flags),
		cmocka_unit_test(test_roundtrip_ev_v2_large),
		cmocka_unit_test(test_roundtrip_all_blocks_raw),
		cmocka_unit_test(test_roundtrip_gzip),
		cmocka_unit_test(test_writer_truncates_overlong_strings),
		cmocka_unit_test(test_writer_non_large_blocks_stay_within_limit),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
