/* test_artifacts: the artifact directory: written files, blobs once per content, memory, limits, manifest. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <string.h>
#include <unistd.h>

#include "../../src/artifacts/artifacts.h"
#include "../../src/event/event.h"
#include "../../src/scap/scap.h"
#include "tmpdir_fixture.h"

static const struct art_meta meta = {
	.pid = 42, .tid = 43, .comm = "writer", .container = "", .ts = 1000, .ev = ART_EV_AT
};

/* The file rel of out/ read whole into buf (at most max); its length, or -1. */
static ssize_t read_out(const struct art_dir *d, const char *rel, char *buf, size_t max)
{
	char path[512];
	int fd;
	ssize_t n;

	snprintf(path, sizeof(path), "%s/%s", art_out_dir(d), rel);
	fd = open(path, O_RDONLY);
	if (fd < 0)
		return -1;
	n = read(fd, buf, max);
	close(fd);
	return n;
}

static json_t *manifest(const char *dir)
{
	char path[512];

	snprintf(path, sizeof(path), "%s/out/manifest.json", dir);
	return json_load_file(path, 0, NULL);
}

static json_t *entry_of(json_t *m, const char *kind, size_t nth)
{
	json_t *arr = json_object_get(m, "artifacts"), *v;
	size_t i;

	json_array_foreach(arr, i, v)
	{
		if (!strcmp(json_string_value(json_object_get(v, "kind")), kind) && nth-- == 0)
			return v;
	}
	return NULL;
}

static void sub(char *out, size_t n, const char *name)
{
	tmp_path(out, n, name);
	mkdir(out, 0755);
}

/* Writes at offsets, one leaving a hole, and a rename: one artifact with both paths, the bytes where written.
 */
static void test_written_file_offsets_and_paths(void **state)
{
	char dir[256], buf[64];
	struct err e = { { 0 } };
	struct art_dir *d;
	json_t *m, *en;
	const char *rel;

	(void)state;
	sub(dir, sizeof(dir), "w");
	d = art_open(dir, false, NULL, &e);
	assert_non_null(d);
	assert_int_equal(art_file_write(d, 5, 99, "/tmp/x/a.txt", 0, "hello", 5, &meta), 0);
	assert_int_equal(art_file_write(d, 5, 99, "/tmp/x/a.txt", 10, "world", 5, &meta), 0);
	art_file_path(d, 5, 99, "/tmp/x/b.txt");
	assert_int_equal(art_close(d, &e), 0);
	m = manifest(dir);
	assert_non_null(m);
	en = entry_of(m, "write", 0);
	assert_non_null(en);
	assert_int_equal(json_integer_value(json_object_get(en, "size")), 15);
	assert_false(json_is_true(json_object_get(en, "truncated")));
	assert_int_equal(json_array_size(json_object_get(en, "paths")), 2);
	rel = json_string_value(json_object_get(en, "file"));
	assert_string_equal(rel, "files/a.txt.5-99");
	/* the file again, read through a new handle */
	{
		char path[512];
		int fd;

		snprintf(path, sizeof(path), "%s/out/%s", dir, rel);
		fd = open(path, O_RDONLY);
		assert_true(fd >= 0);
		assert_int_equal(read(fd, buf, sizeof(buf)), 15);
		close(fd);
	}
	assert_memory_equal(buf, "hello\0\0\0\0\0world", 15);
	assert_int_equal(json_object_size(json_object_get(en, "events")), 0); /* no .scap linked */
	assert_string_equal(json_string_value(json_object_get(json_object_get(en, "owner"), "comm")),
	                    "writer");
	json_decref(m);
}

