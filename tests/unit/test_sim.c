/*
 * test_sim.c - unit tests of the similarity functions (sim.h): Jaro-
 * Winkler reference values, Levenshtein against a plain matrix on
 * random strings, token sets, Double Metaphone codes, email and phone
 * levels, and oversized or empty input.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "norm.h"
#include "sim.h"
#include "strbuf.h"
#include "tap.h"
#include "xalloc.h"

static double jw(const char *a, const char *b)
{
	return sim_jaro_winkler(a, strlen(a), b, strlen(b));
}

static size_t lev(const char *a, const char *b, size_t max)
{
	return sim_lev_bounded(a, strlen(a), b, strlen(b), max);
}

static int near(double got, double want, double eps)
{
	return fabs(got - want) < eps;
}

static void test_jaro_winkler(void)
{
	static const struct {
		const char *a, *b;
		double want;
	} cases[] = {
		{ "MARTHA", "MARHTA", 0.961 },
		{ "DWAYNE", "DUANE", 0.840 },
		{ "DIXON", "DICKSONX", 0.813 },
		{ "JELLYFISH", "SMELLYFISH", 0.896 },
		{ "CRATE", "TRACE", 0.733 },
		{ "martha", "martha", 1.0 },
		{ "abc", "xyz", 0.0 },
		{ "", "", 1.0 },
		{ "a", "", 0.0 },
		{ "", "a", 0.0 },
		{ "a", "a", 1.0 },
		{ "a", "b", 0.0 },
		{ "ab", "ba", 0.0 },
		/* code points, not bytes: one accented letter differs */
		{ "müller", "muller", 0.9 },
		{ "王伟", "王伟", 1.0 },
		{ "王伟", "王芳", 0.667 },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		double g = jw(cases[i].a, cases[i].b);

		ok(near(g, cases[i].want, 0.0005), "jw '%s' '%s' = %.4f",
		   cases[i].a, cases[i].b, g);
	}
	/* symmetric */
	ok(jw("DWAYNE", "DUANE") == jw("DUANE", "DWAYNE"), "jw symmetric");
	ok(jw("dixon", "dicksonx") == jw("dicksonx", "dixon"),
	   "jw symmetric 2");
	/* the _cp variant agrees */
	{
		uint32_t a[16], b[16];
		size_t n = sim_decode("MARTHA", 6, a, 16);
		size_t m = sim_decode("MARHTA", 6, b, 16);

		ok(near(sim_jaro_winkler_cp(a, n, b, m), 0.961, 0.0005),
		   "jw_cp MARTHA");
		is_int(sim_decode("é\xff", 3, a, 16), 2, "decode: bad byte");
		is_int(a[1], 0xfffd, "decode: U+FFFD");
		is_int(sim_decode("abc", 3, a, 2), 2, "decode: max");
	}
}

/* The bit-parallel ASCII path against the plain loop over code points. */
/* Writes 1..70 random letters, from the first `alphabet` of a..z, to `s`
 * (no NUL) and returns how many; the same *seed gives the same words. */
static size_t random_word(char *s, unsigned alphabet, unsigned *seed)
{
	size_t n;

	*seed = *seed * 1103515245 + 12345;
	n = 1 + (*seed >> 8) % 70;
	for (size_t i = 0; i < n; i++) {
		*seed = *seed * 1103515245 + 12345;
		s[i] = (char)('a' + (*seed >> 16) % alphabet);
	}
	return n;
}

static void test_jw_paths(void)
{
	unsigned seed = 777;
	int bad = 0;

	for (int t = 0; t < 5000; t++) {
		char a[80], b[80];
		uint32_t ca[80], cb[80];
		size_t n, m;
		double x, y;

		n = random_word(a, 5, &seed);
		m = random_word(b, 5, &seed);
		x = sim_jaro_winkler(a, n, b, m);
		sim_decode(a, n, ca, 80);
		sim_decode(b, m, cb, 80);
		y = sim_jaro_winkler_cp(ca, n, cb, m);
		if (x != y && bad++ < 5)
			printf("# jw %.*s %.*s: %f vs %f\n", (int)n, a, (int)m,
			       b, x, y);
	}
	is_int(bad, 0, "jw: 5000 random pairs, both paths agree");
}

