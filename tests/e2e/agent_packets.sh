# e2e checks of the flight recorder's packets (issue 25, item 1): with
# packets.enabled the agent keeps the packets of its history beside the
# events, within packets.max_memory (taken from recorder.max_memory), with
# packets.filter and packets.interfaces applied; /api/status and /metrics say
# how many seconds and bytes it holds and its drops. Bad settings keep the
# agent from starting, naming the key. Sourced by run.sh.

check_agent_packets_ring() {
	local out rc st
	agent_can_run "$1" || return
	agent_stop
	pd_fake=
	# bad settings: the agent does not start, and says which key
	for args in "--packets true --packets-interfaces nosuch0|packets.interfaces: 'nosuch0': no such interface" \
		"--packets true --packets-max-memory 200MiB|packets.max_memory (200 MiB) is more than half of recorder.max_memory" \
		"--packets-filter tcp\ prt\ 80|packets.filter: not a filter in tcpdump's language" \
		"--packets-snaplen 10|packets.snaplen: '10' is out of range"; do
		# shellcheck disable=SC2086 # the options are words
		out=$(eval "timeout 10 \"$bin\" agent --data \"$work/pk-bad\" --listen 127.0.0.1:0 ${args%%|*}" 2>&1) && rc=0 || rc=$?
		[ "$rc" != 0 ] && [ "$rc" != 124 ] && grep -qF -- "${args#*|}" <<<"$out" ||
			{ bad "$1" "${args%%|*}: exit $rc, said: $(tail -2 <<<"$out")"; return; }
	done
	agent_start --packets true --packets-filter 'udp port 9501' --packets-max-memory 16MiB --packets-snaplen 200 ||
		{ bad "$1" "the agent did not start: $(tail -3 "$work/agent.log")"; return; }
	# 6000 datagrams of 1400 bytes to 9501 (kept, cut to 200) and 60 to 9502 (filtered out)
	python3 -c 'import socket,time
r = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); r.bind(("127.0.0.1", 9501))
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for i in range(6000):
    s.sendto(b"p" * 1400, ("127.0.0.1", 9501))
    if i % 100 == 0:
        s.sendto(b"q" * 100, ("127.0.0.1", 9502)); time.sleep(0.02)'
	wait_for 5 agent_status 'j["packets"]["total"] + j["packets"]["dropped"] >= 6000' ||
		{ bad "$1" "packets: $(api GET /api/status | head -n -1 | json_get 'j["packets"]')"; return; }
	st=$(api GET /api/status | head -n -1)
	out=$(json_get 'j["packets"]["enabled"], j["packets"]["snaplen"], j["packets"]["max_bytes"], j["ring"]["max_bytes"], j["packets"]["filtered"] >= 60, j["packets"]["bytes"] <= j["packets"]["max_bytes"], j["packets"]["seconds"] > 0, j["packets"]["total"] + j["packets"]["dropped"]' <<<"$st")
	[ "$out" = "True 200 16777216 251658240 True True True 6000" ] ||
		{ bad "$1" "status: $out ($(json_get 'j["packets"]' <<<"$st"))"; return; }
	grep -q '^sysrec_packets_total [1-9]' <(api GET /metrics) || { bad "$1" "/metrics has no sysrec_packets_total"; return; }
	agent_stop
	ok "$1 (6000 packets kept within 16 MiB of the recorder's 256, cut to 200 bytes, filter and snaplen applied; bad settings refused)"
}

# A capture's parts in the catalog (size, sha256) and as downloads.
bundle_part_ok() { # id part file
	local want
	want=$(api GET "/api/captures/$1" | head -n -1 | json_get "next((p['sha256'] for p in j['parts'] if p['part'] == '$2'), '')")
	[ -n "$want" ] && [ "$(sha256sum <"$3" | cut -d' ' -f1)" = "$want" ]
}

