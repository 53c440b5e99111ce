// SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only)
/*
 * artifact.bpf.h: the things a recording keeps besides its events
 * (--artifacts, Tracee's --capture), into the `art_rb` ring (struct
 * sysrec_art records, bpf/sysrec_bpf.h); loaded only when asked for.
 *
 *  - Written files (SYSREC_ART_WRITE): at the exit of write, pwrite64,
 *    writev, pwritev and pwritev2 that wrote to a regular file, the bytes
 *    written, read back from the writer's buffers (as many as the call
 *    returned), with the file offset they went to, in records of at most
 *    SYSREC_ART_CHUNK bytes. Which files: those whose path starts with one of
 *    the prefixes (none: every file), decided here at the first write of each
 *    file (device and inode) and kept in `art_files`, so the data of other
 *    files is never copied. A file's path (walked up its dentries to the
 *    writer's root) is told before its first data, and again when it changed
 *    between two writes (a rename).
 *  - Executed binaries (SYSREC_ART_EXEC): each successful exec, with the
 *    binary's device, inode and name; userspace copies the binary from
 *    /proc/PID/exe. A script is told too (its interpreter is the binary).
 *  - Memory (SYSREC_ART_MEM): a region mapped or made writable and
 *    executable is told (and remembered by process and start); when mprotect
 *    then makes it executable and not writable, its bytes, read from the
 *    process at that exit.
 *  - Kernel modules (SYSREC_ART_MODULE): init_module's image, read from the
 *    caller at the call (this kernel has no module support: the call fails,
 *    and the image is kept all the same); finit_module's file, by its
 *    device, inode and path (userspace reads it).
 *  - BPF programs (SYSREC_ART_BPF): the instructions bpf(BPF_PROG_LOAD) is
 *    given, read from the caller at the call, with the program's name.
 *
 * The syscall dispatchers hand art_sys_exit and art_sys_enter the calls they
 * read (art_exit_tail, art_enter_tail), and these record the call's event after them, stamped with
 * the same time as their records: an artifact names the event that made it by
 * thread and time (src/artifacts/events.c). An exec's record comes before its
 * execve's exit event. With no syscall recorded (art_alone) they are attached
 * on their own.
 */

const volatile __u32 art_nprefixes; /* entries of art_prefixes (0: every file) */
/*
 * Not constants (.data, set by the loader): the verifier takes their values as
 * unknown, so a copy's length is never a known number it would walk the copy
 * loop with one state per chunk for.
 */
__u64 art_mem_max = 16 << 20;                    /* bytes sent of one memory region at most */
__u64 art_whole_max = 64 << 20;                  /* bytes sent of one module image or BPF program at most */
__u64 art_copy_cap = 2048ULL * SYSREC_ART_CHUNK; /* what art_copy_run() sends of one buffer at most */
__u64 art_wake_bytes = 1 << 20;                  /* data waiting in art_rb that wakes the reader */

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 16 << 20); /* set by the loader */
} art_rb SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1); /* set by the loader */
	__type(key, __u32);
	__type(value, struct sysrec_art_prefix);
} art_prefixes SEC(".maps");

struct art_file_key {
	__u64 dev, ino;
	__u32 gen, pad; /* a deleted file's inode reused by a new file: another generation */
};

/* What is known of a file written to: kept or not, and what its path was made of when last walked. */
struct art_file {
	__u8 keep;
	__u8 pad[3];
	__u32 name_hash; /* its dentry's name and parent then: a change is a rename */
	__u64 parent;
	__u64 lost; /* bytes written to it not handed over (ring full, unreadable): read at the end */
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 65536); /* set by the loader */
	__type(key, struct art_file_key);
	__type(value, struct art_file);
} art_files SEC(".maps");

/*
 * Per CPU, the last file written to that is left out: a writer's next write
 * to it is let go without a look-up. The file and inode pointers with the
 * inode's number and generation name it (a freed file or inode reused for
 * another file does not match all four).
 */
struct art_last {
	__u64 file, inode, ino;
	__u32 gen, pad;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct art_last);
} art_last SEC(".maps");

