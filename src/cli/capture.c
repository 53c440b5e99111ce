/*
 * capture: `sysrec capture take|list|show|download|delete|keep|discard`, the
 * command-line client of the agent's API (docs/api.md): the subcommand table,
 * the options, checked before any request, and the helpers the subcommands
 * print with. Requests go through client.c; each subcommand's file
 * (capture_int.h lists them) prints what came back: a table, one member per
 * line, or the API's own JSON with --json.
 */
#include "cli.h"

#include "capture_int.h"
#include "../engine/engine.h"

#include <curl/curl.h>
#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <locale.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#define DEFAULT_URL "http://127.0.0.1:7070"
#define JSON_OUT    (JSON_INDENT(2) | JSON_REAL_PRECISION(15))

#define OPT_VAL(o)  (256 + (int)(o)) /* getopt's value for a long option */
#define COMMON_OPTS (BIT(O_URL) | BIT(O_TOKEN) | BIT(O_DATA) | BIT(O_CACERT) | BIT(O_INSECURE) | BIT(O_JSON))
#define TAKE_OPTS                                                                                          \
	(BIT(O_NAME) | BIT(O_CONTAINER) | BIT(O_DURATION) | BIT(O_BEFORE) | BIT(O_AFTER) | BIT(O_FILTER) | \
	 BIT(O_FILTER_PROCLIST) | BIT(O_STORAGE) | BIT(O_NO_WAIT) | BIT(O_PACKETS) | BIT(O_NO_PACKETS) |   \
	 BIT(O_ARTIFACTS) | BIT(O_NO_ARTIFACTS))
#define LIST_OPTS                                                                                    \
	(BIT(O_SEARCH) | BIT(O_ERROR) | BIT(O_EXPIRING) | BIT(O_STATUS) | BIT(O_SORT) | BIT(O_ASC) | \
	 BIT(O_LIMIT) | BIT(O_OFFSET))

