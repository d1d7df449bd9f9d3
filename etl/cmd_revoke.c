/*
 * cmd_revoke.c - `crmsync revoke JOB`: revokes the integration's tokens
 * at Salesforce and blocks the job from the org until `crmsync connect`
 * (R2).
 */
#include <stdio.h>
#include <string.h>

#include "cmd.h"
#include "http.h"
#include "log.h"
#include "sf_auth.h"
#include "stage.h"

static const char revoke_help[] =
	"usage: crmsync revoke JOB.yaml\n"
	"\n"
	"Revokes the job's access token (and refresh token, for that flow)\n"
	"at Salesforce's revoke endpoint, deletes the cached token and marks\n"
	"the job revoked: from then on no command reads or writes the org\n"
	"(exit 77) until the admin authorises the integration again with\n"
	"'crmsync connect JOB.yaml'.  Staged files and the store are kept;\n"
	"'crmsync purge' deletes them.\n";

int cmd_revoke(int argc, char **argv, struct err *err)
{
	struct http_client *http = NULL;
	struct job_lock *lock = NULL;
	struct job *job;
	int ret = -1, n;

	if (cmd_wants_help(argc, argv))
		return cmd_print_help(revoke_help);
	job = cmd_load_job(argc, argv, 1, "crmsync revoke JOB.yaml", err);
	if (!job)
		return -1;
	if (job->source.kind != SOURCE_SALESFORCE) {
		err_set(err, ERR_CONFIG, "%s: the source is a fixture: there "
			"is no Salesforce token to revoke", job->path);
		goto out;
	}
	lock = job_lock_acquire(job, err);
	if (!lock)
		goto out;
	http = sf_http_new(job, err);
	if (!http)
		goto out;
	n = sf_revoke(job, http, err);
	if (n < 0)
		goto out;
	log_result("job '%s': %d token%s revoked at Salesforce; the job is "
		   "blocked until 'crmsync connect %s'", job->name, n,
		   n == 1 ? "" : "s", job->path);
	ret = EXIT_OK;
out:
	http_free(http);
	job_lock_release(lock);
	job_free(job);
	return ret;
}
