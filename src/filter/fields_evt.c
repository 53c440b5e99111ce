/* fields_evt: the evt fields (number, times, type, arguments, results, latencies, I/O, counts). */
#include "extract.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

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

EXTRACTOR(x_evt_num)
{
	sbuf_u64(o, f->cx->num);
	return true;
}

/* Times are text, except in JSON where sysdig gives ns since the epoch. */
EXTRACTOR(x_evt_time)
{
	if (f->json)
		sbuf_u64(o, f->cx->ev->ts);
	else
		put_time(o, f->cx->ev->ts, f->tc);
	return true;
}

EXTRACTOR(x_evt_datetime)
{
	time_t t = (time_t)(f->cx->ev->ts / 1000000000ULL);
	struct tm tm;
	char tmp[32];

	localtime_r(&t, &tm);
	strftime(tmp, sizeof(tmp), "%Y-%m-%d ", &tm);
	sbuf_puts(o, tmp);
	return x_evt_time(f, o);
}

EXTRACTOR(x_evt_rawtime)
{
	sbuf_u64(o, f->cx->ev->ts);
	return true;
}

EXTRACTOR(x_evt_outputtime)
{
	return x_evt_time(f, o);
}

EXTRACTOR(x_evt_cpu)
{
	sbuf_u64(o, f->cx->ev->cpu);
	return true;
}

EXTRACTOR(x_evt_dir)
{
	sbuf_putc(o, event_is_exit(f->cx->ev->type) ? '<' : '>');
	return true;
}

EXTRACTOR(x_evt_type)
{
	const struct event *ev = f->cx->ev;

	if (ev->type <= PPME_GENERIC_X)
		put_syscall_name(o, ev);
	else
		sbuf_put(o, event_table[ev->type].name, event_name_len(ev->type));
	return true;
}

EXTRACTOR(x_evt_args)
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

EXTRACTOR(x_evt_res)
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

EXTRACTOR(x_evt_rawres)
{
	int64_t res;

	if (!event_res(f->cx->ev, &res))
		return false;
	sbuf_i64(o, res);
	return true;
}

EXTRACTOR(x_evt_failed)
{
	int64_t res;

	/* every event has it: false where there is no result (enter events), true for any error */
	sbuf_puts(o, event_res(f->cx->ev, &res) && res < 0 ? "true" : "false");
	return true;
}

EXTRACTOR(x_evt_arg)
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

EXTRACTOR(x_evt_na)
{
	(void)f;
	(void)o;
	return false;
}

/* ---- times ---- */

static void put_strftime(struct sbuf *o, uint64_t ts, const char *fmt, bool utc)
{
	time_t t = (time_t)(ts / 1000000000ULL);
	struct tm tm;
	char tmp[64];

	if (utc)
		gmtime_r(&t, &tm);
	else
		localtime_r(&t, &tm);
	strftime(tmp, sizeof(tmp), fmt, &tm);
	sbuf_puts(o, tmp);
}

EXTRACTOR(x_evt_time_s)
{
	put_strftime(o, f->cx->ev->ts, "%H:%M:%S", false);
	return true;
}

EXTRACTOR(x_evt_time_iso8601)
{
	put_strftime(o, f->cx->ev->ts, "%Y-%m-%dT%H:%M:%S.", true);
	sbuf_u64_padded(o, f->cx->ev->ts % 1000000000ULL, 9);
	sbuf_puts(o, "+0000");
	return true;
}

EXTRACTOR(x_evt_datetime_s)
{
	put_strftime(o, f->cx->ev->ts, "%Y-%m-%d %H:%M:%S", false);
	return true;
}

EXTRACTOR(x_evt_rawtime_s)
{
	sbuf_u64(o, f->cx->ev->ts / 1000000000ULL);
	return true;
}

EXTRACTOR(x_evt_rawtime_ns)
{
	sbuf_u64_padded(o, f->cx->ev->ts % 1000000000ULL, 9);
	return true;
}

/* Since the capture's first event, hidden ones included. */
static uint64_t reltime(const struct fctx *f)
{
	return f->cx->ev->ts >= f->cx->first_ts ? f->cx->ev->ts - f->cx->first_ts : 0;
}

EXTRACTOR(x_evt_reltime)
{
	sbuf_u64_padded(o, reltime(f), 9); /* sysdig pads it to 9 digits, as under a second */
	return true;
}

EXTRACTOR(x_evt_reltime_s)
{
	sbuf_u64(o, reltime(f) / 1000000000ULL);
	return true;
}

