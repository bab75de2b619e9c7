/*
 * evidence.c: evidence items and their custody chains. An item names a
 * blob and says where, how and by whom it was collected; its custody is
 * an append-only chain of hand-offs, each row hashing the previous one in
 * the same canonical JSON as the audit chain (keys sorted, no spaces), so
 * `jq -cS 'del(.hash)' | sha256sum` recomputes every hash.
 */
#include "config.h"

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "json/json.h"
#include "store/cases.h"
#include "store/store-int.h"

#define ZERO_HASH "0000000000000000000000000000000000000000000000000000000000000000"

/* Canonical custody row, keys in byte order. */
#define CUSTODY_CANON_SQL                                                  \
	"json_object('action',?1,'actor',?2,'actor_kind',?3,'evidence',?4," \
	"'holder',?5,'note',?6,'prev_hash',?7,'seq',?8,'sha256',?9,"         \
	"'time',?10)"
#define CUSTODY_PUBLIC_COLS                                                 \
	"'action',action,'actor',actor,'actor_kind',actor_kind,"            \
	"'evidence',evidence,'hash',hash,'holder',holder,'note',note,"      \
	"'prev_hash',prev_hash,'seq',seq,'sha256',sha256,'time',time"

static void
bind_time(sqlite3_stmt *st, int i, int64_t t)
{
	char buf[FB_TIME_LEN];

	if (t == STORE_TIME_UNSET) {
		sqlite3_bind_null(st, i);
		return;
	}
	fb_time_fmt(t, buf);
	store_bind_text(st, i, buf);
}

int
store_custody_append_tx(struct store *s, const struct store_custody_in *c,
    int64_t *seq_out)
{
	sqlite3_stmt *st = NULL;
	char prev[FB_SHA256_HEX], hash[FB_SHA256_HEX], now[FB_TIME_LEN];
	char sha[FB_SHA256_HEX], *t_holder, *t_note, *t_action;
	const char *holder, *note, *action, *canon;
	int64_t seq, case_id = 0;
	int rc;

	if (!s->in_tx)
		return fb_err(FB_ERR_INTERNAL, "custody row outside a transaction");
	action = store_text_clean(c->action, &t_action);
	holder = store_text_clean(c->holder, &t_holder);
	note = store_text_clean(c->note, &t_note);
	if ((rc = store_cached(s, "SELECT e.blob, coalesce(e.case_id,0), "
	    "coalesce((SELECT hash FROM custody WHERE evidence=e.id ORDER BY "
	    "seq DESC LIMIT 1),'" ZERO_HASH "'), (SELECT coalesce(max(seq),0)+1 "
	    "FROM custody) FROM evidence e WHERE e.id=?1", &st)) != 0)
		goto out;
	sqlite3_bind_int64(st, 1, c->evidence);
	if (sqlite3_step(st) != SQLITE_ROW) {
		rc = fb_err(FB_ERR_NOENT, "no evidence %lld",
		    (long long)c->evidence);
		goto out;
	}
	snprintf(sha, sizeof(sha), "%s", sqlite3_column_text(st, 0));
	case_id = sqlite3_column_int64(st, 1);
	snprintf(prev, sizeof(prev), "%s", sqlite3_column_text(st, 2));
	seq = sqlite3_column_int64(st, 3);
	sqlite3_reset(st);
	fb_time_fmt(fb_time_now(), now);
	if ((rc = store_cached(s, "SELECT " CUSTODY_CANON_SQL, &st)) != 0)
		goto out;
	store_bind_text(st, 1, action);
	store_bind_text(st, 2, s->actor.user);
	store_bind_text(st, 3, store_actor_kind_name(c->actor_kind));
	sqlite3_bind_int64(st, 4, c->evidence);
	store_bind_text(st, 5, holder);
	store_bind_text(st, 6, note);
	store_bind_text(st, 7, prev);
	sqlite3_bind_int64(st, 8, seq);
	store_bind_text(st, 9, sha);
	store_bind_text(st, 10, now);
	if (sqlite3_step(st) != SQLITE_ROW ||
	    (canon = (const char *)sqlite3_column_text(st, 0)) == NULL) {
		rc = store_sqlerr(s, "encode a custody row");
		goto out;
	}
	fb_sha256_hex(canon, strlen(canon), hash);
	sqlite3_reset(st);
	if ((rc = store_cached(s, "INSERT INTO custody(seq,evidence,time,actor,"
	    "actor_kind,action,holder,note,sha256,prev_hash,hash) VALUES(?1,"
	    "?2,?3,?4,?5,?6,?7,?8,?9,?10,?11)", &st)) != 0)
		goto out;
	sqlite3_bind_int64(st, 1, seq);
	sqlite3_bind_int64(st, 2, c->evidence);
	store_bind_text(st, 3, now);
	store_bind_text(st, 4, s->actor.user);
	store_bind_text(st, 5, store_actor_kind_name(c->actor_kind));
	store_bind_text(st, 6, action);
	store_bind_text(st, 7, holder);
	store_bind_text(st, 8, note);
	store_bind_text(st, 9, sha);
	store_bind_text(st, 10, prev);
	store_bind_text(st, 11, hash);
	if (sqlite3_step(st) != SQLITE_DONE) {
		rc = store_sqlerr(s, "append to the custody chain");
		goto out;
	}
	sqlite3_reset(st);
	st = NULL;
	if (case_id != 0) {
		struct store_case_event_in ev = {
			.case_id = case_id, .kind = STORE_EV_CUSTODY,
			.event_time = STORE_TIME_UNSET,
			.actor_kind = c->actor_kind, .evidence = c->evidence,
		};
		char *text = xasprintf("evidence #%lld %s%s%s",
		    (long long)c->evidence, action, holder ? ", held by " : "",
		    holder ? holder : "");
		ev.text = text;
		rc = store_case_event_add_tx(s, &ev, NULL);
		free(text);
		if (rc != 0)
			goto out;
	}
	if (seq_out != NULL)
		*seq_out = seq;
out:
	if (st != NULL)
		sqlite3_reset(st);
	free(t_action);
	free(t_holder);
	free(t_note);
	return rc;
}

