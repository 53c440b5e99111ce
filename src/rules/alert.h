/*
 * alert: Falco 0.31.1's alerts for rules that match: the text line
 * "<time>: <Priority> <output>", or its JSON object, written to stdout, a
 * file or syslog, at most a token bucket's worth per rule.
 *
 * The text is what Falco's outputs print. The time is the event's, local
 * "HH:MM:SS.nnnnnnnnn" (TZ decides, as for Falco), or with iso_time UTC
 * "2016-08-04T16:17:57.882054739+0000". A field the event does not have
 * prints as <NA>. The JSON object is Falco's, members in its (sorted) order:
 *
 *   {"output":"...","priority":"Warning","rule":"...","source":"syscall",
 *    "tags":[...],"time":"2016-08-04T16:17:57.882054739Z",
 *    "output_fields": {"evt.time":1470327477882054739,"proc.name":"cat"}}
 *
 * (no space between members except before "output_fields", as Falco grafts
 * it on). output_fields holds every field of the format and the time field
 * of the prefix, by name as written (proc.aname[2]), sorted: numeric fields
 * as numbers, time fields as ns since the epoch, others as strings, null
 * when the event does not have the field. Tags are sorted, without repeats.
 */
#ifndef SYSREC_ALERT_H
#define SYSREC_ALERT_H

#include "../common/common.h"
#include "../state/state.h"
#include "rules.h"

#include <stdio.h>

/*
 * A rule's output compiled once against st's field table: literal text and
 * %field tokens (%field[arg], %evt.arg.NAME, %(field), and %Nfield, the
 * value padded or cut to N characters), as Falco's formatter takes them; a
 * leading '*' is ignored (missing fields always print <NA>). NULL with a
 * message in e for an unknown field or a format ending in '%'. The format
 * keeps per-place memory for fields that need it: one format per rule.
 */
struct alert_format;

struct alert_format *alert_format_compile(struct state *st, const char *output, struct err *e);
void alert_format_free(struct alert_format *f);

enum alert_sink_kind {
	ALERT_SINK_STDOUT,  /* one line per alert, written (and so flushed) at once */
	ALERT_SINK_FILE,    /* appended to path, created 0644 when absent; opened once */
	ALERT_SINK_SYSLOG,  /* syslog(3), the rule's priority as the level */
	ALERT_SINK_PROGRAM, /* lines piped into `sh -c path` (Falco's program_output), started once */
};

/* Nanoseconds on some clock, for the rate limiter (tests inject one). */
typedef uint64_t (*alert_clock_fn)(void *ctx);

struct alert_opts {
	enum alert_sink_kind kind;
	const char *path; /* ALERT_SINK_FILE; the command of ALERT_SINK_PROGRAM */
	bool json;
	bool iso_time;        /* Falco's time_format_iso_8601 */
	bool json_no_output;  /* leave out "output" (json_include_output_property: false) */
	bool json_no_tags;    /* leave out "tags" (json_include_tags_property: false) */
	double rate;          /* alerts gained per second, per rule; <= 0: no limit */
	double burst;         /* the most a rule may have in hand (Falco's max_burst) */
	alert_clock_fn clock; /* NULL: the wall clock */
	void *clock_ctx;
};

/* Falco's defaults for outputs.rate and outputs.max_burst. */
#define ALERT_DEFAULT_RATE  1.0
#define ALERT_DEFAULT_BURST 1000.0

struct alert_sink;

/* Open the sink (the file, or the syslog connection). NULL with a message in e. */
struct alert_sink *alert_sink_open(const struct alert_opts *o, struct err *e);

/*
 * The alert for rule r on the event (after state_process()): 1 written, 0
 * held back by r's rate limit (counted), or -errno when the write failed
 * (the first error is kept; later alerts are still tried).
 */
int alert_emit(struct alert_sink *s, const struct rule *r, struct alert_format *f, const struct evctx *cx);

/*
 * The alert's text (JSON or line, by o->json and o->iso_time), without a
 * newline, appended to out: what alert_emit() writes, without a sink or a
 * rate limit.
 */
void alert_render(const struct alert_opts *o, const struct rule *r, struct alert_format *f,
                  const struct evctx *cx, struct sbuf *out);

/* Alerts held back so far: of rule r, or of every rule (r NULL). */
uint64_t alert_sink_dropped(const struct alert_sink *s, const struct rule *r);
/* Alerts written so far. */
uint64_t alert_sink_written(const struct alert_sink *s);

/*
 * Print to out, one line per rule that had alerts held back, in the order the
 * rules first alerted: "<N> alerts of rule '<name>' over the rate limit were
 * not written". Nothing when none were.
 */
void alert_sink_report(const struct alert_sink *s, FILE *out);

/*
 * Close and free: 0, or the first write or close error (message in e); a
 * program is waited for, and its failing exit is an error.
 */
int alert_sink_close(struct alert_sink *s, struct err *e);

#endif
