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
	"With --test (R46), writes a contact named \"crmsync Test\" and one\n"
	"activity of each type on it into the org instead, and prints their\n"
	"Salesforce Ids so that the admin can look at them; the ledger is\n"
	"not touched.\n"
	"\n"
	"options:\n"
	"  --run-id ID        name the run ID (resumes it if it exists)\n"
	"  --test             test writeback: a test contact and its activities\n"
	"  --types LIST       with --test: the activity types, comma-separated\n"
	"                     (InMail,Message,Call,Note,PointDrive; default\n"
	"                     writeback.types)\n"
	"  --owner USER_ID    with --test: the activities' owner (default: the\n"
	"                     first writeback user with a CRM User Id)\n"
	"  -h, --help         this help\n"
	"\n"
	"exit status: 0 done, 2 done but some rows were rejected (input rows\n"
	"in exports/rejects/, or refused by Salesforce: see the ledger),\n"
	"75 Salesforce unavailable or the job locked, 77 token refused or\n"
	"revoked; 'crmsync help exit-codes' for all.\n";

/* Warnings for the rows an export cycle rejected or Salesforce refused. */
void warn_export_rejects(const struct run *run, const struct export_result *r)
{
	if (r->rejected)
		log_warn("%llu activity or seat row%s rejected: see "
			 "'%s/exports/rejects/export.csv.gz'",
			 (unsigned long long)r->rejected,
			 r->rejected == 1 ? "" : "s", run->dir);
	if (r->failed)
		log_warn("%llu activit%s refused by Salesforce for good: see "
			 "the failedResults files under '%s/exports/'",
			 (unsigned long long)r->failed,
			 r->failed == 1 ? "y" : "ies", run->dir);
}

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

/* --types LIST into opt->test_types[]. */
static int parse_types(const char *list, struct export_options *eo,
		       struct err *err)
{
	static const char *const names[WB_NTYPES] = {
		"InMail", "Message", "Call", "Note", "PointDrive",
	};

	memset(eo->test_types, 0, sizeof(eo->test_types));
	for (const char *p = list; *p;) {
		size_t n = strcspn(p, ",");
		int t;

		for (t = 0; t < WB_NTYPES; t++)
			if (strlen(names[t]) == n && !strncmp(p, names[t], n))
				break;
		if (t == WB_NTYPES)
			return cmd_usage_error(err, "export", "--types: '%.*s' "
					       "is not one of InMail, Message, "
					       "Call, Note, PointDrive",
					       (int)n, p);
		eo->test_types[t] = 1;
		p += n + (p[n] == ',');
	}
	return 0;
}

int cmd_export(int argc, char **argv, struct err *err)
{
	static const struct option longopts[] = {
		{ "run-id", required_argument, NULL, 'r' },
		{ "test", no_argument, NULL, 't' },
		{ "types", required_argument, NULL, 'T' },
		{ "owner", required_argument, NULL, 'o' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	static const char *const stages[] = { "exports", NULL };
	struct export_options eo;
	struct export_result er;
	struct job_lock *lock = NULL;
	struct run *run = NULL;
	struct job *job = NULL;
	const char *run_id = NULL, *types = NULL;
	int c, test = 0, ret = -1;

	memset(&eo, 0, sizeof(eo));
	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, "+h", longopts, NULL)) != -1) {
		switch (c) {
		case 'r':
			run_id = optarg;
			break;
		case 't':
			test = 1;
			break;
		case 'T':
			types = optarg;
			break;
		case 'o':
			eo.test_owner = optarg;
			break;
		case 'h':
			return cmd_print_help(export_help);
		default:
			return cmd_usage_error(err, argv[0], "unknown option "
					       "'%s'", argv[optind - 1]);
		}
	}
	if (!test && (types || eo.test_owner))
		return cmd_usage_error(err, argv[0], "--types and --owner go "
				       "with --test");
	if (types && parse_types(types, &eo, err) < 0)
		return -1;
	job = cmd_load_job(argc, argv, optind, "crmsync export JOB.yaml", err);
	if (!job)
		return -1;
	if (test && job->source.kind != SOURCE_SALESFORCE) {
		err_set(err, ERR_CONFIG, "job '%s': 'export --test' writes "
			"into a Salesforce org, and this job's source is a "
			"fixture directory", job->path);
		goto out;
	}
	if (test && !types)
		memcpy(eo.test_types, job->settings->writeback.types,
		       sizeof(eo.test_types));
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
	if (test) {
		if (export_test(job, run, &eo, &er, stdout, err) < 0) {
			err_prefix(err, "run %s: export --test", run->id);
			goto out;
		}
		log_result("run %s: export --test: a test contact and %llu "
			   "activit%s written in %llu ingest jobs; %llu API "
			   "calls", run->id,
			   (unsigned long long)(er.written - 1),
			   er.written == 2 ? "y" : "ies",
			   (unsigned long long)er.jobs,
			   (unsigned long long)er.api_calls);
		ret = run_finish(run, stages, err) < 0 ? -1 : EXIT_OK;
		goto out;
	}
	if (export_run(job, run, &eo, &er, err) < 0) {
		err_prefix(err, "run %s: export", run->id);
		goto out;
	}
	log_export_result(run, &er);
	if (!er.disabled && run_finish(run, stages, err) < 0)
		goto out;
	warn_export_rejects(run, &er);
	ret = er.rejected || er.failed ? EXIT_REJECTS : EXIT_OK;
out:
	run_free(run);
	job_lock_release(lock);
	job_free(job);
	return ret;
}
