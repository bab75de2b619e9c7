/*
 * cases.c: cases, the links from findings to them, their timeline and
 * incident clocks. A finding belongs to at most one case
 * (findings.case_id); the reason for every link is in the timeline.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "filter/filter.h"
#include "json/json.h"
#include "store/cases.h"
#include "store/store-int.h"

static const char *const states[] = {
	"open", "contained", "eradicated", "recovered", "closed",
};

int
store_case_state_valid(const char *name)
{
	size_t i;

	for (i = 0; name != NULL && i < FB_ARRAY_LEN(states); i++)
		if (strcmp(name, states[i]) == 0)
			return 1;
	return 0;
}

static char *
case_obj(int64_t id)
{
	return xasprintf("case:%lld", (long long)id);
}

int
store_case_event_add_tx(struct store *s, const struct store_case_event_in *ev,
    int64_t *id)
{
	sqlite3_stmt *st;
	char now[FB_TIME_LEN], when[FB_TIME_LEN];
	int rc;

	if (!s->in_tx)
		return fb_err(FB_ERR_INTERNAL, "timeline row outside a "
		    "transaction");
	if (ev->text != NULL && strlen(ev->text) > STORE_CASE_TEXT_MAX)
		return fb_err(FB_ERR_LIMIT, "a timeline text is at most %d "
		    "bytes", STORE_CASE_TEXT_MAX);
	fb_time_fmt(fb_time_now(), now);
	if (ev->event_time == STORE_TIME_UNSET)
		memcpy(when, now, sizeof(when));
	else
		fb_time_fmt(ev->event_time, when);
	if ((rc = store_cached(s, "UPDATE cases SET updated_at=?2, "
	    "first_action_at=CASE WHEN ?3 THEN coalesce(first_action_at,?2) "
	    "ELSE first_action_at END WHERE id=?1", &st)) != 0)
		return rc;
	sqlite3_bind_int64(st, 1, ev->case_id);
	store_bind_text(st, 2, now);
	sqlite3_bind_int(st, 3, ev->actor_kind == STORE_ACTOR_HUMAN);
	if (sqlite3_step(st) != SQLITE_DONE)
		return store_sqlerr(s, "update a case");
	if (sqlite3_changes(s->db) != 1)
		return fb_err(FB_ERR_NOENT, "no case %lld",
		    (long long)ev->case_id);
	if ((rc = store_cached(s, "INSERT INTO case_events(case_id,event_time,"
	    "recorded_time,actor,actor_kind,kind,text,data,finding,evidence) "
	    "VALUES(?1,?2,?3,?4,?5,?6,?7,?8,nullif(?9,0),nullif(?10,0))",
	    &st)) != 0)
		return rc;
	sqlite3_bind_int64(st, 1, ev->case_id);
	store_bind_text(st, 2, when);
	store_bind_text(st, 3, now);
	store_bind_text(st, 4, ev->actor ? ev->actor : s->actor.user);
	store_bind_text(st, 5, store_actor_kind_name(ev->actor_kind));
	store_bind_text(st, 6, ev->kind);
	store_bind_text(st, 7, ev->text);
	store_bind_text(st, 8, ev->data);
	sqlite3_bind_int64(st, 9, ev->finding);
	sqlite3_bind_int64(st, 10, ev->evidence);
	if (sqlite3_step(st) != SQLITE_DONE)
		return store_sqlerr(s, "append to a case's timeline");
	if (id != NULL)
		*id = sqlite3_last_insert_rowid(s->db);
	return 0;
}

/* A simple event: text only. */
static int
event(struct store *s, int64_t case_id, const char *kind,
    enum store_actor_kind ak, int64_t finding, const char *data,
    const char *fmt, ...) FB_ATTR_PRINTF(7, 8);
static int
event(struct store *s, int64_t case_id, const char *kind,
    enum store_actor_kind ak, int64_t finding, const char *data,
    const char *fmt, ...)
{
	struct store_case_event_in ev = {
		.case_id = case_id, .kind = kind, .event_time = STORE_TIME_UNSET,
		.actor_kind = ak, .finding = finding, .data = data,
	};
	struct fb_buf b = FB_BUF_INIT;
	va_list ap;
	int rc;

	va_start(ap, fmt);
	fb_buf_vaddf(&b, fmt, ap);
	va_end(ap);
	ev.text = b.data;
	rc = store_case_event_add_tx(s, &ev, NULL);
	fb_buf_release(&b);
	return rc;
}

/* The case's status and merge state; -FB_ERR_NOENT if none. */
static int
case_lookup(struct store *s, int64_t id, char status[16], int64_t *merged)
{
	sqlite3_stmt *st;
	int rc;

	if ((rc = store_cached(s, "SELECT status, coalesce(merged_into,0) "
	    "FROM cases WHERE id=?1", &st)) != 0)
		return rc;
	sqlite3_bind_int64(st, 1, id);
	if (sqlite3_step(st) != SQLITE_ROW)
		return fb_err(FB_ERR_NOENT, "no case %lld", (long long)id);
	if (status != NULL)
		snprintf(status, 16, "%s", store_col_text(st, 0));
	if (merged != NULL)
		*merged = sqlite3_column_int64(st, 1);
	sqlite3_reset(st);
	return 0;
}

/* A case that can take changes: exists and was not merged away. */
static int
case_live(struct store *s, int64_t id)
{
	int64_t merged = 0;
	int rc;

	if ((rc = case_lookup(s, id, NULL, &merged)) != 0)
		return rc;
	if (merged != 0)
		return fb_err(FB_ERR_REFUSED, "case %lld was merged into case "
		    "%lld", (long long)id, (long long)merged);
	return 0;
}

