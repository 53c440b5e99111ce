#!/usr/bin/env bash
# Soak (issue 19): does the agent's memory stay flat under API load once its
# flight recorder is full?
#
#   bench/soak.sh BUILD_DIR      (make bench runs it; make bench-soak alone; as root)
#
# The agent runs with its defaults (--max-memory 256MiB, --seconds 30) while
# two writers (`loops pace`, write(2) to /dev/null) keep SOAK_RATE events/s
# coming. Warm-up: until the recorder has let its oldest segment go twice (it
# is at its memory or history bound; at most 90 s). Then SOAK_ROUNDS rounds of SOAK_SECS seconds, each
# with SOAK_CLIENTS concurrent keep-alive API clients (bench/soak_clients.py:
# status, lists, searches, metrics, 401s, 404s) and one capture of 2 s before
# and 1 s after, with SOAK_PAUSE seconds of quiet between rounds. The agent's
# RSS (VmRSS) is sampled every second.
#
# Reported: RSS after warm-up, at the end of each round and its peak; the
# growth from the end of round 1 to the end of the last round (what a leak
# would show: rounds after the first reuse what the first allocated), and the
# curve every 5 s. Markdown in BUILD_DIR/bench/soak-results.md, samples in
# BUILD_DIR/bench/soak-rss.tsv.
#
# Environment: SYSREC (default BUILD_DIR/sysrec); SOAK_ROUNDS (6), SOAK_SECS
# (25), SOAK_CLIENTS (200), SOAK_PAUSE (5), SOAK_RATE (200000); BENCH_QUICK=1
# for a short smoke run (2 rounds of 8 s, 50 clients).
set -euo pipefail

