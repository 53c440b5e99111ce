# Sourced by run.sh: real container runtimes for the container checks
# (docker.sh, containerd.sh). Each daemon is started once, on demand, by the
# first check that needs it, with its state under $work and its socket there
# (never the host's /var/run/docker.sock), and stopped when the suite ends.
# Images are made locally from Debian's busybox-static: no registry is needed.

# The root filesystem of the test image, a tar of busybox and its applets
# (made once): $work/bb-rootfs.tar. False when busybox-static is missing.
bb_rootfs_tar() {
	local r=$work/bb-rootfs a
	[ -f "$work/bb-rootfs.tar" ] && return
	[ -x /bin/busybox ] && file_is_static /bin/busybox || return 1
	mkdir -p "$r/bin" "$r/etc" "$r/tmp" "$r/proc" "$r/sys" "$r/dev"
	cp /bin/busybox "$r/bin/busybox"
	for a in sh cat head sleep echo ls true wget nc ip hostname; do ln -sf busybox "$r/bin/$a"; done
	echo "root:x:0:0:root:/:/bin/sh" >"$r/etc/passwd"
	tar -C "$r" -cf "$work/bb-rootfs.tar" .
}

# Whether FILE is a static executable (busybox from busybox-static, not a
# dynamic busybox that would need the host's libraries in the container).
file_is_static() { # file
	! LC_ALL=C readelf -l "$1" 2>/dev/null | grep -q 'INTERP'
}

# ------------------------------------------------------------------- Docker

# Docker's client on the suite's daemon (Debian's /usr/bin/docker: a newer
# client may sit first in PATH).
dk() { /usr/bin/docker -H "unix://$dk_sock" "$@"; }

# Start dockerd once (--live-restore: its containers outlive it, for the
# check that stops it mid-recording) and import the test image
# sysrec-e2e/bb:1. Sets dk_sock. False (reason in dk_why) when it cannot run.
dockerd_up() {
	dk_sock=$work/dk/docker.sock
	[ -n "${dk_pid:-}" ] && [ -S "$dk_sock" ] && dk version >/dev/null 2>&1 && return
	[ -x /usr/sbin/dockerd ] && [ -x /usr/bin/docker ] || { dk_why="no /usr/sbin/dockerd (Debian's docker.io)"; return 1; }
	bb_rootfs_tar || { dk_why="no static /bin/busybox (busybox-static)"; return 1; }
	mkdir -p "$work/dk"
	/usr/sbin/dockerd --data-root "$work/dk/data" --exec-root "$work/dk/x" -H "unix://$dk_sock" \
		--pidfile "$work/dk/docker.pid" --iptables=false --ip-masq=false --bridge=none --live-restore \
		>"$work/dk/log" 2>&1 &
	dk_pid=$!
	exit_hooks+=(dockerd_down)
	if ! wait_for 30 dk_answers; then
		dk_why="dockerd did not answer in 30 s: $(tail -2 "$work/dk/log" | tr '\n' ' ')"
		dockerd_down
		return 1
	fi
	dk image inspect sysrec-e2e/bb:1 >/dev/null 2>&1 || dk import "$work/bb-rootfs.tar" sysrec-e2e/bb:1 >/dev/null ||
		{ dk_why="docker import failed"; return 1; }
	dk network inspect sysrec-e2e >/dev/null 2>&1 ||
		dk network create --subnet 10.231.0.0/24 sysrec-e2e >/dev/null || { dk_why="docker network create failed"; return 1; }
}

dk_answers() { dk version >/dev/null 2>&1; }

# Stop the suite's dockerd, its containers with it.
dockerd_down() {
	[ -n "${dk_pid:-}" ] || return 0
	if kill -0 "$dk_pid" 2>/dev/null; then
		dk rm -f $(dk ps -aq) >/dev/null 2>&1
		dk network rm sysrec-e2e >/dev/null 2>&1
	fi
	kill "$dk_pid" 2>/dev/null
	wait_for 20 exited "$dk_pid" || kill -KILL "$dk_pid" 2>/dev/null
	wait "$dk_pid" 2>/dev/null
	dk_pid=
	# containers kept running by --live-restore: their shims and processes
	pkill -f "containerd-shim.*$work/dk" 2>/dev/null
	# what dockerd mounted under $work (its data root bound on itself, overlays, netns), deepest first
	awk -v d="$work/dk/" 'index($2, d) == 1 { print $2 }' /proc/mounts | sort -r | xargs -r -n1 umount -l 2>/dev/null
	true
}

# The full id of the container named NAME.
dk_id() { # name
	dk inspect -f '{{.Id}}' "$1"
}

# What READER (sysdig or sysrec) shows of FILE with format FMT for FILTER, one line each, sorted, unique.
ct_show() { # reader file fmt filter
	if [ "$1" = sysdig ]; then
		sysdig -r "$2" -p "$3" "$4" 2>&1 | sort -u
	else
		"$bin" read -r "$2" -p "$3" "$4" 2>&1 | sort -u
	fi
}

# Replay CAPTURE through two rules on the opens of /etc/hostname: one on
# container.name=NAME, one on k8s.ns.name=NS. Prints, per rule and container,
# "by-name|by-namespace CONTAINER NAMESPACE ALERTS", sorted; false when the
# replay fails (its error on stderr).
ct_rules() { # capture name ns
	local rules=$work/ct-rules.yaml
	cat >"$rules" <<YAML
- rule: a container opens hostname
  desc: a rule on container.name
  condition: evt.type=openat and evt.dir=< and fd.name=/etc/hostname and container.name=$2
  output: "by-name %container.name %k8s.ns.name"
  priority: WARNING
- rule: a namespace opens hostname
  desc: a rule on k8s.ns.name
  condition: evt.type=openat and evt.dir=< and fd.name=/etc/hostname and k8s.ns.name=$3
  output: "by-namespace %container.name %k8s.ns.name"
  priority: WARNING
YAML
	"$bin" rules replay -r "$rules" --rate 0 "$1" >"$work/ct-alerts" 2>"$work/ct-alerts.err" ||
		{ head -2 "$work/ct-alerts.err" >&2; return 1; }
	grep -o 'by-[a-z]* .*' "$work/ct-alerts" | sort | uniq -c | awk '{ print $2, $3, $4, $1 }'
}
