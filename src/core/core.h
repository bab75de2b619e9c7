/*
 * core: what every module may rely on and nothing more — growable buffers,
 * one table of error codes with a per-thread detail message, SHA-256,
 * UTC time, terminal-safe text, and the identity of the acting user.
 * Uses libc and libcrypto only; never prints except through fatal().
 */
#ifndef FB_CORE_H
#define FB_CORE_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "core/banned.h"

#define FB_ATTR_PRINTF(f, a) __attribute__((format(printf, f, a)))
#define FB_NORETURN __attribute__((noreturn))
#define FB_ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* ---- errors ------------------------------------------------------------
 * Library code returns 0 or -FB_ERR_*. The detail (which file, which line)
 * goes into a per-thread message with fb_err(); the edge prints it once.
 * The X-macro gives the code, its default text, and its exit status.
 */
#define FB_ERRORS(X)                                                     \
	X(NOMEM, "out of memory", 6)                                     \
	X(INVAL, "invalid argument", 2)                                  \
	X(USAGE, "usage error", 2)                                       \
	X(IO, "input/output error", 6)                                   \
	X(NOENT, "not found", 6)                                         \
	X(EXIST, "already exists", 6)                                    \
	X(PERM, "permission denied", 6)                                  \
	X(PARSE, "malformed input", 3)                                   \
	X(LIMIT, "over a configured limit", 3)                           \
	X(STORE, "store error", 6)                                       \
	X(SCHEMA, "unsupported store schema", 6)                         \
	X(BUSY, "store is busy", 6)                                      \
	X(NOWS, "no workspace", 6)                                       \
	X(LUA, "script error", 6)                                        \
	X(TAMPER, "audit chain broken", 1)                               \
	X(REFUSED, "refused", 6)                                         \
	X(PARTIAL, "partly done", 4)                                     \
	X(INTERNAL, "internal error", 6)

enum fb_err_code {
	FB_ERR_NONE = 0,
#define FB_X(name, text, exitc) FB_ERR_##name,
	FB_ERRORS(FB_X)
#undef FB_X
	FB_ERR__MAX
};

/* Exit statuses shared by every command (firebreak(1), EXIT STATUS). */
enum fb_exit {
	FB_EXIT_OK = 0,
	FB_EXIT_FOUND = 1,
	FB_EXIT_USAGE = 2,
	FB_EXIT_INPUT = 3,
	FB_EXIT_PARTIAL = 4,
	FB_EXIT_APPROVAL = 5,
	FB_EXIT_RUNTIME = 6,
};

/* The default text for an error code (negative or positive). */
const char *fb_strerror(int err);
/* The exit status that error code maps to. */
int fb_err_exit(int err);
/* Set the thread's detail message and return -code (for `return fb_err(...)`). */
int fb_err(int code, const char *fmt, ...) FB_ATTR_PRINTF(2, 3);
/* The detail of the last fb_err() on this thread, or fb_strerror(err). Borrowed. */
const char *fb_errmsg(int err);
/* Forget the detail message. */
void fb_err_clear(void);

/* Out of memory or a broken invariant: restore the terminal, print, exit. */
void fatal(const char *fmt, ...) FB_ATTR_PRINTF(1, 2) FB_NORETURN;
/* Registered by the TUI so fatal() can give the terminal back first. */
void fb_fatal_hook_set(void (*hook)(void));

void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t n);
/* Returned strings are the caller's to free. */
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
char *xasprintf(const char *fmt, ...) FB_ATTR_PRINTF(1, 2);

/* ---- buffers -----------------------------------------------------------
 * struct fb_buf: a growable byte string. Invariant: after fb_buf_init(),
 * buf.data is never NULL and buf.data[buf.len] == '\0', so it can always be
 * used as a C string (it may also hold NUL bytes; len is the truth).
 */
struct fb_buf {
	char *data;
	size_t len;
	size_t cap;
};
#define FB_BUF_INIT { fb_buf_empty, 0, 0 }
extern char fb_buf_empty[];

void fb_buf_init(struct fb_buf *b);
void fb_buf_release(struct fb_buf *b);
void fb_buf_reset(struct fb_buf *b);
void fb_buf_grow(struct fb_buf *b, size_t extra);
void fb_buf_add(struct fb_buf *b, const void *p, size_t n);
void fb_buf_addstr(struct fb_buf *b, const char *s);
void fb_buf_addch(struct fb_buf *b, int c);
void fb_buf_addf(struct fb_buf *b, const char *fmt, ...) FB_ATTR_PRINTF(2, 3);
void fb_buf_vaddf(struct fb_buf *b, const char *fmt, va_list ap);
void fb_buf_setlen(struct fb_buf *b, size_t len);
/* Take the string out; the buffer is reset. Caller frees. */
char *fb_buf_detach(struct fb_buf *b, size_t *len);
/*
 * Read a whole file (or stdin for "-") into b, refusing anything larger than
 * limit bytes before reading past it. Returns 0 or -FB_ERR_*.
 */
int fb_buf_read_file(struct fb_buf *b, const char *path, size_t limit);

