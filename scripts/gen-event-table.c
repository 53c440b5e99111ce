/*
 * gen-event-table: dump the event table compiled into sysdig 0.29.3's libscap
 * (Debian libfalcosecurity0, libs e5c53d64) as C data for src/event/event_table.inc.
 *
 * The table is a fact of the file format: codes, names, parameter types, print
 * formats and the flag tables each parameter is rendered with. Reading it out of
 * the library sysdig itself uses is how we know ours matches, and
 * tests/e2e/event_table.sh re-runs this tool and diffs the result.
 *
 * With the argument "codes" it writes src/event/event_codes.h instead: each
 * code's name as the drivers spell it (PPME_SYSCALL_OPEN_X) and its parameter
 * count, as #defines both the BPF programs and userspace include.
 *
 * The layouts below describe the packed records libscap stores; only their sizes
 * and field order matter here.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#define LIBSCAP      "/usr/lib/x86_64-linux-gnu/libscap.so.0.1.1dev+git20220316.e5c53d64"
#define LIBSINSP     "/usr/lib/x86_64-linux-gnu/libsinsp.so.0.1.1dev+git20220316.e5c53d64"
#define NEVENTS      336
#define NSYSCALLS    329
#define PT_DYN       27
#define PT_FSRELPATH 43

struct rec_param {
	char name[32];
	uint32_t type;
	uint32_t fmt;
	const void *info;
	uint8_t ninfo;
} __attribute__((packed));

struct rec_event {
	char name[32];
	uint32_t category;
	uint32_t flags;
	uint32_t nparams;
	struct rec_param params[32];
} __attribute__((packed));

struct rec_name_value {
	const char *name;
	uint32_t value;
};

/* libscap's syscall_evt_pair: what the drivers emit for one native syscall. */
struct rec_native {
	int32_t flags;
	uint32_t enter, exit;
} __attribute__((packed));

#define NNATIVE 512 /* SYSCALL_TABLE_SIZE */

struct rec_syscall {
	uint32_t category;
	uint32_t flags;
	const char *name;
};

static void *lib;

/*
 * The drivers' names for the event codes (enum ppm_event_type: PPME_<name>),
 * in code order, as docs/scap-format.md appendix A lists them.
 */
