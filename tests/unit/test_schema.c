/*
 * test_schema.c - the embedded schemas load and say what the seed's
 * appendix says; value checks and header binding behave.
 */
#include <stdlib.h>
#include <string.h>

#include "schema.h"
#include "tap.h"

static const char *const lead_fields[] = {
	"Id", "City", "Company", "ConvertedAccountId", "ConvertedContactId",
	"ConvertedDate", "ConvertedOpportunityId", "Country", "CreatedDate",
	"Email", "FirstName", "Industry", "IsConverted", "IsUnreadByOwner",
	"LastActivityDate", "LastName", "LastReferencedDate",
	"LastViewedDate", "LeadSource", "OwnerId", "Phone", "State",
	"Status", "Street", "Title", "Website", "LastModifiedDate",
	"IsDeleted", NULL
};

static const char *const inmail_fields[] = {
	"ActivityDate", "OwnerId", "WhoId", "WhatId", "RecordTypeId",
	"Subject", "Status", "Description", NULL
};

static int check(enum field_type t, const char *v)
{
	char why[128];

	return field_value_check(t, 0, v, strlen(v), why, sizeof(why));
}

static void test_load(void)
{
	static const char *const expect[] = {
		"salesforce/Lead", "salesforce/Contact", "salesforce/Account",
		"salesforce/Opportunity", "salesforce/OpportunityContactRole",
		"salesforce/User", "salesforce/UserRole", "salesforce/InMail",
		"salesforce/Message", "salesforce/Call",
		"salesforce/PointDriveView", "salesforce/Note",
		"directory/members", "directory/companies", "directory/seats",
		"directory/activities", "directory/overrides",
		"staged/manifest", NULL
	};
	struct err e = ERR_INIT;
	size_t i;

	ok(schemas_load(&e) == 0, "schemas load: %s", e.msg);
	ok(schema_count() >= 18, "at least 18 schemas (%zu)",
	   schema_count());
	for (i = 0; expect[i]; i++) {
		char group[32];
		const char *slash = strchr(expect[i], '/');

		snprintf(group, sizeof(group), "%.*s",
			 (int)(slash - expect[i]), expect[i]);
		ok(schema_find(group, slash + 1) != NULL, "schema %s exists",
		   expect[i]);
	}
	for (i = 1; i < schema_count(); i++) {
		const struct schema *a = schema_at(i - 1), *b = schema_at(i);
		int c = strcmp(a->group, b->group);

		if (c > 0 || (!c && strcmp(a->name, b->name) >= 0))
			break;
	}
	ok(i == schema_count(), "schemas come in (group, name) order");
}

static void test_lead(void)
{
	const struct schema *s = schema_find("salesforce", "Lead");
	const char *const *names;
	size_t i;
	int same = 1;

	if (!ok(s != NULL, "Lead found"))
		return;
	for (i = 0; lead_fields[i]; i++)
		;
	is_int(s->nfields, i, "Lead has the appendix's 27 fields + IsDeleted");
	names = schema_field_names(s);
	for (i = 0; lead_fields[i] && i < s->nfields; i++)
		if (strcmp(names[i], lead_fields[i]))
			same = 0;
	ok(same, "Lead fields in appendix order");
	is_str(s->direction, "read", "Lead is read");
	is_str(s->key, "Id", "Lead key is Id");
	ok(s->fields[0].required && s->fields[0].type == FT_ID,
	   "Lead.Id is a required id");
	i = (size_t)schema_field_index(s, "LastModifiedDate");
	ok(s->fields[i].required && s->fields[i].type == FT_DATETIME,
	   "Lead.LastModifiedDate is a required datetime");
	i = (size_t)schema_field_index(s, "IsDeleted");
	is_int(s->fields[i].type, FT_BOOLEAN, "Lead.IsDeleted is boolean");
	is_int(schema_field_index(s, "Nope"), -1, "unknown field index -1");
	is_str(schema_suggest_field(s, "Emial"), "Email", "Emial -> Email");
	is_str(schema_suggest_field(s, "firstname"), "FirstName",
	       "case-blind suggestion");
	ok(schema_suggest_field(s, "Zebra") == NULL, "no wild suggestion");
}

