/*
 * sysrec_bpf.h: what the BPF programs and their loader (src/engine) share.
 *
 * Each ring-buffer record is a struct sysrec_rec_head followed by one event
 * in the .scap layout (26-byte v2 header, u16 lengths, values), exactly as it
 * goes into an EV_V2 block: userspace adds the block framing and nothing else.
 *
 * SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only)
 */
#ifndef SYSREC_BPF_H
#define SYSREC_BPF_H

#include "../src/event/event_codes.h" /* PPME_* codes and parameter counts */

#define SYSREC_NATIVE_MAX  512            /* syscall numbers routed */
#define SYSREC_EVENT_MAX   PPME_EVENT_MAX /* event codes with a filler slot */
#define SYSREC_MAX_EVENT   (1 << 15)      /* largest event the programs write */
#define SYSREC_MAX_SNAPLEN 16384          /* -s is clamped to this */
#define SYSREC_EVT_HDR     26

/* How a native syscall is recorded (the `routes` array, filled by userspace before load). */
struct sysrec_route {
	__u16 enter; /* event codes: 0/1 = the generic pair */
	__u16 exit;
	__u16 ppm_sc; /* PPM_SC code (generic events' ID) */
	__u8 on;      /* recorded at all */
	__u8 shapes;  /* the enter's SYSREC_SHAPE_* (low 4 bits) and the exit's (high 4 bits) */
};

/*
 * Event shapes the dispatchers write themselves, straight into the ring
 * buffer: no tail call and no copy. Other events (SYSREC_SHAPE_FILLER) are
 * built by their filler program.
 */
enum {
	SYSREC_SHAPE_FILLER = 0,
	SYSREC_SHAPE_GENERIC,   /* enter: ID, nativeID; exit: ID */
	SYSREC_SHAPE_EMPTY,     /* no parameters */
	SYSREC_SHAPE_FD,        /* fd: the first argument */
	SYSREC_SHAPE_FD_SIZE,   /* fd, size: the first and third arguments */
	SYSREC_SHAPE_RES,       /* res: the return value (u64) */
	SYSREC_SHAPE_ID,        /* the return value as a u32 (getuid, ...) */
	SYSREC_SHAPE_RES_READ,  /* res, data: what the second argument received (read, recv) */
	SYSREC_SHAPE_RES_WRITE, /* res, data: what the second argument sent (write, send) */
};

/* The data shapes take the ring space of a full snaplen: used when snaplen is at most this. */
#define SYSREC_SHAPE_SNAPLEN 256

#define SYSREC_SCRATCH_SLOTS 3 /* scratch buffers per CPU: enter, exit, procexit */

struct sysrec_rec_head {
	__u16 cpu;
	__u16 flags; /* SYSREC_REC_* */
	__u32 len;   /* length of what follows */
};

enum {
	SYSREC_REC_EVENT = 0, /* an event in the .scap layout */
	SYSREC_REC_DROPS = 1, /* a struct sysrec_drops: events lost on this CPU just before */
};

/*
 * Events a CPU lost, told in the ring where they were lost: written before
 * the first event that fits again, so readers see the gap in its place.
 */
struct sysrec_drops {
	__u64 first_ts; /* epoch ns of the first event lost */
	__u64 last_ts;  /* and of the last */
	__u64 tid;      /* the thread of the first event lost */
	__u64 ring;     /* lost: the ring buffer was full */
	__u64 big;      /* lost: larger than SYSREC_MAX_EVENT */
};

/* Per-CPU counters (the `stats` map), updated atomically: the programs can be preempted. */
struct sysrec_stats {
	__u64 events;     /* events written to the ring */
	__u64 drops_ring; /* ring buffer full: event lost */
	__u64 drops_big;  /* event larger than SYSREC_MAX_EVENT: lost */
	/*
	 * a filler wrote other than its event's parameter count: a bug in the
	 * filler, not a loss; the malformed event is not written
	 */
	__u64 bad_params;
	/* losses not yet told in the ring (a struct sysrec_drops being gathered) */
	__u64 pend_first_ts, pend_last_ts, pend_tid, pend_ring, pend_big;
};

/* ---- packets (packet.bpf.h): the `pkts` perf buffer, when --pcap asks ---- */

#define SYSREC_PKT_MAX 65000 /* bytes of a packet kept at most (a perf sample's room) */

enum { SYSREC_PKT_IN = 1, SYSREC_PKT_OUT = 2 }; /* pcapng's epb_flags direction values */

/*
 * One packet, as its perf sample holds it: this, then l2 bytes of link-layer
 * header (tc programs), then caplen bytes of the packet from its IP header
 * on. The owner is the process of the packet's socket (received packets too,
 * whatever task ran the softirq).
 */
struct sysrec_packet {
	__u64 ts;      /* epoch ns, the syscall events' clock */
	__u64 cookie;  /* the socket's cookie (0: none at hand) */
	__u64 netns;   /* the network namespace's cookie (SO_NETNS_COOKIE) */
	__u32 ifindex; /* in that namespace */
	__u32 len;     /* original length, from the IP header on */
	__u32 caplen;  /* bytes kept */
	__u32 pid;     /* the socket's owner (0: not known) */
	__u32 tid;
	__s32 fd; /* the owner's fd of the socket (-1: not known) */
	__u8 dir; /* SYSREC_PKT_IN or SYSREC_PKT_OUT */
	__u8 l2;  /* bytes of link-layer header before the IP header (skipped) */
	__u8 pad[2];
	char comm[16];
};

