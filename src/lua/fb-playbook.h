/*
 * fb-playbook.h: the PLAYBOOK profile's fb.* API, as the playbook engine
 * (src/playbook) sees it. The Lua side only checks argument types and
 * passes each call, as a table of named arguments, to one C function the
 * engine provides; so every call reaches the engine, which journals and
 * audits it. Nothing here needs <lua.h>.
 *
 * The calls (see firebreak-lua(7)): params (a table), hosts, exec, fetch,
 * shell.quote (pure: never reaches the engine), case.note, case.link,
 * case.status, model.register, model.get, model.set_status, key.revoke,
 * log, confirm, ask, now.
 */
#ifndef FB_LUA_PLAYBOOK_H
#define FB_LUA_PLAYBOOK_H

#include "lua/lua.h"

struct fblua_pb_ops {
	void *ud;
	/*
	 * fn is the call's name ("exec", "case.note", ...), args a view of
	 * its arguments by name. On success *result is JSON text for the
	 * Lua result (caller's to free; NULL gives nil). Errors: -FB_ERR_INVAL,
	 * -FB_ERR_USAGE, -FB_ERR_REFUSED and -FB_ERR_LIMIT raise in the script
	 * (misuse: the run stops); any other error returns nil, message.
	 */
	int (*call)(void *ud, const char *fn, struct fblua_ev *args,
	    char **result);
	/*
	 * fb.exec called on a step thread (below), where it can yield: take
	 * the request (args as for call; the view is gone after the return)
	 * and return 0, and the thread waits — fblua_step_resume reports it
	 * waiting — until the engine resumes it with the answer. An error is
	 * the call's answer at once, as for call.
	 */
	int (*exec_wait)(void *ud, struct fblua_ev *args);
};

/*
 * Install fb.params (decoded from params_json), fb.exec and the rest into
 * h, which must be a PLAYBOOK host. ops must outlive h.
 */
int fblua_playbook_install(struct fblua *h, const struct fblua_pb_ops *ops,
    const char *params_json);

/* Replace fb.params (before any step runs). */
int fblua_playbook_params(struct fblua *h, const char *params_json);

/*
 * Call steps[step][fn] of a loaded playbook (its module table), with host
 * as the one argument (or none when host is NULL). ret, when not NULL,
 * sees the first result. -FB_ERR_NOENT when there is no such function.
 */
int fblua_playbook_call(struct fblua *h, int script, int step,
    const char *fn, const char *host,
    int (*ret)(void *ud, struct fblua_ev *result), void *ud);

/*
 * A step thread: steps[step][fn](host) on a Lua thread of its own, which
 * the engine drives with fblua_step_resume, so several steps can wait in
 * fb.exec at once (a "cosocket": the call yields, the engine runs the
 * commands of every waiting thread together, then resumes each with its
 * answer). Each thread has an instruction budget of its own for all of
 * its resumes; the memory cap is the host's. -FB_ERR_NOENT when there is
 * no such function.
 */
struct fblua_step;
int fblua_step_new(struct fblua *h, int script, int step, const char *fn,
    const char *host, struct fblua_step **out);
/*
 * Run t until it returns (*waiting cleared; ret, when not NULL, sees the
 * first result) or waits in fb.exec (*waiting set). A waiting thread is
 * resumed with fb.exec's answer: arc 0 and res (JSON text, or NULL for
 * nil), or an error code and its message (misuse raises in the script,
 * other errors return nil, msg — as ops->call's errors do); msg and res
 * are taken (freed by t). The first resume has no answer (NULLs). An error (the script raised; -FB_ERR_LIMIT
 * for its budget or the memory cap) leaves t dead.
 */
int fblua_step_resume(struct fblua_step *t, int arc, char *msg, char *res,
    int (*ret)(void *ud, struct fblua_ev *result), void *ud, int *waiting);
void fblua_step_free(struct fblua_step *t);

#endif
