/*
 * tmpdir_fixture.h: one temporary directory per test binary, for the files
 * its tests write: cmocka group setup and teardown, and paths in it.
 * Include after <cmocka.h>.
 */
#ifndef SYSREC_TESTS_TMPDIR_FIXTURE_H
#define SYSREC_TESTS_TMPDIR_FIXTURE_H

#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

static char g_dir[64];

static inline int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static inline int group_setup(void **state)
{
	(void)state;
	snprintf(g_dir, sizeof(g_dir), "/tmp/sysrec-test-XXXXXX");
	return mkdtemp(g_dir) ? 0 : -1;
}

static inline int group_teardown(void **state)
{
	(void)state;
	return nftw(g_dir, rm_entry, 8, FTW_DEPTH | FTW_PHYS);
}

static inline void tmp_path(char *out, size_t n, const char *name)
{
	snprintf(out, n, "%s/%s", g_dir, name);
}

#endif
