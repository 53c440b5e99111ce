/* test_store: the store interface on the local backend, and the capture catalog. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "../../src/store/store.h"
#include "../../src/store/store_int.h" /* to inject write failures behind the store's ops */

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define DAY 86400

/* Each test gets a fresh directory under /tmp; the store lives in DIR/store (created by the test). */
struct fixture {
	char dir[64];
	char root[96]; /* DIR/store */
	struct store *s;
};

static int setup(void **state)
{
	struct fixture *f = xcalloc(1, sizeof(*f));
	struct err e = { "" };

	snprintf(f->dir, sizeof(f->dir), "/tmp/sysrec-test-store-XXXXXX");
	if (!mkdtemp(f->dir)) {
		free(f);
		return -1;
	}
	snprintf(f->root, sizeof(f->root), "%s/store", f->dir);
	f->s = store_local_open(f->root, &e);
	if (!f->s) {
		fprintf(stderr, "%s\n", e.msg);
		free(f);
		return -1;
	}
	*state = f;
	return 0;
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	int rc;

	store_close(f->s);
	rc = nftw(f->dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	free(f);
	return rc;
}

/* ---- helpers ---- */

static void fill_pattern(unsigned char *buf, size_t n, unsigned seed)
{
	for (size_t i = 0; i < n; i++)
		buf[i] = (unsigned char)((i * 2654435761u + seed) >> 13);
}

static void sha256_hex(const void *buf, size_t n, char hex[65])
{
	unsigned char md[32];
	unsigned int len = 0;

	assert_int_equal(EVP_Digest(buf, n, md, &len, EVP_sha256(), NULL), 1);
	assert_int_equal(len, 32);
	for (unsigned int i = 0; i < len; i++)
		snprintf(hex + 2 * i, 3, "%02x", md[i]);
}

static void put(struct store *s, const char *key, const char *text)
{
	struct err e = { "" };

	assert_int_equal(store_put_bytes(s, key, text, strlen(text), &e), 0);
}

/* How many entries of directory DIR/store/sub start with '.' and are not "." or "..": the temporaries. */
static int count_hidden(const struct fixture *f, const char *sub)
{
	char path[256];
	struct dirent *de;
	int n = 0;
	DIR *d;

	snprintf(path, sizeof(path), "%s/%s", f->root, sub);
	d = opendir(path);
	if (!d)
		return 0;
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.' && strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0)
			n++;
	}
	closedir(d);
	return n;
}

static mode_t file_mode(const struct fixture *f, const char *rel)
{
	char path[512];
	struct stat st;

	snprintf(path, sizeof(path), "%s/%s", f->root, rel);
	assert_int_equal(stat(path, &st), 0);
	return st.st_mode & 07777;
}

struct keys {
	char k[32][STORE_KEY_MAX + 1];
	uint64_t size[32];
	size_t n;
	size_t stop_after; /* return 42 after this many; 0 = never */
};

static int collect(void *ctx, const char *key, const struct store_stat *st)
{
	struct keys *ks = ctx;

	assert_true(ks->n < 32);
	snprintf(ks->k[ks->n], sizeof(ks->k[0]), "%s", key);
	ks->size[ks->n] = st->size;
	ks->n++;
	return ks->stop_after && ks->n == ks->stop_after ? 42 : 0;
}

static void read_range(struct store *s, const char *key, uint64_t off, uint64_t len,
                       const unsigned char *want, size_t want_len)
{
	unsigned char buf[4096];
	struct err e = { "" };
	struct store_get *g = store_get_open(s, key, off, len, &e);
	size_t got = 0;
	ssize_t r;

	assert_non_null(g);
	assert_int_equal(store_get_length(g), want_len);
	while ((r = store_get_read(g, buf + got, 7)) > 0) /* odd chunks: the range end must hold */
		got += (size_t)r;
	assert_int_equal(r, 0);
	assert_int_equal(got, want_len);
	assert_memory_equal(buf, want, want_len);
	store_get_close(g);
}

/* ---- store ---- */

