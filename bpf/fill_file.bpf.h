/* fill_file: the fillers of opening, reading and writing files and fds (open, read, pipe, fcntl, ...). */
/* SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only) */

/* ---- opening: open, openat, creat, openat2 ---- */

ENTER_FILLER(PPME_SYSCALL_OPEN_E)
{
	struct scratch *s = scratch_get(type);
	__u32 flags = arg(regs, 1);

	if (!s)
		return 0;
	ev_begin(s, type, nparams);
	/* Parameter 1: name (FSPATH) */
	put_str_user(s, (void *)arg(regs, 0));
	/* Parameter 2: flags (FLAGS32) */
	put_u32(s, sysrec_open_flags(flags));
	/* Parameter 3: mode (UINT32) */
	put_u32(s, open_mode(flags, arg(regs, 2)));
	ev_submit(s);
	return 0;
}

EXIT_FILLER(PPME_SYSCALL_OPEN_X)
{
	struct scratch *s = scratch_get(type);
	__u32 flags = arg(regs, 1);

	if (!s)
		return 0;
	ev_begin(s, type, nparams);
	/* Parameter 1: fd (FD) */
	put_u64(s, ret);
	/* Parameter 2: name (FSPATH) */
	put_str_user(s, (void *)arg(regs, 0));
	/* Parameter 3: flags (FLAGS32) */
	put_u32(s, sysrec_open_flags(flags));
	/* Parameter 4: mode (UINT32) */
	put_u32(s, open_mode(flags, arg(regs, 2)));
	/* Parameter 5: dev (UINT32) */
	put_u32(s, ret >= 0 ? file_dev(ret) : 0);
	ev_submit(s);
	return 0;
}

ENTER_FILLER(PPME_SYSCALL_OPENAT_2_E)
{
	struct scratch *s = scratch_get(type);
	__u32 flags = arg(regs, 2);

	if (!s)
		return 0;
	ev_begin(s, type, nparams);
	/* Parameter 1: dirfd (FD) */
	put_u64(s, (__s64)(int)arg(regs, 0));
	/* Parameter 2: name (FSRELPATH) */
	put_str_user(s, (void *)arg(regs, 1));
	/* Parameter 3: flags (FLAGS32) */
	put_u32(s, sysrec_open_flags(flags));
	/* Parameter 4: mode (UINT32) */
	put_u32(s, open_mode(flags, arg(regs, 3)));
	ev_submit(s);
	return 0;
}

EXIT_FILLER(PPME_SYSCALL_OPENAT_2_X)
{
	struct scratch *s = scratch_get(type);
	__u32 flags = arg(regs, 2);

	if (!s)
		return 0;
	ev_begin(s, type, nparams);
	/* Parameter 1: fd (FD) */
	put_u64(s, ret);
	/* Parameter 2: dirfd (FD) */
	put_u64(s, (__s64)(int)arg(regs, 0));
	/* Parameter 3: name (FSRELPATH) */
	put_str_user(s, (void *)arg(regs, 1));
	/* Parameter 4: flags (FLAGS32) */
	put_u32(s, sysrec_open_flags(flags));
	/* Parameter 5: mode (UINT32) */
	put_u32(s, open_mode(flags, arg(regs, 3)));
	/* Parameter 6: dev (UINT32) */
	put_u32(s, ret >= 0 ? file_dev(ret) : 0);
	ev_submit(s);
	return 0;
}

ENTER_FILLER(PPME_SYSCALL_CREAT_E)
{
	struct scratch *s = scratch_get(type);

	if (!s)
		return 0;
	ev_begin(s, type, nparams);
	/* Parameter 1: name (FSPATH) */
	put_str_user(s, (void *)arg(regs, 0));
	/* Parameter 2: mode (UINT32) */
	put_u32(s, arg(regs, 1) & 07777);
	ev_submit(s);
	return 0;
}

EXIT_FILLER(PPME_SYSCALL_CREAT_X)
{
	struct scratch *s = scratch_get(type);

	if (!s)
		return 0;
	ev_begin(s, type, nparams);
	/* Parameter 1: fd (FD) */
	put_u64(s, ret);
	/* Parameter 2: name (FSPATH) */
	put_str_user(s, (void *)arg(regs, 0));
	/* Parameter 3: mode (UINT32) */
	put_u32(s, arg(regs, 1) & 07777);
	/* Parameter 4: dev (UINT32) */
	put_u32(s, ret >= 0 ? file_dev(ret) : 0);
	ev_submit(s);
	return 0;
}

