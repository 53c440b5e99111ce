# Sourced by run.sh: `sysrec record --pcap` against tcpdump and tshark.

# The network of the packet checks: a namespace with a veth pair into it
# (host 10.231.N.1 / fd31:N::1, namespace .2 / ::2), and a web server in it.
# pkt_ns_if: the pair's end in the namespace, as sysrec's file names it.
pkt_net_up() { # tag
	local n=$(($$ % 200 + 20))
	pkt_ns=sysrec-e2e-$1
	pkt_vh=sr${n}h pkt_ns_if=sr${n}n@sysrec-e2e-$1
	pkt_host4=10.231.$n.1 pkt_ns4=10.231.$n.2 pkt_host6=fd31:$n::1 pkt_ns6=fd31:$n::2
	ip netns add "$pkt_ns" &&
		ip link add "$pkt_vh" type veth peer name sr${n}n netns "$pkt_ns" &&
		ip addr add "$pkt_host4/24" dev "$pkt_vh" && ip -6 addr add "$pkt_host6/64" dev "$pkt_vh" nodad &&
		ip link set "$pkt_vh" up &&
		ip -n "$pkt_ns" addr add "$pkt_ns4/24" dev sr${n}n && ip -n "$pkt_ns" -6 addr add "$pkt_ns6/64" dev sr${n}n nodad &&
		ip -n "$pkt_ns" link set sr${n}n up && ip -n "$pkt_ns" link set lo up
}

# A second pair into a second namespace (10.233.N.1 / .2), made while a
# recording runs: sets pkt_late_ns, pkt_late_vh (host side), pkt_late_if (the
# other end, as sysrec's file names it), pkt_late4 (its address).
pkt_late_up() { # tag
	local n=$(($$ % 200 + 20))
	pkt_late_ns=sysrec-e2e-late-$1 pkt_late_vh=sr${n}l pkt_late_if=sr${n}m@sysrec-e2e-late-$1 pkt_late4=10.233.$n.2
	ip netns add "$pkt_late_ns" &&
		ip link add "$pkt_late_vh" type veth peer name sr${n}m netns "$pkt_late_ns" &&
		ip addr add "10.233.$n.1/24" dev "$pkt_late_vh" && ip link set "$pkt_late_vh" up &&
		ip -n "$pkt_late_ns" addr add "$pkt_late4/24" dev sr${n}m && ip -n "$pkt_late_ns" link set sr${n}m up
}

pkt_net_down() {
	if [ -n "${pkt_late_ns:-}" ]; then
		ip link del "$pkt_late_vh" 2>/dev/null
		ip netns del "$pkt_late_ns" 2>/dev/null
		pkt_late_ns=
	fi
	[ -n "${pkt_ns:-}" ] || return 0
	ip link del "$pkt_vh" 2>/dev/null
	ip netns del "$pkt_ns" 2>/dev/null
	pkt_ns=
}

# tshark's view of a pcap or pcapng file: one line per packet with the
# fields asked for (tab-separated); its warnings in FILE.tshark-err.
pkt_fields() { # file filter fields...
	local f=$1 flt=$2 a=()
	shift 2
	for x in "$@"; do a+=(-e "$x"); done
	tshark -r "$f" -Y "$flt" -T fields -E separator=/t "${a[@]}" 2>"$f.tshark-one"
	# (its note that it runs as root is not about the file)
	grep -v '^Running as user "root"' "$f.tshark-one" >>"$f.tshark-err"
}

