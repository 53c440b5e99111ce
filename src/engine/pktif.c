/*
 * pktif: the tc programs on every interface of every network namespace.
 *
 * A tcx link attaches a program to one interface, named by its index in the
 * attaching thread's network namespace; it is the link's fd that keeps it
 * attached (closing it or our exit detaches it), and the kernel detaches it
 * by itself when the interface goes. So one thread of ours visits each
 * namespace in turn (setns) and attaches to each of its interfaces, and
 * keeps doing so while the recording runs:
 *
 *  - our own namespace, where containers' veth ends and the host's devices
 *    live, is watched through rtnetlink (RTMGRP_LINK): a new interface is
 *    attached as soon as it is made, before it is up;
 *  - every SCAN_MS the namespaces are listed again (those of the processes,
 *    /proc/PID/ns/net, and those `ip netns` keeps in /run/netns) and each
 *    one's interfaces dumped: new namespaces and the interfaces made in the
 *    others are attached then. Nothing of another namespace is held between
 *    scans (an open namespace or a socket in it would keep it alive after
 *    its last process, and its veth pair with it).
 *
 * A namespace with no process and no /run/netns entry is not found.
 * Attaching costs the kernel an RCU grace period under the rtnl lock (about
 * 12 ms here) for each program on each interface, detaching as much.
 */
#include "pktif.h"

#include <bpf/bpf.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* enum bpf_attach_type's tcx values (uapi, Linux 6.6), not in older headers */
#define TCX_INGRESS 46
#define TCX_EGRESS  47

#define SCAN_MS 1000

/* A namespace, by its nsfs inode. */
struct ns_id {
	dev_t dev;
	ino_t ino;
};

/* One interface's two links. */
struct link {
	struct ns_id ns;
	int ifindex;
	int in, out; /* link fds (-1: refused) */
	bool seen;   /* in its namespace's latest dump */
};

struct pktif {
	int prog_in, prog_out;
	bool own_only; /* our namespace's interfaces only: no scan of the others */
	int own;       /* our network namespace (an fd) */
	int nl;        /* rtnetlink, RTMGRP_LINK, in our namespace */
	int wake;      /* eventfd: stop */
	struct ns_id own_id;
	pthread_t thread;
	bool running;
	pthread_mutex_t mu; /* the fields below, read by pktif_counts() */
	pthread_cond_t cv;
	int ready; /* the first scan is done: 1, or a negative errno of our namespace's */
	struct link *links;
	size_t nlinks;
	uint32_t namespaces, failed;
	double scan_ms;
	struct ns_id *seen; /* namespaces met in the current scan */
	size_t nseen;
};

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static bool same_ns(struct ns_id a, struct ns_id b)
{
	return a.dev == b.dev && a.ino == b.ino;
}

bool pktif_supported(void)
{
	/* r0 = -1 (TCX_NEXT); exit */
	const struct bpf_insn insns[] = { { .code = 0xb7, .dst_reg = 0, .imm = -1 }, { .code = 0x95 } };
	int prog = bpf_prog_load(BPF_PROG_TYPE_SCHED_CLS, NULL, "GPL", insns, 2, NULL), link;
	bool yes;

	if (prog < 0)
		return false;
	/* no interface has index 0: a kernel that knows tcx says so, one that does not refuses the type */
	link = bpf_link_create(prog, 0, TCX_INGRESS, NULL);
	yes = link < 0 && errno == ENODEV;
	if (link >= 0)
		close(link);
	close(prog);
	return yes;
}

static struct link *find_link(struct pktif *t, struct ns_id ns, int ifindex)
{
	for (size_t i = 0; i < t->nlinks; i++)
		if (t->links[i].ifindex == ifindex && same_ns(t->links[i].ns, ns))
			return &t->links[i];
	return NULL;
}

/* Attach both programs to ifindex of the current thread's namespace ns (once); 0 or -errno. */
static int attach(struct pktif *t, struct ns_id ns, int ifindex)
{
	struct link *l = find_link(t, ns, ifindex), n = { ns, ifindex, -1, -1, true };
	int rc = 0;

	if (l) {
		l->seen = true;
		return 0;
	}
	n.in = bpf_link_create(t->prog_in, ifindex, TCX_INGRESS, NULL);
	if (n.in < 0)
		rc = -errno;
	n.out = bpf_link_create(t->prog_out, ifindex, TCX_EGRESS, NULL);
	if (n.out < 0 && !rc)
		rc = -errno;
	if (rc == -ENODEV && n.in < 0 && n.out < 0)
		return 0; /* gone meanwhile */
	pthread_mutex_lock(&t->mu);
	if (rc)
		t->failed++;
	t->links = xrealloc(t->links, (t->nlinks + 1) * sizeof(*t->links));
	t->links[t->nlinks++] = n;
	pthread_mutex_unlock(&t->mu);
	return rc;
}

/* Close the links at index i (swapped with the last). */
static void drop_link(struct pktif *t, size_t i)
{
	if (t->links[i].in >= 0)
		close(t->links[i].in);
	if (t->links[i].out >= 0)
		close(t->links[i].out);
	pthread_mutex_lock(&t->mu);
	t->links[i] = t->links[--t->nlinks];
	pthread_mutex_unlock(&t->mu);
}

