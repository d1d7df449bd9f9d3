/*
 * stage.c - runs, stages, manifests and the job lock (see stage.h).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "crypto.h"
#include "fsutil.h"
#include "schema.h"
#include "stage.h"
#include "strbuf.h"
#include "timeutil.h"
#include "xalloc.h"

#define MANIFEST "manifest.csv"

unsigned staged_read_flags(const char *path)
{
	size_t len = strlen(path);

	return len > 3 && strcmp(path + len - 3, ".gz") == 0 ? CSVR_GZIP : 0;
}

/* ---- the job lock ------------------------------------------------------ */

struct job_lock {
	int fd;
};

char *job_state_dir(const struct job *job)
{
	return xasprintf("%s/state", job->staging_dir);
}

struct job_lock *job_lock_acquire(const struct job *job, struct err *err)
{
	char *state = job_state_dir(job);
	char *path = xasprintf("%s/lock", state);
	struct job_lock *lock = NULL;
	char pid[32];
	int fd = -1;

	if (fs_mkdirs(state, 0700, err) < 0) {
		err_prefix(err, "cannot set up staging for job '%s'", job->name);
		goto out;
	}
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0) {
		err_errno(err, ERR_CANTCREAT, errno, "cannot open lock '%s'",
			  path);
		goto out;
	}
	if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		char holder[32] = "";
		ssize_t n = pread(fd, holder, sizeof(holder) - 1, 0);

		if (n > 0)
			holder[n] = '\0';
		holder[strcspn(holder, "\n")] = '\0';
		if (errno == EWOULDBLOCK || errno == EAGAIN)
			err_set(err, ERR_TEMPFAIL,
				"job '%s' is locked by another crmsync "
				"process%s%s (lock '%s'); try again when it "
				"ends", job->name, *holder ? " pid " : "",
				holder, path);
		else
			err_errno(err, ERR_IO, errno, "cannot lock '%s'", path);
		goto out;
	}
	snprintf(pid, sizeof(pid), "%ld\n", (long)getpid());
	if (ftruncate(fd, 0) < 0 || pwrite(fd, pid, strlen(pid), 0) < 0) {
		err_errno(err, ERR_IO, errno, "cannot write lock '%s'", path);
		goto out;
	}
	/* we hold the lock: temporary files here are a dead writer's */
	{
		char *mirror = xasprintf("%s/mirror", state);

		fs_remove_stale_tmp(state, NULL);
		fs_remove_stale_tmp(mirror, NULL);
		free(mirror);
	}
	lock = xmalloc(sizeof(*lock));
	lock->fd = fd;
	fd = -1;
out:
	if (fd >= 0)
		close(fd);
	free(path);
	free(state);
	return lock;
}

void job_lock_release(struct job_lock *lock)
{
	if (!lock)
		return;
	close(lock->fd); /* releases the flock */
	free(lock);
}

/* ---- runs ---------------------------------------------------------------- */

