/*
 * lua: the one sandboxed Lua host. Every lua_State in firebreak is made
 * here, and this module is the only code that calls lua_*.
 *
 * Promise: a script loaded through this host
 *   - runs with a byte-capped heap and an instruction budget that it cannot
 *     catch (once spent, every further instruction raises, pcall or not);
 *   - sees only base (without load/loadfile/dofile/print as shipped),
 *     string (without dump; pattern functions step-bounded), table, math,
 *     utf8, coroutine, cjson, os.time/date/clock, and the fb.* modules of
 *     its profile; require serves only firebreak.* from the data dir;
 *   - is loaded as text only, into its own environment table;
 *   - fails back to C as 0 or -FB_ERR_* with the message in fb_err():
 *     FB_ERR_LUA for script errors ("name:line: message"), FB_ERR_LIMIT for
 *     the memory cap or the instruction budget, FB_ERR_PARSE for bad JSON.
 * The three profiles differ only in the fb.* modules they register.
 *
 * JSON values given to scripts (fblua_stream_*, fb.json.decode, 'J'
 * arguments) are built by a yajl decoder: objects and arrays are tables,
 * null is cjson.null (a NULL lightuserdata, as lua-cjson gives), integers
 * that fit in 64 bits are Lua integers, larger integers are kept as
 * strings (exact digits; tonumber() makes a float), other numbers floats.
 *
 * Nothing in this header needs <lua.h>; fb.* module authors inside
 * src/lua use lua-int.h.
 */
#ifndef FB_LUA_H
#define FB_LUA_H

#include <stddef.h>
#include <stdint.h>

enum fblua_profile {
	FBLUA_INGEST,
	FBLUA_CORRELATE,
	FBLUA_PLAYBOOK,
	FBLUA__NPROFILES
};

/* Zero fields take the defaults in brackets. */
struct fblua_limits {
	size_t mem;             /* Lua heap bytes [64 MiB] */
	uint64_t instructions;  /* VM instructions per entry from C [100M] */
	size_t json_depth;      /* JSON nesting [512] */
	size_t json_string;     /* one JSON string or token, bytes [16 MiB] */
	size_t script_size;     /* a script or module file, bytes [4 MiB] */
};

struct fblua;

/* Create a host for profile; lim may be NULL. Returns 0 or -FB_ERR_*. */
int fblua_new(enum fblua_profile profile, const struct fblua_limits *lim,
    struct fblua **out);
void fblua_free(struct fblua *h);
/* The limits in force (defaults filled in). Borrowed. */
const struct fblua_limits *fblua_limits(const struct fblua *h);
/* Bytes of Lua heap in use. */
size_t fblua_mem_used(const struct fblua *h);
/* The traceback of the last script error, or "". Borrowed. */
const char *fblua_traceback(const struct fblua *h);
/* Where print() and warn() text goes (default: dropped). */
void fblua_set_output(struct fblua *h,
    void (*fn)(void *ud, const char *s, size_t n), void *ud);

/* ---- scripts -----------------------------------------------------------
 * A script runs once when loaded, in its own environment (globals it
 * defines stay there; reads fall back to the sandbox's globals). If it
 * returns a table, that table is the script's "module": names are looked
 * up there first, then in its environment. *script is a handle valid
 * until fblua_free.
 */
int fblua_load_file(struct fblua *h, const char *path, const char *chunkname,
    int *script);
int fblua_load_string(struct fblua *h, const char *src, size_t len,
    const char *chunkname, int *script);
/* 1 if the script defines a function called name. */
int fblua_has_function(struct fblua *h, int script, const char *name);

/* ---- values handed to C ------------------------------------------------
 * struct fblua_ev is a read-only view of a Lua value (an emitted finding,
 * a function result, a script's declarations), valid only inside the
 * callback that received it. Paths are dot-separated keys; a segment made
 * of digits indexes an array (1-based, as in Lua): "assets.1.value".
 * "" is the value itself.
 */
struct fblua_ev;

enum fblua_type {
	FBLUA_T_NONE,   /* absent (nil) */
	FBLUA_T_NULL,   /* JSON null (cjson.null) */
	FBLUA_T_BOOL,
	FBLUA_T_INT,
	FBLUA_T_NUM,    /* a float */
	FBLUA_T_STR,
	FBLUA_T_TABLE,
	FBLUA_T_OTHER,  /* function, userdata, thread */
};

enum fblua_type fblua_ev_type(struct fblua_ev *ev, const char *path);
/*
 * A string, or NULL when absent or of another type (use fblua_ev_int or
 * fblua_ev_num for numbers: nothing here converts, so nothing can fail). Borrowed: valid until the callback returns. len may be NULL.
 */
