/*
 * json.c: JSON into Lua straight from yajl callbacks, and record streaming.
 *
 * A parse walks the document with a stack of frames. Outside a record it
 * only tracks, per frame, which declared paths (the record path and the
 * context paths, at most 31 in all) the position still matches; nothing is
 * built. When a value starts at the end of a path it is built as a Lua
 * value on the stack; when it completes it is handed to parse_record (the
 * record path) or stored in ctx (a context path) and dropped. So memory is
 * one record, whatever the input size.
 *
 * The parser state lives in C memory owned by a userdata's __gc and by the
 * C caller, so a Lua error (out of memory while building a table) thrown
 * through yajl's frames leaks nothing.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <yajl_parse.h>

#include "lua/lua-int.h"

#define MAX_PATHS 31
#define CHUNK (64 * 1024)
#define META "fb.jsonstate"

enum { MODE_DECODE, MODE_STREAM };
enum { ROUTE_SKIP, ROUTE_NAV, ROUTE_BUILD };

struct jpath {
	char *name;             /* ctx key (context paths) */
	char **seg;
	size_t nseg;
};

struct frame {
	char type;              /* 'm' or 'a' */
	uint32_t mask;          /* paths this container is a proper prefix of */
	size_t index;           /* next element index (0-based) */
};

struct jstate {
	int owners;             /* the userdata and, for streams, the C caller */
	int mode;
	struct fblua *h;
	lua_State *L;
	yajl_handle y;
	struct jpath paths[MAX_PATHS];  /* [0] is the record path */
	size_t npaths;
	int jsonl;
	struct frame *frames;
	size_t depth, cap;
	uint32_t pending;       /* mask for the value after a map key */
	int building;
	size_t build_depth;
	int target;             /* path index being built */
	int done;               /* decode: the document is on the stack */
	int rc;                 /* first error */
	uint64_t offset;        /* bytes before the chunk yajl is parsing */
	uint64_t last_event;    /* offset of the last callback */
	uint64_t line;          /* current line (JSON Lines), 1-based */
	int line_content;
	uint64_t records;
	int idx_func, idx_ctx, idx_emit;
	const struct fblua_stream *s;
	const char *buf;        /* input (buffer mode) */
	size_t len;
	int fd;
	char *chunk;
};

static void
jstate_release(struct jstate *j)
{
	size_t i, k;

	if (j->y != NULL)
		yajl_free(j->y);
	j->y = NULL;
	for (i = 0; i < j->npaths; i++) {
		for (k = 0; k < j->paths[i].nseg; k++)
			free(j->paths[i].seg[k]);
		free(j->paths[i].seg);
		free(j->paths[i].name);
	}
	j->npaths = 0;
	free(j->frames);
	j->frames = NULL;
	free(j->chunk);
	j->chunk = NULL;
}

static void
jstate_unref(struct jstate *j)
{
	if (j == NULL)
		return;
	jstate_release(j);
	if (--j->owners == 0)
		free(j);
}

static int
jstate_gc(lua_State *L)
{
	struct jstate **box = luaL_checkudata(L, 1, META);

	jstate_unref(*box);
	*box = NULL;
	return 0;
}

/* Push a userdata that owns j (one reference). May raise. */
static void
push_box(lua_State *L, struct jstate *j)
{
	struct jstate **box = lua_newuserdatauv(L, sizeof(*box), 0);

	*box = NULL;
	if (luaL_newmetatable(L, META)) {
		lua_pushcfunction(L, jstate_gc);
		lua_setfield(L, -2, "__gc");
	}
	lua_setmetatable(L, -2);
	*box = j;
	j->owners++;
}

/* ---- paths ------------------------------------------------------------- */

static void
path_parse(struct jpath *p, const char *spec, const char *name)
{
	const char *s = spec, *dot;

	memset(p, 0, sizeof(*p));
	if (*s != '\0') {
		for (;;) {
			dot = strchr(s, '.');
			p->seg = xrealloc(p->seg, (p->nseg + 1) * sizeof(*p->seg));
			p->seg[p->nseg++] = dot != NULL ?
			    xstrndup(s, (size_t)(dot - s)) : xstrdup(s);
			if (dot == NULL)
				break;
			s = dot + 1;
		}
	}
	if (name != NULL)
		p->name = xstrdup(name);
}

