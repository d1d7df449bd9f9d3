/*
 * test_norm.c - unit tests of normalisation (norm.h): folding,
 * nicknames, company names, emails, phones, countries and websites, on
 * the tricky values CRM data carries, garbage and oversized input
 * included.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto.h"
#include "match_prep.h"
#include "norm.h"
#include "strbuf.h"
#include "tap.h"
#include "translit.h"
#include "xalloc.h"

static struct strbuf sb = STRBUF_INIT;

static const char *fold(const char *s)
{
	norm_fold(&sb, s, strlen(s));
	return sb.buf;
}

static const char *company(const char *s)
{
	norm_company(&sb, s, strlen(s));
	return sb.buf;
}

/* First use from several threads at once: the tables load once. */
static void *first_use(void *arg)
{
	struct strbuf b = STRBUF_INIT;
	int *good = arg;

	norm_company(&b, "Acme GmbH", 9);
	*good = !strcmp(b.buf, "acme") &&
		!strcmp(norm_nickname("bob"), "robert") &&
		norm_email_personal("gmail.com");
	strbuf_release(&b);
	return NULL;
}

/* Runs `fn` on four threads at once, each given an int to set to 1 when
 * it saw what it should; returns whether all four did. */
static int on_four_threads(void *(*fn)(void *))
{
	pthread_t t[4];
	int good[4] = { 0 };

	for (int i = 0; i < 4; i++)
		pthread_create(&t[i], NULL, fn, &good[i]);
	for (int i = 0; i < 4; i++)
		pthread_join(t[i], NULL);
	return good[0] && good[1] && good[2] && good[3];
}

static void test_threads(void)
{
	ok(on_four_threads(first_use),
	   "tables loaded once under concurrent first use");
}

