/* agent: the daemon's runtime - recording, capture jobs, retention (see agent.h). */
#include "agent_int.h"

#include "../engine/engine.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t stop_signal;

static void on_signal(int sig)
{
	stop_signal = sig;
}

int64_t agent_now(const struct agent *a)
{
	return (int64_t)time(NULL) + a->clock_skew_s;
}

uint64_t agent_now_ns(const struct agent *a)
{
	return epoch_ns() + (uint64_t)(a->clock_skew_s * 1000000000LL);
}

/* ---- the token ---- */

int agent_token(const char *data_dir, bool create, char token[65], struct err *e)
{
	char path[4096];
	int fd;
	ssize_t n;

	snprintf(path, sizeof(path), "%s/token", data_dir);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 && errno == ENOENT && create) {
		uint8_t raw[32];

		if (getrandom(raw, sizeof(raw), 0) != (ssize_t)sizeof(raw))
			return err_set(e, -EIO, "cannot make a token: no randomness");
		for (size_t i = 0; i < sizeof(raw); i++)
			snprintf(token + 2 * i, 3, "%02x", raw[i]);
		fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
		if (fd < 0)
			return err_set(e, -errno, "cannot create %s: %s", path, strerror(errno));
		n = write(fd, token, 64);
		if (n != 64 || write(fd, "\n", 1) != 1 || fsync(fd) != 0) {
			int rc = -errno;

			close(fd);
			unlink(path);
			return err_set(e, rc ? rc : -EIO, "cannot write %s: %s", path, strerror(errno));
		}
		close(fd);
		return 0;
	}
	if (fd < 0)
		return err_set(e, -errno, "cannot read %s: %s", path, strerror(errno));
	n = read(fd, token, 64);
	close(fd);
	if (n != 64)
		return err_set(e, -EINVAL, "%s does not hold a token (64 hex digits)", path);
	token[64] = 0;
	return 0;
}

/* ---- capture jobs ---- */

static void job_storing(void *ctx)
{
	struct agent_job *j = ctx;
	struct capture_meta m;
	struct err e = { { 0 } };

	if (catalog_get(j->a->cat, j->id, &m) != 0)
		return;
	m.status = CAPTURE_STORING;
	if (catalog_put(j->a->cat, &m, &e))
		log_warn("capture %s: %s", j->id, e.msg);
	capture_meta_free(&m);
}

static void *job_main(void *arg)
{
	struct agent_job *j = arg;
	struct agent *a = j->a;
	struct capture_result res;
	struct capture_meta m;
	struct err e = { { 0 } };
	char key[STORE_KEY_MAX + 1];
	int rc;

	capture_scap_key(key, j->id);
	rc = capture_write(a->rec, a->store, key, &j->q, &j->cancel, job_storing, j, &res, &e);
	if (catalog_get(a->cat, j->id, &m) == 0) {
		if (rc == 0) {
			m.status = CAPTURE_OK;
			m.size = res.size;
			memcpy(m.sha256, res.sha256, sizeof(m.sha256));
			m.start_ns = res.start_ns;
			m.end_ns = res.end_ns;
			m.duration = (double)(res.end_ns - res.start_ns) / 1e9;
			m.lost_events = res.lost;
			free(m.incomplete);
			m.incomplete = xstrdup(res.incomplete);
			if (res.incomplete[0])
				log_warn("capture %s is incomplete: %s", j->id, res.incomplete);
		} else {
			m.status = CAPTURE_ERROR;
			free(m.error);
			m.error = xstrdup(e.msg);
		}
		{
			struct err pe = { { 0 } };

			/* on failure the catalog holds the result and retries the record (flush_catalog) */
			if (catalog_put(a->cat, &m, &pe))
				log_error(
				        "capture %s: cannot record that it is %s (retried every second): %s",
				        j->id, capture_status_name(m.status), pe.msg);
		}
		capture_meta_free(&m);
	}
	if (rc)
		log_warn("capture %s failed: %s", j->id, e.msg);
	pthread_mutex_lock(&a->lock);
	j->done = true;
	a->outstanding--;
	pthread_mutex_unlock(&a->lock);
	return NULL;
}

static void job_free(struct agent_job *j)
{
	free(j->filter);
	free(j->container);
	free(j->name);
	free(j->trigger);
	free(j);
}