static char hostname_buf[256];

static const char *
local_host(void)
{
	if (hostname_buf[0] == '\0' &&
	    gethostname(hostname_buf, sizeof(hostname_buf) - 1) != 0)
		snprintf(hostname_buf, sizeof(hostname_buf), "localhost");
	return hostname_buf;
}

int
store_evidence_add_tx(struct store *s, const struct store_evidence_in *in,
    int64_t *id_out)
{
	sqlite3_stmt *st = NULL;
	char now[FB_TIME_LEN];
	int64_t id;
	int rc;

	if (!s->in_tx)
		return fb_err(FB_ERR_INTERNAL, "evidence outside a transaction");
	if (!fb_is_sha256_hex(in->blob.sha256))
		return fb_err(FB_ERR_INVAL, "evidence needs a stored blob");
	fb_time_fmt(fb_time_now(), now);
	if (in->case_id != 0) {
		if ((rc = store_prepare(s, "SELECT 1 FROM cases WHERE id=?1",
		    &st)) != 0)
			return rc;
		sqlite3_bind_int64(st, 1, in->case_id);
		rc = sqlite3_step(st) == SQLITE_ROW ? 0 :
		    fb_err(FB_ERR_NOENT, "no case %lld", (long long)in->case_id);
		sqlite3_finalize(st);
		if (rc != 0)
			return rc;
	}
	if ((rc = store_prepare(s, "INSERT INTO blobs(sha256,size,stored_at) "
	    "VALUES(?1,?2,?3) ON CONFLICT(sha256) DO NOTHING", &st)) != 0)
		return rc;
	store_bind_text(st, 1, in->blob.sha256);
	sqlite3_bind_int64(st, 2, (int64_t)in->blob.size);
	store_bind_text(st, 3, now);
	if (sqlite3_step(st) != SQLITE_DONE)
		rc = store_sqlerr(s, "record a blob");
	sqlite3_finalize(st);
	if (rc != 0)
		return rc;
	if ((rc = store_prepare(s, "INSERT INTO evidence(blob,case_id,kind,name,"
	    "source_host,host_key,path,command,collector,collected_by,"
	    "started_at,finished_at,clock_offset_ms,orig_mtime,orig_mode,"
	    "orig_owner,note,remote_exec,created_at) VALUES(?1,?2,?3,?4,?5,?6,"
	    "?7,?8,?9,?10,?11,?12,?13,?14,?15,?16,?17,?18,?19)", &st)) != 0)
		return rc;
	store_bind_text(st, 1, in->blob.sha256);
	if (in->case_id != 0)
		sqlite3_bind_int64(st, 2, in->case_id);
	store_bind_text(st, 3, in->kind ? in->kind : "file");
	store_bind_text(st, 4, in->name);
	store_bind_text(st, 5, in->source_host ? in->source_host : local_host());
	store_bind_text(st, 6, in->host_key);
	store_bind_text(st, 7, in->path);
	store_bind_text(st, 8, in->command);
	store_bind_text(st, 9, in->collector ? in->collector : "unknown");
	store_bind_text(st, 10, s->actor.user);
	if (in->started == STORE_TIME_UNSET || in->started == 0)
		store_bind_text(st, 11, now);
	else
		bind_time(st, 11, in->started);
	if (in->finished == STORE_TIME_UNSET || in->finished == 0)
		store_bind_text(st, 12, now);
	else
		bind_time(st, 12, in->finished);
	if (in->clock_offset_ms != STORE_TIME_UNSET)
		sqlite3_bind_int64(st, 13, in->clock_offset_ms);
	bind_time(st, 14, in->orig_mtime);
	if (in->orig_mode >= 0)
		sqlite3_bind_int64(st, 15, in->orig_mode);
	store_bind_text(st, 16, in->orig_owner);
	store_bind_text(st, 17, in->note);
	if (in->remote_exec > 0)
		sqlite3_bind_int64(st, 18, in->remote_exec);
	store_bind_text(st, 19, now);
	if (sqlite3_step(st) != SQLITE_DONE)
		rc = store_sqlerr(s, "record evidence");
	id = sqlite3_last_insert_rowid(s->db);
	sqlite3_finalize(st);
	if (rc != 0)
		return rc;
	if (in->case_id != 0) {
		struct store_case_event_in ev = {
			.case_id = in->case_id, .kind = STORE_EV_EVIDENCE,
			.event_time = in->started != STORE_TIME_UNSET &&
			    in->started != 0 ? in->started : STORE_TIME_UNSET,
			.actor_kind = in->actor_kind, .evidence = id,
		};
		struct fb_json *j = fb_json_new();
		char *text, *data;

		fb_json_obj_begin(j);
		fb_json_kstr(j, "sha256", in->blob.sha256);
		fb_json_kint(j, "size", (int64_t)in->blob.size);
		fb_json_kstr(j, "source_host", in->source_host ?
		    in->source_host : local_host());
		fb_json_kstr(j, "path", in->path);
		fb_json_kstr(j, "command", in->command);
		fb_json_kstr(j, "collector", in->collector);
		fb_json_obj_end(j);
		data = fb_json_finish(j);
		text = xasprintf("evidence #%lld collected from %s: %s",
		    (long long)id, in->source_host ? in->source_host :
		    local_host(), in->path ? in->path : in->command ?
		    in->command : in->name ? in->name : in->blob.sha256);
		ev.text = text;
		ev.data = data;
		rc = store_case_event_add_tx(s, &ev, NULL);
		free(text);
		free(data);
		if (rc != 0)
			return rc;
	}
	{
		struct store_custody_in c = {
			.evidence = id, .action = "collected",
			.holder = s->actor.user, .note = in->collector,
			.actor_kind = in->actor_kind,
		};
		if ((rc = store_custody_append_tx(s, &c, NULL)) != 0)
			return rc;
	}
	if (id_out != NULL)
		*id_out = id;
	return 0;
}

