/*
 * test_event: the event table of sysdig 0.29.3 (336 codes), lookups, the
 * zero-copy event parser and the %evt.args rendering of parameters
 * (docs/scap-format.md sections 7-8).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "../../src/event/event.h"
#include "../../src/scap/scap.h"

/* ------------------------------------------------------------ helpers */

/* A hand-built v2 event held in its own buffer, parsed in place. */
struct hev {
	struct sbuf buf;
	struct event ev;
};

static void hev_build(struct hev *h, uint16_t type, uint32_t n, const void *const *vals, const uint32_t *lens)
{
	struct err e = { { 0 } };
	uint32_t len;
	int rc;

	sbuf_init(&h->buf, 128);
	len = scap_encode_event(&h->buf, 1700000000000000000ULL, 4242, type, n, vals, lens);
	assert_int_equal(h->buf.len, len);
	memset(&h->ev, 0, sizeof(h->ev));
	rc = event_parse(&h->ev, (const uint8_t *)h->buf.data, h->buf.len, 2, &e);
	if (rc)
		print_error("event_parse: %s\n", e.msg);
	assert_int_equal(rc, 0);
}

static void hev_free(struct hev *h)
{
	sbuf_release(&h->buf);
}

/* The %evt.args text of a hand-built event, compared with `want`. */
static void expect_args(uint16_t type, uint32_t n, const void *const *vals, const uint32_t *lens,
                        const struct event_resolver *r, const char *want)
{
	struct hev h;
	struct sbuf out;

	hev_build(&h, type, n, vals, lens);
	sbuf_init(&out, 64);
	event_format_args(&h.ev, r, &out);
	sbuf_cstr(&out);
	hev_free(&h);
	if (strcmp(out.data, want) != 0)
		print_error("type %u: got \"%s\", want \"%s\"\n", type, out.data, want);
	assert_string_equal(out.data, want);
	sbuf_release(&out);
}

/* Parameter i rendered alone: value and resolution. */
static void expect_param(uint16_t type, uint32_t n, const void *const *vals, const uint32_t *lens, uint32_t i,
                         const char *want_val, const char *want_res)
{
	struct hev h;
	struct sbuf val, res;

	hev_build(&h, type, n, vals, lens);
	sbuf_init(&val, 64);
	sbuf_init(&res, 64);
	event_format_param(&h.ev, i, NULL, &val, &res);
	sbuf_cstr(&val);
	sbuf_cstr(&res);
	hev_free(&h);
	assert_string_equal(val.data, want_val);
	assert_string_equal(res.data, want_res);
	sbuf_release(&val);
	sbuf_release(&res);
}

/* ------------------------------------------------------------ the table */

static void test_table_has_336_entries(void **state)
{
	(void)state;
	assert_int_equal(EVENT_MAX, 336);
	assert_int_equal(ARRAY_SIZE(event_table), 336);
	assert_non_null(event_info_get(0));
	assert_non_null(event_info_get(335));
	assert_string_equal(event_info_get(335)->name, "clone3");
	assert_string_equal(event_info_get(334)->name, "clone3");
	assert_null(event_info_get(336));
	assert_null(event_info_get(UINT32_MAX));
	assert_string_equal(event_type_name(336), "unknown");
	for (uint32_t i = 0; i < EVENT_MAX; i++) {
		const struct event_info *info = event_info_get(i);

		assert_non_null(info->name);
		assert_true(info->nparams <= EVENT_MAX_PARAMS);
		assert_true(info->nparams == 0 || info->params != NULL);
		for (uint32_t k = 0; k < info->nparams; k++)
			assert_non_null(info->params[k].name);
	}
}

static void test_enter_exit_pairs_share_names(void **state)
{
	(void)state;
	/* even = enter, odd = exit = enter + 1, same syscall name */
	for (uint32_t i = 0; i < EVENT_MAX; i += 2) {
		assert_false(event_is_exit(i));
		assert_true(event_is_exit(i + 1));
		if ((event_table[i].flags | event_table[i + 1].flags) & EF_UNUSED)
			continue;
		assert_string_equal(event_table[i].name, event_table[i + 1].name);
	}
}

