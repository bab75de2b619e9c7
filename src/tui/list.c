/*
 * list.c: the one list/table engine. It holds a window of at most one
 * screen of rows and moves it by keyset fetches from the first or last row
 * it holds, so a million findings cost no more than thirty. The selection
 * is a sorted set of ids, independent of the window, so it survives
 * scrolling, filtering and live reloads.
 */
#include "config.h"

#include <curses.h>
#include <stdlib.h>
#include <string.h>

#include "tui/tui-int.h"

void
tui_row_clear(struct tui_row *r)
{
	int i;

	for (i = 0; i < 3; i++)
		free(r->key[i]);
	for (i = 0; i < TUI_MAXCOLS; i++)
		free(r->cell[i]);
	memset(r, 0, sizeof(*r));
}

void
tui_list_init(struct tui_list *l, const struct tui_list_ops *ops,
    struct tui_view *v)
{
	memset(l, 0, sizeof(*l));
	l->ops = ops;
	l->view = v;
	l->pos = 0;
	l->after = -1;
}

static void
clear_rows(struct tui_row *rows, int n)
{
	for (int i = 0; i < n; i++)
		tui_row_clear(&rows[i]);
}

void
tui_list_release(struct tui_list *l)
{
	clear_rows(l->rows, l->n);
	clear_rows(l->in, l->nin);
	free(l->rows);
	free(l->in);
	free(l->sel);
	free(l->fetch_err);
	memset(l, 0, sizeof(*l));
}

struct tui_row *
tui_list_add(struct tui_list *l)
{
	struct tui_row *r;

	l->in = xrealloc(l->in, (size_t)(l->nin + 1) * sizeof(*l->in));
	r = &l->in[l->nin++];
	memset(r, 0, sizeof(*r));
	return r;
}

/* Fetch into l->in; rows arrive nearest first. */
static int
fetch(struct tui *t, struct tui_list *l, const struct tui_row *from,
    int backward, int inclusive, int limit)
{
	double t0 = tui_now_ms();
	int rc;

	clear_rows(l->in, l->nin);
	l->nin = 0;
	rc = l->ops->fetch(t, l, from, backward, inclusive, limit);
	t->frame_fetch_ms += tui_now_ms() - t0;
	if (rc != 0) {
		clear_rows(l->in, l->nin);
		l->nin = 0;
	}
	return rc;
}

/* The window's height from the screen: rows minus title, header, status. */
static int
window_cap(struct tui *t)
{
	int h = t->rows - 4;
	return h < 1 ? 1 : h;
}

static void
set_window(struct tui_list *l, struct tui_row *rows, int n)
{
	clear_rows(l->rows, l->n);
	free(l->rows);
	l->rows = rows;
	l->n = n;
	if (l->cursor >= n)
		l->cursor = n > 0 ? n - 1 : 0;
	if (l->cursor < 0)
		l->cursor = 0;
}

/* Take l->in as the window (reversed when it came backwards). */
static void
take_in(struct tui_list *l, int reversed)
{
	struct tui_row *rows = xcalloc((size_t)(l->nin ? l->nin : 1),
	    sizeof(*rows));
	int i;

	for (i = 0; i < l->nin; i++)
		rows[reversed ? l->nin - 1 - i : i] = l->in[i];
	free(l->in);
	l->in = NULL;
	set_window(l, rows, l->nin);
	l->nin = 0;
}

int
tui_list_top(struct tui *t, struct tui_list *l)
{
	int rc;

	l->cap = window_cap(t);
	if ((rc = fetch(t, l, NULL, 0, 0, l->cap)) != 0)
		return rc;
	take_in(l, 0);
	l->cursor = 0;
	l->pos = 0;
	l->after = -1;
	return 0;
}

static int
list_bottom(struct tui *t, struct tui_list *l)
{
	int rc;

	l->cap = window_cap(t);
	if ((rc = fetch(t, l, NULL, 1, 0, l->cap)) != 0)
		return rc;
	take_in(l, 1);
	l->cursor = l->n > 0 ? l->n - 1 : 0;
	l->pos = -1;
	l->after = 0;             /* the window ends at the last row */
	return 0;
}

