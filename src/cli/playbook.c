/* playbook.c: firebreak playbook ls|show|lint|run. */
#include "config.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "json/json.h"
#include "playbook/playbook.h"

static int cli_playbook_json(struct fb_buf *b, const char *path,
    const struct playbook *pb, int rc);

static volatile int interrupted;

static void
on_sigint(int sig)
{
	(void)sig;
	interrupted = 1;
}

/* SIGINT stops scheduling new hosts; the run stays resumable. */
void
cli_playbook_sigint(volatile int **flag)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_sigint;
	sigaction(SIGINT, &sa, NULL);
	*flag = &interrupted;
}

int
cli_playbook_forks(const char *arg)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(arg, &end, 10);
	if (*arg == '\0' || *end != '\0' || errno != 0 || v < 1 || v > 1000) {
		cli_error("invalid -j '%s': a number of hosts from 1 to 1000",
		    arg);
		return -1;
	}
	return (int)v;
}

static void
quiet_problem(void *ctx, const char *sev, const char *msg)
{
	(void)ctx;
	(void)sev;
	(void)msg;
}

/* ---- ls ---------------------------------------------------------------- */

struct ls_ctx {
	int json;
	int n;
};

static int
ls_one(void *ctx, const char *path)
{
	struct ls_ctx *c = ctx;
	struct playbook *pb = NULL;
	int rc;

	rc = pb_load(path, NULL, "{}", quiet_problem, NULL, &pb);
	if (c->json) {
		struct fb_buf b = FB_BUF_INIT;
		cli_playbook_json(&b, path, pb, rc);
		cli_print_json_line(NULL, b.data);
		fb_buf_release(&b);
	} else {
		const char *slash = strrchr(path, '/');
		char *name = xstrdup(slash ? slash + 1 : path);

		name[strlen(name) - 4] = '\0';
		printf("%-24s ", pb ? pb->name : name);
		if (rc != 0)
			printf("(does not load: see playbook lint %s)", name);
		else
			cli_put_safe(stdout, pb->description);
		fputc('\n', stdout);
		free(name);
	}
	c->n++;
	pb_free(pb);
	return 0;
}

static int
cli_playbook_json(struct fb_buf *b, const char *path,
    const struct playbook *pb, int rc)
{
	struct fb_json *j = fb_json_new();
	char *s;
	size_t i;

	fb_json_obj_begin(j);
	fb_json_kstr(j, "path", path);
	if (pb == NULL) {
		fb_json_kstr(j, "error", fb_errmsg(rc));
	} else {
		fb_json_kstr(j, "name", pb->name);
		fb_json_kstr(j, "description", pb->description);
		fb_json_kstr(j, "sha256", pb->sha256);
		fb_json_kstr(j, "hosts", pb->hosts);
		fb_json_kstr(j, "confirm", pb->confirm);
		fb_json_key(j, "params");
		fb_json_arr_begin(j);
		for (i = 0; i < pb->nparams; i++) {
			fb_json_obj_begin(j);
			fb_json_kstr(j, "name", pb->params[i].name);
			fb_json_kstr(j, "type", pb->params[i].type);
			fb_json_kbool(j, "required", pb->params[i].required);
			fb_json_key(j, "default");
			fb_json_raw(j, pb->params[i].def_json ?
			    pb->params[i].def_json : "null");
			fb_json_kstr(j, "description", pb->params[i].description);
			fb_json_obj_end(j);
		}
		fb_json_arr_end(j);
		fb_json_key(j, "steps");
		fb_json_arr_begin(j);
		for (i = 0; i < pb->nsteps; i++) {
			const struct pb_step *st = &pb->steps[i];

			fb_json_obj_begin(j);
			fb_json_kstr(j, "name", st->name);
			fb_json_kstr(j, "description", st->description);
			fb_json_kbool(j, "check", st->has_check);
			fb_json_kbool(j, "apply", st->has_apply);
			fb_json_kbool(j, "undo", st->has_undo);
			fb_json_kbool(j, "run", st->has_run);
			fb_json_kbool(j, "destructive", st->destructive);
			fb_json_kint(j, "batch", st->batch);
			fb_json_kint(j, "max_fail", (int64_t)st->max_fail);
			fb_json_obj_end(j);
		}
		fb_json_arr_end(j);
	}
	fb_json_obj_end(j);
	s = fb_json_finish(j);
	fb_buf_addstr(b, s);
	free(s);
	return 0;
}

