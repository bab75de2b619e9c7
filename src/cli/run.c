/* run.c: firebreak run ls|show|approve|resume|undo|abort — the journal. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "json/json.h"
#include "playbook/playbook.h"
#include "store/playbook.h"

static int
parse_run(const char *s, int64_t *id)
{
	char *e;
	long long v;

	if (*s == '#')
		s++;
	v = strtoll(s, &e, 10);
	if (*s == '\0' || *e != '\0' || v <= 0) {
		cli_error("invalid run id '%s'", s);
		return -1;
	}
	*id = v;
	return 0;
}

/* ---- ls ---------------------------------------------------------------- */

static int
print_run(void *ctx, const struct store_run_row *r)
{
	(void)ctx;
	printf("%-5lld %-18s %-24.24s %-11.11s %5lld %5lld %5lld %5lld  %.12s\n",
	    (long long)r->id, r->state, r->playbook, r->created_at + 5,
	    (long long)r->n_done, (long long)r->n_unchanged,
	    (long long)r->n_failed, (long long)r->n_pending,
	    r->plan_sha256 ? r->plan_sha256 : "-");
	return 0;
}

static const struct option common_longopts[] = {
	{ "json", no_argument, NULL, 'J' },
	{ "force", no_argument, NULL, 'f' },
	{ "plan", required_argument, NULL, 'p' },
	{ "reason", required_argument, NULL, 'r' },
	{ "inventory", required_argument, NULL, 'i' },
	{ "forks", required_argument, NULL, 'j' },
	{ NULL, 0, NULL, 0 },
};

struct run_cli {
	int json, force, forks;
	const char *plan, *reason, *inventory;
	int64_t id;
};

/* Options, then one RUN id when want_id. Returns -1 to go on. */
static int
opts(int argc, char **argv, struct run_cli *rc, int want_id)
{
	int c;

	memset(rc, 0, sizeof(*rc));
	while ((c = cli_getopt(argc, argv, "fi:j:", common_longopts)) != -1) {
		switch (c) {
		case 'J': rc->json = 1; break;
		case 'f': rc->force = 1; break;
		case 'p': rc->plan = optarg; break;
		case 'r': rc->reason = optarg; break;
		case 'i': rc->inventory = optarg; break;
		case 'j':
			if ((rc->forks = cli_playbook_forks(optarg)) < 0)
				return cli_usage();
			break;
		case 'h': return 0;
		default: return FB_EXIT_USAGE;
		}
	}
	if (!want_id) {
		if (optind != argc) {
			cli_error("'run %s' takes no arguments", argv[0]);
			return cli_usage();
		}
		return -1;
	}
	if (optind + 1 != argc) {
		cli_error("'run %s' takes one RUN id", argv[0]);
		return cli_usage();
	}
	if (parse_run(argv[optind], &rc->id) != 0)
		return cli_usage();
	return -1;
}

static int
run_ls(int argc, char **argv)
{
	struct run_cli o;
	struct store *s;
	int rc;

	if ((rc = opts(argc, argv, &o, 0)) >= 0)
		return rc;
	if ((rc = cli_open_store(STORE_READONLY, &s)) != 0)
		return cli_fail(rc);
	if (o.json) {
		rc = store_runs_ls_json(s, 0, cli_print_json_line, NULL);
	} else {
		printf("%-5s %-18s %-24s %-11s %5s %5s %5s %5s  %s\n", "RUN",
		    "STATE", "PLAYBOOK", "STARTED", "DONE", "SAME", "FAIL",
		    "LEFT", "PLAN");
		rc = store_runs_ls(s, 0, print_run, NULL);
	}
	store_close(s);
	return rc ? cli_fail(rc) : 0;
}

/* ---- show -------------------------------------------------------------- */

static int
print_head(void *ctx, const struct store_run_row *r)
{
	(void)ctx;
	printf("run %lld: playbook ", (long long)r->id);
	cli_put_safe(stdout, r->playbook);
	printf(", %s%s\n", r->state, r->dry_run ? " (dry run)" : "");
	printf("source   ");
	cli_put_safe(stdout, r->source_path);
	printf(" (sha256 %s)\n", r->source_sha256);
	printf("params   ");
	cli_put_safe(stdout, r->params);
	printf("\nhosts    ");
	cli_put_safe(stdout, r->pattern);
	printf(": ");
	cli_put_safe(stdout, r->hosts);
	printf("\nstarted  %s by ", r->created_at);
	cli_put_safe(stdout, r->actor);
	printf("\n");
	if (r->case_id > 0)
		printf("case     %lld\n", (long long)r->case_id);
	printf("plan     %s\n", r->plan_sha256 ? r->plan_sha256 : "-");
	if (r->approved_sha256) {
		printf("approved %.12s by ", r->approved_sha256);
		cli_put_safe(stdout, r->approved_by);
		printf(" at %s\n", r->approved_at);
	}
	if (r->finished_at)
		printf("finished %s\n", r->finished_at);
	if (r->error) {
		printf("error    ");
		cli_put_safe(stdout, r->error);
		fputc('\n', stdout);
	}
	printf("pairs    %lld: %lld done, %lld unchanged, %lld failed, %lld "
	    "pending, %lld undone\n", (long long)r->n_pairs,
	    (long long)r->n_done, (long long)r->n_unchanged,
	    (long long)r->n_failed, (long long)r->n_pending,
	    (long long)r->n_undone);
	if (strcmp(r->state, "awaiting-approval") == 0)
		printf("\napprove with: firebreak run approve %lld --plan %s\n",
		    (long long)r->id, r->plan_sha256);
	return 0;
}

