/* reader: streaming, bounds-checked .scap reader (raw or gzip). */
#include "reader_int.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#define READ_CHUNK (1U << 20)

struct scap_reader *scap_reader_open(const char *path, struct err *e)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0) {
		err_set(e, -errno, "cannot open %s: %s", path, strerror(errno));
		return NULL;
	}
	return scap_reader_open_fd(fd, e);
}

struct scap_reader *scap_reader_open_fd(int fd, struct err *e)
{
	struct scap_reader *r;
	uint8_t magic[2];

	r = xcalloc(1, sizeof(*r));
	r->fd = fd;
	if (pread(fd, magic, 2, 0) == 2 && magic[0] == 0x1f && magic[1] == 0x8b) {
		r->gz = gzdopen(fd, "rb");
		if (!r->gz) {
			err_set(e, -EIO, "cannot open the file as gzip");
			close(fd);
			free(r);
			return NULL;
		}
		gzbuffer(r->gz, 1 << 18);
	} else {
		struct stat st;
		void *map;

		/* a raw regular file is read in place: no copies, no refills */
		if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0 &&
		    (uint64_t)st.st_size < ((uint64_t)1 << 46)) {
			map = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
			if (map != MAP_FAILED) {
				madvise(map, (size_t)st.st_size, MADV_SEQUENTIAL | MADV_WILLNEED);
				r->buf = map;
				r->cap = r->end = (size_t)st.st_size;
				r->eof = r->mapped = true;
				return r;
			}
		}
	}
	r->cap = READ_CHUNK;
	r->buf = xmalloc(r->cap);
	return r;
}

struct scap_reader *scap_reader_open_mem(const void *p, size_t n)
{
	struct scap_reader *r = xcalloc(1, sizeof(*r));

	r->fd = -1;
	r->buf = (uint8_t *)(uintptr_t)p; /* only read */
	r->cap = r->end = n;
	r->eof = r->borrowed = true;
	return r;
}

void scap_reader_mem_grow(struct scap_reader *r, size_t n)
{
	if (r->borrowed && n > r->end)
		r->cap = r->end = n;
}

static void free_meta_now(struct scap_reader *r)
{
	r->has_meta = false;
	for (size_t i = 0; i < r->nprocs; i++)
		scap_proc_release(&r->procs[i]);
	r->nprocs = 0;
	for (size_t i = 0; i < r->nfds; i++)
		scap_fd_release(&r->fds[i]);
	r->nfds = 0;
	for (size_t i = 0; i < r->nifaces; i++)
		free(r->ifaces[i].name);
	free(r->ifaces);
	r->ifaces = NULL;
	r->nifaces = 0;
	for (size_t i = 0; i < r->nusers; i++) {
		free(r->users[i].name);
		free(r->users[i].homedir);
		free(r->users[i].shell);
	}
	free(r->users);
	r->users = NULL;
	r->nusers = 0;
	for (size_t i = 0; i < r->ngroups; i++)
		free(r->groups[i].name);
	free(r->groups);
	r->groups = NULL;
	r->ngroups = 0;
}

static inline void free_meta(struct scap_reader *r)
{
	if (r->has_meta)
		free_meta_now(r);
}

void scap_reader_close(struct scap_reader *r)
{
	if (!r)
		return;
	free_meta(r);
	free(r->procs);
	free(r->fds);
	if (r->gz)
		gzclose(r->gz);
	else if (r->fd >= 0)
		close(r->fd);
	if (r->mapped)
		munmap(r->buf, r->cap);
	else if (!r->borrowed)
		free(r->buf);
	free(r);
}

bool scap_reader_stable(const struct scap_reader *r)
{
	return r->mapped || r->borrowed;
}

uint64_t scap_reader_offset(const struct scap_reader *r)
{
	return r->off;
}

/*
 * Make at least `need` unread bytes available in buf unless the file ends
 * first. The buffer grows only as data actually arrives, so a forged length
 * cannot make us allocate more than about twice what the file holds.
 * Returns the bytes available, or -errno on an I/O error.
 */
