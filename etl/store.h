/*
 * store.h - the SQLite store: state/store.db, what the directory side
 * serves from (badges, contact info, in-CRM flags, saves, seat map) and
 * the ledgers of the stages that write it.
 *
 * One file per job, <staging root>/<job>/state/store.db, opened in WAL
 * mode with foreign keys on.  The load stage is the only writer of the
 * core tables; the export stage owns its ledger tables.  Each writer
 * applies its changes in one transaction (store_begin() is BEGIN
 * IMMEDIATE), so a crash at any moment leaves the store as it was before
 * or after, never between.
 *
 * Schema versions are kept per component in
 *   schema_version(component TEXT PRIMARY KEY, version INTEGER)
 * and advanced by store_migrate(): a component's schema is a list of
 * steps (SQL scripts), and version N means steps[0..N-1] were applied.
 * The core tables are component "core" (STORE_CORE_VERSION steps, applied
 * by store_open()); a file whose version of a component is greater than
 * the steps this build knows was written by a newer crmsync and is
 * refused rather than misread.
 *
 * Core tables (names and columns are a contract with the export stage;
 * more columns may be added by later steps, none removed):
 *   links(kind 'person'|'account', target_id, crm_object, crm_id, score,
 *         manual, badge_url, run_id)
 *         PRIMARY KEY (kind, target_id): a profile or company page links
 *         to one CRM record (R21); the badge (R30) is badge_url; a person
 *         with a row is "in CRM" (R31, also the view in_crm)
 *   contact_info(crm_object, crm_id, email, phone, run_id)
 *         PRIMARY KEY (crm_object, crm_id): one row per Lead or Contact
 *         a person links to (core version 2; version 1 had email and
 *         phone in links); email and phone are the CRM's contact info
 *         (R32), encrypted when the job has a key (R4, crypto.h pii_*,
 *         context "<column>:<crm_id>")
 *   seats(seat_id, user_id, mapped_by 'email'|'name'|NULL, seat_email,
 *         seat_name, user_name, run_id)      the seat map (R34)
 *   saves(user_id, kind, target_id, crm_object, crm_id, opportunity_id,
 *         opportunity_name, amount, seat_id, run_id)           the auto-save ledger (R33):
 *         rows are only ever inserted; triggers refuse DELETE and UPDATE
 *   loads(run_id, generation, ...)           one row per applied load
 *   meta(key, value)                         instance_url, key_check,
 *                                            generation, links, input:*
 *
 * Checking: a store crmsync closed cleanly is sealed ("<path>.seal" holds
 * the file's device, inode, size and ctime); store_open() runs PRAGMA
 * quick_check only when the seal is missing or does not match the file
 * (a crash, a WAL left behind, any write that bypassed crmsync), and a
 * connection removes the seal before its first commit.  The full
 * integrity_check is store_integrity_check() (`crmsync verify JOB`).
 */
#ifndef CRMSYNC_STORE_H
#define CRMSYNC_STORE_H

#include <sqlite3.h>
#include <stddef.h>

#include "errors.h"

/* Steps of the "core" component known to this build. */
#define STORE_CORE_VERSION 2

struct store;

/*
 * Opens the store at `path`, creating it (and nothing else: the
 * directory must exist) when `create` is set.  Sets WAL mode, foreign
 * keys and a busy timeout, runs PRAGMA quick_check unless the seal
 * vouches for the file (see above) and refuses a damaged
 * file (ERR_DATA naming it: it is reported, never silently rebuilt),
 * then applies the core migrations.  A missing file without `create` is
 * ERR_NOINPUT; a file written by a newer crmsync is ERR_DATA saying so;
 * a file that is not a database at all is ERR_DATA.  `*out` receives the
 * store, to be closed with store_close().
 */
int store_open(const char *path, int create, struct store **out,
	       struct err *err);

/* Closes the store (a transaction still open is rolled back) and, when
 * this was the last connection and the file passed the open's check,
 * seals it.  NULL is a no-op. */
void store_close(struct store *s);

/* The connection, borrowed, for modules owning their own tables. */
sqlite3 *store_db(struct store *s);

/* The path given to store_open(). */
const char *store_path(const struct store *s);

/* BEGIN IMMEDIATE (the write lock is taken at once; a busy store fails
 * with ERR_TEMPFAIL after the busy timeout). */
int store_begin(struct store *s, struct err *err);
int store_commit(struct store *s, struct err *err);
/* Rolls back the open transaction, if any.  Can't fail. */
void store_rollback(struct store *s);

/*
 * Brings component `component` to version `nsteps`: applies
 * steps[version..nsteps-1], each in its own transaction together with
 * the new version number.  A component recorded with a version greater
 * than `nsteps` fails with ERR_DATA ("written by a newer crmsync"); a
 * failing step with ERR_DATA naming the component and step.  Must be
 * called outside a transaction.
 */
int store_migrate(struct store *s, const char *component,
		  const char *const *steps, size_t nsteps, struct err *err);

/* Version of `component` recorded in the store (0: none).  -1 on error. */
long store_version(struct store *s, const char *component, struct err *err);

/*
 * PRAGMA integrity_check (the thorough one; store_open() runs the quick
 * one).  0 when the file is sound, else -1 with ERR_DATA quoting
 * SQLite's first finding.
 */
int store_integrity_check(struct store *s, struct err *err);

/* Runs a script of SQL statements without results. */
int store_exec(struct store *s, const char *sql, struct err *err);

/* Prepares one statement (ERR_SOFTWARE when it does not compile: the
 * SQL is ours). */
sqlite3_stmt *store_prepare(struct store *s, const char *sql,
			    struct err *err);

/*
 * Fills `err` from the connection's last error, prefixed with `what`:
 * SQLITE_BUSY/LOCKED -> ERR_TEMPFAIL, FULL/IOERR -> ERR_IO,
 * CORRUPT/NOTADB -> ERR_DATA, CANTOPEN/READONLY/PERM -> ERR_CANTCREAT,
 * anything else ERR_SOFTWARE.  The message names the store file.
 * Returns -1.
 */
int store_error(struct store *s, struct err *err, const char *what);

/* meta(key) as a new string, NULL when absent (or on error, err set). */
char *store_meta_get(struct store *s, const char *key, struct err *err);
int store_meta_set(struct store *s, const char *key, const char *value,
		   struct err *err);

#endif
