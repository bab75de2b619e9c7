/*
 * schema-console.h: the part of schema version 3 for Console: counts
 * maintained on write, and indexes for the console's sorted columns.
 * Included only by migrate.c. Until version 3 is released it may change;
 * afterwards, add a new migration instead.
 *
 * finding_counts holds how many findings have each (severity, status),
 * kept by triggers in the writing transaction, so the dashboard never
 * counts a million rows. (New findings per hour come from the ingests
 * table, one row per ingest, at no cost to ingest.) Suppressions are evaluated when reading and are
 * not part of these counts. The indexes serve keyset pagination: each sort
 * is (column, id), and the rowid ends every index. The default order is
 * severity then id (newest first), not last_seen: a repeat moves
 * last_seen, so only the one last_seen index pays on a re-ingest. Only severity,
 * last_seen and id sort: each index costs every ingest (measured with
 * bench/ingest), and status or source are better filtered than sorted.
 * One more serves the commonest filter, status=, in the default sort.
 */
#ifndef FB_SCHEMA_CONSOLE_H
#define FB_SCHEMA_CONSOLE_H

#define SCHEMA_V3_CONSOLE                                                   \
	"CREATE TABLE finding_counts(severity INTEGER NOT NULL,\n"          \
	"  status TEXT NOT NULL, n INTEGER NOT NULL,\n"                     \
	"  PRIMARY KEY(severity, status)) WITHOUT ROWID, STRICT;\n"         \
	"INSERT INTO finding_counts SELECT severity, status, count(*)\n"    \
	"  FROM findings GROUP BY severity, status;\n"                      \
	"CREATE TRIGGER finding_counts_ins AFTER INSERT ON findings BEGIN\n"\
	"  INSERT INTO finding_counts VALUES(new.severity, new.status, 1)\n"\
	"    ON CONFLICT(severity, status) DO UPDATE SET n = n + 1;\n"      \
	"END;\n"                                                            \
	"CREATE TRIGGER finding_counts_upd AFTER UPDATE OF severity, status\n" \
	"  ON findings WHEN old.severity IS NOT new.severity\n"             \
	"  OR old.status IS NOT new.status BEGIN\n"                         \
	"  UPDATE finding_counts SET n = n - 1\n"                           \
	"    WHERE severity = old.severity AND status = old.status;\n"      \
	"  INSERT INTO finding_counts VALUES(new.severity, new.status, 1)\n"\
	"    ON CONFLICT(severity, status) DO UPDATE SET n = n + 1;\n"      \
	"END;\n"                                                            \
	"CREATE TRIGGER finding_counts_del AFTER DELETE ON findings BEGIN\n"\
	"  UPDATE finding_counts SET n = n - 1\n"                           \
	"    WHERE severity = old.severity AND status = old.status;\n"      \
	"END;\n"                                                            \
	"CREATE INDEX findings_severity ON findings(severity);\n"           \
	"CREATE INDEX findings_last_seen ON findings(last_seen);\n"         \
	/* status= as the filter grammar writes it (store/filter.c), in the \
	 * default order: a triage filter needs no scan. */                 \
	"CREATE INDEX findings_status_sev ON findings(\n"                   \
	"  coalesce(status, '') COLLATE NOCASE, severity);\n"

#endif
