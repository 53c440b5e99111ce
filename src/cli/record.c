/* record: `sysrec record`, system calls into a .scap file, as `sysdig -w` does. */
#include "cli.h"

#include "../common/common.h"
#include "../engine/engine.h"
#include "../scap/scap.h"
#include "../state/state.h"

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
	const char *out;
	double seconds;      /* -M: 0 = until interrupted */
	uint64_t max_events; /* -n: 0 = no limit */
	uint32_t snaplen;
	uint32_t pid;
	uint32_t ring_mb;
	bool gzip;
	bool stats;
};

static volatile sig_atomic_t stop_signal;

static void on_signal(int sig)
{
	stop_signal = sig;
}

static void record_usage(FILE *f)
{
	fprintf(f, "usage: sysrec record -w FILE [-M SECS] [-n N] [-s LEN] [-z] [--pid PID] [--stats]\n"
	           "\n"
	           "  -w, --write FILE      the capture to write (.scap; sysdig -r reads it)\n"
	           "  -M SECS               stop after SECS seconds\n"
	           "  -n, --numevents N     stop after N events\n"
	           "  -s, --snaplen LEN     bytes of I/O data kept per event (default 80)\n"
	           "  -z, --compress        gzip FILE\n"
	           "      --pid PID         record only process PID\n"
	           "      --ring-mb MB      kernel ring buffer size (default 16)\n"
	           "      --stats           print event and drop counts at the end\n");
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

static int parse_opts(int argc, char **argv, struct record_opts *o)
{
	static const struct option longs[] = {
		{ "write", required_argument, NULL, 'w' },
		{ "numevents", required_argument, NULL, 'n' },
		{ "snaplen", required_argument, NULL, 's' },
		{ "compress", no_argument, NULL, 'z' },
		{ "pid", required_argument, NULL, 'P' },
		{ "stats", no_argument, NULL, 'S' },
		{ "ring-mb", required_argument, NULL, 'R' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;
	uint64_t v;

	memset(o, 0, sizeof(*o));
	o->snaplen = 80;
	o->ring_mb = 16;
	optind = 1;
	while ((c = getopt_long(argc, argv, "w:M:n:s:zh", longs, NULL)) != -1) {
		switch (c) {
		case 'w':
			o->out = optarg;
			break;
		case 'M': {
			char *end;

			o->seconds = strtod(optarg, &end);
			if (end == optarg || *end || o->seconds <= 0) {
				fprintf(stderr,
				        "sysrec record: -M must be a positive number of seconds, not '%s'\n",
				        optarg);
				return 2;
			}
			break;
		}
		case 'n':
			if (parse_count(optarg, "-n", UINT64_MAX, &o->max_events))
				return 2;
			break;
		case 's':
			if (parse_count(optarg, "-s", 1 << 30, &v))
				return 2;
			o->snaplen = (uint32_t)v;
			break;
		case 'z':
			o->gzip = true;
			break;
		case 'P':
			if (parse_count(optarg, "--pid", INT32_MAX, &v))
				return 2;
			o->pid = (uint32_t)v;
			break;
		case 'R':
			if (parse_count(optarg, "--ring-mb", 1024, &v) || !v || (v & (v - 1))) {
				fprintf(stderr,
				        "sysrec record: --ring-mb must be a power of two from 1 to 1024\n");
				return 2;
			}
			o->ring_mb = (uint32_t)v;
			break;
		case 'S':
			o->stats = true;
			break;
		case 'h':
			record_usage(stdout);
			return -1;
		default:
			record_usage(stderr);
			return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr,
		        "sysrec record: unexpected argument '%s' (filters arrive with a later version)\n",
		        argv[optind]);
		return 2;
	}
	if (!o->out) {
		fprintf(stderr, "sysrec record: -w FILE is required\n");
		record_usage(stderr);
		return 2;
	}
	return 0;
}

struct sink_ctx {
	struct scap_writer *w;
	uint64_t max_events;
	uint64_t written;
	struct bq *q;           /* to the writing thread */
	uint64_t queue_drops;   /* events lost because the writing thread was behind */
	char (*containers)[13]; /* ids already described in the file */
	size_t ncontainers;
	struct sbuf tmp;
};

static uint64_t now_epoch_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

/*
 * A thread with these cgroups was seen: if they name a container not yet in
 * the file, describe it with a container event (tid -1), as sysdig's writer
 * does. Only what the cgroup path tells is known: the id and the runtime.
 */
static void note_container(struct sink_ctx *s, const char *cg, size_t len, uint64_t ts)
{
	char id[13];
	int type = state_cgroups_container(cg, len, id);
	json_t *j;
	char *text;
	const void *val[1];
	uint32_t vlen[1];

	if (type < 0)
		return;
	for (size_t i = 0; i < s->ncontainers; i++)
		if (!strcmp(s->containers[i], id))
			return;
	s->containers = xrealloc(s->containers, (s->ncontainers + 1) * sizeof(*s->containers));
	memcpy(s->containers[s->ncontainers++], id, 13);
	j = json_pack("{s:{s:s,s:i,s:s,s:s}}", "container", "id", id, "type", type, "name", "", "image", "");
	text = json_dumps(j, JSON_COMPACT);
	val[0] = text;
	vlen[0] = (uint32_t)strlen(text) + 1;
	s->tmp.len = 0;
	scap_encode_event(&s->tmp, ts, -1, 324, 1, val, vlen);
	scap_writer_event_bytes(s->w, 0, 0, (const uint8_t *)s->tmp.data, (uint32_t)s->tmp.len);
	free(text);
	json_decref(j);
}

/* The host's state at the start: what every file opens with. */
static void write_host_state(struct scap_writer *w, struct sink_ctx *sc)
{
	struct scap_machine m;
	struct scap_iface *ifs;
	struct scap_user *users;
	struct scap_group *groups;
	struct engine_procs procs;
	size_t nifs, nu, ng;

	scap_writer_section(w);
	engine_machine(&m);
	scap_writer_machine(w, &m);
	nifs = engine_ifaces(&ifs);
	scap_writer_ifaces(w, ifs, nifs);
	engine_ifaces_free(ifs, nifs);
	engine_users(&users, &nu, &groups, &ng);
	scap_writer_users(w, users, nu, groups, ng);
	engine_users_free(users, nu, groups, ng);
	if (engine_procs(&procs, getpid()) == 0) {
		scap_writer_procs(w, procs.procs, procs.nprocs);
		for (size_t i = 0; i < procs.nprocs; i++)
			if (procs.nfds[i])
				scap_writer_fds(w, procs.procs[i].tid, procs.fds[i], procs.nfds[i]);
		for (size_t i = 0; i < procs.nprocs; i++)
			note_container(sc, procs.procs[i].cgroups, procs.procs[i].cgroups_len,
			               now_epoch_ns());
		engine_procs_free(&procs);
	}
}

/* One queued event: this header, then the event. */
struct queued {
	uint16_t cpu;
	uint16_t pad;
	uint32_t len;
};

/* The writing thread: events from the queue into the file. */
static int write_events(void *ctx, const char *data, size_t n)
{
	struct sink_ctx *s = ctx;
	size_t off = 0;

	while (off + sizeof(struct queued) <= n) {
		struct queued h;
		const uint8_t *ev;
		uint16_t type;

		memcpy(&h, data + off, sizeof(h));
		ev = (const uint8_t *)data + off + sizeof(h);
		off += sizeof(h) + h.len;
		memcpy(&type, ev + 20, 2);
		/* clone and execve exits carry the cgroups: a new container is described first */
		if (type == 223 || type == 225 || type == 227 || type == 335 || type == 293 || type == 331) {
			struct event e;
			struct err err;

			if (event_parse(&e, ev, h.len, 2, &err) == 0 && e.nvals > 14)
				note_container(s, (const char *)e.val[14], e.vlen[14], e.ts);
		}
		scap_writer_event_bytes(s->w, h.cpu, 0, ev, h.len);
	}
	return 0; /* the writer keeps its first error for scap_writer_close() */
}

/* The draining thread: events from the ring into the queue, never waiting for the disk. */
static int on_event(void *ctx, uint16_t cpu, const uint8_t *ev, uint32_t len)
{
	struct sink_ctx *s = ctx;
	struct queued h = { cpu, 0, len };
	char *p;

	if (s->max_events && s->written >= s->max_events)
		return 1;
	p = bq_reserve(s->q, sizeof(h) + len);
	if (!p) {
		s->queue_drops++;
		return 0;
	}
	memcpy(p, &h, sizeof(h));
	memcpy(p + sizeof(h), ev, len);
	s->written++;
	return 0;
}

int cmd_record(int argc, char **argv)
{
	struct record_opts o;
	struct err e = { { 0 } };
	struct engine_opts eo = { 0 };
	struct engine *en = NULL;
	struct sink_ctx sc = { 0 };
	struct engine_stats st;
	struct sigaction sa;
	double start;
	int rc;

	rc = parse_opts(argc, argv, &o);
	if (rc)
		return rc < 0 ? 0 : rc;
	eo.ring_bytes = o.ring_mb << 20;
	eo.snaplen = o.snaplen;
	eo.scope_pid = o.pid;
	sc.max_events = o.max_events;
	sc.w = scap_writer_open(o.out, o.gzip, &e);
	if (!sc.w) {
		fprintf(stderr, "sysrec record: %s\n", e.msg);
		return 1;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	en = engine_ebpf_open(&eo, &e);
	if (!en) {
		fprintf(stderr, "sysrec record: %s\n", e.msg);
		scap_writer_abort(sc.w);
		return 1;
	}
	write_host_state(sc.w, &sc);
	/* up to 16 x 4 MiB of events wait for the disk; beyond that they are counted, not waited for */
	sc.q = bq_new(4u << 20, 16, false, write_events, &sc);
	start = mono_seconds();
	while (!stop_signal) {
		rc = engine_poll(en, 10, on_event, &sc);
		bq_flush(sc.q);
		if (rc < 0) {
			fprintf(stderr, "sysrec record: reading the ring buffer: %s\n", strerror(-rc));
			break;
		}
		if ((o.max_events && sc.written >= o.max_events) ||
		    (o.seconds > 0 && mono_seconds() - start >= o.seconds))
			break;
	}
	/* what is already in the ring belongs to the recording */
	engine_stop(en);
	while (!(o.max_events && sc.written >= o.max_events) && engine_poll(en, 0, on_event, &sc) > 0)
		;
	engine_stats(en, &st);
	engine_close(en);
	bq_free(sc.q);
	rc = scap_writer_close(sc.w, &e);
	free(sc.containers);
	sbuf_release(&sc.tmp);
	if (rc)
		fprintf(stderr, "sysrec record: %s\n", e.msg);
	if (o.stats || st.drops_ring || st.drops_big || st.drops_busy || sc.queue_drops) {
		uint64_t dropped = st.drops_ring + st.drops_big + st.drops_busy + sc.queue_drops;

		fprintf(stderr,
		        "sysrec record: %llu events written, %llu dropped (ring full %llu, too large %llu, "
		        "tracepoint busy %llu, disk behind %llu)\n",
		        (unsigned long long)sc.written, (unsigned long long)dropped,
		        (unsigned long long)st.drops_ring, (unsigned long long)st.drops_big,
		        (unsigned long long)st.drops_busy, (unsigned long long)sc.queue_drops);
	}
	return rc ? 1 : 0;
}
