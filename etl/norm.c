/*
 * norm.c - normalisation of names, companies, emails, phones, websites
 * and countries for the match stage (see norm.h for the rules).
 *
 * Folding has an ASCII fast path (most CRM values are plain ASCII) and
 * otherwise hands the string to utf8proc_map_custom() for NFKC + case
 * fold + mark stripping, then walks the result by code point category.
 *
 * The tables of data/ are compiled in (build/gen/data_embed.c) and read
 * once into open-addressing string maps on first use (pthread_once);
 * their memory lives until the process exits.  Table keys are folded with
 * the same functions as the values looked up, so the data files may spell
 * entries any way ("S.A.", "España").
 */
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <utf8proc.h>

#include "crypto.h"
#include "embed.h"
#include "norm.h"
#include "xalloc.h"

/* ---- string maps ---- */

struct smap_ent {
	char *key;      /* NULL: free slot */
	uint64_t hash;
	const void *val;
};

struct smap {
	size_t cap, n;  /* cap: power of two, at most half full */
	struct smap_ent *ent;
};

static uint64_t hash_str(const char *s)
{
	uint64_t h = 0xcbf29ce484222325ULL;

	while (*s)
		h = (h ^ (unsigned char)*s++) * 0x100000001b3ULL;
	return h;
}

static void smap_insert(struct smap *m, char *key, uint64_t h,
			const void *val)
{
	size_t i = h & (m->cap - 1);

	while (m->ent[i].key)
		i = (i + 1) & (m->cap - 1);
	m->ent[i].key = key;
	m->ent[i].hash = h;
	m->ent[i].val = val;
	m->n++;
}

/*
 * Adds `key` -> `val` (the key is copied).  With `multi`, one key may
 * hold several values (a pair already present is not added again);
 * without, the first value added for a key stays.  Can't fail.
 */
static void smap_add(struct smap *m, const char *key, const void *val,
		     int multi)
{
	uint64_t h = hash_str(key);

	if (!*key)
		return;
	if ((m->n + 1) * 2 > m->cap) {
		struct smap old = *m;

		m->cap = old.cap ? old.cap * 2 : 64;
		m->n = 0;
		m->ent = xcalloc(m->cap, sizeof(*m->ent));
		for (size_t i = 0; i < old.cap; i++)
			if (old.ent[i].key)
				smap_insert(m, old.ent[i].key, old.ent[i].hash,
					    old.ent[i].val);
		free(old.ent);
	}
	for (size_t i = h & (m->cap - 1); m->ent[i].key;
	     i = (i + 1) & (m->cap - 1)) {
		if (m->ent[i].hash != h || strcmp(m->ent[i].key, key))
			continue;
		if (!multi || m->ent[i].val == val)
			return;
	}
	smap_insert(m, xstrdup(key), h, val);
}

/*
 * Up to `max` values of `key` in the order they were added; returns how
 * many.  Can't fail.
 */
static size_t smap_get_all(const struct smap *m, const char *key,
			   const void **out, size_t max)
{
	uint64_t h;
	size_t n = 0;

	if (!m->cap)
		return 0;
	h = hash_str(key);
	for (size_t i = h & (m->cap - 1); m->ent[i].key && n < max;
	     i = (i + 1) & (m->cap - 1))
		if (m->ent[i].hash == h && !strcmp(m->ent[i].key, key))
			out[n++] = m->ent[i].val;
	return n;
}

/* The first value of `key`, or NULL. */
static const void *smap_get(const struct smap *m, const char *key)
{
	const void *v = NULL;

	smap_get_all(m, key, &v, 1);
	return v;
}

/* ---- folding ---- */

/* `len` cut to at most `max` bytes, not inside a UTF-8 sequence. */
static size_t cut_utf8(const char *s, size_t len, size_t max)
{
	if (len <= max)
		return len;
	len = max;
	while (len && ((unsigned char)s[len] & 0xc0) == 0x80)
		len--;
	return len;
}

struct folder {
	struct strbuf *out;
	int space;     /* a separator is pending */
	int full;      /* NORM_MAX_OUT reached */
};

static void emit(struct folder *f, const char *p, size_t n)
{
	if (f->full)
		return;
	if (f->out->len + n + (f->space && f->out->len) > NORM_MAX_OUT) {
		f->full = 1;
		return;
	}
	if (f->space && f->out->len)
		strbuf_addch(f->out, ' ');
	f->space = 0;
	strbuf_add(f->out, p, n);
}

