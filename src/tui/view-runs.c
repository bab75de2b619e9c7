/*
 * view-runs.c: playbook runs (the journal), newest first; Enter shows one
 * run's steps x hosts and its latest calls, read again whenever the store
 * changes. Actions go through the engine functions `firebreak run` uses
 * (src/playbook/playbook.h): approve, resume and undo once the word is
 * typed (the value of the param the playbook names with `confirm`, such
 * as the model or the key, else the playbook's name), abort (a
 * confirmation). The engine
 * works on the terminal as it does for the CLI — its progress, and any
 * fb.confirm question, appear there — so the console steps aside for it
 * and comes back when it is done.
 */
#include "config.h"

#include <curses.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <term.h>

#include "playbook/playbook.h"
#include "store/export.h"
#include "store/playbook.h"
#include "tui/tui-int.h"

/* Runs are few (one per playbook invocation): scanned like cases. */
#define RUNS_SCAN 100000
#define RUN_CALLS_SHOWN 200

static const char *
nz(const char *s)
{
	return s != NULL ? s : "";
}

/* ---- the list --------------------------------------------------------- */

struct runs {
	struct tui_list list;
};

static const struct tui_col cols[] = {
	{ "RUN", 5, 1, 0 },
	{ "STATE", 17, 0, 0 },
	{ "PLAYBOOK", 20, 0, 0 },
	{ "CASE", 5, 1, 0 },
	{ "PLAN", 12, 0, 0 },
	{ "DONE", 7, 1, 0 },
	{ "CREATED", 11, 0, 90 },
	{ "ERROR", 0, 0, 0 },
};

static int
state_color(const char *s)
{
	if (strcmp(s, "done") == 0 || strcmp(s, "undone") == 0)
		return TUI_C_GOOD;
	if (strcmp(s, "failed") == 0)
		return TUI_C_HIGH;
	if (strcmp(s, "awaiting-approval") == 0 ||
	    strcmp(s, "interrupted") == 0 || strcmp(s, "running") == 0)
		return TUI_C_MEDIUM;
	return TUI_C_NORMAL;
}

static void
fill_row(struct tui_row *r, const struct store_run_row *run)
{
	char when[16];

	r->id = run->id;
	r->num = run->id;
	r->key[0] = xstrdup(nz(run->playbook));
	r->key[1] = xstrdup(nz(run->state));
	r->key[2] = xstrdup(nz(run->plan_sha256));
	r->cell[0] = xasprintf("%lld", (long long)run->id);
	r->cell[1] = tui_safe(nz(run->state));
	r->cell[2] = tui_safe(nz(run->playbook));
	r->cell[3] = run->case_id ? xasprintf("%lld", (long long)run->case_id) :
	    xstrdup("-");
	r->cell[4] = run->plan_sha256 ? xasprintf("%.12s", run->plan_sha256) :
	    xstrdup("-");
	r->cell[5] = xasprintf("%lld/%lld", (long long)(run->n_done +
	    run->n_unchanged), (long long)run->n_pairs);
	tui_short_time(nz(run->created_at), when);
	r->cell[6] = xstrdup(when);
	r->cell[7] = tui_safe(nz(run->error));
	r->attr = state_color(nz(run->state));
}

struct run_fetch {
	struct tui_list *l;
	int64_t from;
	int backward, inclusive, limit, got;
	int64_t *ids;         /* backward: newer ids, in store order */
	size_t nids, cap;
};

static int
fetch_cb(void *ctx, const struct store_run_row *run)
{
	struct run_fetch *f = ctx;

	if (f->backward) {
		if (f->from != 0 && (run->id < f->from ||
		    (run->id == f->from && !f->inclusive)))
			return 1;
		if (f->nids == f->cap) {
			f->cap = f->cap ? f->cap * 2 : 64;
			f->ids = xrealloc(f->ids, f->cap * sizeof(*f->ids));
		}
		f->ids[f->nids++] = run->id;
		return 0;
	}
	if (f->from != 0 && (run->id > f->from ||
	    (run->id == f->from && !f->inclusive)))
		return 0;
	fill_row(tui_list_add(f->l), run);
	return ++f->got >= f->limit ? 1 : 0;
}

static int
add_one(void *ctx, const struct store_run_row *run)
{
	fill_row(tui_list_add(ctx), run);
	return 0;
}

