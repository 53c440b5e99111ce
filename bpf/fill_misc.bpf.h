/* fill_misc: the fillers of signals, credentials and sessions, resource limits and ptrace. */
/* SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only) */

/* ---- signals: kill, tkill, tgkill ---- */

/* enter_pid_sig serves the kill, tkill enters: 2 parameters each */
_Static_assert(PPME_SYSCALL_KILL_E_NPARAMS == 2, "enter_pid_sig writes 2 parameters");
_Static_assert(PPME_SYSCALL_TKILL_E_NPARAMS == 2, "enter_pid_sig writes 2 parameters");

/* kill/tkill enter: pid (or tid), signal */
static __always_inline int enter_pid_sig(struct pt_regs *regs, __u16 type)
{
	struct scratch *s = scratch_get(type);

	if (!s)
		return 0;
	ev_begin(s, type, PPME_SYSCALL_KILL_E_NPARAMS);
	put_u64(s, (__s64)(int)arg(regs, 0));
	put_u8(s, arg(regs, 1));
	ev_submit(s);
	return 0;
}

/* kill, tkill enters */
ENTER_FILLER_OF(pidsig, PPME_SYSCALL_KILL_E, PPME_SYSCALL_TKILL_E)
{
	return enter_pid_sig(regs, routed_code(false));
}

ENTER_FILLER(PPME_SYSCALL_TGKILL_E)
{
	struct scratch *s = scratch_get(type);

	if (!s)
		return 0;
	ev_begin(s, type, nparams);
	/* Parameter 1: pid (PID) */
	put_u64(s, (__s64)(int)arg(regs, 0));
	/* Parameter 2: tid (PID) */
	put_u64(s, (__s64)(int)arg(regs, 1));
	/* Parameter 3: sig (SIGTYPE) */
	put_u8(s, arg(regs, 2));
	ev_submit(s);
	return 0;
}

/* ---- credentials, sessions: setuid, setresuid, getresuid, setpgid, ... (and socket's enter) ---- */

/* enter_ids serves the socket, socketpair, setresuid, setresgid (n = 3), setuid, setgid (n = 1) enters */
_Static_assert(PPME_SOCKET_SOCKET_E_NPARAMS == 3, "enter_ids writes n = 3 parameters");
_Static_assert(PPME_SOCKET_SOCKETPAIR_E_NPARAMS == 3, "enter_ids writes n = 3 parameters");
_Static_assert(PPME_SYSCALL_SETUID_E_NPARAMS == 1, "enter_ids writes n = 1 parameter");
_Static_assert(PPME_SYSCALL_SETGID_E_NPARAMS == 1, "enter_ids writes n = 1 parameter");
_Static_assert(PPME_SYSCALL_SETRESUID_E_NPARAMS == 3, "enter_ids writes n = 3 parameters");
_Static_assert(PPME_SYSCALL_SETRESGID_E_NPARAMS == 3, "enter_ids writes n = 3 parameters");

/* Enters whose parameters are the first n arguments as u32 values (socket, setuid, setresgid, ...). */
static __always_inline int enter_ids(struct pt_regs *regs, __u16 type, int n)
{
	struct scratch *s = scratch_get(type);

	if (!s)
		return 0;
	ev_begin(s, type, n);
	for (int i = 0; i < 3; i++)
		if (i < n)
			put_u32(s, arg(regs, i));
	ev_submit(s);
	return 0;
}

/* socket, socketpair (domain, type, proto), setuid, setgid (the id), setresuid, setresgid (three) enters */
ENTER_FILLER_OF(ids, PPME_SOCKET_SOCKET_E, PPME_SOCKET_SOCKETPAIR_E, PPME_SYSCALL_SETUID_E,
                PPME_SYSCALL_SETGID_E, PPME_SYSCALL_SETRESUID_E, PPME_SYSCALL_SETRESGID_E)
{
	__u16 type = routed_code(false);

	return enter_ids(regs, type, type == PPME_SYSCALL_SETUID_E || type == PPME_SYSCALL_SETGID_E ? 1 : 3);
}

