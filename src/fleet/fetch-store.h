/*
 * fetch-store.h: files a fleet fetch streams into the workspace's blob
 * store, for `fleet fetch` and a playbook's fb.fetch alike. Each file is
 * hashed as it arrives, kept as a blob once both hashes agree, and turned
 * into an evidence row by the caller.
 */
#ifndef FB_FLEET_FETCH_STORE_H
#define FB_FLEET_FETCH_STORE_H

#include "fleet/fleet.h"
#include "store/cases.h"

struct fleet_fetched {
	struct fleet_task *t;
	char *path;               /* the remote path (owned) */
	char *refused;            /* why it was not kept, or NULL (owned) */
	struct store_blob blob;
	struct fleet_fetch_file f;
	int64_t evidence;         /* the caller's evidence row */
};

struct fleet_fetch_store {
	struct store *s;
	uint64_t max_size;        /* per file */
	size_t max_files;         /* files past it are dropped; 0: no limit */
	struct fleet_fetched *v;
	size_t n;
};

/* Stream t's fetched files into k (set s, max_size, max_files first). */
void fleet_fetch_store_attach(struct fleet_fetch_store *k,
    struct fleet_task *t);
void fleet_fetch_store_release(struct fleet_fetch_store *k);

/*
 * The evidence row of a kept file: blob, name, host and its key, path,
 * times, clock offset, original mtime, mode and owner (written to owner,
 * which in->orig_owner then points to). The caller sets the case, the
 * collector, the note and the actor kind.
 */
void fleet_fetched_evidence(const struct fleet_fetched *e,
    struct store_evidence_in *in, char owner[64]);

#endif
