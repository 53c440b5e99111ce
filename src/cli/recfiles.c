/* recfiles: the files of a recording, rotated as sysdig's -C/-G/-W/-e do (see recfiles.h). */
#include "recfiles.h"

#include "rotnames.h"

#include "../filter/filter.h"
#include "../scap/scap.h"
#include "../state/state.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

struct recfiles {
	struct recfiles_opts o;
	struct rotnames names; /* of the files, rotated or not */
	bool rotating;
	struct scap_writer *w;
	struct err err; /* the first error */
	int err_code;   /* its -errno */
	bool failed;
	/* the host, written at the head of every file */
	struct scap_machine machine;
	struct scap_iface *ifs;
	size_t nifs;
	struct scap_user *users;
	size_t nusers;
	struct scap_group *groups;
	size_t ngroups;
	struct state *st; /* threads and fds kept current, when files rotate or a filter reads them */
	struct filter *flt;
	uint64_t matched, hidden; /* events the filter matched; rejected ones kept hidden */
	bool full;                /* max_shown events matched (read by other threads) */
	/* containers described so far: ids and their container events */
	char (*ids)[13];
	struct sbuf *container_evs;
	size_t ncontainers;
	/* the current file */
	uint64_t opened;     /* files opened */
	uint64_t in_file;    /* events in the current file */
	uint64_t file_start; /* epoch seconds the current file's period began (-G) */
	uint64_t now_ts;     /* the time of the run of events being written */
	char **written;      /* the names of the files opened, each once */
	size_t nwritten;
	struct sbuf tmp;
};

static void fail(struct recfiles *f, int rc, const char *msg)
{
	if (!f->failed) {
		f->failed = true;
		f->err_code = rc ? rc : -EIO;
		err_set(&f->err, rc, "%s", msg);
	}
}

static void write_container_events(struct recfiles *f, uint64_t ts)
{
	for (size_t i = 0; i < f->ncontainers; i++) {
		struct sbuf *ev = &f->container_evs[i];

		memcpy(ev->data, &ts, 8);
		scap_writer_event_bytes(f->w, 0, 0, (const uint8_t *)ev->data, (uint32_t)ev->len);
	}
}

/*
 * The container event (tid -1) of text into ev (replacing what it held),
 * written now, and told to the state when one is kept (filters read it).
 */
static void put_container(struct recfiles *f, struct sbuf *ev, uint64_t ts, const char *text)
{
	const void *val[1] = { text };
	uint32_t vlen[1] = { (uint32_t)strlen(text) + 1 };

	ev->len = 0;
	scap_encode_event(ev, ts, -1, PPME_CONTAINER_JSON_2_E, PPME_CONTAINER_JSON_2_E_NPARAMS, val, vlen);
	if (f->w)
		scap_writer_event_bytes(f->w, 0, 0, (const uint8_t *)ev->data, (uint32_t)ev->len);
	if (f->st) {
		struct event e;
		struct evctx cx;
		struct err err;

		if (event_parse(&e, (const uint8_t *)ev->data, (uint32_t)ev->len, 2, &err) == 0)
			state_process(f->st, &e, &cx);
	}
}

/*
 * A thread with these cgroups was seen: if they name a container not yet
 * described, describe it with a container event, as sysdig's writer does:
 * first with what the cgroup path tells (the id and the runtime), then, when
 * the runtimes answer (on_container()), whole.
 */
static void note_container(struct recfiles *f, const char *cg, size_t len, uint64_t ts)
{
	char id[13];
	int type = state_cgroups_container(cg, len, id);
	struct sbuf *ev;
	char *text;

	if (type < 0)
		return;
	for (size_t i = 0; i < f->ncontainers; i++)
		if (!strcmp(f->ids[i], id))
			return;
	f->ids = xrealloc(f->ids, (f->ncontainers + 1) * sizeof(*f->ids));
	f->container_evs = xrealloc(f->container_evs, (f->ncontainers + 1) * sizeof(*f->container_evs));
	memcpy(f->ids[f->ncontainers], id, 13);
	ev = &f->container_evs[f->ncontainers++];
	memset(ev, 0, sizeof(*ev));
	text = state_container_json_min(id, type);
	put_container(f, ev, ts, text);
	free(text);
	if (f->o.rt)
		rt_watch_ask(f->o.rt, id, type);
}

