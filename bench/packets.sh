#!/usr/bin/env bash
# Packet benchmarks (issue 22): `sysrec record --pcap` against `tcpdump -w`,
# side by side in one run, under iperf3 traffic; and the cost of syscall
# recording with packets off, against the build before packets were added.
#
#   bench/packets.sh BUILD_DIR    (make bench and make bench-packets run it as `bench/packets.sh build`, as root)
#
# (1) net: iperf3 over two paths, loopback (server on 127.0.0.1) and a veth
#     pair into a network namespace this script makes (server inside it at
#     198.18.22.2, client on the host side at 198.18.22.1; both removed at
#     exit), TCP and UDP (datagrams of UDP_LEN bytes), each case at a paced
#     rate (-b) or flat out (rate 0), RATE_SECS seconds each, under each
#     recorder in turn:
#       none            no recorder: the throughput the others are held to
#       tcpdump         `tcpdump -i IFACE -s SNAPLEN -w F -Z root` (lo, or the
#                       host end of the veth pair; libpcap's default 2 MiB buffer)
#       sysrec          `sysrec record --pcap F.pcapng --pcap-iface IFACE
#                       --pcap-snaplen SNAPLEN --stats`: packets alone, on
#                       tcpdump's interface, so the two do the same work (on
#                       lo sysrec keeps one copy of each packet, as tcpdump)
#       sysrec-full     `sysrec record -w F.scap --pcap F.pcapng --pcap-snaplen
#                       SNAPLEN --stats`: what a user runs by default, every
#                       interface of every namespace (on the veth path each
#                       packet twice: at both ends of the pair) and the host's
#                       system calls as well
#       sysrec-nopcap   (not in the default set) `sysrec record -w F.scap
#                       --stats`: the system calls alone
#       agent-pcapdump  (not in the default set) `sysrec agent --pcapdump true
#                       --pcapdump-max-size 20GB`: the agent's continuous pcap
#                       (issue 25), every interface, and its flight recorder of
#                       system calls; the file counted is `sysrec pcapdump
#                       export`'s merge of its rolling files, the drops are
#                       its status's (the snaplen is the agent's: whole packets)
#       agent-ring      (not in the default set) `sysrec agent --packets true`:
#                       the flight recorder keeps the packets in memory, cut to
#                       SNAPLEN (no file: the packets it took are its status's)
#     at each snaplen of SNAPLENS (65000, sysrec's most, for both recorders in
#     the "full" case; and 128). A recorder is started and awaited (tcpdump:
#     "listening on"; sysrec: its "recording" line), then iperf3 -J runs;
#     GRACE seconds after it ends (tcpdump hands a partly filled buffer block
#     over only after its 1 s timeout) the recorder gets SIGINT. Reported:
#     the throughput iperf3's receiver saw (and its loss against no recorder),
#     the packets in the recorder's file (bench/pcapcount: sysrec's also by
#     direction) against the packets the interface counted meanwhile (lo:
#     tx_packets; veth: the host end's tx + rx), the recorder's own drop count
#     (tcpdump: "dropped by kernel"; sysrec: "lost"), the recorder's CPU
#     (the run time of all its threads, /proc/PID/task/*/schedstat, in ns
#     rather than the 10 ms ticks of /proc/PID/stat; from ready to SIGINT)
#     per GB iperf3 moved, and the whole machine's busy CPU (/proc/stat) per
#     GB. The kernel's per-packet work for either recorder (tcpdump's copy
#     into its ring, sysrec's tc program and perf sample) runs in the sender's
#     or receiver's context: it shows as iperf3's throughput and the machine's
#     CPU, not as the recorder's.
# (2) syscalls: the write loop (`loops write WRITE_N`, write(2) of 64 bytes to
#     /dev/null) with no recorder, under `sysrec record -w F --stats` of
#     OLD_REF (the commit before packets were added; built once into
#     BUILD_DIR/bench/sysrec-SHA from a temporary git worktree) and under the
#     sysrec under test, no --pcap; SYS_RUNS interleaved rounds (the two
#     builds' order alternating). Reported: each build's slowdown (median
#     loop time) and new/old.
#
# Prints tables and writes markdown to BUILD_DIR/bench/packets-results.md; raw
# per-run data in BUILD_DIR/bench/packets-raw.tsv, recorder logs and iperf3's
# JSON in BUILD_DIR/bench/pk/.
#
# Environment: SYSREC (the binary under test, default BUILD_DIR/sysrec); PARTS
# ("net syscalls"); BENCH_QUICK=1 (a ~1 minute smoke run: 2 s per case, 2 cases
# per path, snaplen 128, no sysrec-nopcap, 1 syscall round); PATHS ("lo
# veth"); CASES (PROTO:RATE, rate as iperf3's -b, 0 = flat out; "udp:100M
# udp:500M udp:1G udp:0 tcp:1G tcp:0"); RECORDERS ("none tcpdump sysrec
# sysrec-nopcap"); SNAPLENS ("65000 128"); RATE_SECS (8); ROUNDS (1, rounds of
# the net part); GRACE (1.5); UDP_LEN (1448); PORT (15299, iperf3's); OLD_REF
# (312865b^; empty skips part 2); SYS_RUNS (5); WRITE_N (2000000); QUIET_WAIT
# (300: seconds to wait, before each measurement, for other tracers and
# capturers (sysrec, strace, perf trace/record, tcpdump) to end and for the
# machine to be idle: at most BUSY_MAX (15) percent of all CPUs busy over half
# a second; measurements taken after that wait ran out are marked in the results).
set -euo pipefail

