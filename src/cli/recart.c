/*
 * recart: artifact records into an artifact directory.
 *
 * A written file's path comes before its first data (and again after a
 * rename), so each data record is filed under the file's latest path. An
 * executed binary is read from /proc/PID/exe while the process lives; once it
 * is gone, from the name it was run by when that still names the same file
 * (device and inode); else it is listed as unreadable, with why.
 */
#include "recart.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* A written file's latest path. */
struct fpath {
	uint64_t dev, ino;
	uint32_t gen;
	char *path;
	struct fpath *next_same_key, *next_all;
};

/* A memory region, module image or BPF program arriving in chunks from one thread. */
struct whole {
	int type;
	uint8_t *buf;
	uint64_t total, got, whole;
	uint64_t addr;
	uint32_t prot_before, prot_after;
	char name[48];
	char comm[17];
	struct art_meta m;
};

struct recart {
	struct engine *en;
	struct art_dir *dir;
	struct i64map wholes; /* by tid: struct whole being put together */
	struct art_profile *profile;
	char *profile_path;
	uint64_t incomplete;
	pthread_t thread;
	atomic_bool stop;
	struct i64map paths; /* by fkey(): struct fpath chains */
	struct fpath *all;
	struct i64map containers; /* pid -> char[13] */
	uint64_t exec_unreadable;
	char **scaps; /* the .scap files written alongside, where the artifacts' events are */
	size_t nscaps;
};

static int64_t fkey(uint64_t dev, uint64_t ino)
{
	return (int64_t)(ino * 0x9E3779B97F4A7C15ULL ^ dev);
}

static struct fpath *find_path(struct recart *ra, uint64_t dev, uint64_t ino)
{
	for (struct fpath *p = i64map_get(&ra->paths, fkey(dev, ino)); p; p = p->next_same_key)
		if (p->dev == dev && p->ino == ino)
			return p;
	return NULL;
}

static const char *container_of(struct recart *ra, uint32_t pid)
{
	char *id = i64map_get(&ra->containers, pid);

	if (!id) {
		id = xcalloc(1, 13);
		engine_pid_container((int)pid, id);
		i64map_put(&ra->containers, pid, id);
	}
	return id;
}

static void on_path(struct recart *ra, const struct engine_art *a)
{
	struct fpath *p = find_path(ra, a->dev, a->ino);

	if (p && p->gen != a->gen) {
		/* a new file in a deleted one's inode: an artifact of its own */
		art_file_done(ra->dir, a->dev, a->ino);
		p->gen = a->gen;
		free(p->path);
		p->path = xstrdup(a->path);
		return;
	}
	if (p) {
		if (!strcmp(p->path, a->path))
			return;
		free(p->path);
		p->path = xstrdup(a->path);
		art_file_path(ra->dir, a->dev, a->ino, a->path); /* renamed: both names listed */
		return;
	}
	p = xcalloc(1, sizeof(*p));
	p->dev = a->dev;
	p->ino = a->ino;
	p->gen = a->gen;
	p->path = xstrdup(a->path);
	p->next_same_key = i64map_get(&ra->paths, fkey(a->dev, a->ino));
	i64map_put(&ra->paths, fkey(a->dev, a->ino), p);
	p->next_all = ra->all;
	ra->all = p;
}

/* An fd of the regular file (dev, ino) at path (dev and ino 0: any regular file), or -1. */
static int open_same(const char *path, uint64_t dev, uint64_t ino)
{
	struct stat st;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);

	if (fd < 0)
		return -1;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) ||
	    ((dev || ino) && ((uint64_t)st.st_dev != dev || (uint64_t)st.st_ino != ino))) {
		close(fd);
		return -1;
	}
	return fd;
}

/* A path seen from process pid: in its root (absolute) or its working directory (relative). */
static int open_in(uint32_t pid, const char *where, const char *path, uint64_t dev, uint64_t ino)
{
	char *p = xmalloc(strlen(path) + 48);
	int fd;

	sprintf(p, "/proc/%u/%s%s%s", pid, where, path[0] == '/' ? "" : "/", path);
	fd = open_same(p, dev, ino);
	free(p);
	return fd;
}

