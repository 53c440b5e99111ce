/* agent: the daemon's runtime - recording, capture jobs, retention (see agent.h). */
#include "agent_int.h"

#include "../artifacts/artifacts.h"
#include "../engine/drain.h"
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

/*
 * The bundle's packets, once the events are stored: those the flight
 * recorder holds for the span the .scap covers, of its container and (with
 * a filter) of the processes whose events it kept. What keeps them from the
 * bundle is said in the capture's reason for being incomplete.
 */
static void write_packets(struct agent_job *j, struct capture_result *res, struct agent_part *part)
{
	char key[STORE_KEY_MAX + 1];
	struct err e = { { 0 } };
	uint64_t ready = res->end_ns + 300 * 1000000ULL;
	size_t n = strlen(res->incomplete);

	/* the engine hands a packet over within a few ms of its stamp */
	while (agent_now_ns(j->a) < ready && !__atomic_load_n(&j->cancel, __ATOMIC_RELAXED))
		usleep(20000);
	capture_pcapng_key(key, j->id);
	/* a container's: its processes', and those its events show in it (gone before being looked up) */
	if (agent_packets_write(j->a, key, res->start_ns, res->end_ns, j->q.filter ? NULL : j->container,
	                        j->q.pids, part, &e)) {
		log_warn("capture %s: its packets are not kept: %s", j->id, e.msg);
		snprintf(res->incomplete + n, sizeof(res->incomplete) - n, "%sits packets are not kept: %s",
		         n ? "; " : "", e.msg);
		return;
	}
	if (part->lost) {
		snprintf(res->incomplete + n, sizeof(res->incomplete) - n,
		         "%s%llu packets lost in the window (the agent was behind), marked in the pcapng",
		         n ? "; " : "", (unsigned long long)part->lost);
	}
}

/* The bundle's artifacts: those the flight recorder holds for the span the .scap covers, in its scope. */
static void write_artifacts(struct agent_job *j, struct capture_result *res, struct agent_part *part)
{
	char key[STORE_KEY_MAX + 1], scap[STORE_KEY_MAX + 1], lost[200] = "";
	struct err e = { { 0 } };
	size_t n = strlen(res->incomplete);

	/* a binary is read as its record comes: wait for the records of the window */
	while (!agent_artifacts_ready(j->a, res->end_ns + 300 * 1000000ULL) &&
	       !__atomic_load_n(&j->cancel, __ATOMIC_RELAXED))
		usleep(20000);
	capture_artifacts_key(key, j->id);
	capture_scap_key(scap, j->id);
	/* a container's: its processes', and those the events show in it (gone before being looked up) */
	if (agent_artifacts_write(j->a, key, scap, res->start_ns, res->end_ns, j->artifacts,
	                          j->q.filter ? NULL : j->container, j->q.pids, part, &e)) {
		log_warn("capture %s: its artifacts are not kept: %s", j->id, e.msg);
		snprintf(res->incomplete + n, sizeof(res->incomplete) - n, "%sits artifacts are not kept: %s",
		         n ? "; " : "", e.msg);
		return;
	}
	if (part->lost_records)
		snprintf(lost, sizeof(lost), "%llu artifact records (%llu bytes) lost in the kernel's ring",
		         (unsigned long long)part->lost_records, (unsigned long long)part->lost_bytes);
	if (part->let_go) {
		size_t l = strlen(lost);

		l += (size_t)snprintf(lost + l, sizeof(lost) - l,
		                      "%sartifacts of this window let go for memory "
		                      "(artifacts.max_memory) of kinds",
		                      l ? "; " : "");
		for (int k = 0; k < ART_NKINDS && l < sizeof(lost); k++)
			if (part->let_go & (1u << k))
				l += (size_t)snprintf(lost + l, sizeof(lost) - l, " %s",
				                      art_kind_name((enum art_kind)k));
	}
	if (lost[0])
		snprintf(res->incomplete + n, sizeof(res->incomplete) - n, "%s%s", n ? "; " : "", lost);
}

