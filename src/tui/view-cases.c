/*
 * view-cases.c: the cases list, one case with tabs (summary and incident
 * clocks, findings, timeline, evidence), the dashboard's open cases, and
 * "link the selection to a case / open a case from it" — all through the
 * store's case API (src/store/cases.h), the same as `firebreak case`.
 */
#include "config.h"

#include <curses.h>
#include <stdlib.h>
#include <string.h>

#include "filter/filter.h"
#include "store/cases.h"
#include "tui/tui-int.h"

/* Cases are few (one per incident): the list reads them in the store's
 * order and keeps only the page it shows. */
#define CASES_SCAN 100000

static void
duration(int64_t secs, char *out, size_t n)
{
	if (secs < 0)
		snprintf(out, n, "-");
	else if (secs < 3600)
		snprintf(out, n, "%lldm", (long long)(secs / 60));
	else if (secs < 86400)
		snprintf(out, n, "%lldh%02lldm", (long long)(secs / 3600),
		    (long long)(secs % 3600 / 60));
	else
		snprintf(out, n, "%lldd%02lldh", (long long)(secs / 86400),
		    (long long)(secs % 86400 / 3600));
}

/* ---- the list --------------------------------------------------------- */

struct cases {
	struct tui_list list;
	struct filter *filter;
};

static const struct tui_col cols[] = {
	{ "ID", 5, 1, 0 },
	{ "SEVERITY", 8, 0, 0 },
	{ "STATUS", 10, 0, 0 },
	{ "OWNER", 10, 0, 0 },
	{ "FINDINGS", 8, 1, 0 },
	{ "EVIDENCE", 8, 1, 100 },
	{ "TO ACT", 7, 1, 0 },
	{ "TO CONTAIN", 10, 1, 110 },
	{ "TITLE", 0, 0, 0 },
};

struct case_fetch {
	struct tui_list *l;
	int64_t from;          /* key case id, 0: from an end */
	int backward, inclusive, limit;
	int seen_key;          /* passed the key row */
	int done;
	/* backward: a ring of the last `limit` rows before the key */
	struct tui_row *ring;
	int nring, head;
};

static void
fill_row(struct tui_row *r, const struct store_case_row *c)
{
	char buf[32];

	r->id = c->id;
	r->num = c->severity;
	r->cell[0] = xasprintf("%lld", (long long)c->id);
	r->cell[1] = xstrdup(filter_severity_name(c->severity));
	r->cell[2] = tui_safe(c->status);
	r->cell[3] = tui_safe(c->owner ? c->owner : "");
	r->cell[4] = xasprintf("%lld", (long long)c->nfindings);
	r->cell[5] = xasprintf("%lld", (long long)c->nevidence);
	duration(c->clocks.to_first_action, buf, sizeof(buf));
	r->cell[6] = xstrdup(buf);
	duration(c->clocks.to_contained, buf, sizeof(buf));
	r->cell[7] = xstrdup(buf);
	r->cell[8] = tui_safe(c->title);
	r->attr = tui_severity_color(c->severity);
	r->flag = c->status != NULL && strcmp(c->status, "closed") == 0;
}

static int
on_case(void *ctx, const struct store_case_row *c)
{
	struct case_fetch *f = ctx;

	if (f->done)
		return 0;
	if (!f->backward) {
		if (f->from != 0 && !f->seen_key) {
			if (c->id != f->from)
				return 0;
			f->seen_key = 1;
			if (!f->inclusive)
				return 0;
		}
		fill_row(tui_list_add(f->l), c);
		if (f->l->nin >= f->limit)
			f->done = 1;
		return 0;
	}
	/* backward: keep the last rows before the key (or before the end) */
	if (f->from != 0 && c->id == f->from) {
		if (f->inclusive) {
			struct tui_row *r = &f->ring[f->head];
			tui_row_clear(r);
			fill_row(r, c);
			f->head = (f->head + 1) % f->limit;
			if (f->nring < f->limit)
				f->nring++;
		}
		f->done = 1;
		return 0;
	}
	{
		struct tui_row *r = &f->ring[f->head];
		tui_row_clear(r);
		fill_row(r, c);
		f->head = (f->head + 1) % f->limit;
		if (f->nring < f->limit)
			f->nring++;
	}
	return 0;
}

