/* fields_proc: the proc, thread, user, group and container fields. */
#include "extract.h"

#include <stdlib.h>
#include <string.h>

EXTRACTOR(x_proc_name)
{
	if (!thr(f))
		return false;
	sbuf_put(o, thr(f)->comm, thr(f)->comm_len);
	return true;
}

EXTRACTOR(x_proc_pid)
{
	if (!thr(f))
		return false;
	sbuf_i64(o, thr(f)->pid);
	return true;
}

EXTRACTOR(x_proc_ppid)
{
	struct thread *m;

	if (!thr(f))
		return false;
	m = state_main_thread(f->st, thr(f));
	sbuf_i64(o, m->ptid);
	return true;
}

/* The process N generations up (0: its own), as sysdig walks it: from the main thread, by ptid. */
static struct thread *ancestor(const struct fctx *f)
{
	struct thread *t;

	if (!thr(f))
		return NULL;
	t = state_main_thread(f->st, thr(f));
	for (int64_t i = 0; t && i < f->argn; i++)
		t = state_thread(f->st, t->ptid);
	return t;
}

EXTRACTOR(x_proc_aname)
{
	struct thread *t = ancestor(f);

	if (!t)
		return false;
	sbuf_put(o, t->comm, t->comm_len);
	return true;
}

EXTRACTOR(x_proc_apid)
{
	struct thread *t = ancestor(f);

	if (!t)
		return false;
	sbuf_i64(o, t->pid);
	return true;
}

EXTRACTOR(x_proc_exe)
{
	if (!thr(f))
		return false;
	sbuf_puts(o, thr(f)->exe);
	return true;
}

EXTRACTOR(x_proc_exepath)
{
	if (!thr(f))
		return false;
	sbuf_puts(o, thr(f)->exepath);
	return true;
}

void put_list(struct sbuf *o, const char *p, uint32_t n, char sep)
{
	for (uint32_t i = 0; i < n; i++) {
		if (p[i])
			sbuf_putc(o, p[i]);
		else if (i + 1 < n)
			sbuf_putc(o, sep);
	}
}

void put_cmdline(struct sbuf *o, const struct thread *t)
{
	sbuf_put(o, t->comm, t->comm_len);
	if (t->args_len) {
		sbuf_putc(o, ' ');
		put_list(o, t->args, t->args_len, ' ');
	}
}

EXTRACTOR(x_proc_cmdline)
{
	if (!thr(f))
		return false;
	put_cmdline(o, thr(f));
	return true;
}

EXTRACTOR(x_proc_args)
{
	if (!thr(f))
		return false;
	put_list(o, thr(f)->args, thr(f)->args_len, ' ');
	return true;
}

EXTRACTOR(x_proc_env)
{
	struct thread *m;

	if (!thr(f))
		return false;
	m = state_main_thread(f->st, thr(f));
	put_list(o, m->env, m->env_len, ' ');
	return true;
}

EXTRACTOR(x_proc_cwd)
{
	if (!thr(f))
		return false;
	sbuf_puts(o, state_main_thread(f->st, thr(f))->cwd);
	return true;
}

EXTRACTOR(x_thread_tid)
{
	sbuf_i64(o, f->cx->ev->tid);
	return true;
}

EXTRACTOR(x_user_name)
{
	return thr(f) && put_str(o, state_user_name(f->st, thr(f)->uid));
}

EXTRACTOR(x_user_uid)
{
	if (!thr(f))
		return false;
	sbuf_u64(o, thr(f)->uid);
	return true;
}

/* s, or nothing (sysdig's <NA>) when it is empty */
static bool put_text(struct sbuf *o, const char *s)
{
	if (!s || !*s)
		return false;
	sbuf_puts(o, s);
	return true;
}

EXTRACTOR(x_container_id)
{
	if (!thr(f))
		return false;
	sbuf_puts(o, *thr(f)->container_id ? thr(f)->container_id : "host");
	return true;
}

EXTRACTOR(x_container_image)
{
	const struct container *c;

	if (!thr(f))
		return false;
	c = state_container(f->st, thr(f)->container_id);
	return c && put_text(o, c->image); /* sysdig: an empty image is none */
}

static struct thread *main_of(const struct fctx *f)
{
	return state_main_thread(f->st, thr(f));
}

EXTRACTOR(x_false)
{
	(void)f;
	return put_bool(o, false);
}

EXTRACTOR(x_proc_exeline)
{
	struct thread *t = thr(f);

	if (!t)
		return false;
	sbuf_puts(o, t->exe);
	sbuf_putc(o, ' '); /* sysdig: always, even without arguments */
	put_list(o, t->args, t->args_len, ' ');
	return true;
}