static int
seg_match(const char *seg, const char *key, size_t klen, size_t index,
    int is_index)
{
	const char *d;
	size_t v = 0;

	if (seg[0] == '*' && seg[1] == '\0')
		return 1;
	if (!is_index)
		return strlen(seg) == klen && memcmp(seg, key, klen) == 0;
	if (seg[0] == '\0')
		return 0;
	for (d = seg; *d != '\0'; d++) {
		if (*d < '0' || *d > '9' || v > SIZE_MAX / 10 - 1)
			return 0;
		v = v * 10 + (size_t)(*d - '0');
	}
	return v == index;
}

static uint32_t
child_mask(struct jstate *j, uint32_t parent, const char *key, size_t klen,
    size_t index, int is_index)
{
	uint32_t m = 0;
	size_t i, d = j->depth;         /* the child's position length */

	for (i = 0; i < j->npaths; i++)
		if ((parent & (1u << i)) && j->paths[i].nseg >= d &&
		    seg_match(j->paths[i].seg[d - 1], key, klen, index, is_index))
			m |= 1u << i;
	return m;
}

/* ---- errors ------------------------------------------------------------ */

static uint64_t
here(struct jstate *j)
{
	return j->offset + (j->y != NULL ? yajl_get_bytes_consumed(j->y) : 0);
}

static int
fail(struct jstate *j, int code, const char *what)
{
	if (j->rc != 0)
		return 0;
	if (j->jsonl)
		j->rc = fb_err(code, "line %llu (byte %llu): %s",
		    (unsigned long long)j->line, (unsigned long long)here(j), what);
	else
		j->rc = fb_err(code, "byte %llu: %s", (unsigned long long)here(j),
		    what);
	return 0;
}

/* ---- delivering values ------------------------------------------------- */

/*
 * ctx.indices: the 0-based positions of the arrays on the record's path,
 * outermost first ("runs.*.results.*" gives { run, result }), so a record
 * can find what a prescan kept for its run. One table, rewritten in place.
 */
static void
set_indices(struct jstate *j)
{
	lua_State *L = j->L;
	lua_Integer n = 0;
	size_t i;

	if (lua_getfield(L, j->idx_ctx, "indices") != LUA_TTABLE) {
		lua_pop(L, 1);
		lua_createtable(L, 4, 0);
		lua_pushvalue(L, -1);
		lua_setfield(L, j->idx_ctx, "indices");
	}
	for (i = 0; i < j->depth; i++)
		if (j->frames[i].type == 'a') {
			lua_pushinteger(L, (lua_Integer)j->frames[i].index - 1);
			lua_rawseti(L, -2, ++n);
		}
	while (lua_rawlen(L, -1) > (size_t)n) {
		lua_pushnil(L);
		lua_rawseti(L, -2, (lua_Integer)lua_rawlen(L, -2));
	}
	lua_pop(L, 1);
}

/* The built value is on top of the stack. */
static int
deliver(struct jstate *j)
{
	lua_State *L = j->L;
	struct jpath *p = &j->paths[j->target];
	int rc;

	j->building = 0;
	if (j->mode == MODE_DECODE) {
		j->done = 1;
		return 1;
	}
	if (j->target != 0) {
		lua_setfield(L, j->idx_ctx, p->name);
		return 1;
	}
	lua_pushinteger(L, (lua_Integer)j->records);
	lua_setfield(L, j->idx_ctx, "record_index");
	set_indices(j);
	lua_pushvalue(L, j->idx_func);
	lua_insert(L, -2);
	lua_pushvalue(L, j->idx_ctx);
	lua_pushvalue(L, j->idx_emit);
	j->records++;
	if ((rc = fblua_pcall(j->h, 3, 0)) != 0) {
		j->rc = rc;
		return 0;
	}
	/* The record is garbage now: keep the heap near one record. */
	lua_gc(L, LUA_GCSTEP, 0);
	return 1;
}