static int
runs_fetch(struct tui *t, struct tui_list *l, const struct tui_row *from,
    int backward, int inclusive, int limit)
{
	struct run_fetch f;
	int rc, i;

	memset(&f, 0, sizeof(f));
	f.l = l;
	f.from = from ? from->id : 0;
	f.backward = backward;
	f.inclusive = inclusive;
	f.limit = limit;
	rc = store_runs_ls(t->store, RUNS_SCAN, fetch_cb, &f);
	if (rc > 0)
		rc = 0;
	if (rc == 0 && backward) {
		/* nearest (oldest of the newer) first */
		for (i = (int)f.nids - 1; i >= 0 && (int)f.nids - 1 - i < limit;
		    i--)
			if ((rc = store_run_get(t->store, f.ids[i], add_one,
			    l)) != 0)
				break;
	}
	free(f.ids);
	return rc;
}

static const struct tui_list_ops list_ops = {
	cols, (int)FB_ARRAY_LEN(cols), runs_fetch,
};

/* ---- actions -------------------------------------------------------------- */

static volatile int interrupted;

static void
on_sigint(int sig)
{
	(void)sig;
	interrupted = 1;
}

static const char *
outcome_text(int o)
{
	switch (o) {
	case PB_DONE: return "Done";
	case PB_PLANNED: return "Planned; nothing changed";
	case PB_AWAITING: return "Waiting for approval of the plan";
	case PB_PARTIAL: return "Stopped: some hosts failed, were not reached "
	    "or were not started; R resumes";
	default: return "Failed";
	}
}

int
tui_engine(struct tui *t, const char *title, tui_engine_fn fn, void *ctx,
    int *outcome)
{
	struct pb_opts po;
	struct sigaction sa, old;
	char line[64], *safe = tui_safe(title);
	int rc;

	memset(&po, 0, sizeof(po));
	po.out = stdout;
	po.forks = t->forks;
	interrupted = 0;
	po.interrupted = &interrupted;
	*outcome = PB_FAILED;
	def_prog_mode();
	endwin();
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_sigint;
	sigaction(SIGINT, &sa, &old);
	/* A clean screen: nothing of an earlier hand-off is left to misread. */
	if (clear_screen != NULL)
		putp(clear_screen);
	fflush(stdout);
	printf("%s\n(Ctrl-C stops between hosts; the run stays "
	    "resumable)\n\n", safe);
	free(safe);
	fflush(stdout);
	rc = fn(t, ctx, &po, outcome);
	if (rc != 0)
		printf("firebreak: %s\n", fb_errmsg(rc));
	printf("\n%s. Press Enter to return to the console.",
	    outcome_text(*outcome));
	fflush(stdout);
	if (fgets(line, sizeof(line), stdin) == NULL)
		clearerr(stdin);
	sigaction(SIGINT, &old, NULL);
	reset_prog_mode();
	clearok(curscr, TRUE);
	refresh();
	return rc;
}

static int
engine_call(struct tui *t, void *ctx, const struct pb_opts *po, int *outcome)
{
	struct tui_action *a = ctx;
	enum pb_outcome out = PB_FAILED;
	int rc;

	switch (a->verb[0]) {
	case 'a':
		rc = pb_approve(t->store, a->arg, a->answer, po, &out);
		break;
	case 'r':
		rc = pb_resume(t->store, a->arg, po, &out);
		break;
	default:
		rc = pb_undo(t->store, a->arg, po, &out);
		break;
	}
	*outcome = (int)out;
	return rc;
}

/* approve, resume or undo through the engine, on the terminal. */
static int
run_engine(struct tui *t, struct tui_action *a, const char *reason)
{
	int out, rc;

	(void)reason;
	rc = tui_engine(t, a->what, engine_call, a, &out);
	if (rc != 0) {
		if (out == PB_AWAITING)
			tui_message(t, 1, "run %lld is awaiting approval again: "
			    "the plan changed", (long long)a->arg);
		return rc;
	}
	tui_message(t, 0, "run %lld: %s", (long long)a->arg, a->verb);
	return 0;
}

static int
run_abort(struct tui *t, struct tui_action *a, const char *reason)
{
	int rc;

	if ((rc = pb_abort(t->store, a->arg, reason)) != 0)
		return rc;
	tui_message(t, 0, "run %lld aborted", (long long)a->arg);
	return 0;
}

struct run_src {
	char *path, *params;
};

static int
run_src_cb(void *ctx, const struct store_run_row *r)
{
	struct run_src *rs = ctx;

	rs->path = r->source_path ? xstrdup(r->source_path) : NULL;
	rs->params = r->params ? xstrdup(r->params) : NULL;
	return 0;
}

/*
 * The word that approves, resumes or undoes a run here: the value of the
 * param its playbook names with `confirm` (the model, the key: what the
 * run acts on), else the playbook's name.
 */
