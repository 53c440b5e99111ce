# e2e checks of `sysrec record` (eBPF; needs root and BTF), sourced by run.sh.
# Each check_NAME is listed in cases.txt as "check NAME".

# Root and a kernel with BTF, and sysdig to read the result; else skip (CI runs them).
can_record() { # name
	if [ "$(id -u)" != 0 ] || [ ! -r /sys/kernel/btf/vmlinux ]; then
		skipped "$1" "needs root and a kernel with BTF (CI runs it)"
		return 1
	fi
	have_sysdig || { skipped "$1" "sysdig not installed"; return 1; }
}

# `sysrec record` (eBPF; needs root and BTF) records a scripted workload;
# sysdig and sysrec read the recording identically, with every action in it.
check_record_workload() {
	local tag=sysrec-e2e-$$ rpid
	can_record "$1" || return
	cp /bin/true "$work/$tag-bin"
	# a docker-style cgroup (v2, or the v1 cpu hierarchy) to run one process in
	local cid cgdir
	docker_cgroup
	mkdir -p "$cgdir" || { bad "$1" "cannot create cgroup $cgdir"; return; }
	"$bin" record -w "$work/live.scap" --stats 2>"$work/rec.err" &
	rpid=$!
	wait_for 10 grep -q 'recording (' "$work/rec.err"
	(
		cd /tmp || exit 1
		printf 'known-bytes-%s' "$tag" >"/tmp/$tag-file"
		mv "/tmp/$tag-file" "/tmp/$tag-renamed"
		# a relative open by a child forked after a chdir: its cwd is inherited
		(cd / && bash -c 'cd /tmp && cat "$1" >/dev/null' _ "$tag-renamed")
		rm "/tmp/$tag-renamed"
		"$work/$tag-bin" first-arg "second arg"
		bash -c 'exit 7'
		bash -c "echo \$\$ >$cgdir/cgroup.procs && exec $work/$tag-bin in-container"
		python3 - "$tag" >"$work/port" <<'PY'
import socket, sys, threading
srv = socket.socket()
srv.bind(("127.0.0.1", 0))
srv.listen(1)
print(srv.getsockname()[1], flush=True)
def serve():
    c, _ = srv.accept()
    c.recv(100)
    c.close()
t = threading.Thread(target=serve)
t.start()
c = socket.create_connection(("127.0.0.1", srv.getsockname()[1]))
c.send(("known-net-" + sys.argv[1]).encode())
c.close()
t.join()
PY
	)
	sleep 0.5
	kill -INT "$rpid"
	rmdir "$cgdir" 2>/dev/null
	if ! stop_wait "$rpid" "$1 (sysrec record)"; then
		bad "$1" "record failed: $(head -1 "$work/rec.err")"
		return
	fi
	sysdig -r "$work/live.scap" >"$work/want" 2>"$work/sd.err" || { bad "$1" "sysdig refused the recording: $(head -1 "$work/sd.err")"; return; }
	"$bin" read -r "$work/live.scap" >"$work/out" 2>"$work/err" || { bad "$1" "sysrec read failed: $(head -1 "$work/err")"; return; }
	local want_re missing=""
	for want_re in \
		"< openat fd=[0-9]+\(<f>/tmp/$tag-file\) .*name=/tmp/$tag-file flags=[0-9]+\(O_TRUNC\|O_CREAT\|O_WRONLY\)" \
		"< write res=[0-9]+ data=known-bytes-$tag" \
		"< renameat2 res=0 .*oldpath=/tmp/$tag-file .*newpath=/tmp/$tag-renamed" \
		"< unlinkat res=0 .*name=/tmp/$tag-renamed" \
		"> execve filename=$work/$tag-bin" \
		"< execve res=0 exe=$work/$tag-bin args=first-arg.second arg. " \
		"> procexit status=1792 ret=7 sig=0 core=0" \
		"< connect res=0 tuple=127\.0\.0\.1:[0-9]+->127\.0\.0\.1:$(cat "$work/port") " \
		"> sendto fd=[0-9]+\(<4t>127\.0\.0\.1:[0-9]+->127\.0\.0\.1:$(cat "$work/port")\) size=[0-9]+" \
		"< sendto res=[0-9]+ data=known-net-$tag" \
		"< accept fd=[0-9]+\(<4t>127\.0\.0\.1:[0-9]+->127\.0\.0\.1:$(cat "$work/port")\) tuple=" \
		"< recvfrom res=[0-9]+ data=known-net-$tag"; do
		grep -Eq -- "$want_re" "$work/want" || missing="$missing [$want_re]"
	done
	sysdig -r "$work/live.scap" -p "%container.id %container.type %proc.name %evt.args" "evt.type=execve" \
		>"$work/containers" 2>/dev/null
	grep -Eq "^${cid:0:12} docker .* exe=$work/$tag-bin args=in-container" "$work/containers" ||
		missing="$missing [container ${cid:0:12} for $tag-bin]"
	# evt.abspath (the *at calls' paths joined to their directory): no shared capture has one
	local absfmt='%evt.num %evt.type %evt.abspath'
	sysdig -r "$work/live.scap" -p "$absfmt" 'evt.abspath exists' >"$work/abs-want" 2>/dev/null
	"$bin" read -r "$work/live.scap" -p "$absfmt" 'evt.abspath exists' >"$work/abs-out" 2>/dev/null
	grep -q "unlinkat /tmp/$tag-renamed\$" "$work/abs-want" || missing="$missing [evt.abspath of the unlinkat]"
	grep -q "openat /tmp/$tag-renamed\$" "$work/abs-want" || missing="$missing [evt.abspath of the relative open after cd]"
	cmp -s "$work/abs-out" "$work/abs-want" ||
		missing="$missing [evt.abspath: $(diff "$work/abs-out" "$work/abs-want" | head -3 | tr '\n' ' ')]"
	if [ -n "$missing" ]; then
		bad "$1" "not in sysdig's view:$missing"
	else
		local busy
		busy=$(sed -n 's/.*tracepoint busy \([0-9][0-9]*\).*/\1/p' "$work/rec.err")
		if [ "${busy:-0}" != 0 ] && ! cmp -s "$work/out" "$work/want"; then
			# the kernel skipped events (counted); sysdig reads exits without their
			# enter differently, so only the actions above are compared
			ok "$1 (the kernel skipped $busy events; whole-file comparison not applicable)"
		else
			same "$1" "$work/out" "$work/want"
		fi
	fi
}


