/* test_scap_entries: bad events and metadata entries refused, naming defect and offset. */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "scap_fixtures.h"

static void test_malformed_event_too_many_params(void **state)
{
	struct sbuf b, e;
	const void *v[EVENT_MAX_PARAMS + 1];
	uint32_t l[EVENT_MAX_PARAMS + 1];
	uint32_t len;

	(void)state;
	for (int i = 0; i <= EVENT_MAX_PARAMS; i++) {
		v[i] = "";
		l[i] = 0;
	}
	sbuf_init(&b, 512);
	sbuf_init(&e, 256);
	add_shb(&b);
	len = scap_encode_event(&e, 1, 1, 5, EVENT_MAX_PARAMS + 1, v, l);
	add_event_block(&b, SCAP_BT_EV_V2, 0, 0, e.data, len);
	sbuf_release(&e);
	expect_refused(&b, 1, "33 parameters, more than any event of the table", 28);
}

static void test_malformed_param_lengths_past_event_length(void **state)
{
	struct sbuf b, e;
	int64_t res = 0;
	const void *v[] = { &res, "abcd" };
	uint32_t l[] = { 8, 4 };
	uint32_t len;
	uint16_t big = 100;

	(void)state;
	sbuf_init(&b, 512);
	sbuf_init(&e, 256);
	add_shb(&b);
	len = scap_encode_event(&e, 1, 1, 7, 2, v, l);
	memcpy(e.data + 26 + 2, &big, 2); /* data claims 100 bytes, 4 are there */
	add_event_block(&b, SCAP_BT_EV_V2, 0, 0, e.data, len);
	sbuf_release(&e);
	expect_refused(&b, 1, "parameter 1 length 100 runs past the event length", 28);
}

static void test_malformed_event_length_past_block(void **state)
{
	struct sbuf b, e;
	int64_t res = 0;
	const void *v[] = { &res };
	uint32_t l[] = { 8 };
	uint32_t len, big = 4000;

	(void)state;
	sbuf_init(&b, 512);
	sbuf_init(&e, 256);
	add_shb(&b);
	len = scap_encode_event(&e, 1, 1, 5, 1, v, l);
	memcpy(e.data + 16, &big, 4);
	add_event_block(&b, SCAP_BT_EV_V2, 0, 0, e.data, len);
	sbuf_release(&e);
	expect_refused(&b, 1, "event length 4000 outside its block", 28);
}

/* A PL_V9 entry with every mandatory field, args of args_len bytes. */
static void put_v9_entry(struct sbuf *b, size_t args_len)
{
	size_t ent = b->len;
	uint32_t l;

	p32(b, 0);
	for (int i = 0; i < 5; i++)
		p64(b, 100);
	pstr(b, "sh");
	pstr(b, "/bin/sh");
	pstr(b, "/bin/sh");
	p16(b, (uint16_t)args_len);
	for (size_t i = 0; i < args_len; i++)
		p8(b, i % 8 == 7 ? 0 : 'a');
	pstr(b, "/");
	p64(b, 1024);
	for (int i = 0; i < 6; i++)
		p32(b, 0);
	p64(b, 0);
	p64(b, 0);
	pstr(b, "");
	p64(b, 100);
	p64(b, 100);
	pstr(b, "");
	pstr(b, "/");
	p32(b, 0);
	p8(b, 0);
	l = (uint32_t)(b->len - ent);
	memcpy(b->data + ent, &l, 4);
}

static void test_malformed_pl_args_len_4097(void **state)
{
	struct sbuf b;
	size_t at;

	(void)state;
	sbuf_init(&b, 16384);
	add_shb(&b);
	at = blk_begin(&b, SCAP_BT_PL_V9);
	put_v9_entry(&b, 4096); /* at the limit: fine */
	put_v9_entry(&b, 4097);
	blk_end(&b, at);
	add_close_event(&b, 1);
	expect_refused(&b, 1, "invalid argslen 4097", 28);
}

static void test_pl_args_len_4096_accepted(void **state)
{
	struct sbuf b;
	struct err e = { { 0 } };
	struct scap_reader *r;
	struct scap_record rec;
	size_t at;

	(void)state;
	sbuf_init(&b, 16384);
	add_shb(&b);
	at = blk_begin(&b, SCAP_BT_PL_V9);
	put_v9_entry(&b, 4096);
	blk_end(&b, at);
	add_close_event(&b, 1);
	r = open_bytes(b.data, b.len, &e);
	assert_non_null(r);
	memset(&rec, 0, sizeof(rec));
	assert_int_equal(next_ok(r, &rec), SCAP_REC_SECTION);
	assert_int_equal(next_ok(r, &rec), SCAP_REC_PROCS);
	assert_int_equal(rec.procs[0].args_len, 4096);
	assert_int_equal(rec.procs[0].loginuid, 0);
	scap_reader_close(r);
	sbuf_release(&b);
}

static void test_malformed_pl_entry_shorter_than_fields(void **state)
{
	struct sbuf b;
	size_t at;
	uint32_t shortlen;

	(void)state;
	sbuf_init(&b, 1024);
	add_shb(&b);
	at = blk_begin(&b, SCAP_BT_PL_V9);
	put_v9_entry(&b, 8);
	/* entry_len ends the entry inside the mandatory fields (before root) */
	shortlen = load_u32(b.data + at + 8) - 10;
	memcpy(b.data + at + 8, &shortlen, 4);
	blk_end(&b, at);
	add_close_event(&b, 1);
	expect_refused(&b, 1, "truncated process entry", 28);
}

