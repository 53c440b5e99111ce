/* record: `sysrec record`, system calls into a .scap file, as `sysdig -w` does. */
#include "cli.h"

#include "../common/common.h"
#include "../engine/drain.h"
#include "../engine/engine.h"
#include "../filter/filter.h"
#include "../scap/scap.h"
#include "../state/state.h"
#include "recfiles.h"
#include "pcapopts.h"
#include "recart.h"
#include "recpcap.h"

#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

struct record_opts {
	struct recfiles_opts files; /* -w, -z, -C, -G, -W, -e, -F, the filter */
	double seconds;             /* -M: 0 = until interrupted */
	uint64_t max_events;        /* -n: 0 = no limit */
	uint32_t snaplen;
	uint32_t pid;
	char container[13];         /* --container, short form; "" for none */
	const char *container_name; /* --container NAME: resolved by the runtime before recording */
	uint32_t ring_mb;
	bool stats;
	char *filter;                          /* the arguments after the options, joined; NULL: none */
	const char *docker_sock, *podman_sock; /* the runtimes asked about containers ("": not) */
	const char *containerd_sock, *containerd_namespaces;
	struct pcapopts pcap; /* --pcap and the others of packets */
};

static volatile sig_atomic_t stop_signal;

static void on_signal(int sig)
{
	stop_signal = sig;
}

static void record_usage(FILE *f)
{
	fprintf(f,
	        "usage: sysrec record [-w FILE] [-M SECS] [-n N] [-C MB] [-G SECS] [-W N] [-e N]\n"
	        "                     [-s LEN] [-z] [--pid PID | --container ID] [--ring-mb MB] [--stats]\n"
	        "                     [--pcap PATH [--pcap-iface IFACE]... [--pcap-filter EXPR]\n"
	        "                     [--pcap-per MODES] [--pcap-snaplen LEN]] [--artifacts DIR]\n"
	        "                     [--capture OPT]... [-F] [FILTER]\n"
	        "  (-w FILE, --pcap PATH, --capture net, --artifacts DIR or --capture write|exec:\n"
	        "   at least one)\n"
	        "\n"
	        "  FILTER                Falco/sysdig condition: only the events it matches are\n"
	        "                        written (the words after the options, joined); the\n"
	        "                        processes and fds at the start are always written\n"
	        "  -w, --write FILE      the capture to write (.scap; sysdig -r reads it)\n"
	        "  -M SECS               stop after SECS seconds\n"
	        "  -n, --numevents N     stop after N events (with FILTER: N matching events;\n"
	        "                        with packets only: N packets)\n"
	        "  -F, --fatfile         with FILTER: also keep the events it rejects that change\n"
	        "                        the state (clone, execve, open, close, ...), hidden, so\n"
	        "                        that readers still know every process and fd\n"
	        "  -C MB                 start a new file past MB million bytes (FILE0, FILE1, ...)\n"
	        "  -G SECS               start a new file every SECS seconds (strftime %%-codes in\n"
	        "                        FILE name it, else FILE0, FILE1, ...)\n"
	        "  -W N                  with -C or -G: keep a ring of N files, reusing the oldest\n"
	        "  -e N                  start a new file every N events\n"
	        "  -s, --snaplen LEN     bytes of I/O data kept per event (default 80)\n"
	        "  -z, --compress        gzip FILE\n"
	        "      --pid PID         record only process PID\n"
	        "      --container ID    record only the processes of container ID or NAME (a\n"
	        "                        name is asked of Docker's or podman's API) and what\n"
	        "                        they start, or what joins its cgroups\n"
	        "      --ring-mb MB      kernel ring buffer size (default 16)\n"
	        "      --docker-socket PATH   Docker's API, asked about each container seen (its\n"
	        "                        name, image, labels: into the file; default\n"
	        "                        " RT_DOCKER_SOCK "; \"\" for none)\n"
	        "      --podman-socket PATH   podman's Docker-compatible API (default\n"
	        "                        " RT_PODMAN_SOCK "; \"\" for none)\n"
	        "      --containerd-socket PATH   containerd's API (default\n"
	        "                        " RT_CONTAINERD_SOCK "; \"\" for none)\n"
	        "      --containerd-namespaces LIST   containerd's namespaces asked, in order\n"
	        "                        (default " RT_CONTAINERD_NAMESPACES ")\n"
	        "      --stats           say when recording starts; print event and drop counts\n"
	        "                        (in all and per CPU) at the end\n");
	fputs(pcapopts_usage, f);
}

