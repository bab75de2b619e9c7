/*
 * report.c: the human parts of a bundle — timeline.csv (every cell quoted,
 * formula-looking cells prefixed with a quote), report.md (every value
 * escaped for Markdown) and report.html (every value escaped for HTML, a
 * Content-Security-Policy of default-src 'none' with the one inline style
 * allowed by its hash, no scripts, no external resources, print rules).
 */
#include "config.h"

#include <string.h>

#include "evidence/bundle-int.h"

static const char *const sev_names[] = {
	"info", "low", "medium", "high", "critical",
};

const char *
bundle_severity_name(int sev)
{
	return sev >= 0 && sev < 5 ? sev_names[sev] : "unknown";
}

/* ---- CSV --------------------------------------------------------------- */

/* One cell through core's formula-safe writer, then a separator. */
static void
csv_cell(struct fb_buf *out, const char *s, int last)
{
	fb_csv_cell(out, s);
	fb_buf_addstr(out, last ? "\r\n" : ",");
}

static void
csv_int(struct fb_buf *out, int64_t v)
{
	char buf[32] = "";

	if (v != 0)
		snprintf(buf, sizeof(buf), "%lld", (long long)v);
	csv_cell(out, buf, 0);
}

void
bundle_timeline_csv(const struct bundle *b, struct fb_buf *out)
{
	size_t i;

	fb_buf_addstr(out, "event_time,recorded_time,actor,actor_kind,kind,"
	    "finding,evidence,text,reason\r\n");
	for (i = 0; i < b->nev; i++) {
		const struct bundle_event *e = &b->ev[i];

		csv_cell(out, e->event_time, 0);
		csv_cell(out, e->recorded_time, 0);
		csv_cell(out, e->actor, 0);
		csv_cell(out, e->actor_kind, 0);
		csv_cell(out, e->kind, 0);
		csv_int(out, e->finding);
		csv_int(out, e->evidence);
		csv_cell(out, e->text, 0);
		csv_cell(out, e->reason, 1);
	}
}

/* ---- Markdown ---------------------------------------------------------- */

/* Inline text: punctuation backslash-escaped, line breaks as spaces. */
static void
md(struct fb_buf *out, const char *s)
{
	struct fb_buf clean = FB_BUF_INIT;
	const char *p;

	if (s == NULL || *s == '\0') {
		fb_buf_addstr(out, "\\-");
		return;
	}
	fb_utf8_repair(&clean, s, strlen(s), " ");
	for (p = clean.data; *p; p++) {
		unsigned char c = (unsigned char)*p;

		if (c < 0x20)
			fb_buf_addch(out, ' ');
		else if (strchr("\\`*_{}[]()<>#+-.!|~&\"'=:@", c) != NULL) {
			fb_buf_addch(out, '\\');
			fb_buf_addch(out, c);
		} else
			fb_buf_addch(out, c);
	}
	fb_buf_release(&clean);
}