# `sysrec record --pcap` beside `tcpdump -w` on loopback and on a veth pair
# into a namespace: HTTP downloads (curl from python3's http.server), pings
# over IPv4 and IPv6, a UDP exchange. tshark reads our file with no warning;
# each flow's packets are tcpdump's (pktflows.py: count, IP lengths, order;
# only packets stamped at the same moment may cross); on loopback each
# packet is named by the socket that receives it (curl's by curl, the
# server's by python3, ping's replies by ping); on the veth every packet of
# curl's connection names curl, and in the namespace the server's, sent and
# received, name python3; a namespace and veth pair made after the start are
# recorded too, both ends; a recorder beside it with --pcap-filter
# 'tcp port N' keeps exactly that port's packets, one with --pid the
# loopback server's, both ways, each named by the server.
check_record_packets() {
	local rpid rpid2 rpid3 srv1 srv2 t1 t2 cpid cpid2 cport port=$((18000 + $$ % 1000)) f=$work/pk.pcapng want got problem="" out
	local uport=$((19000 + $$ % 1000)) echo="icmp.type==8 or icmp.type==0 or icmpv6.type==128 or icmpv6.type==129"
	can_record "$1" || return
	for t in tcpdump tshark curl ping; do
		command -v $t >/dev/null || { skipped "$1" "$t not installed"; return; }
	done
	pkt_net_up "$$" || { pkt_net_down; skipped "$1" "cannot make a network namespace and veth pair here"; return; }
	mkdir -p "$work/www"
	head -c 300000 /dev/urandom >"$work/www/big"
	head -c 8000000 /dev/urandom >"$work/www/huge"
	(cd "$work/www" && exec python3 -m http.server "$port" --bind 127.0.0.1 >/dev/null 2>&1) &
	srv1=$!
	(cd "$work/www" && exec ip netns exec "$pkt_ns" python3 -m http.server "$port" --bind "$pkt_ns4" >/dev/null 2>&1) &
	srv2=$!
	tcpdump -i lo -s 65000 -B 65536 -U -w "$work/pk-lo.pcap" 2>"$work/td-lo.err" &
	t1=$!
	tcpdump -i "$pkt_vh" -s 65000 -B 65536 -U -w "$work/pk-veth.pcap" 2>"$work/td-veth.err" &
	t2=$!
	wait_for 10 grep -q listening "$work/td-lo.err"
	wait_for 10 grep -q listening "$work/td-veth.err"
	"$bin" record -w "$work/pk.scap" --pcap "$f" --stats 2>"$work/pk.err" &
	rpid=$!
	# beside it, one that keeps only the web server's packets
	"$bin" record -w "$work/pkf.scap" --pcap "$work/pkf.pcapng" --pcap-filter "tcp port $port" --stats 2>"$work/pkf.err" &
	rpid2=$!
	# and one that keeps the loopback server's only
	"$bin" record -w "$work/pkp.scap" --pcap "$work/pkp.pcapng" --pid "$srv1" --stats 2>"$work/pkp.err" &
	rpid3=$!
	wait_for 10 grep -q 'recording (' "$work/pk.err"
	wait_for 10 grep -q 'recording (' "$work/pkf.err"
	wait_for 10 grep -q 'recording (' "$work/pkp.err"
	wait_for 10 curl -s -o /dev/null "http://127.0.0.1:$port/"
	wait_for 10 curl -s -o /dev/null "http://$pkt_ns4:$port/"
	# (command: run.sh's curl function would put a shell between $! and curl)
	command curl -s -o "$work/got1" "http://127.0.0.1:$port/big" &
	cpid=$!
	wait "$cpid"
	command curl -s -o "$work/got2" "http://$pkt_ns4:$port/big" &
	cpid2=$!
	wait "$cpid2"
	# large ones: GSO packets, and the two directions on two CPUs
	command curl -s -o /dev/null "http://127.0.0.1:$port/huge"
	command curl -s -o /dev/null "http://$pkt_ns4:$port/huge"
	ping -c 2 -i 0.2 -W 1 127.0.0.1 >/dev/null
	ping -6 -c 2 -i 0.2 -W 1 ::1 >/dev/null
	ping -c 2 -i 0.2 -W 1 "$pkt_ns4" >/dev/null
	ping -6 -c 2 -i 0.2 -W 1 "$pkt_ns6" >/dev/null
	python3 -c 'import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1", int(sys.argv[1])))
c = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for i in range(3):
    c.sendto(b"hello %d" % i, s.getsockname()); d, a = s.recvfrom(100); s.sendto(d.upper(), a); c.recv(100)' "$uport"
	# a namespace and its veth pair made now: pinged for 3 s (its interfaces are
	# attached to as they are made here, within a second in the namespace)
	pkt_late_up "$$" && ping -c 12 -i 0.25 -W 1 "$pkt_late4" >/dev/null || problem="$problem cannot make or ping a namespace during the recording;"
	# tcpdump writes what it has read when told to stop, not what the kernel still holds for it
	sleep 1.5
	kill -INT "$t1" "$t2"
	wait "$t1" "$t2" 2>/dev/null
	kill -INT "$rpid" "$rpid2" "$rpid3"
	stop_wait "$rpid" "$1 (sysrec record)" || { bad "$1" "record failed: $(grep -v recording "$work/pk.err" | head -2)"; pkt_clean; return; }
	stop_wait "$rpid2" "$1 (sysrec record --pcap-filter)" || { bad "$1" "record --pcap-filter failed: $(grep -v recording "$work/pkf.err" | head -2)"; pkt_clean; return; }
	stop_wait "$rpid3" "$1 (sysrec record --pid)" || { bad "$1" "record --pid failed: $(grep -v recording "$work/pkp.err" | head -2)"; pkt_clean; return; }
	pkt_clean
	cmp -s "$work/got1" "$work/www/big" || { bad "$1" "the download over loopback failed"; return; }
	[ -s "$f" ] || { bad "$1" "no $f: $(head -3 "$work/pk.err")"; return; }
	: >"$f.tshark-err"
	pkt_fields "$f" "" frame.number >/dev/null
	[ ! -s "$f.tshark-err" ] || { bad "$1" "tshark warns: $(head -2 "$f.tshark-err")"; return; }
	# each flow packet by packet, as tcpdump has it: on loopback (where it keeps
	# the received copy of each packet, as we do) and the veth's host side
	out=$("$here/pktflows.py" "$work/pk-lo.pcap:14" "$f" "tcp.port==$port or udp.port==$uport or $echo" "frame.interface_name==\"lo\"" 2>&1) ||
		problem="$problem lo: $(tail -4 <<<"$out" | tr '\n' '|');"
	grep -q '^[2-9][0-9]* flows' <<<"$out" || problem="$problem lo: $(tail -1 <<<"$out");"
	got=$("$here/pktflows.py" "$work/pk-veth.pcap:14" "$f" "tcp.port==$port or $echo" "frame.interface_name==\"$pkt_vh\"" 2>&1) ||
		problem="$problem $pkt_vh: $(tail -4 <<<"$got" | tr '\n' '|');"
	# (a loss shows there; one of other traffic is only said)
	out="lo: $(tail -1 <<<"$out"); $pkt_vh: $(tail -1 <<<"$got"); $(grep -o '[0-9]* lost' "$work/pk.err")"
	# loopback: each packet names the socket that receives it
	cport=$(pkt_fields "$f" "frame.interface_name==\"lo\" and http.request.uri==\"/big\"" tcp.srcport | head -1)
	got=$(pkt_named "$f" "frame.interface_name==\"lo\" and tcp.dstport==$cport" "pid=$cpid tid=$cpid comm=curl" "pid=$srv1 tid=[0-9]+ comm=python3") ||
		problem="$problem the packets curl received over loopback do not all name pid $cpid: $got;"
	got=$(pkt_named "$f" "frame.interface_name==\"lo\" and tcp.srcport==$cport" "pid=$srv1 tid=[0-9]+ comm=python3" "pid=$cpid tid=$cpid comm=curl") ||
		problem="$problem the packets the server received over loopback do not all name pid $srv1: $got;"
	got=$(pkt_fields "$f" "frame.interface_name==\"lo\" and (icmp.type==0 or icmpv6.type==129)" frame.comment | sed 's/pid=[0-9]* tid=[0-9]* //; s/ fd=[0-9]*//' | sort | uniq -c)
	grep -q " comm=ping" <<<"$got" && [ "$(wc -l <<<"$got")" = 1 ] ||
		problem="$problem ping's echo replies over loopback do not all name ping: $(head -c 300 <<<"$got" | tr '\n' '|');"
	# the veth: curl's connection names curl both ways
	cport=$(pkt_fields "$f" "frame.interface_name==\"$pkt_vh\" and http.request.uri==\"/big\"" tcp.srcport | head -1)
	got=$(pkt_named "$f" "frame.interface_name==\"$pkt_vh\" and tcp.port==$cport" "pid=$cpid2 tid=$cpid2 comm=curl") ||
		problem="$problem curl's packets over $pkt_vh do not all name pid $cpid2: $got;"
	# in the namespace (its end of the pair), the server's connection names python3 both ways
	# (a bare ACK or FIN to the server's socket already gone names its local sender, curl, as on loopback)
	got=$(pkt_named "$f" "tcp.port==$cport and ip.addr==$pkt_ns4 and frame.interface_name==\"$pkt_ns_if\"" "pid=$srv2 tid=[0-9]+ comm=python3" "pid=$cpid2 tid=$cpid2 comm=curl") ||
		problem="$problem the server in its namespace is not named on each packet: $got;"
	# the namespace made during the recording: its last pings, on both ends of its pair
	for where in "frame.interface_name==\"$pkt_late_vh\"" "frame.interface_name==\"$pkt_late_if\""; do
		got=$(pkt_fields "$f" "icmp.type==8 and ip.dst==$pkt_late4 and $where" icmp.seq | sort -n | uniq | tail -6 | tr '\n' ' ')
		[ "$got" = "7 8 9 10 11 12 " ] || problem="$problem pings into a namespace made during the recording, $where: only seq $got;"
	done
	# --pcap-filter 'tcp port N': that port's packets, all of them (the two
	# recorders saw the same ones), and nothing else
	want=$(pkt_fields "$f" "tcp.port==$port" frame.len | wc -l)
	got=$(pkt_fields "$work/pkf.pcapng" "tcp.port==$port" frame.len | wc -l)
	[ "$want" -gt 0 ] && [ "$want" = "$got" ] || problem="$problem --pcap-filter kept $got of the $want packets of port $port;"
	got=$(pkt_fields "$work/pkf.pcapng" "not tcp.port==$port" frame.len | wc -l)
	[ "$got" = 0 ] || problem="$problem --pcap-filter kept $got other packets;"
	# --pid the loopback server: its data packets both ways (those it sends are
	# curl's received ones, named by curl in the other file), all named by it
	for dir in "tcp.srcport==$port" "tcp.dstport==$port"; do
		want=$(pkt_fields "$f" "frame.interface_name==\"lo\" and $dir and tcp.len>0" frame.len | wc -l)
		got=$(pkt_fields "$work/pkp.pcapng" "$dir and tcp.len>0" frame.len | wc -l)
		[ "$want" -gt 0 ] && [ "$want" = "$got" ] || problem="$problem --pid $srv1 kept $got of the $want data packets ($dir);"
	done
	got=$(pkt_fields "$work/pkp.pcapng" "" frame.comment | grep -cv "^pid=$srv1 ")
	[ "$got" = 0 ] || problem="$problem --pid $srv1 kept $got packets not named by it;"
	[ -z "$problem" ] && ok "$1 ($(pkt_fields "$f" "" frame.number | wc -l) packets; $out)" || bad "$1" "$problem"
}

