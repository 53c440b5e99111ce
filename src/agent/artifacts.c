/*
 * artifacts: the flight recorder's artifacts (see agent_int.h).
 *
 * A thread takes the engine's artifact records as they come and holds them
 * in memory, a list per kind in the order they came, beside the events and
 * the packets. A written file's record carries the file's name then (a
 * stream of writes, each where the last ended, shares records of
 * STREAM_BYTES: the window takes a record any of whose writes it holds); a
 * binary run (or a module's file) is read at once, while its process lives,
 * and held once per content and version of the file however often it runs.
 * The oldest records go first when artifacts.max_memory would be passed (a
 * loss when they are younger than the history wanted: counted per kind) or
 * when they are older than the history. A capture takes the records of its
 * window and scope and puts them together as `sysrec record --artifacts`
 * does (src/artifacts), into a tar.gz of the artifact directory and its
 * manifest.
 */
#include "../artifacts/artifacts.h"
#include "../engine/engine.h"
#include "agent_int.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* a kind's bit is the same in the engine's flags and in masks of enum art_kind */
_Static_assert((1u << ART_WRITE) == ENGINE_ART_WRITE && (1u << ART_EXEC) == ENGINE_ART_EXEC &&
                       (1u << ART_MEM) == ENGINE_ART_MEM && (1u << ART_MODULE) == ENGINE_ART_MODULE &&
                       (1u << ART_BPF) == ENGINE_ART_BPF,
               "artifact kinds");

#define PATHS_MAX   65536 /* files whose names are remembered; past it the memory starts again */
#define NOTES       256   /* the kernel's losses, as (time, count) notes: the last ones */
#define NAMES_AGE_S 30    /* a process's container is looked up again after this long (pids are reused) */
/*
 * A stream of writes (each at the end of the one before, same thread and
 * file) is held in records of this many data bytes, each write appended to
 * the last record while within APPEND_NS of its first.
 */
#define STREAM_BYTES 4096
#define APPEND_NS    (100 * 1000000ULL)

/* A binary's (or a module file's) bytes, held once per file version: by its stat. */
struct blob {
	uint64_t dev, ino, size;
	int64_t mtime_ns, ctime_ns;
	int refs; /* records holding it */
	struct blob *next_same_key;
	size_t len;
	uint8_t data[];
};

/* One record held: the engine's, its path and data after it. */
struct arec {
	struct arec *next; /* in its kind's list */
	uint64_t seq;
	size_t bytes; /* counted against the bound */
	int refs;     /* readers holding it */
	bool detached;
	struct blob *blob;
	char container[13];
	char parent[16];  /* an EXEC's: its parent's command then, for the runtime profile */
	uint64_t last_ts; /* a WRITE's: of the last write appended to it */
	size_t room;      /* a WRITE's: data bytes it can still take */
	struct engine_art a;
	uint8_t mem[]; /* path, then data (or, for an EXEC or MODFILE not read, why) */
};

struct kind {
	struct arec *head, *tail;
	uint64_t held, bytes, total;
	uint64_t dropped, dropped_bytes; /* let go younger than the history (the memory bound) */
	uint64_t unheld;                 /* binaries listed without their bytes (gone, or too large) */
	uint64_t newest_dropped_ts;      /* the newest record let go before its time */
};

struct fname {
	uint64_t dev, ino;
	char *path;
	struct fname *next_same_key;
};

struct loss_note {
	uint64_t ts, records, bytes;
};

struct agent_artifacts {
	struct agent *a;
	struct engine *en;
	pthread_t thread;
	bool running;
	atomic_bool stop;
	atomic_uint_fast64_t done_ns; /* every record the engine gave before this time is held */
	unsigned kinds;               /* 1 << enum art_kind kept */
	/* under mu */
	pthread_mutex_t mu;
	struct kind k[ART_NKINDS];
	uint64_t bytes, max_bytes, keep_ns, seq;
	struct i64map blobs; /* stat key -> struct blob chain */
	struct loss_note notes[NOTES];
	uint64_t nnotes;
	struct engine_art_stats kernel;
	/* the thread's own */
	struct i64map names; /* (dev, ino) -> struct fname chain */
	size_t nnames;
	struct pktnames *ctrs; /* processes' containers */
	uint64_t lost_seen, lost_bytes_seen;
};