/* openat2 enter (dirfd, name, flags, mode, resolve) and exit (the same after fd) */
static __always_inline int openat2_event(struct pt_regs *regs, __u16 type, __u32 nparams, bool is_exit,
                                         long ret)
{
	struct scratch *s = scratch_get(type);
	struct open_how how = {};

	if (!s)
		return 0;
	bpf_probe_read_user(&how, sizeof(how), (void *)arg(regs, 2));
	ev_begin(s, type, nparams);
	/* exit only, Parameter 1: fd (FD) */
	if (is_exit)
		put_u64(s, ret);
	/* Parameter 1 (exit: 2): dirfd (FD) */
	put_u64(s, arg_fd(regs, 0));
	/* Parameter 2 (exit: 3): name (FSRELPATH) */
	put_str_user(s, (void *)arg(regs, 1));
	/* Parameter 3 (exit: 4): flags (FLAGS32) */
	put_u32(s, sysrec_open_flags(how.flags));
	/* Parameter 4 (exit: 5): mode (UINT32) */
	put_u32(s, open_mode(how.flags, how.mode));
	/* Parameter 5 (exit: 6): resolve (FLAGS32) */
	put_u32(s, linux_to_ppm_resolve(how.resolve));
	ev_submit(s);
	return 0;
}

ENTER_FILLER(PPME_SYSCALL_OPENAT2_E)
{
	return openat2_event(regs, type, nparams, false, 0);
}

EXIT_FILLER(PPME_SYSCALL_OPENAT2_X)
{
	return openat2_event(regs, type, nparams, true, ret);
}

/* ---- reading and writing: read, write, pread, pwrite ---- */

/* read/write exits (read, write, pread, pwrite, sendto) */
static __always_inline int exit_res_data(struct pt_regs *regs, long ret, __u16 type, __u32 nparams,
                                         bool is_read)
{
	struct scratch *s = scratch_get(type);

	if (!s)
		return 0;
	ev_begin(s, type, nparams);
	/* Parameter 1: res (ERRNO) */
	put_u64(s, ret);
	/* Parameter 2: data (BYTEBUF) */
	if (is_read)
		put_buf_user(s, (void *)arg(regs, 1), ret);
	else
		put_buf_user(s, (void *)arg(regs, 1), ret < 0 ? (__s64)arg(regs, 2) : ret);
	ev_submit(s);
	return 0;
}

EXIT_FILLER(PPME_SYSCALL_READ_X)
{
	return exit_res_data(regs, ret, type, nparams, true);
}

EXIT_FILLER(PPME_SYSCALL_WRITE_X)
{
	return exit_res_data(regs, ret, type, nparams, false);
}

/* pread/pwrite enter: fd, size, pos */
static __always_inline int enter_fd_size_pos(struct pt_regs *regs, __u16 type, __u32 nparams)
{
	struct scratch *s = scratch_get(type);

	if (!s)
		return 0;
	ev_begin(s, type, nparams);
	/* Parameter 1: fd (FD) */
	put_u64(s, arg_fd(regs, 0));
	/* Parameter 2: size (UINT32) */
	put_u32(s, arg(regs, 2));
	/* Parameter 3: pos (UINT64) */
	put_u64(s, arg(regs, 3));
	ev_submit(s);
	return 0;
}

ENTER_FILLER(PPME_SYSCALL_PREAD_E)
{
	return enter_fd_size_pos(regs, type, nparams);
}

EXIT_FILLER(PPME_SYSCALL_PREAD_X)
{
	return exit_res_data(regs, ret, type, nparams, true);
}

ENTER_FILLER(PPME_SYSCALL_PWRITE_E)
{
	return enter_fd_size_pos(regs, type, nparams);
}

EXIT_FILLER(PPME_SYSCALL_PWRITE_X)
{
	return exit_res_data(regs, ret, type, nparams, false);
}

/* ---- vectored I/O: readv, writev, preadv, pwritev ---- */

/* exit_readv serves the readv, preadv exits: 3 parameters each */
_Static_assert(PPME_SYSCALL_READV_X_NPARAMS == 3, "exit_readv writes 3 parameters");
_Static_assert(PPME_SYSCALL_PREADV_X_NPARAMS == 3, "exit_readv writes 3 parameters");

