/*
 * pattern.c: string.find/match/gmatch/gsub with bounded work.
 *
 * The instruction hook cannot interrupt C code, and Lua's matcher
 * backtracks: "(.-)(.-)x" on a long subject runs for minutes inside one
 * call. Before handing a call to the stock function we bound its worst
 * case: every quantifier (* + -), %b and back-reference can multiply the
 * work by the subject length, so the estimate is (n+1)^(q+1) * (m+1) for a
 * subject of n bytes and a pattern of m bytes with q of those. A call over
 * FBLUA_PATTERN_COST is refused with an error the script can see; a call
 * under it is charged to the instruction budget. Plain searches (and
 * patterns without magic characters) cost n * m.
 */
#include "config.h"

#include <string.h>

#include <lualib.h>

#include "lua/lua-int.h"

#define FBLUA_PATTERN_COST ((uint64_t)1 << 31)

static uint64_t
mul_sat(uint64_t a, uint64_t b)
{
	if (a != 0 && b > UINT64_MAX / a)
		return UINT64_MAX;
	return a * b;
}

static uint64_t
pattern_cost(size_t n, const char *p, size_t m, int plain)
{
	uint64_t cost = (uint64_t)m + 1;
	size_t i, q = 0;

	if (!plain && strpbrk(p, "^$*+?.([%-") == NULL)
		plain = 1;
	if (!plain) {
		for (i = 0; i < m; i++) {
			switch (p[i]) {
			case '%':
				if (i + 1 < m && (p[i + 1] == 'b' ||
				    (p[i + 1] >= '1' && p[i + 1] <= '9')))
					q++;
				i++;
				break;
			case '*': case '+': case '-':
				q++;
				break;
			case '?':
				cost = mul_sat(cost, 2);
				break;
			}
		}
	}
	/* An anchored pattern is tried at one position only. */
	if (!plain && m > 0 && p[0] == '^' && q > 0)
		q--;
	else if (!plain && m > 0 && p[0] == '^')
		return mul_sat(cost, (uint64_t)n + 1);
	for (i = 0; i <= q; i++)
		cost = mul_sat(cost, (uint64_t)n + 1);
	return cost;
}

/* Check the call with subject at 1, pattern at 2; plainarg 0 = none. */
static void
bound(lua_State *L, int plainarg)
{
	size_t n, m;
	const char *p;
	uint64_t cost;

	luaL_checklstring(L, 1, &n);
	p = luaL_checklstring(L, 2, &m);
	cost = pattern_cost(n, p, m, plainarg != 0 && lua_toboolean(L, plainarg));
	if (cost > FBLUA_PATTERN_COST)
		luaL_error(L, "pattern '%s' is too costly for a %d-byte subject "
		    "(split the input or simplify the pattern)",
		    m > 40 ? "..." : p, (int)n);
	fblua_charge(L, cost / 16);
}

static int
call_orig(lua_State *L)
{
	lua_pushvalue(L, lua_upvalueindex(1));
	lua_insert(L, 1);
	lua_call(L, lua_gettop(L) - 1, LUA_MULTRET);
	return lua_gettop(L);
}

static int
b_find(lua_State *L)
{
	bound(L, 4);
	return call_orig(L);
}

static int
b_other(lua_State *L)
{
	bound(L, 0);
	return call_orig(L);
}

void
fblua_patterns_install(lua_State *L)
{
	static const char *const names[] = { "match", "gmatch", "gsub", NULL };
	int i;

	lua_getglobal(L, LUA_STRLIBNAME);
	lua_getfield(L, -1, "find");
	lua_pushcclosure(L, b_find, 1);
	lua_setfield(L, -2, "find");
	for (i = 0; names[i] != NULL; i++) {
		lua_getfield(L, -1, names[i]);
		lua_pushcclosure(L, b_other, 1);
		lua_setfield(L, -2, names[i]);
	}
	lua_pop(L, 1);
}
