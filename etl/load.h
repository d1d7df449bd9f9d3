/*
 * load.h - the load stage: the run's matches into the store (R30-R34).
 *
 * Load = diff and apply.  The stage reads the run's links
 * (match/person_matches, match/account_matches), the CRM mirror (contact
 * info of Leads and Contacts, open Opportunities and their contact roles,
 * Users) and the directory's seats file, compares them with the store
 * and stages the difference under runs/<id>/load/ as change sets:
 *
 *   badges.csv.gz        badges and in-CRM flags added, removed, changed
 *   contact_info.csv.gz  email and phone of linked Leads and Contacts
 *                        added, changed, removed (store table contact_info)
 *   saves.csv.gz         auto-saves added (never removed, R33)
 *   alerts.csv.gz        the new saves per owner, ranked by amount
 *   seats.csv.gz         seat-map changes (R34)
 *   summary.csv.gz       the store generation they apply to, counts
 *   inputs.csv.gz        identities of the inputs (SHA-256 of the matches
 *                        and of the mirror's Contact and Lead files, the
 *                        instance URL and key fingerprint)
 *   manifest.csv         written last
 *
 * The store records the input identities with each load; an input whose
 * identity is unchanged since the last load cannot bring a change and is
 * not read (same matches: no link diff, the store holds exactly those
 * links; same mirror file too: no contact-info diff).
 *
 * Then it applies them to state/store.db in ONE transaction that also
 * records the run in the loads table.  Order matters for crashes: the
 * change sets are committed (manifest) before the store is touched, and
 * the store commit is atomic, so a kill -9 at any moment leaves the store
 * before or after the load; the rerun either recomputes the change sets
 * (no manifest yet) or applies the staged ones (manifest, run not in
 * loads) and ends in the same state as an uninterrupted run.  A run
 * already in loads is skipped: loading the same run twice changes
 * nothing.  Staged change sets computed against an older generation of
 * the store than the current one are recomputed, never applied.
 *
 * Contact info is encrypted (crypto.h pii_*) when the job has
 * security.encryption_key_file; the store remembers the key's
 * fingerprint and refuses another key (or none).
 */
#ifndef CRMSYNC_LOAD_H
#define CRMSYNC_LOAD_H

#include <stdint.h>

#include "errors.h"
#include "job.h"
#include "stage.h"

struct load_result {
	int skipped;       /* this run was already applied to the store */
	int resumed;       /* staged change sets of an interrupted attempt
			    * were applied */
	uint64_t links;    /* links in the store afterwards */
	uint64_t badges_added, badges_removed, badges_changed;
	uint64_t contact_changed;
	uint64_t saves_added;
	uint64_t seats_changed, seats_mapped, seats_by_name, seats_unmapped;
	uint64_t generation;
};

/*
 * Runs the load stage of `run` (the caller holds the job lock; the run's
 * match stage must be complete: ERR_NOINPUT otherwise).  Fails with
 * ERR_DATA on malformed inputs (file and line named) or a damaged store,
 * ERR_CONFIG for an unusable or wrong encryption key, ERR_IO on write
 * failures; the store is then untouched.
 */
int load_run(const struct job *job, const struct run *run,
	     struct load_result *res, struct err *err);

/* state/store.db of the job; caller frees. */
char *load_store_path(const struct job *job);

/*
 * Opens the job's store for reading commands (lookup, report, status).
 * ERR_NOINPUT when the job has never loaded.  With `key` non-NULL, also
 * loads the job's encryption key (NULL when the job has none) and checks
 * it against the store.
 */
struct store;
struct pii_key;
int load_open_store(const struct job *job, struct store **out,
		    struct pii_key **key, struct err *err);

#endif