static int
print_step(void *ctx, const struct store_run_step_row *r)
{
	int *last = ctx;

	if (*last != r->step) {
		printf("\nstep %d '", r->step);
		cli_put_safe(stdout, r->name);
		printf("'\n");
		*last = r->step;
	}
	printf("  %-20s %-12s", r->host[0] ? r->host : "(once)", r->state);
	if (r->error) {
		printf(" ");
		cli_put_safe(stdout, r->error);
	} else if (r->planned && strcmp(r->state, "pending") == 0) {
		printf(" ");
		cli_put_safe(stdout, r->planned);
	}
	fputc('\n', stdout);
	return 0;
}

static int
run_show(int argc, char **argv)
{
	struct run_cli o;
	struct store *s;
	int rc, last = 0;

	if ((rc = opts(argc, argv, &o, 1)) >= 0)
		return rc;
	if ((rc = cli_open_store(STORE_READONLY, &s)) != 0)
		return cli_fail(rc);
	if (o.json) {
		char *js = NULL;

		if ((rc = store_run_show_json(s, o.id, &js)) == 0)
			rc = cli_print_json_line(NULL, js);
		free(js);
	} else if ((rc = store_run_get(s, o.id, print_head, NULL)) == 0) {
		rc = store_run_steps(s, o.id, print_step, &last);
	}
	store_close(s);
	return rc ? cli_fail(rc) : 0;
}

/* ---- approve, resume, undo, abort --------------------------------------- */

static int
act(int argc, char **argv, int what)
{
	struct run_cli o;
	struct pb_opts po;
	struct store *s;
	enum pb_outcome out = PB_FAILED;
	int rc;

	if ((rc = opts(argc, argv, &o, 1)) >= 0)
		return rc;
	if (what == 'a' && o.plan == NULL) {
		cli_error("run approve needs --plan SHA (the plan it approves)");
		return cli_usage();
	}
	if ((rc = cli_open_store(0, &s)) != 0)
		return cli_fail(rc);
	memset(&po, 0, sizeof(po));
	po.inventory = o.inventory;
	po.force = o.force;
	po.forks = o.forks;
	po.out = stdout;
	cli_playbook_sigint(&po.interrupted);
	switch (what) {
	case 'a': rc = pb_approve(s, o.id, o.plan, &po, &out); break;
	case 'r': rc = pb_resume(s, o.id, &po, &out); break;
	case 'u': rc = pb_undo(s, o.id, &po, &out); break;
	default:
		rc = pb_abort(s, o.id, o.reason);
		out = PB_DONE;
		if (rc == 0)
			printf("run %lld aborted\n", (long long)o.id);
		break;
	}
	store_close(s);
	if (rc != 0) {
		cli_fail(rc);
		return out == PB_AWAITING ? FB_EXIT_APPROVAL : fb_err_exit(rc);
	}
	return pb_outcome_exit(out);
}

static int run_approve(int argc, char **argv) { return act(argc, argv, 'a'); }
static int run_resume(int argc, char **argv) { return act(argc, argv, 'r'); }
static int run_undo(int argc, char **argv) { return act(argc, argv, 'u'); }
static int run_abort(int argc, char **argv) { return act(argc, argv, 'x'); }

static const struct cli_verb verbs[] = {
	{ "ls", run_ls },
	{ "show", run_show },
	{ "approve", run_approve },
	{ "resume", run_resume },
	{ "undo", run_undo },
	{ "abort", run_abort },
	{ NULL, NULL },
};

static int
run_cmd(int argc, char **argv)
{
	return cli_dispatch(argc, argv, verbs);
}

const struct cli_command cli_cmd_run = {
	"run", "playbook runs (the journal): ls, show, approve, resume, undo, abort",
	"usage: firebreak run ls [--json]\n"
	"       firebreak run show RUN [--json]\n"
	"       firebreak run approve RUN --plan SHA [-j N]\n"
	"       firebreak run resume RUN [--force] [-j N]\n"
	"       firebreak run undo RUN [--force] [-j N]\n"
	"       firebreak run abort RUN [--reason TEXT]\n"
	"\n"
	"approve plans again and goes on only if the plan's SHA-256 is still\n"
	"SHA (refused, exit 5, when a host or a parameter changed). resume\n"
	"re-checks interrupted and failed (step, host) pairs and applies only\n"
	"where a change is still pending; finished pairs are never touched.\n"
	"undo runs the undo of applied pairs, last first. resume and undo\n"
	"refuse a playbook whose source changed since the run began, unless\n"
	"--force. abort stops a run (a running one stops before its next host).\n"
	"\n"
	"options:\n"
	"  -i, --inventory FILE   the inventory (default FIREBREAK_INVENTORY)\n"
	"  -j, --forks N          hosts of a batch at once (default 10; 1: one\n"
	"                         at a time)\n",
	run_cmd, 0,
};
