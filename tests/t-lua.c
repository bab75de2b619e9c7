/* t-lua.c: the Lua sandbox (against every profile) and JSON streaming. */
#include "config.h"

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/wait.h>

#include "core/core.h"
#include "lua/fb-playbook.h"
#include "lua/lua.h"
#include "tap.h"

#define FIX FB_SRCDIR "/tests/fixtures/lua"

static const char *const pnames[] = { "ingest", "correlate", "playbook" };

static struct fblua_limits small = {
	.mem = 16u << 20,
	.instructions = 5000000,
	.json_depth = 0,
	.json_string = 1u << 20,
	.script_size = 0,
};

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* ---- helpers ----------------------------------------------------------- */

static int
ret_bool(void *ud, struct fblua_ev *v)
{
	int *b = ud;

	if (fblua_ev_bool(v, "", b) != 0)
		*b = -1;
	return 0;
}

/* Evaluate a Lua expression in a fresh script; 1 true, 0 false, -1 error. */
static int
lua_true(struct fblua *h, const char *expr)
{
	char *src = xasprintf("function f() return %s end", expr);
	int script, b = -1, rc;

	rc = fblua_load_string(h, src, strlen(src), "probe", &script);
	free(src);
	if (rc == 0)
		rc = fblua_call(h, script, "f", ret_bool, &b, "");
	if (rc != 0)
		diag("%s: %s", expr, fb_errmsg(rc));
	return rc != 0 ? -1 : b;
}

/* Run a chunk; returns its rc. */
static int
run(struct fblua *h, const char *src)
{
	int script;

	return fblua_load_string(h, src, strlen(src), "bomb.lua", &script);
}

/* ---- the escape suite -------------------------------------------------- */

