/* fill_net: the fillers of sockets: bind, connect, listen, accept, send, receive, shutdown, options. */
/* SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only) */
/* sendto's exit is the read/write exits' exit_res_data() (fill_file.bpf.h). */

/* ---- socket addresses and tuples ---- */

#define AF_UNIX_  1
#define AF_INET_  2
#define AF_INET6_ 10
#define S_IFMT_   00170000
#define S_IFSOCK_ 0140000

static __always_inline struct sock *fd_sock(int fd)
{
	struct file *f = task_file(fd);
	struct socket *so;

	if (!f || (f->f_inode->i_mode & S_IFMT_) != S_IFSOCK_)
		return NULL;
	so = f->private_data;
	return so ? BPF_CORE_READ(so, sk) : NULL; /* a plain value: callers print the address */
}

static __always_inline __u16 ntohs_(__u16 v)
{
	return __builtin_bswap16(v);
}

static __always_inline void put_bytes(struct scratch *s, __u32 at, const void *p, __u32 n)
{
	__builtin_memcpy(&s->data[OFF(s->pos + at)], p, n);
}

/*
 * The connection of socket sk as a SOCKTUPLE: local end first for what we
 * send and connect, peer first for what we accept and receive (section 8.1).
 */
static __always_inline void put_tuple(struct scratch *s, struct sock *sk, bool local_first)
{
	__u16 fam, lport, rport;

	if (!sk) {
		put_empty(s);
		return;
	}
	fam = BPF_CORE_READ(sk, __sk_common.skc_family);
	lport = BPF_CORE_READ(sk, __sk_common.skc_num);
	rport = ntohs_(BPF_CORE_READ(sk, __sk_common.skc_dport));
	if (fam == AF_INET_) {
		__u32 laddr = BPF_CORE_READ(sk, __sk_common.skc_rcv_saddr);
		__u32 raddr = BPF_CORE_READ(sk, __sk_common.skc_daddr);

		s->data[OFF(s->pos)] = AF_INET_;
		put_bytes(s, 1, local_first ? &laddr : &raddr, 4);
		put_bytes(s, 5, local_first ? &lport : &rport, 2);
		put_bytes(s, 7, local_first ? &raddr : &laddr, 4);
		put_bytes(s, 11, local_first ? &rport : &lport, 2);
		ev_param_len(s, 13);
	} else if (fam == AF_INET6_) {
		struct in6_addr la = BPF_CORE_READ(sk, __sk_common.skc_v6_rcv_saddr);
		struct in6_addr ra = BPF_CORE_READ(sk, __sk_common.skc_v6_daddr);

		s->data[OFF(s->pos)] = AF_INET6_;
		put_bytes(s, 1, local_first ? &la : &ra, 16);
		put_bytes(s, 17, local_first ? &lport : &rport, 2);
		put_bytes(s, 19, local_first ? &ra : &la, 16);
		put_bytes(s, 35, local_first ? &rport : &lport, 2);
		ev_param_len(s, 37);
	} else if (fam == AF_UNIX_) {
		struct unix_sock *us = (struct unix_sock *)sk;
		struct sock *peer = BPF_CORE_READ(us, peer);
		struct unix_address *ua = BPF_CORE_READ(peer ? (struct unix_sock *)peer : us, addr);
		__u64 src = (__u64)sk, dst = (__u64)peer;
		long n = 0;

		s->data[OFF(s->pos)] = AF_UNIX_;
		put_bytes(s, 1, &src, 8);
		put_bytes(s, 9, &dst, 8);
		if (ua)
			n = bpf_probe_read_kernel_str(&s->data[OFF(s->pos + 17)], 108, &ua->name[0].sun_path);
		if (n <= 0) {
			s->data[OFF(s->pos + 17)] = 0;
			n = 1;
		}
		ev_param_len(s, 17 + n);
	} else {
		put_empty(s);
	}
}

/*
 * The tuple of a datagram sent to (or received from) an explicit address on
 * a socket that is not connected, as the drivers write it: the local side
 * from the socket, the remote side from the user's sockaddr. When that
 * address is missing or not IPv4/IPv6, the socket's own tuple (connected or
 * empty). For sendto the local side comes first; for recvfrom the remote.
 */
