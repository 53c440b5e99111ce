/* artifacts: written files, binaries, memory, modules and BPF programs kept beside a recording. */
#include "artifacts_int.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAX_EVENTS 64 /* events named per artifact; the rest counted */

static const char *const kind_names[ART_NKINDS] = { "write", "exec", "mem", "module", "bpf" };
static const char *const kind_dirs[ART_NKINDS] = { "files", "exec", "mem", "modules", "bpf" };
static const char *const drop_names[ART_NDROPS] = { "file_limit", "total_limit", "ring_full", "unreadable",
	                                            "io_error" };

/* One manifest entry. */
struct entry {
	enum art_kind kind;
	char *file; /* relative to out/, NULL: not kept (unreadable) */
	char *reason;
	char *note; /* what happened, when nothing is kept by design (a W+X mapping) */
	char **paths;
	size_t npaths;
	char sha256[65];
	uint64_t size, kept, dropped;
	bool truncated;
	uint64_t count; /* times met (exec, module, bpf) */
	uint32_t pid, tid;
	char comm[17], container[13];
	uint64_t first, last;
	struct art_evref evs[MAX_EVENTS];
	size_t nevs;
	uint64_t evs_more;
	/* written files */
	uint64_t dev, ino;
	bool done; /* the file is gone and its inode may name another (art_file_done) */
	int fd;
	char *work; /* its name while written */
	struct entry *next_same_key;
	/* memory */
	uint64_t addr, len;
	uint32_t prot_before, prot_after;
};

/*
 * A file a blob was read from (art_blob_fd()), by what fstat() says of it:
 * the same device, inode, size and modification and change times again are
 * the same content (a write changes the change time, which no call can set
 * back), counted without reading it again. Only files unchanged for a second
 * are remembered: a change within the same tick of the file system's clock
 * could leave the times as they were.
 */
struct seen_file {
	uint64_t dev, ino, size;
	int64_t mtime_ns, ctime_ns;
	enum art_kind kind;
	struct entry *en;
	struct seen_file *next;
};

struct art_dir {
	char *out;
	struct art_limits lim;
	struct entry **entries;
	size_t n;
	struct i64map files; /* (dev, ino) mix -> struct entry chain */
	struct i64map blobs; /* sha256's first 8 bytes -> struct entry chain */
	struct i64map seen;  /* (dev, ino) mix -> struct seen_file chain */
	uint64_t kept;
	uint64_t dropped[ART_NDROPS];
	uint64_t tmp_seq;
	char last_sha[65]; /* of the last blob stored or met again ("": unreadable) */
	char **evfiles;    /* the .scap files the events were looked for in (art_events_link()) */
	size_t nevfiles;
	bool linked;
	int err;
	struct err e;
};

const char *art_kind_name(enum art_kind k)
{
	return k < ART_NKINDS ? kind_names[k] : "?";
}

const char *art_drop_name(enum art_drop c)
{
	return c < ART_NDROPS ? drop_names[c] : "?";
}

void art_safe_name(char *out, size_t max, const char *name)
{
	const char *base = name ? strrchr(name, '/') : NULL;

	safe_filename(out, max, base ? base + 1 : name ? name : "");
}

static void fail(struct art_dir *d, int rc, const char *what, const char *path)
{
	if (!d->err) {
		d->err = rc ? rc : -EIO;
		err_set(&d->e, d->err, "artifacts: %s %s: %s", what, path, strerror(-d->err));
	}
}

static char *join(const char *a, const char *b)
{
	char *s = xmalloc(strlen(a) + strlen(b) + 2);

	sprintf(s, "%s/%s", a, b);
	return s;
}

/* clear-dir: what a previous run wrote (the kinds' directories and the manifest), nothing else. */
static void clear_out(const char *out)
{
	for (int k = 0; k < ART_NKINDS; k++) {
		char *sub = join(out, kind_dirs[k]);
		DIR *dd = opendir(sub);
		struct dirent *de;

		while (dd && (de = readdir(dd))) {
			if (de->d_type != DT_REG)
				continue;
			char *f = join(sub, de->d_name);

			unlink(f);
			free(f);
		}
		if (dd)
			closedir(dd);
		free(sub);
	}
	{
		char *m = join(out, "manifest.json");

		unlink(m);
		free(m);
	}
}