/* Join the jobs that have finished (main thread); all of them when stopping. */
static void reap_jobs(struct agent *a, bool all)
{
	for (;;) {
		struct agent_job *j = NULL, **pp;

		pthread_mutex_lock(&a->lock);
		for (pp = &a->jobs; *pp; pp = &(*pp)->next)
			if ((*pp)->done || all) {
				j = *pp;
				*pp = j->next;
				break;
			}
		pthread_mutex_unlock(&a->lock);
		if (!j)
			return;
		pthread_join(j->thread, NULL);
		job_free(j);
	}
}

/* Stop every capture (cancelled: each ends as an error) and join their threads. */
static void stop_jobs(struct agent *a)
{
	pthread_mutex_lock(&a->lock);
	for (struct agent_job *j = a->jobs; j; j = j->next)
		__atomic_store_n(&j->cancel, true, __ATOMIC_RELAXED);
	pthread_mutex_unlock(&a->lock);
	reap_jobs(a, true);
}

int agent_take_capture(struct agent *a, const struct agent_take *t, struct capture_meta *out, struct err *e)
{
	struct agent_job *j;
	struct capture_meta m;
	int64_t now = agent_now(a);
	uint64_t trig = t->trigger_ns ? t->trigger_ns : agent_now_ns(a);
	int rc;

	memset(out, 0, sizeof(*out));
	if (!a->cfg->captures_enabled) {
		return err_set(e, -EPERM, "Captures are disabled on this agent (captures.enabled: false)");
	}
	pthread_mutex_lock(&a->lock);
	if (a->stopping) {
		pthread_mutex_unlock(&a->lock);
		return err_set(e, -ESHUTDOWN, "the agent is stopping");
	}
	if (a->outstanding >= a->cfg->max_outstanding) {
		pthread_mutex_unlock(&a->lock);
		return err_set(e, -EBUSY, "Maximum number of outstanding captures (%u) reached",
		               a->cfg->max_outstanding);
	}
	a->outstanding++;
	pthread_mutex_unlock(&a->lock);

	j = xcalloc(1, sizeof(*j));
	j->a = a;
	j->name = xstrdup(t->name);
	j->filter = xstrdup(t->filter ? t->filter : "");
	j->container = xstrdup(t->container ? t->container : "");
	j->q.trigger_ns = trig;
	j->q.before_ns = (uint64_t)(t->before * 1e9);
	j->q.after_ns = (uint64_t)(t->after * 1e9);
	j->q.filter = *j->filter ? j->filter : NULL;
	j->q.container = *j->container ? j->container : NULL;
	j->trigger = xstrdup(t->trigger ? t->trigger : "manual");
	j->q.trigger = j->trigger;
	j->q.name = j->name;
	j->q.filter_proclist = t->filter_proclist;
	rc = capture_id_new(j->id, now);
	if (rc)
		err_set(e, rc, "cannot make a capture id: %s", strerror(-rc));
	memset(&m, 0, sizeof(m));
	memcpy(m.id, j->id, sizeof(m.id));
	m.name = j->name;
	m.host = a->host;
	m.container = j->container;
	m.trigger = j->trigger;
	m.filter = j->filter;
	m.storage = (char *)(uintptr_t)(t->storage && *t->storage ? t->storage : "local");
	m.error = "";
	m.incomplete = "";
	m.filter_proclist = t->filter_proclist;
	m.start_ns = j->q.trigger_ns - (j->q.before_ns < trig ? j->q.before_ns : trig);
	m.before = t->before;
	m.after = t->after;
	m.duration = t->before + t->after;
	m.status = CAPTURE_RECORDING;
	m.created = now;
	m.expires_at = now + (int64_t)a->cfg->retention_days * 86400;
	if (!rc)
		rc = catalog_put(a->cat, &m, e);
	if (!rc)
		rc = pthread_create(&j->thread, NULL, job_main, j)
		             ? err_set(e, -EAGAIN, "cannot start a thread")
		             : 0;
	if (rc) {
		pthread_mutex_lock(&a->lock);
		a->outstanding--;
		pthread_mutex_unlock(&a->lock);
		if (catalog_get(a->cat, j->id, out) == 0) {
			struct err de = { { 0 } };

			capture_meta_free(out);
			catalog_delete(a->cat, j->id, &de);
		}
		job_free(j);
		return rc;
	}
	capture_meta_copy(out, &m);
	pthread_mutex_lock(&a->lock);
	j->next = a->jobs;
	a->jobs = j;
	pthread_mutex_unlock(&a->lock);
	log_info("capture %s '%s' started (%.1f s before, %.1f s after)", j->id, j->name, t->before,
	         t->after);
	return 0;
}

