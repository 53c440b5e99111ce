/* fields_fd: the fd fields (number, name, directory, type, addresses, ports, roles, devices) and fdlist. */
#include "extract.h"

#include <arpa/inet.h>
#include <string.h>

EXTRACTOR(x_fd_num)
{
	if (!f->cx->has_fd || !thr(f))
		return false;
	sbuf_i64(o, f->cx->fd);
	return true;
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
	if (i == 2) {
		/* openat's path is always joined to its directory, an absolute one folded too */
		const char *name = event_str(ev, 2, NULL);

		if (name && name[0] == '/') {
			sbuf_puts(o, state_concat_path(sbuf_scratch(SCRATCH_ABSPATH), "", name));
			return true;
		}
	}
	put_param_resolved(f, (uint32_t)i, o);
	return true;
}

EXTRACTOR(x_fd_name)
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

EXTRACTOR(x_fd_directory)
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

EXTRACTOR(x_fd_filename)
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

EXTRACTOR(x_fd_type)
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

void maker_typechars(void)
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

char typechar_of_maker(uint16_t type)
{
	return type < EVENT_MAX ? maker_typechar[type] : 'o';
}

EXTRACTOR(x_fd_typechar)
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

static const struct fdinfo *fd_of(const struct fctx *f)
{
	return f->cx->has_fd && thr(f) ? f->cx->fdinfo : NULL;
}

static bool is_sock(const struct fdinfo *fi)
{
	return fi && (fi->type == SCAP_FD_IPV4_SOCK || fi->type == SCAP_FD_IPV6_SOCK);
}

static bool is_servsock(const struct fdinfo *fi)
{
	return fi && (fi->type == SCAP_FD_IPV4_SERVSOCK || fi->type == SCAP_FD_IPV6_SERVSOCK);
}

static void put_ip(struct sbuf *o, const uint8_t *ip, bool v6)
{
	char tmp[INET6_ADDRSTRLEN];

	if (v6 && state_ipv4_mapped(ip)) {
		ip += 12;
		v6 = false;
	}
	inet_ntop(v6 ? AF_INET6 : AF_INET, ip, tmp, sizeof(tmp));
	sbuf_puts(o, tmp);
}

/* Which side of a connection: 'c' client, 's' server, 'l' local, 'r' remote. */
static bool side_is_client(struct state *st, const struct fdinfo *fi, char side, bool *client)
{
	switch (side) {
	case 'c':
		*client = true;
		return true;
	case 's':
		*client = false;
		return true;
	default:
		/* sysdig: the client end is the local one when its address is this host's */
		*client = state_ip_is_local(st, fi->sip, fi->v6) == (side == 'l');
		return true;
	}
}

/*
 * One end of the event's socket: its address (NULL for a listening socket's
 * client end, whose port sysdig gives as 0) and port. False when there is none.
 */
static bool side_end(const struct fctx *f, char side, const uint8_t **ip, uint16_t *port)
{
	const struct fdinfo *fi = fd_of(f);
	bool client;

	if (side == 'C' || side == 'S') {
		/* fd.ip, fd.port, fd.proto (either end): sysdig compares the stored
		 * pair whatever the role; a listening socket has its own end only */
		if (is_servsock(fi)) {
			*ip = side == 'S' ? fi->sip : NULL;
			*port = fi->sport;
			return true;
		}
		if (!is_sock(fi))
			return false;
		*ip = side == 'C' ? fi->sip : fi->dip;
		*port = side == 'C' ? fi->sport : fi->dport;
		return true;
	}
	if (is_servsock(fi) && (side == 's' || side == 'c')) {
		/* one listed by the capture's head has no role: sysdig gives its port alone */
		if (side == 'c' && fi->role == STATE_ROLE_NONE)
			return false;
		*ip = side == 's' && fi->role != STATE_ROLE_NONE ? fi->sip : NULL;
		*port = side == 's' ? fi->sport : 0;
		return true;
	}
	if (!is_sock(fi) || fi->role == STATE_ROLE_NONE || !side_is_client(f->st, fi, side, &client))
		return false;
	*ip = client ? fi->sip : fi->dip;
	*port = client ? fi->sport : fi->dport;
	return true;
}