/*
 * Link one finding (in the caller's transaction). keep_grouped: leave a
 * finding that is already in a case where it is (correlation proposes
 * only for ungrouped findings; one grouped since must not move silently).
 */
static int
link_one(struct store *s, int64_t id, int64_t fid, const char *reason,
    enum store_actor_kind ak, int keep_grouped)
{
	sqlite3_stmt *st;
	struct fb_json *j;
	char *data, *title, when[FB_TIME_LEN];
	int64_t old;
	int rc;

	if ((rc = store_cached(s, "SELECT coalesce(case_id,0), title, "
	    "coalesce(event_time,first_seen) FROM findings WHERE id=?1",
	    &st)) != 0)
		return rc;
	sqlite3_bind_int64(st, 1, fid);
	if (sqlite3_step(st) != SQLITE_ROW)
		return fb_err(FB_ERR_NOENT, "no finding %lld", (long long)fid);
	old = sqlite3_column_int64(st, 0);
	title = xstrdup(store_col_text(st, 1));
	snprintf(when, sizeof(when), "%s", store_col_text(st, 2));
	sqlite3_reset(st);
	if (old == id || (old != 0 && keep_grouped)) {
		free(title);
		return 0;
	}
	if ((rc = store_cached(s, "UPDATE findings SET case_id=?1 WHERE id=?2",
	    &st)) != 0)
		goto out;
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_int64(st, 2, fid);
	if (sqlite3_step(st) != SQLITE_DONE) {
		rc = store_sqlerr(s, "link a finding");
		goto out;
	}
	j = fb_json_new();
	fb_json_obj_begin(j);
	fb_json_kstr(j, "reason", reason);
	/* The source's time as linked: a finding that fires again later
	 * moves its event_time, but the incident began at the first. */
	fb_json_kstr(j, "event_time", when);
	if (old != 0)
		fb_json_kint(j, "from_case", old);
	fb_json_obj_end(j);
	data = fb_json_finish(j);
	rc = event(s, id, STORE_EV_LINK, ak, fid, data,
	    "finding #%lld linked (%s): %s", (long long)fid, reason, title);
	free(data);
	if (rc == 0 && old != 0)
		rc = event(s, old, STORE_EV_UNLINK, ak, fid, NULL,
		    "finding #%lld moved to case #%lld", (long long)fid,
		    (long long)id);
out:
	free(title);
	return rc;
}

static int
new_case(struct store *s, const struct store_case_in *in,
    const char *const *reasons, int64_t *id_out)
{
	sqlite3_stmt *st;
	struct fb_json *j;
	char now[FB_TIME_LEN], *detail = NULL, *obj = NULL;
	int64_t id;
	int sev = in->severity, rc;
	size_t i;

	if (in->title == NULL || *in->title == '\0')
		return fb_err(FB_ERR_INVAL, "a case needs a title");
	if (strlen(in->title) > STORE_CASE_TITLE_MAX)
		return fb_err(FB_ERR_LIMIT, "a case title is at most %d bytes",
		    STORE_CASE_TITLE_MAX);
	for (i = 0; i < in->nfindings; i++) {
		const char *r = reasons ? reasons[i] : in->reason;
		if (r != NULL && strlen(r) > STORE_CASE_REASON_MAX)
			return fb_err(FB_ERR_LIMIT, "a link reason is at most "
			    "%d bytes", STORE_CASE_REASON_MAX);
	}
	if ((rc = store_begin(s)) != 0)
		return rc;
	if (sev < 0) {
		sev = 2;
		if (in->nfindings > 0) {
			if ((rc = store_cached(s, "SELECT severity FROM findings "
			    "WHERE id=?1", &st)) != 0)
				goto fail;
			sev = 0;
			for (i = 0; i < in->nfindings; i++) {
				sqlite3_reset(st);
				sqlite3_bind_int64(st, 1, in->findings[i]);
				if (sqlite3_step(st) == SQLITE_ROW &&
				    sqlite3_column_int(st, 0) > sev)
					sev = sqlite3_column_int(st, 0);
			}
			sqlite3_reset(st);
		}
	}
	fb_time_fmt(fb_time_now(), now);
	if ((rc = store_cached(s, "INSERT INTO cases(title,severity,opened_at,"
	    "opened_by,updated_at) VALUES(?1,?2,?3,?4,?3)", &st)) != 0)
		goto fail;
	store_bind_text(st, 1, in->title);
	sqlite3_bind_int(st, 2, sev);
	store_bind_text(st, 3, now);
	store_bind_text(st, 4, s->actor.user);
	if (sqlite3_step(st) != SQLITE_DONE) {
		rc = store_sqlerr(s, "open a case");
		goto fail;
	}
	id = sqlite3_last_insert_rowid(s->db);
	if ((rc = event(s, id, STORE_EV_CREATED, in->actor_kind, 0, NULL,
	    "case opened: %s", in->title)) != 0)
		goto fail;
	for (i = 0; i < in->nfindings; i++) {
		const char *r = reasons ? reasons[i] :
		    in->reason ? in->reason : "by hand";
		if ((rc = link_one(s, id, in->findings[i], r,
		    in->actor_kind, reasons != NULL)) != 0)
			goto fail;
	}
	j = fb_json_new();
	fb_json_obj_begin(j);
	fb_json_kstr(j, "title", in->title);
	fb_json_kstr(j, "severity", filter_severity_name(sev));
	fb_json_key(j, "findings");
	fb_json_arr_begin(j);
	for (i = 0; i < in->nfindings; i++) {
		if (reasons != NULL) {
			fb_json_obj_begin(j);
			fb_json_kint(j, "id", in->findings[i]);
			fb_json_kstr(j, "reason", reasons[i]);
			fb_json_obj_end(j);
		} else
			fb_json_int(j, in->findings[i]);
	}
	fb_json_arr_end(j);
	if (reasons == NULL && in->nfindings > 0)
		fb_json_kstr(j, "reason", in->reason ? in->reason : "by hand");
	fb_json_obj_end(j);
	detail = fb_json_finish(j);
	obj = case_obj(id);
	if ((rc = store_audit(s, in->actor_kind, "case.new", obj, detail,
	    NULL)) != 0)
		goto fail;
	free(detail);
	free(obj);
	if ((rc = store_commit(s)) != 0)
		return rc;
	*id_out = id;
	return 0;
fail:
	free(detail);
	free(obj);
	store_rollback(s);
	return rc;
}

