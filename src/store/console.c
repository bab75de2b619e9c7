/*
 * console.c: the reads the console makes, shaped for a screen: keyset
 * pages of findings and audit rows, counts kept on write by the triggers of
 * schema-console.h, bounded counts, one finding's parts. None of them
 * reads more rows than it returns, except where a filter must skip rows.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "filter/filter.h"
#include "store/store-int.h"

int store_fts_sql(const char *words, struct fb_buf *sql, struct store_binds *b);

static int
progress(void *p)
{
	struct store_interrupt *in = p;

	if (in->check(in->ctx)) {
		in->fired = 1;
		return 1;
	}
	return 0;
}

void
store_interrupt_set(struct store *s, struct store_interrupt *in)
{
	if (in != NULL) {
		in->fired = 0;
		sqlite3_progress_handler(s->db, 2000, progress, in);
	} else
		sqlite3_progress_handler(s->db, 0, NULL, NULL);
}

int
store_console_tune(struct store *s)
{
	/* The store opens with a large cache for ingest; a console reads a
	 * screen at a time and should stay small (16 MB). */
	return store_exec(s, "PRAGMA cache_size=-16384");
}

int
store_data_version(struct store *s, int64_t *v)
{
	static const char sql[] = "PRAGMA data_version";
	sqlite3_stmt *st;
	int rc;

	if ((rc = store_cached(s, sql, &st)) != 0)
		return rc;
	if (sqlite3_step(st) != SQLITE_ROW)
		return store_sqlerr(s, "read the data version");
	*v = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	return 0;
}

int
store_finding_counts(struct store *s,
    int (*cb)(void *ctx, int severity, const char *status, int64_t n),
    void *ctx)
{
	static const char sql[] = "SELECT severity, status, n FROM "
	    "finding_counts WHERE n > 0 ORDER BY severity DESC, status";
	sqlite3_stmt *st;
	int rc = 0, r;

	if ((rc = store_cached(s, sql, &st)) != 0)
		return rc;
	while ((r = sqlite3_step(st)) == SQLITE_ROW)
		if ((rc = cb(ctx, sqlite3_column_int(st, 0),
		    (const char *)sqlite3_column_text(st, 1),
		    sqlite3_column_int64(st, 2))) != 0)
			break;
	if (rc == 0 && r != SQLITE_DONE)
		rc = store_sqlerr(s, "read the finding counts");
	sqlite3_reset(st);
	return rc;
}

int
store_finding_hours(struct store *s, const char *since_hour,
    int (*cb)(void *ctx, const char *hour, int64_t n), void *ctx)
{
	/* Findings are new in the hour of the ingest that brought them. */
	static const char sql[] = "SELECT substr(time, 1, 13) AS hour, "
	    "sum(n_new) FROM ingests WHERE time >= ?1 GROUP BY hour "
	    "ORDER BY hour";
	sqlite3_stmt *st;
	int rc = 0, r;

	if ((rc = store_cached(s, sql, &st)) != 0)
		return rc;
	store_bind_text(st, 1, since_hour);
	while ((r = sqlite3_step(st)) == SQLITE_ROW)
		if ((rc = cb(ctx, (const char *)sqlite3_column_text(st, 0),
		    sqlite3_column_int64(st, 1))) != 0)
			break;
	if (rc == 0 && r != SQLITE_DONE)
		rc = store_sqlerr(s, "read findings per hour");
	sqlite3_reset(st);
	return rc;
}

