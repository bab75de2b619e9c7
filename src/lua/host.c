/*
 * host.c: the sandboxed lua_State — allocator, instruction budget, the
 * trimmed standard library, text-only loading, require, protected calls.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <lualib.h>
#include <lua-cjson.h>

#include "lua/lua-int.h"

#define DEF_MEM ((size_t)64 << 20)
#define DEF_INSNS ((uint64_t)100000000)
#define DEF_JSON_DEPTH 512
#define DEF_JSON_STRING ((size_t)16 << 20)
#define DEF_SCRIPT_SIZE ((size_t)4 << 20)

#define REG_SCRIPTS "fb.scripts"
#define REG_MODULES "fb.modules"

static const char *const profile_names[FBLUA__NPROFILES] = {
	"ingest", "correlate", "playbook",
};

/* ---- allocator --------------------------------------------------------- */

/*
 * Byte-capped: refusing a growth gives Lua a clean LUA_ERRMEM (after its
 * emergency collection). When ptr is NULL, osize is a type tag, not a size.
 * A shrink never fails: on realloc failure the old, larger block is kept.
 */
static void *
host_alloc(void *ud, void *ptr, size_t osize, size_t nsize)
{
	struct fblua *h = ud;
	size_t old = ptr != NULL ? osize : 0;
	void *p;

	if (nsize == 0) {
		free(ptr);
		h->mem -= old;
		return NULL;
	}
	if (nsize > old && !h->closing &&
	    nsize - old > h->lim.mem - (h->mem < h->lim.mem ? h->mem : h->lim.mem))
		return NULL;
	p = realloc(ptr, nsize);
	if (p == NULL) {
		if (nsize <= old)
			return ptr;
		return NULL;
	}
	h->mem = h->mem - old + nsize;
	return p;
}

static int
host_panic(lua_State *L)
{
	const char *msg = lua_tostring(L, -1);

	fatal("unprotected Lua error: %s", msg != NULL ? msg : "?");
}

static void
host_warn(void *ud, const char *msg, int tocont)
{
	struct fblua *h = ud;

	/* "@on"/"@off" control messages are not text. */
	if (msg[0] == '@' && !tocont)
		return;
	if (h->out != NULL) {
		h->out(h->out_ud, msg, strlen(msg));
		if (!tocont)
			h->out(h->out_ud, "\n", 1);
	}
}

struct fblua *
fblua_host(lua_State *L)
{
	void *ud;

	lua_getallocf(L, &ud);
	return ud;
}

lua_State *
fblua_state(struct fblua *h)
{
	return h->L;
}

/* ---- instruction budget ------------------------------------------------ */

static void
budget_hook(lua_State *L, lua_Debug *ar)
{
	struct fblua *h = fblua_host(L);
	int step = lua_gethookcount(L);

	(void)ar;
	if (!h->exhausted) {
		h->used += (uint64_t)step;
		if (h->used < h->lim.instructions) {
			if (step != FBLUA_HOOK_STEP)
				lua_sethook(L, budget_hook, LUA_MASKCOUNT,
				    FBLUA_HOOK_STEP);
			return;
		}
		h->exhausted = 1;
	}
	/* Re-arm with count 1: a pcall that catches this gains nothing. */
	lua_sethook(L, budget_hook, LUA_MASKCOUNT, 1);
	luaL_error(L, "instruction budget exhausted (%I instructions)",
	    (lua_Integer)h->lim.instructions);
}

void
fblua_charge(lua_State *L, uint64_t n)
{
	struct fblua *h = fblua_host(L);

	h->used += n;
	if (h->exhausted || h->used >= h->lim.instructions) {
		h->exhausted = 1;
		lua_sethook(L, budget_hook, LUA_MASKCOUNT, 1);
		luaL_error(L, "instruction budget exhausted (%I instructions)",
		    (lua_Integer)h->lim.instructions);
	}
}