/* The parent's command (its comm while it lives, else "pid N"): what a profile compares across runs. */
static void parent_name(uint32_t ppid, char *out, size_t max)
{
	char p[48];
	int fd;
	ssize_t n = -1;

	snprintf(p, sizeof(p), "/proc/%u/comm", ppid);
	fd = open(p, O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		n = read(fd, out, max - 1);
		close(fd);
	}
	if (n <= 0) {
		snprintf(out, max, "pid %u", ppid);
		return;
	}
	out[n] = 0;
	out[strcspn(out, "\n")] = 0;
}

/*
 * A binary: /proc/PID/exe while the process lives; then its name in the
 * process's root; then its name on the host, when that is still the same
 * file. A script, known by name only: its name from the process's root or
 * working directory, or on the host (said in the reason when it is unreadable).
 */
static void on_exec(struct recart *ra, const struct engine_art *a, const struct art_meta *m)
{
	bool script = a->flags & ENGINE_ART_F_SCRIPT;
	char exe[64];
	int fd = -1;

	snprintf(exe, sizeof(exe), "/proc/%u/exe", a->pid);
	if (!script)
		fd = open_same(exe, a->dev, a->ino);
	if (fd < 0)
		fd = open_in(a->pid, a->path[0] == '/' ? "root" : "cwd", a->path, a->dev, a->ino);
	if (fd < 0 && a->path[0] == '/')
		fd = open_same(a->path, a->dev, a->ino);
	if (fd < 0) {
		ra->exec_unreadable++;
		if (ra->profile && !script) {
			char parent[32];

			parent_name(a->ppid, parent, sizeof(parent));
			art_profile_exec(ra->profile, a->path, "", a->ts, parent, a->uid, m->container);
		}
		art_unreadable(
		        ra->dir, ART_EXEC, a->path,
		        script ? "a script: the process ended before it was read, and its name no longer "
		                 "names a file"
		               : "the process ended before its binary was read, and its name no longer "
		                 "names that file",
		        m);
		return;
	}
	art_blob_fd(ra->dir, ART_EXEC, a->path, fd, m);
	close(fd);
	if (ra->profile && !script) {
		char parent[32];

		parent_name(a->ppid, parent, sizeof(parent));
		art_profile_exec(ra->profile, a->path, art_last_sha256(ra->dir), a->ts, parent, a->uid,
		                 m->container);
	}
}

static enum art_kind whole_kind(int type)
{
	return type == ENGINE_ART_REC_MEM ? ART_MEM : type == ENGINE_ART_REC_MODULE ? ART_MODULE : ART_BPF;
}

/* A whole is done (all its chunks in) or cut short (a chunk lost): into the directory, and freed. */
static void whole_end(struct recart *ra, struct whole *w)
{
	enum art_kind k = whole_kind(w->type);
	char why[160];

	if (w->got < w->total) {
		ra->incomplete++;
		art_dropped(ra->dir, k, ART_DROP_RING, w->total - w->got);
	}
	if (w->total < w->whole) /* the kernel sent no more than the limit */
		art_dropped(ra->dir, k, ART_DROP_FILE_LIMIT, w->whole - w->total);
	if (w->type == ENGINE_ART_REC_MEM) {
		art_mem(ra->dir, w->addr, w->whole, w->prot_before, w->prot_after, w->buf, (size_t)w->got,
		        &w->m);
	} else if (w->got < w->total) {
		snprintf(why, sizeof(why), "%llu of its %llu bytes were lost in the kernel's ring",
		         (unsigned long long)(w->total - w->got), (unsigned long long)w->whole);
		art_unreadable(ra->dir, k, w->name, why, &w->m);
	} else {
		art_blob(ra->dir, k, w->name, w->buf, (size_t)w->got, &w->m);
	}
	free(w->buf);
	free(w);
}