# Whether every packet FILTER selects in FILE names the process PATTERN matches
# (a grep -E on its comment, e.g. "pid=12 tid=[0-9]+ comm=curl", then an fd or
# none), but for at most two without data and with no owner: a connection's
# last FIN and ACK may find it in TIME_WAIT, closed by its process. (A note of
# packets lost before one, of other traffic, is not the owner's.) Prints what
# it found.
pkt_named() { # file filter pattern [sender]
	local got alt=${4:-(none)}
	got=$(pkt_fields "$1" "$2" frame.comment tcp.len | sed -E 's/,?[0-9]+ packets lost before this one [^\t]*//' | sort | uniq -c)
	grep -Eq "^ *[0-9]+ $3( fd=[0-9]+)?"$'\t' <<<"$got" || { echo "none named"; return 1; }
	# at most 2 bare ACKs or FINs to a socket already gone (TIME_WAIT) may name no one,
	# or, when it is local, their sender (docs/packets.md, "Which socket names a packet")
	awk -F'\t' -v re="^ *[0-9]+ $3( fd=[0-9]+)?\$" -v alt="^ *[0-9]+ $alt( fd=[0-9]+)?\$" '$1 ~ re { next }
		($1 ~ /^ *[0-9]+ $/ || $1 ~ alt) && $2 == 0 { n += $1 + 0; next } { bad = 1 }
		END { exit bad || n > 2 }' <<<"$got" || { tr '\t\n' ' |' <<<"$got" | head -c 800; return 1; }
}

