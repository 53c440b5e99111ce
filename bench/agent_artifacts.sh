#!/usr/bin/env bash
# The agent's artifacts (issue 25): what keeping the files written and the
# binaries run in the flight recorder costs the processes that make them.
#
#   bench/agent_artifacts.sh BUILD_DIR    (make bench and make bench-agent-artifacts run it as root)
#
# Loops (bench/loops.c), each under:
#   none       no recorder
#   agent      `sysrec agent` with its defaults (events only)
#   agent-art  `sysrec agent --artifacts-write PREFIX/ --artifacts-exec true`
#   record-art `sysrec record -w F --capture write=PREFIX/* --capture exec
#              --capture dir:D`: the same kinds kept by the one-off recorder
# fork: `loops fork N` (fork, execve /bin/true, wait: each exec read and held
# once per version of its binary); write: `loops write N PREFIX/f` (64-byte
# writes under the prefix: every byte kept); open: `loops open N` (nothing
# kept). RUNS interleaved rounds, the median of each; the ratio that matters
# is agent-art / agent. After the last agent-art round, its /api/status
# artifacts (records, bytes, drops) are reported.
#
# Prints a table and writes markdown to BUILD_DIR/bench/agent-artifacts-results.md.
# Environment: SYSREC (default BUILD_DIR/sysrec), RUNS (5), FORK_N (2000),
# WRITE_N (200000), OPEN_N (200000).
set -euo pipefail

if [[ $# -ne 1 ]]; then
	echo "usage: bench/agent_artifacts.sh BUILD_DIR" >&2
	exit 2
fi
BUILD=$1
OUT=$BUILD/bench
SYSREC=${SYSREC:-$BUILD/sysrec}
LOOPS=$OUT/loops
RUNS=${RUNS:-5}
FORK_N=${FORK_N:-2000}
WRITE_N=${WRITE_N:-200000}
OPEN_N=${OPEN_N:-200000}
DIR=$OUT/agent-art
MD=$OUT/agent-artifacts-results.md
PREFIX_DIR=/tmp/sysrec-bench-aa
PORT=$((30000 + RANDOM % 20000))

[[ -x $SYSREC ]] || { echo "bench: $SYSREC missing (run make)" >&2; exit 1; }
[[ -x $LOOPS ]] || { echo "bench: $LOOPS missing (make $LOOPS)" >&2; exit 1; }
[[ $(id -u) == 0 ]] || { echo "bench: recording needs root" >&2; exit 1; }
mkdir -p "$DIR" "$PREFIX_DIR"
REC_PID=
cleanup() {
	[[ -z $REC_PID ]] || kill -TERM "$REC_PID" 2>/dev/null || true
	rm -rf "$PREFIX_DIR" "$DIR"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Start a recorder and wait until it records; sets REC_PID.
start() { # RECORDER
	local i log=$DIR/$1.log ready
	REC_PID=
	rm -rf "$DIR/data" "$DIR/out" "$DIR/r.scap"
	case $1 in
	none) return 0 ;;
	agent) "$SYSREC" agent --data "$DIR/data" --listen "127.0.0.1:$PORT" >"$log" 2>&1 & ;;
	agent-art)
		"$SYSREC" agent --data "$DIR/data" --listen "127.0.0.1:$PORT" --artifacts-write "$PREFIX_DIR/" \
			--artifacts-exec true >"$log" 2>&1 &
		;;
	record-art)
		"$SYSREC" record -w "$DIR/r.scap" --capture "write=$PREFIX_DIR/*" --capture exec \
			--capture "dir:$DIR/out" --stats >"$log" 2>&1 &
		;;
	esac
	REC_PID=$!
	ready='recording'
	for ((i = 0; i < 400; i++)); do
		grep -q "$ready" "$log" && return 0
		kill -0 "$REC_PID" 2>/dev/null || { echo "bench: $1 failed: $(cat "$log")" >&2; exit 1; }
		sleep 0.05
	done
	echo "bench: $1 did not start: $(cat "$log")" >&2
	exit 1
}