static bool put_side_ip(const struct fctx *f, struct sbuf *o, char side)
{
	const uint8_t *ip;
	uint16_t port;

	if (!side_end(f, side, &ip, &port) || !ip)
		return false;
	put_ip(o, ip, fd_of(f)->v6);
	return true;
}

static bool put_side_port(const struct fctx *f, struct sbuf *o, char side)
{
	const uint8_t *ip;
	uint16_t port;

	if (!side_end(f, side, &ip, &port))
		return false;
	sbuf_u64(o, port);
	return true;
}

/* fd.*proto: the port, as text; nothing for a listening socket. */
static bool put_side_proto(const struct fctx *f, struct sbuf *o, char side)
{
	if (is_servsock(fd_of(f)) && (side == 'c' || side == 's'))
		return side == 's' || fd_of(f)->role != STATE_ROLE_NONE;
	if (is_servsock(fd_of(f)) && (side == 'C' || side == 'S'))
		return true;
	return put_side_port(f, o, side);
}

/*
 * fd.KIND (filters: either end, argn 0 client and 1 server), and fd.cKIND,
 * fd.sKIND, fd.lKIND, fd.rKIND: the client, server, local and remote end.
 */
#define SIDE_FIELDS(kind)                                          \
	EXTRACTOR(x_fd_##kind)                                     \
	{                                                          \
		return put_side_##kind(f, o, f->argn ? 'S' : 'C'); \
	}                                                          \
	EXTRACTOR(x_fd_c##kind)                                    \
	{                                                          \
		return put_side_##kind(f, o, 'c');                 \
	}                                                          \
	EXTRACTOR(x_fd_s##kind)                                    \
	{                                                          \
		return put_side_##kind(f, o, 's');                 \
	}                                                          \
	EXTRACTOR(x_fd_l##kind)                                    \
	{                                                          \
		return put_side_##kind(f, o, 'l');                 \
	}                                                          \
	EXTRACTOR(x_fd_r##kind)                                    \
	{                                                          \
		return put_side_##kind(f, o, 'r');                 \
	}

SIDE_FIELDS(ip)
SIDE_FIELDS(port)
SIDE_FIELDS(proto)

EXTRACTOR(x_fd_l4proto)
{
	const struct fdinfo *fi = fd_of(f);
	static const char *const names[] = {
		[SCAP_L4_TCP] = "tcp", [SCAP_L4_UDP] = "udp", [SCAP_L4_ICMP] = "icmp", [SCAP_L4_RAW] = "raw"
	};
	uint8_t p;

	if (!is_sock(fi) && !is_servsock(fi))
		return false;
	p = state_fd_l4proto(fi);
	if (p >= ARRAY_SIZE(names) || !names[p])
		return false;
	sbuf_puts(o, names[p]);
	return true;
}

EXTRACTOR(x_fd_sockfamily)
{
	const struct fdinfo *fi = fd_of(f);

	if (is_sock(fi) || is_servsock(fi))
		sbuf_puts(o, "ip");
	else if (fi && fi->type == SCAP_FD_UNIX_SOCK)
		sbuf_puts(o, "unix");
	else
		return false;
	return true;
}

EXTRACTOR(x_fd_is_server)
{
	const struct fdinfo *fi = fd_of(f);

	if (!fi)
		return false;
	/* sysdig: the server address is this host's (state_ip_is_local) */
	if (is_servsock(fi))
		return put_bool(o, true);
	if (!is_sock(fi))
		return put_bool(o, false);
	return put_bool(o, state_ip_is_local(f->st, fi->dip, fi->v6));
}

EXTRACTOR(x_fd_uid)
{
	if (!f->cx->has_fd || !thr(f))
		return false;
	sbuf_i64(o, thr(f)->tid);
	sbuf_i64(o, f->cx->fd);
	return true;
}

static bool put_container_prefixed(const struct fctx *f, struct sbuf *o, extract_fn fn)
{
	size_t start = o->len;

	if (!thr(f))
		return false;
	sbuf_puts(o, thr(f)->container_id);
	sbuf_putc(o, ':');
	if (!fn(f, o)) {
		o->len = start;
		return false;
	}
	return true;
}

EXTRACTOR(x_fd_containername)
{
	return put_container_prefixed(f, o, x_fd_name);
}

EXTRACTOR(x_fd_containerdirectory)
{
	return put_container_prefixed(f, o, x_fd_directory);
}

EXTRACTOR(x_fd_connected)
{
	const struct fdinfo *fi = fd_of(f);

	if (!fi)
		return false;
	return put_bool(o, fi->connected);
}

EXTRACTOR(x_fd_name_changed)
{
	const struct fdinfo *fi = fd_of(f);

	if (!fi)
		return false;
	return put_bool(o, fi->named_at == f->cx->num);
}

EXTRACTOR(x_fd_dev)
{
	const struct fdinfo *fi = fd_of(f);
	char tmp[16];

	if (!fi)
		return false;
	snprintf(tmp, sizeof(tmp), "%X", fi->dev);
	sbuf_puts(o, tmp);
	return true;
}

EXTRACTOR(x_fd_dev_major)
{
	const struct fdinfo *fi = fd_of(f);

	if (!fi)
		return false;
	sbuf_u64(o, (fi->dev & 0xfff00) >> 8);
	return true;
}

EXTRACTOR(x_fd_dev_minor)
{
	const struct fdinfo *fi = fd_of(f);

	if (!fi)
		return false;
	sbuf_u64(o, (fi->dev & 0xff) | ((fi->dev >> 12) & 0xfff00));
	return true;
}

/* ---- fdlist: the fds of a poll ---- */

enum fdl_what { FDL_NUMS, FDL_NAMES, FDL_CIPS, FDL_SIPS, FDL_CPORTS, FDL_SPORTS };

static bool put_fdlist(const struct fctx *f, struct sbuf *o, enum fdl_what what)
{
	const struct event *ev = f->cx->ev;
	int i = event_param_index(ev->type, "fds");
	const uint8_t *p;
	uint32_t n;
	uint16_t count;
	bool any = false;

	if (i < 0 || !event_has(ev, (uint32_t)i) || !thr(f) ||
	    event_table[ev->type].params[i].type != PT_FDLIST)
		return false;
	p = ev->val[i];
	n = ev->vlen[i];
	if (n < 2)
		return false;
	memcpy(&count, p, 2);
	for (uint32_t k = 0; k < count && 2 + (k + 1) * 10 <= n; k++) {
		int64_t fd;
		struct fdinfo *fi;
		struct fctx sub = *f;
		struct evctx cx = *f->cx;
		size_t start = o->len;
		bool ok = true;

		memcpy(&fd, p + 2 + k * 10, 8);
		fi = state_fd(f->st, thr(f), fd);
		if (any)
			sbuf_putc(o, ',');
		switch (what) {
		case FDL_NUMS:
			sbuf_i64(o, fd);
			break;
		case FDL_NAMES:
			if (fi)
				sbuf_put(o, fi->name, fi->name_len);
			else
				ok = false;
			break;
		default:
			cx.fdinfo = fi;
			cx.fd = fd;
			cx.has_fd = true;
			sub.cx = &cx;
			ok = fi && (what == FDL_CIPS     ? put_side_ip(&sub, o, 'c')
			            : what == FDL_SIPS   ? put_side_ip(&sub, o, 's')
			            : what == FDL_CPORTS ? put_side_port(&sub, o, 'c')
			                                 : put_side_port(&sub, o, 's'));
			break;
		}
		if (!ok)
			o->len = start;
		else
			any = true;
	}
	return any;
}

EXTRACTOR(x_fdlist_nums)
{
	return put_fdlist(f, o, FDL_NUMS);
}

EXTRACTOR(x_fdlist_names)
{
	return put_fdlist(f, o, FDL_NAMES);
}

EXTRACTOR(x_fdlist_cips)
{
	return put_fdlist(f, o, FDL_CIPS);
}

EXTRACTOR(x_fdlist_sips)
{
	return put_fdlist(f, o, FDL_SIPS);
}

EXTRACTOR(x_fdlist_cports)
{
	return put_fdlist(f, o, FDL_CPORTS);
}

EXTRACTOR(x_fdlist_sports)
{
	return put_fdlist(f, o, FDL_SPORTS);
}