static void test_put_commit_get_back(void **state)
{
	struct fixture *f = *state;
	size_t n = 300000, len = 0;
	unsigned char *data = xmalloc(n);
	char want[65], got[65];
	uint64_t size = 0;
	struct err e = { "" };
	struct store_stat st;
	struct store_put *p;
	char *back = NULL;

	fill_pattern(data, n, 7);
	p = store_put_begin(f->s, "captures/a.scap", &e);
	assert_non_null(p);
	for (size_t off = 0; off < n; off += 4093) /* uneven writes */
		assert_int_equal(store_put_write(p, data + off, n - off < 4093 ? n - off : 4093), 0);
	assert_int_equal(store_put_commit(p, got, &size, &e), 0);
	sha256_hex(data, n, want);
	assert_string_equal(got, want);
	assert_int_equal(size, n);

	assert_int_equal(store_get_all(f->s, "captures/a.scap", n, &back, &len, &e), 0);
	assert_int_equal(len, n);
	assert_memory_equal(back, data, n);
	assert_int_equal(back[n], '\0');
	free(back);
	assert_int_equal(store_stat(f->s, "captures/a.scap", &st, &e), 0);
	assert_int_equal(st.size, n);
	assert_true(st.mtime_s > 0);
	assert_int_equal(file_mode(f, "captures/a.scap"), 0600);
	assert_int_equal(file_mode(f, "captures"), 0700);
	assert_int_equal(file_mode(f, ""), 0700);

	/* an empty object, and the SHA-256 of nothing */
	p = store_put_begin(f->s, "empty", &e);
	assert_non_null(p);
	assert_int_equal(store_put_commit(p, got, &size, &e), 0);
	assert_string_equal(got, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	assert_int_equal(size, 0);
	read_range(f->s, "empty", 0, UINT64_MAX, data, 0);
	free(data);
}

static void test_temp_hidden_then_gone_after_commit_and_abort(void **state)
{
	struct fixture *f = *state;
	struct keys ks = { .n = 0 };
	struct err e = { "" };
	struct store_stat st;
	struct store_put *p;
	char *back;
	size_t len;

	put(f->s, "captures/x.scap", "old");
	p = store_put_begin(f->s, "captures/x.scap", &e);
	assert_non_null(p);
	assert_int_equal(store_put_write(p, "new content", 11), 0);
	assert_int_equal(count_hidden(f, "captures"), 1); /* the temporary exists... */
	assert_int_equal(store_list(f->s, "captures/", collect, &ks, &e), 0);
	assert_int_equal(ks.n, 1); /* ...but only the old object is listed */
	assert_string_equal(ks.k[0], "captures/x.scap");
	assert_int_equal(store_stat(f->s, "captures/x.scap", &st, &e), 0);
	assert_int_equal(st.size, 3); /* and read */
	{
		DIR *d;
		struct dirent *de;
		char path[256];

		snprintf(path, sizeof(path), "%s/captures", f->root);
		d = opendir(path);
		assert_non_null(d);
		while ((de = readdir(d))) {
			if (strstr(de->d_name, ".tmp.")) {
				char rel[300];

				assert_memory_equal(de->d_name, ".x.scap.tmp.", 12);
				snprintf(rel, sizeof(rel), "captures/%s", de->d_name);
				assert_int_equal(file_mode(f, rel), 0600);
			}
		}
		closedir(d);
	}
	assert_int_equal(store_put_commit(p, NULL, NULL, &e), 0);
	assert_int_equal(count_hidden(f, "captures"), 0);
	assert_int_equal(store_get_all(f->s, "captures/x.scap", 100, &back, &len, &e), 0);
	assert_string_equal(back, "new content");
	free(back);

	p = store_put_begin(f->s, "captures/x.scap", &e);
	assert_non_null(p);
	assert_int_equal(store_put_write(p, "discarded", 9), 0);
	store_put_abort(p);
	assert_int_equal(count_hidden(f, "captures"), 0);
	assert_int_equal(store_get_all(f->s, "captures/x.scap", 100, &back, &len, &e), 0);
	assert_string_equal(back, "new content"); /* untouched by the abort */
	free(back);
	store_put_abort(NULL);
}

static void test_ranged_get(void **state)
{
	struct fixture *f = *state;
	unsigned char data[1000];
	struct err e = { "" };
	struct store_get *g;

	fill_pattern(data, sizeof(data), 3);
	assert_int_equal(store_put_bytes(f->s, "obj", data, sizeof(data), &e), 0);
	read_range(f->s, "obj", 0, 10, data, 10);                   /* start */
	read_range(f->s, "obj", 500, 100, data + 500, 100);         /* middle */
	read_range(f->s, "obj", 900, UINT64_MAX, data + 900, 100);  /* to the end */
	read_range(f->s, "obj", 990, 50, data + 990, 10);           /* a length past the end is clamped */
	read_range(f->s, "obj", 0, UINT64_MAX, data, sizeof(data)); /* all */
	read_range(f->s, "obj", 1000, UINT64_MAX, data, 0);         /* at the end: empty */
	g = store_get_open(f->s, "obj", 0, 10, &e);
	assert_int_equal(store_get_object_size(g), 1000);
	store_get_close(g);

	errno = 0;
	assert_null(store_get_open(f->s, "obj", 1001, 1, &e));
	assert_int_equal(errno, ERANGE);
	assert_non_null(strstr(e.msg, "obj"));
	assert_null(store_get_open(f->s, "obj", UINT64_MAX, UINT64_MAX, &e));
	assert_int_equal(errno, ERANGE);
}

static void test_missing_objects(void **state)
{
	struct fixture *f = *state;
	struct err e = { "" };
	struct store_stat st;
	char *buf = (char *)1;
	size_t len;

	errno = 0;
	assert_null(store_get_open(f->s, "captures/none.scap", 0, UINT64_MAX, &e));
	assert_int_equal(errno, ENOENT);
	assert_string_equal(e.msg, "no such object captures/none.scap");
	assert_int_equal(store_get_all(f->s, "captures/none.scap", 10, &buf, &len, &e), -ENOENT);
	assert_null(buf);
	assert_int_equal(store_stat(f->s, "captures/none.scap", &st, &e), -ENOENT);
	assert_string_equal(e.msg, "no such object captures/none.scap");
	assert_int_equal(store_delete(f->s, "captures/none.scap", &e), -ENOENT);
	assert_string_equal(e.msg, "no such object captures/none.scap");
	put(f->s, "dir/obj", "x");
	assert_int_equal(store_stat(f->s, "dir", &st, &e), -ENOENT); /* a directory is not an object */
}

static void test_get_all_refuses_large(void **state)
{
	struct fixture *f = *state;
	struct err e = { "" };
	char *buf;
	size_t len;

	put(f->s, "big", "0123456789");
	assert_int_equal(store_get_all(f->s, "big", 9, &buf, &len, &e), -EFBIG);
	assert_null(buf);
	assert_non_null(strstr(e.msg, "big"));
	assert_int_equal(store_get_all(f->s, "big", 10, &buf, &len, &e), 0);
	assert_int_equal(len, 10);
	free(buf);
}

static void test_bad_keys_refused(void **state)
{
	static const char *const bad[] = {
		"../x", "/abs",      "a//b",        "a/../b",     "..",  ".",     "",
		"a/",   "a/./b",     ".hidden",     "a/.x.tmp.1", "a b", "a\\b",  "x?y",
		"a:b",  "tab\there", "caf\xc3\xa9", "new\nline",  "*",   "~user",
	};
	struct fixture *f = *state;
	char long_key[STORE_KEY_MAX + 2];
	struct err e = { "" };
	struct store_stat st;
	struct store_get *g;
	char *buf;
	size_t len;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		e.msg[0] = '\0';
		assert_null(store_put_begin(f->s, bad[i], &e));
		assert_int_equal(errno, EINVAL);
		assert_non_null(strstr(e.msg, "object key"));
		assert_int_equal(store_put_bytes(f->s, bad[i], "x", 1, &e), -EINVAL);
		assert_null(store_get_open(f->s, bad[i], 0, 1, &e));
		assert_int_equal(store_get_all(f->s, bad[i], 10, &buf, &len, &e), -EINVAL);
		assert_int_equal(store_stat(f->s, bad[i], &st, &e), -EINVAL);
		assert_int_equal(store_delete(f->s, bad[i], &e), -EINVAL);
		assert_int_equal(store_key_check(bad[i], NULL), -EINVAL);
	}
	assert_int_equal(store_key_check(NULL, &e), -EINVAL);
	assert_int_equal(store_list(f->s, "a", collect, NULL, &e), -EINVAL); /* a prefix ends in '/' */
	assert_int_equal(store_list(f->s, "../", collect, NULL, &e), -EINVAL);
	assert_int_equal(store_clean_temp(f->s, "/x/"), -EINVAL);
	assert_int_equal(count_hidden(f, ""), 0);

	/* 255 bytes is the limit, 256 is over */
	memset(long_key, 'k', sizeof(long_key));
	long_key[0] = 'd';
	long_key[1] = '/';
	long_key[STORE_KEY_MAX] = '\0';
	put(f->s, long_key, "long");
	g = store_get_open(f->s, long_key, 0, UINT64_MAX, &e);
	assert_non_null(g);
	assert_int_equal(store_get_length(g), 4);
	store_get_close(g);
	long_key[STORE_KEY_MAX] = 'k';
	long_key[STORE_KEY_MAX + 1] = '\0';
	assert_int_equal(store_put_bytes(f->s, long_key, "x", 1, &e), -EINVAL);
	assert_non_null(strstr(e.msg, "255"));
	assert_int_equal(store_key_check("captures/20261124T101500Z-3f2a9c01.scap", &e), 0);
	assert_int_equal(store_key_check("A-Z_a.z/0-9", &e), 0);
}

static void test_list_and_delete(void **state)
{
	struct fixture *f = *state;
	struct keys ks = { .n = 0 };
	struct err e = { "" };
	char path[256];
	int fd;

	put(f->s, "a/3", "333");
	put(f->s, "a/1", "1");
	put(f->s, "a/2", "22");
	put(f->s, "a/sub/deep", "x"); /* one level only */
	put(f->s, "b/other", "x");
	put(f->s, "top", "x");
	snprintf(path, sizeof(path), "%s/a/bad name", f->root); /* not a key: not listed */
	fd = open(path, O_CREAT | O_WRONLY, 0600);
	assert_true(fd >= 0);
	close(fd);

	assert_int_equal(store_list(f->s, "a/", collect, &ks, &e), 0);
	assert_int_equal(ks.n, 3);
	assert_string_equal(ks.k[0], "a/1");
	assert_string_equal(ks.k[1], "a/2");
	assert_string_equal(ks.k[2], "a/3");
	assert_int_equal(ks.size[0], 1);
	assert_int_equal(ks.size[2], 3);

	memset(&ks, 0, sizeof(ks));
	assert_int_equal(store_list(f->s, "", collect, &ks, &e), 0);
	assert_int_equal(ks.n, 1);
	assert_string_equal(ks.k[0], "top");

	memset(&ks, 0, sizeof(ks));
	ks.stop_after = 2;
	assert_int_equal(store_list(f->s, "a/", collect, &ks, &e), 42); /* fn's value stops the walk */
	assert_int_equal(ks.n, 2);

	memset(&ks, 0, sizeof(ks));
	assert_int_equal(store_list(f->s, "nothing/yet/", collect, &ks, &e), 0);
	assert_int_equal(ks.n, 0);

	assert_int_equal(store_delete(f->s, "a/2", &e), 0);
	assert_int_equal(store_delete(f->s, "a/2", &e), -ENOENT);
	memset(&ks, 0, sizeof(ks));
	assert_int_equal(store_list(f->s, "a/", collect, &ks, &e), 0);
	assert_int_equal(ks.n, 2);
	assert_string_equal(ks.k[0], "a/1");
	assert_string_equal(ks.k[1], "a/3");
}

