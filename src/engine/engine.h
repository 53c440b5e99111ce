/*
 * engine: live event sources. engine_ebpf_open() loads sysrec's BPF programs
 * (bpf/sysrec.bpf.c) on the raw syscall tracepoints; each event arrives in the
 * .scap layout, ready to be framed into an EV_V2 block.
 */
#ifndef SYSREC_ENGINE_H
#define SYSREC_ENGINE_H

#include "../common/common.h"
#include "../event/event.h"
#include "../scap/scap.h"

#include <net/if.h>

struct engine_opts {
	uint32_t ring_bytes; /* ring buffer size (a power of two, >= 4096 * pages) */
	uint32_t snaplen;    /* bytes of I/O data kept per event (sysdig -s) */
	uint32_t scope_pid;  /* record only this process (0: all) */
	/* record only the processes of this container (12-digit id; NULL: all) */
	const char *scope_container;
	/* benchmarks only: 1 = programs attached, doing nothing; 2 = bare event headers */
	uint32_t floor_mode;
	/* benchmarks only: event codes written as bare headers ("306,307"; NULL: none) */
	const char *bare_codes;
	/* packets of the host's sockets too (engine_packets_poll), each kept up to pkt_snaplen bytes */
	bool packets;
	uint32_t pkt_snaplen;
	/* with packets: no system calls (the syscall programs are not attached; the ring stays empty) */
	bool no_syscalls;
	/* with packets: none taken until engine_packets_pause(en, false) */
	bool pkt_paused;
	/* pages of the packet buffer per CPU (0: 256); tests make it small to see losses handled */
	uint32_t pkt_pages;
	/* the packets of these interfaces only (none: every interface) */
	const struct engine_iface *pkt_ifaces;
	size_t pkt_nifaces;
	/* artifacts (engine_artifacts_poll): ENGINE_ART_* to keep; 0: none */
	uint32_t art_kinds;
	uint64_t art_mem_max;   /* bytes of one memory region sent at most (0: 16 MiB) */
	uint64_t art_whole_max; /* bytes of one module image or BPF program sent at most (0: 64 MiB) */
	/* ENGINE_ART_WRITE: only files whose path starts with one of these (none: every file) */
	const char *const *art_prefixes;
	size_t art_nprefixes;
};

struct engine_stats {
	uint64_t events;     /* written by the kernel side */
	uint64_t drops_ring; /* lost: the ring was full */
	uint64_t drops_big;  /* lost: larger than an event may be */
	/*
	 * Lost before our programs ran: since Linux 6.14 the syscall tracepoints
	 * are preemptible, and the kernel skips a program that another task on
	 * the same CPU is still running (its recursion_misses).
	 */
	uint64_t drops_busy;
	/* events a filler wrote with other than the table's parameter count (a bug): not written */
	uint64_t bad_params;
	uint32_t ncpus;
	uint64_t *cpu_drops; /* per CPU, ring + big, ncpus entries (owned by the engine) */
	/* per CPU: losses not yet told through engine_sink.drops (owned by the engine) */
	struct engine_drops *pending;
};

/* Events one CPU lost in a row: told in the stream where they were lost. */
struct engine_drops {
	uint64_t first_ts, last_ts; /* epoch ns of the first and last event lost */
	uint64_t tid;               /* the thread of the first */
	uint64_t ring;              /* lost because the ring buffer was full */
	uint64_t big;               /* lost because larger than an event may be */
};

struct engine_sink {
	/* each event, in the .scap layout; a negative return stops the current engine_poll()
	 * (libbpf's ring buffer stops on it), 0 or positive goes on to the next event */
	int (*event)(void *ctx, uint16_t cpu, const uint8_t *ev, uint32_t len);
	/* events lost on cpu just before the next event from it */
	void (*drops)(void *ctx, uint16_t cpu, const struct engine_drops *d);
	void *ctx;
};

struct engine;

/* The live engine, loaded and attached; NULL with the message in e and errno set (positive) on failure. */
struct engine *engine_ebpf_open(const struct engine_opts *o, struct err *e);
/* Deliver the events available now (waiting up to timeout_ms for the first); count or -errno. */
int engine_poll(struct engine *en, int timeout_ms, const struct engine_sink *sink);
/* Detach from the kernel: nothing new arrives; what is in the ring can still be polled. */
void engine_stop(struct engine *en);
void engine_stats(struct engine *en, struct engine_stats *out);
void engine_close(struct engine *en);

/* ---- packets (engine_opts.packets) ---- */

#define ENGINE_PKT_MAX 65000 /* bytes of a packet kept at most (what a kernel perf sample holds) */

enum { ENGINE_PKT_IN = 1, ENGINE_PKT_OUT = 2 };