static enum art_kind rec_kind(int type)
{
	switch (type) {
	case ENGINE_ART_REC_PATH:
	case ENGINE_ART_REC_WRITE:
		return ART_WRITE;
	case ENGINE_ART_REC_EXEC:
		return ART_EXEC;
	case ENGINE_ART_REC_MEM:
	case ENGINE_ART_REC_WX:
		return ART_MEM;
	case ENGINE_ART_REC_BPF:
		return ART_BPF;
	default:
		return ART_MODULE;
	}
}

static int64_t fkey(uint64_t dev, uint64_t ino)
{
	return (int64_t)(ino * 0x9E3779B97F4A7C15ULL ^ dev);
}

/* ---- the records held (under mu) ---- */

static void blob_put(struct agent_artifacts *k, struct blob *b)
{
	int64_t key;
	struct blob *head;

	if (!b || --b->refs > 0)
		return;
	key = fkey(b->dev, b->ino);
	head = i64map_get(&k->blobs, key);
	if (head == b) {
		if (b->next_same_key)
			i64map_put(&k->blobs, key, b->next_same_key);
		else
			i64map_del(&k->blobs, key);
	} else {
		for (struct blob *p = head; p; p = p->next_same_key)
			if (p->next_same_key == b) {
				p->next_same_key = b->next_same_key;
				break;
			}
	}
	k->bytes -= sizeof(*b) + b->len;
	free(b);
}

static void rec_free(struct agent_artifacts *k, struct arec *r)
{
	blob_put(k, r->blob);
	free(r);
}

/* Let the oldest record of kind i go; lost: before its time (the memory bound). */
static void let_go(struct agent_artifacts *k, int i, bool lost)
{
	struct kind *kd = &k->k[i];
	struct arec *r = kd->head;

	kd->head = r->next;
	if (!kd->head)
		kd->tail = NULL;
	kd->held--;
	kd->bytes -= r->bytes;
	k->bytes -= r->bytes;
	if (lost) {
		kd->dropped++;
		kd->dropped_bytes += r->a.len;
		if (r->a.ts > kd->newest_dropped_ts)
			kd->newest_dropped_ts = r->a.ts;
	}
	if (r->refs)
		r->detached = true; /* freed by its last reader */
	else
		rec_free(k, r);
}

/* The kind whose oldest record is the oldest held, or -1. */
static int oldest_kind(struct agent_artifacts *k)
{
	int best = -1;

	for (int i = 0; i < ART_NKINDS; i++)
		if (k->k[i].head && (best < 0 || k->k[i].head->seq < k->k[best].head->seq))
			best = i;
	return best;
}

static void age_out(struct agent_artifacts *k, uint64_t now)
{
	int i;

	while ((i = oldest_kind(k)) >= 0 && k->k[i].head->a.ts + k->keep_ns < now)
		let_go(k, i, false);
}

/* Room for need more bytes: the oldest go (before their time: a loss). */
static void make_room(struct agent_artifacts *k, uint64_t need, uint64_t now)
{
	int i;

	age_out(k, now);
	while (k->bytes + need > k->max_bytes && (i = oldest_kind(k)) >= 0)
		let_go(k, i, true);
}

static void hold(struct agent_artifacts *k, struct arec *r)
{
	struct kind *kd = &k->k[rec_kind(r->a.type)];

	r->seq = ++k->seq;
	kd->total++;
	kd->held++;
	kd->bytes += r->bytes;
	k->bytes += r->bytes;
	if (kd->tail)
		kd->tail->next = r;
	else
		kd->head = r;
	kd->tail = r;
}