static void
escape_suite(enum fblua_profile p)
{
	const char *pn = pnames[p];
	struct fblua *h;
	double t0;
	int rc;

	rc = fblua_new(p, &small, &h);
	is_int(rc, 0, "new host");
	if (rc != 0)
		return;

	ok(lua_true(h, "io == nil") == 1, "%s: io absent", pn);
	ok(lua_true(h, "os.execute == nil and os.remove == nil and "
	    "os.getenv == nil and os.exit == nil and os.rename == nil") == 1,
	    "%s: os reduced (execute/remove/getenv/exit absent)", pn);
	ok(lua_true(h, "type(os.time()) == 'number' and "
	    "type(os.date('!%Y')) == 'string' and type(os.clock()) == 'number'") == 1,
	    "%s: os.time/date/clock present", pn);
	ok(lua_true(h, "debug == nil") == 1, "%s: debug absent", pn);
	ok(lua_true(h, "loadfile == nil and dofile == nil") == 1,
	    "%s: loadfile/dofile absent", pn);
	ok(lua_true(h, "string.dump == nil") == 1, "%s: string.dump absent", pn);
	ok(lua_true(h, "package == nil or package.loadlib == nil") == 1,
	    "%s: package.loadlib absent", pn);
	ok(lua_true(h, "load('\\27LuaT\\0\\25\\147\\r\\n\\26\\n') == nil and "
	    "select(2, load('\\27Lua')):find('binary') ~= nil") == 1,
	    "%s: load refuses a binary chunk", pn);
	ok(lua_true(h, "load('return 1 + 1')() == 2") == 1,
	    "%s: load of text still works", pn);
	ok(lua_true(h, "pcall(load, function() return nil end) == false") == 1,
	    "%s: load refuses reader functions", pn);
	rc = fblua_load_string(h, "\x1bLuaT\0\x19\x93\r\n\x1a\n", 12, "bin", &(int){0});
	ok(rc == -FB_ERR_LUA && strstr(fb_errmsg(rc), "binary") != NULL,
	    "%s: the host refuses a binary chunk (%s)", pn, fb_errmsg(rc));
	ok(lua_true(h, "not pcall(require, 'os')") == 1,
	    "%s: require 'os' refused", pn);
	ok(lua_true(h, "not pcall(require, 'socket')") == 1,
	    "%s: require 'socket' refused", pn);
	ok(lua_true(h, "not pcall(require, '../../etc/passwd')") == 1,
	    "%s: require '../../etc/passwd' refused", pn);
	ok(lua_true(h, "not pcall(require, 'firebreak.../../../etc/passwd') and "
	    "not pcall(require, 'firebreak./etc/passwd') and "
	    "not pcall(require, 'firebreak')") == 1,
	    "%s: require with path traversal refused", pn);
	ok(lua_true(h, "require('firebreak.testmod').answer == 42 and "
	    "require('firebreak.testmod').name == 'firebreak.testmod' and "
	    "leaked == nil") == 1,
	    "%s: require serves firebreak.* from the data dir", pn);
	ok(lua_true(h, "require('cjson') == cjson and "
	    "cjson.decode('[1]')[1] == 1") == 1, "%s: cjson available", pn);
	{
		char *e = xasprintf("fb.profile == '%s' and type(fb.json) == "
		    "'table'", pn);
		ok(lua_true(h, e) == 1, "%s: fb.profile and fb.json", pn);
		free(e);
	}
	ok(lua_true(h, "not pcall(setmetatable, {}, {__gc = function() "
	    "while true do end end})") == 1, "%s: __gc metatables refused", pn);
	ok(lua_true(h, "getmetatable('') == false") == 1,
	    "%s: string metatable hidden", pn);
	ok(lua_true(h, "pcall(collectgarbage, 'stop') == false and "
	    "collectgarbage('count') > 0") == 1,
	    "%s: collectgarbage reduced to a harmless subset", pn);

	/* Memory bombs fail cleanly, and the host works afterwards. */
	rc = run(h, "local s = 'x' while true do s = s .. s end");
	ok(rc == -FB_ERR_LIMIT && strstr(fb_errmsg(rc), "memory") != NULL,
	    "%s: string doubling stopped by the memory cap (%s)", pn,
	    fb_errmsg(rc));
	rc = run(h, "local t = {} for i = 1, 1e12 do t[i] = {i} end");
	ok(rc == -FB_ERR_LIMIT, "%s: table growth stopped (%s)", pn,
	    fb_errmsg(rc));
	rc = run(h, "local ok = pcall(string.rep, 'x', 1 << 40) "
	    "local t = {} while true do t[#t + 1] = ('y'):rep(1000) .. #t end");
	ok(rc == -FB_ERR_LIMIT, "%s: memory bomb after a caught one stopped", pn);
	ok(lua_true(h, "('ok'):rep(3) == 'okokok'") == 1,
	    "%s: host still works after the memory bombs", pn);

	/* The instruction budget. */
	t0 = now();
	rc = run(h, "while true do end");
	ok(rc == -FB_ERR_LIMIT && strstr(fb_errmsg(rc), "budget") != NULL,
	    "%s: infinite loop stopped (%s)", pn, fb_errmsg(rc));
	rc = run(h, "while true do pcall(function() while true do end end) end");
	ok(rc == -FB_ERR_LIMIT, "%s: pcall swallowing the budget error stopped",
	    pn);
	rc = run(h, "for i = 1, 10 do pcall(function() while true do end end) end "
	    "x = 1");
	ok(rc == -FB_ERR_LIMIT, "%s: code after a swallowed budget error "
	    "does not run", pn);
	rc = run(h, "while true do xpcall(function() while true do end end, "
	    "function() while true do end end) end");
	ok(rc == -FB_ERR_LIMIT, "%s: xpcall with a looping handler stopped", pn);
	rc = run(h, "local co = coroutine.wrap(function() while true do end end) "
	    "co()");
	ok(rc == -FB_ERR_LIMIT, "%s: coroutine infinite loop stopped", pn);
	rc = run(h, "while true do local co = coroutine.create(function() "
	    "while true do end end) coroutine.resume(co) end");
	ok(rc == -FB_ERR_LIMIT, "%s: coroutine.resume swallowing stopped", pn);
	ok(now() - t0 < 20, "%s: all loops stopped in bounded time", pn);
	ok(lua_true(h, "1 + 1 == 2") == 1,
	    "%s: a fresh entry gets a fresh budget", pn);

	/* Pattern matching cannot run away inside C. */
	t0 = now();
	rc = run(h, "local s = string.rep('a', 300000) "
	    "return string.find(s, '.-.-.-.-b')");
	ok(rc == -FB_ERR_LUA && strstr(fb_errmsg(rc), "costly") != NULL,
	    "%s: pathological pattern on a large string refused (%s)", pn,
	    fb_errmsg(rc));
	rc = run(h, "local s = string.rep('a', 300000) "
	    "for i = 1, 1e9 do s:find('aaaaaaaaaaaaaaaaaaaab') end");
	ok(rc == -FB_ERR_LIMIT, "%s: repeated costly searches use the budget (%s)",
	    pn, fb_errmsg(rc));
	ok(now() - t0 < 10, "%s: patterns bounded in time", pn);
	ok(lua_true(h, "select(2, ('key=value'):match('(%w+)=(%w+)')) == 'value'"
	    " and ('a,b,c'):gsub(',', ';') == 'a;b;c'"
	    " and string.find('x.y', '.', 1, true) == 2") == 1,
	    "%s: ordinary patterns work", pn);

	fblua_free(h);
}