# An open whose path the driver could not read at the syscall's entry (the
# enter says <NA>; the exit has it): sysdig 0.29.3 names the fd after the
# enter's name all the same (cwd/<NA>), and so must sysrec: the default line,
# fd.name and evt.abspath of that process read alike.
check_record_unread_names() {
	local rpid ppid f='%evt.num %evt.type %fd.name %evt.abspath' flt
	can_record "$1" || return
	mkdir -p "$work/unread"
	"$bin" record -w "$work/unread.scap" --stats 2>"$work/unread.err" &
	rpid=$!
	wait_for 10 grep -q 'recording (' "$work/unread.err"
	python3 "$here/unread_names.py" "$work/unread" &
	ppid=$!
	wait "$ppid" || { kill -INT "$rpid"; stop_wait "$rpid" "sysrec record"; bad "$1" "unread_names.py failed"; return; }
	sleep 0.3
	kill -INT "$rpid"
	stop_wait "$rpid" "$1 (sysrec record)" || { bad "$1" "record failed: $(head -1 "$work/unread.err")"; return; }
	flt="proc.pid=$ppid"
	sysdig -r "$work/unread.scap" "$flt" >"$work/unread-want" 2>/dev/null
	"$bin" read -r "$work/unread.scap" "$flt" >"$work/unread-out" 2>/dev/null
	sysdig -r "$work/unread.scap" -p "$f" "$flt and fd.name exists" >>"$work/unread-want" 2>/dev/null
	"$bin" read -r "$work/unread.scap" -p "$f" "$flt and fd.name exists" >>"$work/unread-out" 2>/dev/null
	grep -q "fd=[0-9]*(<d>$work/unread/<NA>)" "$work/unread-want" ||
		{ skipped "$1" "the driver read every name at entry here (no <NA> enter to follow)"; return; }
	same "$1" "$work/unread-out" "$work/unread-want"
}

# A read whose enter came before the recording began: its exit is the first
# event of its thread in the file. sysdig resolves its fd all the same (a
# thread it has not seen act is about fd 0), so fd.num, fd.name and fd.type
# filters select it; sysrec must too.
check_record_exit_before_capture() {
	local rpid cpid fifo=$work/early.fifo f='%evt.num %evt.type %fd.num %fd.type %fd.name' flt
	can_record "$1" || return
	rm -f "$fifo"
	mkfifo "$fifo"
	exec 7<>"$fifo"
	cat <&7 >/dev/null &
	cpid=$!
	sleep 0.2 # cat is blocked in its read before the recording starts
	"$bin" record -w "$work/early.scap" --stats 2>"$work/early.err" &
	rpid=$!
	wait_for 10 grep -q 'recording (' "$work/early.err"
	echo hello >&7
	sleep 0.3
	kill -INT "$rpid"
	stop_wait "$rpid" "$1 (sysrec record)"
	exec 7>&-
	kill "$cpid" 2>/dev/null
	wait "$cpid" 2>/dev/null
	for flt in "proc.pid=$cpid" "proc.pid=$cpid and fd.num>=0" "proc.pid=$cpid and not fd.type=file"; do
		echo "# $flt"
		sysdig -r "$work/early.scap" -p "$f" "$flt" 2>/dev/null
	done >"$work/early-want"
	for flt in "proc.pid=$cpid" "proc.pid=$cpid and fd.num>=0" "proc.pid=$cpid and not fd.type=file"; do
		echo "# $flt"
		"$bin" read -r "$work/early.scap" -p "$f" "$flt" 2>/dev/null
	done >"$work/early-out"
	grep -q '^[0-9]* read 0 ' "$work/early-want" ||
		{ bad "$1" "sysdig shows no read of fd 0 by cat: $(head -3 "$work/early-want" | tr '\n' ' ')"; return; }
	same "$1" "$work/early-out" "$work/early-want"
}