if [[ $# -ne 1 ]]; then
	echo "usage: bench/packets.sh BUILD_DIR" >&2
	exit 2
fi
BUILD=$1
OUT=$BUILD/bench
SYSREC=${SYSREC:-$BUILD/sysrec}
LOOPS=$OUT/loops
PCAPCOUNT=$OUT/pcapcount
DIR=$OUT/pk
RAW=$OUT/packets-raw.tsv
MD=$OUT/packets-results.md
REPO=$(cd "$(dirname "$0")/.." && pwd)

QUICK=${BENCH_QUICK:-0}
q() { if [[ $QUICK == 1 ]]; then echo "$1"; else echo "$2"; fi; }
PARTS=${PARTS:-net syscalls}
PATHS=${PATHS:-lo veth}
CASES=${CASES:-$(q "udp:500M tcp:0" "udp:100M udp:500M udp:1G udp:0 tcp:1G tcp:0")}
RECORDERS=${RECORDERS:-$(q "none tcpdump sysrec" "none tcpdump sysrec sysrec-full")}
SNAPLENS=${SNAPLENS:-$(q "128" "65000 128")}
RATE_SECS=${RATE_SECS:-$(q 2 8)}
ROUNDS=${ROUNDS:-1}
GRACE=${GRACE:-1.5}
UDP_LEN=${UDP_LEN:-1448}
PORT=${PORT:-15299}
AGENT_PORT=${AGENT_PORT:-15298}
OLD_REF=${OLD_REF-312865b^}
SYS_RUNS=${SYS_RUNS:-$(q 1 5)}
WRITE_N=${WRITE_N:-$(q 400000 2000000)}
QUIET_WAIT=${QUIET_WAIT:-300}
BUSY_MAX=${BUSY_MAX:-15}

for tool in python3 iperf3 tcpdump ip awk git; do
	command -v "$tool" >/dev/null || { echo "bench: $tool is required (scripts/deps.sh installs it)" >&2; exit 1; }
done
[[ -x $SYSREC ]] || { echo "bench: $SYSREC missing (run make)" >&2; exit 1; }
[[ -x $LOOPS ]] || { echo "bench: $LOOPS missing (make $LOOPS)" >&2; exit 1; }
[[ -x $PCAPCOUNT ]] || { echo "bench: $PCAPCOUNT missing (make $PCAPCOUNT)" >&2; exit 1; }
[[ $(id -u) == 0 ]] || { echo "bench: recording needs root" >&2; exit 1; }

mkdir -p "$DIR"
: >"$RAW"
CLK_TCK=$(getconf CLK_TCK)
NCPU=$(nproc)
NS=sysrec-bench-$$
VETH_HOST=srbh$$
VETH_NS=srbn$$
HOST_ADDR=198.18.22.1 # 198.18.0.0/15: the benchmarking range (RFC 2544)
NS_ADDR=198.18.22.2

# shellcheck source=bench/lib.sh
. "$(dirname "$0")/lib.sh"

# ---------------------------------------------------------------- setup and cleanup
REC_PID=
SRV_LO=
SRV_NS=
OLD_TREE=
cleanup() {
	if [[ -n $REC_PID ]]; then
		kill -INT "$REC_PID" 2>/dev/null || true
		wait "$REC_PID" 2>/dev/null || true
	fi
	for p in $SRV_LO $SRV_NS; do
		kill "$p" 2>/dev/null || true
		wait "$p" 2>/dev/null || true
	done
	ip netns del "$NS" 2>/dev/null || true # takes the veth pair with it
	if [[ -n $OLD_TREE ]]; then
		git -C "$REPO" worktree remove --force "$OLD_TREE/src" 2>/dev/null || true
		rm -rf "$OLD_TREE"
	fi
	rm -f "$DIR"/cap.*
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Other tracers and capturers make every packet and syscall dearer: wait for them, and say so.
others() {
	{
		pgrep -a -x sysrec || true
		pgrep -a -x strace || true
		pgrep -a -x tcpdump || true
		pgrep -a -f '^perf (trace|record)' || true
	} | tr '\n' ';'
}
# The machine's busy share (of all CPUs) over half a second, in percent: others' builds and tests.
busy_now() {
	local a b
	a=$(awk '/^cpu / { print $2 + $3 + $4 + $7 + $8, $2 + $3 + $4 + $5 + $6 + $7 + $8 }' /proc/stat)
	sleep 0.5
	b=$(awk '/^cpu / { print $2 + $3 + $4 + $7 + $8, $2 + $3 + $4 + $5 + $6 + $7 + $8 }' /proc/stat)
	awk -v a="$a" -v b="$b" 'BEGIN { split(a, x, " "); split(b, y, " ");
		print (y[2] > x[2]) ? int(100 * (y[1] - x[1]) / (y[2] - x[2])) : 0 }'
}
OTHERS_SEEN=
QUIET=1
FLAG=clean
# Before each measurement: wait up to QUIET_WAIT seconds for other tracers to end and for
# the machine to be idle (under BUSY_MAX percent busy), then go on, remembering what was seen.
wait_quiet() {
	local o='' i busy=0
	QUIET=1
	for ((i = 0; i < QUIET_WAIT; i++)); do
		o=$(others)
		busy=$(busy_now)
		[[ -z $o && $busy -le $BUSY_MAX ]] && return 0
		((i % 30 == 0)) && echo "bench: waiting for other tracers to end (${o:-none}) and the machine to be idle ($busy% busy)" >&2
		sleep 0.5
	done
	echo "bench: WARNING: other tracers still running or the machine busy ($busy%), numbers will be off: $o" >&2
	QUIET=0
	[[ -n $o ]] || o="(the machine $busy% busy)"
	[[ $OTHERS_SEEN == *"$o"* ]] || OTHERS_SEEN+="$o "
}
clean() {
	local o
	o=$(others)
	[[ -z $o ]] || { QUIET=0; [[ $OTHERS_SEEN == *"$o"* ]] || OTHERS_SEEN+="$o "; }
	FLAG=dirty
	((QUIET)) && FLAG=clean
	return 0
}

# The busy ticks of the whole machine (all CPUs: not idle, iowait or steal).
host_busy() { awk '/^cpu / { print $2 + $3 + $4 + $7 + $8 }' /proc/stat; }

# An iperf3 server listening on PORT (in the namespace for veth); restarted when gone.
listening() { # PATH
	if [[ $1 == lo ]]; then
		ss -Hltn "sport = :$PORT" | grep -q .
	else
		ip netns exec "$NS" ss -Hltn "sport = :$PORT" | grep -q .
	fi
}
ensure_server() { # PATH
	local i pid
	if [[ $1 == lo ]]; then
		[[ -n $SRV_LO ]] && kill -0 "$SRV_LO" 2>/dev/null && return 0
		iperf3 -s -B 127.0.0.1 -p "$PORT" >"$DIR/iperf3-server-lo.log" 2>&1 &
		SRV_LO=$!
		pid=$SRV_LO
	else
		[[ -n $SRV_NS ]] && kill -0 "$SRV_NS" 2>/dev/null && return 0
		ip netns exec "$NS" iperf3 -s -B "$NS_ADDR" -p "$PORT" >"$DIR/iperf3-server-veth.log" 2>&1 &
		SRV_NS=$!
		pid=$SRV_NS
	fi
	for ((i = 0; i < 100; i++)); do
		listening "$1" && return 0
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.05
	done
	echo "bench: the iperf3 server ($1) did not start: $(cat "$DIR/iperf3-server-$1.log")" >&2
	exit 1
}

setup_veth() {
	if ip -o addr show | grep -q " $HOST_ADDR/"; then
		echo "bench: $HOST_ADDR is already on $(ip -o addr show | awk -v a=" $HOST_ADDR/" 'index($0, a) { print $2 }'):" \
			"a run that was killed left it; delete that link and its namespace (ip link del; ip netns del sysrec-bench-PID)" >&2
		exit 1
	fi
	ip netns add "$NS"
	ip link add "$VETH_HOST" type veth peer name "$VETH_NS" netns "$NS"
	ip addr add "$HOST_ADDR/30" dev "$VETH_HOST"
	ip link set "$VETH_HOST" up
	ip -n "$NS" addr add "$NS_ADDR/30" dev "$VETH_NS"
	ip -n "$NS" link set "$VETH_NS" up
	ip -n "$NS" link set lo up
}

# Packets the interface counted: "packets bytes" (lo: sent; the veth host end: sent + received).
iface_counts() { # PATH
	local d
	if [[ $1 == lo ]]; then
		d=/sys/class/net/lo/statistics
		echo "$(<$d/tx_packets) $(<$d/tx_bytes)"
	else
		d=/sys/class/net/$VETH_HOST/statistics
		echo "$(($(<$d/tx_packets) + $(<$d/rx_packets))) $(($(<$d/tx_bytes) + $(<$d/rx_bytes)))"
	fi
}

# Start a recorder in the background and wait until it is ready; sets REC_PID.
start_recorder() { # RECORDER SNAPLEN IFACE LOG [SYSREC_BINARY]
	local rec=$1 snap=$2 iface=$3 log=$4 bin=${5:-$SYSREC} ready i
	rm -f "$DIR"/cap.*
	case $rec in
	tcpdump)
		tcpdump -i "$iface" -s "$snap" -w "$DIR/cap.pcap" -Z root 2>"$log" &
		ready='listening on'
		;;
	sysrec)
		"$bin" record --pcap "$DIR/cap.pcapng" --pcap-iface "$iface" --pcap-snaplen "$snap" --stats 2>"$log" &
		ready='^sysrec record: recording'
		;;
	sysrec-full)
		"$bin" record -w "$DIR/cap.scap" --pcap "$DIR/cap.pcapng" --pcap-snaplen "$snap" --stats 2>"$log" &
		ready='^sysrec record: recording'
		;;
	sysrec-nopcap)
		"$bin" record -w "$DIR/cap.scap" --stats 2>"$log" &
		ready='^sysrec record: recording'
		;;
	agent-pcapdump | agent-ring)
		rm -rf "$DIR/agent"
		local extra=(--pcapdump true --pcapdump-max-size 20GB)
		[[ $rec == agent-ring ]] && extra=(--packets true --packets-snaplen "$snap")
		"$bin" agent --data "$DIR/agent" --listen "127.0.0.1:$AGENT_PORT" "${extra[@]}" 2>"$log" &
		ready='^sysrec agent: recording'
		;;
	*)
		echo "bench: unknown recorder $rec" >&2
		exit 2
		;;
	esac
	REC_PID=$!
	for ((i = 0; i < 400; i++)); do
		grep -q "$ready" "$log" && break
		kill -0 "$REC_PID" 2>/dev/null || { echo "bench: $rec failed: $(cat "$log")" >&2; exit 1; }
		sleep 0.05
	done
	grep -q "$ready" "$log" || { echo "bench: $rec did not start: $(cat "$log")" >&2; exit 1; }
	sleep 0.3 # let the first drains settle
}

