/*
 * decompress.c: whole compressed streams, as joblib writes them
 * (joblib.dump(..., compress=...)). libarchive's "raw" format reads the
 * gzip, bzip2, xz, lzma, lz4 and zstd filters; plain zlib, joblib's
 * default, is not an archive filter, so zlib reads it. Output is capped:
 * a few kilobytes can claim gigabytes.
 */
#include "config.h"

#include <archive.h>
#include <archive_entry.h>
#include <string.h>
#include <zlib.h>

#include "evidence/evidence.h"

/* joblib < 0.10 "ZF" files: "ZF", the length in hex padded to 19, zlib. */
#define ZF_HEADER 21

static int
is_zlib(const unsigned char *p, size_t n)
{
	/* CMF 0x78 (deflate, 32K window) and a header check that holds. */
	return n >= 2 && p[0] == 0x78 && ((p[0] << 8) | p[1]) % 31 == 0;
}

static int
inflate_zlib(const unsigned char *p, size_t n, size_t cap, struct fb_buf *out)
{
	z_stream z;
	unsigned char chunk[65536];
	int zr, rc = 0;

	memset(&z, 0, sizeof(z));
	if (inflateInit(&z) != Z_OK)
		return fb_err(FB_ERR_NOMEM, "cannot start zlib");
	z.next_in = (unsigned char *)(uintptr_t)p;
	do {
		size_t want = n - ((const unsigned char *)z.next_in - p);

		z.avail_in = want > UINT32_MAX ? UINT32_MAX : (uInt)want;
		z.next_out = chunk;
		z.avail_out = sizeof(chunk);
		zr = inflate(&z, Z_NO_FLUSH);
		if (zr != Z_OK && zr != Z_STREAM_END) {
			rc = fb_err(FB_ERR_PARSE, "damaged zlib stream: %s",
			    z.msg != NULL ? z.msg : "inflate failed");
			break;
		}
		if (out->len + (sizeof(chunk) - z.avail_out) > cap) {
			rc = fb_err(FB_ERR_LIMIT, "decompresses to more than "
			    "%zu bytes", cap);
			break;
		}
		fb_buf_add(out, chunk, sizeof(chunk) - z.avail_out);
		if (zr != Z_STREAM_END && z.avail_in == 0 && z.avail_out != 0) {
			rc = fb_err(FB_ERR_PARSE, "truncated zlib stream");
			break;
		}
	} while (zr != Z_STREAM_END);
	inflateEnd(&z);
	return rc;
}

static int
read_filtered(const void *p, size_t n, size_t cap, struct fb_buf *out,
	      const char **method)
{
	struct archive *a = archive_read_new();
	struct archive_entry *e;
	char chunk[65536];
	la_ssize_t got;
	int rc = 0;

	if (a == NULL)
		return fb_err(FB_ERR_NOMEM, "cannot create an archive reader");
	archive_read_support_filter_gzip(a);
	archive_read_support_filter_bzip2(a);
	archive_read_support_filter_xz(a);
	archive_read_support_filter_lzma(a);
	archive_read_support_filter_lz4(a);
	archive_read_support_filter_zstd(a);
	archive_read_support_format_raw(a);
	if (archive_read_open_memory(a, p, n) != ARCHIVE_OK ||
	    archive_read_next_header(a, &e) != ARCHIVE_OK) {
		rc = fb_err(FB_ERR_PARSE, "not a compressed stream: %s",
		    archive_error_string(a) ? archive_error_string(a) :
		    "unrecognised");
		goto out;
	}
	/* The raw format accepts anything; only a filter makes it ours. */
	if (archive_filter_count(a) < 2) {
		rc = fb_err(FB_ERR_PARSE, "not a compressed stream");
		goto out;
	}
	*method = archive_filter_name(a, 0);
	while ((got = archive_read_data(a, chunk, sizeof(chunk))) > 0) {
		if (out->len + (size_t)got > cap) {
			rc = fb_err(FB_ERR_LIMIT, "decompresses to more than "
			    "%zu bytes", cap);
			goto out;
		}
		fb_buf_add(out, chunk, (size_t)got);
	}
	if (got < 0)
		rc = fb_err(FB_ERR_PARSE, "damaged %s stream: %s", *method,
		    archive_error_string(a) ? archive_error_string(a) :
		    "read error");
out:
	archive_read_free(a);
	return rc;
}

int
evidence_decompress(const void *p, size_t n, size_t cap, struct fb_buf *out,
		    const char **method)
{
	const unsigned char *u = p;

	*method = "none";
	if (n >= ZF_HEADER + 2 && memcmp(u, "ZF", 2) == 0 &&
	    is_zlib(u + ZF_HEADER, n - ZF_HEADER)) {
		*method = "zlib (joblib ZF)";
		return inflate_zlib(u + ZF_HEADER, n - ZF_HEADER, cap, out);
	}
	if (is_zlib(u, n)) {
		*method = "zlib";
		return inflate_zlib(u, n, cap, out);
	}
	return read_filtered(p, n, cap, out, method);
}
