/*
 * scap: the .scap capture file reader and writer (docs/scap-format.md).
 *
 * The reader streams a file (raw or gzip, also concatenated members) as a
 * sequence of records: a new section, machine info, interfaces, users, process
 * entries, the fd list of one thread, or one event. Every block length is
 * checked (minimum, multiple of 4, maximum, trailer) before its body is used,
 * and a malformed file yields one error naming the byte offset.
 *
 * The writer emits SHB, MI, IL_V2, UL_V2, PL_V9, FDL_V2 and EV_V2/EVF_V2 (and
 * their _LARGE forms when needed) under a temporary name, renamed on a clean
 * close; the first I/O error is kept and reported by scap_writer_close().
 */
#ifndef SYSREC_SCAP_H
#define SYSREC_SCAP_H

#include "../common/common.h"
#include "../event/event.h"

/* Block type codes (section 1.5). */
enum {
	SCAP_BT_SHB = 0x0A0D0D0A,
	SCAP_BT_MI = 0x201,
	SCAP_BT_MI_ALT = 0x8002ABCD,
	SCAP_BT_PL_V1 = 0x202,
	SCAP_BT_PL_V1_ALT = 0x8000ABCD,
	SCAP_BT_PL_V2 = 0x207,
	SCAP_BT_PL_V2_ALT = 0x8013ABCD,
	SCAP_BT_PL_V3 = 0x209,
	SCAP_BT_PL_V3_ALT = 0x8014ABCD,
	SCAP_BT_PL_V4 = 0x210,
	SCAP_BT_PL_V5 = 0x211,
	SCAP_BT_PL_V6 = 0x212,
	SCAP_BT_PL_V7 = 0x213,
	SCAP_BT_PL_V8 = 0x214,
	SCAP_BT_PL_V9 = 0x215,
	SCAP_BT_FDL = 0x203,
	SCAP_BT_FDL_ALT = 0x8001ABCD,
	SCAP_BT_FDL_V2 = 0x218,
	SCAP_BT_IL = 0x205,
	SCAP_BT_IL_ALT = 0x8011ABCD,
	SCAP_BT_IL_V2 = 0x219,
	SCAP_BT_UL = 0x206,
	SCAP_BT_UL_ALT = 0x8012ABCD,
	SCAP_BT_UL_V2 = 0x220,
	SCAP_BT_EV = 0x204,
	SCAP_BT_EV_ALT = 0x8010ABCD,
	SCAP_BT_EVF = 0x208,
	SCAP_BT_EV_V2 = 0x216,
	SCAP_BT_EVF_V2 = 0x217,
	SCAP_BT_EV_V2_LARGE = 0x221,
	SCAP_BT_EVF_V2_LARGE = 0x222,
};

#define SCAP_SHB_MAGIC      0x1A2B3C4DU
#define SCAP_MAX_EVENT_BODY 65536U       /* non-LARGE event block body limit */
#define SCAP_MAX_BLOCK      (256U << 20) /* refuse any block larger than this */

/* fd types of FDL entries (section 6). */
enum {
	SCAP_FD_UNINITIALIZED = -1,
	SCAP_FD_UNKNOWN = 0,
	SCAP_FD_FILE = 1,
	SCAP_FD_DIRECTORY = 2,
	SCAP_FD_IPV4_SOCK = 3,
	SCAP_FD_IPV6_SOCK = 4,
	SCAP_FD_IPV4_SERVSOCK = 5,
	SCAP_FD_IPV6_SERVSOCK = 6,
	SCAP_FD_FIFO = 7,
	SCAP_FD_UNIX_SOCK = 8,
	SCAP_FD_EVENT = 9,
	SCAP_FD_UNSUPPORTED = 10,
	SCAP_FD_SIGNALFD = 11,
	SCAP_FD_EVENTPOLL = 12,
	SCAP_FD_INOTIFY = 13,
	SCAP_FD_TIMERFD = 14,
	SCAP_FD_NETLINK = 15,
	SCAP_FD_FILE_V2 = 16,
};

enum {
	SCAP_L4_UNKNOWN = 0,
	SCAP_L4_NA = 1,
	SCAP_L4_TCP = 2,
	SCAP_L4_UDP = 3,
	SCAP_L4_ICMP = 4,
	SCAP_L4_RAW = 5
};

struct scap_machine {
	uint32_t num_cpus;
	uint64_t memory_bytes;
	uint64_t max_pid;
	char hostname[129];
	uint64_t boot_ts;
};

struct scap_iface {
	uint16_t type; /* 1 IPv4, 2 IPv6 (3/4: old forms without linkspeed) */
	uint8_t addr[16];
	uint8_t netmask[16];
	uint8_t bcast[16];
	uint64_t linkspeed;
	char *name;
};