struct art_dir *art_open(const char *dir, bool clear, const struct art_limits *lim, struct err *e)
{
	struct art_dir *d = xcalloc(1, sizeof(*d));
	int rc;

	d->out = join(dir, "out");
	if ((rc = mkdir_p(d->out, 0755)) != 0 || access(d->out, W_OK | X_OK) < 0) {
		err_set(e, rc ? rc : -errno, "cannot make or write %s: %s", d->out,
		        strerror(rc ? -rc : errno));
		free(d->out);
		free(d);
		return NULL;
	}
	if (clear)
		clear_out(d->out);
	for (int k = 0; k < ART_NKINDS; k++) {
		char *sub = join(d->out, kind_dirs[k]);

		rc = mkdir_p(sub, 0755);
		free(sub);
		if (rc) {
			err_set(e, rc, "cannot make %s/%s: %s", d->out, kind_dirs[k], strerror(-rc));
			free(d->out);
			free(d);
			return NULL;
		}
	}
	if (lim)
		d->lim = *lim;
	i64map_init(&d->files);
	i64map_init(&d->blobs);
	i64map_init(&d->seen);
	return d;
}

const char *art_out_dir(const struct art_dir *d)
{
	return d->out;
}

static struct entry *add_entry(struct art_dir *d, enum art_kind k, const struct art_meta *m)
{
	struct entry *en = xcalloc(1, sizeof(*en));

	en->kind = k;
	en->fd = -1;
	en->count = 1;
	if (m) {
		en->pid = m->pid;
		en->tid = m->tid;
		snprintf(en->comm, sizeof(en->comm), "%s", m->comm ? m->comm : "");
		snprintf(en->container, sizeof(en->container), "%s", m->container ? m->container : "");
		en->first = en->last = m->ts;
	}
	d->entries = xrealloc(d->entries, (d->n + 1) * sizeof(struct entry *));
	d->entries[d->n++] = en;
	return en;
}

static void note_event(struct entry *en, const struct art_meta *m)
{
	if (!m)
		return;
	if (m->ts > en->last)
		en->last = m->ts;
	if (m->ts && (!en->first || m->ts < en->first))
		en->first = m->ts;
	if (m->ev == ART_EV_NONE)
		return;
	if (en->nevs) { /* the chunks of one call: one event */
		const struct art_evref *last = &en->evs[en->nevs - 1];

		if (last->ts == m->ts && last->tid == m->tid && last->rule == m->ev)
			return;
	}
	if (en->nevs < MAX_EVENTS)
		en->evs[en->nevs++] =
		        (struct art_evref){ .ts = m->ts, .tid = m->tid, .rule = (uint8_t)m->ev };
	else
		en->evs_more++;
}

static void add_path(struct entry *en, const char *path)
{
	if (!path || !*path)
		return;
	for (size_t i = 0; i < en->npaths; i++)
		if (!strcmp(en->paths[i], path))
			return;
	en->paths = xrealloc(en->paths, (en->npaths + 1) * sizeof(*en->paths));
	en->paths[en->npaths++] = xstrdup(path);
}

/* How many of n bytes the total limit lets in (the rest counted). */
static size_t total_room(struct art_dir *d, enum art_kind k, size_t n)
{
	uint64_t room;

	if (!d->lim.total_max)
		return n;
	room = d->kept < d->lim.total_max ? d->lim.total_max - d->kept : 0;
	if (n <= room)
		return n;
	art_dropped(d, k, ART_DROP_TOTAL_LIMIT, n - room);
	return (size_t)room;
}

/* ------------------------------------------------------------ written files */