# The agent's packet counts, "taken dropped", from its status (pcapdump's or the flight recorder's).
agent_counts() { # RECORDER
	local which=pcapdump
	[[ $1 == agent-ring ]] && which=packets
	curl -s -H "Authorization: Bearer $(cat "$DIR/agent/token")" "http://127.0.0.1:$AGENT_PORT/api/status" |
		python3 -c "import json,sys; p=json.load(sys.stdin)['$which']; print(p['packets'] if '$which' == 'pcapdump' else p['total'], p['dropped'])"
}

stop_recorder() { # RECORDER LOG
	local rc=0
	if [[ $1 == agent-* ]]; then
		agent_counts "$1" >"$DIR/agent-counts"
		[[ $1 == agent-ring ]] ||
			SYSREC_URL="http://127.0.0.1:$AGENT_PORT" SYSREC_DATA="$DIR/agent" "$SYSREC" pcapdump export \
				-w "$DIR/cap.pcapng" 2>>"$2" || { echo "bench: export failed: $(tail -2 "$2")" >&2; exit 1; }
	fi
	kill -INT "$REC_PID"
	wait "$REC_PID" || rc=$?
	REC_PID=
	[[ $1 != agent-* ]] || rm -rf "$DIR/agent" # its rolling files (the export is counted)
	[[ $rc == 0 ]] || { echo "bench: $1 exited with $rc: $(cat "$2")" >&2; exit 1; }
}

