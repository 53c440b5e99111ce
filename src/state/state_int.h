/* state_int: what the files of src/state share; state.h stays the module's interface. */
#ifndef SYSREC_STATE_INT_H
#define SYSREC_STATE_INT_H

#include "state.h"

/* PPM_CL_* bits used here (Appendix B). */
#define CL_CLONE_FILES    0x1
#define CL_CLONE_THREAD   0x2000
#define CL_CLONE_INVERTED 0x10000
#define CL_NAME_CHANGED   0x20000
/* PPM_O_DIRECTORY */
#define PPM_O_DIRECTORY 0x400
/* portable fcntl commands */
#define PPM_FCNTL_F_DUPFD         1
#define PPM_FCNTL_F_DUPFD_CLOEXEC 0x1a

/*
 * Freed fd entries kept for reuse: forks copy whole fd tables and exits free
 * them, many entries at a time, more than malloc's per-thread cache holds.
 */
struct fdpool {
	struct fdinfo *free; /* linked through their name field */
	size_t n;
};
#define FDPOOL_MAX 4096

struct fdtable {
	struct i64map map;   /* fd -> struct fdinfo */
	struct fdpool *pool; /* the state's */
};

struct state {
	struct i64map threads; /* tid -> struct thread */
	struct i64map users;   /* uid -> char *name */
	struct i64map groups;  /* gid -> char *name */
	struct container *containers;
	size_t ncontainers;
	int64_t tid_to_remove;
	struct thread *last_thread; /* one-entry cache of state_thread() */
	uint64_t gen;               /* bumped whenever a thread is added or removed */
	struct fdinfo *closed_fd;   /* detached by a close exit, freed at the next event */
	struct fdpool fdpool;
	uint64_t num;
	bool seen_event; /* an event other than container metadata was seen */
	uint64_t first_ts, shown_ts;
	uint8_t (*ifaddrs)[17]; /* the capture's interface addresses: length (4 or 16), address */
	size_t nifaddrs;
	uint32_t nslots; /* thread slots reserved (state_slot_reserve) */
	/* ports the head's fd tables listen on (v4 and v6), and whether the
	 * head's connected v4 sockets were turned client->server by them, as
	 * sysdig does once when it opens a capture */
	state_judge_fn judge; /* sysdig's inspector filter (state_set_judge), or NULL */
	void *judge_ctx;
	uint16_t *server_ports;
	size_t nserver_ports;
	bool sockets_fixed;
	struct sbuf tmp, tmp2;
};

/* The parameters the parsers read by name, and their indexes per event code (-1: none). */
enum pkey {
	P_VM_SIZE,
	P_VM_RSS,
	P_VM_SWAP,
	P_PGFT_MAJ,
	P_PGFT_MIN,
	P_ARGS,
	P_CGROUPS,
	P_COMM,
	P_ENV,
	P_FLAGS,
	P_GID,
	P_LOGINUID,
	P_PGID,
	P_TTY,
	P_UID,
	P_VPID,
	P_VTID,
	P_N
};
extern int8_t state_param_idx[EVENT_MAX][P_N]; /* filled once by state_new() */

/*
 * An event parser: applies cx->ev to the state; cx->thread is the event's
 * thread (never NULL), and a clone exit may replace it.
 */
typedef void (*state_parse_fn)(struct state *s, struct evctx *cx);

/* The parsers by event code (parse_events.c); NULL: the event changes no state. */
extern const state_parse_fn state_parsers[EVENT_MAX];

/* fd tables (fdtable.c) */
struct fdtable *state_fdtable_new(struct fdpool *pool);
void state_fdinfo_free(struct fdpool *pool, struct fdinfo *f);
void state_fdpool_release(struct fdpool *pool);
void state_fdtable_free(struct fdtable *t);
struct fdtable *state_fdtable_copy(const struct fdtable *src);
struct fdinfo *state_fd_add(struct fdtable *t, int64_t fd, const struct fdinfo *proto, const char *name,
                            uint64_t num);
void state_fd_set_name(struct fdinfo *f, const char *name, size_t len, uint64_t num);
/* Swap a socket's two ends (address and port). */
void state_fd_swap_ends(struct fdinfo *f);
/* Turn the head's connected v4 sockets client->server (snapshot.c). */
void state_fix_head_sockets(struct state *s);

/* threads (threads.c) */
char *state_dupz(const char *s);
void state_thread_free(struct thread *t);
struct thread *state_thread_alloc(struct state *s, int64_t tid);
void state_set_str(char **dst, const char *src, size_t n);
void state_set_comm(struct thread *t, const char *comm);
void state_thread_set_cgroups(struct thread *t, const char *cg, size_t len, const struct thread *like);
void state_thread_set_list(char **dst, uint32_t *dlen, const void *src, size_t n);
void state_put_thread(struct state *s, struct thread *t);
struct thread *state_fake_thread(struct state *s, int64_t tid);
struct fdtable *state_thread_fds(struct state *s, struct thread *t);
const char *state_thread_cwd(struct state *s, struct thread *t);
struct fdinfo *state_get_fd(struct state *s, struct thread *t, int64_t fd);
void state_remove_thread(struct state *s, int64_t tid);

/* containers (containers.c) */
char *state_container_from_cgroups(const char *cg, size_t len);
void state_container_free(struct container *c);
const char *state_parse_container(struct state *s, const struct event *ev);

/* event parsers (parse_events.c) */
void state_store_enter_any(struct thread *t, const struct event *ev);
void state_thread_set_mem(struct thread *t, const struct event *ev);
void state_thread_set_faults(struct thread *t, const struct event *ev);
void state_parse_clone_exit(struct state *s, struct evctx *cx);
void state_parse_execve_exit(struct state *s, struct evctx *cx);

#endif
