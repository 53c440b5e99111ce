/* fields: the field table, its lookups and views, and the resolver of parameters through the state. */
#include "extract.h"

#include <pthread.h>
#include <string.h>

/* ---- resolver: parameters rendered through the state ---- */

static bool res_fd(void *ctx, int64_t fd, struct sbuf *out)
{
	struct filter_resolve *c = ctx;
	struct fdinfo *f;
	char tch;

	if (!c->cx->thread)
		return false;
	/* usually the event's own fd, which state_process() already found */
	f = fd == c->cx->fd && c->cx->fdinfo ? c->cx->fdinfo : state_fd(c->st, c->cx->thread, fd);
	if (!f)
		return false;
	tch = state_fd_typechar(f);
	sbuf_putc(out, '<');
	sbuf_putc(out, tch);
	if (f->type == SCAP_FD_IPV4_SOCK || f->type == SCAP_FD_IPV6_SOCK ||
	    f->type == SCAP_FD_IPV4_SERVSOCK || f->type == SCAP_FD_IPV6_SERVSOCK) {
		static const char l4[] = {
			[SCAP_L4_TCP] = 't', [SCAP_L4_UDP] = 'u', [SCAP_L4_ICMP] = 'i', [SCAP_L4_RAW] = 'r'
		};
		uint8_t p = state_fd_l4proto(f);

		if (p < sizeof(l4) && l4[p])
			sbuf_putc(out, l4[p]);
	}
	sbuf_putc(out, '>');
	sbuf_put(out, f->name, f->name_len);
	return true;
}

static const char *res_comm(void *ctx, int64_t tid)
{
	struct filter_resolve *c = ctx;
	struct thread *t = state_thread(c->st, tid);

	return t ? t->comm : NULL;
}

static const char *res_base_dir(void *ctx, int64_t dirfd)
{
	struct filter_resolve *c = ctx;
	struct thread *t = c->cx->thread;
	struct fdinfo *f;

	if (!t)
		return NULL;
	if (dirfd == EVENT_AT_FDCWD)
		return state_main_thread(c->st, t)->cwd;
	f = state_fd(c->st, t, dirfd);
	if (!f)
		return "";
	sbuf_reset(c->tmp);
	sbuf_puts(c->tmp, f->name);
	sbuf_putc(c->tmp, '/');
	return sbuf_cstr(c->tmp);
}

void filter_join_path(void *ctx, const char *dir, const char *path, struct sbuf *out)
{
	struct sbuf *tmp = sbuf_scratch(SCRATCH_JOIN);

	(void)ctx;
	state_concat_path(tmp, dir, path);
	sbuf_put(out, tmp->data, tmp->len);
}

static const char *res_user(void *ctx, uint32_t uid)
{
	struct filter_resolve *c = ctx;

	return state_user_name(c->st, uid);
}

static const char *res_group(void *ctx, uint32_t gid)
{
	struct filter_resolve *c = ctx;

	return state_group_name(c->st, gid);
}

void filter_resolver(struct state *st, const struct evctx *cx, struct filter_resolve *ctx,
                     struct event_resolver *r)
{
	ctx->st = st;
	ctx->cx = cx;
	ctx->tmp = sbuf_scratch(SCRATCH_RESOLVE);
	r->ctx = ctx;
	r->fd = res_fd;
	r->comm = res_comm;
	r->base_dir = res_base_dir;
	r->join_path = filter_join_path;
	r->user = res_user;
	r->group = res_group;
	r->buf_cap = EVENT_MAX_BUF_OUTPUT;
}

/* Lengths of the event and syscall names, computed once (fields_init()). */
static uint8_t event_name_lens[EVENT_MAX];
static uint8_t syscall_name_lens[EVENT_SYSCALL_MAX];

#define FIELDS_MAX 256
static uint8_t fields_len[FIELDS_MAX];
static void field_lengths(void);

/* Every byte as a one-character NUL-terminated text. */
static char char_texts[256][2];

static void name_lengths_once(void)
{
	field_lengths();
	maker_typechars();
	for (int c = 0; c < 256; c++)
		char_texts[c][0] = (char)c;
	for (int i = 0; i < EVENT_MAX; i++)
		event_name_lens[i] = (uint8_t)strlen(event_table[i].name);
	for (int i = 0; i < EVENT_SYSCALL_MAX; i++)
		syscall_name_lens[i] = (uint8_t)strlen(event_syscalls[i].name);
}

static pthread_once_t names_once = PTHREAD_ONCE_INIT;