static void test_jw_long(void)
{
	char *a = xmalloc(10240), *b = xmalloc(10240);
	double g;

	memset(a, 'a', 10240);
	memset(b, 'a', 10240);
	b[10239] = 'b';
	g = sim_jaro_winkler(a, 10240, b, 10240);
	ok(g == 1.0, "jw: 10 kB compared on the first %d chars", SIM_MAX_CHARS);
	for (size_t i = 0; i + 2 <= 10240; i += 2)
		memcpy(a + i, "\xc3\xa9", 2);
	g = sim_jaro_winkler(a, 10240, b, 10240);
	ok(g >= 0.0 && g <= 1.0, "jw: 10 kB UTF-8 %.3f", g);
	ok(sim_lev_bounded(a, 10240, b, 10240, 3) == 4, "lev: 10 kB bounded");
	ok(sim_token_set(a, 10240, b, 10240) == 0.0, "token set: 10 kB");
	free(a);
	free(b);
}

/* The textbook matrix, for comparing with. */
static size_t lev_ref(const char *a, const char *b)
{
	size_t n = strlen(a), m = strlen(b), *row = xcalloc(m + 1, sizeof(*row));
	size_t r;

	for (size_t j = 0; j <= m; j++)
		row[j] = j;
	for (size_t i = 1; i <= n; i++) {
		size_t diag = row[0];

		row[0] = i;
		for (size_t j = 1; j <= m; j++) {
			size_t up = row[j], v = diag + (a[i - 1] != b[j - 1]);

			if (up + 1 < v)
				v = up + 1;
			if (row[j - 1] + 1 < v)
				v = row[j - 1] + 1;
			diag = up;
			row[j] = v;
		}
	}
	r = row[m];
	free(row);
	return r;
}

static void test_levenshtein(void)
{
	unsigned seed = 12345;
	int bad = 0;

	is_int(lev("kitten", "sitting", 10), 3, "lev kitten");
	is_int(lev("kitten", "sitting", 3), 3, "lev kitten max 3");
	is_int(lev("kitten", "sitting", 2), 3, "lev kitten max 2 -> 3");
	is_int(lev("kitten", "sitting", 0), 1, "lev kitten max 0 -> 1");
	is_int(lev("", "", 0), 0, "lev empty");
	is_int(lev("abc", "", 5), 3, "lev one empty");
	is_int(lev("", "abcdef", 2), 3, "lev one empty, bound");
	is_int(lev("flaw", "lawn", 5), 2, "lev flaw lawn");
	is_int(lev("smith", "smith", 0), 0, "lev equal");
	is_int(lev("smith", "smyth", 1), 1, "lev one substitution");
	is_int(lev("müller", "muller", 2), 1, "lev code points");
	is_int(lev("müller", "mueller", 2), 2, "lev code points 2");
	is_int(lev("王伟", "王芳", 5), 1, "lev CJK");
	is_int(lev("abcdefghij", "jihgfedcba", 100), 10, "lev reversed");
	is_int(lev("a", "b", (size_t)-2), 1, "lev huge max");
	/* random strings against the textbook matrix, both paths */
	for (int t = 0; t < 2000; t++) {
		char a[100], b[100];
		size_t n, m, max, want, got;

		seed = seed * 1103515245 + 12345;
		n = (seed >> 8) % 90;
		seed = seed * 1103515245 + 12345;
		m = (seed >> 8) % 90;
		for (size_t i = 0; i < n; i++) {
			seed = seed * 1103515245 + 12345;
			a[i] = (char)('a' + (seed >> 16) % 4);
		}
		for (size_t i = 0; i < m; i++) {
			seed = seed * 1103515245 + 12345;
			b[i] = (char)('a' + (seed >> 16) % 4);
		}
		a[n] = b[m] = '\0';
		seed = seed * 1103515245 + 12345;
		max = (seed >> 8) % 60;
		want = lev_ref(a, b);
		if (want > max)
			want = max + 1;
		got = lev(a, b, max);
		if (got != want && bad++ < 5)
			printf("# lev '%s' '%s' max %zu: got %zu want %zu\n",
			       a, b, max, got, want);
	}
	is_int(bad, 0, "lev: 2000 random pairs agree with the matrix");
}

