/*
 * cmd_run.c - `crmsync run` and `crmsync extract`.
 *
 * `run` carries a run through every stage: extract, match and load (when
 * the job has a match model), then one export cycle (when writeback is
 * on: activities written back, or staged with a fixture source), and
 * finishes it (run.csv); when the latest run of the job was interrupted
 * it is resumed rather than a new one started, so a crash costs nothing
 * but the rerun.  `extract` runs only the extract stage, in a new run.
 * Between two runs, `crmsync export` runs further export cycles on their
 * own cadence (R45).
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "extract.h"
#include "load.h"
#include "match.h"
#include "log.h"
#include "sf_auth.h"
#include "stage.h"
#include "writeback.h"

static const char run_help[] =
	"usage: crmsync run [options] JOB.yaml\n"
	"\n"
	"Runs every stage that is due for the job: extract (CRM records\n"
	"changed since the last successful sync, merged into the mirror),\n"
	"then match (links to directory profiles and company pages) and load\n"
	"(badges, contact info, auto-saves and seat map into the store,\n"
	"state/store.db) when the job has a match model, then one export\n"
	"cycle (activities written back to Salesforce as Tasks and Notes;\n"
	"staged, not sent, with a fixture source) when writeback is on.\n"
	"The latest run is resumed when it did not finish; its completed\n"
	"stages are skipped.\n"
	"\n"
	"options:\n"
	"  --full             full import: ignore watermarks, rebuild the "
	"mirror\n"
	"  --new-run          start a new run even if the latest did not "
	"finish\n"
	"  --run-id ID        use (or resume) the run named ID\n"
	"  --max-rejects N    fail when more than N rows are rejected\n"
	"                     (default: sync.max_rejects of the job)\n"
	"  -h, --help         this help\n"
	"\n"
	"exit status: 0 done, 2 done with rejected rows (see the stage's\n"
	"rejects/ directory), 65 bad data, 66 missing input, 75 locked by\n"
	"another run, 78 bad job file; 'crmsync help exit-codes' for all.\n";

static const char extract_help[] =
	"usage: crmsync extract [options] JOB.yaml\n"
	"\n"
	"Extracts the job's CRM objects into a new run: records changed\n"
	"since the last successful sync (all of them the first time) are\n"
	"staged under runs/<id>/extract/ and merged into state/mirror/.\n"
	"\n"
	"options:\n"
	"  --full             full import: ignore watermarks, rebuild the "
	"mirror\n"
	"  --run-id ID        name the run ID (resumes it if it exists)\n"
	"  --max-rejects N    fail when more than N rows are rejected\n"
	"  -h, --help         this help\n";

struct run_opts {
	int full;
	int new_run;
	const char *run_id;
	long max_rejects; /* -2: from the job */
};

static int parse(int argc, char **argv, const char *help,
		 struct run_opts *o, int *done, struct err *err)
{
	static const struct option longopts[] = {
		{ "full", no_argument, NULL, 'f' },
		{ "new-run", no_argument, NULL, 'n' },
		{ "run-id", required_argument, NULL, 'r' },
		{ "max-rejects", required_argument, NULL, 'm' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	memset(o, 0, sizeof(*o));
	o->max_rejects = -2;
	*done = 0;
	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, "+h", longopts, NULL)) != -1) {
		switch (c) {
		case 'f':
			o->full = 1;
			break;
		case 'n':
			if (strcmp(argv[0], "run"))
				goto bad;
			o->new_run = 1;
			break;
		case 'r':
			o->run_id = optarg;
			break;
		case 'm':
			if (cmd_parse_long("--max-rejects", optarg,
					   &o->max_rejects, err) < 0)
				return -1;
			break;
		case 'h':
			*done = 1;
			return cmd_print_help(help);
		default:
			goto bad;
		}
	}
	return optind;
bad:
	return cmd_usage_error(err, argv[0], "unknown option '%s'",
			       argv[optind - 1]);
}

/* The one-line outcome of a match stage. */
void log_match_result(const struct run *run, const struct match_result *mr)
{
	const struct match_side_result *p = &mr->people, *a = &mr->accounts;

	if (mr->skipped) {
		log_result("run %s: match already complete", run->id);
		return;
	}
	log_result("run %s: match people %llu/%llu linked (%llu manual), "
		   "accounts %llu/%llu linked (%llu manual); %llu pairs "
		   "scored%s", run->id, (unsigned long long)p->links,
		   (unsigned long long)p->crm_records,
		   (unsigned long long)p->manual,
		   (unsigned long long)a->links,
		   (unsigned long long)a->crm_records,
		   (unsigned long long)a->manual,
		   (unsigned long long)(p->pairs + a->pairs),
		   mr->overrides_rejected ? "; some correction rows are "
		   "malformed (see match/rejects/)" : "");
	if (mr->corrections_unapplied)
		log_warn("%llu manual correction%s name%s a record that is "
			 "gone: see '%s/match/unapplied_corrections.csv.gz'",
			 (unsigned long long)mr->corrections_unapplied,
			 mr->corrections_unapplied == 1 ? "" : "s",
			 mr->corrections_unapplied == 1 ? "s" : "", run->dir);
}

