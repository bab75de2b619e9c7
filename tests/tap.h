/*
 * tap.h: a small TAP producer for C unit tests (one header, no library).
 * plan() or done_testing() once; ok() and friends print one line each.
 */
#ifndef FB_TAP_H
#define FB_TAP_H

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int tap_run, tap_failed, tap_planned;

static void
tap_vline(int pass, const char *fmt, va_list ap)
{
	tap_run++;
	if (!pass)
		tap_failed++;
	printf("%sok %d - ", pass ? "" : "not ", tap_run);
	vprintf(fmt, ap);
	printf("\n");
	fflush(stdout);
}

static inline void
plan(int n)
{
	tap_planned = n;
	printf("1..%d\n", n);
}

static inline int
ok(int pass, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static inline int
ok(int pass, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	tap_vline(pass, fmt, ap);
	va_end(ap);
	return pass;
}

static inline void
diag(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static inline void
diag(const char *fmt, ...)
{
	va_list ap;

	printf("# ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
}

#define is_int(got, want, name)                                          \
	do {                                                             \
		long long g_ = (long long)(got), w_ = (long long)(want); \
		if (!ok(g_ == w_, "%s", name))                           \
			diag("got %lld, want %lld", g_, w_);             \
	} while (0)

#define is_str(got, want, name)                                          \
	do {                                                             \
		const char *g_ = (got), *w_ = (want);                    \
		int p_ = (g_ && w_) ? strcmp(g_, w_) == 0 : g_ == w_;    \
		if (!ok(p_, "%s", name))                                 \
			diag("got '%s', want '%s'", g_ ? g_ : "(null)",  \
			    w_ ? w_ : "(null)");                         \
	} while (0)

/* Skip the whole file; under FIREBREAK_REQUIRE_ALL=1 a skip is a failure. */
static inline void
skip_all(const char *reason)
{
	const char *req = getenv("FIREBREAK_REQUIRE_ALL");

	if (req != NULL && strcmp(req, "1") == 0) {
		printf("1..1\nnot ok 1 - required but unavailable: %s\n", reason);
		exit(1);
	}
	printf("1..0 # SKIP %s\n", reason);
	exit(0);
}

static inline int
done_testing(void)
{
	if (tap_planned == 0)
		printf("1..%d\n", tap_run);
	else if (tap_planned != tap_run)
		printf("# planned %d tests but ran %d\n", tap_planned, tap_run);
	return tap_failed != 0 || (tap_planned && tap_planned != tap_run);
}

#endif
