/*
 * wx-unpack: what an unpacker does (the artifacts e2e check, tests/e2e/artifacts.sh):
 * map three pages readable, writable and executable, write code into them,
 * then make them readable and executable only. Writes the region's bytes to
 * OUT and prints its address and length ("ADDR LEN", ADDR in hex).
 *
 *   wx-unpack OUT
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

int main(int argc, char **argv)
{
	size_t len = 3 * 4096;
	unsigned char *p;
	FILE *f;

	if (argc != 2) {
		fprintf(stderr, "usage: wx-unpack OUT\n");
		return 2;
	}
	p = mmap(NULL, len, PROT_READ | PROT_WRITE | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED) {
		perror("mmap");
		return 1;
	}
	/* "unpacked" code: nops and a return, then bytes that differ page to page */
	for (size_t i = 0; i < len; i++)
		p[i] = (unsigned char)(i % 97 == 0 ? 0xc3 : i % 5 ? 0x90 : (i * 131 + 7) & 0xff);
	if (mprotect(p, len, PROT_READ | PROT_EXEC) != 0) {
		perror("mprotect");
		return 1;
	}
	f = fopen(argv[1], "wb");
	if (!f || fwrite(p, 1, len, f) != len || fclose(f) != 0) {
		perror(argv[1]);
		return 1;
	}
	printf("%lx %zu\n", (unsigned long)p, len);
	return 0;
}
