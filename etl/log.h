/*
 * log.h - messages to stderr, as text or JSON lines.
 *
 * Data goes to stdout; everything a person or a scheduler reads about the
 * run goes through here to stderr.  Text lines carry the prefix
 * "crmsync: " (warnings "crmsync: warning: ", errors "crmsync: error: ").
 * With --log-format json each message is one JSON object per line:
 *
 *     {"ts":"2026-11-29T21:00:00Z","level":"info","job":"demo",
 *      "run_id":"20261129T210000Z","stage":"extract","msg":"..."}
 *
 * Levels (zstd's display levels): 0 quiet (nothing, not even errors),
 * 1 errors, 2 + warnings and results (default), 3 + progress and info
 * (-v), 4 + debug (-vv).  Callers never pass secrets to these functions;
 * log.c cannot tell a token from a name.
 */
#ifndef CRMSYNC_LOG_H
#define CRMSYNC_LOG_H

enum log_level {
	LOG_QUIET = 0,
	LOG_ERROR = 1,
	LOG_WARN = 2,
	LOG_INFO = 3,
	LOG_DEBUG = 4,
};

#define LOG_LEVEL_DEFAULT LOG_WARN

enum log_format { LOG_TEXT, LOG_JSON };

void log_setup(int level, enum log_format format);
int log_level(void);
enum log_format log_format(void);

/* Context added to every JSON line (and unused in text); NULL clears.
 * The strings are copied. */
void log_set_context(const char *job, const char *run_id, const char *stage);

void log_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Shown at the default level: the one-line outcome of a command. */
void log_result(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
