/*
 * assemble: the engine's artifact records into an artifact directory.
 *
 * A written file's path comes before its first data (and again after a
 * rename), so each data record is filed under the file's latest path. An
 * executed binary is read from /proc/PID/exe while the process lives; once it
 * is gone, from the name it was run by when that still names the same file
 * (device and inode); else it is listed as unreadable, with why. The flight
 * recorder reads binaries when their records come (art_asm_open()) and hands
 * their bytes over later with the record (ART_REC_F_HELD).
 */
#include "artifacts.h"

#include <errno.h>
#include <fcntl.h>
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
	char container[13];
	struct art_meta m;
};

struct art_asm {
	struct art_dir *dir;
	struct art_profile *profile;
	struct i64map wholes; /* by tid: struct whole being put together */
	struct i64map paths;  /* by fkey(): struct fpath chains */
	struct fpath *all;
	struct art_asm_counts n;
};

static int64_t fkey(uint64_t dev, uint64_t ino)
{
	return (int64_t)(ino * 0x9E3779B97F4A7C15ULL ^ dev);
}

static struct fpath *find_path(struct art_asm *s, uint64_t dev, uint64_t ino)
{
	for (struct fpath *p = i64map_get(&s->paths, fkey(dev, ino)); p; p = p->next_same_key)
		if (p->dev == dev && p->ino == ino)
			return p;
	return NULL;
}

struct art_asm *art_asm_new(struct art_dir *d, struct art_profile *profile)
{
	struct art_asm *s = xcalloc(1, sizeof(*s));

	s->dir = d;
	s->profile = profile;
	i64map_init(&s->wholes);
	i64map_init(&s->paths);
	return s;
}

