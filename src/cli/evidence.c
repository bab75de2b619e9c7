/* evidence.c: firebreak evidence add|ls|show|check — the evidence store. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/cli.h"
#include "json/json.h"
#include "store/cases.h"

static int64_t
parse_id(const char *arg)
{
	const char *p = arg[0] == '#' ? arg + 1 : arg;
	char *end;
	long long v;

	if (*p < '0' || *p > '9')
		return 0;
	v = strtoll(p, &end, 10);
	return *end == '\0' && v > 0 ? v : 0;
}

/* Standard input as one item: what a pipe brings has no file metadata. */
static int
add_stdin(struct store *s, int64_t case_id, const char *name,
    const char *note, uint64_t limit, int64_t *id)
{
	struct store_evidence_in in = {
		.case_id = case_id, .kind = "stdin", .collector = "evidence add",
		.name = name ? name : "stdin", .clock_offset_ms = 0,
		.orig_mtime = STORE_TIME_UNSET, .orig_mode = -1, .note = note,
		.actor_kind = STORE_ACTOR_HUMAN,
	};
	int rc;

	in.started = fb_time_now();
	if ((rc = store_blob_put_fd(s, STDIN_FILENO, limit, &in.blob)) != 0)
		return rc;
	in.finished = fb_time_now();
	return store_evidence_add(s, &in, id);
}

/* Store one local file; its metadata is read from the open descriptor. */
static int
add_one(struct store *s, const char *arg, int64_t case_id, const char *note,
    uint64_t limit, int64_t *id)
{
	struct store_evidence_in in = {
		.case_id = case_id, .kind = "file", .collector = "evidence add",
		.clock_offset_ms = 0, .note = note,
		.actor_kind = STORE_ACTOR_HUMAN,
	};
	char *real = NULL, owner[160];
	struct passwd *pw;
	struct group *gr;
	struct stat st;
	const char *base;
	int fd, rc;

	/* Non-blocking until we know it is a file: a FIFO would hang. */
	if ((fd = open(arg, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK)) < 0)
		return fb_err(errno == ENOENT ? FB_ERR_NOENT : FB_ERR_IO,
		    "cannot open '%s': %s", arg, strerror(errno));
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) ||
	    fcntl(fd, F_SETFL, 0) != 0) {
		close(fd);
		return fb_err(FB_ERR_INVAL, "'%s' is not a regular file", arg);
	}
	if (limit > 0 && (uint64_t)st.st_size > limit) {
		close(fd);
		return fb_err(FB_ERR_LIMIT, "'%s' is larger than "
		    "evidence.max_bytes (%llu bytes)", arg,
		    (unsigned long long)limit);
	}
	in.started = fb_time_now();
	rc = store_blob_put_fd(s, fd, limit, &in.blob);
	in.finished = fb_time_now();
	close(fd);
	if (rc != 0)
		return rc;
	real = realpath(arg, NULL);
	in.path = real ? real : arg;
	base = strrchr(in.path, '/');
	in.name = base ? base + 1 : in.path;
	in.orig_mtime = st.st_mtime;
	in.orig_mode = st.st_mode & 07777;
	pw = getpwuid(st.st_uid);
	gr = getgrgid(st.st_gid);
	if (pw != NULL && gr != NULL)
		snprintf(owner, sizeof(owner), "%s:%s", pw->pw_name, gr->gr_name);
	else
		snprintf(owner, sizeof(owner), "%lu:%lu",
		    (unsigned long)st.st_uid, (unsigned long)st.st_gid);
	in.orig_owner = owner;
	rc = store_evidence_add(s, &in, id);
	free(real);
	return rc;
}

static int
case_exists(void *ctx, const struct store_case_row *r)
{
	(void)ctx;
	(void)r;
	return 0;
}

