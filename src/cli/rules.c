/*
 * rules: `sysrec rules validate` and `sysrec rules replay`, Falco rules files
 * checked, and a capture replayed through them, as `falco -V` and
 * `falco -r RULES -e CAPTURE` do, with Falco's flags and layouts:
 *
 *   validate: per file "Ok" or "N errors:" then each message, ---, the item,
 *             ---; warnings after ("N warnings:"); "FILE: " before each file's
 *             report when there are several. Exit 1 at the first file with errors.
 *   replay:   one alert per line (text, or Falco's JSON with --json), then
 *             "Events detected: N", "Rule counts by severity:" and
 *             "Triggered rules by rule name:" (on stderr with --json, so that
 *             stdout holds only alerts). Load problems, warnings and -v
 *             details go to stderr, each log line after the time.
 */
#include "cli.h"

#include "../common/common.h"
#include "../rules/alert.h"
#include "../rules/rules.h"
#include "../scap/scap.h"
#include "../state/source.h"
#include "../state/state.h"

#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static void rules_usage(FILE *f)
{
	fprintf(f, "usage: sysrec rules validate [--json] RULES...\n"
	           "       sysrec rules list [--json] RULES...\n"
	           "       sysrec rules replay -r RULES [-r RULES]... [options] CAPTURE\n"
	           "\n"
	           "validate: load each Falco rules file in order (each after the ones before it,\n"
	           "as Falco does) and report its errors and warnings (falco -V).\n"
	           "  --json                 one JSON object: files, each with its errors and warnings\n"
	           "\n"
	           "list: the rules the files define, in order: name, priority, enabled, tags and\n"
	           "the event types each is tried on (Falco's -L); --json adds the condition with\n"
	           "macros, lists and exceptions expanded, and the output.\n"
	           "\n"
	           "replay: run the events of a .scap capture through the rules and print an alert\n"
	           "for each event a rule matches (falco -r RULES -e CAPTURE).\n"
	           "  -r, --rules PATH       a rules file, or a directory of them (read in name\n"
	           "                         order); repeat for several, loaded in order\n"
	           "  -e CAPTURE             the capture (or give it as the last argument)\n"
	           "  -A, --all-events       also match the events Falco skips by default (those\n"
	           "                         flagged EF_DROP_SIMPLE_CONS: reads, writes, ...)\n"
	           "  -t, --tag TAG          only the rules with this tag (repeatable)\n"
	           "  -T, --disable-tag TAG  not the rules with this tag (repeatable)\n"
	           "  -D, --disable NAME     not the rules whose name holds NAME (repeatable)\n"
	           "      --priority P       only rules at least as severe as P (emergency ... debug)\n"
	           "  -j, --json             alerts as Falco's JSON objects, one per line\n"
	           "      --iso-time         times in ISO 8601 UTC (Falco's time_format_iso_8601)\n"
	           "      --output-file F    alerts appended to F instead of stdout\n"
	           "      --output-program C alerts piped into the shell command C\n"
	           "      --syslog           alerts to syslog\n"
	           "      --rate R           alerts per second each rule may send (default 1;\n"
	           "                         0: no limit), with --burst N in hand (default 1000)\n"
	           "  -o KEY=VALUE           a Falco option: json_output, json_include_output_property,\n"
	           "                         json_include_tags_property, time_format_iso_8601,\n"
	           "                         priority, outputs.rate, outputs.max_burst\n"
	           "  -v                     also print each rule's event types (stderr)\n"
	           "\n"
	           "Exit status: 0 done, 1 the rules or the capture failed, 2 bad usage.\n");
}

/* ------------------------------------------------------------ shared */

/* A rules path: a file, or a directory's regular files in name order (as Falco reads -r DIR). */
static int expand_path(const char *path, char ***out, size_t *n)
{
	struct stat sb;
	struct dirent **ents;
	int k;

	if (stat(path, &sb) != 0 || !S_ISDIR(sb.st_mode)) {
		*out = xrealloc(*out, (*n + 1) * sizeof(char *));
		(*out)[(*n)++] = xstrdup(path);
		return 0;
	}
	k = scandir(path, &ents, NULL, alphasort);
	if (k < 0)
		return -errno;
	for (int i = 0; i < k; i++) {
		char *full;

		if (ents[i]->d_name[0] != '.' && asprintf(&full, "%s/%s", path, ents[i]->d_name) >= 0) {
			if (stat(full, &sb) == 0 && S_ISREG(sb.st_mode)) {
				*out = xrealloc(*out, (*n + 1) * sizeof(char *));
				(*out)[(*n)++] = full;
			} else {
				free(full);
			}
		}
		free(ents[i]);
	}
	free(ents);
	return 0;
}