static void
budget_reset(struct fblua *h)
{
	h->used = 0;
	h->exhausted = 0;
	lua_sethook(h->L, budget_hook, LUA_MASKCOUNT, FBLUA_HOOK_STEP);
}

void
fblua_budget_arm(lua_State *T)
{
	lua_sethook(T, budget_hook, LUA_MASKCOUNT, FBLUA_HOOK_STEP);
}

int
fblua_resume(struct fblua *h, lua_State *T, int nargs, struct fblua_budget *b,
    int *yielded, int *nres)
{
	uint64_t used = h->used;
	int exhausted = h->exhausted, st;
	const char *msg;

	/*
	 * The budget is the thread's own: swap it in for this resume and out
	 * again, so each thread pays for all of its resumes and nothing else.
	 * The hook's count lives in T and carries over from one resume to
	 * the next, so many short resumes still add up.
	 */
	h->used = b->used;
	h->exhausted = b->exhausted;
	st = lua_resume(T, h->L, nargs, nres);
	b->used = h->used;
	b->exhausted = h->exhausted;
	h->used = used;
	h->exhausted = exhausted;
	if (st == LUA_OK || st == LUA_YIELD) {
		*yielded = st == LUA_YIELD;
		return 0;
	}
	/* No conversion: a dead thread must not allocate (nothing catches). */
	msg = lua_type(T, -1) == LUA_TSTRING ? lua_tostring(T, -1) :
	    "(error object is not a string)";
	if (st == LUA_ERRMEM)
		return fb_err(FB_ERR_LIMIT,
		    "script exceeded its memory limit of %zu bytes", h->lim.mem);
	if (b->exhausted)
		return fb_err(FB_ERR_LIMIT, "%s", msg);
	return fb_err(FB_ERR_LUA, "%s", msg);
}

/* ---- protected calls --------------------------------------------------- */

static int
msg_handler(lua_State *L)
{
	struct fblua *h = fblua_host(L);
	const char *msg = lua_tostring(L, 1);

	if (msg == NULL) {
		if (luaL_callmeta(L, 1, "__tostring") &&
		    lua_type(L, -1) == LUA_TSTRING)
			msg = lua_tostring(L, -1);
		else
			msg = lua_pushfstring(L, "(error object is a %s value)",
			    luaL_typename(L, 1));
	}
	luaL_traceback(L, L, msg, 1);
	free(h->tb);
	h->tb = xstrdup(lua_tostring(L, -1));
	lua_pushstring(L, msg);
	return 1;
}

int
fblua_pcall(struct fblua *h, int nargs, int nres)
{
	lua_State *L = h->L;
	int base = lua_gettop(L) - nargs, st, rc;
	const char *msg;

	lua_pushcfunction(L, msg_handler);
	lua_insert(L, base);
	if (h->depth++ == 0) {
		h->emit_rc = 0;
	}
	budget_reset(h);
	st = lua_pcall(L, nargs, nres, base);
	h->depth--;
	lua_remove(L, base);
	if (st == LUA_OK) {
		if (h->emit_rc != 0) {
			lua_settop(L, base - 1);
			return h->emit_rc;
		}
		return 0;
	}
	msg = lua_tostring(L, -1);
	if (msg == NULL)
		msg = "(no message)";
	if (h->emit_rc != 0)
		rc = h->emit_rc;
	else if (st == LUA_ERRMEM)
		rc = fb_err(FB_ERR_LIMIT,
		    "script exceeded its memory limit of %zu bytes", h->lim.mem);
	else if (h->exhausted)
		rc = fb_err(FB_ERR_LIMIT, "%s", msg);
	else
		rc = fb_err(FB_ERR_LUA, "%s", msg);
	lua_pop(L, 1);
	return rc;
}

/* ---- the trimmed library ----------------------------------------------- */

