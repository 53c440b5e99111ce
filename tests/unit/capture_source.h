/* capture_source.h: a real capture loaded in memory and replayed into a flight recorder. */

#ifndef SYSREC_TESTS_CAPTURE_SOURCE_H
#define SYSREC_TESTS_CAPTURE_SOURCE_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../src/recorder/recorder.h"
#include "../../src/scap/scap.h"

#define NS 1000000000ULL

/* ------------------------------------------------------------ the source */

/* The host of a capture: its metadata records up to the first event, copied. */
struct host {
	struct scap_machine machine;
	struct scap_iface *ifaces;
	size_t nifaces;
	struct scap_user *users;
	size_t nusers;
	struct scap_group *groups;
	size_t ngroups;
	struct scap_proc *procs;
	size_t nprocs;
	struct scap_fd **fds;
	size_t *nfds;
	size_t orphan_fds; /* fd lists of threads the process list lacks */
};

/* A source capture in memory: its host and its events, framed as the agent frames them. */
struct source {
	char path[512];
	struct host h;
	struct sbuf framed;
	size_t nevents;
	uint64_t *ts; /* per event, in file order */
	int64_t *tid;
	uint16_t *type;
	uint64_t first_ts, last_ts;
};

static inline const char *testdata_dir(void)
{
	return env_or("SYSREC_TESTDATA", "../shared/testdata");
}

static inline char *dup_bytes(const char *p, size_t n)
{
	char *d = xmalloc(n + 1);

	if (n)
		memcpy(d, p, n);
	d[n] = 0;
	return d;
}

static inline char *dup_str(const char *s)
{
	return xstrdup(s ? s : "");
}

static inline void host_add_procs(struct host *h, const struct scap_record *rec)
{
	h->procs = xrealloc(h->procs, (h->nprocs + rec->nprocs) * sizeof(*h->procs));
	h->fds = xrealloc(h->fds, (h->nprocs + rec->nprocs) * sizeof(*h->fds));
	h->nfds = xrealloc(h->nfds, (h->nprocs + rec->nprocs) * sizeof(*h->nfds));
	for (size_t i = 0; i < rec->nprocs; i++) {
		const struct scap_proc *s = &rec->procs[i];
		struct scap_proc *d = &h->procs[h->nprocs];

		*d = *s;
		d->comm = dup_str(s->comm);
		d->exe = dup_str(s->exe);
		d->exepath = dup_str(s->exepath);
		d->cwd = dup_str(s->cwd);
		d->root = dup_str(s->root);
		d->args = dup_bytes(s->args, s->args ? s->args_len : 0);
		d->env = dup_bytes(s->env, s->env ? s->env_len : 0);
		d->cgroups = dup_bytes(s->cgroups, s->cgroups ? s->cgroups_len : 0);
		h->fds[h->nprocs] = NULL;
		h->nfds[h->nprocs] = 0;
		h->nprocs++;
	}
}

static inline void host_add_fds(struct host *h, const struct scap_record *rec)
{
	size_t i, n;

	for (i = 0; i < h->nprocs && h->procs[i].tid != rec->fds_tid; i++)
		;
	if (i == h->nprocs) {
		h->orphan_fds++;
		return;
	}
	n = h->nfds[i];
	h->fds[i] = xrealloc(h->fds[i], (n + rec->nfds) * sizeof(*h->fds[i]));
	for (size_t k = 0; k < rec->nfds; k++) {
		h->fds[i][n + k] = rec->fds[k];
		h->fds[i][n + k].name = dup_str(rec->fds[k].name);
	}
	h->nfds[i] = n + rec->nfds;
}

static inline void host_add(struct host *h, const struct scap_record *rec)
{
	switch (rec->kind) {
	case SCAP_REC_MACHINE:
		h->machine = rec->machine;
		break;
	case SCAP_REC_IFACES:
		h->ifaces = xrealloc(h->ifaces, (h->nifaces + rec->nifaces) * sizeof(*h->ifaces));
		for (size_t i = 0; i < rec->nifaces; i++) {
			h->ifaces[h->nifaces] = rec->ifaces[i];
			h->ifaces[h->nifaces++].name = dup_str(rec->ifaces[i].name);
		}
		break;
	case SCAP_REC_USERS:
		h->users = xrealloc(h->users, (h->nusers + rec->nusers) * sizeof(*h->users));
		for (size_t i = 0; i < rec->nusers; i++) {
			struct scap_user *u = &h->users[h->nusers++];

			*u = rec->users[i];
			u->name = dup_str(rec->users[i].name);
			u->homedir = dup_str(rec->users[i].homedir);
			u->shell = dup_str(rec->users[i].shell);
		}
		h->groups = xrealloc(h->groups, (h->ngroups + rec->ngroups) * sizeof(*h->groups));
		for (size_t i = 0; i < rec->ngroups; i++) {
			h->groups[h->ngroups] = rec->groups[i];
			h->groups[h->ngroups++].name = dup_str(rec->groups[i].name);
		}
		break;
	case SCAP_REC_PROCS:
		host_add_procs(h, rec);
		break;
	case SCAP_REC_FDS:
		host_add_fds(h, rec);
		break;
	default:
		break;
	}
}

