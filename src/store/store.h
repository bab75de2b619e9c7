/*
 * store: the workspace's SQLite database, and the only code that calls
 * sqlite3_*. It promises: WAL, foreign keys, a busy timeout, every write
 * transaction BEGIN IMMEDIATE, migrations keyed on PRAGMA user_version,
 * and an audit chain row written in the same transaction as each change.
 * JSON it returns is produced by SQLite's JSON functions.
 */
#ifndef FB_STORE_H
#define FB_STORE_H

#include <stdint.h>
#include <sys/types.h>

#include "core/core.h"

struct store;

/* The schema version this build writes; a newer store is refused. */
#define STORE_SCHEMA_VERSION store_schema_version()
int store_schema_version(void);

enum store_open_flags {
	STORE_CREATE = 1 << 0,   /* create the workspace (init) */
	STORE_READONLY = 1 << 1, /* never write, never migrate */
};

/*
 * Where the workspace is: flag (from -w) if given, else FIREBREAK_WORKSPACE,
 * else $XDG_DATA_HOME/firebreak. Caller frees.
 */
char *store_workspace_path(const char *flag);

/*
 * Create a workspace at dir. group == NULL makes it private (0700 dir,
 * 0600 files); a group name makes it a team workspace (setgid 2770 dir,
 * 0660 files). Refuses a directory that already holds a store.
 */
int store_init(const char *dir, const char *group);
/* The mode for a file the workspace keeps: 0660 in a team one, else 0600. */
mode_t store_file_mode(struct store *s);

/*
 * Open the workspace at dir, migrating an older schema unless READONLY.
 * A missing workspace is -FB_ERR_NOWS with a message saying how to create
 * one; a newer schema is -FB_ERR_SCHEMA.
 */
int store_open(const char *dir, int flags, struct store **out);
void store_close(struct store *s);
/* Borrowed: the workspace directory. */
const char *store_dir(const struct store *s);

/* Write transactions: BEGIN IMMEDIATE ... COMMIT, or ROLLBACK. */
int store_begin(struct store *s);
int store_commit(struct store *s);
void store_rollback(struct store *s);
/* A read snapshot: every read until store_read_end sees one state. */
int store_read_begin(struct store *s);
void store_read_end(struct store *s);

/* ---- audit chain ------------------------------------------------------- */
enum store_actor_kind {
	STORE_ACTOR_HUMAN,
	STORE_ACTOR_PLAYBOOK,
	STORE_ACTOR_INGEST,
	STORE_ACTOR_SYSTEM,
};
const char *store_actor_kind_name(enum store_actor_kind k);

/*
 * Append one audit row inside the current write transaction. detail is a
 * JSON object text (or NULL); it is hashed as a string. The new row's seq
 * is written to *seq when seq is not NULL.
 */
int store_audit(struct store *s, enum store_actor_kind kind,
    const char *action, const char *object, const char *detail_json,
    int64_t *seq);

/* One JSON object per row (the audit.jsonl shape), in seq order. */
typedef int (*store_json_cb)(void *ctx, const char *json);
int store_audit_ls(struct store *s, int64_t since_seq, int64_t limit,
    store_json_cb cb, void *ctx);

/* The same rows as fields; strings are borrowed for the callback only. */
struct store_audit_row {
	int64_t seq;
	const char *time, *actor, *actor_kind, *action, *object, *detail;
	const char *hash;
};
typedef int (*store_audit_cb)(void *ctx, const struct store_audit_row *r);
int store_audit_rows(struct store *s, int64_t since_seq, int64_t limit,
    store_audit_cb cb, void *ctx);

struct store_audit_status {
	int64_t rows;          /* rows checked */
	int64_t head_seq;      /* last good row */
	char head_hash[FB_SHA256_HEX];
	int64_t bad_seq;       /* first bad entry (0 when intact) */
	char problem[256];     /* what is wrong with it */
};
/*
 * Walk the chain from the start, or from since_seq whose hash must be
 * since_hash (both 0/NULL for the whole chain). Returns 0 when intact,
 * -FB_ERR_TAMPER with st->bad_seq and st->problem set when not.
 */
int store_audit_verify(struct store *s, int64_t since_seq,
    const char *since_hash, struct store_audit_status *st);
/* The head as kept in meta. */
int store_audit_head(struct store *s, int64_t *seq, char hash[FB_SHA256_HEX]);

