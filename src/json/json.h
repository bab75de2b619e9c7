/*
 * json: the one JSON writer for C code (a thin layer over yajl_gen), so no
 * caller ever escapes a string by hand. Output is compact, keys in the
 * order written; invalid UTF-8 in a string is replaced, never passed on.
 */
#ifndef FB_JSON_H
#define FB_JSON_H

#include <stdint.h>

#include "core/core.h"

struct fb_json;

struct fb_json *fb_json_new(void);
void fb_json_free(struct fb_json *j);
void fb_json_obj_begin(struct fb_json *j);
void fb_json_obj_end(struct fb_json *j);
void fb_json_arr_begin(struct fb_json *j);
void fb_json_arr_end(struct fb_json *j);
void fb_json_key(struct fb_json *j, const char *key);
void fb_json_str(struct fb_json *j, const char *s); /* NULL writes null */
void fb_json_strn(struct fb_json *j, const char *s, size_t n);
void fb_json_int(struct fb_json *j, int64_t v);
void fb_json_bool(struct fb_json *j, int v);
void fb_json_null(struct fb_json *j);
/* Splice already-valid JSON text (from SQLite or another fb_json). */
void fb_json_raw(struct fb_json *j, const char *json);
/* key + value shorthands */
void fb_json_kstr(struct fb_json *j, const char *key, const char *s);
void fb_json_kint(struct fb_json *j, const char *key, int64_t v);
void fb_json_kbool(struct fb_json *j, const char *key, int v);
/* Borrowed: the text so far. */
const char *fb_json_text(struct fb_json *j);
/* The text, caller's to free; j is freed. */
char *fb_json_finish(struct fb_json *j);

/* Indented JSON text of in (valid JSON) appended to out. */
int fb_json_pretty(const char *in, size_t len, struct fb_buf *out);

#endif
