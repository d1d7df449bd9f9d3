/*
 * xalloc.h - allocation that cannot return NULL.
 *
 * Running out of memory in a batch job is not recoverable in any useful
 * way, so these wrappers print "crmsync: out of memory" and exit with 70
 * (EX_SOFTWARE): the one place outside main.c allowed to exit.  Sizes are
 * checked for overflow before multiplying.
 *
 * A block of XALLOC_HUGE_FROM bytes or more is advised to use
 * transparent huge pages (madvise): the big arrays and arenas of a match
 * run are filled densely, and faulting them in 4 kB at a time is dear.
 * On the 2-core development VM the first touch of fresh memory took
 * 3.4 s per GiB in 4 kB pages, and huge pages cut a 100 k x 1 M match's
 * page faults from 35 000 to 21 000-25 000.  The contents are the same
 * either way.
 */
#ifndef CRMSYNC_XALLOC_H
#define CRMSYNC_XALLOC_H

#include <stddef.h>

/* Prints "crmsync: out of memory" and exits 70; for allocators other than
 * malloc (OpenSSL's, say) that report exhaustion themselves. */
__attribute__((noreturn)) void xalloc_die(void);

#define XALLOC_HUGE_FROM ((size_t)2 << 20)

/*
 * From this call on, memory the process frees stays with it for its
 * next allocations instead of going back to the kernel (glibc: no
 * chunk of its own mapping, no trimming of the heap); a no-op where the
 * C library cannot be told.  For the match stage, which frees arrays
 * of hundreds of MB between phases and then allocates others: memory
 * handed back is handed on to the hypervisor within seconds, and
 * touched again it costs its first touch again (2.4 s per GB on the
 * development VM).  At 1 M x 10 M the match took 67.3 s instead of
 * 69.7 s (tests/bench/README.md), at the same peak RSS.
 */
void xalloc_keep_freed(void);

void *xmalloc(size_t size);
void *xcalloc(size_t nmemb, size_t size);
void *xrealloc(void *ptr, size_t size);
/* xrealloc(ptr, nmemb * size) with the multiplication checked. */
void *xreallocarray(void *ptr, size_t nmemb, size_t size);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
/* printf into a new string; caller frees. */
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/*
 * Grows `*array` (of `*alloc` elements of `elem` bytes) so that it holds
 * at least `need` elements; growth is geometric.
 */
void xgrow(void **array, size_t *alloc, size_t need, size_t elem);

/* The room is checked inline: appending in a loop calls xgrow() only
 * when the array is full. */
#define XGROW(array, alloc, need)                                           \
	do {                                                                \
		if ((need) > (alloc))                                       \
			xgrow((void **)&(array), &(alloc), (need),          \
			      sizeof(*(array)));                            \
	} while (0)

#endif
