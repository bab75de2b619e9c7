/* scan.c: firebreak scan — model files that would run code when loaded. */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"
#include "ingest/ingest.h"
#include "scan/scan.h"

/* Findings listed under one file in the table; the rest are in --json. */
#define SHOW_MAX 20
/* The progress line appears only once this many files were scanned. */
#define PROGRESS_AFTER 50

struct scan_run {
	int json;
	int ingest;
	int progress;          /* draw a progress line on stderr */
	int progress_shown;
	int header_done;
	struct timespec last_draw;
	uint64_t bytes;
	uint64_t nfiles;       /* files scanned (any verdict) */
	uint64_t nfailed;      /* paths or files that could not be read */
	uint64_t count[SCAN_VERDICT_DANGEROUS + 1];
	struct fb_buf jsonl;   /* what --ingest stores: the findings only */
	uint64_t ningest;
	const char *host;      /* --host: the files are a copy of this host's */
	char *root;            /* --root: ...taken from under this directory */
};

/*
 * With --root, a file's path is reported as the path it had on its host:
 * ROOT/srv/models/m.pt is /srv/models/m.pt. Returns an allocated path, or
 * NULL when there is no --root.
 */
static char *
host_path(const struct scan_run *run, const char *path)
{
	char *abs;
	size_t n;

	if (run->root == NULL || (abs = realpath(path, NULL)) == NULL)
		return NULL;
	n = strlen(run->root);
	if (strncmp(abs, run->root, n) == 0 && abs[n] == '/') {
		memmove(abs, abs + n, strlen(abs + n) + 1);
		return abs;
	}
	free(abs);
	return NULL;
}

static void
progress_clear(struct scan_run *run)
{
	if (run->progress_shown) {
		fputs("\r\033[K", stderr);
		fflush(stderr);
		run->progress_shown = 0;
	}
}

static void
progress_draw(struct scan_run *run)
{
	struct timespec now;
	long ms;

	if (!run->progress || run->nfiles < PROGRESS_AFTER)
		return;
	clock_gettime(CLOCK_MONOTONIC, &now);
	ms = (now.tv_sec - run->last_draw.tv_sec) * 1000 +
	    (now.tv_nsec - run->last_draw.tv_nsec) / 1000000;
	if (run->progress_shown && ms < 100)
		return;
	run->last_draw = now;
	fprintf(stderr, "\r\033[Kscanning: %llu files, %llu MB, %llu dangerous",
	    (unsigned long long)run->nfiles,
	    (unsigned long long)(run->bytes >> 20),
	    (unsigned long long)run->count[SCAN_VERDICT_DANGEROUS]);
	fflush(stderr);
	run->progress_shown = 1;
}

static void
print_where(const char *member, uint64_t offset)
{
	if (member != NULL) {
		fputs(" in '", stdout);
		cli_put_safe(stdout, member);
		fputc('\'', stdout);
	}
	printf(" at offset %llu", (unsigned long long)offset);
}

/*
 * The lines under a dangerous, suspicious or error file: what made it so,
 * worst first. Every imported global that is not safe has a finding of
 * its own, so the globals are not listed again (--json has them all).
 */
static void
print_reasons(const struct scan_result *r)
{
	size_t i, shown = 0;
	int sev;

	for (sev = SCAN_SEV_CRITICAL; sev >= SCAN_SEV_INFO; sev--) {
		for (i = 0; i < r->nfindings; i++) {
			const struct scan_finding *f = &r->findings[i];

			if ((int)f->severity != sev || shown++ >= SHOW_MAX)
				continue;
			printf("    %-9s %s: ", scan_severity_name(f->severity),
			    f->rule);
			cli_put_safe(stdout, f->message);
			print_where(f->member, f->offset);
			fputc('\n', stdout);
		}
	}
	if (shown > SHOW_MAX)
		printf("    ... and %zu more (see --json)\n", shown - SHOW_MAX);
	if (r->globals_capped)
		printf("    (more distinct globals than the scanner keeps)\n");
}

