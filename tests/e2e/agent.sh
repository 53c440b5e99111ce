# e2e checks of `sysrec agent` (eBPF; needs root and BTF) and its client
# `sysrec capture`, with curl and sysdig as the peers. Sourced by run.sh; each
# check_NAME is listed in cases.txt as "check NAME". The checks share one
# agent (agent_up), restarted where a check needs another configuration.

agent_pid=
agent_port=
agent_data=

# Start the agent with extra flags (and environment in AGENT_ENV); wait until its API answers.
agent_start() { # flags...
	agent_data=${agent_data:-$work/agent-data}
	agent_port=${agent_port:-$((20000 + RANDOM % 20000))}
	env ${AGENT_ENV:-} "$bin" agent --data "$agent_data" --listen "127.0.0.1:$agent_port" --seconds 20 "$@" \
		>>"$work/agent.log" 2>&1 &
	agent_pid=$!
	wait_for 10 agent_answers_or_exited
	kill -0 "$agent_pid" 2>/dev/null || { agent_pid=; return 1; }
	export SYSREC_URL="http://127.0.0.1:$agent_port" SYSREC_DATA="$agent_data"
	# some history in the flight recorder
	wait_for 10 agent_status 'j["ring"]["events"] > 0'
}

agent_answers_or_exited() {
	{ [ -s "$agent_data/token" ] && curl -s -o /dev/null "http://127.0.0.1:$agent_port/api/status"; } ||
		! kill -0 "$agent_pid" 2>/dev/null
}

# Whether the agent's capture ID has the status (recording, storing, ok, error).
capture_status_is() { # id status
	[ "$(api GET "/api/captures/$1" | head -n -1 | json_get 'j["status"]' 2>/dev/null)" = "$2" ]
}

# Whether a python expression on the agent's /api/status (j) is true.
agent_status() { # expression
	[ "$(api GET /api/status | head -n -1 | json_get "$1" 2>/dev/null)" = True ]
}

agent_stop() { # [signal]
	[ -n "$agent_pid" ] || return 0
	kill "-${1:-TERM}" "$agent_pid" 2>/dev/null
	stop_wait "$agent_pid" "sysrec agent (SIG${1:-TERM})" 2>/dev/null
	agent_pid=
}

# The agent can run here (root, BTF) and its peers are installed; else skip the check.
agent_can_run() { # name
	if [ "$(id -u)" != 0 ] || [ ! -r /sys/kernel/btf/vmlinux ]; then
		skipped "$1" "needs root and a kernel with BTF (CI runs it)"
		return 1
	fi
	command -v curl >/dev/null || { skipped "$1" "curl not installed"; return 1; }
	have_sysdig || { skipped "$1" "sysdig not installed"; return 1; }
}

# The agent is running (started with defaults when it is not); else skip the check.
agent_up() { # name
	agent_can_run "$1" || return 1
	[ -n "$agent_pid" ] && return 0
	agent_start || { bad "$1" "the agent did not start: $(tail -3 "$work/agent.log")"; return 1; }
}

# curl the API with the token: prints the body, then the status on the last line.
api() { # method path [body] [curl args...]
	local m=$1 p=$2 b=${3:-}
	shift 3 2>/dev/null || shift $#
	curl -s -X "$m" -H "Authorization: Bearer $(cat "$agent_data/token")" ${b:+-d "$b"} \
		-w '\n%{http_code}' "$@" "http://127.0.0.1:$agent_port$p"
}

json_get() { # expression (python, on j) < json
	python3 -c "import json,sys; j=json.load(sys.stdin); print($1)"
}

# A marker process acts, then a capture asks for 3 s before and 2 s after: the
# file (sysdig -r) holds the marker's events from before the request, its
# name and fd names resolved, the trigger marked, and nothing of the agent.
check_agent_capture_before() {
	local tag=marker-$$ id f trig # a name within the 15 characters of a comm
	agent_up "$1" || return
	# steady activity, so that an idle machine still has events at the window's edges
	(while :; do head -c1 /etc/hostname >/dev/null; sleep 0.05; done) &
	local busy=$!
	sleep 3 # the history under test: more than the 3 s asked for are in the flight recorder
	cp /bin/cat "$work/$tag"
	"$work/$tag" /etc/hostname >/dev/null
	sleep 0.5 # the marker acts before the request: its events lie inside the 3 s before, not at the edge
	if ! "$bin" capture take --name before-test --before 3 --after 2 --json >"$work/take.json" 2>"$work/take.err"; then
		kill "$busy"
		bad "$1" "take failed: $(cat "$work/take.err")"
		return
	fi
	kill "$busy"
	id=$(json_get 'j["id"]' <"$work/take.json")
	[ "$(json_get 'j["status"]' <"$work/take.json")" = ok ] || { bad "$1" "status: $(cat "$work/take.json")"; return; }
	"$bin" capture download "$id" -o "$work/before.scap" 2>"$work/dl.err" || { bad "$1" "download: $(cat "$work/dl.err")"; return; }
	f=$work/before.scap
	sysdig -r "$f" -p '%evt.rawtime %proc.name %fd.name' "proc.name=$tag and evt.type in (open, openat) and evt.dir=<" \
		>"$work/marker.txt" 2>"$work/sd.err" || { bad "$1" "sysdig -r: $(head -1 "$work/sd.err")"; return; }
	grep -q " $tag /etc/hostname$" "$work/marker.txt" || { bad "$1" "no open of /etc/hostname by $tag: $(head -3 "$work/marker.txt")"; return; }
	trig=$(sysdig -r "$f" -p '%evt.rawtime' 'evt.type=notification and evt.arg.id=sysrec-trigger')
	[ -n "$trig" ] || { bad "$1" "no trigger notification"; return; }
	[ "$(head -1 "$work/marker.txt" | cut -d' ' -f1)" -lt "$trig" ] || { bad "$1" "the marker's open is not before the trigger"; return; }
	[ -z "$(sysdig -r "$f" -p %evt.num "proc.pid=$agent_pid" | head -1)" ] || { bad "$1" "the agent's own events are in the capture"; return; }
	# the window: 5 s, from 3 s before the trigger
	sysdig -r "$f" -p '%evt.rawtime %evt.dir' 'evt.type!=notification' >"$work/span"
	python3 - "$trig" "$work/span" <<'PY' || { bad "$1" "window: $(cat "$work/span.why") (trigger at $trig)"; return; }
import sys
t = int(sys.argv[1])
ev = [(int(ts), d) for ts, d in (l.split() for l in open(sys.argv[2]))]
# syscalls in progress at the window's start come first, as their enter events (any age)
early = [d for ts, d in ev if ts < t - 3.05e9]
inside = [ts for ts, d in ev if ts >= t - 3.05e9]
why = ""
if any(d != ">" for d in early): why = "events before the window that are not enters"
elif not inside or not inside[0] <= t - 2.5e9: why = "the window starts after t - 2.5 s: %s" % (inside[:1],)
elif not t + 1e9 <= max(inside) <= t + 2.1e9: why = "the window ends at %d" % max(inside)
open(sys.argv[2] + ".why", "w").write(why)
sys.exit(1 if why else 0)
PY
	# more history asked for than the recorder keeps (20 s): the file says from when it is complete
	"$bin" capture take --name too-far --before 60 --after 1 --json >"$work/far.json" 2>/dev/null || { bad "$1" "take --before 60"; return; }
	"$bin" capture download "$(json_get 'j["id"]' <"$work/far.json")" -o "$work/far.scap" 2>/dev/null || { bad "$1" "download"; return; }
	sysdig -r "$work/far.scap" -p '%evt.info' 'evt.type=notification and evt.arg.id=sysrec-history' | grep -q 'history complete from' ||
		{ bad "$1" "no history notification in a capture reaching past the recorder"; return; }
	# ... and the catalog, the list and the file say what it holds, not what was asked for
	python3 - "$work/far.json" <<'PY' || { bad "$1" "the short capture's record: $(cat "$work/far.json")"; return; }
import json, sys
j = json.load(open(sys.argv[1]))
held = (j["end_ns"] - j["start_ns"]) / 1e9
assert j["status"] == "ok" and j["incomplete"] is True, "not marked incomplete"
assert abs(j["duration"] - held) < 0.001 and held < 60, "duration %s, held %s" % (j["duration"], held)
assert "seconds asked before the trigger" in j["incomplete_reason"], j["incomplete_reason"]
PY
	"$bin" capture list --search too-far >"$work/far.list"
	grep -Eq '^Incomplete +too-far .* [0-9.]+s of 61\.0s ' "$work/far.list" || { bad "$1" "list: $(cat "$work/far.list")"; return; }
	sysdig -r "$work/far.scap" -p '%evt.info' 'evt.type=notification and evt.arg.id=sysrec-incomplete' |
		grep -qF "$(json_get 'j["incomplete_reason"]' <"$work/far.json")" || { bad "$1" "no sysrec-incomplete note with the reason"; return; }
	ok "$1 ($(wc -l <"$work/marker.txt") marker opens, $(sysdig -r "$f" | wc -l) events)"
}

