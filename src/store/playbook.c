/* playbook.c: the run journal — runs, (step, host) pairs and fb.* calls. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "store/playbook.h"
#include "store/store-int.h"

static void
now_text(char out[FB_TIME_LEN])
{
	fb_time_fmt(fb_time_now(), out);
}

static int
need_tx(struct store *s)
{
	if (!s->in_tx)
		return fb_err(FB_ERR_INTERNAL, "run journal outside a "
		    "transaction");
	return 0;
}

int
store_run_new_tx(struct store *s, const struct store_run_in *in, int64_t *id)
{
	sqlite3_stmt *st;
	char now[FB_TIME_LEN];
	int rc;

	if ((rc = need_tx(s)) != 0)
		return rc;
	if ((rc = store_cached(s, "INSERT INTO runs(playbook,source_path,"
	    "source_sha256,params,pattern,hosts,case_id,state,dry_run,actor,"
	    "created_at,updated_at) VALUES(?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,"
	    "?11,?11)", &st)) != 0)
		return rc;
	now_text(now);
	store_bind_text(st, 1, in->playbook);
	store_bind_text(st, 2, in->source_path);
	store_bind_text(st, 3, in->source_sha256);
	store_bind_text(st, 4, in->params);
	store_bind_text(st, 5, in->pattern);
	store_bind_text(st, 6, in->hosts);
	if (in->case_id > 0)
		sqlite3_bind_int64(st, 7, in->case_id);
	store_bind_text(st, 8, in->state);
	sqlite3_bind_int(st, 9, in->dry_run != 0);
	store_bind_text(st, 10, s->actor.user);
	store_bind_text(st, 11, now);
	if (sqlite3_step(st) != SQLITE_DONE)
		return store_sqlerr(s, "record a run");
	*id = sqlite3_last_insert_rowid(s->db);
	return 0;
}

static int
run_update(struct store *s, const char *what, sqlite3_stmt *st)
{
	if (sqlite3_step(st) != SQLITE_DONE)
		return store_sqlerr(s, what);
	if (sqlite3_changes(s->db) == 0)
		return fb_err(FB_ERR_NOENT, "no such run");
	return 0;
}

int
store_run_state_tx(struct store *s, int64_t id, const char *state,
    const char *error)
{
	static const char sql[] = "UPDATE runs SET state=?2, error=?3, "
	    "updated_at=?4, finished_at=CASE WHEN ?2 IN ('done','failed',"
	    "'aborted','undone','planned') THEN ?4 ELSE NULL END WHERE id=?1";
	sqlite3_stmt *st;
	char now[FB_TIME_LEN];
	int rc;

	if ((rc = need_tx(s)) != 0 || (rc = store_cached(s, sql, &st)) != 0)
		return rc;
	now_text(now);
	sqlite3_bind_int64(st, 1, id);
	store_bind_text(st, 2, state);
	store_bind_text(st, 3, error);
	store_bind_text(st, 4, now);
	return run_update(s, "update a run", st);
}

int
store_run_plan_tx(struct store *s, int64_t id, const char *plan_json,
    const char *plan_sha256)
{
	static const char sql[] = "UPDATE runs SET plan=?2, plan_sha256=?3, "
	    "updated_at=?4 WHERE id=?1";
	sqlite3_stmt *st;
	char now[FB_TIME_LEN];
	int rc;

	if ((rc = need_tx(s)) != 0 || (rc = store_cached(s, sql, &st)) != 0)
		return rc;
	now_text(now);
	sqlite3_bind_int64(st, 1, id);
	store_bind_text(st, 2, plan_json);
	store_bind_text(st, 3, plan_sha256);
	store_bind_text(st, 4, now);
	return run_update(s, "record a plan", st);
}

int
store_run_approve_tx(struct store *s, int64_t id, const char *sha256)
{
	static const char sql[] = "UPDATE runs SET approved_sha256=?2, "
	    "approved_by=?3, approved_at=?4, updated_at=?4 WHERE id=?1";
	sqlite3_stmt *st;
	char now[FB_TIME_LEN];
	int rc;

	if ((rc = need_tx(s)) != 0 || (rc = store_cached(s, sql, &st)) != 0)
		return rc;
	now_text(now);
	sqlite3_bind_int64(st, 1, id);
	store_bind_text(st, 2, sha256);
	store_bind_text(st, 3, s->actor.user);
	store_bind_text(st, 4, now);
	return run_update(s, "record an approval", st);
}

int
store_run_source_tx(struct store *s, int64_t id, const char *sha256)
{
	static const char sql[] = "UPDATE runs SET source_sha256=?2, "
	    "updated_at=?3 WHERE id=?1";
	sqlite3_stmt *st;
	char now[FB_TIME_LEN];
	int rc;

	if ((rc = need_tx(s)) != 0 || (rc = store_cached(s, sql, &st)) != 0)
		return rc;
	now_text(now);
	sqlite3_bind_int64(st, 1, id);
	store_bind_text(st, 2, sha256);
	store_bind_text(st, 3, now);
	return run_update(s, "update a run", st);
}

#define RUN_COLS \
	"r.id, coalesce(r.case_id,0), r.playbook, r.source_path, " \
	"r.source_sha256, r.params, r.pattern, r.hosts, r.state, r.dry_run, " \
	"r.plan, r.plan_sha256, r.approved_sha256, r.approved_by, " \
	"r.approved_at, r.actor, r.created_at, r.updated_at, r.finished_at, " \
	"r.error, " \
	"(SELECT count(*) FROM run_steps p WHERE p.run_id=r.id), " \
	"(SELECT count(*) FROM run_steps p WHERE p.run_id=r.id AND " \
	"  p.state='done'), " \
	"(SELECT count(*) FROM run_steps p WHERE p.run_id=r.id AND " \
	"  p.state='unchanged'), " \
	"(SELECT count(*) FROM run_steps p WHERE p.run_id=r.id AND " \
	"  p.state IN ('failed','undo-failed')), " \
	"(SELECT count(*) FROM run_steps p WHERE p.run_id=r.id AND " \
	"  p.state IN ('pending','applying')), " \
	"(SELECT count(*) FROM run_steps p WHERE p.run_id=r.id AND " \
	"  p.state='undone') "

static int
run_rows(struct store *s, sqlite3_stmt *st, store_run_cb cb, void *ctx,
    int *nrows)
{
	struct store_run_row r;
	int x, rc = 0;

	*nrows = 0;
	while ((x = sqlite3_step(st)) == SQLITE_ROW) {
		memset(&r, 0, sizeof(r));
		r.id = sqlite3_column_int64(st, 0);
		r.case_id = sqlite3_column_int64(st, 1);
		r.playbook = store_col_text(st, 2);
		r.source_path = store_col_text(st, 3);
		r.source_sha256 = store_col_text(st, 4);
		r.params = store_col_text(st, 5);
		r.pattern = store_col_text(st, 6);
		r.hosts = store_col_text(st, 7);
		r.state = store_col_text(st, 8);
		r.dry_run = sqlite3_column_int(st, 9);
		r.plan = store_col_text(st, 10);
		r.plan_sha256 = store_col_text(st, 11);
		r.approved_sha256 = store_col_text(st, 12);
		r.approved_by = store_col_text(st, 13);
		r.approved_at = store_col_text(st, 14);
		r.actor = store_col_text(st, 15);
		r.created_at = store_col_text(st, 16);
		r.updated_at = store_col_text(st, 17);
		r.finished_at = store_col_text(st, 18);
		r.error = store_col_text(st, 19);
		r.n_pairs = sqlite3_column_int64(st, 20);
		r.n_done = sqlite3_column_int64(st, 21);
		r.n_unchanged = sqlite3_column_int64(st, 22);
		r.n_failed = sqlite3_column_int64(st, 23);
		r.n_pending = sqlite3_column_int64(st, 24);
		r.n_undone = sqlite3_column_int64(st, 25);
		(*nrows)++;
		if ((rc = cb(ctx, &r)) != 0)
			return rc;
	}
	if (x != SQLITE_DONE)
		return store_sqlerr(s, "read runs");
	return 0;
}

int
store_run_get(struct store *s, int64_t id, store_run_cb cb, void *ctx)
{
	sqlite3_stmt *st;
	int rc, n;

	if ((rc = store_prepare(s, "SELECT " RUN_COLS "FROM runs r WHERE "
	    "r.id=?1", &st)) != 0)
		return rc;
	sqlite3_bind_int64(st, 1, id);
	rc = run_rows(s, st, cb, ctx, &n);
	sqlite3_finalize(st);
	if (rc == 0 && n == 0)
		return fb_err(FB_ERR_NOENT, "no run %lld", (long long)id);
	return rc;
}

int
store_runs_ls(struct store *s, int64_t limit, store_run_cb cb, void *ctx)
{
	sqlite3_stmt *st;
	int rc, n;

	if ((rc = store_prepare(s, "SELECT " RUN_COLS "FROM runs r ORDER BY "
	    "r.id DESC LIMIT ?1", &st)) != 0)
		return rc;
	sqlite3_bind_int64(st, 1, limit > 0 ? limit : -1);
	rc = run_rows(s, st, cb, ctx, &n);
	sqlite3_finalize(st);
	return rc;
}

#define RUN_JSON \
	"json_object('id',r.id,'playbook',r.playbook,'source_path'," \
	"r.source_path,'source_sha256',r.source_sha256,'params'," \
	"json(r.params),'pattern',r.pattern,'hosts',json(r.hosts),'case'," \
	"r.case_id,'state',r.state,'dry_run',json(CASE WHEN r.dry_run " \
	"THEN 'true' ELSE 'false' END),'plan_sha256',r.plan_sha256," \
	"'approved_sha256',r.approved_sha256,'approved_by',r.approved_by," \
	"'approved_at',r.approved_at,'actor',r.actor,'created_at'," \
	"r.created_at,'updated_at',r.updated_at,'finished_at',r.finished_at," \
	"'error',r.error"

#define PAIRS_JSON \
	"'pairs',json_object('total',(SELECT count(*) FROM run_steps p " \
	"WHERE p.run_id=r.id),'done',(SELECT count(*) FROM run_steps p " \
	"WHERE p.run_id=r.id AND p.state='done'),'unchanged',(SELECT " \
	"count(*) FROM run_steps p WHERE p.run_id=r.id AND " \
	"p.state='unchanged'),'failed',(SELECT count(*) FROM run_steps p " \
	"WHERE p.run_id=r.id AND p.state IN ('failed','undo-failed'))," \
	"'pending',(SELECT count(*) FROM run_steps p WHERE p.run_id=r.id " \
	"AND p.state IN ('pending','applying')),'undone',(SELECT count(*) " \
	"FROM run_steps p WHERE p.run_id=r.id AND p.state='undone'))"

int
store_runs_ls_json(struct store *s, int64_t limit, store_json_cb cb,
    void *ctx)
{
	sqlite3_stmt *st;
	int rc;

	if ((rc = store_prepare(s, "SELECT " RUN_JSON "," PAIRS_JSON ") "
	    "FROM runs r ORDER BY r.id DESC LIMIT ?1", &st)) != 0)
		return rc;
	sqlite3_bind_int64(st, 1, limit > 0 ? limit : -1);
	rc = store_json_rows(s, st, cb, ctx);
	sqlite3_finalize(st);
	return rc;
}

int
store_run_show_json(struct store *s, int64_t id, char **json)
{
	sqlite3_stmt *st;
	int rc, x;

	if ((rc = store_prepare(s, "SELECT " RUN_JSON "," PAIRS_JSON ","
	    "'plan',json(r.plan),'steps',(SELECT json_group_array("
	    "json_object('step',p.step,'name',p.name,'host',p.host,'state',"
	    "p.state,'planned',json(p.planned),'result',json(p.result),"
	    "'error',p.error,'applies',p.applies,'started_at',p.started_at,"
	    "'finished_at',p.finished_at)) FROM (SELECT * FROM run_steps "
	    "WHERE run_id=r.id ORDER BY step, id) p),'calls',(SELECT "
	    "json_group_array(json_object('id',c.id,'step',c.step,'host',"
	    "c.host,'phase',c.phase,'fn',c.fn,'args',json(c.args),'result',"
	    "json(c.result),'ok',json(CASE WHEN c.ok THEN 'true' ELSE "
	    "'false' END),'time',c.time)) FROM (SELECT * FROM run_calls "
	    "WHERE run_id=r.id ORDER BY id) c)) FROM runs r WHERE r.id=?1",
	    &st)) != 0)
		return rc;
	sqlite3_bind_int64(st, 1, id);
	x = sqlite3_step(st);
	if (x == SQLITE_ROW) {
		*json = xstrdup(store_col_text(st, 0));
		rc = 0;
	} else if (x == SQLITE_DONE) {
		rc = fb_err(FB_ERR_NOENT, "no run %lld", (long long)id);
	} else {
		rc = store_sqlerr(s, "read a run");
	}
	sqlite3_finalize(st);
	return rc;
}

int
store_run_step_put_tx(struct store *s, int64_t run, int step,
    const char *name, const char *host, const char *state,
    const char *planned)
{
	static const char sql[] = "INSERT INTO run_steps(run_id,step,name,"
	    "host,state,planned) VALUES(?1,?2,?3,?4,?5,?6) ON CONFLICT("
	    "run_id,step,host) DO UPDATE SET state=excluded.state,"
	    "planned=excluded.planned, name=excluded.name";
	sqlite3_stmt *st;
	int rc;

	if ((rc = need_tx(s)) != 0 || (rc = store_cached(s, sql, &st)) != 0)
		return rc;
	sqlite3_bind_int64(st, 1, run);
	sqlite3_bind_int(st, 2, step);
	store_bind_text(st, 3, name);
	store_bind_text(st, 4, host);
	store_bind_text(st, 5, state);
	store_bind_text(st, 6, planned);
	if (sqlite3_step(st) != SQLITE_DONE)
		return store_sqlerr(s, "record a step");
	return 0;
}

int
store_run_step_set_tx(struct store *s, int64_t run, int step,
    const char *host, const char *state, const char *result,
    const char *error, int started, int applied)
{
	static const char sql[] = "UPDATE run_steps SET state=?4, "
	    "result=coalesce(?5,result), error=?6, applies=applies+?7, "
	    "started_at=CASE WHEN ?8 THEN ?9 ELSE started_at END, "
	    "finished_at=CASE WHEN ?8 THEN NULL ELSE ?9 END "
	    "WHERE run_id=?1 AND step=?2 AND host=?3";
	sqlite3_stmt *st;
	char now[FB_TIME_LEN];
	int rc;

	if ((rc = need_tx(s)) != 0 || (rc = store_cached(s, sql, &st)) != 0)
		return rc;
	now_text(now);
	sqlite3_bind_int64(st, 1, run);
	sqlite3_bind_int(st, 2, step);
	store_bind_text(st, 3, host);
	store_bind_text(st, 4, state);
	store_bind_text(st, 5, result);
	store_bind_text(st, 6, error);
	sqlite3_bind_int(st, 7, applied != 0);
	sqlite3_bind_int(st, 8, started != 0);
	store_bind_text(st, 9, now);
	if (sqlite3_step(st) != SQLITE_DONE)
		return store_sqlerr(s, "update a step");
	if (sqlite3_changes(s->db) == 0)
		return fb_err(FB_ERR_NOENT, "no step %d on host '%s' in run %lld",
		    step, host, (long long)run);
	return 0;
}

int
store_run_steps(struct store *s, int64_t run, store_run_step_cb cb, void *ctx)
{
	struct store_run_step_row r;
	sqlite3_stmt *st;
	int rc, x;

	if ((rc = store_prepare(s, "SELECT id, run_id, step, name, host, "
	    "state, planned, result, error, applies, started_at, finished_at "
	    "FROM run_steps WHERE run_id=?1 ORDER BY step, id", &st)) != 0)
		return rc;
	sqlite3_bind_int64(st, 1, run);
	while ((x = sqlite3_step(st)) == SQLITE_ROW) {
		memset(&r, 0, sizeof(r));
		r.id = sqlite3_column_int64(st, 0);
		r.run_id = sqlite3_column_int64(st, 1);
		r.step = sqlite3_column_int(st, 2);
		r.name = store_col_text(st, 3);
		r.host = store_col_text(st, 4);
		r.state = store_col_text(st, 5);
		r.planned = store_col_text(st, 6);
		r.result = store_col_text(st, 7);
		r.error = store_col_text(st, 8);
		r.applies = sqlite3_column_int64(st, 9);
		r.started_at = store_col_text(st, 10);
		r.finished_at = store_col_text(st, 11);
		if ((rc = cb(ctx, &r)) != 0)
			break;
	}
	if (rc == 0 && x != SQLITE_DONE && x != SQLITE_ROW)
		rc = store_sqlerr(s, "read run steps");
	sqlite3_finalize(st);
	return rc;
}

int
store_run_call_add_tx(struct store *s, int64_t run, int step,
    const char *host, const char *phase, const char *fn, const char *args,
    const char *result, int ok, int64_t *id)
{
	static const char sql[] = "INSERT INTO run_calls(run_id,step,host,"
	    "phase,fn,args,result,ok,time) VALUES(?1,?2,?3,?4,?5,?6,?7,?8,?9)";
	sqlite3_stmt *st;
	char now[FB_TIME_LEN];
	int rc;

	if ((rc = need_tx(s)) != 0 || (rc = store_cached(s, sql, &st)) != 0)
		return rc;
	now_text(now);
	sqlite3_bind_int64(st, 1, run);
	if (step >= 0)
		sqlite3_bind_int(st, 2, step);
	store_bind_text(st, 3, host);
	store_bind_text(st, 4, phase);
	store_bind_text(st, 5, fn);
	store_bind_text(st, 6, args);
	store_bind_text(st, 7, result);
	sqlite3_bind_int(st, 8, ok != 0);
	store_bind_text(st, 9, now);
	if (sqlite3_step(st) != SQLITE_DONE)
		return store_sqlerr(s, "journal a call");
	if (id != NULL)
		*id = sqlite3_last_insert_rowid(s->db);
	return 0;
}
