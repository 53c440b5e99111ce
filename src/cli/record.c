/* record: `sysrec record`, system calls into a .scap file, as `sysdig -w` does. */
#include "cli.h"

#include "../common/common.h"
#include "../engine/engine.h"
#include "../filter/filter.h"
#include "../scap/scap.h"
#include "../state/state.h"
#include "recfiles.h"

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
	char container[13]; /* --container, short form; "" for none */
	uint32_t ring_mb;
	bool stats;
	char *filter; /* the arguments after the options, joined; NULL: none */
};

static volatile sig_atomic_t stop_signal;

static void on_signal(int sig)
{
	stop_signal = sig;
}

static void record_usage(FILE *f)
{
	fprintf(f,
	        "usage: sysrec record -w FILE [-M SECS] [-n N] [-C MB] [-G SECS] [-W N] [-e N]\n"
	        "                     [-s LEN] [-z] [--pid PID | --container ID] [--ring-mb MB] [--stats]\n"
	        "                     [-F] [FILTER]\n"
	        "\n"
	        "  FILTER                Falco/sysdig condition: only the events it matches are\n"
	        "                        written (the words after the options, joined); the\n"
	        "                        processes and fds at the start are always written\n"
	        "  -w, --write FILE      the capture to write (.scap; sysdig -r reads it)\n"
	        "  -M SECS               stop after SECS seconds\n"
	        "  -n, --numevents N     stop after N events (with FILTER: N matching events)\n"
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
	        "      --container ID    record only the processes of container ID (and what\n"
	        "                        they start, or what joins its cgroups)\n"
	        "      --ring-mb MB      kernel ring buffer size (default 16)\n"
	        "      --stats           say when recording starts; print event and drop counts\n"
	        "                        (in all and per CPU) at the end\n");
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

/*
 * One option getopt_long() returned, c with its argument arg, into o.
 * Returns 0; 2 after saying what is wrong (with the usage, for an unknown
 * option); or -1 after printing the help (-h).
 */
static int parse_opt(int c, const char *arg, struct record_opts *o)
{
	uint64_t v;

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
			return usage_error(
			        "--container must be a container id: 12 to 64 lowercase hex digits");
		return 0;
	case 'R':
		return parse_ring_mb(arg, &o->ring_mb);
	case 'S':
		o->stats = true;
		return 0;
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
		{ "fatfile", no_argument, NULL, 'F' },
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
	if (o->pid && o->container[0])
		return usage_error("--pid and --container cannot be combined");
	if (o->files.max_files && !o->files.rotate_mb && !o->files.rotate_secs)
		return usage_error("-W needs -C or -G (it limits the files they make)");
	if (!o->files.path) {
		fprintf(stderr, "sysrec record: -w FILE is required\n");
		record_usage(stderr);
		return 2;
	}
	return 0;
}

/* The drain's view of one CPU: losses not yet told in the file, and totals. */
struct cpu_lost {
	struct recfiles_lost pend;
	uint64_t disk; /* events the writing thread was too far behind to take */
};

struct recorder {
	struct recfiles *files; /* used by the writing thread only */
	struct bq *q;           /* from the drain to the writing thread */
	uint64_t max_events;
	uint64_t written; /* events queued for the file */
	uint32_t ncpus;
	struct cpu_lost *cpus; /* ncpus + 1: the last for losses on an unknown CPU */
	uint64_t busy_seen;    /* tracepoint-busy losses already accounted */
	uint64_t busy_since;   /* epoch ns of the last look at them */
	uint64_t disk_total;
	bool any_lost; /* some losses are waiting to be told */
};

/*
 * The queue holds .scap blocks ready for the file (framed as they leave the
 * ring), and between them, where events were lost, a pseudo-block of this
 * type holding the cpu and a struct recfiles_lost.
 */
#define LOST_BLOCK 0x4c535953u /* "SYSL" */

struct lost_block {
	uint32_t type, len;
	uint16_t cpu, pad[3];
	struct recfiles_lost l;
};

/* The writing thread: blocks from the queue into the files. */
static int write_items(void *ctx, const char *data, size_t n)
{
	struct recorder *r = ctx;
	const uint8_t *p = (const uint8_t *)data;
	size_t off = 0, run = 0; /* event blocks [run, off) not yet written */
	int rc = 0;

	while (off + 8 <= n && !rc) {
		uint32_t type, len;

		memcpy(&type, p + off, 4);
		memcpy(&len, p + off + 4, 4);
		if (type == LOST_BLOCK) {
			struct lost_block b;

			memcpy(&b, p + off, sizeof(b));
			rc = recfiles_blocks(r->files, p + run, off - run);
			if (!rc)
				rc = recfiles_lost(r->files, b.cpu, &b.l);
			run = off + len;
		}
		off += len;
	}
	if (!rc)
		rc = recfiles_blocks(r->files, p + run, off - run);
	return rc; /* non-zero: the drain sees it through bq_error() and stops */
}

static bool lost_any(const struct recfiles_lost *l)
{
	return l->ring || l->big || l->disk || l->busy;
}

static void lost_add(struct recfiles_lost *to, const struct recfiles_lost *l)
{
	if (!lost_any(to)) {
		to->first_ts = l->first_ts;
		to->tid = l->tid;
	}
	if (l->last_ts > to->last_ts)
		to->last_ts = l->last_ts;
	to->ring += l->ring;
	to->big += l->big;
	to->disk += l->disk;
	to->busy += l->busy;
}

/* Queue the losses gathered for slot (told on cpu); they stay gathered when the queue is full. */
static void tell_lost(struct recorder *r, uint32_t slot, uint16_t cpu)
{
	struct recfiles_lost *l = &r->cpus[slot].pend;
	struct lost_block b = { LOST_BLOCK, sizeof(b), cpu, { 0 }, *l };
	char *p;

	if (!lost_any(l))
		return;
	p = bq_reserve(r->q, sizeof(b));
	if (!p)
		return;
	memcpy(p, &b, sizeof(b));
	memset(l, 0, sizeof(*l));
}

static uint32_t cpu_slot(const struct recorder *r, uint16_t cpu)
{
	return cpu < r->ncpus ? cpu : r->ncpus;
}

/* The draining thread: events from the ring into the queue, never waiting for the disk. */
static int on_event(void *ctx, uint16_t cpu, const uint8_t *ev, uint32_t len)
{
	struct recorder *r = ctx;
	uint32_t slot = cpu_slot(r, cpu);
	char *p;

	if (r->max_events && r->written >= r->max_events)
		return 1;
	if (r->any_lost) {
		tell_lost(r, slot, cpu);
		tell_lost(r, r->ncpus, cpu);
		r->any_lost = false;
		for (uint32_t c = 0; c <= r->ncpus; c++)
			r->any_lost |= lost_any(&r->cpus[c].pend);
	}
	p = bq_reserve(r->q, scap_frame_size(len));
	if (!p) {
		struct recfiles_lost l = { 0 };

		memcpy(&l.first_ts, ev, 8);
		memcpy(&l.tid, ev + 8, 8);
		l.last_ts = l.first_ts;
		l.disk = 1;
		lost_add(&r->cpus[slot].pend, &l);
		r->any_lost = true;
		r->cpus[slot].disk++;
		r->disk_total++;
		return 0;
	}
	scap_frame_event((uint8_t *)p, cpu, ev, len);
	r->written++;
	return 0;
}

/* The kernel side lost events on cpu: gathered, told before that CPU's next event. */
static void on_drops(void *ctx, uint16_t cpu, const struct engine_drops *d)
{
	struct recorder *r = ctx;
	struct recfiles_lost l = { d->first_ts, d->last_ts, d->tid, d->ring, d->big, 0, 0 };

	lost_add(&r->cpus[cpu_slot(r, cpu)].pend, &l);
	r->any_lost = true;
}

/*
 * Events the kernel skipped because our program was busy on that CPU are only
 * counted by the kernel, with no CPU or time: look at the count now and then,
 * and tell what grew as lost between the two looks.
 */
static void check_busy(struct recorder *r, const struct engine_stats *st)
{
	uint64_t now = epoch_ns();

	if (st->drops_busy > r->busy_seen) {
		struct recfiles_lost l = { r->busy_since, now, 0, 0, 0, 0, st->drops_busy - r->busy_seen };

		lost_add(&r->cpus[r->ncpus].pend, &l);
		r->any_lost = true;
		r->busy_seen = st->drops_busy;
	}
	r->busy_since = now;
}

/* What a filter kept of the events read (for --stats). */
struct kept {
	bool filtered;
	bool fatfile;
	uint64_t matched, hidden;
};

static void print_stats(const struct recorder *r, const struct engine_stats *st, uint64_t files,
                        const struct kept *k)
{
	uint64_t dropped = st->drops_ring + st->drops_big + st->drops_busy + r->disk_total;

	if (k->filtered)
		fprintf(stderr, "sysrec record: %llu events read, %llu matched the filter",
		        (unsigned long long)r->written, (unsigned long long)k->matched);
	else
		fprintf(stderr, "sysrec record: %llu events written", (unsigned long long)r->written);
	if (k->fatfile)
		fprintf(stderr, ", %llu more kept hidden (-F)", (unsigned long long)k->hidden);
	fprintf(stderr,
	        ", %llu dropped (ring full %llu, too large %llu, "
	        "tracepoint busy %llu, disk behind %llu)",
	        (unsigned long long)dropped, (unsigned long long)st->drops_ring,
	        (unsigned long long)st->drops_big, (unsigned long long)st->drops_busy,
	        (unsigned long long)r->disk_total);
	if (files > 1)
		fprintf(stderr, " in %llu files", (unsigned long long)files);
	fputc('\n', stderr);
	fprintf(stderr,
	        "sysrec record: %llu events with a wrong parameter count (a filler bug), not written\n",
	        (unsigned long long)st->bad_params);
	fprintf(stderr, "sysrec record: dropped per CPU (ring full + too large + disk behind):");
	for (uint32_t c = 0; c < st->ncpus && c < r->ncpus; c++) {
		uint64_t n = st->cpu_drops[c] + r->cpus[c].disk;

		fprintf(stderr, " cpu%u %llu", c, (unsigned long long)n);
	}
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

int cmd_record(int argc, char **argv)
{
	struct record_opts o;
	struct err e = { { 0 } };
	struct engine_opts eo = { 0 };
	struct engine *en = NULL;
	struct recorder r = { 0 };
	struct engine_sink sink = { on_event, on_drops, &r };
	struct engine_stats st;
	struct sigaction sa;
	double start, last_busy;
	struct kept kept;
	uint64_t files;
	int rc, qerr = 0;

	rc = parse_opts(argc, argv, &o);
	if (rc) {
		free(o.filter);
		return rc < 0 ? 0 : rc;
	}
	mention_unfinished(o.files.path);
	eo.ring_bytes = o.ring_mb << 20;
	eo.snaplen = o.snaplen;
	eo.scope_pid = o.pid;
	eo.scope_container = o.container[0] ? o.container : NULL;
	/* bench/record.sh's recording floor and bare codes; the capture they make is not a valid one */
	{
		const char *fl = getenv("SYSREC_BENCH_FLOOR");

		eo.floor_mode = fl ? (uint32_t)strtoul(fl, NULL, 10) : 0;
		eo.bare_codes = getenv("SYSREC_BENCH_BARE");
	}
	r.max_events = o.filter ? 0 : o.max_events; /* with a filter, the writing thread counts */
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	en = engine_ebpf_open(&eo, &e);
	if (!en) {
		fprintf(stderr, "sysrec record: %s\n", e.msg);
		free(o.filter);
		return 1;
	}
	r.files = recfiles_open(&o.files, &e);
	if (!r.files) {
		fprintf(stderr, "sysrec record: %s\n", e.msg);
		engine_close(en);
		free(o.filter);
		return 1;
	}
	engine_stats(en, &st);
	r.ncpus = st.ncpus;
	r.cpus = xcalloc(r.ncpus + 1, sizeof(*r.cpus));
	r.busy_seen = st.drops_busy;
	r.busy_since = epoch_ns();
	if (o.stats)
		fprintf(stderr, "sysrec record: recording (%u CPUs, %u MiB ring)\n", r.ncpus, o.ring_mb);
	/* up to 16 x 4 MiB of events wait for the disk; beyond that they are counted, not waited for */
	r.q = bq_new(4u << 20, 16, false, write_items, &r);
	start = last_busy = mono_seconds();
	while (!stop_signal) {
		double now;

		rc = engine_poll(en, 10, &sink);
		bq_flush(r.q);
		if (rc < 0) {
			fprintf(stderr, "sysrec record: reading the ring buffer: %s\n", strerror(-rc));
			break;
		}
		if ((qerr = bq_error(r.q)) != 0)
			break;
		now = mono_seconds();
		if ((r.max_events && r.written >= r.max_events) || recfiles_full(r.files) ||
		    (o.seconds > 0 && now - start >= o.seconds))
			break;
		/* --pid: nothing more can come once the process is gone (its exit is in the ring) */
		if (o.pid && process_gone(o.pid))
			break;
		if (now - last_busy >= 1) {
			engine_stats(en, &st);
			check_busy(&r, &st);
			last_busy = now;
		}
	}
	/* what is already in the ring belongs to the recording */
	engine_stop(en);
	while (!qerr && !(r.max_events && r.written >= r.max_events) && !recfiles_full(r.files) &&
	       engine_poll(en, 0, &sink) > 0)
		;
	engine_stats(en, &st);
	check_busy(&r, &st);
	bq_free(r.q);
	/* the writing thread is done: what is left to tell goes straight to the file */
	for (uint32_t c = 0; c < r.ncpus; c++) {
		struct recfiles_lost l = { st.pending[c].first_ts,
			                   st.pending[c].last_ts,
			                   st.pending[c].tid,
			                   st.pending[c].ring,
			                   st.pending[c].big,
			                   0,
			                   0 };

		lost_add(&r.cpus[c].pend, &l);
	}
	for (uint32_t c = 0; c <= r.ncpus; c++)
		recfiles_lost(r.files, (uint16_t)(c < r.ncpus ? c : 0), &r.cpus[c].pend);
	files = recfiles_count(r.files);
	kept.filtered = o.filter != NULL;
	kept.fatfile = o.files.fatfile;
	recfiles_filtered(r.files, &kept.matched, &kept.hidden);
	rc = recfiles_close(r.files, &e);
	if (rc)
		fprintf(stderr, "sysrec record: %s\n", e.msg);
	if (o.stats || st.drops_ring || st.drops_big || st.drops_busy || r.disk_total)
		print_stats(&r, &st, files, &kept);
	free(r.cpus);
	free(o.filter);
	engine_close(en); /* st points into it */
	return rc ? 1 : 0;
}
