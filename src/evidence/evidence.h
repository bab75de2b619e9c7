/*
 * evidence: blobs, custody, bundles — and the only code that talks to
 * libarchive. Other modules read archives through the small member
 * iterator below, so nothing outside src/evidence includes archive.h.
 */
#ifndef FB_EVIDENCE_H
#define FB_EVIDENCE_H

#include <stddef.h>
#include <stdint.h>

#include "core/core.h"

/* ---- reading zip archives member by member ---------------------------- */

struct evidence_zip;

/*
 * Open a zip held in memory (p stays owned by the caller and must outlive
 * the reader) or on an open file descriptor (not closed by the reader).
 * Returns 0 and sets *out, or -FB_ERR_PARSE / -FB_ERR_NOMEM.
 */
int evidence_zip_open_memory(const void *p, size_t n, struct evidence_zip **out);
int evidence_zip_open_fd(int fd, struct evidence_zip **out);
void evidence_zip_close(struct evidence_zip *z);

/*
 * Advance to the next member. Returns 1 with *name (borrowed, valid until
 * the next call) and *size (-1 when the archive does not say), 0 at the end,
 * or -FB_ERR_PARSE for a damaged archive (the message says why).
 */
int evidence_zip_next(struct evidence_zip *z, const char **name, int64_t *size);

/*
 * Read the current member's next block: returns 1 with the block in *p and *n (borrowed,
 * valid until the next call), 0 at the member's end, or -FB_ERR_PARSE.
 * Members not read are skipped by the next evidence_zip_next().
 */
int evidence_zip_read_block(struct evidence_zip *z, const void **p, size_t *n);

/*
 * Append the rest of the current member to out, refusing more than cap
 * bytes in total (-FB_ERR_LIMIT, out then holds the first cap bytes).
 */
int evidence_zip_read_all(struct evidence_zip *z, struct fb_buf *out,
			  size_t cap);

/* ---- whole compressed streams ------------------------------------------ */

/*
 * Decompress the single compressed stream p[0..n) into out: gzip, bzip2,
 * xz, lzma, lz4 and zstd through libarchive, zlib (and joblib's older
 * "ZF" container around it) through zlib. *method names the compression
 * found. Returns 0; -FB_ERR_PARSE when p is not a stream these read or is
 * damaged or truncated (the message says which); -FB_ERR_LIMIT when the
 * output would pass cap bytes (a decompression bomb stops there).
 */
int evidence_decompress(const void *p, size_t n, size_t cap,
			struct fb_buf *out, const char **method);

/* ---- evidence bundles (export.c, verify.c, redact.c, sign.c) ----------
 * A bundle is a deterministic archive of a case as of a time T; see
 * firebreak-bundle(5) for every file in it.
 */
struct store;

enum evidence_bundle_format {
	EVIDENCE_TAR_GZ,
	EVIDENCE_TAR_ZST,
	EVIDENCE_ZIP,
};
/* The format named by a file name's extension; -FB_ERR_USAGE if none. */
int evidence_bundle_format(const char *path, enum evidence_bundle_format *f);

struct evidence_export_opts {
	int64_t case_id;
	int64_t as_of;             /* epoch seconds */
	const char *output;        /* .tar.gz, .tar.zst or .zip */
	const char *sign_key;      /* ssh private key file, or NULL */
	int redact;                /* EVIDENCE_REDACT_* flags, 0: none */
	/* progress: called with bytes done and the total, may be NULL */
	void (*progress)(void *ctx, uint64_t done, uint64_t total);
	void *progress_ctx;
};
struct evidence_export_result {
	char sha256[FB_SHA256_HEX]; /* of the archive */
	uint64_t size;
	int64_t items, findings;
	int64_t redactions;
};
/*
 * Write the bundle (to a temporary file renamed into place), then record
 * the hand-off: an "exported" custody row per item and one "case.export"
 * audit row. Returns 0 or -FB_ERR_* (nothing is left behind on failure).
 */
int evidence_export(struct store *s, const struct evidence_export_opts *o,
    struct evidence_export_result *res);

/* ---- verification ------------------------------------------------------- */
struct evidence_verify_opts {
	const char *allowed_signers; /* the auditor's file, or NULL */
	int skip_signature;          /* never run ssh-keygen (fuzzing) */
	/* called once per problem found (message is one line) */
	void (*problem)(void *ctx, const char *msg);
	/* called for notes that are not problems ("signer not trusted") */
	void (*note)(void *ctx, const char *msg);
	void *ctx;
};
struct evidence_verify_result {
	int64_t files, problems;
	int signed_, trusted;
	char signer[256];
};
/*
 * Check a bundle offline: archive safety, every hash, the manifest
 * against the files, the custody and audit chains, and the signature.
 * Returns 0 when intact, -FB_ERR_TAMPER when problems were reported,
 * or another -FB_ERR_* when the bundle could not be read at all.
 */
int evidence_verify(const char *path, const struct evidence_verify_opts *o,
    struct evidence_verify_result *res);

/* ---- redaction (PCRE2) ------------------------------------------------- */
enum {
	EVIDENCE_REDACT = 1 << 0,      /* secrets, emails, card numbers */
	EVIDENCE_REDACT_IPV4 = 1 << 1, /* also IPv4 addresses */
};
#define EVIDENCE_REDACT_KINDS 16
struct evidence_redactor;
int evidence_redactor_new(int flags, struct evidence_redactor **out);
void evidence_redactor_free(struct evidence_redactor *r);
/*
 * Append in[0..n) to out with every match replaced by "[REDACTED:kind]";
 * counts[k] is incremented per match of kind k (see _kind_name).
 */
int evidence_redact(struct evidence_redactor *r, const char *in, size_t n,
    struct fb_buf *out, int64_t counts[EVIDENCE_REDACT_KINDS]);
/* The name of kind k, or NULL past the last. */
const char *evidence_redact_kind_name(int k);

/* ---- SSH signatures (ssh-keygen -Y, run without a shell) -------------- */
#define EVIDENCE_SIG_NAMESPACE "firebreak-evidence"
/* Sign data with the key file; the armored signature goes into sig. */
int evidence_sign(const char *keyfile, const void *data, size_t n,
    struct fb_buf *sig);
struct evidence_sig_status {
	int valid;                 /* the signature is good for the data */
	int trusted;               /* ... by a key in allowed_signers */
	char principal[256];       /* the matching principal when trusted */
	char detail[512];          /* ssh-keygen's word when not valid */
};
/* Check sig over data; trusted only against allowed_signers (or NULL). */
int evidence_sig_check(const void *data, size_t n, const void *sig,
    size_t nsig, const char *allowed_signers, struct evidence_sig_status *st);

#endif
