/* fleet.c: firebreak fleet ls|exec|fetch|facts — inventory and SSH fan-out. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/cli.h"
#include "store/cases.h"
#include "fleet/fetch-store.h"
#include "fleet/fleet.h"
#include "json/json.h"

struct fleet_cli {
	const char *inventory;
	const char *pattern;
	int json;
	int jobs;
	int timeout;
	int connect_timeout;
	int accept_new;
	int64_t case_id;
	uint64_t max_output;
	uint64_t max_size;
	int depth;
	struct fleet_inventory *inv;
	size_t *idx;
	size_t n;
	struct store *s;
	struct fleet_known *known;
	char batch[17];
	int tty;
	int progress_shown;
};

/* Output kept in a remote_exec row, per stream (all of it is hashed). */
#define FLEET_STORED_OUTPUT (64u << 10)

static volatile int interrupted;

static void
on_sigint(int sig)
{
	(void)sig;
	interrupted = 1;
}

enum {
	OPT_TIMEOUT = 256,
	OPT_CONNECT_TIMEOUT,
	OPT_CASE,
	OPT_ACCEPT_NEW,
	OPT_MAX_OUTPUT,
	OPT_MAX_SIZE,
	OPT_DEPTH,
};

static const struct option common_longopts[] = {
	{ "inventory", required_argument, NULL, 'i' },
	{ "json", no_argument, NULL, 'J' },
	{ "jobs", required_argument, NULL, 'j' },
	{ "timeout", required_argument, NULL, OPT_TIMEOUT },
	{ "connect-timeout", required_argument, NULL, OPT_CONNECT_TIMEOUT },
	{ "case", required_argument, NULL, OPT_CASE },
	{ "accept-new", no_argument, NULL, OPT_ACCEPT_NEW },
	{ "max-output", required_argument, NULL, OPT_MAX_OUTPUT },
	{ "max-size", required_argument, NULL, OPT_MAX_SIZE },
	{ "depth", required_argument, NULL, OPT_DEPTH },
	{ NULL, 0, NULL, 0 },
};

static int
parse_size(const char *s, uint64_t *out)
{
	char *e;
	unsigned long long v = strtoull(s, &e, 10);

	if (e == s || *s == '-')
		return -1;
	switch (*e) {
	case '\0': break;
	case 'k': case 'K': v <<= 10; e++; break;
	case 'm': case 'M': v <<= 20; e++; break;
	case 'g': case 'G': v <<= 30; e++; break;
	default: return -1;
	}
	if (*e != '\0' && strcmp(e, "B") != 0 && strcmp(e, "iB") != 0)
		return -1;
	*out = v;
	return 0;
}

static int
parse_int_opt(const char *name, const char *v, int lo, int hi, int *out)
{
	char *e;
	long n = strtol(v, &e, 10);

	if (e == v || *e != '\0' || n < lo || n > hi) {
		cli_error("invalid %s '%s' (%d to %d)", name, v, lo, hi);
		return -1;
	}
	*out = (int)n;
	return 0;
}

/*
 * Parse options; stops at "--" (left at argv[optind]). Returns -1 to go
 * on, else an exit status.
 */
static int
common_opts(struct fleet_cli *fc, int argc, char **argv)
{
	int c, v;

	fc->jobs = 32;
	fc->connect_timeout = 10;
	fc->max_output = 1u << 20;
	fc->max_size = 1ull << 30;
	fc->depth = 8;
	while ((c = cli_getopt(argc, argv, "i:j:", common_longopts)) != -1) {
		switch (c) {
		case 'i': fc->inventory = optarg; break;
		case 'J': fc->json = 1; break;
		case 'j':
			if (parse_int_opt("-j", optarg, 1, 4096, &fc->jobs))
				return cli_usage();
			break;
		case OPT_TIMEOUT:
			if (parse_int_opt("--timeout", optarg, 0, 86400 * 7,
			    &fc->timeout))
				return cli_usage();
			break;
		case OPT_CONNECT_TIMEOUT:
			if (parse_int_opt("--connect-timeout", optarg, 1, 3600,
			    &fc->connect_timeout))
				return cli_usage();
			break;
		case OPT_CASE:
			if (*optarg == '#')
				optarg++;
			if (parse_int_opt("--case", optarg, 1, 0x7fffffff, &v))
				return cli_usage();
			fc->case_id = v;
			break;
		case OPT_ACCEPT_NEW: fc->accept_new = 1; break;
		case OPT_MAX_OUTPUT:
			if (parse_size(optarg, &fc->max_output) != 0 ||
			    fc->max_output > (256u << 20)) {
				cli_error("invalid --max-output '%s' (up to 256M)",
				    optarg);
				return cli_usage();
			}
			break;
		case OPT_MAX_SIZE:
			if (parse_size(optarg, &fc->max_size) != 0) {
				cli_error("invalid --max-size '%s'", optarg);
				return cli_usage();
			}
			break;
		case OPT_DEPTH:
			if (parse_int_opt("--depth", optarg, 1, 64, &fc->depth))
				return cli_usage();
			break;
		case 'h': return 0;
		default: return FB_EXIT_USAGE;
		}
	}
	return -1;
}

static int
load_inventory(struct fleet_cli *fc, const char *pattern)
{
	char *path = fleet_inventory_path(fc->inventory);
	int rc;

	rc = fleet_inventory_load(path, &fc->inv);
	free(path);
	if (rc != 0)
		return rc;
	return fleet_inventory_match(fc->inv, pattern ? pattern : "all",
	    &fc->idx, &fc->n);
}

static void
fc_release(struct fleet_cli *fc)
{
	fleet_inventory_free(fc->inv);
	free(fc->idx);
	fleet_known_free(fc->known);
	store_close(fc->s);
}

/* ---- ls ---------------------------------------------------------------- */