#define ART_PATH_BUF 4096 /* a power of two: the path is built backwards from its end */

/* A CPU's record being built: the header, then the data or the path. */
struct art_buf {
	__u64 lost; /* bytes of the current copy not handed over (in memory: a counter the verifier need not
	               follow) */
	struct sysrec_art h;
	__u8 data[SYSREC_ART_CHUNK];
	char path[ART_PATH_BUF + 256];
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1); /* set by the loader: 2 per CPU (the write and exec programs) */
	__type(key, __u32);
	__type(value, struct art_buf);
} art_buf SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct sysrec_art_stats);
} art_stats SEC(".maps");

/*
 * Data records wake the reader only once art_wake_bytes are waiting (it
 * reads every 100 ms besides): a wakeup per record costs the writer more than
 * its copy. A binary run wakes it at once (to be read while it still runs);
 * other records as the ring does by default (when the reader has caught up).
 */
static __always_inline __u64 art_wakeup(void)
{
	return bpf_ringbuf_query(&art_rb, BPF_RB_AVAIL_DATA) >= art_wake_bytes ? BPF_RB_FORCE_WAKEUP
	                                                                       : BPF_RB_NO_WAKEUP;
}

static __always_inline struct art_buf *art_buf_get(__u32 slot)
{
	__u32 k = bpf_get_smp_processor_id() * 2 + slot;

	return bpf_map_lookup_elem(&art_buf, &k);
}

static __always_inline void art_count(__u64 records, __u64 lost, __u64 lost_bytes, __u64 unreadable)
{
	__u32 k = 0;
	struct sysrec_art_stats *st = bpf_map_lookup_elem(&art_stats, &k);

	if (!st)
		return;
	if (records)
		__sync_fetch_and_add(&st->records, records);
	if (lost)
		__sync_fetch_and_add(&st->lost_records, lost);
	if (lost_bytes)
		__sync_fetch_and_add(&st->lost_bytes, lost_bytes);
	if (unreadable)
		__sync_fetch_and_add(&st->unreadable, unreadable);
}

/* Start the record in b: its type, owner and time (its call's event's), every other field 0. */
static __always_inline void art_head(struct art_buf *b, __u8 type, __u64 pid_tgid, __u64 ts)
{
	__builtin_memset(&b->h, 0, sizeof(b->h));
	b->h.ts = ts;
	b->h.pid = pid_tgid >> 32;
	b->h.tid = (__u32)pid_tgid;
	b->h.type = type;
	bpf_get_current_comm(b->h.comm, sizeof(b->h.comm));
}

/*
 * Room in the ring for a record and `extra` bytes after it, and its header
 * started in b (type, owner); NULL, counted, when the ring is full.
 */
static __always_inline struct sysrec_art *art_reserve(struct art_buf *b, __u8 type, __u64 pid_tgid, __u64 ts,
                                                      __u64 extra)
{
	struct sysrec_art *r = bpf_ringbuf_reserve(&art_rb, sizeof(*r) + extra, 0);

	if (!r) {
		art_count(0, 1, 0, 0);
		return NULL;
	}
	art_head(b, type, pid_tgid, ts);
	return r;
}

/* ---- paths ---- */

struct art_walk {
	struct dentry *d;
	struct mount *m;
	struct dentry *root;   /* the writer's root (chroot, a container's) */
	struct vfsmount *rmnt; /* and its mount */
	struct art_buf *b;
	__u32 pos; /* the path so far is b->path[pos, ART_PATH_BUF) */
	int cut;   /* longer than the buffer: its front is missing */
};

