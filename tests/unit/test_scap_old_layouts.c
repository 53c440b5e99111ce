/* test_scap_old_layouts: v1 event blocks and PL_V1..V8 read as the table says; v1 written as v2. */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "scap_fixtures.h"
#include "scap_samples.h"

/* A v1 event: 22-byte header (no nparams), u16 lengths, values. */
static uint32_t encode_v1(struct sbuf *b, uint64_t ts, int64_t tid, uint16_t type, uint32_t n,
                          const void *const *vals, const uint32_t *lens)
{
	uint32_t len = EVENT_HDR_V1 + 2 * n;

	for (uint32_t i = 0; i < n; i++)
		len += lens[i];
	p64(b, ts);
	p64(b, (uint64_t)tid);
	p32(b, len);
	p16(b, type);
	for (uint32_t i = 0; i < n; i++)
		p16(b, (uint16_t)lens[i]);
	for (uint32_t i = 0; i < n; i++)
		sbuf_put(b, vals[i], lens[i]);
	return len;
}

static void test_read_v1_event_block_reconstructs_nparams(void **state)
{
	struct sbuf b, e;
	struct err er = { { 0 } };
	struct scap_reader *r;
	struct scap_record rec;
	static const char name[] = "/tmp/x";
	int64_t fd = 5, dirfd = -100;
	uint32_t flags = 0x106, mode = 0644, dev = 0x803;
	const void *v307[] = { &fd, &dirfd, name, &flags, &mode, &dev };
	uint32_t l307[] = { 8, 8, sizeof(name), 4, 4, 4 };
	const void *v3[] = { &fd, name, &flags, &mode };
	uint32_t l3[] = { 8, sizeof(name), 4, 4 };
	uint32_t len307, len3, len5;
	int64_t res = -9;
	const void *v5[] = { &res };
	uint32_t l5[] = { 8 };

	(void)state;
	sbuf_init(&b, 1024);
	sbuf_init(&e, 256);
	add_shb(&b);
	/* openat exit with the table's 6 parameters in an EV (0x204) block */
	len307 = encode_v1(&e, 100, 42, 307, 6, v307, l307);
	add_event_block(&b, SCAP_BT_EV, 7, 0, e.data, len307);
	/* open exit with 4 of the table's 5 parameters (an older driver) */
	sbuf_reset(&e);
	len3 = encode_v1(&e, 101, 42, 3, 4, v3, l3);
	add_event_block(&b, SCAP_BT_EV_ALT, 1, 0, e.data, len3);
	/* close exit in an EVF (0x208) block with dump flags */
	sbuf_reset(&e);
	len5 = encode_v1(&e, 102, 42, 5, 1, v5, l5);
	add_event_block(&b, SCAP_BT_EVF, 2, 1, e.data, len5);

	r = open_bytes(b.data, b.len, &er);
	assert_non_null(r);
	memset(&rec, 0, sizeof(rec));
	assert_int_equal(next_ok(r, &rec), SCAP_REC_SECTION);

	assert_int_equal(next_ok(r, &rec), SCAP_REC_EVENT);
	assert_int_equal(rec.block_type, SCAP_BT_EV);
	assert_int_equal(rec.ev.version, 1);
	assert_int_equal(rec.ev.type, 307);
	assert_int_equal(rec.ev.cpu, 7);
	assert_true(rec.ev.ts == 100);
	assert_true(rec.ev.tid == 42);
	assert_int_equal(rec.ev.nparams, 6);
	assert_int_equal(rec.ev.len, len307 + 4); /* as if it had a v2 header */
	assert_int_equal(rec.ev.raw_len, len307);
	for (int i = 0; i < 6; i++) {
		assert_int_equal(rec.ev.vlen[i], l307[i]);
		assert_memory_equal(rec.ev.val[i], v307[i], l307[i]);
	}

	assert_int_equal(next_ok(r, &rec), SCAP_REC_EVENT);
	assert_int_equal(rec.block_type, SCAP_BT_EV_ALT);
	assert_int_equal(rec.ev.type, 3);
	assert_int_equal(rec.ev.nparams, 4);
	assert_int_equal(rec.ev.len, len3 + 4);
	assert_string_equal(event_str(&rec.ev, 1, NULL), name);
	assert_int_equal(event_uint(&rec.ev, 3, 0), 0644);

	assert_int_equal(next_ok(r, &rec), SCAP_REC_EVENT);
	assert_int_equal(rec.block_type, SCAP_BT_EVF);
	assert_int_equal(rec.ev.dump_flags, 1);
	assert_int_equal(rec.ev.nparams, 1);
	assert_true(event_int(&rec.ev, 0, 0) == -9);
	assert_int_equal(next_ok(r, &rec), SCAP_REC_EOF);
	scap_reader_close(r);
	sbuf_release(&b);
	sbuf_release(&e);
}