static void test_fold(void)
{
	static const char *const cases[][2] = {
		{ "José Núñez", "jose nunez" },
		{ "ＭÜLLER", "muller" },
		{ "İpek Şahin", "ipek sahin" },
		{ "Işık Öztürk", "isik ozturk" },
		{ "D’Angelo", "dangelo" },
		{ "D'Angelo", "dangelo" },
		{ "D´Angelo", "dangelo" },
		{ "O'Brien-Smith", "obrien smith" },
		{ "ﬁnn ﬂoyd", "finn floyd" },
		{ "Straße", "strasse" },
		{ "Søren Kierkegård", "soren kierkegard" },
		{ "Łukasz Żółć", "lukasz zolc" },
		{ "Æsa Œuvre", "aesa oeuvre" },
		{ "Þór Đorđević", "thor dordevic" },
		{ "王伟", "王伟" },
		{ "Дмитрий Иванов", "дмитрии иванов" },
		{ "  Anne   Marie\t", "anne marie" },
		{ "Jean-Luc Picard", "jean luc picard" },
		{ "Dr. John Q. Public, Jr.", "dr john q public jr" },
		{ "Bob 😀 Smith", "bob smith" },
		{ "😀", "" },
		{ "", "" },
		{ "   ", "" },
		{ "R2-D2", "r2 d2" },
		{ "Ｔｏｋｙｏ　Ｔｏｗｅｒ", "tokyo tower" },
		{ "ﾄｳｷｮｳ", "トウキョウ" },
		{ "Zoë\xc2\xad Saldaña", "zoe saldana" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++)
		is_str(fold(cases[i][0]), cases[i][1], "fold '%s'",
		       cases[i][0]);

	/* malformed UTF-8 reads as a separator, never a crash */
	is_str(fold("ab\xff\xfe" "cd"), "ab cd", "fold: malformed bytes");
	is_str(fold("caf\xc3"), "caf", "fold: cut sequence");
	/* a length, not a NUL, ends the input */
	norm_fold(&sb, "Anna Smith", 4);
	is_str(sb.buf, "anna", "fold: only len bytes");
}

static void test_fold_long(void)
{
	char *big = xmalloc(10241);
	size_t i;

	for (i = 0; i < 10240; i++)
		big[i] = "Ab c"[i % 4];
	big[i] = '\0';
	norm_fold(&sb, big, strlen(big));
	ok(sb.len <= NORM_MAX_OUT && sb.len > 0, "fold: 10 kB ASCII cut to %zu",
	   sb.len);
	/* 10 kB of 3-byte characters, cut inside a sequence */
	for (i = 0; i + 3 <= 10240; i += 3)
		memcpy(big + i, "\xe7\x8e\x8b", 3); /* 王 */
	big[i] = '\0';
	norm_fold(&sb, big, strlen(big));
	ok(sb.len <= NORM_MAX_OUT && sb.len % 3 == 0,
	   "fold: 10 kB CJK cut on a character boundary (%zu)", sb.len);
	/* U+FDFA expands to 18 characters under NFKC */
	for (i = 0; i + 3 <= 10240; i += 3)
		memcpy(big + i, "\xef\xb7\xba", 3);
	big[i] = '\0';
	norm_fold(&sb, big, strlen(big));
	ok(sb.len <= NORM_MAX_OUT, "fold: expanding input capped (%zu)",
	   sb.len);
	norm_company(&sb, big, strlen(big));
	ok(sb.len <= NORM_MAX_OUT, "company: 10 kB input");
	/* the limit inside a word: the output fills up to it, a character
	 * at a time, whole word or not (folding emits runs of letters) */
	for (i = 0; i < 2000; i++)
		big[i] = (char)('a' + i % 26);
	big[i] = '\0';
	norm_fold(&sb, big, strlen(big));
	ok(sb.len == NORM_MAX_OUT && !memcmp(sb.buf, big, NORM_MAX_OUT),
	   "fold: a 2000-letter word keeps its first %d letters (%zu)",
	   NORM_MAX_OUT, sb.len);
	for (i = 0; i < 2000; i++)
		big[i] = "abcdefghi "[i % 10];
	big[i] = '\0';
	norm_fold(&sb, big, strlen(big));
	ok(sb.len == NORM_MAX_OUT && !memcmp(sb.buf, big, NORM_MAX_OUT) &&
	   !memcmp(sb.buf + NORM_MAX_OUT - 5, " abcd", 5),
	   "fold: words cut at the limit inside the last one (%zu)", sb.len);
	free(big);
}

static void test_nicknames(void)
{
	static const char *const cases[][2] = {
		{ "bob", "robert" }, { "rob", "robert" },
		{ "bobby", "robert" }, { "robert", "robert" },
		{ "kate", "katherine" }, { "katie", "katherine" },
		{ "kathy", "katherine" }, { "catherine", "katherine" },
		{ "bill", "william" }, { "liam", "william" },
		{ "peggy", "margaret" }, { "hans", "johannes" },
		{ "paco", "francisco" }, { "pepe", "jose" },
		{ "sasha", "alexander" }, { "jim", "james" },
		{ "dick", "richard" }, { "chuck", "charles" },
		{ "zygmunt", "zygmunt" }, { "", "" },
		{ "mary ann", "mary" },
	};
	const char *all[8];
	size_t n;
	int pat_f = 0, pat_m = 0;

	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++)
		is_str(norm_nickname(cases[i][0]), cases[i][1], "nickname %s",
		       cases[i][0]);
	n = norm_nickname_all("pat", all, 8);
	for (size_t i = 0; i < n; i++) {
		pat_f |= !strcmp(all[i], "patricia");
		pat_m |= !strcmp(all[i], "patrick");
	}
	ok(n >= 2 && pat_f && pat_m, "pat: patricia and patrick (%zu)", n);
	n = norm_nickname_all("nobody", all, 8);
	ok(n == 1 && !strcmp(all[0], "nobody"), "unknown name gives itself");
	n = norm_nickname_all("johannes", all, 8);
	ok(n >= 2 && !strcmp(all[0], "johannes"),
	   "a canonical name maps to itself first");
	is_int(norm_nickname_all("bob", all, 0), 0, "max 0");
	{
		char longname[200];

		memset(longname, 'a', sizeof(longname) - 1);
		longname[sizeof(longname) - 1] = '\0';
		ok(norm_nickname(longname) == longname, "long name unchanged");
	}
	/* a folded table key: the file spells one "gösta" */
	is_str(norm_nickname(fold("Gösta")), "gustav", "table keys folded");
}