# Connections a process had before the recording began (they come from the
# file's fd tables, not from connect or accept events) are read as sysdig
# reads them: the accepted end of a TCP connection client->server, IPv6 ones
# with no role, a bound UDP socket turned into a pair by its first receive.
check_record_inherited_sockets() {
	local rpid ppid ctl=$work/inh.ctl port cport f='%evt.num %evt.type %fd.name %fd.sip %fd.cip %fd.sport %fd.cport %fd.is_server %fd.l4proto %fd.connected %evt.buflen'
	can_record "$1" || return
	rm -f "$ctl"
	mkfifo "$ctl"
	python3 "$here/inherited_sockets.py" <"$ctl" >"$work/inh.out" &
	ppid=$!
	exec 7>"$ctl"
	wait_for 10 grep -q ready "$work/inh.out"
	read -r _ port cport <"$work/inh.out"
	"$bin" record -w "$work/inh.scap" --stats 2>"$work/inh.err" &
	rpid=$!
	wait_for 10 grep -q 'recording (' "$work/inh.err"
	echo go >&7
	exec 7>&-
	wait "$ppid"
	sleep 0.3
	kill -INT "$rpid"
	stop_wait "$rpid" "$1 (sysrec record)" || { bad "$1" "record failed: $(head -1 "$work/inh.err")"; return; }
	{
		sysdig -r "$work/inh.scap" "proc.pid=$ppid"
		sysdig -r "$work/inh.scap" -p "$f" "proc.pid=$ppid"
	} >"$work/inh-want" 2>/dev/null
	{
		"$bin" read -r "$work/inh.scap" "proc.pid=$ppid"
		"$bin" read -r "$work/inh.scap" -p "$f" "proc.pid=$ppid"
	} >"$work/inh-out" 2>/dev/null
	[ "$(grep -c "<4t>127.0.0.1:$cport->127.0.0.1:$port)" "$work/inh-want")" -ge 2 ] ||
		{ bad "$1" "sysdig does not name both ends 127.0.0.1:$cport->127.0.0.1:$port: $(grep -m2 '<4t>' "$work/inh-want" | cut -c1-120 | tr '\n' ' ')"; return; }
	same "$1" "$work/inh-out" "$work/inh-want"
}

# Start `sysrec record ARGS... --stats` in the background (pid in $rec_pid,
# stderr in $1) and wait until it says it is recording.
rec_start() { # errfile args...
	local err=$1 i
	shift
	"$bin" record "$@" --stats 2>"$err" &
	rec_pid=$!
	for i in $(seq 100); do
		grep -q 'recording (' "$err" 2>/dev/null && return 0
		kill -0 "$rec_pid" 2>/dev/null || return 1
		sleep 0.1
	done
	return 1
}

# A counter from the recorder's last --stats lines: written, ring, big, busy, disk, bad_params.
rec_stat() { # errfile name
	local re
	case $2 in
	written) re='s/.* \([0-9]*\) events written.*/\1/p' ;;
	ring) re='s/.*ring full \([0-9][0-9]*\).*/\1/p' ;;
	big) re='s/.*too large \([0-9][0-9]*\).*/\1/p' ;;
	busy) re='s/.*tracepoint busy \([0-9][0-9]*\).*/\1/p' ;;
	disk) re='s/.*disk behind \([0-9]*\)).*/\1/p' ;;
	bad_params) re='s/.* \([0-9][0-9]*\) events with a wrong parameter count.*/\1/p' ;;
	esac
	sed -n "$re" "$1" | tail -1
}

# Record one process that makes the same syscalls every time (a shell that
# waits on a fifo, then dd copying 200000 single bytes) with --pid and a ring
# of $1 MiB. Sets burst_pid.
burst_record() { # ring_mb
	local fifo=$work/burst.fifo
	rm -f "$fifo"
	mkfifo "$fifo"
	sh -c 'read x <"$1"; exec dd if=/dev/zero of=/dev/null bs=1 count=200000 2>/dev/null' sh "$fifo" &
	burst_pid=$!
	if ! rec_start "$work/burst-$1.err" -w "$work/burst-$1.scap" --pid "$burst_pid" --ring-mb "$1"; then
		echo go >"$fifo"
		wait "$burst_pid"
		return 1
	fi
	echo go >"$fifo"
	wait "$burst_pid"
	sleep 0.2
	kill -INT "$rec_pid" 2>/dev/null
	stop_wait "$rec_pid" "sysrec record"
}