/* ---- emit and accessors ------------------------------------------------ */

struct sink {
	struct fb_buf out;
	size_t maxmem;
	struct fblua *h;
	int fail_at;
	int n;
};

static int
asset_cb(void *ud, const char *key, size_t idx, struct fblua_ev *item)
{
	struct fb_buf *b = ud;

	fb_buf_addf(b, "[%zu %s:%s/%s]", idx, fblua_ev_str(item, "type", NULL),
	    fblua_ev_str(item, "value", NULL), fblua_ev_str(item, "role", NULL));
	return 0;
}

static int
sink_emit(void *ud, struct fblua_ev *ev)
{
	struct sink *s = ud;
	const char *t = fblua_ev_str(ev, "title", NULL);
	const char *tool = fblua_ev_str(ev, "tool", NULL);
	const char *art = fblua_ev_str(ev, "artifact", NULL);
	const char *tgt = fblua_ev_str(ev, "target", NULL);

	if (++s->n == s->fail_at)
		return fb_err(FB_ERR_STORE, "sink full");
	if (s->h != NULL && fblua_mem_used(s->h) > s->maxmem)
		s->maxmem = fblua_mem_used(s->h);
	if (s->out.len > 0)
		fb_buf_addch(&s->out, ',');
	fb_buf_addf(&s->out, "%s", t != NULL ? t : "?");
	if (tool != NULL)
		fb_buf_addf(&s->out, "|%s", tool);
	if (art != NULL)
		fb_buf_addf(&s->out, "|%s|%s", art, tgt != NULL ? tgt : "-");
	return 0;
}

struct captured {
	char *json;
	char *title;
	int64_t sev;
	size_t nassets;
	struct fb_buf assets;
	int tnull;
};

static int
capture_emit(void *ud, struct fblua_ev *ev)
{
	struct captured *c = ud;

	free(c->json);
	free(c->title);
	c->title = xstrdup(fblua_ev_str(ev, "title", NULL));
	if (fblua_ev_int(ev, "severity", &c->sev) != 0)
		c->sev = -1;
	c->nassets = fblua_ev_len(ev, "assets");
	fb_buf_reset(&c->assets);
	fblua_ev_foreach(ev, "assets", asset_cb, &c->assets);
	if (fblua_ev_json(ev, "raw", &c->json, NULL) != 0)
		c->json = NULL;
	return 0;
}

