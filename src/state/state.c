/* state: thread, fd, user and container tables driven by the event stream. */
#include "state.h"

#include <arpa/inet.h>
#include <errno.h>
#include <jansson.h>
#include <pthread.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

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
	struct sbuf tmp, tmp2;
};

/* What the parsers need to know about an event code, computed once from the table. */
enum {
	K_CLONE_EXIT = 1,    /* clone, fork, vfork, clone3 exit, any version */
	K_EXECVE_EXIT = 2,   /* execve, execveat exit, any version */
	K_CONTAINER = 4,     /* container metadata: never shown */
	K_VMSTATS = 8,       /* carries the thread's memory counters (brk, mmap, switch...) */
	K_INTERNAL = 16,     /* EC_INTERNAL: never shown */
	K_STORES_ENTER = 32, /* an enter event its exit's parser reads (stores_enter()) */
};

static uint8_t event_kind[EVENT_MAX];
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
static const char *const pkey_names[P_N] = {
	[P_VM_SIZE] = "vm_size",   [P_VM_RSS] = "vm_rss", [P_VM_SWAP] = "vm_swap", [P_PGFT_MAJ] = "pgft_maj",
	[P_PGFT_MIN] = "pgft_min", [P_ARGS] = "args",     [P_CGROUPS] = "cgroups", [P_COMM] = "comm",
	[P_ENV] = "env",           [P_FLAGS] = "flags",   [P_GID] = "gid",         [P_LOGINUID] = "loginuid",
	[P_PGID] = "pgid",         [P_TTY] = "tty",       [P_UID] = "uid",         [P_VPID] = "vpid",
	[P_VTID] = "vtid",
};
static int8_t param_idx[EVENT_MAX][P_N];

/* Enter events whose parameters an exit's parser reads. */
static bool stores_enter(uint16_t type)
{
	switch (type) {
	case PPME_SYSCALL_OPEN_E:
	case PPME_SYSCALL_CREAT_E:
	case PPME_SYSCALL_OPENAT_E:
	case PPME_SYSCALL_OPENAT_2_E:
	case PPME_SYSCALL_OPENAT2_E: /* open, creat, openat(old), openat, openat2 */
	case PPME_SOCKET_SOCKET_E:   /* socket */
	case PPME_SYSCALL_EXECVE_19_E:
	case PPME_SYSCALL_EXECVE_18_E:
	case PPME_SYSCALL_EXECVEAT_E: /* execve, execveat */
	case PPME_SYSCALL_SETUID_E:
	case PPME_SYSCALL_SETGID_E:
	case PPME_SYSCALL_SETRESUID_E:
	case PPME_SYSCALL_SETRESGID_E: /* setuid, setgid, setresuid, setresgid */
	case PPME_SOCKET_SENDTO_E:
	case PPME_SOCKET_SENDMSG_E: /* sendto, sendmsg */
	case PPME_SYSCALL_FCNTL_E:  /* fcntl */
	case PPME_SOCKET_CONNECT_E: /* connect */
		return true;
	default:
		return false;
	}
}

static void classify_events_once(void)
{
	for (int i = 0; i < EVENT_MAX; i++) {
		const char *n = event_table[i].name;
		bool exit = event_is_exit((uint32_t)i);

		if (exit && (!strcmp(n, "clone") || !strcmp(n, "fork") || !strcmp(n, "vfork") ||
		             !strcmp(n, "clone3")))
			event_kind[i] |= K_CLONE_EXIT;
		if (exit && (!strcmp(n, "execve") || !strcmp(n, "execveat")))
			event_kind[i] |= K_EXECVE_EXIT;
		if (!strcmp(n, "container"))
			event_kind[i] |= K_CONTAINER;
		for (int k = 0; k < P_N; k++)
			param_idx[i][k] = (int8_t)event_param_index((uint32_t)i, pkey_names[k]);
		if (param_idx[i][P_VM_SIZE] >= 0 && !(event_kind[i] & (K_CLONE_EXIT | K_EXECVE_EXIT)))
			event_kind[i] |= K_VMSTATS;
		if (event_table[i].category & EC_INTERNAL)
			event_kind[i] |= K_INTERNAL;
		if (stores_enter((uint16_t)i))
			event_kind[i] |= K_STORES_ENTER;
	}
}

static void classify_events(void)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;

	pthread_once(&once, classify_events_once);
}

static bool is_clone_exit(uint16_t type)
{
	return type < EVENT_MAX && (event_kind[type] & K_CLONE_EXIT);
}

/* ---- fd tables ---- */

static struct fdtable *fdtable_new(struct fdpool *pool)
{
	struct fdtable *t = xcalloc(1, sizeof(*t));

	i64map_init(&t->map);
	t->pool = pool;
	return t;
}

static struct fdinfo *fdinfo_alloc(struct fdpool *pool)
{
	struct fdinfo *f = pool->free;

	if (!f)
		return xmalloc(sizeof(*f));
	pool->free = (struct fdinfo *)(void *)f->name;
	pool->n--;
	return f;
}

static void fdinfo_free(struct fdpool *pool, struct fdinfo *f)
{
	if (!f)
		return;
	if (f->name != f->inl)
		free(f->name);
	if (pool->n >= FDPOOL_MAX) {
		free(f);
		return;
	}
	f->name = (char *)(void *)pool->free;
	pool->free = f;
	pool->n++;
}

static void fdpool_release(struct fdpool *pool)
{
	while (pool->free) {
		struct fdinfo *f = pool->free;

		pool->free = (struct fdinfo *)(void *)f->name;
		free(f);
	}
	pool->n = 0;
}

static void fdtable_free(struct fdtable *t)
{
	if (!t)
		return;
	for (size_t i = 0; i < t->map.cap; i++)
		if (t->map.slots[i].val)
			fdinfo_free(t->pool, t->map.slots[i].val);
	i64map_release(&t->map);
	free(t);
}

/* Some byte of p[0..len) is below 0x20 (eight at a time: a byte b < 0x20 makes b - 0x20 borrow). */
static bool has_control(const char *p, size_t len)
{
	const uint64_t ones = 0x0101010101010101ULL, highs = 0x8080808080808080ULL;
	size_t i = 0;

	for (; i + 8 <= len; i += 8) {
		uint64_t x;

		memcpy(&x, p + i, 8);
		if ((x - ones * 0x20) & ~x & highs)
			return true;
	}
	for (; i < len; i++)
		if ((unsigned char)p[i] < 0x20)
			return true;
	return false;
}

static struct fdinfo *fdinfo_copy(struct fdpool *pool, const struct fdinfo *f)
{
	struct fdinfo *c = fdinfo_alloc(pool);

	/* the name is clean already: copied as it is, in place or on the heap */
	if (f->name == f->inl) {
		memcpy(c, f, offsetof(struct fdinfo, inl) + f->name_len + 1);
		c->name = c->inl;
	} else {
		memcpy(c, f, offsetof(struct fdinfo, inl));
		c->name = xmalloc(f->name_len + 1);
		memcpy(c->name, f->name, f->name_len + 1);
	}
	return c;
}

/* A fork's copy: the same map layout, every fd copied. */
static struct fdtable *fdtable_copy(const struct fdtable *src)
{
	struct fdtable *t = xcalloc(1, sizeof(*t));

	t->pool = src->pool;
	i64map_copy(&t->map, &src->map);
	for (size_t i = 0; i < t->map.cap; i++)
		if (t->map.slots[i].val)
			t->map.slots[i].val = fdinfo_copy(t->pool, t->map.slots[i].val);
	return t;
}

/*
 * Set f's name to name without its control characters (sysdig sanitizes fd
 * names). name may not lie in f's own storage.
 */
static void fd_store_name(struct fdinfo *f, const char *name, size_t len)
{
	char *c = len < sizeof(f->inl) ? f->inl : xmalloc(len + 1);
	size_t n = len;

	memcpy(c, name, len);
	if (has_control(c, len)) {
		n = 0;
		for (size_t i = 0; i < len; i++)
			if ((unsigned char)name[i] >= 0x20)
				c[n++] = name[i];
	}
	c[n] = 0;
	f->name = c;
	f->name_len = (uint32_t)n;
}

/*
 * fds note the number of the event that named them, num (fd.name_changed):
 * the event being applied, or 0 for the capture's fd list.
 */
static struct fdinfo *fd_add(struct fdtable *t, int64_t fd, const struct fdinfo *proto, const char *name,
                             uint64_t num)
{
	struct fdinfo *f = fdinfo_alloc(t->pool);

	memcpy(f, proto, offsetof(struct fdinfo, inl));
	f->fd = fd;
	fd_store_name(f, name, strlen(name));
	f->named_at = *f->name ? num : 0;
	fdinfo_free(t->pool, i64map_put(&t->map, fd, f));
	return f;
}

static void fd_set_name(struct fdinfo *f, const char *name, size_t len, uint64_t num)
{
	if (f->name != f->inl)
		free(f->name);
	fd_store_name(f, name, len);
	f->named_at = num;
}

/* ---- threads ---- */

static char *dupz(const char *s)
{
	return xstrndup(s ? s : "", s ? strlen(s) : 0);
}

static char *dupn(const void *p, size_t n)
{
	return xstrndup(p ? p : "", p ? n : 0);
}

static void thread_free(struct thread *t)
{
	if (!t)
		return;
	free(t->comm);
	free(t->exe);
	free(t->exepath);
	free(t->cwd);
	free(t->root);
	free(t->container_id);
	free(t->args);
	free(t->env);
	free(t->cgroups);
	free(t->enter);
	free(t->slots);
	fdtable_free(t->fds);
	free(t);
}

