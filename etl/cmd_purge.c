/*
 * cmd_purge.c - `crmsync purge JOB [--yes]`: "disconnect CRM sync, and
 * purge all data previously imported from the CRM" (R5).  Deletes the
 * job's whole staging subtree: every run's staged files, the mirror, the
 * store and its WAL, the token cache, the watermarks.  Without --yes it
 * only says what it would delete.  Afterwards it lists what is left
 * under the job's staging directory, which must be nothing.
 */
#include <dirent.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cmd.h"
#include "fsutil.h"
#include "log.h"
#include "stage.h"
#include "xalloc.h"

static const char purge_help[] =
	"usage: crmsync purge [--yes] JOB.yaml\n"
	"\n"
	"Deletes every staged file and all stored state of the job (R5): its\n"
	"runs, the CRM mirror, the store (badges, contact info, saves, seat\n"
	"map, ledgers), the watermarks and the cached token, i.e. the whole\n"
	"directory <staging root>/<job name>.  Without --yes, prints what\n"
	"would be deleted and deletes nothing.  Then lists what is left.\n"
	"To also revoke the token at Salesforce, run 'crmsync revoke' first.\n"
	"\n"
	"options:\n"
	"  --yes         really delete\n"
	"  -h, --help    this help\n";

struct tally {
	unsigned long long files, bytes;
};

/* Counts the regular files and bytes under `path`, printing each file
 * when `print` is set. */
static void walk(const char *path, int print, struct tally *t)
{
	struct stat st;
	struct dirent *de;
	DIR *d;

	if (lstat(path, &st) < 0)
		return;
	if (!S_ISDIR(st.st_mode)) {
		t->files++;
		t->bytes += (unsigned long long)st.st_size;
		if (print)
			printf("  %s\n", path);
		return;
	}
	d = opendir(path);
	if (!d)
		return;
	while ((de = readdir(d))) {
		char *sub;

		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		sub = xasprintf("%s/%s", path, de->d_name);
		walk(sub, print, t);
		free(sub);
	}
	closedir(d);
}

int cmd_purge(int argc, char **argv, struct err *err)
{
	static const struct option longopts[] = {
		{ "yes", no_argument, NULL, 'y' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct job_lock *lock = NULL;
	struct tally before = { 0, 0 }, after = { 0, 0 };
	struct job *job;
	int c, yes = 0, ret = -1;

	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, "+h", longopts, NULL)) != -1) {
		if (c == 'h')
			return cmd_print_help(purge_help);
		if (c != 'y')
			return cmd_usage_error(err, "purge", "unknown option "
					       "'%s'", argv[optind - 1]);
		yes = 1;
	}
	job = cmd_load_job(argc, argv, optind, "crmsync purge --yes JOB.yaml",
			   err);
	if (!job)
		return -1;
	log_set_context(job->name, NULL, NULL);
	if (!fs_exists(job->staging_dir)) {
		printf("job %s: nothing to purge ('%s' does not exist)\n",
		       job->name, job->staging_dir);
		ret = EXIT_OK;
		goto out;
	}
	if (!yes) {
		walk(job->staging_dir, 0, &before);
		printf("job %s: would delete '%s': %llu files, %llu bytes "
		       "(runs, mirror, store, watermarks, token cache)\n"
		       "run 'crmsync purge --yes %s' to delete them\n",
		       job->name, job->staging_dir, before.files, before.bytes,
		       argv[optind]);
		ret = EXIT_OK;
		goto out;
	}
	/* no run may be writing while we delete */
	lock = job_lock_acquire(job, err);
	if (!lock)
		goto out;
	walk(job->staging_dir, 0, &before);
	if (fs_remove_tree(job->staging_dir, err) < 0) {
		err_prefix(err, "purge");
		goto out;
	}
	printf("job %s: deleted '%s': %llu files, %llu bytes\n", job->name,
	       job->staging_dir, before.files, before.bytes);
	walk(job->staging_dir, 1, &after);
	if (after.files || fs_exists(job->staging_dir)) {
		err_set(err, ERR_IO, "purge: %llu files are left under '%s'",
			after.files, job->staging_dir);
		goto out;
	}
	printf("left under '%s': nothing\n", job->staging_dir);
	ret = EXIT_OK;
out:
	job_lock_release(lock);
	job_free(job);
	return ret;
}