# "seen dropped written ev_written ev_dropped" from a recorder's log.
recorder_counts() { # RECORDER LOG
	local log=$2
	case $1 in
	tcpdump)
		awk '/ packets captured$/ { w = $1 } / packets received by filter$/ { s = $1 }
			/ packets dropped by kernel$/ { d = $1 } END { print s + 0, d + 0, w + 0, "-", "-" }' "$log"
		;;
	agent-pcapdump | agent-ring)
		local t d
		read -r t d <"$DIR/agent-counts"
		echo "$((t + d)) $d $t - -"
		;;
	sysrec | sysrec-full | sysrec-nopcap)
		local p e
		p=$(sed -n 's/^sysrec record: \([0-9]*\) packets written in [0-9]* files*, \([0-9]*\) left out by --pcap-filter, \([0-9]*\) lost.*/\1 \2 \3/p' "$log")
		e=$(sed -n 's/^sysrec record: \([0-9]*\) events written, \([0-9]*\) dropped.*/\1 \2/p' "$log")
		[[ -n $e ]] || e="- -" # packets alone: no events
		[[ -n $p || $1 == sysrec-nopcap ]] || { echo "bench: no --stats packet line from sysrec: $(cat "$log")" >&2; exit 1; }
		if [[ -n $p ]]; then
			read -r w f l <<<"$p"
			echo "$((w + f + l)) $l $w $e"
		else
			echo "- - - $e"
		fi
		;;
	esac
}

# iperf3 -J's summary: "seconds rx_bytes rx_bits_per_second tx_bytes udp_lost_percent" (the receiver's view).
iperf_summary() { # JSON
	python3 - "$1" <<'EOF'
import json, sys
j = json.load(open(sys.argv[1]))
if "error" in j:
    sys.exit("iperf3: " + j["error"])
e = j["end"]
rx, tx = e["sum_received"], e["sum_sent"]
print(f'{rx["seconds"]:.3f} {rx["bytes"]} {rx["bits_per_second"]:.0f} {tx["bytes"]} {rx.get("lost_percent", 0):.3f}')
EOF
}

# iperf3's client against PATH's server; retried once (a server left busy by a failed test).
run_iperf() { # PATH PROTO RATE JSON
	local path=$1 proto=$2 rate=$3 json=$4 dest=127.0.0.1 try
	local args=(-c "$dest" -p "$PORT" -t "$RATE_SECS" -b "$rate" -J)
	[[ $path == veth ]] && args[1]=$NS_ADDR
	[[ $proto == udp ]] && args+=(-u -l "$UDP_LEN")
	for try in 1 2; do
		ensure_server "$path"
		iperf3 "${args[@]}" >"$json" 2>"$json.err" && return 0
		echo "bench: iperf3 failed (try $try): $(head -c 300 "$json") $(cat "$json.err")" >&2
		sleep 2
	done
	exit 1
}

