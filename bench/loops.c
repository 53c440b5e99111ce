/*
 * Workloads for the recording benchmark (bench/record.sh).
 *
 *   loops write [N] [FILE]          N x write(fd, buf, 64) to FILE (default 2000000, /dev/null; a
 *                                   regular file is made or emptied first and grows by 64 MB per 1M)
 *   loops open [N] [FILE]           N x open + read + close of a small file (default 300000, /etc/hostname)
 *   loops fork [N]                  N x fork, execve /bin/true, waitpid (default 2000)
 *   loops copy SRC DST [KEEP]       SRC to DST in 1 MiB reads and writes, then fsync (as
 *                                   `dd bs=1M conv=fsync`); KEEP 1: each buffer also copied once
 *                                   into a 64 MiB ring right after its write (the copy any
 *                                   capture of written data must make in the writer's context)
 *   loops pace RATE SECS [CPU [getppid]]
 *                                   write(/dev/null, 64) (or getppid) at RATE events/s (one syscall =
 *                                   2 events, enter + exit) for SECS seconds, pinned to CPU; RATE 0:
 *                                   flat out
 *   loops probe SECS DIR CMD [ARG..] take t0 (CLOCK_REALTIME), start CMD, and open DIR/<counter>
 *                                   every PROBE_US microseconds (environment, default 1000)
 *                                   until SECS have passed; then SIGINT to CMD. Each probe is a
 *                                   wakeup taken from the starting CMD on a small machine: 100 us
 *                                   (10,000 wakeups a second) added 30-40 ms to sysrec's start-up
 *                                   on 2 CPUs; 1 ms is late by at most 1 ms
 *
 * Each mode prints one line on stdout: what it did and how long its loop took
 * (CLOCK_MONOTONIC); probe prints t0 in nanoseconds since the epoch and the
 * number of opens. Exit status 0 on success, 1 on a failed syscall, 2 on usage.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* sched_setaffinity */
#endif
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

static double mono(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static long count_arg(int argc, char **argv, int i, long def)
{
	char *end;
	long v;

	if (argc <= i)
		return def;
	errno = 0;
	v = strtol(argv[i], &end, 10);
	if (errno || *end || v < 0) {
		fprintf(stderr, "loops: bad number '%s'\n", argv[i]);
		exit(2);
	}
	return v;
}

static int fail(const char *what)
{
	fprintf(stderr, "loops: %s: %s\n", what, strerror(errno));
	return 1;
}

static int do_write(long n, const char *path)
{
	char buf[64];
	double t;
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);

	if (fd < 0)
		return fail(path);
	memset(buf, 'x', sizeof(buf));
	t = mono();
	for (long i = 0; i < n; i++) {
		if (write(fd, buf, sizeof(buf)) != (ssize_t)sizeof(buf))
			return fail("write");
	}
	t = mono() - t;
	close(fd);
	printf("write %ld iterations %.6f s\n", n, t);
	return 0;
}

static int do_open(long n, const char *path)
{
	char buf[4096];
	double t = mono();

	for (long i = 0; i < n; i++) {
		int fd = open(path, O_RDONLY);

		if (fd < 0)
			return fail(path);
		if (read(fd, buf, sizeof(buf)) < 0)
			return fail("read");
		close(fd);
	}
	t = mono() - t;
	printf("open %ld iterations %.6f s\n", n, t);
	return 0;
}

static int do_fork(long n)
{
	char *args[] = { "true", NULL };
	double t = mono();

	for (long i = 0; i < n; i++) {
		int status;
		pid_t pid = fork();

		if (pid < 0)
			return fail("fork");
		if (pid == 0) {
			execve("/bin/true", args, environ);
			_exit(127);
		}
		if (waitpid(pid, &status, 0) != pid)
			return fail("waitpid");
		if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
			fprintf(stderr, "loops: /bin/true failed (status 0x%x)\n", (unsigned)status);
			return 1;
		}
	}
	t = mono() - t;
	printf("fork %ld iterations %.6f s\n", n, t);
	return 0;
}

/*
 * Paced writer: batches of writes, then a busy wait on clock_gettime (vDSO, no
 * syscall) until the schedule says the next batch is due. A writer that falls
 * behind does not wait; what it achieved is printed.
 */
static int do_pace(double rate, double secs, long cpu, bool cheap)
{
	char buf[64];
	double sys_rate = rate / 2, t0, now;
	long batch = 64, done = 0;
	int fd = open("/dev/null", O_WRONLY);

	if (fd < 0)
		return fail("/dev/null");
	if (cpu >= 0) {
		cpu_set_t set;

		CPU_ZERO(&set);
		CPU_SET((int)cpu, &set);
		if (sched_setaffinity(0, sizeof(set), &set))
			return fail("sched_setaffinity");
	}
	memset(buf, 'x', sizeof(buf));
	t0 = now = mono();
	while (now - t0 < secs) {
		for (long i = 0; i < batch; i++) {
			if (cheap)
				syscall(SYS_getppid);
			else if (write(fd, buf, sizeof(buf)) != (ssize_t)sizeof(buf))
				return fail("write");
		}
		done += batch;
		now = mono();
		if (sys_rate > 0) {
			double due = t0 + (double)done / sys_rate;

			while (now < due && now - t0 < secs)
				now = mono();
		}
	}
	close(fd);
	printf("pace %s cpu %ld target %.0f events/s: %ld syscalls %ld events in %.6f s, %.0f events/s\n",
	       cheap ? "getppid" : "write", cpu, rate, done, 2 * done, now - t0,
	       2 * (double)done / (now - t0));
	return 0;
}

