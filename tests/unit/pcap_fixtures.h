/* pcap_fixtures.h: for the pcapng tests: a temp directory, pcapng bytes by hand in either byte order,
 * readers. */

#ifndef SYSREC_TESTS_PCAP_FIXTURES_H
#define SYSREC_TESTS_PCAP_FIXTURES_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../src/pcap/pcap.h"

/* ----------------------------------------------------------- temp directory */

#include "tmpdir_fixture.h"

/* ------------------------------------------- bytes by hand, in either order */

/* A pcapng image being built: each number in the section's byte order. */
struct img {
	struct sbuf b;
	bool be;
};

static inline void img_init(struct img *m, bool be)
{
	sbuf_init(&m->b, 1024);
	m->be = be;
}

static inline void w16(struct img *m, uint16_t v)
{
	if (m->be)
		v = __builtin_bswap16(v);
	sbuf_put(&m->b, &v, 2);
}
static inline void w32(struct img *m, uint32_t v)
{
	if (m->be)
		v = __builtin_bswap32(v);
	sbuf_put(&m->b, &v, 4);
}
static inline void w64(struct img *m, uint64_t v)
{
	if (m->be)
		v = __builtin_bswap64(v);
	sbuf_put(&m->b, &v, 8);
}
static inline void wpad(struct img *m)
{
	static const char zeros[4];

	sbuf_put(&m->b, zeros, (4 - m->b.len % 4) % 4);
}

/* Start a block (at a 4-byte boundary); returns its offset for blk_end(). */
static inline size_t blk_begin(struct img *m, uint32_t type)
{
	size_t at = m->b.len;

	w32(m, type);
	w32(m, 0);
	return at;
}

/* Pad, patch the leading length, append the trailing one. */
static inline void blk_end(struct img *m, size_t at)
{
	uint32_t total;

	wpad(m);
	total = (uint32_t)(m->b.len - at + 4);
	w32(m, total);
	if (m->be)
		total = __builtin_bswap32(total);
	memcpy(m->b.data + at + 4, &total, 4);
}

static inline void opt_raw(struct img *m, uint16_t code, const void *p, uint16_t len)
{
	w16(m, code);
	w16(m, len);
	sbuf_put(&m->b, p, len);
	wpad(m);
}
static inline void opt_s(struct img *m, uint16_t code, const char *s)
{
	opt_raw(m, code, s, (uint16_t)strlen(s));
}
static inline void opt_32(struct img *m, uint16_t code, uint32_t v)
{
	w16(m, code);
	w16(m, 4);
	w32(m, v);
}
static inline void opt_64(struct img *m, uint16_t code, uint64_t v)
{
	w16(m, code);
	w16(m, 8);
	w64(m, v);
}
/* sysrec's owner option: our PEN in the section's order, then text */
static inline void opt_owner_text(struct img *m, uint32_t pen, const char *text)
{
	w16(m, PCAP_OPT_CUSTOM_STR);
	w16(m, (uint16_t)(4 + strlen(text)));
	w32(m, pen);
	sbuf_put(&m->b, text, strlen(text));
	wpad(m);
}
static inline void opt_endofopt(struct img *m)
{
	w32(m, 0);
}

static inline size_t add_shb_v(struct img *m, uint16_t major, uint16_t minor, const char *appl)
{
	size_t at = blk_begin(m, PCAP_BT_SHB);

	w32(m, PCAP_BYTE_ORDER_MAGIC);
	w16(m, major);
	w16(m, minor);
	w64(m, UINT64_MAX);
	if (appl) {
		opt_s(m, PCAP_OPT_SHB_USERAPPL, appl);
		opt_endofopt(m);
	}
	blk_end(m, at);
	return at;
}
static inline size_t add_shb(struct img *m)
{
	return add_shb_v(m, 1, 0, NULL);
}

/* An IDB; tsresol < 0 leaves if_tsresol out (microseconds). */
static inline size_t add_idb(struct img *m, uint16_t linktype, uint32_t snaplen, const char *name,
                             int tsresol)
{
	size_t at = blk_begin(m, PCAP_BT_IDB);
	uint8_t r = (uint8_t)tsresol;

	w16(m, linktype);
	w16(m, 0);
	w32(m, snaplen);
	if (name)
		opt_s(m, PCAP_OPT_IF_NAME, name);
	if (tsresol >= 0)
		opt_raw(m, PCAP_OPT_IF_TSRESOL, &r, 1);
	if (name || tsresol >= 0)
		opt_endofopt(m);
	blk_end(m, at);
	return at;
}

/* The fixed part and data of an EPB; the caller adds options and blk_end(). */
static inline size_t epb_begin(struct img *m, uint32_t iface, uint64_t ts, const void *data, uint32_t caplen,
                               uint32_t origlen)
{
	size_t at = blk_begin(m, PCAP_BT_EPB);

	w32(m, iface);
	w32(m, (uint32_t)(ts >> 32));
	w32(m, (uint32_t)ts);
	w32(m, caplen);
	w32(m, origlen);
	sbuf_put(&m->b, data, caplen);
	wpad(m);
	return at;
}

static inline size_t add_epb(struct img *m, uint32_t iface, uint64_t ts, const void *data, uint32_t len)
{
	size_t at = epb_begin(m, iface, ts, data, len, len);

	blk_end(m, at);
	return at;
}

/* Patch the u32 at byte `at` of the image (in its order). */
static inline void patch32(struct img *m, size_t at, uint32_t v)
{
	if (m->be)
		v = __builtin_bswap32(v);
	memcpy(m->b.data + at, &v, 4);
}

/* --------------------------------------------------------------- reading */

/* Read the next record, failing the test on an error. */
static inline int next_ok(struct pcap_reader *r, struct pcap_record *rec)
{
	struct err e = { { 0 } };
	int rc = pcap_reader_next(r, rec, &e);

	if (rc < 0)
		fail_msg("pcap_reader_next: %d: %s", rc, e.msg);
	return rc;
}

/*
 * Read the image until the reader refuses it; the error must be `code` and
 * its message hold `what` and "offset <at>".
 */
static inline void refused(const void *p, size_t n, int code, const char *what, unsigned long long at)
{
	struct pcap_reader *r = pcap_reader_open_mem(p, n);
	struct pcap_record rec;
	struct err e = { { 0 } };
	char want[64];
	int rc;

	while ((rc = pcap_reader_next(r, &rec, &e)) > 0)
		;
	if (rc != code || !strstr(e.msg, what))
		fail_msg("expected %d '%s', got %d '%s'", code, what, rc, rc < 0 ? e.msg : "");
	snprintf(want, sizeof(want), "offset %llu", at);
	if (!strstr(e.msg, want))
		fail_msg("'%s' lacks '%s'", e.msg, want);
	/* the reader stays at the bad block */
	memset(&e, 0, sizeof(e));
	assert_int_equal(pcap_reader_next(r, &rec, &e), code);
	assert_non_null(strstr(e.msg, what));
	pcap_reader_close(r);
}

#endif
