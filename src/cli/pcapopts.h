/*
 * pcapopts: `sysrec record`'s packet and artifact options, in tcpdump's
 * habits and in Tracee's spelling: --pcap PATH, --pcap-iface IFACE
 * (repeatable), --pcap-filter EXPR, --pcap-per MODES, --pcap-snaplen LEN,
 * --artifacts DIR, and --capture net=IFACE | network | pcap:MODES |
 * pcap-snaplen:SIZE | pcap-options:none | write[=PREFIX] | exec | dir:PATH |
 * clear-dir (repeatable).
 */
#ifndef SYSREC_PCAPOPTS_H
#define SYSREC_PCAPOPTS_H

#include "../engine/engine.h"
#include "recpcap.h"

/* The option codes getopt_long() returns for them (none is a short option's). */
enum {
	PCAPOPT_PCAP = 0x100,
	PCAPOPT_SNAPLEN,
	PCAPOPT_FILTER,
	PCAPOPT_IFACE,
	PCAPOPT_PER,
	PCAPOPT_CAPTURE,
	PCAPOPT_ARTIFACTS,
	PCAPOPT_ART_FILE_MAX,
	PCAPOPT_ART_MEM_MAX,
	PCAPOPT_ART_MAX,
};

/* The artifacts' limits unless told otherwise (bytes; 0 is no limit). */
#define ART_DEFAULT_FILE_MAX  (256ULL << 20)
#define ART_DEFAULT_MEM_MAX   (16ULL << 20)
#define ART_DEFAULT_TOTAL_MAX (4ULL << 30)

struct pcapopts {
	bool enabled;          /* packets asked for (--pcap or --capture net) */
	const char *path;      /* --pcap */
	const char *iface_arg; /* the first --pcap-iface / net=IFACE, to say in errors */
	char **ifaces;         /* --pcap-iface, as given */
	size_t nifaces;
	struct engine_iface *resolved; /* after pcapopts_finish() */
	unsigned split;                /* --pcap-per, pcap:MODES (RECPCAP_*; 0: one file) */
	uint32_t snaplen;              /* 0: the most */
	bool headers;                  /* pcap-snaplen:headers */
	const char *filter;            /* --pcap-filter */
	const char *dir;               /* --capture dir: (default /tmp/sysrec) */
	bool clear_dir;                /* --capture clear-dir */
	char *out_path;                /* --capture without --pcap: DIR/out/pcap (owned) */
	bool as_dir;                   /* the output is a directory (a split, or --capture) */
	/* artifacts: --artifacts DIR (every kind), or --capture write[=PREFIX], exec */
	uint32_t art_kinds;   /* ENGINE_ART_* */
	const char *art_path; /* --artifacts */
	char **art_prefixes;  /* write=PREFIX, as given */
	size_t art_nprefixes;
	bool art_every_file; /* a plain `write`: every file, whatever the prefixes */
	bool art_profile;    /* --capture profile */
	/* --artifacts-file-max, --artifacts-mem-max, --artifacts-max (bytes; 0: none); set by
	 * pcapopts_finish() */
	uint64_t art_file_max, art_mem_max, art_total_max;
	bool art_file_max_set, art_mem_max_set, art_total_max_set;
};

/* The artifacts' directory (DIR of DIR/out): --artifacts, else dir:, else /tmp/sysrec. */
const char *pcapopts_art_dir(const struct pcapopts *p);

/* Whether c is one of these options. */
bool pcapopts_owns(int c);
/* One of them, into p: 0, or 2 after saying what is wrong. */
int pcapopts_parse(struct pcapopts *p, int c, const char *arg);
/*
 * After every option: check them together and against the host (the filter
 * compiles, each interface exists, the output can be written, clear-dir).
 * 0, or 2 after saying what is wrong.
 */
int pcapopts_finish(struct pcapopts *p);
/* The writer's options (o->path etc. point into p). */
void pcapopts_recpcap(const struct pcapopts *p, struct recpcap_opts *o);
void pcapopts_release(struct pcapopts *p);
/* The usage lines of these options. */
extern const char pcapopts_usage[];

#endif
