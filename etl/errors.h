/*
 * errors.h - how failures travel up through crmsync.
 *
 * Every core function that can fail takes a `struct err *` as its last
 * argument and returns -1 (or NULL) on failure after filling it.  The
 * message says what went wrong first, in lower case, without a final full
 * stop, and names the file, line, field or call concerned:
 *
 *     cannot open 'org/Lead.csv': No such file or directory
 *
 * Each layer on the way up may prepend context with err_prefix():
 *
 *     extract Lead: cannot open 'org/Lead.csv': No such file or directory
 *
 * The class decides the exit code; only main.c turns one into the other.
 * A NULL `struct err *` is allowed everywhere: the failure is then only
 * signalled by the return value.
 *
 * Ownership rules used in every header of etl/ (written once, here):
 *   - x_init()/x_release() work on structs embedded by value; a released
 *     struct may be initialised again.
 *   - x_new()/x_open() return heap objects freed by x_free()/x_close();
 *     passing NULL to those is a no-op.
 *   - `const char *` parameters are borrowed: the callee copies what it
 *     keeps.  A returned `char *` is owned by the caller, who frees it.
 *   - A function that may reallocate takes `struct foo *` and updates it in
 *     place; no `s = f(s)` APIs.
 */
#ifndef CRMSYNC_ERRORS_H
#define CRMSYNC_ERRORS_H

#include <stddef.h>

enum err_class {
	ERR_OK = 0,
	ERR_USAGE,     /* bad command line                       -> 64 */
	ERR_DATA,      /* malformed input data                   -> 65 */
	ERR_NOINPUT,   /* an input file or run does not exist     -> 66 */
	ERR_SOFTWARE,  /* a bug: an invariant did not hold        -> 70 */
	ERR_CANTCREAT, /* cannot create an output file or dir     -> 73 */
	ERR_IO,        /* read/write failure, disk full           -> 74 */
	ERR_TEMPFAIL,  /* worth a retry: lock held, network, 5xx  -> 75 */
	ERR_NOPERM,    /* auth refused or revoked                 -> 77 */
	ERR_CONFIG,    /* bad job file or environment             -> 78 */
};

#define ERR_MSG_MAX 2048

struct err {
	enum err_class cls;
	char msg[ERR_MSG_MAX];
};

#define ERR_INIT { ERR_OK, { 0 } }

/*
 * Sets the class and message of `e` (when `e` is not NULL) and returns -1,
 * so that callers can write `return err_set(e, ERR_DATA, "...")`.
 * A message longer than ERR_MSG_MAX is cut.  This function can't fail.
 */
int err_set(struct err *e, enum err_class cls, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/*
 * Like err_set() with ": <strerror(errnum)>" appended.
 */
int err_errno(struct err *e, enum err_class cls, int errnum,
	      const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/*
 * Prepends "<context>: " to the message already in `e`; the class is
 * kept.  Does nothing when `e` is NULL.  Returns -1 for chaining.
 */
int err_prefix(struct err *e, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Resets `e` to ERR_INIT. */
void err_clear(struct err *e);

/* Class of an I/O errno: ENOSPC/EDQUOT/EFBIG/EIO -> ERR_IO, EACCES/EROFS
 * -> ERR_CANTCREAT, ENOENT -> ERR_NOINPUT, anything else -> ERR_IO. */
enum err_class err_class_of_errno(int errnum);

#endif
