/*
 * migrate.c: the schema, as an ordered list of migrations. Version N is
 * the state after migrations[0..N-1]; PRAGMA user_version records it. A
 * migration, once released, is never edited: add a new one. Each released
 * schema is kept as tests/fixtures/schema-vN.sql to test the upgrade.
 */
#include "config.h"

#include <stdlib.h>

#include "store/store-int.h"

static const char *const migrations[] = {
	/* 1: foundation */
	"CREATE TABLE meta(key TEXT PRIMARY KEY, value ANY) STRICT;\n"
	"CREATE TABLE config(key TEXT PRIMARY KEY, value TEXT NOT NULL,\n"
	"  updated_at TEXT NOT NULL, updated_by TEXT NOT NULL) STRICT;\n"
	"CREATE TABLE audit(seq INTEGER PRIMARY KEY, time TEXT NOT NULL,\n"
	"  actor TEXT NOT NULL, actor_kind TEXT NOT NULL, sudo_user TEXT,\n"
	"  ssh_connection TEXT, action TEXT NOT NULL, object TEXT,\n"
	"  detail TEXT, prev_hash TEXT NOT NULL, hash TEXT NOT NULL) STRICT;\n",
};

int
store_schema_version(void)
{
	return (int)FB_ARRAY_LEN(migrations);
}

static int
user_version(struct store *s, int *v)
{
	sqlite3_stmt *st;
	int rc;

	if ((rc = store_prepare(s, "PRAGMA user_version", &st)) != 0)
		return rc;
	if (sqlite3_step(st) != SQLITE_ROW) {
		rc = store_sqlerr(s, "read the schema version");
		sqlite3_finalize(st);
		return rc;
	}
	*v = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	return 0;
}

int
store_migrate(struct store *s)
{
	int v, rc, target = store_schema_version();

	if ((rc = user_version(s, &v)) != 0)
		return rc;
	if (v > target)
		return fb_err(FB_ERR_SCHEMA, "workspace '%s' has schema %d, "
		    "newer than this firebreak understands (%d): upgrade "
		    "firebreak", s->dir, v, target);
	if (v == target)
		return 0;
	if (s->readonly)
		return fb_err(FB_ERR_SCHEMA, "workspace '%s' has schema %d and "
		    "needs migrating to %d: open it writable once", s->dir, v,
		    target);
	if ((rc = store_begin(s)) != 0)
		return rc;
	/* Re-read under the write lock: another process may have migrated. */
	if ((rc = user_version(s, &v)) != 0)
		goto fail;
	for (; v < target; v++) {
		char *sql;

		if ((rc = store_exec(s, migrations[v])) != 0)
			goto fail;
		sql = xasprintf("PRAGMA user_version=%d", v + 1);
		rc = store_exec(s, sql);
		free(sql);
		if (rc != 0)
			goto fail;
	}
	return store_commit(s);
fail:
	store_rollback(s);
	return rc;
}
