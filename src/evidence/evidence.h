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

#endif
