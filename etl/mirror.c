/*
 * mirror.c - merging extract deltas into the sorted CRM mirror
 * (see mirror.h).
 *
 * The delta arrives in the order Salesforce sent it.  It is cut into
 * chunks of at most mirror_chunk_bytes, each sorted by (Id, modified,
 * sequence); all chunks but the last are spilled to temporary gzip CSV
 * files.  Then the old mirror and the chunks are merged like sorted
 * lists, Id by Id, keeping one winner per Id.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fsutil.h"
#include "mirror.h"
#include "strbuf.h"
#include "timeutil.h"
#include "xalloc.h"

size_t mirror_chunk_bytes = 64u << 20;

/* Column positions the merge needs, in schema order. */
struct cols {
	size_t n;
	int id, modified, deleted;
};

/* ---- a row copied out of a reader -------------------------------------- */

struct row {
	struct strbuf data; /* fields back to back, each NUL-terminated */
	size_t *off;
	size_t *len;
	size_t n;
};

static void row_init(struct row *r, size_t n)
{
	strbuf_init(&r->data, 256);
	r->off = xcalloc(n, sizeof(*r->off));
	r->len = xcalloc(n, sizeof(*r->len));
	r->n = n;
}

static void row_release(struct row *r)
{
	strbuf_release(&r->data);
	free(r->off);
	free(r->len);
}

static void row_set(struct row *dst, char *const *fields, const size_t *lens)
{
	strbuf_reset(&dst->data);
	for (size_t i = 0; i < dst->n; i++) {
		dst->off[i] = dst->data.len;
		dst->len[i] = lens[i];
		strbuf_add(&dst->data, fields[i], lens[i]);
		strbuf_addch(&dst->data, '\0');
	}
}

static const char *row_field(const struct row *r, int i)
{
	return r->data.buf + r->off[i];
}

static int row_write(struct csv_writer *w, const struct row *r,
		     struct err *err)
{
	const char **fields = xcalloc(r->n, sizeof(*fields));
	int ret;

	for (size_t i = 0; i < r->n; i++)
		fields[i] = r->data.buf + r->off[i];
	ret = csvw_row(w, fields, r->len, err);
	free(fields);
	return ret;
}

static int row_is_deleted(const struct row *r, const struct cols *c)
{
	return strcmp(row_field(r, c->deleted), "true") == 0;
}

/* ---- sorted chunks of the delta ------------------------------------------ */

struct entry {
	const char *id;  /* points into the chunk's data once it is sealed */
	size_t off;      /* of the row's first field */
	int64_t modified;
	uint64_t seq;
};

struct chunk {
	struct strbuf data;
	struct entry *e;
	size_t n, alloc;
};

