/* findings.c: ingests, findings, assets, locations, triage. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "filter/filter.h"
#include "json/json.h"
#include "store/cases.h"
#include "store/store-int.h"

int store_fts_sql(const char *words, struct fb_buf *sql, struct store_binds *b);

#define SEV_NAME_SQL(col)                                                   \
	"CASE " col " WHEN 0 THEN 'info' WHEN 1 THEN 'low' WHEN 2 THEN "    \
	"'medium' WHEN 3 THEN 'high' ELSE 'critical' END"

int
store_ingest_find(struct store *s, const char *sha256, int64_t *id)
{
	sqlite3_stmt *st;
	int rc;

	if ((rc = store_prepare(s, "SELECT id FROM ingests WHERE sha256=?1 "
	    "ORDER BY id LIMIT 1", &st)) != 0)
		return rc;
	store_bind_text(st, 1, sha256);
	*id = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
	sqlite3_finalize(st);
	return 0;
}

int
store_ingest_start(struct store *s, const struct store_ingest *in, int64_t *id)
{
	sqlite3_stmt *st;
	char now[FB_TIME_LEN];
	int rc;

	if ((rc = store_prepare(s, "INSERT INTO ingests(time,actor,path,sha256,"
	    "size,format,adapter_version,forced) VALUES(?,?,?,?,?,?,?,?)",
	    &st)) != 0)
		return rc;
	fb_time_fmt(fb_time_now(), now);
	store_bind_text(st, 1, now);
	store_bind_text(st, 2, s->actor.user);
	store_bind_text(st, 3, in->path);
	store_bind_text(st, 4, in->sha256);
	sqlite3_bind_int64(st, 5, (int64_t)in->size);
	store_bind_text(st, 6, in->format);
	store_bind_text(st, 7, in->adapter_version);
	sqlite3_bind_int(st, 8, in->forced);
	if (sqlite3_step(st) != SQLITE_DONE)
		rc = store_sqlerr(s, "record the ingest");
	else
		*id = sqlite3_last_insert_rowid(s->db);
	sqlite3_finalize(st);
	return rc;
}

int
store_ingest_resolve_scope(struct store *s, int64_t ingest_id,
    const char *source, const char *format, const char *scope,
    struct store_ingest_counts *c)
{
	/* Which earlier findings the ingest speaks for: a source's, or
	 * those a format brought (ingest --scope). */
	const char *by = source != NULL ? "source=?3" :
	    "last_ingest IN (SELECT id FROM ingests WHERE format=?3)";
	sqlite3_stmt *st;
	char now[FB_TIME_LEN], *reason, *sql;
	int rc;

	if (scope == NULL || *scope == '\0')
		return 0;
	/* Linked findings the source resolves: on their case's timeline. */
	sql = xasprintf("INSERT INTO case_events(case_id,event_time,"
	    "recorded_time,actor,actor_kind,kind,text,finding) SELECT case_id,"
	    "?2,?2,source,'ingest','finding_status','finding #'||id||' resolved "
	    "by its source (absent from ingest #'||?5||' of the same scope)',id "
	    "FROM findings WHERE %s AND scope=?4 AND last_ingest < ?5 "
	    "AND status IN ('open','acknowledged') AND case_id IS NOT NULL", by);
	rc = store_prepare(s, sql, &st);
	free(sql);
	if (rc != 0)
		return rc;
	fb_time_fmt(fb_time_now(), now);
	store_bind_text(st, 2, now);
	store_bind_text(st, 3, source != NULL ? source : format);
	store_bind_text(st, 4, scope);
	sqlite3_bind_int64(st, 5, ingest_id);
	rc = sqlite3_step(st) == SQLITE_DONE ? 0 :
	    store_sqlerr(s, "record resolutions on case timelines");
	sqlite3_finalize(st);
	if (rc != 0)
		return rc;
	sql = xasprintf("UPDATE findings SET status='resolved', "
	    "status_reason=?1, status_by='source', status_at=?2 WHERE "
	    "%s AND scope=?4 AND last_ingest < ?5 AND status IN "
	    "('open','acknowledged')", by);
	rc = store_prepare(s, sql, &st);
	free(sql);
	if (rc != 0)
		return rc;
	reason = xasprintf("absent from ingest #%lld of the same scope",
	    (long long)ingest_id);
	store_bind_text(st, 1, reason);
	store_bind_text(st, 2, now);
	store_bind_text(st, 3, source != NULL ? source : format);
	store_bind_text(st, 4, scope);
	sqlite3_bind_int64(st, 5, ingest_id);
	if (sqlite3_step(st) != SQLITE_DONE)
		rc = store_sqlerr(s, "resolve findings out of scope");
	else
		c->n_resolved += sqlite3_changes(s->db);
	free(reason);
	sqlite3_finalize(st);
	return rc;
}