static __always_inline void put_tuple_addr(struct scratch *s, struct sock *sk, const void *ua, __u32 ualen,
                                           bool local_first)
{
	__u16 fam = 0, lport, rport = 0;

	if (!sk || !ua || ualen < 2 || bpf_probe_read_user(&fam, 2, ua) ||
	    (fam != AF_INET_ && fam != AF_INET6_) || BPF_CORE_READ(sk, __sk_common.skc_family) != fam) {
		if (sk && BPF_CORE_READ(sk, __sk_common.skc_dport))
			put_tuple(s, sk, local_first);
		else
			put_empty(s);
		return;
	}
	lport = BPF_CORE_READ(sk, __sk_common.skc_num);
	bpf_probe_read_user(&rport, 2, ua + 2);
	rport = ntohs_(rport);
	if (fam == AF_INET_) {
		__u32 laddr = BPF_CORE_READ(sk, __sk_common.skc_rcv_saddr), raddr = 0;

		if (ualen >= 8)
			bpf_probe_read_user(&raddr, 4, ua + 4);
		s->data[OFF(s->pos)] = AF_INET_;
		put_bytes(s, 1, local_first ? &laddr : &raddr, 4);
		put_bytes(s, 5, local_first ? &lport : &rport, 2);
		put_bytes(s, 7, local_first ? &raddr : &laddr, 4);
		put_bytes(s, 11, local_first ? &rport : &lport, 2);
		ev_param_len(s, 13);
	} else {
		struct in6_addr la = BPF_CORE_READ(sk, __sk_common.skc_v6_rcv_saddr), ra = {};

		if (ualen >= 24)
			bpf_probe_read_user(&ra, 16, ua + 8);
		s->data[OFF(s->pos)] = AF_INET6_;
		put_bytes(s, 1, local_first ? &la : &ra, 16);
		put_bytes(s, 17, local_first ? &lport : &rport, 2);
		put_bytes(s, 19, local_first ? &ra : &la, 16);
		put_bytes(s, 35, local_first ? &rport : &lport, 2);
		ev_param_len(s, 37);
	}
}

/* A user sockaddr (of addrlen bytes) as a SOCKADDR parameter. */
static __always_inline void put_sockaddr_user(struct scratch *s, const void *p, __u32 addrlen)
{
	__u16 fam = 0, port = 0;

	if (!p || addrlen < 2 || bpf_probe_read_user(&fam, 2, p)) {
		put_empty(s);
		return;
	}
	if (fam == AF_INET_ && addrlen >= 8) {
		struct sockaddr_in a = {};

		bpf_probe_read_user(&a, sizeof(a), p);
		port = ntohs_(a.sin_port);
		s->data[OFF(s->pos)] = AF_INET_;
		put_bytes(s, 1, &a.sin_addr, 4);
		put_bytes(s, 5, &port, 2);
		ev_param_len(s, 7);
	} else if (fam == AF_INET6_ && addrlen >= 24) {
		struct sockaddr_in6 a = {};

		bpf_probe_read_user(&a, sizeof(a), p);
		port = ntohs_(a.sin6_port);
		s->data[OFF(s->pos)] = AF_INET6_;
		put_bytes(s, 1, &a.sin6_addr, 16);
		put_bytes(s, 17, &port, 2);
		ev_param_len(s, 19);
	} else if (fam == AF_UNIX_) {
		long n;

		s->data[OFF(s->pos)] = AF_UNIX_;
		n = bpf_probe_read_user_str(&s->data[OFF(s->pos + 1)], 108, (const char *)p + 2);
		if (n <= 0) {
			s->data[OFF(s->pos + 1)] = 0;
			n = 1;
		}
		ev_param_len(s, 1 + n);
	} else {
		put_empty(s);
	}
}

/* ---- connections, datagrams ---- */

/* enter_fd_u32 serves the listen, setns, flock enters: 2 parameters each */
_Static_assert(PPME_SOCKET_LISTEN_E_NPARAMS == 2, "enter_fd_u32 writes 2 parameters");
_Static_assert(PPME_SYSCALL_SETNS_E_NPARAMS == 2, "enter_fd_u32 writes 2 parameters");
_Static_assert(PPME_SYSCALL_FLOCK_E_NPARAMS == 2, "enter_fd_u32 writes 2 parameters");