/* ---- recording: the kernel ring into the recorder ---- */

/*
 * Losses go straight into the recorder's loss log (they must not wait in, or
 * be lost with, a full queue); the queue carries the events and, after each
 * drain of the kernel ring, a completeness mark: every event stamped before
 * it has been queued or told lost.
 */
#define COMPLETE_BLOCK 0x43535953u /* "SYSC" */

struct complete_block {
	uint32_t type, len;
	uint64_t ts;
};

struct drain {
	struct agent *a;
	struct bq *q;
	uint64_t events, drops;
	uint64_t drops_by[RECORDER_LOST_NCAUSES]; /* drops, by cause */
	struct recorder_loss behind; /* events the recorder thread was too far behind to take, not yet told */
	uint64_t busy_seen;          /* the kernel's skips of our programs counted so far */
	uint64_t busy_since;         /* when they, and the kernel's pending drops, were last read */
	uint64_t bad_params; /* events a filler wrote with a wrong parameter count (a bug), not kept */
};

/* The kernel's counters are read at most this often (a busy drain returns many times a second). */
#define STATS_EVERY_NS 20000000ULL

/* The recorder thread: runs of blocks from the queue, completeness marks between them. */
static int record_items(void *ctx, const char *data, size_t n)
{
	struct drain *d = ctx;
	const uint8_t *p = (const uint8_t *)data;
	size_t off = 0, run = 0;

	while (off + 8 <= n) {
		uint32_t type = load_u32(p + off), len = load_u32(p + off + 4);

		if (type == COMPLETE_BLOCK) {
			if (off > run)
				recorder_append(d->a->rec, p + run, off - run);
			recorder_mark_complete(d->a->rec, load_u64(p + off + 8));
			run = off + len;
		}
		off += len;
	}
	if (off > run)
		recorder_append(d->a->rec, p + run, off - run);
	return 0;
}

static int on_event(void *ctx, uint16_t cpu, const uint8_t *ev, uint32_t len)
{
	struct drain *d = ctx;
	char *p = bq_reserve(d->q, scap_frame_size(len));

	if (!p) {
		struct recorder_loss *b = &d->behind;

		if (!b->n[RECORDER_LOST_BEHIND]) {
			b->first_ts = load_u64(ev);
			b->tid = load_u64(ev + 8);
			b->cpu = cpu;
		}
		if (load_u64(ev) > b->last_ts)
			b->last_ts = load_u64(ev);
		b->n[RECORDER_LOST_BEHIND]++;
		d->drops++;
		d->drops_by[RECORDER_LOST_BEHIND]++;
		return 0;
	}
	scap_frame_event((uint8_t *)p, cpu, ev, len);
	d->events++;
	return 0;
}

static struct recorder_loss engine_loss(uint16_t cpu, const struct engine_drops *dr)
{
	struct recorder_loss l = {
		.first_ts = dr->first_ts, .last_ts = dr->last_ts, .tid = dr->tid, .cpu = cpu
	};

	l.n[RECORDER_LOST_RING] = dr->ring;
	l.n[RECORDER_LOST_BIG] = dr->big;
	return l;
}

static void on_drops(void *ctx, uint16_t cpu, const struct engine_drops *dr)
{
	struct drain *d = ctx;
	struct recorder_loss l = engine_loss(cpu, dr);

	d->drops += dr->ring + dr->big;
	d->drops_by[RECORDER_LOST_RING] += dr->ring;
	d->drops_by[RECORDER_LOST_BIG] += dr->big;
	recorder_note_drops(d->a->rec, &l, true);
}

/*
 * After a drain that found the ring empty at `drained` (epoch ns): tell the
 * losses not told in the ring yet (the queue's; every STATS_EVERY_NS the
 * kernel's pending on CPUs idle since, and its skips of our programs), then
 * queue the completeness mark, up to when the kernel's counters were last
 * read. A mark that finds the queue full waits for the next drain.
 */