static int is_apostrophe(utf8proc_int32_t c)
{
	return c == '\'' || c == '`' || c == 0xb4 || c == 0x2018 ||
	       c == 0x2019 || c == 0x02bc || c == 0x02b9 || c == 0xff07;
}

/* Apostrophes to ASCII before NFKC splits U+00B4 into space + mark. */
static utf8proc_int32_t pre_map(utf8proc_int32_t c, void *data)
{
	(void)data;
	return is_apostrophe(c) ? '\'' : c;
}

/* Latin letters with no separable accent, as ASCII systems spell them
 * (after case folding); NULL for the rest. */
static const char *latin_extra(utf8proc_int32_t c)
{
	switch (c) {
	case 0x131: return "i";   /* dotless i */
	case 0xf8: return "o";    /* ø */
	case 0xe6: return "ae";   /* æ */
	case 0x153: return "oe";  /* œ */
	case 0x142: return "l";   /* ł */
	case 0x111: return "d";   /* đ */
	case 0xf0: return "d";    /* ð */
	case 0xfe: return "th";   /* þ */
	case 0x127: return "h";   /* ħ */
	default: return NULL;
	}
}

/* emit() of the `n` single characters at `p`, one after the other: at
 * once when they all fit, else character by character up to the limit,
 * as emit() would have kept them. */
static void emit_chars(struct folder *f, const char *p, size_t n)
{
	if (!n || f->full)
		return;
	if (f->out->len + n + (f->space && f->out->len) <= NORM_MAX_OUT) {
		emit(f, p, n);
		return;
	}
	for (size_t k = 0; k < n && !f->full; k++)
		emit(f, p + k, 1);
}

/*
 * Folds ASCII text: letters lower-cased, digits kept, apostrophes
 * dropped (O'Brien is obrien), '&' read as "and" when `amp`, anything
 * else a word separator.  The letters and digits between separators
 * go out as one run (a character at a time, a company name cost more
 * in strbuf_add() calls than in folding).
 */
static void fold_ascii(struct folder *f, const char *s, size_t len, int amp)
{
	char run[64];
	size_t n = 0;

	for (size_t i = 0; i < len; i++) {
		char c = s[i];

		if (c >= 'A' && c <= 'Z')
			c = (char)(c - 'A' + 'a');
		if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) {
			if (n == sizeof(run)) {
				emit_chars(f, run, n);
				n = 0;
			}
			run[n++] = c;
			continue;
		}
		if (c == '\'' || c == '`')
			continue;
		emit_chars(f, run, n);
		n = 0;
		if (c == '&' && amp) {
			f->space = 1;
			emit(f, "and", 3);
		}
		f->space = 1;
	}
	emit_chars(f, run, n);
}

static int all_ascii(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)s[i] >= 0x80)
			return 0;
	return 1;
}

/* A copy of `s` with malformed UTF-8 sequences turned into spaces. */
static char *repair_utf8(const char *s, size_t len)
{
	char *r = xmalloc(len + 1);
	size_t i = 0;

	while (i < len) {
		utf8proc_int32_t c;
		utf8proc_ssize_t n = utf8proc_iterate(
			(const utf8proc_uint8_t *)s + i,
			(utf8proc_ssize_t)(len - i), &c);

		if (n <= 0) {
			r[i++] = ' ';
			continue;
		}
		memcpy(r + i, s + i, (size_t)n);
		i += (size_t)n;
	}
	r[len] = '\0';
	return r;
}

