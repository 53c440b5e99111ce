/* fill_proc: the fillers of processes: execve, execveat, clone, fork, vfork, clone3, unshare, procexit. */
/* SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only) */

/* ---- what execve and clone exits share: cgroups, ids, memory ---- */

struct kernfs_node___old {
	struct kernfs_node___old *parent;
} __attribute__((preserve_access_index));

static __always_inline struct kernfs_node *kn_parent(struct kernfs_node *kn)
{
	if (bpf_core_field_exists(kn->__parent))
		return BPF_CORE_READ(kn, __parent);
	return (struct kernfs_node *)BPF_CORE_READ((struct kernfs_node___old *)kn, parent);
}

#define CGROUP_DEPTH 10
#define MAX_SUBSYS   16

struct cgroup_path {
	struct scratch *s;
	struct kernfs_node *kn;
	const char *names[16]; /* from the node up to the root (indexes masked to 15) */
	__u32 depth;
};

/* One node's name, going up (a bpf_loop callback). */
static long cgroup_name_up(__u32 i, void *data)
{
	struct cgroup_path *c = data;
	struct kernfs_node *kn = c->kn; /* not in the access chain: cgroup_path is ours */

	if (!kn || i >= CGROUP_DEPTH)
		return 1;
	barrier_var(i); /* keep the mask: the verifier needs it */
	c->names[i & 15] = BPF_CORE_READ(kn, name);
	c->kn = kn_parent(kn);
	c->depth = i + 1;
	return 0;
}

/* "/name" of the j-th node below the root (a bpf_loop callback). */
static long cgroup_name_down(__u32 j, void *data)
{
	struct cgroup_path *c = data;
	struct scratch *s = c->s;
	int i = (int)c->depth - 2 - (int)j; /* names[depth - 1] is the root */
	long n;

	if (i < 0 || i >= CGROUP_DEPTH)
		return 1;
	s->data[OFF(s->pos)] = '/';
	s->pos++;
	barrier_var(i);
	n = bpf_probe_read_kernel_str(&s->data[OFF(s->pos)], 256, c->names[i & 15]);
	if (n > 1)
		s->pos += n - 1;
	return 0;
}

/*
 * Append the path of cgroup node kn ("/a/b", "/" for the root) and a NUL.
 * Both walks are bpf_loop callbacks: verified once, not once per depth.
 */
static __always_inline void put_cgroup_path(struct scratch *s, struct kernfs_node *kn)
{
	struct cgroup_path c = { .s = s, .kn = kn };
	__u32 at = s->pos;

	bpf_loop(CGROUP_DEPTH, cgroup_name_up, &c, 0);
	bpf_loop(CGROUP_DEPTH, cgroup_name_down, &c, 0);
	if (s->pos == at) {
		s->data[OFF(s->pos)] = '/';
		s->pos++;
	}
	s->data[OFF(s->pos)] = 0;
	s->pos++;
}

struct cgroups_walk {
	struct scratch *s;
	struct css_set *cs;
	__u32 nsub;
};

/* One controller of the list (a bpf_loop callback: verified once, not once per controller). */
static long put_one_cgroup(__u32 i, void *data)
{
	struct cgroups_walk *w = data;
	struct scratch *s = w->s;
	struct css_set *cs = w->cs; /* not in the access chain: cgroups_walk is ours, not the kernel's */
	struct cgroup_subsys_state *css = NULL;
	long n;

	if (i >= w->nsub || i >= MAX_SUBSYS)
		return 1;
	bpf_core_read(&css, sizeof(css), &cs->subsys[i]);
	if (!css)
		return 0;
	n = bpf_probe_read_kernel_str(&s->data[OFF(s->pos)], 32, BPF_CORE_READ(css, ss, name));
	if (n <= 1)
		return 0;
	s->pos += n - 1;
	s->data[OFF(s->pos)] = '=';
	s->pos++;
	put_cgroup_path(s, BPF_CORE_READ(css, cgroup, kn));
	return 0;
}

/*
 * The cgroups list as the drivers write it: "subsys=/path" for each
 * controller the task's css_set has (cgroup v1 hierarchies, or the unified
 * one), NUL-separated.
 */
static __always_inline void put_cgroups(struct scratch *s, struct task_struct *t)
{
	struct cgroups_walk w = { s, BPF_CORE_READ(t, cgroups), 0 };
	__u32 start = s->pos, n;

	w.nsub = bpf_core_field_size(w.cs->subsys) / sizeof(void *);
	if (w.cs)
		bpf_loop(MAX_SUBSYS, put_one_cgroup, &w, 0);
	n = s->pos - start;
	s->pos = start;
	ev_param_len(s, n);
}

