/*
 * extract.h - the extract stage: CRM records changed since the last
 * successful sync, staged as deltas and merged into the mirror.
 *
 * For each object of the job, extract selects the schema's fields, keeps
 * the records whose LastModifiedDate is after the watermark minus the
 * look-back (all of them on a full import), and writes
 *   runs/<id>/extract/<Object>.csv.gz          the delta, as received
 *   runs/<id>/extract/rejects/<Object>.csv.gz  rows that failed checks
 *   runs/<id>/extract/sync.csv.gz              per object: mode, since,
 *                                              rows read/selected/rejected
 * then the manifest.  Only then is state/ touched: each delta is merged
 * into state/mirror/<Object>.csv.gz (mirror.h), the mirror's manifest is
 * rewritten, and last state/sync.csv moves the watermarks.  Every step of
 * that commit is idempotent, so a run that died anywhere is finished by
 * running it again (`crmsync run` resumes the latest unfinished run).
 *
 * Sources: a fixture directory (CSV files exactly as the Bulk API returns
 * query results: <Object>.csv or <Object>.csv.gz), or Salesforce.
 */
#ifndef CRMSYNC_EXTRACT_H
#define CRMSYNC_EXTRACT_H

#include <stdint.h>

#include "errors.h"
#include "job.h"
#include "stage.h"

struct extract_options {
	int full;          /* ignore watermarks: full import, mirror rebuilt */
	long max_rejects;  /* fail when more rows are rejected; -1: no limit */
};

struct extract_result {
	int skipped;        /* the stage was already complete in this run */
	uint64_t read;      /* records read from the source */
	uint64_t selected;  /* records staged as deltas */
	uint64_t rejected;  /* records sent to rejects */
	uint64_t api_calls; /* HTTP requests to Salesforce (R12) */
	uint64_t upserts, deletes; /* mirror changes of the commit */
};

/*
 * Runs the extract stage of `run` and commits it into state/.  The
 * caller holds the job lock.  Fails with ERR_NOINPUT when a source file
 * is missing, ERR_DATA when a file is malformed or more than max_rejects
 * rows were rejected (nothing is committed to state/ then), ERR_IO or
 * ERR_CANTCREAT on write failures.
 */
int extract_run(const struct job *job, const struct run *run,
		const struct extract_options *opt, struct extract_result *res,
		struct err *err);

/* The fixture file of `object` in `dir` (<Object>.csv.gz or .csv), or
 * NULL with ERR_NOINPUT; caller frees. */
char *fixture_file(const char *dir, const char *object, struct err *err);

#endif
