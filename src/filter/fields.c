/* fields: sysdig field extractors, the default line and JSON output. */
#include "fields.h"

#include <errno.h>
#include <jansson.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* ---- resolver: parameters rendered through the state ---- */

struct resolve_ctx {
	struct state *st;
	const struct evctx *cx;
	struct sbuf *tmp;
};

static bool res_fd(void *ctx, int64_t fd, struct sbuf *out)
{
	struct resolve_ctx *c = ctx;
	struct fdinfo *f;
	char tch;

	if (!c->cx->thread)
		return false;
	/* usually the event's own fd, which state_process() already found */
	f = fd == c->cx->fd && c->cx->fdinfo ? c->cx->fdinfo : state_fd(c->st, c->cx->thread, fd);
	if (!f)
		return false;
	tch = state_fd_typechar(f);
	sbuf_putc(out, '<');
	sbuf_putc(out, tch);
	if (f->type == SCAP_FD_IPV4_SOCK || f->type == SCAP_FD_IPV6_SOCK ||
	    f->type == SCAP_FD_IPV4_SERVSOCK || f->type == SCAP_FD_IPV6_SERVSOCK) {
		static const char l4[] = {
			[SCAP_L4_TCP] = 't', [SCAP_L4_UDP] = 'u', [SCAP_L4_ICMP] = 'i', [SCAP_L4_RAW] = 'r'
		};
		uint8_t p = state_fd_l4proto(f);

		if (p < sizeof(l4) && l4[p])
			sbuf_putc(out, l4[p]);
	}
	sbuf_putc(out, '>');
	sbuf_put(out, f->name, f->name_len);
	return true;
}

static const char *res_comm(void *ctx, int64_t tid)
{
	struct resolve_ctx *c = ctx;
	struct thread *t = state_thread(c->st, tid);

	return t ? t->comm : NULL;
}

static const char *res_base_dir(void *ctx, int64_t dirfd)
{
	struct resolve_ctx *c = ctx;
	struct thread *t = c->cx->thread;
	struct fdinfo *f;

	if (!t)
		return NULL;
	if (dirfd == EVENT_AT_FDCWD)
		return state_main_thread(c->st, t)->cwd;
	f = state_fd(c->st, t, dirfd);
	if (!f)
		return "";
	sbuf_reset(c->tmp);
	sbuf_puts(c->tmp, f->name);
	sbuf_putc(c->tmp, '/');
	return sbuf_cstr(c->tmp);
}

static void res_join(void *ctx, const char *dir, const char *path, struct sbuf *out)
{
	struct sbuf *tmp = sbuf_scratch(SCRATCH_JOIN);

	(void)ctx;
	state_concat_path(tmp, dir, path);
	sbuf_put(out, tmp->data, tmp->len);
}

static const char *res_user(void *ctx, uint32_t uid)
{
	struct resolve_ctx *c = ctx;

	return state_user_name(c->st, uid);
}

static const char *res_group(void *ctx, uint32_t gid)
{
	struct resolve_ctx *c = ctx;

	return state_group_name(c->st, gid);
}

static __thread struct resolve_ctx g_rctx;

void filter_resolver(struct state *st, const struct evctx *cx, struct event_resolver *r)
{
	g_rctx.st = st;
	g_rctx.cx = cx;
	g_rctx.tmp = sbuf_scratch(SCRATCH_RESOLVE);
	r->ctx = &g_rctx;
	r->fd = res_fd;
	r->comm = res_comm;
	r->base_dir = res_base_dir;
	r->join_path = res_join;
	r->user = res_user;
	r->group = res_group;
	r->buf_cap = EVENT_MAX_BUF_OUTPUT;
}

/* ---- time ---- */

struct time_cache {
	int64_t sec;
	char hms[16];
};

static void put_time(struct sbuf *out, uint64_t ts, struct time_cache *tc)
{
	int64_t sec = (int64_t)(ts / 1000000000ULL);
	uint32_t ns = (uint32_t)(ts % 1000000000ULL);

	if (sec != tc->sec) {
		time_t t = (time_t)sec;
		struct tm tm;

		localtime_r(&t, &tm);
		strftime(tc->hms, sizeof(tc->hms), "%H:%M:%S", &tm);
		tc->sec = sec;
	}
	sbuf_put(out, tc->hms, 8);
	sbuf_putc(out, '.');
	sbuf_u64_padded(out, ns, 9);
}

/* ---- fields ---- */

struct fctx {
	struct state *st;
	const struct evctx *cx;
	struct time_cache *tc;
	const char *arg; /* for evt.arg.NAME */
	bool json;
};

/* An extractor appends the value and returns true, or returns false when missing. */
typedef bool (*extract_fn)(const struct fctx *f, struct sbuf *out);

static struct thread *thr(const struct fctx *f)
{
	return f->cx->thread;
}

static bool x_evt_num(const struct fctx *f, struct sbuf *o)
{
	sbuf_u64(o, f->cx->num);
	return true;
}

/* Times are text, except in JSON where sysdig gives ns since the epoch. */
static bool x_evt_time(const struct fctx *f, struct sbuf *o)
{
	if (f->json)
		sbuf_u64(o, f->cx->ev->ts);
	else
		put_time(o, f->cx->ev->ts, f->tc);
	return true;
}