# Drops are exact: the same burst recorded with a roomy ring and with a tiny
# one; what the tiny one wrote plus what it counted as lost is what the roomy
# one wrote, and the file tells the same losses where they happened.
check_record_drops_exact() {
	can_record "$1" || return
	local attempt big_w w ring bigd disk busy lost fw marks
	for attempt in 1 2 3; do
		burst_record 64 || { bad "$1" "recorder did not start: $(head -1 "$work/burst-64.err")"; return; }
		big_w=$(rec_stat "$work/burst-64.err" written)
		busy=$(rec_stat "$work/burst-64.err" busy)
		[ "$(rec_stat "$work/burst-64.err" ring)" = 0 ] && [ "$busy" = 0 ] || continue
		burst_record 1 || { bad "$1" "recorder did not start: $(head -1 "$work/burst-1.err")"; return; }
		w=$(rec_stat "$work/burst-1.err" written)
		ring=$(rec_stat "$work/burst-1.err" ring)
		bigd=$(rec_stat "$work/burst-1.err" big)
		disk=$(rec_stat "$work/burst-1.err" disk)
		busy=$(rec_stat "$work/burst-1.err" busy)
		# the kernel counts tracepoint-busy skips for every process, in scope or
		# not: with any, the sum cannot be exact, so try again
		[ "$busy" = 0 ] || continue
		# events of the process in the file: the written ones and 3 per told loss
		read -r _ _ _ fw _ lost _ marks _ _ < <(python3 "$here/scapstat.py" "$work/burst-1.scap" "$burst_pid")
		# a drain fast enough for a 1 MiB ring this time proves nothing: try again
		[ $((ring + bigd + disk)) -ne 0 ] || continue
		if [ $((w + ring + bigd + disk)) -ne "$big_w" ]; then
			bad "$1" "written $w + lost $((ring + bigd + disk)) != $big_w produced"
		elif [ "$fw" -ne $((w + marks / 2 * 3)) ]; then
			bad "$1" "the file holds $fw events of the process, the recorder said $w (+ $((marks / 2)) loss notes)"
		elif [ "$lost" -ne $((ring + bigd + disk)) ]; then
			bad "$1" "the file tells $lost events lost, the recorder counted $((ring + bigd + disk))"
		else
			ok "$1 ($big_w produced = $w written + $((ring + bigd + disk)) lost)"
		fi
		return
	done
	skipped "$1" "in 3 attempts either the kernel skipped events (tracepoint busy: no exact count possible) or a 1 MiB ring lost nothing"
}

# sysdig and sysrec read one file alike, and the writer loop started during the
# recording is known in it by name and by its open file (when nothing was lost).
rotated_file_ok() { # file tag-file pid recorder-stderr [last]
	sysdig -r "$1" >"$work/rot-want" 2>"$work/rot-err" || { echo "sysdig refused $(basename "$1"): $(head -1 "$work/rot-err")"; return; }
	"$bin" read -r "$1" >"$work/rot-out" 2>"$work/rot-err" ||
		{ echo "sysrec read refused $(basename "$1") (exit $?): $(head -c 200 "$work/rot-err")"; return; }
	cmp -s "$work/rot-want" "$work/rot-out" || {
		echo "sysdig and sysrec read $(basename "$1") differently: $(diff "$work/rot-want" "$work/rot-out" | head -6 | cut -c1-160 | tr '\n' '|')"
		return
	}
	# with events lost (a slow build) the writer's start may be among them
	[ "$(rec_stat "$4" written)" ] && grep -q ' 0 dropped' "$4" || return 0
	# the file open at the stop may hold only what came after the writer was
	# stopped (a slow build's recorder, behind, rotates once more while it
	# catches up): there, only the writer's writes it holds must name its file
	if [ "${5:-}" = last ] &&
		[ -z "$(sysdig -r "$1" -p "%fd.name" "evt.type=write and evt.dir=< and proc.pid=$3" 2>/dev/null)" ]; then
		return 0
	fi
	sysdig -r "$1" -p "%proc.pid %proc.name %fd.name" "evt.type=write and evt.dir=<" 2>/dev/null |
		grep "^$3 bash $2\$" >/dev/null || echo "$(basename "$1") does not name the writer and its file; "
}

# " (N events lost: ...)" when the recorder lost events, else nothing.
lost_note() { # recorder-stderr
	grep -q ' 0 dropped' "$1" || echo " ($(sed -n 's/.*written, \([0-9]*\) dropped.*/\1/p' "$1") events lost: names across files not checked)"
}

# A process started after the recording began writes fast, so the files rotate
# while it lives: every file names it and its fd (state carried across files).
rot_load_start() { # tag-file
	bash -c 'exec 7>"$1"; while :; do echo x >&7; done' _ "$1" &
	rot_load=$!
}

# Whether N files matching GLOB have been seen, counting in SEEN-FILE the names
# seen on each call (older files of a -W ring are deleted as new ones open).
rot_files_seen() { # seen-file n glob
	local f
	for f in $3; do [ -e "$f" ] && echo "$f"; done >>"$1"
	[ "$(sort -u "$1" | wc -l)" -ge "$2" ]
}

