/* fields: sysdig field extractors, the default line and JSON output. */
#include "extract.h"

#include <errno.h>
#include <jansson.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* ---- resolver: parameters rendered through the state ---- */

static bool res_fd(void *ctx, int64_t fd, struct sbuf *out)
{
	struct filter_resolve *c = ctx;
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
	struct filter_resolve *c = ctx;
	struct thread *t = state_thread(c->st, tid);

	return t ? t->comm : NULL;
}

static const char *res_base_dir(void *ctx, int64_t dirfd)
{
	struct filter_resolve *c = ctx;
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
	struct filter_resolve *c = ctx;

	return state_user_name(c->st, uid);
}

static const char *res_group(void *ctx, uint32_t gid)
{
	struct filter_resolve *c = ctx;

	return state_group_name(c->st, gid);
}

void filter_resolver(struct state *st, const struct evctx *cx, struct filter_resolve *ctx,
                     struct event_resolver *r)
{
	ctx->st = st;
	ctx->cx = cx;
	ctx->tmp = sbuf_scratch(SCRATCH_RESOLVE);
	r->ctx = ctx;
	r->fd = res_fd;
	r->comm = res_comm;
	r->base_dir = res_base_dir;
	r->join_path = res_join;
	r->user = res_user;
	r->group = res_group;
	r->buf_cap = EVENT_MAX_BUF_OUTPUT;
}

/* ---- time ---- */

void put_time(struct sbuf *out, uint64_t ts, struct time_cache *tc)
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

/* Lengths of the event and syscall names, computed once (fields_init()). */
static uint8_t event_name_lens[EVENT_MAX];
static uint8_t syscall_name_lens[EVENT_SYSCALL_MAX];

#define FIELDS_MAX 256
static uint8_t fields_len[FIELDS_MAX];
static void field_lengths(void);

static void maker_typechars(void);
/* Every byte as a one-character NUL-terminated text. */
static char char_texts[256][2];

static void name_lengths_once(void)
{
	field_lengths();
	maker_typechars();
	for (int c = 0; c < 256; c++)
		char_texts[c][0] = (char)c;
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

	if (ev->type <= PPME_GENERIC_X)
		put_syscall_name(o, ev);
	else
		sbuf_put(o, event_table[ev->type].name, event_name_len(ev->type));
	return true;
}

static bool x_evt_args(const struct fctx *f, struct sbuf *o)
{
	struct filter_resolve rc;
	struct event_resolver r;

	filter_resolver(f->st, f->cx, &rc, &r);
	if (f->json)
		r.buf_cap = 0;
	event_format_args(f->cx->ev, &r, o);
	return true;
}

/* The syscall's return value: the exit's "res" or "fd" parameter. */
bool event_res(const struct event *ev, int64_t *res)
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
	struct filter_resolve rc;
	struct event_resolver r;
	struct sbuf *res = sbuf_scratch(SCRATCH_ARG_RES);

	if (i < 0 || !event_has(ev, (uint32_t)i) ||
	    (uint32_t)i >= event_shown_params(ev) + (ev->type <= PPME_GENERIC_X ? 2 : 0))
		return false;
	filter_resolver(f->st, f->cx, &rc, &r);
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

	if (!thr(f))
		return NULL;
	t = state_main_thread(f->st, thr(f));
	for (int64_t i = 0; t && i < f->argn; i++)
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

void put_list(struct sbuf *o, const char *p, uint32_t n, char sep)
{
	for (uint32_t i = 0; i < n; i++) {
		if (p[i])
			sbuf_putc(o, p[i]);
		else if (i + 1 < n)
			sbuf_putc(o, sep);
	}
}

void put_cmdline(struct sbuf *o, const struct thread *t)
{
	sbuf_put(o, t->comm, t->comm_len);
	if (t->args_len) {
		sbuf_putc(o, ' ');
		put_list(o, t->args, t->args_len, ' ');
	}
}

