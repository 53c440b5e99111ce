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
