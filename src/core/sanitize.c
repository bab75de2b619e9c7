/*
 * sanitize.c: the one place untrusted text is made safe for a terminal.
 * Decodes UTF-8 by hand because the decision is per code point: controls,
 * ESC (and so every CSI/OSC/DCS sequence, whose introducer is shown instead
 * of acted on), C1 controls, DEL and bidi formatting characters become
 * visible escapes; malformed bytes become U+FFFD.
 */
#include "config.h"

#include <string.h>
#include <wchar.h>

#include "core/core.h"

/* Decode one UTF-8 code point; returns its length, or 0 if malformed. */
static size_t
utf8_decode(const unsigned char *s, size_t n, uint32_t *cp)
{
	uint32_t c;
	size_t len, i;

	if (n == 0)
		return 0;
	if (s[0] < 0x80) {
		*cp = s[0];
		return 1;
	} else if ((s[0] & 0xe0) == 0xc0) {
		len = 2;
		c = s[0] & 0x1f;
	} else if ((s[0] & 0xf0) == 0xe0) {
		len = 3;
		c = s[0] & 0x0f;
	} else if ((s[0] & 0xf8) == 0xf0) {
		len = 4;
		c = s[0] & 0x07;
	} else
		return 0;
	if (n < len)
		return 0;
	for (i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		c = (c << 6) | (s[i] & 0x3f);
	}
	/* Overlong forms, surrogates and out-of-range values are malformed. */
	if ((len == 2 && c < 0x80) || (len == 3 && c < 0x800) ||
	    (len == 4 && c < 0x10000) || c > 0x10ffff ||
	    (c >= 0xd800 && c <= 0xdfff))
		return 0;
	*cp = c;
	return len;
}

static int
is_bidi_or_invisible(uint32_t c)
{
	return (c >= 0x202a && c <= 0x202e) || (c >= 0x2066 && c <= 0x2069) ||
	    c == 0x200e || c == 0x200f || c == 0x061c || c == 0x2028 ||
	    c == 0x2029 || c == 0xfeff || (c >= 0xfff9 && c <= 0xfffb);
}

void
fb_sanitize(struct fb_buf *out, const char *s, size_t n, int flags)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0;

	while (i < n) {
		uint32_t c;
		size_t len = utf8_decode(p + i, n - i, &c);

		if (len == 0) {
			fb_buf_addstr(out, "\xef\xbf\xbd");
			i++;
			continue;
		}
		if (c < 0x20 || c == 0x7f) {
			if ((flags & FB_SAN_MULTILINE) && (c == '\n' || c == '\t'))
				fb_buf_addch(out, (int)c);
			else if (c == '\n')
				fb_buf_addstr(out, "\\n");
			else if (c == '\t')
				fb_buf_addch(out, ' ');
			else
				fb_buf_addf(out, "\\x%02x", (unsigned)c);
		} else if ((c >= 0x80 && c <= 0x9f) || is_bidi_or_invisible(c)) {
			fb_buf_addf(out, "\\u%04x", (unsigned)c);
		} else {
			fb_buf_add(out, p + i, len);
		}
		i += len;
	}
}

char *
fb_sanitize_str(const char *s, int flags)
{
	struct fb_buf b = FB_BUF_INIT;

	if (s != NULL)
		fb_sanitize(&b, s, strlen(s), flags);
	return fb_buf_detach(&b, NULL);
}

int
fb_utf8_valid(const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0;

	while (i < n) {
		uint32_t c;
		size_t len = utf8_decode(p + i, n - i, &c);

		if (len == 0 || c == 0)
			return 0;
		i += len;
	}
	return 1;
}

size_t
fb_utf8_width(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, n = strlen(s), w = 0;

	while (i < n) {
		uint32_t c;
		size_t len = utf8_decode(p + i, n - i, &c);
		int cw;

		if (len == 0) {
			w++;
			i++;
			continue;
		}
		cw = wcwidth((wchar_t)c);
		w += cw > 0 ? (size_t)cw : 0;
		i += len;
	}
	return w;
}

void
fb_utf8_repair(struct fb_buf *out, const char *s, size_t n, const char *del)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0;

	while (i < n) {
		uint32_t c;
		size_t len = utf8_decode(p + i, n - i, &c);

		if (len == 0 || c == 0) {
			fb_buf_addstr(out, "\xef\xbf\xbd");
			i += len ? len : 1;
			continue;
		}
		if (c == 0x7f && del != NULL)
			fb_buf_addstr(out, del);
		else
			fb_buf_add(out, p + i, len);
		i += len;
	}
}

int
fb_text_line(const char *s, size_t max)
{
	size_t i, n = strlen(s);

	if (n == 0 || n > max || !fb_utf8_valid(s, n))
		return 0;
	for (i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return 0;
	return 1;
}