/* Picks the run: an explicit id, the unfinished latest, or a new one. */
static struct run *pick_run(const struct job *job, const struct run_opts *o,
			    int resume_latest, struct err *err)
{
	struct run *run;

	if (o->run_id) {
		struct err probe = ERR_INIT;

		run = run_open(job, o->run_id, &probe);
		if (run) {
			log_info("resuming run %s", run->id);
			return run;
		}
		if (probe.cls != ERR_NOINPUT) {
			*err = probe;
			return NULL;
		}
		return run_create(job, o->run_id, err);
	}
	if (resume_latest && !o->new_run) {
		run = run_latest(job, err);
		if (!run && err->cls != ERR_OK)
			return NULL;
		if (run && !run_is_complete(run)) {
			log_warn("resuming unfinished run %s (use --new-run "
				 "to start afresh)", run->id);
			return run;
		}
		run_free(run);
	}
	return run_create(job, NULL, err);
}

static int do_run(int argc, char **argv, int whole, struct err *err)
{
	const char *stages[5] = { "extract", NULL, NULL, NULL, NULL };
	uint64_t overrides_rejected = 0, export_rejected = 0;
	size_t nstages = 1;
	struct extract_options eo;
	struct extract_result er;
	struct job_lock *lock = NULL;
	struct run *run = NULL;
	struct job *job = NULL;
	struct run_opts o;
	int first, done, ret = -1;

	first = parse(argc, argv, whole ? run_help : extract_help, &o, &done,
		      err);
	if (first < 0 || done)
		return first < 0 ? -1 : EXIT_OK;
	job = cmd_load_job(argc, argv, first, "crmsync run JOB.yaml", err);
	if (!job)
		return -1;
	log_set_context(job->name, NULL, NULL);
	lock = job_lock_acquire(job, err);
	if (!lock)
		goto out;
	/* R2: a revoked job touches neither the org nor its runs */
	if (job->source.kind == SOURCE_SALESFORCE && sf_is_revoked(job)) {
		sf_revoked_error(job, err);
		goto out;
	}
	run = pick_run(job, &o, whole, err);
	if (!run)
		goto out;
	log_set_context(job->name, run->id, "extract");
	eo.full = o.full;
	eo.max_rejects = o.max_rejects == -2 ? job->max_rejects : o.max_rejects;
	if (extract_run(job, run, &eo, &er, err) < 0) {
		err_prefix(err, "run %s", run->id);
		goto out;
	}
	if (er.skipped)
		log_result("run %s: extract already complete", run->id);
	else
		log_result("run %s: extract %llu read, %llu staged, %llu "
			   "rejected; mirror %llu added or updated, %llu "
			   "deleted; %llu API calls", run->id,
			   (unsigned long long)er.read,
			   (unsigned long long)er.selected,
			   (unsigned long long)er.rejected,
			   (unsigned long long)er.upserts,
			   (unsigned long long)er.deletes,
			   (unsigned long long)er.api_calls);
	if (whole && (job->settings->people.enabled ||
		      job->settings->accounts.enabled)) {
		struct match_result mr;

		log_set_context(job->name, run->id, "match");
		if (match_run(job, run, &mr, err) < 0) {
			err_prefix(err, "run %s", run->id);
			goto out;
		}
		log_match_result(run, &mr);
		overrides_rejected = mr.overrides_rejected;
		stages[nstages++] = "match";
	}
	if (whole && (job->settings->people.enabled ||
		      job->settings->accounts.enabled)) {
		struct load_result lr;

		log_set_context(job->name, run->id, "load");
		if (load_run(job, run, &lr, err) < 0) {
			err_prefix(err, "run %s", run->id);
			goto out;
		}
		log_load_result(run, &lr);
		stages[nstages++] = "load";
	}
	if (whole && job->settings->writeback.enabled) {
		struct export_options xo;
		struct export_result xr;

		memset(&xo, 0, sizeof(xo));
		log_set_context(job->name, run->id, "export");
		if (export_run(job, run, &xo, &xr, err) < 0) {
			err_prefix(err, "run %s: export", run->id);
			goto out;
		}
		log_export_result(run, &xr);
		warn_export_rejects(run, &xr);
		export_rejected = xr.rejected + xr.failed;
		stages[nstages++] = "exports";
	}
	if (whole) {
		log_set_context(job->name, run->id, NULL);
		if (run_finish(run, stages, err) < 0)
			goto out;
	}
	if (er.rejected)
		log_warn("%llu row%s rejected: see '%s/extract/rejects/'",
			 (unsigned long long)er.rejected,
			 er.rejected == 1 ? "" : "s", run->dir);
	ret = er.rejected || overrides_rejected || export_rejected ?
	      EXIT_REJECTS : EXIT_OK;
out:
	run_free(run);
	job_lock_release(lock);
	job_free(job);
	return ret;
}

int cmd_run(int argc, char **argv, struct err *err)
{
	return do_run(argc, argv, 1, err);
}

int cmd_extract(int argc, char **argv, struct err *err)
{
	return do_run(argc, argv, 0, err);
}