/* A packet of an interface of the host (or of a socket of the host), with its socket's owner. */
struct engine_packet {
	uint64_t ts;      /* epoch ns, the syscall events' clock */
	uint64_t cookie;  /* the socket's cookie (0: none, or one found by the packet's addresses) */
	uint64_t netns;   /* the network namespace's cookie (SO_NETNS_COOKIE) */
	uint32_t ifindex; /* in that namespace */
	uint32_t len;     /* original length, from the IP header on */
	uint32_t caplen;  /* bytes at data */
	uint32_t pid;     /* the socket's owner (0: not known) */
	uint32_t tid;
	int32_t fd;  /* the owner's fd of the socket (-1: not known) */
	uint8_t dir; /* ENGINE_PKT_IN or ENGINE_PKT_OUT */
	char comm[17];
	const uint8_t *data; /* the packet from its IP header on; valid during the call */
};

/* Each packet, on the caller of engine_packets_poll(). */
typedef void (*engine_packet_fn)(void *ctx, const struct engine_packet *p);

/*
 * Deliver the packets available now (waiting up to timeout_ms for the
 * first), in time order: count, or -errno. A packet is held back a few ms,
 * until no CPU can still hand over an earlier one; after engine_stop() none
 * is. On its own thread if need be: it shares nothing with engine_poll().
 */
int engine_packets_poll(struct engine *en, int timeout_ms, engine_packet_fn fn, void *ctx);
/*
 * Stop taking packets (paused) or take them again, at once and from any
 * thread: a paused hook stays attached and lets every packet by untouched
 * (sockets' owners are still learnt), so the packets taken after it resumes
 * are named as ever.
 */
void engine_packets_pause(struct engine *en, bool paused);
/* End the wait of an engine_packets_poll() under way (from another thread): it returns at once. */
void engine_packets_wake(struct engine *en);

struct engine_pkt_stats {
	uint64_t packets;     /* handed to userspace by the kernel side */
	uint64_t lost;        /* lost: the perf buffer was full (each counted once, by the kernel side) */
	uint64_t copy_failed; /* lost: the packet's bytes could not be copied out of the kernel */
	/* the tc hook's (0 with the cgroup one): interfaces attached to now, in how many network
	 * namespaces, and attaches the kernel refused since the start */
	uint32_t interfaces, namespaces, refused;
};
void engine_packets_stats(struct engine *en, struct engine_pkt_stats *out);
/*
 * The losses the perf buffer has told so far, in order with the samples: on
 * the caller of engine_packets_poll(), every loss told before the packet
 * being delivered (in time order: a CPU's loss right after its last packet
 * before it). No system call (engine_packets_stats() makes one);
 * may lag engine_packets_stats()'s lost, never exceeds it.
 */
uint64_t engine_packets_lost_seen(const struct engine *en);

/*
 * ---- packets' names (pktname.c) ----
 * What a packet's numbers name, looked up once and kept: its interface as
 * `ip` names it ("lo", "veth1@ns1") and its owner's container. One thread
 * uses a table (the one taking the packets).
 */
struct pktname_if {
	uint64_t netns;
	uint32_t ifindex;
	char name[IF_NAMESIZE + 48]; /* "eth0", "veth1@ns1", "eth0@pid 1234", "if3@netns4096" */
	char desc[160];              /* the index and the namespace, for if_description */
};

struct pktnames;

/*
 * A table. max_age_s: a process's container is looked up again after this
 * many seconds (a pid may be reused; 0: never again, for a recording that
 * ends). The tables are emptied when they grow past a bound (a long-lived
 * agent sees many processes and namespaces go), so what the lookups return
 * is valid until the next lookup only.
 */
struct pktnames *pktnames_new(unsigned max_age_s);
void pktnames_free(struct pktnames *t);
/* Interface ifindex of namespace netns, named on first sight (pid: a process that may be in it). */
const struct pktname_if *pktnames_iface(struct pktnames *t, uint64_t netns, uint32_t ifindex, uint32_t pid);
/* The 12-digit id of pid's container, "" for the host's processes and those gone. */
const char *pktnames_container(struct pktnames *t, uint32_t pid);

/* ---- artifacts (engine_opts.art_kinds) ---- */

enum {
	ENGINE_ART_WRITE = 1,  /* the bytes written to regular files */
	ENGINE_ART_EXEC = 2,   /* each binary executed */
	ENGINE_ART_MEM = 4,    /* memory made executable after being writable and executable */
	ENGINE_ART_MODULE = 8, /* kernel module images */
	ENGINE_ART_BPF = 16,   /* BPF programs' instructions */
};

#define ENGINE_ART_ALL \
	(ENGINE_ART_WRITE | ENGINE_ART_EXEC | ENGINE_ART_MEM | ENGINE_ART_MODULE | ENGINE_ART_BPF)

/* The ENGINE_ART_* flag a kind's name stands for ("write", "exec", "mem", "module", "bpf"; len bytes), or 0.
 */