static void fold_to(struct strbuf *out, const char *s, size_t len, int amp)
{
	struct folder f = { out, 0, 0 };
	utf8proc_uint8_t *m = NULL;
	utf8proc_ssize_t n, i;
	const int opts = UTF8PROC_STABLE | UTF8PROC_COMPAT |
			 UTF8PROC_COMPOSE | UTF8PROC_CASEFOLD |
			 UTF8PROC_STRIPMARK | UTF8PROC_LUMP |
			 UTF8PROC_IGNORE;

	strbuf_reset(out);
	len = cut_utf8(s, len, NORM_MAX_IN);
	if (all_ascii(s, len)) {
		fold_ascii(&f, s, len, amp);
		return;
	}
	n = utf8proc_map_custom((const utf8proc_uint8_t *)s,
				(utf8proc_ssize_t)len, &m, opts, pre_map,
				NULL);
	if (n < 0) {
		char *r = repair_utf8(s, len);

		n = utf8proc_map_custom((const utf8proc_uint8_t *)r,
					(utf8proc_ssize_t)len, &m, opts,
					pre_map, NULL);
		free(r);
		if (n < 0)
			return; /* out of memory inside utf8proc */
	}
	for (i = 0; i < n;) {
		utf8proc_int32_t c;
		utf8proc_ssize_t k = utf8proc_iterate(m + i, n - i, &c);
		const char *x;

		if (k <= 0)
			break;
		if (c < 0x80) {
			fold_ascii(&f, (const char *)m + i, 1, amp);
		} else if ((x = latin_extra(c))) {
			emit(&f, x, strlen(x));
		} else {
			switch (utf8proc_category(c)) {
			case UTF8PROC_CATEGORY_LU:
			case UTF8PROC_CATEGORY_LL:
			case UTF8PROC_CATEGORY_LT:
			case UTF8PROC_CATEGORY_LM:
			case UTF8PROC_CATEGORY_LO:
			case UTF8PROC_CATEGORY_ND:
			case UTF8PROC_CATEGORY_NL:
			case UTF8PROC_CATEGORY_NO:
				emit(&f, (const char *)m + i, (size_t)k);
				break;
			default:
				if (!is_apostrophe(c))
					f.space = 1;
			}
		}
		i += k;
	}
	free(m);
}

void norm_fold(struct strbuf *out, const char *s, size_t len)
{
	fold_to(out, s, len, 0);
}

/* ---- tables ---- */

struct country {
	char iso2[3], iso3[4];
	char cc[4];     /* calling code */
	char trunk[3];  /* national trunk prefix, may be empty */
};

/* Company-name phrases (legal forms, noise words), and the last word of
 * each: a name whose last word ends none is spared the look-ups of its
 * longer tails. */
struct phrases {
	struct smap all, last;
};

static struct {
	struct smap nick;      /* first name -> canonical (multi) */
	struct smap city;      /* city name -> the name kept */
	struct phrases legal;  /* folded legal forms */
	size_t legal_words;    /* most words in one legal form */
	struct phrases noise;
	struct smap personal;  /* exact domains */
	struct smap personal_wild; /* "yahoo" of "yahoo.*" */
	struct smap psl;       /* multi-label public suffixes */
	struct smap country;   /* folded name/code -> struct country */
	struct smap calling;   /* calling code -> first struct country */
	struct country *countries;
	size_t ncountries;
} T;

static pthread_once_t tables_once = PTHREAD_ONCE_INIT;

static const char *data_file(const char *path, size_t *len)
{
	for (size_t i = 0; i < embedded_data_count; i++)
		if (!strcmp(embedded_data[i].path, path)) {
			*len = embedded_data[i].len;
			return embedded_data[i].data;
		}
	*len = 0;
	return "";
}

/*
 * Calls `fn` on each line of the embedded file `path` that is neither
 * blank nor a "#" comment, without its newline (and CR).
 */
static void each_line(const char *path,
		      void (*fn)(const char *line, size_t len, void *arg),
		      void *arg)
{
	size_t len;
	const char *p = data_file(path, &len), *end = p + len;

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);

		if (n && p[n - 1] == '\r')
			n--;
		if (n && p[0] != '#')
			fn(p, n, arg);
		p += n + 1;
		if (nl)
			p = nl + 1;
	}
}

/* "canonical,alias,..." tables (nicknames.csv, city_aliases.csv) into
 * the map `arg`, pass 1: each canonical name maps to itself first. */
static void alias_canon(const char *line, size_t len, void *arg)
{
	struct strbuf sb = STRBUF_INIT;
	const char *comma = memchr(line, ',', len);

	norm_fold(&sb, line, comma ? (size_t)(comma - line) : len);
	if (sb.len) {
		/* the value outlives `sb`: the key is copied, not this */
		char *canon = xstrdup(sb.buf);

		smap_add(arg, canon, canon, 1);
	}
	strbuf_release(&sb);
}

/* Pass 2: the aliases. */
static void alias_names(const char *line, size_t len, void *arg)
{
	struct strbuf sb = STRBUF_INIT;
	const char *end = line + len, *p = memchr(line, ',', len), *canon;

	if (!p)
		return;
	norm_fold(&sb, line, (size_t)(p - line));
	canon = smap_get(arg, sb.buf);
	while (canon && p < end) {
		const char *q;

		p++;
		q = memchr(p, ',', (size_t)(end - p));

		if (!q)
			q = end;
		norm_fold(&sb, p, (size_t)(q - p));
		if (sb.len && strcmp(sb.buf, canon) != 0)
			smap_add(arg, sb.buf, canon, 1);
		p = q;
	}
	strbuf_release(&sb);
}

