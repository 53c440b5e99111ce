# Sourced by run.sh: `sysrec record --pcap` against tcpdump and tshark.

# The network of the packet checks: a namespace with a veth pair into it
# (host 10.231.N.1 / fd31:N::1, namespace .2 / ::2), and a web server in it.
pkt_net_up() { # tag
	local n=$(($$ % 200 + 20))
	pkt_ns=sysrec-e2e-$1
	pkt_vh=sr${n}h
	pkt_host4=10.231.$n.1 pkt_ns4=10.231.$n.2 pkt_host6=fd31:$n::1 pkt_ns6=fd31:$n::2
	ip netns add "$pkt_ns" &&
		ip link add "$pkt_vh" type veth peer name sr${n}n netns "$pkt_ns" &&
		ip addr add "$pkt_host4/24" dev "$pkt_vh" && ip -6 addr add "$pkt_host6/64" dev "$pkt_vh" nodad &&
		ip link set "$pkt_vh" up &&
		ip -n "$pkt_ns" addr add "$pkt_ns4/24" dev sr${n}n && ip -n "$pkt_ns" -6 addr add "$pkt_ns6/64" dev sr${n}n nodad &&
		ip -n "$pkt_ns" link set sr${n}n up && ip -n "$pkt_ns" link set lo up
}