static void test_openat_306_307(void **state)
{
	const struct event_info *en = event_info_get(306), *ex = event_info_get(307);

	(void)state;
	assert_string_equal(en->name, "openat");
	assert_string_equal(ex->name, "openat");
	assert_false(event_is_exit(306));
	assert_true(event_is_exit(307));
	assert_int_equal(en->category, EC_FILE);
	assert_int_equal(en->flags, EF_CREATES_FD | EF_MODIFIES_STATE);
	assert_int_equal(ex->flags, EF_CREATES_FD | EF_MODIFIES_STATE);
	/* enter: dirfd, name, flags, mode */
	assert_int_equal(en->nparams, 4);
	assert_string_equal(en->params[0].name, "dirfd");
	assert_int_equal(en->params[0].type, PT_FD);
	assert_string_equal(en->params[1].name, "name");
	assert_int_equal(en->params[1].type, PT_FSRELPATH);
	assert_int_equal(en->params[1].dirfd, 0); /* relative to param 0, dirfd */
	assert_string_equal(en->params[2].name, "flags");
	assert_int_equal(en->params[2].type, PT_FLAGS32);
	assert_non_null(en->params[2].info);
	assert_string_equal(en->params[3].name, "mode");
	assert_int_equal(en->params[3].type, PT_UINT32);
	assert_int_equal(en->params[3].fmt, PF_OCT);
	/* exit: fd, dirfd, name, flags, mode, dev */
	assert_int_equal(ex->nparams, 6);
	assert_string_equal(ex->params[0].name, "fd");
	assert_int_equal(ex->params[0].type, PT_FD);
	assert_string_equal(ex->params[1].name, "dirfd");
	assert_string_equal(ex->params[2].name, "name");
	assert_int_equal(ex->params[2].type, PT_FSRELPATH);
	assert_int_equal(ex->params[2].dirfd, 1); /* relative to param 1, dirfd */
	assert_string_equal(ex->params[5].name, "dev");
	assert_int_equal(ex->params[5].type, PT_UINT32);
	assert_int_equal(ex->params[5].fmt, PF_HEX);
	assert_int_equal(event_len_width(306), 2);
	assert_int_equal(event_len_width(307), 2);
}

static void test_large_payload_322_324(void **state)
{
	(void)state;
	assert_string_equal(event_info_get(322)->name, "pluginevent");
	assert_string_equal(event_info_get(324)->name, "container");
	assert_true(event_info_get(322)->flags & EF_LARGE_PAYLOAD);
	assert_true(event_info_get(324)->flags & EF_LARGE_PAYLOAD);
	assert_int_equal(event_len_width(322), 4);
	assert_int_equal(event_len_width(324), 4);
	assert_int_equal(event_info_get(322)->nparams, 2);
	assert_int_equal(event_info_get(322)->params[1].type, PT_BYTEBUF);
	assert_int_equal(event_info_get(324)->nparams, 1);
	assert_int_equal(event_info_get(324)->params[0].type, PT_CHARBUF);
	/* in 0.29.3 only these two use u32 lengths */
	for (uint32_t i = 0; i < EVENT_MAX; i++)
		if (i != 322 && i != 324)
			assert_int_equal(event_len_width(i), 2);
	assert_int_equal(event_len_width(1000), 2);
}

static void test_generic_0_1(void **state)
{
	const struct event_info *en = event_info_get(0), *ex = event_info_get(1);

	(void)state;
	assert_string_equal(en->name, "syscall");
	assert_string_equal(ex->name, "syscall");
	assert_false(event_is_exit(0));
	assert_true(event_is_exit(1));
	assert_int_equal(en->nparams, 2);
	assert_string_equal(en->params[0].name, "ID");
	assert_int_equal(en->params[0].type, PT_SYSCALLID);
	assert_string_equal(en->params[1].name, "nativeID");
	assert_int_equal(en->params[1].type, PT_UINT16);
	assert_int_equal(ex->nparams, 1);
	assert_int_equal(ex->params[0].type, PT_SYSCALLID);
}

static void test_event_param_index(void **state)
{
	(void)state;
	assert_int_equal(event_param_index(307, "fd"), 0);
	assert_int_equal(event_param_index(307, "dirfd"), 1);
	assert_int_equal(event_param_index(307, "name"), 2);
	assert_int_equal(event_param_index(307, "dev"), 5);
	assert_int_equal(event_param_index(306, "name"), 1);
	assert_int_equal(event_param_index(293, "comm"), 13);
	assert_int_equal(event_param_index(293, "loginuid"), 18);
	assert_int_equal(event_param_index(307, "nope"), -1);
	assert_int_equal(event_param_index(307, "Name"), -1);
	assert_int_equal(event_param_index(222, "res"), -1); /* no parameters */
	assert_int_equal(event_param_index(336, "fd"), -1);
}

static void test_event_code_by_name(void **state)
{
	int c;

	(void)state;
	assert_int_equal(event_code_by_name("open"), 2);
	c = event_code_by_name("openat");
	assert_true(c >= 0 && c % 2 == 0);
	assert_string_equal(event_table[c].name, "openat");
	assert_int_equal(event_code_by_name("no-such-event"), -1);
}