/* Enters: the fd in the first argument and one u32 (listen, setns, flock). */
static __always_inline int enter_fd_u32(struct pt_regs *regs, __u16 type, __u32 v)
{
	struct scratch *s = scratch_get(type);

	if (!s)
		return 0;
	ev_begin(s, type, PPME_SOCKET_LISTEN_E_NPARAMS);
	put_u64(s, arg_fd(regs, 0));
	put_u32(s, v);
	ev_submit(s);
	return 0;
}

/* listen (fd, backlog), setns (fd, nstype), flock (fd, operation) enters */
ENTER_FILLER_OF(fdu32, PPME_SOCKET_LISTEN_E, PPME_SYSCALL_SETNS_E, PPME_SYSCALL_FLOCK_E)
{
	__u16 type = routed_code(false);
	__u32 v = arg(regs, 1);

	if (type == PPME_SYSCALL_SETNS_E)
		v = linux_to_ppm_clone(v);
	else if (type == PPME_SYSCALL_FLOCK_E)
		v &= 0xf; /* LOCK_SH/EX/NB/UN: same values */
	return enter_fd_u32(regs, type, v);
}

EXIT_FILLER(PPME_SOCKET_BIND_X)
{
	struct scratch *s = scratch_get(type);

	if (!s)
		return 0;
	ev_begin(s, type, nparams);
	/* Parameter 1: res (ERRNO) */
	put_u64(s, ret);
	/* Parameter 2: addr (SOCKADDR) */
	put_sockaddr_user(s, (void *)arg(regs, 1), arg(regs, 2));
	ev_submit(s);
	return 0;
}

ENTER_FILLER(PPME_SOCKET_CONNECT_E)
{
	struct scratch *s = scratch_get(type);

	if (!s)
		return 0;
	ev_begin(s, type, nparams);
	/* Parameter 1: fd (FD) */
	put_u64(s, arg_fd(regs, 0));
	/* Parameter 2: addr (SOCKADDR) */
	put_sockaddr_user(s, (void *)arg(regs, 1), arg(regs, 2));
	ev_submit(s);
	return 0;
}

EXIT_FILLER(PPME_SOCKET_CONNECT_X)
{
	struct scratch *s = scratch_get(type);

	if (!s)
		return 0;
	ev_begin(s, type, nparams);
	/* Parameter 1: res (ERRNO) */
	put_u64(s, ret);
	/* Parameter 2: tuple (SOCKTUPLE) */
	put_tuple(s, fd_sock(arg(regs, 0)), true);
	ev_submit(s);
	return 0;
}

/* exit_accept serves the accept, accept4 exits: 5 parameters each */
_Static_assert(PPME_SOCKET_ACCEPT_5_X_NPARAMS == 5, "exit_accept writes 5 parameters");
_Static_assert(PPME_SOCKET_ACCEPT4_5_X_NPARAMS == 5, "exit_accept writes 5 parameters");

/* accept/accept4 exit: fd (the result), tuple, queuepct, queuelen, queuemax (the listener's backlog) */
static __always_inline int exit_accept(struct pt_regs *regs, long ret, __u16 type)
{
	struct scratch *s = scratch_get(type);
	struct sock *lsk = fd_sock(arg(regs, 0));
	__u32 qlen = 0, qmax = 0;

	if (!s)
		return 0;
	if (lsk) {
		qlen = BPF_CORE_READ(lsk, sk_ack_backlog);
		qmax = BPF_CORE_READ(lsk, sk_max_ack_backlog);
	}
	ev_begin(s, type, PPME_SOCKET_ACCEPT_5_X_NPARAMS);
	put_u64(s, ret);
	put_tuple(s, ret >= 0 ? fd_sock(ret) : NULL, false);
	put_u8(s, qmax ? qlen * 100 / qmax : 0);
	put_u32(s, qlen);
	put_u32(s, qmax);
	ev_submit(s);
	return 0;
}

/* accept, accept4 exits */
EXIT_FILLER_OF(accept, PPME_SOCKET_ACCEPT_5_X, PPME_SOCKET_ACCEPT4_5_X)
{
	return exit_accept(regs, ret, routed_code(true));
}