int
store_case_new(struct store *s, const struct store_case_in *in, int64_t *id)
{
	return new_case(s, in, NULL, id);
}

int
store_case_new_grouped(struct store *s, const struct store_case_in *in,
    const char *const *reasons, int64_t *id)
{
	return new_case(s, in, reasons, id);
}

/* Begin, check the case is live; the caller commits or rolls back. */
static int
begin_live(struct store *s, int64_t id)
{
	int rc;

	if ((rc = store_begin(s)) != 0)
		return rc;
	if ((rc = case_live(s, id)) != 0)
		store_rollback(s);
	return rc;
}

static int
finish(struct store *s, int rc, enum store_actor_kind ak, const char *action,
    int64_t id, struct fb_json *j)
{
	char *detail = fb_json_finish(j), *obj = case_obj(id);

	if (rc == 0)
		rc = store_audit(s, ak, action, obj, detail, NULL);
	free(detail);
	free(obj);
	if (rc == 0)
		return store_commit(s);
	store_rollback(s);
	return rc;
}

static void
json_ids(struct fb_json *j, const char *key, const int64_t *ids, size_t n)
{
	size_t i;

	fb_json_key(j, key);
	fb_json_arr_begin(j);
	for (i = 0; i < n; i++)
		fb_json_int(j, ids[i]);
	fb_json_arr_end(j);
}

int
store_case_link(struct store *s, int64_t id, const int64_t *findings,
    size_t n, const char *reason, enum store_actor_kind kind)
{
	struct fb_json *j;
	size_t i;
	int rc;

	if (reason == NULL || *reason == '\0')
		reason = "by hand";
	if (strlen(reason) > STORE_CASE_REASON_MAX)
		return fb_err(FB_ERR_LIMIT, "a link reason is at most %d bytes",
		    STORE_CASE_REASON_MAX);
	if ((rc = begin_live(s, id)) != 0)
		return rc;
	for (i = 0; i < n && rc == 0; i++)
		rc = link_one(s, id, findings[i], reason, kind, 0);
	j = fb_json_new();
	fb_json_obj_begin(j);
	json_ids(j, "findings", findings, n);
	fb_json_kstr(j, "reason", reason);
	fb_json_obj_end(j);
	return finish(s, rc, kind, "case.link", id, j);
}

int
store_case_unlink(struct store *s, int64_t id, const int64_t *findings,
    size_t n)
{
	sqlite3_stmt *st;
	struct fb_json *j;
	size_t i;
	int rc;

	if ((rc = begin_live(s, id)) != 0)
		return rc;
	for (i = 0; i < n && rc == 0; i++) {
		if ((rc = store_cached(s, "UPDATE findings SET case_id=NULL "
		    "WHERE id=?1 AND case_id=?2", &st)) != 0)
			break;
		sqlite3_bind_int64(st, 1, findings[i]);
		sqlite3_bind_int64(st, 2, id);
		if (sqlite3_step(st) != SQLITE_DONE) {
			rc = store_sqlerr(s, "unlink a finding");
			break;
		}
		if (sqlite3_changes(s->db) != 1) {
			rc = fb_err(FB_ERR_NOENT, "finding %lld is not in case "
			    "%lld", (long long)findings[i], (long long)id);
			break;
		}
		rc = event(s, id, STORE_EV_UNLINK, STORE_ACTOR_HUMAN,
		    findings[i], NULL, "finding #%lld unlinked",
		    (long long)findings[i]);
	}
	j = fb_json_new();
	fb_json_obj_begin(j);
	json_ids(j, "findings", findings, n);
	fb_json_obj_end(j);
	return finish(s, rc, STORE_ACTOR_HUMAN, "case.unlink", id, j);
}

/* The evidence items of a case (caller frees). */
static int
case_evidence_ids(struct store *s, int64_t id, int64_t **out, size_t *n)
{
	sqlite3_stmt *st;
	int64_t *ids = NULL;
	int rc, r;

	*n = 0;
	if ((rc = store_prepare(s, "SELECT id FROM evidence WHERE case_id=?1 "
	    "ORDER BY id", &st)) != 0)
		return rc;
	sqlite3_bind_int64(st, 1, id);
	while ((r = sqlite3_step(st)) == SQLITE_ROW) {
		ids = xrealloc(ids, (*n + 1) * sizeof(*ids));
		ids[(*n)++] = sqlite3_column_int64(st, 0);
	}
	if (r != SQLITE_DONE)
		rc = store_sqlerr(s, "list a case's evidence");
	sqlite3_finalize(st);
	*out = ids;
	return rc;
}

/* Evidence that changes case changes hands: each item's custody says so. */
static int
custody_moved(struct store *s, const int64_t *ids, size_t n, int64_t from,
    int64_t into)
{
	char holder[48], note[96];
	size_t i;
	int rc = 0;

	snprintf(holder, sizeof(holder), "case #%lld", (long long)into);
	snprintf(note, sizeof(note), "case #%lld merged into case #%lld",
	    (long long)from, (long long)into);
	for (i = 0; i < n && rc == 0; i++) {
		struct store_custody_in c = {
			.evidence = ids[i], .action = "transferred",
			.holder = holder, .note = note,
			.actor_kind = STORE_ACTOR_HUMAN,
		};
		rc = store_custody_append_tx(s, &c, NULL);
	}
	return rc;
}

