#!/usr/bin/env bash
# Recording benchmarks (issue 3): what recording costs the workload, the highest
# event rate recorded with no drops, the recorder's CPU per event, its start-up.
#
#   bench/record.sh BUILD_DIR     (make bench runs it as `bench/record.sh build`, as root)
#
# (1) Slowdown of three workloads (BUILD_DIR/bench/loops, from bench/loops.c):
#     write (write(fd, buf, 64) to /dev/null), open (open + read + close of a
#     small file), fork (fork + execve /bin/true + waitpid), each with no
#     recorder, under `sysrec record -w F --stats` (system-wide), under
#     `perf trace -a -o F` (system-wide, like sysrec) and under
#     `strace -f -o F loops ...` (strace as the workload's parent). The time is
#     the workload's own loop time (CLOCK_MONOTONIC around the loop, printed by
#     loops), so the recorders' start-up is not counted and runs with fewer
#     iterations (perf trace, strace: divided by PERF_DIV_*, STRACE_DIV_*) compare
#     per iteration. Rounds are interleaved: each round runs every case once.
#     A system-wide recorder is started, awaited (sysrec: its "recording" line
#     with --stats; perf: its output file is written), the workload timed,
#     then the recorder stopped with SIGINT and its drops read.
#     The floor of any recorder built like sysrec is measured alongside
#     (SYSREC_BENCH_FLOOR, benchmarks only): sysrec's dispatchers attached to
#     sys_enter/sys_exit returning at once ("attached"), and writing each event
#     as a bare 26-byte header with its time, thread and code into the ring
#     ("bare events": the clock read and ring reserve/commit every event needs).
#     In the open loop, sysrec also runs with one event's arguments left out
#     (SYSREC_BENCH_BARE=code: that event written as a bare header): openat's
#     enter (306), openat's exit (307), read's exit and its data (7).
# (2) Event rate: two writers (`loops pace`, one per CPU, write(2) to /dev/null;
#     one syscall = 2 events) paced to a total target rate for RATE_SECS each
#     step, under `sysrec record --ring-mb 64 --stats`; events written and
#     dropped come from the --stats line. Then both writers flat out, with
#     write(2) and with getppid(2) (a cheap syscall recorded without arguments:
#     the most events the writers can make, to load the drain).
# (3) sysrec's CPU (utime + stime from /proc/PID/stat between "recording" and
#     SIGINT) per million events written, in the rate runs; and its start-up:
#     `loops probe` takes t0 (CLOCK_REALTIME), execs sysrec and opens
#     /sysrec-probe-TAG/<counter> every PROBE_US (1000) us (each probe is a
#     wakeup taken from the starting sysrec: at 100 us they added 30-40 ms on 2
#     CPUs); start-up = the earliest probe
#     event in the capture (%evt.rawtime) - t0.
#
# Prints tables and writes markdown to BUILD_DIR/bench/record-results.md; raw
# per-run data in BUILD_DIR/bench/record-raw.tsv, recorder logs in
# BUILD_DIR/bench/rec/.
#
# Environment: SYSREC (the binary under test, default BUILD_DIR/sysrec); PARTS
# (the parts to run, default "slow rate start"); BENCH_QUICK=1 (a ~30 s smoke
# run: fewer iterations, 1 round, 2 rate steps of 3 s); REC_RUNS (rounds, 5),
# STRACE_RUNS (3), PERF_RUNS (3), WRITE_N (2000000), OPEN_N (400000), FORK_N
# (2000), STRACE_DIV_WRITE (100), STRACE_DIV_OPEN (50), STRACE_DIV_FORK (4),
# PERF_DIV_WRITE (20), PERF_DIV_OPEN (10), PERF_DIV_FORK (2), RATE_STEPS
# (M events/s, "0.5 1 1.5 2 3 4"), RATE_SECS (10), RATE_RING_MB (64), RATE_NICE
# (the writers' nice level, 0), STARTUP_RUNS (5), PROBE_US (the start-up
# probe's interval, 1000), NO_PERF=1, NO_STRACE=1, FLOOR=0 (skip the floor runs),
# QUIET_WAIT (300: seconds to wait, before each measurement, for other tracers
# (sysrec, strace, perf trace/record) to end; they are reported if they do not).
set -euo pipefail