static void test_clean_temp_after_crash(void **state)
{
	static const char *const leftovers[] = { ".a.scap.tmp.999.0", ".b.json.tmp.12.7" };
	struct fixture *f = *state;
	struct keys ks = { .n = 0 };
	struct err e = { "" };
	char path[256], *text;
	size_t len;

	put(f->s, "captures/keep.json", "{}");
	for (size_t i = 0; i < 2; i++) {
		int fd;

		snprintf(path, sizeof(path), "%s/captures/%s", f->root, leftovers[i]);
		fd = open(path, O_CREAT | O_WRONLY, 0600);
		assert_true(fd >= 0);
		close(fd);
	}
	assert_int_equal(store_list(f->s, "captures/", collect, &ks, &e), 0);
	assert_int_equal(ks.n, 1);
	assert_int_equal(count_hidden(f, "captures"), 2);
	assert_int_equal(store_clean_temp(f->s, "captures/"), 2);
	assert_int_equal(count_hidden(f, "captures"), 0);
	assert_int_equal(store_clean_temp(f->s, "captures/"), 0);
	assert_int_equal(store_clean_temp(f->s, "missing/"), 0);
	assert_int_equal(store_get_all(f->s, "captures/keep.json", 10, &text, &len, &e), 0);
	assert_string_equal(text, "{}");
	free(text);
}

static void test_open_errors_name_the_path(void **state)
{
	struct fixture *f = *state;
	struct err e = { "" };
	char path[256];

	put(f->s, "file", "x");
	snprintf(path, sizeof(path), "%s/file/sub", f->root);
	errno = 0;
	assert_null(store_local_open(path, &e));
	assert_int_equal(errno, ENOTDIR);
	assert_non_null(strstr(e.msg, path));
	assert_non_null(strstr(e.msg, "Not a directory"));
	assert_null(store_local_open("", &e));
	store_close(NULL);
}

/*
 * A full disk: a 64 KiB tmpfs in a private mount namespace of a child process
 * (a user namespace when not root). Skipped where namespaces are not allowed.
 */
static int disk_full_child(const char *dir)
{
	static unsigned char chunk[64 * 1024];
	char sha[65] = "", path[256];
	struct err e = { "" };
	struct store_stat st;
	struct store_put *p;
	uint64_t size = 0;
	struct store *s;
	int first = 0, rc, fd;

	if (geteuid() != 0) {
		char map[64];

		if (unshare(CLONE_NEWUSER | CLONE_NEWNS))
			return 77;
		snprintf(map, sizeof(map), "0 %d 1", (int)geteuid());
		fd = open("/proc/self/uid_map", O_WRONLY);
		if (fd < 0 || write(fd, map, strlen(map)) < 0)
			return 77;
		close(fd);
	} else if (unshare(CLONE_NEWNS)) {
		return 77;
	}
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) ||
	    mount("tmpfs", dir, "tmpfs", 0, "size=64k,mode=0700"))
		return 77;
	s = store_local_open(dir, &e);
	if (!s)
		return 2;
	p = store_put_begin(s, "captures/big.scap", &e);
	if (!p)
		return 3;
	for (int i = 0; i < 16; i++) {
		rc = store_put_write(p, chunk, sizeof(chunk));
		if (rc && !first)
			first = rc;
		if (first && rc != first)
			return 4; /* the first error is kept */
	}
	if (first != -ENOSPC)
		return 5;
	rc = store_put_commit(p, sha, &size, &e);
	if (rc != -ENOSPC || !strstr(e.msg, "No space left on device") || !strstr(e.msg, "captures/big.scap"))
		return 6;
	if (store_stat(s, "captures/big.scap", &st, NULL) != -ENOENT || sha[0])
		return 7;
	snprintf(path, sizeof(path), "%s/captures", dir);
	{
		DIR *d = opendir(path);
		struct dirent *de;
		int left = 0;

		while (d && (de = readdir(d)))
			left += strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0;
		if (d)
			closedir(d);
		if (left)
			return 8; /* the temporary went with the failure */
	}
	store_close(s);
	return 0;
}

static void test_disk_full_is_reported(void **state)
{
	struct fixture *f = *state;
	char dir[128];
	int status;
	pid_t pid;

	snprintf(dir, sizeof(dir), "%s/full", f->dir);
	assert_int_equal(mkdir(dir, 0700), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0)
		_exit(disk_full_child(dir));
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	if (WEXITSTATUS(status) == 77)
		skip();
	assert_int_equal(WEXITSTATUS(status), 0);
}

/* ---- capture_meta ---- */

static void meta_init(struct capture_meta *m, const char *id, const char *name, const char *host,
                      const char *trigger, enum capture_status status, int64_t created)
{
	memset(m, 0, sizeof(*m));
	snprintf(m->id, sizeof(m->id), "%s", id);
	m->name = xstrdup(name);
	m->host = xstrdup(host);
	m->container = xstrdup("");
	m->trigger = xstrdup(trigger);
	m->filter = xstrdup("");
	m->storage = xstrdup("local");
	m->error = xstrdup("");
	m->incomplete = xstrdup("");
	m->note = xstrdup("");
	m->status = status;
	m->created = created;
	m->expires_at = created + 90 * DAY;
	m->start_ns = (uint64_t)(created - 3) * 1000000000u;
	m->duration = 5.0;
	m->before = 3.0;
	m->after = 2.0;
}

static void sample_meta(struct capture_meta *m)
{
	meta_init(m, "20261124T101500Z-3f2a9c01", "suspicious-curl", "web-1", "manual", CAPTURE_OK,
	          1795515300);
	free(m->filter);
	m->filter = xstrdup("proc.name=curl");
	free(m->container);
	m->container = xstrdup("3f2a9c01abcd");
	m->size = 1843200;
	snprintf(m->sha256, sizeof(m->sha256), "%s",
	         "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08");
	m->filter_proclist = true;
	m->kept = true;
	m->expires_at = 1803291300; /* created + 90 days */
	m->end_ns = 1795515302500000000ULL;
	m->lost_events = 1788694;
	free(m->incomplete);
	m->incomplete = xstrdup("1788694 events lost (ring buffer full 1788694)");
}

static void assert_meta_equal(const struct capture_meta *a, const struct capture_meta *b)
{
	assert_string_equal(a->id, b->id);
	assert_string_equal(a->name, b->name);
	assert_string_equal(a->host, b->host);
	assert_string_equal(a->container, b->container);
	assert_string_equal(a->trigger, b->trigger);
	assert_string_equal(a->filter, b->filter);
	assert_string_equal(a->storage, b->storage);
	assert_string_equal(a->error, b->error);
	assert_string_equal(a->note, b->note);
	assert_int_equal(a->filter_proclist, b->filter_proclist);
	assert_int_equal(a->kept, b->kept);
	assert_int_equal(a->start_ns, b->start_ns);
	assert_int_equal(a->end_ns, b->end_ns);
	assert_int_equal(a->lost_events, b->lost_events);
	assert_string_equal(a->incomplete, b->incomplete);
	assert_true(a->duration == b->duration && a->before == b->before && a->after == b->after);
	assert_int_equal(a->size, b->size);
	assert_string_equal(a->sha256, b->sha256);
	assert_int_equal(a->status, b->status);
	assert_int_equal(a->created, b->created);
	assert_int_equal(a->expires_at, b->expires_at);
}

