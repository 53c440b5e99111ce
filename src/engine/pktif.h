/*
 * pktif: two tc programs on every interface of every network namespace
 * (tcx links), kept so while interfaces and namespaces come and go (pktif.c).
 */
#ifndef SYSREC_PKTIF_H
#define SYSREC_PKTIF_H

#include "../common/common.h"

struct pktif;

/* Whether the kernel attaches tc programs with tcx links (Linux 6.6 and later); nothing is attached. */
bool pktif_supported(void);

/*
 * Attach prog_in (ingress) and prog_out (egress), loaded tc programs whose
 * fds stay the caller's, to each interface of each network namespace found
 * now, before returning; from then on a thread of pktif's own attaches them
 * to each interface made later. NULL with e set when they cannot be attached
 * in our own network namespace. own_only: our namespace's interfaces only
 * (the others are never scanned).
 */
struct pktif *pktif_start(int prog_in, int prog_out, bool own_only, struct err *e);

/* Stop watching and detach every link: no program runs on a packet once it returns. */
void pktif_stop(struct pktif *t);

/* Stop (if not yet) and free; NULL is fine. */
void pktif_free(struct pktif *t);

struct pktif_counts {
	uint32_t namespaces; /* network namespaces watched at the last scan */
	uint32_t interfaces; /* interfaces attached now */
	uint32_t failed;     /* attaches the kernel refused, since the start */
	double scan_ms;      /* the last scan of every namespace took this long */
};

void pktif_counts(struct pktif *t, struct pktif_counts *out);

#endif
