/*
 * sf_ingest.c - Bulk API 2.0 ingest jobs over an authorised session
 * (see sf_ingest.h).
 */
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "csvio.h"
#include "fsutil.h"
#include "log.h"
#include "sf_ingest.h"
#include "strbuf.h"
#include "timeutil.h"
#include "xalloc.h"

static const char *const state_names[] = {
	"Open", "UploadComplete", "InProgress", "JobComplete", "Failed",
	"Aborted", "gone",
};

const char *ingest_state_name(enum ingest_state s)
{
	return state_names[s];
}

int ingest_state_final(enum ingest_state s)
{
	return s == INGEST_JOB_COMPLETE || s == INGEST_FAILED ||
	       s == INGEST_ABORTED;
}

void ingest_info_release(struct ingest_info *info)
{
	free(info->error_message);
	info->error_message = NULL;
	free(info->created_by);
	info->created_by = NULL;
}

const char *ingest_result_name(enum ingest_result which)
{
	switch (which) {
	case INGEST_SUCCESSFUL:
		return "successfulResults";
	case INGEST_FAILED_ROWS:
		return "failedResults";
	case INGEST_UNPROCESSED:
		break;
	}
	return "unprocessedrecords";
}

static char *job_path(const struct bulk_ctx *b, const char *job_id,
		      const char *sub)
{
	return xasprintf("/services/data/v%s/jobs/ingest%s%s%s%s",
			 b->api_version, job_id ? "/" : "",
			 job_id ? job_id : "", sub ? "/" : "", sub ? sub : "");
}

static json_t *json_answer(const struct http_response *resp, const char *what,
			   struct err *err)
{
	json_error_t je;
	json_t *j = json_loadb(resp->body.buf, resp->body.len, 0, &je);

	if (!j || !json_is_object(j)) {
		json_decref(j);
		err_set(err, ERR_TEMPFAIL, "%s: Salesforce answered %ld with "
			"malformed JSON (%s)", what, resp->status,
			j ? "not an object" : je.text);
		return NULL;
	}
	return j;
}

static int parse_state(const char *s, enum ingest_state *out)
{
	for (int i = 0; i < INGEST_GONE; i++)
		if (s && strcmp(s, state_names[i]) == 0) {
			*out = (enum ingest_state)i;
			return 0;
		}
	return -1;
}

/* Fills `info` from a job info answer. */
static int info_from(json_t *answer, struct ingest_info *info,
		     const char *what, struct err *err)
{
	const char *state = json_string_value(json_object_get(answer,
							       "state"));
	json_t *v;

	if (parse_state(state, &info->state) < 0)
		return err_set(err, ERR_TEMPFAIL, "%s: unknown job state "
			       "'%s'", what, state ? state : "(none)");
	v = json_object_get(answer, "numberRecordsProcessed");
	info->processed = json_is_integer(v) ? json_integer_value(v) : -1;
	v = json_object_get(answer, "numberRecordsFailed");
	info->failed = json_is_integer(v) ? json_integer_value(v) : -1;
	v = json_object_get(answer, "errorMessage");
	free(info->error_message);
	info->error_message = json_is_string(v) ?
			      xstrdup(json_string_value(v)) : NULL;
	v = json_object_get(answer, "createdById");
	free(info->created_by);
	info->created_by = json_is_string(v) ?
			   xstrdup(json_string_value(v)) : NULL;
	return 0;
}

/*
 * Sends a JSON body (`body` may be NULL for none) and parses a JSON
 * object answer of status `expect`; other statuses go through
 * sf_error().  *status gets the final status.
 */