int
store_evidence_add(struct store *s, const struct store_evidence_in *in,
    int64_t *id)
{
	struct fb_json *j;
	char *detail, obj[48];
	int64_t eid = 0;
	int rc;

	if ((rc = store_begin(s)) != 0)
		return rc;
	if ((rc = store_evidence_add_tx(s, in, &eid)) != 0)
		goto fail;
	j = fb_json_new();
	fb_json_obj_begin(j);
	if (in->case_id != 0)
		fb_json_kint(j, "case", in->case_id);
	fb_json_kstr(j, "sha256", in->blob.sha256);
	fb_json_kint(j, "size", (int64_t)in->blob.size);
	fb_json_kstr(j, "kind", in->kind ? in->kind : "file");
	fb_json_kstr(j, "source_host", in->source_host ? in->source_host :
	    local_host());
	fb_json_kstr(j, "path", in->path);
	fb_json_kstr(j, "command", in->command);
	fb_json_kstr(j, "collector", in->collector);
	fb_json_kstr(j, "note", in->note);
	fb_json_obj_end(j);
	detail = fb_json_finish(j);
	snprintf(obj, sizeof(obj), "evidence:%lld", (long long)eid);
	rc = store_audit(s, in->actor_kind, "evidence.add", obj, detail, NULL);
	free(detail);
	if (rc != 0)
		goto fail;
	if ((rc = store_commit(s)) != 0)
		return rc;
	*id = eid;
	return 0;
fail:
	store_rollback(s);
	return rc;
}

