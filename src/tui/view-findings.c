/*
 * view-findings.c: the findings list. A table of callbacks over the list
 * engine: fetch pages in the chosen sort through store_findings_page, the
 * `/` filter in the shared grammar (bare words search text), and triage
 * through the same store functions as `firebreak finding` and `suppress`.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "filter/filter.h"
#include "tui/tui-int.h"

#define COUNT_CAP 10000

struct findings {
	struct tui_list list;
	struct filter *filter;
	enum store_finding_sort sort;
	int asc;
	int all;              /* show suppressed findings too */
	int64_t matching;     /* up to COUNT_CAP + 1 */
	char info[160];
};

static const struct tui_col cols[] = {
	{ "ID", 7, 1, 0 },
	{ "SEVERITY", 8, 0, 0 },
	{ "STATUS", 14, 0, 0 },
	{ "SOURCE", 12, 0, 0 },
	{ "LAST SEEN", 11, 0, 0 },
	{ "COUNT", 5, 1, 110 },
	{ "CASE", 5, 1, 130 },
	{ "TITLE", 0, 0, 0 },
};

struct fetch_ctx {
	struct tui_list *l;
};

static int
add_row(void *ctx, const struct store_finding_row *f)
{
	struct fetch_ctx *c = ctx;
	struct tui_row *r = tui_list_add(c->l);
	char seen[16];

	r->id = f->id;
	r->num = f->severity;
	r->key[0] = xstrdup(f->last_seen ? f->last_seen : "");
	r->key[1] = xstrdup(f->status ? f->status : "");
	r->key[2] = xstrdup(f->source ? f->source : "");
	r->cell[0] = xasprintf("%lld", (long long)f->id);
	r->cell[1] = xstrdup(filter_severity_name(f->severity));
	r->cell[2] = f->suppressed ? xstrdup("suppressed") : tui_safe(f->status);
	r->cell[3] = tui_safe(f->source);
	tui_short_time(f->last_seen, seen);
	r->cell[4] = xstrdup(seen);
	r->cell[5] = xasprintf("%lld", (long long)f->count);
	r->cell[6] = f->case_id > 0 ? xasprintf("%lld", (long long)f->case_id) :
	    xstrdup("");
	r->cell[7] = tui_safe(f->title);
	r->attr = tui_severity_color(f->severity);
	r->flag = f->suppressed;
	return 0;
}

static int
fetch(struct tui *t, struct tui_list *l, const struct tui_row *from,
    int backward, int inclusive, int limit)
{
	struct findings *v = l->view->data;
	struct store_finding_query q = { .filter = v->filter, .all = v->all };
	struct store_finding_row key;
	struct store_finding_page p = {
		.q = &q, .sort = v->sort, .asc = v->asc, .backward = backward,
		.inclusive = inclusive, .limit = limit,
	};
	struct fetch_ctx c = { l };

	if (from != NULL) {
		memset(&key, 0, sizeof(key));
		key.id = from->id;
		key.severity = (int)from->num;
		key.last_seen = from->key[0];
		key.status = from->key[1];
		key.source = from->key[2];
		p.from = &key;
	}
	return store_findings_page(t->store, &p, add_row, &c);
}

static const struct tui_list_ops list_ops = {
	cols, (int)FB_ARRAY_LEN(cols), fetch,
};

/* Counting waits for idle time (and a key stops it): mark it pending. */
static int
count(struct tui *t, struct findings *v)
{
	(void)t;
	v->matching = -1;
	return 0;
}

static int
findings_idle(struct tui *t, struct tui_view *tv)
{
	struct findings *v = tv->data;
	struct store_finding_query q = { .filter = v->filter, .all = v->all };
	double t0 = tui_now_ms();
	int64_t n;
	int rc;

	if (v->matching >= 0)
		return TUI_OK;
	rc = store_findings_count(t->store, &q, COUNT_CAP, &n);
	t->frame_fetch_ms += tui_now_ms() - t0;
	if (rc != 0) {
		if (!t->intr.fired)
			tui_error(t, rc);
		return TUI_OK;
	}
	v->matching = n;
	return TUI_REDRAW;
}

static int
findings_open(struct tui *t, struct tui_view *tv, const char *arg)
{
	struct findings *v = xcalloc(1, sizeof(*v));

	tv->data = v;
	tui_list_init(&v->list, &list_ops, tv);
	v->sort = STORE_SORT_SEVERITY;
	(void)arg;
	(void)t;
	return 0;
}

static void
findings_close(struct tui_view *tv)
{
	struct findings *v = tv->data;

	tui_list_release(&v->list);
	filter_free(v->filter);
	free(v);
}

static int
findings_reload(struct tui *t, struct tui_view *tv)
{
	struct findings *v = tv->data;
	int rc;

	if ((rc = tui_list_reload(t, &v->list)) != 0)
		return rc;
	return count(t, v);
}

