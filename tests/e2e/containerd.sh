# Sourced by run.sh: containers of a real containerd asked over its own API
# (gRPC; issue 24). A standalone containerd from Debian's package is started
# once, by the first check that needs it, with its root, state and sockets
# under $work (never the host's /run/containerd/containerd.sock), the CRI
# plugin off, and stopped when the suite ends with what it runs. Its image
# is the busybox root filesystem of runtimes.sh as a docker-archive, which
# ctr imports: no registry is needed. Containers are run with ctr in the
# namespace k8s.io (cgroups /k8s.io/ID), labelled io.kubernetes.pod.name and
# io.kubernetes.pod.namespace to stand for pods. busybox's sh runs its
# applets through /proc/self/exe (proc.name "exe"): the checks select events
# by file, not proc.name.

CTD_IMAGE=docker.io/sysrec-e2e/bb:1

# ctr on the suite's containerd, in its namespace k8s.io (its standard input
# never the suite's: ctr run hands it to the container, which would eat cases.txt).
ctd() { ctr -a "$ctd_sock" -n k8s.io "$@" </dev/null; }
ctd_answers() { ctd version >/dev/null 2>&1; }

# The test image as a docker-archive (as `docker save` writes one): the
# busybox layer, its config (rootfs.diff_ids: the layer's sha256) and
# manifest.json naming sysrec-e2e/bb:1. $work/ctd/bb-image.tar.
ctd_image_archive() {
	local a=$work/ctd/image diff cfg
	[ -f "$work/ctd/bb-image.tar" ] && return
	mkdir -p "$a"
	cp "$work/bb-rootfs.tar" "$a/layer.tar"
	diff=$(sha256sum "$a/layer.tar" | cut -d' ' -f1)
	printf '{"architecture":"%s","os":"linux","config":{"Cmd":["/bin/sh"]},"rootfs":{"type":"layers","diff_ids":["sha256:%s"]}}' \
		"$(dpkg --print-architecture 2>/dev/null || echo amd64)" "$diff" >"$a/config.json"
	cfg=$(sha256sum "$a/config.json" | cut -d' ' -f1)
	mv "$a/config.json" "$a/$cfg.json"
	printf '[{"Config":"%s.json","RepoTags":["sysrec-e2e/bb:1"],"Layers":["layer.tar"]}]' "$cfg" >"$a/manifest.json"
	tar -C "$a" -cf "$work/ctd/bb-image.tar" manifest.json "$cfg.json" layer.tar
}

# Start containerd once and import the test image into k8s.io. Sets
# ctd_sock. False (reason in ctd_why) when it cannot run.
containerd_up() {
	ctd_sock=$work/ctd/containerd.sock
	[ -n "${ctd_pid:-}" ] && [ -S "$ctd_sock" ] && ctd_answers && return
	command -v containerd >/dev/null && command -v ctr >/dev/null ||
		{ ctd_why="no containerd or ctr (Debian's containerd)"; return 1; }
	bb_rootfs_tar || { ctd_why="no static /bin/busybox (busybox-static)"; return 1; }
	mkdir -p "$work/ctd"
	cat >"$work/ctd/config.toml" <<EOF
version = 2
root = "$work/ctd/root"
state = "$work/ctd/state"
disabled_plugins = ["io.containerd.grpc.v1.cri"]
[grpc]
  address = "$ctd_sock"
[ttrpc]
  address = "$ctd_sock.ttrpc"
EOF
	containerd --config "$work/ctd/config.toml" >"$work/ctd/log" 2>&1 &
	ctd_pid=$!
	exit_hooks+=(containerd_down)
	if ! wait_for 30 ctd_answers; then
		ctd_why="containerd did not answer in 30 s: $(tail -2 "$work/ctd/log" | tr '\n' ' ')"
		containerd_down
		return 1
	fi
	ctd_image_archive
	ctd images import "$work/ctd/bb-image.tar" >"$work/ctd/import.log" 2>&1 &&
		ctd images ls -q | grep -qx "$CTD_IMAGE" ||
		{ ctd_why="ctr images import failed: $(tail -1 "$work/ctd/import.log")"; return 1; }
}

