/* verify.c: firebreak verify BUNDLE — check an evidence bundle offline. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "evidence/evidence.h"

static void
problem(void *ctx, const char *msg)
{
	(void)ctx;
	fputs("FAIL: ", stdout);
	cli_put_safe(stdout, msg);
	fputc('\n', stdout);
}

static void
note(void *ctx, const char *msg)
{
	(void)ctx;
	fputs("note: ", stdout);
	cli_put_safe(stdout, msg);
	fputc('\n', stdout);
}

static int
verify_run(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "allowed-signers", required_argument, NULL, 'A' },
		{ NULL, 0, NULL, 0 },
	};
	struct evidence_verify_opts o = { .problem = problem, .note = note };
	struct evidence_verify_result res;
	int c, rc;

	while ((c = cli_getopt(argc, argv, "", longopts)) != -1) {
		switch (c) {
		case 'A': o.allowed_signers = optarg; break;
		case 'h': return 0;
		default: return FB_EXIT_USAGE;
		}
	}
	if (optind != argc - 1) {
		cli_error("verify needs one BUNDLE");
		return cli_usage();
	}
	rc = evidence_verify(argv[optind], &o, &res);
	if (rc == 0) {
		printf("bundle intact: %lld files", (long long)res.files);
		if (res.trusted) {
			fputs(", signed by ", stdout);
			cli_put_safe(stdout, res.signer);
		} else if (res.signed_)
			fputs(", valid signature, signer not trusted", stdout);
		else
			fputs(", not signed", stdout);
		fputc('\n', stdout);
		return 0;
	}
	if (rc == -FB_ERR_TAMPER) {
		printf("bundle NOT intact: %lld problem%s\n",
		    (long long)res.problems, res.problems == 1 ? "" : "s");
		return FB_EXIT_FOUND;
	}
	return cli_fail(rc);
}

const struct cli_command cli_cmd_verify = {
	"verify", "check an evidence bundle offline",
	"usage: firebreak verify BUNDLE [--allowed-signers FILE]\n"
	"\n"
	"Check an evidence bundle without a workspace: archive safety (no\n"
	"absolute or .. names, no links, duplicates or special files), every\n"
	"hash in SHA256SUMS, the manifest against the files, the custody and\n"
	"audit chains, and the signature. A signature is trusted only against\n"
	"the auditor's --allowed-signers (ssh-keygen ALLOWED SIGNERS format).\n"
	"Exit 0 when intact, 1 with every problem listed.\n",
	verify_run, 0,
};
