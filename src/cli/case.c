/*
 * case.c: firebreak case new|ls|show|link|unlink|merge|note|status|
 * assign|timeline|suggest — where an incident is told.
 */
#include "config.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "filter/filter.h"
#include "ingest/correlate.h"
#include "json/json.h"
#include "store/cases.h"

/* "#12" or "12" as a positive id; 0 when it is not one. */
static int64_t
parse_id(const char *arg)
{
	const char *p = arg[0] == '#' ? arg + 1 : arg;
	char *end;
	long long v;

	if (!isdigit((unsigned char)*p))
		return 0;
	v = strtoll(p, &end, 10);
	return *end == '\0' && v > 0 ? v : 0;
}

static int
need_case(const char *arg, int64_t *id)
{
	if ((*id = parse_id(arg)) == 0) {
		cli_error("'%s' is not a case id", arg);
		return cli_usage();
	}
	return 0;
}

/* Seconds as "45s", "12m", "3h05m", "2d04h"; "-" when not reached. */
static void
fmt_clock(int64_t s, char out[32])
{
	if (s < 0)
		snprintf(out, 32, "-");
	else if (s < 60)
		snprintf(out, 32, "%llds", (long long)s);
	else if (s < 3600)
		snprintf(out, 32, "%lldm", (long long)(s / 60));
	else if (s < 86400)
		snprintf(out, 32, "%lldh%02lldm", (long long)(s / 3600),
		    (long long)(s % 3600 / 60));
	else
		snprintf(out, 32, "%lldd%02lldh", (long long)(s / 86400),
		    (long long)(s % 86400 / 3600));
}

static int
simple_opts(int argc, char **argv, int *json)
{
	static const struct option longopts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	while ((c = cli_getopt(argc, argv, "j", longopts)) != -1) {
		switch (c) {
		case 'j':
			if (json != NULL) {
				*json = 1;
				break;
			}
			cli_error("--json does not apply here");
			return cli_usage();
		case 'h': return -1;
		default: return FB_EXIT_USAGE;
		}
	}
	return 0;
}

static int
case_new(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "severity", required_argument, NULL, 's' },
		{ "from", required_argument, NULL, 'f' },
		{ "reason", required_argument, NULL, 'r' },
		{ NULL, 0, NULL, 0 },
	};
	struct store_case_in in = { .severity = -1,
	    .actor_kind = STORE_ACTOR_HUMAN };
	struct store *s = NULL;
	int64_t *ids = xcalloc((size_t)argc + 1, sizeof(*ids)), id;
	size_t n = 0;
	int c, rc, from = 0, i;

	while ((c = cli_getopt(argc, argv, "s:f:r:", longopts)) != -1) {
		switch (c) {
		case 's':
			if ((in.severity = filter_severity_parse(optarg)) < 0) {
				cli_error("unknown severity '%s'", optarg);
				free(ids);
				return cli_usage();
			}
			break;
		case 'f':
			from = 1;
			if ((ids[n++] = parse_id(optarg)) == 0) {
				cli_error("'%s' is not a finding id", optarg);
				free(ids);
				return cli_usage();
			}
			break;
		case 'r': in.reason = optarg; break;
		case 'h': free(ids); return 0;
		default: free(ids); return FB_EXIT_USAGE;
		}
	}
	if (optind >= argc) {
		cli_error("a case needs a TITLE");
		free(ids);
		return cli_usage();
	}
	in.title = argv[optind];
	/* --from 3 4 5: the ids after the first are positional. */
	for (i = optind + 1; i < argc; i++) {
		if (!from || (ids[n++] = parse_id(argv[i])) == 0) {
			cli_error("unexpected '%s' (a TITLE with spaces needs "
			    "quotes; findings go after --from)", argv[i]);
			free(ids);
			return cli_usage();
		}
	}
	if (in.severity < 0 && n == 0)
		in.severity = 2;
	in.findings = ids;
	in.nfindings = n;
	if ((rc = cli_open_store(0, &s)) == 0 &&
	    (rc = store_case_new(s, &in, &id)) == 0)
		printf("opened case #%lld\n", (long long)id);
	store_close(s);
	free(ids);
	return cli_fail(rc);
}

