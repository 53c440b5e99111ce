// SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only)
/*
 * sysrec.bpf.c: system calls into .scap events, written in the kernel.
 *
 * Two dispatchers hang on the raw syscall tracepoints. Each looks the syscall
 * up in `routes` (filled by userspace from sysdig's syscall table). Events of
 * a common shape (no parameters, an fd, fd and size, the result, the result
 * and I/O data, the generic pair) the dispatcher writes itself, straight into
 * reserved ring space. For the others it stamps a per-CPU scratch buffer
 * (time, thread, event code) and tail-calls the filler of the event code,
 * which appends the parameters in the order and encoding of the event table
 * (docs/scap-format.md) and submits the event to the ring buffer; some
 * fillers serve several codes alike. Syscalls with neither go to the generic
 * pair.
 */
#include "vmlinux.h"

#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "sysrec_bpf.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

/* Set by the loader before load. */
const volatile __u32 self_tgid;     /* never record ourselves */
const volatile __u32 scope_tgid;    /* 0: every process; else only this one */
const volatile __u32 scope_set;     /* only the processes in scope_pids (--container) */
const volatile __u32 snaplen = 80;  /* bytes of I/O data kept */
const volatile __u64 boot_to_epoch; /* add to boot-time ns to get epoch ns */
/* the kernel's BTF ids of these types, for bpf_rdonly_cast() (relocations may use a smaller BTF) */
/*
 * Benchmarks only (bench/record.sh, the recording floor): 1 = the dispatchers
 * return at once; 2 = they write each event as its bare header (time, thread,
 * code, no parameters). Such a capture is not a valid one.
 */
const volatile __u32 floor_mode;
const volatile __u32 btf_task_struct;
const volatile __u32 btf_file;

#define PRE          sizeof(struct sysrec_rec_head)
#define SCRATCH      (SYSREC_MAX_EVENT * 2)
#define OFF(x)       ((x) & (SYSREC_MAX_EVENT - 1)) /* a bounded offset for the verifier */
#define MAX_STR      4096
#define MAX_ARGS_BUF 4096 /* argv, env and cgroups lists */

struct scratch {
	__u32 pos;     /* next value byte, from data[0] */
	__u32 nparams; /* declared */
	__u32 arg;     /* parameters written */
	__u32 code;    /* the event code, set by the dispatcher for fillers serving several */
	__u8 data[SCRATCH];
};

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 8 << 20); /* set by the loader */
} rb SEC(".maps");

/* How each native syscall is recorded: set by the loader before load (no map updates at start). */
struct sysrec_route routes[SYSREC_NATIVE_MAX];

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct sysrec_stats);
} stats SEC(".maps");

/*
 * --container: the processes recorded (tgid -> 1), seeded by the loader and
 * followed through forks, exits and moves into the container's cgroups
 * (their kernfs ids in scope_cgroups).
 */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 65536);
	__uint(map_flags, BPF_F_NO_PREALLOC); /* allocated as used: nothing to set up at start */
	__type(key, __u32);
	__type(value, __u8);
} scope_pids SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, __u64);
	__type(value, __u8);
} scope_cgroups SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, SYSREC_SCRATCH_SLOTS); /* per possible CPU, set by the loader */
	__type(key, __u32);
	__type(value, struct scratch);
} scratch SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PROG_ARRAY);
	__uint(max_entries, SYSREC_EVENT_MAX);
	__type(key, __u32);
	__type(value, __u32);
} enter_tail SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PROG_ARRAY);
	__uint(max_entries, SYSREC_EVENT_MAX);
	__type(key, __u32);
	__type(value, __u32);
} exit_tail SEC(".maps");

/* ---- the event being built ---- */

/*
 * Stores at any byte offset. The event layout packs values unaligned, and
 * clang splits an unaligned store into byte stores (8 of them, plus shifts,
 * for a u64); x86 stores unaligned data natively and the verifier allows it
 * (no strict alignment), so each is written as the single instruction.
 */
static __always_inline void st16(void *p, __u16 v)
{
	asm volatile("*(u16 *)(%[p] + 0) = %[v]" ::[p] "r"(p), [v] "r"(v) : "memory");
}

static __always_inline void st32(void *p, __u32 v)
{
	asm volatile("*(u32 *)(%[p] + 0) = %[v]" ::[p] "r"(p), [v] "r"(v) : "memory");
}

static __always_inline void st64(void *p, __u64 v)
{
	asm volatile("*(u64 *)(%[p] + 0) = %[v]" ::[p] "r"(p), [v] "r"(v) : "memory");
}

/*
 * The scratch buffer for an event of this type. Since Linux 6.14 the syscall
 * tracepoints are preemptible: a task can be switched out in the middle of
 * building an event, and another task on the same CPU can start one. The
 * kernel never runs one program twice at once on a CPU, so each program kind
 * gets its own buffer per CPU: enters (even codes), exits (odd) and procexit.
 */
static __always_inline struct scratch *scratch_get(__u16 type)
{
	__u32 slot = bpf_get_smp_processor_id() * SYSREC_SCRATCH_SLOTS;

	slot += type == PPME_PROCEXIT_1_E ? 2 : type & 1;
	return bpf_map_lookup_elem(&scratch, &slot);
}

/*
 * The event's time and thread, taken once by the dispatcher (which needs the
 * thread anyway) before the tail call: the filler finds them in its scratch.
 */
static __always_inline void ev_stamp(struct scratch *s, __u64 pid_tgid)
{
	__u8 *h = &s->data[PRE];

	st64(h, bpf_ktime_get_boot_ns() + boot_to_epoch);
	st64(h + 8, pid_tgid & 0xffffffff);
}

/* Start an event of this type in a stamped scratch buffer. */
static __always_inline void ev_begin(struct scratch *s, __u16 type, __u32 nparams)
{
	__u8 *h = &s->data[PRE];

	s->nparams = nparams;
	s->arg = 0;
	s->pos = PRE + SYSREC_EVT_HDR + nparams * 2;
	st16(h + 20, type);
	st32(h + 22, nparams);
}

/* Record that the next parameter took n bytes. */
static __always_inline void ev_param_len(struct scratch *s, __u32 n)
{
	__u16 l = n;
	__u32 at = PRE + SYSREC_EVT_HDR + s->arg * 2;

	st16(&s->data[OFF(at)], l);
	s->arg++;
	s->pos += n;
}

static __always_inline void put_u8(struct scratch *s, __u8 v)
{
	s->data[OFF(s->pos)] = v;
	ev_param_len(s, 1);
}

static __always_inline void put_u16(struct scratch *s, __u16 v)
{
	st16(&s->data[OFF(s->pos)], v);
	ev_param_len(s, 2);
}

static __always_inline void put_u32(struct scratch *s, __u32 v)
{
	st32(&s->data[OFF(s->pos)], v);
	ev_param_len(s, 4);
}

static __always_inline void put_u64(struct scratch *s, __u64 v)
{
	st64(&s->data[OFF(s->pos)], v);
	ev_param_len(s, 8);
}

static __always_inline void put_empty(struct scratch *s)
{
	ev_param_len(s, 0);
}

/*
 * A NUL-terminated user string. When it cannot be read (its page not yet
 * faulted in at syscall entry, or a bad pointer) the parameter says "<NA>":
 * sysdig renders an empty path parameter with stale text from another one.
 */
static __always_inline void put_str_user(struct scratch *s, const void *p)
{
	long n = bpf_probe_read_user_str(&s->data[OFF(s->pos)], MAX_STR, p);

	if (n <= 0) {
		__builtin_memcpy(&s->data[OFF(s->pos)], "<NA>", 5);
		n = 5;
	}
	ev_param_len(s, n);
}