check_record_rotate_size() {
	can_record "$1" || return
	local f n=0 problem="" tagf=/tmp/sysrec-rot-$$ last
	rec_start "$work/rotC.err" -w "$work/rc.scap" -C 1 -W 3 || { bad "$1" "recorder did not start: $(head -1 "$work/rotC.err")"; return; }
	rot_load_start "$tagf"
	# the ring wrapped: rc.scap0 is open again, after rc.scap2
	wait_for 20 eval '[ -f "$work/rc.scap2" ] && [ "$work/rc.scap0" -nt "$work/rc.scap2" ]'
	kill "$rot_load"
	kill -INT "$rec_pid" 2>/dev/null
	stop_wait "$rec_pid" "sysrec record" 2>/dev/null
	wait "$rot_load" 2>/dev/null
	rm -f "$tagf"
	grep -q ' in [4-9][0-9]* files\| in [1-9][0-9][0-9]* files' "$work/rotC.err" ||
		{ bad "$1" "fewer than 4 files made, the ring never wrapped: $(grep written "$work/rotC.err")"; return; }
	for f in "$work"/rc.scap*; do n=$((n + 1)); done
	[ "$n" = 3 ] && [ -f "$work/rc.scap0" ] && [ -f "$work/rc.scap2" ] ||
		{ bad "$1" "-W 3 should leave rc.scap0..2, found: $(cd "$work" && echo rc.scap*)"; return; }
	last=$(ls -t "$work"/rc.scap[0-2] | head -1)
	for f in "$work"/rc.scap[0-2]; do
		[ "$(stat -c %s "$f")" -lt 1200000 ] || problem="$problem $(basename "$f") is $(stat -c %s "$f") bytes;"
		problem="$problem$(rotated_file_ok "$f" "$tagf" "$rot_load" "$work/rotC.err" "$([ "$f" = "$last" ] && echo last)")"
	done
	[ -z "$problem" ] && ok "$1$(lost_note "$work/rotC.err")" || bad "$1" "$problem"
}

check_record_rotate_time() {
	can_record "$1" || return
	local f n=0 problem="" tagf=/tmp/sysrec-rotg-$$ last
	rec_start "$work/rotG.err" -w "$work/rg-%H%M%S.scap" -G 1 -W 2 || { bad "$1" "recorder did not start: $(head -1 "$work/rotG.err")"; return; }
	rot_load_start "$tagf"
	: >"$work/rg.seen"
	wait_for 20 rot_files_seen "$work/rg.seen" 3 "$work"/'rg-*.scap'
	kill "$rot_load"
	kill -INT "$rec_pid" 2>/dev/null
	stop_wait "$rec_pid" "sysrec record" 2>/dev/null
	wait "$rot_load" 2>/dev/null
	rm -f "$tagf"
	grep -q ' in [3-9] files' "$work/rotG.err" || { bad "$1" "expected 3 or more files: $(grep written "$work/rotG.err")"; return; }
	for f in "$work"/rg-[0-9][0-9][0-9][0-9][0-9][0-9].scap; do n=$((n + 1)); done
	[ "$n" = 2 ] || { bad "$1" "-W 2 should leave 2 files named by strftime, found: $(cd "$work" && echo rg-*)"; return; }
	last=$(ls -t "$work"/rg-*.scap | head -1)
	for f in "$work"/rg-*.scap; do
		problem="$problem$(rotated_file_ok "$f" "$tagf" "$rot_load" "$work/rotG.err" "$([ "$f" = "$last" ] && echo last)")"
	done
	[ -z "$problem" ] && ok "$1$(lost_note "$work/rotG.err")" || bad "$1" "$problem"
}

check_record_rotate_events() {
	can_record "$1" || return
	local f n=0 problem="" ev cont tagf=/tmp/sysrec-rote-$$
	rec_start "$work/rotE.err" -w "$work/re.scap" -e 20000 || { bad "$1" "recorder did not start: $(head -1 "$work/rotE.err")"; return; }
	rot_load_start "$tagf"
	wait_for 20 test -f "$work/re.scap2"
	kill "$rot_load"
	kill -INT "$rec_pid" 2>/dev/null
	stop_wait "$rec_pid" "sysrec record" 2>/dev/null
	wait "$rot_load" 2>/dev/null
	rm -f "$tagf"
	n=$(sed -n 's/.* in \([0-9]*\) files/\1/p' "$work/rotE.err")
	[ "${n:-0}" -ge 3 ] || { bad "$1" "expected 3 or more files: $(grep written "$work/rotE.err")"; return; }
	for i in $(seq 0 $((n - 2))); do
		f=$work/re.scap$i
		# the recorded events, not the container descriptions and loss notes
		read -r _ ev _ _ _ _ _ marks _ cont < <(python3 "$here/scapstat.py" "$f")
		[ $((ev - cont - marks / 2 * 3)) = 20000 ] || problem="$problem re.scap$i holds $((ev - cont - marks / 2 * 3)) events;"
	done
	problem="$problem$(rotated_file_ok "$work/re.scap1" "$tagf" "$rot_load" "$work/rotE.err")"
	[ -z "$problem" ] && ok "$1 ($n files$(lost_note "$work/rotE.err"))" || bad "$1" "$problem"
}