EXTRACTOR(x_proc_nthreads)
{
	size_t nthreads, nchilds;

	if (!thr(f))
		return false;
	state_thread_counts(f->st, thr(f), &nthreads, &nchilds);
	sbuf_u64(o, nthreads);
	return true;
}

EXTRACTOR(x_proc_nchilds)
{
	size_t nthreads, nchilds;

	if (!thr(f))
		return false;
	state_thread_counts(f->st, thr(f), &nthreads, &nchilds);
	sbuf_u64(o, nchilds);
	return true;
}

/* sysdig's parent: the thread's own ptid (for a thread, the one that made it). */
static struct thread *parent_of(const struct fctx *f)
{
	struct thread *t = thr(f);

	return t ? state_thread(f->st, t->ptid) : NULL;
}

EXTRACTOR(x_proc_pname)
{
	struct thread *p = parent_of(f);

	if (!p)
		return false;
	sbuf_put(o, p->comm, p->comm_len);
	return true;
}

EXTRACTOR(x_proc_pcmdline)
{
	struct thread *p = parent_of(f);

	if (!p)
		return false;
	put_cmdline(o, p);
	return true;
}

static bool is_shell(const char *comm)
{
	static const char *const shells[] = {
		"sh", "bash", "dash", "zsh", "ksh", "csh", "tcsh", "ash", "fish"
	};

	for (size_t i = 0; i < ARRAY_SIZE(shells); i++)
		if (!strcmp(comm, shells[i]))
			return true;
	return false;
}

/* The pid of the outermost shell among the process and its ancestors. */
EXTRACTOR(x_proc_loginshellid)
{
	struct thread *t;
	int64_t found = -1;

	if (!thr(f))
		return false;
	t = main_of(f);
	for (int i = 0; t && i < 1024; i++) {
		if (is_shell(t->comm))
			found = t->pid;
		t = state_thread(f->st, t->ptid);
	}
	if (found < 0)
		return false;
	sbuf_i64(o, found);
	return true;
}

EXTRACTOR(x_proc_duration)
{
	struct thread *t = thr(f);

	if (!t || !t->clone_ts)
		return false;
	sbuf_i64(o, (int64_t)(f->cx->ev->ts - t->clone_ts));
	return true;
}

/* Open fds; a close's exit still counts the fd it closed, as sysdig removes it after the event. */
static size_t fd_count(const struct fctx *f)
{
	size_t n = state_fd_count(f->st, thr(f));
	const struct fdinfo *fi = f->cx->fdinfo;

	if (fi && event_is_exit(f->cx->ev->type) && (event_table[f->cx->ev->type].flags & EF_DESTROYS_FD) &&
	    state_fd(f->st, thr(f), f->cx->fd) != fi)
		n++;
	return n;
}

EXTRACTOR(x_proc_fdopencount)
{
	if (!thr(f))
		return false;
	sbuf_u64(o, fd_count(f));
	return true;
}

EXTRACTOR(x_proc_fdlimit)
{
	if (!thr(f))
		return false;
	sbuf_i64(o, main_of(f)->fdlimit);
	return true;
}

EXTRACTOR(x_proc_fdusage)
{
	int64_t lim;
	char tmp[32];

	if (!thr(f))
		return false;
	lim = main_of(f)->fdlimit;
	snprintf(tmp, sizeof(tmp), "%.1f", lim > 0 ? (double)fd_count(f) * 100.0 / (double)lim : 0.0);
	sbuf_puts(o, tmp);
	return true;
}

#define U64_FIELD(fn, expr)                    \
	EXTRACTOR(fn)                          \
	{                                      \
		if (!thr(f))                   \
			return false;          \
		sbuf_u64(o, (uint64_t)(expr)); \
		return true;                   \
	}

U64_FIELD(x_proc_vmsize, main_of(f)->vmsize_kb)
U64_FIELD(x_proc_vmrss, main_of(f)->vmrss_kb)
U64_FIELD(x_proc_vmswap, main_of(f)->vmswap_kb)
U64_FIELD(x_thread_pfmajor, thr(f)->pfmajor)
U64_FIELD(x_thread_pfminor, thr(f)->pfminor)
U64_FIELD(x_thread_vmsize, thr(f)->vmsize_kb)
U64_FIELD(x_thread_vmrss, thr(f)->vmrss_kb)
U64_FIELD(x_proc_tty, main_of(f)->tty)

EXTRACTOR(x_thread_ismain)
{
	if (!thr(f))
		return false;
	return put_bool(o, thr(f)->tid == thr(f)->pid);
}

