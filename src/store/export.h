/*
 * export.h: a case as it stood at a time T, for evidence bundles, and a
 * small JSON toolbox (canonical form, field reads) that reads bundles
 * offline with SQLite's JSON functions, so a bundle's hashes are
 * recomputed by the same code that made them. Part of the store module.
 *
 * "As of T" means: what the workspace had recorded at or before T
 * (recorded times, not the sources' event times). Rows are returned as
 * JSON object texts made by SQLite; strings are borrowed for the callback.
 */
#ifndef FB_STORE_EXPORT_H
#define FB_STORE_EXPORT_H

#include <stdint.h>

#include "store/cases.h"

/*
 * The case summary as of T: id, title, severity, status and owner as of
 * T (from its audit rows), opened, opened_by, and the milestone times
 * reached by T. -FB_ERR_NOENT for an unknown case or one opened after T.
 * Caller frees *json.
 */
int store_export_case_json(struct store *s, int64_t id, int64_t as_of,
    char **json);

/* The ids of findings linked to the case as of T, ascending. Caller frees. */
int store_export_findings(struct store *s, int64_t id, int64_t as_of,
    int64_t **ids, size_t *n);

/*
 * A finding's JSON (as `finding show --json` prints it) with the status
 * and status reason it had at T, from the status log: the last change
 * by T, else the first change after T undone, else the status now.
 * Caller frees *json.
 */
int store_export_finding_json(struct store *s, int64_t id, int64_t as_of,
    char **json);

/* The case's evidence items recorded by T, by id. */
int store_export_evidence(struct store *s, int64_t id, int64_t as_of,
    store_evidence_cb cb, void *ctx);

/* One item's custody rows recorded by T (custody.jsonl shape), in order. */
int store_export_custody_json(struct store *s, int64_t evidence,
    int64_t as_of, store_json_cb cb, void *ctx);

/*
 * The audit chain as of T, from the case's first row to the head at T:
 * the case's rows in full (its own, its evidence's, and rows whose detail
 * names it) and a stub {"hash","prev_hash","seq","stub":true} for every
 * row between them. *head_seq and head_hash get the head as of T (0 and
 * 64 zeros when the log was empty).
 */
int store_export_audit_json(struct store *s, int64_t id, int64_t as_of,
    store_json_cb cb, void *ctx, int64_t *head_seq,
    char head_hash[FB_SHA256_HEX]);

/* ---- JSON toolbox (an in-memory SQLite; no workspace needed) ---------- */
struct store_json_tool;
int store_json_tool_new(struct store_json_tool **out);
void store_json_tool_free(struct store_json_tool *t);

/*
 * SHA-256 of the canonical form of a flat JSON object without its "hash"
 * member: keys in byte order, no spaces, as the audit and custody chains
 * hash their rows. -FB_ERR_PARSE if json is not an object.
 */
int store_json_canon_hash(struct store_json_tool *t, const char *json,
    char hash[FB_SHA256_HEX]);

/*
 * The value at path ("$.items[2].sha256") as text: strings unquoted,
 * numbers in decimal, objects and arrays as JSON. *out is NULL when the
 * path is absent or null. -FB_ERR_PARSE for malformed JSON. Caller frees.
 */
int store_json_get(struct store_json_tool *t, const char *json,
    const char *path, char **out);
/*
 * Call cb with the JSON text of each element of the array (or member of
 * the object) at path, in order: a big document is parsed once, not once
 * per element. A non-zero return from cb stops and is returned.
 */
int store_json_each(struct store_json_tool *t, const char *json,
    const char *path, store_json_cb cb, void *ctx);
/* The JSON type at path ("object", "text", "integer", ... or "" absent). */
int store_json_type(struct store_json_tool *t, const char *json,
    const char *path, char type[16]);

#endif