/* A runtime stopped (or started again) answering: said in the file, as a notification event. */
static void on_runtime_note(void *ctx, const char *text)
{
	struct recfiles *f = ctx;
	const void *val[2] = { "sysrec-containers", text };
	uint32_t vlen[2] = { sizeof("sysrec-containers"), (uint32_t)strlen(text) + 1 };

	if (!f->w)
		return;
	f->tmp.len = 0;
	scap_encode_event(&f->tmp, f->now_ts, -1, PPME_NOTIFICATION_E, PPME_NOTIFICATION_E_NPARAMS, val,
	                  vlen);
	scap_writer_event_bytes(f->w, 0, 0, (const uint8_t *)f->tmp.data, (uint32_t)f->tmp.len);
}

/* A runtime's answer for a container described so far by its id: its event again, whole. */
static void on_container(void *ctx, const char *id, const char *json)
{
	struct recfiles *f = ctx;

	for (size_t i = 0; i < f->ncontainers; i++)
		if (!strcmp(f->ids[i], id)) {
			put_container(f, &f->container_evs[i], f->now_ts, json);
			return;
		}
}

static void write_head(struct recfiles *f, const struct scap_proc *procs, struct scap_fd *const *fds,
                       const size_t *nfds, size_t nprocs)
{
	scap_writer_section(f->w);
	scap_writer_machine(f->w, &f->machine);
	scap_writer_ifaces(f->w, f->ifs, f->nifs);
	scap_writer_users(f->w, f->users, f->nusers, f->groups, f->ngroups);
	scap_writer_proc_table(f->w, procs, fds, nfds, nprocs);
}

/* Start a new file (the first, or the next of a rotation) named for the period starting at start. */
static int open_file(struct recfiles *f, time_t start)
{
	char *name = rotnames_next(&f->names, start);
	struct err e = { { 0 } };

	f->w = scap_writer_open(name, f->o.gzip, &e);
	if (!f->w) {
		free(name);
		fail(f, -EIO, e.msg);
		return f->err_code;
	}
	for (size_t i = 0; name && i < f->nwritten; i++)
		if (!strcmp(f->written[i], name)) { /* -W's ring: the same name again */
			free(name);
			name = NULL;
		}
	if (name) {
		f->written = xrealloc(f->written, (f->nwritten + 1) * sizeof(char *));
		f->written[f->nwritten++] = name;
	}
	f->opened++;
	f->in_file = 0;
	f->file_start = (uint64_t)start;
	return 0;
}

static void host_from_records(struct recfiles *f, const struct engine_procs *p)
{
	struct scap_record rec;

	memset(&rec, 0, sizeof(rec));
	rec.kind = SCAP_REC_USERS;
	rec.users = f->users;
	rec.nusers = f->nusers;
	rec.groups = f->groups;
	rec.ngroups = f->ngroups;
	state_add_record(f->st, &rec);
	state_add_procs(f->st, p->procs, p->fds, p->nfds, p->nprocs);
}

struct recfiles *recfiles_open(const struct recfiles_opts *o, struct err *e)
{
	struct recfiles *f = xcalloc(1, sizeof(*f));
	struct engine_procs procs;
	uint64_t ts = epoch_ns();

	f->o = *o;
	rotnames_init(&f->names, o->path, o->rotate_mb, o->rotate_secs, o->max_files, o->file_events);
	f->rotating = f->names.rotating;
	if (open_file(f, (time_t)(ts / 1000000000ULL))) {
		*e = f->err;
		recfiles_abort(f);
		return NULL;
	}
	engine_machine(&f->machine);
	f->nifs = engine_ifaces(&f->ifs);
	engine_users(&f->users, &f->nusers, &f->groups, &f->ngroups);
	if (engine_procs(&procs, getpid()) != 0)
		memset(&procs, 0, sizeof(procs));
	write_head(f, procs.procs, procs.fds, procs.nfds, procs.nprocs);
	for (size_t i = 0; i < procs.nprocs; i++)
		note_container(f, procs.procs[i].cgroups, procs.procs[i].cgroups_len, ts);
	if (f->rotating || o->filter) {
		f->st = state_new();
		host_from_records(f, &procs);
	}
	engine_procs_free(&procs);
	if (o->filter && !(f->flt = filter_compile(f->st, o->filter, e))) {
		recfiles_abort(f);
		return NULL;
	}
	return f;
}