static void drain_done(struct drain *d, struct engine *en, uint64_t drained)
{
	struct engine_stats st;
	char *c;

	if (d->behind.n[RECORDER_LOST_BEHIND]) {
		recorder_note_loss(d->a->rec, &d->behind);
		memset(&d->behind, 0, sizeof(d->behind));
	}
	if (drained < d->busy_since + STATS_EVERY_NS)
		return;
	engine_stats(en, &st);
	for (uint32_t cpu = 0; cpu < st.ncpus; cpu++) {
		struct recorder_loss l = engine_loss((uint16_t)cpu, &st.pending[cpu]);

		recorder_note_drops(d->a->rec, &l, false);
	}
	if (st.drops_busy > d->busy_seen) {
		struct recorder_loss l = { .first_ts = d->busy_since,
			                   .last_ts = drained,
			                   .cpu = RECORDER_ANY_CPU };

		l.n[RECORDER_LOST_BUSY] = st.drops_busy - d->busy_seen;
		recorder_note_loss(d->a->rec, &l);
		d->drops += l.n[RECORDER_LOST_BUSY];
		d->drops_by[RECORDER_LOST_BUSY] += l.n[RECORDER_LOST_BUSY];
		d->busy_seen = st.drops_busy;
	}
	d->busy_since = drained;
	if (st.bad_params > d->bad_params) {
		if (!d->bad_params)
			log_error("a BPF filler wrote events with a wrong parameter count (a bug): they are "
			          "not kept; /api/status counts them (drops.filler_bugs)");
		d->bad_params = st.bad_params;
	}
	c = bq_reserve(d->q, sizeof(struct complete_block));
	if (c) /* the queue packs blocks: no alignment */
		memcpy(c, &(struct complete_block){ COMPLETE_BLOCK, sizeof(struct complete_block), drained },
		       sizeof(struct complete_block));
}

/* ---- start, loop, stop ---- */

static int open_recorder(struct agent *a, struct err *e)
{
	struct scap_machine mach;
	struct scap_iface *ifs;
	struct scap_user *users;
	struct scap_group *groups;
	size_t nifs, nusers, ngroups;
	struct engine_procs procs;
	struct recorder_opts ro = { a->cfg->max_memory, a->cfg->seconds, 0 };
	struct recorder_host h;
	int rc;

	engine_machine(&mach);
	nifs = engine_ifaces(&ifs);
	engine_users(&users, &nusers, &groups, &ngroups);
	if ((rc = engine_procs(&procs, getpid())) != 0) {
		engine_ifaces_free(ifs, nifs);
		engine_users_free(users, nusers, groups, ngroups);
		return err_set(e, rc, "cannot read the processes in /proc: %s", strerror(-rc));
	}
	memset(&h, 0, sizeof(h));
	h.machine = &mach;
	h.ifaces = ifs;
	h.nifaces = nifs;
	h.users = users;
	h.nusers = nusers;
	h.groups = groups;
	h.ngroups = ngroups;
	h.procs = procs.procs;
	h.fds = procs.fds;
	h.nfds = procs.nfds;
	h.nprocs = procs.nprocs;
	a->rec = recorder_new(&ro, &h);
	engine_procs_free(&procs);
	engine_ifaces_free(ifs, nifs);
	engine_users_free(users, nusers, groups, ngroups);
	return 0;
}

static void expire(struct agent *a)
{
	struct err e = { { 0 } };
	int n = catalog_expire(a->cat, agent_now(a), &e);

	if (n < 0)
		log_warn("retention: %s", e.msg);
	else if (n > 0)
		log_info("retention: %d captures older than %u days deleted", n, a->cfg->retention_days);
}

/*
 * Write the capture records whose write failed (a full disk, no inodes): said
 * when their number changes, and when all are written. *unsaved: the count
 * the last retry left.
 */
static void flush_catalog(struct agent *a, int *unsaved)
{
	struct err e = { { 0 } };
	struct catalog_stats st;
	int left;

	catalog_stats(a->cat, &st);
	if (!st.unsaved) {
		*unsaved = 0;
		return;
	}
	left = catalog_flush(a->cat, &e);
	if (left > 0 && left != *unsaved)
		log_warn("catalog: %d capture records not written yet (retried every second): %s", left,
		         e.msg);
	else if (!left)
		log_info("catalog: the capture records are all written now");
	*unsaved = left;
}

