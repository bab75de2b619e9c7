/*
 * view-dashboard.c: where a responder starts. Counts by severity and
 * status (from the counts kept on write, never a scan), new findings per
 * hour over the last 24 hours as a sparkline, the latest ingests, and the
 * open cases with their clocks when the store has cases.
 */
#include "config.h"

#include <curses.h>
#include <stdlib.h>
#include <string.h>

#include "filter/filter.h"
#include "tui/tui-int.h"

#define NSTATUS 5
#define NINGEST 6

static const char *const statuses[NSTATUS] = {
	"open", "acknowledged", "resolved", "false_positive", NULL,
};

struct dashboard {
	int64_t counts[5][NSTATUS + 1];   /* [severity][status], last: total */
	int64_t hours[24];
	char first_hour[16];
	int64_t t0;
	struct tui_pager ingests;         /* lines, already sanitized */
	struct tui_pager cases;
};

static int
on_count(void *ctx, int severity, const char *status, int64_t n)
{
	struct dashboard *d = ctx;
	int k;

	if (severity < 0 || severity > 4)
		return 0;
	for (k = 0; k < NSTATUS - 1; k++)
		if (strcmp(statuses[k], status) == 0)
			break;
	d->counts[severity][k] += n;     /* k == NSTATUS-1: other */
	d->counts[severity][NSTATUS] += n;
	return 0;
}

static int
on_hour(void *ctx, const char *hour, int64_t n)
{
	struct dashboard *d = ctx;
	int64_t t0 = d->t0, th;
	char full[32];

	snprintf(full, sizeof(full), "%.13s:00:00Z", hour);
	if (fb_time_parse(full, &th, NULL) != 0)
		return 0;
	if (th >= t0 && (th - t0) / 3600 < 24)
		d->hours[(th - t0) / 3600] += n;
	return 0;
}

static int
on_ingest(void *ctx, const struct store_ingest_row *r)
{
	char when[16];

	tui_short_time(r->time, when);
	tui_pager_add(ctx, TUI_C_NORMAL, "#%-5lld %s  %-14.14s %6lld new "
	    "%6lld repeat %6lld resolved  %s", (long long)r->id, when,
	    r->format ? r->format : "", (long long)r->n_new,
	    (long long)r->n_repeat, (long long)r->n_resolved,
	    r->path ? r->path : "-");
	return 0;
}

static int
dashboard_reload(struct tui *t, struct tui_view *tv)
{
	struct dashboard *d = tv->data;
	int64_t now = fb_time_now();
	char since[FB_TIME_LEN];
	double t0 = tui_now_ms();
	int rc;

	memset(d->counts, 0, sizeof(d->counts));
	memset(d->hours, 0, sizeof(d->hours));
	if ((rc = store_finding_counts(t->store, on_count, d)) != 0)
		return rc;
	/* 24 buckets ending with the current hour. */
	d->t0 = now - now % 3600 - 23 * 3600;
	fb_time_fmt(d->t0, since);
	snprintf(d->first_hour, sizeof(d->first_hour), "%.13s", since);
	if ((rc = store_finding_hours(t->store, d->first_hour, on_hour, d)) != 0)
		return rc;
	tui_pager_clear(&d->ingests);
	if ((rc = store_ingests_recent(t->store, NINGEST, on_ingest,
	    &d->ingests)) != 0)
		return rc;
	tui_pager_clear(&d->cases);
	if (t->has_cases && (rc = tui_dashboard_cases(t, &d->cases)) != 0)
		return rc;
	t->frame_fetch_ms += tui_now_ms() - t0;
	return 0;
}

static int
dashboard_open(struct tui *t, struct tui_view *tv, const char *arg)
{
	(void)t;
	(void)arg;
	tv->data = xcalloc(1, sizeof(struct dashboard));
	return 0;
}

static void
dashboard_close(struct tui_view *tv)
{
	struct dashboard *d = tv->data;

	tui_pager_clear(&d->ingests);
	tui_pager_clear(&d->cases);
	free(d);
}

