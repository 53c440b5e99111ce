/* reader: streaming, bounds-checked .scap reader (raw or gzip). */
#include "scap.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#define READ_CHUNK (1U << 20)

enum phase { PH_START, PH_META, PH_EVENTS };

struct scap_reader {
	int fd;
	gzFile gz;
	uint8_t *buf;
	size_t cap, start, end; /* unread bytes are buf[start, end) */
	uint64_t off;           /* file offset of buf[start] */
	bool eof;
	enum phase phase;
	bool any_event;
	bool mapped;      /* buf is an mmap of the whole (raw) file */
	bool borrowed;    /* buf is the caller's image in memory (scap_reader_open_mem) */
	size_t populated; /* mapped bytes [0, populated) were asked to be faulted in */
	bool has_meta;    /* the last record owns metadata to free */
	/* storage of the last metadata record */
	struct scap_proc *procs;
	size_t nprocs, procs_cap;
	struct scap_fd *fds;
	size_t nfds, fds_cap;
	struct scap_iface *ifaces;
	size_t nifaces;
	struct scap_user *users;
	size_t nusers;
	struct scap_group *groups;
	size_t ngroups;
};

struct scap_reader *scap_reader_open(const char *path, struct err *e)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0) {
		err_set(e, -errno, "cannot open %s: %s", path, strerror(errno));
		return NULL;
	}
	return scap_reader_open_fd(fd, e);
}

struct scap_reader *scap_reader_open_fd(int fd, struct err *e)
{
	struct scap_reader *r;
	uint8_t magic[2];

	r = xcalloc(1, sizeof(*r));
	r->fd = fd;
	if (pread(fd, magic, 2, 0) == 2 && magic[0] == 0x1f && magic[1] == 0x8b) {
		r->gz = gzdopen(fd, "rb");
		if (!r->gz) {
			err_set(e, -EIO, "cannot open the file as gzip");
			close(fd);
			free(r);
			return NULL;
		}
		gzbuffer(r->gz, 1 << 18);
	} else {
		struct stat st;
		void *map;

		/* a raw regular file is read in place: no copies, no refills */
		if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0 &&
		    (uint64_t)st.st_size < ((uint64_t)1 << 46)) {
			map = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
			if (map != MAP_FAILED) {
				madvise(map, (size_t)st.st_size, MADV_SEQUENTIAL | MADV_WILLNEED);
				r->buf = map;
				r->cap = r->end = (size_t)st.st_size;
				r->eof = r->mapped = true;
				return r;
			}
		}
	}
	r->cap = READ_CHUNK;
	r->buf = xmalloc(r->cap);
	return r;
}

struct scap_reader *scap_reader_open_mem(const void *p, size_t n)
{
	struct scap_reader *r = xcalloc(1, sizeof(*r));

	r->fd = -1;
	r->buf = (uint8_t *)(uintptr_t)p; /* only read */
	r->cap = r->end = n;
	r->eof = r->borrowed = true;
	return r;
}

void scap_reader_mem_grow(struct scap_reader *r, size_t n)
{
	if (r->borrowed && n > r->end)
		r->cap = r->end = n;
}

static void free_meta_now(struct scap_reader *r)
{
	r->has_meta = false;
	for (size_t i = 0; i < r->nprocs; i++)
		scap_proc_release(&r->procs[i]);
	r->nprocs = 0;
	for (size_t i = 0; i < r->nfds; i++)
		scap_fd_release(&r->fds[i]);
	r->nfds = 0;
	for (size_t i = 0; i < r->nifaces; i++)
		free(r->ifaces[i].name);
	free(r->ifaces);
	r->ifaces = NULL;
	r->nifaces = 0;
	for (size_t i = 0; i < r->nusers; i++) {
		free(r->users[i].name);
		free(r->users[i].homedir);
		free(r->users[i].shell);
	}
	free(r->users);
	r->users = NULL;
	r->nusers = 0;
	for (size_t i = 0; i < r->ngroups; i++)
		free(r->groups[i].name);
	free(r->groups);
	r->groups = NULL;
	r->ngroups = 0;
}

static inline void free_meta(struct scap_reader *r)
{
	if (r->has_meta)
		free_meta_now(r);
}

void scap_reader_close(struct scap_reader *r)
{
	if (!r)
		return;
	free_meta(r);
	free(r->procs);
	free(r->fds);
	if (r->gz)
		gzclose(r->gz);
	else if (r->fd >= 0)
		close(r->fd);
	if (r->mapped)
		munmap(r->buf, r->cap);
	else if (!r->borrowed)
		free(r->buf);
	free(r);
}

bool scap_reader_stable(const struct scap_reader *r)
{
	return r->mapped || r->borrowed;
}

uint64_t scap_reader_offset(const struct scap_reader *r)
{
	return r->off;
}

