/*
 * migrate.c: the schema, as an ordered list of migrations. Version N is
 * the state after migrations[0..N-1]; PRAGMA user_version records it. A
 * migration, once released, is never edited: add a new one. Each released
 * schema is kept as tests/fixtures/schema-vN.sql to test the upgrade.
 */
#include "config.h"

#include <stdlib.h>

#include "store/store-int.h"
#include "store/schema-cases.h"
#include "store/schema-registry.h"
#include "store/schema-fleet.h"
#include "store/schema-console.h"
#include "store/schema-playbook.h"

static const char *const migrations[] = {
	/* 1: foundation */
	"CREATE TABLE meta(key TEXT PRIMARY KEY, value ANY) STRICT;\n"
	"CREATE TABLE config(key TEXT PRIMARY KEY, value TEXT NOT NULL,\n"
	"  updated_at TEXT NOT NULL, updated_by TEXT NOT NULL) STRICT;\n"
	"CREATE TABLE audit(seq INTEGER PRIMARY KEY, time TEXT NOT NULL,\n"
	"  actor TEXT NOT NULL, actor_kind TEXT NOT NULL, sudo_user TEXT,\n"
	"  ssh_connection TEXT, action TEXT NOT NULL, object TEXT,\n"
	"  detail TEXT, prev_hash TEXT NOT NULL, hash TEXT NOT NULL) STRICT;\n",

	/* 2: ingest — findings, assets, locations, suppressions, search */
	"CREATE TABLE ingests(id INTEGER PRIMARY KEY, time TEXT NOT NULL,\n"
	"  actor TEXT NOT NULL, path TEXT, sha256 TEXT NOT NULL,\n"
	"  size INTEGER NOT NULL, format TEXT NOT NULL, adapter_version TEXT,\n"
	"  scope TEXT, forced INTEGER NOT NULL DEFAULT 0,\n"
	"  n_new INTEGER NOT NULL DEFAULT 0, n_repeat INTEGER NOT NULL DEFAULT 0,\n"
	"  n_resolved INTEGER NOT NULL DEFAULT 0,\n"
	"  n_rejected INTEGER NOT NULL DEFAULT 0) STRICT;\n"
	"CREATE INDEX ingests_sha256 ON ingests(sha256);\n"
	"CREATE TABLE findings(id INTEGER PRIMARY KEY,\n"
	"  fingerprint TEXT NOT NULL UNIQUE, identity TEXT NOT NULL,\n"
	"  source TEXT NOT NULL, kind TEXT NOT NULL, rule_id TEXT,\n"
	"  title TEXT NOT NULL, detail TEXT, severity INTEGER NOT NULL,\n"
	"  event_time TEXT, event_time_assumed_utc INTEGER NOT NULL DEFAULT 0,\n"
	"  first_seen TEXT NOT NULL, last_seen TEXT NOT NULL,\n"
	"  count INTEGER NOT NULL DEFAULT 1,\n"
	"  status TEXT NOT NULL DEFAULT 'open', status_reason TEXT,\n"
	"  status_by TEXT, status_at TEXT,\n"
	"  case_id INTEGER, scope TEXT,\n"
	"  first_ingest INTEGER NOT NULL REFERENCES ingests(id),\n"
	"  last_ingest INTEGER NOT NULL REFERENCES ingests(id),\n"
	"  raw TEXT) STRICT;\n"
	"CREATE INDEX findings_scope ON findings(source, scope);\n"
	"CREATE INDEX findings_case ON findings(case_id);\n"
	"CREATE TABLE assets(id INTEGER PRIMARY KEY, type TEXT NOT NULL,\n"
	"  value TEXT NOT NULL, attributes TEXT, UNIQUE(type, value)) STRICT;\n"
	"CREATE TABLE finding_assets(\n"
	"  finding INTEGER NOT NULL REFERENCES findings(id) ON DELETE CASCADE,\n"
	"  asset INTEGER NOT NULL REFERENCES assets(id),\n"
	"  role TEXT NOT NULL DEFAULT '', PRIMARY KEY(finding, asset, role))\n"
	"  WITHOUT ROWID, STRICT;\n"
	"CREATE INDEX finding_assets_asset ON finding_assets(asset);\n"
	"CREATE TABLE finding_locations(\n"
	"  finding INTEGER NOT NULL REFERENCES findings(id) ON DELETE CASCADE,\n"
	"  host TEXT NOT NULL DEFAULT '', path TEXT NOT NULL DEFAULT '',\n"
	"  line INTEGER, first_seen TEXT NOT NULL, last_seen TEXT NOT NULL,\n"
	"  PRIMARY KEY(finding, host, path)) WITHOUT ROWID, STRICT;\n"
	"CREATE TABLE suppressions(id INTEGER PRIMARY KEY,\n"
	"  match TEXT NOT NULL, reason TEXT NOT NULL, owner TEXT NOT NULL,\n"
	"  created TEXT NOT NULL, expires TEXT, removed TEXT,\n"
	"  removed_by TEXT) STRICT;\n"
	"CREATE VIRTUAL TABLE findings_fts USING fts5(title, detail, rule_id,\n"
	"  source, content='findings', content_rowid='id');\n"
	/* No insert trigger: store_ingest_finish() indexes an ingest's new
	 * findings in one statement, which is much faster than per row. */
	"CREATE TRIGGER findings_fts_del AFTER DELETE ON findings BEGIN\n"
	"  INSERT INTO findings_fts(findings_fts, rowid, title, detail, rule_id,\n"
	"  source) VALUES('delete', old.id, old.title, old.detail, old.rule_id,\n"
	"  old.source);\n"
	"END;\n"
	"CREATE TRIGGER findings_fts_upd AFTER UPDATE OF title, detail ON findings\n"
	"  WHEN (old.title IS NOT new.title OR old.detail IS NOT new.detail)\n"
	"  AND old.first_ingest < new.last_ingest BEGIN\n"
	"  INSERT INTO findings_fts(findings_fts, rowid, title, detail, rule_id,\n"
	"  source) VALUES('delete', old.id, old.title, old.detail, old.rule_id,\n"
	"  old.source);\n"
	"  INSERT INTO findings_fts(rowid, title, detail, rule_id, source)\n"
	"  VALUES (new.id, new.title, new.detail, new.rule_id, new.source);\n"
	"END;\n",

	/* 3: cases and evidence, the key and model registry, fleet, console */
	SCHEMA_V3_CASES
	SCHEMA_V3_REGISTRY
	SCHEMA_V3_FLEET
	SCHEMA_V3_CONSOLE
	SCHEMA_V3_PLAYBOOK
	"SELECT 1;\n",

	/*
	 * 4: every change of a finding's status, whoever made it (a person,
	 * an ingest, a scope resolution), so an export as of T shows the
	 * status the finding had at T.
	 */
	"CREATE TABLE finding_status_log(id INTEGER PRIMARY KEY,\n"
	"  finding INTEGER NOT NULL REFERENCES findings(id),\n"
	"  at TEXT NOT NULL,\n"
	"  old_status TEXT NOT NULL, old_reason TEXT, old_by TEXT, old_at TEXT,\n"
	"  new_status TEXT NOT NULL, new_reason TEXT, new_by TEXT) STRICT;\n"
	"CREATE INDEX finding_status_log_finding ON\n"
	"  finding_status_log(finding, at);\n"
	"CREATE TRIGGER findings_status_log AFTER UPDATE OF status ON findings\n"
	"  WHEN old.status IS NOT new.status BEGIN\n"
	"  INSERT INTO finding_status_log(finding, at, old_status, old_reason,\n"
	"  old_by, old_at, new_status, new_reason, new_by) VALUES (new.id,\n"
	"  coalesce(new.status_at, strftime('%Y-%m-%dT%H:%M:%SZ', 'now')),\n"
	"  old.status, old.status_reason, old.status_by, old.status_at,\n"
	"  new.status, new.status_reason, new.status_by);\n"
	"END;\n",
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
	int v, rc, target = store_schema_version(), ro = s->readonly;

	if ((rc = user_version(s, &v)) != 0)
		return rc;
	if (v > target)
		return fb_err(FB_ERR_SCHEMA, "workspace '%s' has schema %d, "
		    "newer than this firebreak understands (%d): upgrade "
		    "firebreak", s->dir, v, target);
	if (v == target)
		return 0;
	if (s->ro_file)
		return fb_err(FB_ERR_SCHEMA, "workspace '%s' has schema %d and "
		    "needs migrating to %d, and the store is read-only to you", s->dir, v,
		    target);
	s->readonly = 0;  /* migrating is the one write a reader may do */
	rc = store_begin(s);
	s->readonly = ro;
	if (rc != 0)
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
