/*
 * playbook.c: finding playbooks, loading them into a PLAYBOOK host,
 * checking their declarations (lint) and typing their parameters.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "json/json.h"
#include "lua/fb-playbook.h"
#include "playbook/playbook.h"

static const char *const param_types[] = {
	"string", "integer", "number", "boolean", NULL,
};

static char *
search_dir(int which)
{
	char *x;

	if (which == 0) {
		x = fb_xdg_path("XDG_CONFIG_HOME", ".config");
		if (x == NULL)
			return NULL;
		char *d = xasprintf("%s/playbooks", x);
		free(x);
		return d;
	}
	return xasprintf("%s/playbooks", fb_datadir());
}

static int
valid_name(const char *s)
{
	size_t i;

	if (s == NULL || *s == '\0' || strlen(s) > 64)
		return 0;
	for (i = 0; s[i] != '\0'; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' &&
		    s[i] <= '9') || s[i] == '-' || s[i] == '_'))
			return 0;
	return 1;
}

int
pb_find(const char *what, char **path)
{
	struct stat st;
	size_t n = strlen(what);
	int i;

	if (strchr(what, '/') != NULL || (n > 4 &&
	    strcmp(what + n - 4, ".lua") == 0)) {
		if (stat(what, &st) != 0)
			return fb_err(FB_ERR_NOENT, "cannot read playbook '%s': "
			    "%s", what, strerror(errno));
		*path = xstrdup(what);
		return 0;
	}
	if (!valid_name(what))
		return fb_err(FB_ERR_INVAL, "'%s' is not a playbook name "
		    "(a-z, 0-9, '-', '_') nor a file", what);
	for (i = 0; i < 2; i++) {
		char *d = search_dir(i), *p;

		if (d == NULL)
			continue;
		p = xasprintf("%s/%s.lua", d, what);
		free(d);
		if (stat(p, &st) == 0 && S_ISREG(st.st_mode)) {
			*path = p;
			return 0;
		}
		free(p);
	}
	return fb_err(FB_ERR_NOENT, "no playbook '%s' (see 'firebreak "
	    "playbook ls')", what);
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int
pb_list(int (*fn)(void *, const char *), void *ctx)
{
	int i, rc = 0;

	for (i = 0; i < 2 && rc == 0; i++) {
		char *d = search_dir(i), **v = NULL;
		size_t n = 0, k;
		DIR *dir;
		struct dirent *e;

		if (d == NULL || (dir = opendir(d)) == NULL) {
			free(d);
			continue;
		}
		while ((e = readdir(dir)) != NULL) {
			size_t l = strlen(e->d_name);

			if (l < 5 || strcmp(e->d_name + l - 4, ".lua") != 0 ||
			    e->d_name[0] == '.')
				continue;
			v = xrealloc(v, (n + 1) * sizeof(*v));
			v[n++] = xasprintf("%s/%s", d, e->d_name);
		}
		closedir(dir);
		qsort(v, n, sizeof(*v), cmp_str);
		for (k = 0; k < n; k++) {
			if (rc == 0)
				rc = fn(ctx, v[k]);
			free(v[k]);
		}
		free(v);
		free(d);
	}
	return rc;
}

/* ---- declarations ------------------------------------------------------- */

struct decl {
	struct playbook *pb;
	pb_problem_fn problem;
	void *ctx;
	int errors;
};

static void
problem(struct decl *d, const char *sev, const char *fmt, ...)
	FB_ATTR_PRINTF(3, 4);

static void
problem(struct decl *d, const char *sev, const char *fmt, ...)
{
	va_list ap;
	char msg[512];

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (strcmp(sev, "error") == 0)
		d->errors++;
	if (d->problem != NULL)
		d->problem(d->ctx, sev, msg);
}

static char *
ev_strdup(struct fblua_ev *ev, const char *path)
{
	const char *s = fblua_ev_str(ev, path, NULL);

	return s ? xstrdup(s) : NULL;
}

static int
is_type(const char *t)
{
	int i;

	for (i = 0; param_types[i] != NULL; i++)
		if (strcmp(t, param_types[i]) == 0)
			return 1;
	return 0;
}