# Stop the suite's containerd: its containers first (their tasks killed and
# removed, their rootfs unmounted), then the daemon, then any shim of its
# left (a shim's command line names the daemon's socket).
containerd_down() {
	local c p
	[ -n "${ctd_pid:-}" ] || return 0
	if kill -0 "$ctd_pid" 2>/dev/null; then
		for c in $(ctd containers ls -q 2>/dev/null); do
			ctd task kill -s SIGKILL "$c" >/dev/null 2>&1
			wait_for 5 ctd_task_gone_or_stopped "$c"
			ctd task rm -f "$c" >/dev/null 2>&1
			ctd containers rm "$c" >/dev/null 2>&1
		done
	fi
	kill "$ctd_pid" 2>/dev/null
	wait_for 20 exited "$ctd_pid" || kill -KILL "$ctd_pid" 2>/dev/null
	wait "$ctd_pid" 2>/dev/null
	ctd_pid=
	for p in $(pgrep -f -- "-address $ctd_sock( |$)" 2>/dev/null); do kill -KILL "$p" 2>/dev/null; done
	umount -l "$work"/ctd/state/io.containerd.runtime.v2.task/*/*/rootfs 2>/dev/null
	true
}

# The status of container ID's task (RUNNING, STOPPED, ...; "" without one).
ctd_task_status() { # id
	ctd task ls 2>/dev/null | awk -v id="$1" '$1 == id { print $3 }'
}
ctd_task_stopped() { # id
	[ "$(ctd_task_status "$1")" = STOPPED ]
}
ctd_task_gone_or_stopped() { # id
	local s
	s=$(ctd_task_status "$1")
	[ -z "$s" ] || [ "$s" = STOPPED ]
}

# Remove container ID (its task killed first).
ctd_rm() { # id
	ctd task kill -s SIGKILL "$1" >/dev/null 2>&1
	wait_for 10 ctd_task_gone_or_stopped "$1"
	ctd task rm -f "$1" >/dev/null 2>&1
	ctd containers rm "$1" >/dev/null 2>&1
}

