/*
 * playbook.c: the fb.* API of the PLAYBOOK profile. Each function checks
 * its arguments, packs them into a table of named arguments and hands it
 * to the engine's one call function (fb-playbook.h), which journals and
 * audits it; the engine's JSON answer comes back as Lua values.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "lua/fb-playbook.h"
#include "lua/lua-int.h"

#define REG_OPS "fb.playbook.ops"

static const struct fblua_pb_ops *
ops_get(lua_State *L)
{
	const struct fblua_pb_ops *ops;

	lua_getfield(L, LUA_REGISTRYINDEX, REG_OPS);
	ops = lua_touserdata(L, -1);
	lua_pop(L, 1);
	if (ops == NULL)
		luaL_error(L, "fb: no playbook engine here");
	return ops;
}

/*
 * The engine's answer as the call's Lua result: misuse raises, any other
 * error returns nil, msg; JSON text becomes Lua values (NULL: nil). res
 * is freed here.
 */
static int
answer(lua_State *L, const char *fn, int rc, const char *msg, char *res)
{
	if (rc == -FB_ERR_INVAL || rc == -FB_ERR_USAGE ||
	    rc == -FB_ERR_REFUSED || rc == -FB_ERR_LIMIT) {
		free(res);
		return luaL_error(L, "fb.%s: %s", fn, msg);
	}
	if (rc != 0) {
		free(res);
		lua_pushnil(L);
		lua_pushstring(L, msg);
		return 2;
	}
	if (res == NULL) {
		lua_pushnil(L);
		return 1;
	}
	/* The string is copied into Lua first so a raise cannot leak it. */
	lua_pushstring(L, res);
	free(res);
	{
		size_t n;
		const char *p = lua_tolstring(L, -1, &n);

		fblua_json_push(L, p, n);
	}
	return 1;
}

/* Call the engine with the table on top of the stack; returns results. */
static int
dispatch(lua_State *L, const char *fn)
{
	const struct fblua_pb_ops *ops = ops_get(L);
	struct fblua_ev ev;
	char *res = NULL;
	int rc;

	ev.h = fblua_host(L);
	ev.L = L;
	ev.idx = lua_gettop(L);
	rc = ops->call(ops->ud, fn, &ev, &res);
	return answer(L, fn, rc, rc != 0 ? fb_errmsg(rc) : NULL, res);
}

/* ---- step threads ------------------------------------------------------- */

/*
 * A step thread runs one step function for the engine, which resumes it
 * with lua_resume. The registry maps the thread (as a light userdata key:
 * scripts cannot reach the registry, and a lookup allocates nothing) to
 * its struct fblua_step; ref keeps the thread alive while it runs. Only
 * on such a thread, and only where it can yield, does fb.exec wait for
 * the engine instead of running the command itself: a coroutine the
 * script makes is another thread, so it never sees the engine's yield.
 */
struct fblua_step {
	struct fblua *h;
	lua_State *T;
	int ref;
	int started;
	struct fblua_budget budget;
	int arc;                  /* the answer fb.exec gets next */
	char *msg, *res;
};

static struct fblua_step *
step_of(lua_State *L)
{
	struct fblua_step *t;

	if (lua_rawgetp(L, LUA_REGISTRYINDEX, L) != LUA_TLIGHTUSERDATA) {
		lua_pop(L, 1);
		return NULL;
	}
	t = lua_touserdata(L, -1);
	lua_pop(L, 1);
	return t;
}

/*
 * fb.exec's continuation: the engine's answer as the call's result. The
 * strings stay t's until they are in Lua, so a raise cannot leak them.
 */
static int
exec_k(lua_State *L, int status, lua_KContext ctx)
{
	struct fblua_step *t = step_of(L);
	const char *p;
	size_t n;

	(void)status;
	(void)ctx;
	if (t == NULL)
		return luaL_error(L, "fb.exec: the engine lost this thread");
	if (t->arc != 0) {
		lua_pushstring(L, t->msg != NULL ? t->msg : "?");
		free(t->msg);
		t->msg = NULL;
		return answer(L, "exec", t->arc, lua_tostring(L, -1), NULL);
	}
	if (t->res == NULL) {
		lua_pushnil(L);
		return 1;
	}
	lua_pushstring(L, t->res);
	free(t->res);
	t->res = NULL;
	p = lua_tolstring(L, -1, &n);
	fblua_json_push(L, p, n);
	return 1;
}

