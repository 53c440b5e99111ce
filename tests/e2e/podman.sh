# Sourced by run.sh: containers of podman (issue 24), through its
# Docker-compatible API (`podman system service`) on a socket under $work,
# with runc and the cgroupfs manager (no systemd here), storage under $work,
# and the image made from busybox-static (runtimes.sh). Containers get low
# file and process limits: podman's defaults raise them, which root here may
# not (it lacks CAP_SYS_RESOURCE).
#
# sysdig 0.29.3 knows podman containers by systemd's layout only
# (/libpod-ID.scope); with cgroupfs (/libpod_parent/libpod-ID) it shows their
# processes as the host's. sysrec knows both layouts: these checks read the
# capture with sysrec, and check that sysdig reads it.

pm() {
	podman "${pm_opts[@]}" "$@"
}
pm_opts=(--root "$work/pm/root" --runroot "$work/pm/run" --runtime runc --cgroup-manager cgroupfs
	--events-backend file --log-level error)

# Start podman's API service once and import sysrec-e2e/bb:1. Sets pm_sock.
# False (reason in pm_why) when podman cannot run here.
podman_up() {
	pm_sock=$work/pm/podman.sock
	[ -n "${pm_pid:-}" ] && [ -S "$pm_sock" ] && return
	command -v podman >/dev/null && command -v runc >/dev/null || { pm_why="no podman or runc"; return 1; }
	bb_rootfs_tar || { pm_why="no static /bin/busybox (busybox-static)"; return 1; }
	mkdir -p "$work/pm"
	pm image exists sysrec-e2e/bb:1 || pm import "$work/bb-rootfs.tar" sysrec-e2e/bb:1 >/dev/null 2>"$work/pm/import.err" ||
		{ pm_why="podman import failed: $(tail -1 "$work/pm/import.err")"; return 1; }
	podman "${pm_opts[@]}" system service --time=0 "unix://$pm_sock" >"$work/pm/log" 2>&1 &
	pm_pid=$!
	exit_hooks+=(podman_down)
	wait_for 20 test -S "$pm_sock" || { pm_why="podman system service did not listen: $(tail -2 "$work/pm/log")"; return 1; }
}

podman_down() {
	[ -n "${pm_pid:-}" ] || return 0
	pm rm -af -t 0 >/dev/null 2>&1
	kill "$pm_pid" 2>/dev/null
	wait "$pm_pid" 2>/dev/null
	pm_pid=
	awk -v d="$work/pm/" 'index($2, d) == 1 { print $2 }' /proc/mounts | sort -r | xargs -r -n1 umount -l 2>/dev/null
	true
}

# Run a podman container NAME doing COMMAND (options such as labels after);
# on failure, say why on stdout.
pm_run() { # name command [podman run options]...
	local name=$1 cmd=$2
	shift 2
	pm run -d --name "$name" --network none --ulimit nofile=1024:1024 \
		--ulimit nproc=1024:1024 "$@" sysrec-e2e/bb:1 sh -c "$cmd" >/dev/null 2>"$work/pm/run.err" ||
		{ echo "podman run $name: $(tail -1 "$work/pm/run.err")"; return 1; }
}

# `sysrec record -w` asks podman's API about its containers: sysrec read
# shows each one's id, name, image, type podman, pod and namespace from its
# labels; sysdig reads the file; a rule on container.name and one on
# k8s.ns.name fire on each of its opens. `record --container pm-one` then records
# only that container's events, not those of pm-two doing the same.
check_record_podman() {
	local problem="" rpid id got out
	can_record "$1" || return
	podman_up || { skipped "$1" "$pm_why"; return; }
	pm rm -f -t 0 pm-web pm-one pm-two >/dev/null 2>&1
	"$bin" record -w "$work/pm.scap" --podman-socket "$pm_sock" --docker-socket "" --containerd-socket "" --stats 2>"$work/pm.err" &
	rpid=$!
	wait_for 10 grep -q 'recording (' "$work/pm.err"
	out=$(pm_run pm-web "$(dk_opens 5)" -l io.kubernetes.pod.name=pm-0 -l io.kubernetes.pod.namespace=ns-p) ||
		problem="$problem $out;"
	id=$(pm inspect -f '{{.Id}}' pm-web | cut -c1-12)
	wait_for 10 exited_container pm-web
	kill -INT "$rpid"
	stop_wait "$rpid" "$1 (sysrec record)" || problem="$problem record failed: $(tail -2 "$work/pm.err");"
	grep -Eq "containers: [0-9]+ seen, 1 described by their runtime, [0-9]+ unknown to it, 0 not answered" "$work/pm.err" ||
		problem="$problem --stats: $(grep containers: "$work/pm.err");"
	got=$("$bin" read -r "$work/pm.scap" -p '%container.id %container.name %container.image %container.type %k8s.pod.name %k8s.ns.name' \
		'evt.type=openat and fd.name=/etc/hostname and container.id!=host' 2>&1 | sort -u)
	[ "$got" = "$id pm-web localhost/sysrec-e2e/bb:1 podman pm-0 ns-p" ] ||
		problem="$problem sysrec read shows '$(echo "$got" | tr '\n' '|')';"
	sysdig -r "$work/pm.scap" -p %evt.num >/dev/null 2>"$work/pm.sd.err" || problem="$problem sysdig cannot read it: $(head -2 "$work/pm.sd.err");"
	# one rule at a time (Falco alerts the first rule an event matches)
	got=$(ct_rules "$work/pm.scap" pm-web ns-none 2>&1)$'\n'$(ct_rules "$work/pm.scap" none ns-p 2>&1)
	[ "$got" = $'by-name pm-web ns-p 5\nby-namespace pm-web ns-p 5' ] ||
		problem="$problem the rules' alerts: '$(echo "$got" | tr '\n' '|')';"
	out=$(pm_run pm-one "$(dk_opens 40)" && pm_run pm-two "$(dk_opens 40)") || problem="$problem $out;"
	id=$(pm inspect -f '{{.Id}}' pm-one | cut -c1-12)
	out=$("$bin" record -w "$work/pm-one.scap" --container pm-one --podman-socket "$pm_sock" --docker-socket "" --containerd-socket "" -M 2 2>&1) ||
		problem="$problem record --container pm-one failed: $out;"
	got=$("$bin" read -r "$work/pm-one.scap" -p '%container.id %container.name' 'container.id!=host and evt.type!=container' 2>&1 | sort -u)
	[ "$got" = "$id pm-one" ] || problem="$problem record --container pm-one: the events' containers are '$(echo "$got" | tr '\n' '|')';"
	pm rm -f -t 0 pm-web pm-one pm-two >/dev/null 2>&1
	if [ -n "$problem" ]; then
		bad "$1" "$problem"
	else
		ok "$1 (name, image, pod, namespace in sysrec read; rules on container.name and k8s.ns.name; --container by name)"
	fi
}

exited_container() { # name
	[ "$(pm inspect -f '{{.State.Status}}' "$1" 2>/dev/null)" = exited ]
}
