/*
 * syncstate.h - state/sync.csv: per object, the watermark of the last
 * successful extract and when it happened (R11).
 *
 * Columns: Object, Watermark (greatest LastModifiedDate merged into the
 * mirror), LastSuccessfulSync (wall clock of the commit), RunId,
 * MirrorRows.  The file is rewritten atomically after the mirror files,
 * so the watermark never moves ahead of what the mirror holds.
 */
#ifndef CRMSYNC_SYNCSTATE_H
#define CRMSYNC_SYNCSTATE_H

#include <stdint.h>

#include "errors.h"
#include "job.h"

struct sync_entry {
	char *object;
	int has_watermark;
	int64_t watermark_ms;
	int64_t synced_ms;
	char *run_id;
	uint64_t mirror_rows;
};

struct sync_state {
	struct sync_entry *e;
	size_t n, alloc;
};

#define SYNC_STATE_INIT { NULL, 0, 0 }

/* Loads state/sync.csv; a missing file gives an empty state.  ERR_DATA
 * naming file and line when it is malformed. */
int sync_state_load(const struct job *job, struct sync_state *st,
		    struct err *err);

/* Writes state/sync.csv atomically, objects sorted by name. */
int sync_state_save(const struct job *job, const struct sync_state *st,
		    struct err *err);

/* The entry of `object`, created empty when `create` and absent. */
struct sync_entry *sync_state_get(struct sync_state *st, const char *object,
				  int create);

void sync_state_release(struct sync_state *st);

#endif