ENTER_FILLER(PPME_SYSCALL_SETPGID_E)
{
	struct scratch *s = scratch_get(type);

	if (!s)
		return 0;
	ev_begin(s, type, nparams);
	/* Parameter 1: pid (PID) */
	put_u64(s, arg_fd(regs, 0)); /* pid, pgid: ints, as fds */
	/* Parameter 2: pgid (PID) */
	put_u64(s, arg_fd(regs, 1));
	ev_submit(s);
	return 0;
}

/* exit_getres serves the getresuid, getresgid exits: 4 parameters each */
_Static_assert(PPME_SYSCALL_GETRESUID_X_NPARAMS == 4, "exit_getres writes 4 parameters");
_Static_assert(PPME_SYSCALL_GETRESGID_X_NPARAMS == 4, "exit_getres writes 4 parameters");

/* getresuid/getresgid exit: res and the three ids written to the user's pointers */
static __always_inline int exit_getres(struct pt_regs *regs, long ret, __u16 type)
{
	struct scratch *s = scratch_get(type);

	if (!s)
		return 0;
	ev_begin(s, type, PPME_SYSCALL_GETRESUID_X_NPARAMS);
	put_u64(s, ret);
	for (int i = 0; i < 3; i++) {
		__u32 v = 0;

		bpf_probe_read_user(&v, sizeof(v), (void *)arg(regs, i));
		put_u32(s, v);
	}
	ev_submit(s);
	return 0;
}

/* getresuid, getresgid exits */
EXIT_FILLER_OF(getres, PPME_SYSCALL_GETRESUID_X, PPME_SYSCALL_GETRESGID_X)
{
	return exit_getres(regs, ret, routed_code(true));
}

/* ---- limits: getrlimit, setrlimit, prlimit ---- */

/* A struct rlimit at user address p as two INT64 parameters (-1, -1 when !ok or unreadable). */
static __always_inline void put_rlimit(struct scratch *s, unsigned long p, bool ok)
{
	struct rlimit rl = { ~0UL, ~0UL };

	if (!ok || !p || bpf_probe_read_user(&rl, sizeof(rl), (void *)p))
		rl.rlim_cur = rl.rlim_max = ~0UL;
	put_u64(s, rl.rlim_cur);
	put_u64(s, rl.rlim_max);
}

/* enter_rlimit serves the getrlimit, setrlimit enters: 1 parameter each */
_Static_assert(PPME_SYSCALL_GETRLIMIT_E_NPARAMS == 1, "enter_rlimit writes 1 parameter");
_Static_assert(PPME_SYSCALL_SETRLIMIT_E_NPARAMS == 1, "enter_rlimit writes 1 parameter");

/* getrlimit/setrlimit enter: resource */
static __always_inline int enter_rlimit(struct pt_regs *regs, __u16 type)
{
	struct scratch *s = scratch_get(type);

	if (!s)
		return 0;
	ev_begin(s, type, PPME_SYSCALL_GETRLIMIT_E_NPARAMS);
	put_u8(s, linux_to_ppm_rlimit(arg(regs, 0)));
	ev_submit(s);
	return 0;
}

/* getrlimit, setrlimit enters */
ENTER_FILLER_OF(rlimit, PPME_SYSCALL_GETRLIMIT_E, PPME_SYSCALL_SETRLIMIT_E)
{
	return enter_rlimit(regs, routed_code(false));
}

/* exit_rlimit serves the getrlimit, setrlimit exits: 3 parameters each */
_Static_assert(PPME_SYSCALL_GETRLIMIT_X_NPARAMS == 3, "exit_rlimit writes 3 parameters");
_Static_assert(PPME_SYSCALL_SETRLIMIT_X_NPARAMS == 3, "exit_rlimit writes 3 parameters");