static ssize_t fill_more(struct scap_reader *r, size_t need, struct err *e)
{
	while (r->end - r->start < need && !r->eof) {
		ssize_t n;

		if (r->start > 0 && r->cap - r->end < READ_CHUNK) {
			memmove(r->buf, r->buf + r->start, r->end - r->start);
			r->end -= r->start;
			r->start = 0;
		}
		if (r->cap - r->end < READ_CHUNK / 4) {
			r->cap *= 2;
			r->buf = xrealloc(r->buf, r->cap);
		}
		if (r->gz) {
			int zerr;

			n = gzread(r->gz, r->buf + r->end, (unsigned)(r->cap - r->end));
			if (n < 0) {
				const char *msg = gzerror(r->gz, &zerr);

				return err_set(e, -EIO, "gzip error at offset %llu: %s",
				               (unsigned long long)(r->off + r->end - r->start), msg);
			}
		} else {
			n = read(r->fd, r->buf + r->end, r->cap - r->end);
			if (n < 0) {
				if (errno == EINTR)
					continue;
				return err_set(e, -errno, "read error at offset %llu: %s",
				               (unsigned long long)(r->off + r->end - r->start),
				               strerror(errno));
			}
		}
		if (n == 0 && r->gz) {
			int zerr;
			const char *msg = gzerror(r->gz, &zerr);

			if (zerr != Z_OK)
				return err_set(e, -ENODATA, "gzip stream ends early at offset %llu: %s",
				               (unsigned long long)(r->off + r->end - r->start), msg);
		}
		if (n == 0)
			r->eof = true;
		r->end += (size_t)n;
	}
	return (ssize_t)(r->end - r->start);
}

static inline ssize_t fill(struct scap_reader *r, size_t need, struct err *e)
{
	if (r->end - r->start >= need) /* always so in a mapped file, but at its end */
		return (ssize_t)(r->end - r->start);
	return fill_more(r, need, e);
}

#ifndef MADV_POPULATE_READ
#define MADV_POPULATE_READ 22
#endif
#define POPULATE_STEP (32U << 20)

static inline void consume(struct scap_reader *r, size_t n)
{
	r->start += n;
	r->off += n;
	/* fault the mapping in ahead of use, a big step at a time, rather than
	 * taking a page fault every few pages (best effort: old kernels say no) */
	if (r->mapped && r->start + POPULATE_STEP / 2 > r->populated && r->populated < r->cap) {
		size_t len = r->cap - r->populated < POPULATE_STEP ? r->cap - r->populated : POPULATE_STEP;

		madvise(r->buf + r->populated, len, MADV_POPULATE_READ);
		r->populated += len;
	}
}

/* ---- blocks ---- */

/* What an event block's type says about its body. */
struct evblock {
	uint8_t version; /* event header: 1 (no nparams) or 2 */
	bool has_flags;  /* EVF: 4 bytes of flags after the cpu */
	bool large;      /* 32-bit parameter lengths allowed above the usual limit */
};

/* Fills *k and returns true for the event block types. */
static inline bool event_block(uint32_t bt, struct evblock *k)
{
	if (bt == SCAP_BT_EV_V2) { /* nearly every block of a capture */
		*k = (struct evblock){ 2, false, false };
		return true;
	}
	switch (bt) {
	case SCAP_BT_EV:
	case SCAP_BT_EV_ALT:
		*k = (struct evblock){ 1, false, false };
		return true;
	case SCAP_BT_EVF:
		*k = (struct evblock){ 1, true, false };
		return true;
	case SCAP_BT_EV_V2:
		*k = (struct evblock){ 2, false, false };
		return true;
	case SCAP_BT_EVF_V2:
		*k = (struct evblock){ 2, true, false };
		return true;
	case SCAP_BT_EV_V2_LARGE:
		*k = (struct evblock){ 2, false, true };
		return true;
	case SCAP_BT_EVF_V2_LARGE:
		*k = (struct evblock){ 2, true, true };
		return true;
	default:
		return false;
	}
}

static int parse_event_block(const struct evblock *k, const uint8_t *body, size_t n, struct scap_record *rec,
                             struct err *e)
{
	size_t hdr = k->has_flags ? 6 : 2;
	int rc;

