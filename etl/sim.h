/*
 * sim.h - similarity of normalised values, per candidate pair.
 *
 * The match stage scores 100-200 million pairs a minute, so everything
 * here is deterministic, allocation-free and reentrant: work space lives
 * on the stack, sized by the limits below.  Inputs are what norm.h
 * produces (folded UTF-8, normalised emails, E.164 phones).  A longer
 * input is not an error: only its first SIM_MAX_CHARS code points (or
 * SIM_MAX_TOKENS words, in its first 64 kB) are compared, so a 10 kB
 * name costs a bounded time and never overruns anything.
 *
 * Strings are (pointer, length in bytes); they need not be
 * NUL-terminated.  Pure-ASCII pairs take a byte-wise fast path; others
 * are decoded to code points first (malformed bytes count as U+FFFD).
 * Callers that compare one value against many may decode it once with
 * sim_decode() and use the _cp variants.
 */
#ifndef CRMSYNC_SIM_H
#define CRMSYNC_SIM_H

#include <stddef.h>
#include <stdint.h>

#define SIM_MAX_CHARS 256  /* code points compared per string */
#define SIM_MAX_TOKENS 32  /* words compared per string (token set) */
#define SIM_PHONETIC_LEN 4 /* Double Metaphone code length */

/*
 * Decodes at most `max` code points of the UTF-8 `s` into `out`;
 * returns how many.  Malformed bytes give U+FFFD.  Can't fail.
 */
size_t sim_decode(const char *s, size_t len, uint32_t *out, size_t max);

/*
 * Jaro-Winkler similarity in 0..1 (1: equal, including both empty; 0
 * when exactly one is empty): Jaro's matching window max(len)/2 - 1,
 * half-transpositions, then Winkler's boost for a common prefix of up
 * to 4 code points with scale 0.1, applied when the Jaro similarity is
 * above 0.7 (as Winkler, strcmp95 and RapidFuzz do).  MARTHA/MARHTA
 * 0.961, DWAYNE/DUANE 0.84, DIXON/DICKSONX 0.813.  Can't fail.
 */
double sim_jaro_winkler(const char *a, size_t alen,
			const char *b, size_t blen);
double sim_jaro_winkler_cp(const uint32_t *a, size_t alen,
			   const uint32_t *b, size_t blen);

/*
 * An upper bound of sim_jaro_winkler(a, b), for telling cheaply that a
 * pair stays under a level: Jaro's matches are no more than the bytes of
 * either string found anywhere in the other, transpositions no fewer
 * than none.  Not below the similarity by more than rounding (callers
 * leave a margin of 1e-9); 1 when it cannot tell (a string longer than
 * 64 bytes or not ASCII).  Can't fail.
 */
double sim_jaro_winkler_bound(const char *a, size_t alen,
			      const char *b, size_t blen);

/*
 * Levenshtein distance (insertions, deletions, substitutions of code
 * points, each 1) when it is at most `max`, else max + 1, returned as
 * soon as that is certain: the length difference alone, or a row of the
 * matrix whose best cell already exceeds `max`.  ASCII strings of up to
 * 64 bytes (after their common prefix and suffix are set aside) use
 * Hyyrö's bit-parallel algorithm; the rest a two-row matrix.  Can't
 * fail.
 */
size_t sim_lev_bounded(const char *a, size_t alen,
		       const char *b, size_t blen, size_t max);
size_t sim_lev_bounded_cp(const uint32_t *a, size_t alen,
			  const uint32_t *b, size_t blen, size_t max);

/*
 * Token-set similarity of two folded strings: distinct words (split on
 * spaces) the two share, divided by the distinct words of both (Jaccard
 * on word sets): "acme widgets" / "widgets acme" 1, "acme" / "acme
 * widgets" 0.5.  1 when both have no word, 0 when one has none.  Can't
 * fail.
 */
double sim_token_set(const char *a, size_t alen, const char *b, size_t blen);

/*
 * The distinct words of a string, found once: a caller that compares a
 * value with many others (the match stage, every company and title)
 * splits it when it normalises it, not once per pair.  Offsets and
 * lengths are in bytes; a string longer than 65535 bytes is only split
 * that far (norm.h keeps values well under).
 */
struct sim_word {
	uint16_t off, len;
};

