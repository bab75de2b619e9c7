/*
 * suppress.c: suppressions are filters with a reason, an owner and an
 * optional expiry. They are evaluated when findings are read, never
 * written into a finding's status, so removing or outliving one brings
 * its findings back by itself.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "filter/filter.h"
#include "json/json.h"
#include "store/store-int.h"

#define ACTIVE_SQL "removed IS NULL AND (expires IS NULL OR expires > ?1)"

int
store_suppressed_sql(struct store *s, struct fb_buf *sql,
    struct store_binds *b)
{
	sqlite3_stmt *st;
	char now[FB_TIME_LEN];
	int rc, r;

	fb_buf_addstr(sql, "(0");
	if ((rc = store_prepare(s, "SELECT match FROM suppressions WHERE "
	    ACTIVE_SQL " ORDER BY id", &st)) != 0)
		return rc;
	fb_time_fmt(fb_time_now(), now);
	store_bind_text(st, 1, now);
	while ((r = sqlite3_step(st)) == SQLITE_ROW) {
		struct filter *f = NULL;
		const char *m = (const char *)sqlite3_column_text(st, 0);

		/* A stored match was valid when added; skip it if not now. */
		if (filter_parse(m, &f) != 0)
			continue;
		fb_buf_addstr(sql, " OR (1");
		rc = store_filter_sql(f, sql, b);
		fb_buf_addch(sql, ')');
		filter_free(f);
		if (rc != 0)
			break;
	}
	fb_buf_addch(sql, ')');
	sqlite3_finalize(st);
	fb_err_clear();
	return rc;
}

static char *
obj_name(int64_t id)
{
	return xasprintf("suppression:%lld", (long long)id);
}

int
store_suppress_add(struct store *s, const char *match, const char *reason,
    int64_t expires, int64_t *id)
{
	struct filter *f = NULL;
	sqlite3_stmt *st = NULL;
	struct fb_json *j;
	char now[FB_TIME_LEN], exp[FB_TIME_LEN], *detail, *obj;
	int rc;

	if ((rc = filter_parse(match, &f)) != 0)
		return rc;
	if (f->n == 0) {
		filter_free(f);
		return fb_err(FB_ERR_INVAL, "an empty match would hide every "
		    "finding");
	}
	if ((rc = store_begin(s)) != 0)
		goto out;
	if ((rc = store_prepare(s, "INSERT INTO suppressions(match,reason,"
	    "owner,created,expires) VALUES(?1,?2,?3,?4,?5)", &st)) != 0)
		goto fail;
	fb_time_fmt(fb_time_now(), now);
	store_bind_text(st, 1, f->text);
	store_bind_text(st, 2, reason);
	store_bind_text(st, 3, s->actor.user);
	store_bind_text(st, 4, now);
	if (expires > 0) {
		fb_time_fmt(expires, exp);
		store_bind_text(st, 5, exp);
	}
	if (sqlite3_step(st) != SQLITE_DONE) {
		rc = store_sqlerr(s, "add a suppression");
		goto fail;
	}
	*id = sqlite3_last_insert_rowid(s->db);
	j = fb_json_new();
	fb_json_obj_begin(j);
	fb_json_kstr(j, "match", f->text);
	fb_json_kstr(j, "reason", reason);
	fb_json_kstr(j, "expires", expires > 0 ? exp : NULL);
	fb_json_obj_end(j);
	detail = fb_json_finish(j);
	obj = obj_name(*id);
	rc = store_audit(s, STORE_ACTOR_HUMAN, "suppress.add", obj, detail, NULL);
	free(obj);
	free(detail);
	if (rc != 0)
		goto fail;
	sqlite3_finalize(st);
	filter_free(f);
	return store_commit(s);
fail:
	store_rollback(s);
out:
	sqlite3_finalize(st);
	filter_free(f);
	return rc;
}