pkt_net_down() {
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
# into a namespace: an HTTP download (curl from python3's http.server), pings
# over IPv4 and IPv6, a UDP exchange. tshark reads our file with no warning;
# the ICMP and UDP packets (count, IP lengths, order) are tcpdump's, and each
# TCP flow's bytes each way; every packet of curl's sockets names curl's pid
# and comm, the server's in its namespace python3; a recorder beside it with
# --pcap-filter 'tcp port N' keeps exactly that port's packets.
check_record_packets() {
	local rpid rpid2 srv1 srv2 t1 t2 cpid cpid2 cport port=$((18000 + $$ % 1000)) f=$work/pk.pcapng want got problem=""
	can_record "$1" || return
	for t in tcpdump tshark curl ping; do
		command -v $t >/dev/null || { skipped "$1" "$t not installed"; return; }
	done
	pkt_net_up "$$" || { pkt_net_down; skipped "$1" "cannot make a network namespace and veth pair here"; return; }
	mkdir -p "$work/www"
	head -c 300000 /dev/urandom >"$work/www/big"
	(cd "$work/www" && exec python3 -m http.server "$port" --bind 127.0.0.1 >/dev/null 2>&1) &
	srv1=$!
	(cd "$work/www" && exec ip netns exec "$pkt_ns" python3 -m http.server "$port" --bind "$pkt_ns4" >/dev/null 2>&1) &
	srv2=$!
	tcpdump -i lo -s 65000 -U -w "$work/pk-lo.pcap" 2>"$work/td-lo.err" &
	t1=$!
	tcpdump -i "$pkt_vh" -s 65000 -U -w "$work/pk-veth.pcap" 2>"$work/td-veth.err" &
	t2=$!
	wait_for 10 grep -q listening "$work/td-lo.err"
	wait_for 10 grep -q listening "$work/td-veth.err"
	"$bin" record -w "$work/pk.scap" --pcap "$f" --stats 2>"$work/pk.err" &
	rpid=$!
	# beside it, one that keeps only the web server's packets
	"$bin" record -w "$work/pkf.scap" --pcap "$work/pkf.pcapng" --pcap-filter "tcp port $port" --stats 2>"$work/pkf.err" &
	rpid2=$!
	wait_for 10 grep -q 'recording (' "$work/pk.err"
	wait_for 10 grep -q 'recording (' "$work/pkf.err"
	wait_for 10 curl -s -o /dev/null "http://127.0.0.1:$port/"
	wait_for 10 curl -s -o /dev/null "http://$pkt_ns4:$port/"
	# (command: run.sh's curl function would put a shell between $! and curl)
	command curl -s -o "$work/got1" "http://127.0.0.1:$port/big" &
	cpid=$!
	wait "$cpid"
	command curl -s -o "$work/got2" "http://$pkt_ns4:$port/big" &
	cpid2=$!
	wait "$cpid2"
	ping -c 2 -i 0.2 -W 1 127.0.0.1 >/dev/null
	ping -6 -c 2 -i 0.2 -W 1 ::1 >/dev/null
	ping -c 2 -i 0.2 -W 1 "$pkt_ns4" >/dev/null
	ping -6 -c 2 -i 0.2 -W 1 "$pkt_ns6" >/dev/null
	python3 -c 'import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1", 0))
c = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for i in range(3):
    c.sendto(b"hello %d" % i, s.getsockname()); d, a = s.recvfrom(100); s.sendto(d.upper(), a); c.recv(100)'
	# tcpdump writes what it has read when told to stop, not what the kernel still holds for it
	sleep 1.5
	kill -INT "$t1" "$t2"
	wait "$t1" "$t2" 2>/dev/null
	kill -INT "$rpid" "$rpid2"
	stop_wait "$rpid" "$1 (sysrec record)" || { bad "$1" "record failed: $(grep -v recording "$work/pk.err" | head -2)"; pkt_clean; return; }
	stop_wait "$rpid2" "$1 (sysrec record --pcap-filter)" || { bad "$1" "record --pcap-filter failed: $(grep -v recording "$work/pkf.err" | head -2)"; pkt_clean; return; }
	pkt_clean
	cmp -s "$work/got1" "$work/www/big" || { bad "$1" "the download over loopback failed"; return; }
	[ -s "$f" ] || { bad "$1" "no $f: $(head -3 "$work/pk.err")"; return; }
	: >"$f.tshark-err"
	pkt_fields "$f" "" frame.number >/dev/null
	[ ! -s "$f.tshark-err" ] || { bad "$1" "tshark warns: $(head -2 "$f.tshark-err")"; return; }
	# TCP: the same bytes each way as tcpdump saw (docs/packets.md: the socket's
	# view has a large send as one packet where the device cut it in two, and
	# lacks the bare ACKs the kernel sends for a closed connection)
	for where in lo "$pkt_vh"; do
		for dir in "tcp.srcport==$port" "tcp.dstport==$port"; do
			if [ "$where" = lo ]; then
				want=$(pkt_fields "$work/pk-lo.pcap" "$dir" tcp.len | awk '{ n += $1 } END { print n + 0 }')
				got=$(pkt_fields "$f" "($dir) and frame.interface_name==\"lo\" and frame.packet_flags_direction==2" tcp.len | awk '{ n += $1 } END { print n + 0 }')
			else
				want=$(pkt_fields "$work/pk-veth.pcap" "$dir" tcp.len | awk '{ n += $1 } END { print n + 0 }')
				got=$(pkt_fields "$f" "($dir) and frame.interface_name==\"$where\"" tcp.len | awk '{ n += $1 } END { print n + 0 }')
			fi
			[ "$want" -gt 0 ] || problem="$problem tcpdump saw no TCP bytes ($dir) on $where;"
			[ "$want" = "$got" ] || problem="$problem $where ($dir): tcpdump $want TCP bytes, sysrec $got;"
		done
	done
	# loopback: each packet once in tcpdump's file; in ours once per socket
	# (sent by one, received by the other): the sent copies are tcpdump's
	for flow in "icmp" "icmpv6.type==128 or icmpv6.type==129" "udp and ip.dst==127.0.0.1 and not udp.port==53"; do
		want=$(pkt_fields "$work/pk-lo.pcap" "$flow" ip.len ipv6.plen | tr '\n' ' ')
		got=$(pkt_fields "$f" "($flow) and frame.interface_name==\"lo\" and frame.packet_flags_direction==2" ip.len ipv6.plen | tr '\n' ' ')
		[ -n "$want" ] || problem="$problem tcpdump saw no '$flow' on lo;"
		[ "$want" = "$got" ] || problem="$problem lo '$flow': tcpdump $(wc -w <<<"$want") packets, sysrec $(wc -w <<<"$got");"
	done
	# the veth pair, host side: what the host's sockets sent and received through
	# it, each direction on its own (a received packet is seen as its socket
	# takes it, after tcpdump's tap: one received and one sent at nearly the
	# same moment may come in the other order across directions)
	for flow in "icmp" "icmpv6.type==128 or icmpv6.type==129"; do
		for dir in "ip.src==$pkt_host4 or ipv6.src==$pkt_host6" "ip.dst==$pkt_host4 or ipv6.dst==$pkt_host6"; do
			want=$(pkt_fields "$work/pk-veth.pcap" "($flow) and ($dir)" ip.len ipv6.plen | tr '\n' ' ')
			got=$(pkt_fields "$f" "($flow) and ($dir) and frame.interface_name==\"$pkt_vh\"" ip.len ipv6.plen | tr '\n' ' ')
			[ -n "$want" ] || problem="$problem tcpdump saw no '$flow' ($dir) on $pkt_vh;"
			[ "$want" = "$got" ] || problem="$problem $pkt_vh '$flow' ($dir): tcpdump $(wc -w <<<"$want") packets, sysrec $(wc -w <<<"$got");"
		done
	done
	# every packet of curl's connection names curl: the sent ones and the received ones
	cport=$(pkt_fields "$f" "frame.interface_name==\"lo\" and http.request.uri==\"/big\"" tcp.srcport | head -1)
	got=$(pkt_fields "$f" "frame.interface_name==\"lo\" and ((tcp.srcport==$cport and frame.packet_flags_direction==2) or (tcp.dstport==$cport and frame.packet_flags_direction==1))" frame.comment | sort | uniq -c)
	grep -q "pid=$cpid tid=$cpid comm=curl" <<<"$got" && [ "$(wc -l <<<"$got")" = 1 ] ||
		problem="$problem curl's packets over loopback do not all name pid $cpid: $(head -c 300 <<<"$got" | tr '\n' '|');"
	cport=$(pkt_fields "$f" "frame.interface_name==\"$pkt_vh\" and http.request.uri==\"/big\"" tcp.srcport | head -1)
	got=$(pkt_fields "$f" "frame.interface_name==\"$pkt_vh\" and tcp.port==$cport" frame.comment | sort | uniq -c)
	grep -q "pid=$cpid2 tid=$cpid2 comm=curl" <<<"$got" && [ "$(wc -l <<<"$got")" = 1 ] ||
		problem="$problem curl's packets over $pkt_vh do not all name pid $cpid2: $(head -c 300 <<<"$got" | tr '\n' '|');"
	# the server's, in its namespace, name python3
	got=$(pkt_fields "$f" "tcp.srcport==$port and frame.packet_flags_direction==2 and ip.src==$pkt_ns4" frame.comment | sort -u)
	grep -q "pid=$srv2 .*comm=python3" <<<"$got" || problem="$problem the server in $pkt_ns is not named: $(head -c 200 <<<"$got");"
	# --pcap-filter 'tcp port N': that port's packets, all of them (the two
	# recorders saw the same ones), and nothing else
	want=$(pkt_fields "$f" "tcp.port==$port" frame.len | wc -l)
	got=$(pkt_fields "$work/pkf.pcapng" "tcp.port==$port" frame.len | wc -l)
	[ "$want" -gt 0 ] && [ "$want" = "$got" ] || problem="$problem --pcap-filter kept $got of the $want packets of port $port;"
	got=$(pkt_fields "$work/pkf.pcapng" "not tcp.port==$port" frame.len | wc -l)
	[ "$got" = 0 ] || problem="$problem --pcap-filter kept $got other packets;"
	[ -z "$problem" ] && ok "$1 ($(pkt_fields "$f" "" frame.number | wc -l) packets)" || bad "$1" "$problem"
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
