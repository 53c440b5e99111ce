/*
 * capture_download: `sysrec capture download`: a capture's file (the .scap,
 * or with --part its pcapng or artifacts) to a file or stdout, its sha256 checked; with
 * --all every part of the bundle and its record in one tar.gz archive.
 */
#include "capture_int.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#define SHA256_HEXLEN 64

struct download {
	struct sink *sink; /* NULL: stdout (or tar when set) */
	struct targz *tar; /* --all: the archive being written (into sink) */
	EVP_MD_CTX *md;
	uint64_t bytes;
};

static int download_data(void *ctx, const void *p, size_t n, struct err *e)
{
	struct download *d = ctx;
	int rc;

	if (!EVP_DigestUpdate(d->md, p, n))
		return err_set(e, -EIO, "SHA-256 failed");
	d->bytes += n;
	if (d->tar) {
		rc = targz_write(d->tar, p, n);
		return rc ? err_set(e, rc, "cannot write the archive: %s", strerror(-rc)) : 0;
	}
	if (d->sink) {
		sink_write(d->sink, p, n);
		rc = sink_error(d->sink);
		return rc ? err_set(e, rc, "cannot write the download: %s", strerror(-rc)) : 0;
	}
	while (n) {
		ssize_t w = write(STDOUT_FILENO, p, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return err_set(e, -EIO, "cannot write to stdout: %s",
			               w < 0 ? strerror(errno) : "short write");
		p = (const char *)p + w;
		n -= (size_t)w;
	}
	return 0;
}

/* The catalog's part (its "parts" member) named part, or NULL. */
static const json_t *part_of(const json_t *cap, const char *part)
{
	const json_t *parts = json_object_get(cap, "parts"), *p;
	size_t i;

	json_array_foreach(parts, i, p)
	{
		if (!strcmp(capture_member_str(p, "part"), part))
			return p;
	}
	return NULL;
}

/* Stream the part, hashing what is written; 0 when it matches the catalog's sha256 and size. */
static int download_verified(struct client *c, const json_t *cap, const char *part, struct download *d,
                             struct err *e)
{
	const char *id = capture_member_str(cap, "id");
	const json_t *pj = part_of(cap, part);
	const char *want = capture_member_str(pj ? pj : cap, "sha256");
	json_int_t size = json_integer_value(json_object_get(pj ? pj : cap, "size"));
	unsigned char md[EVP_MAX_MD_SIZE];
	char got[2 * EVP_MAX_MD_SIZE + 1];
	unsigned mdlen = 0;
	char *path = capture_path(c, id,
	                          !strcmp(part, "pcapng")      ? "/download?part=pcapng"
	                          : !strcmp(part, "artifacts") ? "/download?part=artifacts"
	                                                       : "/download");
	int rc;

	d->bytes = 0;
	if (strlen(want) != SHA256_HEXLEN) {
		free(path);
		return err_set(
		        e, -EPROTO,
		        "the agent gives no sha256 for the %s part of %s: a download could not be verified",
		        part, id);
	}

	d->md = EVP_MD_CTX_new();
	if (!d->md || !EVP_DigestInit_ex(d->md, EVP_sha256(), NULL)) {
		EVP_MD_CTX_free(d->md);
		free(path);
		return err_set(e, -ENOMEM, "cannot start SHA-256");
	}
	rc = client_download(c, path, download_data, d, isatty(STDERR_FILENO), e);
	free(path);
	if (!rc && !EVP_DigestFinal_ex(d->md, md, &mdlen))
		rc = err_set(e, -EIO, "SHA-256 failed");
	EVP_MD_CTX_free(d->md);
	if (rc)
		return rc;
	for (unsigned i = 0; i < mdlen; i++)
		snprintf(got + 2 * i, 3, "%02x", md[i]);
	got[2 * mdlen] = '\0';
	if (strcasecmp(got, want) != 0)
		return err_set(e, -EBADMSG,
		               "the download of %s does not match the catalog: sha256 %s, expected %s", id,
		               got, want);
	if ((uint64_t)size != d->bytes)
		return err_set(e, -EBADMSG, "the download of %s has %llu bytes, the catalog says %lld", id,
		               (unsigned long long)d->bytes, (long long)size);
	return 0;
}

/* ---- --all: a tar.gz of the bundle ---- */

static int tar_out(void *ctx, const void *p, size_t n)
{
	struct sink *sink = ctx;

	sink_write(sink, p, n);
	return sink_error(sink);
}

/* The archive's member for a part: what a person opens it with names it. */
static const char *part_member(const char *part)
{
	if (!strcmp(part, "scap"))
		return "events.scap";
	if (!strcmp(part, "pcapng"))
		return "packets.pcapng";
	return "artifacts.tar.gz";
}

/* The record (as the agent gives it) and each part, verified, as ID/capture.json, ID/events.scap,
 * ID/packets.pcapng. */
static int download_all(struct client *c, const json_t *cap, const char *output, struct download *d,
                        struct err *e)
{
	const char *id = capture_member_str(cap, "id");
	char *rec = json_dumps(cap, JSON_INDENT(2)), name[160];
	const json_t *parts = json_object_get(cap, "parts"), *p;
	int64_t mtime = (int64_t)(json_integer_value(json_object_get(cap, "start_ns")) / 1000000000);
	struct sink *sink;
	size_t i;
	int rc;

	if (!(sink = sink_open(output, false, e))) {
		free(rec);
		return -EIO;
	}
	d->tar = targz_new(tar_out, sink);
	snprintf(name, sizeof(name), "%s/capture.json", id);
	rc = targz_file(d->tar, name, strlen(rec) + 1, mtime);
	if (!rc)
		rc = targz_write(d->tar, rec, strlen(rec));
	if (!rc)
		rc = targz_write(d->tar, "\n", 1);
	if (rc)
		err_set(e, rc, "cannot write the archive: %s", strerror(-rc));
	json_array_foreach(parts, i, p)
	{
		const char *part = capture_member_str(p, "part");
		uint64_t size = (uint64_t)json_integer_value(json_object_get(p, "size"));

		if (rc)
			break;
		snprintf(name, sizeof(name), "%s/%s", id, part_member(part));
		if ((rc = targz_file(d->tar, name, size, mtime)) != 0)
			err_set(e, rc, "cannot write the archive: %s", strerror(-rc));
		else
			rc = download_verified(c, cap, part, d, e);
	}
	{
		int crc = targz_close(d->tar);

		if (crc && !rc)
			rc = err_set(e, crc, "cannot write the archive: %s", strerror(-crc));
	}
	d->tar = NULL;
	free(rec);
	if (rc)
		sink_abort(sink); /* nothing half-written or unverified under the name asked for */
	else
		rc = sink_close(sink, e);
	return rc;
}

/* Into output (a file, published only when whole and verified; "-": stdout). */
static int download_to(struct client *c, const json_t *cap, const char *part, const char *output,
                       struct download *d, struct err *e)
{
	int rc;

	if (strcmp(output, "-") != 0 && !(d->sink = sink_open(output, false, e)))
		return -EIO;
	rc = download_verified(c, cap, part, d, e);
	if (d->sink && rc)
		sink_abort(d->sink); /* nothing half-written or unverified under the name asked for */
	else if (d->sink)
		rc = sink_close(d->sink, e);
	d->sink = NULL;
	return rc;
}

int capture_run_download(struct client *c, const struct capture_opts *o)
{
	const char *id = o->args[0];
	char *path = capture_path(c, id, "");
	struct err e = { { 0 } };
	json_t *cap = client_call(c, "GET", path, NULL, &e);
	struct download d = { 0 };
	const char *status;
	int rc;

	free(path);
	if (!cap)
		return capture_fail(&e);
	status = capture_member_str(cap, "status");
	if (strcmp(status, "ok") != 0)
		rc = err_set(&e, -EAGAIN, "capture %s is %s, not ok: there is no file to download%s", id,
		             status, strcmp(status, "error") ? " yet" : "");
	else if (strlen(capture_member_str(cap, "sha256")) != SHA256_HEXLEN)
		rc = err_set(&e, -EPROTO,
		             "the agent gives no sha256 for %s: a download could not be verified", id);
	else if (o->all && !strcmp(o->output, "-"))
		rc = err_set(&e, -EINVAL, "--all writes an archive: give -o FILE.tar.gz");
	else if (o->all)
		rc = download_all(c, cap, o->output, &d, &e);
	else if (o->part && !strcmp(o->part, "pcapng") && !part_of(cap, "pcapng"))
		rc = err_set(&e, -ENOENT, "capture %s has no pcapng part: %s", id,
		             json_is_true(json_object_get(cap, "packets"))
		                     ? "its packets were not kept (its incomplete_reason says why)"
		                     : "it did not ask for packets (take --packets)");
	else if (o->part && !strcmp(o->part, "artifacts") && !part_of(cap, "artifacts"))
		rc = err_set(&e, -ENOENT, "capture %s has no artifacts part: %s", id,
		             json_array_size(json_object_get(cap, "artifacts"))
		                     ? "its artifacts were not kept (its incomplete_reason says why)"
		                     : "it did not ask for artifacts (the agent keeps none, or take "
		                       "--no-artifacts)");
	else
		rc = download_to(c, cap, o->part ? o->part : "scap", o->output, &d, &e);
	if (rc) {
		capture_fail(&e);
		if (!strcmp(o->output, "-") && d.bytes)
			fprintf(stderr,
			        "sysrec capture: the %llu bytes written to stdout are not the capture\n",
			        (unsigned long long)d.bytes);
	} else if (o->json) {
		capture_print_json(cap);
	} else if (strcmp(o->output, "-") != 0) {
		fprintf(stderr, "sysrec capture: downloaded %s%s to %s (%s, sha256 verified)\n", id,
		        o->all ? "'s bundle" : "", o->output,
		        o->all                                     ? "every part"
		        : o->part && !strcmp(o->part, "pcapng")    ? "its packets"
		        : o->part && !strcmp(o->part, "artifacts") ? "its artifacts"
		                                                   : "its events");
	}
	json_decref(cap);
	return rc ? 1 : 0;
}