static void
emit_tests(void)
{
	struct fblua *h;
	struct captured c = { 0 };
	struct fb_buf sarif;
	struct fblua_stream s = { 0 };
	int script, rc, b;

	fb_buf_init(&c.assets);
	fb_buf_init(&sarif);
	if (fblua_new(FBLUA_INGEST, &small, &h) != 0)
		return;
	rc = fblua_load_file(h, FIX "/adapter.lua", "adapter.lua", &script);
	is_int(rc, 0, "adapter loads");
	ok(fblua_has_function(h, script, "parse_record"), "has parse_record");
	ok(!fblua_has_function(h, script, "parse"), "has no parse");
	ok(!fblua_has_function(h, script, "print"),
	    "sandbox globals are not the script's functions");

	rc = fblua_call(h, script, "boom", NULL, NULL, "");
	ok(rc == -FB_ERR_LUA && strstr(fb_errmsg(rc), "adapter.lua:") != NULL &&
	    strstr(fb_errmsg(rc), "boom") != NULL,
	    "script error names script and line (%s)", fb_errmsg(rc));
	ok(strstr(fblua_traceback(h), "stack traceback") != NULL,
	    "traceback kept");
	rc = fblua_call(h, script, "nosuch", NULL, NULL, "");
	is_int(rc, -FB_ERR_NOENT, "calling a missing function is NOENT");

	fblua_set_emit(h, capture_emit, &c);
	fb_buf_read_file(&sarif, FIX "/sarif-small.json", 1 << 20);
	s.script = script;
	s.record_path = "runs.*.results.*";
	rc = fblua_stream_buf(h, &s, sarif.data, sarif.len, NULL);
	is_int(rc, 0, "stream with capture");
	is_str(c.title, "r4", "last finding's title");
	is_int(c.sev, 3, "integer field");
	is_int(c.nassets, 2, "asset array length");
	is_str(c.assets.data, "[1 host:gpu-1/target][2 model:sha256:ab/subject]",
	    "assets iterated in order with fields");
	is_str(c.json, "{\"ruleId\":\"r4\"}", "raw record re-encoded as JSON");

	/* The first record's raw JSON: sorted keys, nested objects. */
	rc = fblua_stream_buf(h, &s, sarif.data, 200, NULL);
	ok(rc == -FB_ERR_PARSE, "truncated SARIF is a parse error");

	rc = fblua_call(h, script, "echo", NULL, NULL, "J",
	    "{\"b\":[1,2.5,\"x\",null,true],\"a\":{\"z\":1,\"y\":{}}}",
	    (size_t)46);
	is_int(rc, 0, "call with a JSON argument");
	ok(lua_true(h, "fb.json.null == cjson.null") == 1,
	    "fb.json.null is cjson.null");
	ok(lua_true(h, "math.type(fb.json.decode('9007199254740993')) == "
	    "'integer' and fb.json.decode('9007199254740993') == "
	    "9007199254740993") == 1, "integers beyond 2^53 stay exact");
	ok(lua_true(h, "fb.json.decode('123456789012345678901234567890') == "
	    "'123456789012345678901234567890'") == 1,
	    "integers beyond 64 bits are kept as strings");
	ok(lua_true(h, "fb.json.decode('[null]')[1] == cjson.null and "
	    "cjson.decode('[null]')[1] == fb.json.decode('[null]')[1]") == 1,
	    "null maps to cjson.null on both paths");
	ok(lua_true(h, "math.type(fb.json.decode('1.5')) == 'float' and "
	    "fb.json.decode('{\"a\":[true,false]}').a[2] == false") == 1,
	    "floats and booleans");
	ok(lua_true(h, "not pcall(fb.json.decode, '{\"a\":')") == 1,
	    "fb.json.decode raises on bad JSON");
	b = lua_true(h, "(function() local ok, e = pcall(fb.json.decode, "
	    "'[1,2') return e:find('byte') ~= nil end)()");
	ok(b == 1, "fb.json.decode error names the byte");

	free(c.json);
	free(c.title);
	fb_buf_release(&c.assets);
	fb_buf_release(&sarif);
	fblua_free(h);
}

static int
json_of_result(void *ud, struct fblua_ev *v)
{
	char **out = ud;

	return fblua_ev_json(v, "", out, NULL);
}

static void
json_encode_tests(void)
{
	struct fblua *h;
	char *js = NULL;
	int script, rc;
	const char *src = "function f() return { b = { 3, 2, 1 }, a = 'x\"\\n', "
	    "c = { z = 1.5, y = cjson.null, [7] = true }, d = 1e300, e = 0.1 } end "
	    "function g() return { f = function() end } end "
	    "function k() local t = {} t.t = t return t end";

	if (fblua_new(FBLUA_INGEST, NULL, &h) != 0)
		return;
	rc = fblua_load_string(h, src, strlen(src), "enc.lua", &script);
	is_int(rc, 0, "encoder script loads");
	rc = fblua_call(h, script, "f", json_of_result, &js, "");
	is_int(rc, 0, "encode a table");
	if (rc != 0)
		diag("%s", fb_errmsg(rc));
	is_str(js, "{\"a\":\"x\\\"\\n\",\"b\":[3,2,1],\"c\":{\"7\":true,"
	    "\"y\":null,\"z\":1.5},\"d\":1e+300,\"e\":0.1}",
	    "JSON: sorted keys, arrays, escapes, null, numbers");
	free(js);
	js = NULL;
	rc = fblua_call(h, script, "g", json_of_result, &js, "");
	is_int(rc, -FB_ERR_INVAL, "functions cannot be encoded");
	rc = fblua_call(h, script, "k", json_of_result, &js, "");
	is_int(rc, -FB_ERR_INVAL, "a cycle is refused, not followed");
	fblua_free(h);
}

/* ---- streaming --------------------------------------------------------- */

static int
stream_str(struct fblua *h, int script, const char *func, const char *path,
    const char *const *ctx, int jsonl, const char *doc, struct sink *sk,
    struct fblua_stream_stats *st)
{
	struct fblua_stream s = { 0 };

	s.script = script;
	s.func = func;
	s.record_path = path;
	s.context = ctx;
	s.jsonl = jsonl;
	fb_buf_reset(&sk->out);
	fblua_set_emit(h, sink_emit, sk);
	return fblua_stream_buf(h, &s, doc, strlen(doc), st);
}

