// SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only)
/*
 * packet_tc.bpf.h: each interface's packets as tcpdump sees them, each named
 * by its socket (--pcap, on kernels with tcx links).
 *
 * The loader (src/engine/pktif.c) attaches both programs with tcx links to
 * every interface of every network namespace. Ingress runs right after
 * tcpdump's tap on what a device receives and egress right before it on what
 * a device sends, so a packet is cut as tcpdump shows it (a GSO packet after
 * the device split it), and the kernel's own packets (resets, the ACKs of a
 * connection in TIME_WAIT, ICMP replies) are there too. On loopback a packet
 * is sent and received on the same device; tcpdump keeps the received copy
 * (libpcap drops loopback's outgoing one), and so do we: there the egress
 * program only learns the senders of echo requests.
 *
 * The owner comes from a socket, never from the task the program runs in:
 *  - a sent packet: its own socket (skb->sk; a request socket's listener);
 *  - a received one: the socket it is for, looked up by its addresses and
 *    ports in the device's namespace as the stack will (TCP: the connection,
 *    a request's listener, a listener; UDP); an ICMP echo reply: the socket
 *    whose echo request had its identifier, as the kernel's ping sockets are
 *    found (`pkt_echo`, learnt on egress);
 *  - else (or when a scoped recording leaves the receiver out) the socket
 *    that sent it, when that is one of this host's: a veth hands it on in
 *    skb->sk, on loopback it is found the other way round.
 * The owners themselves are packet.bpf.h's (`owners`), written in process
 * context. The samples are packet.bpf.h's too (`pkts`, struct sysrec_packet),
 * followed by the frame from its link-layer header on: the loader skips the
 * first `l2` bytes, as the programs cannot start the copy at the IP header.
 */

extern void *bpf_cast_to_kern_ctx(void *obj) __ksym;

#define PKT_TC_NEXT (-1) /* TCX_NEXT: the packet goes on as if we were not there */

/* An echo request's sender, by its namespace, family and identifier. */
struct pkt_echo_key {
	__u64 netns;
	__u16 id; /* network order */
	__u16 family;
	__u32 pad;
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 4096);
	__type(key, struct pkt_echo_key);
	__type(value, struct pkt_owner);
} pkt_echo SEC(".maps");

/* What a packet is, from its IP header on: enough to find its socket. */
struct pkt_tuple {
	struct bpf_sock_tuple t; /* the packet's own addresses and ports (saddr: its sender) */
	__u16 family;            /* AF_INET or AF_INET6 */
	__u8 proto; /* IPPROTO_*; 0 when the ports are not at hand (a fragment, an extension header) */
	__u8 icmp_type;
	__u16 echo_id; /* network order */
};

/*
 * The offset of the IP header in the frame (the link-layer header's length),
 * or -1 for a frame that is not IPv4 or IPv6 (the file holds IP packets).
 */
static __always_inline int pkt_tc_l3(struct __sk_buff *skb, struct sk_buff *k)
{
	__u16 nh = BPF_CORE_READ(k, network_header), mh = BPF_CORE_READ(k, mac_header);
	__u8 v, want;
	int off;

	if (skb->protocol == bpf_htons(0x0800))
		want = 4;
	else if (skb->protocol == bpf_htons(0x86DD))
		want = 6;
	else
		return -1;
	off = nh >= mh ? nh - mh : -1;
	if (off < 0 || off > 64 || bpf_skb_load_bytes(skb, off, &v, 1) || v >> 4 != want)
		return -1;
	return off;
}