/* ---- fields with a memory of their own (FF_MEMORY) ---- */

struct fstate *fstate_new(struct state *st, const struct field *f)
{
	struct fstate *fs;

	if (!(field_flags(f) & FF_MEMORY))
		return NULL;
	fs = xcalloc(1, sizeof(*fs));
	fs->st = st;
	fs->slot = state_slot_reserve(st);
	return fs;
}

void fstate_free(struct fstate *fs)
{
	if (fs)
		free(fs->last_switch);
	free(fs);
}

/* Context switches, both versions of the event. */
static bool is_switch(uint16_t type)
{
	return type == PPME_SCHEDSWITCH_1_E || type == PPME_SCHEDSWITCH_6_E;
}

/*
 * On a context switch, the ns since the previous switch this place saw on the
 * same CPU (0 for the first); 0 on other events.
 */
static uint64_t exectime(const struct fctx *f)
{
	const struct event *ev = f->cx->ev;
	struct fstate *fs = f->fs;
	uint64_t last;

	if (!is_switch(ev->type))
		return 0;
	if (ev->cpu >= fs->ncpus) {
		uint32_t n = (uint32_t)ev->cpu + 1;

		fs->last_switch = xrealloc(fs->last_switch, n * sizeof(*fs->last_switch));
		memset(fs->last_switch + fs->ncpus, 0, (n - fs->ncpus) * sizeof(*fs->last_switch));
		fs->ncpus = n;
	}
	last = fs->last_switch[ev->cpu];
	fs->last_switch[ev->cpu] = ev->ts;
	return last ? ev->ts - last : 0;
}

EXTRACTOR(x_thread_exectime)
{
	sbuf_u64(o, exectime(f));
	return true;
}

/* The thread's exectime summed over the switches this place saw. */
EXTRACTOR(x_thread_totexectime)
{
	uint64_t d = exectime(f), *tot;

	if (!thr(f))
		return false;
	tot = state_slot(thr(f), f->fs->slot);
	*tot += d;
	sbuf_u64(o, *tot);
	return true;
}

/*
 * On a procinfo event (internal: never shown, but filters see it), the
 * thread's CPU ticks (user, system or both) since the previous procinfo this
 * place saw for it, at most 100; 0 the first time. Absent on other events.
 */
static bool thread_cpu(const struct fctx *f, struct sbuf *o, bool user, bool system)
{
	const struct event *ev = f->cx->ev;
	uint64_t ticks = 0, d = 0, *last;

	if (!thr(f) || ev->type != PPME_PROCINFO_E)
		return false;
	if (user)
		ticks += event_uint(ev, 0, 0);
	if (system)
		ticks += event_uint(ev, 1, 0);
	last = state_slot(thr(f), f->fs->slot);
	if (*last)
		d = ticks - *last > 100 ? 100 : ticks - *last;
	*last = ticks;
	sbuf_u64(o, d); /* sysdig holds it as a double; it is always whole */
	return true;
}

EXTRACTOR(x_thread_cpu)
{
	return thread_cpu(f, o, true, true);
}

EXTRACTOR(x_thread_cpu_user)
{
	return thread_cpu(f, o, true, false);
}

EXTRACTOR(x_thread_cpu_system)
{
	return thread_cpu(f, o, false, true);
}

EXTRACTOR(x_thread_cgroups)
{
	struct thread *t = thr(f);

	if (!t || !t->cgroups_len)
		return false;
	put_list(o, t->cgroups, t->cgroups_len, ' ');
	return true;
}

/* thread.cgroup.SUBSYS: the path after "SUBSYS=". */
EXTRACTOR(x_thread_cgroup)
{
	struct thread *t = thr(f);
	size_t n = strlen(f->arg);

	if (!t)
		return false;
	for (const char *p = t->cgroups, *end = t->cgroups + t->cgroups_len; p < end; p += strlen(p) + 1)
		if (!strncmp(p, f->arg, n) && p[n] == '=') {
			sbuf_puts(o, p + n + 1);
			return true;
		}
	return false;
}

/* thread.vtid, proc.vpid: none when unknown (-1), as sysdig; a container's event has -2 */
EXTRACTOR(x_thread_vtid)
{
	return thr(f) && thr(f)->vtid != -1 && (sbuf_i64(o, thr(f)->vtid), true);
}

EXTRACTOR(x_proc_vpid)
{
	return thr(f) && thr(f)->vpid != -1 && (sbuf_i64(o, thr(f)->vpid), true);
}

EXTRACTOR(x_proc_sid)
{
	if (!thr(f))
		return false;
	sbuf_i64(o, thr(f)->sid);
	return true;
}

