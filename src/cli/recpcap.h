/*
 * recpcap: `sysrec record --pcap PATH`, the packets of the recording into
 * pcapng files, each packet with its owner (src/pcap writes the files).
 *
 * A thread of its own takes the engine's packets (engine_packets_poll) and
 * writes them: one file (rotated as -C/-G/-W say), or with split modes a
 * directory of files, one per process, container or command. Each file
 * describes the interfaces it holds packets of (named as `ip` names them:
 * "lo", "veth1@ns1"), and gives each packet its direction and its socket's
 * owner (pid, tid, comm, container, fd). Packets not kept are never silent:
 * the next packet written says how many were lost before it, the statistics
 * blocks at the end count them, and recpcap_counts() gives them by cause.
 */
#ifndef SYSREC_RECPCAP_H
#define SYSREC_RECPCAP_H

#include "../engine/engine.h"

/* How the packets are split into files (--pcap-per; Tracee's pcap:...). */
enum {
	RECPCAP_SINGLE = 1,    /* one file (with others: all.pcapng in the directory) */
	RECPCAP_PROCESS = 2,   /* process-PID-COMM.pcapng */
	RECPCAP_CONTAINER = 4, /* container-ID.pcapng, container-host.pcapng */
	RECPCAP_COMMAND = 8,   /* command-COMM.pcapng */
};

struct recpcap_opts {
	const char *path; /* the file; with a split mode, the directory */
	unsigned split;   /* RECPCAP_* bits; 0 is RECPCAP_SINGLE */
	bool as_dir;      /* path is a directory even for one file (all.pcapng): Tracee's out/pcap */
	uint32_t snaplen;
	bool headers; /* keep each packet's IP and transport headers only (Tracee's pcap-snaplen:headers) */
	const char *filter;   /* tcpdump's language; NULL: every packet */
	uint64_t rotate_mb;   /* one file: a new one past this many 10^6 bytes (-C) */
	uint64_t rotate_secs; /* one file: a new one every this many seconds (-G) */
	uint64_t max_files;   /* with -C or -G: a ring of this many (-W) */
};

/* Packets kept and not kept, by cause. */
struct recpcap_counts {
	uint64_t written;      /* packets written (once, however many files hold them) */
	uint64_t filtered;     /* left out by the filter */
	uint64_t lost_full;    /* the kernel's buffer was full: the writer was behind */
	uint64_t lost_copy;    /* the kernel could not copy the packet's bytes */
	uint64_t lost_write;   /* a file could not take them (its error is said at close) */
	uint64_t files;        /* files written */
	uint64_t split_others; /* packets of owners past the most files a split makes, in *-others */
	/* the interfaces the packets are taken from now, in how many network namespaces, and the
	 * attaches the kernel refused (0, 0, 0 when the hook is not per interface) */
	uint32_t interfaces, namespaces, refused;
};

struct recpcap;

/*
 * Parse a --pcap-per / pcap: value, "process", "per-process", several
 * separated by commas, into *split; 0, or -EINVAL with e set.
 */
int recpcap_parse_split(const char *s, unsigned *split, struct err *e);
/*
 * Whether expr compiles in tcpdump's filter language (libpcap's compiler,
 * for packets that start at their IP header): 0, or -EINVAL with libpcap's
 * message in e. To refuse a bad expression before anything starts.
 */
int recpcap_check_filter(const char *expr, struct err *e);
/*
 * Whether the output can be made (the file's directory, or the split
 * directory, is there or can be made, and is writable): 0 or -errno with e
 * set. To refuse before anything starts.
 */
int recpcap_check_output(const struct recpcap_opts *o, struct err *e);
/* Start writing the engine's packets as o says; NULL with e set. */
struct recpcap *recpcap_start(const struct recpcap_opts *o, struct engine *en, struct err *e);
/* Take the last packets and stop the thread (the engine is stopped already). */
void recpcap_stop(struct recpcap *rp);
void recpcap_counts(const struct recpcap *rp, struct recpcap_counts *c);
/* Finish the files; 0 or -errno with e set (the first error). Frees rp. */
int recpcap_close(struct recpcap *rp, struct err *e);

#endif
