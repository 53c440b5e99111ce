/*
 * artifacts: the things a recording keeps besides its events (Tracee's
 * --capture): the files processes wrote, the binaries they ran, W+X memory
 * made executable, kernel modules and BPF programs loaded. An artifact
 * directory is DIR/out, laid out for a person:
 *
 *   files/NAME.DEV-INO        a written file, its bytes at the offsets written
 *   exec/NAME.SHA12           a binary run, once per content
 *   mem/PID-COMM-ADDR.bin     a memory region's bytes
 *   modules/NAME.SHA12        a kernel module image, once per content
 *   bpf/NAME.SHA12.insns      a BPF program's instructions, once per content
 *   manifest.json             every artifact: kind, file, paths, sha256, size,
 *                             truncated, owner, first and last time, events
 *
 * No path from the traced system becomes a path here: NAME is a base name
 * made of letters, digits, '.', '_' and '-' only. Limits (per written file,
 * per memory region, in all) are kept, and every byte not kept is counted in
 * the manifest by cause, never dropped silently.
 */
#ifndef SYSREC_ARTIFACTS_H
#define SYSREC_ARTIFACTS_H

#include "../common/common.h"
#include "../engine/engine.h"

enum art_kind {
	ART_WRITE, /* a written file */
	ART_EXEC,  /* a binary executed */
	ART_MEM,   /* a memory region made executable after being writable */
	ART_MODULE,
	ART_BPF,
	ART_NKINDS
};

/* Why bytes were not kept (the manifest's "dropped" counts). */
enum art_drop {
	ART_DROP_FILE_LIMIT,  /* past the per-file (or per-region) limit */
	ART_DROP_TOTAL_LIMIT, /* past the limit of all artifacts together */
	ART_DROP_RING,        /* the kernel's buffer was full */
	ART_DROP_UNREADABLE,  /* the memory or file could not be read */
	ART_DROP_IO,          /* this directory could not take them */
	ART_NDROPS
};

/* How a record names the event that made it, in the .scap written alongside (art_events_link()). */
enum art_ev {
	ART_EV_NONE,
	ART_EV_AT,   /* the event of thread tid stamped ts: the call's exit (written data, memory) or enter */
	ART_EV_EXEC, /* the first execve or execveat exit event of thread tid at or after ts (within 1 s) */
};

/* Who made an artifact, and when and by which event. */
struct art_meta {
	uint32_t pid, tid;
	const char *comm;      /* NULL: unknown */
	const char *container; /* NULL or "": the host */
	uint64_t ts;           /* epoch ns */
	enum art_ev ev;        /* its event, by tid and ts */
};

struct art_limits {
	uint64_t file_max;  /* bytes kept of one written file (0: no limit) */
	uint64_t mem_max;   /* bytes kept of one memory region (0: no limit) */
	uint64_t total_max; /* bytes kept of all artifacts together (0: no limit) */
};

struct art_dir;

/*
 * Open DIR/out (made if missing; with clear, the artifacts a previous run
 * left there are removed first: only the names this module writes). NULL
 * with e set.
 */
struct art_dir *art_open(const char *dir, bool clear, const struct art_limits *lim, struct err *e);
/* DIR/out. */
const char *art_out_dir(const struct art_dir *d);

/*
 * len bytes written at offset off of the file (dev, ino) known as path. The
 * artifact's bytes are the file's at the offsets written (holes stay holes).
 * 0, or -errno when the directory failed (counted, said at close).
 */
int art_file_write(struct art_dir *d, uint64_t dev, uint64_t ino, const char *path, uint64_t off,
                   const void *data, size_t len, const struct art_meta *m);
/* The file (dev, ino) is known by another path too (a rename, a hard link). */
void art_file_path(struct art_dir *d, uint64_t dev, uint64_t ino, const char *path);
/* bytes written to file (dev, ino) were not handed over: its artifact is marked incomplete (counted already).
 */
void art_file_lost(struct art_dir *d, uint64_t dev, uint64_t ino, uint64_t bytes);
/* The file (dev, ino) is gone: a later write to (dev, ino) is to a new file that reuses its inode. */
void art_file_done(struct art_dir *d, uint64_t dev, uint64_t ino);

/*
 * A whole artifact of kind k (exec, module, bpf): stored once per content
 * (sha256); each time it is met again its manifest entry counts it and
 * keeps the last time. name is the traced system's name for it (a path or a
 * program name), reduced to a safe base name here. 0 or -errno.
 */
int art_blob(struct art_dir *d, enum art_kind k, const char *name, const void *data, size_t len,
             const struct art_meta *m);
/* The same with the bytes read from fd (a binary: /proc/PID/exe). */
int art_blob_fd(struct art_dir *d, enum art_kind k, const char *name, int fd, const struct art_meta *m);
/* A memory region's bytes (never merged with another), with its address and protections. */
int art_mem(struct art_dir *d, uint64_t addr, uint64_t len, uint32_t prot_before, uint32_t prot_after,
            const void *data, size_t n, const struct art_meta *m);