/* Does the value at path have the param type t? */
static int
value_is(struct fblua_ev *ev, const char *path, const char *t)
{
	enum fblua_type vt = fblua_ev_type(ev, path);

	if (strcmp(t, "string") == 0)
		return vt == FBLUA_T_STR;
	if (strcmp(t, "integer") == 0)
		return vt == FBLUA_T_INT;
	if (strcmp(t, "number") == 0)
		return vt == FBLUA_T_INT || vt == FBLUA_T_NUM;
	if (strcmp(t, "boolean") == 0)
		return vt == FBLUA_T_BOOL;
	return 0;
}

static int
param_cb(void *ud, const char *key, size_t idx, struct fblua_ev *item)
{
	struct decl *d = ud;
	struct pb_param *p;
	const char *t;

	(void)idx;
	if (key == NULL) {
		problem(d, "error", "params must be a table of name = { type "
		    "= ... }");
		return 0;
	}
	if (!valid_name(key)) {
		problem(d, "error", "param '%.64s': names are a-z, 0-9, '-', "
		    "'_'", key);
		return 0;
	}
	if (d->pb->nparams >= PB_MAX_PARAMS) {
		problem(d, "error", "more than %d params", PB_MAX_PARAMS);
		return 1;
	}
	if (fblua_ev_type(item, "") != FBLUA_T_TABLE) {
		problem(d, "error", "param '%s': a table { type = ... } "
		    "expected", key);
		return 0;
	}
	t = fblua_ev_str(item, "type", NULL);
	if (t == NULL || !is_type(t)) {
		problem(d, "error", "param '%s': type must be string, integer, "
		    "number or boolean", key);
		return 0;
	}
	d->pb->params = xrealloc(d->pb->params, (d->pb->nparams + 1) *
	    sizeof(*d->pb->params));
	p = &d->pb->params[d->pb->nparams++];
	memset(p, 0, sizeof(*p));
	p->name = xstrdup(key);
	p->type = xstrdup(t);
	p->description = ev_strdup(item, "description");
	if (fblua_ev_type(item, "description") != FBLUA_T_NONE &&
	    p->description == NULL)
		problem(d, "error", "param '%s': description must be a string",
		    key);
	if (fblua_ev_type(item, "required") != FBLUA_T_NONE &&
	    fblua_ev_bool(item, "required", &p->required) != 0)
		problem(d, "error", "param '%s': required must be a boolean",
		    key);
	if (fblua_ev_type(item, "default") != FBLUA_T_NONE) {
		if (!value_is(item, "default", t))
			problem(d, "error", "param '%s': the default is not "
			    "of type %s", key, t);
		else
			fblua_ev_json(item, "default", &p->def_json, NULL);
		if (p->required)
			problem(d, "warning", "param '%s': required with a "
			    "default never needs a value", key);
	}
	return 0;
}

static int
step_fn(struct decl *d, struct fblua_ev *item, size_t idx, const char *name,
    const char *fn)
{
	enum fblua_type t = fblua_ev_type(item, fn);

	if (t == FBLUA_T_NONE)
		return 0;
	if (t != FBLUA_T_OTHER) {
		problem(d, "error", "step %zu '%s': %s must be a function", idx,
		    name, fn);
		return 0;
	}
	return 1;
}

