/*
 * cmd_load.c - `crmsync load JOB`: the load stage alone, on the latest
 * run (or the run named by --run-id), whose match stage must be done.
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cmd.h"
#include "load.h"
#include "log.h"
#include "stage.h"

static const char load_help[] =
	"usage: crmsync load [--run-id ID] JOB.yaml\n"
	"\n"
	"Applies a run's matches to the job's store (state/store.db): stages\n"
	"the change sets (badges and in-CRM flags, contact info, auto-saves\n"
	"and their alerts, seat map) under runs/<id>/load/, then applies them\n"
	"in one transaction.  Loading a run twice changes nothing; a load\n"
	"interrupted at any moment is finished by running it again.\n"
	"'crmsync run' does this after each match.\n"
	"\n"
	"options:\n"
	"  --run-id ID   load the run named ID (default: the latest run)\n"
	"  -h, --help    this help\n"
	"\n"
	"exit status: 0 done, 65 bad input or a damaged store, 66 the run has\n"
	"no complete match stage, 75 locked by another run, 78 bad job file\n"
	"or encryption key.\n";

void log_load_result(const struct run *run, const struct load_result *lr)
{
	if (lr->skipped) {
		log_result("run %s: load already applied (store generation "
			   "%llu)", run->id,
			   (unsigned long long)lr->generation);
		return;
	}
	log_result("run %s: load %llu links (%llu added, %llu removed, %llu "
		   "changed), contact info %llu changed, %llu saves added, "
		   "seats %llu mapped (%llu by name), %llu unmapped%s",
		   run->id, (unsigned long long)lr->links,
		   (unsigned long long)lr->badges_added,
		   (unsigned long long)lr->badges_removed,
		   (unsigned long long)lr->badges_changed,
		   (unsigned long long)lr->contact_changed,
		   (unsigned long long)lr->saves_added,
		   (unsigned long long)lr->seats_mapped,
		   (unsigned long long)lr->seats_by_name,
		   (unsigned long long)lr->seats_unmapped,
		   lr->resumed ? "; applied the change sets staged by an "
		   "interrupted load" : "");
	if (lr->seats_by_name)
		log_warn("%llu seat%s mapped by name, not email: see '%s/load/"
			 "seats.csv.gz' (MappedBy name)",
			 (unsigned long long)lr->seats_by_name,
			 lr->seats_by_name == 1 ? "" : "s", run->dir);
}

int cmd_load(int argc, char **argv, struct err *err)
{
	static const struct option longopts[] = {
		{ "run-id", required_argument, NULL, 'r' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *run_id = NULL;
	struct job_lock *lock = NULL;
	struct load_result lr;
	struct run *run = NULL;
	struct job *job;
	int c, ret = -1;

	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, "+h", longopts, NULL)) != -1) {
		if (c == 'h')
			return cmd_print_help(load_help);
		if (c != 'r')
			return cmd_usage_error(err, "load", "unknown option "
					       "'%s'", argv[optind - 1]);
		run_id = optarg;
	}
	job = cmd_load_job(argc, argv, optind, "crmsync load JOB.yaml", err);
	if (!job)
		return -1;
	log_set_context(job->name, NULL, "load");
	lock = job_lock_acquire(job, err);
	if (!lock)
		goto out;
	run = run_id ? run_open(job, run_id, err) : run_latest(job, err);
	if (!run) {
		if (!run_id && err->cls == ERR_OK)
			err_set(err, ERR_NOINPUT, "job '%s' has no runs yet: "
				"run 'crmsync run' first", job->name);
		goto out;
	}
	log_set_context(job->name, run->id, "load");
	if (load_run(job, run, &lr, err) < 0) {
		err_prefix(err, "run %s", run->id);
		goto out;
	}
	log_load_result(run, &lr);
	ret = EXIT_OK;
out:
	run_free(run);
	job_lock_release(lock);
	job_free(job);
	return ret;
}