static int
print_case_row(void *ctx, const struct store_case_row *r)
{
	int *n = ctx;
	char a[32], b[32], c[32];

	if ((*n)++ == 0)
		printf("%5s  %-8s  %-10s  %-10s  %5s  %7s  %7s  %7s  %s\n", "ID",
		    "SEV", "STATUS", "OWNER", "FIND", "TO-ACT", "TO-CONT",
		    "TO-CLOSE", "TITLE");
	fmt_clock(r->clocks.to_first_action, a);
	fmt_clock(r->clocks.to_contained, b);
	fmt_clock(r->clocks.to_closed, c);
	printf("%5lld  %-8s  %-10s  ", (long long)r->id,
	    filter_severity_name(r->severity), r->status);
	{
		char *o = fb_sanitize_str(r->owner ? r->owner : "-", 0);
		printf("%-10.10s  ", o);
		free(o);
	}
	printf("%5lld  %7s  %7s  %7s  ", (long long)r->nfindings, a, b, c);
	cli_put_safe(stdout, r->title);
	fputc('\n', stdout);
	return 0;
}

static int
case_ls(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "all", no_argument, NULL, 'a' },
		{ NULL, 0, NULL, 0 },
	};
	struct store_case_query q = { 0 };
	struct fb_buf text = FB_BUF_INIT;
	struct filter *f = NULL;
	struct store *s = NULL;
	int c, rc, json = 0, n = 0, i;

	while ((c = cli_getopt(argc, argv, "ja", longopts)) != -1) {
		switch (c) {
		case 'j': json = 1; break;
		case 'a': q.all = 1; break;
		case 'h': return 0;
		default: return FB_EXIT_USAGE;
		}
	}
	for (i = optind; i < argc; i++) {
		if (text.len)
			fb_buf_addch(&text, ' ');
		fb_buf_addstr(&text, argv[i]);
	}
	rc = filter_parse(text.data, &f);
	fb_buf_release(&text);
	if (rc != 0) {
		cli_fail(rc);
		return FB_EXIT_USAGE;
	}
	q.filter = f;
	if ((rc = cli_open_store(STORE_READONLY, &s)) == 0) {
		if (json)
			rc = store_cases_ls_json(s, &q, cli_print_json_line, NULL);
		else
			rc = store_cases_ls(s, &q, print_case_row, &n);
		if (rc == 0 && !json && n == 0)
			fprintf(stderr, "no cases match\n");
	}
	store_close(s);
	filter_free(f);
	return cli_fail(rc);
}

/* The human view of one case. */
struct show {
	struct store *s;
	char **reasons;      /* by index into ids */
	int64_t *ids;
	size_t n, cap;
};

static int
collect_reason(void *ctx, const struct store_timeline_row *r)
{
	struct show *sh = ctx;
	size_t i;

	if (strcmp(r->kind, STORE_EV_LINK) != 0 || r->finding == 0 ||
	    r->reason == NULL)
		return 0;
	for (i = 0; i < sh->n && sh->ids[i] != r->finding; i++)
		;
	if (i == sh->n) {
		if (sh->n == sh->cap) {
			sh->cap = sh->cap ? sh->cap * 2 : 16;
			sh->ids = xrealloc(sh->ids, sh->cap * sizeof(*sh->ids));
			sh->reasons = xrealloc(sh->reasons,
			    sh->cap * sizeof(*sh->reasons));
		}
		sh->ids[sh->n] = r->finding;
		sh->reasons[sh->n++] = NULL;
	}
	free(sh->reasons[i]);
	sh->reasons[i] = xstrdup(r->reason);
	return 0;
}

static int
print_case_head(void *ctx, const struct store_case_row *r)
{
	char a[32], b[32], c[32];

	(void)ctx;
	printf("case #%lld  ", (long long)r->id);
	cli_put_safe(stdout, r->title);
	printf("\nseverity    %s\nstatus      %s", filter_severity_name(
	    r->severity), r->status);
	if (r->merged_into)
		printf(" (merged into case #%lld)", (long long)r->merged_into);
	printf("\nowner       ");
	cli_put_safe(stdout, r->owner ? r->owner : "-");
	printf("\nopened      %s by ", r->opened);
	cli_put_safe(stdout, r->opened_by);
	fmt_clock(r->clocks.to_first_action, a);
	fmt_clock(r->clocks.to_contained, b);
	fmt_clock(r->clocks.to_closed, c);
	printf("\nfirst event %s (the clocks count from here)\n"
	    "clocks      first human action %s, contained %s, closed %s\n"
	    "findings    %lld    evidence %lld\n", r->first_event, a, b, c,
	    (long long)r->nfindings, (long long)r->nevidence);
	return 0;
}