static const char *const event_enum_names[NEVENTS] = {
	"GENERIC_E",
	"GENERIC_X",
	"SYSCALL_OPEN_E",
	"SYSCALL_OPEN_X",
	"SYSCALL_CLOSE_E",
	"SYSCALL_CLOSE_X",
	"SYSCALL_READ_E",
	"SYSCALL_READ_X",
	"SYSCALL_WRITE_E",
	"SYSCALL_WRITE_X",
	"SYSCALL_BRK_1_E",
	"SYSCALL_BRK_1_X",
	"SYSCALL_EXECVE_8_E",
	"SYSCALL_EXECVE_8_X",
	"SYSCALL_CLONE_11_E",
	"SYSCALL_CLONE_11_X",
	"PROCEXIT_E",
	"PROCEXIT_X",
	"SOCKET_SOCKET_E",
	"SOCKET_SOCKET_X",
	"SOCKET_BIND_E",
	"SOCKET_BIND_X",
	"SOCKET_CONNECT_E",
	"SOCKET_CONNECT_X",
	"SOCKET_LISTEN_E",
	"SOCKET_LISTEN_X",
	"SOCKET_ACCEPT_E",
	"SOCKET_ACCEPT_X",
	"SOCKET_SEND_E",
	"SOCKET_SEND_X",
	"SOCKET_SENDTO_E",
	"SOCKET_SENDTO_X",
	"SOCKET_RECV_E",
	"SOCKET_RECV_X",
	"SOCKET_RECVFROM_E",
	"SOCKET_RECVFROM_X",
	"SOCKET_SHUTDOWN_E",
	"SOCKET_SHUTDOWN_X",
	"SOCKET_GETSOCKNAME_E",
	"SOCKET_GETSOCKNAME_X",
	"SOCKET_GETPEERNAME_E",
	"SOCKET_GETPEERNAME_X",
	"SOCKET_SOCKETPAIR_E",
	"SOCKET_SOCKETPAIR_X",
	"SOCKET_SETSOCKOPT_E",
	"SOCKET_SETSOCKOPT_X",
	"SOCKET_GETSOCKOPT_E",
	"SOCKET_GETSOCKOPT_X",
	"SOCKET_SENDMSG_E",
	"SOCKET_SENDMSG_X",
	"SOCKET_SENDMMSG_E",
	"SOCKET_SENDMMSG_X",
	"SOCKET_RECVMSG_E",
	"SOCKET_RECVMSG_X",
	"SOCKET_RECVMMSG_E",
	"SOCKET_RECVMMSG_X",
	"SOCKET_ACCEPT4_E",
	"SOCKET_ACCEPT4_X",
	"SYSCALL_CREAT_E",
	"SYSCALL_CREAT_X",
	"SYSCALL_PIPE_E",
	"SYSCALL_PIPE_X",
	"SYSCALL_EVENTFD_E",
	"SYSCALL_EVENTFD_X",
	"SYSCALL_FUTEX_E",
	"SYSCALL_FUTEX_X",
	"SYSCALL_STAT_E",
	"SYSCALL_STAT_X",
	"SYSCALL_LSTAT_E",
	"SYSCALL_LSTAT_X",
	"SYSCALL_FSTAT_E",
	"SYSCALL_FSTAT_X",
	"SYSCALL_STAT64_E",
	"SYSCALL_STAT64_X",
	"SYSCALL_LSTAT64_E",
	"SYSCALL_LSTAT64_X",
	"SYSCALL_FSTAT64_E",
	"SYSCALL_FSTAT64_X",
	"SYSCALL_EPOLLWAIT_E",
	"SYSCALL_EPOLLWAIT_X",
	"SYSCALL_POLL_E",
	"SYSCALL_POLL_X",
	"SYSCALL_SELECT_E",
	"SYSCALL_SELECT_X",
	"SYSCALL_NEWSELECT_E",
	"SYSCALL_NEWSELECT_X",
	"SYSCALL_LSEEK_E",
	"SYSCALL_LSEEK_X",
	"SYSCALL_LLSEEK_E",
	"SYSCALL_LLSEEK_X",
	"SYSCALL_IOCTL_2_E",
	"SYSCALL_IOCTL_2_X",
	"SYSCALL_GETCWD_E",
	"SYSCALL_GETCWD_X",
	"SYSCALL_CHDIR_E",
	"SYSCALL_CHDIR_X",
	"SYSCALL_FCHDIR_E",
	"SYSCALL_FCHDIR_X",
	"SYSCALL_MKDIR_E",
	"SYSCALL_MKDIR_X",
	"SYSCALL_RMDIR_E",
	"SYSCALL_RMDIR_X",
	"SYSCALL_OPENAT_E",
	"SYSCALL_OPENAT_X",
	"SYSCALL_LINK_E",
	"SYSCALL_LINK_X",
	"SYSCALL_LINKAT_E",
	"SYSCALL_LINKAT_X",
	"SYSCALL_UNLINK_E",
	"SYSCALL_UNLINK_X",
	"SYSCALL_UNLINKAT_E",
	"SYSCALL_UNLINKAT_X",
	"SYSCALL_PREAD_E",
	"SYSCALL_PREAD_X",
	"SYSCALL_PWRITE_E",
	"SYSCALL_PWRITE_X",
	"SYSCALL_READV_E",
	"SYSCALL_READV_X",
	"SYSCALL_WRITEV_E",
	"SYSCALL_WRITEV_X",
	"SYSCALL_PREADV_E",
	"SYSCALL_PREADV_X",
	"SYSCALL_PWRITEV_E",
	"SYSCALL_PWRITEV_X",
	"SYSCALL_DUP_E",
	"SYSCALL_DUP_X",
	"SYSCALL_SIGNALFD_E",
	"SYSCALL_SIGNALFD_X",
	"SYSCALL_KILL_E",
	"SYSCALL_KILL_X",
	"SYSCALL_TKILL_E",
	"SYSCALL_TKILL_X",
	"SYSCALL_TGKILL_E",
	"SYSCALL_TGKILL_X",
	"SYSCALL_NANOSLEEP_E",
	"SYSCALL_NANOSLEEP_X",
	"SYSCALL_TIMERFD_CREATE_E",
	"SYSCALL_TIMERFD_CREATE_X",
	"SYSCALL_INOTIFY_INIT_E",
	"SYSCALL_INOTIFY_INIT_X",
	"SYSCALL_GETRLIMIT_E",
	"SYSCALL_GETRLIMIT_X",
	"SYSCALL_SETRLIMIT_E",
	"SYSCALL_SETRLIMIT_X",
	"SYSCALL_PRLIMIT_E",
	"SYSCALL_PRLIMIT_X",
	"SCHEDSWITCH_1_E",
	"SCHEDSWITCH_1_X",
	"DROP_E",
	"DROP_X",
	"SYSCALL_FCNTL_E",
	"SYSCALL_FCNTL_X",
	"SCHEDSWITCH_6_E",
	"SCHEDSWITCH_6_X",
	"SYSCALL_EXECVE_13_E",
	"SYSCALL_EXECVE_13_X",
	"SYSCALL_CLONE_16_E",
	"SYSCALL_CLONE_16_X",
	"SYSCALL_BRK_4_E",
	"SYSCALL_BRK_4_X",
	"SYSCALL_MMAP_E",
	"SYSCALL_MMAP_X",
	"SYSCALL_MMAP2_E",
	"SYSCALL_MMAP2_X",
	"SYSCALL_MUNMAP_E",
	"SYSCALL_MUNMAP_X",
	"SYSCALL_SPLICE_E",
	"SYSCALL_SPLICE_X",
	"SYSCALL_PTRACE_E",
	"SYSCALL_PTRACE_X",
	"SYSCALL_IOCTL_3_E",
	"SYSCALL_IOCTL_3_X",
	"SYSCALL_EXECVE_14_E",
	"SYSCALL_EXECVE_14_X",
	"SYSCALL_RENAME_E",
	"SYSCALL_RENAME_X",
	"SYSCALL_RENAMEAT_E",
	"SYSCALL_RENAMEAT_X",
	"SYSCALL_SYMLINK_E",
	"SYSCALL_SYMLINK_X",
	"SYSCALL_SYMLINKAT_E",
	"SYSCALL_SYMLINKAT_X",
	"SYSCALL_FORK_E",
	"SYSCALL_FORK_X",
	"SYSCALL_VFORK_E",
	"SYSCALL_VFORK_X",
	"PROCEXIT_1_E",
	"PROCEXIT_1_X",
	"SYSCALL_SENDFILE_E",
	"SYSCALL_SENDFILE_X",
	"SYSCALL_QUOTACTL_E",
	"SYSCALL_QUOTACTL_X",
	"SYSCALL_SETRESUID_E",
	"SYSCALL_SETRESUID_X",
	"SYSCALL_SETRESGID_E",
	"SYSCALL_SETRESGID_X",
	"SYSDIGEVENT_E",
	"SYSDIGEVENT_X",
	"SYSCALL_SETUID_E",
	"SYSCALL_SETUID_X",
	"SYSCALL_SETGID_E",
	"SYSCALL_SETGID_X",
	"SYSCALL_GETUID_E",
	"SYSCALL_GETUID_X",
	"SYSCALL_GETEUID_E",
	"SYSCALL_GETEUID_X",
	"SYSCALL_GETGID_E",
	"SYSCALL_GETGID_X",
	"SYSCALL_GETEGID_E",
	"SYSCALL_GETEGID_X",
	"SYSCALL_GETRESUID_E",
	"SYSCALL_GETRESUID_X",
	"SYSCALL_GETRESGID_E",
	"SYSCALL_GETRESGID_X",
	"SYSCALL_EXECVE_15_E",
	"SYSCALL_EXECVE_15_X",
	"SYSCALL_CLONE_17_E",
	"SYSCALL_CLONE_17_X",
	"SYSCALL_FORK_17_E",
	"SYSCALL_FORK_17_X",
	"SYSCALL_VFORK_17_E",
	"SYSCALL_VFORK_17_X",
	"SYSCALL_CLONE_20_E",
	"SYSCALL_CLONE_20_X",
	"SYSCALL_FORK_20_E",
	"SYSCALL_FORK_20_X",
	"SYSCALL_VFORK_20_E",
	"SYSCALL_VFORK_20_X",
	"CONTAINER_E",
	"CONTAINER_X",
	"SYSCALL_EXECVE_16_E",
	"SYSCALL_EXECVE_16_X",
	"SIGNALDELIVER_E",
	"SIGNALDELIVER_X",
	"PROCINFO_E",
	"PROCINFO_X",
	"SYSCALL_GETDENTS_E",
	"SYSCALL_GETDENTS_X",
	"SYSCALL_GETDENTS64_E",
	"SYSCALL_GETDENTS64_X",
	"SYSCALL_SETNS_E",
	"SYSCALL_SETNS_X",
	"SYSCALL_FLOCK_E",
	"SYSCALL_FLOCK_X",
	"CPU_HOTPLUG_E",
	"CPU_HOTPLUG_X",
	"SOCKET_ACCEPT_5_E",
	"SOCKET_ACCEPT_5_X",
	"SOCKET_ACCEPT4_5_E",
	"SOCKET_ACCEPT4_5_X",
	"SYSCALL_SEMOP_E",
	"SYSCALL_SEMOP_X",
	"SYSCALL_SEMCTL_E",
	"SYSCALL_SEMCTL_X",
	"SYSCALL_PPOLL_E",
	"SYSCALL_PPOLL_X",
	"SYSCALL_MOUNT_E",
	"SYSCALL_MOUNT_X",
	"SYSCALL_UMOUNT_E",
	"SYSCALL_UMOUNT_X",
	"K8S_E",
	"K8S_X",
	"SYSCALL_SEMGET_E",
	"SYSCALL_SEMGET_X",
	"SYSCALL_ACCESS_E",
	"SYSCALL_ACCESS_X",
	"SYSCALL_CHROOT_E",
	"SYSCALL_CHROOT_X",
	"TRACER_E",
	"TRACER_X",
	"MESOS_E",
	"MESOS_X",
	"CONTAINER_JSON_E",
	"CONTAINER_JSON_X",
	"SYSCALL_SETSID_E",
	"SYSCALL_SETSID_X",
	"SYSCALL_MKDIR_2_E",
	"SYSCALL_MKDIR_2_X",
	"SYSCALL_RMDIR_2_E",
	"SYSCALL_RMDIR_2_X",
	"NOTIFICATION_E",
	"NOTIFICATION_X",
	"SYSCALL_EXECVE_17_E",
	"SYSCALL_EXECVE_17_X",
	"SYSCALL_UNSHARE_E",
	"SYSCALL_UNSHARE_X",
	"INFRASTRUCTURE_EVENT_E",
	"INFRASTRUCTURE_EVENT_X",
	"SYSCALL_EXECVE_18_E",
	"SYSCALL_EXECVE_18_X",
	"PAGE_FAULT_E",
	"PAGE_FAULT_X",
	"SYSCALL_EXECVE_19_E",
	"SYSCALL_EXECVE_19_X",
	"SYSCALL_SETPGID_E",
	"SYSCALL_SETPGID_X",
	"SYSCALL_BPF_E",
	"SYSCALL_BPF_X",
	"SYSCALL_SECCOMP_E",
	"SYSCALL_SECCOMP_X",
	"SYSCALL_UNLINK_2_E",
	"SYSCALL_UNLINK_2_X",
	"SYSCALL_UNLINKAT_2_E",
	"SYSCALL_UNLINKAT_2_X",
	"SYSCALL_MKDIRAT_E",
	"SYSCALL_MKDIRAT_X",
	"SYSCALL_OPENAT_2_E",
	"SYSCALL_OPENAT_2_X",
	"SYSCALL_LINK_2_E",
	"SYSCALL_LINK_2_X",
	"SYSCALL_LINKAT_2_E",
	"SYSCALL_LINKAT_2_X",
	"SYSCALL_FCHMODAT_E",
	"SYSCALL_FCHMODAT_X",
	"SYSCALL_CHMOD_E",
	"SYSCALL_CHMOD_X",
	"SYSCALL_FCHMOD_E",
	"SYSCALL_FCHMOD_X",
	"SYSCALL_RENAMEAT2_E",
	"SYSCALL_RENAMEAT2_X",
	"SYSCALL_USERFAULTFD_E",
	"SYSCALL_USERFAULTFD_X",
	"PLUGINEVENT_E",
	"PLUGINEVENT_X",
	"CONTAINER_JSON_2_E",
	"CONTAINER_JSON_2_X",
	"SYSCALL_OPENAT2_E",
	"SYSCALL_OPENAT2_X",
	"SYSCALL_MPROTECT_E",
	"SYSCALL_MPROTECT_X",
	"SYSCALL_EXECVEAT_E",
	"SYSCALL_EXECVEAT_X",
	"SYSCALL_COPY_FILE_RANGE_E",
	"SYSCALL_COPY_FILE_RANGE_X",
	"SYSCALL_CLONE3_E",
	"SYSCALL_CLONE3_X",
};

