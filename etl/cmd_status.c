/*
 * cmd_status.c - `crmsync status JOB`: when each object was last synced
 * successfully and up to which LastModifiedDate (R11), and the runs.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "fsutil.h"
#include "load.h"
#include "stage.h"
#include "store.h"
#include "syncstate.h"
#include "timeutil.h"

static const char status_help[] =
	"usage: crmsync status JOB.yaml\n"
	"\n"
	"Prints, for each object of the job, the time of the last successful\n"
	"sync, its watermark (the greatest LastModifiedDate merged into the\n"
	"mirror; the next incremental extract starts there, less the\n"
	"look-back) and the records in the mirror; then the latest run; then\n"
	"the store's figures: links by CRM object, people in CRM, saves, the\n"
	"seat map and the last load; then the writeback ledger: activities\n"
	"pending, submitted (in ingest jobs not settled yet), written,\n"
	"failed, held and skipped, and the ingest jobs.\n";

/* One number from the store, or -1. */
static long long store_count(struct store *s, const char *sql, const char *arg)
{
	sqlite3_stmt *q = store_prepare(s, sql, NULL);
	long long n = -1;

	if (q && arg)
		sqlite3_bind_text(q, 1, arg, -1, SQLITE_STATIC);
	if (q && sqlite3_step(q) == SQLITE_ROW)
		n = sqlite3_column_int64(q, 0);
	sqlite3_finalize(q);
	return n;
}

/* The writeback ledger's figures (R40-R45), when an export has run. */
static void print_writeback(const struct job *job, struct store *s)
{
	static const char *const states[] = {
		"pending", "submitted", "written", "failed", "held", "skipped",
	};

	if (store_version(s, "ledger", NULL) <= 0) {
		printf("  writeback: no export cycle yet\n");
		return;
	}
	printf("  writeback: %lld activities:",
	       store_count(s, "SELECT count(*) FROM wb_activities", NULL));
	for (size_t i = 0; i < sizeof(states) / sizeof(states[0]); i++)
		printf(" %s %lld%s", states[i], store_count(s, "SELECT count(*) "
		       "FROM wb_activities WHERE state = ?", states[i]),
		       i + 1 < sizeof(states) / sizeof(states[0]) ? "," : "\n");
	printf("  ingest jobs: %lld, %lld not settled yet; export %s every "
	       "%ld minutes (writeback.interval_minutes)\n",
	       store_count(s, "SELECT count(*) FROM wb_jobs", NULL),
	       store_count(s, "SELECT count(*) FROM wb_jobs WHERE state = "
			   "'open'", NULL),
	       job->settings->writeback.enabled ? "meant to run" :
	       "is off; was meant to run",
	       job->settings->writeback.interval_minutes);
}

/* The store figures (R30-R34). */
static int print_store(const struct job *job, struct err *err)
{
	static const char *const objects[] = { "Lead", "Contact", "Account" };
	char *path = load_store_path(job);
	struct store *s = NULL;
	sqlite3_stmt *q;

	if (!fs_exists(path)) {
		printf("\nstore %s: none yet (no load has run)\n", path);
		free(path);
		return 0;
	}
	free(path);
	if (load_open_store(job, &s, NULL, err) < 0)
		return -1;
	printf("\nstore %s (schema version %ld)\n", store_path(s),
	       store_version(s, "core", NULL));
	printf("  links by object:");
	for (size_t i = 0; i < 3; i++)
		printf(" %s %lld%s", objects[i], store_count(s, "SELECT count(*) "
		       "FROM links WHERE crm_object = ?", objects[i]),
		       i < 2 ? "," : "\n");
	printf("  people in CRM: %lld; company pages in CRM: %lld\n",
	       store_count(s, "SELECT count(*) FROM in_crm WHERE kind = "
			   "'person'", NULL),
	       store_count(s, "SELECT count(*) FROM in_crm WHERE kind = "
			   "'account'", NULL));
	printf("  saves: %lld for %lld users\n",
	       store_count(s, "SELECT count(*) FROM saves", NULL),
	       store_count(s, "SELECT count(DISTINCT user_id) FROM saves",
			   NULL));
	printf("  seats: %lld, mapped %lld (%lld by name), unmapped %lld\n",
	       store_count(s, "SELECT count(*) FROM seats", NULL),
	       store_count(s, "SELECT count(*) FROM seats WHERE user_id IS "
			   "NOT NULL", NULL),
	       store_count(s, "SELECT count(*) FROM seats WHERE mapped_by = "
			   "'name'", NULL),
	       store_count(s, "SELECT count(*) FROM seats WHERE user_id IS "
			   "NULL", NULL));
	q = store_prepare(s, "SELECT run_id, generation FROM loads ORDER BY "
			  "generation DESC LIMIT 1", NULL);
	if (q && sqlite3_step(q) == SQLITE_ROW)
		printf("  last load: run %s (generation %lld)\n",
		       (const char *)sqlite3_column_text(q, 0),
		       (long long)sqlite3_column_int64(q, 1));
	else
		printf("  last load: none\n");
	sqlite3_finalize(q);
	print_writeback(job, s);
	store_close(s);
	return 0;
}

int cmd_status(int argc, char **argv, struct err *err)
{
	struct sync_state ss = SYNC_STATE_INIT;
	struct run *latest = NULL;
	struct job *job;
	int ret = -1;

	if (cmd_wants_help(argc, argv))
		return cmd_print_help(status_help);
	job = cmd_load_job(argc, argv, 1, "crmsync status JOB.yaml", err);
	if (!job)
		return -1;
	if (sync_state_load(job, &ss, err) < 0)
		goto out;
	printf("job %s (%s)\nstaging %s\n\n", job->name, job->path,
	       job->staging_dir);
	printf("%-24s %-26s %-26s %12s\n", "object", "last successful sync",
	       "watermark", "mirror rows");
	for (size_t i = 0; i < job->nobjects; i++) {
		const struct job_object *o = &job->objects[i];
		const struct sync_entry *e = sync_state_get(&ss, o->name, 0);
		char synced[32] = "never", wm[32] = "-";

		if (!o->enabled)
			continue;
		if (e) {
			sf_datetime_format(e->synced_ms, synced,
					   sizeof(synced));
			if (e->has_watermark)
				sf_datetime_format(e->watermark_ms, wm,
						   sizeof(wm));
		}
		printf("%-24s %-26s %-26s %12llu\n", o->name, synced, wm,
		       e ? (unsigned long long)e->mirror_rows : 0ULL);
	}
	latest = run_latest(job, err);
	if (!latest && err->cls != ERR_OK)
		goto out;
	if (latest)
		printf("\nlatest run %s: %s\n", latest->id,
		       run_is_complete(latest) ? "complete" :
		       "unfinished (the next 'crmsync run' resumes it)");
	else
		printf("\nno runs yet\n");
	if (print_store(job, err) < 0)
		goto out;
	ret = EXIT_OK;
out:
	run_free(latest);
	sync_state_release(&ss);
	job_free(job);
	return ret;
}