/*
 * Make at least `need` unread bytes available in buf unless the file ends
 * first. The buffer grows only as data actually arrives, so a forged length
 * cannot make us allocate more than about twice what the file holds.
 * Returns the bytes available, or -errno on an I/O error.
 */
static ssize_t fill_more(struct scap_reader *r, size_t need, struct err *e)
{
	while (r->end - r->start < need && !r->eof) {
		ssize_t n;

		if (r->start > 0 && r->cap - r->end < READ_CHUNK) {
			memmove(r->buf, r->buf + r->start, r->end - r->start);
			r->end -= r->start;
			r->start = 0;
		}
		if (r->cap - r->end < READ_CHUNK / 4) {
			r->cap *= 2;
			r->buf = xrealloc(r->buf, r->cap);
		}
		if (r->gz) {
			int zerr;

			n = gzread(r->gz, r->buf + r->end, (unsigned)(r->cap - r->end));
			if (n < 0) {
				const char *msg = gzerror(r->gz, &zerr);

				return err_set(e, -EIO, "gzip error at offset %llu: %s",
				               (unsigned long long)(r->off + r->end - r->start), msg);
			}
		} else {
			n = read(r->fd, r->buf + r->end, r->cap - r->end);
			if (n < 0) {
				if (errno == EINTR)
					continue;
				return err_set(e, -errno, "read error at offset %llu: %s",
				               (unsigned long long)(r->off + r->end - r->start),
				               strerror(errno));
			}
		}
		if (n == 0 && r->gz) {
			int zerr;
			const char *msg = gzerror(r->gz, &zerr);

			if (zerr != Z_OK)
				return err_set(e, -ENODATA, "gzip stream ends early at offset %llu: %s",
				               (unsigned long long)(r->off + r->end - r->start), msg);
		}
		if (n == 0)
			r->eof = true;
		r->end += (size_t)n;
	}
	return (ssize_t)(r->end - r->start);
}

static inline ssize_t fill(struct scap_reader *r, size_t need, struct err *e)
{
	if (r->end - r->start >= need) /* always so in a mapped file, but at its end */
		return (ssize_t)(r->end - r->start);
	return fill_more(r, need, e);
}

#ifndef MADV_POPULATE_READ
#define MADV_POPULATE_READ 22
#endif
#define POPULATE_STEP (32U << 20)

static inline void consume(struct scap_reader *r, size_t n)
{
	r->start += n;
	r->off += n;
	/* fault the mapping in ahead of use, a big step at a time, rather than
	 * taking a page fault every few pages (best effort: old kernels say no) */
	if (r->mapped && r->start + POPULATE_STEP / 2 > r->populated && r->populated < r->cap) {
		size_t len = r->cap - r->populated < POPULATE_STEP ? r->cap - r->populated : POPULATE_STEP;

		madvise(r->buf + r->populated, len, MADV_POPULATE_READ);
		r->populated += len;
	}
}

/* ---- metadata block bodies ---- */

static int parse_machine(struct scap_record *rec, const uint8_t *body, size_t n, struct err *e)
{
	struct cursor c;

	if (n < 180)
		return err_set(e, -EINVAL, "machine info block body is %zu bytes, expected 180", n);
	cursor_init(&c, body, n);
	memset(&rec->machine, 0, sizeof(rec->machine));
	rec->machine.num_cpus = cursor_u32(&c);
	rec->machine.memory_bytes = cursor_u64(&c);
	rec->machine.max_pid = cursor_u64(&c);
	memcpy(rec->machine.hostname, cursor_take(&c, 128), 128);
	rec->machine.boot_ts = cursor_u64(&c);
	return 0;
}