static const struct option json_longopts[] = {
	{ "json", no_argument, NULL, 'J' },
	{ NULL, 0, NULL, 0 },
};

static int
json_opts(int argc, char **argv, int *json)
{
	int c;

	while ((c = cli_getopt(argc, argv, "", json_longopts)) != -1) {
		switch (c) {
		case 'J': *json = 1; break;
		case 'h': return -1;
		default: return FB_EXIT_USAGE;
		}
	}
	return 0;
}

static int
playbook_ls(int argc, char **argv)
{
	struct ls_ctx c = { 0, 0 };
	int rc;

	if ((rc = json_opts(argc, argv, &c.json)) != 0)
		return rc < 0 ? 0 : rc;
	if (optind != argc) {
		cli_error("playbook ls takes no arguments");
		return cli_usage();
	}
	if ((rc = pb_list(ls_one, &c)) != 0)
		return cli_fail(rc);
	return 0;
}

/* ---- show -------------------------------------------------------------- */

static int
playbook_show(int argc, char **argv)
{
	struct playbook *pb = NULL;
	char *path = NULL;
	size_t i;
	int rc, json = 0;

	if ((rc = json_opts(argc, argv, &json)) != 0)
		return rc < 0 ? 0 : rc;
	if (optind + 1 != argc) {
		cli_error("playbook show takes one NAME or FILE");
		return cli_usage();
	}
	if ((rc = pb_find(argv[optind], &path)) != 0 ||
	    (rc = pb_load(path, NULL, "{}", quiet_problem, NULL, &pb)) != 0) {
		free(path);
		return cli_fail(rc);
	}
	if (json) {
		struct fb_buf b = FB_BUF_INIT;

		cli_playbook_json(&b, path, pb, 0);
		cli_print_json_line(NULL, b.data);
		fb_buf_release(&b);
		goto out;
	}
	printf("playbook ");
	cli_put_safe(stdout, pb->name);
	printf("\nfile     ");
	cli_put_safe(stdout, path);
	printf("\nsha256   %s\nhosts    ", pb->sha256);
	cli_put_safe(stdout, pb->hosts ? pb->hosts : "all (or -l PATTERN)");
	if (pb->confirm != NULL) {
		printf("\nconfirm  the value of ");
		cli_put_safe(stdout, pb->confirm);
		printf(" (typed to approve in the console)");
	}
	printf("\n\n");
	{
		char *d = fb_sanitize_str(pb->description, FB_SAN_MULTILINE);

		printf("%s\n", d);
		free(d);
	}
	if (pb->nparams > 0)
		printf("\nparams:\n");
	for (i = 0; i < pb->nparams; i++) {
		const struct pb_param *p = &pb->params[i];

		printf("  %-20s %-8s %s", p->name, p->type,
		    p->required ? "required " : "");
		if (p->def_json) {
			printf("(default ");
			cli_put_safe(stdout, p->def_json);
			printf(") ");
		}
		cli_put_safe(stdout, p->description ? p->description : "");
		fputc('\n', stdout);
	}
	printf("\nsteps:\n");
	for (i = 0; i < pb->nsteps; i++) {
		const struct pb_step *st = &pb->steps[i];

		printf("  %zu. ", i + 1);
		cli_put_safe(stdout, st->name);
		printf(" (%s%s%s%s)", st->has_run ? "runs once" : st->has_check ?
		    "check, apply" : "apply without check",
		    st->has_undo ? ", undo" : "",
		    st->destructive ? ", destructive" : "",
		    st->batch > 0 ? ", batched" : "");
		if (st->description) {
			printf(": ");
			cli_put_safe(stdout, st->description);
		}
		fputc('\n', stdout);
	}
out:
	pb_free(pb);
	free(path);
	return 0;
}

