/*
 * view-help.c: `?` — the keys, printed from the keymap's own table (the
 * man page's list comes from the same table) — and a plain text view for
 * anything else worth reading whole (an audit entry).
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "tui/tui-int.h"

struct text {
	struct tui_pager pager;
	char info[48];
};

static int
text_open(struct tui *t, struct tui_view *tv, const char *arg)
{
	struct text *v = xcalloc(1, sizeof(*v));

	(void)t;
	tv->data = v;
	tui_pager_add_text(&v->pager, TUI_C_NORMAL, arg);
	return 0;
}

static int
help_open(struct tui *t, struct tui_view *tv, const char *arg)
{
	struct text *v = xcalloc(1, sizeof(*v));
	char *buf = NULL;
	size_t len = 0;
	FILE *fp;

	(void)t;
	(void)arg;
	tv->data = v;
	tui_pager_add_text(&v->pager, TUI_C_TITLE, "Keys");
	if ((fp = open_memstream(&buf, &len)) == NULL)
		fatal("out of memory");
	tui_keys_text(fp);
	fclose(fp);
	tui_pager_add_text(&v->pager, TUI_C_NORMAL, buf);
	free(buf);
	tui_pager_add_text(&v->pager, TUI_C_TITLE, "Commands (after :)");
	tui_pager_add_text(&v->pager, TUI_C_NORMAL,
	    "dashboard  findings [FILTER]  finding N  cases  case N  audit\n"
	    "fleet  runs\n"
	    "filter EXPR  sort severity|last_seen|id  help  quit\n");
	tui_pager_add_text(&v->pager, TUI_C_TITLE, "Filters (after /)");
	tui_pager_add_text(&v->pager, TUI_C_NORMAL,
	    "Terms all hold: severity>=high status=open source=trivy rule=CVE-*\n"
	    "title=*ssh* case=12 since=2h host:gpu-7 model:sha256:ab12; bare\n"
	    "words search titles and details. The list follows as you type.\n"
	    "Triage keys act on the selection (Space), or on the row when\n"
	    "nothing is selected; each asks for a reason and a confirmation.\n"
	    "Esc or q goes back.");
	return 0;
}

static void
text_close(struct tui_view *tv)
{
	struct text *v = tv->data;

	tui_pager_clear(&v->pager);
	free(v);
}

static int
text_request(struct tui *t, struct tui_view *tv, enum tui_req r)
{
	struct text *v = tv->data;

	if (r == TUI_REQ_HELP && tv->ops == &tui_view_help)
		return TUI_CLOSE;
	return tui_pager_request(t, &v->pager, r, t->rows - 2);
}

static void
text_draw(struct tui *t, struct tui_view *tv, int y, int h)
{
	struct text *v = tv->data;

	tui_pager_draw(t, &v->pager, y, h);
}

const struct tui_view_ops tui_view_help = {
	"help", help_open, text_close, NULL, text_draw, text_request, NULL,
	NULL, NULL,
};

const struct tui_view_ops tui_view_text = {
	"text", text_open, text_close, NULL, text_draw, text_request, NULL,
	NULL, NULL,
};
