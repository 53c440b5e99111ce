/*
 * reader: pcapng reader over a file image in memory: opening, block framing,
 * options, and the record's strings (the blocks themselves: reader_blocks.c).
 * Like libpcap's sf-pcapng.c it checks a block's length (minimum, multiple
 * of 4, maximum, what the file holds) and its trailer before reading the
 * body, and reads the body only through lengths bounded by it.
 */
#include "reader_int.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

/* The blocks read; any other type (name resolution, decryption secrets, custom, unknown) is skipped. */
static const struct block_kind {
	uint32_t type;
	uint32_t min_len; /* header, fixed fields, trailer */
	const char *name;
	int (*read)(struct pcap_reader *r, const struct blk *b, struct pcap_record *rec, struct err *e);
} block_kinds[] = {
	{ PCAP_BT_SHB, 28, "section header block", pcap_read_shb },
	{ PCAP_BT_IDB, 20, "interface description block", pcap_read_idb },
	{ PCAP_BT_EPB, 32, "enhanced packet block", pcap_read_epb },
	{ PCAP_BT_SPB, 16, "simple packet block", pcap_read_spb },
	{ PCAP_BT_PB, 32, "packet block", pcap_read_pb },
	{ PCAP_BT_ISB, 24, "interface statistics block", pcap_read_isb },
};

/* Options whose length the draft fixes: any other length is an error. */
static const struct fixed_opt {
	uint32_t block;
	uint16_t code;
	uint16_t len;
	const char *name;
} fixed_opts[] = {
	{ PCAP_BT_IDB, PCAP_OPT_IF_TSRESOL, 1, "if_tsresol" },
	{ PCAP_BT_IDB, PCAP_OPT_IF_TSOFFSET, 8, "if_tsoffset" },
	{ PCAP_BT_EPB, PCAP_OPT_EPB_FLAGS, 4, "epb_flags" },
	{ PCAP_BT_EPB, PCAP_OPT_EPB_DROPCOUNT, 8, "epb_dropcount" },
	{ PCAP_BT_PB, PCAP_OPT_EPB_FLAGS, 4, "pack_flags" },
	{ PCAP_BT_ISB, PCAP_OPT_ISB_STARTTIME, 8, "isb_starttime" },
	{ PCAP_BT_ISB, PCAP_OPT_ISB_ENDTIME, 8, "isb_endtime" },
	{ PCAP_BT_ISB, PCAP_OPT_ISB_IFRECV, 8, "isb_ifrecv" },
	{ PCAP_BT_ISB, PCAP_OPT_ISB_IFDROP, 8, "isb_ifdrop" },
};

static bool is_custom_opt(uint16_t code)
{
	return code == PCAP_OPT_CUSTOM_STR || code == PCAP_OPT_CUSTOM_BIN ||
	       code == PCAP_OPT_CUSTOM_STR_NOCOPY || code == PCAP_OPT_CUSTOM_BIN_NOCOPY;
}

/* -EINVAL when option o of block b has a length its code does not allow (at: its offset). */
static int check_opt_len(const struct blk *b, const struct opt *o, unsigned long long at, struct err *e)
{
	if (is_custom_opt(o->code) && o->len < 4)
		return err_set(e, -EINVAL,
		               "%s at offset %llu: custom option %u at offset %llu: length %u below the "
		               "4-byte enterprise number",
		               b->name, (unsigned long long)b->off, o->code, at, o->len);
	for (size_t i = 0; i < ARRAY_SIZE(fixed_opts); i++) {
		const struct fixed_opt *f = &fixed_opts[i];

		if (f->block == b->type && f->code == o->code && f->len != o->len)
			return err_set(e, -EINVAL,
			               "%s at offset %llu: option %s (%u) at offset %llu: length %u, "
			               "expected %u",
			               b->name, (unsigned long long)b->off, f->name, o->code, at, o->len,
			               f->len);
	}
	return 0;
}

int pcap_next_opt(const struct pcap_reader *r, struct opts *it, struct opt *o, struct err *e)
{
	size_t left = (size_t)(it->end - it->p);
	unsigned long long at = it->b->off + 8 + (uint64_t)(it->p - it->b->body);
	size_t padded;

	if (left == 0)
		return 0;
	if (left < 4)
		return err_set(e, -EINVAL,
		               "%s at offset %llu: option header at offset %llu runs past the block",
		               it->b->name, (unsigned long long)it->b->off, at);
	o->code = rd16(r, it->p);
	o->len = rd16(r, it->p + 2);
	if (o->code == PCAP_OPT_END) {
		it->p = it->end; /* what may follow it is not options */
		return 0;
	}
	padded = ((size_t)o->len + 3) & ~(size_t)3;
	if (padded > left - 4)
		return err_set(e, -EINVAL,
		               "%s at offset %llu: option %u at offset %llu: length %u runs past the block "
		               "(%zu bytes left)",
		               it->b->name, (unsigned long long)it->b->off, o->code, at, o->len, left - 4);
	o->val = it->p + 4;
	it->p += 4 + padded;
	return check_opt_len(it->b, o, at, e) ? -EINVAL : 1;
}

