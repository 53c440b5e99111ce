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

struct recart {
	struct engine *en;
	struct art_dir *dir;
	pthread_t thread;
	atomic_bool stop;
	struct i64map paths; /* by fkey(): struct fpath chains */
	struct fpath *all;
	struct i64map containers; /* pid -> char[13] */
	uint64_t exec_unreadable;
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
		art_unreadable(ra->dir, ART_EXEC, a->path,
		               script ? "a script: the process ended before it was read, and its name no longer "
		                        "names a file"
		                      : "the process ended before its binary was read, and its name no longer "
		                        "names that file",
		               m);
		return;
	}
	art_blob_fd(ra->dir, ART_EXEC, a->path, fd, m);
	close(fd);
}

static void on_record(void *ctx, const struct engine_art *a)
{
	struct recart *ra = ctx;
	struct art_meta m = {
		.pid = a->pid, .tid = a->tid, .comm = a->comm, .container = container_of(ra, a->pid), .ts = a->ts
	};
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
	i64map_init(&ra->paths);
	i64map_init(&ra->containers);
	if (pthread_create(&ra->thread, NULL, art_thread, ra) != 0) {
		err_set(e, -EAGAIN, "cannot start the artifact thread");
		art_close(ra->dir, &(struct err){ { 0 } });
		i64map_release(&ra->paths);
		i64map_release(&ra->containers);
		free(ra);
		return NULL;
	}
	return ra;
}

int recart_finish(struct recart *ra, struct recart_counts *c, struct err *e)
{
	struct engine_art_stats ks;
	int rc;

	atomic_store(&ra->stop, true);
	pthread_join(ra->thread, NULL);
	engine_artifacts_stats(ra->en, &ks);
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
	}
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
