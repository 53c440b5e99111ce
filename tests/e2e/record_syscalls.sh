# e2e check of the syscalls recorded with their own events (not the generic
# pair): a C workload (tests/e2e/syscalls-workload.c, built by make) makes each
# call once, sysrec records it, and sysdig must show every event with its
# arguments; sysdig and sysrec read it alike.
# Sourced by run.sh (uses can_record and rec_start from record.sh).

check_record_syscalls() {
	local dir=$work/sc.d fifo=$work/sc.fifo wl=$build/e2e/syscalls-workload wpid pa pb child re missing=""
	can_record "$1" || return
	[ -x "$wl" ] || { skipped "$1" "no $wl (make builds it)"; return; }
	rm -rf "$dir" "$fifo"
	mkdir -p "$dir"
	mkfifo "$fifo"
	"$wl" "$dir" "$fifo" >"$work/sc.out" &
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
