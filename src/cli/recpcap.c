/* recpcap: the recording's packets into a pcapng file, each with its owner. */
#include "recpcap.h"

#include "../pcap/pcap.h"
#include "cli.h"

#include <errno.h>
#include <net/if.h>
#include <pcap/pcap.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#ifndef SO_NETNS_COOKIE
#define SO_NETNS_COOKIE 71
#endif

/* An interface met: its network namespace and index, and its id in the file. */
struct iface {
	uint64_t netns;
	uint32_t ifindex;
	uint32_t id;
	uint64_t received;
};

/* A process's container, looked up once per pid. */
struct owner_info {
	char container[13];
};

struct recpcap {
	struct pcap_writer *w;
	struct engine *en;
	uint32_t snaplen;
	uint64_t host_netns; /* the cookie of our own network namespace (0: not known) */
	struct iface *ifaces;
	size_t nifaces;
	struct i64map owners; /* pid -> struct owner_info */
	uint64_t written;
	uint64_t filtered;  /* left out by --pcap-filter */
	uint64_t lost_told; /* losses already said in a packet's note */
	bool has_filter;
	struct bpf_program filter; /* --pcap-filter, compiled by libpcap (run here, not in the kernel) */
	pthread_t thread;
	atomic_bool stop;
	bool running;
};

static uint64_t own_netns(void)
{
	uint64_t cookie = 0;
	socklen_t len = sizeof(cookie);
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return 0;
	if (getsockopt(fd, SOL_SOCKET, SO_NETNS_COOKIE, &cookie, &len) < 0)
		cookie = 0;
	close(fd);
	return cookie;
}

/*
 * The file's interface for a packet's namespace and index, described on
 * first sight: named as this host names it in our namespace; in another one,
 * by index and namespace (the name there is not ours to look up).
 */
static uint32_t iface_of(struct recpcap *rp, uint64_t netns, uint32_t ifindex)
{
	char name[IF_NAMESIZE + 32], desc[96];
	struct pcap_iface ifc = { .linktype = PCAP_LINKTYPE_RAW, .snaplen = rp->snaplen };
	int id;

	for (size_t i = 0; i < rp->nifaces; i++)
		if (rp->ifaces[i].netns == netns && rp->ifaces[i].ifindex == ifindex)
			return rp->ifaces[i].id;
	if (netns == rp->host_netns && if_indextoname(ifindex, name)) {
		snprintf(desc, sizeof(desc), "index %u, host network namespace", ifindex);
	} else {
		snprintf(name, sizeof(name), "if%u@netns%llu", ifindex, (unsigned long long)netns);
		snprintf(desc, sizeof(desc), "index %u in network namespace %llu (cookie)", ifindex,
		         (unsigned long long)netns);
	}
	ifc.name = name;
	ifc.description = desc;
	id = pcap_writer_add_iface(rp->w, &ifc);
	rp->ifaces = xrealloc(rp->ifaces, (rp->nifaces + 1) * sizeof(*rp->ifaces));
	rp->ifaces[rp->nifaces++] = (struct iface){ netns, ifindex, (uint32_t)(id < 0 ? 0 : id), 0 };
	return (uint32_t)(id < 0 ? 0 : id);
}

static struct iface *iface_by_id(struct recpcap *rp, uint32_t id)
{
	for (size_t i = 0; i < rp->nifaces; i++)
		if (rp->ifaces[i].id == id)
			return &rp->ifaces[i];
	return NULL;
}

/* The container of pid, looked up in /proc once (a process keeps its container). */
static const char *container_of(struct recpcap *rp, uint32_t pid)
{
	struct owner_info *oi = i64map_get(&rp->owners, pid);

	if (!oi) {
		oi = xcalloc(1, sizeof(*oi));
		engine_pid_container((int)pid, oi->container);
		i64map_put(&rp->owners, pid, oi);
	}
	return oi->container;
}

static void on_packet(void *ctx, const struct engine_packet *m)
{
	struct recpcap *rp = ctx;
	uint64_t lost;
	char note[96];
	struct pcap_owner owner = { .fd = -1 };
	struct pcap_packet p = {
		.ts_ns = m->ts,
		.data = m->data,
		.caplen = m->caplen,
		.origlen = m->len,
		.dir = m->dir == ENGINE_PKT_IN ? PCAP_DIR_IN : PCAP_DIR_OUT,
	};
	struct iface *ifc;

	if (rp->has_filter) {
		struct pcap_pkthdr h = { .caplen = m->caplen, .len = m->len };

		if (!pcap_offline_filter(&rp->filter, &h, m->data)) {
			rp->filtered++;
			return;
		}
	}
	p.iface = iface_of(rp, m->netns, m->ifindex);
	if (m->pid) {
		owner.pid = m->pid;
		owner.tid = m->tid;
		owner.comm = m->comm;
		owner.container = container_of(rp, m->pid);
		p.owner = &owner;
	}
	/* losses are said on the first packet after them, as the buffer tells them (no syscall per packet) */
	lost = engine_packets_lost_told(rp->en);
	if (lost > rp->lost_told) {
		snprintf(note, sizeof(note),
		         "%llu packets lost before this one (the kernel's buffer was full)",
		         (unsigned long long)(lost - rp->lost_told));
		p.note = note;
		p.drops = lost - rp->lost_told;
		rp->lost_told = lost;
	}
	if (pcap_writer_packet(rp->w, &p) == 0) {
		rp->written++;
		if ((ifc = iface_by_id(rp, p.iface)))
			ifc->received++;
	}
}