# --container ID records the container's processes, what they start and what
# joins its cgroups later, and nothing else.
check_record_container_scope() {
	can_record "$1" || return
	local tag=sysrec-ct-$$ cid cgdir fifo=$work/ct.fifo inside joined missing=""
	cp /bin/true "$work/$tag-bin"
	docker_cgroup
	mkdir -p "$cgdir" || { bad "$1" "cannot create cgroup $cgdir"; return; }
	rm -f "$fifo"
	mkfifo "$fifo"
	# a process already in the container when the recording starts
	sh -c 'echo $$ >"$1/cgroup.procs"; read x <"$2"; "$3" inside-arg; (true); exit 0' sh "$cgdir" "$fifo" "$work/$tag-bin" &
	inside=$!
	for _ in $(seq 50); do grep -qx "$inside" "$cgdir/cgroup.procs" && break; sleep 0.1; done
	if ! rec_start "$work/ct.err" -w "$work/ct.scap" --container "$cid"; then
		echo go >"$fifo"
		wait "$inside"
		rmdir "$cgdir" 2>/dev/null
		bad "$1" "recorder did not start: $(head -1 "$work/ct.err")"
		return
	fi
	echo go >"$fifo"
	wait "$inside"
	# one that joins the container's cgroup later (as docker exec does), one outside
	bash -c 'echo $$ >"$1/cgroup.procs" && exec "$2" joined-arg' _ "$cgdir" "$work/$tag-bin" &
	joined=$!
	wait "$joined"
	"$work/$tag-bin" outside-arg
	sleep 0.3
	kill -INT "$rec_pid" 2>/dev/null
	stop_wait "$rec_pid" "sysrec record"
	rmdir "$cgdir" 2>/dev/null
	sysdig -r "$work/ct.scap" -p "%thread.tid %proc.ppid %evt.dir %evt.type %evt.args" >"$work/ct.txt" 2>/dev/null ||
		{ bad "$1" "sysdig refused the recording"; return; }
	grep -q "< execve res=0 exe=$work/$tag-bin args=inside-arg" "$work/ct.txt" || missing="$missing [inside execve]"
	grep -q "< execve res=0 exe=$work/$tag-bin args=joined-arg" "$work/ct.txt" || missing="$missing [joined execve]"
	grep -q "outside-arg" "$work/ct.txt" && missing="$missing [an outside process was recorded]"
	# every event is from the two processes or what they started
	python3 - "$work/ct.txt" "$inside" "$joined" >"$work/ct.strays" <<'PY'
import sys
lines = [l.split(None, 4) for l in open(sys.argv[1])]
ok = {sys.argv[2], sys.argv[3]}
for _ in range(5):
    for l in lines:
        if len(l) > 1 and l[1] in ok:
            ok.add(l[0])
        if len(l) > 4 and l[3] in ("clone", "fork", "vfork", "clone3") and l[0] in ok:
            res = l[4].split()[0].split("=")[-1]
            ok.add(res)
strays = sorted({l[0] for l in lines if l and l[0] not in ok})
print(" ".join(strays))
PY
	[ -s "$work/ct.strays" ] && [ -n "$(tr -d ' \n' <"$work/ct.strays")" ] && missing="$missing [events of other threads: $(cut -c1-80 "$work/ct.strays")]"
	if [ -n "$missing" ]; then bad "$1" "$missing"; else ok "$1"; fi
}

# Processes holding fds of kinds /proc cannot name (BPF maps and programs of a
# second recorder, a netlink socket) are listed so that readers accept the file.
check_record_odd_fds() {
	can_record "$1" || return
	local other holder
	"$bin" record -w "$work/other.scap" 2>/dev/null &
	other=$!
	python3 -c 'import socket, time; s = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, 0); time.sleep(30)' &
	holder=$!
	sleep 1
	"$bin" record -w "$work/odd.scap" -M 0.5 2>"$work/odd.err"
	kill -INT "$other"
	kill "$holder"
	wait "$other" "$holder" 2>/dev/null
	if ! sysdig -r "$work/odd.scap" >"$work/odd-want" 2>"$work/odd-sd"; then
		bad "$1" "sysdig refused it: $(head -1 "$work/odd-sd")"
	elif ! "$bin" read -r "$work/odd.scap" >"$work/odd-out" 2>"$work/odd-rd"; then
		bad "$1" "sysrec read refused it: $(head -1 "$work/odd-rd")"
	else
		ok "$1"
	fi
}

# The CO-RE BTF cache (src/engine/corebtf.c): made on the first start, used
# unchanged by the next; a damaged one is dropped (the recording still works)
# and made again; an empty SYSREC_CACHE_DIR turns it off.
check_record_core_cache() {
	can_record "$1" || return
	local dir="$work/corecache" n btf before
	command -v bpftool >/dev/null || { skipped "$1" "bpftool not installed"; return; }
	rec_cache() { # dir out: a recording with something in it (a reader busy meanwhile)
		local busy rc
		(for _ in $(seq 40); do cat /etc/hostname >/dev/null; sleep 0.05; done) &
		busy=$!
		SYSREC_CACHE_DIR="$1" "$bin" record -w "$2" -M 1 2>"$2.err"
		rc=$?
		wait "$busy"
		[ "$rc" = 0 ] && [ "$(sysdig -r "$2" 2>/dev/null | grep -c hostname)" -gt 0 ]
	}
	if ! rec_cache "$dir" "$work/cc1.scap"; then
		bad "$1" "first recording failed: $(head -1 "$work/cc1.scap.err")"
		return
	fi
	n=$(find "$dir" -name 'core-*.btf' | wc -l)
	btf=$(find "$dir" -name 'core-*.btf' | head -1)
	if [ "$n" != 1 ] || [ ! -s "${btf%.btf}.ids" ] || ! bpftool btf dump file "$btf" >/dev/null 2>&1; then
		bad "$1" "no valid cache after the first start ($n BTF files in $dir)"
		return
	fi
	before=$(stat -c %Y.%s "$btf")
	sleep 1
	if ! rec_cache "$dir" "$work/cc2.scap" || [ "$(stat -c %Y.%s "$btf")" != "$before" ]; then
		bad "$1" "the second start did not use the cache as it was"
		return
	fi
	echo "not BTF" >"$btf"
	if ! rec_cache "$dir" "$work/cc3.scap"; then
		bad "$1" "a damaged cache broke the recording: $(head -1 "$work/cc3.scap.err")"
		return
	fi
	if [ -e "$btf" ] && ! bpftool btf dump file "$btf" >/dev/null 2>&1; then
		bad "$1" "the damaged cache was kept"
		return
	fi
	if ! rec_cache "$dir" "$work/cc4.scap" || ! bpftool btf dump file "$btf" >/dev/null 2>&1; then
		bad "$1" "the cache was not made again after a damaged one"
		return
	fi
	if ! rec_cache "" "$work/cc5.scap" || [ -n "$(find "$work" -maxdepth 1 -name 'core-*')" ]; then
		bad "$1" "an empty SYSREC_CACHE_DIR did not record without a cache"
		return
	fi
	ok "$1" "made, reused, damaged and remade, off"
}