static void test_writer_converts_v1_event_to_v2(void **state)
{
	char path[128];
	struct sbuf b, e;
	struct err er = { { 0 } };
	struct scap_reader *r;
	struct scap_writer *w;
	struct scap_record rec;
	static const char name[] = "/tmp/y";
	int64_t fd = 5, dirfd = -100;
	uint32_t flags = 1, mode = 0, dev = 0x10;
	const void *v[] = { &fd, &dirfd, name, &flags, &mode, &dev };
	uint32_t l[] = { 8, 8, sizeof(name), 4, 4, 4 };
	uint32_t len;

	(void)state;
	sbuf_init(&b, 1024);
	sbuf_init(&e, 256);
	add_shb(&b);
	len = encode_v1(&e, 200, 43, 307, 6, v, l);
	add_event_block(&b, SCAP_BT_EV, 4, 0, e.data, len);
	add_event_block(&b, SCAP_BT_EVF, 5, 1, e.data, len);
	tmp_path(path, sizeof(path), "v1conv.scap");
	w = open_writer(path, false);
	scap_writer_section(w);
	r = open_bytes(b.data, b.len, &er);
	assert_non_null(r);
	memset(&rec, 0, sizeof(rec));
	assert_int_equal(next_ok(r, &rec), SCAP_REC_SECTION);
	assert_int_equal(next_ok(r, &rec), SCAP_REC_EVENT);
	scap_writer_event(w, &rec.ev);
	assert_int_equal(next_ok(r, &rec), SCAP_REC_EVENT);
	scap_writer_event(w, &rec.ev);
	scap_reader_close(r);
	close_writer_ok(w);

	{
		struct tev t = { .ts = 200,
			         .tid = 43,
			         .type = 307,
			         .cpu = 4,
			         .n = 6,
			         .vals = { v[0], v[1], v[2], v[3], v[4], v[5] },
			         .lens = { l[0], l[1], l[2], l[3], l[4], l[5] } };

		r = open_ok(path);
		assert_int_equal(next_ok(r, &rec), SCAP_REC_SECTION);
		assert_int_equal(next_ok(r, &rec), SCAP_REC_EVENT);
		tev_check(&rec, &t, SCAP_BT_EV_V2);
		assert_int_equal(next_ok(r, &rec), SCAP_REC_EVENT);
		t.cpu = 5;
		t.flags = 1;
		tev_check(&rec, &t, SCAP_BT_EVF_V2);
		assert_int_equal(next_ok(r, &rec), SCAP_REC_EOF);
		scap_reader_close(r);
	}
	sbuf_release(&b);
	sbuf_release(&e);
}