struct scap_user {
	uint32_t uid;
	uint32_t gid;
	char *name;
	char *homedir;
	char *shell;
};

struct scap_group {
	uint32_t gid;
	char *name;
};

/* Strings are NUL-terminated copies; args/env/cgroups are NUL-separated lists
 * whose byte length is in the *_len field. */
struct scap_proc {
	uint64_t tid, pid, ptid, sid, vpgid;
	char *comm, *exe, *exepath, *cwd, *root;
	char *args, *env, *cgroups;
	uint32_t args_len, env_len, cgroups_len;
	int64_t fdlimit;
	uint32_t flags, uid, gid;
	uint32_t vmsize_kb, vmrss_kb, vmswap_kb;
	uint64_t pfmajor, pfminor;
	int64_t vtid, vpid;
	uint32_t loginuid;
	uint32_t tty; /* read from newer files; not written */
	uint8_t exe_writable;
	bool has_caps;
	uint64_t cap_inheritable, cap_permitted, cap_effective;
};

struct scap_fd {
	int64_t fd;
	uint64_t ino;
	uint8_t type;    /* SCAP_FD_* */
	uint8_t l4proto; /* sockets */
	bool has_dev;
	uint32_t open_flags; /* FILE_V2, PPM_O_* */
	uint32_t dev;
	uint8_t sip[16], dip[16]; /* network order; v4 uses the first 4 bytes */
	uint16_t sport, dport;    /* host order */
	uint64_t usrc, udst;      /* unix socket kernel addresses */
	char *name;               /* path or name, "" when none */
};

enum scap_rec_kind {
	SCAP_REC_EOF = 0,
	SCAP_REC_SECTION, /* a section header: following metadata describes a new start */
	SCAP_REC_MACHINE,
	SCAP_REC_IFACES,
	SCAP_REC_USERS,
	SCAP_REC_PROCS,
	SCAP_REC_FDS,
	SCAP_REC_EVENT,
};

/* One record; everything it points to is owned by the reader and valid until
 * the next scap_reader_next() call. */
struct scap_record {
	enum scap_rec_kind kind;
	uint32_t block_type;
	uint64_t offset; /* file offset of the block */
	struct scap_machine machine;
	struct scap_iface *ifaces;
	size_t nifaces;
	struct scap_user *users;
	size_t nusers;
	struct scap_group *groups;
	size_t ngroups;
	struct scap_proc *procs;
	size_t nprocs;
	uint64_t fds_tid;
	struct scap_fd *fds;
	size_t nfds;
	struct event ev;
};

struct scap_reader;

/* Open a capture; NULL with a message in e when it cannot be opened. */
struct scap_reader *scap_reader_open(const char *path, struct err *e);
/* Read a capture from an open, seekable fd (a file or memfd); takes ownership of fd. */
struct scap_reader *scap_reader_open_fd(int fd, struct err *e);
/*
 * Read a capture image in memory: n bytes at p, not copied (they must outlive
 * the reader). scap_reader_mem_grow() tells that the image, still at p, now
 * has n bytes (whole blocks appended): records past the old end can be read.
 * Events stay in place (scap_reader_stable()).
 */
struct scap_reader *scap_reader_open_mem(const void *p, size_t n);
void scap_reader_mem_grow(struct scap_reader *r, size_t n);
/*
 * The next record: its kind (> 0), SCAP_REC_EOF at a clean end, or a negative
 * errno with e->msg naming the defect and the byte offset (uncompressed):
 * -ENODATA when the file ends inside a block (cut short, or still being
 * written), -EINVAL for a malformed block, another code for an I/O error.
 */
int scap_reader_next(struct scap_reader *r, struct scap_record *rec, struct err *e);
/* True when events read stay in place (a mapped raw file) until the reader is closed. */
bool scap_reader_stable(const struct scap_reader *r);
/* Uncompressed bytes consumed so far. */
uint64_t scap_reader_offset(const struct scap_reader *r);
void scap_reader_close(struct scap_reader *r);

void scap_proc_release(struct scap_proc *p);
void scap_fd_release(struct scap_fd *f);

struct scap_writer;

struct scap_writer *scap_writer_open(const char *path, bool gzip, struct err *e);
/*
 * A writer into out(ctx, bytes, n) rather than a file (memory, an object
 * store): out returns 0 or -errno; after its first error nothing more is
 * passed to it, and scap_writer_close() reports that error.
 */