static void test_token_set(void)
{
	static const struct {
		const char *a, *b;
		double want;
	} cases[] = {
		{ "acme widgets", "widgets acme", 1.0 },
		{ "acme", "acme widgets", 0.5 },
		{ "acme widgets inc", "acme gadgets", 0.25 },
		{ "acme acme acme", "acme", 1.0 },
		{ "", "", 1.0 },
		{ "acme", "", 0.0 },
		{ "  ", "acme", 0.0 },
		{ "a b c d", "e f g h", 0.0 },
		{ "john  smith", "smith john", 1.0 },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		double g = sim_token_set(cases[i].a, strlen(cases[i].a),
					 cases[i].b, strlen(cases[i].b));

		ok(near(g, cases[i].want, 1e-9), "token set '%s' '%s' = %.3f",
		   cases[i].a, cases[i].b, g);
	}
}

/* Words found once (sim_words) and compared many times give what
 * sim_token_set() gives. */
static void test_words(void)
{
	static const char *const others[] = {
		"acme", "widgets acme", "inc acme widgets", "", "acme gadgets",
	};
	const char *s = "acme  widgets acme inc";
	struct sim_word w[SIM_MAX_TOKENS], wo[SIM_MAX_TOKENS];
	char many[400];
	size_t n = sim_words(s, strlen(s), w), len = 0;

	ok(n == 3 && w[0].off == 0 && w[0].len == 4 && w[1].off == 6 &&
	   w[1].len == 7 && w[2].off == 19 && w[2].len == 3,
	   "distinct words in order, the repeated one once (%zu)", n);
	for (size_t i = 0; i < sizeof(others) / sizeof(*others); i++) {
		const char *o = others[i];
		size_t no = sim_words(o, strlen(o), wo);

		ok(sim_token_set_words(s, strlen(s), w, n, o, strlen(o), wo,
				       no) ==
		   sim_token_set(s, strlen(s), o, strlen(o)),
		   "words found once: '%s' ~ '%s'", s, o);
	}
	for (int i = 0; i < 40; i++)
		len += (size_t)snprintf(many + len, sizeof(many) - len,
					"w%d ", i);
	is_int(sim_words(many, len, w), SIM_MAX_TOKENS,
	       "at most SIM_MAX_TOKENS words");
}

static void test_phonetic(void)
{
	static const char *const cases[][2] = {
		{ "smith", "SM0" }, { "smyth", "SM0" },
		{ "schmidt", "XMT" }, { "robert", "RPRT" },
		{ "rupert", "RPRT" }, { "thompson", "TMPS" },
		{ "thomas", "TMS" }, { "jose", "HS" },
		{ "knight", "NT" }, { "katherine", "K0RN" },
		{ "catherine", "K0RN" }, { "philip", "FLP" },
		{ "filip", "FLP" }, { "xavier", "SF" },
		{ "wright", "RT" }, { "gnome", "NM" },
		{ "mcdonald", "MKTN" }, { "macdonald", "MKTN" },
		{ "schneider", "XNTR" }, { "snyder", "SNTR" },
		{ "jones", "JNS" }, { "johns", "JNS" },
		{ "caesar", "SSR" }, { "bach", "PK" },
		{ "quick", "KK" }, { "zhang", "JNK" },
		{ "a", "A" }, { "", "" }, { "王伟", "" },
		{ "o brien", "APRN" }, { "van der berg", "FNTR" },
		{ "wojcik", "AJSK" }, { "kowalczyk", "KLSK" },
	};
	char code[SIM_PHONETIC_LEN + 1], code2[SIM_PHONETIC_LEN + 1];

	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		sim_phonetic(cases[i][0], strlen(cases[i][0]), code);
		is_str(code, cases[i][1], "phonetic '%s'", cases[i][0]);
	}
	{
		char *big = xmalloc(10240);

		memset(big, 'z', 10240);
		is_int(sim_phonetic(big, 10240, code), 4, "phonetic: 10 kB");
		free(big);
	}
	sim_phonetic("stephen", 7, code);
	sim_phonetic("steven", 6, code2);
	is_str(code, code2, "phonetic stephen = steven");
	sim_phonetic("meyer", 5, code);
	sim_phonetic("maier", 5, code2);
	is_str(code, code2, "phonetic meyer = maier");
}