static void
check_string_or_list(lua_State *L, int arg, const char *what)
{
	lua_Integer i, n;

	if (lua_type(L, arg) == LUA_TSTRING)
		return;
	if (lua_type(L, arg) != LUA_TTABLE)
		luaL_argerror(L, arg, lua_pushfstring(L, "%s: a string or a "
		    "list of strings expected", what));
	n = (lua_Integer)lua_rawlen(L, arg);
	if (n == 0)
		luaL_argerror(L, arg, lua_pushfstring(L, "%s: an empty list",
		    what));
	for (i = 1; i <= n; i++) {
		if (lua_rawgeti(L, arg, i) != LUA_TSTRING)
			luaL_argerror(L, arg, lua_pushfstring(L, "%s: item %d "
			    "is not a string", what, (int)i));
		lua_pop(L, 1);
	}
}

static void
set_arg(lua_State *L, int t, const char *key, int arg)
{
	lua_pushvalue(L, arg);
	lua_setfield(L, t, key);
}

static int
l_hosts(lua_State *L)
{
	luaL_optstring(L, 1, "all");
	lua_settop(L, 1);
	lua_createtable(L, 0, 1);
	set_arg(L, 2, "pattern", 1);
	return dispatch(L, "hosts");
}

/* exec(hosts, argv or command [, opts]) */
static int
l_exec(lua_State *L)
{
	check_string_or_list(L, 1, "hosts");
	if (lua_type(L, 2) != LUA_TSTRING)
		check_string_or_list(L, 2, "argv");
	if (!lua_isnoneornil(L, 3))
		luaL_checktype(L, 3, LUA_TTABLE);
	lua_settop(L, 3);
	lua_createtable(L, 0, 3);
	set_arg(L, 4, "hosts", 1);
	set_arg(L, 4, lua_type(L, 2) == LUA_TSTRING ? "command" : "argv", 2);
	set_arg(L, 4, "opts", 3);
	if (lua_isyieldable(L) && step_of(L) != NULL &&
	    ops_get(L)->exec_wait != NULL) {
		const struct fblua_pb_ops *ops = ops_get(L);
		struct fblua_ev ev;
		int rc;

		ev.h = fblua_host(L);
		ev.L = L;
		ev.idx = 4;
		if ((rc = ops->exec_wait(ops->ud, &ev)) != 0)
			return answer(L, "exec", rc, fb_errmsg(rc), NULL);
		return lua_yieldk(L, 0, 0, exec_k);
	}
	return dispatch(L, "exec");
}

static int
l_fetch(lua_State *L)
{
	luaL_checkstring(L, 1);
	luaL_checkstring(L, 2);
	lua_settop(L, 2);
	lua_createtable(L, 0, 2);
	set_arg(L, 3, "host", 1);
	set_arg(L, 3, "path", 2);
	return dispatch(L, "fetch");
}

static int
l_log(lua_State *L)
{
	luaL_Buffer b;
	int i, n = lua_gettop(L);

	luaL_buffinit(L, &b);
	for (i = 1; i <= n; i++) {
		if (i > 1)
			luaL_addchar(&b, ' ');
		luaL_tolstring(L, i, NULL);
		luaL_addvalue(&b);
	}
	luaL_pushresult(&b);
	lua_createtable(L, 0, 1);
	lua_insert(L, -2);
	lua_setfield(L, -2, "message");
	return dispatch(L, "log");
}

static int
l_confirm(lua_State *L)
{
	luaL_checkstring(L, 1);
	lua_settop(L, 1);
	lua_createtable(L, 0, 1);
	set_arg(L, 2, "prompt", 1);
	return dispatch(L, "confirm");
}

static int
l_ask(lua_State *L)
{
	luaL_checkstring(L, 1);
	luaL_optstring(L, 2, NULL);
	lua_settop(L, 2);
	lua_createtable(L, 0, 2);
	set_arg(L, 3, "prompt", 1);
	set_arg(L, 3, "default", 2);
	return dispatch(L, "ask");
}

static int
l_now(lua_State *L)
{
	lua_settop(L, 0);
	lua_createtable(L, 0, 0);
	return dispatch(L, "now");
}

/* shell.quote(s): one word for a POSIX shell, whatever s holds. */
static int
l_shell_quote(lua_State *L)
{
	size_t n, i;
	const char *s = luaL_checklstring(L, 1, &n);
	luaL_Buffer b;

	if (memchr(s, '\0', n) != NULL)
		return luaL_argerror(L, 1, "a NUL byte cannot reach a shell");
	luaL_buffinit(L, &b);
	luaL_addchar(&b, '\'');
	for (i = 0; i < n; i++) {
		if (s[i] == '\'')
			luaL_addstring(&b, "'\\''");
		else
			luaL_addchar(&b, s[i]);
	}
	luaL_addchar(&b, '\'');
	luaL_pushresult(&b);
	return 1;
}

