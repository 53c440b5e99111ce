/* packets: the agent's packet thread, for the flight recorder's ring and for pcapdump (see agent_int.h). */
#include "../engine/engine.h"
#include "../pcap/pcap.h"
#include "agent_int.h"

#include <errno.h>
#include <jansson.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NAMES_AGE_S 30 /* a process's container is looked up again after this long */

struct agent_packets {
	struct agent *a;
	struct engine *en; /* NULL: no packets on this host */
	char unavailable[300];
	pthread_t thread;
	bool running;
	atomic_bool stop;
	struct pktnames *names;
	uint64_t lost_seen; /* the engine's buffer-full losses seen so far */
	/* the flight recorder's (NULL ring: packets.enabled is off) */
	struct pktring *ring;
	struct pcap_filter *filter;
	struct engine_iface *ifaces;
	size_t nifaces;
	uint32_t snaplen;
	atomic_uint_fast64_t filtered, dropped;
};

static bool iface_wanted(const struct agent_packets *k, const struct engine_packet *m)
{
	if (!k->nifaces)
		return true;
	for (size_t i = 0; i < k->nifaces; i++)
		if (k->ifaces[i].netns == m->netns && k->ifaces[i].ifindex == m->ifindex)
			return true;
	return false;
}

static void to_ring(struct agent_packets *k, const struct engine_packet *m, const char *container)
{
	struct pktring_pkt p = {
		.ts = m->ts,
		.netns = m->netns,
		.ifindex = m->ifindex,
		.len = m->len,
		.caplen = m->caplen < k->snaplen ? m->caplen : k->snaplen,
		.pid = m->pid,
		.tid = m->tid,
		.fd = m->fd,
		.dir = m->dir,
		.data = m->data,
	};

	if (!iface_wanted(k, m) || (k->filter && !pcap_filter_match(k->filter, m->data, m->caplen, m->len))) {
		atomic_fetch_add(&k->filtered, 1);
		return;
	}
	snprintf(p.comm, sizeof(p.comm), "%s", m->comm);
	snprintf(p.container, sizeof(p.container), "%s", container);
	pktring_append(k->ring, &p);
}

static void on_packet(void *ctx, const struct engine_packet *m)
{
	struct agent_packets *k = ctx;
	uint64_t seen = engine_packets_lost_seen(k->en), lost = seen - k->lost_seen;

	k->lost_seen = seen;
	if (k->ring) {
		if (lost) {
			pktring_note_lost(k->ring, lost);
			atomic_fetch_add(&k->dropped, lost);
		}
		to_ring(k, m, m->pid ? pktnames_container(k->names, m->pid) : "");
	}
	/* pcapdump names the packet (this thread's table) only when it writes it */
	agent_pcapdump_packet(k->a->pcapdump, m, k->names, lost);
}

static void *packet_thread(void *arg)
{
	struct agent_packets *k = arg;
	double last = mono_seconds();

	while (!atomic_load(&k->stop)) {
		if (engine_packets_poll(k->en, 200, on_packet, k) < 0) /* agent_packets_stop() wakes it */
			break;
		if (mono_seconds() - last >= 1) {
			agent_pcapdump_tick(k->a->pcapdump);
			last = mono_seconds();
		}
	}
	return NULL;
}

void agent_packets_update_pause(struct agent *a)
{
	struct agent_packets *k = a->packets;

	if (k && k->en)
		engine_packets_pause(k->en, !k->ring && !agent_pcapdump_enabled(a->pcapdump));
}

/* packets.interfaces, each found now: 0, or -errno with e naming the one at fault. */
static int find_ifaces(struct agent_packets *k, const char *list, struct err *e)
{
	char *copy = xstrdup(list), *save = NULL;
	int rc = 0;

	for (char *s = strtok_r(copy, ",", &save); s && !rc; s = strtok_r(NULL, ",", &save)) {
		struct err ie = { { 0 } };

		k->ifaces = xrealloc(k->ifaces, (k->nifaces + 1) * sizeof(*k->ifaces));
		if ((rc = engine_iface_lookup(s, &k->ifaces[k->nifaces], &ie)) != 0)
			err_set(e, rc, "packets.interfaces: %s", ie.msg);
		else
			k->nifaces++;
	}
	free(copy);
	return rc;
}

