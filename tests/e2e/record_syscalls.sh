# e2e check of the syscalls recorded with their own events (not the generic
# pair): a C workload makes each call once, sysrec records it, and sysdig must
# show every event with its arguments; sysdig and sysrec read it alike.
# Sourced by run.sh (uses can_record and rec_start from record.sh).

# The workload: argv[1] its directory, argv[2] a fifo to wait on until the
# recorder runs. Prints the two UDP ports and the traced child's pid.
syscalls_workload_c() {
	cat <<'EOF'
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

int main(int argc, char **argv)
{
	char buf[4096], rbuf[64];
	struct stat st;
	int fd, fd2, p[2];
	long tag = 0x5eed5eed;

	alarm(30); /* never hang the tests */
	if (argc < 3 || (fd = open(argv[2], O_RDONLY)) < 0 || read(fd, buf, 1) < 0 || chdir(argv[1]))
		return 2;
	close(fd);
	/* files: creat, vectored writes, modes, locks */
	fd = syscall(SYS_creat, T("creat-file"), 0640);
	struct iovec wv[2] = { { "vec-one;", 8 }, { "vec-two", 7 } };
	syscall(SYS_writev, fd, wv, 2);
	syscall(SYS_pwritev, fd, wv, 2, 100);
	syscall(SYS_fstat, fd, &st);
	syscall(SYS_fchmod, fd, 0600);
	syscall(SYS_flock, fd, LOCK_EX | LOCK_NB);
	syscall(SYS_ioctl, fd, FIONREAD, &fd2);
	close(fd);
	/* openat2, seek, vectored reads, sendfile */
	struct open_how how = { .flags = O_RDONLY | O_CLOEXEC, .resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS };
	fd = syscall(SYS_openat2, AT_FDCWD, T("creat-file"), &how, sizeof(how));
	syscall(SYS_lseek, fd, 0, SEEK_SET);
	struct iovec rv[2] = { { rbuf, 4 }, { rbuf + 4, 40 } };
	syscall(SYS_readv, fd, rv, 2);
	syscall(SYS_preadv, fd, rv, 2, 100);
	fd2 = open(T("copy-file"), O_WRONLY | O_CREAT | O_TRUNC, 0644);
	off_t off = 2;
	syscall(SYS_sendfile, fd2, fd, &off, 5);
	close(fd2);
	close(fd);
	fd = open(T("creat-file"), O_RDONLY);
	fd2 = open(T("copy-file"), O_WRONLY);
	syscall(SYS_copy_file_range, fd, NULL, fd2, NULL, 5, 0);
	close(fd2);
	close(fd);
	/* paths */
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
	/* fds */
	fd = dup(1);
	syscall(SYS_dup2, fd, 40);
	syscall(SYS_dup3, fd, 41, O_CLOEXEC);
	syscall(SYS_pipe2, p, O_CLOEXEC);
	syscall(SYS_signalfd4, -1, &(long){ 1 << 9 }, 8, 0);
	syscall(SYS_timerfd_create, CLOCK_MONOTONIC, 0);
	syscall(SYS_inotify_init1, 0);
	fd = syscall(SYS_eventfd2, 7, EFD_CLOEXEC);
	/* waiting */
	struct pollfd pf[2] = { { p[1], POLLOUT, 0 }, { fd, POLLIN, 0 } };
	syscall(SYS_poll, pf, 2, 10);
	struct epoll_event ev;
	syscall(SYS_epoll_wait, epoll_create1(0), &ev, 3, 0);
	struct timeval tv = { 0, 0 };
	syscall(SYS_select, 0, NULL, NULL, NULL, &tv);
	struct timespec ts = { 0, 1234567 };
	syscall(SYS_nanosleep, &ts, NULL);
	int fw = 0;
	syscall(SYS_futex, &fw, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
	/* memory */
	void *m = (void *)syscall(SYS_mmap, 0, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	munmap(m, 8192);
	syscall(SYS_brk, 0);
	/* limits */
	struct rlimit rl;
	syscall(SYS_getrlimit, RLIMIT_NOFILE, &rl);
	syscall(SYS_setrlimit, RLIMIT_NOFILE, &rl);
	syscall(SYS_prlimit64, 0, RLIMIT_CORE, NULL, &rl);
	/* messages: UDP from one socket to another, gathered from two iovecs */
	int a = socket(AF_INET, SOCK_DGRAM, 0), b = socket(AF_INET, SOCK_DGRAM, 0);
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) }, sb = sa, from;
	socklen_t len = sizeof(sa);
	bind(a, (struct sockaddr *)&sa, sizeof(sa));
	bind(b, (struct sockaddr *)&sb, sizeof(sb));
	getsockname(a, (struct sockaddr *)&sa, &len);
	getsockname(b, (struct sockaddr *)&sb, &len);
	struct iovec mv[2] = { { "msg-part1;", 10 }, { "msg-part2", 9 } };
	struct msghdr mh = { .msg_name = &sb, .msg_namelen = sizeof(sb), .msg_iov = mv, .msg_iovlen = 2 };
	syscall(SYS_sendmsg, a, &mh, 0);
	struct iovec in = { rbuf, sizeof(rbuf) };
	struct msghdr rh = { .msg_name = &from, .msg_namelen = sizeof(from), .msg_iov = &in, .msg_iovlen = 1 };
	syscall(SYS_recvmsg, b, &rh, 0);
	/* sendto/recvfrom with explicit addresses on the unconnected sockets */
	syscall(SYS_sendto, a, "to-addr", 7, 0, &sb, sizeof(sb));
	len = sizeof(from);
	syscall(SYS_recvfrom, b, rbuf, sizeof(rbuf), 0, &from, &len);
	int v = 65536;
	syscall(SYS_setsockopt, b, SOL_SOCKET, SO_RCVBUF, &v, sizeof(v));
	len = sizeof(v);
	syscall(SYS_getsockopt, b, SOL_SOCKET, SO_TYPE, &v, &len);
	/* ids, sessions */
	uid_t r, e, s;
	syscall(SYS_getuid);
	syscall(SYS_geteuid);
	syscall(SYS_getgid);
	syscall(SYS_getegid);
	syscall(SYS_getresuid, &r, &e, &s);
	syscall(SYS_getresgid, &r, &e, &s);
	syscall(SYS_setpgid, 0, 0);
	syscall(SYS_setsid);
	/* mounts */
	mkdir(T("mnt"), 0755);
	syscall(SYS_mount, T("sysrec-src"), T("mnt"), T("tmpfs"), MS_NOSUID | MS_NODEV, NULL);
	syscall(SYS_umount2, T("mnt"), MNT_DETACH);
	/* ptrace: attach to a child, read a word of it, detach */
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
	printf("%u %u %d\n", ntohs(sa.sin_port), ntohs(sb.sin_port), (int)c);
	return 0;
}
EOF
}

