#!/usr/bin/env bash
# Container runtime benchmark (issue 24): what asking Docker about every
# container costs the recording, under container churn.
#
#   bench/containers.sh BUILD_DIR    (make bench and make bench-containers run it as root)
#
# A Docker daemon of the benchmark's own (Debian's docker.io, state under
# BUILD_DIR/bench/ctr, image made from busybox-static) starts CHURN_RATE
# containers a second (`docker run --rm --network none IMAGE true`) for
# CHURN_S seconds, while `sysrec record -w F` runs with the runtime clients
#   off   --docker-socket "" --podman-socket "" --containerd-socket ""
#         (containers known by id only)
#   on    --docker-socket SOCK (podman's and containerd's default sockets too:
#         each container asked about)
# and `loops open OPEN_N` (open, read, close /etc/hostname) runs again and
# again. Reported for each: the median loop time, the recorder's CPU, events
# written and dropped, the containers started, seen and described. ROUNDS
# rounds, off and on interleaved. Target: on no slower than off (ratio of the
# median loop times within the noise, 1.05).
#
# Prints a table and writes markdown to BUILD_DIR/bench/containers-results.md.
# Environment: SYSREC (default BUILD_DIR/sysrec), ROUNDS (2), CHURN_S (60),
# CHURN_RATE (5), OPEN_N (100000).
set -euo pipefail

