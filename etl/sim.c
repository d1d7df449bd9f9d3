/*
 * sim.c - string, email and phone similarity for the match stage (the
 * contracts are in sim.h).
 *
 * Jaro-Winkler and Levenshtein are written once as macros and expanded
 * for bytes and for code points; ASCII strings of up to 64 bytes (nearly
 * every name) take bit-parallel versions instead.  Match flags are
 * 64-bit words and matrix rows fixed arrays on the stack: nothing here
 * allocates, and every loop is bounded by SIM_MAX_CHARS.
 */
#include <string.h>

#include <utf8proc.h>

#include "sim.h"

#define BIT(v, k) (((v)[(k) >> 6] >> ((k) & 63)) & 1)
#define SETBIT(v, k) ((v)[(k) >> 6] |= (uint64_t)1 << ((k) & 63))

size_t sim_decode(const char *s, size_t len, uint32_t *out, size_t max)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n = 0, i = 0;

	while (i < len && n < max) {
		utf8proc_int32_t c;
		utf8proc_ssize_t k;

		if (p[i] < 0x80) {
			out[n++] = p[i++];
			continue;
		}
		k = utf8proc_iterate(p + i, (utf8proc_ssize_t)(len - i), &c);
		if (k <= 0) {
			out[n++] = 0xfffd;
			i++;
			continue;
		}
		out[n++] = (uint32_t)c;
		i += (size_t)k;
	}
	return n;
}

static int is_ascii(const char *s, size_t len)
{
	unsigned char acc = 0;

	for (size_t i = 0; i < len; i++)
		acc |= (unsigned char)s[i];
	return acc < 0x80;
}

/* ---- Jaro-Winkler ---- */

/*
 * Jaro's (c/n + c/m + (c - t)/c) / 3 over one common denominator: a
 * single division instead of four, and the same bits on every path.
 */
static inline double jaro_of(size_t c, size_t t, size_t n, size_t m)
{
	uint64_t num = (uint64_t)c * c * (n + m) + (uint64_t)(c - t) * n * m;

	return (double)num / (double)(3 * (uint64_t)n * m * c);
}

#define JARO_WINKLER(NAME, T)                                             \
static double NAME(const T *a, size_t n, const T *b, size_t m)            \
{                                                                         \
	uint64_t af[SIM_MAX_CHARS / 64] = { 0 };                          \
	uint64_t bf[SIM_MAX_CHARS / 64] = { 0 };                          \
	size_t w, matches = 0, trans = 0, j = 0, pre = 0;                 \
	double jaro;                                                      \
                                                                          \
	if (n > SIM_MAX_CHARS)                                            \
		n = SIM_MAX_CHARS;                                        \
	if (m > SIM_MAX_CHARS)                                            \
		m = SIM_MAX_CHARS;                                        \
	if (!n || !m)                                                     \
		return n == m ? 1.0 : 0.0;                                \
	w = (n > m ? n : m) / 2;                                          \
	w = w ? w - 1 : 0;                                                \
	for (size_t i = 0; i < n; i++) {                                  \
		size_t lo = i > w ? i - w : 0;                            \
		size_t hi = i + w + 1 < m ? i + w + 1 : m;                \
                                                                          \
		for (size_t k = lo; k < hi; k++)                          \
			if (b[k] == a[i] && !BIT(bf, k)) {                \
				SETBIT(af, i);                            \
				SETBIT(bf, k);                            \
				matches++;                                \
				break;                                    \
			}                                                 \
	}                                                                 \
	if (!matches)                                                     \
		return 0.0;                                               \
	for (size_t i = 0; i < n; i++) {                                  \
		if (!BIT(af, i))                                          \
			continue;                                         \
		while (!BIT(bf, j))                                       \
			j++;                                              \
		trans += a[i] != b[j];                                    \
		j++;                                                      \
	}                                                                 \
	jaro = jaro_of(matches, trans / 2, n, m);                         \
	if (jaro <= 0.7)                                                  \
		return jaro;                                              \
	while (pre < 4 && pre < n && pre < m && a[pre] == b[pre])         \
		pre++;                                                    \
	return jaro + (double)pre * 0.1 * (1.0 - jaro);                   \
}

JARO_WINKLER(jw_u8, unsigned char)
JARO_WINKLER(jw_u32, uint32_t)

/* Winkler's boost of `jaro` for byte strings a and b (n and m bytes):
 * above 0.7, the common prefix of up to 4 bytes pulls it towards 1. */
static double winkler_u8(double jaro, const unsigned char *a, size_t n,
			 const unsigned char *b, size_t m)
{
	size_t pre = 0;

	if (jaro <= 0.7)
		return jaro;
	while (pre < 4 && pre < n && pre < m && a[pre] == b[pre])
		pre++;
	return jaro + (double)pre * 0.1 * (1.0 - jaro);
}

/*
 * The same for byte strings of 1..64 bytes, bit-parallel: peq[c] holds
 * the positions of c in `b`, so the first free match of a[i] inside the
 * window is the lowest bit of peq[a[i]] & ~matched & window, the choice
 * the loop above makes, without its inner loop and its branches.
 */
