/*
 * draw.c: text on the screen measured in columns (wcwidth), never bytes,
 * and the pager. Input here is already terminal-safe (fb_sanitize); a
 * character the terminal cannot show still costs a column, as '?'.
 */
#include "config.h"

#include <curses.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>

#include "tui/tui-int.h"

int
tui_put(int y, int x, int w, const char *s, int attr, int pad)
{
	mbstate_t ps;
	size_t i = 0, n = s ? strlen(s) : 0;
	int used = 0;

	if (w <= 0)
		return 0;
	memset(&ps, 0, sizeof(ps));
	attron(attr);
	move(y, x);
	while (i < n) {
		wchar_t wc;
		size_t len = mbrtowc(&wc, s + i, n - i, &ps);
		int cw;

		if (len == (size_t)-1 || len == (size_t)-2 || len == 0) {
			memset(&ps, 0, sizeof(ps));
			if (used + 1 > w)
				break;
			addch('?');
			used++;
			i++;
			continue;
		}
		cw = wcwidth(wc);
		if (cw < 0) {
			if (used + 1 > w)
				break;
			addch('?');
			used++;
		} else {
			if (used + cw > w)
				break;
			addnstr(s + i, (int)len);
			used += cw;
		}
		i += len;
	}
	if (pad)
		for (; used < w; used++)
			addch(' ');
	attroff(attr);
	return used;
}

void
tui_clear_line(int y, int x, int attr)
{
	int cols = getmaxx(stdscr);

	attron(attr);
	move(y, x);
	for (; x < cols; x++)
		addch(' ');
	attroff(attr);
}

char *
tui_safe(const char *s)
{
	return fb_sanitize_str(s, 0);
}

void
tui_short_time(const char *t, char out[16])
{
	/* 2026-11-26T10:22:35Z -> 11-26 10:22 */
	if (t == NULL || strlen(t) < 16) {
		snprintf(out, 16, "%s", t ? t : "");
		return;
	}
	snprintf(out, 16, "%.5s %.5s", t + 5, t + 11);
}

/* ---- pager --------------------------------------------------------------- */

void
tui_pager_clear(struct tui_pager *p)
{
	size_t i;

	for (i = 0; i < p->n; i++)
		free(p->text[i]);
	free(p->text);
	free(p->attrs);
	memset(p, 0, sizeof(*p));
}

static void
pager_push(struct tui_pager *p, int attr, const char *s, size_t n)
{
	struct fb_buf b = FB_BUF_INIT;

	if (p->n == p->cap) {
		p->cap = p->cap ? p->cap * 2 : 64;
		p->text = xrealloc(p->text, p->cap * sizeof(*p->text));
		p->attrs = xrealloc(p->attrs, p->cap * sizeof(*p->attrs));
	}
	/* Tabs keep their place as spaces; everything else is made inert. */
	for (size_t i = 0; i < n; i++) {
		size_t k = strcspn(s + i, "\t");
		if (k > n - i)
			k = n - i;
		fb_sanitize(&b, s + i, k, 0);
		i += k;
		if (i < n)
			fb_buf_addstr(&b, "    ");
	}
	p->attrs[p->n] = attr;
	p->text[p->n++] = fb_buf_detach(&b, NULL);
}

void
tui_pager_add_text(struct tui_pager *p, int attr, const char *text)
{
	const char *s = text ? text : "";

	for (;;) {
		size_t n = strcspn(s, "\n");
		pager_push(p, attr, s, n);
		if (s[n] == '\0')
			break;
		s += n + 1;
	}
}

void
tui_pager_add(struct tui_pager *p, int attr, const char *fmt, ...)
{
	struct fb_buf b = FB_BUF_INIT;
	va_list ap;

	va_start(ap, fmt);
	fb_buf_vaddf(&b, fmt, ap);
	va_end(ap);
	tui_pager_add_text(p, attr, b.data);
	fb_buf_release(&b);
}

int
tui_pager_request(struct tui *t, struct tui_pager *p, enum tui_req r, int h)
{
	size_t max = p->n > (size_t)h ? p->n - (size_t)h : 0;

	(void)t;
	if (h < 1)
		h = 1;
	switch (r) {
	case TUI_REQ_DOWN:
		if (p->top < max)
			p->top++;
		break;
	case TUI_REQ_UP:
		if (p->top > 0)
			p->top--;
		break;
	case TUI_REQ_PAGE_DOWN:
		p->top = p->top + (size_t)h < max ? p->top + (size_t)h : max;
		break;
	case TUI_REQ_PAGE_UP:
		p->top = p->top > (size_t)h ? p->top - (size_t)h : 0;
		break;
	case TUI_REQ_FIRST:
		p->top = 0;
		break;
	case TUI_REQ_LAST:
		p->top = max;
		break;
	default:
		return TUI_UNHANDLED;
	}
	return TUI_REDRAW;
}

void
tui_pager_draw(struct tui *t, struct tui_pager *p, int y, int h)
{
	int i;

	if (p->n > 0 && p->top >= p->n)
		p->top = p->n - 1;
	for (i = 0; i < h; i++) {
		size_t k = p->top + (size_t)i;

		if (k < p->n) {
			int a = p->attrs[k];
			int used = tui_put(y + i, 0, t->cols, p->text[k],
			    tui_attr(t, a & ~TUI_A_CURSOR) | ((a & TUI_A_CURSOR) ?
			    (int)(A_REVERSE | A_BOLD) : 0), a & TUI_A_CURSOR);
			tui_clear_line(y + i, used, 0);
		} else
			tui_clear_line(y + i, 0, 0);
	}
}