int
store_ingests_recent(struct store *s, int64_t limit,
    int (*cb)(void *ctx, const struct store_ingest_row *r), void *ctx)
{
	static const char sql[] = "SELECT id, time, actor, path, format, "
	    "n_new, n_repeat, n_resolved, n_rejected FROM ingests "
	    "ORDER BY id DESC LIMIT ?1";
	sqlite3_stmt *st;
	int rc = 0, r;

	if ((rc = store_cached(s, sql, &st)) != 0)
		return rc;
	sqlite3_bind_int64(st, 1, limit);
	while ((r = sqlite3_step(st)) == SQLITE_ROW) {
		struct store_ingest_row row = {
			.id = sqlite3_column_int64(st, 0),
			.time = (const char *)sqlite3_column_text(st, 1),
			.actor = (const char *)sqlite3_column_text(st, 2),
			.path = (const char *)sqlite3_column_text(st, 3),
			.format = (const char *)sqlite3_column_text(st, 4),
			.n_new = sqlite3_column_int64(st, 5),
			.n_repeat = sqlite3_column_int64(st, 6),
			.n_resolved = sqlite3_column_int64(st, 7),
			.n_rejected = sqlite3_column_int64(st, 8),
		};
		if ((rc = cb(ctx, &row)) != 0)
			break;
	}
	if (rc == 0 && r != SQLITE_DONE)
		rc = store_sqlerr(s, "read the ingests");
	sqlite3_reset(st);
	return rc;
}

/* ---- findings, a page at a time --------------------------------------- */

static const struct {
	const char *name;
	const char *cols;    /* the key, ending in the id */
} sorts[STORE_SORT__MAX] = {
	/* Newest first within a severity by id, not last_seen: a repeat
	 * moves last_seen, and every index holding it costs each re-ingest. */
	[STORE_SORT_SEVERITY] = { "severity", "f.severity, f.id" },
	[STORE_SORT_LAST_SEEN] = { "last_seen", "f.last_seen, f.id" },
	[STORE_SORT_ID] = { "id", "f.id" },
};

const char *
store_finding_sort_name(enum store_finding_sort k)
{
	return (unsigned)k < STORE_SORT__MAX ? sorts[k].name : "?";
}

static int
add_int(struct store_binds *b, int64_t v)
{
	if (b->n == (int)FB_ARRAY_LEN(b->v))
		return fb_err(FB_ERR_INVAL, "filter too complex");
	b->v[b->n].is_int = 1;
	b->v[b->n].i = v;
	b->v[b->n].s = NULL;
	return ++b->n;
}

static int
add_str(struct store_binds *b, const char *v)
{
	if (b->n == (int)FB_ARRAY_LEN(b->v))
		return fb_err(FB_ERR_INVAL, "filter too complex");
	b->v[b->n].is_int = 0;
	b->v[b->n].i = 0;
	b->v[b->n].s = xstrdup(v != NULL ? v : "");
	return ++b->n;
}

/* " AND <filter> AND NOT suppressed" for q, and the suppressed column. */
static int
where_sql(struct store *s, const struct store_finding_query *q,
    struct fb_buf *where, struct fb_buf *supp_col, struct store_binds *b)
{
	struct fb_buf supp = FB_BUF_INIT;
	int rc;

	if (q == NULL) {
		fb_buf_addstr(supp_col, "0");
		return 0;
	}
	if ((rc = store_filter_sql(q->filter, where, b)) != 0)
		goto out;
	if (q->search != NULL && *q->search != '\0' &&
	    (rc = store_fts_sql(q->search, where, b)) != 0)
		goto out;
	if ((rc = store_suppressed_sql(s, &supp, b)) != 0)
		goto out;
	if (q->all) {
		fb_buf_addstr(supp_col, supp.data);
	} else {
		/* "(0)" when there are no suppressions: nothing to test. */
		if (strcmp(supp.data, "(0)") != 0)
			fb_buf_addf(where, " AND NOT %s", supp.data);
		fb_buf_addstr(supp_col, "0");
	}
out:
	fb_buf_release(&supp);
	return rc;
}

