/*
 * job.h - the job file (jobs/*.yaml): what to sync, how to match, and the
 * admin's settings (SPEC R50), parsed with libyaml and validated.
 *
 * Every error names the job file with line and column:
 *   "jobs/demo.yaml:12:3: unknown key 'treshold' in 'match.people'
 *    (did you mean 'threshold'?)"
 * and carries ERR_CONFIG.  Values of the form ${NAME} are replaced by the
 * environment variable NAME (an unset variable is an error); secrets are
 * meant to arrive that way or through files, never in the job file itself.
 *
 * Relative paths in a job file are relative to the directory holding the
 * job file, so a job runs the same from any working directory; struct job
 * stores them already resolved (joined with that directory).
 *
 * Ownership: job_load() returns a struct job that owns every string and
 * array in it; job_free() releases all of it.
 */
#ifndef CRMSYNC_JOB_H
#define CRMSYNC_JOB_H

#include <stddef.h>

#include "errors.h"
#include "schema.h"

enum source_kind { SOURCE_FIXTURE, SOURCE_SALESFORCE };
enum auth_flow { AUTH_JWT, AUTH_REFRESH_TOKEN, AUTH_CLIENT_CREDENTIALS };

struct job_source {
	enum source_kind kind;
	/* fixture */
	char *fixture_dir;
	/* salesforce */
	char *login_url;   /* https://login.salesforce.com */
	char *api_version; /* "62.0" */
	enum auth_flow auth_flow;
	char *client_id;
	char *username;          /* JWT sub */
	char *private_key_file;  /* JWT */
	char *client_secret;     /* client credentials (from ${ENV}) */
	char *refresh_token_file;
	char *ca_file;           /* private CA bundle, or NULL */
	/* extract tuning (both kinds) */
	long lookback_seconds;   /* incremental window overlap */
	long page_size;          /* maxRecords per results page */
	double api_budget_share; /* stop before this share of daily API */
	long timeout_seconds;
	long max_retries;
};

struct job_object {
	char *name;                  /* "Lead" */
	const struct schema *schema; /* salesforce/<name>, direction read */
	int enabled;
};

/* Directory-side inputs dropped by the directory (see README). */
struct job_directory {
	char *members;
	char *companies;
	char *seats;
	char *activities;
	char *overrides;
};

struct job {
	char *path;        /* as given */
	char *dir;         /* directory of the job file */
	char *name;        /* [a-z0-9_-]+, names the staging subtree */
	char *staging_root;
	char *staging_dir; /* staging_root/name */
	long sync_interval_hours;
	long max_rejects;  /* per stage; -1 = no limit */
	char *encryption_key_file; /* NULL: no encryption at rest */

	struct job_source source;
	size_t nobjects;
	struct job_object *objects;
	struct job_directory directory;

	/* Match, load and export settings are parsed into the structs of
	 * job_match.h-style sections below by job.c; see jobs/demo.yaml and
	 * the README for the keys. */
	struct job_settings *settings;
};

/*
 * Reads and validates the job file at `path`.  Returns NULL with
 * ERR_NOINPUT when the file is missing, ERR_CONFIG for anything wrong in
 * it (YAML syntax, unknown key, wrong type, missing key, field not in the
 * object's schema, unset ${VAR}), with file:line:col.
 */
struct job *job_load(const char *path, struct err *err);

/* NULL is a no-op. */
void job_free(struct job *job);

/* The job's object entry for `name`, or NULL when not configured. */
const struct job_object *job_object_find(const struct job *job,
					 const char *name);

#endif