static int parse_ifaces(struct scap_reader *r, uint32_t bt, const uint8_t *body, size_t n, struct err *e)
{
	struct cursor c;
	size_t cap = 0;

	cursor_init(&c, body, n);
	while (cursor_left(&c) >= 4) {
		struct cursor ec = c;
		struct scap_iface f = { 0 };
		size_t namelen, fixed;
		uint32_t entry_len = 0;

		if (bt == SCAP_BT_IL_V2) {
			entry_len = cursor_u32(&c);
			if (entry_len > cursor_left(&c))
				return err_set(e, -EINVAL, "interface entry length %u exceeds its block",
				               entry_len);
			cursor_init(&ec, c.p, entry_len);
			c.p += entry_len;
		}
		f.type = cursor_u16(&ec);
		namelen = cursor_u16(&ec);
		if (ec.bad)
			return err_set(e, -EINVAL, "truncated interface entry");
		if (namelen >= 1024)
			return err_set(e, -EINVAL, "interface name length %zu too long", namelen);
		switch (f.type) {
		case 1:
		case 3:
			memcpy(f.addr, cursor_take(&ec, 4) ?: (const void *)"\0\0\0\0", 4);
			memcpy(f.netmask, cursor_take(&ec, 4) ?: (const void *)"\0\0\0\0", 4);
			memcpy(f.bcast, cursor_take(&ec, 4) ?: (const void *)"\0\0\0\0", 4);
			fixed = 16;
			break;
		case 2:
		case 4: {
			const void *a = cursor_take(&ec, 16), *m = cursor_take(&ec, 16),
			           *b = cursor_take(&ec, 16);

			if (a && m && b) {
				memcpy(f.addr, a, 16);
				memcpy(f.netmask, m, 16);
				memcpy(f.bcast, b, 16);
			}
			fixed = 52;
			break;
		}
		default:
			return err_set(e, -EINVAL, "unknown interface type %u", f.type);
		}
		if (f.type <= 2) {
			f.linkspeed = cursor_u64(&ec);
			fixed += 8;
		}
		{
			const char *nm = cursor_take(&ec, namelen);

			if (ec.bad)
				return err_set(e, -EINVAL, "truncated interface entry");
			f.name = xstrndup(nm, namelen);
		}
		if (bt != SCAP_BT_IL_V2)
			c = (struct cursor){ ec.p, c.end, false };
		(void)fixed;
		if (r->nifaces == cap) {
			cap = cap ? cap * 2 : 8;
			r->ifaces = xrealloc(r->ifaces, cap * sizeof(*r->ifaces));
		}
		r->ifaces[r->nifaces++] = f;
	}
	return 0;
}

static int parse_users(struct scap_reader *r, uint32_t bt, const uint8_t *body, size_t n, struct err *e)
{
	struct cursor c;
	size_t ucap = 0, gcap = 0;

	cursor_init(&c, body, n);
	while (cursor_left(&c) >= 4) {
		struct cursor ec = c;
		uint8_t type;
		size_t l = 0;

		if (bt == SCAP_BT_UL_V2) {
			uint32_t entry_len = cursor_u32(&c);

			if (entry_len < 4 || entry_len - 4 > cursor_left(&c))
				return err_set(e, -EINVAL, "user entry length %u exceeds its block",
				               entry_len);
			cursor_init(&ec, c.p, entry_len - 4);
			c.p += entry_len - 4;
		}
		type = cursor_u8(&ec);
		if (type == 0) {
			struct scap_user u = { 0 };

			u.uid = cursor_u32(&ec);
			u.gid = cursor_u32(&ec);
			u.name = cursor_lstr(&ec, 255, &l);
			if (!u.name && l > 255)
				return err_set(e, -EINVAL, "invalid user name len %zu", l);
			u.homedir = cursor_lstr(&ec, 255, &l);
			if (!u.homedir && l > 255) {
				free(u.name);
				return err_set(e, -EINVAL, "invalid user homedir len %zu", l);
			}
			u.shell = cursor_lstr(&ec, 255, &l);
			if (ec.bad) {
				free(u.name);
				free(u.homedir);
				free(u.shell);
				return err_set(e, -EINVAL,
				               l > 255 ? "invalid user shell len" : "truncated user entry");
			}
			if (r->nusers == ucap) {
				ucap = ucap ? ucap * 2 : 16;
				r->users = xrealloc(r->users, ucap * sizeof(*r->users));
			}
			r->users[r->nusers++] = u;
		} else {
			struct scap_group g = { 0 };

			g.gid = cursor_u32(&ec);
			g.name = cursor_lstr(&ec, 255, &l);
			if (ec.bad)
				return err_set(e, -EINVAL,
				               l > 255 ? "invalid group name len %zu"
				                       : "truncated group entry%.0zu",
				               l);
			if (r->ngroups == gcap) {
				gcap = gcap ? gcap * 2 : 16;
				r->groups = xrealloc(r->groups, gcap * sizeof(*r->groups));
			}
			r->groups[r->ngroups++] = g;
		}
		if (bt != SCAP_BT_UL_V2)
			c = (struct cursor){ ec.p, c.end, false };
	}
	return 0;
}

void scap_proc_release(struct scap_proc *p)
{
	free(p->comm);
	free(p->exe);
	free(p->exepath);
	free(p->cwd);
	free(p->root);
	free(p->args);
	free(p->env);
	free(p->cgroups);
}

void scap_fd_release(struct scap_fd *f)
{
	free(f->name);
}

static int pl_version(uint32_t bt)
{
	switch (bt) {
	case SCAP_BT_PL_V1:
	case SCAP_BT_PL_V1_ALT:
		return 1;
	case SCAP_BT_PL_V2:
	case SCAP_BT_PL_V2_ALT:
		return 2;
	case SCAP_BT_PL_V3:
	case SCAP_BT_PL_V3_ALT:
		return 3;
	case SCAP_BT_PL_V4:
		return 4;
	case SCAP_BT_PL_V5:
		return 5;
	case SCAP_BT_PL_V6:
		return 6;
	case SCAP_BT_PL_V7:
		return 7;
	case SCAP_BT_PL_V8:
		return 8;
	case SCAP_BT_PL_V9:
		return 9;
	default:
		return 0;
	}
}

