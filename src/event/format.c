/* format: parameter text exactly as sysdig 0.29.3 renders %evt.args. */
#include "event.h"

#include <arpa/inet.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

const char *event_ptype_name(uint8_t type)
{
	static const char *const names[] = {
		"NONE",
		"INT8",
		"INT16",
		"INT32",
		"INT64",
		"UINT8",
		"UINT16",
		"UINT32",
		"UINT64",
		"CHARBUF",
		"BYTEBUF",
		"ERRNO",
		"SOCKADDR",
		"SOCKTUPLE",
		"FD",
		"PID",
		"FDLIST",
		"FSPATH",
		"SYSCALLID",
		"SIGTYPE",
		"RELTIME",
		"ABSTIME",
		"PORT",
		"L4PROTO",
		"SOCKFAMILY",
		"BOOL",
		"IPV4ADDR",
		"DYNAMIC",
		"FLAGS8",
		"FLAGS16",
		"FLAGS32",
		"UID",
		"GID",
		"DOUBLE",
		"SIGSET",
		"CHARBUFARRAY",
		"CHARBUF_PAIR_ARRAY",
		"IPV4NET",
		"IPV6ADDR",
		"IPV6NET",
		"IPADDR",
		"IPNET",
		"MODE",
		"FSRELPATH",
	};

	return type < ARRAY_SIZE(names) ? names[type] : "UNKNOWN";
}

uint32_t event_shown_params(const struct event *ev)
{
	const struct event_info *info = event_info_get(ev->type);
	uint32_t n;

	if (!info || ev->type <= 1) /* generic syscall events show no arguments */
		return 0;
	n = ev->nvals < info->nparams ? ev->nvals : info->nparams;
	return n;
}

void event_format_buffer(struct sbuf *out, const uint8_t *p, uint32_t n, uint32_t cap)
{
	uint32_t shown = n;
	char *d;

	if (cap && n > cap)
		shown = cap;
	if (!shown)
		return;
	if (out->len + shown > out->cap)
		sbuf_grow(out, shown);
	d = out->data + out->len;
	for (uint32_t i = 0; i < shown; i++) {
		uint8_t c = p[i];

		d[i] = (c >= 0x20 && c < 0x7f) ? (char)c : '.';
	}
	out->len += shown;
	if (shown < n && shown > 3)
		memcpy(out->data + out->len - 3, "...", 3);
}

/* Numbers in a parameter's print format; value is sign-extended or not by the caller. */
static void format_number(struct sbuf *b, uint8_t fmt, uint64_t u, int64_t s, unsigned bits)
{
	switch (fmt) {
	case PF_HEX:
		sbuf_hex(b, bits == 64 ? u : (u & ((1ULL << bits) - 1)), true);
		break;
	case PF_OCT:
		if (u == 0) {
			sbuf_putc(b, '0');
		} else {
			char tmp[32];
			int n = snprintf(tmp, sizeof(tmp), "%#llo",
			                 (unsigned long long)(bits == 64 ? u : (u & ((1ULL << bits) - 1))));

			sbuf_put(b, tmp, (size_t)n);
		}
		break;
	case PF_10_PADDED_DEC: {
		char tmp[32];
		int n = snprintf(tmp, sizeof(tmp), "%09lld", (long long)s);

		sbuf_put(b, tmp, (size_t)n);
		break;
	}
	default:
		sbuf_i64(b, s);
		break;
	}
}

/*
 * The names in nv (NULL-terminated) of the flags initial holds, '|'-separated, as
 * a FLAGS or MODE value resolves; an entry equal to the whole of initial ends
 * the walk and is shown last.
 */
static void put_flag_names(const struct event_name_value *nv, uint32_t initial, struct sbuf *res)
{
	const char *sep = "";
	uint32_t val = initial;

	for (; nv && nv->name && nv->value != initial; nv++) {
		if ((nv->value == 0 && initial == 0) ||
		    (nv->value != 0 && (val & nv->value) == nv->value && val != 0)) {
			sbuf_puts(res, sep);
			sbuf_puts(res, nv->name);
			sep = "|";
			val &= ~nv->value;
		}
	}
	if (nv && nv->name) {
		sbuf_puts(res, sep);
		sbuf_puts(res, nv->name);
	}
}

