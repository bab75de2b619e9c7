/*
 * console-views.c: reads for the console's fleet and runs views, each a
 * bounded query returning rows of text columns (NULL for SQL NULL).
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "store/store-int.h"

static int
text_rows(struct store *s, sqlite3_stmt *st, int limit, store_text_cb cb,
    void *ctx)
{
	const char *v[STORE_TEXT_MAXCOLS];
	int n = sqlite3_column_count(st), i, rc = 0, got = 0, step;

	if (n > STORE_TEXT_MAXCOLS)
		n = STORE_TEXT_MAXCOLS;
	while (rc == 0 && got < limit && (step = sqlite3_step(st)) == SQLITE_ROW) {
		for (i = 0; i < n; i++)
			v[i] = (const char *)sqlite3_column_text(st, i);
		rc = cb(ctx, n, v);
		got++;
	}
	if (rc == 0 && got < limit && step != SQLITE_DONE)
		rc = store_sqlerr(s, "read the console's rows");
	sqlite3_finalize(st);
	return rc;
}

int
store_console_fleet_host(struct store *s, const char *host, store_text_cb cb,
    void *ctx)
{
	sqlite3_stmt *st;
	int rc;

	/* facts_time, os, kernel, uptime_s, gpus, exec kind, exec end,
	 * exec error, exec exit status */
	rc = store_prepare(s, "SELECT json_extract(a.attributes,'$.facts_time'),"
	    "json_extract(a.attributes,'$.os'),"
	    "json_extract(a.attributes,'$.kernel'),"
	    "json_extract(a.attributes,'$.uptime_s'),"
	    "json_array_length(a.attributes,'$.gpus'),"
	    "e.kind, e.end_time, e.error, e.exit_status "
	    "FROM (SELECT ?1 AS h) q "
	    "LEFT JOIN assets a ON a.type='host' AND a.value=q.h AND "
	    "json_valid(a.attributes) "
	    "LEFT JOIN remote_exec e ON e.id=(SELECT max(id) FROM remote_exec "
	    "WHERE host=q.h)", &st);
	if (rc != 0)
		return rc;
	store_bind_text(st, 1, host);
	return text_rows(s, st, 1, cb, ctx);
}

int
store_console_fleet_gpus(struct store *s, const char *host, store_text_cb cb,
    void *ctx)
{
	sqlite3_stmt *st;
	int rc;

	/* uuid, name, bus_id, memory_used, memory_total, mig_mode, pid,
	 * process name, process memory (one row per process, or one with a
	 * NULL pid for an idle GPU) */
	rc = store_prepare(s, "SELECT a.value,"
	    "json_extract(a.attributes,'$.name'),"
	    "json_extract(a.attributes,'$.bus_id'),"
	    "json_extract(a.attributes,'$.memory_used'),"
	    "json_extract(a.attributes,'$.memory_total'),"
	    "json_extract(a.attributes,'$.mig_mode'),"
	    "json_extract(p.value,'$.pid'), json_extract(p.value,'$.name'),"
	    "json_extract(p.value,'$.used_memory') "
	    "FROM assets a LEFT JOIN json_each(a.attributes,'$.processes') p "
	    "WHERE a.type='gpu' AND json_valid(a.attributes) AND "
	    "json_extract(a.attributes,'$.host')=?1 "
	    "ORDER BY json_extract(a.attributes,'$.bus_id'), a.value, p.key",
	    &st);
	if (rc != 0)
		return rc;
	store_bind_text(st, 1, host);
	return text_rows(s, st, 10000, cb, ctx);
}

int
store_console_run_calls(struct store *s, int64_t run, int limit,
    store_text_cb cb, void *ctx)
{
	sqlite3_stmt *st;
	int rc;

	/* id, time, step, host, phase, fn, ok, args, result */
	rc = store_prepare(s, "SELECT id, time, step, host, phase, fn, ok, "
	    "substr(args,1,200), substr(result,1,200) FROM run_calls "
	    "WHERE run_id=?1 ORDER BY id DESC LIMIT ?2", &st);
	if (rc != 0)
		return rc;
	sqlite3_bind_int64(st, 1, run);
	sqlite3_bind_int(st, 2, limit);
	return text_rows(s, st, limit, cb, ctx);
}
