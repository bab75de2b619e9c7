/* store-int.h: shared by the files of the store module only. */
#ifndef FB_STORE_INT_H
#define FB_STORE_INT_H

#include <sqlite3.h>

#include "store/store.h"

struct store {
	sqlite3 *db;
	char *dir;
	int readonly;
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

/* migrate.c */
int store_migrate(struct store *s);

#endif
