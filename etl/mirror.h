/*
 * mirror.h - the CRM mirror: one gzip CSV per object in state/mirror/,
 * sorted by Id, holding the newest known version of every live record.
 *
 * Each extract merges its deltas into the mirror: for every Id the
 * version with the greatest LastModifiedDate wins (on a tie the delta
 * beats the mirror and a later delta row beats an earlier one); a winner
 * with IsDeleted true removes the record (R13).  Merging the same delta
 * twice gives the same mirror, which is what makes a resumed extract
 * safe.  Memory is bounded: deltas larger than a chunk are sorted in
 * pieces spilled to temporary files and merged.
 */
#ifndef CRMSYNC_MIRROR_H
#define CRMSYNC_MIRROR_H

#include <stdint.h>

#include "csvio.h"
#include "errors.h"
#include "schema.h"

struct mirror_stats {
	uint64_t delta_rows;  /* rows read from the delta */
	uint64_t upserts;     /* Ids whose mirror row was added or replaced */
	uint64_t deletes;     /* Ids removed because the winner is deleted */
	uint64_t rows;        /* rows in the new mirror */
	struct csv_file_info info; /* of the new mirror file */
};

/*
 * Writes to `out` the merge of `old_mirror` (NULL or a missing file: an
 * empty mirror, as after --full) and `delta`, both of schema `s` (which
 * must have Id, LastModifiedDate and IsDeleted).  Spill files go to
 * `tmpdir` and are removed.  `out` is published atomically and may be
 * the same path as `old_mirror`.  Fails with ERR_DATA on a malformed
 * input (naming file and line), ERR_IO on write errors.
 */
int mirror_merge(const struct schema *s, const char *old_mirror,
		 const char *delta, const char *out, const char *tmpdir,
		 struct mirror_stats *stats, struct err *err);

/*
 * Writes to `out` the mirror of a full import whose delta is already in
 * strictly increasing Id order: the delta's rows less the deleted ones,
 * in one pass.  The caller has checked the order (the extract stage
 * records it); a row out of order is ERR_SOFTWARE.
 */
int mirror_from_sorted(const struct schema *s, const char *delta,
		       const char *out, struct mirror_stats *stats,
		       struct err *err);

/*
 * The flags of every writer of a mirror file: the fast level, since each
 * extract writes the whole mirror again (a full one compresses the org
 * twice, the staged delta and the mirror) and it is state, not a staged
 * file anybody keeps.  One constant for the full import and the merge,
 * which must give the same bytes for the same rows.
 */
#define MIRROR_WRITE_FLAGS CSVW_FAST

/* Bytes of delta held in memory before a sorted chunk is spilled; tests
 * lower it to exercise the spill path. */
extern size_t mirror_chunk_bytes;

#endif
