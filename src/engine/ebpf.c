/*
 * ebpf: load and run sysrec's BPF programs (bpf/sysrec.bpf.c).
 *
 * The loader sets the programs' constants (our own pid, snaplen, the clock
 * offset), sizes the ring and the per-CPU scratch buffers, routes every native
 * syscall the drivers know to its event (written by the dispatchers when it
 * has a shape, else by a filler; the generic pair when neither exists here)
 * and puts each filler in the tail-call slots of its event codes.
 * Events are not announced one by one (BPF_RB_NO_WAKEUP): engine_poll()
 * drains the ring on the caller's clock.
 *
 * Start-up is mostly the kernel verifying the programs, one at a time per
 * object. So the object is opened twice and the fillers split between the
 * two copies, which load on two threads; the copies share every map but
 * their own globals (created here first, then reused by both).
 */
#include "engine.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <linux/perf_event.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/sysmacros.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "corebtf.h"
#include "pktif.h"
#include "perfring.h"
#include "sysrec_bpf.h" /* first: the skeleton names its structs */
#include "sysrec.skel.h"

struct engine {
	struct sysrec_bpf *skel;  /* the dispatchers, the other programs, half the fillers */
	struct sysrec_bpf *skel2; /* the other fillers (loaded on a second thread) */
	struct ring_buffer *rb;
	struct ring_buffer *art_rb; /* artifacts (art_kinds) */
	engine_art_fn art_fn;       /* of the current engine_artifacts_poll() call */
	void *art_ctx;
	int art_delivered;
	int ncpus;
	uint64_t *cpu_drops;
	struct engine_drops *pending;
	const struct engine_sink *sink; /* of the current engine_poll() call */
	int delivered;
	uint64_t boot_to_epoch;
	struct corebtf_ids ids; /* kernel type ids the programs cast to */
	/* packets: their hook, its links, the perf buffer */
	enum pkt_hook { PKT_NONE, PKT_TC, PKT_CGROUP } pkt_hook;
	struct bpf_link *pkt_create, *pkt_in, *pkt_out; /* cgroup: sock_create always; ingress, egress */
	struct pktif *pktif;                            /* tc: every interface's links */
	struct perf_buffer *pb;
	int pkt_wake;               /* an eventfd in the buffers' epoll set: engine_packets_wake() */
	struct perfring *pkt_rings; /* each CPU's buffer, read in place (perfring.c) */
	size_t pkt_nrings;
	atomic_bool pkt_detached; /* by engine_stop(): nothing is held back any more */
	engine_packet_fn pkt_fn;  /* of the current engine_packets_poll() call */
	void *pkt_ctx;
	int pkt_delivered;
	uint64_t pkt_lost; /* told by libbpf: samples the perf buffer had no room for (the kernel side counts
	                      them too) */
	uint64_t pkt_lost_seen; /* of those, the ones handed on in order with the packets */
};

#define MAX_CODES 16 /* event codes one filler serves */

/*
 * A filler program's event codes, as its name lists them (bpf/sysrec.bpf.c,
 * ENTER_FILLER and the like): fill_<code>_<PPME name>, or
 * fill_<code>[_<code>...]_<what> for one serving several. Their number (at
 * most max); 0 for other programs.
 */
static int filler_codes(const struct bpf_program *p, uint32_t *codes, int max)
{
	const char *s = bpf_program__name(p);
	int n = 0;

	if (strncmp(s, "fill_", 5) != 0)
		return 0;
	s += 5;
	while (n < max && *s >= '0' && *s <= '9') {
		char *end;
		unsigned long c = strtoul(s, &end, 10);

		if (*end != '_' || c >= SYSREC_EVENT_MAX)
			return 0;
		codes[n++] = (uint32_t)c;
		s = end + 1;
	}
	return n;
}

static bool is_filler(const struct bpf_program *p)
{
	uint32_t codes[MAX_CODES];

	return filler_codes(p, codes, MAX_CODES) > 0;
}

static int silent_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	if (level == LIBBPF_WARN && getenv("SYSREC_BPF_DEBUG"))
		return vfprintf(stderr, fmt, ap);
	return 0;
}

static uint64_t boot_to_epoch(void)
{
	struct timespec rt, bt;

	clock_gettime(CLOCK_REALTIME, &rt);
	clock_gettime(CLOCK_BOOTTIME, &bt);
	return (uint64_t)(rt.tv_sec - bt.tv_sec) * 1000000000ULL + (uint64_t)rt.tv_nsec -
	       (uint64_t)bt.tv_nsec;
}

static int on_record(void *ctx, void *data, size_t size)
{
	struct engine *en = ctx;
	struct sysrec_rec_head h;

	if (size < sizeof(h))
		return 0;
	memcpy(&h, data, sizeof(h));
	if (h.len > size - sizeof(h))
		return 0;
	if (h.flags == SYSREC_REC_DROPS) {
		struct sysrec_drops d;
		struct engine_drops out;

		if (h.len < sizeof(d))
			return 0;
		memcpy(&d, (const uint8_t *)data + sizeof(h), sizeof(d));
		out = (struct engine_drops){ d.first_ts, d.last_ts, d.tid, d.ring, d.big };
		if (en->sink->drops)
			en->sink->drops(en->sink->ctx, h.cpu, &out);
		return 0;
	}
	en->delivered++;
	return en->sink->event(en->sink->ctx, h.cpu, (const uint8_t *)data + sizeof(h), h.len);
}

/* Put each filler of a copy in the tail-call slot of its event code (after load). */
static int install_fillers(struct engine *en, struct sysrec_bpf *skel, struct err *e)
{
	int etail = bpf_map__fd(en->skel->maps.enter_tail), xtail = bpf_map__fd(en->skel->maps.exit_tail);
	struct bpf_program *p;

	bpf_object__for_each_program(p, skel->obj)
	{
		uint32_t codes[MAX_CODES];
		int n = filler_codes(p, codes, MAX_CODES), fd = bpf_program__fd(p);

		if (!n || !bpf_program__autoload(p))
			continue;
		for (int i = 0; i < n; i++)
			if (fd < 0 || bpf_map_update_elem(event_is_exit(codes[i]) ? xtail : etail, &codes[i],
			                                  &fd, BPF_ANY))
				return err_set(e, -EINVAL, "cannot install BPF filler %s",
				               bpf_program__name(p));
	}
	return 0;
}

/*
 * Route every native syscall the drivers know (before load, in the programs'
 * global data): to its own events when each has a filler program or a shape
 * the dispatchers write, else to the generic pair. The data shapes reserve a
 * full snaplen in the ring: above SYSREC_SHAPE_SNAPLEN their fillers do it.
 */
