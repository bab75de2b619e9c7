/*
 * ev.c: read-only views of Lua values for C callers (struct fblua_ev).
 *
 * These run inside callbacks that are themselves inside Lua (emit), so
 * nothing here may raise a Lua error: a longjmp would cross the caller's C
 * frames. Hence only raw accesses, lua_next, lua_rawgeti and
 * lua_checkstack — calls that allocate nothing in the Lua heap — and never
 * lua_pushstring or number-to-string conversion.
 */
#include "config.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <yajl_gen.h>

#include "lua/lua-int.h"

#define ENC_DEPTH 100           /* below yajl_gen's own limit of 128 */
#define SORT_MAX 4096           /* larger objects keep table order */

static int
all_digits(const char *s, size_t n)
{
	size_t i;

	if (n == 0 || n > 18)
		return 0;
	for (i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return 0;
	return 1;
}

/* Replace the table on top with its field k (or nil); never raises. */
static void
raw_field(lua_State *L, const char *k, size_t klen)
{
	const char *s;
	size_t n;

	lua_pushnil(L);
	while (lua_next(L, -2) != 0) {
		if (lua_type(L, -2) == LUA_TSTRING) {
			s = lua_tolstring(L, -2, &n);
			if (n == klen && memcmp(s, k, n) == 0) {
				lua_remove(L, -2);      /* key */
				lua_remove(L, -2);      /* table */
				return;
			}
		}
		lua_pop(L, 1);
	}
	lua_pop(L, 1);
	lua_pushnil(L);
}

/*
 * Push the value at path (nil when absent). Returns 0, or -1 with nothing
 * pushed if the stack cannot grow.
 */
static int
ev_push(struct fblua_ev *ev, const char *path)
{
	lua_State *L = ev->L;
	const char *p = path != NULL ? path : "", *dot;
	size_t n;

	if (!lua_checkstack(L, 4))
		return -1;
	lua_pushvalue(L, ev->idx);
	while (*p != '\0') {
		dot = strchr(p, '.');
		n = dot != NULL ? (size_t)(dot - p) : strlen(p);
		if (lua_type(L, -1) != LUA_TTABLE) {
			lua_pop(L, 1);
			lua_pushnil(L);
			return 0;
		}
		if (all_digits(p, n)) {
			lua_rawgeti(L, -1, (lua_Integer)strtoll(p, NULL, 10));
			lua_remove(L, -2);
		} else {
			raw_field(L, p, n);
		}
		p += n;
		if (*p == '.')
			p++;
	}
	return 0;
}

static enum fblua_type
type_at(lua_State *L, int idx)
{
	switch (lua_type(L, idx)) {
	case LUA_TNIL:
	case LUA_TNONE:
		return FBLUA_T_NONE;
	case LUA_TBOOLEAN:
		return FBLUA_T_BOOL;
	case LUA_TNUMBER:
		return lua_isinteger(L, idx) ? FBLUA_T_INT : FBLUA_T_NUM;
	case LUA_TSTRING:
		return FBLUA_T_STR;
	case LUA_TTABLE:
		return FBLUA_T_TABLE;
	case LUA_TLIGHTUSERDATA:
		if (lua_touserdata(L, idx) == NULL)
			return FBLUA_T_NULL;
		return FBLUA_T_OTHER;
	default:
		return FBLUA_T_OTHER;
	}
}

enum fblua_type
fblua_ev_type(struct fblua_ev *ev, const char *path)
{
	enum fblua_type t;

	if (ev_push(ev, path) != 0)
		return FBLUA_T_NONE;
	t = type_at(ev->L, -1);
	lua_pop(ev->L, 1);
	return t;
}

const char *
fblua_ev_str(struct fblua_ev *ev, const char *path, size_t *len)
{
	const char *s = NULL;
	size_t n = 0;

	if (ev_push(ev, path) != 0)
		return NULL;
	/* The string stays alive in its table after the pop. */
	if (lua_type(ev->L, -1) == LUA_TSTRING)
		s = lua_tolstring(ev->L, -1, &n);
	lua_pop(ev->L, 1);
	if (s != NULL && len != NULL)
		*len = n;
	return s;
}

int
fblua_ev_int(struct fblua_ev *ev, const char *path, int64_t *out)
{
	lua_State *L = ev->L;
	enum fblua_type t;
	lua_Integer v = 0;
	int isnum = 0;
	const char *s;
	char *end;

	if (ev_push(ev, path) != 0)
		return fb_err(FB_ERR_NOMEM, "Lua stack exhausted");
	t = type_at(L, -1);
	if (t == FBLUA_T_INT || t == FBLUA_T_NUM) {
		v = lua_tointegerx(L, -1, &isnum);
	} else if (t == FBLUA_T_STR) {
		s = lua_tostring(L, -1);
		v = strtoll(s, &end, 10);
		isnum = end != s && *end == '\0';
	}
	lua_pop(L, 1);
	if (t == FBLUA_T_NONE || t == FBLUA_T_NULL)
		return -FB_ERR_NOENT;
	if (!isnum)
		return fb_err(FB_ERR_INVAL, "field '%s' is not an integer", path);
	*out = (int64_t)v;
	return 0;
}

int
fblua_ev_num(struct fblua_ev *ev, const char *path, double *out)
{
	lua_State *L = ev->L;
	enum fblua_type t;
	double v = 0;
	int isnum = 0;
	const char *s;
	char *end;

	if (ev_push(ev, path) != 0)
		return fb_err(FB_ERR_NOMEM, "Lua stack exhausted");
	t = type_at(L, -1);
	if (t == FBLUA_T_INT || t == FBLUA_T_NUM) {
		v = (double)lua_tonumber(L, -1);
		isnum = 1;
	} else if (t == FBLUA_T_STR) {
		s = lua_tostring(L, -1);
		v = strtod(s, &end);
		isnum = end != s && *end == '\0';
	}
	lua_pop(L, 1);
	if (t == FBLUA_T_NONE || t == FBLUA_T_NULL)
		return -FB_ERR_NOENT;
	if (!isnum)
		return fb_err(FB_ERR_INVAL, "field '%s' is not a number", path);
	*out = v;
	return 0;
}

int
fblua_ev_bool(struct fblua_ev *ev, const char *path, int *out)
{
	lua_State *L = ev->L;
	enum fblua_type t;
	int v = 0;

	if (ev_push(ev, path) != 0)
		return fb_err(FB_ERR_NOMEM, "Lua stack exhausted");
	t = type_at(L, -1);
	if (t == FBLUA_T_BOOL)
		v = lua_toboolean(L, -1);
	lua_pop(L, 1);
	if (t == FBLUA_T_NONE || t == FBLUA_T_NULL)
		return -FB_ERR_NOENT;
	if (t != FBLUA_T_BOOL)
		return fb_err(FB_ERR_INVAL, "field '%s' is not a boolean", path);
	*out = v;
	return 0;
}

size_t
fblua_ev_len(struct fblua_ev *ev, const char *path)
{
	size_t n = 0;

	if (ev_push(ev, path) != 0)
		return 0;
	if (lua_type(ev->L, -1) == LUA_TTABLE)
		n = (size_t)lua_rawlen(ev->L, -1);
	lua_pop(ev->L, 1);
	return n;
}

/* 1 if the table on top has exactly the keys 1..n, n > 0. */
static int
is_array(lua_State *L)
{
	size_t n = (size_t)lua_rawlen(L, -1), count = 0;

	if (n == 0)
		return 0;
	lua_pushnil(L);
	while (lua_next(L, -2) != 0) {
		lua_pop(L, 1);
		if (!lua_isinteger(L, -1) || lua_tointeger(L, -1) < 1 ||
		    (size_t)lua_tointeger(L, -1) > n || ++count > n) {
			lua_pop(L, 1);
			return 0;
		}
	}
	return count == n;
}

struct okey {
	const char *k;          /* NULL for a number key: use num */
	size_t len;
	size_t ord;             /* position in lua_next order */
	char num[32];           /* a number key, as text */
};

#define OKEY(o) ((o)->k != NULL ? (o)->k : (o)->num)

static int
okey_cmp(const void *a, const void *b)
{
	const struct okey *x = a, *y = b;
	size_t n = x->len < y->len ? x->len : y->len;
	int c = memcmp(OKEY(x), OKEY(y), n);

	if (c != 0)
		return c;
	return x->len < y->len ? -1 : x->len > y->len;
}

/*
 * The object keys of the table on top (strings, and numbers as text),
 * sorted unless there are very many. Caller frees.
 */
static struct okey *
object_keys(lua_State *L, size_t *np)
{
	struct okey *v = NULL;
	size_t n = 0, cap = 0, ord = 0;

	lua_pushnil(L);
	while (lua_next(L, -2) != 0) {
		lua_pop(L, 1);
		if (lua_type(L, -1) == LUA_TSTRING ||
		    lua_type(L, -1) == LUA_TNUMBER) {
			if (n == cap) {
				cap = cap != 0 ? cap * 2 : 16;
				v = xrealloc(v, cap * sizeof(*v));
			}
			v[n].ord = ord;
			if (lua_type(L, -1) == LUA_TSTRING) {
				v[n].k = lua_tolstring(L, -1, &v[n].len);
			} else {
				if (lua_isinteger(L, -1))
					snprintf(v[n].num, sizeof(v[n].num),
					    "%lld", (long long)lua_tointeger(L, -1));
				else
					snprintf(v[n].num, sizeof(v[n].num),
					    "%.17g", (double)lua_tonumber(L, -1));
				v[n].k = NULL;
				v[n].len = strlen(v[n].num);
			}
			n++;
		}
		ord++;
	}
	if (n <= SORT_MAX && n > 1)
		qsort(v, n, sizeof(*v), okey_cmp);
	*np = n;
	return v;
}

/* Push the value of the ord-th entry (lua_next order) of the table on top. */
static void
push_nth(lua_State *L, size_t ord)
{
	size_t i = 0;

	lua_pushnil(L);
	while (lua_next(L, -2) != 0) {
		if (i++ == ord) {
			lua_remove(L, -2);
			return;
		}
		lua_pop(L, 1);
	}
	lua_pushnil(L);
}

int
fblua_ev_foreach(struct fblua_ev *ev, const char *path,
    int (*fn)(void *, const char *, size_t, struct fblua_ev *), void *ud)
{
	lua_State *L = ev->L;
	struct fblua_ev sub;
	struct okey *keys;
	size_t i, n;
	int rc = 0, top = lua_gettop(L);
	char *k;

	if (ev_push(ev, path) != 0)
		return fb_err(FB_ERR_NOMEM, "Lua stack exhausted");
	if (lua_type(L, -1) != LUA_TTABLE) {
		lua_settop(L, top);
		return 0;
	}
	sub.h = ev->h;
	sub.L = L;
	sub.idx = lua_gettop(L) + 1;
	if (!lua_checkstack(L, 4)) {
		lua_settop(L, top);
		return fb_err(FB_ERR_NOMEM, "Lua stack exhausted");
	}
	if (is_array(L)) {
		n = (size_t)lua_rawlen(L, -1);
		for (i = 1; i <= n && rc == 0; i++) {
			lua_rawgeti(L, -1, (lua_Integer)i);
			rc = fn(ud, NULL, i, &sub);
			lua_settop(L, sub.idx - 1);
		}
	} else {
		keys = object_keys(L, &n);
		for (i = 0; i < n && rc == 0; i++) {
			push_nth(L, keys[i].ord);
			k = xstrndup(OKEY(&keys[i]), keys[i].len);
			rc = fn(ud, k, 0, &sub);
			free(k);
			lua_settop(L, sub.idx - 1);
		}
		free(keys);
	}
	lua_settop(L, top);
	return rc;
}

/* ---- JSON -------------------------------------------------------------- */

static int
enc_number(yajl_gen g, lua_State *L)
{
	char buf[40];
	double d;
	int n;

	if (lua_isinteger(L, -1))
		return yajl_gen_integer(g, (long long)lua_tointeger(L, -1));
	d = (double)lua_tonumber(L, -1);
	if (!isfinite(d))
		return yajl_gen_null(g);
	/* The shortest of %.15g / %.17g that reads back the same. */
	n = snprintf(buf, sizeof(buf), "%.15g", d);
	if (strtod(buf, NULL) != d)
		n = snprintf(buf, sizeof(buf), "%.17g", d);
	/* "1e+20" is JSON; make integral floats look like numbers too. */
	return yajl_gen_number(g, buf, (size_t)n);
}

/* Encode the value on top of the stack. Returns 0 or -FB_ERR_INVAL. */
static int
enc(yajl_gen g, lua_State *L, int depth)
{
	struct okey *keys;
	const char *s;
	size_t i, n;
	int st = yajl_gen_status_ok, rc = 0;

	switch (lua_type(L, -1)) {
	case LUA_TNIL:
		st = yajl_gen_null(g);
		break;
	case LUA_TBOOLEAN:
		st = yajl_gen_bool(g, lua_toboolean(L, -1));
		break;
	case LUA_TNUMBER:
		st = enc_number(g, L);
		break;
	case LUA_TSTRING:
		s = lua_tolstring(L, -1, &n);
		st = yajl_gen_string(g, (const unsigned char *)s, n);
		if (st == yajl_gen_invalid_string)
			return fb_err(FB_ERR_INVAL, "string is not valid UTF-8");
		break;
	case LUA_TLIGHTUSERDATA:
		if (lua_touserdata(L, -1) == NULL) {
			st = yajl_gen_null(g);
			break;
		}
		return fb_err(FB_ERR_INVAL, "cannot encode a userdata as JSON");
	case LUA_TTABLE:
		if (depth >= ENC_DEPTH || !lua_checkstack(L, 4))
			return fb_err(FB_ERR_INVAL,
			    "table nested too deeply for JSON (a cycle?)");
		if (is_array(L)) {
			n = (size_t)lua_rawlen(L, -1);
			yajl_gen_array_open(g);
			for (i = 1; i <= n && rc == 0; i++) {
				lua_rawgeti(L, -1, (lua_Integer)i);
				rc = enc(g, L, depth + 1);
				lua_pop(L, 1);
			}
			if (rc != 0)
				return rc;
			st = yajl_gen_array_close(g);
			break;
		}
		keys = object_keys(L, &n);
		yajl_gen_map_open(g);
		for (i = 0; i < n && rc == 0; i++) {
			st = yajl_gen_string(g,
			    (const unsigned char *)OKEY(&keys[i]), keys[i].len);
			if (st != yajl_gen_status_ok) {
				free(keys);
				return fb_err(FB_ERR_INVAL,
				    "object key is not valid UTF-8");
			}
			push_nth(L, keys[i].ord);
			rc = enc(g, L, depth + 1);
			lua_pop(L, 1);
		}
		free(keys);
		if (rc != 0)
			return rc;
		st = yajl_gen_map_close(g);
		break;
	default:
		return fb_err(FB_ERR_INVAL, "cannot encode a %s as JSON",
		    lua_typename(L, lua_type(L, -1)));
	}
	if (st != yajl_gen_status_ok)
		return fb_err(FB_ERR_INVAL, "cannot encode value as JSON (%d)", st);
	return 0;
}

int
fblua_ev_json(struct fblua_ev *ev, const char *path, char **out, size_t *len)
{
	lua_State *L = ev->L;
	const unsigned char *buf;
	size_t n;
	yajl_gen g;
	int rc, top = lua_gettop(L);

	if (ev_push(ev, path) != 0)
		return fb_err(FB_ERR_NOMEM, "Lua stack exhausted");
	if (lua_isnil(L, -1)) {
		lua_settop(L, top);
		return -FB_ERR_NOENT;
	}
	if ((g = yajl_gen_alloc(NULL)) == NULL)
		fatal("out of memory");
	yajl_gen_config(g, yajl_gen_validate_utf8, 1);
	rc = enc(g, L, 0);
	lua_settop(L, top);
	if (rc == 0) {
		yajl_gen_get_buf(g, &buf, &n);
		*out = xstrndup((const char *)buf, n);
		if (len != NULL)
			*len = n;
	}
	yajl_gen_free(g);
	return rc;
}