void
bundle_report_md(const struct bundle *b, struct fb_buf *out)
{
	char num[64];
	size_t i;

	fb_buf_addf(out, "# Case %lld: ", (long long)b->case_id);
	md(out, b->title);
	fb_buf_addstr(out, "\n\nEvidence bundle as of ");
	md(out, b->as_of_s);
	fb_buf_addstr(out, ", exported by ");
	md(out, b->exporter);
	fb_buf_addstr(out, " on ");
	md(out, b->host);
	fb_buf_addstr(out, " with firebreak ");
	md(out, b->version);
	fb_buf_addstr(out, ".\n\n| | |\n|---|---|\n| Status | ");
	md(out, b->status);
	fb_buf_addstr(out, " |\n| Severity | ");
	md(out, b->severity);
	fb_buf_addstr(out, " |\n| Owner | ");
	md(out, b->owner);
	fb_buf_addstr(out, " |\n| Opened | ");
	md(out, b->opened);
	fb_buf_addf(out, " |\n| Audit head | %lld ", (long long)b->audit_head_seq);
	md(out, b->audit_head_hash);
	fb_buf_addstr(out, " |\n");
	fb_buf_addf(out, "\n## Findings (%zu)\n\n", b->nf);
	if (b->nf > 0)
		fb_buf_addstr(out, "| ID | Severity | Status | Source | Title | "
		    "First seen | Last seen |\n|---|---|---|---|---|---|---|\n");
	for (i = 0; i < b->nf; i++) {
		const struct bundle_finding *f = &b->f[i];

		fb_buf_addf(out, "| %lld | %s | ", (long long)f->id,
		    bundle_severity_name(f->severity));
		md(out, f->status);
		fb_buf_addstr(out, " | ");
		md(out, f->source);
		fb_buf_addstr(out, " | ");
		md(out, f->title);
		fb_buf_addstr(out, " | ");
		md(out, f->first_seen);
		fb_buf_addstr(out, " | ");
		md(out, f->last_seen);
		fb_buf_addstr(out, " |\n");
	}
	fb_buf_addf(out, "\n## Evidence (%zu)\n\n", b->nit);
	if (b->nit > 0)
		fb_buf_addstr(out, "| ID | File | SHA-256 | Size | Source | "
		    "Collected | Redacted |\n|---|---|---|---|---|---|---|\n");
	for (i = 0; i < b->nit; i++) {
		const struct bundle_item *it = &b->it[i];

		fb_buf_addf(out, "| %lld | ", (long long)it->id);
		md(out, it->path);
		fb_buf_addf(out, " | %s | %llu | ", it->sha256,
		    (unsigned long long)it->size);
		md(out, it->source_host);
		fb_buf_addch(out, ' ');
		md(out, it->orig_path ? it->orig_path : it->command);
		fb_buf_addstr(out, " | ");
		md(out, it->finished);
		fb_buf_addf(out, " | %s |\n", it->redacted ? "yes" : "no");
	}
	fb_buf_addf(out, "\n## Timeline (%zu)\n\n", b->nev);
	if (b->nev > 0)
		fb_buf_addstr(out, "| Event time | Recorded | Actor | Kind | "
		    "Text |\n|---|---|---|---|---|\n");
	for (i = 0; i < b->nev; i++) {
		const struct bundle_event *e = &b->ev[i];

		fb_buf_addstr(out, "| ");
		md(out, e->event_time);
		fb_buf_addstr(out, " | ");
		md(out, e->recorded_time);
		fb_buf_addstr(out, " | ");
		md(out, e->actor);
		fb_buf_addstr(out, " | ");
		md(out, e->kind);
		fb_buf_addstr(out, " | ");
		md(out, e->text);
		fb_buf_addstr(out, " |\n");
	}
	snprintf(num, sizeof(num), "%lld", (long long)b->audit_rows);
	fb_buf_addf(out, "\n## Checking this bundle\n\nIn the extracted "
	    "bundle, `sha256sum -c SHA256SUMS` checks every file; "
	    "`firebreak verify BUNDLE` also checks the custody and audit "
	    "chains (%s audit entries) and the signature.\n", num);
}

/* ---- HTML -------------------------------------------------------------- */

static void
h(struct fb_buf *out, const char *s)
{
	struct fb_buf clean = FB_BUF_INIT;
	const char *p;

	if (s == NULL || *s == '\0') {
		fb_buf_addstr(out, "&#8212;");
		return;
	}
	fb_utf8_repair(&clean, s, strlen(s), "&#9249;");
	for (p = clean.data; *p; p++) {
		unsigned char c = (unsigned char)*p;

		switch (c) {
		case '&': fb_buf_addstr(out, "&amp;"); break;
		case '<': fb_buf_addstr(out, "&lt;"); break;
		case '>': fb_buf_addstr(out, "&gt;"); break;
		case '"': fb_buf_addstr(out, "&quot;"); break;
		case '\'': fb_buf_addstr(out, "&#39;"); break;
		default:
			if (c < 0x20 && c != '\n' && c != '\t')
				fb_buf_addf(out, "&#%u;", 0x2400 + c);
			else
				fb_buf_addch(out, c);
		}
	}
	fb_buf_release(&clean);
}

