/* snapshot: state from the capture head (process, fd, user, interface lists) and back. */
#include "state_int.h"

#include <stdlib.h>
#include <string.h>

static void add_procs(struct state *s, const struct scap_proc *p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		struct thread *t = state_thread_alloc(s, (int64_t)p[i].tid);
		size_t cwdlen = strlen(p[i].cwd);

		t->pid = (int64_t)p[i].pid;
		t->ptid = (int64_t)p[i].ptid;
		t->sid = (int64_t)p[i].sid;
		t->vpgid = (int64_t)p[i].vpgid;
		state_set_comm(t, p[i].comm);
		t->exe = state_dupz(p[i].exe);
		t->exepath = state_dupz(p[i].exepath);
		/* sysdig keeps cwd with a trailing slash */
		t->cwd = xmalloc(cwdlen + 2);
		memcpy(t->cwd, p[i].cwd, cwdlen);
		t->cwd[cwdlen] = 0;
		if (!cwdlen || t->cwd[cwdlen - 1] != '/')
			strcpy(t->cwd + cwdlen, "/");
		t->root = state_dupz(p[i].root);
		state_thread_set_list(&t->args, &t->args_len, p[i].args, p[i].args_len);
		state_thread_set_list(&t->env, &t->env_len, p[i].env, p[i].env_len);
		t->cgroups = NULL;
		state_thread_set_cgroups(t, p[i].cgroups, p[i].cgroups_len, NULL);
		t->fdlimit = p[i].fdlimit;
		t->flags = p[i].flags;
		t->uid = p[i].uid;
		t->gid = p[i].gid;
		t->loginuid = p[i].loginuid;
		t->vtid = p[i].vtid;
		t->vpid = p[i].vpid;
		t->vmsize_kb = p[i].vmsize_kb;
		t->vmrss_kb = p[i].vmrss_kb;
		t->vmswap_kb = p[i].vmswap_kb;
		t->pfmajor = p[i].pfmajor;
		t->pfminor = p[i].pfminor;
		t->exe_writable = p[i].exe_writable;
		t->tty = p[i].tty;
		state_put_thread(s, t);
	}
}

static void fd_from_scap(struct fdinfo *f, const struct scap_fd *sf)
{
	memset(f, 0, sizeof(*f));
	f->type = sf->type == SCAP_FD_FILE ? SCAP_FD_FILE_V2 : sf->type;
	f->ino = sf->ino;
	f->open_flags = sf->open_flags;
	f->dev = sf->dev;
	f->l4proto = sf->l4proto;
	memcpy(f->sip, sf->sip, 16);
	memcpy(f->dip, sf->dip, 16);
	f->sport = sf->sport;
	f->dport = sf->dport;
	f->v6 = sf->type == SCAP_FD_IPV6_SOCK || sf->type == SCAP_FD_IPV6_SERVSOCK;
	if (sf->type == SCAP_FD_IPV6_SOCK && state_ipv4_mapped(sf->sip) && state_ipv4_mapped(sf->dip)) {
		/* as sysdig: a v4-mapped v6 connection is a v4 one */
		f->type = SCAP_FD_IPV4_SOCK;
		f->v6 = false;
		memset(f->sip, 0, sizeof(f->sip));
		memset(f->dip, 0, sizeof(f->dip));
		memcpy(f->sip, sf->sip + 12, 4);
		memcpy(f->dip, sf->dip + 12, 4);
	}
	/* no role yet: state_fix_head_sockets() gives v4 ones theirs; a TCP one is connected */
	if (f->type == SCAP_FD_IPV4_SOCK || f->type == SCAP_FD_IPV6_SOCK)
		f->connected = sf->l4proto == SCAP_L4_TCP;
	if (sf->type == SCAP_FD_FILE)
		f->type = SCAP_FD_FILE;
}

static bool is_server_port(const struct state *s, uint16_t port)
{
	for (size_t i = 0; i < s->nserver_ports; i++)
		if (s->server_ports[i] == port)
			return true;
	return false;
}

static void add_server_port(struct state *s, uint16_t port)
{
	if (is_server_port(s, port))
		return;
	s->server_ports = xrealloc(s->server_ports, (s->nserver_ports + 1) * sizeof(*s->server_ports));
	s->server_ports[s->nserver_ports++] = port;
}

/*
 * sysdig's rule for the sockets of the capture's head (whose tables list
 * each connection local->remote): a connected v4 socket whose local port is
 * one the head listens on (any process, v4 or v6) is the server's end,
 * named and stored client->server; every other v4 one is a client's. v6
 * connections keep their order and no role. Done before the first event
 * after a section's fd tables.
 */