int
store_findings_page(struct store *s, const struct store_finding_page *p,
    store_finding_cb cb, void *ctx)
{
	struct fb_buf sql = FB_BUF_INIT, where = FB_BUF_INIT, col = FB_BUF_INIT;
	struct store_binds b = { .n = 0 };
	sqlite3_stmt *st = NULL;
	enum store_finding_sort k = p->sort < STORE_SORT__MAX ? p->sort :
	    STORE_SORT_SEVERITY;
	int desc = !p->asc != !!p->backward, rc, r;
	const char *dir = desc ? " DESC" : " ASC";

	if ((rc = where_sql(s, p->q, &where, &col, &b)) != 0)
		goto out;
	/*
	 * Keyset: rows after (key, id). SQLite seeks an index on the key
	 * column but not on the rowid after it, so "(key, id) < (?, ?)"
	 * would walk every row sharing the key (one ingest shares one
	 * last_seen; a severity has a fifth of the store). Two arms seek
	 * instead: the same key with the id past ours, then keys past ours.
	 */
	{
		static const char *const keycol[STORE_SORT__MAX] = {
			[STORE_SORT_SEVERITY] = "severity",
			[STORE_SORT_LAST_SEEN] = "last_seen",
			[STORE_SORT_ID] = NULL,
		};
		const char *kc = keycol[k], *lt = desc ? "<" : ">";
		const char *eq = p->inclusive ? "=" : "";
		long long lim = p->limit > 0 ? p->limit : 1;
		struct fb_buf cols = FB_BUF_INIT;
		int na = 0, nb;

		fb_buf_addf(&cols, "f.id AS id,f.count,f.case_id,f.severity AS "
		    "severity,%s AS suppressed,f.status,f.source,f.kind,"
		    "f.rule_id,f.title,f.first_seen,f.last_seen AS last_seen,"
		    "f.event_time,f.fingerprint", col.data);
		if (p->from != NULL && kc != NULL) {
			if (k == STORE_SORT_SEVERITY)
				na = add_int(&b, p->from->severity);
			else
				na = add_str(&b, p->from->last_seen);
		}
		nb = p->from != NULL ? add_int(&b, p->from->id) : 0;
		if (na < 0 || nb < 0) {
			rc = na < 0 ? na : nb;
			fb_buf_release(&cols);
			goto out;
		}
		if (p->from == NULL || kc == NULL) {
			fb_buf_addf(&sql, "SELECT %s FROM findings f WHERE 1%s",
			    cols.data, where.data);
			if (p->from != NULL)
				fb_buf_addf(&sql, " AND f.id %s%s ?%d", lt, eq, nb);
			fb_buf_addstr(&sql, " ORDER BY ");
			if (kc != NULL)
				fb_buf_addf(&sql, "f.%s%s, ", kc, dir);
			fb_buf_addf(&sql, "f.id%s LIMIT %lld", dir, lim);
		} else {
			fb_buf_addf(&sql, "SELECT * FROM (SELECT * FROM ("
			    "SELECT %s FROM findings f WHERE 1%s AND f.%s = ?%d "
			    "AND f.id %s%s ?%d ORDER BY f.id%s LIMIT %lld) "
			    "UNION ALL SELECT * FROM (SELECT %s FROM findings f "
			    "WHERE 1%s AND f.%s %s ?%d ORDER BY f.%s%s, f.id%s "
			    "LIMIT %lld)) ORDER BY %s%s, id%s LIMIT %lld",
			    cols.data, where.data, kc, na, lt, eq, nb, dir, lim,
			    cols.data, where.data, kc, lt, na, kc, dir, dir, lim,
			    kc, dir, dir, lim);
		}
		fb_buf_release(&cols);
	}
	if ((rc = store_prepare(s, sql.data, &st)) != 0)
		goto out;
	store_binds_apply(st, &b, 1);
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
out:
	sqlite3_finalize(st);
	store_binds_release(&b);
	fb_buf_release(&sql);
	fb_buf_release(&where);
	fb_buf_release(&col);
	return rc;
}

