# e2e checks of the agent's continuous packet recording (pcapdump, issue 25):
# its settings changed at run time from the CLI and the API, bad input, the
# container filters (a stand-in for Docker's API describes two containers the
# test makes as cgroups), the size and time bounds under steady traffic, the
# export against mergecap, and losses said with their numbers. Sourced by
# run.sh; the checks share one agent (pd_up), started with the stand-in.

pd_ids=(5a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f9
	6b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f90a)
pd_fake=      # the stand-in's pid while the shared agent is the one pd_up started ("" once another runs)
pd_fake_pids=() # every stand-in started, stopped at exit

# The cgroup a test container's processes go into (as Docker makes them).
pd_cgroup() { # id
	if [ -d /sys/fs/cgroup/pids ]; then echo "/sys/fs/cgroup/pids/docker/$1"; else echo "/sys/fs/cgroup/sysrec-e2e-docker-$1"; fi
}

pd_down() {
	local p
	for p in "${pd_fake_pids[@]}"; do kill "$p" 2>/dev/null; done
	for id in "${pd_ids[@]}"; do rmdir "$(pd_cgroup "$id")" 2>/dev/null; done
	return 0
}

# The shared agent, with the stand-in API describing web-1 (prod) and db-1 (dev),
# the flight recorder keeping packets, and two rules that take bundles.
pd_up() { # name
	agent_can_run "$1" || return 1
	command -v tshark >/dev/null && command -v mergecap >/dev/null ||
		{ skipped "$1" "tshark or mergecap not installed (scripts/deps.sh installs them)"; return 1; }
	[ -n "$pd_fake" ] && [ -n "$agent_pid" ] && return 0
	agent_stop
	python3 "$here/fake-docker.py" "$work/pd-docker.sock" "${pd_ids[0]}=web-1,shop-0,prod" \
		"${pd_ids[1]}=db-1,store-0,dev" &
	pd_fake=$!
	pd_fake_pids+=("$pd_fake")
	[ "${#pd_fake_pids[@]}" -gt 1 ] || exit_hooks+=(pd_down)
	wait_for 10 test -S "$work/pd-docker.sock"
	for id in "${pd_ids[@]}"; do
		mkdir -p "$(pd_cgroup "$id")" 2>/dev/null || { skipped "$1" "cannot make a cgroup"; return 1; }
	done
	cat >"$work/pd-rules.yaml" <<YAML
- rule: Bundle with packets
  desc: the e2e marker opened the first trigger file
  condition: evt.type in (open, openat) and evt.dir=< and fd.name=$work/pd-trigger-1
  output: "bundle trigger %fd.name opened by %proc.name"
  priority: WARNING
  capture: {enabled: true, before: 3s, after: 1s, packets: true, artifacts: [write]}
- rule: Bundle without packets
  desc: the e2e marker opened the second trigger file
  condition: evt.type in (open, openat) and evt.dir=< and fd.name=$work/pd-trigger-2
  output: "bundle trigger %fd.name opened by %proc.name"
  priority: WARNING
  capture: {enabled: true, before: 3s, after: 1s, packets: false, artifacts: false}
YAML
	agent_start --docker-socket "$work/pd-docker.sock" --podman-socket "" --containerd-socket "" \
		--pcapdump-max-size 5MB --packets true --rules "$work/pd-rules.yaml" \
		--artifacts-write "$work/art-w/" --artifacts-exec true ||
		{ bad "$1" "the agent did not start: $(tail -3 "$work/agent.log")"; return 1; }
}

# Run a command as a process of test container id.
in_container() { # id command...
	local cg
	cg=$(pd_cgroup "$1")
	shift
	sh -c "echo \$\$ >$cg/cgroup.procs && exec \"\$@\"" sh "$@"
}

# Send n UDP datagrams of size bytes to 127.0.0.1:port (nobody listens: the sender owns them).
udp_send() { # port [n] [size]
	python3 -c 'import socket,sys,time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for i in range(int(sys.argv[2])):
    s.sendto(b"x" * int(sys.argv[3]), ("127.0.0.1", int(sys.argv[1])))
    time.sleep(0.01)' "$1" "${2:-5}" "${3:-100}"
}