static int
step_cb(void *ud, const char *key, size_t idx, struct fblua_ev *item)
{
	struct decl *d = ud;
	struct pb_step *st;
	size_t i;
	int64_t v;
	double x;

	if (key != NULL) {
		problem(d, "error", "steps must be a list (found key '%.64s')",
		    key);
		return 0;
	}
	if (d->pb->nsteps >= PB_MAX_STEPS) {
		problem(d, "error", "more than %d steps", PB_MAX_STEPS);
		return 1;
	}
	d->pb->steps = xrealloc(d->pb->steps, (d->pb->nsteps + 1) *
	    sizeof(*d->pb->steps));
	st = &d->pb->steps[d->pb->nsteps++];
	memset(st, 0, sizeof(*st));
	if (fblua_ev_type(item, "") != FBLUA_T_TABLE) {
		st->name = xasprintf("%zu", idx);
		problem(d, "error", "step %zu: a table expected", idx);
		return 0;
	}
	st->name = ev_strdup(item, "name");
	if (st->name == NULL || *st->name == '\0') {
		free(st->name);
		st->name = xasprintf("%zu", idx);
		problem(d, "error", "step %zu: needs a name", idx);
	}
	for (i = 0; i + 1 < d->pb->nsteps; i++)
		if (strcmp(d->pb->steps[i].name, st->name) == 0)
			problem(d, "error", "step %zu: the name '%s' is taken by "
			    "step %zu", idx, st->name, i + 1);
	st->description = ev_strdup(item, "description");
	st->has_check = step_fn(d, item, idx, st->name, "check");
	st->has_apply = step_fn(d, item, idx, st->name, "apply");
	st->has_undo = step_fn(d, item, idx, st->name, "undo");
	st->has_run = step_fn(d, item, idx, st->name, "run");
	if (!st->has_apply && !st->has_run)
		problem(d, "error", "step %zu '%s': needs apply (with check) or "
		    "run", idx, st->name);
	if (st->has_apply && st->has_run)
		problem(d, "error", "step %zu '%s': has both apply and run", idx,
		    st->name);
	if (st->has_run && (st->has_check || st->has_undo))
		problem(d, "error", "step %zu '%s': a run step has no check or "
		    "undo (use apply for steps that change hosts)", idx,
		    st->name);
	if (st->has_apply && !st->has_check)
		problem(d, "warning", "step %zu '%s': apply without check: a "
		    "dry run cannot plan it and resume cannot tell whether it "
		    "was applied", idx, st->name);
	if (fblua_ev_type(item, "destructive") != FBLUA_T_NONE &&
	    fblua_ev_bool(item, "destructive", &st->destructive) != 0)
		problem(d, "error", "step %zu '%s': destructive must be a "
		    "boolean", idx, st->name);
	if (fblua_ev_type(item, "batch") != FBLUA_T_NONE) {
		if (fblua_ev_int(item, "batch", &v) != 0 || v < 1 || v > 100000)
			problem(d, "error", "step %zu '%s': batch must be an "
			    "integer from 1", idx, st->name);
		else
			st->batch = (int)v;
	}
	if (fblua_ev_type(item, "max_fail") != FBLUA_T_NONE) {
		if (fblua_ev_int(item, "max_fail", &v) == 0)
			x = (double)v;
		else if (fblua_ev_num(item, "max_fail", &x) != 0)
			x = -1;
		if (!(x >= 0 && x <= 100))
			problem(d, "error", "step %zu '%s': max_fail must be a "
			    "percentage from 0 to 100", idx, st->name);
		else
			st->max_fail = x;
	}
	return 0;
}

static const char *const known_keys[] = {
	"name", "description", "params", "steps", "hosts", "confirm", NULL,
};

static int
top_key_cb(void *ud, const char *key, size_t idx, struct fblua_ev *item)
{
	struct decl *d = ud;
	int i;

	(void)idx;
	if (key == NULL)
		return 0;
	for (i = 0; known_keys[i] != NULL; i++)
		if (strcmp(key, known_keys[i]) == 0)
			return 0;
	if (fblua_ev_type(item, "") == FBLUA_T_OTHER)
		return 0;    /* helper functions are fine */
	problem(d, "warning", "unknown field '%.64s' (ignored)", key);
	return 0;
}