static void test_meta_json_shape_and_round_trip(void **state)
{
	static const char *const order[] = { "id",
		                             "name",
		                             "host",
		                             "container",
		                             "trigger",
		                             "filter",
		                             "filter_proclist",
		                             "storage",
		                             "start",
		                             "start_ns",
		                             "duration",
		                             "before",
		                             "after",
		                             "end",
		                             "end_ns",
		                             "lost_events",
		                             "incomplete",
		                             "incomplete_reason",
		                             "size",
		                             "sha256",
		                             "status",
		                             "error",
		                             "note",
		                             "kept",
		                             "created",
		                             "expires_at" };
	struct capture_meta m, back;
	struct err e = { "" };
	json_error_t jerr;
	json_t *j, *j2;
	size_t i = 0;
	char *text;
	void *it;

	(void)state;
	sample_meta(&m);
	j = capture_meta_to_json(&m);
	for (it = json_object_iter(j); it; it = json_object_iter_next(j, it), i++) {
		assert_true(i < sizeof(order) / sizeof(order[0]));
		assert_string_equal(json_object_iter_key(it), order[i]);
	}
	assert_int_equal(i, sizeof(order) / sizeof(order[0]));
	assert_string_equal(json_string_value(json_object_get(j, "start")), "2026-11-24T10:14:57.000000000Z");
	assert_true(json_is_integer(json_object_get(j, "start_ns")));
	assert_int_equal(json_integer_value(json_object_get(j, "start_ns")), 1795515297000000000LL);
	assert_string_equal(json_string_value(json_object_get(j, "created")), "2026-11-24T10:15:00Z");
	assert_string_equal(json_string_value(json_object_get(j, "expires_at")), "2027-02-22T10:15:00Z");
	assert_true(json_is_real(json_object_get(j, "duration")));
	assert_true(json_is_real(json_object_get(j, "before")));
	assert_true(json_is_real(json_object_get(j, "after")));
	assert_true(json_is_true(json_object_get(j, "filter_proclist")));
	assert_string_equal(json_string_value(json_object_get(j, "status")), "ok");
	assert_string_equal(json_string_value(json_object_get(j, "end")), "2026-11-24T10:15:02.500000000Z");
	assert_true(json_is_true(json_object_get(j, "incomplete")));
	assert_int_equal(json_integer_value(json_object_get(j, "lost_events")), 1788694);

	/* through text and back */
	text = json_dumps(j, JSON_INDENT(2));
	json_decref(j);
	j = json_loads(text, 0, &jerr);
	free(text);
	assert_non_null(j);
	assert_int_equal(capture_meta_from_json(j, &back, &e), 0);
	assert_meta_equal(&back, &m);
	j2 = capture_meta_to_json(&back);
	assert_true(json_equal(j, j2));
	json_decref(j);
	json_decref(j2);
	capture_meta_free(&back);

	/* nanoseconds survive; "start" alone is read when start_ns is absent */
	m.start_ns = 1795515297123456789ULL;
	j = capture_meta_to_json(&m);
	assert_string_equal(json_string_value(json_object_get(j, "start")), "2026-11-24T10:14:57.123456789Z");
	json_object_del(j, "start_ns");
	assert_int_equal(capture_meta_from_json(j, &back, &e), 0);
	assert_int_equal(back.start_ns, 1795515297123456789ULL);
	capture_meta_free(&back);
	json_decref(j);
	capture_meta_free(&m);
}

static void test_meta_from_json_refusals_name_the_member(void **state)
{
	static const struct {
		const char *json;
		const char *member;
	} cases[] = {
		{ "{\"name\":\"n\",\"status\":\"ok\"}", "'id'" },
		{ "{\"id\":\"x\",\"status\":\"ok\"}", "'name'" },
		{ "{\"id\":\"x\",\"name\":\"n\"}", "'status'" },
		{ "{\"id\":7,\"name\":\"n\",\"status\":\"ok\"}", "'id'" },
		{ "{\"id\":\"a/b\",\"name\":\"n\",\"status\":\"ok\"}", "'id'" },
		{ "{\"id\":\"x\",\"name\":3,\"status\":\"ok\"}", "'name'" },
		{ "{\"id\":\"x\",\"name\":\"n\",\"status\":\"bogus\"}", "'status'" },
		{ "{\"id\":\"x\",\"name\":\"n\",\"status\":\"ok\",\"size\":\"big\"}", "'size'" },
		{ "{\"id\":\"x\",\"name\":\"n\",\"status\":\"ok\",\"size\":-1}", "'size'" },
		{ "{\"id\":\"x\",\"name\":\"n\",\"status\":\"ok\",\"kept\":\"yes\"}", "'kept'" },
		{ "{\"id\":\"x\",\"name\":\"n\",\"status\":\"ok\",\"duration\":\"5\"}", "'duration'" },
		{ "{\"id\":\"x\",\"name\":\"n\",\"status\":\"ok\",\"created\":\"yesterday\"}", "'created'" },
		{ "{\"id\":\"x\",\"name\":\"n\",\"status\":\"ok\",\"expires_at\":\"2026-02-30T00:00:00Z\"}",
		  "'expires_at'" },
		{ "{\"id\":\"x\",\"name\":\"n\",\"status\":\"ok\",\"start\":\"2026-11-24T10:14:57.Z\"}",
		  "'start'" },
		{ "{\"id\":\"x\",\"name\":\"n\",\"status\":\"ok\",\"sha256\":\"abc\"}", "'sha256'" },
		{ "{\"id\":\"x\",\"name\":\"n\",\"status\":\"ok\",\"host\":null}", "'host'" },
	};
	struct capture_meta m;
	struct err e = { "" };
	json_t *j;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		j = json_loads(cases[i].json, 0, NULL);
		assert_non_null(j);
		e.msg[0] = '\0';
		assert_int_equal(capture_meta_from_json(j, &m, &e), -EINVAL);
		if (!strstr(e.msg, cases[i].member))
			fail_msg("%s: '%s' does not name %s", cases[i].json, e.msg, cases[i].member);
		json_decref(j);
	}
	j = json_array();
	assert_int_equal(capture_meta_from_json(j, &m, &e), -EINVAL);
	json_decref(j);

	/* the minimum record: every other member empty */
	j = json_loads("{\"id\":\"x\",\"name\":\"n\",\"status\":\"storing\"}", 0, NULL);
	assert_int_equal(capture_meta_from_json(j, &m, &e), 0);
	assert_string_equal(m.host, "");
	assert_string_equal(m.error, "");
	assert_int_equal(m.status, CAPTURE_STORING);
	capture_meta_free(&m);
	json_decref(j);
}

static void test_status_names_and_ids(void **state)
{
	static const char *const names[] = { "recording", "storing", "ok", "error" };
	enum capture_status st = CAPTURE_ERROR;
	char id[64], id2[64], key[STORE_KEY_MAX + 1];

	(void)state;
	for (int i = 0; i < 4; i++) {
		assert_string_equal(capture_status_name((enum capture_status)i), names[i]);
		assert_int_equal(capture_status_parse(names[i], &st), 0);
		assert_int_equal(st, i);
	}
	assert_int_equal(capture_status_parse("OK", &st), -EINVAL);
	assert_int_equal(capture_status_parse(NULL, &st), -EINVAL);

	assert_int_equal(capture_id_new(id, 1795515300), 0);
	assert_int_equal(strlen(id), 25);
	assert_memory_equal(id, "20261124T101500Z-", 17);
	assert_int_equal(strspn(id + 17, "0123456789abcdef"), 8);
	assert_true(capture_id_valid(id));
	assert_int_equal(capture_id_new(id2, 1795515300), 0);
	assert_string_not_equal(id, id2); /* 1 in 4 billion to fail */
	assert_false(capture_id_valid(""));
	assert_false(capture_id_valid("a.b"));
	assert_false(capture_id_valid(NULL));
	assert_int_equal(capture_scap_key(key, "abc"), 0);
	assert_string_equal(key, "captures/abc.scap");
	assert_int_equal(capture_scap_key(key, "../x"), -EINVAL);
}

/* ---- catalog ---- */

static struct catalog *open_catalog(struct fixture *f)
{
	struct err e = { "" };
	struct catalog *c = catalog_open(f->s, &e);

	if (!c)
		fail_msg("catalog_open: %s", e.msg);
	return c;
}

static void put_meta(struct catalog *c, const struct capture_meta *m)
{
	struct err e = { "" };

	if (catalog_put(c, m, &e))
		fail_msg("catalog_put %s: %s", m->id, e.msg);
}

/* Put a capture from a few fields. */
static void add(struct catalog *c, const char *id, const char *name, const char *host, const char *trigger,
                enum capture_status st, int64_t created)
{
	struct capture_meta m;

