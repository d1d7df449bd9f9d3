/*
 * cmd_help.c - `crmsync help [COMMAND | job | exit-codes | schemas
 * [GROUP/NAME]]`.
 */
#include <stdio.h>
#include <string.h>

#include "cmd.h"
#include "schema.h"

static const char help_help[] =
	"usage: crmsync help [COMMAND | job | exit-codes | schemas "
	"[GROUP/NAME]]\n";

static const char exit_codes[] =
	"exit codes of crmsync (sysexits.h values where one fits):\n"
	"   0  done\n"
	"   2  done, but some rows were rejected: they are in the stage's\n"
	"      rejects/ files with file, line and reason, and counted in\n"
	"      its manifest\n"
	"  64  usage: bad command line\n"
	"  65  data error: malformed input (file, line and field are named),\n"
	"      too many rejected rows, or a failed verification\n"
	"  66  missing input: a job file, fixture file, input or run does\n"
	"      not exist\n"
	"  70  internal error (a bug) or out of memory\n"
	"  73  cannot create an output file or directory (permissions)\n"
	"  74  I/O error: a read or write failed, the disk is full\n"
	"  75  temporary failure, worth a retry: another run holds the\n"
	"      job's lock, the network or Salesforce is unavailable\n"
	"  77  permission: authentication refused or token revoked\n"
	"  78  configuration: the job file is invalid (file:line:col named)\n";

static const char job_help[] =
	"The job file (YAML) says what to sync and how.  Every key, its\n"
	"type, default and meaning is documented in docs/job-file.md;\n"
	"jobs/demo.yaml runs as is, jobs/salesforce.yaml is an annotated\n"
	"template for a real org.  Relative paths are relative to the job\n"
	"file's directory; ${NAME} is replaced by the environment variable\n"
	"NAME.  Validate a job with 'crmsync check JOB.yaml'.  The field\n"
	"names a job may use are those of 'crmsync help schemas'.\n";

static int print_schema(const struct schema *s)
{
	printf("%s/%s", s->group, s->name);
	if (s->direction)
		printf(" (%s%s%s)", s->direction, s->sobject ? ", sObject " :
		       "", s->sobject ? s->sobject : "");
	printf("  [%s]\n", s->source);
	if (s->description)
		printf("  %s\n", s->description);
	for (size_t i = 0; i < s->nfields; i++) {
		const struct schema_field *f = &s->fields[i];

		printf("  %-26s %-10s%s", f->name, field_type_name(f->type),
		       f->required ? " required" : "");
		if (f->max_length)
			printf(" max %zu", f->max_length);
		printf("\n");
	}
	return EXIT_OK;
}

static int schemas(const char *which, struct err *err)
{
	if (schemas_load(err) < 0)
		return -1;
	if (which) {
		const char *slash = strchr(which, '/');

		for (size_t i = 0; i < schema_count(); i++) {
			const struct schema *s = schema_at(i);

			if (slash ? (strncmp(s->group, which,
					     (size_t)(slash - which)) == 0 &&
				     !s->group[slash - which] &&
				     strcmp(s->name, slash + 1) == 0)
				  : strcmp(s->name, which) == 0)
				return print_schema(s);
		}
		return err_set(err, ERR_USAGE, "no schema '%s'; see 'crmsync "
			       "help schemas'", which);
	}
	for (size_t i = 0; i < schema_count(); i++) {
		const struct schema *s = schema_at(i);

		printf("%-12s %-24s %zu fields\n", s->group, s->name,
		       s->nfields);
	}
	return EXIT_OK;
}

int cmd_help(int argc, char **argv, struct err *err)
{
	const char *topic = argc > 1 ? argv[1] : NULL;

	if (!topic || !strcmp(topic, "--help") || !strcmp(topic, "-h")) {
		fputs(help_help, stdout);
		printf("\ncommands:\n");
		for (const struct cmd *c = commands; c->name; c++)
			printf("  %-9s %s\n", c->name, c->summary);
		return EXIT_OK;
	}
	if (!strcmp(topic, "exit-codes"))
		return cmd_print_help(exit_codes);
	if (!strcmp(topic, "job"))
		return cmd_print_help(job_help);
	if (!strcmp(topic, "schemas"))
		return schemas(argc > 2 ? argv[2] : NULL, err);
	for (const struct cmd *c = commands; c->name; c++) {
		if (strcmp(c->name, topic) == 0 && c->fn != cmd_help) {
			char *args[] = { argv[1], (char *)"--help", NULL };

			return c->fn(2, args, err);
		}
	}
	return err_set(err, ERR_USAGE, "no help on '%s'; see 'crmsync help'",
		       topic);
}