/* getrlimit/setrlimit exit: res, cur, max (the limit got, or the one asked for) */
static __always_inline int exit_rlimit(struct pt_regs *regs, long ret, __u16 type, bool is_set)
{
	struct scratch *s = scratch_get(type);

	if (!s)
		return 0;
	ev_begin(s, type, PPME_SYSCALL_GETRLIMIT_X_NPARAMS);
	put_u64(s, ret);
	put_rlimit(s, arg(regs, 1), ret >= 0 || is_set);
	ev_submit(s);
	return 0;
}

/* getrlimit, setrlimit exits */
EXIT_FILLER_OF(rlimit, PPME_SYSCALL_GETRLIMIT_X, PPME_SYSCALL_SETRLIMIT_X)
{
	__u16 type = routed_code(true);

	return exit_rlimit(regs, ret, type, type == PPME_SYSCALL_SETRLIMIT_X);
}

ENTER_FILLER(PPME_SYSCALL_PRLIMIT_E)
{
	struct scratch *s = scratch_get(type);

	if (!s)
		return 0;
	ev_begin(s, type, nparams);
	/* Parameter 1: pid (PID) */
	put_u64(s, arg_fd(regs, 0));
	/* Parameter 2: resource (FLAGS8) */
	put_u8(s, linux_to_ppm_rlimit(arg(regs, 1)));
	ev_submit(s);
	return 0;
}

EXIT_FILLER(PPME_SYSCALL_PRLIMIT_X)
{
	struct scratch *s = scratch_get(type);

	if (!s)
		return 0;
	ev_begin(s, type, nparams);
	/* Parameter 1: res (ERRNO) */
	put_u64(s, ret);
	/* Parameter 2: newcur (INT64), parameter 3: newmax (INT64) */
	put_rlimit(s, arg(regs, 2), ret >= 0);
	/* Parameter 4: oldcur (INT64), parameter 5: oldmax (INT64) */
	put_rlimit(s, arg(regs, 3), true);
	ev_submit(s);
	return 0;
}

/* ---- ptrace ---- */

#define DYN_U64 0, 8 /* index, size: ptrace addr/data as PPM_PTRACE_IDX_UINT64 */
#define DYN_SIG 1, 1 /* PPM_PTRACE_IDX_SIGTYPE */

ENTER_FILLER(PPME_SYSCALL_PTRACE_E)
{
	struct scratch *s = scratch_get(type);

	if (!s)
		return 0;
	ev_begin(s, type, nparams);
	/* Parameter 1: request (FLAGS16) */
	put_u16(s, linux_to_ppm_ptrace(arg(regs, 0)));
	/* Parameter 2: pid (PID) */
	put_u64(s, arg_fd(regs, 1)); /* pid: an int, as fds */
	ev_submit(s);
	return 0;
}

EXIT_FILLER(PPME_SYSCALL_PTRACE_X)
{
	struct scratch *s = scratch_get(type);
	__u16 req = linux_to_ppm_ptrace(arg(regs, 0));
	__u64 data = arg(regs, 3);

	if (!s)
		return 0;
	ev_begin(s, type, nparams);
	/* Parameter 1: res (ERRNO) */
	put_u64(s, ret);
	/* Parameter 2: addr (DYN), parameter 3: data (DYN), by the request */
	if (ret < 0) {
		put_dyn(s, DYN_U64, 0);
		put_dyn(s, DYN_U64, 0);
	} else if (req >= 2 && req <= 4) { /* PEEKTEXT/PEEKDATA/PEEKUSR: the word read */
		put_dyn(s, DYN_U64, arg(regs, 2));
		put_dyn(s, DYN_U64, user_u64(data));
	} else if (req == 8 || req == 10 || req == 12 ||
	           req == 13) { /* CONT/SINGLESTEP/DETACH/SYSCALL: a signal */
		put_dyn(s, DYN_U64, arg(regs, 2));
		put_dyn(s, DYN_SIG, data);
	} else {
		put_dyn(s, DYN_U64, arg(regs, 2));
		put_dyn(s, DYN_U64, data);
	}
	ev_submit(s);
	return 0;
}
