/*
 * fuzz_pcap: libFuzzer target for the pcapng reader (src/pcap).
 *
 * The input is read from memory with pcap_reader_open_mem() up to its end or
 * its first error. Every record must lie inside its own block, and its bytes
 * (packet data, each string) are copied into allocations of exactly their
 * size before use, so ASan sees a read past them (the input buffer would
 * hide a read into the next block). A file read cleanly is rewritten with
 * the pcap writer (into memory) and read back: it must hold the same packets
 * as the writer cuts them (snaplen), with the same times, directions, drop
 * counts and owners. Reader errors are expected; crashes, hangs, leaks and
 * UB are bugs.
 *
 * Build: make build/fuzz/fuzz_pcap; run: make fuzz-pcap (scripts/fuzz.sh).
 */
#include "../../src/common/common.h"
#include "../../src/pcap/pcap.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define OWNER_FIELD_MAX 256 /* what the writer keeps of comm and container */

/* What a packet must read back as after the rewrite. */
struct want {
	uint32_t caplen, origlen;
	uint64_t ts_ns, drops, sum;
	enum pcap_dir dir;
	bool has_owner;
	int64_t pid, tid, fd;
	char *comm, *container; /* NULL: not compared (longer than the writer keeps) */
};

struct rewrite {
	struct sbuf out; /* the rewritten file */
	struct pcap_writer *w;
	uint32_t *ids;      /* the section's interfaces: the writer's ids ... */
	uint32_t *snaplens; /* ... and their snaplens */
	size_t nids;
	struct want *want;
	size_t nwant, cap;
};

static int to_sbuf(void *ctx, const void *p, size_t n)
{
	sbuf_put(ctx, p, n);
	return 0;
}

/* p .. p+n must lie inside the record's block: [data + rec->offset, data + end). */
static void check_inside(const uint8_t *data, const struct pcap_record *rec, uint64_t end, const void *p,
                         size_t n)
{
	const uint8_t *lo = data + rec->offset, *hi = data + end, *q = p;

	if (q < lo || q > hi || n > (size_t)(hi - q)) {
		fprintf(stderr, "fuzz_pcap: record at %llu hands out bytes outside its block\n",
		        (unsigned long long)rec->offset);
		abort();
	}
}

/* A copy of n bytes at p in an exact-size allocation, summed (and so read) there. */
static uint64_t sum_copy(const void *p, size_t n)
{
	uint8_t *c = xmalloc(n ? n : 1);
	uint64_t s = 0;

	memcpy(c, p, n);
	for (size_t i = 0; i < n; i++)
		s = s * 31 + c[i];
	free(c);
	return s;
}

/* A string of the record: inside its arena (so NUL-terminated there), copied and read. */
static void touch(const char *s)
{
	if (s)
		sum_copy(s, strlen(s) + 1);
}

static char *dup_field(const char *s)
{
	return strlen(s) <= OWNER_FIELD_MAX ? xstrdup(s) : NULL;
}

/* Write a packet record into the rewrite and note what it must read back as. */
static void rewrite_packet(struct rewrite *rw, const struct pcap_packet_rec *pk)
{
	uint32_t snap = rw->snaplens[pk->iface], caplen = pk->caplen;
	struct pcap_packet p = { .iface = rw->ids[pk->iface],
		                 .ts_ns = pk->has_ts ? pk->ts_ns : 0,
		                 .data = pk->data,
		                 .caplen = pk->caplen,
		                 .origlen = pk->origlen,
		                 .dir = pk->dir,
		                 .owner = pk->has_owner ? &pk->owner : NULL,
		                 .note = pk->comment,
		                 .drops = pk->drops };
	struct want *wt;

	if (snap && caplen > snap)
		caplen = snap;
	if (caplen > PCAP_MAX_SNAPLEN)
		caplen = PCAP_MAX_SNAPLEN;
	if (pcap_writer_packet(rw->w, &p) != 0)
		abort();
	if (rw->nwant == rw->cap) {
		rw->cap = rw->cap ? 2 * rw->cap : 16;
		rw->want = xrealloc(rw->want, rw->cap * sizeof(*rw->want));
	}
	wt = &rw->want[rw->nwant++];
	*wt = (struct want){ .caplen = caplen,
		             .origlen = pk->origlen ? pk->origlen : pk->caplen,
		             .ts_ns = p.ts_ns,
		             .drops = pk->drops,
		             .sum = sum_copy(pk->data, caplen),
		             .dir = pk->dir,
		             .has_owner = pk->has_owner };
	if (wt->origlen < caplen)
		wt->origlen = caplen;
	if (pk->has_owner) {
		wt->pid = pk->owner.pid;
		wt->tid = pk->owner.tid;
		wt->fd = pk->owner.fd < 0 ? -1 : pk->owner.fd;
		wt->comm = dup_field(pk->owner.comm);
		wt->container = dup_field(pk->owner.container);
	}
}