/* Read the addresses, ports or echo identifier of the IP packet at off; false if not IP. */
static __always_inline bool pkt_tc_parse(struct __sk_buff *skb, int off, struct pkt_tuple *pt)
{
	__u8 l4[8];
	int l4off;

	if (skb->protocol == bpf_htons(0x0800)) {
		struct iphdr ip;

		if (bpf_skb_load_bytes(skb, off, &ip, sizeof(ip)))
			return false;
		pt->family = 2; /* AF_INET */
		pt->t.ipv4.saddr = ip.saddr;
		pt->t.ipv4.daddr = ip.daddr;
		if (ip.frag_off & bpf_htons(0x1fff))
			return true; /* a later fragment: no ports */
		pt->proto = ip.protocol;
		l4off = off + ip.ihl * 4;
	} else {
		struct ipv6hdr ip6;

		if (bpf_skb_load_bytes(skb, off, &ip6, sizeof(ip6)))
			return false;
		pt->family = 10; /* AF_INET6 */
		__builtin_memcpy(pt->t.ipv6.saddr, &ip6.saddr, 16);
		__builtin_memcpy(pt->t.ipv6.daddr, &ip6.daddr, 16);
		pt->proto = ip6.nexthdr; /* an extension header first: not one we look into */
		l4off = off + (int)sizeof(ip6);
	}
	if (bpf_skb_load_bytes(skb, l4off, l4, sizeof(l4))) {
		pt->proto = 0;
		return true;
	}
	if (pt->proto == 6 || pt->proto == 17) {
		__u16 sport, dport;

		__builtin_memcpy(&sport, l4, 2);
		__builtin_memcpy(&dport, l4 + 2, 2);
		if (pt->family == 2) {
			pt->t.ipv4.sport = sport;
			pt->t.ipv4.dport = dport;
		} else {
			pt->t.ipv6.sport = sport;
			pt->t.ipv6.dport = dport;
		}
	} else if (pt->proto == 1 || pt->proto == 58) {
		pt->icmp_type = l4[0];
		__builtin_memcpy(&pt->echo_id, l4 + 4, 2);
	}
	return true;
}

/* The size of pt's tuple, a constant on each path as the lookup helpers want it. */
#define PKT_TC_TLEN(pt) ((pt)->family == 2 ? sizeof((pt)->t.ipv4) : sizeof((pt)->t.ipv6))

/*
 * Name the packet of the socket whose cookie is given after owner record o.
 * A connection's record copied from its listener (BPF_F_CLONE) holds the
 * listener's fd: not this socket's (packet.bpf.h).
 */
static __always_inline void pkt_tc_name(struct sysrec_packet *m, const struct pkt_owner *o, __u64 cookie)
{
	m->pid = o->pid;
	m->tid = o->tid;
	m->fd = o->cookie == cookie ? o->fd : -1;
	m->cookie = cookie;
	__builtin_memcpy(m->comm, o->comm, sizeof(m->comm));
}

/* A TCP socket's cookie (there is no helper for a socket found by lookup in tc programs). */
static __always_inline __u64 pkt_tc_tcp_cookie(struct bpf_sock *full)
{
	struct tcp_sock *tp = bpf_skc_to_tcp_sock(full);

	return tp ? tp->inet_conn.icsk_inet.sk.__sk_common.skc_cookie.counter : 0;
}

/* The TCP socket a received packet is for (a request's listener), as the stack will find it. */
static __always_inline bool pkt_tc_tcp_owner(struct __sk_buff *skb, struct pkt_tuple *pt,
                                             struct sysrec_packet *m)
{
	struct bpf_sock *sk = bpf_skc_lookup_tcp(skb, &pt->t, PKT_TC_TLEN(pt), BPF_F_CURRENT_NETNS, 0), *full;
	struct pkt_owner *o = NULL;

	if (!sk)
		return false;
	if (sk->state != 6 /* TCP_TIME_WAIT: no owner any more */) {
		full = bpf_sk_fullsock(sk);
		if (full) {
			o = bpf_sk_storage_get(&owners, full, 0, 0);
			if (o)
				pkt_tc_name(m, o, pkt_tc_tcp_cookie(full));
		} else {
			/* a request socket: named by its listener, with the listener's fd (as its SYN-ACK) */
			full = bpf_get_listener_sock(sk);
			if (full)
				o = bpf_sk_storage_get(&owners, full, 0, 0);
			if (o)
				pkt_tc_name(m, o, o->cookie);
		}
	}
	bpf_sk_release(sk);
	return o != NULL;
}

static __always_inline bool pkt_tc_udp_owner(struct __sk_buff *skb, struct pkt_tuple *pt,
                                             struct sysrec_packet *m)
{
	struct bpf_sock *sk = bpf_sk_lookup_udp(skb, &pt->t, PKT_TC_TLEN(pt), BPF_F_CURRENT_NETNS, 0);
	struct pkt_owner *o;

