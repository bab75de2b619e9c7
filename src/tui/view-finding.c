/*
 * view-finding.c: one finding in full — the normalized fields, the
 * identity fields that made its fingerprint, assets, locations and the
 * raw record pretty-printed — in the pager. Triage keys act on it.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "filter/filter.h"
#include "json/json.h"
#include "tui/tui-int.h"

struct finding {
	int64_t id;
	struct tui_pager pager;
	char info[64];
};

static void
field(struct tui_pager *p, const char *name, const char *value)
{
	if (value == NULL || *value == '\0')
		return;
	tui_pager_add(p, TUI_C_NORMAL, "  %-16s %s", name, value);
}

static void
json_block(struct tui_pager *p, const char *json)
{
	struct fb_buf pretty = FB_BUF_INIT;

	if (json == NULL || *json == '\0') {
		tui_pager_add_text(p, TUI_C_DIM, "  (none)");
		return;
	}
	if (fb_json_pretty(json, strlen(json), &pretty) != 0) {
		fb_err_clear();
		fb_buf_addstr(&pretty, json);
	}
	/* Indent every line by two; the pager sanitizes each. */
	{
		const char *s = pretty.data;
		for (;;) {
			size_t n = strcspn(s, "\n");
			tui_pager_add(p, TUI_C_NORMAL, "  %.*s", (int)n, s);
			if (s[n] == '\0')
				break;
			s += n + 1;
		}
	}
	fb_buf_release(&pretty);
}

static int
on_full(void *ctx, const struct store_finding_full *f)
{
	struct tui_pager *p = ctx;
	char buf[64];

	tui_pager_add(p, tui_severity_color(f->row.severity), "#%lld  %s",
	    (long long)f->row.id, f->row.title ? f->row.title : "");
	tui_pager_add_text(p, TUI_C_NORMAL, "");
	tui_pager_add_text(p, TUI_C_TITLE, "Fields");
	field(p, "severity", filter_severity_name(f->row.severity));
	snprintf(buf, sizeof(buf), "%s%s", f->row.status,
	    f->row.suppressed ? " (suppressed)" : "");
	field(p, "status", buf);
	field(p, "status reason", f->status_reason);
	if (f->status_by != NULL) {
		char *by = xasprintf("%s at %s", f->status_by,
		    f->status_at ? f->status_at : "?");
		field(p, "status by", by);
		free(by);
	}
	field(p, "source", f->row.source);
	field(p, "kind", f->row.kind);
	field(p, "rule", f->row.rule_id);
	field(p, "scope", f->scope);
	if (f->row.event_time != NULL) {
		char *et = xasprintf("%s%s", f->row.event_time,
		    f->event_time_assumed_utc ? " (no zone given: taken as UTC)" : "");
		field(p, "event time", et);
		free(et);
	}
	field(p, "first seen", f->row.first_seen);
	field(p, "last seen", f->row.last_seen);
	snprintf(buf, sizeof(buf), "%lld (ingests #%lld to #%lld)",
	    (long long)f->row.count, (long long)f->first_ingest,
	    (long long)f->last_ingest);
	field(p, "seen", buf);
	if (f->row.case_id > 0) {
		snprintf(buf, sizeof(buf), "#%lld", (long long)f->row.case_id);
		field(p, "case", buf);
	}
	if (f->detail != NULL && *f->detail != '\0') {
		tui_pager_add_text(p, TUI_C_NORMAL, "");
		tui_pager_add_text(p, TUI_C_TITLE, "Detail");
		/* Multi-line text keeps its lines; each is sanitized. */
		{
			const char *s = f->detail;
			for (;;) {
				size_t n = strcspn(s, "\n");
				tui_pager_add(p, TUI_C_NORMAL, "  %.*s", (int)n, s);
				if (s[n] == '\0')
					break;
				s += n + 1;
			}
		}
	}
	tui_pager_add_text(p, TUI_C_NORMAL, "");
	tui_pager_add_text(p, TUI_C_TITLE, "Fingerprint");
	field(p, "sha256", f->row.fingerprint);
	tui_pager_add_text(p, TUI_C_DIM, "  made from these identity fields:");
	json_block(p, f->identity);
	return 0;
}

static int
on_asset(void *ctx, const char *type, const char *value, const char *role)
{
	tui_pager_add(ctx, TUI_C_NORMAL, "  %s:%s%s%s%s", type, value,
	    role && *role ? "  (" : "", role ? role : "", role && *role ? ")" : "");
	return 0;
}

