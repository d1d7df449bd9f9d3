/*
 * sf_auth.c - OAuth flows, the token cache, revocation, authorised calls
 * (see sf_auth.h).
 */
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "crypto.h"
#include "fsutil.h"
#include "log.h"
#include "sf_auth.h"
#include "stage.h"
#include "strbuf.h"
#include "timeutil.h"
#include "xalloc.h"

struct sf_session {
	const struct job *job;
	struct http_client *http;
	char *access_token;
	char *instance_url;
	char *cache_path;
};

static const char *flow_name(enum auth_flow f)
{
	switch (f) {
	case AUTH_JWT:
		return "jwt";
	case AUTH_REFRESH_TOKEN:
		return "refresh_token";
	case AUTH_CLIENT_CREDENTIALS:
		return "client_credentials";
	}
	return "?";
}

static char *state_file(const struct job *job, const char *name)
{
	char *state = job_state_dir(job);
	char *path = xasprintf("%s/%s", state, name);

	free(state);
	return path;
}

int sf_is_revoked(const struct job *job)
{
	char *path = state_file(job, "revoked");
	int ret = fs_exists(path);

	free(path);
	return ret;
}

struct http_client *sf_http_new(const struct job *job, struct err *err)
{
	struct http_options ho;

	memset(&ho, 0, sizeof(ho));
	ho.ca_file = job->source.ca_file;
	ho.timeout_seconds = job->source.timeout_seconds;
	ho.max_retries = job->source.max_retries;
	ho.retry_base_ms = job->source.retry_base_ms;
	return http_new(&ho, err);
}

int sf_revoked_error(const struct job *job, struct err *err)
{
	return err_set(err, ERR_NOPERM, "access to Salesforce was revoked "
		       "for job '%s'; run 'crmsync connect %s' once the "
		       "integration is authorised again", job->name,
		       job->path);
}

/* ---- errors from Salesforce ----------------------------------------------- */

int sf_error(const struct http_response *resp, const char *what,
	     struct err *err)
{
	const char *code = "", *msg = "";
	enum err_class cls;
	json_t *j = json_loadb(resp->body.buf, resp->body.len, 0, NULL);
	json_t *first = json_is_array(j) ? json_array_get(j, 0) : j;

	if (json_is_object(first)) {
		json_t *c = json_object_get(first, "errorCode");
		json_t *m = json_object_get(first, "message");

		/* OAuth endpoints answer {"error":...,"error_description":...} */
		if (!c)
			c = json_object_get(first, "error");
		if (!m)
			m = json_object_get(first, "error_description");
		if (json_is_string(c))
			code = json_string_value(c);
		if (json_is_string(m))
			msg = json_string_value(m);
	}
	if (resp->status == 403 && strcmp(code, "REQUEST_LIMIT_EXCEEDED") == 0)
		cls = ERR_TEMPFAIL;
	else if (resp->status >= 500 || resp->status == 429 ||
		 resp->status == 420)
		cls = ERR_TEMPFAIL;
	else if (resp->status == 401 || resp->status == 403 ||
		 strcmp(code, "invalid_grant") == 0 ||
		 strcmp(code, "invalid_client") == 0)
		cls = ERR_NOPERM;
	else
		cls = ERR_DATA;
	if (*code)
		err_set(err, cls, "%s: Salesforce answered %ld %s: %s", what,
			resp->status, code, msg);
	else
		err_set(err, cls, "%s: Salesforce answered %ld%s", what,
			resp->status, resp->body.len ? " with an unreadable "
			"body" : "");
	json_decref(j);
	return -1;
}

/* ---- the token cache ---------------------------------------------------------- */

static int same_string(const json_t *v, const char *s)
{
	return json_is_string(v) && s && strcmp(json_string_value(v), s) == 0;
}

static int cache_load(struct sf_session *s)
{
	json_t *j = json_load_file(s->cache_path, 0, NULL);
	json_t *tok, *url, *flow;
	int ret = -1;

	if (!j)
		return -1;
	tok = json_object_get(j, "access_token");
	url = json_object_get(j, "instance_url");
	flow = json_object_get(j, "flow");
	/* a token from another flow or client belongs to another config */
	if (json_is_string(tok) && json_is_string(url) && json_is_string(flow) &&
	    !strcmp(json_string_value(flow),
		    flow_name(s->job->source.auth_flow)) &&
	    same_string(json_object_get(j, "login_url"),
			s->job->source.login_url) &&
	    same_string(json_object_get(j, "client_id"),
			s->job->source.client_id)) {
		s->access_token = xstrdup(json_string_value(tok));
		s->instance_url = xstrdup(json_string_value(url));
		ret = 0;
	}
	json_decref(j);
	return ret;
}