static int
evidence_add(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "case", required_argument, NULL, 'c' },
		{ "note", required_argument, NULL, 'n' },
		{ "name", required_argument, NULL, 'N' },
		{ NULL, 0, NULL, 0 },
	};
	const char *note = NULL, *name = NULL;
	struct store *s = NULL;
	int64_t case_id = 0, limit = 0;
	int c, rc, ok = 0, failed = 0, last = 0, i;

	while ((c = cli_getopt(argc, argv, "c:n:", longopts)) != -1) {
		switch (c) {
		case 'c':
			if ((case_id = parse_id(optarg)) == 0) {
				cli_error("'%s' is not a case id", optarg);
				return cli_usage();
			}
			break;
		case 'n': note = optarg; break;
		case 'N':
			if (strlen(optarg) > 255 || strchr(optarg, '/')) {
				cli_error("--name is a file name of at most 255 "
				    "bytes");
				return cli_usage();
			}
			name = optarg;
			break;
		case 'h': return 0;
		default: return FB_EXIT_USAGE;
		}
	}
	if (case_id == 0) {
		cli_error("evidence add needs --case N");
		return cli_usage();
	}
	if (optind >= argc) {
		cli_error("no FILE given");
		return cli_usage();
	}
	if ((rc = cli_open_store(0, &s)) != 0)
		return cli_fail(rc);
	/* An unknown case fails every file alike: say so before copying. */
	if ((rc = store_case_get(s, case_id, case_exists, NULL)) != 0) {
		store_close(s);
		return cli_fail(rc);
	}
	store_config_int(s, "evidence.max_bytes", &limit);
	fb_err_clear();
	for (i = optind; i < argc; i++) {
		int64_t id;

		if (strcmp(argv[i], "-") == 0)
			rc = add_stdin(s, case_id, name, note, (uint64_t)limit,
			    &id);
		else
			rc = add_one(s, argv[i], case_id, note, (uint64_t)limit,
			    &id);
		if (rc == 0) {
			printf("evidence #%lld: '", (long long)id);
			cli_put_safe(stdout, argv[i]);
			printf("' stored in case #%lld\n", (long long)case_id);
			ok++;
		} else {
			last = cli_fail(rc);
			failed++;
		}
	}
	store_close(s);
	if (failed == 0)
		return 0;
	return ok > 0 ? FB_EXIT_PARTIAL : last;
}

static int
print_row(void *ctx, const struct store_evidence_row *r)
{
	int *n = ctx;

	if ((*n)++ == 0)
		printf("%5s  %5s  %-12s  %10s  %-20s  %s\n", "ID", "CASE",
		    "SHA256", "SIZE", "COLLECTED", "SOURCE");
	printf("%5lld  %5lld  %.12s  %10lld  %-20s  ", (long long)r->id,
	    (long long)r->case_id, r->sha256, (long long)r->size, r->finished);
	cli_put_safe(stdout, r->source_host);
	fputc(':', stdout);
	cli_put_safe(stdout, r->path ? r->path : r->command ? r->command :
	    r->name ? r->name : "");
	fputc('\n', stdout);
	return 0;
}

static int
evidence_ls(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "case", required_argument, NULL, 'c' },
		{ "json", no_argument, NULL, 'j' },
		{ NULL, 0, NULL, 0 },
	};
	struct store *s = NULL;
	int64_t case_id = 0;
	int c, rc, json = 0, n = 0;

	while ((c = cli_getopt(argc, argv, "c:j", longopts)) != -1) {
		switch (c) {
		case 'c':
			if ((case_id = parse_id(optarg)) == 0) {
				cli_error("'%s' is not a case id", optarg);
				return cli_usage();
			}
			break;
		case 'j': json = 1; break;
		case 'h': return 0;
		default: return FB_EXIT_USAGE;
		}
	}
	if (optind != argc) {
		cli_error("unexpected '%s'", argv[optind]);
		return cli_usage();
	}
	if ((rc = cli_open_store(STORE_READONLY, &s)) == 0) {
		if (json)
			rc = store_evidence_ls_json(s, case_id,
			    cli_print_json_line, NULL);
		else
			rc = store_evidence_ls(s, case_id, print_row, &n);
		if (rc == 0 && !json && n == 0)
			fprintf(stderr, "no evidence\n");
	}
	store_close(s);
	return cli_fail(rc);
}

