/* syscalls-workload: makes each syscall that tests/e2e/record_syscalls.sh expects in a recording once.
 * argv[1] its directory, argv[2] a fifo to wait on until the recorder runs; prints the two UDP
 * ports and the traced child's pid. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <fcntl.h>
#include <linux/futex.h>
#include <linux/openat2.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/file.h>
#include <sys/inotify.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/ptrace.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/timerfd.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* A string whose pages are in memory: the recorder reads paths at syscall entry without faulting them in. */
static const char *T(const char *s)
{
	for (const volatile char *p = s; *p; p++)
		;
	return s;
}

/* Files: creat, vectored writes, modes, locks. */
static void make_file_calls(void)
{
	struct iovec wv[2] = { { "vec-one;", 8 }, { "vec-two", 7 } };
	struct stat st;
	int fd, nread;

	fd = syscall(SYS_creat, T("creat-file"), 0640);
	syscall(SYS_writev, fd, wv, 2);
	syscall(SYS_pwritev, fd, wv, 2, 100);
	syscall(SYS_fstat, fd, &st);
	syscall(SYS_fchmod, fd, 0600);
	syscall(SYS_flock, fd, LOCK_EX | LOCK_NB);
	syscall(SYS_ioctl, fd, FIONREAD, &nread);
	close(fd);
}

/* openat2, seek, vectored reads, sendfile, copy_file_range. */
static void make_read_copy_calls(void)
{
	struct open_how how = { .flags = O_RDONLY | O_CLOEXEC,
		                .resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS };
	char rbuf[64];
	struct iovec rv[2] = { { rbuf, 4 }, { rbuf + 4, 40 } };
	off_t off = 2;
	int fd, fd2;

	fd = syscall(SYS_openat2, AT_FDCWD, T("creat-file"), &how, sizeof(how));
	syscall(SYS_lseek, fd, 0, SEEK_SET);
	syscall(SYS_readv, fd, rv, 2);
	syscall(SYS_preadv, fd, rv, 2, 100);
	fd2 = open(T("copy-file"), O_WRONLY | O_CREAT | O_TRUNC, 0644);
	syscall(SYS_sendfile, fd2, fd, &off, 5);
	close(fd2);
	close(fd);
	fd = open(T("creat-file"), O_RDONLY);
	fd2 = open(T("copy-file"), O_WRONLY);
	syscall(SYS_copy_file_range, fd, NULL, fd2, NULL, 5, 0);
	close(fd2);
	close(fd);
}

/* Paths: modes, links, stats, access, directory listings. */
static void make_path_calls(void)
{
	char buf[4096];
	struct stat st;
	int fd;

	syscall(SYS_chmod, T("creat-file"), 04755);
	syscall(SYS_fchmodat, AT_FDCWD, T("copy-file"), 0711, 0);
	syscall(SYS_link, T("creat-file"), T("hard-link"));
	syscall(SYS_linkat, AT_FDCWD, T("creat-file"), AT_FDCWD, T("hard-linkat"), AT_SYMLINK_FOLLOW);
	syscall(SYS_symlink, T("creat-file"), T("sym-link"));
	syscall(SYS_symlinkat, T("copy-file"), AT_FDCWD, T("sym-linkat"));
	syscall(SYS_stat, T("sym-link"), &st);
	syscall(SYS_lstat, T("sym-linkat"), &st);
	syscall(SYS_access, T("copy-file"), R_OK | W_OK);
	fd = open(T("."), O_RDONLY | O_DIRECTORY);
	syscall(SYS_getdents64, fd, buf, sizeof(buf));
	syscall(SYS_lseek, fd, 0, SEEK_SET);
	syscall(SYS_getdents, fd, buf, sizeof(buf));
	close(fd);
}

/* Fds: dups, a pipe (into p), signalfd, timerfd, inotify; returns an eventfd. */
static int make_fd_calls(int p[2])
{
	int fd = dup(1);

	syscall(SYS_dup2, fd, 40);
	syscall(SYS_dup3, fd, 41, O_CLOEXEC);
	syscall(SYS_pipe2, p, O_CLOEXEC);
	syscall(SYS_signalfd4, -1, &(long){ 1 << 9 }, 8, 0);
	syscall(SYS_timerfd_create, CLOCK_MONOTONIC, 0);
	syscall(SYS_inotify_init1, 0);
	return syscall(SYS_eventfd2, 7, EFD_CLOEXEC);
}

