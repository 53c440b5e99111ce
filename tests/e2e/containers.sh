# Sourced by run.sh: containers' metadata from their runtime (issue 24).

# `sysrec record -w` with --docker-socket on a stand-in for Docker's API
# (fake-docker.py: a real daemon's check comes with the docker e2e) while a
# process runs in a cgroup the test makes, named as Docker names a
# container's: the container is asked about once, and its event carries the
# runtime's answer; sysdig -r and sysrec read both show, for that process's
# events, container.name, container.image (repository, tag), privileged, and
# k8s.pod.name, k8s.ns.name, k8s.pod.id from its CRI labels; events of the
# host stay "host". The runtime then stops and a second container appears:
# recording goes on, the first keeps its description, the second its id, and
# a notification event says why (both readers show it). Then a socket nobody
# ever answered on: the container keeps its id, --stats says why.
check_record_container_meta() {
	local id=3f2a9c1b7e4d5f6a7b8c9d0e1f2a3b4c5d6e7f8a9b0c1d2e3f4a5b6c7d8e9f0a cg cg2 rpid fpid problem="" fmt want got
	local id2=9e8d7c6b5a4f3e2d1c0b9a8f7e6d5c4b3a2f1e0d9c8b7a6f5e4d3c2b1a0f9e8d
	can_record "$1" || return
	cg=/sys/fs/cgroup/pids/docker/$id
	[ -d /sys/fs/cgroup/pids ] || cg=/sys/fs/cgroup/sysrec-e2e-docker-$id
	cg2=${cg%/*}/$id2
	[ -d /sys/fs/cgroup/pids ] || cg2=/sys/fs/cgroup/sysrec-e2e-docker-$id2
	mkdir -p "$cg" 2>/dev/null || { skipped "$1" "cannot make a cgroup ($cg)"; return; }
	python3 "$here/fake-docker.py" "$work/docker.sock" "$id" &
	fpid=$!
	wait_for 10 test -S "$work/docker.sock"
	"$bin" record -w "$work/ct.scap" --docker-socket "$work/docker.sock" --podman-socket "" --containerd-socket "" --stats \
		2>"$work/ct.err" &
	rpid=$!
	wait_for 10 grep -q 'recording (' "$work/ct.err"
	sh -c "echo \$\$ >$cg/cgroup.procs && exec sh -c 'for i in 1 2 3 4 5; do cat /etc/hostname >/dev/null; sleep 0.2; done'"
	# the runtime stops; a second container appears
	kill "$fpid" 2>/dev/null
	wait "$fpid" 2>/dev/null
	mkdir -p "$cg2" 2>/dev/null
	sh -c "echo \$\$ >$cg2/cgroup.procs && exec sh -c 'for i in 1 2 3; do head -c 1 /etc/hostname >/dev/null; sleep 0.2; done'"
	kill -INT "$rpid"
	stop_wait "$rpid" "$1 (sysrec record)" || problem="$problem record failed: $(tail -2 "$work/ct.err");"
	rmdir "$cg" "$cg2" 2>/dev/null
	grep -q "containers: 2 seen, 1 described by their runtime, 0 unknown to it, 1 not answered" "$work/ct.err" ||
		problem="$problem --stats: $(grep containers: "$work/ct.err");"
	[ "$(grep -c "/containers/${id:0:12}/json" "$work/docker.sock.log")" = 1 ] ||
		problem="$problem asked $(wc -l <"$work/docker.sock.log") times: $(head -3 "$work/docker.sock.log" | tr '\n' ' ');"
	fmt='%proc.name %container.id %container.name %container.image %container.image.repository %container.image.tag %container.privileged %k8s.pod.name %k8s.ns.name %k8s.pod.id'
	want="cat ${id:0:12} web-1 registry.local:5000/shop/web:2.1 registry.local:5000/shop/web 2.1 true shop-0 prod 8d4e6f1a-0000-4000-8000-000000000001"
	for reader in sysdig sysrec; do
		if [ $reader = sysdig ]; then
			got=$(sysdig -r "$work/ct.scap" -p "$fmt" "proc.name=cat and evt.type=openat and fd.name=/etc/hostname" 2>&1 | sort -u)
		else
			got=$("$bin" read -r "$work/ct.scap" -p "$fmt" "proc.name=cat and evt.type=openat and fd.name=/etc/hostname" 2>&1 | sort -u)
		fi
		[ "$got" = "$want" ] || problem="$problem $reader shows '$(echo "$got" | head -2 | tr '\n' '|')', want '$want';"
	done
	# after the runtime stopped: the first container keeps what it said, the second is its id, a notification says why
	for reader in sysdig sysrec; do
		if [ $reader = sysdig ]; then
			got=$(sysdig -r "$work/ct.scap" -p '%evt.type %evt.arg.id %evt.arg.desc' "evt.type=notification and evt.arg.id=sysrec-containers" 2>&1)
		else
			got=$("$bin" read -r "$work/ct.scap" -p '%evt.type %evt.arg.id %evt.arg.desc' "evt.type=notification and evt.arg.id=sysrec-containers" 2>&1)
		fi
		echo "$got" | grep -q "^notification sysrec-containers the container runtime stopped answering ($work/docker.sock: .*): containers seen from now on are known by their ids only$" ||
			problem="$problem $reader shows no notification of the runtime stopping: '$(echo "$got" | head -2)';"
	done
	got=$("$bin" read -r "$work/ct.scap" -p '*%container.id %container.name %k8s.pod.name' "proc.name=head and evt.type=openat and fd.name=/etc/hostname" 2>&1 | sort -u)
	[ "$got" = "${id2:0:12} <NA> <NA>" ] || problem="$problem the container seen after the runtime stopped shows '$got';"
	got=$("$bin" read -r "$work/ct.scap" -p '%container.name %k8s.pod.name' "proc.pid=$rpid" 2>&1 | sort -u | head -2)
	[ -z "$got" ] || [ "$got" = "host <NA>" ] || problem="$problem the recorder's own events show '$got';"
	# nothing answers: the id alone, said
	"$bin" record -w "$work/ct2.scap" --docker-socket "$work/nobody.sock" --podman-socket "" --containerd-socket "" --stats -M 2 \
		2>"$work/ct2.err" &
	rpid=$!
	mkdir -p "$cg" 2>/dev/null
	sleep 0.5
	echo mark >"$work/ct2-mark"
	sh -c "echo \$\$ >$cg/cgroup.procs && exec cat $work/ct2-mark" >/dev/null
	stop_wait "$rpid" "$1 (sysrec record, no runtime)" || problem="$problem record without a runtime failed;"
	rmdir "$cg" 2>/dev/null
	grep -q "containers: 1 seen, 0 described by their runtime, 0 unknown to it, 1 not answered; last: $work/nobody.sock" \
		"$work/ct2.err" || problem="$problem without a runtime: $(grep containers: "$work/ct2.err");"
	got=$("$bin" read -r "$work/ct2.scap" -p '%container.id' "proc.name=cat and evt.type=openat and fd.name=$work/ct2-mark" 2>&1 | sort -u)
	[ "$got" = "${id:0:12}" ] || problem="$problem without a runtime, cat's container.id: '$got';"
	if [ -n "$problem" ]; then
		bad "$1" "$problem"
	else
		ok "$1 (name, image, tag, privileged, pod, namespace and pod uid in sysdig and sysrec read)"
	fi
}

# `sysrec record --container web-1`: the name is asked of the runtime (the
# stand-in), and only that container's processes are recorded, not a host
# process running beside; a name no runtime knows exits 1 saying so, one that
# is not a name exits 2; nothing is written by either.
check_record_container_by_name() {
	local id=5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b1c2d3e4f5a6b cg fpid cpid hpid out rc problem="" got
	can_record "$1" || return
	cg=/sys/fs/cgroup/pids/docker/$id
	[ -d /sys/fs/cgroup/pids ] || cg=/sys/fs/cgroup/sysrec-e2e-docker-$id
	mkdir -p "$cg" 2>/dev/null || { skipped "$1" "cannot make a cgroup ($cg)"; return; }
	python3 "$here/fake-docker.py" "$work/docker-n.sock" "$id" &
	fpid=$!
	wait_for 10 test -S "$work/docker-n.sock"
	sh -c "echo \$\$ >$cg/cgroup.procs && exec sh -c 'while :; do cat /etc/hostname >/dev/null; sleep 0.1; done'" &
	cpid=$!
	sh -c 'while :; do head -c 1 /etc/hostname >/dev/null; sleep 0.1; done' &
	hpid=$!
	out=$("$bin" record -w "$work/byname.scap" --container web-1 --docker-socket "$work/docker-n.sock" \
		--podman-socket "" --containerd-socket "" -M 2 2>&1) || problem="$problem record --container web-1 failed: $out;"
	got=$("$bin" read -r "$work/byname.scap" -p '%container.id' 'evt.type=openat and fd.name=/etc/hostname' 2>&1 | sort -u)
	[ "$got" = "${id:0:12}" ] || problem="$problem the events' containers: '$(echo "$got" | tr '\n' ' ')';"
	"$bin" read -r "$work/byname.scap" -p '%proc.name' 'evt.type=openat and fd.name=/etc/hostname' | grep -qx cat ||
		problem="$problem no open of cat in the container;"
	out=$("$bin" record -w "$work/noname.scap" --container web-2 --docker-socket "$work/docker-n.sock" \
		--podman-socket "" --containerd-socket "" -M 1 2>&1) && rc=0 || rc=$?
	[ "$rc" = 1 ] && echo "$out" | grep -q "container web-2: no runtime knows it" ||
		problem="$problem an unknown name: exit $rc: $out;"
	out=$("$bin" record -w "$work/noname.scap" --container ../etc --docker-socket "$work/docker-n.sock" -M 1 2>&1) && rc=0 || rc=$?
	[ "$rc" = 2 ] && echo "$out" | grep -q "not a container name" || problem="$problem '../etc': exit $rc: $out;"
	[ ! -e "$work/noname.scap" ] || problem="$problem a refused recording left a file;"
	kill "$cpid" "$hpid" "$fpid" 2>/dev/null
	wait "$cpid" "$hpid" "$fpid" 2>/dev/null
	rmdir "$cg" 2>/dev/null
	if [ -n "$problem" ]; then
		bad "$1" "$problem"
	else
		ok "$1"
	fi
}