static const struct option longs[] = {
	{ "url", required_argument, NULL, OPT_VAL(O_URL) },
	{ "token", required_argument, NULL, OPT_VAL(O_TOKEN) },
	{ "data", required_argument, NULL, OPT_VAL(O_DATA) },
	{ "cacert", required_argument, NULL, OPT_VAL(O_CACERT) },
	{ "insecure", no_argument, NULL, OPT_VAL(O_INSECURE) },
	{ "json", no_argument, NULL, OPT_VAL(O_JSON) },
	{ "name", required_argument, NULL, OPT_VAL(O_NAME) },
	{ "container", required_argument, NULL, OPT_VAL(O_CONTAINER) },
	{ "duration", required_argument, NULL, OPT_VAL(O_DURATION) },
	{ "before", required_argument, NULL, OPT_VAL(O_BEFORE) },
	{ "after", required_argument, NULL, OPT_VAL(O_AFTER) },
	{ "filter", required_argument, NULL, OPT_VAL(O_FILTER) },
	{ "filter-proclist", no_argument, NULL, OPT_VAL(O_FILTER_PROCLIST) },
	{ "storage", required_argument, NULL, OPT_VAL(O_STORAGE) },
	{ "no-wait", no_argument, NULL, OPT_VAL(O_NO_WAIT) },
	{ "search", required_argument, NULL, OPT_VAL(O_SEARCH) },
	{ "error", no_argument, NULL, OPT_VAL(O_ERROR) },
	{ "expiring", no_argument, NULL, OPT_VAL(O_EXPIRING) },
	{ "status", required_argument, NULL, OPT_VAL(O_STATUS) },
	{ "sort", required_argument, NULL, OPT_VAL(O_SORT) },
	{ "asc", no_argument, NULL, OPT_VAL(O_ASC) },
	{ "limit", required_argument, NULL, OPT_VAL(O_LIMIT) },
	{ "offset", required_argument, NULL, OPT_VAL(O_OFFSET) },
	{ "output", required_argument, NULL, OPT_VAL(O_OUTPUT) },
	{ "packets", no_argument, NULL, OPT_VAL(O_PACKETS) },
	{ "no-packets", no_argument, NULL, OPT_VAL(O_NO_PACKETS) },
	{ "part", required_argument, NULL, OPT_VAL(O_PART) },
	{ "all", no_argument, NULL, OPT_VAL(O_ALL) },
	{ "artifacts", required_argument, NULL, OPT_VAL(O_ARTIFACTS) },
	{ "no-artifacts", no_argument, NULL, OPT_VAL(O_NO_ARTIFACTS) },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

struct subcommand {
	const char *name;
	int (*run)(struct client *c, const struct capture_opts *o);
	unsigned opts;          /* beyond COMMON_OPTS */
	int min_args, max_args; /* ids; max -1: any number */
	const char *synopsis;
	const char *help; /* its own options */
};

static const char common_help[] =
        "  --url URL             the agent (else $SYSREC_URL, else " DEFAULT_URL ")\n"
        "  --token TOKEN         the API token (else $SYSREC_TOKEN, else the file DATA/token)\n"
        "  --data DIR            the agent's data directory (else $SYSREC_DATA, else " DEFAULT_DATA ")\n"
        "  --cacert FILE         the CA that signed the agent's TLS certificate\n"
        "  --insecure            do not verify the agent's TLS certificate\n"
        "  --json                print the API's JSON on stdout\n";

/* ---- what every subcommand prints with ---- */

int capture_usage_error(const char *fmt, ...)
{
	va_list ap;

	fputs("sysrec capture: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return 2;
}

int capture_fail(const struct err *e)
{
	fflush(stdout); /* what was printed comes first when both go to one place */
	fprintf(stderr, "sysrec capture: %s\n", e->msg);
	return 1;
}

void capture_print_json(const json_t *j)
{
	json_dumpf(j, stdout, JSON_OUT);
	putchar('\n');
}

const char *capture_member_str(const json_t *obj, const char *key)
{
	const char *s = json_string_value(json_object_get(obj, key));

	return s ? s : "";
}

/* "/api/captures/ID" + suffix, the id escaped; the caller frees it. */
char *capture_path(struct client *c, const char *id, const char *suffix)
{
	char *esc = client_escape(c, id);
	struct sbuf b = { 0 };

	sbuf_printf(&b, CAPTURE_PATH "/%s%s", esc, suffix);
	free(esc);
	return (char *)sbuf_cstr(&b);
}

/* ---- the subcommands ---- */

static const struct subcommand subcommands[] = {
	{ "take", capture_run_take, TAKE_OPTS, 0, 0,
	  "take --name NAME [--container ID|NAME] [--duration S | --before S --after S] [--filter FILTER]\n"
	  "                      [--filter-proclist] [--storage local] [--no-wait] [--packets | "
	  "--no-packets]",
	  "  --name NAME           the capture's name (required)\n"
	  "  --container ID|NAME   record only this container's processes (a name is asked\n"
	  "                        of the agent's container runtimes)\n"
	  "  --duration S          seconds from now (default 5); --before and --after instead\n"
	  "  --before S            seconds before now, from the flight recorder\n"
	  "  --after S             seconds after now\n"
	  "  --filter FILTER       Falco condition: the events it rejects are not written\n"
	  "  --filter-proclist     apply the filter to the process table too\n"
	  "  --storage STORE       where to store it (local)\n"
	  "  --packets, --no-packets  the window's packets in the bundle too, or not (default:\n"
	  "                        as the agent's packets.enabled)\n"
	  "  --artifacts KINDS     the window's artifacts of these kinds (write, exec, mem,\n"
	  "                        module, bpf; comma-separated; all: every kind the agent\n"
	  "                        keeps, the default); --no-artifacts: none\n"
	  "  --no-wait             return once the agent took the request\n" },
	{ "list", capture_run_list, LIST_OPTS, 0, 0,
	  "list [--search S] [--error | --expiring | --status S] [--sort KEY] [--asc]\n"
	  "                      [--limit N] [--offset N]",
	  "  --search S            substring of the name, host or trigger\n"
	  "  --error, --expiring   only failed captures, or those retention deletes within 7 days\n"
	  "  --status S            ok, error, expiring, recording or storing\n"
	  "  --sort KEY            created (default), name, start, duration, size, status, trigger, host\n"
	  "  --asc                 ascending (default: descending)\n"
	  "  --limit N, --offset N the page: N captures (1..1000, default 100) after skipping N\n" },
	{ "show", capture_run_show, 0, 1, 1, "show ID", "" },
	{ "download", capture_run_download, BIT(O_OUTPUT) | BIT(O_PART) | BIT(O_ALL), 1, 1,
	  "download ID -o FILE [--part scap|pcapng|artifacts | --all]",
	  "  -o, --output FILE     where to write the file (- for stdout); it appears only\n"
	  "                        when whole and matching the catalog's sha256\n"
	  "  --part PART           scap (the events, default), pcapng (the window's packets)\n"
	  "                        or artifacts (a tar.gz of the window's artifacts)\n"
	  "  --all                 every part of the bundle in one tar.gz archive, each verified\n" },
	{ "delete", capture_run_delete, 0, 1, -1, "delete ID [ID...]", "" },
	{ "keep", capture_run_keep, 0, 1, 1, "keep ID", "" },
	{ "discard", capture_run_discard, 0, 1, 1, "discard ID", "" },
};

static const struct subcommand *find_subcommand(const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(subcommands); i++)
		if (!strcmp(name, subcommands[i].name))
			return &subcommands[i];
	return NULL;
}

static void capture_usage(FILE *f, const struct subcommand *sub)
{
	if (sub) {
		fprintf(f, "usage: sysrec capture %s [options]\n\n%s%s", sub->synopsis, sub->help,
		        sub->help[0] ? "\n" : "");
	} else {
		fprintf(f, "usage: sysrec capture <subcommand> [options]\n\n");
		for (size_t i = 0; i < ARRAY_SIZE(subcommands); i++)
			fprintf(f, "  sysrec capture %s\n", subcommands[i].synopsis);
		fprintf(f,
		        "\nsysrec capture <subcommand> -h shows its options. Options of every subcommand:\n");
	}
	fputs(common_help, f);
}

/* ---- options ---- */

static const char *option_name(enum opt o)
{
	for (size_t i = 0; i < ARRAY_SIZE(longs) - 1; i++)
		if (longs[i].val == OPT_VAL(o))
			return longs[i].name;
	return "?";
}

static int parse_seconds(const char *s, enum opt o, double *v)
{
	char *end;

	errno = 0;
	*v = strtod(s, &end);
	if (errno || end == s || *end || !isfinite(*v) || *v < 0)
		return capture_usage_error("--%s must be a number of seconds (0 or more), not '%s'",
		                           option_name(o), s);
	return 0;
}

static int parse_long(const char *s, enum opt o, long min, long max, long *v)
{
	char *end;

	errno = 0;
	*v = strtol(s, &end, 10);
	if (errno || end == s || *end || *v < min || *v > max)
		return capture_usage_error("--%s must be a number from %ld to %ld, not '%s'", option_name(o),
		                           min, max, s);
	return 0;
}

static bool one_of(const char *s, const char *const *list)
{
	for (; *list; list++)
		if (!strcmp(s, *list))
			return true;
	return false;
}

static int set_option(struct capture_opts *o, enum opt opt, const char *arg)
{
	static const char *const statuses[] = { "ok", "error", "expiring", "recording", "storing", NULL };
	static const char *const sorts[] = { "created", "name",    "start", "duration", "size",
		                             "status",  "trigger", "host",  NULL };
	const char **str[] = {
		[O_URL] = &o->url,       [O_TOKEN] = &o->token_arg, [O_DATA] = &o->data,
		[O_CACERT] = &o->cacert, [O_NAME] = &o->name,       [O_CONTAINER] = &o->container,
		[O_FILTER] = &o->filter, [O_STORAGE] = &o->storage, [O_SEARCH] = &o->search,
		[O_STATUS] = &o->status, [O_SORT] = &o->sort,       [O_OUTPUT] = &o->output,
		[O_PART] = &o->part,
	};

	if ((o->given & BIT(opt)) && opt != O_ERROR && opt != O_EXPIRING)
		return capture_usage_error("--%s is given twice", option_name(opt));
	o->given |= BIT(opt);
	if ((size_t)opt < ARRAY_SIZE(str) && str[opt])
		*str[opt] = arg;
	switch (opt) {
	case O_INSECURE:
		o->insecure = true;
		return 0;
	case O_JSON:
		o->json = true;
		return 0;
	case O_FILTER_PROCLIST:
		o->filter_proclist = true;
		return 0;
	case O_NO_WAIT:
		o->no_wait = true;
		return 0;
	case O_ASC:
		o->asc = true;
		return 0;
	case O_PACKETS:
	case O_NO_PACKETS:
		if (o->packets >= 0)
			return capture_usage_error("--packets and --no-packets: give one");
		o->packets = opt == O_PACKETS;
		return 0;
	case O_ALL:
		o->all = true;
		return 0;
	case O_ARTIFACTS:
		if (o->no_artifacts)
			return capture_usage_error("--artifacts and --no-artifacts: give one");
		if (strcmp(arg, "all") != 0)
			for (const char *p = arg;; p += strcspn(p, ",") + 1) {
				if (!engine_art_kind(p, strcspn(p, ",")))
					return capture_usage_error(
					        "--artifacts takes all or kinds, comma-separated "
					        "(write, exec, mem, module, bpf), not '%s'",
					        arg);
				if (!p[strcspn(p, ",")])
					break;
			}
		o->artifacts = arg;
		return 0;
	case O_NO_ARTIFACTS:
		if (o->artifacts)
			return capture_usage_error("--artifacts and --no-artifacts: give one");
		o->no_artifacts = true;
		return 0;
	case O_PART:
		if (strcmp(arg, "scap") != 0 && strcmp(arg, "pcapng") != 0 && strcmp(arg, "artifacts") != 0)
			return capture_usage_error("--part must be scap, pcapng or artifacts, not '%s'", arg);
		return 0;
	case O_DURATION:
		return parse_seconds(arg, opt, &o->duration);
	case O_BEFORE:
		return parse_seconds(arg, opt, &o->before);
	case O_AFTER:
		return parse_seconds(arg, opt, &o->after);
	case O_LIMIT:
		return parse_long(arg, opt, 1, 1000, &o->limit);
	case O_OFFSET:
		return parse_long(arg, opt, 0, 1000000000, &o->offset);
	case O_ERROR:
	case O_EXPIRING:
		if (o->status && strcmp(o->status, opt == O_ERROR ? "error" : "expiring") != 0)
			return capture_usage_error("--error, --expiring and --status select one status");
		o->status = opt == O_ERROR ? "error" : "expiring";
		return 0;
	case O_STATUS:
		if ((o->given & (BIT(O_ERROR) | BIT(O_EXPIRING))))
			return capture_usage_error("--error, --expiring and --status select one status");
		if (!one_of(arg, statuses))
			return capture_usage_error(
			        "--status must be ok, error, expiring, recording or storing, not '%s'", arg);
		return 0;
	case O_SORT:
		if (!one_of(arg, sorts))
			return capture_usage_error(
			        "--sort must be one of created, name, start, duration, size, status, "
			        "trigger, host, not '%s'",
			        arg);
		return 0;
	default:
		return 0;
	}
}

/* What getopt cannot check: the subcommand, the options it takes, its ids. */
static int check_opts(const struct subcommand *sub, const struct capture_opts *o)
{
	unsigned extra = o->given & ~(COMMON_OPTS | sub->opts);

	for (enum opt k = O_URL; extra; k++, extra >>= 1)
		if (extra & 1)
			return capture_usage_error(
			        "%s does not take --%s (sysrec capture %s -h lists its options)", sub->name,
			        option_name(k), sub->name);
	if (o->nargs < sub->min_args)
		return capture_usage_error("%s needs %s", sub->name,
		                           sub->max_args == 1 ? "an ID" : "at least one ID");
	if (sub->max_args >= 0 && o->nargs > sub->max_args)
		return capture_usage_error("%s takes %s, not '%s'", sub->name,
		                           sub->max_args ? "one ID" : "no word", o->args[sub->max_args]);
	for (int i = 0; i < o->nargs; i++)
		if (!o->args[i][0] || !strcmp(o->args[i], ".") || !strcmp(o->args[i], ".."))
			return capture_usage_error("'%s' is not a capture id", o->args[i]);
	if (sub->run == capture_run_take) {
		if (!o->name || !o->name[0])
			return capture_usage_error("take needs --name NAME");
		if ((o->given & BIT(O_DURATION)) && (o->given & (BIT(O_BEFORE) | BIT(O_AFTER))))
			return capture_usage_error(
			        "--duration is the seconds after now: give it, or --before and --after");
	}
	if (sub->run == capture_run_download) {
		if (o->all && o->part)
			return capture_usage_error("--all takes every part: --part names one");
		if (!o->output)
			return capture_usage_error("download needs -o FILE (- for stdout)");
		if (!strcmp(o->output, "-") && o->json)
			return capture_usage_error("-o - and --json would both write to stdout");
		if (!strcmp(o->output, "-") && isatty(STDOUT_FILENO))
			return capture_usage_error(
			        "will not write a capture to a terminal: redirect stdout, or -o FILE");
	}
	return 0;
}

/* Returns 0 to go on, -1 after -h, or the exit code of a usage error. */
static int parse_opts(int argc, char **argv, struct capture_opts *o, const struct subcommand **sub)
{
	int c;
	bool help = false;

	memset(o, 0, sizeof(*o));
	o->limit = o->offset = -1;
	o->packets = -1;
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":ho:", longs, NULL)) != -1) {
		int rc = 0;

		if (c == 'h')
			help = true;
		else if (c == 'o')
			rc = set_option(o, O_OUTPUT, optarg);
		else if (c >= OPT_VAL(O_URL) && c <= OPT_VAL(O_ALL))
			rc = set_option(o, (enum opt)(c - OPT_VAL(O_URL)), optarg);
		else if (c == ':')
			rc = capture_usage_error("%s needs a value", argv[optind - 1]);
		else if (optopt > 0 && optopt < 256)
			rc = capture_usage_error("unknown option '-%c'", optopt);
		else
			rc = capture_usage_error("unknown or malformed option '%s'", argv[optind - 1]);
		if (rc)
			return rc;
	}
	*sub = optind < argc ? find_subcommand(argv[optind]) : NULL;
	if (help) {
		capture_usage(stdout, *sub);
		return -1;
	}
	if (!*sub) {
		if (optind < argc)
			capture_usage_error("unknown subcommand '%s'", argv[optind]);
		capture_usage(stderr, NULL);
		return 2;
	}
	o->args = argv + optind + 1;
	o->nargs = argc - optind - 1;
	return check_opts(*sub, o);
}

