/* suppress.c: firebreak suppress add|ls|rm — hide findings with a reason. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"

static int
suppress_add(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "reason", required_argument, NULL, 'r' },
		{ "expires", required_argument, NULL, 'e' },
		{ NULL, 0, NULL, 0 },
	};
	const char *reason = NULL, *expires = NULL;
	struct store *s = NULL;
	struct fb_buf match = FB_BUF_INIT;
	int64_t id = 0, exp = 0, secs;
	int c, rc, i;

	while ((c = cli_getopt(argc, argv, "r:e:", longopts)) != -1) {
		switch (c) {
		case 'r': reason = optarg; break;
		case 'e': expires = optarg; break;
		case 'h': return 0;
		default: return FB_EXIT_USAGE;
		}
	}
	if (optind >= argc) {
		cli_error("suppress add needs a MATCH filter");
		return cli_usage();
	}
	if (reason == NULL || *reason == '\0') {
		cli_error("suppress add needs --reason TEXT");
		return cli_usage();
	}
	if (expires != NULL) {
		if (fb_duration_parse(expires, &secs) == 0)
			exp = fb_time_now() + secs;
		else if (fb_time_parse(expires, &exp, NULL) != 0) {
			cli_error("invalid --expires '%s': a duration (30d) or "
			    "an RFC 3339 time", expires);
			return cli_usage();
		}
	}
	for (i = optind; i < argc; i++)
		fb_buf_addf(&match, "%s%s", i > optind ? " " : "", argv[i]);
	if ((rc = cli_open_store(0, &s)) != 0) {
		fb_buf_release(&match);
		return cli_fail(rc);
	}
	if (expires == NULL && store_config_int(s, "suppress.default_expiry",
	    &secs) == 0 && secs > 0)
		exp = fb_time_now() + secs;
	rc = store_suppress_add(s, match.data, reason, exp, &id);
	if (rc == 0)
		printf("suppression #%lld added\n", (long long)id);
	store_close(s);
	fb_buf_release(&match);
	if (rc == -FB_ERR_INVAL) {
		cli_fail(rc);
		return FB_EXIT_USAGE;
	}
	return cli_fail(rc);
}

static int
print_row(void *ctx, const struct store_suppression_row *r)
{
	int *n = ctx;

	if ((*n)++ == 0)
		printf("%4s  %-8s  %-20s  %-20s  %6s  %s\n", "ID", "OWNER",
		    "EXPIRES", "STATE", "HIDES", "MATCH / REASON");
	printf("%4lld  %-8.8s  %-20s  %-20s  %6lld  ", (long long)r->id,
	    r->owner, r->expires ? r->expires : "never",
	    r->active ? "active" : "expired or removed",
	    (long long)r->matching);
	cli_put_safe(stdout, r->match);
	fputs(" / ", stdout);
	cli_put_safe(stdout, r->reason);
	fputc('\n', stdout);
	return 0;
}

static int
suppress_ls(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "all", no_argument, NULL, 'a' },
		{ NULL, 0, NULL, 0 },
	};
	struct store *s = NULL;
	int c, rc, json = 0, all = 0, n = 0;

	while ((c = cli_getopt(argc, argv, "ja", longopts)) != -1) {
		switch (c) {
		case 'j': json = 1; break;
		case 'a': all = 1; break;
		case 'h': return 0;
		default: return FB_EXIT_USAGE;
		}
	}
	if (optind < argc) {
		cli_error("unexpected argument '%s'", argv[optind]);
		return cli_usage();
	}
	if ((rc = cli_open_store(0, &s)) != 0)
		return cli_fail(rc);
	if (json)
		rc = store_suppress_ls_json(s, all, cli_print_json_line, NULL);
	else
		rc = store_suppress_ls(s, all, print_row, &n);
	store_close(s);
	return cli_fail(rc);
}

static int
suppress_rm(int argc, char **argv)
{
	struct store *s = NULL;
	int64_t *ids = NULL;
	size_t n = 0, i;
	int c, rc = 0;

	while ((c = cli_getopt(argc, argv, "", NULL)) != -1)
		return c == 'h' ? 0 : FB_EXIT_USAGE;
	if (cli_parse_ids(argc - optind, argv + optind, &ids, &n) != 0)
		return cli_usage();
	if ((rc = cli_open_store(0, &s)) != 0) {
		free(ids);
		return cli_fail(rc);
	}
	for (i = 0; i < n && rc == 0; i++)
		if ((rc = store_suppress_rm(s, ids[i])) == 0)
			printf("suppression #%lld removed\n", (long long)ids[i]);
	store_close(s);
	free(ids);
	return cli_fail(rc);
}

static const struct cli_verb verbs[] = {
	{ "add", suppress_add },
	{ "ls", suppress_ls },
	{ "rm", suppress_rm },
	{ NULL, NULL },
};

static int
suppress_run(int argc, char **argv)
{
	return cli_dispatch(argc, argv, verbs);
}

const struct cli_command cli_cmd_suppress = {
	"suppress", "hide findings that match a filter, with a reason",
	"usage: firebreak suppress add MATCH... --reason TEXT [--expires DURATION|TIME]\n"
	"       firebreak suppress ls [--json] [--all]\n"
	"       firebreak suppress rm ID...\n"
	"\n"
	"A suppression is a filter (the grammar of 'finding ls'), a reason,\n"
	"its owner and an optional expiry. It is evaluated when findings are\n"
	"read, never written into them: 'finding ls' hides what it matches\n"
	"(--all shows it), and removing it or letting it expire brings the\n"
	"findings back. ls --all includes expired and removed ones.\n",
	suppress_run, 0,
};