static void
stream_tests(void)
{
	static const char *const sarif_ctx[] = { "driver=runs.*.tool.driver", NULL };
	static const char *const trivy_ctx[] = { "ArtifactName",
		"target=Results.*.Target", NULL };
	struct fblua *h;
	struct sink sk = { FB_BUF_INIT, 0, NULL, 0, 0 };
	struct fb_buf doc;
	struct fblua_stream_stats st;
	int script, rc, fds[2], i;
	char *big;
	const char *rec_src = "function rec(r, ctx, emit) emit({ title = "
	    "tostring(r.id) .. ':' .. ctx.record_index }) end "
	    "function bad(r) error('adapter bug') end "
	    "function count(r, ctx, emit) ctx.n = (ctx.n or 0) + 1 "
	    "if r.last then emit({ title = tostring(ctx.n) }) end end";
	int rscript;

	fb_buf_init(&doc);
	if (fblua_new(FBLUA_INGEST, &small, &h) != 0)
		return;
	sk.h = h;
	rc = fblua_load_file(h, FIX "/adapter.lua", "adapter.lua", &script);
	rc |= fblua_load_string(h, rec_src, strlen(rec_src), "rec.lua", &rscript);
	is_int(rc, 0, "stream scripts load");

	fb_buf_read_file(&doc, FIX "/sarif-small.json", 1 << 20);
	rc = stream_str(h, script, NULL, "runs.*.results.*", sarif_ctx, 0,
	    doc.data, &sk, &st);
	is_int(rc, 0, "SARIF: runs.*.results.*");
	is_str(sk.out.data, "r1|toolA,r2|toolA,r3|toolB,r4|-",
	    "SARIF: records in order, driver from ctx, cleared for a new run");
	is_int(st.records, 4, "SARIF: 4 records counted");

	fb_buf_reset(&doc);
	fb_buf_read_file(&doc, FIX "/trivy-small.json", 1 << 20);
	rc = stream_str(h, script, "trivy", "Results.*.Vulnerabilities.*",
	    trivy_ctx, 0, doc.data, &sk, NULL);
	is_int(rc, 0, "Trivy: Results.*.Vulnerabilities.*");
	is_str(sk.out.data,
	    "CVE-2024-0001|registry.local/llm-serve:1.4|llm-serve (debian 12.5),"
	    "CVE-2024-0002|registry.local/llm-serve:1.4|llm-serve (debian 12.5),"
	    "GHSA-xxxx|registry.local/llm-serve:1.4|requirements.txt",
	    "Trivy: ArtifactName and per-result Target captured as context");

	rc = stream_str(h, rscript, "rec", "*", NULL, 0,
	    "[{\"id\":1},{\"id\":2},{\"id\":3}]", &sk, NULL);
	is_str(sk.out.data, "1:0,2:1,3:2", "top-level array '*'");
	rc = stream_str(h, rscript, "rec", "matches.*", NULL, 0,
	    "{\"x\":{\"matches\":[{\"id\":9}]},\"matches\":[{\"id\":1},{\"id\":2}],"
	    "\"after\":[{\"id\":7}]}", &sk, NULL);
	is_str(sk.out.data, "1:0,2:1", "matches.* ignores same names elsewhere");
	rc = stream_str(h, rscript, "rec", "a.1.*", NULL, 0,
	    "{\"a\":[[{\"id\":1}],[{\"id\":2},{\"id\":3}]]}", &sk, NULL);
	is_str(sk.out.data, "2:0,3:1", "numeric segment picks one array index");
	rc = stream_str(h, rscript, "rec", "by_host.*", NULL, 0,
	    "{\"by_host\":{\"gpu-1\":{\"id\":\"a\"},\"gpu-2\":{\"id\":\"b\"}}}",
	    &sk, NULL);
	is_str(sk.out.data, "a:0,b:1", "'*' also walks object members");
	rc = stream_str(h, rscript, "rec", "", NULL, 0, "{\"id\":5}", &sk, NULL);
	is_str(sk.out.data, "5:0", "empty path: the whole document is one record");

	/* Errors. */
	rc = stream_str(h, rscript, "rec", "*", NULL, 0, "[{\"id\":1},{\"id\":",
	    &sk, NULL);
	ok(rc == -FB_ERR_PARSE && strstr(fb_errmsg(rc), "byte") != NULL,
	    "truncated input: parse error with offset (%s)", fb_errmsg(rc));
	is_str(sk.out.data, "1:0", "records before the truncation were delivered");
	rc = stream_str(h, rscript, "rec", "*", NULL, 0, "[{\"id\":1},{\"id\" 2}]",
	    &sk, NULL);
	ok(rc == -FB_ERR_PARSE && strstr(fb_errmsg(rc), "byte 17") != NULL,
	    "malformed input: parse error at the right byte (%s)", fb_errmsg(rc));
	rc = stream_str(h, rscript, "rec", "", NULL, 1,
	    "{\"id\":1}\n\n{\"id\":2}\r\n{\"id\":3,}\n{\"id\":4}\n", &sk, NULL);
	ok(rc == -FB_ERR_PARSE && strstr(fb_errmsg(rc), "line 4") != NULL,
	    "JSON Lines: the bad line is named (%s)", fb_errmsg(rc));
	rc = stream_str(h, rscript, "rec", "", NULL, 1,
	    "{\"id\":1}\n{\"id\":2} {\"id\":3}\n", &sk, NULL);
	ok(rc == -FB_ERR_PARSE && strstr(fb_errmsg(rc), "line 2") != NULL,
	    "JSON Lines: two values on one line refused (%s)", fb_errmsg(rc));
	rc = stream_str(h, rscript, "rec", "", NULL, 1,
	    "{\"id\":1}\n\n   \n{\"id\":2}\n{\"id\":3}", &sk, &st);
	is_int(rc, 0, "JSON Lines with blank lines and no final newline");
	is_str(sk.out.data, "1:0,2:1,3:2", "JSON Lines records");
	is_int(st.lines, 5, "JSON Lines: lines counted");
	rc = stream_str(h, rscript, "rec", "", NULL, 1, "{\"id\":1}\n{\"id\":2",
	    &sk, NULL);
	ok(rc == -FB_ERR_PARSE && strstr(fb_errmsg(rc), "line 2") != NULL,
	    "JSON Lines: truncated last line named (%s)", fb_errmsg(rc));

	rc = stream_str(h, rscript, "bad", "*", NULL, 0, "[{}]", &sk, NULL);
	ok(rc == -FB_ERR_LUA && strstr(fb_errmsg(rc), "rec.lua:1:") != NULL,
	    "an adapter error stops the stream with its location (%s)",
	    fb_errmsg(rc));
	sk.fail_at = 2;
	sk.n = 0;
	rc = stream_str(h, rscript, "rec", "*", NULL, 0, "[{\"id\":1},{\"id\":2},"
	    "{\"id\":3}]", &sk, NULL);
	is_int(rc, -FB_ERR_STORE, "the emit receiver's error is returned as is");
	sk.fail_at = 0;

	/* Depth. */
	fb_buf_reset(&doc);
	for (i = 0; i < 600; i++)
		fb_buf_addch(&doc, '[');
	for (i = 0; i < 600; i++)
		fb_buf_addch(&doc, ']');
	rc = stream_str(h, rscript, "rec", "*", NULL, 0, doc.data, &sk, NULL);
	ok(rc == -FB_ERR_LIMIT && strstr(fb_errmsg(rc), "deep") != NULL,
	    "nesting beyond 512 refused (%s)", fb_errmsg(rc));
	fb_buf_reset(&doc);
	fb_buf_addstr(&doc, "[");
	for (i = 0; i < 200; i++)
		fb_buf_addstr(&doc, "{\"a\":[");
	for (i = 0; i < 200; i++)
		fb_buf_addstr(&doc, "]}");
	fb_buf_addstr(&doc, "]");
	rc = stream_str(h, rscript, "count", "*", NULL, 0, doc.data, &sk, NULL);
	is_int(rc, 0, "nesting of 401 levels is accepted and built");

	/* Huge strings (limit 1 MiB), in one buffer and through a pipe. */
	big = xmalloc(3u << 20);
	memcpy(big, "[{\"id\":\"", 8);
	memset(big + 8, 'x', (3u << 20) - 20);
	memcpy(big + (3u << 20) - 12, "\"}]", 4);
	rc = stream_str(h, rscript, "rec", "*", NULL, 0, big, &sk, NULL);
	ok(rc == -FB_ERR_LIMIT, "a 3 MiB string over a 1 MiB limit refused (%s)",
	    fb_errmsg(rc));
	free(big);

	/* Memory stays bounded: 100,000 records through a pipe, 16 MiB cap. */
	if (pipe(fds) == 0) {
		pid_t pid = fork();
		if (pid == 0) {
			struct fb_buf w = FB_BUF_INIT;
			close(fds[0]);
			fb_buf_addstr(&w, "{\"meta\":{\"n\":1},\"items\":[");
			for (i = 0; i < 100000; i++)
				fb_buf_addf(&w, "%s{\"id\":%d,\"pad\":\"%0200d\"%s}",
				    i ? "," : "", i, i, i == 99999 ?
				    ",\"last\":true" : "");
			fb_buf_addstr(&w, "]}");
			for (size_t off = 0; off < w.len; ) {
				ssize_t n = write(fds[1], w.data + off, w.len - off);
				if (n <= 0)
					_exit(1);
				off += (size_t)n;
			}
			_exit(0);
		}
		close(fds[1]);
		struct fblua_stream s = { 0 };
		s.script = rscript;
		s.func = "count";
		s.record_path = "items.*";
		fb_buf_reset(&sk.out);
		sk.maxmem = 0;
		rc = fblua_stream_fd(h, &s, fds[0], &st);
		close(fds[0]);
		waitpid(pid, NULL, 0);
		is_int(rc, 0, "100,000 records (~22 MB) streamed under a 16 MiB cap");
		is_str(sk.out.data, "100000", "every record seen, ctx kept state");
		is_int(st.records, 100000, "record count");
		ok(sk.maxmem < (8u << 20), "Lua heap stayed small (%zu bytes)",
		    sk.maxmem);
	}
	fb_buf_release(&doc);
	fb_buf_release(&sk.out);
	fblua_free(h);
}