# ---------------------------------------------------------------- (1) net
net_run() { # PATH PROTO RATE RECORDER SNAPLEN ROUND
	local path=$1 proto=$2 rate=$3 rec=$4 snap=$5 round=$6
	local iface=lo tag log json c0=0 c1=0 h0 h1 w0 w1 ifp0 ifb0 ifp1 ifb1 ip counts size=0
	local fc=(- - - - - - - - - - - - - -)
	[[ $path == veth ]] && iface=$VETH_HOST
	tag=$path-$proto-$rate-$rec-$snap-$round
	log=$DIR/$tag.err
	json=$DIR/$tag.json
	wait_quiet
	[[ $rec == none ]] || start_recorder "$rec" "$snap" "$iface" "$log"
	[[ -n $REC_PID ]] && c0=$(cpu_ns "$REC_PID")
	h0=$(host_busy)
	read -r ifp0 ifb0 <<<"$(iface_counts "$path")"
	w0=$EPOCHREALTIME
	run_iperf "$path" "$proto" "$rate" "$json"
	w1=$EPOCHREALTIME
	read -r ifp1 ifb1 <<<"$(iface_counts "$path")"
	h1=$(host_busy)
	counts="- - - - -"
	if [[ -n $REC_PID ]]; then
		sleep "$GRACE"
		c1=$(cpu_ns "$REC_PID")
		stop_recorder "$rec" "$log"
		counts=$(recorder_counts "$rec" "$log")
		local f=$DIR/cap.pcapng
		[[ $rec == tcpdump ]] && f=$DIR/cap.pcap
		if [[ -f $f ]]; then
			read -r -a fc <<<"$("$PCAPCOUNT" "$f")"
			size=$(stat -c %s "$f")
		fi
		rm -f "$DIR"/cap.*
		sync
	fi
	read -r -a ip <<<"$(iperf_summary "$json")"
	read -r -a counts <<<"$counts"
	clean
	# net flag path proto rate recorder snaplen round | iperf: secs rx_bytes rx_bps tx_bytes udp_lost% |
	# iface packets bytes | file: packets caplen in out truncated size | recorder: seen dropped written
	# ev_written ev_dropped | cpu_ns host_busy_ticks clk_tck wall
	{
		printf 'net\t%s\t%s\t%s\t%s\t%s\t%s\t%s' "$FLAG" "$path" "$proto" "$rate" "$rec" "$snap" "$round"
		printf '\t%s' "${ip[@]}" "$((ifp1 - ifp0))" "$((ifb1 - ifb0))" "${fc[1]}" "${fc[3]}" "${fc[7]}" "${fc[9]}" \
			"${fc[13]}" "$size" "${counts[@]}" "$((c1 - c0))" "$((h1 - h0))" "$CLK_TCK" \
			"$(awk -v a="$w0" -v b="$w1" 'BEGIN { print b - a }')"
		printf '\n'
	} >>"$RAW"
	printf '  %-4s %-3s %-5s %-13s %-5s %6.2f Gbit/s  if %9s pkts  file %9s pkts (out %s)  dropped %s of %s  CPU %s ms\n' \
		"$path" "$proto" "$rate" "$rec" "$snap" "$(awk -v b="${ip[2]}" 'BEGIN { print b / 1e9 }')" \
		"$((ifp1 - ifp0))" "${fc[1]}" "${fc[9]}" "${counts[1]}" "${counts[0]}" "$(((c1 - c0) / 1000000))"
}

if [[ " $PARTS " == *" net "* ]]; then
	[[ " $PATHS " == *" veth "* ]] && setup_veth
	echo "bench: (1) net: paths $PATHS; cases $CASES; recorders $RECORDERS; snaplens $SNAPLENS;" \
		"$RATE_SECS s each, $ROUNDS round(s)"
	for ((round = 1; round <= ROUNDS; round++)); do
		for path in $PATHS; do
			for c in $CASES; do
				proto=${c%%:*} rate=${c#*:}
				for rec in $RECORDERS; do
					case $rec in
					none | sysrec-nopcap) net_run "$path" "$proto" "$rate" "$rec" - "$round" ;;
					*) for snap in $SNAPLENS; do net_run "$path" "$proto" "$rate" "$rec" "$snap" "$round"; done ;;
					esac
				done
			done
		done
	done
fi

