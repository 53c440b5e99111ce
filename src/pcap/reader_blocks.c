/*
 * reader_blocks: the pcapng blocks the reader hands out (draft section 4
 * and appendix A): section header, interface description, enhanced, simple
 * and obsolete packet blocks, interface statistics. Each is framed already
 * (reader.c) and at least its fixed fields long (block_kinds[]).
 */
#include "reader_int.h"

#include <errno.h>
#include <string.h>

static const uint64_t pow10_u64[20] = {
	1ULL,
	10ULL,
	100ULL,
	1000ULL,
	10000ULL,
	100000ULL,
	1000000ULL,
	10000000ULL,
	100000000ULL,
	1000000000ULL,
	10000000000ULL,
	100000000000ULL,
	1000000000000ULL,
	10000000000000ULL,
	100000000000000ULL,
	1000000000000000ULL,
	10000000000000000ULL,
	100000000000000000ULL,
	1000000000000000000ULL,
	10000000000000000000ULL,
};

/*
 * An interface clock's units as ns since the epoch: if_tsresol is 10^-n s,
 * or 2^-n s when its top bit is set; if_tsoffset adds whole seconds. Times
 * past what 64 bits of ns hold (year 2554) saturate, and so do negative ones.
 */
static uint64_t units_to_ns(const struct riface *f, uint64_t units)
{
	unsigned exp = f->tsresol & 0x7f;
	unsigned __int128 ns;
	__int128 t;

	if (f->tsresol & 0x80)
		ns = ((unsigned __int128)units * 1000000000U) >> exp; /* below 2^94: exp < 128 shifts it */
	else if (exp <= 9)
		ns = (unsigned __int128)units * pow10_u64[9 - exp];
	else if (exp - 9 < ARRAY_SIZE(pow10_u64))
		ns = units / pow10_u64[exp - 9];
	else
		ns = 0;
	t = (__int128)ns + (__int128)f->tsoffset * 1000000000;
	if (t < 0)
		return 0;
	return t > (__int128)UINT64_MAX ? UINT64_MAX : (uint64_t)t;
}

/* The interface a block names, or NULL (e set) when the section has not described it. */
static const struct riface *find_iface(const struct pcap_reader *r, const struct blk *b, uint32_t id,
                                       struct err *e)
{
	if (id < r->nifs)
		return &r->ifs[id];
	err_set(e, -EINVAL, "%s at offset %llu: interface %u not described (the section has %zu)", b->name,
	        (unsigned long long)b->off, id, r->nifs);
	return NULL;
}

/* Section header: magic (checked by the framing), version, section length, options. */
int pcap_read_shb(struct pcap_reader *r, const struct blk *b, struct pcap_record *rec, struct err *e)
{
	struct pcap_section_rec *s = &rec->shb;
	struct opts it;
	struct opt o;
	int rc = 0;

	s->big_endian = r->swap; /* the host is little-endian (common.h) */
	s->major = rd16(r, b->body + 4);
	s->minor = rd16(r, b->body + 6);
	s->length = (int64_t)rd64(r, b->body + 8);
	/* 1.2 was written by some tools for 1.0; any other version may lay its blocks out otherwise */
	s->skipped = !(s->major == 1 && (s->minor == 0 || s->minor == 2));
	opts_init(&it, b, 16);
	while (!s->skipped && (rc = pcap_next_opt(r, &it, &o, e)) > 0) {
		switch (o.code) {
		case PCAP_OPT_COMMENT:
			pcap_add_comment(r, &o);
			break;
		case PCAP_OPT_SHB_HARDWARE:
			s->hardware = pcap_opt_str(r, &o);
			break;
		case PCAP_OPT_SHB_OS:
			s->os = pcap_opt_str(r, &o);
			break;
		case PCAP_OPT_SHB_USERAPPL:
			s->userappl = pcap_opt_str(r, &o);
			break;
		default:
			break;
		}
	}
	if (rc < 0)
		return rc;
	s->comment = pcap_comments(r);
	/* a new section: the interfaces of the last one are gone */
	if (r->started)
		r->section++;
	r->started = true;
	r->skipping = s->skipped;
	r->nifs = 0;
	rec->section = r->section;
	return PCAP_REC_SECTION;
}