/* ---- the thread ---- */

static void names_clear(struct agent_artifacts *k)
{
	for (size_t i = 0; i < k->names.cap; i++)
		for (struct fname *f = k->names.slots[i].val, *n; f; f = n) {
			n = f->next_same_key;
			free(f->path);
			free(f);
		}
	i64map_release(&k->names);
	i64map_init(&k->names);
	k->nnames = 0;
}

static struct fname *name_find(struct agent_artifacts *k, uint64_t dev, uint64_t ino)
{
	for (struct fname *f = i64map_get(&k->names, fkey(dev, ino)); f; f = f->next_same_key)
		if (f->dev == dev && f->ino == ino)
			return f;
	return NULL;
}

static void name_set(struct agent_artifacts *k, const struct engine_art *a)
{
	struct fname *f = name_find(k, a->dev, a->ino);

	if (!f) {
		if (k->nnames >= PATHS_MAX)
			names_clear(k); /* the records of the window still name the files they met */
		f = xcalloc(1, sizeof(*f));
		f->dev = a->dev;
		f->ino = a->ino;
		f->next_same_key = i64map_get(&k->names, fkey(a->dev, a->ino));
		i64map_put(&k->names, fkey(a->dev, a->ino), f);
		k->nnames++;
	}
	free(f->path);
	f->path = xstrdup(a->path);
}

static int64_t ns_of(const struct timespec *t)
{
	return (int64_t)t->tv_sec * 1000000000 + t->tv_nsec;
}

/*
 * A binary's bytes, held already when its file is the same (device, inode,
 * size, times: a change moves the change time, which no call sets back) and
 * has not changed for a second; else read now. NULL with why.
 */
static struct blob *blob_get(struct agent_artifacts *k, const struct engine_art *a, char *why, size_t wsize)
{
	const char *reason = NULL;
	int fd = art_asm_open(a, &reason);
	struct stat st;
	struct blob *b = NULL;
	size_t got = 0;

	if (fd < 0) {
		snprintf(why, wsize, "%s", reason);
		return NULL;
	}
	if (fstat(fd, &st) < 0) {
		snprintf(why, wsize, "cannot stat it: %s", strerror(errno));
		close(fd);
		return NULL;
	}
	pthread_mutex_lock(&k->mu);
	for (b = i64map_get(&k->blobs, fkey((uint64_t)st.st_dev, (uint64_t)st.st_ino)); b;
	     b = b->next_same_key)
		if (b->dev == (uint64_t)st.st_dev && b->ino == (uint64_t)st.st_ino &&
		    b->size == (uint64_t)st.st_size && b->mtime_ns == ns_of(&st.st_mtim) &&
		    b->ctime_ns == ns_of(&st.st_ctim)) {
			b->refs++;
			break;
		}
	pthread_mutex_unlock(&k->mu);
	if (b) {
		close(fd);
		return b;
	}
	if ((uint64_t)st.st_size > k->max_bytes / 4) {
		snprintf(why, wsize,
		         "its %llu bytes are more than a quarter of artifacts.max_memory: not held by the "
		         "flight recorder",
		         (unsigned long long)st.st_size);
		close(fd);
		return NULL;
	}
	b = xmalloc(sizeof(*b) + (size_t)st.st_size + 1);
	memset(b, 0, sizeof(*b));
	while (got < (size_t)st.st_size) {
		ssize_t n = pread(fd, b->data + got, (size_t)st.st_size - got, (off_t)got);

		if (n <= 0)
			break;
		got += (size_t)n;
	}
	close(fd);
	if (got < (size_t)st.st_size) {
		snprintf(why, wsize, "it could not be read whole (%zu of %llu bytes)", got,
		         (unsigned long long)st.st_size);
		free(b);
		return NULL;
	}
	b->dev = (uint64_t)st.st_dev;
	b->ino = (uint64_t)st.st_ino;
	b->size = (uint64_t)st.st_size;
	b->mtime_ns = ns_of(&st.st_mtim);
	b->ctime_ns = ns_of(&st.st_ctim);
	b->len = got;
	b->refs = 1;
	pthread_mutex_lock(&k->mu);
	k->bytes += sizeof(*b) + b->len;
	/* only a file unchanged for a second is met again by its stat */
	if ((int64_t)epoch_ns() - b->ctime_ns > 1000000000) {
		b->next_same_key = i64map_get(&k->blobs, fkey(b->dev, b->ino));
		i64map_put(&k->blobs, fkey(b->dev, b->ino), b);
	}
	pthread_mutex_unlock(&k->mu);
	return b;
}

