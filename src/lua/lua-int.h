/*
 * lua-int.h: for code inside src/lua only (the fb.* modules, the JSON
 * decoder). Everything else uses lua.h and never sees a lua_State.
 */
#ifndef FB_LUA_INT_H
#define FB_LUA_INT_H

#include <lua.h>
#include <lauxlib.h>

#include "core/core.h"
#include "lua/lua.h"

#define FBLUA_HOOK_STEP 1000

struct fblua {
	lua_State *L;
	enum fblua_profile profile;
	struct fblua_limits lim;
	size_t mem;             /* bytes the allocator has handed out */
	uint64_t used;          /* instructions charged in this entry */
	int exhausted;          /* budget spent: every instruction raises */
	int closing;            /* lua_close running: never refuse */
	int depth;              /* nesting of fblua_pcall */
	char *tb;               /* traceback of the last error */
	void (*out)(void *, const char *, size_t);
	void *out_ud;
	int (*emit)(void *, struct fblua_ev *);
	void *emit_ud;
	int emit_rc;            /* first error from the emit callback */
};

/* A view of the value at stack index idx (absolute) of L. */
struct fblua_ev {
	struct fblua *h;
	lua_State *L;
	int idx;
};

/* One fb.* module: which profiles get it, and how to open it. */
struct fblua_module {
	const char *name;                       /* fb.<name> */
	unsigned profiles;                      /* 1u << FBLUA_* */
	int (*open)(lua_State *L);              /* pushes the module table */
};
#define FBLUA_ALL_PROFILES ((1u << FBLUA__NPROFILES) - 1)

/* The table of fb.* modules, in modules.c; end marked by name == NULL. */
extern const struct fblua_module fblua_modules[];

struct fblua *fblua_host(lua_State *L);
lua_State *fblua_state(struct fblua *h);
/*
 * Add fb.<modname> = funcs to the sandbox at run time (for a module that
 * only one caller needs). Runs protected. Returns 0 or -FB_ERR_*.
 */
int fblua_register(struct fblua *h, const char *modname, const luaL_Reg *funcs);
/*
 * Call the function below nargs arguments on the stack under lua_pcall with
 * a traceback handler and a fresh instruction budget; maps errors to
 * -FB_ERR_* and fb_err(). On success nres results are left on the stack;
 * on error nothing is.
 */
int fblua_pcall(struct fblua *h, int nargs, int nres);
/* An instruction budget of its own, for a thread run by fblua_resume. */
struct fblua_budget {
	uint64_t used;
	int exhausted;
};
/* Give thread T (from lua_newthread) the budget hook, its count fresh. */
void fblua_budget_arm(lua_State *T);
/*
 * lua_resume T under budget b (the memory cap stays the host's). Returns
 * 0 with *yielded set when T yielded, cleared when it returned (*nres
 * results on T); or an error mapped as fblua_pcall maps it (T is dead).
 */
int fblua_resume(struct fblua *h, lua_State *T, int nargs,
    struct fblua_budget *b, int *yielded, int *nres);
/* Charge n steps of C work (pattern matching) against the budget. */
void fblua_charge(lua_State *L, uint64_t n);
/* Push the emit closure. */
void fblua_push_emit(lua_State *L);
/* Decode one JSON document and push it (raises on error). */
void fblua_json_push(lua_State *L, const char *p, size_t n);
/* Open the fb.json module table (decode, null). */
int fblua_open_json(lua_State *L);
/* Replace string.find/match/gmatch/gsub with bounded versions. */
void fblua_patterns_install(lua_State *L);

#endif
