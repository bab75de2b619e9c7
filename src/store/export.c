/*
 * export.c: a case as it stood at time T, for evidence bundles (see
 * export.h), and the JSON toolbox that reads bundles offline. Times are
 * compared as RFC 3339 UTC text, which orders like the times themselves.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "store/export.h"
#include "store/store-int.h"

#define ZERO_HASH "0000000000000000000000000000000000000000000000000000000000000000"

/* The audit row as audit.c publishes it (keep in step with PUBLIC_COLS). */
#define AUDIT_PUBLIC_COLS                                                   \
	"'action',action,'actor',actor,'actor_kind',actor_kind,"            \
	"'detail',detail,'hash',hash,'object',object,'prev_hash',prev_hash,"\
	"'seq',seq,'ssh_connection',ssh_connection,'sudo_user',sudo_user,"  \
	"'time',time"
/* The custody row as evidence.c publishes it. */
#define CUSTODY_PUBLIC_COLS                                                 \
	"'action',action,'actor',actor,'actor_kind',actor_kind,"            \
	"'evidence',evidence,'hash',hash,'holder',holder,'note',note,"      \
	"'prev_hash',prev_hash,'seq',seq,'sha256',sha256,'time',time"

/* An audit row belongs to case ?1: its own, its evidence's, or naming it. */
#define AUDIT_OF_CASE                                                       \
	"(object='case:'||?1 OR (object LIKE 'evidence:%' AND "              \
	"CAST(substr(object,10) AS INTEGER) IN (SELECT id FROM evidence "     \
	"WHERE case_id=?1)) OR (json_valid(detail) AND "                      \
	"json_type(detail)='object' AND (json_extract(detail,'$.case')=?1 OR " \
	"json_extract(detail,'$.into')=?1 OR json_extract(detail,'$.from')=?1)))"

static void
bind_as_of(sqlite3_stmt *st, int i, int64_t as_of)
{
	char t[FB_TIME_LEN];

	fb_time_fmt(as_of, t);
	store_bind_text(st, i, t);
}

int
store_export_case_json(struct store *s, int64_t id, int64_t as_of,
    char **json)
{
	sqlite3_stmt *st;
	int rc;

	/*
	 * Status and owner as of T come from the case's audit rows: the last
	 * case.status / case.assign at or before T.
	 */
	if ((rc = store_prepare(s, "SELECT json_object('id',c.id,"
	    "'title',c.title,'severity',CASE c.severity WHEN 0 THEN 'info' "
	    "WHEN 1 THEN 'low' WHEN 2 THEN 'medium' WHEN 3 THEN 'high' ELSE "
	    "'critical' END,'status',coalesce((SELECT json_extract(detail,"
	    "'$.to') FROM audit WHERE object='case:'||c.id AND "
	    "action='case.status' AND time<=?2 AND json_valid(detail) ORDER BY "
	    "seq DESC LIMIT 1),'open'),'owner',(SELECT json_extract(detail,"
	    "'$.owner') FROM audit WHERE object='case:'||c.id AND "
	    "action='case.assign' AND time<=?2 AND json_valid(detail) ORDER BY "
	    "seq DESC LIMIT 1),'opened',c.opened_at,'opened_by',c.opened_by,"
	    "'first_action',CASE WHEN c.first_action_at<=?2 THEN "
	    "c.first_action_at END,'contained',CASE WHEN c.contained_at<=?2 "
	    "THEN c.contained_at END,'eradicated',CASE WHEN "
	    "c.eradicated_at<=?2 THEN c.eradicated_at END,'recovered',CASE "
	    "WHEN c.recovered_at<=?2 THEN c.recovered_at END,'closed',CASE "
	    "WHEN c.closed_at<=?2 THEN c.closed_at END) FROM cases c WHERE "
	    "c.id=?1 AND c.opened_at<=?2", &st)) != 0)
		return rc;
	sqlite3_bind_int64(st, 1, id);
	bind_as_of(st, 2, as_of);
	switch (sqlite3_step(st)) {
	case SQLITE_ROW:
		*json = xstrdup((const char *)sqlite3_column_text(st, 0));
		rc = 0;
		break;
	case SQLITE_DONE:
		rc = fb_err(FB_ERR_NOENT, "no case %lld as of that time",
		    (long long)id);
		break;
	default:
		rc = store_sqlerr(s, "read a case");
	}
	sqlite3_finalize(st);
	return rc;
}