/* One process entry in the fixed layout of PL version v (section 5.2). */
static void put_old_proc(struct sbuf *b, int v, const struct scap_proc *p)
{
	p64(b, p->tid);
	p64(b, p->pid);
	p64(b, p->ptid);
	if (v >= 6)
		p64(b, p->sid);
	if (v >= 8)
		p64(b, p->vpgid);
	pstr(b, p->comm);
	pstr(b, p->exe);
	if (v >= 7)
		pstr(b, p->exepath);
	plstr(b, p->args, p->args_len);
	pstr(b, p->cwd);
	p64(b, (uint64_t)p->fdlimit);
	p32(b, p->flags);
	p32(b, p->uid);
	p32(b, p->gid);
	if (v >= 2) {
		p32(b, p->vmsize_kb);
		p32(b, p->vmrss_kb);
		p32(b, p->vmswap_kb);
		p64(b, p->pfmajor);
		p64(b, p->pfminor);
	}
	if (v >= 3)
		plstr(b, p->env, p->env_len);
	if (v >= 4) {
		p64(b, (uint64_t)p->vtid);
		p64(b, (uint64_t)p->vpid);
		plstr(b, p->cgroups, p->cgroups_len);
	}
	if (v >= 5)
		pstr(b, p->root);
}

/* The sample procs as a version-v reader sees them (fields it lacks take defaults). */
static void expect_old_proc(struct scap_proc *w, int v)
{
	if (v < 6)
		w->sid = (uint64_t)-1;
	if (v < 8)
		w->vpgid = (uint64_t)-1;
	if (v < 7)
		w->exepath = (char *)"";
	if (v < 2) {
		w->vmsize_kb = w->vmrss_kb = w->vmswap_kb = 0;
		w->pfmajor = w->pfminor = 0;
	}
	if (v < 3) {
		w->env = (char *)"";
		w->env_len = 0;
	}
	if (v < 4) {
		w->vtid = w->vpid = -1;
		w->cgroups = (char *)"";
		w->cgroups_len = 0;
	}
	if (v < 5)
		w->root = (char *)"";
	w->loginuid = UINT32_MAX;
	w->exe_writable = 0;
	w->has_caps = false;
	w->cap_inheritable = w->cap_permitted = w->cap_effective = 0;
}

static void test_read_old_pl_versions(void **state)
{
	static const struct {
		uint32_t bt;
		int v;
	} vers[] = {
		{ SCAP_BT_PL_V1, 1 }, { SCAP_BT_PL_V2_ALT, 2 }, { SCAP_BT_PL_V3, 3 }, { SCAP_BT_PL_V4, 4 },
		{ SCAP_BT_PL_V5, 5 }, { SCAP_BT_PL_V6, 6 },     { SCAP_BT_PL_V7, 7 }, { SCAP_BT_PL_V8, 8 },
	};

	(void)state;
	for (size_t k = 0; k < ARRAY_SIZE(vers); k++) {
		struct sbuf b;
		struct err e = { { 0 } };
		struct scap_reader *r;
		struct scap_record rec;
		struct scap_proc p[NPROCS], want[NPROCS];
		size_t at;

		sample_procs(p);
		sample_procs(want);
		sbuf_init(&b, 1024);
		add_shb(&b);
		at = blk_begin(&b, vers[k].bt);
		for (int i = 0; i < NPROCS; i++) /* two entries: the second starts where the first ends */
			put_old_proc(&b, vers[k].v, &p[i]);
		blk_end(&b, at);
		add_close_event(&b, 1);
		r = open_bytes(b.data, b.len, &e);
		assert_non_null(r);
		memset(&rec, 0, sizeof(rec));
		assert_int_equal(next_ok(r, &rec), SCAP_REC_SECTION);
		assert_int_equal(next_ok(r, &rec), SCAP_REC_PROCS);
		assert_int_equal(rec.block_type, vers[k].bt);
		assert_int_equal(rec.nprocs, NPROCS);
		for (int i = 0; i < NPROCS; i++) {
			expect_old_proc(&want[i], vers[k].v);
			check_proc(&rec.procs[i], &want[i]);
		}
		assert_int_equal(next_ok(r, &rec), SCAP_REC_EVENT);
		assert_int_equal(next_ok(r, &rec), SCAP_REC_EOF);
		scap_reader_close(r);
		sbuf_release(&b);
	}
}