static bool x_evt_datetime(const struct fctx *f, struct sbuf *o)
{
	time_t t = (time_t)(f->cx->ev->ts / 1000000000ULL);
	struct tm tm;
	char tmp[32];

	localtime_r(&t, &tm);
	strftime(tmp, sizeof(tmp), "%Y-%m-%d ", &tm);
	sbuf_puts(o, tmp);
	return x_evt_time(f, o);
}

static bool x_evt_rawtime(const struct fctx *f, struct sbuf *o)
{
	sbuf_u64(o, f->cx->ev->ts);
	return true;
}

static bool x_evt_outputtime(const struct fctx *f, struct sbuf *o)
{
	return x_evt_time(f, o);
}

static bool x_evt_cpu(const struct fctx *f, struct sbuf *o)
{
	sbuf_u64(o, f->cx->ev->cpu);
	return true;
}

static bool x_evt_dir(const struct fctx *f, struct sbuf *o)
{
	sbuf_putc(o, event_is_exit(f->cx->ev->type) ? '<' : '>');
	return true;
}

/* Lengths of the event and syscall names, computed once (output_new()). */
static uint8_t event_name_lens[EVENT_MAX];
static uint8_t syscall_name_lens[EVENT_SYSCALL_MAX];

static void name_lengths_once(void)
{
	for (int i = 0; i < EVENT_MAX; i++)
		event_name_lens[i] = (uint8_t)strlen(event_table[i].name);
	for (int i = 0; i < EVENT_SYSCALL_MAX; i++)
		syscall_name_lens[i] = (uint8_t)strlen(event_syscalls[i].name);
}

static pthread_once_t names_once = PTHREAD_ONCE_INIT;

/* Every entry point that hands out extractors (output_new(), field_find()) calls this first. */
static void fields_init(void)
{
	pthread_once(&names_once, name_lengths_once);
}

static size_t event_name_len(uint16_t type)
{
	return event_name_lens[type];
}

/* The syscall name of a generic event. */
static void put_syscall_name(struct sbuf *out, const struct event *ev)
{
	uint64_t id = event_uint(ev, 0, 0);

	if (id >= EVENT_SYSCALL_MAX) {
		sbuf_puts(out, "<unknown>");
		return;
	}
	sbuf_put(out, event_syscalls[id].name, syscall_name_lens[id]);
}

static bool x_evt_type(const struct fctx *f, struct sbuf *o)
{
	const struct event *ev = f->cx->ev;

	if (ev->type <= 1)
		put_syscall_name(o, ev);
	else
		sbuf_put(o, event_table[ev->type].name, event_name_len(ev->type));
	return true;
}

static bool x_evt_args(const struct fctx *f, struct sbuf *o)
{
	struct event_resolver r;

	filter_resolver(f->st, f->cx, &r);
	if (f->json)
		r.buf_cap = 0;
	event_format_args(f->cx->ev, &r, o);
	return true;
}

/* The syscall's return value: the exit's "res" or "fd" parameter. */
static bool event_res(const struct event *ev, int64_t *res)
{
	int i;

	if (!event_is_exit(ev->type))
		return false;
	i = event_param_index(ev->type, "res");
	if (i < 0)
		i = event_param_index(ev->type, "fd");
	if (i < 0 || !event_has(ev, (uint32_t)i))
		return false;
	*res = event_int(ev, (uint32_t)i, 0);
	return true;
}

static bool x_evt_res(const struct fctx *f, struct sbuf *o)
{
	int64_t res;

	if (!event_res(f->cx->ev, &res))
		return false;
	if (res >= 0)
		sbuf_puts(o, "SUCCESS");
	else if (event_errno_name(res))
		sbuf_puts(o, event_errno_name(res));
	else
		sbuf_i64(o, res);
	return true;
}

static bool x_evt_rawres(const struct fctx *f, struct sbuf *o)
{
	int64_t res;

	if (!event_res(f->cx->ev, &res))
		return false;
	sbuf_i64(o, res);
	return true;
}

static bool x_evt_failed(const struct fctx *f, struct sbuf *o)
{
	int64_t res;

	/* every event has it: false where there is no result (enter events), true for any error */
	sbuf_puts(o, event_res(f->cx->ev, &res) && res < 0 ? "true" : "false");
	return true;
}

static bool x_evt_arg(const struct fctx *f, struct sbuf *o)
{
	const struct event *ev = f->cx->ev;
	int i = f->arg[0] >= '0' && f->arg[0] <= '9' ? atoi(f->arg) : event_param_index(ev->type, f->arg);
	struct event_resolver r;
	struct sbuf *res = sbuf_scratch(SCRATCH_ARG_RES);

	if (i < 0 || !event_has(ev, (uint32_t)i) ||
	    (uint32_t)i >= event_shown_params(ev) + (ev->type <= 1 ? 2 : 0))
		return false;
	filter_resolver(f->st, f->cx, &r);
	res->len = 0;
	{
		size_t start = o->len;

		event_format_param(ev, (uint32_t)i, &r, o, res);
		if (res->len) {
			o->len = start;
			sbuf_put(o, res->data, res->len);
		}
	}
	return true;
}

