/*
 * extract.c - the extract stage and its commit into state/ (see extract.h).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "csvio.h"
#include "extract.h"
#include "fsutil.h"
#include "log.h"
#include "mirror.h"
#include "progress.h"
#include "schema.h"
#include "strbuf.h"
#include "syncstate.h"
#include "timeutil.h"
#include "xalloc.h"

static const char *const rejects_header[] = {
	"source_file", "source_line", "reason", "record",
};
#define REJECTS_SCHEMA "staged/rejects"

static const char *const sync_header[] = {
	"Object", "Mode", "Since", "Read", "Selected", "Rejected",
	"MaxLastModifiedDate",
};
#define NSYNC (sizeof(sync_header) / sizeof(*sync_header))
#define SYNC_SCHEMA "staged/extract_sync"
#define SYNC_FILE "sync.csv.gz"

/* What one object's extract produced, for sync.csv.gz. */
struct object_delta {
	const struct schema *schema;
	int full;
	int has_since;
	int64_t since_ms;
	int has_max;
	int64_t max_ms;
	uint64_t read, selected, rejected;
};

char *fixture_file(const char *dir, const char *object, struct err *err)
{
	char *gz = xasprintf("%s/%s.csv.gz", dir, object);
	char *plain;

	if (fs_exists(gz))
		return gz;
	plain = xasprintf("%s/%s.csv", dir, object);
	if (fs_exists(plain)) {
		free(gz);
		return plain;
	}
	err_set(err, ERR_NOINPUT, "fixture org '%s' has no file for object "
		"'%s' (looked for '%s' and '%s')", dir, object, gz, plain);
	free(gz);
	free(plain);
	return NULL;
}

/* ---- rejects ------------------------------------------------------------- */

/* The record as one CSV line, invalid UTF-8 bytes written as \xNN so
 * the rejects file itself stays valid UTF-8. */
static void record_text(struct strbuf *sb, char *const *fields,
			const size_t *lens, size_t n)
{
	strbuf_reset(sb);
	for (size_t i = 0; i < n; i++) {
		const char *v = fields[i];
		size_t len = lens[i], pos = 0;

		if (i)
			strbuf_addch(sb, ',');
		strbuf_addch(sb, '"');
		while (pos < len) {
			int bad = 0;
			size_t good = utf8_check(v + pos, len - pos, &bad);

			for (size_t k = 0; k < good; k++) {
				if (v[pos + k] == '"')
					strbuf_addch(sb, '"');
				strbuf_addch(sb, v[pos + k]);
			}
			pos += good;
			if (bad && pos < len) {
				strbuf_addf(sb, "\\x%02x",
					    (unsigned char)v[pos]);
				pos++;
			}
		}
		strbuf_addch(sb, '"');
	}
}

struct rejects {
	struct stage *st;
	const char *object;
	char *rel;
	struct csv_writer *w;
	struct strbuf record;
	uint64_t rows;
};

static int reject(struct rejects *rj, const char *source, uint64_t line,
		  const char *reason, char *const *fields, const size_t *lens,
		  size_t n, struct err *err)
{
	char linebuf[32];
	const char *v[4];

	if (!rj->w) {
		char *dir = stage_path(rj->st, "rejects");
		char *path;

		if (fs_mkdirs(dir, 0755, err) < 0) {
			free(dir);
			return -1;
		}
		free(dir);
		rj->rel = xasprintf("rejects/%s.csv.gz", rj->object);
		path = stage_path(rj->st, rj->rel);
		rj->w = csvw_open(path, rejects_header, 4, 0, err);
		free(path);
		if (!rj->w)
			return -1;
	}
	snprintf(linebuf, sizeof(linebuf), "%llu", (unsigned long long)line);
	record_text(&rj->record, fields, lens, n);
	v[0] = source;
	v[1] = linebuf;
	v[2] = reason;
	v[3] = rj->record.buf;
	rj->rows++;
	return csvw_row(rj->w, v, NULL, err);
}