static void detach(struct pktif *t, struct ns_id ns, int ifindex)
{
	for (size_t i = 0; i < t->nlinks; i++)
		if (t->links[i].ifindex == ifindex && same_ns(t->links[i].ns, ns)) {
			drop_link(t, i);
			return;
		}
}

/*
 * The link messages in buf (n bytes) of namespace ns: attach to new
 * interfaces, forget deleted ones. 1 at the end of a dump, -errno on an error
 * message, else 0; *first_err keeps the first attach failure.
 */
static int on_links(struct pktif *t, struct ns_id ns, const void *buf, size_t n, int *first_err)
{
	for (const struct nlmsghdr *h = buf; NLMSG_OK(h, n); h = NLMSG_NEXT(h, n)) {
		const struct ifinfomsg *ifi = NLMSG_DATA(h);
		int rc;

		if (h->nlmsg_type == NLMSG_DONE)
			return 1;
		if (h->nlmsg_type == NLMSG_ERROR) {
			const struct nlmsgerr *ne = NLMSG_DATA(h);

			return ne->error ? ne->error : -EIO;
		}
		if (h->nlmsg_len < NLMSG_LENGTH(sizeof(*ifi)))
			continue;
		if (h->nlmsg_type == RTM_DELLINK) {
			detach(t, ns, ifi->ifi_index);
		} else if (h->nlmsg_type == RTM_NEWLINK) {
			rc = attach(t, ns, ifi->ifi_index);
			if (rc && first_err && !*first_err)
				*first_err = rc;
		}
	}
	return 0;
}

/*
 * Attach to every interface of the current thread's namespace ns, and drop
 * the links of the ones gone since the last dump; 0, or the first attach's
 * failure (-errno) when no interface of ns has a link.
 */
static int dump_links(struct pktif *t, struct ns_id ns)
{
	struct {
		struct nlmsghdr h;
		struct ifinfomsg ifi;
	} req = { { NLMSG_LENGTH(sizeof(struct ifinfomsg)), RTM_GETLINK, NLM_F_REQUEST | NLM_F_DUMP, 1, 0 },
		  { .ifi_family = AF_UNSPEC } };
	char buf[32768];
	int s = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE), first_err = 0, rc = 0;

	if (s < 0)
		return -errno;
	for (size_t i = 0; i < t->nlinks; i++)
		if (same_ns(t->links[i].ns, ns))
			t->links[i].seen = false;
	if (send(s, &req, req.h.nlmsg_len, 0) < 0)
		rc = -errno;
	while (!rc) {
		ssize_t n = recv(s, buf, sizeof(buf), 0);

		if (n < 0 && errno == EINTR)
			continue;
		rc = n <= 0 ? -EIO : on_links(t, ns, buf, (size_t)n, &first_err);
	}
	close(s);
	if (rc == 1) /* a whole dump: what it did not list is gone */
		for (size_t i = t->nlinks; i-- > 0;)
			if (same_ns(t->links[i].ns, ns) && !t->links[i].seen)
				drop_link(t, i);
	for (size_t i = 0; i < t->nlinks; i++)
		if (same_ns(t->links[i].ns, ns) && (t->links[i].in >= 0 || t->links[i].out >= 0))
			return 0;
	return first_err ? first_err : rc < 0 ? rc : -ENODEV;
}

/* The namespace of path (a /proc/PID/ns/net or /run/netns entry), once per scan. */
static void visit(struct pktif *t, const char *path)
{
	struct stat st;
	struct ns_id id;
	int fd;

	if (stat(path, &st) < 0)
		return;
	id = (struct ns_id){ st.st_dev, st.st_ino };
	for (size_t i = 0; i < t->nseen; i++)
		if (same_ns(t->seen[i], id))
			return;
	t->seen = xrealloc(t->seen, (t->nseen + 1) * sizeof(*t->seen));
	t->seen[t->nseen++] = id;
	if (same_ns(id, t->own_id))
		return; /* dumped first */
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	if (setns(fd, CLONE_NEWNET) == 0)
		dump_links(t, id);
	close(fd);
}

/*
 * Every namespace, each one's interfaces; the links of namespaces no longer
 * found closed. 0, or why no interface of our own namespace has a link.
 */
static int scan(struct pktif *t)
{
	double t0 = now_ms();
	char path[300];
	struct dirent *de;
	DIR *d;
	int rc;

	t->nseen = 0;
	t->seen = xrealloc(t->seen, sizeof(*t->seen));
	t->seen[t->nseen++] = t->own_id;
	setns(t->own, CLONE_NEWNET);
	rc = dump_links(t, t->own_id);
	if (!t->own_only && (d = opendir("/proc"))) {
		while ((de = readdir(d)))
			if (de->d_name[0] >= '1' && de->d_name[0] <= '9') {
				snprintf(path, sizeof(path), "/proc/%s/ns/net", de->d_name);
				visit(t, path);
			}
		closedir(d);
	}
	if (!t->own_only && (d = opendir("/run/netns"))) {
		while ((de = readdir(d)))
			if (de->d_name[0] != '.') {
				snprintf(path, sizeof(path), "/run/netns/%s", de->d_name);
				visit(t, path);
			}
		closedir(d);
	}
	setns(t->own, CLONE_NEWNET); /* our namespace's rtnetlink messages name its indexes */
	for (size_t i = t->nlinks; i-- > 0;) {
		bool found = false;

		for (size_t j = 0; j < t->nseen && !found; j++)
			found = same_ns(t->links[i].ns, t->seen[j]);
		if (!found)
			drop_link(t, i);
	}
	pthread_mutex_lock(&t->mu);
	t->namespaces = (uint32_t)t->nseen;
	t->scan_ms = now_ms() - t0;
	pthread_mutex_unlock(&t->mu);
	return rc;
}

