/*
 * strbuf.h - growable strings, shaped like git's strbuf.
 *
 * Invariants: `buf` is never NULL and always NUL-terminated, so it can be
 * passed to any C string function; `len` excludes the NUL.  An empty
 * buffer made with STRBUF_INIT owns no memory.
 *
 *     struct strbuf sb = STRBUF_INIT;
 *     strbuf_addf(&sb, "%s/%s", dir, name);
 *     use(sb.buf);
 *     strbuf_release(&sb);
 */
#ifndef CRMSYNC_STRBUF_H
#define CRMSYNC_STRBUF_H

#include <stddef.h>

struct strbuf {
	size_t alloc;
	size_t len;
	char *buf;
};

extern char strbuf_slopbuf[];
#define STRBUF_INIT { 0, 0, strbuf_slopbuf }

void strbuf_init(struct strbuf *sb, size_t hint);
/* Frees the memory; `sb` is left as if set to STRBUF_INIT. */
void strbuf_release(struct strbuf *sb);
/* Returns the string, which the caller now owns and frees; `sb` is reset. */
char *strbuf_detach(struct strbuf *sb, size_t *len);
/* Makes room for `extra` more bytes beyond `len`. */
void strbuf_grow(struct strbuf *sb, size_t extra);
void strbuf_setlen(struct strbuf *sb, size_t len);
#define strbuf_reset(sb) strbuf_setlen((sb), 0)

void strbuf_add(struct strbuf *sb, const void *data, size_t len);
void strbuf_addstr(struct strbuf *sb, const char *s);
void strbuf_addch(struct strbuf *sb, int c);
void strbuf_addf(struct strbuf *sb, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#endif