/* Whether a write continues the last one held (under mu): then the next record gets room for more. */
static bool continues(const struct arec *t, const struct engine_art *a)
{
	return t && t->a.type == ENGINE_ART_REC_WRITE && t->a.dev == a->dev && t->a.ino == a->ino &&
	       t->a.tid == a->tid && t->a.off + t->a.len == a->off;
}

/* A write appended to the last record held, when it continues it, fits and is close in time (under mu). */
static bool append_write(struct agent_artifacts *k, const struct engine_art *a)
{
	struct arec *t = k->k[ART_WRITE].tail;

	if (!continues(t, a) || t->refs || t->room < a->len || a->ts < t->a.ts || a->ts - t->a.ts > APPEND_NS)
		return false;
	memcpy((uint8_t *)(uintptr_t)t->a.data + t->a.len, a->data, a->len);
	t->a.len += a->len;
	t->room -= a->len;
	t->last_ts = a->ts;
	k->k[ART_WRITE].total++;
	return true;
}

static void on_record(void *ctx, const struct engine_art *a)
{
	struct agent_artifacts *k = ctx;
	uint64_t now = agent_now_ns(k->a);
	const char *path = a->path;
	bool file = a->type == ENGINE_ART_REC_EXEC || a->type == ENGINE_ART_REC_MODFILE;
	size_t plen, data, room = 0, need;
	struct arec *r;
	struct blob *b = NULL;
	char why[160] = "";

	if (a->type == ENGINE_ART_REC_PATH)
		name_set(k, a);
	if (a->type == ENGINE_ART_REC_WRITE) {
		struct fname *f;
		bool stream;

		pthread_mutex_lock(&k->mu);
		if (append_write(k, a)) {
			pthread_mutex_unlock(&k->mu);
			return;
		}
		stream = continues(k->k[ART_WRITE].tail, a);
		pthread_mutex_unlock(&k->mu);
		f = name_find(k, a->dev, a->ino);
		path = f ? f->path : NULL;
		if (stream && a->len < STREAM_BYTES)
			room = STREAM_BYTES - a->len;
	}
	if (file)
		b = blob_get(k, a, why, sizeof(why));
	plen = path ? strlen(path) + 1 : 0;
	data = b ? 0 : file ? strlen(why) + 1 : a->len;
	need = sizeof(*r) + plen + data + room;
	r = xmalloc(need);
	memset(r, 0, sizeof(*r));
	r->a = *a;
	r->bytes = need;
	r->blob = b;
	r->last_ts = a->ts;
	r->room = room;
	if (a->type == ENGINE_ART_REC_EXEC)
		art_parent_name(a->ppid, r->parent, sizeof(r->parent));
	snprintf(r->container, sizeof(r->container), "%s", pktnames_container(k->ctrs, a->pid));
	r->a.path = plen ? memcpy(r->mem, path, plen) : NULL;
	if (b) {
		r->a.flags |= ART_REC_F_HELD;
		r->a.data = b->data;
		r->a.len = b->len;
	} else if (file) {
		r->a.flags |= ART_REC_F_UNREADABLE;
		r->a.data = memcpy(r->mem + plen, why, data);
		r->a.len = 0;
	} else {
		if (a->len)
			memcpy(r->mem + plen, a->data, a->len);
		r->a.data = r->mem + plen;
	}
	pthread_mutex_lock(&k->mu);
	if (file && !b)
		k->k[rec_kind(a->type)].unheld++; /* listed, without its bytes */
	make_room(k, r->bytes, now);
	hold(k, r);
	pthread_mutex_unlock(&k->mu);
}

