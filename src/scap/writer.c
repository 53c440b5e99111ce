/* writer: .scap writer in the layout sysdig 0.29.3's own writer emits. */
#include "scap.h"

#include <stdlib.h>
#include <string.h>

struct scap_writer {
	struct sink *sink; /* a file; or, when NULL, out() */
	scap_out_fn out;
	void *out_ctx;
	int out_err; /* out()'s first error; later writes are dropped */
	uint64_t out_bytes;
	struct sbuf blk; /* the block being built */
	uint64_t events;
};

static void emit(struct scap_writer *w, const void *p, size_t n)
{
	if (w->sink) {
		sink_write(w->sink, p, n);
		return;
	}
	if (!w->out_err && n)
		w->out_err = w->out(w->out_ctx, p, n);
	w->out_bytes += n;
}

struct scap_writer *scap_writer_open_fn(scap_out_fn out, void *ctx)
{
	struct scap_writer *w = xcalloc(1, sizeof(*w));

	w->out = out;
	w->out_ctx = ctx;
	sbuf_init(&w->blk, 1 << 16);
	return w;
}

struct scap_writer *scap_writer_open(const char *path, bool gzip, struct err *e)
{
	struct scap_writer *w;
	struct sink *s = sink_open(path, gzip, e);

	if (!s)
		return NULL;
	w = xcalloc(1, sizeof(*w));
	w->sink = s;
	sbuf_init(&w->blk, 1 << 16);
	return w;
}

static void put_u8(struct sbuf *b, uint8_t v)
{
	sbuf_putc(b, (char)v);
}

/* u16 length + bytes, truncated to `max` (readers refuse longer ones). */
static void put_lstr(struct sbuf *b, const char *s, size_t len, size_t max)
{
	if (!s)
		len = 0;
	if (len > max)
		len = max;
	sbuf_put16(b, (uint16_t)len);
	sbuf_put(b, s, len);
}

static void put_str(struct sbuf *b, const char *s, size_t max)
{
	put_lstr(b, s, s ? strlen(s) : 0, max);
}

static void block_begin(struct scap_writer *w, uint32_t type)
{
	sbuf_reset(&w->blk);
	sbuf_put32(&w->blk, type);
	sbuf_put32(&w->blk, 0); /* patched by block_end */
}

/* Patch an entry length written at `at` to cover up to the current end. */
static void patch_len(struct sbuf *b, size_t at, uint32_t extra)
{
	uint32_t len = (uint32_t)(b->len - at) + extra;

	memcpy(b->data + at, &len, 4);
}

static void block_end(struct scap_writer *w)
{
	static const char zeros[4];
	size_t pad = (4 - w->blk.len % 4) % 4;
	uint32_t total;

	sbuf_put(&w->blk, zeros, pad);
	total = (uint32_t)w->blk.len + 4;
	memcpy(w->blk.data + 4, &total, 4);
	sbuf_put32(&w->blk, total);
	emit(w, w->blk.data, w->blk.len);
}

void scap_writer_section(struct scap_writer *w)
{
	block_begin(w, SCAP_BT_SHB);
	sbuf_put32(&w->blk, SCAP_SHB_MAGIC);
	sbuf_put16(&w->blk, 1);
	sbuf_put16(&w->blk, 2);
	sbuf_put64(&w->blk, UINT64_MAX);
	block_end(w);
}

void scap_writer_machine(struct scap_writer *w, const struct scap_machine *m)
{
	char host[128] = { 0 };

	block_begin(w, SCAP_BT_MI);
	sbuf_put32(&w->blk, m->num_cpus);
	sbuf_put64(&w->blk, m->memory_bytes);
	sbuf_put64(&w->blk, m->max_pid);
	memcpy(host, m->hostname, strnlen(m->hostname, sizeof(host) - 1));
	sbuf_put(&w->blk, host, sizeof(host));
	sbuf_put64(&w->blk, m->boot_ts);
	sbuf_put64(&w->blk, 0);
	sbuf_put64(&w->blk, 0);
	sbuf_put64(&w->blk, 0);
	block_end(w);
}

