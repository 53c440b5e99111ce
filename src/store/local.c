/*
 * local: the store interface (key checks, hashing, sticky put errors, ranges)
 * and its local-directory backend.
 *
 * The backend-independent half comes first and reaches the backend only through
 * struct store_ops (store_int.h); it should move to its own file when the S3
 * backend arrives. The local backend keeps each key as a file under the store
 * directory, reached through one directory fd with the *at() calls, and
 * publishes a put the classic way: write ".NAME.tmp.PID.SEQ" beside the key,
 * fsync it, rename it over the key, fsync the directory.
 */
#include "store_int.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* A key as it may be printed in a message: at most 80 bytes, non-printable bytes as '?'. */
struct key_text {
	char s[84];
};

static struct key_text key_text(const char *key)
{
	struct key_text t;
	size_t i;

	for (i = 0; i < 80 && key[i]; i++)
		t.s[i] = key[i] >= 0x20 && key[i] < 0x7f ? key[i] : '?';
	if (key[i]) {
		memcpy(t.s + i, "...", 3);
		i += 3;
	}
	t.s[i] = '\0';
	return t;
}

static bool key_char_ok(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
	       c == '_' || c == '-';
}

int store_key_check(const char *key, struct err *e)
{
	size_t len, i, comp = 0; /* comp: where the current component starts */

	if (!key)
		return err_set(e, -EINVAL, "missing object key");
	len = strlen(key);
	if (len == 0 || len > STORE_KEY_MAX)
		return err_set(e, -EINVAL, "bad object key '%s': it must have 1 to %d bytes", key_text(key).s,
		               STORE_KEY_MAX);
	for (i = 0; i <= len; i++) {
		if (i == len || key[i] == '/') {
			if (i == comp)
				return err_set(e, -EINVAL, "bad object key '%s': empty path component",
				               key_text(key).s);
			comp = i + 1;
			continue;
		}
		if (!key_char_ok(key[i]))
			return err_set(e, -EINVAL,
			               "bad object key '%s': only A-Z a-z 0-9 . _ - / are allowed",
			               key_text(key).s);
		if (i == comp && key[i] == '.')
			return err_set(e, -EINVAL, "bad object key '%s': a path component starts with '.'",
			               key_text(key).s);
	}
	return 0;
}

/* A listing prefix: "" or a valid key followed by '/'. */
static int prefix_check(const char *prefix, struct err *e)
{
	char dir[STORE_KEY_MAX + 1];
	size_t len;

	if (!prefix)
		return err_set(e, -EINVAL, "missing object prefix");
	len = strlen(prefix);
	if (len == 0)
		return 0;
	if (prefix[len - 1] != '/' || len - 1 > STORE_KEY_MAX)
		return err_set(e, -EINVAL, "bad object prefix '%s': it must be \"\" or end in '/'",
		               key_text(prefix).s);
	memcpy(dir, prefix, len - 1);
	dir[len - 1] = '\0';
	return store_key_check(dir, e);
}

static void *null_errno(int rc)
{
	errno = -rc;
	return NULL;
}

/* Writes smaller than this are gathered before they reach the backend and the hash. */
#define PUT_GATHER (256u << 10)

/* Record the first error of a put (its message is already in p->err). */
static int put_fail(struct store_put *p, int rc)
{
	if (!p->error)
		p->error = rc;
	return p->error;
}

struct store_put *store_put_begin(struct store *s, const char *key, struct err *e)
{
	struct store_put *p;
	int rc = store_key_check(key, e);

	if (rc)
		return null_errno(rc);
	p = s->ops->put_begin(s, key, e);
	if (!p)
		return NULL;
	p->store = s;
	memcpy(p->key, key, strlen(key) + 1);
	sbuf_init(&p->buf, PUT_GATHER);
	p->sha = EVP_MD_CTX_new();
	if (!p->sha || EVP_DigestInit_ex(p->sha, EVP_sha256(), NULL) != 1)
		put_fail(p, err_set(&p->err, -EIO, "writing %s: SHA-256 is not available", key));
	return p;
}