/* One folded company-name phrase per line into the struct phrases
 * `arg`. */
static void add_phrase(const char *line, size_t len, void *arg)
{
	struct phrases *set = arg;
	struct strbuf sb = STRBUF_INIT;
	size_t words = 1;

	fold_to(&sb, line, len, 1);
	for (size_t i = 0; i < sb.len; i++)
		words += sb.buf[i] == ' ';
	if (sb.len) {
		const char *last = strrchr(sb.buf, ' ');

		smap_add(&set->all, sb.buf, "", 0);
		smap_add(&set->last, last ? last + 1 : sb.buf, "", 0);
		if (words > T.legal_words)
			T.legal_words = words;
	}
	strbuf_release(&sb);
}

/* A line as it is, lower case, into the set `arg`. */
static void add_lower(const char *line, size_t len, void *arg)
{
	char buf[NORM_DOMAIN_MAX + 1];

	if (len > NORM_DOMAIN_MAX)
		return;
	for (size_t i = 0; i < len; i++)
		buf[i] = (line[i] >= 'A' && line[i] <= 'Z') ?
			 (char)(line[i] - 'A' + 'a') : line[i];
	buf[len] = '\0';
	if (len > 2 && !strcmp(buf + len - 2, ".*")) {
		buf[len - 2] = '\0';
		smap_add(&T.personal_wild, buf, "", 0);
	} else {
		smap_add(arg, buf, "", 0);
	}
}

static void copy_field(char *dst, size_t size, const char *p, size_t n)
{
	if (n >= size)
		n = size - 1;
	memcpy(dst, p, n);
	dst[n] = '\0';
}

/* countries.csv: iso2,iso3,calling_code,trunk,name|name|... */
static void add_country(const char *line, size_t len, void *arg)
{
	const char *end = line + len, *f[5], *p = line;
	struct country *c;
	struct strbuf sb = STRBUF_INIT;
	size_t nf = 0;

	(void)arg;
	while (nf < 4) {
		const char *q = memchr(p, ',', (size_t)(end - p));

		if (!q)
			return;
		f[nf++] = p;
		p = q + 1;
	}
	f[4] = p;
	c = &T.countries[T.ncountries++];
	copy_field(c->iso2, sizeof(c->iso2), f[0], (size_t)(f[1] - f[0] - 1));
	copy_field(c->iso3, sizeof(c->iso3), f[1], (size_t)(f[2] - f[1] - 1));
	copy_field(c->cc, sizeof(c->cc), f[2], (size_t)(f[3] - f[2] - 1));
	copy_field(c->trunk, sizeof(c->trunk), f[3],
		   (size_t)(f[4] - f[3] - 1));
	norm_fold(&sb, c->iso2, strlen(c->iso2));
	smap_add(&T.country, sb.buf, c, 0);
	norm_fold(&sb, c->iso3, strlen(c->iso3));
	smap_add(&T.country, sb.buf, c, 0);
	smap_add(&T.calling, c->cc, c, 0);
	for (p = f[4]; p < end;) {
		const char *q = memchr(p, '|', (size_t)(end - p));

		if (!q)
			q = end;
		norm_fold(&sb, p, (size_t)(q - p));
		smap_add(&T.country, sb.buf, c, 0);
		p = q + 1;
	}
	strbuf_release(&sb);
}

static void count_line(const char *line, size_t len, void *arg)
{
	(void)line;
	(void)len;
	(*(size_t *)arg)++;
}

static void load_tables(void)
{
	size_t n = 0;

	each_line("data/nicknames.csv", alias_canon, &T.nick);
	each_line("data/nicknames.csv", alias_names, &T.nick);
	each_line("data/city_aliases.csv", alias_canon, &T.city);
	each_line("data/city_aliases.csv", alias_names, &T.city);
	each_line("data/legal_forms.txt", add_phrase, &T.legal);
	each_line("data/noise_words.txt", add_phrase, &T.noise);
	each_line("data/personal_email_domains.txt", add_lower, &T.personal);
	each_line("data/public_suffixes.txt", add_lower, &T.psl);
	each_line("data/countries.csv", count_line, &n);
	T.countries = xcalloc(n ? n : 1, sizeof(*T.countries));
	each_line("data/countries.csv", add_country, NULL);
}

static void tables(void)
{
	pthread_once(&tables_once, load_tables);
}

/* ---- names and companies ---- */

const char *norm_city(const char *city)
{
	const char *canon;

	tables();
	canon = smap_get(&T.city, city);
	return canon ? canon : city;
}