# ---------------------------------------------------------------- (2) syscalls
OLD_BIN=
OLD_SKIP=
build_old() {
	local sha
	if [[ -z $OLD_REF ]]; then
		OLD_SKIP="OLD_REF is empty"
		return
	fi
	if ! sha=$(git -C "$REPO" rev-parse --verify -q "$OLD_REF^{commit}"); then
		OLD_SKIP="OLD_REF $OLD_REF is not a commit of $REPO"
		return
	fi
	OLD_BIN=$OUT/sysrec-${sha:0:12}
	[[ -x $OLD_BIN ]] && return
	echo "bench: building sysrec at $OLD_REF (${sha:0:12}) in a temporary worktree"
	OLD_TREE=$(mktemp -d /tmp/sysrec-old.XXXXXX)
	if git -C "$REPO" worktree add -q --detach "$OLD_TREE/src" "$sha" >"$DIR/old-build.log" 2>&1 &&
		make -C "$OLD_TREE/src" -j"$NCPU" build/sysrec >>"$DIR/old-build.log" 2>&1; then
		cp "$OLD_TREE/src/build/sysrec" "$OLD_BIN"
	else
		OLD_SKIP="building $OLD_REF failed (see $DIR/old-build.log)"
		OLD_BIN=
	fi
	git -C "$REPO" worktree remove --force "$OLD_TREE/src" 2>/dev/null || true
	rm -rf "$OLD_TREE"
	OLD_TREE=
}

loop_time() { awk '/ iterations / { print $4 }' "$1"; }

sys_run() { # WHICH BINARY ROUND
	local which=$1 bin=$2 round=$3 log=$DIR/sys-$1-$3.err t written=- dropped=-
	wait_quiet
	if [[ $which != none ]]; then
		start_recorder sysrec-nopcap - - "$log" "$bin"
	fi
	"$LOOPS" write "$WRITE_N" >"$DIR/loops.out"
	t=$(loop_time "$DIR/loops.out")
	if [[ $which != none ]]; then
		stop_recorder "sysrec ($which)" "$log"
		read -r _ _ _ written dropped <<<"$(recorder_counts sysrec-nopcap "$log")"
		rm -f "$DIR"/cap.*
		sync
	fi
	clean
	printf 'sys\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$FLAG" "$which" "$round" "$WRITE_N" "$t" "$written" "$dropped" >>"$RAW"
	echo "  round $round: $which ${t}s ($written events written, $dropped dropped)"
}

if [[ " $PARTS " == *" syscalls "* ]]; then
	build_old
	if [[ -n $OLD_SKIP ]]; then
		echo "bench: (2) syscalls: skipped: $OLD_SKIP"
	else
		echo "bench: (2) syscalls: write loop of $WRITE_N, $SYS_RUNS rounds: none, $OLD_BIN, $SYSREC (no --pcap)"
		for ((round = 1; round <= SYS_RUNS; round++)); do
			sys_run none - "$round"
			if ((round % 2)); then
				sys_run old "$OLD_BIN" "$round"
				sys_run new "$SYSREC" "$round"
			else
				sys_run new "$SYSREC" "$round"
				sys_run old "$OLD_BIN" "$round"
			fi
		done
	fi
fi

# ---------------------------------------------------------------- report
python3 - "$RAW" "$MD" "$QUICK" "$SYSREC" "$OLD_REF" "$OLD_BIN" "$OLD_SKIP" "$OTHERS_SEEN" "$RATE_SECS" \
	"$UDP_LEN" "$(git -C "$REPO" rev-parse --short HEAD 2>/dev/null || echo unknown)" <<'EOF'
import os, platform, statistics, sys

raw, mdpath, quick, sysrec, old_ref, old_bin, old_skip, others, rate_secs, udp_len, head = sys.argv[1:12]
med = statistics.median
net, sysr, dirty = {}, {}, 0
ORDER = {"none": 0, "tcpdump": 1, "sysrec": 2, "sysrec-full": 3, "sysrec-nopcap": 4}
for line in open(raw):
    f = line.rstrip("\n").split("\t")
    kind, flag = f[0], f[1]
    dirty += flag != "clean"
    if kind == "net":
        path, proto, rate, rec, snap, rnd = f[2:8]
        v = f[8:]
        r = dict(flag=flag, secs=float(v[0]), rx=int(v[1]), bps=float(v[2]), tx=int(v[3]), ulost=float(v[4]),
                 ifp=int(v[5]), ifb=int(v[6]), fpk=v[7], fcap=v[8], fin=v[9], fout=v[10], trunc=v[11],
                 size=int(v[12]), seen=v[13], dropped=v[14], written=v[15], ev=v[16], evdrop=v[17],
                 cpu=int(v[18]) / 1e9, host=int(v[19]) / int(v[20]), wall=float(v[21]))
        net.setdefault((path, proto, rate), {}).setdefault((rec, snap), []).append(r)
    elif kind == "sys":
        sysr.setdefault(f[2], []).append((flag, int(f[4]), float(f[5]), f[6], f[7]))

def prefer_clean(rs):
    c = [r for r in rs if r["flag"] == "clean"]
    return c or rs

def table(head, body):
    widths = [max(len(str(x)) for x in col) for col in zip(head, *body)]
    line = lambda cells: "  ".join(str(c).ljust(w) for c, w in zip(cells, widths)).rstrip()
    txt = [line(head), line(["-" * w for w in widths])] + [line(r) for r in body]
    md = ["| " + " | ".join(head) + " |", "|" + "|".join("---" for _ in head) + "|"]
    md += ["| " + " | ".join(str(c) for c in r) + " |" for r in body]
    return "\n".join(txt), "\n".join(md)

def rate_value(rate):
    return float(rate.rstrip("KMG")) * {"K": 1e3, "M": 1e6, "G": 1e9}.get(rate[-1:], 1) if rate != "0" else float("inf")