/* Interface description: link type, reserved, snaplen, options. */
int pcap_read_idb(struct pcap_reader *r, const struct blk *b, struct pcap_record *rec, struct err *e)
{
	struct pcap_iface_rec *ir = &rec->iface;
	struct riface f = { .linktype = rd16(r, b->body), .snaplen = rd32(r, b->body + 4), .tsresol = 6 };
	struct opts it;
	struct opt o;
	int rc;

	if (r->nifs >= PCAP_MAX_IFACES)
		return err_set(e, -EINVAL, "%s at offset %llu: more than %u interfaces in the section",
		               b->name, (unsigned long long)b->off, PCAP_MAX_IFACES);
	opts_init(&it, b, 8);
	while ((rc = pcap_next_opt(r, &it, &o, e)) > 0) {
		switch (o.code) {
		case PCAP_OPT_COMMENT:
			pcap_add_comment(r, &o);
			break;
		case PCAP_OPT_IF_NAME:
			ir->name = pcap_opt_str(r, &o);
			break;
		case PCAP_OPT_IF_DESCRIPTION:
			ir->description = pcap_opt_str(r, &o);
			break;
		case PCAP_OPT_IF_TSRESOL:
			f.tsresol = o.val[0];
			break;
		case PCAP_OPT_IF_TSOFFSET:
			f.tsoffset = (int64_t)rd64(r, o.val);
			break;
		default:
			break;
		}
	}
	if (rc < 0)
		return rc;
	if (r->nifs == r->cap) {
		r->cap = r->cap ? 2 * r->cap : 4;
		r->ifs = xrealloc(r->ifs, r->cap * sizeof(*r->ifs));
	}
	r->ifs[r->nifs] = f;
	ir->id = (uint32_t)r->nifs++;
	ir->linktype = f.linktype;
	ir->snaplen = f.snaplen;
	ir->tsresol = f.tsresol;
	ir->tsoffset = f.tsoffset;
	ir->comment = pcap_comments(r);
	return PCAP_REC_IFACE;
}

/* sysrec's custom option (our PEN): the packet's owner; the first well-formed one counts. */
static void read_owner(struct pcap_reader *r, const struct opt *o, struct pcap_packet_rec *pk)
{
	const char *s = (const char *)o->val + 4;
	size_t n = strnlen(s, (size_t)o->len - 4);

	if (pk->has_owner || rd32(r, o->val) != PCAP_PEN)
		return;
	pk->has_owner = pcap_owner_parse(s, n, &pk->owner, pcap_arena(r, n + 2));
	if (!pk->has_owner)
		memset(&pk->owner, 0, sizeof(pk->owner));
}

/* A packet's options (enhanced or obsolete packet block). */
static int packet_opts(struct pcap_reader *r, struct opts *it, struct pcap_packet_rec *pk, struct err *e)
{
	struct opt o;
	int rc;

	while ((rc = pcap_next_opt(r, it, &o, e)) > 0) {
		switch (o.code) {
		case PCAP_OPT_COMMENT:
			pcap_add_comment(r, &o);
			break;
		case PCAP_OPT_EPB_FLAGS:
			pk->flags = rd32(r, o.val);
			break;
		case PCAP_OPT_EPB_DROPCOUNT: /* the packet block has no such option */
			if (it->b->type == PCAP_BT_EPB)
				pk->drops = rd64(r, o.val);
			break;
		case PCAP_OPT_CUSTOM_STR:
		case PCAP_OPT_CUSTOM_STR_NOCOPY:
			read_owner(r, &o, pk);
			break;
		default:
			break;
		}
	}
	if (rc < 0)
		return rc;
	/* 3 ("both") is no direction */
	pk->dir = (pk->flags & PCAP_FLAGS_DIR_MASK) == 3 ? PCAP_DIR_UNKNOWN
	                                                 : (enum pcap_dir)(pk->flags & PCAP_FLAGS_DIR_MASK);
	pk->comment = pcap_comments(r);
	return PCAP_REC_PACKET;
}

/*
 * The body the enhanced and the obsolete packet blocks share past the
 * interface id (and drops count): timestamp, captured and original length,
 * data padded to 32 bits, options.
 */