static void test_errno_names(void **state)
{
	(void)state;
	assert_string_equal(event_errno_name(-2), "ENOENT");
	assert_string_equal(event_errno_name(2), "ENOENT");
	assert_string_equal(event_errno_name(-115), "EINPROGRESS");
	assert_string_equal(event_errno_name(-13), "EACCES");
	assert_null(event_errno_name(0));
	assert_null(event_errno_name(EVENT_ERRNO_MAX));
	assert_null(event_errno_name(-EVENT_ERRNO_MAX));
	assert_null(event_errno_name(INT64_MIN));
	assert_null(event_errno_name(INT64_MAX));
}

static void test_signal_names(void **state)
{
	(void)state;
	assert_string_equal(event_signal_name(9), "SIGKILL");
	assert_string_equal(event_signal_name(15), "SIGTERM");
	assert_string_equal(event_signal_name(17), "SIGCHLD");
	assert_null(event_signal_name(0));
	assert_null(event_signal_name(256));
	assert_null(event_signal_name(UINT32_MAX));
}

static void test_ptype_names(void **state)
{
	(void)state;
	assert_string_equal(event_ptype_name(PT_FSPATH), "FSPATH");
	assert_string_equal(event_ptype_name(PT_DYN), "DYNAMIC");
	assert_string_equal(event_ptype_name(PT_FSRELPATH), "FSRELPATH");
	assert_string_equal(event_ptype_name(PT_MODE), "MODE");
	assert_string_equal(event_ptype_name(200), "UNKNOWN");
}

/* ------------------------------------------------------------ the parser */

static const int64_t fd3 = 3, at_fdcwd = -100;
static const uint32_t oflags_1001 = 0x1001, mode0 = 0, dev803 = 0x803;
static const char etc_passwd[] = "/etc/passwd";

static void test_event_parse_v2(void **state)
{
	const void *v[] = { &fd3, &at_fdcwd, etc_passwd, &oflags_1001, &mode0, &dev803 };
	uint32_t l[] = { 8, 8, sizeof(etc_passwd), 4, 4, 4 };
	struct sbuf b;
	struct event ev;
	struct err e = { { 0 } };
	const uint8_t *p;
	uint32_t len = 26 + 6 * 2 + 8 + 8 + sizeof(etc_passwd) + 12;

	(void)state;
	sbuf_init(&b, 128);
	/* by hand: header, u16 lengths, values */
	{
		uint64_t ts = 1234567890123ULL;
		int64_t tid = 777;
		uint16_t type = 307;
		uint32_t np = 6;

		sbuf_put(&b, &ts, 8);
		sbuf_put(&b, &tid, 8);
		sbuf_put(&b, &len, 4);
		sbuf_put(&b, &type, 2);
		sbuf_put(&b, &np, 4);
		for (int i = 0; i < 6; i++) {
			uint16_t l16 = (uint16_t)l[i];

			sbuf_put(&b, &l16, 2);
		}
		for (int i = 0; i < 6; i++)
			sbuf_put(&b, v[i], l[i]);
	}
	assert_int_equal(b.len, len);
	sbuf_put(&b, "trailing", 8); /* bytes after the event are not part of it */
	p = (const uint8_t *)b.data;
	memset(&ev, 0, sizeof(ev));
	assert_int_equal(event_parse(&ev, p, b.len, 2, &e), 0);
	assert_true(ev.ts == 1234567890123ULL);
	assert_true(ev.tid == 777);
	assert_int_equal(ev.len, len);
	assert_int_equal(ev.type, 307);
	assert_int_equal(ev.nparams, 6);
	assert_int_equal(ev.nvals, 6);
	assert_int_equal(ev.version, 2);
	assert_ptr_equal(ev.raw, p);
	assert_int_equal(ev.raw_len, len);
	/* zero-copy: values point into the buffer, back to back after the lengths */
	assert_ptr_equal(ev.val[0], p + 26 + 12);
	for (int i = 1; i < 6; i++)
		assert_ptr_equal(ev.val[i], ev.val[i - 1] + l[i - 1]);
	for (int i = 0; i < 6; i++)
		assert_int_equal(ev.vlen[i], l[i]);
	assert_true(event_int(&ev, 0, 99) == 3);
	assert_true(event_int(&ev, 1, 99) == -100);
	assert_string_equal(event_str(&ev, 2, NULL), "/etc/passwd");
	assert_true(event_uint(&ev, 3, 0) == 0x1001);
	assert_true(event_uint(&ev, 5, 0) == 0x803);
	assert_true(event_has(&ev, 5));
	assert_false(event_has(&ev, 6));
	/* absent parameters and wrong sizes give the default */
	assert_true(event_int(&ev, 6, -7) == -7);
	assert_true(event_uint(&ev, 6, 42) == 42);
	assert_null(event_str(&ev, 6, NULL));
	assert_true(event_int(&ev, 2, -7) == -7); /* 12-byte string is no integer */
	assert_null(event_str(&ev, 1, NULL));     /* -100 as 8 bytes is not NUL-terminated */
	sbuf_release(&b);
}