/* Keep the cursor on the same id when it is still in the window. */
int
tui_list_reload(struct tui *t, struct tui_list *l)
{
	struct tui_row key;
	int64_t cur_id;
	int rc, i, cursor = l->cursor;

	if (l->n == 0)
		return tui_list_top(t, l);
	cur_id = l->rows[l->cursor].id;
	if (l->pos == 0) {
		/* At the start, the start it stays: new rows appear above. */
		l->cap = window_cap(t);
		if ((rc = fetch(t, l, NULL, 0, 0, l->cap)) != 0)
			return rc;
		take_in(l, 0);
		l->cursor = cursor < l->n ? cursor : (l->n > 0 ? l->n - 1 : 0);
		for (i = 0; i < l->n; i++)
			if (l->rows[i].id == cur_id)
				l->cursor = i;
		return 0;
	}
	l->after = -1;            /* read again: what follows may differ */
	memset(&key, 0, sizeof(key));
	key.id = l->rows[0].id;
	key.num = l->rows[0].num;
	for (i = 0; i < 3; i++)
		key.key[i] = l->rows[0].key[i] ? xstrdup(l->rows[0].key[i]) : NULL;
	l->cap = window_cap(t);
	rc = fetch(t, l, &key, 0, 1, l->cap);
	tui_row_clear(&key);
	if (rc != 0)
		return rc;
	if (l->nin == 0)
		return list_bottom(t, l);
	take_in(l, 0);
	l->cursor = cursor < l->n ? cursor : l->n - 1;
	for (i = 0; i < l->n; i++)
		if (l->rows[i].id == cur_id)
			l->cursor = i;
	/* Fewer rows than fit after a delete: fill from before. */
	if (l->n < l->cap && l->pos != 0) {
		int n = l->n;
		if ((rc = fetch(t, l, &l->rows[0], 1, 0, l->cap - n)) != 0)
			return rc;
		if (l->nin > 0) {
			struct tui_row *rows = xcalloc((size_t)(n + l->nin),
			    sizeof(*rows));
			int k = l->nin;
			for (i = 0; i < k; i++)
				rows[k - 1 - i] = l->in[i];
			memcpy(rows + k, l->rows, (size_t)n * sizeof(*rows));
			free(l->rows);
			free(l->in);
			l->in = NULL;
			l->nin = 0;
			l->rows = rows;
			l->n = n + k;
			l->cursor += k;
			if (l->pos > 0)
				l->pos = l->pos > k ? l->pos - k : 0;
		}
	}
	return 0;
}

/* Append fetched rows after the window, dropping as many from its top. */
static void
append_in(struct tui_list *l)
{
	int total = l->n + l->nin, drop = total > l->cap ? total - l->cap : 0;
	struct tui_row *rows = xcalloc((size_t)(total - drop), sizeof(*rows));
	int i, k = 0;

	for (i = 0; i < l->n; i++) {
		if (i < drop)
			tui_row_clear(&l->rows[i]);
		else
			rows[k++] = l->rows[i];
	}
	for (i = 0; i < l->nin; i++)
		rows[k++] = l->in[i];
	if (l->after >= 0)
		l->after = l->after > l->nin ? l->after - l->nin : 0;
	free(l->rows);
	free(l->in);
	l->in = NULL;
	l->nin = 0;
	l->rows = rows;
	l->n = k;
	l->cursor -= drop;
	if (l->pos >= 0)
		l->pos += drop;
}

