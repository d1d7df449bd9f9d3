/*
 * norm.h - normalisation of the values the match stage compares: names,
 * cities, titles, company names, emails, phones, websites and countries.
 *
 * Every function here is pure: no I/O apart from reading the tables that
 * the build compiles in from data/ (scripts/embed.sh, etl/embed.h), which
 * are parsed once, on first use, under pthread_once(), so the functions
 * may be called from several threads.  Normalisation runs once per
 * record; the similarity functions of sim.h then run per pair on what
 * comes out.
 *
 * Text folding (norm_fold), the base of the other functions:
 *   - Unicode NFKC with case folding, marks (accents) stripped and
 *     compatibility forms unfolded (utf8proc): "José Núñez" -> "jose
 *     nunez", fullwidth "ＭÜLLER" -> "muller", "İpek Şahin" -> "ipek
 *     sahin", the ligature "ﬁ" -> "fi", "ß" -> "ss";
 *   - a few Latin letters that carry no separable accent are spelled the
 *     way ASCII-only systems write them: ı->i, ø->o, æ->ae, œ->oe, ł->l,
 *     đ/ð->d, þ->th, ħ->h;
 *   - apostrophes (' ’ ‘ ʼ ` ´) are dropped, joining the word:
 *     "D’Angelo" -> "dangelo", "O'Brien" -> "obrien", because CRM
 *     exports and web forms most often lose the apostrophe rather than
 *     turn it into a space;
 *   - every other character that is not a letter or a digit (spaces,
 *     punctuation, hyphens, symbols, emoji) separates words; words are
 *     joined by exactly one space, none leading or trailing;
 *   - other scripts are kept, folded but not transliterated ("王伟"
 *     stays "王伟"; Cyrillic is lower-cased; the match stage romanises
 *     names afterwards, translit.h); marks go in every script
 *     alike (Cyrillic "й" -> "и"), which costs nothing in matching since
 *     both sides are folded the same way;
 *   - input longer than NORM_MAX_IN bytes is cut (at a character
 *     boundary) before folding and output longer than NORM_MAX_OUT is
 *     cut too, so a 10 kB name costs no more than a 1 kB one;
 *   - malformed UTF-8 (rejected upstream, but never trusted here) reads
 *     as separators.
 */
#ifndef CRMSYNC_NORM_H
#define CRMSYNC_NORM_H

#include <stddef.h>

#include "strbuf.h"

#define NORM_MAX_IN 1024   /* input bytes folded */
#define NORM_MAX_OUT 1024  /* output bytes kept */

/* ---- text ---- */

/*
 * Replaces the contents of `out` with the folded form of the `len` bytes
 * at `s` (rules above); the result may be empty.  This function can't
 * fail.
 */
void norm_fold(struct strbuf *out, const char *s, size_t len);

/* The writing system of a name, from its first letter. */
enum norm_script {
	SCRIPT_NONE,     /* no letter at all */
	SCRIPT_LATIN,
	SCRIPT_GREEK,
	SCRIPT_CYRILLIC,
	SCRIPT_HEBREW,
	SCRIPT_ARABIC,
	SCRIPT_INDIC,    /* Devanagari to Malayalam */
	SCRIPT_THAI,
	SCRIPT_HANGUL,
	SCRIPT_HAN,      /* Han, Hiragana, Katakana */
	SCRIPT_OTHER,
};

/*
 * The script of the first letter of the UTF-8 string `s` (folded or
 * not): '鈴木' and 'suzuki' cannot be compared letter by letter, so the
 * matcher treats names in two scripts as unknown rather than different.
 * Kana and Han count as one script (Japanese names mix them).  Invalid
 * UTF-8 gives SCRIPT_NONE.  This function can't fail.
 */
enum norm_script norm_script_of(const char *s);

/*
 * The canonical first name for a folded first name (norm_fold output):
 * "bob", "bobby", "rob" -> "robert"; "kate" -> "katherine"; "hans" ->
 * "johannes"; "paco" -> "francisco".  A name that is not in
 * data/nicknames.csv is returned as it is (the same pointer); other
 * results point at static storage.  Only the first word is looked up
 * when `first` holds several ("mary ann" -> "mary").  Can't fail.
 */
const char *norm_nickname(const char *first);

/*
 * The name kept for folded city name `city` (data/city_aliases.csv:
 * "munchen" and "munich" give "munich", "москва" gives "moscow"), or
 * `city` itself when the table does not know it.  The result is static
 * storage or `city`.  Can't fail.
 */
const char *norm_city(const char *city);

/*
 * Every canonical name `first` may stand for ("pat" -> "patricia",
 * "patrick"), the one norm_nickname() gives first, at most `max` of
 * them; returns how many were written.  A name not in the table gives
 * itself (count 1).  Two first names agree as nicknames when their lists
 * share an entry.  Can't fail.
 */
size_t norm_nickname_all(const char *first, const char **out, size_t max);

/*
 * Folds a company name and removes, from its end and repeatedly, the
 * legal forms of data/legal_forms.txt ("inc", "s a", "gmbh", "pty ltd",
 * ...) and the noise words of data/noise_words.txt ("group", "holdings",
 * "international", ...), and a leading "the".  "&" reads as "and".  A
 * name is never emptied: when only noise is left, its first word stays
 * ("The Company" -> "company").  "ACME, Inc.", "Acme Incorporated" and
 * "The Acme Company" all give "acme".  Can't fail.
 */