EXTRACTOR(x_proc_vpgid)
{
	if (!thr(f))
		return false;
	sbuf_i64(o, thr(f)->vpgid);
	return true;
}

/* The session leader: up the ancestors to the last one still in the session. */
EXTRACTOR(x_proc_sname)
{
	struct thread *t, *leader;

	if (!thr(f))
		return false;
	t = leader = main_of(f);
	if (!leader)
		return false;
	for (int i = 0; t && i < 1024 && t->sid == thr(f)->sid; i++) {
		leader = t;
		t = state_thread(f->st, t->ptid);
	}
	sbuf_put(o, leader->comm, leader->comm_len);
	return true;
}

EXTRACTOR(x_proc_is_exe_writable)
{
	if (!thr(f))
		return false;
	return put_bool(o, main_of(f)->exe_writable);
}

static const struct state_user *user_of(const struct fctx *f)
{
	return thr(f) ? state_user(f->st, thr(f)->uid) : NULL;
}

EXTRACTOR(x_user_homedir)
{
	const struct state_user *u = user_of(f);

	if (!u)
		return false;
	sbuf_puts(o, u->homedir);
	return true;
}

EXTRACTOR(x_user_shell)
{
	const struct state_user *u = user_of(f);

	if (!u)
		return false;
	sbuf_puts(o, u->shell);
	return true;
}

EXTRACTOR(x_user_loginuid)
{
	if (!thr(f))
		return false;
	sbuf_i64(o, (int32_t)thr(f)->loginuid);
	return true;
}

EXTRACTOR(x_user_loginname)
{
	const char *n;

	if (!thr(f) || thr(f)->loginuid == UINT32_MAX)
		return false;
	n = state_user_name(f->st, thr(f)->loginuid);
	if (!n)
		return false;
	sbuf_puts(o, n);
	return true;
}

EXTRACTOR(x_group_gid)
{
	if (!thr(f))
		return false;
	sbuf_u64(o, thr(f)->gid);
	return true;
}

EXTRACTOR(x_group_name)
{
	return thr(f) && put_str(o, state_group_name(f->st, thr(f)->gid));
}

/* ---- container ---- */

static const struct container *container_of(const struct fctx *f)
{
	return thr(f) && *thr(f)->container_id ? state_container(f->st, thr(f)->container_id) : NULL;
}

#define CONTAINER_TEXT(fn, member)                           \
	EXTRACTOR(fn)                                        \
	{                                                    \
		const struct container *c = container_of(f); \
		return c && put_text(o, c->member);          \
	}

CONTAINER_TEXT(x_container_image_id, image_id)
CONTAINER_TEXT(x_container_image_repository, image_repo)
CONTAINER_TEXT(x_container_image_tag, image_tag)
CONTAINER_TEXT(x_container_image_digest, image_digest)

static const struct container *sandbox_of(const struct fctx *f);

/*
 * Its address, as later libs' container.ip gives it: a pod's container has
 * its pod's (the sandbox's) when the runtime gave it none of its own.
 */
EXTRACTOR(x_container_ip)
{
	const struct container *c = container_of(f), *sb;
	const char *ip = c ? c->ip : NULL;

	if (ip && (!*ip || !strcmp(ip, "0.0.0.0")) && (sb = sandbox_of(f)) && sb->ip && *sb->ip)
		ip = sb->ip;
	return put_text(o, ip);
}

/* ---- Kubernetes: from the container's CRI labels, as sysdig reads them with no API server ---- */

static bool put_label(const struct fctx *f, struct sbuf *o, const char *key)
{
	return put_text(o, state_container_label(container_of(f), key));
}

EXTRACTOR(x_k8s_pod_name)
{
	return put_label(f, o, "io.kubernetes.pod.name");
}

EXTRACTOR(x_k8s_ns_name)
{
	return put_label(f, o, "io.kubernetes.pod.namespace");
}

EXTRACTOR(x_k8s_pod_id)
{
	return put_label(f, o, "io.kubernetes.pod.uid");
}

/* The pod's sandbox container (the label io.kubernetes.sandbox.id, its first 12 digits): the pod's labels. */
static const struct container *sandbox_of(const struct fctx *f)
{
	const char *sid = state_container_label(container_of(f), "io.kubernetes.sandbox.id");
	char id[13];

	if (!sid)
		return NULL;
	snprintf(id, sizeof(id), "%.12s", sid);
	return state_container(f->st, id);
}

EXTRACTOR(x_k8s_pod_label)
{
	return f->arg && put_text(o, state_container_label(sandbox_of(f), f->arg));
}