static int
l_print(lua_State *L)
{
	struct fblua *h = fblua_host(L);
	int i, n = lua_gettop(L);
	size_t len;
	const char *s;

	for (i = 1; i <= n; i++) {
		s = luaL_tolstring(L, i, &len);
		if (h->out != NULL) {
			if (i > 1)
				h->out(h->out_ud, "\t", 1);
			h->out(h->out_ud, s, len);
		}
		lua_pop(L, 1);
	}
	if (h->out != NULL)
		h->out(h->out_ud, "\n", 1);
	return 0;
}

/* load(string [, chunkname [, mode [, env]]]): text only, strings only. */
static int
l_load(lua_State *L)
{
	size_t len;
	const char *s, *name;

	if (lua_type(L, 1) != LUA_TSTRING)
		return luaL_argerror(L, 1, "only strings can be loaded here");
	s = lua_tolstring(L, 1, &len);
	name = luaL_optstring(L, 2, "=(load)");
	if (luaL_loadbufferx(L, s, len, name, "t") != LUA_OK) {
		lua_pushnil(L);
		lua_insert(L, -2);
		return 2;
	}
	if (!lua_isnoneornil(L, 4)) {
		lua_pushvalue(L, 4);
		if (lua_setupvalue(L, -2, 1) == NULL)
			lua_pop(L, 1);
	}
	return 1;
}

static int
l_collectgarbage(lua_State *L)
{
	static const char *const opts[] = { "collect", "count", "step", NULL };
	int o = luaL_checkoption(L, 1, "collect", opts);

	switch (o) {
	case 0:
		lua_gc(L, LUA_GCCOLLECT);
		lua_pushinteger(L, 0);
		return 1;
	case 1: {
		int kb = lua_gc(L, LUA_GCCOUNT), b = lua_gc(L, LUA_GCCOUNTB);
		lua_pushnumber(L, (lua_Number)kb + ((lua_Number)b / 1024));
		return 1;
	}
	default:
		lua_pushboolean(L, lua_gc(L, LUA_GCSTEP, 0));
		return 1;
	}
}

/*
 * Finalizers run with hooks off (Lua stops hooks during __gc), so a __gc
 * loop would escape the budget: refuse metatables that carry one.
 */
static int
l_setmetatable(lua_State *L)
{
	int t = lua_type(L, 2);

	luaL_checktype(L, 1, LUA_TTABLE);
	luaL_argexpected(L, t == LUA_TNIL || t == LUA_TTABLE, 2, "nil or table");
	if (t == LUA_TTABLE) {
		lua_pushliteral(L, "__gc");
		if (lua_rawget(L, 2) != LUA_TNIL)
			return luaL_error(L, "__gc metamethods are not allowed");
		lua_pop(L, 1);
	}
	if (luaL_getmetafield(L, 1, "__metatable") != LUA_TNIL)
		return luaL_error(L, "cannot change a protected metatable");
	lua_settop(L, 2);
	lua_setmetatable(L, 1);
	return 1;
}

/*
 * An error raised by the count hook reaches the message handler while Lua
 * still has hooks switched off (they come back when the error is caught),
 * so a user handler could loop unbounded. Once the budget is spent, user
 * handlers are not called at all.
 */
static int
xpcall_handler(lua_State *L)
{
	if (fblua_host(L)->exhausted)
		return 1;
	lua_pushvalue(L, lua_upvalueindex(1));
	lua_insert(L, 1);
	lua_call(L, lua_gettop(L) - 1, 1);
	return 1;
}

static int
l_xpcall(lua_State *L)
{
	luaL_checktype(L, 2, LUA_TFUNCTION);
	lua_pushvalue(L, 2);
	lua_pushcclosure(L, xpcall_handler, 1);
	lua_replace(L, 2);
	lua_pushvalue(L, lua_upvalueindex(1));
	lua_insert(L, 1);
	lua_call(L, lua_gettop(L) - 1, LUA_MULTRET);
	return lua_gettop(L);
}