/* Our namespace's link messages since the last call; false when some were lost (a scan tells). */
static bool own_events(struct pktif *t)
{
	char buf[32768];
	ssize_t n;

	while ((n = recv(t->nl, buf, sizeof(buf), MSG_DONTWAIT)) > 0)
		on_links(t, t->own_id, buf, (size_t)n, NULL);
	return !(n < 0 && errno == ENOBUFS);
}

static void *watch(void *arg)
{
	struct pktif *t = arg;
	int rc = scan(t);
	double next = now_ms() + SCAN_MS;

	pthread_mutex_lock(&t->mu);
	t->ready = rc ? rc : 1;
	pthread_cond_signal(&t->cv);
	pthread_mutex_unlock(&t->mu);
	if (rc)
		return NULL;
	for (;;) {
		struct pollfd p[2] = { { t->wake, POLLIN, 0 }, { t->nl, POLLIN, 0 } };
		double left = next - now_ms();

		if (poll(p, 2, left > 0 ? (int)left + 1 : 0) < 0 && errno != EINTR)
			break;
		if (p[0].revents)
			break;
		if (p[1].revents && !own_events(t))
			next = 0;
		if (now_ms() >= next) {
			scan(t);
			/* our namespace alone: its own messages tell of each interface (a rescan when some
			 * were lost) */
			next = now_ms() + (t->own_only ? 1e12 : SCAN_MS);
		}
	}
	return NULL;
}

struct pktif *pktif_start(int prog_in, int prog_out, bool own_only, struct err *e)
{
	struct pktif *t = xcalloc(1, sizeof(*t));
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK, .nl_groups = RTMGRP_LINK };
	struct stat st;
	int rc;

	t->prog_in = prog_in;
	t->prog_out = prog_out;
	t->own_only = own_only;
	t->nl = t->wake = -1;
	pthread_mutex_init(&t->mu, NULL);
	pthread_cond_init(&t->cv, NULL);
	t->own = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
	if (t->own < 0 || fstat(t->own, &st) < 0) {
		err_set(e, -errno, "cannot open our network namespace: %s", strerror(errno));
		goto fail;
	}
	t->own_id = (struct ns_id){ st.st_dev, st.st_ino };
	/* subscribed before the first dump: no interface made in between is missed */
	t->nl = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, NETLINK_ROUTE);
	if (t->nl < 0 || bind(t->nl, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		err_set(e, -errno, "cannot watch the network interfaces (rtnetlink): %s", strerror(errno));
		goto fail;
	}
	t->wake = eventfd(0, EFD_CLOEXEC);
	if (t->wake < 0 || pthread_create(&t->thread, NULL, watch, t) != 0) {
		err_set(e, -EAGAIN, "cannot start the thread that attaches to the network interfaces");
		goto fail;
	}
	t->running = true;
	pthread_mutex_lock(&t->mu);
	while (!t->ready)
		pthread_cond_wait(&t->cv, &t->mu);
	rc = t->ready;
	pthread_mutex_unlock(&t->mu);
	if (rc < 0) {
		err_set(e, rc, "cannot attach the packet programs to the network interfaces: %s",
		        strerror(-rc));
		pktif_free(t);
		return NULL;
	}
	return t;
fail:
	pktif_free(t);
	return NULL;
}

void pktif_stop(struct pktif *t)
{
	uint64_t one = 1;

	if (t->running) {
		ssize_t n = write(t->wake, &one, sizeof(one)); /* an eventfd takes it */

		(void)n;
		pthread_join(t->thread, NULL);
		t->running = false;
	}
	while (t->nlinks)
		drop_link(t, t->nlinks - 1);
}

void pktif_counts(struct pktif *t, struct pktif_counts *out)
{
	pthread_mutex_lock(&t->mu);
	*out = (struct pktif_counts){ t->namespaces, (uint32_t)t->nlinks, t->failed, t->scan_ms };
	pthread_mutex_unlock(&t->mu);
}

void pktif_free(struct pktif *t)
{
	if (!t)
		return;
	pktif_stop(t);
	if (t->own >= 0)
		close(t->own);
	if (t->nl >= 0)
		close(t->nl);
	if (t->wake >= 0)
		close(t->wake);
	pthread_cond_destroy(&t->cv);
	pthread_mutex_destroy(&t->mu);
	free(t->links);
	free(t->seen);
	free(t);
}