/* ---- lint -------------------------------------------------------------- */

struct lint_ctx {
	const char *path;
	int errors, warnings;
};

static void
lint_problem(void *ctx, const char *sev, const char *msg)
{
	struct lint_ctx *l = ctx;

	if (strcmp(sev, "error") == 0)
		l->errors++;
	else
		l->warnings++;
	cli_put_safe(stdout, l->path);
	printf(": %s: ", sev);
	cli_put_safe(stdout, msg);
	fputc('\n', stdout);
}

static int
playbook_lint(int argc, char **argv)
{
	int i, rc, json = 0, bad = 0;

	if ((rc = json_opts(argc, argv, &json)) != 0)
		return rc < 0 ? 0 : rc;
	if (optind >= argc) {
		cli_error("playbook lint needs a NAME or FILE");
		return cli_usage();
	}
	for (i = optind; i < argc; i++) {
		struct lint_ctx l = { argv[i], 0, 0 };
		struct playbook *pb = NULL;
		char *path = NULL;

		if ((rc = pb_find(argv[i], &path)) != 0) {
			cli_fail(rc);
			bad = 1;
			continue;
		}
		l.path = path;
		rc = pb_load(path, NULL, "{}", lint_problem, &l, &pb);
		if (rc != 0 && l.errors == 0) {
			/* It did not even load (syntax, a raise at load). */
			cli_put_safe(stdout, path);
			printf(": error: ");
			cli_put_safe(stdout, fb_errmsg(rc));
			fputc('\n', stdout);
			l.errors++;
		}
		if (l.errors == 0) {
			cli_put_safe(stdout, path);
			printf(": ok (%s, %zu param%s, %zu step%s, %d "
			    "warning%s)\n", pb->name, pb->nparams,
			    pb->nparams == 1 ? "" : "s", pb->nsteps,
			    pb->nsteps == 1 ? "" : "s", l.warnings,
			    l.warnings == 1 ? "" : "s");
		} else {
			bad = 1;
		}
		pb_free(pb);
		free(path);
	}
	return bad ? FB_EXIT_FOUND : 0;
}

/* ---- run --------------------------------------------------------------- */

enum { OPT_CASE = 256, OPT_DRY_RUN, OPT_YES, OPT_TIMEOUT, OPT_CTIMEOUT,
    OPT_SKIP_UNREACHABLE };

static int
parse_case(const char *s, int64_t *out)
{
	char *e;
	long long v;

	if (*s == '#')
		s++;
	v = strtoll(s, &e, 10);
	if (*s == '\0' || *e != '\0' || v <= 0) {
		cli_error("invalid case '%s'", s);
		return -1;
	}
	*out = v;
	return 0;
}