/* The kernel's losses since the last look, noted at the time they were seen. */
static void note_losses(struct agent_artifacts *k)
{
	struct engine_art_stats st;

	engine_artifacts_stats(k->en, &st);
	pthread_mutex_lock(&k->mu);
	k->kernel = st;
	if (st.lost_records > k->lost_seen) {
		struct loss_note *n = &k->notes[k->nnotes++ % NOTES];

		n->ts = agent_now_ns(k->a);
		n->records = st.lost_records - k->lost_seen;
		n->bytes = st.lost_bytes - k->lost_bytes_seen;
	}
	k->lost_seen = st.lost_records;
	k->lost_bytes_seen = st.lost_bytes;
	pthread_mutex_unlock(&k->mu);
}

static void *art_thread(void *arg)
{
	struct agent_artifacts *k = arg;

	while (!atomic_load(&k->stop)) {
		/* what is asked for from here on is after every record taken below */
		uint64_t t = agent_now_ns(k->a);

		if (engine_artifacts_poll(k->en, 50, on_record, k) < 0)
			break;
		note_losses(k);
		pthread_mutex_lock(&k->mu);
		age_out(k, agent_now_ns(k->a));
		pthread_mutex_unlock(&k->mu);
		atomic_store(&k->done_ns, t);
	}
	return NULL;
}

/* ---- start, stop ---- */

void agent_artifacts_engine_opts(const struct agent_config *c, struct engine_opts *o, char ***prefixes,
                                 size_t *n)
{
	unsigned kinds = agent_config_artifacts(c);

	*prefixes = NULL;
	*n = 0;
	o->art_kinds = kinds;
	if (c->artifacts_write && strcmp(c->artifacts_write, "/") != 0) {
		char *copy = xstrdup(c->artifacts_write), *save = NULL;

		for (char *p = strtok_r(copy, ",", &save); p; p = strtok_r(NULL, ",", &save)) {
			*prefixes = xrealloc(*prefixes, (*n + 1) * sizeof(char *));
			(*prefixes)[(*n)++] = xstrdup(p);
		}
		free(copy);
	}
	o->art_prefixes = (const char *const *)*prefixes;
	o->art_nprefixes = *n;
}

struct agent_artifacts *agent_artifacts_start(struct agent *a, struct engine *en)
{
	struct agent_artifacts *k;

	if (!agent_config_artifacts(a->cfg))
		return NULL;
	k = xcalloc(1, sizeof(*k));
	k->a = a;
	k->en = en;
	k->kinds = agent_config_artifacts(a->cfg);
	k->max_bytes = a->cfg->artifacts_memory;
	k->keep_ns = (uint64_t)a->cfg->seconds * 1000000000ULL;
	pthread_mutex_init(&k->mu, NULL);
	i64map_init(&k->blobs);
	i64map_init(&k->names);
	k->ctrs = pktnames_new(NAMES_AGE_S);
	atomic_store(&k->done_ns, agent_now_ns(a));
	k->running = pthread_create(&k->thread, NULL, art_thread, k) == 0;
	if (!k->running)
		log_error("artifacts: cannot start their thread");
	a->artifacts = k;
	return k;
}

void agent_artifacts_stop(struct agent_artifacts *k)
{
	if (!k)
		return;
	if (k->running) {
		atomic_store(&k->stop, true);
		pthread_join(k->thread, NULL);
	}
	for (int i = 0; i < ART_NKINDS; i++)
		while (k->k[i].head)
			let_go(k, i, false); /* no reader is left: the captures have stopped */
	i64map_release(&k->blobs);
	names_clear(k);
	i64map_release(&k->names);
	pktnames_free(k->ctrs);
	pthread_mutex_destroy(&k->mu);
	free(k);
}

