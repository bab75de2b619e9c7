# lua module: the sandboxed host (the only code that calls lua_*).
libfirebreak_a_SOURCES += \
	src/lua/lua.h src/lua/lua-int.h \
	src/lua/host.c src/lua/json.c src/lua/ev.c src/lua/pattern.c \
	src/lua/modules.c src/lua/fb-playbook.h src/lua/playbook.c

check_PROGRAMS += tests/t-lua
tests_t_lua_SOURCES = tests/t-lua.c tests/tap.h
tests_t_lua_CFLAGS = $(libfirebreak_a_CFLAGS)
tests_t_lua_LDADD = $(FB_LIBS)
TESTS += tests/t-lua
EXTRA_DIST += tests/fixtures/lua fuzz/fuzz-json-stream.c