static __always_inline void put_str_kernel(struct scratch *s, const void *p, __u32 max)
{
	long n = bpf_probe_read_kernel_str(&s->data[OFF(s->pos)], max & (MAX_STR - 1), p);

	ev_param_len(s, n > 0 ? n : 0);
}

/*
 * n capped at max (a power of two) in a form the verifier can follow: the
 * barrier keeps the compiler from moving the mask away from the use.
 */
static __always_inline __u32 bound(__u32 n, __u32 max)
{
	if (n > max)
		n = max;
	barrier_var(n);
	return n & (2 * max - 1);
}

/* Up to snaplen bytes of a user buffer of len bytes. */
static __always_inline void put_buf_user(struct scratch *s, const void *p, __s64 len)
{
	__u32 n = len < 0 ? 0 : len > snaplen ? snaplen : len;

	n = bound(n, SYSREC_MAX_SNAPLEN);
	if (n && bpf_probe_read_user(&s->data[OFF(s->pos)], n, p))
		n = 0;
	ev_param_len(s, n);
}

/* A user memory range [start, end) capped at MAX_ARGS_BUF (argv, env). */
static __always_inline void put_range_user(struct scratch *s, unsigned long start, unsigned long end)
{
	__u32 n = bound(end > start ? end - start : 0, MAX_ARGS_BUF);

	if (n && bpf_probe_read_user(&s->data[OFF(s->pos)], n, (void *)start))
		n = 0;
	ev_param_len(s, n);
}

/* Count one lost event (ring full or too big) to be told in the ring later. */
static __always_inline void ev_lost(struct sysrec_stats *st, __u64 ts, __u64 tid, bool big)
{
	if (big)
		__sync_fetch_and_add(&st->drops_big, 1);
	else
		__sync_fetch_and_add(&st->drops_ring, 1);
	if (!st->pend_ring && !st->pend_big) {
		st->pend_first_ts = ts;
		st->pend_tid = tid;
	}
	st->pend_last_ts = ts;
	if (big)
		__sync_fetch_and_add(&st->pend_big, 1);
	else
		__sync_fetch_and_add(&st->pend_ring, 1);
}

/* The time and thread a scratch event was stamped with. */
static __always_inline void ev_lost_scratch(struct sysrec_stats *st, struct scratch *s, bool big)
{
	__u64 ts, tid;

	__builtin_memcpy(&ts, &s->data[PRE], 8);
	__builtin_memcpy(&tid, &s->data[PRE + 8], 8);
	ev_lost(st, ts, tid, big);
}

/* Tell the losses gathered on this CPU, ahead of the event about to be written. */
static __always_inline void ev_tell_losses(struct sysrec_stats *st)
{
	struct {
		struct sysrec_rec_head h;
		struct sysrec_drops d;
	} r;

	r.h.cpu = bpf_get_smp_processor_id();
	r.h.flags = SYSREC_REC_DROPS;
	r.h.len = sizeof(r.d);
	r.d.first_ts = st->pend_first_ts;
	r.d.last_ts = st->pend_last_ts;
	r.d.tid = st->pend_tid;
	r.d.ring = st->pend_ring;
	r.d.big = st->pend_big;
	if (bpf_ringbuf_output(&rb, &r, sizeof(r), BPF_RB_NO_WAKEUP) == 0) {
		__sync_fetch_and_sub(&st->pend_ring, r.d.ring);
		__sync_fetch_and_sub(&st->pend_big, r.d.big);
	}
}

static __always_inline void ev_submit(struct scratch *s)
{
	__u32 key = 0, len = s->pos - PRE;
	struct sysrec_stats *st = bpf_map_lookup_elem(&stats, &key);
	struct sysrec_rec_head head = { .cpu = bpf_get_smp_processor_id(), .len = len };

	if (!st)
		return;
	if (s->arg != s->nparams) {
		__sync_fetch_and_add(&st->bad_params, 1);
		return;
	}
	if (len > SYSREC_MAX_EVENT - PRE) {
		ev_lost_scratch(st, s, true);
		return;
	}
	if (st->pend_ring || st->pend_big)
		ev_tell_losses(st);
	st32(&s->data[PRE + 16], len);
	__builtin_memcpy(s->data, &head, sizeof(head));
	if (bpf_ringbuf_output(&rb, s->data, (len + PRE) & (SYSREC_MAX_EVENT - 1), BPF_RB_NO_WAKEUP))
		ev_lost_scratch(st, s, false);
	else
		st->events++; /* a statistic: a rare lost update under preemption is harmless */
}

static __always_inline bool ignored(__u64 pid_tgid)
{
	__u32 tgid = pid_tgid >> 32;

	if (tgid == self_tgid || (scope_tgid && tgid != scope_tgid))
		return true;
	return scope_set && !bpf_map_lookup_elem(&scope_pids, &tgid);
}

/* --container: a child of a process in scope is in scope. */
SEC("tp_btf/sched_process_fork")
int BPF_PROG(scope_fork, struct task_struct *parent, struct task_struct *child)
{
	__u32 ptgid = BPF_CORE_READ(parent, tgid), ctgid = BPF_CORE_READ(child, tgid);
	__u8 one = 1;

	if (scope_set && ptgid != ctgid && bpf_map_lookup_elem(&scope_pids, &ptgid))
		bpf_map_update_elem(&scope_pids, &ctgid, &one, BPF_ANY);
	return 0;
}

/* --container: a process moved into one of the container's cgroups (docker exec) is in scope. */
SEC("tp_btf/cgroup_attach_task")
int BPF_PROG(scope_attach, struct cgroup *dst, const char *path, struct task_struct *task, bool tg)
{
	__u64 id = BPF_CORE_READ(dst, kn, id);
	__u32 tgid = BPF_CORE_READ(task, tgid);
	__u8 one = 1;

	if (scope_set && bpf_map_lookup_elem(&scope_cgroups, &id))
		bpf_map_update_elem(&scope_pids, &tgid, &one, BPF_ANY);
	return 0;
}

/* ---- syscall arguments ---- */

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

/* ---- events the dispatchers write themselves ---- */

/*
 * The shapes of the events written without a filler program (see
 * SYSREC_SHAPE_*), by event code; the loader routes syscalls by them.
 */
