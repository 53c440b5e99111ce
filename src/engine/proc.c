/*
 * proc: the host as /proc shows it when a recording starts, in the records
 * a .scap file opens with: machine, interfaces, users and groups, every
 * thread, and each process's open fds (files, pipes, sockets, ...).
 */
#include "engine.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <ifaddrs.h>
#include <netinet/in.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <linux/types.h>

#include "sysrec_bpf.h"

/* Read a whole small file (up to max bytes); its length or -1. */
static ssize_t slurp(const char *path, char *buf, size_t max)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	size_t off = 0;

	if (fd < 0)
		return -1;
	while (off < max) {
		ssize_t n = read(fd, buf + off, max - off);

		if (n <= 0)
			break;
		off += (size_t)n;
	}
	close(fd);
	return (ssize_t)off;
}

static char *slurp_dup(const char *path, size_t max, uint32_t *len)
{
	char *buf = xmalloc(max + 1);
	ssize_t n = slurp(path, buf, max);

	if (n < 0)
		n = 0;
	buf[n] = '\0';
	if (len)
		*len = (uint32_t)n;
	return buf;
}

static char *link_dup(const char *path)
{
	char buf[4096];
	ssize_t n = readlink(path, buf, sizeof(buf) - 1);

	if (n < 0)
		n = 0;
	buf[n] = '\0';
	return xstrdup(buf);
}

void engine_machine(struct scap_machine *m)
{
	struct timespec rt, bt;
	char buf[64];

	memset(m, 0, sizeof(*m));
	m->num_cpus = (uint32_t)sysconf(_SC_NPROCESSORS_ONLN);
	m->memory_bytes = (uint64_t)sysconf(_SC_PHYS_PAGES) * (uint64_t)sysconf(_SC_PAGESIZE);
	if (slurp("/proc/sys/kernel/pid_max", buf, sizeof(buf) - 1) > 0)
		m->max_pid = strtoull(buf, NULL, 10);
	gethostname(m->hostname, sizeof(m->hostname) - 1);
	clock_gettime(CLOCK_REALTIME, &rt);
	clock_gettime(CLOCK_BOOTTIME, &bt);
	m->boot_ts = (uint64_t)(rt.tv_sec - bt.tv_sec) * 1000000000ULL + (uint64_t)rt.tv_nsec -
	             (uint64_t)bt.tv_nsec;
}

size_t engine_ifaces(struct scap_iface **out)
{
	struct ifaddrs *ifa, *i;
	size_t n = 0, cap = 8;
	struct scap_iface *v = xcalloc(cap, sizeof(*v));

	if (getifaddrs(&ifa) == 0) {
		for (i = ifa; i; i = i->ifa_next) {
			struct scap_iface *f;
			int fam = i->ifa_addr ? i->ifa_addr->sa_family : 0;

			if (fam != AF_INET && fam != AF_INET6)
				continue;
			if (n == cap)
				v = xrealloc(v, (cap *= 2) * sizeof(*v));
			f = &v[n++];
			memset(f, 0, sizeof(*f));
			f->name = xstrdup(i->ifa_name);
			if (fam == AF_INET) {
				f->type = 1;
				memcpy(f->addr, &((struct sockaddr_in *)i->ifa_addr)->sin_addr, 4);
				if (i->ifa_netmask)
					memcpy(f->netmask, &((struct sockaddr_in *)i->ifa_netmask)->sin_addr,
					       4);
				if (i->ifa_broadaddr)
					memcpy(f->bcast, &((struct sockaddr_in *)i->ifa_broadaddr)->sin_addr,
					       4);
			} else {
				f->type = 2;
				memcpy(f->addr, &((struct sockaddr_in6 *)i->ifa_addr)->sin6_addr, 16);
				if (i->ifa_netmask)
					memcpy(f->netmask,
					       &((struct sockaddr_in6 *)i->ifa_netmask)->sin6_addr, 16);
			}
		}
		freeifaddrs(ifa);
	}
	*out = v;
	return n;
}

void engine_ifaces_free(struct scap_iface *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i].name);
	free(v);
}

void engine_users(struct scap_user **users, size_t *nu, struct scap_group **groups, size_t *ng)
{
	struct passwd *pw;
	struct group *gr;
	size_t cu = 16, cg = 16;

	*nu = *ng = 0;
	*users = xcalloc(cu, sizeof(**users));
	*groups = xcalloc(cg, sizeof(**groups));
	setpwent();
	while ((pw = getpwent())) {
		if (*nu == cu)
			*users = xrealloc(*users, (cu *= 2) * sizeof(**users));
		(*users)[(*nu)++] = (struct scap_user){ pw->pw_uid, pw->pw_gid, xstrdup(pw->pw_name),
			                                xstrdup(pw->pw_dir), xstrdup(pw->pw_shell) };
	}
	endpwent();
	setgrent();
	while ((gr = getgrent())) {
		if (*ng == cg)
			*groups = xrealloc(*groups, (cg *= 2) * sizeof(**groups));
		(*groups)[(*ng)++] = (struct scap_group){ gr->gr_gid, xstrdup(gr->gr_name) };
	}
	endgrent();
}

