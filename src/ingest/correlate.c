/* correlate.c: shared assets from the store, grouped by the Lua rules. */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "filter/filter.h"
#include "ingest/correlate.h"
#include "json/json.h"
#include "lua/lua.h"

struct rows {
	struct fb_json *j;
	size_t n;
};

static int
row_json(void *ctx, const struct store_shared_row *r)
{
	struct rows *rows = ctx;
	struct fb_json *j = rows->j;

	fb_json_obj_begin(j);
	fb_json_kint(j, "finding", r->finding);
	fb_json_kstr(j, "severity", filter_severity_name(r->severity));
	fb_json_kstr(j, "title", r->title);
	fb_json_kstr(j, "source", r->source);
	fb_json_kstr(j, "status", r->status);
	fb_json_kint(j, "case", r->case_id);
	fb_json_kstr(j, "type", r->asset_type);
	fb_json_kstr(j, "value", r->asset_value);
	fb_json_obj_end(j);
	rows->n++;
	return 0;
}

static int
rules_load(struct store *s, struct fblua **L, int *script)
{
	struct fblua_limits lim = { 0 };
	char *path;
	int64_t v;
	int rc;

	if (store_config_int(s, "lua.max_memory", &v) == 0)
		lim.mem = (size_t)v;
	if (store_config_int(s, "lua.max_instructions", &v) == 0)
		lim.instructions = (uint64_t)v;
	fb_err_clear();
	if ((rc = fblua_new(FBLUA_CORRELATE, &lim, L)) != 0)
		return rc;
	/* The user's own rules replace the shipped ones when present. */
	{
		char *conf = fb_xdg_path("XDG_CONFIG_HOME", ".config");

		path = xasprintf("%s/correlate.lua", conf);
		free(conf);
		if (access(path, F_OK) != 0) {
			free(path);
			path = xasprintf("%s/lua/firebreak/correlate.lua",
			    fb_datadir());
		}
	}
	rc = fblua_load_file(*L, path, "@correlate.lua", script);
	free(path);
	if (rc != 0) {
		fblua_free(*L);
		*L = NULL;
	}
	return rc;
}

/* Bounded text out of a rule's value. */
static char *
take_str(struct fblua_ev *ev, const char *path, size_t max)
{
	size_t n;
	const char *v = fblua_ev_str(ev, path, &n);

	if (v == NULL)
		return NULL;
	return xstrndup(v, n < max ? n : max);
}

struct collect {
	struct correlate_result *res;
	struct correlate_link **links;
	size_t *nlinks;
};

static int
add_link(struct correlate_link **l, size_t *n, int64_t id, char *reason)
{
	if (*n >= 100000) {
		free(reason);
		return fb_err(FB_ERR_LIMIT, "correlation rules linked too many "
		    "findings");
	}
	*l = xrealloc(*l, (*n + 1) * sizeof(**l));
	(*l)[*n].finding = id;
	(*l)[*n].reason = reason ? reason : xstrdup("shares an asset");
	(*n)++;
	return 0;
}

static int
link_item(void *ud, const char *key, size_t idx, struct fblua_ev *item)
{
	struct correlate_proposal *p = ud;
	int64_t id;

	(void)key;
	(void)idx;
	if (fblua_ev_int(item, "id", &id) != 0 || id <= 0)
		return fb_err(FB_ERR_LUA, "correlate.lua: a link without an id");
	return add_link(&p->links, &p->nlinks, id,
	    take_str(item, "reason", 1000));
}

static int
on_group(void *ud, struct fblua_ev *ev)
{
	struct collect *c = ud;
	struct correlate_result *r = c->res;
	struct correlate_proposal *p;
	const char *sev;
	int rc;

	if (r->n >= 10000)
		return fb_err(FB_ERR_LIMIT, "correlation rules proposed too "
		    "many cases");
	r->p = xrealloc(r->p, (r->n + 1) * sizeof(*r->p));
	p = &r->p[r->n++];
	memset(p, 0, sizeof(*p));
	p->title = take_str(ev, "title", 200);
	if (p->title == NULL)
		p->title = xstrdup("Correlated findings");
	sev = fblua_ev_str(ev, "severity", NULL);
	p->severity = sev ? filter_severity_parse(sev) : -1;
	if ((rc = fblua_ev_foreach(ev, "findings", link_item, p)) != 0)
		return rc;
	return 0;
}