static void test_company(void)
{
	static const char *const cases[][2] = {
		{ "ACME, Inc.", "acme" },
		{ "Acme Incorporated", "acme" },
		{ "The Acme Company", "acme" },
		{ "Acme Corp.", "acme" },
		{ "Acme L.L.C.", "acme" },
		{ "Acme LLC", "acme" },
		{ "Acme Ltd", "acme" },
		{ "Acme Limited", "acme" },
		{ "Acme GmbH", "acme" },
		{ "Acme GmbH & Co. KG", "acme" },
		{ "Acme AG", "acme" },
		{ "Acme SARL", "acme" },
		{ "Acme S.A.R.L.", "acme" },
		{ "Acme S.A.", "acme" },
		{ "Acme SA", "acme" },
		{ "Acme S.p.A.", "acme" },
		{ "Acme SAS", "acme" },
		{ "Acme S.r.l.", "acme" },
		{ "Acme B.V.", "acme" },
		{ "Acme N.V.", "acme" },
		{ "Acme Pty Ltd", "acme" },
		{ "Acme Pty. Ltd.", "acme" },
		{ "Acme PLC", "acme" },
		{ "Acme K.K.", "acme" },
		{ "Acme Oy", "acme" },
		{ "Acme AB", "acme" },
		{ "Acme A/S", "acme" },
		{ "Acme ApS", "acme" },
		{ "Acme SE", "acme" },
		{ "Acme Sp. z o.o.", "acme" },
		{ "Acme, S.A. de C.V.", "acme" },
		{ "Acme Co., Ltd.", "acme" },
		{ "Acme Holdings Pty Ltd", "acme" },
		{ "Acme Group Holdings Ltd", "acme" },
		{ "Acme International", "acme" },
		{ "Société Générale S.A.", "societe generale" },
		{ "Müller GmbH", "muller" },
		{ "Johnson & Johnson", "johnson and johnson" },
		{ "Smith & Co.", "smith" },
		{ "International Business Machines Corp",
		  "international business machines" },
		{ "The Company", "company" },
		{ "Holding AG", "holding" },
		{ "Inc", "inc" },
		{ "The", "the" },
		{ "", "" },
		{ "Incorporated Television Co", "incorporated television" },
		{ "株式会社トヨタ", "株式会社トヨタ" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++)
		is_str(company(cases[i][0]), cases[i][1], "company '%s'",
		       cases[i][0]);
}

static void test_email(void)
{
	struct norm_email e;
	char hex[65];
	static const char *const bad[] = {
		"", "   ", "john.smith", "john@", "@acme.com", "a@b@acme.com",
		"john smith@acme.com", "john@acme", "john@acme..com",
		"john@.acme.com", "john@acme com", "john@[10.0.0.1]",
		"jo\"hn@acme.com", "<john@acme.com", "john@acme.com>",
		"\x01@acme.com", "n/a", "none", "-",
	};

	is_int(norm_email("  John.Smith+CRM@Acme.COM ", 26, &e), 0,
	       "email: tag and case");
	is_str(e.addr, "john.smith@acme.com", "email: addr");
	is_int(e.local_len, 10, "email: local_len");
	is_str(norm_email_domain(&e), "acme.com", "email: domain");
	is_int(e.len, strlen(e.addr), "email: len");
	is_int(e.personal, 0, "email: work address");

	is_int(norm_email("J.Smith+news@GoogleMail.com", 27, &e), 0,
	       "email: gmail");
	is_str(e.addr, "jsmith@gmail.com", "email: gmail dots and domain");
	is_int(e.personal, 1, "email: gmail is personal");

	is_int(norm_email("mailto:Ann@Example.org", 22, &e), 0, "mailto:");
	is_str(e.addr, "ann@example.org", "mailto: stripped");
	is_int(norm_email("Ann Lee <ann@example.org>", 25, &e), 0, "name <>");
	is_str(e.addr, "ann@example.org", "name <addr>");
	is_int(norm_email("ann@example.org.", 16, &e), 0, "trailing dot");
	is_str(e.addr, "ann@example.org", "trailing dot dropped");
	is_int(norm_email("+tag@example.org", 16, &e), 0, "leading +");
	is_str(e.addr, "+tag@example.org", "a leading + is not a tag");
	is_int(norm_email("...@gmail.com", 13, &e), -1, "gmail all dots");
	is_int(norm_email("jörg@müller.de", strlen("jörg@müller.de"), &e), 0,
	       "internationalised address");

	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		int r = norm_email(bad[i], strlen(bad[i]), &e);

		ok(r == -1 && e.addr[0] == '\0' && e.len == 0,
		   "email unusable: '%s'", bad[i]);
	}
	{
		char big[400];

		memset(big, 'a', sizeof(big));
		memcpy(big + 300, "@acme.com", 9);
		is_int(norm_email(big, sizeof(big), &e), -1, "email: too long");
		memset(big, 'a', 70);
		memcpy(big + 70, "@acme.com", 9);
		is_int(norm_email(big, 79, &e), -1, "email: local part > 64");
	}

	/* SHA-256 of the trimmed, lower-cased address (tags kept) */
	is_int(norm_email_sha256(" John.Smith+x@Acme.com\n", 23, hex), 0,
	       "sha256");
	is_str(hex,
	       "0e504bba8eb09c18187f85222c6f07b352df4bb1b048497109b2a3a709dc0608",
	       "sha256 value");
	is_int(norm_email_sha256("  ", 2, hex), -1, "sha256: empty");
	is_str(hex, "", "sha256: empty hex");
	is_int(norm_email_sha256("nobody", 6, hex), -1, "sha256: no @");
	/* the one-shot hash norm_email_sha256() uses: FIPS 180-2's "abc" */
	sha256_hex("abc", 3, hex);
	is_str(hex,
	       "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
	       "sha256_hex of abc");

	ok(norm_email_personal("gmail.com"), "personal gmail.com");
	ok(norm_email_personal("YAHOO.co.uk"), "personal yahoo.co.uk");
	ok(norm_email_personal("yahoo.fr"), "personal yahoo.fr");
	ok(norm_email_personal("mail.yahoo.com"), "personal mail.yahoo.com");
	ok(norm_email_personal("hotmail.de"), "personal hotmail.de");
	ok(norm_email_personal("web.de"), "personal web.de");
	ok(norm_email_personal("gmx.net"), "personal gmx.net");
	ok(norm_email_personal("orange.fr"), "personal orange.fr");
	ok(norm_email_personal("icloud.com"), "personal icloud.com");
	ok(!norm_email_personal("acme.com"), "work acme.com");
	ok(!norm_email_personal("yahooligans.com"), "work yahooligans.com");
	ok(!norm_email_personal("gmail.com.acme.io"), "work gmail.com.acme.io");
	ok(!norm_email_personal(""), "empty domain");
}

