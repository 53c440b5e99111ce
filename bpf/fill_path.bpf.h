/* fill_path: the fillers of path operations: unlink, mkdir, rename, link, chmod, access, stat, mount, ... */
/* SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only) */

/* ---- exits whose enter has no parameters: the result and the paths ---- */

/* exit_res_paths serves the exits of the paths filler below: res and the n paths it picks */
_Static_assert(PPME_SYSCALL_UNLINK_2_X_NPARAMS == 2, "exit_res_paths writes n + 1 = 2 parameters");
_Static_assert(PPME_SYSCALL_RMDIR_2_X_NPARAMS == 2, "exit_res_paths writes n + 1 = 2 parameters");
_Static_assert(PPME_SYSCALL_RENAME_X_NPARAMS == 3, "exit_res_paths writes n + 1 = 3 parameters");
_Static_assert(PPME_SYSCALL_MKDIR_2_X_NPARAMS == 2, "exit_res_paths writes n + 1 = 2 parameters");
_Static_assert(PPME_SYSCALL_CHDIR_X_NPARAMS == 2, "exit_res_paths writes n + 1 = 2 parameters");
_Static_assert(PPME_SYSCALL_CHROOT_X_NPARAMS == 2, "exit_res_paths writes n + 1 = 2 parameters");
_Static_assert(PPME_SYSCALL_LINK_2_X_NPARAMS == 3, "exit_res_paths writes n + 1 = 3 parameters");
_Static_assert(PPME_SYSCALL_SYMLINK_X_NPARAMS == 3, "exit_res_paths writes n + 1 = 3 parameters");
_Static_assert(PPME_SYSCALL_STAT_X_NPARAMS == 2, "exit_res_paths writes n + 1 = 2 parameters");
_Static_assert(PPME_SYSCALL_LSTAT_X_NPARAMS == 2, "exit_res_paths writes n + 1 = 2 parameters");
_Static_assert(PPME_SYSCALL_ACCESS_X_NPARAMS == 2, "exit_res_paths writes n + 1 = 2 parameters");
_Static_assert(PPME_SYSCALL_MOUNT_X_NPARAMS == 4, "exit_res_paths writes n + 1 = 4 parameters");
_Static_assert(PPME_SYSCALL_UMOUNT_X_NPARAMS == 2, "exit_res_paths writes n + 1 = 2 parameters");

/* Exits whose parameters are the result and the first n arguments as paths (n <= 3). */
static __always_inline int exit_res_paths(struct pt_regs *regs, long ret, __u16 type, int n)
{
	struct scratch *s = scratch_get(type);

	if (!s)
		return 0;
	ev_begin(s, type, n + 1);
	put_u64(s, ret);
	for (int i = 0; i < 3; i++)
		if (i < n)
			put_str_user(s, (void *)arg(regs, i));
	ev_submit(s);
	return 0;
}

/* Exits: res, then the first n arguments as paths (unlink, rmdir, mkdir, chdir, chroot, stat, lstat, access,
 * umount: one). */
EXIT_FILLER_OF(paths, PPME_SYSCALL_UNLINK_2_X, PPME_SYSCALL_RMDIR_2_X, PPME_SYSCALL_RENAME_X,
               PPME_SYSCALL_MKDIR_2_X, PPME_SYSCALL_CHDIR_X, PPME_SYSCALL_CHROOT_X, PPME_SYSCALL_LINK_2_X,
               PPME_SYSCALL_SYMLINK_X, PPME_SYSCALL_STAT_X, PPME_SYSCALL_LSTAT_X, PPME_SYSCALL_ACCESS_X,
               PPME_SYSCALL_MOUNT_X, PPME_SYSCALL_UMOUNT_X)
{
	__u16 type = routed_code(true);
	int n = 1;

	switch (type) {
	case PPME_SYSCALL_RENAME_X:  /* rename */
	case PPME_SYSCALL_LINK_2_X:  /* link */
	case PPME_SYSCALL_SYMLINK_X: /* symlink: target, linkpath */
		n = 2;
		break;
	case PPME_SYSCALL_MOUNT_X: /* mount: dev, dir, type */
		n = 3;
		break;
	}
	return exit_res_paths(regs, ret, type, n);
}

