/* writer: pcapng writer, one section in host byte order (pcap.h; draft-ietf-opsawg-pcapng). */
#include "pcap_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

#define OPT_MAX 65535U /* an option's length is a u16 */

struct wiface {
	uint32_t snaplen;
	uint64_t start_ns;
	bool has_stats;
	struct pcap_stats st;
};

struct pcap_writer {
	struct sink *sink; /* a file; or, when NULL, out() */
	pcap_out_fn out;
	void *out_ctx;
	int out_err; /* out()'s first error; later writes are dropped */
	uint64_t out_bytes;
	struct sbuf blk; /* the block being built */
	struct sbuf txt; /* text being built for an option */
	struct sbuf own; /* the last owner's two options, encoded (a flow's packets come in runs) */
	struct pcap_owner own_of;
	char own_comm[PCAP_OWNER_FIELD_MAX + 1], own_container[PCAP_OWNER_FIELD_MAX + 1];
	bool own_valid;
	struct wiface *ifs;
	size_t nifs, cap;
};

static void emit(struct pcap_writer *w, const void *p, size_t n)
{
	if (w->sink) {
		sink_write(w->sink, p, n);
		return;
	}
	if (!w->out_err && n)
		w->out_err = w->out(w->out_ctx, p, n);
	w->out_bytes += n;
}

static void pad4(struct sbuf *b)
{
	static const char zeros[4];

	sbuf_put(b, zeros, (4 - b->len % 4) % 4);
}

static void block_begin(struct pcap_writer *w, uint32_t type)
{
	sbuf_reset(&w->blk);
	sbuf_put32(&w->blk, type);
	sbuf_put32(&w->blk, 0); /* patched by block_end */
}

/* Pad, patch the leading length, add the trailing one, and write the block. */
static void block_end(struct pcap_writer *w)
{
	uint32_t total;

	pad4(&w->blk);
	total = (uint32_t)w->blk.len + 4;
	memcpy(w->blk.data + 4, &total, 4);
	sbuf_put32(&w->blk, total);
	emit(w, w->blk.data, w->blk.len);
}

/* One option: code, length, value padded to 32 bits (len <= OPT_MAX). */
static void opt_put(struct sbuf *b, uint16_t code, const void *p, size_t len)
{
	sbuf_put16(b, code);
	sbuf_put16(b, (uint16_t)len);
	sbuf_put(b, p, len);
	pad4(b);
}

/* An opt_endofopt closing the options that began at `start`, when there are any. */
static void opt_end(struct sbuf *b, size_t start)
{
	if (b->len > start)
		sbuf_put32(b, 0);
}

/*
 * s as valid UTF-8 (the draft asks writers for nothing else) into out: each
 * byte of a malformed sequence becomes U+FFFD; at most max bytes, cut
 * between characters. Returns the length; out NULL only measures it.
 */
static size_t utf8_clean(struct sbuf *out, const char *s, size_t max)
{
	static const char fffd[] = "\xEF\xBF\xBD";
	const unsigned char *p = (const unsigned char *)s;
	size_t n = strlen(s), len = 0;

	for (size_t i = 0; i < n;) {
		uint32_t cp;
		size_t k = utf8_decode(p + i, n - i, &cp);
		const void *c = k ? (const void *)(p + i) : fffd;
		size_t clen = k ? k : 3;

		if (len + clen > max)
			break;
		if (out)
			sbuf_put(out, c, clen);
		len += clen;
		i += k ? k : 1;
	}
	return len;
}

/* A string option, when s is not NULL. */
static void opt_str(struct pcap_writer *w, uint16_t code, const char *s)
{
	if (!s)
		return;
	sbuf_reset(&w->txt);
	utf8_clean(&w->txt, s, OPT_MAX);
	opt_put(&w->blk, code, w->txt.data, w->txt.len);
}

/* A timestamp option: the upper then the lower 32 bits, as in the packet blocks. */
static void opt_ts(struct sbuf *b, uint16_t code, uint64_t ts)
{
	uint32_t v[2] = { (uint32_t)(ts >> 32), (uint32_t)ts };

	opt_put(b, code, v, sizeof(v));
}

