/*
 * blobs.c: the content-addressed file store under WORKSPACE/blobs. Bytes
 * are hashed as they are copied to a temporary file beside their final
 * place, fsynced, and renamed to blobs/ab/cdef... only once the hash is
 * known, so a blob's name always matches what was written.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "store/cases.h"
#include "store/store-int.h"

struct store_blob_writer {
	struct store *s;
	struct fb_sha256 *h;
	char *tmp;
	int fd;
	uint64_t size, limit;
	mode_t fmode, dmode;
};

/* The store's modes: a setgid workspace directory is a team workspace. */
static void
blob_modes(struct store *s, mode_t *fmode, mode_t *dmode)
{
	struct stat st;

	if (stat(s->dir, &st) == 0 && (st.st_mode & S_ISGID)) {
		*fmode = 0660;
		*dmode = 02770;
	} else {
		*fmode = 0600;
		*dmode = 0700;
	}
}

mode_t
store_file_mode(struct store *s)
{
	mode_t f, d;

	blob_modes(s, &f, &d);
	return f;
}

char *
store_blob_path(struct store *s, const char *sha256)
{
	return xasprintf("%s/blobs/%.2s/%s", s->dir, sha256, sha256 + 2);
}

int
store_blob_writer_new(struct store *s, uint64_t limit,
    struct store_blob_writer **out)
{
	struct store_blob_writer *w;
	char *dir;
	int rc;

	w = xcalloc(1, sizeof(*w));
	w->s = s;
	w->limit = limit;
	w->fd = -1;
	blob_modes(s, &w->fmode, &w->dmode);
	dir = xasprintf("%s/blobs", s->dir);
	if (mkdir(dir, w->dmode) != 0 && errno != EEXIST) {
		rc = fb_err(FB_ERR_IO, "cannot create '%s': %s", dir,
		    strerror(errno));
		free(dir);
		free(w);
		return rc;
	}
	w->tmp = xasprintf("%s/.tmp-XXXXXX", dir);
	free(dir);
	if ((w->fd = mkstemp(w->tmp)) < 0) {
		rc = fb_err(FB_ERR_IO, "cannot create a file in '%s/blobs': %s",
		    s->dir, strerror(errno));
		free(w->tmp);
		free(w);
		return rc;
	}
	if (fchmod(w->fd, w->fmode) != 0) {
		rc = fb_err(FB_ERR_PERM, "cannot set the mode of '%s': %s",
		    w->tmp, strerror(errno));
		store_blob_writer_abort(w);
		return rc;
	}
	w->h = fb_sha256_new();
	*out = w;
	return 0;
}

int
store_blob_write(struct store_blob_writer *w, const void *p, size_t n)
{
	const char *c = p;

	if (w->limit > 0 && w->size + n > w->limit)
		return fb_err(FB_ERR_LIMIT, "evidence is larger than %llu "
		    "bytes (evidence.max_bytes)", (unsigned long long)w->limit);
	fb_sha256_update(w->h, p, n);
	w->size += n;
	while (n > 0) {
		ssize_t k = write(w->fd, c, n);

		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0)
			return fb_err(FB_ERR_IO, "cannot write '%s': %s", w->tmp,
			    strerror(errno));
		c += k;
		n -= (size_t)k;
	}
	return 0;
}

void
store_blob_writer_abort(struct store_blob_writer *w)
{
	if (w == NULL)
		return;
	if (w->fd >= 0)
		close(w->fd);
	if (w->tmp != NULL)
		unlink(w->tmp);
	fb_sha256_free(w->h);
	free(w->tmp);
	free(w);
}

int
store_blob_writer_commit(struct store_blob_writer *w, struct store_blob *out)
{
	char hex[FB_SHA256_HEX], *path = NULL, *sub = NULL;
	struct stat st;
	int rc = 0;

	if (fsync(w->fd) != 0 || close(w->fd) != 0) {
		w->fd = -1;
		rc = fb_err(FB_ERR_IO, "cannot write '%s': %s", w->tmp,
		    strerror(errno));
		goto fail;
	}
	w->fd = -1;
	fb_sha256_final(w->h, hex);
	w->h = NULL;
	sub = xasprintf("%s/blobs/%.2s", w->s->dir, hex);
	if (mkdir(sub, w->dmode) == 0) {
		/* mkdir's mode passes through the umask: set it exactly. */
		if (chmod(sub, w->dmode) != 0) {
			rc = fb_err(FB_ERR_PERM, "cannot chmod '%s': %s", sub,
			    strerror(errno));
			goto fail;
		}
	} else if (errno != EEXIST) {
		rc = fb_err(FB_ERR_IO, "cannot create '%s': %s", sub,
		    strerror(errno));
		goto fail;
	}
	path = store_blob_path(w->s, hex);
	if (lstat(path, &st) == 0) {
		/* Stored already: keep the first copy (never overwrite what
		 * `evidence check` may need to find damaged). */
		unlink(w->tmp);
	} else if (rename(w->tmp, path) != 0) {
		rc = fb_err(FB_ERR_IO, "cannot store blob '%s': %s", path,
		    strerror(errno));
		goto fail;
	}
	memcpy(out->sha256, hex, FB_SHA256_HEX);
	out->size = w->size;
	free(w->tmp);
	free(w);
	free(path);
	free(sub);
	return 0;
fail:
	free(path);
	free(sub);
	store_blob_writer_abort(w);
	return rc;
}

int
store_blob_put_fd(struct store *s, int fd, uint64_t limit,
    struct store_blob *out)
{
	struct store_blob_writer *w;
	char *buf;
	int rc;

	if ((rc = store_blob_writer_new(s, limit, &w)) != 0)
		return rc;
	buf = xmalloc(1 << 16);
	for (;;) {
		ssize_t n = read(fd, buf, 1 << 16);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			rc = fb_err(FB_ERR_IO, "cannot read: %s", strerror(errno));
			break;
		}
		if (n == 0)
			break;
		if ((rc = store_blob_write(w, buf, (size_t)n)) != 0)
			break;
	}
	free(buf);
	if (rc != 0) {
		store_blob_writer_abort(w);
		return rc;
	}
	return store_blob_writer_commit(w, out);
}

int
store_blob_put_mem(struct store *s, const void *p, size_t n,
    struct store_blob *out)
{
	struct store_blob_writer *w;
	int rc;

	if ((rc = store_blob_writer_new(s, 0, &w)) != 0)
		return rc;
	if ((rc = store_blob_write(w, p, n)) != 0) {
		store_blob_writer_abort(w);
		return rc;
	}
	return store_blob_writer_commit(w, out);
}

int
store_blob_open(struct store *s, const char *sha256, int *fd)
{
	char *path;
	int f, rc = 0;

	if (!fb_is_sha256_hex(sha256))
		return fb_err(FB_ERR_INVAL, "'%s' is not a SHA-256", sha256);
	path = store_blob_path(s, sha256);
	if ((f = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) < 0)
		rc = fb_err(errno == ENOENT ? FB_ERR_NOENT : FB_ERR_IO,
		    "cannot open blob '%s': %s", path, strerror(errno));
	else
		*fd = f;
	free(path);
	return rc;
}