pkt_clean() {
	kill "$srv1" "$srv2" "$t1" "$t2" 2>/dev/null
	wait "$srv1" "$srv2" "$t1" "$t2" 2>/dev/null
	pkt_net_down
}

# --pcap-per: a directory of files, one per process (and per command, and
# all.pcapng with every packet): each process's file holds its packets and
# no other's, and together they hold every packet once; the two curls are in
# command-curl.pcapng. The walk-through of README: the fd a packet names is
# the fd of the socket in the .scap written beside it (its connect).
check_record_packets_per() {
	local rpid srv cpid cpid2 port=$((19000 + $$ % 1000)) d=$work/per problem="" all n sum fd f pid
	can_record "$1" || return
	command -v tshark >/dev/null || { skipped "$1" "tshark not installed"; return; }
	pkt_net_up "p$$" || { pkt_net_down; skipped "$1" "cannot make a network namespace and veth pair here"; return; }
	mkdir -p "$work/www"
	head -c 200000 /dev/urandom >"$work/www/mid"
	(cd "$work/www" && exec ip netns exec "$pkt_ns" python3 -m http.server "$port" --bind "$pkt_ns4" >/dev/null 2>&1) &
	srv=$!
	wait_for 10 curl -s -o /dev/null "http://$pkt_ns4:$port/"
	"$bin" record -w "$work/per.scap" --pcap "$d" --pcap-per process,command,single --stats 2>"$work/per.err" &
	rpid=$!
	wait_for 10 grep -q 'recording (' "$work/per.err"
	command curl -s -o /dev/null "http://$pkt_ns4:$port/mid" &
	cpid=$!
	wait "$cpid"
	command curl -s -o /dev/null "http://$pkt_ns4:$port/mid" &
	cpid2=$!
	wait "$cpid2"
	ping -c 2 -i 0.2 -W 1 "$pkt_ns4" >/dev/null
	kill -INT "$rpid"
	stop_wait "$rpid" "$1 (sysrec record)" || { bad "$1" "record failed: $(grep -v recording "$work/per.err" | head -2)"; kill "$srv"; pkt_net_down; return; }
	kill "$srv" 2>/dev/null
	wait "$srv" 2>/dev/null
	pkt_net_down
	for f in "$d"/*.pcapng; do
		: >"$f.tshark-err"
		pkt_fields "$f" "" frame.number >/dev/null
		[ ! -s "$f.tshark-err" ] || problem="$problem tshark warns on $(basename "$f"): $(head -1 "$f.tshark-err");"
	done
	[ -f "$d/process-$cpid-curl.pcapng" ] && [ -f "$d/process-$cpid2-curl.pcapng" ] && [ -f "$d/command-curl.pcapng" ] && [ -f "$d/all.pcapng" ] ||
		{ bad "$1" "missing files; $d has: $(ls "$d" | tr '\n' ' ')"; return; }
	all=$(pkt_fields "$d/all.pcapng" "" frame.number | wc -l)
	sum=0
	for f in "$d"/process-*.pcapng; do
		n=$(pkt_fields "$f" "" frame.number | wc -l)
		sum=$((sum + n))
		pid=$(basename "$f" | sed -n 's/^process-\([0-9]*\)-.*/\1/p')
		[ -n "$pid" ] || continue
		# every packet of the file is its process's, and every one of its process's is there
		n=$(pkt_fields "$f" "not frame.comment contains \"pid=$pid \"" frame.number | wc -l)
		[ "$n" = 0 ] || problem="$problem $(basename "$f") holds $n packets of others;"
		n=$(pkt_fields "$d/all.pcapng" "frame.comment contains \"pid=$pid \"" frame.number | wc -l)
		[ "$n" = "$(pkt_fields "$f" "" frame.number | wc -l)" ] || problem="$problem $(basename "$f") lacks some of its $n packets;"
	done
	[ "$sum" = "$all" ] || problem="$problem the process files hold $sum packets, all.pcapng $all;"
	n=$(pkt_fields "$d/command-curl.pcapng" "" frame.number | wc -l)
	sum=$(($(pkt_fields "$d/process-$cpid-curl.pcapng" "" frame.number | wc -l) + $(pkt_fields "$d/process-$cpid2-curl.pcapng" "" frame.number | wc -l)))
	[ "$n" -gt 0 ] && [ "$n" = "$sum" ] || problem="$problem command-curl.pcapng holds $n packets, the two curls' files $sum;"
	# the packet's fd is the socket's in the .scap: curl's connect on it
	fd=$(pkt_fields "$d/process-$cpid-curl.pcapng" "tcp.flags.syn==1 and tcp.flags.ack==0" frame.comment | sed -n 's/.* fd=\([0-9]*\).*/\1/p' | head -1)
	if [ -z "$fd" ]; then
		problem="$problem curl's SYN names no fd: $(pkt_fields "$d/process-$cpid-curl.pcapng" "" frame.comment | head -1);"
	else
		n=$("$bin" read -r "$work/per.scap" "proc.pid=$cpid and fd.num=$fd and evt.type=connect and evt.dir=<" | wc -l)
		[ "$n" -ge 1 ] || problem="$problem no connect of pid $cpid on fd $fd in the .scap;"
	fi
	[ -z "$problem" ] && ok "$1 ($(ls "$d"/*.pcapng | wc -l) files, $all packets, curl's fd $fd)" || bad "$1" "$problem"
}