/* Hand n bytes to the backend and the hash. */
static int put_out(struct store_put *p, const void *buf, size_t n)
{
	int rc;

	if (p->error || !n)
		return p->error;
	rc = p->store->ops->put_write(p, buf, n, &p->err);
	if (rc)
		return put_fail(p, rc);
	if (EVP_DigestUpdate(p->sha, buf, n) != 1)
		return put_fail(p, err_set(&p->err, -EIO, "writing %s: SHA-256 failed", p->key));
	return 0;
}

static int put_flush(struct store_put *p)
{
	int rc = put_out(p, p->buf.data, p->buf.len);

	sbuf_reset(&p->buf);
	return rc;
}

int store_put_write(struct store_put *p, const void *buf, size_t n)
{
	if (p->error || !n)
		return p->error;
	p->size += n;
	if (p->buf.len + n <= PUT_GATHER) {
		sbuf_put(&p->buf, buf, n);
		return 0;
	}
	if (put_flush(p))
		return p->error;
	if (n >= PUT_GATHER)
		return put_out(p, buf, n);
	sbuf_put(&p->buf, buf, n);
	return 0;
}

int store_put_commit(struct store_put *p, char sha256_hex[65], uint64_t *size, struct err *e)
{
	const struct store_ops *ops = p->store->ops;
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	uint64_t written = p->size;
	int rc;

	put_flush(p);
	sbuf_release(&p->buf);
	if (!p->error && (EVP_DigestFinal_ex(p->sha, md, &mdlen) != 1 || mdlen != 32))
		put_fail(p, err_set(&p->err, -EIO, "writing %s: SHA-256 failed", p->key));
	EVP_MD_CTX_free(p->sha);
	p->sha = NULL;
	if (p->error) {
		rc = err_set(e, p->error, "%s", p->err.msg);
		ops->put_abort(p);
		return rc;
	}
	rc = ops->put_commit(p, e); /* frees p */
	if (rc)
		return rc;
	if (sha256_hex) {
		for (unsigned int i = 0; i < mdlen; i++)
			snprintf(sha256_hex + 2 * i, 3, "%02x", md[i]);
		sha256_hex[2 * mdlen] = '\0';
	}
	if (size)
		*size = written;
	return 0;
}

void store_put_abort(struct store_put *p)
{
	if (!p)
		return;
	EVP_MD_CTX_free(p->sha);
	p->sha = NULL;
	sbuf_release(&p->buf);
	p->store->ops->put_abort(p);
}

int store_put_bytes(struct store *s, const char *key, const void *buf, size_t n, struct err *e)
{
	struct store_put *p = store_put_begin(s, key, e);

	if (!p)
		return -errno;
	store_put_write(p, buf, n);
	return store_put_commit(p, NULL, NULL, e);
}

struct store_get *store_get_open(struct store *s, const char *key, uint64_t offset, uint64_t length,
                                 struct err *e)
{
	struct store_get *g;
	uint64_t avail;
	int rc = store_key_check(key, e);

	if (rc)
		return null_errno(rc);
	g = s->ops->get_open(s, key, offset, length, e);
	if (!g)
		return NULL;
	g->store = s;
	memcpy(g->key, key, strlen(key) + 1);
	if (offset > g->object_size) {
		rc = err_set(e, -ERANGE, "offset %llu is past the end of %s (%llu bytes)",
		             (unsigned long long)offset, key, (unsigned long long)g->object_size);
		s->ops->get_close(g);
		return null_errno(rc);
	}
	avail = g->object_size - offset;
	g->length = length < avail ? length : avail;
	g->remaining = g->length;
	return g;
}

uint64_t store_get_length(const struct store_get *g)
{
	return g->length;
}

uint64_t store_get_object_size(const struct store_get *g)
{
	return g->object_size;
}