static int
valid_module_name(const char *name)
{
	const char *p;
	int seglen = 0;

	if (strncmp(name, "firebreak.", 10) != 0)
		return 0;
	for (p = name + 10; ; p++) {
		if (*p == '.' || *p == '\0') {
			if (seglen == 0)
				return 0;
			if (*p == '\0')
				return 1;
			seglen = 0;
			continue;
		}
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		    (*p >= '0' && *p <= '9') || *p == '_' || *p == '-'))
			return 0;
		if (++seglen > 64)
			return 0;
	}
}

/* A fresh environment table whose reads fall back to the globals. */
static void
push_env(lua_State *L)
{
	lua_newtable(L);
	lua_createtable(L, 0, 1);
	lua_pushglobaltable(L);
	lua_setfield(L, -2, "__index");
	lua_setmetatable(L, -2);
}

/*
 * require(name): cjson, or firebreak.a.b from <datadir>/lua/firebreak/a/b.lua,
 * loaded as text into its own environment. Nothing else.
 */
static int
l_require(lua_State *L)
{
	struct fblua *h = fblua_host(L);
	const char *name = luaL_checkstring(L, 1);
	struct stat sb;
	char *path, *p;
	void *buf;
	ssize_t n;
	size_t got;
	int fd;

	lua_settop(L, 1);
	lua_getfield(L, LUA_REGISTRYINDEX, REG_MODULES);        /* 2 */
	if (lua_getfield(L, 2, name) != LUA_TNIL)
		return 1;
	lua_pop(L, 1);
	if (strcmp(name, "cjson") == 0) {
		lua_getglobal(L, "cjson");
		return 1;
	}
	if (!valid_module_name(name))
		return luaL_error(L, "module '%s' is not available in the sandbox",
		    name);

	lua_pushfstring(L, "%s/lua/%s.lua", fb_datadir(), name);  /* 3 */
	lua_pushvalue(L, -1);
	/* name has only [A-Za-z0-9_-] and dots: turn the dots into '/'. */
	p = (char *)lua_newuserdatauv(L, lua_rawlen(L, 3) + 1, 0); /* 5 */
	memcpy(p, lua_tostring(L, 3), lua_rawlen(L, 3) + 1);
	lua_remove(L, 4);
	path = p;
	p = path + strlen(fb_datadir()) + strlen("/lua/");
	for (; *p != '\0'; p++)
		if (*p == '.' && strcmp(p, ".lua") != 0)
			*p = '/';

	/* The buffer is a userdata so a Lua error cannot leak it. */
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return luaL_error(L, "module '%s' not found", name);
	if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode) ||
	    (size_t)sb.st_size > h->lim.script_size) {
		close(fd);
		return luaL_error(L, "module '%s': not a regular file or too large",
		    name);
	}
	/* lua_newuserdatauv may raise: do it with no fd open. */
	close(fd);
	buf = lua_newuserdatauv(L, (size_t)sb.st_size + 1, 0);   /* 5 */
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return luaL_error(L, "module '%s' not found", name);
	for (got = 0; got < (size_t)sb.st_size; got += (size_t)n) {
		n = read(fd, (char *)buf + got, (size_t)sb.st_size - got);
		if (n < 0 && errno == EINTR) {
			n = 0;
			continue;
		}
		if (n <= 0)
			break;
	}
	close(fd);
	lua_pushfstring(L, "@%s.lua", name);
	if (luaL_loadbufferx(L, buf, got, lua_tostring(L, -1), "t") != LUA_OK)
		return lua_error(L);
	push_env(L);
	lua_setupvalue(L, -2, 1);
	lua_pushvalue(L, 1);
	lua_call(L, 1, 1);
	if (lua_isnil(L, -1)) {
		lua_pop(L, 1);
		lua_pushboolean(L, 1);
	}
	lua_pushvalue(L, -1);
	lua_setfield(L, 2, name);
	return 1;
}