static int parse_count(const char *s, const char *what, uint64_t max, uint64_t *v)
{
	char *end;
	unsigned long long x;

	errno = 0;
	x = strtoull(s, &end, 10);
	if (errno || end == s || *end || s[0] == '-' || x > max) {
		fprintf(stderr, "sysrec record: %s must be a number up to %llu, not '%s'\n", what,
		        (unsigned long long)max, s);
		return 2;
	}
	*v = x;
	return 0;
}

static int usage_error(const char *msg)
{
	fprintf(stderr, "sysrec record: %s\n", msg);
	return 2;
}

/*
 * -C, -G, -W and -e, the options that start new files: each a positive count
 * up to its limit, stored in f. 0, or 2 after saying what is wrong.
 */
static int parse_rotation_opt(int c, const char *arg, struct recfiles_opts *f)
{
	switch (c) {
	case 'C':
		if (parse_count(arg, "-C", 1 << 20, &f->rotate_mb))
			return 2;
		if (!f->rotate_mb)
			return usage_error("-C must be a number of megabytes from 1 to 1048576");
		return 0;
	case 'G':
		if (parse_count(arg, "-G", 1u << 30, &f->rotate_secs))
			return 2;
		if (!f->rotate_secs)
			return usage_error("-G must be a positive number of seconds");
		return 0;
	case 'W':
		if (parse_count(arg, "-W", 1 << 20, &f->max_files))
			return 2;
		if (!f->max_files)
			return usage_error("-W must be a number of files from 1 to 1048576");
		return 0;
	default: /* 'e' */
		if (parse_count(arg, "-e", UINT64_MAX, &f->file_events))
			return 2;
		if (!f->file_events)
			return usage_error("-e must be a positive number of events");
		return 0;
	}
}

/* -M: a positive number of seconds into *seconds. 0, or 2 after saying what is wrong. */
static int parse_seconds(const char *arg, double *seconds)
{
	char *end;

	*seconds = strtod(arg, &end);
	if (end == arg || *end || *seconds <= 0) {
		fprintf(stderr, "sysrec record: -M must be a positive number of seconds, not '%s'\n", arg);
		return 2;
	}
	return 0;
}

/* --ring-mb: a power of two from 1 to 1024 into *ring_mb. 0, or 2 after saying what is wrong. */
static int parse_ring_mb(const char *arg, uint32_t *ring_mb)
{
	uint64_t v;

	if (parse_count(arg, "--ring-mb", 1024, &v) || !v || (v & (v - 1))) {
		fprintf(stderr, "sysrec record: --ring-mb must be a power of two from 1 to 1024\n");
		return 2;
	}
	*ring_mb = (uint32_t)v;
	return 0;
}

/* --containerd-namespaces LIST: names containerd takes, else 2 after saying so. */
static int parse_namespaces(const char *arg, struct record_opts *o)
{
	struct err e = { { 0 } };
	char **names = rt_containerd_namespaces(arg, &e);

	if (!names) {
		fprintf(stderr, "sysrec record: --containerd-namespaces: %s\n", e.msg);
		return 2;
	}
	free(names);
	o->containerd_namespaces = arg;
	return 0;
}

/*
 * One option getopt_long() returned, c with its argument arg, into o.
 * Returns 0; 2 after saying what is wrong (with the usage, for an unknown
 * option); or -1 after printing the help (-h).
 */