/* readv/preadv exit: res, size, data (what was read) */
static __always_inline int exit_readv(struct pt_regs *regs, long ret, __u16 type)
{
	struct scratch *s = scratch_get(type);

	if (!s)
		return 0;
	ev_begin(s, type, PPME_SYSCALL_READV_X_NPARAMS);
	put_u64(s, ret);
	if (ret > 0) {
		put_iov(s, (void *)arg(regs, 1), arg(regs, 2), true, true, ret);
	} else {
		put_u32(s, 0);
		put_empty(s);
	}
	ev_submit(s);
	return 0;
}

/* readv, preadv exits */
EXIT_FILLER_OF(readv, PPME_SYSCALL_READV_X, PPME_SYSCALL_PREADV_X)
{
	return exit_readv(regs, ret, routed_code(true));
}

/* enter_writev serves the writev (2 parameters), pwritev (3, with pos) enters */
_Static_assert(PPME_SYSCALL_WRITEV_E_NPARAMS == 2, "enter_writev writes 2 parameters");
_Static_assert(PPME_SYSCALL_PWRITEV_E_NPARAMS == 3, "enter_writev writes 3 parameters");

/* writev/pwritev enter: fd, size [, pos] */
static __always_inline int enter_writev(struct pt_regs *regs, __u16 type, bool with_pos)
{
	struct scratch *s = scratch_get(type);

	if (!s)
		return 0;
	ev_begin(s, type, with_pos ? PPME_SYSCALL_PWRITEV_E_NPARAMS : PPME_SYSCALL_WRITEV_E_NPARAMS);
	put_u64(s, arg_fd(regs, 0));
	put_iov(s, (void *)arg(regs, 1), arg(regs, 2), true, false, ~0ULL);
	if (with_pos)
		put_u64(s, arg(regs, 3));
	ev_submit(s);
	return 0;
}

/* writev, pwritev enters */
ENTER_FILLER_OF(writev, PPME_SYSCALL_WRITEV_E, PPME_SYSCALL_PWRITEV_E)
{
	__u16 type = routed_code(false);

	return enter_writev(regs, type, type == PPME_SYSCALL_PWRITEV_E);
}

/* exit_writev serves the writev, pwritev exits: 2 parameters each */
_Static_assert(PPME_SYSCALL_WRITEV_X_NPARAMS == 2, "exit_writev writes 2 parameters");
_Static_assert(PPME_SYSCALL_PWRITEV_X_NPARAMS == 2, "exit_writev writes 2 parameters");

/* writev/pwritev exit: res, data (what was given, as the drivers) */
static __always_inline int exit_writev(struct pt_regs *regs, long ret, __u16 type)
{
	struct scratch *s = scratch_get(type);

	if (!s)
		return 0;
	ev_begin(s, type, PPME_SYSCALL_WRITEV_X_NPARAMS);
	put_u64(s, ret);
	put_iov(s, (void *)arg(regs, 1), arg(regs, 2), false, true, ~0ULL);
	ev_submit(s);
	return 0;
}

/* writev, pwritev exits */
EXIT_FILLER_OF(writev, PPME_SYSCALL_WRITEV_X, PPME_SYSCALL_PWRITEV_X)
{
	return exit_writev(regs, ret, routed_code(true));
}

ENTER_FILLER(PPME_SYSCALL_PREADV_E)
{
	struct scratch *s = scratch_get(type);

	if (!s)
		return 0;
	ev_begin(s, type, nparams);
	/* Parameter 1: fd (FD) */
	put_u64(s, arg_fd(regs, 0));
	/* Parameter 2: pos (UINT64) */
	put_u64(s, arg(regs, 3));
	ev_submit(s);
	return 0;
}

/* ---- copies between fds: sendfile, copy_file_range ---- */

ENTER_FILLER(PPME_SYSCALL_SENDFILE_E)
{
	struct scratch *s = scratch_get(type);

	if (!s)
		return 0;
	ev_begin(s, type, nparams);
	/* Parameter 1: out_fd (FD) */
	put_u64(s, arg_fd(regs, 0));
	/* Parameter 2: in_fd (FD) */
	put_u64(s, arg_fd(regs, 1));
	/* Parameter 3: offset (UINT64) */
	put_u64(s, user_u64(arg(regs, 2)));
	/* Parameter 4: size (UINT64) */
	put_u64(s, arg(regs, 3));
	ev_submit(s);
	return 0;
}