static double jw_bits(const unsigned char *a, size_t n,
		      const unsigned char *b, size_t m)
{
	uint64_t peq[128], bm = 0, am = 0;
	size_t w = (n > m ? n : m) / 2, matches = 0, trans = 0;

	w = w ? w - 1 : 0;
	for (size_t i = 0; i < n; i++)
		peq[a[i]] = 0;
	for (size_t j = 0; j < m; j++)
		peq[b[j]] = 0;
	for (size_t j = 0; j < m; j++)
		peq[b[j]] |= (uint64_t)1 << j;
	for (size_t i = 0; i < n; i++) {
		size_t lo = i > w ? i - w : 0, hi = i + w;
		uint64_t win = (hi >= 63 ? ~(uint64_t)0 :
				((uint64_t)1 << (hi + 1)) - 1) &
			       ~(((uint64_t)1 << lo) - 1);
		uint64_t x = peq[a[i]] & ~bm & win;

		if (x) {
			bm |= x & -x;
			am |= (uint64_t)1 << i;
			matches++;
		}
	}
	if (!matches)
		return 0.0;
	while (am) {
		trans += a[__builtin_ctzll(am)] != b[__builtin_ctzll(bm)];
		am &= am - 1;
		bm &= bm - 1;
	}
	return winkler_u8(jaro_of(matches, trans / 2, n, m), a, n, b, m);
}

double sim_jaro_winkler_bound(const char *a, size_t alen,
			      const char *b, size_t blen)
{
	const unsigned char *x = (const unsigned char *)a;
	const unsigned char *y = (const unsigned char *)b;
	uint64_t in_a[2] = { 0, 0 }, in_b[2] = { 0, 0 };
	size_t ma = 0, mb = 0, c;

	if (!alen || !blen || alen > 64 || blen > 64)
		return 1.0;
	for (size_t i = 0; i < alen; i++) {
		if (x[i] >= 0x80)
			return 1.0;
		in_a[x[i] >> 6] |= (uint64_t)1 << (x[i] & 63);
	}
	for (size_t j = 0; j < blen; j++) {
		if (y[j] >= 0x80)
			return 1.0;
		in_b[y[j] >> 6] |= (uint64_t)1 << (y[j] & 63);
	}
	for (size_t i = 0; i < alen; i++)
		ma += (in_b[x[i] >> 6] >> (x[i] & 63)) & 1;
	for (size_t j = 0; j < blen; j++)
		mb += (in_a[y[j] >> 6] >> (y[j] & 63)) & 1;
	c = ma < mb ? ma : mb;
	if (!c)
		return 0.0;
	return winkler_u8(jaro_of(c, 0, alen, blen), x, alen, y, blen);
}

double sim_jaro_winkler_cp(const uint32_t *a, size_t alen,
			   const uint32_t *b, size_t blen)
{
	return jw_u32(a, alen, b, blen);
}

double sim_jaro_winkler(const char *a, size_t alen,
			const char *b, size_t blen)
{
	uint32_t ca[SIM_MAX_CHARS], cb[SIM_MAX_CHARS];
	size_t n, m;

	if (alen == blen && !memcmp(a, b, alen))
		return 1.0;
	if (is_ascii(a, alen) && is_ascii(b, blen)) {
		if (alen && blen && alen <= 64 && blen <= 64)
			return jw_bits((const unsigned char *)a, alen,
				       (const unsigned char *)b, blen);
		return jw_u8((const unsigned char *)a, alen,
			     (const unsigned char *)b, blen);
	}
	n = sim_decode(a, alen, ca, SIM_MAX_CHARS);
	m = sim_decode(b, blen, cb, SIM_MAX_CHARS);
	return jw_u32(ca, n, cb, m);
}

/* ---- Levenshtein ---- */

/* Two-row matrix, stopping when a row's best cell exceeds `max`. */
#define LEV_MATRIX(NAME, T)                                               \
static size_t NAME(const T *a, size_t n, const T *b, size_t m,            \
		   size_t max)                                            \
{                                                                         \
	size_t row[SIM_MAX_CHARS + 1];                                    \
                                                                          \
	for (size_t j = 0; j <= m; j++)                                   \
		row[j] = j;                                               \
	for (size_t i = 1; i <= n; i++) {                                 \
		size_t diag = row[0], best;                               \
                                                                          \
		row[0] = i;                                               \
		best = i;                                                 \
		for (size_t j = 1; j <= m; j++) {                         \
			size_t up = row[j], v = diag + (a[i - 1] != b[j - 1]); \
                                                                          \
			if (up + 1 < v)                                   \
				v = up + 1;                               \
			if (row[j - 1] + 1 < v)                           \
				v = row[j - 1] + 1;                       \
			diag = up;                                        \
			row[j] = v;                                       \
			if (v < best)                                     \
				best = v;                                 \
		}                                                         \
		if (best > max)                                           \
			return max + 1;                                   \
	}                                                                 \
	return row[m] > max ? max + 1 : row[m];                           \
}

LEV_MATRIX(lev_matrix_u8, unsigned char)
LEV_MATRIX(lev_matrix_u32, uint32_t)

/*
 * Hyyrö's bit-vector Levenshtein (after Myers), `a` of 1..64 bytes as
 * the pattern; the score is D[n][j], which can fall by at most one per
 * remaining column of `b`, hence the early exit.
 */
static size_t lev_bits(const unsigned char *a, size_t n,
		       const unsigned char *b, size_t m, size_t max)
{
	uint64_t peq[128];
	uint64_t pv = ~(uint64_t)0, mv = 0, last = (uint64_t)1 << (n - 1);
	size_t score = n;

	for (size_t j = 0; j < m; j++)
		peq[b[j]] = 0;
	for (size_t i = 0; i < n; i++)
		peq[a[i]] = 0;
	for (size_t i = 0; i < n; i++)
		peq[a[i]] |= (uint64_t)1 << i;
	for (size_t j = 0; j < m; j++) {
		uint64_t eq = peq[b[j]], xv = eq | mv;
		uint64_t xh = (((eq & pv) + pv) ^ pv) | eq;
		uint64_t ph = mv | ~(xh | pv), mh = pv & xh;

		if (ph & last)
			score++;
		else if (mh & last)
			score--;
		if (score > max + (m - j - 1))
			return max + 1;
		ph = (ph << 1) | 1;
		mh <<= 1;
		pv = mh | ~(xv | ph);
		mv = ph & xv;
	}
	return score > max ? max + 1 : score;
}