# Every loss that touches a capture is in its file and its record: the sysrec-drops
# notifications' counts add up to lost_events, each is stamped inside [start, end],
# and the capture says it is incomplete (file, record, list). Args: capture JSON, file.
losses_stated() { # json scap
	sysdig -r "$2" -p '%evt.rawtime %evt.info' 'evt.type=notification and evt.arg.id in (sysrec-drops, sysrec-incomplete)' >"$2.notes" ||
		{ echo "sysdig -r failed"; return 1; }
	python3 - "$1" "$2.notes" <<'PY'
import json, re, sys
j = json.load(open(sys.argv[1]))
drops, incomplete = [], []
for line in open(sys.argv[2]):
    ts, info = line.split(" ", 1)
    m = re.match(r"id=(\S+) desc=(.*)", info.strip())
    (drops if m.group(1) == "sysrec-drops" else incomplete).append((int(ts), m.group(2)))
told = sum(int(d.split()[0]) for _, d in drops)
why = []
if j["status"] != "ok" or not j["incomplete"]: why.append("status %s, incomplete %s" % (j["status"], j["incomplete"]))
if not j["lost_events"]: why.append("no lost_events")
if told != j["lost_events"]: why.append("the file tells %d lost, the record %d" % (told, j["lost_events"]))
if any(not j["start_ns"] <= t <= j["end_ns"] for t, _ in drops): why.append("a drop mark outside [start, end]")
if "%d events lost" % j["lost_events"] not in j["incomplete_reason"]: why.append("reason: " + j["incomplete_reason"])
if len(incomplete) != 1 or incomplete[0][1] != j["incomplete_reason"]: why.append("sysrec-incomplete note: %s" % incomplete)
print("; ".join(why) or "%d drop notes, %d lost" % (len(drops), told))
sys.exit(1 if why else 0)
PY
}

# A stalled agent (SIGSTOP for 6 s under steady load, a 1 MiB kernel ring): the
# capture asked for right after, 4 s back, is stated as incomplete, and the loss
# that began before its window and went on into it is marked at its start.
check_agent_stalled() {
	local load id why
	agent_can_run "$1" || return
	agent_stop
	agent_start --ring-mb 1 || { bad "$1" "start"; return; }
	taskset -c 0 dd if=/dev/zero of=/dev/null bs=1 count=200000000 2>/dev/null &
	load=$!
	sleep 1 # the behaviour under test: a second of load recorded, then a 6 s stall that fills the 1 MiB ring
	kill -STOP "$agent_pid"
	sleep 6
	kill -CONT "$agent_pid"
	"$bin" capture take --name stalled --before 4 --after 1 --json >"$work/stall.json" 2>"$work/stall.err"
	kill "$load"
	wait "$load" 2>/dev/null
	grep -q '^sysrec capture: capture .* is incomplete: [0-9]* events lost' "$work/stall.err" || { bad "$1" "take: $(cat "$work/stall.err")"; agent_stop; return; }
	id=$(json_get 'j["id"]' <"$work/stall.json")
	"$bin" capture download "$id" -o "$work/stall.scap" 2>/dev/null || { bad "$1" "download"; agent_stop; return; }
	why=$(losses_stated "$work/stall.json" "$work/stall.scap") || { bad "$1" "$why"; agent_stop; return; }
	sysdig -r "$work/stall.scap" -p '%evt.rawtime %evt.info' 'evt.type=notification and evt.arg.id=sysrec-drops' |
		grep -q "^$(json_get 'j["start_ns"]' <"$work/stall.json") .*the loss began before this capture's start" ||
		{ bad "$1" "no loss marked at the window's start: $(head -3 "$work/stall.scap.notes")"; agent_stop; return; }
	agent_stop
	ok "$1 ($why)"
}

# An overloaded agent (both CPUs busy with syscalls, 50 API clients, a 1 MiB
# kernel ring): its capture's file and record state every loss, and the record
# counts no more than the agent's own counter saw meanwhile.
check_agent_overloaded() {
	local loads=() id why d0 d1 end
	agent_can_run "$1" || return
	agent_stop
	agent_start --ring-mb 1 || { bad "$1" "start"; return; }
	for c in 0 1; do
		taskset -c $c dd if=/dev/zero of=/dev/null bs=1 count=200000000 2>/dev/null &
		loads+=($!)
	done
	end=$((SECONDS + 10))
	for _ in $(seq 50); do
		(while [ $SECONDS -lt $end ]; do api GET /api/captures >/dev/null; done) &
		loads+=($!)
	done
	d0=$(api GET /api/status | head -n -1 | json_get 'j["drops"]["total"]')
	sleep 2.5 # the window (2 s before the take) begins after what d0 counted (refreshed each second)
	"$bin" capture take --name overloaded --before 2 --after 2 --json >"$work/load.json" 2>"$work/load.err"
	sleep 1.5 # the agent's counters are refreshed each second
	d1=$(api GET /api/status | head -n -1 | json_get 'j["drops"]["total"] if sum(j["drops"][k] for k in ("ring_full", "too_large", "recorder_behind", "tracepoint_busy")) == j["drops"]["total"] and j["drops"]["filler_bugs"] == 0 else "causes do not add up, or filler bugs: %s" % j["drops"]')
	kill "${loads[@]}" 2>/dev/null
	wait "${loads[@]}" 2>/dev/null
	id=$(json_get 'j["id"]' <"$work/load.json") || { bad "$1" "take: $(cat "$work/load.err")"; agent_stop; return; }
	"$bin" capture download "$id" -o "$work/load.scap" 2>/dev/null || { bad "$1" "download"; agent_stop; return; }
	why=$(losses_stated "$work/load.json" "$work/load.scap") || { bad "$1" "$why"; agent_stop; return; }
	[ "$(json_get 'j["lost_events"]' <"$work/load.json")" -le $((d1 - d0)) ] ||
		{ bad "$1" "the record counts more lost than the agent did: $(json_get 'j["lost_events"]' <"$work/load.json") > $((d1 - d0))"; agent_stop; return; }
	"$bin" capture list --search overloaded | grep -q '^Incomplete ' || { bad "$1" "the list does not say Incomplete"; agent_stop; return; }
	agent_stop
	ok "$1 ($why; the agent counted $((d1 - d0)) meanwhile)"
}

# While a capture records, another is refused with the exact message (CLI and HTTP 409).
check_agent_outstanding_limit() {
	local id out
	agent_up "$1" || return
	"$bin" capture take --name long --duration 4 --no-wait --json >"$work/long.json" 2>"$work/long.err" || { bad "$1" "take: $(cat "$work/long.err")"; return; }
	id=$(json_get 'j["id"]' <"$work/long.json")
	if "$bin" capture take --name second --duration 1 --no-wait >/dev/null 2>"$work/second.err"; then
		bad "$1" "a second capture was taken"
		return
	fi
	grep -qx 'sysrec capture: Maximum number of outstanding captures (1) reached' "$work/second.err" ||
		{ bad "$1" "message: $(cat "$work/second.err")"; return; }
	out=$(api POST /api/captures '{"name":"third"}')
	[ "$(tail -1 <<<"$out")" = 409 ] && grep -qF '"error": "Maximum number of outstanding captures (1) reached"' <<<"$out" ||
		{ bad "$1" "HTTP: $out"; return; }
	for _ in $(seq 80); do
		[ "$(api GET "/api/captures/$id" | head -n -1 | json_get 'j["status"]')" = ok ] && break
		sleep 0.1
	done
	ok "$1"
}