static int
cases_fetch(struct tui *t, struct tui_list *l, const struct tui_row *from,
    int backward, int inclusive, int limit)
{
	struct cases *v = l->view->data;
	struct store_case_query q = { .filter = v->filter, .all = 0,
	    .limit = CASES_SCAN };
	struct case_fetch f = { .l = l, .from = from ? from->id : 0,
	    .backward = backward, .inclusive = inclusive, .limit = limit };
	int rc, i;

	if (limit < 1)
		return 0;
	if (backward)
		f.ring = xcalloc((size_t)limit, sizeof(*f.ring));
	rc = store_cases_ls(t->store, &q, on_case, &f);
	if (backward) {
		/* nearest first: newest ring entry first */
		for (i = 0; i < f.nring; i++) {
			int k = (f.head - 1 - i + 2 * limit) % limit;
			struct tui_row *r = tui_list_add(l);
			*r = f.ring[k];
			memset(&f.ring[k], 0, sizeof(f.ring[k]));
		}
		for (i = 0; i < limit; i++)
			tui_row_clear(&f.ring[i]);
		free(f.ring);
	}
	return rc;
}

static const struct tui_list_ops cases_list_ops = {
	cols, (int)FB_ARRAY_LEN(cols), cases_fetch,
};

static int
cases_open(struct tui *t, struct tui_view *tv, const char *arg)
{
	struct cases *v = xcalloc(1, sizeof(*v));

	(void)t;
	(void)arg;
	tv->data = v;
	tui_list_init(&v->list, &cases_list_ops, tv);
	return 0;
}

static void
cases_close(struct tui_view *tv)
{
	struct cases *v = tv->data;

	tui_list_release(&v->list);
	filter_free(v->filter);
	free(v);
}

static int
cases_reload(struct tui *t, struct tui_view *tv)
{
	struct cases *v = tv->data;

	return tui_list_reload(t, &v->list);
}

static int
cases_filter(struct tui *t, struct tui_view *tv, const char *text)
{
	struct cases *v = tv->data;
	struct filter *f = NULL;
	int rc;

	if ((rc = filter_parse(text, &f)) != 0)
		return rc;
	filter_free(v->filter);
	v->filter = f;
	return tui_list_top(t, &v->list);
}

static int
cases_request(struct tui *t, struct tui_view *tv, enum tui_req r)
{
	struct cases *v = tv->data;
	const struct tui_row *cur = tui_list_current(&v->list);

	if (r == TUI_REQ_ENTER) {
		char arg[32];
		int rc;

		if (cur == NULL)
			return TUI_REDRAW;
		snprintf(arg, sizeof(arg), "%lld", (long long)cur->id);
		if ((rc = tui_view_push(t, &tui_view_case, arg)) != 0)
			return tui_error(t, rc);
		return TUI_REDRAW;
	}
	return tui_list_request(t, &v->list, r);
}

static void
cases_draw(struct tui *t, struct tui_view *tv, int y, int h)
{
	struct cases *v = tv->data;

	tui_list_draw(t, &v->list, y, h);
	if (v->list.n == 0 && h > 2)
		tui_put(y + 2, 2, t->cols - 2, "no cases: select findings "
		    "(Space) and press N to open one", 0, 0);
}

const struct tui_view_ops tui_view_cases = {
	"cases", cases_open, cases_close, cases_reload, cases_draw,
	cases_request, cases_filter, NULL, NULL,
};

/* ---- one case, with tabs -------------------------------------------------- */

enum { TAB_SUMMARY, TAB_FINDINGS, TAB_TIMELINE, TAB_EVIDENCE, TAB__MAX };
static const char *const tab_names[TAB__MAX] = {
	"Summary", "Findings", "Timeline", "Evidence",
};

struct onecase {
	int64_t id;
	int tab;
	struct tui_pager pager[TAB__MAX];
	char info[128];
};

static void
kv(struct tui_pager *p, const char *k, const char *v)
{
	tui_pager_add(p, TUI_C_NORMAL, "  %-22s %s", k, v && *v ? v : "-");
}