static long art_walk_step(__u32 i, void *ctx)
{
	struct art_walk *w = ctx;
	struct dentry *d = w->d, *parent;
	struct mount *m = w->m; /* a local: CO-RE relocates kernel types only */
	struct vfsmount *vm = (void *)m + bpf_core_field_offset(struct mount, mnt);
	const unsigned char *name;
	__u32 len;

	if (d == w->root && vm == w->rmnt)
		return 1;
	parent = BPF_CORE_READ(d, d_parent);
	if (d == BPF_CORE_READ(vm, mnt_root) || d == parent) {
		struct mount *mp = BPF_CORE_READ(m, mnt_parent);

		if (mp == m || !mp)
			return 1; /* the top of the mount tree */
		w->d = BPF_CORE_READ(m, mnt_mountpoint);
		w->m = mp;
		return 0;
	}
	len = BPF_CORE_READ(d, d_name.len);
	name = BPF_CORE_READ(d, d_name.name);
	if (len > 255)
		len = 255;
	if (w->pos < len + 1) {
		w->cut = 1;
		return 1;
	}
	w->pos -= len;
	bpf_probe_read_kernel(&w->b->path[w->pos & (ART_PATH_BUF - 1)], len & 255, name);
	w->pos--;
	w->b->path[w->pos & (ART_PATH_BUF - 1)] = '/';
	w->d = parent;
	return 0;
}

/* The path of f as its writer sees it, into b->path[pos, ART_PATH_BUF); pos returned. */
static __always_inline __u32 art_path(struct art_buf *b, struct file *f)
{
	struct task_struct *t = current_task();
	struct art_walk w = {
		.d = BPF_CORE_READ(f, f_path.dentry),
		.m = (void *)BPF_CORE_READ(f, f_path.mnt) - bpf_core_field_offset(struct mount, mnt),
		.root = BPF_CORE_READ(t, fs, root.dentry),
		.rmnt = BPF_CORE_READ(t, fs, root.mnt),
		.b = b,
		.pos = ART_PATH_BUF,
	};

	bpf_loop(SYSREC_ART_PATH / 2, art_walk_step, &w, 0);
	if (w.pos == ART_PATH_BUF) {
		w.pos--;
		b->path[w.pos & (ART_PATH_BUF - 1)] = '/';
	}
	return w.pos;
}

struct art_match {
	struct art_buf *b;
	__u32 pos, len; /* the path */
	int found;
};

/* Whether prefix i starts the path. */
static long art_match_one(__u32 i, void *ctx)
{
	struct art_match *m = ctx;
	struct sysrec_art_prefix *p = bpf_map_lookup_elem(&art_prefixes, &i);
	__u32 n;

	if (!p)
		return 1;
	n = p->len;
	if (n > m->len || n > SYSREC_ART_PREFIX)
		return 0;
	for (__u32 k = 0; k < SYSREC_ART_PREFIX; k++) {
		if (k >= n) {
			m->found = 1;
			return 1;
		}
		if (m->b->path[(m->pos + k) & (ART_PATH_BUF - 1)] != p->s[k])
			return 0;
	}
	m->found = 1;
	return 1;
}

/* Tell the path at b->path[pos, ART_PATH_BUF) as file (dev, ino)'s. */
static __always_inline void art_emit_path(struct art_buf *b, __u8 type, __u32 pos, __u64 dev, __u64 ino,
                                          __u32 gen, __u64 pid_tgid, __u64 ts)
{
	__u64 len = ART_PATH_BUF - (__u64)(pos & (ART_PATH_BUF - 1));
	struct sysrec_art *r;

	if (len > SYSREC_ART_PATH || pos >= ART_PATH_BUF)
		len = 1; /* "/": the root */
	r = art_reserve(b, type, pid_tgid, ts, SYSREC_ART_PATH);
	if (!r)
		return;
	b->h.dev = dev;
	b->h.ino = ino;
	b->h.gen = gen;
	b->h.off = 0;
	b->h.len = len;
	__builtin_memcpy(r, &b->h, sizeof(*r));
	bpf_probe_read_kernel((void *)(r + 1), len, &b->path[pos & (ART_PATH_BUF - 1)]);
	bpf_ringbuf_submit(r, 0);
	art_count(1, 0, 0, 0);
}

/*
 * Whether the data written to f is kept: decided at its first write from its
 * path, then looked up. The path is told first, and again after a rename.
 */