int
store_case_merge(struct store *s, int64_t from, int64_t into)
{
	sqlite3_stmt *st;
	struct fb_json *j;
	char now[FB_TIME_LEN];
	int64_t nf = 0, ne = 0, *moved = NULL;
	size_t nmoved = 0;
	int rc;

	if (from == into)
		return fb_err(FB_ERR_INVAL, "cannot merge case %lld into itself",
		    (long long)from);
	if ((rc = begin_live(s, from)) != 0)
		return rc;
	if ((rc = case_live(s, into)) != 0)
		goto fail;
	fb_time_fmt(fb_time_now(), now);
	if ((rc = store_prepare(s, "UPDATE findings SET case_id=?2 WHERE "
	    "case_id=?1", &st)) != 0)
		goto fail;
	sqlite3_bind_int64(st, 1, from);
	sqlite3_bind_int64(st, 2, into);
	rc = sqlite3_step(st) == SQLITE_DONE ? 0 :
	    store_sqlerr(s, "move findings");
	nf = sqlite3_changes(s->db);
	sqlite3_finalize(st);
	if (rc != 0)
		goto fail;
	if ((rc = case_evidence_ids(s, from, &moved, &nmoved)) != 0)
		goto fail;
	if ((rc = store_prepare(s, "UPDATE evidence SET case_id=?2 WHERE "
	    "case_id=?1", &st)) != 0)
		goto fail;
	sqlite3_bind_int64(st, 1, from);
	sqlite3_bind_int64(st, 2, into);
	rc = sqlite3_step(st) == SQLITE_DONE ? 0 :
	    store_sqlerr(s, "move evidence");
	ne = sqlite3_changes(s->db);
	sqlite3_finalize(st);
	if (rc != 0)
		goto fail;
	rc = custody_moved(s, moved, nmoved, from, into);
	free(moved);
	moved = NULL;
	if (rc != 0)
		goto fail;
	/* The merged case's clocks count for the one that absorbs it. */
	if ((rc = store_prepare(s, "UPDATE cases SET severity=max(severity,"
	    "(SELECT severity FROM cases WHERE id=?1)),first_action_at="
	    "CASE WHEN first_action_at IS NULL THEN (SELECT first_action_at "
	    "FROM cases WHERE id=?1) ELSE min(first_action_at,coalesce("
	    "(SELECT first_action_at FROM cases WHERE id=?1),first_action_at))"
	    " END WHERE id=?2", &st)) != 0)
		goto fail;
	sqlite3_bind_int64(st, 1, from);
	sqlite3_bind_int64(st, 2, into);
	rc = sqlite3_step(st) == SQLITE_DONE ? 0 :
	    store_sqlerr(s, "merge cases");
	sqlite3_finalize(st);
	if (rc != 0)
		goto fail;
	if ((rc = event(s, from, STORE_EV_MERGE, STORE_ACTOR_HUMAN, 0, NULL,
	    "merged into case #%lld (%lld findings, %lld evidence items)",
	    (long long)into, (long long)nf, (long long)ne)) != 0)
		goto fail;
	if ((rc = event(s, into, STORE_EV_MERGE, STORE_ACTOR_HUMAN, 0, NULL,
	    "case #%lld merged in (%lld findings, %lld evidence items)",
	    (long long)from, (long long)nf, (long long)ne)) != 0)
		goto fail;
	if ((rc = store_prepare(s, "UPDATE cases SET merged_into=?2, "
	    "status='closed', closed_at=coalesce(closed_at,?3), updated_at=?3 "
	    "WHERE id=?1", &st)) != 0)
		goto fail;
	sqlite3_bind_int64(st, 1, from);
	sqlite3_bind_int64(st, 2, into);
	store_bind_text(st, 3, now);
	rc = sqlite3_step(st) == SQLITE_DONE ? 0 :
	    store_sqlerr(s, "close the merged case");
	sqlite3_finalize(st);
	j = fb_json_new();
	fb_json_obj_begin(j);
	fb_json_kint(j, "into", into);
	fb_json_kint(j, "findings", nf);
	fb_json_kint(j, "evidence", ne);
	fb_json_obj_end(j);
	return finish(s, rc, STORE_ACTOR_HUMAN, "case.merge", from, j);
fail:
	free(moved);
	store_rollback(s);
	return rc;
}

int
store_case_note(struct store *s, int64_t id, const char *text)
{
	struct store_case_event_in ev = {
		.case_id = id, .kind = STORE_EV_NOTE,
		.event_time = STORE_TIME_UNSET, .actor_kind = STORE_ACTOR_HUMAN,
		.text = text,
	};
	struct fb_json *j;
	int rc;

	if (text == NULL || *text == '\0')
		return fb_err(FB_ERR_INVAL, "an empty note");
	if (strlen(text) > STORE_CASE_TEXT_MAX)
		return fb_err(FB_ERR_LIMIT, "a note is at most %d bytes",
		    STORE_CASE_TEXT_MAX);
	if ((rc = begin_live(s, id)) != 0)
		return rc;
	rc = store_case_event_add_tx(s, &ev, NULL);
	j = fb_json_new();
	fb_json_obj_begin(j);
	fb_json_kstr(j, "text", text);
	fb_json_obj_end(j);
	return finish(s, rc, STORE_ACTOR_HUMAN, "case.note", id, j);
}