/* ---- config ------------------------------------------------------------ */
enum store_config_type {
	STORE_CFG_INT,
	STORE_CFG_SIZE,     /* bytes; accepts 10M, 2G */
	STORE_CFG_DURATION, /* seconds; accepts 30m, 2h, 7d */
	STORE_CFG_BOOL,
	STORE_CFG_STRING,
};
struct store_config_key {
	const char *name;
	enum store_config_type type;
	const char *def;
	const char *doc;
};
/* The table of known keys, NULL-name terminated. */
const struct store_config_key *store_config_keys(void);
const struct store_config_key *store_config_key_find(const char *name);
/* The value (set or default) as text. Caller frees. */
int store_config_get(struct store *s, const char *key, char **value);
/* Integer view of INT/SIZE/DURATION/BOOL keys. */
int store_config_int(struct store *s, const char *key, int64_t *value);
/* Validate, store and audit. value NULL resets to the default. */
int store_config_set(struct store *s, const char *key, const char *value);
/* Parse a value for a key type into its integer form; -FB_ERR_INVAL if bad. */
int store_config_parse(const struct store_config_key *k, const char *value,
    int64_t *out);

/* ---- ingest and findings ----------------------------------------------
 * Severities are ranks 0 (info) .. 4 (critical); filter.h names them.
 */
struct filter;

struct store_ingest {
	const char *path;       /* as given, "-" for stdin */
	const char *sha256;     /* of the input bytes */
	uint64_t size;
	const char *format;
	const char *adapter_version;
	int forced;
};
struct store_ingest_counts {
	int64_t n_new, n_repeat, n_resolved, n_rejected;
};
/* The ingest id that already holds these bytes, or 0. */
int store_ingest_find(struct store *s, const char *sha256, int64_t *id);
/* Start recording an ingest inside the current write transaction. */
int store_ingest_start(struct store *s, const struct store_ingest *in,
    int64_t *id);
/*
 * Resolve in-scope findings that this ingest did not repeat: open or
 * acknowledged findings of scope whose last ingest is older, and of
 * source (when not NULL), else brought by an ingest of format. Adds to
 * c->n_resolved.
 */
int store_ingest_resolve_scope(struct store *s, int64_t ingest_id,
    const char *source, const char *format, const char *scope,
    struct store_ingest_counts *c);
/* Write the counts and scope, and the ingest's one audit row. */
int store_ingest_finish(struct store *s, int64_t ingest_id,
    const struct store_ingest *in, const char *scope,
    const struct store_ingest_counts *c);

struct store_asset_in {
	const char *type, *value, *role;
	const char *attributes; /* JSON object text or NULL */
};
struct store_location_in {
	const char *host, *path;
	int64_t line;           /* 0 if none */
};
struct store_finding_in {
	const char *fingerprint;  /* SHA-256 hex of the identity */
	const char *identity;     /* JSON object: the fields that made it */
	const char *source, *kind, *rule_id, *title, *detail;
	int severity;
	const char *event_time;   /* RFC 3339 UTC, or NULL */
	int event_time_assumed_utc;
	const char *status;       /* initial status from the source, or NULL */
	const char *scope;
	const char *raw;          /* JSON text, secrets already masked */
	const struct store_asset_in *assets;
	size_t nassets;
	const struct store_location_in *locations;
	size_t nlocations;
	/*
	 * The same sighting again (a gateway window judged when an input
	 * ended, and judged again when it closed in the next): the finding
	 * is updated but its count is not.
	 */
	int same_sighting;
};
/* Insert an asset (or merge its attributes); *id is its row. */
int store_asset_put(struct store *s, const struct store_asset_in *a,
    int64_t *id);
/* The status of the finding with this fingerprint ("" if none). */
int store_finding_status(struct store *s, const char *fingerprint,
    char *out, size_t outlen);
/* Insert or repeat a finding in the current ingest transaction. */
int store_finding_put(struct store *s, int64_t ingest_id,
    const struct store_finding_in *f, int *is_new);

struct store_finding_row {
	int64_t id, count, case_id;
	int severity, suppressed;
	const char *status, *source, *kind, *rule_id, *title;
	const char *first_seen, *last_seen, *event_time, *fingerprint;
};
typedef int (*store_finding_cb)(void *ctx, const struct store_finding_row *r);
struct store_finding_query {
	const struct filter *filter;  /* NULL: all */
	const char *search;           /* full-text words, or NULL */
	int64_t limit;                /* 0: no limit */
	int all;                      /* include suppressed findings */
	const int64_t *ids;           /* restrict to these ids */
	size_t nids;
};
/* List findings, most severe and most recent first. */
int store_findings_ls(struct store *s, const struct store_finding_query *q,
    store_finding_cb cb, void *ctx);
int store_findings_ls_json(struct store *s,
    const struct store_finding_query *q, store_json_cb cb, void *ctx);
/* One finding in full (fields, identity, assets, locations, raw) as JSON. */
int store_finding_show_json(struct store *s, int64_t id, char **json);
/*
 * Triage: set status (acknowledged, resolved, false_positive, open) on
 * ids with a reason; one audit row for the batch. Unknown ids fail the
 * whole batch with -FB_ERR_NOENT.
 */
int store_findings_set_status(struct store *s, const int64_t *ids, size_t n,
    const char *status, const char *reason);