unsigned agent_artifacts_kept(struct agent *a)
{
	return a->artifacts ? a->artifacts->kinds : 0;
}

bool agent_artifacts_ready(struct agent *a, uint64_t ts)
{
	return !a->artifacts || !a->artifacts->running || atomic_load(&a->artifacts->done_ns) > ts;
}

json_t *agent_artifacts_status(struct agent *a)
{
	struct agent_artifacts *k = a->artifacts;
	uint64_t now = agent_now_ns(a);
	json_t *j = json_object(), *kinds = json_object();

	json_object_set_new(j, "enabled", json_boolean(k != NULL));
	json_object_set_new(j, "kinds", kinds);
	if (!k)
		return j;
	pthread_mutex_lock(&k->mu);
	json_object_set_new(j, "bytes", json_integer((json_int_t)k->bytes));
	json_object_set_new(j, "max_bytes", json_integer((json_int_t)k->max_bytes));
	for (int i = 0; i < ART_NKINDS; i++) {
		const struct kind *kd = &k->k[i];

		if (!(k->kinds & (1u << i)))
			continue;
		json_object_set_new(
		        kinds, art_kind_name((enum art_kind)i),
		        json_pack("{s:f, s:I, s:I, s:I, s:I, s:I, s:I}", "seconds",
		                  kd->head && now > kd->head->a.ts ? (double)(now - kd->head->a.ts) / 1e9
		                                                   : 0.0,
		                  "records", (json_int_t)kd->held, "bytes", (json_int_t)kd->bytes, "total",
		                  (json_int_t)kd->total, "dropped", (json_int_t)kd->dropped, "dropped_bytes",
		                  (json_int_t)kd->dropped_bytes, "unreadable", (json_int_t)kd->unheld));
	}
	json_object_set_new(j, "kernel",
	                    json_pack("{s:I, s:I, s:I, s:I, s:I}", "records", (json_int_t)k->kernel.records,
	                              "lost_records", (json_int_t)k->kernel.lost_records, "lost_bytes",
	                              (json_int_t)k->kernel.lost_bytes, "past_limit",
	                              (json_int_t)k->kernel.limit, "unreadable",
	                              (json_int_t)k->kernel.unreadable));
	pthread_mutex_unlock(&k->mu);
	return j;
}

/* ---- a capture's artifacts: the bundle's artifacts part ---- */

static int by_seq(const void *x, const void *y)
{
	const struct arec *a = *(const struct arec *const *)x, *b = *(const struct arec *const *)y;

	return a->seq < b->seq ? -1 : a->seq > b->seq;
}

/* Of container's processes or those in pids (of any, when neither is given). */
static bool wanted(const struct arec *r, const char *container, const struct i64map *pids)
{
	bool by_ctr = container && *container;

	if (!by_ctr && !pids)
		return true;
	return (by_ctr && !strcmp(r->container, container)) || (pids && i64map_get(pids, r->a.pid));
}

/* The records of [from, to] of the kinds and scope asked for, held (a reference each), in the order they
 * came. */
static struct arec **take_window(struct agent_artifacts *k, uint64_t from, uint64_t to, unsigned kinds,
                                 const char *container, const struct i64map *pids, size_t *n,
                                 struct agent_part *out)
{
	struct arec **v = NULL;
	size_t cap = 0;