ssize_t store_get_read(struct store_get *g, void *buf, size_t n)
{
	ssize_t r;

	if (!g->remaining || !n)
		return 0;
	if (n > g->remaining)
		n = (size_t)g->remaining;
	if (n > SSIZE_MAX)
		n = SSIZE_MAX;
	r = g->store->ops->get_read(g, buf, n);
	if (r == 0)
		return -EIO; /* the object ended before the range did: it was truncated in place */
	if (r > 0)
		g->remaining -= (uint64_t)r;
	return r;
}

void store_get_close(struct store_get *g)
{
	if (g)
		g->store->ops->get_close(g);
}

int store_get_all(struct store *s, const char *key, size_t max, char **buf, size_t *len, struct err *e)
{
	struct store_get *g = store_get_open(s, key, 0, UINT64_MAX, e);
	size_t size, got = 0;
	char *data;
	int rc = 0;

	*buf = NULL;
	*len = 0;
	if (!g)
		return -errno;
	if (store_get_length(g) > max) {
		rc = err_set(e, -EFBIG, "%s has %llu bytes, more than the %zu allowed", key,
		             (unsigned long long)store_get_length(g), max);
		store_get_close(g);
		return rc;
	}
	size = (size_t)store_get_length(g);
	data = xmalloc(size + 1);
	while (got < size) {
		ssize_t r = store_get_read(g, data + got, size - got);

		if (r < 0) {
			rc = err_set(e, (int)r, "reading %s: %s", key, strerror((int)-r));
			break;
		}
		got += (size_t)r;
	}
	store_get_close(g);
	if (rc) {
		free(data);
		return rc;
	}
	data[size] = '\0';
	*buf = data;
	*len = size;
	return 0;
}

int store_stat(struct store *s, const char *key, struct store_stat *st, struct err *e)
{
	int rc = store_key_check(key, e);

	return rc ? rc : s->ops->stat(s, key, st, e);
}

int store_open_file(struct store *s, const char *key, struct err *e)
{
	int rc = store_key_check(key, e);

	if (rc)
		return rc;
	if (!s->ops->open_file)
		return err_set(e, -ENOTSUP, "the %s store keeps no files", s->ops->name);
	return s->ops->open_file(s, key, e);
}

int store_delete(struct store *s, const char *key, struct err *e)
{
	int rc = store_key_check(key, e);

	return rc ? rc : s->ops->del(s, key, e);
}

int store_list(struct store *s, const char *prefix, store_list_fn fn, void *ctx, struct err *e)
{
	int rc = prefix_check(prefix, e);

	return rc ? rc : s->ops->list(s, prefix, fn, ctx, e);
}

int store_clean_temp(struct store *s, const char *prefix)
{
	int rc = prefix_check(prefix, NULL);

	return rc ? rc : s->ops->clean_temp(s, prefix);
}

void store_close(struct store *s)
{
	if (s)
		s->ops->close(s);
}

/* ---- the local-directory backend ---- */

#define TEMP_MARK     ".tmp."
#define TEMP_NAME_MAX 200 /* bytes of the key's last component kept in its temporary's name */

struct local_store {
	struct store base;
	int dirfd; /* the store directory, for the *at() calls */
	char *dir;
};

/* Written bytes are handed to the disk in runs this long, so the final fsync has little left. */
#define WRITE_OUT_BYTES (16u << 20)

struct local_put {
	struct store_put base;
	int fd;
	uint64_t written, started;    /* bytes written; those whose write-out has been started */
	char tmp[STORE_KEY_MAX + 64]; /* the temporary, relative to the store directory */
};

struct local_get {
	struct store_get base;
	int fd;
	uint64_t pos;
};

static struct local_store *local_of(struct store *s)
{
	return (struct local_store *)s;
}

/* Turn errno into -errno and the message "WHAT KEY in DIR: reason". */
static int local_fail(const struct local_store *ls, struct err *e, const char *what, const char *key)
{
	int code = errno ? errno : EIO;

	return err_set(e, -code, "%s %s in %s: %s", what, key, ls->dir, strerror(code));
}

static int no_such_object(struct err *e, const char *key)
{
	return err_set(e, -ENOENT, "no such object %s", key);
}

