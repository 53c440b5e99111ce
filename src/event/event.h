/*
 * event: the .scap event table (codes, names, parameters, print formats, flag
 * tables) of the reference reader, sysdig 0.29.3, and a zero-copy view of one
 * event. See docs/scap-format.md, sections 7-10 and Appendices A-C.
 */
#ifndef SYSREC_EVENT_H
#define SYSREC_EVENT_H

#include "../common/common.h"
#include "event_codes.h"

#define EVENT_MAX         PPME_EVENT_MAX /* codes 0..335 */
#define EVENT_SYSCALL_MAX 329            /* PPM_SC codes 0..328 */
#define EVENT_ERRNO_MAX   1024
#define EVENT_MAX_PARAMS  32 /* parameters kept per event; the table's largest has 20 */
#define EVENT_HDR_V2      26
#define EVENT_HDR_V1      22
#define EVENT_AT_FDCWD    (-100)

/* Parameter types (PT_*), the numbers stored in the table. */
enum {
	PT_NONE = 0,
	PT_INT8 = 1,
	PT_INT16 = 2,
	PT_INT32 = 3,
	PT_INT64 = 4,
	PT_UINT8 = 5,
	PT_UINT16 = 6,
	PT_UINT32 = 7,
	PT_UINT64 = 8,
	PT_CHARBUF = 9,
	PT_BYTEBUF = 10,
	PT_ERRNO = 11,
	PT_SOCKADDR = 12,
	PT_SOCKTUPLE = 13,
	PT_FD = 14,
	PT_PID = 15,
	PT_FDLIST = 16,
	PT_FSPATH = 17,
	PT_SYSCALLID = 18,
	PT_SIGTYPE = 19,
	PT_RELTIME = 20,
	PT_ABSTIME = 21,
	PT_PORT = 22,
	PT_L4PROTO = 23,
	PT_SOCKFAMILY = 24,
	PT_BOOL = 25,
	PT_IPV4ADDR = 26,
	PT_DYN = 27,
	PT_FLAGS8 = 28,
	PT_FLAGS16 = 29,
	PT_FLAGS32 = 30,
	PT_UID = 31,
	PT_GID = 32,
	PT_DOUBLE = 33,
	PT_SIGSET = 34,
	PT_CHARBUFARRAY = 35,
	PT_CHARBUF_PAIR_ARRAY = 36,
	PT_MODE = 42,
	PT_FSRELPATH = 43,
};

/* Print formats (PF_*). */
enum { PF_NA = 0, PF_DEC = 1, PF_HEX = 2, PF_10_PADDED_DEC = 3, PF_ID = 4, PF_DIR = 5, PF_OCT = 6 };

/* Event categories (EC_*). */
enum {
	EC_UNKNOWN = 0,
	EC_OTHER = 1,
	EC_FILE = 2,
	EC_NET = 3,
	EC_IPC = 4,
	EC_MEMORY = 5,
	EC_PROCESS = 6,
	EC_SLEEP = 7,
	EC_SYSTEM = 8,
	EC_SIGNAL = 9,
	EC_USER = 10,
	EC_TIME = 11,
	EC_PROCESSING = 12,
	EC_IO_READ = 32,
	EC_IO_WRITE = 33,
	EC_IO_OTHER = 34,
	EC_WAIT = 64,
	EC_SCHEDULER = 128,
	EC_INTERNAL = 256,
	EC_SYSCALL = 512,
	EC_TRACEPOINT = 1024,
	EC_PLUGIN = 2048,
};
#define EC_IO_BASE 32

/* Event flags (EF_*). */
enum {
	EF_CREATES_FD = 1,
	EF_DESTROYS_FD = 2,
	EF_USES_FD = 4,
	EF_READS_FROM_FD = 8,
	EF_WRITES_TO_FD = 16,
	EF_MODIFIES_STATE = 32,
	EF_UNUSED = 64,
	EF_WAITS = 128,
	EF_SKIPPARSERESET = 256,
	EF_OLD_VERSION = 512,
	EF_DROP_SIMPLE_CONS = 1024,
	EF_LARGE_PAYLOAD = 2048,
};

