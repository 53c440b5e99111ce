/* parse_events: the event parsers that update threads and fds, and their table by event code. */
#include "state_int.h"

#include <stdlib.h>
#include <string.h>

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

void state_store_enter_any(struct thread *t, const struct event *ev)
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
		return state_thread_cwd(s, t);
	d = state_get_fd(s, t, dirfd);
	if (!d)
		return "";
	sbuf_reset(&s->tmp2);
	sbuf_puts(&s->tmp2, d->name);
	sbuf_putc(&s->tmp2, '/');
	return sbuf_cstr(&s->tmp2);
}

/*
 * The path an open's enter event gave, when sysdig 0.29.3 prefers it to the
 * exit's: the enter (NULL: none) was the thread's last event, has at least min_params, and
 * its name (param i) is not empty and not "(NULL)" -- even "<NA>", a name the
 * driver could not read, wins (the fd is then named after it).
 */
static const char *enter_name(const struct event *en, uint32_t min_params, uint32_t i)
{
	const char *name;

	if (!en || en->nvals < min_params || i >= en->nvals || !en->vlen[i])
		return NULL;
	name = param_path(en, i);
	return name && strcmp(name, "(NULL)") != 0 ? name : NULL;
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
			bool open = ev->type == PPME_SYSCALL_OPEN_X;
			const char *ename = enter_name(have_enter ? &en : NULL, open ? 2 : 1, 0);

			name = param_path(ev, 1);
			flags = open ? (uint32_t)event_uint(ev, 2, 0) : 0;
			dev = (uint32_t)event_uint(ev, open ? 4 : 3, 0);
			if (ename) { /* the enter's name and flags (creat: none) */
				name = ename;
				flags = open ? (uint32_t)event_uint(&en, 1, 0) : 0;
			}
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
			const char *ename = enter_name(have_enter ? &en : NULL, 3, 1);

			dirfd = event_int(ev, 1, EVENT_AT_FDCWD);
			name = param_path(ev, 2);
			flags = (uint32_t)event_uint(ev, 3, 0);
			dev = ev->type == PPME_SYSCALL_OPENAT_2_X ? (uint32_t)event_uint(ev, 5, 0) : 0;
			if (ename) { /* the enter's dirfd, name and flags */
				dirfd = event_int(&en, 0, EVENT_AT_FDCWD);
				name = ename;
				flags = (uint32_t)event_uint(&en, 2, 0);
			}
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
	{
		const char *dir = base_dir(s, t, dirfd);

		/*
		 * sysdig appends '/' to a dir fd's name even when it ends in one, and
		 * copies that part unfolded: a name relative to "/" reads "//name".
		 */
		if (!strcmp(dir, "//") && name[0] != '/') {
			state_concat_path(&s->tmp, "/", name);
			if (s->tmp.len && s->tmp.data[0] == '/' && strcmp(sbuf_cstr(&s->tmp), "/") != 0) {
				sbuf_reset(&s->tmp2);
				sbuf_putc(&s->tmp2, '/');
				sbuf_puts(&s->tmp2, sbuf_cstr(&s->tmp));
				sbuf_reset(&s->tmp);
				sbuf_puts(&s->tmp, sbuf_cstr(&s->tmp2));
			}
		} else {
			state_concat_path(&s->tmp, dir, name);
		}
	}
	cx->fdinfo = state_fd_add(state_thread_fds(s, t), fd, &f, sbuf_cstr(&s->tmp), s->num);
	t->last_fd = fd;
}

static void add_simple_fd(struct state *s, struct evctx *cx, int64_t fd, uint8_t type, const char *name)
{
	struct fdinfo f;

	if (fd < 0)
		return;
	memset(&f, 0, sizeof(f));
	f.type = type;
	cx->fdinfo = state_fd_add(state_thread_fds(s, cx->thread), fd, &f, name, s->num);
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
	cx->fdinfo = state_fd_add(state_thread_fds(s, cx->thread), fd, &f, "", s->num);
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
	state_fd_set_name(f, b->data, b->len, s->num);
	return true;
}

