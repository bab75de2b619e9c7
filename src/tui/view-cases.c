/*
 * view-cases.c: the cases list and case detail. Until the cases store is
 * merged these views are absent: the table has no callbacks, so the frame
 * leaves them out of Tab, the title bar and `:` (t->has_cases is 0).
 */
#include "config.h"

#include <stdlib.h>

#include "tui/tui-int.h"

const struct tui_view_ops tui_view_cases = { "cases", NULL, NULL, NULL,
    NULL, NULL, NULL, NULL, NULL };
const struct tui_view_ops tui_view_case = { "case", NULL, NULL, NULL, NULL,
    NULL, NULL, NULL, NULL };

int
tui_dashboard_cases(struct tui *t, struct tui_pager *p)
{
	(void)t;
	(void)p;
	return 0;
}

int
tui_cases_action(struct tui *t, enum tui_req r, int64_t *ids, size_t n)
{
	(void)r;
	(void)n;
	free(ids);
	tui_message(t, 1, "cases are not in this build yet");
	return TUI_REDRAW;
}
