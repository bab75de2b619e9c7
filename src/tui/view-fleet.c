/*
 * view-fleet.c: the fleet — hosts from the inventory (the same path as
 * `firebreak fleet`), each with its last facts (host and gpu assets that
 * `fleet facts` stores) and its reachability from its latest remote_exec
 * row; Enter shows a host's GPUs and their tenant processes. Read-only:
 * the console never opens an SSH session.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fleet/fleet.h"
#include "tui/tui-int.h"

struct fleet {
	struct tui_list list;
	struct fleet_inventory *inv;
	char *path;
	char *note;           /* why there are no hosts (terminal-safe) */
	const char *hint;     /* what to do about it */
	char info[64];
};

static const struct tui_col cols[] = {
	{ "HOST", 16, 0, 0 },
	{ "ADDRESS", 16, 0, 90 },
	{ "REACH", 11, 0, 0 },
	{ "LAST SEEN", 11, 0, 0 },
	{ "GPUS", 4, 1, 0 },
	{ "FACTS", 11, 0, 100 },
	{ "OS / KERNEL", 0, 0, 0 },
};

static const char *
nz(const char *s)
{
	return s != NULL ? s : "";
}

static int
host_row(void *ctx, int n, const char **v)
{
	struct tui_row *r = ctx;
	char when[16];

	if (n < 9)
		return 0;
	/* v: facts_time os kernel uptime gpus kind end_time error exit */
	if (v[5] == NULL) {
		r->cell[2] = xstrdup("never run");
		r->cell[3] = xstrdup("-");
		r->attr = TUI_C_DIM;
	} else {
		r->cell[2] = tui_safe(strcmp(v[5], "ok") == 0 ? "reachable" :
		    v[5]);
		tui_short_time(v[6], when);
		r->cell[3] = xstrdup(when);
		r->attr = strcmp(v[5], "ok") == 0 ? TUI_C_GOOD : TUI_C_HIGH;
	}
	if (v[0] == NULL) {
		r->cell[4] = xstrdup("-");
		r->cell[5] = xstrdup("-");
		r->cell[6] = xstrdup("no facts yet");
	} else {
		char *os = tui_safe(nz(v[1])), *k = tui_safe(nz(v[2]));

		r->cell[4] = xstrdup(v[4] ? v[4] : "0");
		tui_short_time(v[0], when);
		r->cell[5] = xstrdup(when);
		r->cell[6] = xasprintf("%s / %s", os, k);
		free(os);
		free(k);
	}
	return 0;
}

static int
fill(struct tui *t, struct fleet *v, struct tui_row *r, size_t i)
{
	const struct fleet_host *h = &v->inv->hosts[i];
	char *addr;

	r->id = (int64_t)i + 1;
	r->num = r->id;
	r->key[0] = xstrdup(h->name);
	r->cell[0] = tui_safe(h->name);
	addr = h->port == 22 ? xstrdup(h->addr) : xasprintf("%s:%d", h->addr,
	    h->port);
	r->cell[1] = tui_safe(addr);
	free(addr);
	return store_console_fleet_host(t->store, h->name, host_row, r);
}

static int
fetch(struct tui *t, struct tui_list *l, const struct tui_row *from,
    int backward, int inclusive, int limit)
{
	struct fleet *v = l->view->data;
	int64_t n = v->inv ? (int64_t)v->inv->nhosts : 0, i;
	int got, rc;

	if (backward)
		i = from ? from->id - 1 - (inclusive ? 0 : 1) : n - 1;
	else
		i = from ? from->id - 1 + (inclusive ? 0 : 1) : 0;
	for (got = 0; got < limit && i >= 0 && i < n; got++) {
		if ((rc = fill(t, v, tui_list_add(l), (size_t)i)) != 0)
			return rc;
		i += backward ? -1 : 1;
	}
	return 0;
}

static const struct tui_list_ops list_ops = {
	cols, (int)FB_ARRAY_LEN(cols), fetch,
};