/* A length-prefixed string field of a process entry, with its reader limit. */
static char *proc_str(struct cursor *c, size_t max, uint32_t *len, const char *what, int *rc, struct err *e)
{
	size_t l = 0;
	char *s;

	if (*rc)
		return NULL;
	s = cursor_lstr(c, max, &l);
	if (!s) {
		*rc = c->bad && l > max ? err_set(e, -EINVAL, "invalid %slen %zu", what, l)
		                        : err_set(e, -EINVAL, "truncated process entry (%s)", what);
		return NULL;
	}
	if (len)
		*len = (uint32_t)l;
	return s;
}

static int parse_proc(struct cursor *c, int v, struct scap_proc *p, struct err *e)
{
	int rc = 0;

	memset(p, 0, sizeof(*p));
	p->sid = p->vpgid = (uint64_t)-1;
	p->vtid = p->vpid = -1;
	p->loginuid = UINT32_MAX;
	p->tid = cursor_u64(c);
	p->pid = cursor_u64(c);
	p->ptid = cursor_u64(c);
	if (v >= 6)
		p->sid = cursor_u64(c);
	if (v >= 8)
		p->vpgid = cursor_u64(c);
	p->comm = proc_str(c, 1024, NULL, "comm", &rc, e);
	p->exe = proc_str(c, 1024, NULL, "exe", &rc, e);
	if (v >= 7)
		p->exepath = proc_str(c, 1024, NULL, "exepath", &rc, e);
	p->args = proc_str(c, 4096, &p->args_len, "args", &rc, e);
	p->cwd = proc_str(c, 1024, NULL, "cwd", &rc, e);
	if (rc)
		return rc;
	p->fdlimit = (int64_t)cursor_u64(c);
	p->flags = cursor_u32(c);
	p->uid = cursor_u32(c);
	p->gid = cursor_u32(c);
	if (v >= 2) {
		p->vmsize_kb = cursor_u32(c);
		p->vmrss_kb = cursor_u32(c);
		p->vmswap_kb = cursor_u32(c);
		p->pfmajor = cursor_u64(c);
		p->pfminor = cursor_u64(c);
	}
	if (v >= 3)
		p->env = proc_str(c, 4096, &p->env_len, "env", &rc, e);
	if (v >= 4) {
		p->vtid = (int64_t)cursor_u64(c);
		p->vpid = (int64_t)cursor_u64(c);
		p->cgroups = proc_str(c, 4096, &p->cgroups_len, "cgroups", &rc, e);
	}
	if (v >= 5)
		p->root = proc_str(c, 1024, NULL, "root", &rc, e);
	if (!rc && c->bad)
		rc = err_set(e, -EINVAL, "truncated process entry");
	if (!p->exepath)
		p->exepath = xstrndup("", 0);
	if (!p->env)
		p->env = xstrndup("", 0);
	if (!p->cgroups)
		p->cgroups = xstrndup("", 0);
	if (!p->root)
		p->root = xstrndup("", 0);
	return rc;
}

/* Optional V9 tail: the pre-0.10 order when at most 29 bytes remain (5.3). */
static void parse_proc_tail(struct cursor *c, struct scap_proc *p)
{
	size_t left = cursor_left(c);

	if (left > 29) {
		/* newer libs: pidns_init_start_ts u64, tty u32, then loginuid... */
		cursor_u64(c);
		p->tty = cursor_u32(c);
		left = cursor_left(c);
	}
	if (left >= 4)
		p->loginuid = cursor_u32(c);
	if (cursor_left(c) >= 1)
		p->exe_writable = cursor_u8(c);
	if (cursor_left(c) >= 24) {
		p->has_caps = true;
		p->cap_inheritable = cursor_u64(c);
		p->cap_permitted = cursor_u64(c);
		p->cap_effective = cursor_u64(c);
	}
}

static int parse_procs(struct scap_reader *r, uint32_t bt, const uint8_t *body, size_t n, struct err *e)
{
	int v = pl_version(bt);
	struct cursor c;

	cursor_init(&c, body, n);
	while (cursor_left(&c) >= 4) {
		struct scap_proc p;
		struct cursor ec = c;
		int rc;

		if (v == 9) {
			uint32_t entry_len = cursor_u32(&c);

			if (entry_len < 4 || entry_len - 4 > cursor_left(&c))
				return err_set(e, -EINVAL, "process entry length %u exceeds its block",
				               entry_len);
			cursor_init(&ec, c.p, entry_len - 4);
			c.p += entry_len - 4;
		}
		rc = parse_proc(&ec, v, &p, e);
		if (rc) {
			scap_proc_release(&p);
			return rc;
		}
		if (v == 9)
			parse_proc_tail(&ec, &p);
		else
			c.p = ec.p;
		if (r->nprocs == r->procs_cap) {
			r->procs_cap = r->procs_cap ? r->procs_cap * 2 : 64;
			r->procs = xrealloc(r->procs, r->procs_cap * sizeof(*r->procs));
		}
		r->procs[r->nprocs++] = p;
	}
	return 0;
}