if [[ $# -ne 1 ]]; then
	echo "usage: bench/containers.sh BUILD_DIR" >&2
	exit 2
fi
BUILD=$1
OUT=$BUILD/bench
SYSREC=${SYSREC:-$BUILD/sysrec}
LOOPS=$OUT/loops
ROUNDS=${ROUNDS:-2}
CHURN_S=${CHURN_S:-60}
CHURN_RATE=${CHURN_RATE:-5}
OPEN_N=${OPEN_N:-100000}
DIR=$OUT/ctr
MD=$OUT/containers-results.md
SOCK=$DIR/docker.sock
IMAGE=sysrec-bench/bb:1
. "$(dirname "$0")/lib.sh"

[[ -x $SYSREC ]] || { echo "bench: $SYSREC missing (run make)" >&2; exit 1; }
[[ -x $LOOPS ]] || { echo "bench: $LOOPS missing (make $LOOPS)" >&2; exit 1; }
[[ $(id -u) == 0 ]] || { echo "bench: recording needs root" >&2; exit 1; }
[[ -x /usr/sbin/dockerd && -x /usr/bin/docker && -x /bin/busybox ]] ||
	{ echo "bench: needs docker.io and busybox-static (scripts/deps.sh)" >&2; exit 1; }
dk() { /usr/bin/docker -H "unix://$SOCK" "$@"; }

mkdir -p "$DIR"
DIR=$(cd "$DIR" && pwd) # dockerd's paths, and the socket's
SOCK=$DIR/docker.sock
REC_PID= DK_PID=
cleanup() {
	[[ -z $REC_PID ]] || kill -INT "$REC_PID" 2>/dev/null || true
	if [[ -n $DK_PID ]]; then
		dk rm -f $(dk ps -aq) >/dev/null 2>&1 || true
		kill "$DK_PID" 2>/dev/null || true
		wait "$DK_PID" 2>/dev/null || true
	fi
	awk -v d="$DIR/" 'index($2, d) == 1 { print $2 }' /proc/mounts | sort -r | xargs -r -n1 umount -l 2>/dev/null || true
	rm -rf "$DIR"/*.scap "$DIR/rootfs"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

/usr/sbin/dockerd --data-root "$DIR/data" --exec-root "$DIR/x" -H "unix://$SOCK" --pidfile "$DIR/docker.pid" \
	--iptables=false --ip-masq=false --bridge=none >"$DIR/dockerd.log" 2>&1 &
DK_PID=$!
for ((i = 0; i < 300; i++)); do
	dk version >/dev/null 2>&1 && break
	kill -0 "$DK_PID" 2>/dev/null || { echo "bench: dockerd failed: $(tail -2 "$DIR/dockerd.log")" >&2; exit 1; }
	sleep 0.1
done
if ! dk image inspect "$IMAGE" >/dev/null 2>&1; then
	rm -rf "$DIR/rootfs" && mkdir -p "$DIR/rootfs/bin"
	cp /bin/busybox "$DIR/rootfs/bin/" && ln -s busybox "$DIR/rootfs/bin/true"
	tar -C "$DIR/rootfs" -c . | dk import - "$IMAGE" >/dev/null
fi

# Start CHURN_RATE containers a second for CHURN_S seconds (in the background); their count in $DIR/started.
churn() {
	local n=0 end=$((${EPOCHREALTIME/./} + CHURN_S * 1000000)) gap
	gap=$(awk -v r="$CHURN_RATE" 'BEGIN { printf "%.3f", 1 / r }')
	while [[ ${EPOCHREALTIME/./} -lt $end ]]; do
		dk run --rm --network none "$IMAGE" true >/dev/null 2>&1 &
		n=$((n + 1))
		sleep "$gap"
	done
	wait
	echo "$n" >"$DIR/started"
}

start() { # MODE TAG
	local log=$DIR/$2.err i
	: >"$log"
	if [[ $1 == on ]]; then
		"$SYSREC" record -w "$DIR/$2.scap" --docker-socket "$SOCK" --stats 2>"$log" &
	else
		"$SYSREC" record -w "$DIR/$2.scap" --docker-socket "" --podman-socket "" --containerd-socket "" \
			--stats 2>"$log" &
	fi
	REC_PID=$!
	for ((i = 0; i < 400; i++)); do
		grep -q 'recording (' "$log" && return 0
		kill -0 "$REC_PID" 2>/dev/null || { echo "bench: record failed: $(cat "$log")" >&2; exit 1; }
		sleep 0.05
	done
	echo "bench: record did not start: $(cat "$log")" >&2
	exit 1
}

declare -A LOOP CPU EVENTS DROPS SEEN DESCRIBED STARTED
echo "bench: $ROUNDS rounds of off and on; each ${CHURN_S}s of $CHURN_RATE container starts a second, loops open $OPEN_N meanwhile"
for ((r = 1; r <= ROUNDS; r++)); do
	for mode in off on; do
		tag=$mode-$r
		start "$mode" "$tag"
		churn &
		cpid=$!
		times=()
		while kill -0 "$cpid" 2>/dev/null; do
			times+=("$("$LOOPS" open "$OPEN_N" | awk '{ print $4 }')")
		done
		wait "$cpid"
		cpu=$(cpu_ns "$REC_PID")
		kill -INT "$REC_PID"
		wait "$REC_PID" || { echo "bench: the recorder failed: $(tail -2 "$DIR/$tag.err")" >&2; exit 1; }
		REC_PID=
		t=$(printf '%s\n' "${times[@]}" | median)
		LOOP[$mode]+="$t "
		CPU[$mode]+="$(awk -v n="$cpu" 'BEGIN { printf "%.2f", n / 1e9 }') "
		EVENTS[$mode]+="$(sed -n 's/.*: \([0-9]*\) events written.*/\1/p' "$DIR/$tag.err") "
		DROPS[$mode]+="$(sed -n 's/.*events written, \([0-9]*\) dropped.*/\1/p' "$DIR/$tag.err") "
		# (no containers line with every runtime off)
		SEEN[$mode]+="$(sed -n 's/.*containers: \([0-9]*\) seen.*/\1/p' "$DIR/$tag.err" | grep . || echo -) "
		DESCRIBED[$mode]+="$(sed -n 's/.*seen, \([0-9]*\) described.*/\1/p' "$DIR/$tag.err" | grep . || echo -) "
		STARTED[$mode]+="$(cat "$DIR/started") "
		printf '  round %d  %-3s  loop %.3f s (median of %d)  recorder CPU %s s  started %s  seen %s  described %s\n' \
			"$r" "$mode" "$t" "${#times[@]}" "$(awk -v n="$cpu" 'BEGIN { printf "%.2f", n / 1e9 }')" \
			"$(cat "$DIR/started")" "$(echo "${SEEN[$mode]}" | awk '{ print $NF }')" \
			"$(echo "${DESCRIBED[$mode]}" | awk '{ print $NF }')"
		rm -f "$DIR/$tag.scap"
	done
done

off=$(echo "${LOOP[off]}" | tr ' ' '\n' | sed '/^$/d' | median)
on=$(echo "${LOOP[on]}" | tr ' ' '\n' | sed '/^$/d' | median)
ratio=$(awk -v a="$on" -v b="$off" 'BEGIN { printf "%.3f", a / b }')
{
	echo "| runtime clients | loop s (median per round) | recorder CPU s | events written | dropped | containers started | seen | described |"
	echo "|---|---|---|---|---|---|---|---|"
	for mode in off on; do
		echo "| $mode | ${LOOP[$mode]% } | ${CPU[$mode]% } | ${EVENTS[$mode]% } | ${DROPS[$mode]% } | ${STARTED[$mode]% } | ${SEEN[$mode]% } | ${DESCRIBED[$mode]% } |"
	done
	echo
	echo "on/off (median loop time): **$ratio**"
} | tee "$MD"