static int
evidence_show(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ NULL, 0, NULL, 0 },
	};
	struct store *s = NULL;
	char *js = NULL;
	int64_t id;
	int c, rc, json = 0;

	while ((c = cli_getopt(argc, argv, "j", longopts)) != -1) {
		switch (c) {
		case 'j': json = 1; break;
		case 'h': return 0;
		default: return FB_EXIT_USAGE;
		}
	}
	if (argc - optind != 1 || (id = parse_id(argv[optind])) == 0) {
		cli_error("evidence show takes one evidence id");
		return cli_usage();
	}
	if ((rc = cli_open_store(STORE_READONLY, &s)) == 0 &&
	    (rc = store_evidence_show_json(s, id, &js)) == 0) {
		if (json)
			rc = cli_print_json_line(NULL, js);
		else {
			struct fb_buf pretty = FB_BUF_INIT;

			if ((rc = fb_json_pretty(js, strlen(js), &pretty)) == 0) {
				char *safe = fb_sanitize_str(pretty.data,
				    FB_SAN_MULTILINE);
				puts(safe);
				free(safe);
			}
			fb_buf_release(&pretty);
		}
	}
	free(js);
	store_close(s);
	return cli_fail(rc);
}

struct check {
	int json;
};

static int
report_problem(void *ctx, const struct store_evidence_problem *p)
{
	struct check *c = ctx;

	if (c->json) {
		struct fb_json *j = fb_json_new();
		char *line;
		int rc;

		fb_json_obj_begin(j);
		fb_json_kstr(j, "sha256", p->sha256);
		if (p->evidence)
			fb_json_kint(j, "evidence", p->evidence);
		fb_json_kstr(j, "problem", p->problem);
		fb_json_obj_end(j);
		line = fb_json_finish(j);
		rc = cli_print_json_line(NULL, line);
		free(line);
		return rc;
	}
	printf("%s  evidence #%lld: %s\n", p->sha256, (long long)p->evidence,
	    p->problem);
	return 0;
}

static int
evidence_check(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ NULL, 0, NULL, 0 },
	};
	struct check chk = { 0 };
	struct store *s = NULL;
	int64_t n = 0;
	int c, rc;

	while ((c = cli_getopt(argc, argv, "j", longopts)) != -1) {
		switch (c) {
		case 'j': chk.json = 1; break;
		case 'h': return 0;
		default: return FB_EXIT_USAGE;
		}
	}
	if (optind != argc) {
		cli_error("unexpected '%s'", argv[optind]);
		return cli_usage();
	}
	if ((rc = cli_open_store(0, &s)) != 0)
		return cli_fail(rc);
	rc = store_evidence_check(s, report_problem, &chk, &n);
	store_close(s);
	if (rc == 0 && !chk.json)
		printf("%lld blob%s intact, custody chains intact\n",
		    (long long)n, n == 1 ? "" : "s");
	return cli_fail(rc);
}

static const struct cli_verb verbs[] = {
	{ "add", evidence_add },
	{ "ls", evidence_ls },
	{ "show", evidence_show },
	{ "check", evidence_check },
	{ NULL, NULL },
};

static int
evidence_run(int argc, char **argv)
{
	return cli_dispatch(argc, argv, verbs);
}

const struct cli_command cli_cmd_evidence = {
	"evidence", "evidence items, their blobs and custody",
	"usage: firebreak evidence add --case N [--note TEXT] [--name NAME] FILE...|-\n"
	"       firebreak evidence ls [--case N] [--json]\n"
	"       firebreak evidence show [--json] ID\n"
	"       firebreak evidence check [--json]\n"
	"\n"
	"add     copy each FILE into the workspace (blobs/ab/cdef..., by its\n"
	"        SHA-256, hashed while copied; stored once however often it\n"
	"        is added) and record where it came from: host, path,\n"
	"        original mtime, mode and owner, who collected it and when;\n"
	"        its custody chain starts with 'collected'; - reads standard\n"
	"        input (a pipe), named by --name\n"
	"ls      evidence items, oldest first\n"
	"show    one item's metadata and its custody chain\n"
	"check   re-hash every blob and re-walk every custody chain; report\n"
	"        missing files, changed bytes and broken chains (exit 1)\n"
	"\n"
	"Limit: config key evidence.max_bytes.\n",
	evidence_run, 0,
};