pd_status() { # expression (python, on j)
	[ "$(api GET /api/pcapdump | head -n -1 | json_get "$1" 2>/dev/null)" = True ]
}

# Files on disk, their sizes together.
pd_disk() {
	find "$agent_data/pcapdump" -type f -printf '%s\n' 2>/dev/null | awk '{ s += $1 } END { print s + 0 }'
}

# Settings changed at run time from the CLI and the API, each kept, each
# bad value refused with a 4xx (or a non-zero exit) naming the setting, and
# nothing of the running recording changed by a refusal.
check_agent_pcapdump_runtime() {
	local out rc n0 n1 n2 ev0 before after
	pd_up "$1" || return
	out=$("$bin" pcapdump status --json 2>&1) || { bad "$1" "status: $out"; return; }
	[ "$(json_get 'j["enabled"], j["maxSize"], j["maxTime"]' <<<"$out")" = "False 5000000 3600" ] ||
		{ bad "$1" "at start: $out"; return; }
	out=$("$bin" pcapdump --enable=true --maxTime=2h --json 2>&1) || { bad "$1" "--enable=true: $out"; return; }
	[ "$(json_get 'j["enabled"], j["maxTime"]' <<<"$out")" = "True 7200" ] || { bad "$1" "after --enable: $out"; return; }
	udp_send 9001 10
	wait_for 5 pd_status 'j["packets"] >= 10' || { bad "$1" "no packets written: $(api GET /api/pcapdump | head -c 300)"; return; }
	# off through the API: nothing more is written while traffic goes on
	out=$(api PUT /api/pcapdump '{"enabled": false}')
	[ "$(tail -1 <<<"$out")" = 200 ] || { bad "$1" "PUT enabled false: $out"; return; }
	sleep 0.3
	n0=$(api GET /api/pcapdump | head -n -1 | json_get 'j["packets"]')
	udp_send 9002 10
	sleep 0.5
	n1=$(api GET /api/pcapdump | head -n -1 | json_get 'j["packets"]')
	[ "$n0" = "$n1" ] || { bad "$1" "disabled, yet $((n1 - n0)) packets written"; return; }
	out=$(api PUT /api/pcapdump '{"enabled": true, "maxSize": "5MB"}')
	[ "$(tail -1 <<<"$out")" = 200 ] || { bad "$1" "PUT enabled true: $out"; return; }
	udp_send 9003 10
	wait_for 5 pd_status "j['packets'] >= $n1 + 10" || { bad "$1" "enabled again, no packets"; return; }
	# bad input: a 4xx (or exit 1) naming the setting; the settings and the recording go on
	ev0=$(api GET /api/status | head -n -1 | json_get 'j["events"]["total"]')
	before=$(api GET /api/pcapdump | head -n -1 | json_get '[j[k] for k in ("enabled","maxSize","maxTime","regex","bpfOverride")]')
	for b in '{"maxSize": "50XB"}|maxSize|is not a size' '{"maxTime": "-1h"}|maxTime|is not a duration' \
		'{"maxTime": -5}|maxTime|is not a duration' '{"regex": "web-("}|regex|is not a regular expression' \
		'{"bpfOverride": "tcp prt 80"}|bpfOverride|tcpdump' '{"namespaces": "Prod"}|namespaces|not a namespace' \
		'{"namespaces": [1]}|namespaces|list of namespace' '{"maxsize": "5MB"}|maxsize|unknown setting' \
		'{"enabled": "maybe"}|enabled|not a boolean' '{"maxSize": "1GB", "maxTime": "0"}|maxTime|out of range'; do
		out=$(api PUT /api/pcapdump "${b%%|*}")
		rc=$(tail -1 <<<"$out")
		IFS='|' read -r _ field msg <<<"$b"
		[ "$rc" = 400 ] && [ "$(head -n -1 <<<"$out" | json_get 'j["field"]')" = "$field" ] &&
			head -n -1 <<<"$out" | grep -q "$msg" || { bad "$1" "${b%%|*}: $(tr '\n' ' ' <<<"$out")"; return; }
	done
	out=$(api PUT /api/pcapdump '{not json')
	[ "$(tail -1 <<<"$out")" = 400 ] || { bad "$1" "a body that is not JSON: $out"; return; }
	out=$(api GET '/api/pcapdump/export?since=-5')
	[ "$(tail -1 <<<"$out")" = 400 ] && grep -q '"field": "since"' <<<"$out" || { bad "$1" "since=-5: $out"; return; }
	out=$(api GET '/api/pcapdump/export?since=2000&until=1000')
	[ "$(tail -1 <<<"$out")" = 400 ] || { bad "$1" "until before since: $out"; return; }
	out=$("$bin" pcapdump --maxSize=50XB 2>&1) && rc=0 || rc=$?
	[ "$rc" = 1 ] && grep -q "pcapdump.maxSize: '50XB' is not a size" <<<"$out" || { bad "$1" "CLI --maxSize=50XB: exit $rc, '$out'"; return; }
	out=$("$bin" pcapdump --bogus=1 2>&1) && rc=0 || rc=$?
	[ "$rc" = 2 ] || { bad "$1" "CLI --bogus: exit $rc, '$out'"; return; }
	out=$("$bin" pcapdump export --since yesterday -w "$work/pd-bad.pcapng" 2>&1) && rc=0 || rc=$?
	[ "$rc" = 1 ] && grep -q "since 'yesterday' is not a time" <<<"$out" && [ ! -e "$work/pd-bad.pcapng" ] ||
		{ bad "$1" "CLI --since yesterday: exit $rc, '$out'"; return; }
	after=$(api GET /api/pcapdump | head -n -1 | json_get '[j[k] for k in ("enabled","maxSize","maxTime","regex","bpfOverride")]')
	[ "$before" = "$after" ] || { bad "$1" "refusals changed the settings: $before -> $after"; return; }
	n2=$(api GET /api/pcapdump | head -n -1 | json_get 'j["packets"]')
	udp_send 9004 5
	wait_for 5 pd_status "j['packets'] >= $n2 + 5" || { bad "$1" "no packets after the refusals"; return; }
	wait_for 5 agent_status "j['events']['total'] > $ev0" || { bad "$1" "the recording stopped"; return; }
	grep -q '^sysrec_pcapdump_enabled 1$' <(api GET /metrics) || { bad "$1" "/metrics has no sysrec_pcapdump_enabled 1"; return; }
	ok "$1 (CLI and API on, off, on; 16 bad inputs refused naming the setting; recording unaffected)"
}