stop() {
	[[ -n $REC_PID ]] || return 0
	kill -INT "$REC_PID"
	wait "$REC_PID" || true
	REC_PID=
}

status() { # the agent-art's artifacts, as one line
	curl -s -H "Authorization: Bearer $(cat "$DIR/data/token")" "http://127.0.0.1:$PORT/api/status" |
		python3 -c 'import json,sys
a = json.load(sys.stdin)["artifacts"]
k = a["kinds"]
print(",".join("%s:%d/%d/%d" % (n, v["total"], v["dropped"], v["unreadable"]) for n, v in sorted(k.items())),
      a["bytes"], a["max_bytes"], a["kernel"]["lost_records"])'
}

declare -A T
last_status=
echo "bench: fork $FORK_N, write $WRITE_N under $PREFIX_DIR, open $OPEN_N; $RUNS rounds of none, agent, agent-art, record-art"
for ((r = 1; r <= RUNS; r++)); do
	for rec in none agent agent-art record-art; do
		start "$rec"
		for loop in fork write open; do
			case $loop in
			fork) t=$("$LOOPS" fork "$FORK_N" | awk '{ print $4 }') ;;
			write) t=$("$LOOPS" write "$WRITE_N" "$PREFIX_DIR/f" | awk '{ print $4 }') ;;
			open) t=$("$LOOPS" open "$OPEN_N" | awk '{ print $4 }') ;;
			esac
			rm -f "$PREFIX_DIR/f"
			T[$loop-$rec]+="$t "
			printf '  round %d  %-10s %-5s %.3f s\n' "$r" "$rec" "$loop" "$t"
		done
		[[ $rec != agent-art ]] || last_status=$(status)
		stop
	done
done

python3 - "$MD" "$RUNS" "$FORK_N" "$WRITE_N" "$OPEN_N" "$last_status" \
	"$(git -C "$(dirname "$0")/.." rev-parse --short HEAD 2>/dev/null || echo '?')" \
	"${T[fork-none]}" "${T[fork-agent]}" "${T[fork-agent-art]}" "${T[fork-record-art]}" \
	"${T[write-none]}" "${T[write-agent]}" "${T[write-agent-art]}" "${T[write-record-art]}" \
	"${T[open-none]}" "${T[open-agent]}" "${T[open-agent-art]}" "${T[open-record-art]}" <<'EOF'
import os, platform, statistics, sys
md, runs, fn, wn, on, st, head = sys.argv[1:8]
t = sys.argv[8:]
med = lambda s: statistics.median(float(x) for x in s.split())
rows = []
for i, (name, n) in enumerate((("fork + execve /bin/true + wait", fn), ("write 64 B under the prefix", wn),
                               ("open + read + close", on))):
    none, agent, art, rec = (med(x) for x in t[4 * i:4 * i + 4])
    rows.append(f"| {name} | {n} | {none:.3f} s | {agent:.3f} s ({agent / none:.2f}x) | {art:.3f} s "
                f"({art / none:.2f}x) | {rec:.3f} s ({rec / none:.2f}x) | {art / agent:.3f} |")
kinds, held, mx, lost = st.rsplit(" ", 3) if st.count(" ") >= 3 else (st, "?", "?", "?")
out = ["# sysrec agent artifact benchmark results", "",
       f"Machine: {platform.machine()}, {os.cpu_count()} CPUs, {platform.platform()}. Tree at {head}; "
       f"medians of {runs} interleaved rounds.", "",
       "| loop | iterations | no recorder | agent | agent + artifacts | record + artifacts | "
       "agent + artifacts / agent |", "|---|---|---|---|---|---|---|"] + rows + ["",
       f"The last agent + artifacts round's status: records taken/dropped/unreadable per kind {kinds}; "
       f"{held} of {mx} bytes held; {lost} records lost in the kernel."]
open(md, "w").write("\n".join(out) + "\n")
print("\n".join(out[4:]))
print(f"\nwritten: {md}")
EOF
