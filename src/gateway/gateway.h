/*
 * gateway: LLM/API gateway logs in, abuse findings out. Parses LiteLLM
 * spend-log and standard-logging JSON, Envoy JSON access logs, NGINX
 * combined lines and firebreak's own gateway events natively (no Lua per
 * record), turns every raw key into a key id before anything else sees
 * it, and runs the detectors per key and per client IP on event-time
 * windows: rate-limit rejections, volume and output-token anomalies
 * against each key's EWMA baseline (kept in the store across ingests),
 * 401/403 bursts from one IP, and any use of a revoked key. Each
 * detection is one finding per subject and window, written through the
 * store inside the ingest's transaction.
 */
#ifndef FB_GATEWAY_H
#define FB_GATEWAY_H

#include <stdint.h>

#include "store/store.h"

/* The native formats, by the name their Lua adapter declares. */
enum gw_format {
	GW_FMT_EVENT,     /* firebreak's own JSONL gateway event */
	GW_FMT_LITELLM,   /* spend logs and standard logging payloads */
	GW_FMT_ENVOY,     /* Envoy JSON access log */
	GW_FMT_NGINX,     /* NGINX combined text lines */
};
/* 0 and *fmt set, or -FB_ERR_INVAL for an unknown name. */
int gateway_format_find(const char *name, enum gw_format *fmt);

struct gateway_result {
	uint64_t records;        /* records read */
	uint64_t rejected;       /* well-formed records without a usable time */
	uint64_t untracked;      /* events of client IPs over the bound */
	char first_reject[200];
};

/*
 * Run one input (data, len) through the detectors inside the caller's
 * write transaction (ingest_id names it): findings go to store_finding_put
 * and are counted in c, keys seen and detector state are saved. Malformed
 * input returns -FB_ERR_PARSE naming path and line, and the caller rolls
 * back.
 */
int gateway_ingest(struct store *s, int64_t ingest_id, enum gw_format fmt,
    const char *path, const char *data, size_t len,
    struct store_ingest_counts *c, struct gateway_result *r);

#endif