int
store_case_set_status(struct store *s, int64_t id, const char *state,
    const char *reason)
{
	sqlite3_stmt *st;
	struct fb_json *j;
	char old[16], now[FB_TIME_LEN];
	int rc;

	if (!store_case_state_valid(state))
		return fb_err(FB_ERR_INVAL, "unknown case state '%s' (states: "
		    STORE_CASE_STATES ")", state);
	if ((rc = begin_live(s, id)) != 0)
		return rc;
	if ((rc = case_lookup(s, id, old, NULL)) != 0)
		goto fail;
	if (strcmp(old, state) == 0) {
		store_rollback(s);
		return fb_err(FB_ERR_INVAL, "case %lld is already %s",
		    (long long)id, state);
	}
	fb_time_fmt(fb_time_now(), now);
	/*
	 * Reaching a later state implies the earlier ones happened by then;
	 * reopening keeps the past times but the case is no longer closed.
	 */
	if ((rc = store_prepare(s, "UPDATE cases SET status=?2, "
	    "contained_at=CASE WHEN ?2<>'open' THEN coalesce(contained_at,?3) "
	    "ELSE contained_at END,"
	    "eradicated_at=CASE WHEN ?2 IN ('eradicated','recovered','closed') "
	    "THEN coalesce(eradicated_at,?3) ELSE eradicated_at END,"
	    "recovered_at=CASE WHEN ?2 IN ('recovered','closed') THEN "
	    "coalesce(recovered_at,?3) ELSE recovered_at END,"
	    "closed_at=CASE WHEN ?2='closed' THEN ?3 ELSE NULL END "
	    "WHERE id=?1", &st)) != 0)
		goto fail;
	sqlite3_bind_int64(st, 1, id);
	store_bind_text(st, 2, state);
	store_bind_text(st, 3, now);
	rc = sqlite3_step(st) == SQLITE_DONE ? 0 :
	    store_sqlerr(s, "change a case's status");
	sqlite3_finalize(st);
	if (rc != 0)
		goto fail;
	if (strcmp(old, "closed") == 0)
		rc = event(s, id, STORE_EV_STATUS, STORE_ACTOR_HUMAN, 0, NULL,
		    "reopened: %s -> %s%s%s", old, state, reason ? ": " : "",
		    reason ? reason : "");
	else
		rc = event(s, id, STORE_EV_STATUS, STORE_ACTOR_HUMAN, 0, NULL,
		    "status: %s -> %s%s%s", old, state, reason ? ": " : "",
		    reason ? reason : "");
	j = fb_json_new();
	fb_json_obj_begin(j);
	fb_json_kstr(j, "from", old);
	fb_json_kstr(j, "to", state);
	fb_json_kstr(j, "reason", reason);
	fb_json_obj_end(j);
	return finish(s, rc, STORE_ACTOR_HUMAN, "case.status", id, j);
fail:
	store_rollback(s);
	return rc;
}

int
store_case_assign(struct store *s, int64_t id, const char *user)
{
	sqlite3_stmt *st;
	struct fb_json *j;
	int rc;

	if (user == NULL || *user == '\0')
		return fb_err(FB_ERR_INVAL, "assign to whom?");
	if ((rc = begin_live(s, id)) != 0)
		return rc;
	if ((rc = store_prepare(s, "UPDATE cases SET owner=?2 WHERE id=?1",
	    &st)) != 0)
		goto fail;
	sqlite3_bind_int64(st, 1, id);
	store_bind_text(st, 2, user);
	rc = sqlite3_step(st) == SQLITE_DONE ? 0 :
	    store_sqlerr(s, "assign a case");
	sqlite3_finalize(st);
	if (rc == 0)
		rc = event(s, id, STORE_EV_ASSIGN, STORE_ACTOR_HUMAN, 0, NULL,
		    "assigned to %s", user);
	j = fb_json_new();
	fb_json_obj_begin(j);
	fb_json_kstr(j, "owner", user);
	fb_json_obj_end(j);
	return finish(s, rc, STORE_ACTOR_HUMAN, "case.assign", id, j);
fail:
	store_rollback(s);
	return rc;
}

/* ---- reading ------------------------------------------------------------ */

/* Clock start: the earliest linked finding's source time, else opening. */
#define FIRST_EVENT_SQL                                                     \
	"coalesce((SELECT min(t) FROM (SELECT coalesce(g.event_time,"        \
	"g.first_seen) AS t FROM findings g WHERE g.case_id=c.id UNION ALL " \
	"SELECT json_extract(e.data,'$.event_time') FROM case_events e JOIN " \
	"findings g ON g.id=e.finding AND g.case_id=c.id WHERE "             \
	"e.kind='link' AND json_valid(e.data))),c.opened_at)"
#define SINCE_SQL(col)                                                      \
	"CASE WHEN c." col " IS NULL THEN -1 ELSE max(0,unixepoch(c." col   \
	")-unixepoch(" FIRST_EVENT_SQL ")) END"
#define CASE_COLS                                                           \
	"c.id,c.title,c.severity,c.status,c.owner,c.opened_at,c.opened_by,"  \
	"c.updated_at," FIRST_EVENT_SQL ",c.first_action_at,c.contained_at,"  \
	"c.eradicated_at,c.recovered_at,c.closed_at,coalesce(c.merged_into,0),"\
	"(SELECT count(*) FROM findings g WHERE g.case_id=c.id),"             \
	"(SELECT count(*) FROM evidence e WHERE e.case_id=c.id),"             \
	SINCE_SQL("first_action_at") "," SINCE_SQL("contained_at") ","       \
	SINCE_SQL("closed_at")
#define SEV_NAME_SQL(col)                                                   \
	"CASE " col " WHEN 0 THEN 'info' WHEN 1 THEN 'low' WHEN 2 THEN "    \
	"'medium' WHEN 3 THEN 'high' ELSE 'critical' END"
#define CLOCK_JSON(col)                                                     \
	"CASE WHEN (" SINCE_SQL(col) ")<0 THEN NULL ELSE (" SINCE_SQL(col) ") END"