static void free_paths(char **p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(p[i]);
	free(p);
}

/* ------------------------------------------------------------ validate */

static json_t *diags_json(const struct rules *r, const char *file, bool warning)
{
	json_t *a = json_array();

	for (size_t i = 0; i < rules_diag_count(r); i++) {
		const struct rules_diag *d = rules_diag_at(r, i);

		if (d->warning != warning || !d->file || strcmp(d->file, file) != 0)
			continue;
		json_array_append_new(
		        a, json_pack("{s:i,s:s,s:s?}", "line", d->line, "message", d->msg, "item", d->item));
	}
	return a;
}

static int cmd_validate(int argc, char **argv)
{
	struct rules *r;
	char **paths = NULL;
	size_t npaths = 0;
	bool json = false;
	json_t *files = NULL;
	int first = 1, rc = 0;

	if (argc > 1 && (!strcmp(argv[1], "--json") || !strcmp(argv[1], "-j"))) {
		json = true;
		first = 2;
	}
	if (first >= argc || argv[first][0] == '-') {
		if (first < argc && (!strcmp(argv[first], "-h") || !strcmp(argv[first], "--help"))) {
			rules_usage(stdout);
			return 0;
		}
		rules_usage(stderr);
		return 2;
	}
	for (int i = first; i < argc; i++)
		if (expand_path(argv[i], &paths, &npaths) < 0) {
			fprintf(stderr, "sysrec rules validate: %s: %s\n", argv[i], strerror(errno));
			free_paths(paths, npaths);
			return 1;
		}
	r = rules_new();
	if (json)
		files = json_array();
	for (size_t i = 0; i < npaths; i++) {
		struct err e = { { 0 } };
		int lrc = rules_load_file(r, paths[i], &e);

		if (lrc < 0 && lrc != -EINVAL) {
			/* cannot be read: no diagnostics to show */
			if (json)
				json_array_append_new(files, json_pack("{s:s,s:b,s:s}", "file", paths[i],
				                                       "ok", 0, "error", e.msg));
			else
				fprintf(stderr, "sysrec rules validate: %s\n", e.msg);
			rc = 1;
			break;
		}
		if (json) {
			json_array_append_new(files,
			                      json_pack("{s:s,s:b,s:o,s:o}", "file", paths[i], "ok", lrc == 0,
			                                "errors", diags_json(r, paths[i], false), "warnings",
			                                diags_json(r, paths[i], true)));
		} else {
			if (npaths > 1)
				printf("%s: ", paths[i]);
			rules_diag_print(r, paths[i], stdout);
			fflush(stdout);
			rules_diag_locate(r, paths[i], stderr);
		}
		if (lrc < 0) {
			rc = 1;
			break; /* as Falco: the files after a broken one are not read */
		}
	}
	if (json) {
		json_t *o = json_pack("{s:o,s:b}", "files", files, "ok", rc == 0);
		char *s = json_dumps(o, JSON_INDENT(2));

		printf("%s\n", s);
		free(s);
		json_decref(o);
	}
	rules_free(r);
	free_paths(paths, npaths);
	return rc;
}

/* ------------------------------------------------------------ list */

/* The rule's event type names, each once, in table order, joined by commas (or "all"). */
static void type_names(const struct rule *rule, struct sbuf *b)
{
	if (rule->all_types) {
		sbuf_puts(b, "all");
		return;
	}
	for (size_t i = 0; i < rule->ntypes; i++) {
		const char *name = rule->types[i] < EVENT_MAX ? event_table[rule->types[i]].name : "?";
		bool seen = false;

		for (size_t j = 0; j < i && !seen; j++)
			seen = rule->types[j] < EVENT_MAX && !strcmp(event_table[rule->types[j]].name, name);
		if (!seen)
			sbuf_printf(b, "%s%s", b->len ? "," : "", name);
	}
}