static bool x_proc_name(const struct fctx *f, struct sbuf *o)
{
	if (!thr(f))
		return false;
	sbuf_put(o, thr(f)->comm, thr(f)->comm_len);
	return true;
}

static bool x_proc_pid(const struct fctx *f, struct sbuf *o)
{
	if (!thr(f))
		return false;
	sbuf_i64(o, thr(f)->pid);
	return true;
}

static bool x_proc_ppid(const struct fctx *f, struct sbuf *o)
{
	struct thread *m;

	if (!thr(f))
		return false;
	m = state_main_thread(f->st, thr(f));
	sbuf_i64(o, m->ptid);
	return true;
}

/* The process N generations up (0: its own), as sysdig walks it: from the main thread, by ptid. */
static struct thread *ancestor(const struct fctx *f)
{
	struct thread *t;
	long n;

	if (!thr(f) || !f->arg)
		return NULL;
	n = strtol(f->arg, NULL, 10);
	t = state_main_thread(f->st, thr(f));
	for (long i = 0; t && i < n; i++)
		t = state_thread(f->st, t->ptid);
	return t;
}

static bool x_proc_aname(const struct fctx *f, struct sbuf *o)
{
	struct thread *t = ancestor(f);

	if (!t)
		return false;
	sbuf_put(o, t->comm, t->comm_len);
	return true;
}

static bool x_proc_apid(const struct fctx *f, struct sbuf *o)
{
	struct thread *t = ancestor(f);

	if (!t)
		return false;
	sbuf_i64(o, t->pid);
	return true;
}

static bool x_proc_exe(const struct fctx *f, struct sbuf *o)
{
	if (!thr(f))
		return false;
	sbuf_puts(o, thr(f)->exe);
	return true;
}

static bool x_proc_exepath(const struct fctx *f, struct sbuf *o)
{
	if (!thr(f))
		return false;
	sbuf_puts(o, thr(f)->exepath);
	return true;
}

static void put_list(struct sbuf *o, const char *p, uint32_t n, char sep)
{
	for (uint32_t i = 0; i < n; i++) {
		if (p[i])
			sbuf_putc(o, p[i]);
		else if (i + 1 < n)
			sbuf_putc(o, sep);
	}
}

static bool x_proc_cmdline(const struct fctx *f, struct sbuf *o)
{
	struct thread *t = thr(f);

	if (!t)
		return false;
	sbuf_puts(o, t->comm);
	if (t->args_len) {
		sbuf_putc(o, ' ');
		put_list(o, t->args, t->args_len, ' ');
	}
	return true;
}

static bool x_proc_args(const struct fctx *f, struct sbuf *o)
{
	if (!thr(f))
		return false;
	put_list(o, thr(f)->args, thr(f)->args_len, ' ');
	return true;
}

static bool x_proc_env(const struct fctx *f, struct sbuf *o)
{
	struct thread *m;

	if (!thr(f))
		return false;
	m = state_main_thread(f->st, thr(f));
	put_list(o, m->env, m->env_len, ' ');
	return true;
}

static bool x_proc_cwd(const struct fctx *f, struct sbuf *o)
{
	if (!thr(f))
		return false;
	sbuf_puts(o, state_main_thread(f->st, thr(f))->cwd);
	return true;
}

static bool x_thread_tid(const struct fctx *f, struct sbuf *o)
{
	sbuf_i64(o, f->cx->ev->tid);
	return true;
}

static bool x_fd_num(const struct fctx *f, struct sbuf *o)
{
	if (!f->cx->has_fd || !thr(f))
		return false;
	sbuf_i64(o, f->cx->fd);
	return true;
}

/* Append parameter i as rendered, its resolved form when there is one. */
static void put_param_resolved(const struct fctx *f, uint32_t i, struct sbuf *o)
{
	struct sbuf *val = sbuf_scratch(SCRATCH_PARAM_VAL), *res = sbuf_scratch(SCRATCH_PARAM_RES);
	struct event_resolver r;

	filter_resolver(f->st, f->cx, &r);
	val->len = res->len = 0;
	event_format_param(f->cx->ev, i, &r, val, res);
	if (res->len)
		sbuf_put(o, res->data, res->len);
	else
		sbuf_put(o, val->data, val->len);
}

/*
 * Without an fd (a failed open or connect), sysdig names the fd from the
 * event itself: the path or the tuple it was about.
 */
static bool fd_name_from_event(const struct fctx *f, struct sbuf *o)
{
	const struct event *ev = f->cx->ev;
	int i;

	if (!event_is_exit(ev->type))
		return false;
	switch (ev->type) {
	case 3:
	case 59: /* open, creat */
		i = 1;
		break;
	case 307:
	case 327: /* openat, openat2 */
		i = 2;
		break;
	case 23: /* connect */
		i = 1;
		break;
	default:
		return true; /* present but empty */
	}
	if (!event_has(ev, (uint32_t)i) || (uint32_t)i >= event_shown_params(ev))
		return true;
	put_param_resolved(f, (uint32_t)i, o);
	return true;
}