#define EVIDENCE_JSON                                                       \
	"json_object('id',e.id,'case',e.case_id,'sha256',e.blob,"            \
	"'size',b.size,'kind',e.kind,'name',e.name,"                         \
	"'source_host',e.source_host,'host_key',e.host_key,'path',e.path,"   \
	"'command',e.command,'collector',e.collector,"                       \
	"'collected_by',e.collected_by,'started',e.started_at,"              \
	"'finished',e.finished_at,'clock_offset_ms',e.clock_offset_ms,"      \
	"'orig_mtime',e.orig_mtime,'orig_mode',CASE WHEN e.orig_mode IS "    \
	"NULL THEN NULL ELSE printf('%04o',e.orig_mode & 4095) END,"          \
	"'orig_owner',e.orig_owner,'note',e.note,"                           \
	"'remote_exec',e.remote_exec"

int
store_evidence_rows(struct store *s, sqlite3_stmt *st, store_evidence_cb cb,
    void *ctx)
{
	int rc = 0, r;

	while ((r = sqlite3_step(st)) == SQLITE_ROW) {
		struct store_evidence_row row = {
			.id = sqlite3_column_int64(st, 0),
			.case_id = sqlite3_column_int64(st, 1),
			.sha256 = store_col_text(st, 2),
			.size = sqlite3_column_int64(st, 3),
			.kind = store_col_text(st, 4),
			.name = store_col_text(st, 5),
			.source_host = store_col_text(st, 6),
			.host_key = store_col_text(st, 7),
			.path = store_col_text(st, 8),
			.command = store_col_text(st, 9),
			.collector = store_col_text(st, 10),
			.collected_by = store_col_text(st, 11),
			.started = store_col_text(st, 12),
			.finished = store_col_text(st, 13),
			.clock_offset_ms = sqlite3_column_type(st, 14) ==
			    SQLITE_NULL ? STORE_TIME_UNSET :
			    sqlite3_column_int64(st, 14),
			.orig_mtime = store_col_text(st, 15),
			.orig_mode = sqlite3_column_type(st, 16) == SQLITE_NULL ?
			    -1 : sqlite3_column_int64(st, 16),
			.orig_owner = store_col_text(st, 17),
			.note = store_col_text(st, 18),
			.remote_exec = sqlite3_column_int64(st, 19),
		};
		if ((rc = cb(ctx, &row)) != 0)
			break;
	}
	if (rc == 0 && r != SQLITE_DONE)
		rc = store_sqlerr(s, "list evidence");
	sqlite3_finalize(st);
	return rc;
}

