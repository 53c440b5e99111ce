/*
 * state: what a capture says about the host at each event, as sysdig keeps it:
 * threads (from the process list, clone/fork/execve/procexit), per-process fd
 * tables (from fd lists, open/socket/connect/accept/dup/pipe/close...), users
 * and groups, and containers (from container events).
 *
 * state_process() applies one event, in file order, and tells the caller
 * whether sysdig would show it (it hides internal events, exits that do not
 * follow their enter, and fd exits whose fd it does not know).
 */
#ifndef SYSREC_STATE_H
#define SYSREC_STATE_H

#include "../common/common.h"
#include "../event/event.h"
#include "../scap/scap.h"

/* An open file descriptor as sysdig describes it. */
struct fdinfo {
	int64_t fd;
	uint8_t type;    /* SCAP_FD_* */
	uint8_t l4proto; /* SCAP_L4_* */
	uint32_t open_flags;
	uint32_t dev;
	uint64_t ino;
	uint8_t sip[16], dip[16];
	uint16_t sport, dport;
	bool v6;
	uint8_t role;   /* STATE_ROLE_*: who opened the connection */
	bool connected; /* sysdig's "connected": TCP in the head's table, connect() or accept(), or data moved
	                 */
	char *name;     /* control characters removed, as sysdig shows it; in inl when it fits */
	uint32_t name_len;
	uint64_t named_at; /* the event that gave it its name (0: the capture's fd list) */
	char inl[80];      /* the name's storage when it is shorter (most paths, every tuple) */
};

enum { STATE_ROLE_NONE = 0, STATE_ROLE_CLIENT = 1, STATE_ROLE_SERVER = 2 };

/* The l4 protocol sysdig shows for a socket fd: unknown until it has a role. */
uint8_t state_fd_l4proto(const struct fdinfo *f);

struct fdtable;

struct thread {
	int64_t tid, pid, ptid, sid, vpgid, vtid, vpid;
	char *comm, *exe, *exepath, *cwd, *root, *container_id;
	uint32_t comm_len;
	struct thread *main; /* cached state_main_thread(), valid while main_gen matches */
	uint64_t main_gen;
	char *args, *env, *cgroups; /* NUL-separated */
	uint32_t args_len, env_len, cgroups_len;
	uint32_t uid, gid, loginuid;
	int64_t fdlimit;
	uint32_t vmsize_kb, vmrss_kb, vmswap_kb; /* from the process list, clone and execve exits */
	uint64_t pfmajor, pfminor;
	uint64_t clone_ts; /* when a clone in the capture made it; 0 when it predates the capture */
	uint32_t tty;
	bool exe_writable;
	uint32_t flags; /* PPM_CL_* */
	bool fake;      /* created on sight of an unknown tid */
	struct fdtable *fds;
	/* per-event parsing state (sysdig's "last event") */
	uint16_t last_type;
	uint16_t enter_type; /* the last enter's, for evt.latency: a filter's rejection does not forget it */
	uint64_t last_enter_ts;
	uint64_t latency; /* of the last exit (0 after an enter), for evt.latency */
	int64_t last_fd;
	bool last_valid;
	uint8_t *enter; /* copy of the stored enter event */
	uint32_t enter_len, enter_cap;
	uint16_t enter_cpu;
	uint64_t *slots; /* values fields keep per thread (state_slot()), zero in a new thread */
	uint32_t nslots;
};

struct container_mount {
	char *source, *dest, *mode, *propagation;
	bool rdwr;
};

struct container {
	char *id, *name, *image, *type;
	char *image_id, *image_repo, *image_tag, *image_digest;
	int privileged; /* -1: not said */
	struct container_mount *mounts;
	size_t nmounts;
	char **label_keys, **label_vals; /* its labels (string values), sorted by key */
	size_t nlabels;
	char *ip;   /* its address as its runtime gave it ("0.0.0.0", "": none) */
	char *json; /* the container event's JSON that described it last */
};

/* Label key of container c (NULL: it has none of that key). */
const char *state_container_label(const struct container *c, const char *key);

/* A user of the capture's user list. */
struct state_user {
	char *name, *homedir, *shell;
};

struct state;

struct state *state_new(void);
void state_free(struct state *s);

/* Metadata records of the capture's start (SCAP_REC_* other than EVENT). */
void state_add_record(struct state *s, const struct scap_record *rec);
/* A process list and each process's fds (fds[i], nfds[i] for procs[i]), as their records would add them. */
void state_add_procs(struct state *s, const struct scap_proc *procs, struct scap_fd *const *fds,
                     const size_t *nfds, size_t n);

/*
 * Per-event results of state_process(): the thread and fd the event concerns
 * (NULL when none), and whether sysdig would show the event.
 */
struct evctx {
	const struct event *ev;
	struct thread *thread;
	struct fdinfo *fdinfo; /* the fd the fd.* fields read: evt_fdinfo, else the thread's last fd */
	/* the fd sysdig's parser leaves on the event (its m_fdinfo), which the
	 * evt.* fields of I/O read: none for an exit that does not follow its
	 * enter (one before the capture, or one a filter rejected) */
	struct fdinfo *evt_fdinfo;
	int64_t fd;  /* the fd the event is about (-1: none), for fd-related events */
	bool has_fd; /* the event creates, uses or destroys an fd (fd.* fields exist) */
	bool shown;
	bool judged;       /* the state's judge (state_set_judge) ran on it, */
	bool rejected;     /* and rejected it */
	bool head;         /* container metadata ahead of the first event: part of the capture's head, as
	                    * the process list is (sysdig reads it when it opens a file), never filtered out */
	uint64_t num;      /* 1-based event number */
	uint64_t first_ts; /* the capture's first event's time */
	uint64_t prev_ts;  /* the previous shown event's time (0: none) */
};