/* One record: checked, its bytes touched, and passed to the rewrite. */
static void take(struct rewrite *rw, const uint8_t *data, const struct pcap_record *rec, uint64_t end)
{
	const struct pcap_packet_rec *pk = &rec->pkt;
	const struct pcap_stats st = { .received = rec->stats.received,
		                       .dropped = rec->stats.dropped,
		                       .end_ns = rec->stats.end_ns };
	int id;

	switch (rec->kind) {
	case PCAP_REC_SECTION:
		touch(rec->shb.hardware);
		touch(rec->shb.os);
		touch(rec->shb.userappl);
		touch(rec->shb.comment);
		rw->nids = 0;
		break;
	case PCAP_REC_IFACE: {
		const struct pcap_iface ifc = { rec->iface.linktype, rec->iface.snaplen, rec->iface.name,
			                        rec->iface.description, 1 };

		touch(rec->iface.name);
		touch(rec->iface.description);
		touch(rec->iface.comment);
		if (rec->iface.id != rw->nids || (id = pcap_writer_add_iface(rw->w, &ifc)) < 0)
			abort();
		rw->ids = xrealloc(rw->ids, (rw->nids + 1) * sizeof(*rw->ids));
		rw->snaplens = xrealloc(rw->snaplens, (rw->nids + 1) * sizeof(*rw->snaplens));
		rw->ids[rw->nids] = (uint32_t)id;
		rw->snaplens[rw->nids++] = rec->iface.snaplen;
		break;
	}
	case PCAP_REC_PACKET:
		check_inside(data, rec, end, pk->data, pk->caplen);
		touch(pk->comment);
		if (pk->has_owner) {
			touch(pk->owner.comm);
			touch(pk->owner.container);
		}
		if (pk->iface >= rw->nids)
			abort();
		rewrite_packet(rw, pk);
		break;
	case PCAP_REC_STATS:
		touch(rec->stats.comment);
		if (rec->stats.iface >= rw->nids ||
		    pcap_writer_set_stats(rw->w, rw->ids[rec->stats.iface], &st))
			abort();
		break;
	default:
		abort();
	}
}

/* The rewrite read back: exactly the packets noted, as noted. */
static void check_rewrite(struct rewrite *rw)
{
	struct pcap_reader *r = pcap_reader_open_mem(rw->out.data, rw->out.len);
	struct pcap_record rec;
	struct err e = { { 0 } };
	size_t n = 0;
	int rc;

	while ((rc = pcap_reader_next(r, &rec, &e)) > 0) {
		const struct pcap_packet_rec *pk = &rec.pkt;
		const struct want *wt;

		if (rec.kind != PCAP_REC_PACKET)
			continue;
		if (n >= rw->nwant) {
			fprintf(stderr, "fuzz_pcap: the rewrite has more than %zu packets\n", rw->nwant);
			abort();
		}
		wt = &rw->want[n++];
		if (pk->caplen != wt->caplen || pk->origlen != wt->origlen || pk->ts_ns != wt->ts_ns ||
		    pk->drops != wt->drops || pk->dir != wt->dir ||
		    sum_copy(pk->data, pk->caplen) != wt->sum || pk->has_owner != wt->has_owner ||
		    (wt->has_owner &&
		     (pk->owner.pid != wt->pid || pk->owner.tid != wt->tid || pk->owner.fd != wt->fd ||
		      (wt->comm && strcmp(pk->owner.comm, wt->comm)) ||
		      (wt->container && strcmp(pk->owner.container, wt->container))))) {
			fprintf(stderr, "fuzz_pcap: packet %zu of the rewrite differs\n", n);
			abort();
		}
	}
	pcap_reader_close(r);
	if (rc != PCAP_REC_EOF || n != rw->nwant) {
		fprintf(stderr, "fuzz_pcap: rewrite of %zu packets read back as %zu (rc %d: %s)\n", rw->nwant,
		        n, rc, rc < 0 ? e.msg : "");
		abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct pcap_section_info si = { "fuzz", "fuzz", "fuzz", "fuzz" };
	struct pcap_reader *r = pcap_reader_open_mem(data, size);
	struct rewrite rw = { { 0 } };
	struct pcap_record rec;
	struct err e = { { 0 } };
	int rc;

	rw.w = pcap_writer_open_fn(to_sbuf, &rw.out, &si);
	while ((rc = pcap_reader_next(r, &rec, &e)) > 0)
		take(&rw, data, &rec, pcap_reader_offset(r));
	if (rc < 0 && (!strstr(e.msg, "offset ") || (rc != -EINVAL && rc != -ENODATA))) {
		fprintf(stderr, "fuzz_pcap: error %d without an offset: %s\n", rc, e.msg);
		abort();
	}
	pcap_reader_close(r);
	if (pcap_writer_close(rw.w, &e))
		abort();
	if (rc == PCAP_REC_EOF)
		check_rewrite(&rw);
	for (size_t i = 0; i < rw.nwant; i++) {
		free(rw.want[i].comm);
		free(rw.want[i].container);
	}
	free(rw.want);
	free(rw.ids);
	free(rw.snaplens);
	sbuf_release(&rw.out);
	return 0;
}