static int
print_linked(void *ctx, const struct store_finding_row *r)
{
	struct show *sh = ctx;
	size_t i;

	printf("  #%-5lld %-8s %-13s ", (long long)r->id,
	    filter_severity_name(r->severity), r->status);
	cli_put_safe(stdout, r->source);
	fputs(": ", stdout);
	cli_put_safe(stdout, r->title);
	for (i = 0; i < sh->n; i++)
		if (sh->ids[i] == r->id && sh->reasons[i] != NULL) {
			fputs("\n         why: ", stdout);
			cli_put_safe(stdout, sh->reasons[i]);
		}
	fputc('\n', stdout);
	return 0;
}

static int
print_evidence_brief(void *ctx, const struct store_evidence_row *r)
{
	(void)ctx;
	printf("  E%-5lld %.12s  %10lld  ", (long long)r->id, r->sha256,
	    (long long)r->size);
	cli_put_safe(stdout, r->source_host);
	fputc(':', stdout);
	cli_put_safe(stdout, r->path ? r->path : r->command ? r->command :
	    r->name);
	fputc('\n', stdout);
	return 0;
}

static int
case_show(int argc, char **argv)
{
	struct store *s = NULL;
	struct show sh = { 0 };
	int64_t id;
	int rc, json = 0;
	size_t i;

	if ((rc = simple_opts(argc, argv, &json)) != 0)
		return rc < 0 ? 0 : rc;
	if (optind + 1 != argc) {
		cli_error("case show takes one case id");
		return cli_usage();
	}
	if ((rc = need_case(argv[optind], &id)) != 0)
		return rc;
	if ((rc = cli_open_store(STORE_READONLY, &s)) != 0)
		return cli_fail(rc);
	if (json) {
		char *js = NULL;
		if ((rc = store_case_show_json(s, id, &js)) == 0)
			rc = cli_print_json_line(NULL, js);
		free(js);
	} else if ((rc = store_case_get(s, id, print_case_head, NULL)) == 0 &&
	    (rc = store_case_timeline(s, id, collect_reason, &sh)) == 0) {
		char buf[32];
		struct filter *f = NULL;
		struct store_finding_query q = { .all = 1 };

		snprintf(buf, sizeof(buf), "case=%lld", (long long)id);
		if ((rc = filter_parse(buf, &f)) == 0) {
			q.filter = f;
			printf("\nfindings:\n");
			rc = store_findings_ls(s, &q, print_linked, &sh);
			filter_free(f);
		}
		if (rc == 0) {
			printf("\nevidence:\n");
			rc = store_evidence_ls(s, id, print_evidence_brief, NULL);
		}
		printf("\n(firebreak case timeline %lld for the whole story)\n",
		    (long long)id);
	}
	for (i = 0; i < sh.n; i++)
		free(sh.reasons[i]);
	free(sh.reasons);
	free(sh.ids);
	store_close(s);
	return cli_fail(rc);
}

static int
link_common(int argc, char **argv, int unlink)
{
	static const struct option longopts[] = {
		{ "reason", required_argument, NULL, 'r' },
		{ NULL, 0, NULL, 0 },
	};
	const char *reason = NULL;
	struct store *s = NULL;
	int64_t id, *ids = NULL;
	size_t n = 0;
	int c, rc;

	while ((c = cli_getopt(argc, argv, "r:", longopts)) != -1) {
		switch (c) {
		case 'r': reason = optarg; break;
		case 'h': return 0;
		default: return FB_EXIT_USAGE;
		}
	}
	if (argc - optind < 2) {
		cli_error("give a case id and finding ids");
		return cli_usage();
	}
	if ((rc = need_case(argv[optind], &id)) != 0)
		return rc;
	if (cli_parse_ids(argc - optind - 1, argv + optind + 1, &ids, &n) != 0)
		return cli_usage();
	if ((rc = cli_open_store(0, &s)) == 0) {
		rc = unlink ? store_case_unlink(s, id, ids, n) :
		    store_case_link(s, id, ids, n, reason, STORE_ACTOR_HUMAN);
		if (rc == 0)
			printf("%zu finding%s %s case #%lld\n", n,
			    n == 1 ? "" : "s", unlink ? "unlinked from" :
			    "linked to", (long long)id);
	}
	store_close(s);
	free(ids);
	return cli_fail(rc);
}