/* A deleted file's inode reused by a new file (art_file_done between): two artifacts, each its own bytes. */
static void test_inode_reused(void **state)
{
	char dir[256];
	struct err e = { { 0 } };
	struct art_dir *d;
	json_t *m, *a, *b;

	(void)state;
	sub(dir, sizeof(dir), "reuse");
	d = art_open(dir, false, NULL, &e);
	assert_non_null(d);
	assert_int_equal(art_file_write(d, 5, 42, "/tmp/gone", 0, "first", 5, &meta), 0);
	art_file_done(d, 5, 42);
	assert_int_equal(art_file_write(d, 5, 42, "/tmp/new", 0, "second!", 7, &meta), 0);
	art_file_path(d, 5, 42, "/tmp/new-renamed"); /* the new file's, not the gone one's */
	assert_int_equal(art_close(d, &e), 0);
	m = manifest(dir);
	a = entry_of(m, "write", 0);
	b = entry_of(m, "write", 1);
	assert_non_null(a);
	assert_non_null(b);
	assert_int_equal(json_integer_value(json_object_get(a, "size")), 5);
	assert_int_equal(json_array_size(json_object_get(a, "paths")), 1);
	assert_int_equal(json_integer_value(json_object_get(b, "size")), 7);
	assert_int_equal(json_array_size(json_object_get(b, "paths")), 2);
	json_decref(m);
}