void fields_init(void)
{
	pthread_once(&names_once, name_lengths_once);
}

size_t event_name_len(uint16_t type)
{
	return event_name_lens[type];
}

void put_syscall_name(struct sbuf *out, const struct event *ev)
{
	uint64_t id = event_uint(ev, 0, 0);

	if (id >= EVENT_SYSCALL_MAX) {
		sbuf_puts(out, "<unknown>");
		return;
	}
	sbuf_put(out, event_syscalls[id].name, syscall_name_lens[id]);
}

/* ---- views: the hot text fields without a copy (see view_fn) ---- */

static const char *char_text(char c)
{
	return char_texts[(uint8_t)c];
}

static bool view_extracted(const struct fctx *f, extract_fn fn, struct sbuf *scratch, const char **s,
                           size_t *len)
{
	scratch->len = 0;
	if (!fn(f, scratch))
		return false;
	*s = sbuf_cstr(scratch);
	*len = scratch->len;
	return true;
}

static bool v_evt_dir(const struct fctx *f, struct sbuf *scratch, const char **s, size_t *len)
{
	(void)scratch;
	*s = event_is_exit(f->cx->ev->type) ? "<" : ">";
	*len = 1;
	return true;
}

static bool v_evt_type(const struct fctx *f, struct sbuf *scratch, const char **s, size_t *len)
{
	uint16_t type = f->cx->ev->type;

	if (type <= PPME_GENERIC_X)
		return view_extracted(f, x_evt_type, scratch, s, len);
	*s = event_table[type].name;
	*len = event_name_len(type);
	return true;
}

static bool v_proc_name(const struct fctx *f, struct sbuf *scratch, const char **s, size_t *len)
{
	(void)scratch;
	if (!thr(f))
		return false;
	*s = thr(f)->comm;
	*len = thr(f)->comm_len;
	return true;
}

static bool v_fd_name(const struct fctx *f, struct sbuf *scratch, const char **s, size_t *len)
{
	const struct fdinfo *fi = f->cx->fdinfo;

	if (!fi || !f->cx->has_fd || !thr(f) ||
	    f->cx->ev->type == PPME_SOCKET_CONNECT_X) /* connect: see x_fd_name */
		return view_extracted(f, x_fd_name, scratch, s, len);
	*s = fi->name;
	*len = fi->name_len;
	return true;
}

static bool v_fd_typechar(const struct fctx *f, struct sbuf *scratch, const char **s, size_t *len)
{
	(void)scratch;
	if (f->cx->fdinfo)
		*s = char_text(state_fd_typechar(f->cx->fdinfo));
	else if (f->cx->has_fd && thr(f))
		*s = char_text(typechar_of_maker(f->cx->ev->type));
	else
		return false;
	*len = 1;
	return true;
}

static bool v_fd_type(const struct fctx *f, struct sbuf *scratch, const char **s, size_t *len)
{
	if (!f->cx->fdinfo)
		return view_extracted(f, x_fd_type, scratch, s, len);
	*s = state_fd_typename(f->cx->fdinfo);
	*len = strlen(*s);
	return true;
}

#define S FF_STATELESS
#define F(name, type, flags, fn, desc)                       \
	{                                                    \
		name, type, flags, FARG_NONE, fn, desc, NULL \
	}
#define FA(name, type, flags, arg, fn, desc)           \
	{                                              \
		name, type, flags, arg, fn, desc, NULL \
	}
#define FV(name, type, flags, fn, view, desc)                \
	{                                                    \
		name, type, flags, FARG_NONE, fn, desc, view \
	}

