/* buf.c: struct fb_buf, a growable NUL-terminated byte string. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/core.h"

char fb_buf_empty[1];

void
fb_buf_init(struct fb_buf *b)
{
	b->data = fb_buf_empty;
	b->len = 0;
	b->cap = 0;
}

void
fb_buf_release(struct fb_buf *b)
{
	if (b == NULL)
		return;
	if (b->cap != 0)
		free(b->data);
	fb_buf_init(b);
}

void
fb_buf_reset(struct fb_buf *b)
{
	fb_buf_setlen(b, 0);
}

void
fb_buf_grow(struct fb_buf *b, size_t extra)
{
	size_t need;

	if (extra > SIZE_MAX - b->len - 1)
		fatal("buffer size overflow");
	need = b->len + extra + 1;
	if (need <= b->cap)
		return;
	if (b->cap == 0) {
		size_t cap = need < 64 ? 64 : need;
		char *p = xmalloc(cap);
		memcpy(p, b->data, b->len);
		p[b->len] = '\0';
		b->data = p;
		b->cap = cap;
		return;
	}
	while (b->cap < need)
		b->cap = b->cap < SIZE_MAX / 2 ? b->cap * 2 : need;
	b->data = xrealloc(b->data, b->cap);
}

void
fb_buf_setlen(struct fb_buf *b, size_t len)
{
	if (len > b->len)
		fatal("fb_buf_setlen beyond length");
	b->len = len;
	if (b->cap != 0)
		b->data[len] = '\0';
}

void
fb_buf_add(struct fb_buf *b, const void *p, size_t n)
{
	if (n == 0)
		return;
	fb_buf_grow(b, n);
	memcpy(b->data + b->len, p, n);
	b->len += n;
	b->data[b->len] = '\0';
}

void
fb_buf_addstr(struct fb_buf *b, const char *s)
{
	fb_buf_add(b, s, strlen(s));
}

void
fb_buf_addch(struct fb_buf *b, int c)
{
	char ch = (char)c;

	fb_buf_add(b, &ch, 1);
}

void
fb_buf_vaddf(struct fb_buf *b, const char *fmt, va_list ap)
{
	va_list cp;
	int n;

	fb_buf_grow(b, 64);
	va_copy(cp, ap);
	n = vsnprintf(b->data + b->len, b->cap - b->len, fmt, cp);
	va_end(cp);
	if (n < 0)
		fatal("vsnprintf failed");
	if ((size_t)n >= b->cap - b->len) {
		fb_buf_grow(b, (size_t)n);
		n = vsnprintf(b->data + b->len, b->cap - b->len, fmt, ap);
	}
	b->len += (size_t)n;
}

void
fb_buf_addf(struct fb_buf *b, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fb_buf_vaddf(b, fmt, ap);
	va_end(ap);
}

char *
fb_buf_detach(struct fb_buf *b, size_t *len)
{
	char *p;

	if (b->cap == 0)
		fb_buf_grow(b, 0);
	p = b->data;
	if (len != NULL)
		*len = b->len;
	fb_buf_init(b);
	return p;
}

int
fb_buf_read_file(struct fb_buf *b, const char *path, size_t limit)
{
	int fd, rc = 0;
	struct stat st;
	size_t start = b->len;

	if (strcmp(path, "-") == 0)
		fd = STDIN_FILENO;
	else if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return fb_err(errno == ENOENT ? FB_ERR_NOENT : FB_ERR_IO,
		    "cannot open '%s': %s", path, strerror(errno));
	if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode)) {
		if ((uint64_t)st.st_size > limit) {
			rc = fb_err(FB_ERR_LIMIT,
			    "'%s' is %llu bytes, over the limit of %zu",
			    path, (unsigned long long)st.st_size, limit);
			goto out;
		}
		fb_buf_grow(b, (size_t)st.st_size);
	} else if (fd >= 0 && fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
		rc = fb_err(FB_ERR_IO, "cannot read '%s': is a directory", path);
		goto out;
	}
	for (;;) {
		ssize_t n;

		fb_buf_grow(b, 65536);
		n = read(fd, b->data + b->len, b->cap - b->len - 1);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			rc = fb_err(FB_ERR_IO, "cannot read '%s': %s", path,
			    strerror(errno));
			goto out;
		}
		if (n == 0)
			break;
		b->len += (size_t)n;
		b->data[b->len] = '\0';
		if (b->len - start > limit) {
			rc = fb_err(FB_ERR_LIMIT,
			    "'%s' is over the limit of %zu bytes", path, limit);
			goto out;
		}
	}
out:
	if (rc != 0)
		fb_buf_setlen(b, start);
	if (fd != STDIN_FILENO)
		close(fd);
	return rc;
}