/* Sets aside the common prefix and suffix, then the cheap bounds. */
#define LEV_BOUNDED(NAME, T, MATRIX, BITS)                                \
static size_t NAME(const T *a, size_t n, const T *b, size_t m,            \
		   size_t max)                                            \
{                                                                         \
	if (n > SIM_MAX_CHARS)                                            \
		n = SIM_MAX_CHARS;                                        \
	if (m > SIM_MAX_CHARS)                                            \
		m = SIM_MAX_CHARS;                                        \
	while (n && m && *a == *b)                                        \
		a++, b++, n--, m--;                                       \
	while (n && m && a[n - 1] == b[m - 1])                            \
		n--, m--;                                                 \
	if (n > m) {                                                      \
		const T *t = a;                                           \
		size_t k = n;                                             \
                                                                          \
		a = b, n = m, b = t, m = k;                               \
	}                                                                 \
	if (m - n > max)                                                  \
		return max + 1;                                           \
	if (!n)                                                           \
		return m;                                                 \
	BITS                                                              \
	return MATRIX(a, n, b, m, max);                                   \
}

LEV_BOUNDED(lev_u8, unsigned char, lev_matrix_u8,
	    if (n <= 64) return lev_bits(a, n, b, m, max);)
LEV_BOUNDED(lev_u32, uint32_t, lev_matrix_u32, )

size_t sim_lev_bounded_cp(const uint32_t *a, size_t alen,
			  const uint32_t *b, size_t blen, size_t max)
{
	return lev_u32(a, alen, b, blen, max);
}

size_t sim_lev_bounded(const char *a, size_t alen,
		       const char *b, size_t blen, size_t max)
{
	uint32_t ca[SIM_MAX_CHARS], cb[SIM_MAX_CHARS];
	size_t n, m;

	if (is_ascii(a, alen) && is_ascii(b, blen))
		return lev_u8((const unsigned char *)a, alen,
			      (const unsigned char *)b, blen, max);
	n = sim_decode(a, alen, ca, SIM_MAX_CHARS);
	m = sim_decode(b, blen, cb, SIM_MAX_CHARS);
	return lev_u32(ca, n, cb, m, max);
}

/* ---- token set ---- */

/*
 * Words are few (a company name or a title has one to four), so they
 * are compared directly, length and first byte before memcmp(): hashing
 * every byte cost more than the comparisons it saved.
 */
/* Word `w` of `s` equals word `x` of `t`. */
static inline int word_eq(const char *s, const struct sim_word *w,
			  const char *t, const struct sim_word *x)
{
	return w->len == x->len && s[w->off] == t[x->off] &&
	       !memcmp(s + w->off, t + x->off, w->len);
}

size_t sim_words(const char *s, size_t len, struct sim_word *out)
{
	size_t n = 0, i = 0;

	if (len > UINT16_MAX)
		len = UINT16_MAX;
	while (i < len && n < SIM_MAX_TOKENS) {
		const char *sp;
		int dup = 0;

		while (i < len && s[i] == ' ')
			i++;
		if (i == len)
			break;
		sp = memchr(s + i, ' ', len - i);
		out[n].off = (uint16_t)i;
		out[n].len = (uint16_t)(sp ? (size_t)(sp - (s + i)) : len - i);
		i += out[n].len;
		for (size_t k = 0; k < n && !dup; k++)
			dup = word_eq(s, &out[k], s, &out[n]);
		if (!dup)
			n++;
	}
	return n;
}

double sim_token_set_words(const char *a, size_t alen,
			   const struct sim_word *wa, size_t na,
			   const char *b, size_t blen,
			   const struct sim_word *wb, size_t nb)
{
	size_t shared = 0;

	/* equal strings hold the same words, or both none: 1 either way */
	if (alen == blen && !memcmp(a, b, alen))
		return 1.0;
	if (!na || !nb)
		return na == nb ? 1.0 : 0.0;
	for (size_t i = 0; i < na; i++)
		for (size_t k = 0; k < nb; k++)
			if (word_eq(a, &wa[i], b, &wb[k])) {
				shared++;
				break;
			}
	return (double)shared / (double)(na + nb - shared);
}

double sim_token_set(const char *a, size_t alen, const char *b, size_t blen)
{
	struct sim_word wa[SIM_MAX_TOKENS], wb[SIM_MAX_TOKENS];

	if (alen == blen && !memcmp(a, b, alen))
		return 1.0;
	return sim_token_set_words(a, alen, wa, sim_words(a, alen, wa),
				   b, blen, wb, sim_words(b, blen, wb));
}

/* ---- Double Metaphone (primary code) ---- */

#define DM_MAX 64 /* letters coded */

struct dm {
	char s[DM_MAX + 1]; /* upper case letters and single spaces */
	long len;
	char code[SIM_PHONETIC_LEN + 1];
	size_t n;
	int slavo;          /* Slavic or Germanic spelling */
};

static void dm_add(struct dm *d, const char *x)
{
	while (*x && d->n < SIM_PHONETIC_LEN)
		d->code[d->n++] = *x++;
}

