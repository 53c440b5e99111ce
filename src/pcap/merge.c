/* merge: pcapng files into one, in time order, each input's interfaces their own (pcap.h). */
#include "pcap_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* An interface of an input, by its section and id there: the output's id for it. */
struct imap {
	uint32_t section, id;
	uint32_t out;
};

struct input {
	const char *path;
	struct pcap_reader *r;
	char *host;       /* of the current section's comment ("host=NAME"), or NULL */
	struct imap *ifs; /* the current section's interfaces */
	size_t nifs, cap;
	struct pcap_record rec; /* the current packet, while has */
	bool has, done;
	size_t index; /* in the inputs' order (ties: before()) */
};

/*
 * An output interface's span: of the packets written (first, last), of all
 * its input's (seen_first, seen_last, when time bounds left some out: cut);
 * its input's counts (of the input's statistics block).
 */
struct ospan {
	uint64_t first, last;
	uint64_t seen_first, seen_last;
	bool cut;
	bool counts;
	uint64_t received, dropped, start, end;
};

struct merge {
	struct input *in;
	size_t n;
	struct ospan *spans; /* by output interface */
	size_t nspans;
	size_t *heap; /* inputs (their indices) with a packet, by before() */
	size_t nheap;
	struct pcap_writer *w;
	uint64_t since, until; /* the packets kept: since <= ts <= until */
	bool bounded;
	struct pcap_merge_stats st;
};

/* A packet time into [*first, *last] (0: none yet). */
static void span_add(uint64_t *first, uint64_t *last, uint64_t ts)
{
	if (!*first || ts < *first)
		*first = ts;
	if (ts > *last)
		*last = ts;
}

/* The host a section names: its comment's "host=NAME" line (as sysrec's writer puts it). */
static char *section_host(const char *comment)
{
	const char *p = comment, *end;

	while (p && *p) {
		end = strchr(p, '\n');
		if (!strncmp(p, "host=", 5))
			return xstrndup(p + 5, end ? (size_t)(end - p - 5) : strlen(p + 5));
		p = end ? end + 1 : NULL;
	}
	return NULL;
}

/* An interface of input in: the output's own, described with its host. */
static int add_iface(struct merge *m, struct input *in, const struct pcap_record *rec, struct err *e)
{
	const struct pcap_iface_rec *f = &rec->iface;
	struct sbuf desc = { 0 };
	int id;

	if (in->host) {
		sbuf_printf(&desc, "host=%s", in->host);
		if (f->description && *f->description)
			sbuf_printf(&desc, "; %s", f->description);
	} else if (f->description) {
		sbuf_puts(&desc, f->description);
	}
	id = pcap_writer_add_iface(m->w,
	                           &(struct pcap_iface){ .linktype = f->linktype,
	                                                 .snaplen = f->snaplen,
	                                                 .name = f->name,
	                                                 .description = desc.len ? sbuf_cstr(&desc) : NULL });
	sbuf_release(&desc);
	if (id < 0)
		return err_set(e, id, "%s: more interfaces than a file may hold", in->path);
	if (in->nifs == in->cap) {
		in->cap = in->cap ? 2 * in->cap : 4;
		in->ifs = xrealloc(in->ifs, in->cap * sizeof(*in->ifs));
	}
	in->ifs[in->nifs++] = (struct imap){ rec->section, f->id, (uint32_t)id };
	m->spans = xrealloc(m->spans, (m->nspans + 1) * sizeof(*m->spans));
	memset(&m->spans[m->nspans++], 0, sizeof(*m->spans));
	m->st.interfaces++;
	return 0;
}

static const struct imap *iface_of(const struct input *in, uint32_t section, uint32_t id)
{
	for (size_t i = 0; i < in->nifs; i++)
		if (in->ifs[i].section == section && in->ifs[i].id == id)
			return &in->ifs[i];
	return NULL;
}

static void stats_of(struct merge *m, const struct input *in, const struct pcap_record *rec)
{
	const struct pcap_stats_rec *s = &rec->stats;
	const struct imap *f = iface_of(in, rec->section, s->iface);
	struct ospan *o;

	if (!f)
		return;
	if (f->out >= m->nspans)
		return;
	o = &m->spans[f->out];
	if (s->has_received || s->has_dropped) {
		o->counts = true;
		o->received = s->received;
		o->dropped = s->dropped;
	}
	if (s->has_start)
		o->start = s->start_ns;
	if (s->has_end)
		o->end = s->end_ns;
}

