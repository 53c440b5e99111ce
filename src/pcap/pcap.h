/*
 * pcap: the pcapng writer and reader (draft-ietf-opsawg-pcapng, "PCAP Now
 * Generic"; docs/pcapng.md says what sysrec puts in the files).
 *
 * The writer emits one section in host byte order: a Section Header Block,
 * an Interface Description Block per interface the caller adds (timestamps
 * in nanoseconds), an Enhanced Packet Block per packet (direction, the
 * owning process as a comment and as a custom option), and at close an
 * Interface Statistics Block per interface. Files are written under a
 * temporary name and renamed on a clean close; the first I/O error is kept
 * and reported by pcap_writer_close().
 *
 * The reader takes any pcapng file: sections of either byte order, several
 * sections, unknown blocks and options skipped. Every block is framed
 * (minimum, multiple of 4, limit, trailer) before its body is used, every
 * option and field is bounded by its block, and a malformed file yields one
 * error naming the byte offset.
 */
#ifndef SYSREC_PCAP_H
#define SYSREC_PCAP_H

#include "../common/common.h"

/* Block types (draft section 10.1; the Packet Block is its appendix A). */
enum {
	PCAP_BT_IDB = 0x00000001,
	PCAP_BT_PB = 0x00000002, /* obsolete Packet Block: read, never written */
	PCAP_BT_SPB = 0x00000003,
	PCAP_BT_NRB = 0x00000004,
	PCAP_BT_ISB = 0x00000005,
	PCAP_BT_EPB = 0x00000006,
	PCAP_BT_DSB = 0x0000000A,
	PCAP_BT_SHB = 0x0A0D0D0A,
};

/* Option codes: those every block may carry, then per block. */
enum {
	PCAP_OPT_END = 0,
	PCAP_OPT_COMMENT = 1,
	PCAP_OPT_CUSTOM_STR = 2988, /* a PEN, then UTF-8; copied along by editors */
	PCAP_OPT_CUSTOM_BIN = 2989,
	PCAP_OPT_CUSTOM_STR_NOCOPY = 19372,
	PCAP_OPT_CUSTOM_BIN_NOCOPY = 19373,

	PCAP_OPT_SHB_HARDWARE = 2,
	PCAP_OPT_SHB_OS = 3,
	PCAP_OPT_SHB_USERAPPL = 4,

	PCAP_OPT_IF_NAME = 2,
	PCAP_OPT_IF_DESCRIPTION = 3,
	PCAP_OPT_IF_TSRESOL = 9,
	PCAP_OPT_IF_TSOFFSET = 14,

	PCAP_OPT_EPB_FLAGS = 2, /* also the Packet Block's pack_flags */
	PCAP_OPT_EPB_DROPCOUNT = 4,

	PCAP_OPT_ISB_STARTTIME = 2,
	PCAP_OPT_ISB_ENDTIME = 3,
	PCAP_OPT_ISB_IFRECV = 4,
	PCAP_OPT_ISB_IFDROP = 5,
};

/* Link types of the LINKTYPE_ registry that sysrec's captures use. */
enum {
	PCAP_LINKTYPE_ETHERNET = 1,
	PCAP_LINKTYPE_RAW = 101, /* an IPv4 or IPv6 header first */
	PCAP_LINKTYPE_IPV4 = 228,
	PCAP_LINKTYPE_IPV6 = 229,
};

#define PCAP_BYTE_ORDER_MAGIC 0x1A2B3C4DU
/* The reader refuses larger blocks; the writer never needs them (a packet
 * is cut to PCAP_MAX_SNAPLEN and each option holds at most 65535 bytes). */
#define PCAP_MAX_BLOCK   (16U << 20)
#define PCAP_MAX_SNAPLEN 262144U
/* The reader refuses a section declaring more interfaces (memory bound). */
#define PCAP_MAX_IFACES (1U << 20)
/*
 * The Private Enterprise Number of sysrec's custom options: 32473, the one
 * RFC 5612 sets aside for documentation, until the project has its own.
 */
#define PCAP_PEN 32473U

/* Direction, the low 2 bits of epb_flags. */
enum pcap_dir {
	PCAP_DIR_UNKNOWN = 0,
	PCAP_DIR_IN = 1,
	PCAP_DIR_OUT = 2,
};
#define PCAP_FLAGS_DIR_MASK 3U