static int parse_fd(struct cursor *c, bool v2, struct scap_fd *f, struct err *e)
{
	size_t l = 0;

	memset(f, 0, sizeof(*f));
	f->fd = (int64_t)cursor_u64(c);
	f->ino = cursor_u64(c);
	f->type = cursor_u8(c);
	switch (f->type) {
	case SCAP_FD_IPV4_SOCK:
		memcpy(f->sip, cursor_take(c, 4) ?: (const void *)"\0\0\0\0", 4);
		memcpy(f->dip, cursor_take(c, 4) ?: (const void *)"\0\0\0\0", 4);
		f->sport = cursor_u16(c);
		f->dport = cursor_u16(c);
		f->l4proto = cursor_u8(c);
		break;
	case SCAP_FD_IPV6_SOCK: {
		const void *s = cursor_take(c, 16), *d = cursor_take(c, 16);

		if (s && d) {
			memcpy(f->sip, s, 16);
			memcpy(f->dip, d, 16);
		}
		f->sport = cursor_u16(c);
		f->dport = cursor_u16(c);
		f->l4proto = cursor_u8(c);
		break;
	}
	case SCAP_FD_IPV4_SERVSOCK:
		memcpy(f->sip, cursor_take(c, 4) ?: (const void *)"\0\0\0\0", 4);
		f->sport = cursor_u16(c);
		f->l4proto = cursor_u8(c);
		break;
	case SCAP_FD_IPV6_SERVSOCK: {
		const void *s = cursor_take(c, 16);

		if (s)
			memcpy(f->sip, s, 16);
		f->sport = cursor_u16(c);
		f->l4proto = cursor_u8(c);
		break;
	}
	case SCAP_FD_UNIX_SOCK:
		f->usrc = cursor_u64(c);
		f->udst = cursor_u64(c);
		f->name = cursor_lstr(c, 1023, &l);
		break;
	case SCAP_FD_FILE_V2:
		f->open_flags = cursor_u32(c);
		f->name = cursor_lstr(c, 1023, &l);
		if (v2 && cursor_left(c) >= 4) {
			f->dev = cursor_u32(c);
			f->has_dev = true;
		}
		break;
	case SCAP_FD_FILE:
	case SCAP_FD_DIRECTORY:
	case SCAP_FD_FIFO:
	case SCAP_FD_EVENT:
	case SCAP_FD_UNSUPPORTED:
	case SCAP_FD_SIGNALFD:
	case SCAP_FD_EVENTPOLL:
	case SCAP_FD_INOTIFY:
	case SCAP_FD_TIMERFD:
	case SCAP_FD_NETLINK:
		f->name = cursor_lstr(c, 1023, &l);
		break;
	default:
		if (c->bad)
			return err_set(e, -EINVAL, "truncated fd entry");
		if (f->type > SCAP_FD_FILE_V2 && v2 && f->type <= 21) {
			/* newer fd kinds (bpf, userfaultfd, io_uring, memfd, pidfd) */
			f->name = cursor_lstr(c, 1023, &l);
			f->type = SCAP_FD_UNSUPPORTED;
			break;
		}
		return err_set(e, -EINVAL, "wrong fd type %u", f->type);
	}
	if (c->bad)
		return err_set(e, -EINVAL,
		               l > 1023 ? "fd name length %zu too long" : "truncated fd entry%.0zu", l);
	if (!f->name)
		f->name = xstrndup("", 0);
	return 0;
}

static int parse_fds(struct scap_reader *r, uint32_t bt, const uint8_t *body, size_t n,
                     struct scap_record *rec, struct err *e)
{
	bool v2 = bt == SCAP_BT_FDL_V2;
	struct cursor c;

	cursor_init(&c, body, n);
	rec->fds_tid = cursor_u64(&c);
	if (c.bad)
		return err_set(e, -EINVAL, "truncated fd list block");
	while (cursor_left(&c) >= 4) {
		struct scap_fd f;
		struct cursor ec = c;
		int rc;

		if (v2) {
			uint32_t entry_len = cursor_u32(&c);

			if (entry_len < 4 || entry_len - 4 > cursor_left(&c))
				return err_set(e, -EINVAL, "fd entry length %u exceeds its block", entry_len);
			cursor_init(&ec, c.p, entry_len - 4);
			c.p += entry_len - 4;
		}
		rc = parse_fd(&ec, v2, &f, e);
		if (rc) {
			scap_fd_release(&f);
			return rc;
		}
		if (!v2)
			c.p = ec.p;
		if (r->nfds == r->fds_cap) {
			r->fds_cap = r->fds_cap ? r->fds_cap * 2 : 64;
			r->fds = xrealloc(r->fds, r->fds_cap * sizeof(*r->fds));
		}
		r->fds[r->nfds++] = f;
	}
	return 0;
}