void engine_users_free(struct scap_user *u, size_t nu, struct scap_group *g, size_t ng)
{
	for (size_t i = 0; i < nu; i++) {
		free(u[i].name);
		free(u[i].homedir);
		free(u[i].shell);
	}
	for (size_t i = 0; i < ng; i++)
		free(g[i].name);
	free(u);
	free(g);
}

/* ---- sockets, from /proc/net ---- */

static void sock_free(void *p);

/* A /proc/net table past its heading line, or NULL. */
static FILE *open_table(const char *path)
{
	FILE *f = fopen(path, "re");
	int c;

	if (!f)
		return NULL;
	while ((c = fgetc(f)) != EOF && c != '\n')
		;
	return f;
}

static void hex_addr(const char *h, uint8_t *out, size_t n)
{
	/* /proc/net prints each 32-bit word in host order */
	for (size_t w = 0; w < n / 4; w++) {
		uint32_t v = 0;

		sscanf(h + w * 8, "%8x", &v);
		memcpy(out + w * 4, &v, 4);
	}
}

static void scan_inet(struct i64map *socks, const char *path, uint8_t l4, bool v6)
{
	FILE *f = open_table(path);
	char line[512];

	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		char la[40], ra[40];
		unsigned lp, rp, st;
		unsigned long long ino;
		struct scap_fd *s;

		if (sscanf(line, " %*d: %39[0-9A-Fa-f]:%x %39[0-9A-Fa-f]:%x %x %*s %*s %*s %*u %*u %llu", la,
		           &lp, ra, &rp, &st, &ino) != 6 ||
		    !ino)
			continue;
		s = xcalloc(1, sizeof(*s));
		s->l4proto = l4;
		hex_addr(la, s->sip, v6 ? 16 : 4);
		hex_addr(ra, s->dip, v6 ? 16 : 4);
		s->sport = (uint16_t)lp;
		s->dport = (uint16_t)rp;
		/* TCP_LISTEN (10), or an unconnected bound UDP socket: a server socket */
		if ((l4 == SCAP_L4_TCP && st == 10) || (l4 == SCAP_L4_UDP && rp == 0))
			s->type = v6 ? SCAP_FD_IPV6_SERVSOCK : SCAP_FD_IPV4_SERVSOCK;
		else
			s->type = v6 ? SCAP_FD_IPV6_SOCK : SCAP_FD_IPV4_SOCK;
		sock_free(i64map_put(socks, (int64_t)ino, s));
	}
	fclose(f);
}

/*
 * A connection accepted by a listening socket shows in /proc/net with the
 * listening port as its local end; readers expect the client first
 * (source = peer, as accept's tuple has it), so turn those around.
 */
static void orient_accepted(struct i64map *socks)
{
	struct i64map listening;

	i64map_init(&listening);
	for (size_t i = 0; i < socks->cap; i++) {
		const struct scap_fd *f = socks->slots[i].val;

		if (f && f->l4proto == SCAP_L4_TCP &&
		    (f->type == SCAP_FD_IPV4_SERVSOCK || f->type == SCAP_FD_IPV6_SERVSOCK))
			i64map_put(&listening, f->sport, (void *)f);
	}
	for (size_t i = 0; i < socks->cap; i++) {
		struct scap_fd *f = socks->slots[i].val;
		uint8_t ip[16];
		uint16_t port;

		if (!f || f->l4proto != SCAP_L4_TCP ||
		    (f->type != SCAP_FD_IPV4_SOCK && f->type != SCAP_FD_IPV6_SOCK) ||
		    !i64map_get(&listening, f->sport))
			continue;
		memcpy(ip, f->sip, 16);
		memcpy(f->sip, f->dip, 16);
		memcpy(f->dip, ip, 16);
		port = f->sport;
		f->sport = f->dport;
		f->dport = port;
	}
	i64map_release(&listening);
}