static void test_read_pl_v9_newer_76_byte_tail(void **state)
{
	struct sbuf b;
	struct err e = { { 0 } };
	struct scap_reader *r;
	struct scap_record rec;
	struct scap_proc p[NPROCS];
	size_t at, ent;

	(void)state;
	/* libs >= 0.10 tail: pidns_init_start_ts, tty, loginuid, exe_writable, caps, ... (5.3) */
	sample_procs(p);
	sbuf_init(&b, 1024);
	add_shb(&b);
	at = blk_begin(&b, SCAP_BT_PL_V9);
	ent = b.len;
	p32(&b, 0);
	p64(&b, p[1].tid);
	p64(&b, p[1].pid);
	p64(&b, p[1].ptid);
	p64(&b, p[1].sid);
	p64(&b, p[1].vpgid);
	pstr(&b, p[1].comm);
	pstr(&b, p[1].exe);
	pstr(&b, p[1].exepath);
	plstr(&b, p[1].args, p[1].args_len);
	pstr(&b, p[1].cwd);
	p64(&b, (uint64_t)p[1].fdlimit);
	p32(&b, p[1].flags);
	p32(&b, p[1].uid);
	p32(&b, p[1].gid);
	p32(&b, p[1].vmsize_kb);
	p32(&b, p[1].vmrss_kb);
	p32(&b, p[1].vmswap_kb);
	p64(&b, p[1].pfmajor);
	p64(&b, p[1].pfminor);
	plstr(&b, p[1].env, p[1].env_len);
	p64(&b, (uint64_t)p[1].vtid);
	p64(&b, (uint64_t)p[1].vpid);
	plstr(&b, p[1].cgroups, p[1].cgroups_len);
	pstr(&b, p[1].root);
	p64(&b, 123456789); /* pidns_init_start_ts */
	p32(&b, 34816);     /* tty */
	p32(&b, 1234);      /* loginuid */
	p8(&b, 1);          /* exe_writable */
	p64(&b, 1);         /* cap_inheritable */
	p64(&b, 2);         /* cap_permitted */
	p64(&b, 3);         /* cap_effective */
	p8(&b, 0);          /* exe_upper_layer */
	p64(&b, 0);         /* exe_ino */
	p64(&b, 0);         /* exe_ino_ctime */
	p64(&b, 0);         /* exe_ino_mtime */
	p8(&b, 0);          /* exe_from_memfd */
	p8(&b, 0);          /* exe_lower_layer */
	p64(&b, 0);         /* pgid */
	{
		uint32_t l = (uint32_t)(b.len - ent);

		memcpy(b.data + ent, &l, 4);
	}
	blk_end(&b, at);
	add_close_event(&b, 1);
	r = open_bytes(b.data, b.len, &e);
	assert_non_null(r);
	memset(&rec, 0, sizeof(rec));
	assert_int_equal(next_ok(r, &rec), SCAP_REC_SECTION);
	assert_int_equal(next_ok(r, &rec), SCAP_REC_PROCS);
	assert_int_equal(rec.nprocs, 1);
	assert_string_equal(rec.procs[0].root, p[1].root);
	assert_int_equal(rec.procs[0].loginuid, 1234);
	assert_int_equal(rec.procs[0].exe_writable, 1);
	assert_true(rec.procs[0].has_caps);
	assert_true(rec.procs[0].cap_permitted == 2);
	assert_true(rec.procs[0].cap_effective == 3);
	assert_int_equal(next_ok(r, &rec), SCAP_REC_EVENT);
	assert_int_equal(next_ok(r, &rec), SCAP_REC_EOF);
	scap_reader_close(r);
	sbuf_release(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_writer_converts_v1_event_to_v2),
		cmocka_unit_test(test_read_v1_event_block_reconstructs_nparams),
		cmocka_unit_test(test_read_old_pl_versions),
		cmocka_unit_test(test_read_pl_v9_newer_76_byte_tail),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
