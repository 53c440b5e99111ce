/*
 * extract: what every field extractor shares (private to src/filter). An
 * extractor appends the field's text for one event, the way `-p` prints it,
 * and returns true, or returns false when the event does not have the field.
 * The table that names them is in fields.c; they live by class in
 * fields_evt.c, fields_proc.c and fields_fd.c.
 */
#ifndef SYSREC_FILTER_EXTRACT_H
#define SYSREC_FILTER_EXTRACT_H

#include "fields.h"

/* The clock text of the last second formatted, reused within it. */
struct time_cache {
	int64_t sec;
	char hms[16];
};

struct fctx {
	struct state *st;
	const struct evctx *cx;
	struct time_cache *tc;
	const char *arg;   /* evt.arg.NAME, evt.arg[N], proc.aname[N] ... as written */
	int64_t argn;      /* a numeric argument; for fields of two sides, 0 client, 1 server */
	struct fstate *fs; /* FF_MEMORY fields: what this place keeps between events */
	bool json;
};

struct fstate {
	struct state *st;
	uint32_t slot;         /* the thread slot of per-thread values */
	uint64_t *last_switch; /* per CPU: the time of the last context switch seen here */
	uint32_t ncpus;
};

typedef bool (*extract_fn)(const struct fctx *f, struct sbuf *out);

/*
 * A field's text without a copy, for the fields filters test most: points at
 * NUL-terminated text in the state or in static storage, or, when the value
 * has to be built, at what the extractor wrote into scratch.
 */
typedef bool (*view_fn)(const struct fctx *f, struct sbuf *scratch, const char **s, size_t *len);

struct field {
	const char *name;
	enum ftype type;
	uint8_t flags; /* FF_* */
	uint8_t arg;   /* enum field_arg */
	extract_fn fn;
	const char *desc;
	view_fn view; /* optional */
};

static inline struct thread *thr(const struct fctx *f)
{
	return f->cx->thread;
}

static inline bool put_bool(struct sbuf *o, bool v)
{
	sbuf_puts(o, v ? "true" : "false");
	return true;
}

/* Append s; false (no value) when s is NULL. */
static inline bool put_str(struct sbuf *o, const char *s)
{
	if (!s)
		return false;
	sbuf_puts(o, s);
	return true;
}

/* "HH:MM:SS.nnnnnnnnn", local time. */
void put_time(struct sbuf *out, uint64_t ts, struct time_cache *tc);
/* Parameter i as shown, or its resolved form (a path joined, an fd's name) when it has one. */
void put_param_resolved(const struct fctx *f, uint32_t i, struct sbuf *o);
/* A NUL-separated list with sep between the items. */
void put_list(struct sbuf *o, const char *p, uint32_t n, char sep);
/* The thread's name and arguments, as proc.cmdline shows them. */
void put_cmdline(struct sbuf *o, const struct thread *t);
/* The syscall's return value: the exit's "res" or "fd" parameter. */
bool event_res(const struct event *ev, int64_t *res);

#define EXTRACTOR(name) bool name(const struct fctx *f, struct sbuf *o)