/* Waiting: poll on a pipe's write end and an eventfd, epoll, select, nanosleep, futex. */
static void make_wait_calls(int pipe_out, int efd)
{
	struct pollfd pf[2] = { { pipe_out, POLLOUT, 0 }, { efd, POLLIN, 0 } };
	struct epoll_event ev;
	struct timeval tv = { 0, 0 };
	struct timespec ts = { 0, 1234567 };
	int fw = 0;

	syscall(SYS_poll, pf, 2, 10);
	syscall(SYS_epoll_wait, epoll_create1(0), &ev, 3, 0);
	syscall(SYS_select, 0, NULL, NULL, NULL, &tv);
	syscall(SYS_nanosleep, &ts, NULL);
	syscall(SYS_futex, &fw, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
}

/* Memory (mmap, munmap, brk), then limits. */
static void make_memory_limit_calls(void)
{
	void *m = (void *)syscall(SYS_mmap, 0, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1,
	                          0);
	struct rlimit rl;

	munmap(m, 8192);
	syscall(SYS_brk, 0);
	syscall(SYS_getrlimit, RLIMIT_NOFILE, &rl);
	syscall(SYS_setrlimit, RLIMIT_NOFILE, &rl);
	syscall(SYS_prlimit64, 0, RLIMIT_CORE, NULL, &rl);
}

/*
 * Messages: UDP from one socket to another, gathered from two iovecs, then
 * sendto/recvfrom with explicit addresses on the unconnected sockets, then
 * socket options. The sockets' ports go to *port_a and *port_b.
 */
static void make_socket_calls(unsigned *port_a, unsigned *port_b)
{
	int a = socket(AF_INET, SOCK_DGRAM, 0), b = socket(AF_INET, SOCK_DGRAM, 0);
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) }, sb = sa,
	                   from;
	socklen_t len = sizeof(sa);
	char rbuf[64];
	struct iovec mv[2] = { { "msg-part1;", 10 }, { "msg-part2", 9 } };
	struct msghdr mh = { .msg_name = &sb, .msg_namelen = sizeof(sb), .msg_iov = mv, .msg_iovlen = 2 };
	struct iovec in = { rbuf, sizeof(rbuf) };
	struct msghdr rh = {
		.msg_name = &from, .msg_namelen = sizeof(from), .msg_iov = &in, .msg_iovlen = 1
	};
	int v = 65536;

	bind(a, (struct sockaddr *)&sa, sizeof(sa));
	bind(b, (struct sockaddr *)&sb, sizeof(sb));
	getsockname(a, (struct sockaddr *)&sa, &len);
	getsockname(b, (struct sockaddr *)&sb, &len);
	syscall(SYS_sendmsg, a, &mh, 0);
	syscall(SYS_recvmsg, b, &rh, 0);
	syscall(SYS_sendto, a, "to-addr", 7, 0, &sb, sizeof(sb));
	len = sizeof(from);
	syscall(SYS_recvfrom, b, rbuf, sizeof(rbuf), 0, &from, &len);
	syscall(SYS_setsockopt, b, SOL_SOCKET, SO_RCVBUF, &v, sizeof(v));
	len = sizeof(v);
	syscall(SYS_getsockopt, b, SOL_SOCKET, SO_TYPE, &v, &len);
	*port_a = ntohs(sa.sin_port);
	*port_b = ntohs(sb.sin_port);
}

/* Ids and sessions, then a tmpfs mounted and unmounted. */
static void make_id_mount_calls(void)
{
	uid_t r, e, s;

	syscall(SYS_getuid);
	syscall(SYS_geteuid);
	syscall(SYS_getgid);
	syscall(SYS_getegid);
	syscall(SYS_getresuid, &r, &e, &s);
	syscall(SYS_getresgid, &r, &e, &s);
	syscall(SYS_setpgid, 0, 0);
	syscall(SYS_setsid);
	mkdir(T("mnt"), 0755);
	syscall(SYS_mount, T("sysrec-src"), T("mnt"), T("tmpfs"), MS_NOSUID | MS_NODEV, NULL);
	syscall(SYS_umount2, T("mnt"), MNT_DETACH);
}

/* ptrace: attach to a child, read a word of it (tag, 0x5eed5eed), detach; returns the child's pid. */
static pid_t make_ptrace_calls(void)
{
	long tag = 0x5eed5eed;
	pid_t c = fork();

	if (c == 0) {
		pause();
		_exit(0);
	}
	if (syscall(SYS_ptrace, PTRACE_ATTACH, c, 0, 0) == 0) {
		long word;
		waitpid(c, NULL, 0);
		syscall(SYS_ptrace, PTRACE_PEEKDATA, c, &tag, &word);
		syscall(SYS_ptrace, PTRACE_DETACH, c, 0, 0);
	}
	kill(c, SIGKILL);
	waitpid(c, NULL, 0);
	return c;
}

int main(int argc, char **argv)
{
	char go;
	int fd, p[2], efd;
	unsigned port_a, port_b;
	pid_t child;

	alarm(30); /* never hang the tests */
	if (argc < 3 || (fd = open(argv[2], O_RDONLY)) < 0 || read(fd, &go, 1) < 0 || chdir(argv[1]))
		return 2;
	close(fd);
	make_file_calls();
	make_read_copy_calls();
	make_path_calls();
	efd = make_fd_calls(p);
	make_wait_calls(p[1], efd);
	make_memory_limit_calls();
	make_socket_calls(&port_a, &port_b);
	make_id_mount_calls();
	child = make_ptrace_calls();
	printf("%u %u %d\n", port_a, port_b, (int)child);
	return 0;
}
