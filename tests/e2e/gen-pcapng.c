/*
 * gen-pcapng DIR: pcapng files written with sysrec's pcap writer, for the
 * peers that read them (tests/e2e/pcap.sh: tshark, capinfos) and as seeds of
 * the pcapng fuzzer (scripts/fuzz.sh):
 *   packets.pcapng  two interfaces of raw IP (LINKTYPE_RAW): IPv4 UDP both
 *                   ways and a TCP SYN, owned by processes (one in a
 *                   container), a drop note; an IPv6 UDP datagram; an ICMP
 *                   echo cut by its interface's snaplen; statistics
 *   empty.pcapng    a section and an interface, no packets
 * The packets are built by hand, checksums included.
 */
#include "../../src/common/common.h"
#include "../../src/pcap/pcap.h"

#include <stdio.h>
#include <string.h>

#define T0 (1700000000ULL * 1000000000ULL)

static const struct pcap_section_info si = { .userappl = "sysrec gen-pcapng" };

/* The Internet checksum of n bytes, starting from sum. */
static uint16_t csum(uint32_t sum, const uint8_t *p, size_t n)
{
	for (size_t i = 0; i + 1 < n; i += 2)
		sum += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (n % 2)
		sum += (uint32_t)p[n - 1] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

static void be16(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

/* The pseudo-header sum of a transport checksum: addresses, protocol, length. */
static uint32_t pseudo_sum(const uint8_t *addrs, size_t alen, uint8_t proto, size_t len)
{
	uint32_t sum = proto + (uint32_t)len;

	for (size_t i = 0; i < 2 * alen; i += 2)
		sum += (uint32_t)(addrs[i] << 8 | addrs[i + 1]);
	return sum;
}

/* An IPv4 header at p for l4len bytes of proto; returns 20. */
static size_t ipv4(uint8_t *p, uint8_t proto, const uint8_t src[4], const uint8_t dst[4], size_t l4len)
{
	memset(p, 0, 20);
	p[0] = 0x45;
	be16(p + 2, (uint32_t)(20 + l4len));
	be16(p + 4, 0x1234);
	p[6] = 0x40; /* don't fragment */
	p[8] = 64;
	p[9] = proto;
	memcpy(p + 12, src, 4);
	memcpy(p + 16, dst, 4);
	be16(p + 10, csum(0, p, 20));
	return 20;
}

/* A UDP datagram at p (after an IP header whose addresses are at addrs, alen bytes each). */
static size_t udp(uint8_t *p, const uint8_t *addrs, size_t alen, uint16_t sport, uint16_t dport,
                  const char *data)
{
	size_t n = 8 + strlen(data);

	be16(p, sport);
	be16(p + 2, dport);
	be16(p + 4, (uint32_t)n);
	be16(p + 6, 0);
	memcpy(p + 8, data, n - 8);
	be16(p + 6, csum(pseudo_sum(addrs, alen, 17, n), p, n));
	return n;
}

static size_t udp4(uint8_t *pkt, const uint8_t src[4], const uint8_t dst[4], uint16_t sport, uint16_t dport,
                   const char *data)
{
	size_t n = 8 + strlen(data);

	ipv4(pkt, 17, src, dst, n);
	return 20 + udp(pkt + 20, pkt + 12, 4, sport, dport, data);
}

static size_t udp6(uint8_t *pkt, const uint8_t src[16], const uint8_t dst[16], uint16_t sport, uint16_t dport,
                   const char *data)
{
	size_t n = 8 + strlen(data);

	memset(pkt, 0, 40);
	pkt[0] = 0x60;
	be16(pkt + 4, (uint32_t)n);
	pkt[6] = 17;
	pkt[7] = 64;
	memcpy(pkt + 8, src, 16);
	memcpy(pkt + 24, dst, 16);
	return 40 + udp(pkt + 40, pkt + 8, 16, sport, dport, data);
}

static size_t tcp_syn(uint8_t *pkt, const uint8_t src[4], const uint8_t dst[4], uint16_t sport,
                      uint16_t dport)
{
	uint8_t *t = pkt + 20;

	ipv4(pkt, 6, src, dst, 20);
	memset(t, 0, 20);
	be16(t, sport);
	be16(t + 2, dport);
	be16(t + 4, 0x0102);
	be16(t + 6, 0x0304); /* sequence number */
	t[12] = 5 << 4;
	t[13] = 0x02; /* SYN */
	be16(t + 14, 64240);
	be16(t + 16, csum(pseudo_sum(pkt + 12, 4, 6, 20), t, 20));
	return 40;
}

static size_t icmp_echo(uint8_t *pkt, const uint8_t src[4], const uint8_t dst[4], size_t datalen)
{
	uint8_t *c = pkt + 20;

	ipv4(pkt, 1, src, dst, 8 + datalen);
	memset(c, 0, 8);
	c[0] = 8; /* echo request */
	be16(c + 4, 0x77);
	be16(c + 6, 1);
	for (size_t i = 0; i < datalen; i++)
		c[8 + i] = (uint8_t)i;
	be16(c + 2, csum(0, c, 8 + datalen));
	return 20 + 8 + datalen;
}

static int put(struct pcap_writer *w, struct pcap_packet *p, const uint8_t *pkt, size_t len)
{
	p->data = pkt;
	p->caplen = (uint32_t)len;
	return pcap_writer_packet(w, p);
}

static int write_packets(struct pcap_writer *w)
{
	static const uint8_t a[4] = { 10, 1, 2, 3 }, b[4] = { 10, 9, 8, 7 };
	static const uint8_t c[4] = { 192, 0, 2, 10 }, d[4] = { 198, 51, 100, 20 }, lo[4] = { 127, 0, 0, 1 };
	static const uint8_t v6a[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 1 },
	                     v6b[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 2 };
	const struct pcap_owner curl = { 4242, 4243, "curl", "3f2a9c1b7e4d", 5 };
	const struct pcap_owner nginx = { 4300, 4301, "nginx: worker", NULL, 7 };
	struct pcap_packet p;
	uint8_t pkt[256];
	int rc = 0;

	p = (struct pcap_packet){ .iface = 0, .ts_ns = T0, .dir = PCAP_DIR_OUT, .owner = &curl };
	rc |= put(w, &p, pkt, udp4(pkt, a, b, 45678, 45679, "sysrec-query"));
	p = (struct pcap_packet){ .iface = 0,
		                  .ts_ns = T0 + 1000000,
		                  .dir = PCAP_DIR_IN,
		                  .owner = &curl,
		                  .note = "2 packets lost before this one",
		                  .drops = 2 };
	rc |= put(w, &p, pkt, udp4(pkt, b, a, 45679, 45678, "sysrec-answer"));
	p = (struct pcap_packet){ .iface = 0, .ts_ns = T0 + 2000000, .dir = PCAP_DIR_OUT, .owner = &nginx };
	rc |= put(w, &p, pkt, tcp_syn(pkt, c, d, 51000, 443));
	p = (struct pcap_packet){ .iface = 1, .ts_ns = T0 + 3000000, .dir = PCAP_DIR_IN };
	rc |= put(w, &p, pkt, udp6(pkt, v6a, v6b, 5000, 6000, "v6"));
	p = (struct pcap_packet){ .iface = 1, .ts_ns = T0 + 4000000 };
	rc |= put(w, &p, pkt, icmp_echo(pkt, lo, lo, 100)); /* 128 bytes, 64 kept */
	return rc;
}

static int gen_packets(const char *dir)
{
	const struct pcap_iface any = { PCAP_LINKTYPE_RAW, 0, "any", "every interface (sysrec e2e)",
		                        T0 - 1000000000 };
	const struct pcap_iface lo = { PCAP_LINKTYPE_RAW, 64, "lo", NULL, T0 - 1000000000 };
	const struct pcap_stats s_any = { .received = 5, .dropped = 2, .end_ns = T0 + 1000000000 },
	                        s_lo = { .received = 2, .end_ns = T0 + 1000000000 };
	struct pcap_writer *w;
	struct err e;
	char path[4096];

	snprintf(path, sizeof(path), "%s/packets.pcapng", dir);
	w = pcap_writer_open(path, &si, &e);
	if (!w) {
		fprintf(stderr, "gen-pcapng: %s\n", e.msg);
		return 1;
	}
	if (pcap_writer_add_iface(w, &any) != 0 || pcap_writer_add_iface(w, &lo) != 1 || write_packets(w) ||
	    pcap_writer_set_stats(w, 0, &s_any) || pcap_writer_set_stats(w, 1, &s_lo)) {
		fprintf(stderr, "gen-pcapng: %s: cannot write the packets\n", path);
		pcap_writer_abort(w);
		return 1;
	}
	if (pcap_writer_close(w, &e)) {
		fprintf(stderr, "gen-pcapng: %s\n", e.msg);
		return 1;
	}
	return 0;
}

static int gen_empty(const char *dir)
{
	const struct pcap_iface eth = { PCAP_LINKTYPE_ETHERNET, 262144, "eth0", NULL, T0 };
	struct pcap_writer *w;
	struct err e;
	char path[4096];

	snprintf(path, sizeof(path), "%s/empty.pcapng", dir);
	w = pcap_writer_open(path, &si, &e);
	if (!w) {
		fprintf(stderr, "gen-pcapng: %s\n", e.msg);
		return 1;
	}
	pcap_writer_add_iface(w, &eth);
	if (pcap_writer_close(w, &e)) {
		fprintf(stderr, "gen-pcapng: %s\n", e.msg);
		return 1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: gen-pcapng DIR\n");
		return 2;
	}
	return gen_packets(argv[1]) || gen_empty(argv[1]);
}