void state_process(struct state *s, const struct event *ev, struct evctx *cx);
/*
 * A filter judged where sysdig's inspector filter (`sysdig -r FILE FILTER`)
 * is: state_process() runs it on each syscall event, before parsing an event
 * that changes no state (a rejected one is then not parsed, and the exit after
 * a rejected enter has no fd of its own) and after parsing one that does; it
 * sets cx->judged and cx->rejected. Events it does not judge (metadata, no
 * thread) are the caller's to filter. fn returns true to keep the event.
 */
typedef bool (*state_judge_fn)(void *ctx, const struct evctx *cx);
void state_set_judge(struct state *s, state_judge_fn fn, void *ctx);
/*
 * Number an event and decide whether sysdig would show it, without applying it
 * to the tables: for consumers that read nothing but the event (cx->thread and
 * cx->fdinfo are NULL). Do not mix with state_process() on one state.
 */
void state_count(struct state *s, const struct event *ev, struct evctx *cx);

struct thread *state_thread(struct state *s, int64_t tid);
/*
 * Per-thread memory for fields that keep a value between events (sysdig's
 * reserved thread memory): state_slot_reserve() hands out a slot number once;
 * state_slot() is that slot in thread t, zero until written, gone with t.
 */
uint32_t state_slot_reserve(struct state *s);
uint64_t *state_slot(struct thread *t, uint32_t slot);
struct fdinfo *state_fd(struct state *s, struct thread *t, int64_t fd);
const char *state_user_name(struct state *s, uint32_t uid);
const struct state_user *state_user(struct state *s, uint32_t uid);
/* A v6 address of the ::ffff:a.b.c.d form. */
bool state_ipv4_mapped(const uint8_t *a);
/* The address is one of the capture's interfaces' (an IPv4-mapped v6 address as v4). */
bool state_ip_is_local(struct state *s, const uint8_t *ip, bool v6);
/* Threads of t's process, and threads t made (one walk over the thread table). */
void state_thread_counts(struct state *s, const struct thread *t, size_t *nthreads, size_t *nchilds);
/* Open fds of thread t's process. */
size_t state_fd_count(struct state *s, struct thread *t);
const char *state_group_name(struct state *s, uint32_t gid);
const struct container *state_container(struct state *s, const char *id);
/* The containers described so far, in the order first described: *n of them. */
const struct container *state_containers(struct state *s, size_t *n);
/*
 * The threads and fd tables as process-list and fd-list records, for a file
 * that starts in the middle of the event stream (rotation). procs[i]'s fds
 * are fds[i] (nfds[i] of them; none for threads sharing their process's).
 * Strings point into the state: valid until the next state_process().
 */
struct state_snapshot {
	struct scap_proc *procs;
	struct scap_fd **fds;
	size_t *nfds;
	size_t n;
};

void state_snapshot(struct state *s, struct state_snapshot *out);
void state_snapshot_free(struct state_snapshot *snap);

/* The time of t's last enter event, when it was of this type. */
bool state_enter_ts(const struct thread *t, uint16_t type, uint64_t *ts);

/* Thread's main thread (same pid), or the thread itself. */
struct thread *state_main_thread(struct state *s, struct thread *t);

/* fd type character as sysdig prints it ('f', '4', 'u', ...). */
char state_fd_typechar(const struct fdinfo *f);
/* "file", "ipv4", "unix", ... for fd.type. */
const char *state_fd_typename(const struct fdinfo *f);

/* Format an IPv4/IPv6 endpoint pair / server address as sysdig does. */
void state_fmt_ipv4_tuple(struct sbuf *b, const uint8_t *sip, uint16_t sport, const uint8_t *dip,
                          uint16_t dport);
void state_fmt_ipv6_tuple(struct sbuf *b, const uint8_t *sip, uint16_t sport, const uint8_t *dip,
                          uint16_t dport);
void state_fmt_ipv4_addr(struct sbuf *b, const uint8_t *ip, uint16_t port);
void state_fmt_ipv6_addr(struct sbuf *b, const uint8_t *ip, uint16_t port);

/*
 * The container a NUL-separated cgroups list puts a thread in: its id (the
 * first 12 of the 64 hex digits of a path segment, as docker, containerd,
 * cri-o, podman and kubepods name them) into id, and the runtime as sysdig's
 * container type number (0 docker, 6 CRI, 7 containerd: cri-containerd-ID or
 * /k8s.io/ID and /default/ID as ctr makes them, 8 cri-o, 11 podman); -1 when
 * the list names no container.
 */
int state_cgroups_container(const char *cg, size_t len, char id[13]);

/*
 * The container event JSON for a container known by its id and runtime type
 * only, as sysdig's writer describes one its runtime has not answered for
 * (a new string).
 */
char *state_container_json_min(const char *id, int type);

/* Join dir and path as sysdig does (resolving "." and ".."); returns out. */
const char *state_concat_path(struct sbuf *out, const char *dir, const char *path);

#endif