struct agent_packets *agent_packets_start(struct agent *a, struct engine *en, const char *unavailable,
                                          struct err *e)
{
	const struct agent_config *c = a->cfg;
	struct agent_packets *k = xcalloc(1, sizeof(*k));

	k->a = a;
	k->en = en;
	snprintf(k->unavailable, sizeof(k->unavailable), "%s", unavailable ? unavailable : "");
	k->names = pktnames_new(NAMES_AGE_S);
	k->snaplen = c->packets_snaplen < ENGINE_PKT_MAX ? c->packets_snaplen : ENGINE_PKT_MAX;
	if (c->packets_enabled && !en)
		log_warn("packets: the flight recorder keeps none: %s", k->unavailable);
	if (c->packets_enabled && en) {
		if ((c->packets_ifaces && find_ifaces(k, c->packets_ifaces, e)) ||
		    (c->packets_filter && !(k->filter = pcap_filter_new(c->packets_filter, e)))) {
			agent_packets_stop(k); /* e says why */
			return NULL;
		}
		k->ring = pktring_new(c->packets_memory, c->seconds);
	}
	a->packets = k;
	if (en) {
		k->lost_seen = engine_packets_lost_seen(en);
		agent_packets_update_pause(a);
		k->running = pthread_create(&k->thread, NULL, packet_thread, k) == 0;
		if (!k->running)
			log_error("packets: cannot start their thread");
	}
	return k;
}

void agent_packets_stop(struct agent_packets *k)
{
	if (!k)
		return;
	if (k->running) {
		atomic_store(&k->stop, true);
		engine_packets_wake(k->en);
		pthread_join(k->thread, NULL);
	}
	if (k->en)
		engine_packets_pause(k->en, true);
	pktring_free(k->ring);
	pcap_filter_free(k->filter);
	free(k->ifaces);
	pktnames_free(k->names);
	free(k);
}

json_t *agent_packets_status(struct agent *a)
{
	struct agent_packets *k = a->packets;
	struct pktring_stats st;
	json_t *j;

	memset(&st, 0, sizeof(st));
	if (k && k->ring)
		pktring_stats(k->ring, &st);
	j = json_pack("{s:b, s:b, s:I, s:f, s:I, s:I, s:I, s:I, s:I, s:I}", "enabled", k && k->ring,
	              "available", k && k->en, "snaplen", (json_int_t)(k ? k->snaplen : 0), "seconds",
	              st.seconds, "bytes", (json_int_t)st.bytes, "max_bytes", (json_int_t)st.max_bytes,
	              "packets", (json_int_t)st.held, "total", (json_int_t)st.appended, "dropped",
	              (json_int_t)(k ? atomic_load(&k->dropped) : 0), "filtered",
	              (json_int_t)(k ? atomic_load(&k->filtered) : 0));
	json_object_set_new(j, "oldest_ns", json_integer((json_int_t)st.oldest_ns));
	return j;
}

/* ---- a capture's packets: the bundle's pcapng part ---- */

struct part_writer {
	struct pcap_writer *w;
	struct store_put *put;
	const char *container;     /* only its packets ("": any) */
	const struct i64map *pids; /* only these owners' (NULL: any) */
	struct pktnames *names;
	struct {
		uint64_t key;
		uint32_t id;
		uint64_t received, dropped;
	} ifs[64];
	size_t nifs;
	uint64_t packets, lost, carried; /* carried: losses of packets left out, said on the next kept */
	uint64_t first, last;
};

static int part_out(void *ctx, const void *p, size_t n)
{
	return store_put_write(ctx, p, n);
}

/* Of the container's processes or those in pids (any packet, when neither is given). */
static bool part_wanted(const struct part_writer *pw, const struct pktring_pkt *p)
{
	bool by_ctr = *pw->container;

	if (!by_ctr && !pw->pids)
		return true;
	return (by_ctr && !strcmp(p->container, pw->container)) ||
	       (pw->pids && p->pid && i64map_get(pw->pids, p->pid));
}

