/* scap_fixtures.h: for the scap tests: a temp directory, .scap bytes by hand, readers, refusals. */

#ifndef SYSREC_TESTS_SCAP_FIXTURES_H
#define SYSREC_TESTS_SCAP_FIXTURES_H

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
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../src/scap/scap.h"

/* ----------------------------------------------------------- temp directory */

#include "tmpdir_fixture.h"

/* ------------------------------------------------------------ bytes by hand */

/* host-order integers, as the files are written (common.h's sbuf_put16/32/64) */
static inline void p8(struct sbuf *b, uint8_t v)
{
	sbuf_putc(b, (char)v);
}
#define p16 sbuf_put16
#define p32 sbuf_put32
#define p64 sbuf_put64
/* u16 length + bytes (metadata string, no NUL) */
static inline void plstr(struct sbuf *b, const char *s, size_t n)
{
	p16(b, (uint16_t)n);
	sbuf_put(b, s, n);
}
static inline void pstr(struct sbuf *b, const char *s)
{
	plstr(b, s, strlen(s));
}

/* Start a block; returns its start for blk_end(). */
static inline size_t blk_begin(struct sbuf *b, uint32_t type)
{
	size_t at = b->len;

	p32(b, type);
	p32(b, 0);
	return at;
}

/* Pad to 4, patch the header length and append the trailer. */
static inline void blk_end(struct sbuf *b, size_t at)
{
	static const char zeros[4];
	uint32_t total;

	sbuf_put(b, zeros, (4 - (b->len - at) % 4) % 4);
	total = (uint32_t)(b->len - at + 4);
	memcpy(b->data + at + 4, &total, 4);
	p32(b, total);
}

static inline void add_shb(struct sbuf *b)
{
	size_t at = blk_begin(b, SCAP_BT_SHB);

	p32(b, SCAP_SHB_MAGIC);
	p16(b, 1);
	p16(b, 2);
	p64(b, UINT64_MAX);
	blk_end(b, at);
}

/* An event block around an already encoded event. */
static inline void add_event_block(struct sbuf *b, uint32_t bt, uint16_t cpu, uint32_t flags, const void *ev,
                                   size_t len)
{
	size_t at = blk_begin(b, bt);

	p16(b, cpu);
	if (bt == SCAP_BT_EVF || bt == SCAP_BT_EVF_V2 || bt == SCAP_BT_EVF_V2_LARGE)
		p32(b, flags);
	sbuf_put(b, ev, len);
	blk_end(b, at);
}

/* A valid close exit (type 5, res=0) in an EV_V2 block. */
static inline void add_close_event(struct sbuf *b, uint64_t ts)
{
	struct sbuf e;
	int64_t res = 0;
	const void *v[] = { &res };
	uint32_t l[] = { 8 };
	uint32_t len;

	sbuf_init(&e, 64);
	len = scap_encode_event(&e, ts, 100, 5, 1, v, l);
	add_event_block(b, SCAP_BT_EV_V2, 0, 0, e.data, len);
	sbuf_release(&e);
}

/* The close event block of add_close_event(): 8 + 2 (cpu) + 36 (26 + 2 + 8), padded to 48, + 4. */
#define CLOSE_BLOCK_LEN 52

static inline void write_file(const char *path, const void *p, size_t n)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	size_t off = 0;

	assert_true(fd >= 0);
	while (off < n) {
		ssize_t w = write(fd, (const char *)p + off, n - off);

		assert_true(w > 0);
		off += (size_t)w;
	}
	assert_int_equal(close(fd), 0);
}

static inline void read_whole(const char *path, struct sbuf *out)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	char buf[65536];
	ssize_t n;

	assert_true(fd >= 0);
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		sbuf_put(out, buf, (size_t)n);
	assert_int_equal(n, 0);
	close(fd);
}

/* A reader over bytes held in memory (memfd); the reader owns the fd. */
static inline struct scap_reader *open_bytes(const void *p, size_t n, struct err *e)
{
	int fd = memfd_create("scap-fixture", MFD_CLOEXEC);
	size_t off = 0;

	assert_true(fd >= 0);
	while (off < n) {
		ssize_t w = write(fd, (const char *)p + off, n - off);

		assert_true(w > 0);
		off += (size_t)w;
	}
	assert_int_equal(lseek(fd, 0, SEEK_SET), 0);
	return scap_reader_open_fd(fd, e);
}

/* --------------------------------------------------------- reading, writing */

static inline struct scap_reader *open_ok(const char *path)
{
	struct err e = { { 0 } };
	struct scap_reader *r = scap_reader_open(path, &e);

	if (!r)
		print_error("cannot open %s: %s\n", path, e.msg);
	assert_non_null(r);
	return r;
}