static int
decl_view(void *ud, struct fblua_ev *ev)
{
	struct decl *d = ud;
	struct playbook *pb = d->pb;

	if (fblua_ev_type(ev, "steps") == FBLUA_T_NONE) {
		problem(d, "error", "the playbook must return a table with "
		    "name, description, params and steps");
		return 0;
	}
	pb->name = ev_strdup(ev, "name");
	if (pb->name == NULL || !valid_name(pb->name))
		problem(d, "error", "name must be a string of a-z, 0-9, '-', "
		    "'_'");
	pb->description = ev_strdup(ev, "description");
	if (pb->description == NULL)
		problem(d, "error", "description must be a string");
	pb->hosts = ev_strdup(ev, "hosts");
	if (fblua_ev_type(ev, "hosts") != FBLUA_T_NONE && pb->hosts == NULL)
		problem(d, "error", "hosts must be a host pattern string");
	if (fblua_ev_type(ev, "params") != FBLUA_T_NONE) {
		if (fblua_ev_type(ev, "params") != FBLUA_T_TABLE)
			problem(d, "error", "params must be a table");
		else
			fblua_ev_foreach(ev, "params", param_cb, d);
	}
	pb->confirm = ev_strdup(ev, "confirm");
	if (fblua_ev_type(ev, "confirm") != FBLUA_T_NONE) {
		size_t k;

		for (k = 0; pb->confirm != NULL && k < pb->nparams; k++)
			if (strcmp(pb->params[k].name, pb->confirm) == 0 &&
			    strcmp(pb->params[k].type, "string") == 0)
				break;
		if (pb->confirm == NULL || k == pb->nparams)
			problem(d, "error", "confirm must name a string param "
			    "(whose value approves the plan in the console)");
	}
	if (fblua_ev_type(ev, "steps") != FBLUA_T_TABLE ||
	    fblua_ev_len(ev, "steps") == 0)
		problem(d, "error", "steps must be a non-empty list");
	else
		fblua_ev_foreach(ev, "steps", step_cb, d);
	fblua_ev_foreach(ev, "", top_key_cb, d);
	return 0;
}

static int
refuse_all(void *ud, const char *fn, struct fblua_ev *args, char **result)
{
	(void)ud;
	(void)args;
	(void)result;
	return fb_err(FB_ERR_REFUSED, "fb.%s can only be called inside a run",
	    fn);
}

static const struct fblua_pb_ops refusing_ops = { NULL, refuse_all, NULL };

int
pb_load(const char *path, const struct fblua_pb_ops *ops,
    const char *params_json, pb_problem_fn fn, void *ctx,
    struct playbook **out)
{
	struct playbook *pb = xcalloc(1, sizeof(*pb));
	struct decl d = { pb, fn, ctx, 0 };
	struct fb_buf src = FB_BUF_INIT;
	const char *base;
	int rc;

	pb->path = xstrdup(path);
	pb->script = -1;
	if ((rc = fb_buf_read_file(&src, path, 4u << 20)) != 0)
		goto fail;
	fb_sha256_hex(src.data, src.len, pb->sha256);
	if ((rc = fblua_new(FBLUA_PLAYBOOK, NULL, &pb->lua)) != 0 ||
	    (rc = fblua_playbook_install(pb->lua, ops ? ops : &refusing_ops,
	    params_json)) != 0)
		goto fail;
	base = strrchr(path, '/');
	base = base ? base + 1 : path;
	if ((rc = fblua_load_string(pb->lua, src.data, src.len, base,
	    &pb->script)) != 0)
		goto fail;
	fblua_script_view(pb->lua, pb->script, decl_view, &d);
	if (d.errors > 0) {
		rc = fb_err(FB_ERR_PARSE, "playbook '%s' has %d error%s (see "
		    "'firebreak playbook lint')", path, d.errors,
		    d.errors == 1 ? "" : "s");
		goto fail;
	}
	fb_buf_release(&src);
	*out = pb;
	return 0;
fail:
	fb_buf_release(&src);
	pb_free(pb);
	return rc;
}

void
pb_free(struct playbook *pb)
{
	size_t i;

	if (pb == NULL)
		return;
	for (i = 0; i < pb->nparams; i++) {
		free(pb->params[i].name);
		free(pb->params[i].type);
		free(pb->params[i].description);
		free(pb->params[i].def_json);
	}
	for (i = 0; i < pb->nsteps; i++) {
		free(pb->steps[i].name);
		free(pb->steps[i].description);
	}
	free(pb->params);
	free(pb->steps);
	fblua_free(pb->lua);
	free(pb->path);
	free(pb->name);
	free(pb->description);
	free(pb->hosts);
	free(pb->confirm);
	free(pb);
}

/* ---- parameters --------------------------------------------------------- */

