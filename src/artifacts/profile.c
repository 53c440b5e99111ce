/* profile: the programs a recording saw executed, and what changed between two profiles. */
#include "artifacts.h"

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAX_SET 32 /* parents, users, containers kept per program */

struct prog {
	char *path;
	char sha256[65];
	uint64_t count, first, last;
	char *parents[MAX_SET];
	size_t nparents;
	uint32_t users[MAX_SET];
	size_t nusers;
	char containers[MAX_SET][13];
	size_t ncontainers;
};

struct art_profile {
	struct prog *progs;
	size_t n;
};

struct art_profile *art_profile_new(void)
{
	return xcalloc(1, sizeof(struct art_profile));
}

void art_profile_exec(struct art_profile *p, const char *path, const char *sha256, uint64_t ts,
                      const char *parent, uint32_t uid, const char *container)
{
	struct prog *g = NULL;
	size_t i;

	sha256 = sha256 ? sha256 : "";
	/* a program is its path and its content: a binary replaced at the same path is another one */
	for (i = 0; i < p->n && !g; i++)
		if (!strcmp(p->progs[i].path, path) && !strcmp(p->progs[i].sha256, sha256))
			g = &p->progs[i];
	if (!g) {
		p->progs = xrealloc(p->progs, (p->n + 1) * sizeof(*p->progs));
		g = &p->progs[p->n++];
		memset(g, 0, sizeof(*g));
		g->path = xstrdup(path);
		snprintf(g->sha256, sizeof(g->sha256), "%s", sha256);
		g->first = ts;
	}
	g->count++;
	if (ts < g->first)
		g->first = ts;
	if (ts > g->last)
		g->last = ts;
	if (parent && *parent) {
		for (i = 0; i < g->nparents && strcmp(g->parents[i], parent) != 0; i++)
			;
		if (i == g->nparents && i < MAX_SET)
			g->parents[g->nparents++] = xstrdup(parent);
	}
	for (i = 0; i < g->nusers && g->users[i] != uid; i++)
		;
	if (i == g->nusers && i < MAX_SET)
		g->users[g->nusers++] = uid;
	container = container ? container : "";
	for (i = 0; i < g->ncontainers && strcmp(g->containers[i], container) != 0; i++)
		;
	if (i == g->ncontainers && i < MAX_SET)
		snprintf(g->containers[g->ncontainers++], 13, "%s", container);
}

int art_profile_write(const struct art_profile *p, const char *path, struct err *e)
{
	json_t *root = json_object(), *arr = json_array();
	char *tmp = xmalloc(strlen(path) + 8);
	int rc = 0;

	sprintf(tmp, "%s.tmp", path);
	json_object_set_new(root, "version", json_integer(1));
	for (size_t i = 0; i < p->n; i++) {
		const struct prog *g = &p->progs[i];
		json_t *o = json_object(), *par = json_array(), *us = json_array(), *cs = json_array();

		json_object_set_new(o, "path", json_string(g->path));
		json_object_set_new(o, "sha256", json_string(g->sha256));
		json_object_set_new(o, "count", json_integer((json_int_t)g->count));
		json_object_set_new(o, "first_ns", json_integer((json_int_t)g->first));
		json_object_set_new(o, "last_ns", json_integer((json_int_t)g->last));
		for (size_t j = 0; j < g->nparents; j++)
			json_array_append_new(par, json_string(g->parents[j]));
		for (size_t j = 0; j < g->nusers; j++)
			json_array_append_new(us, json_integer(g->users[j]));
		for (size_t j = 0; j < g->ncontainers; j++)
			json_array_append_new(cs, json_string(g->containers[j]));
		json_object_set_new(o, "parents", par);
		json_object_set_new(o, "users", us);
		json_object_set_new(o, "containers", cs);
		json_array_append_new(arr, o);
	}
	json_object_set_new(root, "programs", arr);
	if (json_dump_file(root, tmp, JSON_INDENT(1)) != 0 || rename(tmp, path) != 0) {
		rc = err_set(e, -(errno ? errno : EIO), "cannot write the profile %s: %s", path,
		             strerror(errno ? errno : EIO));
		unlink(tmp);
	}
	json_decref(root);
	free(tmp);
	return rc;
}