static int do_probe(double secs, const char *dir, char **cmd)
{
	struct timespec t0, next;
	char path[4096];
	long opens = 0;
	double start;
	int status;
	pid_t pid;

	const char *iv = getenv("PROBE_US");
	long interval_ns = iv && atol(iv) > 0 ? atol(iv) * 1000 : 1000000;

	clock_gettime(CLOCK_REALTIME, &t0);
	start = mono();
	pid = fork();
	if (pid < 0)
		return fail("fork");
	if (pid == 0) {
		execvp(cmd[0], cmd);
		fprintf(stderr, "loops: %s: %s\n", cmd[0], strerror(errno));
		_exit(127);
	}
	clock_gettime(CLOCK_MONOTONIC, &next);
	while (mono() - start < secs) {
		int fd;

		snprintf(path, sizeof(path), "%s/%ld", dir, opens++);
		fd = open(path, O_RDONLY);
		if (fd >= 0)
			close(fd);
		next.tv_nsec += interval_ns;
		if (next.tv_nsec >= 1000000000) {
			next.tv_nsec -= 1000000000;
			next.tv_sec++;
		}
		clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &next, NULL);
		if (waitpid(pid, &status, WNOHANG) == pid) {
			fprintf(stderr, "loops: %s ended early (status 0x%x)\n", cmd[0], (unsigned)status);
			return 1;
		}
	}
	kill(pid, SIGINT);
	if (waitpid(pid, &status, 0) != pid)
		return fail("waitpid");
	printf("probe t0 %lld%09ld opens %ld\n", (long long)t0.tv_sec, t0.tv_nsec, opens);
	return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : 1;
}

static int do_copy(const char *src, const char *dst, bool keep)
{
	enum { CHUNK = 1 << 20, RING = 64 << 20 };
	char *buf = malloc(CHUNK), *ring = keep ? malloc(RING) : NULL;
	int in = open(src, O_RDONLY), out = open(dst, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	size_t at = 0, total = 0;
	double t0;
	ssize_t n;

	if (!buf || (keep && !ring) || in < 0 || out < 0)
		return fail("copy: open or allocate");
	if (ring)
		memset(ring, 1, RING); /* its pages made before the clock starts */
	t0 = mono();
	while ((n = read(in, buf, CHUNK)) > 0) {
		if (write(out, buf, (size_t)n) != n)
			return fail("copy: write");
		if (ring) {
			memcpy(ring + at, buf, (size_t)n);
			at = (at + CHUNK) % RING;
		}
		total += (size_t)n;
	}
	if (n < 0 || fsync(out) < 0)
		return fail("copy: read or fsync");
	printf("copy %zu bytes took %.6f s%s\n", total, mono() - t0, keep ? " (each kept once more)" : "");
	close(in);
	close(out);
	free(buf);
	free(ring);
	return 0;
}

static int usage(void)
{
	fprintf(stderr, "usage: loops write [N] [FILE] | open [N] [FILE] | fork [N] | pace RATE SECS [CPU "
	                "[getppid]] |\n"
	                "       probe SECS DIR CMD [ARG...] | copy SRC DST [KEEP]\n");
	return 2;
}

int main(int argc, char **argv)
{
	int rc;

	if (argc < 2)
		return usage();
	if (!strcmp(argv[1], "write"))
		rc = do_write(count_arg(argc, argv, 2, 2000000), argc > 3 ? argv[3] : "/dev/null");
	else if (!strcmp(argv[1], "open"))
		rc = do_open(count_arg(argc, argv, 2, 300000), argc > 3 ? argv[3] : "/etc/hostname");
	else if (!strcmp(argv[1], "fork"))
		rc = do_fork(count_arg(argc, argv, 2, 2000));
	else if (!strcmp(argv[1], "pace") && argc >= 4)
		rc = do_pace(atof(argv[2]), atof(argv[3]), count_arg(argc, argv, 4, -1),
		             argc > 5 && !strcmp(argv[5], "getppid"));
	else if (!strcmp(argv[1], "copy") && argc >= 4)
		rc = do_copy(argv[2], argv[3], argc > 4 && !strcmp(argv[4], "1"));
	else if (!strcmp(argv[1], "probe") && argc >= 5)
		rc = do_probe(atof(argv[2]), argv[3], argv + 4);
	else
		return usage();
	fflush(stdout);
	return rc;
}