if [[ $# -ne 1 ]]; then
	echo "usage: bench/record.sh BUILD_DIR" >&2
	exit 2
fi
BUILD=$1
OUT=$BUILD/bench
SYSREC=${SYSREC:-$BUILD/sysrec}
LOOPS=$OUT/loops
REC=$OUT/rec
RAW=$OUT/record-raw.tsv

QUICK=${BENCH_QUICK:-0}
if [[ $QUICK == 1 ]]; then
	q() { echo "$1"; }
else
	q() { echo "$2"; }
fi
REC_RUNS=${REC_RUNS:-$(q 1 5)}
STRACE_RUNS=${STRACE_RUNS:-$(q 1 3)}
PERF_RUNS=${PERF_RUNS:-$(q 1 3)}
WRITE_N=${WRITE_N:-$(q 200000 2000000)}
OPEN_N=${OPEN_N:-$(q 40000 400000)}
FORK_N=${FORK_N:-$(q 200 2000)}
STRACE_DIV_WRITE=${STRACE_DIV_WRITE:-100}
STRACE_DIV_OPEN=${STRACE_DIV_OPEN:-50}
STRACE_DIV_FORK=${STRACE_DIV_FORK:-4}
PERF_DIV_WRITE=${PERF_DIV_WRITE:-20}
PERF_DIV_OPEN=${PERF_DIV_OPEN:-10}
PERF_DIV_FORK=${PERF_DIV_FORK:-2}
RATE_STEPS=${RATE_STEPS:-$(q "1 2" "0.5 1 1.5 2 3 4")}
RATE_SECS=${RATE_SECS:-$(q 3 10)}
RATE_RING_MB=${RATE_RING_MB:-64}
STARTUP_RUNS=${STARTUP_RUNS:-$(q 2 5)}
NO_PERF=${NO_PERF:-0}
NO_STRACE=${NO_STRACE:-0}
QUIET_WAIT=${QUIET_WAIT:-300}
RATE_NICE=${RATE_NICE:-0}
FLOOR=${FLOOR:-1}
PROBE_US=${PROBE_US:-1000}
PARTS=${PARTS:-slow rate start}

for tool in python3 awk; do
	command -v "$tool" >/dev/null || { echo "bench: $tool is required" >&2; exit 1; }
done
[[ $NO_STRACE == 1 ]] || command -v strace >/dev/null || { echo "bench: strace missing (NO_STRACE=1 skips it)" >&2; exit 1; }
[[ $NO_PERF == 1 ]] || command -v perf >/dev/null || { echo "bench: perf missing (NO_PERF=1 skips it)" >&2; exit 1; }
[[ -x $SYSREC ]] || { echo "bench: $SYSREC missing (run make)" >&2; exit 1; }
[[ -x $LOOPS ]] || { echo "bench: $LOOPS missing (make $LOOPS)" >&2; exit 1; }
[[ $(id -u) == 0 ]] || { echo "bench: recording needs root" >&2; exit 1; }

mkdir -p "$REC"
: >"$RAW"
SMALLFILE=$REC/small.txt
head -c 256 /dev/urandom | base64 >"$SMALLFILE"
CLK_TCK=$(getconf CLK_TCK)
NCPU=$(nproc)

# Other tracers make every syscall slower and would be counted against us: say so.
others() {
	{
		pgrep -a -x sysrec || true
		pgrep -a -x strace || true
		pgrep -a -f '^perf (trace|record)' || true
	} | tr '\n' ';'
}
# Before each measurement: wait up to QUIET_WAIT seconds for them to end, then
# go on and remember what was seen (reported with the results).
# QUIET is then 1 if none was running; clean() sets FLAG to "clean" if that
# still holds after a measurement (else "dirty": such runs are left out of the
# medians when the same case has clean runs).
OTHERS_SEEN=
QUIET=1
FLAG=clean
clean() {
	local o
	o=$(others)
	[[ -z $o ]] || { QUIET=0; [[ $OTHERS_SEEN == *"$o"* ]] || OTHERS_SEEN+="$o "; }
	FLAG=dirty
	((QUIET)) && FLAG=clean
	return 0
}
wait_quiet() {
	local o='' i
	QUIET=1
	for ((i = 0; i < QUIET_WAIT; i++)); do
		o=$(others)
		[[ -z $o ]] && return 0
		((i % 30 == 0)) && echo "bench: waiting for other tracers to end: $o" >&2
		sleep 1
	done
	echo "bench: WARNING: other tracers still running, timings will be off: $o" >&2
	QUIET=0
	[[ $OTHERS_SEEN == *"$o"* ]] || OTHERS_SEEN+="$o "
}

REC_PID=
cleanup() {
	if [[ -n $REC_PID ]]; then
		kill -INT "$REC_PID" 2>/dev/null || true
		wait "$REC_PID" 2>/dev/null || true
	fi
}
trap cleanup EXIT

# Loop time (s) printed by loops: "MODE N iterations T s".
loop_time() { awk '/ iterations / { print $4 }' "$1"; }

# sysrec record in the background; returns when it says it is recording.
start_sysrec() { # FILE ERRLOG [ARGS...]
	local file=$1 log=$2 i
	shift 2
	rm -f "$file"
	"$SYSREC" record -w "$file" --stats "$@" 2>"$log" &
	REC_PID=$!
	for ((i = 0; i < 300; i++)); do
		grep -q '^sysrec record: recording' "$log" && break
		kill -0 "$REC_PID" 2>/dev/null || { echo "bench: sysrec record failed: $(cat "$log")" >&2; exit 1; }
		sleep 0.05
	done
	grep -q '^sysrec record: recording' "$log" || { echo "bench: sysrec did not start" >&2; exit 1; }
	sleep 0.3 # let the first drains settle
}

# Stop it; sets STATS to "written dropped ring big busy disk" from its --stats line.
STATS=
stop_sysrec() { # ERRLOG
	local log=$1 rc=0
	kill -INT "$REC_PID"
	wait "$REC_PID" || rc=$?
	REC_PID=
	[[ $rc == 0 ]] || { echo "bench: sysrec record exited with $rc: $(cat "$log")" >&2; exit 1; }
	STATS=$(sed -n 's/^sysrec record: \([0-9]*\) events written, \([0-9]*\) dropped (ring full \([0-9]*\), too large \([0-9]*\), tracepoint busy \([0-9]*\), disk behind \([0-9]*\)).*/\1 \2 \3 \4 \5 \6/p' "$log")
	[[ -n $STATS ]] || { echo "bench: no --stats line from sysrec: $(cat "$log")" >&2; exit 1; }
}

# shellcheck source=bench/lib.sh
. "$(dirname "$0")/lib.sh"

# Drop the capture and its dirty pages before the next timing.
scrap() {
	rm -f "$@"
	sync
}

workload_args() { # WORKLOAD DIVISOR
	case $1 in
	write) echo "write $((WRITE_N / $2))" ;;
	open) echo "open $((OPEN_N / $2)) $SMALLFILE" ;;
	fork) echo "fork $((FORK_N / $2))" ;;
	esac
}

