// SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only)
/*
 * sysrec.bpf.c: system calls into .scap events, written in the kernel.
 *
 * Two dispatchers hang on the raw syscall tracepoints. Each looks the syscall
 * up in `routes` (filled by userspace from sysdig's syscall table), starts the
 * event in a per-CPU scratch buffer and tail-calls the filler of its event
 * code, which appends the parameters in the order and encoding of the event
 * table (docs/scap-format.md) and submits the event to the ring buffer.
 * Syscalls whose event has no filler here are routed to the generic pair.
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
const volatile __u32 snaplen = 80;  /* bytes of I/O data kept */
const volatile __u64 boot_to_epoch; /* add to boot-time ns to get epoch ns */

#define PRE          sizeof(struct sysrec_rec_head)
#define SCRATCH      (SYSREC_MAX_EVENT * 2)
#define OFF(x)       ((x) & (SYSREC_MAX_EVENT - 1)) /* a bounded offset for the verifier */
#define MAX_STR      4096
#define MAX_ARGS_BUF 4096 /* argv, env and cgroups lists */

struct scratch {
	__u32 pos;     /* next value byte, from data[0] */
	__u32 nparams; /* declared */
	__u32 arg;     /* parameters written */
	__u32 pad;
	__u8 data[SCRATCH];
};

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 8 << 20); /* set by the loader */
} rb SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, SYSREC_NATIVE_MAX);
	__type(key, __u32);
	__type(value, struct sysrec_route);
} routes SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct sysrec_stats);
} stats SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1); /* one per possible CPU, set by the loader */
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

static __always_inline struct scratch *scratch_get(void)
{
	__u32 cpu = bpf_get_smp_processor_id();

	return bpf_map_lookup_elem(&scratch, &cpu);
}

static __always_inline void ev_begin(struct scratch *s, __u16 type, __u32 nparams)
{
	__u64 ts = bpf_ktime_get_boot_ns() + boot_to_epoch;
	__u64 tid = bpf_get_current_pid_tgid() & 0xffffffff;
	__u8 *h = &s->data[PRE];

	s->nparams = nparams;
	s->arg = 0;
	s->pos = PRE + SYSREC_EVT_HDR + nparams * 2;
	__builtin_memcpy(h, &ts, 8);
	__builtin_memcpy(h + 8, &tid, 8);
	__builtin_memcpy(h + 20, &type, 2);
	__builtin_memcpy(h + 22, &nparams, 4);
}

/* Record that the next parameter took n bytes. */
static __always_inline void ev_param_len(struct scratch *s, __u32 n)
{
	__u16 l = n;
	__u32 at = PRE + SYSREC_EVT_HDR + s->arg * 2;

	__builtin_memcpy(&s->data[OFF(at)], &l, 2);
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
	__builtin_memcpy(&s->data[OFF(s->pos)], &v, 2);
	ev_param_len(s, 2);
}

static __always_inline void put_u32(struct scratch *s, __u32 v)
{
	__builtin_memcpy(&s->data[OFF(s->pos)], &v, 4);
	ev_param_len(s, 4);
}

static __always_inline void put_u64(struct scratch *s, __u64 v)
{
	__builtin_memcpy(&s->data[OFF(s->pos)], &v, 8);
	ev_param_len(s, 8);
}

static __always_inline void put_empty(struct scratch *s)
{
	ev_param_len(s, 0);
}

/* A NUL-terminated user string; "" when unreadable... as an empty param. */
static __always_inline void put_str_user(struct scratch *s, const void *p)
{
	long n = bpf_probe_read_user_str(&s->data[OFF(s->pos)], MAX_STR, p);

	ev_param_len(s, n > 0 ? n : 0);
}

static __always_inline void put_str_kernel(struct scratch *s, const void *p, __u32 max)
{
	long n = bpf_probe_read_kernel_str(&s->data[OFF(s->pos)], max & (MAX_STR - 1), p);

	ev_param_len(s, n > 0 ? n : 0);
}