/* sysdig names a unix socket after the path it connects to, at the enter. */
static void parse_connect_enter(struct state *s, struct evctx *cx)
{
	const struct event *ev = cx->ev;
	struct fdinfo *f;

	if (!event_has(ev, 1) || ev->vlen[1] < 2 || ev->val[1][0] != 1 || ev->vlen[0] != 8)
		return;
	f = state_get_fd(s, cx->thread, event_int(ev, 0, -1));
	if (f && f->type == SCAP_FD_UNIX_SOCK)
		state_fd_set_name(f, (const char *)ev->val[1] + 1,
		                  strnlen((const char *)ev->val[1] + 1, ev->vlen[1] - 1), s->num);
}

/*
 * sysdig's update of a socket's addresses from an I/O tuple: the source
 * end always, the destination end where it is still unset; false when the
 * tuple is the socket's pair already (either way round).
 */
static bool update_pair(struct fdinfo *f, const uint8_t *sip, uint16_t sport, const uint8_t *dip,
                        uint16_t dport, size_t alen)
{
	static const uint8_t zero[16];
	bool changed = false;

	if ((!memcmp(f->sip, sip, alen) && f->sport == sport && !memcmp(f->dip, dip, alen) &&
	     f->dport == dport) ||
	    (!memcmp(f->sip, dip, alen) && f->sport == dport && !memcmp(f->dip, sip, alen) &&
	     f->dport == sport))
		return false;
	if (memcmp(f->sip, sip, alen) != 0 || f->sport != sport) {
		memcpy(f->sip, sip, alen);
		f->sport = sport;
		changed = true;
	}
	if (!memcmp(f->dip, zero, alen)) {
		memcpy(f->dip, dip, alen);
		changed = true;
	}
	if (f->dport == 0) {
		f->dport = dport;
		changed = true;
	}
	return changed;
}

/*
 * A connect's IP tuple, as sysdig applies it: the pair updated (the
 * source end, and the destination end where unset), a UDP server's pair
 * turned, the name made again. False for other families.
 */
static bool connect_tuple(struct state *s, struct fdinfo *f, const uint8_t *p, uint32_t n)
{
	bool mapped = p[0] == 10 && n == 37 && state_ipv4_mapped(p + 1) && state_ipv4_mapped(p + 19);
	bool changed;

	if (mapped || (p[0] == 2 && n == 13)) {
		if (f->type != SCAP_FD_IPV4_SOCK || f->v6) {
			memset(f->sip, 0, sizeof(f->sip));
			memset(f->dip, 0, sizeof(f->dip));
		}
		f->type = SCAP_FD_IPV4_SOCK;
		f->v6 = false;
		changed = mapped ? update_pair(f, p + 13, load_u16(p + 17), p + 31, load_u16(p + 35), 4)
		                 : update_pair(f, p + 1, load_u16(p + 5), p + 7, load_u16(p + 11), 4);
	} else if (p[0] == 10 && n == 37) {
		f->type = SCAP_FD_IPV6_SOCK;
		f->v6 = true;
		changed = update_pair(f, p + 1, load_u16(p + 17), p + 19, load_u16(p + 35), 16);
	} else {
		return false;
	}
	if (changed && f->role == STATE_ROLE_SERVER && f->l4proto == SCAP_L4_UDP && !f->v6)
		state_fd_swap_ends(f);
	sbuf_reset(&s->tmp);
	if (f->v6)
		state_fmt_ipv6_tuple(&s->tmp, f->sip, f->sport, f->dip, f->dport);
	else
		state_fmt_ipv4_tuple(&s->tmp, f->sip, f->sport, f->dip, f->dport);
	state_fd_set_name(f, s->tmp.data, s->tmp.len, s->num);
	return true;
}

