/*
 * cmd_train.c - `crmsync train JOB`: estimates the match weights (m and
 * u of every comparison level) from the data and prints a job-file
 * fragment.
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cmd.h"
#include "match.h"

static const char train_help[] =
	"usage: crmsync train [--model people|accounts] [--sample N]\n"
	"                     [--m-from confident|em] [--iterations N]\n"
	"                     [--seed N] JOB.yaml\n"
	"\n"
	"Estimates the weights of the job's match comparisons from the data:\n"
	"each level's u from random pairs of CRM records and profiles (nearly\n"
	"all of them non-matches), then its m from the pairs the blocking\n"
	"rules form: by default from those the job's weights are sure of\n"
	"(odds of 1000 to 1) without the comparison being estimated, or by\n"
	"expectation-maximisation (--m-from em).  Prints a\n"
	"'match:' fragment with the comparisons and their m and u, to paste\n"
	"into the job file, and how many matches it expects.  Reads the\n"
	"mirror (run the extract first) and the directory inputs; writes\n"
	"nothing.  The same data and seed print the same fragment.\n"
	"\n"
	"  --model NAME      only this model (default: both)\n"
	"  --sample N        random pairs for u (default 1000000)\n"
	"  --m-from HOW      confident (default) or em\n"
	"  --iterations N    at most N EM rounds (default 50)\n"
	"  --seed N          seed of the random pairs (default 1)\n"
	"  -h, --help        this help\n";

int cmd_train(int argc, char **argv, struct err *err)
{
	static const struct option longopts[] = {
		{ "model", required_argument, NULL, 'm' },
		{ "sample", required_argument, NULL, 's' },
		{ "iterations", required_argument, NULL, 'i' },
		{ "seed", required_argument, NULL, 'S' },
		{ "m-from", required_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct train_options o = { NULL, 1000000, 50, 1, TRAIN_M_CONFIDENT };
	struct job *job;
	long v;
	int c, ret;

	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, "+h", longopts, NULL)) != -1) {
		switch (c) {
		case 'h':
			return cmd_print_help(train_help);
		case 'm':
			if (strcmp(optarg, "people") && strcmp(optarg, "accounts"))
				return cmd_usage_error(err, "train", "--model "
						       "takes people or "
						       "accounts, not '%s'",
						       optarg);
			o.model = optarg;
			break;
		case 'f':
			if (strcmp(optarg, "confident") && strcmp(optarg, "em"))
				return cmd_usage_error(err, "train", "--m-from "
						       "takes confident or "
						       "em, not '%s'",
						       optarg);
			o.m_from = strcmp(optarg, "em") ? TRAIN_M_CONFIDENT :
				   TRAIN_M_EM;
			break;
		case 's':
		case 'i':
		case 'S':
			if (cmd_parse_long(argv[optind - 1], optarg, &v, err) < 0)
				return -1;
			if (c == 's')
				o.sample = (uint64_t)v;
			else if (c == 'i')
				o.iterations = (unsigned)(v > 100000 ? 100000 : v);
			else
				o.seed = (uint64_t)v;
			break;
		default:
			return cmd_usage_error(err, "train", "unknown option "
					       "'%s'", argv[optind - 1]);
		}
	}
	job = cmd_load_job(argc, argv, optind, "crmsync train JOB.yaml", err);
	if (!job)
		return -1;
	ret = match_train(job, &o, stdout, err) < 0 ? -1 : EXIT_OK;
	job_free(job);
	return ret;
}
