/*
 * output.c: a scan result as JSON (through yajl_gen, never hand-escaped),
 * and the recursive walk over a path that `firebreak scan` uses.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <yajl_gen.h>

#include "scan/scan-int.h"

static void
gen_str(yajl_gen g, const char *s)
{
	struct fb_buf b = FB_BUF_INIT;

	if (s == NULL) {
		yajl_gen_null(g);
		return;
	}
	fb_sanitize(&b, s, strlen(s), 0);
	yajl_gen_string(g, (const unsigned char *)b.data, b.len);
	fb_buf_release(&b);
}

static void
gen_key(yajl_gen g, const char *k)
{
	yajl_gen_string(g, (const unsigned char *)k, strlen(k));
}

static void
gen_u64(yajl_gen g, uint64_t v)
{
	char num[24];
	int n = snprintf(num, sizeof(num), "%llu", (unsigned long long)v);

	yajl_gen_number(g, num, (size_t)n);
}

void
scan_result_json(const struct scan_result *r, struct fb_buf *out)
{
	yajl_gen g = yajl_gen_alloc(NULL);
	const unsigned char *buf;
	size_t len, i;

	if (g == NULL)
		fatal("out of memory");
	yajl_gen_map_open(g);
	gen_key(g, "path");
	gen_str(g, r->path);
	gen_key(g, "host");
	if (r->host != NULL)
		gen_str(g, r->host);
	else
		yajl_gen_null(g);
	gen_key(g, "size");
	gen_u64(g, r->size);
	gen_key(g, "sha256");
	if (r->sha256[0])
		gen_str(g, r->sha256);
	else
		yajl_gen_null(g);
	gen_key(g, "format");
	gen_str(g, scan_format_name(r->format));
	gen_key(g, "verdict");
	gen_str(g, scan_verdict_name(r->verdict));
	gen_key(g, "globals");
	yajl_gen_array_open(g);
	for (i = 0; i < r->nglobals; i++) {
		const struct scan_global *gl = &r->globals[i];
		yajl_gen_map_open(g);
		gen_key(g, "module");
		gen_str(g, gl->module);
		gen_key(g, "name");
		gen_str(g, gl->name);
		gen_key(g, "class");
		gen_str(g, scan_class_name(gl->cls));
		gen_key(g, "member");
		gen_str(g, gl->member);
		gen_key(g, "offset");
		gen_u64(g, gl->offset);
		gen_key(g, "calls");
		gen_u64(g, gl->calls);
		yajl_gen_map_close(g);
	}
	yajl_gen_array_close(g);
	gen_key(g, "findings");
	yajl_gen_array_open(g);
	for (i = 0; i < r->nfindings; i++) {
		const struct scan_finding *f = &r->findings[i];
		yajl_gen_map_open(g);
		gen_key(g, "severity");
		gen_str(g, scan_severity_name(f->severity));
		gen_key(g, "rule");
		gen_str(g, f->rule);
		gen_key(g, "error");
		yajl_gen_bool(g, (f->flags & SCAN_F_ERROR) != 0);
		gen_key(g, "message");
		gen_str(g, f->message);
		gen_key(g, "member");
		gen_str(g, f->member);
		gen_key(g, "offset");
		gen_u64(g, f->offset);
		yajl_gen_map_close(g);
	}
	yajl_gen_array_close(g);
	yajl_gen_map_close(g);
	yajl_gen_get_buf(g, &buf, &len);
	fb_buf_add(out, buf, len);
	yajl_gen_free(g);
}

static int
name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

#define MAX_DEPTH 64

static int
scan_one(const char *path, const struct scan_options *opts,
	 int (*cb)(void *, const struct scan_result *, int), void *ctx)
{
	struct scan_result r;
	int rc;

	scan_result_init(&r);
	rc = scan_file(path, opts, &r);
	if (r.path == NULL)
		r.path = xstrdup(path);
	rc = cb(ctx, &r, rc);
	scan_result_release(&r);
	return rc;
}

static int
walk_dir(const char *path, const struct scan_options *opts,
	 int (*cb)(void *, const struct scan_result *, int), void *ctx,
	 int depth)
{
	DIR *d;
	struct dirent *de;
	char **names = NULL;
	size_t n = 0, alloc = 0, i;
	int rc = 0;

	if (depth > MAX_DEPTH)
		return 0;
	d = opendir(path);
	if (d == NULL) {
		struct scan_result r;
		int err = fb_err(errno == EACCES ? FB_ERR_PERM : FB_ERR_IO,
		    "cannot read directory '%s': %s", path, strerror(errno));
		scan_result_init(&r);
		r.path = xstrdup(path);
		rc = cb(ctx, &r, err);
		scan_result_release(&r);
		return rc;
	}
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		if (n == alloc) {
			alloc = alloc ? alloc * 2 : 32;
			names = xrealloc(names, alloc * sizeof(*names));
		}
		names[n++] = xasprintf("%s%s%s", path,
		    path[strlen(path) - 1] == '/' ? "" : "/", de->d_name);
	}
	closedir(d);
	if (n > 1)
		qsort(names, n, sizeof(*names), name_cmp);
	for (i = 0; i < n; i++) {
		struct stat st;

		/* inside a tree: no symlinks, sockets or devices */
		if (rc == 0 && lstat(names[i], &st) == 0) {
			if (S_ISDIR(st.st_mode))
				rc = walk_dir(names[i], opts, cb, ctx, depth + 1);
			else if (S_ISREG(st.st_mode))
				rc = scan_one(names[i], opts, cb, ctx);
		}
		free(names[i]);
	}
	free(names);
	return rc;
}

int
scan_path(const char *path, const struct scan_options *opts,
	  int (*cb)(void *ctx, const struct scan_result *r, int rc), void *ctx)
{
	struct stat st;

	/* what the user named is followed, even through a symlink */
	if (stat(path, &st) == 0 && S_ISDIR(st.st_mode))
		return walk_dir(path, opts, cb, ctx, 0);
	return scan_one(path, opts, cb, ctx);
}