/*
 * One parameter as its formatter sees it: n bytes at p (n may be 0 past a DYN
 * parameter's index byte, so a formatter checks n before it loads), and where
 * its text goes. `decl` is the parameter as the table declares it, whose print
 * format and flag names apply; `pi` says what the bytes are: decl itself, or
 * the variant a DYN parameter's index byte chose.
 */
struct param_view {
	const struct event *ev;
	const struct event_param *decl;
	const struct event_param *pi;
	const uint8_t *p;
	uint32_t n;
	const struct event_resolver *r; /* may be NULL: nothing is resolved */
	struct sbuf *val;               /* the value, appended to */
	struct sbuf *res;               /* its resolution (fd path, user name, flag names), appended to */
};

/* The signed and unsigned integer types, each in the declared print format. */
static void format_integer(const struct param_view *pv)
{
	const uint8_t *p = pv->p;
	uint32_t n = pv->n;
	uint8_t fmt = pv->decl->fmt;

	switch (pv->pi->type) {
	case PT_INT8:
		if (n >= 1)
			format_number(pv->val, fmt, (uint8_t)p[0], (int8_t)p[0], 8);
		break;
	case PT_INT16:
		if (n >= 2)
			format_number(pv->val, fmt, load_u16(p), (int16_t)load_u16(p), 16);
		break;
	case PT_INT32:
		if (n >= 4)
			format_number(pv->val, fmt, load_u32(p), (int32_t)load_u32(p), 32);
		break;
	case PT_INT64:
		if (n >= 8)
			format_number(pv->val, fmt, load_u64(p), (int64_t)load_u64(p), 64);
		break;
	case PT_UINT8:
		if (n >= 1)
			format_number(pv->val, fmt, p[0], p[0], 8);
		break;
	case PT_UINT16:
		if (n >= 2)
			format_number(pv->val, fmt, load_u16(p), load_u16(p), 16);
		break;
	case PT_UINT32: /* sign-extended: in decimal, shown signed */
		if (n >= 4)
			format_number(pv->val, fmt, load_u32(p), (int32_t)load_u32(p), 32);
		break;
	case PT_UINT64:
		if (n >= 8)
			format_number(pv->val, fmt, load_u64(p), (int64_t)load_u64(p), 64);
		break;
	default:
		break;
	}
}

/* A fd: the number, resolved to its name, to AT_FDCWD or to an errno name. */
static void format_fd(const struct param_view *pv)
{
	int64_t fd = pv->n >= 8 ? (int64_t)load_u64(pv->p) : 0;

	sbuf_i64(pv->val, fd);
	if (fd >= 0) {
		if (pv->r && pv->r->fd)
			pv->r->fd(pv->r->ctx, fd, pv->res);
	} else if (fd == EVENT_AT_FDCWD) {
		sbuf_puts(pv->res, "AT_FDCWD");
	} else if (event_errno_name(fd)) {
		sbuf_puts(pv->res, event_errno_name(fd));
	}
}

/* A pid, resolved to its thread's comm. */
static void format_pid(const struct param_view *pv)
{
	int64_t pid = pv->n >= 8 ? (int64_t)load_u64(pv->p) : 0;
	const char *comm = pv->r && pv->r->comm ? pv->r->comm(pv->r->ctx, pid) : NULL;

	sbuf_i64(pv->val, pid);
	if (comm)
		sbuf_puts(pv->res, comm);
}

/* A return value: negative ones resolved to their errno name. */
static void format_errno(const struct param_view *pv)
{
	int64_t v = pv->n >= 8 ? (int64_t)load_u64(pv->p) : 0;

	sbuf_i64(pv->val, v);
	if (v < 0 && event_errno_name(v))
		sbuf_puts(pv->res, event_errno_name(v));
}

/* A string: up to its first NUL. */
static void format_charbuf(const struct param_view *pv)
{
	sbuf_put(pv->val, pv->p, strnlen((const char *)pv->p, pv->n));
}

/* A data buffer, capped at the resolver's limit (sysdig's default without one). */
static void format_bytebuf(const struct param_view *pv)
{
	event_format_buffer(pv->val, pv->p, pv->n, pv->r ? pv->r->buf_cap : EVENT_MAX_BUF_OUTPUT);
}

/* "a.b.c.d:port" */
static void put_ipv4(struct sbuf *b, const uint8_t *ip, uint16_t port)
{
	for (int i = 0; i < 4; i++) {
		if (i)
			sbuf_putc(b, '.');
		sbuf_u64(b, ip[i]);
	}
	sbuf_putc(b, ':');
	sbuf_u64(b, port);
}

