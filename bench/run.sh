#!/usr/bin/env bash
# Benchmark sysrec against sysdig 0.29.3 on a large generated capture.
#
#   bench/run.sh BUILD_DIR        (make bench runs it as `bench/run.sh build`)
#
# Measures, with hyperfine and TZ=UTC:
#   (a) printing every event in the default format: `sysrec read -r F` vs `sysdig -r F`
#   (b) printing only the event number:             ... -p %evt.num
#   (c) startup: reading the tiny capture written by `sysrec demo`
#   (d) a -p format that needs the thread and fd tables
#   (e) three filters (FILTERS_ONLY=1 runs only these), -p %evt.num, sysrec and sysdig
#       interleaved in FILTER_ROUNDS (5) rounds
# and prints a table (events/s, ratios, startup ms), also written as markdown
# to BUILD_DIR/bench/results.md. Raw hyperfine JSON is kept next to it.
#
# Environment overrides: BENCH_EVENTS (default 5000000), SYSDIG (default: sysdig
# on PATH), SYSREC_RUNS (5), SYSDIG_RUNS (5), FILTER_ROUNDS (5).
set -euo pipefail

if [[ $# -ne 1 ]]; then
	echo "usage: bench/run.sh BUILD_DIR" >&2
	exit 2
fi
BUILD=$1
OUT=$BUILD/bench
GEN=$OUT/gen-capture
SYSREC=$BUILD/sysrec
BIG=$OUT/bench.scap
SMALL=$OUT/small.scap
NEVENTS=${BENCH_EVENTS:-5000000}
SYSREC_RUNS=${SYSREC_RUNS:-5}
SYSDIG_RUNS=${SYSDIG_RUNS:-5}
SYSDIG=${SYSDIG:-$(command -v sysdig || true)}

for tool in hyperfine python3; do
	command -v "$tool" >/dev/null || { echo "bench: $tool is required" >&2; exit 1; }
done
[[ -n $SYSDIG && -x $SYSDIG ]] || { echo "bench: sysdig not found (set SYSDIG=)" >&2; exit 1; }
[[ -x $SYSREC ]] || { echo "bench: $SYSREC missing (run make)" >&2; exit 1; }
[[ -x $GEN ]] || { echo "bench: $GEN missing (make $GEN)" >&2; exit 1; }

# shellcheck source=bench/lib.sh
. "$(dirname "$0")/lib.sh"

export TZ=UTC
mkdir -p "$OUT"

bench_capture "$GEN" "$BIG" "$NEVENTS"
"$SYSREC" demo -w "$SMALL"

echo "bench: $(du -h "$BIG" | cut -f1) capture, $NEVENTS events; sysrec ${SYSREC_RUNS} runs, sysdig ${SYSDIG_RUNS} runs"

hf() { hyperfine --style basic --warmup 1 "$@"; }

# FILTERS_ONLY=1: only (e), the filter benchmark
if [[ ${FILTERS_ONLY:-0} != 1 ]]; then
# (a) default output format
hf --runs "$SYSREC_RUNS" --export-json "$OUT/read-sysrec.json" \
	-n "sysrec read" "$SYSREC read -r $BIG > /dev/null"
hf --runs "$SYSDIG_RUNS" --export-json "$OUT/read-sysdig.json" \
	-n "sysdig -r" "$SYSDIG -r $BIG > /dev/null"

# (b) -p %evt.num
hf --runs "$SYSREC_RUNS" --export-json "$OUT/evtnum-sysrec.json" \
	-n "sysrec read -p %evt.num" "$SYSREC read -r $BIG -p %evt.num > /dev/null"
hf --runs "$SYSDIG_RUNS" --export-json "$OUT/evtnum-sysdig.json" \
	-n "sysdig -r -p %evt.num" "$SYSDIG -r $BIG -p %evt.num > /dev/null"

# (d) a -p format that needs the thread and fd tables: sysrec skips state
# tracking for formats like (b) that read only the event, so this shows the
# cost with the state followed, for comparison.
STATEFMT="%evt.num %proc.name %fd.name %evt.type"
hf --runs "$SYSREC_RUNS" --export-json "$OUT/state-sysrec.json" \
	-n "sysrec read -p '$STATEFMT'" "$SYSREC read -r $BIG -p '$STATEFMT' > /dev/null"
hf --runs "$SYSDIG_RUNS" --export-json "$OUT/state-sysdig.json" \
	-n "sysdig -r -p '$STATEFMT'" "$SYSDIG -r $BIG -p '$STATEFMT' > /dev/null"

# (c) startup on a tiny capture; no intermediate shell (-N), output discarded
# by hyperfine itself.
hyperfine --style basic -N --warmup 3 --min-runs 20 --export-json "$OUT/startup.json" \
	-n "sysrec read (tiny)" "$SYSREC read -r $SMALL" \
	-n "sysdig -r (tiny)" "$SYSDIG -r $SMALL"

python3 - "$OUT" "$NEVENTS" "$SYSREC_RUNS" "$SYSDIG_RUNS" <<'EOF'
import json, os, platform, sys

out, nev = sys.argv[1], int(sys.argv[2])
sysrec_runs, sysdig_runs = sys.argv[3], sys.argv[4]

def medians(name):
    with open(os.path.join(out, name)) as f:
        return [r["median"] for r in json.load(f)["results"]]

rd_r, = medians("read-sysrec.json")
rd_d, = medians("read-sysdig.json")
ev_r, = medians("evtnum-sysrec.json")
ev_d, = medians("evtnum-sysdig.json")
st_r, st_d = medians("startup.json")
sf_r, = medians("state-sysrec.json")
sf_d, = medians("state-sysdig.json")

def eps(t):
    return nev / t

def fmt_eps(t):
    return f"{eps(t) / 1e6:.2f} M/s ({t:.2f} s)"

rows = [
    ("read, default format (events/s)", fmt_eps(rd_r), fmt_eps(rd_d), eps(rd_r) / eps(rd_d), ">= 10x"),
    ("read, -p %evt.num (events/s)", fmt_eps(ev_r), fmt_eps(ev_d), eps(ev_r) / eps(ev_d), ">= 10x"),
    ("read, -p with state fields (events/s)", fmt_eps(sf_r), fmt_eps(sf_d), eps(sf_r) / eps(sf_d), "(none)"),
    ("startup, tiny capture (ms)", f"{st_r * 1e3:.1f} ms", f"{st_d * 1e3:.1f} ms", st_r / st_d, "< 0.25x"),
]
met = [rows[0][3] >= 10, rows[1][3] >= 10, None, rows[3][3] < 0.25]

head = ["case", "sysrec", "sysdig", "sysrec/sysdig", "target", "met"]
body = [[c, a, b, f"{r:.2f}x" if i < 3 else f"{r:.3f}x", t, "" if m is None else "yes" if m else "NO"]
        for i, ((c, a, b, r, t), m) in enumerate(zip(rows, met))]
widths = [max(len(x) for x in col) for col in zip(head, *body)]

def line(cells):
    return "  ".join(c.ljust(w) for c, w in zip(cells, widths)).rstrip()

print()
print(f"{nev} events; medians (sysrec {sysrec_runs} runs, sysdig {sysdig_runs} runs; startup >= 20 runs each)")
print(line(head))
print(line(["-" * w for w in widths]))
for r in body:
    print(line(r))

md = [
    "# sysrec vs sysdig benchmark results",
    "",
    f"Capture: `{out}/bench.scap`, {nev} events. TZ=UTC. Medians from hyperfine "
    f"(sysrec {sysrec_runs} runs, sysdig {sysdig_runs} runs, 1 warmup; startup >= 20 runs).",
    f"Machine: {platform.machine()}, {os.cpu_count()} CPUs, {platform.platform()}.",
    "",
    "| " + " | ".join(head) + " |",
    "|" + "|".join("---" for _ in head) + "|",
]
md += ["| " + " | ".join(r) + " |" for r in body]
with open(os.path.join(out, "results.md"), "w") as f:
    f.write("\n".join(md) + "\n")
print(f"\nwritten: {out}/results.md")
EOF
fi

# (e) filters (issue 4): a cheap one, a string-heavy one and a compound one,
# each printing only the number of the matching events. On a shared machine
# the speed drifts over minutes, so the runs are interleaved: each round runs
# every filter with sysrec and with sysdig, back to back (which goes first
# alternates), and the ratios are taken within a round.
FILTERS=("evt.type=open" "fd.name contains /lib/"
	"proc.name in (bash, curl) and (fd.typechar=4 or fd.typechar=6) and evt.dir=<")
for i in "${!FILTERS[@]}"; do
	"$SYSREC" read -r "$BIG" -p %evt.num "${FILTERS[$i]}" | wc -l >"$OUT/filter$i.matches"
done

python3 - "$OUT" "$NEVENTS" "${FILTER_ROUNDS:-5}" "$SYSREC" "$SYSDIG" "$BIG" "${FILTERS[@]}" <<'EOF'
import os, statistics, subprocess, sys, time

out, nev, rounds, sysrec, sysdig, big = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), *sys.argv[4:7]
filters = sys.argv[7:]
tools = {"sysrec": [sysrec, "read", "-r", big, "-p", "%evt.num"], "sysdig": [sysdig, "-r", big, "-p", "%evt.num"]}

def run(argv):
    """Wall seconds and CPU seconds (user + system) of one run, output discarded."""
    t0 = time.perf_counter()
    p = subprocess.Popen(argv, stdout=subprocess.DEVNULL)
    _, status, ru = os.wait4(p.pid, 0)
    wall = time.perf_counter() - t0
    if status:
        sys.exit(f"bench: {' '.join(argv)} failed ({status})")
    return wall, ru.ru_utime + ru.ru_stime

wall = {(t, i): [] for t in tools for i in range(len(filters))}
cpu = {(t, i): [] for t in tools for i in range(len(filters))}
for i, flt in enumerate(filters):  # warm-up: page cache, first-run effects
    for t in tools:
        run(tools[t] + [flt])
for r in range(rounds):
    for i, flt in enumerate(filters):
        for t in (("sysrec", "sysdig") if r % 2 == 0 else ("sysdig", "sysrec")):
            w, c = run(tools[t] + [flt])
            wall[t, i].append(w)
            cpu[t, i].append(c)
    print(f"bench: filters round {r + 1}/{rounds} done", file=sys.stderr)

head = ["filter", "matches", "sysrec", "sysdig", "sysrec/sysdig", "per round", "CPU ratio", "target", "met"]
body = []
for i, flt in enumerate(filters):
    r, d = statistics.median(wall["sysrec", i]), statistics.median(wall["sysdig", i])
    paired = sorted(b / a for a, b in zip(wall["sysrec", i], wall["sysdig", i]))
    cr = statistics.median(cpu["sysdig", i]) / statistics.median(cpu["sysrec", i])
    matches = open(os.path.join(out, f"filter{i}.matches")).read().strip()
    body.append([f"`{flt}`", matches, f"{nev / r / 1e6:.2f} M ev/s ({r:.2f} s)",
                 f"{nev / d / 1e6:.2f} M ev/s ({d:.2f} s)", f"{d / r:.2f}x",
                 f"{statistics.median(paired):.2f}x ({paired[0]:.2f}-{paired[-1]:.2f})", f"{cr:.2f}x",
                 ">= 5x", "yes" if d / r >= 5 else "NO"])
widths = [max(len(x) for x in col) for col in zip(head, *body)]
line = lambda cells: "  ".join(c.ljust(w) for c, w in zip(cells, widths)).rstrip()
title = (f"filters over {nev} events, -p %evt.num; {rounds} interleaved rounds; medians of wall time, "
         f"per-round ratio: median (min-max); CPU ratio: user+system, medians")
print()
print(title)
print(line(head))
print(line(["-" * w for w in widths]))
for row in body:
    print(line(row))
md = ["", f"## Filters ({title})", "", "| " + " | ".join(head) + " |", "|" + "|".join("---" for _ in head) + "|"]
md += ["| " + " | ".join(r) + " |" for r in body]
with open(os.path.join(out, "results.md"), "a") as f:
    f.write("\n".join(md) + "\n")
EOF