	meta_init(&m, id, name, host, trigger, st, created);
	put_meta(c, &m);
	capture_meta_free(&m);
}

/* The ids of a query's result, joined by ' '; total in *total. */
static const char *query_ids(struct catalog *c, const struct catalog_query *q, size_t *total)
{
	static char buf[1024];
	struct capture_meta *list;
	struct err e = { "" };
	size_t n, len = 0;

	buf[0] = '\0';
	if (catalog_list(c, q, &list, &n, total, &e))
		fail_msg("catalog_list: %s", e.msg);
	for (size_t i = 0; i < n; i++)
		len += (size_t)snprintf(buf + len, sizeof(buf) - len, "%s%s", i ? " " : "", list[i].id);
	catalog_list_free(list, n);
	return buf;
}

static void test_catalog_put_get_reopen(void **state)
{
	struct fixture *f = *state;
	struct catalog *c = open_catalog(f);
	struct capture_meta m, got, raw;
	struct err e = { "" };
	char *text;
	size_t len;
	json_t *j;

	sample_meta(&m);
	put_meta(c, &m);
	assert_int_equal(catalog_get(c, m.id, &got), 0);
	assert_meta_equal(&got, &m);
	capture_meta_free(&got);
	assert_int_equal(catalog_get(c, "nope", &got), -ENOENT);

	/* the record on the store is the capture object, pretty-printed */
	assert_int_equal(
	        store_get_all(f->s, "captures/20261124T101500Z-3f2a9c01.json", 1 << 16, &text, &len, &e), 0);
	assert_non_null(strstr(text, "\n  \"name\": \"suspicious-curl\""));
	j = json_loads(text, 0, NULL);
	free(text);
	assert_int_equal(capture_meta_from_json(j, &raw, &e), 0);
	json_decref(j);
	assert_meta_equal(&raw, &m);
	capture_meta_free(&raw);

	/* replace, then rebuild from the store */
	free(m.name);
	m.name = xstrdup("renamed");
	put_meta(c, &m);
	add(c, "second", "two", "web-2", "manual", CAPTURE_ERROR, 1795515400);
	catalog_close(c);
	c = open_catalog(f);
	assert_int_equal(catalog_count(c, CAPTURE_OK), 1);
	assert_int_equal(catalog_count(c, CAPTURE_ERROR), 1);
	assert_int_equal(catalog_get(c, m.id, &got), 0);
	assert_meta_equal(&got, &m);
	capture_meta_free(&got);
	assert_int_equal(catalog_get(c, "second", &got), 0);
	assert_string_equal(got.host, "web-2");
	capture_meta_free(&got);

	/* a record that would not read back never reaches the store */
	m.start_ns = UINT64_MAX;
	assert_int_equal(catalog_put(c, &m, &e), -EINVAL);
	assert_non_null(strstr(e.msg, "'start_ns'"));
	assert_int_equal(catalog_get(c, m.id, &got), 0);
	assert_int_equal(got.start_ns, 1795515297000000000ULL); /* unchanged */
	capture_meta_free(&got);
	snprintf(m.id, sizeof(m.id), "../evil");
	assert_int_equal(catalog_put(c, &m, &e), -EINVAL);
	capture_meta_free(&m);
	catalog_close(c);
}

static void test_catalog_search(void **state)
{
	struct fixture *f = *state;
	struct catalog *c = open_catalog(f);
	struct catalog_query q = { .ascending = true, .sort = "name" };
	size_t total;

	add(c, "a", "Suspicious-Curl", "db-1", "manual", CAPTURE_OK, 100);
	add(c, "b", "nightly", "WEB-1", "manual", CAPTURE_OK, 200);
	add(c, "c", "other", "db-2", "Shell in Container", CAPTURE_ERROR, 300);
	q.search = "curl";
	assert_string_equal(query_ids(c, &q, &total), "a");
	q.search = "web-1";
	assert_string_equal(query_ids(c, &q, &total), "b");
	q.search = "SHELL IN";
	assert_string_equal(query_ids(c, &q, &total), "c");
	q.search = "DB-";
	assert_string_equal(query_ids(c, &q, &total), "c a"); /* by name: "other" < "Suspicious-Curl" */
	assert_int_equal(total, 2);
	q.search = "nothing";
	assert_string_equal(query_ids(c, &q, &total), "");
	assert_int_equal(total, 0);
	q.search = "";
	assert_string_equal(query_ids(c, &q, &total), "b c a");
	assert_int_equal(total, 3);
	q.search = NULL;
	assert_string_equal(query_ids(c, &q, &total), "b c a");
	catalog_close(c);
}

static void test_catalog_filters(void **state)
{
	static const int64_t now = 1800000000;
	struct fixture *f = *state;
	struct catalog *c = open_catalog(f);
	struct catalog_query q = { .ascending = true, .sort = "created", .now = now };
	struct capture_meta m;
	size_t total;

	static const struct {
		const char *id;
		int64_t left; /* expires_at - now */
		enum capture_status st;
		bool kept;
	} caps[] = {
		{ "ok-soon", 3 * DAY, CAPTURE_OK, false },     { "ok-later", 30 * DAY, CAPTURE_OK, false },
		{ "ok-edge", 7 * DAY, CAPTURE_OK, false },     { "ok-edge2", 7 * DAY + 1, CAPTURE_OK, false },
		{ "err-soon", DAY, CAPTURE_ERROR, false },     { "err-past", -DAY, CAPTURE_ERROR, false },
		{ "rec-soon", DAY, CAPTURE_RECORDING, false }, { "sto", 60 * DAY, CAPTURE_STORING, false },
		{ "ok-kept", DAY, CAPTURE_OK, true },
	};
	for (size_t i = 0; i < sizeof(caps) / sizeof(caps[0]); i++) {
		meta_init(&m, caps[i].id, caps[i].id, "h", "manual", caps[i].st, (int64_t)(1000 + i));
		m.expires_at = now + caps[i].left;
		m.kept = caps[i].kept;
		put_meta(c, &m);
		capture_meta_free(&m);
	}
	q.filter = CATALOG_ALL;
	query_ids(c, &q, &total);
	assert_int_equal(total, 9);
	q.filter = CATALOG_OK;
	assert_string_equal(query_ids(c, &q, &total), "ok-soon ok-later ok-edge ok-edge2 ok-kept");
	q.filter = CATALOG_ERROR;
	assert_string_equal(query_ids(c, &q, &total), "err-soon err-past");
	q.filter = CATALOG_RECORDING;
	assert_string_equal(query_ids(c, &q, &total), "rec-soon");
	q.filter = CATALOG_STORING;
	assert_string_equal(query_ids(c, &q, &total), "sto");
	q.filter = CATALOG_EXPIRING;
	assert_string_equal(query_ids(c, &q, &total), "ok-soon ok-edge err-soon err-past");
	assert_int_equal(total, 4);
	q.now = now - 3 * DAY; /* the clock is the caller's */
	assert_string_equal(query_ids(c, &q, &total), "ok-soon err-soon err-past");
	catalog_close(c);
}

