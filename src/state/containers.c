/* containers: container ids from cgroups and the container table from container events. */
#include "state_int.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

static bool is_lower_hex(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
}

int state_cgroups_container(const char *cg, size_t len, char id[13])
{
	for (size_t i = 0, n; i + 64 <= len; i += n ? n : 1) {
		n = 0;
		if (i > 0 && (cg[i - 1] != '/' && cg[i - 1] != '-'))
			continue;
		while (i + n < len && is_lower_hex(cg[i + n]))
			n++;
		if (n != 64)
			continue; /* no run of hex digits starts inside this one after a '/' or '-' */
		memcpy(id, cg + i, 12);
		id[12] = '\0';
		/* the runtime, from the layout (sysdig's CT_* numbers) */
		if (i >= 7 && !memcmp(cg + i - 7, "libpod-", 7))
			return 11; /* podman */
		if (i >= 5 && !memcmp(cg + i - 5, "crio-", 5))
			return 8; /* cri-o */
		if (i >= 15 && !memcmp(cg + i - 15, "cri-containerd-", 15))
			return 7; /* containerd */
		if ((i >= 8 && !memcmp(cg + i - 8, "/k8s.io/", 8)) ||
		    (i >= 9 && !memcmp(cg + i - 9, "/default/", 9)))
			return 7; /* containerd's own (ctr): /NAMESPACE/ID */
		if (memmem(cg, i, "kubepods", 8))
			return 6; /* CRI */
		return 0;         /* docker */
	}
	return -1;
}

char *state_container_json_min(const char *id, int type)
{
	json_t *j = json_pack("{s:{s:s,s:i,s:s,s:s}}", "container", "id", id, "type", type, "name", "",
	                      "image", "");
	char *text = json_dumps(j, JSON_COMPACT);

	json_decref(j);
	return text;
}

/* Container id from a NUL-separated cgroups list: the first 64-hex path segment. */
char *state_container_from_cgroups(const char *cg, size_t len)
{
	char id[13];

	return state_cgroups_container(cg, len, id) >= 0 ? state_dupz(id) : state_dupz("");
}

void state_container_free(struct container *c)
{
	free(c->id);
	free(c->name);
	free(c->image);
	free(c->type);
	free(c->image_id);
	free(c->image_repo);
	free(c->image_tag);
	free(c->image_digest);
	for (size_t i = 0; i < c->nmounts; i++) {
		free(c->mounts[i].source);
		free(c->mounts[i].dest);
		free(c->mounts[i].mode);
		free(c->mounts[i].propagation);
	}
	free(c->mounts);
	for (size_t i = 0; i < c->nlabels; i++) {
		free(c->label_keys[i]);
		free(c->label_vals[i]);
	}
	free(c->label_keys);
	free(c->label_vals);
	free(c->ip);
	free(c->json);
}

const struct container *state_containers(struct state *s, size_t *n)
{
	*n = s->ncontainers;
	return s->containers;
}

const struct container *state_container(struct state *s, const char *id)
{
	for (size_t i = 0; id && *id && i < s->ncontainers; i++)
		if (strcmp(s->containers[i].id, id) == 0)
			return &s->containers[i];
	return NULL;
}

/* sysdig's container type names, by its CT_* number. */
static const char *container_type_name(json_t *type)
{
	static const char *const names[] = { "docker", "lxc",    "libvirt-lxc", "mesos",
		                             "rkt",    "custom", "cri",         "containerd",
		                             "cri-o",  "bpm",    "static",      "podman" };
	json_int_t t;

	if (!json_is_integer(type))
		return "";
	t = json_integer_value(type);
	return t >= 0 && t < (json_int_t)ARRAY_SIZE(names) ? names[t] : "";
}

static char *json_text(json_t *o, const char *key)
{
	return state_dupz(json_is_string(json_object_get(o, key)) ? json_string_value(json_object_get(o, key))
	                                                          : "");
}