static void opt_u64(struct sbuf *b, uint16_t code, uint64_t v)
{
	opt_put(b, code, &v, 8);
}

/* The section header: version 1.0, length unknown (-1), who wrote it. */
static void write_section(struct pcap_writer *w, const struct pcap_section_info *si)
{
	static const struct pcap_section_info none;
	struct utsname u;
	char os[2 * sizeof(u.release) + 2] = "";
	char host[256] = "";
	char comment[sizeof(host) + 8];
	size_t start;

	if (!si)
		si = &none;
	if (uname(&u) != 0)
		memset(&u, 0, sizeof(u));
	snprintf(os, sizeof(os), "%s %s", u.sysname, u.release);
	if (gethostname(host, sizeof(host) - 1) != 0)
		host[0] = '\0';
	snprintf(comment, sizeof(comment), "host=%s", host);

	block_begin(w, PCAP_BT_SHB);
	sbuf_put32(&w->blk, PCAP_BYTE_ORDER_MAGIC);
	sbuf_put16(&w->blk, 1);
	sbuf_put16(&w->blk, 0);
	sbuf_put64(&w->blk, UINT64_MAX);
	start = w->blk.len;
	opt_str(w, PCAP_OPT_SHB_HARDWARE, si->hardware ? si->hardware : u.machine);
	opt_str(w, PCAP_OPT_SHB_OS, si->os ? si->os : os);
	opt_str(w, PCAP_OPT_SHB_USERAPPL, si->userappl ? si->userappl : "sysrec");
	opt_str(w, PCAP_OPT_COMMENT, si->comment ? si->comment : comment);
	opt_end(&w->blk, start);
	block_end(w);
}

static struct pcap_writer *writer_new(void)
{
	struct pcap_writer *w = xcalloc(1, sizeof(*w));

	sbuf_init(&w->blk, 1 << 12);
	sbuf_init(&w->txt, 256);
	sbuf_init(&w->own, 256);
	return w;
}

struct pcap_writer *pcap_writer_open(const char *path, const struct pcap_section_info *si, struct err *e)
{
	struct pcap_writer *w;
	struct sink *s = sink_open(path, false, e);

	if (!s)
		return NULL;
	w = writer_new();
	w->sink = s;
	write_section(w, si);
	return w;
}

struct pcap_writer *pcap_writer_open_fn(pcap_out_fn out, void *ctx, const struct pcap_section_info *si)
{
	struct pcap_writer *w = writer_new();

	w->out = out;
	w->out_ctx = ctx;
	write_section(w, si);
	return w;
}

int pcap_writer_add_iface(struct pcap_writer *w, const struct pcap_iface *ifc)
{
	static const uint8_t tsresol = 9; /* 10^-9 s: packet times are ns */
	size_t start;

	if (w->nifs >= PCAP_MAX_IFACES)
		return -E2BIG;
	if (w->nifs == w->cap) {
		w->cap = w->cap ? 2 * w->cap : 4;
		w->ifs = xrealloc(w->ifs, w->cap * sizeof(*w->ifs));
	}
	w->ifs[w->nifs] = (struct wiface){
		.snaplen = ifc->snaplen,
		.start_ns = ifc->start_ns ? ifc->start_ns : epoch_ns(),
	};
	block_begin(w, PCAP_BT_IDB);
	sbuf_put16(&w->blk, ifc->linktype);
	sbuf_put16(&w->blk, 0);
	sbuf_put32(&w->blk, ifc->snaplen);
	start = w->blk.len;
	opt_str(w, PCAP_OPT_IF_NAME, ifc->name);
	opt_str(w, PCAP_OPT_IF_DESCRIPTION, ifc->description);
	opt_put(&w->blk, PCAP_OPT_IF_TSRESOL, &tsresol, 1);
	opt_end(&w->blk, start);
	block_end(w);
	return (int)w->nifs++;
}

/* s, or "" for NULL, as far as an owner's text keeps it, equals the copy kept. */
static bool same_field(const char *kept, const char *s)
{
	return strncmp(kept, s ? s : "", PCAP_OWNER_FIELD_MAX) == 0;
}

