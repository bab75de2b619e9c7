/*
 * export.c: `firebreak export` — a case as of time T written as one
 * deterministic archive (see firebreak-bundle(5)). Everything is gathered
 * in one read snapshot; the small files are made in memory; evidence is
 * streamed from the blob store and re-hashed on the way, so a damaged
 * blob stops the export instead of shipping. Determinism: entries sorted
 * by name, regular files only, mode 0644, owner 0:0 "root", mtime T, no
 * atime/ctime, gzip without a timestamp, zstd level 3 with 2 threads, zip
 * times written in UTC.
 */
#include "config.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "evidence/bundle-int.h"
#include "evidence/evidence.h"
#include "json/json.h"
#include "store/export.h"

#define ZERO_HASH "0000000000000000000000000000000000000000000000000000000000000000"
#define REDACT_MAX ((uint64_t)64 << 20) /* larger text is not redacted */
#define CHUNK (1 << 20)

struct bfile {
	char *path;
	struct fb_buf data;        /* contents, unless blob is set */
	const struct bundle_item *item; /* stream this blob instead */
	char sha256[FB_SHA256_HEX];
	uint64_t size;
};

struct xport {
	struct store *s;
	const struct evidence_export_opts *o;
	struct store_json_tool *jt;
	struct bundle b;
	struct fb_buf custody, audit, findings, redact_log;
	struct bfile *files;
	size_t nfiles;
	int64_t red_counts[EVIDENCE_REDACT_KINDS];
	int64_t red_total;
	struct evidence_redactor *red;
	uint64_t done, total;
	char *buf;                 /* CHUNK bytes for streaming blobs */
};

int
evidence_bundle_format(const char *path, enum evidence_bundle_format *f)
{
	size_t n = strlen(path);

#define ENDS(x) (n > strlen(x) && strcmp(path + n - strlen(x), x) == 0)
	if (ENDS(".tar.gz") || ENDS(".tgz"))
		*f = EVIDENCE_TAR_GZ;
	else if (ENDS(".tar.zst") || ENDS(".tzst"))
		*f = EVIDENCE_TAR_ZST;
	else if (ENDS(".zip"))
		*f = EVIDENCE_ZIP;
	else
		return fb_err(FB_ERR_USAGE, "cannot tell the format of '%s': "
		    "name it .tar.gz, .tar.zst or .zip", path);
#undef ENDS
	return 0;
}

static char *
dup_or_null(const char *s)
{
	return s ? xstrdup(s) : NULL;
}

/* ---- gathering ---------------------------------------------------------- */

static int
finding_cb(void *ctx, const struct store_finding_row *r)
{
	struct xport *x = ctx;
	struct bundle_finding *f;

	x->b.f = xrealloc(x->b.f, (x->b.nf + 1) * sizeof(*x->b.f));
	f = &x->b.f[x->b.nf++];
	f->id = r->id;
	f->count = r->count;
	f->severity = r->severity;
	f->status = dup_or_null(r->status);
	f->source = dup_or_null(r->source);
	f->rule_id = dup_or_null(r->rule_id);
	f->title = dup_or_null(r->title);
	f->first_seen = dup_or_null(r->first_seen);
	f->last_seen = dup_or_null(r->last_seen);
	return 0;
}

static int
cmp_finding(const void *a, const void *b)
{
	const struct bundle_finding *x = a, *y = b;

	return x->id < y->id ? -1 : x->id > y->id;
}

static int
timeline_cb(void *ctx, const struct store_timeline_row *r)
{
	struct xport *x = ctx;
	struct bundle_event *e;

	/* As of T: what had been recorded by then. */
	if (r->recorded_time != NULL && strcmp(r->recorded_time,
	    x->b.as_of_s) > 0)
		return 0;
	x->b.ev = xrealloc(x->b.ev, (x->b.nev + 1) * sizeof(*x->b.ev));
	e = &x->b.ev[x->b.nev++];
	e->finding = r->finding;
	e->evidence = r->evidence;
	e->event_time = dup_or_null(r->event_time);
	e->recorded_time = dup_or_null(r->recorded_time);
	e->actor = dup_or_null(r->actor);
	e->actor_kind = dup_or_null(r->actor_kind);
	e->kind = dup_or_null(r->kind);
	e->text = dup_or_null(r->text);
	e->reason = dup_or_null(r->reason);
	return 0;
}

/* A safe file name: [A-Za-z0-9._-], at most 80 bytes, no leading dot. */
static void
safe_name(struct fb_buf *out, const char *s)
{
	const char *base = s ? strrchr(s, '/') : NULL;
	size_t n = 0;

	s = base ? base + 1 : s;
	if (s == NULL || *s == '\0')
		s = "item";
	for (; *s && n < 80; s++, n++) {
		unsigned char c = (unsigned char)*s;

		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '_' || c == '-' ||
		    (c == '.' && n > 0))
			fb_buf_addch(out, c);
		else
			fb_buf_addch(out, '_');
	}
}

