#!/usr/bin/env bash
# Agent benchmarks (issue 5): the flight recorder's cost and reach, and how long
# a capture takes to be stored once its window is over.
#
#   bench/agent.sh BUILD_DIR      (make bench runs it as `bench/agent.sh build`, as root)
#
# (1) busy: two flat-out writers (`loops pace 0 SECS CPU`, write(2) of 64 bytes
#     to /dev/null, one per CPU) for BUSY_SECS under each recorder in turn,
#     BUSY_ROUNDS interleaved rounds: `sysrec agent` (its flight recorder,
#     --max-memory 256MiB), `sysrec record -w F` (the same engine into a .scap
#     file) and `perf trace -a -o F` (the peer). Reported: the recorder's CPU
#     (utime + stime from /proc/PID/stat over the writers' run) as a share of
#     one CPU and per million events kept, its peak RSS (VmHWM), and events
#     kept (agent: /api/status events.total; record: --stats written; perf:
#     lines of the writers in its output).
# (2) ring: bytes per event the ring holds (status ring.bytes / ring.events,
#     segment heads included) after the agent's busy runs, against the bytes
#     per event of `sysrec record`'s .scap file of the same workload.
# (3) history: the agent with --max-memory 100MiB and --seconds 600 while two
#     writers are paced to 100k, 500k and 1M events/s in all; once the ring is
#     full (or HISTORY_MAX_SECS pass) ring.seconds is the history 100 MiB
#     holds at that rate; beside it, what a .scap file of the same bytes per
#     event would hold (the file's bytes per event from (2)).
# (4) capture: with writers paced to CAPTURE_RATE, a capture of 5 s before and
#     20 s after is taken (--no-wait); the agent's status for it is polled
#     every 50 ms; reported: the time from the trigger to status ok minus the
#     20 s of the window, against `sysdig -r CAP -w COPY` (sysdig re-writing
#     the same file: a peer's cost of writing those events once).
#
# Prints the results and writes markdown to BUILD_DIR/bench/agent-results.md;
# raw data in BUILD_DIR/bench/agent-raw.tsv, logs in BUILD_DIR/bench/agent/.
#
# Environment: SYSREC (default BUILD_DIR/sysrec); PARTS (default "busy history
# capture"; ring comes with busy); BENCH_QUICK=1 (a short smoke run);
# BUSY_SECS (10), BUSY_ROUNDS (3), HISTORY_RATES (k events/s, "100 500 1000"),
# HISTORY_MAX_SECS (60), CAPTURE_RATE (200000), CAPTURE_RUNS (2), NO_PERF=1.
set -euo pipefail