/*
 * Whether the time bounds leave the packet of in out: then its time is only
 * noted in its interface's span.
 */
static bool out_of_bounds(struct merge *m, const struct input *in)
{
	const struct pcap_packet_rec *p = &in->rec.pkt;
	const struct imap *f;
	struct ospan *o;

	if (!m->bounded || !p->has_ts || (p->ts_ns >= m->since && p->ts_ns <= m->until))
		return false;
	f = iface_of(in, in->rec.section, p->iface);
	if (f && f->out < m->nspans) {
		o = &m->spans[f->out];
		o->cut = true;
		span_add(&o->seen_first, &o->seen_last, p->ts_ns);
	}
	return true;
}

/* Read input in up to its next packet (in->has), or its end (in->done). */
static int advance(struct merge *m, struct input *in, struct err *e)
{
	struct err re = { { 0 } };
	int rc;

	in->has = false;
	while (!in->done) {
		rc = pcap_reader_next(in->r, &in->rec, &re);
		if (rc < 0)
			return err_set(e, rc, "%s: %s", in->path, re.msg);
		switch (rc) {
		case PCAP_REC_EOF:
			in->done = true;
			break;
		case PCAP_REC_SECTION:
			free(in->host);
			in->host = section_host(in->rec.shb.comment);
			in->nifs = 0; /* a section's interfaces are its own */
			break;
		case PCAP_REC_IFACE:
			if ((rc = add_iface(m, in, &in->rec, e)) != 0)
				return rc;
			break;
		case PCAP_REC_PACKET:
			if (!iface_of(in, in->rec.section, in->rec.pkt.iface))
				return err_set(e, -EINVAL,
				               "%s: the packet at byte %llu names interface %u, which its "
				               "section lacks",
				               in->path, (unsigned long long)in->rec.offset,
				               in->rec.pkt.iface);
			if (out_of_bounds(m, in))
				break;
			in->has = true;
			return 0;
		case PCAP_REC_STATS: /* its counts, for the output interface's statistics */
			stats_of(m, in, &in->rec);
			break;
		default:
			break;
		}
	}
	return 0;
}

/*
 * Whether a's packet goes before b's, as mergecap chooses: a packet without
 * a time first (the first input's of those), then the earlier time, and of
 * equal times the later input's (mergecap takes the last of the earliest).
 */
static bool before(const struct input *a, const struct input *b)
{
	const struct pcap_packet_rec *pa = &a->rec.pkt, *pb = &b->rec.pkt;

	if (!pa->has_ts || !pb->has_ts)
		return !pa->has_ts && (pb->has_ts || a->index < b->index);
	return pa->ts_ns != pb->ts_ns ? pa->ts_ns < pb->ts_ns : a->index > b->index;
}

static void sift_down(struct merge *m, size_t i)
{
	for (;;) {
		size_t l = 2 * i + 1, r = l + 1, s = i, t;

		if (l < m->nheap && before(&m->in[m->heap[l]], &m->in[m->heap[s]]))
			s = l;
		if (r < m->nheap && before(&m->in[m->heap[r]], &m->in[m->heap[s]]))
			s = r;
		if (s == i)
			return;
		t = m->heap[i];
		m->heap[i] = m->heap[s];
		m->heap[s] = t;
		i = s;
	}
}

/*
 * The comments of a packet but its owner's: sysrec's writer puts the owner's
 * comment first (and writes it again from the owner), then any other.
 */
static const char *note_of(const struct pcap_packet_rec *p)
{
	const char *nl;

	if (!p->has_owner || !p->comment)
		return p->comment;
	nl = strchr(p->comment, '\n');
	return nl ? nl + 1 : NULL;
}

/* The packet of input in, into the output on its interface. */
static int put_packet(struct merge *m, struct input *in)
{
	const struct pcap_packet_rec *p = &in->rec.pkt;
	const struct imap *f = iface_of(in, in->rec.section, p->iface); /* advance() saw it */
	struct ospan *o;

	if (!f || f->out >= m->nspans)
		return -EINVAL;
	o = &m->spans[f->out];
	if (p->has_ts) {
		span_add(&o->first, &o->last, p->ts_ns);
		span_add(&o->seen_first, &o->seen_last, p->ts_ns);
	}
	m->st.packets++;
	m->st.bytes += p->caplen;
	return pcap_writer_packet(m->w, &(struct pcap_packet){
	                                        .iface = f->out,
	                                        .ts_ns = p->has_ts ? p->ts_ns : 0,
	                                        .data = p->data,
	                                        .caplen = p->caplen,
	                                        .origlen = p->origlen,
	                                        .dir = p->dir,
	                                        .owner = p->has_owner ? &p->owner : NULL,
	                                        .note = note_of(p),
	                                        .drops = p->drops,
	                                });
}

