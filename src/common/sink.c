/*
 * sink: sticky-error byte sink to a plain or gzip file, published by rename.
 *
 * A plain regular file is written from our own aligned buffer in whole 1 MiB
 * chunks with O_DIRECT, the tail at close without it. A recording writes
 * hundreds of MB/s: through the page cache every byte is copied into freshly
 * allocated pages (and on a VM whose memory the host backs on first touch,
 * each new page is a host fault: 0.3 GB/s there against 1.3 GB/s direct), and
 * a capture that nobody reads yet would push the host's useful cache out.
 * Where O_DIRECT is refused (tmpfs, some FUSE file systems) the file is
 * written through the page cache as usual.
 */
#include "common.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#define CHUNK (1u << 20) /* bytes per write; a multiple of any logical block size */
#define ALIGN 4096u      /* buffer alignment for O_DIRECT */
/* What is recorded holds file contents, network payloads, command lines: the owner's alone. */
#define FILE_MODE 0600

struct sink {
	char *path;
	char *tmp;     /* what is written: path.tmp-PID, or path itself */
	bool in_place; /* a device, FIFO or /dev/stdout: no temporary, no rename */
	int fd;        /* plain output, -1 with gzip */
	bool direct;   /* fd has O_DIRECT */
	char *buf;     /* CHUNK bytes, ALIGN-aligned */
	size_t used;
	gzFile gz;
	int error;
	char msg[256];
	uint64_t off;
};

static void sink_fail(struct sink *s, int code, const char *what)
{
	if (s->error)
		return;
	s->error = code;
	snprintf(s->msg, sizeof(s->msg), "%s %s at byte %llu: %s", what, s->tmp, (unsigned long long)s->off,
	         strerror(-code));
}

struct sink *sink_open(const char *path, bool gzip, struct err *e)
{
	struct sink *s = xcalloc(1, sizeof(*s));
	size_t n = strlen(path) + 32;
	int flags = O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC;
	struct stat st;

	s->fd = -1;
	s->path = xstrndup(path, strlen(path));
	s->tmp = xmalloc(n);
	/* only regular files get the temporary-and-rename treatment */
	s->in_place = stat(path, &st) == 0 && !S_ISREG(st.st_mode);
	if (s->in_place)
		snprintf(s->tmp, n, "%s", path);
	else
		snprintf(s->tmp, n, "%s.tmp-%d", path, (int)getpid());
	errno = 0;
	if (gzip) {
		int fd = open(s->tmp, flags, FILE_MODE);

		s->gz = fd >= 0 ? gzdopen(fd, "wb6") : NULL;
		if (s->gz)
			gzbuffer(s->gz, 1 << 18);
		else if (fd >= 0)
			close(fd);
	} else {
		if (!s->in_place) {
			s->fd = open(s->tmp, flags | O_DIRECT, FILE_MODE);
			s->direct = s->fd >= 0;
		}
		if (s->fd < 0)
			s->fd = open(s->tmp, flags, FILE_MODE);
		if (s->fd >= 0 && posix_memalign((void **)&s->buf, ALIGN, CHUNK))
			abort();
	}
	if (s->fd < 0 && !s->gz) {
		int code = -(errno ? errno : EIO);

		err_set(e, code, "cannot create %s: %s", s->tmp, strerror(-code));
		free(s->tmp);
		free(s->path);
		free(s);
		return NULL;
	}
	return s;
}

/* Stop writing directly (the tail, or a file system that takes O_DIRECT at open but not at write). */
static void sink_undirect(struct sink *s)
{
	int fl = fcntl(s->fd, F_GETFL);

	if (fl >= 0)
		fcntl(s->fd, F_SETFL, fl & ~O_DIRECT);
	s->direct = false;
}

/* Write the buffer out; a whole chunk when direct, else what there is. */
static void sink_drain(struct sink *s)
{
	size_t done = 0;

	while (done < s->used && !s->error) {
		ssize_t w = write(s->fd, s->buf + done, s->used - done);

		if (w > 0) {
			done += (size_t)w;
			/* direct writes end on block boundaries: a short one leaves the rest unaligned */
			if (done < s->used && s->direct)
				sink_undirect(s);
		} else if (w < 0 && errno == EINTR) {
			continue;
		} else if (w < 0 && errno == EINVAL && s->direct) {
			sink_undirect(s);
		} else {
			sink_fail(s, w < 0 ? -errno : -EIO, "cannot write");
		}
	}
	s->used = 0;
}

void sink_write(struct sink *s, const void *p, size_t n)
{
	const char *c = p;

	if (s->error || !n)
		return;
	s->off += n;
	if (s->gz) {
		if (gzwrite(s->gz, p, (unsigned)n) != (int)n) {
			int zerr;

			gzerror(s->gz, &zerr);
			sink_fail(s, zerr == Z_ERRNO ? -(errno ? errno : EIO) : -EIO, "cannot write");
		}
		return;
	}
	while (n) {
		size_t k = CHUNK - s->used < n ? CHUNK - s->used : n;

		memcpy(s->buf + s->used, c, k);
		s->used += k;
		c += k;
		n -= k;
		if (s->used == CHUNK)
			sink_drain(s);
	}
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
	free(s->buf);
	free(s->tmp);
	free(s->path);
	free(s);
}

int sink_close(struct sink *s, struct err *e)
{
	int rc;

	if (s->gz) {
		if (gzclose(s->gz) != Z_OK)
			sink_fail(s, -EIO, "cannot close");
	} else {
		if (s->direct)
			sink_undirect(s); /* the tail is not a whole block */
		sink_drain(s);
		if (close(s->fd) != 0)
			sink_fail(s, -(errno ? errno : EIO), "cannot close");
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
	if (s->gz)
		gzclose(s->gz);
	else
		close(s->fd);
	if (!s->in_place)
		unlink(s->tmp);
	sink_free(s);
}

long sink_temp_pid(const char *path)
{
	const char *mark = strrchr(path, '.');
	char *end;
	long pid;

	if (!mark || strncmp(mark, ".tmp-", 5) != 0 || mark[5] < '1' || mark[5] > '9' || mark == path)
		return 0;
	errno = 0;
	pid = strtol(mark + 5, &end, 10);
	return !errno && !*end && pid > 0 && pid <= INT32_MAX ? pid : 0;
}

bool sink_writer_alive(long pid)
{
	char path[64], comm[32] = "";
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%ld/comm", pid);
	f = fopen(path, "r");
	if (!f)
		return false;
	if (!fgets(comm, sizeof(comm), f))
		comm[0] = '\0';
	fclose(f);
	return strncmp(comm, "sysrec", 6) == 0;
}
