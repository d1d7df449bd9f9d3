/*
 * errors.c - filling and prefixing `struct err` (see errors.h).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "errors.h"

__attribute__((format(printf, 3, 0)))
static void vset(struct err *e, enum err_class cls, const char *fmt,
		 va_list ap)
{
	e->cls = cls;
	vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
}

int err_set(struct err *e, enum err_class cls, const char *fmt, ...)
{
	va_list ap;

	if (!e)
		return -1;
	va_start(ap, fmt);
	vset(e, cls, fmt, ap);
	va_end(ap);
	return -1;
}

int err_errno(struct err *e, enum err_class cls, int errnum,
	      const char *fmt, ...)
{
	va_list ap;
	size_t len;

	if (!e)
		return -1;
	va_start(ap, fmt);
	vset(e, cls, fmt, ap);
	va_end(ap);
	len = strlen(e->msg);
	snprintf(e->msg + len, sizeof(e->msg) - len, ": %s", strerror(errnum));
	return -1;
}

int err_prefix(struct err *e, const char *fmt, ...)
{
	char ctx[ERR_MSG_MAX];
	size_t clen, mlen;
	va_list ap;

	if (!e)
		return -1;
	va_start(ap, fmt);
	vsnprintf(ctx, sizeof(ctx) - 2, fmt, ap);
	va_end(ap);
	strcat(ctx, ": ");
	clen = strlen(ctx);
	mlen = strnlen(e->msg, sizeof(e->msg) - 1);
	if (clen + mlen >= sizeof(e->msg))
		mlen = sizeof(e->msg) - 1 - clen;
	memmove(e->msg + clen, e->msg, mlen);
	memcpy(e->msg, ctx, clen);
	e->msg[clen + mlen] = '\0';
	return -1;
}

void err_clear(struct err *e)
{
	if (!e)
		return;
	e->cls = ERR_OK;
	e->msg[0] = '\0';
}

enum err_class err_class_of_errno(int errnum)
{
	switch (errnum) {
	case ENOENT:
	case ENOTDIR:
		return ERR_NOINPUT;
	case EACCES:
	case EPERM:
	case EROFS:
	case EISDIR:
		return ERR_CANTCREAT;
	default:
		return ERR_IO;
	}
}