static struct thread *thread_alloc(struct state *s, int64_t tid)
{
	struct thread *t = xcalloc(1, sizeof(*t));

	t->tid = tid;
	t->pid = t->ptid = -1;
	t->sid = t->vpgid = t->vtid = t->vpid = -1;
	t->fdlimit = -1;
	t->last_fd = -1;
	t->last_type = EVENT_MAX;
	t->fds = fdtable_new(&s->fdpool);
	return t;
}

uint32_t state_slot_reserve(struct state *s)
{
	return s->nslots++;
}

uint64_t *state_slot(struct thread *t, uint32_t slot)
{
	if (slot >= t->nslots) {
		uint32_t n = slot + 1;

		t->slots = xrealloc(t->slots, n * sizeof(*t->slots));
		memset(t->slots + t->nslots, 0, (n - t->nslots) * sizeof(*t->slots));
		t->nslots = n;
	}
	return &t->slots[slot];
}

static void set_str(char **dst, const char *src, size_t n)
{
	free(*dst);
	*dst = dupn(src, n);
}

static void set_comm(struct thread *t, const char *comm)
{
	size_t n = strlen(comm);

	set_str(&t->comm, comm, n);
	t->comm_len = (uint32_t)n;
}

static bool is_lower_hex(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
}

int state_cgroups_container(const char *cg, size_t len, char id[13])
{
	for (size_t i = 0, n; i + 64 <= len; i += n ? n : 1) {
		n = 0;
		if (i > 0 && (cg[i - 1] != '/' && cg[i - 1] != '-'))
			continue;
		while (i + n < len && is_lower_hex(cg[i + n]))
			n++;
		if (n != 64)
			continue; /* no run of hex digits starts inside this one after a '/' or '-' */
		memcpy(id, cg + i, 12);
		id[12] = '\0';
		/* the runtime, from the layout (sysdig's CT_* numbers) */
		if (i >= 7 && !memcmp(cg + i - 7, "libpod-", 7))
			return 11; /* podman */
		if (i >= 5 && !memcmp(cg + i - 5, "crio-", 5))
			return 8; /* cri-o */
		if (i >= 15 && !memcmp(cg + i - 15, "cri-containerd-", 15))
			return 7; /* containerd */
		if (memmem(cg, i, "kubepods", 8))
			return 6; /* CRI */
		return 0;         /* docker */
	}
	return -1;
}

/* Container id from a NUL-separated cgroups list: the first 64-hex path segment. */
static char *container_from_cgroups(const char *cg, size_t len)
{
	char id[13];

	return state_cgroups_container(cg, len, id) >= 0 ? dupz(id) : dupz("");
}

/*
 * Give t the cgroups cg; its container is like's when like (the parent, or t
 * itself before an execve) has the same cgroups, as nearly every new process
 * has.
 */
static void thread_set_cgroups(struct thread *t, const char *cg, size_t len, const struct thread *like)
{
	const char *same_id =
	        like && like->cgroups && like->cgroups_len == len && !memcmp(like->cgroups, cg, len)
	                ? like->container_id
	                : NULL;

	if (same_id && like == t)
		return;
	set_str(&t->cgroups, cg, len);
	t->cgroups_len = (uint32_t)len;
	free(t->container_id);
	t->container_id = same_id ? dupz(same_id) : container_from_cgroups(cg, len);
}

static void thread_set_list(char **dst, uint32_t *dlen, const void *src, size_t n)
{
	free(*dst);
	*dst = dupn(src, n);
	*dlen = (uint32_t)n;
}

struct state *state_new(void)
{
	struct state *s = xcalloc(1, sizeof(*s));

	i64map_init(&s->threads);
	i64map_init(&s->users);
	i64map_init(&s->groups);
	sbuf_init(&s->tmp, 256);
	sbuf_init(&s->tmp2, 256);
	s->tid_to_remove = -1;
	s->gen = 1;
	classify_events();
	return s;
}

static void container_free(struct container *c)
{
	free(c->id);
	free(c->name);
	free(c->image);
	free(c->type);
	free(c->image_id);
	free(c->image_repo);
	free(c->image_tag);
	free(c->image_digest);
	for (size_t i = 0; i < c->nmounts; i++) {
		free(c->mounts[i].source);
		free(c->mounts[i].dest);
		free(c->mounts[i].mode);
		free(c->mounts[i].propagation);
	}
	free(c->mounts);
}

static void free_users(struct i64map *m)
{
	for (size_t i = 0; i < m->cap; i++) {
		struct state_user *u = m->slots[i].val;

		if (u) {
			free(u->name);
			free(u->homedir);
			free(u->shell);
			free(u);
		}
	}
	i64map_release(m);
}

static void free_names(struct i64map *m)
{
	for (size_t i = 0; i < m->cap; i++)
		free(m->slots[i].val);
	i64map_release(m);
}

void state_free(struct state *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->threads.cap; i++)
		thread_free(s->threads.slots[i].val);
	i64map_release(&s->threads);
	free_users(&s->users);
	free_names(&s->groups);
	for (size_t i = 0; i < s->ncontainers; i++)
		container_free(&s->containers[i]);
	free(s->containers);
	fdinfo_free(&s->fdpool, s->closed_fd);
	fdpool_release(&s->fdpool);
	free(s->ifaddrs);
	sbuf_release(&s->tmp);
	sbuf_release(&s->tmp2);
	free(s);
}

struct thread *state_thread(struct state *s, int64_t tid)
{
	struct thread *t;

	if (s->last_thread && s->last_thread->tid == tid)
		return s->last_thread;
	t = i64map_get(&s->threads, tid);
	if (t)
		s->last_thread = t;
	return t;
}

static void put_thread(struct state *s, struct thread *t)
{
	s->last_thread = NULL;
	s->gen++;
	thread_free(i64map_put(&s->threads, t->tid, t));
}

/* sysdig's placeholder for a tid it has not seen: comm and exe "<NA>". */
static struct thread *fake_thread(struct state *s, int64_t tid)
{
	struct thread *t = thread_alloc(s, tid);

	t->pid = tid;
	set_comm(t, "<NA>");
	t->exe = dupz("<NA>");
	t->exepath = dupz("");
	t->cwd = dupz("");
	t->root = dupz("");
	t->container_id = dupz("");
	t->args = dupz("");
	t->env = dupz("");
	t->cgroups = dupz("");
	t->uid = t->gid = t->loginuid = UINT32_MAX;
	t->fake = true;
	put_thread(s, t);
	return t;
}

struct thread *state_main_thread(struct state *s, struct thread *t)
{
	struct thread *m;

	if (!t || t->pid == t->tid || t->pid < 0)
		return t;
	if (t->main_gen == s->gen && t->main)
		return t->main;
	m = state_thread(s, t->pid);
	t->main = m ? m : t;
	t->main_gen = s->gen;
	return t->main;
}

static struct fdtable *thread_fds(struct state *s, struct thread *t)
{
	if (t->flags & CL_CLONE_FILES)
		return state_main_thread(s, t)->fds;
	return t->fds;
}

static const char *thread_cwd(struct state *s, struct thread *t)
{
	return state_main_thread(s, t)->cwd;
}

static struct fdinfo *get_fd(struct state *s, struct thread *t, int64_t fd)
{
	return t ? i64map_get(&thread_fds(s, t)->map, fd) : NULL;
}

struct fdinfo *state_fd(struct state *s, struct thread *t, int64_t fd)
{
	return get_fd(s, t, fd);
}

const struct state_user *state_user(struct state *s, uint32_t uid)
{
	return i64map_get(&s->users, uid);
}

const char *state_user_name(struct state *s, uint32_t uid)
{
	const struct state_user *u = i64map_get(&s->users, uid);

	return u ? u->name : NULL;
}

void state_thread_counts(struct state *s, const struct thread *t, size_t *nthreads, size_t *nchilds)
{
	*nthreads = *nchilds = 0;
	for (size_t i = 0; i < s->threads.cap; i++) {
		const struct thread *o = s->threads.slots[i].val;

		if (o) {
			*nthreads += o->pid == t->pid;
			*nchilds += o->ptid == t->tid;
		}
	}
}

size_t state_fd_count(struct state *s, struct thread *t)
{
	return thread_fds(s, t)->map.len;
}

const char *state_group_name(struct state *s, uint32_t gid)
{
	return i64map_get(&s->groups, gid);
}

const struct container *state_container(struct state *s, const char *id)
{
	for (size_t i = 0; id && *id && i < s->ncontainers; i++)
		if (strcmp(s->containers[i].id, id) == 0)
			return &s->containers[i];
	return NULL;
}

/* ---- names ---- */

uint8_t state_fd_l4proto(const struct fdinfo *f)
{
	switch (f->type) {
	case SCAP_FD_IPV4_SOCK:
	case SCAP_FD_IPV6_SOCK:
		if (f->l4proto == SCAP_L4_RAW)
			return SCAP_L4_RAW;
		return f->role == STATE_ROLE_NONE ? SCAP_L4_NA : f->l4proto;
	case SCAP_FD_IPV4_SERVSOCK:
	case SCAP_FD_IPV6_SERVSOCK:
		return f->l4proto;
	default:
		return SCAP_L4_NA;
	}
}