static int
item_cb(void *ctx, const struct store_evidence_row *r)
{
	struct xport *x = ctx;
	struct bundle_item *it;
	struct fb_buf p = FB_BUF_INIT;

	x->b.it = xrealloc(x->b.it, (x->b.nit + 1) * sizeof(*x->b.it));
	it = &x->b.it[x->b.nit++];
	memset(it, 0, sizeof(*it));
	fb_buf_init(&it->data);
	it->id = r->id;
	fb_buf_addf(&p, "evidence/%06lld-", (long long)r->id);
	safe_name(&p, r->name ? r->name : r->path ? r->path :
	    r->kind ? r->kind : NULL);
	it->path = fb_buf_detach(&p, NULL);
	it->blob = xstrdup(r->sha256);
	snprintf(it->sha256, sizeof(it->sha256), "%s", r->sha256);
	it->size = it->size_original = (uint64_t)r->size;
	it->kind = dup_or_null(r->kind);
	it->name = dup_or_null(r->name);
	it->source_host = dup_or_null(r->source_host);
	it->host_key = dup_or_null(r->host_key);
	it->orig_path = dup_or_null(r->path);
	it->command = dup_or_null(r->command);
	it->collector = dup_or_null(r->collector);
	it->collected_by = dup_or_null(r->collected_by);
	it->started = dup_or_null(r->started);
	it->finished = dup_or_null(r->finished);
	it->orig_mtime = dup_or_null(r->orig_mtime);
	it->orig_owner = dup_or_null(r->orig_owner);
	it->note = dup_or_null(r->note);
	it->clock_offset_ms = r->clock_offset_ms;
	it->orig_mode = r->orig_mode;
	x->total += it->size;
	return 0;
}

struct custody_ctx {
	struct xport *x;
	struct bundle_item *it;
	char last[FB_SHA256_HEX];
};

static int
custody_cb(void *ctx, const char *json)
{
	struct custody_ctx *c = ctx;
	char *h = NULL;

	fb_buf_addstr(&c->x->custody, json);
	fb_buf_addch(&c->x->custody, '\n');
	if (store_json_get(c->x->jt, json, "$.hash", &h) == 0 && h != NULL)
		snprintf(c->last, sizeof(c->last), "%s", h);
	free(h);
	c->it->custody_rows++;
	return 0;
}

/* The custody row of this export, stamped T, chained to the last one. */
static void
custody_row(struct fb_json *j, const struct custody_ctx *c,
    const char *hash)
{
	const struct xport *x = c->x;
	char note[96];

	snprintf(note, sizeof(note), "exported in an evidence bundle as of %s",
	    x->b.as_of_s);
	fb_json_obj_begin(j);
	fb_json_kstr(j, "action", "exported");
	fb_json_kstr(j, "actor", x->b.exporter);
	fb_json_kstr(j, "actor_kind", "human");
	fb_json_kint(j, "evidence", c->it->id);
	if (hash != NULL)
		fb_json_kstr(j, "hash", hash);
	fb_json_kstr(j, "holder", "evidence bundle");
	fb_json_kstr(j, "note", note);
	fb_json_kstr(j, "prev_hash", c->last);
	fb_json_key(j, "seq");
	fb_json_null(j);
	fb_json_kstr(j, "sha256", c->it->blob);
	fb_json_kstr(j, "time", x->b.as_of_s);
	fb_json_obj_end(j);
}

static int
custody_gather(struct xport *x, struct bundle_item *it)
{
	struct custody_ctx c = { .x = x, .it = it };
	struct fb_json *j;
	char hash[FB_SHA256_HEX], *row;
	int rc;

	snprintf(c.last, sizeof(c.last), "%s", ZERO_HASH);
	if ((rc = store_export_custody_json(x->s, it->id, x->b.as_of,
	    custody_cb, &c)) != 0)
		return rc;
	j = fb_json_new();
	custody_row(j, &c, NULL);
	row = fb_json_finish(j);
	rc = store_json_canon_hash(x->jt, row, hash);
	free(row);
	if (rc != 0)
		return rc;
	j = fb_json_new();
	custody_row(j, &c, hash);
	row = fb_json_finish(j);
	fb_buf_addstr(&x->custody, row);
	fb_buf_addch(&x->custody, '\n');
	free(row);
	it->custody_rows++;
	return 0;
}