/* ---- one object from a fixture org ---------------------------------------- */

/* The file name as rejects and logs show it: relative to the fixture
 * directory's parent keeps it short and stable across checkouts. */
static const char *display_name(const char *path)
{
	const char *slash = strrchr(path, '/');

	return slash ? slash + 1 : path;
}

static int extract_fixture_object(const struct job *job,
				  const struct job_object *obj,
				  struct stage *st, struct object_delta *od,
				  struct err *err)
{
	const struct schema *s = obj->schema;
	struct rejects rj = { st, obj->name, NULL, NULL, STRBUF_INIT, 0 };
	struct csv_reader *r = NULL;
	struct csv_writer *w = NULL;
	struct progress *prog = NULL;
	struct csv_file_info info;
	const struct csv_row *row;
	char *path = NULL, *out = NULL, *rel = NULL, *label = NULL;
	char *schema_id = NULL;
	char sha[SHA256_HEX_LEN + 1];
	const char **values = NULL;
	size_t *vlens = NULL, *map = NULL;
	int modified_col = schema_field_index(s, "LastModifiedDate");
	enum csvr_status status;
	int ret = -1;

	path = fixture_file(job->source.fixture_dir, obj->name, err);
	if (!path)
		goto out;
	r = csvr_open(path, staged_read_flags(path), err);
	if (!r)
		goto out;
	map = xcalloc(s->nfields, sizeof(*map));
	values = xcalloc(s->nfields, sizeof(*values));
	vlens = xcalloc(s->nfields, sizeof(*vlens));
	if (schema_bind_header(s, path, csvr_header(r)->fields,
			       csvr_header(r)->nfields, map, err) < 0)
		goto out;
	rel = xasprintf("%s.csv.gz", obj->name);
	out = stage_path(st, rel);
	w = csvw_open(out, schema_field_names(s), s->nfields, 0, err);
	if (!w)
		goto out;
	label = xasprintf("extract %s", obj->name);
	prog = progress_start(label, csvr_file_size(r));

	while ((status = csvr_next(r, &row, err)) != CSVR_EOF) {
		char why[256] = "";
		int64_t modified = 0;

		if (status == CSVR_ERROR)
			goto out;
		od->read++;
		progress_update(prog, csvr_bytes_read(r));
		if (status == CSVR_BADROW) {
			/* err names file and line; the reason is what follows */
			const char *reason = err->msg;

			if (reject(&rj, display_name(path), row->line, reason,
				   row->fields, row->lens, row->nfields,
				   err) < 0)
				goto out;
			err_clear(err);
			continue;
		}
		for (size_t i = 0; i < s->nfields && !*why; i++) {
			const struct schema_field *f = &s->fields[i];
			char fwhy[200];

			values[i] = row->fields[map[i]];
			vlens[i] = row->lens[map[i]];
			if (!vlens[i]) {
				if (f->required)
					snprintf(why, sizeof(why), "field '%s' "
						 "is required but empty",
						 f->name);
				continue;
			}
			if (field_value_check(f->type, f->max_length, values[i],
					      vlens[i], fwhy,
					      sizeof(fwhy)) < 0)
				snprintf(why, sizeof(why), "field '%s': %s",
					 f->name, fwhy);
		}
		if (!*why && sf_datetime_parse(values[modified_col],
					       vlens[modified_col],
					       &modified) < 0)
			snprintf(why, sizeof(why), "field 'LastModifiedDate' "
				 "is not a datetime");
		if (*why) {
			if (reject(&rj, display_name(path), row->line, why,
				   row->fields, row->lens, row->nfields,
				   err) < 0)
				goto out;
			continue;
		}
		if (od->has_since && modified <= od->since_ms)
			continue;
		if (csvw_row(w, values, vlens, err) < 0)
			goto out;
		od->selected++;
		if (!od->has_max || modified > od->max_ms) {
			od->has_max = 1;
			od->max_ms = modified;
		}
	}
	od->rejected = rj.rows;
	if (csvw_commit(w, &info, err) < 0) {
		w = NULL;
		goto out;
	}
	w = NULL;
	schema_id = xasprintf("%s/%s", s->group, s->name);
	stage_add_output(st, rel, schema_id, &info);
	{
		struct csv_file_info rinfo;

		if (rj.w) {
			int rc = csvw_commit(rj.w, &rinfo, err);

			rj.w = NULL;
			if (rc < 0)
				goto out;
			stage_add_rejects(st, rj.rel, REJECTS_SCHEMA, &rinfo);
		}
	}
	if (csvr_sha256_hex(r, sha) < 0 ||
	    stage_add_input(st, path, schema_id, od->read, od->rejected,
			    csvr_bytes_read(r), sha, err) < 0)
		goto out;
	ret = 0;
out:
	if (ret < 0 && err && !strstr(err->msg, obj->name))
		err_prefix(err, "extract %s", obj->name);
	progress_end(prog);
	csvw_abort(w);
	csvw_abort(rj.w);
	strbuf_release(&rj.record);
	csvr_close(r);
	free(rj.rel);
	free(map);
	free(values);
	free(vlens);
	free(label);
	free(schema_id);
	free(rel);
	free(out);
	free(path);
	return ret;
}

