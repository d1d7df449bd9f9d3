/*
 * cmd.h - the subcommands and the exit-code contract.
 *
 * Each command lives in its own cmd_<name>.c (git's builtin/ idea) and
 * exports one function.  It parses its own options (argv[0] is the
 * command name), does its work through the core modules and returns an
 * exit status: EXIT_OK or EXIT_REJECTS when it did its job, or -1 with
 * `err` filled when it could not; main.c maps err->cls to the exit code
 * and prints the message.  Commands print data on stdout and talk to
 * people through log.h on stderr.
 */
#ifndef CRMSYNC_CMD_H
#define CRMSYNC_CMD_H

#include "errors.h"
#include "job.h"

/* Exit codes (sysexits-style; documented in `crmsync help exit-codes`). */
enum exit_code {
	EXIT_OK = 0,
	EXIT_REJECTS = 2,    /* done, but some rows went to a rejects file */
	EXIT_USAGE = 64,     /* bad command line */
	EXIT_DATAERR = 65,   /* malformed input data, failed verification */
	EXIT_NOINPUT = 66,   /* an input file, job or run does not exist */
	EXIT_SOFTWARE = 70,  /* internal error (a bug), out of memory */
	EXIT_CANTCREAT = 73, /* cannot create an output file or directory */
	EXIT_IOERR = 74,     /* read or write error, disk full */
	EXIT_TEMPFAIL = 75,  /* try again later: lock held, network, busy */
	EXIT_NOPERM = 77,    /* authentication refused or revoked */
	EXIT_CONFIG = 78,    /* bad job file or configuration */
};

int exit_code_of(enum err_class cls);

struct cmd {
	const char *name;
	int (*fn)(int argc, char **argv, struct err *err);
	const char *summary;
};

/* The command table (main.c), NULL-terminated. */
extern const struct cmd commands[];

int cmd_run(int argc, char **argv, struct err *err);
int cmd_extract(int argc, char **argv, struct err *err);
int cmd_match(int argc, char **argv, struct err *err);
int cmd_load(int argc, char **argv, struct err *err);
int cmd_lookup(int argc, char **argv, struct err *err);
int cmd_report(int argc, char **argv, struct err *err);
int cmd_purge(int argc, char **argv, struct err *err);
int cmd_explain(int argc, char **argv, struct err *err);
int cmd_train(int argc, char **argv, struct err *err);
int cmd_check(int argc, char **argv, struct err *err);
int cmd_status(int argc, char **argv, struct err *err);
int cmd_verify(int argc, char **argv, struct err *err);
int cmd_cat(int argc, char **argv, struct err *err);
int cmd_help(int argc, char **argv, struct err *err);
int cmd_revoke(int argc, char **argv, struct err *err);
int cmd_connect(int argc, char **argv, struct err *err);
int cmd_export(int argc, char **argv, struct err *err);

/* ---- helpers shared by the commands (cmd_common.c) ---------------------- */

/* Loads the job named by the one remaining argument after options, or
 * fails with ERR_USAGE naming `usage`. */
struct job *cmd_load_job(int argc, char **argv, int optind_,
			 const char *usage, struct err *err);

/* 1 when the only argument after the command is -h or --help. */
int cmd_wants_help(int argc, char **argv);

/* Prints "usage: ..." and the option help to stdout (asked for) and
 * returns EXIT_OK. */
int cmd_print_help(const char *text);

/* Fails with ERR_USAGE and a pointer to --help. */
int cmd_usage_error(struct err *err, const char *cmdname, const char *fmt,
		    ...) __attribute__((format(printf, 3, 4)));

/* Logs the outcome line of a match stage (cmd_run.c). */
struct run;
struct match_result;
void log_match_result(const struct run *run, const struct match_result *mr);

/* Logs the outcome line of a load stage (cmd_load.c). */
struct load_result;
void log_load_result(const struct run *run, const struct load_result *lr);
/* Logs the outcome line of an export cycle (cmd_export.c). */
struct export_result;
void log_export_result(const struct run *run, const struct export_result *r);
/* Warns of the rows it rejected or Salesforce refused for good, naming
 * where they are (cmd_export.c). */
void warn_export_rejects(const struct run *run, const struct export_result *r);

/* Parses a non-negative integer option value. */
int cmd_parse_long(const char *opt, const char *value, long *out,
		   struct err *err);

#endif
