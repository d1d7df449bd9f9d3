/*
 * gen_org.c - a synthetic CRM org and directory with ground truth, for
 * measuring the match stage (issue 4, item 8).
 *
 *	gen_org --crm N --profiles M [--seed S] --out DIR
 *
 * writes
 *
 *	DIR/org/{Lead,Contact,Account}.csv   Bulk API query results: schema
 *	    columns in schema order, then IsDeleted; every value quoted
 *	DIR/org/{Opportunity,OpportunityContactRole,User,UserRole}.csv
 *	    header only
 *	DIR/directory/members.csv.gz, companies.csv.gz   staged dialect,
 *	    gzip without name or mtime (zlib level 1, deflated by a second
 *	    thread)
 *	DIR/truth.csv   CrmObject,CrmId,TargetId,Kind,Notes
 *
 * N is the number of CRM people (Leads + Contacts, about 30/70), M the
 * number of directory profiles.  Accounts are about N/10, company pages
 * M/10.  Everything is a pure function of (seed, kind of entity, index):
 * a CRM slot s is linked to profile perm(s) through a keyed Feistel
 * permutation, so both sides are streamed and nothing of size M is held in
 * memory.  The same arguments always give the same bytes.
 *
 * The noise model and its rates are documented in tests/datasets/README.md
 * ("gen_org"); the constants below carry the same numbers.
 */
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <zlib.h>

#include "crypto.h"
#include "errors.h"
#include "gen_org_names.h"

/* ---- rates, in per mille unless said otherwise ------------------------- */

/* CRM person slots */
#define R_SLOT_MATCH   800 /* a live record of a directory profile */
#define R_SLOT_ONLY    110 /* a person not on the directory */
#define R_SLOT_DUP      50 /* second live record of a matched person */
#define R_SLOT_DEL      20 /* deleted record of a profile (no live one) */
/* the rest (20): deleted merge loser of a matched person */
#define R_LEAD         300 /* Lead rather than Contact */
#define R_DUP_LEAD     600 /* duplicate of a Contact is a Lead ... */
#define R_DUP_CONV     500 /* ... and such a Lead is converted */
#define R_LEAD_ACCT    550 /* a Lead works at an Account's company */

/* accounts */
#define R_ACC_MATCH    840
#define R_ACC_NOPAGE    80
#define R_ACC_DUP       40 /* the rest (40): deleted, page still there */
#define R_PAGE_TWIN     20 /* company page pairs with near-identical names */
#define R_PERSON_TWIN   15 /* profile pairs sharing first + last name */

/* directory view of a person */
#define D_WORK         300 /* Email = work address */
#define D_WORK_HASH    120 /* EmailSha256 of the work address */
#define D_PERS         220 /* Email = personal address */
#define D_PERS_HASH     80 /* EmailSha256 of the personal address; rest none */
#define D_PHONE        350
#define D_NICK          80 /* nickname, when the first name has one */
#define D_FOLD         400 /* accents dropped, when the name has any */
#define D_TYPO_FIRST    30
#define D_TYPO_LAST     30
#define D_SWAP          20 /* first/last swapped (150 for family-first) */
#define D_UPPER         10 /* last name in capitals */
#define D_INITIAL       10 /* first name reduced to an initial */
#define D_NATIVE       300 /* non-Latin names: native script */
#define D_NO_TITLE     120
#define D_NO_CITY       80
#define D_NO_COMPANY    30
#define D_NO_PAGEID     50 /* company name without its page id */
#define D_MOVED         60 /* linked people: directory shows a new company */
#define D_NO_JOB        40 /* unlinked profiles: no employer */
#define D_PREV_MOVED   800 /* movers: the profile lists the old employer */
#define D_PREV_OTHER   600 /* anyone else: some earlier employer listed */

/* CRM view of a person */
#define C_WORK         750
#define C_PERS         100 /* rest: no email */
#define C_MIXCASE      100 /* email typed in mixed case */
#define C_PHONE        550
#define C_SWITCHBOARD  150 /* of phones: the company's main number */
#define C_NICK          40
#define C_FOLD         150
#define C_TYPO_FIRST    30
#define C_TYPO_LAST     30
#define C_SWAP          10 /* (100 for family-first) */
#define C_UPPER         10
#define C_NO_FIRST      10
#define C_NATIVE       500
#define C_NO_TITLE     200
#define C_OLD_TITLE    150
#define C_DUP_PERS     400 /* duplicates: personal email ... */
#define C_DUP_NONE     300 /* ... or none; rest: the same work email */

#define MAXF 40     /* columns per row */
#define ROWBUF 8192 /* bytes per row */

/*
 * snprintf that truncates silently: every buffer here is sized for the
 * longest value the lists can make, and a cut value is still valid data.
 */
__attribute__((format(printf, 3, 4)))
static void fmt(char *out, size_t n, const char *f, ...)
{
	va_list ap;

	va_start(ap, f);
	vsnprintf(out, n, f, ap);
	va_end(ap);
}

/* ---- random numbers and permutations ------------------------------------ */

static uint64_t g_seed;

