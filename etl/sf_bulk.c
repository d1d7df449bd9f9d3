/*
 * sf_bulk.c - Bulk API 2.0 query jobs over an authorised session
 * (see sf_bulk.h).
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "log.h"
#include "sf_bulk.h"
#include "strbuf.h"
#include "xalloc.h"

static void note_limits(struct bulk_ctx *b, const struct http_response *resp)
{
	const char *p;
	long long used, max;

	if (!resp->sforce_limit_info)
		return;
	p = strstr(resp->sforce_limit_info, "api-usage=");
	if (p && sscanf(p + 10, "%lld/%lld", &used, &max) == 2 && max > 0) {
		b->api_used = used;
		b->api_max = max;
	}
}

int bulk_budget_check(const struct bulk_ctx *b, struct err *err)
{
	if (b->api_max <= 0 || b->budget_share <= 0)
		return 0;
	if ((double)b->api_used >= b->budget_share * (double)b->api_max)
		return err_set(err, ERR_TEMPFAIL, "stopping: the org has used "
			       "%lld of its %lld daily API requests, the "
			       "job's budget is %.0f%% "
			       "(source.api_budget_share)", b->api_used,
			       b->api_max, b->budget_share * 100);
	return 0;
}

/* A call on the session with the budget checked first. */
static int call(struct bulk_ctx *b, struct http_request *req,
		struct http_response *resp, struct err *err)
{
	if (bulk_budget_check(b, err) < 0)
		return err_prefix(err, "%s", req->what);
	if (sf_call(b->session, req, resp, err) < 0)
		return -1;
	note_limits(b, resp);
	return 0;
}

int bulk_call(struct bulk_ctx *b, struct http_request *req,
	      struct http_response *resp, struct err *err)
{
	return call(b, req, resp, err);
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

int bulk_query_create(struct bulk_ctx *b, const char *object,
		      const char *soql, char **job_id, struct err *err)
{
	static const char *const headers[] = {
		"Content-Type: application/json; charset=UTF-8",
		"Accept: application/json", NULL,
	};
	char *path = xasprintf("/services/data/v%s/jobs/query", b->api_version);
	char *what = xasprintf("%s: create the Bulk API query job (POST %s)",
			       object, path);
	json_t *body = json_object(), *answer = NULL, *id;
	struct http_response resp;
	struct http_request req;
	char *text;
	int ret = -1;

	*job_id = NULL;
	http_response_init(&resp);
	json_object_set_new(body, "operation", json_string("queryAll"));
	json_object_set_new(body, "query", json_string(soql));
	json_object_set_new(body, "contentType", json_string("CSV"));
	json_object_set_new(body, "columnDelimiter", json_string("COMMA"));
	json_object_set_new(body, "lineEnding", json_string("LF"));
	text = json_dumps(body, JSON_COMPACT | JSON_PRESERVE_ORDER);
	memset(&req, 0, sizeof(req));
	req.method = "POST";
	req.url = path;
	req.headers = headers;
	req.body = text;
	req.body_len = strlen(text);
	/* a duplicate query job only reads: safe to retry */
	req.retry_safe = 1;
	req.what = what;
	if (call(b, &req, &resp, err) < 0)
		goto out;
	if (resp.status != 200) {
		sf_error(&resp, what, err);
		goto out;
	}
	answer = json_answer(&resp, what, err);
	if (!answer)
		goto out;
	id = json_object_get(answer, "id");
	if (!json_is_string(id)) {
		err_set(err, ERR_TEMPFAIL, "%s: the answer has no job id", what);
		goto out;
	}
	*job_id = xstrdup(json_string_value(id));
	log_info("%s: query job %s created", object, *job_id);
	ret = 0;
out:
	json_decref(answer);
	json_decref(body);
	free(text);
	http_response_release(&resp);
	free(what);
	free(path);
	return ret;
}

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) < 0)
		;
}