	if (n < hdr)
		return err_set(e, -EINVAL, "event block too short (%zu bytes)", n);
	rec->ev.cpu = load_u16(body);
	rec->ev.dump_flags = k->has_flags ? load_u32(body + 2) : 0;
	rc = event_parse_fast(&rec->ev, body + hdr, n - hdr, k->version, e);
	if (rc)
		return rc;
	if (rec->ev.nparams > EVENT_MAX_PARAMS)
		return err_set(e, -EINVAL,
		               "event type %u declares %u parameters, more than any event of the table (%d)",
		               rec->ev.type, rec->ev.nparams, EVENT_MAX_PARAMS);
	return 0;
}

static void add_offset(struct err *e, uint64_t off)
{
	size_t n;

	if (!e)
		return;
	n = strnlen(e->msg, sizeof(e->msg));
	if (n < sizeof(e->msg))
		snprintf(e->msg + n, sizeof(e->msg) - n, " (block at offset %llu)", (unsigned long long)off);
}

/*
 * The block nearly every call reads, on its own: an EV_V2 event after the
 * first, whole in the buffer, passing every check of the general path below.
 * False for anything else, which the general path then reads or refuses.
 */
static inline bool next_common_event(struct scap_reader *r, struct scap_record *rec)
{
	const uint8_t *b = r->buf + r->start;
	size_t avail = r->end - r->start;
	uint32_t blen;

	if (r->phase != PH_EVENTS || r->has_meta || avail < 12 || load_u32(b) != SCAP_BT_EV_V2)
		return false;
	blen = load_u32(b + 4);
	if (blen < 12 || blen % 4 || blen - 8 > SCAP_MAX_EVENT_BODY || blen > avail ||
	    load_u32(b + blen - 4) != blen || blen - 12 < 2 ||
	    !event_parse_common(&rec->ev, b + 10, blen - 14) || rec->ev.type >= EVENT_MAX)
		return false;
	rec->ev.cpu = load_u16(b + 8);
	rec->ev.dump_flags = 0;
	rec->block_type = SCAP_BT_EV_V2;
	rec->offset = r->off;
	rec->kind = SCAP_REC_EVENT;
	consume(r, blen);
	return true;
}

/* One block whole in the buffer, its framing checked by read_block. */
struct block {
	uint64_t off;        /* of its header, in the (uncompressed) file */
	uint32_t type;       /* SCAP_BT_* */
	uint32_t len;        /* of the whole block, header and trailer included */
	const uint8_t *body; /* body_len bytes in the reader's buffer, valid until the next fill */
	size_t body_len;
	bool is_event;    /* an event block type ... */
	struct evblock k; /* ... and what it says about the body */
};

/* What a block reader returns for a block it consumed with nothing to hand out. */
#define BLOCK_SKIPPED 0

/* Where the file ends at off, at a block boundary: SCAP_REC_EOF, or -EINVAL without an event. */
static int end_of_blocks(const struct scap_reader *r, uint64_t off, struct err *e)
{
	if (r->phase == PH_START)
		return err_set(e, -EINVAL, "empty file at offset 0: not a scap capture");
	if (!r->any_event)
		return err_set(e, -EINVAL, "no events in file (it ends at offset %llu)",
		               (unsigned long long)off);
	return SCAP_REC_EOF;
}

/*
 * The checks of a block header (type and length) before its body is read: a
 * capture starts with a section header; a block is at least 12 bytes long, a
 * multiple of 4 and at most SCAP_MAX_BLOCK; a non-LARGE event block's body is
 * at most SCAP_MAX_EVENT_BODY. Sets blk->is_event and blk->k. Returns 0, or
 * -EINVAL with e naming the defect and the offset.
 */
