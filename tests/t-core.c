/* t-core.c: buffers, time, hashing, terminal-safe text, JSON writer. */
#include "config.h"

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/core.h"
#include "json/json.h"
#include "tap.h"

static char *
san(const char *s, int flags)
{
	return fb_sanitize_str(s, flags);
}

static void
test_sanitize(void)
{
	static const struct {
		const char *in, *want, *name;
	} cases[] = {
		{ "plain", "plain", "plain text unchanged" },
		{ "red\x1b[31mtext", "red\\x1b[31mtext", "CSI introducer shown" },
		{ "\x1b]52;c;ZWNobyBoaQ==\x07", "\\x1b]52;c;ZWNobyBoaQ==\\x07",
		  "OSC 52 clipboard write made inert" },
		{ "\x1b]0;title\x1b\\", "\\x1b]0;title\\x1b\\", "OSC title made inert" },
		{ "a\xc2\x9b" "31m", "a\\u009b31m", "C1 CSI shown" },
		{ "evil\xe2\x80\xaetxt.exe", "evil\\u202etxt.exe", "bidi override shown" },
		{ "\xe2\x81\xa6x\xe2\x81\xa9", "\\u2066x\\u2069", "bidi isolates shown" },
		{ "bad\xff\xfeutf", "bad\xef\xbf\xbd\xef\xbf\xbdutf", "invalid UTF-8 replaced" },
		{ "\xc0\xaf", "\xef\xbf\xbd\xef\xbf\xbd", "overlong form replaced" },
		{ "line1\nline2", "line1\\nline2", "newline escaped on one line" },
		{ "del\x7f", "del\\x7f", "DEL shown" },
		{ "caf\xc3\xa9 \xe6\x97\xa5\xe6\x9c\xac", "caf\xc3\xa9 \xe6\x97\xa5\xe6\x9c\xac", "UTF-8 kept" },
		{ "\rover", "\\x0dover", "carriage return shown" },
	};
	size_t i;

	for (i = 0; i < FB_ARRAY_LEN(cases); i++) {
		char *got = san(cases[i].in, 0);
		is_str(got, cases[i].want, cases[i].name);
		free(got);
	}
	{
		char *got = san("a\nb\tc\x1b", FB_SAN_MULTILINE);
		is_str(got, "a\nb\tc\\x1b", "multiline keeps newline and tab");
		free(got);
	}
	/* Generated hostile input: no ESC, C0 or C1 byte survives. */
	{
		int bad = 0, n;
		srand(7);
		for (n = 0; n < 2000; n++) {
			char in[64], *out;
			size_t k, len = (size_t)(rand() % 63);
			for (k = 0; k < len; k++)
				in[k] = (char)(rand() % 255 + 1);
			in[len] = '\0';
			out = san(in, 0);
			for (k = 0; out[k]; k++) {
				unsigned char c = (unsigned char)out[k];
				if (c < 0x20 || c == 0x7f)
					bad++;
				if (c == 0xc2 && (unsigned char)out[k + 1] >= 0x80 &&
				    (unsigned char)out[k + 1] <= 0x9f)
					bad++;
			}
			if (!fb_utf8_valid(out, strlen(out)))
				bad++;
			free(out);
		}
		is_int(bad, 0, "2000 random strings: no control bytes, valid UTF-8");
	}
}

static void
test_time(void)
{
	int64_t t;
	int assumed = -1;
	char buf[FB_TIME_LEN];

	ok(fb_time_parse("2026-11-26T10:22:35Z", &t, &assumed) == 0 &&
	    t == 1795688555 && assumed == 0, "RFC 3339 with Z");
	fb_time_fmt(t, buf);
	is_str(buf, "2026-11-26T10:22:35Z", "format round-trips");
	ok(fb_time_parse("2026-11-26T12:22:35.123+02:00", &t, &assumed) == 0 &&
	    t == 1795688555 && assumed == 0, "offset and fraction");
	ok(fb_time_parse("2026-11-26 10:22:35", &t, &assumed) == 0 &&
	    t == 1795688555 && assumed == 1, "no zone is UTC, flagged assumed");
	ok(fb_time_parse("2026-02-30T00:00:00Z", &t, NULL) != 0, "bad date refused");
	ok(fb_time_parse("2026-11-26T10:22:35Zjunk", &t, NULL) != 0, "trailing junk refused");
	ok(fb_duration_parse("2h", &t) == 0 && t == 7200, "duration 2h");
	ok(fb_duration_parse("7d", &t) == 0 && t == 604800, "duration 7d");
	ok(fb_duration_parse("h", &t) != 0 && fb_duration_parse("5x", &t) != 0,
	    "bad durations refused");
}

