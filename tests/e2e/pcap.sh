# e2e checks of the pcapng writer (src/pcap) against Wireshark's own readers, sourced by run.sh.
# Each check_NAME is listed in cases.txt as "check NAME".

# What Wireshark's tools print on stderr that is about us: their warning
# about running as root is not.
peer_stderr() { # file
	grep -v '^Running as user "root" and group "root"' "$1"
}

# The files of tests/e2e/gen-pcapng.c, as tshark sees them: each packet's
# interface, lengths (one cut by its snaplen), addresses, direction
# (epb_flags), comments (the owner, a drop note), drop count, and checksums
# (validated: 1 is good); nothing malformed, no warning, nothing on stderr.
check_pcapng_tshark() {
	local gen=$build/e2e/gen-pcapng d=$work/pcapng
	local fields=(frame.number frame.interface_name frame.len frame.cap_len ip.src ipv6.src
		frame.packet_flags_direction frame.comment frame.drop_count ip.checksum.status
		udp.checksum.status tcp.checksum.status)
	local checks=(-o ip.check_checksum:TRUE -o udp.check_checksum:TRUE -o tcp.check_checksum:TRUE)
	[ -x "$gen" ] || { skipped "$1" "no $gen (make builds it)"; return; }
	command -v tshark >/dev/null 2>&1 || { skipped "$1" "tshark not installed (scripts/deps.sh installs it)"; return; }
	mkdir -p "$d" && "$gen" "$d" || { bad "$1" "gen-pcapng failed"; return; }
	tshark -r "$d/packets.pcapng" "${checks[@]}" -T fields -E separator='|' "${fields[@]/#/-e}" \
		>"$work/ts.out" 2>"$work/ts.err" || { bad "$1" "tshark exit $?: $(peer_stderr "$work/ts.err" | head -1)"; return; }
	[ -z "$(peer_stderr "$work/ts.err")" ] || { bad "$1" "tshark warns: $(peer_stderr "$work/ts.err" | head -1)"; return; }
	tshark -r "$d/packets.pcapng" "${checks[@]}" -Y '_ws.malformed or _ws.expert.severity >= "Warning"' \
		>"$work/ts.bad" 2>/dev/null
	[ ! -s "$work/ts.bad" ] || { bad "$1" "tshark finds fault: $(head -1 "$work/ts.bad")"; return; }
	tshark -r "$d/empty.pcapng" >"$work/ts.empty" 2>"$work/ts.err" && [ ! -s "$work/ts.empty" ] &&
		[ -z "$(peer_stderr "$work/ts.err")" ] || { bad "$1" "tshark on empty.pcapng: $(peer_stderr "$work/ts.err" | head -1)"; return; }
	cat >"$work/ts.want" <<'EOF'
1|any|40|40|10.1.2.3||0x00000002|pid=4242 tid=4243 comm=curl container=3f2a9c1b7e4d fd=5||1|1|
2|any|41|41|10.9.8.7||0x00000001|pid=4242 tid=4243 comm=curl container=3f2a9c1b7e4d fd=5,2 packets lost before this one|2|1|1|
3|any|40|40|192.0.2.10||0x00000002|pid=4300 tid=4301 comm=nginx:%20worker fd=7||1||1
4|lo|50|50||2001:db8::1|0x00000001||||1|
5|lo|128|64|127.0.0.1|||||1||
EOF
	same "$1" "$work/ts.out" "$work/ts.want"
}

# capinfos reads what the section header, the interfaces and their
# statistics blocks say.
check_pcapng_capinfos() {
	local gen=$build/e2e/gen-pcapng d=$work/pcapng-ci line missing=
	[ -x "$gen" ] || { skipped "$1" "no $gen (make builds it)"; return; }
	command -v capinfos >/dev/null 2>&1 || { skipped "$1" "capinfos not installed (scripts/deps.sh installs it)"; return; }
	mkdir -p "$d" && "$gen" "$d" || { bad "$1" "gen-pcapng failed"; return; }
	capinfos "$d/packets.pcapng" >"$work/ci.out" 2>"$work/ci.err" || { bad "$1" "capinfos exit $?: $(peer_stderr "$work/ci.err" | head -1)"; return; }
	[ -z "$(peer_stderr "$work/ci.err")" ] || { bad "$1" "capinfos warns: $(peer_stderr "$work/ci.err" | head -1)"; return; }
	while IFS= read -r line; do
		grep -qxF -- "$line" <(sed 's/[[:space:]]*$//' "$work/ci.out") || missing+="'$line' "
	done <<EOF
File type:           Wireshark/... - pcapng
File encapsulation:  Raw IP
File timestamp precision:  nanoseconds (9)
Number of packets:   5
First packet time:   2023-11-14 22:13:20.000000000
Last packet time:    2023-11-14 22:13:20.004000000
Capture hardware:    $(uname -m)
Capture oper-sys:    $(uname -s) $(uname -r)
Capture application: sysrec gen-pcapng
Capture comment:     host=$(hostname)
Number of interfaces in file: 2
                     Name = any
                     Description = every interface (sysrec e2e)
                     Name = lo
                     Capture length = 64
                     Time precision = nanoseconds (9)
                     Number of stat entries = 1
                     Number of packets = 3
                     Number of packets = 2
EOF
	[ -z "$missing" ] || { bad "$1" "capinfos lacks: $missing"; return; }
	ok "$1"
}