/* The benchmarks' bare codes ("306,307"): their shape becomes the bare header. */
static void bare_codes(const char *list, uint8_t *shape, bool *have)
{
	const char *p = list;

	while (p && *p) {
		char *end;
		unsigned long c = strtoul(p, &end, 10);

		if (end == p)
			break;
		if (c < SYSREC_EVENT_MAX) {
			shape[c] = SYSREC_SHAPE_EMPTY;
			have[c] = true;
		}
		p = *end == ',' ? end + 1 : end;
	}
}

static void route_syscalls(struct engine *en, uint32_t snaplen, const char *bare)
{
	const volatile uint8_t *shapes = en->skel->rodata->shapes;
	bool have[SYSREC_EVENT_MAX] = { 0 };
	uint8_t shape[SYSREC_EVENT_MAX] = { 0 };
	struct bpf_program *p;

	bpf_object__for_each_program(p, en->skel->obj)
	{
		uint32_t codes[MAX_CODES];
		int n = filler_codes(p, codes, MAX_CODES);

		for (int i = 0; i < n; i++)
			have[codes[i]] = true;
	}
	for (uint32_t c = 0; c < SYSREC_EVENT_MAX; c++) {
		shape[c] = shapes[c];
		if ((shape[c] == SYSREC_SHAPE_RES_READ || shape[c] == SYSREC_SHAPE_RES_WRITE) &&
		    snaplen > SYSREC_SHAPE_SNAPLEN)
			shape[c] = SYSREC_SHAPE_FILLER;
		if (shape[c] != SYSREC_SHAPE_FILLER)
			have[c] = true;
	}
	bare_codes(bare, shape, have);
	for (uint32_t nr = 0; nr < EVENT_NATIVE_MAX && nr < SYSREC_NATIVE_MAX; nr++) {
		const struct event_native *n = &event_natives[nr];
		struct sysrec_route r = { 0, 1, n->ppm_sc, 1,
			                  SYSREC_SHAPE_GENERIC | SYSREC_SHAPE_GENERIC << 4 };

		if (!n->ppm_sc && !n->flags)
			continue; /* unknown to the drivers */
		if (n->flags && n->enter < SYSREC_EVENT_MAX && n->exit < SYSREC_EVENT_MAX && have[n->enter] &&
		    have[n->exit]) {
			r.enter = n->enter;
			r.exit = n->exit;
			r.shapes = (uint8_t)(shape[n->enter] | shape[n->exit] << 4);
		}
		en->skel->bss->routes[nr] = r;
	}
}

/* --container: the processes in it now, and its cgroups (to follow processes moved in). */
static int scope_container(struct engine *en, const char *id)
{
	uint32_t *pids;
	uint64_t *cgs;
	size_t np, nc;
	uint8_t one = 1;
	int pfd = bpf_map__fd(en->skel->maps.scope_pids), cfd = bpf_map__fd(en->skel->maps.scope_cgroups);

	if (engine_container_cgroups(id, &cgs, &nc) == 0) {
		for (size_t i = 0; i < nc; i++)
			bpf_map_update_elem(cfd, &cgs[i], &one, BPF_ANY);
		free(cgs);
	}
	if (engine_container_pids(id, getpid(), &pids, &np) == 0) {
		for (size_t i = 0; i < np; i++)
			bpf_map_update_elem(pfd, &pids[i], &one, BPF_ANY);
		free(pids);
	}
	return (int)(np + nc);
}

/* The constants and sizes both copies of the object get alike. */
static void configure(struct engine *en, struct sysrec_bpf *skel, const struct engine_opts *o)
{
	skel->rodata->self_tgid = (uint32_t)getpid();
	skel->rodata->scope_tgid = o->scope_pid;
	skel->rodata->scope_set = o->scope_container != NULL;
	skel->rodata->floor_mode = o->floor_mode;
	_Static_assert(ENGINE_PKT_MAX == SYSREC_PKT_MAX, "one packet size limit");
	skel->rodata->pkt_iface_set = o->pkt_nifaces > 0;
	skel->rodata->pkt_snaplen =
	        o->pkt_snaplen && o->pkt_snaplen < SYSREC_PKT_MAX ? o->pkt_snaplen : SYSREC_PKT_MAX;
	skel->rodata->snaplen = o->snaplen > SYSREC_MAX_SNAPLEN ? SYSREC_MAX_SNAPLEN : o->snaplen;
	skel->rodata->boot_to_epoch = en->boot_to_epoch;
	skel->rodata->btf_task_struct = en->ids.task_struct;
	skel->rodata->btf_file = en->ids.file;
	bpf_map__set_max_entries(skel->maps.rb, o->ring_bytes ? o->ring_bytes : 8u << 20);
	bpf_map__set_max_entries(skel->maps.scratch, (uint32_t)en->ncpus * SYSREC_SCRATCH_SLOTS);
	_Static_assert((int)ENGINE_ART_WRITE == (int)SYSREC_ART_WRITE &&
	                       (int)ENGINE_ART_EXEC == (int)SYSREC_ART_EXEC,
	               "art kinds");
	_Static_assert(ENGINE_ART_PREFIX_MAX < SYSREC_ART_PREFIX &&
	                       ENGINE_ART_PREFIXES <= SYSREC_ART_PREFIXES,
	               "art prefixes");
	skel->rodata->art_kinds = o->art_kinds;
	skel->rodata->art_alone = o->art_kinds && o->no_syscalls;
	skel->rodata->art_nprefixes = (uint32_t)o->art_nprefixes;
	if (o->art_mem_max)
		skel->data->art_mem_max = o->art_mem_max;
	if (o->art_whole_max)
		skel->data->art_whole_max = o->art_whole_max;
	{
		/* written files can come at the disk's pace: room for a writer at 1.5 GB/s for 40 ms */
		uint32_t ring = o->art_kinds & ENGINE_ART_WRITE ? 64u << 20 : 16u << 20;

		bpf_map__set_max_entries(skel->maps.art_rb, ring);
		skel->data->art_wake_bytes = ring / 16;
	}
	bpf_map__set_max_entries(skel->maps.art_buf, (uint32_t)en->ncpus * 2);
	bpf_map__set_max_entries(skel->maps.art_prefixes, o->art_nprefixes ? (uint32_t)o->art_nprefixes : 1);
}