static __always_inline __s64 pid_nr_ns(struct pid *pid)
{
	unsigned int level;
	struct upid up = {};

	if (!pid)
		return 0;
	level = BPF_CORE_READ(pid, level);
	bpf_probe_read_kernel(&up, sizeof(up), &pid->numbers[level & 31]);
	return up.nr;
}

/* vm_size, vm_rss, vm_swap in KiB (mm's counters are in 4 KiB pages). */
static __always_inline void put_vm(struct scratch *s, struct mm_struct *mm)
{
	__s64 file = 0, anon = 0, swap = 0, shmem = 0;

	if (mm) {
		file = mm->rss_stat[0].count;
		anon = mm->rss_stat[1].count;
		swap = mm->rss_stat[2].count;
		shmem = mm->rss_stat[3].count;
	}
	put_u32(s, mm ? mm->total_vm << 2 : 0);
	put_u32(s, file + anon + shmem > 0 ? (file + anon + shmem) << 2 : 0);
	put_u32(s, swap > 0 ? swap << 2 : 0);
}

/*
 * The parameters execve and clone exits share, from res to vm_swap (13):
 * res, exe, args, tid, pid, ptid, cwd, fdlimit, pgft_maj, pgft_min, vm_size,
 * vm_rss, vm_swap.
 */
static __always_inline void put_proc_common(struct scratch *s, struct task_struct *t, long ret)
{
	struct mm_struct *mm = t->mm;
	unsigned long as = mm ? mm->arg_start : 0, ae = mm ? mm->arg_end : 0;
	__u32 at, n0;

	put_u64(s, ret);
	/* exe: argv[0]; args: the rest */
	at = s->pos;
	if (as && ae > as)
		put_str_user(s, (void *)as);
	else
		put_str_kernel(s, t->comm, 16);
	n0 = s->pos - at;
	put_range_user(s, as + (n0 ? n0 : 0), ae);
	put_u64(s, t->pid);
	put_u64(s, t->tgid);
	put_u64(s, t->real_parent->tgid);
	s->data[OFF(s->pos)] = 0; /* cwd: written empty, as the drivers do */
	ev_param_len(s, 1);
	put_u64(s, t->signal->rlim[7].rlim_cur); /* RLIMIT_NOFILE */
	put_u64(s, t->maj_flt);
	put_u64(s, t->min_flt);
	put_vm(s, mm);
}

/* exit_execve serves the execve, execveat exits: 20 parameters each */
_Static_assert(PPME_SYSCALL_EXECVE_19_X_NPARAMS == 20, "exit_execve writes 20 parameters");
_Static_assert(PPME_SYSCALL_EXECVEAT_X_NPARAMS == 20, "exit_execve writes 20 parameters");

/* execve/execveat exit: put_proc_common's 13, comm, cgroups, env, tty, pgid, loginuid, flags */
static __always_inline int exit_execve(__u16 type, long ret)
{
	struct scratch *s = scratch_get(type);
	struct task_struct *t = current_task();
	struct mm_struct *mm = t->mm;
	struct tty_struct *tty = t->signal->tty;
	__u32 ttydev = 0;

	if (!s)
		return 0;
	ev_begin(s, type, PPME_SYSCALL_EXECVE_19_X_NPARAMS);
	put_proc_common(s, t, ret);
	put_str_kernel(s, t->comm, 16);
	put_cgroups(s, t);
	if (mm)
		put_range_user(s, mm->env_start, mm->env_end);
	else
		put_empty(s);
	if (tty) {
		__u32 major = tty->driver->major;
		__u32 minor = tty->driver->minor_start + tty->index;

		ttydev = (minor & 0xff) | (major << 8) | ((minor & ~0xffu) << 12);
	}
	put_u32(s, ttydev);
	put_u64(s, pid_nr_ns(BPF_CORE_READ(t, signal, pids[PIDTYPE_PGID])));
	put_u32(s, t->loginuid.val);
	put_u32(s, 0); /* flags */
	ev_submit(s);
	return 0;
}

/* ---- execve, execveat ---- */

ENTER_FILLER(PPME_SYSCALL_EXECVE_19_E)
{
	struct scratch *s = scratch_get(type);

	if (!s)
		return 0;
	ev_begin(s, type, nparams);
	/* Parameter 1: filename (FSPATH) */
	put_str_user(s, (void *)arg(regs, 0));
	ev_submit(s);
	return 0;
}

ENTER_FILLER(PPME_SYSCALL_EXECVEAT_E)
{
	struct scratch *s = scratch_get(type);
	__u32 fl = arg(regs, 4), pf = 0;

	if (!s)
		return 0;
	if (fl & 0x1000)
		pf |= 1; /* AT_EMPTY_PATH */
	if (fl & 0x100)
		pf |= 2; /* AT_SYMLINK_NOFOLLOW */
	ev_begin(s, type, nparams);
	/* Parameter 1: dirfd (FD) */
	put_u64(s, arg_fd(regs, 0));
	/* Parameter 2: pathname (FSRELPATH) */
	put_str_user(s, (void *)arg(regs, 1));
	/* Parameter 3: flags (FLAGS32) */
	put_u32(s, pf);
	ev_submit(s);
	return 0;
}