# `sysrec record -w --containerd-socket` (Docker and podman not asked) while
# ctr runs a container in the namespace k8s.io with pod labels and a file
# bound read-only on /etc/hostname, which it opens five times (after 0.5 s:
# the answer is written as it comes, and opens before it would show the id
# only). sysdig -r and sysrec read both show, for those opens, the
# container's id, its name (the id: no io.kubernetes.container.name label),
# image, type containerd, pod and namespace; then its image's repository, tag
# and digest (the image's target in containerd), not privileged, and the
# bind mount; a rule on container.name and one on k8s.ns.name fire on each
# open. Then `record --container ID` (12 digits) of a privileged
# container records its opens only, not a host process's beside it, named
# and privileged.
check_record_containerd() {
	local id id2 rpid hpid problem="" fmt want got reader digest filter
	can_record "$1" || return
	containerd_up || { skipped "$1" "$ctd_why"; return; }
	id=$(od -An -tx1 -N32 /dev/urandom | tr -d ' \n')
	id2=$(od -An -tx1 -N32 /dev/urandom | tr -d ' \n')
	echo sysrec-ctd >"$work/ctd/hostname"
	digest=$(ctd images ls | awk -v n="$CTD_IMAGE" '$1 == n { print $3 }')
	"$bin" record -w "$work/ctd.scap" --containerd-socket "$ctd_sock" --docker-socket "" --podman-socket "" \
		--stats 2>"$work/ctd.err" &
	rpid=$!
	wait_for 10 grep -q 'recording (' "$work/ctd.err"
	if ! ctd run -d --label io.kubernetes.pod.name=pod-c --label io.kubernetes.pod.namespace=ns-c \
		--mount "type=bind,src=$work/ctd/hostname,dst=/etc/hostname,options=rbind:ro" "$CTD_IMAGE" "$id" \
		sh -c 'sleep 0.5; for i in 1 2 3 4 5; do cat /etc/hostname; sleep 0.2; done' >"$work/ctd/run.log" 2>&1; then
		kill -INT "$rpid"
		stop_wait "$rpid" "$1 (sysrec record)"
		skipped "$1" "ctr run failed: $(tail -1 "$work/ctd/run.log")"
		return
	fi
	wait_for 30 ctd_task_stopped "$id" || problem="$problem the container did not end: $(ctd_task_status "$id");"
	kill -INT "$rpid"
	stop_wait "$rpid" "$1 (sysrec record)" || problem="$problem record failed: $(tail -2 "$work/ctd.err");"
	ctd_rm "$id"
	# (other containers of the machine, if any run meanwhile, are unknown to this containerd)
	grep -Eq "containers: [0-9]+ seen, 1 described by their runtime, [0-9]+ unknown to it, 0 not answered" "$work/ctd.err" ||
		problem="$problem --stats: $(grep containers: "$work/ctd.err");"
	filter='evt.type=openat and fd.name=/etc/hostname and container.id!=host'
	fmt='%container.id %container.name %container.image %container.type %k8s.pod.name %k8s.ns.name'
	want="${id:0:12} ${id:0:12} $CTD_IMAGE containerd pod-c ns-c"
	for reader in sysdig sysrec; do
		got=$(ct_show $reader "$work/ctd.scap" "$fmt" "$filter")
		[ "$got" = "$want" ] || problem="$problem $reader shows '$(echo "$got" | head -3 | tr '\n' '|')', want '$want';"
	done
	# a rule on container.name, one on k8s.ns.name: one at a time (Falco alerts the first rule an event matches)
	got=$(ct_rules "$work/ctd.scap" "${id:0:12}" ns-none 2>&1)$'\n'$(ct_rules "$work/ctd.scap" none ns-c 2>&1)
	[ "$got" = "by-name ${id:0:12} ns-c 5"$'\n'"by-namespace ${id:0:12} ns-c 5" ] ||
		problem="$problem the rules' alerts: '$(echo "$got" | tr '\n' '|')';"
	fmt='%container.image.repository %container.image.tag %container.image.digest %container.privileged %container.mounts'
	want="docker.io/sysrec-e2e/bb 1 $digest false $work/ctd/hostname:/etc/hostname:ro:false:"
	for reader in sysdig sysrec; do
		got=$(ct_show $reader "$work/ctd.scap" "$fmt" "$filter")
		[ "$got" = "$want" ] || problem="$problem $reader shows '$(echo "$got" | head -3 | tr '\n' '|')', want '$want';"
	done
	# one container, by its id
	if ctd run -d --privileged --mount "type=bind,src=$work/ctd/hostname,dst=/etc/hostname,options=rbind:ro" \
		"$CTD_IMAGE" "$id2" sh -c 'while :; do cat /etc/hostname; sleep 0.1; done' >"$work/ctd/run2.log" 2>&1; then
		sh -c 'while :; do head -c 1 /etc/hostname >/dev/null; sleep 0.1; done' &
		hpid=$!
		got=$("$bin" record -w "$work/ctd-one.scap" --container "${id2:0:12}" --containerd-socket "$ctd_sock" \
			--docker-socket "" --podman-socket "" -M 2 2>&1) || problem="$problem record --container failed: $got;"
		kill "$hpid" 2>/dev/null
		wait "$hpid" 2>/dev/null
		ctd_rm "$id2"
		# its opens only (the first ones may come before containerd's answer: the id alone)
		want="${id2:0:12} ${id2:0:12} containerd true"
		for reader in sysdig sysrec; do
			got=$(ct_show $reader "$work/ctd-one.scap" '%container.id' 'evt.type=openat and fd.name=/etc/hostname')
			[ "$got" = "${id2:0:12}" ] || problem="$problem --container: $reader shows the opens of '$(echo "$got" | head -3 | tr '\n' '|')';"
			ct_show $reader "$work/ctd-one.scap" '%container.id %container.name %container.type %container.privileged' \
				'evt.type=openat and fd.name=/etc/hostname' | grep -qx "$want" ||
				problem="$problem --container: $reader shows no open as '$want';"
		done
	else
		problem="$problem ctr run --privileged failed: $(tail -1 "$work/ctd/run2.log");"
	fi
	if [ -n "$problem" ]; then
		bad "$1" "$problem"
	else
		ok "$1 (id, name, image, repository, tag, digest, type, pod, namespace, privileged, mounts in sysdig and sysrec read; rules on container.name and k8s.ns.name; --container)"
	fi
}