static void test_written(void)
{
	const struct schema *s = schema_find("salesforce", "InMail");
	const struct schema *n = schema_find("salesforce", "Note");
	size_t i;
	int same = 1;

	if (!ok(s && n, "InMail and Note found"))
		return;
	is_str(s->sobject, "Task", "InMail is written as a Task");
	is_str(s->direction, "write", "InMail is written");
	for (i = 0; inmail_fields[i]; i++)
		if (i >= s->nfields || strcmp(s->fields[i].name,
					      inmail_fields[i]))
			same = 0;
	ok(same && s->nfields == i, "InMail has exactly the appendix's fields");
	i = (size_t)schema_field_index(s, "Subject");
	is_int(s->fields[i].max_length, 255, "Subject max 255");
	is_str(n->sobject, "Note", "Note is a Note");
	is_int(n->nfields, 4, "Note: OwnerId, ParentId, Title, Body");
	is_int(n->fields[schema_field_index(n, "Title")].max_length, 80,
	       "Note Title max 80");
	s = schema_find("salesforce", "Call");
	is_int(s->nfields, 7, "Call has 7 fields");
	ok(schema_field_index(s, "ActivityDate") < 0, "Call: no ActivityDate");
	s = schema_find("salesforce", "PointDriveView");
	is_int(s->nfields, 8, "PointDriveView: Call's fields + ActivityDate");
}

static void test_values(void)
{
	char why[128];

	ok(!check(FT_BOOLEAN, "true") && !check(FT_BOOLEAN, "false"),
	   "booleans true/false");
	ok(check(FT_BOOLEAN, "yes") && check(FT_BOOLEAN, "True") &&
	   check(FT_BOOLEAN, "1"), "yes, True, 1 are not booleans");
	field_value_check(FT_BOOLEAN, 0, "yes", 3, why, sizeof(why));
	is_str(why, "not a boolean (true or false): 'yes'", "boolean reason");
	ok(!check(FT_DATE, "2026-11-29"), "2026-11-29 is a date");
	ok(check(FT_DATE, "2026-02-30"), "2026-02-30 is not");
	ok(check(FT_DATE, "2026-02-29"), "2026-02-29 is not (not leap)");
	ok(!check(FT_DATE, "2028-02-29"), "2028-02-29 is (leap)");
	ok(check(FT_DATE, "1900-02-29"), "1900-02-29 is not");
	ok(!check(FT_DATE, "2000-02-29"), "2000-02-29 is");
	ok(check(FT_DATE, "2026-13-01") && check(FT_DATE, "2026-1-01") &&
	   check(FT_DATE, "2026-11-29T00:00:00Z"), "malformed dates");
	ok(!check(FT_DATETIME, "2026-11-29T20:15:00.000Z"),
	   "Salesforce datetime");
	ok(!check(FT_DATETIME, "2026-11-29T20:15:00Z"), "without millis");
	ok(!check(FT_DATETIME, "2026-11-29T20:15:00.000+0000"),
	   "+0000 offset");
	ok(!check(FT_DATETIME, "2026-11-29T20:15:00+01:00"), "+01:00 offset");
	ok(check(FT_DATETIME, "2026-11-29T20:15:00"), "no zone refused");
	ok(check(FT_DATETIME, "2026-11-29T24:00:00Z"), "hour 24 refused");
	ok(check(FT_DATETIME, "2026-02-30T10:00:00Z"), "bad day refused");
	ok(check(FT_DATETIME, "2026-11-29 20:15:00Z"), "space refused");
	ok(check(FT_DATETIME, "2026-11-29T20:15:00.Z"), "empty fraction");
	ok(!check(FT_INT, "42") && !check(FT_INT, "-7"), "ints");
	ok(check(FT_INT, "4.2") && check(FT_INT, "1e3") && check(FT_INT, "-"),
	   "non-ints");
	ok(!check(FT_CURRENCY, "1234.50") && !check(FT_DOUBLE, "-.5") &&
	   !check(FT_PERCENT, "12") && !check(FT_DOUBLE, "1.5E7"),
	   "numbers");
	ok(check(FT_DOUBLE, "1,5") && check(FT_DOUBLE, "nan") &&
	   check(FT_DOUBLE, "0x10") && check(FT_DOUBLE, "."), "non-numbers");
	ok(!check(FT_ID, "00Q5g00000ABCDE") &&
	   !check(FT_ID, "00Q5g00000ABCDEFGH"), "15 and 18 char ids");
	ok(check(FT_ID, "00Q5g00000ABCD") && check(FT_ID, "00Q5g00000ABC-E"),
	   "bad ids");
	ok(!check(FT_SHA256, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b"
		  "934ca495991b7852b855"), "sha256");
	ok(check(FT_SHA256, "E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B"
		 "934CA495991B7852B855"), "upper-case sha256 refused");
	ok(!check(FT_EMAIL, "a.b@example.com") && check(FT_EMAIL, "a@b@c") &&
	   check(FT_EMAIL, "nobody") && check(FT_EMAIL, "a b@c.d"),
	   "emails");
	ok(!field_value_check(FT_STRING, 3, "\xc3\xa9t\xc3\xa9", 5, why,
			      sizeof(why)), "3 code points fit max_length 3");
	ok(field_value_check(FT_STRING, 2, "\xc3\xa9t\xc3\xa9", 5, why,
			     sizeof(why)), "but not max_length 2");
	is_str(why, "3 characters, more than the 2 allowed", "length reason");
	ok(field_value_check(FT_STRING, 0, "\xc3(", 2, why, sizeof(why)),
	   "invalid UTF-8 refused");
	ok(field_value_check(FT_STRING, 0, "\xed\xa0\x80", 3, why,
			     sizeof(why)), "surrogate refused");
}