int
store_findings_count(struct store *s, const struct store_finding_query *q,
    int64_t cap, int64_t *n)
{
	struct fb_buf sql = FB_BUF_INIT, where = FB_BUF_INIT, col = FB_BUF_INIT;
	struct store_binds b = { .n = 0 };
	sqlite3_stmt *st = NULL;
	int rc;

	if ((rc = where_sql(s, q, &where, &col, &b)) != 0)
		goto out;
	fb_buf_addf(&sql, "SELECT count(*) FROM (SELECT 1 FROM findings f "
	    "WHERE 1%s LIMIT %lld)", where.data, (long long)cap + 1);
	if ((rc = store_prepare(s, sql.data, &st)) != 0)
		goto out;
	store_binds_apply(st, &b, 1);
	if (sqlite3_step(st) == SQLITE_ROW)
		*n = sqlite3_column_int64(st, 0);
	else
		rc = store_sqlerr(s, "count findings");
out:
	sqlite3_finalize(st);
	store_binds_release(&b);
	fb_buf_release(&sql);
	fb_buf_release(&where);
	fb_buf_release(&col);
	return rc;
}

/* ---- one finding -------------------------------------------------------- */

#define COL(i) ((const char *)sqlite3_column_text(st, (i)))

int
store_finding_get(struct store *s, int64_t id,
    int (*cb)(void *ctx, const struct store_finding_full *f), void *ctx)
{
	struct store_finding_query q = { .all = 1 };
	struct fb_buf sql = FB_BUF_INIT, where = FB_BUF_INIT, col = FB_BUF_INIT;
	struct store_binds b = { .n = 0 };
	sqlite3_stmt *st = NULL;
	int rc;

	if ((rc = where_sql(s, &q, &where, &col, &b)) != 0)
		goto out;
	fb_buf_addf(&sql, "SELECT f.id,f.count,f.case_id,f.severity,%s,"
	    "f.status,f.source,f.kind,f.rule_id,f.title,f.first_seen,"
	    "f.last_seen,f.event_time,f.fingerprint,f.status_reason,"
	    "f.status_by,f.status_at,f.scope,f.detail,f.identity,f.raw,"
	    "f.event_time_assumed_utc,f.first_ingest,f.last_ingest "
	    "FROM findings f WHERE f.id = %lld", col.data, (long long)id);
	if ((rc = store_prepare(s, sql.data, &st)) != 0)
		goto out;
	store_binds_apply(st, &b, 1);
	if (sqlite3_step(st) != SQLITE_ROW) {
		rc = fb_err(FB_ERR_NOENT, "no finding %lld", (long long)id);
		goto out;
	}
	{
		struct store_finding_full f = {
			.row = {
				.id = sqlite3_column_int64(st, 0),
				.count = sqlite3_column_int64(st, 1),
				.case_id = sqlite3_column_int64(st, 2),
				.severity = sqlite3_column_int(st, 3),
				.suppressed = sqlite3_column_int(st, 4),
				.status = COL(5), .source = COL(6),
				.kind = COL(7), .rule_id = COL(8),
				.title = COL(9), .first_seen = COL(10),
				.last_seen = COL(11), .event_time = COL(12),
				.fingerprint = COL(13),
			},
			.status_reason = COL(14), .status_by = COL(15),
			.status_at = COL(16), .scope = COL(17),
			.detail = COL(18), .identity = COL(19), .raw = COL(20),
			.event_time_assumed_utc = sqlite3_column_int(st, 21),
			.first_ingest = sqlite3_column_int64(st, 22),
			.last_ingest = sqlite3_column_int64(st, 23),
		};
		rc = cb(ctx, &f);
	}
out:
	sqlite3_finalize(st);
	store_binds_release(&b);
	fb_buf_release(&sql);
	fb_buf_release(&where);
	fb_buf_release(&col);
	return rc;
}