int bulk_query_wait(struct bulk_ctx *b, const char *object,
		    const char *job_id, int *ended_badly, struct err *err)
{
	static const char *const headers[] = { "Accept: application/json",
					       NULL };
	char *path = xasprintf("/services/data/v%s/jobs/query/%s",
			       b->api_version, job_id);
	char *what = xasprintf("%s: poll query job %s", object, job_id);
	long wait = b->poll_base_ms > 0 ? b->poll_base_ms : 200;
	long max = b->poll_max_ms > 0 ? b->poll_max_ms : 10000;
	long waited = 0;
	struct http_response resp;
	int ret = -1;

	*ended_badly = 0;
	http_response_init(&resp);
	for (;;) {
		struct http_request req;
		json_t *answer;
		const char *state;

		memset(&req, 0, sizeof(req));
		req.method = "GET";
		req.url = path;
		req.headers = headers;
		req.retry_safe = 1;
		req.what = what;
		if (call(b, &req, &resp, err) < 0)
			goto out;
		if (resp.status == 404) {
			sf_error(&resp, what, err);
			err->cls = ERR_NOINPUT;
			goto out;
		}
		if (resp.status != 200) {
			sf_error(&resp, what, err);
			goto out;
		}
		answer = json_answer(&resp, what, err);
		if (!answer)
			goto out;
		state = json_string_value(json_object_get(answer, "state"));
		if (state && strcmp(state, "JobComplete") == 0) {
			json_decref(answer);
			break;
		}
		if (!state || strcmp(state, "Failed") == 0 ||
		    strcmp(state, "Aborted") == 0) {
			const char *why = json_string_value(
				json_object_get(answer, "errorMessage"));

			err_set(err, ERR_TEMPFAIL, "%s: the job ended %s%s%s",
				what, state ? state : "in an unknown state",
				why ? ": " : "", why ? why : "");
			*ended_badly = 1;
			json_decref(answer);
			goto out;
		}
		json_decref(answer);
		if (b->poll_timeout_s > 0 && waited / 1000 > b->poll_timeout_s) {
			err_set(err, ERR_TEMPFAIL, "%s: still %s after %ld s; "
				"the next run resumes it", what, state,
				waited / 1000);
			goto out;
		}
		sleep_ms(wait);
		waited += wait;
		wait = wait * 2 > max ? max : wait * 2;
	}
	ret = 0;
out:
	http_response_release(&resp);
	free(what);
	free(path);
	return ret;
}

int bulk_query_page(struct bulk_ctx *b, const char *object,
		    const char *job_id, const char *locator, long max_records,
		    int (*sink)(void *, const void *, size_t),
		    int (*sink_reset)(void *), void *sink_ctx, char **next,
		    long long *records, struct err *err)
{
	static const char *const headers[] = { "Accept: text/csv", NULL };
	struct strbuf path = STRBUF_INIT;
	struct http_response resp;
	struct http_request req;
	char *what;
	int ret = -1;

	*next = NULL;
	*records = -1;
	strbuf_addf(&path, "/services/data/v%s/jobs/query/%s/results",
		    b->api_version, job_id);
	if (max_records > 0 || locator) {
		strbuf_addch(&path, '?');
		if (max_records > 0)
			strbuf_addf(&path, "maxRecords=%ld", max_records);
		if (locator) {
			if (max_records > 0)
				strbuf_addch(&path, '&');
			strbuf_addstr(&path, "locator=");
			http_form_escape(&path, locator);
		}
	}
	what = xasprintf("%s: fetch results of query job %s (GET %s)", object,
			 job_id, path.buf);
	http_response_init(&resp);
	memset(&req, 0, sizeof(req));
	req.method = "GET";
	req.url = path.buf;
	req.headers = headers;
	req.retry_safe = 1;
	req.accept_gzip = 1;
	req.sink = sink;
	req.sink_reset = sink_reset;
	req.sink_ctx = sink_ctx;
	req.what = what;
	if (call(b, &req, &resp, err) < 0)
		goto out;
	if (resp.status != 200) {
		sf_error(&resp, what, err);
		goto out;
	}
	if (!resp.sforce_locator) {
		err_set(err, ERR_TEMPFAIL, "%s: the answer has no "
			"Sforce-Locator header", what);
		goto out;
	}
	if (strcmp(resp.sforce_locator, "null") != 0)
		*next = xstrdup(resp.sforce_locator);
	*records = resp.sforce_records;
	ret = 0;
out:
	http_response_release(&resp);
	free(what);
	strbuf_release(&path);
	return ret;
}

int bulk_query_delete(struct bulk_ctx *b, const char *job_id,
		      struct err *err)
{
	char *path = xasprintf("/services/data/v%s/jobs/query/%s",
			       b->api_version, job_id);
	char *what = xasprintf("delete query job %s", job_id);
	struct http_response resp;
	struct http_request req;
	int ret = 0;

	http_response_init(&resp);
	memset(&req, 0, sizeof(req));
	req.method = "DELETE";
	req.url = path;
	req.retry_safe = 1;
	req.what = what;
	if (call(b, &req, &resp, err) < 0)
		ret = -1;
	else if (resp.status != 204 && resp.status != 200 &&
		 resp.status != 404)
		ret = sf_error(&resp, what, err);
	http_response_release(&resp);
	free(what);
	free(path);
	return ret;
}