static void parse_connect_exit(struct state *s, struct evctx *cx)
{
	const struct event *ev = cx->ev;
	int64_t res = event_int(ev, 0, 0);
	struct fdinfo *f = cx->fdinfo;

	if (!f || (res < 0 && res != -115))
		return;
	f->connected = true;
	if (!event_has(ev, 1) || ev->vlen[1] == 0)
		return;
	if (!connect_tuple(s, f, ev->val[1], ev->vlen[1]))
		apply_tuple(s, f, ev->val[1], ev->vlen[1], STATE_ROLE_NONE);
	if (f->role == STATE_ROLE_NONE)
		f->role = STATE_ROLE_CLIENT;
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
	nf = state_fd_add(state_thread_fds(s, cx->thread), fd, &f, "", s->num);
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
	struct fdinfo *f = cx->fdinfo;
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
			f->role = STATE_ROLE_SERVER;
			memcpy(f->sip, p + 1, 4);
			f->sport = port;
		}
	} else if (p[0] == 10 && ev->vlen[1] == 19) {
		uint16_t port = load_u16(p + 17);

		state_fmt_ipv6_addr(b, p + 1, port);
		if (port > 0 && state_ipv4_mapped(p + 1)) { /* as sysdig: a v4 listener */
			f->type = SCAP_FD_IPV4_SERVSOCK;
			f->v6 = false;
			memset(f->sip, 0, sizeof(f->sip));
			memcpy(f->sip, p + 13, 4);
		} else if (port > 0) {
			f->type = SCAP_FD_IPV6_SERVSOCK;
			memcpy(f->sip, p + 1, 16);
		}
		if (port > 0) {
			f->role = STATE_ROLE_SERVER;
			f->sport = port;
		}
	} else if (p[0] == 1) {
		sbuf_put(b, p + 1, strnlen((const char *)p + 1, ev->vlen[1] - 1));
	} else {
		return;
	}
	state_fd_set_name(f, b->data, b->len, s->num);
}

/*
 * A listening socket that an IPv4 tuple turns into a connection, as sysdig
 * reads it: its address and the pair share one union, so the pair starts as
 * the bytes of the listening end (a v4 one: its address, then its port and
 * protocol read as the destination address; a v6 one: its address's bytes).
 */
static void servsock_as_pair(struct fdinfo *f)
{
	uint8_t u[16] = { 0 };

	if (f->type == SCAP_FD_IPV4_SERVSOCK) {
		memcpy(u, f->sip, 4);
		u[4] = (uint8_t)(f->sport & 0xff);
		u[5] = (uint8_t)(f->sport >> 8);
		u[6] = f->l4proto;
	} else {
		memcpy(u, f->sip, 16);
		f->l4proto = u[12];
	}
	memset(f->sip, 0, sizeof(f->sip));
	memset(f->dip, 0, sizeof(f->dip));
	memcpy(f->sip, u, 4);
	memcpy(f->dip, u + 4, 4);
	f->sport = (uint16_t)(u[8] | u[9] << 8);
	f->dport = (uint16_t)(u[10] | u[11] << 8);
}

/*
 * The I/O tuple on a socket that already has a role, or on a listening
 * socket (a UDP server's receive), as sysdig's parser applies it: the
 * pair is updated, a socket still without a role takes one by direction,
 * and the pair is turned so that it reads client->server.
 */
static void io_tuple_sysdig(struct state *s, struct fdinfo *f, const uint8_t *p, uint32_t n, bool outbound)
{
	struct sbuf *b = &s->tmp;
	bool mapped = p[0] == 10 && n == 37 && state_ipv4_mapped(p + 1) && state_ipv4_mapped(p + 19);
	bool v4 = p[0] == 2 && n == 13;

	if (v4 || mapped) {
		if (f->type == SCAP_FD_IPV4_SERVSOCK || f->type == SCAP_FD_IPV6_SERVSOCK)
			servsock_as_pair(f);
		else if (f->type != SCAP_FD_IPV4_SOCK) {
			memset(f->sip, 0, sizeof(f->sip));
			memset(f->dip, 0, sizeof(f->dip));
			f->sport = f->dport = 0;
		}
		f->type = SCAP_FD_IPV4_SOCK;
		f->v6 = false;
		if (!(v4 ? update_pair(f, p + 1, load_u16(p + 5), p + 7, load_u16(p + 11), 4)
		         : update_pair(f, p + 13, load_u16(p + 17), p + 31, load_u16(p + 35), 4)))
			return;
	} else if (p[0] == 10 && n == 37 && f->type == SCAP_FD_IPV6_SOCK) {
		if (!update_pair(f, p + 1, load_u16(p + 17), p + 19, load_u16(p + 35), 16))
			return;
	} else {
		return;
	}
	if (f->l4proto == SCAP_L4_UNKNOWN)
		f->l4proto = SCAP_L4_UDP;
	if (f->role == STATE_ROLE_NONE)
		f->role = outbound ? STATE_ROLE_CLIENT : STATE_ROLE_SERVER;
	if (f->role == (outbound ? STATE_ROLE_SERVER : STATE_ROLE_CLIENT))
		state_fd_swap_ends(f);
	sbuf_reset(b);
	if (f->v6)
		state_fmt_ipv6_tuple(b, f->sip, f->sport, f->dip, f->dport);
	else
		state_fmt_ipv4_tuple(b, f->sip, f->sport, f->dip, f->dport);
	state_fd_set_name(f, b->data, b->len, s->num);
}