/* ---- suppressions ------------------------------------------------------ */
struct store_suppression_row {
	int64_t id;
	const char *match, *reason, *owner, *created, *expires;
	int active;
	int64_t matching;  /* findings it hides now */
};
int store_suppress_add(struct store *s, const char *match, const char *reason,
    int64_t expires, int64_t *id);
int store_suppress_rm(struct store *s, int64_t id);
int store_suppress_ls(struct store *s, int all,
    int (*cb)(void *ctx, const struct store_suppression_row *r), void *ctx);
int store_suppress_ls_json(struct store *s, int all, store_json_cb cb,
    void *ctx);

/* ---- key and model registry, gateway detector state (registry.c) ------
 * Keys are key ids (16 hex digits of the key's SHA-256), never secrets.
 */
struct store_key_row {
	const char *id, *kind, *owner, *status, *first_seen, *last_seen;
	const char *revoked_at, *revoked_by, *revoke_reason;
	int64_t requests, revoke_case;  /* revoke_case 0: none */
};
int store_key_ls(struct store *s,
    int (*cb)(void *ctx, const struct store_key_row *r), void *ctx);
int store_key_ls_json(struct store *s, store_json_cb cb, void *ctx);
/*
 * Record key id as revoked at time at (a key never seen is recorded too),
 * with a reason and an optional case number (0: none); one audit row.
 * -FB_ERR_EXIST if it is already revoked.
 */
int store_key_revoke(struct store *s, const char *id, const char *reason,
    int64_t case_id, int64_t at);
/* Inside an ingest transaction: a key seen in a log (upsert, no audit). */
int store_key_seen(struct store *s, const char *id, const char *kind,
    const char *owner, int64_t first, int64_t last, int64_t requests);
/* The revoked keys and when they were revoked. */
int store_keys_revoked(struct store *s,
    int (*cb)(void *ctx, const char *id, int64_t revoked_at), void *ctx);

struct store_model_row {
	int64_t id;
	const char *name, *version, *sha256, *location, *provenance, *status;
	const char *registered_at, *registered_by, *status_at;
};
/* The states a model can be in; NULL-terminated. */
extern const char *const store_model_states[];
int store_model_register(struct store *s, const char *name,
    const char *version, const char *sha256, const char *location,
    const char *provenance, int64_t *id);
/* -FB_ERR_NOENT for an unknown model, -FB_ERR_INVAL for an unknown state. */
int store_model_status(struct store *s, const char *name,
    const char *version, const char *state);
int store_model_ls(struct store *s,
    int (*cb)(void *ctx, const struct store_model_row *r), void *ctx);
int store_model_ls_json(struct store *s, store_json_cb cb, void *ctx);

/* One subject's detector state (gateway_state); strings borrowed. */
struct store_gw_state {
	const char *kind;          /* "key" or "ip" */
	const char *subject;
	int64_t window;            /* seconds: the window it was kept for */
	int64_t n_windows;
	double req_mean, req_var, out_mean, out_var;
	int64_t o_start, o_first, o_last;  /* o_start 0: no open window */
	int64_t o_req, o_in, o_out, o_rl, o_auth, o_revoked, o_reported;
	int o_assumed_utc;         /* a time in it had no zone */
	const char *o_samples;     /* JSON array of request ids, or NULL */
};
int store_gw_state_load(struct store *s,
    int (*cb)(void *ctx, const struct store_gw_state *st), void *ctx);
/* Inside an ingest transaction: replace or (o_start 0, n 0) delete. */
int store_gw_state_put(struct store *s, const struct store_gw_state *st);
/* ---- fleet: remote commands and facts ---------------------------------- */
struct store_remote_exec {
	const char *batch;          /* one fan-out (all its rows share it) */
	const char *host, *address, *user;
	int port;
	const char *host_key;       /* "SHA256:..." seen, or NULL */
	const char *command;
	const char *kind;           /* ok, unreachable, auth, host_key, timeout, error */
	const char *error;
	int has_exit, exit_status;
	const char *exit_signal;
	int64_t start_ms, end_ms;   /* UTC milliseconds */
	const char *stdout_sha256, *stderr_sha256; /* of the whole streams */
	uint64_t stdout_bytes, stderr_bytes;       /* whole stream sizes */
	const void *stdout_kept, *stderr_kept;     /* the capped bytes kept */
	size_t stdout_kept_len, stderr_kept_len;
	int64_t case_id, run_id;    /* 0 when none */
};
/* One remote_exec row, inside the caller's write transaction. */
int store_remote_exec_add(struct store *s, const struct store_remote_exec *r,
    int64_t *id);
/* remote_exec rows as JSON objects (one batch, or all when NULL). */
int store_remote_exec_ls_json(struct store *s, const char *batch,
    store_json_cb cb, void *ctx);
