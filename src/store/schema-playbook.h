/*
 * schema-playbook.h: the part of schema version 3 for Playbooks: runs,
 * run_steps (one row per step x host), run_calls (every fb.* call).
 * Included only by migrate.c. Until version 3 is released it may change;
 * afterwards, add a new migration instead.
 *
 * runs.state: planned (a dry run), awaiting-approval, running,
 * interrupted, failed, done, aborted, undone. run_steps.state: pending,
 * unchanged (check found nothing to do), applying (started, outcome
 * unknown until it ends: resume re-checks it), done, failed, undoing,
 * undone, undo-failed.
 */
#ifndef FB_SCHEMA_PLAYBOOK_H
#define FB_SCHEMA_PLAYBOOK_H

#define SCHEMA_V3_PLAYBOOK \
	"CREATE TABLE runs(id INTEGER PRIMARY KEY, playbook TEXT NOT NULL,\n" \
	"  source_path TEXT NOT NULL, source_sha256 TEXT NOT NULL,\n" \
	"  params TEXT NOT NULL, pattern TEXT NOT NULL, hosts TEXT NOT NULL,\n" \
	"  case_id INTEGER REFERENCES cases(id), state TEXT NOT NULL,\n" \
	"  dry_run INTEGER NOT NULL DEFAULT 0, plan TEXT, plan_sha256 TEXT,\n" \
	"  approved_sha256 TEXT, approved_by TEXT, approved_at TEXT,\n" \
	"  actor TEXT NOT NULL, created_at TEXT NOT NULL,\n" \
	"  updated_at TEXT NOT NULL, finished_at TEXT, error TEXT) STRICT;\n" \
	"CREATE TABLE run_steps(id INTEGER PRIMARY KEY,\n" \
	"  run_id INTEGER NOT NULL REFERENCES runs(id),\n" \
	"  step INTEGER NOT NULL, name TEXT NOT NULL, host TEXT NOT NULL,\n" \
	"  state TEXT NOT NULL, planned TEXT, result TEXT, error TEXT,\n" \
	"  applies INTEGER NOT NULL DEFAULT 0, started_at TEXT,\n" \
	"  finished_at TEXT, UNIQUE(run_id, step, host)) STRICT;\n" \
	"CREATE TABLE run_calls(id INTEGER PRIMARY KEY,\n" \
	"  run_id INTEGER NOT NULL REFERENCES runs(id),\n" \
	"  step INTEGER, host TEXT, phase TEXT NOT NULL, fn TEXT NOT NULL,\n" \
	"  args TEXT, result TEXT, ok INTEGER NOT NULL,\n" \
	"  time TEXT NOT NULL) STRICT;\n" \
	"CREATE INDEX run_calls_run ON run_calls(run_id, id);\n"

#endif