/* A socket made in the capture with no address yet (and so no role). */
static bool fresh_socket(const struct fdinfo *f)
{
	static const uint8_t zero[16];

	return (f->type == SCAP_FD_IPV4_SOCK || f->type == SCAP_FD_IPV6_SOCK) && f->role == STATE_ROLE_NONE &&
	       !memcmp(f->sip, zero, 16) && !memcmp(f->dip, zero, 16) && !f->sport && !f->dport;
}

/*
 * sendto/sendmsg enter or recvfrom/recvmsg exit carrying a tuple: sysdig
 * applies it to a socket that has no name yet or is not a TCP/IPv4 one.
 */
static void parse_io_tuple(struct state *s, struct evctx *cx, const struct event *ev, uint32_t i,
                           bool outbound)
{
	struct fdinfo *f = cx->fdinfo;

	if (!f || !event_has(ev, i) || ev->vlen[i] == 0)
		return;
	if (f->name_len && f->type == SCAP_FD_IPV4_SOCK && f->l4proto == SCAP_L4_TCP)
		return;
	if (!fresh_socket(f)) {
		if (f->type == SCAP_FD_IPV4_SOCK || f->type == SCAP_FD_IPV6_SOCK ||
		    f->type == SCAP_FD_IPV4_SERVSOCK || f->type == SCAP_FD_IPV6_SERVSOCK)
			io_tuple_sysdig(s, f, ev->val[i], ev->vlen[i], outbound);
		return;
	}
	if (ev->vlen[i] == 37 && ev->val[i][0] == 10) {
		static const uint8_t zero[16];
		uint8_t t[37];

		memcpy(t, ev->val[i], 37);
		if (outbound && !memcmp(t + 1, zero, 16))
			memcpy(t + 1, t + 19, 16);
		apply_tuple(s, f, t, 37, outbound ? STATE_ROLE_CLIENT : STATE_ROLE_SERVER);
		return;
	}
	apply_tuple(s, f, ev->val[i], ev->vlen[i], outbound ? STATE_ROLE_CLIENT : STATE_ROLE_SERVER);
}

/* The fd leaves the table now but stays readable until the next event, as the
 * closing event itself still describes it (fd.name of "< close"). */
static void parse_close_exit(struct state *s, struct evctx *cx)
{
	/* no fd found for it (an exit whose enter is not the thread's last event): nothing closes */
	if (event_int(cx->ev, 0, -1) < 0 || !cx->fdinfo)
		return;
	s->closed_fd = i64map_del(&state_thread_fds(s, cx->thread)->map, cx->thread->last_fd);
}

/* fd `to` becomes a copy of the event's fd (none when the exit does not follow its enter). */
static void dup_fd(struct state *s, struct evctx *cx, int64_t to)
{
	struct fdinfo *f = cx->fdinfo;

	if (!f || to < 0 || f == state_get_fd(s, cx->thread, to))
		return;
	/* a copy: its name did not change here (fd.name_changed); the thread is now about it */
	cx->fdinfo = state_fd_add(state_thread_fds(s, cx->thread), to, f, f->name, f->named_at);
	cx->thread->last_fd = to;
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
	state_fd_add(state_thread_fds(s, cx->thread), event_int(ev, 1, -1), &f, "", s->num);
	cx->fdinfo = state_fd_add(state_thread_fds(s, cx->thread), event_int(ev, 2, -1), &f, "", s->num);
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
	state_fd_add(state_thread_fds(s, cx->thread), event_int(ev, 1, -1), &f, "", s->num);
	cx->fdinfo = state_fd_add(state_thread_fds(s, cx->thread), event_int(ev, 2, -1), &f, "", s->num);
	cx->thread->last_fd = event_int(ev, 2, -1);
}