/* The pod's labels, "key:value, key2:value2" (the runtime's own, annotation.* and io.kubernetes.*, left out).
 */
EXTRACTOR(x_k8s_pod_labels)
{
	const struct container *s = sandbox_of(f);
	bool any = false;

	for (size_t i = 0; s && i < s->nlabels; i++) {
		const char *k = s->label_keys[i];

		if (!strncmp(k, "annotation.", 11) || !strncmp(k, "io.kubernetes.", 14))
			continue;
		if (any)
			sbuf_puts(o, ", ");
		sbuf_puts(o, k);
		if (*s->label_vals[i]) {
			sbuf_putc(o, ':');
			sbuf_puts(o, s->label_vals[i]);
		}
		any = true;
	}
	return any;
}

/*
 * For the fields that call a thread outside containers "host": true with
 * that written for such a thread; else false, with *c its container (NULL
 * when there is no thread or the container is unknown).
 */
static bool put_host(const struct fctx *f, struct sbuf *o, const struct container **c)
{
	*c = container_of(f);
	if (!thr(f) || *thr(f)->container_id)
		return false;
	sbuf_puts(o, "host");
	return true;
}

EXTRACTOR(x_container_name)
{
	const struct container *c;

	/* sysdig: a container known by its id only (no name yet) has none */
	return put_host(f, o, &c) || (c && put_text(o, c->name));
}

EXTRACTOR(x_container_type)
{
	const struct container *c;

	return put_host(f, o, &c) || (c && put_text(o, c->type));
}

EXTRACTOR(x_container_privileged)
{
	const struct container *c = container_of(f);

	if (!c || c->privileged < 0)
		return false;
	return put_bool(o, c->privileged);
}

static void put_mount(struct sbuf *o, const struct container_mount *m)
{
	sbuf_puts(o, m->source);
	sbuf_putc(o, ':');
	sbuf_puts(o, m->dest);
	sbuf_putc(o, ':');
	sbuf_puts(o, m->mode);
	sbuf_putc(o, ':');
	sbuf_puts(o, m->rdwr ? "true" : "false");
	sbuf_putc(o, ':');
	sbuf_puts(o, m->propagation);
}

EXTRACTOR(x_container_mounts)
{
	const struct container *c = container_of(f);

	if (!c)
		return false;
	for (size_t i = 0; i < c->nmounts; i++) {
		if (i)
			sbuf_putc(o, ',');
		put_mount(o, &c->mounts[i]);
	}
	return true;
}

/*
 * container.mount[N] or container.mount[PATH]: by position, or by the source
 * path (by the dest path for container.mount.source), glob patterns allowed.
 */
static const struct container_mount *mount_of(const struct fctx *f, bool by_dest)
{
	const struct container *c = container_of(f);

	if (!c || !f->arg)
		return NULL;
	if (f->arg[0] >= '0' && f->arg[0] <= '9')
		return f->argn >= 0 && (size_t)f->argn < c->nmounts ? &c->mounts[f->argn] : NULL;
	for (size_t i = 0; i < c->nmounts; i++)
		if (!strcmp(by_dest ? c->mounts[i].dest : c->mounts[i].source, f->arg))
			return &c->mounts[i];
	return NULL;
}

EXTRACTOR(x_container_mount)
{
	const struct container_mount *m = mount_of(f, false);

	if (!m)
		return false;
	put_mount(o, m);
	return true;
}

#define MOUNT_TEXT(fn, by_dest, expr)                                   \
	EXTRACTOR(fn)                                                   \
	{                                                               \
		const struct container_mount *m = mount_of(f, by_dest); \
		if (!m)                                                 \
			return false;                                   \
		sbuf_puts(o, expr);                                     \
		return true;                                            \
	}

MOUNT_TEXT(x_container_mount_source, true, m->source)
MOUNT_TEXT(x_container_mount_dest, false, m->dest)
MOUNT_TEXT(x_container_mount_mode, false, m->mode)
MOUNT_TEXT(x_container_mount_rdwr, false, m->rdwr ? "true" : "false")
MOUNT_TEXT(x_container_mount_propagation, false, m->propagation)

static bool put_probe(const struct fctx *f, struct sbuf *o)
{
	if (!container_of(f))
		return false;
	sbuf_puts(o, "NONE");
	return true;
}

EXTRACTOR(x_container_healthcheck)
{
	return put_probe(f, o);
}

EXTRACTOR(x_container_liveness_probe)
{
	return put_probe(f, o);
}

EXTRACTOR(x_container_readiness_probe)
{
	return put_probe(f, o);
}
