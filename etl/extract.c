/*
 * extract.c - the extract stage and its commit into state/ (see extract.h).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <dirent.h>
#include <jansson.h>

#include "csvio.h"
#include "extract.h"
#include "fsutil.h"
#include "log.h"
#include "mirror.h"
#include "progress.h"
#include "schema.h"
#include "sf_bulk.h"
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
	"MaxLastModifiedDate", "SortedById", "Deleted",
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
	/* whether the staged delta is in strictly increasing Id order (as
	 * the Bulk API usually sends it), and how many of its records are
	 * deleted: a full import's mirror is then the delta less those,
	 * written in one pass instead of sorted again */
	int sorted;
	uint64_t deleted;
	struct strbuf last_id;
	/* full imports: the mirror written beside the delta while it is
	 * staged, in state/pending/<run>/, valid while `sorted` holds */
	char *mirror_path;
	struct csv_writer *mirror_w;
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

/* The file name as rejects show it: the base name is stable across
 * checkouts and machines. */
static const char *display_name(const char *path)
{
	const char *slash = strrchr(path, '/');

	return slash ? slash + 1 : path;
}

/* One input file of an object: a fixture file or a results page. */
struct source_file {
	char *path;
	char *lineage; /* manifest path for remote data, NULL: the file */
};

/*
 * Checks and filters the rows of one input file into the delta writer
 * `w` and the rejects, then records the input in the manifest.
 */
static int stage_file(const struct schema *s, const struct source_file *sf,
		      struct stage *st, struct csv_writer *w,
		      struct rejects *rj, struct object_delta *od,
		      struct err *err)
{
	struct csv_reader *r = NULL;
	struct progress *prog = NULL;
	const struct csv_row *row;
	char sha[SHA256_HEX_LEN + 1];
	const char **values = NULL;
	size_t *vlens = NULL, *map = NULL;
	uint64_t read = 0, rejected_before = rj->rows;
	int modified_col = schema_field_index(s, "LastModifiedDate");
	int id_col = schema_field_index(s, "Id");
	int deleted_col = schema_field_index(s, "IsDeleted");
	char *schema_id = xasprintf("%s/%s", s->group, s->name);
	char *label = xasprintf("extract %s", s->name);
	enum csvr_status status;
	int ret = -1;

	r = csvr_open(sf->path, staged_read_flags(sf->path), err);
	if (!r)
		goto out;
	map = xcalloc(s->nfields, sizeof(*map));
	values = xcalloc(s->nfields, sizeof(*values));
	vlens = xcalloc(s->nfields, sizeof(*vlens));
	if (schema_bind_header(s, sf->path, csvr_header(r)->fields,
			       csvr_header(r)->nfields, map, err) < 0)
		goto out;
	prog = progress_start(label, csvr_file_size(r));