static inline void host_free(struct host *h)
{
	for (size_t i = 0; i < h->nifaces; i++)
		free(h->ifaces[i].name);
	for (size_t i = 0; i < h->nusers; i++) {
		free(h->users[i].name);
		free(h->users[i].homedir);
		free(h->users[i].shell);
	}
	for (size_t i = 0; i < h->ngroups; i++)
		free(h->groups[i].name);
	for (size_t i = 0; i < h->nprocs; i++) {
		scap_proc_release(&h->procs[i]);
		for (size_t k = 0; k < h->nfds[i]; k++)
			scap_fd_release(&h->fds[i][k]);
		free(h->fds[i]);
	}
	free(h->ifaces);
	free(h->users);
	free(h->groups);
	free(h->procs);
	free(h->fds);
	free(h->nfds);
	memset(h, 0, sizeof(*h));
}

static inline struct recorder_host host_view(const struct host *h)
{
	struct recorder_host v = { 0 };

	v.machine = &h->machine;
	v.ifaces = h->ifaces;
	v.nifaces = h->nifaces;
	v.users = h->users;
	v.nusers = h->nusers;
	v.groups = h->groups;
	v.ngroups = h->ngroups;
	v.procs = h->procs;
	v.fds = (struct scap_fd *const *)h->fds;
	v.nfds = h->nfds;
	v.nprocs = h->nprocs;
	return v;
}

/* Frame ev (a v1 header gains its nparams) as one EV_V2 block at the end of out. */
static inline void frame(struct sbuf *out, const struct event *ev)
{
	uint8_t stack[4096];
	uint8_t *v2 = ev->len <= sizeof(stack) ? stack : xmalloc(ev->len);
	size_t n;

	if (ev->version == 2) {
		memcpy(v2, ev->raw, ev->raw_len);
	} else {
		uint32_t len = ev->len;

		memcpy(v2, ev->raw, EVENT_HDR_V1);
		memcpy(v2 + 16, &len, 4);
		memcpy(v2 + 22, &ev->nparams, 4);
		memcpy(v2 + EVENT_HDR_V2, ev->raw + EVENT_HDR_V1, ev->raw_len - EVENT_HDR_V1);
	}
	n = scap_frame_size(ev->len);
	sbuf_grow(out, n);
	scap_frame_event((uint8_t *)out->data + out->len, ev->cpu, v2, ev->len);
	out->len += n;
	if (v2 != stack)
		free(v2);
}

/* Load path; false (with a visible message) when the shared testdata is absent. */
static inline bool source_load(struct source *src, const char *path)
{
	struct err e = { { 0 } };
	struct scap_reader *rd;
	struct scap_record rec;
	size_t cap = 1024;
	int rc;

	memset(src, 0, sizeof(*src));
	snprintf(src->path, sizeof(src->path), "%s", path);
	if (access(path, R_OK) != 0) {
		fprintf(stderr, "%s: SKIP: shared capture %s not found (set SYSREC_TESTDATA)\n",
		        program_invocation_short_name, path);
		return false;
	}
	rd = scap_reader_open(path, &e);
	if (!rd)
		fail_msg("%s", e.msg);
	sbuf_init(&src->framed, 1 << 16);
	src->ts = xmalloc(cap * sizeof(*src->ts));
	src->tid = xmalloc(cap * sizeof(*src->tid));
	src->type = xmalloc(cap * sizeof(*src->type));
	memset(&rec, 0, sizeof(rec));
	while ((rc = scap_reader_next(rd, &rec, &e)) > 0) {
		if (rc != SCAP_REC_EVENT) {
			/* these files describe the host once, ahead of their events */
			assert_int_equal(src->nevents, 0);
			host_add(&src->h, &rec);
			continue;
		}
		assert_int_equal(rec.ev.dump_flags, 0);
		if (src->nevents == cap) {
			cap *= 2;
			src->ts = xrealloc(src->ts, cap * sizeof(*src->ts));
			src->tid = xrealloc(src->tid, cap * sizeof(*src->tid));
			src->type = xrealloc(src->type, cap * sizeof(*src->type));
		}
		src->tid[src->nevents] = rec.ev.tid;
		src->type[src->nevents] = rec.ev.type;
		src->ts[src->nevents++] = rec.ev.ts;
		if (!src->first_ts || rec.ev.ts < src->first_ts)
			src->first_ts = rec.ev.ts;
		if (rec.ev.ts > src->last_ts)
			src->last_ts = rec.ev.ts;
		frame(&src->framed, &rec.ev);
	}
	if (rc < 0)
		fail_msg("%s: %s", path, e.msg);
	scap_reader_close(rd);
	assert_int_equal(src->h.orphan_fds, 0);
	assert_true(src->h.nprocs > 0);
	assert_true(src->nevents > 100);
	assert_true(src->last_ts > src->first_ts);
	return true;
}