static void test_phone(void)
{
	/* input, country, expected (NULL: unusable), return */
	static const struct {
		const char *in, *country, *want;
		int ret;
	} cases[] = {
		{ "(415) 555-0123", "US", "+14155550123", 0 },
		{ "415.555.0123", "United States", "+14155550123", 0 },
		{ "1-415-555-0123", "USA", "+14155550123", 0 },
		{ "+1 415 555 0123", NULL, "+14155550123", 0 },
		{ "011 44 20 7946 0000", "US", "+442079460000", 0 },
		{ "415 555 0123 x204", "US", "+14155550123", 0 },
		{ "415-555-0123 ext. 12", "us", "+14155550123", 0 },
		{ "415-555-0123#99", "US", "+14155550123", 0 },
		{ "555-0123", "US", NULL, -1 },
		{ "020 7946 0000", "GB", "+442079460000", 0 },
		{ "020 7946 0000", "UK", "+442079460000", 0 },
		{ "+44 (0)20 7946 0000", NULL, "+442079460000", 0 },
		{ "+44 020 7946 0000", "DE", "+442079460000", 0 },
		{ "0044 20 7946 0000", "FR", "+442079460000", 0 },
		{ "07700 900123", "GB", "+447700900123", 0 },
		{ "089 12345678", "DE", "+498912345678", 0 },
		{ "089/1234-5678", "Deutschland", "+498912345678", 0 },
		{ "+49 (0) 89 12345678", "US", "+498912345678", 0 },
		{ "0049 89 12345678", "DE", "+498912345678", 0 },
		{ "01 23 45 67 89", "FR", "+33123456789", 0 },
		{ "+33 1 23 45 67 89", "FR", "+33123456789", 0 },
		{ "03-1234-5678", "JP", "+81312345678", 0 },
		{ "010 81 3 1234 5678", "JP", "+81312345678", 0 },
		{ "+81 3-1234-5678", NULL, "+81312345678", 0 },
		{ "(02) 9876 5432", "AU", "+61298765432", 0 },
		{ "0011 61 2 9876 5432", "AU", "+61298765432", 0 },
		{ "0412 345 678", "Australia", "+61412345678", 0 },
		{ "06 1234 5678", "IT", "+390612345678", 0 },
		{ "+39 06 1234 5678", NULL, "+390612345678", 0 },
		{ "8 495 123-45-67", "RU", "+74951234567", 0 },
		{ "612 34 56 78", "España", "+34612345678", 0 },
		{ "＋４９ ８９ １２３４５６７８", NULL, "+498912345678", 0 },
		{ "tel:+1-415-555-0123", NULL, "+14155550123", 0 },
		{ "4155550123", NULL, "4155550123", 1 },
		{ "4155550123", "", "4155550123", 1 },
		{ "4155550123", "Atlantis", "4155550123", 1 },
		{ "call me", "US", NULL, -1 },
		{ "+", "US", NULL, -1 },
		{ "00", "DE", NULL, -1 },
		{ "", "US", NULL, -1 },
		{ "   ", "US", NULL, -1 },
		{ "1-800-FLOWERS", "US", NULL, -1 },
		{ "12", "DE", NULL, -1 },
		{ "415+555+0123", "US", NULL, -1 },
		{ "++44 20 7946 0000", NULL, NULL, -1 },
		{ "+999 1234 5678", NULL, NULL, -1 },
		{ "+44 20 7946 0000 0000 0000 00", NULL, NULL, -1 },
		{ "12345678901234567890123456789", "DE", NULL, -1 },
		{ "n/a", "US", NULL, -1 },
		{ "☎ 415 555 0123", "US", NULL, -1 },
	};
	char out[NORM_PHONE_MAX + 1];

	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		int r = norm_phone(cases[i].in, strlen(cases[i].in),
				   cases[i].country, out);

		ok(r == cases[i].ret && !strcmp(out, cases[i].want ?
						 cases[i].want : ""),
		   "phone '%s' (%s) -> '%s' %d", cases[i].in,
		   cases[i].country ? cases[i].country : "-", out, r);
	}
	{
		char *big = xmalloc(10000);

		memset(big, '5', 10000);
		is_int(norm_phone(big, 10000, "US", out), -1, "phone: 10 kB");
		free(big);
	}
}

