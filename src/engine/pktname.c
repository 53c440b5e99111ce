/* pktname: names of packets' interfaces and owners' containers, kept once looked up. */
#include "engine.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Emptied past these: bounds for a long-lived agent. */
#define MAX_IFACES 4096
#define MAX_PIDS   65536

struct owner {
	char container[13];
	double at; /* mono_seconds() of the lookup */
};

struct pktnames {
	unsigned max_age_s;
	struct pktname_if *ifs;
	size_t nifs;
	struct i64map owners; /* pid -> struct owner */
};

struct pktnames *pktnames_new(unsigned max_age_s)
{
	struct pktnames *t = xcalloc(1, sizeof(*t));

	t->max_age_s = max_age_s;
	i64map_init(&t->owners);
	return t;
}

static void forget_owners(struct pktnames *t)
{
	for (size_t i = 0; i < t->owners.cap; i++)
		free(t->owners.slots[i].val);
	i64map_release(&t->owners);
	i64map_init(&t->owners);
}

void pktnames_free(struct pktnames *t)
{
	if (!t)
		return;
	forget_owners(t);
	i64map_release(&t->owners);
	free(t->ifs);
	free(t);
}

const struct pktname_if *pktnames_iface(struct pktnames *t, uint64_t netns, uint32_t ifindex, uint32_t pid)
{
	char name[IF_NAMESIZE], ns[64];
	struct pktname_if *n;

	for (size_t i = 0; i < t->nifs; i++)
		if (t->ifs[i].netns == netns && t->ifs[i].ifindex == ifindex)
			return &t->ifs[i];
	if (t->nifs == MAX_IFACES)
		t->nifs = 0;
	t->ifs = xrealloc(t->ifs, (t->nifs + 1) * sizeof(*t->ifs));
	n = &t->ifs[t->nifs++];
	n->netns = netns;
	n->ifindex = ifindex;
	if (engine_iface_name(netns, ifindex, pid, name, ns, sizeof(ns))) {
		if (ns[0]) {
			snprintf(n->name, sizeof(n->name), "%.15s@%.47s", name, ns); /* IF_NAMESIZE + 48 */
			snprintf(n->desc, sizeof(n->desc), "index %u in network namespace %s (cookie %llu)",
			         ifindex, ns, (unsigned long long)netns);
		} else {
			snprintf(n->name, sizeof(n->name), "%s", name);
			snprintf(n->desc, sizeof(n->desc), "index %u, host network namespace", ifindex);
		}
	} else {
		/* a namespace gone, or of no process left: said by its numbers */
		snprintf(n->name, sizeof(n->name), "if%u@netns%llu", ifindex, (unsigned long long)netns);
		snprintf(n->desc, sizeof(n->desc), "index %u in network namespace %llu (cookie)", ifindex,
		         (unsigned long long)netns);
	}
	return n;
}

const char *pktnames_container(struct pktnames *t, uint32_t pid)
{
	struct owner *o = i64map_get(&t->owners, pid);
	double now = t->max_age_s ? mono_seconds() : 0;

	if (o && t->max_age_s && now - o->at > t->max_age_s) {
		free(i64map_del(&t->owners, pid));
		o = NULL;
	}
	if (!o) {
		if (t->owners.len >= MAX_PIDS)
			forget_owners(t);
		o = xcalloc(1, sizeof(*o));
		engine_pid_container((int)pid, o->container);
		o->at = now;
		i64map_put(&t->owners, pid, o);
	}
	return o->container;
}