static void format_sockaddr(const struct param_view *pv)
{
	struct sbuf *val = pv->val;
	const uint8_t *p = pv->p;
	uint32_t n = pv->n;
	char tmp[INET6_ADDRSTRLEN];

	if (p[0] == 1) {
		size_t l = strnlen((const char *)p + 1, n - 1);

		for (size_t i = 0; i < l; i++)
			if ((uint8_t)p[1 + i] >= 0x20)
				sbuf_putc(val, (char)p[1 + i]);
	} else if (p[0] == 2) {
		if (n != 7) {
			sbuf_puts(val, "INVALID IPv4");
			return;
		}
		put_ipv4(val, p + 1, load_u16(p + 5));
	} else if (p[0] == 10) {
		if (n != 19) {
			sbuf_puts(val, "INVALID IPv6");
			return;
		}
		if (!inet_ntop(AF_INET6, p + 1, tmp, sizeof(tmp)))
			tmp[0] = 0;
		sbuf_printf(val, "%s:%u", tmp, load_u16(p + 17));
	} else {
		sbuf_printf(val, "family %d", (int)(int8_t)p[0]);
	}
}

static bool is_v4_mapped(const uint8_t *a)
{
	static const uint8_t prefix[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };

	return memcmp(a, prefix, 12) == 0;
}

static void format_socktuple(const struct param_view *pv)
{
	struct sbuf *val = pv->val;
	const uint8_t *p = pv->p;
	uint32_t n = pv->n;
	char s6[INET6_ADDRSTRLEN], d6[INET6_ADDRSTRLEN];

	if (p[0] == 2) {
		if (n != 13) {
			sbuf_puts(val, "INVALID IPv4");
			return;
		}
		put_ipv4(val, p + 1, load_u16(p + 5));
		sbuf_put(val, "->", 2);
		put_ipv4(val, p + 7, load_u16(p + 11));
	} else if (p[0] == 10) {
		if (n != 37) {
			sbuf_puts(val, "INVALID IPv6");
			return;
		}
		if (is_v4_mapped(p + 1) && is_v4_mapped(p + 19)) {
			sbuf_printf(val, "%u.%u.%u.%u:%u->%u.%u.%u.%u:%u", p[13], p[14], p[15], p[16],
			            load_u16(p + 17), p[31], p[32], p[33], p[34], load_u16(p + 35));
			return;
		}
		if (!inet_ntop(AF_INET6, p + 1, s6, sizeof(s6)) ||
		    !inet_ntop(AF_INET6, p + 19, d6, sizeof(d6))) {
			sbuf_puts(val, "INVALID IPv6");
			return;
		}
		sbuf_printf(val, "%s:%u->%s:%u", s6, load_u16(p + 17), d6, load_u16(p + 35));
	} else if (p[0] == 1) {
		if (n < 17) {
			sbuf_puts(val, "NULL");
			return;
		}
		sbuf_printf(val, "%llx->%llx ", (unsigned long long)load_u64(p + 1),
		            (unsigned long long)load_u64(p + 9));
		for (uint32_t i = 17; i < n && p[i]; i++)
			if (p[i] >= 0x20)
				sbuf_putc(val, (char)p[i]);
	} else {
		sbuf_printf(val, "family %d", (int)(int8_t)p[0]);
	}
}

static void format_fdlist(const struct param_view *pv)
{
	const struct event_resolver *r = pv->r;
	struct sbuf *val = pv->val;
	const uint8_t *p = pv->p;
	uint32_t n = pv->n;
	uint16_t count;
	struct sbuf tmp;

	if (!r || !r->fd || n < 2)
		return;
	sbuf_init(&tmp, 64);
	count = load_u16(p);
	for (uint32_t j = 0; j < count && 2 + (j + 1) * 10 <= n; j++) {
		int64_t fd = (int64_t)load_u64(p + 2 + j * 10);
		uint16_t fl = load_u16(p + 2 + j * 10 + 8);
		char tch = '?';

		tmp.len = 0;
		if (r->fd(r->ctx, fd, &tmp) && tmp.len > 1)
			tch = tmp.data[1];
		sbuf_u64(val, (uint64_t)fd);
		sbuf_putc(val, ':');
		sbuf_putc(val, tch);
		sbuf_hex(val, (uint32_t)(int32_t)(int16_t)fl, false);
		if (j + 1 < count)
			sbuf_putc(val, ' ');
	}
	sbuf_release(&tmp);
}