/* A chunk of a region, module or program: the first (off 0) starts it, the one completing it ends it. */
static void on_chunk(struct recart *ra, const struct engine_art *a, const struct art_meta *m)
{
	struct whole *w = i64map_get(&ra->wholes, a->tid);

	if (w && (a->off == 0 || w->type != a->type)) { /* the last one lost its end */
		i64map_del(&ra->wholes, a->tid);
		whole_end(ra, w);
		w = NULL;
	}
	if (!w) {
		if (a->off != 0)
			return; /* its start was lost: counted by the kernel */
		w = xcalloc(1, sizeof(*w));
		w->type = a->type;
		w->total = a->total;
		w->whole = a->whole;
		w->addr = a->addr;
		w->prot_before = a->prot_before;
		w->prot_after = a->prot_after;
		w->buf = xmalloc(a->total ? (size_t)a->total : 1);
		snprintf(w->comm, sizeof(w->comm), "%s", a->comm);
		w->m = *m;
		w->m.comm = w->comm;
		if (a->type == ENGINE_ART_REC_BPF)
			snprintf(w->name, sizeof(w->name), "%s", a->name[0] ? a->name : "unnamed");
		else if (a->type == ENGINE_ART_REC_MODULE)
			snprintf(w->name, sizeof(w->name), "init_module-%s", a->comm);
		i64map_put(&ra->wholes, a->tid, w);
	}
	if (a->off + a->len <= w->total) {
		memcpy(w->buf + a->off, a->data, a->len);
		w->got += a->len;
	}
	if (w->got >= w->total) {
		i64map_del(&ra->wholes, a->tid);
		whole_end(ra, w);
	}
}

/* finit_module's file: read by its path (in the process's root while it lives), when still that file. */
static void on_modfile(struct recart *ra, const struct engine_art *a, const struct art_meta *m)
{
	int fd = open_in(a->pid, "root", a->path, a->dev, a->ino);

	if (fd < 0)
		fd = open_same(a->path, a->dev, a->ino);
	if (fd < 0) {
		art_unreadable(ra->dir, ART_MODULE, a->path, "its path no longer names the file loaded", m);
		return;
	}
	art_blob_fd(ra->dir, ART_MODULE, a->path, fd, m);
	close(fd);
}

static void on_record(void *ctx, const struct engine_art *a)
{
	struct recart *ra = ctx;
	struct art_meta m = { .pid = a->pid,
		              .tid = a->tid,
		              .comm = a->comm,
		              .container = container_of(ra, a->pid),
		              .ts = a->ts,
		              .ev = a->type == ENGINE_ART_REC_EXEC ? ART_EV_EXEC : ART_EV_AT };
	struct fpath *p;

	switch (a->type) {
	case ENGINE_ART_REC_PATH:
		on_path(ra, a);
		break;
	case ENGINE_ART_REC_WRITE:
		p = find_path(ra, a->dev, a->ino);
		art_file_write(ra->dir, a->dev, a->ino, p ? p->path : "", a->off, a->data, a->len, &m);
		break;
	case ENGINE_ART_REC_EXEC:
		on_exec(ra, a, &m);
		break;
	case ENGINE_ART_REC_MEM:
	case ENGINE_ART_REC_MODULE:
	case ENGINE_ART_REC_BPF:
		on_chunk(ra, a, &m);
		break;
	case ENGINE_ART_REC_WX:
		art_mem_wx(ra->dir, a->addr, a->total, a->prot_after, &m);
		break;
	case ENGINE_ART_REC_MODFILE:
		on_modfile(ra, a, &m);
		break;
	default:
		break;
	}
}

static void *art_thread(void *arg)
{
	struct recart *ra = arg;

	while (!atomic_load(&ra->stop))
		if (engine_artifacts_poll(ra->en, 100, on_record, ra) < 0)
			break;
	/* what the kernel handed over before the programs were detached */
	while (engine_artifacts_poll(ra->en, 0, on_record, ra) > 0)
		;
	return NULL;
}

struct recart *recart_start(const struct recart_opts *o, struct engine *en, struct err *e)
{
	struct recart *ra = xcalloc(1, sizeof(*ra));

