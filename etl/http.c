/*
 * http.c - libcurl behind crmsync's HTTP policy (see http.h).
 */
#include <ctype.h>
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "http.h"
#include "log.h"
#include "xalloc.h"

struct http_client {
	CURL *curl;
	struct http_options opt;
	uint64_t requests;
	unsigned int seed;
};

/* What one attempt saw, for the callbacks. */
struct attempt {
	const struct http_request *req;
	struct http_response *resp;
	int sink_failed;
};

void http_response_init(struct http_response *resp)
{
	memset(resp, 0, sizeof(*resp));
	strbuf_init(&resp->body, 0);
	resp->sforce_records = -1;
	resp->retry_after = -1;
}

static void response_clear(struct http_response *resp)
{
	strbuf_reset(&resp->body);
	free(resp->content_type);
	free(resp->sforce_locator);
	free(resp->sforce_limit_info);
	resp->content_type = NULL;
	resp->sforce_locator = NULL;
	resp->sforce_limit_info = NULL;
	resp->status = 0;
	resp->sforce_records = -1;
	resp->retry_after = -1;
}

void http_response_release(struct http_response *resp)
{
	response_clear(resp);
	strbuf_release(&resp->body);
}

struct http_client *http_new(const struct http_options *opt, struct err *err)
{
	static int global_done;
	struct http_client *c;

	if (!global_done) {
		if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
			err_set(err, ERR_SOFTWARE, "cannot initialise libcurl");
			return NULL;
		}
		global_done = 1;
	}
	c = xcalloc(1, sizeof(*c));
	c->curl = curl_easy_init();
	if (!c->curl) {
		free(c);
		err_set(err, ERR_SOFTWARE, "cannot initialise libcurl");
		return NULL;
	}
	c->opt = *opt;
	if (c->opt.timeout_seconds <= 0)
		c->opt.timeout_seconds = 60;
	if (c->opt.retry_base_ms <= 0)
		c->opt.retry_base_ms = 500;
	if (c->opt.retry_max_ms <= 0)
		c->opt.retry_max_ms = 30000;
	c->seed = (unsigned int)time(NULL) ^ (unsigned int)getpid();
	return c;
}

void http_free(struct http_client *c)
{
	if (!c)
		return;
	curl_easy_cleanup(c->curl);
	free(c);
}

uint64_t http_requests(const struct http_client *c)
{
	return c->requests;
}

/* ---- URL policy ---------------------------------------------------------- */

/* Host part of an http(s) URL into `host` (brackets kept for IPv6). */
static int url_host(const char *url, char *host, size_t size)
{
	const char *p = strstr(url, "://");
	size_t n;

	if (!p)
		return -1;
	p += 3;
	if (*p == '[') {
		const char *end = strchr(p, ']');

		if (!end)
			return -1;
		n = (size_t)(end - p + 1);
	} else {
		n = strcspn(p, ":/?#");
	}
	if (n == 0 || n >= size)
		return -1;
	memcpy(host, p, n);
	host[n] = '\0';
	return 0;
}

int http_url_is_loopback(const char *url)
{
	char host[256];

	if (url_host(url, host, sizeof(host)) < 0)
		return 0;
	if (strcasecmp(host, "localhost") == 0 || strcmp(host, "[::1]") == 0)
		return 1;
	/* 127.0.0.0/8 as an IPv4 literal, not a name like 127.evil.com */
	return strncmp(host, "127.", 4) == 0 &&
	       host[strspn(host, "0123456789.")] == '\0';
}

static int url_allowed(const char *url, struct err *err)
{
	if (strncasecmp(url, "https://", 8) == 0)
		return 0;
	if (strncasecmp(url, "http://", 7) == 0 && http_url_is_loopback(url))
		return 0;
	if (strncasecmp(url, "http://", 7) == 0)
		return err_set(err, ERR_CONFIG, "refusing plain http:// to "
			       "'%s': only TLS is allowed except to loopback "
			       "(R3)", url);
	return err_set(err, ERR_CONFIG, "unsupported URL '%s'", url);
}