static bool x_fd_name(const struct fctx *f, struct sbuf *o)
{
	const struct event *ev = f->cx->ev;

	if (!f->cx->has_fd || !thr(f))
		return false;
	if (!f->cx->fdinfo || (ev->type == 23 && event_int(ev, 0, 0) < 0))
		return fd_name_from_event(f, o);
	sbuf_put(o, f->cx->fdinfo->name, f->cx->fdinfo->name_len);
	return true;
}

static bool fd_is_file(const struct fdinfo *fi)
{
	return fi->type == SCAP_FD_FILE || fi->type == SCAP_FD_FILE_V2;
}

/* sysdig's directory of a path: up to its last '/' (all of it when that ends it), else "/". */
static void put_dirname(struct sbuf *o, const char *name, size_t len)
{
	const char *slash = len ? memrchr(name, '/', len) : NULL;

	if (slash && slash != name)
		sbuf_put(o, name, (size_t)(slash - name) < len - 1 ? (size_t)(slash - name) : len);
	else
		sbuf_putc(o, '/');
}

static bool x_fd_directory(const struct fctx *f, struct sbuf *o)
{
	const struct fdinfo *fi = f->cx->fdinfo;

	if (!f->cx->has_fd || !thr(f))
		return false;
	if (!fi) {
		size_t start = o->len;
		struct sbuf *tmp = sbuf_scratch(SCRATCH_JOIN);

		if (!fd_name_from_event(f, o))
			return false;
		tmp->len = 0;
		sbuf_put(tmp, o->data + start, o->len - start);
		o->len = start;
		put_dirname(o, tmp->data, tmp->len);
		return true;
	}
	if (fi->type == SCAP_FD_DIRECTORY)
		sbuf_put(o, fi->name, fi->name_len);
	else if (fd_is_file(fi))
		put_dirname(o, fi->name, fi->name_len);
	else
		return false;
	return true;
}

static bool x_fd_filename(const struct fctx *f, struct sbuf *o)
{
	const struct fdinfo *fi = f->cx->fdinfo;
	const char *slash;

	if (!f->cx->has_fd || !thr(f) || !fi || !fd_is_file(fi))
		return false;
	slash = fi->name_len ? memrchr(fi->name, '/', fi->name_len) : NULL;
	if (!slash)
		sbuf_putc(o, '/');
	else if ((size_t)(slash - fi->name) < fi->name_len - 1)
		sbuf_put(o, slash + 1, fi->name_len - (size_t)(slash - fi->name) - 1);
	else
		sbuf_put(o, fi->name, fi->name_len);
	return true;
}

static bool x_fd_type(const struct fctx *f, struct sbuf *o)
{
	if (!f->cx->fdinfo)
		return false;
	sbuf_puts(o, state_fd_typename(f->cx->fdinfo));
	return true;
}

/*
 * Without its fd in the table (the enter event of a call that makes one, or an
 * fd never seen), sysdig still gives fd.typechar: the kind of fd the call
 * makes ('4' for any socket), else 'o'.
 */
static char typechar_of_maker(uint16_t type)
{
	static const struct {
		const char *name;
		char c;
	} makers[] = {
		{ "open", 'f' },          { "openat", 'f' },         { "openat2", 'f' },
		{ "creat", 'f' },         { "socket", '4' },         { "accept", '4' },
		{ "accept4", '4' },       { "pipe", 'p' },           { "pipe2", 'p' },
		{ "eventfd", 'e' },       { "eventfd2", 'e' },       { "signalfd", 's' },
		{ "signalfd4", 's' },     { "timerfd_create", 't' }, { "inotify_init", 'i' },
		{ "inotify_init1", 'i' },
	};
	const char *name = event_type_name(type);

	for (size_t i = 0; name && i < ARRAY_SIZE(makers); i++)
		if (!strcmp(name, makers[i].name))
			return makers[i].c;
	return 'o';
}

static bool x_fd_typechar(const struct fctx *f, struct sbuf *o)
{
	if (!f->cx->fdinfo) {
		if (!f->cx->has_fd || !thr(f))
			return false;
		sbuf_putc(o, typechar_of_maker(f->cx->ev->type));
		return true;
	}
	sbuf_putc(o, state_fd_typechar(f->cx->fdinfo));
	return true;
}

static bool x_user_name(const struct fctx *f, struct sbuf *o)
{
	const char *n;

	if (!thr(f))
		return false;
	n = state_user_name(f->st, thr(f)->uid);
	if (!n)
		return false;
	sbuf_puts(o, n);
	return true;
}

static bool x_user_uid(const struct fctx *f, struct sbuf *o)
{
	if (!thr(f))
		return false;
	sbuf_u64(o, thr(f)->uid);
	return true;
}

static bool x_container_id(const struct fctx *f, struct sbuf *o)
{
	if (!thr(f))
		return false;
	sbuf_puts(o, *thr(f)->container_id ? thr(f)->container_id : "host");
	return true;
}

static bool x_container_name(const struct fctx *f, struct sbuf *o)
{
	const struct container *c;

	if (!thr(f))
		return false;
	if (!*thr(f)->container_id) {
		sbuf_puts(o, "host");
		return true;
	}
	c = state_container(f->st, thr(f)->container_id);
	if (!c)
		return false;
	sbuf_puts(o, c->name);
	return true;
}