static void test_catalog_sort_keys_both_orders(void **state)
{
	static const struct {
		const char *key;
		const char *asc;
	} sorts[] = {
		{ "created", "c1 c2 c3 c4" }, { NULL, "c1 c2 c3 c4" },     { "", "c1 c2 c3 c4" },
		{ "name", "c3 c1 c4 c2" },    { "start", "c4 c3 c2 c1" },  { "duration", "c2 c1 c3 c4" },
		{ "size", "c1 c4 c2 c3" },    { "status", "c3 c1 c4 c2" }, { "trigger", "c2 c4 c1 c3" },
		{ "host", "c4 c1 c3 c2" },
	};
	struct fixture *f = *state;
	struct catalog *c = open_catalog(f);
	/* id, name, host, trigger, status, created, start_ns, duration, size */
	static const struct {
		const char *id, *name, *host, *trigger;
		enum capture_status st;
		int64_t created;
		uint64_t start, size;
		double duration;
	} caps[] = {
		{ "c1", "Beta", "b-host", "manual", CAPTURE_OK, 10, 400, 5, 5.0 }, /* size ties c4: by id */
		{ "c2", "delta", "d-host", "a-rule", CAPTURE_STORING, 20, 300, 50, 1.0 },
		{ "c3", "alpha", "c-host", "z-rule", CAPTURE_ERROR, 30, 200, 70, 10.0 },
		{ "c4", "Charlie", "A-host", "b-rule", CAPTURE_RECORDING, 40, 100, 5,
		  10.0 }, /* duration ties c3 */
	};
	struct catalog_query q = { 0 };
	struct capture_meta m;
	struct err e = { "" };
	struct capture_meta *list;
	size_t n;

	for (size_t i = 0; i < sizeof(caps) / sizeof(caps[0]); i++) {
		meta_init(&m, caps[i].id, caps[i].name, caps[i].host, caps[i].trigger, caps[i].st,
		          caps[i].created);
		m.start_ns = caps[i].start;
		m.size = caps[i].size;
		m.duration = caps[i].duration;
		put_meta(c, &m);
		capture_meta_free(&m);
	}
	for (size_t i = 0; i < sizeof(sorts) / sizeof(sorts[0]); i++) {
		char desc[64];
		const char *got;
		size_t len = strlen(sorts[i].asc);

		q.sort = sorts[i].key;
		q.ascending = true;
		got = query_ids(c, &q, NULL);
		if (strcmp(got, sorts[i].asc) != 0)
			fail_msg("sort %s asc: got '%s', want '%s'", sorts[i].key, got, sorts[i].asc);
		/* descending is the exact reverse, ties included: "c1 c2 c3 c4" -> "c4 c3 c2 c1" */
		for (size_t k = 0; k < 4; k++) {
			memcpy(desc + 3 * k, sorts[i].asc + len - 2 - 3 * k, 2);
			desc[3 * k + 2] = k < 3 ? ' ' : '\0';
		}
		q.ascending = false;
		got = query_ids(c, &q, NULL);
		if (strcmp(got, desc) != 0)
			fail_msg("sort %s desc: got '%s', want '%s'", sorts[i].key, got, desc);
	}
	/* the default query: newest first */
	assert_string_equal(query_ids(c, NULL, NULL), "c4 c3 c2 c1");
	q.sort = "bogus";
	assert_int_equal(catalog_list(c, &q, &list, &n, NULL, &e), -EINVAL);
	assert_string_equal(e.msg, "unknown sort key 'bogus'");
	assert_null(list);
	catalog_close(c);
}

static void test_catalog_paging_with_total(void **state)
{
	struct fixture *f = *state;
	struct catalog *c = open_catalog(f);
	struct catalog_query q = { .sort = "created", .limit = 10 };
	char all[1024], pages[1024] = "";
	size_t total;

	for (int i = 0; i < 25; i++) {
		char id[16];

		snprintf(id, sizeof(id), "p%02d", i);
		add(c, id, "n", "h", "manual", i % 2 ? CAPTURE_OK : CAPTURE_ERROR,
		    1000 + i / 2); /* created ties */
	}
	q.limit = 0;
	snprintf(all, sizeof(all), "%s", query_ids(c, &q, &total));
	assert_int_equal(total, 25);
	assert_memory_equal(all, "p24 p23 p22", 11);
	q.limit = 10;
	for (q.offset = 0; q.offset < 30; q.offset += 10) {
		const char *page = query_ids(c, &q, &total);

		assert_int_equal(total, 25);
		if (*page)
			snprintf(pages + strlen(pages), sizeof(pages) - strlen(pages), "%s%s",
			         *pages ? " " : "", page);
	}
	assert_string_equal(pages, all); /* the pages are the whole list, once each, in order */
	q.offset = 20;
	assert_string_equal(query_ids(c, &q, &total), "p04 p03 p02 p01 p00");
	q.offset = 25;
	assert_string_equal(query_ids(c, &q, &total), "");
	q.offset = 1000;
	assert_string_equal(query_ids(c, &q, &total), "");
	assert_int_equal(total, 25);
	q.offset = 0;
	q.filter = CATALOG_OK;
	query_ids(c, &q, &total);
	assert_int_equal(total, 12); /* total counts what the filter selects */
	catalog_close(c);
}

static void test_catalog_interrupted_capture_becomes_error(void **state)
{
	struct fixture *f = *state;
	struct catalog *c = open_catalog(f);
	struct capture_meta got;
	struct err e = { "" };
	char *text;
	size_t len;
	json_t *j;

	add(c, "rec", "r", "h", "manual", CAPTURE_RECORDING, 100);
	add(c, "sto", "s", "h", "manual", CAPTURE_STORING, 100);
	add(c, "fine", "f", "h", "manual", CAPTURE_OK, 100);
	catalog_close(c); /* the agent dies */
	c = open_catalog(f);
	assert_int_equal(catalog_count(c, CAPTURE_RECORDING), 0);
	assert_int_equal(catalog_count(c, CAPTURE_STORING), 0);
	assert_int_equal(catalog_count(c, CAPTURE_ERROR), 2);
	assert_int_equal(catalog_get(c, "rec", &got), 0);
	assert_int_equal(got.status, CAPTURE_ERROR);
	assert_string_equal(got.error, "the agent stopped before the capture was complete");
	capture_meta_free(&got);
	assert_int_equal(catalog_get(c, "fine", &got), 0);
	assert_int_equal(got.status, CAPTURE_OK);
	assert_string_equal(got.error, "");
	capture_meta_free(&got);
	/* and the record was rewritten */
	assert_int_equal(store_get_all(f->s, "captures/sto.json", 1 << 16, &text, &len, &e), 0);
	j = json_loads(text, 0, NULL);
	free(text);
	assert_string_equal(json_string_value(json_object_get(j, "status")), "error");
	assert_string_equal(json_string_value(json_object_get(j, "error")),
	                    "the agent stopped before the capture was complete");
	json_decref(j);
	catalog_close(c);
}

static void test_catalog_corrupt_record_skipped_not_deleted(void **state)
{
	struct fixture *f = *state;
	struct catalog *c = open_catalog(f);
	char log[160], *text;
	struct err e = { "" };
	struct store_stat st;
	struct keys ks = { .n = 0 };
	struct capture_meta m;
	int saved, fd;
	size_t len;
	FILE *fp;

	add(c, "good", "g", "h", "manual", CAPTURE_OK, 100);
	catalog_close(c);
	put(f->s, "captures/broken.json", "{\"id\": \"broken\", \"name\": ");
	put(f->s, "captures/noname.json", "{\"id\": \"noname\", \"status\": \"ok\"}");
	put(f->s, "captures/other.json",
	    "{\"id\": \"good\", \"name\": \"x\", \"status\": \"ok\"}"); /* wrong id */
	put(f->s, "captures/orphan.scap", "scap bytes");

	/* the warnings go to stderr: catch them */
	snprintf(log, sizeof(log), "%s/stderr.txt", f->dir);
	fflush(stderr);
	saved = dup(2);
	fd = open(log, O_CREAT | O_WRONLY | O_TRUNC, 0600);
	assert_true(saved >= 0 && fd >= 0);
	dup2(fd, 2);
	close(fd);
	c = catalog_open(f->s, &e);
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	assert_non_null(c);

	assert_int_equal(catalog_count(c, CAPTURE_OK), 1);
	assert_int_equal(catalog_get(c, "good", &m), 0);
	capture_meta_free(&m);
	fp = fopen(log, "r");
	assert_non_null(fp);
	text = xcalloc(1, 4096);
	len = fread(text, 1, 4095, fp);
	fclose(fp);
	assert_true(len > 0);
	assert_non_null(strstr(text, "captures/broken.json"));
	assert_non_null(strstr(text, "captures/noname.json"));
	assert_non_null(strstr(text, "'name'"));
	assert_non_null(strstr(text, "captures/other.json"));
	assert_null(strstr(text, "orphan"));
	free(text);

	/* nothing was deleted */
	assert_int_equal(store_stat(f->s, "captures/broken.json", &st, &e), 0);
	assert_int_equal(store_stat(f->s, "captures/noname.json", &st, &e), 0);
	assert_int_equal(store_stat(f->s, "captures/other.json", &st, &e), 0);
	assert_int_equal(store_stat(f->s, "captures/orphan.scap", &st, &e), 0);
	assert_int_equal(store_list(f->s, "captures/", collect, &ks, &e), 0);
	assert_int_equal(ks.n, 5);
	catalog_close(c);
}

