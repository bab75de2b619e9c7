/* export.c: firebreak export CASE -o FILE — a signed, verifiable bundle. */
#include "config.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "evidence/evidence.h"

struct progress {
	int tty;
	int last;
};

static void
progress(void *ctx, uint64_t done, uint64_t total)
{
	struct progress *p = ctx;
	int pct = total ? (int)(done * 100 / total) : 100;

	if (!p->tty || pct == p->last)
		return;
	p->last = pct;
	fprintf(stderr, "\rexporting evidence: %3d%%", pct);
	if (pct == 100)
		fputc('\n', stderr);
}

/* T from --as-of, else SOURCE_DATE_EPOCH, else now. */
static int
as_of_time(const char *flag, int64_t *t)
{
	const char *sde = getenv("SOURCE_DATE_EPOCH");
	char *end;

	if (flag != NULL) {
		if (fb_time_parse(flag, t, NULL) == 0)
			return 0;
		if (*flag == '@' && isdigit((unsigned char)flag[1])) {
			*t = strtoll(flag + 1, &end, 10);
			if (*end == '\0')
				return 0;
		}
		cli_error("invalid --as-of '%s': an RFC 3339 time or @EPOCH",
		    flag);
		return -1;
	}
	if (sde != NULL && *sde != '\0') {
		*t = strtoll(sde, &end, 10);
		if (*end != '\0' || !isdigit((unsigned char)*sde)) {
			cli_error("invalid SOURCE_DATE_EPOCH '%s'", sde);
			return -1;
		}
		return 0;
	}
	*t = fb_time_now();
	return 0;
}

static int
export_run(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "output", required_argument, NULL, 'o' },
		{ "as-of", required_argument, NULL, 'T' },
		{ "sign", required_argument, NULL, 'S' },
		{ "redact", no_argument, NULL, 'R' },
		{ "redact-ipv4", no_argument, NULL, '4' },
		{ NULL, 0, NULL, 0 },
	};
	struct evidence_export_opts o = { 0 };
	struct evidence_export_result res;
	struct progress pr = { .tty = isatty(2), .last = -1 };
	const char *as_of = NULL, *p;
	struct store *s = NULL;
	enum evidence_bundle_format fmt;
	char when[FB_TIME_LEN], *end;
	int c, rc;

	while ((c = cli_getopt(argc, argv, "o:", longopts)) != -1) {
		switch (c) {
		case 'o': o.output = optarg; break;
		case 'T': as_of = optarg; break;
		case 'S': o.sign_key = optarg; break;
		case 'R': o.redact |= EVIDENCE_REDACT; break;
		case '4': o.redact |= EVIDENCE_REDACT | EVIDENCE_REDACT_IPV4;
			break;
		case 'h': return 0;
		default: return FB_EXIT_USAGE;
		}
	}
	if (optind != argc - 1) {
		cli_error("export needs one CASE");
		return cli_usage();
	}
	p = argv[optind][0] == '#' ? argv[optind] + 1 : argv[optind];
	o.case_id = strtoll(p, &end, 10);
	if (!isdigit((unsigned char)*p) || *end != '\0' || o.case_id <= 0) {
		cli_error("'%s' is not a case id", argv[optind]);
		return cli_usage();
	}
	if (o.output == NULL) {
		cli_error("export needs -o FILE (.tar.gz, .tar.zst or .zip)");
		return cli_usage();
	}
	if (evidence_bundle_format(o.output, &fmt) != 0) {
		cli_error("%s", fb_errmsg(-FB_ERR_USAGE));
		return cli_usage();
	}
	if (as_of_time(as_of, &o.as_of) != 0)
		return cli_usage();
	if (o.as_of > fb_time_now()) {
		/* The state of the future is not known yet: it would change. */
		cli_error("--as-of is in the future: a bundle shows what was "
		    "recorded by then");
		return FB_EXIT_USAGE;
	}
	if (o.sign_key != NULL && access(o.sign_key, R_OK) != 0) {
		cli_error("cannot read the signing key '%s'", o.sign_key);
		return FB_EXIT_USAGE;
	}
	o.progress = progress;
	o.progress_ctx = &pr;
	if ((rc = cli_open_store(0, &s)) != 0)
		return cli_fail(rc);
	rc = evidence_export(s, &o, &res);
	store_close(s);
	if (rc != 0)
		return cli_fail(rc);
	fb_time_fmt(o.as_of, when);
	printf("case #%lld as of %s: %lld evidence items, %lld findings%s%s\n",
	    (long long)o.case_id, when, (long long)res.items,
	    (long long)res.findings, o.sign_key ? ", signed" : "",
	    o.redact ? ", redacted" : "");
	if (o.redact)
		printf("redactions: %lld (kinds and counts in redact.log)\n",
		    (long long)res.redactions);
	fputs("wrote ", stdout);
	cli_put_safe(stdout, o.output);
	printf(" (%llu bytes, sha256 %s)\n", (unsigned long long)res.size,
	    res.sha256);
	return 0;
}

const struct cli_command cli_cmd_export = {
	"export", "write a case's evidence bundle for auditors",
	"usage: firebreak export CASE -o FILE [--as-of TIME] [--sign KEYFILE]\n"
	"                        [--redact] [--redact-ipv4]\n"
	"\n"
	"Write case CASE as it stood at TIME (default SOURCE_DATE_EPOCH, else\n"
	"now) into FILE, a .tar.gz, .tar.zst or .zip chosen by its name. The\n"
	"same case at the same TIME gives byte-identical files. --sign signs\n"
	"SHA256SUMS with ssh-keygen -Y sign (namespace firebreak-evidence).\n"
	"--redact replaces secrets, emails and card numbers in text evidence\n"
	"and reports (--redact-ipv4 also IPv4 addresses). See\n"
	"firebreak-bundle(5) for the contents; 'firebreak verify' checks one.\n",
	export_run, 0,
};