static int
open_fb_module(lua_State *L, const char *name, lua_CFunction open)
{
	lua_getglobal(L, "fb");
	lua_pushcfunction(L, open);
	lua_call(L, 0, 1);
	lua_setfield(L, -2, name);
	lua_pop(L, 1);
	return 0;
}

static int
sandbox_setup(lua_State *L)
{
	struct fblua *h = fblua_host(L);
	static const char *const base_drop[] = {
		"dofile", "loadfile", "require", "module", NULL,
	};
	static const char *const os_keep[] = { "time", "date", "clock", NULL };
	const struct fblua_module *m;
	int i;

	luaL_requiref(L, LUA_GNAME, luaopen_base, 1);
	luaL_requiref(L, LUA_STRLIBNAME, luaopen_string, 1);
	luaL_requiref(L, LUA_TABLIBNAME, luaopen_table, 1);
	luaL_requiref(L, LUA_MATHLIBNAME, luaopen_math, 1);
	luaL_requiref(L, LUA_UTF8LIBNAME, luaopen_utf8, 1);
	luaL_requiref(L, LUA_COLIBNAME, luaopen_coroutine, 1);
	luaL_requiref(L, "cjson", luaopen_cjson, 1);
	lua_settop(L, 0);

	/* os, reduced to time, date and clock. */
	luaL_requiref(L, LUA_OSLIBNAME, luaopen_os, 0);
	lua_createtable(L, 0, 3);
	for (i = 0; os_keep[i] != NULL; i++) {
		lua_getfield(L, 1, os_keep[i]);
		lua_setfield(L, 2, os_keep[i]);
	}
	lua_setglobal(L, "os");
	lua_settop(L, 0);
	/* Forget the full os table requiref kept in _LOADED. */
	lua_getfield(L, LUA_REGISTRYINDEX, LUA_LOADED_TABLE);
	lua_pushnil(L);
	lua_setfield(L, -2, LUA_OSLIBNAME);
	lua_pop(L, 1);

	for (i = 0; base_drop[i] != NULL; i++) {
		lua_pushnil(L);
		lua_setglobal(L, base_drop[i]);
	}
	lua_register(L, "load", l_load);
	lua_register(L, "print", l_print);
	lua_register(L, "collectgarbage", l_collectgarbage);
	lua_register(L, "setmetatable", l_setmetatable);
	lua_register(L, "require", l_require);
	lua_getglobal(L, "xpcall");
	lua_pushcclosure(L, l_xpcall, 1);
	lua_setglobal(L, "xpcall");

	lua_getglobal(L, LUA_STRLIBNAME);
	lua_pushnil(L);
	lua_setfield(L, -2, "dump");
	lua_pop(L, 1);
	fblua_patterns_install(L);

	/* Scripts must not reach (or replace) the string metatable. */
	lua_pushliteral(L, "");
	lua_getmetatable(L, -1);
	lua_pushboolean(L, 0);
	lua_setfield(L, -2, "__metatable");
	lua_pop(L, 2);

	lua_newtable(L);
	lua_setfield(L, LUA_REGISTRYINDEX, REG_SCRIPTS);
	lua_newtable(L);
	lua_setfield(L, LUA_REGISTRYINDEX, REG_MODULES);

	lua_createtable(L, 0, 8);
	lua_pushstring(L, profile_names[h->profile]);
	lua_setfield(L, -2, "profile");
	lua_setglobal(L, "fb");
	for (m = fblua_modules; m->name != NULL; m++)
		if (m->profiles & (1u << h->profile))
			open_fb_module(L, m->name, m->open);
	return 0;
}

/* ---- lifecycle --------------------------------------------------------- */

int
fblua_new(enum fblua_profile profile, const struct fblua_limits *lim,
    struct fblua **out)
{
	struct fblua *h;
	int rc;

