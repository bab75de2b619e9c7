/*
 * t-cases.c: the case and evidence API as other modules use it: blobs
 * written in chunks, evidence, custody and timeline rows inside the
 * caller's transaction (as fleet and playbooks record remote work).
 */
#include "config.h"

#include <dirent.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "store/cases.h"
#include "tap.h"

static char dir[256];

static int
temp_files(const char *ws)
{
	char path[512];
	struct dirent *d;
	DIR *dp;
	int n = 0;

	snprintf(path, sizeof(path), "%s/blobs", ws);
	if ((dp = opendir(path)) == NULL)
		return -1;
	while ((d = readdir(dp)) != NULL)
		if (strncmp(d->d_name, ".tmp-", 5) == 0)
			n++;
	closedir(dp);
	return n;
}

struct seen {
	int remote, evidence, custody, n;
	char remote_time[32], remote_kind[16];
	int64_t nevidence;
	char host_key[64], command[64];
	int64_t offset;
};

static int
on_event(void *ctx, const struct store_timeline_row *r)
{
	struct seen *s = ctx;

	s->n++;
	if (strcmp(r->kind, STORE_EV_REMOTE_EXEC) == 0) {
		s->remote++;
		snprintf(s->remote_time, sizeof(s->remote_time), "%s",
		    r->event_time);
		snprintf(s->remote_kind, sizeof(s->remote_kind), "%s",
		    r->actor_kind);
	}
	if (strcmp(r->kind, STORE_EV_EVIDENCE) == 0)
		s->evidence++;
	if (strcmp(r->kind, STORE_EV_CUSTODY) == 0)
		s->custody++;
	return 0;
}

static int
on_evidence(void *ctx, const struct store_evidence_row *r)
{
	struct seen *s = ctx;

	snprintf(s->host_key, sizeof(s->host_key), "%s",
	    r->host_key ? r->host_key : "");
	snprintf(s->command, sizeof(s->command), "%s",
	    r->command ? r->command : "");
	s->offset = r->clock_offset_ms;
	return 0;
}

static int
on_case(void *ctx, const struct store_case_row *r)
{
	struct seen *s = ctx;

	s->nevidence = r->nevidence;
	return 0;
}

static int
on_problem(void *ctx, const struct store_evidence_problem *p)
{
	(void)ctx;
	diag("problem: %s %s", p->sha256, p->problem);
	return 0;
}