	while ((status = csvr_next(r, &row, err)) != CSVR_EOF) {
		char why[256] = "";
		int64_t modified = 0;

		if (status == CSVR_ERROR)
			goto out;
		read++;
		progress_update(prog, csvr_bytes_read(r));
		if (status == CSVR_BADROW) {
			/* err names file and line; keep it as the reason */
			if (reject(rj, display_name(sf->path), row->line,
				   err->msg, row->fields, row->lens,
				   row->nfields, err) < 0)
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
			if (reject(rj, display_name(sf->path), row->line, why,
				   row->fields, row->lens, row->nfields,
				   err) < 0)
				goto out;
			continue;
		}
		if (od->has_since && modified <= od->since_ms)
			continue;
		if (csvw_row(w, values, vlens, err) < 0)
			goto out;
		if (deleted_col >= 0 && strcmp(values[deleted_col], "true") == 0)
			od->deleted++;
		if (od->sorted && od->selected &&
		    strcmp(od->last_id.buf, values[id_col]) >= 0)
			od->sorted = 0;
		if (od->sorted) {
			strbuf_reset(&od->last_id);
			strbuf_add(&od->last_id, values[id_col], vlens[id_col]);
		} else if (od->mirror_w) {
			/* out of order: the commit will sort instead */
			csvw_abort(od->mirror_w);
			od->mirror_w = NULL;
		}
		if (od->mirror_w && (deleted_col < 0 ||
				     strcmp(values[deleted_col], "true")) &&
		    csvw_row(od->mirror_w, values, vlens, err) < 0)
			goto out;
		od->selected++;
		if (!od->has_max || modified > od->max_ms) {
			od->has_max = 1;
			od->max_ms = modified;
		}
	}
	od->read += read;
	if (csvr_sha256_hex(r, sha) < 0) {
		err_set(err, ERR_SOFTWARE, "'%s': no hash at end of file",
			sf->path);
		goto out;
	}
	if (sf->lineage)
		stage_add_remote_input(st, sf->lineage, schema_id, read,
				       rj->rows - rejected_before,
				       csvr_bytes_read(r), sha);
	else if (stage_add_input(st, sf->path, schema_id, read,
				 rj->rows - rejected_before,
				 csvr_bytes_read(r), sha, err) < 0)
		goto out;
	ret = 0;
out:
	progress_end(prog);
	csvr_close(r);
	free(map);
	free(values);
	free(vlens);
	free(label);
	free(schema_id);
	return ret;
}

/*
 * Stages object `obj` from its input files: the delta
 * <Object>.csv.gz, rejects/<Object>.csv.gz when a row fails a check,
 * and the manifest entries.
 */
static int stage_object(const struct job_object *obj,
			const struct source_file *files, size_t nfiles,
			struct stage *st, struct object_delta *od,
			struct err *err)
{
	const struct schema *s = obj->schema;
	struct rejects rj = { st, obj->name, NULL, NULL, STRBUF_INIT, 0 };
	struct csv_writer *w = NULL;
	struct csv_file_info info;
	char *rel = xasprintf("%s.csv.gz", obj->name);
	char *out = stage_path(st, rel);
	char *schema_id = xasprintf("%s/%s", s->group, s->name);
	int ret = -1;

	w = csvw_open(out, schema_field_names(s), s->nfields, 0, err);
	if (!w)
		goto out;
	od->sorted = 1;
	od->deleted = 0;
	strbuf_init(&od->last_id, 0);
	if (od->full && od->mirror_path) {
		char *dir = fs_dirname(od->mirror_path);
		int rc = fs_mkdirs(dir, 0700, err);

		free(dir);
		if (rc < 0)
			goto out;
		od->mirror_w = csvw_open(od->mirror_path,
					 schema_field_names(s), s->nfields,
					 MIRROR_WRITE_FLAGS, err);
		if (!od->mirror_w)
			goto out;
	}
	for (size_t i = 0; i < nfiles; i++)
		if (stage_file(s, &files[i], st, w, &rj, od, err) < 0)
			goto out;
	od->rejected = rj.rows;
	if (od->mirror_w) {
		ret = csvw_commit(od->mirror_w, NULL, err);
		od->mirror_w = NULL;
		if (ret < 0)
			goto out;
	}
	ret = csvw_commit(w, &info, err);
	w = NULL;
	if (ret < 0)
		goto out;
	stage_add_output(st, rel, schema_id, &info);
	if (rj.w) {
		struct csv_file_info rinfo;

		ret = csvw_commit(rj.w, &rinfo, err);
		rj.w = NULL;
		if (ret < 0)
			goto out;
		stage_add_rejects(st, rj.rel, REJECTS_SCHEMA, &rinfo);
	}
	ret = 0;
out:
	if (ret < 0 && err && !strstr(err->msg, obj->name))
		err_prefix(err, "extract %s", obj->name);
	csvw_abort(w);
	csvw_abort(rj.w);
	csvw_abort(od->mirror_w);
	od->mirror_w = NULL;
	strbuf_release(&rj.record);
	strbuf_release(&od->last_id);
	free(rj.rel);
	free(schema_id);
	free(out);
	free(rel);
	return ret;
}