struct event_name_value {
	const char *name;
	uint32_t value;
};

/*
 * One parameter of the table. `info` is the flag table (struct
 * event_name_value[], NULL-terminated) of FLAGS/MODE params, or the
 * struct event_param[ninfo] of a DYN param. `dirfd` is, for FSRELPATH, the index
 * of the parameter holding the directory fd the path is relative to.
 */
struct event_param {
	const char *name;
	uint8_t type;
	uint8_t fmt;
	uint8_t ninfo;
	uint8_t dirfd;
	const void *info;
};

struct event_info {
	const char *name;
	uint32_t category;
	uint32_t flags;
	uint32_t nparams;
	const struct event_param *params;
};

struct event_syscall {
	const char *name;
	uint32_t category;
};

/*
 * What the x86_64 drivers emit for native syscall number nr: the enter/exit
 * event codes (0/1, the generic pair, when the syscall has no event of its own)
 * and the PPM_SC code. `flags` is the drivers' UF_* (1 used, 2 never drop, ...);
 * an entry with ppm_sc 0 and flags 0 is a syscall the drivers do not know.
 */
#define EVENT_NATIVE_MAX 512
struct event_native {
	uint16_t enter, exit;
	uint16_t ppm_sc;
	uint16_t flags;
};
extern const struct event_native event_natives[EVENT_NATIVE_MAX];

extern const struct event_info event_table[EVENT_MAX];
extern const struct event_syscall event_syscalls[EVENT_SYSCALL_MAX];
extern const char *const event_errno_names[EVENT_ERRNO_MAX];
extern const char *const event_signal_names[256];
extern const struct event_name_value ft_poll_flags[];

/* NULL for codes outside the table. */
static inline const struct event_info *event_info_get(uint32_t type)
{
	return type < EVENT_MAX ? &event_table[type] : NULL;
}

/* The event makes, uses or closes an fd (its fd.* fields can have values). */
static inline bool event_has_fd(uint32_t type)
{
	return type < EVENT_MAX &&
	       (event_table[type].flags & (EF_CREATES_FD | EF_USES_FD | EF_DESTROYS_FD)) != 0;
}

static inline bool event_is_exit(uint32_t type)
{
	return type & 1;
}

/* Whether the event carries the thread's cgroups (its 15th parameter): the clone family's and execve's exits.
 */
static inline bool event_carries_cgroups(uint32_t type)
{
	return type == PPME_SYSCALL_CLONE_20_X || type == PPME_SYSCALL_FORK_20_X ||
	       type == PPME_SYSCALL_VFORK_20_X || type == PPME_SYSCALL_CLONE3_X ||
	       type == PPME_SYSCALL_EXECVE_19_X || type == PPME_SYSCALL_EXECVEAT_X;
}

/* EVF block flag: the event updates the state but is not shown (a fatfile's hidden event). */
#define EVENT_DF_STATE_ONLY 1u

/*
 * What a filtered writer does with an event its filter rejected, as sysdig's
 * -w does: with fatfile (-F) an event that changes the state is kept hidden;
 * an internal event is always kept; the rest are dropped. Returns the EVF
 * flags to add when writing it, or -1 to drop it.
 */
static inline int event_rejected_flags(uint32_t type, bool fatfile)
{
	if (type >= EVENT_MAX)
		return -1;
	if (fatfile && (event_table[type].flags & EF_MODIFIES_STATE))
		return EVENT_DF_STATE_ONLY;
	return (event_table[type].category & EC_INTERNAL) ? 0 : -1;
}

/*
 * A run of events lost before they were written, as every layer tells it: the
 * drain (src/engine) gathers runs, `record` writes them as drop marks, the
 * agent's recorder keeps them in its loss log, a capture marks them in its file.
 */