static void test_event_parse_refuses_bad_lengths(void **state)
{
	const void *v[] = { &fd3, etc_passwd };
	uint32_t l[] = { 8, sizeof(etc_passwd) };
	struct sbuf b;
	struct event ev;
	struct err e = { { 0 } };
	uint32_t len, tmp;

	(void)state;
	sbuf_init(&b, 128);
	len = scap_encode_event(&b, 1, 2, 7, 2, v, l);
	/* header cut short */
	assert_true(event_parse(&ev, (const uint8_t *)b.data, 20, 2, &e) < 0);
	assert_non_null(strstr(e.msg, "header truncated"));
	/* len beyond the available bytes */
	assert_true(event_parse(&ev, (const uint8_t *)b.data, len - 1, 2, &e) < 0);
	assert_non_null(strstr(e.msg, "outside its block"));
	/* a parameter length past len */
	tmp = 200;
	memcpy(b.data + 26 + 2, &tmp, 2);
	assert_true(event_parse(&ev, (const uint8_t *)b.data, len, 2, &e) < 0);
	assert_non_null(strstr(e.msg, "runs past the event length"));
	/* nparams whose lengths alone do not fit */
	tmp = 1000;
	memcpy(b.data + 22, &tmp, 4);
	assert_true(event_parse(&ev, (const uint8_t *)b.data, len, 2, &e) < 0);
	assert_non_null(strstr(e.msg, "do not fit"));
	/* len below the header */
	tmp = 10;
	memcpy(b.data + 16, &tmp, 4);
	assert_true(event_parse(&ev, (const uint8_t *)b.data, len, 2, &e) < 0);
	sbuf_release(&b);
}

static void test_event_parse_keeps_first_32_params(void **state)
{
	const void *v[40];
	uint32_t l[40];
	uint8_t bytes[40];
	struct hev h;

	(void)state;
	for (int i = 0; i < 40; i++) {
		bytes[i] = (uint8_t)i;
		v[i] = &bytes[i];
		l[i] = 1;
	}
	hev_build(&h, 7, 40, v, l);
	assert_int_equal(h.ev.nparams, 40);
	assert_int_equal(h.ev.nvals, EVENT_MAX_PARAMS);
	for (int i = 0; i < EVENT_MAX_PARAMS; i++)
		assert_int_equal(h.ev.val[i][0], i);
	/* shown: min(file count, table count) */
	assert_int_equal(event_shown_params(&h.ev), 2);
	hev_free(&h);
}

static void test_event_parse_v1_reconstructs_nparams(void **state)
{
	struct sbuf b;
	struct event ev;
	struct err e = { { 0 } };
	uint64_t ts = 5;
	int64_t tid = 6;
	uint16_t type = 307, l16[6] = { 8, 8, sizeof(etc_passwd), 4, 4, 4 };
	const void *v[] = { &fd3, &at_fdcwd, etc_passwd, &oflags_1001, &mode0, &dev803 };
	uint32_t len = 22 + 12 + 8 + 8 + sizeof(etc_passwd) + 12;

	(void)state;
	sbuf_init(&b, 128);
	sbuf_put(&b, &ts, 8);
	sbuf_put(&b, &tid, 8);
	sbuf_put(&b, &len, 4);
	sbuf_put(&b, &type, 2);
	sbuf_put(&b, l16, sizeof(l16));
	for (int i = 0; i < 6; i++)
		sbuf_put(&b, v[i], l16[i]);
	assert_int_equal(event_parse(&ev, (const uint8_t *)b.data, b.len, 1, &e), 0);
	assert_int_equal(ev.version, 1);
	assert_int_equal(ev.nparams, 6);
	assert_int_equal(ev.len, len + 4);
	assert_int_equal(ev.raw_len, len);
	assert_string_equal(event_str(&ev, 2, NULL), "/etc/passwd");
	assert_true(event_uint(&ev, 5, 0) == 0x803);
	sbuf_release(&b);
}

/* ------------------------------------------------------------ formatting */

