/*
 * ebpf: load and run sysrec's BPF programs (bpf/sysrec.bpf.c).
 *
 * The loader sets the programs' constants (our own pid, snaplen, the clock
 * offset), sizes the ring and the per-CPU scratch buffers, routes every native
 * syscall the drivers know to its event (or to the generic pair when no filler
 * exists here) and puts each filler in the tail-call slot of its event code.
 * Events are not announced one by one (BPF_RB_NO_WAKEUP): engine_poll()
 * drains the ring on the caller's clock.
 */
#include "engine.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "sysrec_bpf.h" /* first: the skeleton names its structs */
#include "sysrec.skel.h"

struct engine {
	struct sysrec_bpf *skel;
	struct ring_buffer *rb;
	int ncpus;
	uint64_t *cpu_drops;
	struct engine_drops *pending;
	const struct engine_sink *sink; /* of the current engine_poll() call */
	int delivered;
};

/* A filler program's event code: its name is fill_<code>_<syscall>; -1 for other programs. */
static int filler_code(const struct bpf_program *p)
{
	unsigned code;
	int n = 0;

	if (sscanf(bpf_program__name(p), "fill_%u_%n", &code, &n) != 1 || !n || code >= SYSREC_EVENT_MAX)
		return -1;
	return (int)code;
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

/* Put each filler in the tail-call slot of its event code (after load). */
static int install_fillers(struct engine *en, struct err *e)
{
	int etail = bpf_map__fd(en->skel->maps.enter_tail), xtail = bpf_map__fd(en->skel->maps.exit_tail);
	struct bpf_program *p;

	bpf_object__for_each_program(p, en->skel->obj)
	{
		int code = filler_code(p), fd = bpf_program__fd(p);
		uint32_t key = (uint32_t)code;

		if (code < 0)
			continue;
		if (fd < 0 || bpf_map_update_elem(event_is_exit(key) ? xtail : etail, &key, &fd, BPF_ANY))
			return err_set(e, -EINVAL, "cannot install BPF filler %s", bpf_program__name(p));
	}
	return 0;
}

/*
 * Route every native syscall the drivers know (before load, in the programs'
 * global data): to its own events when fillers for both exist, else to the
 * generic pair.
 */
static void route_syscalls(struct engine *en)
{
	bool have[SYSREC_EVENT_MAX] = { 0 };
	struct bpf_program *p;

	bpf_object__for_each_program(p, en->skel->obj)
	{
		int code = filler_code(p);

		if (code >= 0)
			have[code] = true;
	}
	for (uint32_t nr = 0; nr < EVENT_NATIVE_MAX && nr < SYSREC_NATIVE_MAX; nr++) {
		const struct event_native *n = &event_natives[nr];
		struct sysrec_route r = { 0, 1, n->ppm_sc, 0 };

		if (!n->ppm_sc && !n->flags)
			continue; /* unknown to the drivers */
		if (n->flags && n->enter < SYSREC_EVENT_MAX && n->exit < SYSREC_EVENT_MAX && have[n->enter] &&
		    have[n->exit]) {
			r.enter = n->enter;
			r.exit = n->exit;
		}
		r.on = 1;
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

struct engine *engine_ebpf_open(const struct engine_opts *o, struct err *e)
{
	struct engine *en = xcalloc(1, sizeof(*en));
	struct bpf_program *p;
	int rc;

	libbpf_set_print(silent_print);
	en->ncpus = libbpf_num_possible_cpus();
	if (en->ncpus <= 0) {
		err_set(e, -EINVAL, "cannot count CPUs");
		goto fail;
	}
	en->cpu_drops = xcalloc((size_t)en->ncpus, sizeof(uint64_t));
	en->pending = xcalloc((size_t)en->ncpus, sizeof(*en->pending));
	en->skel = sysrec_bpf__open();
	if (!en->skel) {
		err_set(e, -errno, "cannot open the BPF programs: %s", strerror(errno));
		goto fail;
	}
	en->skel->rodata->self_tgid = (uint32_t)getpid();
	en->skel->rodata->scope_tgid = o->scope_pid;
	en->skel->rodata->scope_set = o->scope_container != NULL;
	en->skel->rodata->snaplen = o->snaplen > SYSREC_MAX_SNAPLEN ? SYSREC_MAX_SNAPLEN : o->snaplen;
	en->skel->rodata->boot_to_epoch = boot_to_epoch();
	bpf_map__set_max_entries(en->skel->maps.rb, o->ring_bytes ? o->ring_bytes : 8u << 20);
	bpf_map__set_max_entries(en->skel->maps.scratch, (uint32_t)en->ncpus * SYSREC_SCRATCH_SLOTS);
	bpf_object__for_each_program(p, en->skel->obj)
	{
		const char *name = bpf_program__name(p);

		bpf_program__set_autoattach(p, strncmp(name, "fill_", 5) != 0);
	}
	route_syscalls(en);
	rc = sysrec_bpf__load(en->skel);
	if (rc) {
		err_set(e, rc,
		        "cannot load the BPF programs (%s; run as root on a kernel with BTF; "
		        "SYSREC_BPF_DEBUG=1 shows the verifier's log)",
		        strerror(-rc));
		goto fail;
	}
	if (install_fillers(en, e))
		goto fail;
	en->rb = ring_buffer__new(bpf_map__fd(en->skel->maps.rb), on_record, en, NULL);
	if (!en->rb) {
		err_set(e, -errno, "cannot map the ring buffer: %s", strerror(errno));
		goto fail;
	}
	if (o->scope_container && !scope_container(en, o->scope_container)) {
		err_set(e, -ENOENT, "no container %s on this host (no process or cgroup names it)",
		        o->scope_container);
		goto fail;
	}
	rc = sysrec_bpf__attach(en->skel);
	if (rc) {
		err_set(e, rc, "cannot attach to the syscall tracepoints: %s", strerror(-rc));
		goto fail;
	}
	/* processes that started between the first look and the attach */
	if (o->scope_container)
		scope_container(en, o->scope_container);
	return en;
fail:
	engine_close(en);
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
			en->cpu_drops[c] = per[c].drops_ring + per[c].drops_big;
			en->pending[c] =
			        (struct engine_drops){ per[c].pend_first_ts, per[c].pend_last_ts,
				                       per[c].pend_tid, per[c].pend_ring, per[c].pend_big };
		}
	}
	free(per);
	{
		struct bpf_program *p;

		bpf_object__for_each_program(p, en->skel->obj)
		{
			struct bpf_prog_info info;
			__u32 len = sizeof(info);

			memset(&info, 0, sizeof(info));
			if (bpf_program__fd(p) >= 0 &&
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
	sysrec_bpf__destroy(en->skel);
	free(en->cpu_drops);
	free(en->pending);
	free(en);
}