int
store_ingest_finish(struct store *s, int64_t ingest_id,
    const struct store_ingest *in, const char *scope,
    const struct store_ingest_counts *c)
{
	sqlite3_stmt *st;
	struct fb_json *j;
	char *detail, obj[32];
	int rc;

	/* Full-text index the findings this ingest created. */
	if ((rc = store_prepare(s, "INSERT INTO findings_fts(rowid,title,detail,"
	    "rule_id,source) SELECT id,title,detail,rule_id,source FROM "
	    "findings WHERE first_ingest=?1", &st)) != 0)
		return rc;
	sqlite3_bind_int64(st, 1, ingest_id);
	if (sqlite3_step(st) != SQLITE_DONE)
		rc = store_sqlerr(s, "index new findings");
	sqlite3_finalize(st);
	if (rc != 0)
		return rc;
	if ((rc = store_prepare(s, "UPDATE ingests SET scope=?1, n_new=?2, "
	    "n_repeat=?3, n_resolved=?4, n_rejected=?5 WHERE id=?6", &st)) != 0)
		return rc;
	store_bind_text(st, 1, scope);
	sqlite3_bind_int64(st, 2, c->n_new);
	sqlite3_bind_int64(st, 3, c->n_repeat);
	sqlite3_bind_int64(st, 4, c->n_resolved);
	sqlite3_bind_int64(st, 5, c->n_rejected);
	sqlite3_bind_int64(st, 6, ingest_id);
	if (sqlite3_step(st) != SQLITE_DONE)
		rc = store_sqlerr(s, "record the ingest counts");
	sqlite3_finalize(st);
	if (rc != 0)
		return rc;
	j = fb_json_new();
	fb_json_obj_begin(j);
	fb_json_kstr(j, "path", in->path);
	fb_json_kstr(j, "sha256", in->sha256);
	fb_json_kint(j, "size", (int64_t)in->size);
	fb_json_kstr(j, "format", in->format);
	fb_json_kstr(j, "adapter_version", in->adapter_version);
	fb_json_kstr(j, "scope", scope);
	fb_json_kbool(j, "forced", in->forced);
	fb_json_kint(j, "new", c->n_new);
	fb_json_kint(j, "repeat", c->n_repeat);
	fb_json_kint(j, "resolved", c->n_resolved);
	fb_json_kint(j, "rejected", c->n_rejected);
	fb_json_obj_end(j);
	detail = fb_json_finish(j);
	snprintf(obj, sizeof(obj), "ingest:%lld", (long long)ingest_id);
	rc = store_audit(s, STORE_ACTOR_INGEST, "ingest", obj, detail, NULL);
	free(detail);
	return rc;
}

static const char put_sql[] =
    "INSERT INTO findings(fingerprint,identity,source,kind,rule_id,title,"
    "detail,severity,event_time,event_time_assumed_utc,first_seen,"
    "last_seen,status,status_reason,status_by,status_at,scope,first_ingest,"
    "last_ingest,raw) VALUES(?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?11,"
    "coalesce(?12,'open'),CASE WHEN ?12 IS NULL THEN NULL ELSE "
    "'set by the source' END,CASE WHEN ?12 IS NULL THEN NULL ELSE 'source' "
    "END,CASE WHEN ?12 IS NULL THEN NULL ELSE ?11 END,?13,?14,?14,?15) "
    "ON CONFLICT(fingerprint) DO UPDATE SET count=count+?16,"
    "last_seen=excluded.last_seen,last_ingest=excluded.last_ingest,"
    "title=excluded.title,detail=excluded.detail,"
    "severity=excluded.severity,rule_id=excluded.rule_id,"
    "event_time=coalesce(excluded.event_time,event_time),"
    "event_time_assumed_utc=CASE WHEN excluded.event_time IS NULL THEN "
    "event_time_assumed_utc ELSE excluded.event_time_assumed_utc END,"
    "scope=coalesce(excluded.scope,scope),raw=excluded.raw,"
    /*
     * A status the source states (a resolved alert, a SARIF suppression)
     * replaces one that is open or was set by the source, never a human's
     * triage, except that acknowledgement lives as long as the alert: a
     * source that resolves an acknowledged finding resolves it. A finding
     * seen again after it was resolved is open (new) again, and so is one
     * whose status the source set and no longer states (a SARIF
     * suppression or a VEX statement taken back).
     */
