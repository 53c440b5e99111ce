/*
 * catalog_int: what the catalog's files share (private to src/store; store.h is the interface).
 *
 *   meta.c     struct capture_meta: its string members (copy, free), status
 *              names, ids and keys; RFC 3339 UTC times; its JSON form
 *              (capture_meta_to_json, capture_meta_from_json)
 *   catalog.c  struct catalog: the index of records and its lock, each record
 *              written to the store, the list queries, expiry, and the
 *              recovery at open of captures the agent stopped during
 *
 * Ownership: meta.c owns the layout of a record (which members are strings,
 * how each reads and writes as JSON); catalog.c owns every struct catalog and
 * the capture_meta copies in it, writes the .json records and deletes a
 * capture's files.
 */
#ifndef SYSREC_STORE_CATALOG_INT_H
#define SYSREC_STORE_CATALOG_INT_H

#include "store.h"

/*
 * The key of capture id's file with extension ext (".scap", ".json") in key:
 * CAPTURE_KEY_PREFIX, id, ext. 0, or -EINVAL when id is not valid
 * (capture_id_valid()). Defined in meta.c.
 */
int meta_record_key(char key[STORE_KEY_MAX + 1], const char *id, const char *ext);

#endif