/* 1 when one of the NULL-ended `list` starts at `pos`. */
static int dm_at_list(const struct dm *d, long pos, const char *const *list)
{
	if (pos < 0)
		return 0;
	for (; *list; list++) {
		size_t k = strlen(*list);

		if (pos + (long)k <= d->len && !memcmp(d->s + pos, *list, k))
			return 1;
	}
	return 0;
}

#define AT(pos, ...) \
	dm_at_list(d, (pos), (const char *const[]){ __VA_ARGS__, NULL })

static int dm_vowel(const struct dm *d, long pos)
{
	if (pos < 0 || pos >= d->len)
		return 0;
	switch (d->s[pos]) {
	case 'A': case 'E': case 'I': case 'O': case 'U': case 'Y':
		return 1;
	default:
		return 0;
	}
}

static char dm_ch(const struct dm *d, long pos)
{
	return pos >= 0 && pos < d->len ? d->s[pos] : '\0';
}

/* The letter C at `c`; returns the next position. */
static long dm_c(struct dm *d, long c)
{
	if (c > 1 && !dm_vowel(d, c - 2) && AT(c - 1, "ACH") &&
	    dm_ch(d, c + 2) != 'I' &&
	    (dm_ch(d, c + 2) != 'E' || AT(c - 2, "BACHER", "MACHER"))) {
		dm_add(d, "K");
		return c + 2;
	}
	if (c == 0 && AT(c, "CAESAR")) {
		dm_add(d, "S");
		return c + 2;
	}
	if (AT(c, "CHIA")) {
		dm_add(d, "K");
		return c + 2;
	}
	if (AT(c, "CH")) {
		if (c > 0 && AT(c, "CHAE")) {
			dm_add(d, "K");
		} else if (c == 0 && (AT(c + 1, "HARAC", "HARIS") ||
				      AT(c + 1, "HOR", "HYM", "HIA", "HEM")) &&
			   !AT(0, "CHORE")) {
			dm_add(d, "K");
		} else if (AT(0, "VAN ", "VON ", "SCH") ||
			   AT(c - 2, "ORCHES", "ARCHIT", "ORCHID") ||
			   AT(c + 2, "T", "S") ||
			   ((c == 0 || AT(c - 1, "A", "O", "U", "E")) &&
			    (AT(c + 2, "L", "R", "N", "M", "B", "H", "F", "V",
				"W", " ") || c + 2 >= d->len))) {
			dm_add(d, "K");
		} else if (c > 0 && AT(0, "MC")) {
			dm_add(d, "K");
		} else {
			dm_add(d, "X");
		}
		return c + 2;
	}
	if (AT(c, "CZ") && !AT(c - 2, "WICZ")) {
		dm_add(d, "S");
		return c + 2;
	}
	if (AT(c + 1, "CIA")) {
		dm_add(d, "X");
		return c + 3;
	}
	if (AT(c, "CC") && !(c == 1 && dm_ch(d, 0) == 'M')) {
		if (AT(c + 2, "I", "E", "H") && !AT(c + 2, "HU")) {
			if ((c == 1 && dm_ch(d, 0) == 'A') ||
			    AT(c - 1, "UCCEE", "UCCES"))
				dm_add(d, "KS");
			else
				dm_add(d, "X");
			return c + 3;
		}
		dm_add(d, "K");
		return c + 2;
	}
	if (AT(c, "CK", "CG", "CQ")) {
		dm_add(d, "K");
		return c + 2;
	}
	if (AT(c, "CI", "CE", "CY")) {
		dm_add(d, "S");
		return c + 2;
	}
	dm_add(d, "K");
	if (AT(c + 1, " C", " Q", " G"))
		return c + 3;
	if (AT(c + 1, "C", "K", "Q") && !AT(c + 1, "CE", "CI"))
		return c + 2;
	return c + 1;
}

/* The letter G at `c`. */
static long dm_g(struct dm *d, long c)
{
	char next = dm_ch(d, c + 1);

	if (next == 'H') {
		if (c > 0 && !dm_vowel(d, c - 1)) {
			dm_add(d, "K");
		} else if (c == 0) {
			dm_add(d, dm_ch(d, c + 2) == 'I' ? "J" : "K");
		} else if ((c > 1 && AT(c - 2, "B", "H", "D")) ||
			   (c > 2 && AT(c - 3, "B", "H", "D")) ||
			   (c > 3 && AT(c - 4, "B", "H"))) {
			/* silent: "hugh", "bough" */
		} else if (c > 2 && dm_ch(d, c - 1) == 'U' &&
			   AT(c - 3, "C", "G", "L", "R", "T")) {
			dm_add(d, "F"); /* "laugh", "tough" */
		} else if (c > 0 && dm_ch(d, c - 1) != 'I') {
			dm_add(d, "K");
		}
		return c + 2;
	}
	if (next == 'N') {
		if (c == 1 && dm_vowel(d, 0) && !d->slavo)
			dm_add(d, "KN");
		else if (!AT(c + 2, "EY") && dm_ch(d, c + 1) != 'Y' &&
			 !d->slavo)
			dm_add(d, "N");
		else
			dm_add(d, "KN");
		return c + 2;
	}
	if (AT(c + 1, "LI") && !d->slavo) {
		dm_add(d, "KL");
		return c + 2;
	}
	if (c == 0 && (next == 'Y' ||
		       AT(c + 1, "ES", "EP", "EB", "EL", "EY", "IB", "IL", "IN",
			  "IE", "EI", "ER"))) {
		dm_add(d, "K");
		return c + 2;
	}
	if ((AT(c + 1, "ER") || next == 'Y') &&
	    !AT(0, "DANGER", "RANGER", "MANGER") && !AT(c - 1, "E", "I") &&
	    !AT(c - 1, "RGY", "OGY")) {
		dm_add(d, "K");
		return c + 2;
	}
	if (AT(c + 1, "E", "I", "Y") || AT(c - 1, "AGGI", "OGGI")) {
		if (AT(0, "VAN ", "VON ", "SCH") || AT(c + 1, "ET"))
			dm_add(d, "K");
		else
			dm_add(d, "J");
		return c + 2;
	}
	dm_add(d, "K");
	return next == 'G' ? c + 2 : c + 1;
}