static inline bool source_load_shared(struct source *src, const char *name)
{
	char path[512];

	snprintf(path, sizeof(path), "%s/scap/%s", testdata_dir(), name);
	return source_load(src, path);
}

static inline void source_free(struct source *src)
{
	host_free(&src->h);
	sbuf_release(&src->framed);
	free(src->ts);
	free(src->tid);
	free(src->type);
	memset(src, 0, sizeof(*src));
}

/*
 * The first event k >= from where a window may start without cutting a
 * syscall in two: the first of its time (a window takes every event of its
 * start time), and no thread's exit at or after k follows its enter before k.
 * Such an exit's fd is its enter's, which the head cannot carry: its fd.name
 * would not resolve (see the report of this test).
 */
static inline size_t clean_cut(const struct source *src, size_t from)
{
	int *cross = xcalloc(src->nevents + 2, sizeof(*cross));
	int64_t *tids = xmalloc(src->nevents * sizeof(*tids));
	size_t *prev = xmalloc(src->nevents * sizeof(*prev));
	size_t ntids = 0, k;
	int open = 0;

	for (size_t j = 0; j < src->nevents; j++) {
		size_t t;

		for (t = 0; t < ntids && tids[t] != src->tid[j]; t++)
			;
		if (t == ntids) {
			tids[ntids++] = src->tid[j];
		} else if ((src->type[j] & 1) && src->type[prev[t]] == src->type[j] - 1) {
			cross[prev[t] + 1]++; /* the pair (prev, j) spans the cuts prev+1 .. j */
			cross[j + 1]--;
		}
		prev[t] = j;
	}
	for (k = 0; k < src->nevents; k++) {
		open += cross[k];
		if (k >= from && !open && (k == 0 || src->ts[k] != src->ts[k - 1]))
			break;
	}
	free(cross);
	free(tids);
	free(prev);
	assert_true(k < src->nevents);
	return k;
}

/*
 * A recorder holding every event of src, appended in runs of about `run`
 * events, and marked complete up to complete_ts (UINT64_MAX: a replay,
 * nothing more will come).
 */
static inline struct recorder *record_upto(const struct source *src, const struct recorder_opts *o,
                                           size_t run, uint64_t complete_ts)
{
	struct recorder_host h = host_view(&src->h);
	struct recorder *r = recorder_new(o, &h);
	const uint8_t *p = (const uint8_t *)src->framed.data;
	size_t off = 0, start = 0, n = 0;
	struct recorder_stats st;

	while (off < src->framed.len) {
		off += load_u32(p + off + 4);
		if (++n % run == 0 || off == src->framed.len) {
			recorder_append(r, p + start, off - start);
			start = off;
		}
	}
	recorder_stats(r, &st);
	assert_int_equal(st.events, src->nevents);
	assert_int_equal(st.newest_ns, src->last_ts);
	recorder_mark_complete(r, complete_ts);
	return r;
}

static inline struct recorder *record(const struct source *src, const struct recorder_opts *o, size_t run)
{
	return record_upto(src, o, run, UINT64_MAX);
}

static const struct recorder_opts big_opts = {
	.max_bytes = 256u << 20,
	.seconds = 3600,
	.segment_bytes = 4u << 10, /* the shared captures hold 22 to 100 KiB of events */
};

#endif