int
store_export_findings(struct store *s, int64_t id, int64_t as_of,
    int64_t **ids_out, size_t *n_out)
{
	sqlite3_stmt *st;
	int64_t *ids = NULL;
	size_t n = 0, cap = 0;
	int rc = 0, r;

	/* Linked as of T: the last link or unlink event by T is a link. */
	if ((rc = store_prepare(s, "SELECT e.finding FROM case_events e "
	    "WHERE e.case_id=?1 AND e.finding IS NOT NULL AND e.kind='link' "
	    "AND e.recorded_time<=?2 AND e.id=(SELECT max(x.id) FROM "
	    "case_events x WHERE x.case_id=?1 AND x.finding=e.finding AND "
	    "x.kind IN ('link','unlink') AND x.recorded_time<=?2) "
	    "GROUP BY e.finding ORDER BY e.finding", &st)) != 0)
		return rc;
	sqlite3_bind_int64(st, 1, id);
	bind_as_of(st, 2, as_of);
	while ((r = sqlite3_step(st)) == SQLITE_ROW) {
		if (n == cap) {
			cap = cap ? cap * 2 : 16;
			ids = xrealloc(ids, cap * sizeof(*ids));
		}
		ids[n++] = sqlite3_column_int64(st, 0);
	}
	if (r != SQLITE_DONE) {
		rc = store_sqlerr(s, "list a case's findings");
		free(ids);
	} else {
		*ids_out = ids;
		*n_out = n;
	}
	sqlite3_finalize(st);
	return rc;
}

/* json with the status and reason of one status log row; 1 if there was one. */
static int
status_at(struct store *s, const char *sql, int64_t id, int64_t as_of,
    const char *json, char **out)
{
	sqlite3_stmt *st;
	int rc;

	if ((rc = store_cached(s, sql, &st)) != 0)
		return rc;
	sqlite3_bind_int64(st, 1, id);
	bind_as_of(st, 2, as_of);
	store_bind_text(st, 3, json);
	switch (sqlite3_step(st)) {
	case SQLITE_ROW:
		*out = xstrdup((const char *)sqlite3_column_text(st, 0));
		rc = 1;
		break;
	case SQLITE_DONE:
		rc = 0;
		break;
	default:
		rc = store_sqlerr(s, "read a finding's status as of T");
	}
	sqlite3_reset(st);
	return rc;
}

int
store_export_finding_json(struct store *s, int64_t id, int64_t as_of,
    char **json)
{
	char *now = NULL;
	int rc;

	if ((rc = store_finding_show_json(s, id, &now)) != 0)
		return rc;
	/* The last change by T says what held at T; else the first change
	 * after T says what it changed from; else it never changed. */
	rc = status_at(s, "SELECT json_replace(?3,'$.status',new_status,"
	    "'$.status_reason',new_reason) FROM finding_status_log WHERE "
	    "finding=?1 AND at<=?2 ORDER BY at DESC, id DESC LIMIT 1", id,
	    as_of, now, json);
	if (rc == 0)
		rc = status_at(s, "SELECT json_replace(?3,'$.status',old_status,"
		    "'$.status_reason',old_reason) FROM finding_status_log "
		    "WHERE finding=?1 AND at>?2 ORDER BY at, id LIMIT 1", id,
		    as_of, now, json);
	if (rc == 0) {
		*json = now;
		return 0;
	}
	free(now);
	return rc < 0 ? rc : 0;
}

int
store_export_evidence(struct store *s, int64_t id, int64_t as_of,
    store_evidence_cb cb, void *ctx)
{
	sqlite3_stmt *st;
	int rc;

	if ((rc = store_prepare(s, "SELECT " STORE_EVIDENCE_COLS " FROM "
	    "evidence e JOIN blobs b ON b.sha256=e.blob WHERE e.case_id=?1 AND "
	    "e.created_at<=?2 ORDER BY e.id", &st)) != 0)
		return rc;
	sqlite3_bind_int64(st, 1, id);
	bind_as_of(st, 2, as_of);
	return store_evidence_rows(s, st, cb, ctx);
}