/* fields_evt.c */
EXTRACTOR(x_evt_num);
EXTRACTOR(x_evt_time);
EXTRACTOR(x_evt_datetime);
EXTRACTOR(x_evt_rawtime);
EXTRACTOR(x_evt_outputtime);
EXTRACTOR(x_evt_cpu);
EXTRACTOR(x_evt_dir);
EXTRACTOR(x_evt_args);
EXTRACTOR(x_evt_res);
EXTRACTOR(x_evt_rawres);
EXTRACTOR(x_evt_failed);
EXTRACTOR(x_evt_arg);
EXTRACTOR(x_evt_time_s);
EXTRACTOR(x_evt_time_iso8601);
EXTRACTOR(x_evt_datetime_s);
EXTRACTOR(x_evt_rawtime_s);
EXTRACTOR(x_evt_rawtime_ns);
EXTRACTOR(x_evt_reltime);
EXTRACTOR(x_evt_reltime_s);
EXTRACTOR(x_evt_reltime_ns);
EXTRACTOR(x_evt_latency);
EXTRACTOR(x_evt_latency_s);
EXTRACTOR(x_evt_latency_ns);
EXTRACTOR(x_evt_latency_human);
EXTRACTOR(x_evt_deltatime);
EXTRACTOR(x_evt_deltatime_s);
EXTRACTOR(x_evt_deltatime_ns);
EXTRACTOR(x_evt_type_is);
EXTRACTOR(x_syscall_type);
EXTRACTOR(x_evt_category);
EXTRACTOR(x_evt_rawarg);
EXTRACTOR(x_evt_buffer);
EXTRACTOR(x_evt_buflen);
EXTRACTOR(x_evt_is_io);
EXTRACTOR(x_evt_is_io_read);
EXTRACTOR(x_evt_is_io_write);
EXTRACTOR(x_evt_io_dir);
EXTRACTOR(x_evt_is_wait);
EXTRACTOR(x_evt_wait_latency);
EXTRACTOR(x_evt_is_syslog);
EXTRACTOR(x_evt_count);
EXTRACTOR(x_evt_count_error);
EXTRACTOR(x_evt_count_error_file);
EXTRACTOR(x_evt_count_error_net);
EXTRACTOR(x_evt_count_error_memory);
EXTRACTOR(x_evt_count_error_other);
EXTRACTOR(x_evt_count_exit);
EXTRACTOR(x_evt_abspath);
EXTRACTOR(x_evt_is_open_read);
EXTRACTOR(x_evt_is_open_write);
EXTRACTOR(x_evt_is_open_exec);
EXTRACTOR(x_evt_na);

/* fields_proc.c: proc, thread, user, group, container */
EXTRACTOR(x_proc_name);
EXTRACTOR(x_proc_pid);
EXTRACTOR(x_proc_ppid);
EXTRACTOR(x_proc_aname);
EXTRACTOR(x_proc_apid);
EXTRACTOR(x_proc_exe);
EXTRACTOR(x_proc_exepath);
EXTRACTOR(x_proc_cmdline);
EXTRACTOR(x_proc_args);
EXTRACTOR(x_proc_env);
EXTRACTOR(x_proc_cwd);
EXTRACTOR(x_thread_tid);
EXTRACTOR(x_user_name);
EXTRACTOR(x_user_uid);
EXTRACTOR(x_container_id);
EXTRACTOR(x_container_image);
EXTRACTOR(x_proc_exeline);
EXTRACTOR(x_proc_nthreads);
EXTRACTOR(x_proc_nchilds);
EXTRACTOR(x_proc_pname);
EXTRACTOR(x_proc_pcmdline);
EXTRACTOR(x_proc_loginshellid);
EXTRACTOR(x_proc_duration);
EXTRACTOR(x_proc_fdopencount);
EXTRACTOR(x_proc_fdlimit);
EXTRACTOR(x_proc_fdusage);
EXTRACTOR(x_proc_vmsize);
EXTRACTOR(x_proc_vmrss);
EXTRACTOR(x_proc_vmswap);
EXTRACTOR(x_thread_pfmajor);
EXTRACTOR(x_thread_pfminor);
EXTRACTOR(x_thread_ismain);
EXTRACTOR(x_thread_cgroups);
EXTRACTOR(x_thread_cgroup);
EXTRACTOR(x_thread_vtid);
EXTRACTOR(x_proc_vpid);
EXTRACTOR(x_thread_vmsize);
EXTRACTOR(x_thread_vmrss);
EXTRACTOR(x_thread_exectime);
EXTRACTOR(x_thread_totexectime);
EXTRACTOR(x_thread_cpu);
EXTRACTOR(x_thread_cpu_user);
EXTRACTOR(x_thread_cpu_system);
EXTRACTOR(x_proc_sid);
EXTRACTOR(x_proc_sname);
EXTRACTOR(x_proc_tty);
EXTRACTOR(x_proc_vpgid);
EXTRACTOR(x_proc_is_exe_writable);
EXTRACTOR(x_false);
EXTRACTOR(x_user_homedir);
EXTRACTOR(x_user_shell);
EXTRACTOR(x_user_loginuid);
EXTRACTOR(x_user_loginname);
EXTRACTOR(x_group_gid);
EXTRACTOR(x_group_name);
EXTRACTOR(x_container_image_id);
EXTRACTOR(x_container_name);
EXTRACTOR(x_k8s_pod_name);
EXTRACTOR(x_k8s_ns_name);
EXTRACTOR(x_k8s_pod_id);
EXTRACTOR(x_k8s_pod_label);
EXTRACTOR(x_k8s_pod_labels);
EXTRACTOR(x_container_type);
EXTRACTOR(x_container_privileged);
EXTRACTOR(x_container_mounts);
EXTRACTOR(x_container_mount);
EXTRACTOR(x_container_mount_source);
EXTRACTOR(x_container_mount_dest);
EXTRACTOR(x_container_mount_mode);
EXTRACTOR(x_container_mount_rdwr);
EXTRACTOR(x_container_mount_propagation);
EXTRACTOR(x_container_image_repository);
EXTRACTOR(x_container_image_tag);
EXTRACTOR(x_container_image_digest);
EXTRACTOR(x_container_ip);
EXTRACTOR(x_container_healthcheck);
EXTRACTOR(x_container_liveness_probe);
EXTRACTOR(x_container_readiness_probe);

