/* capture_download: `sysrec capture download`: a capture's file to a file or stdout, its sha256 checked. */
#include "capture_int.h"

#include <errno.h>
#include <jansson.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#define SHA256_HEXLEN 64

struct download {
	struct sink *sink; /* NULL: stdout */
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

/* Stream the file, hashing what is written; 0 when it matches the catalog's sha256 and size. */
static int download_verified(struct client *c, const json_t *cap, struct download *d, struct err *e)
{
	const char *id = capture_member_str(cap, "id"), *want = capture_member_str(cap, "sha256");
	json_int_t size = json_integer_value(json_object_get(cap, "size"));
	unsigned char md[EVP_MAX_MD_SIZE];
	char got[2 * EVP_MAX_MD_SIZE + 1];
	unsigned mdlen = 0;
	char *path = capture_path(c, id, "/download");
	int rc;

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

/* Into output (a file, published only when whole and verified; "-": stdout). */
static int download_to(struct client *c, const json_t *cap, const char *output, struct download *d,
                       struct err *e)
{
	int rc;

	if (strcmp(output, "-") != 0 && !(d->sink = sink_open(output, false, e)))
		return -EIO;
	rc = download_verified(c, cap, d, e);
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
	else
		rc = download_to(c, cap, o->output, &d, &e);
	if (rc) {
		capture_fail(&e);
		if (!strcmp(o->output, "-") && d.bytes)
			fprintf(stderr,
			        "sysrec capture: the %llu bytes written to stdout are not the capture\n",
			        (unsigned long long)d.bytes);
	} else if (o->json) {
		capture_print_json(cap);
	} else if (strcmp(o->output, "-") != 0) {
		fprintf(stderr, "sysrec capture: downloaded %s to %s (%llu bytes, sha256 verified)\n", id,
		        o->output, (unsigned long long)d.bytes);
	}
	json_decref(cap);
	return rc ? 1 : 0;
}
