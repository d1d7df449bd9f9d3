/*
 * crypto.c - OpenSSL wrappers (see crypto.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <pthread.h>
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

/* The digest `md` as lower-case hex digits and a NUL. */
static void digest_hex(const unsigned char md[SHA256_LEN],
		       char hex[SHA256_HEX_LEN + 1])
{
	static const char digits[] = "0123456789abcdef";

	for (unsigned int i = 0; i < SHA256_LEN; i++) {
		hex[2 * i] = digits[md[i] >> 4];
		hex[2 * i + 1] = digits[md[i] & 15];
	}
	hex[SHA256_HEX_LEN] = '\0';
}

void sha256_final_hex(struct sha256 *h, char hex[SHA256_HEX_LEN + 1])
{
	unsigned char md[SHA256_LEN];
	unsigned int n = 0;

	EVP_DigestFinal_ex(h->ctx, md, &n);
	digest_hex(md, hex);
	sha256_free(h);
}

/* SHA-256 fetched once for sha256_hex(): EVP_sha256() in
 * EVP_DigestInit_ex() looks the implementation up, under a lock, on
 * every call.  Kept until the process exits. */
static EVP_MD *sha256_md;
static pthread_once_t sha256_md_once = PTHREAD_ONCE_INIT;

static void sha256_md_fetch(void)
{
	sha256_md = EVP_MD_fetch(NULL, "SHA256", NULL);
}

void sha256_hex(const void *data, size_t len, char hex[SHA256_HEX_LEN + 1])
{
	unsigned char md[SHA256_LEN];
	unsigned int n = 0;

	pthread_once(&sha256_md_once, sha256_md_fetch);
	if (!sha256_md || EVP_Digest(data, len, md, &n, sha256_md, NULL) != 1)
		xalloc_die(); /* only fails on allocation */
	digest_hex(md, hex);
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

/* ---- PII at rest (R4) ------------------------------------------------ */

#define PII_PREFIX "enc1:"
#define PII_NONCE 12
#define PII_TAG 16

struct pii_key {
	unsigned char key[32];
	unsigned char nonce_key[32];
};

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int pii_key_load(const char *path, struct pii_key **out, struct err *err)
{
	struct pii_key *k = NULL;
	char buf[256];
	struct stat st;
	ssize_t n;
	size_t i = 0, got = 0;
	int fd, ret = -1;

	*out = NULL;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return err_errno(err, ERR_CONFIG, errno, "cannot read "
				 "encryption key '%s'", path);
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		err_set(err, ERR_CONFIG, "encryption key '%s' is not a "
			"regular file", path);
		goto out;
	}
	if (st.st_mode & 077) {
		err_set(err, ERR_CONFIG, "encryption key '%s' is readable by "
			"group or others (mode %03o): chmod 600 it", path,
			(unsigned)(st.st_mode & 0777));
		goto out;
	}
	n = read(fd, buf, sizeof(buf) - 1);
	if (n < 0) {
		err_errno(err, ERR_CONFIG, errno, "cannot read encryption "
			  "key '%s'", path);
		goto out;
	}
	k = xcalloc(1, sizeof(*k));
	while (i < (size_t)n && strchr(" \t\r\n", buf[i]))
		i++;
	for (; i + 1 < (size_t)n && got < sizeof(k->key); i += 2) {
		int hi = hexval(buf[i]), lo = hexval(buf[i + 1]);

		if (hi < 0 || lo < 0)
			break;
		k->key[got++] = (unsigned char)(hi << 4 | lo);
	}
	while (i < (size_t)n && strchr(" \t\r\n", buf[i]))
		i++;
	if (got != sizeof(k->key) || i != (size_t)n) {
		err_set(err, ERR_CONFIG, "encryption key '%s' must hold 64 "
			"hexadecimal digits (a 256-bit key, e.g. from "
			"'openssl rand -hex 32')", path);
		goto out;
	}
	{
		static const char label[] = "crmsync pii nonce";
		EVP_MD_CTX *ctx = EVP_MD_CTX_new();
		unsigned int len = 0;

		if (!ctx || EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) != 1 ||
		    EVP_DigestUpdate(ctx, label, sizeof(label) - 1) != 1 ||
		    EVP_DigestUpdate(ctx, k->key, sizeof(k->key)) != 1 ||
		    EVP_DigestFinal_ex(ctx, k->nonce_key, &len) != 1)
			xalloc_die();
		EVP_MD_CTX_free(ctx);
	}
	*out = k;
	k = NULL;
	ret = 0;
out:
	OPENSSL_cleanse(buf, sizeof(buf));
	pii_key_free(k);
	close(fd);
	return ret;
}

void pii_key_free(struct pii_key *k)
{
	if (!k)
		return;
	OPENSSL_cleanse(k, sizeof(*k));
	free(k);
}

