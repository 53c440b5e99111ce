/* docker: Docker's Engine API (and podman's, which speaks it) into sysdig's container events. */
#include "runtime_int.h"

#include <arpa/inet.h>
#include <curl/curl.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* ------------------------------------------------------------ the mapping */

static const char *str_at(const json_t *o, const char *key)
{
	const json_t *v = json_object_get(o, key);

	return json_is_string(v) ? json_string_value(v) : "";
}

static json_int_t int_at(const json_t *o, const char *key)
{
	const json_t *v = json_object_get(o, key);

	return json_is_integer(v) ? json_integer_value(v) : 0;
}

/* The tag and digest an image's inspection gives for repo (filled when empty). */
static void from_image(const json_t *image, char **repo, char **tag, char **digest)
{
	const json_t *digests = json_object_get(image, "RepoDigests"),
	             *tags = json_object_get(image, "RepoTags"), *v;
	char *only = NULL;
	size_t i, distinct = 0;

	json_array_foreach(digests, i, v)
	{
		const char *d = json_is_string(v) ? json_string_value(v) : "", *at = strchr(d, '@');

		if (!at)
			continue;
		if (!**repo) {
			free(*repo);
			*repo = xstrndup(d, (size_t)(at - d));
		}
		if (!**digest && strlen(*repo) == (size_t)(at - d) && !strncmp(d, *repo, (size_t)(at - d))) {
			free(*digest);
			*digest = xstrdup(at + 1);
		}
		if (!only || strcmp(only, at + 1) != 0) {
			distinct++;
			free(only);
			only = xstrdup(at + 1);
		}
	}
	if (!**digest && distinct == 1) {
		free(*digest);
		*digest = only;
		only = NULL;
	}
	free(only);
	json_array_foreach(tags, i, v)
	{
		const char *t = json_is_string(v) ? json_string_value(v) : "", *colon = strrchr(t, ':');

		if (!**tag && colon && !strchr(colon, '/')) {
			free(*tag);
			*tag = xstrdup(colon + 1);
		}
	}
}

/* "2024-05-01T10:20:30.123456789Z" as epoch seconds; 0 when it is not such a time. */
static json_int_t created_secs(const char *s)
{
	struct tm tm;
	const char *rest;

	memset(&tm, 0, sizeof(tm));
	rest = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm);
	return rest ? (json_int_t)timegm(&tm) : 0;
}

/* A dotted quad a reader can parse ("0.0.0.0": none). */
static const char *valid_ip(const char *s)
{
	struct in_addr a;

	return *s && inet_pton(AF_INET, s, &a) == 1 ? s : "0.0.0.0";
}

/* The container's IPv4 address: the default network's, else the first other network's. */
static const char *container_ip(const json_t *ns)
{
	const json_t *nets = json_object_get(ns, "Networks"), *net;
	const char *name, *ip = str_at(ns, "IPAddress");

	if (*ip)
		return valid_ip(ip);
	json_object_foreach((json_t *)nets, name, net)
	{
		if (*str_at(net, "IPAddress"))
			return valid_ip(str_at(net, "IPAddress"));
	}
	return "0.0.0.0";
}

/* NetworkSettings.Ports' TCP ports published: HostIp (host order), HostPort, ContainerPort. */
static json_t *port_mappings(const json_t *ns)
{
	const json_t *ports = json_object_get(ns, "Ports"), *binds, *b;
	json_t *out = json_array();
	const char *key;
	size_t i;

	json_object_foreach((json_t *)ports, key, binds)
	{
		char *end;
		unsigned long cport = strtoul(key, &end, 10);

		if (strcmp(end, "/tcp") != 0 || cport > 65535)
			continue;
		json_array_foreach(binds, i, b)
		{
			struct in_addr a = { 0 };
			unsigned long hport = strtoul(str_at(b, "HostPort"), NULL, 10);

			if (inet_pton(AF_INET, str_at(b, "HostIp"), &a) != 1)
				a.s_addr = 0;
			json_array_append_new(out, json_pack("{s:I,s:I,s:I}", "HostIp",
			                                     (json_int_t)ntohl(a.s_addr), "HostPort",
			                                     (json_int_t)(hport > 65535 ? 0 : hport),
			                                     "ContainerPort", (json_int_t)cport));
		}
	}
	return out;
}

static json_t *mounts(const json_t *list)
{
	json_t *out = json_array(), *m;
	size_t i;

	json_array_foreach(list, i, m)
	{
		json_array_append_new(out, json_pack("{s:s,s:s,s:s,s:b,s:s}", "Source", str_at(m, "Source"),
		                                     "Destination", str_at(m, "Destination"), "Mode",
		                                     str_at(m, "Mode"), "RW",
		                                     json_is_true(json_object_get(m, "RW")), "Propagation",
		                                     str_at(m, "Propagation")));
	}
	return out;
}

