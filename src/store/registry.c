/*
 * registry.c: keys (ids only, never secrets), models, and the gateway
 * detectors' per-subject state. Commands that change the registry write
 * one audit row in the same transaction; ingests update keys and state
 * inside their own transaction, covered by the ingest's audit row.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "json/json.h"
#include "store/store-int.h"

static void
bind_time(sqlite3_stmt *st, int i, int64_t t)
{
	char buf[FB_TIME_LEN];

	if (t == 0) {
		sqlite3_bind_null(st, i);
		return;
	}
	fb_time_fmt(t, buf);
	sqlite3_bind_text(st, i, buf, -1, SQLITE_TRANSIENT);
}

/* ---- keys -------------------------------------------------------------- */

static const char key_cols[] =
    "id,kind,owner,status,first_seen,last_seen,requests,revoked_at,"
    "revoked_by,revoke_reason,revoke_case";

int
store_key_ls(struct store *s,
    int (*cb)(void *ctx, const struct store_key_row *r), void *ctx)
{
	sqlite3_stmt *st;
	char *sql;
	int rc, r;

	sql = xasprintf("SELECT %s FROM keys ORDER BY status='revoked' DESC, "
	    "last_seen DESC, id", key_cols);
	rc = store_prepare(s, sql, &st);
	free(sql);
	if (rc != 0)
		return rc;
	while ((r = sqlite3_step(st)) == SQLITE_ROW) {
		struct store_key_row row = {
			.id = store_col_text(st, 0), .kind = store_col_text(st, 1), .owner = store_col_text(st, 2),
			.status = store_col_text(st, 3), .first_seen = store_col_text(st, 4),
			.last_seen = store_col_text(st, 5),
			.requests = sqlite3_column_int64(st, 6),
			.revoked_at = store_col_text(st, 7), .revoked_by = store_col_text(st, 8),
			.revoke_reason = store_col_text(st, 9),
			.revoke_case = sqlite3_column_int64(st, 10),
		};
		if ((rc = cb(ctx, &row)) != 0)
			break;
	}
	if (rc == 0 && r != SQLITE_DONE)
		rc = store_sqlerr(s, "list keys");
	sqlite3_finalize(st);
	return rc;
}

int
store_key_ls_json(struct store *s, store_json_cb cb, void *ctx)
{
	sqlite3_stmt *st;
	int rc;

	if ((rc = store_prepare(s, "SELECT json_object('key_id',id,'kind',kind,"
	    "'owner',owner,'status',status,'first_seen',first_seen,"
	    "'last_seen',last_seen,'requests',requests,'revoked_at',revoked_at,"
	    "'revoked_by',revoked_by,'revoke_reason',revoke_reason,"
	    "'case',revoke_case) FROM keys ORDER BY status='revoked' DESC, "
	    "last_seen DESC, id", &st)) != 0)
		return rc;
	rc = store_json_rows(s, st, cb, ctx);
	sqlite3_finalize(st);
	return rc;
}