/* The exported symbol that starts exactly at p, or NULL. */
static const char *symbol_at(const void *p)
{
	Dl_info di;

	if (!p || !dladdr(p, &di) || !di.dli_sname || di.dli_saddr != p)
		return NULL;
	return di.dli_sname;
}

static void print_flag_table(const char *sym, bool exported)
{
	const struct rec_name_value *nv = dlsym(lib, sym);

	printf("%sconst struct event_name_value ft_%s[] = {\n", exported ? "" : "static ", sym);
	for (; nv && nv->name; nv++)
		printf("\t{\"%s\", 0x%x},\n", nv->name, nv->value);
	printf("\t{NULL, 0},\n};\n\n");
}

static void print_dyn_table(const char *sym, unsigned n)
{
	const struct rec_param *p = dlsym(lib, sym);

	printf("static const struct event_param dyn_%s[] = {\n", sym);
	for (unsigned i = 0; i < n; i++)
		printf("\t{\"%s\", %u, %u, 0, 0, NULL},\n", p[i].name, p[i].type, p[i].fmt);
	printf("};\n\n");
}

/*
 * sysdig names errno values and signals with its own lists (libsinsp's
 * sinsp_utils::errno_to_str and signal_to_str); ask them for every value.
 */
static int print_names(void)
{
	void *sinsp = dlopen(LIBSINSP, RTLD_NOW);
	const char *(*errno_name)(int);
	const char *(*signal_name)(unsigned char);

	if (!sinsp) {
		fprintf(stderr, "gen-event-table: %s\n", dlerror());
		return 1;
	}
	errno_name = (const char *(*)(int))dlsym(sinsp, "_ZN11sinsp_utils12errno_to_strEi");
	signal_name = (const char *(*)(unsigned char))dlsym(sinsp, "_ZN11sinsp_utils13signal_to_strEh");
	if (!errno_name || !signal_name) {
		fprintf(stderr, "gen-event-table: name functions not found in %s\n", LIBSINSP);
		return 1;
	}
	printf("\nconst char *const event_errno_names[EVENT_ERRNO_MAX] = {\n");
	for (int i = 1; i < 4096; i++) {
		const char *s = errno_name(-i);
		if (s && *s)
			printf("\t[%d] = \"%s\",\n", i, s);
	}
	printf("};\n\nconst char *const event_signal_names[256] = {\n");
	for (int i = 0; i < 256; i++) {
		const char *s = signal_name((unsigned char)i);
		if (s && *s)
			printf("\t[%d] = \"%s\",\n", i, s);
	}
	printf("};\n");
	return 0;
}