static void test_catalog_expire_only_old_complete(void **state)
{
	static const int64_t now = 1800000000;
	static const struct {
		const char *id;
		int64_t expires;
		enum capture_status st;
		bool kept, gone;
	} caps[] = {
		{ "old-ok", now - DAY, CAPTURE_OK, false, true },
		{ "old-err", now, CAPTURE_ERROR, false, true },
		{ "old-rec", now - DAY, CAPTURE_RECORDING, false, false },
		{ "old-sto", now - DAY, CAPTURE_STORING, false, false },
		{ "old-kept", now - DAY, CAPTURE_OK, true, false },
		{ "new-ok", now + 1, CAPTURE_OK, false, false },
	};
	struct fixture *f = *state;
	struct catalog *c = open_catalog(f);
	struct capture_meta m;
	struct err e = { "" };
	struct store_stat st;
	char key[STORE_KEY_MAX + 1];

	for (size_t i = 0; i < sizeof(caps) / sizeof(caps[0]); i++) {
		meta_init(&m, caps[i].id, caps[i].id, "h", "manual", caps[i].st, 100);
		m.expires_at = caps[i].expires;
		m.kept = caps[i].kept;
		put_meta(c, &m);
		capture_meta_free(&m);
		assert_int_equal(capture_scap_key(key, caps[i].id), 0);
		put(f->s, key, "scap");
	}
	assert_int_equal(catalog_expire(c, now, &e), 2);
	for (size_t i = 0; i < sizeof(caps) / sizeof(caps[0]); i++) {
		char json_key[STORE_KEY_MAX + 1];
		int want = caps[i].gone ? -ENOENT : 0;

		capture_scap_key(key, caps[i].id);
		snprintf(json_key, sizeof(json_key), "captures/%s.json", caps[i].id);
		assert_int_equal(catalog_get(c, caps[i].id, &m), want);
		if (!want)
			capture_meta_free(&m);
		assert_int_equal(store_stat(f->s, key, &st, NULL), want);
		assert_int_equal(store_stat(f->s, json_key, &st, NULL), want);
	}
	assert_int_equal(catalog_expire(c, now, &e), 0);
	catalog_close(c);
}

static void test_catalog_delete_removes_both(void **state)
{
	struct fixture *f = *state;
	struct catalog *c = open_catalog(f);
	struct capture_meta m;
	struct err e = { "" };
	struct store_stat st;

	add(c, "d1", "n", "h", "manual", CAPTURE_OK, 100);
	add(c, "d2", "n", "h", "manual", CAPTURE_ERROR, 100); /* no .scap: an error before any byte */
	put(f->s, "captures/d1.scap", "bytes");
	assert_int_equal(catalog_delete(c, "d1", &e), 0);
	assert_int_equal(store_stat(f->s, "captures/d1.scap", &st, NULL), -ENOENT);
	assert_int_equal(store_stat(f->s, "captures/d1.json", &st, NULL), -ENOENT);
	assert_int_equal(catalog_get(c, "d1", &m), -ENOENT);
	assert_int_equal(catalog_delete(c, "d1", &e), -ENOENT);
	assert_non_null(strstr(e.msg, "d1"));
	assert_int_equal(catalog_delete(c, "d2", &e), 0);
	assert_int_equal(catalog_count(c, CAPTURE_OK) + catalog_count(c, CAPTURE_ERROR), 0);
	catalog_close(c);
	c = open_catalog(f); /* and they stay gone */
	assert_int_equal(catalog_get(c, "d2", &m), -ENOENT);
	catalog_close(c);
}

struct worker {
	struct catalog *c;
	int n;
	char prefix;
};

static void *worker_run(void *arg)
{
	struct worker *w = arg;

	for (int i = 0; i < w->n; i++) {
		struct catalog_query q = { .search = "n" };
		struct capture_meta *list;
		struct capture_meta m;
		size_t n, total;
		char id[16];

		snprintf(id, sizeof(id), "%c%03d", w->prefix, i);
		meta_init(&m, id, "n", "h", "manual", CAPTURE_OK, 1000 + i);
		if (catalog_put(w->c, &m, NULL) || catalog_list(w->c, &q, &list, &n, &total, NULL))
			abort();
		catalog_list_free(list, n);
		capture_meta_free(&m);
	}
	return NULL;
}

static void test_catalog_shared_by_threads(void **state)
{
	struct fixture *f = *state;
	struct catalog *c = open_catalog(f);
	struct worker w[4];
	pthread_t t[4];

	for (int i = 0; i < 4; i++) {
		w[i] = (struct worker){ c, 15, (char)('a' + i) };
		assert_int_equal(pthread_create(&t[i], NULL, worker_run, &w[i]), 0);
	}
	for (int i = 0; i < 4; i++)
		pthread_join(t[i], NULL);
	assert_int_equal(catalog_count(c, CAPTURE_OK), 60);
	catalog_close(c);
	c = open_catalog(f);
	assert_int_equal(catalog_count(c, CAPTURE_OK), 60);
	catalog_close(c);
}

/* ---- a store whose writes fail on demand (no inodes, a full disk) ---- */

static const struct store_ops *real_ops;
static struct store_ops faulty_ops;
static int fail_puts; /* errno every put_begin fails with; 0: none */

static struct store_put *faulty_put_begin(struct store *s, const char *key, struct err *e)
{
	if (fail_puts) {
		err_set(e, -fail_puts, "creating %s: %s", key, strerror(fail_puts));
		errno = fail_puts;
		return NULL;
	}
	return real_ops->put_begin(s, key, e);
}

static void inject_put_failures(struct store *s, int code)
{
	if (s->ops != &faulty_ops) {
		real_ops = s->ops;
		faulty_ops = *real_ops;
		faulty_ops.put_begin = faulty_put_begin;
		s->ops = &faulty_ops;
	}
	fail_puts = code;
}

/* The stored record's member name, as text ("" when absent). */
static void stored_member(struct fixture *f, const char *id, const char *name, char *out, size_t size)
{
	char key[STORE_KEY_MAX + 1], *text;
	struct err e = { "" };
	const json_t *v;
	size_t len;
	json_t *j;

	snprintf(key, sizeof(key), "captures/%s.json", id);
	if (store_get_all(f->s, key, 1 << 16, &text, &len, &e))
		fail_msg("%s", e.msg);
	j = json_loads(text, 0, NULL);
	free(text);
	assert_non_null(j);
	v = json_object_get(j, name);
	if (json_is_string(v))
		snprintf(out, size, "%s", json_string_value(v));
	else if (json_is_integer(v))
		snprintf(out, size, "%lld", (long long)json_integer_value(v));
	else
		out[0] = '\0';
	json_decref(j);
}

/*
 * The final record write of a capture fails (no inodes): the catalog still
 * answers with the final state, counts the record unsaved, and writes it once
 * the store takes writes again; a delete drops an unsaved record.
 */
