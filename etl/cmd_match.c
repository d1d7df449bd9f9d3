/*
 * cmd_match.c - `crmsync match JOB`: the match stage alone, over the
 * current CRM mirror, in a new run (or the run named by --run-id).
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cmd.h"
#include "log.h"
#include "match.h"
#include "stage.h"

static const char match_help[] =
	"usage: crmsync match [--run-id ID] JOB.yaml\n"
	"\n"
	"Links the CRM mirror's Leads, Contacts and Accounts to the\n"
	"directory's profiles and company pages with the job's match models,\n"
	"applying the manual corrections, and stages the links, the audit of\n"
	"candidates and the match-rate report under runs/<id>/match/.\n"
	"'crmsync run' does this after each extract.\n"
	"\n"
	"options:\n"
	"  --run-id ID   use (or resume) the run named ID\n"
	"  -h, --help    this help\n";

int cmd_match(int argc, char **argv, struct err *err)
{
	static const struct option longopts[] = {
		{ "run-id", required_argument, NULL, 'r' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *stages[] = { "match", NULL };
	const char *run_id = NULL;
	struct job_lock *lock = NULL;
	struct match_result mr;
	struct run *run = NULL;
	struct job *job;
	int c, ret = -1;

	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, "+h", longopts, NULL)) != -1) {
		if (c == 'h')
			return cmd_print_help(match_help);
		if (c != 'r')
			return cmd_usage_error(err, "match", "unknown option "
					       "'%s'", argv[optind - 1]);
		run_id = optarg;
	}
	job = cmd_load_job(argc, argv, optind, "crmsync match JOB.yaml", err);
	if (!job)
		return -1;
	if (!job->settings->people.enabled &&
	    !job->settings->accounts.enabled) {
		err_set(err, ERR_CONFIG, "%s: the job has no match model "
			"(match.people or match.accounts)", job->path);
		goto out;
	}
	lock = job_lock_acquire(job, err);
	if (!lock)
		goto out;
	if (run_id) {
		struct err probe = ERR_INIT;

		run = run_open(job, run_id, &probe);
		if (!run)
			run = run_create(job, run_id, err);
	} else {
		run = run_create(job, NULL, err);
	}
	if (!run)
		goto out;
	log_set_context(job->name, run->id, "match");
	if (match_run(job, run, &mr, err) < 0) {
		err_prefix(err, "run %s", run->id);
		goto out;
	}
	log_match_result(run, &mr);
	if (!run_is_complete(run) && run_finish(run, stages, err) < 0)
		goto out;
	ret = mr.overrides_rejected ? EXIT_REJECTS : EXIT_OK;
out:
	run_free(run);
	job_lock_release(lock);
	job_free(job);
	return ret;
}