static void test_country(void)
{
	static const char *const cases[][2] = {
		{ "US", "US" }, { "us", "US" }, { "USA", "US" },
		{ "U.S.A.", "US" }, { "United States", "US" },
		{ "united states of america", "US" }, { "UK", "GB" },
		{ "GBR", "GB" }, { "Great Britain", "GB" },
		{ "England", "GB" }, { "Deutschland", "DE" },
		{ "Germany", "DE" }, { "DEU", "DE" }, { "España", "ES" },
		{ "ESPAÑA", "ES" }, { "Spain", "ES" }, { "France", "FR" },
		{ "Korea, Republic of", "KR" }, { "South Korea", "KR" },
		{ "日本", "JP" }, { "Côte d'Ivoire", "CI" },
		{ "The Netherlands", "NL" }, { "Holland", "NL" },
		{ "Österreich", "AT" }, { "Türkiye", "TR" },
		{ "Россия", "RU" }, { "  japan ", "JP" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		const char *c = norm_country(cases[i][0],
					     strlen(cases[i][0]));

		is_str(c, cases[i][1], "country '%s'", cases[i][0]);
	}
	ok(!norm_country("Atlantis", 8), "unknown country");
	ok(!norm_country("", 0), "empty country");
	ok(!norm_country("XX", 2), "unknown code");
	is_str(norm_country_calling_code("US"), "1", "calling code US");
	is_str(norm_country_calling_code("GB"), "44", "calling code GB");
	is_str(norm_country_calling_code("DE"), "49", "calling code DE");
	is_str(norm_country_calling_code("JP"), "81", "calling code JP");
	ok(!norm_country_calling_code("ZZ"), "calling code unknown");
}

static void test_domain(void)
{
	static const char *const cases[][2] = {
		{ "https://www.Acme.co.uk/about?x=1", "acme.co.uk" },
		{ "http://acme.com", "acme.com" },
		{ "acme.com", "acme.com" },
		{ "www.acme.com/", "acme.com" },
		{ "WWW.ACME.COM", "acme.com" },
		{ "https://user:pw@shop.acme.com:8443/x#y", "acme.com" },
		{ "acme.com.", "acme.com" },
		{ "a.b.c.acme.com.au", "acme.com.au" },
		{ "acme.co.jp", "acme.co.jp" },
		{ "www.acme.com.br", "acme.com.br" },
		{ "acme.co.nz", "acme.co.nz" },
		{ "acme.de", "acme.de" },
		{ "blog.acme.io?utm=1", "acme.io" },
		{ "  acme.com  ", "acme.com" },
		{ "acme.github.io", "acme.github.io" },
		{ "acme.com (old site)", "acme.com" },
		{ "münchen.de", "münchen.de" },
		{ "ftp://files.acme.org", "acme.org" },
	};
	static const char *const bad[] = {
		"", "acme", "http://", "co.uk", "https://co.uk/", "10.0.0.1",
		"http://192.168.1.1:8080/", "acme..com", ".acme.com",
		"acme_corp.com", "n/a", "https:// /",
	};
	char out[NORM_DOMAIN_MAX + 1];

	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		int r = norm_domain(cases[i][0], strlen(cases[i][0]), out);

		ok(r == 0 && !strcmp(out, cases[i][1]), "domain '%s' -> '%s'",
		   cases[i][0], out);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		int r = norm_domain(bad[i], strlen(bad[i]), out);

		ok(r == -1 && out[0] == '\0', "domain unusable: '%s'", bad[i]);
	}
	{
		char *big = xmalloc(10000);

		memset(big, 'a', 10000);
		memcpy(big + 9990, ".com", 4);
		is_int(norm_domain(big, 10000, out), -1, "domain: 10 kB");
		free(big);
	}
}