static void scan_unix(struct i64map *socks)
{
	FILE *f = open_table("/proc/net/unix");
	char line[4096];

	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		unsigned long long addr, ino;
		char path[4000] = "";
		struct scap_fd *s;

		if (sscanf(line, "%llx: %*s %*s %*s %*s %*s %llu %3999s", &addr, &ino, path) < 2 || !ino)
			continue;
		s = xcalloc(1, sizeof(*s));
		s->type = SCAP_FD_UNIX_SOCK;
		s->usrc = addr;
		s->name = xstrdup(path);
		sock_free(i64map_put(socks, (int64_t)ino, s));
	}
	fclose(f);
}

static void sock_free(void *p)
{
	if (p)
		scap_fd_release(p);
	free(p);
}

/* ---- processes ---- */

/* The fds of process pid, as FDL entries. */
static size_t scan_fds(int pid, struct i64map *socks, struct scap_fd **out)
{
	char path[64];
	DIR *d;
	struct dirent *de;
	size_t n = 0, cap = 16;
	struct scap_fd *v = xcalloc(cap, sizeof(*v));

	snprintf(path, sizeof(path), "/proc/%d/fd", pid);
	d = opendir(path);
	while (d && (de = readdir(d))) {
		char lp[320], target[4096], info[512];
		struct scap_fd *f;
		ssize_t tl;
		unsigned long long ino = 0;
		struct stat st;

		if (!isdigit((unsigned char)de->d_name[0]))
			continue;
		snprintf(lp, sizeof(lp), "/proc/%d/fd/%s", pid, de->d_name);
		tl = readlink(lp, target, sizeof(target) - 1);
		if (tl < 0)
			continue;
		target[tl] = '\0';
		if (n == cap)
			v = xrealloc(v, (cap *= 2) * sizeof(*v));
		f = &v[n];
		memset(f, 0, sizeof(*f));
		f->fd = strtoll(de->d_name, NULL, 10);
		if (target[0] == '/') {
			uint32_t flags = 0;
			ssize_t il;

			snprintf(lp, sizeof(lp), "/proc/%d/fdinfo/%s", pid, de->d_name);
			il = slurp(lp, info, sizeof(info) - 1);
			if (il > 0) {
				char *fl;

				info[il] = '\0';
				fl = strstr(info, "flags:");
				if (fl)
					flags = (uint32_t)strtoul(fl + 6, NULL, 8);
			}
			f->type = (flags & O_DIRECTORY) ? SCAP_FD_DIRECTORY : SCAP_FD_FILE_V2;
			f->open_flags = sysrec_open_flags(flags);
			snprintf(lp, sizeof(lp), "/proc/%d/fd/%s", pid, de->d_name);
			if (stat(lp, &st) == 0) {
				f->ino = st.st_ino;
				f->dev = (uint32_t)(((st.st_dev >> 8) & 0xfff) << 20 | (st.st_dev & 0xff));
				f->has_dev = true;
				if (S_ISDIR(st.st_mode))
					f->type = SCAP_FD_DIRECTORY;
			}
			f->name = xstrdup(target);
		} else if (sscanf(target, "socket:[%llu]", &ino) == 1) {
			const struct scap_fd *s = i64map_get(socks, (int64_t)ino);

			if (s)
				*f = *s; /* the socket as /proc/net describes it */
			else
				f->type = SCAP_FD_UNSUPPORTED; /* netlink, packet, ...: no type 0 in a file */
			f->fd = strtoll(de->d_name, NULL, 10);
			f->ino = ino;
			f->name = xstrdup(s && s->name ? s->name : "");
		} else if (sscanf(target, "pipe:[%llu]", &ino) == 1) {
			f->type = SCAP_FD_FIFO;
			f->ino = ino;
			f->name = xstrdup("");
		} else if (!strncmp(target, "anon_inode:", 11)) {
			const char *k = target + 11;

			f->type = strstr(k, "eventpoll")  ? SCAP_FD_EVENTPOLL
			          : strstr(k, "eventfd")  ? SCAP_FD_EVENT
			          : strstr(k, "inotify")  ? SCAP_FD_INOTIFY
			          : strstr(k, "signalfd") ? SCAP_FD_SIGNALFD
			          : strstr(k, "timerfd")
			                  ? SCAP_FD_TIMERFD
			                  : SCAP_FD_UNSUPPORTED; /* bpf-map, ...: readers refuse type 0 */
			f->name = xstrdup(k);
		} else {
			continue;
		}
		n++;
	}
	if (d)
		closedir(d);
	*out = v;
	return n;
}

