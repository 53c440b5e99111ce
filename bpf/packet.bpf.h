// SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only)
/*
 * packet.bpf.h: packets of the host's sockets, each with its owner (--pcap).
 *
 * cgroup_skb programs on the cgroup v2 root see every packet a local socket
 * sends or receives, on any interface and in any network namespace, with the
 * socket at hand. The owner is kept in the socket's own storage (`owners`),
 * written in process context: when a task makes the socket (cgroup
 * sock_create) and each time one uses it, to send and receive
 * (sock_send_length, sock_recv_length), connect and listen (the SYN_SENT and
 * LISTEN states); sockets older than the recording get theirs from the
 * loader, which names each process's sockets to the map at the start. A connection a listener accepts
 * inherits the listener's owner when the kernel clones it (BPF_F_CLONE), so the packets a server receives
 * before its first read name it too; a SYN-ACK is sent from the request socket, whose listener names it. None
 * of this runs unless the loader asks for packets (the programs are not even loaded otherwise).
 * Where the kernel has tcx links, packet_tc.bpf.h's programs take the packets instead of the two
 * cgroup_skb ones here, and name them with these owners (docs/packets.md).
 */

const volatile __u32 pkt_snaplen = SYSREC_PKT_MAX;
const volatile __u32 pkt_iface_set; /* only the interfaces in pkt_ifaces (--pcap-iface) */
/* set by the loader while no one wants packets (the agent's are switched on and off at run time) */
volatile __u32 pkt_paused;

struct pkt_iface_key {
	__u64 netns; /* the namespace's cookie */
	__u32 ifindex;
	__u32 pad;
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 256);
	__type(key, struct pkt_iface_key);
	__type(value, __u8);
} pkt_ifaces SEC(".maps");

struct pkt_owner {
	__u32 pid, tid;
	__s32 fd; /* the owner's fd of this socket (-1: not known) */
	__u32 pad;
	__u64 cookie; /* the socket the record was written for: a clone's copy keeps its listener's */
	char comm[16];
};

struct {
	__uint(type, BPF_MAP_TYPE_SK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC | BPF_F_CLONE);
	__type(key, int);
	__type(value, struct pkt_owner);
} owners SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERF_EVENT_ARRAY);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, sizeof(__u32));
} pkts SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct sysrec_pkt_stats);
} pkt_stats SEC(".maps");

/*
 * The current task's fd of sk, or -1: every system call that sends, receives,
 * connects or listens takes the socket's fd as its first argument (read,
 * write, sendto, recvmsg, sendfile's out_fd, connect, listen, ...), and that
 * fd is taken only when it really is sk's file (not so for a write through
 * io_uring, or a socket the kernel uses itself).
 */
static __always_inline int pkt_fd_of(struct sock *sk)
{
	struct task_struct *t = bpf_get_current_task_btf();
	struct pt_regs *regs = (struct pt_regs *)bpf_task_pt_regs(t);
	struct socket *so = sk->sk_socket;
	struct file *f;
	int fd;

	if (!regs || !so)
		return -1;
	fd = (int)regs->di;
	f = task_file(fd);
	return f && f == so->file ? fd : -1;
}

/* The current task owns sk from now on. */
static __always_inline void pkt_own(struct sock *sk)
{
	struct pkt_owner *o = bpf_sk_storage_get(&owners, sk, 0, BPF_SK_STORAGE_GET_F_CREATE);
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	__u64 cookie;
	int fd;

	if (!o || (__u32)(pid_tgid >> 32) == self_tgid)
		return;
	cookie = bpf_get_socket_cookie(sk);
	fd = pkt_fd_of(sk);
	/* the same process's next use through an fd that is not at hand keeps the one known */
	if (fd >= 0 || o->pid != (__u32)(pid_tgid >> 32) || o->cookie != cookie)
		o->fd = fd;
	o->pid = pid_tgid >> 32;
	o->tid = (__u32)pid_tgid;
	o->cookie = cookie;
	bpf_get_current_comm(o->comm, sizeof(o->comm));
}

/* socket(): every socket made during the recording is its creator's from the start */
SEC("cgroup/sock_create")
int pkt_sock_create(struct bpf_sock *sk)
{
	struct pkt_owner *o = bpf_sk_storage_get(&owners, sk, 0, BPF_SK_STORAGE_GET_F_CREATE);
	__u64 pid_tgid = bpf_get_current_pid_tgid();

	if (o) {
		o->pid = pid_tgid >> 32;
		o->tid = (__u32)pid_tgid;
		o->fd = -1; /* socket() has not returned it yet */
		o->cookie = bpf_get_socket_cookie(sk);
		bpf_get_current_comm(o->comm, sizeof(o->comm));
	}
	return 1; /* a recorder never refuses a socket */
}

SEC("tp_btf/sock_send_length")
int BPF_PROG(pkt_send, struct sock *sk, int ret, int flags)
{
	pkt_own(sk);
	return 0;
}

