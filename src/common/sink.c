/* sink: sticky-error byte sink to a plain or gzip file, published by rename. */
#include "common.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

struct sink {
	char *path;
	char *tmp;     /* what is written: path.tmp-PID, or path itself */
	bool in_place; /* a device, FIFO or /dev/stdout: no temporary, no rename */
	FILE *f;
	char *iobuf; /* f's buffer (freed after fclose) */
	gzFile gz;
	int error;
	char msg[256];
	uint64_t off;
};

struct sink *sink_open(const char *path, bool gzip, struct err *e)
{
	struct sink *s = xcalloc(1, sizeof(*s));
	size_t n = strlen(path) + 32;

	struct stat st;

	s->path = xstrndup(path, strlen(path));
	s->tmp = xmalloc(n);
	/* only regular files get the temporary-and-rename treatment */
	s->in_place = stat(path, &st) == 0 && !S_ISREG(st.st_mode);
	if (s->in_place)
		snprintf(s->tmp, n, "%s", path);
	else
		snprintf(s->tmp, n, "%s.tmp-%d", path, (int)getpid());
	if (gzip)
		s->gz = gzopen(s->tmp, "wb6");
	else
		s->f = fopen(s->tmp, "wb");
	if (!s->f && !s->gz) {
		int code = -(errno ? errno : EIO);

		err_set(e, code, "cannot create %s: %s", s->tmp, strerror(-code));
		free(s->tmp);
		free(s->path);
		free(s);
		return NULL;
	}
	if (s->f) {
		/* glibc ignores the size without a buffer of ours: 4 KiB writes otherwise */
		s->iobuf = xmalloc(1 << 20);
		setvbuf(s->f, s->iobuf, _IOFBF, 1 << 20);
	} else
		gzbuffer(s->gz, 1 << 18);
	return s;
}

static void sink_fail(struct sink *s, int code, const char *what)
{
	if (s->error)
		return;
	s->error = code;
	snprintf(s->msg, sizeof(s->msg), "%s %s at byte %llu: %s", what, s->tmp, (unsigned long long)s->off,
	         strerror(-code));
}

void sink_write(struct sink *s, const void *p, size_t n)
{
	if (s->error || !n)
		return;
	if (s->f) {
		if (fwrite(p, 1, n, s->f) != n)
			sink_fail(s, -(errno ? errno : EIO), "cannot write");
	} else if (gzwrite(s->gz, p, (unsigned)n) != (int)n) {
		int zerr;

		gzerror(s->gz, &zerr);
		sink_fail(s, zerr == Z_ERRNO ? -(errno ? errno : EIO) : -EIO, "cannot write");
	}
	s->off += n;
}

int sink_error(const struct sink *s)
{
	return s->error;
}

uint64_t sink_offset(const struct sink *s)
{
	return s->off;
}

static void sink_free(struct sink *s)
{
	free(s->iobuf);
	free(s->tmp);
	free(s->path);
	free(s);
}

int sink_close(struct sink *s, struct err *e)
{
	int rc;

	if (s->f) {
		if (fflush(s->f) != 0 || ferror(s->f))
			sink_fail(s, -(errno ? errno : EIO), "cannot write");
		if (fclose(s->f) != 0)
			sink_fail(s, -(errno ? errno : EIO), "cannot close");
	} else if (gzclose(s->gz) != Z_OK) {
		sink_fail(s, -EIO, "cannot close");
	}
	if (!s->error && !s->in_place && rename(s->tmp, s->path) != 0)
		sink_fail(s, -errno, "cannot rename into place");
	rc = s->error;
	if (rc) {
		err_set(e, rc, "%s", s->msg);
		if (!s->in_place)
			unlink(s->tmp);
	}
	sink_free(s);
	return rc;
}

void sink_abort(struct sink *s)
{
	if (s->f)
		fclose(s->f);
	else
		gzclose(s->gz);
	if (!s->in_place)
		unlink(s->tmp);
	sink_free(s);
}
