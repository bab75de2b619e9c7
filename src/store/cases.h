/*
 * cases.h: cases, their timeline, and the evidence store (blobs, evidence
 * items, custody) — part of the store module, the only sqlite3 caller.
 *
 * Promises:
 *  - A blob is stored once, by SHA-256, at WORKSPACE/blobs/ab/cdef...
 *    (first two hex digits, then the other 62), hashed while it is copied,
 *    written to a temporary file in blobs/, fsynced, then renamed, with the
 *    store's modes (0600 files and 0700 directories, or 0660 and 2770 in a
 *    team workspace). An existing blob is never overwritten.
 *  - Many evidence rows may share one blob. Each evidence row has a
 *    custody chain: append-only rows, each hashing the previous one
 *    (SHA-256 over the canonical JSON of the row without "hash", keys
 *    sorted, no spaces — what `jq -cS 'del(.hash)'` prints), starting
 *    from 64 zeros. The database refuses UPDATE and DELETE on custody.
 *  - Every case has one timeline (case_events) in which event_time (when
 *    it happened, by the source's clock) and recorded_time (when firebreak
 *    wrote it) are kept apart, with the actor and its kind.
 *  - Functions named *_tx run inside the caller's write transaction
 *    (store_begin) and write no audit row: the caller audits its action
 *    once. The others open their own transaction and write their one
 *    audit row.
 *
 * Times given in structs are epoch seconds, STORE_TIME_UNSET when unknown;
 * times returned are RFC 3339 UTC with a Z, or NULL. Strings in row
 * structs are borrowed for the callback only.
 */
#ifndef FB_STORE_CASES_H
#define FB_STORE_CASES_H

#include <stdint.h>

#include "store/store.h"

#define STORE_TIME_UNSET INT64_MIN

/* Bounds on text people type into a case (-FB_ERR_LIMIT beyond). */
#define STORE_CASE_TITLE_MAX 512
#define STORE_CASE_TEXT_MAX 65536   /* a note or a timeline text */
#define STORE_CASE_REASON_MAX 1024

/* ---- case states --------------------------------------------------------
 * open -> contained -> eradicated -> recovered -> closed; any state may be
 * set from any other (a closed case may be reopened). The first time a
 * case reaches contained (or a later state) sets its contained time.
 */
#define STORE_CASE_STATES "open, contained, eradicated, recovered, closed"
/* 1 if name is one of the states. */
int store_case_state_valid(const char *name);

/* ---- timeline event kinds ----------------------------------------------
 * Kinds written by this module are listed first; the others are for the
 * modules that act on hosts and run playbooks.
 */
#define STORE_EV_CREATED       "created"       /* case opened */
#define STORE_EV_FINDING       "finding"       /* a linked finding's source event */
#define STORE_EV_INGEST        "ingest"        /* a linked finding ingested */
#define STORE_EV_LINK          "link"          /* finding linked, with reason */
#define STORE_EV_UNLINK        "unlink"
#define STORE_EV_MERGE         "merge"
#define STORE_EV_NOTE          "note"
#define STORE_EV_STATUS        "status"
#define STORE_EV_ASSIGN        "assign"
#define STORE_EV_FINDING_STATUS "finding_status" /* ack, resolve, reopen */
#define STORE_EV_EVIDENCE      "evidence"
#define STORE_EV_CUSTODY       "custody"
#define STORE_EV_REMOTE_EXEC   "remote_exec"
#define STORE_EV_PLAYBOOK_STEP "playbook_step"

struct store_case_event_in {
	int64_t case_id;
	const char *kind;          /* STORE_EV_* */
	int64_t event_time;        /* when it happened; UNSET: now */
	enum store_actor_kind actor_kind;
	const char *actor;         /* NULL: the acting user */
	const char *text;          /* one line for people */
	const char *data;          /* JSON object text, or NULL */
	int64_t finding;           /* a finding it is about, or 0 */
	int64_t evidence;          /* an evidence item it is about, or 0 */
};
/*
 * Append one timeline row (in the caller's transaction). A human actor
 * starts the case's "first human action" clock if it has not started.
 * Unknown case: -FB_ERR_NOENT.
 */
int store_case_event_add_tx(struct store *s,
    const struct store_case_event_in *ev, int64_t *id);

/* ---- cases --------------------------------------------------------------- */
struct store_case_in {
	const char *title;
	int severity;              /* rank 0..4; -1: the highest linked finding's */
	const int64_t *findings;   /* to link at once (may be NULL) */
	size_t nfindings;
	const char *reason;        /* why these findings belong (NULL: "by hand") */
	enum store_actor_kind actor_kind;
};
/* Open a case (audited "case.new"). */
int store_case_new(struct store *s, const struct store_case_in *in,
    int64_t *id);