static bool x_container_image(const struct fctx *f, struct sbuf *o)
{
	const struct container *c;

	if (!thr(f))
		return false;
	c = state_container(f->st, thr(f)->container_id);
	if (!c)
		return false;
	sbuf_puts(o, c->image);
	return true;
}

struct field {
	const char *name;
	enum ftype type;
	bool stateless; /* reads only the event itself, never threads or fds */
	extract_fn fn;
	const char *desc;
};

/* The field table: every lookup (parsing, listing) is derived from it. */
static const struct field fields[] = {
	{ "evt.num", FT_NUM, true, x_evt_num, "event number" },
	{ "evt.time", FT_NUM, true, x_evt_time, "event time, local, with nanoseconds" },
	{ "evt.datetime", FT_STR, true, x_evt_datetime, "event date and time" },
	{ "evt.outputtime", FT_NUM, true, x_evt_outputtime, "event time as printed by default" },
	{ "evt.rawtime", FT_NUM, true, x_evt_rawtime, "event time in ns since the epoch" },
	{ "evt.cpu", FT_NUM, true, x_evt_cpu, "CPU the event happened on" },
	{ "evt.dir", FT_STR, true, x_evt_dir, "> enter, < exit" },
	{ "evt.type", FT_STR, true, x_evt_type, "event or syscall name" },
	{ "evt.args", FT_STR, false, x_evt_args, "all arguments" },
	{ "evt.info", FT_STR, false, x_evt_args, "the arguments, as sysdig shows them" },
	{ "evt.res", FT_STR, true, x_evt_res, "SUCCESS or the error name" },
	{ "evt.rawres", FT_NUM, true, x_evt_rawres, "the return value" },
	{ "evt.failed", FT_STR, true, x_evt_failed, "true for an event whose result is an error" },
	{ "evt.arg", FT_STR, false, x_evt_arg, "one argument, by name: evt.arg.NAME" },
	{ "proc.name", FT_STR, false, x_proc_name, "process name (comm)" },
	{ "proc.pid", FT_NUM, false, x_proc_pid, "process id" },
	{ "proc.ppid", FT_NUM, false, x_proc_ppid, "parent process id" },
	{ "proc.aname", FT_STR, false, x_proc_aname,
	  "ancestor name, N generations up: proc.aname[N] (filters)" },
	{ "proc.apid", FT_NUM, false, x_proc_apid, "ancestor pid, N generations up: proc.apid[N] (filters)" },
	{ "proc.exe", FT_STR, false, x_proc_exe, "argv[0]" },
	{ "proc.exepath", FT_STR, false, x_proc_exepath, "full path of the executable" },
	{ "proc.cmdline", FT_STR, false, x_proc_cmdline, "name and arguments" },
	{ "proc.args", FT_STR, false, x_proc_args, "arguments" },
	{ "proc.env", FT_STR, false, x_proc_env, "environment" },
	{ "proc.cwd", FT_STR, false, x_proc_cwd, "working directory" },
	{ "thread.tid", FT_NUM, true, x_thread_tid, "thread id" },
	{ "fd.num", FT_NUM, false, x_fd_num, "fd number" },
	{ "fd.name", FT_STR, false, x_fd_name, "fd name: path, address pair, ..." },
	{ "fd.type", FT_STR, false, x_fd_type, "file, ipv4, ipv6, unix, pipe, ..." },
	{ "fd.directory", FT_STR, false, x_fd_directory,
	  "the directory of a file fd (a directory fd: itself)" },
	{ "fd.filename", FT_STR, false, x_fd_filename, "the file name of a file fd, without its directory" },
	{ "fd.typechar", FT_STR, false, x_fd_typechar, "fd type as one character" },
	{ "user.name", FT_STR, false, x_user_name, "user name" },
	{ "user.uid", FT_NUM, false, x_user_uid, "user id" },
	{ "container.id", FT_STR, false, x_container_id, "container id, or host" },
	{ "container.name", FT_STR, false, x_container_name, "container name, or host" },
	{ "container.image", FT_STR, false, x_container_image, "container image" },
};

/* ---- compiled formats ---- */

struct piece {
	const struct field *field; /* NULL: literal */
	char *text;                /* literal text, or the full field name */
	size_t text_len;
	char *arg;
};

/* The decimal text of the last event number, incremented in place. */
struct counter_text {
	uint64_t value;
	unsigned len;
	char digits[24];
};

struct output {
	struct state *st;
	struct counter_text num;
	bool needs_state;
	struct piece *pieces;
	size_t n;
	bool all; /* '*': print even when a field is missing */
	bool json;
	bool plain_default;
	struct time_cache tc;
	struct sbuf val;
};

const struct field *field_find(const char *name, size_t len, const char **arg)
{
	fields_init();
	*arg = NULL;
	for (size_t i = 0; i < ARRAY_SIZE(fields); i++) {
		size_t fl = strlen(fields[i].name);

		if (fl == len && strncmp(fields[i].name, name, len) == 0)
			return &fields[i];
		if (fields[i].fn == x_evt_arg && len > fl + 1 && strncmp(name, "evt.arg.", fl + 1) == 0) {
			*arg = name + fl + 1;
			return &fields[i];
		}
	}
	return NULL;
}