/*
 * Split the fillers between the copies by size (what verifying costs), the
 * first copy counting its other programs too: larger fillers first, each to
 * the lighter side. Each copy loads only its side's programs, and only the
 * first copy's non-fillers are attached. Both threads compute the split on
 * their own copy: one object file, so the same programs in the same order
 * and the same split.
 */
struct filler {
	struct bpf_program *p;
	size_t insns;
};

static int by_size_desc(const void *a, const void *b)
{
	const struct filler *x = a, *y = b;

	if (x->insns != y->insns)
		return x->insns < y->insns ? 1 : -1;
	return strcmp(bpf_program__name(x->p), bpf_program__name(y->p));
}

/* A packet program the hook does not use (pkt_tc_*: tc; pkt_ingress, pkt_egress: cgroup). */
static bool other_hook(const char *name, enum pkt_hook hook)
{
	bool tc = !strncmp(name, "pkt_tc_", 7),
	     cgroup = !strcmp(name, "pkt_ingress") || !strcmp(name, "pkt_egress");

	return hook == PKT_NONE ? !strncmp(name, "pkt_", 4) : hook == PKT_TC ? cgroup : tc;
}

/* An artifact program is loaded only for the kinds it serves: each runs on every syscall it hooks. */
static bool art_program_wanted(const char *name, uint32_t kinds)
{
	if (strncmp(name, "art_", 4) != 0)
		return true;
	if (!strcmp(name, "art_sys_exit"))
		return kinds & (ENGINE_ART_WRITE | ENGINE_ART_MEM);
	if (!strcmp(name, "art_sys_enter"))
		return kinds & (ENGINE_ART_MODULE | ENGINE_ART_BPF);
	if (!strcmp(name, "art_exec"))
		return kinds & ENGINE_ART_EXEC;
	return kinds != 0;
}

static void split_programs(struct sysrec_bpf *skel, int side, const struct engine_opts *o, enum pkt_hook hook)
{
	bool scoped = o->scope_container != NULL;
	size_t load[2] = { 0, 0 }, n = 0, total = 0;
	struct bpf_program *p;
	struct filler *fill;

	bpf_object__for_each_program(p, skel->obj) total++;
	fill = xcalloc(total + 1, sizeof(struct filler));
	bpf_object__for_each_program(p, skel->obj)
	{
		if (is_filler(p)) {
			fill[n++] = (struct filler){ p, bpf_program__insn_cnt(p) };
			bpf_program__set_autoattach(p, false);
			continue;
		}
		load[0] += bpf_program__insn_cnt(p);
		/* the second copy has no other programs; --container's followers of forks and cgroup moves
		 * only then */
		if (side != 0 || (!scoped && !strncmp(bpf_program__name(p), "scope_", 6)) ||
		    other_hook(bpf_program__name(p), hook) ||
		    !art_program_wanted(bpf_program__name(p), o->art_kinds))
			bpf_program__set_autoload(p, false);
		/* packets only: the dispatchers are loaded (the fillers' tail calls need them) but not
		 * attached */
		if (o->no_syscalls &&
		    (!strcmp(bpf_program__name(p), "sys_enter") || !strcmp(bpf_program__name(p), "sys_exit")))
			bpf_program__set_autoattach(p, false);
		/* the dispatchers hand the artifacts' syscall programs their calls (art_exit_tail,
		 * art_enter_tail) */
		if (!o->no_syscalls && (!strcmp(bpf_program__name(p), "art_sys_exit") ||
		                        !strcmp(bpf_program__name(p), "art_sys_enter")))
			bpf_program__set_autoattach(p, false);
	}
	/* the artifacts' maps: the first copy's, and only when asked for */
	if (side != 0 || !o->art_kinds) {
		bpf_map__set_autocreate(skel->maps.art_rb, false);
		bpf_map__set_autocreate(skel->maps.art_buf, false);
		bpf_map__set_autocreate(skel->maps.art_files, false);
		bpf_map__set_autocreate(skel->maps.art_prefixes, false);
		bpf_map__set_autocreate(skel->maps.art_stats, false);
		bpf_map__set_autocreate(skel->maps.art_last, false);
	}
	qsort(fill, n, sizeof(struct filler), by_size_desc);
	for (size_t i = 0; i < n; i++) {
		int to = load[0] <= load[1] ? 0 : 1;

		load[to] += fill[i].insns;
		if (to != side)
			bpf_program__set_autoload(fill[i].p, false);
	}
	free(fill);
}

/*
 * The two copies' loading: the maps they share (all but their globals) are
 * made by the first thread from its copy's definitions and handed to the
 * second, which opens and prepares its copy meanwhile.
 */
#define MAX_SHARED 16

struct loading {
	struct engine *en;
	const struct engine_opts *o;
	const char *btf;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int ready; /* 1: the shared maps are made; -1: they will not be */
	int nshared;
	char names[MAX_SHARED][BPF_OBJ_NAME_LEN];
	int fds[MAX_SHARED];
	int rc2; /* the second copy's */
};

static void maps_ready(struct loading *l, int ready)
{
	pthread_mutex_lock(&l->mu);
	l->ready = ready;
	pthread_cond_signal(&l->cv);
	pthread_mutex_unlock(&l->mu);
}

/* Make the shared maps from the first copy's definitions; 0 or -errno. */
static int make_shared(struct loading *l, struct sysrec_bpf *skel, struct err *e)
{
	struct bpf_map *m;

	bpf_object__for_each_map(m, skel->obj)
	{
		struct bpf_map_create_opts opts = { .sz = sizeof(opts), .map_flags = bpf_map__map_flags(m) };
		int fd;

		if (bpf_map__is_internal(m))
			continue;
		/* the packets' maps: only the first copy's programs use them (libbpf makes each copy's) */
		if (!strcmp(bpf_map__name(m), "owners") || !strncmp(bpf_map__name(m), "pkt", 3) ||
		    !strncmp(bpf_map__name(m), "art", 3))
			continue;
		if (l->nshared == MAX_SHARED) {
			err_set(e, -E2BIG, "too many BPF maps to share");
			return -E2BIG;
		}
		fd = bpf_map_create(bpf_map__type(m), bpf_map__name(m), bpf_map__key_size(m),
		                    bpf_map__value_size(m), bpf_map__max_entries(m), &opts);
		if (fd < 0) {
			err_set(e, -errno, "cannot create the BPF map %s: %s", bpf_map__name(m),
			        strerror(errno));
			return -EINVAL;
		}
		snprintf(l->names[l->nshared], BPF_OBJ_NAME_LEN, "%s", bpf_map__name(m));
		l->fds[l->nshared++] = fd;
	}
	return 0;
}

