/*
 * modules.c: which fb.* modules each profile gets. The profiles differ
 * only here; the sandbox is the same for all. Add a module by writing its
 * open function in src/lua and one line below.
 */
#include "config.h"

#include "lua/lua-int.h"

const struct fblua_module fblua_modules[] = {
	{ "json", FBLUA_ALL_PROFILES, fblua_open_json },
	{ NULL, 0, NULL },
};
