/*
 * cmd_explain.c - `crmsync explain JOB --crm-id ID | --member ID |
 * --company ID`: why a record matched, or did not.
 */
#include <getopt.h>
#include <stdio.h>

#include "cmd.h"
#include "match.h"

static const char explain_help[] =
	"usage: crmsync explain (--crm-id ID | --member ID | --company ID) "
	"JOB.yaml\n"
	"\n"
	"Recomputes the match over the current mirror and directory inputs\n"
	"and prints, for a CRM record, its best candidates; for a profile or\n"
	"company page, the CRM records scoring at or above the threshold;\n"
	"with both, that pair.  Each comparison shows the two normalised\n"
	"values, their similarity and weight; then the score and what the\n"
	"one-to-one resolution did (linked, lost to a better CRM record,\n"
	"below threshold, unlinked by hand).  Writes nothing.\n";

int cmd_explain(int argc, char **argv, struct err *err)
{
	static const struct option longopts[] = {
		{ "crm-id", required_argument, NULL, 'c' },
		{ "member", required_argument, NULL, 'm' },
		{ "company", required_argument, NULL, 'm' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *crm = NULL, *target = NULL;
	struct job *job;
	int c, ret;

	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, "+h", longopts, NULL)) != -1) {
		if (c == 'h')
			return cmd_print_help(explain_help);
		if (c == 'c')
			crm = optarg;
		else if (c == 'm')
			target = optarg;
		else
			return cmd_usage_error(err, "explain", "unknown option "
					       "'%s'", argv[optind - 1]);
	}
	if (!crm && !target)
		return cmd_usage_error(err, "explain", "give --crm-id, "
				       "--member or --company");
	job = cmd_load_job(argc, argv, optind, "crmsync explain --crm-id ID "
			   "JOB.yaml", err);
	if (!job)
		return -1;
	ret = match_explain(job, crm, target, stdout, err) < 0 ? -1 : EXIT_OK;
	job_free(job);
	return ret;
}
