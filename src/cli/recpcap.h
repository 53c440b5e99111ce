/*
 * recpcap: `sysrec record --pcap FILE`, the packets of the recording into a
 * pcapng file, each with its owner (src/pcap writes the file).
 *
 * A thread of its own takes the engine's packets (engine_packets_poll) and
 * writes them: one interface block per interface met (by network namespace
 * and index), each packet with its direction and its socket's owner (pid,
 * tid, comm, container). Packets the kernel could not hand over are never
 * silent: the next packet written says how many were lost before it, and the
 * statistics blocks at the end count them.
 */
#ifndef SYSREC_RECPCAP_H
#define SYSREC_RECPCAP_H

#include "../engine/engine.h"

struct recpcap;

/*
 * Whether expr compiles in tcpdump's filter language (libpcap's compiler,
 * for packets that start at their IP header): 0, or -EINVAL with libpcap's
 * message in e. To refuse a bad expression before anything starts.
 */
int recpcap_check_filter(const char *expr, struct err *e);
/* Start writing the engine's packets into path, those filter (NULL: all) keeps; NULL with e set. */
struct recpcap *recpcap_start(const char *path, uint32_t snaplen, const char *filter, struct engine *en,
                              struct err *e);
/* Take the last packets and stop the thread (the engine is stopped already). */
void recpcap_stop(struct recpcap *rp);
/* Packets written, left out by the filter, and lost (never handed over by the kernel). */
void recpcap_counts(const struct recpcap *rp, uint64_t *written, uint64_t *filtered, uint64_t *lost);
/* Finish the file; 0 or -errno with e set. Frees rp. */
int recpcap_close(struct recpcap *rp, struct err *e);

#endif