/* ---- the stage -------------------------------------------------------------- */

static int write_sync_file(struct stage *st, const struct object_delta *od,
			   size_t n, struct err *err)
{
	char *path = stage_path(st, SYNC_FILE);
	struct csv_writer *w;
	struct csv_file_info info;
	int ret = -1;

	w = csvw_open(path, sync_header, NSYNC, 0, err);
	if (!w)
		goto out;
	for (size_t i = 0; i < n; i++) {
		char since[32] = "", max[32] = "", read[24], sel[24], rej[24];
		const char *v[NSYNC];

		if (od[i].has_since)
			sf_datetime_format(od[i].since_ms, since, sizeof(since));
		if (od[i].has_max)
			sf_datetime_format(od[i].max_ms, max, sizeof(max));
		snprintf(read, sizeof(read), "%llu",
			 (unsigned long long)od[i].read);
		snprintf(sel, sizeof(sel), "%llu",
			 (unsigned long long)od[i].selected);
		snprintf(rej, sizeof(rej), "%llu",
			 (unsigned long long)od[i].rejected);
		v[0] = od[i].schema->name;
		v[1] = od[i].full ? "full" : "incremental";
		v[2] = since;
		v[3] = read;
		v[4] = sel;
		v[5] = rej;
		v[6] = max;
		if (csvw_row(w, v, NULL, err) < 0) {
			csvw_abort(w);
			goto out;
		}
	}
	if (csvw_commit(w, &info, err) < 0)
		goto out;
	stage_add_output(st, SYNC_FILE, SYNC_SCHEMA, &info);
	ret = 0;
out:
	free(path);
	return ret;
}

static int extract_stage(const struct job *job, const struct run *run,
			 const struct extract_options *opt,
			 struct extract_result *res, struct err *err)
{
	struct sync_state ss = SYNC_STATE_INIT;
	struct object_delta *od = NULL;
	struct stage *st = NULL;
	size_t n = 0;
	int ret = -1, begun;