static int
l_case_note(lua_State *L)
{
	luaL_checkstring(L, 1);
	lua_settop(L, 1);
	lua_createtable(L, 0, 1);
	set_arg(L, 2, "text", 1);
	return dispatch(L, "case.note");
}

static int
l_case_link(lua_State *L)
{
	luaL_checkinteger(L, 1);
	luaL_checkstring(L, 2);
	lua_settop(L, 2);
	lua_createtable(L, 0, 2);
	set_arg(L, 3, "finding", 1);
	set_arg(L, 3, "reason", 2);
	return dispatch(L, "case.link");
}

static int
l_case_status(lua_State *L)
{
	luaL_checkstring(L, 1);
	luaL_optstring(L, 2, NULL);
	lua_settop(L, 2);
	lua_createtable(L, 0, 2);
	set_arg(L, 3, "state", 1);
	set_arg(L, 3, "reason", 2);
	return dispatch(L, "case.status");
}

static int
l_model_register(lua_State *L)
{
	luaL_checktype(L, 1, LUA_TTABLE);
	lua_settop(L, 1);
	lua_createtable(L, 0, 1);
	set_arg(L, 2, "model", 1);
	return dispatch(L, "model.register");
}

static int
l_model_get(lua_State *L)
{
	luaL_checkstring(L, 1);
	luaL_optstring(L, 2, NULL);
	lua_settop(L, 2);
	lua_createtable(L, 0, 2);
	set_arg(L, 3, "name", 1);
	set_arg(L, 3, "version", 2);
	return dispatch(L, "model.get");
}

static int
l_model_set_status(lua_State *L)
{
	luaL_checkstring(L, 1);
	luaL_checkstring(L, 2);
	luaL_checkstring(L, 3);
	lua_settop(L, 3);
	lua_createtable(L, 0, 3);
	set_arg(L, 4, "name", 1);
	set_arg(L, 4, "version", 2);
	set_arg(L, 4, "status", 3);
	return dispatch(L, "model.set_status");
}

static int
l_key_revoke(lua_State *L)
{
	luaL_checkstring(L, 1);
	luaL_optstring(L, 2, NULL);
	lua_settop(L, 2);
	lua_createtable(L, 0, 2);
	set_arg(L, 3, "key", 1);
	set_arg(L, 3, "reason", 2);
	return dispatch(L, "key.revoke");
}

/* findings([filter [, limit]]): read only. */
static int
l_findings(lua_State *L)
{
	luaL_optstring(L, 1, "");
	if (!lua_isnoneornil(L, 2))
		luaL_checkinteger(L, 2);
	lua_settop(L, 2);
	lua_createtable(L, 0, 2);
	set_arg(L, 3, "filter", 1);
	set_arg(L, 3, "limit", 2);
	return dispatch(L, "findings");
}

static int
l_finding_add(lua_State *L)
{
	luaL_checktype(L, 1, LUA_TTABLE);
	lua_settop(L, 1);
	lua_createtable(L, 0, 1);
	set_arg(L, 2, "finding", 1);
	return dispatch(L, "finding.add");
}

static const luaL_Reg shell_funcs[] = {
	{ "quote", l_shell_quote }, { NULL, NULL },
};
static const luaL_Reg case_funcs[] = {
	{ "note", l_case_note }, { "link", l_case_link },
	{ "status", l_case_status }, { NULL, NULL },
};
static const luaL_Reg model_funcs[] = {
	{ "register", l_model_register }, { "get", l_model_get },
	{ "set_status", l_model_set_status }, { NULL, NULL },
};
static const luaL_Reg finding_funcs[] = {
	{ "add", l_finding_add }, { NULL, NULL },
};
static const luaL_Reg key_funcs[] = {
	{ "revoke", l_key_revoke }, { NULL, NULL },
};

struct install_args {
	const struct fblua_pb_ops *ops;
	const char *params;
};

static int
install_protected(lua_State *L)
{
	struct install_args *a = lua_touserdata(L, 1);
	static const luaL_Reg top[] = {
		{ "hosts", l_hosts }, { "exec", l_exec }, { "fetch", l_fetch },
		{ "log", l_log }, { "confirm", l_confirm }, { "ask", l_ask },
		{ "now", l_now }, { "findings", l_findings }, { NULL, NULL },
	};

	lua_pushlightuserdata(L, (void *)a->ops);
	lua_setfield(L, LUA_REGISTRYINDEX, REG_OPS);
	lua_getglobal(L, "fb");
	luaL_setfuncs(L, top, 0);
	fblua_json_push(L, a->params, strlen(a->params));
	lua_setfield(L, -2, "params");
	return 0;
}