/* The letter S at `c`. */
static long dm_s(struct dm *d, long c)
{
	if (AT(c - 1, "ISL", "YSL"))
		return c + 1; /* "island", "carlisle" */
	if (c == 0 && AT(c, "SUGAR")) {
		dm_add(d, "X");
		return c + 1;
	}
	if (AT(c, "SH")) {
		dm_add(d, AT(c + 1, "HEIM", "HOEK", "HOLM", "HOLZ") ? "S" : "X");
		return c + 2;
	}
	if (AT(c, "SIO", "SIA")) {
		dm_add(d, "S");
		return c + 3;
	}
	if ((c == 0 && AT(c + 1, "M", "N", "L", "W")) || AT(c + 1, "Z")) {
		dm_add(d, "S");
		return AT(c + 1, "Z") ? c + 2 : c + 1;
	}
	if (AT(c, "SC")) {
		if (dm_ch(d, c + 2) == 'H') {
			if (AT(c + 3, "OO", "ER", "EN", "UY", "ED", "EM"))
				dm_add(d, AT(c + 3, "ER", "EN") ? "X" : "SK");
			else
				dm_add(d, "X");
			return c + 3;
		}
		dm_add(d, AT(c + 2, "I", "E", "Y") ? "S" : "SK");
		return c + 3;
	}
	if (c == d->len - 1 && AT(c - 2, "AI", "OI"))
		return c + 1; /* French "-ais", "-ois": silent */
	dm_add(d, "S");
	return AT(c + 1, "S", "Z") ? c + 2 : c + 1;
}

/* One letter at `c`; returns the next position. */
static long dm_step(struct dm *d, long c)
{
	char next = dm_ch(d, c + 1);
	long last = d->len - 1;

	switch (d->s[c]) {
	case 'A': case 'E': case 'I': case 'O': case 'U': case 'Y':
		if (c == 0)
			dm_add(d, "A");
		return c + 1;
	case 'B':
		dm_add(d, "P");
		return next == 'B' ? c + 2 : c + 1;
	case 'C':
		return dm_c(d, c);
	case 'D':
		if (AT(c, "DG")) {
			if (AT(c + 2, "I", "E", "Y")) {
				dm_add(d, "J");
				return c + 3;
			}
			dm_add(d, "TK");
			return c + 2;
		}
		dm_add(d, "T");
		return AT(c, "DT", "DD") ? c + 2 : c + 1;
	case 'F':
		dm_add(d, "F");
		return next == 'F' ? c + 2 : c + 1;
	case 'G':
		return dm_g(d, c);
	case 'H':
		if ((c == 0 || dm_vowel(d, c - 1)) && dm_vowel(d, c + 1)) {
			dm_add(d, "H");
			return c + 2;
		}
		return c + 1;
	case 'J':
		if (AT(c, "JOSE") || AT(0, "SAN ")) {
			if ((c == 0 && (c + 4 >= d->len ||
					dm_ch(d, c + 4) == ' ')) ||
			    AT(0, "SAN "))
				dm_add(d, "H");
			else
				dm_add(d, "J");
			return c + 1;
		}
		if (c == 0 ||
		    (dm_vowel(d, c - 1) && !d->slavo &&
		     (next == 'A' || next == 'O')) ||
		    c == last ||
		    (!AT(c + 1, "L", "T", "K", "S", "N", "M", "B", "Z") &&
		     !AT(c - 1, "S", "K", "L")))
			dm_add(d, "J");
		return next == 'J' ? c + 2 : c + 1;
	case 'K':
		dm_add(d, "K");
		return next == 'K' ? c + 2 : c + 1;
	case 'L':
		dm_add(d, "L");
		return next == 'L' ? c + 2 : c + 1;
	case 'M':
		dm_add(d, "M");
		if ((AT(c - 1, "UMB") && (c + 1 == last || AT(c + 2, "ER"))) ||
		    next == 'M')
			return c + 2;
		return c + 1;
	case 'N':
		dm_add(d, "N");
		return next == 'N' ? c + 2 : c + 1;
	case 'P':
		if (next == 'H') {
			dm_add(d, "F");
			return c + 2;
		}
		dm_add(d, "P");
		return AT(c + 1, "P", "B") ? c + 2 : c + 1;
	case 'Q':
		dm_add(d, "K");
		return next == 'Q' ? c + 2 : c + 1;
	case 'R':
		if (!(c == last && !d->slavo && AT(c - 2, "IE") &&
		      !AT(c - 4, "ME", "MA")))
			dm_add(d, "R"); /* else French "-ier": silent */
		return next == 'R' ? c + 2 : c + 1;
	case 'S':
		return dm_s(d, c);
	case 'T':
		if (AT(c, "TION", "TIA", "TCH")) {
			dm_add(d, "X");
			return c + 3;
		}
		if (AT(c, "TH", "TTH")) {
			if (AT(c + 2, "OM", "AM") || AT(0, "VAN ", "VON ", "SCH"))
				dm_add(d, "T");
			else
				dm_add(d, "0");
			return c + 2;
		}
		dm_add(d, "T");
		return AT(c + 1, "T", "D") ? c + 2 : c + 1;
	case 'V':
		dm_add(d, "F");
		return next == 'V' ? c + 2 : c + 1;
	case 'W':
		if (AT(c, "WR")) {
			dm_add(d, "R");
			return c + 2;
		}
		if (c == 0 && (dm_vowel(d, c + 1) || AT(c, "WH")))
			dm_add(d, "A");
		if (AT(c, "WICZ", "WITZ")) {
			dm_add(d, "TS");
			return c + 4;
		}
		return c + 1;
	case 'X':
		if (!(c == last && (AT(c - 3, "IAU", "EAU") ||
				    AT(c - 2, "AU", "OU"))))
			dm_add(d, "KS");
		return AT(c + 1, "C", "X") ? c + 2 : c + 1;
	case 'Z':
		if (next == 'H') {
			dm_add(d, "J");
			return c + 2;
		}
		dm_add(d, "S");
		return next == 'Z' ? c + 2 : c + 1;
	default:
		return c + 1;
	}
}