static int json_call(struct bulk_ctx *b, const char *method, const char *path,
		     json_t *body, const char *what, long expect,
		     json_t **answer, long *status, struct err *err)
{
	static const char *const headers[] = {
		"Content-Type: application/json; charset=UTF-8",
		"Accept: application/json", NULL,
	};
	struct http_response resp;
	struct http_request req;
	char *text = body ? json_dumps(body, JSON_COMPACT |
					     JSON_PRESERVE_ORDER) : NULL;
	int ret = -1;

	*answer = NULL;
	http_response_init(&resp);
	memset(&req, 0, sizeof(req));
	req.method = method;
	req.url = path;
	req.headers = headers;
	req.body = text;
	req.body_len = text ? strlen(text) : 0;
	req.retry_safe = 1; /* see sf_ingest.h for why each call is */
	req.what = what;
	if (bulk_call(b, &req, &resp, err) < 0)
		goto out;
	*status = resp.status;
	if (resp.status != expect) {
		sf_error(&resp, what, err);
		goto out;
	}
	*answer = json_answer(&resp, what, err);
	if (*answer)
		ret = 0;
out:
	free(text);
	http_response_release(&resp);
	return ret;
}

int ingest_create(struct bulk_ctx *b, const char *object,
		  const char *operation, const char *ext_field, char **job_id,
		  struct err *err)
{
	char *path = job_path(b, NULL, NULL);
	char *what = xasprintf("%s: create the Bulk API ingest job (POST %s)",
			       object, path);
	json_t *body = json_object(), *answer = NULL, *id;
	long status = 0;
	int ret = -1;

	*job_id = NULL;
	json_object_set_new(body, "object", json_string(object));
	json_object_set_new(body, "operation", json_string(operation));
	if (ext_field)
		json_object_set_new(body, "externalIdFieldName",
				    json_string(ext_field));
	json_object_set_new(body, "contentType", json_string("CSV"));
	json_object_set_new(body, "columnDelimiter", json_string("COMMA"));
	json_object_set_new(body, "lineEnding", json_string("LF"));
	if (json_call(b, "POST", path, body, what, 200, &answer, &status,
		      err) < 0)
		goto out;
	id = json_object_get(answer, "id");
	if (!json_is_string(id) || !*json_string_value(id)) {
		err_set(err, ERR_TEMPFAIL, "%s: the answer has no job id", what);
		goto out;
	}
	*job_id = xstrdup(json_string_value(id));
	log_info("%s: ingest job %s created", object, *job_id);
	ret = 0;
out:
	json_decref(answer);
	json_decref(body);
	free(what);
	free(path);
	return ret;
}

int ingest_upload(struct bulk_ctx *b, const char *job_id, const char *csv,
		  size_t len, struct err *err)
{
	static const char *const headers[] = { "Content-Type: text/csv",
					       "Accept: application/json",
					       NULL };
	char *path = job_path(b, job_id, "batches");
	char *what = xasprintf("upload the CSV of ingest job %s (PUT %s)",
			       job_id, path);
	struct http_response resp;
	struct http_request req;
	int ret = -1;

	if (len > INGEST_MAX_BYTES) {
		err_set(err, ERR_SOFTWARE, "%s: %zu bytes is over the %u "
			"bytes a job takes", what, len, INGEST_MAX_BYTES);
		goto out_free;
	}
	http_response_init(&resp);
	memset(&req, 0, sizeof(req));
	req.method = "PUT";
	req.url = path;
	req.headers = headers;
	req.body = csv;
	req.body_len = len;
	req.retry_safe = 1;
	req.what = what;
	if (bulk_call(b, &req, &resp, err) < 0)
		goto out;
	if (resp.status != 201 && resp.status != 200) {
		sf_error(&resp, what, err);
		goto out;
	}
	ret = 0;
out:
	http_response_release(&resp);
out_free:
	free(what);
	free(path);
	return ret;
}

/* PATCH the job's state; `ok_if` tells which current states mean the
 * wanted change already happened (a replay after a lost answer). */
static int set_state(struct bulk_ctx *b, const char *job_id,
		     const char *state, const char *what,
		     int (*ok_if)(enum ingest_state), struct err *err)
{
	char *path = job_path(b, job_id, NULL);
	json_t *body = json_object(), *answer = NULL;
	long status = 0;
	int ret = 0;

	json_object_set_new(body, "state", json_string(state));
	if (json_call(b, "PATCH", path, body, what, 200, &answer, &status,
		      err) < 0) {
		struct ingest_info info = INGEST_INFO_INIT;
		struct err probe = ERR_INIT;

		/* refused as INVALIDJOBSTATE (a replay, or a job that moved
		 * on by itself): look at where the job is */
		ret = -1;
		if (status == 400 || status == 404) {
			if (ingest_get(b, job_id, &info, &probe) == 0 &&
			    ok_if(info.state)) {
				err_clear(err);
				ret = 0;
			}
			ingest_info_release(&info);
		}
	}
	json_decref(answer);
	json_decref(body);
	free(path);
	return ret;
}

