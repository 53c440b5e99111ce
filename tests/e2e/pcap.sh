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

# `sysrec pcapdump merge` against `mergecap -w` of the same inputs: pcapng
# files of three hosts made by tests/e2e/mkpcapng.py (micro- and nanosecond
# interfaces, times that tie across files), gen-pcapng's (owners, a drop
# note, an empty file), one input given twice: tshark shows the same packets
# in the same order (time, lengths, comment, direction, drop count, bytes);
# every input interface is its own, described with its
# host; tshark reads it without a word. A file cut short is refused naming
# it, and no output is left.
check_pcapdump_merge() {
	local gen=$build/e2e/gen-pcapng d=$work/merge f out rc fields=(frame.time_epoch frame.len frame.cap_len
		frame.comment frame.packet_flags_direction frame.drop_count)
	local inputs n json_ok
	[ -x "$gen" ] || { skipped "$1" "no $gen (make builds it)"; return; }
	command -v mergecap >/dev/null 2>&1 && command -v tshark >/dev/null 2>&1 ||
		{ skipped "$1" "mergecap or tshark not installed (scripts/deps.sh installs them)"; return; }
	mkdir -p "$d/g" && "$gen" "$d/g" || { bad "$1" "gen-pcapng failed"; return; }
	python3 "$here/mkpcapng.py" "$d/a.pcapng" web-1 6 1 200 &&
		python3 "$here/mkpcapng.py" "$d/b.pcapng" web-2 9 2 300 1700000000000500 700 &&
		python3 "$here/mkpcapng.py" "$d/c.pcapng" web-3 6 3 100 || { bad "$1" "mkpcapng.py failed"; return; }
	inputs=("$d/g/packets.pcapng" "$d/a.pcapng" "$d/b.pcapng" "$d/g/empty.pcapng" "$d/c.pcapng" "$d/a.pcapng")
	"$bin" pcapdump merge --json -w "$d/ours.pcapng" "${inputs[@]}" >"$d/ours.json" 2>"$d/ours.err" ||
		{ bad "$1" "merge failed: $(head -2 "$d/ours.err")"; return; }
	mergecap -w "$d/theirs.pcapng" "${inputs[@]}" 2>"$d/theirs.err" || { bad "$1" "mergecap failed: $(head -1 "$d/theirs.err")"; return; }
	for f in ours theirs; do
		tshark -r "$d/$f.pcapng" -T fields "${fields[@]/#/-e}" >"$d/$f.txt" 2>"$d/$f.tserr" &&
			tshark -r "$d/$f.pcapng" -x >"$d/$f.hex" 2>>"$d/$f.tserr" || { bad "$1" "tshark on $f: $(peer_stderr "$d/$f.tserr" | head -1)"; return; }
	done
	[ -z "$(peer_stderr "$d/ours.tserr")" ] || { bad "$1" "tshark warns: $(peer_stderr "$d/ours.tserr" | head -1)"; return; }
	[ "$(wc -l <"$d/ours.txt")" = 805 ] || { bad "$1" "$(wc -l <"$d/ours.txt") packets, not 805"; return; }
	cmp -s "$d/ours.txt" "$d/theirs.txt" || { bad "$1" "not mergecap's packets: $(diff "$d/ours.txt" "$d/theirs.txt" | head -3 | tr '\n' ' ')"; return; }
	cmp -s "$d/ours.hex" "$d/theirs.hex" || { bad "$1" "not mergecap's bytes: $(diff "$d/ours.hex" "$d/theirs.hex" | head -3 | tr '\n' ' ')"; return; }
	# every input interface its own (the empty file's has no packet), described with its host
	n=$(tshark -r "$d/ours.pcapng" -T fields -e frame.interface_id 2>/dev/null | sort -un | wc -l)
	[ "$n" = 10 ] || { bad "$1" "$n interfaces carry packets, not 10 (2 of each input)"; return; }
	tshark -r "$d/ours.pcapng" -T fields -e frame.interface_description 2>/dev/null | sort -u >"$d/descs"
	for f in web-1 web-2 web-3; do
		grep -qx "host=$f" "$d/descs" || { bad "$1" "no interface described host=$f: $(tr '\n' '|' <"$d/descs")"; return; }
	done
	json_ok=$(python3 -c 'import json,sys; j=json.load(open(sys.argv[1])); print(j["packets"], j["inputs"])' "$d/ours.json" 2>&1)
	[ "$json_ok" = "805 6" ] || { bad "$1" "--json says '$json_ok'"; return; }
	# bad input: a file cut short, one missing, no output named
	head -c 3000 "$d/b.pcapng" >"$d/cut.pcapng"
	out=$("$bin" pcapdump merge -w "$d/bad.pcapng" "$d/a.pcapng" "$d/cut.pcapng" 2>&1) && rc=0 || rc=$?
	[ "$rc" = 1 ] && echo "$out" | grep -q "$d/cut.pcapng" && [ ! -e "$d/bad.pcapng" ] &&
		[ -z "$(ls "$d" | grep 'bad.pcapng')" ] || { bad "$1" "a file cut short: exit $rc, '$out', $(ls "$d" | grep bad | tr '\n' ' ')"; return; }
	out=$("$bin" pcapdump merge -w "$d/bad.pcapng" "$d/nothere.pcapng" 2>&1) && rc=0 || rc=$?
	[ "$rc" = 1 ] && echo "$out" | grep -q nothere.pcapng || { bad "$1" "a missing file: exit $rc, '$out'"; return; }
	out=$("$bin" pcapdump merge "$d/a.pcapng" 2>&1) && rc=0 || rc=$?
	[ "$rc" = 2 ] || { bad "$1" "no -w: exit $rc, '$out'"; return; }
	ok "$1 (805 packets of 6 files as mergecap orders them, bytes equal; 10 interfaces with their hosts)"
}