static char *
confirm_word(struct tui *t, int64_t id, const char *playbook)
{
	struct run_src rs = { NULL, NULL };
	struct playbook *pb = NULL;
	struct store_json_tool *jt = NULL;
	char *word = NULL, *path;

	if (store_run_get(t->store, id, run_src_cb, &rs) == 0 &&
	    rs.path != NULL && rs.params != NULL &&
	    pb_load(rs.path, NULL, "{}", NULL, NULL, &pb) == 0 &&
	    pb->confirm != NULL && store_json_tool_new(&jt) == 0) {
		path = xasprintf("$.\"%s\"", pb->confirm);
		if (store_json_get(jt, rs.params, path, &word) != 0 ||
		    word == NULL || !fb_text_line(word, 200)) {
			free(word);
			word = NULL;
		}
		free(path);
	}
	fb_err_clear();
	store_json_tool_free(jt);
	pb_free(pb);
	free(rs.path);
	free(rs.params);
	return word != NULL ? word : xstrdup(playbook);
}

/* id, playbook, state and plan of the run the request is about. */
static int
run_action(struct tui *t, enum tui_req r, int64_t id, const char *playbook,
    const char *state, const char *plan)
{
	struct tui_action *a;
	char *pb = tui_safe(playbook);
	int awaiting = strcmp(state, "awaiting-approval") == 0;
	int stopped = strcmp(state, "interrupted") == 0 ||
	    strcmp(state, "failed") == 0;

	if ((r == TUI_REQ_APPROVE && !awaiting) ||
	    (r == TUI_REQ_RESUME && !stopped) ||
	    (r == TUI_REQ_ABORT && !(awaiting || stopped ||
	    strcmp(state, "running") == 0))) {
		tui_message(t, 1, "run %lld is %s: '%s' does not apply",
		    (long long)id, state, tui_req_help(r));
		free(pb);
		return TUI_REDRAW;
	}
	if (r == TUI_REQ_APPROVE && (plan == NULL || *plan == '\0')) {
		tui_message(t, 1, "run %lld has no plan to approve",
		    (long long)id);
		free(pb);
		return TUI_REDRAW;
	}
	a = xcalloc(1, sizeof(*a));
	a->arg = id;
	switch (r) {
	case TUI_REQ_APPROVE:
		a->verb = "approve";
		a->answer = xstrdup(plan);
		a->what = xasprintf("approve run %lld (%s, plan %.12s): it "
		    "applies on its hosts", (long long)id, pb, plan);
		a->confirm_word = confirm_word(t, id, playbook);
		a->run = run_engine;
		break;
	case TUI_REQ_RESUME:
		a->verb = "resume";
		a->what = xasprintf("resume run %lld (%s)", (long long)id, pb);
		a->confirm_word = confirm_word(t, id, playbook);
		a->run = run_engine;
		break;
	case TUI_REQ_UNDO:
		a->verb = "undo";
		a->what = xasprintf("undo run %lld (%s): its undo runs on the "
		    "hosts it applied to", (long long)id, pb);
		a->confirm_word = confirm_word(t, id, playbook);
		a->run = run_engine;
		break;
	default:
		a->verb = "abort";
		a->what = xasprintf("abort run %lld (%s)", (long long)id, pb);
		a->need_reason = 1;
		a->run = run_abort;
		break;
	}
	free(pb);
	tui_action_start(t, a);
	return TUI_REDRAW;
}

static int
is_run_request(enum tui_req r)
{
	return r == TUI_REQ_APPROVE || r == TUI_REQ_RESUME ||
	    r == TUI_REQ_UNDO || r == TUI_REQ_ABORT;
}

/* ---- one run ---------------------------------------------------------- */

struct run {
	int64_t id;
	struct tui_pager pager;
	char *playbook, *state, *plan;
	char *word;               /* what A, R and U want typed */
	int last_step;
	char info[64];
};