enum event_loss_cause {
	EVENT_LOST_RING,   /* the kernel's ring buffer was full */
	EVENT_LOST_BIG,    /* larger than an event may be */
	EVENT_LOST_BEHIND, /* the thread taking events from the drain was too far behind */
	EVENT_LOST_BUSY,   /* the kernel skipped our program: tracepoint busy on that CPU */
	EVENT_LOST_NCAUSES
};

#define EVENT_ANY_CPU 0xffff

struct event_loss {
	uint64_t id;                /* 1, 2, ... in the order a loss log numbers its runs; else 0 */
	uint64_t first_ts, last_ts; /* epoch ns of the first and last event lost, as far as known */
	uint64_t tid;               /* the thread of the first (0: not known) */
	uint16_t cpu;               /* EVENT_ANY_CPU when not known */
	uint64_t n[EVENT_LOST_NCAUSES];
};

/* "ring buffer full", "too large", "recorder behind", "tracepoint busy". */
const char *event_loss_cause_name(enum event_loss_cause c);
/* Events in the run, all causes. */
uint64_t event_loss_total(const struct event_loss *l);
/* Add l's counts to *to, widening its span; to's first event is l's when to held none. */
void event_loss_add(struct event_loss *to, const struct event_loss *l);

/* Index of the parameter called `name` in event `type`, or -1. */
int event_param_index(uint32_t type, const char *name);

/* "ENOENT" for -2 or 2; NULL when sysdig knows no name. */
const char *event_errno_name(int64_t code);
/* "SIGKILL" for 9; NULL when unknown. */
const char *event_signal_name(uint32_t sig);
/* First code whose name is `name` (enter direction), or -1. */
int event_code_by_name(const char *name);
const char *event_type_name(uint32_t type);
/* Bytes per parameter length: 4 for EF_LARGE_PAYLOAD events, else 2. */
static inline unsigned event_len_width(uint32_t type)
{
	return type < EVENT_MAX && (event_table[type].flags & EF_LARGE_PAYLOAD) ? 4 : 2;
}

/*
 * A parsed view of one event inside a caller-owned buffer (zero-copy). The
 * pointers stay valid as long as the buffer does. `nparams` is what the file
 * says; `val/len` hold the first min(nparams, EVENT_MAX_PARAMS) parameters.
 */
struct event {
	uint64_t ts;
	int64_t tid;
	uint32_t len; /* total event length, header included (v2 form) */
	uint16_t type;
	uint16_t cpu;
	uint32_t nparams;
	uint32_t dump_flags; /* EVF block flags, 0 for EV blocks */
	const uint8_t *raw;  /* the event as stored (header, lengths, values) */
	uint32_t raw_len;
	uint8_t version; /* header version: 1 (no nparams) or 2 */
	uint32_t nvals;
	const uint8_t *val[EVENT_MAX_PARAMS];
	uint32_t vlen[EVENT_MAX_PARAMS];
};

/*
 * Parse the event at buf (n bytes available) with a v1 or v2 header. Checks that
 * every declared length lies inside `len` and `len` inside n. Returns 0 or
 * -EINVAL with a message naming the defect (without offset; the caller adds it).
 */
int event_parse(struct event *ev, const uint8_t *buf, size_t n, int version, struct err *e);

/*
 * The common case of event_parse(), inline: a v2 header and 16-bit lengths
 * that all fit. False (ev half-filled) for anything else, good or bad:
 * event_parse() then reads it, or words what is wrong with it.
 */