# `record FILTER` writes what the filter matches, as sysdig's filter judges a
# full recording of the same moments; `-F` keeps the rejected state-changing
# events hidden, so sysdig names the process of every event; `-n N` with a
# filter stops after N matching events. Four recorders run at once around one
# workload (a renamed cat, so proc.name is known only from its execve).
# The full recording is the reference: when a recorder lost events (a loaded
# machine; the fork of the workload among them leaves its fds unnamed) the
# round is run again, up to three times.
check_record_filter() {
	local i
	can_record "$1" || return
	cp /bin/cat "$work/srf$$"
	for i in 1 2 3; do
		record_filter_round "$1" && return
		[ "$rf_lost" ] || return
	done
	bad "$1" "every round lost events:$rf_lost"
}

# One round of check_record_filter: 0 when it reported (ok or bad), 1 with
# rf_lost set when a recorder lost events.
record_filter_round() { # name
	# (no times: each recorder stamps events by its own reading of the boot time)
	local tag=srf$$ p fmt='%thread.tid %evt.dir %evt.type %evt.args' raw='*%thread.tid %evt.dir %evt.type %evt.rawarg.name' pids=() i f
	local flt="proc.name=$tag and evt.type in (execve, openat, read, close)"
	rf_lost=
	rec_start "$work/rf-all.err" -w "$work/rf-all.scap" || { bad "$1" "recorder did not start: $(head -1 "$work/rf-all.err")"; return; }
	pids+=("$rec_pid")
	rec_start "$work/rf-thin.err" -w "$work/rf-thin.scap" "$flt" || { bad "$1" "filtered recorder did not start: $(head -1 "$work/rf-thin.err")"; return; }
	pids+=("$rec_pid")
	rec_start "$work/rf-fat.err" -w "$work/rf-fat.scap" -F "$flt" || { bad "$1" "-F recorder did not start: $(head -1 "$work/rf-fat.err")"; return; }
	pids+=("$rec_pid")
	rec_start "$work/rf-n.err" -w "$work/rf-n.scap" -n 5 "$flt" || { bad "$1" "-n recorder did not start: $(head -1 "$work/rf-n.err")"; return; }
	local npid=$rec_pid
	"$work/$tag" /etc/hostname /etc/os-release >/dev/null
	sleep 0.5
	for p in "${pids[@]}"; do kill -INT "$p"; done
	for p in "${pids[@]}"; do wait "$p" || { bad "$1" "a recorder failed: $(cat "$work"/rf-*.err | grep -v recording | head -2)"; return; }; done
	for i in $(seq 50); do kill -0 "$npid" 2>/dev/null || break; sleep 0.1; done
	if kill -0 "$npid" 2>/dev/null; then
		kill -INT "$npid"
		wait "$npid"
		bad "$1" "-n 5 with a filter did not stop by itself"
		return
	fi
	wait "$npid" || { bad "$1" "-n recorder failed: $(head -2 "$work/rf-n.err")"; return; }
	for f in all thin fat; do
		grep -q ' 0 dropped' "$work/rf-$f.err" || rf_lost+=" $f$(lost_note "$work/rf-$f.err")"
	done
	[ -z "$rf_lost" ] || return 1
	sysdig -r "$work/rf-all.scap" -p "$fmt" "$flt" >"$work/want" 2>/dev/null
	[ "$(grep -c ' openat ' "$work/want")" -ge 4 ] || { bad "$1" "the full recording lacks $tag's opens: $(wc -l <"$work/want") events"; return; }
	# without -F, sysdig cannot name the fds and processes in the arguments: the events alone
	sysdig -r "$work/rf-all.scap" -p "$raw" "$flt" >"$work/want-raw" 2>/dev/null
	sysdig -r "$work/rf-thin.scap" -p "$raw" >"$work/thin" 2>"$work/sd.err" || { bad "$1" "sysdig refused the filtered file: $(head -1 "$work/sd.err")"; return; }
	sysdig -r "$work/rf-fat.scap" -p "$fmt" >"$work/fat" 2>/dev/null
	sysdig -r "$work/rf-fat.scap" -p '%proc.name' | sort -u >"$work/names" 2>/dev/null
	local hidden
	hidden=$(python3 "$here/scapstat.py" --events "$work/rf-fat.scap" | awk '$1 == 1' | wc -l)
	if ! cmp -s "$work/thin" "$work/want-raw"; then
		bad "$1" "the filtered file differs from sysdig's filter on the full one: $(diff "$work/thin" "$work/want-raw" | head -4 | tr '\n' ' ')"
	elif ! cmp -s "$work/fat" "$work/want"; then
		bad "$1" "the -F file shows other events: $(diff "$work/fat" "$work/want" | head -4 | tr '\n' ' ')"
	elif [ "$(cat "$work/names")" != "$tag" ] || [ "$hidden" -eq 0 ]; then
		bad "$1" "-F file: process names '$(tr '\n' ' ' <"$work/names")', $hidden hidden events"
	elif [ "$(sysdig -r "$work/rf-n.scap" 2>/dev/null | wc -l)" != 5 ]; then
		bad "$1" "-n 5 with a filter wrote $(sysdig -r "$work/rf-n.scap" 2>/dev/null | wc -l) events"
	else
		ok "$1 ($(wc -l <"$work/want") events matched, $hidden kept hidden with -F)"
	fi
}

