/* http_captures: /api/captures: take, list, show, delete, keep and discard a capture. */
#include "http_int.h"

#include <errno.h>
#include <jansson.h>
#include <microhttpd.h>
#include <stdint.h>

/* A capture as the API shows it: its record, and whether it is expiring now (the catalog's rule). */
static json_t *capture_json(struct agent *a, const struct capture_meta *m)
{
	json_t *j = capture_meta_to_json(m);

	json_object_set_new(j, "expiring", json_boolean(catalog_expiring(m, agent_now(a))));
	return j;
}

/* request_list()'s view of the query: the argument key of the call ctx, or NULL. */
static const char *query(void *ctx, const char *key)
{
	const struct call *c = ctx;

	return MHD_lookup_connection_value(c->conn, MHD_GET_ARGUMENT_KIND, key);
}

/* POST /api/captures: 201 with the new capture's record (status recording). */
void http_captures_take(const struct call *c, struct reply *r)
{
	json_t *body = http_body_object(c, r);
	struct agent_take t;
	struct capture_meta m;
	struct req_error re = { 0 };
	struct err e = { { 0 } };
	int rc;

	if (!body)
		return;
	if (request_take(body, &t, &re) != 0) {
		http_refused(r, &re);
		json_decref(body);
		return;
	}
	rc = agent_take_capture(c->a, &t, &m, &e);
	if (rc && t.container_is_name && (rc == -ENOENT || rc == -EINVAL)) {
		/* a container no runtime knows: the request's container is at fault */
		re.status = 400;
		re.field = "container";
		snprintf(re.msg, sizeof(re.msg), "%s", e.msg);
		http_refused(r, &re);
	} else if (rc) {
		http_fail(r, rc, "%s", e.msg);
	} else {
		r->status = 201;
		r->json = capture_json(c->a, &m);
		capture_meta_free(&m);
	}
	json_decref(body);
}

/* GET /api/captures?...: a page of the catalog, {"captures", "total", "offset", "limit"}. */
void http_captures_list(const struct call *c, struct reply *r)
{
	struct catalog_query q = { 0 };
	struct capture_meta *items = NULL;
	size_t n = 0, total = 0;
	struct req_error re = { 0 };
	struct err e = { { 0 } };
	json_t *arr;
	int rc;

	if (request_list(query, (void *)(uintptr_t)c, &q, &re) != 0) {
		http_refused(r, &re);
		return;
	}
	q.now = agent_now(c->a);
	if ((rc = catalog_list(c->a->cat, &q, &items, &n, &total, &e)) != 0) {
		http_fail(r, rc, "%s", e.msg);
		return;
	}
	arr = json_array();
	for (size_t i = 0; i < n; i++)
		json_array_append_new(arr, capture_json(c->a, &items[i]));
	catalog_list_free(items, n);
	r->status = 200;
	r->json = json_pack("{s:o,s:I,s:I,s:I}", "captures", arr, "total", (json_int_t)total, "offset",
	                    (json_int_t)q.offset, "limit", (json_int_t)q.limit);
}

/* The capture named in the path, or a 404 in r. */
bool http_get_capture(const struct call *c, struct capture_meta *m, struct reply *r)
{
	if (!capture_id_valid(c->id) || catalog_get(c->a->cat, c->id, m) != 0) {
		http_fail(r, -ENOENT, "no capture with id '%s'", c->id);
		return false;
	}
	return true;
}

/* GET /api/captures/ID: the capture's record. */
void http_captures_show(const struct call *c, struct reply *r)
{
	struct capture_meta m;

	if (!http_get_capture(c, &m, r))
		return;
	r->status = 200;
	r->json = capture_json(c->a, &m);
	capture_meta_free(&m);
}

/* Delete one capture: 0, or -errno with a message in e. */
static int delete_one(struct agent *a, const char *id, struct err *e)
{
	struct capture_meta m;
	int rc;

	if (!capture_id_valid(id) || catalog_get(a->cat, id, &m) != 0)
		return err_set(e, -ENOENT, "no capture with id '%s'", id);
	if (m.status == CAPTURE_RECORDING || m.status == CAPTURE_STORING) {
		rc = err_set(e, -EBUSY, "capture '%s' is %s: it can be deleted once complete", id,
		             capture_status_name(m.status));
		capture_meta_free(&m);
		return rc;
	}
	capture_meta_free(&m);
	return catalog_delete(a->cat, id, e);
}

/* DELETE /api/captures/ID: {"deleted": [ID]}; 409 while it is recording or storing. */
void http_captures_delete(const struct call *c, struct reply *r)
{
	struct err e = { { 0 } };
	int rc = delete_one(c->a, c->id, &e);

	if (rc) {
		http_fail(r, rc, "%s", e.msg);
		return;
	}
	r->status = 200;
	r->json = json_pack("{s:[s]}", "deleted", c->id);
}

/* POST /api/captures/delete {"ids": [...]}: {"deleted": [...], "errors": {ID: why}}. */
void http_captures_delete_many(const struct call *c, struct reply *r)
{
	json_t *body = http_body_object(c, r), *ids, *v, *deleted, *errors;
	struct req_error re = { 0 };
	size_t i;

	if (!body)
		return;
	if (request_ids(body, &ids, &re) != 0) {
		http_refused(r, &re);
		json_decref(body);
		return;
	}
	deleted = json_array();
	errors = json_object();
	json_array_foreach(ids, i, v)
	{
		struct err e = { { 0 } };
		const char *id = json_string_value(v);

		if (delete_one(c->a, id, &e)) { /* under the id as sent (a JSON string: valid UTF-8) */
			char shown[sizeof(e.msg)];

			request_shown(shown, sizeof(shown), e.msg);
			json_object_set_new(errors, id, json_string(shown));
		} else
			json_array_append_new(deleted, json_string(id));
	}
	r->status = 200;
	r->json = json_pack("{s:o,s:o}", "deleted", deleted, "errors", errors);
	json_decref(body);
}

/* POST /api/captures/ID/keep or /discard: a complete capture kept from retention, or deleted. */
static void keep_or_discard(const struct call *c, struct reply *r, bool keep)
{
	struct capture_meta m;
	struct err e = { { 0 } };
	int rc;

	if (!http_get_capture(c, &m, r))
		return;
	if (m.status == CAPTURE_RECORDING || m.status == CAPTURE_STORING) {
		http_fail(r, -EBUSY, "capture '%s' is %s: keep or discard it once complete", c->id,
		          capture_status_name(m.status));
		capture_meta_free(&m);
		return;
	}
	if (keep) {
		m.kept = true;
		if ((rc = catalog_put(c->a->cat, &m, &e)) != 0) {
			http_fail(r, rc, "%s", e.msg);
		} else {
			r->status = 200;
			r->json = capture_json(c->a, &m);
		}
	} else if ((rc = catalog_delete(c->a->cat, c->id, &e)) != 0) {
		http_fail(r, rc, "%s", e.msg);
	} else {
		r->status = 200;
		r->json = json_pack("{s:[s]}", "deleted", c->id);
	}
	capture_meta_free(&m);
}

void http_captures_keep(const struct call *c, struct reply *r)
{
	keep_or_discard(c, r, true);
}

void http_captures_discard(const struct call *c, struct reply *r)
{
	keep_or_discard(c, r, false);
}