int
store_evidence_ls(struct store *s, int64_t case_id, store_evidence_cb cb,
    void *ctx)
{
	sqlite3_stmt *st;
	int rc;

	if ((rc = store_prepare(s, "SELECT " STORE_EVIDENCE_COLS " FROM "
	    "evidence e JOIN blobs b ON b.sha256=e.blob WHERE ?1=0 OR "
	    "e.case_id=?1 ORDER BY e.id", &st)) != 0)
		return rc;
	sqlite3_bind_int64(st, 1, case_id);
	return store_evidence_rows(s, st, cb, ctx);
}

int
store_evidence_ls_json(struct store *s, int64_t case_id, store_json_cb cb,
    void *ctx)
{
	sqlite3_stmt *st;
	int rc;

	if ((rc = store_prepare(s, "SELECT " EVIDENCE_JSON ") FROM evidence e "
	    "JOIN blobs b ON b.sha256=e.blob WHERE ?1=0 OR e.case_id=?1 "
	    "ORDER BY e.id", &st)) != 0)
		return rc;
	sqlite3_bind_int64(st, 1, case_id);
	rc = store_json_rows(s, st, cb, ctx);
	sqlite3_finalize(st);
	return rc;
}

int
store_evidence_show_json(struct store *s, int64_t id, char **json)
{
	sqlite3_stmt *st;
	int rc;

	if ((rc = store_prepare(s, "SELECT json_insert(" EVIDENCE_JSON "),"
	    "'$.custody',(SELECT json_group_array(json(c)) FROM (SELECT "
	    "json_object(" CUSTODY_PUBLIC_COLS ") AS c FROM custody WHERE "
	    "evidence=e.id ORDER BY seq))) FROM evidence e JOIN blobs b ON "
	    "b.sha256=e.blob WHERE e.id=?1", &st)) != 0)
		return rc;
	sqlite3_bind_int64(st, 1, id);
	if (sqlite3_step(st) == SQLITE_ROW)
		*json = xstrdup(store_col_text(st, 0));
	else
		rc = fb_err(FB_ERR_NOENT, "no evidence %lld", (long long)id);
	sqlite3_finalize(st);
	return rc;
}

int
store_custody_ls_json(struct store *s, int64_t evidence, store_json_cb cb,
    void *ctx)
{
	sqlite3_stmt *st;
	int rc;

	if ((rc = store_prepare(s, "SELECT json_object(" CUSTODY_PUBLIC_COLS
	    ") FROM custody WHERE evidence=?1 ORDER BY seq", &st)) != 0)
		return rc;
	sqlite3_bind_int64(st, 1, evidence);
	rc = store_json_rows(s, st, cb, ctx);
	sqlite3_finalize(st);
	return rc;
}

/* Re-hash one blob; returns the problem text or NULL. */
static const char *
blob_check(struct store *s, const char *sha, int64_t size)
{
	char hex[FB_SHA256_HEX], *buf;
	struct fb_sha256 *h;
	int64_t got = 0;
	int fd;

	if (store_blob_open(s, sha, &fd) != 0) {
		fb_err_clear();
		return "missing";
	}
	h = fb_sha256_new();
	buf = xmalloc(1 << 16);
	for (;;) {
		ssize_t n = read(fd, buf, 1 << 16);

		if (n <= 0)
			break;
		fb_sha256_update(h, buf, (size_t)n);
		got += n;
	}
	free(buf);
	close(fd);
	fb_sha256_final(h, hex);
	if (got != size)
		return "size differs";
	if (strcmp(hex, sha) != 0)
		return "hash differs";
	return NULL;
}