static __always_inline bool art_file_kept(struct art_buf *b, struct file *f, __u64 dev, __u64 ino, __u32 gen,
                                          __u64 pid_tgid, __u64 ts)
{
	struct art_file_key k = { dev, ino, gen, 0 };
	struct art_file *known = bpf_map_lookup_elem(&art_files, &k);
	struct dentry *d;
	struct art_file v;
	__u64 parent;
	__u32 hash, pos;

	if (known && !known->keep)
		return false; /* a file left out: one lookup per write, nothing read */
	d = f->f_path.dentry;
	parent = (__u64)d->d_parent;
	hash = d->d_name.hash;
	if (known && known->parent == parent && known->name_hash == hash)
		return true;
	v = (struct art_file){ .name_hash = hash, .parent = parent };
	pos = art_path(b, f);
	if (known) {
		v.keep = 1; /* renamed: kept as it was */
	} else if (!art_nprefixes) {
		v.keep = 1;
	} else {
		struct art_match m = { .b = b, .pos = pos, .len = ART_PATH_BUF - pos };

		bpf_loop(art_nprefixes, art_match_one, &m, 0);
		v.keep = m.found;
	}
	bpf_map_update_elem(&art_files, &k, &v, BPF_ANY);
	if (v.keep)
		art_emit_path(b, SYSREC_ART_REC_PATH, pos, dev, ino, gen, pid_tgid, ts);
	return v.keep;
}

/* ---- written data ---- */

/*
 * Bytes of the current task's memory into records of the header in c->b->h
 * (filled by the caller: type, owner, the whole's fields): each chunk sets
 * its offset and length. From one buffer (base, left) or a vector (iov).
 */
struct art_copy {
	struct art_buf *b;
	const struct iovec *iov; /* the writer's vector; NULL: one buffer (base, left) */
	__u64 niov, next;        /* its entries, the next one to take */
	const __u8 *base;        /* the current buffer */
	__u64 left;              /* its bytes still to copy */
	__u64 total;             /* bytes still to copy */
	__u64 off;               /* where the next chunk goes */
};

static long art_copy_step(__u32 i, void *ctx)
{
	struct art_copy *c = ctx;
	struct art_buf *b = c->b;
	__u64 n;

	if (!c->total)
		return 1;
	if (!c->left) {
		struct iovec v = {};

		if (!c->iov || c->next >= c->niov)
			return 1;
		if (bpf_probe_read_user(&v, sizeof(v), c->iov + c->next))
			return 1;
		c->next++;
		c->base = v.iov_base;
		c->left = v.iov_len < c->total ? v.iov_len : c->total;
		return 0;
	}
	n = c->left < SYSREC_ART_CHUNK ? c->left : SYSREC_ART_CHUNK;
	b->h.off = c->off;
	b->h.len = n;
	if (n == SYSREC_ART_CHUNK) { /* a whole chunk: read straight into the ring (one copy, not two) */
		struct sysrec_art *r = bpf_ringbuf_reserve(&art_rb, sizeof(*r) + SYSREC_ART_CHUNK, 0);

		if (!r) {
			art_count(0, 1, n, 0);
			b->lost += n;
		} else if (bpf_probe_read_user((void *)(r + 1), SYSREC_ART_CHUNK, c->base)) {
			bpf_ringbuf_discard(r, BPF_RB_NO_WAKEUP);
			art_count(0, 0, 0, n);
			b->lost += n;
		} else {
			__builtin_memcpy(r, &b->h, sizeof(*r));
			bpf_ringbuf_submit(r, art_wakeup());
			art_count(1, 0, 0, 0);
		}
	} else if (bpf_probe_read_user(b->data, n & (SYSREC_ART_CHUNK - 1 | SYSREC_ART_CHUNK), c->base)) {
		art_count(0, 0, 0, n);
		b->lost += n;
	} else if (bpf_ringbuf_output(&art_rb, &b->h,
	                              sizeof(b->h) + (n & (SYSREC_ART_CHUNK - 1 | SYSREC_ART_CHUNK)),
	                              art_wakeup())) {
		art_count(0, 1, n, 0);
		b->lost += n;
	} else {
		art_count(1, 0, 0, 0);
	}
	c->base += n;
	c->left -= n;
	c->total -= n;
	c->off += n;
	return 0;
}

