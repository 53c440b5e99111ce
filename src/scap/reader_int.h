/*
 * reader_int: what the files of the .scap reader share; scap.h stays the module's interface.
 *
 *   reader.c       the reader itself: opening (a path, an fd read raw through a mapping
 *                  or as gzip, an image in memory), the buffer and its refills, the block
 *                  framing (header, length, trailer), scap_reader_next(), section headers
 *                  and event blocks, and the dispatch of metadata blocks to reader_meta.c
 *   reader_meta.c  the bodies of the metadata blocks: machine info, interfaces (IL,
 *                  IL_V2), users and groups (UL, UL_V2), process lists (every PL layout,
 *                  V1 to V9) and fd lists (FDL, FDL_V2); scap_proc_release(), scap_fd_release()
 *
 * Who owns what:
 *
 * - A block body, (body, n) as a scap_meta_parse_*() function gets it, lies in
 *   the reader's buffer (reader.c's). reader.c has checked the block's framing
 *   first, and n is the body's exact length, the trailer excluded; the body's
 *   content is untrusted and unchecked. The bytes are borrowed for the call only
 *   (the next fill may move them): a parser reads them through its own struct
 *   cursor over (body, n), never past n, and keeps nothing pointing into them
 *   (every name or string it keeps is an allocated copy). It does not consume
 *   the block: reader.c does, once the parse succeeded.
 *
 * - The metadata lists of struct scap_reader (procs, fds, ifaces, users, groups,
 *   below "storage of the last metadata record") are the only fields a parser
 *   touches: it appends entries to them, and they own the entries' strings. The
 *   machine info is not stored: scap_meta_parse_machine() fills rec->machine.
 *
 * - A metadata record points into those lists (rec->procs, rec->fds, ...), valid
 *   until the next scap_reader_next() or scap_reader_close(): reader.c sets
 *   has_meta after every parse, failed or not, and frees the entries at the
 *   start of the next call (free_meta) or at close. The procs and fds arrays are
 *   kept for the next list (procs_cap, fds_cap); the others are freed.
 *
 * - On a malformed body a parser returns a negative errno with e naming the
 *   defect (reader.c adds the block's offset). The entries appended before it
 *   stay in the lists and are freed with them; the entry being read is released
 *   by the parser itself.
 *
 * - An event record's parameters point into the block in the buffer: valid
 *   until the next scap_reader_next(), or until close when scap_reader_stable().
 */
#ifndef SYSREC_SCAP_READER_INT_H
#define SYSREC_SCAP_READER_INT_H

#include "scap.h"

#include <zlib.h>

enum phase { PH_START, PH_META, PH_EVENTS };

struct scap_reader {
	int fd;
	gzFile gz;
	uint8_t *buf;
	size_t cap, start, end; /* unread bytes are buf[start, end) */
	uint64_t off;           /* file offset of buf[start] */
	bool eof;
	enum phase phase;
	bool any_event;
	bool mapped;      /* buf is an mmap of the whole (raw) file */
	bool borrowed;    /* buf is the caller's image in memory (scap_reader_open_mem) */
	size_t populated; /* mapped bytes [0, populated) were asked to be faulted in */
	bool has_meta;    /* the last record owns metadata to free */
	/* storage of the last metadata record */
	struct scap_proc *procs;
	size_t nprocs, procs_cap;
	struct scap_fd *fds;
	size_t nfds, fds_cap;
	struct scap_iface *ifaces;
	size_t nifaces;
	struct scap_user *users;
	size_t nusers;
	struct scap_group *groups;
	size_t ngroups;
};

/*
 * reader_meta.c: one metadata block body each, into the reader's lists (or
 * rec). bt is the block type as reader.c passes it: the _ALT and plain codes
 * of a list folded into the plain one (SCAP_BT_IL, _UL, _FDL) or its _V2 code;
 * for a process list, any PL code. Each returns 0, or a negative errno with e set.
 */
int scap_meta_parse_machine(struct scap_record *rec, const uint8_t *body, size_t n, struct err *e);
int scap_meta_parse_ifaces(struct scap_reader *r, uint32_t bt, const uint8_t *body, size_t n, struct err *e);
int scap_meta_parse_users(struct scap_reader *r, uint32_t bt, const uint8_t *body, size_t n, struct err *e);
int scap_meta_parse_procs(struct scap_reader *r, uint32_t bt, const uint8_t *body, size_t n, struct err *e);
/* Also sets rec->fds_tid, the thread the list belongs to. */
int scap_meta_parse_fds(struct scap_reader *r, uint32_t bt, const uint8_t *body, size_t n,
                        struct scap_record *rec, struct err *e);
/* The layout version (1 to 9) of a process list block type; 0 when bt is not one. */
int scap_meta_pl_version(uint32_t bt);

#endif