/* Per-CPU packet counters (the `pkt_stats` map). */
struct sysrec_pkt_stats {
	__u64 packets;     /* given to the perf buffer */
	__u64 lost;        /* the perf buffer was full */
	__u64 copy_failed; /* the packet's bytes could not be copied out */
};

/*
 * Linux open(2) flags as the portable PPM_O_* bits (docs/scap-format.md
 * section 10); used by the programs and by the /proc snapshot alike.
 */
static inline __u32 sysrec_open_flags(__u32 f)
{
	__u32 r = (f & 3) == 0 ? 1 : (f & 3) == 1 ? 2 : (f & 3) == 2 ? 3 : 0; /* RDONLY, WRONLY, RDWR */

	r |= f & 0100 ? 0x4 : 0;                        /* O_CREAT */
	r |= f & 02000 ? 0x8 : 0;                       /* O_APPEND */
	r |= f & 010000 ? 0x10 : 0;                     /* O_DSYNC */
	r |= f & 0200 ? 0x20 : 0;                       /* O_EXCL */
	r |= f & 04000 ? 0x40 : 0;                      /* O_NONBLOCK */
	r |= (f & 04010000) == 04010000 ? 0x80 : 0;     /* O_SYNC */
	r |= f & 01000 ? 0x100 : 0;                     /* O_TRUNC */
	r |= f & 040000 ? 0x200 : 0;                    /* O_DIRECT */
	r |= f & 0200000 ? 0x400 : 0;                   /* O_DIRECTORY */
	r |= f & 0100000 ? 0x800 : 0;                   /* O_LARGEFILE */
	r |= f & 02000000 ? 0x1000 : 0;                 /* O_CLOEXEC */
	r |= (f & 020200000) == 020200000 ? 0x2000 : 0; /* O_TMPFILE */
	return r;
}

/* ---- artifacts (artifact.bpf.h): the `art_rb` ring, when --artifacts asks ---- */

/* What a recording keeps (engine_opts.art_kinds; rodata art_kinds). */
enum {
	SYSREC_ART_WRITE = 1,  /* the bytes written to files */
	SYSREC_ART_EXEC = 2,   /* each binary executed (userspace copies it) */
	SYSREC_ART_MEM = 4,    /* memory made executable after being writable and executable */
	SYSREC_ART_MODULE = 8, /* kernel module images, loaded or not */
	SYSREC_ART_BPF = 16,   /* BPF programs' instructions */
};

#define SYSREC_ART_CHUNK    32768 /* data bytes per record at most */
#define SYSREC_ART_PATH     4096  /* a path's bytes at most (longer ones are cut at the front) */
#define SYSREC_ART_PREFIX   256   /* a --capture write= prefix's bytes at most */
#define SYSREC_ART_PREFIXES 64    /* prefixes at most */

enum {
	SYSREC_ART_REC_WRITE = 1, /* len bytes written at off of file (dev, ino) */
	SYSREC_ART_REC_PATH = 2,  /* file (dev, ino) is named by the path that follows (len bytes) */
	SYSREC_ART_REC_EXEC = 3,  /* pid ran the binary (dev, ino), named by the path that follows */
	SYSREC_ART_REC_MEM = 4,   /* len bytes at off of the region at addr (total bytes sent in all) */
	SYSREC_ART_REC_WX =
	        5, /* the region at addr (total bytes) was mapped or made writable and executable */
	SYSREC_ART_REC_MODULE = 6, /* len bytes at off of a module image of total bytes (init_module) */
	SYSREC_ART_REC_MODFILE =
	        7, /* a module from file (dev, ino) named by the path that follows (finit_module) */
	SYSREC_ART_REC_BPF =
	        8, /* len bytes at off of a BPF program's instructions (total bytes), named name */
};

enum {
	/* EXEC: a script run, known by its name only (dev, ino 0); the record before is its interpreter's */
	SYSREC_ART_F_SCRIPT = 1,
};

/* One artifact record of the `art_rb` ring: this, then len bytes (data or a path). */
struct sysrec_art {
	__u64 ts; /* epoch ns */
	__u64 dev, ino;
	__u64 off;  /* WRITE: the file offset of the data; MEM, MODULE, BPF: the data's offset in the whole */
	__u64 addr; /* MEM, WX: the region's address */
	__u64 total; /* MEM, MODULE, BPF: the whole's bytes sent (its chunks' offsets add up to it); WX:
	                length */
	__u32 pid, tid;
	__u32 len;
	__u32 gen; /* the inode's generation: a new file that reuses a deleted one's inode has another */
	__u32 uid, ppid;   /* EXEC: the user and the parent process */
	__u32 prot_before; /* MEM: the region's protections when it was writable and executable */
	__u32 prot_after;  /* MEM, WX: as the call set them */
	__u64 whole; /* MEM, MODULE, BPF: the whole's bytes in the process (total is what was sent of it) */
	__u8 type;   /* SYSREC_ART_REC_* */
	__u8 flags;  /* SYSREC_ART_F_* */
	__u8 pad[6];
	char comm[16];
	char name[16]; /* BPF: the program's name */
};

/* A --capture write= prefix (the `art_prefixes` array). */
struct sysrec_art_prefix {
	__u32 len;
	char s[SYSREC_ART_PREFIX];
};

/* Per-CPU artifact counters (the `art_stats` map). */
struct sysrec_art_stats {
	__u64 records;      /* handed to userspace */
	__u64 limit;        /* MEM, MODULE, BPF: bytes past the limits, not sent */
	__u64 lost_records; /* the ring was full */
	__u64 lost_bytes;   /* data bytes of the records lost */
	__u64 unreadable;   /* data bytes that could not be read from the writer's memory */
};

#endif
