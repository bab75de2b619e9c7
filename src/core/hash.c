/* hash.c: SHA-256 through libcrypto's EVP interface. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
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

int
fb_is_sha256_hex(const char *s)
{
	size_t i;

	for (i = 0; i < 64; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return 0;
	return s[64] == '\0';
}
