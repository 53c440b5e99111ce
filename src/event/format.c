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

static void format_flags(const struct event_name_value *nv, uint32_t initial, struct sbuf *res)
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

static void format_sockaddr(struct sbuf *val, const uint8_t *p, uint32_t n)
{
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

static void format_socktuple(struct sbuf *val, const uint8_t *p, uint32_t n)
{
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

static void format_fdlist(const struct event *ev, const uint8_t *p, uint32_t n,
                          const struct event_resolver *r, struct sbuf *val)
{
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
	(void)ev;
	sbuf_release(&tmp);
}

static void format_path(const struct event *ev, const struct event_param *pi, const uint8_t *p, uint32_t n,
                        const struct event_resolver *r, struct sbuf *val, struct sbuf *res)
{
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
	if (pi->type == PT_FSRELPATH && pi->dirfd < ev->nvals)
		dirfd = event_int(ev, pi->dirfd, EVENT_AT_FDCWD);
	dir = r->base_dir(r->ctx, dirfd);
	if (!dir)
		return;
	if (n >= 5 && memcmp(p, "<NA>", 5) == 0)
		return;
	sbuf_cstr(val);
	r->join_path(r->ctx, dir, val->data + start, res);
}

void event_format_param(const struct event *ev, uint32_t i, const struct event_resolver *r, struct sbuf *val,
                        struct sbuf *res)
{
	const struct event_info *info = event_info_get(ev->type);
	const struct event_param *pi = &info->params[i];
	const struct event_param *top = pi;
	const uint8_t *p = ev->val[i];
	uint32_t n = ev->vlen[i];

	if (n == 0) {
		if (pi->type != PT_BYTEBUF) /* sysdig prints an empty buffer as nothing */
			sbuf_puts(val, "NULL");
		return;
	}
	if (pi->type == PT_DYN && pi->info) {
		uint8_t idx = p[0];

		if (idx < pi->ninfo) {
			pi = &((const struct event_param *)pi->info)[idx];
			p++;
			n--;
		}
	}

	switch (pi->type) {
	case PT_INT8:
		if (n >= 1)
			format_number(val, top->fmt, (uint8_t)p[0], (int8_t)p[0], 8);
		break;
	case PT_INT16:
		if (n >= 2)
			format_number(val, top->fmt, load_u16(p), (int16_t)load_u16(p), 16);
		break;
	case PT_INT32:
		if (n >= 4)
			format_number(val, top->fmt, load_u32(p), (int32_t)load_u32(p), 32);
		break;
	case PT_INT64:
		if (n >= 8)
			format_number(val, top->fmt, load_u64(p), (int64_t)load_u64(p), 64);
		break;
	case PT_UINT8:
		if (n >= 1)
			format_number(val, top->fmt, p[0], p[0], 8);
		break;
	case PT_UINT16:
		if (n >= 2)
			format_number(val, top->fmt, load_u16(p), load_u16(p), 16);
		break;
	case PT_UINT32:
		if (n >= 4)
			format_number(val, top->fmt, load_u32(p), (int32_t)load_u32(p), 32);
		break;
	case PT_UINT64:
		if (n >= 8)
			format_number(val, top->fmt, load_u64(p), (int64_t)load_u64(p), 64);
		break;
	case PT_FD: {
		int64_t fd = n >= 8 ? (int64_t)load_u64(p) : 0;

		sbuf_i64(val, fd);
		if (fd >= 0) {
			if (r && r->fd)
				r->fd(r->ctx, fd, res);
		} else if (fd == EVENT_AT_FDCWD) {
			sbuf_puts(res, "AT_FDCWD");
		} else if (event_errno_name(fd)) {
			sbuf_puts(res, event_errno_name(fd));
		}
		break;
	}
	case PT_PID: {
		int64_t pid = n >= 8 ? (int64_t)load_u64(p) : 0;
		const char *comm = r && r->comm ? r->comm(r->ctx, pid) : NULL;

		sbuf_i64(val, pid);
		if (comm)
			sbuf_puts(res, comm);
		break;
	}
	case PT_ERRNO: {
		int64_t v = n >= 8 ? (int64_t)load_u64(p) : 0;

		sbuf_i64(val, v);
		if (v < 0 && event_errno_name(v))
			sbuf_puts(res, event_errno_name(v));
		break;
	}
	case PT_CHARBUF:
		sbuf_put(val, p, strnlen((const char *)p, n));
		break;
	case PT_FSPATH:
	case PT_FSRELPATH:
		format_path(ev, pi, p, n, r, val, res);
		break;
	case PT_BYTEBUF:
		event_format_buffer(val, p, n, r ? r->buf_cap : EVENT_MAX_BUF_OUTPUT);
		break;
	case PT_SOCKADDR:
		format_sockaddr(val, p, n);
		break;
	case PT_SOCKTUPLE:
		format_socktuple(val, p, n);
		break;
	case PT_FDLIST:
		format_fdlist(ev, p, n, r, val);
		break;
	case PT_SYSCALLID: {
		uint16_t id = n >= 2 ? load_u16(p) : 0;

		if (id >= EVENT_SYSCALL_MAX) {
			sbuf_puts(val, "<unknown syscall>");
			break;
		}
		sbuf_u64(val, id);
		sbuf_puts(res, event_syscalls[id].name);
		break;
	}
	case PT_SIGTYPE:
		if (n < 1)
			break; /* a DYN parameter may hold only its index byte */
		sbuf_u64(val, p[0]);
		if (event_signal_name(p[0]))
			sbuf_puts(res, event_signal_name(p[0]));
		break;
	case PT_RELTIME: {
		uint64_t v = n >= 8 ? load_u64(p) : 0;

		if (v == UINT64_MAX) {
			sbuf_puts(val, "none");
		} else {
			sbuf_u64(val, v);
			sbuf_printf(res, "%lgs", (double)v / 1000000000.0);
		}
		break;
	}
	case PT_ABSTIME: {
		uint64_t v = n >= 8 ? load_u64(p) : 0;
		time_t sec = (time_t)(v / 1000000000ULL);
		struct tm tm;
		char tmp[64], z[16];

		localtime_r(&sec, &tm);
		strftime(tmp, sizeof(tmp), "%Y-%m-%d %H:%M:%S", &tm);
		strftime(z, sizeof(z), "%z", &tm);
		sbuf_printf(val, "%s.%09llu %s", tmp, (unsigned long long)(v % 1000000000ULL), z);
		break;
	}
	case PT_FLAGS8:
	case PT_FLAGS16:
	case PT_FLAGS32: {
		uint32_t v;

		if (n < 1 || (pi->type == PT_FLAGS16 && n < 2) || (pi->type == PT_FLAGS32 && n < 4))
			break; /* p holds n bytes: check before loading */
		v = pi->type == PT_FLAGS8 ? p[0] : pi->type == PT_FLAGS16 ? load_u16(p) : load_u32(p);
		sbuf_u64(val, v);
		format_flags(top->info, v, res);
		break;
	}
	case PT_MODE: {
		uint32_t v = n >= 4 ? load_u32(p) : 0;

		format_number(val, top->fmt, v, (int32_t)v, 32);
		format_flags(top->info, v, res);
		break;
	}
	case PT_UID:
	case PT_GID: {
		uint32_t v = n >= 4 ? load_u32(p) : 0;

		if (v == UINT32_MAX) {
			sbuf_puts(val, "-1");
			sbuf_puts(res, "<NONE>");
		} else {
			const char *name = NULL;

			if (r)
				name = pi->type == PT_UID ? (r->user ? r->user(r->ctx, v) : NULL)
				                          : (r->group ? r->group(r->ctx, v) : NULL);
			sbuf_i64(val, (int32_t)v);
			sbuf_puts(res, name ? name : "<NA>");
		}
		break;
	}
	case PT_SIGSET: {
		uint32_t v = n >= 4 ? load_u32(p) : 0;
		bool first = true;

		for (int sig = 0; sig < 32; sig++) {
			if ((v & (1U << sig)) && event_signal_name((uint32_t)sig + 1)) {
				if (!first)
					sbuf_putc(val, ' ');
				sbuf_puts(val, event_signal_name((uint32_t)sig + 1));
				first = false;
			}
		}
		break;
	}
	default:
		sbuf_puts(val, "(n.a.)");
		break;
	}
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
