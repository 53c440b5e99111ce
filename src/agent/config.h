/*
 * config: the agent's configuration, read from a YAML file (libyaml) and from
 * command-line flags, checked, and printed back as YAML.
 *
 * The order of use: agent_config_defaults(), agent_config_load() of the file,
 * agent_config_set() for each flag, agent_config_check(), and at the end
 * agent_config_release(). etc/sysrec.yaml documents every key.
 */
#ifndef SYSREC_AGENT_CONFIG_H
#define SYSREC_AGENT_CONFIG_H

#include "../common/common.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Where `sysrec agent` looks for its configuration unless --config says otherwise. */
#define AGENT_CONFIG_PATH "/etc/sysrec/sysrec.yaml"

/* The largest configuration file agent_config_load() reads. */
#define AGENT_CONFIG_MAX_BYTES (1u << 20)

/* Where alerts of rules go (alerts.output). */
enum agent_alert_output {
	AGENT_ALERTS_STDOUT,
	AGENT_ALERTS_FILE,
	AGENT_ALERTS_SYSLOG,
};

/*
 * pcapdump: continuous packet recording into rolling pcapng files in the data
 * directory (Kubeshark's pcapdump), changed at run time through the API.
 */
struct agent_pcapdump_cfg {
	bool enabled;      /* pcapdump.enabled: default false */
	uint32_t max_time; /* pcapdump.maxTime: seconds kept, 1 s .. 30 days, default 1 h */
	uint64_t max_size; /* pcapdump.maxSize: bytes on disk at most, 1 MiB .. 1 TiB, default 50 MB */
	/* pcapdump.regex: only containers whose name or pod name matches (POSIX extended); NULL: any */
	char *regex;
	char *namespaces; /* pcapdump.namespaces: only pods of these (comma-separated); NULL: any */
	char *excluded;   /* pcapdump.excludedNamespaces: never pods of these; NULL: none */
	char *bpf;        /* pcapdump.bpfOverride: tcpdump's language, replacing the three above */
};

struct agent_config {
	char *data_dir;                /* data: default "/var/lib/sysrec" */
	char *listen;                  /* listen: "HOST:PORT" or "[V6]:PORT", default "127.0.0.1:7070" */
	char *tls_cert;                /* tls.cert: both or neither; NULL = plain HTTP */
	char *tls_key;                 /* tls.key */
	char *host_name;               /* host: NULL = gethostname() at run time */
	uint32_t http_max_connections; /* http.max_connections: 1..1024, default 256 */
	uint32_t http_max_per_ip;      /* http.max_connections_per_ip: 1..1024, default 64 (not loopback) */
	uint32_t http_header_timeout;  /* http.header_timeout: seconds to send a request head, 1..300, default
	                                  10 */
	uint64_t max_memory;           /* recorder.max_memory: bytes, 16 MiB .. 64 GiB, default 256 MiB */
	uint32_t seconds;              /* recorder.seconds: history wanted, 1..3600, default 30 */
	uint32_t ring_mb;         /* recorder.ring_mb: kernel ring MiB, power of two 1..1024, default 16 */
	uint32_t snaplen;         /* recorder.snaplen: I/O bytes kept per event, 0..65535, default 80 */
	bool captures_enabled;    /* captures.enabled: default true */
	uint32_t max_outstanding; /* captures.max_outstanding: 1..64, default 1 */
	uint32_t retention_days;  /* captures.retention_days: 1..36500, default 90 */
	char **rules_files;       /* rules_files: paths, in order; default none */
	size_t nrules_files;
	enum agent_alert_output alerts_output; /* alerts.output: stdout (default), file or syslog */
	char *alerts_file;                     /* alerts.file: the file for output file; NULL = none */
	bool alerts_json; /* alerts.json: Falco's JSON objects, not text lines; default false */
	/* containers.docker_socket, containers.podman_socket: the runtimes' APIs asked about each
	 * container seen (default /var/run/docker.sock, /run/podman/podman.sock); NULL = not asked */
	char *docker_socket, *podman_socket;
	/* containers.containerd_socket: containerd's API (default /run/containerd/containerd.sock; NULL =
	 * not asked), in containers.containerd_namespaces (default "k8s.io,default") */
	char *containerd_socket, *containerd_namespaces;
	struct agent_pcapdump_cfg pcapdump;
	/*
	 * packets: the flight recorder keeps the packets of its history too, each
	 * with its owner, within recorder.max_memory (the events get the rest).
	 */
	bool packets_enabled;     /* packets.enabled: default false */
	uint32_t packets_snaplen; /* packets.snaplen: bytes kept of each, 64..65535 (65000 taken at most),
	                             default 65535 */
	uint64_t
	        packets_memory; /* packets.max_memory: 1 MiB .. half of recorder.max_memory, default 64 MiB */
	char *packets_ifaces; /* packets.interfaces: NAME, NAME@NS or NAME@PID, comma-separated; NULL: all */
	char *packets_filter; /* packets.filter: tcpdump's language; NULL: every packet */
	/*
	 * artifacts: the flight recorder keeps the artifacts made in its history
	 * too (Tracee's --capture), within recorder.max_memory.
	 */
	char *artifacts_write; /* artifacts.write: the files written under these path prefixes,
	                          comma-separated
	                          ("/" every file); NULL: none */
	bool artifacts_exec;   /* artifacts.exec: each binary run; default false */
	bool artifacts_mem;    /* artifacts.mem: memory made executable after being writable; default false */
	bool artifacts_module; /* artifacts.module: kernel modules loaded; default false */
	uint64_t artifacts_memory; /* artifacts.max_memory: 1 MiB .. (with packets') half of
	                              recorder.max_memory, default 64 MiB */
};