ENTER_FILLER(PPME_SOCKET_ACCEPT4_5_E)
{
	struct scratch *s = scratch_get(type);

	if (!s)
		return 0;
	ev_begin(s, type, nparams);
	/* Parameter 1: flags (INT32) */
	put_u32(s, arg(regs, 3));
	ev_submit(s);
	return 0;
}

ENTER_FILLER(PPME_SOCKET_SENDTO_E)
{
	struct scratch *s = scratch_get(type);
	struct sock *sk = fd_sock(arg(regs, 0));

	if (!s)
		return 0;
	ev_begin(s, type, nparams);
	/* Parameter 1: fd (FD) */
	put_u64(s, arg_fd(regs, 0));
	/* Parameter 2: size (UINT32) */
	put_u32(s, arg(regs, 2));
	/* Parameter 3: tuple (SOCKTUPLE) */
	put_tuple_addr(s, sk, (void *)arg(regs, 4), arg(regs, 5), true); /* dest_addr, addrlen */
	ev_submit(s);
	return 0;
}

EXIT_FILLER(PPME_SOCKET_SENDTO_X)
{
	return exit_res_data(regs, ret, type, nparams, false);
}

EXIT_FILLER(PPME_SOCKET_RECVFROM_X)
{
	struct scratch *s = scratch_get(type);
	struct sock *sk = fd_sock(arg(regs, 0));

	if (!s)
		return 0;
	ev_begin(s, type, nparams);
	/* Parameter 1: res (ERRNO) */
	put_u64(s, ret);
	/* Parameter 2: data (BYTEBUF) */
	put_buf_user(s, (void *)arg(regs, 1), ret);
	/* Parameter 3: tuple (SOCKTUPLE) */
	if (ret >= 0) {
		__u32 alen = 0;
		void *lenp = (void *)arg(regs, 5);

		if (lenp)
			bpf_probe_read_user(&alen, 4, lenp); /* src_addr's length as the kernel wrote it */
		put_tuple_addr(s, sk, (void *)arg(regs, 4), alen, false);
	} else {
		put_empty(s);
	}
	ev_submit(s);
	return 0;
}

ENTER_FILLER(PPME_SOCKET_SHUTDOWN_E)
{
	struct scratch *s = scratch_get(type);

	if (!s)
		return 0;
	ev_begin(s, type, nparams);
	/* Parameter 1: fd (FD) */
	put_u64(s, arg_fd(regs, 0));
	/* Parameter 2: how (FLAGS8) */
	put_u8(s, arg(regs, 1)); /* SHUT_RD/WR/RDWR: same values */
	ev_submit(s);
	return 0;
}

EXIT_FILLER(PPME_SOCKET_SOCKETPAIR_X)
{
	struct scratch *s = scratch_get(type);
	int fds[2] = { -1, -1 };
	struct sock *sk = NULL;

	if (!s)
		return 0;
	if (ret >= 0)
		bpf_probe_read_user(fds, sizeof(fds), (void *)arg(regs, 3));
	if (ret >= 0)
		sk = fd_sock(fds[0]);
	ev_begin(s, type, nparams);
	/* Parameter 1: res (ERRNO) */
	put_u64(s, ret);
	/* Parameter 2: fd1 (FD) */
	put_u64(s, fds[0]);
	/* Parameter 3: fd2 (FD) */
	put_u64(s, fds[1]);
	/* Parameter 4: source (UINT64) */
	put_u64(s, (__u64)sk);
	/* Parameter 5: peer (UINT64) */
	put_u64(s, sk ? (__u64)BPF_CORE_READ((struct unix_sock *)sk, peer) : 0);
	ev_submit(s);
	return 0;
}

/* ---- messages: sendmsg, recvmsg ---- */

/*
 * The tuple of socket sk with the address a user sockaddr names (sendmsg's
 * destination: local end first; recvmsg's source: that address first), as
 * the drivers write it; unix sockets as their connection.
 */