static void
sparkline(struct tui *t, struct dashboard *d, int y, int x)
{
	static const char *const bars[] = { "\xe2\x96\x81", "\xe2\x96\x82",
	    "\xe2\x96\x83", "\xe2\x96\x84", "\xe2\x96\x85", "\xe2\x96\x86",
	    "\xe2\x96\x87", "\xe2\x96\x88" };
	static const char ascii[] = "_.-=+*#@";
	int64_t max = 0, total = 0;
	char label[96];
	int i;

	for (i = 0; i < 24; i++) {
		if (d->hours[i] > max)
			max = d->hours[i];
		total += d->hours[i];
	}
	for (i = 0; i < 24; i++) {
		int level = max > 0 && d->hours[i] > 0 ?
		    (int)((d->hours[i] * 7 + max - 1) / max) : -1;

		if (level < 0)
			tui_put(y, x + i, 1, " ", tui_attr(t, TUI_C_DIM), 0);
		else if (t->utf8)
			tui_put(y, x + i, 1, bars[level], tui_attr(t, TUI_C_HIGH), 0);
		else {
			char c[2] = { ascii[level], 0 };
			tui_put(y, x + i, 1, c, tui_attr(t, TUI_C_HIGH), 0);
		}
	}
	snprintf(label, sizeof(label), "  %lld new in 24 h, peak %lld/h",
	    (long long)total, (long long)max);
	tui_put(y, x + 24, t->cols - x - 24, label, 0, 0);
}

static void
dashboard_draw(struct tui *t, struct tui_view *tv, int y, int h)
{
	static const char *const heads[] = { "open", "acked", "resolved",
	    "false pos", "other", "total" };
	struct dashboard *d = tv->data;
	int end = y + h, row, sev, k, x;
	char buf[32];

	for (row = y; row < end; row++)
		tui_clear_line(row, 0, 0);
	row = y + 1;
	if (row >= end)
		return;
	tui_put(row++, 1, t->cols - 1, "Findings by severity and status", A_BOLD, 0);
	if (row < end) {
		tui_put(row, 1, 10, "", 0, 1);
		for (k = 0, x = 12; k <= NSTATUS; k++, x += 11)
			if (x + 10 <= t->cols)
				tui_put(row, x, 10, heads[k], A_UNDERLINE, 0);
		row++;
	}
	for (sev = 4; sev >= 0 && row < end; sev--, row++) {
		tui_put(row, 2, 10, filter_severity_name(sev),
		    tui_attr(t, tui_severity_color(sev)), 0);
		for (k = 0, x = 12; k <= NSTATUS; k++, x += 11) {
			snprintf(buf, sizeof(buf), "%9lld",
			    (long long)d->counts[sev][k]);
			if (x + 10 <= t->cols)
				tui_put(row, x, 10, buf, k == NSTATUS ? A_BOLD : 0, 0);
		}
	}
	row++;
	if (row < end) {
		tui_put(row, 1, 24, "New findings per hour", A_BOLD, 0);
		if (t->cols > 26 + 24)
			sparkline(t, d, row, 26);
		row += 2;
	}
	if (t->has_cases && row < end) {
		size_t i;

		tui_put(row++, 1, t->cols - 1, "Open cases", A_BOLD, 0);
		for (i = 0; i < d->cases.n && row < end - 1 && i < 5; i++)
			tui_put(row++, 2, t->cols - 2, d->cases.text[i],
			    tui_attr(t, d->cases.attrs[i]), 0);
		if (d->cases.n == 0 && row < end)
			tui_put(row++, 2, t->cols - 2, "none", tui_attr(t, TUI_C_DIM), 0);
		row++;
	}
	if (row < end) {
		size_t i;

		tui_put(row++, 1, t->cols - 1, "Latest ingests", A_BOLD, 0);
		for (i = 0; i < d->ingests.n && row < end; i++)
			tui_put(row++, 2, t->cols - 2, d->ingests.text[i], 0, 0);
		if (d->ingests.n == 0 && row < end)
			tui_put(row++, 2, t->cols - 2,
			    "none yet: firebreak ingest FILE", tui_attr(t, TUI_C_DIM), 0);
	}
	if (end - 1 > row)
		tui_put(end - 1, 1, t->cols - 1, "Enter: findings   Tab: next "
		    "view   ?: keys   :q quits", tui_attr(t, TUI_C_DIM), 0);
}

static int
dashboard_request(struct tui *t, struct tui_view *tv, enum tui_req r)
{
	(void)tv;
	if (r == TUI_REQ_ENTER) {
		int rc = tui_view_switch(t, &tui_view_findings, NULL);
		if (rc != 0)
			return tui_error(t, rc);
		return TUI_REDRAW;
	}
	return TUI_UNHANDLED;
}

const struct tui_view_ops tui_view_dashboard = {
	"dashboard", dashboard_open, dashboard_close, dashboard_reload,
	dashboard_draw, dashboard_request, NULL, NULL, NULL,
};
