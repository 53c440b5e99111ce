/* agent_int: what the agent's runtime (agent.c) and its HTTP API (http*.c, see http_int.h) share. */
#ifndef SYSREC_AGENT_INT_H
#define SYSREC_AGENT_INT_H

#include "../capture/capture.h"
#include "../recorder/recorder.h"
#include "../store/store.h"
#include "agent.h"

#include <jansson.h>

#include <pthread.h>

#define AGENT_VERSION "0.1.0"
/* Captures last at most this long, before and after together. */
#define AGENT_MAX_WINDOW_S 300.0

/* A capture being recorded or stored. */
struct agent_job {
	struct agent *a;
	char id[64];
	struct capture_request q;
	char *filter, *container, *name, *trigger;
	bool packets;       /* the bundle holds the window's packets */
	unsigned artifacts; /* and the artifacts of these kinds (1 << enum art_kind) */
	struct i64map pids; /* with a filter: the processes whose events it kept (their packets go too) */
	pthread_t thread;
	bool cancel;
	bool done; /* the thread has finished (joined by the main loop) */
	struct agent_job *next;
};

struct agent_rules;

struct agent {
	const struct agent_config *cfg;
	char host[256];
	char token[65];
	int64_t clock_skew_s; /* SYSREC_CLOCK_SKEW: seconds added to the wall clock (tests of retention) */
	struct store *store;
	struct catalog *cat;
	struct recorder *rec;
	struct agent_rules *rules; /* NULL without rules_files */
	struct agent_containers *containers;
	struct agent_pcapdump *pcapdump;
	struct agent_packets *packets;
	struct agent_artifacts *artifacts; /* NULL: the flight recorder keeps no artifacts */
	pthread_mutex_t lock;              /* jobs, outstanding, rates */
	struct agent_job *jobs;
	unsigned outstanding;
	bool stopping;
	uint64_t events_total, drops_total;
	uint64_t drops_by[EVENT_LOST_NCAUSES]; /* drops_total by cause */
	uint64_t filler_bugs;                  /* events not kept: a filler's wrong parameter count */
	double event_rate, drop_rate;
};

/* The wall clock as the agent reads it (with the injected skew), epoch seconds and ns. */
int64_t agent_now(const struct agent *a);
uint64_t agent_now_ns(const struct agent *a);

/* What POST /api/captures asks for, checked by the HTTP layer. */
struct agent_take {
	const char *name, *container, *filter, *storage;
	bool filter_proclist;
	double before, after;   /* seconds */
	const char *trigger;    /* "manual", or the rule's name */
	int packets;            /* the window's packets too: 1, 0, or -1 (packets.enabled says) */
	int artifacts;          /* the window's artifacts: 1 << enum art_kind asked, or -1 (those kept) */
	uint64_t trigger_ns;    /* 0: now */
	char cont[13];          /* the container id's first 12 digits, when container points here */
	bool container_is_name; /* container is a name, for agent_take_capture() to find */
};

/*
 * Start a capture. On success 0 and *out (the catalog's record, status
 * recording; free with capture_meta_free()). Otherwise -errno with the
 * message in e: -EPERM captures are disabled, -EBUSY the limit of outstanding
 * captures is reached, -ESHUTDOWN the agent is stopping, another (-EIO, ...)
 * the catalog could not record it or no thread could start. The HTTP layer
 * picks the status (http_reply.c).
 */
int agent_take_capture(struct agent *a, const struct agent_take *t, struct capture_meta *out, struct err *e);

/*
 * Rules (rules_hook.c): the files of rules_files matched against every event
 * on the recorder's writer thread; a match writes the rule's alert to the
 * configured sink and may take a capture (agent_take_capture()).
 *
 * agent_rules_load() loads the files in order, checks each capture action
 * as the API would (name, storage, filter) and opens the alert sink, all
 * before the probes load: *out stays NULL without files; on an error in a
 * file its diagnostics are printed to stderr (Falco's layout) and e names the
 * file. agent_rules_start(), once the recorder exists and before its writer
 * thread appends, compiles the rules and their outputs against the
 * recorder's state and sets the recorder's hook. Both return 0 or -errno
 * with e set. agent_rules_free() (NULL is fine) only after the writer thread
 * has stopped: it reports alerts held back and closes the sink.
 */
struct agent_rules_stats {
	size_t loaded, files; /* rules that can match; files loaded */
	uint64_t alerts;      /* written */
	uint64_t alerts_dropped;
	uint64_t captures_taken, captures_refused; /* refused: the limit, disabled, or a store error */
};

int agent_rules_load(const struct agent_config *c, struct agent_rules **out, struct err *e);
int agent_rules_start(struct agent_rules *ar, struct agent *a, struct err *e);
/* Any thread; zeros for NULL. */
void agent_rules_stats(const struct agent_rules *ar, struct agent_rules_stats *out);
void agent_rules_free(struct agent_rules *ar);