	if ((unsigned)profile >= FBLUA__NPROFILES)
		return fb_err(FB_ERR_INVAL, "unknown Lua profile %d", (int)profile);
	h = xcalloc(1, sizeof(*h));
	h->profile = profile;
	if (lim != NULL)
		h->lim = *lim;
	if (h->lim.mem == 0)
		h->lim.mem = DEF_MEM;
	if (h->lim.instructions == 0)
		h->lim.instructions = DEF_INSNS;
	if (h->lim.json_depth == 0)
		h->lim.json_depth = DEF_JSON_DEPTH;
	if (h->lim.json_string == 0)
		h->lim.json_string = DEF_JSON_STRING;
	if (h->lim.script_size == 0)
		h->lim.script_size = DEF_SCRIPT_SIZE;
	h->L = lua_newstate(host_alloc, h);
	if (h->L == NULL) {
		free(h);
		return fb_err(FB_ERR_NOMEM, "cannot create a Lua state");
	}
	lua_atpanic(h->L, host_panic);
	lua_setwarnf(h->L, host_warn, h);
	lua_pushcfunction(h->L, sandbox_setup);
	if ((rc = fblua_pcall(h, 0, 0)) != 0) {
		fblua_free(h);
		return rc;
	}
	*out = h;
	return 0;
}

void
fblua_free(struct fblua *h)
{
	if (h == NULL)
		return;
	h->closing = 1;
	lua_close(h->L);
	free(h->tb);
	free(h);
}

const struct fblua_limits *
fblua_limits(const struct fblua *h)
{
	return &h->lim;
}

size_t
fblua_mem_used(const struct fblua *h)
{
	return h->mem;
}

const char *
fblua_traceback(const struct fblua *h)
{
	return h->tb != NULL ? h->tb : "";
}

void
fblua_set_output(struct fblua *h, void (*fn)(void *, const char *, size_t),
    void *ud)
{
	h->out = fn;
	h->out_ud = ud;
}

void
fblua_set_emit(struct fblua *h, int (*fn)(void *, struct fblua_ev *), void *ud)
{
	h->emit = fn;
	h->emit_ud = ud;
}

struct reg_args {
	const char *name;
	const luaL_Reg *funcs;
};

static int
register_protected(lua_State *L)
{
	struct reg_args *a = lua_touserdata(L, 1);

	lua_getglobal(L, "fb");
	lua_newtable(L);
	luaL_setfuncs(L, a->funcs, 0);
	lua_setfield(L, -2, a->name);
	return 0;
}

int
fblua_register(struct fblua *h, const char *modname, const luaL_Reg *funcs)
{
	struct reg_args a = { modname, funcs };

	lua_pushcfunction(h->L, register_protected);
	lua_pushlightuserdata(h->L, &a);
	return fblua_pcall(h, 1, 0);
}

/* ---- scripts ----------------------------------------------------------- */

struct load_args {
	const char *src;
	size_t len;
	const char *chunkname;
	int ref;
};

/*
 * Load as text, give the chunk its own environment, run it, and keep
 * { env, module-or-false } in the registry under a reference.
 */
static int
load_protected(lua_State *L)
{
	struct load_args *a = lua_touserdata(L, 1);
	char name[256];
	int st;

	snprintf(name, sizeof(name), "@%s", a->chunkname);
	st = luaL_loadbufferx(L, a->src, a->len, name, "t");
	if (st != LUA_OK)
		return lua_error(L);
	push_env(L);                                      /* chunk env */
	lua_pushvalue(L, -1);
	lua_setupvalue(L, -3, 1);
	lua_insert(L, -2);                                /* env chunk */
	lua_call(L, 0, 1);                                /* env ret */
	lua_createtable(L, 2, 0);
	lua_pushvalue(L, -3);
	lua_rawseti(L, -2, 1);
	if (lua_type(L, -2) == LUA_TTABLE)
		lua_pushvalue(L, -2);
	else
		lua_pushboolean(L, 0);
	lua_rawseti(L, -2, 2);
	lua_getfield(L, LUA_REGISTRYINDEX, REG_SCRIPTS);
	lua_insert(L, -2);
	a->ref = luaL_ref(L, -2);
	return 0;
}