static int
fleet_open(struct tui *t, struct tui_view *tv, const char *arg)
{
	struct fleet *v = xcalloc(1, sizeof(*v));

	(void)t;
	(void)arg;
	tv->data = v;
	tui_list_init(&v->list, &list_ops, tv);
	return 0;
}

static void
fleet_close(struct tui_view *tv)
{
	struct fleet *v = tv->data;

	tui_list_release(&v->list);
	fleet_inventory_free(v->inv);
	free(v->path);
	free(v->note);
	free(v);
}

static int
fleet_reload(struct tui *t, struct tui_view *tv)
{
	struct fleet *v = tv->data;
	struct stat sb;
	int rc;

	fleet_inventory_free(v->inv);
	v->inv = NULL;
	free(v->path);
	free(v->note);
	v->note = NULL;
	v->hint = NULL;
	v->path = fleet_inventory_path(NULL);
	if (v->path == NULL || stat(v->path, &sb) != 0) {
		char *p = tui_safe(v->path ? v->path : "");

		v->note = xasprintf("no inventory at %s", p);
		v->hint = "write one there (Ansible INI, one host per line, "
		    "as `firebreak fleet ls` reads) or set FIREBREAK_INVENTORY "
		    "to its path";
		free(p);
	} else if ((rc = fleet_inventory_load(v->path, &v->inv)) != 0) {
		v->note = tui_safe(fb_errmsg(rc));
		fb_err_clear();
		v->inv = NULL;
	} else if (v->inv->nhosts == 0)
		v->note = xstrdup("the inventory has no hosts");
	snprintf(v->info, sizeof(v->info), "%zu host%s", v->inv ?
	    v->inv->nhosts : 0, v->inv && v->inv->nhosts == 1 ? "" : "s");
	return tui_list_reload(t, &v->list);
}

static void
fleet_draw(struct tui *t, struct tui_view *tv, int y, int h)
{
	struct fleet *v = tv->data;

	if (v->note != NULL) {
		tui_put(y, 0, t->cols, v->note, tui_attr(t, TUI_C_ERROR), 1);
		y++;
		h--;
	}
	if (v->hint != NULL) {
		tui_put(y, 0, t->cols, v->hint, tui_attr(t, TUI_C_NORMAL), 1);
		y++;
		h--;
	}
	tui_list_draw(t, &v->list, y, h);
}

static const char *
fleet_info(struct tui_view *tv)
{
	struct fleet *v = tv->data;

	return v->info;
}

/* ---- one host: its facts, GPUs and tenants ------------------------------ */

struct host {
	char *name;
	struct tui_pager pager;
	char *last_gpu;
};

static int
host_facts(void *ctx, int n, const char **v)
{
	struct tui_pager *p = ctx;

	if (n < 9)
		return 0;
	if (v[5] == NULL)
		tui_pager_add(p, TUI_C_DIM, "  no command has run here yet");
	else
		tui_pager_add(p, strcmp(v[5], "ok") == 0 ? TUI_C_GOOD :
		    TUI_C_HIGH, "  last command %s at %s%s%s%s%s", v[5],
		    nz(v[6]), v[8] ? ", exit " : "", nz(v[8]),
		    v[7] ? ": " : "", nz(v[7]));
	if (v[0] == NULL) {
		tui_pager_add(p, TUI_C_DIM, "  no facts yet (firebreak fleet "
		    "facts HOST stores them)");
		return 0;
	}
	tui_pager_add(p, TUI_C_NORMAL, "  facts of %s", v[0]);
	tui_pager_add(p, TUI_C_NORMAL, "  os %s, kernel %s, up %ss, %s GPU%s",
	    nz(v[1]), nz(v[2]), v[3] ? v[3] : "?", v[4] ? v[4] : "0",
	    v[4] && strcmp(v[4], "1") == 0 ? "" : "s");
	return 0;
}