EXTRACTOR(x_evt_reltime_ns)
{
	sbuf_u64_padded(o, reltime(f) % 1000000000ULL, 9);
	return true;
}

/* An exit's ns since its enter; 0 for enters and for exits without their enter. */
static uint64_t latency(const struct fctx *f)
{
	return thr(f) ? thr(f)->latency : 0;
}

EXTRACTOR(x_evt_latency)
{
	sbuf_u64(o, latency(f));
	return true;
}

EXTRACTOR(x_evt_latency_s)
{
	sbuf_u64(o, latency(f) / 1000000000ULL);
	return true;
}

EXTRACTOR(x_evt_latency_ns)
{
	sbuf_u64_padded(o, latency(f) % 1000000000ULL, 9);
	return true;
}

/* With a unit, cut (not rounded): 252ns, 3.43us, 17us, 124us, 8.11ms, 2.50s. */
static void put_human_ns(struct sbuf *o, uint64_t ns)
{
	static const char *const units[] = { "ns", "us", "ms", "s" };
	uint64_t div = 1;
	int u = 0;
	char tmp[48];

	while (u < 3 && ns / div >= 1000) {
		div *= 1000;
		u++;
	}
	if (u && ns / div < 10)
		snprintf(tmp, sizeof(tmp), "%llu.%02llu%s", (unsigned long long)(ns / div),
		         (unsigned long long)(ns % div * 100 / div), units[u]);
	else
		snprintf(tmp, sizeof(tmp), "%llu%s", (unsigned long long)(ns / div), units[u]);
	sbuf_puts(o, tmp);
}

EXTRACTOR(x_evt_latency_human)
{
	put_human_ns(o, latency(f));
	return true;
}

static uint64_t deltatime(const struct fctx *f)
{
	uint64_t prev = f->cx->prev_ts;

	return prev && prev <= f->cx->ev->ts ? f->cx->ev->ts - prev : 0;
}

EXTRACTOR(x_evt_deltatime)
{
	sbuf_u64(o, deltatime(f));
	return true;
}

EXTRACTOR(x_evt_deltatime_s)
{
	sbuf_u64(o, deltatime(f) / 1000000000ULL);
	return true;
}

EXTRACTOR(x_evt_deltatime_ns)
{
	sbuf_u64_padded(o, deltatime(f) % 1000000000ULL, 9);
	return true;
}

/* ---- type and category ---- */

EXTRACTOR(x_evt_type_is)
{
	const struct event *ev = f->cx->ev;
	const char *name = ev->type <= PPME_GENERIC_X ? (event_uint(ev, 0, 0) < EVENT_SYSCALL_MAX
	                                                         ? event_syscalls[event_uint(ev, 0, 0)].name
	                                                         : "<unknown>")
	                                              : event_type_name(ev->type);

	sbuf_putc(o, name && !strcmp(name, f->arg) ? '1' : '0');
	return true;
}

EXTRACTOR(x_syscall_type)
{
	const struct event *ev = f->cx->ev;
	uint64_t id;

	if (ev->type > PPME_GENERIC_X) {
		uint32_t c = event_table[ev->type].category;

		if ((c & (EC_INTERNAL | EC_PLUGIN)) || (c & 0xff) == EC_SCHEDULER)
			return false;
		sbuf_puts(o, event_type_name(ev->type));
		return true;
	}
	id = event_uint(ev, 0, 0);
	sbuf_puts(o, id < EVENT_SYSCALL_MAX ? event_syscalls[id].name : "<unknown>");
	return true;
}

/* The event's category: its syscall's, for generic events. */
static uint32_t category(const struct event *ev)
{
	uint32_t c;

	if (ev->type <= PPME_GENERIC_X) {
		uint64_t id = event_uint(ev, 0, 0);

		c = id < EVENT_SYSCALL_MAX ? event_syscalls[id].category : EC_OTHER;
	} else {
		c = event_table[ev->type].category;
	}
	return c & ~(uint32_t)(EC_SYSCALL | EC_TRACEPOINT | EC_PLUGIN | EC_INTERNAL);
}