static int closed_already(enum ingest_state s)
{
	return s != INGEST_OPEN;
}

static int stopped_already(enum ingest_state s)
{
	return ingest_state_final(s) || s == INGEST_GONE;
}

int ingest_close(struct bulk_ctx *b, const char *job_id, struct err *err)
{
	char *what = xasprintf("close ingest job %s (PATCH UploadComplete)",
			       job_id);
	int ret = set_state(b, job_id, "UploadComplete", what,
			    closed_already, err);

	free(what);
	return ret;
}

int ingest_abort(struct bulk_ctx *b, const char *job_id, struct err *err)
{
	char *what = xasprintf("abort ingest job %s (PATCH Aborted)", job_id);
	int ret = set_state(b, job_id, "Aborted", what, stopped_already, err);

	free(what);
	return ret;
}

int ingest_get(struct bulk_ctx *b, const char *job_id,
	       struct ingest_info *info, struct err *err)
{
	char *path = job_path(b, job_id, NULL);
	char *what = xasprintf("poll ingest job %s", job_id);
	json_t *answer = NULL;
	long status = 0;
	int ret = -1;

	if (json_call(b, "GET", path, NULL, what, 200, &answer, &status,
		      err) < 0) {
		if (status == 404) {
			err_clear(err);
			info->state = INGEST_GONE;
			ret = 0;
		}
		goto out;
	}
	ret = info_from(answer, info, what, err);
out:
	json_decref(answer);
	free(what);
	free(path);
	return ret;
}

static const char *json_str(json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);

	return json_is_string(v) ? json_string_value(v) : NULL;
}

int ingest_list(struct bulk_ctx *b,
		int (*fn)(void *ctx, const struct ingest_listed *job,
			  struct err *err),
		void *ctx, struct err *err)
{
	char *path = job_path(b, NULL, NULL);

	for (int page = 0; path && page < 100; page++) {
		char *what = xasprintf("list the ingest jobs (GET %s)", path);
		json_t *answer = NULL, *recs, *job;
		long status = 0;
		const char *next;
		size_t i;
		int bad;

		bad = json_call(b, "GET", path, NULL, what, 200, &answer,
				&status, err) < 0;
		free(what);
		free(path);
		path = NULL;
		if (bad)
			return -1;
		recs = json_object_get(answer, "records");
		json_array_foreach(recs, i, job) {
			struct ingest_listed l;
			const char *made = json_str(job, "createdDate");

			l.id = json_str(job, "id");
			l.object = json_str(job, "object");
			l.operation = json_str(job, "operation");
			l.ext_field = json_str(job, "externalIdFieldName");
			l.created_by = json_str(job, "createdById");
			if (!made || sf_datetime_parse(made, strlen(made),
						       &l.created_ms) < 0)
				l.created_ms = -1;
			if (parse_state(json_str(job, "state"), &l.state) < 0)
				l.state = INGEST_GONE;
			if (l.id && fn(ctx, &l, err) < 0) {
				json_decref(answer);
				return -1;
			}
		}
		next = json_str(answer, "nextRecordsUrl");
		if (next && *next && !json_is_true(json_object_get(answer,
								   "done")))
			path = xstrdup(next);
		json_decref(answer);
	}
	free(path);
	return 0;
}

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) < 0)
		;
}

int ingest_wait(struct bulk_ctx *b, const char *job_id,
		struct ingest_info *info, struct err *err)
{
	long wait = b->poll_base_ms > 0 ? b->poll_base_ms : 200;
	long max = b->poll_max_ms > 0 ? b->poll_max_ms : 10000;
	long waited = 0;