# The container filters: a namespace, an excluded namespace, a regex on the
# name, then bpfOverride replacing them; each container's packets (its
# processes send them) kept or not, and the host's.
check_agent_pcapdump_filters() {
	local f=$work/pd-filters.pcapng t0 got want phase p1 p2 web=${pd_ids[0]:0:12} db=${pd_ids[1]:0:12}
	pd_up "$1" || return
	# both containers described by the stand-in before the filters are asked about them
	for id in "${pd_ids[@]}"; do in_container "$id" cat /etc/hostname >/dev/null; done
	wait_for 10 grep -qs "/containers/$web/json" "$work/pd-docker.sock.log" &&
		wait_for 10 grep -qs "/containers/$db/json" "$work/pd-docker.sock.log" ||
		{ bad "$1" "the agent did not ask about the test containers: $(head -3 "$work/pd-docker.sock.log" 2>/dev/null)"; return; }
	sleep 1
	t0=$(date +%s.%N)
	for phase in '1|{"enabled": true, "namespaces": "prod"}' '2|{"namespaces": null, "excludedNamespaces": ["dev"]}' \
		'3|{"excludedNamespaces": null, "regex": "^db-[0-9]$"}' '4|{"bpfOverride": "udp portrange 9401-9403"}'; do
		out=$(api PUT /api/pcapdump "${phase#*|}")
		[ "$(tail -1 <<<"$out")" = 200 ] || { bad "$1" "phase ${phase%%|*}: $out"; return; }
		sleep 0.3
		in_container "${pd_ids[0]}" python3 -c "import socket,time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for p in (9${phase%%|*}01, 9${phase%%|*}09):
    for i in range(3): s.sendto(b'w' * 60, ('127.0.0.1', p)); time.sleep(0.01)
time.sleep(1)" &
		p1=$!
		in_container "${pd_ids[1]}" python3 -c "import socket,time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for i in range(3): s.sendto(b'd' * 60, ('127.0.0.1', 9${phase%%|*}02)); time.sleep(0.01)
time.sleep(1)" &
		p2=$!
		udp_send "9${phase%%|*}03" 3 60
		wait "$p1" "$p2"
	done
	api PUT /api/pcapdump '{"bpfOverride": null, "regex": null}' >/dev/null
	"$bin" pcapdump export --since "$t0" -w "$f" >/dev/null 2>"$work/pd-filters.err" ||
		{ bad "$1" "export: $(head -2 "$work/pd-filters.err")"; return; }
	# each kept port with the containers its packets name (owner comment), once per port
	got=$(tshark -r "$f" -Y 'not icmp and udp.dstport >= 9100 and udp.dstport < 9500' -T fields -e udp.dstport -e frame.comment 2>/dev/null |
		sed -E 's/^([0-9]+)\t.*container=([0-9a-f]{12}).*/\1 \2/; s/^([0-9]+)\t.*/\1 host/' | sort -u | tr '\n' ' ')
	want=$(printf '%s\n' "9101 $web" "9109 $web" "9201 $web" "9209 $web" "9203 host" "9302 $db" "9401 $web" \
		"9402 $db" "9403 host" | sort -u | tr '\n' ' ')
	[ "$got" = "$want" ] || { bad "$1" "kept: '$got', want '$want'"; return; }
	ok "$1 (namespaces, excludedNamespaces, regex, bpfOverride: each kept its containers' packets only)"
}

