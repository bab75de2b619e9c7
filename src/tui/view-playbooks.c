/*
 * view-playbooks.c: the playbooks `firebreak playbook ls` finds, and one
 * playbook as a form: its parameters (with their types and defaults), the
 * hosts pattern and the case, each edited with Enter; the parameters as
 * the run will get them, resolved live the way `-e` is; its steps. `d`
 * plans it (a dry run) and `x` runs it: both go through pb_run, the
 * engine `firebreak playbook run` uses, on the terminal the console hands
 * over (view-runs.c), and then show the run, where destructive steps wait
 * for approval (A, typing the value of the param the playbook names with
 * `confirm`, else its name), and resume, undo and
 * abort are.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "playbook/playbook.h"
#include "tui/tui-int.h"

static const char *
nz(const char *s)
{
	return s != NULL ? s : "";
}

/* ---- what a playbook file holds ------------------------------------------- */

struct pb_entry {
	char *path;
	struct playbook *pb;      /* NULL: it did not load */
	char *error;              /* why (raw) */
	int shadowed;             /* an earlier file has the same name */
};

struct problems {
	struct fb_buf b;
};

static void
on_problem(void *ctx, const char *severity, const char *msg)
{
	struct problems *p = ctx;

	if (strcmp(severity, "error") != 0)
		return;
	fb_buf_addf(&p->b, "%s%s", p->b.len ? "; " : "", msg);
}

static void
entry_load(struct pb_entry *e, const char *path)
{
	struct problems p;
	int rc;

	memset(e, 0, sizeof(*e));
	fb_buf_init(&p.b);
	e->path = xstrdup(path);
	if ((rc = pb_load(path, NULL, "{}", on_problem, &p, &e->pb)) != 0) {
		e->error = p.b.len ? fb_buf_detach(&p.b, NULL) :
		    xstrdup(fb_errmsg(rc));
		fb_err_clear();
		e->pb = NULL;
	}
	fb_buf_release(&p.b);
}

static void
entry_clear(struct pb_entry *e)
{
	pb_free(e->pb);
	free(e->path);
	free(e->error);
	memset(e, 0, sizeof(*e));
}

static int
destructive(const struct playbook *pb)
{
	size_t i;

	for (i = 0; i < pb->nsteps; i++)
		if (pb->steps[i].destructive)
			return 1;
	return 0;
}

/* ---- the list ----------------------------------------------------------- */

struct pbs {
	struct tui_list list;
	struct pb_entry *e;
	size_t n;
	char *sig;                /* the files' paths, sizes and mtimes */
	char info[32];
};

/* What the files are now: loading them again is only for a change. */
static int
sig_add(void *ctx, const char *path)
{
	struct fb_buf *b = ctx;
	struct stat st;

	if (stat(path, &st) != 0)
		memset(&st, 0, sizeof(st));
	fb_buf_addf(b, "%s\t%lld\t%lld.%09ld\n", path, (long long)st.st_size,
	    (long long)st.st_mtim.tv_sec, st.st_mtim.tv_nsec);
	return 0;
}

static const struct tui_col cols[] = {
	{ "PLAYBOOK", 24, 0, 0 },
	{ "APPROVAL", 8, 0, 0 },
	{ "PARAMS", 6, 1, 0 },
	{ "STEPS", 5, 1, 0 },
	{ "FROM", 8, 0, 90 },
	{ "DESCRIPTION", 0, 0, 0 },
};

static void
pbs_clear(struct pbs *v)
{
	size_t i;

	for (i = 0; i < v->n; i++)
		entry_clear(&v->e[i]);
	free(v->e);
	v->e = NULL;
	v->n = 0;
}

static int
pbs_add(void *ctx, const char *path)
{
	struct pbs *v = ctx;
	struct pb_entry *e;
	size_t i;

	v->e = xrealloc(v->e, (v->n + 1) * sizeof(*v->e));
	e = &v->e[v->n++];
	entry_load(e, path);
	for (i = 0; e->pb != NULL && i + 1 < v->n; i++)
		if (v->e[i].pb != NULL && strcmp(v->e[i].pb->name,
		    e->pb->name) == 0)
			e->shadowed = 1;
	return 0;
}