/* Copy total bytes at base (a chunk per step: up to 64 MiB); what could not be sent is counted. */
static __always_inline void art_copy_run(struct art_copy *c)
{
	/* a chunk per step, a step more per vector entry */
	bpf_loop(2048 + 1024, art_copy_step, c, 0);
	if (c->total) {
		art_count(0, 0, 0, c->total);
		c->b->lost += c->total;
	}
}

/* A region, module image or program of `whole` bytes at base: at most max of it sent, the rest counted. */
static __always_inline void art_copy_whole(struct art_buf *b, const void *base, __u64 whole, __u64 max)
{
	struct art_copy c = { .b = b, .base = base };
	__u64 n = whole < max ? whole : max;

	if (n > art_copy_cap)
		n = art_copy_cap;
	b->h.whole = whole;
	b->h.total = n;
	c.left = c.total = n;
	if (whole > n) {
		__u32 k = 0;
		struct sysrec_art_stats *st = bpf_map_lookup_elem(&art_stats, &k);

		if (st)
			__sync_fetch_and_add(&st->limit, whole - n);
	}
	art_copy_run(&c);
}

/* ---- memory made executable ---- */

struct art_wx_key {
	__u32 tgid, pad;
	__u64 addr;
};

/* Regions mapped or made writable and executable, by process and start: their protections then. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 16384);
	__type(key, struct art_wx_key);
	__type(value, __u32);
} art_wx SEC(".maps");

#define ART_PROT_W 2
#define ART_PROT_X 4

/*
 * mmap or mprotect that left [addr, addr + len) writable and executable: a
 * note, and the region is remembered; mprotect that makes such a region
 * executable and not writable: its bytes (the unpacked code), up to
 * art_mem_max.
 */
static __always_inline void art_mem(struct art_buf *b, __u64 pid_tgid, __u64 ts, __u64 addr, __u64 len,
                                    __u32 prot)
{
	struct art_wx_key k = { .tgid = pid_tgid >> 32, .addr = addr };
	__u32 *before;

	if ((prot & (ART_PROT_W | ART_PROT_X)) == (ART_PROT_W | ART_PROT_X)) {
		struct sysrec_art *r;

		bpf_map_update_elem(&art_wx, &k, &prot, BPF_ANY);
		r = art_reserve(b, SYSREC_ART_REC_WX, pid_tgid, ts, 0);
		if (!r)
			return;
		b->h.addr = addr;
		b->h.total = len;
		b->h.prot_after = prot;
		b->h.len = 0;
		__builtin_memcpy(r, &b->h, sizeof(*r));
		bpf_ringbuf_submit(r, 0);
		art_count(1, 0, 0, 0);
		return;
	}
	if (!(prot & ART_PROT_X) || (prot & ART_PROT_W))
		return;
	before = bpf_map_lookup_elem(&art_wx, &k);
	if (!before)
		return;
	art_head(b, SYSREC_ART_REC_MEM, pid_tgid, ts);
	b->h.addr = addr;
	b->h.prot_before = *before;
	b->h.prot_after = prot;
	bpf_map_delete_elem(&art_wx, &k);
	art_copy_whole(b, (const void *)addr, len, art_mem_max);
}