/*
 * The rules paths of `rules list` (argv[first..]; -r before a path is taken,
 * as replay takes them) expanded into *paths. 0, 1 when a path cannot be
 * read, 2 on bad usage (told on stderr either way).
 */
static int list_paths(int argc, char **argv, int first, char ***paths, size_t *npaths)
{
	for (int i = first; i < argc; i++) {
		if (!strcmp(argv[i], "-r"))
			continue;
		if (argv[i][0] == '-') {
			rules_usage(stderr);
			return 2;
		}
		if (expand_path(argv[i], paths, npaths) < 0) {
			fprintf(stderr, "sysrec rules list: %s: %s\n", argv[i], strerror(errno));
			return 1;
		}
	}
	if (!*npaths) {
		rules_usage(stderr);
		return 2;
	}
	return 0;
}

/* The rule's tags as a JSON array of strings (the caller owns it). */
static json_t *tags_json(const struct rule *rule)
{
	json_t *tags = json_array();

	for (size_t k = 0; k < rule->ntags; k++)
		json_array_append_new(tags, json_string(rule->tags[k]));
	return tags;
}

/* The rule as `rules list --json` shows it (types: its event type names); the caller owns it. */
static json_t *rule_json(const struct rule *rule, const char *types)
{
	const struct rule_capture *cap = &rule->capture;
	json_t *o = json_pack("{s:s,s:s,s:b,s:o,s:s,s:s?,s:s?,s:s,s:i}", "rule", rule->name, "priority",
	                      rule_priority_name(rule->priority), "enabled", rule->enabled, "tags",
	                      tags_json(rule), "event_types", types, "condition", rule->expanded, "output",
	                      rule->output, "file", rule->file ? rule->file : "", "line", rule->line);

	if (cap->enabled)
		json_object_set_new(o, "capture",
		                    json_pack("{s:s,s:f,s:f,s:s?,s:s}", "name",
		                              cap->name ? cap->name : rule->name, "before", cap->before,
		                              "after", cap->after, "filter", cap->filter, "storage",
		                              cap->storage ? cap->storage : "local"));
	return o;
}

/* `rules list`'s table: the header and each row. */
#define LIST_ROW "%-50s %-13s %-7s %-9s %-30s %s\n"

/* The rule as a row of `rules list`'s table (types: its event type names). */
static void print_rule_row(const struct rule *rule, const char *types)
{
	json_t *tags = tags_json(rule);
	char *tags_text = json_dumps(tags, JSON_COMPACT);
	char cap[32] = "-";

	if (rule->capture.enabled)
		snprintf(cap, sizeof(cap), "%g+%gs", rule->capture.before, rule->capture.after);
	printf(LIST_ROW, rule->name, rule_priority_name(rule->priority), rule->enabled ? "yes" : "no", cap,
	       tags_text, types);
	free(tags_text);
	json_decref(tags);
}

static int cmd_list(int argc, char **argv)
{
	struct rules *r = rules_new();
	char **paths = NULL;
	size_t npaths = 0;
	bool json = argc > 1 && (!strcmp(argv[1], "--json") || !strcmp(argv[1], "-j"));
	int rc = list_paths(argc, argv, json ? 2 : 1, &paths, &npaths);
	json_t *arr = json_array();
	struct sbuf types = { 0 };

	for (size_t i = 0; i < npaths && !rc; i++) {
		struct err e = { { 0 } };

		if (rules_load_file(r, paths[i], &e) < 0) {
			fprintf(stderr, "sysrec rules list: %s (sysrec rules validate shows why)\n", e.msg);
			rc = 1;
		}
	}
	if (rc)
		goto out;
	if (!json)
		printf(LIST_ROW, "RULE", "PRIORITY", "ENABLED", "CAPTURE", "TAGS", "EVENT TYPES");
	for (size_t i = 0; i < rules_count(r); i++) {
		const struct rule *rule = rules_at(r, i);

		sbuf_reset(&types);
		type_names(rule, &types);
		if (json)
			json_array_append_new(arr, rule_json(rule, sbuf_cstr(&types)));
		else
			print_rule_row(rule, sbuf_cstr(&types));
	}
	if (json) {
		char *t = json_dumps(arr, JSON_INDENT(2));

		printf("%s\n", t);
		free(t);
	}
out:
	json_decref(arr);
	sbuf_release(&types);
	rules_free(r);
	free_paths(paths, npaths);
	return rc;
}