/* config: the user's directory; shipped: the data directory. */
static const char *
origin(const char *path)
{
	const char *data = fb_datadir();
	size_t n = strlen(data);

	return strncmp(path, data, n) == 0 && path[n] == '/' ? "shipped" :
	    "config";
}

static void
fill(struct tui_row *r, const struct pb_entry *e, size_t i)
{
	const char *slash = strrchr(e->path, '/');

	r->id = (int64_t)i + 1;
	r->num = r->id;
	r->key[0] = xstrdup(e->path);
	if (e->pb == NULL) {
		r->cell[0] = tui_safe(slash ? slash + 1 : e->path);
		r->cell[1] = xstrdup("broken");
		r->cell[2] = xstrdup("-");
		r->cell[3] = xstrdup("-");
		r->cell[4] = xstrdup(origin(e->path));
		r->cell[5] = tui_safe(e->error);
		r->attr = TUI_C_ERROR;
		return;
	}
	r->cell[0] = tui_safe(e->pb->name);
	r->cell[1] = xstrdup(destructive(e->pb) ? "required" : "no");
	r->cell[2] = xasprintf("%zu", e->pb->nparams);
	r->cell[3] = xasprintf("%zu", e->pb->nsteps);
	r->cell[4] = xstrdup(e->shadowed ? "shadowed" : origin(e->path));
	r->cell[5] = tui_safe(nz(e->pb->description));
	r->attr = e->shadowed ? TUI_C_DIM : destructive(e->pb) ?
	    TUI_C_MEDIUM : TUI_C_NORMAL;
}

static int
pbs_fetch(struct tui *t, struct tui_list *l, const struct tui_row *from,
    int backward, int inclusive, int limit)
{
	struct pbs *v = l->view->data;
	int64_t n = (int64_t)v->n, i;
	int got;

	(void)t;
	if (backward)
		i = from ? from->id - 1 - (inclusive ? 0 : 1) : n - 1;
	else
		i = from ? from->id - 1 + (inclusive ? 0 : 1) : 0;
	for (got = 0; got < limit && i >= 0 && i < n; got++) {
		fill(tui_list_add(l), &v->e[i], (size_t)i);
		i += backward ? -1 : 1;
	}
	return 0;
}

static const struct tui_list_ops list_ops = {
	cols, (int)FB_ARRAY_LEN(cols), pbs_fetch,
};

static int
pbs_open(struct tui *t, struct tui_view *tv, const char *arg)
{
	struct pbs *v = xcalloc(1, sizeof(*v));

	(void)t;
	(void)arg;
	tv->data = v;
	tui_list_init(&v->list, &list_ops, tv);
	return 0;
}

static void
pbs_close(struct tui_view *tv)
{
	struct pbs *v = tv->data;

	tui_list_release(&v->list);
	pbs_clear(v);
	free(v->sig);
	free(v);
}

static int
pbs_reload(struct tui *t, struct tui_view *tv)
{
	struct pbs *v = tv->data;
	struct fb_buf sig = FB_BUF_INIT;
	int rc;

	/* The store changing (an ingest elsewhere) is no reason to run
	 * every playbook file again. */
	if ((rc = pb_list(sig_add, &sig)) != 0) {
		fb_buf_release(&sig);
		return rc;
	}
	if (v->sig == NULL || strcmp(v->sig, sig.data ? sig.data : "") != 0) {
		free(v->sig);
		v->sig = xstrdup(sig.data ? sig.data : "");
		pbs_clear(v);
		if ((rc = pb_list(pbs_add, v)) != 0) {
			fb_buf_release(&sig);
			return rc;
		}
	}
	fb_buf_release(&sig);
	snprintf(v->info, sizeof(v->info), "%zu playbook%s", v->n,
	    v->n == 1 ? "" : "s");
	return tui_list_reload(t, &v->list);
}