#define SOURCE_SETS "(?12 IS NOT NULL AND ?12<>status AND (status='open' " \
    "OR status_by='source' OR (?12='resolved' AND status='acknowledged') " \
    "OR (?12='open' AND status='resolved' AND " \
    "last_ingest<>excluded.last_ingest)))"
#define SEEN_AGAIN "(?12 IS NULL AND (status='resolved' OR " \
    "(status_by='source' AND status<>'open')) AND " \
    "last_ingest<>excluded.last_ingest)"
    "status=CASE WHEN " SOURCE_SETS " THEN ?12 "
    "WHEN " SEEN_AGAIN " THEN 'open' ELSE status END,"
    "status_reason=CASE WHEN " SOURCE_SETS " THEN CASE WHEN ?12='resolved' "
    "THEN 'resolved by the source in ingest #'||excluded.last_ingest "
    "WHEN ?12='open' AND status='resolved' THEN 'seen again in ingest #'||"
    "excluded.last_ingest "
    "ELSE 'set by the source in ingest #'||excluded.last_ingest END "
    "WHEN " SEEN_AGAIN " THEN 'seen again in ingest #'||"
    "excluded.last_ingest ELSE status_reason END,"
    "status_by=CASE WHEN " SOURCE_SETS " OR " SEEN_AGAIN " THEN 'source' "
    "ELSE status_by END,"
    "status_at=CASE WHEN " SOURCE_SETS " OR " SEEN_AGAIN " THEN ?11 "
    "ELSE status_at END "
    "RETURNING id, first_ingest=?14 AND count=1, coalesce(case_id,0), "
    "CASE WHEN status_by='source' AND status_at=?11 THEN CASE "
    "WHEN status='open' AND status_reason='seen again in ingest #'||?14 "
    "THEN 1 WHEN status='resolved' AND status_reason='resolved by the "
    "source in ingest #'||?14 THEN 2 END ELSE 0 END";
#undef SOURCE_SETS
#undef SEEN_AGAIN

/*
 * A linked finding whose source changed its life (resolved it, or fired
 * again after resolving it) is on its case's timeline, once per ingest.
 */
static int
lifecycle_event(struct store *s, int64_t case_id, int64_t fid,
    int64_t ingest_id, int what, const char *source, const char *event_time)
{
	struct store_case_event_in ev = {
		.case_id = case_id, .kind = STORE_EV_FINDING_STATUS,
		.event_time = STORE_TIME_UNSET,
		.actor_kind = STORE_ACTOR_INGEST, .actor = source,
		.finding = fid,
	};
	sqlite3_stmt *st;
	char *text;
	int64_t t;
	int rc, seen;

	if (what == 1)
		text = xasprintf("finding #%lld fired again (ingest #%lld) "
		    "after its source resolved it: open again, an earlier "
		    "acknowledgement no longer applies", (long long)fid,
		    (long long)ingest_id);
	else
		text = xasprintf("finding #%lld resolved by its source (ingest "
		    "#%lld)", (long long)fid, (long long)ingest_id);
	if ((rc = store_prepare(s, "SELECT 1 FROM case_events WHERE "
	    "finding=?1 AND kind='finding_status' AND text=?2", &st)) != 0)
		goto out;
	sqlite3_bind_int64(st, 1, fid);
	store_bind_text(st, 2, text);
	seen = sqlite3_step(st) == SQLITE_ROW;
	sqlite3_finalize(st);
	if (seen)
		goto out;
	if (what == 1 && event_time != NULL &&
	    fb_time_parse(event_time, &t, NULL) == 0)
		ev.event_time = t;
	ev.text = text;
	rc = store_case_event_add_tx(s, &ev, NULL);
out:
	free(text);
	return rc;
}