static void test_scripts(void)
{
	static const struct {
		const char *s;
		enum norm_script want;
	} cases[] = {
		{ "suzuki", SCRIPT_LATIN },
		{ "Łukasz", SCRIPT_LATIN },
		{ "nguyễn", SCRIPT_LATIN },       /* Latin Extended Additional */
		{ "  -o'brien", SCRIPT_LATIN },   /* leading non-letters skipped */
		{ "鈴木", SCRIPT_HAN },
		{ "すずき", SCRIPT_HAN },          /* kana counts with Han */
		{ "スズキ", SCRIPT_HAN },
		{ "иванов", SCRIPT_CYRILLIC },
		{ "παπαδόπουλος", SCRIPT_GREEK },
		{ "محمد", SCRIPT_ARABIC },
		{ "כהן", SCRIPT_HEBREW },
		{ "शर्मा", SCRIPT_INDIC },
		{ "김", SCRIPT_HANGUL },
		{ "สมชาย", SCRIPT_THAI },
		{ "", SCRIPT_NONE },
		{ "123 -", SCRIPT_NONE },
		{ "\xff\xfe", SCRIPT_NONE },       /* invalid UTF-8 */
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++)
		is_int(norm_script_of(cases[i].s), cases[i].want,
		       "script of '%s'", cases[i].s);
}