static void keep_field(char *kept, const char *s)
{
	snprintf(kept, PCAP_OWNER_FIELD_MAX + 1, "%s", s ? s : "");
}

/* Whether the owner options last encoded are o's (a flow's packets come in runs). */
static bool owner_cached(const struct pcap_writer *w, const struct pcap_owner *o)
{
	return w->own_valid && o->pid == w->own_of.pid && o->tid == w->own_of.tid && o->fd == w->own_of.fd &&
	       same_field(w->own_comm, o->comm) && same_field(w->own_container, o->container);
}

/* The owner twice: a comment for people, the custom option for programs (encoded once per owner run). */
static void opt_owner(struct pcap_writer *w, const struct pcap_owner *o)
{
	uint32_t pen = PCAP_PEN;

	if (!owner_cached(w, o)) {
		sbuf_reset(&w->own);
		sbuf_reset(&w->txt);
		pcap_owner_format(&w->txt, o, ' ');
		opt_put(&w->own, PCAP_OPT_COMMENT, w->txt.data, w->txt.len);
		sbuf_reset(&w->txt);
		sbuf_put(&w->txt, &pen, 4);
		pcap_owner_format(&w->txt, o, ';');
		opt_put(&w->own, PCAP_OPT_CUSTOM_STR, w->txt.data, w->txt.len);
		w->own_of = *o;
		keep_field(w->own_comm, o->comm);
		keep_field(w->own_container, o->container);
		w->own_valid = true;
	}
	sbuf_put(&w->blk, w->own.data, w->own.len);
}

/* The bytes of p that its block holds: cut to its interface's snaplen (none when w lacks it) and the cap. */
static uint32_t packet_caplen(const struct pcap_writer *w, const struct pcap_packet *p)
{
	uint32_t caplen = p->caplen;
	uint32_t snap = p->iface < w->nifs ? w->ifs[p->iface].snaplen : 0;

	if (snap && caplen > snap)
		caplen = snap;
	return caplen < PCAP_MAX_SNAPLEN ? caplen : PCAP_MAX_SNAPLEN;
}

int pcap_writer_packet(struct pcap_writer *w, const struct pcap_packet *p)
{
	uint32_t caplen, origlen;
	size_t start;

	if (p->iface >= w->nifs)
		return -EINVAL;
	caplen = packet_caplen(w, p);
	origlen = p->origlen ? p->origlen : p->caplen;
	if (origlen < caplen)
		origlen = caplen;
	block_begin(w, PCAP_BT_EPB);
	sbuf_put32(&w->blk, p->iface);
	sbuf_put32(&w->blk, (uint32_t)(p->ts_ns >> 32));
	sbuf_put32(&w->blk, (uint32_t)p->ts_ns);
	sbuf_put32(&w->blk, caplen);
	sbuf_put32(&w->blk, origlen);
	sbuf_put(&w->blk, p->data, caplen);
	pad4(&w->blk);
	start = w->blk.len;
	if (p->dir != PCAP_DIR_UNKNOWN) {
		uint32_t flags = (uint32_t)p->dir & PCAP_FLAGS_DIR_MASK;

		opt_put(&w->blk, PCAP_OPT_EPB_FLAGS, &flags, 4);
	}
	if (p->owner)
		opt_owner(w, p->owner);
	opt_str(w, PCAP_OPT_COMMENT, p->note);
	if (p->drops)
		opt_u64(&w->blk, PCAP_OPT_EPB_DROPCOUNT, p->drops);
	opt_end(&w->blk, start);
	block_end(w);
	return pcap_writer_error(w);
}

/*
 * Sizes: each mirrors the function that builds the block (block_begin's 8
 * bytes, the fixed fields, the options, opt_end's 4 when there are options,
 * block_end's trailing 4), so that a caller bounding its files can tell
 * before it writes.
 */

/* An option of len bytes: code, length, value padded to 32 bits. */
static size_t opt_size(size_t len)
{
	return 4 + (len + 3) / 4 * 4;
}

static size_t opt_str_size(const char *s)
{
	return s ? opt_size(utf8_clean(NULL, s, OPT_MAX)) : 0;
}

