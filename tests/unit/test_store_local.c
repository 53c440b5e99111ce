/* test_store_local: the store on the local backend: objects, ranges, keys, lists, temporaries, errors. */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <fcntl.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <unistd.h>

#include "store_fixtures.h"

static void fill_pattern(unsigned char *buf, size_t n, unsigned seed)
{
	for (size_t i = 0; i < n; i++)
		buf[i] = (unsigned char)((i * 2654435761u + seed) >> 13);
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

/* store_open_file: the object's own file, read-only; a missing one or a bad key refused like the rest. */
static void test_open_file(void **state)
{
	struct fixture *f = *state;
	struct err e = { "" };
	char buf[16] = "";
	int fd;

	put(f->s, "captures/a.scap", "scap bytes");
	fd = store_open_file(f->s, "captures/a.scap", &e);
	assert_true(fd >= 0);
	assert_int_equal(read(fd, buf, sizeof(buf) - 1), 10);
	assert_string_equal(buf, "scap bytes");
	assert_int_equal(write(fd, "x", 1), -1); /* read-only */
	close(fd);
	assert_int_equal(store_open_file(f->s, "captures/none.scap", &e), -ENOENT);
	assert_string_equal(e.msg, "no such object captures/none.scap");
	assert_int_equal(store_open_file(f->s, "../etc/passwd", &e), -EINVAL);
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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_put_commit_get_back, setup, teardown),
		cmocka_unit_test_setup_teardown(test_temp_hidden_then_gone_after_commit_and_abort, setup,
		                                teardown),
		cmocka_unit_test_setup_teardown(test_ranged_get, setup, teardown),
		cmocka_unit_test_setup_teardown(test_missing_objects, setup, teardown),
		cmocka_unit_test_setup_teardown(test_open_file, setup, teardown),
		cmocka_unit_test_setup_teardown(test_get_all_refuses_large, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_keys_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_list_and_delete, setup, teardown),
		cmocka_unit_test_setup_teardown(test_clean_temp_after_crash, setup, teardown),
		cmocka_unit_test_setup_teardown(test_open_errors_name_the_path, setup, teardown),
		cmocka_unit_test_setup_teardown(test_disk_full_is_reported, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