void scap_writer_ifaces(struct scap_writer *w, const struct scap_iface *ifs, size_t n)
{
	block_begin(w, SCAP_BT_IL_V2);
	for (size_t i = 0; i < n; i++) {
		size_t at = w->blk.len;
		bool v6 = ifs[i].type == 2 || ifs[i].type == 4;
		size_t alen = v6 ? 16 : 4;
		size_t namelen = ifs[i].name ? strlen(ifs[i].name) : 0;

		if (namelen > 1023)
			namelen = 1023;
		sbuf_put32(&w->blk, 0);
		sbuf_put16(&w->blk, v6 ? 2 : 1);
		sbuf_put16(&w->blk, (uint16_t)namelen);
		sbuf_put(&w->blk, ifs[i].addr, alen);
		sbuf_put(&w->blk, ifs[i].netmask, alen);
		sbuf_put(&w->blk, ifs[i].bcast, alen);
		sbuf_put64(&w->blk, ifs[i].linkspeed);
		sbuf_put(&w->blk, ifs[i].name, namelen);
		patch_len(&w->blk, at, (uint32_t)0 - 4); /* IL_V2 lengths exclude themselves */
	}
	block_end(w);
}

void scap_writer_users(struct scap_writer *w, const struct scap_user *u, size_t nu,
                       const struct scap_group *g, size_t ng)
{
	block_begin(w, SCAP_BT_UL_V2);
	for (size_t i = 0; i < nu; i++) {
		size_t at = w->blk.len;

		sbuf_put32(&w->blk, 0);
		put_u8(&w->blk, 0);
		sbuf_put32(&w->blk, u[i].uid);
		sbuf_put32(&w->blk, u[i].gid);
		put_str(&w->blk, u[i].name, 255);
		put_str(&w->blk, u[i].homedir, 255);
		put_str(&w->blk, u[i].shell, 255);
		patch_len(&w->blk, at, 0);
	}
	for (size_t i = 0; i < ng; i++) {
		size_t at = w->blk.len;

		sbuf_put32(&w->blk, 0);
		put_u8(&w->blk, 1);
		sbuf_put32(&w->blk, g[i].gid);
		put_str(&w->blk, g[i].name, 255);
		patch_len(&w->blk, at, 0);
	}
	block_end(w);
}

void scap_writer_procs(struct scap_writer *w, const struct scap_proc *p, size_t n)
{
	block_begin(w, SCAP_BT_PL_V9);
	for (size_t i = 0; i < n; i++) {
		size_t at = w->blk.len;
		struct sbuf *b = &w->blk;

		sbuf_put32(b, 0);
		sbuf_put64(b, p[i].tid);
		sbuf_put64(b, p[i].pid);
		sbuf_put64(b, p[i].ptid);
		sbuf_put64(b, p[i].sid);
		sbuf_put64(b, p[i].vpgid);
		put_str(b, p[i].comm, 1024);
		put_str(b, p[i].exe, 1024);
		put_str(b, p[i].exepath, 1024);
		put_lstr(b, p[i].args, p[i].args_len, 4096);
		put_str(b, p[i].cwd, 1024);
		sbuf_put64(b, (uint64_t)p[i].fdlimit);
		sbuf_put32(b, p[i].flags);
		sbuf_put32(b, p[i].uid);
		sbuf_put32(b, p[i].gid);
		sbuf_put32(b, p[i].vmsize_kb);
		sbuf_put32(b, p[i].vmrss_kb);
		sbuf_put32(b, p[i].vmswap_kb);
		sbuf_put64(b, p[i].pfmajor);
		sbuf_put64(b, p[i].pfminor);
		put_lstr(b, p[i].env, p[i].env_len, 4096);
		sbuf_put64(b, (uint64_t)p[i].vtid);
		sbuf_put64(b, (uint64_t)p[i].vpid);
		put_lstr(b, p[i].cgroups, p[i].cgroups_len, 4096);
		put_str(b, p[i].root, 1024);
		sbuf_put32(b, p[i].loginuid);
		put_u8(b, p[i].exe_writable);
		if (p[i].has_caps) {
			sbuf_put64(b, p[i].cap_inheritable);
			sbuf_put64(b, p[i].cap_permitted);
			sbuf_put64(b, p[i].cap_effective);
		}
		patch_len(b, at, 0);
	}
	block_end(w);
}