static int cache_save(struct sf_session *s, struct err *err)
{
	json_t *j = json_object();
	char *text;
	int ret;

	json_object_set_new(j, "flow",
			    json_string(flow_name(s->job->source.auth_flow)));
	json_object_set_new(j, "login_url",
			    json_string(s->job->source.login_url));
	json_object_set_new(j, "client_id",
			    json_string(s->job->source.client_id));
	json_object_set_new(j, "instance_url", json_string(s->instance_url));
	json_object_set_new(j, "access_token", json_string(s->access_token));
	json_object_set_new(j, "cached_at", json_integer(clock_now_ms()));
	text = json_dumps(j, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	json_decref(j);
	ret = fs_write_atomic(s->cache_path, text, strlen(text), 0600, err);
	free(text);
	return ret;
}

/* ---- the flows ---------------------------------------------------------------- */

static int read_secret_file(const char *path, const char *what, char **out,
			    struct err *err)
{
	size_t len;

	if (!path)
		return err_set(err, ERR_CONFIG, "the %s flow needs %s", "OAuth",
			       what);
	if (fs_read_all(path, out, &len, err) < 0)
		return err_prefix(err, "cannot read the %s", what);
	while (len && ((*out)[len - 1] == '\n' || (*out)[len - 1] == '\r' ||
		       (*out)[len - 1] == ' '))
		(*out)[--len] = '\0';
	if (!len) {
		free(*out);
		*out = NULL;
		return err_set(err, ERR_CONFIG, "the %s file '%s' is empty",
			       what, path);
	}
	return 0;
}

/* The signed JWT bearer assertion (header.claims.signature). */
static char *jwt_assertion(const struct job *job, struct err *err)
{
	struct strbuf sb = STRBUF_INIT;
	unsigned char *sig = NULL;
	size_t siglen = 0;
	json_t *claims = json_object();
	char *text;
	static const char header[] = "{\"alg\":\"RS256\"}";

	json_object_set_new(claims, "iss", json_string(job->source.client_id));
	json_object_set_new(claims, "sub", json_string(job->source.username));
	json_object_set_new(claims, "aud", json_string(job->source.login_url));
	/* Salesforce wants exp within 3 minutes */
	json_object_set_new(claims, "exp",
			    json_integer(clock_real_ms() / 1000 + 170));
	text = json_dumps(claims, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(claims);
	base64url_append(&sb, header, sizeof(header) - 1);
	strbuf_addch(&sb, '.');
	base64url_append(&sb, text, strlen(text));
	free(text);
	if (rs256_sign_file(job->source.private_key_file, sb.buf, sb.len, &sig,
			    &siglen, err) < 0) {
		strbuf_release(&sb);
		return NULL;
	}
	strbuf_addch(&sb, '.');
	base64url_append(&sb, sig, siglen);
	free(sig);
	return strbuf_detach(&sb, NULL);
}

static void form_add(struct strbuf *sb, const char *key, const char *value)
{
	if (sb->len)
		strbuf_addch(sb, '&');
	strbuf_addstr(sb, key);
	strbuf_addch(sb, '=');
	http_form_escape(sb, value);
}

/* The token request body of the job's flow. */
static int token_form(const struct job *job, struct strbuf *form,
		      struct err *err)
{
	const struct job_source *src = &job->source;
	char *secret = NULL;

	switch (src->auth_flow) {
	case AUTH_JWT: {
		char *jwt = jwt_assertion(job, err);

		if (!jwt)
			return -1;
		form_add(form, "grant_type",
			 "urn:ietf:params:oauth:grant-type:jwt-bearer");
		form_add(form, "assertion", jwt);
		free(jwt);
		return 0;
	}
	case AUTH_REFRESH_TOKEN:
		if (read_secret_file(src->refresh_token_file, "refresh token",
				     &secret, err) < 0)
			return -1;
		form_add(form, "grant_type", "refresh_token");
		form_add(form, "refresh_token", secret);
		form_add(form, "client_id", src->client_id);
		if (src->client_secret)
			form_add(form, "client_secret", src->client_secret);
		free(secret);
		return 0;
	case AUTH_CLIENT_CREDENTIALS:
		if (!src->client_secret)
			return err_set(err, ERR_CONFIG, "the client_credentials "
				       "flow needs source.auth.client_secret");
		form_add(form, "grant_type", "client_credentials");
		form_add(form, "client_id", src->client_id);
		form_add(form, "client_secret", src->client_secret);
		return 0;
	}
	return err_set(err, ERR_SOFTWARE, "unknown auth flow");
}

/* Runs the job's flow and stores the new token in the session. */
static int authenticate(struct sf_session *s, struct err *err)
{
	const struct job *job = s->job;
	struct strbuf form = STRBUF_INIT;
	struct http_response resp;
	struct http_request req;
	char *url = xasprintf("%s/services/oauth2/token",
			      job->source.login_url);
	char *what = xasprintf("OAuth %s flow (token request to %s)",
			       flow_name(job->source.auth_flow), url);
	static const char *const headers[] = {
		"Content-Type: application/x-www-form-urlencoded",
		"Accept: application/json", NULL,
	};
	json_t *j = NULL, *tok, *inst;
	int ret = -1;

	http_response_init(&resp);
	if (token_form(job, &form, err) < 0) {
		err_prefix(err, "%s", what);
		goto out;
	}
	memset(&req, 0, sizeof(req));
	req.method = "POST";
	req.url = url;
	req.headers = headers;
	req.body = form.buf;
	req.body_len = form.len;
	req.retry_safe = 1; /* issuing a token again has no side effect */
	req.what = what;
	if (http_do(s->http, &req, &resp, err) < 0)
		goto out;
	if (resp.status != 200) {
		sf_error(&resp, what, err);
		goto out;
	}
	j = json_loadb(resp.body.buf, resp.body.len, 0, NULL);
	tok = json_object_get(j, "access_token");
	inst = json_object_get(j, "instance_url");
	if (!json_is_string(tok) || !json_is_string(inst)) {
		err_set(err, ERR_TEMPFAIL, "%s: the answer has no access_token "
			"or instance_url", what);
		goto out;
	}
	if (strncmp(json_string_value(inst), "https://", 8) != 0 &&
	    !http_url_is_loopback(json_string_value(inst))) {
		err_set(err, ERR_NOPERM, "%s: refusing instance_url '%s': not "
			"https", what, json_string_value(inst));
		goto out;
	}
	free(s->access_token);
	free(s->instance_url);
	s->access_token = xstrdup(json_string_value(tok));
	s->instance_url = xstrdup(json_string_value(inst));
	log_info("authenticated with the %s flow; instance %s",
		 flow_name(job->source.auth_flow), s->instance_url);
	if (cache_save(s, err) < 0)
		goto out;
	ret = 0;
out:
	/* the form held the assertion or a secret */
	if (form.alloc)
		memset(form.buf, 0, form.alloc);
	strbuf_release(&form);
	json_decref(j);
	http_response_release(&resp);
	free(what);
	free(url);
	return ret;
}

/* ---- sessions ----------------------------------------------------------------- */

struct sf_session *sf_session_open(const struct job *job,
				   struct http_client *http, struct err *err)
{
	struct sf_session *s;
	char *state;

	if (job->source.kind != SOURCE_SALESFORCE) {
		err_set(err, ERR_CONFIG, "%s: the source is not salesforce",
			job->path);
		return NULL;
	}
	if (sf_is_revoked(job)) {
		sf_revoked_error(job, err);
		return NULL;
	}
	state = job_state_dir(job);
	if (fs_mkdirs(state, 0700, err) < 0) {
		free(state);
		return NULL;
	}
	free(state);
	s = xcalloc(1, sizeof(*s));
	s->job = job;
	s->http = http;
	s->cache_path = state_file(job, "token.json");
	if (cache_load(s) == 0) {
		log_debug("using the cached access token");
		return s;
	}
	if (authenticate(s, err) < 0) {
		sf_session_close(s);
		return NULL;
	}
	return s;
}

void sf_session_close(struct sf_session *s)
{
	if (!s)
		return;
	if (s->access_token)
		memset(s->access_token, 0, strlen(s->access_token));
	free(s->access_token);
	free(s->instance_url);
	free(s->cache_path);
	free(s);
}

const char *sf_instance_url(const struct sf_session *s)
{
	return s->instance_url;
}

static int session_expired(const struct http_response *resp)
{
	return resp->status == 401 &&
	       strstr(resp->body.buf, "INVALID_SESSION_ID") != NULL;
}

int sf_call(struct sf_session *s, const struct http_request *req,
	    struct http_response *resp, struct err *err)
{
	struct http_request r = *req;
	const char *hdrs[16];
	char *auth = NULL, *url = NULL;
	size_t n = 0;
	int ret = -1;

	for (int attempt = 0; attempt < 2; attempt++) {
		n = 0;
		free(auth);
		free(url);
		auth = xasprintf("Authorization: Bearer %s", s->access_token);
		url = xasprintf("%s%s", s->instance_url, req->url);
		hdrs[n++] = auth;
		for (size_t i = 0; req->headers && req->headers[i] && n < 15;
		     i++)
			hdrs[n++] = req->headers[i];
		hdrs[n] = NULL;
		r.headers = hdrs;
		r.url = url;
		if (http_do(s->http, &r, resp, err) < 0)
			goto out;
		if (!session_expired(resp) || attempt == 1)
			break;
		/* the token expired or was revoked: renew once, replay */
		log_info("%s: session expired, renewing the access token",
			 req->what ? req->what : req->url);
		unlink(s->cache_path);
		if (authenticate(s, err) < 0)
			goto out;
	}
	ret = 0;
out:
	if (auth)
		memset(auth, 0, strlen(auth));
	free(auth);
	free(url);
	return ret;
}

/* ---- revocation --------------------------------------------------------------- */

static int revoke_token(const struct job *job, struct http_client *http,
			const char *token, const char *kind, struct err *err)
{
	char *url = xasprintf("%s/services/oauth2/revoke",
			      job->source.login_url);
	char *what = xasprintf("revoke the %s at %s", kind, url);
	struct strbuf form = STRBUF_INIT;
	struct http_response resp;
	struct http_request req;
	static const char *const headers[] = {
		"Content-Type: application/x-www-form-urlencoded", NULL,
	};
	int ret = -1;

	http_response_init(&resp);
	form_add(&form, "token", token);
	memset(&req, 0, sizeof(req));
	req.method = "POST";
	req.url = url;
	req.headers = headers;
	req.body = form.buf;
	req.body_len = form.len;
	req.retry_safe = 1; /* revoking twice is harmless */
	req.what = what;
	if (http_do(http, &req, &resp, err) < 0)
		goto out;
	if (resp.status == 400 && strstr(resp.body.buf, "invalid_token")) {
		/* already revoked or expired: the goal is reached */
		log_info("%s: Salesforce no longer knows it", what);
	} else if (resp.status != 200) {
		sf_error(&resp, what, err);
		goto out;
	}
	ret = 0;
out:
	memset(form.buf, 0, form.len);
	strbuf_release(&form);
	http_response_release(&resp);
	free(what);
	free(url);
	return ret;
}

int sf_revoke(const struct job *job, struct http_client *http,
	      struct err *err)
{
	struct sf_session probe = { job, http, NULL, NULL, NULL };
	char *marker = state_file(job, "revoked");
	char *state = job_state_dir(job);
	char *secret = NULL, *note = NULL;
	int ret = -1, revoked = 0;

	probe.cache_path = state_file(job, "token.json");
	if (fs_mkdirs(state, 0700, err) < 0)
		goto out;
	if (cache_load(&probe) == 0) {
		if (revoke_token(job, http, probe.access_token, "access token",
				 err) < 0)
			goto out;
		revoked++;
	}
	/* a refresh token outlives access tokens: revoke it too */
	if (job->source.auth_flow == AUTH_REFRESH_TOKEN &&
	    job->source.refresh_token_file &&
	    read_secret_file(job->source.refresh_token_file, "refresh token",
			     &secret, NULL) == 0) {
		if (revoke_token(job, http, secret, "refresh token", err) < 0)
			goto out;
		revoked++;
	}
	if (unlink(probe.cache_path) < 0 && errno != ENOENT) {
		err_errno(err, ERR_IO, errno, "cannot delete '%s'",
			  probe.cache_path);
		goto out;
	}
	note = xasprintf("revoked_at,%lld\ntokens_revoked,%d\n",
			 (long long)clock_now_ms(), revoked);
	if (fs_write_atomic(marker, note, strlen(note), 0600, err) < 0)
		goto out;
	ret = revoked;
out:
	if (secret)
		memset(secret, 0, strlen(secret));
	free(secret);
	free(note);
	if (probe.access_token)
		memset(probe.access_token, 0, strlen(probe.access_token));
	free(probe.access_token);
	free(probe.instance_url);
	free(probe.cache_path);
	free(state);
	free(marker);
	return ret;
}

int sf_connect(const struct job *job, struct http_client *http,
	       struct err *err)
{
	char *marker = state_file(job, "revoked");
	char *state = job_state_dir(job);
	struct sf_session *s = xcalloc(1, sizeof(*s));
	int ret = -1;

	s->job = job;
	s->http = http;
	s->cache_path = state_file(job, "token.json");
	if (fs_mkdirs(state, 0700, err) < 0)
		goto out;
	if (authenticate(s, err) < 0)
		goto out;
	if (unlink(marker) < 0 && errno != ENOENT) {
		err_errno(err, ERR_IO, errno, "cannot delete '%s'", marker);
		goto out;
	}
	ret = 0;
out:
	sf_session_close(s);
	free(state);
	free(marker);
	return ret;
}