# Packets only (no -w) and in Tracee's spelling: --capture net=IFACE@NS
# --capture dir:D writes D/out/pcap/all.pcapng with the packets of that
# interface only (a ping from the namespace: its requests and replies), cut
# to their headers with pcap-snaplen:headers, and nothing in the working
# directory; --pcap F --pcap-iface lo -C 1 rotates the
# pcapng at 1 MB: each file opens in tshark, and together they hold every
# packet written.
check_record_packets_only() {
	local rpid srv port=$((20000 + $$ % 1000)) problem="" n total files dev abs f
	can_record "$1" || return
	command -v tshark >/dev/null || { skipped "$1" "tshark not installed"; return; }
	pkt_net_up "o$$" || { pkt_net_down; skipped "$1" "cannot make a network namespace and veth pair here"; return; }
	abs=$(realpath "$bin")
	dev=$(ip -n "$pkt_ns" -o link show type veth | awk -F': ' '{ print $2 }' | cut -d@ -f1)
	mkdir -p "$work/www" "$work/only"
	head -c 3000000 /dev/urandom >"$work/www/three"
	(cd "$work/www" && exec python3 -m http.server "$port" --bind 127.0.0.1 >/dev/null 2>&1) &
	srv=$!
	wait_for 10 curl -s -o /dev/null "http://127.0.0.1:$port/"
	(cd "$work/only" && exec "$abs" record --capture "net=$dev@$pkt_ns" --capture "dir:$work/tr" --capture pcap-snaplen:headers --stats 2>"$work/only1.err") &
	rpid=$!
	wait_for 10 grep -q 'recording packets' "$work/only1.err"
	ip netns exec "$pkt_ns" ping -c 3 -i 0.2 -W 1 "$pkt_host4" >/dev/null
	curl -s -o /dev/null "http://127.0.0.1:$port/"
	kill -INT "$rpid"
	stop_wait "$rpid" "$1 (record --capture)" || problem="$problem record --capture failed: $(head -2 "$work/only1.err");"
	f=$work/tr/out/pcap/all.pcapng
	n=$(pkt_fields "$f" "" frame.number | wc -l)
	[ "$n" -gt 0 ] || problem="$problem no packets in $f ($(ls -R "$work/tr" 2>&1 | tr '\n' ' '));"
	n=$(pkt_fields "$f" "not frame.interface_name==\"$dev@$pkt_ns\"" frame.interface_name | sort | uniq -c | tr '\n' ' ')
	[ -z "$n" ] || problem="$problem --capture net=$dev@$pkt_ns kept packets of: $n;"
	n=$(pkt_fields "$f" "(icmp.type==8 or icmp.type==0) and frame.comment contains \"comm=ping\"" frame.number | wc -l)
	[ "$n" = 6 ] || problem="$problem $n of ping's 3 echo requests and 3 replies on $dev@$pkt_ns;"
	# pcap-snaplen:headers: the IP and ICMP headers of each 84-byte packet
	n=$(pkt_fields "$f" "icmp.type==8 or icmp.type==0" frame.cap_len frame.len | sort -u | tr '\t\n' '/ ')
	[ "$n" = "28/84 " ] || problem="$problem pcap-snaplen:headers kept (bytes/of): $n;"
	[ -z "$(ls -A "$work/only")" ] || problem="$problem packets only wrote into the working directory: $(ls "$work/only");"
	# rotation at 1 MB, loopback only
	"$bin" record --pcap "$work/rot.pcapng" --pcap-iface lo -C 1 --stats 2>"$work/only2.err" &
	rpid=$!
	wait_for 10 grep -q 'recording packets' "$work/only2.err"
	command curl -s -o "$work/got3" "http://127.0.0.1:$port/three"
	ping -c 1 -W 1 "$pkt_ns4" >/dev/null
	kill -INT "$rpid"
	stop_wait "$rpid" "$1 (record -C 1)" || problem="$problem record -C 1 failed: $(head -2 "$work/only2.err");"
	kill "$srv" 2>/dev/null
	wait "$srv" 2>/dev/null
	pkt_net_down
	total=0 files=0
	for f in "$work"/rot.pcapng[0-9]*; do
		[ -f "$f" ] || continue
		files=$((files + 1))
		: >"$f.tshark-err"
		n=$(pkt_fields "$f" "" frame.number | wc -l)
		[ ! -s "$f.tshark-err" ] || problem="$problem tshark warns on $(basename "$f"): $(head -1 "$f.tshark-err");"
		total=$((total + n))
		n=$(pkt_fields "$f" "not frame.interface_name==\"lo\"" frame.number | wc -l)
		[ "$n" = 0 ] || problem="$problem $(basename "$f") holds $n packets of other interfaces;"
	done
	n=$(sed -n 's/.*: \([0-9]*\) packets written.*/\1/p' "$work/only2.err")
	[ "$files" -ge 3 ] || problem="$problem -C 1 made $files files of a 3 MB download;"
	[ "$total" = "$n" ] || problem="$problem the rotated files hold $total packets, record said $n;"
	[ -z "$problem" ] && ok "$1 ($files rotated files, $total packets)" || bad "$1" "$problem"
}