static void
print_row(struct scan_run *run, const struct scan_result *r)
{
	if (!run->header_done) {
		printf("%-10s %-15s %s\n", "VERDICT", "FORMAT", "PATH");
		run->header_done = 1;
	}
	printf("%-10s %-15s ", scan_verdict_name(r->verdict),
	    scan_format_name(r->format));
	cli_put_safe(stdout, r->path);
	fputc('\n', stdout);
	if (r->verdict == SCAN_VERDICT_DANGEROUS ||
	    r->verdict == SCAN_VERDICT_SUSPICIOUS ||
	    r->verdict == SCAN_VERDICT_ERROR)
		print_reasons(r);
}

/* What one stored line keeps: far below ingest.max_record_bytes. */
#define INGEST_KEEP 256

static int
finding_worse(const void *a, const void *b)
{
	const struct scan_finding *x = a, *y = b;

	if (x->severity != y->severity)
		return x->severity > y->severity ? -1 : 1;
	if (x->offset != y->offset)
		return x->offset < y->offset ? -1 : 1;
	return strcmp(x->rule, y->rule);
}

/*
 * Keep r for --ingest, under its absolute path so that locations from
 * scans run in different directories agree. A file with thousands of
 * globals keeps its worst findings and its unsafe globals first.
 */
static void
keep_for_ingest(struct scan_run *run, const struct scan_result *r)
{
	struct scan_result copy = *r;
	struct scan_finding *f = NULL;
	struct scan_global *g = NULL;
	size_t i, n = 0;
	char *abs;

	if (r->verdict != SCAN_VERDICT_DANGEROUS &&
	    r->verdict != SCAN_VERDICT_SUSPICIOUS &&
	    r->verdict != SCAN_VERDICT_ERROR)
		return;
	if (r->nfindings > INGEST_KEEP) {
		f = xmalloc(r->nfindings * sizeof(*f));
		memcpy(f, r->findings, r->nfindings * sizeof(*f));
		qsort(f, r->nfindings, sizeof(*f), finding_worse);
		copy.findings = f;
		copy.nfindings = INGEST_KEEP;
	}
	if (r->nglobals > INGEST_KEEP) {
		g = xmalloc(INGEST_KEEP * sizeof(*g));
		for (i = 0; i < r->nglobals && n < INGEST_KEEP; i++)
			if (r->globals[i].cls != SCAN_CLASS_SAFE)
				g[n++] = r->globals[i];
		for (i = 0; i < r->nglobals && n < INGEST_KEEP; i++)
			if (r->globals[i].cls == SCAN_CLASS_SAFE)
				g[n++] = r->globals[i];
		copy.globals = g;
		copy.nglobals = n;
		copy.globals_capped = 1;
	}
	/* on_result already mapped the path under --root */
	abs = run->root != NULL ? NULL : realpath(r->path, NULL);
	if (abs != NULL)
		copy.path = abs;
	scan_result_json(&copy, &run->jsonl);
	fb_buf_addch(&run->jsonl, '\n');
	free(abs);
	free(f);
	free(g);
	run->ningest++;
}

static int
on_result(void *ctx, const struct scan_result *res, int rc)
{
	struct scan_run *run = ctx;
	struct fb_buf line = FB_BUF_INIT;
	struct scan_result mapped;
	const struct scan_result *r = res;
	char *hp = NULL;

	if (rc != 0) {
		/* this file or directory only: report it and go on */
		progress_clear(run);
		cli_fail(rc);
		run->nfailed++;
		return 0;
	}
	if (run->host != NULL || run->root != NULL) {
		mapped = *res;
		mapped.host = run->host;
		if ((hp = host_path(run, res->path)) != NULL)
			mapped.path = hp;
		r = &mapped;
	}
	run->nfiles++;
	run->bytes += r->size;
	if (r->verdict <= SCAN_VERDICT_DANGEROUS)
		run->count[r->verdict]++;
	if (run->ingest)
		keep_for_ingest(run, r);
	/* no clearing here: with a progress line, stdout is not the tty */
	if (run->json) {
		scan_result_json(r, &line);
		fb_buf_addch(&line, '\n');
		fwrite(line.data, 1, line.len, stdout);
		fb_buf_release(&line);
	} else {
		print_row(run, r);
	}
	free(hp);
	if (ferror(stdout))
		return fb_err(FB_ERR_IO, "cannot write output");
	if (run->progress)
		fflush(stdout);
	progress_draw(run);
	return 0;
}