static int
playbook_run(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "extra", required_argument, NULL, 'e' },
		{ "limit", required_argument, NULL, 'l' },
		{ "inventory", required_argument, NULL, 'i' },
		{ "case", required_argument, NULL, OPT_CASE },
		{ "dry-run", no_argument, NULL, OPT_DRY_RUN },
		{ "yes", no_argument, NULL, OPT_YES },
		{ "skip-unreachable", no_argument, NULL, OPT_SKIP_UNREACHABLE },
		{ "timeout", required_argument, NULL, OPT_TIMEOUT },
		{ "connect-timeout", required_argument, NULL, OPT_CTIMEOUT },
		{ "forks", required_argument, NULL, 'j' },
		{ NULL, 0, NULL, 0 },
	};
	struct pb_opts o;
	struct store *s = NULL;
	char **assign = NULL;
	size_t nassign = 0;
	enum pb_outcome out;
	int64_t run_id = 0;
	int c, rc;

	memset(&o, 0, sizeof(o));
	while ((c = cli_getopt(argc, argv, "e:l:i:j:", longopts)) != -1) {
		switch (c) {
		case 'e':
			assign = xrealloc(assign, (nassign + 1) *
			    sizeof(*assign));
			assign[nassign++] = optarg;
			break;
		case 'l': o.pattern = optarg; break;
		case 'i': o.inventory = optarg; break;
		case OPT_CASE:
			if (parse_case(optarg, &o.case_id) != 0) {
				free(assign);
				return cli_usage();
			}
			break;
		case OPT_DRY_RUN: o.dry_run = 1; break;
		case OPT_YES: o.yes = 1; break;
		case OPT_SKIP_UNREACHABLE: o.skip_unreachable = 1; break;
		case OPT_TIMEOUT: o.timeout = atoi(optarg); break;
		case OPT_CTIMEOUT: o.connect_timeout = atoi(optarg); break;
		case 'j':
			if ((o.forks = cli_playbook_forks(optarg)) < 0) {
				free(assign);
				return cli_usage();
			}
			break;
		case 'h': free(assign); return 0;
		default: free(assign); return FB_EXIT_USAGE;
		}
	}
	if (optind + 1 != argc) {
		free(assign);
		cli_error("playbook run takes one NAME or FILE");
		return cli_usage();
	}
	if ((rc = cli_open_store(0, &s)) != 0) {
		free(assign);
		return cli_fail(rc);
	}
	cli_playbook_sigint(&o.interrupted);
	o.out = stdout;
	rc = pb_run(s, argv[optind], assign, nassign, &o, &run_id, &out);
	free(assign);
	store_close(s);
	if (rc != 0)
		return cli_fail(rc);
	return pb_outcome_exit(out);
}

static const struct cli_verb verbs[] = {
	{ "ls", playbook_ls },
	{ "show", playbook_show },
	{ "lint", playbook_lint },
	{ "run", playbook_run },
	{ NULL, NULL },
};

static int
playbook_cmd(int argc, char **argv)
{
	return cli_dispatch(argc, argv, verbs);
}

const struct cli_command cli_cmd_playbook = {
	"playbook", "playbooks: ls, show, lint, run",
	"usage: firebreak playbook ls [--json]\n"
	"       firebreak playbook show NAME|FILE [--json]\n"
	"       firebreak playbook lint NAME|FILE...\n"
	"       firebreak playbook run NAME|FILE [-e NAME=VALUE]... [-l PATTERN]\n"
	"                 [-i INVENTORY] [--case N] [--dry-run] [--yes]\n"
	"                 [--timeout S] [--connect-timeout S] [-j N]\n"
	"                 [--skip-unreachable]\n"
	"\n"
	"Playbooks are Lua files (firebreak-playbook(5)) in\n"
	"$XDG_CONFIG_HOME/firebreak/playbooks and the shipped playbooks/.\n"
	"run plans first: every step's check runs on every host and the plan\n"
	"is printed with its SHA-256. --dry-run stops there. Steps marked\n"
	"destructive need approval of that plan: --yes on a terminal, or\n"
	"'firebreak run approve RUN --plan SHA' (exit 5 until then).\n"
	"The hosts of a batch run at once, at most N of them (-j N, --forks N;\n"
	"default 10; -j 1 runs one host at a time). Ctrl-C stops starting\n"
	"hosts (those started finish); 'firebreak run resume RUN' goes on.\n"
	"A host that cannot be reached stops the plan; --skip-unreachable\n"
	"tries every host first and leaves out, by name, those it cannot reach\n"
	"(not those with a host key or login problem).\n"
	"\n"
	"Exit 0 done (or planned), 1 lint found errors, 4 some hosts failed or\n"
	"interrupted, 5 awaiting approval, 6 the run stopped (script error).\n",
	playbook_cmd, 0,
};