static int check_block_header(const struct scap_reader *r, struct block *blk, struct err *e)
{
	uint32_t bt = blk->type, blen = blk->len;
	unsigned long long off = blk->off;

	if (r->phase == PH_START && bt != SCAP_BT_SHB)
		return err_set(e, -EINVAL, "not a scap capture: bad magic 0x%08x at offset 0", bt);
	if (blen < 12)
		return err_set(e, -EINVAL,
		               "block type 0x%x at offset %llu: length %u below the 12-byte minimum", bt, off,
		               blen);
	if (blen % 4)
		return err_set(e, -EINVAL, "block type 0x%x at offset %llu: length %u is not a multiple of 4",
		               bt, off, blen);
	if (blen > SCAP_MAX_BLOCK)
		return err_set(e, -EINVAL,
		               "block type 0x%x at offset %llu: length %u exceeds the %u-byte limit", bt, off,
		               blen, SCAP_MAX_BLOCK);
	blk->is_event = event_block(bt, &blk->k);
	if (blk->is_event && !blk->k.large && blen - 8 > SCAP_MAX_EVENT_BODY)
		return err_set(e, -EINVAL,
		               "event block at offset %llu: body of %u bytes greater than the "
		               "non-LARGE limit %u",
		               off, blen - 8, SCAP_MAX_EVENT_BODY);
	return 0;
}

/*
 * Brings the next block whole into the buffer, its framing checked: the
 * header (check_block_header) before the body is read, then the trailer
 * against the header's length. True with *blk filled; false with *rc set to
 * what scap_reader_next returns instead: SCAP_REC_EOF at a clean end, -ENODATA
 * when the file ends inside the block, -EINVAL for a malformed one, or the
 * I/O error.
 */
static bool read_block(struct scap_reader *r, struct block *blk, int *rc, struct err *e)
{
	ssize_t avail = fill(r, 8, e);
	const uint8_t *b;
	uint32_t trailer;

	*blk = (struct block){ .off = r->off, .k = { 2, false, false } };
	if (avail < 0) {
		*rc = (int)avail;
		return false;
	}
	if (avail == 0) {
		*rc = end_of_blocks(r, blk->off, e);
		return false;
	}
	if (avail < 8) {
		*rc = err_set(e, -ENODATA, "truncated block header at offset %llu (%zd of 8 bytes)",
		              (unsigned long long)blk->off, avail);
		return false;
	}
	b = r->buf + r->start;
	blk->type = load_u32(b);
	blk->len = load_u32(b + 4);
	*rc = check_block_header(r, blk, e);
	if (*rc)
		return false;
	avail = fill(r, blk->len, e);
	if (avail < 0) {
		*rc = (int)avail;
		return false;
	}
	if ((size_t)avail < blk->len) {
		*rc = err_set(e, -ENODATA,
		              "truncated block type 0x%x at offset %llu: length %u, only %zd bytes left",
		              blk->type, (unsigned long long)blk->off, blk->len, avail);
		return false;
	}
	b = r->buf + r->start; /* the fill may have moved the buffer */
	trailer = load_u32(b + blk->len - 4);
	if (trailer != blk->len) {
		*rc = err_set(e, -EINVAL,
		              "block type 0x%x at offset %llu: trailer length %u does not match "
		              "header length %u",
		              blk->type, (unsigned long long)blk->off, trailer, blk->len);
		return false;
	}
	blk->body = b + 8;
	blk->body_len = blk->len - 12;
	return true;
}

/*
 * A section header: at least 28 bytes, the byte-order magic, version 1.x
 * (pcapng options past the fixed fields are skipped). Returns
 * SCAP_REC_SECTION, or -EINVAL.
 */
static int read_section_header(struct scap_reader *r, const struct block *blk, struct scap_record *rec,
                               struct err *e)
{
	uint32_t magic;
	uint16_t major;

	if (blk->len < 28)
		return err_set(e, -EINVAL, "section header at offset %llu: length %u below 28",
		               (unsigned long long)blk->off, blk->len);
	magic = load_u32(blk->body);
	major = load_u16(blk->body + 4);
	if (magic != SCAP_SHB_MAGIC)
		return err_set(e, -EINVAL, "section header at offset %llu: bad byte-order magic 0x%08x",
		               (unsigned long long)blk->off, magic);
	if (major > 1)
		return err_set(e, -EINVAL, "section header at offset %llu: version %u.%u is newer than 1.x",
		               (unsigned long long)blk->off, major, load_u16(blk->body + 6));
	consume(r, blk->len);
	r->phase = PH_META;
	rec->kind = SCAP_REC_SECTION;
	return rec->kind;
}

/*
 * An event block into rec->ev. Returns SCAP_REC_EVENT, BLOCK_SKIPPED for an
 * event code the table does not know (skipped, as sysdig does), or the
 * parse's negative errno with the block's offset added to e.
 */