static void
print_summary(const struct scan_run *run)
{
	printf("%llu file%s: %llu dangerous, %llu error, %llu suspicious, "
	    "%llu safe, %llu not a model",
	    (unsigned long long)run->nfiles, run->nfiles == 1 ? "" : "s",
	    (unsigned long long)run->count[SCAN_VERDICT_DANGEROUS],
	    (unsigned long long)run->count[SCAN_VERDICT_ERROR],
	    (unsigned long long)run->count[SCAN_VERDICT_SUSPICIOUS],
	    (unsigned long long)run->count[SCAN_VERDICT_SAFE],
	    (unsigned long long)run->count[SCAN_VERDICT_NOT_MODEL]);
	if (run->nfailed > 0)
		printf(", %llu unreadable", (unsigned long long)run->nfailed);
	putchar('\n');
}

/* Store what was found; the report goes to stderr under --json. */
static int
do_ingest(struct scan_run *run, struct store *s)
{
	struct ingest_opts o = { 0 };
	struct ingest_result ir;
	FILE *fp = run->json ? stderr : stdout;
	int rc;

	if (run->ningest == 0) {
		fprintf(fp, "nothing to ingest: no dangerous, error or "
		    "suspicious file\n");
		return 0;
	}
	o.format = "firebreak-scan";
	rc = ingest_buffer(s, "firebreak scan", run->jsonl.data,
	    run->jsonl.len, &o, &ir);
	if (rc != 0)
		return rc;
	if (ir.already) {
		fprintf(fp, "these results were already ingested as #%lld\n",
		    (long long)ir.already);
		return 0;
	}
	fprintf(fp, "ingested %llu file%s as #%lld: %lld new, %lld repeat, "
	    "%lld rejected\n", (unsigned long long)run->ningest,
	    run->ningest == 1 ? "" : "s", (long long)ir.id,
	    (long long)ir.counts.n_new, (long long)ir.counts.n_repeat,
	    (long long)ir.counts.n_rejected);
	if (ir.counts.n_rejected > 0)
		cli_warn("%lld scan result(s) rejected, the first because: %s",
		    (long long)ir.counts.n_rejected, ir.first_reject);
	return 0;
}