/* Create the directories leading to key (mode 0700); existing ones are fine. */
static int local_mkdirs(struct local_store *ls, const char *key, struct err *e)
{
	char path[STORE_KEY_MAX + 1];
	size_t len = strlen(key);

	memcpy(path, key, len + 1);
	for (size_t i = 1; i < len; i++) {
		if (path[i] != '/')
			continue;
		path[i] = '\0';
		if (mkdirat(ls->dirfd, path, 0700) && errno != EEXIST)
			return local_fail(ls, e, "creating the directory of", key);
		path[i] = '/';
	}
	return 0;
}

/* fsync the directory holding key, making a rename or unlink in it durable. */
static int local_sync_parent(struct local_store *ls, const char *key, struct err *e)
{
	const char *slash = strrchr(key, '/');
	char dir[STORE_KEY_MAX + 1];
	int fd, rc = 0;

	if (!slash)
		return fsync(ls->dirfd) ? local_fail(ls, e, "syncing the directory of", key) : 0;
	memcpy(dir, key, (size_t)(slash - key));
	dir[slash - key] = '\0';
	fd = openat(ls->dirfd, dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0 || fsync(fd))
		rc = local_fail(ls, e, "syncing the directory of", key);
	if (fd >= 0)
		close(fd);
	return rc;
}

static struct store_put *local_put_begin(struct store *s, const char *key, struct err *e)
{
	static unsigned long seq;
	struct local_store *ls = local_of(s);
	struct local_put *lp;
	const char *slash = strrchr(key, '/');
	const char *base = slash ? slash + 1 : key;
	int dirlen = slash ? (int)(slash - key + 1) : 0;
	int baselen = (int)strlen(base);
	int rc = local_mkdirs(ls, key, e);

	if (rc)
		return null_errno(rc);
	lp = xcalloc(1, sizeof(*lp));
	snprintf(lp->tmp, sizeof(lp->tmp), "%.*s.%.*s" TEMP_MARK "%d.%lu", dirlen, key,
	         baselen < TEMP_NAME_MAX ? baselen : TEMP_NAME_MAX, base, (int)getpid(),
	         __atomic_fetch_add(&seq, 1, __ATOMIC_RELAXED));
	lp->fd = openat(ls->dirfd, lp->tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (lp->fd < 0 || fchmod(lp->fd, 0600)) { /* 0600 whatever the umask */
		rc = local_fail(ls, e, "creating", key);
		if (lp->fd >= 0) {
			close(lp->fd);
			unlinkat(ls->dirfd, lp->tmp, 0);
		}
		free(lp);
		return null_errno(rc);
	}
	return &lp->base;
}

static int local_put_write(struct store_put *p, const void *buf, size_t n, struct err *e)
{
	struct local_put *lp = (struct local_put *)p;
	const char *b = buf;

	while (n) {
		ssize_t w = write(lp->fd, b, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			if (w == 0)
				errno = EIO;
			return local_fail(local_of(p->store), e, "writing", p->key);
		}
		b += w;
		n -= (size_t)w;
		lp->written += (uint64_t)w;
	}
	if (lp->written - lp->started >= WRITE_OUT_BYTES) {
		/* start writing back what is written (asynchronously); fsync at commit waits for it */
		sync_file_range(lp->fd, (off_t)lp->started, (off_t)(lp->written - lp->started),
		                SYNC_FILE_RANGE_WRITE);
		lp->started = lp->written;
	}
	return 0;
}

static int local_put_commit(struct store_put *p, struct err *e)
{
	struct local_put *lp = (struct local_put *)p;
	struct local_store *ls = local_of(p->store);
	int rc = 0;

	/* a full disk may only show here, when delayed allocation finds no room */
	if (fsync(lp->fd))
		rc = local_fail(ls, e, "writing", p->key);
	if (close(lp->fd) && !rc)
		rc = local_fail(ls, e, "writing", p->key);
	if (!rc && renameat(ls->dirfd, lp->tmp, ls->dirfd, p->key))
		rc = local_fail(ls, e, "publishing", p->key);
	if (rc)
		unlinkat(ls->dirfd, lp->tmp, 0);
	else
		rc = local_sync_parent(ls, p->key, e);
	free(lp);
	return rc;
}

static void local_put_abort(struct store_put *p)
{
	struct local_put *lp = (struct local_put *)p;

	close(lp->fd);
	unlinkat(local_of(p->store)->dirfd, lp->tmp, 0);
	free(lp);
}

static struct store_get *local_get_open(struct store *s, const char *key, uint64_t offset, uint64_t length,
                                        struct err *e)
{
	struct local_store *ls = local_of(s);
	struct local_get *lg;
	struct stat st;
	int fd, rc;