EXIT_FILLER(PPME_SYSCALL_SENDFILE_X)
{
	struct scratch *s = scratch_get(type);

	if (!s)
		return 0;
	ev_begin(s, type, nparams);
	/* Parameter 1: res (ERRNO) */
	put_u64(s, ret);
	/* Parameter 2: offset (UINT64) */
	put_u64(s, user_u64(arg(regs, 2)));
	ev_submit(s);
	return 0;
}

ENTER_FILLER(PPME_SYSCALL_COPY_FILE_RANGE_E)
{
	struct scratch *s = scratch_get(type);

	if (!s)
		return 0;
	ev_begin(s, type, nparams);
	/* Parameter 1: fdin (FD) */
	put_u64(s, arg_fd(regs, 0));
	/* Parameter 2: offin (UINT64) */
	put_u64(s, arg(regs, 1)); /* offin: the pointer's value, as the drivers */
	/* Parameter 3: len (UINT64) */
	put_u64(s, arg(regs, 4));
	ev_submit(s);
	return 0;
}

EXIT_FILLER(PPME_SYSCALL_COPY_FILE_RANGE_X)
{
	struct scratch *s = scratch_get(type);

	if (!s)
		return 0;
	ev_begin(s, type, nparams);
	/* Parameter 1: res (ERRNO) */
	put_u64(s, ret);
	/* Parameter 2: fdout (FD) */
	put_u64(s, arg_fd(regs, 2));
	/* Parameter 3: offout (UINT64) */
	put_u64(s, arg(regs, 3)); /* offout: the pointer's value */
	ev_submit(s);
	return 0;
}

/* ---- fds: pipe, fcntl, lseek, ioctl ---- */

EXIT_FILLER(PPME_SYSCALL_PIPE_X)
{
	struct scratch *s = scratch_get(type);
	int fds[2] = { -1, -1 };
	struct file *f = NULL;

	if (!s)
		return 0;
	if (ret >= 0)
		bpf_probe_read_user(fds, sizeof(fds), (void *)arg(regs, 0));
	if (ret >= 0)
		f = task_file(fds[0]);
	ev_begin(s, type, nparams);
	/* Parameter 1: res (ERRNO) */
	put_u64(s, ret);
	/* Parameter 2: fd1 (FD) */
	put_u64(s, fds[0]);
	/* Parameter 3: fd2 (FD) */
	put_u64(s, fds[1]);
	/* Parameter 4: ino (UINT64) */
	put_u64(s, f ? BPF_CORE_READ(f, f_inode, i_ino) : 0);
	ev_submit(s);
	return 0;
}

ENTER_FILLER(PPME_SYSCALL_FCNTL_E)
{
	struct scratch *s = scratch_get(type);

	if (!s)
		return 0;
	ev_begin(s, type, nparams);
	/* Parameter 1: fd (FD) */
	put_u64(s, arg_fd(regs, 0));
	/* Parameter 2: cmd (FLAGS8) */
	put_u8(s, fcntl_cmd(arg(regs, 1)));
	ev_submit(s);
	return 0;
}

ENTER_FILLER(PPME_SYSCALL_LSEEK_E)
{
	struct scratch *s = scratch_get(type);
	__u32 whence = arg(regs, 2);

	if (!s)
		return 0;
	ev_begin(s, type, nparams);
	/* Parameter 1: fd (FD) */
	put_u64(s, arg_fd(regs, 0));
	/* Parameter 2: offset (UINT64) */
	put_u64(s, arg(regs, 1));
	/* Parameter 3: whence (FLAGS8) */
	put_u8(s, whence <= 2 ? whence : 0); /* SEEK_SET/CUR/END: same values */
	ev_submit(s);
	return 0;
}

ENTER_FILLER(PPME_SYSCALL_IOCTL_3_E)
{
	struct scratch *s = scratch_get(type);

	if (!s)
		return 0;
	ev_begin(s, type, nparams);
	/* Parameter 1: fd (FD) */
	put_u64(s, arg_fd(regs, 0));
	/* Parameter 2: request (UINT64) */
	put_u64(s, arg(regs, 1));
	/* Parameter 3: argument (UINT64) */
	put_u64(s, arg(regs, 2));
	ev_submit(s);
	return 0;
}