size_t sim_phonetic(const char *s, size_t len, char out[SIM_PHONETIC_LEN + 1])
{
	struct dm dd, *d = &dd;
	long c = 0;

	memset(d, 0, sizeof(*d));
	for (size_t i = 0; i < len && d->len < DM_MAX; i++) {
		char ch = s[i];

		if (ch >= 'a' && ch <= 'z')
			ch = (char)(ch - 'a' + 'A');
		if (ch >= 'A' && ch <= 'Z')
			d->s[d->len++] = ch;
		else if (ch == ' ' && d->len && d->s[d->len - 1] != ' ')
			d->s[d->len++] = ' ';
	}
	while (d->len && d->s[d->len - 1] == ' ')
		d->len--;
	d->s[d->len] = '\0';
	d->slavo = strchr(d->s, 'W') || strchr(d->s, 'K') ||
		   strstr(d->s, "CZ") || strstr(d->s, "WITZ");
	if (AT(0, "GN", "KN", "PN", "WR", "PS"))
		c = 1;
	if (dm_ch(d, 0) == 'X') {
		dm_add(d, "S"); /* "Xavier" */
		c = 1;
	}
	while (c < d->len && d->n < SIM_PHONETIC_LEN)
		c = dm_step(d, c);
	memcpy(out, d->code, d->n);
	out[d->n] = '\0';
	return d->n;
}

/* ---- email and phone ---- */

double sim_email(const char *a, size_t alen, const char *b, size_t blen)
{
	const char *aa = memchr(a, '@', alen), *ba = memchr(b, '@', blen);
	size_t al, bl;

	if (!aa || !ba)
		return 0.0;
	if (alen == blen && !memcmp(a, b, alen))
		return 1.0;
	al = (size_t)(aa - a);
	bl = (size_t)(ba - b);
	if (al == bl && al && !memcmp(a, b, al))
		return 0.75;
	if (alen - al == blen - bl && alen - al > 1 &&
	    !memcmp(aa, ba, alen - al))
		return 0.5;
	return 0.0;
}

/* The digits of `s` (at most 32), into `d`; returns how many. */
static size_t phone_digits(const char *s, size_t len, char d[32])
{
	size_t n = 0;

	for (size_t i = 0; i < len && n < 32; i++)
		if (s[i] >= '0' && s[i] <= '9')
			d[n++] = s[i];
	return n;
}

double sim_phone(const char *a, size_t alen, const char *b, size_t blen)
{
	char da[32], db[32];
	size_t n = phone_digits(a, alen, da), m = phone_digits(b, blen, db);

	if (n < 7 || m < 7)
		return 0.0;
	if (n == m && !memcmp(da, db, n))
		return 1.0;
	if (n >= 10 && m >= 10 && !memcmp(da + n - 10, db + m - 10, 10))
		return 0.75;
	if (!memcmp(da + n - 7, db + m - 7, 7))
		return 0.5;
	return 0.0;
}

/* ---- sketches ---- */

/* FNV-1a over `len` bytes, finished with a multiply-xorshift so that
 * every bit of the result depends on every byte. */
static uint64_t sketch_hash(const void *s, size_t len)
{
	const unsigned char *p = s;
	uint64_t h = 0xcbf29ce484222325ULL;

	for (size_t i = 0; i < len; i++)
		h = (h ^ p[i]) * 0x100000001b3ULL;
	h ^= h >> 32;
	h *= 0xd6e8feb86659fd93ULL;
	h ^= h >> 32;
	return h;
}

/* The bits set in `x`: __builtin_popcount() is a call into libgcc on
 * x86-64 without -mpopcnt, and pairs count four of them. */
static inline uint32_t popcount32(uint32_t x)
{
	x -= (x >> 1) & 0x55555555u;
	x = (x & 0x33333333u) + ((x >> 2) & 0x33333333u);
	x = (x + (x >> 4)) & 0x0f0f0f0fu;
	return (x * 0x01010101u) >> 24;
}

/* The low `bits` bits of the hash of `len` bytes at `s`. */
static uint32_t sketch_bits(const void *s, size_t len, unsigned bits)
{
	return (uint32_t)(sketch_hash(s, len) & ((1u << bits) - 1));
}

/*
 * Jaro-Winkler: bit 29 set when the value is bounded (ASCII, 1..63
 * bytes), bits 23-28 its length, 18-22 its first byte's code, 0-17 the
 * letters it holds: the 17 commonest in names one bit each, every other
 * byte the last bit.  A letter of one absent from the other is a
 * character Jaro cannot match.
 */