static void test_format_openat_flags_octal_hex(void **state)
{
	const void *v[] = { &fd3, &at_fdcwd, etc_passwd, &oflags_1001, &mode0, &dev803 };
	uint32_t l[] = { 8, 8, sizeof(etc_passwd), 4, 4, 4 };
	uint32_t f262 = 262, m666 = 0666;
	const void *v2[] = { &fd3, &at_fdcwd, etc_passwd, &f262, &m666, &dev803 };

	(void)state;
	expect_args(
	        307, 6, v, l, NULL,
	        "fd=3 dirfd=-100(AT_FDCWD) name=/etc/passwd flags=4097(O_RDONLY|O_CLOEXEC) mode=0 dev=803 ");
	expect_args(307, 6, v2, l, NULL,
	            "fd=3 dirfd=-100(AT_FDCWD) name=/etc/passwd flags=262(O_TRUNC|O_CREAT|O_WRONLY) "
	            "mode=0666 dev=803 ");
	/* the enter: dirfd, name, flags, mode */
	expect_args(306, 4, (const void *[]){ &at_fdcwd, etc_passwd, &f262, &m666 },
	            (const uint32_t[]){ 8, 12, 4, 4 }, NULL,
	            "dirfd=-100(AT_FDCWD) name=/etc/passwd flags=262(O_TRUNC|O_CREAT|O_WRONLY) mode=0666 ");
}

static void test_format_flags_exact_match_and_hex_upper(void **state)
{
	uint32_t rdwr = 3, dev = 0xfd01;
	int64_t neg = -2;
	const void *v[] = { &neg, &at_fdcwd, etc_passwd, &rdwr, &mode0, &dev };
	uint32_t l[] = { 8, 8, sizeof(etc_passwd), 4, 4, 4 };

	(void)state;
	/* a value equal to a table entry is that entry alone; a failed open's fd is an errno */
	expect_args(307, 6, v, l, NULL,
	            "fd=-2(ENOENT) dirfd=-100(AT_FDCWD) name=/etc/passwd flags=3(O_RDWR) mode=0 dev=FD01 ");
}

static void test_format_errno_res(void **state)
{
	int64_t res = -2, ok = 0, big = 1234;

	(void)state;
	expect_args(5, 1, (const void *[]){ &res }, (const uint32_t[]){ 8 }, NULL, "res=-2(ENOENT) ");
	expect_args(5, 1, (const void *[]){ &ok }, (const uint32_t[]){ 8 }, NULL, "res=0 ");
	expect_args(5, 1, (const void *[]){ &big }, (const uint32_t[]){ 8 }, NULL, "res=1234 ");
}

static void test_format_sockaddr_v4_v6_unix(void **state)
{
	static const uint8_t a4[7] = { 2, 127, 0, 0, 1, 80, 0 };
	static const uint8_t a6[19] = { 10, [16] = 1, 0x90, 0x1f }; /* ::1 port 8080 */
	static const char a_unix[] = "\x01/tmp/sock";

	(void)state;
	expect_args(22, 2, (const void *[]){ &fd3, a4 }, (const uint32_t[]){ 8, sizeof(a4) }, NULL,
	            "fd=3 addr=127.0.0.1:80 ");
	expect_args(22, 2, (const void *[]){ &fd3, a6 }, (const uint32_t[]){ 8, sizeof(a6) }, NULL,
	            "fd=3 addr=::1:8080 ");
	expect_args(22, 2, (const void *[]){ &fd3, a_unix }, (const uint32_t[]){ 8, sizeof(a_unix) }, NULL,
	            "fd=3 addr=/tmp/sock ");
	/* a 0-length sockaddr prints NULL */
	expect_args(22, 2, (const void *[]){ &fd3, "" }, (const uint32_t[]){ 8, 0 }, NULL, "fd=3 addr=NULL ");
}

