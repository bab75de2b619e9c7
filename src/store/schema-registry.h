/*
 * schema-registry.h: the part of schema version 3 for Gateway detection:
 * keys, models, and the per-key and per-IP detector state that survives
 * from one ingest to the next.
 * Included only by migrate.c. Until version 3 is released it may change;
 * afterwards, add a new migration instead.
 *
 * keys.id is a key id (the first 16 hex digits of the key's SHA-256),
 * never the key: nothing in the store can give the secret back. kind is
 * the gateway format the key was first seen in ('api' when it was
 * recorded by 'key revoke' before any log named it).
 * revoke_case is the case number as a plain integer (no foreign key: the
 * cases table is another part of this schema and may be merged later).
 * gateway_state holds, per subject (a key id or a client IP), the EWMA
 * baseline of its closed windows and the accumulators of its open window
 * (o_samples: {"all":[request ids],"flag":[request ids]}).
 */
#ifndef FB_SCHEMA_REGISTRY_H
#define FB_SCHEMA_REGISTRY_H

#define SCHEMA_V3_REGISTRY                                                   \
	"CREATE TABLE keys(id TEXT PRIMARY KEY\n"                            \
	"  CHECK(length(id)=16 AND id NOT GLOB '*[^0-9a-f]*'),\n"            \
	"  kind TEXT NOT NULL DEFAULT 'api', owner TEXT,\n"                  \
	"  status TEXT NOT NULL DEFAULT 'active'\n"                          \
	"  CHECK(status IN ('active','revoked')),\n"                         \
	"  first_seen TEXT, last_seen TEXT,\n"                               \
	"  requests INTEGER NOT NULL DEFAULT 0,\n"                           \
	"  revoked_at TEXT, revoked_by TEXT, revoke_reason TEXT,\n"          \
	"  revoke_case INTEGER) STRICT;\n"                                   \
	"CREATE TABLE models(id INTEGER PRIMARY KEY, name TEXT NOT NULL,\n"  \
	"  version TEXT NOT NULL, sha256 TEXT NOT NULL\n"                    \
	"  CHECK(length(sha256)=64 AND sha256 NOT GLOB '*[^0-9a-f]*'),\n"    \
	"  location TEXT, provenance TEXT,\n"                                \
	"  status TEXT NOT NULL DEFAULT 'registered'\n"                      \
	"  CHECK(status IN ('registered','approved','quarantined',\n"        \
	"  'retired')),\n"                                                   \
	"  registered_at TEXT NOT NULL, registered_by TEXT NOT NULL,\n"      \
	"  status_at TEXT, status_by TEXT,\n"                                \
	"  UNIQUE(name, version)) STRICT;\n"                                 \
	"CREATE INDEX models_sha256 ON models(sha256);\n"                    \
	"CREATE TABLE gateway_state(kind TEXT NOT NULL\n"                    \
	"  CHECK(kind IN ('key','ip')), subject TEXT NOT NULL,\n"            \
	"  window INTEGER NOT NULL, n_windows INTEGER NOT NULL DEFAULT 0,\n" \
	"  req_mean REAL NOT NULL DEFAULT 0, req_var REAL NOT NULL DEFAULT 0,\n" \
	"  out_mean REAL NOT NULL DEFAULT 0, out_var REAL NOT NULL DEFAULT 0,\n" \
	"  o_start INTEGER, o_first INTEGER, o_last INTEGER,\n"              \
	"  o_req INTEGER NOT NULL DEFAULT 0, o_in INTEGER NOT NULL DEFAULT 0,\n" \
	"  o_out INTEGER NOT NULL DEFAULT 0, o_rl INTEGER NOT NULL DEFAULT 0,\n" \
	"  o_auth INTEGER NOT NULL DEFAULT 0,\n"                             \
	"  o_revoked INTEGER NOT NULL DEFAULT 0,\n"                          \
	"  o_reported INTEGER NOT NULL DEFAULT 0,\n"                         \
	"  o_assumed_utc INTEGER NOT NULL DEFAULT 0, o_samples TEXT,\n"      \
	"  updated_at TEXT NOT NULL,\n"                                      \
	"  PRIMARY KEY(kind, subject)) WITHOUT ROWID, STRICT;\n"

#endif
