/* names: fd type names, address formatting and path joining, as sysdig prints them. */
#include "state_int.h"

#include <arpa/inet.h>
#include <string.h>

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
	/* sysdig: a v4 address equal to an interface's; a v6 one in an
	 * interface's /64 (so "::" and ::1 are local where lo has ::1) */
	for (size_t i = 0; i < s->nifaddrs; i++)
		if (s->ifaddrs[i][0] == (v6 ? 16 : 4) && memcmp(s->ifaddrs[i] + 1, ip, v6 ? 8 : 4) == 0)
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