static int
pbs_request(struct tui *t, struct tui_view *tv, enum tui_req r)
{
	struct pbs *v = tv->data;
	const struct tui_row *cur = tui_list_current(&v->list);
	int rc;

	if (r == TUI_REQ_ENTER || r == TUI_REQ_RUN || r == TUI_REQ_DRY_RUN) {
		if (cur == NULL)
			return TUI_REDRAW;
		if ((rc = tui_view_push(t, &tui_view_playbook,
		    cur->key[0])) != 0)
			return tui_error(t, rc);
		if (r != TUI_REQ_ENTER)
			return t->view->ops->request(t, t->view, r);
		return TUI_REDRAW;
	}
	return tui_list_request(t, &v->list, r);
}

static void
pbs_draw(struct tui *t, struct tui_view *tv, int y, int h)
{
	struct pbs *v = tv->data;

	if (v->n == 0) {
		tui_put(y, 0, t->cols, "no playbooks found (put NAME.lua in "
		    "$XDG_CONFIG_HOME/firebreak/playbooks; see "
		    "firebreak-playbook(5))", tui_attr(t, TUI_C_DIM), 1);
		y++;
		h--;
	}
	tui_list_draw(t, &v->list, y, h);
}

static const char *
pbs_info(struct tui_view *tv)
{
	struct pbs *v = tv->data;

	return v->info;
}

const struct tui_view_ops tui_view_playbooks = {
	"playbooks", pbs_open, pbs_close, pbs_reload, pbs_draw, pbs_request,
	NULL, pbs_info, NULL,
};

/* ---- one playbook: a form, then a run ------------------------------------- */

/*
 * Fields: one per parameter, by name, then the hosts pattern and the case.
 * A field never set means "the default" (-e not given); values are kept
 * across reloads by name, so an edited playbook file keeps what was typed.
 */
struct field {
	char *name;
	char *value;              /* NULL: not set */
};


/*
 * The run's own fields, after the parameters: what the options of
 * `playbook run` set. A field's value is NULL when not set (its default).
 */
enum { RF_HOSTS, RF_FORKS, RF_CASE, RF_UNREACH, RF__N };
static const struct {
	const char *name, *type, *def, *unset, *help;
} run_fields[RF__N] = {
	{ "hosts", "pattern", "all", "(default)",
	  "inventory hosts to run on, as -l takes them" },
	{ "forks", "number", "10", "(default)",
	  "hosts at once (-j); approving from the console uses it too" },
	{ "case", "number", NULL, "(none)", "the case the run is journaled on" },
	{ "unreachable", "stop|skip", "stop", "(default)", "skip: try every "
	  "host first and leave out those that cannot be reached "
	  "(--skip-unreachable)" },
};

struct form {
	struct pb_entry e;
	struct field *f;
	size_t nf;
	char *run[RF__N];         /* the run's fields, NULL: not set */
	int cur;                  /* field under the cursor */
	int nfields;              /* params + the run's fields */
	size_t cur_line;          /* its pager line */
	struct tui_pager pager;
	char *params_json;        /* the parameters as the run gets them */
	char *params_error;
	char *cur_help;           /* the field under the cursor, in full */
	int width;                /* the screen's, when last read */
	char info[48];
};

/* text in lines of at most width bytes, broken at spaces where it can. */
static void
add_wrapped(struct tui_pager *p, int attr, const char *text, int width)
{
	size_t w = width > 20 ? (size_t)width : 20;

	while (*text != '\0') {
		size_t n = strcspn(text, "\n"), cut = n;

		if (n > w) {
			cut = w;
			while (cut > w / 2 && text[cut] != ' ')
				cut--;
			if (text[cut] != ' ')
				cut = w;
		}
		tui_pager_add(p, attr, "%.*s", (int)cut, text);
		text += cut;
		if (cut == n) {           /* the end of a line */
			if (*text == '\n')
				text++;
		} else {                  /* a break inside one */
			while (*text == ' ')
				text++;
		}
	}
}

static char **
field_value(struct form *v, const char *name)
{
	size_t i;

	for (i = 0; i < v->nf; i++)
		if (strcmp(v->f[i].name, name) == 0)
			return &v->f[i].value;
	v->f = xrealloc(v->f, (v->nf + 1) * sizeof(*v->f));
	v->f[v->nf].name = xstrdup(name);
	v->f[v->nf].value = NULL;
	return &v->f[v->nf++].value;
}

