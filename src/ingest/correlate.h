/*
 * correlate: which findings belong together. The C side reads shared
 * assets from the store and hands them to the rules in
 * lua/firebreak/correlate.lua (the Lua host's CORRELATE profile), which
 * group findings and word a reason for every link. Proposals are only
 * proposals: correlate_apply() opens cases from them, each link with its
 * reason, and nothing else ever groups findings.
 */
#ifndef FB_CORRELATE_H
#define FB_CORRELATE_H

#include <stddef.h>
#include <stdint.h>

#include "store/cases.h"

struct correlate_link {
	int64_t finding;
	char *reason;
};

struct correlate_proposal {
	char *title;
	int severity;
	struct correlate_link *links;
	size_t nlinks;
	int64_t case_id;           /* set by correlate_apply */
};

struct correlate_result {
	struct correlate_proposal *p;
	size_t n;
};

/* Proposals for ungrouped findings of severity >= min_sev. */
int correlate_propose(struct store *s, int min_sev,
    struct correlate_result *out);
/* Open one case per proposal (each audited "case.new" with its reasons). */
int correlate_apply(struct store *s, struct correlate_result *r,
    enum store_actor_kind kind);
void correlate_result_release(struct correlate_result *r);

/* Findings outside case id that the rules tie to it, with reasons. */
int correlate_suggest(struct store *s, int64_t id,
    struct correlate_link **out, size_t *n);
void correlate_links_free(struct correlate_link *l, size_t n);

#endif