# list, search, status filters, show, download (sha256, ranges), keep,
# discard, delete one and many; requests without or with a wrong token.
check_agent_api() {
	local ids=() id out n sum
	agent_up "$1" || return
	for name in alpha-one beta-two gamma-three; do
		"$bin" capture take --name "$name" --duration 1 --json >"$work/t.json" 2>"$work/t.err" || { bad "$1" "take $name: $(cat "$work/t.err")"; return; }
		ids+=("$(json_get 'j["id"]' <"$work/t.json")")
	done
	n=$("$bin" capture list --search BETA --json | json_get 'j["total"]')
	[ "$n" = 1 ] || { bad "$1" "search BETA found $n"; return; }
	"$bin" capture list >"$work/list.txt" || { bad "$1" "list failed"; return; }
	head -1 "$work/list.txt" | grep -q 'Status.*Name.*Time.*Duration.*Trigger.*Host' || { bad "$1" "list header: $(head -1 "$work/list.txt")"; return; }
	grep -q 'gamma-three' "$work/list.txt" || { bad "$1" "list lacks gamma-three"; return; }
	n=$("$bin" capture list --error --json | json_get 'j["total"]')
	[ "$n" = 0 ] || { bad "$1" "--error lists $n"; return; }
	n=$("$bin" capture list --expiring --json | json_get 'j["total"]')
	[ "$n" = 0 ] || { bad "$1" "--expiring lists $n with 90-day retention"; return; }
	id=${ids[0]}
	"$bin" capture download "$id" -o "$work/a.scap" 2>/dev/null || { bad "$1" "download"; return; }
	sum=$(api GET "/api/captures/$id" | head -n -1 | json_get 'j["sha256"]')
	[ "$(sha256sum "$work/a.scap" | cut -d' ' -f1)" = "$sum" ] || { bad "$1" "sha256 differs from the catalog's"; return; }
	curl -s -H "Authorization: Bearer $(cat "$agent_data/token")" -r 100-199 -o "$work/range" \
		-w '%{http_code}' "$SYSREC_URL/api/captures/$id/download" >"$work/code"
	[ "$(cat "$work/code")" = 206 ] && cmp -s "$work/range" <(tail -c +101 "$work/a.scap" | head -c 100) ||
		{ bad "$1" "Range 100-199: $(cat "$work/code")"; return; }
	sysdig -r "$work/a.scap" -p %evt.num evt.num=1 >/dev/null 2>&1 || { bad "$1" "sysdig cannot read the download"; return; }
	out=$(api POST "/api/captures/$id/keep")
	[ "$(tail -1 <<<"$out")" = 200 ] && head -n -1 <<<"$out" | json_get 'j["kept"]' | grep -q True || { bad "$1" "keep: $out"; return; }
	"$bin" capture discard "${ids[1]}" >/dev/null 2>&1 || { bad "$1" "discard"; return; }
	[ "$(api GET "/api/captures/${ids[1]}" | tail -1)" = 404 ] || { bad "$1" "discarded capture still there"; return; }
	"$bin" capture take --name delete-me --duration 1 --json >"$work/t.json" 2>/dev/null
	"$bin" capture delete "${ids[2]}" "$(json_get 'j["id"]' <"$work/t.json")" >"$work/del.txt" 2>&1 || { bad "$1" "delete many: $(cat "$work/del.txt")"; return; }
	[ "$(grep -c '^deleted ' "$work/del.txt")" = 2 ] || { bad "$1" "delete many: $(cat "$work/del.txt")"; return; }
	[ ! -e "$agent_data/captures/${ids[2]}.scap" ] || { bad "$1" "the deleted file is still there"; return; }
	[ "$(curl -s -o /dev/null -w '%{http_code}' "$SYSREC_URL/api/captures")" = 401 ] || { bad "$1" "no token accepted"; return; }
	[ "$(curl -s -o /dev/null -w '%{http_code}' -H 'Authorization: Bearer 0000' "$SYSREC_URL/api/captures")" = 401 ] || { bad "$1" "wrong token accepted"; return; }
	[ "$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $(cat "$agent_data/token")" "$SYSREC_URL/metrics")" = 200 ] || { bad "$1" "metrics"; return; }
	ok "$1"
}

# The web UI's files: served without the token, byte-equal to web/, with their
# Content-Type and the page's security headers; only GET and HEAD; nothing but
# the embedded files (a path out of /web/ is not served); the API still needs
# the token.
check_agent_web() {
	local f name code hdr
	agent_up "$1" || return
	for f in "$root"/web/*; do
		name=${f##*/}
		code=$(curl -s -o "$work/web.out" -D "$work/web.hdr" -w '%{http_code}' "$SYSREC_URL/web/$name")
		[ "$code" = 200 ] && cmp -s "$work/web.out" "$f" || { bad "$1" "/web/$name: $code, or not byte-equal to web/$name"; return; }
	done
	code=$(curl -s -o "$work/web.out" -D "$work/web.hdr" -w '%{http_code}' "$SYSREC_URL/")
	[ "$code" = 200 ] && cmp -s "$work/web.out" "$root/web/index.html" || { bad "$1" "/: $code, or not index.html"; return; }
	hdr=$(tr -d '\r' <"$work/web.hdr")
	for want in 'Content-Type: text/html; charset=utf-8' "Content-Security-Policy: default-src 'self'" \
		'X-Content-Type-Options: nosniff' 'Cache-Control: no-cache'; do
		grep -qiF "$want" <<<"$hdr" || { bad "$1" "/ lacks the header '$want'"; return; }
	done
	grep -qi '^Content-Type: text/javascript' < <(curl -s -o /dev/null -D - "$SYSREC_URL/web/app.js" | tr -d '\r') ||
		{ bad "$1" "/web/app.js is not served as JavaScript"; return; }
	code=$(curl -s -o /dev/null -w '%{http_code}' -X POST "$SYSREC_URL/")
	[ "$code" = 405 ] || { bad "$1" "POST / answered $code, not 405"; return; }
	for p in /web/nothing.js /web/ /web/../token /web/%2e%2e/token /token /index.htm; do
		code=$(curl -s --path-as-is -o "$work/web.out" -w '%{http_code}' "$SYSREC_URL$p")
		[ "$code" = 404 ] || { bad "$1" "$p answered $code, not 404"; return; }
		! grep -qF "$(cat "$agent_data/token")" "$work/web.out" || { bad "$1" "$p gave the token away"; return; }
	done
	for p in /api/status /api/captures /metrics; do
		code=$(curl -s -o /dev/null -w '%{http_code}' "$SYSREC_URL$p")
		[ "$code" = 401 ] || { bad "$1" "$p without the token answered $code, not 401"; return; }
	done
	ok "$1"
}

# The scope of a capture: --container keeps one (docker-style cgroup)
# container's processes; --filter with --filter-proclist leaves the other
# processes out of the file's process table too (sysdig's ps chisel lists it).
check_agent_scope() {
	local tag=scope-$$ cid cgdir inpid hostpid id n all
	agent_up "$1" || return
	docker_cgroup
	mkdir -p "$cgdir" || { bad "$1" "cannot create cgroup $cgdir"; return; }
	cp /bin/sleep "$work/$tag"
	bash -c 'echo $$ >"$1/cgroup.procs"; while :; do head -c1 /etc/hostname >/dev/null; sleep 0.1; done' _ "$cgdir" &
	inpid=$!
	(while :; do head -c1 /etc/hostname >/dev/null; sleep 0.1; done) &
	hostpid=$!
	"$work/$tag" 30 &
	local sleeper=$!
	sleep 1
	scope_done() { kill "$inpid" "$hostpid" "$sleeper" 2>/dev/null; wait "$inpid" "$hostpid" "$sleeper" 2>/dev/null; rmdir "$cgdir" 2>/dev/null; }
	if ! "$bin" capture take --name in-container --container "${cid:0:12}" --duration 1 --json >"$work/c.json" 2>"$work/c.err"; then
		scope_done
		bad "$1" "take --container: $(cat "$work/c.err")"
		return
	fi
	id=$(json_get 'j["id"]' <"$work/c.json")
	"$bin" capture download "$id" -o "$work/cont.scap" 2>/dev/null || { scope_done; bad "$1" "download"; return; }
	"$bin" capture take --name proclist --filter "proc.name=$tag" --filter-proclist --duration 1 --json >"$work/p.json" 2>"$work/p.err"
	local rc=$?
	scope_done
	[ "$rc" = 0 ] || { bad "$1" "take --filter-proclist: $(cat "$work/p.err")"; return; }
	"$bin" capture download "$(json_get 'j["id"]' <"$work/p.json")" -o "$work/plist.scap" 2>/dev/null || { bad "$1" "download"; return; }
	sysdig -r "$work/cont.scap" -p '%container.id %proc.name' 'evt.type!=notification' | sort | uniq -c >"$work/cont.txt" 2>/dev/null
	grep -q " ${cid:0:12} head$" "$work/cont.txt" || { bad "$1" "the container's events are not in its capture: $(head -3 "$work/cont.txt" | tr '\n' ' ')"; return; }
	n=$(grep -vc " ${cid:0:12} " "$work/cont.txt")
	[ "$n" = 0 ] || { bad "$1" "events of other containers or the host: $(grep -v " ${cid:0:12} " "$work/cont.txt" | head -3 | tr '\n' ' ')"; return; }
	# the whole process table without --filter-proclist; only the sleeper with it
	all=$(sysdig -r "$work/cont.scap" -c ps 2>/dev/null | tail -n +2 | wc -l)
	sysdig -r "$work/plist.scap" -c ps >"$work/ps.txt" 2>/dev/null
	n=$(tail -n +2 "$work/ps.txt" | wc -l)
	grep -q " $tag\$" "$work/ps.txt" || { bad "$1" "the filtered process table lacks $tag: $(head -3 "$work/ps.txt" | tr '\n' ' ')"; return; }
	[ "$all" -ge 20 ] && [ "$n" -le 3 ] || { bad "$1" "process tables: $all without --filter-proclist, $n with it: $(tail -n +2 "$work/ps.txt" | awk '{print $NF}' | head -5 | tr '\n' ' ')"; return; }
	ok "$1 ($(awk '{s += $1} END {print s}' "$work/cont.txt") container events; $all processes in the table, $n with --filter-proclist)"
}

