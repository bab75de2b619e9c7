/*
 * archive-read.c: a member iterator over zip archives (PyTorch checkpoints,
 * .npz) on top of libarchive. Notes from NOTES-libs.md: the final
 * archive_read_data_block() returns NULL/0 (skipped here), streamed
 * members may have no size, and ARCHIVE_WARN (e.g. a non-ASCII name in the
 * C locale) means "continue".
 */
#include "config.h"

#include <archive.h>
#include <archive_entry.h>
#include <stdlib.h>
#include <string.h>

#include "evidence/evidence.h"

struct evidence_zip {
	struct archive *a;
	struct archive_entry *e;
	int in_member;
};

static int
zip_new(struct evidence_zip **out)
{
	struct evidence_zip *z = xcalloc(1, sizeof(*z));

	z->a = archive_read_new();
	if (z->a == NULL) {
		free(z);
		return fb_err(FB_ERR_NOMEM, "cannot create an archive reader");
	}
	archive_read_support_format_zip(z->a);
	*out = z;
	return 0;
}

static int
zip_opened(struct evidence_zip *z, int rc, struct evidence_zip **out)
{
	if (rc != ARCHIVE_OK && rc != ARCHIVE_WARN) {
		int err = fb_err(FB_ERR_PARSE, "not a readable zip: %s",
		    archive_error_string(z->a) ? archive_error_string(z->a) :
		    "unknown error");
		evidence_zip_close(z);
		return err;
	}
	*out = z;
	return 0;
}

int
evidence_zip_open_memory(const void *p, size_t n, struct evidence_zip **out)
{
	struct evidence_zip *z;
	int rc = zip_new(&z);

	if (rc)
		return rc;
	/* archive_read_open_memory takes a non-const pointer but only reads */
	return zip_opened(z, archive_read_open_memory(z->a, (void *)(uintptr_t)p, n),
	    out);
}

int
evidence_zip_open_fd(int fd, struct evidence_zip **out)
{
	struct evidence_zip *z;
	int rc = zip_new(&z);

	if (rc)
		return rc;
	return zip_opened(z, archive_read_open_fd(z->a, fd, 1 << 16), out);
}

void
evidence_zip_close(struct evidence_zip *z)
{
	if (z == NULL)
		return;
	archive_read_free(z->a);
	free(z);
}

int
evidence_zip_next(struct evidence_zip *z, const char **name, int64_t *size)
{
	int rc = archive_read_next_header(z->a, &z->e);
	const char *nm;

	z->in_member = 0;
	if (rc == ARCHIVE_EOF)
		return 0;
	if (rc != ARCHIVE_OK && rc != ARCHIVE_WARN)
		return fb_err(FB_ERR_PARSE, "damaged zip: %s",
		    archive_error_string(z->a) ? archive_error_string(z->a) :
		    "unknown error");
	nm = archive_entry_pathname(z->e);
	if (nm == NULL)
		nm = archive_entry_pathname_utf8(z->e);
	*name = nm != NULL ? nm : "";
	*size = archive_entry_size_is_set(z->e) ? archive_entry_size(z->e) : -1;
	z->in_member = 1;
	return 1;
}

int
evidence_zip_read_block(struct evidence_zip *z, const void **p, size_t *n)
{
	int empty = 0;

	for (;;) {
		const void *buf;
		size_t len;
		la_int64_t off;
		int rc;

		if (!z->in_member)
			return 0;
		rc = archive_read_data_block(z->a, &buf, &len, &off);
		if (rc == ARCHIVE_EOF) {
			z->in_member = 0;
			return 0;
		}
		if (rc != ARCHIVE_OK && rc != ARCHIVE_WARN)
			return fb_err(FB_ERR_PARSE, "damaged zip member: %s",
			    archive_error_string(z->a) ?
			    archive_error_string(z->a) : "unknown error");
		if (buf == NULL || len == 0) {
			/* the final empty block; never loop on a stuck reader */
			if (++empty > 64) {
				z->in_member = 0;
				return 0;
			}
			continue;
		}
		*p = buf;
		*n = len;
		return 1;
	}
}

int
evidence_zip_read_all(struct evidence_zip *z, struct fb_buf *out, size_t cap)
{
	const void *p;
	size_t n;
	int rc;

	while ((rc = evidence_zip_read_block(z, &p, &n)) == 1) {
		if (out->len + n > cap || out->len + n < out->len) {
			if (out->len < cap)
				fb_buf_add(out, p, cap - out->len);
			return fb_err(FB_ERR_LIMIT,
			    "zip member larger than %zu bytes", cap);
		}
		fb_buf_add(out, p, n);
	}
	return rc;
}
