#!/usr/bin/env bash
# Artifact benchmarks (issue 23): what `--capture write=PREFIX` costs the
# system calls of other files, and a large file written under a prefix.
#
#   bench/artifacts.sh BUILD_DIR    (make bench and make bench-artifacts run it as root)
#
# (1) loops: the write loop (`loops write N FILE`: write(2) of 64 bytes to a
#     regular file outside the prefix, /var/tmp/sysrec-bench-w) and the open
#     loop (`loops open N`: open, read and close /etc/hostname) under:
#       none     no recorder
#       plain    `sysrec record -w F`
#       prefix   `sysrec record -w F --capture write=/tmp/sysrec-bench-x*
#                 --capture dir:D --artifacts-file-max 0 --artifacts-max 0`:
#                 the files written are looked up once in the kernel and never
#                 copied (not under the prefix)
#     RUNS interleaved rounds; the median loop time of each. Target: prefix
#     no more than 1.1x plain.
# (2) big: `dd if=SRC of=/tmp/sysrec-bench-x/big bs=1M conv=fsync` (SRC:
#     BIG_MB of random bytes, made once, read from the page cache) (after one
#     unmeasured dd) under no recorder, plain and prefix (now under the prefix:
#     every byte copied, no limit), and "twice": no recorder, but a second dd
#     writing the same bytes to another file at the same time (the bytes
#     written twice, as keeping the file does, by the simplest means); and the
#     floor of any capture of written data: `loops copy SRC DST` (dd's work)
#     against `loops copy SRC DST 1` (each buffer also copied once in the
#     writer, as the kernel side must before the call returns); BIG_RUNS
#     interleaved rounds, the median of each. Reported: dd's throughput, and of
#     the last prefix round the artifact's size and sha256 against the file's,
#     the bytes the manifest counts as not kept.
#
# Prints tables and writes markdown to BUILD_DIR/bench/artifacts-results.md.
# Environment: SYSREC (default BUILD_DIR/sysrec), RUNS (5), WRITE_N (1000000),
# OPEN_N (200000), BIG_MB (1024), BIG_RUNS (3).
set -euo pipefail