static uint64_t mix64(uint64_t z)
{
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* The random stream of entity `idx` for purpose `tag`. */
struct rng {
	uint64_t s;
};

enum {
	T_SLOT = 1, T_SLOTCO, T_PERSON, T_NAME, T_DIR, T_CRM, T_ACC, T_COMP,
	T_PTWIN, T_CTWIN, T_ACCVIEW, T_PAGEVIEW, T_PROFCO, T_PREVCO,
	T_PERM = 100,
};

static struct rng rng_for(int tag, uint64_t idx)
{
	struct rng r;

	r.s = mix64(g_seed ^ mix64((uint64_t)tag * 0x9e3779b97f4a7c15ULL ^
				   mix64(idx + 0x632be59bd9b4e019ULL)));
	return r;
}

static uint64_t rnext(struct rng *r)
{
	return mix64(r->s += 0x9e3779b97f4a7c15ULL);
}

static uint32_t rbelow(struct rng *r, uint32_t n)
{
	return n ? (uint32_t)(((rnext(r) >> 32) * (uint64_t)n) >> 32) : 0;
}

/* true with probability pm per mille */
static int rpm(struct rng *r, int pm)
{
	return (int)rbelow(r, 1000) < pm;
}

static uint64_t hash_of(int tag, uint64_t idx)
{
	struct rng r = rng_for(tag, idx);

	return rnext(&r);
}

/*
 * A keyed permutation of [0, n): a 4-round Feistel network on the
 * smallest even number of bits covering n, with cycle walking.
 * perm_fwd() and perm_inv() are inverses.  Can't fail.
 */
struct perm {
	uint64_t n;
	int half;
	uint64_t mask;
	uint64_t key[4];
};

static void perm_init(struct perm *p, uint64_t n, int tag)
{
	int bits = 2, i;

	p->n = n;
	while (bits < 64 && ((uint64_t)1 << bits) < n)
		bits += 2;
	p->half = bits / 2;
	p->mask = ((uint64_t)1 << p->half) - 1;
	for (i = 0; i < 4; i++)
		p->key[i] = hash_of(T_PERM + tag, (uint64_t)i);
}

static uint64_t feistel(const struct perm *p, uint64_t x, int inverse)
{
	uint64_t l = x >> p->half, r = x & p->mask, t;
	int i;

	for (i = 0; i < 4; i++) {
		if (!inverse) {
			t = l ^ (mix64(r ^ p->key[i]) & p->mask);
			l = r;
			r = t;
		} else {
			t = r ^ (mix64(l ^ p->key[3 - i]) & p->mask);
			r = l;
			l = t;
		}
	}
	return (l << p->half) | r;
}

static uint64_t perm_fwd(const struct perm *p, uint64_t x)
{
	do
		x = feistel(p, x, 0);
	while (x >= p->n);
	return x;
}

static uint64_t perm_inv(const struct perm *p, uint64_t x)
{
	do
		x = feistel(p, x, 1);
	while (x >= p->n);
	return x;
}

/* ---- the world's sizes and maps ------------------------------------------ */

static uint64_t g_n;  /* CRM people slots */
static uint64_t g_m;  /* profiles */
static uint64_t g_a;  /* accounts */
static uint64_t g_k;  /* company pages */
static struct perm pm_link;   /* slot -> profile */
static struct perm pm_acct;   /* account -> page */
static struct perm pm_mid;    /* profile -> MemberId number */
static struct perm pm_cid;    /* page -> CompanyPageId number */

/* ---- weighted tables ---------------------------------------------------- */

/* cumulative Zipf weights 1/(rank + off), scaled to 2^32 */
struct wtab {
	uint32_t *cum;
	int n;
};

static void wtab_init(struct wtab *w, int n, int off)
{
	double tot = 0, acc = 0;
	int i;

	w->n = n;
	w->cum = malloc(sizeof(*w->cum) * (size_t)(n ? n : 1));
	if (!w->cum) {
		fprintf(stderr, "gen_org: out of memory\n");
		exit(1);
	}
	for (i = 0; i < n; i++)
		tot += 1.0 / (i + off);
	for (i = 0; i < n; i++) {
		acc += 1.0 / (i + off);
		w->cum[i] = (uint32_t)(acc / tot * 4294967295.0);
	}
	if (n)
		w->cum[n - 1] = 0xffffffffu;
}

static int wtab_pick(const struct wtab *w, struct rng *r)
{
	uint32_t u = (uint32_t)(rnext(r) >> 32);
	int lo = 0, hi = w->n - 1;

	while (lo < hi) {
		int mid = (lo + hi) / 2;

		if (w->cum[mid] < u)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

#define NCULT ((int)N_(gcultures))
#define NCOUNTRY ((int)N_(gcountries))
static struct wtab wt_m[NCULT], wt_f[NCULT], wt_last[NCULT];
static int cult_of_country[NCOUNTRY];
/* company countries, per mille */
static const int country_share[NCOUNTRY] = {
	450, 80, 100, 50, 40, 30, 30, 20, 50, 40, 30, 20, 10, 10, 10, 20, 10,
};

static void tables_init(void)
{
	int i;

	for (i = 0; i < NCULT; i++) {
		const struct gculture *c = &gcultures[i];

		wtab_init(&wt_m[i], c->nm, 5);
		wtab_init(&wt_f[i], c->nf, 5);
		wtab_init(&wt_last[i], c->nlast, c->zipf_last);
	}
	for (i = 0; i < NCOUNTRY; i++) {
		const char *iso = gcountries[i].iso;
		static const char *const map[][2] = {
			{ "US", "en" }, { "GB", "en" }, { "AU", "en" },
			{ "DE", "de" }, { "FR", "fr" }, { "ES", "es" },
			{ "MX", "es" }, { "IT", "it" }, { "NL", "nl" },
			{ "PL", "pl" }, { "IN", "in" }, { "CN", "zh" },
			{ "JP", "ja" }, { "RU", "ru" }, { "AE", "ar" },
			{ "TR", "tr" }, { "VN", "vi" },
		};
		size_t j;
		int k;

		cult_of_country[i] = 0;
		for (j = 0; j < N_(map); j++)
			if (!strcmp(map[j][0], iso))
				for (k = 0; k < NCULT; k++)
					if (!strcmp(gcultures[k].code, map[j][1]))
						cult_of_country[i] = k;
	}
}

static int pick_share(struct rng *r, const int *share, int n)
{
	int u = (int)rbelow(r, 1000), i, acc = 0;

	for (i = 0; i < n; i++) {
		acc += share[i];
		if (u < acc)
			return i;
	}
	return 0;
}

/* ---- strings ------------------------------------------------------------- */

/* The `i`-th '|'-separated part of `s` into out (size n); returns 0 when
 * there is no such part (out is then ""). */
static int part(const char *s, int i, char *out, size_t n)
{
	const char *e;
	size_t len;

	while (i-- > 0) {
		s = strchr(s, '|');
		if (!s) {
			out[0] = 0;
			return 0;
		}
		s++;
	}
	e = strchr(s, '|');
	len = e ? (size_t)(e - s) : strlen(s);
	if (len >= n)
		len = n - 1;
	memcpy(out, s, len);
	out[len] = 0;
	return 1;
}

static int nparts(const char *s)
{
	int n = 1;

	for (; *s; s++)
		n += *s == '|';
	return n;
}

/* Latin letters with diacritics and their ASCII forms ("de" is German
 * transliteration, used when asked). */
static const char *const fold_tab[][3] = {
	{ "á", "a", 0 }, { "à", "a", 0 }, { "â", "a", 0 }, { "ä", "a", "ae" },
	{ "ã", "a", 0 }, { "å", "a", "aa" }, { "ą", "a", 0 }, { "ă", "a", 0 },
	{ "Á", "A", 0 }, { "À", "A", 0 }, { "Â", "A", 0 }, { "Ä", "A", "Ae" },
	{ "Å", "A", 0 }, { "ç", "c", 0 }, { "ć", "c", 0 }, { "č", "c", 0 },
	{ "Ç", "C", 0 }, { "Ć", "C", 0 }, { "é", "e", 0 }, { "è", "e", 0 },
	{ "ê", "e", 0 }, { "ë", "e", 0 }, { "ę", "e", 0 }, { "É", "E", 0 },
	{ "È", "E", 0 }, { "í", "i", 0 }, { "ì", "i", 0 }, { "î", "i", 0 },
	{ "ï", "i", 0 }, { "ı", "i", 0 }, { "Í", "I", 0 }, { "İ", "I", 0 },
	{ "Î", "I", 0 }, { "ñ", "n", 0 }, { "ń", "n", 0 }, { "ó", "o", 0 },
	{ "ò", "o", 0 }, { "ô", "o", 0 }, { "ö", "o", "oe" }, { "õ", "o", 0 },
	{ "ø", "o", "oe" }, { "ő", "o", 0 }, { "Ó", "O", 0 }, { "Ö", "O", "Oe" },
	{ "Ø", "O", "Oe" }, { "Ò", "O", 0 }, { "ú", "u", 0 }, { "ù", "u", 0 },
	{ "û", "u", 0 }, { "ü", "u", "ue" }, { "ű", "u", 0 }, { "Ú", "U", 0 },
	{ "Ü", "U", "Ue" }, { "ß", "ss", 0 }, { "ł", "l", 0 }, { "Ł", "L", 0 },
	{ "ś", "s", 0 }, { "ş", "s", 0 }, { "š", "s", 0 }, { "Ś", "S", 0 },
	{ "Ş", "S", 0 }, { "ź", "z", 0 }, { "ż", "z", 0 }, { "ž", "z", 0 },
	{ "Ż", "Z", 0 }, { "ğ", "g", 0 }, { "đ", "d", 0 }, { "Đ", "D", 0 },
	{ "ý", "y", 0 }, { "ÿ", "y", 0 }, { "æ", "ae", 0 }, { "œ", "oe", 0 },
	{ "ư", "u", 0 }, { "ơ", "o", 0 }, { "ạ", "a", 0 }, { "ả", "a", 0 },
	{ "ấ", "a", 0 }, { "ầ", "a", 0 }, { "ẩ", "a", 0 }, { "ậ", "a", 0 },
	{ "ắ", "a", 0 }, { "ặ", "a", 0 }, { "ẹ", "e", 0 }, { "ẻ", "e", 0 },
	{ "ẽ", "e", 0 }, { "ế", "e", 0 }, { "ề", "e", 0 }, { "ể", "e", 0 },
	{ "ễ", "e", 0 }, { "ệ", "e", 0 }, { "ỉ", "i", 0 }, { "ị", "i", 0 },
	{ "ọ", "o", 0 }, { "ỏ", "o", 0 }, { "ố", "o", 0 }, { "ồ", "o", 0 },
	{ "ổ", "o", 0 }, { "ỗ", "o", 0 }, { "ộ", "o", 0 }, { "ớ", "o", 0 },
	{ "ờ", "o", 0 }, { "ở", "o", 0 }, { "ỡ", "o", 0 }, { "ợ", "o", 0 },
	{ "ụ", "u", 0 }, { "ủ", "u", 0 }, { "ứ", "u", 0 }, { "ừ", "u", 0 },
	{ "ử", "u", 0 }, { "ữ", "u", 0 }, { "ự", "u", 0 }, { "ỳ", "y", 0 },
	{ "ỵ", "y", 0 }, { "ỷ", "y", 0 }, { "ỹ", "y", 0 }, { "Ă", "A", 0 },
	{ "Ơ", "O", 0 }, { "Ư", "U", 0 }, { "’", "'", 0 },
};

/* Copies `s` into out (size n) with diacritics removed; `de` asks for
 * German transliteration (ü -> ue).  Characters of other scripts are kept.
 * Returns 1 when anything changed. */
static int fold(const char *s, char *out, size_t n, int de)
{
	size_t o = 0, i, k;
	int changed = 0;

	while (*s && o + 4 < n) {
		if ((unsigned char)*s < 0x80) {
			out[o++] = *s++;
			continue;
		}
		for (k = 0; k < N_(fold_tab); k++) {
			size_t l = strlen(fold_tab[k][0]);

			if (!strncmp(s, fold_tab[k][0], l)) {
				const char *to = de && fold_tab[k][2] ?
						 fold_tab[k][2] : fold_tab[k][1];

				for (i = 0; to[i] && o + 4 < n; i++)
					out[o++] = to[i];
				s += l;
				changed = 1;
				break;
			}
		}
		if (k == N_(fold_tab)) {
			/* another script: copy the whole character */
			do
				out[o++] = *s++;
			while (((unsigned char)*s & 0xc0) == 0x80 && o + 1 < n);
		}
	}
	out[o] = 0;
	return changed;
}

static int has_nonascii(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s >= 0x80)
			return 1;
	return 0;
}

static int is_alpha(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* ASCII upper case in place (other bytes untouched). */
static void upper(char *s)
{
	for (; *s; s++)
		if (*s >= 'a' && *s <= 'z')
			*s = (char)(*s - 32);
}

/* A slug for emails, domains and URLs: folded, lower case, letters and
 * digits only (sep between words when sep is not 0). */
static void slug(const char *s, char *out, size_t n, char sep)
{
	char f[256];
	size_t o = 0;
	const char *p;

	fold(s, f, sizeof(f), 0);
	for (p = f; *p && o + 2 < n; p++) {
		char c = *p;

		if (c >= 'A' && c <= 'Z')
			c = (char)(c + 32);
		if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'))
			out[o++] = c;
		else if (sep && o && out[o - 1] != sep &&
			 (c == ' ' || c == '-'))
			out[o++] = sep;
	}
	while (o && out[o - 1] == sep)
		o--;
	out[o] = 0;
}

/*
 * One typo at an ASCII letter of s (size n): insert, delete, substitute or
 * transpose, chosen at random.  Strings without ASCII letters or shorter
 * than 3 bytes are left alone.  Returns 1 when s changed.
 */
static int typo(char *s, size_t n, struct rng *r)
{
	size_t len = strlen(s), pos[128], np = 0, i;
	size_t at;
	int op;
	char c;

	if (len < 3)
		return 0;
	for (i = 0; i < len && np < N_(pos); i++)
		if (is_alpha(s[i]) && i > 0)
			pos[np++] = i;
	if (!np)
		return 0;
	at = pos[rbelow(r, (uint32_t)np)];
	op = (int)rbelow(r, 4);
	c = (char)('a' + rbelow(r, 26));
	switch (op) {
	case 0: /* insert */
		if (len + 2 > n)
			return 0;
		memmove(s + at + 1, s + at, len - at + 1);
		s[at] = c;
		return 1;
	case 1: /* delete */
		memmove(s + at, s + at + 1, len - at);
		return 1;
	case 2: /* substitute */
		if (s[at] == c)
			c = c == 'z' ? 'a' : (char)(c + 1);
		s[at] = c;
		return 1;
	default: /* transpose with the next letter */
		if (at + 1 < len && is_alpha(s[at + 1]) && s[at] != s[at + 1]) {
			c = s[at];
			s[at] = s[at + 1];
			s[at + 1] = c;
			return 1;
		}
		s[at] = s[at] == 'e' ? 'a' : 'e';
		return 1;
	}
}

static const char *nickname_of(const char *first)
{
	size_t i;

	for (i = 0; i < N_(nicknames); i++)
		if (!strcmp(nicknames[i][0], first))
			return nicknames[i][1];
	return NULL;
}

/* ---- companies ------------------------------------------------------------ */

struct company {
	uint64_t ci;
	int country, city, legal, industry, pattern;
	int has_page;
	uint64_t twin_of;   /* page this one is a near-namesake of, or ~0 */
	char base[160];     /* name without legal form */
	char domain[128];
	char street[128];
	char postal[16];
	char phone_area[8], phone_sub[16];
	int employees;
	uint64_t revenue;
};

#define NSTEM ((uint64_t)N_(co_stem))
#define NNOUN ((uint64_t)N_(co_noun))
#define NQUAL ((uint64_t)N_(co_qual))

static void digits(struct rng *r, char *out, int n, int first_nonzero)
{
	int i;

	for (i = 0; i < n; i++)
		out[i] = (char)('0' + (i == 0 && first_nonzero ?
				       2 + rbelow(r, 8) : rbelow(r, 10)));
	out[n] = 0;
}

static void subscriber(struct rng *r, int country, const char *area,
		       char *out)
{
	int len = gcountries[country].sublen;

	if (!len)
		len = 10 - (int)strlen(area) < 6 ? 6 : 10 - (int)strlen(area);
	digits(r, out, len, 1);
	if (country == CO_US && out[0] == '5' && out[1] == '5' && out[2] == '5')
		out[1] = '6';
}

static void company_make(uint64_t ci, struct company *c)
{
	struct rng r = rng_for(T_COMP, ci);
	uint64_t w = NSTEM * NNOUN * NQUAL, x, extra;
	char area[8], sl[160];
	const struct gcountry *co;
	const char *tld;

	memset(c, 0, sizeof(*c));
	c->ci = ci;
	c->has_page = ci < g_k;
	c->twin_of = ~(uint64_t)0;
	/* a bijection of the name space: the same name never comes twice */
	x = ci < w ? (ci * 1000003ULL + 7919ULL) % w : ci;
	extra = x / w;
	if (c->has_page && (ci & 1) &&
	    (int)(hash_of(T_CTWIN, ci >> 1) % 1000) < R_PAGE_TWIN) {
		/* a near-namesake of page ci - 1: same stem and qualifier,
		 * another noun, another domain */
		uint64_t y = ((ci - 1) * 1000003ULL + 7919ULL) % w;

		x = (y % NSTEM) +
		    NSTEM * (((y / NSTEM) % NNOUN + 1 + rbelow(&r, 5)) % NNOUN) +
		    NSTEM * NNOUN * (y / (NSTEM * NNOUN) % NQUAL);
		c->twin_of = ci - 1;
		extra = 0;
	}
	fmt(c->base, sizeof(c->base), "%s %s%s%s", co_stem[x % NSTEM],
		 co_noun[(x / NSTEM) % NNOUN],
		 co_qual[x / (NSTEM * NNOUN) % NQUAL][0] ? " " : "",
		 co_qual[x / (NSTEM * NNOUN) % NQUAL]);
	if (extra) {
		size_t l = strlen(c->base);

		fmt(c->base + l, sizeof(c->base) - l, " %" PRIu64,
			 extra + 1);
	}
	c->country = pick_share(&r, country_share, NCOUNTRY);
	co = &gcountries[c->country];
	c->city = (int)rbelow(&r, (uint32_t)co->ncities);
	c->legal = (int)rbelow(&r, (uint32_t)co->nlegal);
	c->industry = (int)rbelow(&r, (uint32_t)N_(gindustries));
	c->pattern = (int)rbelow(&r, 5);
	slug(c->base, sl, sizeof(sl), 0);
	tld = co->tld;
	if (c->country == CO_IN && rpm(&r, 500))
		tld = ".co.in";
	if (c->country != CO_US && c->country != CO_GB && rpm(&r, 300))
		tld = ".com";
	fmt(c->domain, sizeof(c->domain), "%s%s%s", sl,
		 c->twin_of != ~(uint64_t)0 ? "hq" : "", tld);
	{
		/* the template holds one "%d", the house number */
		const char *tpl = co->streets[rbelow(&r, (uint32_t)co->nstreets)];
		const char *d = strstr(tpl, "%d");

		fmt(c->street, sizeof(c->street), "%.*s%d%s", (int)(d - tpl),
		    tpl, 1 + (int)rbelow(&r, 2000), d + 2);
	}
	if (co->postlen)
		digits(&r, c->postal, co->postlen, 1);
	else
		fmt(c->postal, sizeof(c->postal), "%c%c%d %d%c%c",
			 'A' + (int)rbelow(&r, 26), 'A' + (int)rbelow(&r, 26),
			 1 + (int)rbelow(&r, 20), (int)rbelow(&r, 10),
			 'A' + (int)rbelow(&r, 26), 'A' + (int)rbelow(&r, 26));
	part(co->cities[c->city], 4, area, sizeof(area));
	fmt(c->phone_area, sizeof(c->phone_area), "%s", area);
	subscriber(&r, c->country, area, c->phone_sub);
	/* log-uniform, 5 .. 200000 */
	c->employees = (int)pow(10.0, 0.7 + 4.6 * (double)rbelow(&r, 100000) /
				100000.0);
	c->revenue = (uint64_t)c->employees * (80000 + rbelow(&r, 300000));
}

/* the legal form of c, variant v ("" when the family has fewer) */
static void legal_form(const struct company *c, int v, char *out, size_t n)
{
	const char *fam = gcountries[c->country].legal[c->legal];

	if (!part(fam, v % nparts(fam), out, n))
		out[0] = 0;
}

/* ---- phones --------------------------------------------------------------- */

/*
 * A phone number in one of the formats people type: style 0 E.164
 * (+14155550100), 1 international spaced (+1 415-555-0100, +49 30 1234567),
 * 2 national ((415) 555-0100 or (415) 555 0100, 030 1234567),
 * 3 00-prefixed (004930...), 4 dotted or odd (415.555.0100,
 * +49 (0)30 1234567).
 */
static void phone_fmt(int country, const char *area, const char *sub,
		      int style, char *out, size_t n)
{
	const struct gcountry *co = &gcountries[country];
	const char *tr = co->trunk ? "0" : "";

	if (country == CO_US) {
		char a[4], b[5];

		memcpy(a, sub, 3);
		a[3] = 0;
		memcpy(b, sub + 3, 4);
		b[4] = 0;
		switch (style) {
		case 0: fmt(out, n, "+1%s%s%s", area, a, b); break;
		case 1: fmt(out, n, "+1 %s-%s-%s", area, a, b); break;
		case 2: /* (415) 555-0100 or (415) 555 0100 */
			fmt(out, n, "(%s) %s%c%s", area, a,
			    (sub[6] & 1) ? ' ' : '-', b);
			break;
		case 3: fmt(out, n, "001%s%s%s", area, a, b); break;
		default: fmt(out, n, "%s.%s.%s", area, a, b); break;
		}
		return;
	}
	switch (style) {
	case 0: fmt(out, n, "+%s%s%s", co->cc, area, sub); break;
	case 1: fmt(out, n, "+%s %s %s", co->cc, area, sub); break;
	case 2: fmt(out, n, "%s%s %s", tr, area, sub); break;
	case 3: fmt(out, n, "00%s%s%s", co->cc, area, sub); break;
	default:
		if (co->trunk)
			fmt(out, n, "+%s (0)%s %s", co->cc, area, sub);
		else
			fmt(out, n, "+%s %s-%s", co->cc, area, sub);
		break;
	}
}

/* ---- people --------------------------------------------------------------- */

struct person {
	uint64_t pid;
	int cult, female, country, city;
	const char *fentry, *lentry; /* raw list entries */
	char tail_last[64];          /* a synthetic surname, when drawn */
	char tail_first[64];         /* a composed Chinese given name */
	char area[8], sub[16];
	int title, old_title, dept;
	char pmail[160];             /* personal address */
	uint64_t ci;                 /* employer (company identity) */
	int has_ci;
};

static void gender_last(const struct person *p, char *s, size_t n);

/* `ci` < 0: no employer */
static void person_make(uint64_t pid, int64_t ci, uint64_t name_pid,
			int twin, struct person *p)
{
	struct rng r = rng_for(T_PERSON, pid);
	struct rng rn = rng_for(T_NAME, name_pid);
	const struct gculture *cu;
	struct company co;
	int home, u1, u2;
	char f[64], l[96], fl[64], ll[96];

	memset(p, 0, sizeof(*p));
	p->pid = pid;
	p->has_ci = ci >= 0;
	p->ci = ci >= 0 ? (uint64_t)ci : 0;
	if (p->has_ci)
		company_make(p->ci, &co);
	/* culture: the name stream decides, so that twins share it (a twin
	 * never takes its employer's culture: twins work at different places) */
	u1 = (int)rbelow(&rn, 1000);
	u2 = (int)rbelow(&rn, 1000);
	if (!twin && p->has_ci && u1 < 550) {
		p->cult = cult_of_country[co.country];
	} else {
		int u = u2, acc = 0, i;

		for (i = 0; i < NCULT; i++) {
			acc += gcultures[i].weight;
			if (u < acc)
				break;
		}
		p->cult = i < NCULT ? i : 0;
	}
	cu = &gcultures[p->cult];
	p->female = rpm(&rn, 480);
	p->fentry = p->female ? cu->f[wtab_pick(&wt_f[p->cult], &rn)] :
				cu->m[wtab_pick(&wt_m[p->cult], &rn)];
	if (!strcmp(cu->code, "zh") && rpm(&rn, 600)) {
		uint32_t nz = (uint32_t)N_(zh_given_chars);
		const char *a = zh_given_chars[rbelow(&rn, nz)];
		const char *b = zh_given_chars[rbelow(&rn, nz)];
		char an[16], al[16], bn[16], bl[16];

		part(a, 0, an, sizeof(an));
		part(a, 1, al, sizeof(al));
		part(b, 0, bn, sizeof(bn));
		part(b, 1, bl, sizeof(bl));
		al[0] = (char)(al[0] - 32);
		fmt(p->tail_first, sizeof(p->tail_first), "%s%s|%s%s", an, bn,
		    al, bl);
		p->fentry = p->tail_first;
	}
	if (cu->npre && rpm(&rn, cu->tail_pct * 10)) {
		fmt(p->tail_last, sizeof(p->tail_last), "|%s%s",
			 cu->pre[rbelow(&rn, (uint32_t)cu->npre)],
			 cu->suf[rbelow(&rn, (uint32_t)cu->nsuf)]);
		p->lentry = p->tail_last;
	} else {
		p->lentry = cu->last[wtab_pick(&wt_last[p->cult], &rn)];
	}
	/* where they live: mostly where their employer is */
	if (p->has_ci && rpm(&r, 800)) {
		p->country = co.country;
		p->city = co.city;
	} else {
		home = cu->home[0];
		if (cu->home[1] >= 0 && rpm(&r, 250))
			home = cu->home[1];
		if (cu->home[2] >= 0 && rpm(&r, 100))
			home = cu->home[2];
		p->country = home;
		p->city = (int)rbelow(&r,
				      (uint32_t)gcountries[home].ncities);
	}
	part(gcountries[p->country].cities[p->city], 4, p->area,
	     sizeof(p->area));
	subscriber(&r, p->country, p->area, p->sub);
	p->title = (int)rbelow(&r, (uint32_t)N_(gtitles));
	p->old_title = (int)rbelow(&r, (uint32_t)N_(gtitles));
	p->dept = (int)rbelow(&r, (uint32_t)N_(gdepartments));
	/* personal address: unique thanks to the number */
	part(p->fentry, 1, f, sizeof(f));
	part(p->lentry, 1, l, sizeof(l));
	gender_last(p, l, sizeof(l));
	slug(f, fl, sizeof(fl), 0);
	slug(l, ll, sizeof(ll), 0);
	{
		const char *dom = gfreemail[rbelow(&r, (uint32_t)N_(gfreemail))];
		uint64_t num = pid + 1;

		char *pm = p->pmail;
		size_t pn = sizeof(p->pmail);

		switch (rbelow(&r, 5)) {
		case 0:
			fmt(pm, pn, "%s.%s%" PRIu64 "@%s", fl, ll, num, dom);
			break;
		case 1:
			fmt(pm, pn, "%s%s%" PRIu64 "@%s", fl, ll, num, dom);
			break;
		case 2:
			fmt(pm, pn, "%s_%s%" PRIu64 "@%s", fl, ll, num, dom);
			break;
		case 3:
			fmt(pm, pn, "%c%s%" PRIu64 "@%s", fl[0] ? fl[0] : 'x',
			    ll, num, dom);
			break;
		default:
			fmt(pm, pn, "%s%" PRIu64 "@%s", ll, num, dom);
			break;
		}
	}
}

/* the female form of a Slavic or Polish surname, in place */
static void gender_last(const struct person *p, char *s, size_t n)
{
	size_t l = strlen(s);
	int mode = gcultures[p->cult].gender_last;

	if (!p->female || !mode)
		return;
	if (mode == 2) {
		if (l > 3 && !strcmp(s + l - 3, "ski"))
			s[l - 1] = 'a';
		else if (l > 3 && !strcmp(s + l - 3, "cki"))
			s[l - 1] = 'a';
		else if (l > 4 && !strcmp(s + l - 4, "ński"))
			s[l - 1] = 'a';
		return;
	}
	if (l + 3 > n)
		return;
	if ((l > 2 && (!strcmp(s + l - 2, "ov") || !strcmp(s + l - 2, "ev") ||
		       !strcmp(s + l - 2, "in") || !strcmp(s + l - 2, "yn"))))
		strcat(s, "a");
	else if (l > 4 && (!strcmp(s + l - 4, "ов") || !strcmp(s + l - 4, "ев") ||
			   !strcmp(s + l - 4, "ин") || !strcmp(s + l - 4, "ёв")))
		strcat(s, "а");
}

/* The work address of p at company c. */
static void work_mail(const struct person *p, const struct company *c,
		      char *out, size_t n)
{
	char f[64], l[96], fl[64], ll[96];

	part(p->fentry, 1, f, sizeof(f));
	part(p->lentry, 1, l, sizeof(l));
	gender_last(p, l, sizeof(l));
	slug(f, fl, sizeof(fl), 0);
	slug(l, ll, sizeof(ll), 0);
	switch (c->pattern) {
	case 0: fmt(out, n, "%s.%s@%s", fl, ll, c->domain); break;
	case 1: fmt(out, n, "%c%s@%s", fl[0] ? fl[0] : 'x', ll, c->domain); break;
	case 2: fmt(out, n, "%s%c@%s", fl, ll[0] ? ll[0] : 'x', c->domain); break;
	case 3: fmt(out, n, "%s_%s@%s", fl, ll, c->domain); break;
	default: fmt(out, n, "%s.%s@%s", fl, ll, c->domain); break;
	}
}

/* Notes: the noise applied to one side of a pair, ';'-separated. */
struct notes {
	char s[512];
};

static void note(struct notes *nt, const char *what)
{
	size_t l = strlen(nt->s);

	fmt(nt->s + l, sizeof(nt->s) - l, "%s%s", l ? ";" : "", what);
}

/* adds each of the ;-separated `items` with `prefix` */
static void note_side(struct notes *nt, const char *prefix, const char *items)
{
	while (*items) {
		const char *e = strchr(items, ';');
		int len = e ? (int)(e - items) : (int)strlen(items);
		char tagged[80];

		fmt(tagged, sizeof(tagged), "%s%.*s", prefix, len, items);
		note(nt, tagged);
		items += len + (e != NULL);
	}
}

/* A person as one side shows them. */
struct view {
	char first[96], last[128];
	char email[192];
	char sha[SHA256_HEX_LEN + 1];
	char phone[48];
	int script_native;   /* names in the native script */
	int email_kind;      /* 0 none, 1 work, 2 personal */
	int phone_kind;      /* 0 none, 1 direct, 2 switchboard */
	int title;           /* -1 none */
	int city_shown;
	struct notes nt;
};

/* names: native or Latin form, then the noise of one side */
static void view_names(const struct person *p, struct rng *r, struct view *v,
		       int native_pm, int nick_pm, int fold_pm, int typo_f,
		       int typo_l, int swap_pm, int upper_pm, int initial_pm)
{
	const struct gculture *cu = &gcultures[p->cult];
	int native = 0, nf, nl, vf, vl;
	char tmp[160];
	const char *nick;

	if (p->fentry[0] != '|' && rpm(r, native_pm))
		native = 1;
	v->script_native = native;
	if (native) {
		part(p->fentry, 0, v->first, sizeof(v->first));
		part(p->lentry, 0, v->last, sizeof(v->last));
	} else {
		/* a less usual romanisation now and then */
		nf = nparts(p->fentry) - 1;
		nl = nparts(p->lentry) - 1;
		vf = nf > 1 && rpm(r, 300) ? 1 + (int)rbelow(r, (uint32_t)nf) : 1;
		vl = nl > 1 && rpm(r, 300) ? 1 + (int)rbelow(r, (uint32_t)nl) : 1;
		part(p->fentry, vf, v->first, sizeof(v->first));
		part(p->lentry, vl, v->last, sizeof(v->last));
		if (vf > 1 || vl > 1)
			note(&v->nt, "romanisation");
	}
	gender_last(p, v->last, sizeof(v->last));
	if (!native && (nick = nickname_of(v->first)) && rpm(r, nick_pm)) {
		part(nick, (int)rbelow(r, (uint32_t)nparts(nick)), v->first,
		     sizeof(v->first));
		note(&v->nt, "nickname");
	}
	if (!native && (has_nonascii(v->first) || has_nonascii(v->last)) &&
	    rpm(r, fold_pm)) {
		int de = p->cult == 1 && rpm(r, 250);

		fold(v->first, tmp, sizeof(tmp), de);
		fmt(v->first, sizeof(v->first), "%s", tmp);
		fold(v->last, tmp, sizeof(tmp), de);
		fmt(v->last, sizeof(v->last), "%s", tmp);
		note(&v->nt, de ? "accents-transliterated" : "accents-dropped");
	}
	if (rpm(r, typo_f) && typo(v->first, sizeof(v->first), r))
		note(&v->nt, "typo-first");
	if (rpm(r, typo_l) && typo(v->last, sizeof(v->last), r))
		note(&v->nt, "typo-last");
	if (rpm(r, cu->family_first && !native ? swap_pm * 10 : swap_pm)) {
		fmt(tmp, sizeof(tmp), "%s", v->first);
		fmt(v->first, sizeof(v->first), "%s", v->last);
		fmt(v->last, sizeof(v->last), "%s", tmp);
		note(&v->nt, "swapped");
	}
	if (!native && rpm(r, upper_pm)) {
		upper(v->last);
		note(&v->nt, "upper-last");
	}
	if (!native && rpm(r, initial_pm) && v->first[0] &&
	    (unsigned char)v->first[0] < 0x80) {
		v->first[1] = '.';
		v->first[2] = 0;
		note(&v->nt, "first-initial");
	}
}

static void sha_hex(const char *s, char *out)
{
	struct sha256 *h = sha256_new();
	char low[192];
	size_t i;

	for (i = 0; s[i] && i + 1 < sizeof(low); i++)
		low[i] = (s[i] >= 'A' && s[i] <= 'Z') ? (char)(s[i] + 32) : s[i];
	low[i] = 0;
	if (!h) {
		fprintf(stderr, "gen_org: out of memory\n");
		exit(1);
	}
	sha256_update(h, low, i);
	sha256_final_hex(h, out);
}

/* ---- CRM slots ------------------------------------------------------------ */

enum { K_MATCH, K_ONLY, K_DUP, K_DEL, K_DELDUP };
enum { O_LEAD, O_CONTACT };

static int slot_kind_raw(uint64_t s)
{
	int u = (int)(hash_of(T_SLOT, s) % 1000);

	if (s >= g_m)
		return K_ONLY;
	if (u < R_SLOT_MATCH)
		return K_MATCH;
	if (u < R_SLOT_MATCH + R_SLOT_ONLY)
		return K_ONLY;
	if (u < R_SLOT_MATCH + R_SLOT_ONLY + R_SLOT_DUP)
		return K_DUP;
	if (u < R_SLOT_MATCH + R_SLOT_ONLY + R_SLOT_DUP + R_SLOT_DEL)
		return K_DEL;
	return K_DELDUP;
}

/* the matched slot a duplicate copies: the nearest matched slot before it */
static int64_t slot_primary(uint64_t s)
{
	uint64_t t;

	for (t = s; t > 0 && s - t < 64;) {
		t--;
		if (slot_kind_raw(t) == K_MATCH)
			return (int64_t)t;
	}
	return -1;
}

static int slot_kind(uint64_t s)
{
	int k = slot_kind_raw(s);

	if ((k == K_DUP || k == K_DELDUP) && slot_primary(s) < 0)
		return K_ONLY;
	return k;
}

static int slot_object(uint64_t s)
{
	int k = slot_kind(s);
	uint64_t h = hash_of(T_SLOT, s) >> 20;

	if (k == K_DUP || k == K_DELDUP) {
		uint64_t pr = (uint64_t)slot_primary(s);

		if (slot_object(pr) == O_LEAD)
			return O_LEAD;
		if (k == K_DELDUP)
			return O_CONTACT;
		return (int)(h % 1000) < R_DUP_LEAD ? O_LEAD : O_CONTACT;
	}
	return (int)(h % 1000) < R_LEAD ? O_LEAD : O_CONTACT;
}

/* ---- accounts ------------------------------------------------------------- */

enum { A_MATCH, A_NOPAGE, A_DUP, A_DEL };

static int acct_kind_raw(uint64_t a)
{
	int u = (int)(hash_of(T_ACC, a) % 1000);

	if (a >= g_k)
		return A_NOPAGE;
	if (u < R_ACC_MATCH)
		return A_MATCH;
	if (u < R_ACC_MATCH + R_ACC_NOPAGE)
		return A_NOPAGE;
	if (u < R_ACC_MATCH + R_ACC_NOPAGE + R_ACC_DUP)
		return A_DUP;
	return A_DEL;
}

static int64_t acct_primary(uint64_t a)
{
	uint64_t t;

	for (t = a; t > 0 && a - t < 64;) {
		t--;
		if (acct_kind_raw(t) == A_MATCH)
			return (int64_t)t;
	}
	return -1;
}

static int acct_kind(uint64_t a)
{
	int k = acct_kind_raw(a);

	return k == A_DUP && acct_primary(a) < 0 ? A_NOPAGE : k;
}

/* the company identity of account a */
static uint64_t acct_company(uint64_t a)
{
	switch (acct_kind(a)) {
	case A_MATCH:
	case A_DEL:
		return perm_fwd(&pm_acct, a);
	case A_DUP:
		return perm_fwd(&pm_acct, (uint64_t)acct_primary(a));
	default:
		return g_k + a;
	}
}

/* the account of slot s (contacts; leads at account companies), or -1 */
static int64_t slot_account(uint64_t s)
{
	int k = slot_kind(s);
	struct rng r;
	double u;

	if (k == K_DUP || k == K_DELDUP)
		return slot_account((uint64_t)slot_primary(s));
	r = rng_for(T_SLOTCO, s);
	if (!g_a)
		return -1;
	if (slot_object(s) == O_LEAD && !rpm(&r, R_LEAD_ACCT))
		return -1;
	u = (double)rbelow(&r, 1u << 30) / (double)(1u << 30);
	return (int64_t)((double)g_a * u * u);
}

/* the employer of slot s's person */
static int64_t slot_company(uint64_t s)
{
	int k = slot_kind(s);
	int64_t a;
	struct rng r;

	if (k == K_DUP || k == K_DELDUP)
		return slot_company((uint64_t)slot_primary(s));
	a = slot_account(s);
	if (a >= 0)
		return (int64_t)acct_company((uint64_t)a);
	r = rng_for(T_SLOTCO, s ^ 0x5555);
	if (g_k && rpm(&r, 700))
		return (int64_t)rbelow(&r, (uint32_t)g_k);
	return (int64_t)(g_k + g_a + rbelow(&r, (uint32_t)(g_a + 1000)));
}

/* the person a slot holds: profile index, or M + s for CRM-only people */
static uint64_t slot_person(uint64_t s)
{
	int k = slot_kind(s);

	if (k == K_DUP || k == K_DELDUP)
		return slot_person((uint64_t)slot_primary(s));
	if (k == K_ONLY)
		return g_m + s;
	return perm_fwd(&pm_link, s);
}

/* the slot a profile is the live (or deleted) record of, or -1 */
static int64_t profile_slot(uint64_t p)
{
	uint64_t s = perm_inv(&pm_link, p);
	int k;

	if (s >= g_n)
		return -1;
	k = slot_kind(s);
	return k == K_MATCH || k == K_DEL ? (int64_t)s : -1;
}

/* name stream of a profile: twins share their pair's */
static uint64_t name_pid(uint64_t pid)
{
	if (pid < g_m && (pid | 1) < g_m &&
	    (int)(hash_of(T_PTWIN, pid >> 1) % 1000) < R_PERSON_TWIN)
		return pid & ~(uint64_t)1;
	return pid;
}

static int is_twin(uint64_t pid)
{
	return pid < g_m && (pid | 1) < g_m &&
	       (int)(hash_of(T_PTWIN, pid >> 1) % 1000) < R_PERSON_TWIN;
}

/* the base identity of profile (or virtual person) pid */
static void person_of(uint64_t pid, struct person *p, int64_t *shown_ci)
{
	int64_t ci, s;
	struct rng r;

	if (pid >= g_m) {
		ci = slot_company(pid - g_m);
		person_make(pid, ci, pid, 0, p);
		if (shown_ci)
			*shown_ci = ci;
		return;
	}
	s = profile_slot(pid);
	r = rng_for(T_PROFCO, pid);
	if (s >= 0)
		ci = slot_company((uint64_t)s);
	else if (!g_k || rpm(&r, D_NO_JOB))
		ci = -1;
	else
		ci = (int64_t)rbelow(&r, (uint32_t)g_k);
	person_make(pid, ci, name_pid(pid), is_twin(pid), p);
	if (shown_ci) {
		*shown_ci = ci;
		if (s >= 0 && g_k > 1 && rpm(&r, D_MOVED))
			*shown_ci = (int64_t)rbelow(&r, (uint32_t)g_k);
	}
}

/*
 * The employer profile pid lists before its current one (`shown`), or -1.
 * A person who moved (`was`, the employer the CRM knows, differs) lists
 * that one unless they left their history out; anyone else may list some
 * earlier employer.  A stream of its own keeps every other value as it
 * was before profiles had a previous employer.
 */
static int64_t previous_company(uint64_t pid, int64_t was, int64_t shown)
{
	struct rng r = rng_for(T_PREVCO, pid);
	int64_t ci;

	if (was >= 0 && was != shown)
		return rpm(&r, D_PREV_MOVED) ? was : -1;
	if (g_k < 2 || !rpm(&r, D_PREV_OTHER))
		return -1;
	do
		ci = (int64_t)rbelow(&r, (uint32_t)g_k);
	while (ci == shown);
	return ci;
}

/* ---- the two views -------------------------------------------------------- */

static void crm_view(uint64_t s, const struct person *p,
		     const struct company *co, struct view *v)
{
	struct rng r = rng_for(T_CRM, s);
	int k = slot_kind(s);
	int u, style;

	memset(v, 0, sizeof(*v));
	view_names(p, &r, v, C_NATIVE, C_NICK, C_FOLD, C_TYPO_FIRST,
		   C_TYPO_LAST, C_SWAP, C_UPPER, 0);
	if (rpm(&r, C_NO_FIRST)) {
		v->first[0] = 0;
		note(&v->nt, "no-first-name");
	}
	u = (int)rbelow(&r, 1000);
	/* duplicates: remap u to the personal range, past all, or work */
	if (k == K_DUP || k == K_DELDUP)
		u = u < C_DUP_PERS ? C_WORK : u < C_DUP_PERS + C_DUP_NONE ?
		    999 : 0;
	if (u < C_WORK && co) {
		work_mail(p, co, v->email, sizeof(v->email));
		v->email_kind = 1;
	} else if (u < C_WORK + C_PERS) {
		fmt(v->email, sizeof(v->email), "%s", p->pmail);
		v->email_kind = 2;
	}
	if (v->email_kind && rpm(&r, C_MIXCASE)) {
		/* First.Last@Domain.com */
		char *c = v->email;
		int up = 1;

		for (; *c; c++) {
			if (up && *c >= 'a' && *c <= 'z')
				*c = (char)(*c - 32);
			up = *c == '.' || *c == '@' || *c == '_';
		}
		note(&v->nt, "email-mixed-case");
	}
	style = (int)rbelow(&r, 5);
	if (rpm(&r, C_PHONE)) {
		if (co && rpm(&r, C_SWITCHBOARD)) {
			phone_fmt(co->country, co->phone_area, co->phone_sub,
				  style, v->phone, sizeof(v->phone));
			v->phone_kind = 2;
		} else {
			phone_fmt(p->country, p->area, p->sub, style, v->phone,
				  sizeof(v->phone));
			v->phone_kind = 1;
		}
	}
	v->title = rpm(&r, C_NO_TITLE) ? -1 :
		   rpm(&r, C_OLD_TITLE) ? p->old_title : p->title;
	v->city_shown = 1;
}

static void dir_view(uint64_t pid, const struct person *p,
		     const struct company *co, struct view *v)
{
	struct rng r = rng_for(T_DIR, pid);
	int u;

	memset(v, 0, sizeof(*v));
	view_names(p, &r, v, D_NATIVE, D_NICK, D_FOLD, D_TYPO_FIRST,
		   D_TYPO_LAST, D_SWAP, D_UPPER, D_INITIAL);
	u = (int)rbelow(&r, 1000);
	if (u < D_WORK + D_WORK_HASH && co) {
		work_mail(p, co, v->email, sizeof(v->email));
		v->email_kind = 1;
		if (u >= D_WORK) {
			sha_hex(v->email, v->sha);
			v->email[0] = 0;
		}
	} else if (u >= D_WORK + D_WORK_HASH &&
		   u < D_WORK + D_WORK_HASH + D_PERS + D_PERS_HASH) {
		fmt(v->email, sizeof(v->email), "%s", p->pmail);
		v->email_kind = 2;
		if (u >= D_WORK + D_WORK_HASH + D_PERS) {
			sha_hex(v->email, v->sha);
			v->email[0] = 0;
		}
	}
	if (rpm(&r, D_PHONE)) {
		phone_fmt(p->country, p->area, p->sub, (int)rbelow(&r, 5),
			  v->phone, sizeof(v->phone));
		v->phone_kind = 1;
	}
	v->title = rpm(&r, D_NO_TITLE) ? -1 : p->title;
	v->city_shown = !rpm(&r, D_NO_CITY);
}

/*
 * The evidence rule: a linked person whose names are in different scripts
 * on the two sides ('王伟' in the CRM, 'Wei Wang' in the directory) could
 * only be found by transliteration.  So the profile then shows the CRM's
 * email as EmailSha256 when the CRM record has one, else the direct phone
 * when the CRM has it.  Pairs with neither stay in the truth, as the hard
 * cases they are.
 */
static void dir_view_final(uint64_t pid, const struct person *p,
			   const struct company *co, struct view *v)
{
	int64_t s = profile_slot(pid);
	struct company cco;
	struct view cv;

	dir_view(pid, p, co, v);
	if (s < 0 || p->fentry[0] == '|')
		return;
	if (p->has_ci)
		company_make(p->ci, &cco);
	crm_view((uint64_t)s, p, p->has_ci ? &cco : NULL, &cv);
	if (cv.script_native == v->script_native)
		return;
	if (cv.email_kind) {
		sha_hex(cv.email, v->sha);
		v->email[0] = 0;
		v->email_kind = cv.email_kind;
		note(&v->nt, "evidence-email");
	} else if (cv.phone_kind == 1 && !v->phone_kind) {
		phone_fmt(p->country, p->area, p->sub, 0, v->phone,
			  sizeof(v->phone));
		v->phone_kind = 1;
		note(&v->nt, "evidence-phone");
	}
}

/* ---- output --------------------------------------------------------------- */

struct row {
	const char *f[MAXF];
	size_t len;
	char buf[ROWBUF];
};

static void row_reset(struct row *rw)
{
	int i;

	rw->len = 0;
	for (i = 0; i < MAXF; i++)
		rw->f[i] = "";
}

__attribute__((format(printf, 3, 4)))
static void rset(struct row *rw, int col, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(rw->buf + rw->len, ROWBUF - rw->len, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= ROWBUF - rw->len) {
		rw->f[col] = "";
		return;
	}
	rw->f[col] = rw->buf + rw->len;
	rw->len += (size_t)n + 1;
}

/* plain CSV with every value quoted, as Bulk API query results */
static void qrow(FILE *fp, const char *const *f, int n)
{
	int i;
	const char *c;

	for (i = 0; i < n; i++) {
		if (i)
			putc_unlocked(',', fp);
		putc_unlocked('"', fp);
		for (c = f[i]; *c; c++) {
			if (*c == '"')
				putc_unlocked('"', fp);
			putc_unlocked(*c, fp);
		}
		putc_unlocked('"', fp);
	}
	putc_unlocked('\n', fp);
}

__attribute__((format(printf, 1, 2), noreturn))
static void die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fputs("gen_org: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	exit(1);
}

static FILE *xfopen(const char *dir, const char *name)
{
	char path[4096];
	FILE *fp;

	fmt(path, sizeof(path), "%s/%s", dir, name);
	fp = fopen(path, "w");
	if (!fp)
		die("cannot create '%s': %s", path, strerror(errno));
	setvbuf(fp, NULL, _IOFBF, 1 << 20);
	return fp;
}

static void xfclose(FILE *fp, const char *name)
{
	if (ferror(fp) | fclose(fp))
		die("cannot write '%s': %s", name, strerror(errno));
}

static const char *const lead_cols[] = {
	"Id", "City", "Company", "ConvertedAccountId", "ConvertedContactId",
	"ConvertedDate", "ConvertedOpportunityId", "Country", "CreatedDate",
	"Email", "FirstName", "Industry", "IsConverted", "IsUnreadByOwner",
	"LastActivityDate", "LastName", "LastReferencedDate", "LastViewedDate",
	"LeadSource", "OwnerId", "Phone", "State", "Status", "Street", "Title",
	"Website", "LastModifiedDate", "IsDeleted",
};
enum { L_ID, L_CITY, L_COMPANY, L_CACC, L_CCON, L_CDATE, L_COPP, L_COUNTRY,
	L_CREATED, L_EMAIL, L_FIRST, L_INDUSTRY, L_ISCONV, L_UNREAD, L_LASTACT,
	L_LAST, L_LASTREF, L_LASTVIEW, L_SOURCE, L_OWNER, L_PHONE, L_STATE,
	L_STATUS, L_STREET, L_TITLE, L_WEBSITE, L_MODIFIED, L_DELETED };

static const char *const contact_cols[] = {
	"Id", "AccountId", "CreatedDate", "Department", "Description", "Email",
	"Fax", "FirstName", "LastActivityDate", "LastName", "LastModifiedDate",
	"LastReferencedDate", "LastViewedDate", "LeadSource", "MailingStreet",
	"MailingCity", "MailingCountry", "MailingState", "Name", "Phone",
	"Title", "IsDeleted",
};
enum { CT_ID, CT_ACC, CT_CREATED, CT_DEPT, CT_DESC, CT_EMAIL, CT_FAX,
	CT_FIRST, CT_LASTACT, CT_LAST, CT_MODIFIED, CT_LASTREF, CT_LASTVIEW,
	CT_SOURCE, CT_STREET, CT_CITY, CT_COUNTRY, CT_STATE, CT_NAME, CT_PHONE,
	CT_TITLE, CT_DELETED };

static const char *const account_cols[] = {
	"Id", "Name", "Website", "AnnualRevenue", "NumberOfEmployees", "Phone",
	"Industry", "Type", "BillingStreet", "BillingCity", "BillingState",
	"BillingCountry", "BillingPostalCode", "CreatedDate",
	"LastModifiedDate", "OwnerId", "Description", "Fax", "ParentId",
	"ShippingCity", "ShippingCountry", "ShippingPostalCode",
	"ShippingState", "ShippingStreet", "LastReferencedDate",
	"LastViewedDate", "Rating", "TickerSymbol", "Ownership", "IsDeleted",
};
enum { A_ID, A_NAME, A_WEB, A_REV, A_EMP, A_PHONE, A_IND, A_TYPE, A_BSTREET,
	A_BCITY, A_BSTATE, A_BCOUNTRY, A_BPOST, A_CREATED, A_MODIFIED, A_OWNER,
	A_DESC, A_FAX, A_PARENT, A_SCITY, A_SCOUNTRY, A_SPOST, A_SSTATE,
	A_SSTREET, A_LASTREF, A_LASTVIEW, A_RATING, A_TICKER, A_OWNERSHIP,
	A_DELETED };

static const char *const member_cols[] = {
	"MemberId", "FirstName", "LastName", "Title", "CompanyName",
	"CompanyPageId", "Email", "EmailSha256", "Phone", "City", "State",
	"Country", "ProfileUrl", "PreviousCompanyName",
};
static const char *const company_cols[] = {
	"CompanyPageId", "Name", "Website", "Phone", "Industry",
	"EmployeeCount", "Street", "City", "State", "PostalCode", "Country",
	"PageUrl",
};

static const char *const other_headers[][2] = {
	{ "Opportunity.csv", "\"Id\",\"AccountId\",\"Amount\",\"CloseDate\","
	  "\"CreatedDate\",\"IsClosed\",\"IsWon\",\"LastActivityDate\","
	  "\"LastReferencedDate\",\"LastViewedDate\",\"LeadSource\",\"Name\","
	  "\"OwnerId\",\"StageName\",\"Type\",\"LastModifiedDate\","
	  "\"IsDeleted\"\n" },
	{ "OpportunityContactRole.csv", "\"Id\",\"ContactId\",\"IsPrimary\","
	  "\"OpportunityId\",\"Role\",\"CreatedDate\",\"LastModifiedDate\","
	  "\"IsDeleted\"\n" },
	{ "User.csv", "\"Id\",\"Name\",\"Department\",\"Email\",\"FirstName\","
	  "\"LastName\",\"Title\",\"Phone\",\"MobilePhone\",\"IsActive\","
	  "\"UserRoleId\",\"CreatedDate\",\"LastModifiedDate\","
	  "\"IsDeleted\"\n" },
	{ "UserRole.csv", "\"Id\",\"Name\",\"ParentRoleId\","
	  "\"LastModifiedDate\",\"IsDeleted\"\n" },
};

static const char gbase62[] =
	"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/* An 18-char Salesforce Id: prefix, pod "5g", 0, nine base-62 digits
 * of recno, then the case-safe checksum suffix.  Ids sort like recno. */
static void sf_id(const char *prefix, uint64_t recno, char out[19])
{
	int i, j;

	memcpy(out, prefix, 3);
	memcpy(out + 3, "5g0", 3);
	for (i = 14; i >= 6; i--) {
		out[i] = gbase62[recno % 62];
		recno /= 62;
	}
	for (i = 0; i < 3; i++) {
		unsigned bits = 0;

		for (j = 0; j < 5; j++)
			if (out[i * 5 + j] >= 'A' && out[i * 5 + j] <= 'Z')
				bits |= 1u << j;
		out[15 + i] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345"[bits];
	}
	out[18] = 0;
}

/* days since 1970-01-01 to y-m-d (Howard Hinnant's civil_from_days) */
static void civil(int64_t z, int *y, int *m, int *d)
{
	int64_t era, yoe, doy, mp;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	yoe = z - era * 146097;
	yoe = (yoe - yoe / 1460 + yoe / 36524 - yoe / 146096) / 365;
	doy = z - era * 146097 - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = (int)(doy - (153 * mp + 2) / 5 + 1);
	*m = (int)(mp < 10 ? mp + 3 : mp - 9);
	*y = (int)(yoe + era * 400 + (*m <= 2));
}

/* seconds since the epoch as a Salesforce dateTime or date */
static void rset_time(struct row *rw, int col, int64_t t, int date_only)
{
	int y, m, d;

	civil(t / 86400, &y, &m, &d);
	if (date_only)
		rset(rw, col, "%04d-%02d-%02d", y, m, d);
	else
		rset(rw, col, "%04d-%02d-%02dT%02d:%02d:%02d.000Z", y, m, d,
		     (int)(t % 86400 / 3600), (int)(t % 3600 / 60),
		     (int)(t % 60));
}

#define T2019 1546300800LL /* 2019-01-01 */
#define T1101 1793491200LL /* 2026-11-01 */

/* a time up to `days` before 2026-11-01 */
static int64_t ago(struct rng *r, int days)
{
	return T1101 - (int64_t)rbelow(r, (uint32_t)days * 86400);
}

/* a time in the `days` days from 2026-11-01 */
static int64_t in_nov(struct rng *r, int days)
{
	return T1101 + (int64_t)rbelow(r, (uint32_t)days * 86400);
}

static void owner_id(struct rng *r, char out[19])
{
	sf_id("005", 1000 + rbelow(r, 12), out);
}

/* a company name as someone typed it: legal-form variants, "The", case */
static void company_text(const struct company *c, struct rng *r, int typed,
			 char *out, size_t n, struct notes *nt)
{
	char lf[48];
	int u = (int)rbelow(r, 1000);

	legal_form(c, (int)rbelow(r, 3), lf, sizeof(lf));
	if (u < 700 && lf[0]) {
		fmt(out, n, "%s%s%s", c->base,
			 lf[0] == ',' ? "" : (u < 80 ? ", " : " "), lf);
		if (nt)
			note(nt, "legal-form");
	} else if (u < 760) {
		fmt(out, n, "The %s", c->base);
		if (nt)
			note(nt, "the-prefix");
	} else {
		fmt(out, n, "%s", c->base);
	}
	if (typed && rpm(r, 50)) {
		char *p;

		for (p = out; *p; p++)
			if (*p >= 'A' && *p <= 'Z')
				*p = (char)(*p + 32);
		if (nt)
			note(nt, "lower-case");
	}
	if (typed && rpm(r, 30) && typo(out, n, r) && nt)
		note(nt, "typo-company");
}

/* a company name as a profile shows it: mostly the bare name, else as
 * someone typed it (company_text()), in buf (size n) */
static const char *shown_company(const struct company *c, struct rng *r,
				 char *buf, size_t n)
{
	company_text(c, r, 0, buf, n, NULL);
	return rpm(r, 700) ? c->base : buf;
}

/* a website as someone typed it */
static void website_text(const struct company *c, struct rng *r, int paths,
			 char *out, size_t n)
{
	static const char *const path[] = { "/", "/en/", "/about-us",
		"/en/home", "/index.html", "/contact" };

	switch (rbelow(r, paths ? 7 : 5)) {
	case 0: fmt(out, n, "www.%s", c->domain); break;
	case 1: fmt(out, n, "https://www.%s/", c->domain); break;
	case 2: fmt(out, n, "http://%s", c->domain); break;
	case 3: fmt(out, n, "%s", c->domain); break;
	case 4: fmt(out, n, "https://%s", c->domain); break;
	case 5: fmt(out, n, "https://www.%s%s", c->domain,
			 path[rbelow(r, (uint32_t)N_(path))]); break;
	default: fmt(out, n, "HTTP://WWW.%s", c->domain); upper(out); break;
	}
}

/* city/state/country as a CRM user types them */
static void crm_place(int country, int city, struct rng *r, struct row *rw,
		      int ccity, int cstate, int ccountry)
{
	const struct gcountry *co = &gcountries[country];
	char buf[96];
	int n = nparts(co->crm_names);

	part(co->cities[city], rpm(r, 600) ? 1 : 0, buf, sizeof(buf));
	rset(rw, ccity, "%s", buf);
	part(co->cities[city], rpm(r, 700) ? 3 : 2, buf, sizeof(buf));
	if (country != CO_GB && country != CO_AE && rpm(r, 900))
		rset(rw, cstate, "%s", buf);
	part(co->crm_names, (int)rbelow(r, (uint32_t)n), buf, sizeof(buf));
	if (rpm(r, 950))
		rset(rw, ccountry, "%s", buf);
}

struct totals {
	uint64_t lead, contact, account, member, page, truth;
	uint64_t kind[4], acc_kind[4];
	uint64_t lead_del, contact_del, account_del;
	uint64_t hashed;
};

static const char *const kind_name[] = { "match", "duplicate", "deleted",
	"nonmatch" };

static void truth_row(FILE *fp, const char *obj, const char *id,
		      const char *target, int kind, const char *notes,
		      struct totals *t)
{
	fprintf(fp, "%s,%s,%s,%s,%s\n", obj, id, target, kind_name[kind],
		notes);
	t->truth++;
}

static void member_id(uint64_t p, char *out, size_t n)
{
	fmt(out, n, "M%" PRIu64, 10000000 + perm_fwd(&pm_mid, p));
}

static void page_id(uint64_t c, char *out, size_t n)
{
	fmt(out, n, "C%" PRIu64, 1000000 + perm_fwd(&pm_cid, c));
}

/* ---- writing the CRM side --------------------------------------------- */

static void write_accounts(const char *orgdir, FILE *truth, struct totals *t)
{
	FILE *fp = xfopen(orgdir, "Account.csv");
	struct row rw;
	struct company c;
	char id[19], pid[32], buf[256], own[19];
	uint64_t a;
	int n;

	qrow(fp, account_cols, (int)N_(account_cols));
	for (a = 0; a < g_a; a++) {
		struct rng r = rng_for(T_ACCVIEW, a);
		int k = acct_kind(a);
		struct notes nt = { { 0 } };
		int64_t created;

		company_make(acct_company(a), &c);
		row_reset(&rw);
		sf_id("001", a, id);
		rset(&rw, A_ID, "%s", id);
		if (k == A_DUP) {
			/* typed again by someone else: no legal form, no
			 * website, transliterated umlauts */
			fold(c.base, buf, sizeof(buf), 1);
			rset(&rw, A_NAME, "%s", rpm(&r, 500) ? buf : c.base);
			note(&nt, "duplicate-account");
		} else {
			company_text(&c, &r, 0, buf, sizeof(buf), &nt);
			rset(&rw, A_NAME, "%s", buf);
		}
		if (k != A_DUP && rpm(&r, 880)) {
			website_text(&c, &r, 1, buf, sizeof(buf));
			rset(&rw, A_WEB, "%s", buf);
		} else {
			note(&nt, "no-website");
		}
		if (rpm(&r, 600))
			rset(&rw, A_REV, "%" PRIu64 ".0", c.revenue / 1000 * 1000);
		if (rpm(&r, 700))
			rset(&rw, A_EMP, "%d",
			     c.employees * (85 + (int)rbelow(&r, 31)) / 100);
		if (rpm(&r, 650)) {
			phone_fmt(c.country, c.phone_area, c.phone_sub,
				  (int)rbelow(&r, 5), buf, sizeof(buf));
			rset(&rw, A_PHONE, "%s", buf);
		}
		if (rpm(&r, 750)) {
			part(gindustries[c.industry], 0, buf, sizeof(buf));
			rset(&rw, A_IND, "%s", buf);
		}
		{
			static const char *const ty[] = { "Customer - Direct",
				"Customer - Channel", "Prospect", "Partner",
				"Other" };
			rset(&rw, A_TYPE, "%s", ty[rbelow(&r, 5)]);
		}
		if (rpm(&r, 800))
			rset(&rw, A_BSTREET, "%s", c.street);
		crm_place(c.country, c.city, &r, &rw, A_BCITY, A_BSTATE,
			  A_BCOUNTRY);
		if (rpm(&r, 800))
			rset(&rw, A_BPOST, "%s", c.postal);
		created = T2019 + (int64_t)((double)a / (double)(g_a ? g_a : 1) *
			  (T1101 - T2019 - 86400 * 30)) + rbelow(&r, 3600);
		rset_time(&rw, A_CREATED, created, 0);
		rset_time(&rw, A_MODIFIED, in_nov(&r, 26), 0);
		owner_id(&r, own);
		rset(&rw, A_OWNER, "%s", own);
		if (rpm(&r, 300)) {
			rw.f[A_SCITY] = rw.f[A_BCITY];
			rw.f[A_SCOUNTRY] = rw.f[A_BCOUNTRY];
			rw.f[A_SPOST] = rw.f[A_BPOST];
			rw.f[A_SSTATE] = rw.f[A_BSTATE];
			rw.f[A_SSTREET] = rw.f[A_BSTREET];
		}
		if (rpm(&r, 400)) {
			rset_time(&rw, A_LASTVIEW, ago(&r, 90), 0);
			rw.f[A_LASTREF] = rw.f[A_LASTVIEW];
		}
		rset(&rw, A_RATING, "%s", rpm(&r, 300) ? "Hot" :
		     rpm(&r, 500) ? "Warm" : "Cold");
		rset(&rw, A_OWNERSHIP, "%s", rpm(&r, 800) ? "Private" : "Public");
		rset(&rw, A_DELETED, "%s", k == A_DEL ? "true" : "false");
		qrow(fp, rw.f, (int)N_(account_cols));
		t->account++;
		t->account_del += k == A_DEL;

		if (k == A_NOPAGE)
			continue;
		page_id(c.ci, pid, sizeof(pid));
		n = k == A_MATCH ? 0 : k == A_DUP ? 1 : 2;
		truth_row(truth, "Account", id, pid, n, nt.s, t);
		t->acc_kind[n]++;
		/* a near-namesake page is a trap */
		if (k != A_DUP && c.ci + 1 < g_k && (c.ci & 1) == 0 &&
		    (int)(hash_of(T_CTWIN, c.ci >> 1) % 1000) < R_PAGE_TWIN) {
			page_id(c.ci + 1, pid, sizeof(pid));
			truth_row(truth, "Account", id, pid, 3,
				  "similar-name-company", t);
			t->acc_kind[3]++;
		}
	}
	xfclose(fp, "Account.csv");
}

static void write_people(const char *orgdir, FILE *truth, struct totals *t)
{
	FILE *fl = xfopen(orgdir, "Lead.csv"), *fc = xfopen(orgdir, "Contact.csv");
	struct row rw;
	uint64_t s;

	qrow(fl, lead_cols, (int)N_(lead_cols));
	qrow(fc, contact_cols, (int)N_(contact_cols));
	for (s = 0; s < g_n; s++) {
		int k = slot_kind(s), obj = slot_object(s);
		uint64_t pid = slot_person(s);
		int64_t ci, acct = slot_account(s), shown;
		struct person p;
		struct company co, dco;
		struct view cv, dv;
		struct rng r = rng_for(T_CRM, s ^ 0xabcdef);
		char id[19], aid[19], own[19], buf[512], mid[32];
		struct notes nt = { { 0 } };
		int64_t created;
		int deleted = k == K_DEL || k == K_DELDUP;

		person_of(pid, &p, &shown);
		ci = p.has_ci ? (int64_t)p.ci : -1;
		if (ci >= 0)
			company_make((uint64_t)ci, &co);
		crm_view(s, &p, ci >= 0 ? &co : NULL, &cv);
		row_reset(&rw);
		sf_id(obj == O_LEAD ? "00Q" : "003", s, id);
		created = T2019 + (int64_t)((double)s / (double)g_n *
			  (T1101 - T2019 - 86400 * 30)) + rbelow(&r, 3600);
		owner_id(&r, own);
		if (obj == O_LEAD) {
			rset(&rw, L_ID, "%s", id);
			crm_place(p.country, p.city, &r, &rw, L_CITY, L_STATE,
				  L_COUNTRY);
			if (ci >= 0) {
				company_text(&co, &r, 1, buf, sizeof(buf), NULL);
				rset(&rw, L_COMPANY, "%s", buf);
				if (rpm(&r, 400)) {
					website_text(&co, &r, 1, buf, sizeof(buf));
					rset(&rw, L_WEBSITE, "%s", buf);
				}
				if (rpm(&r, 500)) {
					part(gindustries[co.industry], 0, buf,
					     sizeof(buf));
					rset(&rw, L_INDUSTRY, "%s", buf);
				}
				if (rpm(&r, 400))
					rset(&rw, L_STREET, "%s", co.street);
			} else {
				rset(&rw, L_COMPANY, "%s", "[not provided]");
			}
			rset_time(&rw, L_CREATED, created, 0);
			rset(&rw, L_EMAIL, "%s", cv.email);
			rset(&rw, L_FIRST, "%s", cv.first);
			rset(&rw, L_LAST, "%s", cv.last[0] ? cv.last : "[unknown]");
			if (k == K_DUP &&
			    slot_object((uint64_t)slot_primary(s)) == O_CONTACT &&
			    (int)(hash_of(T_SLOT, s) >> 40) % 1000 < R_DUP_CONV) {
				uint64_t pr = (uint64_t)slot_primary(s);

				sf_id("003", pr, buf);
				rset(&rw, L_CCON, "%s", buf);
				if (acct >= 0) {
					sf_id("001", (uint64_t)acct, aid);
					rset(&rw, L_CACC, "%s", aid);
				}
				rset_time(&rw, L_CDATE, created + 86400 * 20, 1);
				rset(&rw, L_ISCONV, "true");
				rset(&rw, L_STATUS, "Closed - Converted");
				note(&nt, "converted-lead");
			} else {
				static const char *const st[] = {
					"Open - Not Contacted",
					"Working - Contacted",
					"Closed - Not Converted" };
				rset(&rw, L_ISCONV, "false");
				rset(&rw, L_STATUS, "%s", st[rbelow(&r, 3)]);
			}
			rset(&rw, L_UNREAD, "%s", rpm(&r, 100) ? "true" : "false");
			if (rpm(&r, 400))
				rset_time(&rw, L_LASTACT, ago(&r, 300), 1);
			{
				static const char *const src[] = { "Web",
					"Phone Inquiry", "Partner Referral",
					"Purchased List", "Trade Show", "Other" };
				rset(&rw, L_SOURCE, "%s", src[rbelow(&r, 6)]);
			}
			rset(&rw, L_OWNER, "%s", own);
			rset(&rw, L_PHONE, "%s", cv.phone);
			if (cv.title >= 0)
				rset(&rw, L_TITLE, "%s", gtitles[cv.title]);
			rset_time(&rw, L_MODIFIED, in_nov(&r, 26), 0);
			rset(&rw, L_DELETED, "%s", deleted ? "true" : "false");
			qrow(fl, rw.f, (int)N_(lead_cols));
			t->lead++;
			t->lead_del += deleted;
		} else {
			rset(&rw, CT_ID, "%s", id);
			if (acct >= 0) {
				sf_id("001", (uint64_t)acct, aid);
				rset(&rw, CT_ACC, "%s", aid);
			}
			rset_time(&rw, CT_CREATED, created, 0);
			if (rpm(&r, 600))
				rset(&rw, CT_DEPT, "%s", gdepartments[p.dept]);
			rset(&rw, CT_EMAIL, "%s", cv.email);
			rset(&rw, CT_FIRST, "%s", cv.first);
			if (rpm(&r, 400))
				rset_time(&rw, CT_LASTACT, ago(&r, 300), 1);
			rset(&rw, CT_LAST, "%s",
			     cv.last[0] ? cv.last : "[unknown]");
			rset_time(&rw, CT_MODIFIED, in_nov(&r, 26), 0);
			if (rpm(&r, 300)) {
				rset_time(&rw, CT_LASTVIEW, ago(&r, 90), 0);
				rw.f[CT_LASTREF] = rw.f[CT_LASTVIEW];
			}
			{
				static const char *const src[] = { "Web",
					"Phone Inquiry", "Partner Referral",
					"Purchased List", "Trade Show", "Other" };
				rset(&rw, CT_SOURCE, "%s", src[rbelow(&r, 6)]);
			}
			if (ci >= 0 && rpm(&r, 500))
				rset(&rw, CT_STREET, "%s", co.street);
			crm_place(p.country, p.city, &r, &rw, CT_CITY, CT_STATE,
				  CT_COUNTRY);
			rset(&rw, CT_NAME, "%s%s%s", cv.first, cv.first[0] ? " " : "",
			     cv.last[0] ? cv.last : "[unknown]");
			rset(&rw, CT_PHONE, "%s", cv.phone);
			if (cv.title >= 0)
				rset(&rw, CT_TITLE, "%s", gtitles[cv.title]);
			rset(&rw, CT_DELETED, "%s", deleted ? "true" : "false");
			qrow(fc, rw.f, (int)N_(contact_cols));
			t->contact++;
			t->contact_del += deleted;
		}
		if (k == K_ONLY)
			continue;

		/* the truth: the pair's noise from both sides */
		if (shown >= 0)
			company_make((uint64_t)shown, &dco);
		dir_view_final(pid, &p, shown >= 0 ? &dco : NULL, &dv);
		member_id(pid, mid, sizeof(mid));
		if (cv.script_native != dv.script_native &&
		    p.fentry[0] != '|')
			note(&nt, "script-differs");
		note_side(&nt, "crm-", cv.nt.s);
		note_side(&nt, "dir-", dv.nt.s);
		if (shown != ci)
			note(&nt, previous_company(pid, ci, shown) == ci ?
			     "moved-listed" : "moved");
		if (!cv.email_kind || !dv.email_kind) {
			note(&nt, "email-missing");
		} else if (dv.sha[0]) {
			char h[SHA256_HEX_LEN + 1];

			sha_hex(cv.email, h);
			note(&nt, strcmp(h, dv.sha) ? "email-differs" :
			     "email-hashed");
		} else {
			note(&nt, strcasecmp(cv.email, dv.email) ?
			     "email-differs" : "email-same");
		}
		if (cv.phone_kind == 1 && dv.phone_kind == 1)
			note(&nt, "phone-both");
		if (is_twin(pid))
			note(&nt, "namesake");
		{
			int kind = k == K_MATCH ? 0 : k == K_DUP ? 1 : 2;

			truth_row(truth, obj == O_LEAD ? "Lead" : "Contact",
				  id, mid, kind, nt.s, t);
			t->kind[kind]++;
		}
		/* the namesake of a matched profile is a trap */
		if (k == K_MATCH && is_twin(pid)) {
			member_id(pid ^ 1, mid, sizeof(mid));
			truth_row(truth, obj == O_LEAD ? "Lead" : "Contact",
				  id, mid, 3, "same-name-other-person", t);
			t->kind[3]++;
		}
	}
	xfclose(fl, "Lead.csv");
	xfclose(fc, "Contact.csv");
}

/* ---- writing the directory side -------------------------------------- */

/*
 * The directory files: staged-dialect CSV (quotes only where needed),
 * deflated at level 1 by a second thread while the main thread builds
 * rows.  The gzip header zlib writes has no name and mtime 0, and the
 * buffers are cut at the same rows every run, so the bytes depend only on
 * the content (and the zlib version), like `gzip -n`.  Level 1 rather
 * than csvw's 6: deflate is most of the cost at 10 M profiles.
 */
#define GZ_BUF (1 << 20)

struct gzw {
	FILE *fp;
	char path[4096];
	z_stream z;
	pthread_t th;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	char *buf[2];
	size_t len[2];
	int full[2];
	int cur, done, failed;
	unsigned char out[GZ_BUF];
};

static void gz_row(struct gzw *g, const struct row *rw, size_t n);

/* deflates `len` bytes (flush: Z_NO_FLUSH or Z_FINISH) into the file */
static void gz_deflate(struct gzw *g, const char *in, size_t len, int flush)
{
	int rc;

	g->z.next_in = (unsigned char *)(uintptr_t)in;
	g->z.avail_in = (unsigned)len;
	do {
		g->z.next_out = g->out;
		g->z.avail_out = sizeof(g->out);
		rc = deflate(&g->z, flush);
		if (rc == Z_STREAM_ERROR) {
			g->failed = 1;
			return;
		}
		if (fwrite(g->out, 1, sizeof(g->out) - g->z.avail_out, g->fp) !=
		    sizeof(g->out) - g->z.avail_out)
			g->failed = 1;
	} while (g->z.avail_out == 0 || (flush == Z_FINISH && rc != Z_STREAM_END));
}

static void *gz_worker(void *arg)
{
	struct gzw *g = arg;
	int i = 0;

	for (;;) {
		pthread_mutex_lock(&g->mu);
		while (!g->full[i] && !g->done)
			pthread_cond_wait(&g->cv, &g->mu);
		if (!g->full[i]) {
			pthread_mutex_unlock(&g->mu);
			return NULL;
		}
		pthread_mutex_unlock(&g->mu);
		gz_deflate(g, g->buf[i], g->len[i], Z_NO_FLUSH);
		pthread_mutex_lock(&g->mu);
		g->full[i] = 0;
		pthread_cond_broadcast(&g->cv);
		pthread_mutex_unlock(&g->mu);
		i ^= 1;
	}
}

static void gz_submit(struct gzw *g)
{
	pthread_mutex_lock(&g->mu);
	g->full[g->cur] = 1;
	pthread_cond_broadcast(&g->cv);
	while (g->full[g->cur ^ 1])
		pthread_cond_wait(&g->cv, &g->mu);
	pthread_mutex_unlock(&g->mu);
	g->cur ^= 1;
	g->len[g->cur] = 0;
}

static struct gzw *gz_open(const char *dir, const char *name,
			   const char *const *cols, size_t n)
{
	struct gzw *g = calloc(1, sizeof(*g));
	struct row rw;
	size_t i;

	if (!g)
		die("out of memory");
	fmt(g->path, sizeof(g->path), "%s/%s", dir, name);
	g->fp = fopen(g->path, "w");
	if (!g->fp)
		die("cannot create '%s': %s", g->path, strerror(errno));
	g->buf[0] = malloc(GZ_BUF);
	g->buf[1] = malloc(GZ_BUF);
	if (!g->buf[0] || !g->buf[1])
		die("out of memory");
	if (deflateInit2(&g->z, 1, Z_DEFLATED, 15 + 16, 8,
			 Z_DEFAULT_STRATEGY) != Z_OK)
		die("deflateInit2 failed");
	pthread_mutex_init(&g->mu, NULL);
	pthread_cond_init(&g->cv, NULL);
	if (pthread_create(&g->th, NULL, gz_worker, g))
		die("cannot start a thread");
	row_reset(&rw);
	for (i = 0; i < n; i++)
		rw.f[i] = cols[i];
	gz_row(g, &rw, n);
	return g;
}

/* one record, RFC 4180 quoting only where needed */
static void gz_row(struct gzw *g, const struct row *rw, size_t n)
{
	size_t i;
	char *o;

	if (g->len[g->cur] + 2 * ROWBUF + 64 > GZ_BUF)
		gz_submit(g);
	o = g->buf[g->cur] + g->len[g->cur];
	for (i = 0; i < n; i++) {
		const char *s = rw->f[i];

		if (i)
			*o++ = ',';
		if (strpbrk(s, ",\"\r\n")) {
			*o++ = '"';
			for (; *s; s++) {
				if (*s == '"')
					*o++ = '"';
				*o++ = *s;
			}
			*o++ = '"';
		} else {
			size_t l = strlen(s);

			memcpy(o, s, l);
			o += l;
		}
	}
	*o++ = '\n';
	g->len[g->cur] = (size_t)(o - g->buf[g->cur]);
}

static void gz_close(struct gzw *g)
{
	gz_submit(g);
	pthread_mutex_lock(&g->mu);
	g->done = 1;
	pthread_cond_broadcast(&g->cv);
	pthread_mutex_unlock(&g->mu);
	pthread_join(g->th, NULL);
	gz_deflate(g, "", 0, Z_FINISH);
	deflateEnd(&g->z);
	if (g->failed || ferror(g->fp) | fclose(g->fp))
		die("cannot write '%s'", g->path);
	free(g->buf[0]);
	free(g->buf[1]);
	pthread_mutex_destroy(&g->mu);
	pthread_cond_destroy(&g->cv);
	free(g);
}

static void write_pages(const char *dirdir, struct totals *t)
{
	struct gzw *w = gz_open(dirdir, "companies.csv.gz", company_cols,
				       N_(company_cols));
	struct row rw;
	struct company c;
	char buf[512], id[32], sl[160];
	uint64_t ci;

	for (ci = 0; ci < g_k; ci++) {
		struct rng r = rng_for(T_PAGEVIEW, ci);
		const struct gcountry *co;

		company_make(ci, &c);
		co = &gcountries[c.country];
		row_reset(&rw);
		page_id(ci, id, sizeof(id));
		rset(&rw, 0, "%s", id);
		if (rpm(&r, 300)) {
			char lf[48];

			legal_form(&c, (int)rbelow(&r, 3), lf, sizeof(lf));
			rset(&rw, 1, "%s%s%s", c.base, lf[0] ? " " : "", lf);
		} else {
			rset(&rw, 1, "%s", c.base);
		}
		if (rpm(&r, 900)) {
			website_text(&c, &r, 0, buf, sizeof(buf));
			rset(&rw, 2, "%s", buf);
		}
		if (rpm(&r, 500)) {
			phone_fmt(c.country, c.phone_area, c.phone_sub,
				  (int)rbelow(&r, 5), buf, sizeof(buf));
			rset(&rw, 3, "%s", buf);
		}
		part(gindustries[c.industry], 1, buf, sizeof(buf));
		rset(&rw, 4, "%s", buf);
		if (rpm(&r, 850))
			rset(&rw, 5, "%d", c.employees);
		if (rpm(&r, 600))
			rset(&rw, 6, "%s", c.street);
		part(co->cities[c.city], 0, buf, sizeof(buf));
		rset(&rw, 7, "%s", buf);
		part(co->cities[c.city], 2, buf, sizeof(buf));
		rset(&rw, 8, "%s", buf);
		if (rpm(&r, 700))
			rset(&rw, 9, "%s", c.postal);
		rset(&rw, 10, "%s", co->name_en);
		slug(c.base, sl, sizeof(sl), '-');
		rset(&rw, 11, "https://directory.example/company/%s-%s", sl,
		     id + 1);
		gz_row(w, &rw, N_(company_cols));
		t->page++;
	}
	gz_close(w);
}

static void write_members(const char *dirdir, struct totals *t)
{
	struct gzw *w = gz_open(dirdir, "members.csv.gz", member_cols,
				       N_(member_cols));
	struct row rw;
	uint64_t pid;
	time_t t0 = time(NULL), last = t0;

	for (pid = 0; pid < g_m; pid++) {
		struct person p;
		struct company co;
		struct view v;
		struct rng r = rng_for(T_DIR, pid ^ 0x77777);
		int64_t shown, prev;
		char id[32], buf[512], sf[96], sl2[128];
		const struct gcountry *cy;

		person_of(pid, &p, &shown);
		if (shown >= 0)
			company_make((uint64_t)shown, &co);
		dir_view_final(pid, &p, shown >= 0 ? &co : NULL, &v);
		row_reset(&rw);
		member_id(pid, id, sizeof(id));
		rset(&rw, 0, "%s", id);
		rset(&rw, 1, "%s", v.first);
		rset(&rw, 2, "%s", v.last);
		if (v.title >= 0)
			rset(&rw, 3, "%s", gtitles[v.title]);
		if (shown >= 0 && !rpm(&r, D_NO_COMPANY)) {
			rset(&rw, 4, "%s", shown_company(&co, &r, buf,
							 sizeof(buf)));
			if (co.has_page && !rpm(&r, D_NO_PAGEID)) {
				page_id(co.ci, buf, sizeof(buf));
				rset(&rw, 5, "%s", buf);
			}
		}
		rset(&rw, 6, "%s", v.email);
		rset(&rw, 7, "%s", v.sha);
		t->hashed += v.sha[0] != 0;
		rset(&rw, 8, "%s", v.phone);
		cy = &gcountries[p.country];
		if (v.city_shown) {
			part(cy->cities[p.city], 0, buf, sizeof(buf));
			rset(&rw, 9, "%s", buf);
			part(cy->cities[p.city], 2, buf, sizeof(buf));
			rset(&rw, 10, "%s", buf);
		}
		rset(&rw, 11, "%s", cy->name_en);
		{
			char f[64], l[96];

			part(p.fentry, 1, f, sizeof(f));
			part(p.lentry, 1, l, sizeof(l));
			gender_last(&p, l, sizeof(l));
			fmt(buf, sizeof(buf), "%s %s", f, l);
			slug(buf, sf, sizeof(sf), '-');
			fmt(sl2, sizeof(sl2), "%s", id + 1);
		}
		rset(&rw, 12, "https://directory.example/in/%s-%s", sf, sl2);
		prev = previous_company(pid, p.has_ci ? (int64_t)p.ci : -1,
					shown);
		if (prev >= 0) {
			struct rng rp = rng_for(T_PREVCO, pid ^ 0x5555);

			company_make((uint64_t)prev, &co);
			rset(&rw, 13, "%s", shown_company(&co, &rp, buf,
							  sizeof(buf)));
		}
		gz_row(w, &rw, N_(member_cols));
		t->member++;
		if ((pid & 0xffff) == 0 && time(NULL) - last >= 5) {
			last = time(NULL);
			fprintf(stderr, "gen_org: members %" PRIu64 "/%" PRIu64
				" (%lds)\n", pid, g_m, (long)(last - t0));
		}
	}
	gz_close(w);
}

/* ---- main ------------------------------------------------------------- */

static void usage(FILE *fp)
{
	fputs("usage: gen_org --crm N --profiles M [--seed S] --out DIR\n"
	      "  N  CRM people (Leads + Contacts), M  directory profiles\n"
	      "  accounts are N/10, company pages M/10\n", fp);
}

static uint64_t parse_n(const char *s, const char *what)
{
	char *end;
	unsigned long long v;
	double mult = 1;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (*end == 'k' || *end == 'K')
		mult = 1e3, end++;
	else if (*end == 'm' || *end == 'M')
		mult = 1e6, end++;
	if (errno || end == s || *end)
		die("bad %s '%s'", what, s);
	return (uint64_t)((double)v * mult);
}

static void mkdir_p(const char *path)
{
	if (mkdir(path, 0777) && errno != EEXIST)
		die("cannot create '%s': %s", path, strerror(errno));
}

int main(int argc, char **argv)
{
	const char *out = NULL;
	char orgdir[4096], dirdir[4096], path[4096];
	struct totals t;
	FILE *truth;
	int i;
	size_t j;
	time_t t0 = time(NULL);

	g_seed = 1;
	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			usage(stdout);
			return 0;
		}
		if (i + 1 >= argc) {
			usage(stderr);
			return 2;
		}
		if (!strcmp(argv[i], "--crm"))
			g_n = parse_n(argv[++i], "--crm");
		else if (!strcmp(argv[i], "--profiles"))
			g_m = parse_n(argv[++i], "--profiles");
		else if (!strcmp(argv[i], "--seed"))
			g_seed = parse_n(argv[++i], "--seed");
		else if (!strcmp(argv[i], "--out"))
			out = argv[++i];
		else {
			usage(stderr);
			return 2;
		}
	}
	if (!out || !g_n || !g_m) {
		usage(stderr);
		return 2;
	}
	if (g_n > 100000000ULL || g_m > 1000000000ULL)
		die("sizes too large");
	g_a = g_n / 10 ? g_n / 10 : 1;
	g_k = g_m / 10 ? g_m / 10 : 1;
	if (g_m < g_n)
		fprintf(stderr, "gen_org: warning: fewer profiles than CRM "
			"people: slots past %" PRIu64 " have no profile\n", g_m);
	tables_init();
	perm_init(&pm_link, g_m, 1);
	perm_init(&pm_acct, g_k, 2);
	perm_init(&pm_mid, g_m, 3);
	perm_init(&pm_cid, g_k, 4);

	mkdir_p(out);
	fmt(orgdir, sizeof(orgdir), "%s/org", out);
	fmt(dirdir, sizeof(dirdir), "%s/directory", out);
	mkdir_p(orgdir);
	mkdir_p(dirdir);
	memset(&t, 0, sizeof(t));

	fmt(path, sizeof(path), "%s/truth.csv", out);
	truth = fopen(path, "w");
	if (!truth)
		die("cannot create '%s': %s", path, strerror(errno));
	setvbuf(truth, NULL, _IOFBF, 1 << 20);
	fputs("CrmObject,CrmId,TargetId,Kind,Notes\n", truth);
	write_accounts(orgdir, truth, &t);
	write_people(orgdir, truth, &t);
	xfclose(truth, "truth.csv");
	for (j = 0; j < N_(other_headers); j++) {
		FILE *fp = xfopen(orgdir, other_headers[j][0]);

		fputs(other_headers[j][1], fp);
		xfclose(fp, other_headers[j][0]);
	}
	write_pages(dirdir, &t);
	write_members(dirdir, &t);

	fprintf(stderr,
		"gen_org: seed %" PRIu64 " -> %s (%lds)\n"
		"  Lead     %10" PRIu64 " (%" PRIu64 " deleted)\n"
		"  Contact  %10" PRIu64 " (%" PRIu64 " deleted)\n"
		"  Account  %10" PRIu64 " (%" PRIu64 " deleted)\n"
		"  members  %10" PRIu64 " (%" PRIu64 " with EmailSha256)\n"
		"  pages    %10" PRIu64 "\n"
		"  truth    %10" PRIu64 " rows: people match %" PRIu64
		" duplicate %" PRIu64 " deleted %" PRIu64 " nonmatch %" PRIu64
		"; accounts match %" PRIu64 " duplicate %" PRIu64
		" deleted %" PRIu64 " nonmatch %" PRIu64 "\n",
		g_seed, out, (long)(time(NULL) - t0), t.lead, t.lead_del,
		t.contact, t.contact_del, t.account, t.account_del, t.member,
		t.hashed, t.page, t.truth, t.kind[0], t.kind[1], t.kind[2],
		t.kind[3], t.acc_kind[0], t.acc_kind[1], t.acc_kind[2],
		t.acc_kind[3]);
	return 0;
}
