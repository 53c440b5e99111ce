/*
 * events: the events that made each artifact, found in the .scap files
 * written alongside (art_events_link()).
 *
 * The kernel side stamps an artifact's record with the time of its call's
 * event (bpf/artifact.bpf.h), so a reference of rule ART_EV_AT is the event
 * of that thread at exactly that time. An exec's record is made inside the
 * execve, before its exit event: ART_EV_EXEC is the first execve or execveat
 * exit of the thread after it. Each file is read once, start to end, and its
 * events numbered as a reader numbers them (evt.num: 1, 2, ... in file order).
 */
#include "artifacts_int.h"

#include "../event/event.h"
#include "../scap/scap.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define EXEC_WITHIN_NS 1000000000ULL /* an exec's exit event comes at most this long after its record */

static int by_tid_ts(const void *a, const void *b)
{
	const struct art_evref *x = *(const struct art_evref *const *)a,
	                       *y = *(const struct art_evref *const *)b;

	if (x->tid != y->tid)
		return x->tid < y->tid ? -1 : 1;
	if (x->ts != y->ts)
		return x->ts < y->ts ? -1 : 1;
	return 0;
}

/* The first reference of thread tid at or after ts (n: none). */
static size_t lower_bound(struct art_evref *const *v, size_t n, uint32_t tid, uint64_t ts)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (v[mid]->tid < tid || (v[mid]->tid == tid && v[mid]->ts < ts))
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* Event ev, number num of file index+1 file: the references it answers. */
static void match(struct art_evref *const *v, size_t n, const struct event *ev, uint32_t file, uint64_t num)
{
	uint32_t tid = (uint32_t)ev->tid;
	bool exec = ev->type == PPME_SYSCALL_EXECVE_19_X || ev->type == PPME_SYSCALL_EXECVEAT_X;
	uint64_t from = exec && ev->ts > EXEC_WITHIN_NS ? ev->ts - EXEC_WITHIN_NS : exec ? 0 : ev->ts;

	if (ev->tid < 0 || ev->tid > UINT32_MAX)
		return;
	for (size_t i = lower_bound(v, n, tid, from); i < n && v[i]->tid == tid && v[i]->ts <= ev->ts; i++) {
		struct art_evref *r = v[i];

		if (r->file)
			continue;
		if ((r->rule == ART_EV_AT && r->ts == ev->ts) || (r->rule == ART_EV_EXEC && exec)) {
			r->file = file;
			r->num = num;
		}
	}
}

/* Read one capture through (r, closed here), matching its events; 0, or -errno with e set. */
static int scan(struct scap_reader *r, struct art_evref *const *v, size_t n, uint32_t file,
                void (*progress)(void *ctx, uint64_t bytes), void *ctx, uint64_t *bytes, struct err *e)
{
	struct scap_record rec;
	uint64_t num = 0, base = *bytes;
	int kind;

	while ((kind = scap_reader_next(r, &rec, e)) > 0) {
		if (kind != SCAP_REC_EVENT)
			continue;
		match(v, n, &rec.ev, file, ++num);
		if (progress && !(num & 0xffff)) {
			*bytes = base + scap_reader_offset(r);
			progress(ctx, *bytes);
		}
	}
	*bytes = base + scap_reader_offset(r);
	scap_reader_close(r);
	return kind < 0 ? kind : 0;
}

int art_events_link(struct art_dir *d, char *const *paths, size_t n,
                    void (*progress)(void *ctx, uint64_t bytes), void *ctx, struct err *e)
{
	size_t nrefs;
	struct art_evref **v = art_evrefs(d, &nrefs);
	uint64_t bytes = 0;
	int rc = 0;

	art_set_event_files(d, paths, n);
	qsort(v, nrefs, sizeof(*v), by_tid_ts); // NOLINT(bugprone-sizeof-expression): sorts pointers
	for (size_t i = 0; nrefs && i < n; i++) {
		struct err fe = { { 0 } };
		struct scap_reader *r = scap_reader_open(paths[i], &fe);
		int frc = !r ? (errno == ENOENT ? -ENOENT : -(errno ? errno : EIO))
		             : scan(r, v, nrefs, (uint32_t)(i + 1), progress, ctx, &bytes, &fe);

		if (frc && frc != -ENOENT && !rc) { /* the first error said; what was found is kept */
			rc = frc;
			err_set(e, frc, "finding the artifacts' events in %s: %s", paths[i], fe.msg);
		}
	}
	free(v);
	return rc;
}

int art_events_link_fd(struct art_dir *d, int fd, const char *name, struct err *e)
{
	size_t nrefs;
	struct art_evref **v = art_evrefs(d, &nrefs);
	char *names[1] = { (char *)(uintptr_t)name };
	struct scap_reader *r;
	struct err fe = { { 0 } };
	uint64_t bytes = 0;
	int rc = 0;

	art_set_event_files(d, names, 1);
	if (!nrefs) {
		close(fd);
		free(v);
		return 0;
	}
	qsort(v, nrefs, sizeof(*v), by_tid_ts); // NOLINT(bugprone-sizeof-expression): sorts pointers
	if (!(r = scap_reader_open_fd(fd, &fe)))
		rc = -(errno ? errno : EIO);
	else
		rc = scan(r, v, nrefs, 1, NULL, NULL, &bytes, &fe);
	if (rc)
		err_set(e, rc, "finding the artifacts' events in %s: %s", name, fe.msg);
	free(v);
	return rc;
}