int
store_key_revoke(struct store *s, const char *id, const char *reason,
    int64_t case_id, int64_t at)
{
	sqlite3_stmt *st = NULL;
	struct fb_json *j;
	char when[FB_TIME_LEN], *detail, *obj;
	int rc;

	fb_time_fmt(at, when);
	if ((rc = store_begin(s)) != 0)
		return rc;
	if ((rc = store_prepare(s, "SELECT status FROM keys WHERE id=?1",
	    &st)) != 0)
		goto fail;
	store_bind_text(st, 1, id);
	if (sqlite3_step(st) == SQLITE_ROW &&
	    strcmp(store_col_text(st, 0), "revoked") == 0) {
		rc = fb_err(FB_ERR_EXIST, "key '%s' is already revoked", id);
		goto fail;
	}
	sqlite3_finalize(st);
	if ((rc = store_prepare(s, "INSERT INTO keys(id,status,revoked_at,"
	    "revoked_by,revoke_reason,revoke_case) VALUES(?1,'revoked',?2,?3,"
	    "?4,?5) ON CONFLICT(id) DO UPDATE SET status='revoked',"
	    "revoked_at=excluded.revoked_at,revoked_by=excluded.revoked_by,"
	    "revoke_reason=excluded.revoke_reason,"
	    "revoke_case=excluded.revoke_case", &st)) != 0)
		goto fail;
	store_bind_text(st, 1, id);
	store_bind_text(st, 2, when);
	store_bind_text(st, 3, s->actor.user);
	store_bind_text(st, 4, reason);
	if (case_id > 0)
		sqlite3_bind_int64(st, 5, case_id);
	if (sqlite3_step(st) != SQLITE_DONE) {
		rc = store_sqlerr(s, "revoke a key");
		goto fail;
	}
	j = fb_json_new();
	fb_json_obj_begin(j);
	fb_json_kstr(j, "reason", reason);
	fb_json_kstr(j, "revoked_at", when);
	fb_json_key(j, "case");
	if (case_id > 0)
		fb_json_int(j, case_id);
	else
		fb_json_null(j);
	fb_json_obj_end(j);
	detail = fb_json_finish(j);
	obj = xasprintf("key:%s", id);
	rc = store_audit(s, STORE_ACTOR_HUMAN, "key.revoke", obj, detail, NULL);
	free(obj);
	free(detail);
	if (rc != 0)
		goto fail;
	sqlite3_finalize(st);
	return store_commit(s);
fail:
	sqlite3_finalize(st);
	store_rollback(s);
	return rc;
}

static const char key_seen_sql[] =
    "INSERT INTO keys(id,kind,owner,first_seen,last_seen,requests) "
    "VALUES(?1,?2,?3,?4,?5,?6) ON CONFLICT(id) DO UPDATE SET "
    /* a key recorded by revoke before any log named it gets its kind */
    "kind=CASE WHEN kind='api' THEN excluded.kind ELSE kind END,"
    "owner=coalesce(owner,excluded.owner),"
    "first_seen=CASE WHEN first_seen IS NULL OR excluded.first_seen<first_seen "
    "THEN excluded.first_seen ELSE first_seen END,"
    "last_seen=CASE WHEN last_seen IS NULL OR excluded.last_seen>last_seen "
    "THEN excluded.last_seen ELSE last_seen END,"
    "requests=requests+excluded.requests";

int
store_key_seen(struct store *s, const char *id, const char *kind,
    const char *owner, int64_t first, int64_t last, int64_t requests)
{
	sqlite3_stmt *st;
	int rc;

	if ((rc = store_cached(s, key_seen_sql, &st)) != 0)
		return rc;
	store_bind_text(st, 1, id);
	store_bind_text(st, 2, kind);
	store_bind_text(st, 3, owner);
	bind_time(st, 4, first);
	bind_time(st, 5, last);
	sqlite3_bind_int64(st, 6, requests);
	if (sqlite3_step(st) != SQLITE_DONE)
		return store_sqlerr(s, "record a key");
	sqlite3_reset(st);
	return 0;
}

int
store_keys_revoked(struct store *s,
    int (*cb)(void *ctx, const char *id, int64_t revoked_at), void *ctx)
{
	sqlite3_stmt *st;
	int rc, r;

	if ((rc = store_prepare(s, "SELECT id,revoked_at FROM keys WHERE "
	    "status='revoked'", &st)) != 0)
		return rc;
	while ((r = sqlite3_step(st)) == SQLITE_ROW) {
		int64_t t = 0;

		if (store_col_text(st, 1) == NULL ||
		    fb_time_parse(store_col_text(st, 1), &t, NULL) != 0)
			t = 0;
		if ((rc = cb(ctx, store_col_text(st, 0), t)) != 0)
			break;
	}
	if (rc == 0 && r != SQLITE_DONE)
		rc = store_sqlerr(s, "read revoked keys");
	sqlite3_finalize(st);
	return rc;
}