# `sysrec record` killed with -9 leaves FILE.tmp-PID: `sysrec read -r` says it
# is an unfinished recording, prints the events of its whole blocks and exits
# 0; the next recording to that name mentions it and keeps it. Recordings,
# and what `sysrec read -w` writes (also gzip), have mode 0600.
check_record_unfinished() {
	local f=$work/unfinished.scap tmp busy size=0 rc n rec_pid2
	can_record "$1" || return
	rm -f "$f" "$f".tmp-*
	rec_start "$work/unf.err" -w "$f" || { bad "$1" "record did not start: $(head -2 "$work/unf.err")"; return; }
	tmp=$f.tmp-$rec_pid
	(while :; do head -c1 /etc/hostname >/dev/null; done) &
	busy=$!
	for _ in $(seq 150); do # more than its first 1 MiB chunks
		size=$(stat -c %s "$tmp" 2>/dev/null || echo 0)
		[ "$size" -ge 3000000 ] && break
		sleep 0.1
	done
	kill -9 "$rec_pid"
	wait "$rec_pid" 2>/dev/null
	kill "$busy"
	wait "$busy" 2>/dev/null
	[ "$size" -ge 3000000 ] && [ -s "$tmp" ] || { bad "$1" "the temporary $tmp holds $size bytes"; return; }
	[ "$(stat -c %a "$tmp")" = 600 ] || { bad "$1" "the recording is written with mode $(stat -c %a "$tmp")"; return; }
	"$bin" read -r "$tmp" >"$work/unf.txt" 2>"$work/unf.rerr"
	rc=$?
	[ "$rc" = 0 ] || { bad "$1" "read exited $rc: $(cat "$work/unf.rerr")"; return; }
	grep -qxF "sysrec read: warning: $tmp is an unfinished recording (sysrec process $rec_pid did not finish it): the events up to its last whole block are read" "$work/unf.rerr" ||
		{ bad "$1" "read said: $(cat "$work/unf.rerr")"; return; }
	n=$(wc -l <"$work/unf.txt")
	[ "$n" -gt 1000 ] || { bad "$1" "only $n events read"; return; }
	[ "$(sysdig -r "$tmp" 2>/dev/null | wc -l)" = "$n" ] || { bad "$1" "sysdig -r prints $(sysdig -r "$tmp" 2>/dev/null | wc -l) events, sysrec read $n"; return; }
	# its 100 events come from this loop: on an idle machine (CI) nothing else
	# may make 100 system calls for minutes
	"$bin" record -w "$f" -n 100 2>"$work/unf2.err" &
	rec_pid2=$!
	while kill -0 "$rec_pid2" 2>/dev/null; do head -c1 /etc/hostname >/dev/null; sleep 0.01; done
	wait "$rec_pid2" || { bad "$1" "the next recording failed: $(head -2 "$work/unf2.err")"; return; }
	grep -qF "sysrec record: warning: $tmp is an unfinished recording: sysrec process $rec_pid did not finish it" "$work/unf2.err" ||
		{ bad "$1" "the next recording said: $(head -3 "$work/unf2.err")"; return; }
	[ -s "$tmp" ] || { bad "$1" "the unfinished recording was removed"; return; }
	"$bin" read -r "$f" -w "$work/unf-copy.scap" 2>/dev/null && "$bin" read -r "$f" -z -w "$work/unf-copy.scap.gz" 2>/dev/null ||
		{ bad "$1" "read -w failed"; return; }
	[ "$(stat -c %a "$f") $(stat -c %a "$work/unf-copy.scap") $(stat -c %a "$work/unf-copy.scap.gz")" = "600 600 600" ] ||
		{ bad "$1" "modes of the recording, read -w, read -w -z: $(stat -c %a "$f" "$work/unf-copy.scap" "$work/unf-copy.scap.gz" | tr '\n' ' ')"; return; }
	rm -f "$tmp"
	ok "$1 ($n events of $size bytes read; $(tail -1 "$work/unf.rerr" | cut -c1-120)...)"
}
