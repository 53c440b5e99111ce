/*
 * netns: interfaces of other network namespaces, by name and by index.
 *
 * A packet says its interface as (network namespace cookie, index). To name
 * one, or to find the one a user names (`--pcap-iface veth0@ns1`), the
 * calling thread steps into the namespace (setns: a network namespace is a
 * thread's own), asks there, and steps back.
 */
#include "engine.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#ifndef SO_NETNS_COOKIE
#define SO_NETNS_COOKIE 71
#endif

uint64_t engine_netns_cookie(void)
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
 * Run in the namespace of nspath: its cookie into *cookie and, for a name,
 * its index into *ifindex, or for an index (*ifindex set, name[0] 0), its
 * name. 0, or -errno (the namespace cannot be entered: -EPERM, -ENOENT...).
 */
static int ask_in(const char *nspath, uint64_t *cookie, char name[IF_NAMESIZE], uint32_t *ifindex)
{
	int back = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
	int ns = open(nspath, O_RDONLY | O_CLOEXEC);
	int rc = 0;

	if (back < 0 || ns < 0) {
		rc = -errno;
		goto out;
	}
	if (setns(ns, CLONE_NEWNET) < 0) {
		rc = -errno;
		goto out;
	}
	*cookie = engine_netns_cookie();
	if (name[0])
		*ifindex = if_nametoindex(name);
	else if (!if_indextoname(*ifindex, name))
		name[0] = 0;
	if (setns(back, CLONE_NEWNET) < 0)
		abort(); /* a thread left in another namespace would name everything wrongly */
out:
	if (ns >= 0)
		close(ns);
	if (back >= 0)
		close(back);
	return rc;
}

bool engine_iface_name(uint64_t netns, uint32_t ifindex, uint32_t pid, char name[IF_NAMESIZE], char *ns,
                       size_t nslen)
{
	char path[300];
	uint64_t cookie = 0;
	struct dirent *de;
	DIR *d;

	ns[0] = 0;
	name[0] = 0;
	if (netns == engine_netns_cookie())
		return if_indextoname(ifindex, name) != NULL;
	/* a namespace made with `ip netns add` has a name, said as iproute2 says it */
	if ((d = opendir("/run/netns"))) {
		while ((de = readdir(d))) {
			uint32_t idx = ifindex;

			if (de->d_name[0] == '.')
				continue;
			snprintf(path, sizeof(path), "/run/netns/%s", de->d_name);
			name[0] = 0;
			if (ask_in(path, &cookie, name, &idx) == 0 && cookie == netns && name[0]) {
				snprintf(ns, nslen, "%s", de->d_name);
				closedir(d);
				return true;
			}
		}
		closedir(d);
	}
	/* else the namespace of the packet's process, while it lives */
	if (pid) {
		uint32_t idx = ifindex;

		snprintf(path, sizeof(path), "/proc/%u/ns/net", pid);
		name[0] = 0;
		if (ask_in(path, &cookie, name, &idx) == 0 && cookie == netns && name[0]) {
			snprintf(ns, nslen, "pid %u", pid);
			return true;
		}
	}
	name[0] = 0;
	return false;
}

int engine_iface_lookup(const char *spec, struct engine_iface *out, struct err *e)
{
	const char *at = strchr(spec, '@');
	size_t nlen = at ? (size_t)(at - spec) : strlen(spec);
	char name[IF_NAMESIZE] = { 0 }, path[300];
	uint32_t ifindex = 0;
	int rc;

	if (!nlen || nlen >= IF_NAMESIZE)
		return err_set(e, -EINVAL, "'%s': an interface name is 1 to %d characters", spec,
		               IF_NAMESIZE - 1);
	memcpy(name, spec, nlen);
	name[nlen] = 0;
	if (!at) {
		out->netns = engine_netns_cookie();
		out->ifindex = if_nametoindex(name);
		if (!out->ifindex)
			return err_set(e, -ENODEV,
			               "'%s': no such interface in this network namespace "
			               "(NAME@NETNS names one in another: an `ip netns` name or a pid)",
			               spec);
		return 0;
	}
	at++;
	if (*at && strspn(at, "0123456789") == strlen(at))
		snprintf(path, sizeof(path), "/proc/%s/ns/net", at);
	else if (*at && !strchr(at, '/') && strcmp(at, ".") != 0 && strcmp(at, "..") != 0)
		snprintf(path, sizeof(path), "/run/netns/%s", at);
	else
		return err_set(e, -EINVAL, "'%s': after '@' comes an `ip netns` name or a pid", spec);
	rc = ask_in(path, &out->netns, name, &ifindex);
	if (rc)
		return err_set(e, rc, "'%s': cannot enter network namespace %s: %s", spec, path,
		               strerror(-rc));
	if (!ifindex)
		return err_set(e, -ENODEV, "'%s': no interface %s in network namespace %s", spec, name, at);
	out->ifindex = ifindex;
	return 0;
}