const char *norm_nickname(const char *first)
{
	const char *r = first;

	norm_nickname_all(first, &r, 1);
	return r;
}

size_t norm_nickname_all(const char *first, const char **out, size_t max)
{
	char word[64];
	const char *sp = strchr(first, ' ');
	size_t n = sp ? (size_t)(sp - first) : strlen(first);

	if (!max)
		return 0;
	tables();
	if (n >= sizeof(word)) {
		out[0] = first;
		return 1;
	}
	memcpy(word, first, n);
	word[n] = '\0';
	n = smap_get_all(&T.nick, word, (const void **)out, max);
	if (!n) {
		out[0] = first;
		n = 1;
	}
	return n;
}

/*
 * Removes the longest run of trailing words of `sb` that is in `set`,
 * leaving at least one word; returns 1 when it removed something.
 */
static int strip_tail(struct strbuf *sb, const struct phrases *set)
{
	size_t start[16], nw = 0;

	for (size_t i = sb->len; i > 0 && nw < T.legal_words &&
	     nw < sizeof(start) / sizeof(*start); i--)
		if (sb->buf[i - 1] == ' ')
			start[nw++] = i;
	if (!nw || !smap_get(&set->last, sb->buf + start[0]))
		return 0;
	/* start[k-1]: offset of the last k words; the first word stays */
	for (size_t k = nw; k > 0; k--)
		if (smap_get(&set->all, sb->buf + start[k - 1])) {
			strbuf_setlen(sb, start[k - 1] - 1);
			return 1;
		}
	return 0;
}

void norm_company(struct strbuf *out, const char *s, size_t len)
{
	tables();
	fold_to(out, s, len, 1);
	if (out->len > 4 && !memcmp(out->buf, "the ", 4)) {
		memmove(out->buf, out->buf + 4, out->len - 4);
		strbuf_setlen(out, out->len - 4);
	}
	while (strip_tail(out, &T.legal) || strip_tail(out, &T.noise))
		;
}

/* ---- domains ---- */

/*
 * The registrable domain of a clean lower-case host (labels of
 * [a-z0-9-] or UTF-8), or NULL when the host is a public suffix or has
 * a single label.
 */
static const char *registrable(const char *host)
{
	const char *prev = NULL, *p = host;

	tables();
	if (smap_get(&T.psl, host))
		return NULL;
	for (;;) {
		if (prev && smap_get(&T.psl, p))
			return prev;
		prev = p;
		p = strchr(p, '.');
		if (!p)
			break;
		p++;
	}
	/* no listed suffix: the top-level label is one */
	p = strrchr(host, '.');
	if (!p)
		return NULL;
	while (p > host && p[-1] != '.')
		p--;
	return p;
}

static int host_char(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
	       c == '-' || c == '.' || c >= 0x80;
}

