/* filter: tcpdump's filter language, compiled and run by libpcap, for packets from their IP header on. */
#include "pcap.h"

#include <errno.h>
#include <pcap/pcap.h>
#include <stdlib.h>

struct pcap_filter {
	struct bpf_program prog;
};

struct pcap_filter *pcap_filter_new(const char *expr, struct err *e)
{
	pcap_t *p = pcap_open_dead(DLT_RAW, PCAP_MAX_SNAPLEN);
	struct pcap_filter *f;

	if (!p) {
		err_set(e, -ENOMEM, "cannot set up libpcap's filter compiler");
		return NULL;
	}
	f = xcalloc(1, sizeof(*f));
	if (pcap_compile(p, &f->prog, expr, 1, PCAP_NETMASK_UNKNOWN) < 0) {
		err_set(e, -EINVAL, "'%s': %s", expr, pcap_geterr(p));
		free(f);
		f = NULL;
	}
	pcap_close(p);
	return f;
}

int pcap_filter_check(const char *expr, struct err *e)
{
	struct pcap_filter *f = pcap_filter_new(expr, e);

	if (!f)
		return -EINVAL;
	pcap_filter_free(f);
	return 0;
}

bool pcap_filter_match(const struct pcap_filter *f, const void *data, uint32_t caplen, uint32_t len)
{
	struct pcap_pkthdr h = { .caplen = caplen, .len = len ? len : caplen };

	return pcap_offline_filter(&f->prog, &h, data) != 0;
}

void pcap_filter_free(struct pcap_filter *f)
{
	if (!f)
		return;
	pcap_freecode(&f->prog);
	free(f);
}