const volatile __u8 shapes[SYSREC_EVENT_MAX] = {
	[PPME_SYSCALL_CLOSE_E] = SYSREC_SHAPE_FD,           /* close */
	[PPME_SYSCALL_CLOSE_X] = SYSREC_SHAPE_RES,          /* close */
	[PPME_SYSCALL_READ_E] = SYSREC_SHAPE_FD_SIZE,       /* read */
	[PPME_SYSCALL_READ_X] = SYSREC_SHAPE_RES_READ,      /* read */
	[PPME_SYSCALL_WRITE_E] = SYSREC_SHAPE_FD_SIZE,      /* write */
	[PPME_SYSCALL_WRITE_X] = SYSREC_SHAPE_RES_WRITE,    /* write */
	[PPME_SOCKET_SOCKET_X] = SYSREC_SHAPE_RES,          /* socket */
	[PPME_SOCKET_BIND_E] = SYSREC_SHAPE_FD,             /* bind */
	[PPME_SOCKET_LISTEN_X] = SYSREC_SHAPE_RES,          /* listen */
	[PPME_SOCKET_SENDTO_X] = SYSREC_SHAPE_RES_WRITE,    /* sendto */
	[PPME_SOCKET_RECVFROM_E] = SYSREC_SHAPE_FD_SIZE,    /* recvfrom */
	[PPME_SOCKET_SHUTDOWN_X] = SYSREC_SHAPE_RES,        /* shutdown */
	[PPME_SOCKET_SETSOCKOPT_E] = SYSREC_SHAPE_EMPTY,    /* setsockopt */
	[PPME_SOCKET_GETSOCKOPT_E] = SYSREC_SHAPE_EMPTY,    /* getsockopt */
	[PPME_SOCKET_RECVMSG_E] = SYSREC_SHAPE_FD,          /* recvmsg */
	[PPME_SYSCALL_PIPE_E] = SYSREC_SHAPE_EMPTY,         /* pipe */
	[PPME_SYSCALL_EVENTFD_X] = SYSREC_SHAPE_RES,        /* eventfd */
	[PPME_SYSCALL_FUTEX_X] = SYSREC_SHAPE_RES,          /* futex */
	[PPME_SYSCALL_STAT_E] = SYSREC_SHAPE_EMPTY,         /* stat */
	[PPME_SYSCALL_LSTAT_E] = SYSREC_SHAPE_EMPTY,        /* lstat */
	[PPME_SYSCALL_FSTAT_E] = SYSREC_SHAPE_FD,           /* fstat */
	[PPME_SYSCALL_FSTAT_X] = SYSREC_SHAPE_RES,          /* fstat */
	[PPME_SYSCALL_EPOLLWAIT_X] = SYSREC_SHAPE_RES,      /* epoll_wait */
	[PPME_SYSCALL_SELECT_E] = SYSREC_SHAPE_EMPTY,       /* select */
	[PPME_SYSCALL_SELECT_X] = SYSREC_SHAPE_RES,         /* select */
	[PPME_SYSCALL_LSEEK_X] = SYSREC_SHAPE_RES,          /* lseek */
	[PPME_SYSCALL_CHDIR_E] = SYSREC_SHAPE_EMPTY,        /* chdir */
	[PPME_SYSCALL_FCHDIR_E] = SYSREC_SHAPE_FD,          /* fchdir */
	[PPME_SYSCALL_FCHDIR_X] = SYSREC_SHAPE_RES,         /* fchdir */
	[PPME_SYSCALL_PREAD_X] = SYSREC_SHAPE_RES_READ,     /* pread */
	[PPME_SYSCALL_PWRITE_X] = SYSREC_SHAPE_RES_WRITE,   /* pwrite */
	[PPME_SYSCALL_READV_E] = SYSREC_SHAPE_FD,           /* readv */
	[PPME_SYSCALL_DUP_E] = SYSREC_SHAPE_FD,             /* dup */
	[PPME_SYSCALL_DUP_X] = SYSREC_SHAPE_RES,            /* dup */
	[PPME_SYSCALL_SIGNALFD_X] = SYSREC_SHAPE_RES,       /* signalfd */
	[PPME_SYSCALL_KILL_X] = SYSREC_SHAPE_RES,           /* kill */
	[PPME_SYSCALL_TKILL_X] = SYSREC_SHAPE_RES,          /* tkill */
	[PPME_SYSCALL_TGKILL_X] = SYSREC_SHAPE_RES,         /* tgkill */
	[PPME_SYSCALL_NANOSLEEP_X] = SYSREC_SHAPE_RES,      /* nanosleep */
	[PPME_SYSCALL_TIMERFD_CREATE_X] = SYSREC_SHAPE_RES, /* timerfd_create */
	[PPME_SYSCALL_INOTIFY_INIT_X] = SYSREC_SHAPE_RES,   /* inotify_init */
	[PPME_SYSCALL_FCNTL_X] = SYSREC_SHAPE_RES,          /* fcntl */
	[PPME_SYSCALL_IOCTL_3_X] = SYSREC_SHAPE_RES,        /* ioctl */
	[PPME_SYSCALL_RENAME_E] = SYSREC_SHAPE_EMPTY,       /* rename */
	[PPME_SYSCALL_RENAMEAT_E] = SYSREC_SHAPE_EMPTY,     /* renameat */
	[PPME_SYSCALL_SYMLINK_E] = SYSREC_SHAPE_EMPTY,      /* symlink */
	[PPME_SYSCALL_SYMLINKAT_E] = SYSREC_SHAPE_EMPTY,    /* symlinkat */
	[PPME_SYSCALL_SETRESUID_X] = SYSREC_SHAPE_RES,      /* setresuid */
	[PPME_SYSCALL_SETRESGID_X] = SYSREC_SHAPE_RES,      /* setresgid */
	[PPME_SYSCALL_SETUID_X] = SYSREC_SHAPE_RES,         /* setuid */
	[PPME_SYSCALL_SETGID_X] = SYSREC_SHAPE_RES,         /* setgid */
	[PPME_SYSCALL_GETUID_E] = SYSREC_SHAPE_EMPTY,       /* getuid */
	[PPME_SYSCALL_GETUID_X] = SYSREC_SHAPE_ID,          /* getuid */
	[PPME_SYSCALL_GETEUID_E] = SYSREC_SHAPE_EMPTY,      /* geteuid */
	[PPME_SYSCALL_GETEUID_X] = SYSREC_SHAPE_ID,         /* geteuid */
	[PPME_SYSCALL_GETGID_E] = SYSREC_SHAPE_EMPTY,       /* getgid */
	[PPME_SYSCALL_GETGID_X] = SYSREC_SHAPE_ID,          /* getgid */
	[PPME_SYSCALL_GETEGID_E] = SYSREC_SHAPE_EMPTY,      /* getegid */
	[PPME_SYSCALL_GETEGID_X] = SYSREC_SHAPE_ID,         /* getegid */
	[PPME_SYSCALL_GETRESUID_E] = SYSREC_SHAPE_EMPTY,    /* getresuid */
	[PPME_SYSCALL_GETRESGID_E] = SYSREC_SHAPE_EMPTY,    /* getresgid */
	[PPME_SYSCALL_CLONE_20_E] = SYSREC_SHAPE_EMPTY,     /* clone */
	[PPME_SYSCALL_FORK_20_E] = SYSREC_SHAPE_EMPTY,      /* fork */
	[PPME_SYSCALL_VFORK_20_E] = SYSREC_SHAPE_EMPTY,     /* vfork */
	[PPME_SYSCALL_GETDENTS_E] = SYSREC_SHAPE_FD,        /* getdents */
	[PPME_SYSCALL_GETDENTS_X] = SYSREC_SHAPE_RES,       /* getdents */
	[PPME_SYSCALL_GETDENTS64_E] = SYSREC_SHAPE_FD,      /* getdents64 */
	[PPME_SYSCALL_GETDENTS64_X] = SYSREC_SHAPE_RES,     /* getdents64 */
	[PPME_SYSCALL_SETNS_X] = SYSREC_SHAPE_RES,          /* setns */
	[PPME_SYSCALL_FLOCK_X] = SYSREC_SHAPE_RES,          /* flock */
	[PPME_SOCKET_ACCEPT_5_E] = SYSREC_SHAPE_EMPTY,      /* accept */
	[PPME_SYSCALL_CHROOT_E] = SYSREC_SHAPE_EMPTY,       /* chroot */
	[PPME_SYSCALL_SETSID_E] = SYSREC_SHAPE_EMPTY,       /* setsid */
	[PPME_SYSCALL_SETSID_X] = SYSREC_SHAPE_RES,         /* setsid */
	[PPME_SYSCALL_RMDIR_2_E] = SYSREC_SHAPE_EMPTY,      /* rmdir */
	[PPME_SYSCALL_UNSHARE_X] = SYSREC_SHAPE_RES,        /* unshare */
	[PPME_SYSCALL_SETPGID_X] = SYSREC_SHAPE_RES,        /* setpgid */
	[PPME_SYSCALL_UNLINK_2_E] = SYSREC_SHAPE_EMPTY,     /* unlink */
	[PPME_SYSCALL_UNLINKAT_2_E] = SYSREC_SHAPE_EMPTY,   /* unlinkat */
	[PPME_SYSCALL_MKDIRAT_E] = SYSREC_SHAPE_EMPTY,      /* mkdirat */
	[PPME_SYSCALL_LINK_2_E] = SYSREC_SHAPE_EMPTY,       /* link */
	[PPME_SYSCALL_LINKAT_2_E] = SYSREC_SHAPE_EMPTY,     /* linkat */
	[PPME_SYSCALL_FCHMODAT_E] = SYSREC_SHAPE_EMPTY,     /* fchmodat */
	[PPME_SYSCALL_CHMOD_E] = SYSREC_SHAPE_EMPTY,        /* chmod */
	[PPME_SYSCALL_FCHMOD_E] = SYSREC_SHAPE_EMPTY,       /* fchmod */
	[PPME_SYSCALL_RENAMEAT2_E] = SYSREC_SHAPE_EMPTY,    /* renameat2 */
	[PPME_SYSCALL_MPROTECT_X] = SYSREC_SHAPE_RES,       /* mprotect */
	[PPME_SYSCALL_CLONE3_E] = SYSREC_SHAPE_EMPTY,       /* clone3 */
};