char *pcap_arena(struct pcap_reader *r, size_t n)
{
	char *s;

	/* begin_record() reserved the block's length: the options that feed the arena fit in it */
	if (r->strs.len + n > r->strs.cap)
		abort();
	s = r->strs.data + r->strs.len;
	r->strs.len += n;
	return s;
}

const char *pcap_opt_str(struct pcap_reader *r, const struct opt *o)
{
	size_t n = strnlen((const char *)o->val, o->len);
	char *s = pcap_arena(r, n + 1);

	memcpy(s, o->val, n);
	s[n] = '\0';
	return s;
}

void pcap_add_comment(struct pcap_reader *r, const struct opt *o)
{
	if (r->ncmt++)
		sbuf_putc(&r->cmt, '\n');
	sbuf_put(&r->cmt, o->val, strnlen((const char *)o->val, o->len));
}

const char *pcap_comments(struct pcap_reader *r)
{
	return r->ncmt ? sbuf_cstr(&r->cmt) : NULL;
}

static struct pcap_reader *reader_new(void)
{
	struct pcap_reader *r = xcalloc(1, sizeof(*r));

	sbuf_init(&r->strs, 256);
	sbuf_init(&r->cmt, 256);
	return r;
}

struct pcap_reader *pcap_reader_open_mem(const void *p, size_t n)
{
	struct pcap_reader *r = reader_new();

	r->p = p;
	r->n = n;
	return r;
}

/* Read what fd holds into r->copy; 0 or -errno. */
static int read_whole(struct pcap_reader *r, int fd)
{
	size_t cap = 1 << 16;

	r->copy = xmalloc(cap);
	for (;;) {
		ssize_t k;

		if (r->n == cap) {
			cap *= 2;
			r->copy = xrealloc(r->copy, cap);
		}
		k = read(fd, r->copy + r->n, cap - r->n);
		if (k == 0)
			break;
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0)
			return -errno;
		r->n += (size_t)k;
	}
	r->p = r->copy;
	return 0;
}

/* path opened for reading, *st filled: the fd, or a negative errno with e set. */
static int open_file(const char *path, struct stat *st, struct err *e)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	int rc = 0;

	if (fd < 0)
		rc = -errno;
	else if (fstat(fd, st) != 0)
		rc = -errno;
	else if (S_ISDIR(st->st_mode))
		rc = -EISDIR;
	if (!rc)
		return fd;
	if (fd >= 0)
		close(fd);
	return err_set(e, rc, "cannot open %s: %s", path, strerror(-rc));
}

struct pcap_reader *pcap_reader_open(const char *path, struct err *e)
{
	struct pcap_reader *r;
	struct stat st = { 0 };
	int rc, fd = open_file(path, &st, e);

	if (fd < 0)
		return NULL;
	r = reader_new();
	if (S_ISREG(st.st_mode) && st.st_size > 0) {
		void *m = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);

		if (m != MAP_FAILED) {
			r->map = m;
			r->map_len = (size_t)st.st_size;
			r->p = m;
			r->n = r->map_len;
			close(fd);
			return r;
		}
	}
	rc = read_whole(r, fd);
	close(fd);
	if (rc) {
		err_set(e, rc, "read error in %s: %s", path, strerror(-rc));
		pcap_reader_close(r);
		return NULL;
	}
	return r;
}

void pcap_reader_close(struct pcap_reader *r)
{
	if (!r)
		return;
	if (r->map)
		munmap(r->map, r->map_len);
	free(r->copy);
	free(r->ifs);
	sbuf_release(&r->strs);
	sbuf_release(&r->cmt);
	free(r);
}

uint64_t pcap_reader_offset(const struct pcap_reader *r)
{
	return r->off;
}

/* A section header's byte-order magic sets the byte order of what follows; 0 or an error. */
static int byte_order(struct pcap_reader *r, const uint8_t *p, size_t left, unsigned long long off,
                      struct err *e)
{
	uint32_t magic;

