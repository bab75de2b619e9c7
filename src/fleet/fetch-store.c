/* fetch-store.c: fetched files into the blob store (see fetch-store.h). */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fleet/fetch-store.h"

static int
fetch_open(void *ctx, struct fleet_task *t, const char *path, void **sink)
{
	struct fleet_fetch_store *k = ctx;
	struct store_blob_writer *w;
	int rc;

	(void)t;
	(void)path;
	if ((rc = store_blob_writer_new(k->s, k->max_size, &w)) != 0)
		return rc;
	*sink = w;
	return 0;
}

static int
fetch_write(void *sink, const void *p, size_t n)
{
	return store_blob_write(sink, p, n);
}

static void
fetch_done(void *ctx, struct fleet_task *t, const struct fleet_fetch_file *f,
    void *sink)
{
	struct fleet_fetch_store *k = ctx;
	struct fleet_fetched *e;
	int rc;

	if (k->max_files != 0 && k->n >= k->max_files) {
		store_blob_writer_abort(sink);
		return;
	}
	k->v = xrealloc(k->v, (k->n + 1) * sizeof(*k->v));
	e = &k->v[k->n++];
	memset(e, 0, sizeof(*e));
	e->t = t;
	e->f = *f;
	e->path = xstrdup(f->remote_path);
	e->f.remote_path = e->path;
	if (f->refused != NULL) {
		store_blob_writer_abort(sink);
		e->refused = xstrdup(f->refused);
	} else if ((rc = store_blob_writer_commit(sink, &e->blob)) != 0) {
		e->refused = xasprintf("could not be stored: %s",
		    fb_errmsg(rc));
	} else if (strcmp(e->blob.sha256, f->sha256) != 0) {
		/* Two hashes of one stream disagree: never keep that. */
		e->refused = xstrdup("hash mismatch between the stream and "
		    "the stored blob");
	}
	/* The engine counted the files it refused itself; count ours. */
	if (e->refused != NULL && f->refused == NULL)
		t->nrefused++;
}

void
fleet_fetch_store_attach(struct fleet_fetch_store *k, struct fleet_task *t)
{
	t->fetch_open = fetch_open;
	t->fetch_write = fetch_write;
	t->fetched = fetch_done;
	t->ctx = k;
}

void
fleet_fetch_store_release(struct fleet_fetch_store *k)
{
	size_t i;

	for (i = 0; i < k->n; i++) {
		free(k->v[i].path);
		free(k->v[i].refused);
	}
	free(k->v);
	k->v = NULL;
	k->n = 0;
}

void
fleet_fetched_evidence(const struct fleet_fetched *e,
    struct store_evidence_in *in, char owner[64])
{
	const char *slash = strrchr(e->path, '/');

	snprintf(owner, 64, "%lu:%lu", e->f.uid, e->f.gid);
	memset(in, 0, sizeof(*in));
	in->blob = e->blob;
	in->kind = "file";
	in->name = slash != NULL && slash[1] != '\0' ? slash + 1 : e->path;
	in->source_host = e->t->host->name;
	in->host_key = e->t->fingerprint;
	in->path = e->path;
	in->started = e->f.start;
	in->finished = e->f.end;
	in->clock_offset_ms = e->t->has_clock_offset ?
	    e->t->clock_offset_ms : STORE_TIME_UNSET;
	in->orig_mtime = e->f.mtime;
	in->orig_mode = (int64_t)e->f.mode;
	in->orig_owner = owner;
}