# Capture bundles (issue 25, item 2), with the shared pcapdump agent (pd_up:
# packets kept, the stand-in's containers web-1 and db-1, two rules): traffic
# made before the request is in the capture's pcapng with its owner; a capture
# of web-1 holds only its packets and its events; a filter keeps the packets of
# the processes whose events it kept; a rule with packets: true stores a
# bundle and one with packets: false does not; --all unpacks to parts whose
# sha256 match the catalog; a part not there is a clear 404.
check_agent_bundle() {
	local web=${pd_ids[0]:0:12} db=${pd_ids[1]:0:12} d=$work/bundle out id got id2 id3 rid p1 p2
	pd_up "$1" || return
	mkdir -p "$d"
	# traffic before the request: each container and the host, to ports of their own
	in_container "${pd_ids[0]}" python3 -c "import socket,time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for i in range(5): s.sendto(b'web' * 20, ('127.0.0.1', 9701)); time.sleep(0.02)
open('/etc/hostname').read(); time.sleep(1)" &
	p1=$!
	in_container "${pd_ids[1]}" python3 -c "import socket,time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for i in range(5): s.sendto(b'db' * 20, ('127.0.0.1', 9702)); time.sleep(0.02)
time.sleep(1)" &
	p2=$!
	udp_send 9703 5 60
	wait "$p1" "$p2"
	sleep 1.2
	# the whole host, 4 s before: every one's packets, each with its owner
	# (stderr apart: a warning that the recorder holds less than asked is not JSON)
	out=$("$bin" capture take --name bundle-all --before 4 --after 0.5 --packets --json 2>"$d/err") || { bad "$1" "take: $(cat "$d/err")"; return; }
	id=$(json_get 'j["id"]' <<<"$out")
	"$bin" capture download "$id" --part pcapng -o "$d/all.pcapng" 2>"$d/err" || { bad "$1" "download pcapng: $(cat "$d/err")"; return; }
	got=$(tshark -r "$d/all.pcapng" -Y 'not icmp and udp.dstport >= 9701 and udp.dstport <= 9703' -T fields -e udp.dstport -e frame.comment 2>/dev/null |
		sed -E 's/^([0-9]+)\t.*container=([0-9a-f]{12}).*/\1 \2/; s/^([0-9]+)\tpid=.*/\1 host-process/; s/^([0-9]+)\t$/\1 none/' | sort | uniq -c | awk '{print $1, $2, $3}' | tr '\n' ' ')
	[ "$got" = "5 9701 $web 5 9702 $db 5 9703 host-process " ] || { bad "$1" "the window's packets (count port owner): '$got'"; return; }
	bundle_part_ok "$id" pcapng "$d/all.pcapng" || { bad "$1" "the pcapng does not match the catalog's sha256"; return; }
	# --all: a tar.gz whose parts match the catalog
	"$bin" capture download "$id" --all -o "$d/b.tar.gz" 2>"$d/err" || { bad "$1" "--all: $(cat "$d/err")"; return; }
	mkdir -p "$d/x" && tar -xzf "$d/b.tar.gz" -C "$d/x" || { bad "$1" "tar cannot unpack the archive"; return; }
	bundle_part_ok "$id" scap "$d/x/$id/events.scap" && bundle_part_ok "$id" pcapng "$d/x/$id/packets.pcapng" &&
		[ "$(json_get 'j["id"]' <"$d/x/$id/capture.json")" = "$id" ] ||
		{ bad "$1" "the archive's parts do not match the catalog: $(ls "$d/x/$id" | tr '\n' ' ')"; return; }
	sysdig -r "$d/x/$id/events.scap" -c topfiles_bytes >/dev/null 2>&1 || { bad "$1" "sysdig cannot read the archive's .scap"; return; }
	# web-1 alone: its packets and its events only
	out=$("$bin" capture take --name bundle-web --container web-1 --before 15 --after 0.5 --json 2>"$d/err") || { bad "$1" "take web-1: $(cat "$d/err")"; return; }
	id2=$(json_get 'j["id"]' <<<"$out")
	"$bin" capture download "$id2" --part pcapng -o "$d/web.pcapng" 2>"$d/err" &&
		"$bin" capture download "$id2" -o "$d/web.scap" 2>"$d/err" || { bad "$1" "download web-1: $(cat "$d/err")"; return; }
	got=$(tshark -r "$d/web.pcapng" -T fields -e frame.comment 2>/dev/null | sed -E 's/.*container=([0-9a-f]{12}).*/\1/; s/^pid=.*/host/; s/^$/none/' | sort -u | tr '\n' ' ')
	[ "$got" = "$web " ] || { bad "$1" "web-1's pcapng holds packets of: '$got'"; return; }
	[ "$(tshark -r "$d/web.pcapng" -Y 'udp.dstport == 9701' 2>/dev/null | wc -l)" = 5 ] || { bad "$1" "web-1's 5 packets are not all in its pcapng"; return; }
	got=$("$bin" read -r "$d/web.scap" -p '%container.id' 'evt.type=sendto' 2>/dev/null | sort -u | tr '\n' ' ')
	[ "$got" = "$web " ] || { bad "$1" "web-1's .scap holds sendto of: '$got'"; return; }
	# a filter: the packets of the processes whose events it kept
	out=$("$bin" capture take --name bundle-filter --filter "container.id=$db" --before 15 --after 0.5 --json 2>"$d/err") || { bad "$1" "take filtered: $(cat "$d/err")"; return; }
	id3=$(json_get 'j["id"]' <<<"$out")
	"$bin" capture download "$id3" --part pcapng -o "$d/db.pcapng" 2>"$d/err" || { bad "$1" "download filtered: $(cat "$d/err")"; return; }
	got=$(tshark -r "$d/db.pcapng" -Y 'not icmp and udp.dstport >= 9701 and udp.dstport <= 9703' -T fields -e udp.dstport 2>/dev/null | sort | uniq -c | awk '{print $1, $2}' | tr '\n' ' ')
	[ "$got" = "5 9702 " ] || { bad "$1" "the filter on db-1 kept packets: '$got'"; return; }
	# a part not there; a part not known
	out=$(api GET "/api/captures/$id2/download?part=bogus")
	[ "$(tail -1 <<<"$out")" = 400 ] && grep -q '"field": "part"' <<<"$out" || { bad "$1" "part=bogus: $out"; return; }
	out=$("$bin" capture take --name no-packets --no-packets --duration 1 --json 2>"$d/err") || { bad "$1" "take --no-packets: $(cat "$d/err")"; return; }
	out=$(api GET "/api/captures/$(json_get 'j["id"]' <<<"$out")/download?part=pcapng")
	[ "$(tail -1 <<<"$out")" = 404 ] && grep -q 'did not ask for packets' <<<"$out" || { bad "$1" "no pcapng part: $out"; return; }
	# rules: packets: true stores a bundle, packets: false does not
	touch "$work/pd-trigger-1" && cat "$work/pd-trigger-1"
	wait_for 20 rule_capture_ok "Bundle with packets" >/dev/null || { bad "$1" "no capture of the rule with packets: true"; return; }
	rid=$(rule_capture_ok "Bundle with packets")
	[ "$(api GET "/api/captures/$rid" | head -n -1 | json_get '[p["part"] for p in j["parts"]], j["artifacts"]')" = "['scap', 'pcapng', 'artifacts'] ['write']" ] ||
		{ bad "$1" "the rule's capture (packets: true, artifacts: [write]) has parts $(api GET "/api/captures/$rid" | head -n -1 | json_get 'j["parts"]')"; return; }
	touch "$work/pd-trigger-2" && cat "$work/pd-trigger-2"
	wait_for 20 rule_capture_ok "Bundle without packets" >/dev/null || { bad "$1" "no capture of the rule with packets: false"; return; }
	rid=$(rule_capture_ok "Bundle without packets")
	[ "$(api GET "/api/captures/$rid" | head -n -1 | json_get '[p["part"] for p in j["parts"]]')" = "['scap']" ] ||
		{ bad "$1" "the rule's capture (packets: false, artifacts: false) has parts $(api GET "/api/captures/$rid" | head -n -1 | json_get 'j["parts"]')"; return; }
	# deleting a capture deletes its parts
	"$bin" capture delete "$id" >/dev/null 2>&1 && [ ! -e "$agent_data/captures/$id.pcapng" ] && [ ! -e "$agent_data/captures/$id.scap" ] ||
		{ bad "$1" "delete left $(ls "$agent_data/captures/" | grep "$id" | tr '\n' ' ')"; return; }
	ok "$1 (packets before the request with their owners; web-1's capture only its packets and events; a filter's owners; rules with packets true/false and artifacts [write]/false; --all = catalog)"
}