typedef int (*scap_out_fn)(void *ctx, const void *p, size_t n);
struct scap_writer *scap_writer_open_fn(scap_out_fn out, void *ctx);
/* The first error so far (0: none), for writers made by scap_writer_open_fn(). */
int scap_writer_error(const struct scap_writer *w);
void scap_writer_section(struct scap_writer *w);
void scap_writer_machine(struct scap_writer *w, const struct scap_machine *m);
void scap_writer_ifaces(struct scap_writer *w, const struct scap_iface *ifs, size_t n);
void scap_writer_users(struct scap_writer *w, const struct scap_user *u, size_t nu,
                       const struct scap_group *g, size_t ng);
void scap_writer_procs(struct scap_writer *w, const struct scap_proc *p, size_t n);
void scap_writer_fds(struct scap_writer *w, uint64_t tid, const struct scap_fd *f, size_t n);
/* The process list, then each process's fds (fds[i], nfds[i] for procs[i]; none when nfds[i] is 0). */
void scap_writer_proc_table(struct scap_writer *w, const struct scap_proc *procs, struct scap_fd *const *fds,
                            const size_t *nfds, size_t n);
/* Write one event, converting a v1 header to v2; EVF_V2 when dump_flags != 0. */
void scap_writer_event(struct scap_writer *w, const struct event *ev);
/* Write an event already encoded in the v2 layout (len at offset 16). */
void scap_writer_event_bytes(struct scap_writer *w, uint16_t cpu, uint32_t flags, const uint8_t *evbytes,
                             uint32_t len);
/*
 * Events framed ahead of writing (a recorder frames them once, as they leave
 * the ring): scap_frame_event() writes an event in the v2 layout as a whole
 * EV_V2 block of scap_frame_size(len) bytes; scap_writer_framed() writes a run
 * of such blocks holding nevents events.
 */
size_t scap_frame_size(uint32_t len);
void scap_frame_event(uint8_t *out, uint16_t cpu, const uint8_t *ev, uint32_t len);
void scap_writer_framed(struct scap_writer *w, const void *blocks, size_t len, uint64_t nevents);
uint64_t scap_writer_events(const struct scap_writer *w);
/* Bytes written so far (before compression). */
uint64_t scap_writer_bytes(const struct scap_writer *w);
/* Finish and publish the file; returns 0 or the first error. Frees w. */
int scap_writer_close(struct scap_writer *w, struct err *e);
/* Drop the file being written. Frees w. */
void scap_writer_abort(struct scap_writer *w);

/* Copy a metadata record (section, machine, interfaces, users, processes, fds)
 * read by a scap_reader into the file being written. Events are not copied. */
void scap_writer_record(struct scap_writer *w, const struct scap_record *rec);

/*
 * scap_evb: gathers one event's parameters and writes it; for code that makes
 * captures (the demo, the benchmark generator, tests). Bytes passed to
 * scap_evb_bytes() must stay valid until scap_evb_write().
 */
struct scap_evb {
	struct sbuf buf;
	const void *vals[EVENT_MAX_PARAMS];
	uint32_t lens[EVENT_MAX_PARAMS];
	uint8_t store[EVENT_MAX_PARAMS][8];
	uint32_t n;
};

void scap_evb_init(struct scap_evb *b);
void scap_evb_release(struct scap_evb *b);
void scap_evb_bytes(struct scap_evb *b, const void *p, uint32_t n);
/* A NUL-terminated string parameter (the NUL is part of it). */
void scap_evb_str(struct scap_evb *b, const char *s);
/* An integer parameter of `size` bytes (1, 2, 4 or 8). */
void scap_evb_num(struct scap_evb *b, uint64_t v, uint32_t size);
/* Encode the gathered parameters as one event, write it, and start afresh. */
void scap_evb_write(struct scap_evb *b, struct scap_writer *w, uint16_t cpu, uint64_t ts, int64_t tid,
                    uint16_t type);

/*
 * Encode one event in the v2 layout into out (appended). vals[i]/lens[i] are
 * the raw parameter bytes. Returns the encoded length.
 */
/*
 * The marks sysdig shows for lost events, appended to out as three v2 events:
 * a drop enter at first_ts, a notification (id, e.g. "sysrec-drops", text
 * desc), and a drop exit at last_ts. len[i] is the length of the i-th.
 */
void scap_encode_drop_marks(struct sbuf *out, const char *id, uint64_t first_ts, uint64_t last_ts,
                            int64_t tid, const char *desc, uint32_t len[3]);
uint32_t scap_encode_event(struct sbuf *out, uint64_t ts, int64_t tid, uint16_t type, uint32_t nparams,
                           const void *const *vals, const uint32_t *lens);

#endif