/* The field table: every lookup (parsing, listing) is derived from it. */
static const struct field fields[] = {
	F("evt.num", FT_NUM, S, x_evt_num, "event number"),
	F("evt.time", FT_NUM, S, x_evt_time, "event time, local, with nanoseconds"),
	F("evt.time.s", FT_STR, S, x_evt_time_s, "event time, local, whole seconds"),
	F("evt.time.iso8601", FT_STR, S, x_evt_time_iso8601, "event time, ISO 8601, UTC"),
	F("evt.datetime", FT_STR, S, x_evt_datetime, "event date and time"),
	F("evt.datetime.s", FT_STR, S, x_evt_datetime_s, "event date and time, whole seconds"),
	F("evt.outputtime", FT_NUM, S, x_evt_outputtime, "event time as printed by default"),
	F("evt.rawtime", FT_NUM, S, x_evt_rawtime, "event time in ns since the epoch"),
	F("evt.rawtime.s", FT_NUM, S, x_evt_rawtime_s, "seconds part of evt.rawtime"),
	F("evt.rawtime.ns", FT_NUM, S, x_evt_rawtime_ns, "nanoseconds part of evt.rawtime"),
	F("evt.reltime", FT_NUM, 0, x_evt_reltime, "ns since the capture's first event"),
	F("evt.reltime.s", FT_NUM, 0, x_evt_reltime_s, "seconds part of evt.reltime"),
	F("evt.reltime.ns", FT_NUM, 0, x_evt_reltime_ns, "nanoseconds part of evt.reltime"),
	F("evt.latency", FT_NUM, 0, x_evt_latency, "an exit's ns since its enter (0 for enters)"),
	F("evt.latency.s", FT_NUM, 0, x_evt_latency_s, "seconds part of evt.latency"),
	F("evt.latency.ns", FT_NUM, 0, x_evt_latency_ns, "nanoseconds part of evt.latency"),
	F("evt.latency.human", FT_STR, 0, x_evt_latency_human, "evt.latency with a unit"),
	F("evt.deltatime", FT_NUM, 0, x_evt_deltatime, "ns since the previous event"),
	F("evt.deltatime.s", FT_NUM, 0, x_evt_deltatime_s, "seconds part of evt.deltatime"),
	F("evt.deltatime.ns", FT_NUM, 0, x_evt_deltatime_ns, "nanoseconds part of evt.deltatime"),
	F("evt.pluginname", FT_STR, S, x_evt_na, "plugin name (no plugin events in syscall captures)"),
	F("evt.plugininfo", FT_STR, S, x_evt_na, "plugin text (no plugin events in syscall captures)"),
	FV("evt.dir", FT_STR, S | FF_BYTYPE, x_evt_dir, v_evt_dir, "> enter, < exit"),
	FV("evt.type", FT_STR, S | FF_BYTYPE | FF_EVENT_NAME, x_evt_type, v_evt_type,
	   "event or syscall name"),
	FA("evt.type.is", FT_NUM, S | FF_FILTER_ONLY, FARG_NAME, x_evt_type_is,
	   "1 when the event is of the type given: evt.type.is.NAME"),
	FA("evt.around", FT_NUM, S | FF_FILTER_ONLY, FARG_TIME, x_evt_na,
	   "evt.around[T]=D: the event is at most D ms from T (ns since the epoch)"),
	F("syscall.type", FT_STR, S, x_syscall_type, "the syscall name, for syscall events"),
	F("evt.category", FT_STR, 0, x_evt_category, "file, net, process, memory, ..."),
	F("evt.cpu", FT_NUM, S, x_evt_cpu, "CPU the event happened on"),
	F("evt.args", FT_STR, 0, x_evt_args, "all arguments"),
	FA("evt.arg", FT_STR, 0, FARG_NAME_OR_INDEX, x_evt_arg, "one argument, by name or position"),
	FA("evt.rawarg", FT_STR, S, FARG_NAME, x_evt_rawarg, "one argument, unformatted: evt.rawarg.NAME"),
	F("evt.info", FT_STR, 0, x_evt_args, "the arguments, as sysdig shows them"),
	F("evt.buffer", FT_STR, S, x_evt_buffer, "the data of an I/O event"),
	F("evt.buflen", FT_NUM, 0, x_evt_buflen, "the length of an I/O event's data"),
	F("evt.res", FT_STR, S, x_evt_res, "SUCCESS or the error name"),
	F("evt.rawres", FT_NUM, S, x_evt_rawres, "the return value"),
	F("evt.failed", FT_STR, S, x_evt_failed, "true for an event whose result is an error"),
	F("evt.is_io", FT_STR, S, x_evt_is_io, "true for events that read or write data"),
	F("evt.is_io_read", FT_STR, S, x_evt_is_io_read, "true for events that read data"),
	F("evt.is_io_write", FT_STR, S, x_evt_is_io_write, "true for events that write data"),
	F("evt.io_dir", FT_STR, S, x_evt_io_dir, "read or write, for I/O events"),
	F("evt.is_wait", FT_STR, S, x_evt_is_wait, "true for events that wait"),
	F("evt.wait_latency", FT_NUM, 0, x_evt_wait_latency, "a waiting exit's ns since its enter"),
	F("evt.is_syslog", FT_STR, 0, x_evt_is_syslog, "true for writes to /dev/log"),
	F("evt.count", FT_NUM, S, x_evt_count, "1 for every event"),
	F("evt.count.error", FT_NUM, 0, x_evt_count_error, "1 for events that failed"),
	F("evt.count.error.file", FT_NUM, 0, x_evt_count_error_file, "1 for failed file events"),
	F("evt.count.error.net", FT_NUM, 0, x_evt_count_error_net, "1 for failed network events"),
	F("evt.count.error.memory", FT_NUM, 0, x_evt_count_error_memory, "1 for failed memory events"),
	F("evt.count.error.other", FT_NUM, 0, x_evt_count_error_other, "1 for other failed events"),
	F("evt.count.exit", FT_NUM, S, x_evt_count_exit, "1 for exit events"),
	F("evt.abspath", FT_STR, 0, x_evt_abspath, "the absolute path of a *at call's path"),
	F("evt.is_open_read", FT_STR, S, x_evt_is_open_read, "true for an open exit for reading"),
	F("evt.is_open_write", FT_STR, S, x_evt_is_open_write, "true for an open exit for writing"),
	F("evt.is_open_exec", FT_STR, S, x_evt_is_open_exec, "true for an open exit creating an executable"),
	F("proc.pid", FT_NUM, 0, x_proc_pid, "process id"),
	F("proc.exe", FT_STR, 0, x_proc_exe, "argv[0]"),
	FV("proc.name", FT_STR, 0, x_proc_name, v_proc_name, "process name (comm)"),
	F("proc.args", FT_STR, 0, x_proc_args, "arguments"),
	F("proc.env", FT_STR, 0, x_proc_env, "environment"),
	F("proc.cmdline", FT_STR, 0, x_proc_cmdline, "name and arguments"),
	F("proc.exeline", FT_STR, 0, x_proc_exeline, "argv[0] and arguments"),
	F("proc.cwd", FT_STR, 0, x_proc_cwd, "working directory"),
	F("proc.nthreads", FT_NUM, 0, x_proc_nthreads, "threads of the process"),
	F("proc.nchilds", FT_NUM, 0, x_proc_nchilds, "child threads of the process"),
	F("proc.ppid", FT_NUM, 0, x_proc_ppid, "parent process id"),
	F("proc.pname", FT_STR, 0, x_proc_pname, "parent's name"),
	F("proc.pcmdline", FT_STR, 0, x_proc_pcmdline, "parent's command line"),
	FA("proc.apid", FT_NUM, FF_ANY, FARG_INDEX, x_proc_apid,
	   "ancestor pid, N generations up: proc.apid[N]; without N a filter tests every ancestor"),
	FA("proc.aname", FT_STR, FF_ANY, FARG_INDEX, x_proc_aname,
	   "ancestor name, N generations up: proc.aname[N]; without N a filter tests every ancestor"),
	F("proc.loginshellid", FT_NUM, 0, x_proc_loginshellid, "pid of the outermost shell above"),
	F("proc.duration", FT_NUM, 0, x_proc_duration, "ns since the process started"),
	F("proc.fdopencount", FT_NUM, 0, x_proc_fdopencount, "open fds of the process"),
	F("proc.fdlimit", FT_NUM, 0, x_proc_fdlimit, "the process's fd limit"),
	F("proc.fdusage", FT_STR, 0, x_proc_fdusage, "open fds as a percentage of the limit"),
	F("proc.vmsize", FT_NUM, 0, x_proc_vmsize, "virtual memory, KiB"),
	F("proc.vmrss", FT_NUM, 0, x_proc_vmrss, "resident memory, KiB"),
	F("proc.vmswap", FT_NUM, 0, x_proc_vmswap, "swapped memory, KiB"),
	F("thread.pfmajor", FT_NUM, 0, x_thread_pfmajor, "major page faults"),
	F("thread.pfminor", FT_NUM, 0, x_thread_pfminor, "minor page faults"),
	F("thread.tid", FT_NUM, S, x_thread_tid, "thread id"),
	F("thread.ismain", FT_STR, 0, x_thread_ismain, "true for the process's main thread"),
	F("thread.cgroups", FT_STR, 0, x_thread_cgroups, "the thread's cgroups"),
	FA("thread.cgroup", FT_STR, 0, FARG_NAME, x_thread_cgroup,
	   "the thread's cgroup of one subsystem: thread.cgroup.SUBSYS"),
	F("thread.vtid", FT_NUM, 0, x_thread_vtid, "thread id in its pid namespace"),
	F("proc.vpid", FT_NUM, 0, x_proc_vpid, "process id in its pid namespace"),
	F("thread.vmsize", FT_NUM, 0, x_thread_vmsize, "virtual memory, KiB, this thread"),
	F("thread.vmrss", FT_NUM, 0, x_thread_vmrss, "resident memory, KiB, this thread"),
	F("thread.exectime", FT_NUM, FF_MEMORY, x_thread_exectime,
	  "on a context switch, ns since the previous switch on its CPU; else 0"),
	F("thread.totexectime", FT_NUM, FF_MEMORY, x_thread_totexectime,
	  "the thread's thread.exectime summed over the switches so far"),
	F("thread.cpu", FT_NUM, FF_MEMORY, x_thread_cpu,
	  "on a procinfo event, the thread's CPU ticks since the previous one (at most 100)"),
	F("thread.cpu.user", FT_NUM, FF_MEMORY, x_thread_cpu_user, "thread.cpu, user time only"),
	F("thread.cpu.system", FT_NUM, FF_MEMORY, x_thread_cpu_system, "thread.cpu, system time only"),
	F("proc.sid", FT_NUM, 0, x_proc_sid, "session id"),
	F("proc.sname", FT_STR, 0, x_proc_sname, "session leader's name"),
	F("proc.tty", FT_NUM, 0, x_proc_tty, "controlling terminal, 0 for none"),
	F("proc.exepath", FT_STR, 0, x_proc_exepath, "full path of the executable"),
	F("proc.vpgid", FT_NUM, 0, x_proc_vpgid, "process group id in its pid namespace"),
	F("proc.is_container_healthcheck", FT_STR, 0, x_false, "always false (no orchestrator data)"),
	F("proc.is_container_liveness_probe", FT_STR, 0, x_false, "always false (no orchestrator data)"),
	F("proc.is_container_readiness_probe", FT_STR, 0, x_false, "always false (no orchestrator data)"),
	F("proc.is_exe_writable", FT_STR, 0, x_proc_is_exe_writable, "true when the executable is writable"),
	F("user.uid", FT_NUM, 0, x_user_uid, "user id"),
	F("user.name", FT_STR, 0, x_user_name, "user name"),
	F("user.homedir", FT_STR, 0, x_user_homedir, "user's home directory"),
	F("user.shell", FT_STR, 0, x_user_shell, "user's shell"),
	F("user.loginuid", FT_NUM, 0, x_user_loginuid, "audit login uid, -1 for none"),
	F("user.loginname", FT_STR, 0, x_user_loginname, "audit login user's name"),
	F("group.gid", FT_NUM, 0, x_group_gid, "group id"),
	F("group.name", FT_STR, 0, x_group_name, "group name"),
	F("container.id", FT_STR, 0, x_container_id, "container id, or host"),
	F("container.name", FT_STR, 0, x_container_name, "container name, or host"),
	F("container.image", FT_STR, 0, x_container_image, "container image"),
	F("container.image.id", FT_STR, 0, x_container_image_id, "container image id"),
	F("container.type", FT_STR, 0, x_container_type, "docker, cri-o, ..., or host"),
	F("container.privileged", FT_STR, 0, x_container_privileged, "true for a privileged container"),
	F("container.mounts", FT_STR, 0, x_container_mounts, "mounts, source:dest:mode:rdwr:propagation"),
	FA("container.mount", FT_STR, 0, FARG_NAME_OR_INDEX, x_container_mount,
	   "one mount, by position or source path"),
	FA("container.mount.source", FT_STR, 0, FARG_NAME_OR_INDEX, x_container_mount_source,
	   "one mount's source, by position or dest path"),
	FA("container.mount.dest", FT_STR, 0, FARG_NAME_OR_INDEX, x_container_mount_dest,
	   "one mount's dest, by position or source path"),
	FA("container.mount.mode", FT_STR, 0, FARG_NAME_OR_INDEX, x_container_mount_mode,
	   "one mount's mode, by position or source path"),
	FA("container.mount.rdwr", FT_STR, 0, FARG_NAME_OR_INDEX, x_container_mount_rdwr,
	   "one mount's rdwr, by position or source path"),
	FA("container.mount.propagation", FT_STR, 0, FARG_NAME_OR_INDEX, x_container_mount_propagation,
	   "one mount's propagation, by position or source path"),
	F("container.image.repository", FT_STR, 0, x_container_image_repository, "image repository"),
	F("container.image.tag", FT_STR, 0, x_container_image_tag, "image tag"),
	F("container.image.digest", FT_STR, 0, x_container_image_digest, "image digest"),
	F("container.ip", FT_STR, 0, x_container_ip,
	  "its address (its pod's when it has none of its own), as later libs give it"),
	F("container.healthcheck", FT_STR, 0, x_container_healthcheck, "health check command, or NONE"),
	F("container.liveness_probe", FT_STR, 0, x_container_liveness_probe, "liveness probe, or NONE"),
	F("container.readiness_probe", FT_STR, 0, x_container_readiness_probe, "readiness probe, or NONE"),
	F("fd.num", FT_NUM, FF_FD, x_fd_num, "fd number"),
	FV("fd.type", FT_STR, FF_FD, x_fd_type, v_fd_type, "file, ipv4, ipv6, unix, pipe, ..."),
	FV("fd.typechar", FT_STR, FF_FD, x_fd_typechar, v_fd_typechar, "fd type as one character"),
	FV("fd.name", FT_STR, FF_FD, x_fd_name, v_fd_name, "fd name: path, address pair, ..."),
	F("fd.directory", FT_STR, FF_FD, x_fd_directory,
	  "the directory of a file fd (a directory fd: itself)"),
	F("fd.filename", FT_STR, FF_FD, x_fd_filename, "the file name of a file fd, without its directory"),
	F("fd.ip", FT_IP, FF_FILTER_ONLY | FF_EITHER | FF_FD, x_fd_ip, "client or server address (filters)"),
	F("fd.cip", FT_IP, FF_FD, x_fd_cip, "client address"),
	F("fd.sip", FT_IP, FF_FD, x_fd_sip, "server address"),
	F("fd.lip", FT_IP, FF_FD, x_fd_lip, "local address"),
	F("fd.rip", FT_IP, FF_FD, x_fd_rip, "remote address"),
	F("fd.port", FT_NUM, FF_FILTER_ONLY | FF_EITHER | FF_FD, x_fd_port,
	  "client or server port (filters)"),
	F("fd.cport", FT_NUM, FF_FD, x_fd_cport, "client port"),
	F("fd.sport", FT_NUM, FF_FD, x_fd_sport, "server port"),
	F("fd.lport", FT_NUM, FF_FD, x_fd_lport, "local port"),
	F("fd.rport", FT_NUM, FF_FD, x_fd_rport, "remote port"),
	F("fd.l4proto", FT_STR, FF_FD, x_fd_l4proto, "tcp, udp, icmp or raw"),
	F("fd.sockfamily", FT_STR, FF_FD, x_fd_sockfamily, "ip or unix"),
	F("fd.is_server", FT_STR, FF_FD, x_fd_is_server, "true when the process is the server end"),
	F("fd.uid", FT_STR, FF_FD, x_fd_uid, "thread id and fd number together"),
	F("fd.containername", FT_STR, FF_FD, x_fd_containername, "container id:fd name"),
	F("fd.containerdirectory", FT_STR, FF_FD, x_fd_containerdirectory, "container id:fd directory"),
	F("fd.proto", FT_STR, FF_FILTER_ONLY | FF_EITHER | FF_FD, x_fd_proto,
	  "client or server protocol (filters)"),
	F("fd.cproto", FT_STR, FF_FD, x_fd_cproto, "client protocol (as sysdig 0.29.3: the port)"),
	F("fd.sproto", FT_STR, FF_FD, x_fd_sproto, "server protocol (as sysdig 0.29.3: the port)"),
	F("fd.lproto", FT_STR, FF_FD, x_fd_lproto, "local protocol (as sysdig 0.29.3: the port)"),
	F("fd.rproto", FT_STR, FF_FD, x_fd_rproto, "remote protocol (as sysdig 0.29.3: the port)"),
	F("fd.net", FT_NET, FF_FILTER_ONLY | FF_EITHER | FF_FD, x_fd_ip,
	  "client or server address in a network"),
	F("fd.cnet", FT_NET, FF_FILTER_ONLY | FF_FD, x_fd_cip, "client address in a network (filters)"),
	F("fd.snet", FT_NET, FF_FILTER_ONLY | FF_FD, x_fd_sip, "server address in a network (filters)"),
	F("fd.lnet", FT_NET, FF_FILTER_ONLY | FF_FD, x_fd_lip, "local address in a network (filters)"),
	F("fd.rnet", FT_NET, FF_FILTER_ONLY | FF_FD, x_fd_rip, "remote address in a network (filters)"),
	F("fd.connected", FT_STR, FF_FD, x_fd_connected, "true for a connected socket"),
	F("fd.name_changed", FT_STR, FF_FD, x_fd_name_changed, "true when the event changed the fd's name"),
	F("fd.cip.name", FT_STR, 0, x_evt_na, "client domain name (not in captures: <NA>)"),
	F("fd.sip.name", FT_STR, 0, x_evt_na, "server domain name (not in captures: <NA>)"),
	F("fd.lip.name", FT_STR, 0, x_evt_na, "local domain name (not in captures: <NA>)"),
	F("fd.rip.name", FT_STR, 0, x_evt_na, "remote domain name (not in captures: <NA>)"),
	F("fd.dev", FT_STR, FF_FD, x_fd_dev, "device number of a file fd, hex"),
	F("fd.dev.major", FT_NUM, FF_FD, x_fd_dev_major, "major device number"),
	F("fd.dev.minor", FT_NUM, FF_FD, x_fd_dev_minor, "minor device number"),
	F("fdlist.nums", FT_STR, 0, x_fdlist_nums, "fd numbers of a poll/select call"),
	F("fdlist.names", FT_STR, 0, x_fdlist_names, "fd names of a poll/select call"),
	F("fdlist.cips", FT_STR, 0, x_fdlist_cips, "client addresses of a poll/select call"),
	F("fdlist.sips", FT_STR, 0, x_fdlist_sips, "server addresses of a poll/select call"),
	F("fdlist.cports", FT_STR, 0, x_fdlist_cports, "client ports of a poll/select call"),
	F("fdlist.sports", FT_STR, 0, x_fdlist_sports, "server ports of a poll/select call"),
	F("k8s.pod.name", FT_STR, 0, x_k8s_pod_name,
	  "Kubernetes pod name (the container's io.kubernetes.pod.name)"),
	F("k8s.pod.id", FT_STR, 0, x_k8s_pod_id,
	  "Kubernetes pod uid (the container's io.kubernetes.pod.uid)"),
	FA("k8s.pod.label", FT_STR, 0, FARG_NAME, x_k8s_pod_label,
	   "one Kubernetes pod label: k8s.pod.label.KEY (the pod sandbox container's)"),
	F("k8s.pod.labels", FT_STR, 0, x_k8s_pod_labels,
	  "Kubernetes pod labels, key:value, ... (the sandbox's)"),
	F("k8s.rc.name", FT_STR, 0, x_evt_na,
	  "Kubernetes replication controller name (no orchestrator data: <NA>)"),
	F("k8s.rc.id", FT_STR, 0, x_evt_na,
	  "Kubernetes replication controller id (no orchestrator data: <NA>)"),
	FA("k8s.rc.label", FT_STR, 0, FARG_NAME, x_evt_na,
	   "one Kubernetes replication controller label: k8s.rc.label.KEY (<NA>)"),
	F("k8s.rc.labels", FT_STR, 0, x_evt_na,
	  "Kubernetes replication controller labels, key:value,... (<NA>)"),
	F("k8s.svc.name", FT_STR, 0, x_evt_na, "Kubernetes service name (no orchestrator data: <NA>)"),
	F("k8s.svc.id", FT_STR, 0, x_evt_na, "Kubernetes service id (no orchestrator data: <NA>)"),
	FA("k8s.svc.label", FT_STR, 0, FARG_NAME, x_evt_na,
	   "one Kubernetes service label: k8s.svc.label.KEY (<NA>)"),
	F("k8s.svc.labels", FT_STR, 0, x_evt_na, "Kubernetes service labels, key:value,... (<NA>)"),
	F("k8s.ns.name", FT_STR, 0, x_k8s_ns_name,
	  "Kubernetes namespace name (the container's io.kubernetes.pod.namespace)"),
	F("k8s.ns.id", FT_STR, 0, x_evt_na, "Kubernetes namespace id (no orchestrator data: <NA>)"),
	FA("k8s.ns.label", FT_STR, 0, FARG_NAME, x_evt_na,
	   "one Kubernetes namespace label: k8s.ns.label.KEY (<NA>)"),
	F("k8s.ns.labels", FT_STR, 0, x_evt_na, "Kubernetes namespace labels, key:value,... (<NA>)"),
	F("k8s.rs.name", FT_STR, 0, x_evt_na, "Kubernetes replica set name (no orchestrator data: <NA>)"),
	F("k8s.rs.id", FT_STR, 0, x_evt_na, "Kubernetes replica set id (no orchestrator data: <NA>)"),
	FA("k8s.rs.label", FT_STR, 0, FARG_NAME, x_evt_na,
	   "one Kubernetes replica set label: k8s.rs.label.KEY (<NA>)"),
	F("k8s.rs.labels", FT_STR, 0, x_evt_na, "Kubernetes replica set labels, key:value,... (<NA>)"),
	F("k8s.deployment.name", FT_STR, 0, x_evt_na,
	  "Kubernetes deployment name (no orchestrator data: <NA>)"),
	F("k8s.deployment.id", FT_STR, 0, x_evt_na, "Kubernetes deployment id (no orchestrator data: <NA>)"),
	FA("k8s.deployment.label", FT_STR, 0, FARG_NAME, x_evt_na,
	   "one Kubernetes deployment label: k8s.deployment.label.KEY (<NA>)"),
	F("k8s.deployment.labels", FT_STR, 0, x_evt_na, "Kubernetes deployment labels, key:value,... (<NA>)"),
};