/*
 * Reserve ring space for an event of at most size bytes (a constant) and
 * write its record head and event header. NULL when the ring is full: the
 * loss is counted, to be told in the ring before the next event that fits.
 */
static __always_inline __u8 *ring_begin(struct sysrec_stats *st, __u32 size, __u64 ts, __u64 tid, __u16 type,
                                        __u32 nparams)
{
	__u8 *p;

	if (st->pend_ring || st->pend_big)
		ev_tell_losses(st);
	p = bpf_ringbuf_reserve(&rb, PRE + size, 0);
	if (!p) {
		ev_lost(st, ts, tid, false);
		return NULL;
	}
	st16(p, bpf_get_smp_processor_id());
	st16(p + 2, SYSREC_REC_EVENT);
	st32(p + 4, size);
	st64(p + PRE, ts);
	st64(p + PRE + 8, tid);
	st32(p + PRE + 16, size);
	st16(p + PRE + 20, type);
	st32(p + PRE + 22, nparams);
	return p;
}

static __always_inline void ring_end(struct sysrec_stats *st, __u8 *p)
{
	bpf_ringbuf_submit(p, BPF_RB_NO_WAKEUP);
	st->events++;
}

/* One u16 length, then a u64 or u32 value: the shapes with a single parameter. */
static __always_inline void ring_one(struct sysrec_stats *st, __u64 ts, __u64 tid, __u16 type, __u64 v,
                                     bool wide)
{
	__u8 *p;

	if (wide) {
		p = ring_begin(st, SYSREC_EVT_HDR + 2 + 8, ts, tid, type, 1);
		if (!p)
			return;
		st16(p + PRE + SYSREC_EVT_HDR, 8);
		st64(p + PRE + SYSREC_EVT_HDR + 2, v);
	} else {
		p = ring_begin(st, SYSREC_EVT_HDR + 2 + 4, ts, tid, type, 1);
		if (!p)
			return;
		st16(p + PRE + SYSREC_EVT_HDR, 4);
		st32(p + PRE + SYSREC_EVT_HDR + 2, v);
	}
	ring_end(st, p);
}

/*
 * res and up to snaplen bytes of the buffer in the second argument (read,
 * write, recv, send exits). The ring space is reserved for a full snaplen
 * (the loader routes here only when snaplen <= SYSREC_SHAPE_SNAPLEN); the
 * record's length says what was used.
 */
static __always_inline void ring_res_data(struct sysrec_stats *st, __u64 ts, __u64 tid, __u16 type,
                                          struct pt_regs *regs, long ret, bool is_read)
{
	__s64 len = is_read ? ret : ret < 0 ? (__s64)arg(regs, 2) : ret;
	__u64 n = len < 0 ? 0 : len, max = snaplen;
	__u8 *p;

	p = ring_begin(st, SYSREC_EVT_HDR + 12 + snaplen, ts, tid, type, 2);
	if (!p)
		return;
	/* n = min(n, snaplen), in a form the verifier follows (snaplen is a known constant) */
	asm volatile("if %[n] <= %[max] goto +1; %[n] = %[max]" : [n] "+r"(n) : [max] "r"(max));
	if (n && bpf_probe_read_user(p + PRE + SYSREC_EVT_HDR + 12, n, (void *)arg(regs, 1)))
		n = 0;
	st32(p + 4, SYSREC_EVT_HDR + 12 + n);
	st32(p + PRE + 16, SYSREC_EVT_HDR + 12 + n);
	st16(p + PRE + SYSREC_EVT_HDR, 8);
	st16(p + PRE + SYSREC_EVT_HDR + 2, n);
	st64(p + PRE + SYSREC_EVT_HDR + 4, ret);
	ring_end(st, p);
}

/* Write an enter (exit: ret valid) event of a dispatcher-written shape. */
static __always_inline void ring_shaped(struct pt_regs *regs, long ret, const struct sysrec_route *r,
                                        __u64 pid_tgid, __u32 nr, bool exit)
{
	__u64 ts = bpf_ktime_get_boot_ns() + boot_to_epoch, tid = pid_tgid & 0xffffffff;
	__u8 shape = exit ? r->shapes >> 4 : r->shapes & 15;
	__u16 type = exit ? r->exit : r->enter;
	struct sysrec_stats *st;
	__u32 key = 0;
	__u8 *p;

	st = bpf_map_lookup_elem(&stats, &key);
	if (!st)
		return;
	switch (shape) {
	case SYSREC_SHAPE_GENERIC:
		if (exit) {
			p = ring_begin(st, SYSREC_EVT_HDR + 2 + 2, ts, tid, PPME_GENERIC_X,
			               PPME_GENERIC_X_NPARAMS);
			if (!p)
				return;
			st16(p + PRE + SYSREC_EVT_HDR, 2);
			st16(p + PRE + SYSREC_EVT_HDR + 2, r->ppm_sc);
		} else {
			p = ring_begin(st, SYSREC_EVT_HDR + 4 + 4, ts, tid, PPME_GENERIC_E,
			               PPME_GENERIC_E_NPARAMS);
			if (!p)
				return;
			st32(p + PRE + SYSREC_EVT_HDR, 2 | 2 << 16);
			st16(p + PRE + SYSREC_EVT_HDR + 4, r->ppm_sc);
			st16(p + PRE + SYSREC_EVT_HDR + 6, nr);
		}
		ring_end(st, p);
		return;
	case SYSREC_SHAPE_EMPTY:
		p = ring_begin(st, SYSREC_EVT_HDR, ts, tid, type, 0);
		if (p)
			ring_end(st, p);
		return;
	case SYSREC_SHAPE_FD:
		ring_one(st, ts, tid, type, (__s64)(int)arg(regs, 0), true);
		return;
	case SYSREC_SHAPE_FD_SIZE:
		p = ring_begin(st, SYSREC_EVT_HDR + 4 + 12, ts, tid, type, 2);
		if (!p)
			return;
		st32(p + PRE + SYSREC_EVT_HDR, 8 | 4 << 16);
		st64(p + PRE + SYSREC_EVT_HDR + 4, (__s64)(int)arg(regs, 0));
		st32(p + PRE + SYSREC_EVT_HDR + 12, arg(regs, 2));
		ring_end(st, p);
		return;
	case SYSREC_SHAPE_RES:
		ring_one(st, ts, tid, type, ret, true);
		return;
	case SYSREC_SHAPE_ID:
		ring_one(st, ts, tid, type, ret, false);
		return;
	case SYSREC_SHAPE_RES_READ:
		ring_res_data(st, ts, tid, type, regs, ret, true);
		return;
	case SYSREC_SHAPE_RES_WRITE:
		ring_res_data(st, ts, tid, type, regs, ret, false);
		return;
	}
}