static void test_bind(void)
{
	const struct schema *s = schema_find("salesforce", "UserRole");
	static char id[] = "Id", name[] = "Name", nmae[] = "Nmae",
		parent[] = "ParentRoleId", lmd[] = "LastModifiedDate",
		del[] = "IsDeleted", colour[] = "Colour";
	char *good[] = { lmd, id, name, parent, del };
	char *typo[] = { id, nmae, parent, lmd, del };
	char *extra[] = { id, name, parent, lmd, del, colour };
	char *dup[] = { id, id };
	size_t map[8];
	struct err e = ERR_INIT;

	ok(schema_bind_header(s, "org/UserRole.csv", good, 5, map, &e) == 0,
	   "header in any order binds");
	ok(map[0] == 1 && map[1] == 2 && map[3] == 0, "map follows columns");
	ok(schema_bind_header(s, "org/UserRole.csv", typo, 5, map, &e) < 0,
	   "typo refused");
	is_str(e.msg, "'org/UserRole.csv' line 1: header lacks field 'Name' "
	       "of schema salesforce/UserRole (found 'Nmae': did you mean "
	       "'Name'?)", "typo message");
	is_int(e.cls, ERR_DATA, "ERR_DATA");
	ok(schema_bind_header(s, "r.csv", extra, 6, map, &e) < 0,
	   "extra column refused");
	is_str(e.msg, "'r.csv' line 1: column 'Colour' is not a field of "
	       "schema salesforce/UserRole", "extra column message");
	ok(schema_bind_header(s, "r.csv", dup, 2, map, &e) < 0,
	   "duplicate column refused");
	is_str(e.msg, "'r.csv' line 1: column 'Id' appears twice",
	       "duplicate message");
	ok(schema_bind_header(s, "r.csv", good, 3, map, &e) < 0,
	   "missing fields refused");
	is_str(e.msg, "'r.csv' line 1: header lacks fields 'ParentRoleId', "
	       "'IsDeleted' of schema salesforce/UserRole", "missing list");
	is_int(edit_distance("kitten", "sitting", 5), 3, "edit distance");
	is_int(edit_distance("a", "abcdef", 2), 3, "edit distance capped");
}

int main(void)
{
	test_load();
	test_lead();
	test_written();
	test_values();
	test_bind();
	schemas_free();
	return tap_done();
}