#define JW_BOUNDED (1u << 29)
#define JW_LEN(s) (((s) >> 23) & 63)
#define JW_FIRST(s) (((s) >> 18) & 31)
#define JW_MASK(s) ((s) & 0x3ffff)

/* The letter bit of byte `c`: 0..16 for the commonest letters in
 * names, 17 for every other byte.  A switch, which compilers make a
 * table: every character of ten million names comes through here. */
static unsigned jw_letter_bit(unsigned char c)
{
	switch (c) {
	case 'a': return 0;
	case 'b': return 1;
	case 'c': return 2;
	case 'd': return 3;
	case 'e': return 4;
	case 'g': return 5;
	case 'h': return 6;
	case 'i': return 7;
	case 'k': return 8;
	case 'l': return 9;
	case 'm': return 10;
	case 'n': return 11;
	case 'o': return 12;
	case 'r': return 13;
	case 's': return 14;
	case 't': return 15;
	case 'u': return 16;
	default: return 17;
	}
}

static uint32_t sketch_jaro_winkler(const unsigned char *s, size_t len)
{
	uint32_t mask = 0, first;

	if (!len || len > 63 || !is_ascii((const char *)s, len))
		return 0;
	for (size_t i = 0; i < len; i++)
		mask |= 1u << jw_letter_bit(s[i]);
	first = s[0] >= 'a' && s[0] <= 'z' ? s[0] - 'a' : 26 + s[0] % 6;
	return JW_BOUNDED | (uint32_t)len << 23 | first << 18 | mask;
}

/*
 * 1/n for n < 64, so that the bounds multiply where the similarities
 * divide: a division is some 20 cycles, and a pair's bound takes up to
 * seven.  The product may differ from the quotient in the last bit;
 * callers leave a margin of 1e-9.
 */
static const double reciprocal[64] = {
	0, 1.0 / 1, 1.0 / 2, 1.0 / 3, 1.0 / 4, 1.0 / 5, 1.0 / 6, 1.0 / 7,
	1.0 / 8, 1.0 / 9, 1.0 / 10, 1.0 / 11, 1.0 / 12, 1.0 / 13, 1.0 / 14,
	1.0 / 15, 1.0 / 16, 1.0 / 17, 1.0 / 18, 1.0 / 19, 1.0 / 20, 1.0 / 21,
	1.0 / 22, 1.0 / 23, 1.0 / 24, 1.0 / 25, 1.0 / 26, 1.0 / 27, 1.0 / 28,
	1.0 / 29, 1.0 / 30, 1.0 / 31, 1.0 / 32, 1.0 / 33, 1.0 / 34, 1.0 / 35,
	1.0 / 36, 1.0 / 37, 1.0 / 38, 1.0 / 39, 1.0 / 40, 1.0 / 41, 1.0 / 42,
	1.0 / 43, 1.0 / 44, 1.0 / 45, 1.0 / 46, 1.0 / 47, 1.0 / 48, 1.0 / 49,
	1.0 / 50, 1.0 / 51, 1.0 / 52, 1.0 / 53, 1.0 / 54, 1.0 / 55, 1.0 / 56,
	1.0 / 57, 1.0 / 58, 1.0 / 59, 1.0 / 60, 1.0 / 61, 1.0 / 62, 1.0 / 63
};

static double bound_jaro_winkler(uint32_t a, uint32_t b)
{
	uint32_t la = JW_LEN(a), lb = JW_LEN(b), c;
	uint32_t ma = JW_MASK(a), mb = JW_MASK(b);
	uint32_t only_a = popcount32(ma & ~mb);
	uint32_t only_b = popcount32(mb & ~ma);
	double jaro;
	size_t pre;

	if (!(a & b & JW_BOUNDED))
		return 1.0;
	/* each letter bit one holds and the other lacks is at least one
	 * character without a match */
	c = la < lb ? la : lb;
	if (la - only_a < c)
		c = la - only_a;
	if (lb - only_b < c)
		c = lb - only_b;
	if (!c)
		return 0.0;
	/* jaro_of(c, 0, la, lb): no transposition, every match counts */
	jaro = ((double)c * reciprocal[la] + (double)c * reciprocal[lb] +
		1.0) * (1.0 / 3.0);
	/* the boost only grows with Jaro's similarity: applying it from
	 * 0.7 on keeps the bound above when the true one is just 0.7 */
	if (jaro < 0.7)
		return jaro;
	pre = JW_FIRST(a) != JW_FIRST(b) ? 0 : c < 4 ? c : 4;
	return jaro + (double)pre * 0.1 * (1.0 - jaro);
}

/*
 * Token set: bit 29 bounded (at most 31 distinct words), bits 24-28 the
 * number of distinct words, 0-23 a bit for each word's hash.  Words of
 * one that collide on a bit are counted by the gap between the number
 * of words and of bits.
 */
#define TS_BOUNDED (1u << 29)
#define TS_COUNT(s) (((s) >> 24) & 31)
#define TS_MASK(s) ((s) & 0xffffff)

static uint32_t sketch_token_set(const char *s, size_t len)
{
	struct sim_word w[SIM_MAX_TOKENS];
	size_t n = sim_words(s, len, w);
	uint32_t mask = 0;

	if (n > 31)
		return 0;
	for (size_t i = 0; i < n; i++)
		mask |= 1u << (sketch_hash(s + w[i].off, w[i].len) % 24);
	return TS_BOUNDED | (uint32_t)n << 24 | mask;
}