/* ---- dispatchers ---- */

/* The benchmarks' bare event (floor_mode 2): the header alone. */
static __always_inline void ring_bare(__u16 type, __u64 pid_tgid)
{
	__u64 ts = bpf_ktime_get_boot_ns() + boot_to_epoch;
	struct sysrec_stats *st;
	__u32 key = 0;
	__u8 *p;

	st = bpf_map_lookup_elem(&stats, &key);
	if (!st)
		return;
	p = ring_begin(st, SYSREC_EVT_HDR, ts, pid_tgid & 0xffffffff, type, 0);
	if (p)
		ring_end(st, p);
}

/*
 * Each looks the syscall up in routes: a shaped event it writes itself, any
 * other goes to its filler with the scratch buffer stamped (time, thread).
 */
SEC("tp_btf/sys_enter")
int BPF_PROG(sys_enter, struct pt_regs *regs, long id)
{
	__u64 pid_tgid;
	struct sysrec_route *r;
	struct scratch *s;
	__u32 nr = id;

	if (floor_mode == 1)
		return 0;
	pid_tgid = bpf_get_current_pid_tgid();
	if (id < 0 || id >= SYSREC_NATIVE_MAX || ignored(pid_tgid))
		return 0;
	r = &routes[nr & (SYSREC_NATIVE_MAX - 1)];
	if (!r->on)
		return 0;
	if (floor_mode == 2) {
		ring_bare(r->enter, pid_tgid);
		return 0;
	}
	if (r->shapes & 15) {
		ring_shaped(regs, 0, r, pid_tgid, nr, false);
		return 0;
	}
	s = scratch_get(r->enter);
	if (!s)
		return 0;
	ev_stamp(s, pid_tgid);
	s->code = r->enter;
	bpf_tail_call(ctx, &enter_tail, r->enter);
	return 0;
}

SEC("tp_btf/sys_exit")
int BPF_PROG(sys_exit, struct pt_regs *regs, long ret)
{
	__u64 pid_tgid;
	struct sysrec_route *r;
	struct scratch *s;
	__u32 nr;

	if (floor_mode == 1)
		return 0;
	pid_tgid = bpf_get_current_pid_tgid();
	nr = regs->orig_ax;
	if (nr >= SYSREC_NATIVE_MAX || ignored(pid_tgid))
		return 0;
	r = &routes[nr & (SYSREC_NATIVE_MAX - 1)];
	if (!r->on)
		return 0;
	if (floor_mode == 2) {
		ring_bare(r->exit, pid_tgid);
		return 0;
	}
	if (r->shapes >> 4) {
		ring_shaped(regs, ret, r, pid_tgid, nr, true);
		return 0;
	}
	s = scratch_get(r->exit);
	if (!s)
		return 0;
	ev_stamp(s, pid_tgid);
	s->code = r->exit;
	bpf_tail_call(ctx, &exit_tail, r->exit);
	return 0;
}

/* ---- translations to the portable codes (docs/scap-format.md section 10) ---- */

static __always_inline __u32 open_mode(__u32 flags, __u32 mode)
{
	return (flags & 0100) || (flags & 020200000) == 020200000 ? mode & 07777 : 0;
}

/* mmap/mprotect prot: PPM_PROT_* (READ/WRITE/EXEC/SEM keep their bits) */
static __always_inline __u32 linux_to_ppm_prot(__u32 p)
{
	__u32 r = p & 0xf;

	r |= p & 0x01000000 ? 0x10 : 0; /* GROWSDOWN */
	r |= p & 0x02000000 ? 0x20 : 0; /* GROWSUP */
	return r;
}

/* mmap flags: PPM_MAP_* */
static __always_inline __u32 linux_to_ppm_mmap(__u32 f)
{
	__u32 r = f & 3; /* SHARED, PRIVATE */

	r |= f & 0x10 ? 0x4 : 0;      /* FIXED */
	r |= f & 0x20 ? 0x8 : 0;      /* ANONYMOUS */
	r |= f & 0x40 ? 0x10 : 0;     /* 32BIT */
	r |= f & 0x4000 ? 0x40 : 0;   /* NORESERVE */
	r |= f & 0x8000 ? 0x80 : 0;   /* POPULATE */
	r |= f & 0x10000 ? 0x100 : 0; /* NONBLOCK */
	r |= f & 0x100 ? 0x200 : 0;   /* GROWSDOWN */
	r |= f & 0x800 ? 0x400 : 0;   /* DENYWRITE */
	r |= f & 0x1000 ? 0x800 : 0;  /* EXECUTABLE */
	r |= f & 0x2000 ? 0x4000 : 0; /* LOCKED */
	return r;
}

/* futex op: the command (0-12 keep their numbers) and the PRIVATE/CLOCK_REALTIME bits */
static __always_inline __u16 linux_to_ppm_futex(__u32 op)
{
	return ((op & 0x7f) <= 12 ? op & 0x7f : 0) | (op & 0x180);
}

/* ptrace requests below 34, then PTRACE_SETOPTIONS (0x4200) and on: PPM_PTRACE_* */
static const __u8 ptrace_low[34] = { 1,  2,  3,  4, 5,  6, 7, 8,  9,  10, 0, 0, 26, 27, 28, 29, 11,
	                             12, 30, 31, 0, 32, 0, 0, 13, 33, 34, 0, 0, 0,  35, 36, 37, 38 };

static __always_inline __u16 linux_to_ppm_ptrace(__u64 req)
{
	if (req < 34)
		return ptrace_low[req];
	return req >= 0x4200 && req <= 0x420b ? 14 + (req - 0x4200) : 0;
}

/* openat2 resolve: PPM_RESOLVE_* */
static __always_inline __u32 linux_to_ppm_resolve(__u64 v)
{
	__u32 r = v & 0x20; /* CACHED */

	r |= v & 0x01 ? 0x10 : 0; /* NO_XDEV */
	r |= v & 0x02 ? 0x04 : 0; /* NO_MAGICLINKS */
	r |= v & 0x04 ? 0x08 : 0; /* NO_SYMLINKS */
	r |= v & 0x08 ? 0x01 : 0; /* BENEATH */
	r |= v & 0x10 ? 0x02 : 0; /* IN_ROOT */
	return r;
}

/* poll events: PPM_POLL* */
static __always_inline __u16 linux_to_ppm_poll(__u16 e)
{
	__u16 r = e & 7; /* IN, PRI, OUT */

	r |= e & 0x2000 ? 0x8 : 0; /* RDHUP */
	r |= (e & 0x3f8) << 1;     /* ERR, HUP, NVAL, RDNORM, RDBAND, WRNORM, WRBAND */
	return r;
}