	(void)length;
	fd = openat(ls->dirfd, key, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0) {
		if (errno == ENOENT || errno == ENOTDIR || errno == ELOOP)
			return null_errno(no_such_object(e, key));
		return null_errno(local_fail(ls, e, "opening", key));
	}
	if (fstat(fd, &st))
		rc = local_fail(ls, e, "opening", key);
	else if (!S_ISREG(st.st_mode))
		rc = no_such_object(e, key);
	else
		rc = 0;
	if (rc) {
		close(fd);
		return null_errno(rc);
	}
	lg = xcalloc(1, sizeof(*lg));
	lg->fd = fd;
	lg->pos = offset;
	lg->base.object_size = (uint64_t)st.st_size;
	return &lg->base;
}

static ssize_t local_get_read(struct store_get *g, void *buf, size_t n)
{
	struct local_get *lg = (struct local_get *)g;
	ssize_t r;

	do {
		r = pread(lg->fd, buf, n, (off_t)lg->pos);
	} while (r < 0 && errno == EINTR);
	if (r < 0)
		return -errno;
	lg->pos += (uint64_t)r;
	return r;
}

static void local_get_close(struct store_get *g)
{
	struct local_get *lg = (struct local_get *)g;

	close(lg->fd);
	free(lg);
}

static int local_stat(struct store *s, const char *key, struct store_stat *out, struct err *e)
{
	struct local_store *ls = local_of(s);
	struct stat st;

	if (fstatat(ls->dirfd, key, &st, AT_SYMLINK_NOFOLLOW)) {
		if (errno == ENOENT || errno == ENOTDIR)
			return no_such_object(e, key);
		return local_fail(ls, e, "reading the size of", key);
	}
	if (!S_ISREG(st.st_mode))
		return no_such_object(e, key);
	out->size = (uint64_t)st.st_size;
	out->mtime_s = (int64_t)st.st_mtim.tv_sec;
	return 0;
}

static int local_open_file(struct store *s, const char *key, struct err *e)
{
	struct local_store *ls = local_of(s);
	int fd = openat(ls->dirfd, key, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);

	if (fd < 0)
		return errno == ENOENT || errno == ENOTDIR ? no_such_object(e, key)
		                                           : local_fail(ls, e, "opening", key);
	return fd;
}

static int local_delete(struct store *s, const char *key, struct err *e)
{
	struct local_store *ls = local_of(s);

	if (unlinkat(ls->dirfd, key, 0)) {
		if (errno == ENOENT || errno == ENOTDIR || errno == EISDIR)
			return no_such_object(e, key);
		return local_fail(ls, e, "deleting", key);
	}
	return 0;
}

/* Open the directory of prefix; NULL with errno ENOENT when it does not exist yet. */
static DIR *local_opendir(struct local_store *ls, const char *prefix)
{
	int fd = openat(ls->dirfd, *prefix ? prefix : ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	DIR *d;

	if (fd < 0)
		return NULL;
	d = fdopendir(fd);
	if (!d) {
		int saved = errno;

		close(fd);
		errno = saved;
	}
	return d;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int local_list(struct store *s, const char *prefix, store_list_fn fn, void *ctx, struct err *e)
{
	struct local_store *ls = local_of(s);
	size_t n = 0, cap = 0, plen = strlen(prefix);
	char **keys = NULL;
	struct dirent *de;
	int rc = 0;
	DIR *d = local_opendir(ls, prefix);

	if (!d)
		return errno == ENOENT ? 0 : local_fail(ls, e, "listing", prefix);
	/* gather first, call fn after: fn may change the directory */
	for (errno = 0; (de = readdir(d)); errno = 0) {
		size_t len = strlen(de->d_name);
		char *key;

		if (de->d_name[0] == '.' || plen + len > STORE_KEY_MAX)
			continue; /* temporaries (and "." and ".."), or no valid key */
		key = xmalloc(plen + len + 1);
		snprintf(key, plen + len + 1, "%s%s", prefix, de->d_name);
		if (store_key_check(key, NULL)) {
			free(key);
			continue;
		}
		if (n == cap) {
			cap = cap ? 2 * cap : 64;
			keys = xrealloc(keys, cap * sizeof(*keys));
		}
		keys[n++] = key;
	}
	if (errno)
		rc = local_fail(ls, e, "listing", prefix);
	closedir(d);
	if (n)
		qsort(keys, n, sizeof(*keys), cmp_str);
	for (size_t i = 0; i < n && !rc; i++) {
		struct store_stat st;
		int src = local_stat(s, keys[i], &st, NULL);

		if (src == -ENOENT)
			continue; /* gone meanwhile, or a directory */
		if (src)
			rc = local_stat(s, keys[i], &st, e);
		else
			rc = fn(ctx, keys[i], &st);
	}
	for (size_t i = 0; i < n; i++)
		free(keys[i]);
	free(keys);
	return rc;
}

static int local_clean_temp(struct store *s, const char *prefix)
{
	struct local_store *ls = local_of(s);
	struct dirent *de;
	int removed = 0;
	DIR *d = local_opendir(ls, prefix);

	if (!d)
		return errno == ENOENT ? 0 : -errno;
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.' && strstr(de->d_name, TEMP_MARK) &&
		    unlinkat(dirfd(d), de->d_name, 0) == 0)
			removed++;
	}
	closedir(d);
	return removed;
}

static void local_close(struct store *s)
{
	struct local_store *ls = local_of(s);

	close(ls->dirfd);
	free(ls->dir);
	free(ls);
}

static const struct store_ops local_ops = {
	.name = "local",
	.close = local_close,
	.put_begin = local_put_begin,
	.put_write = local_put_write,
	.put_commit = local_put_commit,
	.put_abort = local_put_abort,
	.get_open = local_get_open,
	.get_read = local_get_read,
	.get_close = local_get_close,
	.stat = local_stat,
	.del = local_delete,
	.list = local_list,
	.clean_temp = local_clean_temp,
	.open_file = local_open_file,
};

/* mkdir -p with mode 0700 for what is created. */
static int mkdir_parents(const char *dir, struct err *e)
{
	char *path = xstrdup(dir);
	size_t len = strlen(path);
	int rc = 0;

	for (size_t i = 1; i <= len && !rc; i++) {
		if (path[i] != '/' && path[i] != '\0')
			continue;
		path[i] = '\0';
		if (mkdir(path, 0700) && errno != EEXIST) {
			int code = errno;

			rc = err_set(e, -code, "cannot create the store directory %s: %s: %s", dir, path,
			             strerror(code));
		}
		if (i < len)
			path[i] = '/';
	}
	free(path);
	return rc;
}

struct store *store_local_open(const char *dir, struct err *e)
{
	struct local_store *ls;
	int fd, rc;

	if (!dir || !*dir)
		return null_errno(err_set(e, -EINVAL, "the store directory is not set"));
	rc = mkdir_parents(dir, e);
	if (rc)
		return null_errno(rc);
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0) {
		rc = -errno;
		return null_errno(
		        err_set(e, rc, "cannot open the store directory %s: %s", dir, strerror(-rc)));
	}
	ls = xcalloc(1, sizeof(*ls));
	ls->base.ops = &local_ops;
	ls->dirfd = fd;
	ls->dir = xstrdup(dir);
	return &ls->base;
}