/* What an I/O event is about, from its fd: file, net, ipc or unknown. */
static const char *io_category(const struct fdinfo *fi)
{
	if (!fi)
		return "unknown";
	switch (fi->type) {
	case SCAP_FD_FILE:
	case SCAP_FD_FILE_V2:
	case SCAP_FD_DIRECTORY:
		return "file";
	case SCAP_FD_IPV4_SOCK:
	case SCAP_FD_IPV6_SOCK:
	case SCAP_FD_IPV4_SERVSOCK:
	case SCAP_FD_IPV6_SERVSOCK:
		return "net";
	case SCAP_FD_FIFO:
	case SCAP_FD_UNIX_SOCK:
	case SCAP_FD_EVENT:
	case SCAP_FD_SIGNALFD:
	case SCAP_FD_INOTIFY:
		return "ipc";
	default:
		return "unknown";
	}
}

EXTRACTOR(x_evt_category)
{
	static const char *const names[] = {
		[EC_UNKNOWN] = "unknown",
		[EC_OTHER] = "other",
		[EC_FILE] = "file",
		[EC_NET] = "net",
		[EC_IPC] = "IPC",
		[EC_MEMORY] = "memory",
		[EC_PROCESS] = "process",
		[EC_SLEEP] = "sleep",
		[EC_SYSTEM] = "system",
		[EC_SIGNAL] = "signal",
		[EC_USER] = "user",
		[EC_TIME] = "time",
		[EC_PROCESSING] = "processing",
	};
	uint32_t c = category(f->cx->ev);

	if (c >= EC_IO_READ && c <= EC_IO_OTHER)
		sbuf_puts(o, io_category(f->cx->evt_fdinfo));
	else if (c == EC_WAIT)
		sbuf_puts(o, "wait");
	else if (c == EC_SCHEDULER)
		sbuf_puts(o, "scheduler");
	else
		sbuf_puts(o, c < ARRAY_SIZE(names) && names[c] ? names[c] : "unknown");
	return true;
}

/* ---- arguments and buffers ---- */

EXTRACTOR(x_evt_rawarg)
{
	const struct event *ev = f->cx->ev;
	int i = event_param_index(ev->type, f->arg);
	const struct event_param *p;

	if (i < 0 || !event_has(ev, (uint32_t)i))
		return false;
	p = &event_table[ev->type].params[i];
	switch (p->type) {
	case PT_INT8:
	case PT_INT16:
	case PT_INT32:
	case PT_INT64:
	case PT_FD:
	case PT_PID:
	case PT_ERRNO:
		sbuf_i64(o, event_int(ev, (uint32_t)i, 0));
		return true;
	case PT_UINT8:
	case PT_UINT16:
	case PT_UINT32:
	case PT_UINT64:
	case PT_FLAGS8:
	case PT_FLAGS16:
	case PT_FLAGS32:
	case PT_MODE:
	case PT_UID:
	case PT_GID:
	case PT_SYSCALLID:
	case PT_SIGTYPE:
	case PT_RELTIME:
	case PT_ABSTIME:
	case PT_PORT:
	case PT_L4PROTO:
	case PT_SOCKFAMILY:
		sbuf_u64(o, event_uint(ev, (uint32_t)i, 0));
		return true;
	case PT_CHARBUF:
	case PT_FSPATH:
	case PT_FSRELPATH:
		sbuf_puts(o, event_str(ev, (uint32_t)i, ""));
		return true;
	default:
		put_param_resolved(f, (uint32_t)i, o);
		return true;
	}
}

/* The data parameter of an I/O event. */
static int data_param(const struct event *ev)
{
	if (!(event_table[ev->type].flags & (EF_READS_FROM_FD | EF_WRITES_TO_FD)))
		return -1;
	return event_param_index(ev->type, "data");
}

EXTRACTOR(x_evt_buffer)
{
	const struct event *ev = f->cx->ev;
	int i = data_param(ev);

	if (i < 0 || !event_has(ev, (uint32_t)i))
		return false;
	for (uint32_t k = 0; k < ev->vlen[i]; k++) {
		uint8_t c = ev->val[i][k];

		sbuf_putc(o, c >= 32 && c < 127 ? (char)c : '.');
	}
	return true;
}

/* An I/O exit's result, for an fd sysdig knows. */
EXTRACTOR(x_evt_buflen)
{
	const struct event *ev = f->cx->ev;
	uint32_t c = category(ev);
	int64_t res;

	if (c < EC_IO_READ || c > EC_IO_OTHER || !f->cx->evt_fdinfo || !event_res(ev, &res) || res < 0)
		return false;
	sbuf_i64(o, res);
	return true;
}

/* ---- I/O and waits ---- */