void art_profile_free(struct art_profile *p)
{
	if (!p)
		return;
	for (size_t i = 0; i < p->n; i++) {
		free(p->progs[i].path);
		for (size_t j = 0; j < p->progs[i].nparents; j++)
			free(p->progs[i].parents[j]);
	}
	free(p->progs);
	free(p);
}

/* A profile file's programs: (path, sha256) pairs; 0 or -EINVAL/-errno with e saying where. */
static int load(const char *path, json_t **root, json_t **progs, struct err *e)
{
	json_error_t je;
	json_t *v;
	size_t i;

	*progs = NULL;
	*root = json_load_file(path, 0, &je);
	if (!*root)
		return err_set(e, -EINVAL, "%s: line %d: %s", path, je.line, je.text);
	*progs = json_object_get(*root, "programs");
	if (!json_is_array(*progs))
		return err_set(e, -EINVAL, "%s: not a sysrec profile (no \"programs\" list)", path);
	json_array_foreach(*progs, i, v)
	{
		if (!json_is_string(json_object_get(v, "path")) ||
		    !json_is_string(json_object_get(v, "sha256")))
			return err_set(e, -EINVAL, "%s: program %zu has no \"path\" or \"sha256\" string",
			               path, i);
	}
	return 0;
}

/* The sha256 values path has in progs, joined ("" if none); whether it is there at all. */
static bool shas_of(json_t *progs, const char *path, char *out, size_t max)
{
	json_t *v;
	size_t i;
	bool found = false;

	out[0] = 0;
	json_array_foreach(progs, i, v)
	{
		if (strcmp(json_string_value(json_object_get(v, "path")), path) != 0)
			continue;
		found = true;
		if (strlen(out) + 66 < max) {
			if (out[0])
				strcat(out, ",");
			strcat(out, json_string_value(json_object_get(v, "sha256")));
		}
	}
	return found;
}

/* Whether progs ran path with exactly this sha256. */
static bool has_sha(json_t *progs, const char *path, const char *sha)
{
	json_t *v;
	size_t i;

	json_array_foreach(progs, i, v)
	{
		if (!strcmp(json_string_value(json_object_get(v, "path")), path) &&
		    !strcmp(json_string_value(json_object_get(v, "sha256")), sha))
			return true;
	}
	return false;
}

static void add_line(struct art_diff_line **lines, size_t *n, const char *what, const char *path,
                     const char *o, const char *nw)
{
	struct art_diff_line *l;

	*lines = xrealloc(*lines, (*n + 1) * sizeof(**lines));
	l = &(*lines)[(*n)++];
	snprintf(l->what, sizeof(l->what), "%s", what);
	l->path = xstrdup(path);
	l->old_sha = o ? xstrdup(o) : NULL;
	l->new_sha = nw ? xstrdup(nw) : NULL;
}

int art_profile_diff(const char *old_path, const char *new_path, struct art_diff_line **lines, size_t *nlines,
                     struct err *e)
{
	json_t *oroot = NULL, *nroot = NULL, *op = NULL, *np = NULL, *v;
	char oshas[1024], nshas[1024];
	size_t i;
	int rc;

	*lines = NULL;
	*nlines = 0;
	if ((rc = load(old_path, &oroot, &op, e)) != 0 || (rc = load(new_path, &nroot, &np, e)) != 0 || !op ||
	    !np) {
		json_decref(oroot);
		json_decref(nroot);
		return rc;
	}
	json_array_foreach(np, i, v)
	{
		const char *path = json_string_value(json_object_get(v, "path"));
		const char *sha = json_string_value(json_object_get(v, "sha256"));

		if (!shas_of(op, path, oshas, sizeof(oshas))) {
			add_line(lines, nlines, "new", path, NULL, sha);
		} else if (!has_sha(op, path, sha)) {
			/* a content the old profile never saw at this path ("" for one it could not read) */
			add_line(lines, nlines, "changed", path, oshas, sha);
		}
	}
	json_array_foreach(op, i, v)
	{
		const char *path = json_string_value(json_object_get(v, "path"));

		if (!shas_of(np, path, nshas, sizeof(nshas)))
			add_line(lines, nlines, "gone", path, json_string_value(json_object_get(v, "sha256")),
			         NULL);
	}
	json_decref(oroot);
	json_decref(nroot);
	return 0;
}

void art_diff_free(struct art_diff_line *lines, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(lines[i].path);
		free(lines[i].old_sha);
		free(lines[i].new_sha);
	}
	free(lines);
}
