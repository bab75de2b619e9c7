/*
 * audit.c: the hash-chained audit log. Each row's hash is SHA-256 over the
 * canonical JSON of the row without its hash: keys sorted, no spaces, as
 * `jq -cS 'del(.hash)'` prints it, made here by SQLite's json_object() with
 * the keys written in sorted order. detail is hashed as a string.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "store/store-int.h"

#define ZERO_HASH "0000000000000000000000000000000000000000000000000000000000000000"

/* The canonical object, keys in byte order; the column list is shared. */
#define CANON_COLS                                                          \
	"'action',action,'actor',actor,'actor_kind',actor_kind,"            \
	"'detail',detail,'object',object,'prev_hash',prev_hash,'seq',seq,"  \
	"'ssh_connection',ssh_connection,'sudo_user',sudo_user,'time',time"
#define PUBLIC_COLS                                                         \
	"'action',action,'actor',actor,'actor_kind',actor_kind,"            \
	"'detail',detail,'hash',hash,'object',object,'prev_hash',prev_hash,"\
	"'seq',seq,'ssh_connection',ssh_connection,'sudo_user',sudo_user,"  \
	"'time',time"

static const char *const kind_names[] = {
	[STORE_ACTOR_HUMAN] = "human",
	[STORE_ACTOR_PLAYBOOK] = "playbook",
	[STORE_ACTOR_INGEST] = "ingest",
	[STORE_ACTOR_SYSTEM] = "system",
};

const char *
store_actor_kind_name(enum store_actor_kind k)
{
	return (unsigned)k < FB_ARRAY_LEN(kind_names) ? kind_names[k] : "system";
}

static const char *
nonempty(const char *s)
{
	return s != NULL && *s != '\0' ? s : NULL;
}

/*
 * jq and SQLite escape every C0 control alike but differ on DEL (jq writes
 * \u007f) and on malformed UTF-8 (jq substitutes U+FFFD). So that the
 * auditor's `jq -cS` recomputes our bytes, audit text never holds either:
 * DEL becomes U+2421 and malformed bytes U+FFFD. Returns s or a new copy
 * in *tmp (caller frees).
 */
const char *
store_text_clean(const char *s, char **tmp)
{
	struct fb_buf b = FB_BUF_INIT;
	size_t n;

	*tmp = NULL;
	if (s == NULL)
		return NULL;
	n = strlen(s);
	if (fb_utf8_valid(s, n) && memchr(s, 0x7f, n) == NULL)
		return s;
	fb_utf8_repair(&b, s, n, "\xe2\x90\xa1");
	*tmp = fb_buf_detach(&b, NULL);
	return *tmp;
}

int
store_audit_head(struct store *s, int64_t *seq, char hash[FB_SHA256_HEX])
{
	sqlite3_stmt *st = NULL;
	int rc = 0;

	*seq = 0;
	snprintf(hash, FB_SHA256_HEX, "%s", ZERO_HASH);
	if ((rc = store_prepare(s, "SELECT (SELECT value FROM meta WHERE "
	    "key='audit_head_seq'), (SELECT value FROM meta WHERE "
	    "key='audit_head_hash')", &st)) != 0)
		return rc;
	if (sqlite3_step(st) == SQLITE_ROW &&
	    sqlite3_column_type(st, 0) != SQLITE_NULL) {
		const char *h = (const char *)sqlite3_column_text(st, 1);
		*seq = sqlite3_column_int64(st, 0);
		snprintf(hash, FB_SHA256_HEX, "%s", h ? h : "");
	}
	sqlite3_finalize(st);
	return rc;
}

/* Canonical text of the row built from bound values (?1..?10, sorted). */
static const char canon_bound_sql[] =
    "SELECT json_object('action',?1,'actor',?2,'actor_kind',?3,'detail',?4,"
    "'object',?5,'prev_hash',?6,'seq',?7,'ssh_connection',?8,"
    "'sudo_user',?9,'time',?10)";