/* ---- hashing (SHA-256 through libcrypto) ------------------------------- */
#define FB_SHA256_HEX 65
struct fb_sha256;
struct fb_sha256 *fb_sha256_new(void);
void fb_sha256_update(struct fb_sha256 *h, const void *p, size_t n);
/* Writes 64 hex digits and a NUL into hex, and frees h. */
void fb_sha256_final(struct fb_sha256 *h, char hex[FB_SHA256_HEX]);
void fb_sha256_free(struct fb_sha256 *h);
void fb_sha256_hex(const void *p, size_t n, char hex[FB_SHA256_HEX]);
/* Hash a file; size is optional. Returns 0 or -FB_ERR_*. */
int fb_sha256_file(const char *path, char hex[FB_SHA256_HEX], uint64_t *size);
/*
 * A model version directory's SHA-256, as the shipped playbooks compute it
 * on a host: the one regular file's own hash when it holds one, else the
 * hash of `find . -type f -print0 | LC_ALL=C sort -z | xargs -0r sha256sum
 * --` (GNU sha256sum lines). Symbolic links are neither followed nor
 * counted. Bounded: 100000 files, 64 levels.
 */
int fb_sha256_dir(const char *dir, char hex[FB_SHA256_HEX], size_t *nfiles);
int fb_is_sha256_hex(const char *s);

/* ---- time -------------------------------------------------------------- */
#define FB_TIME_LEN 21 /* "2026-11-26T10:22:35Z" + NUL */
int64_t fb_time_now(void);
/* RFC 3339 UTC with a Z, second precision: always 20 characters. */
void fb_time_fmt(int64_t t, char out[FB_TIME_LEN]);
/*
 * Parse RFC 3339 (fraction and offset allowed, 'T' or ' '), or a bare date.
 * A time with no zone is taken as UTC and *assumed_utc set to 1 (it may be
 * NULL). Returns 0 or -FB_ERR_PARSE.
 */
int fb_time_parse(const char *s, int64_t *t, int *assumed_utc);
/* "90s", "30m", "2h", "7d", "2w" (a bare number is seconds). */
int fb_duration_parse(const char *s, int64_t *secs);

/* ---- text -------------------------------------------------------------- */
enum {
	FB_SAN_MULTILINE = 1 << 0, /* keep \n (and \t) as they are */
};
/*
 * Append s (n bytes, untrusted) to out so that nothing reaching a terminal
 * can act on it: C0/C1 controls, ESC and every sequence it starts, DEL and
 * bidirectional overrides are shown as visible escapes (\x1b, \u202e);
 * invalid UTF-8 becomes U+FFFD. The one place that makes text terminal-safe.
 */
void fb_sanitize(struct fb_buf *out, const char *s, size_t n, int flags);
/* Convenience: a new terminal-safe copy of a C string (NULL gives ""). */
char *fb_sanitize_str(const char *s, int flags);
/* 1 if s[0..n) is valid UTF-8 without NUL bytes. */
int fb_utf8_valid(const char *s, size_t n);
/* 1 when s is 1 to max bytes of valid UTF-8 with no control character
 * (C0 or DEL): a name a person can type on one line. */
int fb_text_line(const char *s, size_t max);
/*
 * Append s with malformed UTF-8 and NUL bytes replaced by U+FFFD, and DEL
 * by del when del is not NULL.
 */
void fb_utf8_repair(struct fb_buf *out, const char *s, size_t n,
    const char *del);
/* Display width of a UTF-8 string in terminal columns (wcwidth). */
size_t fb_utf8_width(const char *s);
/*
 * Append s as one quoted CSV cell (RFC 4180; malformed UTF-8 repaired).
 * A cell starting with = + - @, tab or CR gets a leading ' so that a
 * spreadsheet never reads it as a formula.
 */
void fb_csv_cell(struct fb_buf *out, const char *s);

/* ---- identity ---------------------------------------------------------- */
struct fb_actor {
	char user[64];          /* getuid()'s login name, or the uid */
	char sudo_user[64];     /* SUDO_USER, "" when absent */
	char ssh_connection[128]; /* SSH_CONNECTION, "" when absent */
};
void fb_actor_get(struct fb_actor *a);

/* ---- files ------------------------------------------------------------- */
/* mkdir -p with mode for the directories it creates. */
/*
 * A read-only mapping of len bytes of fd (map.c). If the file shrinks
 * while mapped, reading past its new end sees zeros instead of raising
 * SIGBUS, and fb_map_shrunk() says so: check it before trusting the bytes.
 */
struct fb_map {
	void *base;
	size_t len;
	int slot;
};
int fb_map_file(int fd, size_t len, int populate, struct fb_map *m);
int fb_map_shrunk(const struct fb_map *m);
void fb_map_release(struct fb_map *m);

int fb_mkdirs(const char *path, unsigned mode);
/* The directory holding firebreak's lua/ and playbooks/. Borrowed. */
const char *fb_datadir(void);
/* $XDG_x_HOME (or $HOME/fallback) joined with "firebreak". Caller frees. */
char *fb_xdg_path(const char *var, const char *fallback);

#endif