static const char asset_sql[] =
    "INSERT INTO assets(type,value,attributes) VALUES(?1,?2,?3) "
    "ON CONFLICT(type,value) DO UPDATE SET attributes=coalesce("
    "excluded.attributes,attributes) RETURNING id";

/*
 * Reports name the same few hosts and images thousands of times: remember
 * asset ids for the transaction (the cache is emptied at every begin and
 * rollback, so an id never outlives the rows it names).
 */
static uint64_t
asset_hash(const char *type, const char *value)
{
	uint64_t h = 1469598103934665603ULL;
	const unsigned char *p;

	for (p = (const unsigned char *)type; *p; p++)
		h = (h ^ *p) * 1099511628211ULL;
	h = (h ^ 0xff) * 1099511628211ULL;
	for (p = (const unsigned char *)value; *p; p++)
		h = (h ^ *p) * 1099511628211ULL;
	return h;
}

static int64_t
asset_cache_get(struct store *s, const char *type, const char *value)
{
	uint64_t h = asset_hash(type, value);
	struct store_asset_slot *e = &s->assets[h % STORE_ASSET_CACHE];

	if (e->id != 0 && e->hash == h && strcmp(e->type, type) == 0 &&
	    strcmp(e->value, value) == 0)
		return e->id;
	return 0;
}

static void
asset_cache_put(struct store *s, const char *type, const char *value,
    int64_t id)
{
	uint64_t h = asset_hash(type, value);
	struct store_asset_slot *e = &s->assets[h % STORE_ASSET_CACHE];

	free(e->type);
	free(e->value);
	e->type = xstrdup(type);
	e->value = xstrdup(value);
	e->hash = h;
	e->id = id;
}

void
store_asset_cache_clear(struct store *s)
{
	size_t i;

	for (i = 0; i < STORE_ASSET_CACHE; i++) {
		free(s->assets[i].type);
		free(s->assets[i].value);
	}
	memset(s->assets, 0, sizeof(s->assets));
}
int
store_asset_put(struct store *s, const struct store_asset_in *a, int64_t *id)
{
	sqlite3_stmt *st;
	int64_t aid = a->attributes ? 0 : asset_cache_get(s, a->type, a->value);
	int rc;

	if (aid == 0) {
		if ((rc = store_cached(s, asset_sql, &st)) != 0)
			return rc;
		store_bind_text(st, 1, a->type);
		store_bind_text(st, 2, a->value);
		store_bind_text(st, 3, a->attributes);
		if (sqlite3_step(st) != SQLITE_ROW)
			return store_sqlerr(s, "store an asset");
		aid = sqlite3_column_int64(st, 0);
		sqlite3_reset(st);
		asset_cache_put(s, a->type, a->value, aid);
	}
	*id = aid;
	return 0;
}

static const char link_sql[] =
    "INSERT OR IGNORE INTO finding_assets(finding,asset,role) "
    "VALUES(?1,?2,?3)";
static const char loc_sql[] =
    "INSERT INTO finding_locations(finding,host,path,line,first_seen,"
    "last_seen) VALUES(?1,?2,?3,?4,?5,?5) ON CONFLICT(finding,host,path) "
    "DO UPDATE SET last_seen=excluded.last_seen,"
    "line=coalesce(excluded.line,line)";

