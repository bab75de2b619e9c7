/* filter.c: a parsed filter (filter.h) as an SQL condition on findings f. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "filter/filter.h"
#include "store/store-int.h"

static int
bind_str(struct store_binds *b, const char *v)
{
	if (b->n == (int)FB_ARRAY_LEN(b->v))
		return fb_err(FB_ERR_INVAL, "filter too complex");
	b->v[b->n].is_int = 0;
	b->v[b->n].s = xstrdup(v);
	return ++b->n;
}

static int
bind_int(struct store_binds *b, int64_t v)
{
	if (b->n == (int)FB_ARRAY_LEN(b->v))
		return fb_err(FB_ERR_INVAL, "filter too complex");
	b->v[b->n].is_int = 1;
	b->v[b->n].i = v;
	b->v[b->n].s = NULL;
	return ++b->n;
}

void
store_binds_apply(sqlite3_stmt *st, const struct store_binds *b, int first)
{
	int i;

	for (i = 0; i < b->n; i++) {
		if (b->v[i].is_int)
			sqlite3_bind_int64(st, first + i, b->v[i].i);
		else
			sqlite3_bind_text(st, first + i, b->v[i].s, -1,
			    SQLITE_TRANSIENT);
	}
}

void
store_binds_release(struct store_binds *b)
{
	int i;

	for (i = 0; i < b->n; i++)
		free(b->v[i].s);
	b->n = 0;
}

static const char *
op_sql(enum filter_op op)
{
	switch (op) {
	case FILTER_EQ: return "=";
	case FILTER_NE: return "<>";
	case FILTER_GE: return ">=";
	case FILTER_LE: return "<=";
	case FILTER_GT: return ">";
	case FILTER_LT: return "<";
	}
	return "=";
}

/* A text column compared case-insensitively, with globs. */
static int
text_term(const struct filter_term *t, const char *col, struct fb_buf *sql,
    struct store_binds *b)
{
	int n;

	if (t->glob) {
		char *lower = xstrdup(t->value);
		for (char *p = lower; *p; p++)
			if (*p >= 'A' && *p <= 'Z')
				*p = (char)(*p - 'A' + 'a');
		n = bind_str(b, lower);
		free(lower);
		if (n < 0)
			return n;
		fb_buf_addf(sql, "%s(lower(coalesce(%s,'')) GLOB ?%d)",
		    t->op == FILTER_NE ? "NOT " : "", col, n);
	} else {
		if ((n = bind_str(b, t->value)) < 0)
			return n;
		fb_buf_addf(sql, "(coalesce(%s,'') %s ?%d COLLATE NOCASE)", col,
		    op_sql(t->op), n);
	}
	return 0;
}

/* An FTS5 query from plain words: each word a quoted string (prefix if *). */
static void
fts_query(const char *words, struct fb_buf *q)
{
	const char *p = words;

	while (*p != '\0') {
		size_t n;

		while (*p == ' ' || *p == '\t')
			p++;
		n = strcspn(p, " \t");
		if (n == 0)
			break;
		if (q->len)
			fb_buf_addch(q, ' ');
		fb_buf_addch(q, '"');
		for (size_t i = 0; i < n; i++) {
			if (p[i] == '*' && i == n - 1)
				break;
			if (p[i] == '"')
				fb_buf_addch(q, '"');
			fb_buf_addch(q, p[i]);
		}
		fb_buf_addch(q, '"');
		if (p[n - 1] == '*')
			fb_buf_addch(q, '*');
		p += n;
	}
}

int
store_fts_sql(const char *words, struct fb_buf *sql, struct store_binds *b);
int
store_fts_sql(const char *words, struct fb_buf *sql, struct store_binds *b)
{
	struct fb_buf q = FB_BUF_INIT;
	int n;

	fts_query(words, &q);
	if (q.len == 0) {
		fb_buf_release(&q);
		return 0;
	}
	n = bind_str(b, q.data);
	fb_buf_release(&q);
	if (n < 0)
		return n;
	fb_buf_addf(sql, " AND f.id IN (SELECT rowid FROM findings_fts WHERE "
	    "findings_fts MATCH ?%d)", n);
	return 0;
}

int
store_filter_sql(const struct filter *f, struct fb_buf *sql,
    struct store_binds *b)
{
	size_t i;
	int rc = 0, n;

	if (f == NULL)
		return 0;
	for (i = 0; i < f->n && rc == 0; i++) {
		const struct filter_term *t = &f->terms[i];
		char when[FB_TIME_LEN];

		switch (t->field) {
		case FILTER_F_TEXT:
			rc = store_fts_sql(t->value, sql, b);
			continue;
		default:
			break;
		}
		fb_buf_addstr(sql, " AND ");
		switch (t->field) {
		case FILTER_F_ID:
		case FILTER_F_SEVERITY:
		case FILTER_F_CASE:
			if ((n = bind_int(b, t->num)) < 0)
				return n;
			fb_buf_addf(sql, "(coalesce(f.%s,-1) %s ?%d)",
			    t->field == FILTER_F_ID ? "id" :
			    t->field == FILTER_F_CASE ? "case_id" : "severity",
			    op_sql(t->op), n);
			break;
		case FILTER_F_STATUS: rc = text_term(t, "f.status", sql, b); break;
		case FILTER_F_SOURCE: rc = text_term(t, "f.source", sql, b); break;
		case FILTER_F_KIND: rc = text_term(t, "f.kind", sql, b); break;
		case FILTER_F_RULE: rc = text_term(t, "f.rule_id", sql, b); break;
		case FILTER_F_TITLE: rc = text_term(t, "f.title", sql, b); break;
		case FILTER_F_SCOPE: rc = text_term(t, "f.scope", sql, b); break;
		case FILTER_F_FINGERPRINT:
			if ((n = bind_str(b, t->value)) < 0)
				return n;
			fb_buf_addf(sql, "(f.fingerprint %s ?%d || '*')",
			    t->op == FILTER_NE ? "NOT GLOB" : "GLOB", n);
			break;
		case FILTER_F_SINCE:
		case FILTER_F_UNTIL:
			fb_time_fmt(t->num, when);
			if ((n = bind_str(b, when)) < 0)
				return n;
			fb_buf_addf(sql, "(f.last_seen %s ?%d)",
			    t->field == FILTER_F_SINCE ? ">=" : "<=", n);
			break;
		case FILTER_F_ASSET: {
			int nt, nv;

			if ((nt = bind_str(b, t->asset_type)) < 0 ||
			    (nv = bind_str(b, t->value)) < 0)
				return -FB_ERR_INVAL;
			/* Globs match; a plain value matches exactly or as a
			 * prefix, so abbreviated hashes work. */
			fb_buf_addf(sql, "EXISTS (SELECT 1 FROM finding_assets "
			    "fa JOIN assets a ON a.id = fa.asset WHERE "
			    "fa.finding = f.id AND a.type = ?%d AND ", nt);
			if (t->glob)
				fb_buf_addf(sql, "a.value GLOB ?%d)", nv);
			else
				fb_buf_addf(sql, "(a.value = ?%d OR (length(?%d) "
				    ">= 6 AND substr(a.value, 1, length(?%d)) = "
				    "?%d)))", nv, nv, nv, nv);
			break;
		}
		case FILTER_F_TEXT:
			break;
		}
	}
	return rc;
}