/* ctx.indices: the array positions on the record's path. */
static void
indices_tests(void)
{
	static const char src[] =
	    "local seen = {}\n"
	    "function parse_record(rec, ctx, emit)\n"
	    "  seen[#seen + 1] = table.concat(ctx.indices, '.') .. '=' .. rec.id\n"
	    "end\n"
	    "function get() return table.concat(seen, ' ') end\n";
	static const char doc[] =
	    "{\"runs\":[{\"results\":[{\"id\":\"a\"},{\"id\":\"b\"}]},"
	    "{\"tool\":{},\"results\":[]},{\"results\":[{\"id\":\"c\"}]}]}";
	struct fblua_stream s = { 0 };
	struct fblua *h;
	char *out = NULL;
	int script, rc;

	if (fblua_new(FBLUA_INGEST, &small, &h) != 0)
		return;
	rc = fblua_load_string(h, src, sizeof(src) - 1, "idx", &script);
	is_int(rc, 0, "indices script loads");
	s.script = script;
	s.record_path = "runs.*.results.*";
	rc = fblua_stream_buf(h, &s, doc, sizeof(doc) - 1, NULL);
	is_int(rc, 0, "stream with indices");
	rc = fblua_call(h, script, "get", json_of_result, &out, "");
	is_str(out, "\"0.0=a 0.1=b 2.0=c\"",
	    "ctx.indices gives run and result, outermost first");
	free(out);
	fblua_free(h);
}


