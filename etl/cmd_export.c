/*
 * cmd_export.c - `crmsync export`: one writeback cycle (R40-R46).
 *
 * Meant to run every few minutes (R45), independently of the 12-hour
 * import: it takes the job lock (a cycle never overlaps itself or a
 * run), does one cycle in a new run (runs/<id>/exports/) and exits.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "log.h"
#include "sf_auth.h"
#include "stage.h"
#include "writeback.h"

static const char export_help[] =
	"usage: crmsync export [options] JOB.yaml\n"
	"\n"
	"One writeback cycle: reads the directory's activities and seats,\n"
	"settles ingest jobs an earlier cycle left behind, decides each new\n"
	"activity by the job's writeback rules and sends the pending ones to\n"
	"Salesforce as Task and Note records (Bulk API 2.0 ingest jobs),\n"
	"exactly once.  Requests and Salesforce's result files are staged\n"
	"under runs/<id>/exports/<ingest job id>/.  With a fixture source\n"
	"the requests are staged and nothing is sent.\n"
	"\n"
	"options:\n"
	"  --run-id ID        name the run ID (resumes it if it exists)\n"
	"  -h, --help         this help\n"
	"\n"
	"exit status: 0 done, 2 done but some rows were rejected (input rows\n"
	"in exports/rejects/, or refused by Salesforce: see the ledger),\n"
	"75 Salesforce unavailable or the job locked, 77 token refused or\n"
	"revoked; 'crmsync help exit-codes' for all.\n";

/* The one-line outcome of an export cycle. */
void log_export_result(const struct run *run, const struct export_result *r)
{
	if (r->disabled) {
		log_result("run %s: export skipped: writeback is off "
			   "(writeback.enabled)", run->id);
		return;
	}
	if (r->skipped_stage) {
		log_result("run %s: export already complete", run->id);
		return;
	}
	if (!r->sent) {
		log_result("run %s: export %llu activities read, %llu new, "
			   "%llu rejected, %llu skipped by the rules, %llu "
			   "held; %llu rows staged in request files under "
			   "'%s/exports/'; fixture source: nothing was sent to "
			   "Salesforce", run->id,
			   (unsigned long long)r->read,
			   (unsigned long long)r->added,
			   (unsigned long long)r->rejected,
			   (unsigned long long)r->skipped,
			   (unsigned long long)r->held,
			   (unsigned long long)r->staged, run->dir);
		return;
	}
	log_result("run %s: export %llu activities read, %llu new, %llu "
		   "rejected, %llu skipped by the rules, %llu held; %llu "
		   "written, %llu failed, %llu to retry, in %llu ingest "
		   "jobs; %llu fields cut to length; %llu API calls",
		   run->id, (unsigned long long)r->read,
		   (unsigned long long)r->added,
		   (unsigned long long)r->rejected,
		   (unsigned long long)r->skipped,
		   (unsigned long long)r->held,
		   (unsigned long long)r->written,
		   (unsigned long long)r->failed,
		   (unsigned long long)r->pending,
		   (unsigned long long)r->jobs,
		   (unsigned long long)r->cut,
		   (unsigned long long)r->api_calls);
}

int cmd_export(int argc, char **argv, struct err *err)
{
	static const struct option longopts[] = {
		{ "run-id", required_argument, NULL, 'r' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	static const char *const stages[] = { "exports", NULL };
	struct export_options eo;
	struct export_result er;
	struct job_lock *lock = NULL;
	struct run *run = NULL;
	struct job *job = NULL;
	const char *run_id = NULL;
	int c, ret = -1;

	memset(&eo, 0, sizeof(eo));
	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, "+h", longopts, NULL)) != -1) {
		switch (c) {
		case 'r':
			run_id = optarg;
			break;
		case 'h':
			return cmd_print_help(export_help);
		default:
			return cmd_usage_error(err, argv[0], "unknown option "
					       "'%s'", argv[optind - 1]);
		}
	}
	job = cmd_load_job(argc, argv, optind, "crmsync export JOB.yaml", err);
	if (!job)
		return -1;
	log_set_context(job->name, NULL, "export");
	lock = job_lock_acquire(job, err);
	if (!lock)
		goto out;
	if (job->source.kind == SOURCE_SALESFORCE && sf_is_revoked(job)) {
		sf_revoked_error(job, err);
		goto out;
	}
	if (run_id) {
		struct err probe = ERR_INIT;

		run = run_open(job, run_id, &probe);
		if (!run && probe.cls != ERR_NOINPUT) {
			*err = probe;
			goto out;
		}
	}
	if (!run)
		run = run_create(job, run_id, err);
	if (!run)
		goto out;
	log_set_context(job->name, run->id, "export");
	if (export_run(job, run, &eo, &er, err) < 0) {
		err_prefix(err, "run %s: export", run->id);
		goto out;
	}
	log_export_result(run, &er);
	if (!er.disabled && run_finish(run, stages, err) < 0)
		goto out;
	if (er.rejected)
		log_warn("%llu input row%s rejected: see "
			 "'%s/exports/rejects/export.csv.gz'",
			 (unsigned long long)er.rejected,
			 er.rejected == 1 ? "" : "s", run->dir);
	if (er.failed)
		log_warn("%llu activit%s refused by Salesforce for good: see "
			 "the failedResults files under '%s/exports/'",
			 (unsigned long long)er.failed,
			 er.failed == 1 ? "y" : "ies", run->dir);
	ret = er.rejected || er.failed ? EXIT_REJECTS : EXIT_OK;
out:
	run_free(run);
	job_lock_release(lock);
	job_free(job);
	return ret;
}