void http_form_escape(struct strbuf *sb, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";

	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;

		if (isalnum(ch) || strchr("-._~", ch)) {
			strbuf_addch(sb, ch);
		} else if (ch == ' ') {
			strbuf_addch(sb, '+');
		} else {
			strbuf_addch(sb, '%');
			strbuf_addch(sb, hex[ch >> 4]);
			strbuf_addch(sb, hex[ch & 15]);
		}
	}
}

/* ---- callbacks ------------------------------------------------------------- */

static size_t on_body(char *data, size_t size, size_t nmemb, void *ctx)
{
	struct attempt *a = ctx;
	size_t len = size * nmemb;

	/* only a success body goes to the sink: error bodies are kept in
	 * resp->body to be reported */
	if (a->req->sink && a->resp->status >= 200 && a->resp->status < 300) {
		if (a->req->sink(a->req->sink_ctx, data, len) < 0) {
			a->sink_failed = 1;
			return 0;
		}
		return len;
	}
	strbuf_add(&a->resp->body, data, len);
	return len;
}

static char *header_value(const char *line, size_t len, const char *name)
{
	size_t n = strlen(name);
	const char *v, *end = line + len;

	if (len <= n || strncasecmp(line, name, n) != 0 || line[n] != ':')
		return NULL;
	v = line + n + 1;
	while (v < end && (*v == ' ' || *v == '\t'))
		v++;
	while (end > v && (end[-1] == '\r' || end[-1] == '\n' ||
			   end[-1] == ' '))
		end--;
	return xstrndup(v, (size_t)(end - v));
}

static void replace(char **slot, char *value)
{
	if (!value)
		return;
	free(*slot);
	*slot = value;
}

static size_t on_header(char *data, size_t size, size_t nmemb, void *ctx)
{
	struct attempt *a = ctx;
	struct http_response *r = a->resp;
	size_t len = size * nmemb;
	char *v;

	if (len > 5 && strncmp(data, "HTTP/", 5) == 0) {
		/* a new response (after 100-continue, say) */
		const char *sp = memchr(data, ' ', len);

		r->status = sp ? strtol(sp + 1, NULL, 10) : 0;
		return len;
	}
	replace(&r->content_type, header_value(data, len, "Content-Type"));
	replace(&r->sforce_locator, header_value(data, len, "Sforce-Locator"));
	replace(&r->sforce_limit_info,
		header_value(data, len, "Sforce-Limit-Info"));
	v = header_value(data, len, "Sforce-NumberOfRecords");
	if (v) {
		r->sforce_records = strtoll(v, NULL, 10);
		free(v);
	}
	v = header_value(data, len, "Retry-After");
	if (v) {
		r->retry_after = strtol(v, NULL, 10);
		free(v);
	}
	return len;
}

/* ---- the request loop ------------------------------------------------------- */

static int status_is_transient(long status)
{
	return status == 420 || status == 429 || status == 500 ||
	       status == 502 || status == 503 || status == 504;
}

static int curl_is_transient(CURLcode rc)
{
	switch (rc) {
	case CURLE_COULDNT_CONNECT:
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_OPERATION_TIMEDOUT:
	case CURLE_SEND_ERROR:
	case CURLE_RECV_ERROR:
	case CURLE_GOT_NOTHING:
	case CURLE_PARTIAL_FILE:
	case CURLE_BAD_CONTENT_ENCODING:
	case CURLE_HTTP2:
	case CURLE_HTTP2_STREAM:
		return 1;
	default:
		return 0;
	}
}

static int curl_is_tls_trust(CURLcode rc)
{
	return rc == CURLE_PEER_FAILED_VERIFICATION ||
	       rc == CURLE_SSL_CACERT_BADFILE || rc == CURLE_SSL_CERTPROBLEM;
}

/* Back-off before attempt `n` (1-based retry number), in ms. */
static long backoff_ms(struct http_client *c, int n, long retry_after)
{
	long ms = c->opt.retry_base_ms;

	for (int i = 1; i < n && ms < c->opt.retry_max_ms; i++)
		ms *= 2;
	if (ms > c->opt.retry_max_ms)
		ms = c->opt.retry_max_ms;
	/* jitter: 75% to 125% */
	ms = ms * (75 + (long)(rand_r(&c->seed) % 51)) / 100;
	if (retry_after >= 0 && retry_after * 1000 > ms)
		ms = retry_after * 1000;
	return ms;
}

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) < 0)
		;
}