static int
on_suggest(void *ud, struct fblua_ev *ev)
{
	struct collect *c = ud;
	int64_t id;

	if (fblua_ev_int(ev, "finding", &id) != 0 || id <= 0)
		return fb_err(FB_ERR_LUA, "correlate.lua: a suggestion without "
		    "a finding");
	return add_link(c->links, c->nlinks, id, take_str(ev, "reason", 1000));
}

static int
run_rules(struct store *s, const char *fn, const char *rows_json,
    int (*emit)(void *, struct fblua_ev *), struct collect *c)
{
	struct fblua *L = NULL;
	int script, rc;

	if ((rc = rules_load(s, &L, &script)) != 0)
		return rc;
	fblua_set_emit(L, emit, c);
	rc = fblua_call(L, script, fn, NULL, NULL, "JE", rows_json,
	    strlen(rows_json));
	fblua_free(L);
	return rc;
}

int
correlate_propose(struct store *s, int min_sev, struct correlate_result *out)
{
	struct rows rows = { fb_json_new(), 0 };
	struct collect c = { .res = out };
	char *json;
	int rc;

	memset(out, 0, sizeof(*out));
	fb_json_arr_begin(rows.j);
	rc = store_ungrouped_assets(s, min_sev, row_json, &rows);
	fb_json_arr_end(rows.j);
	json = fb_json_finish(rows.j);
	if (rc == 0 && rows.n > 0)
		rc = run_rules(s, "group", json, on_group, &c);
	free(json);
	if (rc != 0)
		correlate_result_release(out);
	return rc;
}

int
correlate_apply(struct store *s, struct correlate_result *r,
    enum store_actor_kind kind)
{
	size_t i, k;
	int rc = 0;

	for (i = 0; i < r->n && rc == 0; i++) {
		struct correlate_proposal *p = &r->p[i];
		int64_t *ids = xcalloc(p->nlinks, sizeof(*ids));
		const char **reasons = xcalloc(p->nlinks, sizeof(*reasons));
		struct store_case_in in = {
			.title = p->title, .severity = p->severity,
			.findings = ids, .nfindings = p->nlinks,
			.actor_kind = kind,
		};

		for (k = 0; k < p->nlinks; k++) {
			ids[k] = p->links[k].finding;
			reasons[k] = p->links[k].reason;
		}
		rc = store_case_new_grouped(s, &in, reasons, &p->case_id);
		free(ids);
		free(reasons);
	}
	return rc;
}

void
correlate_links_free(struct correlate_link *l, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(l[i].reason);
	free(l);
}

void
correlate_result_release(struct correlate_result *r)
{
	size_t i;

	for (i = 0; i < r->n; i++) {
		free(r->p[i].title);
		correlate_links_free(r->p[i].links, r->p[i].nlinks);
	}
	free(r->p);
	memset(r, 0, sizeof(*r));
}

int
correlate_suggest(struct store *s, int64_t id, struct correlate_link **out,
    size_t *n)
{
	struct rows rows = { fb_json_new(), 0 };
	struct correlate_link *links = NULL;
	size_t nlinks = 0;
	struct collect c = { .links = &links, .nlinks = &nlinks };
	char *json;
	int rc;

	fb_json_arr_begin(rows.j);
	rc = store_case_suggest(s, id, row_json, &rows);
	fb_json_arr_end(rows.j);
	json = fb_json_finish(rows.j);
	if (rc == 0 && rows.n > 0)
		rc = run_rules(s, "suggest", json, on_suggest, &c);
	free(json);
	if (rc != 0) {
		correlate_links_free(links, nlinks);
		return rc;
	}
	*out = links;
	*n = nlinks;
	return 0;
}