int
main(void)
{
	struct store *s = NULL;
	struct store_blob_writer *w = NULL;
	struct store_blob b1, b2;
	struct store_audit_status ast;
	struct seen seen = { 0 };
	struct stat sb;
	char ws[300], hex[FB_SHA256_HEX], *path;
	int64_t case_id = 0, eid = 0, seq = 0, n = 0;
	int fd = -1;

	snprintf(dir, sizeof(dir), "%s/fb-t-cases.XXXXXX",
	    getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	if (mkdtemp(dir) == NULL)
		return 1;
	snprintf(ws, sizeof(ws), "%s/ws", dir);
	if (!ok(store_init(ws, NULL) == 0 && store_open(ws, 0, &s) == 0,
	    "workspace"))
		return done_testing();

	{
		struct store_case_in in = { .title = "gpu-07", .severity = 4,
		    .actor_kind = STORE_ACTOR_HUMAN };
		is_int(store_case_new(s, &in, &case_id), 0, "case opened");
	}

	/* A transcript arriving in chunks. */
	is_int(store_blob_writer_new(s, 0, &w), 0, "writer");
	store_blob_write(w, "USER PID\n", 9);
	store_blob_write(w, "root 1 init\n", 12);
	is_int(store_blob_writer_commit(w, &b1), 0, "committed");
	fb_sha256_hex("USER PID\nroot 1 init\n", 21, hex);
	is_str(b1.sha256, hex, "named by the SHA-256 of the bytes");
	is_int(b1.size, 21, "and sized");
	path = store_blob_path(s, b1.sha256);
	ok(stat(path, &sb) == 0 && (sb.st_mode & 07777) == 0600,
	    "blob file is 0600 at blobs/ab/cdef...");
	ok(strstr(path, "/blobs/") != NULL &&
	    strcmp(strrchr(path, '/') + 1, b1.sha256 + 2) == 0,
	    "path is blobs/<2>/<62>");
	free(path);
	is_int(store_blob_put_mem(s, "USER PID\nroot 1 init\n", 21, &b2), 0,
	    "same bytes again");
	is_str(b2.sha256, b1.sha256, "stored once");

	is_int(store_blob_writer_new(s, 8, &w), 0, "writer with a limit");
	is_int(store_blob_write(w, "0123456789", 10), -FB_ERR_LIMIT,
	    "over the limit refused");
	store_blob_writer_abort(w);
	is_int(temp_files(ws), 0, "no temporary files left behind");

	/* Remote work recorded in one transaction, as fleet does. */
	is_int(store_begin(s), 0, "begin");
	{
		struct store_evidence_in in = {
			.case_id = case_id, .blob = b1, .kind = "transcript",
			.source_host = "gpu-07", .host_key = "SHA256:q2Zx",
			.command = "ps auxf", .collector = "fleet exec",
			.started = 1795660980, .finished = 1795660981,
			.clock_offset_ms = -1500, .orig_mtime = STORE_TIME_UNSET,
			.orig_mode = -1, .actor_kind = STORE_ACTOR_PLAYBOOK,
		};
		struct store_case_event_in ev = {
			.case_id = case_id, .kind = STORE_EV_REMOTE_EXEC,
			.event_time = 1795660980,
			.actor_kind = STORE_ACTOR_PLAYBOOK,
			.text = "gpu-07: ps auxf (exit 0)",
		};
		struct store_custody_in c = {
			.action = "accessed", .holder = "alice",
			.actor_kind = STORE_ACTOR_HUMAN,
		};

		is_int(store_evidence_add_tx(s, &in, &eid), 0, "evidence row");
		c.evidence = eid;
		is_int(store_case_event_add_tx(s, &ev, NULL), 0, "timeline row");
		is_int(store_custody_append_tx(s, &c, &seq), 0, "custody row");
		ok(seq == 2, "custody seq follows");
		is_int(store_audit(s, STORE_ACTOR_PLAYBOOK, "fleet.exec",
		    "host:gpu-07", NULL, NULL), 0, "caller audits once");
	}
	is_int(store_commit(s), 0, "commit");

	store_case_timeline(s, case_id, on_event, &seen);
	is_int(seen.remote, 1, "remote_exec on the timeline");
	is_str(seen.remote_time, "2026-11-26T02:43:00Z",
	    "with the host's event time");
	is_str(seen.remote_kind, "playbook", "and its actor kind");
	is_int(seen.evidence, 1, "evidence on the timeline");
	is_int(seen.custody, 2, "custody rows on the timeline");
	store_evidence_ls(s, case_id, on_evidence, &seen);
	is_str(seen.host_key, "SHA256:q2Zx", "host key kept");
	is_str(seen.command, "ps auxf", "command kept");
	is_int(seen.offset, -1500, "clock offset kept");
	store_case_get(s, case_id, on_case, &seen);
	is_int(seen.nevidence, 1, "the case counts its evidence");

	ok(store_blob_open(s, b1.sha256, &fd) == 0 && fd >= 0, "blob opens");
	if (fd >= 0)
		close(fd);
	is_int(store_evidence_check(s, on_problem, NULL, &n), 0,
	    "evidence check passes");
	is_int(n, 1, "one blob checked");
	is_int(store_audit_verify(s, 0, NULL, &ast), 0, "audit verifies");

	{
		struct store_case_event_in ev = {
			.case_id = 999, .kind = STORE_EV_NOTE,
			.event_time = STORE_TIME_UNSET, .text = "x",
		};
		store_begin(s);
		is_int(store_case_event_add_tx(s, &ev, NULL), -FB_ERR_NOENT,
		    "an unknown case is refused");
		store_rollback(s);
	}
	{
		static const struct { const char *in, *out; } csv[] = {
			{ "plain", "\"plain\"" },
			{ "=1+1", "\"'=1+1\"" },
			{ "+cmd", "\"'+cmd\"" },
			{ "-2", "\"'-2\"" },
			{ "@SUM(A1)", "\"'@SUM(A1)\"" },
			{ "\tx", "\"'\tx\"" },
			{ "say \"hi\"", "\"say \"\"hi\"\"\"" },
			{ "a=b", "\"a=b\"" },
			{ "", "\"\"" },
		};
		size_t k;

		for (k = 0; k < FB_ARRAY_LEN(csv); k++) {
			struct fb_buf b = FB_BUF_INIT;

			fb_csv_cell(&b, csv[k].in);
			is_str(b.data, csv[k].out, "csv cell");
			fb_buf_release(&b);
		}
	}
	store_close(s);
	{
		char *cmd = xasprintf("rm -rf '%s'", dir);
		if (system(cmd) != 0)
			diag("cannot remove %s", dir);
		free(cmd);
	}
	return done_testing();
}