static int
line_cb(void *ctx, const char *json)
{
	struct fb_buf *b = ctx;

	fb_buf_addstr(b, json);
	fb_buf_addch(b, '\n');
	return 0;
}

static int
audit_cb(void *ctx, const char *json)
{
	struct xport *x = ctx;

	x->b.audit_rows++;
	return line_cb(&x->audit, json);
}

static char *
json_str(struct xport *x, const char *json, const char *path)
{
	char *v = NULL;

	(void)store_json_get(x->jt, json, path, &v);
	return v;
}

/* Text evidence (no NUL bytes, within REDACT_MAX) is redacted in memory. */
static int
redact_item(struct xport *x, struct bundle_item *it)
{
	struct fb_buf raw = FB_BUF_INIT;
	int64_t counts[EVIDENCE_REDACT_KINDS] = { 0 };
	char *path = NULL;
	int rc, k;

	if (it->size_original > REDACT_MAX) {
		fb_buf_addf(&x->redact_log, "%s not_redacted too_large\n",
		    it->path);
		return 0;
	}
	if ((path = store_blob_path(x->s, it->blob)) == NULL)
		return fb_err(FB_ERR_NOMEM, "out of memory");
	rc = fb_buf_read_file(&raw, path, REDACT_MAX);
	free(path);
	if (rc != 0)
		return rc;
	if (memchr(raw.data, '\0', raw.len) != NULL) {
		fb_buf_addf(&x->redact_log, "%s not_redacted binary\n",
		    it->path);
		fb_buf_release(&raw);
		return 0;
	}
	rc = evidence_redact(x->red, raw.data, raw.len, &it->data, counts);
	fb_buf_release(&raw);
	if (rc != 0)
		return rc;
	it->redacted = 1;
	it->size = it->data.len;
	fb_sha256_hex(it->data.data, it->data.len, it->sha256);
	for (k = 0; evidence_redact_kind_name(k) != NULL; k++) {
		if (counts[k] == 0)
			continue;
		fb_buf_addf(&x->redact_log, "%s %s %lld\n", it->path,
		    evidence_redact_kind_name(k), (long long)counts[k]);
		x->red_counts[k] += counts[k];
		x->red_total += counts[k];
	}
	return 0;
}

static int
gather(struct xport *x)
{
	struct store_finding_query q = { 0 };
	int64_t *ids = NULL;
	size_t nids = 0, i;
	char *case_json = NULL, *sj;
	int rc;

	if ((rc = store_export_case_json(x->s, x->b.case_id, x->b.as_of,
	    &case_json)) != 0)
		return rc;
	x->b.title = json_str(x, case_json, "$.title");
	x->b.status = json_str(x, case_json, "$.status");
	x->b.severity = json_str(x, case_json, "$.severity");
	x->b.owner = json_str(x, case_json, "$.owner");
	x->b.opened = json_str(x, case_json, "$.opened");
	free(case_json);
	if ((rc = store_export_findings(x->s, x->b.case_id, x->b.as_of, &ids,
	    &nids)) != 0)
		return rc;
	if (nids > 0) {
		q.ids = ids;
		q.nids = nids;
		q.all = 1;
		if ((rc = store_findings_ls(x->s, &q, finding_cb, x)) != 0)
			goto out;
		qsort(x->b.f, x->b.nf, sizeof(*x->b.f), cmp_finding);
	}
	for (i = 0; i < x->b.nf; i++) {
		if ((rc = store_export_finding_json(x->s, x->b.f[i].id,
		    x->b.as_of, &sj)) != 0)
			goto out;
		/* The status at T, for the report too. */
		free(x->b.f[i].status);
		x->b.f[i].status = json_str(x, sj, "$.status");
		/* one line per finding: SQLite's JSON has no raw newlines */
		fb_buf_addstr(&x->findings, sj);
		fb_buf_addch(&x->findings, '\n');
		free(sj);
	}
	if ((rc = store_case_timeline(x->s, x->b.case_id, timeline_cb, x)) != 0)
		goto out;
	if ((rc = store_export_evidence(x->s, x->b.case_id, x->b.as_of,
	    item_cb, x)) != 0)
		goto out;
	for (i = 0; i < x->b.nit; i++)
		if ((rc = custody_gather(x, &x->b.it[i])) != 0)
			goto out;
	if ((rc = store_export_audit_json(x->s, x->b.case_id, x->b.as_of,
	    audit_cb, x, &x->b.audit_head_seq, x->b.audit_head_hash)) != 0)
		goto out;
	if (x->red != NULL)
		for (i = 0; i < x->b.nit; i++)
			if ((rc = redact_item(x, &x->b.it[i])) != 0)
				goto out;
out:
	free(ids);
	return rc;
}

