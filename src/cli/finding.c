/* finding.c: firebreak finding ls|show|ack|resolve|fp — triage. */
#include "config.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "filter/filter.h"
#include "json/json.h"

int
cli_parse_ids(int argc, char **argv, int64_t **ids, size_t *n)
{
	int64_t *v;
	int i;

	if (argc <= 0) {
		cli_error("no finding id given");
		return FB_EXIT_USAGE;
	}
	v = xcalloc((size_t)argc, sizeof(*v));
	for (i = 0; i < argc; i++) {
		const char *p = argv[i][0] == '#' ? argv[i] + 1 : argv[i];
		char *end;

		v[i] = strtoll(p, &end, 10);
		if (!isdigit((unsigned char)*p) || *end != '\0' || v[i] <= 0) {
			cli_error("'%s' is not an id", argv[i]);
			free(v);
			return FB_EXIT_USAGE;
		}
	}
	*ids = v;
	*n = (size_t)argc;
	return 0;
}

/* Positional filter terms joined into one filter text. */
static int
parse_filter_args(int argc, char **argv, struct filter **f)
{
	struct fb_buf b = FB_BUF_INIT;
	int i, rc;

	for (i = 0; i < argc; i++) {
		if (i)
			fb_buf_addch(&b, ' ');
		if (strchr(argv[i], ' ') != NULL) {
			/* keep a spaced value together: quote after the op */
			size_t k = strcspn(argv[i], "=<>!:");
			if (argv[i][k] != '\0') {
				size_t opn = strspn(argv[i] + k, "=<>!:");
				fb_buf_add(&b, argv[i], k + opn);
				fb_buf_addf(&b, "\"%s\"", argv[i] + k + opn);
			} else
				fb_buf_addf(&b, "\"%s\"", argv[i]);
		} else
			fb_buf_addstr(&b, argv[i]);
	}
	rc = filter_parse(b.data, f);
	fb_buf_release(&b);
	return rc;
}

static void
put_cell(const char *s, int width)
{
	char *safe = fb_sanitize_str(s, 0);
	size_t w = 0, i = 0, n = strlen(safe);

	/* Cut at width columns, on a character boundary. */
	while (i < n) {
		size_t len = 1;
		char save;
		while (i + len < n && ((unsigned char)safe[i + len] & 0xc0) == 0x80)
			len++;
		save = safe[i + len];
		safe[i + len] = '\0';
		w += fb_utf8_width(safe + i);
		safe[i + len] = save;
		if (width > 0 && w > (size_t)width)
			break;
		fwrite(safe + i, 1, len, stdout);
		i += len;
	}
	if (width > 0)
		for (; w < (size_t)width; w++)
			fputc(' ', stdout);
	free(safe);
}

static int
print_row(void *ctx, const struct store_finding_row *r)
{
	int *n = ctx;

	if ((*n)++ == 0)
		printf("%6s  %-8s  %-14s  %-14s  %5s  %-20s  %s\n", "ID", "SEV",
		    "STATUS", "SOURCE", "COUNT", "LAST SEEN", "TITLE");
	printf("%6lld  %-8s  ", (long long)r->id,
	    filter_severity_name(r->severity));
	put_cell(r->suppressed ? "suppressed" : r->status, 14);
	fputs("  ", stdout);
	put_cell(r->source, 14);
	printf("  %5lld  %-20s  ", (long long)r->count, r->last_seen);
	put_cell(r->title, 0);
	fputc('\n', stdout);
	return 0;
}

static int
finding_ls(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "search", required_argument, NULL, 's' },
		{ "limit", required_argument, NULL, 'n' },
		{ "all", no_argument, NULL, 'a' },
		{ NULL, 0, NULL, 0 },
	};
	struct store_finding_query q = { 0 };
	struct filter *f = NULL;
	struct store *s = NULL;
	int c, rc, json = 0, n = 0;
	char *end;

	while ((c = cli_getopt(argc, argv, "js:n:a", longopts)) != -1) {
		switch (c) {
		case 'j': json = 1; break;
		case 's': q.search = optarg; break;
		case 'a': q.all = 1; break;
		case 'n':
			q.limit = strtoll(optarg, &end, 10);
			if (*end != '\0' || q.limit <= 0) {
				cli_error("invalid --limit '%s'", optarg);
				return cli_usage();
			}
			break;
		case 'h': return 0;
		default: return FB_EXIT_USAGE;
		}
	}
	if ((rc = parse_filter_args(argc - optind, argv + optind, &f)) != 0) {
		cli_fail(rc);
		return FB_EXIT_USAGE;
	}
	q.filter = f;
	if ((rc = cli_open_store(0, &s)) != 0) {
		filter_free(f);
		return cli_fail(rc);
	}
	if (json)
		rc = store_findings_ls_json(s, &q, cli_print_json_line, NULL);
	else
		rc = store_findings_ls(s, &q, print_row, &n);
	if (rc == 0 && !json && n == 0)
		fprintf(stderr, "no findings match\n");
	store_close(s);
	filter_free(f);
	return cli_fail(rc);
}

