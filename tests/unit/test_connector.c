/*
 * test_connector.c - the pure parts of the Salesforce connector: URL
 * policy, form escaping, base64url, Salesforce error mapping, JWT
 * signing refusing a key readable by others.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "crypto.h"
#include "http.h"
#include "sf_auth.h"
#include "strbuf.h"
#include "tap.h"

static void b64(const char *in, const char *want)
{
	struct strbuf sb = STRBUF_INIT;

	base64url_append(&sb, in, strlen(in));
	is_str(sb.buf, want, "base64url('%s')", in);
	strbuf_release(&sb);
}

static void error_maps(long status, const char *body, enum err_class cls,
		       const char *needle)
{
	struct http_response r;
	struct err err = ERR_INIT;

	http_response_init(&r);
	r.status = status;
	strbuf_addstr(&r.body, body);
	sf_error(&r, "Contact: create the job", &err);
	ok(err.cls == cls && strstr(err.msg, needle), "%ld %s -> class %d: %s",
	   status, needle, (int)err.cls, err.msg);
	http_response_release(&r);
}

int main(void)
{
	struct strbuf sb = STRBUF_INIT;
	struct err err = ERR_INIT;
	unsigned char *sig = NULL;
	size_t siglen = 0;
	char key[] = "/tmp/crmsync-test-key-XXXXXX";
	int fd;

	ok(http_url_is_loopback("http://127.0.0.1:8080/x"), "127.0.0.1");
	ok(http_url_is_loopback("https://localhost/"), "localhost");
	ok(http_url_is_loopback("http://[::1]:99/"), "[::1]");
	ok(!http_url_is_loopback("http://127.example.com/"),
	   "127.example.com is not loopback");
	ok(!http_url_is_loopback("https://login.salesforce.com"), "remote");

	http_form_escape(&sb, "a b&c=d/é");
	is_str(sb.buf, "a+b%26c%3Dd%2F%C3%A9", "form escaping");
	strbuf_release(&sb);

	b64("", "");
	b64("f", "Zg");
	b64("fo", "Zm8");
	b64("foo", "Zm9v");
	b64("{\"alg\":\"RS256\"}", "eyJhbGciOiJSUzI1NiJ9");
	b64("\xfb\xff", "-_8");

	error_maps(400, "[{\"errorCode\":\"INVALIDJOB\",\"message\":\"Unable "
		   "to find object: Foo\"}]", ERR_DATA, "400 INVALIDJOB: Unable");
	error_maps(401, "[{\"errorCode\":\"INVALID_SESSION_ID\",\"message\":"
		   "\"Session expired or invalid\"}]", ERR_NOPERM,
		   "INVALID_SESSION_ID");
	error_maps(403, "[{\"errorCode\":\"REQUEST_LIMIT_EXCEEDED\","
		   "\"message\":\"TotalRequests Limit exceeded.\"}]",
		   ERR_TEMPFAIL, "REQUEST_LIMIT_EXCEEDED");
	error_maps(403, "[{\"errorCode\":\"API_DISABLED_FOR_ORG\",\"message\":"
		   "\"API is not enabled\"}]", ERR_NOPERM, "API_DISABLED");
	error_maps(400, "{\"error\":\"invalid_grant\",\"error_description\":"
		   "\"audience is invalid\"}", ERR_NOPERM,
		   "invalid_grant: audience is invalid");
	error_maps(503, "<html>busy</html>", ERR_TEMPFAIL, "503 with an "
		   "unreadable body");

	fd = mkstemp(key);
	if (fd >= 0) {
		/* the content does not matter: the mode is checked first */
		write(fd, "x", 1);
		close(fd);
		chmod(key, 0640);
		ok(rs256_sign_file(key, "a", 1, &sig, &siglen, &err) < 0 &&
		   err.cls == ERR_CONFIG && strstr(err.msg, "chmod 600"),
		   "a key readable by the group is refused: %s", err.msg);
		chmod(key, 0600);
		ok(rs256_sign_file(key, "a", 1, &sig, &siglen, &err) < 0 &&
		   err.cls == ERR_CONFIG && strstr(err.msg, "not a PEM RSA"),
		   "a file that is no key is refused: %s", err.msg);
		unlink(key);
	}
	free(sig);
	return tap_done();
}