	for (;;) {
		if (ingest_get(b, job_id, info, err) < 0)
			return -1;
		if (ingest_state_final(info->state) ||
		    info->state == INGEST_GONE || info->state == INGEST_OPEN)
			return 0;
		if (b->poll_timeout_s > 0 && waited / 1000 > b->poll_timeout_s)
			return err_set(err, ERR_TEMPFAIL, "ingest job %s is "
				       "still %s after %ld s; the next cycle "
				       "picks it up", job_id,
				       ingest_state_name(info->state),
				       waited / 1000);
		sleep_ms(wait);
		waited += wait;
		wait = wait * 2 > max ? max : wait * 2;
	}
}

/* ---- result files --------------------------------------------------------- */

struct spool {
	char *path;
	FILE *f;
	uint64_t bytes;
};

static int spool_write(void *ctx, const void *data, size_t len)
{
	struct spool *sp = ctx;

	if (fwrite(data, 1, len, sp->f) != len)
		return -1;
	sp->bytes += len;
	return 0;
}

static int spool_reset(void *ctx)
{
	struct spool *sp = ctx;

	sp->bytes = 0;
	if (fflush(sp->f) != 0 || ftruncate(fileno(sp->f), 0) < 0)
		return -1;
	rewind(sp->f);
	return 0;
}

int ingest_results(struct bulk_ctx *b, const char *job_id,
		   enum ingest_result which, const char *path,
		   ingest_row_fn fn, void *ctx, uint64_t *rows,
		   struct err *err)
{
	static const char *const headers[] = { "Accept: text/csv", NULL };
	const char *name = ingest_result_name(which);
	char *url = job_path(b, job_id, name);
	char *what = xasprintf("fetch %s of ingest job %s (GET %s)", name,
			       job_id, url);
	struct spool sp = { NULL, NULL, 0 };
	struct csv_reader *r = NULL;
	struct csv_writer *w = NULL;
	struct http_response resp;
	struct http_request req;
	const struct csv_row *row;
	enum csvr_status st;
	int ret = -1;

	*rows = 0;
	http_response_init(&resp);
	sp.path = xasprintf("%s.raw", path);
	sp.f = fopen(sp.path, "w+");
	if (!sp.f) {
		err_errno(err, err_class_of_errno(errno), errno,
			  "cannot create '%s'", sp.path);
		goto out;
	}
	memset(&req, 0, sizeof(req));
	req.method = "GET";
	req.url = url;
	req.headers = headers;
	req.retry_safe = 1;
	req.accept_gzip = 1;
	req.sink = spool_write;
	req.sink_reset = spool_reset;
	req.sink_ctx = &sp;
	req.what = what;
	if (bulk_call(b, &req, &resp, err) < 0)
		goto out;
	if (resp.status != 200) {
		sf_error(&resp, what, err);
		goto out;
	}
	if (fflush(sp.f) != 0) {
		err_errno(err, ERR_IO, errno, "cannot write '%s'", sp.path);
		goto out;
	}
	if (sp.bytes == 0) {
		ret = 0;
		goto out;
	}
	r = csvr_open(sp.path, CSVR_PLAIN, err);
	if (!r)
		goto bad;
	w = csvw_open(path, (const char *const *)csvr_header(r)->fields,
		      csvr_header(r)->nfields, 0, err);
	if (!w)
		goto out;
	while ((st = csvr_next(r, &row, err)) != CSVR_EOF) {
		if (st != CSVR_ROW)
			goto bad;
		if (csvw_row(w, (const char *const *)row->fields, row->lens,
			     err) < 0)
			goto out;
		(*rows)++;
		if (fn && fn(ctx, which, csvr_header(r)->fields,
			     csvr_header(r)->nfields, row->fields, row->line,
			     err) < 0)
			goto out;
	}
	ret = csvw_commit(w, NULL, err);
	w = NULL;
	goto out;
bad:
	err->cls = ERR_TEMPFAIL;
	err_prefix(err, "%s", what);
out:
	csvw_abort(w);
	csvr_close(r);
	if (sp.f) {
		fclose(sp.f);
		unlink(sp.path);
	}
	free(sp.path);
	http_response_release(&resp);
	free(what);
	free(url);
	return ret;
}
