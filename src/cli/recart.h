/*
 * recart: `sysrec record`'s artifacts (--artifacts, --capture write/exec): a
 * thread of its own takes the engine's artifact records
 * (engine_artifacts_poll) into an artifact directory (src/artifacts).
 */
#ifndef SYSREC_RECART_H
#define SYSREC_RECART_H

#include "../artifacts/artifacts.h"
#include "../engine/engine.h"

struct recart_opts {
	const char *dir; /* artifacts in DIR/out */
	bool clear;      /* clear-dir: what a previous run left there goes first */
	bool profile; /* the runtime profile into DIR/out/profile.json (the binaries run are read for it) */
	struct art_limits lim;
};

struct recart;

/* Open the directory and start taking the engine's records; NULL with e set. */
struct recart *recart_start(const struct recart_opts *o, struct engine *en, struct err *e);

struct recart_counts {
	struct art_counts art;          /* kept, and not kept by cause */
	struct engine_art_stats kernel; /* the kernel side's: records, losses */
	uint64_t exec_unreadable;       /* binaries listed without their bytes */
	uint64_t incomplete; /* regions, modules or programs some of whose chunks the kernel lost */
};

/* The .scap files written alongside (after they are closed): the manifest names each artifact's events in
 * them.
 */
void recart_events_in(struct recart *ra, char *const *paths, size_t n);

/*
 * After engine_stop(): take what the kernel handed over, stop the thread,
 * write the manifest and free; counts into c (NULL: not wanted). 0 or -errno
 * with e set.
 */
int recart_finish(struct recart *ra, struct recart_counts *c, struct err *e);

#endif