/* event_codes.h: every code's PPME_ name and parameter count, checked against libscap's table. */
static int print_codes(const struct rec_event *ev)
{
	for (unsigned i = 0; i < NEVENTS; i++) {
		size_t n = strlen(event_enum_names[i]);

		if (n < 2 || event_enum_names[i][n - 1] != (i & 1 ? 'X' : 'E')) {
			fprintf(stderr, "gen-event-table: %s: direction differs from code %u\n",
			        event_enum_names[i], i);
			return 1;
		}
	}
	printf("/*\n"
	       " * event_codes.h: the event codes by the names the drivers give them\n"
	       " * (PPME_<name>) and each one's parameter count (PPME_<name>_NPARAMS).\n"
	       " *\n"
	       " * Generated by scripts/gen-event-table.c codes from sysdig 0.29.3's libscap\n"
	       " * (libs e5c53d64); tests/e2e/run.sh checks it is current. Do not edit.\n"
	       " * Only #defines: the BPF programs include it as well as userspace.\n"
	       " */\n"
	       "#ifndef EVENT_CODES_H\n#define EVENT_CODES_H\n\n/* clang-format off */\n");
	for (unsigned i = 0; i < NEVENTS; i++) {
		char np[64];

		snprintf(np, sizeof(np), "%s_NPARAMS", event_enum_names[i]);
		printf("#define PPME_%-34s %u\n#define PPME_%-34s %u\n", event_enum_names[i], i, np,
		       ev[i].nparams);
	}
	printf("\n#define PPME_EVENT_MAX %u\n\n/* clang-format on */\n#endif\n", NEVENTS);
	return 0;
}