static void container_mounts(struct container *k, json_t *arr)
{
	size_t i;
	json_t *m;

	k->mounts = NULL;
	k->nmounts = 0;
	if (!json_is_array(arr))
		return;
	k->mounts = xcalloc(json_array_size(arr) + 1, sizeof(*k->mounts));
	json_array_foreach(arr, i, m)
	{
		struct container_mount *cm = &k->mounts[k->nmounts++];

		cm->source = json_text(m, "Source");
		cm->dest = json_text(m, "Destination");
		cm->mode = json_text(m, "Mode");
		cm->propagation = json_text(m, "Propagation");
		cm->rdwr = json_is_true(json_object_get(m, "RW"));
	}
}

static int by_key(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The "labels" object's string values (others are not labels a reader can show), sorted by key. */
static void container_labels(struct container *k, json_t *obj)
{
	const char *key;
	json_t *v;
	size_t n = 0;

	k->label_keys = k->label_vals = NULL;
	k->nlabels = 0;
	if (!json_is_object(obj) || !json_object_size(obj))
		return;
	k->label_keys = xcalloc(json_object_size(obj), sizeof(char *));
	json_object_foreach(obj, key, v)
	{
		if (json_is_string(v))
			k->label_keys[n++] = xstrdup(key);
	}
	qsort(k->label_keys, n, sizeof(char *), by_key); // NOLINT(bugprone-sizeof-expression): sorts pointers
	k->label_vals = xcalloc(n + 1, sizeof(char *));
	for (size_t i = 0; i < n; i++)
		k->label_vals[i] = xstrdup(json_string_value(json_object_get(obj, k->label_keys[i])));
	k->nlabels = n;
}

const char *state_container_label(const struct container *c, const char *key)
{
	size_t lo = 0, hi = c ? c->nlabels : 0;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int d = strcmp(c->label_keys[mid], key);

		if (!d)
			return c->label_vals[mid];
		if (d < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

/* Add the container an event describes; returns its id (valid until the next event) or NULL. */
const char *state_parse_container(struct state *s, const struct event *ev)
{
	const char *id = NULL;
	const char *js = event_str(ev, 0, NULL);
	json_t *root, *c;
	json_error_t jerr;
	struct container k;

	if (!js)
		return NULL;
	root = json_loads(js, 0, &jerr);
	if (!root)
		return NULL;
	c = json_object_get(root, "container");
	if (json_is_object(c) && json_is_string(json_object_get(c, "id"))) {
		k.id = state_dupz(json_string_value(json_object_get(c, "id")));
		k.name = state_dupz(json_string_value(json_object_get(c, "name")));
		k.image = state_dupz(json_string_value(json_object_get(c, "image")));
		k.type = state_dupz(container_type_name(json_object_get(c, "type")));
		k.image_id = state_dupz(json_string_value(json_object_get(c, "imageid")));
		k.image_repo = state_dupz(json_string_value(json_object_get(c, "imagerepo")));
		k.image_tag = state_dupz(json_string_value(json_object_get(c, "imagetag")));
		k.image_digest = state_dupz(json_string_value(json_object_get(c, "imagedigest")));
		k.privileged = json_is_boolean(json_object_get(c, "privileged"))
		                       ? json_is_true(json_object_get(c, "privileged"))
		                       : -1;
		container_mounts(&k, json_object_get(c, "Mounts"));
		container_labels(&k, json_object_get(c, "labels"));
		k.ip = state_dupz(json_string_value(json_object_get(c, "ip")));
		k.json = xstrdup(js);
		id = k.id;
		for (size_t i = 0; i < s->ncontainers; i++)
			if (!strcmp(s->containers[i].id,
			            k.id)) { /* described again (its runtime answered): this */
				state_container_free(&s->containers[i]);
				s->containers[i] = k;
				k.id = NULL;
				break;
			}
		if (k.id) {
			s->containers =
			        xrealloc(s->containers, (s->ncontainers + 1) * sizeof(*s->containers));
			s->containers[s->ncontainers++] = k;
		}
	}
	json_decref(root);
	return id;
}