	*n = 0;
	pthread_mutex_lock(&k->mu);
	for (int i = 0; i < ART_NKINDS; i++) {
		if (!(kinds & (1u << i)))
			continue;
		if (k->k[i].newest_dropped_ts >= from)
			out->let_go |= 1u << i; /* the memory bound took some of this window's */
		for (struct arec *r = k->k[i].head; r; r = r->next) {
			if (r->last_ts < from || r->a.ts > to)
				continue;
			if (!wanted(r, container, pids))
				continue;
			if (*n == cap) {
				cap = cap ? cap * 2 : 256;
				v = xrealloc(v, cap * sizeof(struct arec *));
			}
			r->refs++;
			v[(*n)++] = r;
		}
	}
	for (uint64_t i = k->nnotes > NOTES ? k->nnotes - NOTES : 0; i < k->nnotes; i++) {
		const struct loss_note *ln = &k->notes[i % NOTES];

		if (ln->ts >= from && ln->ts <= to + 1000000000ULL) {
			out->lost_records += ln->records;
			out->lost_bytes += ln->bytes;
		}
	}
	pthread_mutex_unlock(&k->mu);
	if (*n)
		qsort(v, *n, sizeof(struct arec *), by_seq);
	return v;
}

static void release_window(struct agent_artifacts *k, struct arec **v, size_t n)
{
	pthread_mutex_lock(&k->mu);
	for (size_t i = 0; i < n; i++)
		if (--v[i]->refs == 0 && v[i]->detached)
			rec_free(k, v[i]);
	pthread_mutex_unlock(&k->mu);
	free(v);
}

static int put_out(void *ctx, const void *p, size_t n)
{
	return store_put_write(ctx, p, n);
}

/* a, then sep and b when b is not empty (caller frees). */
static char *path_join(const char *a, const char *sep, const char *b)
{
	char *s = xmalloc(strlen(a) + strlen(sep) + strlen(b) + 1);

	sprintf(s, "%s%s%s", a, *b ? sep : "", b);
	return s;
}

/* One file into t as member. */
static int tar_file(struct targz *t, const char *path, const char *member, uint64_t size, int64_t mtime,
                    struct err *e)
{
	enum { CHUNK = 65536 };
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	uint8_t *buf;
	int rc;

	if (fd < 0)
		return err_set(e, -errno, "cannot open %s: %s", path, strerror(errno));
	buf = xmalloc(CHUNK); /* captures may be stored side by side */
	if ((rc = targz_file(t, member, size, mtime)) != 0)
		err_set(e, rc, "cannot archive %s: %s", member, strerror(-rc));
	while (!rc && size) {
		ssize_t got = read(fd, buf, size < CHUNK ? (size_t)size : CHUNK);

		if (got <= 0) {
			rc = err_set(e, -EIO, "cannot read %s", path);
			break;
		}
		if ((rc = targz_write(t, buf, (size_t)got)) != 0)
			err_set(e, rc, "cannot write the archive: %s", strerror(-rc));
		size -= (uint64_t)got;
	}
	free(buf);
	close(fd);
	return rc;
}

/* Each regular file under dir/rel (sorted: the archive is the same for the same artifacts) into t. */
static int tar_tree(struct targz *t, const char *dir, const char *rel, int64_t mtime, struct err *e)
{
	char *top = path_join(dir, "/", rel);
	struct dirent **ents;
	int n, rc = 0;

	if ((n = scandir(top, &ents, NULL, alphasort)) < 0) {
		rc = err_set(e, -errno, "cannot read %s: %s", top, strerror(errno));
		free(top);
		return rc;
	}
	for (int i = 0; i < n; i++) {
		const char *d = ents[i]->d_name;
		char *name, *path, *member;
		struct stat st;

		if (rc || !strcmp(d, ".") || !strcmp(d, ".."))
			continue;
		name = *rel ? path_join(rel, "/", d) : xstrdup(d);
		path = path_join(dir, "/", name);
		member = path_join("artifacts", "/", name);
		if (lstat(path, &st) == 0 && S_ISDIR(st.st_mode))
			rc = tar_tree(t, dir, name, mtime, e);
		else if (lstat(path, &st) == 0 && S_ISREG(st.st_mode))
			rc = tar_file(t, path, member, (uint64_t)st.st_size, mtime, e);
		free(name);
		free(path);
		free(member);
	}
	for (int i = 0; i < n; i++)
		free(ents[i]);
	free(ents);
	free(top);
	return rc;
}