static int
custody_check(struct store *s, int64_t evidence, int64_t *bad_seq)
{
	sqlite3_stmt *st;
	char prev[FB_SHA256_HEX] = ZERO_HASH, hash[FB_SHA256_HEX];
	int rc, r;

	*bad_seq = 0;
	if ((rc = store_prepare(s, "SELECT seq, hash, prev_hash, json_object("
	    "'action',action,'actor',actor,'actor_kind',actor_kind,"
	    "'evidence',evidence,'holder',holder,'note',note,"
	    "'prev_hash',prev_hash,'seq',seq,'sha256',sha256,'time',time) "
	    "FROM custody WHERE evidence=?1 ORDER BY seq", &st)) != 0)
		return rc;
	sqlite3_bind_int64(st, 1, evidence);
	while ((r = sqlite3_step(st)) == SQLITE_ROW) {
		const char *canon = store_col_text(st, 3);
		const char *stored = store_col_text(st, 1);
		const char *p = store_col_text(st, 2);

		fb_sha256_hex(canon, strlen(canon), hash);
		if (stored == NULL || p == NULL || strcmp(p, prev) != 0 ||
		    strcmp(stored, hash) != 0) {
			*bad_seq = sqlite3_column_int64(st, 0);
			break;
		}
		memcpy(prev, hash, sizeof(prev));
	}
	sqlite3_finalize(st);
	return 0;
}

int
store_evidence_check(struct store *s,
    int (*fn)(void *ctx, const struct store_evidence_problem *p), void *ctx,
    int64_t *checked)
{
	sqlite3_stmt *st = NULL;
	int64_t nblobs = 0, nitems = 0, nproblems = 0;
	int rc, r;

	/* Blobs, each with one evidence item that uses it. */
	if ((rc = store_prepare(s, "SELECT b.sha256, b.size, (SELECT min(id) "
	    "FROM evidence WHERE blob=b.sha256) FROM blobs b ORDER BY "
	    "b.sha256", &st)) != 0)
		return rc;
	while ((r = sqlite3_step(st)) == SQLITE_ROW) {
		const char *sha = store_col_text(st, 0);
		const char *problem = blob_check(s, sha,
		    sqlite3_column_int64(st, 1));

		nblobs++;
		if (problem != NULL) {
			struct store_evidence_problem p = {
				.sha256 = sha, .problem = problem,
				.evidence = sqlite3_column_int64(st, 2),
			};
			nproblems++;
			if ((rc = fn(ctx, &p)) != 0)
				goto out;
		}
	}
	sqlite3_finalize(st);
	if ((rc = store_prepare(s, "SELECT id, blob FROM evidence ORDER BY id",
	    &st)) != 0)
		return rc;
	while ((r = sqlite3_step(st)) == SQLITE_ROW) {
		int64_t bad;

		nitems++;
		if ((rc = custody_check(s, sqlite3_column_int64(st, 0),
		    &bad)) != 0)
			goto out;
		if (bad != 0) {
			char text[64];
			struct store_evidence_problem p = {
				.sha256 = store_col_text(st, 1), .problem = text,
				.evidence = sqlite3_column_int64(st, 0),
			};
			snprintf(text, sizeof(text), "custody chain broken at "
			    "%lld", (long long)bad);
			nproblems++;
			if ((rc = fn(ctx, &p)) != 0)
				goto out;
		}
	}
	sqlite3_finalize(st);
	st = NULL;
	/* The check itself is on the record, when we may write. */
	if (!s->readonly && store_begin(s) == 0) {
		struct fb_json *j = fb_json_new();
		char *detail;

		fb_json_obj_begin(j);
		fb_json_kint(j, "blobs", nblobs);
		fb_json_kint(j, "items", nitems);
		fb_json_kint(j, "problems", nproblems);
		fb_json_obj_end(j);
		detail = fb_json_finish(j);
		rc = store_audit(s, STORE_ACTOR_HUMAN, "evidence.check",
		    "evidence", detail, NULL);
		free(detail);
		if (rc == 0)
			rc = store_commit(s);
		else
			store_rollback(s);
		if (rc != 0)
			return rc;
	}
	fb_err_clear();
	if (checked != NULL)
		*checked = nblobs;
	if (nproblems > 0)
		return fb_err(FB_ERR_TAMPER, "%lld problem%s in the evidence "
		    "store", (long long)nproblems, nproblems == 1 ? "" : "s");
	return 0;
out:
	sqlite3_finalize(st);
	return rc;
}