static int
host_gpu(void *ctx, int n, const char **v)
{
	struct host *h = ctx;

	if (n < 9)
		return 0;
	if (h->last_gpu == NULL || strcmp(h->last_gpu, nz(v[0])) != 0) {
		free(h->last_gpu);
		h->last_gpu = xstrdup(nz(v[0]));
		tui_pager_add_text(&h->pager, TUI_C_NORMAL, "");
		tui_pager_add(&h->pager, TUI_C_TITLE, "  GPU %s  %s", nz(v[2]),
		    nz(v[1]));
		tui_pager_add(&h->pager, TUI_C_NORMAL, "    %s", nz(v[0]));
		tui_pager_add(&h->pager, TUI_C_NORMAL, "    memory %s of %s, "
		    "MIG %s", v[3] ? v[3] : "?", v[4] ? v[4] : "?",
		    v[5] ? v[5] : "?");
		if (v[6] == NULL)
			tui_pager_add(&h->pager, TUI_C_DIM, "    no processes");
		else
			tui_pager_add(&h->pager, TUI_C_DIM, "    %-8s %-12s %s",
			    "PID", "MEMORY", "PROCESS (tenant)");
	}
	if (v[6] != NULL)
		tui_pager_add(&h->pager, TUI_C_MEDIUM, "    %-8s %-12s %s",
		    v[6], nz(v[8]), nz(v[7]));
	return 0;
}

static int
host_open(struct tui *t, struct tui_view *tv, const char *arg)
{
	struct host *h = xcalloc(1, sizeof(*h));

	(void)t;
	h->name = xstrdup(arg);
	tv->data = h;
	return 0;
}

static void
host_close(struct tui_view *tv)
{
	struct host *h = tv->data;

	tui_pager_clear(&h->pager);
	free(h->last_gpu);
	free(h->name);
	free(h);
}

static int
host_reload(struct tui *t, struct tui_view *tv)
{
	struct host *h = tv->data;
	size_t top = h->pager.top;
	int rc;

	tui_pager_clear(&h->pager);
	free(h->last_gpu);
	h->last_gpu = NULL;
	tui_pager_add(&h->pager, TUI_C_TITLE, "host %s", h->name);
	if ((rc = store_console_fleet_host(t->store, h->name, host_facts,
	    &h->pager)) != 0)
		return rc;
	if ((rc = store_console_fleet_gpus(t->store, h->name, host_gpu,
	    h)) != 0)
		return rc;
	if (h->last_gpu == NULL)
		tui_pager_add(&h->pager, TUI_C_DIM, "  no GPUs recorded");
	h->pager.top = top < h->pager.n ? top : 0;
	return 0;
}

static int
host_request(struct tui *t, struct tui_view *tv, enum tui_req r)
{
	struct host *h = tv->data;

	return tui_pager_request(t, &h->pager, r, t->rows - 2);
}

static void
host_draw(struct tui *t, struct tui_view *tv, int y, int h)
{
	struct host *v = tv->data;

	tui_pager_draw(t, &v->pager, y, h);
}

static const struct tui_view_ops tui_view_host = {
	"host", host_open, host_close, host_reload, host_draw, host_request,
	NULL, NULL, NULL,
};

static int
fleet_request(struct tui *t, struct tui_view *tv, enum tui_req r)
{
	struct fleet *v = tv->data;
	const struct tui_row *cur = tui_list_current(&v->list);
	int rc;

	if (r == TUI_REQ_ENTER) {
		if (cur == NULL)
			return TUI_REDRAW;
		if ((rc = tui_view_push(t, &tui_view_host, cur->key[0])) != 0)
			return tui_error(t, rc);
		return TUI_REDRAW;
	}
	return tui_list_request(t, &v->list, r);
}

const struct tui_view_ops tui_view_fleet = {
	"fleet", fleet_open, fleet_close, fleet_reload, fleet_draw,
	fleet_request, NULL, fleet_info, NULL,
};