/* Give a copy the shared maps (it holds its own duplicates); 0 or -EINVAL. */
static int use_shared(const struct loading *l, struct sysrec_bpf *skel)
{
	for (int i = 0; i < l->nshared; i++) {
		struct bpf_map *m = bpf_object__find_map_by_name(skel->obj, l->names[i]);

		if (!m || bpf_map__reuse_fd(m, l->fds[i]))
			return -EINVAL;
	}
	return 0;
}

static struct sysrec_bpf *open_copy(const struct loading *l, int side)
{
	struct bpf_object_open_opts oo = { .sz = sizeof(oo), .btf_custom_path = l->btf };
	struct sysrec_bpf *skel = sysrec_bpf__open_opts(&oo);

	if (skel) {
		configure(l->en, skel, l->o);
		split_programs(skel, side, l->o, l->en->pkt_hook);
	}
	return skel;
}

static void *load_second(void *arg)
{
	struct loading *l = arg;
	struct sysrec_bpf *skel = open_copy(l, 1);
	int ready;

	pthread_mutex_lock(&l->mu);
	while (!l->ready)
		pthread_cond_wait(&l->cv, &l->mu);
	ready = l->ready;
	pthread_mutex_unlock(&l->mu);
	l->en->skel2 = skel;
	if (!skel)
		l->rc2 = -ENOMEM;
	else if (ready < 0)
		l->rc2 = -ECANCELED;
	else
		l->rc2 = use_shared(l, skel) ? -EINVAL : sysrec_bpf__load(skel);
	return NULL;
}

static void unload(struct engine *en)
{
	sysrec_bpf__destroy(en->skel);
	sysrec_bpf__destroy(en->skel2);
	en->skel = en->skel2 = NULL;
}

/* Open both copies (relocated against btf, NULL: the kernel's), configure and load them. */
static int load(struct engine *en, const struct engine_opts *o, const char *btf, struct err *e)
{
	struct loading l = { .en = en, .o = o, .btf = btf };
	pthread_t second;
	bool said = false; /* e holds this failure's message */
	int rc = 0;

	if (!en->ids.task_struct) {
		err_set(e, -ENOENT, "cannot read the kernel's BTF (%s; a kernel with BTF is needed)",
		        "/sys/kernel/btf/vmlinux");
		return -ENOENT;
	}
	pthread_mutex_init(&l.mu, NULL);
	pthread_cond_init(&l.cv, NULL);
	if (pthread_create(&second, NULL, load_second, &l)) {
		err_set(e, -EAGAIN, "cannot start a thread to load the BPF programs");
		rc = -EAGAIN;
		goto out;
	}
	en->skel = open_copy(&l, 0);
	if (!en->skel) {
		err_set(e, -ENOMEM, "cannot open the BPF programs: %s", strerror(errno));
		rc = -ENOMEM;
		said = true;
	} else {
		route_syscalls(en, en->skel->rodata->snaplen, o->bare_codes);
		rc = make_shared(&l, en->skel, e);
		said = rc != 0;
	}
	maps_ready(&l, rc ? -1 : 1);
	if (!rc && use_shared(&l, en->skel)) {
		err_set(e, -EINVAL, "cannot share the BPF maps");
		rc = -EINVAL;
		said = true;
	}
	if (!rc)
		rc = sysrec_bpf__load(en->skel);
	pthread_join(second, NULL);
	if (!rc)
		rc = l.rc2;
	if (rc && !said)
		err_set(e, rc,
		        "cannot load the BPF programs (%s; run as root on a kernel with BTF; "
		        "SYSREC_BPF_DEBUG=1 shows the verifier's log)",
		        strerror(-rc));
out:
	for (int i = 0; i < l.nshared; i++)
		close(l.fds[i]);
	pthread_cond_destroy(&l.cv);
	pthread_mutex_destroy(&l.mu);
	return rc;
}

/* The cgroup v2 hierarchy's root (its own mount, or the unified one of a hybrid host), or NULL. */
static char *cgroup2_root(void)
{
	FILE *f = fopen("/proc/self/mounts", "r");
	char dev[256], dir[4096], type[64];
	char *root = NULL;

	if (!f)
		return NULL;
	while (!root && fscanf(f, "%255s %4095s %63s %*[^\n]", dev, dir, type) == 3)
		if (!strcmp(type, "cgroup2"))
			root = xstrdup(dir);
	fclose(f);
	return root;
}

/* A sample's time, when it is a whole packet record (struct sysrec_packet, l2 bytes, the packet). */
static bool packet_time(const uint8_t *sample, size_t size, uint64_t *ts)
{
	struct sysrec_packet m; /* a perf sample is only 4-byte aligned: copied out */

	if (size < sizeof(m))
		return false; /* not one of ours: never happens */
	memcpy(&m, sample, sizeof(m));
	if (m.l2 > size - sizeof(m) || m.caplen > size - sizeof(m) - m.l2)
		return false;
	*ts = m.ts;
	return true;
}

/* A packet, in time order, to the caller; or (sample NULL) `size` packets a CPU's buffer had no room for. */
static void deliver_packet(void *ctx, int ring, const uint8_t *sample, size_t size)
{
	struct engine *en = ctx;
	struct sysrec_packet m;
	struct engine_packet p;

	(void)ring;
	if (!sample) {
		en->pkt_lost += size;
		en->pkt_lost_seen += size;
		return;
	}
	memcpy(&m, sample, sizeof(m));
	p = (struct engine_packet){ .ts = m.ts,
		                    .cookie = m.cookie,
		                    .netns = m.netns,
		                    .ifindex = m.ifindex,
		                    .len = m.len,
		                    .caplen = m.caplen,
		                    .pid = m.pid,
		                    .tid = m.tid,
		                    .fd = m.pid ? m.fd : -1,
		                    .dir = m.dir == SYSREC_PKT_IN ? ENGINE_PKT_IN : ENGINE_PKT_OUT,
		                    .data = sample + sizeof(m) + m.l2 };
	memcpy(p.comm, m.comm, sizeof(m.comm));
	p.comm[sizeof(m.comm)] = 0;
	en->pkt_delivered++;
	en->pkt_fn(en->pkt_ctx, &p);
}

/* Never called: the buffers are read in place (perfring_merge). */
static enum bpf_perf_event_ret on_perf_record(void *ctx, int cpu, struct perf_event_header *h)
{
	(void)ctx;
	(void)cpu;
	(void)h;
	return LIBBPF_PERF_EVENT_CONT;
}

