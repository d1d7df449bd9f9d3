/*
 * cmd_common.c - helpers shared by the cmd_*.c files (see cmd.h).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"

int exit_code_of(enum err_class cls)
{
	switch (cls) {
	case ERR_OK:
		return EXIT_OK;
	case ERR_USAGE:
		return EXIT_USAGE;
	case ERR_DATA:
		return EXIT_DATAERR;
	case ERR_NOINPUT:
		return EXIT_NOINPUT;
	case ERR_CANTCREAT:
		return EXIT_CANTCREAT;
	case ERR_IO:
		return EXIT_IOERR;
	case ERR_TEMPFAIL:
		return EXIT_TEMPFAIL;
	case ERR_NOPERM:
		return EXIT_NOPERM;
	case ERR_CONFIG:
		return EXIT_CONFIG;
	case ERR_SOFTWARE:
		break;
	}
	return EXIT_SOFTWARE;
}

int cmd_usage_error(struct err *err, const char *cmdname, const char *fmt,
		    ...)
{
	char msg[ERR_MSG_MAX / 2];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return err_set(err, ERR_USAGE, "%s (see 'crmsync %s --help')", msg,
		       cmdname);
}

struct job *cmd_load_job(int argc, char **argv, int optind_,
			 const char *usage, struct err *err)
{
	struct job *job;

	if (optind_ >= argc) {
		cmd_usage_error(err, argv[0], "missing job file: %s", usage);
		return NULL;
	}
	if (optind_ + 1 < argc) {
		cmd_usage_error(err, argv[0], "unexpected argument '%s'",
				argv[optind_ + 1]);
		return NULL;
	}
	job = job_load(argv[optind_], err);
	return job;
}

int cmd_wants_help(int argc, char **argv)
{
	return argc == 2 && (strcmp(argv[1], "-h") == 0 ||
			     strcmp(argv[1], "--help") == 0);
}

int cmd_print_help(const char *text)
{
	fputs(text, stdout);
	return EXIT_OK;
}

int cmd_parse_long(const char *opt, const char *value, long *out,
		   struct err *err)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(value, &end, 10);
	if (errno || end == value || *end || v < 0)
		return err_set(err, ERR_USAGE, "option '%s' needs a "
			       "non-negative integer, got '%s'", opt, value);
	*out = v;
	return 0;
}