static int
restart(struct tui *t, struct findings *v)
{
	int rc;

	if ((rc = tui_list_top(t, &v->list)) != 0)
		return rc;
	return count(t, v);
}

static int
findings_filter(struct tui *t, struct tui_view *tv, const char *text)
{
	struct findings *v = tv->data;
	struct filter *f = NULL;
	int rc;

	if ((rc = filter_parse(text, &f)) != 0)
		return rc;
	filter_free(v->filter);
	v->filter = f->n > 0 ? f : NULL;
	if (f->n == 0)
		filter_free(f);
	return restart(t, v);
}

int
tui_findings_sort(struct tui *t, struct tui_view *tv, const char *col)
{
	struct findings *v = tv->data;
	int k, rc;

	for (k = 0; k < STORE_SORT__MAX; k++)
		if (strcmp(store_finding_sort_name(k), col) == 0)
			break;
	if (k == STORE_SORT__MAX) {
		tui_message(t, 1, "no sort column '%s' (severity, last_seen, "
		    "id)", col);
		return TUI_REDRAW;
	}
	v->sort = k;
	if ((rc = restart(t, v)) != 0)
		return tui_error(t, rc);
	return TUI_REDRAW;
}

/* "#4 #7 #9 and 12 more" */
static void
ids_text(struct fb_buf *b, const int64_t *ids, size_t n)
{
	size_t i;

	for (i = 0; i < n && i < 5; i++)
		fb_buf_addf(b, "%s#%lld", i ? " " : "", (long long)ids[i]);
	if (n > 5)
		fb_buf_addf(b, " and %zu more", n - 5);
}

void
tui_findings_clear_selection(struct tui *t)
{
	struct tui_view *tv;

	for (tv = t->view; tv != NULL; tv = tv->prev)
		if (tv->ops == &tui_view_findings)
			((struct findings *)tv->data)->list.nsel = 0;
}

static int
run_status(struct tui *t, struct tui_action *a, const char *reason)
{
	int rc;

	if ((rc = store_findings_set_status(t->store, a->ids, a->nids,
	    a->status, reason)) != 0)
		return rc;
	tui_message(t, 0, "%zu finding%s marked %s", a->nids,
	    a->nids == 1 ? "" : "s", a->status);
	tui_findings_clear_selection(t);
	return 0;
}

static int
fingerprint_of(void *ctx, const struct store_finding_full *f)
{
	*(char **)ctx = xstrdup(f->row.fingerprint);
	return 0;
}

static int
run_suppress(struct tui *t, struct tui_action *a, const char *reason)
{
	size_t i;
	int rc = 0;

	for (i = 0; i < a->nids && rc == 0; i++) {
		char *fp = NULL, *match;
		int64_t id;

		if ((rc = store_finding_get(t->store, a->ids[i], fingerprint_of,
		    &fp)) != 0)
			break;
		match = xasprintf("fingerprint=%s", fp);
		rc = store_suppress_add(t->store, match, reason, 0, &id);
		free(match);
		free(fp);
	}
	if (rc == 0) {
		tui_message(t, 0, "%zu finding%s suppressed", a->nids,
		    a->nids == 1 ? "" : "s");
		tui_findings_clear_selection(t);
	}
	return rc;
}

int
tui_findings_action(struct tui *t, enum tui_req r, int64_t *ids, size_t n)
{
	struct tui_action *a;
	struct fb_buf b = FB_BUF_INIT;
	const char *verb;

	if (n == 0) {
		free(ids);
		tui_message(t, 1, "no finding here");
		return TUI_REDRAW;
	}
	a = xcalloc(1, sizeof(*a));
	a->ids = ids;
	a->nids = n;
	a->run = run_status;
	switch (r) {
	case TUI_REQ_ACK:
		verb = "acknowledge"; a->status = "acknowledged";
		a->need_reason = 1;
		break;
	case TUI_REQ_RESOLVE:
		verb = "resolve"; a->status = "resolved"; a->need_reason = 2;
		break;
	case TUI_REQ_FALSE_POS:
		verb = "mark as false positive"; a->status = "false_positive";
		a->need_reason = 2;
		break;
	case TUI_REQ_REOPEN:
		verb = "reopen"; a->status = "open"; a->need_reason = 1;
		break;
	default:
		/* Suppressing hides findings: type the target to confirm. */
		verb = "suppress"; a->run = run_suppress; a->need_reason = 2;
		a->confirm_word = n == 1 ? xasprintf("%lld", (long long)ids[0]) :
		    xasprintf("%zu", n);
		break;
	}
	fb_buf_addf(&b, "%s %zu finding%s (", verb, n, n == 1 ? "" : "s");
	ids_text(&b, ids, n);
	fb_buf_addch(&b, ')');
	a->what = fb_buf_detach(&b, NULL);
	tui_action_start(t, a);
	return TUI_REDRAW;
}