/* A complete value is on top of the stack, inside a record being built. */
static int
value_end(struct jstate *j)
{
	struct frame *f;

	if (j->build_depth == 0)
		return deliver(j);
	f = &j->frames[j->depth - 1];
	if (f->type == 'a')
		lua_rawseti(j->L, -2, (lua_Integer)++f->index);
	else
		lua_rawset(j->L, -3);
	return 1;
}

/* Decide what to do with a value that is starting. */
static int
value_begin(struct jstate *j)
{
	uint32_t m;
	struct frame *f;
	size_t i;

	j->last_event = here(j);
	if (j->building)
		return ROUTE_BUILD;
	if (j->depth == 0) {
		m = (1u << j->npaths) - 1;
	} else {
		f = &j->frames[j->depth - 1];
		if (f->type == 'a')
			m = child_mask(j, f->mask, NULL, 0, f->index++, 1);
		else
			m = j->pending;
	}
	for (i = 1; i < j->npaths; i++) {
		struct jpath *p = &j->paths[i];
		/* A new element under a '*' makes the old context stale. */
		if ((m & (1u << i)) && j->depth > 0 && p->nseg > j->depth &&
		    strcmp(p->seg[j->depth - 1], "*") == 0) {
			lua_pushnil(j->L);
			lua_setfield(j->L, j->idx_ctx, p->name);
		}
	}
	for (i = 0; i < j->npaths; i++) {
		if ((m & (1u << i)) && j->paths[i].nseg == j->depth) {
			j->building = 1;
			j->build_depth = 0;
			j->target = (int)i;
			return ROUTE_BUILD;
		}
	}
	j->pending = m;
	return m != 0 ? ROUTE_NAV : ROUTE_SKIP;
}

/* ---- yajl callbacks ---------------------------------------------------- */

static int
cb_null(void *ctx)
{
	struct jstate *j = ctx;

	if (value_begin(j) != ROUTE_BUILD)
		return 1;
	lua_pushlightuserdata(j->L, NULL);      /* == cjson.null */
	return value_end(j);
}

static int
cb_boolean(void *ctx, int v)
{
	struct jstate *j = ctx;

	if (value_begin(j) != ROUTE_BUILD)
		return 1;
	lua_pushboolean(j->L, v);
	return value_end(j);
}

static int
cb_number(void *ctx, const char *s, size_t n)
{
	struct jstate *j = ctx;
	char tmp[64], *copy = tmp;
	long long ll = 0;
	double d = 0;
	int kind;               /* 0 integer, 1 float, 2 big integer */

	if (value_begin(j) != ROUTE_BUILD)
		return 1;
	if (n > j->h->lim.json_string)
		return fail(j, FB_ERR_LIMIT, "number too long");
	if (n >= sizeof(tmp))
		copy = xmalloc(n + 1);
	memcpy(copy, s, n);
	copy[n] = '\0';
	if (memchr(copy, '.', n) == NULL && memchr(copy, 'e', n) == NULL &&
	    memchr(copy, 'E', n) == NULL) {
		errno = 0;
		ll = strtoll(copy, NULL, 10);
		kind = errno == ERANGE ? 2 : 0;
	} else {
		d = strtod(copy, NULL);
		kind = 1;
	}
	/* Free before pushing: a push may raise. */
	if (copy != tmp)
		free(copy);
	if (kind == 0)
		lua_pushinteger(j->L, (lua_Integer)ll);
	else if (kind == 1)
		lua_pushnumber(j->L, (lua_Number)d);
	else
		lua_pushlstring(j->L, s, n);    /* exact digits */
	return value_end(j);
}

static int
cb_string(void *ctx, const unsigned char *s, size_t n)
{
	struct jstate *j = ctx;

	if (n > j->h->lim.json_string)
		return fail(j, FB_ERR_LIMIT, "string longer than the limit");
	if (value_begin(j) != ROUTE_BUILD)
		return 1;
	lua_pushlstring(j->L, (const char *)s, n);
	return value_end(j);
}

