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
	cid=$(od -An -tx1 -N32 /dev/urandom | tr -d ' \n')
	if [ -f /sys/fs/cgroup/cgroup.controllers ]; then cgdir=/sys/fs/cgroup/docker/$cid; else cgdir=/sys/fs/cgroup/cpu/docker/$cid; fi
	mkdir -p "$cgdir" || { bad "$1" "cannot create cgroup $cgdir"; return; }
	"$bin" record -w "$work/live.scap" --stats 2>"$work/rec.err" &
	rpid=$!
	sleep 1
	(
		cd /tmp || exit 1
		printf 'known-bytes-%s' "$tag" >"/tmp/$tag-file"
		mv "/tmp/$tag-file" "/tmp/$tag-renamed"
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
	if ! wait "$rpid"; then
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
	if [ -n "$missing" ]; then
		bad "$1" "not in sysdig's view:$missing"
	else
		local busy
		busy=$(sed -n 's/.*tracepoint busy \([0-9]*\).*/\1/p' "$work/rec.err")
		if [ "${busy:-0}" != 0 ] && ! cmp -s "$work/out" "$work/want"; then
			# the kernel skipped events (counted); sysdig reads exits without their
			# enter differently, so only the actions above are compared
			ok "$1 (the kernel skipped $busy events; whole-file comparison not applicable)"
		else
			same "$1" "$work/out" "$work/want"
		fi
	fi
}