static inline int next_ok(struct scap_reader *r, struct scap_record *rec)
{
	struct err e = { { 0 } };
	int rc = scap_reader_next(r, rec, &e);

	if (rc < 0)
		print_error("unexpected read error %d: %s\n", rc, e.msg);
	assert_true(rc >= 0);
	return rc;
}

static inline void close_writer_ok(struct scap_writer *w)
{
	struct err e = { { 0 } };
	int rc = scap_writer_close(w, &e);

	if (rc)
		print_error("writer close: %s\n", e.msg);
	assert_int_equal(rc, 0);
}

static inline struct scap_writer *open_writer(const char *path, bool gz)
{
	struct err e = { { 0 } };
	struct scap_writer *w = scap_writer_open(path, gz, &e);

	if (!w)
		print_error("writer open: %s\n", e.msg);
	assert_non_null(w);
	return w;
}

/* ----------------------------------------------------------------- refusals */

/* True if msg contains "offset <off>" not followed by another digit. */
static inline bool names_offset(const char *msg, uint64_t off)
{
	char want[48];
	const char *p = msg;
	size_t wl;

	snprintf(want, sizeof(want), "offset %llu", (unsigned long long)off);
	wl = strlen(want);
	while ((p = strstr(p, want)) != NULL) {
		if (p[wl] < '0' || p[wl] > '9')
			return true;
		p += wl;
	}
	return false;
}

/* What reading a capture to its end gave: the last return, the records before it, the message. */
struct outcome {
	int rc, n;
	char msg[512];
};

/* Read every record, then close the reader (before any assertion can fire). */
static inline void read_to_end(struct scap_reader *r, struct outcome *o)
{
	struct scap_record rec;
	struct err e = { { 0 } };

	memset(o, 0, sizeof(*o));
	o->rc = -1;
	if (!r) {
		snprintf(o->msg, sizeof(o->msg), "cannot open");
		return;
	}
	memset(&rec, 0, sizeof(rec));
	while ((o->rc = scap_reader_next(r, &rec, &e)) > 0)
		o->n++;
	memcpy(o->msg, e.msg, sizeof(o->msg));
	scap_reader_close(r);
}

/*
 * Expect `ok` successful records, then a refusal (negative return) whose
 * message contains `want` and, when off >= 0, names byte offset `off`.
 */
static inline void assert_refused(const struct outcome *o, int ok, const char *want, long long off)
{
	if (o->rc >= 0 || o->n != ok || !strstr(o->msg, want) ||
	    (off >= 0 && !names_offset(o->msg, (uint64_t)off)))
		print_error("rc=%d after %d records, message \"%s\"; wanted \"%s\" at offset %lld after %d "
		            "records\n",
		            o->rc, o->n, o->msg, want, off, ok);
	assert_true(o->rc < 0);
	assert_int_equal(o->n, ok);
	assert_non_null(strstr(o->msg, want));
	if (off >= 0)
		assert_true(names_offset(o->msg, (uint64_t)off));
}

static inline void expect_refused_reader(struct scap_reader *r, int ok, const char *want, long long off)
{
	struct outcome o;

	read_to_end(r, &o);
	assert_refused(&o, ok, want, off);
}

/* Read the fixture in b (released here, before asserting) and expect a refusal. */
static inline void expect_refused(struct sbuf *b, int ok, const char *want, long long off)
{
	struct err e = { { 0 } };
	struct outcome o;

	read_to_end(open_bytes(b->data, b->len, &e), &o);
	sbuf_release(b);
	assert_refused(&o, ok, want, off);
}

/* As expect_refused(), for a file that ends inside a block: -ENODATA (cut short, or still being written). */
static inline void expect_cut_short(struct sbuf *b, int ok, const char *want, long long off)
{
	struct err e = { { 0 } };
	struct outcome o;

	read_to_end(open_bytes(b->data, b->len, &e), &o);
	sbuf_release(b);
	assert_refused(&o, ok, want, off);
	assert_int_equal(o.rc, -ENODATA);
}

/* Read the whole capture and return the record kinds seen (terminated by EOF). */
static inline int read_kinds(struct scap_reader *r, int *kinds, int max, struct err *e)
{
	struct scap_record rec;
	int rc, n = 0;

	memset(&rec, 0, sizeof(rec));
	while ((rc = scap_reader_next(r, &rec, e)) > 0) {
		if (n < max)
			kinds[n] = rc;
		n++;
	}
	if (rc < 0)
		return rc;
	return n;
}

#endif