#define CASE_JSON                                                           \
	"'id',c.id,'title',c.title,'severity'," SEV_NAME_SQL("c.severity")   \
	",'status',c.status,'owner',c.owner,'opened',c.opened_at,"           \
	"'opened_by',c.opened_by,'updated',c.updated_at,"                    \
	"'first_event'," FIRST_EVENT_SQL ",'first_action',c.first_action_at,"\
	"'contained',c.contained_at,'eradicated',c.eradicated_at,"           \
	"'recovered',c.recovered_at,'closed',c.closed_at,"                   \
	"'merged_into',c.merged_into,"                                       \
	"'findings',(SELECT count(*) FROM findings g WHERE g.case_id=c.id)," \
	"'evidence',(SELECT count(*) FROM evidence e WHERE e.case_id=c.id)," \
	"'clocks',json_object('to_first_action'," CLOCK_JSON("first_action_at")\
	",'to_contained'," CLOCK_JSON("contained_at") ",'to_closed',"        \
	CLOCK_JSON("closed_at") ")"

/* Split a filter: terms about the case itself, and terms its findings
 * must match (at least one linked finding). */
static int
case_query_sql(const struct store_case_query *q, const char *cols,
    struct fb_buf *sql, struct store_binds *b)
{
	struct filter own = { 0 }, fnd = { 0 };
	size_t i;
	int rc = 0;

	fb_buf_addf(sql, "SELECT %s FROM cases c WHERE 1", cols);
	if (!q->all)
		fb_buf_addstr(sql, " AND c.merged_into IS NULL");
	if (q->filter != NULL && q->filter->n > 0) {
		own.terms = xcalloc(q->filter->n, sizeof(*own.terms));
		fnd.terms = xcalloc(q->filter->n, sizeof(*fnd.terms));
		for (i = 0; i < q->filter->n; i++) {
			const struct filter_term *t = &q->filter->terms[i];

			switch (t->field) {
			case FILTER_F_ID: case FILTER_F_SEVERITY:
			case FILTER_F_STATUS: case FILTER_F_TITLE:
			case FILTER_F_CASE: case FILTER_F_SINCE:
			case FILTER_F_UNTIL:
				own.terms[own.n++] = *t;
				break;
			default:
				fnd.terms[fnd.n++] = *t;
				break;
			}
		}
		if (own.n > 0) {
			/* The case as a findings-shaped row, so the one filter
			 * translation serves; since/until apply to opening. */
			fb_buf_addstr(sql, " AND c.id IN (SELECT f.id FROM "
			    "(SELECT id, severity, status, title, id AS case_id, "
			    "opened_at AS last_seen FROM cases) f WHERE 1");
			rc = store_filter_sql(&own, sql, b);
			fb_buf_addch(sql, ')');
		}
		if (rc == 0 && fnd.n > 0) {
			fb_buf_addstr(sql, " AND EXISTS (SELECT 1 FROM findings f "
			    "WHERE f.case_id=c.id");
			rc = store_filter_sql(&fnd, sql, b);
			fb_buf_addch(sql, ')');
		}
		free(own.terms);
		free(fnd.terms);
	}
	fb_buf_addstr(sql, " ORDER BY (c.status='closed'), c.severity DESC, "
	    "c.updated_at DESC, c.id DESC");
	if (q->limit > 0)
		fb_buf_addf(sql, " LIMIT %lld", (long long)q->limit);
	return rc;
}

static int
case_prepare(struct store *s, const struct store_case_query *q,
    const char *cols, sqlite3_stmt **st)
{
	struct fb_buf sql = FB_BUF_INIT;
	struct store_binds b = { .n = 0 };
	int rc;

	if ((rc = case_query_sql(q, cols, &sql, &b)) == 0 &&
	    (rc = store_prepare(s, sql.data, st)) == 0)
		store_binds_apply(*st, &b, 1);
	store_binds_release(&b);
	fb_buf_release(&sql);
	return rc;
}

static int
case_rows(struct store *s, sqlite3_stmt *st, store_case_cb cb, void *ctx,
    int *nrows)
{
	int r, rc = 0;

	*nrows = 0;
	while ((r = sqlite3_step(st)) == SQLITE_ROW) {
		struct store_case_row row = {
			.id = sqlite3_column_int64(st, 0),
			.title = store_col_text(st, 1),
			.severity = sqlite3_column_int(st, 2),
			.status = store_col_text(st, 3), .owner = store_col_text(st, 4),
			.opened = store_col_text(st, 5), .opened_by = store_col_text(st, 6),
			.updated = store_col_text(st, 7), .first_event = store_col_text(st, 8),
			.first_action = store_col_text(st, 9),
			.contained = store_col_text(st, 10),
			.eradicated = store_col_text(st, 11),
			.recovered = store_col_text(st, 12), .closed = store_col_text(st, 13),
			.merged_into = sqlite3_column_int64(st, 14),
			.nfindings = sqlite3_column_int64(st, 15),
			.nevidence = sqlite3_column_int64(st, 16),
			.clocks = {
				.to_first_action = sqlite3_column_int64(st, 17),
				.to_contained = sqlite3_column_int64(st, 18),
				.to_closed = sqlite3_column_int64(st, 19),
			},
		};
		(*nrows)++;
		if ((rc = cb(ctx, &row)) != 0)
			return rc;
	}
	if (r != SQLITE_DONE)
		return store_sqlerr(s, "list cases");
	return 0;
}

int
store_cases_ls(struct store *s, const struct store_case_query *q,
    store_case_cb cb, void *ctx)
{
	sqlite3_stmt *st;
	int rc, n;

	if ((rc = case_prepare(s, q, CASE_COLS, &st)) != 0)
		return rc;
	rc = case_rows(s, st, cb, ctx, &n);
	sqlite3_finalize(st);
	return rc;
}