static int extract_fixture_object(const struct job *job,
				  const struct job_object *obj,
				  struct stage *st, struct object_delta *od,
				  struct err *err)
{
	struct source_file file = { NULL, NULL };
	int ret;

	file.path = fixture_file(job->source.fixture_dir, obj->name, err);
	if (!file.path)
		return -1;
	ret = stage_object(obj, &file, 1, st, od, err);
	free(file.path);
	return ret;
}

/* ---- one object from Salesforce ------------------------------------------------ */

/*
 * Progress of an object's query job, kept in state/extract/<Object>.json
 * with its pages in state/extract/<Object>/page-NNNNNN.csv, so that a run
 * that dies mid-extract resumes the same Salesforce job at the next page
 * instead of starting a new job (jobs live 7 days on Salesforce).
 */
struct sf_progress {
	char *run_id;
	char *job_id;
	char *soql;
	char *locator; /* next page; NULL before the first */
	long pages;
	int done;
};

static void progress_release(struct sf_progress *p)
{
	free(p->run_id);
	free(p->job_id);
	free(p->soql);
	free(p->locator);
	memset(p, 0, sizeof(*p));
}

static char *sf_extract_dir(const struct job *job)
{
	char *state = job_state_dir(job);
	char *dir = xasprintf("%s/extract", state);

	free(state);
	return dir;
}

static int progress_load(const char *path, struct sf_progress *p)
{
	json_t *j = json_load_file(path, 0, NULL);
	const char *run, *id, *soql, *loc;

	memset(p, 0, sizeof(*p));
	if (!j)
		return -1;
	run = json_string_value(json_object_get(j, "run_id"));
	id = json_string_value(json_object_get(j, "job_id"));
	soql = json_string_value(json_object_get(j, "soql"));
	loc = json_string_value(json_object_get(j, "locator"));
	if (!run || !id || !soql) {
		json_decref(j);
		return -1;
	}
	p->run_id = xstrdup(run);
	p->job_id = xstrdup(id);
	p->soql = xstrdup(soql);
	p->locator = loc ? xstrdup(loc) : NULL;
	p->pages = (long)json_integer_value(json_object_get(j, "pages"));
	p->done = json_is_true(json_object_get(j, "done"));
	json_decref(j);
	return 0;
}

static int progress_save(const char *path, const struct sf_progress *p,
			 struct err *err)
{
	json_t *j = json_object();
	char *text;
	int ret;

