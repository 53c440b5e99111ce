/* fill_wait: the fillers of waiting and of the fds waited on: poll, nanosleep, futex, eventfd, ... */
/* SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only) */

/* ---- waiting: poll, nanosleep, futex, epoll_wait ---- */

#define POLL_MAXFDS 16 /* fds listed, as the drivers */

struct poll_walk {
	struct scratch *s;
	const struct pollfd *fds;
	__u64 nfds;
	bool revents;
};

/* One pollfd as an FDLIST entry: i64 fd, u16 PPM_POLL* flags (a bpf_loop callback). */
static long poll_one(__u32 i, void *data)
{
	struct poll_walk *w = data;
	struct scratch *s = w->s;
	struct pollfd p;
	__s64 fd;
	__u16 fl;

	if (i >= w->nfds || bpf_probe_read_user(&p, sizeof(p), &w->fds[i]))
		return 1;
	fd = p.fd;
	fl = linux_to_ppm_poll(w->revents ? p.revents : p.events);
	__builtin_memcpy(&s->data[OFF(s->pos)], &fd, 8);
	__builtin_memcpy(&s->data[OFF(s->pos + 8)], &fl, 2);
	s->pos += 10;
	return 0;
}

/* poll's fds as an FDLIST: the events asked for (enter) or got (exit). */
static __always_inline void put_fdlist(struct scratch *s, const void *fds, __u64 nfds, bool revents)
{
	struct poll_walk w = { s, fds, nfds, revents };
	__u32 start = s->pos, n;
	__u16 count;

	s->pos += 2;
	bpf_loop(POLL_MAXFDS, poll_one, &w, 0);
	n = s->pos - start;
	count = (n - 2) / 10;
	__builtin_memcpy(&s->data[OFF(start)], &count, 2);
	s->pos = start;
	ev_param_len(s, n);
}

ENTER_FILLER(PPME_SYSCALL_POLL_E)
{
	struct scratch *s = scratch_get(type);

	if (!s)
		return 0;
	ev_begin(s, type, nparams);
	/* Parameter 1: fds (FDLIST) */
	put_fdlist(s, (void *)arg(regs, 0), arg(regs, 1), false);
	/* Parameter 2: timeout (INT64) */
	put_u64(s, (__s64)(int)arg(regs, 2)); /* timeout (ms) */
	ev_submit(s);
	return 0;
}

EXIT_FILLER(PPME_SYSCALL_POLL_X)
{
	struct scratch *s = scratch_get(type);

	if (!s)
		return 0;
	ev_begin(s, type, nparams);
	/* Parameter 1: res (ERRNO) */
	put_u64(s, ret);
	/* Parameter 2: fds (FDLIST) */
	put_fdlist(s, (void *)arg(regs, 0), arg(regs, 1), true);
	ev_submit(s);
	return 0;
}

ENTER_FILLER(PPME_SYSCALL_NANOSLEEP_E)
{
	struct scratch *s = scratch_get(type);
	struct __kernel_timespec ts = {};

	if (!s)
		return 0;
	bpf_probe_read_user(&ts, sizeof(ts), (void *)arg(regs, 0));
	ev_begin(s, type, nparams);
	/* Parameter 1: interval (RELTIME) */
	put_u64(s, ts.tv_sec * 1000000000ULL + ts.tv_nsec); /* RELTIME ns */
	ev_submit(s);
	return 0;
}

ENTER_FILLER(PPME_SYSCALL_FUTEX_E)
{
	struct scratch *s = scratch_get(type);

	if (!s)
		return 0;
	ev_begin(s, type, nparams);
	/* Parameter 1: addr (UINT64) */
	put_u64(s, arg(regs, 0));
	/* Parameter 2: op (FLAGS16) */
	put_u16(s, linux_to_ppm_futex(arg(regs, 1)));
	/* Parameter 3: val (UINT64) */
	put_u64(s, arg(regs, 2));
	ev_submit(s);
	return 0;
}

ENTER_FILLER(PPME_SYSCALL_EPOLLWAIT_E)
{
	struct scratch *s = scratch_get(type);

	if (!s)
		return 0;
	ev_begin(s, type, nparams);
	/* Parameter 1: maxevents (ERRNO) */
	put_u64(s, (__s64)(int)arg(regs, 2)); /* maxevents */
	ev_submit(s);
	return 0;
}

/* ---- fds of their own kind: eventfd, signalfd, timerfd, inotify ---- */

ENTER_FILLER(PPME_SYSCALL_EVENTFD_E)
{
	struct scratch *s = scratch_get(type);

	if (!s)
		return 0;
	ev_begin(s, type, nparams);
	/* Parameter 1: initval (UINT64) */
	put_u64(s, arg(regs, 0) & 0xffffffff); /* initval: an unsigned int */
	/* Parameter 2: flags (FLAGS32) */
	put_u32(s, id == 290 ? arg(regs, 1) : 0); /* eventfd2's flags, raw as the drivers; eventfd has none */
	ev_submit(s);
	return 0;
}

ENTER_FILLER(PPME_SYSCALL_SIGNALFD_E)
{
	struct scratch *s = scratch_get(type);

	if (!s)
		return 0;
	ev_begin(s, type, nparams);
	/* Parameter 1: fd (FD) */
	put_u64(s, arg_fd(regs, 0));
	/* Parameter 2: mask (UINT32) */
	put_u32(s, 0); /* mask and flags: not recorded, as the drivers */
	/* Parameter 3: flags (FLAGS8) */
	put_u8(s, 0);
	ev_submit(s);
	return 0;
}

ENTER_FILLER(PPME_SYSCALL_TIMERFD_CREATE_E)
{
	struct scratch *s = scratch_get(type);

	if (!s)
		return 0;
	ev_begin(s, type, nparams);
	/* Parameter 1: clockid (UINT8) */
	put_u8(s, arg(regs, 0)); /* clockid */
	/* Parameter 2: flags (FLAGS8) */
	put_u8(s, arg(regs, 1)); /* flags, their low byte as the drivers */
	ev_submit(s);
	return 0;
}

ENTER_FILLER(PPME_SYSCALL_INOTIFY_INIT_E)
{
	struct scratch *s = scratch_get(type);

	if (!s)
		return 0;
	ev_begin(s, type, nparams);
	/* Parameter 1: flags (FLAGS8) */
	put_u8(s, id == 294 ? arg(regs, 0) : 0); /* inotify_init1's flags (low byte); inotify_init has none */
	ev_submit(s);
	return 0;
}