static void
test_buf_hash(void)
{
	struct fb_buf b = FB_BUF_INIT;
	char hex[FB_SHA256_HEX];
	int i;

	is_str(b.data, "", "empty buffer is an empty string");
	for (i = 0; i < 1000; i++)
		fb_buf_addf(&b, "%d,", i);
	ok(b.len == strlen(b.data) && strncmp(b.data, "0,1,2,", 6) == 0,
	    "addf grows and stays terminated");
	fb_buf_release(&b);
	fb_sha256_hex("abc", 3, hex);
	is_str(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
	    "SHA-256 of 'abc'");
	ok(fb_is_sha256_hex(hex) && !fb_is_sha256_hex("abc"), "sha256 hex check");
}

static void
test_json(void)
{
	struct fb_json *j = fb_json_new();
	char *s;

	fb_json_obj_begin(j);
	fb_json_kstr(j, "a", "q\"\\\x1b\n");
	fb_json_kint(j, "n", -5);
	fb_json_key(j, "raw");
	fb_json_raw(j, "{\"x\":[1,2]}");
	fb_json_kstr(j, "bad", "\xff");
	fb_json_obj_end(j);
	s = fb_json_finish(j);
	is_str(s, "{\"a\":\"q\\\"\\\\\\u001B\\n\",\"n\":-5,\"raw\":{\"x\":[1,2]},"
	    "\"bad\":\"\xef\xbf\xbd\"}", "JSON writer escapes and splices");
	free(s);
}

/* A mapped file cut short by someone else reads as zeros, and says so. */
static void
test_map_shrink(void)
{
	char path[] = "/tmp/fb-t-core-map.XXXXXX";
	long pg = sysconf(_SC_PAGESIZE);
	size_t len = (size_t)pg * 4;
	char *data = xmalloc(len);
	struct fb_map m, m2;
	const volatile char *p;
	int fd, fd2;

	memset(data, 'A', len);
	fd = mkstemp(path);
	ok(fd >= 0 && write(fd, data, len) == (ssize_t)len, "a 4-page file");
	ok(fb_map_file(fd, len, 0, &m) == 0, "mapped");
	p = m.base;
	ok(p[len - 1] == 'A' && !fb_map_shrunk(&m), "its last byte reads");
	fd2 = open(path, O_WRONLY);
	ok(fd2 >= 0 && ftruncate(fd2, pg) == 0, "another writer cuts it to "
	    "one page");
	ok(p[0] == 'A', "the page still in the file reads");
	ok(p[2 * pg + 7] == 0 && p[len - 1] == 0, "pages past the new end read "
	    "as zeros, no SIGBUS");
	ok(fb_map_shrunk(&m), "and the mapping says it shrank");
	ok(fb_map_file(fd, (size_t)pg, 0, &m2) == 0 && !fb_map_shrunk(&m2),
	    "a second mapping is not marked");
	fb_map_release(&m);
	ok(!fb_map_shrunk(&m) && m.base == NULL, "released");
	fb_map_release(&m2);
	ok(fb_map_file(fd, 0, 0, &m2) == -FB_ERR_INVAL, "an empty map is refused");
	close(fd2);
	close(fd);
	unlink(path);
	free(data);
}

int
main(void)
{
	test_sanitize();
	test_time();
	test_buf_hash();
	test_json();
	test_map_shrink();
	return done_testing();
}
