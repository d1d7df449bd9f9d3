/*
 * syncstate.c - watermarks and last sync times per object
 * (see syncstate.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "csvio.h"
#include "fsutil.h"
#include "stage.h"
#include "syncstate.h"
#include "timeutil.h"
#include "xalloc.h"

static const char *const sync_header[] = {
	"Object", "Watermark", "LastSuccessfulSync", "RunId", "MirrorRows",
};
#define NCOLS (sizeof(sync_header) / sizeof(*sync_header))

static char *sync_path(const struct job *job)
{
	char *state = job_state_dir(job);
	char *path = xasprintf("%s/sync.csv", state);

	free(state);
	return path;
}

struct sync_entry *sync_state_get(struct sync_state *st, const char *object,
				  int create)
{
	struct sync_entry *e;

	for (size_t i = 0; i < st->n; i++)
		if (strcmp(st->e[i].object, object) == 0)
			return &st->e[i];
	if (!create)
		return NULL;
	XGROW(st->e, st->alloc, st->n + 1);
	e = &st->e[st->n++];
	memset(e, 0, sizeof(*e));
	e->object = xstrdup(object);
	e->run_id = xstrdup("");
	return e;
}

int sync_state_load(const struct job *job, struct sync_state *st,
		    struct err *err)
{
	char *path = sync_path(job);
	struct csv_reader *r = NULL;
	const struct csv_row *row;
	enum csvr_status s;
	int ret = -1;

	if (!fs_exists(path)) {
		ret = 0;
		goto out;
	}
	r = csvr_open(path, CSVR_PLAIN, err);
	if (!r)
		goto out;
	row = csvr_header(r);
	if (row->nfields != NCOLS || strcmp(row->fields[0], "Object")) {
		err_set(err, ERR_DATA, "'%s' line 1: not a crmsync sync "
			"state file", path);
		goto out;
	}
	while ((s = csvr_next(r, &row, err)) == CSVR_ROW) {
		struct sync_entry *e = sync_state_get(st, row->fields[0], 1);

		e->has_watermark = row->lens[1] > 0;
		if ((e->has_watermark &&
		     sf_datetime_parse(row->fields[1], row->lens[1],
				       &e->watermark_ms) < 0) ||
		    sf_datetime_parse(row->fields[2], row->lens[2],
				      &e->synced_ms) < 0) {
			err_set(err, ERR_DATA, "'%s' line %llu: malformed "
				"datetime", path,
				(unsigned long long)row->line);
			goto out;
		}
		free(e->run_id);
		e->run_id = xstrdup(row->fields[3]);
		e->mirror_rows = strtoull(row->fields[4], NULL, 10);
	}
	if (s != CSVR_EOF)
		goto out;
	ret = 0;
out:
	if (ret < 0)
		err_prefix(err, "cannot read the sync state");
	csvr_close(r);
	free(path);
	return ret;
}

static int entry_cmp(const void *a, const void *b)
{
	const struct sync_entry *x = a, *y = b;

	return strcmp(x->object, y->object);
}

int sync_state_save(const struct job *job, const struct sync_state *st,
		    struct err *err)
{
	char *path = sync_path(job);
	struct sync_entry *sorted = xcalloc(st->n + 1, sizeof(*sorted));
	struct csv_writer *w;
	int ret = -1;

	memcpy(sorted, st->e, st->n * sizeof(*sorted));
	qsort(sorted, st->n, sizeof(*sorted), entry_cmp);
	w = csvw_open(path, sync_header, NCOLS, CSVW_PLAIN, err);
	if (!w)
		goto out;
	for (size_t i = 0; i < st->n; i++) {
		char wm[32] = "", synced[32], rows[32];
		const char *v[NCOLS];

		if (sorted[i].has_watermark)
			sf_datetime_format(sorted[i].watermark_ms, wm,
					   sizeof(wm));
		sf_datetime_format(sorted[i].synced_ms, synced, sizeof(synced));
		snprintf(rows, sizeof(rows), "%llu",
			 (unsigned long long)sorted[i].mirror_rows);
		v[0] = sorted[i].object;
		v[1] = wm;
		v[2] = synced;
		v[3] = sorted[i].run_id;
		v[4] = rows;
		if (csvw_row(w, v, NULL, err) < 0) {
			csvw_abort(w);
			goto out;
		}
	}
	ret = csvw_commit(w, NULL, err);
out:
	if (ret < 0)
		err_prefix(err, "cannot save the sync state");
	free(sorted);
	free(path);
	return ret;
}

void sync_state_release(struct sync_state *st)
{
	for (size_t i = 0; i < st->n; i++) {
		free(st->e[i].object);
		free(st->e[i].run_id);
	}
	free(st->e);
	st->e = NULL;
	st->n = st->alloc = 0;
}
