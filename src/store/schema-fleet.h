/*
 * schema-fleet.h: the part of schema version 3 for Fleet: remote_exec.
 * Host and GPU facts are assets (type 'host' and 'gpu', attributes JSON);
 * firebreak's own known hosts are a file in the workspace (known_hosts,
 * OpenSSH format) so ssh-keygen -F and ssh itself can read it.
 * Included only by migrate.c. Until version 3 is released it may change;
 * afterwards, add a new migration instead.
 */
#ifndef FB_SCHEMA_FLEET_H
#define FB_SCHEMA_FLEET_H

#define SCHEMA_V3_FLEET \
	"CREATE TABLE remote_exec(id INTEGER PRIMARY KEY,\n" \
	"  batch TEXT NOT NULL, actor TEXT NOT NULL,\n" \
	"  host TEXT NOT NULL, address TEXT NOT NULL, port INTEGER NOT NULL,\n" \
	"  user TEXT NOT NULL, host_key TEXT, command TEXT NOT NULL,\n" \
	"  kind TEXT NOT NULL, error TEXT,\n" \
	"  exit_status INTEGER, exit_signal TEXT,\n" \
	"  start_time TEXT NOT NULL, end_time TEXT NOT NULL,\n" \
	"  duration_ms INTEGER NOT NULL,\n" \
	"  stdout_sha256 TEXT, stdout_bytes INTEGER NOT NULL DEFAULT 0,\n" \
	"  stdout BLOB, stderr_sha256 TEXT,\n" \
	"  stderr_bytes INTEGER NOT NULL DEFAULT 0, stderr BLOB,\n" \
	"  case_id INTEGER REFERENCES cases(id), run_id INTEGER) STRICT;\n" \
	"CREATE INDEX remote_exec_host ON remote_exec(host, id);\n" \
	"CREATE INDEX remote_exec_batch ON remote_exec(batch);\n" \
	"CREATE INDEX remote_exec_case ON remote_exec(case_id);\n"

#endif
