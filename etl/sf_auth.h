/*
 * sf_auth.h - OAuth 2.0 with Salesforce and authorised API calls (R1-R3).
 *
 * One integration user authenticates with a server-to-server flow: JWT
 * bearer (RS256 with the integration's private key), refresh token, or
 * client credentials.  The access token is cached in state/token.json
 * (mode 0600) and reused until Salesforce answers INVALID_SESSION_ID;
 * then it is renewed once and the request replayed.
 *
 * Revocation (R2): sf_revoke() revokes the token at Salesforce, deletes
 * the cache and leaves state/revoked behind; while that file exists no
 * session can be opened (ERR_NOPERM), until the admin runs `crmsync
 * connect`, which authenticates afresh and removes it.
 *
 * Secrets (tokens, keys, client secrets) never reach a log line, an error
 * message or a staged file: messages name the flow, the URL and
 * Salesforce's error code only.
 */
#ifndef CRMSYNC_SF_AUTH_H
#define CRMSYNC_SF_AUTH_H

#include <stdint.h>

#include "errors.h"
#include "http.h"
#include "job.h"

struct sf_session;

/* An HTTP client with the job's TLS, timeout and retry settings
 * (http.h); NULL with ERR_SOFTWARE when libcurl cannot start. */
struct http_client *sf_http_new(const struct job *job, struct err *err);

/*
 * Opens a session for `job` over `http` (both borrowed, must outlive the
 * session): a cached token when there is one, else a new one.  Fails with
 * ERR_NOPERM when the job's access was revoked or Salesforce refuses the
 * credentials, ERR_CONFIG for unusable credentials (missing key file, a
 * key readable by others), ERR_TEMPFAIL when Salesforce cannot be
 * reached.
 */
struct sf_session *sf_session_open(const struct job *job,
				   struct http_client *http, struct err *err);
void sf_session_close(struct sf_session *s);

/* The instance URL of the session ("https://acme.my.salesforce.com"). */
const char *sf_instance_url(const struct sf_session *s);

/*
 * Sends `req` with its url being a path on the instance
 * ("/services/data/v62.0/jobs/query"), adding the Authorization header.
 * A 401 INVALID_SESSION_ID renews the token once and replays the request.
 * Returns as http_do().
 */
int sf_call(struct sf_session *s, const struct http_request *req,
	    struct http_response *resp, struct err *err);

/*
 * Turns a Salesforce error answer into `err`: the class from the status
 * (401/403 auth -> ERR_NOPERM, 403 REQUEST_LIMIT_EXCEEDED and 5xx ->
 * ERR_TEMPFAIL, other 4xx -> ERR_DATA) and a message naming `what`, the
 * status and Salesforce's errorCode and message.  Returns -1.
 */
int sf_error(const struct http_response *resp, const char *what,
	     struct err *err);

/* Revokes the job's tokens at Salesforce, deletes the cache, and marks
 * the job revoked.  Safe to run twice. */
int sf_revoke(const struct job *job, struct http_client *http,
	      struct err *err);

/* Authenticates afresh and lifts a revocation. */
int sf_connect(const struct job *job, struct http_client *http,
	       struct err *err);

/* 1 when the job is marked revoked. */
int sf_is_revoked(const struct job *job);

/* Fills `err` (ERR_NOPERM) with what to do about a revoked job; -1. */
int sf_revoked_error(const struct job *job, struct err *err);

#endif