	ra->dir = art_open(o->dir, o->clear, &o->lim, e);
	if (!ra->dir) {
		free(ra);
		return NULL;
	}
	ra->en = en;
	i64map_init(&ra->wholes);
	if (o->profile) {
		ra->profile = art_profile_new();
		ra->profile_path = xmalloc(strlen(art_out_dir(ra->dir)) + sizeof("/profile.json"));
		sprintf(ra->profile_path, "%s/profile.json", art_out_dir(ra->dir));
	}
	i64map_init(&ra->paths);
	i64map_init(&ra->containers);
	if (pthread_create(&ra->thread, NULL, art_thread, ra) != 0) {
		err_set(e, -EAGAIN, "cannot start the artifact thread");
		art_close(ra->dir, &(struct err){ { 0 } });
		if (ra->profile)
			art_profile_free(ra->profile);
		free(ra->profile_path);
		i64map_release(&ra->wholes);
		i64map_release(&ra->paths);
		i64map_release(&ra->containers);
		free(ra);
		return NULL;
	}
	return ra;
}

static void on_file_lost(void *ctx, uint64_t dev, uint64_t ino, uint64_t bytes)
{
	art_file_lost(ctx, dev, ino, bytes);
}

void recart_events_in(struct recart *ra, char *const *paths, size_t n)
{
	ra->scaps = xcalloc(n + 1, sizeof(char *));
	for (size_t i = 0; i < n; i++)
		ra->scaps[i] = xstrdup(paths[i]);
	ra->nscaps = n;
}

/* Reading the .scap files again, on a terminal: shown once it takes more than a second. */
struct link_progress {
	double start;
	bool shown;
};

static void on_link_progress(void *ctx, uint64_t bytes)
{
	struct link_progress *p = ctx;

	if (!isatty(STDERR_FILENO) || mono_seconds() - p->start < 1)
		return;
	fprintf(stderr, "\rsysrec record: finding the artifacts' events: %llu MB read",
	        (unsigned long long)(bytes / 1000000));
	p->shown = true;
}

/* Each artifact's events, from the .scap files (a failure is said; the manifest counts what was not found).
 */
static void link_events(struct recart *ra)
{
	struct link_progress p = { mono_seconds(), false };
	struct err e = { { 0 } };

	if (art_events_link(ra->dir, ra->scaps, ra->nscaps, on_link_progress, &p, &e))
		fprintf(stderr, "sysrec record: %s\n", e.msg);
	if (p.shown)
		fputc('\n', stderr);
	for (size_t i = 0; i < ra->nscaps; i++)
		free(ra->scaps[i]);
	free(ra->scaps);
}

int recart_finish(struct recart *ra, struct recart_counts *c, struct err *e)
{
	struct engine_art_stats ks;
	int rc;

	atomic_store(&ra->stop, true);
	pthread_join(ra->thread, NULL);
	engine_artifacts_stats(ra->en, &ks);
	engine_artifacts_file_losses(ra->en, on_file_lost, ra->dir);
	for (size_t i = 0; i < ra->wholes.cap; i++) /* cut short: their last chunks were lost */
		if (ra->wholes.slots[i].val)
			whole_end(ra, ra->wholes.slots[i].val);
	i64map_release(&ra->wholes);
	/* what the kernel could not hand over: counted, never silent */
	if (ks.lost_bytes)
		art_dropped(ra->dir, ART_WRITE, ART_DROP_RING, ks.lost_bytes);
	if (ks.unreadable)
		art_dropped(ra->dir, ART_WRITE, ART_DROP_UNREADABLE, ks.unreadable);
	if (c) {
		memset(c, 0, sizeof(*c));
		art_counts(ra->dir, &c->art);
		c->kernel = ks;
		c->exec_unreadable = ra->exec_unreadable;
		c->incomplete = ra->incomplete;
	}
	if (ra->profile) {
		struct err pe = { { 0 } };

		if (art_profile_write(ra->profile, ra->profile_path, &pe) && e && !e->msg[0])
			*e = pe;
		art_profile_free(ra->profile);
		free(ra->profile_path);
	}
	if (ra->nscaps)
		link_events(ra);
	rc = art_close(ra->dir, e);
	for (struct fpath *p = ra->all, *next; p; p = next) {
		next = p->next_all;
		free(p->path);
		free(p);
	}
	i64map_release(&ra->paths);
	for (size_t i = 0; i < ra->containers.cap; i++)
		free(ra->containers.slots[i].val);
	i64map_release(&ra->containers);
	free(ra);
	return rc;
}