/*
 * The process a packet belongs to. In a file it is an opt_comment for people,
 * "pid=1234 tid=1234 comm=curl container=3f2a9c1b7e4d fd=5", and a custom
 * option (2988, PCAP_PEN) for programs, "pid=1234;tid=1234;comm=curl;
 * container=3f2a9c1b7e4d;fd=5". In both, comm and container are escaped:
 * '%', ';', '=', space, control characters and bytes that are not UTF-8 are
 * written %XX. An empty container and fd -1 are left out.
 */
struct pcap_owner {
	int64_t pid;
	int64_t tid;
	const char *comm;      /* NULL or "": unknown */
	const char *container; /* container id; NULL or "": the host */
	int64_t fd;            /* -1: none */
};

/* ------------------------------------------------------------------ writer */

/* What the Section Header Block says; NULL fields take the default. */
struct pcap_section_info {
	const char *hardware; /* shb_hardware; default: uname's machine ("x86_64") */
	const char *os;       /* shb_os; default: uname's sysname and release */
	const char *userappl; /* shb_userappl; default "sysrec" (callers add the version) */
	const char *comment;  /* opt_comment; default "host=<hostname>" */
};

/* An interface, described by an IDB; its timestamps are in ns (if_tsresol 9). */
struct pcap_iface {
	uint16_t linktype;       /* PCAP_LINKTYPE_* */
	uint32_t snaplen;        /* 0: no limit (packets are cut to PCAP_MAX_SNAPLEN anyway) */
	const char *name;        /* if_name; NULL: none */
	const char *description; /* if_description; NULL: none */
	uint64_t start_ns;       /* isb_starttime; 0: when the interface is added */
};

struct pcap_packet {
	uint32_t iface; /* an id pcap_writer_add_iface() returned */
	uint64_t ts_ns; /* since the epoch */
	const void *data;
	uint32_t caplen;  /* bytes at data; cut to the interface's snaplen */
	uint32_t origlen; /* length on the wire; 0: caplen */
	enum pcap_dir dir;
	const struct pcap_owner *owner; /* NULL: none (no comment, no custom option) */
	const char *note;               /* another opt_comment, e.g. "3 packets lost before this one" */
	uint64_t drops;                 /* epb_dropcount when non-zero */
};

/* The counters of an interface's statistics block. */
struct pcap_stats {
	uint64_t received; /* isb_ifrecv */
	uint64_t dropped;  /* isb_ifdrop */
	uint64_t end_ns;   /* isb_endtime and the block's timestamp; 0: at close */
	uint64_t start_ns; /* isb_starttime; 0: the interface's start_ns */
	bool no_counts;    /* received and dropped are not known: left out */
};

struct pcap_writer;

/*
 * A writer into path (through "<path>.tmp-<pid>", mode 0600, renamed at a
 * clean close). Writes the section header at once. NULL with e set when the
 * file cannot be created. si may be NULL (all defaults).
 */
struct pcap_writer *pcap_writer_open(const char *path, const struct pcap_section_info *si, struct err *e);
/*
 * A writer into out(ctx, bytes, n) (memory, an object store): out returns 0
 * or -errno; after its first error nothing more is passed to it, and
 * pcap_writer_close() reports that error.
 */
typedef int (*pcap_out_fn)(void *ctx, const void *p, size_t n);
struct pcap_writer *pcap_writer_open_fn(pcap_out_fn out, void *ctx, const struct pcap_section_info *si);
/* Describe an interface; returns its id (0, 1, ...). Strings are copied into the block. */
int pcap_writer_add_iface(struct pcap_writer *w, const struct pcap_iface *ifc);
/*
 * Write one packet. Returns 0, -EINVAL (no such interface: nothing is
 * written), or the writer's first I/O error (a caller may stop there).
 */
int pcap_writer_packet(struct pcap_writer *w, const struct pcap_packet *p);
/* Set an interface's counters for the statistics block written at close; 0 or -EINVAL. */
int pcap_writer_set_stats(struct pcap_writer *w, uint32_t iface, const struct pcap_stats *st);
/* The first I/O error so far (0: none). */
int pcap_writer_error(const struct pcap_writer *w);
uint64_t pcap_writer_bytes(const struct pcap_writer *w);
/* Write the statistics blocks, finish and publish; 0 or the first error (in e). Frees w. */
int pcap_writer_close(struct pcap_writer *w, struct err *e);
/* Drop the file being written (nothing is published). Frees w. */
void pcap_writer_abort(struct pcap_writer *w);
/*
 * Exact sizes, for a caller that bounds its files before it writes. The
 * bytes pcap_writer_add_iface(w, ifc) writes (its IDB).
 */