/* fields_fd.c: fd and fdlist */
EXTRACTOR(x_fd_num);
EXTRACTOR(x_fd_filename);
EXTRACTOR(x_fd_typechar);
EXTRACTOR(x_fd_ip);
EXTRACTOR(x_fd_cip);
EXTRACTOR(x_fd_sip);
EXTRACTOR(x_fd_lip);
EXTRACTOR(x_fd_rip);
EXTRACTOR(x_fd_port);
EXTRACTOR(x_fd_cport);
EXTRACTOR(x_fd_sport);
EXTRACTOR(x_fd_lport);
EXTRACTOR(x_fd_rport);
EXTRACTOR(x_fd_proto);
EXTRACTOR(x_fd_cproto);
EXTRACTOR(x_fd_sproto);
EXTRACTOR(x_fd_lproto);
EXTRACTOR(x_fd_rproto);
EXTRACTOR(x_fd_l4proto);
EXTRACTOR(x_fd_sockfamily);
EXTRACTOR(x_fd_is_server);
EXTRACTOR(x_fd_uid);
EXTRACTOR(x_fd_containername);
EXTRACTOR(x_fd_containerdirectory);
EXTRACTOR(x_fd_connected);
EXTRACTOR(x_fd_name_changed);
EXTRACTOR(x_fd_dev);
EXTRACTOR(x_fd_dev_major);
EXTRACTOR(x_fd_dev_minor);
EXTRACTOR(x_fdlist_nums);
EXTRACTOR(x_fdlist_names);
EXTRACTOR(x_fdlist_cips);
EXTRACTOR(x_fdlist_sips);
EXTRACTOR(x_fdlist_cports);
EXTRACTOR(x_fdlist_sports);

/* fields_evt.c and fields_fd.c, shared with the views in fields.c */
EXTRACTOR(x_evt_type);
EXTRACTOR(x_fd_type);
EXTRACTOR(x_fd_directory);
EXTRACTOR(x_fd_name);

/* fields.c */
/* The resolver's join_path: dir and path joined as the state joins them (ctx unused). */
void filter_join_path(void *ctx, const char *dir, const char *path, struct sbuf *out);
/* Every entry point that hands out extractors (output_new(), field_find()) calls this first. */
void fields_init(void);
/* The length of the event code's name (fields_init() computes them). */
size_t event_name_len(uint16_t type);
/* The syscall name of a generic event. */
void put_syscall_name(struct sbuf *out, const struct event *ev);

/* fields_fd.c */
/* Fill the typechar of each event code's fd maker (from fields_init()). */
void maker_typechars(void);
/* The typechar of the fd the event code makes, else 'o'. */
char typechar_of_maker(uint16_t type);

/* output.c, for memo.c */
struct output;
struct event_resolver;
/* The default line, written directly: the hot path of `sysrec read`. */
void output_default_line(struct output *o, const struct event *ev, uint64_t num, const char *comm,
                         size_t comm_len, const struct event_resolver *r, struct sbuf *out);

#endif