int
fblua_load_string(struct fblua *h, const char *src, size_t len,
    const char *chunkname, int *script)
{
	struct load_args a = { src, len, chunkname, LUA_NOREF };
	int rc;

	if (len > h->lim.script_size)
		return fb_err(FB_ERR_LIMIT, "script '%s' is larger than %zu bytes",
		    chunkname, h->lim.script_size);
	lua_pushcfunction(h->L, load_protected);
	lua_pushlightuserdata(h->L, &a);
	if ((rc = fblua_pcall(h, 1, 0)) != 0)
		return rc;
	*script = a.ref;
	return 0;
}

int
fblua_load_file(struct fblua *h, const char *path, const char *chunkname,
    int *script)
{
	struct fb_buf b;
	int rc;

	fb_buf_init(&b);
	rc = fb_buf_read_file(&b, path, h->lim.script_size);
	if (rc == 0)
		rc = fblua_load_string(h, b.data, b.len,
		    chunkname != NULL ? chunkname : path, script);
	fb_buf_release(&b);
	return rc;
}

/*
 * Push script's value called name (module first, then its environment,
 * raw: never the sandbox globals). Returns its type. May raise.
 */
static int
push_script_field(lua_State *L, int script, const char *name)
{
	int t;

	lua_getfield(L, LUA_REGISTRYINDEX, REG_SCRIPTS);
	if (lua_rawgeti(L, -1, script) != LUA_TTABLE) {
		lua_pop(L, 2);
		lua_pushnil(L);
		return LUA_TNIL;
	}
	lua_remove(L, -2);
	if (lua_rawgeti(L, -1, 2) == LUA_TTABLE) {
		lua_pushstring(L, name);
		if ((t = lua_rawget(L, -2)) != LUA_TNIL) {
			lua_replace(L, -3);
			lua_pop(L, 1);
			return t;
		}
		lua_pop(L, 1);
	}
	lua_pop(L, 1);
	lua_rawgeti(L, -1, 1);
	lua_pushstring(L, name);
	t = lua_rawget(L, -2);
	lua_replace(L, -3);
	lua_pop(L, 1);
	return t;
}

struct field_args {
	int script;
	const char *name;
	int type;
};

static int
field_protected(lua_State *L)
{
	struct field_args *a = lua_touserdata(L, 1);

	a->type = push_script_field(L, a->script, a->name);
	return 1;
}

/* Push the field (protected); returns 0 or -FB_ERR_*, *type its type. */
static int
script_field(struct fblua *h, int script, const char *name, int *type)
{
	struct field_args a = { script, name, LUA_TNIL };
	int rc;

	lua_pushcfunction(h->L, field_protected);
	lua_pushlightuserdata(h->L, &a);
	if ((rc = fblua_pcall(h, 1, 1)) != 0)
		return rc;
	*type = a.type;
	return 0;
}

int
fblua_has_function(struct fblua *h, int script, const char *name)
{
	int t;

	if (script_field(h, script, name, &t) != 0)
		return 0;
	lua_pop(h->L, 1);
	return t == LUA_TFUNCTION;
}

int
fblua_script_view(struct fblua *h, int script,
    int (*fn)(void *, struct fblua_ev *), void *ud)
{
	lua_State *L = h->L;
	struct fblua_ev ev;
	int rc, top = lua_gettop(L);

	/* Registry tables exist; rawgeti allocates nothing: cannot raise. */
	lua_pushliteral(L, REG_SCRIPTS);
	lua_rawget(L, LUA_REGISTRYINDEX);
	if (lua_rawgeti(L, -1, script) != LUA_TTABLE) {
		lua_settop(L, top);
		return fb_err(FB_ERR_NOENT, "no such script");
	}
	if (lua_rawgeti(L, -1, 2) != LUA_TTABLE) {
		lua_pop(L, 1);
		lua_rawgeti(L, -1, 1);
	}
	ev.h = h;
	ev.L = L;
	ev.idx = lua_gettop(L);
	rc = fn(ud, &ev);
	lua_settop(L, top);
	return rc;
}