void state_fix_head_sockets(struct state *s)
{
	s->sockets_fixed = true;
	for (size_t i = 0; i < s->threads.cap; i++) {
		struct thread *t = s->threads.slots[i].val;

		if (!t || !t->fds)
			continue;
		for (size_t j = 0; j < t->fds->map.cap; j++) {
			struct fdinfo *f = t->fds->map.slots[j].val;

			if (!f || f->type != SCAP_FD_IPV4_SOCK || f->role != STATE_ROLE_NONE)
				continue; /* (a table two threads share is met twice) */
			if (!is_server_port(s, f->sport)) {
				f->role = STATE_ROLE_CLIENT;
				continue;
			}
			state_fd_swap_ends(f);
			f->role = STATE_ROLE_SERVER;
			sbuf_reset(&s->tmp);
			state_fmt_ipv4_tuple(&s->tmp, f->sip, f->sport, f->dip, f->dport);
			state_fd_set_name(f, s->tmp.data, s->tmp.len, 0);
		}
	}
}

static void add_fds(struct state *s, uint64_t tid, const struct scap_fd *fds, size_t n)
{
	struct thread *t = state_thread(s, (int64_t)tid);
	struct sbuf *b = &s->tmp;

	if (!t)
		return;
	for (size_t i = 0; i < n; i++) {
		struct fdinfo f;
		const struct scap_fd *sf = &fds[i];

		fd_from_scap(&f, sf);
		sbuf_reset(b);
		switch (sf->type) {
		case SCAP_FD_IPV4_SOCK:
			state_fmt_ipv4_tuple(b, sf->sip, sf->sport, sf->dip, sf->dport);
			break;
		case SCAP_FD_IPV6_SOCK:
			if (state_ipv4_mapped(sf->sip) && state_ipv4_mapped(sf->dip))
				state_fmt_ipv4_tuple(b, sf->sip + 12, sf->sport, sf->dip + 12, sf->dport);
			else
				state_fmt_ipv6_tuple(b, sf->sip, sf->sport, sf->dip, sf->dport);
			break;
		case SCAP_FD_IPV4_SERVSOCK:
			state_fmt_ipv4_addr(b, sf->sip, sf->sport);
			add_server_port(s, sf->sport);
			break;
		case SCAP_FD_IPV6_SERVSOCK:
			state_fmt_ipv6_addr(b, sf->sip, sf->sport);
			add_server_port(s, sf->sport);
			break;
		default:
			sbuf_puts(b, sf->name);
			break;
		}
		state_fd_add(t->fds, sf->fd, &f, sbuf_cstr(b), 0);
	}
}

static void fd_to_scap(struct scap_fd *sf, int64_t fd, const struct fdinfo *f)
{
	memset(sf, 0, sizeof(*sf));
	sf->fd = fd;
	sf->type = f->type;
	sf->ino = f->ino;
	sf->open_flags = f->open_flags;
	sf->dev = f->dev;
	sf->has_dev = true;
	sf->l4proto = f->l4proto;
	memcpy(sf->sip, f->sip, 16);
	memcpy(sf->dip, f->dip, 16);
	sf->sport = f->sport;
	sf->dport = f->dport;
	sf->name = f->name ? f->name : "";
	if (f->type == SCAP_FD_IPV4_SOCK && f->role == STATE_ROLE_SERVER) {
		/* listed local->remote, as /proc has it: a reader that knows the
		 * listening port turns it client->server again (state_fix_head_sockets) */
		memcpy(sf->sip, f->dip, 16);
		memcpy(sf->dip, f->sip, 16);
		sf->sport = f->dport;
		sf->dport = f->sport;
	}
}

static void thread_to_scap(struct scap_proc *p, const struct thread *t)
{
	memset(p, 0, sizeof(*p));
	p->tid = (uint64_t)t->tid;
	p->pid = (uint64_t)t->pid;
	p->ptid = (uint64_t)t->ptid;
	p->sid = (uint64_t)t->sid;
	p->vpgid = (uint64_t)t->vpgid;
	p->comm = t->comm ? t->comm : "";
	p->exe = t->exe ? t->exe : "";
	p->exepath = t->exepath ? t->exepath : "";
	p->cwd = t->cwd ? t->cwd : "";
	p->root = t->root ? t->root : "";
	p->args = t->args;
	p->args_len = t->args_len;
	p->env = t->env;
	p->env_len = t->env_len;
	p->cgroups = t->cgroups;
	p->cgroups_len = t->cgroups_len;
	p->fdlimit = t->fdlimit;
	p->flags = t->flags;
	p->uid = t->uid;
	p->gid = t->gid;
	p->vtid = t->vtid;
	p->vpid = t->vpid;
	p->vmsize_kb = t->vmsize_kb;
	p->vmrss_kb = t->vmrss_kb;
	p->vmswap_kb = t->vmswap_kb;
	p->pfmajor = t->pfmajor;
	p->pfminor = t->pfminor;
	p->exe_writable = t->exe_writable;
	p->loginuid = t->loginuid;
}