static void put_ul_user(struct sbuf *b, size_t namelen)
{
	size_t ent = b->len;
	uint32_t l;

	p32(b, 0);
	p8(b, 0);
	p32(b, 1000);
	p32(b, 1000);
	p16(b, (uint16_t)namelen);
	for (size_t i = 0; i < namelen; i++)
		p8(b, 'u');
	pstr(b, "/home/u");
	pstr(b, "/bin/sh");
	l = (uint32_t)(b->len - ent);
	memcpy(b->data + ent, &l, 4);
}

static void test_malformed_ul_name_len_256(void **state)
{
	struct sbuf b;
	size_t at;

	(void)state;
	sbuf_init(&b, 2048);
	add_shb(&b);
	at = blk_begin(&b, SCAP_BT_UL_V2);
	put_ul_user(&b, 255); /* at the limit: fine */
	put_ul_user(&b, 256);
	blk_end(&b, at);
	add_close_event(&b, 1);
	expect_refused(&b, 1, "invalid user name len 256", 28);
}

static void test_malformed_il_unknown_interface_type(void **state)
{
	struct sbuf b;
	size_t at, ent;
	uint32_t l;

	(void)state;
	sbuf_init(&b, 512);
	add_shb(&b);
	at = blk_begin(&b, SCAP_BT_IL_V2);
	ent = b.len;
	p32(&b, 0);
	p16(&b, 7);
	p16(&b, 2);
	for (int i = 0; i < 12 + 8; i++)
		p8(&b, 0);
	sbuf_put(&b, "lo", 2);
	l = (uint32_t)(b.len - ent - 4); /* IL_V2 lengths exclude themselves */
	memcpy(b.data + ent, &l, 4);
	blk_end(&b, at);
	add_close_event(&b, 1);
	expect_refused(&b, 1, "unknown interface type 7", 28);
}

static void put_fd_entry(struct sbuf *b, bool v2, uint8_t type)
{
	size_t ent = b->len;
	uint32_t l;

	if (v2)
		p32(b, 0);
	p64(b, 3);
	p64(b, 77);
	p8(b, type);
	pstr(b, "anon_inode:[x]");
	if (v2) {
		l = (uint32_t)(b->len - ent);
		memcpy(b->data + ent, &l, 4);
	}
}

static void test_malformed_fdl_unknown_fd_type(void **state)
{
	struct sbuf b;
	size_t at;

	(void)state;
	sbuf_init(&b, 512);
	add_shb(&b);
	at = blk_begin(&b, SCAP_BT_FDL_V2);
	p64(&b, 100);
	put_fd_entry(&b, true, SCAP_FD_EVENT);
	put_fd_entry(&b, true, 22);
	blk_end(&b, at);
	add_close_event(&b, 1);
	expect_refused(&b, 1, "wrong fd type 22", 28);

	/* fd type 17 (bpf) is unknown to the v1 layout, as to sysdig 0.29.3 */
	sbuf_init(&b, 512);
	add_shb(&b);
	at = blk_begin(&b, SCAP_BT_FDL);
	p64(&b, 100);
	put_fd_entry(&b, false, SCAP_FD_EVENT);
	put_fd_entry(&b, false, 17);
	blk_end(&b, at);
	add_close_event(&b, 1);
	expect_refused(&b, 1, "wrong fd type 17", 28);
}

static void test_event_with_unknown_type_is_skipped(void **state)
{
	struct sbuf b, e;
	struct err er = { { 0 } };
	struct scap_reader *r;
	struct scap_record rec;
	uint32_t len;

	(void)state;
	sbuf_init(&b, 512);
	sbuf_init(&e, 64);
	add_shb(&b);
	len = scap_encode_event(&e, 1, 1, 400, 0, NULL, NULL); /* HEAD-only code */
	add_event_block(&b, SCAP_BT_EV_V2, 0, 0, e.data, len);
	add_close_event(&b, 2);
	r = open_bytes(b.data, b.len, &er);
	assert_non_null(r);
	memset(&rec, 0, sizeof(rec));
	assert_int_equal(next_ok(r, &rec), SCAP_REC_SECTION);
	assert_int_equal(next_ok(r, &rec), SCAP_REC_EVENT);
	assert_int_equal(rec.ev.type, 5);
	assert_true(rec.ev.ts == 2);
	assert_int_equal(next_ok(r, &rec), SCAP_REC_EOF);
	scap_reader_close(r);
	sbuf_release(&b);
	sbuf_release(&e);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_malformed_event_too_many_params),
		cmocka_unit_test(test_malformed_param_lengths_past_event_length),
		cmocka_unit_test(test_malformed_event_length_past_block),
		cmocka_unit_test(test_malformed_pl_args_len_4097),
		cmocka_unit_test(test_pl_args_len_4096_accepted),
		cmocka_unit_test(test_malformed_pl_entry_shorter_than_fields),
		cmocka_unit_test(test_malformed_ul_name_len_256),
		cmocka_unit_test(test_malformed_il_unknown_interface_type),
		cmocka_unit_test(test_malformed_fdl_unknown_fd_type),
		cmocka_unit_test(test_event_with_unknown_type_is_skipped),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
