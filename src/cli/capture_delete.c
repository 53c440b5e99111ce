/* capture_delete: `sysrec capture delete`, `keep` and `discard`: what stays in the agent's catalog. */
#include "capture_int.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>

#define DELETE_BATCH 1000 /* ids per POST /api/captures/delete */

/* Print a delete reply: "deleted ID" for each on stdout, "ID: why" for each error on stderr. */
static int report_deleted(const json_t *reply, const char *verb)
{
	const json_t *v;
	const char *id;
	size_t i;
	int failed = 0;

	json_array_foreach(json_object_get(reply, "deleted"), i, v)
	{
		char *s = capture_clean_text(json_string_value(v) ? json_string_value(v) : "");

		printf("%s %s\n", verb, s);
		free(s);
	}
	json_object_foreach(json_object_get(reply, "errors"), id, v)
	{
		char *s = capture_clean_text(id),
		     *why = capture_clean_text(json_string_value(v) ? json_string_value(v) : "");

		fprintf(stderr, "sysrec capture: %s: %s\n", s, why);
		free(s);
		free(why);
		failed = 1;
	}
	return failed;
}

int capture_run_delete(struct client *c, const struct capture_opts *o)
{
	json_t *all = json_pack("{s:[],s:{}}", "deleted", "errors");
	bool answered = false;
	int rc = 0;

	for (int from = 0; from < o->nargs; from += DELETE_BATCH) {
		int to = from + DELETE_BATCH < o->nargs ? from + DELETE_BATCH : o->nargs;
		struct err e = { { 0 } };
		json_t *reply, *ids = json_array();

		for (int i = from; i < to; i++)
			json_array_append_new(ids, json_string(o->args[i]));
		if (o->nargs == 1) {
			char *path = capture_path(c, o->args[0], "");

			reply = client_call(c, "DELETE", path, NULL, &e);
			free(path);
		} else {
			json_t *req = json_pack("{s:O}", "ids", ids);

			reply = client_call(c, "POST", CAPTURE_PATH "/delete", req, &e);
			json_decref(req);
		}
		json_decref(ids);
		if (!reply) {
			rc = capture_fail(&e); /* the whole request failed: one message, not one per id */
			continue;
		}
		answered = true;
		json_array_extend(json_object_get(all, "deleted"), json_object_get(reply, "deleted"));
		json_object_update(json_object_get(all, "errors"), json_object_get(reply, "errors"));
		json_decref(reply);
	}
	if (!answered) {
		/* nothing to show */
	} else if (o->json) {
		capture_print_json(all);
		rc |= json_object_size(json_object_get(all, "errors")) != 0;
	} else {
		rc |= report_deleted(all, "deleted");
	}
	json_decref(all);
	return rc;
}

static int run_keep_or_discard(struct client *c, const struct capture_opts *o, bool keep)
{
	char *path = capture_path(c, o->args[0], keep ? "/keep" : "/discard");
	struct err e = { { 0 } };
	json_t *reply = client_call(c, "POST", path, NULL, &e);
	int rc = 0;

	free(path);
	if (!reply)
		return capture_fail(&e);
	if (o->json)
		capture_print_json(reply);
	else if (keep)
		printf("kept %s\n", o->args[0]);
	else
		rc = report_deleted(reply, "discarded");
	json_decref(reply);
	return rc;
}

int capture_run_keep(struct client *c, const struct capture_opts *o)
{
	return run_keep_or_discard(c, o, true);
}

int capture_run_discard(struct client *c, const struct capture_opts *o)
{
	return run_keep_or_discard(c, o, false);
}
