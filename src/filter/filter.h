/*
 * filter: the one grammar and parser for selecting findings, shared by
 * CLI flags, `suppress add MATCH` and the console's `/`. Pure parsing (no
 * library); src/store turns a parsed filter into SQL.
 *
 *   filter  := term { SP term }           all terms must hold (AND)
 *   term    := field op value             severity>=high  status=open
 *            | TYPE ':' value              host:gpu-2  model:sha256:ab12
 *            | word                        full-text search
 *   op      := = | != | >= | <= | > | <    (order ops: severity, id, times)
 *   value   := glob (* and ?) or "quoted string"
 *   fields  := id severity status source kind rule title fingerprint case
 *              scope since until
 */
#ifndef FB_FILTER_H
#define FB_FILTER_H

#include <stdint.h>

enum filter_field {
	FILTER_F_ID,
	FILTER_F_SEVERITY,
	FILTER_F_STATUS,
	FILTER_F_SOURCE,
	FILTER_F_KIND,
	FILTER_F_RULE,
	FILTER_F_TITLE,
	FILTER_F_FINGERPRINT,
	FILTER_F_CASE,
	FILTER_F_SCOPE,
	FILTER_F_SINCE,   /* last_seen >= value (duration ago or a time) */
	FILTER_F_UNTIL,   /* last_seen <= value */
	FILTER_F_ASSET,   /* TYPE:VALUE */
	FILTER_F_TEXT,    /* bare word: full-text */
};

enum filter_op {
	FILTER_EQ, FILTER_NE, FILTER_GE, FILTER_LE, FILTER_GT, FILTER_LT,
};

struct filter_term {
	enum filter_field field;
	enum filter_op op;
	char *value;      /* as written (unquoted) */
	char *asset_type; /* FILTER_F_ASSET only */
	int64_t num;      /* severity rank, id, case, or a time (epoch s) */
	int glob;         /* value holds * or ? */
};

struct filter {
	struct filter_term *terms;
	size_t n;
	char *text;       /* the source, normalized */
};

/* Parse; errors are -FB_ERR_INVAL with a message naming the bad term. */
int filter_parse(const char *src, struct filter **out);
void filter_free(struct filter *f);

/* Severity names <-> ranks 0 (info) .. 4 (critical); -1 if unknown. */
int filter_severity_rank(const char *name);
const char *filter_severity_name(int rank);
/* Accepted aliases too: "moderate"->medium, "error"->high, "warning"->medium, "note"->low, "negligible"->info. */
int filter_severity_parse(const char *name);

#endif
