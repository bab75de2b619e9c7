/* store-int.h: shared by the files of the store module only. */
#ifndef FB_STORE_INT_H
#define FB_STORE_INT_H

#include <sqlite3.h>

#include "store/store.h"

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
/* Run a statement whose rows are single JSON texts, one callback each. */
int store_json_rows(struct store *s, sqlite3_stmt *st, store_json_cb cb,
    void *ctx);

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
