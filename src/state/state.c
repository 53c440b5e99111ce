/* state: the state object, its lookups, and the per-event dispatcher. */
#include "state_int.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

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

static const char *const pkey_names[P_N] = {
	[P_VM_SIZE] = "vm_size",   [P_VM_RSS] = "vm_rss", [P_VM_SWAP] = "vm_swap", [P_PGFT_MAJ] = "pgft_maj",
	[P_PGFT_MIN] = "pgft_min", [P_ARGS] = "args",     [P_CGROUPS] = "cgroups", [P_COMM] = "comm",
	[P_ENV] = "env",           [P_FLAGS] = "flags",   [P_GID] = "gid",         [P_LOGINUID] = "loginuid",
	[P_PGID] = "pgid",         [P_TTY] = "tty",       [P_UID] = "uid",         [P_VPID] = "vpid",
	[P_VTID] = "vtid",
};
int8_t state_param_idx[EVENT_MAX][P_N];

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
			state_param_idx[i][k] = (int8_t)event_param_index((uint32_t)i, pkey_names[k]);
		if (state_param_idx[i][P_VM_SIZE] >= 0 && !(event_kind[i] & (K_CLONE_EXIT | K_EXECVE_EXIT)))
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
		state_thread_free(s->threads.slots[i].val);
	i64map_release(&s->threads);
	free_users(&s->users);
	free_names(&s->groups);
	for (size_t i = 0; i < s->ncontainers; i++)
		state_container_free(&s->containers[i]);
	free(s->containers);
	state_fdinfo_free(&s->fdpool, s->closed_fd);
	state_fdpool_release(&s->fdpool);
	free(s->ifaddrs);
	free(s->server_ports);
	sbuf_release(&s->tmp);
	sbuf_release(&s->tmp2);
	free(s);
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

const char *state_group_name(struct state *s, uint32_t gid)
{
	return i64map_get(&s->groups, gid);
}

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
	cx->fdinfo = cx->evt_fdinfo = NULL;
	cx->fd = -1;
	cx->has_fd = false;
	cx->judged = cx->rejected = false;
	event_shown(s, ev, cx);
	stamp(s, ev, cx);
}

/* A container event: the container table, and a thread to show the event with. */
static void apply_container(struct state *s, const struct event *ev, struct evctx *cx)
{
	const char *id = state_parse_container(s, ev);

	cx->thread = NULL;
	if (cx->shown && id) {
		/* shown, and its fields read, as sysdig's thread of a container:
		 * thread and process -1 (-2 in their namespace), parent 0, named
		 * after the container, in it, user, login user and group 0 */
		struct thread *t = state_thread(s, ev->tid);

		if (!t)
			t = state_fake_thread(s, ev->tid);
		sbuf_reset(&s->tmp);
		sbuf_printf(&s->tmp, "container:%s", id);
		state_set_comm(t, sbuf_cstr(&s->tmp));
		free(t->container_id);
		t->container_id = state_dupz(id);
		free(t->exe);
		t->exe = state_dupz("");
		t->pid = -1;
		t->ptid = 0;
		t->vtid = t->vpid = -2;
		t->uid = t->gid = t->loginuid = 0;
		cx->thread = t;
	}
}

/*
 * t's syscall in flight: an enter starts it (its fd, its stored parameters),
 * an exit is matched to it (validity, latency, fd).
 */
static void track_syscall(struct state *s, struct thread *t, uint32_t eflags, struct evctx *cx)
{
	const struct event *ev = cx->ev;
	uint16_t type = ev->type;

	if (!event_is_exit(type)) {
		t->last_fd = -1;
		t->last_type = t->enter_type = type;
		t->last_enter_ts = ev->ts;
		t->latency = 0;
		t->last_valid = false;
		if ((eflags & EF_USES_FD) && event_has(ev, 0)) {
			t->last_fd = event_int(ev, 0, -1);
			cx->fdinfo = state_fd(s, t, t->last_fd);
		}
		if (event_kind[type] & K_STORES_ENTER) {
			state_store_enter_any(t, ev);
			t->last_valid = true;
		}
	} else {
		bool match = type == t->last_type + 1 ||
		             ((type == PPME_SYSCALL_EXECVE_19_X || type == PPME_SYSCALL_EXECVE_18_X) &&
		              t->last_type == PPME_SYSCALL_EXECVEAT_E);

		t->last_valid = t->last_valid && match;
		t->latency = type == t->enter_type + 1 && ev->ts >= t->last_enter_ts
		                     ? ev->ts - t->last_enter_ts
		                     : 0;

		/* as sysdig's parser: an exit that does not follow its enter finds no fd
		 * for the parsers (the fields still read the thread's last fd, below) */
		if ((eflags & EF_USES_FD) && match) {
			if (type == PPME_SYSCALL_COPY_FILE_RANGE_X)
				t->last_fd = event_int(ev, 1, -1);
			cx->fdinfo = state_fd(s, t, t->last_fd);
		}
		/* sysdig's filter looks for a tracer behind every write exit: it has an fd then */
		if (s->judge && type == PPME_SYSCALL_WRITE_X && !cx->fdinfo)
			cx->fdinfo = state_fd(s, t, t->last_fd);
	}
}