const char *fblua_ev_str(struct fblua_ev *ev, const char *path, size_t *len);
/* 0, -FB_ERR_NOENT (absent/null) or -FB_ERR_INVAL (wrong type). */
int fblua_ev_int(struct fblua_ev *ev, const char *path, int64_t *out);
int fblua_ev_num(struct fblua_ev *ev, const char *path, double *out);
int fblua_ev_bool(struct fblua_ev *ev, const char *path, int *out);
/* Length of the array (sequence) at path; 0 if absent or not a table. */
size_t fblua_ev_len(struct fblua_ev *ev, const char *path);
/*
 * Call fn for each entry of the table at path: arrays in index order
 * (key NULL, idx from 1), otherwise in sorted key order (idx 0; non-string
 * keys are skipped). A nonzero return from fn stops and is returned.
 */
int fblua_ev_foreach(struct fblua_ev *ev, const char *path,
    int (*fn)(void *ud, const char *key, size_t idx, struct fblua_ev *item),
    void *ud);
/*
 * The value at path as compact JSON text with sorted keys (so equal values
 * give equal bytes). Tables with keys exactly 1..n are arrays, others
 * objects (an empty table is {}). Caller frees *out. -FB_ERR_NOENT if
 * absent, -FB_ERR_INVAL for values JSON cannot hold.
 */
int fblua_ev_json(struct fblua_ev *ev, const char *path, char **out,
    size_t *len);

/* ---- calling scripts ---------------------------------------------------
 * The emit callback receives each table a script passes to emit(); a
 * nonzero return aborts the run and is returned to the caller of the
 * fblua_call/fblua_stream that is running.
 */
void fblua_set_emit(struct fblua *h,
    int (*fn)(void *ud, struct fblua_ev *finding), void *ud);

/*
 * Call the script's function fn with arguments described by fmt:
 *   s const char *      l const char *, size_t (bytes)
 *   i int64_t           d double          b int (boolean)
 *   J const char *, size_t: JSON text, decoded to a Lua value
 *   E the emit function (see fblua_set_emit)
 * If ret is not NULL it gets a view of the first result.
 * -FB_ERR_NOENT if fn is not defined.
 */
int fblua_call(struct fblua *h, int script, const char *fn,
    int (*ret)(void *ud, struct fblua_ev *result), void *ud,
    const char *fmt, ...);
/* A view of the script's module/environment (for its declarations). */
int fblua_script_view(struct fblua *h, int script,
    int (*fn)(void *ud, struct fblua_ev *decl), void *ud);

/* ---- record streaming --------------------------------------------------
 * Parse JSON incrementally and call script.func(rec, ctx, emit) once per
 * record, holding one record as a Lua table at a time.
 *
 * record_path: dot-separated segments from the top-level value; "*"
 * matches any array element or object member, digits match that array
 * index (0-based, as JSON positions), other segments match object keys:
 * "runs.*.results.*", "Results.*.Vulnerabilities.*", "matches.*", "*".
 * "" makes the whole document one record.
 * jsonl: the input is JSON Lines; each non-blank line is a record.
 * context: NULL-terminated list of "name=path" (or "path", named by its
 * last segment); each value found at path is stored as ctx[name]. Values
 * must come before the records that use them (streaming); when a new
 * element starts at a "*" in a context path, the stale value is cleared.
 * ctx is one table for the whole stream, so scripts may keep state in it;
 * ctx.record_index is the 0-based index of the current record.
 */
struct fblua_stream {
	int script;
	const char *func;             /* [parse_record] */
	const char *record_path;
	int jsonl;
	const char *const *context;
	/* Optional: called as finish(ctx, emit) after the last record. */
	const char *finish;
	/* Optional: sees every chunk read (e.g. to hash the input). */
	void (*tap)(void *ud, const void *p, size_t n);
	void *tap_ud;
};

struct fblua_stream_stats {
	uint64_t records;
	uint64_t bytes;
	uint64_t lines;               /* JSON Lines only */
};

/*
 * The whole input in a buffer, or read from fd until EOF (fd is not
 * closed). st may be NULL. Malformed or truncated JSON gives
 * -FB_ERR_PARSE naming the byte offset (and line, for JSON Lines);
 * nesting deeper than json_depth or a token longer than json_string gives
 * -FB_ERR_LIMIT.
 */
int fblua_stream_buf(struct fblua *h, const struct fblua_stream *s,
    const void *p, size_t n, struct fblua_stream_stats *st);
int fblua_stream_fd(struct fblua *h, const struct fblua_stream *s, int fd,
    struct fblua_stream_stats *st);

/* Decode one JSON document into Lua and drop it: a validity check. */
int fblua_json_check(struct fblua *h, const void *p, size_t n);

#endif