static int
open_container(struct jstate *j, char type)
{
	int route = value_begin(j);
	struct frame *f;

	if (j->depth >= j->h->lim.json_depth)
		return fail(j, FB_ERR_LIMIT, "JSON nested too deeply");
	if (j->depth == j->cap) {
		j->cap = j->cap != 0 ? j->cap * 2 : 32;
		j->frames = xrealloc(j->frames, j->cap * sizeof(*j->frames));
	}
	f = &j->frames[j->depth++];
	f->type = type;
	f->index = 0;
	f->mask = route == ROUTE_NAV ? j->pending : 0;
	if (route == ROUTE_BUILD) {
		j->build_depth++;
		luaL_checkstack(j->L, 4, "JSON nested too deeply");
		lua_createtable(j->L, 0, 0);
	}
	return 1;
}

static int
close_container(struct jstate *j)
{
	j->last_event = here(j);
	j->depth--;
	if (!j->building)
		return 1;
	j->build_depth--;
	return value_end(j);
}

static int
cb_start_map(void *ctx)
{
	return open_container(ctx, 'm');
}

static int
cb_start_array(void *ctx)
{
	return open_container(ctx, 'a');
}

static int
cb_end(void *ctx)
{
	return close_container(ctx);
}

static int
cb_map_key(void *ctx, const unsigned char *s, size_t n)
{
	struct jstate *j = ctx;
	struct frame *f = &j->frames[j->depth - 1];

	j->last_event = here(j);
	if (n > j->h->lim.json_string)
		return fail(j, FB_ERR_LIMIT, "key longer than the limit");
	if (j->building)
		lua_pushlstring(j->L, (const char *)s, n);
	else
		j->pending = f->mask != 0 ?
		    child_mask(j, f->mask, (const char *)s, n, 0, 0) : 0;
	return 1;
}

static const yajl_callbacks callbacks = {
	cb_null, cb_boolean, NULL, NULL, cb_number, cb_string,
	cb_start_map, cb_map_key, cb_end, cb_start_array, cb_end,
};

/* ---- driving yajl ------------------------------------------------------ */

static void
new_parser(struct jstate *j)
{
	if (j->y != NULL)
		yajl_free(j->y);
	j->y = yajl_alloc(&callbacks, NULL, j);
	if (j->y == NULL)
		fatal("out of memory");
}

static int
yajl_failed(struct jstate *j, const unsigned char *p, size_t n)
{
	unsigned char *msg;
	char *nl;

	if (j->rc != 0)
		return j->rc;
	msg = yajl_get_error(j->y, 0, p, n);
	nl = strchr((char *)msg, '\n');
	if (nl != NULL)
		*nl = '\0';
	fail(j, FB_ERR_PARSE, (const char *)msg);
	yajl_free_error(j->y, msg);
	return j->rc;
}

/* Parse n bytes with the current handle, in slices (so limits bite). */
static int
parse_bytes(struct jstate *j, const char *p, size_t n)
{
	size_t k;

	while (n > 0) {
		k = n < CHUNK ? n : CHUNK;
		if (yajl_parse(j->y, (const unsigned char *)p, k) != yajl_status_ok)
			return yajl_failed(j, (const unsigned char *)p, k);
		j->offset += k;
		if (j->offset - j->last_event > j->h->lim.json_string + 64)
			return fail(j, FB_ERR_LIMIT,
			    "a JSON token is longer than the limit"), j->rc;
		p += k;
		n -= k;
	}
	return 0;
}

static int
finish_doc(struct jstate *j)
{
	if (yajl_complete_parse(j->y) != yajl_status_ok)
		return yajl_failed(j, NULL, 0);
	return 0;
}

static int
is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* JSON Lines: each line is its own document. */
static int
feed_lines(struct jstate *j, const char *p, size_t n)
{
	const char *nl;
	size_t k, i;
	int rc;

	while (n > 0) {
		nl = memchr(p, '\n', n);
		k = nl != NULL ? (size_t)(nl - p) : n;
		for (i = 0; i < k && !j->line_content; i++)
			if (!is_space(p[i]))
				j->line_content = 1;
		if (j->line_content && (rc = parse_bytes(j, p, k)) != 0)
			return rc;
		if (!j->line_content) {
			j->offset += k;
			j->last_event = j->offset;
		}
		if (nl == NULL)
			break;
		if (j->line_content) {
			if ((rc = finish_doc(j)) != 0)
				return rc;
			new_parser(j);
		}
		j->offset++;
		j->last_event = j->offset;
		j->line++;
		j->line_content = 0;
		p += k + 1;
		n -= k + 1;
	}
	return 0;
}

