/*
 * schema.h - the field lists of every file crmsync reads or writes.
 *
 * The lists live in one place only: schemas/<group>/<Name>.yaml in the
 * source tree.  The build embeds those files into the binary
 * (build/gen/schemas_embed.c), so an installed crmsync needs no data
 * directory; schema.c parses them on first use.
 *
 * Groups:
 *   salesforce  objects read from or written to Salesforce (seed appendix)
 *   directory   files the directory side drops in (members, companies, ...)
 *   staged      files the stages write (matches, change sets, ...)
 *
 * File format (one object per file):
 *
 *   name: Lead
 *   group: salesforce
 *   direction: read          # salesforce only: read | write
 *   sobject: Task            # salesforce write only: the sObject written
 *   key: Id                  # the identifying field, if any
 *   description: ...
 *   fields:
 *     - name: Id
 *       type: id             # see enum field_type
 *       required: true       # a row without it is rejected
 *       max_length: 18       # optional
 *       description: ...
 *
 * Schemas are immutable once loaded and live until schemas_free();
 * pointers to them may be kept freely.
 */
#ifndef CRMSYNC_SCHEMA_H
#define CRMSYNC_SCHEMA_H

#include <stddef.h>

#include "errors.h"

enum field_type {
	FT_ID,        /* Salesforce Id: 15 or 18 alphanumerics */
	FT_REFERENCE, /* an Id pointing at another record, may be empty */
	FT_STRING,
	FT_TEXTAREA,  /* free text, may hold newlines */
	FT_EMAIL,
	FT_PHONE,
	FT_URL,
	FT_PICKLIST,
	FT_BOOLEAN,   /* true | false */
	FT_INT,
	FT_DOUBLE,
	FT_CURRENCY,
	FT_PERCENT,
	FT_DATE,      /* 2026-11-29 */
	FT_DATETIME,  /* 2026-11-29T20:15:00.000Z */
	FT_SHA256,    /* 64 lower-case hex digits */
};

struct schema_field {
	const char *name;
	enum field_type type;
	int required;
	size_t max_length; /* 0: no limit */
	const char *description;
};

struct schema {
	const char *name;   /* "Lead", "members", "person_matches" */
	const char *group;  /* "salesforce", "directory", "staged" */
	const char *direction; /* "read", "write" or NULL */
	const char *sobject;   /* sObject written, for write schemas */
	const char *key;    /* key field or NULL */
	const char *description;
	const char *source; /* "schemas/salesforce/Lead.yaml" */
	size_t nfields;
	const struct schema_field *fields;
};

/*
 * Parses the embedded schema files once.  Fails with ERR_SOFTWARE naming
 * the schema file, line and column when one is malformed (a build that
 * embeds a bad schema is a bug).  Later calls return 0 at once.
 */
int schemas_load(struct err *err);

/* Releases what schemas_load() built; every schema pointer dies. */
void schemas_free(void);

/* Finds a schema by group and name (case-sensitive); NULL when unknown.
 * Calls schemas_load() if needed and returns NULL when that fails. */
const struct schema *schema_find(const char *group, const char *name);

/* Number of loaded schemas and the i-th one, in (group, name) order. */
size_t schema_count(void);
const struct schema *schema_at(size_t i);

/* Index of `field` in `s`, or -1. */
int schema_field_index(const struct schema *s, const char *field);

/* The field of `s` closest to `name` by edit distance when the distance
 * is small enough to be a likely typo, else NULL ("did you mean"). */
const char *schema_suggest_field(const struct schema *s, const char *name);

const char *field_type_name(enum field_type t);

/*
 * Checks that `value` (of `len` bytes, not empty) is well-formed for type
 * `t` and no longer than `max_length` characters (when non-zero).
 * Returns 0, or -1 with a short reason in *why ("not a boolean: 'yes'"
 * style, static or built into `whybuf` of `whylen` bytes).
 */
int field_value_check(enum field_type t, size_t max_length,
		      const char *value, size_t len,
		      char *whybuf, size_t whylen);

/*
 * Binds a CSV header to a schema: `map[i]` receives the column index of
 * schema field i.  Every schema field must be present exactly once; a
 * column not in the schema is refused.  Errors (ERR_DATA) name `file`,
 * list the missing or unknown names and suggest close matches:
 *   "'org/Lead.csv' line 1: header lacks field 'Email' of schema
 *    salesforce/Lead (found 'Emial': did you mean 'Email'?)"
 * `map` must have room for s->nfields entries.
 */
int schema_bind_header(const struct schema *s, const char *file,
		       char *const *names, size_t ncols, size_t *map,
		       struct err *err);

/* The names of `s`'s fields as an array valid as long as `s` (for
 * csvw_open()). */
const char *const *schema_field_names(const struct schema *s);

/* Edit distance (Levenshtein, bytes) capped at `cap`+1; shared by every
 * "did you mean" in crmsync. */
size_t edit_distance(const char *a, const char *b, size_t cap);

#endif