/* ---- files -------------------------------------------------------------- */

static struct bfile *
file_add(struct xport *x, const char *path)
{
	struct bfile *f;

	x->files = xrealloc(x->files, (x->nfiles + 1) * sizeof(*x->files));
	f = &x->files[x->nfiles++];
	memset(f, 0, sizeof(*f));
	f->path = xstrdup(path);
	fb_buf_init(&f->data);
	return f;
}

/* A generated text file, redacted when asked. */
static int
file_text(struct xport *x, const char *path, struct fb_buf *text, int redact)
{
	struct bfile *f = file_add(x, path);
	int64_t counts[EVIDENCE_REDACT_KINDS] = { 0 };
	int rc, k;

	if (redact && x->red != NULL) {
		if ((rc = evidence_redact(x->red, text->data, text->len,
		    &f->data, counts)) != 0)
			return rc;
		for (k = 0; evidence_redact_kind_name(k) != NULL; k++) {
			if (counts[k] == 0)
				continue;
			fb_buf_addf(&x->redact_log, "%s %s %lld\n", path,
			    evidence_redact_kind_name(k), (long long)counts[k]);
			x->red_counts[k] += counts[k];
			x->red_total += counts[k];
		}
	} else
		fb_buf_add(&f->data, text->data, text->len);
	f->size = f->data.len;
	fb_sha256_hex(f->data.data, f->data.len, f->sha256);
	return 0;
}

static void
kstr_or_null(struct fb_json *j, const char *k, const char *v)
{
	fb_json_kstr(j, k, v);
}

static char *
manifest(struct xport *x)
{
	struct fb_json *j = fb_json_new();
	struct fb_buf pretty = FB_BUF_INIT;
	char mode[16], *text;
	size_t i;
	int k;

	fb_json_obj_begin(j);
	fb_json_kstr(j, "format", "firebreak-bundle");
	fb_json_kint(j, "format_version", 1);
	fb_json_key(j, "tool");
	fb_json_obj_begin(j);
	fb_json_kstr(j, "name", "firebreak");
	fb_json_kstr(j, "version", x->b.version);
	fb_json_obj_end(j);
	fb_json_key(j, "exporter");
	fb_json_obj_begin(j);
	fb_json_kstr(j, "user", x->b.exporter);
	fb_json_kstr(j, "host", x->b.host);
	fb_json_obj_end(j);
	fb_json_kstr(j, "as_of", x->b.as_of_s);
	fb_json_key(j, "case");
	fb_json_obj_begin(j);
	fb_json_kint(j, "id", x->b.case_id);
	fb_json_kstr(j, "title", x->b.title);
	fb_json_kstr(j, "severity", x->b.severity);
	fb_json_kstr(j, "status", x->b.status);
	fb_json_kstr(j, "owner", x->b.owner);
	fb_json_kstr(j, "opened", x->b.opened);
	fb_json_kint(j, "findings", (int64_t)x->b.nf);
	fb_json_kint(j, "evidence", (int64_t)x->b.nit);
	fb_json_kint(j, "timeline_events", (int64_t)x->b.nev);
	fb_json_obj_end(j);
	fb_json_key(j, "audit_head");
	fb_json_obj_begin(j);
	fb_json_kint(j, "seq", x->b.audit_head_seq);
	fb_json_kstr(j, "hash", x->b.audit_head_hash);
	fb_json_obj_end(j);
	fb_json_kbool(j, "signed", x->b.sign);
	fb_json_key(j, "redaction");
	if (x->red == NULL)
		fb_json_null(j);
	else {
		fb_json_obj_begin(j);
		fb_json_kbool(j, "ipv4", (x->o->redact &
		    EVIDENCE_REDACT_IPV4) != 0);
		fb_json_key(j, "counts");
		fb_json_obj_begin(j);
		for (k = 0; evidence_redact_kind_name(k) != NULL; k++)
			if (x->red_counts[k] > 0)
				fb_json_kint(j, evidence_redact_kind_name(k),
				    x->red_counts[k]);
		fb_json_obj_end(j);
		fb_json_obj_end(j);
	}
	fb_json_key(j, "items");
	fb_json_arr_begin(j);
	for (i = 0; i < x->b.nit; i++) {
		const struct bundle_item *it = &x->b.it[i];

		fb_json_obj_begin(j);
		fb_json_kint(j, "id", it->id);
		fb_json_kstr(j, "path", it->path);
		fb_json_kstr(j, "sha256", it->sha256);
		fb_json_kint(j, "size", (int64_t)it->size);
		fb_json_kbool(j, "redacted", it->redacted);
		if (it->redacted) {
			fb_json_kstr(j, "sha256_original", it->blob);
			fb_json_kint(j, "size_original",
			    (int64_t)it->size_original);
		}
		kstr_or_null(j, "kind", it->kind);
		kstr_or_null(j, "name", it->name);
		kstr_or_null(j, "source_host", it->source_host);
		kstr_or_null(j, "host_key", it->host_key);
		kstr_or_null(j, "original_path", it->orig_path);
		kstr_or_null(j, "command", it->command);
		kstr_or_null(j, "collector", it->collector);
		kstr_or_null(j, "collected_by", it->collected_by);
		kstr_or_null(j, "collection_start", it->started);
		kstr_or_null(j, "collection_end", it->finished);
		fb_json_key(j, "clock_offset_ms");
		if (it->clock_offset_ms == STORE_TIME_UNSET)
			fb_json_null(j);
		else
			fb_json_int(j, it->clock_offset_ms);
		kstr_or_null(j, "original_mtime", it->orig_mtime);
		if (it->orig_mode >= 0) {
			snprintf(mode, sizeof(mode), "%04llo",
			    (unsigned long long)(it->orig_mode & 07777));
			fb_json_kstr(j, "original_mode", mode);
		} else
			kstr_or_null(j, "original_mode", NULL);
		kstr_or_null(j, "original_owner", it->orig_owner);
		kstr_or_null(j, "note", it->note);
		fb_json_kint(j, "custody_entries", it->custody_rows);
		fb_json_obj_end(j);
	}
	fb_json_arr_end(j);
	fb_json_obj_end(j);
	text = fb_json_finish(j);
	if (fb_json_pretty(text, strlen(text), &pretty) == 0) {
		free(text);
		fb_buf_addch(&pretty, '\n');
		return fb_buf_detach(&pretty, NULL);
	}
	fb_buf_release(&pretty);
	return text;
}