static int valid_run_id(const char *id)
{
	if (!*id || strcmp(id, ".") == 0 || strcmp(id, "..") == 0)
		return 0;
	for (const char *p = id; *p; p++)
		if (!(strchr("_.-", *p) || (*p >= '0' && *p <= '9') ||
		      (*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z')))
			return 0;
	return 1;
}

static struct run *run_new(const struct job *job, const char *id)
{
	struct run *run = xmalloc(sizeof(*run));

	run->id = xstrdup(id);
	run->dir = xasprintf("%s/runs/%s", job->staging_dir, id);
	return run;
}

struct run *run_create(const struct job *job, const char *id,
		       struct err *err)
{
	char stamp[32];
	char *runs = xasprintf("%s/runs", job->staging_dir);
	struct run *run = NULL;

	if (id && !valid_run_id(id)) {
		err_set(err, ERR_USAGE, "invalid run id '%s': use letters, "
			"digits, '_', '.' and '-'", id);
		goto out;
	}
	if (fs_mkdirs(runs, 0755, err) < 0)
		goto out;
	if (!id) {
		run_id_format(clock_now_ms(), stamp, sizeof(stamp));
		id = stamp;
	}
	for (int n = 1; n < 1000; n++) {
		char *try = n == 1 ? xstrdup(id) : xasprintf("%s-%d", id, n);

		run = run_new(job, try);
		free(try);
		if (mkdir(run->dir, 0755) == 0)
			goto out;
		if (errno != EEXIST) {
			err_errno(err, ERR_CANTCREAT, errno,
				  "cannot create run directory '%s'", run->dir);
			run_free(run);
			run = NULL;
			goto out;
		}
		run_free(run);
		run = NULL;
	}
	err_set(err, ERR_CANTCREAT, "too many runs named '%s' in '%s'", id,
		runs);
out:
	free(runs);
	return run;
}

struct run *run_open(const struct job *job, const char *id, struct err *err)
{
	struct run *run;

	if (!valid_run_id(id)) {
		err_set(err, ERR_USAGE, "invalid run id '%s'", id);
		return NULL;
	}
	run = run_new(job, id);
	if (!fs_is_dir(run->dir)) {
		err_set(err, ERR_NOINPUT, "job '%s' has no run '%s' (no "
			"directory '%s')", job->name, id, run->dir);
		run_free(run);
		return NULL;
	}
	return run;
}

struct run *run_latest(const struct job *job, struct err *err)
{
	char *runs = xasprintf("%s/runs", job->staging_dir);
	char *best = NULL;
	struct run *run = NULL;
	struct dirent *de;
	DIR *d = opendir(runs);

	err_clear(err);
	if (!d) {
		if (errno != ENOENT)
			err_errno(err, ERR_IO, errno, "cannot read '%s'", runs);
		goto out;
	}
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.' || !valid_run_id(de->d_name))
			continue;
		/* ids are timestamps, "-N" suffixes sort after their base */
		if (!best || strcmp(de->d_name, best) > 0) {
			free(best);
			best = xstrdup(de->d_name);
		}
	}
	closedir(d);
	if (best)
		run = run_new(job, best);
out:
	free(best);
	free(runs);
	return run;
}

int run_is_complete(const struct run *run)
{
	char *path = xasprintf("%s/run.csv", run->dir);
	int ret = fs_exists(path);

	free(path);
	return ret;
}

void run_free(struct run *run)
{
	if (!run)
		return;
	free(run->id);
	free(run->dir);
	free(run);
}

/* ---- manifests ----------------------------------------------------------- */

struct manifest_entry {
	char *kind;
	char *path;
	char *schema;
	uint64_t rows, rejected, bytes;
	char sha256[SHA256_HEX_LEN + 1];
};

struct stage {
	char *name;
	char *dir;
	struct manifest_entry *entries;
	size_t n, alloc;
};

static void csv_quote(struct strbuf *sb, const char *v)
{
	if (!v[strcspn(v, ",\"\r\n")] && v[0] != ' ' &&
	    !(*v && v[strlen(v) - 1] == ' ')) {
		strbuf_addstr(sb, v);
		return;
	}
	strbuf_addch(sb, '"');
	for (; *v; v++) {
		if (*v == '"')
			strbuf_addch(sb, '"');
		strbuf_addch(sb, *v);
	}
	strbuf_addch(sb, '"');
}

static void add_entry(struct stage *st, const char *kind, const char *rel,
		      const char *schema, uint64_t rows, uint64_t rejected,
		      uint64_t bytes, const char *sha256)
{
	struct manifest_entry *e;

	XGROW(st->entries, st->alloc, st->n + 1);
	e = &st->entries[st->n++];
	e->kind = xstrdup(kind);
	e->path = xstrdup(rel);
	e->schema = xstrdup(schema ? schema : "");
	e->rows = rows;
	e->rejected = rejected;
	e->bytes = bytes;
	snprintf(e->sha256, sizeof(e->sha256), "%s", sha256);
}

static int kind_rank(const char *kind)
{
	if (strcmp(kind, "output") == 0)
		return 0;
	if (strcmp(kind, "rejects") == 0)
		return 1;
	if (strcmp(kind, "input") == 0)
		return 2;
	return 3;
}

/* Kinds whose path names a file of the stage directory. */
static int is_stage_file(const char *kind)
{
	return strcmp(kind, "output") == 0 || strcmp(kind, "rejects") == 0;
}

static int entry_cmp(const void *a, const void *b)
{
	const struct manifest_entry *x = a, *y = b;
	int r = kind_rank(x->kind) - kind_rank(y->kind);

	return r ? r : strcmp(x->path, y->path);
}

static void free_entries(struct stage *st)
{
	for (size_t i = 0; i < st->n; i++) {
		free(st->entries[i].kind);
		free(st->entries[i].path);
		free(st->entries[i].schema);
	}
	free(st->entries);
	st->entries = NULL;
	st->n = st->alloc = 0;
}

static void stage_free(struct stage *st)
{
	if (!st)
		return;
	free_entries(st);
	free(st->name);
	free(st->dir);
	free(st);
}

/* Manifest text for `st`, sorted, with the closing self-hash row. */
static void manifest_render(struct stage *st, struct strbuf *sb)
{
	struct sha256 *h;
	char hex[SHA256_HEX_LEN + 1];
	size_t body;

	if (st->n > 1)
		qsort(st->entries, st->n, sizeof(*st->entries), entry_cmp);
	strbuf_addstr(sb, "kind,path,schema,rows,rejected,bytes,sha256\n");
	for (size_t i = 0; i < st->n; i++) {
		const struct manifest_entry *e = &st->entries[i];

		csv_quote(sb, e->kind);
		strbuf_addch(sb, ',');
		csv_quote(sb, e->path);
		strbuf_addch(sb, ',');
		csv_quote(sb, e->schema);
		strbuf_addf(sb, ",%llu,%llu,%llu,%s\n",
			    (unsigned long long)e->rows,
			    (unsigned long long)e->rejected,
			    (unsigned long long)e->bytes, e->sha256);
	}
	body = sb->len;
	h = sha256_new();
	sha256_update(h, sb->buf, body);
	sha256_final_hex(h, hex);
	strbuf_addf(sb, "manifest,%s,,0,0,%zu,%s\n", MANIFEST, body, hex);
}

/* Relative path from directory `from` to `to`, both made absolute with
 * realpath (they must exist); caller frees. */
static char *relative_path(const char *from, const char *to,
			   struct err *err)
{
	char *a = realpath(from, NULL), *b = realpath(to, NULL);
	struct strbuf sb = STRBUF_INIT;
	size_t common = 0, i;
	char *ret = NULL;

	if (!a || !b) {
		err_errno(err, ERR_NOINPUT, errno, "cannot resolve '%s'",
			  a ? to : from);
		goto out;
	}
	/* longest common prefix ending on a path boundary */
	for (i = 0; a[i] && a[i] == b[i]; i++)
		if (a[i] == '/')
			common = i;
	if (!a[i] && (b[i] == '/' || !b[i]))
		common = i;
	for (const char *p = a + common; *p; p++)
		if (*p == '/')
			strbuf_addstr(&sb, "../");
	strbuf_addstr(&sb, b[common] == '/' ? b + common + 1 : b + common);
	if (sb.len && sb.buf[sb.len - 1] == '/')
		strbuf_setlen(&sb, sb.len - 1);
	ret = strbuf_detach(&sb, NULL);
out:
	free(a);
	free(b);
	return ret;
}

/* ---- stages -------------------------------------------------------------- */

static struct stage *stage_new(const char *name, const char *dir)
{
	struct stage *st = xcalloc(1, sizeof(*st));

	st->name = xstrdup(name);
	st->dir = xstrdup(dir);
	return st;
}

struct stage *stage_for_dir(const char *dir)
{
	return stage_new("", dir);
}

int stage_begin(const struct run *run, const char *name, struct stage **out,
		struct err *err)
{
	char *dir = xasprintf("%s/%s", run->dir, name);
	int ret = -1;

	*out = NULL;
	if (manifest_quick_check(dir)) {
		ret = 1;
		goto out;
	}
	/* an interrupted attempt: nothing in it is trusted */
	if (fs_remove_tree(dir, err) < 0 || fs_mkdirs(dir, 0755, err) < 0) {
		err_prefix(err, "cannot start stage '%s' of run '%s'", name,
			   run->id);
		goto out;
	}
	*out = stage_new(name, dir);
	ret = 0;
out:
	free(dir);
	return ret;
}

const char *stage_dir(const struct stage *st)
{
	return st->dir;
}

char *stage_path(const struct stage *st, const char *rel)
{
	return xasprintf("%s/%s", st->dir, rel);
}

void stage_add_output(struct stage *st, const char *rel, const char *schema,
		      const struct csv_file_info *info)
{
	add_entry(st, "output", rel, schema, info->rows, 0, info->bytes,
		  info->sha256);
}

void stage_add_rejects(struct stage *st, const char *rel,
		       const char *schema, const struct csv_file_info *info)
{
	add_entry(st, "rejects", rel, schema, info->rows, 0, info->bytes,
		  info->sha256);
}

int stage_add_input(struct stage *st, const char *path, const char *schema,
		    uint64_t rows, uint64_t rejected, uint64_t bytes,
		    const char *sha256, struct err *err)
{
	char *rel = relative_path(st->dir, path, err);

	if (!rel)
		return -1;
	add_entry(st, "input", rel, schema, rows, rejected, bytes, sha256);
	free(rel);
	return 0;
}

void stage_add_api_calls(struct stage *st, uint64_t calls)
{
	add_entry(st, "api_calls", "salesforce", "", calls, 0, 0, "");
}

void stage_add_remote_input(struct stage *st, const char *name,
			    const char *schema, uint64_t rows,
			    uint64_t rejected, uint64_t bytes,
			    const char *sha256)
{
	add_entry(st, "input", name, schema, rows, rejected, bytes, sha256);
}

static int is_remote(const char *path)
{
	return strncmp(path, "salesforce:", 11) == 0 ||
	       strstr(path, "://") != NULL;
}

int stage_commit(struct stage *st, struct err *err)
{
	struct strbuf sb = STRBUF_INIT;
	char *path = xasprintf("%s/%s", st->dir, MANIFEST);
	int ret;

	manifest_render(st, &sb);
	ret = fs_write_atomic(path, sb.buf, sb.len, 0644, err);
	if (ret < 0)
		err_prefix(err, "cannot write the manifest of '%s'", st->dir);
	strbuf_release(&sb);
	free(path);
	stage_free(st);
	return ret;
}

void stage_abandon(struct stage *st)
{
	stage_free(st);
}

/* ---- reading and checking manifests ------------------------------------ */

static int parse_u64(const char *s, uint64_t *v)
{
	char *end;
	unsigned long long x;

	if (!*s || *s == '-')
		return -1;
	errno = 0;
	x = strtoull(s, &end, 10);
	if (errno || *end)
		return -1;
	*v = x;
	return 0;
}

/*
 * Loads `dir`/manifest.csv into `st` after checking its self-hash row.
 * Fails with ERR_NOINPUT when absent, ERR_DATA when malformed or when the
 * self hash does not match.
 */
static int manifest_load(const char *dir, struct stage *st, struct err *err)
{
	char *path = xasprintf("%s/%s", dir, MANIFEST);
	char *text = NULL;
	struct csv_reader *r = NULL;
	const struct csv_row *row;
	size_t len;
	int ret = -1, closed = 0;
	enum csvr_status s;

	if (fs_read_all(path, &text, &len, err) < 0)
		goto out;
	r = csvr_open(path, CSVR_PLAIN, err);
	if (!r)
		goto out;
	row = csvr_header(r);
	if (row->nfields != 7 || strcmp(row->fields[0], "kind") ||
	    strcmp(row->fields[6], "sha256")) {
		err_set(err, ERR_DATA, "'%s' line 1: not a crmsync manifest",
			path);
		goto out;
	}
	while ((s = csvr_next(r, &row, err)) == CSVR_ROW) {
		uint64_t rows, rejected, bytes;

		if (closed) {
			err_set(err, ERR_DATA, "'%s' line %llu: row after the "
				"closing manifest row", path,
				(unsigned long long)row->line);
			goto out;
		}
		if (parse_u64(row->fields[3], &rows) ||
		    parse_u64(row->fields[4], &rejected) ||
		    parse_u64(row->fields[5], &bytes) ||
		    (row->lens[6] != SHA256_HEX_LEN &&
		     strcmp(row->fields[0], "api_calls") != 0)) {
			err_set(err, ERR_DATA, "'%s' line %llu: malformed "
				"manifest row", path,
				(unsigned long long)row->line);
			goto out;
		}
		if (strcmp(row->fields[0], "manifest") == 0) {
			struct sha256 *h = sha256_new();
			char hex[SHA256_HEX_LEN + 1];

			if (bytes > len) {
				sha256_free(h);
				err_set(err, ERR_DATA, "'%s': self hash covers "
					"more bytes than the file has", path);
				goto out;
			}
			sha256_update(h, text, bytes);
			sha256_final_hex(h, hex);
			if (strcmp(hex, row->fields[6]) != 0) {
				err_set(err, ERR_DATA, "'%s': the manifest was "
					"modified after it was written (self "
					"hash mismatch)", path);
				goto out;
			}
			closed = 1;
			continue;
		}
		add_entry(st, row->fields[0], row->fields[1], row->fields[2],
			  rows, rejected, bytes, row->fields[6]);
	}
	if (s != CSVR_EOF) {
		if (s == CSVR_BADROW)
			err_prefix(err, "malformed manifest");
		goto out;
	}
	if (!closed) {
		err_set(err, ERR_DATA, "'%s': no closing manifest row (the "
			"file is truncated)", path);
		goto out;
	}
	ret = 0;
out:
	csvr_close(r);
	free(text);
	free(path);
	return ret;
}

int manifest_quick_check(const char *dir)
{
	struct stage *st = stage_new("", dir);
	int ok = manifest_load(dir, st, NULL) == 0;

	for (size_t i = 0; ok && i < st->n; i++) {
		struct manifest_entry *e = &st->entries[i];
		char *path;
		struct stat sb;

		if (!is_stage_file(e->kind))
			continue;
		path = xasprintf("%s/%s", dir, e->path);
		ok = stat(path, &sb) == 0 && (uint64_t)sb.st_size == e->bytes;
		free(path);
	}
	stage_free(st);
	return ok;
}

static void reportf(verify_report_fn report, void *ctx,
		    enum verify_severity sev, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static void reportf(verify_report_fn report, void *ctx,
		    enum verify_severity sev, const char *fmt, ...)
{
	char msg[ERR_MSG_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	report(ctx, sev, msg);
}

/* Re-reads a staged CSV file: header against its schema, row count. */
static int check_csv(const char *path, const struct manifest_entry *e,
		     char *why, size_t whylen)
{
	const struct schema *schema = NULL;
	struct err err = ERR_INIT;
	struct csv_reader *r;
	const struct csv_row *row;
	const char *slash = strchr(e->schema, '/');
	enum csvr_status s;
	int ret = -1;

	if (slash) {
		char *group = xstrndup(e->schema, (size_t)(slash - e->schema));

		schema = schema_find(group, slash + 1);
		free(group);
	}
	r = csvr_open(path, staged_read_flags(path), &err);
	if (!r) {
		snprintf(why, whylen, "%s", err.msg);
		return -1;
	}
	if (schema) {
		const struct csv_row *h = csvr_header(r);
		int same = h->nfields == schema->nfields;

		for (size_t i = 0; same && i < h->nfields; i++)
			same = strcmp(h->fields[i], schema->fields[i].name) == 0;
		if (!same) {
			snprintf(why, whylen, "header differs from schema %s",
				 e->schema);
			goto out;
		}
	} else if (*e->schema && strcmp(e->schema, "-") != 0) {
		snprintf(why, whylen, "unknown schema '%s'", e->schema);
		goto out;
	}
	while ((s = csvr_next(r, &row, &err)) == CSVR_ROW)
		;
	if (s != CSVR_EOF) {
		snprintf(why, whylen, "%s", err.msg);
		goto out;
	}
	if (csvr_records(r) != e->rows) {
		snprintf(why, whylen, "has %llu rows, manifest says %llu",
			 (unsigned long long)csvr_records(r),
			 (unsigned long long)e->rows);
		goto out;
	}
	ret = 0;
out:
	csvr_close(r);
	return ret;
}

static int listed(const struct stage *st, const char *rel)
{
	for (size_t i = 0; i < st->n; i++)
		if (is_stage_file(st->entries[i].kind) &&
		    strcmp(st->entries[i].path, rel) == 0)
			return 1;
	return 0;
}

/* Reports files under `dir` (recursively, as `prefix`/name) that the
 * manifest does not list. */
static int find_unlisted(const struct stage *st, const char *dir,
			 const char *prefix, verify_report_fn report,
			 void *ctx)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	int fails = 0;

	if (!d)
		return 0;
	while ((de = readdir(d))) {
		char *rel, *path;

		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		rel = *prefix ? xasprintf("%s/%s", prefix, de->d_name)
			      : xstrdup(de->d_name);
		path = xasprintf("%s/%s", dir, de->d_name);
		if (fs_is_dir(path)) {
			fails += find_unlisted(st, path, rel, report, ctx);
		} else if (strcmp(rel, MANIFEST) && !listed(st, rel)) {
			reportf(report, ctx, VERIFY_FAIL, "%s: not listed in "
				"the manifest", path);
			fails++;
		}
		free(rel);
		free(path);
	}
	closedir(d);
	return fails;
}

int manifest_verify(const char *dir, verify_report_fn report, void *ctx,
		    struct err *err)
{
	struct stage *st = stage_new("", dir);
	int fails = 0;

	if (manifest_load(dir, st, err) < 0) {
		stage_free(st);
		return -1;
	}
	for (size_t i = 0; i < st->n; i++) {
		const struct manifest_entry *e = &st->entries[i];
		char *path = xasprintf("%s/%s", dir, e->path);
		char hex[SHA256_HEX_LEN + 1], why[ERR_MSG_MAX];
		char *real = realpath(path, NULL);
		unsigned long long bytes = 0;
		struct err ferr = ERR_INIT;
		int input = strcmp(e->kind, "input") == 0;

		if (!input && !is_stage_file(e->kind)) {
			free(path);
			free(real);
			continue;
		}

		if (input && is_remote(e->path)) {
			/* what Salesforce sent is gone; its hash stays */
			reportf(report, ctx, VERIFY_OK, "%s (remote input)",
				e->path);
			free(path);
			free(real);
			continue;
		}

		/* inputs outside the stage read better resolved */
		if (input && real) {
			free(path);
			path = real;
			real = NULL;
		}
		free(real);

		if (sha256_file(path, hex, &bytes, &ferr) < 0) {
			reportf(report, ctx, input ? VERIFY_NOTE : VERIFY_FAIL,
				"%s%s", input ? "input no longer readable: " :
				"", ferr.msg);
			fails += !input;
		} else if (bytes != e->bytes || strcmp(hex, e->sha256)) {
			if (input) {
				reportf(report, ctx, VERIFY_NOTE, "%s: input "
					"changed since the stage read it",
					path);
			} else {
				reportf(report, ctx, VERIFY_FAIL, "%s: %s",
					path, bytes != e->bytes ?
					"size differs from the manifest" :
					"SHA-256 differs from the manifest");
				fails++;
			}
		} else if (!input && check_csv(path, e, why, sizeof(why))) {
			reportf(report, ctx, VERIFY_FAIL, "%s: %s", path, why);
			fails++;
		} else {
			reportf(report, ctx, VERIFY_OK, "%s", path);
		}
		free(path);
	}
	fails += find_unlisted(st, dir, "", report, ctx);
	stage_free(st);
	return fails;
}

/* ---- run.csv --------------------------------------------------------------- */

int run_finish(const struct run *run, const char *const *stages,
	       struct err *err)
{
	struct strbuf sb = STRBUF_INIT;
	char *path = xasprintf("%s/run.csv", run->dir);
	int ret = -1;

	strbuf_addstr(&sb, "stage,outputs,rows,rejected,api_calls\n");
	for (size_t i = 0; stages[i]; i++) {
		char *dir = xasprintf("%s/%s", run->dir, stages[i]);
		struct stage *st = stage_new(stages[i], dir);
		uint64_t rows = 0, rejected = 0, outputs = 0, calls = 0;

		if (manifest_load(dir, st, err) < 0) {
			err_prefix(err, "cannot finish run '%s'", run->id);
			stage_free(st);
			free(dir);
			goto out;
		}
		for (size_t j = 0; j < st->n; j++) {
			if (!strcmp(st->entries[j].kind, "output")) {
				outputs++;
				rows += st->entries[j].rows;
			} else if (!strcmp(st->entries[j].kind, "rejects")) {
				rejected += st->entries[j].rows;
			} else if (!strcmp(st->entries[j].kind, "api_calls")) {
				calls += st->entries[j].rows;
			}
		}
		strbuf_addf(&sb, "%s,%llu,%llu,%llu,%llu\n", stages[i],
			    (unsigned long long)outputs,
			    (unsigned long long)rows,
			    (unsigned long long)rejected,
			    (unsigned long long)calls);
		stage_free(st);
		free(dir);
	}
	ret = fs_write_atomic(path, sb.buf, sb.len, 0644, err);
out:
	strbuf_release(&sb);
	free(path);
	return ret;
}

struct csv_writer *stage_open_output(struct stage *st, const char *rel,
				     const char *schema, unsigned flags,
				     struct err *err)
{
	const struct schema *s = schema_find("staged", schema);
	char *path;
	struct csv_writer *w;

	if (!s) {
		err_set(err, ERR_SOFTWARE, "no schema staged/%s", schema);
		return NULL;
	}
	path = stage_path(st, rel);
	w = csvw_open(path, schema_field_names(s), s->nfields, flags, err);
	free(path);
	return w;
}

int stage_commit_output(struct stage *st, struct csv_writer *w,
			const char *rel, const char *schema, struct err *err)
{
	struct csv_file_info info;
	char *id;

	if (csvw_commit(w, &info, err) < 0)
		return -1;
	id = xasprintf("staged/%s", schema);
	stage_add_output(st, rel, id, &info);
	free(id);
	return 0;
}