/* rlimit resources keep their numbers up to RLIMIT_RTTIME; others are RLIMIT_UNKNOWN */
static __always_inline __u8 linux_to_ppm_rlimit(__u64 r)
{
	return r <= 15 ? r : 0xff;
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

static __always_inline __u32 file_dev(int fd)
{
	struct file *f = task_file(fd);

	return f ? f->f_inode->i_sb->s_dev : 0;
}

/* ---- filler declarations ---- */

/*
 * A filler is declared from its event's name alone:
 *
 *	EXIT_FILLER(PPME_SYSCALL_PIPE_X)
 *	{
 *		struct scratch *s = scratch_get(type);
 *		...
 *		ev_begin(s, type, nparams);
 *		put_u64(s, ret);
 *
 * defines the program fill_61_PPME_SYSCALL_PIPE_X (the loader reads the code
 * from the name, src/engine/ebpf.c) for the right tracepoint, whose body gets
 * the event's code as `type` and its parameter count from the table
 * (event_codes.h) as `nparams`, besides regs and the syscall's id (enter) or
 * return value (exit). A filler serving several codes of one shape is
 * declared with ENTER_FILLER_OF/EXIT_FILLER_OF(what, codes...) as
 * fill_<code>_..._<what>, and reads the code it was called for with
 * routed_code(). Each parameter is written under a "Parameter N: name (type)"
 * comment, as the event table lists it.
 */
#define FILLER_PASTE_(a, b) a##b
#define FILLER_PASTE(a, b)  FILLER_PASTE_(a, b)
#define FILLER_JOIN_(a, b)  a##_##b
#define FILLER_JOIN(a, b)   FILLER_JOIN_(a, b)

#define FILLER_BODY(hook, argname, name, code, count) FILLER_BODY_(hook, argname, name, code, count)
#define FILLER_BODY_(hook, argname, name, code, count)                                         \
	static __always_inline int name##_body(struct pt_regs *regs, long argname, __u16 type, \
	                                       __u32 nparams);                                 \
	SEC("tp_btf/" #hook)                                                                   \
	int BPF_PROG(name, struct pt_regs *regs, long argname)                                 \
	{                                                                                      \
		return name##_body(regs, argname, code, count);                                \
	}                                                                                      \
	static __always_inline int name##_body(struct pt_regs *regs, long argname, __u16 type, __u32 nparams)

#define ENTER_FILLER(ev)                                             \
	_Static_assert(((ev)&1) == 0, #ev " is not an enter event"); \
	FILLER_BODY(sys_enter, id, FILLER_PASTE(FILLER_PASTE(fill_, ev), _##ev), ev, ev##_NPARAMS)
#define EXIT_FILLER(ev)                                             \
	_Static_assert(((ev)&1) == 1, #ev " is not an exit event"); \
	FILLER_BODY(sys_exit, ret, FILLER_PASTE(FILLER_PASTE(fill_, ev), _##ev), ev, ev##_NPARAMS)

/* The codes joined by '_': FILLER_CODES(A, B, C) is <A>_<B>_<C> (up to 13). */
#define FILLER_NARGS(...) FILLER_NARGS_(__VA_ARGS__, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1)

#define FILLER_NARGS_(_1, _2, _3, _4, _5, _6, _7, _8, _9, _10, _11, _12, _13, n, ...) n

#define FILLER_CODES(...) FILLER_PASTE(FILLER_CODES_, FILLER_NARGS(__VA_ARGS__))(__VA_ARGS__)

#define FILLER_CODES_1(a)       a
#define FILLER_CODES_2(a, ...)  FILLER_JOIN(a, FILLER_CODES_1(__VA_ARGS__))
#define FILLER_CODES_3(a, ...)  FILLER_JOIN(a, FILLER_CODES_2(__VA_ARGS__))
#define FILLER_CODES_4(a, ...)  FILLER_JOIN(a, FILLER_CODES_3(__VA_ARGS__))
#define FILLER_CODES_5(a, ...)  FILLER_JOIN(a, FILLER_CODES_4(__VA_ARGS__))
#define FILLER_CODES_6(a, ...)  FILLER_JOIN(a, FILLER_CODES_5(__VA_ARGS__))
#define FILLER_CODES_7(a, ...)  FILLER_JOIN(a, FILLER_CODES_6(__VA_ARGS__))
#define FILLER_CODES_8(a, ...)  FILLER_JOIN(a, FILLER_CODES_7(__VA_ARGS__))
#define FILLER_CODES_9(a, ...)  FILLER_JOIN(a, FILLER_CODES_8(__VA_ARGS__))
#define FILLER_CODES_10(a, ...) FILLER_JOIN(a, FILLER_CODES_9(__VA_ARGS__))
#define FILLER_CODES_11(a, ...) FILLER_JOIN(a, FILLER_CODES_10(__VA_ARGS__))
#define FILLER_CODES_12(a, ...) FILLER_JOIN(a, FILLER_CODES_11(__VA_ARGS__))
#define FILLER_CODES_13(a, ...) FILLER_JOIN(a, FILLER_CODES_12(__VA_ARGS__))

#define FILLER_PROG(hook, argname, name) FILLER_PROG_(hook, argname, name)
#define FILLER_PROG_(hook, argname, name) \
	SEC("tp_btf/" #hook) int BPF_PROG(name, struct pt_regs *regs, long argname)
#define ENTER_FILLER_OF(what, ...) \
	FILLER_PROG(sys_enter, id, FILLER_PASTE(FILLER_PASTE(fill_, FILLER_CODES(__VA_ARGS__)), _##what))
#define EXIT_FILLER_OF(what, ...) \
	FILLER_PROG(sys_exit, ret, FILLER_PASTE(FILLER_PASTE(fill_, FILLER_CODES(__VA_ARGS__)), _##what))

/* ---- fillers: file ---- */

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

/* ---- fillers: paths (exit-only events whose enter has no parameters) ---- */

static __always_inline __s64 arg_fd(struct pt_regs *regs, int i)
{
	return (__s64)(int)arg(regs, i);
}

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
	ev_begin(s, type, with_flags ? 6 : 5);
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

/* ---- fillers: processes ---- */

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

static __always_inline __u32 linux_to_ppm_clone(__u64 f)
{
	__u32 r = 0;

	if (f & 0x400)
		r |= 0x1; /* FILES */
	if (f & 0x200)
		r |= 0x2; /* FS */
	if (f & 0x80000000ULL)
		r |= 0x4; /* IO */
	if (f & 0x08000000)
		r |= 0x8; /* NEWIPC */
	if (f & 0x40000000)
		r |= 0x10; /* NEWNET */
	if (f & 0x20000)
		r |= 0x20; /* NEWNS */
	if (f & 0x20000000)
		r |= 0x40; /* NEWPID */
	if (f & 0x04000000)
		r |= 0x80; /* NEWUTS */
	if (f & 0x8000)
		r |= 0x100; /* PARENT */
	if (f & 0x100000)
		r |= 0x200; /* PARENT_SETTID */
	if (f & 0x2000)
		r |= 0x400; /* PTRACE */
	if (f & 0x800)
		r |= 0x800; /* SIGHAND */
	if (f & 0x40000)
		r |= 0x1000; /* SYSVSEM */
	if (f & 0x10000)
		r |= 0x2000; /* THREAD */
	if (f & 0x800000)
		r |= 0x4000; /* UNTRACED */
	if (f & 0x100)
		r |= 0x8000; /* VM */
	if (f & 0x10000000)
		r |= 0x100000; /* NEWUSER */
	if (f & 0x200000)
		r |= 0x800000; /* CHILD_CLEARTID */
	if (f & 0x1000000)
		r |= 0x1000000; /* CHILD_SETTID */
	if (f & 0x80000)
		r |= 0x2000000; /* SETTLS */
	if (f & 0x4000)
		r |= 0x8000000; /* VFORK */
	if (f & 0x02000000)
		r |= 0x10000000; /* NEWCGROUP */
	return r;
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

static __always_inline int exit_execve(__u16 type, long ret)
{
	struct scratch *s = scratch_get(type);
	struct task_struct *t = current_task();
	struct mm_struct *mm = t->mm;
	struct tty_struct *tty = t->signal->tty;
	__u32 ttydev = 0;

	if (!s)
		return 0;
	ev_begin(s, type, 20);
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

static __always_inline int exit_clone(__u16 type, long ret, __u32 flags)
{
	struct scratch *s = scratch_get(type);
	struct task_struct *t = current_task();

	if (!s)
		return 0;
	ev_begin(s, type, 20);
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

/* ---- fillers: network ---- */

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

/* A user sockaddr (of addrlen bytes) as a SOCKADDR parameter. */
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

/* Enters: the fd in the first argument and one u32 (listen, setns, flock). */
static __always_inline int enter_fd_u32(struct pt_regs *regs, __u16 type, __u32 v)
{
	struct scratch *s = scratch_get(type);

	if (!s)
		return 0;
	ev_begin(s, type, 2);
	put_u64(s, arg_fd(regs, 0));
	put_u32(s, v);
	ev_submit(s);
	return 0;
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
	ev_begin(s, type, 5);
	put_u64(s, ret);
	put_tuple(s, ret >= 0 ? fd_sock(ret) : NULL, false);
	put_u8(s, qmax ? qlen * 100 / qmax : 0);
	put_u32(s, qlen);
	put_u32(s, qmax);
	ev_submit(s);
	return 0;
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

/* ---- fillers: fds ---- */

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

static __always_inline __u8 fcntl_cmd(__u32 c)
{
	switch (c) {
	case 0:
		return 1;
	case 1:
		return 2;
	case 2:
		return 3;
	case 3:
		return 4;
	case 4:
		return 5;
	case 5:
		return 6;
	case 6:
		return 8;
	case 7:
		return 9;
	case 8:
		return 10;
	case 9:
		return 12;
	case 10:
		return 13;
	case 11:
		return 15;
	case 15:
		return 0x15;
	case 16:
		return 0x16;
	case 36:
		return 0x1e;
	case 37:
		return 0x1f;
	case 38:
		return 0x20;
	case 1024:
		return 0x17;
	case 1025:
		return 0x18;
	case 1026:
		return 0x1b;
	case 1029:
		return 0x19;
	case 1030:
		return 0x1a;
	case 1031:
		return 0x1c;
	case 1032:
		return 0x1d;
	default:
		return 0;
	}
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

/* pread/pwrite enter: fd, size, pos */
/* pread, pwrite enters */
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

/* ---- fillers: signals, credentials, memory, namespaces ---- */

/* kill/tkill enter: pid (or tid), signal */
static __always_inline int enter_pid_sig(struct pt_regs *regs, __u16 type)
{
	struct scratch *s = scratch_get(type);

	if (!s)
		return 0;
	ev_begin(s, type, 2);
	put_u64(s, (__s64)(int)arg(regs, 0));
	put_u8(s, arg(regs, 1));
	ev_submit(s);
	return 0;
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

/* Exits: res and the memory sizes after the call (munmap, mmap, brk). */
static __always_inline int exit_res_vm(__u16 type, long ret)
{
	struct scratch *s = scratch_get(type);

	if (!s)
		return 0;
	ev_begin(s, type, 4);
	put_u64(s, ret);
	put_vm(s, current_task()->mm);
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

/* ---- fillers: more files (creat, openat2, vectored I/O, sendfile, links, modes, stat, seek) ---- */

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

#define MAX_IOVCNT 32 /* iovecs looked at, as the drivers */

struct iov_walk {
	struct scratch *s;
	const struct iovec *iov;
	__u64 cnt;
	__u64 total; /* the lengths added up */
	__u32 room;  /* data bytes still to copy */
};

/* One iovec: its length counted, its data copied while there is room (a bpf_loop callback). */
static long iov_one(__u32 i, void *data)
{
	struct iov_walk *w = data;
	struct scratch *s = w->s;
	struct iovec v;
	__u32 n;

	if (i >= w->cnt || bpf_probe_read_user(&v, sizeof(v), &w->iov[i]))
		return 1;
	w->total += v.iov_len;
	n = bound(v.iov_len < w->room ? v.iov_len : w->room, SYSREC_MAX_SNAPLEN);
	if (n && bpf_probe_read_user(&s->data[OFF(s->pos)], n, v.iov_base) == 0) {
		s->pos += n;
		w->room -= n;
	} else if (n) {
		w->room = 0; /* unreadable: what was gathered so far */
	}
	return 0;
}

/*
 * An iovec array's parameters: when with_size its size (the lengths added
 * up, at most max), when with_data up to min(max, snaplen) of its bytes.
 */
static __always_inline void put_iov(struct scratch *s, const void *iov, __u64 cnt, bool with_size,
                                    bool with_data, __u64 max)
{
	struct iov_walk w = { s, iov, cnt, 0, with_data ? (max < snaplen ? max : snaplen) : 0 };
	__u32 at = s->pos, start;
	__u32 size;

	if (with_size)
		put_u32(s, 0); /* filled in below */
	start = s->pos;
	if (iov && cnt)
		bpf_loop(MAX_IOVCNT, iov_one, &w, 0);
	size = w.total < max ? w.total : max;
	if (with_size)
		__builtin_memcpy(&s->data[OFF(at)], &size, 4);
	if (with_data) {
		__u32 n = s->pos - start;

		s->pos = start;
		ev_param_len(s, n);
	}
}

/* readv/preadv exit: res, size, data (what was read) */
static __always_inline int exit_readv(struct pt_regs *regs, long ret, __u16 type)
{
	struct scratch *s = scratch_get(type);

	if (!s)
		return 0;
	ev_begin(s, type, 3);
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

/* writev/pwritev enter: fd, size [, pos] */
static __always_inline int enter_writev(struct pt_regs *regs, __u16 type, bool with_pos)
{
	struct scratch *s = scratch_get(type);

	if (!s)
		return 0;
	ev_begin(s, type, with_pos ? 3 : 2);
	put_u64(s, arg_fd(regs, 0));
	put_iov(s, (void *)arg(regs, 1), arg(regs, 2), true, false, ~0ULL);
	if (with_pos)
		put_u64(s, arg(regs, 3));
	ev_submit(s);
	return 0;
}

/* writev/pwritev exit: res, data (what was given, as the drivers) */
static __always_inline int exit_writev(struct pt_regs *regs, long ret, __u16 type)
{
	struct scratch *s = scratch_get(type);

	if (!s)
		return 0;
	ev_begin(s, type, 2);
	put_u64(s, ret);
	put_iov(s, (void *)arg(regs, 1), arg(regs, 2), false, true, ~0ULL);
	ev_submit(s);
	return 0;
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

/* A u64 at a user address (0 when there is none). */
static __always_inline __u64 user_u64(unsigned long p)
{
	__u64 v = 0;

	if (p)
		bpf_probe_read_user(&v, sizeof(v), (void *)p);
	return v;
}

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

/*
 * chmod/fchmod/fchmodat exit: res, the file (path, fd, or dirfd and path)
 * and the mode (PPM_S_* bits equal Linux's permission bits).
 */
static __always_inline int exit_chmod(struct pt_regs *regs, long ret, __u16 type, bool by_fd, bool at)
{
	struct scratch *s = scratch_get(type);

	if (!s)
		return 0;
	ev_begin(s, type, at ? 4 : 3);
	put_u64(s, ret);
	if (by_fd || at)
		put_u64(s, arg_fd(regs, 0));
	if (!by_fd)
		put_str_user(s, (void *)arg(regs, at ? 1 : 0));
	put_u32(s, arg(regs, at ? 2 : 1) & 07777);
	ev_submit(s);
	return 0;
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

/* ---- fillers: mounts ---- */

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

/* ---- fillers: messages (sendmsg, recvmsg) ---- */

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

/* ---- fillers: memory (mmap, brk) ---- */

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

/* ---- fillers: ptrace, limits ---- */

/* A PT_DYN parameter: the index of the value's type, then the value's n bytes. */
static __always_inline void put_dyn(struct scratch *s, __u8 idx, __u32 n, __u64 v)
{
	s->data[OFF(s->pos)] = idx;
	__builtin_memcpy(&s->data[OFF(s->pos + 1)], &v, 8);
	ev_param_len(s, 1 + n);
}

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

/* A struct rlimit at user address p as two INT64 parameters (-1, -1 when !ok or unreadable). */
static __always_inline void put_rlimit(struct scratch *s, unsigned long p, bool ok)
{
	struct rlimit rl = { ~0UL, ~0UL };

	if (!ok || !p || bpf_probe_read_user(&rl, sizeof(rl), (void *)p))
		rl.rlim_cur = rl.rlim_max = ~0UL;
	put_u64(s, rl.rlim_cur);
	put_u64(s, rl.rlim_max);
}

/* getrlimit/setrlimit enter: resource */
static __always_inline int enter_rlimit(struct pt_regs *regs, __u16 type)
{
	struct scratch *s = scratch_get(type);

	if (!s)
		return 0;
	ev_begin(s, type, 1);
	put_u8(s, linux_to_ppm_rlimit(arg(regs, 0)));
	ev_submit(s);
	return 0;
}

/* getrlimit/setrlimit exit: res, cur, max (the limit got, or the one asked for) */
static __always_inline int exit_rlimit(struct pt_regs *regs, long ret, __u16 type, bool is_set)
{
	struct scratch *s = scratch_get(type);

	if (!s)
		return 0;
	ev_begin(s, type, 3);
	put_u64(s, ret);
	put_rlimit(s, arg(regs, 1), ret >= 0 || is_set);
	ev_submit(s);
	return 0;
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

/* ---- fillers: waiting (poll, nanosleep, futex, epoll_wait, select) ---- */

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

/* ---- fillers: eventfd ---- */

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

/* ---- fillers: fds of their own kind (signalfd, timerfd, inotify), copy_file_range ---- */

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

/* ---- fillers: socket options ---- */

/* PPM_SOCKOPT_* of a SOL_SOCKET option (Linux's numbers up to SO_ATTACH_BPF); 0 for other levels */
static __always_inline __u8 linux_to_ppm_sockopt(int level, int name)
{
	if (level != 1)
		return 0;
	if (name >= 1 && name <= 50)
		return name;
	return name == 59   ? 0x33
	       : name == 55 ? 0x34
	       : name == 57 ? 0x35
	                    : 0; /* PEERGROUPS, MEMINFO, COOKIE */
}

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
	ev_begin(s, type, 6);
	put_u64(s, ret);
	put_u64(s, arg_fd(regs, 0));
	put_u8(s, level == 1 ? 1 : level == 6 ? 2 : 0); /* SOL_SOCKET, SOL_TCP */
	put_u8(s, linux_to_ppm_sockopt(level, name));
	put_sockopt_val(s, level, name, (void *)arg(regs, 3), len);
	put_u32(s, len);
	ev_submit(s);
	return 0;
}

/* ---- fillers: sessions, ids ---- */

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

/* getresuid/getresgid exit: res and the three ids written to the user's pointers */
static __always_inline int exit_getres(struct pt_regs *regs, long ret, __u16 type)
{
	struct scratch *s = scratch_get(type);

	if (!s)
		return 0;
	ev_begin(s, type, 4);
	put_u64(s, ret);
	for (int i = 0; i < 3; i++) {
		__u32 v = 0;

		bpf_probe_read_user(&v, sizeof(v), (void *)arg(regs, i));
		put_u32(s, v);
	}
	ev_submit(s);
	return 0;
}

/* ---- fillers serving several events (the dispatcher tells which): fewer programs to load ---- */

/* The event code a filler was routed for. */
static __always_inline __u16 routed_code(bool exit)
{
	struct scratch *s = scratch_get(exit);

	return s ? s->code : 0;
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

/* execve, execveat exits */
EXIT_FILLER_OF(execve, PPME_SYSCALL_EXECVE_19_X, PPME_SYSCALL_EXECVEAT_X)
{
	return exit_execve(routed_code(true), ret);
}

/* accept, accept4 exits */
EXIT_FILLER_OF(accept, PPME_SOCKET_ACCEPT_5_X, PPME_SOCKET_ACCEPT4_5_X)
{
	return exit_accept(regs, ret, routed_code(true));
}

/* socket, socketpair (domain, type, proto), setuid, setgid (the id), setresuid, setresgid (three) enters */
ENTER_FILLER_OF(ids, PPME_SOCKET_SOCKET_E, PPME_SOCKET_SOCKETPAIR_E, PPME_SYSCALL_SETUID_E,
                PPME_SYSCALL_SETGID_E, PPME_SYSCALL_SETRESUID_E, PPME_SYSCALL_SETRESGID_E)
{
	__u16 type = routed_code(false);

	return enter_ids(regs, type, type == PPME_SYSCALL_SETUID_E || type == PPME_SYSCALL_SETGID_E ? 1 : 3);
}

/* munmap, mmap, brk exits */
EXIT_FILLER_OF(vm, PPME_SYSCALL_MUNMAP_X, PPME_SYSCALL_MMAP_X, PPME_SYSCALL_BRK_4_X)
{
	return exit_res_vm(routed_code(true), ret);
}

/* readv, preadv exits */
EXIT_FILLER_OF(readv, PPME_SYSCALL_READV_X, PPME_SYSCALL_PREADV_X)
{
	return exit_readv(regs, ret, routed_code(true));
}

/* writev, pwritev enters */
ENTER_FILLER_OF(writev, PPME_SYSCALL_WRITEV_E, PPME_SYSCALL_PWRITEV_E)
{
	__u16 type = routed_code(false);

	return enter_writev(regs, type, type == PPME_SYSCALL_PWRITEV_E);
}

/* writev, pwritev exits */
EXIT_FILLER_OF(writev, PPME_SYSCALL_WRITEV_X, PPME_SYSCALL_PWRITEV_X)
{
	return exit_writev(regs, ret, routed_code(true));
}

/* chmod, fchmod, fchmodat exits */
EXIT_FILLER_OF(chmod, PPME_SYSCALL_CHMOD_X, PPME_SYSCALL_FCHMOD_X, PPME_SYSCALL_FCHMODAT_X)
{
	__u16 type = routed_code(true);

	return exit_chmod(regs, ret, type, type == PPME_SYSCALL_FCHMOD_X, type == PPME_SYSCALL_FCHMODAT_X);
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

/* kill, tkill enters */
ENTER_FILLER_OF(pidsig, PPME_SYSCALL_KILL_E, PPME_SYSCALL_TKILL_E)
{
	return enter_pid_sig(regs, routed_code(false));
}

/* getrlimit, setrlimit enters */
ENTER_FILLER_OF(rlimit, PPME_SYSCALL_GETRLIMIT_E, PPME_SYSCALL_SETRLIMIT_E)
{
	return enter_rlimit(regs, routed_code(false));
}

/* getrlimit, setrlimit exits */
EXIT_FILLER_OF(rlimit, PPME_SYSCALL_GETRLIMIT_X, PPME_SYSCALL_SETRLIMIT_X)
{
	__u16 type = routed_code(true);

	return exit_rlimit(regs, ret, type, type == PPME_SYSCALL_SETRLIMIT_X);
}

/* setsockopt, getsockopt exits */
EXIT_FILLER_OF(sockopt, PPME_SOCKET_SETSOCKOPT_X, PPME_SOCKET_GETSOCKOPT_X)
{
	__u16 type = routed_code(true);

	return exit_sockopt(regs, ret, type, type == PPME_SOCKET_GETSOCKOPT_X);
}

/* getresuid, getresgid exits */
EXIT_FILLER_OF(getres, PPME_SYSCALL_GETRESUID_X, PPME_SYSCALL_GETRESGID_X)
{
	return exit_getres(regs, ret, routed_code(true));
}
