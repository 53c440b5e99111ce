/*
 * scope: what `--container ID` records. The processes whose cgroups name the
 * container now (from /proc), and the container's cgroup directories in
 * every mounted cgroup hierarchy (their inode numbers are the kernfs ids the
 * BPF programs see when a process is moved into one, as `docker exec` does).
 */
#include "engine.h"

#include "../state/state.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <fts.h>
#include <mntent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* The 12-digit short form of a container id given as 12 to 64 hex digits; false if it is not one. */
bool engine_container_short_id(const char *id, char out[13])
{
	size_t n = strlen(id);

	if (n < 12 || n > 64)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!isxdigit((unsigned char)id[i]) || isupper((unsigned char)id[i]))
			return false;
	memcpy(out, id, 12);
	out[12] = '\0';
	return true;
}

/* /proc/PID/cgroup (state_cgroups_container() finds the id in its text as it is). */
static size_t proc_cgroups(int pid, char *buf, size_t max)
{
	char path[64];
	int fd;
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/%d/cgroup", pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	n = read(fd, buf, max - 1);
	close(fd);
	return n > 0 ? (size_t)n : 0;
}

static void add_u64(uint64_t **v, size_t *n, uint64_t x)
{
	for (size_t i = 0; i < *n; i++)
		if ((*v)[i] == x)
			return;
	*v = xrealloc(*v, (*n + 1) * sizeof(**v));
	(*v)[(*n)++] = x;
}

int engine_pid_container(int pid, char id[13])
{
	char buf[8192];
	size_t len = proc_cgroups(pid, buf, sizeof(buf));

	id[0] = 0;
	return len && state_cgroups_container(buf, len, id) >= 0 ? 0 : -ENOENT;
}

int engine_container_pids(const char *short_id, int self_pid, uint32_t **pids, size_t *n)
{
	DIR *d = opendir("/proc");
	struct dirent *de;
	char buf[8192], id[13];

	*pids = NULL;
	*n = 0;
	if (!d)
		return -errno;
	while ((de = readdir(d))) {
		int pid;
		size_t len;

		if (!isdigit((unsigned char)de->d_name[0]))
			continue;
		pid = atoi(de->d_name);
		if (pid == self_pid)
			continue;
		len = proc_cgroups(pid, buf, sizeof(buf));
		if (len && state_cgroups_container(buf, len, id) >= 0 && !strcmp(id, short_id)) {
			*pids = xrealloc(*pids, (*n + 1) * sizeof(**pids));
			(*pids)[(*n)++] = (uint32_t)pid;
		}
	}
	closedir(d);
	return 0;
}

int engine_container_cgroups(const char *short_id, uint64_t **ids, size_t *n)
{
	FILE *m = setmntent("/proc/self/mounts", "r");
	struct mntent *me;

	*ids = NULL;
	*n = 0;
	if (!m)
		return -errno;
	while ((me = getmntent(m))) {
		char *roots[2] = { me->mnt_dir, NULL };
		FTS *fts;
		FTSENT *e;

		if (strcmp(me->mnt_type, "cgroup") != 0 && strcmp(me->mnt_type, "cgroup2") != 0)
			continue;
		fts = fts_open(roots, FTS_PHYSICAL | FTS_NOCHDIR | FTS_XDEV, NULL);
		while (fts && (e = fts_read(fts))) {
			if (e->fts_info == FTS_D && strstr(e->fts_name, short_id))
				add_u64(ids, n, (uint64_t)e->fts_statp->st_ino);
			else if (e->fts_info == FTS_F)
				fts_set(fts, e, FTS_SKIP);
		}
		if (fts)
			fts_close(fts);
	}
	endmntent(m);
	return 0;
}
