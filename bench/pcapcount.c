/*
 * pcapcount: the packets of a pcap or pcapng file, counted for the packet
 * benchmark (bench/packets.sh); pcapng's also by direction (epb_flags).
 *
 *   pcapcount FILE
 *
 * Prints one line: "packets N caplen B origlen B in N out N nodir N truncated 0|1".
 * A file cut inside a record (a recorder stopped mid-write) counts the
 * whole records before the cut and says truncated 1. Reads only the record
 * headers and pcapng's options (the file is mapped), so counting a file of
 * many GB touches little of it. Written for the benchmark, not for untrusted
 * files in general: a malformed block ends the count (truncated 1).
 * Exit status 0, 1 when the file cannot be read or is neither format, 2 on usage.
 */
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

struct counts {
	uint64_t packets, caplen, origlen, in, out, nodir;
	bool truncated;
};

static uint32_t get32(const uint8_t *p, bool swap)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return swap ? __builtin_bswap32(v) : v;
}

static uint16_t get16(const uint8_t *p, bool swap)
{
	uint16_t v;

	memcpy(&v, p, 2);
	return swap ? __builtin_bswap16(v) : v;
}

/* Classic pcap: a 24-byte header, then 16-byte record headers (incl_len at 8, orig_len at 12). */
static void count_pcap(const uint8_t *f, size_t n, bool swap, struct counts *c)
{
	size_t off = 24;

	while (off + 16 <= n) {
		uint32_t incl = get32(f + off + 8, swap);

		if (incl > n - off - 16)
			break;
		c->packets++;
		c->nodir++;
		c->caplen += incl;
		c->origlen += get32(f + off + 12, swap);
		off += 16 + (size_t)incl;
	}
	c->truncated = off != n;
}

/* The direction in an enhanced packet block's options: 1 in, 2 out, 0 not said. */
static unsigned epb_direction(const uint8_t *opt, const uint8_t *end, bool swap)
{
	while (opt + 4 <= end) {
		uint16_t code = get16(opt, swap), len = get16(opt + 2, swap);

		if (code == 0 || (size_t)(end - opt - 4) < len)
			break;
		if (code == 2 && len == 4)
			return get32(opt + 4, swap) & 3;
		opt += 4 + ((len + 3u) & ~3u);
	}
	return 0;
}

/* pcapng: blocks of type, total length, body, total length; each section says its byte order. */
static void count_pcapng(const uint8_t *f, size_t n, struct counts *c)
{
	size_t off = 0;
	bool swap = false;

	while (off + 12 <= n) {
		uint32_t type, len;

		if (get32(f + off, false) == 0x0A0D0D0A) /* a section header: its byte-order magic */
			swap = get32(f + off + 8, false) != 0x1A2B3C4D;
		type = get32(f + off, swap);
		len = get32(f + off + 4, swap);
		if (len < 12 || len % 4 || len > n - off)
			break;
		if (type == 6 && len >= 32) { /* enhanced packet block */
			uint32_t cap = get32(f + off + 20, swap);
			size_t data_end = 28 + (((size_t)cap + 3) & ~(size_t)3);

			if (data_end > len - 4)
				break;
			c->packets++;
			c->caplen += cap;
			c->origlen += get32(f + off + 24, swap);
			switch (epb_direction(f + off + data_end, f + off + len - 4, swap)) {
			case 1:
				c->in++;
				break;
			case 2:
				c->out++;
				break;
			default:
				c->nodir++;
			}
		} else if (type == 3 && len >= 16) { /* simple packet block: no direction, no caplen */
			uint32_t orig = get32(f + off + 8, swap);

			c->packets++;
			c->nodir++;
			c->origlen += orig;
			c->caplen += orig < len - 16 ? orig : len - 16;
		}
		off += len;
	}
	c->truncated = off != n;
}

int main(int argc, char **argv)
{
	struct counts c = { 0 };
	struct stat st;
	const uint8_t *f = NULL;
	uint32_t magic;
	int fd;

	if (argc != 2) {
		fprintf(stderr, "usage: pcapcount FILE\n");
		return 2;
	}
	fd = open(argv[1], O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) < 0) {
		perror(argv[1]);
		return 1;
	}
	if (st.st_size >= 24) {
		f = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
		if (f == MAP_FAILED) {
			perror(argv[1]);
			return 1;
		}
	}
	close(fd);
	if (!f) {
		fprintf(stderr, "%s: too short for a capture\n", argv[1]);
		return 1;
	}
	magic = get32(f, false);
	if (magic == 0xA1B2C3D4 || magic == 0xA1B23C4D)
		count_pcap(f, (size_t)st.st_size, false, &c);
	else if (magic == 0xD4C3B2A1 || magic == 0x4D3CB2A1)
		count_pcap(f, (size_t)st.st_size, true, &c);
	else if (magic == 0x0A0D0D0A)
		count_pcapng(f, (size_t)st.st_size, &c);
	else {
		fprintf(stderr, "%s: neither pcap nor pcapng\n", argv[1]);
		return 1;
	}
	printf("packets %llu caplen %llu origlen %llu in %llu out %llu nodir %llu truncated %d\n",
	       (unsigned long long)c.packets, (unsigned long long)c.caplen, (unsigned long long)c.origlen,
	       (unsigned long long)c.in, (unsigned long long)c.out, (unsigned long long)c.nodir,
	       c.truncated ? 1 : 0);
	return 0;
}