	if (!sk)
		return false;
	o = bpf_sk_storage_get(&owners, sk, 0, 0);
	if (o) /* a datagram socket's record is its own (only connections are cloned) */
		pkt_tc_name(m, o, o->cookie);
	bpf_sk_release(sk);
	return o != NULL;
}

/* Whether a packet of pid's is one the recording keeps (not ours; in --pid's or --container's scope). */
static __always_inline bool pkt_tc_wanted(__u32 pid)
{
	if (pid == self_tgid && self_tgid)
		return false;
	if (scope_tgid && pid != scope_tgid)
		return false;
	return !scope_set || bpf_map_lookup_elem(&scope_pids, &pid);
}

/* The owner of the local socket a received packet is for, into m; false if none. */
static __always_inline bool pkt_tc_receiver(struct __sk_buff *skb, struct pkt_tuple *pt,
                                            struct sysrec_packet *m)
{
	struct pkt_owner *o;

	if (pt->proto == 6)
		return pkt_tc_tcp_owner(skb, pt, m);
	if (pt->proto == 17)
		return pkt_tc_udp_owner(skb, pt, m);
	if ((pt->proto == 1 && pt->icmp_type == 0) || (pt->proto == 58 && pt->icmp_type == 129)) {
		struct pkt_echo_key key = { m->netns, pt->echo_id, pt->family, 0 };

		o = bpf_map_lookup_elem(&pkt_echo, &key);
		if (o) {
			pkt_tc_name(m, o, o->cookie);
			return true;
		}
	}
	return false;
}

/*
 * The owner of the local socket that sent a received packet, into m: one of
 * another namespace of this host hands its socket on (a veth); on loopback
 * the sender is in this namespace, found as the receiver of a packet going
 * the other way (an echo request: by its identifier).
 */
static __always_inline void pkt_tc_sender(struct __sk_buff *skb, struct pkt_tuple *pt,
                                          struct sysrec_packet *m, bool loopback)
{
	struct pkt_tuple rev = { .family = pt->family, .proto = pt->proto };
	struct pkt_owner *o = pkt_owner_of(skb, SYSREC_PKT_IN);

	if (o) {
		pkt_tc_name(m, o, bpf_get_socket_cookie(skb));
		return;
	}
	if (!loopback)
		return;
	if ((pt->proto == 1 && pt->icmp_type == 8) || (pt->proto == 58 && pt->icmp_type == 128)) {
		struct pkt_echo_key key = { m->netns, pt->echo_id, pt->family, 0 };

		o = bpf_map_lookup_elem(&pkt_echo, &key);
		if (o)
			pkt_tc_name(m, o, o->cookie);
		return;
	}
	if (pt->family == 2) {
		rev.t.ipv4.saddr = pt->t.ipv4.daddr;
		rev.t.ipv4.daddr = pt->t.ipv4.saddr;
		rev.t.ipv4.sport = pt->t.ipv4.dport;
		rev.t.ipv4.dport = pt->t.ipv4.sport;
	} else {
		__builtin_memcpy(rev.t.ipv6.saddr, pt->t.ipv6.daddr, 16);
		__builtin_memcpy(rev.t.ipv6.daddr, pt->t.ipv6.saddr, 16);
		rev.t.ipv6.sport = pt->t.ipv6.dport;
		rev.t.ipv6.dport = pt->t.ipv6.sport;
	}
	if (pt->proto == 6)
		pkt_tc_tcp_owner(skb, &rev, m);
	else if (pt->proto == 17)
		pkt_tc_udp_owner(skb, &rev, m);
}

/*
 * Name a received packet after the socket it is for; else, or when a scoped
 * recording would leave that one's packet out, after the local socket that
 * sent it (so a --pid recording keeps its process's packets both ways on
 * loopback too, where each is a received one).
 */
static __always_inline void pkt_tc_owner_in(struct __sk_buff *skb, struct pkt_tuple *pt,
                                            struct sysrec_packet *m, bool loopback)
{
	if (pkt_tc_receiver(skb, pt, m) && pkt_tc_wanted(m->pid))
		return;
	pkt_tc_sender(skb, pt, m, loopback);
}

/* The device's network namespace and whether it is a loopback device. */
static __always_inline __u64 pkt_tc_netns(struct sk_buff *k, bool *loopback)
{
	*loopback = BPF_CORE_READ(k, dev, flags) & 8 /* IFF_LOOPBACK */;
	return BPF_CORE_READ(k, dev, nd_net.net, net_cookie);
}