static void add_piece(struct output *o, const struct field *f, const char *text, size_t len, const char *arg,
                      size_t arglen)
{
	o->pieces = xrealloc(o->pieces, (o->n + 1) * sizeof(*o->pieces));
	o->pieces[o->n].field = f;
	o->pieces[o->n].text = xstrndup(text, len);
	o->pieces[o->n].text_len = len;
	o->pieces[o->n].arg = arg ? xstrndup(arg, arglen) : NULL;
	o->n++;
}

static bool field_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
	       c == '_';
}

struct output *output_new(struct state *st, const char *format, bool json, struct err *e)
{
	struct output *o = xcalloc(1, sizeof(*o));
	const char *p = format;

	fields_init();
	o->st = st;
	o->json = json;
	o->tc.sec = -1;
	sbuf_init(&o->val, 256);
	if (*p == '*') {
		o->all = true;
		p++;
	}
	while (*p) {
		const char *lit = p;

		while (*p && *p != '%')
			p++;
		if (p > lit)
			add_piece(o, NULL, lit, (size_t)(p - lit), NULL, 0);
		if (*p == '%') {
			const char *name = ++p, *arg;
			const struct field *f;

			while (field_char(*p))
				p++;
			f = field_find(name, (size_t)(p - name), &arg);
			if (!f) {
				err_set(e, -EINVAL,
				        "invalid formatting token %%%.*s (offset %zu of the format)",
				        (int)(p - name), name, (size_t)(name - format));
				output_free(o);
				return NULL;
			}
			add_piece(o, f, name, (size_t)(p - name), arg, arg ? (size_t)(p - arg) : 0);
			o->needs_state |= !f->stateless;
		}
	}
	return o;
}

struct output *output_new_default(struct state *st, bool json)
{
	struct output *o;

	if (json)
		o = output_new(st,
		               "*%evt.num %evt.outputtime %evt.cpu %proc.name %thread.tid %evt.dir %evt.type "
		               "%evt.info",
		               true, NULL);
	else
		o = output_new(st,
		               "*%evt.num %evt.outputtime %evt.cpu %proc.name (%thread.tid) %evt.dir "
		               "%evt.type %evt.info",
		               false, NULL);
	o->plain_default = !json;
	return o;
}

bool output_needs_state(const struct output *o)
{
	return o->needs_state || o->plain_default;
}

void output_free(struct output *o)
{
	if (!o)
		return;
	for (size_t i = 0; i < o->n; i++) {
		free(o->pieces[i].text);
		free(o->pieces[i].arg);
	}
	free(o->pieces);
	sbuf_release(&o->val);
	free(o);
}

static int cmp_keys(const void *a, const void *b)
{
	const struct piece *const *pa = a, *const *pb = b;

	return strcmp((*pa)->text, (*pb)->text);
}

/* Append s as a JSON string literal (escaped by jansson). */
static void put_json_string(struct sbuf *out, const char *s, size_t n)
{
	json_t *j = json_stringn_nocheck(s, n);
	char *enc = j ? json_dumps(j, JSON_ENCODE_ANY) : NULL;

	sbuf_puts(out, enc ? enc : "\"\"");
	free(enc);
	json_decref(j);
}

static bool output_json(struct output *o, const struct evctx *cx, struct sbuf *out)
{
	struct fctx f = { o->st, cx, &o->tc, NULL, true };
	const struct piece *sorted[64] = { 0 };
	size_t n = 0, start = out->len;

	for (size_t i = 0; i < o->n && n < ARRAY_SIZE(sorted); i++) {
		bool dup = false;

		if (!o->pieces[i].field)
			continue;
		for (size_t j = 0; j < n; j++)
			dup |= strcmp(sorted[j]->text, o->pieces[i].text) == 0;
		if (!dup)
			sorted[n++] = &o->pieces[i];
	}
	qsort(sorted, n, sizeof(sorted[0]), cmp_keys); // NOLINT(bugprone-sizeof-expression): sorts pointers
	sbuf_putc(out, '{');
	for (size_t i = 0; i < n; i++) {
		const struct piece *p = sorted[i];
		bool ok;

		f.arg = p->arg;
		o->val.len = 0;
		ok = p->field->fn(&f, &o->val);
		if (!ok && !o->all) {
			out->len = start;
			return false;
		}
		if (i)
			sbuf_putc(out, ',');
		put_json_string(out, p->text, strlen(p->text));
		sbuf_putc(out, ':');
		if (!ok)
			sbuf_puts(out, "null");
		else if (p->field->type == FT_NUM)
			sbuf_put(out, o->val.data, o->val.len);
		else
			put_json_string(out, o->val.data, o->val.len);
	}
	sbuf_puts(out, "}\n");
	return true;
}