	begun = stage_begin(run, "extract", &st, err);
	if (begun < 0)
		return -1;
	if (begun == 1) {
		res->skipped = 1;
		log_info("extract: stage already complete in run %s", run->id);
		return 0;
	}
	if (job->source.kind != SOURCE_FIXTURE) {
		err_set(err, ERR_CONFIG, "%s: source kind 'salesforce' needs "
			"the Salesforce connector, which this build does not "
			"have yet; use a fixture source", job->path);
		goto out;
	}
	if (sync_state_load(job, &ss, err) < 0)
		goto out;
	od = xcalloc(job->nobjects + 1, sizeof(*od));
	for (size_t i = 0; i < job->nobjects; i++) {
		const struct job_object *obj = &job->objects[i];
		const struct sync_entry *e;
		struct object_delta *d;

		if (!obj->enabled)
			continue;
		d = &od[n++];
		d->schema = obj->schema;
		e = sync_state_get(&ss, obj->name, 0);
		d->full = opt->full || !e || !e->has_watermark;
		if (!d->full) {
			d->has_since = 1;
			d->since_ms = e->watermark_ms -
				      job->source.lookback_seconds * 1000;
		}
		if (extract_fixture_object(job, obj, st, d, err) < 0)
			goto out;
		res->read += d->read;
		res->selected += d->selected;
		res->rejected += d->rejected;
		log_info("extract %s: %s, %llu read, %llu selected, %llu "
			 "rejected", obj->name, d->full ? "full" :
			 "incremental", (unsigned long long)d->read,
			 (unsigned long long)d->selected,
			 (unsigned long long)d->rejected);
		if (opt->max_rejects >= 0 &&
		    res->rejected > (uint64_t)opt->max_rejects) {
			err_set(err, ERR_DATA, "extract: %llu rows rejected, "
				"more than the limit of %ld (see '%s/rejects/'; "
				"raise sync.max_rejects or --max-rejects)",
				(unsigned long long)res->rejected,
				opt->max_rejects, stage_dir(st));
			goto out;
		}
	}
	if (write_sync_file(st, od, n, err) < 0)
		goto out;
	ret = stage_commit(st, err);
	st = NULL;
out:
	stage_abandon(st);
	sync_state_release(&ss);
	free(od);
	return ret;
}

/* ---- commit into state/ ----------------------------------------------------- */

/* Reads sync.csv.gz of the run's extract stage into `od`. */
static int read_sync_file(const struct job *job, const struct run *run,
			  struct object_delta **od, size_t *n,
			  struct err *err)
{
	char *path = xasprintf("%s/extract/%s", run->dir, SYNC_FILE);
	struct csv_reader *r = csvr_open(path, CSVR_GZIP, err);
	const struct csv_row *row;
	enum csvr_status s;
	size_t alloc = 0;
	int ret = -1;

	*od = NULL;
	*n = 0;
	if (!r)
		goto out;
	if (csvr_header(r)->nfields != NSYNC) {
		err_set(err, ERR_DATA, "'%s' line 1: unexpected header", path);
		goto out;
	}
	while ((s = csvr_next(r, &row, err)) == CSVR_ROW) {
		struct object_delta *d;
		const struct job_object *obj = job_object_find(job,
							       row->fields[0]);

		if (!obj) {
			err_set(err, ERR_DATA, "'%s' line %llu: object '%s' "
				"is not in the job", path,
				(unsigned long long)row->line, row->fields[0]);
			goto out;
		}
		XGROW(*od, alloc, *n + 1);
		d = &(*od)[(*n)++];
		memset(d, 0, sizeof(*d));
		d->schema = obj->schema;
		d->full = strcmp(row->fields[1], "full") == 0;
		d->has_max = row->lens[6] > 0;
		if (d->has_max && sf_datetime_parse(row->fields[6], row->lens[6],
						    &d->max_ms) < 0) {
			err_set(err, ERR_DATA, "'%s' line %llu: bad datetime "
				"'%s'", path, (unsigned long long)row->line,
				row->fields[6]);
			goto out;
		}
	}
	if (s != CSVR_EOF)
		goto out;
	ret = 0;
out:
	csvr_close(r);
	free(path);
	return ret;
}

static int write_mirror_manifest(const char *mirror_dir,
				 const struct sync_state *ss,
				 struct err *err)
{
	struct stage *st = stage_for_dir(mirror_dir);

