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
	const char *container = m->pid ? pktnames_container(k->names, m->pid) : "";

	k->lost_seen = seen;
	if (k->ring) {
		if (lost) {
			pktring_note_lost(k->ring, lost);
			atomic_fetch_add(&k->dropped, lost);
		}
		to_ring(k, m, container);
	}
	agent_pcapdump_packet(k->a->pcapdump, m, container,
	                      pktnames_iface(k->names, m->netns, m->ifindex, m->pid), lost);
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