#undef S
#undef F
#undef FA

static void field_lengths(void)
{
	_Static_assert(ARRAY_SIZE(fields) <= FIELDS_MAX, "FIELDS_MAX");
	for (size_t i = 0; i < ARRAY_SIZE(fields); i++)
		fields_len[i] = (uint8_t)strlen(fields[i].name);
}

const struct field *field_at(size_t i)
{
	fields_init();
	return i < ARRAY_SIZE(fields) ? &fields[i] : NULL;
}

const struct field *field_find(const char *name, size_t len, const char **arg)
{
	fields_init();
	*arg = NULL;
	for (size_t i = 0; i < ARRAY_SIZE(fields); i++)
		if (fields_len[i] == len && strncmp(fields[i].name, name, len) == 0)
			return &fields[i];
	/* NAME.ARG, for the fields that take their argument after a dot */
	for (size_t i = 0; i < ARRAY_SIZE(fields); i++) {
		size_t fl = fields_len[i];

		if ((fields[i].arg == FARG_NAME || fields[i].arg == FARG_NAME_OR_INDEX) && len > fl + 1 &&
		    name[fl] == '.' && strncmp(name, fields[i].name, fl) == 0) {
			*arg = name + fl + 1;
			return &fields[i];
		}
	}
	return NULL;
}