def rec_key(k):
    rec, snap = k
    group = 0 if rec == "none" else 2 if rec == "sysrec-nopcap" else 1
    return (group, 0 if snap == "-" else -int(snap), ORDER.get(rec, 9))

def rate_name(proto, rate):
    return f"{proto.upper()} " + ("flat out" if rate == "0" else f"-b {rate}")

def num(x):
    return None if x in ("-", "") else int(x)

def agg(rs):
    """medians of the rates, sums of the counts, over the rounds"""
    rs = prefer_clean(rs)
    s = lambda k: sum(num(r[k]) or 0 for r in rs) if all(num(r[k]) is not None for r in rs) else None
    gb = sum(r["rx"] for r in rs) / 1e9
    return dict(n=len(rs), bps=med(r["bps"] for r in rs), ulost=med(r["ulost"] for r in rs),
                ifp=sum(r["ifp"] for r in rs), fpk=s("fpk"), fout=s("fout"), fin=s("fin"),
                seen=s("seen"), dropped=s("dropped"), written=s("written"),
                cpu=sum(r["cpu"] for r in rs), host=sum(r["host"] for r in rs), gb=gb,
                cpu_gb=sum(r["cpu"] for r in rs) / gb if gb else None,
                host_gb=sum(r["host"] for r in rs) / gb if gb else None,
                trunc=any(r["trunc"] == "1" for r in rs), ev=s("ev"), evdrop=s("evdrop"),
                size=sum(r["size"] for r in rs))

def pct(x):
    return "-" if x is None else (f"{100 * x:.1f}%" if abs(x) >= 0.001 or x == 0 else f"{100 * x:.3f}%")

head_net = ["case", "recorder", "snaplen", "iperf3 Gbit/s", "vs none", "UDP lost (iperf3)", "if packets",
            "file packets", "sysrec out/in", "file / expected", "own drop count", "recorder CPU",
            "CPU s/GB", "host CPU s/GB"]
tables, verdicts = {}, []
for path in ("lo", "veth"):
    body = []
    for (p, proto, rate), recs in sorted(net.items(), key=lambda kv: (kv[0][1], rate_value(kv[0][2]))):
        if p != path:
            continue
        base = agg(recs[("none", "-")]) if ("none", "-") in recs else None
        keyed = sorted(recs, key=rec_key)
        res = {}
        for rec, snap in keyed:
            a = agg(recs[(rec, snap)])
            res[(rec, snap)] = a
            k = 2 if rec == "sysrec-full" and path == "veth" else 1  # every interface: both ends of the pair
            exp = k * a["ifp"]
            fe = a["fpk"] / exp if a["fpk"] is not None and exp and rec != "sysrec-nopcap" else None
            drop = "-"
            if a["dropped"] is not None and a["seen"]:
                drop = f'{a["dropped"]} of {a["seen"]} ({pct(a["dropped"] / a["seen"])})'
            body.append([rate_name(proto, rate), rec, "full (65000)" if snap == "65000" else snap,
                         f'{a["bps"] / 1e9:.2f}',
                         "-" if rec == "none" or not base else f'{a["bps"] / base["bps"] - 1:+.1%}',
                         f'{a["ulost"]:.2f}%' if proto == "udp" else "-", a["ifp"],
                         "-" if a["fpk"] is None else str(a["fpk"]) + (" (cut)" if a["trunc"] else ""),
                         f'{a["fout"]}/{a["fin"]}' if rec.startswith("sysrec") and a["fout"] is not None else "-",
                         "-" if fe is None else f"{fe:.1%}" + (f" (x{k})" if k == 2 else ""),
                         drop,
                         "-" if rec == "none" else f'{a["cpu"]:.3f} s',
                         "-" if rec == "none" or a["cpu_gb"] is None else f'{a["cpu_gb"]:.3f}',
                         "-" if a["host_gb"] is None else f'{a["host_gb"]:.2f}'])
        # the issue's targets, per snaplen: sysrec against tcpdump
        for snap in sorted({s for _, s in res if s != "-"}, key=lambda s: -int(s)):
            t, s = res.get(("tcpdump", snap)), res.get(("sysrec", snap))
            if not t or not s or t["seen"] is None or s["seen"] is None:
                continue
            tf = t["dropped"] / t["seen"] if t["seen"] else 0
            sf = s["dropped"] / s["seen"] if s["seen"] else 0
            if t["dropped"] == 0:
                drops_ok = s["dropped"] == 0
                dwhat = "tcpdump none, sysrec " + ("none" if drops_ok else pct(sf))
            else:
                drops_ok = sf < tf
                dwhat = f"tcpdump {pct(tf)}, sysrec {pct(sf)}"
            cpu_ok = s["cpu_gb"] is not None and t["cpu_gb"] is not None and s["cpu_gb"] <= t["cpu_gb"]
            verdicts.append(dict(path=path, case=rate_name(proto, rate), snap=snap, drops_ok=drops_ok,
                                 dwhat=dwhat, cpu_ok=cpu_ok,
                                 cwhat=f'{s["cpu_gb"]:.3f} vs {t["cpu_gb"]:.3f} s/GB'
                                 if s["cpu_gb"] is not None and t["cpu_gb"] is not None else "-",
                                 thr=(f'{s["bps"] / t["bps"] - 1:+.1%}')))
    if body:
        tables[path] = table(head_net, body)