static void test_email_phone(void)
{
	static const struct {
		const char *a, *b;
		double want;
	} emails[] = {
		{ "john@acme.com", "john@acme.com", 1.0 },
		{ "john@acme.com", "john@gmail.com", 0.75 },
		{ "john@acme.com", "jane@acme.com", 0.5 },
		{ "john@acme.com", "jane@other.com", 0.0 },
		{ "john@acme.com", "", 0.0 },
		{ "", "", 0.0 },
		{ "nobody", "nobody", 0.0 },
		{ "john@acme.com", "john@acme.co", 0.75 },
		{ "jo@acme.com", "john@acme.com", 0.5 },
	}, phones[] = {
		{ "+14155550123", "+14155550123", 1.0 },
		{ "+14155550123", "4155550123", 0.75 },
		{ "+4989123456789", "+4389123456789", 0.75 },
		{ "+14155550123", "+16505550123", 0.5 },
		{ "+14155550123", "+14155550124", 0.0 },
		{ "+14155550123", "", 0.0 },
		{ "123456", "123456", 0.0 },
		{ "5550123", "5550123", 1.0 },
		{ "+442079460000", "2079460000", 0.75 },
	};

	for (size_t i = 0; i < sizeof(emails) / sizeof(*emails); i++) {
		double g = sim_email(emails[i].a, strlen(emails[i].a),
				     emails[i].b, strlen(emails[i].b));

		ok(g == emails[i].want, "email '%s' '%s' = %.2f", emails[i].a,
		   emails[i].b, g);
	}
	for (size_t i = 0; i < sizeof(phones) / sizeof(*phones); i++) {
		double g = sim_phone(phones[i].a, strlen(phones[i].a),
				     phones[i].b, strlen(phones[i].b));

		ok(g == phones[i].want, "phone '%s' '%s' = %.2f", phones[i].a,
		   phones[i].b, g);
	}
}

/* The two modules together, as the match stage will use them. */
static void test_pipeline(void)
{
	struct strbuf a = STRBUF_INIT, b = STRBUF_INIT;
	char pa[NORM_PHONE_MAX + 1], pb[NORM_PHONE_MAX + 1];

	norm_company(&a, "ACME, Inc.", 10);
	norm_company(&b, "The Acme Company", 16);
	ok(sim_jaro_winkler(a.buf, a.len, b.buf, b.len) == 1.0,
	   "company variants score 1");
	norm_fold(&a, "José Núñez", strlen("José Núñez"));
	norm_fold(&b, "JOSE NUNEZ", 10);
	ok(sim_token_set(a.buf, a.len, b.buf, b.len) == 1.0,
	   "accents folded before comparing");
	norm_phone("(415) 555-0123", 14, "US", pa);
	norm_phone("+1 415 555 0123", 15, NULL, pb);
	ok(sim_phone(pa, strlen(pa), pb, strlen(pb)) == 1.0,
	   "national and international phone agree");
	strbuf_release(&a);
	strbuf_release(&b);
}