void scap_writer_fds(struct scap_writer *w, uint64_t tid, const struct scap_fd *f, size_t n)
{
	block_begin(w, SCAP_BT_FDL_V2);
	sbuf_put64(&w->blk, tid);
	for (size_t i = 0; i < n; i++) {
		struct sbuf *b = &w->blk;
		size_t at = b->len;

		sbuf_put32(b, 0);
		sbuf_put64(b, (uint64_t)f[i].fd);
		sbuf_put64(b, f[i].ino);
		/* readers refuse type 0 in a list: an fd of no known kind is "unsupported" */
		put_u8(b, f[i].type == SCAP_FD_UNKNOWN ? SCAP_FD_UNSUPPORTED : f[i].type);
		switch (f[i].type) {
		case SCAP_FD_IPV4_SOCK:
			sbuf_put(b, f[i].sip, 4);
			sbuf_put(b, f[i].dip, 4);
			sbuf_put16(b, f[i].sport);
			sbuf_put16(b, f[i].dport);
			put_u8(b, f[i].l4proto);
			break;
		case SCAP_FD_IPV6_SOCK:
			sbuf_put(b, f[i].sip, 16);
			sbuf_put(b, f[i].dip, 16);
			sbuf_put16(b, f[i].sport);
			sbuf_put16(b, f[i].dport);
			put_u8(b, f[i].l4proto);
			break;
		case SCAP_FD_IPV4_SERVSOCK:
			sbuf_put(b, f[i].sip, 4);
			sbuf_put16(b, f[i].sport);
			put_u8(b, f[i].l4proto);
			break;
		case SCAP_FD_IPV6_SERVSOCK:
			sbuf_put(b, f[i].sip, 16);
			sbuf_put16(b, f[i].sport);
			put_u8(b, f[i].l4proto);
			break;
		case SCAP_FD_UNIX_SOCK:
			sbuf_put64(b, f[i].usrc);
			sbuf_put64(b, f[i].udst);
			put_str(b, f[i].name, 1023);
			break;
		case SCAP_FD_FILE_V2:
			sbuf_put32(b, f[i].open_flags);
			put_str(b, f[i].name, 1023);
			sbuf_put32(b, f[i].dev);
			break;
		default:
			put_str(b, f[i].name, 1023);
			break;
		}
		patch_len(b, at, 0);
	}
	block_end(w);
}

/*
 * A non-LARGE event block may hold at most SCAP_MAX_EVENT_BODY bytes after its
 * 8-byte header: cpu (2), flags (4, EVF only), the event, padding, and the
 * 4-byte trailer. The body before padding is then at most 65532 bytes.
 * EF_LARGE_PAYLOAD events always go in LARGE blocks, as sysdig's writer does.
 */
void scap_writer_proc_table(struct scap_writer *w, const struct scap_proc *procs, struct scap_fd *const *fds,
                            const size_t *nfds, size_t n)
{
	scap_writer_procs(w, procs, n);
	for (size_t i = 0; i < n; i++)
		if (nfds[i])
			scap_writer_fds(w, procs[i].tid, fds[i], nfds[i]);
}

static bool event_needs_large_block(uint16_t type, uint32_t flags, uint32_t len)
{
	uint32_t head = flags ? 6 : 2;

	return event_len_width(type) == 4 || (uint64_t)head + len > SCAP_MAX_EVENT_BODY - 4;
}