check_record_syscalls() {
	local dir=$work/sc.d fifo=$work/sc.fifo wpid pa pb child re missing=""
	can_record "$1" || return
	command -v cc >/dev/null || { skipped "$1" "no C compiler"; return; }
	syscalls_workload_c >"$work/sc.c"
	cc -O1 -o "$work/sc" "$work/sc.c" 2>"$work/sc.cc" || { bad "$1" "workload does not build: $(head -1 "$work/sc.cc")"; return; }
	rm -rf "$dir" "$fifo"
	mkdir -p "$dir"
	mkfifo "$fifo"
	"$work/sc" "$dir" "$fifo" >"$work/sc.out" &
	wpid=$!
	if ! rec_start "$work/sc.err" -w "$work/sc.scap" --pid "$wpid"; then
		echo go 1<>"$fifo"
		wait "$wpid"
		bad "$1" "recorder did not start: $(head -1 "$work/sc.err")"
		return
	fi
	echo go 1<>"$fifo" # (read-write: never blocks)
	wait "$wpid" || { kill -INT "$rec_pid"; wait "$rec_pid"; bad "$1" "workload failed"; return; }
	sleep 0.2
	kill -INT "$rec_pid" 2>/dev/null
	wait "$rec_pid" || { bad "$1" "record failed: $(head -1 "$work/sc.err")"; return; }
	umount "$dir/mnt" 2>/dev/null
	read -r pa pb child <"$work/sc.out"
	sysdig -r "$work/sc.scap" >"$work/sc.want" 2>"$work/sc.sderr" || { bad "$1" "sysdig refused the recording: $(head -1 "$work/sc.sderr")"; return; }
	"$bin" read -r "$work/sc.scap" >"$work/sc.got" 2>"$work/sc.rerr" || { bad "$1" "sysrec read failed: $(head -1 "$work/sc.rerr")"; return; }
	local f="[0-9]+\(<f>$dir" d="-100\(AT_FDCWD\)" t="127\.0\.0\.1:$pa->127\.0\.0\.1:$pb"
	for re in \
		"> creat name=creat-file\($dir/creat-file\) mode=0640 " \
		"< creat fd=$f/creat-file\) name=creat-file\($dir/creat-file\) mode=0640 dev=" \
		"> writev fd=$f/creat-file\) size=15 " \
		"< writev res=15 data=vec-one;vec-two " \
		"> pwritev fd=$f/creat-file\) size=15 pos=100 " \
		"< pwritev res=15 data=vec-one;vec-two " \
		"> fstat fd=$f/creat-file\) " \
		"< fchmod res=0 fd=$f/creat-file\) mode=0600\(S_IWUSR\|S_IRUSR\) " \
		"> flock fd=$f/creat-file\) operation=6\(LOCK_EX\|LOCK_NB\) " \
		"> ioctl fd=$f/creat-file\) request=541B argument=" \
		"> openat2 dirfd=$d name=creat-file\($dir/creat-file\) flags=4097\(O_RDONLY\|O_CLOEXEC\) mode=0 resolve=9\(RESOLVE_BENEATH\|RESOLVE_NO_SYMLINKS\) " \
		"< openat2 fd=$f/creat-file\) dirfd=$d name=creat-file\($dir/creat-file\) flags=4097\(O_RDONLY\|O_CLOEXEC\) mode=0 resolve=9\(" \
		"> lseek fd=$f/creat-file\) offset=0 whence=0\(SEEK_SET\) " \
		"> readv fd=$f/creat-file\) " \
		"< readv res=44 size=44 data=vec-one;vec-two\.{29} " \
		"> preadv fd=$f/creat-file\) pos=100 " \
		"< preadv res=15 size=15 data=vec-one;vec-two " \
		"> sendfile out_fd=$f/copy-file\) in_fd=$f/creat-file\) offset=2 size=5 " \
		"< sendfile res=5 offset=7 " \
		"< chmod res=0 filename=creat-file\($dir/creat-file\) mode=04755\([A-Z_|]*\|S_ISUID\) " \
		"< fchmodat res=0 dirfd=$d filename=copy-file\($dir/copy-file\) mode=0711\(S_IXOTH\|S_IXGRP\|S_IXUSR\|S_IWUSR\|S_IRUSR\) " \
		"< link res=0 oldpath=creat-file\($dir/creat-file\) newpath=hard-link\($dir/hard-link\) " \
		"< linkat res=0 olddir=$d oldpath=creat-file\($dir/creat-file\) newdir=$d newpath=hard-linkat\($dir/hard-linkat\) flags=1024\(AT_SYMLINK_FOLLOW\) " \
		"< symlink res=0 target=creat-file linkpath=sym-link\($dir/sym-link\) " \
		"< symlinkat res=0 target=copy-file linkdirfd=$d linkpath=sym-linkat\($dir/sym-linkat\) " \
		"< stat res=0 path=sym-link\($dir/sym-link\) " \
		"< lstat res=0 path=sym-linkat\($dir/sym-linkat\) " \
		"> access mode=6\(R_OK\|W_OK\) " \
		"< access res=0 name=copy-file\($dir/copy-file\) " \
		"> getdents64 fd=[0-9]+\(<d>$dir\) " \
		"< getdents64 res=[1-9][0-9]* " \
		"> getdents fd=[0-9]+\(<d>$dir\) " \
		"< dup res=40\(" \
		"< dup res=41\(" \
		"< pipe res=0 fd1=[0-9]+\(<p>\) fd2=[0-9]+\(<p>\) ino=[1-9]" \
		"> eventfd initval=7 flags=524288 " \
		"< eventfd res=[0-9]+\(<e>\) " \
		"> poll fds=[0-9]+:p4 [0-9]+:e1 timeout=10 " \
		"< poll res=2 fds=[0-9]+:p4 [0-9]+:e1 " \
		"> epoll_wait maxevents=3 " \
		"< select res=0 " \
		"> nanosleep interval=1234567\(0\.00123457s\) " \
		"> futex addr=[0-9A-F]+ op=129\(FUTEX_PRIVATE_FLAG\|FUTEX_WAKE\) val=1 " \
		"> mmap addr=0 length=8192 prot=3\(PROT_READ\|PROT_WRITE\) flags=10\(MAP_PRIVATE\|MAP_ANONYMOUS\) fd=-1" \
		"< mmap res=[0-9A-F]+ vm_size=[1-9][0-9]* vm_rss=[1-9][0-9]* vm_swap=" \
		"> brk addr=0 " \
		"< brk res=[0-9A-F]+ vm_size=[1-9]" \
		"> getrlimit resource=7\(RLIMIT_NOFILE\) " \
		"< getrlimit res=0 cur=[0-9]+ max=[0-9]+ " \
		"> setrlimit resource=7\(RLIMIT_NOFILE\) " \
		"> prlimit pid=0 resource=4\(RLIMIT_CORE\) " \
		"< prlimit res=0 newcur=-1 newmax=-1 oldcur=" \
		"> sendmsg fd=[0-9]+\(<4u?>[0-9.:]*\) size=19 tuple=$t " \
		"< sendmsg res=19 data=msg-part1;msg-part2 " \
		"< recvmsg res=19 size=19 data=msg-part1;msg-part2 tuple=$t " \
		"> sendto fd=[0-9]+\(<4u?>[0-9.:>-]*\) size=7 tuple=$t " \
		"< recvfrom res=7 data=to-addr tuple=$t " \
		"> copy_file_range fdin=$f/creat-file\) offin=0 len=5 " \
		"< copy_file_range res=5 fdout=$f/copy-file\) offout=0 " \
		"> signalfd fd=-1(\(EPERM\))? mask=0 flags=0 " \
		"< signalfd res=[0-9]+\(<s>\) " \
		"> timerfd_create clockid=1 flags=0 " \
		"< timerfd_create res=[0-9]+\(<t>\) " \
		"> inotify_init flags=0 " \
		"< inotify_init res=[0-9]+\(<i>\) " \
		"< setsockopt res=0 fd=[0-9]+\(<4u?>[0-9.:>-]*\) level=1\(SOL_SOCKET\) optname=8\(SO_RCVBUF\) val=65536 optlen=4 " \
		"< getsockopt res=0 fd=[0-9]+\(<4u?>[0-9.:>-]*\) level=1\(SOL_SOCKET\) optname=3\(SO_TYPE\) val=2 optlen=4 " \
		"< getuid uid=0\(root\) " \
		"< geteuid euid=0\(root\) " \
		"< getgid gid=0\(root\) " \
		"< getegid egid=0\(root\) " \
		"< getresuid res=0 ruid=0\(root\) euid=0\(root\) suid=0\(root\) " \
		"< getresgid res=0 rgid=0\(root\) egid=0\(root\) sgid=0\(root\) " \
		"> setpgid pid=0 pgid=0 " \
		"< setpgid res=" \
		"< setsid res=" \
		"> mount flags=6\(NOSUID\|NODEV\) " \
		"< mount res=0 dev=sysrec-src dir=mnt\($dir/mnt\) type=tmpfs " \
		"> umount flags=2\(DETACH\) " \
		"< umount res=0 name=mnt\($dir/mnt\) " \
		"> ptrace request=11\(PTRACE_ATTACH\) pid=$child\(" \
		"> ptrace request=3\(PTRACE_PEEKDATA\) pid=$child\(" \
		"< ptrace res=0 addr=[0-9A-F]+ data=5EED5EED " \
		"> ptrace request=12\(PTRACE_DETACH\) pid=$child\("; do
		grep -Eq -- "$re" "$work/sc.want" || missing="$missing [$re]"
	done
	# every filler writes its event's parameter count: none counted wrong, none in the file
	re=$(rec_stat "$work/sc.err" bad_params)
	[ "$re" = 0 ] || missing="$missing [${re:-an unknown number of} events with a wrong parameter count]"
	re=$(python3 "$root/tests/e2e/scapstat.py" --nparams "$work/sc.scap" "$root/src/event/event_codes.h" | tr '\n' ';') ||
		missing="$missing [parameter counts other than the table's (code name got want events): $re]"
	# recorded as the generic pair, these would show their own names (dup2, not dup)
	re=$(grep -Eo ' [<>] (dup2|dup3|pipe2|eventfd2|signalfd4|inotify_init1|prlimit64|umount2) ' "$work/sc.want" | sort -u | tr '\n' ' ')
	[ -z "$re" ] || missing="$missing [generic events:$re]"
	if [ -n "$missing" ]; then
		bad "$1" "not in sysdig's view:$missing"
	else
		same "$1" "$work/sc.got" "$work/sc.want"
	fi
}