static int parse_opt(int c, const char *arg, struct record_opts *o)
{
	uint64_t v;

	if (pcapopts_owns(c))
		return pcapopts_parse(&o->pcap, c, arg);
	switch (c) {
	case 'w':
		o->files.path = arg;
		return 0;
	case 'C':
	case 'G':
	case 'W':
	case 'e':
		return parse_rotation_opt(c, arg, &o->files);
	case 'M':
		return parse_seconds(arg, &o->seconds);
	case 'n':
		return parse_count(arg, "-n", UINT64_MAX, &o->max_events);
	case 's':
		if (parse_count(arg, "-s", 1 << 30, &v))
			return 2;
		o->snaplen = (uint32_t)v;
		return 0;
	case 'z':
		o->files.gzip = true;
		return 0;
	case 'F':
		o->files.fatfile = true;
		return 0;
	case 'P':
		if (parse_count(arg, "--pid", INT32_MAX, &v))
			return 2;
		o->pid = (uint32_t)v;
		return 0;
	case 'c':
		if (!engine_container_short_id(arg, o->container))
			o->container_name = arg; /* a name: its runtime tells its id */
		return 0;
	case 'R':
		return parse_ring_mb(arg, &o->ring_mb);
	case 'S':
		o->stats = true;
		return 0;
	case 'D':
		o->docker_sock = arg;
		return 0;
	case 'O':
		o->podman_sock = arg;
		return 0;
	case 'K':
		o->containerd_sock = arg;
		return 0;
	case 'N':
		return parse_namespaces(arg, o);
	case 'h':
		record_usage(stdout);
		return -1;
	default:
		record_usage(stderr);
		return 2;
	}
}

/*
 * The FILTER: the words from argv[first] on, joined into o->filter, and
 * compiled here to refuse a bad one before the probes load (the writing
 * thread compiles it again). -F needs one. 0, or 2 after saying what is wrong.
 */
static int parse_filter(int argc, char **argv, int first, struct record_opts *o)
{
	o->filter = cli_join_args(argc, argv, first);
	if (o->filter) {
		struct state *st = state_new();
		struct err e = { { 0 } };
		struct filter *flt = filter_compile(st, o->filter, &e);

		filter_free(flt);
		state_free(st);
		if (!flt) {
			fprintf(stderr, "sysrec record: %s\n", e.msg);
			return 2;
		}
		o->files.filter = o->filter;
		o->files.max_shown = o->max_events;
	} else if (o->files.fatfile) {
		return usage_error("-F needs a FILTER (it keeps what the filter rejects)");
	}
	return 0;
}