static int case_link(int argc, char **argv) { return link_common(argc, argv, 0); }
static int case_unlink(int argc, char **argv) { return link_common(argc, argv, 1); }

static int
case_merge(int argc, char **argv)
{
	struct store *s = NULL;
	int64_t from, into;
	int rc;

	if ((rc = simple_opts(argc, argv, NULL)) != 0)
		return rc < 0 ? 0 : rc;
	if (argc - optind != 2) {
		cli_error("case merge takes a case and the case to merge it into");
		return cli_usage();
	}
	if ((rc = need_case(argv[optind], &from)) != 0 ||
	    (rc = need_case(argv[optind + 1], &into)) != 0)
		return rc;
	if ((rc = cli_open_store(0, &s)) == 0 &&
	    (rc = store_case_merge(s, from, into)) == 0)
		printf("case #%lld merged into case #%lld\n", (long long)from,
		    (long long)into);
	store_close(s);
	return cli_fail(rc);
}

static int
case_note(int argc, char **argv)
{
	struct fb_buf text = FB_BUF_INIT;
	struct store *s = NULL;
	int64_t id;
	int rc;

	if ((rc = simple_opts(argc, argv, NULL)) != 0)
		return rc < 0 ? 0 : rc;
	if (argc - optind != 2) {
		cli_error("case note takes a case id and TEXT (or - for stdin)");
		return cli_usage();
	}
	if ((rc = need_case(argv[optind], &id)) != 0)
		return rc;
	if (strcmp(argv[optind + 1], "-") == 0) {
		if ((rc = fb_buf_read_file(&text, "-", STORE_CASE_TEXT_MAX)) != 0)
			return cli_fail(rc);
		while (text.len > 0 && text.data[text.len - 1] == '\n')
			fb_buf_setlen(&text, text.len - 1);
	} else
		fb_buf_addstr(&text, argv[optind + 1]);
	if (memchr(text.data, '\0', text.len) != NULL) {
		fb_buf_release(&text);
		cli_error("a note is text: it holds a NUL byte");
		return FB_EXIT_INPUT;
	}
	if ((rc = cli_open_store(0, &s)) == 0 &&
	    (rc = store_case_note(s, id, text.data)) == 0)
		printf("noted on case #%lld\n", (long long)id);
	store_close(s);
	fb_buf_release(&text);
	return cli_fail(rc);
}

static int
case_status(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "reason", required_argument, NULL, 'r' },
		{ NULL, 0, NULL, 0 },
	};
	const char *reason = NULL;
	struct store *s = NULL;
	int64_t id;
	int c, rc;

	while ((c = cli_getopt(argc, argv, "r:", longopts)) != -1) {
		switch (c) {
		case 'r': reason = optarg; break;
		case 'h': return 0;
		default: return FB_EXIT_USAGE;
		}
	}
	if (argc - optind != 2) {
		cli_error("case status takes a case id and a state ("
		    STORE_CASE_STATES ")");
		return cli_usage();
	}
	if ((rc = need_case(argv[optind], &id)) != 0)
		return rc;
	if (!store_case_state_valid(argv[optind + 1])) {
		cli_error("unknown state '%s' (states: " STORE_CASE_STATES ")",
		    argv[optind + 1]);
		return cli_usage();
	}
	if ((rc = cli_open_store(0, &s)) == 0 &&
	    (rc = store_case_set_status(s, id, argv[optind + 1], reason)) == 0)
		printf("case #%lld is %s\n", (long long)id, argv[optind + 1]);
	store_close(s);
	return cli_fail(rc);
}