/* Config.Labels, string values only. */
static json_t *labels(const json_t *config)
{
	const json_t *in = json_object_get(config, "Labels"), *v;
	json_t *out = json_object();
	const char *key;

	json_object_foreach((json_t *)in, key, v)
	{
		if (json_is_string(v))
			json_object_set_new(out, key, json_string(json_string_value(v)));
	}
	return out;
}

/* Config.Healthcheck.Test as sysdig's probe: {"exe", "args"}; NULL: none. */
static json_t *health_probe(const json_t *config)
{
	const json_t *test = json_object_get(json_object_get(config, "Healthcheck"), "Test");
	const char *kind = json_string_value(json_array_get(test, 0));
	json_t *args;
	size_t i;

	if (!kind || json_array_size(test) < 2)
		return NULL;
	if (!strcmp(kind, "CMD-SHELL") && json_is_string(json_array_get(test, 1)))
		return json_pack("{s:s,s:[s,s]}", "exe", "/bin/sh", "args", "-c",
		                 json_string_value(json_array_get(test, 1)));
	if (strcmp(kind, "CMD") != 0 || !json_is_string(json_array_get(test, 1)))
		return NULL;
	args = json_array();
	for (i = 2; i < json_array_size(test); i++)
		if (json_is_string(json_array_get(test, i)))
			json_array_append_new(args, json_string(json_string_value(json_array_get(test, i))));
	return json_pack("{s:s,s:o}", "exe", json_string_value(json_array_get(test, 1)), "args", args);
}

bool rt_docker_wants_image(const json_t *inspect)
{
	const char *image = str_at(json_object_get(inspect, "Config"), "Image");
	char *repo, *tag, *digest;
	bool wants;

	if (!strncmp(image, "sha256:", 7) || !*image)
		return true;
	rt_split_image(image, &repo, &tag, &digest);
	wants = !*tag || !*digest;
	free(repo);
	free(tag);
	free(digest);
	return wants;
}

json_t *rt_docker_container(const json_t *inspect, const json_t *image, enum rt_type t)
{
	const json_t *config = json_object_get(inspect, "Config"),
	             *host = json_object_get(inspect, "HostConfig"),
	             *ns = json_object_get(inspect, "NetworkSettings");
	const char *full = str_at(inspect, "Id"), *name = str_at(inspect, "Name"),
	           *img = str_at(config, "Image");
	const char *image_id = str_at(inspect, "Image");
	char id[13], *repo, *tag, *digest;
	json_int_t quota = int_at(host, "CpuQuota"), nano = int_at(host, "NanoCpus") / 10000;
	json_int_t shares = int_at(host, "CpuShares"), period = int_at(host, "CpuPeriod");
	json_t *c, *probe;

	if (!rt_is_hex_id(full, 12))
		return NULL;
	snprintf(id, sizeof(id), "%.12s", full);
	if (*name == '/')
		name++;
	if (!strncmp(image_id, "sha256:", 7))
		image_id += 7;
	if (!strncmp(img, "sha256:", 7)) { /* started by the image's id: its names come from the image */
		repo = xstrdup("");
		tag = xstrdup("");
		digest = xstrdup("");
	} else {
		rt_split_image(img, &repo, &tag, &digest);
	}
	if (image)
		from_image(image, &repo, &tag, &digest);
	if (!*tag) {
		free(tag);
		tag = xstrdup("latest");
	}
	c = json_pack("{s:s,s:s,s:i,s:s,s:s,s:s,s:s,s:s,s:s,s:b,s:b,s:i,s:I}", "id", id, "full_id", full,
	              "type", (int)t, "name", name, "image", img, "imageid", image_id, "imagerepo", repo,
	              "imagetag", tag, "imagedigest", digest, "privileged",
	              json_is_true(json_object_get(host, "Privileged")), "is_pod_sandbox",
	              !strncmp(name, "k8s_POD", 7), "lookup_state", 1, "created_time",
	              created_secs(str_at(inspect, "Created")));
	free(repo);
	free(tag);
	free(digest);
	json_object_set_new(c, "Mounts", mounts(json_object_get(inspect, "Mounts")));
	json_object_set_new(c, "ip", json_string(container_ip(ns)));
	json_object_set_new(c, "port_mappings", port_mappings(ns));
	json_object_set_new(c, "labels", labels(config));
	json_object_set_new(c, "memory_limit", json_integer(int_at(host, "Memory")));
	json_object_set_new(c, "swap_limit", json_integer(int_at(host, "MemorySwap")));
	json_object_set_new(c, "cpu_shares", json_integer(shares > 0 ? shares : 1024));
	json_object_set_new(c, "cpu_quota", json_integer(quota > nano ? quota : nano));
	json_object_set_new(c, "cpu_period", json_integer(period > 0 ? period : 100000));
	json_object_set_new(c, "cpuset_cpu_count", json_integer(rt_cpuset_count(str_at(host, "CpusetCpus"))));
	if ((probe = health_probe(config)))
		json_object_set_new(c, "Healthcheck", probe);
	return json_pack("{s:o}", "container", c);
}

/* ------------------------------------------------------------ the socket */