	json_object_set_new(j, "run_id", json_string(p->run_id));
	json_object_set_new(j, "job_id", json_string(p->job_id));
	json_object_set_new(j, "soql", json_string(p->soql));
	json_object_set_new(j, "locator",
			    p->locator ? json_string(p->locator) : json_null());
	json_object_set_new(j, "pages", json_integer(p->pages));
	json_object_set_new(j, "done", json_boolean(p->done));
	text = json_dumps(j, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	json_decref(j);
	ret = fs_write_atomic(path, text, strlen(text), 0600, err);
	free(text);
	return ret;
}

/* SOQL for the object's schema fields, changed after `since` when set.
 * Field names come from the schema, never from outside input. */
static char *build_soql(const struct schema *s, const struct object_delta *od)
{
	struct strbuf sb = STRBUF_INIT;

	strbuf_addstr(&sb, "SELECT ");
	for (size_t i = 0; i < s->nfields; i++)
		strbuf_addf(&sb, "%s%s", i ? ", " : "", s->fields[i].name);
	strbuf_addf(&sb, " FROM %s", s->name);
	if (od->has_since) {
		char lit[32];

		/* SOQL datetime literal: seconds, UTC */
		sf_datetime_format(od->since_ms, lit, sizeof(lit));
		strcpy(lit + 19, "Z");
		strbuf_addf(&sb, " WHERE LastModifiedDate > %s", lit);
	}
	return strbuf_detach(&sb, NULL);
}

/*
 * A results page spooled to a file, its records counted on the way (a
 * line end outside quotes ends a non-empty record; the header is the
 * first), so the count is checked against Sforce-NumberOfRecords without
 * reading the page again.
 */
struct spool {
	FILE *f;
	const char *path;
	struct err *err;
	int in_quote, line_has_data;
	uint64_t lines;
};

static int spool_write(void *ctx, const void *data, size_t len)
{
	struct spool *sp = ctx;
	const unsigned char *p = data;

	for (size_t i = 0; i < len; i++) {
		unsigned char c = p[i];

		if (c == '"') {
			sp->in_quote = !sp->in_quote;
			sp->line_has_data = 1;
		} else if ((c == '\n' || c == '\r') && !sp->in_quote) {
			if (sp->line_has_data)
				sp->lines++;
			sp->line_has_data = 0;
		} else {
			sp->line_has_data = 1;
		}
	}
	if (fwrite(data, 1, len, sp->f) != len)
		return err_errno(sp->err, ERR_IO, errno, "cannot write '%s'",
				 sp->path);
	return 0;
}

static int spool_reset(void *ctx)
{
	struct spool *sp = ctx;

	sp->in_quote = sp->line_has_data = 0;
	sp->lines = 0;
	rewind(sp->f);
	if (ftruncate(fileno(sp->f), 0) < 0)
		return err_errno(sp->err, ERR_IO, errno, "cannot truncate "
				 "'%s'", sp->path);
	return 0;
}

/* Records in the spooled page, or -1 when a quote never closed (the
 * body was cut short). */
static long long spool_records(const struct spool *sp)
{
	uint64_t lines = sp->lines + (sp->line_has_data ? 1 : 0);

	if (sp->in_quote)
		return -1;
	return lines ? (long long)lines - 1 : 0;
}

/* Fetches page p->pages + 1 into `dir`, checking its record count. */
static int fetch_page(struct bulk_ctx *b, const struct job *job,
		      const char *object, const char *dir,
		      struct sf_progress *p, struct err *err)
{
	char *final = xasprintf("%s/page-%06ld.csv", dir, p->pages + 1);
	char *tmp = fs_tmp_name(final);
	struct spool sp = { NULL, tmp, err, 0, 0, 0 };
	char *next = NULL;
	long long want = -1, got = -1;
	int ret = -1;

	/* a page whose rows do not add up is fetched again, once */
	for (int attempt = 0; attempt < 2; attempt++) {
		sp.f = fopen(tmp, "w");
		if (!sp.f) {
			err_errno(err, ERR_CANTCREAT, errno, "cannot create "
				  "'%s'", tmp);
			goto out;
		}
		free(next);
		next = NULL;
		if (bulk_query_page(b, object, p->job_id, p->locator,
				    job->source.page_size, spool_write,
				    spool_reset, &sp, &next, &want, err) < 0)
			goto out;
		if (fflush(sp.f) != 0 || fsync(fileno(sp.f)) != 0) {
			err_errno(err, ERR_IO, errno, "cannot write '%s'", tmp);
			goto out;
		}
		fclose(sp.f);
		sp.f = NULL;
		got = spool_records(&sp);
		if (got >= 0 && (want < 0 || got == want))
			break;
		if (attempt == 1) {
			if (got >= 0 && want >= 0 && got != want)
				err_set(err, ERR_TEMPFAIL, "%s: page %ld of "
					"query job %s has %lld records but "
					"Sforce-NumberOfRecords says %lld",
					object, p->pages + 1, p->job_id, got,
					want);
			else
				err_set(err, ERR_TEMPFAIL, "%s: page %ld of "
					"query job %s ends inside a quoted "
					"value (the body was cut short)",
					object, p->pages + 1, p->job_id);
			goto out;
		}
		log_info("%s: page %ld of query job %s is damaged, fetching it "
			 "again", object, p->pages + 1, p->job_id);
		err_clear(err);
	}
	if (fs_publish(tmp, final, err) < 0)
		goto out;
	p->pages++;
	free(p->locator);
	p->locator = next;
	next = NULL;
	p->done = p->locator == NULL;
	ret = 0;
out:
	if (sp.f)
		fclose(sp.f);
	if (ret < 0)
		unlink(tmp);
	free(next);
	free(tmp);
	free(final);
	return ret;
}

/* Starts a new query job for the object, forgetting any old pages. */
static int new_query_job(struct bulk_ctx *b, const struct run *run,
			 const char *object, const char *soql,
			 const char *pages_dir, const char *prog_path,
			 struct sf_progress *p, struct err *err)
{
	char *id = NULL;