/* ---- models ------------------------------------------------------------ */

const char *const store_model_states[] = {
	"registered", "approved", "quarantined", "retired", NULL,
};

static char *
model_obj(const char *name, const char *version)
{
	return xasprintf("model:%s@%s", name, version);
}

int
store_model_register(struct store *s, const char *name, const char *version,
    const char *sha256, const char *location, const char *provenance,
    int64_t *id)
{
	sqlite3_stmt *st = NULL;
	struct fb_json *j;
	char now[FB_TIME_LEN], *detail, *obj;
	int rc;

	if (!fb_is_sha256_hex(sha256))
		return fb_err(FB_ERR_INVAL, "'%s' is not a SHA-256 (64 lower-case "
		    "hex digits)", sha256);
	if ((rc = store_begin(s)) != 0)
		return rc;
	if ((rc = store_prepare(s, "INSERT INTO models(name,version,sha256,"
	    "location,provenance,registered_at,registered_by) "
	    "VALUES(?1,?2,?3,?4,?5,?6,?7) ON CONFLICT(name,version) DO NOTHING",
	    &st)) != 0)
		goto fail;
	fb_time_fmt(fb_time_now(), now);
	store_bind_text(st, 1, name);
	store_bind_text(st, 2, version);
	store_bind_text(st, 3, sha256);
	store_bind_text(st, 4, location);
	store_bind_text(st, 5, provenance);
	store_bind_text(st, 6, now);
	store_bind_text(st, 7, s->actor.user);
	if (sqlite3_step(st) != SQLITE_DONE) {
		rc = store_sqlerr(s, "register a model");
		goto fail;
	}
	if (sqlite3_changes(s->db) != 1) {
		rc = fb_err(FB_ERR_EXIST, "model '%s' version '%s' is already "
		    "registered", name, version);
		goto fail;
	}
	*id = sqlite3_last_insert_rowid(s->db);
	j = fb_json_new();
	fb_json_obj_begin(j);
	fb_json_kstr(j, "sha256", sha256);
	fb_json_kstr(j, "location", location);
	fb_json_kstr(j, "provenance", provenance);
	fb_json_obj_end(j);
	detail = fb_json_finish(j);
	obj = model_obj(name, version);
	rc = store_audit(s, STORE_ACTOR_HUMAN, "model.register", obj, detail,
	    NULL);
	free(obj);
	free(detail);
	if (rc != 0)
		goto fail;
	sqlite3_finalize(st);
	return store_commit(s);
fail:
	sqlite3_finalize(st);
	store_rollback(s);
	return rc;
}

int
store_model_status(struct store *s, const char *name, const char *version,
    const char *state)
{
	sqlite3_stmt *st = NULL;
	struct fb_json *j;
	char now[FB_TIME_LEN], *detail, *obj, *from = NULL;
	size_t i;
	int rc;

	for (i = 0; store_model_states[i] != NULL; i++)
		if (strcmp(state, store_model_states[i]) == 0)
			break;
	if (store_model_states[i] == NULL)
		return fb_err(FB_ERR_INVAL, "unknown model state '%s' (one of: "
		    "registered, approved, quarantined, retired)", state);
	if ((rc = store_begin(s)) != 0)
		return rc;
	if ((rc = store_prepare(s, "SELECT status FROM models WHERE name=?1 "
	    "AND version=?2", &st)) != 0)
		goto fail;
	store_bind_text(st, 1, name);
	store_bind_text(st, 2, version);
	if (sqlite3_step(st) != SQLITE_ROW) {
		rc = fb_err(FB_ERR_NOENT, "no model '%s' version '%s' (see "
		    "'firebreak model ls')", name, version);
		goto fail;
	}
	from = xstrdup(store_col_text(st, 0));
	sqlite3_finalize(st);
	if ((rc = store_prepare(s, "UPDATE models SET status=?1, status_at=?2, "
	    "status_by=?3 WHERE name=?4 AND version=?5", &st)) != 0)
		goto fail;
	fb_time_fmt(fb_time_now(), now);
	store_bind_text(st, 1, store_model_states[i]);
	store_bind_text(st, 2, now);
	store_bind_text(st, 3, s->actor.user);
	store_bind_text(st, 4, name);
	store_bind_text(st, 5, version);
	if (sqlite3_step(st) != SQLITE_DONE) {
		rc = store_sqlerr(s, "change a model's status");
		goto fail;
	}
	j = fb_json_new();
	fb_json_obj_begin(j);
	fb_json_kstr(j, "from", from);
	fb_json_kstr(j, "to", store_model_states[i]);
	fb_json_obj_end(j);
	detail = fb_json_finish(j);
	obj = model_obj(name, version);
	rc = store_audit(s, STORE_ACTOR_HUMAN, "model.status", obj, detail,
	    NULL);
	free(obj);
	free(detail);
	if (rc != 0)
		goto fail;
	sqlite3_finalize(st);
	free(from);
	return store_commit(s);
fail:
	sqlite3_finalize(st);
	free(from);
	store_rollback(s);
	return rc;
}