size_t pcap_writer_iface_size(const struct pcap_iface *ifc);
/*
 * The bytes pcap_writer_packet(w, p) writes: the Enhanced Packet Block with
 * its options, the data cut to the interface's snaplen as it does. For an
 * interface w does not have yet (p->iface past its last) the data is cut to
 * PCAP_MAX_SNAPLEN only: a caller sizing a packet before it adds the
 * interface cuts caplen to the snaplen first.
 */
size_t pcap_writer_packet_size(const struct pcap_writer *w, const struct pcap_packet *p);
/* The bytes of one statistics block pcap_writer_close() writes with st set (NULL: none set). */
size_t pcap_writer_stats_size(const struct pcap_stats *st);

/* ------------------------------------------------------------------- merge */

struct pcap_merge_stats {
	size_t inputs;
	uint64_t packets, bytes; /* written: packets and their captured bytes */
	uint64_t interfaces;     /* of the output: one per interface of each input's sections */
};

struct pcap_merge_opts {
	const struct pcap_section_info *si; /* the output's section header; NULL: defaults */
	/* called now and then, and at the end (NULL: not called) */
	void (*progress)(void *ctx, const struct pcap_merge_stats *st);
	void *ctx;
	/* only packets with since_ns <= ts <= until_ns (0, 0: all; until_ns 0: no end); a packet
	 * without a time is kept */
	uint64_t since_ns, until_ns;
};

/*
 * Merge the pcapng files paths[0..n) into out, as `mergecap -w out paths...`
 * does: packets in time order (a packet without a time as soon as it comes;
 * of equal times, the later input's first, as mergecap takes them), each
 * packet's bytes, lengths,
 * direction, drop count, comment and sysrec's owner option kept. Unlike
 * mergecap, every interface of every input (of each section) is the
 * output's own: its name, link type and snaplen as in its input, its
 * description naming the input's host (the section comment's "host=NAME",
 * as sysrec writes it) before its own; its statistics block spans its
 * packets, with the input's counts when the input said them. With time
 * bounds (o->since_ns, o->until_ns) packets outside them are left out; a
 * statistics block then spans the interface's kept packets (none kept: its
 * input's span clamped to the bounds) and has the input's counts only when
 * the bounds left none of its packets out. o may be NULL (all defaults).
 * 0 with *stats (of the packets written), or -errno with e naming the input
 * (and byte) at fault; out is then not left behind.
 */
int pcap_merge(const char *const *paths, size_t n, const char *out, const struct pcap_merge_opts *o,
               struct pcap_merge_stats *stats, struct err *e);

/* ------------------------------------------------------------------ filter */

/*
 * tcpdump's filter language (libpcap compiles and runs it, filter.c), for
 * packets that start at their IP header as sysrec takes them (LINKTYPE_RAW).
 */
struct pcap_filter;

/* NULL with e "'EXPR': libpcap's message" when expr is not a filter. */
struct pcap_filter *pcap_filter_new(const char *expr, struct err *e);
/* 0, or -EINVAL with e set as pcap_filter_new() says it. */
int pcap_filter_check(const char *expr, struct err *e);
/* Whether the packet (caplen bytes at data of len on the wire; 0: caplen) passes. */
bool pcap_filter_match(const struct pcap_filter *f, const void *data, uint32_t caplen, uint32_t len);
void pcap_filter_free(struct pcap_filter *f);

/* ----------------------------------------------------------- rolling files */

/*
 * Rolling files: packets recorded continuously into a directory of pcapng
 * files, PREFIX-<its first packet's epoch ns, 19 digits>.pcapng, kept within
 * a size and an age (Kubeshark's pcapdump maxSize and maxTime). A file is
 * closed (published) and the next begun when it holds max_bytes/8 (at least
 * 64 KiB, at most 1 GiB, and at most max_bytes/2 so that two files fit) or
 * when its packets span max_age_ns/8 (at least 1 s, or max_age_ns/2 when
 * that is shorter): whole old files can go while the bounds stay near their
 * values.
 *
 * The size bound holds at all times: the sizes (st_size) of the roll's files
 * together never pass max_bytes, the file being written counted as its
 * bytes so far plus the statistics blocks closing it adds. Room is made by
 * deleting the oldest closed files first, then by closing the file being
 * written and deleting again. Each closed file ends with a statistics block
 * per interface: the packets written to it in that file, the sum of their
 * drop counts, and the file's first and last packet times.
 *
 * A file's name is its first packet's time, or 1 ns past the previous
 * file's name when that is not earlier (packets out of order, equal times),
 * so that names sort as the files were written. A previous run's files are
 * taken at open without being read: their first packet time is the one the
 * name says, their last the next file's first (the newest's: its mtime);
 * these are upper bounds, so none is deleted for age early nor left out of
 * a time range. Other names in the directory are never touched.
 *
 * One roll per directory and prefix: a temporary there (the name
 * pcap_writer_open() writes under) is a crashed writer's, and is deleted.
 * Not thread-safe: one caller at a time.
 */
