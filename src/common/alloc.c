/* alloc: allocation that aborts on exhaustion, and small environment helpers. */
#include "common.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>
#include <time.h>

static void oom(size_t n)
{
	fprintf(stderr, "sysrec: out of memory allocating %zu bytes\n", n);
	abort();
}

void *xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);

	if (!p)
		oom(n);
	return p;
}

void *xcalloc(size_t n, size_t m)
{
	void *p = calloc(n ? n : 1, m ? m : 1);

	if (!p)
		oom(n * m);
	return p;
}

void *xrealloc(void *p, size_t n)
{
	p = realloc(p, n ? n : 1);
	if (!p)
		oom(n);
	return p;
}

char *xstrdup(const char *s)
{
	return xstrndup(s, strlen(s));
}

char *xstrndup(const char *s, size_t n)
{
	char *p = xmalloc(n + 1);

	memcpy(p, s, n);
	p[n] = 0;
	return p;
}

const char *env_or(const char *name, const char *fallback)
{
	const char *v = getenv(name);

	return v && *v ? v : fallback;
}

uint64_t epoch_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

double mono_seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int mkdir_p(const char *path, unsigned mode)
{
	char *s = xstrdup(path);
	int rc = 0;

	for (char *q = s + 1; *q && !rc; q++)
		if (*q == '/') {
			*q = 0;
			if (mkdir(s, (mode_t)mode) < 0 && errno != EEXIST)
				rc = -errno;
			*q = '/';
		}
	if (!rc && mkdir(s, (mode_t)mode) < 0 && errno != EEXIST)
		rc = -errno;
	free(s);
	return rc;
}

void rm_tree(const char *path)
{
	DIR *d = opendir(path);
	struct dirent *de;

	while (d && (de = readdir(d)) != NULL) {
		char *sub;

		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		sub = xmalloc(strlen(path) + strlen(de->d_name) + 2);
		sprintf(sub, "%s/%s", path, de->d_name);
		if (de->d_type == DT_DIR)
			rm_tree(sub);
		else
			unlink(sub);
		free(sub);
	}
	if (d)
		closedir(d);
	rmdir(path);
}

void rm_temp_dirs(const char *dir, const char *prefix)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	size_t n = strlen(prefix);

	while (d && (de = readdir(d)) != NULL) {
		char *path;

		if (strncmp(de->d_name, prefix, n) != 0 || strlen(de->d_name) != n + 6)
			continue;
		path = xmalloc(strlen(dir) + strlen(de->d_name) + 2);
		sprintf(path, "%s/%s", dir, de->d_name);
		rm_tree(path);
		free(path);
	}
	if (d)
		closedir(d);
}

void safe_filename(char *out, size_t max, const char *s)
{
	size_t i = 0;

	if (!max)
		return;
	for (; *s && i + 1 < max; s++) {
		unsigned char ch = (unsigned char)*s;
		bool ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
		          ch == '_' || ch == '-' || (ch == '.' && i > 0);

		out[i++] = ok ? (char)ch : '_';
	}
	if (!i && max > 1)
		out[i++] = '_';
	out[i] = 0;
}
