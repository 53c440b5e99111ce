/* task: what the programs read of the current task: its syscall's arguments, user memory, its files. */
/* SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only) */
/*
 * Included by sysrec.bpf.c ahead of everything that reads these (the
 * dispatchers' shapes, the fillers); btf_task_struct and btf_file are set by
 * the loader there.
 */

/*
 * The tp_btf programs get the syscall's registers as a trusted BTF pointer:
 * plain loads (CO-RE relocated), not bpf_probe_read_kernel() calls.
 */
static __always_inline unsigned long arg(struct pt_regs *regs, int i)
{
	switch (i) {
	case 0:
		return regs->di;
	case 1:
		return regs->si;
	case 2:
		return regs->dx;
	case 3:
		return regs->r10;
	case 4:
		return regs->r8;
	default:
		return regs->r9;
	}
}

/* An int argument (an fd, a pid) sign-extended to 64 bits, as FD and PID parameters are written. */
static __always_inline __s64 arg_fd(struct pt_regs *regs, int i)
{
	return (__s64)(int)arg(regs, i);
}

/* A u64 at a user address (0 when there is none). */
static __always_inline __u64 user_u64(unsigned long p)
{
	__u64 v = 0;

	if (p)
		bpf_probe_read_user(&v, sizeof(v), (void *)p);
	return v;
}

/* The kernel's own cast: a plain value seen as a BTF pointer to read through (inlined by the verifier). */
extern void *bpf_rdonly_cast(const void *obj, __u32 btf_id) __ksym;

/*
 * The current task as an untrusted BTF pointer: plain loads through it (faults
 * read as 0) instead of bpf_probe_read_kernel() calls, and no trust checks
 * for the verifier to make (they search the kernel BTF by name).
 */
static __always_inline struct task_struct *current_task(void)
{
	return bpf_rdonly_cast(bpf_get_current_task_btf(), btf_task_struct);
}

/*
 * The file behind fd of the current task, or NULL. The walk to the fd array
 * is plain loads through BTF pointers (faults read as 0); only the array slot
 * needs a helper. The pointers are cast untrusted: the verifier checks loads
 * through trusted ones with searches of the kernel's BTF by name, which made
 * loading the programs slow.
 */
static __always_inline struct file *task_file(int fd)
{
	struct task_struct *t = current_task();
	struct fdtable *fdt = t->files->fdt;
	struct file **fds;
	struct file *f = NULL;

	if (fd < 0 || !fdt || (unsigned int)fd >= fdt->max_fds)
		return NULL;
	fds = fdt->fd;
	if (!fds || bpf_probe_read_kernel(&f, sizeof(f), fds + fd) || !f)
		return NULL;
	return bpf_rdonly_cast(f, btf_file);
}

/* The device of the file behind fd (0 when there is none). */
static __always_inline __u32 file_dev(int fd)
{
	struct file *f = task_file(fd);

	return f ? f->f_inode->i_sb->s_dev : 0;
}