/* FSPATH and FSRELPATH: the path as given, resolved against its thread's directory. */
static void format_path(const struct param_view *pv)
{
	const struct event_resolver *r = pv->r;
	struct sbuf *val = pv->val;
	const uint8_t *p = pv->p;
	uint32_t n = pv->n;
	size_t start = val->len;
	const char *dir;
	int64_t dirfd = EVENT_AT_FDCWD;

	for (uint32_t i = 0; i < n && p[i]; i++)
		if (p[i] >= 0x20 && p[i] != 0x7f)
			sbuf_putc(val, (char)p[i]);
	if (!r || !r->base_dir || !r->join_path)
		return;
	if (n && p[0] == '/')
		return; /* sysdig shows absolute paths as given, even with ".." or "//" */
	if (pv->pi->type == PT_FSRELPATH && pv->pi->dirfd < pv->ev->nvals)
		dirfd = event_int(pv->ev, pv->pi->dirfd, EVENT_AT_FDCWD);
	dir = r->base_dir(r->ctx, dirfd);
	if (!dir)
		return;
	if (n >= 5 && memcmp(p, "<NA>", 5) == 0)
		return;
	sbuf_cstr(val);
	r->join_path(r->ctx, dir, val->data + start, pv->res);
}

/* A syscall number, resolved to its name. */
static void format_syscallid(const struct param_view *pv)
{
	uint16_t id = pv->n >= 2 ? load_u16(pv->p) : 0;

	if (id >= EVENT_SYSCALL_MAX) {
		sbuf_puts(pv->val, "<unknown syscall>");
		return;
	}
	sbuf_u64(pv->val, id);
	sbuf_puts(pv->res, event_syscalls[id].name);
}

/* A signal number, resolved to its name. */
static void format_sigtype(const struct param_view *pv)
{
	if (pv->n < 1)
		return; /* a DYN parameter may hold only its index byte */
	sbuf_u64(pv->val, pv->p[0]);
	if (event_signal_name(pv->p[0]))
		sbuf_puts(pv->res, event_signal_name(pv->p[0]));
}

/* Nanoseconds, resolved to seconds; all ones is "none". */
static void format_reltime(const struct param_view *pv)
{
	uint64_t v = pv->n >= 8 ? load_u64(pv->p) : 0;

	if (v == UINT64_MAX) {
		sbuf_puts(pv->val, "none");
	} else {
		sbuf_u64(pv->val, v);
		sbuf_printf(pv->res, "%lgs", (double)v / 1000000000.0);
	}
}

/* Nanoseconds since the epoch as a local date and time. */
static void format_abstime(const struct param_view *pv)
{
	uint64_t v = pv->n >= 8 ? load_u64(pv->p) : 0;
	time_t sec = (time_t)(v / 1000000000ULL);
	struct tm tm;
	char tmp[64], z[16];

	localtime_r(&sec, &tm);
	strftime(tmp, sizeof(tmp), "%Y-%m-%d %H:%M:%S", &tm);
	strftime(z, sizeof(z), "%z", &tm);
	sbuf_printf(pv->val, "%s.%09llu %s", tmp, (unsigned long long)(v % 1000000000ULL), z);
}

/* FLAGS8/16/32: the number, resolved to the declared flag names. */
static void format_flags(const struct param_view *pv)
{
	uint8_t type = pv->pi->type;
	const uint8_t *p = pv->p;
	uint32_t n = pv->n;
	uint32_t v;

	if (n < 1 || (type == PT_FLAGS16 && n < 2) || (type == PT_FLAGS32 && n < 4))
		return; /* p holds n bytes: check before loading */
	v = type == PT_FLAGS8 ? p[0] : type == PT_FLAGS16 ? load_u16(p) : load_u32(p);
	sbuf_u64(pv->val, v);
	put_flag_names(pv->decl->info, v, pv->res);
}

/* A file mode in the declared print format, resolved to the declared flag names. */
static void format_mode(const struct param_view *pv)
{
	uint32_t v = pv->n >= 4 ? load_u32(pv->p) : 0;

	format_number(pv->val, pv->decl->fmt, v, (int32_t)v, 32);
	put_flag_names(pv->decl->info, v, pv->res);
}

