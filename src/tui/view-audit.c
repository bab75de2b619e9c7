/*
 * view-audit.c: the audit log, newest first, through the list engine, with
 * the chain's status above it. The whole chain is verified when the view
 * opens, on Ctrl-L and at least every AUDIT_FULL_MS; in between, a reload
 * (another process wrote the store: a playbook run writes a row per call)
 * verifies only the rows after the last one verified, from its hash, so a
 * refresh costs what is new, not the whole log.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "json/json.h"
#include "tui/tui-int.h"

#define AUDIT_FULL_MS 60000.0

struct audit {
	struct tui_list list;
	char status[200];
	int broken;
	int64_t seq, rows;        /* last row verified, and rows verified */
	char hash[FB_SHA256_HEX];
	double full_ms;           /* when the whole chain was last verified */
	int full;                 /* verify it all at the next reload */
	char full_at[16];         /* HH:MM:SS of that */
};

static const struct tui_col cols[] = {
	{ "SEQ", 6, 1, 0 },
	{ "TIME (UTC)", 11, 0, 0 },
	{ "ACTOR", 10, 0, 0 },
	{ "ACTION", 16, 0, 0 },
	{ "OBJECT", 16, 0, 0 },
	{ "DETAIL", 0, 0, 0 },
};

static int
add_row(void *ctx, const struct store_audit_row *a)
{
	struct tui_row *r = tui_list_add(ctx);
	char when[16];

	r->id = a->seq;
	r->num = a->seq;
	r->key[0] = xstrdup(a->detail ? a->detail : "");
	r->cell[0] = xasprintf("%lld", (long long)a->seq);
	tui_short_time(a->time, when);
	r->cell[1] = xstrdup(when);
	r->cell[2] = tui_safe(a->actor);
	r->cell[3] = tui_safe(a->action);
	r->cell[4] = tui_safe(a->object);
	r->cell[5] = tui_safe(a->detail);
	r->attr = a->actor_kind && strcmp(a->actor_kind, "human") == 0 ?
	    TUI_C_NORMAL : TUI_C_DIM;
	return 0;
}

static int
fetch(struct tui *t, struct tui_list *l, const struct tui_row *from,
    int backward, int inclusive, int limit)
{
	return store_audit_page(t->store, from ? from->id : 0, backward,
	    inclusive, limit, add_row, l);
}

static const struct tui_list_ops list_ops = {
	cols, (int)FB_ARRAY_LEN(cols), fetch,
};

static int
audit_open(struct tui *t, struct tui_view *tv, const char *arg)
{
	struct audit *v = xcalloc(1, sizeof(*v));

	(void)t;
	(void)arg;
	tv->data = v;
	tui_list_init(&v->list, &list_ops, tv);
	v->full = 1;
	return 0;
}

static void
audit_close(struct tui_view *tv)
{
	struct audit *v = tv->data;

	tui_list_release(&v->list);
	free(v);
}

static int
audit_reload(struct tui *t, struct tui_view *tv)
{
	struct audit *v = tv->data;
	struct store_audit_status st;
	double t0 = tui_now_ms();
	int rc;

	int full = v->full || v->broken || v->seq == 0 ||
	    t0 - v->full_ms >= AUDIT_FULL_MS;

	memset(&st, 0, sizeof(st));
	rc = full ? store_audit_verify(t->store, 0, NULL, &st) :
	    store_audit_verify(t->store, v->seq, v->hash, &st);
	t->frame_fetch_ms += tui_now_ms() - t0;
	if (rc == 0) {
		v->broken = 0;
		v->full = 0;
		if (full) {
			time_t now = time(NULL);
			struct tm tm;

			v->rows = 0;
			v->full_ms = t0;
			gmtime_r(&now, &tm);
			strftime(v->full_at, sizeof(v->full_at), "%H:%M:%SZ",
			    &tm);
		}
		/* From an anchor, the count includes the anchor row. */
		v->rows += full ? st.rows : st.rows > 0 ? st.rows - 1 : 0;
		if (st.head_seq > 0) {
			v->seq = st.head_seq;
			memcpy(v->hash, st.head_hash, FB_SHA256_HEX);
		}
		snprintf(v->status, sizeof(v->status), "chain intact: %lld "
		    "rows, head #%lld %.12s (all verified at %s; newer rows as "
		    "they come; Ctrl-L verifies all)", (long long)v->rows,
		    (long long)v->seq, v->hash, v->full_at);
	} else if (rc == -FB_ERR_TAMPER) {
		char *p = tui_safe(st.problem);
		v->broken = 1;
		snprintf(v->status, sizeof(v->status), "CHAIN BROKEN at #%lld: "
		    "%s", (long long)st.bad_seq, p);
		free(p);
		fb_err_clear();
	} else
		return rc;
	return tui_list_reload(t, &v->list);
}

static int
audit_request(struct tui *t, struct tui_view *tv, enum tui_req r)
{
	struct audit *v = tv->data;
	const struct tui_row *cur = tui_list_current(&v->list);

	if (r == TUI_REQ_REFRESH) {
		v->full = 1;            /* the console reloads after this */
		return TUI_UNHANDLED;
	}
	if (r == TUI_REQ_ENTER) {
		struct fb_buf b = FB_BUF_INIT, pretty = FB_BUF_INIT;
		int rc;

		if (cur == NULL)
			return TUI_REDRAW;
		fb_buf_addf(&b, "audit #%s  %s  %s  %s  %s\n\ndetail:\n",
		    cur->cell[0], cur->cell[1], cur->cell[2], cur->cell[3],
		    cur->cell[4]);
		if (cur->key[0][0] != '\0' &&
		    fb_json_pretty(cur->key[0], strlen(cur->key[0]), &pretty) == 0)
			fb_buf_addstr(&b, pretty.data);
		else {
			fb_err_clear();
			fb_buf_addstr(&b, cur->key[0]);
		}
		rc = tui_view_push(t, &tui_view_text, b.data);
		fb_buf_release(&b);
		fb_buf_release(&pretty);
		return rc ? tui_error(t, rc) : TUI_REDRAW;
	}
	return tui_list_request(t, &v->list, r);
}

static void
audit_draw(struct tui *t, struct tui_view *tv, int y, int h)
{
	struct audit *v = tv->data;

	tui_put(y, 0, t->cols, v->status, tui_attr(t, v->broken ? TUI_C_ERROR :
	    TUI_C_GOOD), 1);
	tui_list_draw(t, &v->list, y + 1, h - 1);
}

const struct tui_view_ops tui_view_audit = {
	"audit", audit_open, audit_close, audit_reload, audit_draw,
	audit_request, NULL, NULL, NULL,
};
