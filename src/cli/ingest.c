/* ingest.c: firebreak ingest — findings from reports and logs. */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "ingest/ingest.h"
#include "json/json.h"

static void
progress(void *ud, uint64_t done, uint64_t total)
{
	const char *path = ud;

	if (total == 0)
		return;
	fprintf(stderr, "\ringesting ");
	cli_put_safe(stderr, path);
	fprintf(stderr, ": %3u%% (%llu of %llu MB)", (unsigned)(done * 100 / total),
	    (unsigned long long)(done >> 20), (unsigned long long)(total >> 20));
	if (done == total)
		fputc('\n', stderr);
	fflush(stderr);
}

static void
report(const char *path, const struct ingest_result *r, int json)
{
	if (json) {
		struct fb_json *j = fb_json_new();
		char *line;

		fb_json_obj_begin(j);
		fb_json_kstr(j, "path", path);
		if (r->already) {
			fb_json_kint(j, "already_ingested_as", r->already);
		} else {
			fb_json_kint(j, "ingest", r->id);
			fb_json_kstr(j, "format", r->format);
		}
		fb_json_kstr(j, "sha256", r->sha256);
		fb_json_kint(j, "size", (int64_t)r->size);
		fb_json_kint(j, "new", r->counts.n_new);
		fb_json_kint(j, "repeat", r->counts.n_repeat);
		fb_json_kint(j, "resolved", r->counts.n_resolved);
		fb_json_kint(j, "rejected", r->counts.n_rejected);
		fb_json_obj_end(j);
		line = fb_json_finish(j);
		puts(line);
		free(line);
		return;
	}
	if (r->already) {
		fputc('\'', stdout);
		cli_put_safe(stdout, path);
		printf("' already ingested as #%lld (use --force to ingest it "
		    "again)\n", (long long)r->already);
		return;
	}
	printf("ingested '");
	cli_put_safe(stdout, path);
	printf("' as #%lld (%s): %lld new, %lld repeat, %lld resolved, "
	    "%lld rejected\n", (long long)r->id, r->format,
	    (long long)r->counts.n_new, (long long)r->counts.n_repeat,
	    (long long)r->counts.n_resolved, (long long)r->counts.n_rejected);
	if (r->counts.n_rejected > 0)
		cli_warn("%lld record(s) of '%s' rejected, the first because: %s",
		    (long long)r->counts.n_rejected, path, r->first_reject);
}

static int
ingest_run(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "format", required_argument, NULL, 'f' },
		{ "force", no_argument, NULL, 'F' },
		{ "json", no_argument, NULL, 'j' },
		{ "list-formats", no_argument, NULL, 'L' },
		{ "scope", required_argument, NULL, 'S' },
		{ NULL, 0, NULL, 0 },
	};
	struct ingest_opts o = { 0 };
	struct store *s = NULL;
	int c, rc, json = 0, ok = 0, failed = 0, last_exit = 0, i;

	while ((c = cli_getopt(argc, argv, "f:j", longopts)) != -1) {
		switch (c) {
		case 'f': o.format = optarg; break;
		case 'F': o.force = 1; break;
		case 'j': json = 1; break;
		case 'L': return cli_fail(ingest_formats_print());
		case 'S':
			if (!fb_text_line(optarg, 1024)) {
				cli_error("--scope wants 1 to 1024 bytes of "
				    "UTF-8 text without control characters");
				return cli_usage();
			}
			o.scope = optarg;
			break;
		case 'h': return 0;
		default: return FB_EXIT_USAGE;
		}
	}
	if (optind >= argc) {
		cli_error("nothing to ingest: give FILE... or - for stdin");
		return cli_usage();
	}
	if (o.scope != NULL && argc - optind > 1) {
		cli_error("--scope says what one input covers: give one FILE "
		    "(each later input of the format would resolve what the "
		    "earlier one found)");
		return cli_usage();
	}
	if ((rc = cli_open_store(0, &s)) != 0)
		return cli_fail(rc);
	for (i = optind; i < argc; i++) {
		struct ingest_result r;

		o.progress = isatty(STDERR_FILENO) && !json ? progress : NULL;
		o.progress_ud = argv[i];
		rc = ingest_file(s, argv[i], &o, &r);
		if (rc == 0) {
			report(argv[i], &r, json);
			ok++;
		} else {
			last_exit = cli_fail(rc);
			failed++;
		}
	}
	/* correlate.auto: group what was just ingested (correlate.c). */
	if (ok > 0 && (rc = cli_correlate_auto(s, json)) != 0) {
		last_exit = cli_fail(rc);
		failed++;
	}
	store_close(s);
	if (failed == 0)
		return 0;
	return ok > 0 ? FB_EXIT_PARTIAL : last_exit;
}

static int
print_format(void *ud, const char *name, const char *version,
    const char *description, const char *path)
{
	printf("%-20s %-4s ", name, version);
	cli_put_safe(stdout, description);
	putchar('\n');
	return 0;
}

int
ingest_formats_print(void)
{
	return ingest_formats(print_format, NULL);
}

const struct cli_command cli_cmd_ingest = {
	"ingest", "findings from reports and logs",
	"usage: firebreak ingest [-f FORMAT] [--force] [--json] FILE... | -\n"
	"       firebreak ingest --scope NAME [-f FORMAT] [--force] [--json] FILE | -\n"
	"       firebreak ingest --list-formats\n"
	"\n"
	"Read each report or log (- is standard input), detect its format\n"
	"from its content, and store its findings, deduplicated by\n"
	"fingerprint. One input is one transaction and one audit row: a\n"
	"malformed or truncated input changes nothing (exit 3). Identical\n"
	"bytes ingested before are recognised and skipped.\n"
	"\n"
	"  -f, --format FORMAT  skip detection (see --list-formats)\n"
	"      --force          ingest identical bytes again\n"
	"      --scope NAME     the input is all its tool found in NAME (a repo,\n"
	"                       a host, an image): open findings of NAME that an\n"
	"                       earlier input of the format brought and this one\n"
	"                       lacks are resolved\n"
	"  -j, --json           one JSON line of counts per input\n"
	"      --list-formats   the adapters available\n"
	"\n"
	"Limits: config keys ingest.max_bytes, ingest.max_record_bytes,\n"
	"ingest.max_findings. Formats and fields: firebreak-ingest(5).\n",
	ingest_run, 0,
};