div_of() { # TOOL WORKLOAD
	local v=${1^^}_DIV_${2^^}
	echo "${!v}"
}

# ---------------------------------------------------------------- (1) slowdown
echo "bench: (1) slowdown: write $WRITE_N, open $OPEN_N, fork $FORK_N iterations; $REC_RUNS rounds" \
	"(perf trace $PERF_RUNS, strace $STRACE_RUNS, with fewer iterations)"
[[ " $PARTS " == *" slow "* ]] || REC_RUNS=0
for ((run = 1; run <= REC_RUNS; run++)); do
	for w in write open fork; do
		wait_quiet
		read -r -a args <<<"$(workload_args "$w" 1)"

		# no recorder
		"$LOOPS" "${args[@]}" >"$REC/out"
		t=$(loop_time "$REC/out")
		clean
		printf 'slow\t%s\t%s\tnone\t%s\t%s\t%s\n' "$FLAG" "$w" "$run" "${args[1]}" "$t" >>"$RAW"
		echo "  $w run $run: none ${t}s"

		# sysrec, system-wide, default ring
		start_sysrec "$REC/w.scap" "$REC/sysrec-$w-$run.err"
		"$LOOPS" "${args[@]}" >"$REC/out"
		t=$(loop_time "$REC/out")
		stop_sysrec "$REC/sysrec-$w-$run.err"
		read -r written dropped ring big busy disk <<<"$STATS"
		scrap "$REC/w.scap"
		clean
		printf 'slow\t%s\t%s\tsysrec\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$FLAG" "$w" "$run" "${args[1]}" "$t" \
			"$written" "$dropped" "$ring" "$big" "$busy" "$disk" >>"$RAW"
		echo "  $w run $run: sysrec ${t}s ($written written, $dropped dropped)"

		# the recording floor: sysrec's programs attached doing nothing (1), writing bare headers (2)
		if [[ $FLOOR == 1 ]]; then
			for mode in 1 2; do
				SYSREC_BENCH_FLOOR=$mode start_sysrec "$REC/w.scap" "$REC/floor$mode-$w-$run.err"
				"$LOOPS" "${args[@]}" >"$REC/out"
				t=$(loop_time "$REC/out")
				stop_sysrec "$REC/floor$mode-$w-$run.err"
				scrap "$REC/w.scap"
				clean
				printf 'slow\t%s\t%s\tfloor%s\t%s\t%s\t%s\n' "$FLAG" "$w" "$mode" "$run" "${args[1]}" "$t" >>"$RAW"
				echo "  $w run $run: floor $mode ${t}s"
			done
			# the open loop's arguments: openat's (enter, exit) and read's data, each left out in turn
			[[ $w == open ]] && for codes in 306 307 7; do
				SYSREC_BENCH_BARE=$codes start_sysrec "$REC/w.scap" "$REC/bare$codes-$w-$run.err"
				"$LOOPS" "${args[@]}" >"$REC/out"
				t=$(loop_time "$REC/out")
				stop_sysrec "$REC/bare$codes-$w-$run.err"
				scrap "$REC/w.scap"
				clean
				printf 'slow\t%s\t%s\tbare%s\t%s\t%s\t%s\n' "$FLAG" "$w" "$codes" "$run" "${args[1]}" "$t" >>"$RAW"
				echo "  $w run $run: sysrec with code $codes bare ${t}s"
			done
		fi

		# perf trace, system-wide
		if [[ $NO_PERF != 1 && $run -le $PERF_RUNS ]]; then
			read -r -a pargs <<<"$(workload_args "$w" "$(div_of perf "$w")")"
			rm -f "$REC/perf.txt"
			perf trace -a -o "$REC/perf.txt" 2>"$REC/perf-$w-$run.err" &
			REC_PID=$!
			for ((i = 0; i < 400; i++)); do
				[[ -s $REC/perf.txt ]] && break
				sleep 0.05
			done
			sleep 1
			"$LOOPS" "${pargs[@]}" >"$REC/out"
			t=$(loop_time "$REC/out")
			kill -INT "$REC_PID"
			wait "$REC_PID" || true
			REC_PID=
			lost=$({ grep -o 'LOST [0-9]* events' "$REC/perf.txt" || true; } | awk '{ n += $2 } END { print n + 0 }')
			lines=$(grep -c ' loops/' "$REC/perf.txt" || true)
			scrap "$REC/perf.txt"
			clean
			printf 'slow\t%s\t%s\tperf\t%s\t%s\t%s\t%s\t%s\n' "$FLAG" "$w" "$run" "${pargs[1]}" "$t" "$lines" "$lost" >>"$RAW"
			echo "  $w run $run: perf trace ${t}s for ${pargs[1]} ($lines lines of loops, $lost lost)"
		fi

		# strace as the workload's parent
		if [[ $NO_STRACE != 1 && $run -le $STRACE_RUNS ]]; then
			read -r -a sargs <<<"$(workload_args "$w" "$(div_of strace "$w")")"
			strace -f -o "$REC/strace.txt" "$LOOPS" "${sargs[@]}" >"$REC/out"
			t=$(loop_time "$REC/out")
			lines=$(wc -l <"$REC/strace.txt")
			scrap "$REC/strace.txt"
			clean
			printf 'slow\t%s\t%s\tstrace\t%s\t%s\t%s\t%s\n' "$FLAG" "$w" "$run" "${sargs[1]}" "$t" "$lines" >>"$RAW"
			echo "  $w run $run: strace ${t}s for ${sargs[1]}"
		fi
	done