char state_fd_typechar(const struct fdinfo *f)
{
	static const char chars[] = {
		[SCAP_FD_FILE] = 'f',        [SCAP_FD_DIRECTORY] = 'd',     [SCAP_FD_IPV4_SOCK] = '4',
		[SCAP_FD_IPV6_SOCK] = '6',   [SCAP_FD_IPV4_SERVSOCK] = '4', [SCAP_FD_IPV6_SERVSOCK] = '6',
		[SCAP_FD_FIFO] = 'p',        [SCAP_FD_UNIX_SOCK] = 'u',     [SCAP_FD_EVENT] = 'e',
		[SCAP_FD_UNSUPPORTED] = 'X', [SCAP_FD_SIGNALFD] = 's',      [SCAP_FD_EVENTPOLL] = 'l',
		[SCAP_FD_INOTIFY] = 'i',     [SCAP_FD_TIMERFD] = 't',       [SCAP_FD_NETLINK] = 'n',
		[SCAP_FD_FILE_V2] = 'f',     [SCAP_FD_UNKNOWN] = 'o', /* sysdig's chars */
	};

	return f->type < sizeof(chars) && chars[f->type] ? chars[f->type] : '?';
}

const char *state_fd_typename(const struct fdinfo *f)
{
	static const char *const names[] = {
		[SCAP_FD_FILE] = "file",          [SCAP_FD_DIRECTORY] = "directory",
		[SCAP_FD_IPV4_SOCK] = "ipv4",     [SCAP_FD_IPV6_SOCK] = "ipv6",
		[SCAP_FD_IPV4_SERVSOCK] = "ipv4", [SCAP_FD_IPV6_SERVSOCK] = "ipv6",
		[SCAP_FD_FIFO] = "pipe",          [SCAP_FD_UNIX_SOCK] = "unix",
		[SCAP_FD_EVENT] = "event",        [SCAP_FD_UNSUPPORTED] = "unknown",
		[SCAP_FD_SIGNALFD] = "signalfd",  [SCAP_FD_EVENTPOLL] = "eventpoll",
		[SCAP_FD_INOTIFY] = "inotify",    [SCAP_FD_TIMERFD] = "timerfd",
		[SCAP_FD_NETLINK] = "netlink",    [SCAP_FD_FILE_V2] = "file",
	};

	return f->type < ARRAY_SIZE(names) && names[f->type] ? names[f->type] : "unknown";
}