static int
cmp_file(const void *a, const void *b)
{
	return strcmp(((const struct bfile *)a)->path,
	    ((const struct bfile *)b)->path);
}

static int
build_files(struct xport *x)
{
	struct fb_buf t = FB_BUF_INIT, sums = FB_BUF_INIT, sig = FB_BUF_INIT;
	struct bfile *f;
	char *m;
	size_t i;
	int rc;

#define TEXT(name, fill, red) do {                                         \
	fb_buf_reset(&t);                                                   \
	fill;                                                               \
	if ((rc = file_text(x, name, &t, red)) != 0)                        \
		goto out;                                                   \
} while (0)
	TEXT("custody.jsonl", fb_buf_add(&t, x->custody.data, x->custody.len),
	    0);
	TEXT("audit.jsonl", fb_buf_add(&t, x->audit.data, x->audit.len), 0);
	TEXT("findings.jsonl", fb_buf_add(&t, x->findings.data,
	    x->findings.len), 1);
	TEXT("timeline.csv", bundle_timeline_csv(&x->b, &t), 1);
	TEXT("report.md", bundle_report_md(&x->b, &t), 1);
	TEXT("report.html", bundle_report_html(&x->b, &t), 1);
	for (i = 0; i < x->b.nit; i++) {
		const struct bundle_item *it = &x->b.it[i];

		f = file_add(x, it->path);
		f->size = it->size;
		snprintf(f->sha256, sizeof(f->sha256), "%s", it->sha256);
		if (it->redacted)
			fb_buf_add(&f->data, it->data.data, it->data.len);
		else
			f->item = it;
	}
	/* After the reports, so their counts are in the log and manifest. */
	if (x->red != NULL) {
		fb_buf_reset(&t);
		fb_buf_addf(&t, "# firebreak redaction log: file kind count "
		    "(values are never logged)\n");
		fb_buf_add(&t, x->redact_log.data, x->redact_log.len);
		if ((rc = file_text(x, "redact.log", &t, 0)) != 0)
			goto out;
	}
	m = manifest(x);
	fb_buf_reset(&t);
	fb_buf_addstr(&t, m);
	free(m);
	if ((rc = file_text(x, "manifest.json", &t, 0)) != 0)
		goto out;
	qsort(x->files, x->nfiles, sizeof(*x->files), cmp_file);
	for (i = 0; i < x->nfiles; i++)
		fb_buf_addf(&sums, "%s  %s\n", x->files[i].sha256,
		    x->files[i].path);
	if (x->o->sign_key != NULL &&
	    (rc = evidence_sign(x->o->sign_key, sums.data, sums.len, &sig)) != 0)
		goto out;
	if ((rc = file_text(x, "SHA256SUMS", &sums, 0)) != 0)
		goto out;
	if (x->o->sign_key != NULL &&
	    (rc = file_text(x, "SHA256SUMS.sig", &sig, 0)) != 0)
		goto out;
	qsort(x->files, x->nfiles, sizeof(*x->files), cmp_file);