int norm_domain(const char *s, size_t len, char out[NORM_DOMAIN_MAX + 1])
{
	char host[NORM_DOMAIN_MAX + 1];
	const char *end, *p, *r;
	size_t n = 0;
	int digits_only = 1;

	out[0] = '\0';
	while (len && (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r'))
		s++, len--;
	end = s + len;
	for (p = s; p < end && p - s < 16; p++)
		if (p + 2 < end && p[0] == ':' && p[1] == '/' && p[2] == '/') {
			s = p + 3;
			break;
		}
	for (p = s; p < end && *p && *p != '/' && *p != '?' && *p != '#';
	     p++)
		if (*p == '@')
			s = p + 1; /* user info */
	end = p;
	for (p = s; p < end && *p != ':'; p++) {
		unsigned char c = (unsigned char)*p;

		if (c == ' ' || c == '\t' || c == '\r' || c == '\n')
			break; /* trailing words: "acme.com (old)" */
		if (c >= 'A' && c <= 'Z')
			c = (unsigned char)(c - 'A' + 'a');
		if (!host_char(c) || n >= NORM_DOMAIN_MAX)
			return -1;
		if (c != '.' && (c < '0' || c > '9'))
			digits_only = 0;
		host[n++] = (char)c;
	}
	while (n && host[n - 1] == '.')
		n--;
	host[n] = '\0';
	if (!n || digits_only || host[0] == '.' || strstr(host, "..") ||
	    !strchr(host, '.'))
		return -1;
	r = registrable(host);
	if (!r)
		return -1;
	strcpy(out, r);
	return 0;
}

/* ---- emails ---- */

/* A character an address's local part may hold unquoted (a switch, not
 * strchr(): it runs on every character of ten million addresses). */
static int local_char(unsigned char c)
{
	switch (c) {
	case '(': case ')': case '<': case '>': case '[': case ']':
	case ':': case ';': case ',': case '\\': case '"': case '@':
	case 0x7f:
		return 0;
	default:
		return c > ' ';
	}
}

int norm_email_personal(const char *domain)
{
	char buf[NORM_DOMAIN_MAX + 1];
	const char *p, *r;

	if (norm_domain(domain, strlen(domain), buf) < 0)
		return 0;
	tables();
	/* the domain itself or a parent: mail.yahoo.com, web.de */
	for (p = domain; p; p = strchr(p, '.'), p = p ? p + 1 : NULL) {
		char low[NORM_DOMAIN_MAX + 1];
		size_t n = strlen(p);

		if (n > NORM_DOMAIN_MAX)
			continue;
		for (size_t i = 0; i <= n; i++)
			low[i] = (p[i] >= 'A' && p[i] <= 'Z') ?
				 (char)(p[i] - 'A' + 'a') : p[i];
		if (smap_get(&T.personal, low))
			return 1;
	}
	/* "yahoo.*": the registrable domain's first label */
	r = strchr(buf, '.');
	if (!r)
		return 0;
	buf[r - buf] = '\0';
	return smap_get(&T.personal_wild, buf) != NULL;
}

int norm_email(const char *s, size_t len, struct norm_email *e)
{
	const char *end, *at = NULL, *lt;
	size_t n = 0, llen, i;
	char *a = e->addr;

	memset(e, 0, sizeof(*e));
	end = s + len;
	while (s < end && (*s == ' ' || *s == '\t' || *s == '\r' ||
			   *s == '\n'))
		s++;
	while (end > s && (end[-1] == ' ' || end[-1] == '\t' ||
			   end[-1] == '\r' || end[-1] == '\n'))
		end--;
	if (end > s && end[-1] == '>') {
		/* "Name <addr>" or "<addr>" */
		lt = NULL;
		for (const char *p = s; p < end; p++)
			if (*p == '<')
				lt = p;
		if (!lt)
			return -1;
		s = lt + 1;
		end--;
	}
	if (end - s > 7 && !strncasecmp(s, "mailto:", 7))
		s += 7;
	if (end - s > NORM_EMAIL_MAX || end == s)
		return -1;
	for (const char *p = s; p < end; p++)
		if (*p == '@') {
			if (at)
				return -1;
			at = p;
		}
	if (!at || at == s || at + 1 == end || at - s > 64)
		return -1;
	/* local part: lower case, "+tag" dropped */
	for (const char *p = s; p < at; p++) {
		unsigned char c = (unsigned char)*p;

		if (!local_char(c))
			goto bad;
		if (c == '+' && n)
			break;
		a[n++] = (char)((c >= 'A' && c <= 'Z') ? c - 'A' + 'a' : c);
	}
	llen = n;
	a[n++] = '@';
	for (const char *p = at + 1; p < end; p++) {
		unsigned char c = (unsigned char)*p;

		if (c >= 'A' && c <= 'Z')
			c = (unsigned char)(c - 'A' + 'a');
		if (!host_char(c))
			goto bad;
		a[n++] = (char)c;
	}
	while (a[n - 1] == '.')
		n--;
	a[n] = '\0';
	if (!strchr(a + llen + 1, '.') || a[llen + 1] == '.' ||
	    strstr(a + llen + 1, ".."))
		goto bad;
	if (!strcmp(a + llen + 1, "gmail.com") ||
	    !strcmp(a + llen + 1, "googlemail.com")) {
		size_t k = 0;

		for (i = 0; i < llen; i++)
			if (a[i] != '.')
				a[k++] = a[i];
		if (!k)
			goto bad;
		llen = k;
		strcpy(a + k, "@gmail.com");
		n = k + strlen("@gmail.com");
	}
	e->len = n;
	e->local_len = llen;
	e->personal = norm_email_personal(a + llen + 1);
	return 0;
bad:
	memset(e, 0, sizeof(*e));
	return -1;
}

int norm_email_sha256(const char *s, size_t len, char hex[65])
{
	char buf[NORM_MAX_IN];
	size_t n = 0;

	hex[0] = '\0';
	while (len && (*s == ' ' || *s == '\t' || *s == '\r' || *s == '\n'))
		s++, len--;
	while (len && (s[len - 1] == ' ' || s[len - 1] == '\t' ||
		       s[len - 1] == '\r' || s[len - 1] == '\n'))
		len--;
	if (!len || len > sizeof(buf) || !memchr(s, '@', len))
		return -1;
	for (; n < len; n++)
		buf[n] = (s[n] >= 'A' && s[n] <= 'Z') ?
			 (char)(s[n] - 'A' + 'a') : s[n];
	sha256_hex(buf, n, hex);
	return 0;
}

/* ---- countries ---- */

static const struct country *country_find(const char *s, size_t len)
{
	struct strbuf sb = STRBUF_INIT;
	const struct country *c;

	tables();
	norm_fold(&sb, s, len);
	c = sb.len ? smap_get(&T.country, sb.buf) : NULL;
	strbuf_release(&sb);
	return c;
}

const char *norm_country(const char *s, size_t len)
{
	const struct country *c = country_find(s, len);

	return c ? c->iso2 : NULL;
}

const char *norm_country_calling_code(const char *iso2)
{
	const struct country *c = country_find(iso2, strlen(iso2));

	return c ? c->cc : NULL;
}

/* ---- phones ---- */

static int starts(const char *d, size_t n, const char *prefix)
{
	size_t k = strlen(prefix);

	return n >= k && !memcmp(d, prefix, k);
}

/* 1 when the letters at `p` start an extension marker. */
static int extension_word(const char *p, const char *end)
{
	static const char *const words[] = {
		"extension", "ext", "x", "poste", "durchwahl", "dw",
	};

	for (size_t i = 0; i < sizeof(words) / sizeof(*words); i++) {
		size_t k = strlen(words[i]);

		if ((size_t)(end - p) >= k && !strncasecmp(p, words[i], k) &&
		    (p + k == end || !((p[k] | 0x20) >= 'a' &&
				       (p[k] | 0x20) <= 'z')))
			return 1;
	}
	return 0;
}

/* What a phone number may hold between its digits: spaces, dots,
 * dashes, slashes, brackets (a switch, not strchr(): every character of
 * millions of numbers goes through it). */
static int phone_separator(unsigned char c)
{
	switch (c) {
	case ' ': case '\t': case '\r': case '\n': case '.': case '-':
	case '/': case '(': case ')':
		return 1;
	default:
		return 0;
	}
}

int norm_phone(const char *s, size_t len, const char *country,
	       char out[NORM_PHONE_MAX + 1])
{
	char d[NORM_PHONE_MAX + 8];
	const char *end, *p;
	const struct country *c = NULL, *home = NULL;
	size_t nd = 0, cut = 0;
	int plus = 0, intl = 0;

	out[0] = '\0';
	len = cut_utf8(s, len, NORM_MAX_IN);
	end = s + len;
	if (len > 4 && !strncasecmp(s, "tel:", 4))
		s += 4;
	for (p = s; p < end;) {
		unsigned char ch = (unsigned char)*p;
		utf8proc_int32_t cp;
		utf8proc_ssize_t k;

		if (ch >= '0' && ch <= '9') {
			if (nd >= sizeof(d))
				return -1;
			d[nd++] = (char)ch;
			p++;
			continue;
		}
		if (ch == '+') {
			if (nd || plus)
				return -1;
			plus = 1;
			p++;
			continue;
		}
		if (ch == '(' && end - p >= 3 && p[1] == '0' && p[2] == ')' &&
		    (plus || nd)) {
			p += 3; /* "+44 (0)20": the trunk 0 in brackets */
			continue;
		}
		if (phone_separator(ch)) {
			p++;
			continue;
		}
		if (nd >= 6 && (ch == '#' || ch == ',' || ch == ';' ||
				(((ch | 0x20) >= 'a' && (ch | 0x20) <= 'z') &&
				 extension_word(p, end))))
			break; /* an extension or a second number */
		if (ch < 0x80)
			return -1;
		k = utf8proc_iterate((const utf8proc_uint8_t *)p, end - p, &cp);
		if (k <= 0)
			return -1;
		if (cp >= 0xff10 && cp <= 0xff19) {
			if (nd >= sizeof(d))
				return -1;
			d[nd++] = (char)('0' + cp - 0xff10);
		} else if (cp == 0xff0b && !nd && !plus) {
			plus = 1;
		} else {
			switch (utf8proc_category(cp)) {
			case UTF8PROC_CATEGORY_ZS:
			case UTF8PROC_CATEGORY_PD:
			case UTF8PROC_CATEGORY_PS:
			case UTF8PROC_CATEGORY_PE:
			case UTF8PROC_CATEGORY_CF:
				break;
			default:
				return -1;
			}
		}
		p += k;
	}
	if (!nd)
		return -1;
	if (country && *country)
		home = country_find(country, strlen(country));
	if (plus) {
		intl = 1;
	} else if (home && !strcmp(home->cc, "1") && starts(d, nd, "011")) {
		intl = 1, cut = 3;
	} else if (home && !strcmp(home->iso2, "AU") &&
		   starts(d, nd, "0011")) {
		intl = 1, cut = 4;
	} else if (home && !strcmp(home->iso2, "JP") && starts(d, nd, "010")) {
		intl = 1, cut = 3;
	} else if (starts(d, nd, "00")) {
		intl = 1, cut = 2;
	} else if (!home && starts(d, nd, "011")) {
		intl = 1, cut = 3;
	}
	if (intl) {
		char cc[4];

		tables();
		for (size_t k = 1; k <= 3 && !c; k++) {
			if (cut + k >= nd)
				return -1;
			memcpy(cc, d + cut, k);
			cc[k] = '\0';
			c = smap_get(&T.calling, cc);
			if (c)
				cut += k;
		}
		if (!c)
			return -1;
		if (!strcmp(c->trunk, "0") && cut < nd && d[cut] == '0')
			cut++; /* "+44 020 ...": a trunk 0 kept by mistake */
	} else if (home) {
		size_t tk = strlen(home->trunk);

		c = home;
		if (!strcmp(c->cc, "1") || !strcmp(c->trunk, "8")) {
			/* "1 415 ..." and "8 495 ...": 11 digits only */
			if (tk && nd == 11 && d[0] == c->trunk[0])
				cut = 1;
		} else if (tk && starts(d, nd, c->trunk)) {
			cut = tk;
		}
	} else {
		if (nd < 6 || nd > 15)
			return -1;
		memcpy(out, d, nd);
		out[nd] = '\0';
		return 1;
	}
	nd -= cut;
	if (nd < 6 || strlen(c->cc) + nd > 15 ||
	    (!strcmp(c->cc, "1") && nd != 10))
		return -1;
	out[0] = '+';
	strcpy(out + 1, c->cc);
	memcpy(out + 1 + strlen(c->cc), d + cut, nd);
	out[1 + strlen(c->cc) + nd] = '\0';
	return 0;
}

/* ---- scripts ---- */

enum norm_script norm_script_of(const char *s)
{
	const utf8proc_uint8_t *p = (const utf8proc_uint8_t *)s;
	utf8proc_int32_t c;
	utf8proc_ssize_t n;

	while (*p) {
		n = utf8proc_iterate(p, -1, &c);
		if (n <= 0)
			return SCRIPT_NONE;
		p += n;
		switch (utf8proc_category(c)) {
		case UTF8PROC_CATEGORY_LU: case UTF8PROC_CATEGORY_LL:
		case UTF8PROC_CATEGORY_LT: case UTF8PROC_CATEGORY_LM:
		case UTF8PROC_CATEGORY_LO:
			break;
		default:
			continue;
		}
		if (c < 0x0370 || (c >= 0x1E00 && c < 0x1F00) ||
		    (c >= 0xFF21 && c <= 0xFF5A))
			return SCRIPT_LATIN;
		if (c < 0x0400 || (c >= 0x1F00 && c < 0x2000))
			return SCRIPT_GREEK;
		if (c < 0x0530)
			return SCRIPT_CYRILLIC;
		if (c >= 0x0590 && c < 0x0600)
			return SCRIPT_HEBREW;
		if ((c >= 0x0600 && c < 0x0800) || (c >= 0xFB50 && c < 0xFF00))
			return SCRIPT_ARABIC;
		if (c >= 0x0900 && c < 0x0D80)
			return SCRIPT_INDIC;
		if (c >= 0x0E00 && c < 0x0E80)
			return SCRIPT_THAI;
		if ((c >= 0x1100 && c < 0x1200) || (c >= 0x3130 && c < 0x3190) ||
		    (c >= 0xAC00 && c < 0xD7B0))
			return SCRIPT_HANGUL;
		if ((c >= 0x3040 && c < 0x3100) || (c >= 0xFF66 && c < 0xFFA0) ||
		    (c >= 0x3400 && c < 0xA000) || (c >= 0xF900 && c < 0xFB00) ||
		    (c >= 0x20000 && c < 0x32000))
			return SCRIPT_HAN;
		return SCRIPT_OTHER;
	}
	return SCRIPT_NONE;
}