/*
 * Containers (containers.c): the runtimes of containers.docker_socket and
 * containers.podman_socket are asked, on a thread of their own, about each
 * container the recorder sees; their descriptions go into the recorder as
 * container events (captures hold them) and their names and images are kept
 * for captures taken by name and for the catalog.
 *
 * agent_containers_sync() runs on the recorder's writer thread after each run
 * of events: new containers asked about, answers appended, a runtime that
 * stopped (or started again) answering logged and said in the recording.
 * agent_container_find() (any thread): the 12-digit id of a container given
 * by id or name (one described so far, else asked of each runtime, at most
 * 2 s each): 0, or -ENOENT (no runtime knows it) / -EINVAL (not a name) with
 * e set. agent_container_describe() (any thread): its name and image (new
 * strings, "" while unknown).
 */
struct agent_containers;
struct agent_containers *agent_containers_start(const struct agent_config *c);
void agent_containers_sync(struct agent *a);
int agent_container_find(struct agent *a, const char *name, char id[13], struct err *e);
void agent_container_describe(struct agent *a, const char *id, char **name, char **image);
/* A described container's name, pod and pod namespace ("" each when not said): false while not described. */
struct agent_container_names {
	char name[256], pod[256], ns[64];
};
bool agent_container_k8s(struct agent *a, const char *id, struct agent_container_names *out);
void agent_containers_stop(struct agent_containers *k);

/*
 * The flight recorder's packets (pktring.c): packet records in time order,
 * bounded by max_bytes (whole chunks go, oldest first) and by the history
 * wanted (a chunk whose last packet is `seconds` older than the newest goes).
 * One writer (pktring_append, pktring_note_lost); readers on any thread
 * (pktring_read: the packets of [from, to] in order, handed to fn while the
 * chunks holding them are held; the writer goes on meanwhile).
 */
struct pktring_pkt {
	uint64_t ts, netns;
	uint64_t lost_before; /* packets the agent lost just before this one */
	uint32_t ifindex, len, caplen, pid, tid;
	int32_t fd;
	uint8_t dir; /* ENGINE_PKT_IN or ENGINE_PKT_OUT */
	char comm[17];
	char container[13]; /* "": the host's, or no owner */
	const uint8_t *data;
};
struct pktring_stats {
	uint64_t bytes, max_bytes; /* held (chunks), the bound */
	uint64_t held, appended;   /* packets held now, appended in all */
	uint64_t let_go, aged;     /* chunks let go for memory, for age */
	uint64_t oldest_ns, newest_ns;
	double seconds;
};
struct pktring;
struct pktring *pktring_new(uint64_t max_bytes, uint64_t seconds);
void pktring_free(struct pktring *r);
void pktring_append(struct pktring *r, const struct pktring_pkt *p);
void pktring_note_lost(struct pktring *r, uint64_t n);
uint64_t pktring_read(struct pktring *r, uint64_t from, uint64_t to,
                      void (*fn)(void *ctx, const struct pktring_pkt *p), void *ctx);
void pktring_stats(struct pktring *r, struct pktring_stats *out);

/*
 * The agent's packets (packets.c): one thread takes the engine's packets for
 * the flight recorder (packets.enabled: the ring, with packets.interfaces and
 * packets.filter applied, cut to packets.snaplen) and for pcapdump; the
 * engine's hook is paused while neither wants them. agent_packets_start():
 * en NULL when this host gives no packets (unavailable: why); NULL when the
 * configuration's interfaces cannot be found (e set). agent_packets_status():
 * the flight recorder's packets as a new JSON object.
 */
struct agent_packets;
struct engine;
struct engine_packet;
struct agent_packets *agent_packets_start(struct agent *a, struct engine *en, const char *unavailable,
                                          struct err *e);
void agent_packets_stop(struct agent_packets *k);
void agent_packets_update_pause(struct agent *a);
json_t *agent_packets_status(struct agent *a);
/*
 * A capture's packets into the store under key (a pcapng file): those of
 * [from, to] the flight recorder holds, of container's processes or of the
 * owners in pids (when neither is given: every packet, those of no owner
 * too), each with its owner; losses said on the next packet kept. 0 with *out, or
 * -errno with e set (-EINVAL: the agent keeps no packets).
 */
struct agent_part {
	uint64_t size, packets, lost;
	char sha256[65];
	/* the artifacts part: entries in its manifest, bytes not kept (the manifest says why) */
	uint64_t artifacts, not_kept;
	uint64_t lost_records, lost_bytes; /* the kernel's losses while the window was recorded */
	unsigned let_go; /* 1 << enum art_kind whose records of the window the memory bound took */
};
int agent_packets_write(struct agent *a, const char *key, uint64_t from, uint64_t to, const char *container,
                        const struct i64map *pids, struct agent_part *out, struct err *e);
bool agent_packets_kept(struct agent *a);
/* A packet's interface as one 64-bit key: its namespace's cookie and its index, mixed. */
uint64_t agent_iface_key(uint64_t netns, uint32_t ifindex);
/* The comment a packet carries for the n packets the agent lost just before it. */
void agent_lost_note(char *buf, size_t size, uint64_t n);

