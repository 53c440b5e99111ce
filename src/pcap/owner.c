/* owner: the text naming a packet's process, as written and as parsed back (pcap.h). */
#include "pcap_int.h"

#include <string.h>

/* Bytes that would break the text apart (separators) or that readers may not show. */
static bool must_escape(unsigned char c)
{
	return c <= ' ' || c == 0x7f || c == '%' || c == ';' || c == '=';
}

/* Append s, at most PCAP_OWNER_FIELD_MAX bytes of it, escaped: whole UTF-8 characters pass. */
static void put_escaped(struct sbuf *b, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	const unsigned char *p = (const unsigned char *)s;
	size_t n = strnlen(s, PCAP_OWNER_FIELD_MAX);

	for (size_t i = 0; i < n;) {
		uint32_t cp;
		size_t k = p[i] < 0x80 ? 1 : utf8_decode(p + i, n - i, &cp);

		if (k > 1 || (k == 1 && !must_escape(p[i]))) {
			sbuf_put(b, p + i, k);
			i += k;
			continue;
		}
		sbuf_putc(b, '%');
		sbuf_putc(b, hex[p[i] >> 4]);
		sbuf_putc(b, hex[p[i] & 15]);
		i++;
	}
}

void pcap_owner_format(struct sbuf *b, const struct pcap_owner *o, char sep)
{
	sbuf_puts(b, "pid=");
	sbuf_i64(b, o->pid);
	sbuf_putc(b, sep);
	sbuf_puts(b, "tid=");
	sbuf_i64(b, o->tid);
	if (o->comm && *o->comm) {
		sbuf_putc(b, sep);
		sbuf_puts(b, "comm=");
		put_escaped(b, o->comm);
	}
	if (o->container && *o->container) {
		sbuf_putc(b, sep);
		sbuf_puts(b, "container=");
		put_escaped(b, o->container);
	}
	if (o->fd >= 0) {
		sbuf_putc(b, sep);
		sbuf_puts(b, "fd=");
		sbuf_i64(b, o->fd);
	}
}

/* A decimal int64 filling n bytes at s (an optional '-', 1 to 19 digits). */
static bool parse_i64(const char *s, size_t n, int64_t *v)
{
	bool neg = n && s[0] == '-';
	uint64_t x = 0;

	if (n == (size_t)neg || n - neg > 19)
		return false;
	for (size_t i = neg; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		x = x * 10 + (uint64_t)(s[i] - '0');
	}
	if (x > (uint64_t)INT64_MAX + neg)
		return false;
	*v = neg ? -(int64_t)(x - 1) - 1 : (int64_t)x;
	return true;
}

static int hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* Unescape n bytes at s to out, NUL-terminated; false for a cut or bad escape, or %00. */
static bool unescape(const char *s, size_t n, char *out)
{
	for (size_t i = 0; i < n; i++) {
		int hi, lo;

		if (s[i] != '%') {
			*out++ = s[i];
			continue;
		}
		if (n - i < 3 || (hi = hex_value(s[i + 1])) < 0 || (lo = hex_value(s[i + 2])) < 0 ||
		    (hi | lo) == 0)
			return false;
		*out++ = (char)(hi << 4 | lo);
		i += 2;
	}
	*out = '\0';
	return true;
}

/* One "key=value" field of n bytes at f into o; false when it is malformed. */
static bool parse_field(const char *f, size_t n, struct pcap_owner *o, char **out, unsigned *seen)
{
	const char *eq = memchr(f, '=', n);
	size_t klen, vlen;
	const char *v;

	if (!eq)
		return false;
	klen = (size_t)(eq - f);
	v = eq + 1;
	vlen = n - klen - 1;
	if (klen == 3 && !memcmp(f, "pid", 3)) {
		*seen |= 1;
		return parse_i64(v, vlen, &o->pid);
	}
	if (klen == 3 && !memcmp(f, "tid", 3)) {
		*seen |= 2;
		return parse_i64(v, vlen, &o->tid);
	}
	if (klen == 2 && !memcmp(f, "fd", 2))
		return parse_i64(v, vlen, &o->fd);
	if ((klen == 4 && !memcmp(f, "comm", 4)) || (klen == 9 && !memcmp(f, "container", 9))) {
		if (!unescape(v, vlen, *out))
			return false;
		if (klen == 4)
			o->comm = *out;
		else
			o->container = *out;
		*out += strlen(*out) + 1;
	}
	return true; /* a key of a later version */
}

bool pcap_owner_parse(const char *s, size_t n, struct pcap_owner *o, char *out)
{
	unsigned seen = 0;

	*o = (struct pcap_owner){ .comm = "", .container = "", .fd = -1 };
	for (size_t i = 0; i < n;) {
		const char *f = s + i;
		const char *semi = memchr(f, ';', n - i);
		size_t flen = semi ? (size_t)(semi - f) : n - i;

		if (!parse_field(f, flen, o, &out, &seen))
			return false;
		i += flen + 1;
	}
	return seen == 3;
}