/*
 * Splits the `len` bytes at `s` into its distinct words, in order of
 * first appearance, at most SIM_MAX_TOKENS, into `out`; returns how
 * many.  Can't fail.
 */
size_t sim_words(const char *s, size_t len, struct sim_word *out);

/*
 * sim_token_set() on strings already split by sim_words(): `wa` holds
 * the `na` words of `a`, `wb` the `nb` of `b`; the same result.  Can't
 * fail.
 */
double sim_token_set_words(const char *a, size_t alen,
			   const struct sim_word *wa, size_t na,
			   const char *b, size_t blen,
			   const struct sim_word *wb, size_t nb);

/*
 * The primary Double Metaphone code (Philips 2000) of a folded name,
 * at most SIM_PHONETIC_LEN letters, NUL-terminated, into `out`; returns
 * its length.  Only ASCII letters are coded (folding has already turned
 * "Müller" into "muller"); a name without any ("王伟") gives the empty
 * code, which callers treat as missing, never as equal.  Words are coded
 * as one string, as the algorithm's "van "/"san " rules expect.
 * Smith/Smyth -> SM0, Robert/Rupert -> RPRT.  Can't fail.
 *
 * Why Double Metaphone: it knows the spellings of names from many
 * languages (Germanic "sch", Slavic "cz"/"wicz", Romance "gli",
 * Spanish "j"), where Soundex keeps the first letter as is and NYSIIS
 * is tuned to English surnames.
 */
size_t sim_phonetic(const char *s, size_t len,
		    char out[SIM_PHONETIC_LEN + 1]);

/*
 * Email agreement of two normalised addresses ("local@domain", see
 * norm_email()): 1 the same address, 0.75 the same local part, 0.5 the
 * same domain, else 0 (docs/job-file.md, MM_EMAIL).  An empty or
 * @-less value gives 0.  Can't fail.
 */
double sim_email(const char *a, size_t alen, const char *b, size_t blen);

/*
 * Phone agreement of two normalised numbers (norm_phone(), "+" and
 * non-digits ignored): 1 the same digits, 0.75 the same last 10 digits,
 * 0.5 the same last 7, else 0 (MM_PHONE).  A level needs both numbers
 * to have that many digits; fewer than 7 digits on either side gives 0.
 * Can't fail.
 */
double sim_phone(const char *a, size_t alen, const char *b, size_t blen);

/*
 * Sketches: 32 bits per value that tell how similar two values can be
 * at most, so that a caller scoring hundreds of millions of pairs can
 * rule most of them out from two words it keeps side by side, without
 * reading the strings (which lie all over memory).
 *
 * sim_sketch() summarises a value for one kind of comparison;
 * sim_sketch_bound() takes two sketches of that kind and returns a
 * number never below the similarity of the two values (sim_email(),
 * sim_phone(), sim_jaro_winkler(), sim_token_set(), or 1 / 0 for
 * equal / not), give or take rounding (callers leave a margin of
 * 1e-9).  Equal values always get equal sketches; different values may
 * too (the hashes are short), which only makes the bound looser.  When
 * a sketch cannot tell (a name that is not ASCII or longer than 63
 * bytes, more than 31 words) the bound is 1.
 *
 * A sketch always has SIM_SKETCH_PRESENT set, so a caller may keep 0
 * for "no value".  SIM_SKETCH_FLAG is the caller's: sim_sketch() leaves
 * it clear and sim_sketch_bound() ignores it.
 */
enum sim_sketch_kind {
	SIM_SKETCH_NONE,         /* no bound: sim_sketch_bound() gives 1 */
	SIM_SKETCH_EXACT,        /* equal or not */
	SIM_SKETCH_JARO_WINKLER,
	SIM_SKETCH_TOKEN_SET,
	SIM_SKETCH_EMAIL,
	SIM_SKETCH_PHONE,
};

#define SIM_SKETCH_PRESENT 0x80000000u
#define SIM_SKETCH_FLAG 0x40000000u

/* The sketch of the `len` bytes at `s` for comparisons of `kind`.
 * Can't fail. */
uint32_t sim_sketch(enum sim_sketch_kind kind, const char *s, size_t len);

/* An upper bound of the similarity of two values from their sketches
 * `a` and `b` (both made by sim_sketch() for `kind`).  Can't fail. */
double sim_sketch_bound(enum sim_sketch_kind kind, uint32_t a, uint32_t b);

#endif
