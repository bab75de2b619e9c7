/*
 * playbook.h: the run journal (runs, run_steps, run_calls) — part of the
 * store module, the only sqlite3 caller. Functions named *_tx run inside
 * the caller's write transaction and write no audit row: the playbook
 * engine audits each action once, in the same transaction.
 *
 * JSON given in (params, hosts, plan, planned, result, args) is text the
 * caller produced with the JSON writer; JSON given out comes from SQLite.
 * Strings in row structs are borrowed for the callback only.
 */
#ifndef FB_STORE_PLAYBOOK_H
#define FB_STORE_PLAYBOOK_H

#include <stdint.h>

#include "store/store.h"

struct store_run_in {
	const char *playbook, *source_path, *source_sha256;
	const char *params;        /* JSON object */
	const char *pattern;
	const char *hosts;         /* JSON array of host names */
	int64_t case_id;           /* 0: none */
	const char *state;
	int dry_run;
};
int store_run_new_tx(struct store *s, const struct store_run_in *in,
    int64_t *id);
/* Set the state (and error, NULL to clear); terminal states set finished_at. */
int store_run_state_tx(struct store *s, int64_t id, const char *state,
    const char *error);
int store_run_plan_tx(struct store *s, int64_t id, const char *plan_json,
    const char *plan_sha256);
int store_run_approve_tx(struct store *s, int64_t id, const char *sha256);
/* Rewrite the recorded source hash (resume --force). */
int store_run_source_tx(struct store *s, int64_t id, const char *sha256);

struct store_run_row {
	int64_t id, case_id;
	const char *playbook, *source_path, *source_sha256;
	const char *params, *pattern, *hosts, *state;
	int dry_run;
	const char *plan, *plan_sha256, *approved_sha256, *approved_by;
	const char *approved_at, *actor, *created_at, *updated_at;
	const char *finished_at, *error;
	/* pairs by state */
	int64_t n_pairs, n_done, n_unchanged, n_failed, n_pending, n_undone;
};
typedef int (*store_run_cb)(void *ctx, const struct store_run_row *r);
/* -FB_ERR_NOENT when there is no such run. */
int store_run_get(struct store *s, int64_t id, store_run_cb cb, void *ctx);
/* Newest first; limit 0: all. */
int store_runs_ls(struct store *s, int64_t limit, store_run_cb cb, void *ctx);
int store_runs_ls_json(struct store *s, int64_t limit, store_json_cb cb,
    void *ctx);
/* A run with its steps and calls as one JSON object. Caller frees. */
int store_run_show_json(struct store *s, int64_t id, char **json);

/* ---- (step, host) pairs ---- */
/* Insert or replace the pair's state and planned change. */
int store_run_step_put_tx(struct store *s, int64_t run, int step,
    const char *name, const char *host, const char *state,
    const char *planned);
/*
 * Move a pair to state; result/error NULL keep theirs. started: set
 * started_at now; applied: count one more apply.
 */
int store_run_step_set_tx(struct store *s, int64_t run, int step,
    const char *host, const char *state, const char *result,
    const char *error, int started, int applied);

struct store_run_step_row {
	int64_t id, run_id;
	int step;
	const char *name, *host, *state, *planned, *result, *error;
	int64_t applies;
	const char *started_at, *finished_at;
};
typedef int (*store_run_step_cb)(void *ctx,
    const struct store_run_step_row *r);
/* In step order, then by id (host order as planned). */
int store_run_steps(struct store *s, int64_t run, store_run_step_cb cb,
    void *ctx);

/* ---- calls ---- */
int store_run_call_add_tx(struct store *s, int64_t run, int step,
    const char *host, const char *phase, const char *fn, const char *args,
    const char *result, int ok, int64_t *id);

#endif