/* UID and GID: resolved to the user's or group's name, "<NA>" when unknown. */
static void format_uid_gid(const struct param_view *pv)
{
	const struct event_resolver *r = pv->r;
	uint32_t v = pv->n >= 4 ? load_u32(pv->p) : 0;
	const char *name = NULL;

	if (v == UINT32_MAX) {
		sbuf_puts(pv->val, "-1");
		sbuf_puts(pv->res, "<NONE>");
		return;
	}
	if (r)
		name = pv->pi->type == PT_UID ? (r->user ? r->user(r->ctx, v) : NULL)
		                              : (r->group ? r->group(r->ctx, v) : NULL);
	sbuf_i64(pv->val, (int32_t)v);
	sbuf_puts(pv->res, name ? name : "<NA>");
}

/* A signal set: the names of its signals, space-separated. */
static void format_sigset(const struct param_view *pv)
{
	uint32_t v = pv->n >= 4 ? load_u32(pv->p) : 0;
	bool first = true;

	for (int sig = 0; sig < 32; sig++) {
		if ((v & (1U << sig)) && event_signal_name((uint32_t)sig + 1)) {
			if (!first)
				sbuf_putc(pv->val, ' ');
			sbuf_puts(pv->val, event_signal_name((uint32_t)sig + 1));
			first = false;
		}
	}
}

/* The formatter of each parameter type; NULL: shown as "(n.a.)", as sysdig does. */
static void (*const param_formatters[])(const struct param_view *pv) = {
	[PT_INT8] = format_integer,        [PT_INT16] = format_integer,   [PT_INT32] = format_integer,
	[PT_INT64] = format_integer,       [PT_UINT8] = format_integer,   [PT_UINT16] = format_integer,
	[PT_UINT32] = format_integer,      [PT_UINT64] = format_integer,  [PT_CHARBUF] = format_charbuf,
	[PT_BYTEBUF] = format_bytebuf,     [PT_ERRNO] = format_errno,     [PT_SOCKADDR] = format_sockaddr,
	[PT_SOCKTUPLE] = format_socktuple, [PT_FD] = format_fd,           [PT_PID] = format_pid,
	[PT_FDLIST] = format_fdlist,       [PT_FSPATH] = format_path,     [PT_SYSCALLID] = format_syscallid,
	[PT_SIGTYPE] = format_sigtype,     [PT_RELTIME] = format_reltime, [PT_ABSTIME] = format_abstime,
	[PT_FLAGS8] = format_flags,        [PT_FLAGS16] = format_flags,   [PT_FLAGS32] = format_flags,
	[PT_UID] = format_uid_gid,         [PT_GID] = format_uid_gid,     [PT_SIGSET] = format_sigset,
	[PT_MODE] = format_mode,           [PT_FSRELPATH] = format_path,
};

void event_format_param(const struct event *ev, uint32_t i, const struct event_resolver *r, struct sbuf *val,
                        struct sbuf *res)
{
	const struct event_info *info = event_info_get(ev->type);
	struct param_view pv = {
		.ev = ev,
		.decl = &info->params[i],
		.pi = &info->params[i],
		.p = ev->val[i],
		.n = ev->vlen[i],
		.r = r,
		.val = val,
		.res = res,
	};
	uint8_t type;

	if (pv.n == 0) {
		if (pv.pi->type != PT_BYTEBUF) /* sysdig prints an empty buffer as nothing */
			sbuf_puts(val, "NULL");
		return;
	}
	if (pv.pi->type == PT_DYN && pv.pi->info && pv.p[0] < pv.pi->ninfo) {
		pv.pi = &((const struct event_param *)pv.pi->info)[pv.p[0]];
		pv.p++;
		pv.n--;
	}
	type = pv.pi->type;
	if (type < ARRAY_SIZE(param_formatters) && param_formatters[type])
		param_formatters[type](&pv);
	else
		sbuf_puts(val, "(n.a.)");
}

/* "name=" of every parameter of every event, with its length, built once. */
struct prefix {
	char text[40];
	uint8_t len;
};

static struct prefix *param_prefixes[EVENT_MAX];

static void build_prefixes(void)
{
	for (int t = 0; t < EVENT_MAX; t++) {
		const struct event_info *info = &event_table[t];

		if (!info->nparams)
			continue;
		param_prefixes[t] = xcalloc(info->nparams, sizeof(struct prefix));
		for (uint32_t i = 0; i < info->nparams; i++) {
			struct prefix *p = &param_prefixes[t][i];
			int n = snprintf(p->text, sizeof(p->text), "%s=", info->params[i].name);

			p->len = (uint8_t)(n < (int)sizeof(p->text) ? n : (int)sizeof(p->text) - 1);
		}
	}
}