/* Append n in decimal; n is usually the previous one plus one. */
static void put_counter(struct sbuf *out, struct counter_text *c, uint64_t n)
{
	if (c->len && n == c->value + 1) {
		int i = (int)c->len - 1;

		while (i >= 0 && c->digits[i] == '9')
			c->digits[i--] = '0';
		if (i >= 0) {
			c->digits[i]++;
		} else {
			memmove(c->digits + 1, c->digits, c->len);
			c->digits[0] = '1';
			c->len++;
		}
	} else {
		struct sbuf tmp = { c->digits, 0, sizeof(c->digits) };

		sbuf_u64(&tmp, n);
		c->len = (unsigned)tmp.len;
	}
	c->value = n;
	sbuf_put(out, c->digits, c->len);
}

/* The default line, written directly: the hot path of `sysrec read`. */
static void default_line(struct output *o, const struct event *ev, uint64_t num, const char *comm,
                         size_t comm_len, const struct event_resolver *r, struct sbuf *out)
{
	put_counter(out, &o->num, num);
	sbuf_putc(out, ' ');
	put_time(out, ev->ts, &o->tc);
	sbuf_putc(out, ' ');
	sbuf_u64(out, ev->cpu);
	sbuf_putc(out, ' ');
	sbuf_put(out, comm, comm_len);
	sbuf_put(out, " (", 2);
	sbuf_i64(out, ev->tid);
	sbuf_put(out, ") ", 2);
	sbuf_putc(out, event_is_exit(ev->type) ? '<' : '>');
	sbuf_putc(out, ' ');
	if (ev->type <= 1)
		put_syscall_name(out, ev);
	else
		sbuf_put(out, event_table[ev->type].name, event_name_len(ev->type));
	sbuf_putc(out, ' ');
	event_format_args(ev, r, out);
	sbuf_putc(out, '\n');
}

static void output_default(struct output *o, const struct evctx *cx, struct sbuf *out)
{
	struct event_resolver r;

	filter_resolver(o->st, cx, &r);
	if (cx->thread)
		default_line(o, cx->ev, cx->num, cx->thread->comm, cx->thread->comm_len, &r, out);
	else
		default_line(o, cx->ev, cx->num, "<NA>", 4, &r, out);
}

/*
 * ---- the default line in two steps ----
 *
 * The memo is a list of answers, each a struct memo_entry followed by len bytes
 * and a NUL: what the resolver said for (kind, key). Entries are looked up by
 * (kind, key), so the formatter may ask in any order.
 */

enum { MEMO_COMM_LINE, MEMO_FD, MEMO_COMM, MEMO_DIR, MEMO_USER, MEMO_GROUP };

struct memo_entry {
	int64_t key;
	uint32_t len;
	uint8_t kind;
	bool found;
};

struct memo_rec {
	struct resolve_ctx *real;
	struct sbuf *memo;
};

static void memo_put(struct sbuf *memo, uint8_t kind, int64_t key, const char *s, size_t len, bool found)
{
	struct memo_entry me = { key, (uint32_t)len, kind, found };

	sbuf_put(memo, &me, sizeof(me));
	sbuf_put(memo, s, len);
	sbuf_putc(memo, '\0');
}

static void memo_put_str(struct sbuf *memo, uint8_t kind, int64_t key, const char *s)
{
	memo_put(memo, kind, key, s ? s : "", s ? strlen(s) : 0, s != NULL);
}

static bool rec_fd(void *ctx, int64_t fd, struct sbuf *out)
{
	struct memo_rec *m = ctx;
	size_t at = m->memo->len;
	struct memo_entry me = { fd, 0, MEMO_FD, false };
	bool found;

	(void)out;
	sbuf_put(m->memo, &me, sizeof(me));
	found = res_fd(m->real, fd, m->memo);
	me.len = (uint32_t)(m->memo->len - at - sizeof(me));
	me.found = found;
	memcpy(m->memo->data + at, &me, sizeof(me));
	sbuf_putc(m->memo, '\0');
	return found;
}

static const char *rec_comm(void *ctx, int64_t tid)
{
	struct memo_rec *m = ctx;

	memo_put_str(m->memo, MEMO_COMM, tid, res_comm(m->real, tid));
	return NULL;
}

static const char *rec_base_dir(void *ctx, int64_t dirfd)
{
	struct memo_rec *m = ctx;

	memo_put_str(m->memo, MEMO_DIR, dirfd, res_base_dir(m->real, dirfd));
	return NULL;
}

static const char *rec_user(void *ctx, uint32_t uid)
{
	struct memo_rec *m = ctx;

	memo_put_str(m->memo, MEMO_USER, uid, res_user(m->real, uid));
	return NULL;
}

static const char *rec_group(void *ctx, uint32_t gid)
{
	struct memo_rec *m = ctx;

	memo_put_str(m->memo, MEMO_GROUP, gid, res_group(m->real, gid));
	return NULL;
}

bool output_splits(const struct output *o)
{
	return o->plain_default;
}

void output_prepare(struct state *st, const struct evctx *cx, struct sbuf *memo)
{
	struct event_resolver real;
	struct memo_rec m = { NULL, memo };
	struct event_resolver rec = { &m, rec_fd, rec_comm, rec_base_dir, res_join, rec_user, rec_group, 0 };

	filter_resolver(st, cx, &real);
	m.real = real.ctx;
	if (cx->thread)
		memo_put(memo, MEMO_COMM_LINE, 0, cx->thread->comm, cx->thread->comm_len, true);
	else
		memo_put(memo, MEMO_COMM_LINE, 0, "<NA>", 4, true);
	event_args_lookups(cx->ev, &rec);
}

