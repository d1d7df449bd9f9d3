/*
 * cmd_check.c - `crmsync check JOB`: validates the job file and the
 * headers of every input it names, without running anything.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "csvio.h"
#include "extract.h"
#include "fsutil.h"
#include "log.h"
#include "schema.h"
#include "sf_auth.h"
#include "xalloc.h"

static const char check_help[] =
	"usage: crmsync check JOB.yaml\n"
	"\n"
	"Validates the job file (every error with file:line:col) and, for a\n"
	"fixture source, that each object's file exists and its header\n"
	"matches the schema; for a salesforce source, that the OAuth flow\n"
	"gets a token (a cached one is reused); then that each\n"
	"directory-side input named by the job exists and has the columns\n"
	"of its schema.  Extracts nothing.\n"
	"\n"
	"options:\n"
	"  --offline   do not contact Salesforce\n";

/* Opens `path` and binds its header to `s`; problems are logged. */
static int check_header(const char *path, const struct schema *s,
			struct err *first)
{
	struct err err = ERR_INIT;
	struct csv_reader *r = csvr_open(path, staged_read_flags(path), &err);
	size_t *map;
	int ret = -1;

	if (r) {
		const struct csv_row *h = csvr_header(r);

		map = xcalloc(s->nfields, sizeof(*map));
		if (schema_bind_header(s, path, h->fields, h->nfields, map,
				       &err) == 0)
			ret = 0;
		free(map);
		csvr_close(r);
	}
	if (ret < 0) {
		log_error("%s", err.msg);
		if (first->cls == ERR_OK)
			*first = err;
	}
	return ret;
}

/* Gets a token the way a run would (the cache first). */
static int check_salesforce(const struct job *job, struct err *err)
{
	struct http_client *http = sf_http_new(job, err);
	struct sf_session *s;

	if (!http)
		return -1;
	s = sf_session_open(job, http, err);
	if (s)
		log_result("salesforce: authenticated, instance %s",
			   sf_instance_url(s));
	sf_session_close(s);
	http_free(http);
	return s ? 0 : -1;
}

int cmd_check(int argc, char **argv, struct err *err)
{
	static const char *const inputs[] = {
		"members", "companies", "seats", "activities", "overrides",
	};
	struct err first = ERR_INIT;
	struct job *job;
	const char *paths[5];
	unsigned problems = 0, files = 0;

	int offline = 0, first_arg = 1;

	if (cmd_wants_help(argc, argv))
		return cmd_print_help(check_help);
	if (argc > 1 && strcmp(argv[1], "--offline") == 0) {
		offline = 1;
		first_arg = 2;
	}
	job = cmd_load_job(argc, argv, first_arg, "crmsync check JOB.yaml",
			   err);
	if (!job)
		return -1;
	if (job->source.kind == SOURCE_SALESFORCE && !offline) {
		struct err serr = ERR_INIT;

		if (check_salesforce(job, &serr) < 0) {
			log_error("%s", serr.msg);
			first = serr;
			problems++;
		}
	}
	if (job->source.kind == SOURCE_FIXTURE) {
		for (size_t i = 0; i < job->nobjects; i++) {
			const struct job_object *o = &job->objects[i];
			struct err ferr = ERR_INIT;
			char *path;

			if (!o->enabled)
				continue;
			path = fixture_file(job->source.fixture_dir, o->name,
					    &ferr);
			files++;
			if (!path) {
				log_error("%s", ferr.msg);
				if (first.cls == ERR_OK)
					first = ferr;
				problems++;
				continue;
			}
			problems += check_header(path, o->schema, &first) < 0;
			free(path);
		}
	}
	paths[0] = job->directory.members;
	paths[1] = job->directory.companies;
	paths[2] = job->directory.seats;
	paths[3] = job->directory.activities;
	paths[4] = job->directory.overrides;
	for (size_t i = 0; i < 5; i++) {
		const struct schema *s = schema_find("directory", inputs[i]);

		if (!paths[i] || !s)
			continue;
		files++;
		problems += check_header(paths[i], s, &first) < 0;
	}
	if (problems) {
		err_set(err, first.cls, "job '%s': %u problem%s found (see "
			"above)", job->name, problems, problems > 1 ? "s" : "");
		job_free(job);
		return -1;
	}
	printf("job '%s' is valid: %s, %u input file%s checked\n", job->name,
	       job->source.kind == SOURCE_FIXTURE ? "fixture source" :
	       offline ? "salesforce source (not contacted)" :
	       "salesforce source authenticated", files,
	       files == 1 ? "" : "s");
	job_free(job);
	return EXIT_OK;
}