/*
 * Merge facts (a JSON object) into the attributes of asset type:value,
 * creating it; inside the caller's write transaction.
 */
int store_fact_put(struct store *s, const char *type, const char *value,
    const char *attributes_json, int64_t *id);
/* Assets of a type that carry attributes, as JSON objects. */
int store_facts_ls_json(struct store *s, const char *type, store_json_cb cb,
    void *ctx);

/* ---- console (console.c): reads shaped for a screen ------------------
 * Everything here is bounded: pages of rows after a key, counts kept on
 * write, a count that stops at a cap. Nothing reads every row.
 */
/*
 * Let a long read be abandoned: while set, SQLite calls check(ctx) every
 * few thousand steps and a nonzero answer stops the statement, which then
 * fails; in->fired tells that apart from a real error. NULL clears it.
 * For reads only: never set it around a write.
 */
struct store_interrupt {
	int (*check)(void *ctx);
	void *ctx;
	int fired;
};
void store_interrupt_set(struct store *s, struct store_interrupt *in);
/* A reader that stays open (the console): a small page cache. */
int store_console_tune(struct store *s);
/* Rows of text columns (NULL for SQL NULL), borrowed for the call. */
#define STORE_TEXT_MAXCOLS 12
typedef int (*store_text_cb)(void *ctx, int n, const char **v);
/* The fleet view (console-views.c): a host's facts and last remote_exec
 * (one row, NULLs when none), its GPUs and their processes. */
int store_console_fleet_host(struct store *s, const char *host,
    store_text_cb cb, void *ctx);
int store_console_fleet_gpus(struct store *s, const char *host,
    store_text_cb cb, void *ctx);
/* A run's latest calls, newest first. */
int store_console_run_calls(struct store *s, int64_t run, int limit,
    store_text_cb cb, void *ctx);
/* PRAGMA data_version: changes when another connection commits. */
int store_data_version(struct store *s, int64_t *v);
/* Findings per (severity, status), from the counts kept on write. */
int store_finding_counts(struct store *s,
    int (*cb)(void *ctx, int severity, const char *status, int64_t n),
    void *ctx);
/* New findings per UTC hour ("2026-11-26T10") from since_hour on, by
 * the time of the ingest that brought them. */
int store_finding_hours(struct store *s, const char *since_hour,
    int (*cb)(void *ctx, const char *hour, int64_t n), void *ctx);
struct store_ingest_row {
	int64_t id, n_new, n_repeat, n_resolved, n_rejected;
	const char *time, *actor, *path, *format;
};
/* The latest ingests, newest first. */
int store_ingests_recent(struct store *s, int64_t limit,
    int (*cb)(void *ctx, const struct store_ingest_row *r), void *ctx);

enum store_finding_sort {
	STORE_SORT_SEVERITY,  /* severity, then newest first (id) */
	STORE_SORT_LAST_SEEN, /* last_seen, id */
	STORE_SORT_ID,
	STORE_SORT__MAX,
};
const char *store_finding_sort_name(enum store_finding_sort k);
struct store_finding_page {
	const struct store_finding_query *q; /* filter, search, all */
	enum store_finding_sort sort;
	int asc;          /* ascending instead of the default descending */
	/* Key row (only the sort's columns are read); NULL: from an end. */
	const struct store_finding_row *from;
	int backward;     /* rows before from (nearest first), or the last */
	int inclusive;    /* include from itself */
	int64_t limit;
};
/* One page of findings in the sort order (keyset pagination). */
int store_findings_page(struct store *s, const struct store_finding_page *p,
    store_finding_cb cb, void *ctx);
/* How many findings q matches, counting at most cap (then *n = cap + 1). */
int store_findings_count(struct store *s, const struct store_finding_query *q,
    int64_t cap, int64_t *n);

/* One finding's fields beyond the list row; strings borrowed for cb. */
struct store_finding_full {
	struct store_finding_row row;
	const char *status_reason, *status_by, *status_at, *scope, *detail;
	const char *identity, *raw;     /* JSON text */
	int event_time_assumed_utc;
	int64_t first_ingest, last_ingest;
};
int store_finding_get(struct store *s, int64_t id,
    int (*cb)(void *ctx, const struct store_finding_full *f), void *ctx);
int store_finding_assets(struct store *s, int64_t id,
    int (*cb)(void *ctx, const char *type, const char *value,
    const char *role), void *ctx);
int store_finding_locations(struct store *s, int64_t id,
    int (*cb)(void *ctx, const char *host, const char *path, int64_t line,
    const char *first_seen, const char *last_seen), void *ctx);

/* Audit rows newest first: before seq (0: from the newest), or after it. */
int store_audit_page(struct store *s, int64_t from_seq, int backward,
    int inclusive, int64_t limit, store_audit_cb cb, void *ctx);

#endif
