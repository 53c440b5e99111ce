/* reader_meta: the bodies of the .scap metadata blocks (machine, interfaces, users, processes, fds). */
#include "reader_int.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

int scap_meta_parse_machine(struct scap_record *rec, const uint8_t *body, size_t n, struct err *e)
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

int scap_meta_parse_ifaces(struct scap_reader *r, uint32_t bt, const uint8_t *body, size_t n, struct err *e)
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

int scap_meta_parse_users(struct scap_reader *r, uint32_t bt, const uint8_t *body, size_t n, struct err *e)
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

int scap_meta_pl_version(uint32_t bt)
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

int scap_meta_parse_procs(struct scap_reader *r, uint32_t bt, const uint8_t *body, size_t n, struct err *e)
{
	int v = scap_meta_pl_version(bt);
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

int scap_meta_parse_fds(struct scap_reader *r, uint32_t bt, const uint8_t *body, size_t n,
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
