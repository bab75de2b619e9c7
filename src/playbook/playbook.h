/*
 * playbook: playbooks (sandboxed Lua runbooks) and their runs. It promises:
 *  - a playbook is loaded as text into its own PLAYBOOK-profile Lua host
 *    (memory cap, instruction budget, no io/os.execute/debug/bytecode),
 *    its source SHA-256 recorded on every run;
 *  - every fb.* call a playbook makes is one run_calls row and one audit
 *    row, written before the call's result reaches the script;
 *  - a (step, host) pair is marked "applying" and committed before its
 *    apply starts, so after kill -9 resume knows which pairs to re-check:
 *    it re-runs check there and applies only where a change is pending;
 *    pairs that finished are never touched again;
 *  - destructive steps run only after approval of the plan's SHA-256; an
 *    approval is refused when the plan recomputed now differs;
 *  - the pairs of a batch run at once (at most opts->forks; the plan is
 *    the same for any number), each committed as it changes state;
 *  - a run starts no more pairs when *interrupted is set (SIGINT) or the
 *    run was aborted; pairs already started finish; it stays resumable.
 * Library code: it never exits; it prints the plan and progress to the
 * stream it is given, terminal-safe.
 */
#ifndef FB_PLAYBOOK_H
#define FB_PLAYBOOK_H

#include <stdint.h>
#include <stdio.h>

#include "core/core.h"
#include "store/store.h"

/* ---- playbooks ---------------------------------------------------------- */

#define PB_MAX_PARAMS 64
#define PB_MAX_STEPS 256
#define PB_PARAM_MAX_BYTES 65536

struct pb_param {
	char *name, *type, *description;
	char *def_json;           /* the default as JSON, or NULL */
	int required;
};

struct pb_step {
	char *name, *description;
	int has_check, has_apply, has_undo, has_run;
	int destructive;
	int batch;                /* hosts per batch, 0: all at once */
	double max_fail;          /* percent of a step's hosts allowed to fail */
};

struct playbook {
	char *path, *name, *description, *hosts;
	char *confirm;            /* the string param whose value a person
	                             types to approve in the console, or NULL */
	char sha256[FB_SHA256_HEX];
	struct pb_param *params;
	size_t nparams;
	struct pb_step *steps;
	size_t nsteps;
	struct fblua *lua;
	int script;
};

/*
 * The file for NAME (searched in $XDG_CONFIG_HOME/firebreak/playbooks and
 * the data dir's playbooks/) or FILE (anything with a '/' or ending in
 * .lua). Caller frees. -FB_ERR_NOENT when there is none.
 */
int pb_find(const char *name_or_file, char **path);
/* Each playbook found: fn(ctx, path). */
int pb_list(int (*fn)(void *ctx, const char *path), void *ctx);

/*
 * Problems lint finds: each is reported through fn with its severity
 * ("error" or "warning"); errors make pb_load fail with -FB_ERR_PARSE.
 */
typedef void (*pb_problem_fn)(void *ctx, const char *severity,
    const char *msg);

struct fblua_pb_ops;
/*
 * Load and validate a playbook. ops serve its fb.* calls (NULL: every
 * call is refused — for show and lint); params_json becomes fb.params.
 */
int pb_load(const char *path, const struct fblua_pb_ops *ops,
    const char *params_json, pb_problem_fn problem, void *ctx,
    struct playbook **out);
void pb_free(struct playbook *pb);

/*
 * Resolve -e k=v assignments against the declarations into a JSON object
 * (keys sorted, values typed). Caller frees *json.
 */
int pb_params_json(const struct playbook *pb, char *const *assign, size_t n,
    char **json);

/* ---- runs --------------------------------------------------------------- */

struct pb_opts {
	const char *inventory;    /* -i, else FIREBREAK_INVENTORY, ... */
	const char *pattern;      /* -l, else the playbook's hosts, else all */
	int64_t case_id;
	int dry_run;
	int yes;                  /* approve the plan shown (on a terminal) */
	int force;                /* resume/undo with a changed source */
	int connect_timeout;      /* seconds (10) */
	int timeout;              /* default command timeout, 0: none */
	int forks;                /* pairs of a batch at once (-j), 0: 10 */
	int skip_unreachable;     /* run: leave out hosts a probe cannot reach */
	volatile int *interrupted;
	FILE *out;                /* plan and progress (stdout) */
	int quiet;
};

/* How a run ended, for the command's exit status. */
enum pb_outcome {
	PB_DONE,          /* 0 */
	PB_PLANNED,       /* dry run: 0 */
	PB_AWAITING,      /* 5 */
	PB_PARTIAL,       /* some pairs failed or interrupted: 4 */
	PB_FAILED,        /* script error, sandbox, nothing applied: 6 */
};
int pb_outcome_exit(enum pb_outcome o);

/* firebreak playbook run */
int pb_run(struct store *s, const char *name_or_file, char *const *assign,
    size_t nassign, const struct pb_opts *o, int64_t *run_id,
    enum pb_outcome *outcome);
/* firebreak run approve RUN --plan SHA */
int pb_approve(struct store *s, int64_t run_id, const char *sha,
    const struct pb_opts *o, enum pb_outcome *outcome);
/* firebreak run resume RUN [--force] */
int pb_resume(struct store *s, int64_t run_id, const struct pb_opts *o,
    enum pb_outcome *outcome);
/* firebreak run undo RUN [--force] */
int pb_undo(struct store *s, int64_t run_id, const struct pb_opts *o,
    enum pb_outcome *outcome);
/* firebreak run abort RUN */
int pb_abort(struct store *s, int64_t run_id, const char *reason);

#endif