/*
 * Each CPU's buffer of `pages` pages wakes the reader once a quarter of it (at
 * most 256 KiB) is filled, not at each packet as libbpf's default does: a
 * wakeup per packet cost the reader more than the packets themselves (perf:
 * 41% of its time in the scheduler at 43,000 packets a second). A trickle is
 * still read within the caller's poll timeout, since every poll ends by
 * reading all buffers.
 */
static struct perf_buffer *packet_buffers(int map_fd, size_t pages, void *ctx)
{
	struct perf_event_attr attr = { 0 };
	size_t mark = pages * 4096 / 4;

	attr.type = PERF_TYPE_SOFTWARE;
	attr.config = PERF_COUNT_SW_BPF_OUTPUT;
	attr.sample_type = PERF_SAMPLE_RAW;
	attr.sample_period = 1;
	attr.watermark = 1;
	attr.wakeup_watermark = (uint32_t)(mark > (256u << 10) ? 256u << 10 : mark);
	return perf_buffer__new_raw(map_fd, pages, &attr, on_perf_record, ctx, NULL);
}

/* The owner record the packet programs keep per socket (struct pkt_owner in bpf/packet.bpf.h). */
struct pkt_owner {
	uint32_t pid, tid;
	int32_t fd;
	uint32_t pad;
	uint64_t cookie; /* the socket's (SO_COOKIE) */
	char comm[16];
};

/* The first max-1 bytes of a small file, NUL-terminated; bytes read or -1. */
static ssize_t read_small(const char *path, char *buf, size_t max)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = read(fd, buf, max - 1);
	close(fd);
	buf[n > 0 ? n : 0] = 0;
	return n;
}

/* Each socket fd of process pid gets pid as its owner, unless one is set already. */
static void seed_process(int owners, int pid, int self)
{
	char path[64], link[64];
	struct pkt_owner o = { .pid = (uint32_t)pid, .tid = (uint32_t)pid };
	struct dirent *de;
	int pidfd = -1;
	DIR *d;

	if (pid == self)
		return;
	snprintf(path, sizeof(path), "/proc/%d/comm", pid);
	if (read_small(path, o.comm, sizeof(o.comm)) <= 0)
		return;
	o.comm[strcspn(o.comm, "\n")] = 0;
	snprintf(path, sizeof(path), "/proc/%d/fd", pid);
	if (!(d = opendir(path)))
		return;
	while ((de = readdir(d))) {
		int fd, mine;
		socklen_t clen;
		ssize_t n;

		snprintf(path, sizeof(path), "/proc/%d/fd/%.20s", pid, de->d_name); /* fds are numbers */
		n = readlink(path, link, sizeof(link) - 1);
		if (n < 8 || strncmp(link, "socket:[", 8) != 0)
			continue;
		fd = atoi(de->d_name);
		if (pidfd < 0 && (pidfd = (int)syscall(SYS_pidfd_open, pid, 0)) < 0)
			break;
		mine = (int)syscall(SYS_pidfd_getfd, pidfd, fd, 0);
		if (mine < 0)
			continue;
		o.fd = fd;
		clen = sizeof(o.cookie);
		if (getsockopt(mine, SOL_SOCKET, SO_COOKIE, &o.cookie, &clen) < 0)
			o.cookie = 0;
		/* sockets other than the inet ones (unix, netlink) are refused: no packets to name */
		bpf_map_update_elem(owners, &mine, &o, BPF_NOEXIST);
		close(mine);
	}
	closedir(d);
	if (pidfd >= 0)
		close(pidfd);
}

/*
 * Sockets opened before the recording have had no send, receive, connect
 * or listen in it yet: each gets its process as owner now (a copy of the
 * fd taken with pidfd_getfd names the socket to the map), so that a server
 * started earlier is named on the first packet of each connection too.
 */
static void seed_owners(struct engine *en)
{
	DIR *d = opendir("/proc");
	struct dirent *de;
	int owners = bpf_map__fd(en->skel->maps.owners), self = getpid();

	if (!d)
		return;
	while ((de = readdir(d)))
		if (de->d_name[0] >= '1' && de->d_name[0] <= '9')
			seed_process(owners, atoi(de->d_name), self);
	closedir(d);
}

/*
 * The packets' hook: tc programs on every interface where the kernel has tcx
 * links, else cgroup_skb programs on the root cgroup (docs/packets.md);
 * SYSREC_PKT_HOOK=cgroup asks for the latter.
 */
static enum pkt_hook packet_hook(const struct engine_opts *o)
{
	const char *want = getenv("SYSREC_PKT_HOOK");

	if (!o->packets)
		return PKT_NONE;
	if (want && !strcmp(want, "cgroup"))
		return PKT_CGROUP;
	return pktif_supported() ? PKT_TC : PKT_CGROUP;
}

/*
 * Each CPU's perf buffer, in pages: 16 MiB while all of them take no more than
 * 64 MiB, else less, but never under 1 MiB. The reader writes the packets out
 * of the buffers where they are (perfring.c), so a burst must fit in them
 * while the file takes it: an 8 MB download over a veth pair is 16 MB of
 * samples (both ends) in a few ms, often on one CPU; with 8 MiB, the e2e test
 * (three recordings beside two tcpdumps on 2 CPUs) lost some in one run of three.
 */
static size_t packet_pages(int ncpus)
{
	size_t pages = 4096;

	while (pages > 256 && pages * 4096 * (size_t)ncpus > (64u << 20))
		pages /= 2;
	return pages;
}

/*
 * The interfaces to keep (--pcap-iface), the perf buffer, the owners (new
 * sockets', then older ones'), then the packet programs: on every interface
 * of every network namespace, or on the root cgroup (every socket of the
 * host).
 */
