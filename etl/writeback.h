/*
 * writeback.h - the export stage: directory activities written back to
 * Salesforce as Task and Note records, exactly once (R40-R46).
 *
 * One cycle (export_run()):
 *   1. reads the seats input (each user's own writeback choice, kept
 *      with its UpdatedAt in the ledger, R41) and the activities input;
 *      malformed rows go to exports/rejects/ with the reason;
 *   2. settles the ingest jobs an earlier cycle left behind (a crash at
 *      any point) from Salesforce's answers and result files;
 *   3. decides each new activity by the rules: admin's global switch,
 *      users and types; the user's choice in force when the activity
 *      happened; owner through the seat map (R42); WhoId/ParentId
 *      through the links, an unassigned Task for an unmatched person,
 *      only notes on accounts (R43).  Decided rows are frozen in the
 *      ledger with exactly the schema's fields, cut to Salesforce's
 *      lengths on UTF-8 boundaries with a marker;
 *   4. sends the pending rows in ingest jobs and records the outcome.
 *
 * The ledger (store component "ledger", tables wb_*) holds each
 * activity's state:
 *   new        read, not decided yet
 *   held       waits for something (the seat's CRM user, a record to
 *              attach a note to); decided again every cycle
 *   skipped    never to be written (rules), with the reason
 *   pending    decided, row frozen, to be sent
 *   submitted  in ingest job job_id (recorded before its upload)
 *   written    Salesforce created it: sf_id
 *   failed     refused for good (sf__Error) or outcome unknown; kept
 *              for the admin, never retried by itself
 * wb_activities holds the states, wb_payloads the texts (subject, body,
 * the row as sent), wb_jobs the ingest jobs, wb_prefs the users'
 * choices, wb_intents the creates not known to have made one recorded
 * job (swept by the next cycle: jobs created but never recorded are
 * aborted).  Only this module writes these tables.  A row is "submitted" before a
 * byte of it reaches Salesforce, and a job is settled only from
 * Salesforce's own account (job state, result files), in one
 * transaction: so nothing is sent twice and nothing is lost, whatever
 * moment a crash picks (see README "Export").
 *
 * Ownership: export_result holds no pointers.
 */
#ifndef CRMSYNC_WRITEBACK_H
#define CRMSYNC_WRITEBACK_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sqlite3.h>

#include "errors.h"
#include "job.h"
#include "stage.h"
#include "strbuf.h"

struct export_options {
	size_t max_bytes;   /* CSV bytes per ingest job; 0: INGEST_MAX_BYTES */
	/* export_test() only: */
	int test_types[WB_NTYPES];  /* the activity types to write */
	const char *test_owner;     /* their OwnerId; NULL: see export_test() */
};

struct export_result {
	int skipped_stage;      /* the run's export stage was complete */
	int disabled;           /* writeback.enabled is false */
	int sent;               /* 0 with a fixture source: nothing sent */
	uint64_t read;          /* activity rows read */
	uint64_t rejected;      /* activity and seat rows rejected */
	uint64_t added;         /* activities new to the ledger */
	uint64_t skipped;       /* decided not to write this cycle */
	uint64_t held;          /* waiting, after this cycle */
	uint64_t pending;       /* to send, after this cycle */
	uint64_t staged;        /* rows in request files this cycle */
	uint64_t jobs;          /* ingest jobs created */
	uint64_t written;       /* newly written */
	uint64_t failed;        /* newly failed for good */
	uint64_t retried;       /* back to pending (transient) */
	uint64_t cut;           /* fields cut to length this cycle */
	uint64_t api_calls;
};

/*
 * Runs one export cycle in stage "exports" of `run` (see above).  Fails
 * with the class of what failed: ERR_CONFIG/ERR_NOINPUT for the inputs,
 * ERR_DATA for a structurally broken input, ERR_NOPERM for a refused or
 * revoked token, ERR_TEMPFAIL when Salesforce is unavailable (the ledger
 * stays consistent: the next cycle goes on from where this one stopped).
 */
int export_run(const struct job *job, const struct run *run,
	       const struct export_options *opt, struct export_result *res,
	       struct err *err);

/*
 * Test writeback (R46), in stage "exports" of `run`: inserts a contact
 * named "crmsync Test" (the one person crmsync ever creates, at the
 * admin's request) and one activity of each type in opt->test_types on
 * it (Tasks with WhoId, the Note with ParentId = the contact), each in
 * an ingest job of its own, staged under exports/<job id>/ with its
 * result files, and prints "<what> <object> <Id>" lines to `out` as
 * they are created.  The owner is opt->test_owner, else the first
 * writeback user named by User Id, else the first whose email the seat
 * map maps.  The ledger is not touched.  Fails with ERR_CONFIG for a
 * fixture source or when no owner is known, ERR_DATA when Salesforce
 * refuses a record (its sf__Error quoted), else as export_run().
 */
int export_test(const struct job *job, const struct run *run,
		const struct export_options *opt, struct export_result *res,
		FILE *out, struct err *err);

/* ---- pieces, exposed for the unit tests ----------------------------------- */

/* Marker appended to text cut to a field's length. */
#define WB_CUT_MARKER " [truncated]"

/*
 * Appends `s` to `out`, cut when longer than `limit` characters
 * (counted as Salesforce does, in UTF-16 code units) to a UTF-8
 * boundary, with WB_CUT_MARKER so that the whole fits `limit`.  Returns
 * 1 when it cut, 0 otherwise.  `s` must be valid UTF-8.  Can't fail.
 */
int wb_cut(struct strbuf *out, const char *s, size_t limit);

/* Appends `v` as one CSV value (quoted when it holds , " CR or LF). */
void wb_csv_value(struct strbuf *out, const char *v);

/* 1 when an sf__Error ("UNABLE_TO_LOCK_ROW:...") is worth a retry. */
int wb_error_transient(const char *sf_error);

#endif
