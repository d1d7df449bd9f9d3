/*
 * crypto.h - the OpenSSL wrapper: digests, JWT signing (RS256) and the
 * AES-256-GCM encryption of PII at rest (R4).
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

/* SHA-256 of `len` bytes at `data` in one call, as sha256_final_hex()
 * writes it: for many short values (emails), about six times cheaper
 * than sha256_new() and sha256_final_hex().  Exits on OOM; thread-safe. */
void sha256_hex(const void *data, size_t len, char hex[SHA256_HEX_LEN + 1]);

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

/* ---- PII at rest (R4) ------------------------------------------------ */

/*
 * The job's key (security.encryption_key_file): a file holding 64
 * hexadecimal digits (256 bits; `openssl rand -hex 32`), surrounding
 * whitespace ignored, not readable by group or others.
 *
 * A value is encrypted with AES-256-GCM under the key and written as
 *   "enc1:" base64(nonce[12] || ciphertext || tag[16])
 * with `context` (what the value is, "email:<profile id>") as additional
 * authenticated data, so a ciphertext moved to another row or column
 * fails to decrypt.  The nonce is HMAC-SHA256(nonce key, context || 0 ||
 * plaintext) cut to 96 bits, the nonce key being SHA-256 of "crmsync
 * pii nonce" and the key: the same value in the same place always gives
 * the same text (staged files stay deterministic and the load stage can
 * diff without decrypting), and two different plaintexts never share a
 * nonce.  Equal values in the same context are visibly equal; nothing
 * else is revealed.
 */
struct pii_key;

/* Reads the key file.  ERR_CONFIG naming the file (never its contents)
 * when it is missing, malformed or readable by others. */
int pii_key_load(const char *path, struct pii_key **out, struct err *err);
/* Wipes and frees; NULL is a no-op. */
void pii_key_free(struct pii_key *k);

/* A fingerprint of the key (HMAC of a fixed text), stored beside the
 * data so that another key is refused instead of yielding garbage. */
void pii_key_check(const struct pii_key *k, char hex[SHA256_HEX_LEN + 1]);

/* Appends the encrypted form of `plain` (`len` bytes) to `out`. */
void pii_encrypt(const struct pii_key *k, const char *context,
		 const char *plain, size_t len, struct strbuf *out);

/* Appends the plaintext of `text` (an "enc1:" value) to `out`; ERR_DATA
 * when it is malformed or does not authenticate under `context`. */
int pii_decrypt(const struct pii_key *k, const char *context,
		const char *text, struct strbuf *out, struct err *err);

/* 1 when `text` has the form of an encrypted value. */
int pii_is_encrypted(const char *text);

#endif
