/*
 * progress.h - a progress line on stderr, only when stderr is a terminal.
 *
 * Redrawn at most six times a second (zstd's rate), wiped when done so
 * the next message starts on a clean line.  Never drawn with -q, with
 * --log-format json, with --no-progress, or when stderr is not a TTY, so
 * logs and CI output stay clean.
 *
 *     struct progress *p = progress_start("extract Lead", total_bytes);
 *     while (...) progress_update(p, done_bytes);
 *     progress_end(p);
 */
#ifndef CRMSYNC_PROGRESS_H
#define CRMSYNC_PROGRESS_H

#include <stdint.h>

struct progress;

/* Globally allow or forbid progress lines (main.c, from the flags). */
void progress_enable(int on);

/* `total` 0 means unknown (a counter is shown instead of a percentage).
 * Returns NULL when progress is off; every function accepts NULL. */
struct progress *progress_start(const char *label, uint64_t total);
void progress_update(struct progress *p, uint64_t done);
void progress_end(struct progress *p);

#endif
