/*
 * gen_rows.h - deterministic Contact-shaped rows for the benchmarks.
 *
 * Shared by gen_contacts.c (which prints the rows as plain CSV) and
 * csvbench.c (which feeds the very same rows to the CSV writer), so that
 * both sides of the write benchmark compress the same content.  Header-only
 * on purpose: every tool in tests/tools/ is one .c file built on its own.
 *
 * The rows look like an extract of the Salesforce Contact object: 18-char
 * ids with a valid case-safe suffix, names with some accented UTF-8,
 * e-mails, phones in the format of the mailing country, 2026 datetimes,
 * many null (empty) values, and about 5% of Description values holding
 * commas, doubled quotes and embedded newlines so that they need RFC 4180
 * quoting.  A row is about 200 bytes of CSV on average.
 *
 * Everything derives from one 64-bit seed through splitmix64; nothing
 * depends on the platform, the locale or the time of day: the same seed
 * and row count always give the same bytes.
 *
 *	struct gen_rows g;
 *
 *	gen_init(&g, seed);
 *	for (i = 0; i < n; i++) {
 *		gen_next(&g);
 *		use(g.fields, g.lens, GEN_NCOLS);
 *	}
 */
#ifndef CRMSYNC_GEN_ROWS_H
#define CRMSYNC_GEN_ROWS_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define GEN_NCOLS 22
/* no row comes near this: the longest field is a Description of < 600 */
#define GEN_ROW_MAX 4096

enum gen_col {
	GC_ID, GC_ACCOUNTID, GC_CREATEDDATE, GC_DEPARTMENT, GC_DESCRIPTION,
	GC_EMAIL, GC_FAX, GC_FIRSTNAME, GC_LASTACTIVITYDATE, GC_LASTNAME,
	GC_LASTMODIFIEDDATE, GC_LASTREFERENCEDDATE, GC_LASTVIEWEDDATE,
	GC_LEADSOURCE, GC_MAILINGSTREET, GC_MAILINGCITY, GC_MAILINGCOUNTRY,
	GC_MAILINGSTATE, GC_NAME, GC_PHONE, GC_TITLE, GC_ISDELETED,
};

static const char *const gen_header[GEN_NCOLS] = {
	"Id", "AccountId", "CreatedDate", "Department", "Description",
	"Email", "Fax", "FirstName", "LastActivityDate", "LastName",
	"LastModifiedDate", "LastReferencedDate", "LastViewedDate",
	"LeadSource", "MailingStreet", "MailingCity", "MailingCountry",
	"MailingState", "Name", "Phone", "Title", "IsDeleted",
};

/*
 * The generator.  After gen_next(), fields[i] points to a NUL-terminated
 * value of lens[i] bytes inside `buf`; both stay valid until the next
 * gen_next().  An empty value is a null.
 */
struct gen_rows {
	uint64_t rng;
	uint64_t rowno;     /* rows generated so far */
	uint64_t contact;   /* record number of the last Contact id */
	const char *fields[GEN_NCOLS];
	size_t lens[GEN_NCOLS];
	size_t len;         /* bytes used in buf */
	char buf[GEN_ROW_MAX];
};

/* ---- random numbers ---------------------------------------------------- */