/* ---- blocks ---- */

/* What an event block's type says about its body. */
struct evblock {
	uint8_t version; /* event header: 1 (no nparams) or 2 */
	bool has_flags;  /* EVF: 4 bytes of flags after the cpu */
	bool large;      /* 32-bit parameter lengths allowed above the usual limit */
};

/* Fills *k and returns true for the event block types. */
static inline bool event_block(uint32_t bt, struct evblock *k)
{
	if (bt == SCAP_BT_EV_V2) { /* nearly every block of a capture */
		*k = (struct evblock){ 2, false, false };
		return true;
	}
	switch (bt) {
	case SCAP_BT_EV:
	case SCAP_BT_EV_ALT:
		*k = (struct evblock){ 1, false, false };
		return true;
	case SCAP_BT_EVF:
		*k = (struct evblock){ 1, true, false };
		return true;
	case SCAP_BT_EV_V2:
		*k = (struct evblock){ 2, false, false };
		return true;
	case SCAP_BT_EVF_V2:
		*k = (struct evblock){ 2, true, false };
		return true;
	case SCAP_BT_EV_V2_LARGE:
		*k = (struct evblock){ 2, false, true };
		return true;
	case SCAP_BT_EVF_V2_LARGE:
		*k = (struct evblock){ 2, true, true };
		return true;
	default:
		return false;
	}
}

static int parse_event_block(const struct evblock *k, const uint8_t *body, size_t n, struct scap_record *rec,
                             struct err *e)
{
	size_t hdr = k->has_flags ? 6 : 2;
	int rc;

	if (n < hdr)
		return err_set(e, -EINVAL, "event block too short (%zu bytes)", n);
	rec->ev.cpu = load_u16(body);
	rec->ev.dump_flags = k->has_flags ? load_u32(body + 2) : 0;
	rc = event_parse_fast(&rec->ev, body + hdr, n - hdr, k->version, e);
	if (rc)
		return rc;
	if (rec->ev.nparams > EVENT_MAX_PARAMS)
		return err_set(e, -EINVAL,
		               "event type %u declares %u parameters, more than any event of the table (%d)",
		               rec->ev.type, rec->ev.nparams, EVENT_MAX_PARAMS);
	return 0;
}

static void add_offset(struct err *e, uint64_t off)
{
	size_t n;

	if (!e)
		return;
	n = strnlen(e->msg, sizeof(e->msg));
	if (n < sizeof(e->msg))
		snprintf(e->msg + n, sizeof(e->msg) - n, " (block at offset %llu)", (unsigned long long)off);
}

/*
 * The block nearly every call reads, on its own: an EV_V2 event after the
 * first, whole in the buffer, passing every check of the general path below.
 * False for anything else, which the general path then reads or refuses.
 */
static inline bool next_common_event(struct scap_reader *r, struct scap_record *rec)
{
	const uint8_t *b = r->buf + r->start;
	size_t avail = r->end - r->start;
	uint32_t blen;

	if (r->phase != PH_EVENTS || r->has_meta || avail < 12 || load_u32(b) != SCAP_BT_EV_V2)
		return false;
	blen = load_u32(b + 4);
	if (blen < 12 || blen % 4 || blen - 8 > SCAP_MAX_EVENT_BODY || blen > avail ||
	    load_u32(b + blen - 4) != blen || blen - 12 < 2 ||
	    !event_parse_common(&rec->ev, b + 10, blen - 14) || rec->ev.type >= EVENT_MAX)
		return false;
	rec->ev.cpu = load_u16(b + 8);
	rec->ev.dump_flags = 0;
	rec->block_type = SCAP_BT_EV_V2;
	rec->offset = r->off;
	rec->kind = SCAP_REC_EVENT;
	consume(r, blen);
	return true;
}

/* One block whole in the buffer, its framing checked by read_block. */
struct block {
	uint64_t off;        /* of its header, in the (uncompressed) file */
	uint32_t type;       /* SCAP_BT_* */
	uint32_t len;        /* of the whole block, header and trailer included */
	const uint8_t *body; /* body_len bytes in the reader's buffer, valid until the next fill */
	size_t body_len;
	bool is_event;    /* an event block type ... */
	struct evblock k; /* ... and what it says about the body */
};

/* What a block reader returns for a block it consumed with nothing to hand out. */
#define BLOCK_SKIPPED 0