static uint64_t file_key(uint64_t dev, uint64_t ino)
{
	uint64_t h = ino * 0x9E3779B97F4A7C15ULL ^ (dev + 0x632BE59BD9B4E019ULL);

	return h ^ (h >> 29);
}

static struct entry *file_entry(struct art_dir *d, uint64_t dev, uint64_t ino, const char *path,
                                const struct art_meta *m)
{
	uint64_t key = file_key(dev, ino);
	struct entry *head = i64map_get(&d->files, key), *en;
	char name[32];

	for (en = head; en; en = en->next_same_key)
		if (en->dev == dev && en->ino == ino && !en->done)
			return en;
	en = add_entry(d, ART_WRITE, m);
	en->dev = dev;
	en->ino = ino;
	en->next_same_key = head;
	i64map_put(&d->files, key, en);
	snprintf(name, sizeof(name), "files/.work-%llu", (unsigned long long)++d->tmp_seq);
	en->work = join(d->out, name);
	en->fd = open(en->work, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (en->fd < 0)
		fail(d, -errno, "cannot create", en->work);
	add_path(en, path);
	return en;
}

int art_file_write(struct art_dir *d, uint64_t dev, uint64_t ino, const char *path, uint64_t off,
                   const void *data, size_t len, const struct art_meta *m)
{
	struct entry *en = file_entry(d, dev, ino, path, m);
	size_t n = len;

	add_path(en, path);
	note_event(en, m);
	if (d->lim.file_max && off + n > d->lim.file_max) {
		size_t keep = off < d->lim.file_max ? (size_t)(d->lim.file_max - off) : 0;

		art_dropped(d, ART_WRITE, ART_DROP_FILE_LIMIT, n - keep);
		en->dropped += n - keep;
		en->truncated = true;
		n = keep;
	}
	if (n) {
		size_t room = total_room(d, ART_WRITE, n);

		if (room < n) {
			en->dropped += n - room;
			en->truncated = true;
			n = room;
		}
	}
	if (!n)
		return 0;
	if (en->fd < 0 || pwrite(en->fd, data, n, (off_t)off) != (ssize_t)n) {
		if (en->fd >= 0)
			fail(d, -(errno ? errno : EIO), "cannot write", en->work);
		art_dropped(d, ART_WRITE, ART_DROP_IO, n);
		en->dropped += n;
		en->truncated = true;
		return d->err;
	}
	d->kept += n;
	en->kept += n;
	if (off + n > en->size)
		en->size = off + n;
	return 0;
}

void art_file_path(struct art_dir *d, uint64_t dev, uint64_t ino, const char *path)
{
	struct entry *en;

	for (en = i64map_get(&d->files, file_key(dev, ino)); en; en = en->next_same_key)
		if (en->dev == dev && en->ino == ino && !en->done) {
			add_path(en, path);
			return;
		}
}

void art_file_lost(struct art_dir *d, uint64_t dev, uint64_t ino, uint64_t bytes)
{
	struct entry *en, *last = NULL;

	for (en = i64map_get(&d->files, file_key(dev, ino)); en; en = en->next_same_key)
		if (en->dev == dev && en->ino == ino && (!last || !en->done))
			last = en;
	if (!last)
		return;
	last->dropped += bytes;
	last->truncated = true;
}

void art_file_done(struct art_dir *d, uint64_t dev, uint64_t ino)
{
	struct entry *en;

	for (en = i64map_get(&d->files, file_key(dev, ino)); en; en = en->next_same_key)
		if (en->dev == dev && en->ino == ino)
			en->done = true;
}

/* ----------------------------------------------------------------- sha256 */

static void hex(const unsigned char *md, unsigned n, char *out)
{
	for (unsigned i = 0; i < n; i++)
		sprintf(out + 2 * i, "%02x", md[i]);
	out[2 * n] = 0;
}

/* sha256 of the file at fd from its start; 0 or -errno. */
static int sha256_fd(int fd, char out[65], uint64_t *size)
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	unsigned char buf[65536], dig[EVP_MAX_MD_SIZE];
	unsigned n = 0;
	ssize_t r;
	off_t off = 0;
	int rc = 0;

	if (!md || !EVP_DigestInit_ex(md, EVP_sha256(), NULL)) {
		EVP_MD_CTX_free(md);
		return -ENOMEM;
	}
	while ((r = pread(fd, buf, sizeof(buf), off)) > 0) {
		EVP_DigestUpdate(md, buf, (size_t)r);
		off += r;
	}
	if (r < 0)
		rc = -errno;
	EVP_DigestFinal_ex(md, dig, &n);
	EVP_MD_CTX_free(md);
	hex(dig, n, out);
	*size = (uint64_t)off;
	return rc;
}

