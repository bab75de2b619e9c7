/* hash.c: SHA-256 through libcrypto's EVP interface. */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "core/core.h"

struct fb_sha256 {
	EVP_MD_CTX *ctx;
};

struct fb_sha256 *
fb_sha256_new(void)
{
	struct fb_sha256 *h = xmalloc(sizeof(*h));

	h->ctx = EVP_MD_CTX_new();
	if (h->ctx == NULL || EVP_DigestInit_ex(h->ctx, EVP_sha256(), NULL) != 1)
		fatal("cannot initialise SHA-256");
	return h;
}

void
fb_sha256_update(struct fb_sha256 *h, const void *p, size_t n)
{
	if (n != 0 && EVP_DigestUpdate(h->ctx, p, n) != 1)
		fatal("SHA-256 update failed");
}

void
fb_sha256_free(struct fb_sha256 *h)
{
	if (h == NULL)
		return;
	EVP_MD_CTX_free(h->ctx);
	free(h);
}

void
fb_sha256_final(struct fb_sha256 *h, char hex[FB_SHA256_HEX])
{
	static const char digits[] = "0123456789abcdef";
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int n = 0, i;

	if (EVP_DigestFinal_ex(h->ctx, md, &n) != 1 || n != 32)
		fatal("SHA-256 final failed");
	for (i = 0; i < n; i++) {
		hex[2 * i] = digits[md[i] >> 4];
		hex[2 * i + 1] = digits[md[i] & 15];
	}
	hex[64] = '\0';
	fb_sha256_free(h);
}

void
fb_sha256_hex(const void *p, size_t n, char hex[FB_SHA256_HEX])
{
	struct fb_sha256 *h = fb_sha256_new();

	fb_sha256_update(h, p, n);
	fb_sha256_final(h, hex);
}

int
fb_sha256_file(const char *path, char hex[FB_SHA256_HEX], uint64_t *size)
{
	struct fb_sha256 *h;
	char buf[65536];
	uint64_t total = 0;
	int fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return fb_err(errno == ENOENT ? FB_ERR_NOENT : FB_ERR_IO,
		    "cannot open '%s': %s", path, strerror(errno));
	h = fb_sha256_new();
	for (;;) {
		ssize_t n = read(fd, buf, sizeof(buf));

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			int e = errno;
			fb_sha256_free(h);
			close(fd);
			return fb_err(FB_ERR_IO, "cannot read '%s': %s", path,
			    strerror(e));
		}
		if (n == 0)
			break;
		fb_sha256_update(h, buf, (size_t)n);
		total += (uint64_t)n;
	}
	close(fd);
	fb_sha256_final(h, hex);
	if (size != NULL)
		*size = total;
	return 0;
}

/* ---- a directory's version hash --------------------------------------- */

#define TREE_MAX_FILES 100000
#define TREE_MAX_DEPTH 64

struct tree {
	char **names;             /* "./a/b", as find prints them */
	size_t n, cap;
};

static int
cmp_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Regular files under top/rel (rel "." at first), symlinks not followed. */
static int
tree_walk(struct tree *t, const char *top, const char *rel, int depth)
{
	char *path = xasprintf("%s/%s", top, rel);
	struct dirent *de;
	DIR *d;
	int rc = 0;

	if (depth > TREE_MAX_DEPTH) {
		rc = fb_err(FB_ERR_LIMIT, "'%s' is nested deeper than %d "
		    "directories", path, TREE_MAX_DEPTH);
		free(path);
		return rc;
	}
	if ((d = opendir(path)) == NULL) {
		rc = fb_err(FB_ERR_IO, "cannot read directory '%s': %s", path,
		    strerror(errno));
		free(path);
		return rc;
	}
	while (rc == 0 && (de = readdir(d)) != NULL) {
		struct stat st;
		char *r;

		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0)
			continue;
		r = xasprintf("%s/%s", rel, de->d_name);
		if (fstatat(dirfd(d), de->d_name, &st,
		    AT_SYMLINK_NOFOLLOW) != 0) {
			rc = fb_err(FB_ERR_IO, "cannot stat '%s/%s': %s", top, r,
			    strerror(errno));
		} else if (S_ISDIR(st.st_mode)) {
			rc = tree_walk(t, top, r, depth + 1);
		} else if (S_ISREG(st.st_mode)) {
			if (t->n == TREE_MAX_FILES) {
				rc = fb_err(FB_ERR_LIMIT, "'%s' holds more than "
				    "%d files", top, TREE_MAX_FILES);
			} else {
				if (t->n == t->cap) {
					t->cap = t->cap ? t->cap * 2 : 64;
					t->names = xrealloc(t->names, t->cap *
					    sizeof(*t->names));
				}
				t->names[t->n++] = r;
				r = NULL;
			}
		}
		free(r);
	}
	closedir(d);
	free(path);
	return rc;
}

/* A sha256sum line for name, escaped as GNU sha256sum 9 escapes it. */
static void
listing_line(struct fb_buf *b, const char *hex, const char *name)
{
	const char *p;

	if (strpbrk(name, "\\\n\r") != NULL)
		fb_buf_addch(b, '\\');
	fb_buf_addstr(b, hex);
	fb_buf_addstr(b, "  ");
	for (p = name; *p; p++) {
		if (*p == '\\')
			fb_buf_addstr(b, "\\\\");
		else if (*p == '\n')
			fb_buf_addstr(b, "\\n");
		else if (*p == '\r')
			fb_buf_addstr(b, "\\r");
		else
			fb_buf_addch(b, *p);
	}
	fb_buf_addch(b, '\n');
}

int
fb_sha256_dir(const char *dir, char hex[FB_SHA256_HEX], size_t *nfiles)
{
	struct tree t = { NULL, 0, 0 };
	struct fb_buf list = FB_BUF_INIT;
	char fh[FB_SHA256_HEX];
	size_t i;
	int rc;

	rc = tree_walk(&t, dir, ".", 0);
	if (rc == 0 && t.n == 0)
		rc = fb_err(FB_ERR_INVAL, "'%s' holds no regular file", dir);
	if (rc == 0)
		qsort(t.names, t.n, sizeof(*t.names), cmp_name);
	for (i = 0; rc == 0 && i < t.n; i++) {
		char *path = xasprintf("%s/%s", dir, t.names[i] + 2);

		rc = fb_sha256_file(path, fh, NULL);
		free(path);
		if (rc == 0 && t.n == 1)
			memcpy(hex, fh, FB_SHA256_HEX);   /* one file: its own */
		else if (rc == 0)
			listing_line(&list, fh, t.names[i]);
	}
	if (rc == 0 && t.n > 1)
		fb_sha256_hex(list.data, list.len, hex);
	if (rc == 0 && nfiles != NULL)
		*nfiles = t.n;
	for (i = 0; i < t.n; i++)
		free(t.names[i]);
	free(t.names);
	fb_buf_release(&list);
	return rc;
}

int
fb_is_sha256_hex(const char *s)
{
	size_t i;

	for (i = 0; i < 64; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return 0;
	return s[64] == '\0';
}