int
store_model_ls(struct store *s,
    int (*cb)(void *ctx, const struct store_model_row *r), void *ctx)
{
	sqlite3_stmt *st;
	int rc, r;

	if ((rc = store_prepare(s, "SELECT id,name,version,sha256,location,"
	    "provenance,status,registered_at,registered_by,status_at FROM "
	    "models ORDER BY name, id", &st)) != 0)
		return rc;
	while ((r = sqlite3_step(st)) == SQLITE_ROW) {
		struct store_model_row row = {
			.id = sqlite3_column_int64(st, 0),
			.name = store_col_text(st, 1), .version = store_col_text(st, 2),
			.sha256 = store_col_text(st, 3), .location = store_col_text(st, 4),
			.provenance = store_col_text(st, 5), .status = store_col_text(st, 6),
			.registered_at = store_col_text(st, 7),
			.registered_by = store_col_text(st, 8), .status_at = store_col_text(st, 9),
		};
		if ((rc = cb(ctx, &row)) != 0)
			break;
	}
	if (rc == 0 && r != SQLITE_DONE)
		rc = store_sqlerr(s, "list models");
	sqlite3_finalize(st);
	return rc;
}

int
store_model_ls_json(struct store *s, store_json_cb cb, void *ctx)
{
	sqlite3_stmt *st;
	int rc;

	if ((rc = store_prepare(s, "SELECT json_object('id',id,'name',name,"
	    "'version',version,'sha256',sha256,'location',location,"
	    "'provenance',provenance,'status',status,'registered_at',"
	    "registered_at,'registered_by',registered_by,'status_at',status_at,"
	    "'status_by',status_by) FROM models ORDER BY name, id", &st)) != 0)
		return rc;
	rc = store_json_rows(s, st, cb, ctx);
	sqlite3_finalize(st);
	return rc;
}

/* ---- gateway detector state -------------------------------------------- */