void scap_writer_event_bytes(struct scap_writer *w, uint16_t cpu, uint32_t flags, const uint8_t *evbytes,
                             uint32_t len)
{
	uint16_t type = load_u16(evbytes + 20);
	bool large = event_needs_large_block(type, flags, len);
	uint32_t bt = flags ? (large ? SCAP_BT_EVF_V2_LARGE : SCAP_BT_EVF_V2)
	                    : (large ? SCAP_BT_EV_V2_LARGE : SCAP_BT_EV_V2);

	block_begin(w, bt);
	sbuf_put16(&w->blk, cpu);
	if (flags)
		sbuf_put32(&w->blk, flags);
	sbuf_put(&w->blk, evbytes, len);
	block_end(w);
	w->events++;
}

void scap_writer_event(struct scap_writer *w, const struct event *ev)
{
	uint8_t hdr[EVENT_HDR_V2];
	uint32_t len;
	uint16_t type = ev->type;
	bool large = event_needs_large_block(type, ev->dump_flags, ev->len);
	uint32_t bt = ev->dump_flags ? (large ? SCAP_BT_EVF_V2_LARGE : SCAP_BT_EVF_V2)
	                             : (large ? SCAP_BT_EV_V2_LARGE : SCAP_BT_EV_V2);

	if (ev->version == 2) {
		scap_writer_event_bytes(w, ev->cpu, ev->dump_flags, ev->raw, ev->raw_len);
		return;
	}
	/* v1: insert nparams after the 22-byte header; len grows by 4 (ev->len has it). */
	len = ev->len;
	memcpy(hdr, ev->raw, EVENT_HDR_V1);
	memcpy(hdr + 16, &len, 4);
	memcpy(hdr + 22, &ev->nparams, 4);
	block_begin(w, bt);
	sbuf_put16(&w->blk, ev->cpu);
	if (ev->dump_flags)
		sbuf_put32(&w->blk, ev->dump_flags);
	sbuf_put(&w->blk, hdr, sizeof(hdr));
	sbuf_put(&w->blk, ev->raw + EVENT_HDR_V1, ev->raw_len - EVENT_HDR_V1);
	block_end(w);
	w->events++;
}

size_t scap_frame_size(uint32_t len)
{
	return ((size_t)10 + len + 3) / 4 * 4 + 4;
}

void scap_frame_event(uint8_t *out, uint16_t cpu, const uint8_t *ev, uint32_t len)
{
	uint32_t total = (uint32_t)scap_frame_size(len);
	uint32_t bt =
	        event_needs_large_block(load_u16(ev + 20), 0, len) ? SCAP_BT_EV_V2_LARGE : SCAP_BT_EV_V2;

	memcpy(out, &bt, 4);
	memcpy(out + 4, &total, 4);
	memcpy(out + 8, &cpu, 2);
	memcpy(out + 10, ev, len);
	memset(out + 10 + len, 0, total - 4 - 10 - len);
	memcpy(out + total - 4, &total, 4);
}

void scap_writer_framed(struct scap_writer *w, const void *blocks, size_t len, uint64_t nevents)
{
	emit(w, blocks, len);
	w->events += nevents;
}

uint64_t scap_writer_events(const struct scap_writer *w)
{
	return w->events;
}

uint64_t scap_writer_bytes(const struct scap_writer *w)
{
	return w->sink ? sink_offset(w->sink) : w->out_bytes;
}

int scap_writer_error(const struct scap_writer *w)
{
	return w->sink ? sink_error(w->sink) : w->out_err;
}

int scap_writer_close(struct scap_writer *w, struct err *e)
{
	int rc = 0;

	if (w->sink)
		rc = sink_close(w->sink, e);
	else if (w->out_err)
		rc = err_set(e, w->out_err, "writing the capture: %s", strerror(-w->out_err));
	sbuf_release(&w->blk);
	free(w);
	return rc;
}

void scap_writer_abort(struct scap_writer *w)
{
	if (w->sink)
		sink_abort(w->sink);
	sbuf_release(&w->blk);
	free(w);
}