int
store_export_custody_json(struct store *s, int64_t evidence, int64_t as_of,
    store_json_cb cb, void *ctx)
{
	sqlite3_stmt *st;
	int rc;

	/* Cached: a bundle asks once per item, thousands of times. */
	if ((rc = store_cached(s, "SELECT json_object(" CUSTODY_PUBLIC_COLS
	    ") FROM custody WHERE evidence=?1 AND time<=?2 ORDER BY seq",
	    &st)) != 0)
		return rc;
	sqlite3_bind_int64(st, 1, evidence);
	bind_as_of(st, 2, as_of);
	rc = store_json_rows(s, st, cb, ctx);
	sqlite3_reset(st);
	return rc;
}

int
store_export_audit_json(struct store *s, int64_t id, int64_t as_of,
    store_json_cb cb, void *ctx, int64_t *head_seq,
    char head_hash[FB_SHA256_HEX])
{
	sqlite3_stmt *st;
	int64_t hseq = 0, first = 0;
	int rc;

	if ((rc = store_prepare(s, "SELECT coalesce((SELECT max(seq) FROM "
	    "audit WHERE time<=?2),0), coalesce((SELECT min(seq) FROM audit "
	    "WHERE time<=?2 AND " AUDIT_OF_CASE "),0)", &st)) != 0)
		return rc;
	sqlite3_bind_int64(st, 1, id);
	bind_as_of(st, 2, as_of);
	if (sqlite3_step(st) != SQLITE_ROW) {
		rc = store_sqlerr(s, "find the audit head");
		sqlite3_finalize(st);
		return rc;
	}
	hseq = sqlite3_column_int64(st, 0);
	first = sqlite3_column_int64(st, 1);
	sqlite3_finalize(st);
	snprintf(head_hash, FB_SHA256_HEX, "%s", ZERO_HASH);
	if (hseq > 0) {
		if ((rc = store_prepare(s, "SELECT hash FROM audit WHERE seq=?1",
		    &st)) != 0)
			return rc;
		sqlite3_bind_int64(st, 1, hseq);
		if (sqlite3_step(st) == SQLITE_ROW && store_col_text(st, 0) != NULL)
			snprintf(head_hash, FB_SHA256_HEX, "%s", store_col_text(st, 0));
		sqlite3_finalize(st);
	}
	*head_seq = hseq;
	if (first == 0)
		first = hseq; /* nothing of the case: the head alone, as a stub */
	if (hseq == 0)
		return 0;
	if ((rc = store_prepare(s, "SELECT CASE WHEN " AUDIT_OF_CASE " THEN "
	    "json_object(" AUDIT_PUBLIC_COLS ") ELSE json_object('hash',hash,"
	    "'prev_hash',prev_hash,'seq',seq,'stub',json('true')) END FROM "
	    "audit WHERE seq>=?2 AND seq<=?3 ORDER BY seq", &st)) != 0)
		return rc;
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_int64(st, 2, first);
	sqlite3_bind_int64(st, 3, hseq);
	rc = store_json_rows(s, st, cb, ctx);
	sqlite3_finalize(st);
	return rc;
}

/* ---- JSON toolbox ------------------------------------------------------ */

struct store_json_tool {
	sqlite3 *db;
	sqlite3_stmt *canon, *get, *type, *each;
};