int
store_finding_put(struct store *s, int64_t ingest_id,
    const struct store_finding_in *f, int *is_new)
{
	sqlite3_stmt *st;
	char now[FB_TIME_LEN];
	int64_t fid;
	size_t i;
	int rc;

	fb_time_fmt(fb_time_now(), now);
	if ((rc = store_cached(s, put_sql, &st)) != 0)
		return rc;
	store_bind_text(st, 1, f->fingerprint);
	store_bind_text(st, 2, f->identity);
	store_bind_text(st, 3, f->source);
	store_bind_text(st, 4, f->kind);
	store_bind_text(st, 5, f->rule_id);
	store_bind_text(st, 6, f->title);
	store_bind_text(st, 7, f->detail);
	sqlite3_bind_int(st, 8, f->severity);
	store_bind_text(st, 9, f->event_time);
	sqlite3_bind_int(st, 10, f->event_time_assumed_utc);
	store_bind_text(st, 11, now);
	store_bind_text(st, 12, f->status);
	store_bind_text(st, 13, f->scope);
	sqlite3_bind_int64(st, 14, ingest_id);
	store_bind_text(st, 15, f->raw);
	sqlite3_bind_int(st, 16, f->same_sighting ? 0 : 1);
	if (sqlite3_step(st) != SQLITE_ROW)
		return store_sqlerr(s, "store a finding");
	fid = sqlite3_column_int64(st, 0);
	*is_new = sqlite3_column_int(st, 1);
	if (sqlite3_column_int64(st, 2) != 0 && sqlite3_column_int(st, 3) != 0) {
		int64_t case_id = sqlite3_column_int64(st, 2);
		int what = sqlite3_column_int(st, 3);

		sqlite3_reset(st);
		if ((rc = lifecycle_event(s, case_id, fid, ingest_id, what,
		    f->source, f->event_time)) != 0)
			return rc;
	}
	sqlite3_reset(st);

	for (i = 0; i < f->nassets; i++) {
		const struct store_asset_in *a = &f->assets[i];
		int64_t aid;

		if ((rc = store_asset_put(s, a, &aid)) != 0)
			return rc;
		if ((rc = store_cached(s, link_sql, &st)) != 0)
			return rc;
		sqlite3_bind_int64(st, 1, fid);
		sqlite3_bind_int64(st, 2, aid);
		store_bind_text(st, 3, a->role ? a->role : "");
		if (sqlite3_step(st) != SQLITE_DONE)
			return store_sqlerr(s, "link an asset");
		sqlite3_reset(st);
	}
	for (i = 0; i < f->nlocations; i++) {
		const struct store_location_in *l = &f->locations[i];

		if ((rc = store_cached(s, loc_sql, &st)) != 0)
			return rc;
		sqlite3_bind_int64(st, 1, fid);
		store_bind_text(st, 2, l->host ? l->host : "");
		store_bind_text(st, 3, l->path ? l->path : "");
		if (l->line > 0)
			sqlite3_bind_int64(st, 4, l->line);
		store_bind_text(st, 5, now);
		if (sqlite3_step(st) != SQLITE_DONE)
			return store_sqlerr(s, "store a location");
		sqlite3_reset(st);
	}
	return 0;
}

/* Build "SELECT <cols> FROM findings f WHERE 1 <filter> ..." for a query. */
static int
query_sql(struct store *s, const struct store_finding_query *q,
    const char *cols, struct fb_buf *sql, struct store_binds *b)
{
	struct fb_buf supp = FB_BUF_INIT;
	int rc;

	if ((rc = store_suppressed_sql(s, &supp, b)) != 0)
		goto out;
	fb_buf_addf(sql, "SELECT %s FROM (SELECT f.*, %s AS suppressed FROM "
	    "findings f) f WHERE 1", cols, supp.data);
	if ((rc = store_filter_sql(q->filter, sql, b)) != 0)
		goto out;
	if (q->search != NULL && (rc = store_fts_sql(q->search, sql, b)) != 0)
		goto out;
	if (!q->all)
		fb_buf_addstr(sql, " AND NOT f.suppressed");
	if (q->nids > 0) {
		size_t i;
		fb_buf_addstr(sql, " AND f.id IN (");
		for (i = 0; i < q->nids && i < 10000; i++)
			fb_buf_addf(sql, "%s%lld", i ? "," : "",
			    (long long)q->ids[i]);
		fb_buf_addch(sql, ')');
	}
	fb_buf_addstr(sql, " ORDER BY f.severity DESC, f.last_seen DESC, f.id DESC");
	if (q->limit > 0)
		fb_buf_addf(sql, " LIMIT %lld", (long long)q->limit);
out:
	fb_buf_release(&supp);
	return rc;
}