static void *packet_thread(void *arg)
{
	struct recpcap *rp = arg;

	while (!atomic_load(&rp->stop))
		if (engine_packets_poll(rp->en, 100, on_packet, rp) < 0)
			break;
	/* what the kernel handed over before the programs were detached */
	while (engine_packets_poll(rp->en, 0, on_packet, rp) > 0)
		;
	return NULL;
}

/* Compile expr for packets from their IP header on (DLT_RAW); 0 or -EINVAL with libpcap's message. */
static int compile_filter(const char *expr, struct bpf_program *prog, struct err *e)
{
	pcap_t *p = pcap_open_dead(DLT_RAW, ENGINE_PKT_MAX);
	int rc = 0;

	if (!p)
		return err_set(e, -ENOMEM, "cannot set up libpcap's filter compiler");
	if (pcap_compile(p, prog, expr, 1, PCAP_NETMASK_UNKNOWN) < 0)
		rc = err_set(e, -EINVAL, "--pcap-filter '%s': %s", expr, pcap_geterr(p));
	pcap_close(p);
	return rc;
}

int recpcap_check_filter(const char *expr, struct err *e)
{
	struct bpf_program prog;
	int rc = compile_filter(expr, &prog, e);

	if (!rc)
		pcap_freecode(&prog);
	return rc;
}

struct recpcap *recpcap_start(const char *path, uint32_t snaplen, const char *filter, struct engine *en,
                              struct err *e)
{
	struct recpcap *rp = xcalloc(1, sizeof(*rp));
	struct pcap_section_info si = { .userappl = "sysrec " SYSREC_VERSION };
	int rc;

	if (filter) {
		if (compile_filter(filter, &rp->filter, e)) {
			free(rp);
			return NULL;
		}
		rp->has_filter = true;
	}
	rp->w = pcap_writer_open(path, &si, e);
	if (!rp->w) {
		if (rp->has_filter)
			pcap_freecode(&rp->filter);
		free(rp);
		return NULL;
	}
	rp->en = en;
	rp->snaplen = snaplen;
	rp->host_netns = own_netns();
	i64map_init(&rp->owners);
	rc = pthread_create(&rp->thread, NULL, packet_thread, rp);
	if (rc) {
		err_set(e, -rc, "cannot start the packet thread: %s", strerror(rc));
		pcap_writer_abort(rp->w);
		if (rp->has_filter)
			pcap_freecode(&rp->filter);
		i64map_release(&rp->owners);
		free(rp);
		return NULL;
	}
	rp->running = true;
	return rp;
}

void recpcap_stop(struct recpcap *rp)
{
	if (!rp->running)
		return;
	atomic_store(&rp->stop, true);
	pthread_join(rp->thread, NULL);
	rp->running = false;
}

void recpcap_counts(const struct recpcap *rp, uint64_t *written, uint64_t *filtered, uint64_t *lost)
{
	struct engine_pkt_stats st;

	engine_packets_stats(rp->en, &st);
	*written = rp->written;
	*filtered = rp->filtered;
	*lost = st.lost;
}

int recpcap_close(struct recpcap *rp, struct err *e)
{
	struct engine_pkt_stats st;
	int rc;

	recpcap_stop(rp);
	engine_packets_stats(rp->en, &st);
	/* the kernel does not say on which interface a lost packet was: all are counted on the first */
	for (size_t i = 0; i < rp->nifaces; i++) {
		struct pcap_stats ps = { .received = rp->ifaces[i].received, .dropped = i ? 0 : st.lost };

		pcap_writer_set_stats(rp->w, rp->ifaces[i].id, &ps);
	}
	rc = pcap_writer_close(rp->w, e);
	if (rp->has_filter)
		pcap_freecode(&rp->filter);
	for (size_t i = 0; i < rp->owners.cap; i++)
		free(rp->owners.slots[i].val);
	i64map_release(&rp->owners);
	free(rp->ifaces);
	free(rp);
	return rc;
}