static int
on_summary(void *ctx, const struct store_case_row *c)
{
	struct tui_pager *p = ctx;
	char buf[64];

	tui_pager_add(p, tui_severity_color(c->severity), "case #%lld  %s",
	    (long long)c->id, c->title ? c->title : "");
	tui_pager_add_text(p, TUI_C_NORMAL, "");
	kv(p, "severity", filter_severity_name(c->severity));
	kv(p, "status", c->status);
	kv(p, "owner", c->owner);
	kv(p, "opened", c->opened);
	kv(p, "opened by", c->opened_by);
	kv(p, "updated", c->updated);
	snprintf(buf, sizeof(buf), "%lld", (long long)c->nfindings);
	kv(p, "findings", buf);
	snprintf(buf, sizeof(buf), "%lld", (long long)c->nevidence);
	kv(p, "evidence items", buf);
	if (c->merged_into > 0) {
		snprintf(buf, sizeof(buf), "#%lld", (long long)c->merged_into);
		kv(p, "merged into", buf);
	}
	tui_pager_add_text(p, TUI_C_NORMAL, "");
	tui_pager_add_text(p, TUI_C_TITLE, "Incident clocks (from the first event)");
	kv(p, "first event", c->first_event);
	duration(c->clocks.to_first_action, buf, sizeof(buf));
	tui_pager_add(p, TUI_C_NORMAL, "  %-22s %-10s %s", "to first human action",
	    buf, c->first_action ? c->first_action : "not yet");
	duration(c->clocks.to_contained, buf, sizeof(buf));
	tui_pager_add(p, TUI_C_NORMAL, "  %-22s %-10s %s", "to contained", buf,
	    c->contained ? c->contained : "not yet");
	kv(p, "eradicated", c->eradicated);
	kv(p, "recovered", c->recovered);
	duration(c->clocks.to_closed, buf, sizeof(buf));
	tui_pager_add(p, TUI_C_NORMAL, "  %-22s %-10s %s", "to closed", buf,
	    c->closed ? c->closed : "not yet");
	return 0;
}

static int
on_case_finding(void *ctx, const struct store_finding_row *f)
{
	char seen[16];

	tui_short_time(f->last_seen, seen);
	tui_pager_add(ctx, tui_severity_color(f->severity),
	    "  #%-6lld %-8s %-14s %-12.12s %s  %s", (long long)f->id,
	    filter_severity_name(f->severity), f->status, f->source, seen,
	    f->title ? f->title : "");
	return 0;
}

static int
on_event(void *ctx, const struct store_timeline_row *e)
{
	char when[16], rec[16];

	tui_short_time(e->event_time, when);
	tui_short_time(e->recorded_time, rec);
	tui_pager_add(ctx, strcmp(e->actor_kind ? e->actor_kind : "", "human") == 0 ?
	    TUI_C_NORMAL : TUI_C_DIM, "  %s (rec %s)  %-10.10s %-14.14s %s%s%s",
	    when, rec, e->actor ? e->actor : "", e->kind ? e->kind : "",
	    e->text ? e->text : "", e->reason ? "  reason: " : "",
	    e->reason ? e->reason : "");
	return 0;
}

static int
on_evidence(void *ctx, const struct store_evidence_row *e)
{
	struct tui_pager *p = ctx;

	tui_pager_add(p, TUI_C_NORMAL, "  #%-4lld %.12s  %8lld B  %-14s %s",
	    (long long)e->id, e->sha256 ? e->sha256 : "", (long long)e->size,
	    e->kind ? e->kind : "", e->name ? e->name : "");
	tui_pager_add(p, TUI_C_DIM, "         from %s%s%s  by %s via %s, %s",
	    e->source_host ? e->source_host : "?", e->path ? ":" : "",
	    e->path ? e->path : (e->command ? e->command : ""),
	    e->collected_by ? e->collected_by : "?",
	    e->collector ? e->collector : "?", e->started ? e->started : "");
	return 0;
}

