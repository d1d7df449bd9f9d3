/*
 * sf_bulk.h - Salesforce Bulk API 2.0 query jobs (R12).
 *
 * One query job per object and run: create it (queryAll, so deleted
 * records arrive with IsDeleted true), poll it with back-off until
 * JobComplete, then page through the results with maxRecords and the
 * Sforce-Locator header until its literal value "null".  Each page is a
 * CSV file with its own header row, written by the caller's sink.
 *
 * Retries: creating a query job is retried on transient failures (a
 * duplicate query job reads, it never writes); polling and result pages
 * are plain GETs.
 */
#ifndef CRMSYNC_SF_BULK_H
#define CRMSYNC_SF_BULK_H

#include "errors.h"
#include "sf_auth.h"

struct bulk_ctx {
	struct sf_session *session;
	const char *api_version;  /* "62.0" */
	double budget_share;      /* stop before this share of daily API use */
	long poll_base_ms;        /* first poll interval, doubles to poll_max_ms */
	long poll_max_ms;
	long poll_timeout_s;      /* give up (ERR_TEMPFAIL) after this long */
	/* filled from Sforce-Limit-Info as answers arrive */
	long long api_used, api_max;
};

/*
 * Creates a query job for `soql`.  *job_id receives the new id (caller
 * frees).  Salesforce's refusals (unknown object or field: INVALIDJOB)
 * are ERR_DATA naming `object` and the errorCode.
 */
int bulk_query_create(struct bulk_ctx *b, const char *object,
		      const char *soql, char **job_id, struct err *err);

/*
 * Polls job `job_id` until JobComplete.  Failed or Aborted jobs are
 * ERR_TEMPFAIL with *ended_badly set (a new job may succeed); a job Salesforce no longer knows
 * (deleted after 7 days) is ERR_NOINPUT so the caller can start afresh.
 */
int bulk_query_wait(struct bulk_ctx *b, const char *object,
		    const char *job_id, int *ended_badly, struct err *err);

/*
 * Fetches one results page (the first when `locator` is NULL) of at most
 * `max_records` rows (0: the server's choice) into `sink`.  *next gets
 * the next locator, or NULL after the last page; *records the
 * Sforce-NumberOfRecords of the page (-1 if absent).
 */
int bulk_query_page(struct bulk_ctx *b, const char *object,
		    const char *job_id, const char *locator, long max_records,
		    int (*sink)(void *, const void *, size_t),
		    int (*sink_reset)(void *), void *sink_ctx, char **next,
		    long long *records, struct err *err);

/* Deletes a finished job (best effort housekeeping). */
int bulk_query_delete(struct bulk_ctx *b, const char *job_id,
		      struct err *err);

/*
 * Sends `req` (a path on the instance) on the session after the budget
 * check and notes the Sforce-Limit-Info of the answer; returns as
 * sf_call().  For the other Bulk API clients (sf_ingest.c).
 */
int bulk_call(struct bulk_ctx *b, struct http_request *req,
	      struct http_response *resp, struct err *err);

/*
 * Checks the API budget from the last Sforce-Limit-Info seen: fails with
 * ERR_TEMPFAIL once api_used reaches budget_share of api_max, so a sync
 * never eats the org's whole daily allowance.
 */
int bulk_budget_check(const struct bulk_ctx *b, struct err *err);

#endif