static int
run_query(struct store *s, const struct store_finding_query *q,
    const char *cols, sqlite3_stmt **st)
{
	struct fb_buf sql = FB_BUF_INIT;
	struct store_binds b = { .n = 0 };
	int rc;

	if ((rc = query_sql(s, q, cols, &sql, &b)) == 0 &&
	    (rc = store_prepare(s, sql.data, st)) == 0)
		store_binds_apply(*st, &b, 1);
	store_binds_release(&b);
	fb_buf_release(&sql);
	return rc;
}

int
store_findings_ls(struct store *s, const struct store_finding_query *q,
    store_finding_cb cb, void *ctx)
{
	sqlite3_stmt *st;
	int rc, r;

	if ((rc = run_query(s, q, "f.id,f.count,f.case_id,f.severity,"
	    "f.suppressed,f.status,f.source,f.kind,f.rule_id,f.title,"
	    "f.first_seen,f.last_seen,f.event_time,f.fingerprint", &st)) != 0)
		return rc;
	while ((r = sqlite3_step(st)) == SQLITE_ROW) {
		struct store_finding_row row = {
			.id = sqlite3_column_int64(st, 0),
			.count = sqlite3_column_int64(st, 1),
			.case_id = sqlite3_column_int64(st, 2),
			.severity = sqlite3_column_int(st, 3),
			.suppressed = sqlite3_column_int(st, 4),
			.status = (const char *)sqlite3_column_text(st, 5),
			.source = (const char *)sqlite3_column_text(st, 6),
			.kind = (const char *)sqlite3_column_text(st, 7),
			.rule_id = (const char *)sqlite3_column_text(st, 8),
			.title = (const char *)sqlite3_column_text(st, 9),
			.first_seen = (const char *)sqlite3_column_text(st, 10),
			.last_seen = (const char *)sqlite3_column_text(st, 11),
			.event_time = (const char *)sqlite3_column_text(st, 12),
			.fingerprint = (const char *)sqlite3_column_text(st, 13),
		};
		if ((rc = cb(ctx, &row)) != 0)
			break;
	}
	if (rc == 0 && r != SQLITE_DONE)
		rc = store_sqlerr(s, "list findings");
	sqlite3_finalize(st);
	return rc;
}

#define FINDING_JSON_COLS                                                   \
	"'id',f.id,'fingerprint',f.fingerprint,'source',f.source,"          \
	"'kind',f.kind,'rule_id',f.rule_id,'title',f.title,"                \
	"'severity'," SEV_NAME_SQL("f.severity") ",'status',f.status,"     \
	"'status_reason',f.status_reason,'suppressed',"                     \
	"json(CASE WHEN f.suppressed THEN 'true' ELSE 'false' END),"       \
	"'count',f.count,'event_time',f.event_time,"                        \
	"'event_time_assumed_utc',json(CASE WHEN f.event_time_assumed_utc " \
	"THEN 'true' ELSE 'false' END),'first_seen',f.first_seen,"          \
	"'last_seen',f.last_seen,'case',f.case_id,'scope',f.scope,"          \
	"'assets',(SELECT json_group_array(json_object('type',a.type,"      \
	"'value',a.value,'role',fa.role)) FROM finding_assets fa JOIN "     \
	"assets a ON a.id=fa.asset WHERE fa.finding=f.id)"

int
store_findings_ls_json(struct store *s, const struct store_finding_query *q,
    store_json_cb cb, void *ctx)
{
	sqlite3_stmt *st;
	int rc;

	if ((rc = run_query(s, q, "json_object(" FINDING_JSON_COLS ")",
	    &st)) != 0)
		return rc;
	rc = store_json_rows(s, st, cb, ctx);
	sqlite3_finalize(st);
	return rc;
}

int
store_finding_show_json(struct store *s, int64_t id, char **json)
{
	struct store_finding_query q = { .all = 1, .ids = &id, .nids = 1 };
	sqlite3_stmt *st;
	int rc;

	if ((rc = run_query(s, &q, "json_object(" FINDING_JSON_COLS ","
	    "'detail',f.detail,'identity',json(f.identity),"
	    "'first_ingest',f.first_ingest,'last_ingest',f.last_ingest,"
	    "'locations',(SELECT json_group_array(json_object('host',"
	    "nullif(l.host,''),'path',nullif(l.path,''),'line',l.line,"
	    "'first_seen',l.first_seen,'last_seen',l.last_seen)) FROM "
	    "finding_locations l WHERE l.finding=f.id),"
	    "'raw',json(f.raw))", &st)) != 0)
		return rc;
	if (sqlite3_step(st) == SQLITE_ROW)
		*json = xstrdup((const char *)sqlite3_column_text(st, 0));
	else
		rc = fb_err(FB_ERR_NOENT, "no finding %lld", (long long)id);
	sqlite3_finalize(st);
	return rc;
}

