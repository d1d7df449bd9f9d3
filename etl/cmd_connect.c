/*
 * cmd_connect.c - `crmsync connect JOB`: authenticates afresh with the
 * job's OAuth flow and lifts a revocation (R2).
 */
#include <stdio.h>

#include "cmd.h"
#include "http.h"
#include "log.h"
#include "sf_auth.h"
#include "stage.h"

static const char connect_help[] =
	"usage: crmsync connect JOB.yaml\n"
	"\n"
	"Authenticates with the job's OAuth flow, caches the new token and\n"
	"lifts a revocation made by 'crmsync revoke'.\n";

int cmd_connect(int argc, char **argv, struct err *err)
{
	struct http_client *http = NULL;
	struct job_lock *lock = NULL;
	struct job *job;
	int ret = -1;

	if (cmd_wants_help(argc, argv))
		return cmd_print_help(connect_help);
	job = cmd_load_job(argc, argv, 1, "crmsync connect JOB.yaml", err);
	if (!job)
		return -1;
	if (job->source.kind != SOURCE_SALESFORCE) {
		err_set(err, ERR_CONFIG, "%s: the source is a fixture: there "
			"is nothing to connect to", job->path);
		goto out;
	}
	lock = job_lock_acquire(job, err);
	if (!lock)
		goto out;
	http = sf_http_new(job, err);
	if (!http || sf_connect(job, http, err) < 0)
		goto out;
	log_result("job '%s': connected to Salesforce", job->name);
	ret = EXIT_OK;
out:
	http_free(http);
	job_lock_release(lock);
	job_free(job);
	return ret;
}