/* A region mapped or made writable and executable: listed, with no bytes (art_mem() keeps them later). */
void art_mem_wx(struct art_dir *d, uint64_t addr, uint64_t len, uint32_t prot, const struct art_meta *m);
/* The sha256 of the blob the last art_blob()/art_blob_fd() stored or met again; "" if it was unreadable. */
const char *art_last_sha256(const struct art_dir *d);
/* An artifact that could not be kept: listed with the reason. */
void art_unreadable(struct art_dir *d, enum art_kind k, const char *name, const char *reason,
                    const struct art_meta *m);
/* Bytes of kind k not kept, for cause. */
void art_dropped(struct art_dir *d, enum art_kind k, enum art_drop cause, uint64_t bytes);

/*
 * Find each artifact's events in the .scap files written alongside (paths, in
 * the order written; one gone is skipped): the manifest then lists them per
 * file ("events": {"trace.scap": [12, 40]}) by the numbers `sysrec read` and
 * sysdig show as evt.num, and counts those not found (lost, filtered out, in
 * a file gone). progress (may be NULL) is told the bytes read so far. 0, or
 * -errno with e set for a file that could not be read (the rest is kept).
 */
int art_events_link(struct art_dir *d, char *const *paths, size_t n,
                    void (*progress)(void *ctx, uint64_t bytes), void *ctx, struct err *e);

/* The same in one capture read from fd (taken: closed here), named name in the manifest. */
int art_events_link_fd(struct art_dir *d, int fd, const char *name, struct err *e);

struct art_counts {
	uint64_t artifacts;           /* entries in the manifest */
	uint64_t bytes;               /* kept */
	uint64_t dropped[ART_NDROPS]; /* bytes not kept, by cause */
};
void art_counts(const struct art_dir *d, struct art_counts *c);

/* Finish every file (sha256, its final name) and write manifest.json; 0 or the first error. Frees d. */
int art_close(struct art_dir *d, struct err *e);

/* ------------------------------------------------------------ assembly */

/*
 * art_asm: the engine's artifact records (struct engine_art, in the order
 * the engine gave them) into an artifact directory: each written file's data
 * under its latest path, the chunks of a region, module or program put
 * together, each binary run read. Records may come later than the engine
 * gave them (the flight recorder's): then a binary's bytes come with its
 * record, and a written file's name with its data.
 */
enum {
	/* EXEC, MODFILE: data and len are the file's bytes, read when the record came */
	ART_REC_F_HELD = 1 << 8,
	/* EXEC, MODFILE: the file could not be read when the record came; data is why (a C string) */
	ART_REC_F_UNREADABLE = 1 << 9,
};

struct art_asm;
struct art_profile;
struct art_asm_counts {
	uint64_t exec_unreadable; /* binaries listed without their bytes */
	uint64_t incomplete;      /* regions, modules or programs some of whose chunks were lost */
};

/* Into d (still the caller's to close); profile (NULL: none) is told each binary run. */
struct art_asm *art_asm_new(struct art_dir *d, struct art_profile *profile);
/*
 * One record, made by a process of container (NULL or "": the host). A
 * WRITE with path set names its file, for when the file's PATH record is not
 * among those given.
 */
void art_asm_record(struct art_asm *s, const struct engine_art *a, const char *container);
/* The regions, modules and programs cut short into the directory; counts into c (may be NULL); frees s. */
void art_asm_end(struct art_asm *s, struct art_asm_counts *c);
/* The parent's command (its comm while it lives, else "pid N"): what a profile compares across runs. */
void art_parent_name(uint32_t ppid, char *out, size_t max);
/*
 * An fd of the binary an EXEC record names (the file a MODFILE names), read
 * as its process sees it while it lives; -1 with *why saying why not.
 */
int art_asm_open(const struct engine_art *a, const char **why);

/* ------------------------------------------------------------- profile */

/*
 * The runtime profile (Tracee's --capture profile): every program executed,
 * by path and content: sha256, times run, first and last time, and the
 * parents, users and containers it ran under. Written as JSON; two profiles
 * compared by `sysrec profile diff`.
 */
struct art_profile;

struct art_profile *art_profile_new(void);
/* One execution of path (sha256 "" when the binary could not be read). */
void art_profile_exec(struct art_profile *p, const char *path, const char *sha256, uint64_t ts,
                      const char *parent, uint32_t uid, const char *container);
/* Write it to path (through a temporary, renamed); 0 or -errno with e set. */
int art_profile_write(const struct art_profile *p, const char *path, struct err *e);
void art_profile_free(struct art_profile *p);

/* What changed from one profile to the next. */
struct art_diff_line {
	char what[8]; /* "new", "changed", "gone" */
	char *path;
	char *old_sha, *new_sha;
};
/*
 * Compare profiles old and new (files): the programs new in new, those whose
 * sha256 changed, and those gone (listed, not a change). 0 with *lines,
 * *nlines; or -errno / -EINVAL with e naming the file and what is wrong.
 */
int art_profile_diff(const char *old_path, const char *new_path, struct art_diff_line **lines, size_t *nlines,
                     struct err *e);
void art_diff_free(struct art_diff_line *lines, size_t n);

const char *art_kind_name(enum art_kind k);
const char *art_drop_name(enum art_drop c);
/* name's last component, reduced to letters, digits, '.', '_', '-' (at most max-1 bytes; never "", ".",
 * ".."). */
void art_safe_name(char *out, size_t max, const char *name);

#endif