/*
 * Open a case whose findings each have their own reason (correlation):
 * reasons[i] goes with in->findings[i]; in->reason is ignored. A
 * finding that is in a case by now is left there. One transaction, one
 * "case.new" audit row listing every link and reason.
 */
int store_case_new_grouped(struct store *s, const struct store_case_in *in,
    const char *const *reasons, int64_t *id);

/*
 * Incident clocks, in seconds from the earliest linked finding's
 * event_time (its first_seen when it has none; the case's opening when it
 * has no findings); -1 while not reached.
 */
struct store_case_clocks {
	int64_t to_first_action, to_contained, to_closed;
};

struct store_case_row {
	int64_t id;
	const char *title;
	int severity;
	const char *status, *owner;
	const char *opened, *opened_by, *updated;
	const char *first_event;   /* the clocks' start */
	const char *first_action, *contained, *eradicated, *recovered, *closed;
	int64_t merged_into;       /* 0 unless merged */
	int64_t nfindings, nevidence;
	struct store_case_clocks clocks;
};
typedef int (*store_case_cb)(void *ctx, const struct store_case_row *r);

struct store_case_query {
	const struct filter *filter; /* id, severity, status, title, since/until
	                                (opened), and asset terms on linked findings */
	int all;                     /* include merged cases */
	int64_t limit;
};
/* Cases, most severe and most recent first. */
int store_cases_ls(struct store *s, const struct store_case_query *q,
    store_case_cb cb, void *ctx);
int store_cases_ls_json(struct store *s, const struct store_case_query *q,
    store_json_cb cb, void *ctx);
/* One case as a row; -FB_ERR_NOENT if none. */
int store_case_get(struct store *s, int64_t id, store_case_cb cb, void *ctx);
/* One case in full (fields, clocks, findings with their link reason,
 * evidence ids) as JSON. Caller frees *json. */
int store_case_show_json(struct store *s, int64_t id, char **json);

/*
 * Link findings to a case, each with a reason (audited "case.link"). A
 * finding already in another case is moved, and both timelines say so.
 */
int store_case_link(struct store *s, int64_t id, const int64_t *findings,
    size_t n, const char *reason, enum store_actor_kind kind);
int store_case_unlink(struct store *s, int64_t id, const int64_t *findings,
    size_t n);
/* Move everything of case from into case into; from is closed as merged. */
int store_case_merge(struct store *s, int64_t from, int64_t into);
int store_case_note(struct store *s, int64_t id, const char *text);
int store_case_set_status(struct store *s, int64_t id, const char *state,
    const char *reason);
int store_case_assign(struct store *s, int64_t id, const char *user);

/* ---- timeline ------------------------------------------------------------
 * One ordered stream (event_time, then recorded_time, then id): the rows
 * of case_events, plus each linked finding's source event and the ingests
 * that saw it, derived when read.
 */
struct store_timeline_row {
	int64_t id;                /* case_events id; 0 for derived rows */
	const char *event_time, *recorded_time;
	const char *actor, *actor_kind, *kind, *text;
	const char *data;          /* JSON object text or NULL */
	int64_t finding, evidence;
	const char *reason;        /* a link's reason (data.reason), or NULL */
};
typedef int (*store_timeline_cb)(void *ctx, const struct store_timeline_row *r);
int store_case_timeline(struct store *s, int64_t id, store_timeline_cb cb,
    void *ctx);
int store_case_timeline_json(struct store *s, int64_t id, store_json_cb cb,
    void *ctx);

/* ---- correlation ---------------------------------------------------------
 * Assets shared between findings: the raw material of `case suggest` and
 * `correlate`. One row per (finding, shared asset).
 */
struct store_shared_row {
	int64_t finding;
	int severity;
	const char *title, *source, *status;
	int64_t case_id;           /* 0 if ungrouped */
	const char *asset_type, *asset_value;
};
/* Findings outside case id that share an asset with its findings. */
int store_case_suggest(struct store *s, int64_t id,
    int (*cb)(void *ctx, const struct store_shared_row *r), void *ctx);
/* Ungrouped, unsuppressed, not-resolved findings of severity >= min_sev,
 * with each of their assets (one row per finding x asset). */
int store_ungrouped_assets(struct store *s, int min_sev,
    int (*cb)(void *ctx, const struct store_shared_row *r), void *ctx);

/* ---- blobs --------------------------------------------------------------- */
struct store_blob {
	char sha256[FB_SHA256_HEX];
	uint64_t size;
};

/* A blob being written: bytes in, hashed as they go to a temporary file. */
struct store_blob_writer;
int store_blob_writer_new(struct store *s, uint64_t limit,
    struct store_blob_writer **out);