static void test_format_socktuple_v4_v6_unix(void **state)
{
	/* section 8.1's example: 02 7f000001 58b8 7f000001 5000 */
	static const uint8_t t4[13] = { 2, 127, 0, 0, 1, 0x58, 0xb8, 127, 0, 0, 1, 0x50, 0x00 };
	static const uint8_t t6[37] = { 10,   0x20, 0x01, 0x0d, 0xb8,        [16] = 1, 0xe9, 0x14,
		                        0x2a, 0x00, 0x14, 0x50, [33] = 0x20, 0x0e,     0xbb, 0x01 };
	static const uint8_t t6m[37] = {
		10, [11] = 0xff, 0xff, 10, 0, 0, 1, 0x39, 0x30, [29] = 0xff, 0xff, 10, 0, 0, 2, 0x50, 0x00
	};
	uint8_t tu[18 + 12];
	uint64_t src = 0xffff888001234567ULL, dst = 0xffff888007654321ULL;
	int64_t res = 0, inprog = -115;

	(void)state;
	tu[0] = 1;
	memcpy(tu + 1, &src, 8);
	memcpy(tu + 9, &dst, 8);
	memcpy(tu + 17, "/run/x.sock", 12);
	expect_args(23, 2, (const void *[]){ &res, t4 }, (const uint32_t[]){ 8, sizeof(t4) }, NULL,
	            "res=0 tuple=127.0.0.1:47192->127.0.0.1:80 ");
	expect_args(23, 2, (const void *[]){ &inprog, t6 }, (const uint32_t[]){ 8, sizeof(t6) }, NULL,
	            "res=-115(EINPROGRESS) tuple=2001:db8::1:5353->2a00:1450::200e:443 ");
	/* both ends IPv4-mapped: printed as IPv4 */
	expect_args(23, 2, (const void *[]){ &res, t6m }, (const uint32_t[]){ 8, sizeof(t6m) }, NULL,
	            "res=0 tuple=10.0.0.1:12345->10.0.0.2:80 ");
	expect_args(23, 2, (const void *[]){ &res, tu }, (const uint32_t[]){ 8, sizeof(tu) }, NULL,
	            "res=0 tuple=ffff888001234567->ffff888007654321 /run/x.sock ");
}

static void test_format_bytebuf_nonprintables_and_cap(void **state)
{
	static const uint8_t data[] = { 'G', 'E', 'T', ' ', '/', '\r', '\n', 0, 0x7f, 0xff, 0x1b, 'x' };
	uint8_t big[100];
	char want[128];
	int64_t res = 12;
	struct event_resolver all = { .buf_cap = 0 };

	(void)state;
	expect_args(7, 2, (const void *[]){ &res, data }, (const uint32_t[]){ 8, sizeof(data) }, NULL,
	            "res=12 data=GET /......x ");
	for (int i = 0; i < 100; i++)
		big[i] = (uint8_t)('a' + i % 26);
	/* exactly 80 bytes: all shown */
	snprintf(want, sizeof(want), "res=12 data=%.80s ",
	         "abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyzab");
	expect_args(7, 2, (const void *[]){ &res, big }, (const uint32_t[]){ 8, 80 }, NULL, want);
	/* 81 and 100 bytes: 77 bytes and "..." (80 in all) */
	snprintf(want, sizeof(want), "res=12 data=%.77s... ",
	         "abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyz");
	expect_args(7, 2, (const void *[]){ &res, big }, (const uint32_t[]){ 8, 81 }, NULL, want);
	expect_args(7, 2, (const void *[]){ &res, big }, (const uint32_t[]){ 8, 100 }, NULL, want);
	/* buf_cap 0 (JSON): no cap */
	{
		struct hev h;
		struct sbuf out;

		hev_build(&h, 7, 2, (const void *[]){ &res, big }, (const uint32_t[]){ 8, 100 });
		sbuf_init(&out, 64);
		event_format_args(&h.ev, &all, &out);
		hev_free(&h);
		assert_int_equal(out.len, strlen("res=12 data=") + 100 + 1);
		sbuf_release(&out);
	}
}

static void test_format_empty_bytebuf_prints_nothing(void **state)
{
	int64_t res = 0;

	(void)state;
	expect_args(7, 2, (const void *[]){ &res, "" }, (const uint32_t[]){ 8, 0 }, NULL, "res=0 data= ");
	/* other empty parameters print NULL */
	expect_args(292, 1, (const void *[]){ "" }, (const uint32_t[]){ 0 }, NULL, "filename=NULL ");
}

static void test_format_generic_events_print_no_args(void **state)
{
	uint16_t id = 5, native = 2;
	struct hev h;
	struct sbuf out;

	(void)state;
	expect_args(0, 2, (const void *[]){ &id, &native }, (const uint32_t[]){ 2, 2 }, NULL, "");
	expect_args(1, 1, (const void *[]){ &id }, (const uint32_t[]){ 2 }, NULL, "");
	hev_build(&h, 0, 2, (const void *[]){ &id, &native }, (const uint32_t[]){ 2, 2 });
	assert_int_equal(event_shown_params(&h.ev), 0);
	sbuf_init(&out, 16);
	event_format_args(&h.ev, NULL, &out);
	assert_int_equal(out.len, 0);
	sbuf_release(&out);
	hev_free(&h);
}

static void test_format_syscallid(void **state)
{
	uint16_t open_id = 5, native = 2, bad = EVENT_SYSCALL_MAX;

	(void)state;
	expect_param(0, 2, (const void *[]){ &open_id, &native }, (const uint32_t[]){ 2, 2 }, 0, "5", "open");
	expect_param(1, 1, (const void *[]){ &bad }, (const uint32_t[]){ 2 }, 0, "<unknown syscall>", "");
}