static int
fleet_ls(int argc, char **argv)
{
	struct fleet_cli fc;
	size_t i, g;
	int rc;

	memset(&fc, 0, sizeof(fc));
	optind = 0;
	if ((rc = common_opts(&fc, argc, argv)) >= 0)
		return rc;
	if (argc - optind > 1) {
		cli_error("fleet ls takes one PATTERN");
		return cli_usage();
	}
	if ((rc = load_inventory(&fc, optind < argc ? argv[optind] : NULL)) != 0) {
		fc_release(&fc);
		return cli_fail(rc);
	}
	if (!fc.json && fc.n > 0)
		printf("%-20s %-24s %5s  %-10s %s\n", "HOST", "ADDRESS", "PORT",
		    "USER", "GROUPS");
	for (i = 0; i < fc.n; i++) {
		const struct fleet_host *h = &fc.inv->hosts[fc.idx[i]];

		if (fc.json) {
			struct fb_json *j = fb_json_new();
			char *s;

			fb_json_obj_begin(j);
			fb_json_kstr(j, "host", h->name);
			fb_json_kstr(j, "address", h->addr);
			fb_json_kint(j, "port", h->port);
			fb_json_kstr(j, "user", h->user);
			fb_json_kstr(j, "key_file", h->key_file);
			fb_json_kbool(j, "become", h->become);
			fb_json_kstr(j, "host_key_pin", h->pin);
			fb_json_key(j, "groups");
			fb_json_arr_begin(j);
			for (g = 0; g < h->ngroups; g++)
				fb_json_str(j, h->groups[g]);
			fb_json_arr_end(j);
			fb_json_obj_end(j);
			s = fb_json_finish(j);
			cli_print_json_line(NULL, s);
			free(s);
			continue;
		}
		cli_put_safe(stdout, h->name);
		printf("%*s", (int)(h->name && strlen(h->name) < 20 ?
		    21 - strlen(h->name) : 1), "");
		cli_put_safe(stdout, h->addr);
		printf("%*s", (int)(strlen(h->addr) < 24 ?
		    25 - strlen(h->addr) : 1), "");
		printf("%5d  ", h->port);
		cli_put_safe(stdout, h->user ? h->user : "-");
		printf("%*s", (int)(h->user && strlen(h->user) < 10 ?
		    11 - strlen(h->user) : h->user ? 1 : 10), "");
		for (g = 0; g < h->ngroups; g++) {
			if (strcmp(h->groups[g], "all") == 0)
				continue;
			if (g > 1)
				fputc(',', stdout);
			cli_put_safe(stdout, h->groups[g]);
		}
		fputc('\n', stdout);
	}
	fc_release(&fc);
	return 0;
}

/* ---- shared by exec, facts, fetch --------------------------------------- */

static void
make_batch(char out[17])
{
	unsigned char r[8];
	size_t i;

	if (getrandom(r, sizeof(r), 0) != (ssize_t)sizeof(r)) {
		uint64_t v = (uint64_t)fb_time_now() ^ ((uint64_t)getpid() << 32);

		memcpy(r, &v, sizeof(r));
	}
	for (i = 0; i < sizeof(r); i++)
		snprintf(out + 2 * i, 3, "%02x", r[i]);
}

static void
progress(void *ctx, size_t done, size_t total, size_t running)
{
	struct fleet_cli *fc = ctx;

	if (!fc->tty)
		return;
	fprintf(stderr, "\r\033[Kfleet: %zu/%zu done, %zu running", done, total,
	    running);
	fflush(stderr);
	fc->progress_shown = 1;
}

static void
progress_clear(struct fleet_cli *fc)
{
	if (fc->progress_shown) {
		fputs("\r\033[K", stderr);
		fflush(stderr);
	}
}

static char *
known_path(struct fleet_cli *fc)
{
	return xasprintf("%s/known_hosts", store_dir(fc->s));
}

