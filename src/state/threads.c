/* threads: the thread table, thread records and their lookups. */
#include "state_int.h"

#include <stdlib.h>
#include <string.h>

char *state_dupz(const char *s)
{
	return xstrndup(s ? s : "", s ? strlen(s) : 0);
}

static char *dupn(const void *p, size_t n)
{
	return xstrndup(p ? p : "", p ? n : 0);
}

void state_thread_free(struct thread *t)
{
	if (!t)
		return;
	free(t->comm);
	free(t->exe);
	free(t->exepath);
	free(t->cwd);
	free(t->root);
	free(t->container_id);
	free(t->args);
	free(t->env);
	free(t->cgroups);
	free(t->enter);
	free(t->slots);
	state_fdtable_free(t->fds);
	free(t);
}

struct thread *state_thread_alloc(struct state *s, int64_t tid)
{
	struct thread *t = xcalloc(1, sizeof(*t));

	t->tid = tid;
	t->pid = t->ptid = -1;
	t->sid = t->vpgid = t->vtid = t->vpid = -1;
	t->fdlimit = -1;
	/* as sysdig's threads begin: an exit whose enter came before the capture
	 * (the thread's first event) is about fd 0 */
	t->last_fd = 0;
	t->last_type = t->enter_type = EVENT_MAX;
	t->fds = state_fdtable_new(&s->fdpool);
	return t;
}

uint32_t state_slot_reserve(struct state *s)
{
	return s->nslots++;
}

uint64_t *state_slot(struct thread *t, uint32_t slot)
{
	if (slot >= t->nslots) {
		uint32_t n = slot + 1;

		t->slots = xrealloc(t->slots, n * sizeof(*t->slots));
		memset(t->slots + t->nslots, 0, (n - t->nslots) * sizeof(*t->slots));
		t->nslots = n;
	}
	return &t->slots[slot];
}

void state_set_str(char **dst, const char *src, size_t n)
{
	free(*dst);
	*dst = dupn(src, n);
}

void state_set_comm(struct thread *t, const char *comm)
{
	size_t n = strlen(comm);

	state_set_str(&t->comm, comm, n);
	t->comm_len = (uint32_t)n;
}

/*
 * Give t the cgroups cg; its container is like's when like (the parent, or t
 * itself before an execve) has the same cgroups, as nearly every new process
 * has.
 */
void state_thread_set_cgroups(struct thread *t, const char *cg, size_t len, const struct thread *like)
{
	const char *same_id =
	        like && like->cgroups && like->cgroups_len == len && !memcmp(like->cgroups, cg, len)
	                ? like->container_id
	                : NULL;

	if (same_id && like == t)
		return;
	state_set_str(&t->cgroups, cg, len);
	t->cgroups_len = (uint32_t)len;
	free(t->container_id);
	t->container_id = same_id ? state_dupz(same_id) : state_container_from_cgroups(cg, len);
}

void state_thread_set_list(char **dst, uint32_t *dlen, const void *src, size_t n)
{
	free(*dst);
	*dst = dupn(src, n);
	*dlen = (uint32_t)n;
}

struct thread *state_thread(struct state *s, int64_t tid)
{
	struct thread *t;

	if (s->last_thread && s->last_thread->tid == tid)
		return s->last_thread;
	t = i64map_get(&s->threads, tid);
	if (t)
		s->last_thread = t;
	return t;
}

void state_put_thread(struct state *s, struct thread *t)
{
	s->last_thread = NULL;
	s->gen++;
	state_thread_free(i64map_put(&s->threads, t->tid, t));
}

/* sysdig's placeholder for a tid it has not seen: comm and exe "<NA>". */
struct thread *state_fake_thread(struct state *s, int64_t tid)
{
	struct thread *t = state_thread_alloc(s, tid);

	t->pid = tid;
	state_set_comm(t, "<NA>");
	t->exe = state_dupz("<NA>");
	t->exepath = state_dupz("");
	t->cwd = state_dupz("");
	t->root = state_dupz("");
	t->container_id = state_dupz("");
	t->args = state_dupz("");
	t->env = state_dupz("");
	t->cgroups = state_dupz("");
	t->uid = t->gid = t->loginuid = UINT32_MAX;
	t->fake = true;
	state_put_thread(s, t);
	return t;
}

struct thread *state_main_thread(struct state *s, struct thread *t)
{
	struct thread *m;

	if (!t || t->pid == t->tid || t->pid < 0)
		return t;
	if (t->main_gen == s->gen && t->main)
		return t->main;
	m = state_thread(s, t->pid);
	t->main = m ? m : t;
	t->main_gen = s->gen;
	return t->main;
}

struct fdtable *state_thread_fds(struct state *s, struct thread *t)
{
	if (t->flags & CL_CLONE_FILES)
		return state_main_thread(s, t)->fds;
	return t->fds;
}

const char *state_thread_cwd(struct state *s, struct thread *t)
{
	return state_main_thread(s, t)->cwd;
}

struct fdinfo *state_get_fd(struct state *s, struct thread *t, int64_t fd)
{
	return t ? i64map_get(&state_thread_fds(s, t)->map, fd) : NULL;
}

struct fdinfo *state_fd(struct state *s, struct thread *t, int64_t fd)
{
	return state_get_fd(s, t, fd);
}

void state_thread_counts(struct state *s, const struct thread *t, size_t *nthreads, size_t *nchilds)
{
	*nthreads = *nchilds = 0;
	for (size_t i = 0; i < s->threads.cap; i++) {
		const struct thread *o = s->threads.slots[i].val;

		if (o) {
			*nthreads += o->pid == t->pid;
			*nchilds += o->ptid == t->tid;
		}
	}
}

size_t state_fd_count(struct state *s, struct thread *t)
{
	return state_thread_fds(s, t)->map.len;
}

void state_remove_thread(struct state *s, int64_t tid)
{
	struct thread *t = i64map_del(&s->threads, tid);

	s->last_thread = NULL;
	s->gen++;
	state_thread_free(t);
}