/* The index of parameter k in ev's version of its event, or -1. */
static int param_index(const struct event *ev, enum pkey k)
{
	return ev->type < EVENT_MAX ? state_param_idx[ev->type][k] : -1;
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
void state_thread_set_mem(struct thread *t, const struct event *ev)
{
	t->vmsize_kb = (uint32_t)stat_val(ev, P_VM_SIZE, t->vmsize_kb);
	t->vmrss_kb = (uint32_t)stat_val(ev, P_VM_RSS, t->vmrss_kb);
	t->vmswap_kb = (uint32_t)stat_val(ev, P_VM_SWAP, t->vmswap_kb);
}

void state_thread_set_faults(struct thread *t, const struct event *ev)
{
	t->pfmajor = stat_val(ev, P_PGFT_MAJ, t->pfmajor);
	t->pfminor = stat_val(ev, P_PGFT_MIN, t->pfminor);
}

static void thread_set_stats(struct thread *t, const struct event *ev)
{
	state_thread_set_mem(t, ev);
	state_thread_set_faults(t, ev);
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

void state_parse_clone_exit(struct state *s, struct evctx *cx)
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
	child = state_thread_alloc(s, child_tid);
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
	child->exe = state_dupz(event_str(ev, 1, ""));
	state_set_comm(child, comm >= 0 ? event_str(ev, (uint32_t)comm, "") : child->exe);
	str = list_param(ev, P_ARGS, &n);
	state_thread_set_list(&child->args, &child->args_len, str, n);
	if (parent && (flags & CL_CLONE_THREAD)) {
		child->cwd = state_dupz(state_thread_cwd(s, parent));
	} else {
		/*
		 * The event's cwd joined to the parent's, as sysdig does: a driver
		 * that leaves it empty (ours) lets the child inherit the parent's.
		 */
		state_concat_path(&s->tmp, parent ? state_thread_cwd(s, parent) : "", event_str(ev, 6, ""));
		if (!s->tmp.len || s->tmp.data[s->tmp.len - 1] != '/')
			sbuf_putc(&s->tmp, '/');
		child->cwd = xmalloc(s->tmp.len + 1);
		memcpy(child->cwd, s->tmp.data, s->tmp.len);
		child->cwd[s->tmp.len] = 0;
	}
	child->fdlimit = event_int(ev, 7, 0);
	str = list_param(ev, P_CGROUPS, &n);
	state_thread_set_cgroups(child, str, n, parent);
	if (parent) {
		child->exepath = state_dupz(parent->exepath);
		child->root = state_dupz(parent->root);
		state_thread_set_list(&child->env, &child->env_len, parent->env, parent->env_len);
		child->loginuid = parent->loginuid;
		child->sid = parent->sid;
		child->vpgid = parent->vpgid;
		if (!(flags & CL_CLONE_THREAD)) {
			state_fdtable_free(child->fds);
			child->fds = state_fdtable_copy(state_thread_fds(s, parent));
		}
	} else {
		child->exepath = state_dupz("");
		child->root = state_dupz("");
		child->env = state_dupz("");
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
	state_put_thread(s, child);
	if (res == 0)
		cx->thread = child;
}

void state_parse_execve_exit(struct state *s, struct evctx *cx)
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
	state_set_str(&t->exe, str, strlen(str));
	str = list_param(ev, P_ARGS, &n);
	state_thread_set_list(&t->args, &t->args_len, str, n);
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
	state_set_comm(t, str);
	if (param_index(ev, P_CGROUPS) >= 0) {
		str = list_param(ev, P_CGROUPS, &n);
		state_thread_set_cgroups(t, str, n, t);
	}
	if (param_index(ev, P_ENV) >= 0) {
		str = list_param(ev, P_ENV, &n);
		state_thread_set_list(&t->env, &t->env_len, str, n);
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
		state_concat_path(&s->tmp, state_thread_cwd(s, t), event_str(&en, 0, ""));
		state_set_str(&t->exepath, s->tmp.data, s->tmp.len);
	} else if (enter_event(t, PPME_SYSCALL_EXECVEAT_E, &en) && event_str(&en, 1, NULL)) {
		state_concat_path(&s->tmp, base_dir(s, t, event_int(&en, 0, EVENT_AT_FDCWD)),
		                  event_str(&en, 1, ""));
		state_set_str(&t->exepath, s->tmp.data, s->tmp.len);
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
	state_set_str(&m->cwd, s->tmp.data, s->tmp.len);
}

static void parse_fchdir_exit(struct state *s, struct evctx *cx)
{
	struct thread *m = state_main_thread(s, cx->thread);
	struct fdinfo *f = cx->fdinfo;

	if (event_int(cx->ev, 0, -1) < 0 || !f)
		return;
	sbuf_reset(&s->tmp);
	sbuf_puts(&s->tmp, f->name);
	if (!s->tmp.len || s->tmp.data[s->tmp.len - 1] != '/')
		sbuf_putc(&s->tmp, '/');
	state_set_str(&m->cwd, s->tmp.data, s->tmp.len);
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

/* ---- the parsers by event code ---- */

/* open, creat, openat (old and new), openat2: also without their enter when the exit has the path */
static void parse_open_any_exit(struct state *s, struct evctx *cx)
{
	if (cx->thread->last_valid || cx->ev->nvals > 1)
		parse_open_exit(s, cx);
}

static void parse_socket_any_exit(struct state *s, struct evctx *cx)
{
	if (cx->thread->last_valid)
		parse_socket_exit(s, cx);
}

/* Any read or write exit: as sysdig, a socket that moved data is connected. */
static void parse_rw_exit(struct state *s, struct evctx *cx)
{
	struct fdinfo *f = cx->fdinfo;

	(void)s;
	if (f && event_int(cx->ev, 0, -1) >= 0 &&
	    (f->type == SCAP_FD_IPV4_SOCK || f->type == SCAP_FD_IPV6_SOCK))
		f->connected = true;
}

/* sendto, sendmsg: the address is in the enter event */
static void parse_send_exit(struct state *s, struct evctx *cx)
{
	struct event en;

	parse_rw_exit(s, cx);
	if (enter_event(cx->thread, cx->ev->type - 1, &en))
		parse_io_tuple(s, cx, &en, 2, true);
}

static void parse_recvfrom_exit(struct state *s, struct evctx *cx)
{
	parse_rw_exit(s, cx);
	parse_io_tuple(s, cx, cx->ev, 2, false);
}

static void parse_recvmsg_exit(struct state *s, struct evctx *cx)
{
	parse_rw_exit(s, cx);
	parse_io_tuple(s, cx, cx->ev, 3, false);
}

static void parse_dup_exit(struct state *s, struct evctx *cx)
{
	dup_fd(s, cx, event_int(cx->ev, 0, -1));
}

static void parse_fcntl_exit(struct state *s, struct evctx *cx)
{
	struct thread *t = cx->thread;
	struct event en;

	if (enter_event(t, PPME_SYSCALL_FCNTL_E, &en)) {
		uint64_t cmd = event_uint(&en, 1, 0);

		if (cmd == PPM_FCNTL_F_DUPFD || cmd == PPM_FCNTL_F_DUPFD_CLOEXEC)
			dup_fd(s, cx, event_int(cx->ev, 0, -1));
	}
}

static void parse_eventfd_exit(struct state *s, struct evctx *cx)
{
	add_simple_fd(s, cx, event_int(cx->ev, 0, -1), SCAP_FD_EVENT, "");
}

static void parse_signalfd_exit(struct state *s, struct evctx *cx)
{
	add_simple_fd(s, cx, event_int(cx->ev, 0, -1), SCAP_FD_SIGNALFD, "");
}

static void parse_timerfd_create_exit(struct state *s, struct evctx *cx)
{
	add_simple_fd(s, cx, event_int(cx->ev, 0, -1), SCAP_FD_TIMERFD, "");
}

static void parse_inotify_init_exit(struct state *s, struct evctx *cx)
{
	add_simple_fd(s, cx, event_int(cx->ev, 0, -1), SCAP_FD_INOTIFY, "");
}

static void parse_setuid_exit(struct state *s, struct evctx *cx)
{
	parse_setid_exit(s, cx, false);
}

static void parse_setgid_exit(struct state *s, struct evctx *cx)
{
	parse_setid_exit(s, cx, true);
}

static void parse_setresuid_exit(struct state *s, struct evctx *cx)
{
	parse_setresid_exit(s, cx, false);
}

static void parse_setresgid_exit(struct state *s, struct evctx *cx)
{
	parse_setresid_exit(s, cx, true);
}

/* the thread goes at the next event, once this one has been shown with it */
static void parse_procexit(struct state *s, struct evctx *cx)
{
	s->tid_to_remove = cx->ev->tid;
}

const state_parse_fn state_parsers[EVENT_MAX] = {
	[PPME_SYSCALL_OPEN_X] = parse_open_any_exit,
	[PPME_SYSCALL_CREAT_X] = parse_open_any_exit,
	[PPME_SYSCALL_OPENAT_X] = parse_open_any_exit,
	[PPME_SYSCALL_OPENAT_2_X] = parse_open_any_exit,
	[PPME_SYSCALL_OPENAT2_X] = parse_open_any_exit,
	[PPME_SOCKET_SOCKET_X] = parse_socket_any_exit,
	[PPME_SOCKET_BIND_X] = parse_bind_exit,
	[PPME_SOCKET_CONNECT_E] = parse_connect_enter,
	[PPME_SOCKET_CONNECT_X] = parse_connect_exit,
	[PPME_SOCKET_SOCKETPAIR_X] = parse_socketpair_exit,
	[PPME_SOCKET_ACCEPT_X] = parse_accept_exit,
	[PPME_SOCKET_ACCEPT4_X] = parse_accept_exit,
	[PPME_SOCKET_ACCEPT_5_X] = parse_accept_exit,
	[PPME_SOCKET_ACCEPT4_5_X] = parse_accept_exit,
	[PPME_SYSCALL_READ_X] = parse_rw_exit,
	[PPME_SYSCALL_WRITE_X] = parse_rw_exit,
	[PPME_SOCKET_RECV_X] = parse_rw_exit,
	[PPME_SOCKET_SEND_X] = parse_rw_exit,
	[PPME_SYSCALL_READV_X] = parse_rw_exit,
	[PPME_SYSCALL_WRITEV_X] = parse_rw_exit,
	[PPME_SYSCALL_PREAD_X] = parse_rw_exit,
	[PPME_SYSCALL_PWRITE_X] = parse_rw_exit,
	[PPME_SYSCALL_PREADV_X] = parse_rw_exit,
	[PPME_SYSCALL_PWRITEV_X] = parse_rw_exit,
	[PPME_SOCKET_SENDTO_X] = parse_send_exit,
	[PPME_SOCKET_SENDMSG_X] = parse_send_exit,
	[PPME_SOCKET_RECVFROM_X] = parse_recvfrom_exit,
	[PPME_SOCKET_RECVMSG_X] = parse_recvmsg_exit,
	[PPME_SYSCALL_CLOSE_X] = parse_close_exit,
	[PPME_SYSCALL_DUP_X] = parse_dup_exit,
	[PPME_SYSCALL_FCNTL_X] = parse_fcntl_exit,
	[PPME_SYSCALL_PIPE_X] = parse_pipe_exit,
	[PPME_SYSCALL_EVENTFD_X] = parse_eventfd_exit,
	[PPME_SYSCALL_SIGNALFD_X] = parse_signalfd_exit,
	[PPME_SYSCALL_TIMERFD_CREATE_X] = parse_timerfd_create_exit,
	[PPME_SYSCALL_INOTIFY_INIT_X] = parse_inotify_init_exit,
	[PPME_SYSCALL_CHDIR_X] = parse_chdir_exit,
	[PPME_SYSCALL_FCHDIR_X] = parse_fchdir_exit,
	[PPME_SYSCALL_SETUID_X] = parse_setuid_exit,
	[PPME_SYSCALL_SETGID_X] = parse_setgid_exit,
	[PPME_SYSCALL_SETRESUID_X] = parse_setresuid_exit,
	[PPME_SYSCALL_SETRESGID_X] = parse_setresgid_exit,
	[PPME_PROCEXIT_1_E] = parse_procexit,
	[PPME_PROCEXIT_E] = parse_procexit,
};