# With a certificate configured the API is HTTPS only: curl and the CLI reach
# it with the CA (--cacert), a plain HTTP request does not, a client without
# the CA is told how to give it.
check_agent_tls() {
	local port=$((20000 + RANDOM % 20000)) pid out
	agent_up "$1" || return
	command -v openssl >/dev/null || { skipped "$1" "openssl not installed"; return; }
	openssl req -x509 -newkey rsa:2048 -nodes -keyout "$work/tls.key" -out "$work/tls.crt" -days 1 \
		-subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 >/dev/null 2>&1 || { bad "$1" "openssl req failed"; return; }
	"$bin" agent --data "$work/tls-data" --listen "127.0.0.1:$port" --seconds 5 \
		--tls-cert "$work/tls.crt" --tls-key "$work/tls.key" >"$work/tls.log" 2>&1 &
	pid=$!
	for _ in $(seq 100); do
		[ -s "$work/tls-data/token" ] && curl -s -o /dev/null --cacert "$work/tls.crt" "https://127.0.0.1:$port/api/status" && break
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	tls_done() { kill "$pid" 2>/dev/null; stop_wait "$pid" "sysrec agent (TLS)" 2>/dev/null; }
	out=$(curl -s --cacert "$work/tls.crt" -H "Authorization: Bearer $(cat "$work/tls-data/token" 2>/dev/null)" \
		-w '\n%{http_code}' "https://127.0.0.1:$port/api/status")
	[ "$(tail -1 <<<"$out")" = 200 ] && grep -q '"captures_enabled"' <<<"$out" ||
		{ tls_done; bad "$1" "HTTPS status: $out $(tail -2 "$work/tls.log")"; return; }
	[ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/api/status")" != 200 ] ||
		{ tls_done; bad "$1" "plain HTTP was answered"; return; }
	SYSREC_URL="https://127.0.0.1:$port" SYSREC_DATA="$work/tls-data" "$bin" capture list --cacert "$work/tls.crt" >"$work/tls-list" 2>&1 ||
		{ tls_done; bad "$1" "the CLI with --cacert: $(head -2 "$work/tls-list")"; return; }
	if SYSREC_URL="https://127.0.0.1:$port" SYSREC_DATA="$work/tls-data" "$bin" capture list >/dev/null 2>"$work/tls-err"; then
		tls_done
		bad "$1" "the CLI trusted an unknown CA"
		return
	fi
	tls_done
	grep -q -- '--cacert' "$work/tls-err" || { bad "$1" "no hint without the CA: $(cat "$work/tls-err")"; return; }
	ok "$1"
}

# A request head sent raw, then nothing (python3): prints the status line and
# the body of the reply, or "no reply" when none came within 3 s.
raw_head() { # path [header...]
	python3 - "$agent_port" "$@" <<'PY'
import socket, sys
port, path, headers = int(sys.argv[1]), sys.argv[2], sys.argv[3:]
s = socket.create_connection(("127.0.0.1", port))
s.sendall(("POST %s HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n%s\r\n"
           % (path, "".join(h + "\r\n" for h in headers))).encode())
s.settimeout(3)
data = b""
try:
    while True:
        chunk = s.recv(65536)
        if not chunk:
            break
        data += chunk
except socket.timeout:
    pass
head, _, body = data.partition(b"\r\n\r\n")
print(head.split(b"\r\n")[0].decode() if data else "no reply")
print(body.decode(errors="replace"))
PY
}