static const char style[] =
    "body{font-family:sans-serif;font-size:11pt;margin:2em;color:#000;"
    "background:#fff}"
    "h1{font-size:16pt}h2{font-size:13pt;margin-top:1.5em;"
    "break-after:avoid}"
    "table{border-collapse:collapse;width:100%;margin:.5em 0}"
    "th,td{border:1px solid #888;padding:2px 4px;text-align:left;"
    "vertical-align:top}.w{overflow-wrap:anywhere}.h{word-break:break-all}"
    "th{background:#eee}thead{display:table-header-group}"
    "tr{break-inside:avoid}code,.h{font-family:monospace;font-size:9pt}"
    "td:first-child,th{white-space:nowrap}"
    "@page{size:A4;margin:15mm}"
    "@media print{body{margin:0;font-size:9pt}}";

static void
base64(struct fb_buf *out, const unsigned char *p, size_t n)
{
	static const char t[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t i;

	for (i = 0; i + 2 < n; i += 3) {
		fb_buf_addch(out, t[p[i] >> 2]);
		fb_buf_addch(out, t[((p[i] & 3) << 4) | (p[i + 1] >> 4)]);
		fb_buf_addch(out, t[((p[i + 1] & 15) << 2) | (p[i + 2] >> 6)]);
		fb_buf_addch(out, t[p[i + 2] & 63]);
	}
	if (n - i == 1) {
		fb_buf_addch(out, t[p[i] >> 2]);
		fb_buf_addch(out, t[(p[i] & 3) << 4]);
		fb_buf_addstr(out, "==");
	} else if (n - i == 2) {
		fb_buf_addch(out, t[p[i] >> 2]);
		fb_buf_addch(out, t[((p[i] & 3) << 4) | (p[i + 1] >> 4)]);
		fb_buf_addch(out, t[(p[i + 1] & 15) << 2]);
		fb_buf_addch(out, '=');
	}
}

static void
style_hash(struct fb_buf *out)
{
	char hex[FB_SHA256_HEX];
	unsigned char raw[32];
	unsigned v;
	int i;

	fb_sha256_hex(style, strlen(style), hex);
	for (i = 0; i < 32; i++) {
		sscanf(hex + 2 * i, "%2x", &v);
		raw[i] = (unsigned char)v;
	}
	base64(out, raw, sizeof(raw));
}

static void
row2(struct fb_buf *out, const char *k, const char *v)
{
	fb_buf_addf(out, "<tr><th>%s</th><td>", k);
	h(out, v);
	fb_buf_addstr(out, "</td></tr>\n");
}

void
bundle_report_html(const struct bundle *b, struct fb_buf *out)
{
	char num[64];
	size_t i;

	fb_buf_addstr(out, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n"
	    "<meta charset=\"utf-8\">\n<meta http-equiv=\"Content-Security-"
	    "Policy\" content=\"default-src 'none'; style-src 'sha256-");
	style_hash(out);
	fb_buf_addstr(out, "'\">\n<meta name=\"referrer\" content=\"no-referrer"
	    "\">\n<title>");
	fb_buf_addf(out, "Case %lld: ", (long long)b->case_id);
	h(out, b->title);
	fb_buf_addstr(out, "</title>\n<style>");
	fb_buf_addstr(out, style);
	fb_buf_addstr(out, "</style>\n</head>\n<body>\n");
	fb_buf_addf(out, "<h1>Case %lld: ", (long long)b->case_id);
	h(out, b->title);
	fb_buf_addstr(out, "</h1>\n<p>Evidence bundle as of <code>");
	h(out, b->as_of_s);
	fb_buf_addstr(out, "</code>, exported by ");
	h(out, b->exporter);
	fb_buf_addstr(out, " on ");
	h(out, b->host);
	fb_buf_addstr(out, " with firebreak ");
	h(out, b->version);
	fb_buf_addstr(out, ".</p>\n<table>\n");
	row2(out, "Status", b->status);
	row2(out, "Severity", b->severity);
	row2(out, "Owner", b->owner);
	row2(out, "Opened", b->opened);
	snprintf(num, sizeof(num), "%lld", (long long)b->audit_head_seq);
	row2(out, "Audit head seq", num);
	fb_buf_addstr(out, "<tr><th>Audit head hash</th><td class=\"h\">");
	h(out, b->audit_head_hash);
	fb_buf_addstr(out, "</td></tr>\n");
	fb_buf_addstr(out, "</table>\n");

	fb_buf_addf(out, "<h2>Findings (%zu)</h2>\n", b->nf);
	fb_buf_addstr(out, "<table>\n<thead><tr><th>ID</th><th>Severity</th>"
	    "<th>Status</th><th>Source</th><th>Title</th><th>First seen</th>"
	    "<th>Last seen</th></tr></thead>\n<tbody>\n");
	for (i = 0; i < b->nf; i++) {
		const struct bundle_finding *f = &b->f[i];

		fb_buf_addf(out, "<tr><td>%lld</td><td>%s</td><td>",
		    (long long)f->id, bundle_severity_name(f->severity));
		h(out, f->status);
		fb_buf_addstr(out, "</td><td>");
		h(out, f->source);
		fb_buf_addstr(out, "</td><td class=\"w\">");
		h(out, f->title);
		fb_buf_addstr(out, "</td><td>");
		h(out, f->first_seen);
		fb_buf_addstr(out, "</td><td>");
		h(out, f->last_seen);
		fb_buf_addstr(out, "</td></tr>\n");
	}
	fb_buf_addstr(out, "</tbody>\n</table>\n");

	fb_buf_addf(out, "<h2>Evidence (%zu)</h2>\n", b->nit);
	fb_buf_addstr(out, "<table>\n<thead><tr><th>ID</th><th>File</th>"
	    "<th>SHA-256</th><th>Size</th><th>Source</th><th>Collected</th>"
	    "<th>Redacted</th></tr></thead>\n<tbody>\n");
	for (i = 0; i < b->nit; i++) {
		const struct bundle_item *it = &b->it[i];

		fb_buf_addf(out, "<tr><td>%lld</td><td class=\"w\"><code>",
		    (long long)it->id);
		h(out, it->path);
		fb_buf_addf(out, "</code></td><td class=\"h\">%s</td><td>%llu"
		    "</td><td class=\"w\">", it->sha256, (unsigned long long)it->size);
		h(out, it->source_host);
		fb_buf_addstr(out, ": ");
		h(out, it->orig_path ? it->orig_path : it->command);
		fb_buf_addstr(out, "</td><td>");
		h(out, it->finished);
		fb_buf_addf(out, "</td><td>%s</td></tr>\n",
		    it->redacted ? "yes" : "no");
	}
	fb_buf_addstr(out, "</tbody>\n</table>\n");

	fb_buf_addf(out, "<h2>Timeline (%zu)</h2>\n", b->nev);
	fb_buf_addstr(out, "<table>\n<thead><tr><th>Event time</th>"
	    "<th>Recorded</th><th>Actor</th><th>Kind</th><th>Text</th></tr>"
	    "</thead>\n<tbody>\n");
	for (i = 0; i < b->nev; i++) {
		const struct bundle_event *e = &b->ev[i];

		fb_buf_addstr(out, "<tr><td>");
		h(out, e->event_time);
		fb_buf_addstr(out, "</td><td>");
		h(out, e->recorded_time);
		fb_buf_addstr(out, "</td><td>");
		h(out, e->actor);
		fb_buf_addstr(out, "</td><td>");
		h(out, e->kind);
		fb_buf_addstr(out, "</td><td class=\"w\">");
		h(out, e->text);
		fb_buf_addstr(out, "</td></tr>\n");
	}
	fb_buf_addstr(out, "</tbody>\n</table>\n");
	fb_buf_addstr(out, "<h2>Checking this bundle</h2>\n<p>In the "
	    "extracted bundle, <code>sha256sum -c SHA256SUMS</code> checks "
	    "every file; <code>firebreak verify BUNDLE</code> also checks the "
	    "custody and audit chains and the signature.</p>\n</body>\n"
	    "</html>\n");
}