/*
 * The flight recorder's artifacts (artifacts.c): the artifact kinds
 * artifacts.* name (1 << enum art_kind), taken from the engine on a thread of
 * their own and held in memory within artifacts.max_memory for the history
 * (recorder.seconds): each written file's bytes with its name, each binary
 * run read while its process lives (held once per version of its file),
 * memory and module images. agent_artifacts_engine_opts(): what the engine is
 * to take (*prefixes: the write prefixes, the caller's to free);
 * agent_artifacts_start(): NULL when no kind is configured (a->artifacts set
 * too); agent_artifacts_ready(): every record made before ts is held;
 * agent_artifacts_write(): the artifacts of [from, to] of the kinds asked,
 * of container's processes or those in pids (any, when neither is given),
 * as a tar.gz of their directory (artifacts/manifest.json, files/, exec/,
 * mem/, modules/; each artifact's events named by their numbers in the
 * capture's .scap, scap_key, as events.scap) into the store under key.
 */
struct agent_artifacts;
struct engine_opts;
void agent_artifacts_engine_opts(const struct agent_config *c, struct engine_opts *o, char ***prefixes,
                                 size_t *n);
struct agent_artifacts *agent_artifacts_start(struct agent *a, struct engine *en);
void agent_artifacts_stop(struct agent_artifacts *k);
unsigned agent_artifacts_kept(struct agent *a);
bool agent_artifacts_ready(struct agent *a, uint64_t ts);
json_t *agent_artifacts_status(struct agent *a);
int agent_artifacts_write(struct agent *a, const char *key, const char *scap_key, uint64_t from, uint64_t to,
                          unsigned kinds, const char *container, const struct i64map *pids,
                          struct agent_part *out, struct err *e);

/*
 * pcapdump (pcapdump.c): continuous packet recording (Kubeshark's pcapdump)
 * into rolling pcapng files in DATA/pcapdump, bounded by pcapdump.maxSize
 * (bytes on disk, never passed) and pcapdump.maxTime (older files go), each
 * packet with its owner, its interface named; packets the agent could not
 * take are counted, warned of with their number and marked in the file where
 * they went missing. The filters: the container's name or pod name
 * (pcapdump.regex), its pod's namespace (namespaces, excludedNamespaces), or
 * bpfOverride (tcpdump's language) alone. A thread of its own takes the
 * engine's packets; the API's threads change the settings, read the status
 * and export.
 *
 * agent_pcapdump_start(): en NULL when the engine takes no packets here
 * (unavailable: why). agent_pcapdump_set(): settings checked as the
 * configuration checks them; 0, or -EBUSY (no packets on this host) / -EIO
 * with e set. agent_pcapdump_status(): a new JSON object.
 * agent_pcapdump_export(): the stored packets of [since_ns, until_ns] merged
 * into one time-ordered pcapng, its path written to out (remove it with
 * agent_pcapdump_export_done()); -ENOENT when none are stored there.
 */
struct agent_pcapdump;
struct pcap_merge_stats;
struct agent_pcapdump *agent_pcapdump_start(struct agent *a, struct engine *en, const char *unavailable);
void agent_pcapdump_stop(struct agent_pcapdump *p);
/*
 * The packet thread's calls (packets.c): each packet (names: that thread's
 * table of interface and container names; lost: packets the agent lost just
 * before it), and once a second.
 */
struct pktnames;
void agent_pcapdump_packet(struct agent_pcapdump *p, const struct engine_packet *m, struct pktnames *names,
                           uint64_t lost);
void agent_pcapdump_tick(struct agent_pcapdump *p);
bool agent_pcapdump_enabled(struct agent_pcapdump *p);
void agent_pcapdump_settings(struct agent *a, struct agent_pcapdump_cfg *out);
int agent_pcapdump_set(struct agent *a, const struct agent_pcapdump_cfg *cfg, struct err *e);
json_t *agent_pcapdump_status(struct agent *a);
int agent_pcapdump_export(struct agent *a, uint64_t since_ns, uint64_t until_ns, char *out, size_t outsize,
                          struct pcap_merge_stats *st, struct err *e);
void agent_pcapdump_export_done(const char *out);

/*
 * The data directory (datadir.c), before anything in it is touched: create it
 * (0700) when missing; refuse it, or the token in it, when another user owns
 * it; narrow a mode that lets others in (the directory 0700, the token 0600),
 * with a warning; then lock it for this process (flock on DATA/lock, which
 * holds our pid). Returns the lock's fd, to keep open while the agent runs,
 * or -errno with e set: -EBUSY "the data directory DIR is in use by another
 * agent (pid N)" when another process holds it.
 */
int agent_data_dir_open(const char *dir, struct err *e);

/* The HTTP API (http.c; the files it is made of are listed in http_int.h). */
struct agent_http;
/* Serve the API: 0 with *out, or -errno with e set (*out NULL). */
int agent_http_start(struct agent *a, struct agent_http **out, struct err *e);
void agent_http_stop(struct agent_http *h);

#endif