/*
 * sim_jaro_winkler_bound() never falls under the similarity: on random
 * strings over a small alphabet (many shared letters) and a large one
 * (few), of lengths around the 64-byte limit; and it does tell a first
 * name from a last name, which is what it is for.
 */
static void test_jw_bound(void)
{
	unsigned seed = 4242;
	int under = 0, told = 0;

	for (int t = 0; t < 20000; t++) {
		char a[80], b[80];
		size_t n, m;
		unsigned alphabet = t % 2 ? 5 : 26;
		double x, ub;

		n = random_word(a, alphabet, &seed);
		m = random_word(b, alphabet, &seed);
		x = sim_jaro_winkler(a, n, b, m);
		ub = sim_jaro_winkler_bound(a, n, b, m);
		if (ub < x - 1e-9 && under++ < 5)
			printf("# bound %.*s %.*s: %f under %f\n", (int)n, a,
			       (int)m, b, ub, x);
		told += ub < 0.8;
	}
	is_int(under, 0, "jw bound: never under the similarity (20000 pairs)");
	ok(told > 1000, "jw bound: under 0.8 for %d of the random pairs", told);
	ok(sim_jaro_winkler_bound("john", 4, "smith", 5) < 0.8,
	   "jw bound: john / smith under the lowest level");
	ok(sim_jaro_winkler_bound("martha", 6, "marhta", 6) >= jw("martha",
								  "marhta"),
	   "jw bound: martha / marhta at or over 0.961");
	ok(sim_jaro_winkler_bound("josé", 5, "jose", 4) == 1.0,
	   "jw bound: not ASCII, no bound");
}

/* A value of kind `kind` for the sketch tests: names over a small or a
 * large alphabet, word lists, addresses and numbers from small
 * vocabularies, so that many pairs share letters, words or parts. */
static size_t random_value(enum sim_sketch_kind kind, char *s, unsigned *seed)
{
	static const char *const words[] = {
		"acme", "sales", "manager", "global", "director", "north",
		"data", "vp", "of", "a", "b", "systems",
	};
	size_t n = 0, k;

#define NEXT() (*seed = *seed * 1103515245 + 12345, *seed >> 16)
	switch (kind) {
	case SIM_SKETCH_TOKEN_SET:
		k = NEXT() % 5;
		for (size_t i = 0; i < k; i++) {
			const char *w = words[NEXT() % 12];

			if (n)
				s[n++] = ' ';
			memcpy(s + n, w, strlen(w));
			n += strlen(w);
		}
		break;
	case SIM_SKETCH_EMAIL:
		k = NEXT() % 3;
		n = (size_t)sprintf(s, "%s", k ? "jo" : "");
		n += (size_t)sprintf(s + n, "%s", NEXT() % 2 ? "e" : "");
		n += (size_t)sprintf(s + n, "@%s", words[NEXT() % 4]);
		if (NEXT() % 5 == 0)
			n = (size_t)sprintf(s, "%s", NEXT() % 2 ? "@" : "x@");
		break;
	case SIM_SKETCH_PHONE:
		k = 5 + NEXT() % 8;
		for (size_t i = 0; i < k; i++)
			s[n++] = (char)('0' + (i < k - 7 ? NEXT() % 2 :
					       NEXT() % 3));
		break;
	default:
		k = NEXT() % 4 ? 9 : 70;
		k = 1 + NEXT() % k;
		for (size_t i = 0; i < k; i++) {
			unsigned alphabet = *seed % 3 ? 6 : 26;

			s[n++] = (char)('a' + NEXT() % alphabet);
		}
		break;
	}
#undef NEXT
	return n;
}

/* The bound of the sketches of two strings. */
static double sketch_bound(enum sim_sketch_kind kind, const char *a,
			   const char *b)
{
	return sim_sketch_bound(kind, sim_sketch(kind, a, strlen(a)),
				sim_sketch(kind, b, strlen(b)));
}