struct pcap_roll_opts {
	const char *dir;     /* the files' directory: made (0700) when missing; its parent must exist */
	const char *prefix;  /* the files' names begin "PREFIX-"; not empty, no '/' */
	uint64_t max_bytes;  /* the files' sizes together never pass it (> 0) */
	uint64_t max_age_ns; /* files whose last packet is older than now - max_age_ns go (0: no bound) */
	const struct pcap_section_info *si; /* each file's section header (NULL: defaults); copied */
};

struct pcap_roll;

/*
 * Open the roll of o->dir: make the directory when missing, delete crashed
 * writers' temporaries, take the previous run's files, and enforce the
 * bounds at once (the age against the wall clock). NULL with e set when the
 * options are wrong (-EINVAL) or the directory cannot be made or read.
 */
struct pcap_roll *pcap_roll_open(const struct pcap_roll_opts *o, struct err *e);
/*
 * Write p into the file being written (begun on the first packet, named by
 * its time); p->iface is ignored: if_key names the interface (the caller's
 * key, e.g. netns << 32 | ifindex), and ifc (never NULL: the caller cannot
 * know when a file begins) describes it the first time a file gets a
 * packet of if_key. Room is made first (see above). Returns 0 when p is
 * written; -EFBIG when p cannot fit even into an empty file (not written,
 * counted as too_big); -EINVAL for a NULL ifc or data; or the -errno of a
 * write error (a file system's EFBIG as -EIO): the file being written is
 * then dropped with its packets (counted as write_lost) and the next packet
 * begins a new one. A file that fails to close as the roll moves on is
 * counted the same way.
 */
int pcap_roll_packet(struct pcap_roll *r, uint64_t if_key, const struct pcap_iface *ifc,
                     const struct pcap_packet *p);
/*
 * New bounds, enforced at once: the oldest closed files deleted for size,
 * closed files past the age deleted (against the latest pcap_roll_tick()
 * time, or the wall clock before any); the file being written, when it alone
 * passes max_bytes, dropped too (the bound wins over the data), or closed
 * when it passes the new file size or span. 0, -EINVAL (max_bytes 0), or
 * the error of closing the file being written.
 */
int pcap_roll_set_bounds(struct pcap_roll *r, uint64_t max_bytes, uint64_t max_age_ns);
/*
 * Time passes (now_ns since the epoch): closed files whose last packet is
 * older than now_ns - max_age_ns are deleted; the file being written is
 * deleted when its last packet is that old, else closed when its first is
 * older than the span a file may have (so that an idle roll does not keep
 * an old file open). Nothing happens without an age bound.
 */
void pcap_roll_tick(struct pcap_roll *r, uint64_t now_ns);
/* Close the file being written, if any: what was written is then in closed files. 0 or -errno (e set). */
int pcap_roll_cut(struct pcap_roll *r, struct err *e);
/*
 * The closed files whose [first, last] packet span overlaps [since_ns,
 * until_ns] (until_ns 0 or UINT64_MAX: no end), oldest first: *paths is a
 * new NULL-terminated array of new strings (full paths) the caller frees.
 * Returns their count. The roll may delete them later: link or open them
 * before it runs again.
 */
size_t pcap_roll_files(struct pcap_roll *r, uint64_t since_ns, uint64_t until_ns, char ***paths);