/* Where the file ends at off, at a block boundary: SCAP_REC_EOF, or -EINVAL without an event. */
static int end_of_blocks(const struct scap_reader *r, uint64_t off, struct err *e)
{
	if (r->phase == PH_START)
		return err_set(e, -EINVAL, "empty file at offset 0: not a scap capture");
	if (!r->any_event)
		return err_set(e, -EINVAL, "no events in file (it ends at offset %llu)",
		               (unsigned long long)off);
	return SCAP_REC_EOF;
}

/*
 * The checks of a block header (type and length) before its body is read: a
 * capture starts with a section header; a block is at least 12 bytes long, a
 * multiple of 4 and at most SCAP_MAX_BLOCK; a non-LARGE event block's body is
 * at most SCAP_MAX_EVENT_BODY. Sets blk->is_event and blk->k. Returns 0, or
 * -EINVAL with e naming the defect and the offset.
 */
static int check_block_header(const struct scap_reader *r, struct block *blk, struct err *e)
{
	uint32_t bt = blk->type, blen = blk->len;
	unsigned long long off = blk->off;

	if (r->phase == PH_START && bt != SCAP_BT_SHB)
		return err_set(e, -EINVAL, "not a scap capture: bad magic 0x%08x at offset 0", bt);
	if (blen < 12)
		return err_set(e, -EINVAL,
		               "block type 0x%x at offset %llu: length %u below the 12-byte minimum", bt, off,
		               blen);
	if (blen % 4)
		return err_set(e, -EINVAL, "block type 0x%x at offset %llu: length %u is not a multiple of 4",
		               bt, off, blen);
	if (blen > SCAP_MAX_BLOCK)
		return err_set(e, -EINVAL,
		               "block type 0x%x at offset %llu: length %u exceeds the %u-byte limit", bt, off,
		               blen, SCAP_MAX_BLOCK);
	blk->is_event = event_block(bt, &blk->k);
	if (blk->is_event && !blk->k.large && blen - 8 > SCAP_MAX_EVENT_BODY)
		return err_set(e, -EINVAL,
		               "event block at offset %llu: body of %u bytes greater than the "
		               "non-LARGE limit %u",
		               off, blen - 8, SCAP_MAX_EVENT_BODY);
	return 0;
}

/*
 * Brings the next block whole into the buffer, its framing checked: the
 * header (check_block_header) before the body is read, then the trailer
 * against the header's length. True with *blk filled; false with *rc set to
 * what scap_reader_next returns instead: SCAP_REC_EOF at a clean end, -ENODATA
 * when the file ends inside the block, -EINVAL for a malformed one, or the
 * I/O error.
 */
static bool read_block(struct scap_reader *r, struct block *blk, int *rc, struct err *e)
{
	ssize_t avail = fill(r, 8, e);
	const uint8_t *b;
	uint32_t trailer;

	*blk = (struct block){ .off = r->off, .k = { 2, false, false } };
	if (avail < 0) {
		*rc = (int)avail;
		return false;
	}
	if (avail == 0) {
		*rc = end_of_blocks(r, blk->off, e);
		return false;
	}
	if (avail < 8) {
		*rc = err_set(e, -ENODATA, "truncated block header at offset %llu (%zd of 8 bytes)",
		              (unsigned long long)blk->off, avail);
		return false;
	}
	b = r->buf + r->start;
	blk->type = load_u32(b);
	blk->len = load_u32(b + 4);
	*rc = check_block_header(r, blk, e);
	if (*rc)
		return false;
	avail = fill(r, blk->len, e);
	if (avail < 0) {
		*rc = (int)avail;
		return false;
	}
	if ((size_t)avail < blk->len) {
		*rc = err_set(e, -ENODATA,
		              "truncated block type 0x%x at offset %llu: length %u, only %zd bytes left",
		              blk->type, (unsigned long long)blk->off, blk->len, avail);
		return false;
	}
	b = r->buf + r->start; /* the fill may have moved the buffer */
	trailer = load_u32(b + blk->len - 4);
	if (trailer != blk->len) {
		*rc = err_set(e, -EINVAL,
		              "block type 0x%x at offset %llu: trailer length %u does not match "
		              "header length %u",
		              blk->type, (unsigned long long)blk->off, trailer, blk->len);
		return false;
	}
	blk->body = b + 8;
	blk->body_len = blk->len - 12;
	return true;
}

/*
 * A section header: at least 28 bytes, the byte-order magic, version 1.x
 * (pcapng options past the fixed fields are skipped). Returns
 * SCAP_REC_SECTION, or -EINVAL.
 */
static int read_section_header(struct scap_reader *r, const struct block *blk, struct scap_record *rec,
                               struct err *e)
{
	uint32_t magic;
	uint16_t major;