static void sha256_mem(const void *p, size_t len, char out[65])
{
	unsigned char dig[EVP_MAX_MD_SIZE];
	unsigned n = 0;

	EVP_Digest(p, len, dig, &n, EVP_sha256(), NULL);
	hex(dig, n, out);
}

/* ------------------------------------------------------------------ blobs */

static uint64_t sha_key(const char *sha, enum art_kind k)
{
	return strtoull((char[17]){ sha[0], sha[1], sha[2], sha[3], sha[4], sha[5], sha[6], sha[7], sha[8],
	                            sha[9], sha[10], sha[11], sha[12], sha[13], sha[14], sha[15], 0 },
	                NULL, 16) ^
	       (uint64_t)k;
}

static struct entry *blob_find(struct art_dir *d, enum art_kind k, const char *sha)
{
	for (struct entry *en = i64map_get(&d->blobs, sha_key(sha, k)); en; en = en->next_same_key)
		if (en->kind == k && !strcmp(en->sha256, sha))
			return en;
	return NULL;
}

/* A new blob entry for sha, its file's name made of name and the hash: NAME.SHA12 */
static struct entry *blob_new(struct art_dir *d, enum art_kind k, const char *name, const char *sha,
                              const struct art_meta *m)
{
	struct entry *en = add_entry(d, k, m);
	uint64_t key = sha_key(sha, k);
	char safe[96], rel[160];

	art_safe_name(safe, sizeof(safe), name);
	snprintf(rel, sizeof(rel), "%s/%s.%.12s%s", kind_dirs[k], safe, sha, k == ART_BPF ? ".insns" : "");
	en->file = xstrdup(rel);
	memcpy(en->sha256, sha, 65);
	en->next_same_key = i64map_get(&d->blobs, key);
	i64map_put(&d->blobs, key, en);
	return en;
}

/* Met again: counted, with its time, event and (another) name. */
static void blob_again(struct entry *en, const char *name, const struct art_meta *m)
{
	en->count++;
	note_event(en, m);
	add_path(en, name);
}