static int
on_location(void *ctx, const char *host, const char *path, int64_t line,
    const char *first, const char *last)
{
	char ln[32] = "";

	if (line > 0)
		snprintf(ln, sizeof(ln), ":%lld", (long long)line);
	tui_pager_add(ctx, TUI_C_NORMAL, "  %s%s%s%s  (%s .. %s)",
	    host && *host ? host : "", host && *host && path && *path ? ":" : "",
	    path ? path : "", ln, first ? first : "", last ? last : "");
	return 0;
}

static int
on_raw(void *ctx, const struct store_finding_full *f)
{
	json_block(ctx, f->raw);
	return 0;
}

static int
load(struct tui *t, struct finding *v)
{
	struct tui_pager *p = &v->pager;
	size_t top = p->top;
	size_t before;
	int rc;

	tui_pager_clear(p);
	if ((rc = store_finding_get(t->store, v->id, on_full, p)) != 0)
		return rc;
	tui_pager_add_text(p, TUI_C_NORMAL, "");
	tui_pager_add_text(p, TUI_C_TITLE, "Assets");
	before = p->n;
	if ((rc = store_finding_assets(t->store, v->id, on_asset, p)) != 0)
		return rc;
	if (p->n == before)
		tui_pager_add_text(p, TUI_C_DIM, "  (none)");
	tui_pager_add_text(p, TUI_C_NORMAL, "");
	tui_pager_add_text(p, TUI_C_TITLE, "Locations");
	before = p->n;
	if ((rc = store_finding_locations(t->store, v->id, on_location, p)) != 0)
		return rc;
	if (p->n == before)
		tui_pager_add_text(p, TUI_C_DIM, "  (none)");
	tui_pager_add_text(p, TUI_C_NORMAL, "");
	tui_pager_add_text(p, TUI_C_TITLE, "Raw record (secrets masked at ingest)");
	if ((rc = store_finding_get(t->store, v->id, on_raw, p)) != 0)
		return rc;
	p->top = top;
	return 0;
}

static int
finding_open(struct tui *t, struct tui_view *tv, const char *arg)
{
	struct finding *v = xcalloc(1, sizeof(*v));
	int rc;

	tv->data = v;
	v->id = strtoll(arg ? arg : "0", NULL, 10);
	if ((rc = load(t, v)) != 0) {
		tui_pager_clear(&v->pager);
		free(v);
		tv->data = NULL;
	}
	return rc;
}

static void
finding_close(struct tui_view *tv)
{
	struct finding *v = tv->data;

	if (v == NULL)
		return;
	tui_pager_clear(&v->pager);
	free(v);
}

static int
finding_reload(struct tui *t, struct tui_view *tv)
{
	return load(t, tv->data);
}

static int
finding_request(struct tui *t, struct tui_view *tv, enum tui_req r)
{
	struct finding *v = tv->data;
	int64_t *ids;

	switch (r) {
	case TUI_REQ_ACK:
	case TUI_REQ_RESOLVE:
	case TUI_REQ_FALSE_POS:
	case TUI_REQ_REOPEN:
	case TUI_REQ_SUPPRESS:
	case TUI_REQ_LINK_CASE:
	case TUI_REQ_NEW_CASE:
		ids = xcalloc(1, sizeof(*ids));
		ids[0] = v->id;
		if (r == TUI_REQ_LINK_CASE || r == TUI_REQ_NEW_CASE) {
			if (!t->has_cases) {
				free(ids);
				tui_message(t, 1, "cases are not in this build yet");
				return TUI_REDRAW;
			}
			return tui_cases_action(t, r, ids, 1);
		}
		return tui_findings_action(t, r, ids, 1);
	default:
		return tui_pager_request(t, &v->pager, r, t->rows - 2);
	}
}

static void
finding_draw(struct tui *t, struct tui_view *tv, int y, int h)
{
	struct finding *v = tv->data;

	tui_pager_draw(t, &v->pager, y, h);
}

static const char *
finding_info(struct tui_view *tv)
{
	struct finding *v = tv->data;

	snprintf(v->info, sizeof(v->info), "#%lld  line %zu of %zu",
	    (long long)v->id, v->pager.top + 1, v->pager.n);
	return v->info;
}

const struct tui_view_ops tui_view_finding = {
	"finding", finding_open, finding_close, finding_reload, finding_draw,
	finding_request, NULL, finding_info, NULL,
};