static void part_packet(void *ctx, const struct pktring_pkt *p)
{
	struct part_writer *pw = ctx;
	uint64_t key = agent_iface_key(p->netns, p->ifindex);
	struct pcap_owner owner = {
		.pid = p->pid, .tid = p->tid, .comm = p->comm, .container = p->container, .fd = p->fd
	};
	struct pcap_packet pk = {
		.ts_ns = p->ts,
		.data = p->data,
		.caplen = p->caplen,
		.origlen = p->len,
		.dir = p->dir == ENGINE_PKT_IN ? PCAP_DIR_IN : PCAP_DIR_OUT,
		.owner = p->pid ? &owner : NULL,
	};
	char note[160];
	size_t i;

	pw->lost += p->lost_before;
	pw->carried += p->lost_before;
	if (!part_wanted(pw, p))
		return;
	for (i = 0; i < pw->nifs && pw->ifs[i].key != key; i++)
		;
	if (i == pw->nifs) {
		const struct pktname_if *n = pktnames_iface(pw->names, p->netns, p->ifindex, p->pid);
		struct pcap_iface ifc = { .linktype = PCAP_LINKTYPE_RAW,
			                  .name = n->name,
			                  .description = n->desc };
		int id;

		if (i == ARRAY_SIZE(pw->ifs) || (id = pcap_writer_add_iface(pw->w, &ifc)) < 0)
			return;
		pw->ifs[i].key = key;
		pw->ifs[i].id = (uint32_t)id;
		pw->nifs++;
	}
	pk.iface = pw->ifs[i].id;
	if (pw->carried) {
		agent_lost_note(note, sizeof(note), pw->carried);
		pk.note = note;
		pk.drops = pw->carried;
		pw->ifs[i].dropped += pw->carried;
		pw->carried = 0;
	}
	if (pcap_writer_packet(pw->w, &pk) == 0) {
		pw->ifs[i].received++;
		pw->packets++;
		if (!pw->first)
			pw->first = p->ts;
		pw->last = p->ts;
	}
}

int agent_packets_write(struct agent *a, const char *key, uint64_t from, uint64_t to, const char *container,
                        const struct i64map *pids, struct agent_part *out, struct err *e)
{
	struct agent_packets *k = a->packets;
	char comment[300];
	struct pcap_section_info si = { .userappl = "sysrec agent " AGENT_VERSION, .comment = comment };
	struct part_writer pw = { .container = container ? container : "", .pids = pids };
	int rc;

	memset(out, 0, sizeof(*out));
	if (!k || !k->ring)
		return err_set(e, -EINVAL, "this agent keeps no packets (packets.enabled is false)");
	snprintf(comment, sizeof(comment), "host=%s", a->host);
	if (!(pw.put = store_put_begin(a->store, key, e)))
		return errno ? -errno : -EIO;
	pw.w = pcap_writer_open_fn(part_out, pw.put, &si);
	pw.names = pktnames_new(0);
	pktring_read(k->ring, from, to, part_packet, &pw);
	if (pw.nifs) /* losses after the last packet kept: on the statistics block */
		pw.ifs[0].dropped += pw.carried;
	for (size_t i = 0; i < pw.nifs; i++)
		pcap_writer_set_stats(pw.w, pw.ifs[i].id,
		                      &(struct pcap_stats){ .received = pw.ifs[i].received,
		                                            .dropped = pw.ifs[i].dropped,
		                                            .start_ns = from,
		                                            .end_ns = to });
	pktnames_free(pw.names);
	if ((rc = pcap_writer_close(pw.w, e)) != 0) {
		store_put_abort(pw.put);
		return rc;
	}
	if ((rc = store_put_commit(pw.put, out->sha256, &out->size, e)) != 0)
		return rc;
	out->packets = pw.packets;
	out->lost = pw.lost;
	return 0;
}

uint64_t agent_iface_key(uint64_t netns, uint32_t ifindex)
{
	uint64_t h = netns * 0x9E3779B97F4A7C15ULL;

	return h ^ ((uint64_t)ifindex << 1) ^ (h >> 29);
}

void agent_lost_note(char *buf, size_t size, uint64_t n)
{
	snprintf(buf, size,
	         "%llu packets lost before this one (the agent was behind: its packet buffer was full)",
	         (unsigned long long)n);
}

bool agent_packets_kept(struct agent *a)
{
	return a->packets && a->packets->ring;
}
