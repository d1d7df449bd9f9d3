/*
 * log.c - stderr messages in text or JSON lines (see log.h).
 *
 * JSON escaping goes through jansson so that any byte a message carries
 * (a file name, a CSV value quoted in an error) yields valid JSON.
 */
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "log.h"
#include "xalloc.h"

static int g_level = LOG_LEVEL_DEFAULT;
static enum log_format g_format = LOG_TEXT;
static char *g_job, *g_run_id, *g_stage;

void log_setup(int level, enum log_format format)
{
	g_level = level;
	g_format = format;
}

int log_level(void)
{
	return g_level;
}

enum log_format log_format(void)
{
	return g_format;
}

static void replace(char **slot, const char *value)
{
	free(*slot);
	*slot = value ? xstrdup(value) : NULL;
}

void log_set_context(const char *job, const char *run_id, const char *stage)
{
	replace(&g_job, job);
	replace(&g_run_id, run_id);
	replace(&g_stage, stage);
}

__attribute__((format(printf, 3, 0)))
static void emit(int level, const char *name, const char *fmt, va_list ap)
{
	char msg[4096];

	if (level > g_level)
		return;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	if (g_format == LOG_JSON) {
		json_t *o = json_object();
		char ts[32];
		time_t now = time(NULL);
		struct tm tm;
		char *line;

		gmtime_r(&now, &tm);
		strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%SZ", &tm);
		json_object_set_new(o, "ts", json_string(ts));
		json_object_set_new(o, "level", json_string(name));
		if (g_job)
			json_object_set_new(o, "job", json_string(g_job));
		if (g_run_id)
			json_object_set_new(o, "run_id", json_string(g_run_id));
		if (g_stage)
			json_object_set_new(o, "stage", json_string(g_stage));
		/* invalid UTF-8 in a message must not lose the line */
		json_object_set_new(o, "msg", json_stringn_nocheck(msg, strlen(msg)));
		line = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER |
					     JSON_ENSURE_ASCII);
		if (line) {
			fprintf(stderr, "%s\n", line);
			free(line);
		}
		json_decref(o);
	} else if (level == LOG_ERROR) {
		fprintf(stderr, "crmsync: error: %s\n", msg);
	} else if (level == LOG_WARN && strcmp(name, "warning") == 0) {
		fprintf(stderr, "crmsync: warning: %s\n", msg);
	} else {
		fprintf(stderr, "crmsync: %s\n", msg);
	}
	fflush(stderr);
}

#define DEFINE_LOG(fn, level, name)                \
	void fn(const char *fmt, ...)              \
	{                                          \
		va_list ap;                        \
		va_start(ap, fmt);                 \
		emit(level, name, fmt, ap);        \
		va_end(ap);                        \
	}

DEFINE_LOG(log_error, LOG_ERROR, "error")
DEFINE_LOG(log_warn, LOG_WARN, "warning")
DEFINE_LOG(log_result, LOG_WARN, "result")
DEFINE_LOG(log_info, LOG_INFO, "info")
DEFINE_LOG(log_debug, LOG_DEBUG, "debug")