static int packets_attach(struct engine *en, const struct engine_opts *o, struct err *e)
{
	char *root;
	int fd, rc = 0;
	uint8_t one = 1;

	for (size_t i = 0; i < o->pkt_nifaces; i++) {
		struct {
			uint64_t netns;
			uint32_t ifindex, pad;
		} k = { o->pkt_ifaces[i].netns, o->pkt_ifaces[i].ifindex, 0 };

		if (bpf_map_update_elem(bpf_map__fd(en->skel->maps.pkt_ifaces), &k, &one, BPF_ANY) < 0)
			return err_set(e, -errno, "cannot set the interfaces to record: %s", strerror(errno));
	}
	/* the buffers first: a packet the programs see before them would be lost (-ENOENT) */
	en->pb = packet_buffers(bpf_map__fd(en->skel->maps.pkts),
	                        o->pkt_pages ? o->pkt_pages : packet_pages(en->ncpus), en);
	if (!en->pb)
		return err_set(e, -errno, "cannot map the packet buffers: %s", strerror(errno));
	en->pkt_wake = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (en->pkt_wake < 0 ||
	    epoll_ctl(perf_buffer__epoll_fd(en->pb), EPOLL_CTL_ADD, en->pkt_wake,
	              &(struct epoll_event){ .events = EPOLLIN, .data.u64 = UINT64_MAX }) < 0)
		return err_set(e, -errno, "cannot watch the packet buffers: %s", strerror(errno));
	en->pkt_nrings = perf_buffer__buffer_cnt(en->pb);
	en->pkt_rings = xcalloc(en->pkt_nrings, sizeof(*en->pkt_rings));
	for (size_t i = 0; i < en->pkt_nrings; i++) {
		void *base;
		size_t size;

		if (perf_buffer__buffer(en->pb, (int)i, &base, &size) < 0)
			return err_set(e, -EINVAL, "cannot map the packet buffer of CPU %zu", i);
		perfring_init(&en->pkt_rings[i], base);
	}
	root = cgroup2_root();
	if (!root)
		return err_set(e, -ENOENT, "packets need a cgroup v2 hierarchy, and none is mounted");
	fd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0) {
		rc = err_set(e, -errno, "%s: %s", root, strerror(errno));
		free(root);
		return rc;
	}
	en->pkt_create = bpf_program__attach_cgroup(en->skel->progs.pkt_sock_create, fd);
	if (en->pkt_create)
		seed_owners(en);
	if (en->pkt_create && en->pkt_hook == PKT_CGROUP) {
		en->pkt_in = bpf_program__attach_cgroup(en->skel->progs.pkt_ingress, fd);
		if (en->pkt_in)
			en->pkt_out = bpf_program__attach_cgroup(en->skel->progs.pkt_egress, fd);
	}
	if (!en->pkt_create || (en->pkt_hook == PKT_CGROUP && !en->pkt_out))
		rc = err_set(e, -errno, "cannot attach the packet programs to %s: %s", root, strerror(errno));
	close(fd);
	free(root);
	if (!rc && en->pkt_hook == PKT_TC) {
		/* --pcap-iface naming only interfaces of ours: the other namespaces are not scanned */
		uint64_t own = engine_netns_cookie();
		bool own_only = o->pkt_nifaces > 0 && own != 0;

		for (size_t i = 0; i < o->pkt_nifaces; i++)
			own_only = own_only && o->pkt_ifaces[i].netns == own;
		en->pktif = pktif_start(bpf_program__fd(en->skel->progs.pkt_tc_ingress),
		                        bpf_program__fd(en->skel->progs.pkt_tc_egress), own_only, e);
		rc = en->pktif ? 0 : -EINVAL;
	}
	return rc;
}

/* ---- artifacts ---- */

static int on_art(void *ctx, void *data, size_t size)
{
	struct engine *en = ctx;
	struct sysrec_art r;
	struct engine_art a = { 0 };
	char path[SYSREC_ART_PATH + 1];

	if (size < sizeof(r))
		return 0;
	memcpy(&r, data, sizeof(r));
	if (r.len > size - sizeof(r))
		return 0;
	a.type = r.type;
	a.flags = r.flags;
	a.addr = r.addr;
	a.total = r.total;
	a.whole = r.whole;
	a.prot_before = r.prot_before;
	a.prot_after = r.prot_after;
	a.uid = r.uid;
	a.ppid = r.ppid;
	memcpy(a.name, r.name, sizeof(r.name));
	a.ts = r.ts;
	a.pid = r.pid;
	a.tid = r.tid;
	memcpy(a.comm, r.comm, sizeof(r.comm));
	a.dev = makedev(r.dev >> 20, r.dev & 0xfffff); /* the kernel's dev_t, as stat() gives it */
	a.ino = r.ino;
	a.gen = r.gen;
	a.off = r.off;
	if (r.type == SYSREC_ART_REC_PATH || r.type == SYSREC_ART_REC_EXEC ||
	    r.type == SYSREC_ART_REC_MODFILE) {
		size_t n = r.len < SYSREC_ART_PATH ? r.len : SYSREC_ART_PATH;

		memcpy(path, (const uint8_t *)data + sizeof(r), n);
		path[n] = 0;
		a.path = path;
	} else {
		a.data = (const uint8_t *)data + sizeof(r);
		a.len = r.len;
	}
	en->art_delivered++;
	en->art_fn(en->art_ctx, &a);
	return 0;
}

/* The write prefixes into the kernel's array (a trailing '*', Tracee's spelling, is the prefix's end). */
static int artifacts_setup(struct engine *en, const struct engine_opts *o, struct err *e)
{
	if (o->art_nprefixes > ENGINE_ART_PREFIXES)
		return err_set(e, -E2BIG, "at most %d write prefixes", ENGINE_ART_PREFIXES);
	for (size_t i = 0; i < o->art_nprefixes; i++) {
		struct sysrec_art_prefix p = { 0 };
		size_t n = strlen(o->art_prefixes[i]);
		uint32_t k = (uint32_t)i;

		if (n && o->art_prefixes[i][n - 1] == '*')
			n--;
		if (n > ENGINE_ART_PREFIX_MAX)
			return err_set(e, -ENAMETOOLONG, "write prefix '%s': longer than %d bytes",
			               o->art_prefixes[i], ENGINE_ART_PREFIX_MAX);
		memcpy(p.s, o->art_prefixes[i], n);
		p.len = (uint32_t)n;
		if (bpf_map_update_elem(bpf_map__fd(en->skel->maps.art_prefixes), &k, &p, BPF_ANY) < 0)
			return err_set(e, -errno, "cannot set the write prefixes: %s", strerror(errno));
	}
	if (!o->no_syscalls) {
		const struct bpf_program *progs[2] = { en->skel->progs.art_sys_exit,
			                               en->skel->progs.art_sys_enter };
		const struct bpf_map *slots[2] = { en->skel->maps.art_exit_tail,
			                           en->skel->maps.art_enter_tail };

		for (int i = 0; i < 2; i++) {
			int fd = bpf_program__fd(progs[i]);
			uint32_t k = 0;

			if (fd >= 0 && bpf_map_update_elem(bpf_map__fd(slots[i]), &k, &fd, BPF_ANY))
				return err_set(e, -errno, "cannot hand the syscalls to %s: %s",
				               bpf_program__name(progs[i]), strerror(errno));
		}
	}
	en->art_rb = ring_buffer__new(bpf_map__fd(en->skel->maps.art_rb), on_art, en, NULL);
	if (!en->art_rb)
		return err_set(e, -errno, "cannot map the artifact ring: %s", strerror(errno));
	return 0;
}

