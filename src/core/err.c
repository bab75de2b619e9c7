/* err.c: the error table, per-thread detail messages, fatal(). */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "core/core.h"

static const struct {
	const char *text;
	int exitc;
} errtab[] = {
	[FB_ERR_NONE] = { "success", 0 },
#define FB_X(name, text, exitc) [FB_ERR_##name] = { text, exitc },
	FB_ERRORS(FB_X)
#undef FB_X
};

static __thread char errdetail[1024];
static __thread int errcode;

static int
normalize(int err)
{
	if (err < 0)
		err = -err;
	if (err >= FB_ERR__MAX)
		err = FB_ERR_INTERNAL;
	return err;
}

const char *
fb_strerror(int err)
{
	return errtab[normalize(err)].text;
}

int
fb_err_exit(int err)
{
	return err == 0 ? 0 : errtab[normalize(err)].exitc;
}

int
fb_err(int code, const char *fmt, ...)
{
	char tmp[sizeof(errdetail)];
	va_list ap;

	/* Via a copy: callers often wrap the previous fb_errmsg(). */
	va_start(ap, fmt);
	vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	memcpy(errdetail, tmp, sizeof(errdetail));
	errcode = normalize(code);
	return -errcode;
}

const char *
fb_errmsg(int err)
{
	if (errdetail[0] != '\0' && (err == 0 || normalize(err) == errcode))
		return errdetail;
	return fb_strerror(err);
}

void
fb_err_clear(void)
{
	errdetail[0] = '\0';
	errcode = 0;
}

static void (*fatal_hook)(void);

void
fb_fatal_hook_set(void (*hook)(void))
{
	fatal_hook = hook;
}

void
fatal(const char *fmt, ...)
{
	va_list ap;

	if (fatal_hook != NULL) {
		void (*h)(void) = fatal_hook;
		fatal_hook = NULL;
		h();
	}
	fputs("fatal: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(FB_EXIT_RUNTIME);
}

void *
xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);

	if (p == NULL)
		fatal("out of memory (%zu bytes)", n);
	return p;
}

void *
xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size ? size : 1);

	if (p == NULL)
		fatal("out of memory (%zu x %zu bytes)", n, size);
	return p;
}

void *
xrealloc(void *p, size_t n)
{
	void *q = realloc(p, n ? n : 1);

	if (q == NULL)
		fatal("out of memory (%zu bytes)", n);
	return q;
}

char *
xstrdup(const char *s)
{
	return xstrndup(s, strlen(s));
}

char *
xstrndup(const char *s, size_t n)
{
	char *p = xmalloc(n + 1);

	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

char *
xasprintf(const char *fmt, ...)
{
	va_list ap;
	char *s;
	int r;

	va_start(ap, fmt);
	r = vasprintf(&s, fmt, ap);
	va_end(ap);
	if (r < 0)
		fatal("out of memory");
	return s;
}