if [[ $# -ne 1 ]]; then
	echo "usage: bench/agent.sh BUILD_DIR" >&2
	exit 2
fi
BUILD=$1
OUT=$BUILD/bench
SYSREC=${SYSREC:-$BUILD/sysrec}
LOOPS=$OUT/loops
DIR=$OUT/agent
RAW=$OUT/agent-raw.tsv
MD=$OUT/agent-results.md

QUICK=${BENCH_QUICK:-0}
q() { if [[ $QUICK == 1 ]]; then echo "$1"; else echo "$2"; fi; }
BUSY_SECS=${BUSY_SECS:-$(q 3 10)}
BUSY_ROUNDS=${BUSY_ROUNDS:-$(q 1 3)}
HISTORY_RATES=${HISTORY_RATES:-$(q "500 1000" "100 500 1000")}
HISTORY_MAX_SECS=${HISTORY_MAX_SECS:-$(q 15 60)}
CAPTURE_RATE=${CAPTURE_RATE:-200000}
CAPTURE_RUNS=${CAPTURE_RUNS:-$(q 1 2)}
NO_PERF=${NO_PERF:-0}
PARTS=${PARTS:-busy rules history capture}
TD=${SYSREC_TESTDATA:-$(cd "$(dirname "$0")/../.." && pwd)/shared/testdata}
RULES=$TD/falco-0.31.1/rules/falco_rules.yaml
OPENS=${OPENS:-$(q 100000 300000)}

for tool in python3 awk curl; do
	command -v "$tool" >/dev/null || { echo "bench: $tool is required" >&2; exit 1; }
done
[[ $NO_PERF == 1 ]] || command -v perf >/dev/null || { echo "bench: perf missing (NO_PERF=1 skips it)" >&2; exit 1; }
command -v sysdig >/dev/null || { echo "bench: sysdig missing (scripts/deps.sh installs it)" >&2; exit 1; }
[[ -x $SYSREC ]] || { echo "bench: $SYSREC missing (run make)" >&2; exit 1; }
[[ -x $LOOPS ]] || { echo "bench: $LOOPS missing (make $LOOPS)" >&2; exit 1; }
[[ $(id -u) == 0 ]] || { echo "bench: the agent records with eBPF: run as root" >&2; exit 1; }

mkdir -p "$DIR"
: >"$RAW"
CLK_TCK=$(getconf CLK_TCK)
NCPU=$(nproc)
PORT=$((30000 + RANDOM % 20000))
URL=http://127.0.0.1:$PORT
DATA=$DIR/data

PID=
cleanup() {
	if [[ -n $PID ]]; then
		kill -INT "$PID" 2>/dev/null || true
		wait "$PID" 2>/dev/null || true
	fi
	rm -rf "$DATA"
}
trap cleanup EXIT

# shellcheck source=bench/lib.sh
. "$(dirname "$0")/lib.sh"
hwm_kb() { awk '/^VmHWM:/ { print $2 }' "/proc/$1/status"; }

api() { # PATH [curl args]
	local p=$1
	shift
	curl -sf -H "Authorization: Bearer $(cat "$DATA/token")" "$@" "$URL$p"
}
jget() { python3 -c "import json,sys; j=json.load(sys.stdin); print($1)"; }

agent_start() { # args...
	local i
	rm -rf "$DATA"
	"$SYSREC" agent --data "$DATA" --listen "127.0.0.1:$PORT" "$@" >"$DIR/agent.log" 2>&1 &
	PID=$!
	for ((i = 0; i < 200; i++)); do
		[[ -s $DATA/token ]] && api /api/status >/dev/null 2>&1 && break
		kill -0 "$PID" 2>/dev/null || { echo "bench: the agent failed: $(tail -3 "$DIR/agent.log")" >&2; exit 1; }
		sleep 0.05
	done
	sleep 1 # the first segment and drains settle
}
agent_stop() {
	kill -TERM "$PID"
	wait "$PID" || true
	PID=
}

writers() { # TOTAL_RATE(0: flat out) SECS -> pids in WPIDS
	local per c
	per=$(awk -v t="$1" 'BEGIN { printf "%.0f", t / 2 }')
	WPIDS=()
	for ((c = 0; c < 2; c++)); do
		"$LOOPS" pace "$per" "$2" $((c % NCPU)) >"$DIR/pace-$c.out" &
		WPIDS+=($!)
	done
}

# ---------------------------------------------------------------- (1) busy + (2) ring
# The flat-out writers under the recorder PID: sets SECS (their run), TICKS
# (the recorder's CPU over it) and HWM (its peak RSS, KiB).
busy_measure() {
	local c0 w0
	c0=$(cpu_ticks "$PID")
	w0=$EPOCHREALTIME
	writers 0 "$BUSY_SECS"
	wait "${WPIDS[@]}"
	SECS=$(awk -v a="$w0" -v b="$EPOCHREALTIME" 'BEGIN { print b - a }')
	TICKS=$(($(cpu_ticks "$PID") - c0))
	HWM=$(hwm_kb "$PID")
}

# A raw line of part (1): recorder round events bytes-held events-held.
busy_row() {
	printf 'busy\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$1" "$2" "$SECS" "$TICKS" "$3" "$HWM" "$4" "$5" >>"$RAW"
}

# Stop a recorder that writes a file (SIGINT: it finishes the file).
busy_stop() {
	kill -INT "$PID"
	wait "$PID" || true
	PID=
}

busy_agent() { # round
	local e0 st
	agent_start --max-memory 256MiB
	e0=$(api /api/status | jget 'j["events"]["total"]')
	busy_measure
	sleep 0.5
	st=$(api /api/status)
	busy_row agent "$1" "$(($(jget 'j["events"]["total"]' <<<"$st") - e0))" \
		"$(jget 'j["ring"]["bytes"]' <<<"$st")" "$(jget 'j["ring"]["events"]' <<<"$st")"
	agent_stop
}

# The agent with Falco's default ruleset (alerts to a file), same workload.
busy_agent_rules() { # round
	local e0 st
	agent_start --max-memory 256MiB --rules "$RULES" --alerts-output file --alerts-file "$DIR/alerts.txt"
	e0=$(api /api/status | jget 'j["events"]["total"]')
	busy_measure
	sleep 0.5
	st=$(api /api/status)
	busy_row agent+rules "$1" "$(($(jget 'j["events"]["total"]' <<<"$st") - e0))" \
		"$(jget 'j["ring"]["bytes"]' <<<"$st")" "$(jget 'j["ring"]["events"]' <<<"$st")"
	agent_stop
}

# ---------------------------------------------------------------- (1b) rules on opens
# Writes are events Falco does not match by default (EF_DROP_SIMPLE_CONS), so
# the busy loop above barely reaches the rules. Here two processes open, read
# and close a file flat out: every open is tried against the ruleset's open rules.
opens_round() { # label round [agent args]
	local label=$1 rnd=$2 e0 st c0 w0 c pids=()
	shift 2
	agent_start --max-memory 256MiB "$@"
	e0=$(api /api/status | jget 'j["events"]["total"]')
	c0=$(cpu_ticks "$PID")
	w0=$EPOCHREALTIME
	for ((c = 0; c < 2; c++)); do
		"$LOOPS" open "$OPENS" >/dev/null &
		pids+=($!)
	done
	wait "${pids[@]}"
	SECS=$(awk -v a="$w0" -v b="$EPOCHREALTIME" 'BEGIN { print b - a }')
	TICKS=$(($(cpu_ticks "$PID") - c0))
	HWM=$(hwm_kb "$PID")
	sleep 0.5
	st=$(api /api/status)
	busy_row "$label" "$rnd" "$(($(jget 'j["events"]["total"]' <<<"$st") - e0))" \
		"$(jget 'j["ring"]["bytes"]' <<<"$st")" "$(jget 'j["ring"]["events"]' <<<"$st")"
	agent_stop
}

busy_record() { # round
	local i log=$DIR/record.err written
	rm -f "$DIR/r.scap"
	"$SYSREC" record -w "$DIR/r.scap" --stats 2>"$log" &
	PID=$!
	for ((i = 0; i < 300; i++)); do
		grep -q '^sysrec record: recording' "$log" && break
		sleep 0.05
	done
	sleep 0.3
	busy_measure
	busy_stop
	written=$(sed -n 's/^sysrec record: \([0-9]*\) events written.*/\1/p' "$log")
	busy_row record "$1" "$written" "$(stat -c %s "$DIR/r.scap")" "$written"
	rm -f "$DIR/r.scap"
	sync
}

busy_perf() { # round
	local i lines
	rm -f "$DIR/perf.txt"
	perf trace -a -o "$DIR/perf.txt" 2>"$DIR/perf.err" &
	PID=$!
	for ((i = 0; i < 400; i++)); do
		[[ -s $DIR/perf.txt ]] && break
		sleep 0.05
	done
	sleep 1
	busy_measure
	busy_stop
	# perf trace prints one line per syscall (enter and exit): two events each
	lines=$(grep -c ' loops/' "$DIR/perf.txt" || true)
	busy_row perf "$1" "$((2 * lines))" "$(stat -c %s "$DIR/perf.txt")" "$((2 * lines))"
	rm -f "$DIR/perf.txt"
	sync
}

if [[ " $PARTS " == *" busy "* ]]; then
	echo "bench: (1) busy write loop: 2 flat-out writers for $BUSY_SECS s, $BUSY_ROUNDS rounds of agent, record$([[ $NO_PERF == 1 ]] || echo ", perf trace")"
	for ((r = 1; r <= BUSY_ROUNDS; r++)); do
		busy_agent "$r"
		busy_record "$r"
		[[ $NO_PERF == 1 ]] || busy_perf "$r"
		echo "  round $r done"
	done
fi

if [[ " $PARTS " == *" rules "* ]]; then
	[[ -f $RULES ]] || { echo "bench: $RULES not found (set SYSREC_TESTDATA)" >&2; exit 1; }
	echo "bench: (1b) Falco's default ruleset in the agent: the busy write loop, then $OPENS opens x 2 processes; $BUSY_ROUNDS rounds"
	for ((r = 1; r <= BUSY_ROUNDS; r++)); do
		[[ " $PARTS " == *" busy "* ]] || busy_agent "$r"
		busy_agent_rules "$r"
		opens_round agent-opens "$r"
		opens_round agent+rules-opens "$r" --rules "$RULES" --alerts-output file --alerts-file "$DIR/alerts.txt"
		echo "  round $r done"
	done
fi

# ---------------------------------------------------------------- (3) history per 100 MiB
if [[ " $PARTS " == *" history "* ]]; then
	echo "bench: (3) history in 100 MiB at $HISTORY_RATES k events/s (at most $HISTORY_MAX_SECS s each)"
	for k in $HISTORY_RATES; do
		agent_start --max-memory 100MiB --seconds 600
		e0=$(api /api/status | jget 'j["events"]["total"]')
		w0=$EPOCHREALTIME
		writers $((k * 1000)) "$HISTORY_MAX_SECS"
		full=0
		while kill -0 "${WPIDS[0]}" 2>/dev/null; do
			sleep 1
			st=$(api /api/status)
			# full once whole segments have been let go to stay in the bound
			if [[ $(jget 'j["ring"]["bytes"] >= 0.85 * j["ring"]["max_bytes"]' <<<"$st") == True ]]; then
				sleep 2
				full=1
				break
			fi
		done
		st=$(api /api/status)
		w1=$EPOCHREALTIME
		kill "${WPIDS[@]}" 2>/dev/null || true
		wait "${WPIDS[@]}" 2>/dev/null || true
		e1=$(jget 'j["events"]["total"]' <<<"$st")
		printf 'history\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$k" "$full" "$(awk -v a="$w0" -v b="$w1" -v n="$((e1 - e0))" 'BEGIN { print n / (b - a) }')" \
			"$(jget 'j["ring"]["seconds"]' <<<"$st")" "$(jget 'j["ring"]["bytes"]' <<<"$st")" \
			"$(jget 'j["ring"]["max_bytes"]' <<<"$st")" "$(jget 'j["ring"]["events"]' <<<"$st")" >>"$RAW"
		echo "  $k k events/s: $(jget '"%.1f s held, %d MiB, %d events" % (j["ring"]["seconds"], j["ring"]["bytes"] >> 20, j["ring"]["events"])' <<<"$st")"
		agent_stop
	done
fi

# ---------------------------------------------------------------- (4) capture
if [[ " $PARTS " == *" capture "* ]]; then
	echo "bench: (4) a 5 s + 20 s capture with writers at $CAPTURE_RATE events/s, $CAPTURE_RUNS runs"
	for ((r = 1; r <= CAPTURE_RUNS; r++)); do
		agent_start
		writers "$CAPTURE_RATE" 40
		sleep 6 # more than the 5 s before in the recorder
		t0=$EPOCHREALTIME
		id=$(api /api/captures -X POST -d '{"name": "bench", "before": 5, "after": 20}' | jget 'j["id"]')
		status=recording
		while [[ $status == recording || $status == storing ]]; do
			sleep 0.05
			status=$(api "/api/captures/$id" | jget 'j["status"]')
		done
		t1=$EPOCHREALTIME
		kill "${WPIDS[@]}" 2>/dev/null || true
		wait "${WPIDS[@]}" 2>/dev/null || true
		[[ $status == ok ]] || { echo "bench: the capture ended $status: $(api "/api/captures/$id")" >&2; exit 1; }
		api "/api/captures/$id/download" -o "$DIR/cap.scap"
		agent_stop
		s0=$EPOCHREALTIME
		sysdig -r "$DIR/cap.scap" -w "$DIR/copy.scap" >/dev/null 2>&1
		s1=$EPOCHREALTIME
		n=$(sysdig -r "$DIR/cap.scap" 2>/dev/null | wc -l)
		printf 'capture\t%s\t%s\t%s\t%s\t%s\n' "$r" "$(awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a - 20 }')" \
			"$(awk -v a="$s0" -v b="$s1" 'BEGIN { print b - a }')" "$(stat -c %s "$DIR/cap.scap")" "$n" >>"$RAW"
		echo "  run $r: stored $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a - 20 }') s after the window; sysdig -w of it $(awk -v a="$s0" -v b="$s1" 'BEGIN { printf "%.2f", b - a }') s ($n events)"
		rm -f "$DIR/cap.scap" "$DIR/copy.scap"
	done
fi

# ---------------------------------------------------------------- report
python3 - "$RAW" "$MD" "$CLK_TCK" <<'PY'
import statistics as st, sys
raw, md, tck = sys.argv[1], sys.argv[2], float(sys.argv[3])
rows = [l.rstrip("\n").split("\t") for l in open(raw) if l.strip()]
out = []
def p(s=""):
    print(s)
    out.append(s)
busy = {}
for r in rows:
    if r[0] == "busy":
        _, who, rnd, secs, ticks, ev, hwm, b, n = r
        busy.setdefault(who, []).append(dict(secs=float(secs), cpu=float(ticks) / tck, ev=float(ev),
                                             hwm=float(hwm) / 1024, bytes=float(b), n=float(n)))
if busy:
    p("### (1) Busy write loop: 2 flat-out writers")
    p()
    p("| recorder | events kept/s | CPU (share of one CPU) | CPU s per M events | peak RSS (MiB) |")
    p("|---|---|---|---|---|")
    med = {}
    names = {"agent": "`sysrec agent` (flight recorder)", "record": "`sysrec record -w F`", "perf": "`perf trace -a -o F`",
             "agent+rules": "`sysrec agent --rules falco_rules.yaml`",
             "agent-opens": "open loop: `sysrec agent`", "agent+rules-opens": "open loop: `sysrec agent --rules falco_rules.yaml`"}
    for who in ("agent", "agent+rules", "record", "perf", "agent-opens", "agent+rules-opens"):
        if who not in busy:
            continue
        rs = busy[who]
        m = dict(rate=st.median(x["ev"] / x["secs"] for x in rs), cpu=st.median(x["cpu"] / x["secs"] for x in rs),
                 per=st.median(x["cpu"] / (x["ev"] / 1e6) for x in rs if x["ev"]), hwm=max(x["hwm"] for x in rs))
        med[who] = m
        p("| %s | %.0f | %.0f%% | %.2f | %.1f |" % (names[who], m["rate"], 100 * m["cpu"], m["per"], m["hwm"]))
    p()
    if "agent" in med and "record" in med:
        p("CPU per event, agent / record: %.2f; peak RSS, agent / record: %.1f" % (med["agent"]["per"] / med["record"]["per"], med["agent"]["hwm"] / med["record"]["hwm"]))
    if "agent" in med and "perf" in med:
        p("CPU per event, agent / perf trace: %.2f (perf trace keeps far fewer events: it loses them)" % (med["agent"]["per"] / med["perf"]["per"]))
    if "agent" in med and "agent+rules" in med:
        p("CPU per event with Falco's default ruleset / without, write loop: %.2f" % (med["agent+rules"]["per"] / med["agent"]["per"]))
    if "agent-opens" in med and "agent+rules-opens" in med:
        p("CPU per event with Falco's default ruleset / without, open loop: %.2f" % (med["agent+rules-opens"]["per"] / med["agent-opens"]["per"]))
    p()
    if "agent" in busy and "record" in busy:
        ring = st.median(x["bytes"] / x["n"] for x in busy["agent"] if x["n"])
        fil = st.median(x["bytes"] / x["n"] for x in busy["record"] if x["n"])
        p("### (2) Bytes per event")
        p()
        p("| where | bytes per event |")
        p("|---|---|")
        p("| the agent's ring (heads included) | %.1f |" % ring)
        p("| `sysrec record`'s .scap file | %.1f |" % fil)
        p()
        p("ring / file: %.2f" % (ring / fil))
        p()
        busy["_file_bpe"] = fil
hist = [r for r in rows if r[0] == "history"]
if hist:
    p("### (3) Seconds of history per 100 MiB")
    p()
    p("| writers' target | events/s recorded (all of the host) | ring full | seconds held | bytes per event in the ring | a .scap file of 100 MiB at that rate (s) |")
    p("|---|---|---|---|---|---|")
    for _, k, full, rate, secs, b, mx, n in hist:
        bpe = float(b) / float(n) if float(n) else 0
        held = float(secs) if full == "1" else float(secs) * float(mx) / max(float(b), 1)
        filesecs = ("%.1f" % (float(mx) / (busy["_file_bpe"] * float(rate)))) if "_file_bpe" in busy else "-"
        p("| %s k/s | %.0f | %s | %.1f%s | %.1f | %s |" % (k, float(rate), "yes" if full == "1" else "no", held, "" if full == "1" else " (scaled to the bound)", bpe, filesecs))
    p()
cap = [r for r in rows if r[0] == "capture"]
if cap:
    lat = st.median(float(r[2]) for r in cap)
    sd = st.median(float(r[3]) for r in cap)
    p("### (4) A 5 s + 20 s capture: from the window's end to stored")
    p()
    p("| runs | stored after the window (s, median) | `sysdig -r CAP -w COPY` (s, median) | ratio | size (MB) | events |")
    p("|---|---|---|---|---|---|")
    p("| %d | %.2f | %.2f | %.2f | %.1f | %s |" % (len(cap), lat, sd, lat / sd if sd else 0, float(cap[-1][4]) / 1e6, cap[-1][5]))
    p()
open(md, "w").write("\n".join(out) + "\n")
PY
echo "bench: results in $MD"