static int
findings_request(struct tui *t, struct tui_view *tv, enum tui_req r)
{
	struct findings *v = tv->data;
	const struct tui_row *cur = tui_list_current(&v->list);
	int64_t *ids;
	size_t n;
	int rc;

	switch (r) {
	case TUI_REQ_ENTER: {
		char arg[32];

		if (cur == NULL)
			return TUI_REDRAW;
		snprintf(arg, sizeof(arg), "%lld", (long long)cur->id);
		if ((rc = tui_view_push(t, &tui_view_finding, arg)) != 0)
			return tui_error(t, rc);
		return TUI_REDRAW;
	}
	case TUI_REQ_ACK:
	case TUI_REQ_RESOLVE:
	case TUI_REQ_FALSE_POS:
	case TUI_REQ_REOPEN:
	case TUI_REQ_SUPPRESS:
		n = tui_list_targets(&v->list, &ids);
		return tui_findings_action(t, r, ids, n);
	case TUI_REQ_LINK_CASE:
	case TUI_REQ_NEW_CASE:
		if (!t->has_cases) {
			tui_message(t, 1, "cases are not in this build yet");
			return TUI_REDRAW;
		}
		n = tui_list_targets(&v->list, &ids);
		return tui_cases_action(t, r, ids, n);
	case TUI_REQ_SORT:
		v->sort = (v->sort + 1) % STORE_SORT__MAX;
		if ((rc = restart(t, v)) != 0)
			return tui_error(t, rc);
		return TUI_REDRAW;
	case TUI_REQ_REVERSE:
		v->asc = !v->asc;
		if ((rc = restart(t, v)) != 0)
			return tui_error(t, rc);
		return TUI_REDRAW;
	case TUI_REQ_SHOW_HIDDEN:
		v->all = !v->all;
		tui_message(t, 0, v->all ? "showing suppressed findings (~)" :
		    "hiding suppressed findings");
		if ((rc = restart(t, v)) != 0)
			return tui_error(t, rc);
		return TUI_REDRAW;
	default:
		return tui_list_request(t, &v->list, r);
	}
}

static void
findings_draw(struct tui *t, struct tui_view *tv, int y, int h)
{
	struct findings *v = tv->data;

	tui_list_draw(t, &v->list, y, h);
	if (v->list.n == 0 && h > 2)
		tui_put(y + 2, 2, t->cols - 2, v->filter ?
		    "no findings match this filter (/ to change it)" :
		    "no findings yet: firebreak ingest FILE", 0, 0);
}

static const char *
findings_info(struct tui_view *tv)
{
	struct findings *v = tv->data;
	char m[32], pos[48] = "";

	if (v->matching < 0)
		snprintf(m, sizeof(m), ">=%lld", (long long)((v->list.pos > 0 ?
		    v->list.pos : 0) + v->list.n));
	else if (v->matching > COUNT_CAP)
		snprintf(m, sizeof(m), ">%d", COUNT_CAP);
	else
		snprintf(m, sizeof(m), "%lld", (long long)v->matching);
	if (v->list.pos >= 0 && v->list.n > 0)
		snprintf(pos, sizeof(pos), "row %lld of ",
		    (long long)(v->list.pos + v->list.cursor + 1));
	else if (v->list.after >= 0 && v->list.n > 0 && v->matching >= 0 &&
	    v->matching <= COUNT_CAP && v->matching >= v->list.after +
	    v->list.n)
		/* Counted from the end (after G): the total is known. */
		snprintf(pos, sizeof(pos), "row %lld of ", (long long)
		    (v->matching - v->list.after - (v->list.n - v->list.cursor) +
		    1));
	snprintf(v->info, sizeof(v->info), "%s%s  sort:%s%s%s%s", pos, m,
	    store_finding_sort_name(v->sort), v->asc ? "^" : "v",
	    v->list.nsel ? "  selected:" : "", "");
	if (v->list.nsel) {
		size_t len = strlen(v->info);
		snprintf(v->info + len, sizeof(v->info) - len, "%zu",
		    v->list.nsel);
	}
	if (tv->filter != NULL && *tv->filter != '\0') {
		size_t len = strlen(v->info);
		char *safe = tui_safe(tv->filter);
		snprintf(v->info + len, sizeof(v->info) - len, "  /%s", safe);
		free(safe);
	}
	return v->info;
}

const struct tui_view_ops tui_view_findings = {
	"findings", findings_open, findings_close, findings_reload,
	findings_draw, findings_request, findings_filter, findings_info,
	findings_idle,
};
