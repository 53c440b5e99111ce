#!/usr/bin/env bash
# Replay throughput of the generated 5-million-event capture through Falco
# 0.31.1's default ruleset, against sysdig 0.29.3 evaluating the same rules.
#
#   bench/rules.sh BUILD_DIR       (make bench-rules; part of make bench)
#
# Falco is not packaged for Debian; its filter engine is libsinsp, the one
# sysdig 0.29.3 runs. The peer is therefore sysdig reading the capture with
# one filter: the enabled rules' conditions (macros, lists and exceptions
# expanded, as `sysrec rules list --json` prints them) joined by `or`, so
# that sysdig tries every rule on every event as `sysrec rules replay -A`
# does. Rules whose expanded condition sysdig's parser refuses are left out
# on both sides (-D), and listed. Before timing, the number of events sysdig
# matches must equal the alerts sysrec counts (one per event, the first rule
# that matches, as Falco): a check that both evaluate the same rules.
#
# Timed with hyperfine (medians): sysrec replay as Falco runs by default
# (skipping the EF_DROP_SIMPLE_CONS events), sysrec replay -A, and sysdig.
# Results: BUILD_DIR/bench/rules-results.md.
#
# Environment: BENCH_EVENTS (5000000), SYSDIG, RULES_RUNS (5), SYSREC_TESTDATA.
set -euo pipefail

if [[ $# -ne 1 ]]; then
	echo "usage: bench/rules.sh BUILD_DIR" >&2
	exit 2
fi
BUILD=$1
OUT=$BUILD/bench
GEN=$OUT/gen-capture
SYSREC=$BUILD/sysrec
BIG=$OUT/bench.scap
NEVENTS=${BENCH_EVENTS:-5000000}
RUNS=${RULES_RUNS:-5}
SYSDIG=${SYSDIG:-$(command -v sysdig || true)}
TD=${SYSREC_TESTDATA:-$(cd "$(dirname "$0")/../.." && pwd)/shared/testdata}
RULES=$TD/falco-0.31.1/rules/falco_rules.yaml

for tool in hyperfine python3; do
	command -v "$tool" >/dev/null || { echo "bench: $tool is required" >&2; exit 1; }
done
[[ -n $SYSDIG && -x $SYSDIG ]] || { echo "bench: sysdig not found (set SYSDIG=)" >&2; exit 1; }
[[ -x $SYSREC && -x $GEN ]] || { echo "bench: build $SYSREC and $GEN first (make bench-rules)" >&2; exit 1; }
[[ -f $RULES ]] || { echo "bench: $RULES not found (set SYSREC_TESTDATA)" >&2; exit 1; }

# shellcheck source=bench/lib.sh
. "$(dirname "$0")/lib.sh"
export TZ=UTC
mkdir -p "$OUT"
bench_capture "$GEN" "$BIG" "$NEVENTS"

# The peer's command (a script: the filter is longer than one argument may be)
# and the rules it cannot take.
"$SYSREC" rules list --json "$RULES" >"$OUT/rules-list.json"
echo "bench: $(python3 "$(dirname "$0")/../scripts/rules_filter.py" "$OUT/rules-list.json" "$SYSDIG" \
	"$TD/scap/falco_empty.scap" "$OUT/rules-sysdig.sh" "$OUT/rules-left-out.txt")"
DOPTS=()
while IFS= read -r name; do DOPTS+=(-D "$name"); done <"$OUT/rules-left-out.txt"
DARGS=$(printf '%q ' "${DOPTS[@]}")

# Same rules, same events: sysrec's alerts (-A) against the events sysdig's filter matches.
have=$("$SYSREC" rules replay -A --rate 0 "${DOPTS[@]}" -r "$RULES" "$BIG" 2>/dev/null | awk '/^Events detected:/ { print $3 }')
want=$(bash "$OUT/rules-sysdig.sh" "$BIG" | wc -l)
if [[ $have != "$want" ]]; then
	echo "bench: sysrec counted $have alerts, sysdig matched $want events: not the same rules" >&2
	exit 1
fi
echo "bench: both find $have events that a rule matches"

hf() { hyperfine --style basic --warmup 1 --runs "$RUNS" "$@"; }
hf --export-json "$OUT/rules-replay.json" \
	-n "sysrec rules replay" "$SYSREC rules replay $DARGS -r $RULES $BIG >/dev/null 2>&1" \
	-n "sysrec rules replay -A" "$SYSREC rules replay -A $DARGS -r $RULES $BIG >/dev/null 2>&1" \
	-n "sysdig -r (rules as one filter)" "bash $OUT/rules-sysdig.sh $BIG >/dev/null"

python3 - "$OUT" "$NEVENTS" "$RUNS" "$have" "$(wc -l <"$OUT/rules-left-out.txt")" <<'EOF'
import json, os, platform, sys

out, nev, runs, hits, left = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5]
res = json.load(open(os.path.join(out, "rules-replay.json")))["results"]
med = [r["median"] for r in res]
names = ["sysrec rules replay (Falco's default: no EF_DROP_SIMPLE_CONS events)",
         "sysrec rules replay -A (every event)", "sysdig -r, the rules as one filter (every event)"]
md = ["# Rules replay benchmark", "",
      f"Capture `{out}/bench.scap`, {nev} events; Falco 0.31.1 default ruleset, {left} rules left out on both "
      f"sides; {hits} events matched by both. hyperfine medians of {runs} runs. "
      f"Machine: {platform.machine()}, {os.cpu_count()} CPUs.", "",
      "| run | time | events/s | vs sysdig |", "|---|---|---|---|"]
for n, m in zip(names, med):
    md.append(f"| {n} | {m:.2f} s | {nev / m / 1e6:.2f} M | {med[2] / m:.2f}x |")
text = "\n".join(md) + "\n"
open(os.path.join(out, "rules-results.md"), "w").write(text)
print()
print(text)
EOF