#undef TEXT
out:
	fb_buf_release(&t);
	fb_buf_release(&sums);
	fb_buf_release(&sig);
	return rc;
}

/* ---- the archive -------------------------------------------------------- */

struct sink {
	int fd;
	struct fb_sha256 *h;
	uint64_t size, flushed;
	int err;
};

/* Start writeback as the archive grows, so the final fsync finds the
 * disk nearly done instead of a gigabyte of dirty pages. */
#define WRITEBACK_STEP ((uint64_t)32 << 20)

static la_ssize_t
sink_write(struct archive *a, void *ctx, const void *p, size_t n)
{
	struct sink *k = ctx;
	const char *c = p;
	size_t left = n;
	ssize_t w;

	while (left > 0) {
		if ((w = write(k->fd, c, left)) < 0) {
			if (errno == EINTR)
				continue;
			k->err = errno;
			archive_set_error(a, errno, "write: %s", strerror(errno));
			return -1;
		}
		c += w;
		left -= (size_t)w;
	}
	fb_sha256_update(k->h, p, n);
	k->size += n;
#ifdef SYNC_FILE_RANGE_WRITE
	if (k->size - k->flushed >= WRITEBACK_STEP) {
		(void)sync_file_range(k->fd, (off_t)k->flushed,
		    (off_t)(k->size - k->flushed), SYNC_FILE_RANGE_WRITE);
		k->flushed = k->size;
	}
#endif
	return (la_ssize_t)n;
}

static int
aerr(struct archive *a, const char *what)
{
	const char *m = archive_error_string(a);

	return fb_err(FB_ERR_IO, "cannot write the bundle (%s): %s", what,
	    m ? m : "libarchive error");
}

static int
setup(struct archive *a, enum evidence_bundle_format fmt)
{
	int r = ARCHIVE_OK;

	switch (fmt) {
	case EVIDENCE_TAR_GZ:
		r = archive_write_set_format_pax_restricted(a);
		if (r == ARCHIVE_OK)
			r = archive_write_add_filter_gzip(a);
		if (r == ARCHIVE_OK)
			r = archive_write_set_options(a, "gzip:!timestamp,"
			    "gzip:compression-level=6");
		break;
	case EVIDENCE_TAR_ZST:
		r = archive_write_set_format_pax_restricted(a);
		if (r == ARCHIVE_OK)
			r = archive_write_add_filter_zstd(a);
		if (r == ARCHIVE_OK)
			r = archive_write_set_options(a, "zstd:compression-level"
			    "=3,zstd:threads=2");
		break;
	case EVIDENCE_ZIP:
		r = archive_write_set_format_zip(a);
		if (r == ARCHIVE_OK)
			r = archive_write_set_options(a,
			    "zip:compression=deflate");
		/* DOS times in zip headers are local time: make it UTC. */
		setenv("TZ", "UTC0", 1);
		tzset();
		break;
	}
	/* No padding of the last block with zeros: the file ends where the
	 * archive does. */
	if (r == ARCHIVE_OK)
		r = archive_write_set_bytes_in_last_block(a, 1);
	return r == ARCHIVE_OK ? 0 : aerr(a, "format");
}

static int
write_blob(struct xport *x, struct archive *a, const struct bfile *f)
{
	char *buf, got[FB_SHA256_HEX];
	struct fb_sha256 *h = NULL;
	uint64_t n = 0;
	ssize_t r;
	int fd = -1, rc;

	if ((rc = store_blob_open(x->s, f->item->blob, &fd)) != 0)
		return fb_err(-rc, "evidence %lld: blob %.12s is missing from "
		    "the workspace", (long long)f->item->id, f->item->blob);
	if (x->buf == NULL)
		x->buf = xmalloc(CHUNK);
	buf = x->buf;
	h = fb_sha256_new();
	for (;;) {
		if ((r = read(fd, buf, CHUNK)) < 0) {
			if (errno == EINTR)
				continue;
			rc = fb_err(FB_ERR_IO, "evidence %lld: cannot read blob: "
			    "%s", (long long)f->item->id, strerror(errno));
			goto out;
		}
		if (r == 0)
			break;
		if (n + (uint64_t)r > f->size) {
			r = (ssize_t)(f->size - n);
			if (r == 0)
				break;
		}
		fb_sha256_update(h, buf, (size_t)r);
		if (archive_write_data(a, buf, (size_t)r) != r) {
			rc = aerr(a, f->path);
			goto out;
		}
		n += (uint64_t)r;
		x->done += (uint64_t)r;
		if (x->o->progress != NULL)
			x->o->progress(x->o->progress_ctx, x->done, x->total);
	}
	fb_sha256_final(h, got);
	h = NULL;
	if (n != f->size || strcmp(got, f->item->blob) != 0)
		rc = fb_err(FB_ERR_TAMPER, "evidence %lld: blob %.12s in the "
		    "workspace no longer matches its hash (run `firebreak "
		    "evidence check`); export abandoned",
		    (long long)f->item->id, f->item->blob);
out:
	fb_sha256_free(h);
	close(fd);
	return rc;
}