/* The human view of `finding show`, read back from its JSON. */
static int
show_text(const char *json)
{
	struct fb_buf pretty = FB_BUF_INIT;
	char *safe;
	int rc;

	if ((rc = fb_json_pretty(json, strlen(json), &pretty)) != 0)
		return rc;
	safe = fb_sanitize_str(pretty.data, FB_SAN_MULTILINE);
	fputs(safe, stdout);
	fputc('\n', stdout);
	free(safe);
	fb_buf_release(&pretty);
	return 0;
}

static int
finding_show(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ NULL, 0, NULL, 0 },
	};
	struct store *s = NULL;
	int64_t *ids = NULL;
	size_t n = 0, i;
	int c, rc, json = 0;

	while ((c = cli_getopt(argc, argv, "j", longopts)) != -1) {
		switch (c) {
		case 'j': json = 1; break;
		case 'h': return 0;
		default: return FB_EXIT_USAGE;
		}
	}
	if ((rc = cli_parse_ids(argc - optind, argv + optind, &ids, &n)) != 0)
		return cli_usage();
	if ((rc = cli_open_store(0, &s)) != 0) {
		free(ids);
		return cli_fail(rc);
	}
	for (i = 0; i < n && rc == 0; i++) {
		char *js = NULL;

		if ((rc = store_finding_show_json(s, ids[i], &js)) != 0)
			break;
		if (json)
			rc = cli_print_json_line(NULL, js);
		else {
			if (i)
				fputc('\n', stdout);
			rc = show_text(js);
		}
		free(js);
	}
	store_close(s);
	free(ids);
	return cli_fail(rc);
}

static int
set_status(int argc, char **argv, const char *status, const char *verb)
{
	static const struct option longopts[] = {
		{ "reason", required_argument, NULL, 'r' },
		{ NULL, 0, NULL, 0 },
	};
	const char *reason = NULL;
	struct store *s = NULL;
	int64_t *ids = NULL;
	size_t n = 0;
	int c, rc;

	while ((c = cli_getopt(argc, argv, "r:", longopts)) != -1) {
		switch (c) {
		case 'r': reason = optarg; break;
		case 'h': return 0;
		default: return FB_EXIT_USAGE;
		}
	}
	if (cli_parse_ids(argc - optind, argv + optind, &ids, &n) != 0)
		return cli_usage();
	if (reason == NULL && strcmp(status, "open") != 0 &&
	    strcmp(status, "acknowledged") != 0) {
		cli_error("%s needs --reason TEXT (it is kept in the audit log)",
		    verb);
		free(ids);
		return cli_usage();
	}
	if ((rc = cli_open_store(0, &s)) != 0) {
		free(ids);
		return cli_fail(rc);
	}
	rc = store_findings_set_status(s, ids, n, status, reason);
	if (rc == 0)
		printf("%zu finding%s marked %s\n", n, n == 1 ? "" : "s", status);
	store_close(s);
	free(ids);
	return cli_fail(rc);
}

static int finding_ack(int argc, char **argv) { return set_status(argc, argv, "acknowledged", "ack"); }
static int finding_resolve(int argc, char **argv) { return set_status(argc, argv, "resolved", "resolve"); }
static int finding_fp(int argc, char **argv) { return set_status(argc, argv, "false_positive", "fp"); }
static int finding_reopen(int argc, char **argv) { return set_status(argc, argv, "open", "reopen"); }

static const struct cli_verb verbs[] = {
	{ "ls", finding_ls },
	{ "show", finding_show },
	{ "ack", finding_ack },
	{ "resolve", finding_resolve },
	{ "fp", finding_fp },
	{ "reopen", finding_reopen },
	{ NULL, NULL },
};

static int
finding_run(int argc, char **argv)
{
	return cli_dispatch(argc, argv, verbs);
}

const struct cli_command cli_cmd_finding = {
	"finding", "list, show and triage findings (alias: findings)",
	"usage: firebreak finding ls [--json] [--all] [--search TEXT] [--limit N] [FILTER...]\n"
	"       firebreak finding show [--json] ID...\n"
	"       firebreak finding ack|reopen ID... [--reason TEXT]\n"
	"       firebreak finding resolve|fp ID... --reason TEXT\n"
	"       firebreak findings ...   (same as finding ls)\n"
	"\n"
	"FILTER terms (all must hold): field=value with * and ? globs,\n"
	"severity>=high, status=open, source=trivy, kind=..., rule=CVE-*,\n"
	"title=..., case=12, scope=..., since=2h or RFC 3339, until=...,\n"
	"assets as TYPE:VALUE (host:gpu-2, model:ab12cd, key:9f3c...),\n"
	"and bare words for full-text search.\n"
	"\n"
	"ls        most severe first; suppressed findings are hidden unless\n"
	"          --all; --search TEXT is full-text (FTS5) search\n"
	"show      every field, which identity fields made the fingerprint,\n"
	"          assets, locations and the raw record (secrets masked)\n"
	"ack       acknowledged: seen, being handled\n"
	"resolve   fixed; seen again in a later ingest, it reopens\n"
	"fp        a false positive\n"
	"reopen    back to open\n",
	finding_run, 0,
};