static int entry_cmp(const void *a, const void *b)
{
	const struct entry *x = a, *y = b;
	int r = strcmp(x->id, y->id);

	if (r)
		return r;
	if (x->modified != y->modified)
		return x->modified < y->modified ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

static void chunk_add(struct chunk *c, const struct csv_row *row,
		      const struct cols *cols, int64_t modified, uint64_t seq)
{
	struct entry *e;

	XGROW(c->e, c->alloc, c->n + 1);
	e = &c->e[c->n++];
	e->off = c->data.len;
	e->modified = modified;
	e->seq = seq;
	e->id = NULL;
	for (size_t i = 0; i < cols->n; i++) {
		strbuf_add(&c->data, row->fields[i], row->lens[i]);
		strbuf_addch(&c->data, '\0');
	}
}

/* Resolves id pointers (the data no longer moves) and sorts. */
static void chunk_seal(struct chunk *c, const struct cols *cols)
{
	for (size_t i = 0; i < c->n; i++) {
		const char *p = c->data.buf + c->e[i].off;

		for (int k = 0; k < cols->id; k++)
			p += strlen(p) + 1;
		c->e[i].id = p;
	}
	if (c->n > 1)
		qsort(c->e, c->n, sizeof(*c->e), entry_cmp);
}

static void chunk_row(const struct chunk *c, size_t i, const struct cols *cols,
		      struct row *out)
{
	const char *p = c->data.buf + c->e[i].off;

	strbuf_reset(&out->data);
	for (size_t k = 0; k < cols->n; k++) {
		size_t len = strlen(p);

		out->off[k] = out->data.len;
		out->len[k] = len;
		strbuf_add(&out->data, p, len + 1);
		p += len + 1;
	}
}

static void chunk_reset(struct chunk *c)
{
	strbuf_reset(&c->data);
	c->n = 0;
}

static void chunk_release(struct chunk *c)
{
	strbuf_release(&c->data);
	free(c->e);
}

/* ---- merge sources --------------------------------------------------------- */

/*
 * A sorted stream of rows: the old mirror, a spilled chunk, or the last
 * chunk still in memory.  `rank` orders sources on equal Id and
 * modified: the mirror is 0, chunks count up in delta order.
 */
struct source {
	struct csv_reader *reader; /* file sources */
	const struct chunk *chunk; /* the in-memory source */
	size_t next;               /* in `chunk` */
	struct row cur;
	int64_t modified;
	int has_row;
	int rank;
};

static int source_advance(struct source *s, const struct cols *cols,
			  struct err *err)
{
	const struct csv_row *row;
	enum csvr_status st;

	s->has_row = 0;
	if (s->chunk) {
		if (s->next == s->chunk->n)
			return 0;
		chunk_row(s->chunk, s->next, cols, &s->cur);
		s->modified = s->chunk->e[s->next].modified;
		s->next++;
		s->has_row = 1;
		return 0;
	}
	st = csvr_next(s->reader, &row, err);
	if (st == CSVR_EOF)
		return 0;
	if (st != CSVR_ROW) {
		if (st == CSVR_BADROW)
			err->cls = ERR_DATA;
		return -1;
	}
	row_set(&s->cur, row->fields, row->lens);
	if (sf_datetime_parse(row->fields[cols->modified],
			      row->lens[cols->modified], &s->modified) < 0)
		return err_set(err, ERR_DATA, "'%s' line %llu: LastModifiedDate "
			       "'%s' is not a datetime",
			       csvr_path(s->reader),
			       (unsigned long long)row->line,
			       row->fields[cols->modified]);
	s->has_row = 1;
	return 0;
}

/* Opens a sorted file of schema `s` as a source. */
static int source_open(struct source *src, const struct schema *s,
		       const char *path, int rank, const struct cols *cols,
		       struct err *err)
{
	const struct csv_row *h;

	memset(src, 0, sizeof(*src));
	row_init(&src->cur, cols->n);
	src->rank = rank;
	/* the mirror is gzip, spill files are plain */
	src->reader = csvr_open(path, rank ? CSVR_PLAIN : CSVR_GZIP, err);
	if (!src->reader)
		return -1;
	h = csvr_header(src->reader);
	for (size_t i = 0; i < cols->n; i++) {
		if (i >= h->nfields || strcmp(h->fields[i], s->fields[i].name))
			return err_set(err, ERR_DATA, "'%s' line 1: header "
				       "does not match schema %s/%s", path,
				       s->group, s->name);
	}
	if (h->nfields != cols->n)
		return err_set(err, ERR_DATA, "'%s' line 1: header does not "
			       "match schema %s/%s", path, s->group, s->name);
	return source_advance(src, cols, err);
}

static void source_close(struct source *src)
{
	csvr_close(src->reader);
	row_release(&src->cur);
}

/* ---- the merge ------------------------------------------------------------- */

static int find_cols(const struct schema *s, struct cols *c, struct err *err)
{
	c->n = s->nfields;
	c->id = schema_field_index(s, "Id");
	c->modified = schema_field_index(s, "LastModifiedDate");
	c->deleted = schema_field_index(s, "IsDeleted");
	if (c->id < 0 || c->modified < 0 || c->deleted < 0)
		return err_set(err, ERR_SOFTWARE, "schema %s/%s lacks Id, "
			       "LastModifiedDate or IsDeleted", s->group,
			       s->name);
	return 0;
}

static int spill(const struct schema *s, struct chunk *c,
		 const struct cols *cols, const char *path, struct err *err)
{
	struct csv_writer *w;
	struct row r;
	int ret = -1;

	chunk_seal(c, cols);
	/* read back once and deleted: compressing it would only cost time */
	w = csvw_open(path, schema_field_names(s), cols->n, CSVW_PLAIN, err);
	if (!w)
		return -1;
	row_init(&r, cols->n);
	for (size_t i = 0; i < c->n; i++) {
		chunk_row(c, i, cols, &r);
		if (row_write(w, &r, err) < 0) {
			csvw_abort(w);
			goto out;
		}
	}
	ret = csvw_commit(w, NULL, err);
out:
	row_release(&r);
	chunk_reset(c);
	return ret;
}

/* Reads the delta into chunks; all but the last are spilled. */
static int load_delta(const struct schema *s, const char *delta,
		      const struct cols *cols, const char *tmpdir,
		      struct chunk *last, char ***spills, size_t *nspills,
		      struct mirror_stats *stats, struct err *err)
{
	struct csv_reader *r = csvr_open(delta, CSVR_GZIP, err);
	const struct csv_row *row;
	enum csvr_status st;
	size_t map_ok = 1;
	size_t spill_alloc = 0;
	int ret = -1;

	if (!r)
		return -1;
	row = csvr_header(r);
	map_ok = row->nfields == cols->n;
	for (size_t i = 0; map_ok && i < cols->n; i++)
		map_ok = strcmp(row->fields[i], s->fields[i].name) == 0;
	if (!map_ok) {
		err_set(err, ERR_DATA, "'%s' line 1: header does not match "
			"schema %s/%s", delta, s->group, s->name);
		goto out;
	}
	while ((st = csvr_next(r, &row, err)) == CSVR_ROW) {
		int64_t modified;

		if (sf_datetime_parse(row->fields[cols->modified],
				      row->lens[cols->modified],
				      &modified) < 0) {
			err_set(err, ERR_DATA, "'%s' line %llu: "
				"LastModifiedDate '%s' is not a datetime",
				delta, (unsigned long long)row->line,
				row->fields[cols->modified]);
			goto out;
		}
		if (!row->lens[cols->id]) {
			err_set(err, ERR_DATA, "'%s' line %llu: empty Id",
				delta, (unsigned long long)row->line);
			goto out;
		}
		chunk_add(last, row, cols, modified, stats->delta_rows++);
		if (last->data.len >= mirror_chunk_bytes) {
			char *path = xasprintf("%s/.spill-%zu.csv", tmpdir,
					       *nspills);

			XGROW(*spills, spill_alloc, *nspills + 1);
			(*spills)[(*nspills)++] = path;
			if (spill(s, last, cols, path, err) < 0)
				goto out;
		}
	}
	if (st != CSVR_EOF) {
		if (st == CSVR_BADROW)
			err->cls = ERR_DATA;
		goto out;
	}
	chunk_seal(last, cols);
	ret = 0;
out:
	csvr_close(r);
	return ret;
}

/* 1 when candidate (modified, rank, later) beats the best so far. */
static int beats(int64_t modified, int rank, int64_t best_modified,
		 int best_rank)
{
	if (modified != best_modified)
		return modified > best_modified;
	return rank >= best_rank; /* later source, or later row in one */
}

int mirror_merge(const struct schema *s, const char *old_mirror,
		 const char *delta, const char *out, const char *tmpdir,
		 struct mirror_stats *stats, struct err *err)
{
	struct chunk last = { STRBUF_INIT, NULL, 0, 0 };
	struct source *src = NULL;
	struct csv_writer *w = NULL;
	char **spills = NULL;
	size_t nspills = 0, nsrc = 0;
	struct row best;
	struct cols cols;
	int ret = -1;

	memset(stats, 0, sizeof(*stats));
	if (find_cols(s, &cols, err) < 0)
		return -1;
	row_init(&best, cols.n);
	if (load_delta(s, delta, &cols, tmpdir, &last, &spills, &nspills,
		       stats, err) < 0)
		goto out;

	src = xcalloc(nspills + 2, sizeof(*src));
	if (old_mirror && fs_exists(old_mirror)) {
		if (source_open(&src[nsrc], s, old_mirror, 0, &cols, err) < 0) {
			nsrc++;
			goto out;
		}
		nsrc++;
	}
	for (size_t i = 0; i < nspills; i++) {
		if (source_open(&src[nsrc], s, spills[i], (int)i + 1, &cols,
				err) < 0) {
			nsrc++;
			goto out;
		}
		nsrc++;
	}
	memset(&src[nsrc], 0, sizeof(src[nsrc]));
	row_init(&src[nsrc].cur, cols.n);
	src[nsrc].chunk = &last;
	src[nsrc].rank = (int)nspills + 1;
	if (source_advance(&src[nsrc++], &cols, err) < 0)
		goto out;

	w = csvw_open(out, schema_field_names(s), cols.n,
		       MIRROR_WRITE_FLAGS, err);
	if (!w)
		goto out;
	for (;;) {
		const char *min = NULL;
		int64_t best_modified = 0;
		int best_rank = -1, from_mirror_only = 1;
		char *id;

		for (size_t i = 0; i < nsrc; i++)
			if (src[i].has_row &&
			    (!min || strcmp(row_field(&src[i].cur, cols.id),
					    min) < 0))
				min = row_field(&src[i].cur, cols.id);
		if (!min)
			break;
		id = xstrdup(min);
		for (size_t i = 0; i < nsrc; i++) {
			while (src[i].has_row &&
			       strcmp(row_field(&src[i].cur, cols.id), id) == 0) {
				if (src[i].rank > 0)
					from_mirror_only = 0;
				if (best_rank < 0 ||
				    beats(src[i].modified, src[i].rank,
					  best_modified, best_rank)) {
					strbuf_reset(&best.data);
					strbuf_add(&best.data,
						   src[i].cur.data.buf,
						   src[i].cur.data.len);
					memcpy(best.off, src[i].cur.off,
					       cols.n * sizeof(*best.off));
					memcpy(best.len, src[i].cur.len,
					       cols.n * sizeof(*best.len));
					best_modified = src[i].modified;
					best_rank = src[i].rank;
				}
				if (source_advance(&src[i], &cols, err) < 0) {
					free(id);
					goto out;
				}
			}
		}
		free(id);
		if (row_is_deleted(&best, &cols)) {
			stats->deletes += !from_mirror_only;
			continue;
		}
		if (!from_mirror_only && best_rank > 0)
			stats->upserts++;
		if (row_write(w, &best, err) < 0)
			goto out;
		stats->rows++;
	}
	ret = csvw_commit(w, &stats->info, err);
	w = NULL;
out:
	if (ret < 0 && err && !strstr(err->msg, delta))
		err_prefix(err, "cannot merge '%s' into the mirror", delta);
	csvw_abort(w);
	for (size_t i = 0; i < nsrc; i++)
		source_close(&src[i]);
	free(src);
	for (size_t i = 0; i < nspills; i++) {
		unlink(spills[i]);
		free(spills[i]);
	}
	free(spills);
	chunk_release(&last);
	row_release(&best);
	return ret;
}

int mirror_from_sorted(const struct schema *s, const char *delta,
		       const char *out, struct mirror_stats *stats,
		       struct err *err)
{
	struct csv_reader *r = NULL;
	struct csv_writer *w = NULL;
	struct strbuf last = STRBUF_INIT;
	const struct csv_row *row;
	enum csvr_status st;
	struct cols cols;
	int ret = -1;

	memset(stats, 0, sizeof(*stats));
	if (find_cols(s, &cols, err) < 0)
		return -1;
	r = csvr_open(delta, CSVR_GZIP, err);
	if (!r)
		goto out;
	if (csvr_header(r)->nfields != cols.n) {
		err_set(err, ERR_DATA, "'%s' line 1: header does not match "
			"schema %s/%s", delta, s->group, s->name);
		goto out;
	}
	w = csvw_open(out, schema_field_names(s), cols.n,
		       MIRROR_WRITE_FLAGS, err);
	if (!w)
		goto out;
	while ((st = csvr_next(r, &row, err)) == CSVR_ROW) {
		const char *id = row->fields[cols.id];

		stats->delta_rows++;
		if (stats->delta_rows > 1 && strcmp(last.buf, id) >= 0) {
			err_set(err, ERR_SOFTWARE, "'%s' line %llu: Id '%s' is "
				"out of order", delta,
				(unsigned long long)row->line, id);
			goto out;
		}
		strbuf_reset(&last);
		strbuf_add(&last, id, row->lens[cols.id]);
		if (strcmp(row->fields[cols.deleted], "true") == 0) {
			stats->deletes++;
			continue;
		}
		if (csvw_row(w, (const char *const *)row->fields, row->lens,
			     err) < 0)
			goto out;
		stats->rows++;
		stats->upserts++;
	}
	if (st != CSVR_EOF) {
		if (st == CSVR_BADROW)
			err->cls = ERR_DATA;
		goto out;
	}
	ret = csvw_commit(w, &stats->info, err);
	w = NULL;
out:
	csvw_abort(w);
	csvr_close(r);
	strbuf_release(&last);
	return ret;
}
