/*
 * artifacts_int.h: what the artifact module's own files share (artifacts.c
 * keeps the artifacts, events.c finds the events that made them). Not a
 * public header.
 */
#ifndef SYSREC_ARTIFACTS_INT_H
#define SYSREC_ARTIFACTS_INT_H

#include "artifacts.h"

/* An event an artifact names (struct art_meta's ev), and where it was found. */
struct art_evref {
	uint64_t ts;
	uint32_t tid;
	uint32_t file; /* found: index + 1 into the files linked; 0: not (yet) found */
	uint64_t num;  /* its evt.num in that file */
	uint8_t rule;  /* enum art_ev */
};

/* Every artifact's event references (n of them; valid until art_close()), for art_events_link(). */
struct art_evref **art_evrefs(struct art_dir *d, size_t *n);
/* The files the references' file indexes name (copied), listed in the manifest. */
void art_set_event_files(struct art_dir *d, char *const *paths, size_t n);

#endif