	progress_release(p);
	if (fs_remove_tree(pages_dir, err) < 0 ||
	    fs_mkdirs(pages_dir, 0700, err) < 0)
		return -1;
	if (bulk_query_create(b, object, soql, &id, err) < 0)
		return -1;
	p->run_id = xstrdup(run->id);
	p->job_id = id;
	p->soql = xstrdup(soql);
	return progress_save(prog_path, p, err);
}

static int extract_salesforce_object(struct bulk_ctx *b, const struct job *job,
				     const struct run *run,
				     const struct job_object *obj,
				     struct stage *st, struct object_delta *od,
				     struct err *err)
{
	char *dir = sf_extract_dir(job);
	char *prog_path = xasprintf("%s/%s.json", dir, obj->name);
	char *pages_dir = xasprintf("%s/%s", dir, obj->name);
	char *soql = build_soql(obj->schema, od);
	struct source_file *files = NULL;
	struct sf_progress p;
	int ret = -1, resumed = 0;

	memset(&p, 0, sizeof(p));
	if (fs_mkdirs(dir, 0700, err) < 0)
		goto out;
	if (fs_exists(prog_path) && progress_load(prog_path, &p) == 0 &&
	    strcmp(p.run_id, run->id) == 0 && strcmp(p.soql, soql) == 0) {
		log_info("%s: resuming query job %s at page %ld", obj->name,
			 p.job_id, p.pages + 1);
		resumed = 1;
	} else if (new_query_job(b, run, obj->name, soql, pages_dir, prog_path,
				 &p, err) < 0) {
		goto out;
	}
	while (!p.done) {
		if (p.pages == 0) {
			int failed = 0;
			int rc = bulk_query_wait(b, obj->name, p.job_id,
						 &failed, err);

			/* a resumed job that expired (7 days) or ended badly
			 * is replaced once; a fresh one that fails is final */
			if (rc < 0 && resumed &&
			    (err->cls == ERR_NOINPUT || failed)) {
				log_warn("%s: %s; starting a new query job",
					 obj->name, err->msg);
				err_clear(err);
				resumed = 0;
				if (new_query_job(b, run, obj->name, soql,
						  pages_dir, prog_path, &p,
						  err) < 0)
					goto out;
				continue;
			}
			if (rc < 0)
				goto out;
		}
		if (fetch_page(b, job, obj->name, pages_dir, &p, err) < 0 ||
		    progress_save(prog_path, &p, err) < 0)
			goto out;
	}
	files = xcalloc((size_t)p.pages + 1, sizeof(*files));
	for (long i = 0; i < p.pages; i++) {
		files[i].path = xasprintf("%s/page-%06ld.csv", pages_dir, i + 1);
		files[i].lineage = xasprintf("salesforce:jobs/query/%s/results"
					     "/page-%ld", p.job_id, i + 1);
	}
	ret = stage_object(obj, files, (size_t)p.pages, st, od, err);
out:
	for (long i = 0; files && i < p.pages; i++) {
		free(files[i].path);
		free(files[i].lineage);
	}
	free(files);
	progress_release(&p);
	free(soql);
	free(pages_dir);
	free(prog_path);
	free(dir);
	return ret;
}

/* After a commit: drop the pages and, best effort, the finished jobs. */
static void sf_extract_cleanup(struct bulk_ctx *b, const struct job *job)
{
	char *dir = sf_extract_dir(job);
	struct dirent **names = NULL;
	int n = scandir(dir, &names, NULL, alphasort);

	for (int i = 0; i < n; i++) {
		const char *name = names[i]->d_name;
		size_t len = strlen(name);

		if (b && len > 5 && strcmp(name + len - 5, ".json") == 0) {
			char *path = xasprintf("%s/%s", dir, name);
			struct sf_progress p;

			if (progress_load(path, &p) == 0) {
				bulk_query_delete(b, p.job_id, NULL);
				progress_release(&p);
			}
			free(path);
		}
		free(names[i]);
	}
	free(names);
	fs_remove_tree(dir, NULL);
	free(dir);
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
		char del[24];
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
		v[7] = od[i].sorted ? "true" : "false";
		snprintf(del, sizeof(del), "%llu",
			 (unsigned long long)od[i].deleted);
		v[8] = del;
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

/* state/pending/<run>: mirrors written while a full import is staged. */
static char *pending_dir(const struct job *job, const struct run *run)
{
	char *state = job_state_dir(job);
	char *dir = xasprintf("%s/pending/%s", state, run->id);

	free(state);
	return dir;
}

/* The Salesforce side of a run: HTTP client, session, Bulk API. */
struct connector {
	struct http_client *http;
	struct sf_session *session;
	struct bulk_ctx bulk;
};

static int connector_open(const struct job *job, struct connector *c,
			  struct err *err)
{
	memset(c, 0, sizeof(*c));
	c->http = sf_http_new(job, err);
	if (!c->http)
		return -1;
	c->session = sf_session_open(job, c->http, err);
	if (!c->session)
		return -1;
	c->bulk.session = c->session;
	c->bulk.api_version = job->source.api_version;
	c->bulk.budget_share = job->source.api_budget_share;
	c->bulk.poll_base_ms = job->source.poll_interval_ms;
	c->bulk.poll_max_ms = 10000;
	c->bulk.poll_timeout_s = job->source.poll_timeout_seconds;
	return 0;
}

static void connector_close(struct connector *c)
{
	sf_session_close(c->session);
	http_free(c->http);
	memset(c, 0, sizeof(*c));
}

static int extract_stage(const struct job *job, const struct run *run,
			 const struct extract_options *opt,
			 struct connector *conn, struct extract_result *res,
			 struct err *err)
{
	struct sync_state ss = SYNC_STATE_INIT;
	struct object_delta *od = NULL;
	struct stage *st = NULL;
	char *pending = NULL;
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
	if (sync_state_load(job, &ss, err) < 0)
		goto out;
	pending = pending_dir(job, run);
	if (fs_remove_tree(pending, err) < 0)
		goto out;
	if (job->source.kind == SOURCE_SALESFORCE &&
	    connector_open(job, conn, err) < 0)
		goto out;
	od = xcalloc(job->nobjects + 1, sizeof(*od));
	for (size_t i = 0; i < job->nobjects; i++) {
		const struct job_object *obj = &job->objects[i];
		const struct sync_entry *e;
		struct object_delta *d;
		int rc;

		if (!obj->enabled)
			continue;
		d = &od[n++];
		d->schema = obj->schema;
		e = sync_state_get(&ss, obj->name, 0);
		d->full = opt->full || !e || !e->has_watermark;
		if (d->full) {
			d->mirror_path = xasprintf("%s/%s.csv.gz", pending,
						   obj->name);
		} else {
			int64_t since = e->watermark_ms -
					job->source.lookback_seconds * 1000;

			/* whole seconds, as a SOQL literal can say it */
			d->has_since = 1;
			d->since_ms = since - ((since % 1000) + 1000) % 1000;
		}
		if (job->source.kind == SOURCE_SALESFORCE)
			rc = extract_salesforce_object(&conn->bulk, job, run,
						       obj, st, d, err);
		else
			rc = extract_fixture_object(job, obj, st, d, err);
		if (rc < 0)
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
	if (conn->http)
		stage_add_api_calls(st, http_requests(conn->http));
	ret = stage_commit(st, err);
	st = NULL;
out:
	if (conn->http)
		res->api_calls = http_requests(conn->http);
	stage_abandon(st);
	sync_state_release(&ss);
	for (size_t i = 0; od && i < n; i++)
		free(od[i].mirror_path);
	free(od);
	free(pending);
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
		d->selected = strtoull(row->fields[4], NULL, 10);
		d->sorted = strcmp(row->fields[7], "true") == 0;
		d->deleted = strtoull(row->fields[8], NULL, 10);
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
	char *pending = pending_dir(job, run);
	char *pending_root = xasprintf("%s/pending", state);
	int64_t now = clock_now_ms();
	size_t n = 0;
	int ret = -1, changed = 0;

	if (sync_state_load(job, &ss, err) < 0 ||
	    read_sync_file(job, run, &od, &n, err) < 0)
		goto out;
	/* a commit killed half-way may have left temporary files */
	if (fs_mkdirs(mirror_dir, 0700, err) < 0 ||
	    fs_remove_stale_tmp(mirror_dir, err) < 0 ||
	    fs_remove_tree(tmp_dir, err) < 0 ||
	    fs_mkdirs(tmp_dir, 0700, err) < 0)
		goto out;
	for (size_t i = 0; i < n; i++) {
		const struct schema *s = od[i].schema;
		struct sync_entry *e = sync_state_get(&ss, s->name, 1);
		char *delta = xasprintf("%s/extract/%s.csv.gz", run->dir,
					s->name);
		char *mirror = xasprintf("%s/%s.csv.gz", mirror_dir, s->name);
		char *ready = xasprintf("%s/%s.csv.gz", pending, s->name);
		struct mirror_stats ms;
		int rc;

		if (strcmp(e->run_id, run->id) == 0) {
			/* committed before an interruption */
			free(delta);
			free(mirror);
			free(ready);
			continue;
		}
		if (od[i].full && od[i].sorted && fs_exists(ready)) {
			/* written while the delta was staged: publish it */
			memset(&ms, 0, sizeof(ms));
			ms.delta_rows = od[i].selected;
			ms.rows = ms.upserts = od[i].selected - od[i].deleted;
			ms.deletes = od[i].deleted;
			rc = fs_publish(ready, mirror, err);
		} else if (od[i].full && od[i].sorted) {
			/* resumed after the pending file was published or
			 * lost: the same result, read from the delta */
			rc = mirror_from_sorted(s, delta, mirror, &ms, err);
		} else {
			rc = mirror_merge(s, od[i].full ? NULL : mirror, delta,
					  mirror, tmp_dir, &ms, err);
		}
		free(delta);
		free(mirror);
		free(ready);
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
	if (ret == 0)
		fs_remove_tree(pending_root, NULL);
	sync_state_release(&ss);
	free(od);
	free(pending_root);
	free(pending);
	free(tmp_dir);
	free(mirror_dir);
	free(state);
	return ret;
}

int extract_run(const struct job *job, const struct run *run,
		const struct extract_options *opt, struct extract_result *res,
		struct err *err)
{
	struct connector conn;
	int ret = -1;

	memset(res, 0, sizeof(*res));
	memset(&conn, 0, sizeof(conn));
	if (extract_stage(job, run, opt, &conn, res, err) < 0)
		goto out;
	if (extract_commit(job, run, res, err) < 0)
		goto out;
	/* the mirror holds the data: the pages and jobs can go */
	if (job->source.kind == SOURCE_SALESFORCE)
		sf_extract_cleanup(conn.session ? &conn.bulk : NULL, job);
	ret = 0;
out:
	if (conn.http)
		res->api_calls = http_requests(conn.http);
	connector_close(&conn);
	return ret;
}