int engine_artifacts_poll(struct engine *en, int timeout_ms, engine_art_fn fn, void *ctx)
{
	int rc;

	if (!en->art_rb)
		return -ENOTCONN;
	en->art_fn = fn;
	en->art_ctx = ctx;
	en->art_delivered = 0;
	rc = ring_buffer__poll(en->art_rb, timeout_ms);
	if (rc < 0 && rc != -EINTR)
		return rc;
	/* records sent without a wakeup (bpf/artifact.bpf.h's art_wakeup()) are read at the timeout too */
	if (en->art_delivered == 0 && (rc = ring_buffer__consume(en->art_rb)) < 0)
		return rc;
	return en->art_delivered;
}

/* The kernel's art_files entries (bpf/artifact.bpf.h's struct art_file_key and art_file). */
struct art_file_key_u {
	uint64_t dev, ino;
	uint32_t gen, pad;
};
struct art_file_u {
	uint8_t keep, pad[3];
	uint32_t name_hash;
	uint64_t parent, lost;
};

void engine_artifacts_file_losses(struct engine *en,
                                  void (*fn)(void *ctx, uint64_t dev, uint64_t ino, uint64_t bytes),
                                  void *ctx)
{
	struct art_file_key_u k, next;
	struct art_file_u v;
	int fd;
	bool first = true;

	if (!en->art_rb)
		return;
	fd = bpf_map__fd(en->skel->maps.art_files);
	while (bpf_map_get_next_key(fd, first ? NULL : &k, &next) == 0) {
		first = false;
		k = next;
		if (bpf_map_lookup_elem(fd, &k, &v) == 0 && v.keep && v.lost)
			fn(ctx, makedev(k.dev >> 20, k.dev & 0xfffff), k.ino, v.lost);
	}
}

void engine_artifacts_stats(struct engine *en, struct engine_art_stats *out)
{
	struct sysrec_art_stats *per;
	uint32_t key = 0;

	memset(out, 0, sizeof(*out));
	if (!en->art_rb)
		return;
	per = xcalloc((size_t)en->ncpus, sizeof(*per));
	if (bpf_map_lookup_elem(bpf_map__fd(en->skel->maps.art_stats), &key, per) == 0)
		for (int c = 0; c < en->ncpus; c++) {
			out->records += per[c].records;
			out->limit += per[c].limit;
			out->lost_records += per[c].lost_records;
			out->lost_bytes += per[c].lost_bytes;
			out->unreadable += per[c].unreadable;
		}
	free(per);
}

struct engine *engine_ebpf_open(const struct engine_opts *o, struct err *e)
{
	struct engine *en = xcalloc(1, sizeof(*en));
	int rc;

	libbpf_set_print(silent_print);
	en->ncpus = libbpf_num_possible_cpus();
	if (en->ncpus <= 0) {
		rc = err_set(e, -EINVAL, "cannot count CPUs");
		goto fail;
	}
	en->pkt_wake = -1;
	en->cpu_drops = xcalloc((size_t)en->ncpus, sizeof(uint64_t));
	en->pending = xcalloc((size_t)en->ncpus, sizeof(*en->pending));
	en->boot_to_epoch = boot_to_epoch();
	en->pkt_hook = packet_hook(o);
	{
		size_t elf_size;
		const void *elf = sysrec_bpf__elf_bytes(&elf_size);
		char *btf = corebtf_prepare(elf, elf_size, &en->ids);

		rc = load(en, o, btf, e);
		if (rc && btf) { /* a cache the programs would not load with: remade next time */
			corebtf_forget(btf);
			unload(en);
			rc = load(en, o, NULL, e);
		}
		free(btf);
	}
	if (rc)
		goto fail;
	if ((rc = install_fillers(en, en->skel, e)) != 0 || (rc = install_fillers(en, en->skel2, e)) != 0)
		goto fail;
	en->rb = ring_buffer__new(bpf_map__fd(en->skel->maps.rb), on_record, en, NULL);
	if (!en->rb) {
		rc = err_set(e, -errno, "cannot map the ring buffer: %s", strerror(errno));
		goto fail;
	}
	if (o->art_kinds && (rc = artifacts_setup(en, o, e)) != 0)
		goto fail;
	if (o->scope_container && !scope_container(en, o->scope_container)) {
		rc = err_set(e, -ENOENT, "no container %s on this host (no process or cgroup names it)",
		             o->scope_container);
		goto fail;
	}
	rc = sysrec_bpf__attach(en->skel);
	if (rc) {
		err_set(e, rc, "cannot attach to the syscall tracepoints: %s", strerror(-rc));
		goto fail;
	}
	if (o->packets && o->pkt_paused)
		engine_packets_pause(en, true);
	if (o->packets && (rc = packets_attach(en, o, e)) != 0)
		goto fail;
	/* processes that started between the first look and the attach */
	if (o->scope_container)
		scope_container(en, o->scope_container);
	return en;
fail:
	engine_close(en);
	errno = rc < 0 ? -rc : EIO;
	return NULL;
}

int engine_poll(struct engine *en, int timeout_ms, const struct engine_sink *sink)
{
	int rc;

	en->sink = sink;
	en->delivered = 0;
	rc = ring_buffer__consume(en->rb);
	if (rc == 0 && en->delivered == 0 && timeout_ms > 0) {
		struct timespec ts = { timeout_ms / 1000, (long)(timeout_ms % 1000) * 1000000L };

		nanosleep(&ts, NULL);
		rc = ring_buffer__consume(en->rb);
	}
	if (rc < 0 && rc != -EINTR)
		return rc;
	return en->delivered;
}

/*
 * A packet is handed to its perf buffer within microseconds of its stamp: once
 * the buffers are read, what was stamped this long before is all in hand. The
 * packets held stay in the buffers, taking their room: when a buffer is more
 * than a quarter full (an 8 MB download over a veth pair is 16 MB of samples in
 * a few ms) all it has is handed on at once, room before order (a packet another
 * CPU stamped in those microseconds and has not handed over yet could then
 * follow a later one).
 */
#define PKT_HOLD_MS 2