static inline bool event_parse_common(struct event *ev, const uint8_t *buf, size_t n)
{
	uint32_t len, np, total = 0;
	uint16_t type;
	const uint8_t *lens, *v;

	if (n < EVENT_HDR_V2)
		return false;
	len = load_u32(buf + 16);
	np = load_u32(buf + 22);
	type = load_u16(buf + 20);
	if (len < EVENT_HDR_V2 || len > n || np > EVENT_MAX_PARAMS || event_len_width(type) != 2 ||
	    np * 2 > len - EVENT_HDR_V2)
		return false;
	lens = buf + EVENT_HDR_V2;
	v = lens + 2 * np;
	for (uint32_t i = 0; i < np; i++) {
		uint32_t l = load_u16(lens + 2 * i);

		ev->val[i] = v + total;
		ev->vlen[i] = l;
		total += l;
	}
	if (total > len - EVENT_HDR_V2 - 2 * np)
		return false;
	ev->ts = load_u64(buf);
	ev->tid = (int64_t)load_u64(buf + 8);
	ev->len = ev->raw_len = len;
	ev->type = type;
	ev->raw = buf;
	ev->version = 2;
	ev->nparams = ev->nvals = np;
	return true;
}

/* event_parse() with its common case inline. */
static inline int event_parse_fast(struct event *ev, const uint8_t *buf, size_t n, int version, struct err *e)
{
	if (version == 2 && event_parse_common(ev, buf, n))
		return 0;
	return event_parse(ev, buf, n, version, e);
}

/* Typed access to parameter i; defaults when absent or of the wrong size. */
static inline bool event_has(const struct event *ev, uint32_t i)
{
	return i < ev->nvals;
}
int64_t event_int(const struct event *ev, uint32_t i, int64_t dflt);
uint64_t event_uint(const struct event *ev, uint32_t i, uint64_t dflt);
/* A NUL-terminated string parameter, or dflt if absent/not terminated. */
const char *event_str(const struct event *ev, uint32_t i, const char *dflt);

/*
 * Text rendering of parameters as sysdig 0.29.3 prints them. What only the
 * state knows (fd names, thread names, cwd, user names) comes from a resolver;
 * any callback may be NULL.
 */
struct event_resolver {
	void *ctx;
	/* Append "<typechar[l4]>name" for fd of the event's thread; false if unknown. */
	bool (*fd)(void *ctx, int64_t fd, struct sbuf *out);
	/* comm of thread tid, or NULL. */
	const char *(*comm)(void *ctx, int64_t tid);
	/* Directory an FSPATH (dirfd = AT_FDCWD) or FSRELPATH is relative to; NULL if no thread. */
	const char *(*base_dir)(void *ctx, int64_t dirfd);
	/* Appends the resolved join of dir and path. */
	void (*join_path)(void *ctx, const char *dir, const char *path, struct sbuf *out);
	const char *(*user)(void *ctx, uint32_t uid);
	const char *(*group)(void *ctx, uint32_t gid);
	uint32_t buf_cap; /* bytes of a buffer to print, 0 = all (JSON) */
};

#define EVENT_MAX_BUF_OUTPUT 80 /* sysdig's default cap on printed buffers */

/*
 * Append parameter i as "value" to val and its resolution (e.g. a fd's path, an
 * errno name) to res. Both are appended to, not reset.
 */
void event_format_param(const struct event *ev, uint32_t i, const struct event_resolver *r, struct sbuf *val,
                        struct sbuf *res);
/* Append "name=value(resolved) " for each parameter (sysdig's %evt.args). */
void event_format_args(const struct event *ev, const struct event_resolver *r, struct sbuf *out);
/*
 * Make, through r, every lookup event_format_args(ev, r) would make (a DYN
 * parameter's type resolved the same way), without formatting: a recording
 * resolver can save the answers for formatting later, away from the state.
 */
void event_args_lookups(const struct event *ev, const struct event_resolver *r);
/* "FSPATH" for PT_FSPATH ("DYNAMIC" for PT_DYN), as sysdig -L prints types. */
const char *event_ptype_name(uint8_t type);
/* Parameters shown for ev: min(file count, table count); 0 for generic events. */
uint32_t event_shown_params(const struct event *ev);
/* Append buffer bytes as sysdig prints them: non-printables as '.', capped with "...". */
void event_format_buffer(struct sbuf *out, const uint8_t *p, uint32_t n, uint32_t cap);

#endif