static void test_format_sigtype(void **state)
{
	int64_t pid = 1234;
	uint8_t kill9 = 9, sig0 = 0;

	(void)state;
	expect_args(128, 2, (const void *[]){ &pid, &kill9 }, (const uint32_t[]){ 8, 1 }, NULL,
	            "pid=1234 sig=9(SIGKILL) ");
	expect_args(128, 2, (const void *[]){ &pid, &sig0 }, (const uint32_t[]){ 8, 1 }, NULL,
	            "pid=1234 sig=0 ");
}

static void test_format_mode_param_octal(void **state)
{
	int64_t res = 0;
	uint32_t m = 0666;
	static const char f[] = "/tmp/f";
	struct hev h;
	struct sbuf val, res_s;

	(void)state;
	/* chmod's mode is PT_MODE, printed in octal with the S_* bits resolved */
	expect_param(315, 3, (const void *[]){ &res, f, &m }, (const uint32_t[]){ 8, sizeof(f), 4 }, 2,
	             "0666", "S_IWOTH|S_IROTH|S_IWGRP|S_IRGRP|S_IWUSR|S_IRUSR");
	hev_build(&h, 315, 3, (const void *[]){ &res, f, &m }, (const uint32_t[]){ 8, sizeof(f), 4 });
	sbuf_init(&val, 16);
	sbuf_init(&res_s, 16);
	event_format_param(&h.ev, 1, NULL, &val, &res_s);
	sbuf_cstr(&val);
	assert_string_equal(val.data, "/tmp/f");
	sbuf_release(&val);
	sbuf_release(&res_s);
	hev_free(&h);
}

static void test_format_uid_without_user_table(void **state)
{
	uint32_t uid = 1000, none = UINT32_MAX;

	(void)state;
	expect_args(198, 1, (const void *[]){ &uid }, (const uint32_t[]){ 4 }, NULL, "uid=1000(<NA>) ");
	expect_args(198, 1, (const void *[]){ &none }, (const uint32_t[]){ 4 }, NULL, "uid=-1(<NONE>) ");
}

/* A resolver that knows fd 3 and joins paths against "/etc/". */
static bool r_fd(void *ctx, int64_t fd, struct sbuf *out)
{
	(void)ctx;
	if (fd != 3)
		return false;
	sbuf_puts(out, "<f>/etc/passwd");
	return true;
}
static const char *r_base(void *ctx, int64_t dirfd)
{
	(void)ctx;
	return dirfd == EVENT_AT_FDCWD ? "/etc/" : "/var/";
}
static void r_join(void *ctx, const char *dir, const char *path, struct sbuf *out)
{
	(void)ctx;
	if (path[0] != '/')
		sbuf_puts(out, dir);
	sbuf_puts(out, path);
}
/* A join that always differs from its input: shows whether a path was resolved at all. */
static void r_join_marked(void *ctx, const char *dir, const char *path, struct sbuf *out)
{
	(void)ctx;
	(void)dir;
	sbuf_printf(out, "joined:%s", path);
}

static const char *r_comm(void *ctx, int64_t tid)
{
	(void)ctx;
	return tid == 1234 ? "bash" : NULL;
}

