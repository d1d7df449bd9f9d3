/*
 * sf_ingest.h - Salesforce Bulk API 2.0 ingest jobs (the export stage's
 * writes, R40-R44).
 *
 * One job writes one CSV (at most INGEST_MAX_BYTES, kept under the 150 MB
 * base64 limit) into one object: create it (state Open), upload the CSV
 * once, close it (UploadComplete), poll with back-off until JobComplete,
 * Failed or Aborted, then fetch its three result files.  Salesforce
 * returns result rows in no particular order: the caller joins them back
 * by a key column it sent (sf_ingest knows nothing of keys).
 *
 * What is safe to send again, and why (the export's exactly-once rests
 * on it):
 *   - create: retried on transient failures.  A duplicate job stays Open
 *     and empty, and an Open job never processes anything.
 *   - upload (PUT): retried; an upload that did arrive makes a replay
 *     fail with INVALIDJOBSTATE, reported as such.  Callers abort the job
 *     on any upload failure: rows of an Open job are never written.
 *   - close (PATCH UploadComplete): retried; a replay after a lost answer
 *     is recognised by asking the job's state (not Open any more = closed).
 *   - abort, poll and results: idempotent.
 *
 * Ownership: struct ingest_info owns its error_message until
 * ingest_info_release().
 */
#ifndef CRMSYNC_SF_INGEST_H
#define CRMSYNC_SF_INGEST_H

#include <stddef.h>
#include <stdint.h>

#include "errors.h"
#include "sf_bulk.h"

/* Raw CSV per job: Salesforce takes 150 MB base64-encoded, so 100 MB. */
#define INGEST_MAX_BYTES (100u * 1024u * 1024u)

enum ingest_state {
	INGEST_OPEN,
	INGEST_UPLOAD_COMPLETE,
	INGEST_IN_PROGRESS,
	INGEST_JOB_COMPLETE,
	INGEST_FAILED,
	INGEST_ABORTED,
	INGEST_GONE,          /* 404: Salesforce no longer knows the job */
};

struct ingest_info {
	enum ingest_state state;
	long long processed;  /* numberRecordsProcessed, -1 when absent */
	long long failed;     /* numberRecordsFailed, -1 when absent */
	char *error_message;  /* errorMessage of a Failed job, or NULL */
	char *created_by;     /* createdById (the integration user), or NULL */
};

#define INGEST_INFO_INIT { INGEST_OPEN, -1, -1, NULL, NULL }

void ingest_info_release(struct ingest_info *info);

/* 1 for JobComplete, Failed and Aborted (results are final). */
int ingest_state_final(enum ingest_state s);

/* "Open", "UploadComplete", ... ("gone" for INGEST_GONE). */
const char *ingest_state_name(enum ingest_state s);

/*
 * Creates an ingest job writing `object` with `operation` ("insert" or
 * "upsert"; `ext_field` names the external id field for an upsert, else
 * NULL).  *job_id receives the id (caller frees).  Refusals (unknown
 * object, not an external id field) are ERR_DATA naming the object and
 * Salesforce's errorCode; 5xx/429 that outlive the retries ERR_TEMPFAIL.
 */
int ingest_create(struct bulk_ctx *b, const char *object,
		  const char *operation, const char *ext_field, char **job_id,
		  struct err *err);

/* Uploads the job's CSV (`len` bytes, at most INGEST_MAX_BYTES). */
int ingest_upload(struct bulk_ctx *b, const char *job_id, const char *csv,
		  size_t len, struct err *err);

/* Closes the job (UploadComplete): Salesforce starts processing it. */
int ingest_close(struct bulk_ctx *b, const char *job_id, struct err *err);

/* Aborts an Open or running job; a job already final or gone is fine. */
int ingest_abort(struct bulk_ctx *b, const char *job_id, struct err *err);

/* The job's state and counters (one GET); a 404 gives INGEST_GONE. */
int ingest_get(struct bulk_ctx *b, const char *job_id,
	       struct ingest_info *info, struct err *err);

/* One ingest job of the org's list (ingest_list()); borrowed strings,
 * valid during the callback only; NULL when absent. */
struct ingest_listed {
	const char *id, *object, *operation, *ext_field, *created_by;
	int64_t created_ms;        /* createdDate; -1 when unreadable */
	enum ingest_state state;   /* INGEST_GONE for a state not known */
};

/*
 * Lists the org's ingest jobs (GET jobs/ingest, following
 * nextRecordsUrl, at most 100 pages) and calls `fn` for each; `fn`
 * returns 0 to go on, -1 (err set) to stop.  Fails like ingest_get().
 */
int ingest_list(struct bulk_ctx *b,
		int (*fn)(void *ctx, const struct ingest_listed *job,
			  struct err *err),
		void *ctx, struct err *err);

/*
 * Polls the job with back-off (b->poll_base_ms doubling to
 * b->poll_max_ms) until a final state or INGEST_GONE.  Gives up with
 * ERR_TEMPFAIL after b->poll_timeout_s: the job keeps running and a later
 * cycle picks it up.  An Open job is returned at once (nobody closed it).
 */
int ingest_wait(struct bulk_ctx *b, const char *job_id,
		struct ingest_info *info, struct err *err);

enum ingest_result {
	INGEST_SUCCESSFUL,   /* sf__Id, sf__Created, the columns sent */
	INGEST_FAILED_ROWS,  /* sf__Id, sf__Error, the columns sent */
	INGEST_UNPROCESSED,  /* the columns sent */
};

/* "successfulResults", "failedResults", "unprocessedrecords": the
 * resource names, also the staged file names (+ ".csv.gz"). */
const char *ingest_result_name(enum ingest_result which);

/*
 * Called for each row of a result file with the header and the row.
 * Returns 0 to go on, -1 (err set) to stop.
 */
typedef int (*ingest_row_fn)(void *ctx, enum ingest_result which,
			     char *const *header, size_t ncols,
			     char *const *row, uint64_t line, struct err *err);

/*
 * Fetches one result file of a final job, stages it as gzip CSV at
 * `path` (atomically, same header and rows, as the staged dialect
 * quotes them) and calls `fn` for every row on the way.  *rows receives
 * the row count.  An empty body (no header) stages nothing.  A body that
 * is not well-formed CSV fails with ERR_TEMPFAIL naming the job and the
 * line: the next cycle fetches again (results stay for 7 days).
 */
int ingest_results(struct bulk_ctx *b, const char *job_id,
		   enum ingest_result which, const char *path,
		   ingest_row_fn fn, void *ctx, uint64_t *rows,
		   struct err *err);

#endif
