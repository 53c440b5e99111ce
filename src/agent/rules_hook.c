/*
 * rules_hook: Falco rules in the agent (see agent_int.h). The files of
 * rules_files load before the probes do, compile against the recorder's
 * state, and are matched by the recorder's hook on the writer thread, after
 * each event has been applied to that state: a match writes the rule's alert
 * (src/rules/alert.h) and, when the rule has `capture: {enabled: true}` and
 * the alert was not held back by its rate limit, starts a capture of the
 * rule's window around the event through agent_take_capture().
 *
 * The writer thread is the only one that matches, formats and writes; other
 * threads read the counters, which are atomics.
 */
#include "agent_int.h"

#include "../rules/alert.h"
#include "../rules/rules.h"
#include "request.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A rule that can match, and its output compiled once. */
struct armed_rule {
	const struct rule *rule;
	struct alert_format *fmt;
};

struct agent_rules {
	struct agent *a;
	struct rules *set;
	size_t nfiles;
	struct alert_sink *sink;
	struct armed_rule *armed; /* sorted by rule address, for the hook's lookup */
	size_t narmed;
	bool write_failed; /* an alert write failed (told once) */
	/* atomics: written on the writer thread, read by the API */
	uint64_t alerts, dropped, taken, refused;
};

static void count(uint64_t *c)
{
	__atomic_add_fetch(c, 1, __ATOMIC_RELAXED);
}

static int armed_cmp(const void *x, const void *y)
{
	uintptr_t a = (uintptr_t)((const struct armed_rule *)x)->rule;
	uintptr_t b = (uintptr_t)((const struct armed_rule *)y)->rule;

	return a < b ? -1 : a > b;
}

static struct alert_format *format_of(const struct agent_rules *ar, const struct rule *r)
{
	struct armed_rule key = { r, NULL };
	const struct armed_rule *hit = bsearch(&key, ar->armed, ar->narmed, sizeof(key), armed_cmp);

	return hit ? hit->fmt : NULL;
}

/*
 * A rule's capture action as the API would take it: a name it accepts, a
 * store this agent has, a filter that compiles. 0 or -EINVAL with e set.
 */
static int check_capture(const struct rule *r, struct err *e)
{
	const char *name = r->capture.name ? r->capture.name : r->name;
	struct err fe = { { 0 } };

	if (strlen(name) > REQUEST_NAME_MAX || !request_name_valid(name))
		return err_set(e, -EINVAL,
		               "rule '%s' (%s:%d): the capture name '%s' is not one a capture may have "
		               "(1 to %d printable bytes, without '/', '\\' or control characters): set "
		               "capture.name",
		               r->name, r->file, r->line, name, REQUEST_NAME_MAX);
	if (r->capture.storage && *r->capture.storage && strcmp(r->capture.storage, "local") != 0)
		return err_set(e, -EINVAL,
		               "rule '%s' (%s:%d): capture storage '%s' is not configured on this agent (it "
		               "has: local)",
		               r->name, r->file, r->line, r->capture.storage);
	if (r->capture.before + r->capture.after <= 0)
		return err_set(e, -EINVAL, "rule '%s' (%s:%d): the capture's before + after is 0 seconds",
		               r->name, r->file, r->line);
	if (r->capture.filter && *r->capture.filter && capture_filter_check(r->capture.filter, &fe))
		return err_set(e, -EINVAL, "rule '%s' (%s:%d): capture filter: %s", r->name, r->file, r->line,
		               fe.msg);
	return 0;
}

int agent_rules_load(const struct agent_config *c, struct agent_rules **out, struct err *e)
{
	struct agent_rules *ar;
	struct alert_opts o = { 0 };
	struct err se = { { 0 } };

	*out = NULL;
	if (!c->nrules_files)
		return 0;
	ar = xcalloc(1, sizeof(*ar));
	ar->set = rules_new();
	for (size_t i = 0; i < c->nrules_files; i++) {
		const char *path = c->rules_files[i];
		struct err le = { { 0 } };
		int rc = rules_load_file(ar->set, path, &le);

		if (rc == -EINVAL) {
			rules_diag_print(ar->set, path, stderr);
			rules_diag_locate(ar->set, path, stderr);
			agent_rules_free(ar);
			return err_set(e, rc, "rules file %s has errors (listed above): not starting", path);
		}
		if (rc) {
			agent_rules_free(ar);
			return err_set(e, rc, "cannot read the rules file %s: %s: not starting", path,
			               strerror(-rc));
		}
	}
	for (size_t i = 0; i < rules_count(ar->set); i++) {
		const struct rule *r = rules_at(ar->set, i);

		if (r->enabled && r->capture.enabled && check_capture(r, e)) {
			agent_rules_free(ar);
			return -EINVAL;
		}
	}
	o.kind = c->alerts_output == AGENT_ALERTS_FILE     ? ALERT_SINK_FILE
	         : c->alerts_output == AGENT_ALERTS_SYSLOG ? ALERT_SINK_SYSLOG
	                                                   : ALERT_SINK_STDOUT;
	o.path = c->alerts_file;
	o.json = c->alerts_json;
	o.rate = ALERT_DEFAULT_RATE; /* Falco's outputs.rate and max_burst */
	o.burst = ALERT_DEFAULT_BURST;
	if (!(ar->sink = alert_sink_open(&o, &se))) {
		agent_rules_free(ar);
		return err_set(e, -EIO, "alerts: %s: not starting", se.msg);
	}
	ar->nfiles = c->nrules_files;
	*out = ar;
	return 0;
}

