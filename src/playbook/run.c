/*
 * run.c: the run engine — plan (every check), approval bound to the
 * plan's SHA-256, apply with a journal row before and after each pair (the
 * pairs of a batch at once, on step threads: see "pairs at once"), resume,
 * undo, abort; and the engine side of every fb.* call.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "filter/filter.h"
#include "fleet/fetch-store.h"
#include "fleet/fleet.h"
#include "ingest/ingest.h"
#include "json/json.h"
#include "lua/fb-playbook.h"
#include "playbook/playbook.h"
#include "store/cases.h"
#include "store/playbook.h"

#define PB_ARGS_MAX (64u << 10)
#define PB_COMMAND_MAX (256u << 10)
#define PB_ANSWER_MAX 4096
#define PB_FORKS_DEFAULT 10
#define PB_FORKS_MAX 1000

struct worker;

struct pair {
	int step;
	char *host;
	char *state;
	char *planned;
};

struct eng {
	struct store *s;
	struct playbook *pb;
	const struct pb_opts *o;
	FILE *out;
	struct fleet_inventory *inv;
	struct fleet_known *known;
	char **hosts;             /* the run's hosts, by name */
	size_t nhosts;
	char *pattern;
	char *params;             /* JSON */
	int64_t run_id, case_id;
	int step;                 /* 1-based; 0 outside steps */
	const char *host;         /* the pair's host, or NULL */
	const char *phase;        /* plan, apply, undo, run */
	char batch[17];
	struct fblua_pb_ops ops;
	int lockfd;
	struct pair *pairs;
	size_t npairs;
	int forks;                /* pairs at once (-j) */
	struct worker *cur;       /* whose step thread runs now */
};

static int eng_exec_wait(void *, struct fblua_ev *);

/* ---- small helpers ------------------------------------------------------ */

static void
make_batch(char out[17])
{
	unsigned char r[8];
	size_t i;

	if (getrandom(r, sizeof(r), 0) != (ssize_t)sizeof(r)) {
		uint64_t v = (uint64_t)fb_time_now() ^ ((uint64_t)getpid() << 32);

		memcpy(r, &v, sizeof(r));
	}
	for (i = 0; i < sizeof(r); i++)
		snprintf(out + 2 * i, 3, "%02x", r[i]);
}

static void
say(struct eng *e, const char *fmt, ...) FB_ATTR_PRINTF(2, 3);

/* Print a line made terminal-safe (it may hold host output or params). */
static void
say(struct eng *e, const char *fmt, ...)
{
	struct fb_buf b = FB_BUF_INIT, safe = FB_BUF_INIT;
	va_list ap;

	if (e->o->quiet || e->out == NULL)
		return;
	va_start(ap, fmt);
	fb_buf_vaddf(&b, fmt, ap);
	va_end(ap);
	fb_sanitize(&safe, b.data, b.len, 0);
	fputs(safe.data, e->out);
	fputc('\n', e->out);
	fflush(e->out);
	fb_buf_release(&b);
	fb_buf_release(&safe);
}

static int
host_selected(struct eng *e, const char *name)
{
	size_t i;

	for (i = 0; i < e->nhosts; i++)
		if (strcmp(e->hosts[i], name) == 0)
			return 1;
	return 0;
}

static const struct fleet_host *
inv_host(struct eng *e, const char *name)
{
	size_t i;

	for (i = 0; e->inv != NULL && i < e->inv->nhosts; i++)
		if (strcmp(e->inv->hosts[i].name, name) == 0)
			return &e->inv->hosts[i];
	return NULL;
}

static char *
run_obj(int64_t id)
{
	return xasprintf("run:%lld", (long long)id);
}

static int
audit(struct eng *e, enum store_actor_kind k, const char *action,
    struct fb_json *j)
{
	char *detail = fb_json_finish(j), *obj = run_obj(e->run_id);
	int rc;

	rc = store_audit(e->s, k, action, obj, detail, NULL);
	free(detail);
	free(obj);
	return rc;
}

static int
commit_or_rollback(struct store *s, int rc)
{
	if (rc == 0)
		return store_commit(s);
	store_rollback(s);
	return rc;
}

/* A timeline row on the run's case (inside the caller's transaction). */
static int
timeline(struct eng *e, const char *kind, const char *text, const char *data)
{
	struct store_case_event_in ev;

	if (e->case_id <= 0)
		return 0;
	memset(&ev, 0, sizeof(ev));
	ev.case_id = e->case_id;
	ev.kind = kind;
	ev.event_time = STORE_TIME_UNSET;
	ev.actor_kind = STORE_ACTOR_PLAYBOOK;
	ev.text = text;
	ev.data = data;
	return store_case_event_add_tx(e->s, &ev, NULL);
}

static int
set_state(struct eng *e, const char *state, const char *error,
    const char *action)
{
	struct fb_json *j;
	int rc;

	if ((rc = store_begin(e->s)) != 0)
		return rc;
	rc = store_run_state_tx(e->s, e->run_id, state, error);
	if (rc == 0 && action != NULL) {
		j = fb_json_new();
		fb_json_obj_begin(j);
		fb_json_kstr(j, "state", state);
		fb_json_kstr(j, "error", error);
		fb_json_obj_end(j);
		rc = audit(e, STORE_ACTOR_PLAYBOOK, action, j);
	}
	if (rc == 0 && action != NULL) {
		char *text = xasprintf("playbook %s run %lld: %s%s%s",
		    e->pb ? e->pb->name : "?", (long long)e->run_id, state,
		    error ? ": " : "", error ? error : "");

		rc = timeline(e, "playbook_run", text, NULL);
		free(text);
	}
	return commit_or_rollback(e->s, rc);
}

/* ---- inventory and known hosts ----------------------------------------- */

static int
load_known(struct eng *e)
{
	const char *home = getenv("HOME");
	char *p;
	int rc = 0;

	e->known = fleet_known_new();
	(void)fleet_known_load(e->known, "/etc/ssh/ssh_known_hosts");
	if (home != NULL) {
		p = xasprintf("%s/.ssh/known_hosts", home);
		rc = fleet_known_load(e->known, p);
		free(p);
	}
	p = xasprintf("%s/known_hosts", store_dir(e->s));
	if (rc == 0)
		rc = fleet_known_load(e->known, p);
	free(p);
	return rc;
}

static int
load_inventory(struct eng *e)
{
	char *path = fleet_inventory_path(e->o->inventory);
	int rc;

	rc = fleet_inventory_load(path, &e->inv);
	free(path);
	return rc;
}

/* Select the run's hosts from the pattern. */
static int
select_hosts(struct eng *e)
{
	size_t *idx = NULL, n = 0, i;
	int rc;

	if ((rc = fleet_inventory_match(e->inv, e->pattern, &idx, &n)) != 0)
		return rc;
	e->hosts = xcalloc(n + 1, sizeof(*e->hosts));
	for (i = 0; i < n; i++)
		e->hosts[i] = xstrdup(e->inv->hosts[idx[i]].name);
	e->nhosts = n;
	free(idx);
	if (n == 0)
		return fb_err(FB_ERR_NOENT, "no hosts match '%s'", e->pattern);
	return 0;
}

static char *
hosts_json(struct eng *e)
{
	struct fb_json *j = fb_json_new();
	size_t i;

	fb_json_arr_begin(j);
	for (i = 0; i < e->nhosts; i++)
		fb_json_str(j, e->hosts[i]);
	fb_json_arr_end(j);
	return fb_json_finish(j);
}

static int
host_name_cb(void *ud, const char *key, size_t idx, struct fblua_ev *item)
{
	struct eng *e = ud;
	const char *s = fblua_ev_str(item, "", NULL);

	(void)key;
	(void)idx;
	if (s == NULL)
		return fb_err(FB_ERR_PARSE, "run's hosts are not names");
	e->hosts = xrealloc(e->hosts, (e->nhosts + 2) * sizeof(*e->hosts));
	e->hosts[e->nhosts++] = xstrdup(s);
	e->hosts[e->nhosts] = NULL;
	return 0;
}

/* ---- the lock: one process acts on a run at a time --------------------- */

