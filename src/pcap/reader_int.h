/* reader_int.h: the pcapng reader's state, shared by its framing (reader.c) and its blocks (reader_blocks.c).
 */
#ifndef SYSREC_PCAP_READER_INT_H
#define SYSREC_PCAP_READER_INT_H

#include "pcap_int.h"

/* What a packet or statistics block needs to know of its interface. */
struct riface {
	uint16_t linktype;
	uint32_t snaplen;
	uint8_t tsresol;
	int64_t tsoffset;
};

struct pcap_reader {
	const uint8_t *p; /* the file image, n bytes: the mapping, the copy, or the caller's */
	size_t n;
	void *map; /* mmap()ed file, map_len bytes */
	size_t map_len;
	uint8_t *copy; /* a file read whole (a pipe, or one mmap refused) */
	uint64_t off;  /* the next block */
	bool started;  /* a section header was read */
	bool swap;     /* the section's byte order is not the host's */
	bool skipping; /* the section's version is not read: its blocks are skipped */
	uint32_t section;
	struct riface *ifs; /* the section's interfaces */
	size_t nifs, cap;
	struct sbuf strs; /* the record's strings: reserved for the whole block, so never moved */
	struct sbuf cmt;  /* the record's comments, joined */
	unsigned ncmt;
};

/* A framed block: its length checked against the file, its trailer against its header. */
struct blk {
	uint32_t type;
	uint32_t len;
	uint64_t off;
	const uint8_t *body; /* len - 12 bytes */
	size_t body_len;
	const char *name; /* "enhanced packet block", for messages */
};

static inline uint16_t rd16(const struct pcap_reader *r, const uint8_t *p)
{
	uint16_t v = load_u16(p);

	return r->swap ? __builtin_bswap16(v) : v;
}
static inline uint32_t rd32(const struct pcap_reader *r, const uint8_t *p)
{
	uint32_t v = load_u32(p);

	return r->swap ? __builtin_bswap32(v) : v;
}
static inline uint64_t rd64(const struct pcap_reader *r, const uint8_t *p)
{
	uint64_t v = load_u64(p);

	return r->swap ? __builtin_bswap64(v) : v;
}
/* A timestamp: the upper 32 bits, then the lower. */
static inline uint64_t rd_ts(const struct pcap_reader *r, const uint8_t *p)
{
	return (uint64_t)rd32(r, p) << 32 | rd32(r, p + 4);
}

/* The options of a block: from p (inside b's body) to the body's end. */
struct opts {
	const struct blk *b;
	const uint8_t *p;
	const uint8_t *end;
};

struct opt {
	uint16_t code;
	uint16_t len;
	const uint8_t *val;
};

static inline void opts_init(struct opts *it, const struct blk *b, size_t from)
{
	it->b = b;
	it->p = b->body + from;
	it->end = b->body + b->body_len;
}

/*
 * The next option into *o: 1, or 0 at opt_endofopt or at the end of the
 * block, or -EINVAL when an option runs past the block or has a length its
 * code does not allow (e set, naming the option's offset).
 */
int pcap_next_opt(const struct pcap_reader *r, struct opts *it, struct opt *o, struct err *e);
/* A NUL-terminated copy of a string option's value (up to a NUL) in the record's arena. */
const char *pcap_opt_str(struct pcap_reader *r, const struct opt *o);
/* Room for n bytes in the record's arena (n no more than the option's length + 2). */
char *pcap_arena(struct pcap_reader *r, size_t n);
/* Add an opt_comment's value to the record's comments. */
void pcap_add_comment(struct pcap_reader *r, const struct opt *o);
/* The record's comments joined with '\n', or NULL when it has none. */
const char *pcap_comments(struct pcap_reader *r);

/* The readers of the blocks: the record's kind, or a negative errno with e set. */
int pcap_read_shb(struct pcap_reader *r, const struct blk *b, struct pcap_record *rec, struct err *e);
int pcap_read_idb(struct pcap_reader *r, const struct blk *b, struct pcap_record *rec, struct err *e);
int pcap_read_epb(struct pcap_reader *r, const struct blk *b, struct pcap_record *rec, struct err *e);
int pcap_read_spb(struct pcap_reader *r, const struct blk *b, struct pcap_record *rec, struct err *e);
int pcap_read_pb(struct pcap_reader *r, const struct blk *b, struct pcap_record *rec, struct err *e);
int pcap_read_isb(struct pcap_reader *r, const struct blk *b, struct pcap_record *rec, struct err *e);

#endif