static int
case_load(struct tui *t, struct onecase *v)
{
	struct store_finding_query q = { .all = 1 };
	struct store_finding_page pg = { .q = &q, .limit = 1000 };
	struct filter *f = NULL;
	char fl[48];
	size_t tops[TAB__MAX];
	int rc, i;

	for (i = 0; i < TAB__MAX; i++) {
		tops[i] = v->pager[i].top;
		tui_pager_clear(&v->pager[i]);
	}
	if ((rc = store_case_get(t->store, v->id, on_summary,
	    &v->pager[TAB_SUMMARY])) != 0)
		return rc;
	snprintf(fl, sizeof(fl), "case=%lld", (long long)v->id);
	if ((rc = filter_parse(fl, &f)) != 0)
		return rc;
	q.filter = f;
	tui_pager_add_text(&v->pager[TAB_FINDINGS], TUI_C_DIM,
	    "  Enter: these findings in the list, to open and triage them");
	rc = store_findings_page(t->store, &pg, on_case_finding,
	    &v->pager[TAB_FINDINGS]);
	filter_free(f);
	if (rc != 0)
		return rc;
	tui_pager_add_text(&v->pager[TAB_TIMELINE], TUI_C_DIM,
	    "  event time (recorded)  actor      kind           what");
	if ((rc = store_case_timeline(t->store, v->id, on_event,
	    &v->pager[TAB_TIMELINE])) != 0)
		return rc;
	if ((rc = store_evidence_ls(t->store, v->id, on_evidence,
	    &v->pager[TAB_EVIDENCE])) != 0)
		return rc;
	if (v->pager[TAB_EVIDENCE].n == 0)
		tui_pager_add_text(&v->pager[TAB_EVIDENCE], TUI_C_DIM,
		    "  no evidence yet: firebreak evidence add --case N FILE");
	for (i = 0; i < TAB__MAX; i++)
		v->pager[i].top = tops[i];
	return 0;
}

static int
case_open(struct tui *t, struct tui_view *tv, const char *arg)
{
	struct onecase *v = xcalloc(1, sizeof(*v));
	int rc;

	tv->data = v;
	v->id = strtoll(arg ? arg : "0", NULL, 10);
	if ((rc = case_load(t, v)) != 0) {
		for (int i = 0; i < TAB__MAX; i++)
			tui_pager_clear(&v->pager[i]);
		free(v);
		tv->data = NULL;
	}
	return rc;
}

static void
case_close(struct tui_view *tv)
{
	struct onecase *v = tv->data;

	if (v == NULL)
		return;
	for (int i = 0; i < TAB__MAX; i++)
		tui_pager_clear(&v->pager[i]);
	free(v);
}

static int
case_reload(struct tui *t, struct tui_view *tv)
{
	return case_load(t, tv->data);
}

static int
case_request(struct tui *t, struct tui_view *tv, enum tui_req r)
{
	struct onecase *v = tv->data;
	char arg[48];
	int rc;

	switch (r) {
	case TUI_REQ_NEXT_TAB:
		v->tab = (v->tab + 1) % TAB__MAX;
		return TUI_REDRAW;
	case TUI_REQ_PREV_TAB:
		v->tab = (v->tab + TAB__MAX - 1) % TAB__MAX;
		return TUI_REDRAW;
	case TUI_REQ_ENTER:
		if (v->tab != TAB_FINDINGS)
			return TUI_REDRAW;
		if ((rc = tui_view_push(t, &tui_view_findings, NULL)) != 0)
			return tui_error(t, rc);
		snprintf(arg, sizeof(arg), "case=%lld", (long long)v->id);
		if ((rc = t->view->ops->filter(t, t->view, arg)) != 0)
			return tui_error(t, rc);
		free(t->view->filter);
		t->view->filter = xstrdup(arg);
		return TUI_REDRAW;
	case TUI_REQ_EXPORT:
		return tui_case_export(t, v->id);
	default:
		return tui_pager_request(t, &v->pager[v->tab], r, t->rows - 3);
	}
}

