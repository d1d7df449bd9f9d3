/*
 * cmd_status.c - `crmsync status JOB`: when each object was last synced
 * successfully and up to which LastModifiedDate (R11), and the runs.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "stage.h"
#include "syncstate.h"
#include "timeutil.h"

static const char status_help[] =
	"usage: crmsync status JOB.yaml\n"
	"\n"
	"Prints, for each object of the job, the time of the last successful\n"
	"sync, its watermark (the greatest LastModifiedDate merged into the\n"
	"mirror; the next incremental extract starts there, less the\n"
	"look-back) and the records in the mirror; then the latest run.\n";

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
	ret = EXIT_OK;
out:
	run_free(latest);
	sync_state_release(&ss);
	job_free(job);
	return ret;
}