static int write_all(int fd, const void *p, size_t n)
{
	const char *c = p;

	while (n) {
		ssize_t w = write(fd, c, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -(w < 0 ? errno : EIO);
		c += w;
		n -= (size_t)w;
	}
	return 0;
}

int art_blob(struct art_dir *d, enum art_kind k, const char *name, const void *data, size_t len,
             const struct art_meta *m)
{
	char sha[65];
	struct entry *en;
	char *path;
	int fd, rc;

	sha256_mem(data, len, sha);
	memcpy(d->last_sha, sha, sizeof(d->last_sha));
	if ((en = blob_find(d, k, sha))) {
		blob_again(en, name, m);
		return 0;
	}
	if (total_room(d, k, len) < len) {
		art_unreadable(d, k, name, "over the limit of all artifacts together", m);
		return 0;
	}
	en = blob_new(d, k, name, sha, m);
	add_path(en, name);
	note_event(en, m);
	en->size = en->kept = len;
	path = join(d->out, en->file);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	rc = fd < 0 ? -errno : write_all(fd, data, len);
	if (fd >= 0)
		close(fd);
	if (rc) {
		fail(d, rc, "cannot write", path);
		art_dropped(d, k, ART_DROP_IO, len);
		en->kept = 0;
		en->truncated = true;
	} else {
		d->kept += len;
	}
	free(path);
	return rc;
}

static int64_t seen_key(const struct stat *st)
{
	return (int64_t)((uint64_t)st->st_ino * 0x9E3779B97F4A7C15ULL ^ (uint64_t)st->st_dev);
}

static int64_t ns_of(const struct timespec *t)
{
	return (int64_t)t->tv_sec * 1000000000LL + t->tv_nsec;
}

/* The blob of kind k already read from the file st describes, unchanged since; NULL: none. */
static struct entry *seen_find(struct art_dir *d, enum art_kind k, const struct stat *st)
{
	for (struct seen_file *f = i64map_get(&d->seen, seen_key(st)); f; f = f->next)
		if (f->kind == k && f->dev == (uint64_t)st->st_dev && f->ino == (uint64_t)st->st_ino &&
		    f->size == (uint64_t)st->st_size && f->mtime_ns == ns_of(&st->st_mtim) &&
		    f->ctime_ns == ns_of(&st->st_ctim))
			return f->en;
	return NULL;
}

static void seen_add(struct art_dir *d, enum art_kind k, const struct stat *st, struct entry *en)
{
	struct seen_file *f = xcalloc(1, sizeof(*f));

	*f = (struct seen_file){ (uint64_t)st->st_dev,
		                 (uint64_t)st->st_ino,
		                 (uint64_t)st->st_size,
		                 ns_of(&st->st_mtim),
		                 ns_of(&st->st_ctim),
		                 k,
		                 en,
		                 i64map_get(&d->seen, seen_key(st)) };
	i64map_put(&d->seen, seen_key(st), f);
}

/* Read the blob at fd into the directory (*en: its entry, when stored or met again). */
static int blob_read_fd(struct art_dir *d, enum art_kind k, const char *name, int fd,
                        const struct art_meta *m, struct entry **found)
{
	char tmpname[48], sha[65], *tmp, *path;
	unsigned char buf[65536];
	uint64_t size = 0;
	struct entry *en;
	ssize_t r;
	off_t off = 0;
	int out, rc = 0;

	/* copied as read (a binary may be large), then named by its hash, or dropped if known */
	snprintf(tmpname, sizeof(tmpname), "%s/.tmp-%llu", kind_dirs[k], (unsigned long long)++d->tmp_seq);
	tmp = join(d->out, tmpname);
	out = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (out < 0) {
		rc = -errno;
		fail(d, rc, "cannot create", tmp);
		free(tmp);
		return rc;
	}
	while ((r = pread(fd, buf, sizeof(buf), off)) > 0 && !rc) {
		rc = write_all(out, buf, (size_t)r);
		off += r;
	}
	if (r < 0 && !rc) {
		char why[128];

		snprintf(why, sizeof(why), "read failed: %s", strerror(errno));
		close(out);
		unlink(tmp);
		free(tmp);
		art_unreadable(d, k, name, why, m);
		return 0;
	}
	close(out);
	out = open(tmp, O_RDONLY | O_CLOEXEC);
	if (rc || out < 0 || (rc = sha256_fd(out, sha, &size)) != 0) {
		rc = rc ? rc : -errno;
		fail(d, rc, "cannot write", tmp);
		if (out >= 0)
			close(out);
		unlink(tmp);
		free(tmp);
		art_dropped(d, k, ART_DROP_IO, (uint64_t)off);
		return rc;
	}
	close(out);
	memcpy(d->last_sha, sha, sizeof(d->last_sha));
	if ((en = blob_find(d, k, sha))) {
		blob_again(en, name, m);
		unlink(tmp);
		free(tmp);
		if (found)
			*found = en;
		return 0;
	}
	if (total_room(d, k, size) < size) {
		unlink(tmp);
		free(tmp);
		art_unreadable(d, k, name, "over the limit of all artifacts together", m);
		return 0;
	}
	en = blob_new(d, k, name, sha, m);
	add_path(en, name);
	note_event(en, m);
	en->size = en->kept = size;
	path = join(d->out, en->file);
	if (rename(tmp, path) < 0) {
		rc = -errno;
		fail(d, rc, "cannot rename", tmp);
		unlink(tmp);
		en->kept = 0;
	} else {
		d->kept += size;
		if (found)
			*found = en;
	}
	free(path);
	free(tmp);
	return rc;
}

int art_blob_fd(struct art_dir *d, enum art_kind k, const char *name, int fd, const struct art_meta *m)
{
	struct stat st;
	struct entry *known;
	int rc;

	if (fstat(fd, &st) < 0) /* read it: it is kept as read */
		return blob_read_fd(d, k, name, fd, m, NULL);
	if ((known = seen_find(d, k, &st))) {
		memcpy(d->last_sha, known->sha256, sizeof(d->last_sha));
		blob_again(known, name, m);
		return 0;
	}
	rc = blob_read_fd(d, k, name, fd, m, &known);
	/* a file changed in the last second may change again within the clock's tick, its times the same */
	if (!rc && known && S_ISREG(st.st_mode) && (int64_t)epoch_ns() - ns_of(&st.st_ctim) > 1000000000LL)
		seen_add(d, k, &st, known);
	return rc;
}

int art_mem(struct art_dir *d, uint64_t addr, uint64_t len, uint32_t prot_before, uint32_t prot_after,
            const void *data, size_t n, const struct art_meta *m)
{
	struct entry *en = add_entry(d, ART_MEM, m);
	char safe[24], rel[96], *path;
	size_t keep = n;
	int fd, rc;

	art_safe_name(safe, sizeof(safe), m && m->comm ? m->comm : "");
	snprintf(rel, sizeof(rel), "mem/%u-%s-%llx.%llu.bin", m ? m->pid : 0, safe, (unsigned long long)addr,
	         (unsigned long long)d->n);
	en->file = xstrdup(rel);
	en->addr = addr;
	en->len = len;
	en->prot_before = prot_before;
	en->prot_after = prot_after;
	note_event(en, m);
	if (d->lim.mem_max && keep > d->lim.mem_max) {
		art_dropped(d, ART_MEM, ART_DROP_FILE_LIMIT, keep - d->lim.mem_max);
		keep = (size_t)d->lim.mem_max;
	}
	keep = total_room(d, ART_MEM, keep);
	en->truncated = keep < len;
	en->dropped = len - keep;
	sha256_mem(data, keep, en->sha256);
	path = join(d->out, rel);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	rc = fd < 0 ? -errno : write_all(fd, data, keep);
	if (fd >= 0)
		close(fd);
	if (rc) {
		fail(d, rc, "cannot write", path);
		art_dropped(d, ART_MEM, ART_DROP_IO, keep);
	} else {
		d->kept += keep;
		en->size = en->kept = keep;
	}
	free(path);
	return rc;
}

void art_unreadable(struct art_dir *d, enum art_kind k, const char *name, const char *reason,
                    const struct art_meta *m)
{
	struct entry *en = add_entry(d, k, m);

	add_path(en, name);
	note_event(en, m);
	en->reason = xstrdup(reason);
	en->truncated = true;
	d->last_sha[0] = 0;
}

const char *art_last_sha256(const struct art_dir *d)
{
	return d->last_sha;
}

void art_mem_wx(struct art_dir *d, uint64_t addr, uint64_t len, uint32_t prot, const struct art_meta *m)
{
	struct entry *en = add_entry(d, ART_MEM, m);

	note_event(en, m);
	en->addr = addr;
	en->len = len;
	en->prot_after = prot;
	en->note = xstrdup("mapped or made writable and executable (its bytes are kept if it is made "
	                   "executable only)");
}

void art_dropped(struct art_dir *d, enum art_kind k, enum art_drop cause, uint64_t bytes)
{
	(void)k;
	if (cause < ART_NDROPS)
		d->dropped[cause] += bytes;
}

void art_counts(const struct art_dir *d, struct art_counts *c)
{
	memset(c, 0, sizeof(*c));
	c->artifacts = d->n;
	c->bytes = d->kept;
	memcpy(c->dropped, d->dropped, sizeof(c->dropped));
}

/* ------------------------------------------------------------------ close */

/* A written file: its hash, and its final name NAME.DEV-INO (from its first path). */
static void finish_file(struct art_dir *d, struct entry *en)
{
	char safe[96], rel[200], *path;
	uint64_t size = 0;

	if (en->fd < 0)
		return;
	/* a write past the others' end leaves a hole; the size is the last byte written */
	if (ftruncate(en->fd, (off_t)en->size) < 0 || sha256_fd(en->fd, en->sha256, &size) != 0)
		fail(d, -errno, "cannot read back", en->work);
	close(en->fd);
	en->fd = -1;
	art_safe_name(safe, sizeof(safe), en->npaths ? en->paths[0] : "");
	snprintf(rel, sizeof(rel), "files/%s.%llu-%llu", safe, (unsigned long long)en->dev,
	         (unsigned long long)en->ino);
	path = join(d->out, rel);
	if (rename(en->work, path) < 0) {
		fail(d, -errno, "cannot rename", en->work);
	} else {
		en->file = xstrdup(rel);
	}
	free(path);
}

/* The events found, by file: {"trace.scap": [12, 40]}. */
static json_t *events_json(const struct art_dir *d, const struct entry *en)
{
	json_t *o = json_object();

	for (size_t i = 0; i < en->nevs; i++) {
		const struct art_evref *r = &en->evs[i];
		json_t *nums;

		if (!r->file || r->file > d->nevfiles)
			continue;
		nums = json_object_get(o, d->evfiles[r->file - 1]);
		if (!nums) {
			nums = json_array();
			json_object_set_new(o, d->evfiles[r->file - 1], nums);
		}
		json_array_append_new(nums, json_integer((json_int_t)r->num));
	}
	return o;
}

static json_t *entry_json(const struct art_dir *d, const struct entry *en)
{
	json_t *o = json_object(), *paths = json_array(), *owner;

	json_object_set_new(o, "kind", json_string(kind_names[en->kind]));
	json_object_set_new(o, "file", en->file ? json_string(en->file) : json_null());
	for (size_t i = 0; i < en->npaths; i++)
		json_array_append_new(paths, json_string(en->paths[i]));
	json_object_set_new(o, en->kind == ART_BPF ? "names" : "paths", paths);
	json_object_set_new(o, "sha256", en->sha256[0] ? json_string(en->sha256) : json_null());
	json_object_set_new(o, "size", json_integer((json_int_t)en->size));
	json_object_set_new(o, "truncated", json_boolean(en->truncated));
	if (en->dropped)
		json_object_set_new(o, "dropped_bytes", json_integer((json_int_t)en->dropped));
	if (en->reason)
		json_object_set_new(o, "not_kept", json_string(en->reason));
	if (en->note)
		json_object_set_new(o, "note", json_string(en->note));
	if (en->kind == ART_EXEC || en->kind == ART_MODULE || en->kind == ART_BPF)
		json_object_set_new(o, "count", json_integer((json_int_t)en->count));
	if (en->kind == ART_WRITE) {
		json_object_set_new(o, "dev", json_integer((json_int_t)en->dev));
		json_object_set_new(o, "inode", json_integer((json_int_t)en->ino));
	}
	if (en->kind == ART_MEM) {
		char a[24];

		snprintf(a, sizeof(a), "0x%llx", (unsigned long long)en->addr);
		json_object_set_new(o, "address", json_string(a));
		json_object_set_new(o, "length", json_integer((json_int_t)en->len));
		json_object_set_new(o, "prot_before", json_integer(en->prot_before));
		json_object_set_new(o, "prot_after", json_integer(en->prot_after));
	}
	owner = json_pack("{s:i,s:i,s:s,s:s}", "pid", (json_int_t)en->pid, "tid", (json_int_t)en->tid, "comm",
	                  en->comm, "container", en->container);
	json_object_set_new(o, "owner", owner);
	json_object_set_new(o, "first_ns", json_integer((json_int_t)en->first));
	json_object_set_new(o, "last_ns", json_integer((json_int_t)en->last));
	json_object_set_new(o, "events", events_json(d, en));
	if (en->evs_more)
		json_object_set_new(o, "events_more", json_integer((json_int_t)en->evs_more));
	if (d->linked) {
		uint64_t missing = 0;

		for (size_t i = 0; i < en->nevs; i++)
			missing += !en->evs[i].file;
		if (missing)
			json_object_set_new(o, "events_not_found", json_integer((json_int_t)missing));
	}
	return o;
}

static int write_manifest(struct art_dir *d)
{
	json_t *root = json_object(), *arr = json_array(), *drops = json_object();
	char *path = join(d->out, "manifest.json"), *tmp = join(d->out, ".manifest.json.tmp");
	int rc = 0;

	json_object_set_new(root, "version", json_integer(1));
	for (size_t i = 0; i < d->n; i++)
		json_array_append_new(arr, entry_json(d, d->entries[i]));
	json_object_set_new(root, "artifacts", arr);
	for (int c = 0; c < ART_NDROPS; c++)
		json_object_set_new(drops, drop_names[c], json_integer((json_int_t)d->dropped[c]));
	json_object_set_new(root, "dropped_bytes", drops);
	json_object_set_new(root, "kept_bytes", json_integer((json_int_t)d->kept));
	if (json_dump_file(root, tmp, JSON_INDENT(1) | JSON_SORT_KEYS) != 0 || rename(tmp, path) != 0) {
		rc = -(errno ? errno : EIO);
		fail(d, rc, "cannot write", path);
		unlink(tmp);
	}
	json_decref(root);
	free(path);
	free(tmp);
	return rc;
}

struct art_evref **art_evrefs(struct art_dir *d, size_t *n)
{
	struct art_evref **v;
	size_t k = 0;

	*n = 0;
	for (size_t i = 0; i < d->n; i++)
		*n += d->entries[i]->nevs;
	v = xcalloc(*n + 1, sizeof(*v)); // NOLINT(bugprone-sizeof-expression): pointers
	for (size_t i = 0; i < d->n; i++)
		for (size_t j = 0; j < d->entries[i]->nevs; j++)
			v[k++] = &d->entries[i]->evs[j];
	return v;
}

void art_set_event_files(struct art_dir *d, char *const *paths, size_t n)
{
	for (size_t i = 0; i < d->nevfiles; i++)
		free(d->evfiles[i]);
	d->evfiles = xrealloc(d->evfiles, (n + 1) * sizeof(char *));
	for (size_t i = 0; i < n; i++)
		d->evfiles[i] = xstrdup(paths[i]);
	d->nevfiles = n;
	d->linked = true;
}

int art_close(struct art_dir *d, struct err *e)
{
	int rc;

	for (size_t i = 0; i < d->n; i++)
		if (d->entries[i]->kind == ART_WRITE)
			finish_file(d, d->entries[i]);
	write_manifest(d);
	rc = d->err;
	if (rc && e)
		*e = d->e;
	for (size_t i = 0; i < d->n; i++) {
		struct entry *en = d->entries[i];

		for (size_t j = 0; j < en->npaths; j++)
			free(en->paths[j]);
		free(en->paths);
		free(en->file);
		free(en->reason);
		free(en->note);
		free(en->work);
		free(en);
	}
	free(d->entries);
	for (size_t i = 0; i < d->nevfiles; i++)
		free(d->evfiles[i]);
	free(d->evfiles);
	i64map_release(&d->files);
	i64map_release(&d->blobs);
	for (size_t i = 0; i < d->seen.cap; i++)
		for (struct seen_file *f = d->seen.slots[i].val, *next; f; f = next) {
			next = f->next;
			free(f);
		}
	i64map_release(&d->seen);
	free(d->out);
	free(d);
	return rc;
}