/* NAME=VALUE for every set parameter, as -e gives them. */
static size_t
assignments(struct form *v, char ***out)
{
	const struct playbook *pb = v->e.pb;
	char **a = xcalloc(pb->nparams + 1, sizeof(*a));
	size_t i, n = 0;

	for (i = 0; i < pb->nparams; i++) {
		char *val = *field_value(v, pb->params[i].name);

		if (val != NULL)
			a[n++] = xasprintf("%s=%s", pb->params[i].name, val);
	}
	*out = a;
	return n;
}

static void
assignments_free(char **a, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(a[i]);
	free(a);
}

static void
resolve(struct form *v)
{
	char **a;
	size_t n;
	int rc;

	free(v->params_json);
	free(v->params_error);
	v->params_json = v->params_error = NULL;
	n = assignments(v, &a);
	if ((rc = pb_params_json(v->e.pb, a, n, &v->params_json)) != 0) {
		v->params_error = xstrdup(fb_errmsg(rc));
		fb_err_clear();
	}
	assignments_free(a, n);
}

static void
add_field(struct form *v, int idx, const char *name, const char *type,
    const char *def, int required, const char *value, const char *unset,
    const char *help)
{
	struct tui_pager *p = &v->pager;
	int attr = idx == v->cur ? TUI_C_NORMAL | TUI_A_CURSOR : TUI_C_NORMAL;
	char *d = def ? xasprintf("default %s", def) : xstrdup(required ?
	    "required" : "");

	if (idx == v->cur) {
		v->cur_line = p->n;
		free(v->cur_help);
		v->cur_help = xasprintf("%s (%s%s%s): %s", name, type,
		    *d ? ", " : "", d, help && *help ? help : "no description");
	}
	tui_pager_add(p, attr, "%s %-18.60s %-8s %-22.60s = %-20s %s",
	    idx == v->cur ? ">" : " ", name, type, d, value ? value :
	    required && def == NULL ? "(not set)" : unset, nz(help));
	free(d);
}

static void
form_build(struct form *v)
{
	const struct playbook *pb = v->e.pb;
	struct tui_pager *p = &v->pager;
	size_t top = p->top, i;

	tui_pager_clear(p);
	p->top = top;
	if (pb == NULL) {
		tui_pager_add(p, TUI_C_ERROR, "%s does not load:", v->e.path);
		tui_pager_add(p, TUI_C_ERROR, "  %s", nz(v->e.error));
		tui_pager_add(p, TUI_C_DIM, "firebreak playbook lint '%s' "
		    "says more", v->e.path);
		return;
	}
	resolve(v);
	tui_pager_add(p, TUI_C_TITLE, "playbook %s", pb->name);
	tui_pager_add(p, TUI_C_DIM, "  %s (%s, sha256 %.12s)", v->e.path,
	    origin(v->e.path), pb->sha256);
	add_wrapped(p, TUI_C_NORMAL, nz(pb->description), v->width - 1);
	tui_pager_add_text(p, TUI_C_NORMAL, "");
	tui_pager_add(p, TUI_C_TITLE, "Parameters (Enter sets the one under "
	    "the cursor; an empty answer means its default)");
	for (i = 0; i < pb->nparams; i++) {
		const struct pb_param *pp = &pb->params[i];

		add_field(v, (int)i, pp->name, pp->type, pp->def_json,
		    pp->required, *field_value(v, pp->name), "(default)",
		    pp->description);
	}
	for (i = 0; i < RF__N; i++)
		add_field(v, (int)(pb->nparams + i), run_fields[i].name,
		    run_fields[i].type, i == RF_HOSTS && pb->hosts ? pb->hosts :
		    run_fields[i].def, 0, v->run[i], run_fields[i].unset,
		    run_fields[i].help);
	/* The whole description of the field under the cursor, which a
	 * narrow screen cuts on its line. */
	if (v->cur_help != NULL)
		add_wrapped(p, TUI_C_DIM, v->cur_help, v->width - 3);
	tui_pager_add_text(p, TUI_C_NORMAL, "");
	if (v->params_error != NULL)
		tui_pager_add(p, TUI_C_ERROR, "  params  %s", v->params_error);
	else
		tui_pager_add(p, TUI_C_GOOD, "  params  %s", v->params_json);
	tui_pager_add_text(p, TUI_C_NORMAL, "");
	tui_pager_add(p, TUI_C_TITLE, "Steps");
	for (i = 0; i < pb->nsteps; i++) {
		const struct pb_step *st = &pb->steps[i];

		tui_pager_add(p, st->destructive ? TUI_C_MEDIUM : TUI_C_NORMAL,
		    "  %zu. %s (%s%s%s%s)%s%s", i + 1, st->name, st->has_run ?
		    "runs once" : st->has_check ? "check, apply" :
		    "apply without check", st->has_undo ? ", undo" : "",
		    st->destructive ? ", destructive" : "", st->batch > 0 ?
		    ", batched" : "", st->description ? ": " : "",
		    nz(st->description));
	}
	tui_pager_add_text(p, TUI_C_NORMAL, "");
	if (!destructive(pb))
		tui_pager_add(p, TUI_C_DIM, "d plans on the hosts and changes "
		    "nothing (a dry run); x runs: no step is destructive, so "
		    "it applies once planned");
	else
		tui_pager_add(p, TUI_C_DIM, "d plans on the hosts and changes "
		    "nothing (a dry run); x runs: destructive steps wait for "
		    "approval in the run's view (A, typing %s%s%s)", pb->confirm ?
		    "the value of " : "the playbook's name", pb->confirm ?
		    pb->confirm : "", "");
}

