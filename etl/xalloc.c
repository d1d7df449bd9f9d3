/*
 * xalloc.c - allocation wrappers that exit on exhaustion (see xalloc.h).
 */
#include <limits.h>
#include <malloc.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "xalloc.h"

__attribute__((noreturn)) static void oom(void)
{
	static const char msg[] = "crmsync: out of memory\n";

	/* write(2): stdio may itself need memory */
	if (write(2, msg, sizeof(msg) - 1) < 0)
		_exit(70);
	_exit(70);
}

void xalloc_die(void)
{
	oom();
}

/*
 * Asks for transparent huge pages under block `p` when it is
 * XALLOC_HUGE_FROM bytes or more (see xalloc.h).  The advice spans the
 * pages from p to its usable end, which for a block glibc maps on its
 * own is the whole mapping: advice on a part of a mapping splits it, and
 * realloc() can then no longer mremap() the block but copies it.  Advice
 * only: when the kernel refuses it nothing changes.
 */
static void advise_big(void *p)
{
#ifdef MADV_HUGEPAGE
	size_t size = malloc_usable_size(p);
	uintptr_t page = (uintptr_t)sysconf(_SC_PAGESIZE), from, to;

	if (size < XALLOC_HUGE_FROM || page & (page - 1))
		return;
	from = (uintptr_t)p & ~(page - 1);
	to = ((uintptr_t)p + size + page - 1) & ~(page - 1);
	(void)madvise((void *)from, to - from, MADV_HUGEPAGE);
#else
	(void)p;
#endif
}

void *xmalloc(size_t size)
{
	void *p = malloc(size ? size : 1);

	if (!p)
		oom();
	if (size >= XALLOC_HUGE_FROM)
		advise_big(p);
	return p;
}

void *xcalloc(size_t nmemb, size_t size)
{
	void *p = calloc(nmemb ? nmemb : 1, size ? size : 1);

	if (!p)
		oom();
	if (size && nmemb >= XALLOC_HUGE_FROM / size)
		advise_big(p);
	return p;
}

void *xrealloc(void *ptr, size_t size)
{
	void *p = realloc(ptr, size ? size : 1);

	if (!p)
		oom();
	if (size >= XALLOC_HUGE_FROM)
		advise_big(p);
	return p;
}

void *xreallocarray(void *ptr, size_t nmemb, size_t size)
{
	if (size && nmemb > SIZE_MAX / size)
		oom();
	return xrealloc(ptr, nmemb * size);
}

char *xstrdup(const char *s)
{
	return xstrndup(s, strlen(s));
}

char *xstrndup(const char *s, size_t n)
{
	size_t len = strnlen(s, n);
	char *p = xmalloc(len + 1);

	memcpy(p, s, len);
	p[len] = '\0';
	return p;
}

char *xasprintf(const char *fmt, ...)
{
	va_list ap;
	int len;
	char *p;

	va_start(ap, fmt);
	len = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (len < 0)
		oom();
	p = xmalloc((size_t)len + 1);
	va_start(ap, fmt);
	vsnprintf(p, (size_t)len + 1, fmt, ap);
	va_end(ap);
	return p;
}

void xgrow(void **array, size_t *alloc, size_t need, size_t elem)
{
	size_t n;

	if (need <= *alloc)
		return;
	n = *alloc < 8 ? 8 : *alloc;
	while (n < need) {
		if (n > SIZE_MAX / 2)
			oom();
		n *= 2;
	}
	*array = xreallocarray(*array, n, elem);
	*alloc = n;
}

void xalloc_keep_freed(void)
{
#if defined(M_MMAP_MAX) && defined(M_TRIM_THRESHOLD)
	(void)mallopt(M_MMAP_MAX, 0);
	(void)mallopt(M_TRIM_THRESHOLD, INT_MAX);
#endif
}
