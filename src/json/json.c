/* json.c: fb_json over yajl_gen. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <yajl/yajl_gen.h>

#include "json/json.h"

struct fb_json {
	yajl_gen g;
	struct fb_buf out;
};

static void
json_print(void *ctx, const char *s, size_t n)
{
	fb_buf_add(ctx, s, n);
}

struct fb_json *
fb_json_new(void)
{
	struct fb_json *j = xcalloc(1, sizeof(*j));

	fb_buf_init(&j->out);
	j->g = yajl_gen_alloc(NULL);
	if (j->g == NULL)
		fatal("out of memory");
	yajl_gen_config(j->g, yajl_gen_print_callback, json_print, &j->out);
	yajl_gen_config(j->g, yajl_gen_validate_utf8, 1);
	return j;
}

void
fb_json_free(struct fb_json *j)
{
	if (j == NULL)
		return;
	yajl_gen_free(j->g);
	fb_buf_release(&j->out);
	free(j);
}

static void
check(yajl_gen_status st)
{
	if (st != yajl_gen_status_ok && st != yajl_gen_invalid_string)
		fatal("JSON writer misuse (yajl status %d)", (int)st);
}

void fb_json_obj_begin(struct fb_json *j) { check(yajl_gen_map_open(j->g)); }
void fb_json_obj_end(struct fb_json *j) { check(yajl_gen_map_close(j->g)); }
void fb_json_arr_begin(struct fb_json *j) { check(yajl_gen_array_open(j->g)); }
void fb_json_arr_end(struct fb_json *j) { check(yajl_gen_array_close(j->g)); }
void fb_json_null(struct fb_json *j) { check(yajl_gen_null(j->g)); }
void fb_json_bool(struct fb_json *j, int v) { check(yajl_gen_bool(j->g, v != 0)); }
void fb_json_int(struct fb_json *j, int64_t v) { check(yajl_gen_integer(j->g, v)); }

void
fb_json_strn(struct fb_json *j, const char *s, size_t n)
{
	if (fb_utf8_valid(s, n)) {
		check(yajl_gen_string(j->g, (const unsigned char *)s, n));
	} else {
		/* Replace what is not UTF-8 rather than emit invalid JSON. */
		struct fb_buf b = FB_BUF_INIT;

		fb_utf8_repair(&b, s, n, NULL);
		check(yajl_gen_string(j->g, (const unsigned char *)b.data, b.len));
		fb_buf_release(&b);
	}
}

void
fb_json_str(struct fb_json *j, const char *s)
{
	if (s == NULL)
		fb_json_null(j);
	else
		fb_json_strn(j, s, strlen(s));
}

void
fb_json_key(struct fb_json *j, const char *key)
{
	fb_json_str(j, key);
}

void
fb_json_raw(struct fb_json *j, const char *json)
{
	/*
	 * yajl_gen_number writes its argument verbatim and keeps the
	 * generator's comma/colon state right; we only pass it text that a
	 * JSON producer made.
	 */
	check(yajl_gen_number(j->g, json, strlen(json)));
}

void fb_json_kstr(struct fb_json *j, const char *k, const char *s) { fb_json_key(j, k); fb_json_str(j, s); }
void fb_json_kint(struct fb_json *j, const char *k, int64_t v) { fb_json_key(j, k); fb_json_int(j, v); }
void fb_json_kbool(struct fb_json *j, const char *k, int v) { fb_json_key(j, k); fb_json_bool(j, v); }

const char *
fb_json_text(struct fb_json *j)
{
	return j->out.data;
}

char *
fb_json_finish(struct fb_json *j)
{
	char *s = fb_buf_detach(&j->out, NULL);

	fb_json_free(j);
	return s;
}

/* ---- pretty printing: yajl's parser feeding a beautifying generator ---- */
#include <yajl/yajl_parse.h>

static int pp_null(void *g) { return yajl_gen_null(g) == yajl_gen_status_ok; }
static int pp_bool(void *g, int v) { return yajl_gen_bool(g, v) == yajl_gen_status_ok; }
static int pp_num(void *g, const char *s, size_t n) { return yajl_gen_number(g, s, n) == yajl_gen_status_ok; }
static int pp_str(void *g, const unsigned char *s, size_t n) { return yajl_gen_string(g, s, n) == yajl_gen_status_ok; }
static int pp_mo(void *g) { return yajl_gen_map_open(g) == yajl_gen_status_ok; }
static int pp_mc(void *g) { return yajl_gen_map_close(g) == yajl_gen_status_ok; }
static int pp_ao(void *g) { return yajl_gen_array_open(g) == yajl_gen_status_ok; }
static int pp_ac(void *g) { return yajl_gen_array_close(g) == yajl_gen_status_ok; }

int
fb_json_pretty(const char *in, size_t len, struct fb_buf *out)
{
	static const yajl_callbacks cb = {
		pp_null, pp_bool, NULL, NULL, pp_num, pp_str, pp_mo, pp_str,
		pp_mc, pp_ao, pp_ac,
	};
	yajl_gen g = yajl_gen_alloc(NULL);
	yajl_handle h;
	int rc = 0;

	if (g == NULL)
		fatal("out of memory");
	yajl_gen_config(g, yajl_gen_beautify, 1);
	yajl_gen_config(g, yajl_gen_indent_string, "  ");
	yajl_gen_config(g, yajl_gen_print_callback, json_print, out);
	if ((h = yajl_alloc(&cb, NULL, g)) == NULL)
		fatal("out of memory");
	if (yajl_parse(h, (const unsigned char *)in, len) != yajl_status_ok ||
	    yajl_complete_parse(h) != yajl_status_ok)
		rc = fb_err(FB_ERR_PARSE, "not valid JSON");
	yajl_free(h);
	yajl_gen_free(g);
	return rc;
}