static int
form_open(struct tui *t, struct tui_view *tv, const char *arg)
{
	struct form *v = xcalloc(1, sizeof(*v));

	(void)t;
	v->e.path = xstrdup(arg);
	tv->data = v;
	return 0;
}

static void
form_close(struct tui_view *tv)
{
	struct form *v = tv->data;
	size_t i;

	for (i = 0; i < v->nf; i++) {
		free(v->f[i].name);
		free(v->f[i].value);
	}
	free(v->f);
	for (i = 0; i < RF__N; i++)
		free(v->run[i]);
	free(v->params_json);
	free(v->params_error);
	free(v->cur_help);
	tui_pager_clear(&v->pager);
	entry_clear(&v->e);
	free(v);
}

/* The file again (it may have been edited): values stay, by name. */
static int
form_reload(struct tui *t, struct tui_view *tv)
{
	struct form *v = tv->data;
	char *path = xstrdup(v->e.path);

	v->width = t->cols;
	entry_clear(&v->e);
	entry_load(&v->e, path);
	free(path);
	v->nfields = v->e.pb ? (int)v->e.pb->nparams + RF__N : 0;
	if (v->cur >= v->nfields)
		v->cur = v->nfields > 0 ? v->nfields - 1 : 0;
	snprintf(v->info, sizeof(v->info), "%s", v->e.pb == NULL ? "broken" :
	    destructive(v->e.pb) ? "destructive steps" : "no destructive step");
	form_build(v);
	return 0;
}

/*
 * The answer for run field rf as it is kept ("" for the default), or NULL
 * after saying on the status line why it cannot be.
 */
static const char *
run_field_check(struct tui *t, int rf, const char *ans)
{
	const char *d = rf == RF_CASE && ans[0] == '#' ? ans + 1 : ans;
	char *end;
	long long n;

	switch (rf) {
	case RF_FORKS:
	case RF_CASE:
		n = strtoll(d, &end, 10);
		if (*d != '\0' && (*d < '0' || *d > '9' || *end != '\0' ||
		    n <= 0 || (rf == RF_FORKS && n > 1000))) {
			tui_message(t, 1, rf == RF_CASE ? "'%s' is not a case "
			    "number" : "'%s' is not a number of hosts from 1 "
			    "to 1000", ans);
			return NULL;
		}
		return d;
	case RF_UNREACH:
		if (ans[0] != '\0' && strcmp(ans, "skip") != 0 &&
		    strcmp(ans, "stop") != 0) {
			tui_message(t, 1, "'%s': stop or skip", ans);
			return NULL;
		}
		return strcmp(ans, "skip") == 0 ? ans : "";
	default:
		return ans;
	}
}

