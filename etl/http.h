/*
 * http.h - the libcurl wrapper: the only file of etl/ that includes
 * <curl/curl.h>.
 *
 * Policy, in one place (R3, R12):
 *   - TLS always verifies the peer and the host name; `ca_file` adds a
 *     private CA.  Plain http:// is refused unless the host is a
 *     loopback address (tests).
 *   - Transient failures (connection errors, timeouts, 420/429/5xx,
 *     truncated or corrupt compressed bodies) are retried with
 *     exponential back-off and jitter, honouring Retry-After, but only
 *     for requests marked retry_safe: a request whose replay could
 *     duplicate a write is sent once.
 *   - Every request sent, retries included, is counted.
 *   - Nothing here logs a header or a body: tokens travel in both.
 *
 * Ownership: a response owns its strings until http_response_release().
 */
#ifndef CRMSYNC_HTTP_H
#define CRMSYNC_HTTP_H

#include <stddef.h>
#include <stdint.h>

#include "errors.h"
#include "strbuf.h"

struct http_options {
	const char *ca_file;   /* extra CA bundle, or NULL */
	long timeout_seconds;  /* per attempt, whole transfer */
	long max_retries;      /* attempts after the first */
	long retry_base_ms;    /* first back-off; doubles each time */
	long retry_max_ms;     /* back-off cap */
};

struct http_request {
	const char *method;           /* GET POST PUT PATCH DELETE */
	const char *url;
	const char *const *headers;   /* "Name: value" lines, NULL-ended */
	const char *body;             /* request body or NULL */
	size_t body_len;
	int retry_safe;               /* may be sent again after a failure */
	int accept_gzip;              /* ask for gzip; decoded transparently */
	/*
	 * Optional body sink: the decoded body goes here as it arrives
	 * instead of into resp->body.  sink_reset is called before every
	 * attempt so a retried request starts from an empty sink.  A sink
	 * returning -1 aborts the transfer (err then says why).
	 */
	int (*sink)(void *ctx, const void *data, size_t len);
	int (*sink_reset)(void *ctx);
	void *sink_ctx;
	const char *what;             /* "create the query job for Contact" */
};

struct http_response {
	long status;
	struct strbuf body;           /* unless a sink took it */
	char *content_type;
	char *sforce_locator;         /* Sforce-Locator, or NULL */
	long long sforce_records;     /* Sforce-NumberOfRecords, or -1 */
	char *sforce_limit_info;      /* Sforce-Limit-Info, or NULL */
	long retry_after;             /* seconds, or -1 */
	double seconds;               /* of the last attempt */
};

void http_response_init(struct http_response *resp);
void http_response_release(struct http_response *resp);

struct http_client;

/* A client with one connection cache (keep-alive).  Fails only when
 * libcurl cannot be initialised (ERR_SOFTWARE). */
struct http_client *http_new(const struct http_options *opt, struct err *err);
void http_free(struct http_client *c);

/*
 * Sends `req` and fills `resp` with the final answer.  Returns 0 when a
 * response arrived, whatever its status, after retrying transient
 * statuses as the policy allows (a final 503 is returned as such).
 * Returns -1 when no usable response arrived: ERR_CONFIG for a URL the
 * policy refuses, ERR_TEMPFAIL for network failures that outlived the
 * retries, ERR_NOPERM for TLS verification failures, with the message
 * naming req->what, the method and the URL (never headers or bodies).
 */
int http_do(struct http_client *c, const struct http_request *req,
	    struct http_response *resp, struct err *err);

/* Requests sent so far, retries included. */
uint64_t http_requests(const struct http_client *c);

/* 1 when `url` is http(s) to a loopback host, 0 otherwise. */
int http_url_is_loopback(const char *url);

/* application/x-www-form-urlencoded escaping of `s` appended to `sb`. */
void http_form_escape(struct strbuf *sb, const char *s);

#endif