/* The similarity that a sketch of `kind` bounds. */
static double sketched_sim(enum sim_sketch_kind kind, const char *a, size_t n,
			   const char *b, size_t m)
{
	switch (kind) {
	case SIM_SKETCH_JARO_WINKLER:
		return sim_jaro_winkler(a, n, b, m);
	case SIM_SKETCH_TOKEN_SET:
		return sim_token_set(a, n, b, m);
	case SIM_SKETCH_EMAIL:
		return sim_email(a, n, b, m);
	case SIM_SKETCH_PHONE:
		return sim_phone(a, n, b, m);
	default:
		return n == m && !memcmp(a, b, n);
	}
}

/*
 * Sketches (sim_sketch_bound()) never fall under the similarity they
 * bound, on random pairs of each kind where half of the second values
 * are the first with one byte changed; and they do rule pairs out,
 * which is what they are for.
 */
static void test_sketches(void)
{
	static const enum sim_sketch_kind kinds[] = {
		SIM_SKETCH_EXACT, SIM_SKETCH_JARO_WINKLER,
		SIM_SKETCH_TOKEN_SET, SIM_SKETCH_EMAIL, SIM_SKETCH_PHONE,
	};
	static const char *const names[] = {
		"exact", "jaro_winkler", "token_set", "email", "phone",
	};
	unsigned seed = 99;

	for (size_t k = 0; k < sizeof(kinds) / sizeof(*kinds); k++) {
		int under = 0, told = 0;

		for (int t = 0; t < 20000; t++) {
			char a[128], b[128];
			size_t n = random_value(kinds[k], a, &seed), m;
			uint32_t sa, sb;
			double x, ub;

			if (t % 2 && n) {
				memcpy(b, a, n);
				m = n;
				b[(seed >> 8) % n] = (char)('a' + t % 7);
			} else {
				m = random_value(kinds[k], b, &seed);
			}
			sa = sim_sketch(kinds[k], a, n);
			sb = sim_sketch(kinds[k], b, m);
			x = sketched_sim(kinds[k], a, n, b, m);
			ub = sim_sketch_bound(kinds[k], sa, sb);
			if (ub < x - 1e-9 && under++ < 5)
				printf("# %s sketch '%.*s' '%.*s': %f under "
				       "%f\n", names[k], (int)n, a, (int)m, b,
				       ub, x);
			told += ub < 1.0 && ub < x + 0.2;
		}
		is_int(under, 0, "%s sketch: never under the similarity",
		       names[k]);
		ok(told > 2000, "%s sketch: a bound under 1 near the "
		   "similarity for %d of 20000 pairs", names[k], told);
	}
	ok((sim_sketch(SIM_SKETCH_EXACT, "x", 1) & SIM_SKETCH_PRESENT) &&
	   !(sim_sketch(SIM_SKETCH_NONE, "x", 1) & SIM_SKETCH_FLAG),
	   "sketch: present, the caller's flag clear");
	ok(sim_sketch_bound(SIM_SKETCH_NONE, SIM_SKETCH_PRESENT,
			    SIM_SKETCH_PRESENT) == 1.0, "sketch: none, no bound");
	ok(sketch_bound(SIM_SKETCH_JARO_WINKLER, "josé", "jose") == 1.0,
	   "jw sketch: not ASCII, no bound");
	ok(sketch_bound(SIM_SKETCH_JARO_WINKLER, "john", "smith") < 0.8,
	   "jw sketch: john / smith under the lowest level");
	ok(sketch_bound(SIM_SKETCH_EMAIL, "jo@acme.com", "jo@gmail.com") ==
	   0.75, "email sketch: the same local part");
	ok(sketch_bound(SIM_SKETCH_PHONE, "+14155550100", "+33155550100") <=
	   0.5, "phone sketch: the same last 7 digits at most");
}

int main(void)
{
	test_jaro_winkler();
	test_jw_paths();
	test_jw_long();
	test_jw_bound();
	test_sketches();
	test_levenshtein();
	test_token_set();
	test_words();
	test_phonetic();
	test_email_phone();
	test_pipeline();
	return tap_done();
}