static int read_event(struct scap_reader *r, const struct block *blk, struct scap_record *rec, struct err *e)
{
	int rc = parse_event_block(&blk->k, blk->body, blk->body_len, rec, e);

	if (rc) {
		add_offset(e, blk->off);
		return rc;
	}
	consume(r, blk->len);
	r->phase = PH_EVENTS;
	r->any_event = true;
	if (rec->ev.type >= EVENT_MAX)
		return BLOCK_SKIPPED;
	rec->kind = SCAP_REC_EVENT;
	return rec->kind;
}

/*
 * A metadata block (machine, interfaces, users, processes, fds), parsed into
 * the reader's lists that rec then points to, until the next call. Only
 * events or a new section may follow the first event. Returns the record's
 * kind, BLOCK_SKIPPED for a block type this reader does not know, or a
 * negative errno with the block's offset in e.
 */
static int read_metadata(struct scap_reader *r, const struct block *blk, struct scap_record *rec,
                         struct err *e)
{
	uint32_t bt = blk->type;
	int rc;

	if (r->phase == PH_EVENTS)
		return err_set(e, -EINVAL,
		               "block type 0x%x at offset %llu after the first event "
		               "(only events or a new section may follow)",
		               bt, (unsigned long long)blk->off);
	switch (bt) {
	case SCAP_BT_MI:
	case SCAP_BT_MI_ALT:
		rc = scap_meta_parse_machine(rec, blk->body, blk->body_len, e);
		rec->kind = SCAP_REC_MACHINE;
		break;
	case SCAP_BT_IL:
	case SCAP_BT_IL_ALT:
	case SCAP_BT_IL_V2:
		rc = scap_meta_parse_ifaces(r, bt == SCAP_BT_IL_V2 ? bt : SCAP_BT_IL, blk->body,
		                            blk->body_len, e);
		rec->kind = SCAP_REC_IFACES;
		rec->ifaces = r->ifaces;
		rec->nifaces = r->nifaces;
		break;
	case SCAP_BT_UL:
	case SCAP_BT_UL_ALT:
	case SCAP_BT_UL_V2:
		rc = scap_meta_parse_users(r, bt == SCAP_BT_UL_V2 ? bt : SCAP_BT_UL, blk->body, blk->body_len,
		                           e);
		rec->kind = SCAP_REC_USERS;
		rec->users = r->users;
		rec->nusers = r->nusers;
		rec->groups = r->groups;
		rec->ngroups = r->ngroups;
		break;
	case SCAP_BT_FDL:
	case SCAP_BT_FDL_ALT:
	case SCAP_BT_FDL_V2:
		rc = scap_meta_parse_fds(r, bt == SCAP_BT_FDL_V2 ? bt : SCAP_BT_FDL, blk->body, blk->body_len,
		                         rec, e);
		rec->kind = SCAP_REC_FDS;
		rec->fds = r->fds;
		rec->nfds = r->nfds;
		break;
	default:
		if (!scap_meta_pl_version(bt)) {
			consume(r, blk->len); /* unknown metadata block: skipped */
			return BLOCK_SKIPPED;
		}
		rc = scap_meta_parse_procs(r, bt, blk->body, blk->body_len, e);
		rec->kind = SCAP_REC_PROCS;
		rec->procs = r->procs;
		rec->nprocs = r->nprocs;
		break;
	}
	r->has_meta = true;
	if (rc) {
		add_offset(e, blk->off);
		return rc;
	}
	consume(r, blk->len);
	return rec->kind;
}

int scap_reader_next(struct scap_reader *r, struct scap_record *rec, struct err *e)
{
	if (next_common_event(r, rec))
		return SCAP_REC_EVENT;
	for (;;) {
		struct block blk;
		int rc;

		free_meta(r);
		if (!read_block(r, &blk, &rc, e))
			return rc;
		rec->block_type = blk.type;
		rec->offset = blk.off;
		if (blk.type == SCAP_BT_SHB)
			return read_section_header(r, &blk, rec, e);
		rc = blk.is_event ? read_event(r, &blk, rec, e) : read_metadata(r, &blk, rec, e);
		if (rc != BLOCK_SKIPPED)
			return rc;
	}
}
