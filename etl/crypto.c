/*
 * crypto.c - OpenSSL wrappers (see crypto.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <sys/stat.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "crypto.h"
#include "strbuf.h"
#include "xalloc.h"

struct sha256 {
	EVP_MD_CTX *ctx;
};

struct sha256 *sha256_new(void)
{
	struct sha256 *h = xmalloc(sizeof(*h));

	h->ctx = EVP_MD_CTX_new();
	if (!h->ctx || EVP_DigestInit_ex(h->ctx, EVP_sha256(), NULL) != 1) {
		/* only fails on allocation */
		xalloc_die();
	}
	return h;
}

void sha256_update(struct sha256 *h, const void *data, size_t len)
{
	if (len)
		EVP_DigestUpdate(h->ctx, data, len);
}

void sha256_final_hex(struct sha256 *h, char hex[SHA256_HEX_LEN + 1])
{
	static const char digits[] = "0123456789abcdef";
	unsigned char md[SHA256_LEN];
	unsigned int n = 0;

	EVP_DigestFinal_ex(h->ctx, md, &n);
	for (unsigned int i = 0; i < SHA256_LEN; i++) {
		hex[2 * i] = digits[md[i] >> 4];
		hex[2 * i + 1] = digits[md[i] & 15];
	}
	hex[SHA256_HEX_LEN] = '\0';
	sha256_free(h);
}

void sha256_free(struct sha256 *h)
{
	if (!h)
		return;
	EVP_MD_CTX_free(h->ctx);
	free(h);
}

int sha256_file(const char *path, char hex[SHA256_HEX_LEN + 1],
		unsigned long long *bytes, struct err *err)
{
	unsigned char buf[1 << 16];
	unsigned long long total = 0;
	struct sha256 *h = NULL;
	int fd, ret = -1;
	ssize_t n;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return err_errno(err, err_class_of_errno(errno), errno,
				 "cannot open '%s'", path);
	h = sha256_new();
	for (;;) {
		n = read(fd, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			err_errno(err, ERR_IO, errno, "cannot read '%s'", path);
			goto out;
		}
		if (n == 0)
			break;
		sha256_update(h, buf, (size_t)n);
		total += (unsigned long long)n;
	}
	sha256_final_hex(h, hex);
	h = NULL;
	if (bytes)
		*bytes = total;
	ret = 0;
out:
	sha256_free(h);
	close(fd);
	return ret;
}

/* The first OpenSSL error queued, as text; clears the queue. */
static const char *ossl_error(char *buf, size_t size)
{
	unsigned long e = ERR_get_error();

	if (!e)
		return "unknown OpenSSL error";
	ERR_error_string_n(e, buf, size);
	ERR_clear_error();
	return buf;
}

int rs256_sign_file(const char *key_path, const void *data, size_t len,
		    unsigned char **sig, size_t *siglen, struct err *err)
{
	EVP_PKEY *key = NULL;
	EVP_MD_CTX *md = NULL;
	struct stat st;
	char ebuf[256];
	FILE *f = NULL;
	int ret = -1;

	*sig = NULL;
	if (stat(key_path, &st) < 0)
		return err_errno(err, err_class_of_errno(errno) == ERR_NOINPUT ?
				 ERR_CONFIG : ERR_IO, errno,
				 "cannot read private key '%s'", key_path);
	if (st.st_mode & 077)
		return err_set(err, ERR_CONFIG, "private key '%s' is readable "
			       "by group or others (mode %03o): run 'chmod "
			       "600 %s'", key_path,
			       (unsigned)(st.st_mode & 0777), key_path);
	f = fopen(key_path, "r");
	if (!f)
		return err_errno(err, ERR_CONFIG, errno, "cannot read private "
				 "key '%s'", key_path);
	key = PEM_read_PrivateKey(f, NULL, NULL, NULL);
	if (!key || EVP_PKEY_base_id(key) != EVP_PKEY_RSA) {
		err_set(err, ERR_CONFIG, "'%s' is not a PEM RSA private key "
			"(%s)", key_path, key ? "wrong key type" :
			ossl_error(ebuf, sizeof(ebuf)));
		goto out;
	}
	md = EVP_MD_CTX_new();
	if (!md || EVP_DigestSignInit(md, NULL, EVP_sha256(), NULL, key) != 1 ||
	    EVP_DigestSignUpdate(md, data, len) != 1 ||
	    EVP_DigestSignFinal(md, NULL, siglen) != 1) {
		err_set(err, ERR_SOFTWARE, "cannot sign with '%s': %s",
			key_path, ossl_error(ebuf, sizeof(ebuf)));
		goto out;
	}
	*sig = xmalloc(*siglen);
	if (EVP_DigestSignFinal(md, *sig, siglen) != 1) {
		err_set(err, ERR_SOFTWARE, "cannot sign with '%s': %s",
			key_path, ossl_error(ebuf, sizeof(ebuf)));
		free(*sig);
		*sig = NULL;
		goto out;
	}
	ret = 0;
out:
	EVP_MD_CTX_free(md);
	EVP_PKEY_free(key);
	if (f)
		fclose(f);
	return ret;
}

void base64url_append(struct strbuf *sb, const void *data, size_t len)
{
	static const char tab[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
				  "abcdefghijklmnopqrstuvwxyz0123456789-_";
	const unsigned char *p = data;
	size_t i;

	for (i = 0; i + 2 < len; i += 3) {
		unsigned v = (unsigned)p[i] << 16 | (unsigned)p[i + 1] << 8 |
			     p[i + 2];

		strbuf_addch(sb, tab[v >> 18]);
		strbuf_addch(sb, tab[(v >> 12) & 63]);
		strbuf_addch(sb, tab[(v >> 6) & 63]);
		strbuf_addch(sb, tab[v & 63]);
	}
	if (len - i == 1) {
		unsigned v = (unsigned)p[i] << 16;

		strbuf_addch(sb, tab[v >> 18]);
		strbuf_addch(sb, tab[(v >> 12) & 63]);
	} else if (len - i == 2) {
		unsigned v = (unsigned)p[i] << 16 | (unsigned)p[i + 1] << 8;

		strbuf_addch(sb, tab[v >> 18]);
		strbuf_addch(sb, tab[(v >> 12) & 63]);
		strbuf_addch(sb, tab[(v >> 6) & 63]);
	}
}

int random_bytes(void *buf, size_t len, struct err *err)
{
	if (RAND_bytes(buf, (int)len) != 1)
		return err_set(err, ERR_SOFTWARE, "no random bytes from "
			       "OpenSSL");
	return 0;
}
