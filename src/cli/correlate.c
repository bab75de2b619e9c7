/* correlate.c: firebreak correlate — propose cases from shared assets. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "filter/filter.h"
#include "ingest/correlate.h"
#include "json/json.h"

static int
print_proposal(const struct correlate_proposal *p, int json)
{
	size_t i;

	if (json) {
		struct fb_json *j = fb_json_new();
		char *line;
		int rc;

		fb_json_obj_begin(j);
		if (p->case_id)
			fb_json_kint(j, "case", p->case_id);
		fb_json_kstr(j, "title", p->title);
		fb_json_kstr(j, "severity", p->severity >= 0 ?
		    filter_severity_name(p->severity) : NULL);
		fb_json_key(j, "findings");
		fb_json_arr_begin(j);
		for (i = 0; i < p->nlinks; i++) {
			fb_json_obj_begin(j);
			fb_json_kint(j, "id", p->links[i].finding);
			fb_json_kstr(j, "reason", p->links[i].reason);
			fb_json_obj_end(j);
		}
		fb_json_arr_end(j);
		fb_json_obj_end(j);
		line = fb_json_finish(j);
		rc = cli_print_json_line(NULL, line);
		free(line);
		return rc;
	}
	if (p->case_id)
		printf("case #%lld  ", (long long)p->case_id);
	else
		printf("proposed   ");
	printf("[%s] ", p->severity >= 0 ? filter_severity_name(p->severity) :
	    "?");
	cli_put_safe(stdout, p->title);
	fputc('\n', stdout);
	for (i = 0; i < p->nlinks; i++) {
		printf("  #%-6lld ", (long long)p->links[i].finding);
		cli_put_safe(stdout, p->links[i].reason);
		fputc('\n', stdout);
	}
	return 0;
}

int
cli_correlate_auto(struct store *s, int quiet)
{
	struct correlate_result r;
	char *ms = NULL;
	int64_t on = 0;
	int sev, rc;
	size_t i;

	if (store_config_int(s, "correlate.auto", &on) != 0 || !on) {
		fb_err_clear();
		return 0;
	}
	if (store_config_get(s, "correlate.min_severity", &ms) != 0 ||
	    (sev = filter_severity_parse(ms)) < 0)
		sev = 3;
	free(ms);
	if ((rc = correlate_propose(s, sev, &r)) != 0)
		return rc;
	rc = correlate_apply(s, &r, STORE_ACTOR_SYSTEM);
	for (i = 0; i < r.n && !quiet; i++)
		if (r.p[i].case_id)
			print_proposal(&r.p[i], 0);
	correlate_result_release(&r);
	return rc;
}

static int
correlate_run(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "apply", no_argument, NULL, 'a' },
		{ "json", no_argument, NULL, 'j' },
		{ "min-severity", required_argument, NULL, 's' },
		{ NULL, 0, NULL, 0 },
	};
	struct correlate_result r = { 0 };
	struct store *s = NULL;
	int c, rc, apply = 0, json = 0, sev = -1;
	size_t i;

	while ((c = cli_getopt(argc, argv, "ajs:", longopts)) != -1) {
		switch (c) {
		case 'a': apply = 1; break;
		case 'j': json = 1; break;
		case 's':
			if ((sev = filter_severity_parse(optarg)) < 0) {
				cli_error("unknown severity '%s'", optarg);
				return cli_usage();
			}
			break;
		case 'h': return 0;
		default: return FB_EXIT_USAGE;
		}
	}
	if (optind != argc) {
		cli_error("unexpected '%s'", argv[optind]);
		return cli_usage();
	}
	if ((rc = cli_open_store(apply ? 0 : STORE_READONLY, &s)) != 0)
		return cli_fail(rc);
	if (sev < 0) {
		char *ms = NULL;

		if (store_config_get(s, "correlate.min_severity", &ms) != 0 ||
		    (sev = filter_severity_parse(ms)) < 0) {
			cli_warn("correlate.min_severity '%s' is not a severity; "
			    "using high", ms ? ms : "");
			sev = 3;
		}
		free(ms);
		fb_err_clear();
	}
	if ((rc = correlate_propose(s, sev, &r)) == 0 && apply)
		rc = correlate_apply(s, &r, STORE_ACTOR_HUMAN);
	for (i = 0; i < r.n; i++)
		if (!apply || r.p[i].case_id)
			print_proposal(&r.p[i], json);
	if (rc == 0 && r.n == 0 && !json)
		fprintf(stderr, "nothing to group: no ungrouped %s-or-worse "
		    "findings share an asset\n", filter_severity_name(sev));
	else if (rc == 0 && !apply && !json)
		fprintf(stderr, "%zu case%s proposed; open %s with 'firebreak "
		    "correlate --apply'\n", r.n, r.n == 1 ? "" : "s",
		    r.n == 1 ? "it" : "them");
	correlate_result_release(&r);
	store_close(s);
	return cli_fail(rc);
}

const struct cli_command cli_cmd_correlate = {
	"correlate", "propose cases for related high and critical findings",
	"usage: firebreak correlate [--apply] [--json] [--min-severity S]\n"
	"\n"
	"Group ungrouped, unsuppressed, unresolved findings of severity S\n"
	"(default: config key correlate.min_severity, high) that share an\n"
	"asset: a model SHA-256, a host, an API key id, a route, an image\n"
	"digest. The rules are lua/firebreak/correlate.lua. Without --apply\n"
	"nothing changes: the proposals are printed, each finding with the\n"
	"reason it belongs. --apply opens one case per proposal, every link\n"
	"recording its reason. With correlate.auto set, ingest does this\n"
	"after every input (as the system actor).\n",
	correlate_run, 0,
};