	if (left < 12)
		return err_set(e, -ENODATA, "truncated section header block at offset %llu (%zu of 12 bytes)",
		               off, left);
	magic = load_u32(p + 8);
	if (magic == PCAP_BYTE_ORDER_MAGIC)
		r->swap = false;
	else if (__builtin_bswap32(magic) == PCAP_BYTE_ORDER_MAGIC)
		r->swap = true;
	else
		return err_set(e, -EINVAL, "section header block at offset %llu: bad byte-order magic 0x%08x",
		               off, magic);
	return 0;
}

/* The length checks of a block at off of type bt whose header says len, left bytes remaining. */
static int check_len(const struct pcap_reader *r, const uint8_t *p, uint32_t bt, uint32_t len, size_t left,
                     unsigned long long off, struct err *e)
{
	uint32_t trailer;

	if (len < 12)
		return err_set(e, -EINVAL,
		               "block type 0x%x at offset %llu: length %u below the 12-byte minimum", bt, off,
		               len);
	if (len % 4)
		return err_set(e, -EINVAL, "block type 0x%x at offset %llu: length %u is not a multiple of 4",
		               bt, off, len);
	if (len > PCAP_MAX_BLOCK)
		return err_set(e, -EINVAL,
		               "block type 0x%x at offset %llu: length %u exceeds the %u-byte limit", bt, off,
		               len, PCAP_MAX_BLOCK);
	if (len > left)
		return err_set(e, -ENODATA,
		               "truncated block type 0x%x at offset %llu: length %u, only %zu bytes left", bt,
		               off, len, left);
	trailer = rd32(r, p + len - 4);
	if (trailer != len)
		return err_set(e, -EINVAL,
		               "block type 0x%x at offset %llu: trailer length %u does not match header "
		               "length %u",
		               bt, off, trailer, len);
	return 0;
}

/* The block at r->off into *b: 1, 0 at a clean end of file, or a negative errno. */
static int frame(struct pcap_reader *r, struct blk *b, struct err *e)
{
	size_t left = r->n - r->off;
	unsigned long long off = r->off;
	const uint8_t *p;
	uint32_t bt, len;
	int rc;

	*b = (struct blk){ .off = r->off };
	if (left == 0)
		return r->started ? 0 : err_set(e, -EINVAL, "empty file at offset 0: not a pcapng capture");
	p = r->p + r->off;
	if (left < 8)
		return err_set(e, -ENODATA, "truncated block header at offset %llu (%zu of 8 bytes)", off,
		               left);
	bt = load_u32(p); /* the section header's type reads alike in both orders */
	if (bt == PCAP_BT_SHB) {
		rc = byte_order(r, p, left, off, e);
		if (rc)
			return rc;
	} else if (!r->started) {
		return err_set(e, -EINVAL,
		               "not a pcapng capture: block type 0x%08x at offset 0 is no section header",
		               bt);
	} else {
		bt = rd32(r, p);
	}
	len = rd32(r, p + 4);
	rc = check_len(r, p, bt, len, left, off, e);
	if (rc)
		return rc;
	*b = (struct blk){ .type = bt, .len = len, .off = r->off, .body = p + 8, .body_len = len - 12 };
	return 1;
}

static const struct block_kind *block_kind(uint32_t type)
{
	for (size_t i = 0; i < ARRAY_SIZE(block_kinds); i++)
		if (block_kinds[i].type == type)
			return &block_kinds[i];
	return NULL;
}

/* Start the record of block b: its strings and comments will fit without moving. */
static void begin_record(struct pcap_reader *r, const struct blk *b, struct pcap_record *rec)
{
	memset(rec, 0, sizeof(*rec));
	rec->block_type = b->type;
	rec->offset = b->off;
	rec->section = r->section;
	sbuf_reset(&r->strs);
	sbuf_grow(&r->strs, b->len + 16);
	sbuf_reset(&r->cmt);
	r->ncmt = 0;
}

int pcap_reader_next(struct pcap_reader *r, struct pcap_record *rec, struct err *e)
{
	for (;;) {
		const struct block_kind *k;
		struct blk b;
		int rc = frame(r, &b, e);

		if (rc <= 0) {
			if (rc == 0)
				memset(rec, 0, sizeof(*rec));
			return rc;
		}
		k = block_kind(b.type);
		if (!k || (r->skipping && b.type != PCAP_BT_SHB)) {
			r->off += b.len;
			continue;
		}
		b.name = k->name;
		if (b.len < k->min_len)
			return err_set(e, -EINVAL, "%s at offset %llu: length %u below its %u-byte minimum",
			               k->name, (unsigned long long)b.off, b.len, k->min_len);
		begin_record(r, &b, rec);
		rc = k->read(r, &b, rec, e);
		if (rc < 0)
			return rc;
		r->off += b.len;
		rec->kind = (enum pcap_rec_kind)rc;
		return rc;
	}
}