int
store_suppress_rm(struct store *s, int64_t id)
{
	sqlite3_stmt *st = NULL;
	char now[FB_TIME_LEN], *obj;
	int rc;

	if ((rc = store_begin(s)) != 0)
		return rc;
	if ((rc = store_prepare(s, "UPDATE suppressions SET removed=?1, "
	    "removed_by=?2 WHERE id=?3 AND removed IS NULL", &st)) != 0)
		goto fail;
	fb_time_fmt(fb_time_now(), now);
	store_bind_text(st, 1, now);
	store_bind_text(st, 2, s->actor.user);
	sqlite3_bind_int64(st, 3, id);
	if (sqlite3_step(st) != SQLITE_DONE) {
		rc = store_sqlerr(s, "remove a suppression");
		goto fail;
	}
	if (sqlite3_changes(s->db) != 1) {
		rc = fb_err(FB_ERR_NOENT, "no suppression %lld", (long long)id);
		goto fail;
	}
	obj = obj_name(id);
	rc = store_audit(s, STORE_ACTOR_HUMAN, "suppress.rm", obj, NULL, NULL);
	free(obj);
	if (rc != 0)
		goto fail;
	sqlite3_finalize(st);
	return store_commit(s);
fail:
	sqlite3_finalize(st);
	store_rollback(s);
	return rc;
}

/* How many findings a suppression hides now (by its own filter). */
static int64_t
count_matching(struct store *s, const char *match)
{
	struct filter *f = NULL;
	struct fb_buf sql = FB_BUF_INIT;
	struct store_binds b = { .n = 0 };
	sqlite3_stmt *st;
	int64_t n = 0;

	if (filter_parse(match, &f) != 0)
		return 0;
	fb_buf_addstr(&sql, "SELECT count(*) FROM findings f WHERE 1");
	if (store_filter_sql(f, &sql, &b) == 0 &&
	    store_prepare(s, sql.data, &st) == 0) {
		store_binds_apply(st, &b, 1);
		if (sqlite3_step(st) == SQLITE_ROW)
			n = sqlite3_column_int64(st, 0);
		sqlite3_finalize(st);
	}
	store_binds_release(&b);
	fb_buf_release(&sql);
	filter_free(f);
	fb_err_clear();
	return n;
}

static const char ls_sql[] =
    "SELECT id,match,reason,owner,created,expires,(" ACTIVE_SQL ") "
    "FROM suppressions WHERE ?2 OR (" ACTIVE_SQL ") ORDER BY id";

int
store_suppress_ls(struct store *s, int all,
    int (*cb)(void *ctx, const struct store_suppression_row *r), void *ctx)
{
	sqlite3_stmt *st;
	char now[FB_TIME_LEN];
	int rc, r;

	if ((rc = store_prepare(s, ls_sql, &st)) != 0)
		return rc;
	fb_time_fmt(fb_time_now(), now);
	store_bind_text(st, 1, now);
	sqlite3_bind_int(st, 2, all);
	while ((r = sqlite3_step(st)) == SQLITE_ROW) {
		struct store_suppression_row row = {
			.id = sqlite3_column_int64(st, 0),
			.match = (const char *)sqlite3_column_text(st, 1),
			.reason = (const char *)sqlite3_column_text(st, 2),
			.owner = (const char *)sqlite3_column_text(st, 3),
			.created = (const char *)sqlite3_column_text(st, 4),
			.expires = (const char *)sqlite3_column_text(st, 5),
			.active = sqlite3_column_int(st, 6),
		};
		row.matching = count_matching(s, row.match);
		if ((rc = cb(ctx, &row)) != 0)
			break;
	}
	if (rc == 0 && r != SQLITE_DONE)
		rc = store_sqlerr(s, "list suppressions");
	sqlite3_finalize(st);
	return rc;
}

struct json_ctx {
	store_json_cb cb;
	void *ctx;
};

static int
row_json(void *vctx, const struct store_suppression_row *r)
{
	struct json_ctx *c = vctx;
	struct fb_json *j = fb_json_new();
	char *line;
	int rc;

	fb_json_obj_begin(j);
	fb_json_kint(j, "id", r->id);
	fb_json_kstr(j, "match", r->match);
	fb_json_kstr(j, "reason", r->reason);
	fb_json_kstr(j, "owner", r->owner);
	fb_json_kstr(j, "created", r->created);
	fb_json_kstr(j, "expires", r->expires);
	fb_json_kbool(j, "active", r->active);
	fb_json_kint(j, "matching", r->matching);
	fb_json_obj_end(j);
	line = fb_json_finish(j);
	rc = c->cb(c->ctx, line);
	free(line);
	return rc;
}

int
store_suppress_ls_json(struct store *s, int all, store_json_cb cb, void *ctx)
{
	struct json_ctx c = { cb, ctx };

	return store_suppress_ls(s, all, row_json, &c);
}