static void test_catalog_failed_write_kept_in_memory_then_flushed(void **state)
{
	struct fixture *f = *state;
	struct catalog *c = open_catalog(f);
	struct catalog_stats st;
	struct capture_meta m, got;
	struct err e = { "" };
	char val[128];

	meta_init(&m, "cap", "n", "h", "manual", CAPTURE_RECORDING, 100);
	put_meta(c, &m);
	inject_put_failures(f->s, ENOSPC);
	m.status = CAPTURE_OK;
	m.size = 19000000;
	memset(m.sha256, 'a', 64);
	assert_int_equal(catalog_put(c, &m, &e), -ENOSPC);
	assert_non_null(strstr(e.msg, "captures/cap.json"));
	assert_int_equal(catalog_get(c, "cap", &got), 0);
	assert_int_equal(got.status, CAPTURE_OK); /* reachable: download, keep, delete see ok */
	assert_int_equal(got.size, 19000000);
	capture_meta_free(&got);
	catalog_stats(c, &st);
	assert_int_equal(st.unsaved, 1);
	assert_int_equal(st.write_failures, 1);
	stored_member(f, "cap", "status", val, sizeof(val));
	assert_string_equal(val, "recording"); /* the old record, whole */

	/* still failing: the retry says so and counts */
	assert_int_equal(catalog_flush(c, &e), 1);
	assert_non_null(strstr(e.msg, "No space left on device"));
	catalog_stats(c, &st);
	assert_int_equal(st.write_failures, 2);

	/* a later change while unsaved: the flush writes the latest state */
	m.kept = true;
	assert_int_equal(catalog_put(c, &m, &e), -ENOSPC);
	inject_put_failures(f->s, 0);
	assert_int_equal(catalog_flush(c, &e), 0);
	catalog_stats(c, &st);
	assert_int_equal(st.unsaved, 0);
	assert_int_equal(st.write_failures, 3);
	stored_member(f, "cap", "status", val, sizeof(val));
	assert_string_equal(val, "ok");
	stored_member(f, "cap", "size", val, sizeof(val));
	assert_string_equal(val, "19000000");
	assert_int_equal(catalog_flush(c, &e), 0);

	/* an unsaved record that is deleted leaves nothing to write */
	inject_put_failures(f->s, ENOSPC);
	m.kept = false;
	assert_int_equal(catalog_put(c, &m, &e), -ENOSPC);
	assert_int_equal(catalog_delete(c, "cap", &e), 0);
	catalog_stats(c, &st);
	assert_int_equal(st.unsaved, 0);
	assert_int_equal(catalog_flush(c, &e), 0);

	/* a refused record changes nothing, and is no write failure */
	m.start_ns = UINT64_MAX;
	assert_int_equal(catalog_put(c, &m, &e), -EINVAL);
	assert_int_equal(catalog_get(c, "cap", &got), -ENOENT);
	catalog_stats(c, &st);
	assert_int_equal(st.write_failures, 4);
	inject_put_failures(f->s, 0);
	capture_meta_free(&m);
	catalog_close(c);
}

/* A .scap of whole blocks: a section header, then n event-sized blocks of 16 bytes. */
static size_t make_scap(unsigned char *buf, size_t nblocks)
{
	static const uint32_t shb[7] = { 0x0A0D0D0Au, 28, 0x1A2B3C4Du, 1, 0xffffffffu, 0xffffffffu, 28 };
	size_t off = sizeof(shb);

	memcpy(buf, shb, sizeof(shb));
	for (size_t i = 0; i < nblocks; i++) {
		const uint32_t blk[4] = { 0x216, 16, (uint32_t)i, 16 };

		memcpy(buf + off, blk, sizeof(blk));
		off += sizeof(blk);
	}
	return off;
}

/*
 * The agent stopped after a capture's file was committed but before its
 * record said so: at the next open, a .scap that reads through makes the
 * capture ok (size and sha256 of the file, a note that it was recovered);
 * one cut inside a block, a foreign file or none at all make it an error.
 * When the store refuses the rewrite, the catalog still holds the result.
 */
static void test_catalog_complete_scap_recovered_at_open(void **state)
{
	struct fixture *f = *state;
	struct catalog *c = open_catalog(f);
	static unsigned char scap[28 + 16 * 100000];
	size_t len = make_scap(scap, 100000);
	struct capture_meta got;
	struct catalog_stats st;
	struct err e = { "" };
	char sha[65], val[256];

	add(c, "whole", "w", "h", "manual", CAPTURE_RECORDING, 100);
	add(c, "stored", "s", "h", "manual", CAPTURE_STORING, 100);
	add(c, "cut", "c", "h", "manual", CAPTURE_STORING, 100);
	add(c, "foreign", "g", "h", "manual", CAPTURE_RECORDING, 100);
	add(c, "none", "n", "h", "manual", CAPTURE_RECORDING, 100);
	catalog_close(c); /* the agent dies */
	assert_int_equal(store_put_bytes(f->s, "captures/whole.scap", scap, len, &e), 0);
	assert_int_equal(store_put_bytes(f->s, "captures/stored.scap", scap, 28 + 16, &e), 0);
	assert_int_equal(store_put_bytes(f->s, "captures/cut.scap", scap, len - 6, &e), 0);
	put(f->s, "captures/foreign.scap", "this is not a capture at all....");
	sha256_hex(scap, len, sha);

	inject_put_failures(f->s, ENOSPC); /* and the rewrite fails at first */
	c = open_catalog(f);
	catalog_stats(c, &st);
	assert_int_equal(st.unsaved, 5);
	assert_int_equal(catalog_get(c, "whole", &got), 0);
	assert_int_equal(got.status, CAPTURE_OK);
	assert_int_equal(got.size, len);
	assert_string_equal(got.sha256, sha);
	assert_string_equal(got.error, "");
	assert_non_null(strstr(got.note, "recovered at restart"));
	assert_non_null(strstr(got.incomplete, "recovered at restart"));
	capture_meta_free(&got);
	assert_int_equal(catalog_get(c, "stored", &got), 0);
	assert_int_equal(got.status, CAPTURE_OK);
	assert_int_equal(got.size, 28 + 16);
	capture_meta_free(&got);
	for (const char *const *id = (const char *const[]){ "cut", "foreign", "none", NULL }; *id; id++) {
		assert_int_equal(catalog_get(c, *id, &got), 0);
		assert_int_equal(got.status, CAPTURE_ERROR);
		assert_string_equal(got.error, "the agent stopped before the capture was complete");
		assert_string_equal(got.note, "");
		capture_meta_free(&got);
	}
	stored_member(f, "whole", "status", val, sizeof(val));
	assert_string_equal(val, "recording");
	inject_put_failures(f->s, 0);
	assert_int_equal(catalog_flush(c, &e), 0);
	stored_member(f, "whole", "status", val, sizeof(val));
	assert_string_equal(val, "ok");
	stored_member(f, "whole", "sha256", val, sizeof(val));
	assert_string_equal(val, sha);
	stored_member(f, "whole", "note", val, sizeof(val));
	assert_non_null(strstr(val, "recovered at restart"));
	catalog_close(c);

	/* and it stays ok, no longer recovered again */
	c = open_catalog(f);
	assert_int_equal(catalog_count(c, CAPTURE_OK), 2);
	assert_int_equal(catalog_count(c, CAPTURE_ERROR), 3);
	catalog_stats(c, &st);
	assert_int_equal(st.unsaved + st.write_failures, 0);
	catalog_close(c);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_put_commit_get_back),
		T(test_temp_hidden_then_gone_after_commit_and_abort),
		T(test_ranged_get),
		T(test_missing_objects),
		T(test_get_all_refuses_large),
		T(test_bad_keys_refused),
		T(test_list_and_delete),
		T(test_clean_temp_after_crash),
		T(test_open_errors_name_the_path),
		T(test_disk_full_is_reported),
		cmocka_unit_test(test_meta_json_shape_and_round_trip),
		cmocka_unit_test(test_meta_from_json_refusals_name_the_member),
		cmocka_unit_test(test_status_names_and_ids),
		T(test_catalog_put_get_reopen),
		T(test_catalog_search),
		T(test_catalog_filters),
		T(test_catalog_sort_keys_both_orders),
		T(test_catalog_paging_with_total),
		T(test_catalog_interrupted_capture_becomes_error),
		T(test_catalog_corrupt_record_skipped_not_deleted),
		T(test_catalog_expire_only_old_complete),
		T(test_catalog_delete_removes_both),
		T(test_catalog_shared_by_threads),
		T(test_catalog_failed_write_kept_in_memory_then_flushed),
		T(test_catalog_complete_scap_recovered_at_open),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
