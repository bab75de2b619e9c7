/* fleet.c: remote_exec rows and host/GPU facts (as assets) for src/fleet. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "store/store-int.h"

static const char exec_sql[] =
    "INSERT INTO remote_exec(batch,actor,host,address,port,user,host_key,"
    "command,kind,error,exit_status,exit_signal,start_time,end_time,"
    "duration_ms,stdout_sha256,stdout_bytes,stdout,stderr_sha256,"
    "stderr_bytes,stderr,case_id,run_id) VALUES(?1,?2,?3,?4,?5,?6,?7,?8,"
    "?9,?10,?11,?12,?13,?14,?15,?16,?17,?18,?19,?20,?21,?22,?23)";

static void
bind_ms_time(sqlite3_stmt *st, int i, int64_t ms)
{
	char t[FB_TIME_LEN + 8];

	fb_time_fmt(ms / 1000, t);
	/* "…:SSZ" → "…:SS.mmmZ" */
	snprintf(t + 19, sizeof(t) - 19, ".%03dZ", (int)(ms % 1000));
	sqlite3_bind_text(st, i, t, -1, SQLITE_TRANSIENT);
}

int
store_remote_exec_add(struct store *s, const struct store_remote_exec *r,
    int64_t *id)
{
	sqlite3_stmt *st;
	int rc;

	if (!s->in_tx)
		return fb_err(FB_ERR_INTERNAL, "remote_exec outside a transaction");
	if ((rc = store_cached(s, exec_sql, &st)) != 0)
		return rc;
	store_bind_text(st, 1, r->batch);
	store_bind_text(st, 2, s->actor.user);
	store_bind_text(st, 3, r->host);
	store_bind_text(st, 4, r->address);
	sqlite3_bind_int(st, 5, r->port);
	store_bind_text(st, 6, r->user);
	store_bind_text(st, 7, r->host_key && *r->host_key ? r->host_key : NULL);
	store_bind_text(st, 8, r->command);
	store_bind_text(st, 9, r->kind);
	store_bind_text(st, 10, r->error);
	if (r->has_exit)
		sqlite3_bind_int(st, 11, r->exit_status);
	store_bind_text(st, 12, r->exit_signal && *r->exit_signal ?
	    r->exit_signal : NULL);
	bind_ms_time(st, 13, r->start_ms);
	bind_ms_time(st, 14, r->end_ms);
	sqlite3_bind_int64(st, 15, r->end_ms - r->start_ms);
	store_bind_text(st, 16, r->stdout_sha256 && *r->stdout_sha256 ?
	    r->stdout_sha256 : NULL);
	sqlite3_bind_int64(st, 17, (int64_t)r->stdout_bytes);
	if (r->stdout_kept != NULL)
		sqlite3_bind_blob64(st, 18, r->stdout_kept, r->stdout_kept_len,
		    SQLITE_STATIC);
	store_bind_text(st, 19, r->stderr_sha256 && *r->stderr_sha256 ?
	    r->stderr_sha256 : NULL);
	sqlite3_bind_int64(st, 20, (int64_t)r->stderr_bytes);
	if (r->stderr_kept != NULL)
		sqlite3_bind_blob64(st, 21, r->stderr_kept, r->stderr_kept_len,
		    SQLITE_STATIC);
	if (r->case_id > 0)
		sqlite3_bind_int64(st, 22, r->case_id);
	if (r->run_id > 0)
		sqlite3_bind_int64(st, 23, r->run_id);
	if (sqlite3_step(st) != SQLITE_DONE)
		return store_sqlerr(s, "record a remote command");
	if (id != NULL)
		*id = sqlite3_last_insert_rowid(s->db);
	return 0;
}

#define EXEC_JSON                                                          \
	"SELECT json_object('id',id,'batch',batch,'actor',actor,'host',host," \
	"'address',address,'port',port,'user',user,'host_key',host_key,"    \
	"'command',command,'kind',kind,'error',error,"                      \
	"'exit_status',exit_status,'exit_signal',exit_signal,"              \
	"'start_time',start_time,'end_time',end_time,"                      \
	"'duration_ms',duration_ms,'stdout_sha256',stdout_sha256,"          \
	"'stdout_bytes',stdout_bytes,'stdout_kept',length(stdout),"         \
	"'stderr_sha256',stderr_sha256,'stderr_bytes',stderr_bytes,"        \
	"'stderr_kept',length(stderr),'case_id',case_id,'run_id',run_id) "  \
	"FROM remote_exec "

int
store_remote_exec_ls_json(struct store *s, const char *batch,
    store_json_cb cb, void *ctx)
{
	sqlite3_stmt *st;
	int rc;

	rc = store_prepare(s, batch ? EXEC_JSON "WHERE batch=?1 ORDER BY id" :
	    EXEC_JSON "ORDER BY id", &st);
	if (rc != 0)
		return rc;
	if (batch)
		store_bind_text(st, 1, batch);
	rc = store_json_rows(s, st, cb, ctx);
	sqlite3_finalize(st);
	return rc;
}

static const char fact_sql[] =
    "INSERT INTO assets(type,value,attributes) VALUES(?1,?2,?3) "
    "ON CONFLICT(type,value) DO UPDATE SET attributes="
    "json_patch(coalesce(attributes,'{}'),excluded.attributes) RETURNING id";

int
store_fact_put(struct store *s, const char *type, const char *value,
    const char *attributes_json, int64_t *id)
{
	sqlite3_stmt *st;
	int rc;

	if (!s->in_tx)
		return fb_err(FB_ERR_INTERNAL, "facts outside a transaction");
	store_asset_cache_clear(s);
	if ((rc = store_cached(s, fact_sql, &st)) != 0)
		return rc;
	store_bind_text(st, 1, type);
	store_bind_text(st, 2, value);
	store_bind_text(st, 3, attributes_json);
	if (sqlite3_step(st) != SQLITE_ROW)
		return store_sqlerr(s, "record facts");
	if (id != NULL)
		*id = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	return 0;
}

int
store_facts_ls_json(struct store *s, const char *type, store_json_cb cb,
    void *ctx)
{
	sqlite3_stmt *st;
	int rc;

	rc = store_prepare(s, "SELECT json_object('type',type,'value',value,"
	    "'attributes',json(attributes)) FROM assets WHERE type=?1 AND "
	    "attributes IS NOT NULL AND json_valid(attributes) ORDER BY value",
	    &st);
	if (rc != 0)
		return rc;
	store_bind_text(st, 1, type);
	rc = store_json_rows(s, st, cb, ctx);
	sqlite3_finalize(st);
	return rc;
}