size_t pcap_writer_iface_size(const struct pcap_iface *ifc)
{
	/* type, length, link type, reserved, snaplen; names; if_tsresol; end; trailer */
	return 16 + opt_str_size(ifc->name) + opt_str_size(ifc->description) + opt_size(1) + 4 + 4;
}

size_t pcap_writer_packet_size(const struct pcap_writer *w, const struct pcap_packet *p)
{
	size_t opts = 0;

	if (p->dir != PCAP_DIR_UNKNOWN)
		opts += opt_size(4);
	if (p->owner && owner_cached(w, p->owner)) {
		opts += w->own.len;
	} else if (p->owner) {
		struct sbuf t = { 0 };

		/* the comment and the custom option's text differ only in their 1-byte separators */
		pcap_owner_format(&t, p->owner, ' ');
		opts += opt_size(t.len) + opt_size(4 + t.len);
		sbuf_release(&t);
	}
	opts += opt_str_size(p->note);
	if (p->drops)
		opts += opt_size(8);
	if (opts)
		opts += 4;
	/* type, length, interface, time (2), caplen, origlen; data padded; options; trailer */
	return 28 + (packet_caplen(w, p) + 3U) / 4 * 4 + opts + 4;
}

size_t pcap_writer_stats_size(const struct pcap_stats *st)
{
	/* type, length, interface, time (2); start and end times; the counts; end; trailer */
	return 20 + 2 * opt_size(8) + (st && !st->no_counts ? 2 * opt_size(8) : 0) + 4 + 4;
}

int pcap_writer_set_stats(struct pcap_writer *w, uint32_t iface, const struct pcap_stats *st)
{
	if (iface >= w->nifs)
		return -EINVAL;
	w->ifs[iface].has_stats = true;
	w->ifs[iface].st = *st;
	return 0;
}

/* One interface's statistics block, taken at end_ns. */
static void write_stats(struct pcap_writer *w, uint32_t id, uint64_t now)
{
	const struct wiface *f = &w->ifs[id];
	uint64_t end = f->has_stats && f->st.end_ns ? f->st.end_ns : now;
	size_t start;

	block_begin(w, PCAP_BT_ISB);
	sbuf_put32(&w->blk, id);
	sbuf_put32(&w->blk, (uint32_t)(end >> 32));
	sbuf_put32(&w->blk, (uint32_t)end);
	start = w->blk.len;
	opt_ts(&w->blk, PCAP_OPT_ISB_STARTTIME,
	       f->has_stats && f->st.start_ns ? f->st.start_ns : f->start_ns);
	opt_ts(&w->blk, PCAP_OPT_ISB_ENDTIME, end);
	if (f->has_stats && !f->st.no_counts) {
		opt_u64(&w->blk, PCAP_OPT_ISB_IFRECV, f->st.received);
		opt_u64(&w->blk, PCAP_OPT_ISB_IFDROP, f->st.dropped);
	}
	opt_end(&w->blk, start);
	block_end(w);
}

int pcap_writer_error(const struct pcap_writer *w)
{
	return w->sink ? sink_error(w->sink) : w->out_err;
}

uint64_t pcap_writer_bytes(const struct pcap_writer *w)
{
	return w->sink ? sink_offset(w->sink) : w->out_bytes;
}

static void writer_free(struct pcap_writer *w)
{
	sbuf_release(&w->blk);
	sbuf_release(&w->txt);
	sbuf_release(&w->own);
	free(w->ifs);
	free(w);
}

int pcap_writer_close(struct pcap_writer *w, struct err *e)
{
	uint64_t now = epoch_ns();
	int rc = 0;

	for (size_t i = 0; i < w->nifs; i++)
		write_stats(w, (uint32_t)i, now);
	if (w->sink)
		rc = sink_close(w->sink, e);
	else if (w->out_err)
		rc = err_set(e, w->out_err, "writing the pcapng capture: %s", strerror(-w->out_err));
	writer_free(w);
	return rc;
}

void pcap_writer_abort(struct pcap_writer *w)
{
	if (w->sink)
		sink_abort(w->sink);
	writer_free(w);
}