static int
feed(struct jstate *j, const char *p, size_t n)
{
	if (j->s != NULL && j->s->tap != NULL)
		j->s->tap(j->s->tap_ud, p, n);
	return j->jsonl ? feed_lines(j, p, n) : parse_bytes(j, p, n);
}

static int
finish(struct jstate *j)
{
	if (j->jsonl)
		return j->line_content ? finish_doc(j) : 0;
	return finish_doc(j);
}

/* ---- entry points ------------------------------------------------------ */

/* Runs protected: [1] = lightuserdata jstate. */
static int
stream_protected(lua_State *L)
{
	struct jstate *j = lua_touserdata(L, 1);
	ssize_t n;
	int rc = 0;

	push_box(L, j);                                  /* 2 */
	lua_getfield(L, LUA_REGISTRYINDEX, "fb.scripts");
	lua_rawgeti(L, -1, j->s->script);
	lua_remove(L, -2);                               /* 3: script rec */
	j->idx_func = 4;
	lua_pushnil(L);                                  /* 4 */
	if (lua_type(L, 3) == LUA_TTABLE) {
		if (lua_rawgeti(L, 3, 2) == LUA_TTABLE)
			lua_getfield(L, -1, j->s->func);
		else
			lua_pushnil(L);
		if (lua_type(L, -1) != LUA_TFUNCTION) {
			lua_pop(L, 2);
			lua_rawgeti(L, 3, 1);
			lua_pushstring(L, j->s->func);
			lua_rawget(L, -2);
		}
		lua_replace(L, 4);
		lua_settop(L, 4);
	}
	if (lua_type(L, 4) != LUA_TFUNCTION)
		return luaL_error(L, "the script has no function '%s'", j->s->func);
	lua_newtable(L);                                 /* 5 */
	j->idx_ctx = 5;
	fblua_push_emit(L);                              /* 6 */
	j->idx_emit = 6;
	new_parser(j);

	if (j->buf != NULL) {
		rc = feed(j, j->buf, j->len);
	} else {
		j->chunk = xmalloc(CHUNK);
		for (;;) {
			n = read(j->fd, j->chunk, CHUNK);
			if (n < 0 && errno == EINTR)
				continue;
			if (n < 0) {
				rc = j->rc = fb_err(FB_ERR_IO, "read error: %s",
				    strerror(errno));
				break;
			}
			if (n == 0)
				break;
			if ((rc = feed(j, j->chunk, (size_t)n)) != 0)
				break;
		}
	}
	if (rc == 0)
		rc = finish(j);
	if (rc == 0 && j->s->finish != NULL && lua_type(L, 3) == LUA_TTABLE) {
		/* The adapter's finish(ctx, emit): module first, then env. */
		if (lua_rawgeti(L, 3, 2) == LUA_TTABLE)
			lua_getfield(L, -1, j->s->finish);
		else
			lua_pushnil(L);
		if (lua_type(L, -1) != LUA_TFUNCTION) {
			lua_pop(L, 2);
			lua_rawgeti(L, 3, 1);
			lua_pushstring(L, j->s->finish);
			lua_rawget(L, -2);
		}
		if (lua_type(L, -1) == LUA_TFUNCTION) {
			lua_pushvalue(L, j->idx_ctx);
			lua_pushvalue(L, j->idx_emit);
			lua_call(L, 2, 0);
		}
		lua_settop(L, 6);
	}
	if (rc != 0 && j->rc == 0)
		j->rc = rc;
	return 0;
}