/* NUL-separated cgroups list ("cpu=/path", ...) from /proc/PID/task/TID/cgroup. */
static char *read_cgroups(const char *dir, uint32_t *len)
{
	char path[96], *raw, *p;
	struct sbuf b = { 0 };
	uint32_t rl;

	snprintf(path, sizeof(path), "%s/cgroup", dir);
	raw = slurp_dup(path, 8192, &rl);
	for (p = strtok(raw, "\n"); p; p = strtok(NULL, "\n")) {
		char *c1 = strchr(p, ':'), *c2 = c1 ? strchr(c1 + 1, ':') : NULL;

		if (!c2)
			continue;
		if (c2 == c1 + 1) { /* cgroup v2: "0::/path" stands for every controller */
			static const char *const ctl[] = {
				"cpuset", "cpu", "cpuacct", "io", "memory", "pids"
			};

			for (size_t i = 0; i < ARRAY_SIZE(ctl); i++) {
				sbuf_printf(&b, "%s=%s", ctl[i], c2 + 1);
				sbuf_putc(&b, '\0');
			}
		} else {
			*c2 = '\0';
			sbuf_printf(&b, "%s=%s", c1 + 1, c2 + 1);
			sbuf_putc(&b, '\0');
		}
	}
	free(raw);
	*len = (uint32_t)b.len;
	if (!b.data)
		return xstrdup("");
	return b.data;
}

static uint64_t status_num(const char *status, const char *key)
{
	const char *p = strstr(status, key);

	return p ? strtoull(p + strlen(key), NULL, 10) : 0;
}

/* The last number of a "NSpid:\t1 2 3" line: the id in the innermost namespace. */
static int64_t status_last(const char *status, const char *key, int64_t dflt)
{
	const char *p = strstr(status, key);
	int64_t v = dflt;

	if (!p)
		return dflt;
	p += strlen(key);
	while (*p && *p != '\n') {
		char *end;
		long long x = strtoll(p, &end, 10);

		if (end == p)
			break;
		v = x;
		p = end;
	}
	return v;
}

static bool read_thread(int pid, int tid, struct scap_proc *p)
{
	char dir[64], path[96], stat[1024], *status, *rp, *cmd;
	uint32_t cmdlen, slen;
	ssize_t n;
	long long ppid = 0, pgrp = 0, session = 0;
	unsigned long long minflt = 0, majflt = 0;

	snprintf(dir, sizeof(dir), "/proc/%d/task/%d", pid, tid);
	snprintf(path, sizeof(path), "%s/stat", dir);
	n = slurp(path, stat, sizeof(stat) - 1);
	if (n <= 0)
		return false;
	stat[n] = '\0';
	memset(p, 0, sizeof(*p));
	rp = strrchr(stat, ')');
	if (!rp)
		return false;
	{
		char *lp = strchr(stat, '(');

		*rp = '\0';
		p->comm = xstrdup(lp ? lp + 1 : "");
	}
	sscanf(rp + 2, "%*c %lld %lld %lld %*d %*d %*u %llu %*u %llu", &ppid, &pgrp, &session, &minflt,
	       &majflt);
	snprintf(path, sizeof(path), "%s/status", dir);
	status = slurp_dup(path, 8192, &slen);
	p->tid = (uint64_t)tid;
	p->pid = (uint64_t)pid;
	p->ptid = (uint64_t)ppid;
	p->sid = (uint64_t)session;
	p->vpgid = (uint64_t)pgrp;
	p->pfminor = minflt;
	p->pfmajor = majflt;
	{
		const char *u = strstr(status, "Uid:"), *g = strstr(status, "Gid:");

		p->uid = u ? (uint32_t)strtoul(u + 4, NULL, 10) : 0;
		p->gid = g ? (uint32_t)strtoul(g + 4, NULL, 10) : 0;
	}
	p->vmsize_kb = (uint32_t)status_num(status, "VmSize:");
	p->vmrss_kb = (uint32_t)status_num(status, "VmRSS:");
	p->vmswap_kb = (uint32_t)status_num(status, "VmSwap:");
	p->vtid = status_last(status, "NSpid:", tid);
	p->vpid = status_last(status, "NStgid:", pid);
	free(status);
	snprintf(path, sizeof(path), "/proc/%d/cmdline", pid);
	cmd = slurp_dup(path, 65536, &cmdlen);
	{
		size_t first = strnlen(cmd, cmdlen);

		p->exe = xstrdup(cmd);
		p->args_len = cmdlen > first + 1 ? (uint32_t)(cmdlen - first - 1) : 0;
		p->args = xmalloc(p->args_len + 1);
		memcpy(p->args, cmd + first + (cmdlen > first ? 1 : 0), p->args_len);
		p->args[p->args_len] = '\0';
	}
	free(cmd);
	if (!p->exe[0]) { /* kernel threads: sysdig shows the comm */
		free(p->exe);
		p->exe = xstrdup(p->comm);
	}
	snprintf(path, sizeof(path), "/proc/%d/environ", pid);
	p->env = slurp_dup(path, 65536, &p->env_len);
	snprintf(path, sizeof(path), "/proc/%d/exe", pid);
	p->exepath = link_dup(path);
	snprintf(path, sizeof(path), "/proc/%d/cwd", pid);
	p->cwd = link_dup(path);
	if (p->cwd[0] && p->cwd[strlen(p->cwd) - 1] != '/') { /* sysdig keeps cwd with a trailing slash */
		size_t l = strlen(p->cwd);

		p->cwd = xrealloc(p->cwd, l + 2);
		memcpy(p->cwd + l, "/", 2);
	}
	snprintf(path, sizeof(path), "/proc/%d/root", pid);
	p->root = link_dup(path);
	p->cgroups = read_cgroups(dir, &p->cgroups_len);
	{
		char lim[4096];
		ssize_t ln;

		snprintf(path, sizeof(path), "/proc/%d/limits", pid);
		ln = slurp(path, lim, sizeof(lim) - 1);
		if (ln > 0) {
			char *m;

			lim[ln] = '\0';
			m = strstr(lim, "Max open files");
			if (m)
				p->fdlimit = strtoll(m + strlen("Max open files"), NULL, 10);
		}
		snprintf(path, sizeof(path), "/proc/%d/loginuid", pid);
		ln = slurp(path, lim, sizeof(lim) - 1);
		lim[ln > 0 ? ln : 0] = '\0';
		p->loginuid = ln > 0 ? (uint32_t)strtoul(lim, NULL, 10) : UINT32_MAX;
	}
	p->flags = tid != pid ? 0x2001 : 0; /* PPM_CL_CLONE_THREAD | PPM_CL_CLONE_FILES */
	return true;
}