int
store_audit(struct store *s, enum store_actor_kind kind, const char *action,
    const char *object, const char *detail_json, int64_t *seq_out)
{
	sqlite3_stmt *st = NULL;
	char prev[FB_SHA256_HEX], hash[FB_SHA256_HEX], now[FB_TIME_LEN];
	const char *canon;
	char *tmp_action, *tmp_object, *tmp_detail;
	int64_t seq;
	int rc;

	if (!s->in_tx)
		return fb_err(FB_ERR_INTERNAL, "audit row outside a transaction");
	action = store_text_clean(action, &tmp_action);
	object = store_text_clean(object, &tmp_object);
	detail_json = store_text_clean(detail_json, &tmp_detail);
	if ((rc = store_audit_head(s, &seq, prev)) != 0)
		goto out;
	seq++;
	fb_time_fmt(fb_time_now(), now);
	if ((rc = store_prepare(s, canon_bound_sql, &st)) != 0)
		goto out;
	store_bind_text(st, 1, action);
	store_bind_text(st, 2, s->actor.user);
	store_bind_text(st, 3, store_actor_kind_name(kind));
	store_bind_text(st, 4, detail_json);
	store_bind_text(st, 5, object);
	store_bind_text(st, 6, prev);
	sqlite3_bind_int64(st, 7, seq);
	store_bind_text(st, 8, nonempty(s->actor.ssh_connection));
	store_bind_text(st, 9, nonempty(s->actor.sudo_user));
	store_bind_text(st, 10, now);
	if (sqlite3_step(st) != SQLITE_ROW ||
	    (canon = (const char *)sqlite3_column_text(st, 0)) == NULL) {
		rc = store_sqlerr(s, "encode an audit row");
		goto out;
	}
	fb_sha256_hex(canon, strlen(canon), hash);
	sqlite3_finalize(st);
	st = NULL;
	if ((rc = store_prepare(s, "INSERT INTO audit(seq,time,actor,"
	    "actor_kind,sudo_user,ssh_connection,action,object,detail,"
	    "prev_hash,hash) VALUES(?,?,?,?,?,?,?,?,?,?,?)", &st)) != 0)
		goto out;
	sqlite3_bind_int64(st, 1, seq);
	store_bind_text(st, 2, now);
	store_bind_text(st, 3, s->actor.user);
	store_bind_text(st, 4, store_actor_kind_name(kind));
	store_bind_text(st, 5, nonempty(s->actor.sudo_user));
	store_bind_text(st, 6, nonempty(s->actor.ssh_connection));
	store_bind_text(st, 7, action);
	store_bind_text(st, 8, object);
	store_bind_text(st, 9, detail_json);
	store_bind_text(st, 10, prev);
	store_bind_text(st, 11, hash);
	if (sqlite3_step(st) != SQLITE_DONE) {
		rc = store_sqlerr(s, "append to the audit log");
		goto out;
	}
	sqlite3_finalize(st);
	st = NULL;
	if ((rc = store_prepare(s, "INSERT OR REPLACE INTO meta(key,value) "
	    "VALUES('audit_head_seq',?1),('audit_head_hash',?2)", &st)) != 0)
		goto out;
	sqlite3_bind_int64(st, 1, seq);
	store_bind_text(st, 2, hash);
	if (sqlite3_step(st) != SQLITE_DONE) {
		rc = store_sqlerr(s, "move the audit head");
		goto out;
	}
	if (seq_out != NULL)
		*seq_out = seq;
out:
	sqlite3_finalize(st);
	free(tmp_action);
	free(tmp_object);
	free(tmp_detail);
	return rc;
}

int
store_audit_ls(struct store *s, int64_t since_seq, int64_t limit,
    store_json_cb cb, void *ctx)
{
	sqlite3_stmt *st = NULL;
	int rc;

	if ((rc = store_prepare(s, "SELECT json_object(" PUBLIC_COLS ") FROM "
	    "audit WHERE seq > ?1 ORDER BY seq LIMIT ?2", &st)) != 0)
		return rc;
	sqlite3_bind_int64(st, 1, since_seq);
	sqlite3_bind_int64(st, 2, limit > 0 ? limit : -1);
	rc = store_json_rows(s, st, cb, ctx);
	sqlite3_finalize(st);
	return rc;
}

int
store_audit_rows(struct store *s, int64_t since_seq, int64_t limit,
    store_audit_cb cb, void *ctx)
{
	sqlite3_stmt *st = NULL;
	int rc, r;

	if ((rc = store_prepare(s, "SELECT seq,time,actor,actor_kind,action,"
	    "object,detail,hash FROM audit WHERE seq > ?1 ORDER BY seq "
	    "LIMIT ?2", &st)) != 0)
		return rc;
	sqlite3_bind_int64(st, 1, since_seq);
	sqlite3_bind_int64(st, 2, limit > 0 ? limit : -1);
	while ((r = sqlite3_step(st)) == SQLITE_ROW) {
		struct store_audit_row row = {
			.seq = sqlite3_column_int64(st, 0),
			.time = (const char *)sqlite3_column_text(st, 1),
			.actor = (const char *)sqlite3_column_text(st, 2),
			.actor_kind = (const char *)sqlite3_column_text(st, 3),
			.action = (const char *)sqlite3_column_text(st, 4),
			.object = (const char *)sqlite3_column_text(st, 5),
			.detail = (const char *)sqlite3_column_text(st, 6),
			.hash = (const char *)sqlite3_column_text(st, 7),
		};
		if ((rc = cb(ctx, &row)) != 0)
			break;
	}
	if (rc == 0 && r != SQLITE_DONE)
		rc = store_sqlerr(s, "read the audit log");
	sqlite3_finalize(st);
	return rc;
}

