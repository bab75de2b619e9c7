/* store-int.h: shared by the files of the store module only. */
#ifndef FB_STORE_INT_H
#define FB_STORE_INT_H

#include <sqlite3.h>

#include "store/store.h"
#include "store/cases.h"

#define STORE_STMT_CACHE 32
#define STORE_ASSET_CACHE 1021

struct store_asset_slot {
	uint64_t hash;
	char *type, *value;
	int64_t id;
};

struct store {
	sqlite3 *db;
	struct {
		const char *sql;   /* static text: the key is its address */
		sqlite3_stmt *st;
	} cache[STORE_STMT_CACHE];
	char *dir;
	struct store_asset_slot assets[STORE_ASSET_CACHE];
	int readonly;      /* no write transactions */
	int ro_file;       /* the file itself is open read-only */
	int in_tx;
	struct fb_actor actor;
};

/* Report a SQLite failure through fb_err(), naming what was being done. */
int store_sqlerr(struct store *s, const char *what);
/* Prepare or fail with a message; statements are finalized by the caller. */
int store_prepare(struct store *s, const char *sql, sqlite3_stmt **st);
/* Run SQL with no results. */
int store_exec(struct store *s, const char *sql);
/* Bind text or NULL. */
void store_bind_text(sqlite3_stmt *st, int i, const char *v);
/* A text column, or NULL. */
static inline const char *
store_col_text(sqlite3_stmt *st, int i)
{
	return (const char *)sqlite3_column_text(st, i);
}
/*
 * Text that is hashed into a chain (audit, custody) holds no DEL and no
 * malformed UTF-8, so jq and SQLite encode it alike (audit.c). Returns s
 * or a repaired copy in *tmp (caller frees).
 */
const char *store_text_clean(const char *s, char **tmp);
/* Run a statement whose rows are single JSON texts, one callback each. */
int store_json_rows(struct store *s, sqlite3_stmt *st, store_json_cb cb,
    void *ctx);

/*
 * evidence.c: the columns of an evidence row (evidence e JOIN blobs b), and
 * the one reader of them: steps st, calls cb per row, finalizes st.
 */
#define STORE_EVIDENCE_COLS                                                 \
	"e.id,coalesce(e.case_id,0),e.blob,b.size,e.kind,e.name,"           \
	"e.source_host,e.host_key,e.path,e.command,e.collector,"            \
	"e.collected_by,e.started_at,e.finished_at,e.clock_offset_ms,"      \
	"e.orig_mtime,e.orig_mode,e.orig_owner,e.note,e.remote_exec"
int store_evidence_rows(struct store *s, sqlite3_stmt *st,
    store_evidence_cb cb, void *ctx);

/*
 * A cached statement for static SQL text, reset and cleared of bindings;
 * do not finalize it. For hot paths (one statement per finding).
 */
int store_cached(struct store *s, const char *sql, sqlite3_stmt **st);

/* filter.c: append " AND (...)" terms for f to sql, binding into binds. */
struct store_binds {
	struct {
		int is_int;
		int64_t i;
		char *s;
	} v[256];
	int n;
};
int store_filter_sql(const struct filter *f, struct fb_buf *sql,
    struct store_binds *b);
void store_binds_apply(sqlite3_stmt *st, const struct store_binds *b,
    int first);
void store_binds_release(struct store_binds *b);
/* SQL expression that is 1 when finding f.* matches an active suppression. */
int store_suppressed_sql(struct store *s, struct fb_buf *sql,
    struct store_binds *b);

void store_asset_cache_clear(struct store *s);

/* migrate.c */
int store_migrate(struct store *s);

#endif