static int
stream_run(struct fblua *h, const struct fblua_stream *s, const void *p,
    size_t n, int fd, struct fblua_stream_stats *st)
{
	struct jstate *j = xcalloc(1, sizeof(*j));
	const char *const *c;
	const char *eq, *dot;
	int rc;

	j->owners = 1;
	j->mode = MODE_STREAM;
	j->h = h;
	j->L = fblua_state(h);
	j->s = s;
	j->jsonl = s->jsonl;
	j->line = 1;
	j->buf = p;
	j->len = n;
	j->fd = fd;
	path_parse(&j->paths[0], s->record_path != NULL ? s->record_path : "",
	    NULL);
	j->npaths = 1;
	for (c = s->context; c != NULL && *c != NULL; c++) {
		if (j->npaths == MAX_PATHS) {
			rc = fb_err(FB_ERR_LIMIT, "more than %d context paths",
			    MAX_PATHS - 1);
			goto out;
		}
		if ((eq = strchr(*c, '=')) != NULL) {
			char *name = xstrndup(*c, (size_t)(eq - *c));
			path_parse(&j->paths[j->npaths], eq + 1, name);
			free(name);
		} else {
			dot = strrchr(*c, '.');
			path_parse(&j->paths[j->npaths], *c,
			    dot != NULL ? dot + 1 : *c);
		}
		j->npaths++;
	}
	lua_pushcfunction(j->L, stream_protected);
	lua_pushlightuserdata(j->L, j);
	rc = fblua_pcall(h, 1, 0);
	if (rc == 0)
		rc = j->rc;
	if (st != NULL) {
		st->records = j->records;
		st->bytes = j->offset;
		st->lines = j->jsonl ? j->line - (j->line_content ? 0 : 1) : 0;
	}
out:
	jstate_unref(j);
	return rc;
}

static const struct fblua_stream *
with_defaults(const struct fblua_stream *s, struct fblua_stream *copy)
{
	*copy = *s;
	if (copy->func == NULL)
		copy->func = "parse_record";
	return copy;
}

int
fblua_stream_buf(struct fblua *h, const struct fblua_stream *s, const void *p,
    size_t n, struct fblua_stream_stats *st)
{
	struct fblua_stream copy;

	return stream_run(h, with_defaults(s, &copy), p != NULL ? p : "", n, -1,
	    st);
}

int
fblua_stream_fd(struct fblua *h, const struct fblua_stream *s, int fd,
    struct fblua_stream_stats *st)
{
	struct fblua_stream copy;

	return stream_run(h, with_defaults(s, &copy), NULL, 0, fd, st);
}

/* Decode a whole document and push it; raises on error. */
void
fblua_json_push(lua_State *L, const char *p, size_t n)
{
	struct jstate *j = xcalloc(1, sizeof(*j));
	int rc;

	j->mode = MODE_DECODE;
	j->h = fblua_host(L);
	j->L = L;
	j->line = 1;
	/* Owned by the box from here: an error below frees it through __gc. */
	push_box(L, j);
	path_parse(&j->paths[0], "", NULL);
	j->npaths = 1;
	new_parser(j);
	rc = parse_bytes(j, p, n);
	if (rc == 0)
		rc = finish_doc(j);
	jstate_release(j);
	if (rc != 0 || !j->done) {
		lua_pushfstring(L, "invalid JSON: %s",
		    rc != 0 ? fb_errmsg(rc) : "no value");
		lua_error(L);
	}
	lua_remove(L, -2);      /* the box */
}

static int
l_json_decode(lua_State *L)
{
	size_t n;
	const char *p = luaL_checklstring(L, 1, &n);

	lua_settop(L, 1);
	fblua_json_push(L, p, n);
	return 1;
}

int
fblua_open_json(lua_State *L)
{
	static const luaL_Reg funcs[] = {
		{ "decode", l_json_decode },
		{ NULL, NULL },
	};

	luaL_newlib(L, funcs);
	lua_pushlightuserdata(L, NULL);
	lua_setfield(L, -2, "null");
	return 1;
}

static int
check_protected(lua_State *L)
{
	const char *p = lua_touserdata(L, 1);
	size_t n = (size_t)lua_tointeger(L, 2);

	fblua_json_push(L, p, n);
	return 0;
}

int
fblua_json_check(struct fblua *h, const void *p, size_t n)
{
	lua_State *L = fblua_state(h);
	int rc;

	lua_pushcfunction(L, check_protected);
	lua_pushlightuserdata(L, (void *)(uintptr_t)p);
	lua_pushinteger(L, (lua_Integer)n);
	rc = fblua_pcall(h, 2, 0);
	if (rc == -FB_ERR_LUA)
		rc = fb_err(FB_ERR_PARSE, "%s", fb_errmsg(rc));
	return rc;
}