if [[ $# -ne 1 ]]; then
	echo "usage: bench/artifacts.sh BUILD_DIR" >&2
	exit 2
fi
BUILD=$1
OUT=$BUILD/bench
SYSREC=${SYSREC:-$BUILD/sysrec}
LOOPS=$OUT/loops
RUNS=${RUNS:-5}
WRITE_N=${WRITE_N:-1000000}
OPEN_N=${OPEN_N:-200000}
BIG_MB=${BIG_MB:-1024}
BIG_RUNS=${BIG_RUNS:-3}
DIR=$OUT/art
MD=$OUT/artifacts-results.md
PREFIX_DIR=/tmp/sysrec-bench-x
WFILE=/var/tmp/sysrec-bench-w
. "$(dirname "$0")/lib.sh"

[[ -x $SYSREC ]] || { echo "bench: $SYSREC missing (run make)" >&2; exit 1; }
[[ -x $LOOPS ]] || { echo "bench: $LOOPS missing (make $LOOPS)" >&2; exit 1; }
[[ $(id -u) == 0 ]] || { echo "bench: recording needs root" >&2; exit 1; }
mkdir -p "$DIR" "$PREFIX_DIR"
REC_PID=
cleanup() {
	[[ -z $REC_PID ]] || kill -INT "$REC_PID" 2>/dev/null || true
	rm -rf "$PREFIX_DIR" "$WFILE" "$DIR"/*.scap "$DIR"/out-* "$DIR/src" "$DIR/floor-copy"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Start a recorder (none, plain, prefix) and wait for it; sets REC_PID.
start() { # RECORDER TAG
	local i log=$DIR/$2.err
	REC_PID=
	case $1 in
	none | floor | copy | copykeep) return 0 ;;
	plain) "$SYSREC" record -w "$DIR/$2.scap" --stats 2>"$log" & ;;
	prefix)
		rm -rf "$DIR/out-$2"
		"$SYSREC" record -w "$DIR/$2.scap" --capture "write=$PREFIX_DIR/*" --capture "dir:$DIR/out-$2" \
			--artifacts-file-max 0 --artifacts-max 0 --stats 2>"$log" &
		;;
	esac
	REC_PID=$!
	for ((i = 0; i < 400; i++)); do
		grep -q 'recording (' "$log" && return 0
		kill -0 "$REC_PID" 2>/dev/null || { echo "bench: $1 failed: $(cat "$log")" >&2; exit 1; }
		sleep 0.05
	done
	echo "bench: $1 did not start: $(cat "$log")" >&2
	exit 1
}

stop() {
	[[ -n $REC_PID ]] || return 0
	kill -INT "$REC_PID"
	wait "$REC_PID" || { echo "bench: the recorder failed" >&2; exit 1; }
	REC_PID=
}

declare -A T
echo "bench: (1) loops: write $WRITE_N to $WFILE, open $OPEN_N; $RUNS rounds of none, plain, prefix"
for ((r = 1; r <= RUNS; r++)); do
	for rec in none plain prefix; do
		for loop in write open; do
			start "$rec" "$loop-$rec-$r"
			if [[ $loop == write ]]; then
				t=$("$LOOPS" write "$WRITE_N" "$WFILE" | awk '{ print $4 }')
			else
				t=$("$LOOPS" open "$OPEN_N" | awk '{ print $4 }')
			fi
			stop
			rm -f "$DIR/$loop-$rec-$r.scap" "$WFILE"
			T[$loop-$rec]+="$t "
			printf '  round %d  %-6s %-5s %.3f s\n' "$r" "$rec" "$loop" "$t"
		done
	done
done

echo "bench: (2) big: dd of $BIG_MB MB under $PREFIX_DIR; $BIG_RUNS rounds of none, floor, plain, prefix, copy, copykeep"
declare -A BIG
# random bytes (zeros would hide a lost chunk: a hole reads as zeros), from the page cache
[[ -f $DIR/src && $(stat -c %s "$DIR/src") == $((BIG_MB << 20)) ]] || head -c $((BIG_MB << 20)) /dev/urandom >"$DIR/src"
dd if="$DIR/src" of="$PREFIX_DIR/big" bs=1M conv=fsync status=none # a first run: allocation warmed
for ((r = 1; r <= BIG_RUNS; r++)); do
	for rec in none floor plain prefix copy copykeep; do
		rm -f "$PREFIX_DIR/big" "$DIR/floor-copy"
		sync
		start "$rec" "big-$rec"
		t0=$EPOCHREALTIME
		cp=
		if [[ $rec == floor ]]; then
			dd if="$DIR/src" of="$DIR/floor-copy" bs=1M status=none &
			cp=$!
		fi
		case $rec in
		copy | copykeep)
			t=$("$LOOPS" copy "$DIR/src" "$PREFIX_DIR/big" "$([[ $rec == copykeep ]] && echo 1 || echo 0)" |
				awk '{ print $5 }')
			t1=$(awk -v a="$t0" -v t="$t" 'BEGIN { printf "%.6f", a + t }')
			;;
		*)
			dd if="$DIR/src" of="$PREFIX_DIR/big" bs=1M conv=fsync status=none
			t1=$EPOCHREALTIME
			;;
		esac
		[[ -z $cp ]] || wait "$cp"
		stop
		t=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", b - a }')
		BIG[$rec]+="$t "
		printf '  round %d  %-6s %s s, %.0f MB/s\n' "$r" "$rec" "$t" "$(awk -v t="$t" -v mb="$BIG_MB" 'BEGIN { print mb / t }')"
	done
done
rm -f "$DIR/floor-copy"
want_sha=$(sha256sum "$PREFIX_DIR/big" | cut -d' ' -f1)
read -r kept_size kept_sha dropped trunc fdrop < <(python3 - "$DIR/out-big-prefix/out" "$PREFIX_DIR/big" <<'EOF'
import json, os, sys
m = json.load(open(os.path.join(sys.argv[1], "manifest.json")))
a = [x for x in m["artifacts"] if x["kind"] == "write" and sys.argv[2] in x.get("paths", [])]
if not a:
    print(0, "-", sum(m["dropped_bytes"].values()), "-", 0)
else:
    print(a[0]["size"], a[0]["sha256"], sum(m["dropped_bytes"].values()), str(a[0]["truncated"]).lower(),
          a[0].get("dropped_bytes", 0))
EOF
)
rm -f "$PREFIX_DIR/big"

python3 - "$MD" "$RUNS" "$WRITE_N" "$OPEN_N" "$BIG_MB" "$want_sha" "$kept_size" "$kept_sha" "$dropped:$trunc:$fdrop" \
	"$(git -C "$(dirname "$0")/.." rev-parse --short HEAD 2>/dev/null || echo '?')" \
	"${T[write-none]}" "${T[write-plain]}" "${T[write-prefix]}" "${T[open-none]}" "${T[open-plain]}" \
	"${T[open-prefix]}" "${BIG[none]}" "${BIG[floor]}" "${BIG[plain]}" "${BIG[prefix]}" "$BIG_RUNS" \
	"${BIG[copy]}" "${BIG[copykeep]}" <<'EOF'
import os, platform, statistics, sys
(md, runs, wn, on, big_mb, want_sha, kept_size, kept_sha, dropped_all, head,
 wnone, wplain, wpre, onone, oplain, opre, bnone, bfloor, bplain, bpre, big_runs, bcopy, bkeep) = sys.argv[1:]
med = lambda s: statistics.median(float(x) for x in s.split())
dropped, trunc, fdrop = dropped_all.split(":")
rows, verdicts = [], []
for name, n, a, b, c in (("write (64 B to a file outside the prefix)", wn, wnone, wplain, wpre),
                         ("open + read + close", on, onone, oplain, opre)):
    t0, t1, t2 = med(a), med(b), med(c)
    ratio = t2 / t1
    rows.append(f"| {name} | {n} | {t0:.3f} s | {t1:.3f} s ({t1 / t0:.2f}x) | {t2:.3f} s ({t2 / t0:.2f}x) | "
                f"{ratio:.3f} | {'yes' if ratio <= 1.1 else 'NO'} |")
    verdicts.append(f"{name}: prefix/plain {ratio:.3f} (target at most 1.1: {'met' if ratio <= 1.1 else 'NOT met'})")
bb = {k: med(v) for k, v in (("none", bnone), ("floor", bfloor), ("plain", bplain), ("prefix", bpre),
                             ("copy", bcopy), ("copykeep", bkeep))}
whole = int(big_mb) << 20
what = {"none": "no recorder", "floor": "twice: no recorder, a second dd writing the same bytes at once",
        "plain": "plain `-w`", "prefix": "`-w` + write prefix (every byte kept)",
        "copy": "floor, no recorder: `loops copy` (dd's work)",
        "copykeep": "floor, no recorder: `loops copy` with each buffer copied once more in the writer"}
big_rows = [f"| {what[k]} | {v:.2f} s | {int(big_mb) / v:.0f} MB/s |" for k, v in bb.items()]
same = kept_sha == want_sha and int(kept_size) == whole
keep = bb["plain"] / bb["prefix"]
floor = bb["none"] / bb["floor"]
copy_floor = bb["copy"] / bb["copykeep"]
verdicts.append(f"{big_mb} MB under the prefix: {int(kept_size) - int(fdrop)} of {whole} bytes kept, sha256 "
                f"{'equal' if same else 'DIFFERENT'}, {dropped} bytes counted not kept (the artifact: truncated "
                f"{trunc}, {fdrop} bytes); dd throughput "
                f"{keep:.2f}x of plain recording's; the floor (one more copy of each byte in the writer, "
                f"no recorder) {copy_floor:.2f}x; a second dd writing the same bytes at once {floor:.2f}x")
out = ["# sysrec artifact benchmark results", "",
       f"Machine: {platform.machine()}, {os.cpu_count()} CPUs, {platform.platform()}. Tree at {head}; "
       f"medians of {runs} interleaved rounds.", "",
       "## (1) Loops: plain recording against recording with `--capture write=/tmp/sysrec-bench-x*`", "",
       "| loop | iterations | no recorder | plain `-w` | `-w` + write prefix | prefix / plain | met |",
       "|---|---|---|---|---|---|---|"] + rows + ["",
       f"## (2) `dd` of {big_mb} MB under the prefix (conv=fsync), medians of {big_runs} rounds", "",
       "| recorder | time | throughput |", "|---|---|---|"] + big_rows + ["",
       f"Kept: a file of {kept_size} of {whole} bytes, sha256 {'equal to' if same else 'NOT equal to'} the "
       f"file's; bytes counted not kept: {dropped} in the manifest, {fdrop} by the artifact itself, which says "
       f"truncated: {trunc}.", "", "## Summary", ""] + ["- " + v for v in verdicts]
open(md, "w").write("\n".join(out) + "\n")
print("\n".join(out[6:]))
print(f"\nwritten: {md}")
EOF
