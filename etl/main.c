/*
 * main.c - crmsync's entry point: global flags, the command table, and
 * the one place where an error class becomes an exit code.
 *
 *   crmsync [-q|-v] [--log-format text|json] [--no-progress] COMMAND
 *           [options] JOB.yaml
 *
 * Global flags may appear before or after the command name.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <unistd.h>

#include "cmd.h"
#include "log.h"
#include "progress.h"
#include "schema.h"
#include "version.h"

const struct cmd commands[] = {
	{ "run", cmd_run, "run every stage that is due (resumes an "
	  "interrupted run)" },
	{ "extract", cmd_extract, "extract CRM records into a new run and "
	  "the mirror" },
	{ "match", cmd_match, "link CRM records to directory profiles and "
	  "company pages" },
	{ "load", cmd_load, "apply a run's matches to the store (badges, "
	  "contact info, saves, seats)" },
	{ "lookup", cmd_lookup, "what the store holds for a profile, company "
	  "page or CRM record" },
	{ "report", cmd_report, "CRM users and roles for seat assignment "
	  "(--seats)" },
	{ "purge", cmd_purge, "delete every staged file and the store of a "
	  "job (R5)" },
	{ "export", cmd_export, "one writeback cycle: activities to "
	  "Salesforce Tasks and Notes" },
	{ "train", cmd_train, "estimate the match weights from the data and "
	  "print a job-file fragment" },
	{ "explain", cmd_explain, "why a CRM record or profile matched, or "
	  "did not" },
	{ "check", cmd_check, "validate a job file and its inputs without "
	  "running" },
	{ "status", cmd_status, "last successful sync per object, "
	  "watermarks, runs" },
	{ "verify", cmd_verify, "recompute the manifests of a run, a stage "
	  "or a whole job" },
	{ "cat", cmd_cat, "print a staged file (decompressed) for "
	  "inspection" },
	{ "revoke", cmd_revoke, "revoke the Salesforce token; block the job "
	  "until connect" },
	{ "connect", cmd_connect, "authenticate with Salesforce; lift a "
	  "revocation" },
	{ "help", cmd_help, "help on a command, the job file or exit codes" },
	{ NULL, NULL, NULL },
};

static void usage(FILE *f)
{
	fprintf(f, "usage: crmsync [-q|-v] [--log-format text|json] "
		"[--no-progress] COMMAND [options] JOB.yaml\n\ncommands:\n");
	for (const struct cmd *c = commands; c->name; c++)
		fprintf(f, "  %-9s %s\n", c->name, c->summary);
	fprintf(f, "\n'crmsync COMMAND --help' for a command's options, "
		"'crmsync help job' for the job file,\n'crmsync help "
		"exit-codes' for exit codes.\n");
}

/* Keeps fds 0-2 open so that a later open() can never land on stdout
 * (curl's main_checkfds). */
static void check_fds(void)
{
	int fd;

	do {
		fd = open("/dev/null", O_RDWR);
	} while (fd >= 0 && fd <= 2);
	if (fd >= 0)
		close(fd);
}

/*
 * Removes the global flags from argv wherever they are (before "--"),
 * applying them.  Returns -1 on a bad value.
 */
static int global_flags(int *argc, char **argv, int *version)
{
	int level = LOG_LEVEL_DEFAULT, progress = 1, out = 1, ends = 0;
	enum log_format format = LOG_TEXT;

	for (int i = 1; i < *argc; i++) {
		const char *a = argv[i];
		const char *fmt = NULL;

		if (ends || strcmp(a, "--") == 0) {
			ends = 1;
			argv[out++] = argv[i];
			continue;
		}
		if (strcmp(a, "-q") == 0 || strcmp(a, "--quiet") == 0) {
			level = level > LOG_ERROR ? LOG_ERROR : LOG_QUIET;
		} else if (strcmp(a, "-v") == 0 || strcmp(a, "--verbose") == 0) {
			level++;
		} else if (strcmp(a, "-vv") == 0) {
			level += 2;
		} else if (strcmp(a, "--no-progress") == 0) {
			progress = 0;
		} else if (strcmp(a, "--version") == 0) {
			*version = 1;
		} else if (strncmp(a, "--log-format=", 13) == 0) {
			fmt = a + 13;
		} else if (strcmp(a, "--log-format") == 0) {
			if (i + 1 >= *argc) {
				fprintf(stderr, "crmsync: error: option "
					"'--log-format' needs a value\n");
				return -1;
			}
			fmt = argv[++i];
		} else {
			argv[out++] = argv[i];
			continue;
		}
		if (fmt && strcmp(fmt, "json") == 0) {
			format = LOG_JSON;
		} else if (fmt && strcmp(fmt, "text") == 0) {
			format = LOG_TEXT;
		} else if (fmt) {
			fprintf(stderr, "crmsync: error: unknown log format "
				"'%s' (use 'text' or 'json')\n", fmt);
			return -1;
		}
	}
	argv[out] = NULL;
	*argc = out;
	if (level > LOG_DEBUG)
		level = LOG_DEBUG;
	log_setup(level, format);
	progress_enable(progress && level >= LOG_WARN && format == LOG_TEXT);
	return 0;
}

int main(int argc, char **argv)
{
	struct err err = ERR_INIT;
	const struct cmd *cmd;
	int version = 0, status;

	check_fds();
	/* EPIPE is reported where it happens (crmsync cat | head) */
	signal(SIGPIPE, SIG_IGN);
	/* a file size limit must fail the write (EFBIG), not kill us */
	signal(SIGXFSZ, SIG_IGN);

	if (global_flags(&argc, argv, &version) < 0)
		return EXIT_USAGE;
	if (version) {
		printf("crmsync %s\n", CRMSYNC_VERSION);
		return EXIT_OK;
	}
	if (argc < 2) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		usage(stdout);
		return EXIT_OK;
	}
	for (cmd = commands; cmd->name; cmd++)
		if (strcmp(cmd->name, argv[1]) == 0)
			break;
	if (!cmd->name) {
		const char *best = NULL;
		size_t best_d = 3;

		for (const struct cmd *c = commands; c->name; c++) {
			size_t d = edit_distance(argv[1], c->name, 3);

			if (d < best_d) {
				best_d = d;
				best = c->name;
			}
		}
		if (best)
			log_error("unknown command '%s' (did you mean "
				  "'%s'?); see 'crmsync --help'", argv[1],
				  best);
		else
			log_error("unknown command '%s'; see 'crmsync "
				  "--help'", argv[1]);
		return EXIT_USAGE;
	}
	status = cmd->fn(argc - 1, argv + 1, &err);
	if (status < 0) {
		log_error("%s", err.msg);
		status = exit_code_of(err.cls);
	}
	if (fflush(stdout) != 0 && status == EXIT_OK && errno != EPIPE) {
		log_error("cannot write to standard output");
		status = EXIT_IOERR;
	}
	log_set_context(NULL, NULL, NULL);
	schemas_free();
	return status;
}