static void test_prep_region(void)
{
	struct strbuf out = STRBUF_INIT;

	is_int(prep_kind_of("state"), PREP_REGION, "state is a region");
	prep_value(PREP_REGION, " Île-de-France ", 15, NULL, &out);
	is_str(out.buf, "ile de france", "a region name is folded");
	ok(!prep_region_code(out.buf), "a region name is not a code");
	prep_value(PREP_REGION, "CA", 2, NULL, &out);
	ok(prep_region_code(out.buf), "'CA' is a code");
	ok(prep_region_code("nsw") && prep_region_code("14"),
	   "'nsw' and '14' are codes");
	ok(!prep_region_code("new york") && !prep_region_code("bayern"),
	   "names are not codes");
	ok(prep_compare(MM_EXACT, "ca", 2, "ca", 2, 0) == 1.0,
	   "exact: equal codes");
	ok(prep_compare(MM_EXACT, "ca", 2, "cal", 2, 0) == 1.0,
	   "exact compares the given lengths only");
	ok(prep_compare(MM_EXACT, "ca", 2, "cal", 3, 0) == 0.0,
	   "exact: different lengths differ");
	strbuf_release(&out);
}

/* The employer's domain (PREP_DOMAIN): a website's registrable domain,
 * a work address's domain, nothing for a mailbox provider's address. */
static void test_prep_domain(void)
{
	static const struct {
		const char *raw, *want;
	} cases[] = {
		{ "https://www.Acme.co.uk/about", "acme.co.uk" },
		{ "shop.acme.com:8080", "acme.com" },
		{ "Jane.Doe+news@Mail.Acme.COM", "acme.com" },
		{ "<j.doe@acme-labs.de>", "acme-labs.de" },
		{ "mailto:jdoe@sales.acme.com.au", "acme.com.au" },
		{ "jane.doe@gmail.com", "" },
		{ "jdoe@googlemail.com", "" },
		{ "jdoe@yahoo.co.uk", "" },
		{ "jane doe@acme.com", "acme.com" }, /* not an address: a host */
		{ "jane@localhost", "" },
		{ "@", "" },
		{ "not a website", "" },
		{ "", "" },
	};
	struct strbuf out = STRBUF_INIT;

	is_int(prep_kind_of("domain"), PREP_DOMAIN,
	       "domain is read as a domain");
	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		prep_value(PREP_DOMAIN, cases[i].raw, strlen(cases[i].raw),
			   NULL, &out);
		is_str(out.buf, cases[i].want, "employer domain of '%s'",
		       cases[i].raw);
	}
	strbuf_release(&out);
}

/* City names: other names of one city meet (folded first, as the
 * match stage does), an unknown city is left alone. */