/* The answer to "NAME = ?" becomes the field's value. */
static int
set_field(struct tui *t, struct tui_action *a, const char *reason)
{
	struct form *v;
	char **slot;
	const char *ans = a->answer ? a->answer : "";

	(void)reason;
	if (t->view->ops != &tui_view_playbook)
		return 0;
	v = t->view->data;
	if (v->e.pb == NULL)
		return 0;
	if (a->arg >= 0 && a->arg < (int64_t)v->e.pb->nparams)
		slot = field_value(v, v->e.pb->params[a->arg].name);
	else if (a->arg - (int64_t)v->e.pb->nparams < RF__N) {
		int rf = (int)(a->arg - (int64_t)v->e.pb->nparams);

		if ((ans = run_field_check(t, rf, ans)) == NULL)
			return 0;
		slot = &v->run[rf];
	} else
		return 0;
	free(*slot);
	*slot = ans[0] != '\0' ? xstrdup(ans) : NULL;
	return 0;
}

static int
edit_field(struct tui *t, struct form *v)
{
	const struct playbook *pb = v->e.pb;
	struct tui_action *a;
	static char label[256];
	const char *name, *type, *init;

	if (v->cur < (int)pb->nparams) {
		name = pb->params[v->cur].name;
		type = pb->params[v->cur].type;
		init = *field_value(v, name);
	} else {
		int rf = v->cur - (int)pb->nparams;

		name = run_fields[rf].name;
		type = run_fields[rf].type;
		init = v->run[rf];
	}
	snprintf(label, sizeof(label), "%s (%s) = ", name, type);
	a = xcalloc(1, sizeof(*a));
	a->ask = TUI_ASK_TEXT;
	a->ask_label = label;
	a->ask_init = init ? xstrdup(init) : NULL;
	a->ask_only = 1;
	a->ask_empty_ok = 1;
	a->arg = v->cur;
	a->verb = "set";
	a->what = xasprintf("set %s", name);
	a->run = set_field;
	tui_action_start(t, a);
	return TUI_REDRAW;
}

/* What the engine gets for one run from the form. */
struct form_run {
	const char *path;
	char **assign;
	size_t nassign;
	const char *hosts;
	int64_t case_id;
	int dry_run;
	int forks;
	int skip_unreachable;
	int64_t run_id;
};

static int
form_engine(struct tui *t, void *ctx, const struct pb_opts *po, int *outcome)
{
	struct form_run *r = ctx;
	struct pb_opts o = *po;
	enum pb_outcome out = PB_FAILED;
	int rc;

	o.pattern = r->hosts;
	o.case_id = r->case_id;
	o.dry_run = r->dry_run;
	o.forks = r->forks;
	o.skip_unreachable = r->skip_unreachable;
	rc = pb_run(t->store, r->path, r->assign, r->nassign, &o, &r->run_id,
	    &out);
	*outcome = (int)out;
	return rc;
}