static int read_packet(struct pcap_reader *r, const struct blk *b, struct pcap_record *rec, uint32_t id,
                       struct err *e)
{
	struct pcap_packet_rec *pk = &rec->pkt;
	const struct riface *f = find_iface(r, b, id, e);
	size_t padded;
	struct opts it;

	if (!f)
		return -EINVAL;
	pk->iface = id;
	pk->caplen = rd32(r, b->body + 12);
	pk->origlen = rd32(r, b->body + 16);
	padded = ((size_t)pk->caplen + 3) & ~(size_t)3;
	if (padded > b->body_len - 20)
		return err_set(e, -EINVAL,
		               "%s at offset %llu: captured length %u exceeds the %zu bytes the block has "
		               "room for",
		               b->name, (unsigned long long)b->off, pk->caplen, b->body_len - 20);
	pk->has_ts = true;
	pk->ts_ns = units_to_ns(f, rd_ts(r, b->body + 4));
	pk->data = b->body + 20;
	opts_init(&it, b, 20 + padded);
	return packet_opts(r, &it, pk, e);
}

/* Enhanced packet: interface id (32 bits), then read_packet(). */
int pcap_read_epb(struct pcap_reader *r, const struct blk *b, struct pcap_record *rec, struct err *e)
{
	return read_packet(r, b, rec, rd32(r, b->body), e);
}

/* Obsolete packet block: interface id and drops count (16 bits each; 0xFFFF: unknown), then read_packet(). */
int pcap_read_pb(struct pcap_reader *r, const struct blk *b, struct pcap_record *rec, struct err *e)
{
	uint16_t drops = rd16(r, b->body + 2);

	rec->pkt.drops = drops == 0xFFFF ? 0 : drops;
	return read_packet(r, b, rec, rd16(r, b->body), e);
}

/*
 * Simple packet: the original length, then data of the interface 0: as much
 * as its snaplen keeps (all when 0). No time, no options.
 */
int pcap_read_spb(struct pcap_reader *r, const struct blk *b, struct pcap_record *rec, struct err *e)
{
	struct pcap_packet_rec *pk = &rec->pkt;
	const struct riface *f = find_iface(r, b, 0, e);

	if (!f)
		return -EINVAL;
	pk->origlen = rd32(r, b->body);
	pk->caplen = f->snaplen && pk->origlen > f->snaplen ? f->snaplen : pk->origlen;
	if (pk->caplen > b->body_len - 4)
		return err_set(e, -EINVAL,
		               "%s at offset %llu: captured length %u (original %u, snaplen %u) exceeds the "
		               "%zu bytes the block has room for",
		               b->name, (unsigned long long)b->off, pk->caplen, pk->origlen, f->snaplen,
		               b->body_len - 4);
	pk->data = b->body + 4;
	return PCAP_REC_PACKET;
}

/* Interface statistics: interface id, timestamp, options (counters and times). */
int pcap_read_isb(struct pcap_reader *r, const struct blk *b, struct pcap_record *rec, struct err *e)
{
	struct pcap_stats_rec *st = &rec->stats;
	const struct riface *f = find_iface(r, b, rd32(r, b->body), e);
	struct opts it;
	struct opt o;
	int rc;

	if (!f)
		return -EINVAL;
	st->iface = rd32(r, b->body);
	st->ts_ns = units_to_ns(f, rd_ts(r, b->body + 4));
	opts_init(&it, b, 12);
	while ((rc = pcap_next_opt(r, &it, &o, e)) > 0) {
		switch (o.code) {
		case PCAP_OPT_COMMENT:
			pcap_add_comment(r, &o);
			break;
		case PCAP_OPT_ISB_STARTTIME:
			st->has_start = true;
			st->start_ns = units_to_ns(f, rd_ts(r, o.val));
			break;
		case PCAP_OPT_ISB_ENDTIME:
			st->has_end = true;
			st->end_ns = units_to_ns(f, rd_ts(r, o.val));
			break;
		case PCAP_OPT_ISB_IFRECV:
			st->has_received = true;
			st->received = rd64(r, o.val);
			break;
		case PCAP_OPT_ISB_IFDROP:
			st->has_dropped = true;
			st->dropped = rd64(r, o.val);
			break;
		default:
			break;
		}
	}
	if (rc < 0)
		return rc;
	st->comment = pcap_comments(r);
	return PCAP_REC_STATS;
}