static void test_cities(void)
{
	static const char *const cases[][2] = {
		{ "München", "munich" }, { "Munich", "munich" },
		{ "Köln", "cologne" }, { "Bombay", "mumbai" },
		{ "Bangalore", "bengaluru" }, { "北京", "beijing" },
		{ "Москва", "moscow" }, { "Washington, D.C.", "washington" },
		{ "New York City", "new york" }, { "Den Haag", "the hague" },
		{ "'s-Gravenhage", "the hague" }, { "TP. Hồ Chí Minh",
		"ho chi minh city" }, { "Göteborg", "gothenburg" },
		{ "Springfield", "springfield" }, { "", "" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		norm_fold(&sb, cases[i][0], strlen(cases[i][0]));
		is_str(norm_city(sb.buf), cases[i][1], "city %s", cases[i][0]);
	}
}

/* A name as the match stage normalises it (prep_value): folded, and
 * romanised when in another script; *script gets the return value. */
static const char *name_as(enum prep_kind kind, const char *s, int *script)
{
	int r = prep_value(kind, s, strlen(s), NULL, &sb);

	if (script)
		*script = r;
	return sb.buf;
}

static void test_romanise(void)
{
	static const struct {
		enum prep_kind kind;
		const char *s, *want;
		int script;
	} cases[] = {
		{ PREP_NAME, "王", "wang", SCRIPT_HAN },
		{ PREP_NAME, "陳", "chen", SCRIPT_HAN },      /* traditional */
		/* a Chinese given name is one word, as in pinyin */
		{ PREP_FIRST_NAME, "志强", "zhiqiang", SCRIPT_HAN },
		/* BGN/PCGN, not ISO 9 ('ûliâ'); й loses its breve in the
		 * folding, so Sergei rather than Sergey */
		{ PREP_FIRST_NAME, "Юлия", "yuliya", SCRIPT_CYRILLIC },
		{ PREP_FIRST_NAME, "Сергей", "sergei", SCRIPT_CYRILLIC },
		{ PREP_NAME, "Соловьёв", "solovyev", SCRIPT_CYRILLIC },
		{ PREP_NAME, "Коваленко", "kovalenko", SCRIPT_CYRILLIC },
		{ PREP_NAME, "Παπαδόπουλος", "papadopoulos", SCRIPT_GREEK },
		{ PREP_FIRST_NAME, "さくら", "sakura", SCRIPT_HAN },  /* kana */
		{ PREP_NAME, "김", "gim", SCRIPT_HANGUL },
		/* kanji get their Chinese reading (translit.h): 'sato' is
		 * out of reach, which is why such a disagreement counts as
		 * missing in the match */
		{ PREP_NAME, "佐藤", "zuoteng", SCRIPT_HAN },
		/* abjads are left in their script */
		{ PREP_NAME, "محمد", "محمد", 0 },
		{ PREP_NAME, "כהן", "כהן", 0 },
		/* Latin is only folded; a mixed name keeps its Latin words */
		{ PREP_NAME, "Núñez", "nunez", 0 },
		{ PREP_NAME, "Anna 王", "anna wang", SCRIPT_HAN },
		{ PREP_NAME, "", "", 0 },
		/* titles and cities are not names: not romanised */
		{ PREP_TEXT, "采购总监", "采购总监", 0 },
	};
	struct strbuf long_name = STRBUF_INIT;
	int script;

	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		is_str(name_as(cases[i].kind, cases[i].s, &script),
		       cases[i].want, "romanised '%s'", cases[i].s);
		is_int(script, cases[i].script, "script of '%s'",
		       cases[i].s);
	}
	is_int(prep_kind_of("last_name"), PREP_NAME, "last_name is a name");
	is_str(name_as(PREP_FIRST_NAME, "Александр", NULL),
	       norm_nickname("aleksandr"),
	       "a romanised first name goes through the nicknames");

	/* a name as long as folding keeps, all Han: 341 characters of 6
	 * letters each fit in the transliterator's buffer, and the
	 * romanisation is cut like any folded value */
	for (int i = 0; i < 400; i++)
		strbuf_addstr(&long_name, "庄");
	name_as(PREP_NAME, long_name.buf, &script);
	ok(script == SCRIPT_HAN && sb.len == NORM_MAX_OUT &&
	   strncmp(sb.buf + 6 * 169, "zhuangzhua", 10) == 0 &&
	   !strchr(sb.buf, ' '),
	   "a 1 kB Han name romanises to %zu letters", sb.len);
	strbuf_release(&long_name);
	ok(translit_error() == NULL, "ICU's transliterator opened");
}

/* First romanisation from several threads at once: one transliterator,
 * opened once, the same answers. */
static void *romanise_concurrently(void *arg)
{
	static const char *const names[] = { "王", "Юлия", "志强", "さくら" };
	static const char *const want[] = { "wang", "yuliya", "zhiqiang",
					    "sakura" };
	struct strbuf b = STRBUF_INIT;
	int *good = arg;

	*good = 1;
	for (int round = 0; round < 200; round++)
		for (size_t i = 0; i < 4; i++) {
			prep_value(PREP_NAME, names[i], strlen(names[i]), NULL,
				   &b);
			*good &= strcmp(b.buf, want[i]) == 0;
		}
	strbuf_release(&b);
	return NULL;
}

static void test_romanise_threads(void)
{
	ok(on_four_threads(romanise_concurrently),
	   "romanised alike from four threads at once");
}

int main(void)
{
	test_threads();
	test_romanise_threads();
	test_romanise();
	test_prep_region();
	test_prep_domain();
	test_scripts();
	test_fold();
	test_fold_long();
	test_nicknames();
	test_cities();
	test_company();
	test_email();
	test_phone();
	test_country();
	test_domain();
	strbuf_release(&sb);
	return tap_done();
}
