/* fill_mem: the fillers of memory mappings: mmap, munmap, mprotect, brk. */
/* SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only) */
/* The exits write the memory sizes with put_vm() (fill_proc.bpf.h). */

ENTER_FILLER(PPME_SYSCALL_MMAP_E)
{
	struct scratch *s = scratch_get(type);

	if (!s)
		return 0;
	ev_begin(s, type, nparams);
	/* Parameter 1: addr (UINT64) */
	put_u64(s, arg(regs, 0));
	/* Parameter 2: length (UINT64) */
	put_u64(s, arg(regs, 1));
	/* Parameter 3: prot (FLAGS32) */
	put_u32(s, linux_to_ppm_prot(arg(regs, 2)));
	/* Parameter 4: flags (FLAGS32) */
	put_u32(s, linux_to_ppm_mmap(arg(regs, 3)));
	/* Parameter 5: fd (FD) */
	put_u64(s, arg_fd(regs, 4));
	/* Parameter 6: offset (UINT64) */
	put_u64(s, arg(regs, 5));
	ev_submit(s);
	return 0;
}

ENTER_FILLER(PPME_SYSCALL_MUNMAP_E)
{
	struct scratch *s = scratch_get(type);

	if (!s)
		return 0;
	ev_begin(s, type, nparams);
	/* Parameter 1: addr (UINT64) */
	put_u64(s, arg(regs, 0));
	/* Parameter 2: length (UINT64) */
	put_u64(s, arg(regs, 1));
	ev_submit(s);
	return 0;
}

ENTER_FILLER(PPME_SYSCALL_MPROTECT_E)
{
	struct scratch *s = scratch_get(type);

	if (!s)
		return 0;
	ev_begin(s, type, nparams);
	/* Parameter 1: addr (UINT64) */
	put_u64(s, arg(regs, 0));
	/* Parameter 2: length (UINT64) */
	put_u64(s, arg(regs, 1));
	/* Parameter 3: prot (FLAGS32) */
	put_u32(s, linux_to_ppm_prot(arg(regs, 2)));
	ev_submit(s);
	return 0;
}

ENTER_FILLER(PPME_SYSCALL_BRK_4_E)
{
	struct scratch *s = scratch_get(type);

	if (!s)
		return 0;
	ev_begin(s, type, nparams);
	/* Parameter 1: addr (UINT64) */
	put_u64(s, arg(regs, 0));
	ev_submit(s);
	return 0;
}

/* exit_res_vm serves the munmap, mmap, brk exits: 4 parameters each */
_Static_assert(PPME_SYSCALL_MUNMAP_X_NPARAMS == 4, "exit_res_vm writes 4 parameters");
_Static_assert(PPME_SYSCALL_MMAP_X_NPARAMS == 4, "exit_res_vm writes 4 parameters");
_Static_assert(PPME_SYSCALL_BRK_4_X_NPARAMS == 4, "exit_res_vm writes 4 parameters");

/* Exits: res and the memory sizes after the call (munmap, mmap, brk). */
static __always_inline int exit_res_vm(__u16 type, long ret)
{
	struct scratch *s = scratch_get(type);

	if (!s)
		return 0;
	ev_begin(s, type, PPME_SYSCALL_MUNMAP_X_NPARAMS);
	put_u64(s, ret);
	put_vm(s, current_task()->mm);
	ev_submit(s);
	return 0;
}

/* munmap, mmap, brk exits */
EXIT_FILLER_OF(vm, PPME_SYSCALL_MUNMAP_X, PPME_SYSCALL_MMAP_X, PPME_SYSCALL_BRK_4_X)
{
	return exit_res_vm(routed_code(true), ret);
}
