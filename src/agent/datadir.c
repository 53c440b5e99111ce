/*
 * datadir: the agent's claim on its data directory - created private, kept
 * private (the directory 0700, the token 0600, both ours), and locked so that
 * one agent at a time uses it.
 *
 * The lock is flock() on DATA/lock, which holds the owner's pid for the
 * message a second agent prints. The kernel drops it when the process ends,
 * however it ends, so a stale lock file never blocks a restart.
 */
#include "agent_int.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define LOCK_NAME "lock"

/*
 * What may be ours and private: refuse what another user owns; narrow a mode
 * that lets others in, saying so. what names it in messages.
 */
static int make_private(int fd, const char *what, mode_t want, struct err *e)
{
	struct stat st;
	mode_t mode;

	if (fstat(fd, &st))
		return err_set(e, -errno, "cannot read the mode of %s: %s", what, strerror(errno));
	if (st.st_uid != geteuid())
		return err_set(e, -EPERM,
		               "%s belongs to uid %u, not to this agent's user (uid %u): refusing to use "
		               "it (give it to uid %u, or choose another --data)",
		               what, (unsigned)st.st_uid, (unsigned)geteuid(), (unsigned)geteuid());
	mode = st.st_mode & 07777;
	if (!(mode & 077))
		return 0;
	if (fchmod(fd, want))
		return err_set(e, -errno,
		               "%s has mode %04o (others may read or change it) and cannot be "
		               "made %04o: %s",
		               what, (unsigned)mode, (unsigned)want, strerror(errno));
	log_warn("%s had mode %04o (others could read or change it): it is %04o now", what, (unsigned)mode,
	         (unsigned)want);
	return 0;
}

/* The pid the lock file names (the agent holding it), or 0 when it names none yet. */
static long lock_holder(int fd)
{
	char buf[32];

	/* the holder writes its pid just after taking the lock: give it a moment */
	for (int i = 0; i < 50; i++) {
		ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);
		long pid;

		if (n > 0) {
			buf[n] = '\0';
			pid = strtol(buf, NULL, 10);
			if (pid > 0)
				return pid;
		}
		nanosleep(&(struct timespec){ 0, 10 * 1000 * 1000 }, NULL);
	}
	return 0;
}

static int take_lock(int dirfd, const char *dir, struct err *e)
{
	char what[4200], pid[32];
	int fd, rc, len;
	long holder;

	snprintf(what, sizeof(what), "%s/" LOCK_NAME, dir);
	fd = openat(dirfd, LOCK_NAME, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		return err_set(e, -errno, "cannot open %s: %s", what, strerror(errno));
	if ((rc = make_private(fd, what, 0600, e)) != 0) {
		close(fd);
		return rc;
	}
	if (flock(fd, LOCK_EX | LOCK_NB)) {
		rc = errno;
		if (rc != EWOULDBLOCK) {
			close(fd);
			return err_set(e, -rc, "cannot lock %s: %s", what, strerror(rc));
		}
		holder = lock_holder(fd);
		close(fd);
		if (holder)
			return err_set(e, -EBUSY,
			               "the data directory %s is in use by another agent (pid %ld)", dir,
			               holder);
		return err_set(e, -EBUSY, "the data directory %s is in use by another agent (pid unknown)",
		               dir);
	}
	len = snprintf(pid, sizeof(pid), "%ld\n", (long)getpid());
	if (ftruncate(fd, 0) || pwrite(fd, pid, (size_t)len, 0) != len) {
		rc = err_set(e, -errno, "cannot write %s: %s", what, strerror(errno));
		close(fd);
		return rc;
	}
	return fd;
}

/* The token, when there is one already: ours, a regular file, 0600. */
static int check_token(int dirfd, const char *dir, struct err *e)
{
	char what[4200];
	struct stat st;
	int fd, rc;

	snprintf(what, sizeof(what), "%s/token", dir);
	fd = openat(dirfd, "token", O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
	if (fd < 0 && errno == ENOENT)
		return 0; /* made (0600) further on */
	if (fd < 0)
		return err_set(e, -errno, "cannot open %s: %s", what, strerror(errno));
	if (fstat(fd, &st) == 0 && !S_ISREG(st.st_mode))
		rc = err_set(e, -EINVAL, "%s is not a regular file", what);
	else
		rc = make_private(fd, what, 0600, e);
	close(fd);
	return rc;
}

int agent_data_dir_open(const char *dir, struct err *e)
{
	char what[4200];
	int dirfd, rc;

	snprintf(what, sizeof(what), "the data directory %s", dir);
	if (mkdir(dir, 0700) && errno != EEXIST)
		return err_set(e, -errno, "cannot create the data directory %s: %s", dir, strerror(errno));
	dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dirfd < 0)
		return err_set(e, -errno, "cannot open the data directory %s: %s", dir, strerror(errno));
	rc = make_private(dirfd, what, 0700, e);
	if (!rc)
		rc = take_lock(dirfd, dir, e);
	if (rc >= 0) {
		int trc = check_token(dirfd, dir, e);

		if (trc) {
			close(rc);
			rc = trc;
		}
	}
	close(dirfd);
	return rc;
}