EXIT_FILLER(PPME_SYSCALL_UNLINKAT_2_X)
{
	struct scratch *s = scratch_get(type);

	if (!s)
		return 0;
	ev_begin(s, type, nparams);
	/* Parameter 1: res (ERRNO) */
	put_u64(s, ret);
	/* Parameter 2: dirfd (FD) */
	put_u64(s, arg_fd(regs, 0));
	/* Parameter 3: name (FSRELPATH) */
	put_str_user(s, (void *)arg(regs, 1));
	/* Parameter 4: flags (FLAGS32) */
	put_u32(s, arg(regs, 2) & 0x200); /* AT_REMOVEDIR, the one flag with a portable name */
	ev_submit(s);
	return 0;
}

/* exit_at_pair serves the renameat (5 parameters), renameat2, linkat (6, with flags) exits */
_Static_assert(PPME_SYSCALL_RENAMEAT_X_NPARAMS == 5, "exit_at_pair writes 5 parameters");
_Static_assert(PPME_SYSCALL_RENAMEAT2_X_NPARAMS == 6, "exit_at_pair writes 6 parameters");
_Static_assert(PPME_SYSCALL_LINKAT_2_X_NPARAMS == 6, "exit_at_pair writes 6 parameters");

/*
 * Exits of two (dirfd, path) pairs: res, olddirfd, oldpath, newdirfd,
 * newpath and, when with_flags, the flags argument masked to its portable
 * bits (renameat2, linkat: their portable values equal Linux's).
 */
static __always_inline int exit_at_pair(struct pt_regs *regs, long ret, __u16 type, bool with_flags,
                                        __u32 mask)
{
	struct scratch *s = scratch_get(type);

	if (!s)
		return 0;
	ev_begin(s, type, with_flags ? PPME_SYSCALL_RENAMEAT2_X_NPARAMS : PPME_SYSCALL_RENAMEAT_X_NPARAMS);
	put_u64(s, ret);
	put_u64(s, arg_fd(regs, 0));
	put_str_user(s, (void *)arg(regs, 1));
	put_u64(s, arg_fd(regs, 2));
	put_str_user(s, (void *)arg(regs, 3));
	if (with_flags)
		put_u32(s, arg(regs, 4) & mask);
	ev_submit(s);
	return 0;
}

/* renameat, renameat2, linkat exits */
EXIT_FILLER_OF(atpair, PPME_SYSCALL_RENAMEAT_X, PPME_SYSCALL_RENAMEAT2_X, PPME_SYSCALL_LINKAT_2_X)
{
	__u16 type = routed_code(true);

	if (type == PPME_SYSCALL_RENAMEAT2_X)
		return exit_at_pair(regs, ret, type, true, 7); /* RENAME_NOREPLACE/EXCHANGE/WHITEOUT */
	if (type == PPME_SYSCALL_LINKAT_2_X)
		return exit_at_pair(regs, ret, type, true, 0x1400); /* AT_SYMLINK_FOLLOW, AT_EMPTY_PATH */
	return exit_at_pair(regs, ret, type, false, 0);
}

ENTER_FILLER(PPME_SYSCALL_MKDIR_2_E)
{
	struct scratch *s = scratch_get(type);

	if (!s)
		return 0;
	ev_begin(s, type, nparams);
	/* Parameter 1: mode (UINT32) */
	put_u32(s, arg(regs, 1));
	ev_submit(s);
	return 0;
}

EXIT_FILLER(PPME_SYSCALL_MKDIRAT_X)
{
	struct scratch *s = scratch_get(type);

	if (!s)
		return 0;
	ev_begin(s, type, nparams);
	/* Parameter 1: res (ERRNO) */
	put_u64(s, ret);
	/* Parameter 2: dirfd (FD) */
	put_u64(s, arg_fd(regs, 0));
	/* Parameter 3: path (FSRELPATH) */
	put_str_user(s, (void *)arg(regs, 1));
	/* Parameter 4: mode (UINT32) */
	put_u32(s, arg(regs, 2));
	ev_submit(s);
	return 0;
}

