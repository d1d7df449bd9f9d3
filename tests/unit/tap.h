/*
 * tap.h - a tiny TAP producer for the unit tests in tests/unit/.
 *
 *     ok(cond, "name %d", i);          one test point
 *     is_str(got, want, "name");       string equality, shows both on failure
 *     is_int(got, want, "name");
 *     return tap_done();               prints the plan; exit 1 on failure
 *
 * Each test_*.c is one program; tests/run.sh counts its points.
 */
#ifndef CRMSYNC_TAP_H
#define CRMSYNC_TAP_H

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static int tap_count, tap_failed;

__attribute__((format(printf, 2, 3), unused))
static int ok(int cond, const char *fmt, ...)
{
	va_list ap;

	tap_count++;
	printf("%s %d - ", cond ? "ok" : "not ok", tap_count);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	if (!cond)
		tap_failed++;
	return cond;
}

#define is_str(got, want, ...)                                              \
	do {                                                                \
		const char *g_ = (got), *w_ = (want);                       \
		if (!ok(g_ && w_ ? strcmp(g_, w_) == 0 : g_ == w_,          \
			__VA_ARGS__))                                       \
			printf("#   got:  '%s'\n#   want: '%s'\n",            \
			       g_ ? g_ : "(null)", w_ ? w_ : "(null)");     \
	} while (0)

#define is_int(got, want, ...)                                              \
	do {                                                                \
		long long g_ = (long long)(got), w_ = (long long)(want);    \
		if (!ok(g_ == w_, __VA_ARGS__))                             \
			printf("#   got:  %lld\n#   want: %lld\n", g_, w_);   \
	} while (0)

__attribute__((unused))
static int tap_done(void)
{
	printf("1..%d\n", tap_count);
	return tap_failed ? 1 : 0;
}

#endif