/* ---- the table as the filter compiler sees it (fields.h) ---- */

const char *field_name(const struct field *f)
{
	return f->name;
}

enum ftype field_type(const struct field *f)
{
	return f->type;
}

bool field_stateless(const struct field *f)
{
	return f->flags & FF_STATELESS;
}

unsigned field_flags(const struct field *f)
{
	return f->flags;
}

enum field_arg field_arg(const struct field *f)
{
	return f->arg;
}

/* The clock text cache of field_extract() and field_view() (filters, not -p). */
static __thread struct time_cache extract_tc = { .sec = -1 };

bool field_extract(const struct field *f, struct state *st, const struct evctx *cx, const char *arg,
                   int64_t argn, struct fstate *fs, struct sbuf *out)
{
	struct fctx c = { st, cx, &extract_tc, arg, argn, fs, false };

	return f->fn(&c, out);
}

bool field_view(const struct field *f, struct state *st, const struct evctx *cx, const char *arg,
                int64_t argn, struct fstate *fs, struct sbuf *scratch, const char **s, size_t *len)
{
	struct fctx c = { st, cx, &extract_tc, arg, argn, fs, false };

	if (f->view)
		return f->view(&c, scratch, s, len);
	return view_extracted(&c, f->fn, scratch, s, len);
}

void filter_list_fields(FILE *out)
{
	size_t class_len = 0;

	for (size_t i = 0; i < ARRAY_SIZE(fields); i++) {
		const char *name = fields[i].name, *dot = strchr(name, '.');
		size_t cl = dot ? (size_t)(dot - name) : strlen(name);
		char shown[64];

		if (i == 0 || cl != class_len || strncmp(name, fields[i - 1].name, cl) != 0)
			fprintf(out, "%s%.*s\n", i ? "\n" : "", (int)cl, name);
		class_len = cl;
		snprintf(shown, sizeof(shown), "%s%s", name,
		         field_arg(&fields[i]) == FARG_NAME_OR_INDEX ? ".NAME, [N]"
		         : field_arg(&fields[i]) == FARG_NAME        ? ".NAME"
		         : field_arg(&fields[i]) == FARG_INDEX       ? "[N]"
		         : field_arg(&fields[i]) == FARG_TIME        ? "[T]"
		                                                     : "");
		fprintf(out, "  %-32s %s%s%s\n", shown, fields[i].type == FT_NUM ? "(number) " : "",
		        fields[i].flags & FF_FILTER_ONLY ? "(filters only) " : "", fields[i].desc);
	}
}