void state_snapshot(struct state *s, struct state_snapshot *out)
{
	size_t n = 0;

	out->procs = xcalloc(s->threads.len + 1, sizeof(*out->procs));
	out->fds = xcalloc(s->threads.len + 1, sizeof(struct scap_fd *));
	out->nfds = xcalloc(s->threads.len + 1, sizeof(*out->nfds));
	for (size_t i = 0; i < s->threads.cap; i++) {
		struct thread *t = s->threads.slots[i].val;
		const struct fdtable *ft;
		size_t k = 0;

		if (!t || t->fake)
			continue;
		thread_to_scap(&out->procs[n], t);
		/* a thread using its process's table has none of its own to list */
		ft = state_thread_fds(s, t) == t->fds ? t->fds : NULL;
		if (ft && ft->map.len) {
			out->fds[n] = xcalloc(ft->map.len, sizeof(struct scap_fd));
			for (size_t j = 0; j < ft->map.cap; j++)
				if (ft->map.slots[j].val)
					fd_to_scap(&out->fds[n][k++], ft->map.slots[j].key,
					           ft->map.slots[j].val);
		}
		out->nfds[n++] = k;
	}
	out->n = n;
}

void state_snapshot_free(struct state_snapshot *snap)
{
	for (size_t i = 0; i < snap->n; i++)
		free(snap->fds[i]);
	free(snap->fds);
	free(snap->nfds);
	free(snap->procs);
	memset(snap, 0, sizeof(*snap));
}

void state_add_procs(struct state *s, const struct scap_proc *procs, struct scap_fd *const *fds,
                     const size_t *nfds, size_t n)
{
	struct scap_record rec;

	memset(&rec, 0, sizeof(rec));
	rec.kind = SCAP_REC_PROCS;
	rec.procs = (struct scap_proc *)(uintptr_t)procs; /* only read */
	rec.nprocs = n;
	state_add_record(s, &rec);
	for (size_t i = 0; i < n; i++) {
		if (!nfds[i])
			continue;
		memset(&rec, 0, sizeof(rec));
		rec.kind = SCAP_REC_FDS;
		rec.fds_tid = procs[i].tid;
		rec.fds = fds[i];
		rec.nfds = nfds[i];
		state_add_record(s, &rec);
	}
}

void state_add_record(struct state *s, const struct scap_record *rec)
{
	/* a thread that exited before this metadata goes now, not after the
	 * next section's process list has described it again */
	if (s->tid_to_remove >= 0) {
		state_remove_thread(s, s->tid_to_remove);
		s->tid_to_remove = -1;
	}
	switch (rec->kind) {
	case SCAP_REC_PROCS:
		add_procs(s, rec->procs, rec->nprocs);
		break;
	case SCAP_REC_FDS:
		add_fds(s, rec->fds_tid, rec->fds, rec->nfds);
		s->sockets_fixed = false; /* a later section's sockets get their roles too */
		break;
	case SCAP_REC_IFACES:
		for (size_t i = 0; i < rec->nifaces; i++) {
			uint8_t *a;

			s->ifaddrs = xrealloc(s->ifaddrs, (s->nifaddrs + 1) * sizeof(*s->ifaddrs));
			a = s->ifaddrs[s->nifaddrs++];
			a[0] = rec->ifaces[i].type == 1 || rec->ifaces[i].type == 3 ? 4 : 16;
			memcpy(a + 1, rec->ifaces[i].addr, 16);
		}
		break;
	case SCAP_REC_USERS:
		for (size_t i = 0; i < rec->nusers; i++) {
			struct state_user *u = xmalloc(sizeof(*u)), *old;

			u->name = state_dupz(rec->users[i].name);
			u->homedir = state_dupz(rec->users[i].homedir ? rec->users[i].homedir : "");
			u->shell = state_dupz(rec->users[i].shell ? rec->users[i].shell : "");
			old = i64map_put(&s->users, rec->users[i].uid, u);
			if (old) {
				free(old->name);
				free(old->homedir);
				free(old->shell);
				free(old);
			}
		}
		for (size_t i = 0; i < rec->ngroups; i++)
			free(i64map_put(&s->groups, rec->groups[i].gid, state_dupz(rec->groups[i].name)));
		break;
	default:
		break;
	}
}