/* Hand the packet at off, named in m, to userspace: unless a filter keeps it out. */
static __always_inline void pkt_tc_emit(struct __sk_buff *skb, struct sysrec_packet *m, int off)
{
	struct sysrec_pkt_stats *st;
	__u32 key = 0;
	__u64 n;
	long err;

	if (pkt_iface_set) {
		struct pkt_iface_key key = { .netns = m->netns, .ifindex = skb->ifindex };

		if (!bpf_map_lookup_elem(&pkt_ifaces, &key))
			return;
	}
	if (m->pid) {
		if (!pkt_tc_wanted(m->pid))
			return;
	} else if (scope_tgid || scope_set) {
		return; /* a scoped recording keeps the packets of its processes only */
	}
	m->ts = bpf_ktime_get_boot_ns() + boot_to_epoch;
	m->ifindex = skb->ifindex;
	m->len = skb->len - off;
	m->l2 = (__u8)off;
	n = m->len;
	if (n > pkt_snaplen)
		n = pkt_snaplen;
	if (n > SYSREC_PKT_MAX)
		n = SYSREC_PKT_MAX;
	m->caplen = (__u32)n;
	n += off & 0x7f;
	st = bpf_map_lookup_elem(&pkt_stats, &key);
	err = bpf_perf_event_output(skb, &pkts, (n << 32) | BPF_F_CURRENT_CPU, m, sizeof(*m));
	if (err == -28 /* -ENOSPC */) { /* the buffer is full: userspace is behind */
		if (st)
			__sync_fetch_and_add(&st->lost, 1);
	} else if (err) { /* the packet's bytes could not be copied */
		if (st)
			__sync_fetch_and_add(&st->copy_failed, 1);
	} else if (st) {
		__sync_fetch_and_add(&st->packets, 1);
	}
}

SEC("tc")
int pkt_tc_ingress(struct __sk_buff *skb)
{
	struct sk_buff *k = bpf_cast_to_kern_ctx(skb);
	struct sysrec_packet m = { .fd = -1, .dir = SYSREC_PKT_IN };
	struct pkt_tuple pt = {};
	bool loopback;
	int off;

	if (pkt_paused)
		return PKT_TC_NEXT;
	off = pkt_tc_l3(skb, k);
	if (off < 0)
		return PKT_TC_NEXT;
	m.netns = pkt_tc_netns(k, &loopback);
	if (pkt_tc_parse(skb, off, &pt))
		pkt_tc_owner_in(skb, &pt, &m, loopback);
	pkt_tc_emit(skb, &m, off);
	return PKT_TC_NEXT;
}

SEC("tc")
int pkt_tc_egress(struct __sk_buff *skb)
{
	struct sk_buff *k = bpf_cast_to_kern_ctx(skb);
	struct sysrec_packet m = { .fd = -1, .dir = SYSREC_PKT_OUT };
	struct pkt_tuple pt = {};
	struct pkt_owner *o;
	bool loopback;
	int off;

	if (pkt_paused)
		return PKT_TC_NEXT;
	off = pkt_tc_l3(skb, k);
	if (off < 0)
		return PKT_TC_NEXT;
	m.netns = pkt_tc_netns(k, &loopback);
	o = pkt_owner_of(skb, SYSREC_PKT_OUT);
	if (o) {
		pkt_tc_name(&m, o, bpf_get_socket_cookie(skb));
		if (pkt_tc_parse(skb, off, &pt) &&
		    ((pt.proto == 1 && pt.icmp_type == 8) || (pt.proto == 58 && pt.icmp_type == 128))) {
			struct pkt_echo_key key = { m.netns, pt.echo_id, pt.family, 0 };
			/* the request's own socket and fd, as its reply will name them */
			struct pkt_owner e = { m.pid, m.tid, m.fd, 0, m.cookie };

			__builtin_memcpy(e.comm, m.comm, sizeof(e.comm));
			bpf_map_update_elem(&pkt_echo, &key, &e, BPF_ANY);
		}
	}
	if (!loopback)
		pkt_tc_emit(skb, &m, off);
	return PKT_TC_NEXT;
}