static __always_inline void put_tuple_to(struct scratch *s, struct sock *sk, const void *ua, __u32 alen,
                                         bool local_first)
{
	__u16 fam = sk ? BPF_CORE_READ(sk, __sk_common.skc_family) : 0;
	__u16 lport = sk ? BPF_CORE_READ(sk, __sk_common.skc_num) : 0, rport;

	if (fam == AF_INET_ && alen >= 8) {
		__u32 laddr = BPF_CORE_READ(sk, __sk_common.skc_rcv_saddr);
		struct sockaddr_in a = {};

		bpf_probe_read_user(&a, sizeof(a), ua);
		rport = ntohs_(a.sin_port);
		s->data[OFF(s->pos)] = AF_INET_;
		put_bytes(s, 1, local_first ? &laddr : (void *)&a.sin_addr, 4);
		put_bytes(s, 5, local_first ? &lport : &rport, 2);
		put_bytes(s, 7, local_first ? (void *)&a.sin_addr : &laddr, 4);
		put_bytes(s, 11, local_first ? &rport : &lport, 2);
		ev_param_len(s, 13);
	} else if (fam == AF_INET6_ && alen >= 24) {
		struct in6_addr la = BPF_CORE_READ(sk, __sk_common.skc_v6_rcv_saddr);
		struct sockaddr_in6 a = {};

		bpf_probe_read_user(&a, sizeof(a), ua);
		rport = ntohs_(a.sin6_port);
		s->data[OFF(s->pos)] = AF_INET6_;
		put_bytes(s, 1, local_first ? &la : &a.sin6_addr, 16);
		put_bytes(s, 17, local_first ? &lport : &rport, 2);
		put_bytes(s, 19, local_first ? &a.sin6_addr : &la, 16);
		put_bytes(s, 35, local_first ? &rport : &lport, 2);
		ev_param_len(s, 37);
	} else if (fam == AF_UNIX_) {
		put_tuple(s, sk, local_first);
	} else {
		put_empty(s);
	}
}

ENTER_FILLER(PPME_SOCKET_SENDMSG_E)
{
	struct scratch *s = scratch_get(type);
	struct user_msghdr mh = {};
	bool ok = bpf_probe_read_user(&mh, sizeof(mh), (void *)arg(regs, 1)) == 0;

	if (!s)
		return 0;
	ev_begin(s, type, nparams);
	/* Parameter 1: fd (FD) */
	put_u64(s, arg_fd(regs, 0));
	/* Parameter 2: size (UINT32) */
	if (ok)
		put_iov(s, mh.msg_iov, mh.msg_iovlen, true, false, ~0ULL);
	else
		put_u32(s, 0);
	/* Parameter 3: tuple (SOCKTUPLE); a destination given: the tuple to it (connected sockets: none, as
	 * the drivers) */
	if (ok && mh.msg_name && mh.msg_namelen > 0)
		put_tuple_to(s, fd_sock(arg(regs, 0)), mh.msg_name, mh.msg_namelen, true);
	else
		put_empty(s);
	ev_submit(s);
	return 0;
}

EXIT_FILLER(PPME_SOCKET_SENDMSG_X)
{
	struct scratch *s = scratch_get(type);
	struct user_msghdr mh = {};

	if (!s)
		return 0;
	ev_begin(s, type, nparams);
	/* Parameter 1: res (ERRNO) */
	put_u64(s, ret);
	/* Parameter 2: data (BYTEBUF) */
	if (bpf_probe_read_user(&mh, sizeof(mh), (void *)arg(regs, 1)) == 0)
		put_iov(s, mh.msg_iov, mh.msg_iovlen, false, true, ~0ULL);
	else
		put_empty(s);
	ev_submit(s);
	return 0;
}

EXIT_FILLER(PPME_SOCKET_RECVMSG_X)
{
	struct scratch *s = scratch_get(type);
	struct user_msghdr mh = {};
	bool ok = ret >= 0 && bpf_probe_read_user(&mh, sizeof(mh), (void *)arg(regs, 1)) == 0;

	if (!s)
		return 0;
	ev_begin(s, type, nparams);
	/* Parameter 1: res (ERRNO) */
	put_u64(s, ret);
	/* Parameter 2: size (UINT32), parameter 3: data (BYTEBUF) */
	if (ok) {
		put_iov(s, mh.msg_iov, mh.msg_iovlen, true, true, ret);
	} else {
		put_u32(s, 0);
		put_empty(s);
	}
	/* Parameter 4: tuple (SOCKTUPLE): the sender, when the kernel named it */
	if (ok && mh.msg_name && mh.msg_namelen > 0)
		put_tuple_to(s, fd_sock(arg(regs, 0)), mh.msg_name, mh.msg_namelen, false);
	else
		put_empty(s);
	ev_submit(s);
	return 0;
}

