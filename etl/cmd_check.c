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
#include "xalloc.h"

static const char check_help[] =
	"usage: crmsync check JOB.yaml\n"
	"\n"
	"Validates the job file (every error with file:line:col) and, for a\n"
	"fixture source, that each object's file exists and its header\n"
	"matches the schema; then that each directory-side input named by\n"
	"the job exists and has the columns of its schema.  Runs nothing\n"
	"and writes nothing.\n";

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

int cmd_check(int argc, char **argv, struct err *err)
{
	static const char *const inputs[] = {
		"members", "companies", "seats", "activities", "overrides",
	};
	struct err first = ERR_INIT;
	struct job *job;
	const char *paths[5];
	unsigned problems = 0, files = 0;

	if (cmd_wants_help(argc, argv))
		return cmd_print_help(check_help);
	job = cmd_load_job(argc, argv, 1, "crmsync check JOB.yaml", err);
	if (!job)
		return -1;
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
		err_set(err, first.cls, "job '%s': %u problem%s in %u input "
			"files (see above)", job->name, problems,
			problems > 1 ? "s" : "", files);
		job_free(job);
		return -1;
	}
	printf("job '%s' is valid: %s source, %u input files checked\n",
	       job->name, job->source.kind == SOURCE_FIXTURE ? "fixture" :
	       "salesforce", files);
	job_free(job);
	return EXIT_OK;
}