uint32_t scap_encode_event(struct sbuf *out, uint64_t ts, int64_t tid, uint16_t type, uint32_t nparams,
                           const void *const *vals, const uint32_t *lens)
{
	unsigned width = event_len_width(type);
	uint32_t len = EVENT_HDR_V2 + nparams * width;

	for (uint32_t i = 0; i < nparams; i++)
		len += lens[i];
	sbuf_put64(out, ts);
	sbuf_put64(out, (uint64_t)tid);
	sbuf_put32(out, len);
	sbuf_put16(out, type);
	sbuf_put32(out, nparams);
	for (uint32_t i = 0; i < nparams; i++) {
		if (width == 2)
			sbuf_put16(out, (uint16_t)lens[i]);
		else
			sbuf_put32(out, lens[i]);
	}
	for (uint32_t i = 0; i < nparams; i++)
		sbuf_put(out, vals[i], lens[i]);
	return len;
}

void scap_encode_drop_marks(struct sbuf *out, const char *id, uint64_t first_ts, uint64_t last_ts,
                            int64_t tid, const char *desc, uint32_t len[3])
{
	uint32_t ratio = 1, four = 4;
	const void *rv[1] = { &ratio };
	const void *nv[2] = { id, desc };
	uint32_t nl[2] = { (uint32_t)strlen(id) + 1, (uint32_t)strlen(desc) + 1 };

	len[0] = scap_encode_event(out, first_ts, tid, 148, 1, rv, &four); /* drop enter */
	len[1] = scap_encode_event(out, first_ts, tid, 280, 2, nv, nl);    /* notification */
	len[2] = scap_encode_event(out, last_ts, tid, 149, 1, rv, &four);  /* drop exit */
}

void scap_writer_record(struct scap_writer *w, const struct scap_record *rec)
{
	switch (rec->kind) {
	case SCAP_REC_SECTION:
		scap_writer_section(w);
		break;
	case SCAP_REC_MACHINE:
		scap_writer_machine(w, &rec->machine);
		break;
	case SCAP_REC_IFACES:
		scap_writer_ifaces(w, rec->ifaces, rec->nifaces);
		break;
	case SCAP_REC_USERS:
		scap_writer_users(w, rec->users, rec->nusers, rec->groups, rec->ngroups);
		break;
	case SCAP_REC_PROCS:
		scap_writer_procs(w, rec->procs, rec->nprocs);
		break;
	case SCAP_REC_FDS:
		scap_writer_fds(w, rec->fds_tid, rec->fds, rec->nfds);
		break;
	default:
		break;
	}
}

void scap_evb_init(struct scap_evb *b)
{
	memset(b, 0, sizeof(*b));
	sbuf_init(&b->buf, 1024);
}

void scap_evb_release(struct scap_evb *b)
{
	sbuf_release(&b->buf);
}

void scap_evb_bytes(struct scap_evb *b, const void *p, uint32_t n)
{
	if (b->n >= EVENT_MAX_PARAMS)
		return;
	b->vals[b->n] = p;
	b->lens[b->n++] = n;
}

void scap_evb_str(struct scap_evb *b, const char *s)
{
	scap_evb_bytes(b, s, (uint32_t)strlen(s) + 1);
}

void scap_evb_num(struct scap_evb *b, uint64_t v, uint32_t size)
{
	if (b->n >= EVENT_MAX_PARAMS || size > 8)
		return;
	memcpy(b->store[b->n], &v, size); /* little-endian: the low bytes */
	scap_evb_bytes(b, b->store[b->n], size);
}

void scap_evb_write(struct scap_evb *b, struct scap_writer *w, uint16_t cpu, uint64_t ts, int64_t tid,
                    uint16_t type)
{
	sbuf_reset(&b->buf);
	scap_encode_event(&b->buf, ts, tid, type, b->n, b->vals, b->lens);
	scap_writer_event_bytes(w, cpu, 0, (const uint8_t *)b->buf.data, (uint32_t)b->buf.len);
	b->n = 0;
}