static inline uint32_t engine_art_kind(const char *name, size_t len)
{
	static const char *const names[] = { "write", "exec", "mem", "module", "bpf" };

	for (unsigned i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (len == __builtin_strlen(names[i]) && !__builtin_memcmp(name, names[i], len))
			return 1u << i;
	return 0;
}

#define ENGINE_ART_PREFIX_MAX 255 /* bytes of a write prefix at most */
#define ENGINE_ART_PREFIXES   64  /* write prefixes at most */

enum {
	ENGINE_ART_REC_WRITE = 1, /* len bytes at data were written at off of file (dev, ino) */
	ENGINE_ART_REC_PATH =
	        2, /* file (dev, ino) is named path: before its first data, and after a rename */
	ENGINE_ART_REC_EXEC = 3,    /* pid ran binary (dev, ino), by the name path */
	ENGINE_ART_REC_MEM = 4,     /* len bytes at off of the region at addr, total bytes sent of whole */
	ENGINE_ART_REC_WX = 5,      /* the region at addr (total bytes) was made writable and executable */
	ENGINE_ART_REC_MODULE = 6,  /* len bytes at off of a module image (total sent of whole) */
	ENGINE_ART_REC_MODFILE = 7, /* a module loaded from file (dev, ino), named path */
	ENGINE_ART_REC_BPF =
	        8, /* len bytes at off of BPF program name's instructions (total sent of whole) */
};

enum {
	/* EXEC: a script run, known by its name only (dev, ino 0); the record before is its interpreter's */
	ENGINE_ART_F_SCRIPT = 1,
};

struct engine_art {
	int type;  /* ENGINE_ART_REC_* */
	int flags; /* ENGINE_ART_F_* */
	uint64_t ts;
	uint32_t pid, tid;
	char comm[17];
	uint64_t dev, ino;
	uint32_t gen; /* the inode's generation: another for a new file reusing a deleted one's inode */
	uint64_t off;
	uint64_t addr, total, whole; /* MEM, WX, MODULE, BPF */
	uint32_t prot_before, prot_after;
	uint32_t uid, ppid; /* EXEC */
	char name[17];      /* BPF: the program's name */
	const char *path;   /* PATH, EXEC, MODFILE: NUL-terminated; valid during the call */
	const uint8_t *data;
	size_t len;
};

typedef void (*engine_art_fn)(void *ctx, const struct engine_art *a);

/* Deliver the artifact records available now (waiting up to timeout_ms for the first): count or -errno. */
int engine_artifacts_poll(struct engine *en, int timeout_ms, engine_art_fn fn, void *ctx);

struct engine_art_stats {
	uint64_t records;      /* handed to userspace by the kernel side */
	uint64_t limit;        /* MEM, MODULE, BPF bytes past the limits, not sent */
	uint64_t lost_records; /* the ring was full */
	uint64_t lost_bytes;   /* data bytes in the records lost */
	uint64_t unreadable;   /* data bytes the writer's memory would not give */
};
void engine_artifacts_stats(struct engine *en, struct engine_art_stats *out);
/* Each written file some of whose bytes the kernel could not hand over: fn(ctx, dev, ino, bytes). */
void engine_artifacts_file_losses(struct engine *en,
                                  void (*fn)(void *ctx, uint64_t dev, uint64_t ino, uint64_t bytes),
                                  void *ctx);

/* ---- the host at the start of a recording, from /proc (proc.c) ---- */

/* Every thread but self_pid's, and each process's fds (fds[i] for procs[i], main threads only). */
struct engine_procs {
	struct scap_proc *procs;
	struct scap_fd **fds;
	size_t *nfds;
	size_t nprocs;
};

int engine_procs(struct engine_procs *out, int self_pid);
void engine_procs_free(struct engine_procs *p);
void engine_machine(struct scap_machine *m);
size_t engine_ifaces(struct scap_iface **out);
void engine_ifaces_free(struct scap_iface *v, size_t n);
void engine_users(struct scap_user **users, size_t *nu, struct scap_group **groups, size_t *ng);
void engine_users_free(struct scap_user *u, size_t nu, struct scap_group *g, size_t ng);

/* ---- --container (scope.c) ---- */

/* The 12-digit short form of a container id given as 12 to 64 lowercase hex digits. */
bool engine_container_short_id(const char *id, char out[13]);
/* The container process pid is in now (its 12-digit id in id), or -ENOENT (id ""). */
int engine_pid_container(int pid, char id[13]);
/* The processes whose cgroups name the container now. */
int engine_container_pids(const char *short_id, int self_pid, uint32_t **pids, size_t *n);

/* An interface of some network namespace, as packets say theirs. */
struct engine_iface {
	uint64_t netns; /* the namespace's cookie (SO_NETNS_COOKIE) */
	uint32_t ifindex;
};

/* The cookie of the calling thread's network namespace (0: not known). */
uint64_t engine_netns_cookie(void);
/*
 * The interface a user names: NAME in our network namespace, NAME@NS in the
 * one `ip netns` calls NS, NAME@PID in process PID's. 0, or -errno with e
 * saying what and where.
 */
int engine_iface_lookup(const char *spec, struct engine_iface *out, struct err *e);
/*
 * The name of interface ifindex of namespace netns (found among `ip netns`
 * namespaces, else in process pid's): true with its name, and in ns the
 * namespace as a person knows it ("" for ours, "ns1", "pid 1234").
 */
bool engine_iface_name(uint64_t netns, uint32_t ifindex, uint32_t pid, char name[16], char *ns, size_t nslen);
/* The inode numbers (kernfs ids) of the container's cgroup directories in every hierarchy. */
int engine_container_cgroups(const char *short_id, uint64_t **ids, size_t *n);

#endif
