/* recart: the engine's artifact records, taken on a thread of their own, into an artifact directory. */
#include "recart.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct recart {
	struct engine *en;
	struct art_dir *dir;
	struct art_asm *as;
	struct art_profile *profile;
	char *profile_path;
	pthread_t thread;
	atomic_bool stop;
	struct i64map containers; /* pid -> char[13] */
	char **scaps;             /* the .scap files written alongside, where the artifacts' events are */
	size_t nscaps;
};

static const char *container_of(struct recart *ra, uint32_t pid)
{
	char *id = i64map_get(&ra->containers, pid);

	if (!id) {
		id = xcalloc(1, 13);
		engine_pid_container((int)pid, id);
		i64map_put(&ra->containers, pid, id);
	}
	return id;
}

static void on_record(void *ctx, const struct engine_art *a)
{
	struct recart *ra = ctx;

	art_asm_record(ra->as, a, container_of(ra, a->pid));
}

static void *art_thread(void *arg)
{
	struct recart *ra = arg;

	while (!atomic_load(&ra->stop))
		if (engine_artifacts_poll(ra->en, 100, on_record, ra) < 0)
			break;
	/* what the kernel handed over before the programs were detached */
	while (engine_artifacts_poll(ra->en, 0, on_record, ra) > 0)
		;
	return NULL;
}

struct recart *recart_start(const struct recart_opts *o, struct engine *en, struct err *e)
{
	struct recart *ra = xcalloc(1, sizeof(*ra));

	ra->dir = art_open(o->dir, o->clear, &o->lim, e);
	if (!ra->dir) {
		free(ra);
		return NULL;
	}
	ra->en = en;
	if (o->profile) {
		ra->profile = art_profile_new();
		ra->profile_path = xmalloc(strlen(art_out_dir(ra->dir)) + sizeof("/profile.json"));
		sprintf(ra->profile_path, "%s/profile.json", art_out_dir(ra->dir));
	}
	ra->as = art_asm_new(ra->dir, ra->profile);
	i64map_init(&ra->containers);
	if (pthread_create(&ra->thread, NULL, art_thread, ra) != 0) {
		err_set(e, -EAGAIN, "cannot start the artifact thread");
		art_asm_end(ra->as, NULL);
		art_close(ra->dir, &(struct err){ { 0 } });
		if (ra->profile)
			art_profile_free(ra->profile);
		free(ra->profile_path);
		i64map_release(&ra->containers);
		free(ra);
		return NULL;
	}
	return ra;
}

static void on_file_lost(void *ctx, uint64_t dev, uint64_t ino, uint64_t bytes)
{
	art_file_lost(ctx, dev, ino, bytes);
}

void recart_events_in(struct recart *ra, char *const *paths, size_t n)
{
	ra->scaps = xcalloc(n + 1, sizeof(char *));
	for (size_t i = 0; i < n; i++)
		ra->scaps[i] = xstrdup(paths[i]);
	ra->nscaps = n;
}

/* Reading the .scap files again, on a terminal: shown once it takes more than a second. */
struct link_progress {
	double start;
	bool shown;
};

static void on_link_progress(void *ctx, uint64_t bytes)
{
	struct link_progress *p = ctx;

	if (!isatty(STDERR_FILENO) || mono_seconds() - p->start < 1)
		return;
	fprintf(stderr, "\rsysrec record: finding the artifacts' events: %llu MB read",
	        (unsigned long long)(bytes / 1000000));
	p->shown = true;
}

/* Each artifact's events, from the .scap files (a failure is said; the manifest counts what was not found).
 */
static void link_events(struct recart *ra)
{
	struct link_progress p = { mono_seconds(), false };
	struct err e = { { 0 } };

	if (art_events_link(ra->dir, ra->scaps, ra->nscaps, on_link_progress, &p, &e))
		fprintf(stderr, "sysrec record: %s\n", e.msg);
	if (p.shown)
		fputc('\n', stderr);
	for (size_t i = 0; i < ra->nscaps; i++)
		free(ra->scaps[i]);
	free(ra->scaps);
}

int recart_finish(struct recart *ra, struct recart_counts *c, struct err *e)
{
	struct engine_art_stats ks;
	struct art_asm_counts ac;
	int rc;

	atomic_store(&ra->stop, true);
	pthread_join(ra->thread, NULL);
	engine_artifacts_stats(ra->en, &ks);
	engine_artifacts_file_losses(ra->en, on_file_lost, ra->dir);
	art_asm_end(ra->as, &ac);
	/* what the kernel could not hand over: counted, never silent */
	if (ks.lost_bytes)
		art_dropped(ra->dir, ART_WRITE, ART_DROP_RING, ks.lost_bytes);
	if (ks.unreadable)
		art_dropped(ra->dir, ART_WRITE, ART_DROP_UNREADABLE, ks.unreadable);
	if (c) {
		memset(c, 0, sizeof(*c));
		art_counts(ra->dir, &c->art);
		c->kernel = ks;
		c->exec_unreadable = ac.exec_unreadable;
		c->incomplete = ac.incomplete;
	}
	if (ra->profile) {
		struct err pe = { { 0 } };

		if (art_profile_write(ra->profile, ra->profile_path, &pe) && e && !e->msg[0])
			*e = pe;
		art_profile_free(ra->profile);
		free(ra->profile_path);
	}
	if (ra->nscaps)
		link_events(ra);
	rc = art_close(ra->dir, e);
	for (size_t i = 0; i < ra->containers.cap; i++)
		free(ra->containers.slots[i].val);
	i64map_release(&ra->containers);
	free(ra);
	return rc;
}