/* A W+X mapping is listed with no bytes; a blob's sha256 is told for the profile ("" once unreadable). */
static void test_wx_note_and_last_sha(void **state)
{
	char dir[256];
	struct err e = { { 0 } };
	struct art_dir *d;
	json_t *m, *en;

	(void)state;
	sub(dir, sizeof(dir), "wx");
	d = art_open(dir, false, NULL, &e);
	art_mem_wx(d, 0x7f0000002000ULL, 8192, 7, &meta);
	assert_int_equal(art_blob(d, ART_EXEC, "/bin/x", "abc", 3, &meta), 0);
	assert_string_equal(art_last_sha256(d),
	                    "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	art_unreadable(d, ART_EXEC, "/bin/y", "gone", &meta);
	assert_string_equal(art_last_sha256(d), "");
	assert_int_equal(art_close(d, &e), 0);
	m = manifest(dir);
	en = entry_of(m, "mem", 0);
	assert_non_null(en);
	assert_true(json_is_null(json_object_get(en, "file")));
	assert_non_null(json_string_value(json_object_get(en, "note")));
	assert_int_equal(json_integer_value(json_object_get(en, "prot_after")), 7);
	assert_int_equal(json_integer_value(json_object_get(en, "length")), 8192);
	json_decref(m);
}

/* The per-file and total limits: bytes past them are counted, and the artifact says it is truncated. */
static void test_limits_counted(void **state)
{
	char dir[256], big[100];
	struct art_limits lim = { .file_max = 8, .total_max = 12 };
	struct err e = { { 0 } };
	struct art_counts c;
	struct art_dir *d;
	json_t *m, *en;

	(void)state;
	memset(big, 'x', sizeof(big));
	sub(dir, sizeof(dir), "lim");
	d = art_open(dir, false, &lim, &e);
	assert_non_null(d);
	art_file_write(d, 1, 1, "/a", 0, big, 10, &meta); /* 8 kept, 2 over the file limit */
	art_file_write(d, 1, 2, "/b", 0, big, 6, &meta);  /* 4 kept, 2 over the total */
	art_blob(d, ART_EXEC, "/bin/x", big, 50, &meta);  /* no room: listed as not kept */
	art_counts(d, &c);
	assert_int_equal(c.bytes, 12);
	assert_int_equal(c.dropped[ART_DROP_FILE_LIMIT], 2);
	assert_int_equal(c.dropped[ART_DROP_TOTAL_LIMIT], 2 + 50);
	assert_int_equal(art_close(d, &e), 0);
	m = manifest(dir);
	en = entry_of(m, "write", 0);
	assert_true(json_is_true(json_object_get(en, "truncated")));
	assert_int_equal(json_integer_value(json_object_get(en, "dropped_bytes")), 2);
	en = entry_of(m, "exec", 0);
	assert_non_null(en);
	assert_true(json_is_null(json_object_get(en, "file")));
	assert_non_null(json_object_get(en, "not_kept"));
	assert_int_equal(
	        json_integer_value(json_object_get(json_object_get(m, "dropped_bytes"), "total_limit")), 52);
	json_decref(m);
}

/* A binary met twice (from memory and from an fd) is stored once and counted twice. */
static void test_blob_once_per_content(void **state)
{
	char dir[256], src[256], buf[64];
	struct err e = { { 0 } };
	struct art_dir *d;
	json_t *m, *en;
	int fd;

	(void)state;
	sub(dir, sizeof(dir), "blob");
	tmp_path(src, sizeof(src), "prog.bin");
	fd = open(src, O_RDWR | O_CREAT | O_TRUNC, 0600);
	assert_int_equal(write(fd,
	                       "\x7f"
	                       "ELFbinary",
	                       10),
	                 10);
	d = art_open(dir, false, NULL, &e);
	assert_non_null(d);
	assert_int_equal(art_blob(d, ART_EXEC, "/usr/bin/prog",
	                          "\x7f"
	                          "ELFbinary",
	                          10, &meta),
	                 0);
	assert_int_equal(art_blob_fd(d, ART_EXEC, "/memfd:evil (deleted)", fd, &meta), 0);
	close(fd);
	assert_int_equal(art_blob(d, ART_EXEC, "/usr/bin/other", "another", 7, &meta), 0);
	assert_int_equal(art_close(d, &e), 0);
	m = manifest(dir);
	en = entry_of(m, "exec", 0);
	assert_int_equal(json_integer_value(json_object_get(en, "count")), 2);
	assert_int_equal(json_array_size(json_object_get(en, "paths")), 2);
	assert_int_equal(json_array_size(json_object_get(m, "artifacts")), 2);
	d = art_open(dir, false, NULL, &e); /* to read out/ through the same helper */
	assert_int_equal(read_out(d, json_string_value(json_object_get(en, "file")), buf, sizeof(buf)), 10);
	assert_memory_equal(buf,
	                    "\x7f"
	                    "ELFbinary",
	                    10);
	/* printf '\\x7fELFbinary' | sha256sum */
	assert_string_equal(json_string_value(json_object_get(en, "sha256")),
	                    "8f25f1fc4e89223edcddf66b453535c17c766534d19ed6d6f7d8390211056387");
	art_close(d, &e);
	json_decref(m);
}

/* A memory region: its bytes, address and protections; past the region limit it is cut and says so. */
/*
 * A binary met again through an unchanged file (one settled long ago: it is
 * remembered, not read again) is counted under each name; a file rewritten
 * between two runs is two artifacts, each its own bytes.
 */
static void test_blob_fd_again(void **state)
{
	char dir[256], src[256];
	struct err e = { { 0 } };
	struct art_dir *d;
	json_t *m, *en;
	const char *sys = access("/usr/bin/true", R_OK) == 0 ? "/usr/bin/true" : "/bin/true";
	char first[65];
	int fd;

	(void)state;
	sub(dir, sizeof(dir), "again");
	tmp_path(src, sizeof(src), "rewritten.bin");
	d = art_open(dir, false, NULL, &e);
	assert_non_null(d);
	for (int i = 0; i < 2; i++) {
		fd = open(sys, O_RDONLY);
		assert_true(fd >= 0);
		assert_int_equal(art_blob_fd(d, ART_EXEC, i ? "/bin/true" : sys, fd, &meta), 0);
		close(fd);
	}
	fd = open(src, O_RDWR | O_CREAT | O_TRUNC, 0600);
	assert_int_equal(write(fd, "version1", 8), 8);
	assert_int_equal(art_blob_fd(d, ART_EXEC, src, fd, &meta), 0);
	memcpy(first, art_last_sha256(d), sizeof(first));
	assert_int_equal(pwrite(fd, "version2", 8, 0), 8);
	assert_int_equal(art_blob_fd(d, ART_EXEC, src, fd, &meta), 0);
	assert_string_not_equal(first, art_last_sha256(d));
	close(fd);
	assert_int_equal(art_close(d, &e), 0);
	m = manifest(dir);
	en = entry_of(m, "exec", 0);
	assert_int_equal(json_integer_value(json_object_get(en, "count")), 2);
	assert_int_equal(json_array_size(json_object_get(m, "artifacts")), 3);
	json_decref(m);
}

static void test_memory_region(void **state)
{
	char dir[256], buf[64];
	struct art_limits lim = { .mem_max = 4 };
	struct err e = { { 0 } };
	struct art_dir *d;
	json_t *m, *en;

	(void)state;
	sub(dir, sizeof(dir), "mem");
	d = art_open(dir, false, &lim, &e);
	assert_int_equal(art_mem(d, 0x7f0000001000ULL, 4096, 7, 5, "\xc3\x90\x90\x90\x90\x90", 6, &meta), 0);
	assert_int_equal(art_close(d, &e), 0);
	m = manifest(dir);
	en = entry_of(m, "mem", 0);
	assert_string_equal(json_string_value(json_object_get(en, "address")), "0x7f0000001000");
	assert_int_equal(json_integer_value(json_object_get(en, "prot_before")), 7);
	assert_int_equal(json_integer_value(json_object_get(en, "prot_after")), 5);
	assert_int_equal(json_integer_value(json_object_get(en, "size")), 4);
	assert_true(json_is_true(json_object_get(en, "truncated")));
	d = art_open(dir, false, NULL, &e);
	assert_int_equal(read_out(d, json_string_value(json_object_get(en, "file")), buf, sizeof(buf)), 4);
	art_close(d, &e);
	json_decref(m);
}

/* Names from the traced system never become paths here. */
static void test_safe_names(void **state)
{
	char out[32];

	(void)state;
	art_safe_name(out, sizeof(out), "/etc/../../x y;rm -rf");
	assert_string_equal(out, "x_y_rm_-rf");
	art_safe_name(out, sizeof(out), "/tmp/..");
	assert_string_equal(out, "_.");
	art_safe_name(out, sizeof(out), "/");
	assert_string_equal(out, "_");
	art_safe_name(out, sizeof(out), ".hidden");
	assert_string_equal(out, "_hidden");
	art_safe_name(out, sizeof(out), "memfd:payload (deleted)");
	assert_string_equal(out, "memfd_payload__deleted_");
}

/* A directory that cannot be made is refused with its name. */
static void test_unwritable_dir(void **state)
{
	struct err e = { { 0 } };

	(void)state;
	assert_null(art_open("/proc/sysrec-no-such/dir", false, NULL, &e));
	assert_non_null(strstr(e.msg, "/proc/sysrec-no-such/dir/out"));
}

/* A profile written and compared: a new program and a changed binary are found, a gone one listed. */
static void test_profile_diff(void **state)
{
	char a[256], b[256], bad[256];
	struct art_profile *p = art_profile_new();
	struct art_diff_line *l;
	struct err e = { { 0 } };
	size_t n;
	FILE *f;

	(void)state;
	tmp_path(a, sizeof(a), "old.json");
	tmp_path(b, sizeof(b), "new.json");
	art_profile_exec(p, "/bin/ls", "aa", 5, "bash", 0, "");
	art_profile_exec(p, "/bin/cat", "bb", 6, "bash", 1000, "");
	art_profile_exec(p, "/bin/ls", "aa", 9, "sh", 0, "3f2a9c1b7e4d");
	assert_int_equal(art_profile_write(p, a, &e), 0);
	art_profile_free(p);
	p = art_profile_new();
	art_profile_exec(p, "/bin/ls", "aa", 5, "bash", 0, "");
	art_profile_exec(p, "/tmp/dropper", "dd", 7, "curl", 0, "");
	art_profile_exec(p, "/usr/bin/vi", "ee", 8, "bash", 0, "");
	assert_int_equal(art_profile_write(p, b, &e), 0);
	art_profile_free(p);
	/* the same profile: nothing */
	assert_int_equal(art_profile_diff(a, a, &l, &n, &e), 0);
	assert_int_equal(n, 0);
	art_diff_free(l, n);
	assert_int_equal(art_profile_diff(a, b, &l, &n, &e), 0);
	assert_int_equal(n, 3);
	assert_string_equal(l[0].what, "new");
	assert_string_equal(l[0].path, "/tmp/dropper");
	assert_string_equal(l[1].path, "/usr/bin/vi");
	assert_string_equal(l[2].what, "gone");
	assert_string_equal(l[2].path, "/bin/cat");
	art_diff_free(l, n);
	/* ls's count and its two parents and containers are in the file */
	{
		json_t *j = json_load_file(a, 0, NULL),
		       *ls = json_array_get(json_object_get(j, "programs"), 0);

		assert_int_equal(json_integer_value(json_object_get(ls, "count")), 2);
		assert_int_equal(json_array_size(json_object_get(ls, "parents")), 2);
		assert_int_equal(json_array_size(json_object_get(ls, "containers")), 2);
		assert_int_equal(json_integer_value(json_object_get(ls, "last_ns")), 9);
		json_decref(j);
	}
	/* a file that is not a profile: refused, naming it */
	tmp_path(bad, sizeof(bad), "bad.json");
	f = fopen(bad, "w");
	fputs("{\"programs\": [{\"path\": 3}]}", f);
	fclose(f);
	assert_int_equal(art_profile_diff(a, bad, &l, &n, &e), -EINVAL);
	assert_non_null(strstr(e.msg, "bad.json: program 0"));
}

/* A .scap of events (ts, tid, type), no parameters, at path. */
struct ev_spec {
	uint64_t ts;
	int64_t tid;
	uint16_t type;
};

static void write_scap(const char *path, const struct ev_spec *evs, size_t n)
{
	struct err e = { { 0 } };
	struct scap_writer *w = scap_writer_open(path, false, &e);
	struct sbuf b = { 0 };

	assert_non_null(w);
	scap_writer_section(w);
	for (size_t i = 0; i < n; i++) {
		b.len = 0;
		scap_encode_event(&b, evs[i].ts, evs[i].tid, evs[i].type, 0, NULL, NULL);
		scap_writer_event_bytes(w, 0, 0, (const uint8_t *)b.data, (uint32_t)b.len);
	}
	assert_int_equal(scap_writer_close(w, &e), 0);
	sbuf_release(&b);
}

static json_t *nums_in(json_t *en, const char *file)
{
	return json_object_get(json_object_get(en, "events"), file);
}

/*
 * Each artifact names the events that made it, found in the .scap files by
 * thread and time: a write's exit stamped as its record (not another
 * thread's at the same time), the execve exit after an exec's record, in the
 * file that holds it; one not found is counted; a file gone is skipped.
 */
static void test_events_linked(void **state)
{
	char dir[256], s1[512], s2[512], gone[512];
	struct err e = { { 0 } };
	struct art_dir *d;
	json_t *m, *w, *x;
	struct art_meta wm = meta, xm = meta, lost = meta;
	const struct ev_spec one[] = {
		{ 900, 43, PPME_SYSCALL_WRITE_E },  /* 1 */
		{ 1000, 44, PPME_SYSCALL_WRITE_X }, /* 2: another thread, the same time */
		{ 1000, 43, PPME_SYSCALL_WRITE_X }, /* 3: the write's */
		{ 1100, 43, PPME_SYSCALL_WRITE_E }, /* 4 */
	};
	const struct ev_spec two[] = {
		{ 1500, 43, PPME_SYSCALL_WRITE_X },     /* 1: the second write's */
		{ 1900, 50, PPME_SYSCALL_EXECVE_19_E }, /* 2 */
		{ 2100, 50, PPME_SYSCALL_EXECVE_19_X }, /* 3: the exec's */
		{ 2200, 50, PPME_SYSCALL_EXECVE_19_X }, /* 4: a later one */
	};
	char *paths[3];

	(void)state;
	sub(dir, sizeof(dir), "ev");
	tmp_path(s1, sizeof(s1), "ev1.scap");
	tmp_path(s2, sizeof(s2), "ev2.scap");
	tmp_path(gone, sizeof(gone), "ev-gone.scap");
	write_scap(s1, one, 4);
	write_scap(s2, two, 4);
	d = art_open(dir, false, NULL, &e);
	assert_non_null(d);
	/* two chunks of one write: one event */
	assert_int_equal(art_file_write(d, 5, 99, "/tmp/x/a", 0, "ab", 2, &wm), 0);
	assert_int_equal(art_file_write(d, 5, 99, "/tmp/x/a", 2, "cd", 2, &wm), 0);
	wm.ts = 1500;
	assert_int_equal(art_file_write(d, 5, 99, "/tmp/x/a", 4, "ef", 2, &wm), 0);
	lost.ts = 1700; /* its event is in no file */
	assert_int_equal(art_file_write(d, 5, 99, "/tmp/x/a", 6, "gh", 2, &lost), 0);
	xm.tid = xm.pid = 50;
	xm.ts = 2000;
	xm.ev = ART_EV_EXEC;
	assert_int_equal(art_blob(d, ART_EXEC, "/bin/true", "ELF", 3, &xm), 0);
	paths[0] = s1;
	paths[1] = gone;
	paths[2] = s2;
	assert_int_equal(art_events_link(d, paths, 3, NULL, NULL, &e), 0);
	assert_int_equal(art_close(d, &e), 0);
	m = manifest(dir);
	assert_non_null(m);
	w = entry_of(m, "write", 0);
	assert_non_null(w);
	assert_int_equal(json_array_size(nums_in(w, s1)), 1);
	assert_int_equal(json_integer_value(json_array_get(nums_in(w, s1), 0)), 3);
	assert_int_equal(json_array_size(nums_in(w, s2)), 1);
	assert_int_equal(json_integer_value(json_array_get(nums_in(w, s2), 0)), 1);
	assert_null(nums_in(w, gone));
	assert_int_equal(json_integer_value(json_object_get(w, "events_not_found")), 1);
	x = entry_of(m, "exec", 0);
	assert_non_null(x);
	assert_int_equal(json_array_size(nums_in(x, s2)), 1);
	assert_int_equal(json_integer_value(json_array_get(nums_in(x, s2), 0)), 3);
	assert_null(json_object_get(x, "events_not_found"));
	json_decref(m);
}

/* A file that is not a capture: said, naming it; the artifacts are kept all the same. */
static void test_events_bad_scap(void **state)
{
	char dir[256], bad[512];
	struct err e = { { 0 } };
	struct art_dir *d;
	char *paths[1];
	int fd;
	json_t *m;

	(void)state;
	sub(dir, sizeof(dir), "evbad");
	tmp_path(bad, sizeof(bad), "bad.scap");
	fd = open(bad, O_CREAT | O_TRUNC | O_WRONLY, 0644);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "not a capture at all", 20), 20);
	close(fd);
	d = art_open(dir, false, NULL, &e);
	assert_non_null(d);
	assert_int_equal(art_file_write(d, 5, 99, "/tmp/x/a", 0, "ab", 2, &meta), 0);
	paths[0] = bad;
	assert_true(art_events_link(d, paths, 1, NULL, NULL, &e) < 0);
	assert_non_null(strstr(e.msg, bad));
	assert_int_equal(art_close(d, &e), 0);
	m = manifest(dir);
	assert_non_null(m);
	assert_int_equal(json_integer_value(json_object_get(entry_of(m, "write", 0), "events_not_found")), 1);
	json_decref(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_written_file_offsets_and_paths),
		cmocka_unit_test(test_inode_reused),
		cmocka_unit_test(test_wx_note_and_last_sha),
		cmocka_unit_test(test_limits_counted),
		cmocka_unit_test(test_blob_once_per_content),
		cmocka_unit_test(test_blob_fd_again),
		cmocka_unit_test(test_memory_region),
		cmocka_unit_test(test_safe_names),
		cmocka_unit_test(test_unwritable_dir),
		cmocka_unit_test(test_profile_diff),
		cmocka_unit_test(test_events_linked),
		cmocka_unit_test(test_events_bad_scap),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