static bool x_proc_cmdline(const struct fctx *f, struct sbuf *o)
{
	if (!thr(f))
		return false;
	put_cmdline(o, thr(f));
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
void put_param_resolved(const struct fctx *f, uint32_t i, struct sbuf *o)
{
	struct sbuf *val = sbuf_scratch(SCRATCH_PARAM_VAL), *res = sbuf_scratch(SCRATCH_PARAM_RES);
	struct filter_resolve rc;
	struct event_resolver r;

	filter_resolver(f->st, f->cx, &rc, &r);
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
	case PPME_SYSCALL_OPEN_X:
	case PPME_SYSCALL_CREAT_X: /* open, creat */
		i = 1;
		break;
	case PPME_SYSCALL_OPENAT_2_X:
	case PPME_SYSCALL_OPENAT2_X: /* openat, openat2 */
		i = 2;
		break;
	case PPME_SOCKET_CONNECT_X: /* connect */
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

bool x_fd_name(const struct fctx *f, struct sbuf *o)
{
	const struct event *ev = f->cx->ev;

	if (!f->cx->has_fd || !thr(f))
		return false;
	if (!f->cx->fdinfo || (ev->type == PPME_SOCKET_CONNECT_X && event_int(ev, 0, 0) < 0))
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

bool x_fd_directory(const struct fctx *f, struct sbuf *o)
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
/* The typechar of each event code's fd maker, else 'o' (filled by fields_init()). */
static char maker_typechar[EVENT_MAX];

static void maker_typechars(void)
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

	for (int type = 0; type < EVENT_MAX; type++) {
		const char *name = event_type_name((uint16_t)type);

		maker_typechar[type] = 'o';
		for (size_t i = 0; name && i < ARRAY_SIZE(makers); i++)
			if (!strcmp(name, makers[i].name))
				maker_typechar[type] = makers[i].c;
	}
}

static char typechar_of_maker(uint16_t type)
{
	return type < EVENT_MAX ? maker_typechar[type] : 'o';
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
	return thr(f) && put_str(o, state_user_name(f->st, thr(f)->uid));
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

/* ---- views: the hot text fields without a copy (see view_fn) ---- */

static const char *char_text(char c)
{
	return char_texts[(uint8_t)c];
}

static bool view_extracted(const struct fctx *f, extract_fn fn, struct sbuf *scratch, const char **s,
                           size_t *len)
{
	scratch->len = 0;
	if (!fn(f, scratch))
		return false;
	*s = sbuf_cstr(scratch);
	*len = scratch->len;
	return true;
}

static bool v_evt_dir(const struct fctx *f, struct sbuf *scratch, const char **s, size_t *len)
{
	(void)scratch;
	*s = event_is_exit(f->cx->ev->type) ? "<" : ">";
	*len = 1;
	return true;
}

static bool v_evt_type(const struct fctx *f, struct sbuf *scratch, const char **s, size_t *len)
{
	uint16_t type = f->cx->ev->type;

	if (type <= PPME_GENERIC_X)
		return view_extracted(f, x_evt_type, scratch, s, len);
	*s = event_table[type].name;
	*len = event_name_len(type);
	return true;
}

static bool v_proc_name(const struct fctx *f, struct sbuf *scratch, const char **s, size_t *len)
{
	(void)scratch;
	if (!thr(f))
		return false;
	*s = thr(f)->comm;
	*len = thr(f)->comm_len;
	return true;
}

static bool v_fd_name(const struct fctx *f, struct sbuf *scratch, const char **s, size_t *len)
{
	const struct fdinfo *fi = f->cx->fdinfo;

	if (!fi || !f->cx->has_fd || !thr(f) ||
	    f->cx->ev->type == PPME_SOCKET_CONNECT_X) /* connect: see x_fd_name */
		return view_extracted(f, x_fd_name, scratch, s, len);
	*s = fi->name;
	*len = fi->name_len;
	return true;
}

static bool v_fd_typechar(const struct fctx *f, struct sbuf *scratch, const char **s, size_t *len)
{
	(void)scratch;
	if (f->cx->fdinfo)
		*s = char_text(state_fd_typechar(f->cx->fdinfo));
	else if (f->cx->has_fd && thr(f))
		*s = char_text(typechar_of_maker(f->cx->ev->type));
	else
		return false;
	*len = 1;
	return true;
}

static bool v_fd_type(const struct fctx *f, struct sbuf *scratch, const char **s, size_t *len)
{
	if (!f->cx->fdinfo)
		return view_extracted(f, x_fd_type, scratch, s, len);
	*s = state_fd_typename(f->cx->fdinfo);
	*len = strlen(*s);
	return true;
}

/*
 * A field's text without a copy, for the fields filters test most: points at
 * NUL-terminated text in the state or in static storage, or, when the value
 * has to be built, at what the extractor wrote into scratch.
 */
typedef bool (*view_fn)(const struct fctx *f, struct sbuf *scratch, const char **s, size_t *len);

struct field {
	const char *name;
	enum ftype type;
	uint8_t flags; /* FF_* */
	uint8_t arg;   /* enum field_arg */
	extract_fn fn;
	const char *desc;
	view_fn view; /* optional */
};

#define S FF_STATELESS
#define F(name, type, flags, fn, desc)                       \
	{                                                    \
		name, type, flags, FARG_NONE, fn, desc, NULL \
	}
#define FA(name, type, flags, arg, fn, desc)           \
	{                                              \
		name, type, flags, arg, fn, desc, NULL \
	}
#define FV(name, type, flags, fn, view, desc)                \
	{                                                    \
		name, type, flags, FARG_NONE, fn, desc, view \
	}

/* The field table: every lookup (parsing, listing) is derived from it. */
static const struct field fields[] = {
	F("evt.num", FT_NUM, S, x_evt_num, "event number"),
	F("evt.time", FT_NUM, S, x_evt_time, "event time, local, with nanoseconds"),
	F("evt.time.s", FT_STR, S, x_evt_time_s, "event time, local, whole seconds"),
	F("evt.time.iso8601", FT_STR, S, x_evt_time_iso8601, "event time, ISO 8601, UTC"),
	F("evt.datetime", FT_STR, S, x_evt_datetime, "event date and time"),
	F("evt.datetime.s", FT_STR, S, x_evt_datetime_s, "event date and time, whole seconds"),
	F("evt.outputtime", FT_NUM, S, x_evt_outputtime, "event time as printed by default"),
	F("evt.rawtime", FT_NUM, S, x_evt_rawtime, "event time in ns since the epoch"),
	F("evt.rawtime.s", FT_NUM, S, x_evt_rawtime_s, "seconds part of evt.rawtime"),
	F("evt.rawtime.ns", FT_NUM, S, x_evt_rawtime_ns, "nanoseconds part of evt.rawtime"),
	F("evt.reltime", FT_NUM, 0, x_evt_reltime, "ns since the capture's first event"),
	F("evt.reltime.s", FT_NUM, 0, x_evt_reltime_s, "seconds part of evt.reltime"),
	F("evt.reltime.ns", FT_NUM, 0, x_evt_reltime_ns, "nanoseconds part of evt.reltime"),
	F("evt.latency", FT_NUM, 0, x_evt_latency, "an exit's ns since its enter (0 for enters)"),
	F("evt.latency.s", FT_NUM, 0, x_evt_latency_s, "seconds part of evt.latency"),
	F("evt.latency.ns", FT_NUM, 0, x_evt_latency_ns, "nanoseconds part of evt.latency"),
	F("evt.latency.human", FT_STR, 0, x_evt_latency_human, "evt.latency with a unit"),
	F("evt.deltatime", FT_NUM, 0, x_evt_deltatime, "ns since the previous event"),
	F("evt.deltatime.s", FT_NUM, 0, x_evt_deltatime_s, "seconds part of evt.deltatime"),
	F("evt.deltatime.ns", FT_NUM, 0, x_evt_deltatime_ns, "nanoseconds part of evt.deltatime"),
	F("evt.pluginname", FT_STR, S, x_evt_na, "plugin name (no plugin events in syscall captures)"),
	F("evt.plugininfo", FT_STR, S, x_evt_na, "plugin text (no plugin events in syscall captures)"),
	FV("evt.dir", FT_STR, S | FF_BYTYPE, x_evt_dir, v_evt_dir, "> enter, < exit"),
	FV("evt.type", FT_STR, S | FF_BYTYPE | FF_EVENT_NAME, x_evt_type, v_evt_type,
	   "event or syscall name"),
	FA("evt.type.is", FT_NUM, S | FF_FILTER_ONLY, FARG_NAME, x_evt_type_is,
	   "1 when the event is of the type given: evt.type.is.NAME"),
	FA("evt.around", FT_NUM, S | FF_FILTER_ONLY, FARG_TIME, x_evt_na,
	   "evt.around[T]=D: the event is at most D ms from T (ns since the epoch)"),
	F("syscall.type", FT_STR, S, x_syscall_type, "the syscall name, for syscall events"),
	F("evt.category", FT_STR, 0, x_evt_category, "file, net, process, memory, ..."),
	F("evt.cpu", FT_NUM, S, x_evt_cpu, "CPU the event happened on"),
	F("evt.args", FT_STR, 0, x_evt_args, "all arguments"),
	FA("evt.arg", FT_STR, 0, FARG_NAME_OR_INDEX, x_evt_arg, "one argument, by name or position"),
	FA("evt.rawarg", FT_STR, S, FARG_NAME, x_evt_rawarg, "one argument, unformatted: evt.rawarg.NAME"),
	F("evt.info", FT_STR, 0, x_evt_args, "the arguments, as sysdig shows them"),
	F("evt.buffer", FT_STR, S, x_evt_buffer, "the data of an I/O event"),
	F("evt.buflen", FT_NUM, 0, x_evt_buflen, "the length of an I/O event's data"),
	F("evt.res", FT_STR, S, x_evt_res, "SUCCESS or the error name"),
	F("evt.rawres", FT_NUM, S, x_evt_rawres, "the return value"),
	F("evt.failed", FT_STR, S, x_evt_failed, "true for an event whose result is an error"),
	F("evt.is_io", FT_STR, S, x_evt_is_io, "true for events that read or write data"),
	F("evt.is_io_read", FT_STR, S, x_evt_is_io_read, "true for events that read data"),
	F("evt.is_io_write", FT_STR, S, x_evt_is_io_write, "true for events that write data"),
	F("evt.io_dir", FT_STR, S, x_evt_io_dir, "read or write, for I/O events"),
	F("evt.is_wait", FT_STR, S, x_evt_is_wait, "true for events that wait"),
	F("evt.wait_latency", FT_NUM, 0, x_evt_wait_latency, "a waiting exit's ns since its enter"),
	F("evt.is_syslog", FT_STR, 0, x_evt_is_syslog, "true for writes to /dev/log"),
	F("evt.count", FT_NUM, S, x_evt_count, "1 for every event"),
	F("evt.count.error", FT_NUM, 0, x_evt_count_error, "1 for events that failed"),
	F("evt.count.error.file", FT_NUM, 0, x_evt_count_error_file, "1 for failed file events"),
	F("evt.count.error.net", FT_NUM, 0, x_evt_count_error_net, "1 for failed network events"),
	F("evt.count.error.memory", FT_NUM, 0, x_evt_count_error_memory, "1 for failed memory events"),
	F("evt.count.error.other", FT_NUM, 0, x_evt_count_error_other, "1 for other failed events"),
	F("evt.count.exit", FT_NUM, S, x_evt_count_exit, "1 for exit events"),
	F("evt.abspath", FT_STR, 0, x_evt_abspath, "the absolute path of a *at call's path"),
	F("evt.is_open_read", FT_STR, S, x_evt_is_open_read, "true for an open exit for reading"),
	F("evt.is_open_write", FT_STR, S, x_evt_is_open_write, "true for an open exit for writing"),
	F("evt.is_open_exec", FT_STR, S, x_evt_is_open_exec, "true for an open exit creating an executable"),
	F("proc.pid", FT_NUM, 0, x_proc_pid, "process id"),
	F("proc.exe", FT_STR, 0, x_proc_exe, "argv[0]"),
	FV("proc.name", FT_STR, 0, x_proc_name, v_proc_name, "process name (comm)"),
	F("proc.args", FT_STR, 0, x_proc_args, "arguments"),
	F("proc.env", FT_STR, 0, x_proc_env, "environment"),
	F("proc.cmdline", FT_STR, 0, x_proc_cmdline, "name and arguments"),
	F("proc.exeline", FT_STR, 0, x_proc_exeline, "argv[0] and arguments"),
	F("proc.cwd", FT_STR, 0, x_proc_cwd, "working directory"),
	F("proc.nthreads", FT_NUM, 0, x_proc_nthreads, "threads of the process"),
	F("proc.nchilds", FT_NUM, 0, x_proc_nchilds, "child threads of the process"),
	F("proc.ppid", FT_NUM, 0, x_proc_ppid, "parent process id"),
	F("proc.pname", FT_STR, 0, x_proc_pname, "parent's name"),
	F("proc.pcmdline", FT_STR, 0, x_proc_pcmdline, "parent's command line"),
	FA("proc.apid", FT_NUM, FF_ANY, FARG_INDEX, x_proc_apid,
	   "ancestor pid, N generations up: proc.apid[N]; without N a filter tests every ancestor"),
	FA("proc.aname", FT_STR, FF_ANY, FARG_INDEX, x_proc_aname,
	   "ancestor name, N generations up: proc.aname[N]; without N a filter tests every ancestor"),
	F("proc.loginshellid", FT_NUM, 0, x_proc_loginshellid, "pid of the outermost shell above"),
	F("proc.duration", FT_NUM, 0, x_proc_duration, "ns since the process started"),
	F("proc.fdopencount", FT_NUM, 0, x_proc_fdopencount, "open fds of the process"),
	F("proc.fdlimit", FT_NUM, 0, x_proc_fdlimit, "the process's fd limit"),
	F("proc.fdusage", FT_STR, 0, x_proc_fdusage, "open fds as a percentage of the limit"),
	F("proc.vmsize", FT_NUM, 0, x_proc_vmsize, "virtual memory, KiB"),
	F("proc.vmrss", FT_NUM, 0, x_proc_vmrss, "resident memory, KiB"),
	F("proc.vmswap", FT_NUM, 0, x_proc_vmswap, "swapped memory, KiB"),
	F("thread.pfmajor", FT_NUM, 0, x_thread_pfmajor, "major page faults"),
	F("thread.pfminor", FT_NUM, 0, x_thread_pfminor, "minor page faults"),
	F("thread.tid", FT_NUM, S, x_thread_tid, "thread id"),
	F("thread.ismain", FT_STR, 0, x_thread_ismain, "true for the process's main thread"),
	F("thread.cgroups", FT_STR, 0, x_thread_cgroups, "the thread's cgroups"),
	FA("thread.cgroup", FT_STR, 0, FARG_NAME, x_thread_cgroup,
	   "the thread's cgroup of one subsystem: thread.cgroup.SUBSYS"),
	F("thread.vtid", FT_NUM, 0, x_thread_vtid, "thread id in its pid namespace"),
	F("proc.vpid", FT_NUM, 0, x_proc_vpid, "process id in its pid namespace"),
	F("thread.vmsize", FT_NUM, 0, x_thread_vmsize, "virtual memory, KiB, this thread"),
	F("thread.vmrss", FT_NUM, 0, x_thread_vmrss, "resident memory, KiB, this thread"),
	F("thread.exectime", FT_NUM, FF_MEMORY, x_thread_exectime,
	  "on a context switch, ns since the previous switch on its CPU; else 0"),
	F("thread.totexectime", FT_NUM, FF_MEMORY, x_thread_totexectime,
	  "the thread's thread.exectime summed over the switches so far"),
	F("thread.cpu", FT_NUM, FF_MEMORY, x_thread_cpu,
	  "on a procinfo event, the thread's CPU ticks since the previous one (at most 100)"),
	F("thread.cpu.user", FT_NUM, FF_MEMORY, x_thread_cpu_user, "thread.cpu, user time only"),
	F("thread.cpu.system", FT_NUM, FF_MEMORY, x_thread_cpu_system, "thread.cpu, system time only"),
	F("proc.sid", FT_NUM, 0, x_proc_sid, "session id"),
	F("proc.sname", FT_STR, 0, x_proc_sname, "session leader's name"),
	F("proc.tty", FT_NUM, 0, x_proc_tty, "controlling terminal, 0 for none"),
	F("proc.exepath", FT_STR, 0, x_proc_exepath, "full path of the executable"),
	F("proc.vpgid", FT_NUM, 0, x_proc_vpgid, "process group id in its pid namespace"),
	F("proc.is_container_healthcheck", FT_STR, 0, x_false, "always false (no orchestrator data)"),
	F("proc.is_container_liveness_probe", FT_STR, 0, x_false, "always false (no orchestrator data)"),
	F("proc.is_container_readiness_probe", FT_STR, 0, x_false, "always false (no orchestrator data)"),
	F("proc.is_exe_writable", FT_STR, 0, x_proc_is_exe_writable, "true when the executable is writable"),
	F("user.uid", FT_NUM, 0, x_user_uid, "user id"),
	F("user.name", FT_STR, 0, x_user_name, "user name"),
	F("user.homedir", FT_STR, 0, x_user_homedir, "user's home directory"),
	F("user.shell", FT_STR, 0, x_user_shell, "user's shell"),
	F("user.loginuid", FT_NUM, 0, x_user_loginuid, "audit login uid, -1 for none"),
	F("user.loginname", FT_STR, 0, x_user_loginname, "audit login user's name"),
	F("group.gid", FT_NUM, 0, x_group_gid, "group id"),
	F("group.name", FT_STR, 0, x_group_name, "group name"),
	F("container.id", FT_STR, 0, x_container_id, "container id, or host"),
	F("container.name", FT_STR, 0, x_container_name, "container name, or host"),
	F("container.image", FT_STR, 0, x_container_image, "container image"),
	F("container.image.id", FT_STR, 0, x_container_image_id, "container image id"),
	F("container.type", FT_STR, 0, x_container_type, "docker, cri-o, ..., or host"),
	F("container.privileged", FT_STR, 0, x_container_privileged, "true for a privileged container"),
	F("container.mounts", FT_STR, 0, x_container_mounts, "mounts, source:dest:mode:rdwr:propagation"),
	FA("container.mount", FT_STR, 0, FARG_NAME_OR_INDEX, x_container_mount,
	   "one mount, by position or source path"),
	FA("container.mount.source", FT_STR, 0, FARG_NAME_OR_INDEX, x_container_mount_source,
	   "one mount's source, by position or dest path"),
	FA("container.mount.dest", FT_STR, 0, FARG_NAME_OR_INDEX, x_container_mount_dest,
	   "one mount's dest, by position or source path"),
	FA("container.mount.mode", FT_STR, 0, FARG_NAME_OR_INDEX, x_container_mount_mode,
	   "one mount's mode, by position or source path"),
	FA("container.mount.rdwr", FT_STR, 0, FARG_NAME_OR_INDEX, x_container_mount_rdwr,
	   "one mount's rdwr, by position or source path"),
	FA("container.mount.propagation", FT_STR, 0, FARG_NAME_OR_INDEX, x_container_mount_propagation,
	   "one mount's propagation, by position or source path"),
	F("container.image.repository", FT_STR, 0, x_container_image_repository, "image repository"),
	F("container.image.tag", FT_STR, 0, x_container_image_tag, "image tag"),
	F("container.image.digest", FT_STR, 0, x_container_image_digest, "image digest"),
	F("container.healthcheck", FT_STR, 0, x_container_healthcheck, "health check command, or NONE"),
	F("container.liveness_probe", FT_STR, 0, x_container_liveness_probe, "liveness probe, or NONE"),
	F("container.readiness_probe", FT_STR, 0, x_container_readiness_probe, "readiness probe, or NONE"),
	F("fd.num", FT_NUM, FF_FD, x_fd_num, "fd number"),
	FV("fd.type", FT_STR, FF_FD, x_fd_type, v_fd_type, "file, ipv4, ipv6, unix, pipe, ..."),
	FV("fd.typechar", FT_STR, FF_FD, x_fd_typechar, v_fd_typechar, "fd type as one character"),
	FV("fd.name", FT_STR, FF_FD, x_fd_name, v_fd_name, "fd name: path, address pair, ..."),
	F("fd.directory", FT_STR, FF_FD, x_fd_directory,
	  "the directory of a file fd (a directory fd: itself)"),
	F("fd.filename", FT_STR, FF_FD, x_fd_filename, "the file name of a file fd, without its directory"),
	F("fd.ip", FT_IP, FF_FILTER_ONLY | FF_EITHER | FF_FD, x_fd_ip, "client or server address (filters)"),
	F("fd.cip", FT_IP, FF_FD, x_fd_cip, "client address"),
	F("fd.sip", FT_IP, FF_FD, x_fd_sip, "server address"),
	F("fd.lip", FT_IP, FF_FD, x_fd_lip, "local address"),
	F("fd.rip", FT_IP, FF_FD, x_fd_rip, "remote address"),
	F("fd.port", FT_NUM, FF_FILTER_ONLY | FF_EITHER | FF_FD, x_fd_port,
	  "client or server port (filters)"),
	F("fd.cport", FT_NUM, FF_FD, x_fd_cport, "client port"),
	F("fd.sport", FT_NUM, FF_FD, x_fd_sport, "server port"),
	F("fd.lport", FT_NUM, FF_FD, x_fd_lport, "local port"),
	F("fd.rport", FT_NUM, FF_FD, x_fd_rport, "remote port"),
	F("fd.l4proto", FT_STR, FF_FD, x_fd_l4proto, "tcp, udp, icmp or raw"),
	F("fd.sockfamily", FT_STR, FF_FD, x_fd_sockfamily, "ip or unix"),
	F("fd.is_server", FT_STR, FF_FD, x_fd_is_server, "true when the process is the server end"),
	F("fd.uid", FT_STR, FF_FD, x_fd_uid, "thread id and fd number together"),
	F("fd.containername", FT_STR, FF_FD, x_fd_containername, "container id:fd name"),
	F("fd.containerdirectory", FT_STR, FF_FD, x_fd_containerdirectory, "container id:fd directory"),
	F("fd.proto", FT_STR, FF_FILTER_ONLY | FF_EITHER | FF_FD, x_fd_proto,
	  "client or server protocol (filters)"),
	F("fd.cproto", FT_STR, FF_FD, x_fd_cproto, "client protocol (as sysdig 0.29.3: the port)"),
	F("fd.sproto", FT_STR, FF_FD, x_fd_sproto, "server protocol (as sysdig 0.29.3: the port)"),
	F("fd.lproto", FT_STR, FF_FD, x_fd_lproto, "local protocol (as sysdig 0.29.3: the port)"),
	F("fd.rproto", FT_STR, FF_FD, x_fd_rproto, "remote protocol (as sysdig 0.29.3: the port)"),
	F("fd.net", FT_NET, FF_FILTER_ONLY | FF_EITHER | FF_FD, x_fd_ip,
	  "client or server address in a network"),
	F("fd.cnet", FT_NET, FF_FILTER_ONLY | FF_FD, x_fd_cip, "client address in a network (filters)"),
	F("fd.snet", FT_NET, FF_FILTER_ONLY | FF_FD, x_fd_sip, "server address in a network (filters)"),
	F("fd.lnet", FT_NET, FF_FILTER_ONLY | FF_FD, x_fd_lip, "local address in a network (filters)"),
	F("fd.rnet", FT_NET, FF_FILTER_ONLY | FF_FD, x_fd_rip, "remote address in a network (filters)"),
	F("fd.connected", FT_STR, FF_FD, x_fd_connected, "true for a connected socket"),
	F("fd.name_changed", FT_STR, FF_FD, x_fd_name_changed, "true when the event changed the fd's name"),
	F("fd.cip.name", FT_STR, 0, x_evt_na, "client domain name (not in captures: <NA>)"),
	F("fd.sip.name", FT_STR, 0, x_evt_na, "server domain name (not in captures: <NA>)"),
	F("fd.lip.name", FT_STR, 0, x_evt_na, "local domain name (not in captures: <NA>)"),
	F("fd.rip.name", FT_STR, 0, x_evt_na, "remote domain name (not in captures: <NA>)"),
	F("fd.dev", FT_STR, FF_FD, x_fd_dev, "device number of a file fd, hex"),
	F("fd.dev.major", FT_NUM, FF_FD, x_fd_dev_major, "major device number"),
	F("fd.dev.minor", FT_NUM, FF_FD, x_fd_dev_minor, "minor device number"),
	F("fdlist.nums", FT_STR, 0, x_fdlist_nums, "fd numbers of a poll/select call"),
	F("fdlist.names", FT_STR, 0, x_fdlist_names, "fd names of a poll/select call"),
	F("fdlist.cips", FT_STR, 0, x_fdlist_cips, "client addresses of a poll/select call"),
	F("fdlist.sips", FT_STR, 0, x_fdlist_sips, "server addresses of a poll/select call"),
	F("fdlist.cports", FT_STR, 0, x_fdlist_cports, "client ports of a poll/select call"),
	F("fdlist.sports", FT_STR, 0, x_fdlist_sports, "server ports of a poll/select call"),
	F("k8s.pod.name", FT_STR, 0, x_evt_na, "Kubernetes pod name (no orchestrator data: <NA>)"),
	F("k8s.pod.id", FT_STR, 0, x_evt_na, "Kubernetes pod id (no orchestrator data: <NA>)"),
	FA("k8s.pod.label", FT_STR, 0, FARG_NAME, x_evt_na,
	   "one Kubernetes pod label: k8s.pod.label.KEY (<NA>)"),
	F("k8s.pod.labels", FT_STR, 0, x_evt_na, "Kubernetes pod labels, key:value,... (<NA>)"),
	F("k8s.rc.name", FT_STR, 0, x_evt_na,
	  "Kubernetes replication controller name (no orchestrator data: <NA>)"),
	F("k8s.rc.id", FT_STR, 0, x_evt_na,
	  "Kubernetes replication controller id (no orchestrator data: <NA>)"),
	FA("k8s.rc.label", FT_STR, 0, FARG_NAME, x_evt_na,
	   "one Kubernetes replication controller label: k8s.rc.label.KEY (<NA>)"),
	F("k8s.rc.labels", FT_STR, 0, x_evt_na,
	  "Kubernetes replication controller labels, key:value,... (<NA>)"),
	F("k8s.svc.name", FT_STR, 0, x_evt_na, "Kubernetes service name (no orchestrator data: <NA>)"),
	F("k8s.svc.id", FT_STR, 0, x_evt_na, "Kubernetes service id (no orchestrator data: <NA>)"),
	FA("k8s.svc.label", FT_STR, 0, FARG_NAME, x_evt_na,
	   "one Kubernetes service label: k8s.svc.label.KEY (<NA>)"),
	F("k8s.svc.labels", FT_STR, 0, x_evt_na, "Kubernetes service labels, key:value,... (<NA>)"),
	F("k8s.ns.name", FT_STR, 0, x_evt_na, "Kubernetes namespace name (no orchestrator data: <NA>)"),
	F("k8s.ns.id", FT_STR, 0, x_evt_na, "Kubernetes namespace id (no orchestrator data: <NA>)"),
	FA("k8s.ns.label", FT_STR, 0, FARG_NAME, x_evt_na,
	   "one Kubernetes namespace label: k8s.ns.label.KEY (<NA>)"),
	F("k8s.ns.labels", FT_STR, 0, x_evt_na, "Kubernetes namespace labels, key:value,... (<NA>)"),
	F("k8s.rs.name", FT_STR, 0, x_evt_na, "Kubernetes replica set name (no orchestrator data: <NA>)"),
	F("k8s.rs.id", FT_STR, 0, x_evt_na, "Kubernetes replica set id (no orchestrator data: <NA>)"),
	FA("k8s.rs.label", FT_STR, 0, FARG_NAME, x_evt_na,
	   "one Kubernetes replica set label: k8s.rs.label.KEY (<NA>)"),
	F("k8s.rs.labels", FT_STR, 0, x_evt_na, "Kubernetes replica set labels, key:value,... (<NA>)"),
	F("k8s.deployment.name", FT_STR, 0, x_evt_na,
	  "Kubernetes deployment name (no orchestrator data: <NA>)"),
	F("k8s.deployment.id", FT_STR, 0, x_evt_na, "Kubernetes deployment id (no orchestrator data: <NA>)"),
	FA("k8s.deployment.label", FT_STR, 0, FARG_NAME, x_evt_na,
	   "one Kubernetes deployment label: k8s.deployment.label.KEY (<NA>)"),
	F("k8s.deployment.labels", FT_STR, 0, x_evt_na, "Kubernetes deployment labels, key:value,... (<NA>)"),
};

#undef S
#undef F
#undef FA

static void field_lengths(void)
{
	_Static_assert(ARRAY_SIZE(fields) <= FIELDS_MAX, "FIELDS_MAX");
	for (size_t i = 0; i < ARRAY_SIZE(fields); i++)
		fields_len[i] = (uint8_t)strlen(fields[i].name);
}

/* ---- compiled formats ---- */

struct piece {
	const struct field *field; /* NULL: literal */
	char *text;                /* literal text, or the full field name */
	size_t text_len;
	char *arg;
	int64_t argn;
	struct fstate *fs; /* FF_MEMORY fields: this place's memory */
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

const struct field *field_at(size_t i)
{
	fields_init();
	return i < ARRAY_SIZE(fields) ? &fields[i] : NULL;
}

const struct field *field_find(const char *name, size_t len, const char **arg)
{
	fields_init();
	*arg = NULL;
	for (size_t i = 0; i < ARRAY_SIZE(fields); i++)
		if (fields_len[i] == len && strncmp(fields[i].name, name, len) == 0)
			return &fields[i];
	/* NAME.ARG, for the fields that take their argument after a dot */
	for (size_t i = 0; i < ARRAY_SIZE(fields); i++) {
		size_t fl = fields_len[i];

		if ((fields[i].arg == FARG_NAME || fields[i].arg == FARG_NAME_OR_INDEX) && len > fl + 1 &&
		    name[fl] == '.' && strncmp(name, fields[i].name, fl) == 0) {
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
	o->pieces[o->n].argn = arg ? strtoll(o->pieces[o->n].arg, NULL, 10) : 0;
	o->pieces[o->n].fs = f ? fstate_new(o->st, f) : NULL;
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

			const char *end, *close;
			size_t arglen;

			while (field_char(*p))
				p++;
			end = p;
			f = field_find(name, (size_t)(p - name), &arg);
			arglen = arg ? (size_t)(p - arg) : 0;
			if (f && !arg && *p == '[' && field_arg(f) != FARG_NONE &&
			    (close = strchr(p, ']')) != NULL) {
				arg = p + 1;
				arglen = (size_t)(close - arg);
				p = close + 1;
			}
			if (!f) {
				err_set(e, -EINVAL,
				        "invalid formatting token %%%.*s (offset %zu of the format)",
				        (int)(end - name), name, (size_t)(name - format));
				output_free(o);
				return NULL;
			}
			if (f->flags & FF_FILTER_ONLY) {
				err_set(e, -EINVAL, "%s is filter only and cannot be used as a display field",
				        f->name);
				output_free(o);
				return NULL;
			}
			if ((f->arg == FARG_NAME || f->arg == FARG_NAME_OR_INDEX) && !arg) {
				err_set(e, -EINVAL, "%%%s needs an argument: %%%s.NAME%s", f->name, f->name,
				        f->arg == FARG_NAME ? "" : " or [N]");
				output_free(o);
				return NULL;
			}
			add_piece(o, f, name, (size_t)(p - name), arg, arglen);
			o->needs_state |= !(f->flags & FF_STATELESS);
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
		fstate_free(o->pieces[i].fs);
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
	struct fctx f = { o->st, cx, &o->tc, NULL, 0, NULL, true };
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
		f.argn = p->argn;
		f.fs = p->fs;
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
	if (ev->type <= PPME_GENERIC_X)
		put_syscall_name(out, ev);
	else
		sbuf_put(out, event_table[ev->type].name, event_name_len(ev->type));
	sbuf_putc(out, ' ');
	event_format_args(ev, r, out);
	sbuf_putc(out, '\n');
}

static void output_default(struct output *o, const struct evctx *cx, struct sbuf *out)
{
	struct filter_resolve rc;
	struct event_resolver r;

	filter_resolver(o->st, cx, &rc, &r);
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
	struct filter_resolve *real;
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
	struct filter_resolve rc;
	struct event_resolver real;
	struct memo_rec m = { NULL, memo };
	struct event_resolver rec = { &m, rec_fd, rec_comm, rec_base_dir, res_join, rec_user, rec_group, 0 };

	filter_resolver(st, cx, &rc, &real);
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
	struct fctx f = { o->st, cx, &o->tc, NULL, 0, NULL, false };
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
		f.argn = p->argn;
		f.fs = p->fs;
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
	return f->flags & FF_STATELESS;
}

unsigned field_flags(const struct field *f)
{
	return f->flags;
}

enum field_arg field_arg(const struct field *f)
{
	return f->arg;
}

/* The clock text cache of field_extract() and field_view() (filters, not -p). */
static __thread struct time_cache extract_tc = { .sec = -1 };

bool field_extract(const struct field *f, struct state *st, const struct evctx *cx, const char *arg,
                   int64_t argn, struct fstate *fs, struct sbuf *out)
{
	struct fctx c = { st, cx, &extract_tc, arg, argn, fs, false };

	return f->fn(&c, out);
}

bool field_view(const struct field *f, struct state *st, const struct evctx *cx, const char *arg,
                int64_t argn, struct fstate *fs, struct sbuf *scratch, const char **s, size_t *len)
{
	struct fctx c = { st, cx, &extract_tc, arg, argn, fs, false };

	if (f->view)
		return f->view(&c, scratch, s, len);
	return view_extracted(&c, f->fn, scratch, s, len);
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
		         field_arg(&fields[i]) == FARG_NAME_OR_INDEX ? ".NAME, [N]"
		         : field_arg(&fields[i]) == FARG_NAME        ? ".NAME"
		         : field_arg(&fields[i]) == FARG_INDEX       ? "[N]"
		         : field_arg(&fields[i]) == FARG_TIME        ? "[T]"
		                                                     : "");
		fprintf(out, "  %-32s %s%s%s\n", shown, fields[i].type == FT_NUM ? "(number) " : "",
		        fields[i].flags & FF_FILTER_ONLY ? "(filters only) " : "", fields[i].desc);
	}
}