/* ---- socket options: setsockopt, getsockopt ---- */

/*
 * A socket option's value as the drivers' PT_DYN: for SOL_SOCKET, SO_ERROR
 * as an errno, the timeouts as a RELTIME, SO_COOKIE as a UINT64, the int
 * options as a UINT32; anything else as the bytes (at most snaplen).
 */
static __always_inline void put_sockopt_val(struct scratch *s, int level, int name, const void *p, int len)
{
	__u64 v = 0;
	__u32 n;

	if (level == 1) {
		if (name == 4) { /* SO_ERROR */
			bpf_probe_read_user(&v, 4, p);
			put_dyn(s, 1, 8, -(__s64)(__s32)v);
			return;
		}
		if (name == 20 || name == 21 || name == 66 || name == 67) { /* SO_RCVTIMEO, SO_SNDTIMEO */
			__s64 tv[2] = {};

			bpf_probe_read_user(tv, sizeof(tv), p);
			put_dyn(s, 4, 8, tv[0] * 1000000000ULL + tv[1] * 1000);
			return;
		}
		if (name == 57) { /* SO_COOKIE */
			bpf_probe_read_user(&v, 8, p);
			put_dyn(s, 3, 8, v);
			return;
		}
		if ((name >= 1 && name <= 49 && name != 13 && name != 17 && name != 26 && name != 28)) {
			bpf_probe_read_user(
			        &v, 4, p); /* int options (not LINGER, PEERCRED, ATTACH_FILTER, PEERNAME) */
			put_dyn(s, 2, 4, v);
			return;
		}
	}
	n = bound(len < 0 ? 0 : (__u32)len > snaplen ? snaplen : len, SYSREC_MAX_SNAPLEN);
	s->data[OFF(s->pos)] = 0; /* PPM_SOCKOPT_IDX_UNKNOWN: the bytes */
	if (n && bpf_probe_read_user(&s->data[OFF(s->pos + 1)], n, p))
		n = 0;
	ev_param_len(s, 1 + n);
}

/* exit_sockopt serves the setsockopt, getsockopt exits: 6 parameters each */
_Static_assert(PPME_SOCKET_SETSOCKOPT_X_NPARAMS == 6, "exit_sockopt writes 6 parameters");
_Static_assert(PPME_SOCKET_GETSOCKOPT_X_NPARAMS == 6, "exit_sockopt writes 6 parameters");

/* setsockopt/getsockopt exit: res, fd, level, optname, val, optlen */
static __always_inline int exit_sockopt(struct pt_regs *regs, long ret, __u16 type, bool is_get)
{
	struct scratch *s = scratch_get(type);
	int level = arg(regs, 1), name = arg(regs, 2), len = arg(regs, 4);

	if (!s)
		return 0;
	if (is_get) {
		len = 0;
		bpf_probe_read_user(&len, sizeof(len), (void *)arg(regs, 4));
	}
	ev_begin(s, type, PPME_SOCKET_SETSOCKOPT_X_NPARAMS);
	put_u64(s, ret);
	put_u64(s, arg_fd(regs, 0));
	put_u8(s, level == 1 ? 1 : level == 6 ? 2 : 0); /* SOL_SOCKET, SOL_TCP */
	put_u8(s, linux_to_ppm_sockopt(level, name));
	put_sockopt_val(s, level, name, (void *)arg(regs, 3), len);
	put_u32(s, len);
	ev_submit(s);
	return 0;
}

/* setsockopt, getsockopt exits */
EXIT_FILLER_OF(sockopt, PPME_SOCKET_SETSOCKOPT_X, PPME_SOCKET_GETSOCKOPT_X)
{
	__u16 type = routed_code(true);

	return exit_sockopt(regs, ret, type, type == PPME_SOCKET_GETSOCKOPT_X);
}
