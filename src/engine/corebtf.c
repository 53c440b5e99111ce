/*
 * corebtf: a small BTF for libbpf's CO-RE relocations, kept in a cache.
 *
 * libbpf relocates each kernel type the programs name by scanning the whole
 * kernel BTF (about 126,000 types here) for candidates, once per type and per
 * object: that scan was most of `sysrec record`'s start-up. bpftool's
 * min_core_btf (BTFGen) cuts the kernel BTF down to the types and members the
 * programs use, with the same layout. It is made once per kernel and per
 * build of the programs, by bpftool when it is installed, and kept as
 * CACHE/core-KEY.btf; every later start relocates against it.
 *
 * The programs also need two kernel type ids (for bpf_rdonly_cast()), which
 * a relocation against the small BTF would number in it instead: they are
 * read from the kernel BTF when the cache is made and kept beside it
 * (CACHE/core-KEY.ids, written last: its presence says the pair is whole).
 *
 * CACHE is $SYSREC_CACHE_DIR, else /var/cache/sysrec; an empty
 * SYSREC_CACHE_DIR turns the cache off.
 */
#include "corebtf.h"

#include <bpf/btf.h>
#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#define KERNEL_BTF "/sys/kernel/btf/vmlinux"

extern char **environ;

/* FNV-1a over 8-byte words (and the tail bytes): the ELF is large and hashed at every start. */
static uint64_t fnv1a(uint64_t h, const void *p, size_t n)
{
	const unsigned char *b = p;
	size_t i = 0;

	for (; i + 8 <= n; i += 8) {
		uint64_t w;

		memcpy(&w, b + i, 8);
		h = (h ^ w) * 0x100000001b3ULL;
	}
	for (; i < n; i++)
		h = (h ^ b[i]) * 0x100000001b3ULL;
	return h;
}

/* The running kernel (its release, build and BTF size) and these programs. */
static uint64_t cache_key(const void *elf, size_t elf_size)
{
	uint64_t h = 0xcbf29ce484222325ULL;
	struct utsname u;
	struct stat st;

	if (uname(&u) == 0) {
		h = fnv1a(h, u.release, strlen(u.release));
		h = fnv1a(h, u.version, strlen(u.version));
	}
	if (stat(KERNEL_BTF, &st) == 0)
		h = fnv1a(h, &st.st_size, sizeof(st.st_size));
	return fnv1a(h, elf, elf_size);
}

/* The kernel's ids of the types the programs cast to, from its BTF. */
static bool kernel_ids(struct corebtf_ids *ids)
{
	struct btf *b = btf__load_vmlinux_btf();
	int task, file;

	if (!b)
		return false;
	task = btf__find_by_name_kind(b, "task_struct", BTF_KIND_STRUCT);
	file = btf__find_by_name_kind(b, "file", BTF_KIND_STRUCT);
	btf__free(b);
	if (task <= 0 || file <= 0)
		return false;
	ids->task_struct = (uint32_t)task;
	ids->file = (uint32_t)file;
	return true;
}

static bool read_ids(const char *path, struct corebtf_ids *ids)
{
	FILE *f = fopen(path, "r");
	unsigned task = 0, file = 0;
	int n;

	if (!f)
		return false;
	n = fscanf(f, "task_struct %u file %u", &task, &file);
	fclose(f);
	if (n != 2 || !task || !file)
		return false;
	ids->task_struct = task;
	ids->file = file;
	return true;
}

static bool write_file(const char *path, const void *p, size_t n)
{
	FILE *f = fopen(path, "wb");
	bool ok;

	if (!f)
		return false;
	ok = fwrite(p, 1, n, f) == n;
	return fclose(f) == 0 && ok;
}

/* bpftool gen min_core_btf KERNEL_BTF out obj, quietly; true when it made out. */
static bool run_btfgen(const char *out, const char *obj)
{
	char *argv[] = { "bpftool", "gen", "min_core_btf", KERNEL_BTF, (char *)out, (char *)obj, NULL };
	posix_spawn_file_actions_t fa;
	int status = 0, rc;
	pid_t pid;

	if (posix_spawn_file_actions_init(&fa))
		return false;
	posix_spawn_file_actions_addopen(&fa, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
	posix_spawn_file_actions_addopen(&fa, STDERR_FILENO, "/dev/null", O_WRONLY, 0);
	rc = posix_spawnp(&pid, "bpftool", &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	if (rc)
		return false;
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return false;
	return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

/* Make CACHE/core-KEY.{btf,ids} (each through a temporary name); false if it could not. */
static bool make_cache(const char *dir, const char *base, const void *elf, size_t elf_size,
                       struct corebtf_ids *ids)
{
	char obj[4096], tbtf[4096], tids[4096], fbtf[4096], fids[4096], line[64];
	bool ok;

	if (mkdir(dir, 0755) && errno != EEXIST)
		return false;
	snprintf(obj, sizeof(obj), "%s/%s.o.%d", dir, base, (int)getpid());
	snprintf(tbtf, sizeof(tbtf), "%s/%s.btf.%d", dir, base, (int)getpid());
	snprintf(tids, sizeof(tids), "%s/%s.ids.%d", dir, base, (int)getpid());
	snprintf(fbtf, sizeof(fbtf), "%s/%s.btf", dir, base);
	snprintf(fids, sizeof(fids), "%s/%s.ids", dir, base);
	snprintf(line, sizeof(line), "task_struct %u file %u\n", ids->task_struct, ids->file);
	ok = write_file(obj, elf, elf_size) && run_btfgen(tbtf, obj) &&
	     write_file(tids, line, strlen(line)) && rename(tbtf, fbtf) == 0 && rename(tids, fids) == 0;
	unlink(obj);
	if (!ok) {
		unlink(tbtf);
		unlink(tids);
	}
	return ok;
}

char *corebtf_prepare(const void *elf, size_t elf_size, struct corebtf_ids *ids)
{
	const char *dir = getenv("SYSREC_CACHE_DIR");
	char base[32], path[4096];

	if (!dir)
		dir = "/var/cache/sysrec";
	snprintf(base, sizeof(base), "core-%016llx", (unsigned long long)cache_key(elf, elf_size));
	if (*dir) {
		snprintf(path, sizeof(path), "%s/%s.ids", dir, base);
		if (read_ids(path, ids)) {
			snprintf(path, sizeof(path), "%s/%s.btf", dir, base);
			if (access(path, R_OK) == 0)
				return xstrdup(path);
		}
	}
	if (!kernel_ids(ids))
		return NULL;
	if (*dir && make_cache(dir, base, elf, elf_size, ids)) {
		snprintf(path, sizeof(path), "%s/%s.btf", dir, base);
		return xstrdup(path);
	}
	return NULL;
}

void corebtf_forget(const char *btf_path)
{
	char ids[4096];
	size_t n = strlen(btf_path);

	if (n < 4 || n >= sizeof(ids))
		return;
	memcpy(ids, btf_path, n - 4);
	strcpy(ids + n - 4, ".ids");
	unlink(ids);
	unlink(btf_path);
}