static int
load_known(struct fleet_cli *fc)
{
	const char *home = getenv("HOME");
	char *p;
	const char *bad;
	size_t nbad;
	int rc = 0;

	fc->known = fleet_known_new();
	(void)fleet_known_load(fc->known, "/etc/ssh/ssh_known_hosts");
	if (home != NULL) {
		p = xasprintf("%s/.ssh/known_hosts", home);
		rc = fleet_known_load(fc->known, p);
		free(p);
	}
	p = known_path(fc);
	if (rc == 0)
		rc = fleet_known_load(fc->known, p);
	free(p);
	bad = fleet_known_bad(fc->known, &nbad);
	if (nbad > 0)
		cli_warn("skipped %zu unreadable known_hosts line%s (first at "
		    "%s); the other entries still count", nbad,
		    nbad == 1 ? "" : "s", bad ? bad : "?");
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
setup(struct fleet_cli *fc, const char *pattern)
{
	int rc;

	if ((rc = load_inventory(fc, pattern)) != 0)
		return rc;
	if ((rc = cli_open_store(0, &fc->s)) != 0)
		return rc;
	if (fc->case_id > 0 &&
	    (rc = store_case_get(fc->s, fc->case_id, case_exists, NULL)) != 0)
		return rc;
	if ((rc = load_known(fc)) != 0)
		return rc;
	make_batch(fc->batch);
	fc->tty = isatty(STDERR_FILENO);
	return 0;
}

static void
opts_from(struct fleet_cli *fc, struct fleet_opts *o)
{
	fleet_opts_init(o);
	o->jobs = fc->jobs;
	o->timeout = fc->timeout;
	o->connect_timeout = fc->connect_timeout;
	o->max_output = fc->max_output;
	o->max_fetch = fc->max_size;
	o->max_depth = fc->depth;
	o->known = fc->known;
	o->accept_new = fc->accept_new;
	o->progress = progress;
	o->progress_ctx = fc;
	o->interrupted = &interrupted;
}

static struct fleet_task *
tasks_new(struct fleet_cli *fc, enum fleet_op op, const char *command)
{
	struct fleet_task *t = xcalloc(fc->n ? fc->n : 1, sizeof(*t));
	size_t i;

	for (i = 0; i < fc->n; i++) {
		t[i].host = &fc->inv->hosts[fc->idx[i]];
		t[i].op = op;
		t[i].command = command;
	}
	return t;
}

static void
tasks_free(struct fleet_task *t, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		fleet_task_release(&t[i]);
	free(t);
}

static int
run_tasks(struct fleet_cli *fc, struct fleet_task *t, struct fleet_opts *o)
{
	struct sigaction sa, old;
	int rc;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_sigint;
	sigaction(SIGINT, &sa, &old);
	rc = fleet_run(t, fc->n, o);
	sigaction(SIGINT, &old, NULL);
	progress_clear(fc);
	return rc;
}

/*
 * Keys taken under --accept-new go into the workspace's known_hosts,
 * each with an audit row, in the transaction the caller has open.
 */
static int
record_new_keys(struct fleet_cli *fc, struct fleet_task *t)
{
	char *path = known_path(fc);
	size_t i;
	int fd = -1, rc = 0;

	for (i = 0; i < fc->n && rc == 0; i++) {
		struct fb_json *j;
		char *line, *detail;

		if (!t[i].accepted_new || t[i].hostkey == NULL)
			continue;
		if (fd < 0) {
			fd = open(path, O_WRONLY | O_APPEND | O_CREAT |
			    O_CLOEXEC | O_NOFOLLOW, 0600);
			if (fd < 0) {
				rc = fb_err(FB_ERR_IO, "cannot write '%s': %s",
				    path, strerror(errno));
				break;
			}
			/* A team workspace's file is the team's (0660); the
			 * owner alone can change it, so others just append. */
			(void)fchmod(fd, store_file_mode(fc->s));
		}
		line = fleet_known_line(t[i].host->addr, t[i].host->port,
		    t[i].keytype, t[i].hostkey, t[i].hostkey_len);
		if (write(fd, line, strlen(line)) != (ssize_t)strlen(line))
			rc = fb_err(FB_ERR_IO, "cannot write '%s': %s", path,
			    strerror(errno));
		free(line);
		j = fb_json_new();
		fb_json_obj_begin(j);
		fb_json_kstr(j, "address", t[i].host->addr);
		fb_json_kint(j, "port", t[i].host->port);
		fb_json_kstr(j, "key_type", t[i].keytype);
		fb_json_kstr(j, "fingerprint", t[i].fingerprint);
		fb_json_kstr(j, "file", path);
		fb_json_obj_end(j);
		detail = fb_json_finish(j);
		if (rc == 0)
			rc = store_audit(fc->s, STORE_ACTOR_HUMAN,
			    "fleet.hostkey.accept", t[i].host->name, detail,
			    NULL);
		free(detail);
		if (rc == 0 && !fc->json)
			fprintf(stderr, "fleet: accepted new host key for '%s': "
			    "%s %s\n", t[i].host->name, t[i].keytype,
			    t[i].fingerprint);
	}
	if (fd >= 0)
		close(fd);
	free(path);
	return rc;
}

static int
record_execs(struct fleet_cli *fc, struct fleet_task *t, const char *command,
    int64_t *ids, int64_t *first, int64_t *last)
{
	size_t i;
	int rc = 0;

	*first = *last = 0;
	for (i = 0; i < fc->n && rc == 0; i++) {
		struct store_remote_exec r;
		const struct fleet_host *h = t[i].host;
		struct passwd *pw;
		int64_t id;

		memset(&r, 0, sizeof(r));
		r.batch = fc->batch;
		r.host = h->name;
		r.address = h->addr;
		r.port = h->port;
		pw = h->user ? NULL : getpwuid(getuid());
		r.user = h->user ? h->user : pw ? pw->pw_name : "?";
		r.host_key = t[i].fingerprint;
		r.command = command;
		r.kind = fleet_kind_name(t[i].kind);
		r.error = t[i].error;
		r.has_exit = t[i].kind == FLEET_OK && t[i].exit_status >= 0;
		r.exit_status = t[i].exit_status;
		r.exit_signal = t[i].exit_signal;
		r.start_ms = t[i].start_ms;
		r.end_ms = t[i].end_ms;
		r.stdout_sha256 = t[i].out_sha256;
		r.stderr_sha256 = t[i].err_sha256;
		r.stdout_bytes = t[i].out_total;
		r.stderr_bytes = t[i].err_total;
		/* The store keeps an excerpt; --case keeps the transcript. */
		r.stdout_kept = t[i].out.data;
		r.stdout_kept_len = t[i].out.len < FLEET_STORED_OUTPUT ?
		    t[i].out.len : FLEET_STORED_OUTPUT;
		r.stderr_kept = t[i].err.data;
		r.stderr_kept_len = t[i].err.len < FLEET_STORED_OUTPUT ?
		    t[i].err.len : FLEET_STORED_OUTPUT;
		r.case_id = fc->case_id;
		if ((rc = store_remote_exec_add(fc->s, &r, &id)) == 0) {
			if (ids != NULL)
				ids[i] = id;
			if (*first == 0)
				*first = id;
			*last = id;
		}
	}
	return rc;
}

struct tally {
	size_t ok, failed, by_kind[8];
};

static void
tally(struct fleet_cli *fc, struct fleet_task *t, struct tally *ty)
{
	size_t i;

	memset(ty, 0, sizeof(*ty));
	for (i = 0; i < fc->n; i++) {
		if (t[i].kind == FLEET_OK)
			ty->ok++;
		else
			ty->failed++;
		if ((size_t)t[i].kind < FB_ARRAY_LEN(ty->by_kind))
			ty->by_kind[t[i].kind]++;
	}
}

static char *
audit_detail(struct fleet_cli *fc, const char *command, struct tally *ty,
    int64_t first, int64_t last)
{
	struct fb_json *j = fb_json_new();
	size_t k;

	fb_json_obj_begin(j);
	fb_json_kstr(j, "batch", fc->batch);
	if (command)
		fb_json_kstr(j, "command", command);
	fb_json_kint(j, "hosts", (int64_t)fc->n);
	fb_json_kint(j, "ok", (int64_t)ty->ok);
	fb_json_kint(j, "failed", (int64_t)ty->failed);
	for (k = 1; k < FB_ARRAY_LEN(ty->by_kind); k++)
		if (ty->by_kind[k])
			fb_json_kint(j, fleet_kind_name((enum fleet_kind)k),
			    (int64_t)ty->by_kind[k]);
	if (first > 0) {
		fb_json_kint(j, "remote_exec_first", first);
		fb_json_kint(j, "remote_exec_last", last);
	}
	if (fc->case_id > 0)
		fb_json_kint(j, "case", fc->case_id);
	fb_json_obj_end(j);
	return fb_json_finish(j);
}

static void
print_summary(struct fleet_cli *fc, const char *what, struct tally *ty)
{
	size_t k;
	int first = 1;

	fprintf(stderr, "fleet %s: %zu host%s, %zu ok, %zu failed", what, fc->n,
	    fc->n == 1 ? "" : "s", ty->ok, ty->failed);
	for (k = 1; k < FB_ARRAY_LEN(ty->by_kind); k++) {
		if (!ty->by_kind[k])
			continue;
		fprintf(stderr, "%s%zu %s", first ? " (" : ", ",
		    ty->by_kind[k], fleet_kind_name((enum fleet_kind)k));
		first = 0;
	}
	fprintf(stderr, "%s\n", first ? "" : ")");
}

static int
exit_for(struct tally *ty)
{
	if (ty->failed == 0)
		return FB_EXIT_OK;
	return ty->ok > 0 ? FB_EXIT_PARTIAL : FB_EXIT_RUNTIME;
}

static void
print_stream(const char *label, const struct fb_buf *b, uint64_t total,
    const char *sha)
{
	struct fb_buf safe = FB_BUF_INIT;

	/* Binary output helps nobody on a terminal: say what it was. */
	if (b->len > 0 && memchr(b->data, '\0', b->len) != NULL) {
		printf("[%s: binary, %llu bytes, sha256 %s; --json or --case "
		    "keeps it]\n", label ? label : "stdout",
		    (unsigned long long)total, sha);
		return;
	}
	if (b->len > 0) {
		if (label)
			printf("%s:\n", label);
		fb_sanitize(&safe, b->data, b->len, FB_SAN_MULTILINE);
		fwrite(safe.data, 1, safe.len, stdout);
		if (safe.len > 0 && safe.data[safe.len - 1] != '\n')
			fputc('\n', stdout);
	}
	if (total > b->len)
		printf("[%s truncated: kept %zu of %llu bytes; raise "
		    "--max-output]\n", label ? label : "stdout", b->len,
		    (unsigned long long)total);
	fb_buf_release(&safe);
}

static void
print_exec_text(struct fleet_task *t)
{
	printf("== ");
	cli_put_safe(stdout, t->host->name);
	if (t->kind == FLEET_OK) {
		if (t->exit_signal[0])
			printf(" (killed by signal %s", t->exit_signal);
		else
			printf(" (exit %d", t->exit_status);
		printf(", %.2f s)\n", (double)(t->end_ms - t->start_ms) / 1000);
		print_stream(NULL, &t->out, t->out_total, t->out_sha256);
		print_stream("stderr", &t->err, t->err_total, t->err_sha256);
	} else {
		printf(": %s: ", fleet_kind_name(t->kind));
		cli_put_safe(stdout, t->error ? t->error : "failed");
		fputc('\n', stdout);
		if (t->kind == FLEET_TIMEOUT && (t->out.len || t->err.len)) {
			print_stream(NULL, &t->out, t->out_total, t->out_sha256);
			print_stream("stderr", &t->err, t->err_total, t->err_sha256);
		}
	}
}

static void
json_exec_fields(struct fb_json *j, struct fleet_task *t)
{
	char ts[FB_TIME_LEN];

	fb_json_kstr(j, "host", t->host->name);
	fb_json_kstr(j, "address", t->host->addr);
	fb_json_kint(j, "port", t->host->port);
	fb_json_kstr(j, "kind", fleet_kind_name(t->kind));
	fb_json_kstr(j, "error", t->error);
	fb_json_kstr(j, "host_key", t->fingerprint[0] ? t->fingerprint : NULL);
	fb_time_fmt(t->start_ms / 1000, ts);
	fb_json_kstr(j, "start_time", ts);
	fb_json_kint(j, "duration_ms", t->end_ms - t->start_ms);
}

static void
print_exec_json(struct fleet_task *t, int64_t id)
{
	struct fb_json *j = fb_json_new();
	char *s;

	fb_json_obj_begin(j);
	json_exec_fields(j, t);
	if (id > 0)
		fb_json_kint(j, "remote_exec", id);
	fb_json_key(j, "exit_status");
	if (t->kind == FLEET_OK && t->exit_status >= 0)
		fb_json_int(j, t->exit_status);
	else
		fb_json_null(j);
	fb_json_kstr(j, "exit_signal", t->exit_signal[0] ? t->exit_signal : NULL);
	fb_json_key(j, "stdout");
	fb_json_strn(j, t->out.data, t->out.len);
	fb_json_kint(j, "stdout_bytes", (int64_t)t->out_total);
	fb_json_kbool(j, "stdout_truncated", t->out_total > t->out.len);
	fb_json_kstr(j, "stdout_sha256", t->out_sha256[0] ? t->out_sha256 : NULL);
	fb_json_key(j, "stderr");
	fb_json_strn(j, t->err.data, t->err.len);
	fb_json_kint(j, "stderr_bytes", (int64_t)t->err_total);
	fb_json_kbool(j, "stderr_truncated", t->err_total > t->err.len);
	fb_json_kstr(j, "stderr_sha256", t->err_sha256[0] ? t->err_sha256 : NULL);
	fb_json_obj_end(j);
	s = fb_json_finish(j);
	cli_print_json_line(NULL, s);
	free(s);
}

/*
 * --case: each host's transcript (command, times, exit, the output kept,
 * the hashes of all of it) is a JSON blob and an evidence item of the
 * case, tied to its remote_exec row; the fan-out is one timeline event.
 */
static int
case_transcripts(struct fleet_cli *fc, struct fleet_task *t,
    const char *command, const int64_t *ids)
{
	struct store_case_event_in ev;
	struct fb_json *dj;
	char *data, *text;
	size_t i, n = 0;
	int rc = 0;

	for (i = 0; i < fc->n && rc == 0; i++) {
		struct store_evidence_in in;
		struct fb_json *j;
		struct store_blob blob;
		int64_t evid = 0;
		char *body;

		if (t[i].kind != FLEET_OK && t[i].kind != FLEET_TIMEOUT)
			continue;
		j = fb_json_new();
		fb_json_obj_begin(j);
		json_exec_fields(j, &t[i]);
		fb_json_kstr(j, "command", command);
		fb_json_kint(j, "remote_exec", ids[i]);
		fb_json_key(j, "exit_status");
		if (t[i].kind == FLEET_OK && t[i].exit_status >= 0)
			fb_json_int(j, t[i].exit_status);
		else
			fb_json_null(j);
		fb_json_key(j, "stdout");
		fb_json_strn(j, t[i].out.data, t[i].out.len);
		fb_json_kint(j, "stdout_bytes", (int64_t)t[i].out_total);
		fb_json_kstr(j, "stdout_sha256", t[i].out_sha256);
		fb_json_key(j, "stderr");
		fb_json_strn(j, t[i].err.data, t[i].err.len);
		fb_json_kint(j, "stderr_bytes", (int64_t)t[i].err_total);
		fb_json_kstr(j, "stderr_sha256", t[i].err_sha256);
		fb_json_obj_end(j);
		body = fb_json_finish(j);
		rc = store_blob_put_mem(fc->s, body, strlen(body), &blob);
		free(body);
		if (rc != 0)
			break;
		memset(&in, 0, sizeof(in));
		in.case_id = fc->case_id;
		in.blob = blob;
		in.kind = "transcript";
		in.name = t[i].host->name;
		in.source_host = t[i].host->name;
		in.host_key = t[i].fingerprint;
		in.command = command;
		in.collector = "fleet exec";
		in.started = t[i].start_ms / 1000;
		in.finished = t[i].end_ms / 1000;
		in.clock_offset_ms = STORE_TIME_UNSET;
		in.orig_mtime = STORE_TIME_UNSET;
		in.orig_mode = -1;
		in.remote_exec = ids[i];
		in.actor_kind = STORE_ACTOR_HUMAN;
		rc = store_evidence_add_tx(fc->s, &in, &evid);
		n++;
	}
	if (rc != 0)
		return rc;
	dj = fb_json_new();
	fb_json_obj_begin(dj);
	fb_json_kstr(dj, "batch", fc->batch);
	fb_json_kstr(dj, "command", command);
	fb_json_kint(dj, "hosts", (int64_t)fc->n);
	fb_json_kint(dj, "transcripts", (int64_t)n);
	fb_json_key(dj, "remote_exec");
	fb_json_arr_begin(dj);
	for (i = 0; i < fc->n; i++)
		fb_json_int(dj, ids[i]);
	fb_json_arr_end(dj);
	fb_json_obj_end(dj);
	data = fb_json_finish(dj);
	text = xasprintf("fleet exec on %zu host%s: %s", fc->n,
	    fc->n == 1 ? "" : "s", command);
	memset(&ev, 0, sizeof(ev));
	ev.case_id = fc->case_id;
	ev.kind = STORE_EV_REMOTE_EXEC;
	ev.event_time = STORE_TIME_UNSET;
	ev.actor_kind = STORE_ACTOR_HUMAN;
	ev.text = text;
	ev.data = data;
	rc = store_case_event_add_tx(fc->s, &ev, NULL);
	free(text);
	free(data);
	return rc;
}

/* ---- exec -------------------------------------------------------------- */

static int
fleet_exec(int argc, char **argv)
{
	struct fleet_cli fc;
	struct fleet_opts o;
	struct fleet_task *t = NULL;
	struct fb_buf cmd = FB_BUF_INIT;
	struct tally ty;
	int64_t first = 0, last = 0, *ids = NULL;
	char *detail = NULL;
	size_t i;
	int rc, ex, dd;

	memset(&fc, 0, sizeof(fc));
	/* Options end at "--"; everything after it is the command. */
	for (dd = 1; dd < argc && strcmp(argv[dd], "--") != 0; dd++)
		;
	if (dd >= argc) {
		cli_error("put the command after '--'");
		return cli_usage();
	}
	optind = 0;
	if ((rc = common_opts(&fc, dd, argv)) >= 0)
		return rc;
	if (dd - optind != 1) {
		cli_error("fleet exec needs one PATTERN before '--'");
		return cli_usage();
	}
	fc.pattern = argv[optind];
	optind = dd + 1;
	if (optind >= argc) {
		cli_error("fleet exec needs a COMMAND after '--'");
		return cli_usage();
	}
	/* Like ssh: the words are joined with spaces for the remote shell. */
	for (i = (size_t)optind; i < (size_t)argc; i++)
		fb_buf_addf(&cmd, "%s%s", i > (size_t)optind ? " " : "",
		    argv[i]);
	if ((rc = setup(&fc, fc.pattern)) != 0)
		goto out;
	t = tasks_new(&fc, FLEET_OP_EXEC, cmd.data);
	ids = xcalloc(fc.n ? fc.n : 1, sizeof(*ids));
	opts_from(&fc, &o);
	if ((rc = run_tasks(&fc, t, &o)) != 0)
		goto out;
	tally(&fc, t, &ty);
	if ((rc = store_begin(fc.s)) != 0)
		goto out;
	rc = record_new_keys(&fc, t);
	if (rc == 0)
		rc = record_execs(&fc, t, cmd.data, ids, &first, &last);
	if (rc == 0 && fc.case_id > 0)
		rc = case_transcripts(&fc, t, cmd.data, ids);
	if (rc == 0) {
		detail = audit_detail(&fc, cmd.data, &ty, first, last);
		rc = store_audit(fc.s, STORE_ACTOR_HUMAN, "fleet.exec",
		    fc.pattern, detail, NULL);
	}
	if (rc == 0)
		rc = store_commit(fc.s);
	else
		store_rollback(fc.s);
	if (rc != 0)
		goto out;
	for (i = 0; i < fc.n; i++) {
		if (fc.json)
			print_exec_json(&t[i], ids[i]);
		else
			print_exec_text(&t[i]);
	}
	fflush(stdout);
	if (!fc.json)
		print_summary(&fc, "exec", &ty);
	ex = exit_for(&ty);
	free(detail);
	free(ids);
	tasks_free(t, fc.n);
	fc_release(&fc);
	fb_buf_release(&cmd);
	return ex;
out:
	free(ids);
	free(detail);
	if (t)
		tasks_free(t, fc.n);
	fc_release(&fc);
	fb_buf_release(&cmd);
	return cli_fail(rc);
}

/* ---- facts ------------------------------------------------------------- */

static int
fleet_facts(int argc, char **argv)
{
	struct fleet_cli fc;
	struct fleet_opts o;
	struct fleet_task *t = NULL;
	struct fleet_facts *facts = NULL;
	struct tally ty;
	int64_t first = 0, last = 0;
	char *detail = NULL;
	const char *command = fleet_facts_command();
	size_t i, g;
	int rc, ex;

	memset(&fc, 0, sizeof(fc));
	optind = 0;
	if ((rc = common_opts(&fc, argc, argv)) >= 0)
		return rc;
	if (argc - optind > 1) {
		cli_error("fleet facts takes one PATTERN");
		return cli_usage();
	}
	fc.pattern = optind < argc ? argv[optind] : "all";
	if (fc.max_output < (8u << 20))
		fc.max_output = 8u << 20;
	if ((rc = setup(&fc, fc.pattern)) != 0)
		goto out;
	t = tasks_new(&fc, FLEET_OP_EXEC, command);
	opts_from(&fc, &o);
	o.measure_clock = 1;
	if ((rc = run_tasks(&fc, t, &o)) != 0)
		goto out;
	facts = xcalloc(fc.n ? fc.n : 1, sizeof(*facts));
	for (i = 0; i < fc.n; i++)
		if (t[i].kind == FLEET_OK)
			fleet_facts_parse(t[i].out.data, t[i].out.len, &facts[i]);
	tally(&fc, t, &ty);
	if ((rc = store_begin(fc.s)) != 0)
		goto out;
	rc = record_new_keys(&fc, t);
	if (rc == 0)
		rc = record_execs(&fc, t, "(fleet facts)", NULL, &first, &last);
	for (i = 0; i < fc.n && rc == 0; i++) {
		char *hj;

		if (t[i].kind != FLEET_OK)
			continue;
		hj = fleet_facts_host_json(&facts[i], t[i].host->name,
		    t[i].clock_offset_ms, t[i].fingerprint);
		rc = store_fact_put(fc.s, "host", t[i].host->name, hj, NULL);
		free(hj);
		for (g = 0; g < facts[i].ngpus && rc == 0; g++) {
			char *gj;

			if (facts[i].gpus[g].uuid == NULL)
				continue;
			gj = fleet_gpu_json(&facts[i].gpus[g], &facts[i],
			    t[i].host->name);
			rc = store_fact_put(fc.s, "gpu", facts[i].gpus[g].uuid,
			    gj, NULL);
			free(gj);
		}
	}
	if (rc == 0) {
		detail = audit_detail(&fc, NULL, &ty, first, last);
		rc = store_audit(fc.s, STORE_ACTOR_HUMAN, "fleet.facts",
		    fc.pattern, detail, NULL);
	}
	if (rc == 0)
		rc = store_commit(fc.s);
	else
		store_rollback(fc.s);
	if (rc != 0)
		goto out;
	if (!fc.json && fc.n > 0)
		printf("%-16s %-28s %-22s %9s %8s %s\n", "HOST", "OS", "KERNEL",
		    "UPTIME", "OFFSET", "GPUS");
	for (i = 0; i < fc.n; i++) {
		struct fleet_facts *f = &facts[i];

		if (fc.json) {
			struct fb_json *j = fb_json_new();
			char *hj, *s;

			fb_json_obj_begin(j);
			json_exec_fields(j, &t[i]);
			if (t[i].kind == FLEET_OK) {
				hj = fleet_facts_host_json(f, t[i].host->name,
				    t[i].clock_offset_ms, t[i].fingerprint);
				fb_json_key(j, "facts");
				fb_json_raw(j, hj);
				free(hj);
				fb_json_key(j, "gpus");
				fb_json_arr_begin(j);
				for (g = 0; g < f->ngpus; g++) {
					hj = fleet_gpu_json(&f->gpus[g], f,
					    t[i].host->name);
					fb_json_raw(j, hj);
					free(hj);
				}
				fb_json_arr_end(j);
			}
			fb_json_obj_end(j);
			s = fb_json_finish(j);
			cli_print_json_line(NULL, s);
			free(s);
			continue;
		}
		if (t[i].kind != FLEET_OK) {
			print_exec_text(&t[i]);
			continue;
		}
		{
			struct fb_buf line = FB_BUF_INIT, safe = FB_BUF_INIT;
			size_t procs = 0;

			for (g = 0; g < f->ngpus; g++)
				procs += f->gpus[g].nprocs;
			fb_buf_addf(&line, "%-16s %-28.28s %-22.22s %8lldh "
			    "%+7.3fs ", t[i].host->name, f->os ? f->os : "?",
			    f->kernel ? f->kernel : "?",
			    (long long)(f->uptime / 3600),
			    (double)t[i].clock_offset_ms / 1000);
			if (f->gpu_state == 1) {
				fb_buf_addf(&line, "%zu", f->ngpus);
				if (f->ngpus > 0 && f->gpus[0].name)
					fb_buf_addf(&line, " x %s",
					    f->gpus[0].name);
				fb_buf_addf(&line, ", %zu process%s", procs,
				    procs == 1 ? "" : "es");
			} else if (f->gpu_state == 0) {
				fb_buf_addstr(&line, "-");
			} else {
				fb_buf_addf(&line, "error: %s", f->gpu_error);
			}
			fb_sanitize(&safe, line.data, line.len, 0);
			puts(safe.data);
			fb_buf_release(&line);
			fb_buf_release(&safe);
		}
	}
	fflush(stdout);
	if (!fc.json)
		print_summary(&fc, "facts", &ty);
	ex = exit_for(&ty);
	for (i = 0; i < fc.n; i++)
		fleet_facts_release(&facts[i]);
	free(facts);
	free(detail);
	tasks_free(t, fc.n);
	fc_release(&fc);
	return ex;
out:
	if (facts) {
		for (i = 0; i < fc.n; i++)
			fleet_facts_release(&facts[i]);
		free(facts);
	}
	free(detail);
	if (t)
		tasks_free(t, fc.n);
	fc_release(&fc);
	return cli_fail(rc);
}

/* ---- fetch ------------------------------------------------------------- */

static int
fleet_fetch(int argc, char **argv)
{
	struct fleet_cli fc;
	struct fleet_opts o;
	struct fleet_task *t = NULL;
	struct fleet_fetch_store x;
	struct tally ty;
	char *detail = NULL;
	size_t i, nok = 0, nref = 0;
	int rc, ex;

	memset(&fc, 0, sizeof(fc));
	memset(&x, 0, sizeof(x));
	optind = 0;
	if ((rc = common_opts(&fc, argc, argv)) >= 0)
		return rc;
	if (argc - optind < 2) {
		cli_error("fleet fetch needs a PATTERN and a REMOTE_PATH");
		return cli_usage();
	}
	if (fc.case_id <= 0) {
		cli_error("fleet fetch needs --case N: fetched files are "
		    "evidence");
		return cli_usage();
	}
	for (i = (size_t)optind + 1; i < (size_t)argc; i++) {
		if (argv[i][0] != '/') {
			cli_error("remote path '%s' is not absolute", argv[i]);
			return cli_usage();
		}
	}
	fc.pattern = argv[optind];
	if ((rc = setup(&fc, fc.pattern)) != 0)
		goto out;
	x.s = fc.s;
	x.max_size = fc.max_size;
	t = tasks_new(&fc, FLEET_OP_FETCH, NULL);
	for (i = 0; i < fc.n; i++) {
		t[i].paths = (const char *const *)argv + optind + 1;
		t[i].npaths = (size_t)(argc - optind - 1);
		fleet_fetch_store_attach(&x, &t[i]);
	}
	opts_from(&fc, &o);
	o.measure_clock = 1;
	if ((rc = run_tasks(&fc, t, &o)) != 0)
		goto out;
	for (i = 0; i < fc.n; i++)
		if (t[i].kind == FLEET_OK && t[i].nrefused > 0)
			t[i].kind = FLEET_PARTIAL;
	tally(&fc, t, &ty);
	if ((rc = store_begin(fc.s)) != 0)
		goto out;
	rc = record_new_keys(&fc, t);
	for (i = 0; i < x.n && rc == 0; i++) {
		struct fleet_fetched *e = &x.v[i];
		struct store_evidence_in in;
		char owner[64];

		if (e->refused != NULL) {
			nref++;
			continue;
		}
		nok++;
		fleet_fetched_evidence(e, &in, owner);
		in.case_id = fc.case_id;
		in.collector = "fleet fetch";
		in.actor_kind = STORE_ACTOR_HUMAN;
		rc = store_evidence_add_tx(fc.s, &in, &e->evidence);
	}
	if (rc == 0) {
		struct fb_json *j = fb_json_new();

		fb_json_obj_begin(j);
		fb_json_kstr(j, "batch", fc.batch);
		fb_json_kint(j, "case", fc.case_id);
		fb_json_kint(j, "hosts", (int64_t)fc.n);
		fb_json_kint(j, "hosts_failed", (int64_t)ty.failed);
		fb_json_kint(j, "files", (int64_t)nok);
		fb_json_kint(j, "refused", (int64_t)nref);
		fb_json_key(j, "paths");
		fb_json_arr_begin(j);
		for (i = (size_t)optind + 1; i < (size_t)argc; i++)
			fb_json_str(j, argv[i]);
		fb_json_arr_end(j);
		fb_json_obj_end(j);
		detail = fb_json_finish(j);
		rc = store_audit(fc.s, STORE_ACTOR_HUMAN, "fleet.fetch",
		    fc.pattern, detail, NULL);
	}
	if (rc == 0)
		rc = store_commit(fc.s);
	else
		store_rollback(fc.s);
	if (rc != 0)
		goto out;
	for (i = 0; i < fc.n; i++) {
		size_t k;

		if (!fc.json) {
			printf("== ");
			cli_put_safe(stdout, t[i].host->name);
			if (t[i].kind == FLEET_OK || t[i].kind == FLEET_PARTIAL)
				printf("\n");
			else {
				printf(": %s: ", fleet_kind_name(t[i].kind));
				cli_put_safe(stdout, t[i].error);
				fputc('\n', stdout);
			}
		}
		for (k = 0; k < x.n; k++) {
			struct fleet_fetched *e = &x.v[k];

			if (e->t != &t[i])
				continue;
			if (fc.json) {
				struct fb_json *j = fb_json_new();
				char *line;

				fb_json_obj_begin(j);
				fb_json_kstr(j, "host", t[i].host->name);
				fb_json_kstr(j, "path", e->path);
				fb_json_kstr(j, "status", e->refused ?
				    "refused" : "fetched");
				fb_json_kstr(j, "reason", e->refused);
				if (!e->refused) {
					fb_json_kstr(j, "sha256", e->blob.sha256);
					fb_json_kint(j, "size",
					    (int64_t)e->blob.size);
					fb_json_kint(j, "evidence", e->evidence);
				}
				fb_json_obj_end(j);
				line = fb_json_finish(j);
				cli_print_json_line(NULL, line);
				free(line);
				continue;
			}
			if (e->refused) {
				printf("  refused  ");
				cli_put_safe(stdout, e->path);
				printf(": ");
				cli_put_safe(stdout, e->refused);
				fputc('\n', stdout);
			} else {
				printf("  evidence #%lld  %.12s  %10llu  ",
				    (long long)e->evidence, e->blob.sha256,
				    (unsigned long long)e->blob.size);
				cli_put_safe(stdout, e->path);
				fputc('\n', stdout);
			}
		}
		if (fc.json && t[i].kind != FLEET_OK &&
		    t[i].kind != FLEET_PARTIAL) {
			struct fb_json *j = fb_json_new();
			char *line;

			fb_json_obj_begin(j);
			json_exec_fields(j, &t[i]);
			fb_json_kstr(j, "status", "failed");
			fb_json_obj_end(j);
			line = fb_json_finish(j);
			cli_print_json_line(NULL, line);
			free(line);
		}
	}
	fflush(stdout);
	if (!fc.json)
		fprintf(stderr, "fleet fetch: %zu file%s stored as evidence of "
		    "case %lld, %zu refused, %zu host%s failed\n", nok,
		    nok == 1 ? "" : "s", (long long)fc.case_id, nref,
		    ty.failed - ty.by_kind[FLEET_PARTIAL],
		    ty.failed - ty.by_kind[FLEET_PARTIAL] == 1 ? "" : "s");
	ex = ty.failed > 0 || nref > 0 ? (nok > 0 || ty.ok > 0 ?
	    FB_EXIT_PARTIAL : FB_EXIT_RUNTIME) : FB_EXIT_OK;
	rc = 0;
	goto done;
out:
	ex = cli_fail(rc);
done:
	fleet_fetch_store_release(&x);
	free(detail);
	if (t)
		tasks_free(t, fc.n);
	fc_release(&fc);
	return ex;
}

static const struct cli_verb verbs[] = {
	{ "ls", fleet_ls },
	{ "exec", fleet_exec },
	{ "fetch", fleet_fetch },
	{ "facts", fleet_facts },
	{ NULL, NULL },
};

static int
fleet_run_cmd(int argc, char **argv)
{
	return cli_dispatch(argc, argv, verbs);
}

const struct cli_command cli_cmd_fleet = {
	"fleet", "inventory and SSH fan-out: ls, exec, fetch, facts",
	"usage: firebreak fleet ls [PATTERN] [-i FILE] [--json]\n"
	"       firebreak fleet exec PATTERN [-j N] [--timeout S] [--case N] [--json]\n"
	"                 [--accept-new] [--max-output SIZE] -- COMMAND...\n"
	"       firebreak fleet fetch PATTERN REMOTE_PATH... --case N [--max-size SIZE]\n"
	"                 [--depth N]\n"
	"       firebreak fleet facts [PATTERN] [--json]\n"
	"\n"
	"Hosts come from an Ansible INI inventory: -i FILE, FIREBREAK_INVENTORY,\n"
	"or $XDG_CONFIG_HOME/firebreak/inventory. PATTERN is an Ansible host\n"
	"pattern: all, names, groups, globs, a:b (or), a:&b (and), a:!b (not).\n"
	"\n"
	"Host keys are checked against ~/.ssh/known_hosts, the workspace's\n"
	"known_hosts and fb_host_key pins; unknown or changed keys are refused\n"
	"and nothing runs there. --accept-new records unknown keys (audited).\n"
	"Logins use ssh-agent, then ansible_ssh_private_key_file, ~/.ssh/id_ed25519\n"
	"and ~/.ssh/id_ecdsa (not RSA: libssh2 1.10 cannot sign rsa-sha2).\n"
	"\n"
	"options:\n"
	"  -i, --inventory FILE   the inventory\n"
	"  -j, --jobs N           hosts in flight (default 32)\n"
	"  --timeout S            command (or fetch) timeout in seconds (default none)\n"
	"  --connect-timeout S    connect, handshake and login (default 10)\n"
	"  --max-output SIZE      stdout and stderr kept per host (default 1M)\n"
	"  --max-size SIZE        fetch: largest file taken (default 1G)\n"
	"  --depth N              fetch: directory levels read below a named\n"
	"                         directory (default 8; 1: its entries only)\n"
	"  --case N               exec: the transcript becomes evidence of case N\n"
	"  --accept-new           trust unknown host keys and record them\n"
	"  --json                 JSON Lines, one object per host\n"
	"\n"
	"Every command run is a remote_exec row and an audit entry. Exit 0 when\n"
	"every host answered (whatever its command's status), 4 when some hosts\n"
	"failed (unreachable, auth, host_key, timeout), 6 when all did.\n",
	fleet_run_cmd, 0,
};