/* HMAC-SHA256 of the concatenation of two buffers. */
static void hmac2(const unsigned char *key, size_t keylen, const void *a,
		  size_t alen, const void *b, size_t blen,
		  unsigned char out[32])
{
	EVP_MAC *mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
	EVP_MAC_CTX *ctx = mac ? EVP_MAC_CTX_new(mac) : NULL;
	OSSL_PARAM params[2];
	size_t len = 0;

	params[0] = OSSL_PARAM_construct_utf8_string("digest",
						     (char *)"SHA256", 0);
	params[1] = OSSL_PARAM_construct_end();
	if (!ctx || EVP_MAC_init(ctx, key, keylen, params) != 1 ||
	    EVP_MAC_update(ctx, a, alen) != 1 ||
	    (blen && EVP_MAC_update(ctx, b, blen) != 1) ||
	    EVP_MAC_final(ctx, out, &len, 32) != 1)
		xalloc_die();
	EVP_MAC_CTX_free(ctx);
	EVP_MAC_free(mac);
}

void pii_key_check(const struct pii_key *k, char hex[SHA256_HEX_LEN + 1])
{
	static const char label[] = "crmsync key check";
	unsigned char mac[32];

	hmac2(k->key, sizeof(k->key), label, sizeof(label) - 1, NULL, 0, mac);
	for (int i = 0; i < 32; i++)
		sprintf(hex + 2 * i, "%02x", mac[i]);
	hex[SHA256_HEX_LEN] = '\0';
}

int pii_is_encrypted(const char *text)
{
	return strncmp(text, PII_PREFIX, strlen(PII_PREFIX)) == 0;
}

void pii_encrypt(const struct pii_key *k, const char *context,
		 const char *plain, size_t len, struct strbuf *out)
{
	size_t clen = strlen(context) + 1;
	size_t total = PII_NONCE + len + PII_TAG;
	unsigned char *buf = xmalloc(total), mac[32];
	unsigned char *b64 = xmalloc(4 * ((total + 2) / 3) + 1);
	EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
	int n = 0;

	/* context with its NUL, then the plaintext */
	hmac2(k->nonce_key, sizeof(k->nonce_key), context, clen, plain, len,
	      mac);
	memcpy(buf, mac, PII_NONCE);
	if (!ctx ||
	    EVP_EncryptInit_ex(ctx, EVP_aes_256_gcm(), NULL, NULL, NULL) != 1 ||
	    EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_IVLEN, PII_NONCE,
				NULL) != 1 ||
	    EVP_EncryptInit_ex(ctx, NULL, NULL, k->key, buf) != 1 ||
	    EVP_EncryptUpdate(ctx, NULL, &n, (const unsigned char *)context,
			      (int)clen - 1) != 1 ||
	    (len && EVP_EncryptUpdate(ctx, buf + PII_NONCE, &n,
				      (const unsigned char *)plain,
				      (int)len) != 1) ||
	    EVP_EncryptFinal_ex(ctx, buf + PII_NONCE + len, &n) != 1 ||
	    EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, PII_TAG,
				buf + PII_NONCE + len) != 1)
		xalloc_die(); /* only allocation can fail here */
	EVP_CIPHER_CTX_free(ctx);
	n = EVP_EncodeBlock(b64, buf, (int)total);
	strbuf_addstr(out, PII_PREFIX);
	strbuf_add(out, b64, (size_t)n);
	free(b64);
	free(buf);
}

int pii_decrypt(const struct pii_key *k, const char *context,
		const char *text, struct strbuf *out, struct err *err)
{
	const char *b = text + strlen(PII_PREFIX);
	size_t blen = strlen(b), pad = 0, total, len;
	unsigned char *buf = NULL, *plain = NULL;
	EVP_CIPHER_CTX *ctx = NULL;
	int n, ret = -1;

	if (!pii_is_encrypted(text) || blen % 4 || blen == 0)
		return err_set(err, ERR_DATA, "%s: not an encrypted value",
			       context);
	pad = b[blen - 1] == '=' ? (b[blen - 2] == '=' ? 2 : 1) : 0;
	buf = xmalloc(blen);
	n = EVP_DecodeBlock(buf, (const unsigned char *)b, (int)blen);
	if (n < 0 || (size_t)n < pad + PII_NONCE + PII_TAG) {
		err_set(err, ERR_DATA, "%s: not an encrypted value", context);
		goto out;
	}
	total = (size_t)n - pad;
	len = total - PII_NONCE - PII_TAG;
	plain = xmalloc(len + 1);
	ctx = EVP_CIPHER_CTX_new();
	if (!ctx)
		xalloc_die();
	if (EVP_DecryptInit_ex(ctx, EVP_aes_256_gcm(), NULL, NULL, NULL) != 1 ||
	    EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_IVLEN, PII_NONCE,
				NULL) != 1 ||
	    EVP_DecryptInit_ex(ctx, NULL, NULL, k->key, buf) != 1 ||
	    EVP_DecryptUpdate(ctx, NULL, &n, (const unsigned char *)context,
			      (int)strlen(context)) != 1 ||
	    (len && EVP_DecryptUpdate(ctx, plain, &n, buf + PII_NONCE,
				      (int)len) != 1) ||
	    EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, PII_TAG,
				buf + PII_NONCE + len) != 1 ||
	    EVP_DecryptFinal_ex(ctx, plain + len, &n) != 1) {
		err_set(err, ERR_DATA, "%s: the encrypted value does not "
			"authenticate (another key, or damaged)", context);
		goto out;
	}
	strbuf_add(out, plain, len);
	ret = 0;
out:
	EVP_CIPHER_CTX_free(ctx);
	if (plain)
		OPENSSL_cleanse(plain, len + 1);
	free(plain);
	free(buf);
	return ret;
}
