/*
 * ingest: reports and logs in, normalized and deduplicated findings out.
 * Format adapters are Lua (lua/firebreak/ingest/<format>.lua, and user
 * adapters in $XDG_CONFIG_HOME/firebreak/ingest/); this module detects
 * the format, streams records through the adapter in the INGEST profile of
 * the Lua host, normalizes and fingerprints what it emits, masks secrets,
 * and writes one input as one store transaction with one audit row.
 * Malformed input changes nothing.
 */
#ifndef FB_INGEST_H
#define FB_INGEST_H

#include <stdint.h>

#include "store/store.h"

struct ingest_opts {
	const char *format;   /* -f: skip detection */
	int force;            /* ingest identical bytes again */
	/*
	 * --scope: the input is all its tool found in this scope. Every
	 * finding gets it, and earlier open findings of the scope that an
	 * input of the same format brought and this one lacks are resolved.
	 */
	const char *scope;
	/* progress: called now and then with bytes done of total (0 if unknown) */
	void (*progress)(void *ud, uint64_t done, uint64_t total);
	void *progress_ud;
};

struct ingest_result {
	int64_t id;            /* the new ingest, 0 when skipped */
	int64_t already;       /* the earlier ingest holding the same bytes */
	char format[64];
	char sha256[FB_SHA256_HEX];
	uint64_t size;
	uint64_t records;
	struct store_ingest_counts counts;
	char first_reject[256]; /* why the first rejected finding was rejected */
};

/*
 * Ingest one file ("-" for stdin). Returns 0 (also when the bytes were
 * already ingested: r->already is set), -FB_ERR_PARSE / -FB_ERR_LIMIT
 * with the file, line or offset in the message, or another -FB_ERR_*.
 */
int ingest_file(struct store *s, const char *path,
    const struct ingest_opts *o, struct ingest_result *r);

/* The same for bytes in memory (e.g. the scanner's own JSON Lines). */
int ingest_buffer(struct store *s, const char *name, const void *data,
    size_t len, const struct ingest_opts *o, struct ingest_result *r);

/* The adapters available, for help and errors: "name version path" lines. */
int ingest_formats(int (*cb)(void *ud, const char *name, const char *version,
    const char *description, const char *path), void *ud);

/*
 * A finding's fingerprint: SHA-256 of the canonical JSON
 * {"identity":IDENTITY,"kind":KIND,"source":SOURCE}, identity being
 * compact JSON with sorted keys. Native detectors use it too.
 */
void ingest_fingerprint(const char *source, const char *kind,
    const char *identity, char fp[FB_SHA256_HEX]);

/* ---- secret masking (mask.c) ------------------------------------------ */
/*
 * Replace what looks like a credential in text (API keys, tokens, private
 * keys, password fields) and every exact string in extra[] with a masked
 * form that keeps a short prefix. Output stays valid JSON if the input was.
 * Returns 1 if anything was masked. out receives the text either way.
 */
int ingest_mask(const char *text, size_t len, const char *const *extra,
    size_t nextra, struct fb_buf *out);

#endif