# Losses are never silent: with a packet buffer of one page per CPU
# (SYSREC_TEST_PKT_PAGES, tests only), a flood of UDP over loopback loses
# packets; record says how many and why at the end, exits 0, and the file
# says it on the packets after each gap (epb_dropcount and a comment), as
# many as the kernel counted.
check_record_packets_lost() {
	local rpid out lost drops f=$work/lost.pcapng
	can_record "$1" || return
	command -v tshark >/dev/null || { skipped "$1" "tshark not installed"; return; }
	SYSREC_TEST_PKT_PAGES=1 "$bin" record --pcap "$f" --pcap-iface lo --stats 2>"$work/lost.err" &
	rpid=$!
	wait_for 10 grep -q 'recording packets' "$work/lost.err"
	python3 -c 'import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1", 0))
c = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for i in range(20000): c.sendto(b"x" * 1400, s.getsockname())
c.sendto(b"end", s.getsockname())'
	# a packet after the flood, once the buffer has room: the last gap is said on it
	sleep 0.5
	ping -c 2 -i 0.3 -W 1 127.0.0.1 >/dev/null
	kill -INT "$rpid"
	stop_wait "$rpid" "$1 (sysrec record)" || { bad "$1" "record failed: $(tail -2 "$work/lost.err")"; return; }
	out=$(grep 'packets written' "$work/lost.err")
	lost=$(sed -n 's/.*kernel buffer full \([0-9]*\),.*/\1/p' <<<"$out")
	[ -n "$lost" ] && [ "$lost" -gt 0 ] || { bad "$1" "no loss with a one-page buffer? $out"; return; }
	drops=$(pkt_fields "$f" "frame.drop_count" frame.drop_count | awk '{ n += $1 } END { print n + 0 }')
	out2=$(pkt_fields "$f" "frame.drop_count" frame.comment | grep -c 'packets lost before this one (the kernel.s buffer was full)')
	[ "$drops" = "$lost" ] && [ "$out2" -gt 0 ] || { bad "$1" "record lost $lost, the file says $drops in $out2 notes"; return; }
	ok "$1 ($lost lost, said in $out2 places)"
}