int main(int argc, char **argv)
{
	const struct rec_event *ev;
	const struct rec_syscall *sc;
	const struct rec_native *native;
	const uint32_t *routing;
	const char *seen[128];
	unsigned nseen = 0;

	lib = dlopen(LIBSCAP, RTLD_NOW);
	if (!lib) {
		fprintf(stderr, "gen-event-table: %s\n", dlerror());
		return 1;
	}
	ev = dlsym(lib, "g_event_info");
	sc = dlsym(lib, "g_syscall_info_table");
	native = dlsym(lib, "g_syscall_table");
	routing = dlsym(lib, "g_syscall_code_routing_table");
	if (!ev || !sc || !native || !routing) {
		fprintf(stderr, "gen-event-table: symbols not found in %s\n", LIBSCAP);
		return 1;
	}
	if (argc > 1 && !strcmp(argv[1], "codes"))
		return print_codes(ev);

	printf("/* Generated by scripts/gen-event-table.c from sysdig 0.29.3's libscap\n"
	       " * (libs e5c53d64). Data only; included by event_table.c. Do not edit. */\n"
	       "/* clang-format off */\n\n");

	/* Flag, enum and dynamic-type tables, each once, in first-use order. */
	print_flag_table("poll_flags", true);
	for (unsigned i = 0; i < NEVENTS; i++) {
		for (unsigned j = 0; j < ev[i].nparams; j++) {
			const struct rec_param *p = &ev[i].params[j];
			const char *sym = p->type == PT_FSRELPATH ? NULL : symbol_at(p->info);
			unsigned k;

			if (!sym)
				continue;
			for (k = 0; k < nseen && strcmp(seen[k], sym); k++)
				;
			if (k < nseen)
				continue;
			seen[nseen++] = sym;
			if (p->type == PT_DYN)
				print_dyn_table(sym, p->ninfo);
			else
				print_flag_table(sym, false);
		}
	}

	for (unsigned i = 0; i < NEVENTS; i++) {
		if (!ev[i].nparams)
			continue;
		printf("static const struct event_param ep_%u[] = {\n", i);
		for (unsigned j = 0; j < ev[i].nparams; j++) {
			const struct rec_param *p = &ev[i].params[j];
			const char *sym = p->type == PT_FSRELPATH ? NULL : symbol_at(p->info);
			unsigned dirfd = p->type == PT_FSRELPATH ? (unsigned)(uintptr_t)p->info : 0;

			if (sym)
				printf("\t{\"%s\", %u, %u, %u, 0, %s%s},\n", p->name, p->type, p->fmt,
				       p->ninfo, p->type == PT_DYN ? "dyn_" : "ft_", sym);
			else
				printf("\t{\"%s\", %u, %u, 0, %u, NULL},\n", p->name, p->type, p->fmt, dirfd);
		}
		printf("};\n");
	}

	printf("\nconst struct event_info event_table[EVENT_MAX] = {\n");
	for (unsigned i = 0; i < NEVENTS; i++) {
		printf("\t[%u] = {\"%s\", 0x%x, 0x%x, %u, ", i, ev[i].name, ev[i].category, ev[i].flags,
		       ev[i].nparams);
		if (ev[i].nparams)
			printf("ep_%u},\n", i);
		else
			printf("NULL},\n");
	}
	printf("};\n\nconst struct event_syscall event_syscalls[EVENT_SYSCALL_MAX] = {\n");
	for (unsigned i = 0; i < NSYSCALLS; i++)
		printf("\t[%u] = {\"%s\", 0x%x},\n", i, sc[i].name ? sc[i].name : "", sc[i].category);
	printf("};\n");
	/* x86_64: native number -> events and PPM_SC code (enter 0 = the generic pair) */
	printf("\nconst struct event_native event_natives[EVENT_NATIVE_MAX] = {\n");
	for (unsigned i = 0; i < NNATIVE; i++)
		if (native[i].flags || routing[i])
			printf("\t[%u] = {%u, %u, %u, 0x%x},\n", i, native[i].enter, native[i].exit,
			       routing[i], (unsigned)native[i].flags);
	printf("};\n");
	return print_names();
}