head_v = ["path", "case", "snaplen", "drops (own count, share of seen)", "met", "recorder CPU per GB, sysrec vs tcpdump",
          "met", "sysrec throughput vs tcpdump's"]
body_v = [[v["path"], v["case"], v["snap"], v["dwhat"], "yes" if v["drops_ok"] else "NO", v["cwhat"],
           "yes" if v["cpu_ok"] else "NO", v["thr"]] for v in verdicts]
tv, mv = table(head_v, body_v) if body_v else ("", "")

summary = []
if verdicts:
    nd = sum(v["drops_ok"] for v in verdicts)
    nc = sum(v["cpu_ok"] for v in verdicts)
    summary.append(f"drops (none where tcpdump has none, fewer where it has some): met in {nd} of {len(verdicts)} cases")
    summary.append(f"recorder CPU per GB no higher than tcpdump's: met in {nc} of {len(verdicts)} cases")

sys_body = []
if sysr:
    def runs(which):
        rs = sysr.get(which, [])
        return [r for r in rs if r[0] == "clean"] or rs
    per = {w: [r[2] / r[1] for r in runs(w)] for w in ("none", "old", "new")}
    if all(per.values()):
        base = med(per["none"])
        so, sn = med(per["old"]) / base, med(per["new"]) / base
        labels = {"none": "no recorder", "old": f"sysrec at {old_ref} (before packets)", "new": "sysrec under test"}
        for w in ("none", "old", "new"):
            rs = runs(w)
            dropped = "-" if w == "none" else (f'{sum(int(r[4]) for r in rs if r[4] != "-")} of '
                                               f'{sum(int(r[3]) for r in rs if r[3] != "-")}')
            sys_body.append([labels[w], " ".join(f"{r[2]:.3f}" for r in rs), f"{med(per[w]) * 1e9:.1f} ns",
                             "-" if w == "none" else f"{med(per[w]) / base:.2f}x", dropped])
        sys_body.append(["new / old", "", "", f"{sn / so:.3f}", ""])
        summary.append(f"syscall recording with packets off: write loop {sn:.2f}x under the sysrec under test, "
                       f"{so:.2f}x under {old_ref}; new/old {sn / so:.3f}"
                       + (" (within 5%: unchanged, met)" if abs(sn / so - 1) <= 0.05 else " (MORE than 5% apart)"))
head_s = ["recorder", "loop times (s)", "median per write", "slowdown", "events dropped"]
ts_, ms_ = table(head_s, sys_body) if sys_body else ("", "")

for path, (t, _) in tables.items():
    print(f"\n(1) {path}: iperf3 {rate_secs} s per case, UDP datagrams of {udp_len} B")
    print(t)
if tv:
    print("\nTargets per case (sysrec against tcpdump at the same snaplen)")
    print(tv)
if ts_:
    print("\n(2) write loop, packets off")
    print(ts_)
elif old_skip:
    print(f"\n(2) skipped: {old_skip}")
print()
print("\n".join(summary))
if others:
    print(f"WARNING: other tracers were running during {dirty} measurements: {others}")

md = ["# sysrec packet benchmark results", "",
      f"Machine: {platform.machine()}, {os.cpu_count()} CPUs, {platform.platform()}. "
      f"Tree at {head}; sysrec under test: `{sysrec}`." + (" **Quick run (BENCH_QUICK=1).**" if quick == "1" else ""),
      "",
      "Columns: *if packets*: what the interface counted during iperf3's run (lo: sent; veth: the host end's "
      "sent + received). *file / expected*: packets in the recorder's file over *if packets*, times 2 for sysrec-full "
      "on the veth path (every interface: it keeps each packet at both ends of the pair). *sysrec out/in*: the "
      "file's packets by direction. *own drop count*: tcpdump's \"dropped by kernel\" of its "
      "\"received by filter\" (on lo libpcap counts both copies and keeps one), sysrec's \"lost\" of written + lost. "
      "*recorder CPU*: the run time of the recorder's threads (schedstat), ready to SIGINT; per GB iperf3's receiver got. "
      "*host CPU*: the whole machine's busy time per GB.", ""]
for path, (_, m) in tables.items():
    md += [f"## (1) {'loopback' if path == 'lo' else 'veth pair into a network namespace'} "
           f"(iperf3 {rate_secs} s per case)", "", m, ""]
if mv:
    md += ["## Targets per case (sysrec against tcpdump at the same snaplen)", "", mv, ""]
if ms_:
    md += [f"## (2) Syscall recording with packets off (write loop)", "", ms_, ""]
elif old_skip:
    md += ["## (2) Syscall recording with packets off", "", f"Skipped: {old_skip}.", ""]
md += ["## Summary", ""] + ["- " + s for s in summary]
if others:
    md += ["", f"**Other tracers were running during {dirty} measurements:** {others}"]
with open(mdpath, "w") as f:
    f.write("\n".join(md) + "\n")
print(f"\nwritten: {mdpath}")
EOF
