/*
 * crypto.h - the OpenSSL wrapper: digests now; JWT signing and
 * AES-256-GCM join it as the connector and encryption at rest land.
 * The only file of etl/ that includes <openssl/...>.
 */
#ifndef CRMSYNC_CRYPTO_H
#define CRMSYNC_CRYPTO_H

#include <stddef.h>

#include "errors.h"

#define SHA256_LEN 32
#define SHA256_HEX_LEN 64

struct sha256;

/* Starts a streaming SHA-256; never NULL (exits on OOM). */
struct sha256 *sha256_new(void);
void sha256_update(struct sha256 *h, const void *data, size_t len);
/* Writes the 64 lower-case hex digits and a NUL into `hex`, then frees
 * `h`. */
void sha256_final_hex(struct sha256 *h, char hex[SHA256_HEX_LEN + 1]);
/* Frees an unfinished hash; NULL is a no-op. */
void sha256_free(struct sha256 *h);

/*
 * Hashes a whole file, streaming; fills `hex` and, when `bytes` is not
 * NULL, the file size.  Returns 0, or -1 with ERR_NOINPUT/ERR_IO naming
 * the file.
 */
int sha256_file(const char *path, char hex[SHA256_HEX_LEN + 1],
		unsigned long long *bytes, struct err *err);

/*
 * Signs `data` with RSA-SHA256 (JWT's RS256) using the PEM private key
 * in `key_path`.  The key file must not be readable by group or others
 * (ERR_CONFIG otherwise: a leaked key lets anyone act as the integration
 * user).  On success *sig is a new buffer of *siglen bytes (caller
 * frees).  Errors name the file, never its contents.
 */
int rs256_sign_file(const char *key_path, const void *data, size_t len,
		    unsigned char **sig, size_t *siglen, struct err *err);

/* Appends base64url (RFC 4648 section 5, no padding) of `data`. */
struct strbuf;
void base64url_append(struct strbuf *sb, const void *data, size_t len);

/* Fills `buf` with `len` random bytes from the OS (ERR_SOFTWARE when it
 * cannot). */
int random_bytes(void *buf, size_t len, struct err *err);

#endif