static uint64_t clamp(uint64_t v, uint64_t lo, uint64_t hi)
{
	return v < lo ? lo : v > hi ? hi : v;
}

/*
 * An output interface's statistics: its packets' span, or its input's when
 * that is wider; with time bounds the kept packets' span (none kept: the
 * input's clamped to the bounds), and the input's counts only when no packet
 * was left out.
 */
static struct pcap_stats span_stats(const struct merge *m, const struct ospan *o)
{
	struct pcap_stats st = { .received = o->received, .dropped = o->dropped, .no_counts = !o->counts };
	uint64_t in_start = o->start ? o->start : o->seen_first;
	uint64_t in_end = o->end > o->seen_last ? o->end : o->seen_last;

	if (!m->bounded) {
		st.start_ns = o->start ? o->start : o->first;
		st.end_ns = o->end > o->last ? o->end : o->last;
		return st;
	}
	st.no_counts = !o->counts || o->cut;
	if (o->first) {
		st.start_ns = o->first;
		st.end_ns = o->last;
		return st;
	}
	st.start_ns = clamp(in_start, m->since, m->until);
	st.end_ns = clamp(in_end, st.start_ns, m->until);
	return st;
}

int pcap_merge(const char *const *paths, size_t n, const char *out, const struct pcap_merge_opts *o,
               struct pcap_merge_stats *stats, struct err *e)
{
	static const struct pcap_merge_opts defaults;
	struct merge m = { 0 };
	int rc = 0;

	if (!o)
		o = &defaults;
	memset(stats, 0, sizeof(*stats));
	m.since = o->since_ns;
	m.until = o->until_ns ? o->until_ns : UINT64_MAX;
	m.bounded = m.since || m.until != UINT64_MAX;
	m.in = xcalloc(n + 1, sizeof(*m.in));
	m.heap = xcalloc(n + 1, sizeof(size_t));
	for (size_t i = 0; i < n && !rc; i++) {
		m.in[i].path = paths[i];
		m.in[i].index = i;
		if (!(m.in[i].r = pcap_reader_open(paths[i], e)))
			rc = errno ? -errno : -EIO;
	}
	if (!rc && !(m.w = pcap_writer_open(out, o->si, e)))
		rc = errno ? -errno : -EIO;
	for (size_t i = 0; i < n && !rc; i++) {
		rc = advance(&m, &m.in[i], e);
		if (!rc && m.in[i].has)
			m.heap[m.nheap++] = i;
	}
	for (size_t i = m.nheap; i-- > 0;)
		sift_down(&m, i);
	while (!rc && m.nheap) {
		struct input *in = &m.in[m.heap[0]];

		if ((rc = put_packet(&m, in)) != 0) {
			err_set(e, rc, "%s: %s", out, strerror(-rc));
			break;
		}
		if ((rc = advance(&m, in, e)) != 0)
			break;
		if (!in->has)
			m.heap[0] = m.heap[--m.nheap];
		sift_down(&m, 0);
		if (o->progress && !(m.st.packets & 0xffff))
			o->progress(o->ctx, &m.st);
	}
	for (size_t i = 0; m.w && !rc && i < m.nspans; i++) {
		struct pcap_stats st = span_stats(&m, &m.spans[i]);

		pcap_writer_set_stats(m.w, (uint32_t)i, &st);
	}
	if (m.w) {
		if (rc)
			pcap_writer_abort(m.w);
		else
			rc = pcap_writer_close(m.w, e);
	}
	for (size_t i = 0; i < n; i++) {
		if (m.in[i].r)
			pcap_reader_close(m.in[i].r);
		free(m.in[i].host);
		free(m.in[i].ifs);
	}
	free(m.in);
	free(m.heap);
	free(m.spans);
	m.st.inputs = n;
	*stats = m.st;
	if (o->progress && !rc)
		o->progress(o->ctx, &m.st);
	return rc;
}