static int
param_value(struct fb_json *j, const struct pb_param *p, const char *v)
{
	char *e;

	if (strlen(v) > PB_PARAM_MAX_BYTES)
		return fb_err(FB_ERR_LIMIT, "param '%s' is longer than %d bytes",
		    p->name, PB_PARAM_MAX_BYTES);
	if (strcmp(p->type, "string") == 0) {
		if (!fb_utf8_valid(v, strlen(v)))
			return fb_err(FB_ERR_INVAL, "param '%s' is not valid "
			    "UTF-8", p->name);
		fb_json_str(j, v);
	} else if (strcmp(p->type, "integer") == 0) {
		long long n;

		errno = 0;
		n = strtoll(v, &e, 10);
		if (*v == '\0' || *e != '\0' || errno != 0)
			return fb_err(FB_ERR_INVAL, "param '%s' must be an "
			    "integer, not '%s'", p->name, v);
		fb_json_int(j, n);
	} else if (strcmp(p->type, "number") == 0) {
		double x;
		char buf[64];

		x = strtod(v, &e);
		if (*v == '\0' || *e != '\0' || !isfinite(x))
			return fb_err(FB_ERR_INVAL, "param '%s' must be a "
			    "number, not '%s'", p->name, v);
		snprintf(buf, sizeof(buf), "%.17g", x);
		fb_json_raw(j, buf);
	} else {
		if (strcmp(v, "true") == 0 || strcmp(v, "yes") == 0 ||
		    strcmp(v, "1") == 0)
			fb_json_bool(j, 1);
		else if (strcmp(v, "false") == 0 || strcmp(v, "no") == 0 ||
		    strcmp(v, "0") == 0)
			fb_json_bool(j, 0);
		else
			return fb_err(FB_ERR_INVAL, "param '%s' must be true or "
			    "false, not '%s'", p->name, v);
	}
	return 0;
}

static int
cmp_param(const void *a, const void *b)
{
	return strcmp(((const struct pb_param *)a)->name,
	    ((const struct pb_param *)b)->name);
}

int
pb_params_json(const struct playbook *pb, char *const *assign, size_t n,
    char **json)
{
	struct pb_param *sorted;
	struct fb_json *j;
	size_t i, k;
	int rc = 0;

	for (i = 0; i < n; i++) {
		const char *eq = strchr(assign[i], '=');

		if (eq == NULL || eq == assign[i])
			return fb_err(FB_ERR_USAGE, "-e wants NAME=VALUE, not "
			    "'%s'", assign[i]);
		for (k = 0; k < pb->nparams; k++)
			if (strlen(pb->params[k].name) ==
			    (size_t)(eq - assign[i]) && strncmp(
			    pb->params[k].name, assign[i], eq - assign[i]) == 0)
				break;
		if (k == pb->nparams)
			return fb_err(FB_ERR_USAGE, "playbook '%s' has no param "
			    "'%.*s'", pb->name, (int)(eq - assign[i]),
			    assign[i]);
	}
	sorted = xcalloc(pb->nparams + 1, sizeof(*sorted));
	if (pb->nparams > 0)
		memcpy(sorted, pb->params, pb->nparams * sizeof(*sorted));
	qsort(sorted, pb->nparams, sizeof(*sorted), cmp_param);
	j = fb_json_new();
	fb_json_obj_begin(j);
	for (k = 0; k < pb->nparams && rc == 0; k++) {
		const struct pb_param *p = &sorted[k];
		const char *v = NULL;
		size_t len = strlen(p->name);

		/* The last assignment wins, as with make. */
		for (i = 0; i < n; i++)
			if (strncmp(assign[i], p->name, len) == 0 &&
			    assign[i][len] == '=')
				v = assign[i] + len + 1;
		if (v != NULL) {
			fb_json_key(j, p->name);
			rc = param_value(j, p, v);
		} else if (p->def_json != NULL) {
			fb_json_key(j, p->name);
			fb_json_raw(j, p->def_json);
		} else if (p->required) {
			rc = fb_err(FB_ERR_USAGE, "playbook '%s' needs -e %s=...",
			    pb->name, p->name);
		}
	}
	fb_json_obj_end(j);
	free(sorted);
	if (rc != 0) {
		fb_json_free(j);
		return rc;
	}
	*json = fb_json_finish(j);
	return 0;
}

int
pb_outcome_exit(enum pb_outcome o)
{
	switch (o) {
	case PB_DONE:
	case PB_PLANNED:
		return FB_EXIT_OK;
	case PB_AWAITING:
		return FB_EXIT_APPROVAL;
	case PB_PARTIAL:
		return FB_EXIT_PARTIAL;
	default:
		return FB_EXIT_RUNTIME;
	}
}
