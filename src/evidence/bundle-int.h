/* bundle-int.h: what export.c gathers and report.c renders (module-private). */
#ifndef FB_EVIDENCE_BUNDLE_INT_H
#define FB_EVIDENCE_BUNDLE_INT_H

#include "core/core.h"

struct bundle_finding {
	int64_t id, count;
	int severity;
	char *status, *source, *rule_id, *title, *first_seen, *last_seen;
};

struct bundle_event {
	int64_t finding, evidence;
	char *event_time, *recorded_time, *actor, *actor_kind, *kind, *text;
	char *reason;
};

struct bundle_item {
	int64_t id;
	char *path;                 /* in the bundle */
	char *blob;                 /* sha256 in the workspace */
	char sha256[FB_SHA256_HEX]; /* as in the bundle */
	uint64_t size, size_original;
	int redacted;
	struct fb_buf data;         /* the redacted bytes when redacted */
	char *kind, *name, *source_host, *host_key, *orig_path, *command;
	char *collector, *collected_by, *started, *finished, *orig_mtime;
	char *orig_owner, *note;
	int64_t clock_offset_ms, orig_mode; /* INT64_MIN / -1 when unknown */
	int64_t custody_rows;
};

struct bundle {
	int64_t case_id, as_of;
	char as_of_s[FB_TIME_LEN];
	char *title, *status, *severity, *owner, *opened;
	char *exporter, *host, *version;
	int64_t audit_head_seq, audit_rows;
	char audit_head_hash[FB_SHA256_HEX];
	struct bundle_finding *f;
	size_t nf;
	struct bundle_event *ev;
	size_t nev;
	struct bundle_item *it;
	size_t nit;
	int redact, sign;
};

/* report.c */
void bundle_timeline_csv(const struct bundle *b, struct fb_buf *out);
void bundle_report_md(const struct bundle *b, struct fb_buf *out);
void bundle_report_html(const struct bundle *b, struct fb_buf *out);
const char *bundle_severity_name(int sev);

#endif