static int
run_head(void *ctx, const struct store_run_row *r)
{
	struct run *v = ctx;
	struct tui_pager *p = &v->pager;

	free(v->playbook);
	free(v->state);
	free(v->plan);
	v->playbook = xstrdup(nz(r->playbook));
	v->state = xstrdup(nz(r->state));
	v->plan = xstrdup(nz(r->plan_sha256));
	tui_pager_add(p, state_color(v->state), "run %lld  %s  %s%s",
	    (long long)r->id, nz(r->playbook), v->state,
	    r->dry_run ? " (dry run)" : "");
	tui_pager_add(p, TUI_C_NORMAL, "  source   %s (sha256 %.12s)",
	    nz(r->source_path), nz(r->source_sha256));
	tui_pager_add(p, TUI_C_NORMAL, "  params   %s", nz(r->params));
	tui_pager_add(p, TUI_C_NORMAL, "  hosts    %s  (pattern %s)",
	    nz(r->hosts), r->pattern ? r->pattern : "-");
	if (r->case_id)
		tui_pager_add(p, TUI_C_NORMAL, "  case     #%lld",
		    (long long)r->case_id);
	tui_pager_add(p, TUI_C_NORMAL, "  plan     %s", r->plan_sha256 ?
	    r->plan_sha256 : "-");
	if (r->approved_sha256)
		tui_pager_add(p, TUI_C_NORMAL, "  approved %.12s by %s at %s",
		    r->approved_sha256, nz(r->approved_by), nz(r->approved_at));
	tui_pager_add(p, TUI_C_NORMAL, "  by %s, created %s, updated %s%s%s",
	    nz(r->actor), nz(r->created_at), nz(r->updated_at),
	    r->finished_at ? ", finished " : "", nz(r->finished_at));
	tui_pager_add(p, TUI_C_NORMAL, "  %lld pairs: %lld done, %lld "
	    "unchanged, %lld failed, %lld pending, %lld undone",
	    (long long)r->n_pairs, (long long)r->n_done,
	    (long long)r->n_unchanged, (long long)r->n_failed,
	    (long long)r->n_pending, (long long)r->n_undone);
	if (r->error)
		tui_pager_add(p, TUI_C_ERROR, "  error    %s", r->error);
	if (strcmp(v->state, "awaiting-approval") == 0)
		tui_pager_add(p, TUI_C_MEDIUM, "  A approves (type '%s'), X "
		    "aborts; or: firebreak run approve %lld --plan %s",
		    v->word ? v->word : v->playbook, (long long)r->id, v->plan);
	else if (strcmp(v->state, "interrupted") == 0 ||
	    strcmp(v->state, "failed") == 0)
		tui_pager_add(p, TUI_C_MEDIUM, "  R resumes, U undoes, X aborts; "
		    "or: firebreak run resume %lld", (long long)r->id);
	snprintf(v->info, sizeof(v->info), "%s", v->state);
	return 0;
}

static int
run_step(void *ctx, const struct store_run_step_row *s)
{
	struct run *v = ctx;
	struct tui_pager *p = &v->pager;
	int c = state_color(nz(s->state));

	if (s->step != v->last_step) {
		v->last_step = s->step;
		tui_pager_add(p, TUI_C_TITLE, "  step %d: %s", s->step,
		    nz(s->name));
	}
	if (strcmp(nz(s->state), "pending") == 0)
		c = TUI_C_DIM;
	else if (strcmp(nz(s->state), "unchanged") == 0)
		c = TUI_C_NORMAL;
	tui_pager_add(p, c, "    %-20s %-12s applies %lld%s%s", nz(s->host),
	    nz(s->state), (long long)s->applies, s->error ? "  " : "",
	    nz(s->error));
	if (s->planned && *s->planned && strcmp(s->planned, "null") != 0)
		tui_pager_add(p, TUI_C_DIM, "      planned %.200s", s->planned);
	if (s->result && *s->result && strcmp(s->result, "null") != 0)
		tui_pager_add(p, TUI_C_DIM, "      result  %.200s", s->result);
	return 0;
}

static int
run_call(void *ctx, int n, const char **c)
{
	struct tui_pager *p = ctx;

	if (n < 9)
		return 0;
	/* id time step host phase fn ok args result */
	tui_pager_add(p, c[6] && strcmp(c[6], "1") == 0 ? TUI_C_NORMAL :
	    TUI_C_HIGH, "    #%-5s %s  step %s %-12s %-7s %s(%s) -> %s",
	    nz(c[0]), nz(c[1]), c[2] ? c[2] : "-", c[3] ? c[3] : "-",
	    nz(c[4]), nz(c[5]), nz(c[7]), nz(c[8]));
	return 0;
}

static int
run_open(struct tui *t, struct tui_view *tv, const char *arg)
{
	struct run *v = xcalloc(1, sizeof(*v));

	(void)t;
	v->id = strtoll(arg, NULL, 10);
	tv->data = v;
	return 0;
}

static void
run_close(struct tui_view *tv)
{
	struct run *v = tv->data;

	tui_pager_clear(&v->pager);
	free(v->playbook);
	free(v->state);
	free(v->plan);
	free(v->word);
	free(v);
}