	for (size_t i = 0; i < ss->n; i++) {
		const struct sync_entry *e = &ss->e[i];
		const struct schema *s = schema_find("salesforce", e->object);
		char *rel = xasprintf("%s.csv.gz", e->object);
		char *path = xasprintf("%s/%s", mirror_dir, rel);
		char *schema_id = s ? xasprintf("salesforce/%s", s->name) : NULL;
		struct csv_file_info info;
		unsigned long long bytes;
		int rc = 0;

		if (fs_exists(path)) {
			rc = sha256_file(path, info.sha256, &bytes, err);
			info.bytes = bytes;
			info.rows = e->mirror_rows;
			if (rc == 0)
				stage_add_output(st, rel, schema_id, &info);
		}
		free(schema_id);
		free(path);
		free(rel);
		if (rc < 0) {
			stage_abandon(st);
			return -1;
		}
	}
	return stage_commit(st, err);
}

static int extract_commit(const struct job *job, const struct run *run,
			  struct extract_result *res, struct err *err)
{
	struct sync_state ss = SYNC_STATE_INIT;
	struct object_delta *od = NULL;
	char *state = job_state_dir(job);
	char *mirror_dir = xasprintf("%s/mirror", state);
	char *tmp_dir = xasprintf("%s/tmp", state);
	int64_t now = clock_now_ms();
	size_t n = 0;
	int ret = -1, changed = 0;

	if (sync_state_load(job, &ss, err) < 0 ||
	    read_sync_file(job, run, &od, &n, err) < 0)
		goto out;
	if (fs_mkdirs(mirror_dir, 0700, err) < 0 ||
	    fs_remove_tree(tmp_dir, err) < 0 ||
	    fs_mkdirs(tmp_dir, 0700, err) < 0)
		goto out;
	for (size_t i = 0; i < n; i++) {
		const struct schema *s = od[i].schema;
		struct sync_entry *e = sync_state_get(&ss, s->name, 1);
		char *delta = xasprintf("%s/extract/%s.csv.gz", run->dir,
					s->name);
		char *mirror = xasprintf("%s/%s.csv.gz", mirror_dir, s->name);
		struct mirror_stats ms;
		int rc;

		if (strcmp(e->run_id, run->id) == 0) {
			/* committed before an interruption */
			free(delta);
			free(mirror);
			continue;
		}
		rc = mirror_merge(s, od[i].full ? NULL : mirror, delta, mirror,
				  tmp_dir, &ms, err);
		free(delta);
		free(mirror);
		if (rc < 0)
			goto out;
		if (od[i].has_max &&
		    (!e->has_watermark || od[i].max_ms > e->watermark_ms)) {
			e->watermark_ms = od[i].max_ms;
			e->has_watermark = 1;
		}
		e->synced_ms = now;
		free(e->run_id);
		e->run_id = xstrdup(run->id);
		e->mirror_rows = ms.rows;
		res->upserts += ms.upserts;
		res->deletes += ms.deletes;
		changed = 1;
		log_info("mirror %s: %llu rows (%llu added or updated, %llu "
			 "deleted)", s->name, (unsigned long long)ms.rows,
			 (unsigned long long)ms.upserts,
			 (unsigned long long)ms.deletes);
	}
	if (changed && (write_mirror_manifest(mirror_dir, &ss, err) < 0 ||
			sync_state_save(job, &ss, err) < 0))
		goto out;
	ret = 0;
out:
	if (ret < 0)
		err_prefix(err, "cannot commit run '%s' into '%s'", run->id,
			   state);
	fs_remove_tree(tmp_dir, NULL);
	sync_state_release(&ss);
	free(od);
	free(tmp_dir);
	free(mirror_dir);
	free(state);
	return ret;
}

int extract_run(const struct job *job, const struct run *run,
		const struct extract_options *opt, struct extract_result *res,
		struct err *err)
{
	memset(res, 0, sizeof(*res));
	if (extract_stage(job, run, opt, res, err) < 0)
		return -1;
	return extract_commit(job, run, res, err);
}