static uint32_t eflags(const struct fctx *f)
{
	return event_table[f->cx->ev->type].flags;
}

EXTRACTOR(x_evt_is_io)
{
	return put_bool(o, eflags(f) & (EF_READS_FROM_FD | EF_WRITES_TO_FD));
}

EXTRACTOR(x_evt_is_io_read)
{
	return put_bool(o, eflags(f) & EF_READS_FROM_FD);
}

EXTRACTOR(x_evt_is_io_write)
{
	return put_bool(o, eflags(f) & EF_WRITES_TO_FD);
}

EXTRACTOR(x_evt_io_dir)
{
	if (eflags(f) & EF_READS_FROM_FD)
		sbuf_puts(o, "read");
	else if (eflags(f) & EF_WRITES_TO_FD)
		sbuf_puts(o, "write");
	else
		return false;
	return true;
}

EXTRACTOR(x_evt_is_wait)
{
	return put_bool(o, eflags(f) & EF_WAITS);
}

EXTRACTOR(x_evt_wait_latency)
{
	if (!(eflags(f) & EF_WAITS) || !event_is_exit(f->cx->ev->type))
		return false;
	sbuf_u64(o, latency(f));
	return true;
}

EXTRACTOR(x_evt_is_syslog)
{
	const struct fdinfo *fi = f->cx->evt_fdinfo;

	return put_bool(o, (eflags(f) & EF_WRITES_TO_FD) && fi && fi->name && !strcmp(fi->name, "/dev/log"));
}

/* ---- counts ---- */

EXTRACTOR(x_evt_count)
{
	(void)f;
	sbuf_putc(o, '1');
	return true;
}

static bool failed(const struct fctx *f)
{
	int64_t res;

	return event_res(f->cx->ev, &res) && res < 0;
}

static bool count_if(struct sbuf *o, bool yes)
{
	if (yes)
		sbuf_putc(o, '1');
	return yes;
}

EXTRACTOR(x_evt_count_error)
{
	return count_if(o, failed(f));
}

/* A failed event's kind: file (of an fd), net, memory or other. */
static uint32_t error_class(const struct fctx *f)
{
	uint32_t c = category(f->cx->ev);

	if (c >= EC_IO_READ && c <= EC_IO_OTHER) {
		const char *io = io_category(f->cx->evt_fdinfo);

		c = !strcmp(io, "file") ? EC_FILE : !strcmp(io, "net") ? EC_NET : EC_OTHER;
	}
	if (c == EC_FILE && !f->cx->has_fd)
		return EC_OTHER;
	return c == EC_FILE || c == EC_NET || c == EC_MEMORY ? c : EC_OTHER;
}

EXTRACTOR(x_evt_count_error_file)
{
	return count_if(o, failed(f) && error_class(f) == EC_FILE);
}

EXTRACTOR(x_evt_count_error_net)
{
	return count_if(o, failed(f) && error_class(f) == EC_NET);
}

EXTRACTOR(x_evt_count_error_memory)
{
	return count_if(o, failed(f) && error_class(f) == EC_MEMORY);
}

EXTRACTOR(x_evt_count_error_other)
{
	return count_if(o, failed(f) && error_class(f) == EC_OTHER);
}

EXTRACTOR(x_evt_count_exit)
{
	return count_if(o, event_is_exit(f->cx->ev->type));
}

/* ---- paths and opens ---- */

/* The (directory fd, path) pair evt.abspath joins, for the *at calls sysdig gives it for. */
static const struct {
	uint16_t type;
	const char *dirfd, *path;
} abspath_events[] = {
	{ PPME_SYSCALL_OPENAT_E, "dirfd", "name" },            /* openat enter, old form */
	{ PPME_SYSCALL_OPENAT_2_X, "dirfd", "name" },          /* openat exit */
	{ PPME_SYSCALL_LINKAT_E, "olddir", "oldpath" },        /* linkat enter, old form */
	{ PPME_SYSCALL_LINKAT_2_X, "olddir", "oldpath" },      /* linkat exit */
	{ PPME_SYSCALL_UNLINKAT_E, "dirfd", "name" },          /* unlinkat enter, old form */
	{ PPME_SYSCALL_UNLINKAT_2_X, "dirfd", "name" },        /* unlinkat exit */
	{ PPME_SYSCALL_MKDIRAT_X, "dirfd", "path" },           /* mkdirat exit */
	{ PPME_SYSCALL_FCHMODAT_X, "dirfd", "filename" },      /* fchmodat exit */
	{ PPME_SYSCALL_RENAMEAT_X, "olddirfd", "oldpath" },    /* renameat exit */
	{ PPME_SYSCALL_RENAMEAT2_X, "olddirfd", "oldpath" },   /* renameat2 exit */
	{ PPME_SYSCALL_SYMLINKAT_X, "linkdirfd", "linkpath" }, /* symlinkat exit */
};