/* Close the current file and open the next, headed by the state as the events left it. */
static int rotate(struct recfiles *f, uint64_t ts)
{
	struct err e = { { 0 } };
	struct state_snapshot snap;

	int rc = scap_writer_close(f->w, &e);

	f->w = NULL;
	if (rc) {
		fail(f, rc, e.msg);
		return rc;
	}
	if (open_file(f, (time_t)(ts / 1000000000ULL)))
		return f->err_code;
	state_snapshot(f->st, &snap);
	write_head(f, snap.procs, snap.fds, snap.nfds, snap.n);
	state_snapshot_free(&snap);
	write_container_events(f, ts);
	return 0;
}

/* Whether the event at ts starts a new file, with pending events of pending_bytes not yet written. */
static bool rotation_due(const struct recfiles *f, uint64_t ts, uint64_t pending, uint64_t pending_bytes)
{
	const struct recfiles_opts *o = &f->o;

	if (o->file_events && f->in_file + pending >= o->file_events)
		return true;
	if (o->rotate_mb && scap_writer_bytes(f->w) + pending_bytes > o->rotate_mb * 1000000ULL)
		return true;
	return o->rotate_secs && ts / 1000000000ULL >= f->file_start + o->rotate_secs;
}

/*
 * What one event means beyond its bytes: a container first seen, the state
 * (when rotating or filtering), the filter's verdict. Returns the EVF flags to
 * write the event with, or -1 to drop it.
 */
static int note_event(struct recfiles *f, uint16_t cpu, const uint8_t *ev, uint32_t len, uint16_t type,
                      uint64_t ts)
{
	struct event e;
	struct evctx cx;
	struct err err;
	bool parsed = false;
	int flags;

	if (event_carries_cgroups(type)) {
		parsed = event_parse(&e, ev, len, 2, &err) == 0;
		if (parsed && e.nvals > 14)
			note_container(f, (const char *)e.val[14], e.vlen[14], ts);
	}
	if (!f->st || (!parsed && event_parse(&e, ev, len, 2, &err) != 0))
		return f->flt ? event_rejected_flags(type, f->o.fatfile) : 0;
	e.cpu = cpu;
	state_process(f->st, &e, &cx);
	if (!f->flt)
		return 0;
	if (f->full)
		return -1;
	if (filter_match(f->flt, &cx)) {
		f->matched++;
		if (f->o.max_shown && f->matched >= f->o.max_shown)
			__atomic_store_n(&f->full, true, __ATOMIC_RELEASE);
		return 0;
	}
	flags = event_rejected_flags(type, f->o.fatfile);
	if (flags > 0)
		f->hidden++;
	return flags;
}