	if (blk->len < 28)
		return err_set(e, -EINVAL, "section header at offset %llu: length %u below 28",
		               (unsigned long long)blk->off, blk->len);
	magic = load_u32(blk->body);
	major = load_u16(blk->body + 4);
	if (magic != SCAP_SHB_MAGIC)
		return err_set(e, -EINVAL, "section header at offset %llu: bad byte-order magic 0x%08x",
		               (unsigned long long)blk->off, magic);
	if (major > 1)
		return err_set(e, -EINVAL, "section header at offset %llu: version %u.%u is newer than 1.x",
		               (unsigned long long)blk->off, major, load_u16(blk->body + 6));
	consume(r, blk->len);
	r->phase = PH_META;
	rec->kind = SCAP_REC_SECTION;
	return rec->kind;
}

/*
 * An event block into rec->ev. Returns SCAP_REC_EVENT, BLOCK_SKIPPED for an
 * event code the table does not know (skipped, as sysdig does), or the
 * parse's negative errno with the block's offset added to e.
 */
static int read_event(struct scap_reader *r, const struct block *blk, struct scap_record *rec, struct err *e)
{
	int rc = parse_event_block(&blk->k, blk->body, blk->body_len, rec, e);

	if (rc) {
		add_offset(e, blk->off);
		return rc;
	}
	consume(r, blk->len);
	r->phase = PH_EVENTS;
	r->any_event = true;
	if (rec->ev.type >= EVENT_MAX)
		return BLOCK_SKIPPED;
	rec->kind = SCAP_REC_EVENT;
	return rec->kind;
}

/*
 * A metadata block (machine, interfaces, users, processes, fds), parsed into
 * the reader's lists that rec then points to, until the next call. Only
 * events or a new section may follow the first event. Returns the record's
 * kind, BLOCK_SKIPPED for a block type this reader does not know, or a
 * negative errno with the block's offset in e.
 */
static int read_metadata(struct scap_reader *r, const struct block *blk, struct scap_record *rec,
                         struct err *e)
{
	uint32_t bt = blk->type;
	int rc;

	if (r->phase == PH_EVENTS)
		return err_set(e, -EINVAL,
		               "block type 0x%x at offset %llu after the first event "
		               "(only events or a new section may follow)",
		               bt, (unsigned long long)blk->off);
	switch (bt) {
	case SCAP_BT_MI:
	case SCAP_BT_MI_ALT:
		rc = parse_machine(rec, blk->body, blk->body_len, e);
		rec->kind = SCAP_REC_MACHINE;
		break;
	case SCAP_BT_IL:
	case SCAP_BT_IL_ALT:
	case SCAP_BT_IL_V2:
		rc = parse_ifaces(r, bt == SCAP_BT_IL_V2 ? bt : SCAP_BT_IL, blk->body, blk->body_len, e);
		rec->kind = SCAP_REC_IFACES;
		rec->ifaces = r->ifaces;
		rec->nifaces = r->nifaces;
		break;
	case SCAP_BT_UL:
	case SCAP_BT_UL_ALT:
	case SCAP_BT_UL_V2:
		rc = parse_users(r, bt == SCAP_BT_UL_V2 ? bt : SCAP_BT_UL, blk->body, blk->body_len, e);
		rec->kind = SCAP_REC_USERS;
		rec->users = r->users;
		rec->nusers = r->nusers;
		rec->groups = r->groups;
		rec->ngroups = r->ngroups;
		break;
	case SCAP_BT_FDL:
	case SCAP_BT_FDL_ALT:
	case SCAP_BT_FDL_V2:
		rc = parse_fds(r, bt == SCAP_BT_FDL_V2 ? bt : SCAP_BT_FDL, blk->body, blk->body_len, rec, e);
		rec->kind = SCAP_REC_FDS;
		rec->fds = r->fds;
		rec->nfds = r->nfds;
		break;
	default:
		if (!pl_version(bt)) {
			consume(r, blk->len); /* unknown metadata block: skipped */
			return BLOCK_SKIPPED;
		}
		rc = parse_procs(r, bt, blk->body, blk->body_len, e);
		rec->kind = SCAP_REC_PROCS;
		rec->procs = r->procs;
		rec->nprocs = r->nprocs;
		break;
	}
	r->has_meta = true;
	if (rc) {
		add_offset(e, blk->off);
		return rc;
	}
	consume(r, blk->len);
	return rec->kind;
}

int scap_reader_next(struct scap_reader *r, struct scap_record *rec, struct err *e)
{
	if (next_common_event(r, rec))
		return SCAP_REC_EVENT;
	for (;;) {
		struct block blk;
		int rc;

		free_meta(r);
		if (!read_block(r, &blk, &rc, e))
			return rc;
		rec->block_type = blk.type;
		rec->offset = blk.off;
		if (blk.type == SCAP_BT_SHB)
			return read_section_header(r, &blk, rec, e);
		rc = blk.is_event ? read_event(r, &blk, rec, e) : read_metadata(r, &blk, rec, e);
		if (rc != BLOCK_SKIPPED)
			return rc;
	}
}