static CURLcode attempt_once(struct http_client *c,
			     const struct http_request *req,
			     struct http_response *resp, char *errbuf,
			     int *sink_failed)
{
	struct curl_slist *hdrs = NULL;
	struct attempt a = { req, resp, 0 };
	CURL *h = c->curl;
	CURLcode rc;
	struct timespec t0, t1;

	curl_easy_reset(h);
	errbuf[0] = '\0';
	curl_easy_setopt(h, CURLOPT_URL, req->url);
	curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, req->method);
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "https,http");
	curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 2L);
	if (c->opt.ca_file)
		curl_easy_setopt(h, CURLOPT_CAINFO, c->opt.ca_file);
	curl_easy_setopt(h, CURLOPT_TIMEOUT, c->opt.timeout_seconds);
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT,
			 c->opt.timeout_seconds < 30 ? c->opt.timeout_seconds
						     : 30L);
	curl_easy_setopt(h, CURLOPT_USERAGENT, "crmsync");
	if (req->accept_gzip)
		curl_easy_setopt(h, CURLOPT_ACCEPT_ENCODING, "gzip");
	for (size_t i = 0; req->headers && req->headers[i]; i++)
		hdrs = curl_slist_append(hdrs, req->headers[i]);
	/* no "Expect: 100-continue" round trip on uploads */
	hdrs = curl_slist_append(hdrs, "Expect:");
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);
	if (req->body) {
		curl_easy_setopt(h, CURLOPT_POSTFIELDS, req->body);
		curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE,
				 (curl_off_t)req->body_len);
	} else if (strcmp(req->method, "GET") != 0 &&
		   strcmp(req->method, "DELETE") != 0) {
		curl_easy_setopt(h, CURLOPT_POSTFIELDS, "");
		curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE,
				 (curl_off_t)0);
	}
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, &a);
	curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(h, CURLOPT_HEADERDATA, &a);

	c->requests++;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	rc = curl_easy_perform(h);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	resp->seconds = (double)(t1.tv_sec - t0.tv_sec) +
			(double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	if (rc == CURLE_OK) {
		long code = 0;

		curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code);
		resp->status = code;
	}
	curl_slist_free_all(hdrs);
	*sink_failed = a.sink_failed;
	return rc;
}

int http_do(struct http_client *c, const struct http_request *req,
	    struct http_response *resp, struct err *err)
{
	char errbuf[CURL_ERROR_SIZE];
	const char *what = req->what ? req->what : "request";
	int max = req->retry_safe ? (int)c->opt.max_retries : 0;

	if (url_allowed(req->url, err) < 0)
		return err_prefix(err, "%s", what);
	for (int n = 0;; n++) {
		int sink_failed = 0;
		CURLcode rc;
		long wait;

		response_clear(resp);
		if (req->sink_reset && req->sink_reset(req->sink_ctx) < 0)
			return err_prefix(err, "%s", what);
		rc = attempt_once(c, req, resp, errbuf, &sink_failed);
		if (sink_failed)
			return err_prefix(err, "%s", what);
		if (rc == CURLE_OK) {
			log_debug("%s %s: %ld (%.2f s)", req->method, req->url,
				  resp->status, resp->seconds);
			if (!status_is_transient(resp->status) || n >= max)
				return 0;
			wait = backoff_ms(c, n + 1, resp->retry_after);
			log_info("%s: HTTP %ld, retry %d of %d in %ld ms", what,
				 resp->status, n + 1, max, wait);
		} else {
			const char *why = errbuf[0] ? errbuf
						    : curl_easy_strerror(rc);

			if (curl_is_tls_trust(rc))
				return err_set(err, ERR_NOPERM, "%s: %s %s: "
					       "TLS verification failed: %s",
					       what, req->method, req->url,
					       why);
			if (!curl_is_transient(rc) || n >= max)
				return err_set(err, ERR_TEMPFAIL, "%s: %s %s: "
					       "%s%s", what, req->method,
					       req->url, why,
					       n ? " (after retries)" : "");
			wait = backoff_ms(c, n + 1, -1);
			log_info("%s: %s, retry %d of %d in %ld ms", what, why,
				 n + 1, max, wait);
		}
		sleep_ms(wait);
	}
}
