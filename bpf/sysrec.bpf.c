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
 *
 * One compilation unit, one object: this file holds the configuration, the
 * maps, the dispatchers and the way fillers are declared, and includes the
 * rest, each file after the ones it uses:
 *
 *   task.bpf.h       syscall arguments, user memory, the current task's files
 *   event.bpf.h      building events: scratch, put_*, ev_submit, ring_* (the contract)
 *   translate.bpf.h  Linux values as the portable PPM_* codes
 *   fill_file.bpf.h  fillers: open, read, write, vectored I/O, sendfile, pipe, fcntl, ...
 *   fill_path.bpf.h  fillers: unlink, mkdir, rename, link, chmod, stat, mount, ...
 *   fill_proc.bpf.h  fillers: execve, clone, unshare, procexit
 *   fill_mem.bpf.h   fillers: mmap, munmap, mprotect, brk (put_vm from fill_proc)
 *   fill_net.bpf.h   fillers: sockets (sendto's exit from fill_file)
 *   fill_wait.bpf.h  fillers: poll, epoll_wait, nanosleep, futex, eventfd, timerfd, ...
 *   fill_misc.bpf.h  fillers: signals, credentials, limits, ptrace
 *   packet.bpf.h     packets of the host's sockets with their owners (--pcap)
 *   packet_tc.bpf.h  the same from every interface, as tcpdump sees them (tcx)
 *   artifact.bpf.h   written files' bytes, executed binaries (--artifacts)
 */
#include "vmlinux.h"

#include <bpf/bpf_core_read.h>
#include <bpf/bpf_endian.h>
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
/*
 * Benchmarks only (bench/record.sh, the recording floor): 1 = the dispatchers
 * return at once; 2 = they write each event as its bare header (time, thread,
 * code, no parameters). Such a capture is not a valid one.
 */
const volatile __u32 floor_mode;
/* the kernel's BTF ids of these types, for bpf_rdonly_cast() (relocations may use a smaller BTF) */
const volatile __u32 btf_task_struct;
const volatile __u32 btf_file;
/*
 * Artifacts (artifact.bpf.h): the kinds asked for; art_alone when no syscall
 * is recorded (--artifacts without -w): then its programs are attached on
 * their own, else the dispatchers hand them the calls they read (art_exit_tail,
 * art_enter_tail).
 */
const volatile __u32 art_kinds;
const volatile __u32 art_alone;

#define PRE          sizeof(struct sysrec_rec_head)
#define SCRATCH      (SYSREC_MAX_EVENT * 2)
#define OFF(x)       ((x) & (SYSREC_MAX_EVENT - 1)) /* a bounded offset for the verifier */
#define MAX_STR      4096
#define MAX_ARGS_BUF 4096 /* argv, env and cgroups lists */

/* An event being built, per CPU and program kind (who owns it: event.bpf.h). */
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

/*
 * The artifacts' programs, handed a call before it is recorded (they record
 * it after, with the same time, so an artifact names its event exactly): one
 * slot each, empty unless artifacts are asked for. Two maps: a program array
 * takes programs of one tracepoint only.
 */
struct {
	__uint(type, BPF_MAP_TYPE_PROG_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
} art_enter_tail SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PROG_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
} art_exit_tail SEC(".maps");

/* ---- shapes: the events the dispatchers write themselves ---- */

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

/* ---- what the dispatchers and fillers share (see the list above) ---- */

#include "task.bpf.h"
#include "event.bpf.h"
#include "translate.bpf.h"

/* ---- the processes recorded ---- */

/* Whether to leave this thread out: ourselves, or a process out of scope. */
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

/* ---- dispatchers ---- */

/*
 * Each looks the syscall up in routes: a shaped event it writes itself, any
 * other goes to its filler with the scratch buffer stamped (time, thread).
 * route() does that for a call stamped ts (0: now); the artifacts' programs,
 * when handed a call, record it through it too.
 */
static __always_inline int route(void *ctx, struct pt_regs *regs, long ret, __u64 pid_tgid, __u32 nr,
                                 __u64 ts, bool exit)
{
	struct sysrec_route *r = &routes[nr & (SYSREC_NATIVE_MAX - 1)];
	struct scratch *s;
	__u16 code;

	if (!r->on)
		return 0;
	if (!ts)
		ts = ev_now();
	code = exit ? r->exit : r->enter;
	if (floor_mode == 2) {
		ring_bare(code, pid_tgid, ts);
		return 0;
	}
	if (exit ? r->shapes >> 4 : r->shapes & 15) {
		ring_shaped(regs, ret, r, pid_tgid, nr, exit, ts);
		return 0;
	}
	s = scratch_get(code);
	if (!s)
		return 0;
	ev_stamp_at(s, pid_tgid, ts);
	s->code = code;
	if (exit)
		bpf_tail_call(ctx, &exit_tail, code);
	else
		bpf_tail_call(ctx, &enter_tail, code);
	return 0;
}

static __always_inline int route_enter(void *ctx, struct pt_regs *regs, __u64 pid_tgid, __u32 nr, __u64 ts)
{
	return route(ctx, regs, 0, pid_tgid, nr, ts, false);
}

static __always_inline int route_exit(void *ctx, struct pt_regs *regs, long ret, __u64 pid_tgid, __u32 nr,
                                      __u64 ts)
{
	return route(ctx, regs, ret, pid_tgid, nr, ts, true);
}

/* The calls the artifacts read at their enter: init_module, finit_module, bpf. */
static __always_inline bool art_at_enter(__u32 nr)
{
	return (art_kinds & (SYSREC_ART_MODULE | SYSREC_ART_BPF)) && (nr == 175 || nr == 313 || nr == 321);
}

/* At their exit: the write family (write, pwrite64, writev, pwritev, pwritev2), mmap and mprotect. */
static __always_inline bool art_at_exit(__u32 nr)
{
	return ((art_kinds & SYSREC_ART_WRITE) &&
	        (nr == 1 || nr == 18 || nr == 20 || nr == 296 || nr == 328)) ||
	       ((art_kinds & SYSREC_ART_MEM) && (nr == 9 || nr == 10));
}

SEC("tp_btf/sys_enter")
int BPF_PROG(sys_enter, struct pt_regs *regs, long id)
{
	__u64 pid_tgid;

	if (floor_mode == 1)
		return 0;
	pid_tgid = bpf_get_current_pid_tgid();
	if (id < 0 || id >= SYSREC_NATIVE_MAX || ignored(pid_tgid))
		return 0;
	if (art_at_enter(id))
		bpf_tail_call(ctx, &art_enter_tail, 0); /* it records the call too */
	return route_enter(ctx, regs, pid_tgid, id, 0);
}

SEC("tp_btf/sys_exit")
int BPF_PROG(sys_exit, struct pt_regs *regs, long ret)
{
	__u64 pid_tgid;
	__u32 nr;

	if (floor_mode == 1)
		return 0;
	pid_tgid = bpf_get_current_pid_tgid();
	nr = regs->orig_ax;
	if (nr >= SYSREC_NATIVE_MAX || ignored(pid_tgid))
		return 0;
	if (art_at_exit(nr))
		bpf_tail_call(ctx, &art_exit_tail, 0); /* it records the call too */
	return route_exit(ctx, regs, ret, pid_tgid, nr, 0);
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

/* ---- fillers serving several events (the dispatcher tells which): fewer programs to load ---- */

/* The event code a filler was routed for. */
static __always_inline __u16 routed_code(bool exit)
{
	struct scratch *s = scratch_get(exit);

	return s ? s->code : 0;
}

/*
 * The fillers, by syscall family. A filler serving several events sits next
 * to the helper that writes them.
 */
#include "fill_file.bpf.h"
#include "fill_path.bpf.h"
#include "fill_proc.bpf.h"
#include "fill_mem.bpf.h"
#include "fill_net.bpf.h"
#include "fill_wait.bpf.h"
#include "fill_misc.bpf.h"

/* Packets, beside the syscalls (--pcap). */
#include "packet.bpf.h"
#include "packet_tc.bpf.h"

/* Artifacts: written files, executed binaries (--artifacts). */
#include "artifact.bpf.h"