# --pcap's bad input: an output that cannot be made, a snaplen that is not
# one, a filter libpcap cannot compile (refused before anything starts, with
# libpcap's message): a clear error, a non-zero exit, and no capture left behind.
check_record_packets_refused() {
	can_record "$1" || return
	local out rc
	out=$("$bin" record -w "$work/pr.scap" --pcap "$work/no/such/dir/p.pcapng" 2>&1)
	rc=$?
	[ "$rc" = 2 ] && grep -q -- "--pcap $work/no/such/dir/p.pcapng: cannot write in $work/no/such/dir" <<<"$out" ||
		{ bad "$1" "unwritable --pcap: exit $rc, said: $out"; return; }
	! ls "$work"/pr.scap* >/dev/null 2>&1 || { bad "$1" "the recording was left behind: $(ls "$work"/pr.scap*)"; return; }
	out=$("$bin" record -w "$work/pr.scap" --pcap "$work/p.pcapng" --pcap-filter 'tcp prt 80' 2>&1)
	rc=$?
	[ "$rc" = 2 ] && grep -q "pcap-filter 'tcp prt 80': .*syntax error" <<<"$out" ||
		{ bad "$1" "a bad --pcap-filter: exit $rc, said: $out"; return; }
	! ls "$work"/pr.scap* "$work"/p.pcapng* >/dev/null 2>&1 || { bad "$1" "files were left behind: $(ls "$work"/pr.scap* "$work"/p.pcapng* 2>&1)"; return; }
	# an interface that is not there, here or in a namespace; a split onto a file; Tracee's options we do not take
	for args in "--pcap-iface nosuch0|no such interface in this network namespace" \
		"--pcap-iface lo@sysrec-no-such-ns|cannot enter network namespace /run/netns/sysrec-no-such-ns" \
		"--pcap-per process|with --pcap-per it names a directory, and this is a file" \
		"--pcap-per everything|'everything' in 'everything' is not a way to split packets" \
		"--capture pcap-options:filtered|only pcap-options:none is taken"; do
		touch "$work/p.pcapng"
		# shellcheck disable=SC2086 # the options are words
		out=$("$bin" record -w "$work/pr.scap" --pcap "$work/p.pcapng" ${args%%|*} 2>&1)
		rc=$?
		[ "$rc" = 2 ] && grep -q -- "${args#*|}" <<<"$out" ||
			{ bad "$1" "${args%%|*}: exit $rc, said: $out"; return; }
		! ls "$work"/pr.scap* >/dev/null 2>&1 || { bad "$1" "${args%%|*} left a recording behind"; return; }
		rm -f "$work/p.pcapng"
	done
	for v in 0 65001 abc; do
		out=$("$bin" record -w "$work/pr.scap" --pcap "$work/p.pcapng" --pcap-snaplen "$v" 2>&1)
		rc=$?
		[ "$rc" = 2 ] && [ "$(wc -l <<<"$out")" = 1 ] && grep -q -- "--pcap-snaplen" <<<"$out" ||
			{ bad "$1" "--pcap-snaplen $v: exit $rc, said: $out"; return; }
	done
	ok "$1"
}
