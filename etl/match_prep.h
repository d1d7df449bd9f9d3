/*
 * match_prep.h - how each canonical field is normalised and compared.
 *
 * The match stage normalises every record once, then compares
 * normalised values pair after pair; this file is the bridge between the
 * job's canonical fields (first_name, email, website, ...) and the
 * normalisation and similarity functions (norm.h, sim.h).
 */
#ifndef CRMSYNC_MATCH_PREP_H
#define CRMSYNC_MATCH_PREP_H

#include <stddef.h>

#include "job.h"
#include "strbuf.h"

enum prep_kind {
	PREP_TEXT,       /* folded text: titles, industries */
	PREP_NAME,       /* folded, other scripts romanised: last names */
	PREP_CITY,       /* folded, other names of the city made one */
	PREP_FIRST_NAME, /* folded, romanised, nickname made canonical */
	PREP_EMAIL,      /* trimmed, lower case, +tag dropped */
	PREP_PHONE,      /* E.164, using the record's country */
	PREP_COMPANY,    /* folded, legal forms and noise words dropped */
	PREP_DOMAIN,     /* registrable domain of a website or of a work
			  * email (none for a mailbox provider's) */
	PREP_COUNTRY,    /* ISO 3166 alpha-2 */
	PREP_CODE,       /* postal codes, counts: trimmed, upper case */
	PREP_REGION,     /* states: folded text, a code ('ca') or a name */
};

/* The normalisation a canonical field gets, from its name. */
enum prep_kind prep_kind_of(const char *canonical);

/*
 * Normalises `raw` (`len` bytes of UTF-8) into `out` (reset first); an
 * empty result means "no usable value" (garbage phone, email without
 * @).  `country` is the record's raw country, for phones; may be NULL.
 * A name in another script than Latin is romanised (translit.h): the
 * return value is then the enum norm_script it was written in, else 0.
 * This function can't fail: a name ICU cannot romanise (translit_error())
 * is kept in its script.
 */
int prep_value(enum prep_kind kind, const char *raw, size_t len,
		const char *country, struct strbuf *out);

/* SHA-256 hex of a raw email as the directory hashes it (trimmed, lower
 * case: norm_email_sha256), or empty when the value is unusable. */
void prep_email_hash(const char *raw, size_t len, struct strbuf *out);

/*
 * 1 when a normalised region is a code ('ca', 'nsw', '14': at most 3
 * characters, no space) rather than a name ('california'): a code and a
 * name cannot be compared.
 */
int prep_region_code(const char *v);

/*
 * The similarity of two non-empty normalised values for `method` (`alen`
 * and `blen` bytes): 0..1, or the edit distance for MM_LEVENSHTEIN
 * (capped at `cap` + 1).
 */
double prep_compare(enum match_method method, const char *a, size_t alen,
		    const char *b, size_t blen, long cap);

#endif