static int
case_assign(int argc, char **argv)
{
	struct store *s = NULL;
	int64_t id;
	int rc;

	if ((rc = simple_opts(argc, argv, NULL)) != 0)
		return rc < 0 ? 0 : rc;
	if (argc - optind != 2) {
		cli_error("case assign takes a case id and a USER");
		return cli_usage();
	}
	if ((rc = need_case(argv[optind], &id)) != 0)
		return rc;
	if (strlen(argv[optind + 1]) > 64) {
		cli_error("a user name is at most 64 bytes");
		return FB_EXIT_INPUT;
	}
	if ((rc = cli_open_store(0, &s)) == 0 &&
	    (rc = store_case_assign(s, id, argv[optind + 1])) == 0) {
		printf("case #%lld assigned to ", (long long)id);
		cli_put_safe(stdout, argv[optind + 1]);
		fputc('\n', stdout);
	}
	store_close(s);
	return cli_fail(rc);
}

struct tl {
	int csv, tty, n;
};

static int
print_timeline_row(void *ctx, const struct store_timeline_row *r)
{
	struct tl *t = ctx;
	char num[32];

	t->n++;
	if (t->csv) {
		struct fb_buf b = FB_BUF_INIT;

		fb_csv_cell(&b, r->event_time);
		fb_buf_addch(&b, ',');
		fb_csv_cell(&b, r->recorded_time);
		fb_buf_addch(&b, ',');
		fb_csv_cell(&b, r->actor);
		fb_buf_addch(&b, ',');
		fb_csv_cell(&b, r->actor_kind);
		fb_buf_addch(&b, ',');
		fb_csv_cell(&b, r->kind);
		fb_buf_addch(&b, ',');
		snprintf(num, sizeof(num), "%lld", (long long)r->finding);
		fb_csv_cell(&b, r->finding ? num : "");
		fb_buf_addch(&b, ',');
		snprintf(num, sizeof(num), "%lld", (long long)r->evidence);
		fb_csv_cell(&b, r->evidence ? num : "");
		fb_buf_addch(&b, ',');
		fb_csv_cell(&b, r->text);
		/* Into a file as RFC 4180; on a terminal, inert text. */
		if (t->tty) {
			cli_put_safe(stdout, b.data);
			fputc('\n', stdout);
		} else {
			fwrite(b.data, 1, b.len, stdout);
			fputs("\r\n", stdout);
		}
		fb_buf_release(&b);
		return 0;
	}
	if (t->n == 1)
		printf("%-20s  %-20s  %-22s  %-14s  %s\n", "EVENT TIME",
		    "RECORDED", "ACTOR", "KIND", "WHAT");
	printf("%-20s  %-20s  ", r->event_time, r->recorded_time);
	{
		char *a = fb_sanitize_str(r->actor, 0);
		char *who = xasprintf("%.12s (%s)", a, r->actor_kind);
		printf("%-22.22s  %-14s  ", who, r->kind);
		free(who);
		free(a);
	}
	cli_put_safe(stdout, r->text);
	fputc('\n', stdout);
	return 0;
}

static int
case_timeline(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "csv", no_argument, NULL, 'c' },
		{ NULL, 0, NULL, 0 },
	};
	struct tl t = { 0 };
	struct store *s = NULL;
	int64_t id;
	int c, rc, json = 0;

	while ((c = cli_getopt(argc, argv, "jc", longopts)) != -1) {
		switch (c) {
		case 'j': json = 1; break;
		case 'c': t.csv = 1; break;
		case 'h': return 0;
		default: return FB_EXIT_USAGE;
		}
	}
	if (json && t.csv) {
		cli_error("choose --json or --csv");
		return cli_usage();
	}
	if (argc - optind != 1) {
		cli_error("case timeline takes one case id");
		return cli_usage();
	}
	if ((rc = need_case(argv[optind], &id)) != 0)
		return rc;
	t.tty = cli_stdout_tty();
	if ((rc = cli_open_store(STORE_READONLY, &s)) == 0) {
		if (json)
			rc = store_case_timeline_json(s, id, cli_print_json_line,
			    NULL);
		else {
			if (t.csv)
				fputs("event_time,recorded_time,actor,actor_kind,"
				    "kind,finding,evidence,text\r\n", stdout);
			rc = store_case_timeline(s, id, print_timeline_row, &t);
		}
	}
	store_close(s);
	return cli_fail(rc);
}