static void on_path(struct art_asm *s, const struct engine_art *a)
{
	struct fpath *p = find_path(s, a->dev, a->ino);

	if (p && p->gen != a->gen) {
		/* a new file in a deleted one's inode: an artifact of its own */
		art_file_done(s->dir, a->dev, a->ino);
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
		art_file_path(s->dir, a->dev, a->ino, a->path); /* renamed: both names listed */
		return;
	}
	p = xcalloc(1, sizeof(*p));
	p->dev = a->dev;
	p->ino = a->ino;
	p->gen = a->gen;
	p->path = xstrdup(a->path);
	p->next_same_key = i64map_get(&s->paths, fkey(a->dev, a->ino));
	i64map_put(&s->paths, fkey(a->dev, a->ino), p);
	p->next_all = s->all;
	s->all = p;
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

int art_asm_open(const struct engine_art *a, const char **why)
{
	bool script = a->flags & ENGINE_ART_F_SCRIPT;
	char exe[64];
	int fd = -1;

	if (a->type == ENGINE_ART_REC_MODFILE) {
		fd = open_in(a->pid, "root", a->path, a->dev, a->ino);
		if (fd < 0)
			fd = open_same(a->path, a->dev, a->ino);
		*why = "its path no longer names the file loaded";
		return fd;
	}
	snprintf(exe, sizeof(exe), "/proc/%u/exe", a->pid);
	if (!script)
		fd = open_same(exe, a->dev, a->ino);
	if (fd < 0)
		fd = open_in(a->pid, a->path[0] == '/' ? "root" : "cwd", a->path, a->dev, a->ino);
	if (fd < 0 && a->path[0] == '/')
		fd = open_same(a->path, a->dev, a->ino);
	*why = script ? "a script: the process ended before it was read, and its name no longer names a file"
	              : "the process ended before its binary was read, and its name no longer names that "
	                "file";
	return fd;
}

void art_parent_name(uint32_t ppid, char *out, size_t max)
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
 * A binary run or a module's file: its bytes as the record holds them
 * (ART_REC_F_HELD), or as read now; listed as unreadable, with why, when
 * neither can be had.
 */
static void on_file(struct art_asm *s, const struct engine_art *a, const struct art_meta *m)
{
	enum art_kind k = a->type == ENGINE_ART_REC_MODFILE ? ART_MODULE : ART_EXEC;
	bool script = a->flags & ENGINE_ART_F_SCRIPT;
	const char *why = (const char *)a->data;
	bool kept = true;
	int fd;

	if (a->flags & ART_REC_F_HELD) {
		art_blob(s->dir, k, a->path, a->data, a->len, m);
	} else if (!(a->flags & ART_REC_F_UNREADABLE) && (fd = art_asm_open(a, &why)) >= 0) {
		art_blob_fd(s->dir, k, a->path, fd, m);
		close(fd);
	} else {
		kept = false;
		if (k == ART_EXEC)
			s->n.exec_unreadable++;
		art_unreadable(s->dir, k, a->path, why && *why ? why : "unreadable", m);
	}
	if (s->profile && k == ART_EXEC && !script) {
		char parent[32];

		art_parent_name(a->ppid, parent, sizeof(parent));
		art_profile_exec(s->profile, a->path, kept ? art_last_sha256(s->dir) : "", a->ts, parent,
		                 a->uid, m->container);
	}
}

static enum art_kind whole_kind(int type)
{
	return type == ENGINE_ART_REC_MEM ? ART_MEM : type == ENGINE_ART_REC_MODULE ? ART_MODULE : ART_BPF;
}

/* A whole is done (all its chunks in) or cut short (a chunk lost): into the directory, and freed. */
static void whole_end(struct art_asm *s, struct whole *w)
{
	enum art_kind k = whole_kind(w->type);
	char why[160];

	if (w->got < w->total) {
		s->n.incomplete++;
		art_dropped(s->dir, k, ART_DROP_RING, w->total - w->got);
	}
	if (w->total < w->whole) /* the kernel sent no more than the limit */
		art_dropped(s->dir, k, ART_DROP_FILE_LIMIT, w->whole - w->total);
	if (w->type == ENGINE_ART_REC_MEM) {
		art_mem(s->dir, w->addr, w->whole, w->prot_before, w->prot_after, w->buf, (size_t)w->got,
		        &w->m);
	} else if (w->got < w->total) {
		snprintf(why, sizeof(why), "%llu of its %llu bytes were lost in the kernel's ring",
		         (unsigned long long)(w->total - w->got), (unsigned long long)w->whole);
		art_unreadable(s->dir, k, w->name, why, &w->m);
	} else {
		art_blob(s->dir, k, w->name, w->buf, (size_t)w->got, &w->m);
	}
	free(w->buf);
	free(w);
}

/* A chunk of a region, module or program: the first (off 0) starts it, the one completing it ends it. */
static void on_chunk(struct art_asm *s, const struct engine_art *a, const struct art_meta *m)
{
	struct whole *w = i64map_get(&s->wholes, a->tid);

	if (w && (a->off == 0 || w->type != a->type)) { /* the last one lost its end */
		i64map_del(&s->wholes, a->tid);
		whole_end(s, w);
		w = NULL;
	}
	if (!w) {
		if (a->off != 0)
			return; /* its start was lost (counted by the kernel), or is older than the window */
		w = xcalloc(1, sizeof(*w));
		w->type = a->type;
		w->total = a->total;
		w->whole = a->whole;
		w->addr = a->addr;
		w->prot_before = a->prot_before;
		w->prot_after = a->prot_after;
		w->buf = xmalloc(a->total ? (size_t)a->total : 1);
		snprintf(w->comm, sizeof(w->comm), "%s", a->comm);
		snprintf(w->container, sizeof(w->container), "%s", m->container ? m->container : "");
		w->m = *m;
		w->m.comm = w->comm;
		w->m.container = w->container;
		if (a->type == ENGINE_ART_REC_BPF)
			snprintf(w->name, sizeof(w->name), "%s", a->name[0] ? a->name : "unnamed");
		else if (a->type == ENGINE_ART_REC_MODULE)
			snprintf(w->name, sizeof(w->name), "init_module-%s", a->comm);
		i64map_put(&s->wholes, a->tid, w);
	}
	if (a->off + a->len <= w->total) {
		memcpy(w->buf + a->off, a->data, a->len);
		w->got += a->len;
	}
	if (w->got >= w->total) {
		i64map_del(&s->wholes, a->tid);
		whole_end(s, w);
	}
}

void art_asm_record(struct art_asm *s, const struct engine_art *a, const char *container)
{
	struct art_meta m = { .pid = a->pid,
		              .tid = a->tid,
		              .comm = a->comm,
		              .container = container,
		              .ts = a->ts,
		              .ev = a->type == ENGINE_ART_REC_EXEC ? ART_EV_EXEC : ART_EV_AT };
	struct fpath *p;

	switch (a->type) {
	case ENGINE_ART_REC_PATH:
		on_path(s, a);
		break;
	case ENGINE_ART_REC_WRITE:
		p = find_path(s, a->dev, a->ino);
		if (!p && a->path && *a->path) { /* its name record is older than those given */
			struct engine_art named = *a;

			named.type = ENGINE_ART_REC_PATH;
			on_path(s, &named);
			p = find_path(s, a->dev, a->ino);
		}
		art_file_write(s->dir, a->dev, a->ino, p ? p->path : "", a->off, a->data, a->len, &m);
		break;
	case ENGINE_ART_REC_EXEC:
	case ENGINE_ART_REC_MODFILE:
		on_file(s, a, &m);
		break;
	case ENGINE_ART_REC_MEM:
	case ENGINE_ART_REC_MODULE:
	case ENGINE_ART_REC_BPF:
		on_chunk(s, a, &m);
		break;
	case ENGINE_ART_REC_WX:
		art_mem_wx(s->dir, a->addr, a->total, a->prot_after, &m);
		break;
	default:
		break;
	}
}

void art_asm_end(struct art_asm *s, struct art_asm_counts *c)
{
	for (size_t i = 0; i < s->wholes.cap; i++) /* cut short: their last chunks were lost */
		if (s->wholes.slots[i].val)
			whole_end(s, s->wholes.slots[i].val);
	i64map_release(&s->wholes);
	for (struct fpath *p = s->all, *next; p; p = next) {
		next = p->next_all;
		free(p->path);
		free(p);
	}
	i64map_release(&s->paths);
	if (c)
		*c = s->n;
	free(s);
}