/* Decimal digits of v (< 100000) at p; returns the end. */
static char *put_dec(char *p, unsigned v)
{
	char tmp[5];
	int n = 0;

	do {
		tmp[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	while (n)
		*p++ = tmp[--n];
	return p;
}

void state_fmt_ipv4_addr(struct sbuf *b, const uint8_t *ip, uint16_t port)
{
	char text[sizeof("255.255.255.255:65535")], *p = text;

	for (int i = 0; i < 4; i++) {
		p = put_dec(p, ip[i]);
		*p++ = i < 3 ? '.' : ':';
	}
	p = put_dec(p, port);
	sbuf_put(b, text, (size_t)(p - text));
}

void state_fmt_ipv4_tuple(struct sbuf *b, const uint8_t *sip, uint16_t sport, const uint8_t *dip,
                          uint16_t dport)
{
	state_fmt_ipv4_addr(b, sip, sport);
	sbuf_put(b, "->", 2);
	state_fmt_ipv4_addr(b, dip, dport);
}

void state_fmt_ipv6_addr(struct sbuf *b, const uint8_t *ip, uint16_t port)
{
	char tmp[INET6_ADDRSTRLEN];

	if (!inet_ntop(AF_INET6, ip, tmp, sizeof(tmp)))
		tmp[0] = 0;
	sbuf_puts(b, tmp);
	sbuf_putc(b, ':');
	sbuf_u64(b, port);
}

void state_fmt_ipv6_tuple(struct sbuf *b, const uint8_t *sip, uint16_t sport, const uint8_t *dip,
                          uint16_t dport)
{
	state_fmt_ipv6_addr(b, sip, sport);
	sbuf_put(b, "->", 2);
	state_fmt_ipv6_addr(b, dip, dport);
}

bool state_ipv4_mapped(const uint8_t *a)
{
	static const uint8_t prefix[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };

	return memcmp(a, prefix, 12) == 0;
}

bool state_ip_is_local(struct state *s, const uint8_t *ip, bool v6)
{
	if (v6 && state_ipv4_mapped(ip)) {
		ip += 12;
		v6 = false;
	}
	for (size_t i = 0; i < s->nifaddrs; i++)
		if (s->ifaddrs[i][0] == (v6 ? 16 : 4) && memcmp(s->ifaddrs[i] + 1, ip, v6 ? 16 : 4) == 0)
			return true;
	return false;
}

/*
 * Join a directory and a path the way sysdig does: an absolute path replaces
 * the directory; "." and ".." segments and repeated slashes are folded.
 */
const char *state_concat_path(struct sbuf *out, const char *dir, const char *path)
{
	size_t start;
	char *p;
	size_t w = 0;

	sbuf_reset(out);
	if (path[0] == '/') {
		/* most absolute paths have no empty, "." or ".." segment: they fold to themselves */
		size_t n = 0;

		for (; path[n]; n++)
			if (path[n] == '/' && (path[n + 1] == '/' || path[n + 1] == '.'))
				break;
		if (!path[n]) {
			sbuf_put(out, path, n > 1 && path[n - 1] == '/' ? n - 1 : n);
			return sbuf_cstr(out);
		}
	}
	if (path[0] != '/')
		sbuf_puts(out, dir);
	if (path[0] != '/' && out->len && out->data[out->len - 1] != '/')
		sbuf_putc(out, '/');
	sbuf_puts(out, path);
	sbuf_cstr(out);
	p = out->data;
	start = 0;
	/* fold in place: segments separated by '/' */
	for (size_t r = 0; r <= out->len;) {
		size_t e = r;

		while (e < out->len && p[e] != '/')
			e++;
		if (r == 0 && e == 0) {
			p[w++] = '/';
			start = 1;
		} else if (e - r == 0 || (e - r == 1 && p[r] == '.')) {
			/* skip */
		} else if (e - r == 2 && p[r] == '.' && p[r + 1] == '.') {
			if (w > start) {
				w--;
				while (w > start && p[w - 1] != '/')
					w--;
			}
		} else {
			memmove(p + w, p + r, e - r);
			w += e - r;
			if (e < out->len)
				p[w++] = '/';
		}
		r = e + 1;
	}
	if (w > 1 && p[w - 1] == '/') /* no trailing slash: "/a/b/" is "/a/b" */
		w--;
	out->len = w;
	return sbuf_cstr(out);
}

/* ---- metadata ---- */

static void add_procs(struct state *s, const struct scap_proc *p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		struct thread *t = thread_alloc(s, (int64_t)p[i].tid);
		size_t cwdlen = strlen(p[i].cwd);

		t->pid = (int64_t)p[i].pid;
		t->ptid = (int64_t)p[i].ptid;
		t->sid = (int64_t)p[i].sid;
		t->vpgid = (int64_t)p[i].vpgid;
		set_comm(t, p[i].comm);
		t->exe = dupz(p[i].exe);
		t->exepath = dupz(p[i].exepath);
		/* sysdig keeps cwd with a trailing slash */
		t->cwd = xmalloc(cwdlen + 2);
		memcpy(t->cwd, p[i].cwd, cwdlen);
		t->cwd[cwdlen] = 0;
		if (!cwdlen || t->cwd[cwdlen - 1] != '/')
			strcpy(t->cwd + cwdlen, "/");
		t->root = dupz(p[i].root);
		thread_set_list(&t->args, &t->args_len, p[i].args, p[i].args_len);
		thread_set_list(&t->env, &t->env_len, p[i].env, p[i].env_len);
		t->cgroups = NULL;
		thread_set_cgroups(t, p[i].cgroups, p[i].cgroups_len, NULL);
		t->fdlimit = p[i].fdlimit;
		t->flags = p[i].flags;
		t->uid = p[i].uid;
		t->gid = p[i].gid;
		t->loginuid = p[i].loginuid;
		t->vtid = p[i].vtid;
		t->vpid = p[i].vpid;
		t->vmsize_kb = p[i].vmsize_kb;
		t->vmrss_kb = p[i].vmrss_kb;
		t->vmswap_kb = p[i].vmswap_kb;
		t->pfmajor = p[i].pfmajor;
		t->pfminor = p[i].pfminor;
		t->exe_writable = p[i].exe_writable;
		t->tty = p[i].tty;
		put_thread(s, t);
	}
}

static void fd_from_scap(struct fdinfo *f, const struct scap_fd *sf)
{
	memset(f, 0, sizeof(*f));
	f->type = sf->type == SCAP_FD_FILE ? SCAP_FD_FILE_V2 : sf->type;
	f->ino = sf->ino;
	f->open_flags = sf->open_flags;
	f->dev = sf->dev;
	f->l4proto = sf->l4proto;
	memcpy(f->sip, sf->sip, 16);
	memcpy(f->dip, sf->dip, 16);
	f->sport = sf->sport;
	f->dport = sf->dport;
	f->v6 = sf->type == SCAP_FD_IPV6_SOCK || sf->type == SCAP_FD_IPV6_SERVSOCK;
	if (sf->type == SCAP_FD_IPV4_SOCK || sf->type == SCAP_FD_IPV6_SOCK) {
		f->role = STATE_ROLE_CLIENT;
		f->connected = true;
	}
	if (sf->type == SCAP_FD_FILE)
		f->type = SCAP_FD_FILE;
}

static void add_fds(struct state *s, uint64_t tid, const struct scap_fd *fds, size_t n)
{
	struct thread *t = state_thread(s, (int64_t)tid);
	struct sbuf *b = &s->tmp;

	if (!t)
		return;
	for (size_t i = 0; i < n; i++) {
		struct fdinfo f;
		const struct scap_fd *sf = &fds[i];

		fd_from_scap(&f, sf);
		sbuf_reset(b);
		switch (sf->type) {
		case SCAP_FD_IPV4_SOCK:
			state_fmt_ipv4_tuple(b, sf->sip, sf->sport, sf->dip, sf->dport);
			break;
		case SCAP_FD_IPV6_SOCK:
			if (state_ipv4_mapped(sf->sip) && state_ipv4_mapped(sf->dip))
				state_fmt_ipv4_tuple(b, sf->sip + 12, sf->sport, sf->dip + 12, sf->dport);
			else
				state_fmt_ipv6_tuple(b, sf->sip, sf->sport, sf->dip, sf->dport);
			break;
		case SCAP_FD_IPV4_SERVSOCK:
			state_fmt_ipv4_addr(b, sf->sip, sf->sport);
			break;
		case SCAP_FD_IPV6_SERVSOCK:
			state_fmt_ipv6_addr(b, sf->sip, sf->sport);
			break;
		default:
			sbuf_puts(b, sf->name);
			break;
		}
		fd_add(t->fds, sf->fd, &f, sbuf_cstr(b), 0);
	}
}

static void fd_to_scap(struct scap_fd *sf, int64_t fd, const struct fdinfo *f)
{
	memset(sf, 0, sizeof(*sf));
	sf->fd = fd;
	sf->type = f->type;
	sf->ino = f->ino;
	sf->open_flags = f->open_flags;
	sf->dev = f->dev;
	sf->has_dev = true;
	sf->l4proto = f->l4proto;
	memcpy(sf->sip, f->sip, 16);
	memcpy(sf->dip, f->dip, 16);
	sf->sport = f->sport;
	sf->dport = f->dport;
	sf->name = f->name ? f->name : "";
}

static void thread_to_scap(struct scap_proc *p, const struct thread *t)
{
	memset(p, 0, sizeof(*p));
	p->tid = (uint64_t)t->tid;
	p->pid = (uint64_t)t->pid;
	p->ptid = (uint64_t)t->ptid;
	p->sid = (uint64_t)t->sid;
	p->vpgid = (uint64_t)t->vpgid;
	p->comm = t->comm ? t->comm : "";
	p->exe = t->exe ? t->exe : "";
	p->exepath = t->exepath ? t->exepath : "";
	p->cwd = t->cwd ? t->cwd : "";
	p->root = t->root ? t->root : "";
	p->args = t->args;
	p->args_len = t->args_len;
	p->env = t->env;
	p->env_len = t->env_len;
	p->cgroups = t->cgroups;
	p->cgroups_len = t->cgroups_len;
	p->fdlimit = t->fdlimit;
	p->flags = t->flags;
	p->uid = t->uid;
	p->gid = t->gid;
	p->vtid = t->vtid;
	p->vpid = t->vpid;
	p->vmsize_kb = t->vmsize_kb;
	p->vmrss_kb = t->vmrss_kb;
	p->vmswap_kb = t->vmswap_kb;
	p->pfmajor = t->pfmajor;
	p->pfminor = t->pfminor;
	p->exe_writable = t->exe_writable;
	p->loginuid = t->loginuid;
}

void state_snapshot(struct state *s, struct state_snapshot *out)
{
	size_t n = 0;

	out->procs = xcalloc(s->threads.len + 1, sizeof(*out->procs));
	out->fds = xcalloc(s->threads.len + 1, sizeof(struct scap_fd *));
	out->nfds = xcalloc(s->threads.len + 1, sizeof(*out->nfds));
	for (size_t i = 0; i < s->threads.cap; i++) {
		struct thread *t = s->threads.slots[i].val;
		const struct fdtable *ft;
		size_t k = 0;

		if (!t || t->fake)
			continue;
		thread_to_scap(&out->procs[n], t);
		/* a thread using its process's table has none of its own to list */
		ft = thread_fds(s, t) == t->fds ? t->fds : NULL;
		if (ft && ft->map.len) {
			out->fds[n] = xcalloc(ft->map.len, sizeof(struct scap_fd));
			for (size_t j = 0; j < ft->map.cap; j++)
				if (ft->map.slots[j].val)
					fd_to_scap(&out->fds[n][k++], ft->map.slots[j].key,
					           ft->map.slots[j].val);
		}
		out->nfds[n++] = k;
	}
	out->n = n;
}

void state_snapshot_free(struct state_snapshot *snap)
{
	for (size_t i = 0; i < snap->n; i++)
		free(snap->fds[i]);
	free(snap->fds);
	free(snap->nfds);
	free(snap->procs);
	memset(snap, 0, sizeof(*snap));
}

static void remove_thread(struct state *s, int64_t tid)
{
	struct thread *t = i64map_del(&s->threads, tid);

	s->last_thread = NULL;
	s->gen++;
	thread_free(t);
}

void state_add_procs(struct state *s, const struct scap_proc *procs, struct scap_fd *const *fds,
                     const size_t *nfds, size_t n)
{
	struct scap_record rec;

	memset(&rec, 0, sizeof(rec));
	rec.kind = SCAP_REC_PROCS;
	rec.procs = (struct scap_proc *)(uintptr_t)procs; /* only read */
	rec.nprocs = n;
	state_add_record(s, &rec);
	for (size_t i = 0; i < n; i++) {
		if (!nfds[i])
			continue;
		memset(&rec, 0, sizeof(rec));
		rec.kind = SCAP_REC_FDS;
		rec.fds_tid = procs[i].tid;
		rec.fds = fds[i];
		rec.nfds = nfds[i];
		state_add_record(s, &rec);
	}
}

void state_add_record(struct state *s, const struct scap_record *rec)
{
	/* a thread that exited before this metadata goes now, not after the
	 * next section's process list has described it again */
	if (s->tid_to_remove >= 0) {
		remove_thread(s, s->tid_to_remove);
		s->tid_to_remove = -1;
	}
	switch (rec->kind) {
	case SCAP_REC_PROCS:
		add_procs(s, rec->procs, rec->nprocs);
		break;
	case SCAP_REC_FDS:
		add_fds(s, rec->fds_tid, rec->fds, rec->nfds);
		break;
	case SCAP_REC_IFACES:
		for (size_t i = 0; i < rec->nifaces; i++) {
			uint8_t *a;

			s->ifaddrs = xrealloc(s->ifaddrs, (s->nifaddrs + 1) * sizeof(*s->ifaddrs));
			a = s->ifaddrs[s->nifaddrs++];
			a[0] = rec->ifaces[i].type == 1 || rec->ifaces[i].type == 3 ? 4 : 16;
			memcpy(a + 1, rec->ifaces[i].addr, 16);
		}
		break;
	case SCAP_REC_USERS:
		for (size_t i = 0; i < rec->nusers; i++) {
			struct state_user *u = xmalloc(sizeof(*u)), *old;

			u->name = dupz(rec->users[i].name);
			u->homedir = dupz(rec->users[i].homedir ? rec->users[i].homedir : "");
			u->shell = dupz(rec->users[i].shell ? rec->users[i].shell : "");
			old = i64map_put(&s->users, rec->users[i].uid, u);
			if (old) {
				free(old->name);
				free(old->homedir);
				free(old->shell);
				free(old);
			}
		}
		for (size_t i = 0; i < rec->ngroups; i++)
			free(i64map_put(&s->groups, rec->groups[i].gid, dupz(rec->groups[i].name)));
		break;
	default:
		break;
	}
}

/* ---- event parsers ---- */

/* The stored enter event of t if it is `type`, parsed into ev. */
static bool enter_event(struct thread *t, uint16_t type, struct event *ev)
{
	if (!t->enter || !t->last_valid || load_u16(t->enter + 20) != type)
		return false;
	return event_parse(ev, t->enter, t->enter_len, 2, NULL) == 0;
}

bool state_enter_ts(const struct thread *t, uint16_t type, uint64_t *ts)
{
	if (t->last_type != type)
		return false;
	*ts = t->last_enter_ts;
	return true;
}

static void store_enter(struct thread *t, const struct event *ev)
{
	if (ev->version != 2)
		return; /* v1 events are re-read through their own header below */
	if (t->enter_cap < ev->raw_len) {
		t->enter_cap = ev->raw_len;
		t->enter = xrealloc(t->enter, t->enter_cap);
	}
	memcpy(t->enter, ev->raw, ev->raw_len);
	t->enter_len = ev->raw_len;
}

static void store_enter_any(struct thread *t, const struct event *ev)
{
	if (ev->version == 2) {
		store_enter(t, ev);
		return;
	}
	/* convert a v1 enter to the v2 layout so enter_event() can parse it */
	if (t->enter_cap < ev->len) {
		t->enter_cap = ev->len;
		t->enter = xrealloc(t->enter, t->enter_cap);
	}
	memcpy(t->enter, ev->raw, EVENT_HDR_V1);
	memcpy(t->enter + 16, &ev->len, 4);
	memcpy(t->enter + 22, &ev->nparams, 4);
	memcpy(t->enter + EVENT_HDR_V2, ev->raw + EVENT_HDR_V1, ev->raw_len - EVENT_HDR_V1);
	t->enter_len = ev->len;
}

static const char *param_path(const struct event *ev, uint32_t i)
{
	return event_str(ev, i, NULL);
}

/* Directory a *at() path is relative to: cwd for AT_FDCWD, else the dir fd's path. */
static const char *base_dir(struct state *s, struct thread *t, int64_t dirfd)
{
	struct fdinfo *d;

	if (dirfd == EVENT_AT_FDCWD)
		return thread_cwd(s, t);
	d = get_fd(s, t, dirfd);
	if (!d)
		return "";
	sbuf_reset(&s->tmp2);
	sbuf_puts(&s->tmp2, d->name);
	sbuf_putc(&s->tmp2, '/');
	return sbuf_cstr(&s->tmp2);
}

static void parse_open_exit(struct state *s, struct evctx *cx)
{
	const struct event *ev = cx->ev;
	struct thread *t = cx->thread;
	struct event en;
	int64_t fd = event_int(ev, 0, -1);
	const char *name = NULL;
	uint32_t flags = 0, dev = 0;
	int64_t dirfd = EVENT_AT_FDCWD;
	struct fdinfo f;
	bool have_enter;

	have_enter = enter_event(t, ev->type - 1, &en);
	switch (ev->type) {
	case PPME_SYSCALL_OPEN_X:  /* open: fd, name, flags, mode, dev */
	case PPME_SYSCALL_CREAT_X: /* creat: fd, name, mode, dev */
		if (ev->nvals > 1) {
			name = param_path(ev, 1);
			flags = ev->type == PPME_SYSCALL_OPEN_X ? (uint32_t)event_uint(ev, 2, 0) : 0;
			dev = (uint32_t)event_uint(ev, ev->type == PPME_SYSCALL_OPEN_X ? 4 : 3, 0);
		} else if (have_enter) {
			name = param_path(&en, 0);
			flags = ev->type == PPME_SYSCALL_OPEN_X ? (uint32_t)event_uint(&en, 1, 0) : 0;
		}
		if (ev->type == PPME_SYSCALL_CREAT_X)
			flags = 0x4 | 0x2 | 0x100; /* O_CREAT|O_WRONLY|O_TRUNC */
		break;
	case PPME_SYSCALL_OPENAT_2_X: /* openat: fd, dirfd, name, flags, mode, dev */
	case PPME_SYSCALL_OPENAT2_X:  /* openat2: fd, dirfd, name, flags, mode, resolve */
		if (ev->nvals > 2) {
			dirfd = event_int(ev, 1, EVENT_AT_FDCWD);
			name = param_path(ev, 2);
			flags = (uint32_t)event_uint(ev, 3, 0);
			dev = ev->type == PPME_SYSCALL_OPENAT_2_X ? (uint32_t)event_uint(ev, 5, 0) : 0;
		} else if (have_enter) {
			dirfd = event_int(&en, 0, EVENT_AT_FDCWD);
			name = param_path(&en, 1);
			flags = (uint32_t)event_uint(&en, 2, 0);
		}
		break;
	case PPME_SYSCALL_OPENAT_X: /* old openat exit: fd only; enter has dirfd, name, flags, mode */
		if (have_enter) {
			dirfd = event_int(&en, 0, EVENT_AT_FDCWD);
			name = param_path(&en, 1);
			flags = (uint32_t)event_uint(&en, 2, 0);
		}
		break;
	default:
		break;
	}
	if (fd < 0 || !name)
		return;
	memset(&f, 0, sizeof(f));
	f.type = (flags & PPM_O_DIRECTORY) ? SCAP_FD_DIRECTORY : SCAP_FD_FILE_V2;
	f.open_flags = flags;
	f.dev = dev;
	state_concat_path(&s->tmp, base_dir(s, t, dirfd), name);
	cx->fdinfo = fd_add(thread_fds(s, t), fd, &f, sbuf_cstr(&s->tmp), s->num);
	t->last_fd = fd;
}

static void add_simple_fd(struct state *s, struct evctx *cx, int64_t fd, uint8_t type, const char *name)
{
	struct fdinfo f;

	if (fd < 0)
		return;
	memset(&f, 0, sizeof(f));
	f.type = type;
	cx->fdinfo = fd_add(thread_fds(s, cx->thread), fd, &f, name, s->num);
	cx->thread->last_fd = fd;
}

static void parse_socket_exit(struct state *s, struct evctx *cx)
{
	struct event en;
	int64_t fd = event_int(cx->ev, 0, -1);
	uint32_t domain, type, proto;
	struct fdinfo f;

	if (fd < 0 || !enter_event(cx->thread, PPME_SOCKET_SOCKET_E, &en))
		return;
	domain = (uint32_t)event_uint(&en, 0, 0);
	type = (uint32_t)event_uint(&en, 1, 0);
	proto = (uint32_t)event_uint(&en, 2, 0);
	memset(&f, 0, sizeof(f));
	switch (domain) {
	case 1:
		f.type = SCAP_FD_UNIX_SOCK;
		break;
	case 2:
	case 10:
		f.type = domain == 2 ? SCAP_FD_IPV4_SOCK : SCAP_FD_IPV6_SOCK;
		f.v6 = domain == 10;
		if (proto == 6)
			f.l4proto = SCAP_L4_TCP;
		else if (proto == 17)
			f.l4proto = SCAP_L4_UDP;
		else if (proto == 1)
			f.l4proto = SCAP_L4_ICMP;
		else if (proto == 0 && (type & 0xff) == 1)
			f.l4proto = SCAP_L4_TCP;
		else if (proto == 0 && (type & 0xff) == 2)
			f.l4proto = SCAP_L4_UDP;
		if ((type & 0xff) == 3)
			f.l4proto = SCAP_L4_RAW;
		break;
	case 16:
		f.type = SCAP_FD_NETLINK;
		break;
	default:
		f.type = SCAP_FD_UNSUPPORTED;
		break;
	}
	cx->fdinfo = fd_add(thread_fds(s, cx->thread), fd, &f, "", s->num);
	cx->thread->last_fd = fd;
}

/* Make f an IPv4 socket with this address pair; its name goes to b. */
static void set_ipv4_tuple(struct fdinfo *f, const uint8_t *sip, uint16_t sport, const uint8_t *dip,
                           uint16_t dport, struct sbuf *b)
{
	f->type = SCAP_FD_IPV4_SOCK;
	f->v6 = false;
	memcpy(f->sip, sip, 4);
	memcpy(f->dip, dip, 4);
	f->sport = sport;
	f->dport = dport;
	state_fmt_ipv4_tuple(b, f->sip, f->sport, f->dip, f->dport);
}

/* Apply a SOCKTUPLE to a socket fd; returns true if it was understood. */
static bool apply_tuple(struct state *s, struct fdinfo *f, const uint8_t *p, uint32_t n, uint8_t role)
{
	struct sbuf *b = &s->tmp;

	if (n < 1)
		return false;
	sbuf_reset(b);
	if (p[0] == 2 && n == 13) {
		set_ipv4_tuple(f, p + 1, load_u16(p + 5), p + 7, load_u16(p + 11), b);
	} else if (p[0] == 10 && n == 37) {
		if (state_ipv4_mapped(p + 1) && state_ipv4_mapped(p + 19)) {
			set_ipv4_tuple(f, p + 13, load_u16(p + 17), p + 31, load_u16(p + 35), b);
		} else {
			f->type = SCAP_FD_IPV6_SOCK;
			f->v6 = true;
			memcpy(f->sip, p + 1, 16);
			f->sport = load_u16(p + 17);
			memcpy(f->dip, p + 19, 16);
			f->dport = load_u16(p + 35);
			state_fmt_ipv6_tuple(b, f->sip, f->sport, f->dip, f->dport);
		}
	} else if (p[0] == 1 && n >= 17) {
		f->type = SCAP_FD_UNIX_SOCK;
		sbuf_put(b, p + 17, strnlen((const char *)p + 17, n - 17));
	} else {
		return false;
	}
	if (role)
		f->role = role;
	fd_set_name(f, b->data, b->len, s->num);
	return true;
}

/* sysdig names a unix socket after the path it connects to, at the enter. */
static void parse_connect_enter(struct state *s, struct evctx *cx)
{
	const struct event *ev = cx->ev;
	struct fdinfo *f;

	if (!event_has(ev, 1) || ev->vlen[1] < 2 || ev->val[1][0] != 1 || ev->vlen[0] != 8)
		return;
	f = get_fd(s, cx->thread, event_int(ev, 0, -1));
	if (f && f->type == SCAP_FD_UNIX_SOCK)
		fd_set_name(f, (const char *)ev->val[1] + 1,
		            strnlen((const char *)ev->val[1] + 1, ev->vlen[1] - 1), s->num);
}

static void parse_connect_exit(struct state *s, struct evctx *cx)
{
	const struct event *ev = cx->ev;
	int64_t res = event_int(ev, 0, 0);
	struct fdinfo *f = get_fd(s, cx->thread, cx->thread->last_fd);

	if (!f || (res < 0 && res != -115) || !event_has(ev, 1) || f->connected)
		return;
	if (apply_tuple(s, f, ev->val[1], ev->vlen[1], STATE_ROLE_CLIENT))
		f->connected = true;
}

static void parse_accept_exit(struct state *s, struct evctx *cx)
{
	const struct event *ev = cx->ev;
	int64_t fd = event_int(ev, 0, -1);
	struct fdinfo f, *nf;

	if (fd < 0 || !event_has(ev, 1))
		return;
	memset(&f, 0, sizeof(f));
	f.l4proto = SCAP_L4_TCP;
	nf = fd_add(thread_fds(s, cx->thread), fd, &f, "", s->num);
	if (!apply_tuple(s, nf, ev->val[1], ev->vlen[1], STATE_ROLE_SERVER))
		nf->type = SCAP_FD_UNSUPPORTED;
	nf->role = STATE_ROLE_SERVER;
	nf->connected = true; /* an accepted socket is connected, as sysdig marks it */
	cx->fdinfo = nf;
	cx->thread->last_fd = fd;
}

static void parse_bind_exit(struct state *s, struct evctx *cx)
{
	const struct event *ev = cx->ev;
	struct fdinfo *f = get_fd(s, cx->thread, cx->thread->last_fd);
	const uint8_t *p;
	struct sbuf *b = &s->tmp;

	if (!f || event_int(ev, 0, -1) < 0 || !event_has(ev, 1) || ev->vlen[1] < 1)
		return;
	p = ev->val[1];
	sbuf_reset(b);
	if (p[0] == 2 && ev->vlen[1] == 7) {
		uint16_t port = load_u16(p + 5);

		state_fmt_ipv4_addr(b, p + 1, port);
		if (port > 0) {
			f->type = SCAP_FD_IPV4_SERVSOCK;
			memcpy(f->sip, p + 1, 4);
			f->sport = port;
		}
	} else if (p[0] == 10 && ev->vlen[1] == 19) {
		uint16_t port = load_u16(p + 17);

		state_fmt_ipv6_addr(b, p + 1, port);
		if (port > 0) {
			f->type = SCAP_FD_IPV6_SERVSOCK;
			memcpy(f->sip, p + 1, 16);
			f->sport = port;
		}
	} else if (p[0] == 1) {
		sbuf_put(b, p + 1, strnlen((const char *)p + 1, ev->vlen[1] - 1));
	} else {
		return;
	}
	fd_set_name(f, b->data, b->len, s->num);
}

/* sendto/sendmsg enter or recvfrom/recvmsg exit carrying a tuple for an unconnected socket. */
static void parse_io_tuple(struct state *s, struct evctx *cx, const struct event *ev, uint32_t i,
                           bool outbound)
{
	struct fdinfo *f = get_fd(s, cx->thread, cx->thread->last_fd);

	if (!f || !event_has(ev, i) || ev->vlen[i] == 0)
		return;
	if (f->type != SCAP_FD_IPV4_SOCK && f->type != SCAP_FD_IPV6_SOCK)
		return;
	if (f->role != STATE_ROLE_NONE)
		return;
	if (ev->vlen[i] == 37 && ev->val[i][0] == 10) {
		static const uint8_t zero[16];
		uint8_t t[37];

		memcpy(t, ev->val[i], 37);
		if (outbound && !memcmp(t + 1, zero, 16))
			memcpy(t + 1, t + 19, 16);
		f->addressed = apply_tuple(s, f, t, 37, outbound ? STATE_ROLE_CLIENT : STATE_ROLE_SERVER);
		return;
	}
	f->addressed =
	        apply_tuple(s, f, ev->val[i], ev->vlen[i], outbound ? STATE_ROLE_CLIENT : STATE_ROLE_SERVER);
}

/* The fd leaves the table now but stays readable until the next event, as the
 * closing event itself still describes it (fd.name of "< close"). */
static void parse_close_exit(struct state *s, struct evctx *cx)
{
	if (event_int(cx->ev, 0, -1) < 0)
		return;
	s->closed_fd = i64map_del(&thread_fds(s, cx->thread)->map, cx->thread->last_fd);
}

static void dup_fd(struct state *s, struct evctx *cx, int64_t from, int64_t to)
{
	struct fdinfo *f = get_fd(s, cx->thread, from);

	if (!f || to < 0 || from == to)
		return;
	cx->fdinfo = fd_add(thread_fds(s, cx->thread), to, f, f->name, s->num);
}

static void parse_pipe_exit(struct state *s, struct evctx *cx)
{
	const struct event *ev = cx->ev;
	struct fdinfo f;

	if (event_int(ev, 0, -1) < 0)
		return;
	memset(&f, 0, sizeof(f));
	f.type = SCAP_FD_FIFO;
	f.ino = event_uint(ev, 3, 0);
	fd_add(thread_fds(s, cx->thread), event_int(ev, 1, -1), &f, "", s->num);
	cx->fdinfo = fd_add(thread_fds(s, cx->thread), event_int(ev, 2, -1), &f, "", s->num);
	cx->thread->last_fd = event_int(ev, 2, -1);
}

static void parse_socketpair_exit(struct state *s, struct evctx *cx)
{
	const struct event *ev = cx->ev;
	struct fdinfo f;

	if (event_int(ev, 0, -1) < 0)
		return;
	memset(&f, 0, sizeof(f));
	f.type = SCAP_FD_UNIX_SOCK;
	fd_add(thread_fds(s, cx->thread), event_int(ev, 1, -1), &f, "", s->num);
	cx->fdinfo = fd_add(thread_fds(s, cx->thread), event_int(ev, 2, -1), &f, "", s->num);
	cx->thread->last_fd = event_int(ev, 2, -1);
}

/* The index of parameter k in ev's version of its event, or -1. */
static int param_index(const struct event *ev, enum pkey k)
{
	return ev->type < EVENT_MAX ? param_idx[ev->type][k] : -1;
}

/* Parameter k of ev as an integer, or dflt when this version lacks it. */
static int64_t named_int(const struct event *ev, enum pkey k, int64_t dflt)
{
	int i = param_index(ev, k);

	return i < 0 ? dflt : event_int(ev, (uint32_t)i, dflt);
}

#define PPM_EXE_WRITABLE 1 /* execve exit's flags */

/* One counter of the event; dflt when it has none. */
static uint64_t stat_val(const struct event *ev, enum pkey k, uint64_t dflt)
{
	return (uint64_t)named_int(ev, k, (int64_t)dflt);
}

/* Memory counters an exit carries (clone, execve, brk, mmap, switch...). */
static void thread_set_mem(struct thread *t, const struct event *ev)
{
	t->vmsize_kb = (uint32_t)stat_val(ev, P_VM_SIZE, t->vmsize_kb);
	t->vmrss_kb = (uint32_t)stat_val(ev, P_VM_RSS, t->vmrss_kb);
	t->vmswap_kb = (uint32_t)stat_val(ev, P_VM_SWAP, t->vmswap_kb);
}

static void thread_set_faults(struct thread *t, const struct event *ev)
{
	t->pfmajor = stat_val(ev, P_PGFT_MAJ, t->pfmajor);
	t->pfminor = stat_val(ev, P_PGFT_MIN, t->pfminor);
}

static void thread_set_stats(struct thread *t, const struct event *ev)
{
	thread_set_mem(t, ev);
	thread_set_faults(t, ev);
}

/* A NUL-separated list parameter ("" when absent). */
static const char *list_param(const struct event *ev, enum pkey k, uint32_t *len)
{
	int i = param_index(ev, k);

	if (i < 0 || !event_has(ev, (uint32_t)i)) {
		*len = 0;
		return "";
	}
	*len = ev->vlen[i];
	return (const char *)ev->val[i];
}

static void parse_clone_exit(struct state *s, struct evctx *cx)
{
	const struct event *ev = cx->ev;
	int64_t res = event_int(ev, 0, -1);
	struct thread *parent, *child;
	int64_t child_tid;
	uint32_t flags, n;
	const char *str;
	int comm = param_index(ev, P_COMM);

	if (res < 0)
		return;
	flags = (uint32_t)named_int(ev, P_FLAGS, 0);
	if (res == 0) {
		/* in the child: the parent's exit normally created us already */
		child_tid = ev->tid;
		if (cx->thread && !cx->thread->fake)
			return;
		parent = state_thread(s, event_int(ev, 5, -1));
	} else {
		child_tid = res;
		if (child_tid == ev->tid)
			return; /* not a real clone: replacing the caller would free cx->thread */
		parent = cx->thread;
		child = state_thread(s, child_tid);
		if (child && (child->flags & CL_CLONE_INVERTED))
			return;
	}
	child = thread_alloc(s, child_tid);
	child->flags = flags | (res == 0 ? CL_CLONE_INVERTED : 0);
	if (res == 0) {
		child->pid = event_int(ev, 4, child_tid);
		child->ptid = event_int(ev, 5, -1);
	} else if (flags & CL_CLONE_THREAD) {
		child->pid = event_int(ev, 4, -1);
		child->ptid = ev->tid; /* sysdig: a thread's parent is the thread that made it */
	} else {
		child->pid = child_tid;
		child->ptid = ev->tid;
	}
	child->exe = dupz(event_str(ev, 1, ""));
	set_comm(child, comm >= 0 ? event_str(ev, (uint32_t)comm, "") : child->exe);
	str = list_param(ev, P_ARGS, &n);
	thread_set_list(&child->args, &child->args_len, str, n);
	if (parent && (flags & CL_CLONE_THREAD)) {
		child->cwd = dupz(thread_cwd(s, parent));
	} else {
		/*
		 * The event's cwd joined to the parent's, as sysdig does: a driver
		 * that leaves it empty (ours) lets the child inherit the parent's.
		 */
		state_concat_path(&s->tmp, parent ? thread_cwd(s, parent) : "", event_str(ev, 6, ""));
		if (!s->tmp.len || s->tmp.data[s->tmp.len - 1] != '/')
			sbuf_putc(&s->tmp, '/');
		child->cwd = xmalloc(s->tmp.len + 1);
		memcpy(child->cwd, s->tmp.data, s->tmp.len);
		child->cwd[s->tmp.len] = 0;
	}
	child->fdlimit = event_int(ev, 7, 0);
	str = list_param(ev, P_CGROUPS, &n);
	thread_set_cgroups(child, str, n, parent);
	if (parent) {
		child->exepath = dupz(parent->exepath);
		child->root = dupz(parent->root);
		thread_set_list(&child->env, &child->env_len, parent->env, parent->env_len);
		child->loginuid = parent->loginuid;
		child->sid = parent->sid;
		child->vpgid = parent->vpgid;
		if (!(flags & CL_CLONE_THREAD)) {
			fdtable_free(child->fds);
			child->fds = fdtable_copy(thread_fds(s, parent));
		}
	} else {
		child->exepath = dupz("");
		child->root = dupz("");
		child->env = dupz("");
		child->loginuid = UINT32_MAX;
	}
	child->uid = (uint32_t)named_int(ev, P_UID, parent ? parent->uid : 0);
	child->gid = (uint32_t)named_int(ev, P_GID, parent ? parent->gid : 0);
	/* the caller's exit names the caller's namespace ids, not the child's */
	child->vtid = res == 0 ? named_int(ev, P_VTID, child_tid) : child_tid;
	child->vpid = res == 0 ? named_int(ev, P_VPID, child->pid) : child->pid;
	thread_set_stats(child, ev);
	if (flags & CL_CLONE_THREAD) /* the exit's memory counters are the process's */
		child->vmsize_kb = child->vmrss_kb = child->vmswap_kb = 0;
	child->clone_ts = ev->ts;
	if (parent)
		child->tty = parent->tty;
	put_thread(s, child);
	if (res == 0)
		cx->thread = child;
}

static void parse_execve_exit(struct state *s, struct evctx *cx)
{
	const struct event *ev = cx->ev;
	struct thread *t = cx->thread;
	struct event en;
	uint32_t n;
	const char *str;
	int comm = param_index(ev, P_COMM);

	if (event_int(ev, 0, -1) < 0)
		return;
	str = event_str(ev, 1, "");
	set_str(&t->exe, str, strlen(str));
	str = list_param(ev, P_ARGS, &n);
	thread_set_list(&t->args, &t->args_len, str, n);
	t->pid = event_int(ev, 4, t->pid);
	t->ptid = event_int(ev, 5, t->ptid);
	t->fdlimit = event_int(ev, 7, t->fdlimit);
	if (comm >= 0 && event_has(ev, (uint32_t)comm)) {
		str = event_str(ev, (uint32_t)comm, "");
	} else {
		const char *slash;

		str = event_str(ev, 1, "");
		slash = strrchr(str, '/');
		str = slash ? slash + 1 : str;
	}
	set_comm(t, str);
	if (param_index(ev, P_CGROUPS) >= 0) {
		str = list_param(ev, P_CGROUPS, &n);
		thread_set_cgroups(t, str, n, t);
	}
	if (param_index(ev, P_ENV) >= 0) {
		str = list_param(ev, P_ENV, &n);
		thread_set_list(&t->env, &t->env_len, str, n);
	}
	t->vpgid = named_int(ev, P_PGID, t->vpgid);
	t->loginuid = (uint32_t)named_int(ev, P_LOGINUID, (int32_t)t->loginuid);
	t->tty = (uint32_t)named_int(ev, P_TTY, t->tty);
	thread_set_stats(t, ev);
	if (param_index(ev, P_FLAGS) >= 0)
		t->exe_writable = named_int(ev, P_FLAGS, 0) & PPM_EXE_WRITABLE;
	/* exepath comes from the enter's filename, resolved against cwd */
	if ((enter_event(t, PPME_SYSCALL_EXECVE_19_E, &en) ||
	     enter_event(t, PPME_SYSCALL_EXECVE_18_E, &en)) &&
	    event_str(&en, 0, NULL)) {
		state_concat_path(&s->tmp, thread_cwd(s, t), event_str(&en, 0, ""));
		set_str(&t->exepath, s->tmp.data, s->tmp.len);
	} else if (enter_event(t, PPME_SYSCALL_EXECVEAT_E, &en) && event_str(&en, 1, NULL)) {
		state_concat_path(&s->tmp, base_dir(s, t, event_int(&en, 0, EVENT_AT_FDCWD)),
		                  event_str(&en, 1, ""));
		set_str(&t->exepath, s->tmp.data, s->tmp.len);
	}
	t->flags |= CL_NAME_CHANGED;
	t->fake = false;
}

static void parse_chdir_exit(struct state *s, struct evctx *cx)
{
	const struct event *ev = cx->ev;
	struct thread *m = state_main_thread(s, cx->thread);
	const char *path = event_str(ev, 1, NULL);
	size_t l;

	if (event_int(ev, 0, -1) < 0 || !path)
		return;
	state_concat_path(&s->tmp, m->cwd, path);
	l = s->tmp.len;
	if (!l || s->tmp.data[l - 1] != '/')
		sbuf_putc(&s->tmp, '/');
	set_str(&m->cwd, s->tmp.data, s->tmp.len);
}

static void parse_fchdir_exit(struct state *s, struct evctx *cx)
{
	struct thread *m = state_main_thread(s, cx->thread);
	struct fdinfo *f = get_fd(s, cx->thread, cx->thread->last_fd);

	if (event_int(cx->ev, 0, -1) < 0 || !f)
		return;
	sbuf_reset(&s->tmp);
	sbuf_puts(&s->tmp, f->name);
	if (!s->tmp.len || s->tmp.data[s->tmp.len - 1] != '/')
		sbuf_putc(&s->tmp, '/');
	set_str(&m->cwd, s->tmp.data, s->tmp.len);
}

/* sysdig's container type names, by its CT_* number. */
static const char *container_type_name(json_t *type)
{
	static const char *const names[] = { "docker", "lxc",    "libvirt-lxc", "mesos",
		                             "rkt",    "custom", "cri",         "containerd",
		                             "cri-o",  "bpm",    "static",      "podman" };
	json_int_t t;

	if (!json_is_integer(type))
		return "";
	t = json_integer_value(type);
	return t >= 0 && t < (json_int_t)ARRAY_SIZE(names) ? names[t] : "";
}

static char *json_text(json_t *o, const char *key)
{
	return dupz(json_is_string(json_object_get(o, key)) ? json_string_value(json_object_get(o, key))
	                                                    : "");
}

static void container_mounts(struct container *k, json_t *arr)
{
	size_t i;
	json_t *m;

	k->mounts = NULL;
	k->nmounts = 0;
	if (!json_is_array(arr))
		return;
	k->mounts = xcalloc(json_array_size(arr) + 1, sizeof(*k->mounts));
	json_array_foreach(arr, i, m)
	{
		struct container_mount *cm = &k->mounts[k->nmounts++];

		cm->source = json_text(m, "Source");
		cm->dest = json_text(m, "Destination");
		cm->mode = json_text(m, "Mode");
		cm->propagation = json_text(m, "Propagation");
		cm->rdwr = json_is_true(json_object_get(m, "RW"));
	}
}

/* Add the container an event describes; returns its id (valid until the next event) or NULL. */
static const char *parse_container(struct state *s, const struct event *ev)
{
	const char *id = NULL;
	const char *js = event_str(ev, 0, NULL);
	json_t *root, *c;
	json_error_t jerr;
	struct container k;

	if (!js)
		return NULL;
	root = json_loads(js, 0, &jerr);
	if (!root)
		return NULL;
	c = json_object_get(root, "container");
	if (json_is_object(c) && json_is_string(json_object_get(c, "id"))) {
		k.id = dupz(json_string_value(json_object_get(c, "id")));
		k.name = dupz(json_string_value(json_object_get(c, "name")));
		k.image = dupz(json_string_value(json_object_get(c, "image")));
		k.type = dupz(container_type_name(json_object_get(c, "type")));
		k.image_id = dupz(json_string_value(json_object_get(c, "imageid")));
		k.image_repo = dupz(json_string_value(json_object_get(c, "imagerepo")));
		k.image_tag = dupz(json_string_value(json_object_get(c, "imagetag")));
		k.image_digest = dupz(json_string_value(json_object_get(c, "imagedigest")));
		k.privileged = json_is_boolean(json_object_get(c, "privileged"))
		                       ? json_is_true(json_object_get(c, "privileged"))
		                       : -1;
		container_mounts(&k, json_object_get(c, "Mounts"));
		s->containers = xrealloc(s->containers, (s->ncontainers + 1) * sizeof(*s->containers));
		s->containers[s->ncontainers++] = k;
		id = k.id;
	}
	json_decref(root);
	return id;
}

static void parse_setid_exit(struct state *s, struct evctx *cx, bool gid)
{
	struct event en;
	struct thread *t = cx->thread;

	(void)s;
	if (event_int(cx->ev, 0, -1) < 0 || !enter_event(t, cx->ev->type - 1, &en))
		return;
	if (gid)
		t->gid = (uint32_t)event_uint(&en, 0, t->gid);
	else
		t->uid = (uint32_t)event_uint(&en, 0, t->uid);
}

static void parse_setresid_exit(struct state *s, struct evctx *cx, bool gid)
{
	struct event en;
	struct thread *t = cx->thread;
	uint32_t eid;

	(void)s;
	if (event_int(cx->ev, 0, -1) < 0 || !enter_event(t, cx->ev->type - 1, &en))
		return;
	eid = (uint32_t)event_uint(&en, 1, UINT32_MAX);
	if (eid == UINT32_MAX)
		return;
	if (gid)
		t->gid = eid;
	else
		t->uid = eid;
}

/* Enter events whose parameters an exit parser reads later. */

/*
 * sysdig hides internal events, state-only events, and container metadata
 * that comes before any other event (as a writer puts it after the process
 * list); a container event later in the stream is shown.
 */
static void event_shown(struct state *s, const struct event *ev, struct evctx *cx)
{
	cx->head = false;
	if (event_kind[ev->type] & K_CONTAINER) {
		cx->shown = s->seen_event;
		cx->head = !s->seen_event;
		return;
	}
	s->seen_event = true;
	cx->shown = !(event_kind[ev->type] & K_INTERNAL) && !(ev->dump_flags & EVENT_DF_STATE_ONLY);
}

/* The times evt.reltime and evt.deltatime are taken from. */
static void stamp(struct state *s, const struct event *ev, struct evctx *cx)
{
	if (!s->first_ts && !(event_kind[ev->type] & K_CONTAINER)) /* sysdig reads those at open */
		s->first_ts = ev->ts;
	cx->first_ts = s->first_ts;
	cx->prev_ts = s->shown_ts;
	if (cx->shown)
		s->shown_ts = ev->ts;
}

void state_count(struct state *s, const struct event *ev, struct evctx *cx)
{
	cx->ev = ev;
	cx->num = ++s->num;
	cx->thread = NULL;
	cx->fdinfo = NULL;
	cx->fd = -1;
	cx->has_fd = false;
	event_shown(s, ev, cx);
	stamp(s, ev, cx);
}

void state_process(struct state *s, const struct event *ev, struct evctx *cx)
{
	const struct event_info *info = event_info_get(ev->type);
	uint32_t eflags = info->flags;
	struct thread *t;
	uint16_t type = ev->type;

	cx->ev = ev;
	cx->num = ++s->num;
	cx->fdinfo = NULL;
	cx->fd = -1;
	cx->has_fd = event_has_fd(type);
	event_shown(s, ev, cx);
	stamp(s, ev, cx);

	if (s->closed_fd) {
		fdinfo_free(&s->fdpool, s->closed_fd);
		s->closed_fd = NULL;
	}
	if (s->tid_to_remove >= 0) {
		remove_thread(s, s->tid_to_remove);
		s->tid_to_remove = -1;
	}

	if (event_kind[type] & K_CONTAINER) {
		const char *id = parse_container(s, ev);

		cx->thread = NULL;
		if (cx->shown && id) { /* shown as thread -1 named after the container */
			cx->thread = state_thread(s, ev->tid);
			if (!cx->thread)
				cx->thread = fake_thread(s, ev->tid);
			sbuf_reset(&s->tmp);
			sbuf_printf(&s->tmp, "container:%s", id);
			set_comm(cx->thread, sbuf_cstr(&s->tmp));
		}
		return;
	}
	if (eflags & EF_SKIPPARSERESET) {
		/* not applied, but shown with their thread (procinfo, notification) */
		cx->thread = state_thread(s, ev->tid);
		return;
	}
	t = state_thread(s, ev->tid);
	if (!t) {
		bool no_query = is_clone_exit(type) || type == PPME_SCHEDSWITCH_6_E ||
		                type == PPME_PROCEXIT_1_E || type == PPME_PROCEXIT_E;

		t = no_query ? NULL : fake_thread(s, ev->tid);
	}
	cx->thread = t;
	if (!t) {
		if (is_clone_exit(type))
			parse_clone_exit(s, cx);
		return;
	}
	if (event_kind[type] & K_VMSTATS) {
		/* memory is the process's: sysdig keeps it on the main thread; faults are the thread's */
		thread_set_mem(state_main_thread(s, t), ev);
		thread_set_faults(t, ev);
	}
	if (type == PPME_SCHEDSWITCH_6_E)
		return; /* a context switch leaves the thread's syscall state alone */

	if (!event_is_exit(type)) {
		t->last_fd = -1;
		t->last_type = type;
		t->last_enter_ts = ev->ts;
		t->latency = 0;
		t->last_valid = false;
		if ((eflags & EF_USES_FD) && event_has(ev, 0)) {
			t->last_fd = event_int(ev, 0, -1);
			cx->fdinfo = state_fd(s, t, t->last_fd);
		}
		if (event_kind[type] & K_STORES_ENTER) {
			store_enter_any(t, ev);
			t->last_valid = true;
		}
	} else {
		bool match = type == t->last_type + 1 ||
		             ((type == PPME_SYSCALL_EXECVE_19_X || type == PPME_SYSCALL_EXECVE_18_X) &&
		              t->last_type == PPME_SYSCALL_EXECVEAT_E);

		t->last_valid = t->last_valid && match;
		t->latency = type == t->last_type + 1 && ev->ts >= t->last_enter_ts
		                     ? ev->ts - t->last_enter_ts
		                     : 0;

		if (eflags & EF_USES_FD) {
			if (type == PPME_SYSCALL_COPY_FILE_RANGE_X)
				t->last_fd = event_int(ev, 1, -1);
			cx->fdinfo = state_fd(s, t, t->last_fd);
		}
	}

	switch (type) {
	case PPME_SYSCALL_OPEN_X:
	case PPME_SYSCALL_CREAT_X:
	case PPME_SYSCALL_OPENAT_X:
	case PPME_SYSCALL_OPENAT_2_X:
	case PPME_SYSCALL_OPENAT2_X:
		if (t->last_valid || ev->nvals > 1)
			parse_open_exit(s, cx);
		break;
	case PPME_SOCKET_SOCKET_X:
		if (t->last_valid)
			parse_socket_exit(s, cx);
		break;
	case PPME_SOCKET_BIND_X:
		parse_bind_exit(s, cx);
		break;
	case PPME_SOCKET_CONNECT_E:
		parse_connect_enter(s, cx);
		break;
	case PPME_SOCKET_CONNECT_X:
		parse_connect_exit(s, cx);
		break;
	case PPME_SOCKET_SOCKETPAIR_X:
		parse_socketpair_exit(s, cx);
		break;
	case PPME_SOCKET_ACCEPT_X:
	case PPME_SOCKET_ACCEPT4_X:
	case PPME_SOCKET_ACCEPT_5_X:
	case PPME_SOCKET_ACCEPT4_5_X: /* accept, accept4, all versions */
		parse_accept_exit(s, cx);
		break;
	case PPME_SOCKET_SENDTO_X:
	case PPME_SOCKET_SENDMSG_X: {
		struct event en;

		if (enter_event(t, type - 1, &en))
			parse_io_tuple(s, cx, &en, 2, true);
		break;
	}
	case PPME_SOCKET_RECVFROM_X:
		parse_io_tuple(s, cx, ev, 2, false);
		break;
	case PPME_SOCKET_RECVMSG_X:
		parse_io_tuple(s, cx, ev, 3, false);
		break;
	case PPME_SYSCALL_CLOSE_X:
		parse_close_exit(s, cx);
		break;
	case PPME_SYSCALL_DUP_X:
		dup_fd(s, cx, t->last_fd, event_int(ev, 0, -1));
		break;
	case PPME_SYSCALL_FCNTL_X: {
		struct event en;

		if (enter_event(t, PPME_SYSCALL_FCNTL_E, &en)) {
			uint64_t cmd = event_uint(&en, 1, 0);

			if (cmd == PPM_FCNTL_F_DUPFD || cmd == PPM_FCNTL_F_DUPFD_CLOEXEC)
				dup_fd(s, cx, t->last_fd, event_int(ev, 0, -1));
		}
		break;
	}
	case PPME_SYSCALL_PIPE_X:
		parse_pipe_exit(s, cx);
		break;
	case PPME_SYSCALL_EVENTFD_X:
		add_simple_fd(s, cx, event_int(ev, 0, -1), SCAP_FD_EVENT, "");
		break;
	case PPME_SYSCALL_SIGNALFD_X:
		add_simple_fd(s, cx, event_int(ev, 0, -1), SCAP_FD_SIGNALFD, "");
		break;
	case PPME_SYSCALL_TIMERFD_CREATE_X:
		add_simple_fd(s, cx, event_int(ev, 0, -1), SCAP_FD_TIMERFD, "");
		break;
	case PPME_SYSCALL_INOTIFY_INIT_X:
		add_simple_fd(s, cx, event_int(ev, 0, -1), SCAP_FD_INOTIFY, "");
		break;
	case PPME_SYSCALL_CHDIR_X:
		parse_chdir_exit(s, cx);
		break;
	case PPME_SYSCALL_FCHDIR_X:
		parse_fchdir_exit(s, cx);
		break;
	case PPME_SYSCALL_SETUID_X:
		parse_setid_exit(s, cx, false);
		break;
	case PPME_SYSCALL_SETGID_X:
		parse_setid_exit(s, cx, true);
		break;
	case PPME_SYSCALL_SETRESUID_X:
		parse_setresid_exit(s, cx, false);
		break;
	case PPME_SYSCALL_SETRESGID_X:
		parse_setresid_exit(s, cx, true);
		break;
	case PPME_PROCEXIT_1_E:
	case PPME_PROCEXIT_E:
		s->tid_to_remove = ev->tid;
		break;
	default:
		if (event_kind[type] & K_CLONE_EXIT)
			parse_clone_exit(s, cx);
		else if (event_kind[type] & K_EXECVE_EXIT)
			parse_execve_exit(s, cx);
		break;
	}
	t = cx->thread; /* a child's clone exit replaces a fake thread: t may be freed */
	if (event_is_exit(type))
		t->last_valid = false;
	/* fd fields exist for events that create, use or destroy an fd */
	if (cx->has_fd) {
		cx->fd = t->last_fd;
		if (!cx->fdinfo && cx->fd != -1)
			cx->fdinfo = state_fd(s, t, cx->fd);
	}
}