static int
write_archive(struct xport *x, int fd, enum evidence_bundle_format fmt,
    struct evidence_export_result *res)
{
	struct archive *a = archive_write_new();
	struct archive_entry *e = archive_entry_new();
	struct sink k = { .fd = fd, .h = fb_sha256_new() };
	size_t i;
	int rc;

	if (a == NULL || e == NULL) {
		rc = fb_err(FB_ERR_NOMEM, "out of memory");
		goto out;
	}
	if ((rc = setup(a, fmt)) != 0)
		goto out;
	if (archive_write_open2(a, &k, NULL, sink_write, NULL, NULL) !=
	    ARCHIVE_OK) {
		rc = aerr(a, "open");
		goto out;
	}
	for (i = 0; i < x->nfiles; i++) {
		const struct bfile *f = &x->files[i];

		archive_entry_clear(e);
		archive_entry_set_pathname(e, f->path);
		archive_entry_set_filetype(e, AE_IFREG);
		archive_entry_set_perm(e, 0644);
		archive_entry_set_size(e, (la_int64_t)f->size);
		archive_entry_set_mtime(e, (time_t)x->b.as_of, 0);
		archive_entry_set_uid(e, 0);
		archive_entry_set_gid(e, 0);
		archive_entry_set_uname(e, "root");
		archive_entry_set_gname(e, "root");
		if (archive_write_header(a, e) < ARCHIVE_WARN) {
			rc = aerr(a, f->path);
			goto out;
		}
		if (f->item != NULL) {
			if ((rc = write_blob(x, a, f)) != 0)
				goto out;
		} else if (f->size > 0 && archive_write_data(a, f->data.data,
		    f->data.len) != (la_ssize_t)f->data.len) {
			rc = aerr(a, f->path);
			goto out;
		}
	}
	if (archive_write_close(a) != ARCHIVE_OK) {
		rc = aerr(a, "close");
		goto out;
	}
	fb_sha256_final(k.h, res->sha256);
	k.h = NULL;
	res->size = k.size;
out:
	fb_sha256_free(k.h);
	archive_entry_free(e);
	archive_write_free(a);
	return rc;
}

/* ---- recording the hand-off -------------------------------------------- */

static int
record(struct xport *x, const struct evidence_export_result *res)
{
	struct fb_json *j;
	char note[256], obj[48], *detail;
	const char *base = strrchr(x->o->output, '/');
	size_t i;
	int rc;

	base = base ? base + 1 : x->o->output;
	if ((rc = store_begin(x->s)) != 0)
		return rc;
	snprintf(note, sizeof(note), "bundle sha256 %s as of %s", res->sha256,
	    x->b.as_of_s);
	for (i = 0; i < x->b.nit; i++) {
		struct store_custody_in c = {
			.evidence = x->b.it[i].id, .action = "exported",
			.holder = base, .note = note,
			.actor_kind = STORE_ACTOR_HUMAN,
		};

		if ((rc = store_custody_append_tx(x->s, &c, NULL)) != 0)
			goto fail;
	}
	j = fb_json_new();
	fb_json_obj_begin(j);
	fb_json_kint(j, "case", x->b.case_id);
	fb_json_kstr(j, "as_of", x->b.as_of_s);
	fb_json_kstr(j, "file", base);
	fb_json_kstr(j, "sha256", res->sha256);
	fb_json_kint(j, "size", (int64_t)res->size);
	fb_json_kint(j, "items", (int64_t)x->b.nit);
	fb_json_kint(j, "findings", (int64_t)x->b.nf);
	fb_json_kbool(j, "signed", x->b.sign);
	fb_json_kbool(j, "redacted", x->red != NULL);
	fb_json_kint(j, "audit_head_seq", x->b.audit_head_seq);
	fb_json_obj_end(j);
	detail = fb_json_finish(j);
	snprintf(obj, sizeof(obj), "case:%lld", (long long)x->b.case_id);
	rc = store_audit(x->s, STORE_ACTOR_HUMAN, "case.export", obj, detail,
	    NULL);
	free(detail);
	if (rc != 0)
		goto fail;
	return store_commit(x->s);
fail:
	store_rollback(x->s);
	return rc;
}