struct pcap_roll_stats {
	size_t files;                  /* closed, and the one being written */
	uint64_t bytes;                /* of them all; the one being written as closing it would leave it */
	uint64_t oldest_ns, newest_ns; /* the first and the last packet held; 0: none */
	uint64_t packets;              /* written (pcap_roll_packet() returned 0) */
	uint64_t deleted_size, deleted_size_bytes; /* files deleted for max_bytes, and their bytes */
	uint64_t deleted_age, deleted_age_bytes;   /* files deleted for max_age_ns, and their bytes */
	uint64_t too_big;                          /* packets refused: -EFBIG */
	uint64_t write_lost;                       /* packets lost to write errors (their files dropped) */
	int write_error;                           /* the latest write error (-errno); 0: none */
	uint64_t max_bytes, max_age_ns;            /* the bounds */
};

void pcap_roll_stats(const struct pcap_roll *r, struct pcap_roll_stats *out);
/* Close the file being written (publish it) and free r (NULL is fine). 0 or the first error (in e). */
int pcap_roll_close(struct pcap_roll *r, struct err *e);

/* ------------------------------------------------------------------ reader */

enum pcap_rec_kind {
	PCAP_REC_EOF = 0,
	PCAP_REC_SECTION, /* a Section Header Block: the interfaces before it are gone */
	PCAP_REC_IFACE,
	PCAP_REC_PACKET, /* an Enhanced, Simple or (obsolete) Packet Block */
	PCAP_REC_STATS,
};

/*
 * Strings are NUL-terminated copies of option values, NULL when the option is
 * absent; their bytes are as in the file (not checked for UTF-8) up to a NUL.
 * Several opt_comment options are joined with '\n'.
 */
struct pcap_section_rec {
	bool big_endian;
	/* A version other than 1.0 (or 1.2, its synonym): as the draft asks, its
	 * blocks are skipped up to the next section header. */
	bool skipped;
	uint16_t major, minor;
	int64_t length; /* -1: not given */
	const char *hardware, *os, *userappl, *comment;
};

struct pcap_iface_rec {
	uint32_t id; /* within its section */
	uint16_t linktype;
	uint32_t snaplen;
	uint8_t tsresol;  /* as written (6 when absent): bit 7 picks powers of 2 over powers of 10 */
	int64_t tsoffset; /* if_tsoffset, seconds */
	const char *name, *description, *comment;
};

struct pcap_packet_rec {
	uint32_t iface;
	bool has_ts;    /* false for a Simple Packet Block, which has no time */
	uint64_t ts_ns; /* since the epoch (if_tsresol, if_tsoffset applied; saturated) */
	const uint8_t *data;
	uint32_t caplen, origlen;
	uint32_t flags; /* epb_flags (pack_flags), 0 when absent */
	enum pcap_dir dir;
	uint64_t drops; /* epb_dropcount, or the Packet Block's drops count */
	const char *comment;
	/* From sysrec's custom option (PCAP_PEN) when present and well formed;
	 * comm and container then are "" when not given, fd -1. */
	bool has_owner;
	struct pcap_owner owner;
};

struct pcap_stats_rec {
	uint32_t iface;
	uint64_t ts_ns;
	bool has_start, has_end, has_received, has_dropped;
	uint64_t start_ns, end_ns, received, dropped;
	const char *comment;
};

/* One record; what it points to is owned by the reader and valid until the
 * next pcap_reader_next() call (packet data: until the reader is closed). */
struct pcap_record {
	enum pcap_rec_kind kind;
	uint32_t block_type;
	uint64_t offset;  /* of the block in the file */
	uint32_t section; /* 0 for the first section */
	struct pcap_section_rec shb;
	struct pcap_iface_rec iface;
	struct pcap_packet_rec pkt;
	struct pcap_stats_rec stats;
};

struct pcap_reader;

/* Open a file (mapped, or read whole when it cannot be); NULL with e set. */
struct pcap_reader *pcap_reader_open(const char *path, struct err *e);
/* Read n bytes at p, not copied: they must outlive the reader. */
struct pcap_reader *pcap_reader_open_mem(const void *p, size_t n);
/*
 * The next record: its kind (> 0), PCAP_REC_EOF at a clean end, or a negative
 * errno with e->msg naming the defect and its byte offset: -ENODATA when the
 * file ends inside a block (cut short, or still being written), -EINVAL for
 * a malformed block or option. After an error the reader stays at the bad
 * block: every later call returns the same error.
 */
int pcap_reader_next(struct pcap_reader *r, struct pcap_record *rec, struct err *e);
/* Bytes consumed so far (the offset of the next block). */
uint64_t pcap_reader_offset(const struct pcap_reader *r);
void pcap_reader_close(struct pcap_reader *r);

#endif