int
fblua_playbook_install(struct fblua *h, const struct fblua_pb_ops *ops,
    const char *params_json)
{
	struct install_args a = { ops, params_json ? params_json : "{}" };
	lua_State *L = fblua_state(h);
	int rc;

	if (h->profile != FBLUA_PLAYBOOK)
		return fb_err(FB_ERR_INTERNAL, "the playbook API needs a "
		    "PLAYBOOK host");
	if ((rc = fblua_register(h, "shell", shell_funcs)) != 0 ||
	    (rc = fblua_register(h, "case", case_funcs)) != 0 ||
	    (rc = fblua_register(h, "model", model_funcs)) != 0 ||
	    (rc = fblua_register(h, "key", key_funcs)) != 0 ||
	    (rc = fblua_register(h, "finding", finding_funcs)) != 0)
		return rc;
	lua_pushcfunction(L, install_protected);
	lua_pushlightuserdata(L, &a);
	return fblua_pcall(h, 1, 0);
}

static int
params_protected(lua_State *L)
{
	const char *p = lua_touserdata(L, 1);

	/*
	 * Fill the table scripts already hold (local P = fb.params at load
	 * time) rather than replacing it.
	 */
	lua_getglobal(L, "fb");
	if (lua_getfield(L, -1, "params") != LUA_TTABLE) {
		lua_pop(L, 1);
		lua_newtable(L);
		lua_pushvalue(L, -1);
		lua_setfield(L, -3, "params");
	}
	lua_pushnil(L);
	while (lua_next(L, -2) != 0) {
		lua_pop(L, 1);
		lua_pushvalue(L, -1);
		lua_pushnil(L);
		lua_rawset(L, -4);
	}
	fblua_json_push(L, p, strlen(p));
	lua_pushnil(L);
	while (lua_next(L, -2) != 0) {
		lua_pushvalue(L, -2);
		lua_insert(L, -2);
		lua_rawset(L, -5);
	}
	lua_pop(L, 1);
	return 0;
}

int
fblua_playbook_params(struct fblua *h, const char *params_json)
{
	lua_State *L = fblua_state(h);

	lua_pushcfunction(L, params_protected);
	lua_pushlightuserdata(L, (void *)params_json);
	return fblua_pcall(h, 1, 0);
}

struct step_args {
	int step;
	const char *fn, *host;
	int missing;
	struct fblua_step *t;
};

/* module, args: push steps[step][fn] and call it (under fblua_pcall). */
static int
step_protected(lua_State *L)
{
	struct step_args *a = lua_touserdata(L, 2);

	if (lua_getfield(L, 1, "steps") != LUA_TTABLE ||
	    lua_rawgeti(L, -1, a->step) != LUA_TTABLE ||
	    lua_getfield(L, -1, a->fn) != LUA_TFUNCTION) {
		a->missing = 1;
		lua_pushnil(L);
		return 1;
	}
	if (a->host != NULL) {
		lua_pushstring(L, a->host);
		lua_call(L, 1, 1);
	} else {
		lua_call(L, 0, 1);
	}
	return 1;
}

struct view_args {
	struct step_args *sa;
	int (*ret)(void *, struct fblua_ev *);
	void *ud;
};

static int
call_in_view(void *ud, struct fblua_ev *mod)
{
	struct view_args *v = ud;
	lua_State *L = mod->L;
	struct fblua_ev ev;
	int rc;

	lua_pushcfunction(L, step_protected);
	lua_pushvalue(L, mod->idx);
	lua_pushlightuserdata(L, v->sa);
	if ((rc = fblua_pcall(mod->h, 2, 1)) != 0)
		return rc;
	if (v->sa->missing)
		return fb_err(FB_ERR_NOENT, "step %d has no function '%s'",
		    v->sa->step, v->sa->fn);
	if (v->ret == NULL)
		return 0;
	ev.h = mod->h;
	ev.L = L;
	ev.idx = lua_gettop(L);
	return v->ret(v->ud, &ev);
}

int
fblua_playbook_call(struct fblua *h, int script, int step, const char *fn,
    const char *host, int (*ret)(void *, struct fblua_ev *), void *ud)
{
	struct step_args sa = { step, fn, host, 0, NULL };
	struct view_args v = { &sa, ret, ud };

	return fblua_script_view(h, script, call_in_view, &v);
}