/* splitmix64 (Steele, Lea, Flood 2014): one add, three xor-shift-mults. */
static inline uint64_t gen_rand(struct gen_rows *g)
{
	uint64_t z = (g->rng += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* Uniform in [0, n) for n < 2^32, by multiply-shift (no division). */
static inline uint32_t gen_below(struct gen_rows *g, uint32_t n)
{
	return (uint32_t)(((gen_rand(g) >> 32) * n) >> 32);
}

/* 1 with probability pct/100. */
static inline int gen_pct(struct gen_rows *g, uint32_t pct)
{
	return gen_below(g, 100) < pct;
}

#define GEN_PICK(g, table) \
	((table)[gen_below((g), sizeof(table) / sizeof((table)[0]))])

/* ---- word lists -------------------------------------------------------- */

struct gen_name {
	const char *utf8;  /* as displayed */
	const char *ascii; /* as used in e-mail addresses */
};

static const struct gen_name gen_first[] = {
	{ "James", "james" }, { "Mary", "mary" }, { "Robert", "robert" },
	{ "Patricia", "patricia" }, { "John", "john" },
	{ "Jennifer", "jennifer" }, { "Michael", "michael" },
	{ "Linda", "linda" }, { "David", "david" },
	{ "Elizabeth", "elizabeth" }, { "William", "william" },
	{ "Barbara", "barbara" }, { "Richard", "richard" },
	{ "Susan", "susan" }, { "Joseph", "joseph" }, { "Jessica", "jessica" },
	{ "Thomas", "thomas" }, { "Sarah", "sarah" }, { "Daniel", "daniel" },
	{ "Karen", "karen" }, { "Wei", "wei" }, { "Priya", "priya" },
	{ "Hiroshi", "hiroshi" }, { "Fatima", "fatima" }, { "Olga", "olga" },
	{ "Ana", "ana" }, { "Lars", "lars" }, { "Emma", "emma" },
	{ "Noah", "noah" }, { "Liam", "liam" }, { "Sophia", "sophia" },
	{ "Lucas", "lucas" }, { "Mia", "mia" }, { "Ethan", "ethan" },
	{ "José", "jose" }, { "Zoë", "zoe" }, { "Chloé", "chloe" },
	{ "Renée", "renee" }, { "François", "francois" },
	{ "Søren", "soren" }, { "Björn", "bjorn" },
	{ "Małgorzata", "malgorzata" }, { "Łukasz", "lukasz" },
	{ "Jürgen", "jurgen" }, { "Núria", "nuria" }, { "Inés", "ines" },
	{ "Željko", "zeljko" }, { "Anaïs", "anais" },
};

static const struct gen_name gen_last[] = {
	{ "Smith", "smith" }, { "Johnson", "johnson" },
	{ "Williams", "williams" }, { "Brown", "brown" },
	{ "Jones", "jones" }, { "Miller", "miller" }, { "Davis", "davis" },
	{ "Wilson", "wilson" }, { "Anderson", "anderson" },
	{ "Taylor", "taylor" }, { "Thomas", "thomas" }, { "Moore", "moore" },
	{ "Martin", "martin" }, { "Jackson", "jackson" },
	{ "Thompson", "thompson" }, { "White", "white" }, { "Lee", "lee" },
	{ "Harris", "harris" }, { "Clark", "clark" }, { "Lewis", "lewis" },
	{ "Walker", "walker" }, { "Young", "young" }, { "Allen", "allen" },
	{ "King", "king" }, { "Wright", "wright" }, { "Scott", "scott" },
	{ "Nguyen", "nguyen" }, { "Patel", "patel" }, { "Kim", "kim" },
	{ "Chen", "chen" }, { "Tanaka", "tanaka" }, { "Ivanova", "ivanova" },
	{ "O'Brien", "obrien" }, { "Van der Berg", "vanderberg" },
	{ "Müller", "muller" }, { "García", "garcia" },
	{ "Nuñez", "nunez" }, { "Øverby", "overby" },
	{ "Åström", "astrom" }, { "Dvořák", "dvorak" },
	{ "Lefèvre", "lefevre" }, { "Kowalczyk", "kowalczyk" },
	{ "Schröder", "schroder" }, { "Gonçalves", "goncalves" },
};

static const char *const gen_domain[] = {
	"acme.com", "globex.io", "initech.com", "umbrella-corp.com",
	"hooli.xyz", "piedpiper.com", "stark-industries.com", "wayne.co",
	"example.org", "contoso.com", "fabrikam.net", "northwind.de",
	"tailspin.fr", "wingtip.co.uk", "gmail.com", "outlook.com",
};

/* a country, the format of its phone numbers ('N' is a digit) and how its
 * addresses are written */
struct gen_country {
	const char *name;
	const char *phone;
	int number_first; /* "12 Main St" rather than "Hauptstraße 12" */
	const char *streets[4];
	const char *cities[4];
	const char *states[4];
};

static const struct gen_country gen_country[] = {
	{ "United States", "(NNN) 555-NNNN", 1,
	  { "Main St", "Market St", "Oak Ave", "Mission Blvd" },
	  { "San Francisco", "New York", "Austin", "Chicago" },
	  { "CA", "NY", "TX", "IL" } },
	{ "United States", "+1 NNN-555-NNNN", 1,
	  { "Elm St", "Park Ave", "Lake Shore Dr", "Peachtree Rd" },
	  { "Seattle", "Boston", "Denver", "Atlanta" },
	  { "WA", "MA", "CO", "GA" } },
	{ "Germany", "+49 89 NNNNNNN", 0,
	  { "Hauptstraße", "Bahnhofstraße", "Leopoldstraße", "Gartenweg" },
	  { "München", "Berlin", "Köln", "Düsseldorf" },
	  { "BY", "BE", "NW", "NW" } },
	{ "France", "+33 1 NN NN NN NN", 1,
	  { "rue de la Paix", "avenue des Champs-Élysées", "rue Mouffetard",
	    "boulevard Haussmann" },
	  { "Paris", "Lyon", "Marseille", "Nantes" },
	  { "", "", "", "" } },
	{ "Brazil", "+55 11 9NNNN-NNNN", 0,
	  { "Avenida Paulista", "Rua Augusta", "Rua Oscar Freire",
	    "Avenida Brasil" },
	  { "São Paulo", "Rio de Janeiro", "Belo Horizonte", "Curitiba" },
	  { "SP", "RJ", "MG", "PR" } },
	{ "United Kingdom", "+44 20 7946 NNNN", 1,
	  { "High Street", "Baker Street", "Station Road", "Church Lane" },
	  { "London", "Manchester", "Edinburgh", "Bristol" },
	  { "", "", "", "" } },
	{ "Canada", "+1 514-555-NNNN", 1,
	  { "rue Sainte-Catherine", "Yonge St", "Robson St", "Bank St" },
	  { "Montréal", "Toronto", "Vancouver", "Ottawa" },
	  { "QC", "ON", "BC", "ON" } },
	{ "Japan", "+81 3-NNNN-NNNN", 1,
	  { "Chuo-dori", "Omotesando", "Meiji-dori", "Sotobori-dori" },
	  { "Tokyo", "Osaka", "Yokohama", "Kyoto" },
	  { "13", "27", "14", "26" } },
	{ "Switzerland", "+41 44 NNN NN NN", 0,
	  { "Bahnhofstrasse", "Rämistrasse", "Limmatquai", "Seefeldstrasse" },
	  { "Zürich", "Genève", "Basel", "Bern" },
	  { "ZH", "GE", "BS", "BE" } },
};

static const char *const gen_department[] = {
	"Sales", "Finance", "Engineering", "Marketing", "Operations",
	"Legal", "Customer Success", "IT", "Procurement", "R&D",
};

static const char *const gen_title[] = {
	"CEO", "CFO", "CTO", "VP Sales", "VP Marketing", "Sales Manager",
	"Account Executive", "Buyer", "Procurement Lead", "IT Director",
	"Software Engineer", "Office Manager", "Head of Operations",
	"Directeur Général", "Geschäftsführer", "Consultant",
};

static const char *const gen_leadsource[] = {
	"Web", "Phone Inquiry", "Partner Referral", "Purchased List",
	"Other", "Trade Show", "Word of mouth", "Employee Referral",
};

static const char *const gen_words[] = {
	"customer", "asked", "for", "a", "renewal", "quote", "pricing",
	"demo", "next", "quarter", "budget", "approved", "decision", "maker",
	"prefers", "email", "contact", "via", "partner", "integration",
	"with", "the", "legacy", "system", "interested", "in", "premium",
	"support", "onboarding", "call", "scheduled", "trial", "extended",
	"procurement", "review", "pending", "security", "questionnaire",
	"sent", "champion", "moved", "to", "new", "team", "café", "réunion",
	"Übergabe", "follow-up", "SSO", "API", "volume", "discount",
};

/* pieces of the Descriptions that need quoting */
static const char *const gen_quoted[] = {
	"Met at \"Dreamforce\", asked for a demo.",
	"Said: \"call me after the board meeting\", not before.",
	"Notes from call, 3 items:",
	"Prefers \"Bob\" over Robert, see thread.",
	"Budget: 50,000 EUR, Q3.",
	"Re: \"pricing\", \"terms\", \"SLA\"",
};

/* ---- appending to the row buffer --------------------------------------- */

static inline void gen_add(struct gen_rows *g, const char *s, size_t n)
{
	if (n > GEN_ROW_MAX - 1 - g->len)
		n = GEN_ROW_MAX - 1 - g->len; /* cannot happen with our lists */
	memcpy(g->buf + g->len, s, n);
	g->len += n;
}

static inline void gen_adds(struct gen_rows *g, const char *s)
{
	gen_add(g, s, strlen(s));
}

static inline void gen_addc(struct gen_rows *g, char c)
{
	if (g->len < GEN_ROW_MAX - 1)
		g->buf[g->len++] = c;
}

/* `v` in decimal, zero-padded to `width` digits (0: no padding). */
static inline void gen_addu(struct gen_rows *g, uint64_t v, int width)
{
	char tmp[24];
	int n = 0;

	do {
		tmp[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	while (n < width)
		tmp[n++] = '0';
	while (n)
		gen_addc(g, tmp[--n]);
}

/* Copies a format where each 'N' becomes a random digit. */
static inline void gen_add_digits(struct gen_rows *g, const char *fmt)
{
	for (; *fmt; fmt++)
		gen_addc(g, *fmt == 'N' ? (char)('0' + gen_below(g, 10)) : *fmt);
}

static const char gen_base62[] =
	"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/*
 * An 18-char record id: key prefix, pod "5g", "0", nine base-62 digits of
 * `recno`, then the case-safe suffix Salesforce computes: for each block
 * of five chars, a bitmap of its upper-case letters mapped into
 * A-Z0-5.
 */
static inline void gen_add_id(struct gen_rows *g, const char *prefix,
			      uint64_t recno)
{
	char id[18];
	int i, j;

	memcpy(id, prefix, 3);
	memcpy(id + 3, "5g0", 3);
	for (i = 14; i >= 6; i--) {
		id[i] = gen_base62[recno % 62];
		recno /= 62;
	}
	for (i = 0; i < 3; i++) {
		unsigned bits = 0;

		for (j = 0; j < 5; j++)
			if (id[i * 5 + j] >= 'A' && id[i * 5 + j] <= 'Z')
				bits |= 1u << j;
		id[15 + i] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345"[bits];
	}
	gen_add(g, id, 18);
}

/* `sec` seconds after 2026-01-01T00:00:00Z as "2026-MM-DDTHH:MM:SS.000Z";
 * `sec` stays within the year. */
static inline void gen_add_datetime(struct gen_rows *g, uint32_t sec,
				    int date_only)
{
	static const uint8_t mdays[12] = {
		31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31,
	};
	uint32_t day = sec / 86400, tod = sec % 86400;
	int m = 0;

	while (m < 11 && day >= mdays[m])
		day -= mdays[m++];
	gen_adds(g, "2026-");
	gen_addu(g, (uint64_t)m + 1, 2);
	gen_addc(g, '-');
	gen_addu(g, day + 1, 2);
	if (date_only)
		return;
	gen_addc(g, 'T');
	gen_addu(g, tod / 3600, 2);
	gen_addc(g, ':');
	gen_addu(g, tod / 60 % 60, 2);
	gen_addc(g, ':');
	gen_addu(g, tod % 60, 2);
	gen_adds(g, ".000Z");
}

static inline void gen_add_words(struct gen_rows *g, unsigned n)
{
	unsigned i;

	for (i = 0; i < n; i++) {
		if (i)
			gen_addc(g, ' ');
		gen_adds(g, GEN_PICK(g, gen_words));
	}
}

/* ---- the generator ----------------------------------------------------- */

/* Starts the sequence of rows for `seed`.  This function can't fail. */
static inline void gen_init(struct gen_rows *g, uint64_t seed)
{
	memset(g, 0, sizeof(*g));
	g->rng = seed;
	g->contact = 62ULL * 62 * 62 * 62 * 62 * 7; /* "0000007..." */
}

/* Builds the next row into g->fields/g->lens.  This function can't fail. */
static inline void gen_next(struct gen_rows *g)
{
	size_t start[GEN_NCOLS];
	const struct gen_name *first = &GEN_PICK(g, gen_first);
	const struct gen_name *last = &GEN_PICK(g, gen_last);
	const struct gen_country *c = &GEN_PICK(g, gen_country);
	unsigned where = gen_below(g, 4);
	/* created in the first 9 months, modified later, viewed later
	 * still: all within 2026 */
	uint32_t created = gen_below(g, 273 * 86400);
	uint32_t modified = created + gen_below(g, 60 * 86400);
	uint32_t viewed = modified + gen_below(g, 30 * 86400);
	int col;

	g->len = 0;
	g->contact += 1 + gen_below(g, 4);
	for (col = 0; col < GEN_NCOLS; col++) {
		start[col] = g->len;
		switch ((enum gen_col)col) {
		case GC_ID:
			gen_add_id(g, "003", g->contact);
			break;
		case GC_ACCOUNTID:
			if (gen_pct(g, 95))
				gen_add_id(g, "001", 62ULL * 62 * 62 * 62 * 62 +
					   gen_below(g, 400000) * 13);
			break;
		case GC_CREATEDDATE:
			gen_add_datetime(g, created, 0);
			break;
		case GC_DEPARTMENT:
			if (gen_pct(g, 20))
				gen_adds(g, GEN_PICK(g, gen_department));
			break;
		case GC_DESCRIPTION:
			if (gen_pct(g, 5)) {
				/* the RFC 4180 cases: comma, doubled
				 * quotes, embedded newlines (LF, and now
				 * and then CRLF as pasted from Windows) */
				gen_adds(g, GEN_PICK(g, gen_quoted));
				gen_adds(g, gen_pct(g, 20) ? "\r\n" : "\n");
				gen_adds(g, "- ");
				gen_add_words(g, 1 + gen_below(g, 4));
				gen_adds(g, "\n- \"");
				gen_add_words(g, 1 + gen_below(g, 2));
				gen_adds(g, "\", ");
				gen_add_words(g, 1 + gen_below(g, 3));
			} else if (gen_pct(g, 7)) {
				gen_add_words(g, 3 + gen_below(g, 12));
				gen_addc(g, '.');
			}
			break;
		case GC_EMAIL:
			if (gen_pct(g, 4))
				break;
			gen_adds(g, first->ascii);
			gen_addc(g, '.');
			gen_adds(g, last->ascii);
			if (gen_pct(g, 30))
				gen_addu(g, gen_below(g, 100), 0);
			gen_addc(g, '@');
			gen_adds(g, GEN_PICK(g, gen_domain));
			break;
		case GC_FAX:
			if (gen_pct(g, 6))
				gen_add_digits(g, c->phone);
			break;
		case GC_FIRSTNAME:
			gen_adds(g, first->utf8);
			break;
		case GC_LASTACTIVITYDATE:
			if (gen_pct(g, 30))
				gen_add_datetime(g, modified, 1);
			break;
		case GC_LASTNAME:
			gen_adds(g, last->utf8);
			break;
		case GC_LASTMODIFIEDDATE:
			gen_add_datetime(g, modified, 0);
			break;
		case GC_LASTREFERENCEDDATE:
			if (gen_pct(g, 8))
				gen_add_datetime(g, viewed, 0);
			break;
		case GC_LASTVIEWEDDATE:
			if (gen_pct(g, 8))
				gen_add_datetime(g, viewed, 0);
			break;
		case GC_LEADSOURCE:
			if (gen_pct(g, 40))
				gen_adds(g, GEN_PICK(g, gen_leadsource));
			break;
		case GC_MAILINGSTREET:
			if (gen_pct(g, 50))
				break;
			if (c->number_first) {
				gen_addu(g, 1 + gen_below(g, 2999), 0);
				gen_addc(g, ' ');
				gen_adds(g, c->streets[gen_below(g, 4)]);
			} else {
				gen_adds(g, c->streets[gen_below(g, 4)]);
				gen_addc(g, ' ');
				gen_addu(g, 1 + gen_below(g, 199), 0);
			}
			break;
		case GC_MAILINGCITY:
			if (g->lens[GC_MAILINGSTREET])
				gen_adds(g, c->cities[where]);
			break;
		case GC_MAILINGCOUNTRY:
			if (g->lens[GC_MAILINGSTREET])
				gen_adds(g, c->name);
			break;
		case GC_MAILINGSTATE:
			if (g->lens[GC_MAILINGSTREET])
				gen_adds(g, c->states[where]);
			break;
		case GC_NAME:
			gen_adds(g, first->utf8);
			gen_addc(g, ' ');
			gen_adds(g, last->utf8);
			break;
		case GC_PHONE:
			if (gen_pct(g, 70))
				gen_add_digits(g, c->phone);
			break;
		case GC_TITLE:
			if (gen_pct(g, 35))
				gen_adds(g, GEN_PICK(g, gen_title));
			break;
		case GC_ISDELETED:
			gen_adds(g, gen_below(g, 1000) < 3 ? "true" : "false");
			break;
		}
		g->lens[col] = g->len - start[col];
		gen_addc(g, '\0');
	}
	for (col = 0; col < GEN_NCOLS; col++)
		g->fields[col] = g->buf + start[col];
	g->rowno++;
}

#endif