int recfiles_blocks(struct recfiles *f, const uint8_t *p, size_t len)
{
	size_t off = 0, span = 0; /* blocks [span, off) are ready to be written as they are */
	uint64_t nspan = 0;

	if (f->failed)
		return f->err_code;
	if (f->o.rt && len >= 18) { /* containers the runtimes told of since: before these events */
		memcpy(&f->now_ts, p + 10, 8);
		rt_watch_take(f->o.rt, on_container, on_runtime_note, f);
	}
	while (off + 12 <= len) {
		uint32_t blen, elen;
		uint16_t cpu, type;
		uint64_t ts;
		const uint8_t *ev = p + off + 10;

		memcpy(&blen, p + off + 4, 4);
		memcpy(&cpu, p + off + 8, 2);
		memcpy(&ts, ev, 8);
		memcpy(&elen, ev + 16, 4);
		memcpy(&type, ev + 20, 2);
		if (f->rotating && f->in_file + nspan && rotation_due(f, ts, nspan, off - span)) {
			scap_writer_framed(f->w, p + span, off - span, nspan);
			f->in_file += nspan;
			span = off;
			nspan = 0;
			if (rotate(f, ts))
				return f->err_code;
		}
		if (event_carries_cgroups(type) || f->st) {
			/* a container event may have to go before this one */
			int flags;

			scap_writer_framed(f->w, p + span, off - span, nspan);
			f->in_file += nspan;
			span = off;
			nspan = 0;
			flags = note_event(f, cpu, ev, elen, type, ts);
			if (flags) {
				/* dropped, or written on its own as a flagged (EVF) block */
				if (flags > 0) {
					scap_writer_event_bytes(f->w, cpu, (uint32_t)flags, ev, elen);
					f->in_file++;
				}
				off += blen;
				span = off;
				continue;
			}
		}
		off += blen;
		nspan++;
	}
	scap_writer_framed(f->w, p + span, off - span, nspan);
	f->in_file += nspan;
	return 0;
}

int recfiles_lost(struct recfiles *f, uint16_t cpu, const struct event_loss *l)
{
	char desc[256];
	uint32_t len[3];
	size_t off = 0;
	uint64_t n = event_loss_total(l), busy = l->n[EVENT_LOST_BUSY];

	if (f->failed)
		return f->err_code;
	if (!n)
		return 0;
	snprintf(desc, sizeof(desc),
	         "%llu events lost%s: ring buffer full %llu, too large %llu, disk behind %llu, "
	         "tracepoint busy %llu",
	         (unsigned long long)n, busy ? "" : " on this CPU", (unsigned long long)l->n[EVENT_LOST_RING],
	         (unsigned long long)l->n[EVENT_LOST_BIG], (unsigned long long)l->n[EVENT_LOST_BEHIND],
	         (unsigned long long)busy);
	f->tmp.len = 0;
	scap_encode_drop_marks(&f->tmp, "sysrec-drops", l->first_ts, l->last_ts, (int64_t)l->tid, desc, len);
	for (int i = 0; i < 3; off += len[i++])
		scap_writer_event_bytes(f->w, cpu, 0, (const uint8_t *)f->tmp.data + off, len[i]);
	return 0;
}

const char *recfiles_error(const struct recfiles *f)
{
	return f->failed ? f->err.msg : NULL;
}

uint64_t recfiles_count(const struct recfiles *f)
{
	return f->opened;
}

char *const *recfiles_names(const struct recfiles *f, size_t *n)
{
	*n = f->nwritten;
	return f->written;
}

void recfiles_filtered(const struct recfiles *f, uint64_t *matched, uint64_t *hidden)
{
	*matched = f->matched;
	*hidden = f->hidden;
}

bool recfiles_full(const struct recfiles *f)
{
	return __atomic_load_n(&f->full, __ATOMIC_ACQUIRE);
}

static void recfiles_free(struct recfiles *f)
{
	engine_ifaces_free(f->ifs, f->nifs);
	engine_users_free(f->users, f->nusers, f->groups, f->ngroups);
	filter_free(f->flt);
	state_free(f->st);
	for (size_t i = 0; i < f->ncontainers; i++)
		sbuf_release(&f->container_evs[i]);
	free(f->container_evs);
	free(f->ids);
	rotnames_release(&f->names);
	for (size_t i = 0; i < f->nwritten; i++)
		free(f->written[i]);
	free(f->written);
	sbuf_release(&f->tmp);
	free(f);
}

int recfiles_close(struct recfiles *f, struct err *e)
{
	int rc = 0;

	if (f->o.rt && f->w && !f->failed) { /* what the runtimes told since the last events */
		f->now_ts = epoch_ns();
		rt_watch_take(f->o.rt, on_container, on_runtime_note, f);
	}

	if (f->w)
		rc = scap_writer_close(f->w, e);
	if (f->failed) {
		*e = f->err;
		rc = f->err_code;
	}
	recfiles_free(f);
	return rc;
}

void recfiles_abort(struct recfiles *f)
{
	if (f->w)
		scap_writer_abort(f->w);
	recfiles_free(f);
}