static int
start_run(struct tui *t, struct tui_action *a, const char *reason)
{
	struct form *v;
	struct form_run r;
	char *title;
	int rc, out;

	(void)reason;
	if (t->view->ops != &tui_view_playbook)
		return 0;
	v = t->view->data;
	if (v->e.pb == NULL)
		return 0;
	memset(&r, 0, sizeof(r));
	r.path = v->e.path;
	r.nassign = assignments(v, &r.assign);
	r.hosts = v->run[RF_HOSTS];
	r.case_id = v->run[RF_CASE] ? strtoll(v->run[RF_CASE], NULL, 10) : 0;
	r.forks = v->run[RF_FORKS] ? (int)strtol(v->run[RF_FORKS], NULL, 10) :
	    0;
	t->forks = r.forks;
	r.skip_unreachable = v->run[RF_UNREACH] != NULL;
	r.dry_run = a->verb[0] == 'p';
	title = xasprintf("%s", a->what);
	rc = tui_engine(t, title, form_engine, &r, &out);
	free(title);
	assignments_free(r.assign, r.nassign);
	if (r.run_id != 0) {
		int prc = tui_run_push(t, r.run_id);

		if (prc != 0)
			return prc;
	}
	if (rc != 0 && r.run_id == 0)
		return rc;
	switch (out) {
	case PB_PLANNED:
		tui_message(t, 0, "run %lld planned (a dry run): nothing changed",
		    (long long)r.run_id);
		break;
	case PB_AWAITING:
		if (v->e.pb->confirm != NULL)
			tui_message(t, 0, "run %lld awaits approval: A approves "
			    "it (type its %s)", (long long)r.run_id,
			    v->e.pb->confirm);
		else
			tui_message(t, 0, "run %lld awaits approval: A approves "
			    "it (type '%s')", (long long)r.run_id,
			    v->e.pb->name);
		break;
	case PB_DONE:
		tui_message(t, 0, "run %lld done", (long long)r.run_id);
		break;
	default:
		tui_message(t, 1, "run %lld stopped%s%s: R resumes it",
		    (long long)r.run_id, rc ? ": " : "", rc ? fb_errmsg(rc) :
		    "");
		break;
	}
	return 0;
}

static int
run_request_form(struct tui *t, struct form *v, enum tui_req r)
{
	const struct playbook *pb = v->e.pb;
	struct tui_action *a;
	const char *hosts = v->run[RF_HOSTS] ? v->run[RF_HOSTS] : pb->hosts ?
	    pb->hosts : "all";
	char *safe = tui_safe(hosts);

	if (v->params_error != NULL) {
		tui_message(t, 1, "%s", v->params_error);
		free(safe);
		return TUI_REDRAW;
	}
	a = xcalloc(1, sizeof(*a));
	if (r == TUI_REQ_DRY_RUN) {
		a->verb = "plan";
		a->what = xasprintf("plan %s on %s (a dry run: every check, no "
		    "change)", pb->name, safe);
	} else {
		a->verb = "run";
		a->what = xasprintf("run %s on %s with %s%s", pb->name, safe,
		    v->params_json, destructive(pb) ? " (destructive steps "
		    "wait for approval)" : "");
	}
	free(safe);
	a->run = start_run;
	tui_action_start(t, a);
	return TUI_REDRAW;
}

static int
form_request(struct tui *t, struct tui_view *tv, enum tui_req r)
{
	struct form *v = tv->data;

	if (v->e.pb == NULL)
		return tui_pager_request(t, &v->pager, r, t->rows - 2);
	switch (r) {
	case TUI_REQ_DOWN:
	case TUI_REQ_UP:
		v->cur += r == TUI_REQ_DOWN ? 1 : -1;
		if (v->cur < 0)
			v->cur = 0;
		if (v->cur >= v->nfields)
			v->cur = v->nfields - 1;
		form_build(v);
		return TUI_REDRAW;
	case TUI_REQ_ENTER:
		return edit_field(t, v);
	case TUI_REQ_RUN:
	case TUI_REQ_DRY_RUN:
		return run_request_form(t, v, r);
	default:
		return tui_pager_request(t, &v->pager, r, t->rows - 2);
	}
}

static void
form_draw(struct tui *t, struct tui_view *tv, int y, int h)
{
	struct form *v = tv->data;
	struct tui_pager *p = &v->pager;

	/* Keep the cursor's line on the screen. */
	if (h > 0 && v->e.pb != NULL) {
		if (v->cur_line < p->top)
			p->top = v->cur_line;
		else if (v->cur_line >= p->top + (size_t)h)
			p->top = v->cur_line - (size_t)h + 1;
	}
	tui_pager_draw(t, p, y, h);
}

static const char *
form_info(struct tui_view *tv)
{
	struct form *v = tv->data;

	return v->info;
}

const struct tui_view_ops tui_view_playbook = {
	"playbook", form_open, form_close, form_reload, form_draw,
	form_request, NULL, form_info, NULL,
};