/* The artifact kinds the flight recorder keeps (ENGINE_ART_* flags; 0: none). */
unsigned agent_config_artifacts(const struct agent_config *c);

/* Fill c with the defaults; c's previous contents are not freed. */
void agent_config_defaults(struct agent_config *c);

/* Free what c owns and zero it; c may be reused after agent_config_defaults(). */
void agent_config_release(struct agent_config *c);

/*
 * Load a YAML file over the current values: keys the file names replace those
 * values (a rules_files list replaces the whole list; an explicit null clears
 * tls.cert, tls.key, host and alerts.file), other keys keep theirs. On error c is left
 * unchanged and e says "FILE:LINE:COLUMN: KEY.PATH: what is wrong": a bad value
 * is reported at its key, a list item at the item, a YAML syntax error at the
 * place libyaml names, with its problem text. An empty file is fine.
 * Returns 0, -EINVAL for a bad file or -errno when it cannot be read.
 */
int agent_config_load(struct agent_config *c, const char *path, struct err *e);

/*
 * The same over len bytes at buf (which need not be NUL-terminated); name is
 * what messages call the file. Used by agent_config_load() and the fuzzer.
 */
int agent_config_load_buffer(struct agent_config *c, const char *name, const void *buf, size_t len,
                             struct err *e);

/*
 * Set one option by its dotted key, as a command-line flag does:
 * ("recorder.max_memory", "256MiB"). Values are validated as in a file and
 * errors read "KEY: what is wrong". An empty value clears tls.cert, tls.key,
 * host and alerts.file; "rules_files" appends one path (an empty value empties the list).
 * Returns 0 or -EINVAL, leaving c unchanged on error.
 */
int agent_config_set(struct agent_config *c, const char *key, const char *value, struct err *e);

/*
 * The rules across options, checked once the file and the flags are in:
 * tls.cert and tls.key both or neither, the kernel ring no larger than
 * recorder.max_memory, alerts.file set when alerts.output is file. Returns 0
 * or -EINVAL with the reason in e.
 */
int agent_config_check(const struct agent_config *c, struct err *e);

/* A deep copy of src's pcapdump settings into dst (whose own are not freed); and their release. */
void agent_pcapdump_cfg_copy(struct agent_pcapdump_cfg *dst, const struct agent_pcapdump_cfg *src);
void agent_pcapdump_cfg_release(struct agent_pcapdump_cfg *p);

/*
 * The configuration as YAML text that agent_config_load() reads back to an
 * equal configuration (`sysrec agent --print-config`). Caller frees.
 */
char *agent_config_dump(const struct agent_config *c);

/*
 * Split a listen address ("HOST:PORT" or "[V6ADDR]:PORT") into host (brackets
 * removed, NUL-terminated, at most host_size - 1 bytes) and port (0..65535;
 * 0 lets the kernel choose). Returns 0 or -EINVAL when it is not such an address.
 */
int agent_listen_split(const char *listen, char *host, size_t host_size, uint16_t *port);

#endif