/* A non-negative fd as "3(<f>/etc/passwd)": the most common parameter, written in place. */
static void format_fd_inline(int64_t fd, const struct event_resolver *r, struct sbuf *out)
{
	size_t open_at;

	sbuf_i64(out, fd);
	open_at = out->len;
	sbuf_putc(out, '(');
	if (r->fd(r->ctx, fd, out))
		sbuf_putc(out, ')');
	else
		out->len = open_at;
}

void event_format_args(const struct event *ev, const struct event_resolver *r, struct sbuf *out)
{
	struct sbuf *res = sbuf_scratch(SCRATCH_ARGS_RES); /* resolved values */
	static pthread_once_t once = PTHREAD_ONCE_INIT;
	const struct event_info *info = event_info_get(ev->type);
	uint32_t n = event_shown_params(ev);
	const struct prefix *pre;

	pthread_once(&once, build_prefixes);
	pre = param_prefixes[ev->type];
	for (uint32_t i = 0; i < n; i++) {
		size_t vstart;

		sbuf_put(out, pre[i].text, pre[i].len);
		if (info->params[i].type == PT_FD && ev->vlen[i] == 8 && r && r->fd &&
		    (int64_t)load_u64(ev->val[i]) >= 0) {
			format_fd_inline((int64_t)load_u64(ev->val[i]), r, out);
			sbuf_putc(out, ' ');
			continue;
		}
		res->len = 0;
		vstart = out->len;
		event_format_param(ev, i, r, out, res);
		/* sysdig shows a resolution that differs from the value, e.g. a relative path */
		if (res->len && !(res->len == out->len - vstart &&
		                  memcmp(res->data, out->data + vstart, res->len) == 0)) {
			sbuf_putc(out, '(');
			sbuf_put(out, res->data, res->len);
			sbuf_putc(out, ')');
		}
		sbuf_putc(out, ' ');
	}
}

void event_args_lookups(const struct event *ev, const struct event_resolver *r)
{
	const struct event_info *info = event_info_get(ev->type);
	uint32_t n = event_shown_params(ev);
	struct sbuf tmp = { 0 };

	for (uint32_t i = 0; i < n; i++) {
		const struct event_param *pi = &info->params[i];
		const uint8_t *p = ev->val[i];
		uint32_t len = ev->vlen[i];

		if (len == 0)
			continue;
		if (pi->type == PT_DYN && pi->info && p[0] < pi->ninfo) {
			pi = &((const struct event_param *)pi->info)[p[0]];
			p++;
			len--;
		}
		switch (pi->type) {
		case PT_FD:
			if (r->fd && (len < 8 || (int64_t)load_u64(p) >= 0)) {
				tmp.len = 0;
				r->fd(r->ctx, len >= 8 ? (int64_t)load_u64(p) : 0, &tmp);
			}
			break;
		case PT_FDLIST:
			for (uint32_t j = 0; r->fd && len >= 2 && j < load_u16(p) && 2 + (j + 1) * 10 <= len;
			     j++) {
				tmp.len = 0;
				r->fd(r->ctx, (int64_t)load_u64(p + 2 + j * 10), &tmp);
			}
			break;
		case PT_PID:
			if (r->comm)
				r->comm(r->ctx, len >= 8 ? (int64_t)load_u64(p) : 0);
			break;
		case PT_FSPATH:
		case PT_FSRELPATH:
			if (r->base_dir && r->join_path && p[0] != '/')
				r->base_dir(r->ctx, pi->type == PT_FSRELPATH && pi->dirfd < ev->nvals
				                            ? event_int(ev, pi->dirfd, EVENT_AT_FDCWD)
				                            : EVENT_AT_FDCWD);
			break;
		case PT_UID:
		case PT_GID: {
			uint32_t v = len >= 4 ? load_u32(p) : 0;

			if (v != UINT32_MAX && pi->type == PT_UID && r->user)
				r->user(r->ctx, v);
			else if (v != UINT32_MAX && pi->type == PT_GID && r->group)
				r->group(r->ctx, v);
			break;
		}
		default:
			break;
		}
	}
	sbuf_release(&tmp);
}