/* execve, execveat exits */
EXIT_FILLER_OF(execve, PPME_SYSCALL_EXECVE_19_X, PPME_SYSCALL_EXECVEAT_X)
{
	return exit_execve(routed_code(true), ret);
}

/* ---- clone, fork, vfork, clone3, unshare ---- */

/* exit_clone serves the clone, fork, vfork, clone3 exits: 20 parameters each */
_Static_assert(PPME_SYSCALL_CLONE_20_X_NPARAMS == 20, "exit_clone writes 20 parameters");
_Static_assert(PPME_SYSCALL_FORK_20_X_NPARAMS == 20, "exit_clone writes 20 parameters");
_Static_assert(PPME_SYSCALL_VFORK_20_X_NPARAMS == 20, "exit_clone writes 20 parameters");
_Static_assert(PPME_SYSCALL_CLONE3_X_NPARAMS == 20, "exit_clone writes 20 parameters");

/* clone/fork/vfork/clone3 exit: put_proc_common's 13, comm, cgroups, flags, uid, gid, vtid, vpid */
static __always_inline int exit_clone(__u16 type, long ret, __u32 flags)
{
	struct scratch *s = scratch_get(type);
	struct task_struct *t = current_task();

	if (!s)
		return 0;
	ev_begin(s, type, PPME_SYSCALL_CLONE_20_X_NPARAMS);
	put_proc_common(s, t, ret);
	put_str_kernel(s, t->comm, 16);
	put_cgroups(s, t);
	put_u32(s, flags);
	put_u32(s, t->cred->uid.val);
	put_u32(s, t->cred->gid.val);
	put_u64(s, pid_nr_ns(BPF_CORE_READ(t, thread_pid)));
	put_u64(s, pid_nr_ns(BPF_CORE_READ(t, group_leader, thread_pid)));
	ev_submit(s);
	return 0;
}

/* clone, fork, vfork, clone3 exits */
EXIT_FILLER_OF(clone, PPME_SYSCALL_CLONE_20_X, PPME_SYSCALL_FORK_20_X, PPME_SYSCALL_VFORK_20_X,
               PPME_SYSCALL_CLONE3_X)
{
	__u16 type = routed_code(true);
	__u64 flags = 0;

	if (type == PPME_SYSCALL_CLONE_20_X) {
		flags = linux_to_ppm_clone(arg(regs, 0));
	} else if (type == PPME_SYSCALL_VFORK_20_X) {
		flags = 0x8000000 | 0x8000; /* VFORK | VM */
	} else if (type == PPME_SYSCALL_CLONE3_X) {
		bpf_probe_read_user(&flags, sizeof(flags), (void *)arg(regs, 0)); /* clone_args.flags */
		flags = linux_to_ppm_clone(flags);
	}
	return exit_clone(type, ret, flags);
}

ENTER_FILLER(PPME_SYSCALL_UNSHARE_E)
{
	struct scratch *s = scratch_get(type);

	if (!s)
		return 0;
	ev_begin(s, type, nparams);
	/* Parameter 1: flags (FLAGS32) */
	put_u32(s, linux_to_ppm_clone(arg(regs, 0)));
	ev_submit(s);
	return 0;
}

/* ---- exit ---- */

/* A thread ends: procexit with its wait status. */
SEC("tp_btf/sched_process_exit")
int BPF_PROG(sched_process_exit, struct task_struct *p)
{
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	struct scratch *s;
	__s64 code;

	if (ignored(pid_tgid))
		return 0;
	s = scratch_get(PPME_PROCEXIT_1_E);
	if (!s)
		return 0;
	code = BPF_CORE_READ(p, exit_code);
	ev_stamp(s, pid_tgid);
	ev_begin(s, PPME_PROCEXIT_1_E, PPME_PROCEXIT_1_E_NPARAMS);
	/* Parameter 1: status (ERRNO) */
	put_u64(s, code);
	/* Parameter 2: ret (ERRNO) */
	put_u64(s, (code >> 8) & 0xff);
	/* Parameter 3: sig (SIGTYPE) */
	put_u8(s, code & 0x7f);
	/* Parameter 4: core (UINT8) */
	put_u8(s, (code & 0x80) != 0);
	ev_submit(s);
	/* the last thread of the process: it leaves the scope */
	if (scope_set && BPF_CORE_READ(p, signal, live.counter) == 0) {
		__u32 tgid = BPF_CORE_READ(p, tgid);

		bpf_map_delete_elem(&scope_pids, &tgid);
	}
	return 0;
}
