/* model.c: firebreak model ls|register|status — the model registry. */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli/cli.h"

static int
print_model(void *ctx, const struct store_model_row *r)
{
	int *n = ctx;

	if ((*n)++ == 0)
		printf("%-24s  %-12s  %-11s  %-16s  %s\n", "NAME", "VERSION",
		    "STATUS", "SHA-256", "PROVENANCE / LOCATION");
	{
		struct fb_buf b = FB_BUF_INIT;
		fb_sanitize(&b, r->name, strlen(r->name), 0);
		printf("%-24s  ", b.data);
		fb_buf_reset(&b);
		fb_sanitize(&b, r->version, strlen(r->version), 0);
		printf("%-12s  ", b.data);
		fb_buf_release(&b);
	}
	printf("%-11s  %.16s  ", r->status, r->sha256);
	cli_put_safe(stdout, r->provenance ? r->provenance : "-");
	if (r->location != NULL) {
		fputs(" / ", stdout);
		cli_put_safe(stdout, r->location);
	}
	fputc('\n', stdout);
	return 0;
}

static int
model_ls(int argc, char **argv)
{
	struct store *s = NULL;
	int rc, json = 0, n = 0;

	if ((rc = cli_ls_options(argc, argv, &json)) >= 0)
		return rc;
	if ((rc = cli_open_store(STORE_READONLY, &s)) != 0)
		return cli_fail(rc);
	if (json)
		rc = store_model_ls_json(s, cli_print_json_line, NULL);
	else
		rc = store_model_ls(s, print_model, &n);
	store_close(s);
	return cli_fail(rc);
}

/* Names and versions are short, printable, single-line text. */
static int
check_name(const char *what, const char *v)
{
	size_t n = strlen(v);

	if (n == 0 || n > 256 || !fb_utf8_valid(v, n) ||
	    strpbrk(v, "\n\r\t") != NULL) {
		cli_error("invalid model %s '%s'", what, v);
		return -1;
	}
	return 0;
}

static int
model_register(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "sha256", required_argument, NULL, 's' },
		{ "provenance", required_argument, NULL, 'p' },
		{ NULL, 0, NULL, 0 },
	};
	const char *sha = NULL, *prov = NULL, *file = NULL;
	char hex[FB_SHA256_HEX];
	struct store *s = NULL;
	char *location = NULL;
	int64_t id = 0;
	int c, rc, nargs;

	while ((c = cli_getopt(argc, argv, "s:p:", longopts)) != -1) {
		switch (c) {
		case 's': sha = optarg; break;
		case 'p': prov = optarg; break;
		case 'h': return 0;
		default: return FB_EXIT_USAGE;
		}
	}
	nargs = argc - optind;
	if (nargs != (sha != NULL ? 2 : 3)) {
		cli_error("model register needs NAME VERSION and either FILE or "
		    "--sha256 H");
		return cli_usage();
	}
	if (check_name("name", argv[optind]) != 0 ||
	    check_name("version", argv[optind + 1]) != 0)
		return cli_usage();
	if (prov != NULL && strlen(prov) > 4096) {
		cli_error("--provenance is longer than 4096 bytes");
		return cli_usage();
	}
	if (sha != NULL) {
		if (!fb_is_sha256_hex(sha)) {
			cli_error("'%s' is not a SHA-256 (64 lower-case hex "
			    "digits)", sha);
			return cli_usage();
		}
		snprintf(hex, sizeof(hex), "%s", sha);
	} else {
		struct stat st;

		file = argv[optind + 2];
		/* A version directory hashes as the playbooks hash it on a
		 * host: fb_sha256_dir. */
		if (stat(file, &st) == 0 && S_ISDIR(st.st_mode))
			rc = fb_sha256_dir(file, hex, NULL);
		else
			rc = fb_sha256_file(file, hex, NULL);
		if (rc != 0)
			return cli_fail(rc);
		location = realpath(file, NULL);
		if (location == NULL)
			location = xstrdup(file);
	}
	if ((rc = cli_open_store(0, &s)) != 0) {
		free(location);
		return cli_fail(rc);
	}
	rc = store_model_register(s, argv[optind], argv[optind + 1], hex,
	    location, prov, &id);
	if (rc == 0) {
		printf("model ");
		cli_put_safe(stdout, argv[optind]);
		printf(" ");
		cli_put_safe(stdout, argv[optind + 1]);
		printf(" registered (sha256 %s)\n", hex);
	}
	store_close(s);
	free(location);
	return cli_fail(rc);
}

static int
model_status(int argc, char **argv)
{
	struct store *s = NULL;
	int c, rc;

	while ((c = cli_getopt(argc, argv, "", NULL)) != -1)
		return c == 'h' ? 0 : FB_EXIT_USAGE;
	if (argc - optind != 3) {
		cli_error("model status needs NAME VERSION STATE");
		return cli_usage();
	}
	if ((rc = cli_open_store(0, &s)) != 0)
		return cli_fail(rc);
	rc = store_model_status(s, argv[optind], argv[optind + 1],
	    argv[optind + 2]);
	if (rc == 0) {
		printf("model ");
		cli_put_safe(stdout, argv[optind]);
		printf(" ");
		cli_put_safe(stdout, argv[optind + 1]);
		printf(" is now %s\n", argv[optind + 2]);
	}
	store_close(s);
	if (rc == -FB_ERR_INVAL) {
		cli_fail(rc);
		return FB_EXIT_USAGE;
	}
	return cli_fail(rc);
}

static const struct cli_verb verbs[] = {
	{ "ls", model_ls },
	{ "register", model_register },
	{ "status", model_status },
	{ NULL, NULL },
};

static int
model_run(int argc, char **argv)
{
	return cli_dispatch(argc, argv, verbs);
}

const struct cli_command cli_cmd_model = {
	"model", "the model registry: names, versions, hashes, states",
	"usage: firebreak model ls [--json]\n"
	"       firebreak model register NAME VERSION FILE|DIRECTORY|--sha256 H "
	"[--provenance TEXT]\n"
	"       firebreak model status NAME VERSION STATE\n"
	"\n"
	"register records a model version by its SHA-256: of FILE (hashed\n"
	"here; its absolute path is kept as the location), of a version\n"
	"DIRECTORY (its one file's hash, else the hash of its sorted\n"
	"sha256sum listing, as the shipped playbooks compute it on a host),\n"
	"or given with --sha256. STATE is one of registered, approved, quarantined,\n"
	"retired. Every change is one audit row.\n",
	model_run, 0,
};