/* What the exit of call nr (stamped ts) leaves: the data it wrote to a file kept, or memory made W+X or X. */
static __always_inline void art_exit_call(struct pt_regs *regs, long ret, __u64 pid_tgid, __u32 nr, __u64 ts)
{
	struct art_copy c = {};
	struct art_last *last;
	__u32 zero = 0;
	struct art_buf *b;
	struct file *f;
	__u64 dev, ino;
	__u32 gen;
	__s64 pos = -1;
	bool vec;

	switch (nr) {
	case 1: /* write */
		vec = false;
		break;
	case 18: /* pwrite64 */
		vec = false;
		pos = arg(regs, 3);
		break;
	case 20: /* writev */
		vec = true;
		break;
	case 296: /* pwritev */
	case 328: /* pwritev2: offset -1 is the file's own */
		vec = true;
		pos = arg(regs, 3);
		break;
	case 9:  /* mmap: the region is the result */
	case 10: /* mprotect */
		if (!(art_kinds & SYSREC_ART_MEM) || (nr == 9 ? ret < 0 && ret > -4096 : ret != 0))
			return;
		b = art_buf_get(0);
		if (b)
			art_mem(b, pid_tgid, ts, nr == 9 ? (__u64)ret : arg(regs, 0), arg(regs, 1),
			        arg(regs, 2));
		return;
	default:
		return;
	}
	if (!(art_kinds & SYSREC_ART_WRITE) || ret <= 0)
		return;
	f = task_file((int)arg(regs, 0));
	if (!f || (f->f_inode->i_mode & 0170000) != 0100000) /* S_IFREG */
		return;
	b = art_buf_get(0);
	if (!b)
		return;
	dev = f->f_inode->i_sb->s_dev;
	ino = f->f_inode->i_ino;
	gen = f->f_inode->i_generation;
	last = bpf_map_lookup_elem(&art_last, &zero);
	if (last && last->file == (__u64)f && last->inode == (__u64)f->f_inode && last->ino == ino &&
	    last->gen == gen)
		return;
	if (!art_file_kept(b, f, dev, ino, gen, pid_tgid, ts)) {
		if (last)
			*last = (struct art_last){ (__u64)f, (__u64)f->f_inode, ino, gen, 0 };
		return;
	}
	art_head(b, SYSREC_ART_REC_WRITE, pid_tgid, ts);
	b->h.dev = dev;
	b->h.ino = ino;
	b->h.gen = gen;
	c.b = b;
	c.total = ret;
	/* the file's own position has moved past what was written */
	c.off = pos >= 0 ? (__u64)pos : (__u64)f->f_pos - (__u64)ret;
	if (vec) {
		c.iov = (const struct iovec *)arg(regs, 1);
		c.niov = arg(regs, 2);
	} else {
		c.base = (const __u8 *)arg(regs, 1);
		c.left = ret;
	}
	b->lost = 0;
	art_copy_run(&c);
	if (b->lost) { /* the file's own count: its artifact says it is incomplete */
		struct art_file_key k = { dev, ino, gen, 0 };
		struct art_file *fv = bpf_map_lookup_elem(&art_files, &k);

		if (fv)
			__sync_fetch_and_add(&fv->lost, b->lost);
	}
}

/*
 * Handed a call's exit by the dispatcher (art_exit_tail), or attached on its own
 * (art_alone): the artifacts first, then the call's event, with their time.
 */
SEC("tp_btf/sys_exit")
int BPF_PROG(art_sys_exit, struct pt_regs *regs, long ret)
{
	__u64 pid_tgid = bpf_get_current_pid_tgid(), ts = ev_now();
	__u32 nr = regs->orig_ax;

	if (ignored(pid_tgid))
		return 0;
	art_exit_call(regs, ret, pid_tgid, nr, ts);
	if (art_alone || nr >= SYSREC_NATIVE_MAX)
		return 0;
	return route_exit(ctx, regs, ret, pid_tgid, nr, ts);
}

/* ---- kernel modules and BPF programs: at the call, whatever it returns ---- */

static __always_inline void art_enter_call(struct pt_regs *regs, long id, __u64 pid_tgid, __u64 ts)
{
	struct art_buf *b;

	if (id == 175 && (art_kinds & SYSREC_ART_MODULE)) { /* init_module(image, len, args) */
		b = art_buf_get(0);
		if (!b)
			return;
		art_head(b, SYSREC_ART_REC_MODULE, pid_tgid, ts);
		art_copy_whole(b, (const void *)arg(regs, 0), arg(regs, 1), art_whole_max);
	} else if (id == 313 && (art_kinds & SYSREC_ART_MODULE)) { /* finit_module(fd, args, flags) */
		struct file *f = task_file((int)arg(regs, 0));
		struct inode *ino;
		__u32 pos;

		b = art_buf_get(0);
		if (!f || !b)
			return;
		ino = f->f_inode;
		pos = art_path(b, f);
		art_emit_path(b, SYSREC_ART_REC_MODFILE, pos, ino->i_sb->s_dev, ino->i_ino, ino->i_generation,
		              pid_tgid, ts);
	} else if (id == 321 && arg(regs, 0) == 5 && (art_kinds & SYSREC_ART_BPF)) { /* bpf(BPF_PROG_LOAD) */
		const __u8 *attr = (const __u8 *)arg(regs, 1);
		__u32 cnt = 0;
		__u64 insns = 0;

		b = art_buf_get(0);
		if (!b)
			return;
		art_head(b, SYSREC_ART_REC_BPF, pid_tgid, ts);
		/* union bpf_attr's program load: insn_cnt at 4, insns at 8, prog_name[16] at 48 */
		bpf_probe_read_user(&cnt, sizeof(cnt), attr + 4);
		bpf_probe_read_user(&insns, sizeof(insns), attr + 8);
		__builtin_memset(b->h.name, 0, sizeof(b->h.name));
		bpf_probe_read_user(b->h.name, sizeof(b->h.name) - 1, attr + 48);
		art_copy_whole(b, (const void *)insns, (__u64)cnt * 8, art_whole_max);
	}
}

