/*
 * agent: `sysrec agent`, the daemon. It records continuously into the flight
 * recorder (src/recorder), takes captures out of it on request
 * (src/capture) on request or when a Falco rule matches (src/rules), keeps
 * them in the store and its catalog (src/store), applies retention, and
 * serves the HTTP API of docs/api.md.
 *
 * Threads: the main thread drains the kernel ring into a queue (the drain,
 * src/engine/drain.h, shared with `record`) and runs the timers (rates,
 * retention); the drain's consumer thread appends the queue to the recorder,
 * tells it the losses and completeness marks, and matches the rules against
 * each event (writing alerts, starting captures); each capture runs on a thread of its own;
 * libmicrohttpd's threads serve the API. HTTP threads never touch the recorder's state: they
 * read the catalog (locked) and the recorder's counters.
 */
#ifndef SYSREC_AGENT_H
#define SYSREC_AGENT_H

#include "config.h"

/*
 * Run the agent with configuration c until SIGINT or SIGTERM. Returns 0 after
 * a clean stop, or -errno with e set when it cannot start (no eBPF, the port
 * taken, the data directory unusable, a rules file with errors) or fails.
 */
int agent_run(const struct agent_config *c, struct err *e);

/*
 * The API token in data_dir/token, created (32 random bytes as hex, mode
 * 0600) when missing and create is set. 0 or -errno with e set.
 */
int agent_token(const char *data_dir, bool create, char token[65], struct err *e);

#endif