static void *job_main(void *arg)
{
	struct agent_job *j = arg;
	struct agent *a = j->a;
	struct agent_part part = { 0 }, apart = { 0 };
	struct capture_result res;
	struct capture_meta m;
	struct err e = { { 0 } };
	char key[STORE_KEY_MAX + 1];
	int rc;

	capture_scap_key(key, j->id);
	rc = capture_write(a->rec, a->store, key, &j->q, &j->cancel, job_storing, j, &res, &e);
	if (rc == 0 && j->packets)
		write_packets(j, &res, &part);
	if (rc == 0 && j->artifacts)
		write_artifacts(j, &res, &apart);
	if (catalog_get(a->cat, j->id, &m) == 0) {
		if (rc == 0) {
			m.status = CAPTURE_OK;
			m.size = res.size;
			memcpy(m.sha256, res.sha256, sizeof(m.sha256));
			m.start_ns = res.start_ns;
			m.end_ns = res.end_ns;
			m.duration = (double)(res.end_ns - res.start_ns) / 1e9;
			m.lost_events = res.lost;
			if (*j->container && !*m.container_name) { /* its runtime answered since */
				free(m.container_name);
				free(m.container_image);
				agent_container_describe(a, j->container, &m.container_name,
				                         &m.container_image);
			}
			m.pcapng_size = part.size;
			m.pcapng_packets = part.packets;
			m.pcapng_lost = part.lost;
			memcpy(m.pcapng_sha256, part.sha256, sizeof(m.pcapng_sha256));
			m.artifacts_size = apart.size;
			m.artifacts_count = apart.artifacts;
			m.artifacts_not_kept = apart.not_kept;
			memcpy(m.artifacts_sha256, apart.sha256, sizeof(m.artifacts_sha256));
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
	i64map_release(&j->pids);
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
	char cid[13] = "", *cname = NULL, *cimage = NULL;
	int rc;

	memset(out, 0, sizeof(*out));
	if (!a->cfg->captures_enabled) {
		return err_set(e, -EPERM, "Captures are disabled on this agent (captures.enabled: false)");
	}
	if (t->packets > 0 && !agent_packets_kept(a))
		return err_set(
		        e, -EINVAL,
		        "packets: this agent's flight recorder keeps no packets (packets.enabled: false)");
	if (t->artifacts > 0 && (t->artifacts & ~agent_artifacts_kept(a))) {
		int k = __builtin_ctz((unsigned)t->artifacts & ~agent_artifacts_kept(a));

		return err_set(
		        e, -EINVAL,
		        "artifacts: this agent's flight recorder keeps no %s artifacts (artifacts.%s is "
		        "off)",
		        art_kind_name((enum art_kind)k), art_kind_name((enum art_kind)k));
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
	if (t->container_is_name && (rc = agent_container_find(a, t->container, cid, e)) != 0) {
		pthread_mutex_lock(&a->lock);
		a->outstanding--;
		pthread_mutex_unlock(&a->lock);
		return rc;
	}

	j = xcalloc(1, sizeof(*j));
	j->a = a;
	j->name = xstrdup(t->name);
	j->filter = xstrdup(t->filter ? t->filter : "");
	j->container = xstrdup(cid[0] ? cid : t->container ? t->container : "");
	j->q.trigger_ns = trig;
	j->q.before_ns = (uint64_t)(t->before * 1e9);
	j->q.after_ns = (uint64_t)(t->after * 1e9);
	j->q.filter = *j->filter ? j->filter : NULL;
	j->q.container = *j->container ? j->container : NULL;
	j->trigger = xstrdup(t->trigger ? t->trigger : "manual");
	j->q.trigger = j->trigger;
	j->q.name = j->name;
	j->q.filter_proclist = t->filter_proclist;
	j->packets = t->packets < 0 ? agent_packets_kept(a) : t->packets;
	j->artifacts = t->artifacts < 0 ? agent_artifacts_kept(a) : (unsigned)t->artifacts;
	i64map_init(&j->pids);
	/* the processes whose events it keeps: their packets and artifacts go too */
	if ((j->packets || j->artifacts) && (j->q.filter || j->q.container))
		j->q.pids = &j->pids;
	rc = capture_id_new(j->id, now);
	if (rc)
		err_set(e, rc, "cannot make a capture id: %s", strerror(-rc));
	memset(&m, 0, sizeof(m));
	memcpy(m.id, j->id, sizeof(m.id));
	m.name = j->name;
	m.host = a->host;
	m.container = j->container;
	agent_container_describe(a, j->container, &cname, &cimage);
	m.container_name = cname;
	m.container_image = cimage;
	m.trigger = j->trigger;
	m.filter = j->filter;
	m.storage = (char *)(uintptr_t)(t->storage && *t->storage ? t->storage : "local");
	m.error = "";
	m.incomplete = "";
	m.filter_proclist = t->filter_proclist;
	m.packets = j->packets;
	for (int k = 0; k < ART_NKINDS; k++)
		if (j->artifacts & (1u << k)) {
			size_t l = strlen(m.artifacts);

			snprintf(m.artifacts + l, sizeof(m.artifacts) - l, "%s%s", l ? "," : "",
			         art_kind_name((enum art_kind)k));
		}
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
		free(cname);
		free(cimage);
		return rc;
	}
	capture_meta_copy(out, &m);
	free(cname);
	free(cimage);
	pthread_mutex_lock(&a->lock);
	j->next = a->jobs;
	a->jobs = j;
	pthread_mutex_unlock(&a->lock);
	log_info("capture %s '%s' started (%.1f s before, %.1f s after)", j->id, j->name, t->before,
	         t->after);
	return 0;
}

/* ---- recording: the drain's consumer, the recorder ---- */

/*
 * The drain (src/engine/drain.h) calls these on its consumer thread: runs of
 * events, the losses where they happened (into the recorder's loss log: the
 * kernel's drop runs merged with the looks at them) and the completeness
 * marks a capture waits for.
 */
static int keep_blocks(void *ctx, const uint8_t *p, size_t n)
{
	struct agent *a = ctx;

	recorder_append(a->rec, p, n);
	agent_containers_sync(a);
	return 0;
}

static int keep_loss(void *ctx, uint16_t cpu, const struct event_loss *l, bool final)
{
	(void)cpu; /* the recorder keeps the CPU the loss happened on, l->cpu */
	struct agent *a = ctx;

	if (l->n[EVENT_LOST_RING] || l->n[EVENT_LOST_BIG])
		recorder_note_drops(a->rec, l, final);
	else
		recorder_note_loss(a->rec, l);
	return 0;
}

static void keep_complete(void *ctx, uint64_t ts)
{
	struct agent *a = ctx;

	recorder_mark_complete(a->rec, ts);
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
	/* the packets' share of the memory, when the flight recorder keeps them */
	/* the packets' and artifacts' shares of the memory, when the flight recorder keeps them */
	struct recorder_opts ro = { a->cfg->max_memory -
		                            (a->cfg->packets_enabled ? a->cfg->packets_memory : 0) -
		                            (agent_config_artifacts(a->cfg) ? a->cfg->artifacts_memory : 0),
		                    a->cfg->seconds, 0 };
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

/* What the drain has done, for /api/status and /metrics, once a second. */
static void publish_rates(struct agent *a, struct drain *d, double dt)
{
	struct drain_stats st;
	uint64_t drops = 0;

	drain_stats(d, &st);
	for (int i = 0; i < EVENT_LOST_NCAUSES; i++)
		drops += st.lost[i];
	if (st.bad_params && !a->filler_bugs)
		log_error("a BPF filler wrote events with a wrong parameter count (a bug): they are not "
		          "kept; /api/status counts them (drops.filler_bugs)");
	pthread_mutex_lock(&a->lock);
	a->event_rate = (double)(st.events - a->events_total) / dt;
	a->drop_rate = (double)(drops - a->drops_total) / dt;
	a->events_total = st.events;
	a->drops_total = drops;
	memcpy(a->drops_by, st.lost, sizeof(a->drops_by));
	a->filler_bugs = st.bad_params;
	pthread_mutex_unlock(&a->lock);
}

/* Record until a signal: the ring into the recorder; once a second the rates, jobs and catalog. */
static int agent_loop(struct agent *a, struct drain *d, struct err *e)
{
	double last_rate = mono_seconds(), last_expire = last_rate;
	int rc, unsaved = 0;

	while (!stop_signal) {
		double now;

		if ((rc = drain_poll(d, 50)) < 0)
			return err_set(e, rc, "reading the ring buffer: %s", strerror(-rc));
		now = mono_seconds();
		if (now - last_rate >= 1) {
			publish_rates(a, d, now - last_rate);
			last_rate = now;
			reap_jobs(a, false);
			flush_catalog(a, &unsaved);
		}
		if (now - last_expire >= 60) {
			expire(a);
			last_expire = now;
		}
	}
	fprintf(stderr, "sysrec agent: stopping\n");
	return 0;
}

/* The data directory (locked), token, store, catalog and rules; the caller closes what opened. */
static int agent_open_data(struct agent *a, const struct agent_config *c, int *lock_fd, struct err *e)
{
	int rc;

	if ((*lock_fd = agent_data_dir_open(c->data_dir, e)) < 0)
		return *lock_fd;
	if ((rc = agent_token(c->data_dir, true, a->token, e)) != 0)
		return rc;
	if (!(a->store = store_local_open(c->data_dir, e)))
		return errno ? -errno : -EIO; /* theirs: NULL with errno set */
	if (!(a->cat = catalog_open(a->store, e)))
		return errno ? -errno : -EIO;
	expire(a);
	return agent_rules_load(c, &a->rules, e);
}

static void agent_init(struct agent *a, const struct agent_config *c)
{
	const char *skew = getenv("SYSREC_CLOCK_SKEW");

	memset(a, 0, sizeof(*a));
	a->cfg = c;
	a->clock_skew_s = skew ? strtoll(skew, NULL, 10) : 0;
	pthread_mutex_init(&a->lock, NULL);
	if (c->host_name)
		snprintf(a->host, sizeof(a->host), "%s", c->host_name);
	else if (gethostname(a->host, sizeof(a->host) - 1) != 0)
		snprintf(a->host, sizeof(a->host), "localhost");
}

static void on_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
}

/*
 * The engine, taking packets too (paused until someone wants them: pcapdump);
 * when this host cannot give packets, without them (o->packets false, why in
 * unavailable) rather than not at all.
 */
static struct engine *open_engine(struct engine_opts *o, char *unavailable, size_t size, struct err *e)
{
	struct engine *en;
	/* tests only: a packet buffer this many pages per CPU (a power of two), to see losses handled */
	const char *pages = getenv("SYSREC_TEST_PKT_PAGES");

	o->packets = true;
	o->pkt_paused = true;
	o->pkt_pages = pages ? (uint32_t)strtoul(pages, NULL, 10) : 0;
	if ((en = engine_ebpf_open(o, e)))
		return en;
	snprintf(unavailable, size, "packets cannot be taken on this host: %s", e->msg);
	o->packets = false;
	o->pkt_paused = false;
	if ((en = engine_ebpf_open(o, e)))
		log_warn("%s", unavailable);
	return en;
}

int agent_run(const struct agent_config *c, struct err *e)
{
	struct agent a;
	struct engine_opts eo = { .ring_bytes = c->ring_mb << 20, .snaplen = c->snaplen };
	struct engine *en = NULL;
	char unavailable[sizeof(e->msg) + 64] = "";
	char **prefixes = NULL;
	size_t nprefixes = 0;
	struct agent_http *http = NULL;
	struct drain *d = NULL;
	int rc, lock_fd = -1;

	agent_init(&a, c);
	if ((rc = agent_open_data(&a, c, &lock_fd, e)) != 0)
		goto out;
	rm_temp_dirs(c->data_dir, "artifacts-"); /* a capture's artifacts cut short by a stop */
	agent_artifacts_engine_opts(c, &eo, &prefixes, &nprefixes);
	if (!(en = open_engine(&eo, unavailable, sizeof(unavailable), e))) {
		rc = errno ? -errno : -EIO; /* theirs: NULL with errno set */
		goto out;
	}
	if ((rc = open_recorder(&a, e)) != 0)
		goto out;
	if (a.rules && (rc = agent_rules_start(a.rules, &a, e)) != 0)
		goto out;
	a.containers = agent_containers_start(c);
	a.pcapdump = agent_pcapdump_start(&a, eo.packets ? en : NULL, unavailable);
	if (!agent_packets_start(&a, eo.packets ? en : NULL, unavailable, e)) {
		rc = -EINVAL;
		goto out;
	}
	agent_artifacts_start(&a, en);
	d = drain_new(en, &(struct drain_opts){ .look_pending = true },
	              &(struct drain_consumer){ keep_blocks, keep_loss, keep_complete, &a });
	if ((rc = agent_http_start(&a, &http, e)) != 0)
		goto out;
	on_signals();
	fprintf(stderr, "sysrec agent: recording; API on %s://%s (token in %s/token); data in %s\n",
	        c->tls_cert ? "https" : "http", c->listen, c->data_dir, c->data_dir);
	rc = agent_loop(&a, d, e);
out:
	pthread_mutex_lock(&a.lock);
	a.stopping = true; /* agent_take_capture() refuses from here on */
	pthread_mutex_unlock(&a.lock);
	agent_http_stop(http);
	agent_packets_stop(a.packets);
	agent_pcapdump_stop(a.pcapdump);
	stop_jobs(&a);
	if (d)
		drain_finish(d, NULL, NULL); /* its thread has stopped: no rule matches any more */
	/* a rule's capture admitted just before stopping was set may have joined the list since */
	stop_jobs(&a);
	agent_artifacts_stop(a.artifacts); /* after the captures: they read it */
	if (a.cat && catalog_flush(a.cat, NULL) > 0)
		log_warn("catalog: capture records left unwritten; the next start recovers them from "
		         "the capture files");
	agent_rules_free(a.rules);
	agent_containers_stop(a.containers);
	drain_free(d);
	engine_close(en);
	for (size_t i = 0; i < nprefixes; i++)
		free(prefixes[i]);
	free(prefixes);
	recorder_free(a.rec);
	catalog_close(a.cat);
	store_close(a.store);
	if (lock_fd >= 0)
		close(lock_fd); /* the data directory is free for the next agent */
	pthread_mutex_destroy(&a.lock);
	return rc;
}
