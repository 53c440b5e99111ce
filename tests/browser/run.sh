#!/usr/bin/env bash
# browser: the web UI's Captures page in a real browser (Debian's chromium, driven by
# playwright-core) against a real agent. Needs root and eBPF like the agent e2e checks.
# usage: tests/browser/run.sh BUILD_DIR
#   captures.test.mjs against an agent (with one capture it interrupted, so in Error), then
#   disabled.test.mjs against the same data with captures switched off; prints one line
#   per check, then "browser: N passed, N failed, N skipped" for both; screenshots go to
#   BUILD_DIR/browser/ (fail-N.png when a check failed).
set -uo pipefail

build=${1:-build}
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
case $build in /*) ;; *) build=$root/$build ;; esac
bin=$build/sysrec

skip_all() { # why
	printf '  skip  browser: %s\n' "$1"
	echo "browser: 0 passed, 0 failed, 1 skipped"
	exit 0
}

if [ "$(id -u)" != 0 ] || [ ! -r /sys/kernel/btf/vmlinux ]; then
	skip_all "needs root and a kernel with BTF for the agent (CI runs it)"
fi
[ -x "$bin" ] || { echo "browser: no $bin" >&2; echo "browser: 0 passed, 1 failed, 0 skipped"; exit 1; }
command -v node >/dev/null || skip_all "node not installed (scripts/deps.sh)"
[ -x "${CHROMIUM:-/usr/bin/chromium}" ] || skip_all "no ${CHROMIUM:-/usr/bin/chromium} (scripts/deps.sh installs Debian's chromium)"
[ -d "$here/node_modules/playwright-core" ] || skip_all "no playwright-core in tests/browser/node_modules (scripts/deps.sh runs npm ci)"

work=$(mktemp -d)
agent_pid= docker_pid= inner_pid= cgdir=
# shellcheck disable=SC2317 # called by the trap
cleanup() {
	local p
	for p in $agent_pid $inner_pid $docker_pid; do
		kill "$p" 2>/dev/null
		wait "$p" 2>/dev/null
	done
	[ -z "$cgdir" ] || rmdir "$cgdir" 2>/dev/null
	rm -rf "$work"
}
trap cleanup EXIT

# A container the agent describes: a process in a cgroup named as Docker names
# a container's, and a stand-in for Docker's API (tests/e2e/fake-docker.py:
# the container web-1, image registry.local:5000/shop/web:2.1) the agent asks.
cid=$(od -An -tx1 -N32 /dev/urandom | tr -d ' \n')
cgdir=/sys/fs/cgroup/pids/docker/$cid
[ -d /sys/fs/cgroup/pids ] || cgdir=/sys/fs/cgroup/sysrec-browser-docker-$cid
if mkdir -p "$cgdir" 2>/dev/null; then
	python3 "$root/tests/e2e/fake-docker.py" "$work/docker.sock" "$cid" &
	docker_pid=$!
	sh -c "echo \$\$ >$cgdir/cgroup.procs && exec sh -c 'while :; do cat /etc/hostname >/dev/null; sleep 0.2; done'" &
	inner_pid=$!
	export SYSREC_CONTAINER_ID=${cid:0:12}
else
	cgdir=
fi

# a free port: ask the kernel for one
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
data=$work/data
# more options for the agent: its flight recorder keeps packets and the binaries run (captures are
# bundles with a pcapng and an artifacts part)
extra=(--docker-socket "$work/docker.sock" --podman-socket "" --packets true --artifacts-exec true)
start_agent() {
	"$bin" agent --data "$data" --listen "127.0.0.1:$port" --seconds 20 "${extra[@]}" >>"$work/agent.log" 2>&1 &
	agent_pid=$!
	for _ in $(seq 150); do
		[ -s "$data/token" ] && curl -s -o /dev/null "http://127.0.0.1:$port/api/status" && break
		kill -0 "$agent_pid" 2>/dev/null || break
		sleep 0.1
	done
	if ! [ -s "$data/token" ] || ! curl -s -o /dev/null "http://127.0.0.1:$port/api/status"; then
		echo "  FAIL  agent: did not start: $(tail -3 "$work/agent.log" | tr '\n' ' ')"
		echo "browser: 0 passed, 1 failed, 0 skipped"
		exit 1
	fi
}
start_agent
# A capture in the Error state, as a user meets one: the agent is killed while it records,
# and the next start marks the capture failed ("the agent stopped before ...").
auth="Authorization: Bearer $(cat "$data/token")"
if ! curl -sf -o /dev/null -H "$auth" -H 'Content-Type: application/json' \
	-d '{"name":"bt-killed","duration":30}' "http://127.0.0.1:$port/api/captures"; then
	echo "  FAIL  agent: POST /api/captures refused the capture to be interrupted"
	echo "browser: 0 passed, 1 failed, 0 skipped"
	exit 1
fi
kill -9 "$agent_pid"
wait "$agent_pid" 2>/dev/null
start_agent

mkdir -p "$build/browser"
rm -f "$build/browser"/fail-*.png # from an earlier run
total_p=0 total_f=0 total_s=0
run_checks() { # FILE.mjs: one node run; its lines shown, its counts added to the totals
	local out rc p f s
	out=$(SYSREC_URL="http://127.0.0.1:$port" SYSREC_TOKEN=$(cat "$data/token") SYSREC_BUILD=$build \
		SYSREC_ARTIFACTS=$build/browser CHROMIUM=${CHROMIUM:-/usr/bin/chromium} \
		node "$here/$1" 2>&1)
	rc=$?
	grep -v '^browser: ' <<<"$out"
	read -r p f s < <(sed -En 's/^browser: ([0-9]+) passed, ([0-9]+) failed, ([0-9]+) skipped$/\1 \2 \3/p' <<<"$out")
	if [ -z "$p" ]; then # it died before its summary
		p=0 f=1 s=0
		echo "  FAIL  $1: no summary (exit $rc)"
	elif [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
		f=1
		echo "  FAIL  $1: exit $rc"
	fi
	total_p=$((total_p + p)) total_f=$((total_f + f)) total_s=$((total_s + s))
}
stop_agent() {
	kill "$agent_pid" 2>/dev/null
	wait "$agent_pid" 2>/dev/null
	agent_pid=
}

run_checks captures.test.mjs
# The same data under an agent whose captures are switched off.
stop_agent
extra=(--captures-enabled false --docker-socket "" --podman-socket "")
start_agent
run_checks disabled.test.mjs
stop_agent
if [ "$total_f" -ne 0 ]; then
	echo "  agent log (last lines):"
	tail -5 "$work/agent.log" | sed 's/^/    /'
fi
echo "browser: $total_p passed, $total_f failed, $total_s skipped"
[ "$total_f" -eq 0 ]
