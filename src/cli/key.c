/* key.c: firebreak key ls|revoke — API keys by id, never by secret. */
#include "config.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"

static int
print_key(void *ctx, const struct store_key_row *r)
{
	int *n = ctx;

	if ((*n)++ == 0)
		printf("%-16s  %-7s  %-20s  %9s  %-17s  %s\n", "KEY ID",
		    "STATUS", "LAST SEEN", "REQUESTS", "SEEN IN",
		    "OWNER / REVOCATION");
	printf("%-16s  %-7s  %-20s  %9lld  %-17.17s  ", r->id, r->status,
	    r->last_seen ? r->last_seen : "-", (long long)r->requests,
	    r->kind);
	cli_put_safe(stdout, r->owner ? r->owner : "-");
	if (r->revoked_at != NULL) {
		printf(" / revoked %s by ", r->revoked_at);
		cli_put_safe(stdout, r->revoked_by);
		if (r->revoke_case > 0)
			printf(" (case %lld)", (long long)r->revoke_case);
		fputs(": ", stdout);
		cli_put_safe(stdout, r->revoke_reason);
	}
	fputc('\n', stdout);
	return 0;
}

static int
key_ls(int argc, char **argv)
{
	struct store *s = NULL;
	int rc, json = 0, n = 0;

	if ((rc = cli_ls_options(argc, argv, &json)) >= 0)
		return rc;
	if ((rc = cli_open_store(STORE_READONLY, &s)) != 0)
		return cli_fail(rc);
	if (json)
		rc = store_key_ls_json(s, cli_print_json_line, NULL);
	else
		rc = store_key_ls(s, print_key, &n);
	store_close(s);
	return cli_fail(rc);
}

/* A key id: 16 hex digits (upper case accepted, stored lower). */
static int
parse_key_id(const char *arg, char id[17])
{
	size_t i;

	if (strlen(arg) != 16)
		return -1;
	for (i = 0; i < 16; i++) {
		if (!isxdigit((unsigned char)arg[i]))
			return -1;
		id[i] = (char)tolower((unsigned char)arg[i]);
	}
	id[16] = '\0';
	return 0;
}

static int
key_revoke(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "reason", required_argument, NULL, 'r' },
		{ "case", required_argument, NULL, 'c' },
		{ "at", required_argument, NULL, 'a' },
		{ NULL, 0, NULL, 0 },
	};
	const char *reason = NULL, *casearg = NULL, *atarg = NULL;
	struct store *s = NULL;
	int64_t case_id = 0, at = fb_time_now();
	char id[17];
	int c, rc;

	while ((c = cli_getopt(argc, argv, "r:c:a:", longopts)) != -1) {
		switch (c) {
		case 'r': reason = optarg; break;
		case 'c': casearg = optarg; break;
		case 'a': atarg = optarg; break;
		case 'h': return 0;
		default: return FB_EXIT_USAGE;
		}
	}
	if (optind + 1 != argc) {
		cli_error("key revoke needs one KEY_ID");
		return cli_usage();
	}
	if (parse_key_id(argv[optind], id) != 0) {
		cli_error("'%s' is not a key id (16 hex digits: the start of "
		    "the key's SHA-256, as 'key ls' shows)", argv[optind]);
		return cli_usage();
	}
	if (reason == NULL || *reason == '\0') {
		cli_error("key revoke needs --reason TEXT");
		return cli_usage();
	}
	if (casearg != NULL) {
		const char *p = casearg[0] == '#' ? casearg + 1 : casearg;
		char *end;

		case_id = strtoll(p, &end, 10);
		if (!isdigit((unsigned char)*p) || *end != '\0' || case_id <= 0) {
			cli_error("'%s' is not a case number", casearg);
			return cli_usage();
		}
	}
	if (atarg != NULL && fb_time_parse(atarg, &at, NULL) != 0) {
		cli_error("invalid --at '%s': an RFC 3339 time", atarg);
		return cli_usage();
	}
	if ((rc = cli_open_store(0, &s)) != 0)
		return cli_fail(rc);
	if ((rc = store_key_revoke(s, id, reason, case_id, at)) == 0)
		printf("key %s revoked\n", id);
	store_close(s);
	return cli_fail(rc);
}

static const struct cli_verb verbs[] = {
	{ "ls", key_ls },
	{ "revoke", key_revoke },
	{ NULL, NULL },
};

static int
key_run(int argc, char **argv)
{
	return cli_dispatch(argc, argv, verbs);
}

const struct cli_command cli_cmd_key = {
	"key", "API keys seen in gateway logs, by id; revoke them",
	"usage: firebreak key ls [--json]\n"
	"       firebreak key revoke KEY_ID --reason TEXT [--case N] [--at TIME]\n"
	"\n"
	"A key is known by its id, the first 16 hex digits of the SHA-256 of\n"
	"the key; the key itself is never stored. Ingesting a gateway log\n"
	"records each key it sees. revoke records that a key was revoked at\n"
	"TIME (default now), with a reason and optionally the case it belongs\n"
	"to; every later use of it in a gateway log is a critical finding.\n",
	key_run, 0,
};
