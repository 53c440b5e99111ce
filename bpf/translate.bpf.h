/* translate: Linux flag and enum values as the portable PPM_* codes (docs/scap-format.md section 10). */
/* SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only) */
/*
 * Pure functions of their arguments; the open flags, which the /proc snapshot
 * translates too, are sysrec_open_flags() in sysrec_bpf.h.
 */

/* open mode: its permission bits when the flags create a file (O_CREAT, O_TMPFILE), else 0 */
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

/* clone, unshare and setns flags: PPM_CL_* */
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

/* fcntl commands: PPM_FCNTL_* */
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