static int
scan_run(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "ingest", no_argument, NULL, 'I' },
		{ "policy", required_argument, NULL, 'P' },
		{ "host", required_argument, NULL, 'H' },
		{ "root", required_argument, NULL, 'R' },
		{ NULL, 0, NULL, 0 },
	};
	struct scan_run run;
	struct scan_options opts = { 0 };
	struct scan_policy *pol = scan_policy_new();
	struct store *s = NULL;
	int c, i, rc = 0, status;

	memset(&run, 0, sizeof(run));
	fb_buf_init(&run.jsonl);
	while ((c = cli_getopt(argc, argv, "j", longopts)) != -1) {
		switch (c) {
		case 'j': run.json = 1; break;
		case 'I': run.ingest = 1; break;
		case 'P':
			if ((rc = scan_policy_load(pol, optarg)) != 0) {
				scan_policy_free(pol);
				return cli_fail(rc);
			}
			break;
		case 'H':
			if (*optarg == '\0' || strlen(optarg) > 255 ||
			    !fb_utf8_valid(optarg, strlen(optarg))) {
				scan_policy_free(pol);
				cli_error("--host: a host name, at most 255 bytes");
				return FB_EXIT_USAGE;
			}
			run.host = optarg;
			break;
		case 'R':
			free(run.root);
			if ((run.root = realpath(optarg, NULL)) == NULL) {
				scan_policy_free(pol);
				return cli_fail(fb_err(FB_ERR_NOENT, "--root '%s': "
				    "%s", optarg, strerror(errno)));
			}
			break;
		case 'h': scan_policy_free(pol); return 0;
		default: scan_policy_free(pol); return FB_EXIT_USAGE;
		}
	}
	if ((rc = scan_policy_default(pol)) != 0) {
		scan_policy_free(pol);
		return cli_fail(rc);
	}
	opts.policy = pol;
	if (optind >= argc) {
		scan_policy_free(pol);
		free(run.root);
		cli_error("nothing to scan: give a FILE or DIRECTORY");
		return cli_usage();
	}
	for (i = optind; run.root != NULL && i < argc; i++) {
		char *abs = realpath(argv[i], NULL);
		size_t n = strlen(run.root);
		int under = abs != NULL && strncmp(abs, run.root, n) == 0 &&
		    (abs[n] == '/' || abs[n] == '\0');

		free(abs);
		if (!under) {
			scan_policy_free(pol);
			free(run.root);
			cli_error("'%s' is not under --root", argv[i]);
			return FB_EXIT_USAGE;
		}
	}
	/* A missing workspace is found before minutes of scanning. */
	if (run.ingest && (rc = cli_open_store(0, &s)) != 0) {
		scan_policy_free(pol);
		return cli_fail(rc);
	}
	/* Only when stdout is elsewhere: results on the terminal show
	 * progress themselves. */
	run.progress = isatty(STDERR_FILENO) && !isatty(STDOUT_FILENO);
	for (i = optind; i < argc && rc == 0; i++)
		rc = scan_path(argv[i], &opts, on_result, &run);
	progress_clear(&run);
	if (rc != 0) {
		status = cli_fail(rc);
		goto out;
	}
	if (!run.json)
		print_summary(&run);
	if (run.ingest && (rc = do_ingest(&run, s)) != 0) {
		status = cli_fail(rc);
		goto out;
	}
	if (run.count[SCAN_VERDICT_DANGEROUS] > 0 ||
	    run.count[SCAN_VERDICT_ERROR] > 0 ||
	    run.count[SCAN_VERDICT_SUSPICIOUS] > 0)
		status = FB_EXIT_FOUND;
	else if (run.nfailed > 0)
		status = run.nfiles > 0 ? FB_EXIT_PARTIAL : FB_EXIT_INPUT;
	else
		status = FB_EXIT_OK;
out:
	if (fflush(stdout) != 0 && status == 0)
		status = cli_fail(fb_err(FB_ERR_IO, "cannot write output"));
	store_close(s);
	scan_policy_free(pol);
	free(run.root);
	fb_buf_release(&run.jsonl);
	return status;
}

const struct cli_command cli_cmd_scan = {
	"scan", "find model files that would run code when loaded",
	"usage: firebreak scan [--json] [--ingest] [--policy FILE]\n"
	"                      [--host NAME [--root DIR]] PATH...\n"
	"\n"
	"Scan model files, and every regular file under a directory, for\n"
	"code that loading them would run (pickle globals in PyTorch, NumPy\n"
	"and joblib files; malformed safetensors headers), without loading\n"
	"or executing anything. Each file gets a verdict: dangerous, error,\n"
	"suspicious, safe or not-model.\n"
	"\n"
	"  -j, --json    one JSON object per file (JSON Lines)\n"
	"      --ingest  store dangerous, error and suspicious files as findings\n"
	"                of kind model: one per file content and rule, with a\n"
	"                location per path\n"
	"      --host NAME  the files are a copy of host NAME's: its findings'\n"
	"                locations and assets name it\n"
	"      --root DIR  the copy was taken from under DIR: report each path\n"
	"                as it was on the host (DIR/srv/m.pt is /srv/m.pt)\n"
	"      --policy FILE  classify globals by FILE's rules first (repeatable;\n"
	"                then $XDG_CONFIG_HOME/firebreak/scan-policy.lua, then\n"
	"                the shipped lua/firebreak/scan/policy.lua)\n"
	"\n"
	"Exit status: 0 every file safe or not a model, 1 a dangerous, error or\n"
	"suspicious file, 3 nothing could be read, 4 some paths could not be read.\n"
	"See firebreak-scan(1).\n",
	scan_run, 0,
};