int engine_packets_poll(struct engine *en, int timeout_ms, engine_packet_fn fn, void *ctx)
{
	struct epoll_event ev;
	struct timespec bt;
	uint64_t until = UINT64_MAX;
	int rc;

	if (!en->pb)
		return -ENOTCONN;
	en->pkt_fn = fn;
	en->pkt_ctx = ctx;
	en->pkt_delivered = 0;
	/*
	 * Woken when a buffer has 256 KiB, else at the timeout: packets left in
	 * the buffers by the last read wait for either (a wakeup costs more than
	 * a packet does; tcpdump's libpcap waits up to a second).
	 */
	rc = epoll_wait(perf_buffer__epoll_fd(en->pb), &ev, 1, timeout_ms);
	if (rc < 0 && errno != EINTR)
		return -errno;
	if (rc > 0 && ev.data.u64 == UINT64_MAX) {
		uint64_t n;

		if (read(en->pkt_wake, &n, sizeof(n)) < 0 && errno != EAGAIN)
			return -errno;
	}
	if (!atomic_load(&en->pkt_detached) && !perfring_pressed(en->pkt_rings, en->pkt_nrings, 4)) {
		clock_gettime(CLOCK_BOOTTIME, &bt);
		until = (uint64_t)bt.tv_sec * 1000000000ULL + (uint64_t)bt.tv_nsec + en->boot_to_epoch -
		        PKT_HOLD_MS * 1000000ULL;
	}
	/* every CPU's buffer, read after `until` was taken */
	perfring_merge(en->pkt_rings, en->pkt_nrings, until, packet_time, deliver_packet, en);
	return en->pkt_delivered;
}

void engine_packets_wake(struct engine *en)
{
	uint64_t one = 1;

	if (en->pb && en->pkt_wake >= 0 && write(en->pkt_wake, &one, sizeof(one)) < 0)
		return; /* the count is full: a wakeup is pending anyway */
}

void engine_packets_pause(struct engine *en, bool paused)
{
	if (en->pkt_hook != PKT_NONE && en->skel->bss)
		__atomic_store_n(&en->skel->bss->pkt_paused, paused ? 1u : 0u, __ATOMIC_RELAXED);
}

uint64_t engine_packets_lost_seen(const struct engine *en)
{
	return en->pkt_lost_seen;
}

void engine_packets_stats(struct engine *en, struct engine_pkt_stats *out)
{
	struct sysrec_pkt_stats *per = xcalloc((size_t)en->ncpus, sizeof(*per));
	uint32_t key = 0;

	memset(out, 0, sizeof(*out));
	if (en->pktif) {
		struct pktif_counts c;

		pktif_counts(en->pktif, &c);
		out->interfaces = c.interfaces;
		out->namespaces = c.namespaces;
		out->refused = c.failed;
	}
	/*
	 * The kernel side counts each sample bpf_perf_event_output() had no room
	 * for; the perf buffer tells libbpf of the same ones later, in a
	 * PERF_RECORD_LOST before the next sample that fits (and never of those
	 * after the last one). The kernel's count is the whole; libbpf's only
	 * when the map cannot be read.
	 */
	if (en->pb && bpf_map_lookup_elem(bpf_map__fd(en->skel->maps.pkt_stats), &key, per) == 0)
		for (int c = 0; c < en->ncpus; c++) {
			out->packets += per[c].packets;
			out->lost += per[c].lost;
			out->copy_failed += per[c].copy_failed;
		}
	else
		out->lost = en->pkt_lost;
	free(per);
}

void engine_stop(struct engine *en)
{
	/*
	 * Exits first: a recording may end with an enter whose exit is missing
	 * (as any recording cut at some moment), never with an exit whose enter
	 * is missing, which readers show differently.
	 */
	bpf_link__destroy(en->skel->links.sys_exit);
	en->skel->links.sys_exit = NULL;
	sysrec_bpf__detach(en->skel);
	bpf_link__destroy(en->pkt_create);
	bpf_link__destroy(en->pkt_in);
	bpf_link__destroy(en->pkt_out);
	en->pkt_create = en->pkt_in = en->pkt_out = NULL;
	if (en->pktif)
		pktif_stop(en->pktif);
	/* no program runs any more: engine_packets_poll() hands on all it reads */
	atomic_store(&en->pkt_detached, true);
}

void engine_stats(struct engine *en, struct engine_stats *out)
{
	struct sysrec_stats *per = xcalloc((size_t)en->ncpus, sizeof(*per));
	uint32_t key = 0;

	memset(out, 0, sizeof(*out));
	out->ncpus = (uint32_t)en->ncpus;
	out->cpu_drops = en->cpu_drops;
	out->pending = en->pending;
	if (bpf_map_lookup_elem(bpf_map__fd(en->skel->maps.stats), &key, per) == 0) {
		for (int c = 0; c < en->ncpus; c++) {
			out->events += per[c].events;
			out->drops_ring += per[c].drops_ring;
			out->drops_big += per[c].drops_big;
			out->bad_params += per[c].bad_params;
			en->cpu_drops[c] = per[c].drops_ring + per[c].drops_big;
			en->pending[c] =
			        (struct engine_drops){ per[c].pend_first_ts, per[c].pend_last_ts,
				                       per[c].pend_tid, per[c].pend_ring, per[c].pend_big };
		}
	}
	free(per);
	{
		struct bpf_program *p;

		/* the attached programs only: tail-called fillers are never skipped on their own */
		bpf_object__for_each_program(p, en->skel->obj)
		{
			struct bpf_prog_info info;
			__u32 len = sizeof(info);

			memset(&info, 0, sizeof(info));
			if (!is_filler(p) && strncmp(bpf_program__name(p), "pkt_", 4) != 0 &&
			    bpf_program__fd(p) >= 0 &&
			    bpf_obj_get_info_by_fd(bpf_program__fd(p), &info, &len) == 0)
				out->drops_busy += info.recursion_misses;
		}
	}
}

void engine_close(struct engine *en)
{
	if (!en)
		return;
	ring_buffer__free(en->rb);
	ring_buffer__free(en->art_rb);
	pktif_free(en->pktif);
	perf_buffer__free(en->pb);
	if (en->pkt_wake > 0)
		close(en->pkt_wake);
	for (size_t i = 0; i < en->pkt_nrings; i++)
		perfring_release(&en->pkt_rings[i]);
	free(en->pkt_rings);
	bpf_link__destroy(en->pkt_create);
	bpf_link__destroy(en->pkt_in);
	bpf_link__destroy(en->pkt_out);
	unload(en);
	free(en->cpu_drops);
	free(en->pending);
	free(en);
}