static int
bad(struct store_audit_status *st, int64_t seq, const char *fmt, ...)
    FB_ATTR_PRINTF(3, 4);

static int
bad(struct store_audit_status *st, int64_t seq, const char *fmt, ...)
{
	va_list ap;

	st->bad_seq = seq;
	va_start(ap, fmt);
	vsnprintf(st->problem, sizeof(st->problem), fmt, ap);
	va_end(ap);
	return fb_err(FB_ERR_TAMPER, "audit entry %lld: %s", (long long)seq,
	    st->problem);
}

int
store_audit_verify(struct store *s, int64_t since_seq, const char *since_hash,
    struct store_audit_status *out)
{
	sqlite3_stmt *st = NULL;
	char prev[FB_SHA256_HEX], head_hash[FB_SHA256_HEX];
	int64_t expect, head_seq;
	int rc = 0, r;

	memset(out, 0, sizeof(*out));
	snprintf(prev, sizeof(prev), "%s", ZERO_HASH);
	expect = 1;
	/* The head and the rows must come from one snapshot: a writer may
	 * append between two reads. */
	if ((rc = store_read_begin(s)) != 0)
		return rc;
	if ((rc = store_audit_head(s, &head_seq, head_hash)) != 0) {
		store_read_end(s);
		return rc;
	}
	if ((rc = store_prepare(s, "SELECT seq, prev_hash, hash, json_object("
	    CANON_COLS ") FROM audit WHERE seq >= ?1 ORDER BY seq", &st)) != 0)
		goto out;
	sqlite3_bind_int64(st, 1, since_seq > 0 ? since_seq : 1);
	if (since_seq > 0) {
		/* The anchor row must still be there with the same hash. */
		r = sqlite3_step(st);
		if (r != SQLITE_ROW || sqlite3_column_int64(st, 0) != since_seq) {
			rc = bad(out, since_seq, "the anchor entry is missing");
			goto out;
		}
		if (strcmp((const char *)sqlite3_column_text(st, 2),
		    since_hash) != 0) {
			rc = bad(out, since_seq, "hash differs from the anchor "
			    "%.12s (entry replaced)", since_hash);
			goto out;
		}
		snprintf(prev, sizeof(prev), "%s", since_hash);
		expect = since_seq + 1;
		out->rows = 1;
		out->head_seq = since_seq;
		snprintf(out->head_hash, sizeof(out->head_hash), "%s", prev);
	}
	while ((r = sqlite3_step(st)) == SQLITE_ROW) {
		int64_t seq = sqlite3_column_int64(st, 0);
		const char *p = (const char *)sqlite3_column_text(st, 1);
		const char *h = (const char *)sqlite3_column_text(st, 2);
		const char *canon = (const char *)sqlite3_column_text(st, 3);
		char calc[FB_SHA256_HEX];

		if (seq != expect) {
			rc = seq > expect ?
			    bad(out, expect, "missing (next entry is %lld: "
			    "entries deleted)", (long long)seq) :
			    bad(out, seq, "out of sequence");
			goto out;
		}
		if (p == NULL || strcmp(p, prev) != 0) {
			rc = bad(out, seq, "prev_hash does not match entry "
			    "%lld (entry inserted, deleted or reordered)",
			    (long long)(seq - 1));
			goto out;
		}
		fb_sha256_hex(canon, strlen(canon), calc);
		if (h == NULL || strcmp(h, calc) != 0) {
			rc = bad(out, seq, "hash does not match its contents "
			    "(entry edited)");
			goto out;
		}
		snprintf(prev, sizeof(prev), "%s", h);
		out->rows++;
		out->head_seq = seq;
		snprintf(out->head_hash, sizeof(out->head_hash), "%s", h);
		expect++;
	}
	if (r != SQLITE_DONE) {
		rc = store_sqlerr(s, "read the audit log");
		goto out;
	}
	if (out->head_seq != head_seq || strcmp(prev, head_hash) != 0) {
		rc = bad(out, (out->head_seq < head_seq ? out->head_seq :
		    head_seq) + 1, "the log ends at entry %lld but the recorded head "
		    "is entry %lld (%.12s): entries %s the end",
		    (long long)out->head_seq, (long long)head_seq, head_hash,
		    out->head_seq < head_seq ? "cut from" : "added past");
		goto out;
	}
out:
	sqlite3_finalize(st);
	store_read_end(s);
	return rc;
}