struct memo_view {
	const uint8_t *p;
	size_t n;
};

/* The answer for (kind, key): its text, or NULL when absent or not found. */
static const char *memo_get(const struct memo_view *v, uint8_t kind, int64_t key, uint32_t *len)
{
	size_t off = 0;

	while (off + sizeof(struct memo_entry) <= v->n) {
		struct memo_entry me;

		memcpy(&me, v->p + off, sizeof(me));
		if (me.kind == kind && me.key == key) {
			*len = me.len;
			return me.found ? (const char *)v->p + off + sizeof(me) : NULL;
		}
		off += sizeof(me) + me.len + 1;
	}
	return NULL;
}

static bool memo_fd(void *ctx, int64_t fd, struct sbuf *out)
{
	uint32_t len;
	const char *s = memo_get(ctx, MEMO_FD, fd, &len);

	if (s)
		sbuf_put(out, s, len);
	return s != NULL;
}

static const char *memo_str(void *ctx, uint8_t kind, int64_t key)
{
	uint32_t len;

	return memo_get(ctx, kind, key, &len);
}

static const char *memo_comm(void *ctx, int64_t tid)
{
	return memo_str(ctx, MEMO_COMM, tid);
}

static const char *memo_base_dir(void *ctx, int64_t dirfd)
{
	return memo_str(ctx, MEMO_DIR, dirfd);
}

static const char *memo_user(void *ctx, uint32_t uid)
{
	return memo_str(ctx, MEMO_USER, uid);
}

static const char *memo_group(void *ctx, uint32_t gid)
{
	return memo_str(ctx, MEMO_GROUP, gid);
}

void output_render(struct output *o, const struct event *ev, uint64_t num, const void *memo, size_t memo_len,
                   struct sbuf *out)
{
	struct memo_view v = { memo, memo_len };
	struct event_resolver r = { &v,       memo_fd,   memo_comm,  memo_base_dir,
		                    res_join, memo_user, memo_group, EVENT_MAX_BUF_OUTPUT };
	uint32_t comm_len = 0;
	const char *comm = memo_get(&v, MEMO_COMM_LINE, 0, &comm_len);

	default_line(o, ev, num, comm ? comm : "<NA>", comm ? comm_len : 4, &r, out);
}

bool output_event(struct output *o, const struct evctx *cx, struct sbuf *out)
{
	struct fctx f = { o->st, cx, &o->tc, NULL, false };
	size_t start = out->len;

	if (o->plain_default) {
		output_default(o, cx, out);
		return true;
	}
	if (o->json)
		return output_json(o, cx, out);
	for (size_t i = 0; i < o->n; i++) {
		const struct piece *p = &o->pieces[i];

		if (!p->field) {
			sbuf_put(out, p->text, p->text_len);
			continue;
		}
		f.arg = p->arg;
		if (!p->field->fn(&f, out)) {
			if (!o->all) {
				out->len = start;
				return false;
			}
			sbuf_puts(out, "<NA>");
		}
	}
	sbuf_putc(out, '\n');
	return true;
}

/* ---- the table as the filter compiler sees it (fields.h) ---- */

const char *field_name(const struct field *f)
{
	return f->name;
}

enum ftype field_type(const struct field *f)
{
	return f->type;
}

bool field_stateless(const struct field *f)
{
	return f->stateless;
}

enum field_arg field_arg(const struct field *f)
{
	if (f->fn == x_evt_arg)
		return FARG_NAME_OR_INDEX;
	return f->fn == x_proc_aname || f->fn == x_proc_apid ? FARG_INDEX : FARG_NONE;
}

bool field_extract(const struct field *f, struct state *st, const struct evctx *cx, const char *arg,
                   struct sbuf *out)
{
	static __thread struct time_cache tc = { .sec = -1 };
	struct fctx c = { st, cx, &tc, arg, false };

	return f->fn(&c, out);
}

void filter_list_fields(FILE *out)
{
	size_t class_len = 0;

	for (size_t i = 0; i < ARRAY_SIZE(fields); i++) {
		const char *name = fields[i].name, *dot = strchr(name, '.');
		size_t cl = dot ? (size_t)(dot - name) : strlen(name);
		char shown[64];

		if (i == 0 || cl != class_len || strncmp(name, fields[i - 1].name, cl) != 0)
			fprintf(out, "%s%.*s\n", i ? "\n" : "", (int)cl, name);
		class_len = cl;
		snprintf(shown, sizeof(shown), "%s%s", name,
		         field_arg(&fields[i]) == FARG_NAME_OR_INDEX ? ".NAME, evt.arg[N]"
		         : field_arg(&fields[i]) == FARG_INDEX       ? "[N]"
		                                                     : "");
		fprintf(out, "  %-28s %s%s\n", shown, fields[i].type == FT_NUM ? "(number) " : "",
		        fields[i].desc);
	}
}