# maxSize 5MB under steady traffic (about 400 kB/s): the files on disk never
# pass it, checked every second for a minute; from the 40th second maxTime 5s: files older
# go. The export after equals mergecap of the files left, packet for packet.
check_agent_pcapdump_bounds() {
	local tpid max=0 now sz i oldest files d=$work/pd-export out
	pd_up "$1" || return
	api PUT /api/pcapdump '{"enabled": true, "maxSize": "5MB", "maxTime": "1h", "regex": null, "namespaces": null, "excludedNamespaces": null, "bpfOverride": null}' >/dev/null
	python3 -c 'import socket,time
r = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); r.bind(("127.0.0.1", 0))
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
end = time.time() + 62
while time.time() < end:
    for i in range(40): s.sendto(b"b" * 1000, r.getsockname())
    time.sleep(0.1)' &
	tpid=$!
	for i in $(seq 1 60); do
		sleep 1
		sz=$(pd_disk)
		[ "$sz" -gt "$max" ] && max=$sz
		[ "$sz" -le 5000000 ] || { kill "$tpid"; bad "$1" "second $i: $sz bytes on disk, over 5MB"; return; }
		if [ "$i" = 40 ]; then
			"$bin" pcapdump --maxTime=5s >/dev/null 2>&1 || { kill "$tpid"; bad "$1" "--maxTime=5s refused"; return; }
		fi
	done
	wait "$tpid"
	now=$(date +%s%N)
	oldest=$(api GET /api/pcapdump | head -n -1 | json_get 'j["oldest_ns"]')
	# a file goes once its last packet is 5 s old (looked at each second); the oldest held is at
	# most one file's span (5/8 s) older
	[ $(((now - oldest) / 1000000)) -le 7000 ] || { bad "$1" "maxTime 5s: the oldest packet held is $(((now - oldest) / 1000000)) ms old"; return; }
	[ "$max" -gt 2500000 ] || { bad "$1" "the traffic never filled half the bound (max $max bytes)"; return; }
	grep -q 'deleted_for_size": [1-9]' <(api GET /api/pcapdump) || { bad "$1" "no file deleted for size"; return; }
	grep -q 'deleted_for_age": [1-9]' <(api GET /api/pcapdump) || { bad "$1" "no file deleted for age"; return; }
	# export against mergecap: recording off, so the files stay as they are
	api PUT /api/pcapdump '{"enabled": false}' >/dev/null
	mkdir -p "$d"
	out=$("$bin" pcapdump export --dest "$d" --json 2>&1) || { bad "$1" "export: $out"; return; }
	files=$(ls "$agent_data"/pcapdump/*.pcapng)
	mergecap -w "$d/theirs.pcapng" $files 2>"$d/mergecap.err" || { bad "$1" "mergecap: $(head -1 "$d/mergecap.err")"; return; }
	for f in "$(json_get 'j["path"]' <<<"$out")" "$d/theirs.pcapng"; do
		tshark -r "$f" -T fields -e frame.time_epoch -e frame.len -e frame.comment -e frame.packet_flags_direction \
			>"$f.txt" 2>"$f.err" && tshark -r "$f" -x >"$f.hex" 2>>"$f.err" || { bad "$1" "tshark $f: $(peer_stderr "$f.err" | head -1)"; return; }
	done
	f=$(json_get 'j["path"]' <<<"$out")
	[ -z "$(peer_stderr "$f.err")" ] || { bad "$1" "tshark warns on the export: $(peer_stderr "$f.err" | head -1)"; return; }
	cmp -s "$f.txt" "$d/theirs.pcapng.txt" && cmp -s "$f.hex" "$d/theirs.pcapng.hex" ||
		{ bad "$1" "export is not mergecap's: $(diff "$f.txt" "$d/theirs.pcapng.txt" | head -3 | tr '\n' ' ')"; return; }
	ok "$1 (5MB never passed over 60 s, at most $max bytes; maxTime 5s kept; export of $(wc -l <"$f.txt") packets in $(wc -w <<<"$files") files = mergecap)"
}

# A one-page packet buffer (tests only) under a flood: the agent warns with the
# count dropped, and the file marks each gap (drop count and a comment), as
# many as it counted.
check_agent_pcapdump_lost() {
	local f=$work/pd-lost.pcapng dropped drops notes off
	agent_can_run "$1" || return
	command -v tshark >/dev/null || { skipped "$1" "tshark not installed"; return; }
	agent_stop
	pd_fake=
	off=$(agent_log_size)
	AGENT_ENV=SYSREC_TEST_PKT_PAGES=1 agent_start --pcapdump true --podman-socket "" --containerd-socket "" ||
		{ bad "$1" "the agent did not start: $(tail -3 "$work/agent.log")"; return; }
	python3 -c 'import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1", 0))
c = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for i in range(20000): c.sendto(b"x" * 1400, s.getsockname())'
	sleep 0.5
	ping -c 2 -i 0.3 -W 1 127.0.0.1 >/dev/null
	wait_for 15 grep -q 'pcapdump: [0-9]* packets dropped' <(agent_log_since "$off") ||
		{ bad "$1" "no warning with the count: $(agent_log_since "$off" | tail -3)"; agent_stop; return; }
	# off first: no packet (the API's own among them) is written, nor a loss counted, between
	# the count read and the export
	api PUT /api/pcapdump '{"enabled": false}' >/dev/null
	dropped=$(api GET /api/pcapdump | head -n -1 | json_get 'j["dropped"]')
	"$bin" pcapdump export -w "$f" >/dev/null 2>&1 || { bad "$1" "export failed"; agent_stop; return; }
	agent_stop
	drops=$(tshark -r "$f" -T fields -e frame.drop_count 2>/dev/null | awk '{ n += $1 } END { print n + 0 }')
	notes=$(tshark -r "$f" -T fields -e frame.comment 2>/dev/null | grep -c 'packets lost before this one (the agent was behind')
	[ "$dropped" -gt 0 ] && [ "$drops" = "$dropped" ] && [ "$notes" -gt 0 ] ||
		{ bad "$1" "status says $dropped dropped, the file $drops in $notes notes"; return; }
	ok "$1 ($dropped dropped: warned with the count, marked in $notes places)"
}