void norm_company(struct strbuf *out, const char *s, size_t len);

/* ---- emails ---- */

#define NORM_EMAIL_MAX 254 /* RFC 5321 path limit */

struct norm_email {
	/* "local@domain": lower case, trimmed, "+tag" removed from the
	 * local part, and for gmail.com / googlemail.com the dots removed
	 * and the domain written gmail.com (the same mailbox). */
	char addr[NORM_EMAIL_MAX + 1];
	size_t len;        /* strlen(addr) */
	size_t local_len;  /* addr[local_len] == '@' */
	int personal;      /* the domain is a mailbox provider's
			    * (norm_email_personal) */
};

/*
 * Normalises the email address in `s` (surrounding spaces, "mailto:" and
 * <angle brackets> are ignored).  Returns 0 and fills `e`, or -1 when the
 * value is unusable: empty, no "@" or more than one, an empty local
 * part, a domain without a dot or with an empty label, spaces or control
 * characters inside, or longer than NORM_EMAIL_MAX.  `e` is then set to
 * an empty address.  Never crashes on garbage.
 */
int norm_email(const char *s, size_t len, struct norm_email *e);

/* The domain part of a normalised address (after the "@"). */
static inline const char *norm_email_domain(const struct norm_email *e)
{
	return e->addr + e->local_len + (e->len ? 1 : 0);
}

/*
 * SHA-256 (64 lower-case hex digits and a NUL into `hex`) of `s` trimmed
 * of white space and with ASCII letters lower-cased: the form the
 * directory hashes for members.EmailSha256 (README).  No "+tag" or dot
 * removal here, which the directory does not do.  Returns 0, or -1 when
 * nothing is left after trimming or the value has no "@" (`hex` is then
 * the empty string).
 */
int norm_email_sha256(const char *s, size_t len, char hex[65]);

/*
 * 1 when `domain` (an email domain, any case) belongs to a personal
 * mailbox provider of data/personal_email_domains.txt (gmail.com,
 * yahoo.co.uk, web.de, mail.yahoo.com, ...), else 0.  Can't fail.
 */
int norm_email_personal(const char *domain);

/* ---- phones ---- */

#define NORM_PHONE_MAX 16 /* "+" and at most 15 digits (E.164) */

/*
 * Normalises the phone number in `s` to E.164 ("+14155550123") in `out`.
 * `country` is the record's country, as an ISO2 code or anything
 * norm_country() reads ("Deutschland"), used when the number carries no
 * international prefix; it may be NULL or empty.
 *
 * Reads: digits (fullwidth too) and the separators space . - / ( ); a
 * leading "+", or an international call prefix ("00"; "011" in NANP
 * countries, "0011" in Australia, "010" in Japan; "00" and "011" when the
 * country is unknown); "(0)" after a country code ("+44 (0)20 ..."); the
 * national trunk prefix of the country ("0" in most, "1" in NANP, "8" in
 * Russia, "06" in Hungary; none in Italy, where the 0 stays); an
 * extension ("x123", "ext. 123", "#123", ";ext=123") is dropped.
 *
 * Returns 0 with the E.164 form; 1 when the country is unknown and the
 * number has no prefix: `out` then holds its digits only, without "+"
 * (still comparable on the last 7 or 10 digits, see sim_phone()); -1 when
 * the value is unusable: letters ("call me"), a misplaced "+", nothing
 * after a prefix ("+", "00"), fewer than 6 national digits, more than 15
 * in all, an unknown country code, or a NANP number that is not 10
 * digits.  `out` is then the empty string.
 */
int norm_phone(const char *s, size_t len, const char *country,
	       char out[NORM_PHONE_MAX + 1]);

/* ---- countries ---- */

/*
 * The ISO 3166-1 alpha-2 code (static, upper case) of a country given
 * by code (ISO2 or ISO3, any case) or by name in one of the spellings of
 * data/countries.csv ("USA", "United States", "UK", "Deutschland",
 * "España", "Korea, Republic of"), or NULL when unknown.  Can't fail.
 */
const char *norm_country(const char *s, size_t len);

/*
 * The calling code ("1", "44", "49") of an ISO2 code, or NULL when the
 * code is unknown.  Static storage; can't fail.
 */
const char *norm_country_calling_code(const char *iso2);

/* ---- websites ---- */

#define NORM_DOMAIN_MAX 253

/*
 * The registrable domain (eTLD+1) of a website URL or host, lower case,
 * into `out`: "https://www.Acme.co.uk/about?x=1" -> "acme.co.uk",
 * "user@shop.acme.com:8080" -> "acme.com", "acme.com." -> "acme.com".
 * Scheme, user info, port, path, query and fragment go; the public
 * suffixes known are data/public_suffixes.txt's (multi-label ones) and
 * every single-label top-level domain.  Also takes an email domain.
 *
 * Returns 0, or -1 when the value is unusable: empty, no dot, an IP
 * address, a character that cannot be in a host name, a host that is
 * itself a public suffix ("co.uk"), or longer than NORM_DOMAIN_MAX
 * (`out` is then the empty string).
 */
int norm_domain(const char *s, size_t len, char out[NORM_DOMAIN_MAX + 1]);

#endif