/* GET path on the API at sock: its JSON into *out; 0 or -errno with e set (-ENOENT: 404). */
static int api_get(const char *sock, const char *path, long timeout_ms, json_t **out, struct err *e)
{
	CURL *h = curl_easy_init();
	struct rt_body body = { { 0 }, false };
	char url[512], errbuf[CURL_ERROR_SIZE] = "";
	long status = 0;
	CURLcode rc;
	json_t *j = NULL;
	json_error_t je;
	int err = 0;

	*out = NULL;
	if (!h)
		return err_set(e, -ENOMEM, "cannot start an HTTP client");
	snprintf(url, sizeof(url), "http://localhost%s", path);
	curl_easy_setopt(h, CURLOPT_UNIX_SOCKET_PATH, sock);
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, timeout_ms);
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, rt_body_write);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, &body);
	rc = curl_easy_perform(h);
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
	curl_easy_cleanup(h);
	if (body.too_big) {
		err = err_set(e, -EPROTO, "%s: %s: an answer over %u bytes", sock, path, RT_MAX_BODY);
	} else if (rc != CURLE_OK) {
		err = err_set(e, rc == CURLE_COULDNT_CONNECT ? -ECONNREFUSED : -EIO, "%s: %s", sock,
		              errbuf[0] ? errbuf : curl_easy_strerror(rc));
	} else if (status == 404) {
		err = err_set(e, -ENOENT, "%s: %s: not found", sock, path);
	} else if (status != 200) {
		err = err_set(e, -EPROTO, "%s: %s: HTTP status %ld", sock, path, status);
	} else if (!(j = json_loadb(body.b.data ? body.b.data : "", body.b.len, 0, &je)) ||
	           !json_is_object(j)) {
		err = err_set(e, -EPROTO, "%s: %s: not a JSON object%s%s", sock, path, j ? "" : ": ",
		              j ? "" : je.text);
		json_decref(j);
		j = NULL;
	}
	sbuf_release(&body.b);
	*out = j;
	return err;
}

int rt_docker_lookup(const char *sock, const char *id, enum rt_type t, long timeout_ms, char **json,
                     struct err *e)
{
	char path[160];
	json_t *inspect, *image = NULL, *c;
	const char *iid;
	int rc;

	*json = NULL;
	if (!rt_is_hex_id(id, 12) || strlen(id) > 64)
		return err_set(e, -EINVAL, "'%.80s' is not a container id", id);
	snprintf(path, sizeof(path), "/containers/%s/json", id);
	if ((rc = api_get(sock, path, timeout_ms, &inspect, e)) != 0)
		return rc;
	iid = str_at(inspect, "Image");
	if (!strncmp(iid, "sha256:", 7))
		iid += 7;
	if (rt_docker_wants_image(inspect) && rt_is_hex_id(iid, 12) && strlen(iid) <= 64) {
		struct err ie = { { 0 } };

		snprintf(path, sizeof(path), "/images/%s/json", iid);
		api_get(sock, path, timeout_ms, &image, &ie); /* without it: the names the container gives */
	}
	c = rt_docker_container(inspect, image, t);
	json_decref(inspect);
	json_decref(image);
	if (!c)
		return err_set(e, -EPROTO, "%s: container %s: the answer has no container id", sock, id);
	*json = json_dumps(c, JSON_COMPACT);
	json_decref(c);
	return 0;
}

int rt_docker_resolve(const char *sock, const char *name, long timeout_ms, char id[13], struct err *e)
{
	size_t n = strspn(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-");
	char path[160];
	json_t *inspect;
	const char *full;
	int rc;

	if (!n || name[n] || n > 128 || name[0] == '.' || name[0] == '-')
		return err_set(e, -EINVAL, "'%.80s' is not a container name or id", name);
	snprintf(path, sizeof(path), "/containers/%s/json", name);
	if ((rc = api_get(sock, path, timeout_ms, &inspect, e)) != 0)
		return rc;
	full = str_at(inspect, "Id");
	rc = rt_is_hex_id(full, 12)
	             ? 0
	             : err_set(e, -EPROTO, "%s: container %s: the answer has no id", sock, name);
	if (!rc)
		snprintf(id, 13, "%.12s", full);
	json_decref(inspect);
	return rc;
}

int rt_resolve(const char *docker_sock, const char *podman_sock, const char *name, long timeout_ms,
               char id[13], struct err *e)
{
	const char *socks[2] = { docker_sock, podman_sock };
	struct err why[2] = { { { 0 } }, { { 0 } } };

	for (int i = 0; i < 2; i++) {
		int rc;

		if (!*socks[i]) {
			err_set(&why[i], -ENOENT, "not asked");
			continue;
		}
		rc = rt_docker_resolve(socks[i], name, timeout_ms, id, &why[i]);
		if (rc == 0 || rc == -EINVAL)
			return rc == 0 ? 0 : err_set(e, rc, "%s", why[i].msg);
	}
	return err_set(e, -ENOENT, "container %s: no runtime knows it (Docker: %s; podman: %s)", name,
	               why[0].msg, why[1].msg);
}
