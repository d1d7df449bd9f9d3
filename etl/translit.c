/*
 * translit.c - romanisation of names in other scripts, with ICU
 * (see translit.h).
 */
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <unicode/ustring.h>
#include <unicode/utrans.h>

#include "norm.h"
#include "translit.h"

/* BGN/PCGN takes the Cyrillic first; Any-Latin the other scripts;
 * Latin-ASCII turns what is left of marks and primes into ASCII */
#define TRANSLIT_ID "Russian-Latin/BGN; Any-Latin; Latin-ASCII"

/* UTF-16 units of one word before and after romanisation: a word is at
 * most NORM_MAX_OUT bytes (so as many units), and a Han character (3
 * bytes) becomes at most 7 letters ('zhuang' and a space) */
#define WORD_UNITS (NORM_MAX_OUT * 3)

/*
 * Words already romanised: a directory of millions repeats a few
 * thousand native names, and ICU takes microseconds a word.  Open
 * addressing, bounded: once CACHE_MAX words are in, new ones go to ICU
 * each time.  Entries live as long as the process.
 */
#define CACHE_SLOTS 65536  /* a power of two */
#define CACHE_MAX (CACHE_SLOTS / 2)
#define NO_ROMAN '\1'    /* ICU could not romanise the word */

struct cached_word {
	uint64_t hash;  /* 0: free slot */
	char *word;     /* the word, NUL, its romanisation or NO_ROMAN */
	size_t len;     /* of the word */
};

static pthread_once_t open_once = PTHREAD_ONCE_INIT;
static pthread_mutex_t trans_lock = PTHREAD_MUTEX_INITIALIZER;
static UTransliterator *trans;      /* opened under open_once, used
				     * under trans_lock */
static UChar word_buf[WORD_UNITS];  /* under trans_lock */
static struct cached_word *cache;   /* under trans_lock */
static size_t cached;               /* under trans_lock */
static const char *open_error;      /* set once, by open_trans() */

static void open_trans(void)
{
	UChar id[sizeof(TRANSLIT_ID)];
	UParseError pe;
	UErrorCode st = U_ZERO_ERROR;

	u_uastrncpy(id, TRANSLIT_ID, (int32_t)sizeof(id));
	trans = utrans_openU(id, -1, UTRANS_FORWARD, NULL, 0, &pe, &st);
	if (U_FAILURE(st)) {
		trans = NULL;
		open_error = u_errorName(st);
	}
}

const char *translit_error(void)
{
	return open_error;
}

/* The script of the word of `len` bytes at `w` (of its first letter). */
static enum norm_script word_script(const char *w, size_t len)
{
	char buf[64];

	/* the first letter is near the start; a cut character reads as
	 * no letter, which leaves the word alone */
	if (len >= sizeof(buf))
		len = sizeof(buf) - 1;
	memcpy(buf, w, len);
	buf[len] = '\0';
	return norm_script_of(buf);
}

/* The scripts whose romanisation is worth comparing (translit.h). */
static int romanisable(enum norm_script sc)
{
	switch (sc) {
	case SCRIPT_GREEK:
	case SCRIPT_CYRILLIC:
	case SCRIPT_INDIC:
	case SCRIPT_THAI:
	case SCRIPT_HANGUL:
	case SCRIPT_HAN:
	case SCRIPT_OTHER:
		return 1;
	default:
		return 0;
	}
}

/*
 * Appends the romanisation of the word of `len` bytes at `w` to `out`,
 * without spaces.  Returns 0, or -1 (nothing appended) when ICU fails or
 * leaves a character it has no Latin for (a script it does not know).
 * Called with trans_lock held.
 */
static int romanise_word(struct strbuf *out, const char *w, size_t len)
{
	UErrorCode st = U_ZERO_ERROR;
	int32_t n, limit;
	size_t at = out->len;

	if (len > NORM_MAX_OUT)
		return -1;
	u_strFromUTF8(word_buf, WORD_UNITS, &n, w, (int32_t)len, &st);
	if (U_FAILURE(st))
		return -1;
	limit = n;
	utrans_transUChars(trans, word_buf, &n, WORD_UNITS, 0, &limit, &st);
	if (U_FAILURE(st) || n > WORD_UNITS)
		return -1;
	for (int32_t i = 0; i < n; i++) {
		if (word_buf[i] >= 0x80) {
			strbuf_setlen(out, at);
			return -1;
		}
		/* Han gives a syllable per character, space-separated */
		if (word_buf[i] != ' ')
			strbuf_addch(out, (char)word_buf[i]);
	}
	return 0;
}

/* The cache slot of the word of `len` bytes at `w`: its entry, or the
 * free slot where it would go; NULL when the cache could not be had. */
static struct cached_word *cache_slot(const char *w, size_t len,
				      uint64_t *hash)
{
	uint64_t h = 14695981039346656037ULL;
	size_t i;

	if (!cache && !(cache = calloc(CACHE_SLOTS, sizeof(*cache))))
		return NULL;
	for (i = 0; i < len; i++)
		h = (h ^ (unsigned char)w[i]) * 1099511628211ULL;
	h |= 1;
	*hash = h;
	for (i = h & (CACHE_SLOTS - 1); cache[i].hash;
	     i = (i + 1) & (CACHE_SLOTS - 1))
		if (cache[i].hash == h && cache[i].len == len &&
		    memcmp(cache[i].word, w, len) == 0)
			break;
	return &cache[i];
}

/*
 * romanise_word() through the cache: the same contract.  Called with
 * trans_lock held.
 */
static int romanise_cached(struct strbuf *out, const char *w, size_t len)
{
	uint64_t hash;
	struct cached_word *c = cache_slot(w, len, &hash);
	size_t at = out->len, n;
	int ret;

	if (c && c->hash) {
		const char *roman = c->word + len + 1;

		if (roman[0] == NO_ROMAN)
			return -1;
		strbuf_addstr(out, roman);
		return 0;
	}
	ret = romanise_word(out, w, len);
	if (!c || cached >= CACHE_MAX)
		return ret;
	n = ret ? 1 : out->len - at;
	if (!(c->word = malloc(len + 1 + n + 1)))
		return ret;
	memcpy(c->word, w, len);
	c->word[len] = '\0';
	memcpy(c->word + len + 1, ret ? (char[]){ NO_ROMAN } : out->buf + at,
	       n);
	c->word[len + 1 + n] = '\0';
	c->hash = hash;
	c->len = len;
	cached++;
	return ret;
}

int translit_name(struct strbuf *out, const char *s, size_t len)
{
	int first = 0, wanted = 0;
	size_t i, j;

	strbuf_reset(out);
	for (i = 0; i < len; i = j + 1) {
		for (j = i; j < len && s[j] != ' '; j++)
			;
		if (romanisable(word_script(s + i, j - i))) {
			wanted = 1;
			break;
		}
	}
	if (wanted)
		pthread_once(&open_once, open_trans);
	if (!wanted || !trans) {
		strbuf_add(out, s, len);
		return wanted ? -1 : 0;
	}

	pthread_mutex_lock(&trans_lock);
	for (i = 0; i < len; i = j) {
		enum norm_script sc;

		if (s[i] == ' ') {
			strbuf_addch(out, ' ');
			j = i + 1;
			continue;
		}
		for (j = i; j < len && s[j] != ' '; j++)
			;
		sc = word_script(s + i, j - i);
		if (romanisable(sc) &&
		    romanise_cached(out, s + i, j - i) == 0) {
			if (!first)
				first = (int)sc;
			continue;
		}
		strbuf_add(out, s + i, j - i);
	}
	pthread_mutex_unlock(&trans_lock);
	return first;
}