int engine_procs(struct engine_procs *out, int self_pid)
{
	DIR *d = opendir("/proc");
	struct dirent *de;
	size_t cap = 256;
	struct i64map sockmap, *socks = &sockmap;

	memset(out, 0, sizeof(*out));
	if (!d)
		return -errno;
	i64map_init(socks);
	scan_inet(socks, "/proc/net/tcp", SCAP_L4_TCP, false);
	scan_inet(socks, "/proc/net/tcp6", SCAP_L4_TCP, true);
	scan_inet(socks, "/proc/net/udp", SCAP_L4_UDP, false);
	scan_inet(socks, "/proc/net/udp6", SCAP_L4_UDP, true);
	scan_unix(socks);
	orient_accepted(socks);
	out->procs = xcalloc(cap, sizeof(*out->procs));
	out->fds = xcalloc(cap, sizeof(struct scap_fd *));
	out->nfds = xcalloc(cap, sizeof(*out->nfds));
	while ((de = readdir(d))) {
		int pid;
		char tdir[64];
		DIR *td;
		struct dirent *te;

		if (!isdigit((unsigned char)de->d_name[0]))
			continue;
		pid = atoi(de->d_name);
		if (pid == self_pid)
			continue;
		snprintf(tdir, sizeof(tdir), "/proc/%d/task", pid);
		td = opendir(tdir);
		while (td && (te = readdir(td))) {
			int tid;

			if (!isdigit((unsigned char)te->d_name[0]))
				continue;
			tid = atoi(te->d_name);
			if (out->nprocs == cap) {
				cap *= 2;
				out->procs = xrealloc(out->procs, cap * sizeof(*out->procs));
				out->fds = xrealloc(out->fds, cap * sizeof(struct scap_fd *));
				out->nfds = xrealloc(out->nfds, cap * sizeof(*out->nfds));
			}
			if (!read_thread(pid, tid, &out->procs[out->nprocs]))
				continue;
			out->fds[out->nprocs] = NULL;
			out->nfds[out->nprocs] = 0;
			if (tid == pid)
				out->nfds[out->nprocs] = scan_fds(pid, socks, &out->fds[out->nprocs]);
			out->nprocs++;
		}
		if (td)
			closedir(td);
	}
	closedir(d);
	for (size_t i = 0; i < socks->cap; i++)
		sock_free(socks->slots[i].val);
	i64map_release(socks);
	return 0;
}

void engine_procs_free(struct engine_procs *p)
{
	for (size_t i = 0; i < p->nprocs; i++) {
		scap_proc_release(&p->procs[i]);
		for (size_t j = 0; j < p->nfds[i]; j++)
			scap_fd_release(&p->fds[i][j]);
		free(p->fds[i]);
	}
	free(p->procs);
	free(p->fds);
	free(p->nfds);
	memset(p, 0, sizeof(*p));
}