/* module, args: make the thread for steps[step][fn] (under fblua_pcall). */
static int
step_new_protected(lua_State *L)
{
	struct step_args *a = lua_touserdata(L, 2);
	struct fblua_step *t = a->t;

	if (lua_getfield(L, 1, "steps") != LUA_TTABLE ||
	    lua_rawgeti(L, -1, a->step) != LUA_TTABLE ||
	    lua_getfield(L, -1, a->fn) != LUA_TFUNCTION) {
		a->missing = 1;
		return 0;
	}
	t->T = lua_newthread(L);
	lua_pushvalue(L, -2);
	lua_xmove(L, t->T, 1);
	if (a->host != NULL) {
		lua_pushstring(L, a->host);
		lua_xmove(L, t->T, 1);
	}
	lua_pushvalue(L, -1);
	t->ref = luaL_ref(L, LUA_REGISTRYINDEX);
	lua_pushlightuserdata(L, t);
	lua_rawsetp(L, LUA_REGISTRYINDEX, t->T);
	/* Its own count; it would inherit the creator's hook otherwise. */
	fblua_budget_arm(t->T);
	return 0;
}

static int
step_new_in_view(void *ud, struct fblua_ev *mod)
{
	struct step_args *a = ud;
	lua_State *L = mod->L;

	lua_pushcfunction(L, step_new_protected);
	lua_pushvalue(L, mod->idx);
	lua_pushlightuserdata(L, a);
	return fblua_pcall(mod->h, 2, 0);
}

int
fblua_step_new(struct fblua *h, int script, int step, const char *fn,
    const char *host, struct fblua_step **out)
{
	struct fblua_step *t = xcalloc(1, sizeof(*t));
	struct step_args sa = { step, fn, host, 0, t };
	int rc;

	t->h = h;
	t->ref = LUA_NOREF;
	if ((rc = fblua_script_view(h, script, step_new_in_view, &sa)) != 0 ||
	    sa.missing) {
		if (rc == 0)
			rc = fb_err(FB_ERR_NOENT, "step %d has no function "
			    "'%s'", step, fn);
		fblua_step_free(t);
		return rc;
	}
	*out = t;
	return 0;
}

int
fblua_step_resume(struct fblua_step *t, int arc, char *msg, char *res,
    int (*ret)(void *, struct fblua_ev *), void *ud, int *waiting)
{
	lua_State *L = t->h->L;
	struct fblua_ev ev;
	int rc, yielded = 0, nres = 0, nargs = 0, top;

	free(t->msg);
	free(t->res);
	t->arc = arc;
	t->msg = msg;
	t->res = res;
	if (t->T == NULL)
		return fb_err(FB_ERR_INTERNAL, "the step thread is gone");
	if (!t->started) {
		t->started = 1;
		nargs = lua_gettop(t->T) - 1;
	}
	rc = fblua_resume(t->h, t->T, nargs, &t->budget, &yielded, &nres);
	if (rc != 0)
		return rc;
	if (yielded) {
		/* Whatever a stray yield handed over is not the engine's. */
		lua_pop(t->T, nres);
		*waiting = 1;
		return 0;
	}
	*waiting = 0;
	if (ret == NULL)
		return 0;
	/* The first result, moved to the main thread as fblua_pcall leaves it. */
	top = lua_gettop(L);
	if (!lua_checkstack(L, 2))
		return fb_err(FB_ERR_LIMIT, "Lua stack exhausted");
	if (nres == 0) {
		lua_pushnil(L);
	} else {
		lua_pop(t->T, nres - 1);
		lua_xmove(t->T, L, 1);
	}
	ev.h = t->h;
	ev.L = L;
	ev.idx = lua_gettop(L);
	rc = ret(ud, &ev);
	lua_settop(L, top);
	return rc;
}

/* Forget the thread (under fblua_pcall: the first unref may allocate). */
static int
step_free_protected(lua_State *L)
{
	struct fblua_step *t = lua_touserdata(L, 1);

	lua_pushnil(L);
	lua_rawsetp(L, LUA_REGISTRYINDEX, t->T);
	luaL_unref(L, LUA_REGISTRYINDEX, t->ref);
	return 0;
}

void
fblua_step_free(struct fblua_step *t)
{
	lua_State *L;

	if (t == NULL)
		return;
	if (t->T != NULL) {
		/* Should this fail (the memory cap), lua_close frees it. */
		L = t->h->L;
		lua_pushcfunction(L, step_free_protected);
		lua_pushlightuserdata(L, t);
		(void)fblua_pcall(t->h, 1, 0);
	}
	free(t->msg);
	free(t->res);
	free(t);
}