/* ------------------------------------------------------------ replay */

struct replay_opts {
	char **rules; /* as given */
	size_t nrules;
	char **tags, **notags, **disable;
	size_t ntags, nnotags, ndisable;
	const char *capture;
	bool all_events, verbose;
	enum rule_priority min_priority;
	struct alert_opts ao;
};

static void push(char ***v, size_t *n, const char *s)
{
	*v = xrealloc(*v, (*n + 1) * sizeof(char *));
	(*v)[(*n)++] = (char *)(uintptr_t)s;
}

static int parse_bool(const char *key, const char *v, bool *out)
{
	if (!strcmp(v, "true") || !strcmp(v, "1")) {
		*out = true;
		return 0;
	}
	if (!strcmp(v, "false") || !strcmp(v, "0")) {
		*out = false;
		return 0;
	}
	fprintf(stderr, "sysrec rules replay: -o %s needs true or false, got '%s'\n", key, v);
	return 2;
}

static int parse_rate(const char *what, const char *v, double *out)
{
	char *end;

	errno = 0;
	*out = strtod(v, &end);
	if (errno || end == v || *end || *out < 0) {
		fprintf(stderr, "sysrec rules replay: %s needs a number >= 0, got '%s'\n", what, v);
		return 2;
	}
	return 0;
}

static int parse_priority(const char *v, enum rule_priority *out)
{
	if (rule_priority_parse(v, out) == 0)
		return 0;
	fprintf(stderr,
	        "sysrec rules replay: unknown priority '%s' (emergency, alert, critical, error, warning, "
	        "notice, informational or info, debug)\n",
	        v);
	return 2;
}

/* -o KEY=VALUE: Falco's names for the options replay has. */
static int set_falco_option(struct replay_opts *o, const char *kv)
{
	const char *eq = strchr(kv, '=');
	char key[64];
	bool b = true;
	int rc;

	if (!eq || (size_t)(eq - kv) >= sizeof(key)) {
		fprintf(stderr, "sysrec rules replay: -o needs KEY=VALUE, got '%s'\n", kv);
		return 2;
	}
	memcpy(key, kv, (size_t)(eq - kv));
	key[eq - kv] = 0;
	eq++;
	if (!strcmp(key, "priority"))
		return parse_priority(eq, &o->min_priority);
	if (!strcmp(key, "outputs.rate"))
		return parse_rate("-o outputs.rate", eq, &o->ao.rate);
	if (!strcmp(key, "outputs.max_burst"))
		return parse_rate("-o outputs.max_burst", eq, &o->ao.burst);
	if (!strcmp(key, "json_output")) {
		rc = parse_bool(key, eq, &o->ao.json);
	} else if (!strcmp(key, "time_format_iso_8601")) {
		rc = parse_bool(key, eq, &o->ao.iso_time);
	} else if (!strcmp(key, "json_include_output_property")) {
		rc = parse_bool(key, eq, &b);
		o->ao.json_no_output = !b;
	} else if (!strcmp(key, "json_include_tags_property")) {
		rc = parse_bool(key, eq, &b);
		o->ao.json_no_tags = !b;
	} else {
		fprintf(stderr,
		        "sysrec rules replay: -o %s: unknown option (json_output, "
		        "json_include_output_property, "
		        "json_include_tags_property, time_format_iso_8601, priority, outputs.rate, "
		        "outputs.max_burst)\n",
		        key);
		return 2;
	}
	return rc;
}

enum { OPT_PRIORITY = 256, OPT_ISO, OPT_FILE, OPT_PROGRAM, OPT_SYSLOG, OPT_RATE, OPT_BURST };

/*
 * One option of `rules replay` (c as getopt_long gives it, with optarg) into
 * o: 0, 2 on bad usage (told on stderr), -1 for --help (usage printed).
 */
