#!/usr/bin/env bash
# Merge benchmark (issue 25): `sysrec pcapdump merge` against `mergecap -w` on the
# same inputs, at least 1 GB of pcapng.
#
#   bench/merge.sh BUILD_DIR    (make bench and make bench-merge run it)
#
# Four pcapng files of FILE_MB MB each (tests/e2e/mkpcapng.py: two Ethernet
# interfaces, random packets of 14 to 1500 bytes, times interleaved across the
# files, the fourth tying with the first), made once under BUILD_DIR/bench/merge;
# then RUNS rounds of `sysrec pcapdump merge -w OUT A B C D` and `mergecap -w
# OUT A B C D`, interleaved, the output in the same directory. Reported: the
# median seconds and MB/s of each, sysrec/mergecap, and that both wrote the same
# number of packets.
#
# Prints a table and writes markdown to BUILD_DIR/bench/merge-results.md.
# Environment: SYSREC (default BUILD_DIR/sysrec), RUNS (3), FILE_MB (260).
set -euo pipefail

if [[ $# -ne 1 ]]; then
	echo "usage: bench/merge.sh BUILD_DIR" >&2
	exit 2
fi
BUILD=$1
OUT=$BUILD/bench
SYSREC=${SYSREC:-$BUILD/sysrec}
RUNS=${RUNS:-3}
FILE_MB=${FILE_MB:-260}
DIR=$OUT/merge
MD=$OUT/merge-results.md
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib.sh"

[[ -x $SYSREC ]] || { echo "bench: $SYSREC missing (run make)" >&2; exit 1; }
command -v mergecap >/dev/null && command -v capinfos >/dev/null ||
	{ echo "bench: mergecap and capinfos are needed (scripts/deps.sh)" >&2; exit 1; }
mkdir -p "$DIR"
trap 'rm -f "$DIR"/out-*.pcapng' EXIT

# packets of about 757 bytes on average, and 28 bytes of block around each
n=$((FILE_MB * 1000000 / 785))
for i in 1 2 3 4; do
	f=$DIR/in-$i.pcapng
	[[ -f $f && $(cat "$f.n" 2>/dev/null || true) == "$n" ]] && continue
	echo "bench: making $f ($n packets)"
	start=$((1700000000000000 + (i == 4 ? 0 : i - 1)))
	python3 "$HERE/../tests/e2e/mkpcapng.py" "$f" "host-$i" 6 "$i" "$n" "$start" 4 1500
	echo "$n" >"$f.n"
done
inputs=("$DIR"/in-1.pcapng "$DIR"/in-2.pcapng "$DIR"/in-3.pcapng "$DIR"/in-4.pcapng)
bytes=$(stat -c %s "${inputs[@]}" | awk '{ s += $1 } END { print s }')

declare -A T
echo "bench: $RUNS rounds of sysrec pcapdump merge and mergecap over $((bytes / 1000000)) MB in 4 files"
for ((r = 1; r <= RUNS; r++)); do
	for tool in sysrec mergecap; do
		rm -f "$DIR/out-$tool.pcapng"
		sync
		t0=$EPOCHREALTIME
		if [[ $tool == sysrec ]]; then
			"$SYSREC" pcapdump merge -w "$DIR/out-$tool.pcapng" "${inputs[@]}" 2>/dev/null
		else
			mergecap -w "$DIR/out-$tool.pcapng" "${inputs[@]}"
		fi
		t=$(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.3f", b - a }')
		T[$tool]+="$t "
		printf '  round %d  %-8s %.3f s\n' "$r" "$tool" "$t"
	done
done
ps=$(capinfos -c -M "$DIR/out-sysrec.pcapng" | awk '/Number of packets/ { print $NF }')
pm=$(capinfos -c -M "$DIR/out-mergecap.pcapng" | awk '/Number of packets/ { print $NF }')
[[ $ps == "$pm" && $ps == $((4 * n)) ]] || { echo "bench: packets: sysrec $ps, mergecap $pm, want $((4 * n))" >&2; exit 1; }
s=$(echo "${T[sysrec]}" | tr ' ' '\n' | sed '/^$/d' | median)
m=$(echo "${T[mergecap]}" | tr ' ' '\n' | sed '/^$/d' | median)
{
	echo "| tool | seconds (each round) | median s | MB/s |"
	echo "|---|---|---|---|"
	echo "| sysrec pcapdump merge | ${T[sysrec]% } | $s | $(awk -v b="$bytes" -v t="$s" 'BEGIN { printf "%.0f", b / 1e6 / t }') |"
	echo "| mergecap -w | ${T[mergecap]% } | $m | $(awk -v b="$bytes" -v t="$m" 'BEGIN { printf "%.0f", b / 1e6 / t }') |"
	echo
	echo "$((bytes / 1000000)) MB, $ps packets in 4 files; sysrec/mergecap time: **$(awk -v a="$s" -v b="$m" 'BEGIN { printf "%.3f", a / b }')**"
} | tee "$MD"