/* Up to snaplen bytes of a user buffer of len bytes. */
static __always_inline void put_buf_user(struct scratch *s, const void *p, __s64 len)
{
	__u32 n = len < 0 ? 0 : len > snaplen ? snaplen : len;

	n &= SYSREC_MAX_SNAPLEN * 2 - 1;
	if (n > SYSREC_MAX_SNAPLEN)
		n = SYSREC_MAX_SNAPLEN;
	if (n && bpf_probe_read_user(&s->data[OFF(s->pos)], n, p))
		n = 0;
	ev_param_len(s, n);
}

/* A user memory range [start, end) capped at MAX_ARGS_BUF (argv, env). */
static __always_inline void put_range_user(struct scratch *s, unsigned long start, unsigned long end)
{
	__u32 n = end > start ? end - start : 0;

	if (n > MAX_ARGS_BUF)
		n = MAX_ARGS_BUF;
	n &= MAX_ARGS_BUF * 2 - 1;
	if (n > MAX_ARGS_BUF)
		n = MAX_ARGS_BUF;
	if (n && bpf_probe_read_user(&s->data[OFF(s->pos)], n, (void *)start))
		n = 0;
	ev_param_len(s, n);
}

static __always_inline void ev_submit(struct scratch *s)
{
	__u32 key = 0, len = s->pos - PRE;
	struct sysrec_stats *st = bpf_map_lookup_elem(&stats, &key);
	struct sysrec_rec_head head = { .cpu = bpf_get_smp_processor_id(), .len = len };

	if (!st)
		return;
	if (len > SYSREC_MAX_EVENT - PRE || s->arg != s->nparams) {
		st->drops_big++;
		return;
	}
	__builtin_memcpy(&s->data[PRE + 16], &len, 4);
	__builtin_memcpy(s->data, &head, sizeof(head));
	if (bpf_ringbuf_output(&rb, s->data, (len + PRE) & (SYSREC_MAX_EVENT - 1), BPF_RB_NO_WAKEUP))
		st->drops_ring++;
	else
		st->events++;
}

static __always_inline bool ignored(void)
{
	__u32 tgid = bpf_get_current_pid_tgid() >> 32;

	return tgid == self_tgid || (scope_tgid && tgid != scope_tgid);
}

/* ---- syscall arguments ---- */

static __always_inline unsigned long arg(struct pt_regs *regs, int i)
{
	switch (i) {
	case 0:
		return BPF_CORE_READ(regs, di);
	case 1:
		return BPF_CORE_READ(regs, si);
	case 2:
		return BPF_CORE_READ(regs, dx);
	case 3:
		return BPF_CORE_READ(regs, r10);
	case 4:
		return BPF_CORE_READ(regs, r8);
	default:
		return BPF_CORE_READ(regs, r9);
	}
}

/* ---- dispatchers ---- */

SEC("tp_btf/sys_enter")
int BPF_PROG(sys_enter, struct pt_regs *regs, long id)
{
	struct sysrec_route *r;
	struct scratch *s;
	__u32 nr = id;

	if (id < 0 || id >= SYSREC_NATIVE_MAX || ignored())
		return 0;
	r = bpf_map_lookup_elem(&routes, &nr);
	s = scratch_get();
	if (!r || !r->on || !s)
		return 0;
	if (r->enter == 0) { /* generic: ID, nativeID */
		ev_begin(s, 0, 2);
		put_u16(s, r->ppm_sc);
		put_u16(s, nr);
		ev_submit(s);
		return 0;
	}
	bpf_tail_call(ctx, &enter_tail, r->enter);
	return 0;
}