static int parse_opts(int argc, char **argv, struct record_opts *o)
{
	static const struct option longs[] = {
		{ "write", required_argument, NULL, 'w' },
		{ "numevents", required_argument, NULL, 'n' },
		{ "rollover", required_argument, NULL, 'C' },
		{ "seconds", required_argument, NULL, 'G' },
		{ "limit", required_argument, NULL, 'W' },
		{ "events", required_argument, NULL, 'e' },
		{ "snaplen", required_argument, NULL, 's' },
		{ "compress", no_argument, NULL, 'z' },
		{ "pid", required_argument, NULL, 'P' },
		{ "container", required_argument, NULL, 'c' },
		{ "stats", no_argument, NULL, 'S' },
		{ "ring-mb", required_argument, NULL, 'R' },
		{ "docker-socket", required_argument, NULL, 'D' },
		{ "podman-socket", required_argument, NULL, 'O' },
		{ "containerd-socket", required_argument, NULL, 'K' },
		{ "containerd-namespaces", required_argument, NULL, 'N' },
		{ "fatfile", no_argument, NULL, 'F' },
		{ "pcap", required_argument, NULL, PCAPOPT_PCAP },
		{ "pcap-snaplen", required_argument, NULL, PCAPOPT_SNAPLEN },
		{ "pcap-filter", required_argument, NULL, PCAPOPT_FILTER },
		{ "pcap-iface", required_argument, NULL, PCAPOPT_IFACE },
		{ "pcap-per", required_argument, NULL, PCAPOPT_PER },
		{ "capture", required_argument, NULL, PCAPOPT_CAPTURE },
		{ "artifacts", required_argument, NULL, PCAPOPT_ARTIFACTS },
		{ "artifacts-file-max", required_argument, NULL, PCAPOPT_ART_FILE_MAX },
		{ "artifacts-mem-max", required_argument, NULL, PCAPOPT_ART_MEM_MAX },
		{ "artifacts-max", required_argument, NULL, PCAPOPT_ART_MAX },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c, rc;

	memset(o, 0, sizeof(*o));
	o->snaplen = 80;
	o->ring_mb = 16;
	optind = 1;
	while ((c = getopt_long(argc, argv, "w:M:n:C:G:W:e:s:zFh", longs, NULL)) != -1) {
		rc = parse_opt(c, optarg, o);
		if (rc)
			return rc;
	}
	rc = parse_filter(argc, argv, optind, o);
	if (rc)
		return rc;
	if (o->pid && (o->container[0] || o->container_name))
		return usage_error("--pid and --container cannot be combined");
	if (o->files.max_files && !o->files.rotate_mb && !o->files.rotate_secs)
		return usage_error("-W needs -C or -G (it limits the files they make)");
	if (!o->files.path && !o->pcap.enabled && !o->pcap.art_kinds && !o->pcap.art_path) {
		fprintf(stderr, "sysrec record: -w FILE is required (or --pcap PATH for packets only, "
		                "--artifacts DIR for artifacts only)\n");
		record_usage(stderr);
		return 2;
	}
	if (!o->files.path && (o->filter || o->files.gzip || o->files.file_events))
		return usage_error("a FILTER, -z and -e are for the events' file: they need -w FILE");
	return pcapopts_finish(&o->pcap);
}

/*
 * The consumer of the drain (src/engine/drain.h): events and losses, in
 * stream order, into the files. Runs on the drain's thread.
 */
static int write_blocks(void *ctx, const uint8_t *p, size_t n)
{
	return recfiles_blocks(ctx, p, n);
}

static int write_loss(void *ctx, uint16_t cpu, const struct event_loss *l, bool final)
{
	(void) final; /* record never asks for looks at untold drops */
	return recfiles_lost(ctx, cpu, l);
}

/* What a filter kept of the events read (for --stats). */
struct kept {
	bool filtered;
	bool fatfile;
	uint64_t matched, hidden;
};

static void print_stats(const struct drain_stats *st, uint64_t files, const struct kept *k)
{
	const uint64_t *lost = st->lost;
	uint64_t dropped = 0;

	for (int i = 0; i < EVENT_LOST_NCAUSES; i++)
		dropped += lost[i];
	if (k->filtered)
		fprintf(stderr, "sysrec record: %llu events read, %llu matched the filter",
		        (unsigned long long)st->events, (unsigned long long)k->matched);
	else
		fprintf(stderr, "sysrec record: %llu events written", (unsigned long long)st->events);
	if (k->fatfile)
		fprintf(stderr, ", %llu more kept hidden (-F)", (unsigned long long)k->hidden);
	fprintf(stderr,
	        ", %llu dropped (ring full %llu, too large %llu, "
	        "tracepoint busy %llu, disk behind %llu)",
	        (unsigned long long)dropped, (unsigned long long)lost[EVENT_LOST_RING],
	        (unsigned long long)lost[EVENT_LOST_BIG], (unsigned long long)lost[EVENT_LOST_BUSY],
	        (unsigned long long)lost[EVENT_LOST_BEHIND]);
	if (files > 1)
		fprintf(stderr, " in %llu files", (unsigned long long)files);
	fputc('\n', stderr);
	fprintf(stderr,
	        "sysrec record: %llu events with a wrong parameter count (a filler bug), not written\n",
	        (unsigned long long)st->bad_params);
	fprintf(stderr, "sysrec record: dropped per CPU (ring full + too large + disk behind):");
	for (uint32_t c = 0; c < st->ncpus; c++)
		fprintf(stderr, " cpu%u %llu", c, (unsigned long long)st->cpu_lost[c]);
	fputc('\n', stderr);
}

/* The process has exited (gone, or a zombie waiting for its parent). */
static bool process_gone(uint32_t pid)
{
	char path[32], buf[256], *p;
	FILE *f;
	bool gone = true;

	snprintf(path, sizeof(path), "/proc/%u/stat", pid);
	f = fopen(path, "r");
	if (!f)
		return errno == ENOENT;
	if (fgets(buf, sizeof(buf), f) && (p = strrchr(buf, ')')) && p[1] == ' ')
		gone = p[2] == 'Z' || p[2] == 'X';
	fclose(f);
	return gone;
}

/*
 * Temporaries a recording to the same name left behind (PATH.tmp-PID, the
 * recorder killed with -9 or the machine down): say where they are. They are
 * kept: what they hold may be all there is of what happened.
 */
static void mention_unfinished(const char *path)
{
	const char *slash = strrchr(path, '/');
	const char *base = slash ? slash + 1 : path;
	char *dir = slash ? xstrndup(path, (size_t)(slash - path + (slash == path))) : xstrdup(".");
	size_t plen = strcspn(base, "%"); /* -G names: the part before the first strftime code */
	struct dirent *de;
	DIR *d = opendir(dir);

	while (d && (de = readdir(d))) {
		long pid = sink_temp_pid(de->d_name);

		if (!pid || strncmp(de->d_name, base, plen) != 0 || pid == (long)getpid() ||
		    sink_writer_alive(pid))
			continue;
		fprintf(stderr,
		        "sysrec record: warning: %s/%s is an unfinished recording: sysrec process %ld did "
		        "not "
		        "finish it (sysrec read -r reads its whole blocks); it is kept\n",
		        dir, de->d_name, pid);
	}
	if (d)
		closedir(d);
	free(dir);
}

static bool files_full(void *files)
{
	return recfiles_full(files);
}

/* The engine's options from the command line's (and bench/record.sh's environment). */
static void engine_opts_from(const struct record_opts *o, struct engine_opts *eo)
{
	const char *fl = getenv("SYSREC_BENCH_FLOOR"), *pages;

	memset(eo, 0, sizeof(*eo));
	eo->ring_bytes = o->ring_mb << 20;
	eo->snaplen = o->snaplen;
	eo->scope_pid = o->pid;
	eo->scope_container = o->container[0] ? o->container : NULL;
	/* bench/record.sh's recording floor and bare codes; the capture they make is not a valid one */
	eo->floor_mode = fl ? (uint32_t)strtoul(fl, NULL, 10) : 0;
	eo->bare_codes = getenv("SYSREC_BENCH_BARE");
	eo->packets = o->pcap.enabled;
	/* pcap-snaplen:headers: enough for the IP and transport headers, cut to them as written */
	eo->pkt_snaplen = o->pcap.headers ? 256 : o->pcap.snaplen ? o->pcap.snaplen : ENGINE_PKT_MAX;
	eo->no_syscalls = o->files.path == NULL;
	/* tests only: a packet buffer this many pages per CPU (a power of two), to see losses handled */
	pages = getenv("SYSREC_TEST_PKT_PAGES");
	eo->pkt_pages = pages ? (uint32_t)strtoul(pages, NULL, 10) : 0;
	eo->pkt_ifaces = o->pcap.resolved;
	eo->pkt_nifaces = o->pcap.nifaces;
	eo->art_kinds = o->pcap.art_kinds;
	/* the kernel sends no more of a region than is kept, nor of a module or program than all may hold */
	eo->art_mem_max = o->pcap.art_mem_max ? o->pcap.art_mem_max : UINT64_MAX;
	eo->art_whole_max = o->pcap.art_total_max ? o->pcap.art_total_max : UINT64_MAX;
	eo->art_prefixes = (const char *const *)o->pcap.art_prefixes;
	eo->art_nprefixes = o->pcap.art_nprefixes;
}

/* --container NAME: its id, from Docker's API, then podman's; 0, or 1 (unknown) or 2 (not a name) said. */
static int resolve_container(struct record_opts *o)
{
	struct err e = { { 0 } };
	int rc = rt_resolve(o->docker_sock ? o->docker_sock : RT_DOCKER_SOCK,
	                    o->podman_sock ? o->podman_sock : RT_PODMAN_SOCK, o->container_name, 2000,
	                    o->container, &e);

	if (rc == -EINVAL)
		fprintf(stderr, "sysrec record: --container: %s (a container id is 12 to 64 hex digits)\n",
		        e.msg);
	else if (rc)
		fprintf(stderr, "sysrec record: --container: %s\n", e.msg);
	return rc == -EINVAL ? 2 : rc ? 1 : 0;
}

/* What the runtimes told of the containers seen (--stats). */
static void print_containers(struct rt_watch *rt)
{
	struct rt_watch_status st;

	rt_watch_status(rt, &st);
	fprintf(stderr,
	        "sysrec record: containers: %llu seen, %llu described by their runtime, %llu unknown to it, "
	        "%llu not answered%s%s\n",
	        (unsigned long long)st.asked, (unsigned long long)st.answered, (unsigned long long)st.unknown,
	        (unsigned long long)st.failed, st.last_error[0] ? "; last: " : "", st.last_error);
}

/* Write the artifacts' manifest (the engine is stopped): their counts said when asked or when any was lost; 1
 * on error. */
static int finish_art(struct recart *ra, bool stats)
{
	struct err e = { { 0 } };
	struct recart_counts c;
	uint64_t lost = 0;
	int rc;

	rc = recart_finish(ra, &c, &e);
	for (int i = 0; i < ART_NDROPS; i++)
		lost += c.art.dropped[i];
	if (stats || lost || c.kernel.lost_records || c.exec_unreadable || c.incomplete) {
		fprintf(stderr, "sysrec record: %llu artifacts, %llu bytes kept; %llu bytes not kept (",
		        (unsigned long long)c.art.artifacts, (unsigned long long)c.art.bytes,
		        (unsigned long long)lost);
		for (int i = 0; i < ART_NDROPS; i++)
			fprintf(stderr, "%s%s %llu", i ? ", " : "", art_drop_name(i),
			        (unsigned long long)c.art.dropped[i]);
		fprintf(stderr,
		        "); %llu records lost in the kernel, %llu regions, modules or programs cut short, "
		        "%llu binaries unreadable\n",
		        (unsigned long long)c.kernel.lost_records, (unsigned long long)c.incomplete,
		        (unsigned long long)c.exec_unreadable);
	}
	if (rc) {
		fprintf(stderr, "sysrec record: %s\n", e.msg);
		return 1;
	}
	return 0;
}

/* Close the pcapng files (the engine is stopped): their counts said when asked or when any was lost; 1 on
 * error. */
static int finish_pcap(struct recpcap *rp, bool stats)
{
	struct err e = { { 0 } };
	struct recpcap_counts c;
	uint64_t lost;
	int rc;

	recpcap_stop(rp);
	recpcap_counts(rp, &c);
	lost = c.lost_full + c.lost_copy + c.lost_write;
	if (stats || lost)
		fprintf(stderr,
		        "sysrec record: %llu packets written in %llu files, %llu left out by --pcap-filter, "
		        "%llu lost (kernel buffer full %llu, copy failed %llu, file error %llu)\n",
		        (unsigned long long)c.written, (unsigned long long)c.files,
		        (unsigned long long)c.filtered, (unsigned long long)lost,
		        (unsigned long long)c.lost_full, (unsigned long long)c.lost_copy,
		        (unsigned long long)c.lost_write);
	if (stats && c.interfaces)
		fprintf(stderr, "sysrec record: packets from %u interfaces in %u network namespaces\n",
		        c.interfaces, c.namespaces);
	if (c.refused)
		fprintf(stderr,
		        "sysrec record: warning: the kernel refused to attach to %u interfaces: their "
		        "packets "
		        "are not in the file\n",
		        c.refused);
	if (c.split_others)
		fprintf(stderr,
		        "sysrec record: %llu packets of owners past the first 1000 of a --pcap-per mode went "
		        "to its *-others.pcapng\n",
		        (unsigned long long)c.split_others);
	rc = recpcap_close(rp, &e);
	if (rc)
		fprintf(stderr, "sysrec record: %s\n", e.msg);
	return rc ? 1 : 0;
}

/* Packets only (no -w): until a signal, -M, -n packets or --pid's exit. */
static void packets_loop(struct recpcap *rp, const struct record_opts *o)
{
	double start = mono_seconds();
	struct recpcap_counts c;

	while (!stop_signal) {
		/* a signal ends the wait at once; -n and --pid are looked at 5 times a second, -M to its end
		 */
		double wait = o->max_events || o->pid ? 0.2 : 1.0;
		struct timespec ts;

		if (o->seconds > 0 && o->seconds - (mono_seconds() - start) < wait)
			wait = o->seconds - (mono_seconds() - start);
		if (wait < 0.001)
			wait = 0.001;
		ts.tv_sec = (time_t)wait;
		ts.tv_nsec = (long)((wait - (double)ts.tv_sec) * 1e9);
		nanosleep(&ts, NULL);
		if (o->seconds > 0 && mono_seconds() - start >= o->seconds)
			break;
		if (o->pid && process_gone(o->pid))
			break;
		if (o->max_events && rp) {
			recpcap_counts(rp, &c);
			if (c.written >= o->max_events)
				break;
		}
	}
}

/* Drain the ring into the files until a signal, a limit, an error or --pid's exit. */
static int record_loop(struct drain *d, struct recfiles *files, const struct record_opts *o)
{
	double start = mono_seconds();
	int rc = 0;

	while (!stop_signal) {
		rc = drain_poll(d, 10);
		if (rc < 0) {
			/* the files' own errors are said at their close */
			if (!recfiles_error(files))
				fprintf(stderr, "sysrec record: reading the ring buffer: %s\n",
				        strerror(-rc));
			return rc;
		}
		if (drain_full(d) || recfiles_full(files) ||
		    (o->seconds > 0 && mono_seconds() - start >= o->seconds))
			break;
		/* --pid: nothing more can come once the process is gone (its exit is in the ring) */
		if (o->pid && process_gone(o->pid))
			break;
	}
	return 0;
}

/* The events into the files (-w) until the loop ends; 0 or 1 (said) on an error of the files. */
static int record_events(struct engine *en, struct recfiles *files, const struct record_opts *o,
                         struct recpcap *rp, int *rc_pcap, struct recart *ra)
{
	struct err e = { { 0 } };
	struct drain *d;
	struct drain_stats st;
	struct kept kept;
	uint64_t files_n;
	int rc;

	/* with a filter, the files count what they keep */
	d = drain_new(en, &(struct drain_opts){ .max_events = o->filter ? 0 : o->max_events },
	              &(struct drain_consumer){ write_blocks, write_loss, NULL, files });
	drain_stats(d, &st);
	if (o->stats)
		fprintf(stderr, "sysrec record: recording (%u CPUs, %u MiB ring)\n", st.ncpus, o->ring_mb);
	record_loop(d, files, o);
	drain_finish(d, files_full, files); /* an error is the files' own: said at their close */
	drain_stats(d, &st);
	if (rp && finish_pcap(rp, o->stats))
		*rc_pcap = 1;
	files_n = recfiles_count(files);
	kept.filtered = o->filter != NULL;
	kept.fatfile = o->files.fatfile;
	recfiles_filtered(files, &kept.matched, &kept.hidden);
	if (ra) {
		size_t n;
		char *const *names = recfiles_names(files, &n);

		recart_events_in(ra, names, n);
	}
	rc = recfiles_close(files, &e);
	if (rc)
		fprintf(stderr, "sysrec record: %s\n", e.msg);
	if (o->stats || st.lost[EVENT_LOST_RING] || st.lost[EVENT_LOST_BIG] || st.lost[EVENT_LOST_BUSY] ||
	    st.lost[EVENT_LOST_BEHIND])
		print_stats(&st, files_n, &kept);
	drain_free(d);
	return rc ? 1 : 0;
}

int cmd_record(int argc, char **argv)
{
	struct record_opts o;
	struct err e = { { 0 } };
	struct engine_opts eo;
	struct engine *en = NULL;
	struct recfiles *files = NULL;
	struct sigaction sa;
	struct recpcap *rp = NULL;
	struct recpcap_opts ro;
	struct recart *ra = NULL;
	struct rt_watch *rt = NULL;
	int rc = 0, rc_pcap = 0, rc_art = 0;

	rc = parse_opts(argc, argv, &o);
	if (rc) {
		free(o.filter);
		pcapopts_release(&o.pcap);
		return rc < 0 ? 0 : rc;
	}
	if (o.container_name && (rc = resolve_container(&o)) != 0) { /* before anything starts */
		free(o.filter);
		pcapopts_release(&o.pcap);
		return rc;
	}
	if (o.files.path)
		mention_unfinished(o.files.path);
	engine_opts_from(&o, &eo);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	if (!(en = engine_ebpf_open(&eo, &e))) {
		fprintf(stderr, "sysrec record: %s\n", e.msg);
		rc = 1;
		goto out;
	}
	if (o.files.path && !(o.docker_sock && !*o.docker_sock && o.podman_sock && !*o.podman_sock &&
	                      o.containerd_sock && !*o.containerd_sock))
		o.files.rt = rt = rt_watch_start(&(struct rt_watch_opts){
		        .docker_sock = o.docker_sock,
		        .podman_sock = o.podman_sock,
		        .containerd_sock = o.containerd_sock,
		        .containerd_namespaces = o.containerd_namespaces,
		});
	if (o.files.path && !(files = recfiles_open(&o.files, &e))) {
		fprintf(stderr, "sysrec record: %s\n", e.msg);
		rc = 1;
		goto out;
	}
	pcapopts_recpcap(&o.pcap, &ro);
	ro.rotate_mb = o.files.rotate_mb;
	ro.rotate_secs = o.files.rotate_secs;
	ro.max_files = o.files.max_files;
	if (o.pcap.enabled && !(rp = recpcap_start(&ro, en, &e))) {
		fprintf(stderr, "sysrec record: %s\n", e.msg);
		if (files)
			recfiles_abort(files);
		files = NULL;
		rc = 1;
		goto out;
	}
	if (o.pcap.art_kinds) {
		struct recart_opts rao = {
			.dir = pcapopts_art_dir(&o.pcap),
			.clear = o.pcap.clear_dir,
			.profile = o.pcap.art_profile,
			.lim = { o.pcap.art_file_max, o.pcap.art_mem_max, o.pcap.art_total_max },
		};

		if (!(ra = recart_start(&rao, en, &e))) {
			fprintf(stderr, "sysrec record: %s\n", e.msg);
			if (rp) {
				engine_stop(en);
				finish_pcap(rp, false);
			}
			if (files)
				recfiles_abort(files);
			files = NULL;
			rc = 1;
			goto out;
		}
	}
	if (files) {
		rc = record_events(en, files, &o, rp, &rc_pcap, ra);
	} else {
		if (o.stats)
			fprintf(stderr, "sysrec record: recording %s\n",
			        rp && ra ? "packets and artifacts"
			        : rp     ? "packets"
			                 : "artifacts");
		packets_loop(rp, &o);
		engine_stop(en);
		if (rp)
			rc_pcap = finish_pcap(rp, o.stats);
	}
	if (ra)
		rc_art = finish_art(ra, o.stats);
	if (rt && o.stats)
		print_containers(rt);
out:
	rt_watch_stop(rt);
	if (en)
		engine_close(en);
	free(o.filter);
	pcapopts_release(&o.pcap);
	return rc || rc_pcap || rc_art ? 1 : 0;
}