/* Triage of a linked finding is an analyst action on its case. */
static int
triage_event(struct store *s, int64_t fid, const char *status,
    const char *reason)
{
	struct store_case_event_in ev = {
		.kind = STORE_EV_FINDING_STATUS, .event_time = STORE_TIME_UNSET,
		.actor_kind = STORE_ACTOR_HUMAN, .finding = fid,
	};
	sqlite3_stmt *st;
	int rc;

	if ((rc = store_prepare(s, "SELECT coalesce(case_id,0) FROM findings "
	    "WHERE id=?1", &st)) != 0)
		return rc;
	sqlite3_bind_int64(st, 1, fid);
	if (sqlite3_step(st) == SQLITE_ROW)
		ev.case_id = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	if (ev.case_id == 0)
		return 0;
	ev.text = xasprintf("finding #%lld marked %s%s%s", (long long)fid,
	    status, reason ? ": " : "", reason ? reason : "");
	rc = store_case_event_add_tx(s, &ev, NULL);
	free((char *)ev.text);
	return rc;
}

int
store_finding_status(struct store *s, const char *fingerprint, char *out,
    size_t outlen)
{
	sqlite3_stmt *st;
	int rc;

	if ((rc = store_cached(s, "SELECT status FROM findings WHERE "
	    "fingerprint=?1", &st)) != 0)
		return rc;
	store_bind_text(st, 1, fingerprint);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		snprintf(out, outlen, "%s", (const char *)sqlite3_column_text(st, 0));
	else if (rc == SQLITE_DONE)
		snprintf(out, outlen, "%s", "");
	sqlite3_reset(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return store_sqlerr(s, "read a finding's status");
	return 0;
}

int
store_findings_set_status(struct store *s, const int64_t *ids, size_t n,
    const char *status, const char *reason)
{
	sqlite3_stmt *st = NULL;
	struct fb_json *j;
	char now[FB_TIME_LEN], *detail;
	size_t i;
	int rc;

	if ((rc = store_begin(s)) != 0)
		return rc;
	if ((rc = store_prepare(s, "UPDATE findings SET status=?1, "
	    "status_reason=?2, status_by=?3, status_at=?4 WHERE id=?5", &st)) != 0)
		goto fail;
	fb_time_fmt(fb_time_now(), now);
	for (i = 0; i < n; i++) {
		sqlite3_reset(st);
		store_bind_text(st, 1, status);
		store_bind_text(st, 2, reason);
		store_bind_text(st, 3, s->actor.user);
		store_bind_text(st, 4, now);
		sqlite3_bind_int64(st, 5, ids[i]);
		if (sqlite3_step(st) != SQLITE_DONE) {
			rc = store_sqlerr(s, "change a finding's status");
			goto fail;
		}
		if (sqlite3_changes(s->db) != 1) {
			rc = fb_err(FB_ERR_NOENT, "no finding %lld: nothing "
			    "changed", (long long)ids[i]);
			goto fail;
		}
		if ((rc = triage_event(s, ids[i], status, reason)) != 0)
			goto fail;
	}
	j = fb_json_new();
	fb_json_obj_begin(j);
	fb_json_kstr(j, "status", status);
	fb_json_kstr(j, "reason", reason);
	fb_json_key(j, "findings");
	fb_json_arr_begin(j);
	for (i = 0; i < n; i++)
		fb_json_int(j, ids[i]);
	fb_json_arr_end(j);
	fb_json_obj_end(j);
	detail = fb_json_finish(j);
	{
		char obj[48];
		if (n == 1)
			snprintf(obj, sizeof(obj), "finding:%lld", (long long)ids[0]);
		else
			snprintf(obj, sizeof(obj), "findings:%zu", n);
		rc = store_audit(s, STORE_ACTOR_HUMAN, "finding.status", obj,
		    detail, NULL);
	}
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