int
store_json_tool_new(struct store_json_tool **out)
{
	struct store_json_tool *t = xcalloc(1, sizeof(*t));

	if (sqlite3_open_v2(":memory:", &t->db, SQLITE_OPEN_READWRITE |
	    SQLITE_OPEN_CREATE, NULL) != SQLITE_OK)
		goto fail;
	/*
	 * Members in byte order of their keys, "hash" left out; nested values
	 * kept as JSON. This is what json_object() with sorted keys makes.
	 */
	if (sqlite3_prepare_v2(t->db, "SELECT json_group_object(key,CASE "
	    "WHEN type IN ('object','array') THEN json(value) WHEN type='true' "
	    "THEN json('true') WHEN type='false' THEN json('false') ELSE value "
	    "END) FROM (SELECT key,type,value FROM json_each(?1) WHERE "
	    "key<>'hash' ORDER BY key)", -1, &t->canon, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(t->db, "SELECT json_extract(?1,?2)", -1,
	    &t->get, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(t->db, "SELECT coalesce(json_type(?1,?2),'')",
	    -1, &t->type, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(t->db, "SELECT CASE WHEN type IN ('object',"
	    "'array') THEN value ELSE json_quote(value) END FROM "
	    "json_each(?1,?2)", -1, &t->each, NULL) != SQLITE_OK)
		goto fail;
	*out = t;
	return 0;
fail:
	store_json_tool_free(t);
	return fb_err(FB_ERR_INTERNAL, "cannot open an in-memory database");
}

void
store_json_tool_free(struct store_json_tool *t)
{
	if (t == NULL)
		return;
	sqlite3_finalize(t->canon);
	sqlite3_finalize(t->get);
	sqlite3_finalize(t->type);
	sqlite3_finalize(t->each);
	sqlite3_close(t->db);
	free(t);
}

static int
is_object(struct store_json_tool *t, const char *json)
{
	char type[16];

	return store_json_type(t, json, "$", type) == 0 &&
	    strcmp(type, "object") == 0;
}

int
store_json_canon_hash(struct store_json_tool *t, const char *json,
    char hash[FB_SHA256_HEX])
{
	const char *canon;
	int rc = 0;

	if (!is_object(t, json))
		return fb_err(FB_ERR_PARSE, "not a JSON object");
	sqlite3_reset(t->canon);
	sqlite3_bind_text(t->canon, 1, json, -1, SQLITE_TRANSIENT);
	if (sqlite3_step(t->canon) != SQLITE_ROW ||
	    (canon = (const char *)sqlite3_column_text(t->canon, 0)) == NULL)
		rc = fb_err(FB_ERR_PARSE, "not a JSON object");
	else
		fb_sha256_hex(canon, strlen(canon), hash);
	sqlite3_reset(t->canon);
	return rc;
}

int
store_json_get(struct store_json_tool *t, const char *json, const char *path,
    char **out)
{
	const char *v;
	int rc = 0;

	sqlite3_reset(t->get);
	sqlite3_bind_text(t->get, 1, json, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(t->get, 2, path, -1, SQLITE_TRANSIENT);
	switch (sqlite3_step(t->get)) {
	case SQLITE_ROW:
		v = (const char *)sqlite3_column_text(t->get, 0);
		*out = v ? xstrdup(v) : NULL;
		break;
	default:
		rc = fb_err(FB_ERR_PARSE, "malformed JSON");
	}
	sqlite3_reset(t->get);
	return rc;
}

int
store_json_type(struct store_json_tool *t, const char *json, const char *path,
    char type[16])
{
	const char *v;
	int rc = 0;

	sqlite3_reset(t->type);
	sqlite3_bind_text(t->type, 1, json, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(t->type, 2, path, -1, SQLITE_TRANSIENT);
	if (sqlite3_step(t->type) == SQLITE_ROW &&
	    (v = (const char *)sqlite3_column_text(t->type, 0)) != NULL)
		snprintf(type, 16, "%s", v);
	else
		rc = fb_err(FB_ERR_PARSE, "malformed JSON");
	sqlite3_reset(t->type);
	return rc;
}

int
store_json_each(struct store_json_tool *t, const char *json, const char *path,
    store_json_cb cb, void *ctx)
{
	sqlite3_stmt *st;
	const char *v;
	int r, rc = 0;

	/* Its own statement: cb may use the tool's others meanwhile. */
	if (sqlite3_prepare_v2(t->db, sqlite3_sql(t->each), -1, &st, NULL) !=
	    SQLITE_OK)
		return fb_err(FB_ERR_INTERNAL, "cannot prepare json_each");
	sqlite3_bind_text(st, 1, json, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, path, -1, SQLITE_STATIC);
	while ((r = sqlite3_step(st)) == SQLITE_ROW) {
		v = (const char *)sqlite3_column_text(st, 0);
		if ((rc = cb(ctx, v ? v : "null")) != 0)
			break;
	}
	if (rc == 0 && r != SQLITE_DONE && r != SQLITE_ROW)
		rc = fb_err(FB_ERR_PARSE, "malformed JSON");
	sqlite3_finalize(st);
	return rc;
}