SEC("tp_btf/sys_exit")
int BPF_PROG(sys_exit, struct pt_regs *regs, long ret)
{
	struct sysrec_route *r;
	struct scratch *s;
	__u32 nr = BPF_CORE_READ(regs, orig_ax);

	if (nr >= SYSREC_NATIVE_MAX || ignored())
		return 0;
	r = bpf_map_lookup_elem(&routes, &nr);
	s = scratch_get();
	if (!r || !r->on || !s)
		return 0;
	if (r->exit == 1) { /* generic: ID */
		ev_begin(s, 1, 1);
		put_u16(s, r->ppm_sc);
		ev_submit(s);
		return 0;
	}
	bpf_tail_call(ctx, &exit_tail, r->exit);
	return 0;
}

/* ---- translations to the portable codes (docs/scap-format.md section 10) ---- */

static __always_inline __u32 open_flags(__u32 f)
{
	__u32 r = 0;

	switch (f & 3) {
	case 0:
		r |= 1;
		break; /* O_RDONLY */
	case 1:
		r |= 2;
		break; /* O_WRONLY */
	case 2:
		r |= 3;
		break; /* O_RDWR */
	}
	if (f & 0100)
		r |= 4; /* O_CREAT */
	if (f & 02000)
		r |= 8; /* O_APPEND */
	if (f & 010000)
		r |= 0x10; /* O_DSYNC */
	if (f & 0200)
		r |= 0x20; /* O_EXCL */
	if (f & 04000)
		r |= 0x40; /* O_NONBLOCK */
	if ((f & 04010000) == 04010000)
		r |= 0x80; /* O_SYNC */
	if (f & 01000)
		r |= 0x100; /* O_TRUNC */
	if (f & 040000)
		r |= 0x200; /* O_DIRECT */
	if (f & 0200000)
		r |= 0x400; /* O_DIRECTORY */
	if (f & 0100000)
		r |= 0x800; /* O_LARGEFILE */
	if (f & 02000000)
		r |= 0x1000; /* O_CLOEXEC */
	if ((f & 020200000) == 020200000)
		r |= 0x2000; /* O_TMPFILE */
	return r;
}

static __always_inline __u32 open_mode(__u32 flags, __u32 mode)
{
	return (flags & 0100) || (flags & 020200000) == 020200000 ? mode & 07777 : 0;
}

/* The file behind fd of the current task, or NULL. */
static __always_inline struct file *task_file(int fd)
{
	struct task_struct *t = bpf_get_current_task_btf();
	struct file **fds, *f = NULL;
	unsigned int max;

	if (fd < 0)
		return NULL;
	fds = BPF_CORE_READ(t, files, fdt, fd);
	max = BPF_CORE_READ(t, files, fdt, max_fds);
	if ((unsigned int)fd >= max || !fds)
		return NULL;
	bpf_probe_read_kernel(&f, sizeof(f), fds + fd);
	return f;
}

static __always_inline __u32 file_dev(int fd)
{
	struct file *f = task_file(fd);

	return f ? BPF_CORE_READ(f, f_inode, i_sb, s_dev) : 0;
}

/* ---- fillers: file ---- */

SEC("tp_btf/sys_enter")
int BPF_PROG(fill_e_open, struct pt_regs *regs, long id)
{
	struct scratch *s = scratch_get();
	__u32 flags = arg(regs, 1);

	if (!s)
		return 0;
	ev_begin(s, 2, 3);
	put_str_user(s, (void *)arg(regs, 0));
	put_u32(s, open_flags(flags));
	put_u32(s, open_mode(flags, arg(regs, 2)));
	ev_submit(s);
	return 0;
}

SEC("tp_btf/sys_exit")
int BPF_PROG(fill_x_open, struct pt_regs *regs, long ret)
{
	struct scratch *s = scratch_get();
	__u32 flags = arg(regs, 1);

	if (!s)
		return 0;
	ev_begin(s, 3, 5);
	put_u64(s, ret);
	put_str_user(s, (void *)arg(regs, 0));
	put_u32(s, open_flags(flags));
	put_u32(s, open_mode(flags, arg(regs, 2)));
	put_u32(s, ret >= 0 ? file_dev(ret) : 0);
	ev_submit(s);
	return 0;
}

