/*
 * cmd_verify.c - `crmsync verify RUN_DIR | STAGE_DIR | JOB.yaml`:
 * recomputes manifests so an auditor (or CI) can trust staged files.
 */
#include <dirent.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "fsutil.h"
#include "load.h"
#include "log.h"
#include "stage.h"
#include "store.h"
#include "xalloc.h"

static const char verify_help[] =
	"usage: crmsync verify [-q] RUN_DIR | STAGE_DIR | JOB.yaml\n"
	"\n"
	"Recomputes the manifests of a stage directory, of every stage of a\n"
	"run, or of every run and the CRM mirror of a job: sizes, SHA-256,\n"
	"row counts and headers of every file, the manifest's own hash, and\n"
	"files that no manifest lists; for a job, also the store\n"
	"(state/store.db) with SQLite's full PRAGMA integrity_check, which\n"
	"reads every page (a load checks it only when crmsync did not close\n"
	"it cleanly).  Prints one line per file on\n"
	"standard output (ok / FAIL / note); inputs that changed since a\n"
	"stage read them are notes, not failures.\n"
	"\n"
	"exit status: 0 all verified, 65 a mismatch was found, 66 nothing\n"
	"to verify there.\n";

struct tally {
	unsigned ok, fail, note, manifests;
};

static void report(void *ctx, enum verify_severity sev, const char *what)
{
	struct tally *t = ctx;

	switch (sev) {
	case VERIFY_OK:
		t->ok++;
		if (log_level() >= LOG_WARN)
			printf("ok    %s\n", what);
		break;
	case VERIFY_NOTE:
		t->note++;
		printf("note  %s\n", what);
		break;
	case VERIFY_FAIL:
		t->fail++;
		printf("FAIL  %s\n", what);
		break;
	}
}

static int verify_dir(const char *dir, struct tally *t)
{
	struct err err = ERR_INIT;

	t->manifests++;
	if (manifest_verify(dir, report, t, &err) < 0) {
		printf("FAIL  %s\n", err.msg);
		t->fail++;
	}
	return 0;
}

/* Every subdirectory of a run is a stage and must have a manifest. */
static void verify_run(const char *dir, struct tally *t)
{
	struct dirent **names = NULL;
	int n = scandir(dir, &names, NULL, alphasort);

	for (int i = 0; i < n; i++) {
		char *sub = xasprintf("%s/%s", dir, names[i]->d_name);

		if (names[i]->d_name[0] != '.' && fs_is_dir(sub)) {
			char *m = xasprintf("%s/manifest.csv", sub);

			if (fs_exists(m)) {
				verify_dir(sub, t);
			} else {
				printf("FAIL  %s: stage has no manifest (it "
				       "did not finish)\n", sub);
				t->fail++;
			}
			free(m);
		}
		free(sub);
		free(names[i]);
	}
	free(names);
}

/* The job's store, with the full integrity check: one line. */
static void verify_store(const struct job *job, struct tally *t)
{
	char *path = load_store_path(job);
	struct err err = ERR_INIT;
	struct store *s = NULL;

	if (fs_exists(path)) {
		if (store_open(path, 0, &s, &err) == 0 &&
		    store_integrity_check(s, &err) == 0) {
			char *what = xasprintf("%s (integrity_check)", path);

			report(t, VERIFY_OK, what);
			free(what);
		} else {
			report(t, VERIFY_FAIL, err.msg);
		}
		store_close(s);
	}
	free(path);
}

static int verify_job(const char *path, struct tally *t, struct err *err)
{
	struct job *job = job_load(path, err);
	struct dirent **names = NULL;
	char *runs, *mirror;
	int n;

	if (!job)
		return -1;
	runs = xasprintf("%s/runs", job->staging_dir);
	mirror = xasprintf("%s/state/mirror", job->staging_dir);
	n = scandir(runs, &names, NULL, alphasort);
	for (int i = 0; i < n; i++) {
		char *run = xasprintf("%s/%s", runs, names[i]->d_name);

		if (names[i]->d_name[0] != '.' && fs_is_dir(run))
			verify_run(run, t);
		free(run);
		free(names[i]);
	}
	free(names);
	if (fs_is_dir(mirror))
		verify_dir(mirror, t);
	verify_store(job, t);
	free(mirror);
	free(runs);
	job_free(job);
	return 0;
}

int cmd_verify(int argc, char **argv, struct err *err)
{
	struct tally t = { 0, 0, 0, 0 };
	const char *target;
	char *m;
	size_t len;

	if (cmd_wants_help(argc, argv))
		return cmd_print_help(verify_help);
	if (argc != 2)
		return cmd_usage_error(err, "verify", "expected one RUN_DIR, "
				       "STAGE_DIR or JOB.yaml");
	target = argv[1];
	len = strlen(target);
	if (len > 5 && (!strcmp(target + len - 5, ".yaml") ||
			!strcmp(target + len - 4, ".yml"))) {
		if (verify_job(target, &t, err) < 0)
			return -1;
	} else if (fs_is_dir(target)) {
		m = xasprintf("%s/manifest.csv", target);
		if (fs_exists(m))
			verify_dir(target, &t);
		else
			verify_run(target, &t);
		free(m);
	} else {
		return err_set(err, ERR_NOINPUT, "cannot verify '%s': not a "
			       "directory or job file", target);
	}
	if (!t.manifests && !t.fail)
		return err_set(err, ERR_NOINPUT, "nothing to verify in '%s': "
			       "no manifest found", target);
	if (t.fail)
		return err_set(err, ERR_DATA, "verification failed: %u "
			       "problems in %u manifests (%u files ok)",
			       t.fail, t.manifests, t.ok);
	log_result("verified %u files in %u manifests: all ok%s", t.ok,
		   t.manifests, t.note ? " (see notes)" : "");
	return EXIT_OK;
}