done

# ---------------------------------------------------------------- (2) + (3) rate, CPU
echo "bench: (2) event rate: 2 writers (nice $RATE_NICE), steps (M events/s) $RATE_STEPS and flat out, $RATE_SECS s each, --ring-mb $RATE_RING_MB"
ITEMS="$RATE_STEPS 0 0:getppid"
[[ " $PARTS " == *" rate "* ]] || ITEMS=
for item in $ITEMS; do
	wait_quiet
	target=${item%%:*} sc=write
	[[ $item == *:* ]] && sc=${item#*:}
	per=$(awk -v t="$target" -v n="$NCPU" 'BEGIN { printf "%.0f", t * 1e6 / (n < 2 ? 1 : 2) }')
	log=$REC/rate-$target-$sc.err
	start_sysrec "$REC/r.scap" "$log" --ring-mb "$RATE_RING_MB"
	c0=$(cpu_ticks "$REC_PID")
	w0=$EPOCHREALTIME
	pids=()
	for ((c = 0; c < 2; c++)); do
		nice -n "$RATE_NICE" "$LOOPS" pace "$per" "$RATE_SECS" $((c % NCPU)) "$sc" >"$REC/pace-$c.out" &
		pids+=($!)
	done
	wait "${pids[@]}"
	w1=$EPOCHREALTIME
	c1=$(cpu_ticks "$REC_PID")
	stop_sysrec "$log"
	read -r written dropped ring big busy disk <<<"$STATS"
	size=$(stat -c %s "$REC/r.scap")
	scrap "$REC/r.scap"
	wev=$(awk '{ n += $(NF - 6) } END { print n }' "$REC"/pace-*.out)
	wsec=$(awk '{ if ($(NF - 3) > m) m = $(NF - 3) } END { print m }' "$REC"/pace-*.out)
	clean
	printf 'rate\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$FLAG" "$target" "$wev" "$wsec" \
		"$written" "$dropped" "$ring" "$big" "$busy" "$disk" "$((c1 - c0))" "$CLK_TCK" \
		"$(awk -v a="$w0" -v b="$w1" 'BEGIN { print b - a }')" "$size" "$sc" >>"$RAW"
	echo "  target $target M/s ($sc): writers $wev events in ${wsec}s; $written written, $dropped dropped" \
		"(ring $ring, big $big, busy $busy, disk $disk); sysrec CPU $((c1 - c0)) ticks"
done

# ---------------------------------------------------------------- (3) start-up
echo "bench: (3) start-up, $STARTUP_RUNS runs"
READER=sysrec
[[ " $PARTS " == *" start "* ]] || STARTUP_RUNS=0
for ((run = 1; run <= STARTUP_RUNS; run++)); do
	wait_quiet
	tag=/sysrec-probe-$$-$run
	rm -f "$REC/p.scap"
	PROBE_US=$PROBE_US "$LOOPS" probe 2 "$tag" "$SYSREC" record -w "$REC/p.scap" >"$REC/probe.out" 2>"$REC/probe-$run.err"
	t0=$(awk '/^probe t0/ { print $3 }' "$REC/probe.out")
	fmt='%evt.rawtime %evt.type %evt.args'
	if ! "$SYSREC" read -r "$REC/p.scap" -p "$fmt" >"$REC/p.txt" 2>"$REC/p-read.err"; then
		# fall back to sysdig when sysrec cannot read the capture
		echo "  sysrec read failed ($(cat "$REC/p-read.err")); reading with sysdig" >&2
		READER=sysdig
		sysdig -r "$REC/p.scap" -p "$fmt" >"$REC/p.txt"
	fi
	first=$(awk -v tag="$tag/" 'index($0, tag) { if (m == "" || $1 < m) m = $1 } END { print m }' "$REC/p.txt")
	n=$(grep -c -F "$tag/" "$REC/p.txt" || true)
	scrap "$REC/p.scap" "$REC/p.txt"
	[[ -n $first ]] || { echo "bench: no probe event recorded" >&2; exit 1; }
	clean
	printf 'start\t%s\t%s\t%s\t%s\t%s\n' "$FLAG" "$run" "$t0" "$first" "$n" >>"$RAW"
	echo "  run $run: t0 $t0, first probe event $first ($n probe events)"
done

python3 - "$OUT" "$RAW" "$QUICK" "$RATE_SECS" "$RATE_RING_MB" "$READER" "$OTHERS_SEEN" "$SYSREC" "$RATE_NICE" <<'EOF'
import os, platform, statistics, sys

out, raw, quick, rate_secs, ring_mb, reader, others, sysrec, rate_nice = sys.argv[1:10]
med = statistics.median
slow, rates, starts = {}, [], []
dirty = 0
for line in open(raw):
    f = line.rstrip("\n").split("\t")
    kind, flag, f = f[0], f[1], f[2:]
    dirty += flag != "clean"
    if kind == "slow":
        slow.setdefault((f[0], f[1]), []).append((flag, f[2:]))
    elif kind == "rate":
        rates.append((flag, f))
    elif kind == "start":
        starts.append((flag, f))

def prefer_clean(rs):
    """runs measured while another tracer ran are used only when no clean run exists"""
    c = [r for flag, r in rs if flag == "clean"]
    return c or [r for _, r in rs]

slow = {k: prefer_clean(v) for k, v in slow.items()}
starts = prefer_clean(starts)
# rate steps are one run each: keep them all, marking the dirty ones
rates = [r + [flag] for flag, r in rates]

def per_iter(w, tool):
    rs = slow.get((w, tool))
    if not rs:
        return None, 0, ""
    return med(float(r[2]) / int(r[1]) for r in rs), len(rs), rs[0][1]

def table(head, body):
    widths = [max(len(str(x)) for x in col) for col in zip(head, *body)]
    line = lambda cells: "  ".join(str(c).ljust(w) for c, w in zip(cells, widths)).rstrip()
    txt = [line(head), line(["-" * w for w in widths])] + [line(r) for r in body]
    md = ["| " + " | ".join(head) + " |", "|" + "|".join("---" for _ in head) + "|"]
    md += ["| " + " | ".join(str(c) for c in r) + " |" for r in body]
    return "\n".join(txt), "\n".join(md)

targets = {"write": 4.0, "open": 1.5, "fork": 1.1}
body1, met = [], {}
for w in ("write", "open", "fork"):
    base, nb, iters = per_iter(w, "none")
    if base is None:
        continue
    cells = [w, iters, f"{base * 1e6:.3f} us ({base * int(iters):.2f} s)"]
    for tool in ("floor1", "floor2", "sysrec", "perf", "strace"):
        t, n, it = per_iter(w, tool)
        cells.append("-" if t is None else f"{t / base:.2f}x" + ("" if it == iters else f" (n={it})"))
    rs = slow.get((w, "sysrec"), [])
    drops = sum(int(r[4]) for r in rs)
    written = sum(int(r[3]) for r in rs)
    t, _, _ = per_iter(w, "sysrec")
    ok = t is not None and t / base <= targets[w] and drops == 0
    met[w] = ok
    lost = sum(int(r[4] or 0) for r in slow.get((w, "perf"), []))
    cells += [f"{drops} of {written}", str(lost), f"<= {targets[w]}x", "yes" if ok else "NO"]
    body1.append(cells)
body1b = []
base, _, iters = per_iter("open", "none")
full, _, _ = per_iter("open", "sysrec")
for code, what in (("306", "openat enter: dirfd, path, flags, mode"),
                   ("307", "openat exit: fd, dirfd, path, flags, mode, dev"),
                   ("7", "read exit: res, data")):
    t, n, _ = per_iter("open", "bare" + code)
    if t is not None and base and full:
        body1b.append([code, what, f"{t / base:.2f}x", f"{(full - t) / base:+.2f}x", n])
head1b = ["code bare", "left out", "open loop", "what it costs (sysrec - this)", "runs"]
head1 = ["workload", "iterations", "unrecorded (per iteration)", "floor: attached", "floor: bare events",
         "sysrec", "perf trace -a", "strace -f",
         "sysrec dropped (all runs)", "perf LOST", "target (sysrec)", "met"]

body2, best = [], None
for r in rates:
    target, wev, wsec, written, dropped, ring, big, busy, disk, ticks, tck, wall, size, sc, flag = r
    cpu = int(ticks) / int(tck)
    ach = int(wev) / float(wsec)
    body2.append([("flat out" if float(target) == 0 else f"{float(target):g} M/s") + ("" if flag == "clean" else " (*)"), sc, f"{ach / 1e6:.2f} M/s",
                  written, dropped, f"{ring}/{big}/{busy}/{disk}",
                  f"{cpu:.2f} s ({100 * cpu / float(wall):.0f}%)",
                  f"{cpu / (int(written) / 1e6):.3f} s" if int(written) else "-",
                  f"{int(size) / int(written):.0f} B" if int(written) else "-"])
    if float(target) > 0 and int(dropped) == 0 and ach >= 0.95 * float(target) * 1e6:
        best = max(best or 0, float(target))
head2 = ["target", "syscall", "writers achieved", "events written", "dropped", "ring/big/busy/disk",
         "sysrec CPU (of wall)", "CPU per M events", "bytes/event"]

deltas = []
for run, t0, first, n in starts:
    deltas.append((int(first) - int(t0)) / 1e6)
body3 = [[run, f"{d:.1f} ms", n] for (run, _, _, n), d in zip(starts, deltas)]
head3 = ["run", "exec -> first recorded event", "probe events"]
st_med = med(deltas) if deltas else None

cpu_pm = [int(r[9]) / int(r[10]) / (int(r[3]) / 1e6) for r in rates if int(r[3])]
t1, m1 = table(head1, body1)
t1b, m1b = table(head1b, body1b)
t2, m2 = table(head2, body2)
t3, m3 = table(head3, body3)
summary = []
for w in ("write", "open", "fork"):
    base, _, _ = per_iter(w, "none")
    t, _, _ = per_iter(w, "sysrec")
    if base and t:
        summary.append(f"sysrec {w} loop slowdown {t / base:.2f}x (target <= {targets[w]}x, no drops): "
                       + ("met" if met[w] else "MISSED"))
if rates:
    summary.append(f"highest paced rate with zero drops: {best if best is not None else 'none'} M events/s "
                   f"(target >= 2): {'met' if best is not None and best >= 2 else 'MISSED'}")
if cpu_pm:
    summary.append(f"sysrec CPU per million events written: median {med(cpu_pm):.3f} s "
                   f"(range {min(cpu_pm):.3f}-{max(cpu_pm):.3f} over the rate runs)")
if deltas:
    summary.append(f"start-up (exec -> recording), median of {len(deltas)}: {st_med:.1f} ms (target < 100 ms): "
                   f"{'met' if st_med < 100 else 'MISSED'}")
print()
print("(1) slowdown vs no recording (median loop time per iteration; perf trace and strace on fewer iterations)")
print(t1)
print()
if body1b:
    print("(1b) the open loop with one event's arguments left out (written as a bare header)")
    print(t1b)
    print()
print(f"(2)/(3) event rate, two paced writers (nice {rate_nice}), {rate_secs} s per step, sysrec --ring-mb {ring_mb}")
print(t2)
print()
print("(3) start-up")
print(t3)
print()
print("\n".join(summary))
if others:
    print(f"WARNING: other tracers were running during {dirty} measurements (left out of medians where "
          f"clean runs of the same case exist; (*) on rate steps): {others}")

md = [
    "# sysrec recording benchmark results",
    "",
    f"Machine: {platform.machine()}, {os.cpu_count()} CPUs, {platform.platform()}."
    + (" **Quick run (BENCH_QUICK=1).**" if quick == "1" else ""),
    f"sysrec under test: `{sysrec}`.",
    "",
    "## (1) Slowdown of the workload while recording (ratio of median loop time per iteration)",
    "",
    m1,
    "",
] + ([
    "### (1b) The open loop with one event's arguments left out (written as a bare header)",
    "",
    m1b,
    "",
] if body1b else []) + [
    f"## (2) Event rate recorded (two writers at nice {rate_nice}, {rate_secs} s per step, `--ring-mb {ring_mb}`) and (3) CPU",
    "",
    m2,
    "",
    "## (3) Start-up (exec of sysrec -> earliest recorded probe event, read with " + reader + ")",
    "",
    m3,
    "",
    "## Targets",
    "",
] + ["- " + s for s in summary]
if others:
    md += ["", f"**Other tracers were running during {dirty} measurements** (left out of the medians where "
           f"clean runs of the same case exist; (*) on rate steps): {others}"]
md += [
    "",
    "## Commands",
    "",
    "    loops write N | loops open N FILE | loops fork N          # no recorder",
    "    sysrec record -w F --stats &  (await 'recording')  loops ...; kill -INT; read --stats",
    "    perf trace -a -o F &          (await output)       loops ... (N / PERF_DIV_*); kill -INT; count LOST",
    "    strace -f -o F loops ...      (N / STRACE_DIV_*)",
    f"    sysrec record -w F --ring-mb {ring_mb} --stats &  loops pace RATE/2 {rate_secs} 0 & loops pace RATE/2 {rate_secs} 1   # RATE 0: flat out; 5th arg getppid",
    "    PROBE_US=1000 loops probe 2 /sysrec-probe-TAG sysrec record -w F; sysrec read -r F -p '%evt.rawtime %evt.type %evt.args'",
]
with open(os.path.join(out, "record-results.md"), "w") as f:
    f.write("\n".join(md) + "\n")
print(f"\nwritten: {out}/record-results.md")
EOF