static int
lock_run(struct eng *e)
{
	char *dir = xasprintf("%s/runs", store_dir(e->s)), *p;
	int rc = 0;

	(void)fb_mkdirs(dir, 0700);
	p = xasprintf("%s/run-%lld.lock", dir, (long long)e->run_id);
	e->lockfd = open(p, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (e->lockfd < 0)
		rc = fb_err(FB_ERR_IO, "cannot open '%s': %s", p, strerror(errno));
	else if (flock(e->lockfd, LOCK_EX | LOCK_NB) != 0)
		rc = fb_err(FB_ERR_REFUSED, "run %lld is in progress in another "
		    "process", (long long)e->run_id);
	free(p);
	free(dir);
	return rc;
}

/* ---- the fb.* calls ----------------------------------------------------- */

/*
 * Journal one call and audit it (inside the caller's transaction); a is
 * its arguments as JSON (NULL: none), taken here.
 */
static int
journal_raw(struct eng *e, const char *fn, char *a, size_t alen,
    const char *result, int ok)
{
	struct fb_json *j;
	char *obj;
	int rc;

	if (a != NULL && alen > PB_ARGS_MAX) {
		char hex[FB_SHA256_HEX];

		fb_sha256_hex(a, alen, hex);
		free(a);
		j = fb_json_new();
		fb_json_obj_begin(j);
		fb_json_kbool(j, "truncated", 1);
		fb_json_kint(j, "bytes", (int64_t)alen);
		fb_json_kstr(j, "sha256", hex);
		fb_json_obj_end(j);
		a = fb_json_finish(j);
	}
	rc = store_run_call_add_tx(e->s, e->run_id, e->step > 0 ? e->step : -1,
	    e->host, e->phase, fn, a, result, ok, NULL);
	if (rc == 0) {
		j = fb_json_new();
		fb_json_obj_begin(j);
		fb_json_kstr(j, "fn", fn);
		if (e->step > 0)
			fb_json_kstr(j, "step", e->pb->steps[e->step - 1].name);
		fb_json_kstr(j, "host", e->host);
		fb_json_kstr(j, "phase", e->phase);
		fb_json_kbool(j, "ok", ok);
		fb_json_key(j, "args");
		fb_json_raw(j, a ? a : "null");
		fb_json_obj_end(j);
		obj = run_obj(e->run_id);
		{
			char *detail = fb_json_finish(j);

			rc = store_audit(e->s, STORE_ACTOR_PLAYBOOK, "run.call",
			    obj, detail, NULL);
			free(detail);
		}
		free(obj);
	}
	free(a);
	return rc;
}

/* The call's arguments as JSON (NULL for none); caller frees. */
static int
args_json(struct fblua_ev *args, char **a, size_t *alen)
{
	*a = NULL;
	*alen = 0;
	if (args != NULL && fblua_ev_json(args, "", a, alen) != 0)
		return fb_err(FB_ERR_INVAL, "arguments JSON cannot hold "
		    "(functions, userdata)");
	return 0;
}

/* Journal one call and audit it, inside the caller's transaction. */
static int
journal(struct eng *e, const char *fn, struct fblua_ev *args,
    const char *result, int ok)
{
	char *a;
	size_t alen;
	int rc;

	if ((rc = args_json(args, &a, &alen)) != 0)
		return rc;
	return journal_raw(e, fn, a, alen, result, ok);
}

/* Journal in a transaction of its own. */
static int
journal_tx(struct eng *e, const char *fn, struct fblua_ev *args,
    const char *result, int ok)
{
	int rc;

	if ((rc = store_begin(e->s)) != 0)
		return rc;
	return commit_or_rollback(e->s, journal(e, fn, args, result, ok));
}

static int
in_check(struct eng *e)
{
	return strcmp(e->phase, "plan") == 0 || strcmp(e->phase, "check") == 0;
}

static char *
str_result(const char *s)
{
	struct fb_json *j = fb_json_new();

	fb_json_str(j, s);
	return fb_json_finish(j);
}

/* Host names an exec may act on: a pattern (string) or a list of names. */
struct target_list {
	const struct fleet_host **h;
	size_t n;
	struct eng *e;
	int rc;
};

static int
target_cb(void *ud, const char *key, size_t idx, struct fblua_ev *item)
{
	struct target_list *t = ud;
	const char *name = fblua_ev_str(item, "", NULL);
	const struct fleet_host *h;

	(void)key;
	(void)idx;
	if (name == NULL || !host_selected(t->e, name) ||
	    (h = inv_host(t->e, name)) == NULL)
		return fb_err(FB_ERR_REFUSED, "host '%s' is not one of this "
		    "run's hosts", name ? name : "?");
	t->h = xrealloc(t->h, (t->n + 1) * sizeof(*t->h));
	t->h[t->n++] = h;
	return 0;
}

static int
targets(struct eng *e, struct fblua_ev *args, const char *path,
    struct target_list *t)
{
	const char *pat;
	size_t *idx = NULL, n = 0, i;
	int rc;

	memset(t, 0, sizeof(*t));
	t->e = e;
	if ((pat = fblua_ev_str(args, path, NULL)) == NULL)
		return fblua_ev_foreach(args, path, target_cb, t);
	if ((rc = fleet_inventory_match(e->inv, pat, &idx, &n)) != 0)
		return fb_err(FB_ERR_REFUSED, "%s", fb_errmsg(rc));
	for (i = 0; i < n; i++) {
		const struct fleet_host *h = &e->inv->hosts[idx[i]];

		if (!host_selected(e, h->name)) {
			free(idx);
			free(t->h);
			t->h = NULL;
			return fb_err(FB_ERR_REFUSED, "host '%s' is not one of "
			    "this run's hosts", h->name);
		}
		t->h = xrealloc(t->h, (t->n + 1) * sizeof(*t->h));
		t->h[t->n++] = h;
	}
	free(idx);
	return 0;
}

struct argv_build {
	struct fb_buf *b;
	size_t n;
};

static int
argv_cb(void *ud, const char *key, size_t idx, struct fblua_ev *item)
{
	struct argv_build *a = ud;
	size_t len;
	const char *s = fblua_ev_str(item, "", &len);

	(void)idx;
	if (key != NULL || s == NULL)
		return fb_err(FB_ERR_INVAL, "argv must be a list of strings");
	if (memchr(s, '\0', len) != NULL)
		return fb_err(FB_ERR_INVAL, "argv item %zu holds a NUL byte",
		    idx);
	if (a->n++ > 0)
		fb_buf_addch(a->b, ' ');
	fleet_shell_quote(a->b, s);
	return 0;
}

static void
opts_init(struct eng *e, struct fleet_opts *fo)
{
	fleet_opts_init(fo);
	fo->known = e->known;
	fo->connect_timeout = e->o->connect_timeout > 0 ?
	    e->o->connect_timeout : 10;
	fo->timeout = e->o->timeout;
	/* SIGINT stops between pairs; the pair's own commands finish. */
	fo->interrupted = NULL;
}

static void
remote_exec_in(struct eng *e, struct fleet_task *t, const char *command,
    struct store_remote_exec *r)
{
	const struct fleet_host *h = t->host;
	struct passwd *pw;

	memset(r, 0, sizeof(*r));
	r->batch = e->batch;
	r->host = h->name;
	r->address = h->addr;
	r->port = h->port;
	pw = h->user ? NULL : getpwuid(getuid());
	r->user = h->user ? h->user : pw ? pw->pw_name : "?";
	r->host_key = t->fingerprint;
	r->command = command;
	r->kind = fleet_kind_name(t->kind);
	r->error = t->error;
	r->has_exit = t->kind == FLEET_OK && t->exit_status >= 0;
	r->exit_status = t->exit_status;
	r->exit_signal = t->exit_signal;
	r->start_ms = t->start_ms;
	r->end_ms = t->end_ms;
	r->stdout_sha256 = t->out_sha256;
	r->stderr_sha256 = t->err_sha256;
	r->stdout_bytes = t->out_total;
	r->stderr_bytes = t->err_total;
	r->stdout_kept = t->out.data;
	r->stdout_kept_len = t->out.len;
	r->stderr_kept = t->err.data;
	r->stderr_kept_len = t->err.len;
	r->case_id = e->case_id;
	r->run_id = e->run_id;
}

/*
 * opts.evidence: a host's output (stdout, capped at 64 MiB) becomes an
 * evidence item of the run's case named after the option, tied to its
 * remote_exec row. Only when the command ran.
 */
static int
exec_evidence(struct eng *e, struct fleet_task *t, const char *command,
    const char *name, int64_t reid, int64_t *evid)
{
	struct store_evidence_in in;
	struct store_blob blob;
	char *nm;
	int rc;

	*evid = 0;
	if (t->kind != FLEET_OK)
		return 0;
	if ((rc = store_blob_put_mem(e->s, t->out.data, t->out.len,
	    &blob)) != 0)
		return rc;
	nm = xasprintf("%s-%s", t->host->name, name);
	memset(&in, 0, sizeof(in));
	in.case_id = e->case_id;
	in.blob = blob;
	in.kind = "command-output";
	in.name = nm;
	in.source_host = t->host->name;
	in.host_key = t->fingerprint;
	in.command = command;
	in.collector = "playbook exec";
	in.started = t->start_ms / 1000;
	in.finished = t->end_ms / 1000;
	in.clock_offset_ms = STORE_TIME_UNSET;
	in.orig_mtime = STORE_TIME_UNSET;
	in.orig_mode = -1;
	in.note = e->pb->name;
	in.remote_exec = reid;
	in.actor_kind = STORE_ACTOR_PLAYBOOK;
	rc = store_evidence_add_tx(e->s, &in, evid);
	free(nm);
	return rc;
}

/* An fb.exec request, taken from the script's arguments. */
struct xreq {
	struct target_list tl;
	struct fb_buf cmd;
	char *args;               /* JSON, for the journal */
	size_t alen;
	char *evname;             /* opts.evidence, or NULL */
	int timeout;
	size_t max_output;
	struct fleet_task *t;     /* tasks tl.n, while it runs */
	/* who asked: the journal rows carry their step, host and phase */
	int step;
	const char *host, *phase;
};

static void
xreq_free(struct xreq *x)
{
	if (x == NULL)
		return;
	free(x->tl.h);
	fb_buf_release(&x->cmd);
	free(x->args);
	free(x->evname);
	free(x);
}

/* Check and copy an exec's arguments (nothing runs yet). */
static int
exec_prepare(struct eng *e, struct fblua_ev *args, struct xreq **out)
{
	struct xreq *x = xcalloc(1, sizeof(*x));
	struct fleet_opts fo;
	const char *command, *evname;
	size_t clen;
	int64_t v;
	int rc;

	fb_buf_init(&x->cmd);
	if ((rc = targets(e, args, "hosts", &x->tl)) != 0)
		goto out;
	if ((command = fblua_ev_str(args, "command", &clen)) != NULL) {
		if (memchr(command, '\0', clen) != NULL) {
			rc = fb_err(FB_ERR_INVAL, "the command holds a NUL byte");
			goto out;
		}
		fb_buf_add(&x->cmd, command, clen);
	} else {
		struct argv_build ab = { &x->cmd, 0 };

		if ((rc = fblua_ev_foreach(args, "argv", argv_cb, &ab)) != 0)
			goto out;
	}
	if (x->cmd.len == 0 || x->cmd.len > PB_COMMAND_MAX) {
		rc = fb_err(FB_ERR_INVAL, "the command is empty or longer than "
		    "%u bytes", PB_COMMAND_MAX);
		goto out;
	}
	opts_init(e, &fo);
	x->timeout = fo.timeout;
	x->max_output = fo.max_output;
	if (fblua_ev_int(args, "opts.timeout", &v) == 0 && v >= 0 &&
	    v <= 86400)
		x->timeout = (int)v;
	if ((evname = fblua_ev_str(args, "opts.evidence", NULL)) != NULL) {
		if (in_check(e)) {
			rc = fb_err(FB_ERR_REFUSED, "evidence is not collected "
			    "in check");
			goto out;
		}
		x->evname = xstrdup(evname);
		x->max_output = 64u << 20;
	}
	if (fblua_ev_int(args, "opts.max_output", &v) == 0 && v > 0 &&
	    v <= (64 << 20))
		x->max_output = (size_t)v;
	rc = args_json(args, &x->args, &x->alen);
	x->step = e->step;
	x->host = e->host;
	x->phase = e->phase;
out:
	if (rc != 0) {
		xreq_free(x);
		return rc;
	}
	*out = x;
	return 0;
}

/*
 * Record a request that ran (its tasks hold the results): remote_exec
 * rows, evidence, the journal row, in one transaction; then *result is
 * the script's answer. e's step, host and phase are the request's here.
 */
static int
exec_record(struct eng *e, struct xreq *x, char **result)
{
	struct fleet_task *t = x->t;
	struct fb_json *j, *sum;
	int64_t *ids, *evids = NULL;
	size_t i, n = x->tl.n;
	char *a = x->args;
	int rc;

	e->step = x->step;
	e->host = x->host;
	e->phase = x->phase;
	x->args = NULL;
	ids = xcalloc(n + 1, sizeof(*ids));
	j = fb_json_new();
	sum = fb_json_new();
	fb_json_obj_begin(j);
	fb_json_obj_begin(sum);
	if ((rc = store_begin(e->s)) == 0) {
		for (i = 0; i < n && rc == 0; i++) {
			struct store_remote_exec r;

			remote_exec_in(e, &t[i], x->cmd.data, &r);
			rc = store_remote_exec_add(e->s, &r, &ids[i]);
		}
		if (x->evname != NULL) {
			evids = xcalloc(n + 1, sizeof(*evids));
			for (i = 0; i < n && rc == 0; i++)
				rc = exec_evidence(e, &t[i], x->cmd.data,
				    x->evname, ids[i], &evids[i]);
		}
		for (i = 0; i < n; i++) {
			int ok = t[i].kind == FLEET_OK && t[i].exit_status == 0;

			fb_json_key(j, t[i].host->name);
			fb_json_obj_begin(j);
			fb_json_kbool(j, "ok", ok);
			fb_json_kstr(j, "kind", fleet_kind_name(t[i].kind));
			if (t[i].kind == FLEET_OK && t[i].exit_status >= 0)
				fb_json_kint(j, "exit", t[i].exit_status);
			if (t[i].exit_signal[0])
				fb_json_kstr(j, "signal", t[i].exit_signal);
			fb_json_key(j, "stdout");
			fb_json_strn(j, t[i].out.data, t[i].out.len);
			fb_json_key(j, "stderr");
			fb_json_strn(j, t[i].err.data, t[i].err.len);
			if (t[i].error)
				fb_json_kstr(j, "error", t[i].error);
			fb_json_kint(j, "remote_exec", ids[i]);
			if (evids != NULL && evids[i] > 0)
				fb_json_kint(j, "evidence", evids[i]);
			fb_json_obj_end(j);
			fb_json_key(sum, t[i].host->name);
			fb_json_obj_begin(sum);
			fb_json_kstr(sum, "kind", fleet_kind_name(t[i].kind));
			if (t[i].kind == FLEET_OK && t[i].exit_status >= 0)
				fb_json_kint(sum, "exit", t[i].exit_status);
			fb_json_kint(sum, "remote_exec", ids[i]);
			fb_json_obj_end(sum);
		}
		fb_json_obj_end(sum);
		if (rc == 0) {
			rc = journal_raw(e, "exec", a, x->alen,
			    fb_json_text(sum), 1);
			a = NULL;
		}
		rc = commit_or_rollback(e->s, rc);
	}
	free(a);
	fb_json_free(sum);
	fb_json_obj_end(j);
	if (rc == 0)
		*result = fb_json_finish(j);
	else
		fb_json_free(j);
	free(ids);
	free(evids);
	return rc;
}

/*
 * Run requests x[0..n) together: those with the same timeout and output
 * cap in one fleet_run (normally all of them), then record each in turn.
 * rcs[i], msgs[i] (caller frees) and results[i] (caller frees) are
 * request i's answer. Returns 0, or an error that stops the run.
 */
static int
exec_run(struct eng *e, struct xreq **x, size_t n, int *rcs, char **msgs,
    char **results)
{
	struct fleet_opts fo;
	struct fleet_task *t;
	size_t i, k, nt, off, *grp;
	unsigned char *ran = xcalloc(n + 1, 1);
	int rc = 0;

	grp = xcalloc(n + 1, sizeof(*grp));
	for (i = 0; i < n; i++) {
		rcs[i] = fb_err(FB_ERR_INTERNAL, "the command did not run");
		msgs[i] = NULL;
		results[i] = NULL;
	}
	for (i = 0; i < n && rc == 0; i++) {
		size_t ng = 0;

		if (ran[i])
			continue;
		for (k = i, nt = 0; k < n; k++) {
			if (ran[k] || x[k]->timeout != x[i]->timeout ||
			    x[k]->max_output != x[i]->max_output)
				continue;
			ran[k] = 1;
			grp[ng++] = k;
			nt += x[k]->tl.n;
		}
		t = xcalloc(nt + 1, sizeof(*t));
		for (k = 0, off = 0; k < ng; k++) {
			struct xreq *r = x[grp[k]];
			size_t h;

			r->t = t + off;
			for (h = 0; h < r->tl.n; h++) {
				r->t[h].host = r->tl.h[h];
				r->t[h].op = FLEET_OP_EXEC;
				r->t[h].command = r->cmd.data;
			}
			off += r->tl.n;
		}
		opts_init(e, &fo);
		fo.timeout = x[i]->timeout;
		fo.max_output = x[i]->max_output;
		if (fo.jobs < e->forks)
			fo.jobs = e->forks;
		rc = fleet_run(t, nt, &fo);
		for (k = 0; k < ng; k++) {
			struct xreq *r = x[grp[k]];

			rcs[grp[k]] = rc == 0 ?
			    exec_record(e, r, &results[grp[k]]) : rc;
			if (rcs[grp[k]] != 0)
				msgs[grp[k]] = xstrdup(fb_errmsg(rcs[grp[k]]));
			r->t = NULL;
		}
		for (k = 0; k < nt; k++)
			fleet_task_release(&t[k]);
		free(t);
	}
	free(grp);
	free(ran);
	return rc;
}

/* fb.exec where it runs at once: the main thread, a script's coroutine. */
static int
call_exec(struct eng *e, struct fblua_ev *args, char **result)
{
	struct xreq *x;
	char *msg = NULL;
	int rc, xrc = 0;

	if ((rc = exec_prepare(e, args, &x)) != 0)
		return rc;
	rc = exec_run(e, &x, 1, &xrc, &msg, result);
	xreq_free(x);
	if (rc == 0 && xrc != 0)
		rc = fb_err(-xrc, "%s", msg);
	free(msg);
	return rc;
}

/* ---- fetch -------------------------------------------------------------- */

static int
call_fetch(struct eng *e, struct fblua_ev *args, char **result)
{
	const char *hn = fblua_ev_str(args, "host", NULL);
	const char *path = fblua_ev_str(args, "path", NULL);
	const struct fleet_host *h;
	struct fleet_task t;
	struct fleet_opts fo;
	struct fleet_fetch_store x;
	struct fb_json *j;
	const char *paths[1];
	size_t i, nok = 0;
	int rc;

	if (hn == NULL || path == NULL)
		return fb_err(FB_ERR_INVAL, "fetch(host, path)");
	if (path[0] != '/')
		return fb_err(FB_ERR_INVAL, "remote path '%s' is not absolute",
		    path);
	if (!host_selected(e, hn) || (h = inv_host(e, hn)) == NULL)
		return fb_err(FB_ERR_REFUSED, "host '%s' is not one of this "
		    "run's hosts", hn);
	memset(&x, 0, sizeof(x));
	x.s = e->s;
	x.max_size = 1ull << 30;
	x.max_files = 10000;
	memset(&t, 0, sizeof(t));
	paths[0] = path;
	t.host = h;
	t.op = FLEET_OP_FETCH;
	t.paths = paths;
	t.npaths = 1;
	fleet_fetch_store_attach(&x, &t);
	opts_init(e, &fo);
	fo.measure_clock = 1;
	if ((rc = fleet_run(&t, 1, &fo)) != 0)
		goto out;
	if ((rc = store_begin(e->s)) != 0)
		goto out;
	for (i = 0; i < x.n && rc == 0; i++) {
		struct fleet_fetched *ff = &x.v[i];
		struct store_evidence_in in;
		char owner[64];

		if (ff->refused != NULL)
			continue;
		fleet_fetched_evidence(ff, &in, owner);
		in.case_id = e->case_id;
		in.collector = "playbook fetch";
		in.note = e->pb->name;
		in.actor_kind = STORE_ACTOR_PLAYBOOK;
		rc = store_evidence_add_tx(e->s, &in, &ff->evidence);
		nok++;
	}
	j = fb_json_new();
	fb_json_obj_begin(j);
	fb_json_kstr(j, "host", h->name);
	fb_json_kstr(j, "kind", fleet_kind_name(t.kind));
	if (t.error)
		fb_json_kstr(j, "error", t.error);
	for (i = 0; i < x.n; i++) {
		if (x.v[i].refused == NULL) {
			fb_json_kint(j, "evidence", x.v[i].evidence);
			fb_json_kstr(j, "sha256", x.v[i].blob.sha256);
			fb_json_kint(j, "size", (int64_t)x.v[i].blob.size);
			fb_json_kstr(j, "path", x.v[i].path);
			break;
		}
	}
	fb_json_key(j, "files");
	fb_json_arr_begin(j);
	for (i = 0; i < x.n; i++) {
		fb_json_obj_begin(j);
		fb_json_kstr(j, "path", x.v[i].path);
		if (x.v[i].refused) {
			fb_json_kstr(j, "refused", x.v[i].refused);
		} else {
			fb_json_kint(j, "evidence", x.v[i].evidence);
			fb_json_kstr(j, "sha256", x.v[i].blob.sha256);
			fb_json_kint(j, "size", (int64_t)x.v[i].blob.size);
		}
		fb_json_obj_end(j);
	}
	fb_json_arr_end(j);
	fb_json_obj_end(j);
	if (rc == 0)
		rc = journal(e, "fetch", args, fb_json_text(j),
		    t.kind == FLEET_OK && nok > 0);
	rc = commit_or_rollback(e->s, rc);
	if (rc == 0 && (t.kind != FLEET_OK || nok == 0)) {
		rc = fb_err(FB_ERR_IO, "cannot fetch '%s' from '%s': %s", path,
		    h->name, t.error ? t.error : x.n > 0 && x.v[0].refused ?
		    x.v[0].refused : fleet_kind_name(t.kind));
		fb_json_free(j);
	} else if (rc == 0) {
		*result = fb_json_finish(j);
	} else {
		fb_json_free(j);
	}
out:
	fleet_fetch_store_release(&x);
	fleet_task_release(&t);
	return rc;
}

/* ---- the rest ----------------------------------------------------------- */

static int
call_hosts(struct eng *e, struct fblua_ev *args, char **result)
{
	const char *pat = fblua_ev_str(args, "pattern", NULL);
	size_t *idx = NULL, n = 0, i;
	struct fb_json *j;
	int rc;

	if ((rc = fleet_inventory_match(e->inv, pat ? pat : "all", &idx,
	    &n)) != 0) {
		(void)journal_tx(e, "hosts", args, NULL, 0);
		return fb_err(FB_ERR_NOENT, "%s", fb_errmsg(rc));
	}
	j = fb_json_new();
	fb_json_arr_begin(j);
	for (i = 0; i < n; i++)
		if (host_selected(e, e->inv->hosts[idx[i]].name))
			fb_json_str(j, e->inv->hosts[idx[i]].name);
	fb_json_arr_end(j);
	free(idx);
	if ((rc = journal_tx(e, "hosts", args, fb_json_text(j), 1)) != 0) {
		fb_json_free(j);
		return rc;
	}
	*result = fb_json_finish(j);
	return 0;
}

static int
call_log(struct eng *e, struct fblua_ev *args, char **result)
{
	const char *m = fblua_ev_str(args, "message", NULL);
	int rc;

	(void)result;
	if ((rc = journal_tx(e, "log", args, NULL, 1)) != 0)
		return rc;
	say(e, "  [%s%s%s] %s", e->step > 0 ? e->pb->steps[e->step - 1].name :
	    e->pb->name, e->host ? " " : "", e->host ? e->host : "",
	    m ? m : "");
	return 0;
}

static int
read_answer(const char *prompt, char *buf, size_t n)
{
	struct fb_buf safe = FB_BUF_INIT;
	size_t len;

	if (!isatty(STDIN_FILENO))
		return -1;
	fb_sanitize(&safe, prompt, strlen(prompt), 0);
	fprintf(stderr, "%s ", safe.data);
	fflush(stderr);
	fb_buf_release(&safe);
	if (fgets(buf, (int)n, stdin) == NULL)
		return -1;
	len = strlen(buf);
	while (len > 0 && (buf[len - 1] == '\n' || buf[len - 1] == '\r'))
		buf[--len] = '\0';
	return 0;
}

static int
call_confirm(struct eng *e, struct fblua_ev *args, char **result)
{
	const char *prompt = fblua_ev_str(args, "prompt", NULL);
	char buf[PB_ANSWER_MAX];
	char *q;
	int yes = 0, rc;

	q = xasprintf("%s [y/N]", prompt ? prompt : "");
	if (read_answer(q, buf, sizeof(buf)) == 0)
		yes = strcmp(buf, "y") == 0 || strcmp(buf, "yes") == 0;
	free(q);
	if ((rc = journal_tx(e, "confirm", args, yes ? "true" : "false",
	    1)) != 0)
		return rc;
	*result = xstrdup(yes ? "true" : "false");
	return 0;
}

static int
call_ask(struct eng *e, struct fblua_ev *args, char **result)
{
	const char *prompt = fblua_ev_str(args, "prompt", NULL);
	const char *def = fblua_ev_str(args, "default", NULL);
	char buf[PB_ANSWER_MAX];
	char *r;
	int rc;

	if (read_answer(prompt ? prompt : "", buf, sizeof(buf)) != 0) {
		if (def == NULL) {
			(void)journal_tx(e, "ask", args, NULL, 0);
			return fb_err(FB_ERR_IO, "no terminal to ask '%s'",
			    prompt ? prompt : "");
		}
		snprintf(buf, sizeof(buf), "%s", def);
	} else if (buf[0] == '\0' && def != NULL) {
		snprintf(buf, sizeof(buf), "%s", def);
	}
	r = str_result(buf);
	if ((rc = journal_tx(e, "ask", args, r, 1)) != 0) {
		free(r);
		return rc;
	}
	*result = r;
	return 0;
}

static int
call_case(struct eng *e, const char *fn, struct fblua_ev *args,
    char **result)
{
	int64_t finding;
	int rc;

	if (e->case_id <= 0) {
		(void)journal_tx(e, fn, args, NULL, 0);
		return fb_err(FB_ERR_NOENT, "this run has no case (--case N)");
	}
	if (strcmp(fn, "case.note") == 0) {
		struct store_case_event_in ev;
		const char *text = fblua_ev_str(args, "text", NULL);

		if (text == NULL || *text == '\0')
			return fb_err(FB_ERR_INVAL, "an empty note");
		memset(&ev, 0, sizeof(ev));
		ev.case_id = e->case_id;
		ev.kind = STORE_EV_NOTE;
		ev.event_time = STORE_TIME_UNSET;
		ev.actor_kind = STORE_ACTOR_PLAYBOOK;
		ev.text = text;
		if ((rc = store_begin(e->s)) != 0)
			return rc;
		rc = store_case_event_add_tx(e->s, &ev, NULL);
		if (rc == 0)
			rc = journal(e, fn, args, NULL, 1);
		if ((rc = commit_or_rollback(e->s, rc)) == 0)
			*result = xstrdup("true");
		return rc;
	}
	if (strcmp(fn, "case.link") == 0) {
		if (fblua_ev_int(args, "finding", &finding) != 0)
			return fb_err(FB_ERR_INVAL, "a finding id expected");
		rc = store_case_link(e->s, e->case_id, &finding, 1,
		    fblua_ev_str(args, "reason", NULL), STORE_ACTOR_PLAYBOOK);
	} else {
		rc = store_case_set_status(e->s, e->case_id,
		    fblua_ev_str(args, "state", NULL),
		    fblua_ev_str(args, "reason", NULL));
	}
	if (rc != 0) {
		char *msg = xstrdup(fb_errmsg(rc)), *r = str_result(msg);

		(void)journal_tx(e, fn, args, r, 0);
		free(r);
		rc = fb_err(rc == -FB_ERR_INVAL ? FB_ERR_INVAL : -rc, "%s", msg);
		free(msg);
		return rc;
	}
	if ((rc = journal_tx(e, fn, args, NULL, 1)) == 0)
		*result = xstrdup("true");
	return rc;
}

/* fb.model.get: the registered version (or the latest registered). */
struct model_find {
	const char *name, *version;
	char *json;
};

static int
model_find_cb(void *ctx, const struct store_model_row *r)
{
	struct model_find *m = ctx;
	struct fb_json *j;

	if (strcmp(r->name, m->name) != 0 ||
	    (m->version != NULL && strcmp(r->version, m->version) != 0))
		return 0;
	j = fb_json_new();
	fb_json_obj_begin(j);
	fb_json_kstr(j, "name", r->name);
	fb_json_kstr(j, "version", r->version);
	fb_json_kstr(j, "sha256", r->sha256);
	fb_json_kstr(j, "location", r->location);
	fb_json_kstr(j, "provenance", r->provenance);
	fb_json_kstr(j, "status", r->status);
	fb_json_kstr(j, "registered_at", r->registered_at);
	fb_json_obj_end(j);
	free(m->json);
	m->json = fb_json_finish(j);   /* the last match is the latest */
	return 0;
}

static int
is_key_id(const char *s)
{
	size_t i;

	for (i = 0; s[i] != '\0'; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return 0;
	return i == 16;
}

/*
 * The key and model registry. Each change is the registry's own audited
 * transaction, then the journal's. Revoking a revoked key succeeds, so a
 * resumed run can apply the step again.
 */
static int
call_registry(struct eng *e, const char *fn, struct fblua_ev *args,
    char **result)
{
	int rc;

	if (strcmp(fn, "model.get") == 0) {
		struct model_find m = { fblua_ev_str(args, "name", NULL),
		    fblua_ev_str(args, "version", NULL), NULL };

		if (m.name == NULL)
			return fb_err(FB_ERR_INVAL, "a model name expected");
		if ((rc = store_model_ls(e->s, model_find_cb, &m)) != 0) {
			free(m.json);
			return rc;
		}
		*result = m.json;
		return journal_tx(e, fn, args, *result, 1);
	}
	if (strcmp(fn, "model.register") == 0) {
		const char *name = fblua_ev_str(args, "model.name", NULL);
		const char *version = fblua_ev_str(args, "model.version", NULL);
		const char *sha = fblua_ev_str(args, "model.sha256", NULL);
		int64_t id = 0;

		if (name == NULL || version == NULL || sha == NULL)
			return fb_err(FB_ERR_INVAL, "name, version and sha256 "
			    "expected");
		rc = store_model_register(e->s, name, version, sha,
		    fblua_ev_str(args, "model.location", NULL),
		    fblua_ev_str(args, "model.provenance", NULL), &id);
		if (rc == -FB_ERR_EXIST) {
			/* The same registration again (a resumed run) is done;
			 * another hash for that version is not. */
			struct model_find m = { name, version, NULL };
			char *same = xasprintf("\"sha256\":\"%s\"", sha);

			if (store_model_ls(e->s, model_find_cb, &m) == 0 &&
			    m.json != NULL && strstr(m.json, same) != NULL)
				rc = 0;
			free(same);
			free(m.json);
		}
		if (rc == 0) {
			char num[32];

			snprintf(num, sizeof(num), "%lld", (long long)id);
			*result = xstrdup(num);
		}
	} else if (strcmp(fn, "model.set_status") == 0) {
		rc = store_model_status(e->s, fblua_ev_str(args, "name", NULL),
		    fblua_ev_str(args, "version", NULL),
		    fblua_ev_str(args, "status", NULL));
		if (rc == 0)
			*result = xstrdup("true");
	} else if (strcmp(fn, "key.revoke") == 0) {
		const char *key = fblua_ev_str(args, "key", NULL);
		const char *reason = fblua_ev_str(args, "reason", NULL);
		char *why = NULL;

		if (key == NULL || !is_key_id(key))
			return fb_err(FB_ERR_INVAL, "a key id expected (16 hex "
			    "digits: the start of the key's SHA-256)");
		if (reason == NULL)
			reason = why = xasprintf("revoked by playbook %s, run %lld",
			    e->pb->name, (long long)e->run_id);
		rc = store_key_revoke(e->s, key, reason,
		    e->case_id > 0 ? e->case_id : 0, fb_time_now());
		free(why);
		if (rc == -FB_ERR_EXIST)
			rc = 0;
		if (rc == 0)
			*result = xstrdup("true");
	} else {
		return fb_err(FB_ERR_INVAL, "unknown call");
	}
	if (rc != 0) {
		char *msg = xstrdup(fb_errmsg(rc)), *r = str_result(msg);

		(void)journal_tx(e, fn, args, r, 0);
		free(r);
		rc = fb_err(rc == -FB_ERR_NOENT ? FB_ERR_NOENT : FB_ERR_INVAL,
		    "%s", msg);
		free(msg);
		return rc;
	}
	return journal_tx(e, fn, args, *result, 1);
}

/* ---- findings: read (fb.findings) and record (fb.finding.add) ----------- */

#define PB_FINDINGS_MAX 1000
#define PB_FINDING_ASSETS 64

struct findings_out {
	struct fb_json *j;
	int64_t n;
};

static int
findings_cb(void *ctx, const char *json)
{
	struct findings_out *o = ctx;

	fb_json_raw(o->j, json);
	o->n++;
	return 0;
}

/* fb.findings(filter [, limit]): findings as `finding ls --json` has them. */
static int
call_findings(struct eng *e, struct fblua_ev *args, char **result)
{
	struct store_finding_query q;
	struct findings_out o;
	struct filter *f = NULL;
	const char *src = fblua_ev_str(args, "filter", NULL);
	int64_t limit = 100;
	int rc;

	if (fblua_ev_int(args, "limit", &limit) == -FB_ERR_INVAL ||
	    limit < 1 || limit > PB_FINDINGS_MAX)
		return fb_err(FB_ERR_INVAL, "limit: 1 to %d", PB_FINDINGS_MAX);
	if (src != NULL && *src != '\0' && (rc = filter_parse(src, &f)) != 0)
		return rc;
	memset(&q, 0, sizeof(q));
	q.filter = f;
	q.limit = limit;
	o.j = fb_json_new();
	o.n = 0;
	fb_json_arr_begin(o.j);
	rc = store_findings_ls_json(e->s, &q, findings_cb, &o);
	fb_json_arr_end(o.j);
	filter_free(f);
	*result = fb_json_finish(o.j);
	if (rc != 0) {
		free(*result);
		*result = NULL;
		return rc;
	}
	return journal_tx(e, "findings", args, *result, 1);
}

static int
finding_id_cb(void *ctx, const struct store_finding_row *r)
{
	*(int64_t *)ctx = r->id;
	return 0;
}

/* The id of the finding with fingerprint fp (suppressed or not). */
static int
finding_id(struct eng *e, const char *fp, int64_t *id)
{
	struct store_finding_query q;
	struct filter *f;
	char *src = xasprintf("fingerprint=%s", fp);
	int rc;

	*id = 0;
	rc = filter_parse(src, &f);
	free(src);
	if (rc != 0)
		return rc;
	memset(&q, 0, sizeof(q));
	q.filter = f;
	q.all = 1;
	q.limit = 1;
	rc = store_findings_ls(e->s, &q, finding_id_cb, id);
	filter_free(f);
	return rc;
}

struct finding_assets {
	struct store_asset_in a[PB_FINDING_ASSETS];
	size_t n;
	int bad;
};

static int
bounded(const char *v, size_t len, size_t max)
{
	return v != NULL && len > 0 && len <= max && fb_utf8_valid(v, len);
}

static int
finding_asset_cb(void *ud, const char *key, size_t idx, struct fblua_ev *item)
{
	struct finding_assets *fa = ud;
	struct store_asset_in *a;
	size_t lt, lv, lr = 0;

	(void)key;
	if (idx == 0 || fa->n >= PB_FINDING_ASSETS) {
		fa->bad = 1;
		return 0;
	}
	a = &fa->a[fa->n];
	memset(a, 0, sizeof(*a));
	a->type = fblua_ev_str(item, "type", &lt);
	a->value = fblua_ev_str(item, "value", &lv);
	a->role = fblua_ev_str(item, "role", &lr);
	if (!bounded(a->type, lt, 64) || !bounded(a->value, lv, 4096) ||
	    (a->role != NULL && !bounded(a->role, lr, 64))) {
		fa->bad = 1;
		return 0;
	}
	fa->n++;
	return 0;
}

/*
 * fb.finding.add{kind, rule_id, title, severity, identity, assets,
 * detail}: a finding of source "playbook:<name>", fingerprinted like an
 * ingested one (ingest_fingerprint over source, kind and the identity's
 * sorted JSON), so the same finding again is a repeat. It is stored as
 * an ingest of its own (format "playbook", its audit row) and journaled.
 */
static int
call_finding_add(struct eng *e, struct fblua_ev *args, char **result)
{
	struct store_finding_in f;
	struct store_ingest in;
	struct store_ingest_counts c;
	struct finding_assets fa;
	struct fb_json *j;
	char fp[FB_SHA256_HEX], *identity = NULL, *source, *path;
	const char *sev;
	size_t len;
	int64_t ingest_id;
	int rc, is_new = 0;

	memset(&f, 0, sizeof(f));
	memset(&fa, 0, sizeof(fa));
	f.kind = fblua_ev_str(args, "finding.kind", &len);
	if (f.kind == NULL)
		f.kind = "playbook";
	else if (!bounded(f.kind, len, 64))
		return fb_err(FB_ERR_INVAL, "kind: 1 to 64 bytes of UTF-8");
	f.rule_id = fblua_ev_str(args, "finding.rule_id", &len);
	if (f.rule_id != NULL && !bounded(f.rule_id, len, 512))
		return fb_err(FB_ERR_INVAL, "rule_id: up to 512 bytes of "
		    "UTF-8");
	f.title = fblua_ev_str(args, "finding.title", &len);
	if (!bounded(f.title, len, 1024))
		return fb_err(FB_ERR_INVAL, "title: 1 to 1024 bytes of UTF-8");
	f.detail = fblua_ev_str(args, "finding.detail", &len);
	if (f.detail != NULL && len > 0 && !bounded(f.detail, len, 65536))
		return fb_err(FB_ERR_INVAL, "detail: up to 64 KiB of UTF-8");
	sev = fblua_ev_str(args, "finding.severity", NULL);
	if (sev == NULL)
		f.severity = 0;
	else if ((f.severity = filter_severity_parse(sev)) < 0)
		return fb_err(FB_ERR_INVAL, "unknown severity");
	if (fblua_ev_type(args, "finding.identity") != FBLUA_T_TABLE ||
	    fblua_ev_json(args, "finding.identity", &identity, &len) != 0 ||
	    strcmp(identity, "{}") == 0 || len > 4096) {
		free(identity);
		return fb_err(FB_ERR_INVAL, "identity: a non-empty table "
		    "expected (the fields that make the finding the same one)");
	}
	fblua_ev_foreach(args, "finding.assets", finding_asset_cb, &fa);
	if (fa.bad) {
		free(identity);
		return fb_err(FB_ERR_INVAL, "assets: a list of up to %d "
		    "{type, value [, role]}", PB_FINDING_ASSETS);
	}
	source = xasprintf("playbook:%s", e->pb->name);
	ingest_fingerprint(source, f.kind, identity, fp);
	f.fingerprint = fp;
	f.identity = identity;
	f.source = source;
	f.assets = fa.a;
	f.nassets = fa.n;

	path = xasprintf("run:%lld", (long long)e->run_id);
	memset(&in, 0, sizeof(in));
	in.path = path;
	in.sha256 = fp;
	in.format = "playbook";
	in.adapter_version = e->pb->name;
	memset(&c, 0, sizeof(c));
	if ((rc = store_begin(e->s)) != 0)
		goto out;
	rc = store_ingest_start(e->s, &in, &ingest_id);
	if (rc == 0)
		rc = store_finding_put(e->s, ingest_id, &f, &is_new);
	if (rc == 0) {
		if (is_new)
			c.n_new = 1;
		else
			c.n_repeat = 1;
		rc = store_ingest_finish(e->s, ingest_id, &in, NULL, &c);
	}
	if (rc == 0) {
		int64_t id = 0;

		rc = finding_id(e, fp, &id);
		if (rc == 0) {
			j = fb_json_new();
			fb_json_obj_begin(j);
			fb_json_kint(j, "id", id);
			fb_json_kstr(j, "fingerprint", fp);
			fb_json_kbool(j, "new", is_new);
			fb_json_obj_end(j);
			*result = fb_json_finish(j);
			rc = journal(e, "finding.add", args, *result, 1);
		}
	}
	rc = commit_or_rollback(e->s, rc);
	if (rc != 0) {
		free(*result);
		*result = NULL;
	}
out:
	free(path);
	free(source);
	free(identity);
	return rc;
}

static int
eng_call(void *ud, const char *fn, struct fblua_ev *args, char **result)
{
	struct eng *e = ud;
	char now[FB_TIME_LEN];
	static const char *const effects[] = {
		"fetch", "case.note", "case.link", "case.status",
		"model.register", "model.set_status", "key.revoke", "confirm",
		"ask", "finding.add", NULL,
	};
	int i;

	*result = NULL;
	if (e->run_id <= 0)
		return fb_err(FB_ERR_REFUSED, "not while the playbook loads "
		    "(call it from a step)");
	for (i = 0; in_check(e) && effects[i] != NULL; i++) {
		if (strcmp(fn, effects[i]) == 0) {
			(void)journal_tx(e, fn, args, NULL, 0);
			return fb_err(FB_ERR_REFUSED, "not allowed in check "
			    "(check only looks; act in apply or run)");
		}
	}
	if (strcmp(fn, "exec") == 0)
		return call_exec(e, args, result);
	if (strcmp(fn, "fetch") == 0)
		return call_fetch(e, args, result);
	if (strcmp(fn, "hosts") == 0)
		return call_hosts(e, args, result);
	if (strcmp(fn, "log") == 0)
		return call_log(e, args, result);
	if (strcmp(fn, "confirm") == 0)
		return call_confirm(e, args, result);
	if (strcmp(fn, "ask") == 0)
		return call_ask(e, args, result);
	if (strncmp(fn, "case.", 5) == 0)
		return call_case(e, fn, args, result);
	if (strcmp(fn, "now") == 0) {
		fb_time_fmt(fb_time_now(), now);
		*result = str_result(now);
		return journal_tx(e, fn, args, *result, 1);
	}
	if (strcmp(fn, "findings") == 0)
		return call_findings(e, args, result);
	if (strcmp(fn, "finding.add") == 0) {
		int rc = call_finding_add(e, args, result);

		/* A refused finding is journaled too. */
		if (rc == -FB_ERR_INVAL)
			(void)journal_tx(e, fn, args, NULL, 0);
		return rc;
	}
	if (strncmp(fn, "model.", 6) == 0 || strncmp(fn, "key.", 4) == 0)
		return call_registry(e, fn, args, result);
	return fb_err(FB_ERR_INVAL, "unknown call");
}

/* ---- loading ------------------------------------------------------------ */

static void
lint_problem(void *ctx, const char *sev, const char *msg)
{
	struct eng *e = ctx;

	if (strcmp(sev, "error") == 0 && e->out != NULL)
		fprintf(stderr, "error: %s\n", msg);
}

static int
eng_load(struct eng *e, const char *path)
{
	int rc;

	e->ops.ud = e;
	e->ops.call = eng_call;
	e->ops.exec_wait = eng_exec_wait;
	e->phase = "plan";
	if ((rc = pb_load(path, &e->ops, "{}", lint_problem, e, &e->pb)) != 0)
		return rc;
	return 0;
}

static void
eng_release(struct eng *e)
{
	size_t i;

	pb_free(e->pb);
	fleet_inventory_free(e->inv);
	fleet_known_free(e->known);
	for (i = 0; i < e->nhosts; i++)
		free(e->hosts[i]);
	free(e->hosts);
	for (i = 0; i < e->npairs; i++) {
		free(e->pairs[i].host);
		free(e->pairs[i].state);
		free(e->pairs[i].planned);
	}
	free(e->pairs);
	free(e->pattern);
	free(e->params);
	if (e->lockfd > 0)
		close(e->lockfd);
}

/* ---- plan --------------------------------------------------------------- */

struct check_out {
	char *json;
	int change;
};

enum { RUN_APPLY, RUN_UNDO, RUN_PLAN };

/* A check made while planning: what it found, or how it failed. */
struct plan_slot {
	int ran, rc;
	char *err;
	struct check_out c;
};

static int run_pairs(struct eng *, const struct pb_step *, struct pair **,
    size_t, int, struct plan_slot *, size_t[3], const char **);

static int
check_ret(void *ud, struct fblua_ev *r)
{
	struct check_out *c = ud;
	enum fblua_type t = fblua_ev_type(r, "");
	int b;

	if (t == FBLUA_T_NONE || t == FBLUA_T_NULL)
		return 0;
	if (t == FBLUA_T_BOOL && fblua_ev_bool(r, "", &b) == 0 && !b)
		return 0;
	if (fblua_ev_json(r, "", &c->json, NULL) != 0)
		return fb_err(FB_ERR_LUA, "check returned a value that JSON "
		    "cannot hold");
	c->change = 1;
	return 0;
}

/* Run check for (step, host): 0 with *change set, or an error. */
static int
run_check(struct eng *e, int step, const char *host, struct check_out *c)
{
	int rc;

	memset(c, 0, sizeof(*c));
	e->step = step;
	e->host = host;
	rc = fblua_playbook_call(e->pb->lua, e->pb->script, step, "check",
	    host, check_ret, c);
	if (rc != 0) {
		free(c->json);
		c->json = NULL;
	}
	return rc;
}

static void
pairs_clear(struct eng *e)
{
	size_t i;

	for (i = 0; i < e->npairs; i++) {
		free(e->pairs[i].host);
		free(e->pairs[i].state);
		free(e->pairs[i].planned);
	}
	free(e->pairs);
	e->pairs = NULL;
	e->npairs = 0;
}

static void
pair_add(struct eng *e, int step, const char *host, const char *state,
    const char *planned)
{
	struct pair *p;

	e->pairs = xrealloc(e->pairs, (e->npairs + 1) * sizeof(*e->pairs));
	p = &e->pairs[e->npairs++];
	p->step = step;
	p->host = xstrdup(host);
	p->state = xstrdup(state);
	p->planned = planned ? xstrdup(planned) : NULL;
}

/*
 * Run every check; fill e->pairs and the plan text and hash. *approval is
 * set when a destructive step has something to do. With dry_run, a step
 * that applies without a check blocks the plan.
 */
static int
make_plan(struct eng *e, const char *source_sha, int dry_run, char **plan,
    char sha[FB_SHA256_HEX], int *approval)
{
	struct fb_json *j = fb_json_new();
	size_t si, h;
	int rc = 0;

	*approval = 0;
	pairs_clear(e);
	e->phase = "plan";
	fb_json_obj_begin(j);
	fb_json_kstr(j, "playbook", e->pb->name);
	fb_json_kstr(j, "source_sha256", source_sha);
	fb_json_key(j, "params");
	fb_json_raw(j, e->params);
	fb_json_key(j, "hosts");
	fb_json_arr_begin(j);
	for (h = 0; h < e->nhosts; h++)
		fb_json_str(j, e->hosts[h]);
	fb_json_arr_end(j);
	fb_json_key(j, "steps");
	fb_json_arr_begin(j);
	for (si = 0; si < e->pb->nsteps && rc == 0; si++) {
		const struct pb_step *st = &e->pb->steps[si];
		int pending = 0;

		fb_json_obj_begin(j);
		fb_json_kint(j, "step", (int64_t)si + 1);
		fb_json_kstr(j, "name", st->name);
		fb_json_kbool(j, "destructive", st->destructive);
		fb_json_key(j, "changes");
		if (st->has_run) {
			fb_json_str(j, "runs once");
			pair_add(e, (int)si + 1, "", "pending", NULL);
			pending = 1;
		} else if (!st->has_check) {
			if (dry_run) {
				rc = fb_err(FB_ERR_REFUSED, "step %zu '%s' has "
				    "no check, so a dry run cannot say what it "
				    "would change; add check(host) to the step",
				    si + 1, st->name);
				break;
			}
			fb_json_str(j, "unknown: the step has no check");
			for (h = 0; h < e->nhosts; h++)
				pair_add(e, (int)si + 1, e->hosts[h], "pending",
				    NULL);
			pending = 1;
		} else {
			/* The checks run at once (-j); the plan is in host order. */
			struct plan_slot *sl = xcalloc(e->nhosts + 1, sizeof(*sl));
			struct pair *fake = xcalloc(e->nhosts + 1, sizeof(*fake));
			struct pair **ps = xcalloc(e->nhosts + 1, sizeof(*ps));
			size_t cnt[3] = { 0, 0, 0 };
			const char *why = NULL;

			for (h = 0; h < e->nhosts; h++) {
				fake[h].step = (int)si + 1;
				fake[h].host = e->hosts[h];
				ps[h] = &fake[h];
			}
			rc = run_pairs(e, st, ps, e->nhosts, RUN_PLAN, sl, cnt,
			    &why);
			fb_json_obj_begin(j);
			for (h = 0; h < e->nhosts && rc == 0; h++) {
				struct plan_slot *c = &sl[h];

				if (!c->ran) {
					rc = fb_err(FB_ERR_REFUSED, "interrupted "
					    "while planning");
					break;
				}
				if (c->rc != 0) {
					rc = fb_err(-c->rc, "step %zu '%s' check on "
					    "'%s': %s (every check must succeed "
					    "to make a plan; leave a host out "
					    "with -l '%s:!%s')", si + 1, st->name,
					    e->hosts[h], c->err, e->pattern,
					    e->hosts[h]);
					break;
				}
				fb_json_key(j, e->hosts[h]);
				if (c->c.change) {
					fb_json_raw(j, c->c.json);
					pending = 1;
				} else {
					fb_json_null(j);
				}
				pair_add(e, (int)si + 1, e->hosts[h],
				    c->c.change ? "pending" : "unchanged",
				    c->c.json);
			}
			for (h = 0; h < e->nhosts; h++) {
				free(sl[h].err);
				free(sl[h].c.json);
			}
			free(sl);
			free(fake);
			free(ps);
			fb_json_obj_end(j);
		}
		fb_json_obj_end(j);
		if (st->destructive && pending)
			*approval = 1;
	}
	e->step = 0;
	e->host = NULL;
	if (rc != 0) {
		fb_json_free(j);
		return rc;
	}
	fb_json_arr_end(j);
	fb_json_obj_end(j);
	*plan = fb_json_finish(j);
	fb_sha256_hex(*plan, strlen(*plan), sha);
	return 0;
}

static int
save_plan(struct eng *e, const char *plan, const char *sha)
{
	struct fb_json *j;
	size_t i;
	int rc;

	if ((rc = store_begin(e->s)) != 0)
		return rc;
	rc = store_run_plan_tx(e->s, e->run_id, plan, sha);
	for (i = 0; i < e->npairs && rc == 0; i++)
		rc = store_run_step_put_tx(e->s, e->run_id, e->pairs[i].step,
		    e->pb->steps[e->pairs[i].step - 1].name, e->pairs[i].host,
		    e->pairs[i].state, e->pairs[i].planned);
	if (rc == 0) {
		j = fb_json_new();
		fb_json_obj_begin(j);
		fb_json_kstr(j, "plan_sha256", sha);
		fb_json_kint(j, "pairs", (int64_t)e->npairs);
		fb_json_obj_end(j);
		rc = audit(e, STORE_ACTOR_PLAYBOOK, "run.plan", j);
	}
	return commit_or_rollback(e->s, rc);
}

static void
print_change(struct eng *e, const char *host, const char *json)
{
	/* A string change prints as text; anything else as its JSON. */
	if (json == NULL) {
		say(e, "  %-20s no change", host);
	} else if (json[0] == '"') {
		struct fb_buf b = FB_BUF_INIT;
		const char *p;

		/* Decode just enough of a JSON string to show it. */
		for (p = json + 1; *p && !(p[0] == '"' && p[1] == '\0'); p++) {
			if (*p == '\\' && p[1]) {
				p++;
				fb_buf_addch(&b, *p == 'n' ? '\n' : *p == 't' ?
				    '\t' : *p);
			} else {
				fb_buf_addch(&b, *p);
			}
		}
		say(e, "  %-20s %s", host, b.data);
		fb_buf_release(&b);
	} else {
		say(e, "  %-20s %s", host, json);
	}
}

static void
print_plan(struct eng *e, const char *sha)
{
	size_t si, i;

	say(e, "plan for run %lld: playbook %s on %zu host%s", (long long)e->run_id,
	    e->pb->name, e->nhosts, e->nhosts == 1 ? "" : "s");
	for (si = 0; si < e->pb->nsteps; si++) {
		const struct pb_step *st = &e->pb->steps[si];

		say(e, "step %zu '%s'%s%s", si + 1, st->name,
		    st->destructive ? " [destructive]" : "",
		    st->has_run ? ": runs once" : !st->has_check ?
		    ": no check, applies everywhere" : "");
		if (!st->has_check)
			continue;
		for (i = 0; i < e->npairs; i++)
			if (e->pairs[i].step == (int)si + 1)
				print_change(e, e->pairs[i].host,
				    e->pairs[i].planned);
	}
	say(e, "plan sha256 %s", sha);
}

/* ---- apply -------------------------------------------------------------- */

static int
pairs_load_cb(void *ctx, const struct store_run_step_row *r)
{
	struct eng *e = ctx;

	pair_add(e, r->step, r->host, r->state, r->planned);
	return 0;
}

static int
pairs_load(struct eng *e)
{
	pairs_clear(e);
	return store_run_steps(e->s, e->run_id, pairs_load_cb, e);
}

static int
pair_set(struct eng *e, struct pair *p, const char *state,
    const char *result, const char *error, int started, int applied)
{
	int rc;

	if ((rc = store_begin(e->s)) != 0)
		return rc;
	rc = store_run_step_set_tx(e->s, e->run_id, p->step, p->host, state,
	    result, error, started, applied);
	rc = commit_or_rollback(e->s, rc);
	if (rc == 0) {
		free(p->state);
		p->state = xstrdup(state);
	}
	return rc;
}

static int
state_cb(void *ctx, const struct store_run_row *r)
{
	snprintf(ctx, 32, "%s", r->state);
	return 0;
}

static int
should_stop(struct eng *e, const char **why)
{
	char state[32] = "";

	if (e->o->interrupted && *e->o->interrupted) {
		*why = "interrupted";
		return 1;
	}
	if (store_run_get(e->s, e->run_id, state_cb, state) == 0 &&
	    strcmp(state, "aborted") == 0) {
		*why = "aborted";
		return 1;
	}
	return 0;
}

struct apply_out {
	char *json;
};

static int
apply_ret(void *ud, struct fblua_ev *r)
{
	struct apply_out *a = ud;
	enum fblua_type t = fblua_ev_type(r, "");

	if (t != FBLUA_T_NONE && t != FBLUA_T_NULL)
		(void)fblua_ev_json(r, "", &a->json, NULL);
	return 0;
}

enum { PAIR_DONE, PAIR_UNCHANGED, PAIR_FAILED };

/* One (step, host) pair. Returns 0 with *res, or a fatal error. */
static int
do_pair(struct eng *e, const struct pb_step *st, struct pair *p, int *res)
{
	const char *host = p->host[0] ? p->host : NULL;
	int was_applying = strcmp(p->state, "applying") == 0;
	struct apply_out ao = { NULL };
	struct check_out c;
	char *err;
	int rc;

	e->step = p->step;
	e->host = host;
	if ((rc = pair_set(e, p, "applying", NULL, NULL, 1, 0)) != 0)
		return rc;
	if (st->has_check) {
		e->phase = "check";
		rc = run_check(e, p->step, host, &c);
		if (rc == -FB_ERR_LIMIT) {
			err = xstrdup(fb_errmsg(rc));
			(void)pair_set(e, p, "failed", NULL, err, 0, 0);
			rc = fb_err(FB_ERR_LIMIT, "%s", err);
			free(err);
			return rc;
		}
		if (rc != 0) {
			err = xasprintf("check: %s", fb_errmsg(rc));
			rc = pair_set(e, p, "failed", NULL, err, 0, 0);
			say(e, "  %-20s failed: %s", host ? host : "-", err);
			free(err);
			*res = PAIR_FAILED;
			return rc;
		}
		free(c.json);
		if (!c.change) {
			*res = PAIR_UNCHANGED;
			say(e, "  %-20s no change", host ? host : "-");
			return pair_set(e, p, "unchanged", NULL, NULL, 0, 0);
		}
	} else if (st->has_apply && was_applying && !e->o->force) {
		*res = PAIR_FAILED;
		err = xstrdup("interrupted while applying and the step has no "
		    "check to tell whether it took effect; inspect the host, "
		    "then resume with --force to apply again");
		say(e, "  %-20s failed: %s", host ? host : "-", err);
		rc = pair_set(e, p, "failed", NULL, err, 0, 0);
		free(err);
		return rc;
	}
	e->phase = st->has_run ? "run" : "apply";
	rc = fblua_playbook_call(e->pb->lua, e->pb->script, p->step,
	    st->has_run ? "run" : "apply", host, apply_ret, &ao);
	if (rc == -FB_ERR_LIMIT) {
		err = xstrdup(fb_errmsg(rc));
		free(ao.json);
		(void)pair_set(e, p, "failed", NULL, err, 0, 0);
		rc = fb_err(FB_ERR_LIMIT, "%s", err);
		free(err);
		return rc;
	}
	if (rc != 0) {
		int fatal = rc;

		err = xstrdup(fb_errmsg(rc));
		say(e, "  %-20s failed: %s", host ? host : "-", err);
		rc = pair_set(e, p, "failed", NULL, err, 0, 0);
		*res = PAIR_FAILED;
		/* A step that runs once is the run's own code: it stops. */
		if (rc == 0 && st->has_run)
			rc = fb_err(-fatal, "step %d '%s': %s", p->step,
			    st->name, err);
		free(err);
	} else {
		say(e, "  %-20s %s", host ? host : "-", st->has_run ? "done" :
		    "applied");
		rc = pair_set(e, p, "done", ao.json, NULL, 0, 1);
		*res = PAIR_DONE;
	}
	free(ao.json);
	return rc;
}

/* ---- pairs at once ------------------------------------------------------ */

/*
 * The pairs of a batch run at once, at most e->forks of them, each on a
 * step thread of its own (fblua_step_*). A thread runs until its step
 * function returns or it waits in fb.exec; when every running thread
 * waits, the commands of all of them run together (exec_run: one
 * fleet_run) and each is resumed with its answer. Only one thread runs
 * Lua at a time, and e->step, e->host and e->phase are set to its pair
 * before each resume, so each journal row names the pair that made the
 * call. A pair is committed "applying" before its thread starts and its
 * end state as soon as it ends.
 */
enum { PAIR_UNDONE = PAIR_DONE };

struct worker {
	struct pair *p;
	const struct pb_step *st;
	struct plan_slot *plan;   /* planning: the check's outcome goes here */
	struct fblua_step *thr;
	int start_rc;             /* the thread could not be made */
	const char *fn;           /* check, apply, undo */
	const char *phase;        /* as journaled: plan, check, apply, undo */
	struct xreq *req;         /* waiting in fb.exec */
	int arc;                  /* fb.exec's answer for the next resume */
	char *msg, *res;
	int busy;
	int res_kind;             /* PAIR_* when it ended */
};

static int
eng_exec_wait(void *ud, struct fblua_ev *args)
{
	struct eng *e = ud;
	struct worker *w = e->cur;

	if (w == NULL || w->req != NULL)
		return fb_err(FB_ERR_INTERNAL, "no step waits here");
	return exec_prepare(e, args, &w->req);
}

static void
worker_clear(struct worker *w)
{
	fblua_step_free(w->thr);
	xreq_free(w->req);
	free(w->msg);
	free(w->res);
	memset(w, 0, sizeof(*w));
}

/* Make the thread for w's next function; a failure ends it later. */
static void
worker_phase(struct eng *e, struct worker *w, const char *fn,
    const char *phase)
{
	fblua_step_free(w->thr);
	w->thr = NULL;
	w->fn = fn;
	w->phase = phase;
	w->start_rc = fblua_step_new(e->pb->lua, e->pb->script, w->p->step,
	    fn, w->p->host[0] ? w->p->host : NULL, &w->thr);
}

/* Start pair p on w: commit its state, then make its first thread. */
static int
worker_start(struct eng *e, const struct pb_step *st, struct pair *p,
    struct worker *w, int mode, struct plan_slot *slot)
{
	const char *host = p->host[0] ? p->host : NULL;
	int was_applying, rc;
	char *err;

	memset(w, 0, sizeof(*w));
	w->p = p;
	w->st = st;
	e->step = p->step;
	e->host = host;
	if (mode == RUN_PLAN) {
		w->plan = slot;
		w->busy = 1;
		worker_phase(e, w, "check", "plan");
		return 0;
	}
	if (mode == RUN_UNDO) {
		if ((rc = pair_set(e, p, "undoing", NULL, NULL, 1, 0)) != 0)
			return rc;
		w->busy = 1;
		worker_phase(e, w, "undo", "undo");
		return 0;
	}
	was_applying = strcmp(p->state, "applying") == 0;
	if ((rc = pair_set(e, p, "applying", NULL, NULL, 1, 0)) != 0)
		return rc;
	if (!st->has_check && st->has_apply && was_applying && !e->o->force) {
		w->res_kind = PAIR_FAILED;
		err = xstrdup("interrupted while applying and the step has no "
		    "check to tell whether it took effect; inspect the host, "
		    "then resume with --force to apply again");
		say(e, "  %-20s failed: %s", host ? host : "-", err);
		rc = pair_set(e, p, "failed", NULL, err, 0, 0);
		free(err);
		return rc;
	}
	w->busy = 1;
	if (st->has_check)
		worker_phase(e, w, "check", "check");
	else
		worker_phase(e, w, "apply", "apply");
	return 0;
}

/*
 * Resume w until its pair waits in fb.exec (w->req set) or ends (w->busy
 * cleared, w->res_kind says how). Returns 0, or an error that stops the
 * run (the budget, the memory cap, the store).
 */
static int
worker_run(struct eng *e, struct worker *w)
{
	struct pair *p = w->p;
	const char *host = p->host[0] ? p->host : NULL;
	struct check_out c;
	struct apply_out ao;
	char *err;
	int rc, waiting, check;

	for (;;) {
		check = strcmp(w->fn, "check") == 0;
		memset(&c, 0, sizeof(c));
		ao.json = NULL;
		e->step = p->step;
		e->host = host;
		e->phase = w->phase;
		if (w->thr == NULL) {
			rc = w->start_rc;
			waiting = 0;
		} else {
			e->cur = w;
			/* The answer is the thread's now. */
			rc = fblua_step_resume(w->thr, w->arc, w->msg, w->res,
			    check ? check_ret : apply_ret, check ? (void *)&c :
			    (void *)&ao, &waiting);
			w->msg = w->res = NULL;
			e->cur = NULL;
		}
		free(w->msg);
		free(w->res);
		w->msg = w->res = NULL;
		if (rc == 0 && waiting) {
			if (w->req != NULL)
				return 0;
			rc = fb_err(FB_ERR_LUA, "attempt to yield from outside "
			    "a coroutine");
		}
		if (w->plan != NULL) {
			/* Planning commits nothing: keep what the check found. */
			w->plan->ran = 1;
			w->plan->rc = rc;
			if (rc != 0)
				w->plan->err = xstrdup(fb_errmsg(rc));
			w->plan->c = c;
			free(ao.json);
			worker_clear(w);
			return 0;
		}
		if (rc == -FB_ERR_LIMIT) {
			/* The run stops; an undo stays "undoing" for next time. */
			err = xstrdup(fb_errmsg(rc));
			if (strcmp(w->fn, "undo") != 0)
				(void)pair_set(e, p, "failed", NULL, err, 0, 0);
			rc = fb_err(FB_ERR_LIMIT, "%s", err);
			free(err);
			free(c.json);
			free(ao.json);
			worker_clear(w);
			return rc;
		}
		if (check && rc == 0 && c.change) {
			free(c.json);
			worker_phase(e, w, "apply", "apply");
			continue;
		}
		break;
	}
	if (strcmp(w->fn, "undo") == 0) {
		if (rc != 0) {
			err = xstrdup(fb_errmsg(rc));
			say(e, "  %-20s undo failed: %s", p->host, err);
			rc = pair_set(e, p, "undo-failed", NULL, err, 0, 0);
			free(err);
			w->res_kind = PAIR_FAILED;
		} else {
			say(e, "  %-20s undone", p->host);
			rc = pair_set(e, p, "undone", NULL, NULL, 0, 0);
			w->res_kind = PAIR_UNDONE;
		}
	} else if (check) {
		if (rc != 0) {
			err = xasprintf("check: %s", fb_errmsg(rc));
			rc = pair_set(e, p, "failed", NULL, err, 0, 0);
			say(e, "  %-20s failed: %s", host ? host : "-", err);
			free(err);
			w->res_kind = PAIR_FAILED;
		} else {
			w->res_kind = PAIR_UNCHANGED;
			say(e, "  %-20s no change", host ? host : "-");
			rc = pair_set(e, p, "unchanged", NULL, NULL, 0, 0);
		}
	} else if (rc != 0) {
		err = xstrdup(fb_errmsg(rc));
		say(e, "  %-20s failed: %s", host ? host : "-", err);
		rc = pair_set(e, p, "failed", NULL, err, 0, 0);
		free(err);
		w->res_kind = PAIR_FAILED;
	} else {
		say(e, "  %-20s applied", host ? host : "-");
		rc = pair_set(e, p, "done", ao.json, NULL, 0, 1);
		w->res_kind = PAIR_DONE;
	}
	free(c.json);
	free(ao.json);
	{
		int kind = w->res_kind;

		worker_clear(w);
		w->res_kind = kind;
	}
	return rc;
}

/* Planning starts no more checks after SIGINT or a failed check. */
static int
plan_stop(struct eng *e, const struct plan_slot *slots, size_t n)
{
	size_t i;

	if (e->o->interrupted && *e->o->interrupted)
		return 1;
	for (i = 0; i < n; i++)
		if (slots[i].ran && slots[i].rc != 0)
			return 1;
	return 0;
}

/*
 * Run pairs ps[0..n) of one batch (RUN_UNDO: their undo; RUN_PLAN: their
 * check, into slots[i], committing nothing), at most e->forks at once;
 * count how each ended in cnt[PAIR_*]. SIGINT or an abort stops starting
 * pairs (*why says which; planning: SIGINT or a failed check); started
 * ones run to their end. Returns 0 or an error that stops the run: then
 * started pairs are left as they were committed ("applying"), for resume
 * to re-check.
 */
static int
run_pairs(struct eng *e, const struct pb_step *st, struct pair **ps,
    size_t n, int mode, struct plan_slot *slots, size_t cnt[3],
    const char **why)
{
	size_t nw = (size_t)e->forks, next = 0, i, nx, nbusy;
	struct worker *w = xcalloc(nw, sizeof(*w));
	struct xreq **xs = xcalloc(nw + 1, sizeof(*xs));
	size_t *who = xcalloc(nw + 1, sizeof(*who));
	char **results = xcalloc(nw + 1, sizeof(*results));
	char **msgs = xcalloc(nw + 1, sizeof(*msgs));
	int *rcs = xcalloc(nw + 1, sizeof(*rcs));
	int rc = 0, stop = 0;

	for (;;) {
		/* Start pairs while there is room. */
		for (i = 0; i < nw && next < n && !stop && rc == 0; i++) {
			if (w[i].busy)
				continue;
			if (mode == RUN_PLAN ? plan_stop(e, slots, next) :
			    should_stop(e, why)) {
				stop = 1;
				break;
			}
			rc = worker_start(e, st, ps[next], &w[i], mode,
			    slots ? &slots[next] : NULL);
			next++;
			if (rc == 0 && !w[i].busy)
				cnt[w[i].res_kind]++;
		}
		/* Run each until it waits in fb.exec or ends. */
		for (i = 0; i < nw && rc == 0; i++) {
			if (!w[i].busy || w[i].req != NULL)
				continue;
			rc = worker_run(e, &w[i]);
			if (rc == 0 && !w[i].busy && mode != RUN_PLAN)
				cnt[w[i].res_kind]++;
		}
		if (rc != 0)
			break;
		for (i = 0, nbusy = 0; i < nw; i++)
			nbusy += w[i].busy;
		if (nbusy < nw && next < n && !stop)
			continue;       /* room again: let more pairs join */
		if (nbusy == 0)
			break;
		/* Everyone running waits in fb.exec: run them all at once. */
		for (i = 0, nx = 0; i < nw; i++) {
			if (w[i].busy) {
				who[nx] = i;
				xs[nx++] = w[i].req;
			}
		}
		rc = exec_run(e, xs, nx, rcs, msgs, results);
		for (i = 0; i < nx; i++) {
			struct worker *x = &w[who[i]];

			x->arc = rcs[i];
			x->msg = msgs[i];
			x->res = results[i];
			xreq_free(x->req);
			x->req = NULL;
		}
		if (rc != 0)
			break;
	}
	for (i = 0; i < nw; i++)
		worker_clear(&w[i]);
	e->step = 0;
	e->host = NULL;
	free(w);
	free(xs);
	free(who);
	free(results);
	free(msgs);
	free(rcs);
	return rc;
}

static int
step_event(struct eng *e, const struct pb_step *st, int step, size_t done,
    size_t unchanged, size_t failed, const char *verb)
{
	struct fb_json *j;
	char *text, *data;
	int rc;

	if (e->case_id <= 0)
		return 0;
	j = fb_json_new();
	fb_json_obj_begin(j);
	fb_json_kint(j, "run", e->run_id);
	fb_json_kint(j, "step", step);
	fb_json_kstr(j, "name", st->name);
	fb_json_kint(j, verb[0] == 'u' ? "undone" : "applied", (int64_t)done);
	fb_json_kint(j, "unchanged", (int64_t)unchanged);
	fb_json_kint(j, "failed", (int64_t)failed);
	fb_json_obj_end(j);
	data = fb_json_finish(j);
	text = xasprintf("run %lld step %d '%s': %zu %s, %zu unchanged, %zu "
	    "failed", (long long)e->run_id, step, st->name, done, verb,
	    unchanged, failed);
	if ((rc = store_begin(e->s)) == 0)
		rc = commit_or_rollback(e->s, timeline(e,
		    STORE_EV_PLAYBOOK_STEP, text, data));
	free(text);
	free(data);
	return rc;
}

static int
is_finished(const char *state)
{
	return strcmp(state, "done") == 0 || strcmp(state, "unchanged") == 0 ||
	    strcmp(state, "undone") == 0 || strcmp(state, "undoing") == 0 ||
	    strcmp(state, "undo-failed") == 0;
}

static int
apply_all(struct eng *e, enum pb_outcome *outcome)
{
	size_t si, i, total_failed = 0;
	const char *why = NULL;
	char *err = NULL;
	int rc = 0, stop = 0;

	if ((rc = pairs_load(e)) != 0)
		return rc;
	if ((rc = set_state(e, "running", NULL, NULL)) != 0)
		return rc;
	for (si = 0; si < e->pb->nsteps && !stop && rc == 0; si++) {
		const struct pb_step *st = &e->pb->steps[si];
		size_t n = 0, seen = 0, done = 0, unchanged = 0, failed = 0;
		size_t batch;
		int any = 0;

		for (i = 0; i < e->npairs; i++)
			if (e->pairs[i].step == (int)si + 1)
				n++;
		batch = st->batch > 0 ? (size_t)st->batch : n;
		/*
		 * A step that runs once is the run's own code, on the main
		 * thread; the pairs of a batch run at once (run_pairs).
		 * max_fail is weighed after each batch, as the pairs of a
		 * step are counted in order (finished ones included).
		 */
		for (i = 0; i < e->npairs && rc == 0 && !stop; ) {
			struct pair **ps = NULL;
			size_t nps = 0, cnt[3] = { 0, 0, 0 };

			for (; i < e->npairs; i++) {
				struct pair *p = &e->pairs[i];

				if (p->step != (int)si + 1)
					continue;
				seen++;
				if (!is_finished(p->state)) {
					ps = xrealloc(ps, (nps + 1) *
					    sizeof(*ps));
					ps[nps++] = p;
				}
				if (seen % batch == 0 || seen == n) {
					i++;
					break;
				}
			}
			if (nps > 0 && should_stop(e, &why)) {
				free(ps);
				stop = 1;
				break;
			}
			if (nps > 0 && !any)
				say(e, "step %zu '%s'", si + 1, st->name);
			any = any || nps > 0;
			if (nps > 0 && st->has_run) {
				int res = PAIR_FAILED;

				rc = do_pair(e, st, ps[0], &res);
				if (rc == 0)
					cnt[res]++;
			} else if (nps > 0) {
				rc = run_pairs(e, st, ps, nps, RUN_APPLY, NULL,
				    cnt, &why);
				if (rc == 0 && why != NULL)
					stop = 1;
			}
			free(ps);
			done += cnt[PAIR_DONE];
			unchanged += cnt[PAIR_UNCHANGED];
			failed += cnt[PAIR_FAILED];
			if (rc == 0 && failed > 0 &&
			    (double)failed * 100.0 / (double)n > st->max_fail) {
				err = xasprintf("step %zu '%s': %zu of %zu "
				    "host%s failed (max_fail %g%%)", si + 1,
				    st->name, failed, n, n == 1 ? "" : "s",
				    st->max_fail);
				stop = 1;
				break;
			}
		}
		total_failed += failed;
		if (rc == 0 && any)
			rc = step_event(e, st, (int)si + 1, done, unchanged,
			    failed, "applied");
	}
	e->step = 0;
	e->host = NULL;
	if (rc == -FB_ERR_LIMIT || (rc != 0 && err == NULL)) {
		char *m = xstrdup(fb_errmsg(rc));

		(void)set_state(e, "failed", m, "run.finish");
		rc = fb_err(-rc, "run %lld stopped: %s", (long long)e->run_id, m);
		free(m);
		free(err);
		return rc;
	}
	if (why != NULL && strcmp(why, "interrupted") == 0) {
		rc = set_state(e, "interrupted", "interrupted (SIGINT)",
		    "run.finish");
		say(e, "run %lld interrupted; resume with: firebreak run resume "
		    "%lld", (long long)e->run_id, (long long)e->run_id);
		*outcome = PB_PARTIAL;
	} else if (why != NULL) {
		say(e, "run %lld was aborted", (long long)e->run_id);
		*outcome = PB_FAILED;
	} else if (err != NULL || total_failed > 0) {
		rc = set_state(e, "failed", err ? err : "some hosts failed",
		    "run.finish");
		say(e, "run %lld failed: %s; fix the hosts, then: firebreak run "
		    "resume %lld", (long long)e->run_id, err ? err :
		    "some hosts failed", (long long)e->run_id);
		*outcome = PB_PARTIAL;
	} else {
		rc = set_state(e, "done", NULL, "run.finish");
		say(e, "run %lld done", (long long)e->run_id);
		*outcome = PB_DONE;
	}
	free(err);
	return rc;
}

/* ---- entry points ------------------------------------------------------- */

static void
eng_init(struct eng *e, struct store *s, const struct pb_opts *o)
{
	memset(e, 0, sizeof(*e));
	e->s = s;
	e->o = o;
	e->out = o->out ? o->out : stdout;
	e->lockfd = -1;
	e->forks = o->forks > 0 ? o->forks : PB_FORKS_DEFAULT;
	if (e->forks > PB_FORKS_MAX)
		e->forks = PB_FORKS_MAX;
	make_batch(e->batch);
}

static int
await_approval(struct eng *e, const char *sha, enum pb_outcome *outcome)
{
	int rc;

	if ((rc = set_state(e, "awaiting-approval", NULL, "run.await")) != 0)
		return rc;
	say(e, "run %lld has destructive steps and awaits approval of this "
	    "plan:", (long long)e->run_id);
	say(e, "  firebreak run approve %lld --plan %s", (long long)e->run_id,
	    sha);
	*outcome = PB_AWAITING;
	return 0;
}

static int
approve(struct eng *e, const char *sha, const char *how)
{
	struct fb_json *j;
	int rc;

	if ((rc = store_begin(e->s)) != 0)
		return rc;
	rc = store_run_approve_tx(e->s, e->run_id, sha);
	if (rc == 0) {
		j = fb_json_new();
		fb_json_obj_begin(j);
		fb_json_kstr(j, "plan_sha256", sha);
		fb_json_kstr(j, "how", how);
		fb_json_obj_end(j);
		rc = audit(e, STORE_ACTOR_HUMAN, "run.approve", j);
	}
	return commit_or_rollback(e->s, rc);
}

/*
 * --skip-unreachable: `true` on every selected host first. Hosts that
 * cannot be reached (refused, no route, timed out) leave the run before
 * it is recorded: the run's pattern gains ":!HOST" for each, so its hosts,
 * plan and approval (which selects the hosts again) are without them.
 * Each is named on the terminal and in *left (JSON: host -> why). A host
 * key or login failure is not unreachable: the host stays, and its checks
 * stop the plan as before. Every probe is a remote_exec row.
 */
static int
probe_hosts(struct eng *e, char **left)
{
	struct fleet_task *t = xcalloc(e->nhosts + 1, sizeof(*t));
	struct fleet_opts fo;
	struct fb_json *j = fb_json_new();
	char *asked = xstrdup(e->pattern);
	size_t i, kept = 0;
	int64_t id;
	int rc;

	for (i = 0; i < e->nhosts; i++) {
		t[i].host = inv_host(e, e->hosts[i]);
		t[i].op = FLEET_OP_EXEC;
		t[i].command = "true";
	}
	opts_init(e, &fo);
	if (fo.jobs < e->forks)
		fo.jobs = e->forks;
	rc = fleet_run(t, e->nhosts, &fo);
	if (rc == 0 && (rc = store_begin(e->s)) == 0) {
		for (i = 0; i < e->nhosts && rc == 0; i++) {
			struct store_remote_exec r;

			remote_exec_in(e, &t[i], "true", &r);
			rc = store_remote_exec_add(e->s, &r, &id);
		}
		rc = commit_or_rollback(e->s, rc);
	}
	fb_json_obj_begin(j);
	for (i = 0; i < e->nhosts; i++) {
		if (rc == 0 && (t[i].kind == FLEET_UNREACHABLE ||
		    t[i].kind == FLEET_TIMEOUT)) {
			char *pat;

			/* A name a pattern would read as more than itself
			 * cannot be left out by name. */
			if (strpbrk(e->hosts[i], ":!&*?[]~") != NULL) {
				rc = fb_err(FB_ERR_REFUSED, "cannot leave out "
				    "'%s' by name; choose the hosts with -l",
				    e->hosts[i]);
				e->hosts[kept++] = e->hosts[i];
				continue;
			}
			pat = xasprintf("%s:!%s", e->pattern, e->hosts[i]);
			free(e->pattern);
			e->pattern = pat;
			say(e, "left out %s: %s", e->hosts[i], t[i].error ?
			    t[i].error : fleet_kind_name(t[i].kind));
			fb_json_kstr(j, e->hosts[i], t[i].error ? t[i].error :
			    fleet_kind_name(t[i].kind));
			free(e->hosts[i]);
			continue;
		}
		e->hosts[kept++] = e->hosts[i];
	}
	fb_json_obj_end(j);
	for (i = 0; i < e->nhosts; i++)
		fleet_task_release(&t[i]);
	free(t);
	e->nhosts = kept;
	e->hosts[kept] = NULL;
	*left = fb_json_finish(j);
	if (rc == 0 && kept == 0)
		rc = fb_err(FB_ERR_REFUSED, "no host of '%s' can be "
		    "reached", asked);
	free(asked);
	return rc;
}

int
pb_run(struct store *s, const char *what, char *const *assign, size_t nassign,
    const struct pb_opts *o, int64_t *run_id, enum pb_outcome *outcome)
{
	struct eng e;
	struct store_run_in in;
	struct fb_json *j;
	char *path = NULL, *hj = NULL, *plan = NULL, *left = NULL;
	char sha[FB_SHA256_HEX];
	int rc, approval;

	eng_init(&e, s, o);
	*outcome = PB_FAILED;
	if ((rc = pb_find(what, &path)) != 0 ||
	    (rc = eng_load(&e, path)) != 0 ||
	    (rc = pb_params_json(e.pb, assign, nassign, &e.params)) != 0 ||
	    (rc = fblua_playbook_params(e.pb->lua, e.params)) != 0 ||
	    (rc = load_inventory(&e)) != 0 || (rc = load_known(&e)) != 0)
		goto out;
	e.pattern = xstrdup(o->pattern ? o->pattern : e.pb->hosts ?
	    e.pb->hosts : "all");
	if ((rc = select_hosts(&e)) != 0)
		goto out;
	if (o->skip_unreachable && (rc = probe_hosts(&e, &left)) != 0)
		goto out;
	e.case_id = o->case_id;
	hj = hosts_json(&e);
	memset(&in, 0, sizeof(in));
	in.playbook = e.pb->name;
	in.source_path = path;
	in.source_sha256 = e.pb->sha256;
	in.params = e.params;
	in.pattern = e.pattern;
	in.hosts = hj;
	in.case_id = o->case_id;
	in.state = "planning";
	in.dry_run = o->dry_run;
	if ((rc = store_begin(s)) != 0)
		goto out;
	rc = store_run_new_tx(s, &in, &e.run_id);
	if (rc == 0) {
		j = fb_json_new();
		fb_json_obj_begin(j);
		fb_json_kstr(j, "playbook", e.pb->name);
		fb_json_kstr(j, "source_path", path);
		fb_json_kstr(j, "source_sha256", e.pb->sha256);
		fb_json_key(j, "params");
		fb_json_raw(j, e.params);
		fb_json_kstr(j, "pattern", e.pattern);
		fb_json_kint(j, "hosts", (int64_t)e.nhosts);
		if (left != NULL) {
			fb_json_key(j, "left_out");
			fb_json_raw(j, left);
		}
		fb_json_kbool(j, "dry_run", o->dry_run);
		if (o->case_id > 0)
			fb_json_kint(j, "case", o->case_id);
		fb_json_obj_end(j);
		rc = audit(&e, STORE_ACTOR_HUMAN, "playbook.run", j);
	}
	if (rc == 0) {
		char *text = xasprintf("playbook %s run %lld started on %zu "
		    "host%s%s%s", e.pb->name, (long long)e.run_id, e.nhosts,
		    e.nhosts == 1 ? "" : "s", o->dry_run ? " (dry run)" : "",
		    left != NULL && strcmp(left, "{}") != 0 ? ", unreachable "
		    "hosts left out" : "");

		rc = timeline(&e, "playbook_run", text, left);
		free(text);
	}
	if ((rc = commit_or_rollback(s, rc)) != 0)
		goto out;
	*run_id = e.run_id;
	if ((rc = lock_run(&e)) != 0)
		goto out;
	if ((rc = make_plan(&e, e.pb->sha256, o->dry_run, &plan, sha,
	    &approval)) != 0) {
		char *m = xstrdup(fb_errmsg(rc));

		(void)set_state(&e, "failed", m, "run.finish");
		rc = fb_err(-rc, "run %lld stopped: %s", (long long)e.run_id, m);
		free(m);
		goto out;
	}
	if ((rc = save_plan(&e, plan, sha)) != 0)
		goto out;
	print_plan(&e, sha);
	if (o->dry_run) {
		rc = set_state(&e, "planned", NULL, "run.finish");
		*outcome = PB_PLANNED;
		goto out;
	}
	if (approval && !(o->yes && isatty(STDIN_FILENO))) {
		if (o->yes)
			say(&e, "--yes approves only on a terminal");
		rc = await_approval(&e, sha, outcome);
		goto out;
	}
	if (approval && (rc = approve(&e, sha, "--yes")) != 0)
		goto out;
	rc = apply_all(&e, outcome);
out:
	free(plan);
	free(hj);
	free(left);
	free(path);
	eng_release(&e);
	return rc;
}

/* Load a recorded run into e: its playbook, params and hosts. */
struct run_info {
	char *path, *sha, *params, *pattern, *hosts, *state, *plan_sha;
	char *approved;
	int64_t case_id;
};

static int
run_info_cb(void *ctx, const struct store_run_row *r)
{
	struct run_info *ri = ctx;

	ri->path = xstrdup(r->source_path);
	ri->sha = xstrdup(r->source_sha256);
	ri->params = xstrdup(r->params);
	ri->pattern = xstrdup(r->pattern);
	ri->hosts = xstrdup(r->hosts);
	ri->state = xstrdup(r->state);
	ri->plan_sha = r->plan_sha256 ? xstrdup(r->plan_sha256) : NULL;
	ri->approved = r->approved_sha256 ? xstrdup(r->approved_sha256) : NULL;
	ri->case_id = r->case_id;
	return 0;
}

static void
run_info_release(struct run_info *ri)
{
	free(ri->path);
	free(ri->sha);
	free(ri->params);
	free(ri->pattern);
	free(ri->hosts);
	free(ri->state);
	free(ri->plan_sha);
	free(ri->approved);
}

static int
hosts_view(void *ud, struct fblua_ev *ev)
{
	return fblua_ev_foreach(ev, "", host_name_cb, ud);
}

/* The hosts recorded on a run (a JSON array), decoded by the Lua host. */
static int
hosts_from_json(struct eng *e, const char *json)
{
	static const char helper[] =
	    "return { id = function(x) return x end }";
	int sc, rc;

	if ((rc = fblua_load_string(e->pb->lua, helper, sizeof(helper) - 1,
	    "(hosts)", &sc)) != 0)
		return rc;
	return fblua_call(e->pb->lua, sc, "id", hosts_view, e, "J", json,
	    strlen(json));
}

/*
 * Open a recorded run: lock it, check its source (force: accept a new
 * one), load the playbook with its params and, unless rehost, its hosts.
 */
static int
open_run(struct eng *e, int64_t id, struct run_info *ri, int force,
    int rehost)
{
	int rc;

	memset(ri, 0, sizeof(*ri));
	e->run_id = id;
	if ((rc = store_run_get(e->s, id, run_info_cb, ri)) != 0)
		return rc;
	if ((rc = lock_run(e)) != 0)
		return rc;
	e->case_id = ri->case_id;
	e->params = xstrdup(ri->params);
	e->pattern = xstrdup(ri->pattern);
	if ((rc = eng_load(e, ri->path)) != 0)
		return rc;
	if (strcmp(e->pb->sha256, ri->sha) != 0) {
		struct fb_json *j;

		if (!force)
			return fb_err(FB_ERR_REFUSED, "playbook '%s' changed "
			    "since run %lld started (sha256 %.12s, now %.12s); "
			    "use --force to go on with the new source",
			    ri->path, (long long)id, ri->sha, e->pb->sha256);
		if ((rc = store_begin(e->s)) != 0)
			return rc;
		rc = store_run_source_tx(e->s, id, e->pb->sha256);
		if (rc == 0) {
			j = fb_json_new();
			fb_json_obj_begin(j);
			fb_json_kstr(j, "old_sha256", ri->sha);
			fb_json_kstr(j, "new_sha256", e->pb->sha256);
			fb_json_obj_end(j);
			rc = audit(e, STORE_ACTOR_HUMAN, "run.source.force", j);
		}
		if ((rc = commit_or_rollback(e->s, rc)) != 0)
			return rc;
	}
	if ((rc = fblua_playbook_params(e->pb->lua, e->params)) != 0 ||
	    (rc = load_inventory(e)) != 0 || (rc = load_known(e)) != 0)
		return rc;
	if (rehost)
		return select_hosts(e);
	return hosts_from_json(e, ri->hosts);
}

int
pb_approve(struct store *s, int64_t id, const char *sha,
    const struct pb_opts *o, enum pb_outcome *outcome)
{
	struct eng e;
	struct run_info ri;
	char *plan = NULL;
	char now_sha[FB_SHA256_HEX];
	int rc, approval;

	eng_init(&e, s, o);
	*outcome = PB_FAILED;
	if ((rc = open_run(&e, id, &ri, 0, 1)) != 0)
		goto out;
	if (strcmp(ri.state, "awaiting-approval") != 0) {
		rc = fb_err(FB_ERR_REFUSED, "run %lld is %s, not awaiting "
		    "approval", (long long)id, ri.state);
		goto out;
	}
	if (ri.plan_sha == NULL || strcmp(sha, ri.plan_sha) != 0) {
		*outcome = PB_AWAITING;
		rc = fb_err(FB_ERR_REFUSED, "refused: plan %.64s is not run "
		    "%lld's plan (%s); see 'firebreak run show %lld'", sha,
		    (long long)id, ri.plan_sha ? ri.plan_sha : "none",
		    (long long)id);
		goto out;
	}
	/* Plan again: the approval holds only for the hosts as they are. */
	if ((rc = make_plan(&e, e.pb->sha256, 0, &plan, now_sha,
	    &approval)) != 0)
		goto out;
	if (strcmp(now_sha, sha) != 0) {
		if ((rc = save_plan(&e, plan, now_sha)) != 0)
			goto out;
		print_plan(&e, now_sha);
		*outcome = PB_AWAITING;
		rc = fb_err(FB_ERR_REFUSED, "refused: the plan changed since "
		    "%.12s was shown (hosts or their state differ); run %lld's "
		    "plan is now %s: review it above and approve that",
		    sha, (long long)id, now_sha);
		goto out;
	}
	if ((rc = save_plan(&e, plan, now_sha)) != 0 ||
	    (rc = approve(&e, sha, "run approve")) != 0)
		goto out;
	say(&e, "run %lld: plan %.12s approved", (long long)id, sha);
	rc = apply_all(&e, outcome);
out:
	free(plan);
	run_info_release(&ri);
	eng_release(&e);
	return rc;
}

int
pb_resume(struct store *s, int64_t id, const struct pb_opts *o,
    enum pb_outcome *outcome)
{
	struct eng e;
	struct run_info ri;
	struct fb_json *j;
	int rc;

	eng_init(&e, s, o);
	*outcome = PB_FAILED;
	if ((rc = open_run(&e, id, &ri, o->force, 0)) != 0)
		goto out;
	if (strcmp(ri.state, "awaiting-approval") == 0) {
		*outcome = PB_AWAITING;
		rc = fb_err(FB_ERR_REFUSED, "run %lld awaits approval: "
		    "firebreak run approve %lld --plan %s", (long long)id,
		    (long long)id, ri.plan_sha ? ri.plan_sha : "?");
		goto out;
	}
	if (strcmp(ri.state, "interrupted") != 0 &&
	    strcmp(ri.state, "failed") != 0 &&
	    strcmp(ri.state, "running") != 0) {
		rc = fb_err(FB_ERR_REFUSED, "run %lld is %s: nothing to resume",
		    (long long)id, ri.state);
		goto out;
	}
	if (ri.plan_sha == NULL) {
		rc = fb_err(FB_ERR_REFUSED, "run %lld stopped before its plan "
		    "was made; start a new run", (long long)id);
		goto out;
	}
	if ((rc = store_begin(s)) != 0)
		goto out;
	j = fb_json_new();
	fb_json_obj_begin(j);
	fb_json_kstr(j, "from_state", ri.state);
	fb_json_kbool(j, "force", o->force);
	fb_json_obj_end(j);
	rc = commit_or_rollback(s, audit(&e, STORE_ACTOR_HUMAN, "run.resume",
	    j));
	if (rc != 0)
		goto out;
	say(&e, "resuming run %lld (%s)", (long long)id, ri.state);
	rc = apply_all(&e, outcome);
out:
	run_info_release(&ri);
	eng_release(&e);
	return rc;
}

int
pb_undo(struct store *s, int64_t id, const struct pb_opts *o,
    enum pb_outcome *outcome)
{
	struct eng e;
	struct run_info ri;
	struct fb_json *j;
	size_t si, i, failed = 0, undone = 0, skipped = 0;
	int rc;

	eng_init(&e, s, o);
	*outcome = PB_FAILED;
	if ((rc = open_run(&e, id, &ri, o->force, 0)) != 0)
		goto out;
	if (strcmp(ri.state, "done") != 0 && strcmp(ri.state, "failed") != 0 &&
	    strcmp(ri.state, "interrupted") != 0 &&
	    strcmp(ri.state, "aborted") != 0 &&
	    strcmp(ri.state, "running") != 0 &&
	    strcmp(ri.state, "undoing") != 0) {
		rc = fb_err(FB_ERR_REFUSED, "run %lld is %s: nothing to undo",
		    (long long)id, ri.state);
		goto out;
	}
	if ((rc = pairs_load(&e)) != 0)
		goto out;
	if ((rc = store_begin(s)) != 0)
		goto out;
	j = fb_json_new();
	fb_json_obj_begin(j);
	fb_json_kstr(j, "from_state", ri.state);
	fb_json_obj_end(j);
	rc = commit_or_rollback(s, audit(&e, STORE_ACTOR_HUMAN, "run.undo", j));
	if (rc != 0 || (rc = set_state(&e, "undoing", NULL, NULL)) != 0)
		goto out;
	for (si = e.pb->nsteps; si > 0 && rc == 0; si--) {
		const struct pb_step *st = &e.pb->steps[si - 1];
		size_t n_undone = 0, n_failed = 0;
		struct pair **ps = NULL;
		size_t nps = 0, cnt[3] = { 0, 0, 0 };
		const char *why = NULL;
		int any = 0;

		/* The step's applied pairs, last first, undone at once. */
		for (i = e.npairs; i > 0; i--) {
			struct pair *p = &e.pairs[i - 1];

			/* Applied, or an undo that was cut off or failed. */
			if (p->step != (int)si || (strcmp(p->state, "done") != 0 &&
			    strcmp(p->state, "undoing") != 0 &&
			    strcmp(p->state, "undo-failed") != 0))
				continue;
			if (!st->has_undo) {
				skipped++;
				continue;
			}
			ps = xrealloc(ps, (nps + 1) * sizeof(*ps));
			ps[nps++] = p;
		}
		if (nps > 0 && should_stop(&e, &why)) {
			free(ps);
			goto stopped;
		}
		if (nps > 0) {
			say(&e, "undo step %zu '%s'", si, st->name);
			any = 1;
			rc = run_pairs(&e, st, ps, nps, RUN_UNDO, NULL, cnt,
			    &why);
		}
		free(ps);
		n_undone = cnt[PAIR_UNDONE];
		n_failed = cnt[PAIR_FAILED];
		if (rc == 0 && why != NULL) {
			undone += n_undone;
			failed += n_failed;
			goto stopped;
		}
		if (!st->has_undo && !any) {
			for (i = 0; i < e.npairs; i++)
				if (e.pairs[i].step == (int)si &&
				    strcmp(e.pairs[i].state, "done") == 0)
					break;
			if (i < e.npairs)
				say(&e, "step %zu '%s' has no undo: its changes "
				    "stay", si, st->name);
		}
		undone += n_undone;
		failed += n_failed;
		if (rc == 0 && any)
			rc = step_event(&e, st, (int)si, n_undone, 0, n_failed,
			    "undone");
	}
	e.step = 0;
	e.host = NULL;
	if (rc != 0) {
		char *m = xstrdup(fb_errmsg(rc));

		(void)set_state(&e, "failed", m, "run.finish");
		rc = fb_err(-rc, "undo of run %lld stopped: %s", (long long)id, m);
		free(m);
		goto out;
	}
	if (failed > 0) {
		rc = set_state(&e, "failed", "undo failed on some hosts",
		    "run.finish");
		*outcome = PB_PARTIAL;
	} else {
		rc = set_state(&e, "undone", skipped ? "some steps have no "
		    "undo" : NULL, "run.finish");
		*outcome = PB_DONE;
	}
	say(&e, "run %lld: %zu undone, %zu failed, %zu without undo",
	    (long long)id, undone, failed, skipped);
	goto out;
stopped:
	(void)set_state(&e, "interrupted", "undo interrupted", "run.finish");
	say(&e, "undo of run %lld interrupted; run it again to go on",
	    (long long)id);
	*outcome = PB_PARTIAL;
out:
	run_info_release(&ri);
	eng_release(&e);
	return rc;
}

static int
abort_cb(void *ctx, const struct store_run_row *r)
{
	snprintf(ctx, 32, "%s", r->state);
	return 0;
}

int
pb_abort(struct store *s, int64_t id, const char *reason)
{
	struct fb_json *j;
	char state[32] = "", *obj;
	int rc;

	if ((rc = store_run_get(s, id, abort_cb, state)) != 0)
		return rc;
	if (strcmp(state, "done") == 0 || strcmp(state, "aborted") == 0 ||
	    strcmp(state, "undone") == 0 || strcmp(state, "planned") == 0)
		return fb_err(FB_ERR_REFUSED, "run %lld is %s: nothing to abort",
		    (long long)id, state);
	if ((rc = store_begin(s)) != 0)
		return rc;
	rc = store_run_state_tx(s, id, "aborted", reason ? reason : "aborted");
	if (rc == 0) {
		j = fb_json_new();
		fb_json_obj_begin(j);
		fb_json_kstr(j, "from_state", state);
		fb_json_kstr(j, "reason", reason);
		fb_json_obj_end(j);
		obj = run_obj(id);
		{
			char *d = fb_json_finish(j);

			rc = store_audit(s, STORE_ACTOR_HUMAN, "run.abort", obj,
			    d, NULL);
			free(d);
		}
		free(obj);
	}
	return commit_or_rollback(s, rc);
}