/* The parser of an event code: the table's, else clone's or execve's for any of their versions. */
static state_parse_fn parser_for(uint16_t type)
{
	if (state_parsers[type])
		return state_parsers[type];
	if (event_kind[type] & K_CLONE_EXIT)
		return state_parse_clone_exit;
	if (event_kind[type] & K_EXECVE_EXIT)
		return state_parse_execve_exit;
	return NULL;
}

/* The fds the fields read: the event's own (evt_fdinfo), and for fd.* the thread's last fd where it has none.
 */
static void fd_fields(struct state *s, struct thread *t, struct evctx *cx)
{
	cx->evt_fdinfo = cx->fdinfo;
	/* fd fields exist for events that create, use or destroy an fd */
	if (cx->has_fd) {
		cx->fd = t->last_fd;
		if (!cx->fdinfo && cx->fd != -1)
			cx->fdinfo = state_fd(s, t, cx->fd);
	}
}

/*
 * sysdig's inspector filter on an event that changes no state: judged
 * before it is parsed. A rejected one is not parsed, and its thread's
 * syscall in flight is forgotten, so the exit that follows a rejected enter
 * has no fd of its own (evt.buflen and the like have no value there).
 * False when rejected.
 */
static bool judge_before_parse(struct state *s, struct thread *t, struct evctx *cx)
{
	struct fdinfo *own = cx->fdinfo;

	fd_fields(s, t, cx);
	cx->judged = true;
	cx->rejected = !s->judge(s->judge_ctx, cx);
	if (cx->rejected) {
		t->last_type = EVENT_MAX;
		if (event_is_exit(cx->ev->type))
			t->last_valid = false;
		return false;
	}
	cx->fdinfo = own;
	return true;
}

void state_process(struct state *s, const struct event *ev, struct evctx *cx)
{
	const struct event_info *info = event_info_get(ev->type);
	uint32_t eflags = info->flags;
	struct thread *t;
	uint16_t type = ev->type;
	state_parse_fn parse;

	if (!s->sockets_fixed)
		state_fix_head_sockets(s);
	cx->ev = ev;
	cx->num = ++s->num;
	cx->fdinfo = cx->evt_fdinfo = NULL;
	cx->fd = -1;
	cx->has_fd = event_has_fd(type);
	cx->judged = cx->rejected = false;
	event_shown(s, ev, cx);
	stamp(s, ev, cx);

	if (s->closed_fd) {
		state_fdinfo_free(&s->fdpool, s->closed_fd);
		s->closed_fd = NULL;
	}
	if (s->tid_to_remove >= 0) {
		state_remove_thread(s, s->tid_to_remove);
		s->tid_to_remove = -1;
	}

	if (event_kind[type] & K_CONTAINER) {
		apply_container(s, ev, cx);
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

		t = no_query ? NULL : state_fake_thread(s, ev->tid);
	}
	cx->thread = t;
	if (!t) {
		if (is_clone_exit(type))
			state_parse_clone_exit(s, cx);
		return;
	}
	if (event_kind[type] & K_VMSTATS) {
		/* memory is the process's: sysdig keeps it on the main thread; faults are the thread's */
		state_thread_set_mem(state_main_thread(s, t), ev);
		state_thread_set_faults(t, ev);
	}
	if (type == PPME_SCHEDSWITCH_6_E)
		return; /* a context switch leaves the thread's syscall state alone */

	track_syscall(s, t, eflags, cx);
	if (s->judge && !(eflags & EF_MODIFIES_STATE) && !judge_before_parse(s, t, cx))
		return;

	parse = parser_for(type);
	if (parse)
		parse(s, cx);
	t = cx->thread; /* a child's clone exit replaces a fake thread: t may be freed */
	if (event_is_exit(type))
		t->last_valid = false;
	fd_fields(s, t, cx);
	if (s->judge && (eflags & EF_MODIFIES_STATE)) {
		cx->judged = true;
		cx->rejected = !s->judge(s->judge_ctx, cx);
	}
}

void state_set_judge(struct state *s, state_judge_fn fn, void *ctx)
{
	s->judge = fn;
	s->judge_ctx = ctx;
}