/* -FB_ERR_LIMIT past the writer's limit (0: none), -FB_ERR_IO. */
int store_blob_write(struct store_blob_writer *w, const void *p, size_t n);
/* Finish: fsync, rename into place (or drop if already stored); frees w. */
int store_blob_writer_commit(struct store_blob_writer *w,
    struct store_blob *out);
/* Abandon: remove the temporary file; frees w (NULL is fine). */
void store_blob_writer_abort(struct store_blob_writer *w);

/* Copy fd (read to EOF, not closed) / memory into the blob store. */
int store_blob_put_fd(struct store *s, int fd, uint64_t limit,
    struct store_blob *out);
int store_blob_put_mem(struct store *s, const void *p, size_t n,
    struct store_blob *out);
/* The blob's path in the workspace. Caller frees. */
char *store_blob_path(struct store *s, const char *sha256);
/* Open a blob read-only (O_NOFOLLOW); -FB_ERR_NOENT if missing. */
int store_blob_open(struct store *s, const char *sha256, int *fd);

/* ---- evidence ------------------------------------------------------------ */
struct store_evidence_in {
	int64_t case_id;           /* 0: not (yet) in a case */
	struct store_blob blob;    /* from store_blob_* */
	const char *kind;          /* "file", "command-output", "transcript" */
	const char *name;          /* display name (basename), or NULL */
	const char *source_host;   /* NULL: this machine's hostname */
	const char *host_key;      /* "SHA256:..." of the source host, or NULL */
	const char *path;          /* original path, or NULL */
	const char *command;       /* command whose output it is, or NULL */
	const char *collector;     /* "evidence add", "fleet fetch", ... */
	int64_t started, finished; /* collection, by this machine's clock */
	int64_t clock_offset_ms;   /* source clock minus ours; UNSET if unknown */
	int64_t orig_mtime;        /* UNSET if unknown */
	int64_t orig_mode;         /* st_mode bits, -1 if unknown */
	const char *orig_owner;    /* "user:group" or "uid:gid", or NULL */
	const char *note;
	int64_t remote_exec;       /* remote_exec row it came from, or 0 */
	enum store_actor_kind actor_kind;
};
/*
 * Record an evidence item in the caller's transaction: the blob row if
 * new, the evidence row, its first custody row ("collected"), and an
 * "evidence" timeline row when it is in a case.
 */
int store_evidence_add_tx(struct store *s, const struct store_evidence_in *in,
    int64_t *id);
/* The same in its own transaction, audited "evidence.add". */
int store_evidence_add(struct store *s, const struct store_evidence_in *in,
    int64_t *id);

struct store_custody_in {
	int64_t evidence;
	const char *action;        /* collected, transferred, accessed,
	                              exported, verified, attached */
	const char *holder;        /* who or what holds it afterwards, or NULL */
	const char *note;
	enum store_actor_kind actor_kind;
};
/* Append a custody row (caller's transaction); also a "custody" timeline
 * row when the item is in a case. */
int store_custody_append_tx(struct store *s, const struct store_custody_in *c,
    int64_t *seq);

struct store_evidence_row {
	int64_t id, case_id;
	const char *sha256;
	int64_t size;
	const char *kind, *name, *source_host, *host_key, *path, *command;
	const char *collector, *collected_by, *started, *finished;
	int64_t clock_offset_ms;   /* STORE_TIME_UNSET if unknown */
	const char *orig_mtime;
	int64_t orig_mode;         /* -1 if unknown */
	const char *orig_owner, *note;
	int64_t remote_exec;
};
typedef int (*store_evidence_cb)(void *ctx, const struct store_evidence_row *r);
/* case_id 0: every item. */
int store_evidence_ls(struct store *s, int64_t case_id, store_evidence_cb cb,
    void *ctx);
int store_evidence_ls_json(struct store *s, int64_t case_id, store_json_cb cb,
    void *ctx);
/* One item with its custody chain as JSON. Caller frees *json. */
int store_evidence_show_json(struct store *s, int64_t id, char **json);
/* The custody rows of one item (the custody.jsonl shape), in order. */
int store_custody_ls_json(struct store *s, int64_t evidence, store_json_cb cb,
    void *ctx);

struct store_evidence_problem {
	const char *sha256;
	const char *problem;       /* "missing", "size differs", "hash differs",
	                              "custody chain broken at N" */
	int64_t evidence;          /* an item using the blob (0 for blobs) */
};
/*
 * Re-hash every blob and re-walk every custody chain; fn is called for
 * each problem. *checked counts blobs. Returns 0 when all is well,
 * -FB_ERR_TAMPER when anything was reported. Checking is itself recorded:
 * one "evidence.check" audit row.
 */
int store_evidence_check(struct store *s,
    int (*fn)(void *ctx, const struct store_evidence_problem *p), void *ctx,
    int64_t *checked);

#endif
