/*
 * stage.h - the staging tree: runs, stages, manifests, the job lock.
 *
 *   <staging_root>/<job>/
 *     state/                  what outlives a run (mirror, watermarks, lock)
 *     runs/<run-id>/<stage>/  what one run's stage wrote, plus manifest.csv
 *     runs/<run-id>/run.csv   written when every stage of the run is done
 *
 * A stage directory is complete when its manifest.csv exists and checks
 * out; the manifest is always written last, atomically, so a stage that
 * died half-way has no manifest and is redone.  Files inside are
 * published atomically too (csvio.h), so none ever looks complete early.
 *
 * manifest.csv (plain CSV, schema staged/manifest) has one row per file:
 *   kind     output | rejects | input
 *   path     relative to the stage directory (inputs too, e.g.
 *            "../../../state/mirror/Lead.csv.gz"), so a staging tree can
 *            be moved or copied and still verified
 *   schema   group/name of the file's schema ("salesforce/Lead")
 *   rows     data rows (for an input: records read)
 *   rejected rows rejected (inputs: records that went to rejects)
 *   bytes    size on disk
 *   sha256   of the bytes on disk
 * a row of kind "api_calls" (path "salesforce", rows = requests sent)
 * when the stage talked to Salesforce, and a last row of kind
 * "manifest" whose sha256 covers every byte of the file before that
 * row, so a flipped byte anywhere is caught.
 */
#ifndef CRMSYNC_STAGE_H
#define CRMSYNC_STAGE_H

#include <stdint.h>

#include "csvio.h"
#include "errors.h"
#include "job.h"

/*
 * csvr_open() flags for an input named `path`: a name ending in ".gz"
 * must hold gzip (a plain file under a .gz name is refused, so a file
 * that was never compressed, or was decompressed in place, is caught);
 * other names are detected by content.
 */
unsigned staged_read_flags(const char *path);

/* ---- the job lock ------------------------------------------------------ */

struct job_lock;

/*
 * Takes the job's exclusive lock (flock on state/lock), creating the
 * staging directories as needed.  Another process holding it fails with
 * ERR_TEMPFAIL naming its pid; an unwritable staging root with
 * ERR_CANTCREAT.  The lock dies with the process, so a kill -9 never
 * leaves the job locked.
 */
struct job_lock *job_lock_acquire(const struct job *job, struct err *err);
void job_lock_release(struct job_lock *lock);

/* state/ of the job; caller frees. */
char *job_state_dir(const struct job *job);

/* ---- runs ---------------------------------------------------------------- */

struct run {
	char *id;  /* 20261129T201500Z */
	char *dir; /* <staging>/<job>/runs/<id> */
};

/*
 * Creates a new run directory.  `id` NULL takes the id from the clock
 * (timeutil.h); an id already used gets "-2", "-3"... appended.  An
 * explicit `id` must be [A-Za-z0-9_.-]+.
 */
struct run *run_create(const struct job *job, const char *id,
		       struct err *err);

/* Opens an existing run by id (ERR_NOINPUT when absent). */
struct run *run_open(const struct job *job, const char *id, struct err *err);

/*
 * The most recent run (by id order) or NULL with err->cls == ERR_OK when
 * the job has none.
 */
struct run *run_latest(const struct job *job, struct err *err);

/* 1 when run.csv exists (every stage done). */
int run_is_complete(const struct run *run);

/*
 * Writes run.csv: one row per stage (stage, outputs, rows, rejected,
 * api_calls) with no wall-clock value in it, so reruns stay identical.
 * `stages` is a NULL-terminated list of stage names that ran.
 */
int run_finish(const struct run *run, const char *const *stages,
	       struct err *err);

void run_free(struct run *run);

/* ---- stages -------------------------------------------------------------- */

struct stage;

/*
 * Starts stage `name` of `run`.  Returns 1 with *out NULL when the stage
 * already has a valid manifest (nothing to do), 0 with a stage ready to
 * receive files (leftovers of an interrupted attempt are removed first),
 * -1 on error.
 */
int stage_begin(const struct run *run, const char *name, struct stage **out,
		struct err *err);

/* Directory of the stage. */
const char *stage_dir(const struct stage *st);

/* "<stage dir>/<rel>"; caller frees. */
char *stage_path(const struct stage *st, const char *rel);

/* Records a committed file; `rel` is relative to the stage directory. */
void stage_add_output(struct stage *st, const char *rel, const char *schema,
		      const struct csv_file_info *info);

/*
 * Opens the staged file `rel` of the stage for writing, with the header
 * of schema staged/<schema> and csvw_open()'s `flags`.  The caller owns
 * the writer: hand it to stage_commit_output(), or csvw_abort() it.
 * Fails with ERR_SOFTWARE for an unknown schema, else as csvw_open().
 */
struct csv_writer *stage_open_output(struct stage *st, const char *rel,
				     const char *schema, unsigned flags,
				     struct err *err);

/*
 * Commits writer `w` (which it consumes, success or not) and records the
 * file in the manifest as an output of schema staged/<schema>.  Fails as
 * csvw_commit().
 */
int stage_commit_output(struct stage *st, struct csv_writer *w,
			const char *rel, const char *schema, struct err *err);
void stage_add_rejects(struct stage *st, const char *rel,
		       const char *schema, const struct csv_file_info *info);

/* Records an input read by the stage (any path; stored relative to the
 * stage directory). */
int stage_add_input(struct stage *st, const char *path, const char *schema,
		    uint64_t rows, uint64_t rejected, uint64_t bytes,
		    const char *sha256, struct err *err);

/* Records an input that is not a file (a Salesforce results page):
 * `name` must contain "://" or start with "salesforce:"; verify lists
 * it but cannot re-read it. */
void stage_add_remote_input(struct stage *st, const char *name,
			    const char *schema, uint64_t rows,
			    uint64_t rejected, uint64_t bytes,
			    const char *sha256);

/* Records how many HTTP requests the stage sent to Salesforce (R12): a
 * row of kind "api_calls" whose rows column holds the count. */
void stage_add_api_calls(struct stage *st, uint64_t calls);

/* Writes manifest.csv (last, atomically) and frees `st`, whatever the
 * outcome. */
int stage_commit(struct stage *st, struct err *err);

/* Frees a stage that will not be committed; its files stay, without a
 * manifest, and the next attempt removes them.  NULL is a no-op. */
void stage_abandon(struct stage *st);

/* Writes manifest.csv for an arbitrary directory of files (state/mirror);
 * same format.  Entries are given as for a stage. */
struct stage *stage_for_dir(const char *dir);

/* ---- verification ------------------------------------------------------ */

enum verify_severity { VERIFY_OK, VERIFY_NOTE, VERIFY_FAIL };

typedef void (*verify_report_fn)(void *ctx, enum verify_severity sev,
				 const char *what);

/*
 * Recomputes a manifest: the self hash, then for every output and rejects
 * file its size, SHA-256 and (for staged CSV) its rows and header against
 * the schema; files in the directory that the manifest does not list are
 * failures too.  Inputs that changed or vanished since are reported as
 * notes only: fixture files and the mirror legitimately move on.
 * Each finding goes to `report`.  Returns the number of failures, or -1
 * when the manifest itself cannot be read (err set).
 */
int manifest_verify(const char *dir, verify_report_fn report, void *ctx,
		    struct err *err);

/* 1 when `dir/manifest.csv` exists and its self hash matches and every
 * listed output exists with its recorded size (the cheap check used to
 * skip complete stages). */
int manifest_quick_check(const char *dir);

#endif
