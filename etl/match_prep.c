/*
 * match_prep.c - canonical fields to normalisers and comparators
 * (see match_prep.h).
 */
#include <string.h>

#include "match_prep.h"
#include "norm.h"
#include "sim.h"
#include "translit.h"

static const struct {
	const char *field;
	enum prep_kind kind;
} kinds[] = {
	{ "first_name", PREP_FIRST_NAME },
	{ "last_name", PREP_NAME },
	{ "email", PREP_EMAIL },
	{ "phone", PREP_PHONE },
	{ "company", PREP_COMPANY },
	{ "previous_company", PREP_COMPANY },
	{ "name", PREP_COMPANY },     /* an account's name */
	{ "website", PREP_DOMAIN },
	{ "domain", PREP_DOMAIN },
	{ "country", PREP_COUNTRY },
	{ "city", PREP_CITY },
	{ "postal_code", PREP_CODE },
	{ "state", PREP_REGION },
	{ "employee_count", PREP_CODE },
};

enum prep_kind prep_kind_of(const char *canonical)
{
	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
		if (strcmp(kinds[i].field, canonical) == 0)
			return kinds[i].kind;
	return PREP_TEXT;
}

void prep_email_hash(const char *raw, size_t len, struct strbuf *out)
{
	char hex[65];

	strbuf_reset(out);
	if (norm_email_sha256(raw, len, hex) == 0)
		strbuf_addstr(out, hex);
}

/*
 * Romanises folded name `out` in place when it is in another script;
 * returns what translit_name() does (the script, or 0 or -1 when the
 * name stays as it is).
 */
static int romanise(struct strbuf *out)
{
	struct strbuf rom = STRBUF_INIT;
	int script = 0;
	size_t i;

	for (i = 0; i < out->len && !(out->buf[i] & 0x80); i++)
		;
	if (i == out->len)
		return 0;
	script = translit_name(&rom, out->buf, out->len);
	/* ICU keeps case and leaves marks Latin-ASCII has no letter for */
	if (script > 0)
		norm_fold(out, rom.buf, rom.len);
	strbuf_release(&rom);
	return script;
}

int prep_value(enum prep_kind kind, const char *raw, size_t len,
	       const char *country, struct strbuf *out)
{
	int script = 0;

	switch (kind) {
	case PREP_TEXT:
	case PREP_REGION:
		norm_fold(out, raw, len);
		return 0;
	case PREP_NAME:
		norm_fold(out, raw, len);
		script = romanise(out);
		return script > 0 ? script : 0;
	case PREP_CITY:
	case PREP_FIRST_NAME: {
		const char *canon;

		norm_fold(out, raw, len);
		if (kind == PREP_FIRST_NAME)
			script = romanise(out);
		canon = kind == PREP_CITY ? norm_city(out->buf) :
		        norm_nickname(out->buf);
		if (canon != out->buf) {
			/* canon is static storage: copy before reset */
			char buf[128];
			size_t n = strlen(canon);

			if (n >= sizeof(buf))
				n = sizeof(buf) - 1;
			memcpy(buf, canon, n);
			buf[n] = '\0';
			strbuf_reset(out);
			strbuf_addstr(out, buf);
		}
		return script > 0 ? script : 0;
	}
	case PREP_EMAIL: {
		struct norm_email e;

		strbuf_reset(out);
		if (norm_email(raw, len, &e) == 0)
			strbuf_add(out, e.addr, e.len);
		return 0;
	}
	case PREP_PHONE: {
		char e164[NORM_PHONE_MAX + 1];

		strbuf_reset(out);
		if (norm_phone(raw, len, country, e164) >= 0)
			strbuf_addstr(out, e164);
		return 0;
	}
	case PREP_COMPANY:
		norm_company(out, raw, len);
		return 0;
	case PREP_DOMAIN: {
		char d[NORM_DOMAIN_MAX + 1];
		struct norm_email e;

		strbuf_reset(out);
		/* a work address names its employer's domain; a mailbox
		 * provider's names nobody's */
		if (memchr(raw, '@', len) && norm_email(raw, len, &e) == 0) {
			if (e.personal ||
			    norm_domain(norm_email_domain(&e),
					strlen(norm_email_domain(&e)), d) < 0)
				return 0;
		} else if (norm_domain(raw, len, d) < 0) {
			return 0;
		}
		strbuf_addstr(out, d);
		return 0;
	}
	case PREP_COUNTRY: {
		const char *iso = norm_country(raw, len);

		strbuf_reset(out);
		if (iso)
			strbuf_addstr(out, iso);
		else
			norm_fold(out, raw, len);
		return 0;
	}
	case PREP_CODE:
		/* postal codes and counts: folded, spaces removed */
		norm_fold(out, raw, len);
		{
			size_t w = 0;

			for (size_t i = 0; i < out->len; i++)
				if (out->buf[i] != ' ')
					out->buf[w++] = out->buf[i];
			strbuf_setlen(out, w);
		}
		return 0;
	}
	strbuf_reset(out);
	return 0;
}

int prep_region_code(const char *v)
{
	return strlen(v) <= 3 && !strchr(v, ' ');
}

double prep_compare(enum match_method method, const char *a, size_t alen,
		    const char *b, size_t blen, long cap)
{
	switch (method) {
	case MM_EXACT:
		return alen == blen && memcmp(a, b, alen) == 0;
	case MM_JARO_WINKLER:
		return sim_jaro_winkler(a, alen, b, blen);
	case MM_LEVENSHTEIN:
		return (double)sim_lev_bounded(a, alen, b, blen,
					       cap > 0 ? (size_t)cap : 0);
	case MM_TOKEN_SET:
		return sim_token_set(a, alen, b, blen);
	case MM_PHONETIC: {
		char pa[SIM_PHONETIC_LEN + 1], pb[SIM_PHONETIC_LEN + 1];

		/* an empty code (no Latin letters) never agrees */
		if (!sim_phonetic(a, alen, pa) || !sim_phonetic(b, blen, pb))
			return 0;
		return strcmp(pa, pb) == 0;
	}
	case MM_EMAIL:
		return sim_email(a, alen, b, blen);
	case MM_PHONE:
		return sim_phone(a, alen, b, blen);
	}
	return 0;
}