SEC("tp_btf/sys_enter")
int BPF_PROG(fill_e_openat, struct pt_regs *regs, long id)
{
	struct scratch *s = scratch_get();
	__u32 flags = arg(regs, 2);

	if (!s)
		return 0;
	ev_begin(s, 306, 4);
	put_u64(s, (__s64)(int)arg(regs, 0));
	put_str_user(s, (void *)arg(regs, 1));
	put_u32(s, open_flags(flags));
	put_u32(s, open_mode(flags, arg(regs, 3)));
	ev_submit(s);
	return 0;
}

SEC("tp_btf/sys_exit")
int BPF_PROG(fill_x_openat, struct pt_regs *regs, long ret)
{
	struct scratch *s = scratch_get();
	__u32 flags = arg(regs, 2);

	if (!s)
		return 0;
	ev_begin(s, 307, 6);
	put_u64(s, ret);
	put_u64(s, (__s64)(int)arg(regs, 0));
	put_str_user(s, (void *)arg(regs, 1));
	put_u32(s, open_flags(flags));
	put_u32(s, open_mode(flags, arg(regs, 3)));
	put_u32(s, ret >= 0 ? file_dev(ret) : 0);
	ev_submit(s);
	return 0;
}

SEC("tp_btf/sys_enter")
int BPF_PROG(fill_e_close, struct pt_regs *regs, long id)
{
	struct scratch *s = scratch_get();

	if (!s)
		return 0;
	ev_begin(s, 4, 1);
	put_u64(s, (__s64)(int)arg(regs, 0));
	ev_submit(s);
	return 0;
}

/* Exits whose only parameter is the result (close, and others alike). */
static __always_inline int exit_res_only(__u16 type, long ret)
{
	struct scratch *s = scratch_get();

	if (!s)
		return 0;
	ev_begin(s, type, 1);
	put_u64(s, ret);
	ev_submit(s);
	return 0;
}

SEC("tp_btf/sys_exit")
int BPF_PROG(fill_x_close, struct pt_regs *regs, long ret)
{
	return exit_res_only(5, ret);
}

/* read/write enter: fd, size */
static __always_inline int enter_fd_size(struct pt_regs *regs, __u16 type)
{
	struct scratch *s = scratch_get();

	if (!s)
		return 0;
	ev_begin(s, type, 2);
	put_u64(s, (__s64)(int)arg(regs, 0));
	put_u32(s, arg(regs, 2));
	ev_submit(s);
	return 0;
}

/* read/write exit: res, data */
static __always_inline int exit_res_data(struct pt_regs *regs, long ret, __u16 type, bool is_read)
{
	struct scratch *s = scratch_get();

	if (!s)
		return 0;
	ev_begin(s, type, 2);
	put_u64(s, ret);
	if (is_read)
		put_buf_user(s, (void *)arg(regs, 1), ret);
	else
		put_buf_user(s, (void *)arg(regs, 1), ret < 0 ? (__s64)arg(regs, 2) : ret);
	ev_submit(s);
	return 0;
}

SEC("tp_btf/sys_enter")
int BPF_PROG(fill_e_read, struct pt_regs *regs, long id)
{
	return enter_fd_size(regs, 6);
}

SEC("tp_btf/sys_exit")
int BPF_PROG(fill_x_read, struct pt_regs *regs, long ret)
{
	return exit_res_data(regs, ret, 7, true);
}

SEC("tp_btf/sys_enter")
int BPF_PROG(fill_e_write, struct pt_regs *regs, long id)
{
	return enter_fd_size(regs, 8);
}

SEC("tp_btf/sys_exit")
int BPF_PROG(fill_x_write, struct pt_regs *regs, long ret)
{
	return exit_res_data(regs, ret, 9, false);
}