/* ---- step threads: fb.exec waits for the engine ----------------------- */

struct fake_engine {
	int calls, waits;
};

static int
fake_call(void *ud, const char *fn, struct fblua_ev *args, char **result)
{
	struct fake_engine *f = ud;

	(void)fn;
	(void)args;
	f->calls++;
	*result = xstrdup("{\"sync\":true}");
	return 0;
}

static int
fake_wait(void *ud, struct fblua_ev *args)
{
	struct fake_engine *f = ud;

	(void)args;
	f->waits++;
	return 0;
}

static int
ret_string(void *ud, struct fblua_ev *v)
{
	const char *s = fblua_ev_str(v, "", NULL);

	*(char **)ud = s != NULL ? xstrdup(s) : NULL;
	return 0;
}

static void
step_thread_tests(void)
{
	static const char src[] =
	    "return { steps = {\n"
	    " { check = function(h) local r = fb.exec(h, 'x')\n"
	    "     return r.n .. h end },\n"
	    " { apply = function(h) while true do fb.exec(h, 'x') end end },\n"
	    " { apply = function(h) return coroutine.wrap(function()\n"
	    "     return fb.exec(h, 'x') end)().sync and 'sync' end },\n"
	    " { apply = function(h) local ok, r, m = pcall(fb.exec, h, 'x')\n"
	    "     if ok then return tostring(r) .. ', ' .. tostring(m) end\n"
	    "     return 'raised ' .. r end },\n"
	    " { apply = function(h) coroutine.yield(1) end },\n"
	    "} }\n";
	struct fblua_limits lim = small;
	struct fake_engine f = { 0, 0 };
	struct fblua_pb_ops ops = { &f, fake_call, fake_wait };
	struct fblua_step *t, *t2;
	struct fblua *h;
	char *out = NULL;
	int script, rc, waiting = -1, n;

	lim.instructions = 200000;
	if (fblua_new(FBLUA_PLAYBOOK, &lim, &h) != 0 ||
	    fblua_playbook_install(h, &ops, "{}") != 0 ||
	    fblua_load_string(h, src, sizeof(src) - 1, "steps", &script) != 0) {
		ok(0, "step threads: set up: %s", fb_errmsg(-1));
		return;
	}

	rc = fblua_step_new(h, script, 1, "check", "h1", &t);
	is_int(rc, 0, "a step thread is made");
	rc = fblua_step_resume(t, 0, NULL, NULL, NULL, NULL, &waiting);
	ok(rc == 0 && waiting == 1 && f.waits == 1 && f.calls == 0,
	    "fb.exec on a step thread waits for the engine");
	rc = fblua_step_resume(t, 0, NULL, xstrdup("{\"n\":7}"), ret_string,
	    &out, &waiting);
	ok(rc == 0 && waiting == 0, "resumed with the answer, it returns");
	is_str(out, "7h1", "the answer is fb.exec's result");
	free(out);
	out = NULL;
	fblua_step_free(t);

	/* A loop of fb.exec: each resume is short, together they add up. */
	rc = fblua_step_new(h, script, 2, "apply", "h1", &t);
	rc = fblua_step_resume(t, 0, NULL, NULL, NULL, NULL, &waiting);
	rc = fblua_step_new(h, script, 2, "apply", "h2", &t2);
	for (n = 0; rc == 0 && waiting && n < 1000000; n++)
		rc = fblua_step_resume(t, 0, NULL, xstrdup("{}"), NULL, NULL,
		    &waiting);
	is_int(rc, -FB_ERR_LIMIT, "a thread looping in fb.exec runs out of "
	    "its budget across resumes");
	ok(n > 100 && n < 1000000, "after many resumes (%d)", n);
	rc = fblua_step_resume(t2, 0, NULL, NULL, NULL, NULL, &waiting);
	ok(rc == 0 && waiting, "another thread has a budget of its own");
	fblua_step_free(t);
	fblua_step_free(t2);

	rc = fblua_step_new(h, script, 3, "apply", "h1", &t);
	n = f.waits;
	rc = fblua_step_resume(t, 0, NULL, NULL, ret_string, &out, &waiting);
	ok(rc == 0 && waiting == 0 && f.waits == n && f.calls == 1,
	    "fb.exec in the script's own coroutine runs at once");
	is_str(out, "sync", "and returns the engine's answer");
	free(out);
	out = NULL;
	fblua_step_free(t);

	rc = fblua_step_new(h, script, 4, "apply", "h1", &t);
	rc = fblua_step_resume(t, 0, NULL, NULL, NULL, NULL, &waiting);
	ok(rc == 0 && waiting, "fb.exec through pcall waits too");
	rc = fblua_step_resume(t, -FB_ERR_INVAL, xstrdup("bad"), NULL,
	    ret_string, &out, &waiting);
	ok(rc == 0 && out != NULL && strstr(out, "raised ") == out &&
	    strstr(out, "fb.exec: bad") != NULL, "a misuse answer raises (%s)",
	    out ? out : "nil");
	free(out);
	out = NULL;
	fblua_step_free(t);

	rc = fblua_step_new(h, script, 4, "apply", "h1", &t);
	rc = fblua_step_resume(t, 0, NULL, NULL, NULL, NULL, &waiting);
	rc = fblua_step_resume(t, -FB_ERR_IO, xstrdup("down"), NULL,
	    ret_string, &out, &waiting);
	is_str(out, "nil, down", "another error answer returns nil, msg");
	free(out);
	out = NULL;
	fblua_step_free(t);

	rc = fblua_step_new(h, script, 5, "apply", "h1", &t);
	n = f.waits;
	rc = fblua_step_resume(t, 0, NULL, NULL, NULL, NULL, &waiting);
	ok(rc == 0 && waiting == 1 && f.waits == n,
	    "a stray yield is a wait the engine did not ask for");
	fblua_step_free(t);

	rc = fblua_step_new(h, script, 9, "apply", "h1", &t);
	is_int(rc, -FB_ERR_NOENT, "no such step function");
	fblua_free(h);
}

int
main(void)
{
	int p;

	setenv("FIREBREAK_DATADIR", FIX, 1);
	for (p = 0; p < FBLUA__NPROFILES; p++)
		escape_suite((enum fblua_profile)p);
	emit_tests();
	json_encode_tests();
	stream_tests();
	indices_tests();
	step_thread_tests();
	return done_testing();
}