static int
case_suggest(int argc, char **argv)
{
	struct correlate_link *l = NULL;
	struct store *s = NULL;
	size_t n = 0, i;
	int64_t id;
	int rc, json = 0;

	if ((rc = simple_opts(argc, argv, &json)) != 0)
		return rc < 0 ? 0 : rc;
	if (argc - optind != 1) {
		cli_error("case suggest takes one case id");
		return cli_usage();
	}
	if ((rc = need_case(argv[optind], &id)) != 0)
		return rc;
	if ((rc = cli_open_store(STORE_READONLY, &s)) == 0 &&
	    (rc = correlate_suggest(s, id, &l, &n)) == 0) {
		for (i = 0; i < n && rc == 0; i++) {
			if (json) {
				struct fb_json *j = fb_json_new();
				char *line;

				fb_json_obj_begin(j);
				fb_json_kint(j, "case", id);
				fb_json_kint(j, "finding", l[i].finding);
				fb_json_kstr(j, "reason", l[i].reason);
				fb_json_obj_end(j);
				line = fb_json_finish(j);
				rc = cli_print_json_line(NULL, line);
				free(line);
			} else {
				printf("#%-6lld ", (long long)l[i].finding);
				cli_put_safe(stdout, l[i].reason);
				fputc('\n', stdout);
			}
		}
		if (n > 0 && !json)
			printf("(link with: firebreak case link %lld ID... "
			    "--reason TEXT)\n", (long long)id);
		else if (n == 0 && !json)
			fprintf(stderr, "no related findings outside case #%lld\n",
			    (long long)id);
	}
	correlate_links_free(l, n);
	store_close(s);
	return cli_fail(rc);
}

static const struct cli_verb verbs[] = {
	{ "new", case_new },
	{ "ls", case_ls },
	{ "show", case_show },
	{ "link", case_link },
	{ "unlink", case_unlink },
	{ "merge", case_merge },
	{ "note", case_note },
	{ "status", case_status },
	{ "assign", case_assign },
	{ "timeline", case_timeline },
	{ "suggest", case_suggest },
	{ NULL, NULL },
};

static int
case_run(int argc, char **argv)
{
	return cli_dispatch(argc, argv, verbs);
}

const struct cli_command cli_cmd_case = {
	"case", "cases: group findings, tell the incident, keep its clocks",
	"usage: firebreak case new TITLE [--severity S] [--from FINDING...] [--reason TEXT]\n"
	"       firebreak case ls [--json] [--all] [FILTER...]\n"
	"       firebreak case show [--json] CASE\n"
	"       firebreak case link CASE FINDING... [--reason TEXT]\n"
	"       firebreak case unlink CASE FINDING...\n"
	"       firebreak case merge CASE INTO\n"
	"       firebreak case note CASE TEXT|-\n"
	"       firebreak case status CASE STATE [--reason TEXT]\n"
	"       firebreak case assign CASE USER\n"
	"       firebreak case timeline CASE [--json|--csv]\n"
	"       firebreak case suggest [--json] CASE\n"
	"\n"
	"STATE is open, contained, eradicated, recovered or closed; a closed\n"
	"case may be reopened. Every change is one audit row and one line\n"
	"on the case's timeline, which keeps when a thing happened (event\n"
	"time, by the source's clock) apart from when firebreak recorded it.\n"
	"\n"
	"ls        open cases first, most severe first, with the incident\n"
	"          clocks: time to first human action, to contained, to\n"
	"          closed, counted from the earliest linked finding's event;\n"
	"          FILTER terms as for findings (id, severity, status, title,\n"
	"          since/until on opening; other terms and TYPE:VALUE assets\n"
	"          must hold for one of the case's findings); --all includes\n"
	"          merged cases\n"
	"show      the case, its clocks, findings with the reason each was\n"
	"          linked, and evidence\n"
	"link      a finding in another case moves, and both timelines say so\n"
	"merge     moves findings and evidence into INTO; CASE is closed as\n"
	"          merged and its timeline shows in INTO's\n"
	"timeline  --csv for spreadsheets (cells that would be formulas get\n"
	"          a leading ')\n"
	"suggest   findings outside the case sharing an asset with it (model\n"
	"          hash, host, key id, route, image digest), with the reason\n",
	case_run, 0,
};