/* The path joined to its directory: the thread's cwd for AT_FDCWD, else the fd's name. */
EXTRACTOR(x_evt_abspath)
{
	const struct event *ev = f->cx->ev;
	struct sbuf *dir = sbuf_scratch(SCRATCH_JOIN);
	const char *path;
	int64_t dirfd;
	int di, pi;

	if (!thr(f))
		return false;
	for (size_t i = 0; i < ARRAY_SIZE(abspath_events); i++) {
		if (abspath_events[i].type != ev->type)
			continue;
		di = event_param_index(ev->type, abspath_events[i].dirfd);
		pi = event_param_index(ev->type, abspath_events[i].path);
		path = pi >= 0 ? event_str(ev, (uint32_t)pi, NULL) : NULL;
		if (di < 0 || !path)
			return false;
		dirfd = event_int(ev, (uint32_t)di, EVENT_AT_FDCWD);
		sbuf_reset(dir);
		if (dirfd == EVENT_AT_FDCWD) {
			sbuf_puts(dir, state_main_thread(f->st, thr(f))->cwd);
		} else {
			const struct fdinfo *fi = state_fd(f->st, thr(f), dirfd);

			sbuf_puts(dir, fi ? fi->name : "<UNKNOWN>");
			sbuf_putc(dir, '/');
		}
		/* folded apart: the fold starts from an empty buffer, and o may hold a line already */
		sbuf_puts(o, state_concat_path(sbuf_scratch(SCRATCH_ABSPATH), sbuf_cstr(dir), path));
		return true;
	}
	return false;
}

#define PPM_O_RDONLY  (1 << 0)
#define PPM_O_WRONLY  (1 << 1)
#define PPM_O_CREAT   (1 << 2)
#define PPM_O_TMPFILE (1 << 13)
#define PPM_S_IXUSR   (1U << 6)
#define PPM_S_IXGRP   (1U << 3)
#define PPM_S_IXOTH   (1U << 0)

/*
 * The flags and mode of an open as sysdig reads them: the exits of open,
 * openat and openat2, and the old openat's enter; false for other events.
 */
static bool open_flags(const struct fctx *f, uint32_t *flags, uint32_t *mode)
{
	const struct event *ev = f->cx->ev;
	const char *name = event_type_name(ev->type);
	int fi, mi;

	if (!name ||
	    (strcmp(name, "open") != 0 && strcmp(name, "openat") != 0 && strcmp(name, "openat2") != 0) ||
	    (!event_is_exit(ev->type) && ev->type != PPME_SYSCALL_OPENAT_E))
		return false;
	fi = event_param_index(ev->type, "flags");
	mi = event_param_index(ev->type, "mode");
	if (fi < 0 || !event_has(ev, (uint32_t)fi))
		return false;
	*flags = (uint32_t)event_uint(ev, (uint32_t)fi, 0);
	*mode = mi >= 0 ? (uint32_t)event_uint(ev, (uint32_t)mi, 0) : 0;
	return true;
}

EXTRACTOR(x_evt_is_open_read)
{
	uint32_t fl, mode;

	return put_bool(o, open_flags(f, &fl, &mode) && (fl & PPM_O_RDONLY));
}

EXTRACTOR(x_evt_is_open_write)
{
	uint32_t fl, mode;

	return put_bool(o, open_flags(f, &fl, &mode) && (fl & PPM_O_WRONLY));
}

EXTRACTOR(x_evt_is_open_exec)
{
	const struct event *ev = f->cx->ev;
	uint32_t fl = 0, mode = 0;
	bool creates;

	if (ev->type == PPME_SYSCALL_CREAT_X) { /* creat's exit: always a creation; its mode is parameter 2 */
		creates = true;
		mode = (uint32_t)event_uint(ev, 2, 0);
	} else {
		creates = open_flags(f, &fl, &mode) && (fl & (PPM_O_CREAT | PPM_O_TMPFILE));
	}
	return put_bool(o, creates && (mode & (PPM_S_IXUSR | PPM_S_IXGRP | PPM_S_IXOTH)));
}
