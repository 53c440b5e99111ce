/*
 * rotnames: the names of rotated files (-C, -G, -W, -e), as sysdig's cycle
 * writer names them, for the .scap files and the pcapng files alike.
 */
#ifndef SYSREC_ROTNAMES_H
#define SYSREC_ROTNAMES_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

struct rotnames {
	const char *path;     /* the file, or the base of rotated names (strftime codes with -G) */
	uint64_t rotate_mb;   /* -C */
	uint64_t rotate_secs; /* -G */
	uint64_t max_files;   /* -W: a ring of this many names (0: no limit) */
	uint64_t file_events; /* -e */
	bool rotating;        /* any of -C, -G, -e: names carry an index or a time */
	uint64_t index;       /* of the next name */
	char **past;          /* -G with strftime names and -W: the ring's names */
};

void rotnames_init(struct rotnames *r, const char *path, uint64_t rotate_mb, uint64_t rotate_secs,
                   uint64_t max_files, uint64_t file_events);
/*
 * The name of the next file: with -G and a '%' in the path, strftime of the
 * period's start; otherwise the path with the file's index appended
 * (zero-padded to the digits of -W with -C). With -W, a ring: a slot reused
 * under a new strftime name removes the file that had it. Free it.
 */
char *rotnames_next(struct rotnames *r, time_t start);
void rotnames_release(struct rotnames *r);

#endif