SEC("tp_btf/sock_recv_length")
int BPF_PROG(pkt_recv, struct sock *sk, int ret, int flags)
{
	pkt_own(sk);
	return 0;
}

/* connect (SYN_SENT) and listen (LISTEN) run in the owner's syscall: before any packet */
SEC("tp_btf/inet_sock_set_state")
int BPF_PROG(pkt_state, const struct sock *sk, int oldstate, int newstate)
{
	if (newstate == 2 /* TCP_SYN_SENT */ || newstate == 10 /* TCP_LISTEN */)
		pkt_own((struct sock *)sk);
	return 0;
}

/*
 * The owner of the packet's socket (its listener's for a request socket), or
 * NULL. A datagram socket (UDP, ICMP echo) sends in its owner's syscall, and
 * the send tracepoint fires only after the packet left: the first packet it
 * sends makes the sending task its owner. Not so a raw socket: the kernel's
 * own (ICMP replies, TCP resets) are raw, and send from softirqs, which on
 * loopback run inside another task's syscall.
 */
static __always_inline struct pkt_owner *pkt_owner_of(struct __sk_buff *skb, __u8 dir)
{
	struct bpf_sock *sk = skb->sk, *full;
	struct pkt_owner *o;
	__u64 pid_tgid;

	if (!sk)
		return NULL;
	full = bpf_sk_fullsock(sk);
	if (!full) {
		full = bpf_get_listener_sock(sk);
		if (!full)
			return NULL;
	}
	o = bpf_sk_storage_get(&owners, full, 0, 0);
	if (o || dir != SYSREC_PKT_OUT || full->type != 2 /* SOCK_DGRAM */)
		return o;
	o = bpf_sk_storage_get(&owners, full, 0, BPF_SK_STORAGE_GET_F_CREATE);
	if (!o)
		return NULL;
	pid_tgid = bpf_get_current_pid_tgid();
	o->pid = pid_tgid >> 32;
	o->tid = (__u32)pid_tgid;
	o->fd = -1;
	o->cookie = bpf_get_socket_cookie(skb);
	bpf_get_current_comm(o->comm, sizeof(o->comm));
	return o;
}

static __always_inline int pkt_capture(struct __sk_buff *skb, __u8 dir)
{
	struct sysrec_packet m = {};
	struct pkt_owner *o = pkt_owner_of(skb, dir);
	struct sysrec_pkt_stats *st;
	__u32 key = 0;
	__u64 n;
	long err;

	if (pkt_paused)
		return 1;
	if (pkt_iface_set) {
		struct pkt_iface_key k = { .netns = bpf_get_netns_cookie(skb), .ifindex = skb->ifindex };

		if (!bpf_map_lookup_elem(&pkt_ifaces, &k))
			return 1;
	}
	if (o) {
		if (o->pid == self_tgid && self_tgid)
			return 1;
		if (scope_tgid && o->pid != scope_tgid)
			return 1;
		if (scope_set && !bpf_map_lookup_elem(&scope_pids, &o->pid))
			return 1;
		m.pid = o->pid;
		m.tid = o->tid;
		__builtin_memcpy(m.comm, o->comm, sizeof(m.comm));
	} else if (scope_tgid || scope_set) {
		return 1; /* a scoped recording keeps the packets of its processes only */
	}
	m.ts = bpf_ktime_get_boot_ns() + boot_to_epoch;
	m.cookie = bpf_get_socket_cookie(skb);
	/* a connection's record copied from its listener (BPF_F_CLONE) holds the listener's fd */
	m.fd = o && o->cookie == m.cookie ? o->fd : -1;
	m.netns = bpf_get_netns_cookie(skb);
	m.ifindex = skb->ifindex;
	m.len = skb->len;
	m.dir = dir;
	n = skb->len;
	if (n > pkt_snaplen)
		n = pkt_snaplen;
	if (n > SYSREC_PKT_MAX)
		n = SYSREC_PKT_MAX;
	m.caplen = (__u32)n;
	st = bpf_map_lookup_elem(&pkt_stats, &key);
	err = bpf_perf_event_output(skb, &pkts, (n << 32) | BPF_F_CURRENT_CPU, &m, sizeof(m));
	if (err == -28 /* -ENOSPC */) { /* the buffer is full: userspace is behind */
		if (st)
			__sync_fetch_and_add(&st->lost, 1);
	} else if (err) { /* the packet's bytes could not be copied */
		if (st)
			__sync_fetch_and_add(&st->copy_failed, 1);
	} else if (st) {
		__sync_fetch_and_add(&st->packets, 1);
	}
	return 1; /* a recorder never drops traffic */
}

SEC("cgroup_skb/ingress")
int pkt_ingress(struct __sk_buff *skb)
{
	return pkt_capture(skb, SYSREC_PKT_IN);
}

SEC("cgroup_skb/egress")
int pkt_egress(struct __sk_buff *skb)
{
	return pkt_capture(skb, SYSREC_PKT_OUT);
}