int
store_gw_state_load(struct store *s,
    int (*cb)(void *ctx, const struct store_gw_state *st), void *ctx)
{
	sqlite3_stmt *st;
	int rc, r;

	if ((rc = store_prepare(s, "SELECT kind,subject,window,n_windows,"
	    "req_mean,req_var,out_mean,out_var,coalesce(o_start,0),"
	    "coalesce(o_first,0),coalesce(o_last,0),o_req,o_in,o_out,o_rl,"
	    "o_auth,o_revoked,o_reported,o_samples,o_assumed_utc FROM "
	    "gateway_state",
	    &st)) != 0)
		return rc;
	while ((r = sqlite3_step(st)) == SQLITE_ROW) {
		struct store_gw_state g = {
			.kind = store_col_text(st, 0), .subject = store_col_text(st, 1),
			.window = sqlite3_column_int64(st, 2),
			.n_windows = sqlite3_column_int64(st, 3),
			.req_mean = sqlite3_column_double(st, 4),
			.req_var = sqlite3_column_double(st, 5),
			.out_mean = sqlite3_column_double(st, 6),
			.out_var = sqlite3_column_double(st, 7),
			.o_start = sqlite3_column_int64(st, 8),
			.o_first = sqlite3_column_int64(st, 9),
			.o_last = sqlite3_column_int64(st, 10),
			.o_req = sqlite3_column_int64(st, 11),
			.o_in = sqlite3_column_int64(st, 12),
			.o_out = sqlite3_column_int64(st, 13),
			.o_rl = sqlite3_column_int64(st, 14),
			.o_auth = sqlite3_column_int64(st, 15),
			.o_revoked = sqlite3_column_int64(st, 16),
			.o_reported = sqlite3_column_int64(st, 17),
			.o_samples = store_col_text(st, 18),
			.o_assumed_utc = sqlite3_column_int(st, 19),
		};
		if ((rc = cb(ctx, &g)) != 0)
			break;
	}
	if (rc == 0 && r != SQLITE_DONE)
		rc = store_sqlerr(s, "read the gateway detector state");
	sqlite3_finalize(st);
	return rc;
}

static const char gw_put_sql[] =
    "INSERT OR REPLACE INTO gateway_state(kind,subject,window,n_windows,"
    "req_mean,req_var,out_mean,out_var,o_start,o_first,o_last,o_req,o_in,"
    "o_out,o_rl,o_auth,o_revoked,o_reported,o_samples,updated_at,"
    "o_assumed_utc) VALUES(?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13,?14,"
    "?15,?16,?17,?18,?19,?20,?21)";
static const char gw_del_sql[] =
    "DELETE FROM gateway_state WHERE kind=?1 AND subject=?2";

int
store_gw_state_put(struct store *s, const struct store_gw_state *g)
{
	sqlite3_stmt *st;
	char now[FB_TIME_LEN];
	int rc;

	if (g->o_start == 0 && g->n_windows == 0) {
		if ((rc = store_cached(s, gw_del_sql, &st)) != 0)
			return rc;
		store_bind_text(st, 1, g->kind);
		store_bind_text(st, 2, g->subject);
	} else {
		if ((rc = store_cached(s, gw_put_sql, &st)) != 0)
			return rc;
		fb_time_fmt(fb_time_now(), now);
		store_bind_text(st, 1, g->kind);
		store_bind_text(st, 2, g->subject);
		sqlite3_bind_int64(st, 3, g->window);
		sqlite3_bind_int64(st, 4, g->n_windows);
		sqlite3_bind_double(st, 5, g->req_mean);
		sqlite3_bind_double(st, 6, g->req_var);
		sqlite3_bind_double(st, 7, g->out_mean);
		sqlite3_bind_double(st, 8, g->out_var);
		if (g->o_start != 0) {
			sqlite3_bind_int64(st, 9, g->o_start);
			sqlite3_bind_int64(st, 10, g->o_first);
			sqlite3_bind_int64(st, 11, g->o_last);
		}
		sqlite3_bind_int64(st, 12, g->o_req);
		sqlite3_bind_int64(st, 13, g->o_in);
		sqlite3_bind_int64(st, 14, g->o_out);
		sqlite3_bind_int64(st, 15, g->o_rl);
		sqlite3_bind_int64(st, 16, g->o_auth);
		sqlite3_bind_int64(st, 17, g->o_revoked);
		sqlite3_bind_int64(st, 18, g->o_reported);
		store_bind_text(st, 19, g->o_samples);
		store_bind_text(st, 20, now);
		sqlite3_bind_int(st, 21, g->o_assumed_utc);
	}
	if (sqlite3_step(st) != SQLITE_DONE)
		return store_sqlerr(s, "save the gateway detector state");
	sqlite3_reset(st);
	return 0;
}