static void
case_draw(struct tui *t, struct tui_view *tv, int y, int h)
{
	struct onecase *v = tv->data;
	int x = 1, i;

	tui_clear_line(y, 0, 0);
	for (i = 0; i < TAB__MAX && x < t->cols; i++) {
		char label[32];

		snprintf(label, sizeof(label), i == v->tab ? "[%s]" : " %s ",
		    tab_names[i]);
		x += tui_put(y, x, t->cols - x, label, i == v->tab ?
		    (int)(A_BOLD | A_REVERSE) : 0, 0);
		x += tui_put(y, x, t->cols - x, " ", 0, 0);
	}
	tui_pager_draw(t, &v->pager[v->tab], y + 1, h - 1);
}

static const char *
case_info(struct tui_view *tv)
{
	struct onecase *v = tv->data;

	snprintf(v->info, sizeof(v->info), "#%lld  %s  Tab: next tab",
	    (long long)v->id, tab_names[v->tab]);
	return v->info;
}

const struct tui_view_ops tui_view_case = {
	"case", case_open, case_close, case_reload, case_draw, case_request,
	NULL, case_info, NULL,
};

/* ---- the dashboard's open cases ------------------------------------------ */

struct dash {
	struct tui_pager *p;
	int n;
};

static int
on_dash_case(void *ctx, const struct store_case_row *c)
{
	struct dash *d = ctx;
	char act[16], cont[16];

	if (d->n >= 5 || (c->status && strcmp(c->status, "closed") == 0))
		return 0;
	d->n++;
	duration(c->clocks.to_first_action, act, sizeof(act));
	duration(c->clocks.to_contained, cont, sizeof(cont));
	tui_pager_add(d->p, tui_severity_color(c->severity),
	    "#%-4lld %-8s %-10s act %-7s contain %-7s %3lld findings  %s",
	    (long long)c->id, filter_severity_name(c->severity),
	    c->status ? c->status : "", act, cont, (long long)c->nfindings,
	    c->title ? c->title : "");
	return 0;
}

int
tui_dashboard_cases(struct tui *t, struct tui_pager *p)
{
	struct store_case_query q = { .limit = 200 };
	struct dash d = { p, 0 };

	return store_cases_ls(t->store, &q, on_dash_case, &d);
}

/* ---- link the selection to a case, or open one from it ------------------- */

static int
run_link(struct tui *t, struct tui_action *a, const char *reason)
{
	int rc;

	if ((rc = store_case_link(t->store, a->arg, a->ids, a->nids,
	    reason ? reason : "linked in the console", STORE_ACTOR_HUMAN)) != 0)
		return rc;
	tui_message(t, 0, "%zu finding%s linked to case #%lld", a->nids,
	    a->nids == 1 ? "" : "s", (long long)a->arg);
	tui_findings_clear_selection(t);
	return 0;
}

static int
run_new(struct tui *t, struct tui_action *a, const char *reason)
{
	struct store_case_in in = {
		.title = a->answer, .severity = -1, .findings = a->ids,
		.nfindings = a->nids, .reason = reason,
		.actor_kind = STORE_ACTOR_HUMAN,
	};
	int64_t id;
	int rc;

	if ((rc = store_case_new(t->store, &in, &id)) != 0)
		return rc;
	tui_message(t, 0, "case #%lld opened with %zu finding%s", (long long)id,
	    a->nids, a->nids == 1 ? "" : "s");
	tui_findings_clear_selection(t);
	return 0;
}

int
tui_cases_action(struct tui *t, enum tui_req r, int64_t *ids, size_t n)
{
	struct tui_action *a;

	if (n == 0) {
		free(ids);
		tui_message(t, 1, "no finding here");
		return TUI_REDRAW;
	}
	a = xcalloc(1, sizeof(*a));
	a->ids = ids;
	a->nids = n;
	a->need_reason = 1;
	if (r == TUI_REQ_LINK_CASE) {
		a->ask = TUI_ASK_NUMBER;
		a->ask_label = "link to case number: ";
		a->verb = "link";
		a->run = run_link;
	} else {
		a->ask = TUI_ASK_TEXT;
		a->ask_label = "title of the new case: ";
		a->verb = "open a case with";
		a->run = run_new;
	}
	tui_action_start(t, a);
	return TUI_REDRAW;
}