/* The file of the first error among the diagnostics, for the message (NULL: none names one). */
static const char *first_error_file(const struct rules *set)
{
	for (size_t i = 0; i < rules_diag_count(set); i++) {
		const struct rules_diag *d = rules_diag_at(set, i);

		if (!d->warning && d->file)
			return d->file;
	}
	return NULL;
}

static void on_event(const struct evctx *cx, void *ctx);

int agent_rules_start(struct agent_rules *ar, struct agent *a, struct err *e)
{
	struct state *st = recorder_state(a->rec);
	struct err ce = { { 0 } };
	size_t n = rules_count(ar->set), disabled = 0;

	ar->a = a;
	if (rules_compile(ar->set, st, &ce)) {
		const char *file = first_error_file(ar->set);

		rules_diag_print(ar->set, NULL, stderr);
		return err_set(e, -EINVAL, "the rules%s%s do not compile (listed above): %s: not starting",
		               file ? " of " : "", file ? file : "", ce.msg);
	}
	ar->armed = xcalloc(n ? n : 1, sizeof(*ar->armed));
	for (size_t i = 0; i < n; i++) {
		const struct rule *r = rules_at(ar->set, i);
		struct alert_format *f;

		if (!r->enabled || r->skipped || !r->filter) {
			disabled++;
			continue;
		}
		if (!(f = alert_format_compile(st, r->output, &ce)))
			return err_set(e, -EINVAL, "rule '%s' (%s:%d): output: %s: not starting", r->name,
			               r->file, r->line, ce.msg);
		ar->armed[ar->narmed++] = (struct armed_rule){ r, f };
	}
	qsort(ar->armed, ar->narmed, sizeof(*ar->armed), armed_cmp);
	fprintf(stderr, "sysrec agent: %zu rule%s from %zu file%s", ar->narmed, ar->narmed == 1 ? "" : "s",
	        ar->nfiles, ar->nfiles == 1 ? "" : "s");
	if (disabled)
		fprintf(stderr, " (%zu more disabled or skipped)", disabled);
	fputc('\n', stderr);
	if (ar->narmed) /* else nothing can match: the recorder goes without a hook */
		recorder_set_hook(a->rec, on_event, ar);
	return 0;
}

/*
 * The capture rule r asks for around the event of cx (writer thread). This
 * may block the writer for a catalog write and a pthread_create(), no more:
 * agent_take_capture() holds the agent's lock and the catalog's only
 * briefly, and no thread waits on the writer while holding either (capture
 * jobs and the API read the recorder under its own lock; the drain never
 * waits for the queue). The capture's thread and the alert's writes are the
 * agent's own, which the probes leave out, so a rule never sees them.
 */
static void take(struct agent_rules *ar, const struct rule *r, const struct evctx *cx)
{
	struct agent_take t;
	struct capture_meta m;
	struct err e = { { 0 } };

	if (!ar->a->cfg->captures_enabled) {
		count(&ar->refused);
		log_warn("rule '%s': capture skipped: captures are disabled (captures.enabled: false)",
		         r->name);
		return;
	}
	memset(&t, 0, sizeof(t));
	t.name = r->capture.name ? r->capture.name : r->name;
	t.filter = r->capture.filter;
	t.storage = r->capture.storage;
	t.before = r->capture.before;
	t.after = r->capture.after;
	t.trigger = r->name;
	t.trigger_ns = cx->ev->ts;
	t.packets = r->capture.packets;
	t.artifacts = r->capture.artifacts;
	if (agent_take_capture(ar->a, &t, &m, &e) != 0) {
		count(&ar->refused);
		log_warn("rule '%s': capture not taken: %s", r->name, e.msg);
		return;
	}
	count(&ar->taken);
	capture_meta_free(&m);
}

/* The recorder's hook: every parsed event, after state_process(). */
static void on_event(const struct evctx *cx, void *ctx)
{
	struct agent_rules *ar = ctx;
	const struct rule *r = cx->shown ? rules_match(ar->set, cx) : NULL; /* as Falco: what sysdig shows */
	struct alert_format *f;
	int rc;

	if (!r || !(f = format_of(ar, r)))
		return;
	rc = alert_emit(ar->sink, r, f, cx);
	if (rc == 0) { /* over the rule's rate limit: no alert, no capture */
		count(&ar->dropped);
		return;
	}
	if (rc > 0) {
		count(&ar->alerts);
	} else if (!ar->write_failed) { /* the capture still goes: the rule did fire */
		ar->write_failed = true;
		log_warn("rule '%s': cannot write its alert: %s (later failures are not logged)", r->name,
		         strerror(-rc));
	}
	if (r->capture.enabled)
		take(ar, r, cx);
}

void agent_rules_stats(const struct agent_rules *ar, struct agent_rules_stats *out)
{
	memset(out, 0, sizeof(*out));
	if (!ar)
		return;
	out->loaded = ar->narmed;
	out->files = ar->nfiles;
	out->alerts = __atomic_load_n(&ar->alerts, __ATOMIC_RELAXED);
	out->alerts_dropped = __atomic_load_n(&ar->dropped, __ATOMIC_RELAXED);
	out->captures_taken = __atomic_load_n(&ar->taken, __ATOMIC_RELAXED);
	out->captures_refused = __atomic_load_n(&ar->refused, __ATOMIC_RELAXED);
}

void agent_rules_free(struct agent_rules *ar)
{
	struct err e = { { 0 } };

	if (!ar)
		return;
	if (ar->sink) {
		alert_sink_report(ar->sink, stderr);
		if (alert_sink_close(ar->sink, &e))
			log_warn("alerts: %s", e.msg);
	}
	for (size_t i = 0; i < ar->narmed; i++)
		alert_format_free(ar->armed[i].fmt);
	free(ar->armed);
	rules_free(ar->set);
	free(ar);
}