static int
run_reload(struct tui *t, struct tui_view *tv)
{
	struct run *v = tv->data;
	size_t top = v->pager.top, n;
	int rc;

	tui_pager_clear(&v->pager);
	v->last_step = -1;
	if (v->word == NULL) {
		/* Once: it reads the playbook file. */
		v->word = confirm_word(t, v->id, "");
		if (v->word[0] == '\0') {
			free(v->word);
			v->word = NULL;
		}
	}
	if ((rc = store_run_get(t->store, v->id, run_head, v)) != 0)
		return rc;
	tui_pager_add_text(&v->pager, TUI_C_NORMAL, "");
	tui_pager_add(&v->pager, TUI_C_TITLE, "Steps x hosts");
	if ((rc = store_run_steps(t->store, v->id, run_step, v)) != 0)
		return rc;
	if (v->last_step == -1)
		tui_pager_add(&v->pager, TUI_C_DIM, "  no steps planned");
	tui_pager_add_text(&v->pager, TUI_C_NORMAL, "");
	tui_pager_add(&v->pager, TUI_C_TITLE, "Calls (latest %d, newest "
	    "first)", RUN_CALLS_SHOWN);
	n = v->pager.n;
	if ((rc = store_console_run_calls(t->store, v->id, RUN_CALLS_SHOWN,
	    run_call, &v->pager)) != 0)
		return rc;
	if (v->pager.n == n)
		tui_pager_add(&v->pager, TUI_C_DIM, "  no calls yet");
	v->pager.top = top < v->pager.n ? top : 0;
	return 0;
}

static int
run_request(struct tui *t, struct tui_view *tv, enum tui_req r)
{
	struct run *v = tv->data;

	if (is_run_request(r))
		return run_action(t, r, v->id, v->playbook, v->state, v->plan);
	return tui_pager_request(t, &v->pager, r, t->rows - 2);
}

static void
run_draw(struct tui *t, struct tui_view *tv, int y, int h)
{
	struct run *v = tv->data;

	tui_pager_draw(t, &v->pager, y, h);
}

static const char *
run_info(struct tui_view *tv)
{
	struct run *v = tv->data;

	return v->info;
}

static const struct tui_view_ops tui_view_run = {
	"run", run_open, run_close, run_reload, run_draw, run_request, NULL,
	run_info, NULL,
};

int
tui_run_push(struct tui *t, int64_t id)
{
	char arg[32];

	snprintf(arg, sizeof(arg), "%lld", (long long)id);
	return tui_view_push(t, &tui_view_run, arg);
}

/* ---- the list's view -------------------------------------------------- */

static int
runs_open(struct tui *t, struct tui_view *tv, const char *arg)
{
	struct runs *v = xcalloc(1, sizeof(*v));

	(void)t;
	(void)arg;
	tv->data = v;
	tui_list_init(&v->list, &list_ops, tv);
	return 0;
}

static void
runs_close(struct tui_view *tv)
{
	struct runs *v = tv->data;

	tui_list_release(&v->list);
	free(v);
}

static int
runs_reload(struct tui *t, struct tui_view *tv)
{
	struct runs *v = tv->data;

	return tui_list_reload(t, &v->list);
}

static int
runs_request(struct tui *t, struct tui_view *tv, enum tui_req r)
{
	struct runs *v = tv->data;
	const struct tui_row *cur = tui_list_current(&v->list);
	char arg[32];
	int rc;

	if (r == TUI_REQ_ENTER || is_run_request(r)) {
		if (cur == NULL)
			return TUI_REDRAW;
		if (r != TUI_REQ_ENTER)
			return run_action(t, r, cur->id, cur->key[0],
			    cur->key[1], cur->key[2]);
		snprintf(arg, sizeof(arg), "%lld", (long long)cur->id);
		if ((rc = tui_view_push(t, &tui_view_run, arg)) != 0)
			return tui_error(t, rc);
		return TUI_REDRAW;
	}
	return tui_list_request(t, &v->list, r);
}

static void
runs_draw(struct tui *t, struct tui_view *tv, int y, int h)
{
	struct runs *v = tv->data;

	if (v->list.n == 0) {
		tui_put(y, 0, t->cols, "no playbook runs yet (firebreak "
		    "playbook run FILE starts one)", tui_attr(t, TUI_C_DIM), 1);
		y++;
		h--;
	}
	tui_list_draw(t, &v->list, y, h);
}

const struct tui_view_ops tui_view_runs = {
	"runs", runs_open, runs_close, runs_reload, runs_draw, runs_request,
	NULL, NULL, NULL,
};