/* Prepend fetched rows (nearest first) before the window. */
static void
prepend_in(struct tui_list *l)
{
	int total = l->n + l->nin, drop = total > l->cap ? total - l->cap : 0;
	struct tui_row *rows = xcalloc((size_t)(total - drop), sizeof(*rows));
	int i, k = 0;

	for (i = l->nin - 1; i >= 0; i--)
		rows[k++] = l->in[i];
	for (i = 0; i < l->n; i++) {
		if (i >= l->n - drop)
			tui_row_clear(&l->rows[i]);
		else
			rows[k++] = l->rows[i];
	}
	l->cursor += l->nin;
	if (l->pos >= 0)
		l->pos = l->pos >= l->nin ? l->pos - l->nin : 0;
	if (l->after >= 0)
		l->after += drop;       /* rows that left the bottom */
	free(l->rows);
	free(l->in);
	l->in = NULL;
	l->nin = 0;
	l->rows = rows;
	l->n = k;
	if (l->cursor >= l->n)
		l->cursor = l->n - 1;
}

static int
sel_find(const struct tui_list *l, int64_t id, size_t *at)
{
	size_t lo = 0, hi = l->nsel;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (l->sel[mid] < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	*at = lo;
	return lo < l->nsel && l->sel[lo] == id;
}

int
tui_list_selected(const struct tui_list *l, int64_t id)
{
	size_t at;
	return sel_find(l, id, &at);
}

static void
sel_toggle(struct tui_list *l, int64_t id)
{
	size_t at;

	if (sel_find(l, id, &at)) {
		memmove(l->sel + at, l->sel + at + 1,
		    (l->nsel - at - 1) * sizeof(*l->sel));
		l->nsel--;
		return;
	}
	if (l->nsel == l->selcap) {
		l->selcap = l->selcap ? l->selcap * 2 : 16;
		l->sel = xrealloc(l->sel, l->selcap * sizeof(*l->sel));
	}
	memmove(l->sel + at + 1, l->sel + at, (l->nsel - at) * sizeof(*l->sel));
	l->sel[at] = id;
	l->nsel++;
}

const struct tui_row *
tui_list_current(const struct tui_list *l)
{
	return l->n > 0 ? &l->rows[l->cursor] : NULL;
}

size_t
tui_list_targets(const struct tui_list *l, int64_t **ids)
{
	if (l->nsel > 0) {
		*ids = xcalloc(l->nsel, sizeof(**ids));
		memcpy(*ids, l->sel, l->nsel * sizeof(**ids));
		return l->nsel;
	}
	if (l->n == 0) {
		*ids = NULL;
		return 0;
	}
	*ids = xcalloc(1, sizeof(**ids));
	(*ids)[0] = l->rows[l->cursor].id;
	return 1;
}

static int
move_down(struct tui *t, struct tui_list *l)
{
	int rc;

	if (l->cursor < l->n - 1) {
		l->cursor++;
		return 0;
	}
	if (l->n == 0)
		return 0;
	if ((rc = fetch(t, l, &l->rows[l->n - 1], 0, 0, 1)) != 0)
		return rc;
	if (l->nin > 0) {
		append_in(l);
		l->cursor = l->n - 1;
	} else
		l->after = 0;
	return 0;
}

static int
move_up(struct tui *t, struct tui_list *l)
{
	int rc;

	if (l->cursor > 0) {
		l->cursor--;
		return 0;
	}
	if (l->n == 0)
		return 0;
	if ((rc = fetch(t, l, &l->rows[0], 1, 0, 1)) != 0)
		return rc;
	if (l->nin > 0) {
		prepend_in(l);
		l->cursor = 0;
	} else
		l->pos = 0;
	return 0;
}

int
tui_list_request(struct tui *t, struct tui_list *l, enum tui_req r)
{
	int rc = 0, rel;

	if (l->cap != window_cap(t) && r != TUI_REQ_FIRST && r != TUI_REQ_LAST)
		rc = tui_list_reload(t, l);
	if (rc != 0)
		return tui_error(t, rc);
	switch (r) {
	case TUI_REQ_DOWN:
		rc = move_down(t, l);
		break;
	case TUI_REQ_UP:
		rc = move_up(t, l);
		break;
	case TUI_REQ_PAGE_DOWN:
		if (l->n == 0)
			break;
		rel = l->cursor;
		if ((rc = fetch(t, l, &l->rows[l->n - 1], 0, 0, l->cap)) != 0)
			break;
		if (l->nin == 0) {
			l->cursor = l->n - 1;
			l->after = 0;
			break;
		}
		append_in(l);
		l->cursor = rel < l->n ? rel : l->n - 1;
		break;
	case TUI_REQ_PAGE_UP:
		if (l->n == 0)
			break;
		rel = l->cursor;
		if ((rc = fetch(t, l, &l->rows[0], 1, 0, l->cap)) != 0)
			break;
		if (l->nin == 0) {
			l->cursor = 0;
			l->pos = 0;
			break;
		}
		prepend_in(l);
		l->cursor = rel;
		break;
	case TUI_REQ_FIRST:
		rc = tui_list_top(t, l);
		break;
	case TUI_REQ_LAST:
		rc = list_bottom(t, l);
		break;
	case TUI_REQ_SELECT:
		if (l->n == 0)
			break;
		sel_toggle(l, l->rows[l->cursor].id);
		rc = move_down(t, l);
		break;
	case TUI_REQ_SELECT_NONE:
		l->nsel = 0;
		break;
	default:
		return TUI_UNHANDLED;
	}
	if (rc != 0)
		return tui_error(t, rc);
	return TUI_REDRAW;
}

/* Column widths for the screen: fixed ones first, the flexible one last. */
static void
col_widths(struct tui *t, const struct tui_list *l, int *w)
{
	int i, used = 2, flex = -1;

	for (i = 0; i < l->ops->ncols; i++) {
		const struct tui_col *c = &l->ops->cols[i];

		w[i] = 0;
		if (c->min_cols > t->cols)
			continue;
		if (c->width == 0) {
			flex = i;
			continue;
		}
		w[i] = c->width;
		used += c->width + 1;
	}
	if (flex >= 0)
		w[flex] = t->cols - used > 4 ? t->cols - used : 4;
}

void
tui_list_draw(struct tui *t, struct tui_list *l, int y, int h)
{
	int w[TUI_MAXCOLS], i, c, x, hdr = tui_attr(t, TUI_C_TITLE) | A_BOLD;

	col_widths(t, l, w);
	/* header */
	tui_put(y, 0, 2, "", hdr, 1);
	for (c = 0, x = 2; c < l->ops->ncols; c++) {
		if (w[c] == 0)
			continue;
		tui_put(y, x, w[c], l->ops->cols[c].name, hdr, 1);
		x += w[c];
		if (x < t->cols)
			tui_put(y, x++, 1, " ", hdr, 1);
	}
	tui_clear_line(y, x, hdr);
	y++;
	h--;
	for (i = 0; i < h; i++) {
		const struct tui_row *r;
		int cur, attr, sel;

		if (i >= l->n) {
			tui_clear_line(y + i, 0, 0);
			continue;
		}
		r = &l->rows[i];
		cur = i == l->cursor;
		sel = tui_list_selected(l, r->id);
		attr = tui_attr(t, r->attr) | (cur ? A_REVERSE : 0) |
		    (sel ? A_BOLD : 0);
		/* Visible without colour: > the cursor, * selected, ~ hidden. */
		{
			char mark[3] = { cur ? '>' : ' ',
			    sel ? '*' : r->flag ? '~' : ' ', '\0' };
			tui_put(y + i, 0, 2, mark, attr, 1);
		}
		for (c = 0, x = 2; c < l->ops->ncols; c++) {
			char buf[32];
			const char *s = r->cell[c] ? r->cell[c] : "";
			int sw;

			if (w[c] == 0)
				continue;
			if (l->ops->cols[c].right && (sw = (int)fb_utf8_width(s)) < w[c]) {
				snprintf(buf, sizeof(buf), "%*s", w[c], s);
				s = buf;
			}
			tui_put(y + i, x, w[c], s, attr, 1);
			x += w[c];
			if (x < t->cols)
				tui_put(y + i, x++, 1, " ", attr, 1);
		}
		tui_clear_line(y + i, x, attr);
	}
}