int
store_cases_ls_json(struct store *s, const struct store_case_query *q,
    store_json_cb cb, void *ctx)
{
	sqlite3_stmt *st;
	int rc;

	if ((rc = case_prepare(s, q, "json_object(" CASE_JSON ")", &st)) != 0)
		return rc;
	rc = store_json_rows(s, st, cb, ctx);
	sqlite3_finalize(st);
	return rc;
}

int
store_case_get(struct store *s, int64_t id, store_case_cb cb, void *ctx)
{
	sqlite3_stmt *st;
	int rc, n;

	if ((rc = store_prepare(s, "SELECT " CASE_COLS " FROM cases c WHERE "
	    "c.id=?1", &st)) != 0)
		return rc;
	sqlite3_bind_int64(st, 1, id);
	rc = case_rows(s, st, cb, ctx, &n);
	sqlite3_finalize(st);
	if (rc == 0 && n == 0)
		rc = fb_err(FB_ERR_NOENT, "no case %lld", (long long)id);
	return rc;
}

int
store_case_show_json(struct store *s, int64_t id, char **json)
{
	sqlite3_stmt *st;
	int rc;

	if ((rc = store_prepare(s, "SELECT json_object(" CASE_JSON ","
	    "'linked',(SELECT json_group_array(json(x)) FROM (SELECT "
	    "json_object('id',f.id,'title',f.title,'severity',"
	    SEV_NAME_SQL("f.severity") ",'status',f.status,'source',f.source,"
	    "'event_time',f.event_time,'reason',(SELECT json_extract(e.data,"
	    "'$.reason') FROM case_events e WHERE e.case_id=c.id AND "
	    "e.finding=f.id AND e.kind='link' ORDER BY e.id DESC LIMIT 1)) AS x "
	    "FROM findings f WHERE f.case_id=c.id ORDER BY f.severity DESC, "
	    "f.id)),'evidence_items',(SELECT json_group_array(e.id) FROM "
	    "(SELECT id FROM evidence WHERE case_id=c.id ORDER BY id) e),"
	    "'merged_from',(SELECT json_group_array(m.id) FROM (SELECT id FROM "
	    "cases WHERE merged_into=c.id ORDER BY id) m)) FROM cases c "
	    "WHERE c.id=?1", &st)) != 0)
		return rc;
	sqlite3_bind_int64(st, 1, id);
	if (sqlite3_step(st) == SQLITE_ROW)
		*json = xstrdup(store_col_text(st, 0));
	else
		rc = fb_err(FB_ERR_NOENT, "no case %lld", (long long)id);
	sqlite3_finalize(st);
	return rc;
}

/*
 * The timeline: the case's own events and those of the cases merged into
 * it, each linked finding's source event, and the ingests that saw it.
 */
#define TIMELINE_SQL                                                        \
	"WITH RECURSIVE tree(id) AS (SELECT ?1 UNION SELECT c.id FROM cases "\
	"c JOIN tree t ON c.merged_into=t.id), "                             \
	"tl(id,event_time,recorded_time,actor,actor_kind,kind,text,data,"   \
	"finding,evidence) AS ("                                             \
	"SELECT e.id,e.event_time,e.recorded_time,e.actor,e.actor_kind,"    \
	"e.kind,CASE WHEN e.case_id<>?1 THEN '[case #'||e.case_id||'] ' "   \
	"ELSE '' END||coalesce(e.text,''),e.data,e.finding,e.evidence "     \
	"FROM case_events e WHERE e.case_id IN (SELECT id FROM tree) "      \
	"UNION ALL SELECT 0,coalesce((SELECT min(json_extract(l.data,"       \
	"'$.event_time')) FROM case_events l WHERE l.finding=f.id AND "      \
	"l.kind='link' AND json_valid(l.data) AND json_extract(l.data,"      \
	"'$.event_time')<coalesce(f.event_time,f.first_seen)),"             \
	"coalesce(f.event_time,f.first_seen)),"                              \
	"f.first_seen,f.source,'source','finding','['||"                     \
	SEV_NAME_SQL("f.severity") "||'] '||f.source||': '||f.title,"        \
	"json_object('rule_id',f.rule_id,'event_time_assumed_utc',"          \
	"f.event_time_assumed_utc,'status',f.status),f.id,NULL "            \
	"FROM findings f WHERE f.case_id=?1 "                                \
	"UNION ALL SELECT 0,i.time,i.time,i.actor,'ingest','ingest',"       \
	"'ingest #'||i.id||' ('||i.format||') saw '||CASE WHEN count(*)=1 " \
	"THEN 'finding #' ELSE 'findings #' END||group_concat(f.id,', #'),"  \
	"json_object('ingest',i.id,'path',i.path,'sha256',i.sha256,"        \
	"'findings',json_group_array(f.id)),CASE WHEN count(*)=1 THEN "     \
	"min(f.id) END,NULL FROM (SELECT * FROM findings WHERE case_id=?1 "  \
	"ORDER BY id) f JOIN ingests i ON i.id IN (f.first_ingest,"         \
	"f.last_ingest) GROUP BY i.id) "