static void test_format_with_resolver(void **state)
{
	struct event_resolver r = { .fd = r_fd,
		                    .base_dir = r_base,
		                    .join_path = r_join,
		                    .comm = r_comm,
		                    .buf_cap = EVENT_MAX_BUF_OUTPUT };
	static const char rel[] = "passwd";
	int64_t dir7 = 7, pid = 1234;
	uint8_t kill9 = 9;

	(void)state;
	expect_args(307, 6, (const void *[]){ &fd3, &at_fdcwd, rel, &oflags_1001, &mode0, &dev803 },
	            (const uint32_t[]){ 8, 8, sizeof(rel), 4, 4, 4 }, &r,
	            "fd=3(<f>/etc/passwd) dirfd=-100(AT_FDCWD) name=passwd(/etc/passwd) "
	            "flags=4097(O_RDONLY|O_CLOEXEC) mode=0 dev=803 ");
	/* FSRELPATH is resolved against its dirfd parameter (index 1 in 307) */
	expect_args(307, 6, (const void *[]){ &fd3, &dir7, rel, &oflags_1001, &mode0, &dev803 },
	            (const uint32_t[]){ 8, 8, sizeof(rel), 4, 4, 4 }, &r,
	            "fd=3(<f>/etc/passwd) dirfd=7 name=passwd(/var/passwd) flags=4097(O_RDONLY|O_CLOEXEC) "
	            "mode=0 dev=803 ");
	/* a resolution equal to the value is not repeated */
	expect_args(307, 6, (const void *[]){ &fd3, &at_fdcwd, etc_passwd, &oflags_1001, &mode0, &dev803 },
	            (const uint32_t[]){ 8, 8, sizeof(etc_passwd), 4, 4, 4 }, &r,
	            "fd=3(<f>/etc/passwd) dirfd=-100(AT_FDCWD) name=/etc/passwd "
	            "flags=4097(O_RDONLY|O_CLOEXEC) mode=0 dev=803 ");
	expect_args(128, 2, (const void *[]){ &pid, &kill9 }, (const uint32_t[]){ 8, 1 }, &r,
	            "pid=1234(bash) sig=9(SIGKILL) ");
	/* an absolute path is shown as given, even one that folds ("/a/../c"), as sysdig does */
	{
		static const char dotted[] = "/a/../c";
		struct event_resolver marked = r;

		marked.join_path = r_join_marked;
		expect_args(307, 6,
		            (const void *[]){ &fd3, &at_fdcwd, dotted, &oflags_1001, &mode0, &dev803 },
		            (const uint32_t[]){ 8, 8, sizeof(dotted), 4, 4, 4 }, &marked,
		            "fd=3(<f>/etc/passwd) dirfd=-100(AT_FDCWD) name=/a/../c "
		            "flags=4097(O_RDONLY|O_CLOEXEC) mode=0 dev=803 ");
	}
}

static void test_format_shows_min_of_file_and_table_params(void **state)
{
	int64_t res = 3, extra = 9;

	(void)state;
	/* read exit has 2 parameters in the table: a third is ignored, a missing one not shown */
	expect_args(7, 3, (const void *[]){ &res, "ab", &extra }, (const uint32_t[]){ 8, 2, 8 }, NULL,
	            "res=3 data=ab ");
	expect_args(7, 1, (const void *[]){ &res }, (const uint32_t[]){ 8 }, NULL, "res=3 ");
}

/* Native x86_64 numbers map to the drivers' events and PPM_SC codes (Appendix C). */
static void test_native_syscall_map(void **state)
{
	(void)state;
	assert_int_equal(event_natives[1].enter, 8); /* write */
	assert_int_equal(event_natives[1].exit, 9);
	assert_int_equal(event_natives[1].ppm_sc, 4);
	assert_int_equal(event_natives[59].enter, 292); /* execve */
	assert_int_equal(event_natives[435].exit, 335); /* clone3 */
	assert_int_equal(event_natives[175].enter, 0);  /* init_module: generic */
	assert_int_equal(event_natives[175].ppm_sc, 76);
	assert_string_equal(event_syscalls[event_natives[313].ppm_sc].name, "finit_module");
	assert_int_equal(event_natives[511].ppm_sc, 0); /* unknown */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_native_syscall_map),
		cmocka_unit_test(test_table_has_336_entries),
		cmocka_unit_test(test_enter_exit_pairs_share_names),
		cmocka_unit_test(test_openat_306_307),
		cmocka_unit_test(test_large_payload_322_324),
		cmocka_unit_test(test_generic_0_1),
		cmocka_unit_test(test_event_param_index),
		cmocka_unit_test(test_event_code_by_name),
		cmocka_unit_test(test_errno_names),
		cmocka_unit_test(test_signal_names),
		cmocka_unit_test(test_ptype_names),
		cmocka_unit_test(test_event_parse_v2),
		cmocka_unit_test(test_event_parse_refuses_bad_lengths),
		cmocka_unit_test(test_event_parse_keeps_first_32_params),
		cmocka_unit_test(test_event_parse_v1_reconstructs_nparams),
		cmocka_unit_test(test_format_openat_flags_octal_hex),
		cmocka_unit_test(test_format_flags_exact_match_and_hex_upper),
		cmocka_unit_test(test_format_errno_res),
		cmocka_unit_test(test_format_sockaddr_v4_v6_unix),
		cmocka_unit_test(test_format_socktuple_v4_v6_unix),
		cmocka_unit_test(test_format_bytebuf_nonprintables_and_cap),
		cmocka_unit_test(test_format_empty_bytebuf_prints_nothing),
		cmocka_unit_test(test_format_generic_events_print_no_args),
		cmocka_unit_test(test_format_syscallid),
		cmocka_unit_test(test_format_sigtype),
		cmocka_unit_test(test_format_mode_param_octal),
		cmocka_unit_test(test_format_uid_without_user_table),
		cmocka_unit_test(test_format_with_resolver),
		cmocka_unit_test(test_format_shows_min_of_file_and_table_params),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