/* Each artifact's events in the capture's .scap (scap_key), named events.scap as in --all's archive. */
static void link_events(struct agent *a, struct art_dir *d, const char *scap_key)
{
	struct err e = { { 0 } };
	int fd = store_open_file(a->store, scap_key, &e);

	if (fd == -ENOTSUP)
		return; /* an object store: the manifest names no events */
	if (fd < 0 || art_events_link_fd(d, fd, "events.scap", &e))
		log_warn("artifacts: their events are not named in the manifest: %s", e.msg);
}

int agent_artifacts_write(struct agent *a, const char *key, const char *scap_key, uint64_t from, uint64_t to,
                          unsigned kinds, const char *container, const struct i64map *pids,
                          struct agent_part *out, struct err *e)
{
	struct agent_artifacts *k = a->artifacts;
	struct art_limits lim = { 0 };
	struct art_counts cnt;
	struct art_dir *d;
	struct art_asm *as;
	struct art_profile *profile = NULL; /* the programs run in the window (exec kept) */
	struct arec **v;
	struct store_put *put;
	struct targz *t;
	char tmp[4200];
	size_t n;
	int rc;

	memset(out, 0, sizeof(*out));
	if (!k)
		return err_set(e, -EINVAL, "this agent keeps no artifacts (artifacts.* are off)");
	snprintf(tmp, sizeof(tmp), "%s/artifacts-XXXXXX", a->cfg->data_dir);
	if (!mkdtemp(tmp))
		return err_set(e, -errno, "cannot make %s: %s", tmp, strerror(errno));
	if (!(d = art_open(tmp, false, &lim, e))) {
		rm_tree(tmp);
		return -EIO;
	}
	v = take_window(k, from, to, kinds, container, pids, &n, out);
	as = art_asm_new(d, NULL);
	for (size_t i = 0; i < n; i++) {
		const struct engine_art *ra = &v[i]->a;

		art_asm_record(as, ra, v[i]->container);
		if (ra->type == ENGINE_ART_REC_EXEC && !(ra->flags & ENGINE_ART_F_SCRIPT)) {
			if (!profile)
				profile = art_profile_new();
			art_profile_exec(profile, ra->path,
			                 ra->flags & ART_REC_F_HELD ? art_last_sha256(d) : "", ra->ts,
			                 v[i]->parent, ra->uid, v[i]->container);
		}
	}
	art_asm_end(as, NULL);
	release_window(k, v, n);
	if (out->lost_bytes) /* the kernel's losses while the window was recorded */
		art_dropped(d, ART_WRITE, ART_DROP_RING, out->lost_bytes);
	if (scap_key)
		link_events(a, d, scap_key);
	art_counts(d, &cnt);
	out->artifacts = cnt.artifacts;
	for (int i = 0; i < ART_NDROPS; i++)
		out->not_kept += cnt.dropped[i];
	rc = art_close(d, e);
	if (profile) {
		char path[4300];

		snprintf(path, sizeof(path), "%s/out/profile.json", tmp);
		if (!rc)
			rc = art_profile_write(profile, path, e);
		art_profile_free(profile);
	}
	if (rc) {
		rm_tree(tmp);
		return rc;
	}
	if (!(put = store_put_begin(a->store, key, e))) {
		rm_tree(tmp);
		return errno ? -errno : -EIO;
	}
	t = targz_new(put_out, put);
	{
		char outdir[4300];

		snprintf(outdir, sizeof(outdir), "%s/out", tmp);
		rc = tar_tree(t, outdir, "", (int64_t)(from / 1000000000ULL), e);
	}
	{
		int crc = targz_close(t);

		if (crc && !rc)
			rc = err_set(e, crc, "cannot write the artifacts' archive: %s", strerror(-crc));
	}
	rm_tree(tmp);
	if (rc) {
		store_put_abort(put);
		return rc;
	}
	return store_put_commit(put, out->sha256, &out->size, e);
}