static double bound_token_set(uint32_t a, uint32_t b)
{
	uint32_t na = TS_COUNT(a), nb = TS_COUNT(b), both, k;

	if (!(a & b & TS_BOUNDED))
		return 1.0;
	if (!na || !nb)
		return na == nb ? 1.0 : 0.0;
	both = popcount32(TS_MASK(a) & TS_MASK(b));
	k = na < nb ? na : nb;
	if (both + na - popcount32(TS_MASK(a)) < k)
		k = both + na - popcount32(TS_MASK(a));
	if (both + nb - popcount32(TS_MASK(b)) < k)
		k = both + nb - popcount32(TS_MASK(b));
	return (double)k * reciprocal[na + nb - k];
}

/*
 * Email: bit 29 the value holds an '@', bits 20-28 the address's hash,
 * bit 19 a local part is there, 10-18 its hash, bit 9 the domain is
 * more than the '@', 0-8 its hash: sim_email()'s three levels.
 */
#define EM_AT (1u << 29)
#define EM_ADDR(s) (((s) >> 20) & 511)
#define EM_HAS_LOCAL (1u << 19)
#define EM_LOCAL(s) (((s) >> 10) & 511)
#define EM_HAS_DOMAIN (1u << 9)
#define EM_DOMAIN(s) ((s) & 511)

static uint32_t sketch_email(const char *s, size_t len)
{
	const char *at = memchr(s, '@', len);
	size_t local;
	uint32_t sk;

	if (!at)
		return 0;
	local = (size_t)(at - s);
	sk = EM_AT | sketch_bits(s, len, 9) << 20;
	if (local)
		sk |= EM_HAS_LOCAL | sketch_bits(s, local, 9) << 10;
	if (len - local > 1)
		sk |= EM_HAS_DOMAIN | sketch_bits(at, len - local, 9);
	return sk;
}

/* The levels of sim_email() and sim_phone(): 1 when the whole may be
 * equal, 0.75 the larger part, 0.5 the smaller, else 0. */
static double three_levels(int whole, int larger, int smaller)
{
	return whole ? 1.0 : larger ? 0.75 : smaller ? 0.5 : 0.0;
}

static double bound_email(uint32_t a, uint32_t b)
{
	if (!(a & b & EM_AT))
		return 0.0;
	return three_levels(EM_ADDR(a) == EM_ADDR(b),
			    (a & b & EM_HAS_LOCAL) && EM_LOCAL(a) == EM_LOCAL(b),
			    (a & b & EM_HAS_DOMAIN) &&
			    EM_DOMAIN(a) == EM_DOMAIN(b));
}

/*
 * Phone: bit 29 at least 7 digits, bit 28 at least 10, bits 19-27 the
 * hash of all the digits, 10-18 of the last 10, 0-9 of the last 7:
 * sim_phone()'s three levels.
 */
#define PH_7 (1u << 29)
#define PH_10 (1u << 28)
#define PH_ALL(s) (((s) >> 19) & 511)
#define PH_LAST10(s) (((s) >> 10) & 511)
#define PH_LAST7(s) ((s) & 1023)

static uint32_t sketch_phone(const char *s, size_t len)
{
	char d[32];
	size_t n = phone_digits(s, len, d);
	uint32_t sk;

	if (n < 7)
		return 0;
	sk = PH_7 | sketch_bits(d, n, 9) << 19 | sketch_bits(d + n - 7, 7, 10);
	if (n >= 10)
		sk |= PH_10 | sketch_bits(d + n - 10, 10, 9) << 10;
	return sk;
}

static double bound_phone(uint32_t a, uint32_t b)
{
	if (!(a & b & PH_7))
		return 0.0;
	return three_levels(PH_ALL(a) == PH_ALL(b),
			    (a & b & PH_10) && PH_LAST10(a) == PH_LAST10(b),
			    PH_LAST7(a) == PH_LAST7(b));
}

uint32_t sim_sketch(enum sim_sketch_kind kind, const char *s, size_t len)
{
	uint32_t sk = 0;

	switch (kind) {
	case SIM_SKETCH_NONE:
		break;
	case SIM_SKETCH_EXACT:
		sk = sketch_bits(s, len, 30);
		break;
	case SIM_SKETCH_JARO_WINKLER:
		sk = sketch_jaro_winkler((const unsigned char *)s, len);
		break;
	case SIM_SKETCH_TOKEN_SET:
		sk = sketch_token_set(s, len);
		break;
	case SIM_SKETCH_EMAIL:
		sk = sketch_email(s, len);
		break;
	case SIM_SKETCH_PHONE:
		sk = sketch_phone(s, len);
		break;
	}
	return SIM_SKETCH_PRESENT | sk;
}

double sim_sketch_bound(enum sim_sketch_kind kind, uint32_t a, uint32_t b)
{
	a &= ~(SIM_SKETCH_PRESENT | SIM_SKETCH_FLAG);
	b &= ~(SIM_SKETCH_PRESENT | SIM_SKETCH_FLAG);
	switch (kind) {
	case SIM_SKETCH_NONE:
		break;
	case SIM_SKETCH_EXACT:
		return a == b;
	case SIM_SKETCH_JARO_WINKLER:
		return bound_jaro_winkler(a, b);
	case SIM_SKETCH_TOKEN_SET:
		return bound_token_set(a, b);
	case SIM_SKETCH_EMAIL:
		return bound_email(a, b);
	case SIM_SKETCH_PHONE:
		return bound_phone(a, b);
	}
	return 1.0;
}
