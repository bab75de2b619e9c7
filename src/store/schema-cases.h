/*
 * schema-cases.h: the part of schema version 3 for Cases and evidence: cases, case_events, blobs, evidence, custody.
 * Included only by migrate.c. Until version 3 is released it may change;
 * afterwards, add a new migration instead.
 *
 * Links between findings and cases are findings.case_id (version 2); the
 * reason for each link is in the case's timeline (kind 'link').
 * Custody rows are append-only: triggers refuse UPDATE and DELETE.
 */
#ifndef FB_SCHEMA_CASES_H
#define FB_SCHEMA_CASES_H

#define SCHEMA_V3_CASES \
	"CREATE TABLE cases(id INTEGER PRIMARY KEY, title TEXT NOT NULL,\n" \
	"  severity INTEGER NOT NULL, status TEXT NOT NULL DEFAULT 'open',\n" \
	"  owner TEXT, opened_at TEXT NOT NULL, opened_by TEXT NOT NULL,\n" \
	"  updated_at TEXT NOT NULL, first_action_at TEXT, contained_at TEXT,\n" \
	"  eradicated_at TEXT, recovered_at TEXT, closed_at TEXT,\n" \
	"  merged_into INTEGER REFERENCES cases(id)) STRICT;\n" \
	"CREATE TABLE case_events(id INTEGER PRIMARY KEY,\n" \
	"  case_id INTEGER NOT NULL REFERENCES cases(id),\n" \
	"  event_time TEXT NOT NULL, recorded_time TEXT NOT NULL,\n" \
	"  actor TEXT NOT NULL, actor_kind TEXT NOT NULL, kind TEXT NOT NULL,\n" \
	"  text TEXT, data TEXT, finding INTEGER, evidence INTEGER) STRICT;\n" \
	"CREATE INDEX case_events_case ON case_events(case_id, event_time);\n" \
	"CREATE INDEX case_events_finding ON case_events(finding);\n" \
	"CREATE TABLE blobs(sha256 TEXT PRIMARY KEY, size INTEGER NOT NULL,\n" \
	"  stored_at TEXT NOT NULL) STRICT;\n" \
	"CREATE TABLE evidence(id INTEGER PRIMARY KEY,\n" \
	"  blob TEXT NOT NULL REFERENCES blobs(sha256),\n" \
	"  case_id INTEGER REFERENCES cases(id), kind TEXT NOT NULL,\n" \
	"  name TEXT, source_host TEXT NOT NULL, host_key TEXT, path TEXT,\n" \
	"  command TEXT, collector TEXT NOT NULL, collected_by TEXT NOT NULL,\n" \
	"  started_at TEXT NOT NULL, finished_at TEXT NOT NULL,\n" \
	"  clock_offset_ms INTEGER, orig_mtime TEXT, orig_mode INTEGER,\n" \
	"  orig_owner TEXT, note TEXT, remote_exec INTEGER,\n" \
	"  created_at TEXT NOT NULL) STRICT;\n" \
	"CREATE INDEX evidence_case ON evidence(case_id);\n" \
	"CREATE INDEX evidence_blob ON evidence(blob);\n" \
	"CREATE TABLE custody(seq INTEGER PRIMARY KEY,\n" \
	"  evidence INTEGER NOT NULL REFERENCES evidence(id),\n" \
	"  time TEXT NOT NULL, actor TEXT NOT NULL, actor_kind TEXT NOT NULL,\n" \
	"  action TEXT NOT NULL, holder TEXT, note TEXT, sha256 TEXT NOT NULL,\n" \
	"  prev_hash TEXT NOT NULL, hash TEXT NOT NULL) STRICT;\n" \
	"CREATE INDEX custody_evidence ON custody(evidence, seq);\n" \
	"CREATE TRIGGER custody_no_update BEFORE UPDATE ON custody BEGIN\n" \
	"  SELECT RAISE(ABORT, 'custody is append-only'); END;\n" \
	"CREATE TRIGGER custody_no_delete BEFORE DELETE ON custody BEGIN\n" \
	"  SELECT RAISE(ABORT, 'custody is append-only'); END;\n"

#endif