# Bad requests get a 4xx with a JSON error (valid JSON whatever bytes they
# echo), and change nothing stored; a request that will not be served is
# answered as soon as its head is in.
check_agent_bad_input() {
	local before after out code body cases n=0 id size
	agent_up "$1" || return
	before=$(ls "$agent_data/captures" | sort | md5sum)
	long=$(printf 'x%.0s' $(seq 200))
	while IFS='|' read -r code method path body; do
		[ -n "$code" ] || continue
		out=$(api "$method" "$path" "$body")
		n=$((n + 1))
		if [ "$(tail -1 <<<"$out")" != "$code" ] || ! head -n -1 <<<"$out" | json_get 'j["error"]' >/dev/null 2>&1; then
			bad "$1" "$method $path $body: expected $code with a JSON error, got: $(tr '\n' ' ' <<<"$out")"
			return
		fi
	done <<EOF
400|POST|/api/captures|{"name": "x",
400|POST|/api/captures|[1, 2]
400|POST|/api/captures|{"name": "$long"}
400|POST|/api/captures|{"name": "../etc"}
400|POST|/api/captures|{"name": "a/b"}
400|POST|/api/captures|{"name": "nul\u0000byte"}
400|POST|/api/captures|{"name": ".."}
400|POST|/api/captures|{"name": "x", "duration": -5}
400|POST|/api/captures|{"name": "x", "duration": 301}
400|POST|/api/captures|{"name": "x", "before": 200, "after": 200}
400|POST|/api/captures|{"name": "x", "duration": "5"}
400|POST|/api/captures|{"name": "x", "filter": "proc.name startswith"}
400|POST|/api/captures|{"name": "x", "container": "../../x"}
400|POST|/api/captures|{}
404|GET|/api/captures/20260101T000000Z-deadbeef|
404|GET|/api/captures/..%2F..%2Fetc|
404|DELETE|/api/captures/nosuch|
404|GET|/api/captures/nosuch/download|
400|POST|/api/captures/delete|{"ids": "x"}
400|GET|/api/captures?limit=0|
400|GET|/api/captures?status=bogus|
400|GET|/api/captures?status=%ff|
404|GET|/api/captures/%ff%fe|
400|GET|/api/captures?search=a%00b|
400|GET|/api/captures/x%00|
400|POST|/api/captures|{"name": "nel\u0085byte"}
400|POST|/api/captures|{"name": "csi\u009b2J"}
400|POST|/api/captures|{"name": "line\u2028separator"}
400|POST|/api/captures|{"name": "rlo\u202etxt.exe"}
404|GET|/api/nothing|
405|PUT|/api/captures|
EOF
	out=$(curl -s -w '\n%{http_code}' -H "Authorization: Bearer $(cat "$agent_data/token")" \
		--data-binary @<(head -c 70000 /dev/zero | tr '\0' 'a') "$SYSREC_URL/api/captures")
	[ "$(tail -1 <<<"$out")" = 413 ] || { bad "$1" "oversized body: $(tail -1 <<<"$out")"; return; }
	out=$(api POST /api/captures '{"name": "x", "filter": "proc.name startswith"}')
	grep -q "expected a value after 'startswith'" <<<"$out" || { bad "$1" "filter message: $out"; return; }
	# the escaped bytes, not null
	out=$(api GET '/api/captures?status=%ff%0a')
	[ "$(head -n -1 <<<"$out" | json_get 'j["error"]')" = "status must be one of ok, error, expiring, recording, storing; not '\\xFF\\x0A'" ] ||
		{ bad "$1" "?status=%ff%0a: $out"; return; }
	# %00 does not cut the path: ID%00/download is not the capture ID
	id=$(api GET '/api/captures?status=ok&limit=1' | head -n -1 | json_get 'j["captures"][0]["id"]')
	size=$(api GET "/api/captures/$id" | head -n -1 | json_get 'j["size"]')
	out=$(api GET "/api/captures/$id%00/download")
	[ "$(tail -1 <<<"$out")" = 400 ] && head -n -1 <<<"$out" | json_get 'j["error"]' | grep -q '%00' ||
		{ bad "$1" "ID%00/download: $(head -c 300 <<<"$out" | tr '\n' ' ')"; return; }
	# 416 says why in JSON, with Content-Range: bytes */SIZE (RFC 9110 15.5.17)
	out=$(api GET "/api/captures/$id/download" '' -D "$work/416.hdr" -H 'Range: bytes=99999999999-')
	[ "$(tail -1 <<<"$out")" = 416 ] && head -n -1 <<<"$out" | json_get 'j["error"]' | grep -q "the file has $size bytes" ||
		{ bad "$1" "416: $(tr '\n' ' ' <<<"$out")"; return; }
	tr -d '\r' <"$work/416.hdr" | grep -qix "Content-Range: bytes \*/$size" || { bad "$1" "416 without Content-Range: bytes */$size"; return; }
	# a unit other than bytes is ignored: the whole file
	out=$(curl -s -o /dev/null -w '%{http_code} %{size_download}' -H "Authorization: Bearer $(cat "$agent_data/token")" \
		-H 'Range: items=0-5' "$SYSREC_URL/api/captures/$id/download")
	[ "$out" = "200 $size" ] || { bad "$1" "Range: items=0-5 answered '$out', not the $size bytes with 200"; return; }
	# delete-many names each id it could not delete, as sent
	out=$(api POST /api/captures/delete '{"ids": ["../x", "no such id", "20260101T000000Z-deadbeef"]}')
	[ "$(tail -1 <<<"$out")" = 200 ] &&
		[ "$(head -n -1 <<<"$out" | json_get 'sorted(j["errors"]) == ["../x", "20260101T000000Z-deadbeef", "no such id"] and "../x" in j["errors"]["../x"]')" = True ] ||
		{ bad "$1" "delete-many errors: $(tr '\n' ' ' <<<"$out")"; return; }
	# no token, or a body over the limit: answered when the head is in, the body never read
	out=$(raw_head /api/captures 'Content-Length: 50000000')
	[ "$(head -1 <<<"$out" | cut -d' ' -f2)" = 401 ] && tail -n +2 <<<"$out" | json_get 'j["error"]' >/dev/null 2>&1 ||
		{ bad "$1" "50 MB announced without a token: $(tr '\n' ' ' <<<"$out" | head -c 300)"; return; }
	out=$(raw_head /api/captures 'Content-Length: 50000000' "Authorization: Bearer $(cat "$agent_data/token")")
	[ "$(head -1 <<<"$out" | cut -d' ' -f2)" = 413 ] && tail -n +2 <<<"$out" | json_get 'j["error"]' >/dev/null 2>&1 ||
		{ bad "$1" "50 MB announced with the token: $(tr '\n' ' ' <<<"$out" | head -c 300)"; return; }
	after=$(ls "$agent_data/captures" | sort | md5sum)
	[ "$before" = "$after" ] || { bad "$1" "the store changed"; return; }
	# a capture file cut short on disk is refused, not served as if whole
	"$bin" capture take --name cut-on-disk --duration 1 --json >"$work/cut.json" 2>/dev/null || { bad "$1" "take"; return; }
	id=$(json_get 'j["id"]' <"$work/cut.json")
	size=$(api GET "/api/captures/$id" | head -n -1 | json_get 'j["size"]')
	truncate -s -100 "$agent_data/captures/$id.scap"
	out=$(api GET "/api/captures/$id/download" '' -o "$work/cut.out")
	code=$(tail -1 <<<"$out")
	api DELETE "/api/captures/$id" >/dev/null
	[ "$code" = 500 ] && json_get 'j["error"]' <"$work/cut.out" | grep -qF "the file is $((size - 100)) bytes on disk, the catalog says $size" ||
		{ bad "$1" "a truncated file: $code $(head -c 300 "$work/cut.out")"; return; }
	grep -qF "download refused: capture '$id': the file is $((size - 100)) bytes" "$work/agent.log" || { bad "$1" "the refusal is not logged"; return; }
	ok "$1 ($((n + 11)) bad requests)"
}

# Download links (issue 20): POST .../download-link gives /dl/NONCE; a GET
# with no token serves the file once (the catalog's sha256; the size check
# still refuses a cut file), then 404; a wrong nonce 404; a link expires after
# 60 s. Neither the token nor a nonce reaches the log. Replies carry
# `expiring` and, for a bad member, `field`.
check_agent_download_link() {
	local id id2 out url old sum size t0 n
	agent_up "$1" || return
	"$bin" capture take --name linked --duration 1 --json >"$work/l.json" 2>"$work/l.err" || { bad "$1" "take: $(cat "$work/l.err")"; return; }
	id=$(json_get 'j["id"]' <"$work/l.json")
	out=$(api POST "/api/captures/$id/download-link")
	[ "$(tail -1 <<<"$out")" = 200 ] || { bad "$1" "link: $(tr '\n' ' ' <<<"$out")"; return; }
	old=$(head -n -1 <<<"$out" | json_get 'j["url"]')
	t0=$(date +%s)
	[ "$(head -n -1 <<<"$out" | json_get 'j["expires_in"]')" = 60 ] && [[ $old =~ ^/dl/[0-9a-f]{64}$ ]] || { bad "$1" "link reply: $out"; return; }
	url=$(api POST "/api/captures/$id/download-link" | head -n -1 | json_get 'j["url"]')
	[ "$url" != "$old" ] || { bad "$1" "two links share a nonce"; return; }
	sum=$(api GET "/api/captures/$id" | head -n -1 | json_get 'j["sha256"]')
	out=$(curl -s -D "$work/dl.hdr" -o "$work/dl.scap" -w '%{http_code}' "$SYSREC_URL$url")
	[ "$out" = 200 ] && [ "$(sha256sum "$work/dl.scap" | cut -d' ' -f1)" = "$sum" ] || { bad "$1" "GET link: $out"; return; }
	grep -qi '^content-disposition: attachment; filename="linked.scap"' "$work/dl.hdr" || { bad "$1" "no attachment header: $(cat "$work/dl.hdr")"; return; }
	[ "$(curl -s -o /dev/null -w '%{http_code}' "$SYSREC_URL$url")" = 404 ] || { bad "$1" "a link served twice"; return; }
	url=$(api POST "/api/captures/$id/download-link" | head -n -1 | json_get 'j["url"]')
	[ "$(curl -s -o /dev/null -w '%{http_code}' "$SYSREC_URL/dl/$(printf '%064d' 0)")" = 404 ] || { bad "$1" "a wrong nonce served"; return; }
	[ "$(curl -s -o /dev/null -w '%{http_code}' "$SYSREC_URL/dl/abc")" = 404 ] || { bad "$1" "a short nonce served"; return; }
	[ "$(curl -s -o /dev/null -w '%{http_code}' -I "$SYSREC_URL$url")" = 405 ] || { bad "$1" "HEAD on a link"; return; }
	[ "$(curl -s -o /dev/null -w '%{http_code}' "$SYSREC_URL$url")" = 200 ] || { bad "$1" "HEAD used the link up"; return; }
	[ "$(api POST /api/captures/nosuch/download-link | tail -1)" = 404 ] || { bad "$1" "a link to no capture"; return; }
	[ "$(curl -s -o /dev/null -w '%{http_code}' -X POST "$SYSREC_URL/api/captures/$id/download-link")" = 401 ] || { bad "$1" "a link without the token"; return; }
	# the catalog's size check holds behind a link too
	"$bin" capture take --name linked-cut --duration 1 --json >"$work/l2.json" 2>/dev/null || { bad "$1" "take"; return; }
	id2=$(json_get 'j["id"]' <"$work/l2.json")
	size=$(api GET "/api/captures/$id2" | head -n -1 | json_get 'j["size"]')
	url=$(api POST "/api/captures/$id2/download-link" | head -n -1 | json_get 'j["url"]')
	truncate -s -100 "$agent_data/captures/$id2.scap"
	out=$(curl -s -o "$work/cut2.out" -w '%{http_code}' "$SYSREC_URL$url")
	api DELETE "/api/captures/$id2" >/dev/null
	[ "$out" = 500 ] && json_get 'j["error"]' <"$work/cut2.out" | grep -qF "the file is $((size - 100)) bytes on disk, the catalog says $size" ||
		{ bad "$1" "a cut file behind a link: $out $(head -c 300 "$work/cut2.out")"; return; }
	# expiring and field come from the API
	[ "$(api GET "/api/captures/$id" | head -n -1 | json_get 'j["expiring"]')" = False ] || { bad "$1" "no expiring: false"; return; }
	[ "$(api GET /api/captures | head -n -1 | json_get 'all(c["expiring"] is False for c in j["captures"])')" = True ] || { bad "$1" "list: expiring"; return; }
	out=$(api POST /api/captures '{"name": "x", "duration": 301}')
	[ "$(head -n -1 <<<"$out" | json_get 'j["field"]')" = duration ] || { bad "$1" "no field: $out"; return; }
	[ "$(api GET '/api/captures?limit=0' | head -n -1 | json_get 'j["field"]')" = limit ] || { bad "$1" "no field for limit"; return; }
	# the unused first link expires 60 s after it was made (a minute of waiting: the plain
	# build's run only, E2E_SAN unset; the expiry is the same code either way)
	if [ -z "${E2E_SAN:-}" ]; then
		n=$((t0 + 61 - $(date +%s)))
		[ "$n" -gt 0 ] && sleep "$n"
		[ "$(curl -s -o /dev/null -w '%{http_code}' "$SYSREC_URL$old")" = 404 ] || { bad "$1" "an expired link served"; return; }
	fi
	if grep -qF "$(cat "$agent_data/token")" "$work/agent.log" || grep -qF "${old#/dl/}" "$work/agent.log" || grep -qF "${url#/dl/}" "$work/agent.log"; then
		bad "$1" "the token or a nonce is in the log"; return
	fi
	ok "$1 (once, then 404; wrong 404; expired 404${E2E_SAN:+ (not waited for in the sanitized run)}; size check; expiring, field)"
}

# Slowloris (issue 19): 300 connections from five loopback addresses (100
# from 127.0.0.1, 50 from each of 127.0.0.2-5; more than the 256 the agent
# holds) send a request head they never finish, then a byte every 2 s. A token
# holder's request is still answered at once (a new connection takes the place
# of the longest-waiting one without the token), and the slow ones are closed
# when their 10 s to send a head are over, whatever they trickle.
check_agent_slowloris() {
	local st0 st1 from
	agent_up "$1" || return
	from=$(agent_log_size)
	st0=$(api GET /api/status | head -n -1 | json_get 'j.get("http")')
	python3 "$here/slowloris.py" "$agent_port" "$agent_data/token" 127.0.0.1:100 127.0.0.{2..5}:50 \
		--trickle 2 --watch 13 >"$work/slow.json" 2>"$work/slow.err" || { bad "$1" "slowloris.py: $(tail -2 "$work/slow.err")"; return; }
	st1=$(api GET /api/status | head -n -1 | json_get 'j.get("http")')
	python3 - "$work/slow.json" "$st0" "$st1" <<'PY' >"$work/slow.why" || { bad "$1" "$(cat "$work/slow.why")"; return; }
import ast, json, sys
j = json.load(open(sys.argv[1]))
st0, st1 = (ast.literal_eval(a) or {} for a in sys.argv[2:4])
life, why = j["lifetimes"], []
if j["opened"] != 300:
    why.append("%d of 300 connections were opened" % j["opened"])
if j["token_status"] != "200" or j["token_wait"] > 2:
    why.append("the token holder got %s after %.2f s" % (j["token_status"], j["token_wait"]))
if j["open_at_end"]:
    why.append("%d slow connections still open 13 s on (the head deadline is 10 s)" % j["open_at_end"])
if life and (life[0] < 9.5 or life[-1] > 11.5):
    why.append("slow connections closed %.2f to %.2f s after their open, not at 10 s" % (life[0], life[-1]))
if j["evicted"] < 300 - 256:
    why.append("only %d connections made room for new ones" % j["evicted"])
if st1.get("evicted", 0) - st0.get("evicted", 0) < 300 - 256 + 1 or \
        st1.get("header_timeouts", 0) - st0.get("header_timeouts", 0) < len(life):
    why.append("the agent's counters: %s, before %s" % (st1, st0))
print("; ".join(why))
sys.exit(1 if why else 0)
PY
	agent_log_since "$from" | grep -q '^sysrec: warning: http: since the last report, [0-9]* connections closed at the 10 s head deadline, [1-9][0-9]* closed to make room' ||
		{ bad "$1" "the agent did not report the closed connections: $(agent_log_since "$from" | grep http | head -2)"; return; }
	ok "$1 (300 slow connections: the token holder answered in $(json_get 'j["token_wait"]' <"$work/slow.json") s; $(json_get 'j["evicted"]' <"$work/slow.json") made room, $(json_get 'len(j["lifetimes"])' <"$work/slow.json") closed $(json_get 'j["lifetimes"][0]' <"$work/slow.json")-$(json_get 'j["lifetimes"][-1]' <"$work/slow.json") s after their open)"
}

# Retention with an injected clock: 85 days on, the captures are expiring;
# 91 days on, the agent deletes them, but not a kept one.
check_agent_retention() {
	local total kept
	agent_up "$1" || return
	total=$(api GET /api/captures | head -n -1 | json_get 'j["total"]')
	kept=$(api GET /api/captures | head -n -1 | json_get 'sum(1 for c in j["captures"] if c["kept"])')
	[ "$total" -gt "$kept" ] && [ "$kept" -ge 1 ] || { bad "$1" "need kept and unkept captures: $total, $kept kept"; return; }
	agent_stop
	AGENT_ENV="SYSREC_CLOCK_SKEW=$((85 * 86400))" agent_start || { bad "$1" "restart"; return; }
	[ "$(api GET '/api/captures?status=expiring' | head -n -1 | json_get 'j["total"]')" = $((total - kept)) ] ||
		{ bad "$1" "85 days on: expiring $(api GET '/api/captures?status=expiring' | head -n -1 | json_get 'j["total"]') of $total"; agent_stop; return; }
	agent_stop
	AGENT_ENV="SYSREC_CLOCK_SKEW=$((91 * 86400))" agent_start || { bad "$1" "restart"; return; }
	[ "$(api GET /api/captures | head -n -1 | json_get 'j["total"]')" = "$kept" ] ||
		{ bad "$1" "91 days on: $(api GET /api/captures | head -n -1 | json_get 'j["total"]') left, $kept kept"; agent_stop; return; }
	agent_stop
	agent_start || { bad "$1" "restart"; return; }
	ok "$1 ($((total - kept)) deleted, $kept kept)"
}

# kill -9 during a capture; after a restart the catalog is intact and the cut capture is an error.
check_agent_kill9() {
	local id total ok_before
	agent_up "$1" || return
	ok_before=$(api GET '/api/captures?status=ok' | head -n -1 | json_get 'j["total"]')
	"$bin" capture take --name cut-short --duration 10 --no-wait --json >"$work/cut.json" 2>/dev/null || { bad "$1" "take"; return; }
	id=$(json_get 'j["id"]' <"$work/cut.json")
	wait_for 5 capture_status_is "$id" recording
	agent_stop KILL
	agent_start || { bad "$1" "restart after kill -9"; return; }
	out=$(api GET "/api/captures/$id" | head -n -1)
	[ "$(json_get 'j["status"]' <<<"$out")" = error ] && json_get 'j["error"]' <<<"$out" | grep -q 'stopped before' ||
		{ bad "$1" "the cut capture: $out"; return; }
	[ "$(api GET '/api/captures?status=ok' | head -n -1 | json_get 'j["total"]')" = "$ok_before" ] || { bad "$1" "ok captures changed"; return; }
	ls "$agent_data/captures" | grep -q tmp && { bad "$1" "temporary files left"; return; }
	ok "$1"
}

# captures.enabled false: a take is refused with a clear 403.
check_agent_captures_disabled() {
	local out
	agent_up "$1" || return
	agent_stop
	agent_start --captures-enabled false || { bad "$1" "restart"; return; }
	out=$(api POST /api/captures '{"name":"nope"}')
	[ "$(tail -1 <<<"$out")" = 403 ] && grep -q 'Captures are disabled' <<<"$out" || { bad "$1" "$out"; agent_stop; return; }
	"$bin" capture take --name nope 2>"$work/dis.err" && { bad "$1" "the CLI took one"; agent_stop; return; }
	grep -q 'Captures are disabled' "$work/dis.err" || { bad "$1" "CLI: $(cat "$work/dis.err")"; agent_stop; return; }
	agent_stop
	ok "$1"
}

# A rules file whose one rule fires when fd.name is the trigger file; with a
# capture action of 3 s before and 2 s after. Prints its path.
rules_file() { # rule-name trigger-file
	cat >"$work/e2e-rules.yaml" <<YAML
- rule: $1
  desc: the e2e marker opened the trigger file
  condition: evt.type in (open, openat) and evt.dir=< and fd.name=$2
  output: "trigger %fd.name opened by %proc.name (pid %proc.pid)"
  priority: WARNING
  capture: {enabled: true, before: 3s, after: 2s}
YAML
	echo "$work/e2e-rules.yaml"
}

# The size of agent.log now, and what the agent logged since such an offset.
agent_log_size() {
	if [ -f "$work/agent.log" ]; then stat -c %s "$work/agent.log"; else echo 0; fi
}
agent_log_since() { # offset
	# never fails: a `grep -q` after it may stop reading early (SIGPIPE), which pipefail would count
	tail -c +$(($1 + 1)) "$work/agent.log" || true
}

# Prints the id of the capture the rule took once it is ok; false before.
rule_capture_ok() { # rule
	local id
	api GET /api/captures | head -n -1 >"$work/rl.json"
	id=$(json_get "next((c['id'] for c in j['captures'] if c['trigger'] == '$1' and c['status'] == 'ok'), '')" <"$work/rl.json")
	[ -n "$id" ] && echo "$id"
}

# Whether the agent logged at least N alerts of the trigger since a log offset.
rule_alerts_logged() { # offset n
	[ "$(agent_log_since "$1" | grep -c 'Warning trigger .* opened by ')" -ge "$2" ]
}

# A rule with a capture action (agent --rules): a marker process opens a file,
# then the trigger file, then the trigger again while the rule's capture
# records, then another file. Both triggers are alerted; the first takes a
# capture named and triggered by the rule, 3 s before to 2 s after the event;
# the second is refused with the exact message. The capture (sysdig -r) holds
# the marker's opens before, at and after the trigger, names resolved, the
# trigger notification at the event's own time, and nothing of the agent.
check_agent_rules() {
	local tag=rule-$$ trig=$work/rule-trigger rule="e2e marker opens the trigger" from id f out busy ts
	agent_can_run "$1" || return
	agent_stop # restarted below with the rules
	echo x >"$trig" # made before the agent starts: this open must not fire the rule
	echo b >"$work/$tag.before"
	echo a >"$work/$tag.after"
	cp /bin/cat "$work/$tag" # a comm of our own (at most 15 characters)
	from=$(agent_log_size)
	agent_start --rules "$(rules_file "$rule" "$trig")" || { bad "$1" "the agent did not start: $(agent_log_since "$from" | tail -3)"; return; }
	agent_log_since "$from" | grep -qx 'sysrec agent: 1 rule from 1 file' || { bad "$1" "no rule count: $(agent_log_since "$from" | head -3)"; agent_stop; return; }
	(while :; do head -c1 /etc/hostname >/dev/null; sleep 0.05; done) &
	busy=$!
	sleep 2 # the history under test: the recorder holds the seconds the capture's "before" reaches
	"$work/$tag" "$work/$tag.before" >/dev/null
	sleep 1 # the marker's open, a second before the trigger, is in the capture's 3 s before
	"$work/$tag" "$trig" >/dev/null # the trigger
	wait_for 5 agent_status 'j["rules"]["captures_taken"] == 1'
	"$work/$tag" "$trig" >/dev/null # again, while the capture records
	wait_for 5 agent_status 'j["rules"]["alerts"] == 2 and j["rules"]["captures_refused"] == 1'
	"$work/$tag" "$work/$tag.after" >/dev/null
	wait_for 15 rule_capture_ok "$rule" >/dev/null
	id=$(rule_capture_ok "$rule")
	kill "$busy"
	wait "$busy" 2>/dev/null
	wait_for 5 rule_alerts_logged "$from" 2
	agent_log_since "$from" >"$work/rules.log"
	[ -n "$id" ] || { bad "$1" "no capture triggered by the rule reached ok: $(tr '\n' ' ' <"$work/rl.json" | cut -c1-300) $(tail -3 "$work/rules.log")"; agent_stop; return; }
	[ "$(grep -c "Warning trigger $trig opened by $tag (pid [0-9]*)\$" "$work/rules.log")" = 2 ] ||
		{ bad "$1" "expected 2 alerts: $(grep -i trigger "$work/rules.log" | head -5)"; agent_stop; return; }
	grep -qx "sysrec: warning: rule '$rule': capture not taken: Maximum number of outstanding captures (1) reached" "$work/rules.log" ||
		{ bad "$1" "no refusal logged: $(grep -i "rule '" "$work/rules.log" | head -3)"; agent_stop; return; }
	out=$(api GET /api/status | head -n -1)
	[ "$(json_get '[j["rules"][k] for k in ("loaded", "files", "alerts", "alerts_dropped", "captures_taken", "captures_refused")]' <<<"$out")" = '[1, 1, 2, 0, 1, 1]' ] ||
		{ bad "$1" "status rules: $(json_get 'j["rules"]' <<<"$out")"; agent_stop; return; }
	api GET /metrics | grep -qx 'sysrec_rule_captures_total{result="refused"} 1' || { bad "$1" "metrics: $(api GET /metrics | grep rule)"; agent_stop; return; }
	api GET /metrics | grep -qx 'sysrec_alerts_total 2' || { bad "$1" "metrics: $(api GET /metrics | grep alerts)"; agent_stop; return; }
	api GET "/api/captures/$id" | head -n -1 >"$work/rc.json"
	[ "$(json_get 'j["name"] + "|" + j["trigger"] + "|" + str(j["before"]) + "|" + str(j["after"])' <"$work/rc.json")" = "$rule|$rule|3.0|2.0" ] ||
		{ bad "$1" "the capture: $(cat "$work/rc.json")"; agent_stop; return; }
	"$bin" capture download "$id" -o "$work/rule.scap" 2>"$work/dl.err" || { bad "$1" "download: $(cat "$work/dl.err")"; agent_stop; return; }
	f=$work/rule.scap
	sysdig -r "$f" -p '%evt.rawtime %proc.name %fd.name' "proc.name=$tag and evt.type in (open, openat) and evt.dir=< and fd.name startswith $work/" \
		>"$work/rule-opens.txt" 2>"$work/sd.err" || { bad "$1" "sysdig -r: $(head -1 "$work/sd.err")"; agent_stop; return; }
	ts=$(sysdig -r "$f" -p '%evt.rawtime' 'evt.type=notification and evt.arg.id=sysrec-trigger')
	python3 - "$ts" "$work/rule-opens.txt" "$tag" "$trig" "$work/$tag" <<'PY' >"$work/rule.why" || { bad "$1" "$(cat "$work/rule.why")"; agent_stop; return; }
import sys
ts, path, tag, trig, base = sys.argv[1:]
opens = [l.split() for l in open(path)]
names = [n for _, _, n in opens]
want = [base + ".before", trig, trig, base + ".after"]
if not ts.strip().isdigit(): sys.exit(print("no trigger notification: %r" % ts) or 1)
if names != want or any(p != tag for _, p, _ in opens): sys.exit(print("the marker's opens: %s" % opens) or 1)
if int(opens[1][0]) != int(ts): sys.exit(print("the trigger %s is not the trigger open's time %s" % (ts, opens[1][0])) or 1)
PY
	[ -z "$(sysdig -r "$f" -p %evt.num "proc.pid=$agent_pid" | head -1)" ] || { bad "$1" "the agent's own events are in the capture"; agent_stop; return; }
	agent_stop
	ok "$1 ($(wc -l <"$work/rule-opens.txt") marker opens, $(sysdig -r "$f" | wc -l) events)"
}

# captures.enabled false: the rule's alert still goes out (to a file, as
# Falco's JSON), and the log says its capture was skipped; none is taken.
check_agent_rules_captures_disabled() {
	local tag=ruleoff-$$ trig=$work/rule-trigger-off rule="e2e marker capture disabled" from n0 n1
	agent_can_run "$1" || return
	agent_stop # restarted below with the rules
	echo x >"$trig"
	cp /bin/cat "$work/$tag"
	rm -f "$work/alerts.json"
	from=$(agent_log_size)
	agent_start --rules "$(rules_file "$rule" "$trig")" --captures-enabled false --alerts-output file \
		--alerts-file "$work/alerts.json" --alerts-json true || { bad "$1" "the agent did not start: $(agent_log_since "$from" | tail -3)"; return; }
	n0=$(api GET /api/captures | head -n -1 | json_get 'j["total"]')
	"$work/$tag" "$trig" >/dev/null
	for _ in $(seq 50); do
		[ -s "$work/alerts.json" ] && agent_log_since "$from" | grep -q 'capture skipped' && break
		sleep 0.1
	done
	n1=$(api GET /api/captures | head -n -1 | json_get 'j["total"]')
	agent_stop
	python3 - "$work/alerts.json" "$rule" "$tag" "$trig" <<'PY' >"$work/off.why" || { bad "$1" "alert: $(cat "$work/off.why")"; return; }
import json, sys
path, rule, tag, trig = sys.argv[1:]
lines = open(path).read().splitlines()
a = json.loads(lines[0]) if len(lines) == 1 else {}
f = a.get("output_fields", {})
if (a.get("rule"), a.get("priority"), f.get("proc.name"), f.get("fd.name")) != (rule, "Warning", tag, trig):
    sys.exit(print(lines) or 1)
PY
	agent_log_since "$from" | grep -qx "sysrec: warning: rule '$rule': capture skipped: captures are disabled (captures.enabled: false)" ||
		{ bad "$1" "log: $(agent_log_since "$from" | grep -i "rule '" | head -3)"; return; }
	[ "$n0" = "$n1" ] || { bad "$1" "a capture was taken: $n0 before, $n1 after"; return; }
	ok "$1"
}

# A second agent on the data directory of a running one is refused at once,
# naming the first agent's pid, and touches nothing there: the first agent's
# capture, recording meanwhile, completes ok and downloads (mode 0600).
check_agent_lock() {
	local id out rc
	agent_up "$1" || return
	"$bin" capture take --name locked --duration 3 --no-wait --json >"$work/lock.json" 2>"$work/lock.err" ||
		{ bad "$1" "take: $(cat "$work/lock.err")"; return; }
	id=$(json_get 'j["id"]' <"$work/lock.json")
	wait_for 5 capture_status_is "$id" recording
	timeout 30 "$bin" agent --data "$agent_data" --listen "127.0.0.1:$((agent_port + 1))" --seconds 5 \
		>"$work/second.log" 2>&1
	rc=$?
	[ "$rc" = 1 ] || { bad "$1" "the second agent exited $rc: $(head -3 "$work/second.log")"; return; }
	grep -qx "sysrec agent: the data directory $agent_data is in use by another agent (pid $agent_pid)" "$work/second.log" ||
		{ bad "$1" "the second agent said: $(cat "$work/second.log")"; return; }
	for _ in $(seq 100); do
		out=$(api GET "/api/captures/$id" | head -n -1)
		[ "$(json_get 'j["status"]' <<<"$out")" = recording ] || [ "$(json_get 'j["status"]' <<<"$out")" = storing ] || break
		sleep 0.1
	done
	[ "$(json_get 'j["status"]' <<<"$out")" = ok ] || { bad "$1" "the first agent's capture: $out"; return; }
	rm -f "$work/locked.scap"
	"$bin" capture download "$id" -o "$work/locked.scap" 2>"$work/dl.err" || { bad "$1" "download: $(cat "$work/dl.err")"; return; }
	sysdig -r "$work/locked.scap" -p %evt.num evt.num=1 >/dev/null 2>&1 || { bad "$1" "sysdig cannot read the download"; return; }
	[ "$(stat -c %a "$work/locked.scap")" = 600 ] || { bad "$1" "the download has mode $(stat -c %a "$work/locked.scap"), not 600"; return; }
	ok "$1 (the second agent: $(cat "$work/second.log"))"
}

# A data directory others may enter (0777) and a token others may read (0644)
# are narrowed to 0700 and 0600 at start, each with a warning; a data
# directory that belongs to another user is refused with a clear message.
check_agent_data_modes() {
	local from foreign=$work/foreign-data rc
	agent_can_run "$1" || return
	agent_stop
	mkdir -p "$agent_data"
	[ -s "$agent_data/token" ] || echo 0000000000000000000000000000000000000000000000000000000000000000 >"$agent_data/token"
	chmod 0777 "$agent_data"
	chmod 0644 "$agent_data/token"
	from=$(agent_log_size)
	agent_start || { bad "$1" "the agent did not start: $(agent_log_since "$from" | tail -3)"; return; }
	[ "$(stat -c %a "$agent_data")/$(stat -c %a "$agent_data/token")" = 700/600 ] ||
		{ bad "$1" "modes now: $(stat -c %a "$agent_data") $(stat -c %a "$agent_data/token")"; return; }
	agent_log_since "$from" | grep -qx "sysrec: warning: the data directory $agent_data had mode 0777 (others could read or change it): it is 0700 now" ||
		{ bad "$1" "no warning for the directory: $(agent_log_since "$from" | head -3)"; return; }
	agent_log_since "$from" | grep -qx "sysrec: warning: $agent_data/token had mode 0644 (others could read or change it): it is 0600 now" ||
		{ bad "$1" "no warning for the token: $(agent_log_since "$from" | head -3)"; return; }
	mkdir -p "$foreign"
	chown 65534:65534 "$foreign"
	timeout 30 "$bin" agent --data "$foreign" --listen "127.0.0.1:$((agent_port + 1))" --seconds 5 >"$work/foreign.log" 2>&1
	rc=$?
	[ "$rc" = 1 ] && grep -q "^sysrec agent: the data directory $foreign belongs to uid 65534, not to this agent's user (uid 0): refusing to use it" "$work/foreign.log" ||
		{ bad "$1" "another user's directory: exit $rc: $(head -3 "$work/foreign.log")"; return; }
	[ -z "$(ls -A "$foreign")" ] || { bad "$1" "files made in another user's directory: $(ls -A "$foreign")"; return; }
	ok "$1"
}

# The capture a record write failure left in memory: status and the stored record's status.
inode_state() { # id
	echo "$(api GET "/api/captures/$1" | head -n -1 | json_get 'j["status"]') $(json_get 'j["status"]' <"$agent_data/captures/$1.json")"
}

# Take up every free inode of the data directory's file system.
inode_fill() {
	local i=0
	mkdir -p "$agent_data/fill" 2>/dev/null
	while : 2>/dev/null >"$agent_data/fill/$i"; do i=$((i + 1)); done
}

# Take a capture NAME (sets id), run the inodes out while it records, and wait
# until the API says it is ok (sets st: the API's and the record's status):
# false unless the record, unwritable, still says recording or storing.
starve() { # name
	"$bin" capture take --name "$1" --duration 2 --no-wait --json >"$work/inode.json" 2>"$work/inode.err" ||
		{ st="take failed: $(cat "$work/inode.err")"; return 1; }
	id=$(json_get 'j["id"]' <"$work/inode.json")
	sleep 0.5 # the capture is recording when the inodes run out
	inode_fill
	for _ in $(seq 100); do
		st=$(inode_state "$id")
		[ "${st% *}" = ok ] && break
		sleep 0.1
	done
	[ "$st" = "ok recording" ] || [ "$st" = "ok storing" ]
}

# The data directory on a small tmpfs whose inodes run out while a capture
# records, so that its final record cannot be written: the capture is ok all
# the same (the API, download), /api/status counts the unsaved record, and
# once inodes are freed the record is written, without a restart. Again with
# the agent killed while the record is unwritten: the restart finds the
# complete .scap under a record still "recording" and recovers it as ok.
check_agent_inodes() {
	local mnt=$work/inode-data saved=$agent_data id st sum n
	agent_can_run "$1" || return
	agent_stop
	mkdir -p "$mnt"
	mount -t tmpfs -o size=512m,nr_inodes=64,mode=0700 tmpfs "$mnt" 2>/dev/null || { skipped "$1" "cannot mount a tmpfs"; return; }
	trap 'umount -l "'"$mnt"'" 2>/dev/null; suite_exit' EXIT
	inode_done() { agent_stop; umount -l "$mnt"; trap suite_exit EXIT; agent_data=$saved; }
	agent_data=$mnt
	agent_start || { bad "$1" "the agent did not start: $(tail -3 "$work/agent.log")"; inode_done; return; }
	starve starved || { bad "$1" "with no inodes left (API, record): $st: $(ls -a "$agent_data/captures" | tr '\n' ' ') $(tail -5 "$work/agent.log")"; inode_done; return; }
	n=$(api GET /api/status | head -n -1 | json_get 'j["catalog"]["unsaved_records"]')
	[ "$n" = 1 ] || { bad "$1" "status unsaved_records $n, not 1"; inode_done; return; }
	rm -f "$work/starved.scap"
	"$bin" capture download "$id" -o "$work/starved.scap" 2>"$work/dl.err" || { bad "$1" "download: $(cat "$work/dl.err")"; inode_done; return; }
	local during=$st
	rm -rf "$agent_data/fill"
	for _ in $(seq 50); do
		st=$(inode_state "$id")
		[ "$st" = "ok ok" ] && grep -q 'catalog: the capture records are all written now' "$work/agent.log" && break
		sleep 0.1
	done
	[ "$st" = "ok ok" ] || { bad "$1" "inodes freed: (API, record) $st"; inode_done; return; }
	[ "$(api GET /api/status | head -n -1 | json_get 'j["catalog"]["unsaved_records"]')" = 0 ] || { bad "$1" "still unsaved"; inode_done; return; }
	grep -q 'catalog: the capture records are all written now' "$work/agent.log" || { bad "$1" "no log of the records written"; inode_done; return; }

	# the agent dies with the record unwritten
	starve starved-killed || { bad "$1" "second capture with no inodes left (API, record): $st: $(api GET "/api/captures/$id" | head -n -1 | json_get 'j["error"]') $(tail -5 "$work/agent.log")"; inode_done; return; }
	agent_stop KILL
	rm -rf "$agent_data/fill"
	sum=$(sha256sum "$agent_data/captures/$id.scap" | cut -d' ' -f1)
	agent_start || { bad "$1" "restart: $(tail -3 "$work/agent.log")"; inode_done; return; }
	api GET "/api/captures/$id" | head -n -1 >"$work/recovered.json"
	[ "$(json_get 'j["status"], j["sha256"], j["size"]' <"$work/recovered.json")" = "ok $sum $(stat -c %s "$agent_data/captures/$id.scap")" ] &&
		json_get 'j["note"]' <"$work/recovered.json" | grep -q 'recovered at restart' ||
		{ bad "$1" "after the restart (want ok $sum): $(json_get 'j["status"], j["sha256"], j["size"], j["note"]' <"$work/recovered.json")"; inode_done; return; }
	[ "$(json_get 'j["status"]' <"$agent_data/captures/$id.json")" = ok ] || { bad "$1" "the record was not rewritten"; inode_done; return; }
	inode_done
	ok "$1 (no inodes: API and record said '$during'; freed: 'ok ok'; killed and restarted: ok, recovered)"
}