static int set_replay_option(struct replay_opts *o, int c, char *arg)
{
	switch (c) {
	case 'r':
		push(&o->rules, &o->nrules, arg);
		return 0;
	case 'e':
		o->capture = arg;
		return 0;
	case 'A':
		o->all_events = true;
		return 0;
	case 't':
		push(&o->tags, &o->ntags, arg);
		return 0;
	case 'T':
		push(&o->notags, &o->nnotags, arg);
		return 0;
	case 'D':
		push(&o->disable, &o->ndisable, arg);
		return 0;
	case OPT_PRIORITY:
		return parse_priority(arg, &o->min_priority);
	case 'j':
		o->ao.json = true;
		return 0;
	case OPT_ISO:
		o->ao.iso_time = true;
		return 0;
	case OPT_FILE:
		o->ao.kind = ALERT_SINK_FILE;
		o->ao.path = arg;
		return 0;
	case OPT_PROGRAM:
		o->ao.kind = ALERT_SINK_PROGRAM;
		o->ao.path = arg;
		return 0;
	case OPT_SYSLOG:
		o->ao.kind = ALERT_SINK_SYSLOG;
		return 0;
	case OPT_RATE:
		return parse_rate("--rate", arg, &o->ao.rate);
	case OPT_BURST:
		return parse_rate("--burst", arg, &o->ao.burst);
	case 'o':
		return set_falco_option(o, arg);
	case 'v':
		o->verbose = true;
		return 0;
	case 'h':
		rules_usage(stdout);
		return -1;
	default:
		rules_usage(stderr);
		return 2;
	}
}

/*
 * `sysrec rules replay` ARGS into o (whose strings point into argv): 0, 2 on
 * bad usage (told on stderr), -1 for --help (usage printed: exit 0).
 */