int
store_finding_assets(struct store *s, int64_t id,
    int (*cb)(void *ctx, const char *type, const char *value,
    const char *role), void *ctx)
{
	static const char sql[] = "SELECT a.type, a.value, fa.role FROM "
	    "finding_assets fa JOIN assets a ON a.id = fa.asset WHERE "
	    "fa.finding = ?1 ORDER BY a.type, a.value LIMIT 1000";
	sqlite3_stmt *st;
	int rc = 0, r;

	if ((rc = store_cached(s, sql, &st)) != 0)
		return rc;
	sqlite3_bind_int64(st, 1, id);
	while ((r = sqlite3_step(st)) == SQLITE_ROW)
		if ((rc = cb(ctx, COL(0), COL(1), COL(2))) != 0)
			break;
	if (rc == 0 && r != SQLITE_DONE)
		rc = store_sqlerr(s, "read a finding's assets");
	sqlite3_reset(st);
	return rc;
}

int
store_finding_locations(struct store *s, int64_t id,
    int (*cb)(void *ctx, const char *host, const char *path, int64_t line,
    const char *first_seen, const char *last_seen), void *ctx)
{
	static const char sql[] = "SELECT host, path, line, first_seen, "
	    "last_seen FROM finding_locations WHERE finding = ?1 "
	    "ORDER BY host, path LIMIT 1000";
	sqlite3_stmt *st;
	int rc = 0, r;

	if ((rc = store_cached(s, sql, &st)) != 0)
		return rc;
	sqlite3_bind_int64(st, 1, id);
	while ((r = sqlite3_step(st)) == SQLITE_ROW)
		if ((rc = cb(ctx, COL(0), COL(1), sqlite3_column_int64(st, 2),
		    COL(3), COL(4))) != 0)
			break;
	if (rc == 0 && r != SQLITE_DONE)
		rc = store_sqlerr(s, "read a finding's locations");
	sqlite3_reset(st);
	return rc;
}

/* ---- audit, newest first ------------------------------------------------ */

int
store_audit_page(struct store *s, int64_t from_seq, int backward,
    int inclusive, int64_t limit, store_audit_cb cb, void *ctx)
{
	/* Display order is newest first: forward is towards smaller seq. */
	static const char *const sql[2][2] = {
		{ "SELECT seq,time,actor,actor_kind,action,object,detail,hash "
		  "FROM audit WHERE seq < ?1 ORDER BY seq DESC LIMIT ?2",
		  "SELECT seq,time,actor,actor_kind,action,object,detail,hash "
		  "FROM audit WHERE seq <= ?1 ORDER BY seq DESC LIMIT ?2" },
		{ "SELECT seq,time,actor,actor_kind,action,object,detail,hash "
		  "FROM audit WHERE seq > ?1 ORDER BY seq LIMIT ?2",
		  "SELECT seq,time,actor,actor_kind,action,object,detail,hash "
		  "FROM audit WHERE seq >= ?1 ORDER BY seq LIMIT ?2" },
	};
	sqlite3_stmt *st;
	int rc = 0, r;

	if ((rc = store_cached(s, sql[!!backward][!!inclusive], &st)) != 0)
		return rc;
	if (from_seq <= 0)
		from_seq = backward ? 0 : INT64_MAX;
	sqlite3_bind_int64(st, 1, from_seq);
	sqlite3_bind_int64(st, 2, limit > 0 ? limit : 1);
	while ((r = sqlite3_step(st)) == SQLITE_ROW) {
		struct store_audit_row row = {
			.seq = sqlite3_column_int64(st, 0),
			.time = COL(1), .actor = COL(2), .actor_kind = COL(3),
			.action = COL(4), .object = COL(5), .detail = COL(6),
			.hash = COL(7),
		};
		if ((rc = cb(ctx, &row)) != 0)
			break;
	}
	if (rc == 0 && r != SQLITE_DONE)
		rc = store_sqlerr(s, "read the audit log");
	sqlite3_reset(st);
	return rc;
}