/* Handed a call's enter (see art_sys_exit): what it loads, then its event. */
SEC("tp_btf/sys_enter")
int BPF_PROG(art_sys_enter, struct pt_regs *regs, long id)
{
	__u64 pid_tgid = bpf_get_current_pid_tgid(), ts = ev_now();

	if (id < 0 || id >= SYSREC_NATIVE_MAX || ignored(pid_tgid))
		return 0;
	if (id == 175 || id == 313 || id == 321) /* every other call: recorded at once */
		art_enter_call(regs, id, pid_tgid, ts);
	if (art_alone)
		return 0;
	return route_enter(ctx, regs, pid_tgid, id, ts);
}

/* ---- executed binaries ---- */

/* A binary run: file f (NULL: a script, known by name only), by the name at name, told to userspace. */
static __always_inline void art_emit_exec(struct art_buf *b, struct file *f, const char *name, __u8 flags,
                                          __u64 pid_tgid)
{
	struct sysrec_art *r = art_reserve(b, SYSREC_ART_REC_EXEC, pid_tgid, ev_now(), SYSREC_ART_PATH);
	long n;

	if (!r)
		return;
	b->h.dev = 0;
	b->h.ino = 0;
	b->h.gen = 0;
	if (f) {
		struct inode *ino = BPF_CORE_READ(f, f_inode);

		b->h.dev = BPF_CORE_READ(ino, i_sb, s_dev);
		b->h.ino = BPF_CORE_READ(ino, i_ino);
		b->h.gen = BPF_CORE_READ(ino, i_generation);
	}
	b->h.flags = flags;
	b->h.uid = (__u32)bpf_get_current_uid_gid();
	b->h.ppid = BPF_CORE_READ(current_task(), real_parent, tgid);
	n = bpf_probe_read_kernel_str((void *)(r + 1), SYSREC_ART_PATH, name);
	b->h.len = n > 0 ? n - 1 : 0;
	__builtin_memcpy(r, &b->h, sizeof(*r));
	bpf_ringbuf_submit(r, BPF_RB_FORCE_WAKEUP); /* read while the process lives */
	art_count(1, 0, 0, 0);
}

/*
 * The binary run, by its own name (for a script, its interpreter: binfmt_script
 * puts the interpreter's name in interp); then a script run by the name it was
 * run by (the kernel has let go of the script's file by now).
 */
SEC("tp_btf/sched_process_exec")
int BPF_PROG(art_exec, struct task_struct *p, pid_t old_pid, struct linux_binprm *bprm)
{
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	const char *interp, *filename;
	struct art_buf *b;

	if (!(art_kinds & SYSREC_ART_EXEC) || ignored(pid_tgid))
		return 0;
	b = art_buf_get(1);
	if (!b)
		return 0;
	interp = BPF_CORE_READ(bprm, interp);
	filename = BPF_CORE_READ(bprm, filename);
	art_emit_exec(b, BPF_CORE_READ(bprm, file), interp, 0, pid_tgid);
	if (interp != filename)
		art_emit_exec(b, NULL, filename, SYSREC_ART_F_SCRIPT, pid_tgid);
	return 0;
}