/* exit_chmod serves the chmod, fchmod (3 parameters), fchmodat (4, with dirfd) exits */
_Static_assert(PPME_SYSCALL_CHMOD_X_NPARAMS == 3, "exit_chmod writes 3 parameters");
_Static_assert(PPME_SYSCALL_FCHMOD_X_NPARAMS == 3, "exit_chmod writes 3 parameters");
_Static_assert(PPME_SYSCALL_FCHMODAT_X_NPARAMS == 4, "exit_chmod writes 4 parameters");

/*
 * chmod/fchmod/fchmodat exit: res, the file (path, fd, or dirfd and path)
 * and the mode (PPM_S_* bits equal Linux's permission bits).
 */
static __always_inline int exit_chmod(struct pt_regs *regs, long ret, __u16 type, bool by_fd, bool at)
{
	struct scratch *s = scratch_get(type);

	if (!s)
		return 0;
	ev_begin(s, type, at ? PPME_SYSCALL_FCHMODAT_X_NPARAMS : PPME_SYSCALL_CHMOD_X_NPARAMS);
	put_u64(s, ret);
	if (by_fd || at)
		put_u64(s, arg_fd(regs, 0));
	if (!by_fd)
		put_str_user(s, (void *)arg(regs, at ? 1 : 0));
	put_u32(s, arg(regs, at ? 2 : 1) & 07777);
	ev_submit(s);
	return 0;
}

/* chmod, fchmod, fchmodat exits */
EXIT_FILLER_OF(chmod, PPME_SYSCALL_CHMOD_X, PPME_SYSCALL_FCHMOD_X, PPME_SYSCALL_FCHMODAT_X)
{
	__u16 type = routed_code(true);

	return exit_chmod(regs, ret, type, type == PPME_SYSCALL_FCHMOD_X, type == PPME_SYSCALL_FCHMODAT_X);
}

EXIT_FILLER(PPME_SYSCALL_SYMLINKAT_X)
{
	struct scratch *s = scratch_get(type);

	if (!s)
		return 0;
	ev_begin(s, type, nparams);
	/* Parameter 1: res (ERRNO) */
	put_u64(s, ret);
	/* Parameter 2: target (CHARBUF) */
	put_str_user(s, (void *)arg(regs, 0));
	/* Parameter 3: linkdirfd (FD) */
	put_u64(s, arg_fd(regs, 1));
	/* Parameter 4: linkpath (FSRELPATH) */
	put_str_user(s, (void *)arg(regs, 2));
	ev_submit(s);
	return 0;
}

ENTER_FILLER(PPME_SYSCALL_ACCESS_E)
{
	struct scratch *s = scratch_get(type);

	if (!s)
		return 0;
	ev_begin(s, type, nparams);
	/* Parameter 1: mode (FLAGS32) */
	put_u32(s, arg(regs, 1) & 7); /* R_OK/W_OK/X_OK: same values */
	ev_submit(s);
	return 0;
}

/* ---- mounts: mount, umount ---- */

ENTER_FILLER(PPME_SYSCALL_MOUNT_E)
{
	struct scratch *s = scratch_get(type);
	__u32 flags = arg(regs, 3);

	if (!s)
		return 0;
	if ((flags & 0xffff0000) == 0xc0ed0000) /* MS_MGC_VAL: the old magic, not flags */
		flags &= 0xffff;
	ev_begin(s, type, nparams);
	/* Parameter 1: flags (FLAGS32) */
	put_u32(s, flags); /* MS_*: the portable values are Linux's */
	ev_submit(s);
	return 0;
}

ENTER_FILLER(PPME_SYSCALL_UMOUNT_E)
{
	struct scratch *s = scratch_get(type);

	if (!s)
		return 0;
	ev_begin(s, type, nparams);
	/* Parameter 1: flags (FLAGS32) */
	put_u32(s, arg(regs, 1)); /* MNT_FORCE/DETACH/EXPIRE, UMOUNT_NOFOLLOW: same values */
	ev_submit(s);
	return 0;
}
