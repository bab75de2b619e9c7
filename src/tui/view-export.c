/*
 * view-export.c: export a case from its view as an evidence bundle, through
 * evidence_export() like `firebreak export`: it asks where (case-N.tar.zst
 * in the current directory by default), confirms, and shows the progress
 * on the status line, then the result.
 */
#include "config.h"

#include <curses.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "evidence/evidence.h"
#include "tui/tui-int.h"

struct export_progress {
	struct tui *t;
	int last;
};

static void
progress(void *ctx, uint64_t done, uint64_t total)
{
	struct export_progress *p = ctx;
	int pct = total ? (int)(done * 100 / total) : 100;
	char line[64];

	if (pct == p->last)
		return;
	p->last = pct;
	snprintf(line, sizeof(line), " exporting evidence: %3d%%", pct);
	tui_put(p->t->rows - 1, 0, p->t->cols, line,
	    tui_attr(p->t, TUI_C_STATUS), 1);
	refresh();
}

static void
describe(struct tui_action *a)
{
	struct stat sb;
	char *path = tui_safe(a->answer ? a->answer : "");

	a->what = xasprintf("%s case #%lld as an evidence bundle to %s",
	    stat(a->answer, &sb) == 0 ? "OVERWRITE with" : "export",
	    (long long)a->arg, path);
	free(path);
}

static int
run_export(struct tui *t, struct tui_action *a, const char *reason)
{
	struct evidence_export_opts o;
	struct evidence_export_result res;
	struct export_progress pr = { t, -1 };
	enum evidence_bundle_format fmt;
	char *path;
	int rc;

	(void)reason;
	if ((rc = evidence_bundle_format(a->answer, &fmt)) != 0)
		return rc;
	memset(&o, 0, sizeof(o));
	memset(&res, 0, sizeof(res));
	o.case_id = a->arg;
	o.as_of = fb_time_now();
	o.output = a->answer;
	o.progress = progress;
	o.progress_ctx = &pr;
	tui_put(t->rows - 1, 0, t->cols, " exporting...",
	    tui_attr(t, TUI_C_STATUS), 1);
	refresh();
	if ((rc = evidence_export(t->store, &o, &res)) != 0)
		return rc;
	path = tui_safe(a->answer);
	tui_message(t, 0, "case #%lld exported: %lld evidence items, %lld "
	    "findings; wrote %s (%llu bytes, sha256 %.16s...)",
	    (long long)a->arg, (long long)res.items, (long long)res.findings,
	    path, (unsigned long long)res.size, res.sha256);
	free(path);
	return 0;
}

int
tui_case_export(struct tui *t, int64_t id)
{
	struct tui_action *a = xcalloc(1, sizeof(*a));

	a->arg = id;
	a->verb = "export";
	a->ask = TUI_ASK_TEXT;
	a->ask_label = "export to (.tar.zst, .tar.gz or .zip): ";
	a->ask_init = xasprintf("case-%lld.tar.zst", (long long)id);
	a->describe = describe;
	a->run = run_export;
	tui_action_start(t, a);
	return TUI_REDRAW;
}