/* ---- sysrec capture ---- */

int cmd_capture(int argc, char **argv)
{
	struct capture_opts o;
	const struct subcommand *sub = NULL;
	struct client_opts co = { 0 };
	struct client *c;
	struct err e = { { 0 } };
	char *token;
	int rc = parse_opts(argc, argv, &o, &sub);

	if (rc)
		return rc < 0 ? 0 : rc;
	co.url = o.url ? o.url : env_or("SYSREC_URL", DEFAULT_URL);
	if (strncasecmp(co.url, "http://", 7) != 0 && strncasecmp(co.url, "https://", 8) != 0)
		return capture_usage_error("the agent's URL must start with http:// or https://, not '%s'",
		                           co.url);
	rc = capture_resolve_token(&o, &token);
	if (rc || !token)
		return rc ? rc : 1;
	co.token = token;
	co.cacert = o.cacert;
	co.insecure = o.insecure;
	setlocale(LC_CTYPE, ""); /* wcwidth() for the table's columns */
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		err_set(&e, -EIO, "cannot start libcurl");
		rc = capture_fail(&e);
	} else {
		c = client_new(&co, &e);
		rc = c ? sub->run(c, &o) : capture_fail(&e);
		client_free(c);
		curl_global_cleanup();
	}
	fflush(stdout);
	if (ferror(stdout)) {
		fprintf(stderr, "sysrec capture: cannot write to stdout\n");
		rc = 1;
	}
	explicit_bzero(token, strlen(token));
	free(token);
	return rc;
}