static void
xport_release(struct xport *x)
{
	size_t i;

	for (i = 0; i < x->b.nf; i++) {
		struct bundle_finding *f = &x->b.f[i];
		free(f->status); free(f->source); free(f->rule_id);
		free(f->title); free(f->first_seen); free(f->last_seen);
	}
	free(x->b.f);
	for (i = 0; i < x->b.nev; i++) {
		struct bundle_event *e = &x->b.ev[i];
		free(e->event_time); free(e->recorded_time); free(e->actor);
		free(e->actor_kind); free(e->kind); free(e->text);
		free(e->reason);
	}
	free(x->b.ev);
	for (i = 0; i < x->b.nit; i++) {
		struct bundle_item *it = &x->b.it[i];
		free(it->path); free(it->blob); free(it->kind); free(it->name);
		free(it->source_host); free(it->host_key); free(it->orig_path);
		free(it->command); free(it->collector); free(it->collected_by);
		free(it->started); free(it->finished); free(it->orig_mtime);
		free(it->orig_owner); free(it->note);
		fb_buf_release(&it->data);
	}
	free(x->b.it);
	for (i = 0; i < x->nfiles; i++) {
		free(x->files[i].path);
		fb_buf_release(&x->files[i].data);
	}
	free(x->files);
	free(x->b.title); free(x->b.status); free(x->b.severity);
	free(x->b.owner); free(x->b.opened); free(x->b.exporter);
	free(x->b.host);
	fb_buf_release(&x->custody);
	fb_buf_release(&x->audit);
	fb_buf_release(&x->findings);
	fb_buf_release(&x->redact_log);
	evidence_redactor_free(x->red);
	store_json_tool_free(x->jt);
	free(x->buf);
}

int
evidence_export(struct store *s, const struct evidence_export_opts *o,
    struct evidence_export_result *res)
{
	struct xport x;
	struct fb_actor actor;
	enum evidence_bundle_format fmt;
	char host[256], *tmp = NULL;
	int rc, fd = -1, reading = 0;

	memset(&x, 0, sizeof(x));
	memset(res, 0, sizeof(*res));
	fb_buf_init(&x.custody);
	fb_buf_init(&x.audit);
	fb_buf_init(&x.findings);
	fb_buf_init(&x.redact_log);
	x.s = s;
	x.o = o;
	if ((rc = evidence_bundle_format(o->output, &fmt)) != 0)
		return rc;
	x.b.case_id = o->case_id;
	x.b.as_of = o->as_of;
	fb_time_fmt(o->as_of, x.b.as_of_s);
	x.b.sign = o->sign_key != NULL;
	x.b.version = PACKAGE_VERSION;
	fb_actor_get(&actor);
	x.b.exporter = xstrdup(actor.user);
	if (gethostname(host, sizeof(host) - 1) != 0)
		snprintf(host, sizeof(host), "localhost");
	host[sizeof(host) - 1] = '\0';
	x.b.host = xstrdup(host);
	if ((rc = store_json_tool_new(&x.jt)) != 0)
		goto out;
	if (o->redact && (rc = evidence_redactor_new(o->redact, &x.red)) != 0)
		goto out;
	if ((rc = store_read_begin(s)) != 0)
		goto out;
	reading = 1;
	if ((rc = gather(&x)) != 0 || (rc = build_files(&x)) != 0)
		goto out;
	tmp = xasprintf("%s.tmp-XXXXXX", o->output);
	if ((fd = mkstemp(tmp)) < 0) {
		rc = fb_err(FB_ERR_IO, "cannot create '%s': %s", tmp,
		    strerror(errno));
		free(tmp);
		tmp = NULL;
		goto out;
	}
	if ((rc = write_archive(&x, fd, fmt, res)) != 0)
		goto out;
	if (fsync(fd) != 0 || close(fd) != 0) {
		fd = -1;
		rc = fb_err(FB_ERR_IO, "cannot write '%s': %s", o->output,
		    strerror(errno));
		goto out;
	}
	fd = -1;
	store_read_end(s);
	reading = 0;
	if (rename(tmp, o->output) != 0) {
		rc = fb_err(FB_ERR_IO, "cannot rename to '%s': %s", o->output,
		    strerror(errno));
		goto out;
	}
	free(tmp);
	tmp = NULL;
	res->items = (int64_t)x.b.nit;
	res->findings = (int64_t)x.b.nf;
	res->redactions = x.red_total;
	rc = record(&x, res);
out:
	if (reading)
		store_read_end(s);
	if (fd >= 0)
		close(fd);
	if (tmp != NULL) {
		unlink(tmp);
		free(tmp);
	}
	xport_release(&x);
	return rc;
}
