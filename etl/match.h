/*
 * match.h - the match stage: links CRM people and accounts to directory
 * profiles and company pages (R20-R23).
 *
 * For each model of the job (people: Lead and Contact to members;
 * accounts: Account to companies) the stage reads the whole CRM mirror
 * (state/mirror/) and the directory file, normalises every record once
 * (match_prep.h), forms candidate pairs by blocking (pairs agreeing on
 * every field of at least one rule; over-full blocks skipped), scores
 * them (the match weight: log2 prior odds plus one log2 Bayes factor per
 * comparison, Fellegi-Sunter as in Splink), applies the manual
 * corrections (R22) and resolves links one-to-one (R21):
 *
 *   1. manual links first, the most recent correction winning a profile
 *      or a CRM record claimed twice;
 *   2. then model pairs with score >= threshold, in descending score,
 *      ties broken by CRM Id then profile Id (byte order); a pair is
 *      linked when neither side is linked yet and no unlink forbids it.
 *
 * So each profile goes to its best-scoring CRM record, a deliberate CRM
 * duplicate loses to the better one, and the result never depends on
 * input order.  It writes, under runs/<id>/match/:
 *   person_matches.csv.gz, account_matches.csv.gz   the links, with each
 *                                                   comparison's weight
 *   person_candidates.csv.gz, account_candidates.csv.gz
 *                       the audit: the best candidates of every CRM
 *                       record with their similarities and weights, and
 *                       what became of each
 *   match_rate.csv.gz   per object: records, matched, rate (R23)
 *   match_histogram.csv.gz  best score per CRM record, by score band
 *   match_blocking.csv.gz   per rule: blocks, pairs, skipped blocks,
 *                       reduction ratio
 *   unapplied_corrections.csv.gz  corrections naming a record that is
 *                       gone (deleted in the CRM, or an unknown profile)
 *   rejects/overrides.csv.gz  correction rows that are malformed
 * Manual corrections accumulate in state/overrides.csv.
 */
#ifndef CRMSYNC_MATCH_H
#define CRMSYNC_MATCH_H

#include <stdint.h>
#include <stdio.h>

#include "errors.h"
#include "job.h"
#include "stage.h"

struct match_side_result {
	int enabled;
	uint64_t crm_records;  /* CRM records considered */
	uint64_t crm_skipped;  /* converted leads and the like */
	uint64_t profiles;     /* directory records read */
	uint64_t pairs;        /* candidate pairs scored */
	uint64_t links;        /* links written */
	uint64_t manual;       /* of which manual */
};

struct match_result {
	int skipped; /* the stage was already complete in this run */
	struct match_side_result people, accounts;
	uint64_t overrides_rejected;    /* malformed correction rows */
	uint64_t corrections_unapplied; /* valid, but naming a gone record */
};

/*
 * Runs the match stage of `run` (the caller holds the job lock and the
 * extract stage has committed).  Fails with ERR_NOINPUT when the mirror
 * or a directory file is missing, ERR_DATA on malformed input (file and
 * line named), ERR_IO on write failures.
 */
int match_run(const struct job *job, const struct run *run,
	      struct match_result *res, struct err *err);

/*
 * `crmsync explain`: prints to `out` the candidates of CRM record
 * `crm_id` (or the CRM records scoring at or above the threshold with
 * profile `target_id`; both: that one pair) with each comparison's
 * values, similarity and weight, the blocking rules that paired them,
 * and what the one-to-one resolution made of each.  Reads the same
 * inputs as match_run() and writes nothing.  ERR_NOINPUT when neither Id
 * is known.
 */
int match_explain(const struct job *job, const char *crm_id,
		  const char *target_id, FILE *out, struct err *err);

/* What `crmsync train` estimates with. */
/* Where `crmsync train` takes the m probabilities from. */
enum train_m {
	TRAIN_M_CONFIDENT, /* pairs the job's weights are sure of without
			    * the comparison being estimated (default) */
	TRAIN_M_EM,        /* expectation-maximisation per blocking rule */
};

struct train_options {
	const char *model;     /* "people" or "accounts"; NULL: both */
	uint64_t sample;       /* random pairs for u */
	unsigned iterations;   /* at most this many EM rounds */
	uint64_t seed;         /* of the random pairs */
	enum train_m m_from;
};

/*
 * `crmsync train`: estimates each comparison level's u from random pairs
 * of CRM records and profiles (nearly all non-matches), then its m
 * (o->m_from): from the blocked pairs whose score without that
 * comparison is at least TRAIN_CONFIDENT_BITS under the job's weights,
 * or by expectation-maximisation over the blocked pairs (the
 * non-matches' own distribution among them estimated alongside, and
 * dropped), and prints to `out` a `match:` fragment with the job's
 * comparisons and the estimated m and u, to paste into the job file.
 * Reads the mirror and the directory inputs; writes nothing.  Fails as
 * match_run() does when an input is missing or malformed, ERR_CONFIG
 * when there is no such model.
 */
int match_train(const struct job *job, const struct train_options *o,
		FILE *out, struct err *err);

#endif