static int parse_replay(int argc, char **argv, struct replay_opts *o)
{
	static const struct option longopts[] = {
		{ "rules", required_argument, NULL, 'r' },
		{ "all-events", no_argument, NULL, 'A' },
		{ "tag", required_argument, NULL, 't' },
		{ "disable-tag", required_argument, NULL, 'T' },
		{ "disable", required_argument, NULL, 'D' },
		{ "priority", required_argument, NULL, OPT_PRIORITY },
		{ "json", no_argument, NULL, 'j' },
		{ "iso-time", no_argument, NULL, OPT_ISO },
		{ "output-file", required_argument, NULL, OPT_FILE },
		{ "output-program", required_argument, NULL, OPT_PROGRAM },
		{ "syslog", no_argument, NULL, OPT_SYSLOG },
		{ "rate", required_argument, NULL, OPT_RATE },
		{ "burst", required_argument, NULL, OPT_BURST },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c, rc = 0;

	o->min_priority = PRIO_DEBUG;
	o->ao.kind = ALERT_SINK_STDOUT;
	o->ao.rate = ALERT_DEFAULT_RATE;
	o->ao.burst = ALERT_DEFAULT_BURST;
	optind = 1;
	while (!rc && (c = getopt_long(argc, argv, "r:e:At:T:D:jo:vh", longopts, NULL)) != -1)
		rc = set_replay_option(o, c, optarg);
	if (rc)
		return rc;
	if (optind < argc && !o->capture)
		o->capture = argv[optind++];
	if (optind < argc) {
		fprintf(stderr, "sysrec rules replay: one capture only, got '%s' too\n", argv[optind]);
		return 2;
	}
	if (!o->nrules || !o->capture) {
		fprintf(stderr, "sysrec rules replay: %s\n",
		        !o->nrules ? "no rules: give -r RULES" : "no capture: give CAPTURE or -e CAPTURE");
		rules_usage(stderr);
		return 2;
	}
	return 0;
}

/* Falco's log line prefix: the wall-clock time, ISO 8601 UTC or as asctime(3) says it. */
static void log_line(bool iso, const char *fmt, ...) PRINTF_LIKE(2, 3);
static void log_line(bool iso, const char *fmt, ...)
{
	time_t now = time(NULL);
	struct tm tm;
	char ts[64];
	va_list ap;

	if (iso) {
		gmtime_r(&now, &tm);
		strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%S+0000", &tm);
	} else {
		localtime_r(&now, &tm);
		strftime(ts, sizeof(ts), "%a %b %e %H:%M:%S %Y", &tm);
	}
	fprintf(stderr, "%s: ", ts);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
}

/* The warnings (and, when errors, the errors) of diagnostics [from, count), in Falco's layout, to stderr. */
static void print_new_diags(const struct rules *r, size_t from, bool errors)
{
	for (size_t i = from; i < rules_diag_count(r); i++) {
		const struct rules_diag *d = rules_diag_at(r, i);

		if (!d->warning && !errors)
			continue;
		fprintf(stderr, "%s\n", d->msg);
		if (d->item)
			fprintf(stderr, "---\n%s---\n", d->item);
	}
}

static int cmp_cstr(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* -v: "Event types for rule NAME: open,openat" (names sorted, each once), or "all". */
static void print_event_types(const struct rule *rule)
{
	const char **names;
	size_t n = 0;

	if (rule->all_types) {
		fprintf(stderr, "Event types for rule %s: all\n", rule->name);
		return;
	}
	names = xcalloc(rule->ntypes + 1, sizeof(*names));
	for (size_t i = 0; i < rule->ntypes; i++)
		if (rule->types[i] < EVENT_MAX)
			names[n++] = event_table[rule->types[i]].name;
	qsort(names, n, sizeof(*names), cmp_cstr);
	fprintf(stderr, "Event types for rule %s: ", rule->name);
	for (size_t i = 0; i < n; i++)
		if (!i || strcmp(names[i], names[i - 1]) != 0)
			fprintf(stderr, "%s%s", i ? "," : "", names[i]);
	fprintf(stderr, "\n");
	free(names);
}

/* Load every rules file in order; 0, or 1 with the problem told (as Falco's "Runtime error"). */
static int load_rules(struct rules *r, const struct replay_opts *o)
{
	char **paths = NULL;
	size_t npaths = 0;
	int rc = 0;

	for (size_t i = 0; i < o->nrules && !rc; i++)
		if (expand_path(o->rules[i], &paths, &npaths) < 0) {
			log_line(o->ao.iso_time, "Runtime error: %s: %s. Exiting.\n", o->rules[i],
			         strerror(errno));
			rc = 1;
		}
	for (size_t i = 0; i < npaths && !rc; i++) {
		struct err e = { { 0 } };
		size_t before = rules_diag_count(r);
		int lrc;

		log_line(o->ao.iso_time, "Loading rules from file %s:\n", paths[i]);
		lrc = rules_load_file(r, paths[i], &e);
		if (lrc == -EINVAL) {
			log_line(o->ao.iso_time, "Runtime error: Could not load rules file %s: ", paths[i]);
			rules_diag_print(r, paths[i], stderr);
			rules_diag_locate(r, paths[i], stderr);
			fprintf(stderr, "Exiting.\n");
			rc = 1;
		} else if (lrc < 0) {
			log_line(o->ao.iso_time, "Runtime error: %s. Exiting.\n", e.msg);
			rc = 1;
		} else {
			print_new_diags(r, before, false);
		}
	}
	free_paths(paths, npaths);
	return rc;
}

struct tally {
	uint64_t total;
	uint64_t by_priority[PRIO_DEBUG + 1];
	/* rules in the order they first fired */
	const struct rule **rules;
	uint64_t *counts;
	size_t n;
	struct i64map index; /* struct rule * -> position + 1 */
};

static void tally_add(struct tally *t, const struct rule *rule)
{
	uintptr_t k = (uintptr_t)i64map_get(&t->index, (int64_t)(uintptr_t)rule);

	t->total++;
	if ((unsigned)rule->priority <= PRIO_DEBUG)
		t->by_priority[rule->priority]++;
	if (!k) {
		t->rules = xrealloc(t->rules, (t->n + 1) * sizeof(const struct rule *));
		t->counts = xrealloc(t->counts, (t->n + 1) * sizeof(*t->counts));
		t->rules[t->n] = rule;
		t->counts[t->n++] = 0;
		k = t->n;
		i64map_put(&t->index, (int64_t)(uintptr_t)rule, (void *)k);
	}
	t->counts[k - 1]++;
}

/* Falco's summary: totals, then by severity (its short upper-case names), then by rule. */
static void tally_print(const struct tally *t, FILE *out)
{
	static const char *const short_names[] = { "EMERGENCY", "ALERT",  "CRITICAL", "ERROR",
		                                   "WARNING",   "NOTICE", "INFO",     "DEBUG" };

	fprintf(out, "Events detected: %llu\n", (unsigned long long)t->total);
	fprintf(out, "Rule counts by severity:\n");
	for (int p = 0; p <= PRIO_DEBUG; p++)
		if (t->by_priority[p])
			fprintf(out, "   %s: %llu\n", short_names[p], (unsigned long long)t->by_priority[p]);
	fprintf(out, "Triggered rules by rule name:\n");
	for (size_t i = 0; i < t->n; i++)
		fprintf(out, "   %s: %llu\n", t->rules[i]->name, (unsigned long long)t->counts[i]);
}

/* What one replay holds; replay_release() frees it all. */
struct replay {
	const struct replay_opts *o;
	struct rules *r;
	struct state *st;
	struct alert_format **fmts; /* by rule index (rules_at): NULL for rules off or not compiled */
	struct i64map fmt_of;       /* struct rule * -> its alert format (in fmts) */
	struct source *src;
	struct alert_sink *sink;
	struct tally t;
};

/* Falco's -t, -T, -D, -A and priority applied to the loaded rules. */
static void select_rules(struct rules *r, const struct replay_opts *o)
{
	if (o->ntags) {
		rules_enable_name(r, "", true, false);
		for (size_t i = 0; i < o->ntags; i++)
			rules_enable_tag(r, o->tags[i], true);
	}
	for (size_t i = 0; i < o->nnotags; i++)
		rules_enable_tag(r, o->notags[i], false);
	for (size_t i = 0; i < o->ndisable; i++)
		rules_enable_name(r, o->disable[i], true, false);
	rules_set_all_events(r, o->all_events);
	rules_set_min_priority(r, o->min_priority);
}

/*
 * The rules compiled against rp->st, and each enabled rule's output into an
 * alert format (-v: its event types told). 0, or 1 with the problem told.
 */
static int compile_rules(struct replay *rp)
{
	const struct replay_opts *o = rp->o;
	size_t before = rules_diag_count(rp->r);
	struct err e = { { 0 } };

	if (rules_compile(rp->r, rp->st, &e)) {
		log_line(o->ao.iso_time, "Runtime error: %s:\n", e.msg);
		print_new_diags(rp->r, before, true);
		return 1;
	}
	rp->fmts = xcalloc(rules_count(rp->r) + 1, sizeof(struct alert_format *));
	for (size_t i = 0; i < rules_count(rp->r); i++) {
		struct rule *rule = rules_at(rp->r, i);

		if (!rule->enabled || !rule->filter)
			continue;
		if (o->verbose)
			print_event_types(rule);
		rp->fmts[i] = alert_format_compile(rp->st, rule->output ? rule->output : "", &e);
		if (!rp->fmts[i]) {
			log_line(o->ao.iso_time, "Runtime error: rule %s: %s. Exiting.\n", rule->name, e.msg);
			return 1;
		}
		i64map_put(&rp->fmt_of, (int64_t)(uintptr_t)rule, rp->fmts[i]);
	}
	return 0;
}

/* The capture opened and the alert sink too. 0, or 1 with the problem told. */
static int open_capture_and_sink(struct replay *rp)
{
	struct err e = { { 0 } };

	if (!(rp->src = source_open_file(rp->o->capture, rp->st, SOURCE_STATE, &e))) {
		fprintf(stderr, "sysrec rules replay: %s\n", e.msg);
		return 1;
	}
	if (rp->o->ao.kind == ALERT_SINK_PROGRAM)
		signal(SIGPIPE, SIG_IGN); /* a program gone is a write error, not death */
	if (!(rp->sink = alert_sink_open(&rp->o->ao, &e))) {
		fprintf(stderr, "sysrec rules replay: %s\n", e.msg);
		return 1;
	}
	return 0;
}

/*
 * Every record of the capture into the state; each event shown that a rule
 * matches counted and alerted. 0, or 1 when the capture fails (told).
 */
static int replay_events(struct replay *rp)
{
	struct progress prog = { isatty(STDERR_FILENO), 0, "sysrec rules replay" };
	struct err e = { { 0 } };
	struct scap_record rec;
	struct evctx cx;
	uint64_t nevents = 0;
	int rc;

	memset(&rec, 0, sizeof(rec));
	while ((rc = source_next(rp->src, &rec, &cx, &e)) > 0) {
		struct alert_format *f;
		struct rule *hit;

		if (rc != SOURCE_EVENT)
			continue;
		progress_tick(&prog, ++nevents, source_offset(rp->src), false);
		if (!cx.shown || !(hit = rules_match(rp->r, &cx)))
			continue; /* Falco sees the events sysdig would show */
		tally_add(&rp->t, hit);
		if ((f = i64map_get(&rp->fmt_of, (int64_t)(uintptr_t)hit)))
			alert_emit(rp->sink, hit, f, &cx);
	}
	progress_tick(&prog, nevents, source_offset(rp->src), true);
	if (rc < 0) {
		fprintf(stderr, "sysrec rules replay: %s: %s\n", rp->o->capture, e.msg);
		return 1;
	}
	return 0;
}

/* Free what rp holds; the exit status, exit_code or 1 when the alert sink fails to close (told). */
static int replay_release(struct replay *rp, int exit_code)
{
	if (rp->sink) {
		struct err e = { { 0 } };

		if (alert_sink_close(rp->sink, &e)) {
			fprintf(stderr, "sysrec rules replay: %s\n", e.msg);
			exit_code = 1;
		}
	}
	for (size_t i = 0; rp->fmts && i < rules_count(rp->r); i++)
		alert_format_free(rp->fmts[i]);
	free(rp->fmts);
	source_close(rp->src);
	rules_free(rp->r);
	state_free(rp->st);
	free(rp->t.rules);
	free(rp->t.counts);
	i64map_release(&rp->t.index);
	i64map_release(&rp->fmt_of);
	return exit_code;
}

/* `sysrec rules replay` with its options parsed: the exit status. */
static int replay(const struct replay_opts *o)
{
	struct replay rp;

	memset(&rp, 0, sizeof(rp));
	rp.o = o;
	rp.r = rules_new();
	rp.st = state_new();
	i64map_init(&rp.t.index);
	i64map_init(&rp.fmt_of);
	if (load_rules(rp.r, o))
		return replay_release(&rp, 1);
	select_rules(rp.r, o);
	if (compile_rules(&rp) || open_capture_and_sink(&rp) || replay_events(&rp))
		return replay_release(&rp, 1);
	tally_print(&rp.t, o->ao.json ? stderr : stdout);
	alert_sink_report(rp.sink, stderr);
	return replay_release(&rp, 0);
}

static int cmd_replay(int argc, char **argv)
{
	struct replay_opts o;
	int rc;

	memset(&o, 0, sizeof(o));
	rc = parse_replay(argc, argv, &o);
	if (rc == 0 && o.ntags && (o.nnotags || o.ndisable)) {
		log_line(o.ao.iso_time,
		         "Runtime error: You can not specify both disabled (-D/-T) and enabled (-t) "
		         "rules. Exiting.\n");
		rc = 1;
	}
	if (rc == 0)
		rc = replay(&o);
	free(o.rules);
	free(o.tags);
	free(o.notags);
	free(o.disable);
	return rc < 0 ? 0 : rc;
}

int cmd_rules(int argc, char **argv)
{
	if (argc < 2) {
		rules_usage(stderr);
		return 2;
	}
	if (!strcmp(argv[1], "validate"))
		return cmd_validate(argc - 1, argv + 1);
	if (!strcmp(argv[1], "list"))
		return cmd_list(argc - 1, argv + 1);
	if (!strcmp(argv[1], "replay"))
		return cmd_replay(argc - 1, argv + 1);
	if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
		rules_usage(stdout);
		return 0;
	}
	fprintf(stderr, "sysrec rules: unknown subcommand '%s' (validate, list, replay)\n", argv[1]);
	return 2;
}