/* ---- calls ------------------------------------------------------------- */

static int
l_emit(lua_State *L)
{
	struct fblua *h = fblua_host(L);
	struct fblua_ev ev;
	int rc;

	luaL_checktype(L, 1, LUA_TTABLE);
	lua_settop(L, 1);
	if (h->emit_rc != 0)
		return luaL_error(L, "emit: the receiver failed earlier");
	if (h->emit == NULL)
		return luaL_error(L, "emit: nothing receives findings here");
	ev.h = h;
	ev.L = L;
	ev.idx = 1;
	rc = h->emit(h->emit_ud, &ev);
	if (rc != 0) {
		h->emit_rc = rc;
		return luaL_error(L, "emit: %s", fb_errmsg(rc));
	}
	return 0;
}

void
fblua_push_emit(lua_State *L)
{
	lua_pushcfunction(L, l_emit);
}

struct call_args {
	const char *fmt;
	va_list *ap;
	int nargs;
};

/* Push the arguments (may raise: runs protected). */
static int
push_args_protected(lua_State *L)
{
	struct call_args *a = lua_touserdata(L, 1);
	const char *f, *s;
	size_t n;

	lua_pop(L, 1);
	for (f = a->fmt; *f != '\0'; f++) {
		luaL_checkstack(L, 1, "too many arguments");
		switch (*f) {
		case 's':
			s = va_arg(*a->ap, const char *);
			if (s == NULL)
				lua_pushnil(L);
			else
				lua_pushstring(L, s);
			break;
		case 'l':
			s = va_arg(*a->ap, const char *);
			n = va_arg(*a->ap, size_t);
			lua_pushlstring(L, s, n);
			break;
		case 'i':
			lua_pushinteger(L, (lua_Integer)va_arg(*a->ap, int64_t));
			break;
		case 'd':
			lua_pushnumber(L, va_arg(*a->ap, double));
			break;
		case 'b':
			lua_pushboolean(L, va_arg(*a->ap, int));
			break;
		case 'J':
			s = va_arg(*a->ap, const char *);
			n = va_arg(*a->ap, size_t);
			fblua_json_push(L, s, n);
			break;
		case 'E':
			fblua_push_emit(L);
			break;
		default:
			return luaL_error(L, "bad argument format '%c'", *f);
		}
		a->nargs++;
	}
	return a->nargs;
}

int
fblua_call(struct fblua *h, int script, const char *fn,
    int (*ret)(void *, struct fblua_ev *), void *ud, const char *fmt, ...)
{
	lua_State *L = h->L;
	struct call_args a;
	struct fblua_ev ev;
	va_list ap;
	int rc, t, top = lua_gettop(L);

	if ((rc = script_field(h, script, fn, &t)) != 0)
		return rc;
	if (t != LUA_TFUNCTION) {
		lua_settop(L, top);
		return fb_err(FB_ERR_NOENT, "script has no function '%s'", fn);
	}
	va_start(ap, fmt);
	a.fmt = fmt != NULL ? fmt : "";
	a.ap = &ap;
	a.nargs = 0;
	lua_pushcfunction(L, push_args_protected);
	lua_pushlightuserdata(L, &a);
	rc = fblua_pcall(h, 1, LUA_MULTRET);
	va_end(ap);
	if (rc != 0) {
		lua_settop(L, top);
		return rc;
	}
	if ((rc = fblua_pcall(h, a.nargs, 1)) != 0) {
		lua_settop(L, top);
		return rc;
	}
	if (ret != NULL) {
		ev.h = h;
		ev.L = L;
		ev.idx = lua_gettop(L);
		rc = ret(ud, &ev);
	}
	lua_settop(L, top);
	return rc;
}