int agent_run(const struct agent_config *c, struct err *e)
{
	struct agent a;
	struct engine_opts eo;
	struct engine *en = NULL;
	struct agent_http *http = NULL;
	struct drain d;
	struct engine_sink sink = { on_event, on_drops, &d };
	struct sigaction sa;
	const char *skew = getenv("SYSREC_CLOCK_SKEW");
	double last_rate, last_expire;
	uint64_t ev0 = 0, dr0 = 0;
	int rc = 0, lock_fd = -1, unsaved = 0;

	memset(&a, 0, sizeof(a));
	memset(&d, 0, sizeof(d));
	a.cfg = c;
	a.clock_skew_s = skew ? strtoll(skew, NULL, 10) : 0;
	pthread_mutex_init(&a.lock, NULL);
	if (c->host_name)
		snprintf(a.host, sizeof(a.host), "%s", c->host_name);
	else if (gethostname(a.host, sizeof(a.host) - 1) != 0)
		snprintf(a.host, sizeof(a.host), "localhost");
	if ((lock_fd = agent_data_dir_open(c->data_dir, e)) < 0) {
		rc = lock_fd;
		goto out;
	}
	if ((rc = agent_token(c->data_dir, true, a.token, e)) != 0)
		goto out;
	if (!(a.store = store_local_open(c->data_dir, e))) {
		rc = errno ? -errno : -EIO; /* theirs: NULL with errno set */
		goto out;
	}
	if (!(a.cat = catalog_open(a.store, e))) {
		rc = errno ? -errno : -EIO; /* theirs: NULL with errno set */
		goto out;
	}
	expire(&a);
	if ((rc = agent_rules_load(c, &a.rules, e)) != 0)
		goto out;
	memset(&eo, 0, sizeof(eo));
	eo.ring_bytes = c->ring_mb << 20;
	eo.snaplen = c->snaplen;
	if (!(en = engine_ebpf_open(&eo, e))) {
		rc = errno ? -errno : -EIO; /* theirs: NULL with errno set */
		goto out;
	}
	if ((rc = open_recorder(&a, e)) != 0)
		goto out;
	if (a.rules && (rc = agent_rules_start(a.rules, &a, e)) != 0)
		goto out;
	d.a = &a;
	d.q = bq_new(4u << 20, 16, false, record_items, &d);
	if ((rc = agent_http_start(&a, &http, e)) != 0)
		goto out;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	fprintf(stderr, "sysrec agent: recording; API on %s://%s (token in %s/token); data in %s\n",
	        c->tls_cert ? "https" : "http", c->listen, c->data_dir, c->data_dir);
	last_rate = last_expire = mono_seconds();
	{
		struct engine_stats st;

		engine_stats(en, &st);
		d.busy_seen = st.drops_busy;
		d.busy_since = epoch_ns();
	}
	while (!stop_signal) {
		double now;
		uint64_t drained = epoch_ns();

		rc = engine_poll(en, 50, &sink);
		if (rc >= 0)
			drain_done(&d, en, drained);
		bq_flush(d.q);
		if (rc < 0) {
			err_set(e, rc, "reading the ring buffer: %s", strerror(-rc));
			break;
		}
		rc = 0;
		now = mono_seconds();
		if (now - last_rate >= 1) {
			pthread_mutex_lock(&a.lock);
			a.events_total = d.events;
			a.drops_total = d.drops;
			memcpy(a.drops_by, d.drops_by, sizeof(a.drops_by));
			a.filler_bugs = d.bad_params;
			a.event_rate = (double)(d.events - ev0) / (now - last_rate);
			a.drop_rate = (double)(d.drops - dr0) / (now - last_rate);
			pthread_mutex_unlock(&a.lock);
			ev0 = d.events;
			dr0 = d.drops;
			last_rate = now;
			reap_jobs(&a, false);
			flush_catalog(&a, &unsaved);
		}
		if (now - last_expire >= 60) {
			expire(&a);
			last_expire = now;
		}
	}
	fprintf(stderr, "sysrec agent: stopping\n");
out:
	pthread_mutex_lock(&a.lock);
	a.stopping = true; /* agent_take_capture() refuses from here on */
	pthread_mutex_unlock(&a.lock);
	agent_http_stop(http);
	stop_jobs(&a);
	if (en)
		engine_stop(en);
	if (d.q)
		bq_free(d.q); /* the writer thread has stopped: no rule matches any more */
	/* a rule's capture admitted just before stopping was set may have joined the list since */
	stop_jobs(&a);
	if (a.cat && catalog_flush(a.cat, NULL) > 0)
		log_warn("catalog: capture records left unwritten; the next start recovers them from "
		         "the capture files");
	agent_rules_free(a.rules);
	engine_close(en);
	recorder_free(a.rec);
	catalog_close(a.cat);
	store_close(a.store);
	if (lock_fd >= 0)
		close(lock_fd); /* the data directory is free for the next agent */
	pthread_mutex_destroy(&a.lock);
	return rc;
}