int
store_case_timeline(struct store *s, int64_t id, store_timeline_cb cb,
    void *ctx)
{
	sqlite3_stmt *st;
	int rc, r;

	if ((rc = case_lookup(s, id, NULL, NULL)) != 0)
		return rc;
	if ((rc = store_prepare(s, TIMELINE_SQL "SELECT *, CASE WHEN json_valid(data) THEN "
	    "json_extract(data,'$.reason') END FROM tl ORDER BY "
	    "event_time, recorded_time, id=0 DESC, id, finding", &st)) != 0)
		return rc;
	sqlite3_bind_int64(st, 1, id);
	while ((r = sqlite3_step(st)) == SQLITE_ROW) {
		struct store_timeline_row row = {
			.id = sqlite3_column_int64(st, 0),
			.event_time = store_col_text(st, 1),
			.recorded_time = store_col_text(st, 2),
			.actor = store_col_text(st, 3), .actor_kind = store_col_text(st, 4),
			.kind = store_col_text(st, 5), .text = store_col_text(st, 6),
			.data = store_col_text(st, 7),
			.finding = sqlite3_column_int64(st, 8),
			.evidence = sqlite3_column_int64(st, 9),
			.reason = store_col_text(st, 10),
		};
		if ((rc = cb(ctx, &row)) != 0)
			break;
	}
	if (rc == 0 && r != SQLITE_DONE)
		rc = store_sqlerr(s, "read a timeline");
	sqlite3_finalize(st);
	return rc;
}

int
store_case_timeline_json(struct store *s, int64_t id, store_json_cb cb,
    void *ctx)
{
	sqlite3_stmt *st;
	int rc;

	if ((rc = case_lookup(s, id, NULL, NULL)) != 0)
		return rc;
	if ((rc = store_prepare(s, TIMELINE_SQL "SELECT json_object("
	    "'case',?1,'event_time',event_time,'recorded_time',recorded_time,"
	    "'actor',actor,'actor_kind',actor_kind,'kind',kind,'text',text,"
	    "'data',json(data),'finding',finding,'evidence',evidence) FROM tl "
	    "ORDER BY event_time, recorded_time, id=0 DESC, id, finding",
	    &st)) != 0)
		return rc;
	sqlite3_bind_int64(st, 1, id);
	rc = store_json_rows(s, st, cb, ctx);
	sqlite3_finalize(st);
	return rc;
}

/* ---- correlation material ----------------------------------------------- */

static int
shared_rows(struct store *s, sqlite3_stmt *st,
    int (*cb)(void *ctx, const struct store_shared_row *r), void *ctx)
{
	int r, rc = 0;

	while ((r = sqlite3_step(st)) == SQLITE_ROW) {
		struct store_shared_row row = {
			.finding = sqlite3_column_int64(st, 0),
			.severity = sqlite3_column_int(st, 1),
			.title = store_col_text(st, 2), .source = store_col_text(st, 3),
			.status = store_col_text(st, 4),
			.case_id = sqlite3_column_int64(st, 5),
			.asset_type = store_col_text(st, 6),
			.asset_value = store_col_text(st, 7),
		};
		if ((rc = cb(ctx, &row)) != 0)
			return rc;
	}
	if (r != SQLITE_DONE)
		return store_sqlerr(s, "read shared assets");
	return 0;
}

int
store_case_suggest(struct store *s, int64_t id,
    int (*cb)(void *ctx, const struct store_shared_row *r), void *ctx)
{
	sqlite3_stmt *st;
	int rc;

	if ((rc = case_lookup(s, id, NULL, NULL)) != 0)
		return rc;
	/*
	 * Assets compared loosely (case, a "sha256:" prefix), since two tools
	 * rarely spell one model hash alike; the rules then decide which
	 * asset types tie findings together and word the reason.
	 */
	if ((rc = store_prepare(s, "WITH mine(type, v) AS (SELECT DISTINCT "
	    "a.type, lower(replace(a.value,'sha256:','')) FROM findings cf "
	    "JOIN finding_assets ca ON ca.finding=cf.id JOIN assets a ON "
	    "a.id=ca.asset WHERE cf.case_id=?1), near(id) AS (SELECT a.id "
	    "FROM assets a JOIN mine m ON m.type=a.type AND m.v=lower(replace("
	    "a.value,'sha256:',''))) SELECT DISTINCT f.id, f.severity, "
	    "f.title, f.source, f.status, coalesce(f.case_id,0), a.type, "
	    "a.value FROM near n JOIN finding_assets fa ON fa.asset=n.id JOIN "
	    "findings f ON f.id=fa.finding JOIN assets a ON a.id=n.id WHERE "
	    "coalesce(f.case_id,0)<>?1 AND f.status<>'false_positive' ORDER BY "
	    "f.severity DESC, f.id, a.type, a.value", &st)) != 0)
		return rc;
	sqlite3_bind_int64(st, 1, id);
	rc = shared_rows(s, st, cb, ctx);
	sqlite3_finalize(st);
	return rc;
}

int
store_ungrouped_assets(struct store *s, int min_sev,
    int (*cb)(void *ctx, const struct store_shared_row *r), void *ctx)
{
	struct fb_buf sql = FB_BUF_INIT;
	struct store_binds b = { .n = 0 };
	sqlite3_stmt *st = NULL;
	int rc;

	if ((rc = store_suppressed_sql(s, &sql, &b)) != 0)
		goto out;
	{
		char *supp = fb_buf_detach(&sql, NULL);
		fb_buf_addf(&sql, "SELECT f.id, f.severity, f.title, f.source, "
		    "f.status, 0, a.type, a.value FROM (SELECT f.*, %s AS "
		    "suppressed FROM findings f) f JOIN finding_assets fa ON "
		    "fa.finding=f.id JOIN assets a ON a.id=fa.asset WHERE "
		    "f.case_id IS NULL AND NOT f.suppressed AND f.status IN "
		    "('open','acknowledged') AND f.severity >= %d ORDER BY f.id, "
		    "a.type, a.value", supp, min_sev);
		free(supp);
	}
	if ((rc = store_prepare(s, sql.data, &st)) != 0)
		goto out;
	store_binds_apply(st, &b, 1);
	rc = shared_rows(s, st, cb, ctx);
out:
	sqlite3_finalize(st);
	store_binds_release(&b);
	fb_buf_release(&sql);
	return rc;
}