if [[ $# -ne 1 ]]; then
	echo "usage: bench/soak.sh BUILD_DIR" >&2
	exit 2
fi
BUILD=$1
OUT=$BUILD/bench
SYSREC=${SYSREC:-$BUILD/sysrec}
LOOPS=$OUT/loops
DIR=$OUT/soak
TSV=$OUT/soak-rss.tsv
MD=$OUT/soak-results.md
HERE=$(cd "$(dirname "$0")" && pwd)

QUICK=${BENCH_QUICK:-0}
q() { if [[ $QUICK == 1 ]]; then echo "$1"; else echo "$2"; fi; }
ROUNDS=${SOAK_ROUNDS:-$(q 2 6)}
SECS=${SOAK_SECS:-$(q 8 25)}
CLIENTS=${SOAK_CLIENTS:-$(q 50 200)}
PAUSE=${SOAK_PAUSE:-5}
RATE=${SOAK_RATE:-200000}

[[ -x $SYSREC ]] || { echo "bench: $SYSREC missing (run make)" >&2; exit 1; }
[[ -x $LOOPS ]] || { echo "bench: $LOOPS missing (make $LOOPS)" >&2; exit 1; }
[[ $(id -u) == 0 ]] || { echo "bench: the agent records with eBPF: run as root" >&2; exit 1; }

mkdir -p "$DIR"
PORT=$((20000 + RANDOM % 12000)) # below the ephemeral range the clients' connections use
URL=http://127.0.0.1:$PORT
DATA=$DIR/data
PID= SAMPLER= WPIDS=()
cleanup() {
	[[ -n $SAMPLER ]] && kill "$SAMPLER" 2>/dev/null
	((${#WPIDS[@]})) && kill "${WPIDS[@]}" 2>/dev/null
	if [[ -n $PID ]]; then
		kill -INT "$PID" 2>/dev/null || true
		wait "$PID" 2>/dev/null || true
	fi
	rm -rf "$DATA"
}
trap cleanup EXIT

api() { curl -sf -H "Authorization: Bearer $(cat "$DATA/token")" "$@"; }
jget() { python3 -c "import json,sys; j=json.load(sys.stdin); print($1)"; }
rss_kb() { awk '/^VmRSS:/ { print $2 }' "/proc/$PID/status"; }
phase() { echo "$1" >"$DIR/phase"; }

rm -rf "$DATA"
${SOAK_AGENT_ENV:+env $SOAK_AGENT_ENV} "$SYSREC" agent --data "$DATA" --listen "127.0.0.1:$PORT" >"$DIR/agent.log" 2>&1 &
PID=$!
for _ in $(seq 200); do
	[[ -s $DATA/token ]] && api "$URL/api/status" >/dev/null 2>&1 && break
	kill -0 "$PID" 2>/dev/null || { echo "bench: the agent failed: $(tail -3 "$DIR/agent.log")" >&2; exit 1; }
	sleep 0.05
done
TOKEN=$(cat "$DATA/token")

writers() { # SECS
	WPIDS=()
	for c in 0 1; do
		"$LOOPS" pace $((RATE / 2)) "$1" "$c" >/dev/null &
		WPIDS+=($!)
	done
}

# one sample a second: seconds since start, phase, RSS (KiB)
phase warmup
t0=$(date +%s.%N)
(while kill -0 "$PID" 2>/dev/null; do
	printf '%s\t%s\t%s\n' "$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.0f", b - a }')" \
		"$(cat "$DIR/phase")" "$(awk '/^VmRSS:/ { print $2 }' "/proc/$PID/status" 2>/dev/null || echo 0)"
	sleep 1
done) >"$TSV" &
SAMPLER=$!

total=$((90 + ROUNDS * (SECS + PAUSE) + 10))
writers "$total"
echo "soak: warming up (the recorder fills at $RATE events/s)"
# warm once the recorder has let its oldest segment go twice: its memory is at its bound
moved=0 oldest=
for _ in $(seq 90); do
	st=$(api "$URL/api/status")
	o=$(jget 'j["ring"].get("oldest_ns", 0)' <<<"$st")
	if [[ -n $oldest && $o != "$oldest" ]]; then moved=$((moved + 1)); fi
	oldest=$o
	((moved >= 2)) && break
	sleep 1
done
sleep 2
warm=$(rss_kb)
echo "soak: warm: RSS $((warm / 1024)) MiB, ring $(jget '"%.0f MiB, %.1f s" % (j["ring"]["bytes"] / 2**20, j["ring"]["seconds"])' <<<"$st")"

ends=() peaks=() lines=()
for r in $(seq "$ROUNDS"); do
	phase "round$r"
	before=$(rss_kb)
	api -X POST -d "{\"name\":\"soak-$r\",\"before\":2,\"after\":1}" "$URL/api/captures" >/dev/null || true
	res=$(python3 "$HERE/soak_clients.py" "$URL" "$TOKEN" "$CLIENTS" "$SECS")
	end=$(rss_kb)
	peak=$(awk -F'\t' -v p="round$r" '$2 == p && $3 > m { m = $3 } END { print m + 0 }' "$TSV")
	ends+=("$end")
	peaks+=("$peak")
	lines+=("| $r | $((before / 1024)) | $((peak / 1024)) | $((end / 1024)) | ${res#requests } |")
	echo "soak: round $r: RSS $((before / 1024)) -> $((end / 1024)) MiB (peak $((peak / 1024))), $res"
	phase "pause$r"
	sleep "$PAUSE"
done
phase done
kill "${WPIDS[@]}" 2>/dev/null || true
WPIDS=()
sleep 1
kill "$SAMPLER" 2>/dev/null || true
SAMPLER=
growth=$(((ends[ROUNDS - 1] - ends[0]) / 1024))
echo "soak: from the end of round 1 to the end of round $ROUNDS: ${growth} MiB ($((ends[0] / 1024)) -> $((ends[ROUNDS - 1] / 1024)))"

{
	echo "Agent defaults (--max-memory 256MiB, --seconds 30), writers at $RATE events/s throughout;"
	echo "$ROUNDS rounds of $SECS s with $CLIENTS keep-alive API clients and one capture each, ${PAUSE} s apart."
	echo "RSS after warm-up (recorder full): $((warm / 1024)) MiB."
	echo
	echo "| round | RSS at start (MiB) | peak (MiB) | at end (MiB) | answers |"
	echo "|---|---|---|---|---|"
	printf '%s\n' "${lines[@]}"
	echo
	echo "Growth from the end of round 1 to the end of round $ROUNDS: **${growth} MiB**."
	echo
	echo "RSS every 5 s (seconds since start: MiB, phase):"
	echo
	echo '```'
	awk -F'\t' 'NR % 5 == 1 { printf "%4d s %5d MiB  %s\n", $1, $3 / 1024, $2 }' "$TSV"
	echo '```'
} >"$MD"
echo "soak: results in $MD"
