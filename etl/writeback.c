/*
 * writeback.c - the export stage: activities -> Task / Note rows, the
 * ledger, ingest jobs (see writeback.h).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "crypto.h"
#include "csvio.h"
#include "fsutil.h"
#include "log.h"
#include "schema.h"
#include "sf_auth.h"
#include "sf_ingest.h"
#include "store.h"
#include "timeutil.h"
#include "writeback.h"
#include "xalloc.h"

/* A row refused this many times for a transient reason fails for good. */
#define WB_MAX_ATTEMPTS 5

/* ---- the ledger's schema (store component "ledger") ----------------------- */

static const char *const ledger_steps[] = {
	"CREATE TABLE wb_jobs(\n"
	"  job_id TEXT PRIMARY KEY,\n"
	"  sobject TEXT NOT NULL,\n"
	"  operation TEXT NOT NULL,\n"
	"  key_field TEXT,\n"              /* upsert: the external id field */
	"  state TEXT NOT NULL CHECK (state IN ('open', 'settled')),\n"
	"  rows INTEGER NOT NULL,\n"
	"  run_id TEXT NOT NULL,\n"
	"  outcome TEXT);\n"
	"CREATE TABLE wb_activities(\n"
	"  activity_id TEXT PRIMARY KEY,\n"
	"  type TEXT NOT NULL,\n"
	"  seat_id TEXT NOT NULL,\n"
	"  member_id TEXT,\n"
	"  company_page_id TEXT,\n"
	"  occurred_at TEXT NOT NULL,\n"
	"  subject TEXT,\n"
	"  body TEXT,\n"
	"  duration INTEGER,\n"
	"  source TEXT NOT NULL,\n"
	"  state TEXT NOT NULL CHECK (state IN ('new', 'held', 'skipped',\n"
	"    'pending', 'submitted', 'written', 'failed')),\n"
	"  reason TEXT,\n"
	"  sobject TEXT,\n"
	"  header TEXT,\n"                 /* request columns, CSV */
	"  request TEXT,\n"                /* the row as sent, CSV */
	"  row_key TEXT,\n"                /* joins result rows back */
	"  job_id TEXT REFERENCES wb_jobs(job_id),\n"
	"  sf_id TEXT,\n"
	"  attempts INTEGER NOT NULL DEFAULT 0,\n"
	"  cut INTEGER NOT NULL DEFAULT 0,\n"
	"  run_id TEXT NOT NULL,\n"        /* run that read it */
	"  updated_run_id TEXT NOT NULL);\n"
	"CREATE INDEX wb_activities_state ON wb_activities(state);\n"
	"CREATE INDEX wb_activities_job ON wb_activities(job_id);\n"
	"CREATE TABLE wb_prefs(\n"
	"  seat_id TEXT NOT NULL,\n"
	"  updated_at TEXT NOT NULL,\n"    /* '' when the seats file had none */
	"  preference TEXT NOT NULL,\n"    /* on | off */
	"  types TEXT NOT NULL,\n"         /* InMail;Call or '' (all) */
	"  PRIMARY KEY (seat_id, updated_at));\n",
	/* 2: jobs possibly created but not recorded (see sweep_intents()) */
	"CREATE TABLE wb_intents(\n"
	"  intent_id INTEGER PRIMARY KEY,\n"
	"  sobject TEXT NOT NULL,\n"
	"  operation TEXT NOT NULL,\n"
	"  key_field TEXT,\n"
	"  at_ms INTEGER NOT NULL,\n"       /* real clock before the create */
	"  run_id TEXT NOT NULL);\n"
	"ALTER TABLE wb_jobs ADD COLUMN created_by TEXT;\n",
	/* 3: the texts apart from the states, so that a state change
	 * rewrites a short row (a cycle changes each row three times) */
	"CREATE TABLE wb_payloads(\n"
	"  activity_id TEXT PRIMARY KEY\n"
	"    REFERENCES wb_activities(activity_id),\n"
	"  subject TEXT,\n"
	"  body TEXT,\n"
	"  header TEXT,\n"                 /* request columns, CSV */
	"  request TEXT);\n"               /* the row as sent, CSV */
	"INSERT INTO wb_payloads SELECT activity_id, subject, body, header,\n"
	"  request FROM wb_activities;\n"
	"ALTER TABLE wb_activities DROP COLUMN subject;\n"
	"ALTER TABLE wb_activities DROP COLUMN body;\n"
	"ALTER TABLE wb_activities DROP COLUMN header;\n"
	"ALTER TABLE wb_activities DROP COLUMN request;\n",
};

/* An orphan job (created, never recorded) was created between its
 * intent's time less this much (clock skew) and its time plus this. */
#define WB_ORPHAN_SKEW_MS (10LL * 60 * 1000)
#define WB_ORPHAN_SPAN_MS (30LL * 60 * 1000)

/* ---- small helpers ------------------------------------------------------- */

int wb_cut(struct strbuf *out, const char *s, size_t limit)
{
	size_t units = 0, keep = 0, marker = strlen(WB_CUT_MARKER);
	size_t i = 0, total_units;

	/* count UTF-16 units: 4-byte sequences are surrogate pairs */
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		if ((*p & 0xC0) != 0x80)
			units += *p >= 0xF0 ? 2 : 1;
	total_units = units;
	if (total_units <= limit) {
		strbuf_addstr(out, s);
		return 0;
	}
	units = 0;
	while (s[i]) {
		unsigned char c = (unsigned char)s[i];
		size_t len = c < 0x80 ? 1 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;
		size_t u = c >= 0xF0 ? 2 : 1;

		if (units + u + marker > limit)
			break;
		units += u;
		i += len;
		keep = i;
	}
	strbuf_add(out, s, keep);
	strbuf_addstr(out, WB_CUT_MARKER);
	return 1;
}

void wb_csv_value(struct strbuf *out, const char *v)
{
	if (!v[strcspn(v, ",\"\r\n")]) {
		strbuf_addstr(out, v);
		return;
	}
	strbuf_addch(out, '"');
	for (; *v; v++) {
		if (*v == '"')
			strbuf_addch(out, '"');
		strbuf_addch(out, *v);
	}
	strbuf_addch(out, '"');
}

int wb_error_transient(const char *e)
{
	static const char *const codes[] = {
		"UNABLE_TO_LOCK_ROW", "REQUEST_RUNNING_TOO_LONG",
		"SERVER_UNAVAILABLE", "UNKNOWN_EXCEPTION", "QUERY_TIMEOUT",
		"API_TEMPORARILY_UNAVAILABLE", "TooManyLockFailure",
		"TOO_MANY_LOCK_FAILURE", NULL,
	};
	size_t n = strcspn(e, ":");

	for (size_t i = 0; codes[i]; i++)
		if (strlen(codes[i]) == n && strncmp(e, codes[i], n) == 0)
			return 1;
	return 0;
}

static const char *display_name(const char *path)
{
	const char *slash = strrchr(path, '/');

	return slash ? slash + 1 : path;
}

static const char *col_text(sqlite3_stmt *q, int i)
{
	const unsigned char *t = sqlite3_column_text(q, i);

	return t ? (const char *)t : "";
}

static int db_fail(sqlite3 *db, struct err *err, const char *what)
{
	int code = sqlite3_errcode(db) & 0xff;
	enum err_class cls = code == SQLITE_BUSY || code == SQLITE_LOCKED ?
			     ERR_TEMPFAIL : code == SQLITE_FULL ||
			     code == SQLITE_IOERR ? ERR_IO : ERR_SOFTWARE;

	return err_set(err, cls, "store '%s': %s: %s",
		       sqlite3_db_filename(db, "main"), what,
		       sqlite3_errmsg(db));
}

static sqlite3_stmt *prep(sqlite3 *db, const char *sql, struct err *err)
{
	sqlite3_stmt *q = NULL;

	if (sqlite3_prepare_v2(db, sql, -1, &q, NULL) != SQLITE_OK) {
		db_fail(db, err, "cannot prepare a statement");
		return NULL;
	}
	return q;
}

/* Binds texts (NULL binds NULL) to ?1..?n. */
static void bind_texts(sqlite3_stmt *q, size_t n, const char *const *v)
{
	sqlite3_reset(q);
	sqlite3_clear_bindings(q);
	for (size_t i = 0; i < n; i++)
		if (v[i])
			sqlite3_bind_text(q, (int)i + 1, v[i], -1,
					  SQLITE_TRANSIENT);
}

/* Runs a statement without results with text parameters. */
static int exec_texts(sqlite3 *db, sqlite3_stmt *q, size_t n,
		      const char *const *v, struct err *err)
{
	bind_texts(q, n, v);
	if (sqlite3_step(q) != SQLITE_DONE)
		return db_fail(db, err, "cannot update the ledger");
	sqlite3_reset(q);
	return 0;
}

/* ---- the cycle's context ----------------------------------------------------- */

enum wb_kind { K_TASK, K_NOTE };

struct cycle {
	const struct job *job;
	const struct run *run;
	const struct export_options *opt;
	struct export_result *res;
	struct store *store;
	sqlite3 *db;
	struct stage *st;
	/* Salesforce side (NULL with a fixture source) */
	struct http_client *http;
	struct sf_session *session;
	struct bulk_ctx bulk;
	/* rejects file */
	struct csv_writer *rj;
	uint64_t rj_rows;
	struct strbuf record;
	uint64_t fixture_batches;
};

static const char *const rejects_header[] = {
	"source_file", "source_line", "reason", "record",
};

/* The record as one CSV line, invalid UTF-8 as \xNN. */
static void record_text(struct strbuf *sb, char *const *fields,
			const size_t *lens, size_t n)
{
	strbuf_reset(sb);
	for (size_t i = 0; i < n; i++) {
		size_t pos = 0;

		if (i)
			strbuf_addch(sb, ',');
		strbuf_addch(sb, '"');
		while (pos < lens[i]) {
			int bad = 0;
			size_t good = utf8_check(fields[i] + pos,
						 lens[i] - pos, &bad);

			for (size_t k = 0; k < good; k++) {
				if (fields[i][pos + k] == '"')
					strbuf_addch(sb, '"');
				strbuf_addch(sb, fields[i][pos + k]);
			}
			pos += good;
			if (bad && pos < lens[i])
				strbuf_addf(sb, "\\x%02x",
					    (unsigned char)fields[i][pos++]);
		}
		strbuf_addch(sb, '"');
	}
}

static int reject(struct cycle *c, const char *source, uint64_t line,
		  const char *why, const struct csv_row *row, struct err *err)
{
	char num[24];
	const char *v[4];

	if (!c->rj) {
		char *dir = stage_path(c->st, "rejects");
		char *path = stage_path(c->st, "rejects/export.csv.gz");
		int ok = fs_mkdirs(dir, 0755, err);

		if (ok == 0)
			c->rj = csvw_open(path, rejects_header, 4, 0, err);
		free(dir);
		free(path);
		if (!c->rj)
			return -1;
	}
	snprintf(num, sizeof(num), "%llu", (unsigned long long)line);
	record_text(&c->record, row->fields, row->lens, row->nfields);
	v[0] = display_name(source);
	v[1] = num;
	v[2] = why;
	v[3] = c->record.buf;
	c->rj_rows++;
	c->res->rejected++;
	return csvw_row(c->rj, v, NULL, err);
}

/* ---- inputs --------------------------------------------------------------------- */

static const char *const type_names[WB_NTYPES] = {
	"InMail", "Message", "Call", "Note", "PointDrive",
};

static int type_of(const char *s)
{
	for (int t = 0; t < WB_NTYPES; t++)
		if (strcmp(s, type_names[t]) == 0)
			return t;
	return -1;
}

/* Opens a directory input bound to its schema; map[] gets the columns. */
static struct csv_reader *open_input(const char *path, const char *name,
				     size_t **map, struct err *err)
{
	const struct schema *s = schema_find("directory", name);
	struct csv_reader *r;

	*map = NULL;
	if (!s) {
		err_set(err, ERR_SOFTWARE, "schema directory/%s missing", name);
		return NULL;
	}
	r = csvr_open(path, staged_read_flags(path), err);
	if (!r)
		return NULL;
	*map = xcalloc(s->nfields, sizeof(**map));
	if (schema_bind_header(s, path, csvr_header(r)->fields,
			       csvr_header(r)->nfields, *map, err) < 0) {
		csvr_close(r);
		free(*map);
		*map = NULL;
		return NULL;
	}
	return r;
}

/* The reason of a malformed record without the "'<file>' line <N>: "
 * the rejects file says in its own columns; clears `err`. */
static void bad_row_reason(struct err *err, const struct csv_row *row,
			   char *why, size_t wl)
{
	char mark[40];
	const char *p;

	snprintf(mark, sizeof(mark), " line %llu: ",
		 (unsigned long long)row->line);
	p = strstr(err->msg, mark);
	snprintf(why, wl, "%s", p ? p + strlen(mark) : err->msg);
	err_clear(err);
}

/* Checks every field of a row against the schema; why[] empty if fine. */
static void check_fields(const struct schema *s, const size_t *map,
			 const struct csv_row *row, char *why, size_t wl)
{
	char fwhy[256];

	for (size_t i = 0; i < s->nfields && !*why; i++) {
		const struct schema_field *f = &s->fields[i];
		const char *v = row->fields[map[i]];
		size_t len = row->lens[map[i]];

		if (!len) {
			if (f->required)
				snprintf(why, wl, "field '%s' is required",
					 f->name);
			continue;
		}
		if (field_value_check(f->type, f->max_length, v, len, fwhy,
				      sizeof(fwhy)) < 0)
			snprintf(why, wl, "field '%s': %s", f->name, fwhy);
	}
}

/* Input lineage for the manifest. */
static int note_input(struct cycle *c, struct csv_reader *r, const char *path,
		      const char *schema, uint64_t rejected, struct err *err)
{
	char hex[SHA256_HEX_LEN + 1];

	if (csvr_sha256_hex(r, hex) < 0)
		return err_set(err, ERR_SOFTWARE, "'%s' not read to the end",
			       path);
	return stage_add_input(c->st, path, schema, csvr_records(r), rejected,
			       csvr_file_size(r), hex, err);
}

/* Seats: each user's own choice (R41), kept with its UpdatedAt. */
static int read_seats(struct cycle *c, struct err *err)
{
	const char *path = c->job->directory.seats;
	const struct schema *s = schema_find("directory", "seats");
	sqlite3_stmt *ins = NULL;
	struct csv_reader *r;
	const struct csv_row *row;
	enum csvr_status st;
	uint64_t rejected = 0;
	size_t *map = NULL;
	int ret = -1;

	if (!path)
		return 0;
	r = open_input(path, "seats", &map, err);
	if (!r)
		return -1;
	ins = prep(c->db, "INSERT OR REPLACE INTO wb_prefs(seat_id, "
		   "updated_at, preference, types) VALUES (?1, ?2, ?3, ?4)",
		   err);
	if (!ins)
		goto out;
	while ((st = csvr_next(r, &row, err)) != CSVR_EOF) {
		char why[ERR_MSG_MAX] = "";
		const char *pref = "", *types = "", *v[4];
		char stamp[32] = "";

		if (st == CSVR_ERROR)
			goto out;
		if (st == CSVR_BADROW) {
			bad_row_reason(err, row, why, sizeof(why));
		} else {
			check_fields(s, map, row, why, sizeof(why));
		}
		if (!*why) {
			int64_t ms;
			const char *t;

			pref = row->fields[map[4]];
			types = row->fields[map[5]];
			if (*pref && strcmp(pref, "on") && strcmp(pref, "off"))
				snprintf(why, sizeof(why), "field "
					 "'WritebackPreference': '%s' is not "
					 "on or off", pref);
			for (t = types; !*why && *t;) {
				size_t n = strcspn(t, ";");
				char name[16];

				snprintf(name, sizeof(name), "%.*s",
					 (int)(n < 15 ? n : 15), t);
				if (n >= 15 || type_of(name) < 0)
					snprintf(why, sizeof(why), "field "
						 "'WritebackTypes': '%.*s' is "
						 "not an activity type", (int)n,
						 t);
				t += n + (t[n] == ';');
			}
			if (*row->fields[map[6]] &&
			    sf_datetime_parse(row->fields[map[6]],
					      row->lens[map[6]], &ms) == 0)
				sf_datetime_format(ms, stamp, sizeof(stamp));
		}
		if (*why) {
			rejected++;
			if (reject(c, path, row->line, why, row, err) < 0)
				goto out;
			continue;
		}
		v[0] = row->fields[map[0]];
		v[1] = stamp;
		v[2] = *pref ? pref : "on";
		v[3] = types;
		if (exec_texts(c->db, ins, 4, v, err) < 0)
			goto out;
	}
	ret = note_input(c, r, path, "directory/seats", rejected, err);
out:
	sqlite3_finalize(ins);
	csvr_close(r);
	free(map);
	return ret;
}

/* Activities: new ones enter the ledger as 'new' (idempotent on
 * ActivityId: the first drop of an id wins). */
static int read_activities(struct cycle *c, struct err *err)
{
	const char *path = c->job->directory.activities;
	const struct schema *s = schema_find("directory", "activities");
	sqlite3_stmt *ins = NULL, *text = NULL;
	struct csv_reader *r;
	const struct csv_row *row;
	enum csvr_status st;
	uint64_t rejected = 0;
	size_t *map = NULL;
	int ret = -1;

	if (!path)
		return err_set(err, ERR_CONFIG, "job '%s': writeback needs "
			       "directory.activities", c->job->path);
	r = open_input(path, "activities", &map, err);
	if (!r)
		return -1;
	ins = prep(c->db, "INSERT OR IGNORE INTO wb_activities(activity_id, "
		   "type, seat_id, member_id, company_page_id, occurred_at, "
		   "duration, source, state, run_id, updated_run_id) VALUES "
		   "(?1, ?2, ?3, ?4, ?5, ?6, ?9, ?10, 'new', ?11, ?11)", err);
	/* (replacing a text a hand-deleted activity left behind) */
	text = prep(c->db, "INSERT OR REPLACE INTO wb_payloads(activity_id, "
		    "subject, body) VALUES (?1, ?2, ?3)", err);
	if (!ins || !text)
		goto out;
	while ((st = csvr_next(r, &row, err)) != CSVR_EOF) {
		char why[ERR_MSG_MAX] = "", stamp[32] = "", src[64];
		const char *v[11];
		int64_t ms = 0;

		if (st == CSVR_ERROR)
			goto out;
		c->res->read++;
		if (st == CSVR_BADROW) {
			bad_row_reason(err, row, why, sizeof(why));
		} else {
			check_fields(s, map, row, why, sizeof(why));
		}
		if (!*why && type_of(row->fields[map[1]]) < 0)
			snprintf(why, sizeof(why), "field 'Type': '%s' is not "
				 "one of InMail, Message, Call, Note, "
				 "PointDrive", row->fields[map[1]]);
		if (!*why && !*row->fields[map[3]] && !*row->fields[map[4]])
			snprintf(why, sizeof(why), "neither MemberId nor "
				 "CompanyPageId is given");
		if (!*why && sf_datetime_parse(row->fields[map[5]],
					       row->lens[map[5]], &ms) < 0)
			snprintf(why, sizeof(why), "field 'OccurredAt': not a "
				 "datetime");
		if (*why) {
			rejected++;
			if (reject(c, path, row->line, why, row, err) < 0)
				goto out;
			continue;
		}
		sf_datetime_format(ms, stamp, sizeof(stamp));
		snprintf(src, sizeof(src), "%s:%llu", display_name(path),
			 (unsigned long long)row->line);
		for (size_t i = 0; i < 9; i++)
			v[i] = *row->fields[map[i]] ? row->fields[map[i]]
						    : NULL;
		v[5] = stamp;
		v[9] = src;
		v[10] = c->run->id;
		bind_texts(ins, 11, v);
		if (sqlite3_step(ins) != SQLITE_DONE) {
			db_fail(c->db, err, "cannot add an activity");
			goto out;
		}
		sqlite3_reset(ins);
		if (!sqlite3_changes(c->db))
			continue; /* known already: the first drop wins */
		c->res->added++;
		{
			const char *t[3] = { v[0], v[6], v[7] };

			if (exec_texts(c->db, text, 3, t, err) < 0)
				goto out;
		}
	}
	ret = note_input(c, r, path, "directory/activities", rejected, err);
out:
	sqlite3_finalize(ins);
	sqlite3_finalize(text);
	csvr_close(r);
	free(map);
	return ret;
}

/* ---- rules (R41-R44) and rows ---------------------------------------------------- */

/* The request columns of a type, in a canonical order so that types
 * sharing a field list share a job. */
static const char *const task_order[] = {
	"RecordTypeId", "OwnerId", "WhoId", "WhatId", "ActivityDate",
	"Subject", "Status", "Description", NULL,
};
static const char *const note_order[] = {
	"ParentId", "OwnerId", "Title", "Body", NULL,
};

static const char *schema_name(int t)
{
	return t == WB_POINTDRIVE ? "PointDriveView" : type_names[t];
}

struct decision {
	const char *state;       /* skipped | held | pending */
	char reason[512];
	enum wb_kind kind;
	struct strbuf header, request;
	char key[SHA256_HEX_LEN + 1];
	int cut;
};

struct rule_stmts {
	sqlite3_stmt *seat, *link, *pref_at, *pref_first;
};

/* One link's CRM object and Id; 0 when not linked. */
static int find_link(struct cycle *c, struct rule_stmts *rs,
		     const char *kind, const char *target, char *object,
		     char *id)
{
	const char *v[2] = { kind, target };
	int found = 0;

	if (!target || !*target)
		return 0;
	bind_texts(rs->link, 2, v);
	if (sqlite3_step(rs->link) == SQLITE_ROW) {
		snprintf(object, 32, "%s", col_text(rs->link, 0));
		snprintf(id, 32, "%s", col_text(rs->link, 1));
		found = 1;
	}
	sqlite3_reset(rs->link);
	(void)c;
	return found;
}

/* The user's choice in force at `at`: the newest at or before it, else
 * the oldest known (a choice to stay out is never ignored), else on. */
static void user_choice(struct rule_stmts *rs, const char *seat,
			const char *at, char *pref, char *types, size_t tl)
{
	const char *v[2] = { seat, at };
	sqlite3_stmt *q = rs->pref_at;

	snprintf(pref, 8, "on");
	types[0] = '\0';
	bind_texts(q, 2, v);
	if (sqlite3_step(q) != SQLITE_ROW) {
		sqlite3_reset(q);
		q = rs->pref_first;
		bind_texts(q, 1, v);
		if (sqlite3_step(q) != SQLITE_ROW) {
			sqlite3_reset(q);
			return;
		}
	}
	snprintf(pref, 8, "%s", col_text(q, 0));
	snprintf(types, tl, "%s", col_text(q, 1));
	sqlite3_reset(q);
}

static int list_has(const char *list, const char *name)
{
	size_t n = strlen(name);

	for (const char *t = list; *t;) {
		size_t k = strcspn(t, ";");

		if (k == n && strncmp(t, name, n) == 0)
			return 1;
		t += k + (t[k] == ';');
	}
	return 0;
}

/* Columns: the activity as the ledger holds it. */
enum { A_ID, A_TYPE, A_SEAT, A_MEMBER, A_COMPANY, A_AT, A_SUBJECT, A_BODY,
       A_DURATION, A_NCOLS };

static void set_field(const char **names, const char **vals, size_t n,
		      const char *name, const char *value)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(names[i], name) == 0)
			vals[i] = value;
}

/*
 * Decides one activity (R41-R44): sets d->state and either the reason
 * or the frozen request row.
 */
static void decide(struct cycle *c, struct rule_stmts *rs,
		   const char *const *a, struct decision *d)
{
	const struct job_settings *js = c->job->settings;
	const char *ext = js->writeback.external_id_field;
	int t = type_of(a[A_TYPE]);
	char user[32] = "", email[256] = "", pref[8], types[128];
	char who_obj[32] = "", who[32] = "", acc_obj[32] = "", acc[32] = "";
	const char *names[12], *vals[12];
	struct strbuf subject = STRBUF_INIT, body = STRBUF_INIT;
	const char *const *order;
	const struct schema *s;
	char date[11];
	size_t n = 0;

	d->state = "skipped";
	d->reason[0] = '\0';
	d->cut = 0;
	strbuf_reset(&d->header);
	strbuf_reset(&d->request);
	if (!js->writeback.types[t]) {
		snprintf(d->reason, sizeof(d->reason), "%s is not a type the "
			 "admin writes back (writeback.types)", a[A_TYPE]);
		return;
	}
	/* owner: the seat's CRM user (R42) */
	bind_texts(rs->seat, 1, &a[A_SEAT]);
	if (sqlite3_step(rs->seat) == SQLITE_ROW) {
		snprintf(user, sizeof(user), "%s", col_text(rs->seat, 0));
		/* mapped by email: the seat's email is the user's */
		snprintf(email, sizeof(email), "%s", col_text(rs->seat, 1));
	}
	sqlite3_reset(rs->seat);
	if (!*user) {
		d->state = "held";
		snprintf(d->reason, sizeof(d->reason), "seat %s has no CRM "
			 "user in the seat map yet", a[A_SEAT]);
		return;
	}
	if (!job_user_listed(js->writeback.users, js->writeback.nusers,
			     *email ? email : NULL, user)) {
		snprintf(d->reason, sizeof(d->reason), "user %s is not enabled "
			 "for writeback by the admin (writeback.users)", user);
		return;
	}
	user_choice(rs, a[A_SEAT], a[A_AT], pref, types, sizeof(types));
	if (strcmp(pref, "off") == 0) {
		snprintf(d->reason, sizeof(d->reason), "the user of seat %s "
			 "turned writeback off", a[A_SEAT]);
		return;
	}
	if (*types && !list_has(types, a[A_TYPE])) {
		snprintf(d->reason, sizeof(d->reason), "the user of seat %s "
			 "does not write back %s", a[A_SEAT], a[A_TYPE]);
		return;
	}
	/* targets (R43) */
	find_link(c, rs, "person", a[A_MEMBER], who_obj, who);
	find_link(c, rs, "account", a[A_COMPANY], acc_obj, acc);
	if (t == WB_NOTE) {
		if (!*who && !*acc) {
			d->state = "held";
			snprintf(d->reason, sizeof(d->reason), "no CRM record "
				 "to attach the note to yet (%s%s%s not "
				 "linked)", a[A_MEMBER] ? a[A_MEMBER] : "",
				 a[A_MEMBER] && a[A_COMPANY] ? ", " : "",
				 a[A_COMPANY] ? a[A_COMPANY] : "");
			return;
		}
	} else if (!a[A_MEMBER]) {
		snprintf(d->reason, sizeof(d->reason), "only notes are written "
			 "to accounts (R43)");
		return;
	}

	/* the row: exactly the schema's fields */
	s = schema_find("salesforce", schema_name(t));
	d->kind = t == WB_NOTE ? K_NOTE : K_TASK;
	order = d->kind == K_NOTE ? note_order : task_order;
	if (d->kind == K_TASK && ext) {
		names[n] = ext;
		vals[n++] = a[A_ID];
	}
	for (size_t i = 0; order[i]; i++)
		if (schema_field_index(s, order[i]) >= 0) {
			names[n] = order[i];
			vals[n++] = "";
		}
	memcpy(date, a[A_AT], 10);
	date[10] = '\0';
	if (d->kind == K_NOTE) {
		d->cut += wb_cut(&subject, a[A_SUBJECT] ? a[A_SUBJECT] : "Note",
				 80);
		d->cut += wb_cut(&body, a[A_BODY] ? a[A_BODY] : "", 32000);
		set_field(names, vals, n, "ParentId", *who ? who : acc);
		set_field(names, vals, n, "Title", subject.buf);
		set_field(names, vals, n, "Body", body.buf);
	} else {
		static const char *const labels[WB_NTYPES] = {
			"InMail", "Message", "Call", "Note",
			"PointDrive view",
		};
		const char *rt = js->writeback.record_type_ids[t];

		d->cut += wb_cut(&subject, a[A_SUBJECT] ? a[A_SUBJECT]
							: labels[t], 255);
		d->cut += wb_cut(&body, a[A_BODY] ? a[A_BODY] : "", 32000);
		set_field(names, vals, n, "RecordTypeId", rt ? rt : "");
		set_field(names, vals, n, "WhoId", who);
		/* a Lead takes no WhatId; an unassigned Task may still name
		 * the account */
		if (strcmp(who_obj, "Lead") != 0)
			set_field(names, vals, n, "WhatId", acc);
		set_field(names, vals, n, "ActivityDate", date);
		set_field(names, vals, n, "Subject", subject.buf);
		set_field(names, vals, n, "Status", js->writeback.task_status);
		set_field(names, vals, n, "Description", body.buf);
	}
	set_field(names, vals, n, "OwnerId", user);
	for (size_t i = 0; i < n; i++) {
		if (i) {
			strbuf_addch(&d->header, ',');
			strbuf_addch(&d->request, ',');
		}
		strbuf_addstr(&d->header, names[i]);
		wb_csv_value(&d->request, vals[i]);
	}
	if (d->kind == K_TASK && ext) {
		snprintf(d->key, sizeof(d->key), "%s", a[A_ID]);
	} else {
		struct sha256 *h = sha256_new();

		sha256_update(h, d->request.buf, d->request.len);
		sha256_final_hex(h, d->key);
	}
	d->state = "pending";
	if (!*who && d->kind == K_TASK)
		snprintf(d->reason, sizeof(d->reason), "unassigned: %s is not "
			 "linked to a Lead or Contact (R43)", a[A_MEMBER]);
	strbuf_release(&subject);
	strbuf_release(&body);
}

/* Decides every 'new' and 'held' activity, in one transaction. */
static int decide_all(struct cycle *c, struct err *err)
{
	struct rule_stmts rs = { NULL, NULL, NULL, NULL };
	sqlite3_stmt *sel = NULL, *upd = NULL, *frz = NULL;
	struct decision d;
	int ret = -1, rc;

	memset(&d, 0, sizeof(d));
	strbuf_init(&d.header, 0);
	strbuf_init(&d.request, 0);
	if (store_begin(c->store, err) < 0)
		goto out;
	rs.seat = prep(c->db, "SELECT user_id, CASE mapped_by WHEN 'email' "
		       "THEN seat_email END FROM seats WHERE seat_id = ?1 AND "
		       "user_id IS NOT NULL", err);
	rs.link = prep(c->db, "SELECT crm_object, crm_id FROM links WHERE "
		       "kind = ?1 AND target_id = ?2", err);
	rs.pref_at = prep(c->db, "SELECT preference, types FROM wb_prefs "
			  "WHERE seat_id = ?1 AND updated_at <= ?2 ORDER BY "
			  "updated_at DESC LIMIT 1", err);
	rs.pref_first = prep(c->db, "SELECT preference, types FROM wb_prefs "
			     "WHERE seat_id = ?1 ORDER BY updated_at LIMIT 1",
			     err);
	sel = prep(c->db, "SELECT a.activity_id, type, seat_id, member_id, "
		   "company_page_id, occurred_at, subject, body, duration, "
		   "state, reason FROM wb_activities a JOIN wb_payloads p ON "
		   "p.activity_id = a.activity_id WHERE state IN ('new', "
		   "'held') ORDER BY a.activity_id", err);
	upd = prep(c->db, "UPDATE wb_activities SET state = ?2, reason = ?3, "
		   "sobject = ?4, row_key = ?7, cut = ?8, updated_run_id = ?9 "
		   "WHERE activity_id = ?1", err);
	frz = prep(c->db, "UPDATE wb_payloads SET header = ?2, request = ?3 "
		   "WHERE activity_id = ?1", err);
	if (!rs.seat || !rs.link || !rs.pref_at ||
	    !rs.pref_first || !sel || !upd || !frz)
		goto rollback;
	while ((rc = sqlite3_step(sel)) == SQLITE_ROW) {
		const char *a[A_NCOLS], *v[9];
		char cut[8];
		int pending;

		for (int i = 0; i < A_NCOLS; i++)
			a[i] = sqlite3_column_type(sel, i) == SQLITE_NULL ?
			       NULL : col_text(sel, i);
		decide(c, &rs, a, &d);
		pending = strcmp(d.state, "pending") == 0;
		if (strcmp(d.state, "held") == 0 &&
		    strcmp(col_text(sel, 9), "held") == 0 &&
		    strcmp(col_text(sel, 10), d.reason) == 0) {
			c->res->held++;
			continue; /* nothing new to say */
		}
		snprintf(cut, sizeof(cut), "%d", d.cut);
		v[0] = a[A_ID];
		v[1] = d.state;
		v[2] = *d.reason ? d.reason : NULL;
		v[3] = pending ? (d.kind == K_NOTE ? "Note" : "Task") : NULL;
		v[4] = pending ? d.header.buf : NULL;
		v[5] = pending ? d.request.buf : NULL;
		v[6] = pending ? d.key : NULL;
		v[7] = cut;
		v[8] = c->run->id;
		if (exec_texts(c->db, upd, 9, v, err) < 0)
			goto rollback;
		if (pending) {
			const char *t[3] = { a[A_ID], d.header.buf,
					     d.request.buf };

			if (exec_texts(c->db, frz, 3, t, err) < 0)
				goto rollback;
		}
		if (pending)
			c->res->cut += (uint64_t)d.cut;
		else if (strcmp(d.state, "held") == 0)
			c->res->held++;
		else
			c->res->skipped++;
	}
	if (rc != SQLITE_DONE) {
		db_fail(c->db, err, "cannot read the ledger");
		goto rollback;
	}
	sqlite3_finalize(sel);
	sel = NULL;
	ret = store_commit(c->store, err);
	goto out;
rollback:
	sqlite3_finalize(sel);
	sel = NULL;
	store_rollback(c->store);
out:
	sqlite3_finalize(sel);
	sqlite3_finalize(upd);
	sqlite3_finalize(frz);
	sqlite3_finalize(rs.seat);
	sqlite3_finalize(rs.link);
	sqlite3_finalize(rs.pref_at);
	sqlite3_finalize(rs.pref_first);
	strbuf_release(&d.header);
	strbuf_release(&d.request);
	return ret;
}

/* ---- staging a CSV body as a gzip file ------------------------------------------ */

/* Writes the plain CSV `body` as the staged gzip file `rel` of the
 * stage and lists it in the manifest. */
static int stage_csv(struct cycle *c, const char *rel, const char *body,
		     size_t len, struct err *err)
{
	char *path = stage_path(c->st, rel);
	char *plain = xasprintf("%s.plain", path);
	char *dir = fs_dirname(path);
	struct csv_reader *r = NULL;
	struct csv_writer *w = NULL;
	struct csv_file_info info;
	const struct csv_row *row;
	enum csvr_status st;
	int ret = -1;

	if (fs_mkdirs(dir, 0755, err) < 0 ||
	    fs_write_atomic(plain, body, len, 0644, err) < 0)
		goto out;
	r = csvr_open(plain, CSVR_PLAIN, err);
	if (!r)
		goto out;
	w = csvw_open(path, (const char *const *)csvr_header(r)->fields,
		      csvr_header(r)->nfields, 0, err);
	if (!w)
		goto out;
	while ((st = csvr_next(r, &row, err)) != CSVR_EOF) {
		if (st != CSVR_ROW) {
			err->cls = ERR_SOFTWARE;
			goto out;
		}
		if (csvw_row(w, (const char *const *)row->fields, row->lens,
			     err) < 0)
			goto out;
	}
	ret = csvw_commit(w, &info, err);
	w = NULL;
	if (ret == 0)
		stage_add_output(c->st, rel, "-", &info);
out:
	csvw_abort(w);
	csvr_close(r);
	unlink(plain);
	free(plain);
	free(dir);
	free(path);
	return ret;
}

/* Lists a result file staged by ingest_results() in the manifest. */
static int list_result(struct cycle *c, const char *rel, uint64_t rows,
		       struct err *err)
{
	char *path = stage_path(c->st, rel);
	struct csv_file_info info;
	unsigned long long bytes = 0;
	int ret = 0;

	if (fs_exists(path)) {
		ret = sha256_file(path, info.sha256, &bytes, err);
		info.rows = rows;
		info.bytes = bytes;
		if (ret == 0)
			stage_add_output(c->st, rel, "-", &info);
	}
	free(path);
	return ret;
}

/* ---- settling a job from Salesforce's account ------------------------------------ */

struct job_row {
	char *activity_id;
	char *key;
	int attempts;
	/* outcome */
	enum { O_UNSEEN, O_WRITTEN, O_FAILED, O_UNPROCESSED } outcome;
	char *sf_id;
	char *error;
};

struct settle {
	struct cycle *c;
	const char *job_id;
	const char *key_field;   /* upsert: its column; NULL: content key */
	struct job_row *rows;
	size_t n;
	char **sorted;           /* keys, sorted, for lookup */
	size_t *index;
	/* per result file: the key column or the request columns */
	long key_col;
	size_t first_col;
	struct strbuf line;
};

static struct settle *settle_ctx;

static int by_key(const void *a, const void *b)
{
	const size_t *x = a, *y = b;

	return strcmp(settle_ctx->rows[*x].key, settle_ctx->rows[*y].key);
}

static int on_result(void *ctx, enum ingest_result which, char *const *header,
		     size_t ncols, char *const *row, uint64_t line,
		     struct err *err)
{
	struct settle *s = ctx;
	size_t first = which == INGEST_UNPROCESSED ? 0 : 2;
	char hex[SHA256_HEX_LEN + 1];
	const char *key;
	size_t lo = 0, hi = s->n;

	if (s->key_field) {
		long k = -1;

		for (size_t i = first; i < ncols; i++)
			if (strcmp(header[i], s->key_field) == 0)
				k = (long)i;
		if (k < 0)
			return err_set(err, ERR_TEMPFAIL, "%s of job %s: no "
				       "column %s to join on",
				       ingest_result_name(which), s->job_id,
				       s->key_field);
		key = row[k];
	} else {
		struct sha256 *h = sha256_new();

		strbuf_reset(&s->line);
		for (size_t i = first; i < ncols; i++) {
			if (i > first)
				strbuf_addch(&s->line, ',');
			wb_csv_value(&s->line, row[i]);
		}
		sha256_update(h, s->line.buf, s->line.len);
		sha256_final_hex(h, hex);
		key = hex;
	}
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		int cmp = strcmp(s->rows[s->index[mid]].key, key);

		if (cmp == 0) {
			struct job_row *r = &s->rows[s->index[mid]];

			if (which == INGEST_SUCCESSFUL) {
				r->outcome = O_WRITTEN;
				free(r->sf_id);
				r->sf_id = xstrdup(row[0]);
			} else if (which == INGEST_FAILED_ROWS) {
				r->outcome = O_FAILED;
				free(r->error);
				r->error = xstrdup(row[1]);
			} else if (r->outcome == O_UNSEEN) {
				r->outcome = O_UNPROCESSED;
			}
			return 0;
		}
		if (cmp < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	log_warn("%s of job %s line %llu: a row this job did not send "
		 "(ignored)", ingest_result_name(which), s->job_id,
		 (unsigned long long)line);
	return 0;
}

/* Loads the activities of a job. */
static int load_job_rows(struct cycle *c, struct settle *s, struct err *err)
{
	sqlite3_stmt *q = prep(c->db, "SELECT activity_id, row_key, attempts "
			       "FROM wb_activities WHERE job_id = ?1 AND "
			       "state = 'submitted' ORDER BY activity_id", err);
	size_t alloc = 0;
	int rc;

	if (!q)
		return -1;
	bind_texts(q, 1, &s->job_id);
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		XGROW(s->rows, alloc, s->n + 1);
		memset(&s->rows[s->n], 0, sizeof(s->rows[0]));
		s->rows[s->n].activity_id = xstrdup(col_text(q, 0));
		s->rows[s->n].key = xstrdup(col_text(q, 1));
		s->rows[s->n].attempts = sqlite3_column_int(q, 2);
		s->n++;
	}
	sqlite3_finalize(q);
	if (rc != SQLITE_DONE)
		return db_fail(c->db, err, "cannot read the ledger");
	s->index = xcalloc(s->n ? s->n : 1, sizeof(*s->index));
	for (size_t i = 0; i < s->n; i++)
		s->index[i] = i;
	settle_ctx = s;
	if (s->n)
		qsort(s->index, s->n, sizeof(*s->index), by_key);
	return 0;
}

static void settle_release(struct settle *s)
{
	for (size_t i = 0; i < s->n; i++) {
		free(s->rows[i].activity_id);
		free(s->rows[i].key);
		free(s->rows[i].sf_id);
		free(s->rows[i].error);
	}
	free(s->rows);
	free(s->index);
	strbuf_release(&s->line);
}

/*
 * Records the outcome of job `job_id` in one transaction.  `info` is the
 * job's final state (or INGEST_GONE); the rows' outcomes come from the
 * result files already joined into `s`.
 */
static int record_outcome(struct cycle *c, struct settle *s,
			  const struct ingest_info *info, struct err *err)
{
	sqlite3_stmt *upd = NULL, *apply = NULL, *job = NULL;
	char outcome[512];
	int ret = -1;

	snprintf(outcome, sizeof(outcome), "%s%s%s",
		 ingest_state_name(info->state),
		 info->error_message ? ": " : "",
		 info->error_message ? info->error_message : "");
	if (store_begin(c->store, err) < 0)
		return -1;
	/* the outcomes go to a temporary table, then into the ledger in
	 * one statement (much quicker than a statement per row) */
	if (sqlite3_exec(c->db, "CREATE TEMP TABLE IF NOT EXISTS wb_outcome("
			 "activity_id TEXT PRIMARY KEY, state TEXT NOT NULL, "
			 "sf_id TEXT, reason TEXT); DELETE FROM temp.wb_outcome",
			 NULL, NULL, NULL) != SQLITE_OK) {
		db_fail(c->db, err, "cannot stage the outcomes");
		goto rollback;
	}
	upd = prep(c->db, "INSERT INTO temp.wb_outcome(activity_id, state, "
		   "sf_id, reason) VALUES (?1, ?2, ?3, ?4)", err);
	apply = prep(c->db, "UPDATE wb_activities SET state = o.state, "
		     "sf_id = o.sf_id, reason = o.reason, job_id = CASE WHEN "
		     "o.state = 'pending' THEN NULL ELSE wb_activities.job_id "
		     "END, updated_run_id = ?1 FROM temp.wb_outcome o WHERE "
		     "wb_activities.activity_id = o.activity_id AND "
		     "wb_activities.state = 'submitted'", err);
	job = prep(c->db, "UPDATE wb_jobs SET state = 'settled', outcome = ?2, "
		   "created_by = coalesce(?3, created_by) WHERE job_id = ?1",
		   err);
	if (!upd || !apply || !job)
		goto rollback;
	for (size_t i = 0; i < s->n; i++) {
		struct job_row *r = &s->rows[i];
		const char *v[4] = { r->activity_id, NULL, NULL, NULL };
		char why[1024];
		int retry;

		switch (r->outcome) {
		case O_WRITTEN:
			v[1] = "written";
			v[2] = r->sf_id;
			c->res->written++;
			break;
		case O_FAILED:
			retry = wb_error_transient(r->error) &&
				r->attempts < WB_MAX_ATTEMPTS;
			v[1] = retry ? "pending" : "failed";
			v[3] = r->error;
			if (retry)
				c->res->retried++;
			else
				c->res->failed++;
			break;
		case O_UNPROCESSED:
		case O_UNSEEN:
			/* not processed: the job failed or was aborted, or
			 * vanished before its results were fetched */
			if (r->outcome == O_UNSEEN &&
			    (info->state == INGEST_JOB_COMPLETE ||
			     (info->state == INGEST_GONE && !s->key_field))) {
				snprintf(why, sizeof(why), "job %s %s without "
					 "a result for this row: outcome "
					 "unknown, check in Salesforce "
					 "before sending again", s->job_id,
					 info->state == INGEST_GONE ?
					 "vanished" : "completed");
				v[1] = "failed";
				v[3] = why;
				c->res->failed++;
				break;
			}
			if (r->attempts >= WB_MAX_ATTEMPTS) {
				snprintf(why, sizeof(why), "not processed in "
					 "%d jobs, the last %s", r->attempts,
					 outcome);
				v[1] = "failed";
				v[3] = why;
				c->res->failed++;
			} else {
				v[1] = "pending";
				v[3] = outcome;
				c->res->retried++;
			}
			break;
		}
		if (exec_texts(c->db, upd, 4, v, err) < 0)
			goto rollback;
	}
	{
		const char *run_id = c->run->id;

		if (exec_texts(c->db, apply, 1, &run_id, err) < 0)
			goto rollback;
	}
	{
		const char *v[3] = { s->job_id, outcome, info->created_by };

		if (exec_texts(c->db, job, 3, v, err) < 0)
			goto rollback;
	}
	ret = store_commit(c->store, err);
	goto out;
rollback:
	store_rollback(c->store);
out:
	sqlite3_finalize(upd);
	sqlite3_finalize(apply);
	sqlite3_finalize(job);
	return ret;
}

/*
 * Settles one job: waits for it (aborting it when it is still Open:
 * nobody will close it now), fetches its result files into
 * exports/<job id>/ and records every row's outcome.
 */
static int settle_job(struct cycle *c, const char *job_id,
		      const char *key_field, struct err *err)
{
	struct ingest_info info = INGEST_INFO_INIT;
	struct settle s;
	int ret = -1;

	memset(&s, 0, sizeof(s));
	s.c = c;
	s.job_id = job_id;
	s.key_field = key_field && *key_field ? key_field : NULL;
	strbuf_init(&s.line, 0);
	if (load_job_rows(c, &s, err) < 0)
		goto out;
	if (ingest_wait(&c->bulk, job_id, &info, err) < 0)
		goto out;
	if (info.state == INGEST_OPEN) {
		log_info("ingest job %s was left open: aborting it (its rows "
			 "were never processed)", job_id);
		if (ingest_abort(&c->bulk, job_id, err) < 0 ||
		    ingest_wait(&c->bulk, job_id, &info, err) < 0)
			goto out;
	}
	if (info.state != INGEST_GONE) {
		for (int w = INGEST_SUCCESSFUL; w <= INGEST_UNPROCESSED; w++) {
			char *rel = xasprintf("%s/%s.csv.gz", job_id,
					      ingest_result_name(w));
			char *path = stage_path(c->st, rel);
			char *dir = fs_dirname(path);
			uint64_t rows = 0;
			int bad;

			bad = fs_mkdirs(dir, 0755, err) < 0 ||
			      ingest_results(&c->bulk, job_id, w, path,
					     on_result, &s, &rows, err) < 0 ||
			      list_result(c, rel, rows, err) < 0;
			free(dir);
			free(path);
			free(rel);
			if (bad)
				goto out;
		}
	}
	log_debug("ingest job %s: result files fetched", job_id);
	ret = record_outcome(c, &s, &info, err);
	if (ret == 0)
		log_info("ingest job %s settled: %s%s%s", job_id,
			 ingest_state_name(info.state),
			 info.error_message ? ": " : "",
			 info.error_message ? info.error_message : "");
out:
	ingest_info_release(&info);
	settle_release(&s);
	return ret;
}

/* Settles every job an earlier cycle left open. */
static int settle_open_jobs(struct cycle *c, struct err *err)
{
	sqlite3_stmt *q = prep(c->db, "SELECT job_id, key_field FROM wb_jobs "
			       "WHERE state = 'open' ORDER BY job_id", err);
	char **ids = NULL, **keys = NULL;
	size_t n = 0, alloc = 0, kalloc = 0;
	int ret = 0, rc;

	if (!q)
		return -1;
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		XGROW(ids, alloc, n + 1);
		XGROW(keys, kalloc, n + 1);
		ids[n] = xstrdup(col_text(q, 0));
		keys[n++] = xstrdup(col_text(q, 1));
	}
	sqlite3_finalize(q);
	if (rc != SQLITE_DONE)
		ret = db_fail(c->db, err, "cannot read the ledger");
	for (size_t i = 0; i < n && ret == 0; i++) {
		log_info("settling ingest job %s left by an earlier cycle",
			 ids[i]);
		ret = settle_job(c, ids[i], keys[i], err);
	}
	for (size_t i = 0; i < n; i++) {
		free(ids[i]);
		free(keys[i]);
	}
	free(ids);
	free(keys);
	return ret;
}

/* ---- jobs created but never recorded ------------------------------------- */

/*
 * The window left by "record the job before uploading": between the
 * create request and the commit that records its id, a crash (or a
 * create whose answer was lost and that was sent again) leaves an Open
 * job Salesforce knows and the ledger does not.  It holds no rows and an
 * Open job never processes, so nothing is written twice or lost, but it
 * would stay in the org's job list.  So an intent row (object,
 * operation, the real clock) is committed before every create, and
 * dropped with the job's record when the create took one request; the
 * next cycle lists the org's ingest jobs and aborts each Open one of
 * the same object, operation and external id field, created by the
 * integration user (as far as the ledger knows it) within the intent's
 * time window, that the ledger does not know, then forgets the intents.
 */
static long long add_intent(struct cycle *c, const char *sobject,
			    const char *operation, const char *key_field,
			    struct err *err)
{
	sqlite3_stmt *q = prep(c->db, "INSERT INTO wb_intents(sobject, "
			       "operation, key_field, at_ms, run_id) VALUES "
			       "(?1, ?2, ?3, ?4, ?5)", err);
	const char *v[5] = { sobject, operation, key_field, NULL, c->run->id };
	long long id = -1;

	if (!q)
		return -1;
	bind_texts(q, 5, v);
	sqlite3_bind_int64(q, 4, clock_real_ms());
	if (sqlite3_step(q) != SQLITE_DONE)
		db_fail(c->db, err, "cannot record an ingest job's intent");
	else
		id = sqlite3_last_insert_rowid(c->db);
	sqlite3_finalize(q);
	return id;
}

static int drop_intent(struct cycle *c, long long id, struct err *err)
{
	sqlite3_stmt *q = prep(c->db, "DELETE FROM wb_intents WHERE "
			       "intent_id = ?1", err);
	int ret = 0;

	if (!q)
		return -1;
	sqlite3_bind_int64(q, 1, id);
	if (sqlite3_step(q) != SQLITE_DONE)
		ret = db_fail(c->db, err, "cannot drop an intent");
	sqlite3_finalize(q);
	return ret;
}

struct intent {
	char *sobject, *operation, *key_field;
	int64_t at_ms;
};

struct sweep {
	struct cycle *c;
	struct intent *in;
	size_t n;
	char **creators;      /* createdById of the ledger's jobs */
	size_t ncreators;
	char **orphans;
	size_t norphans, alloc;
	sqlite3_stmt *known;
};

static int same_opt(const char *a, const char *b)
{
	return !strcmp(a ? a : "", b ? b : "");
}

static int on_listed(void *ctx, const struct ingest_listed *j,
		     struct err *err)
{
	struct sweep *w = ctx;
	int match = 0, mine = !w->ncreators;

	if (j->state != INGEST_OPEN || j->created_ms < 0)
		return 0;
	for (size_t i = 0; i < w->ncreators && !mine; i++)
		mine = j->created_by && !strcmp(j->created_by, w->creators[i]);
	for (size_t i = 0; i < w->n && !match; i++)
		match = same_opt(j->object, w->in[i].sobject) &&
			same_opt(j->operation, w->in[i].operation) &&
			same_opt(j->ext_field, w->in[i].key_field) &&
			j->created_ms >= w->in[i].at_ms - WB_ORPHAN_SKEW_MS &&
			j->created_ms <= w->in[i].at_ms + WB_ORPHAN_SPAN_MS;
	if (!mine || !match)
		return 0;
	bind_texts(w->known, 1, &j->id);
	if (sqlite3_step(w->known) == SQLITE_ROW) {
		sqlite3_reset(w->known);
		return 0;
	}
	sqlite3_reset(w->known);
	XGROW(w->orphans, w->alloc, w->norphans + 1);
	w->orphans[w->norphans++] = xstrdup(j->id);
	(void)err;
	return 0;
}

/* Aborts the Open jobs the intents left (see above), then forgets them. */
static int sweep_intents(struct cycle *c, struct err *err)
{
	struct sweep w;
	sqlite3_stmt *q;
	size_t ia = 0, ca = 0;
	long long last = 0;
	int ret = -1, rc;

	memset(&w, 0, sizeof(w));
	w.c = c;
	q = prep(c->db, "SELECT intent_id, sobject, operation, key_field, "
		 "at_ms FROM wb_intents ORDER BY intent_id", err);
	if (!q)
		return -1;
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		XGROW(w.in, ia, w.n + 1);
		last = sqlite3_column_int64(q, 0);
		w.in[w.n].sobject = xstrdup(col_text(q, 1));
		w.in[w.n].operation = xstrdup(col_text(q, 2));
		w.in[w.n].key_field = sqlite3_column_type(q, 3) == SQLITE_NULL ?
				      NULL : xstrdup(col_text(q, 3));
		w.in[w.n++].at_ms = sqlite3_column_int64(q, 4);
	}
	sqlite3_finalize(q);
	if (rc != SQLITE_DONE) {
		db_fail(c->db, err, "cannot read the intents");
		goto out;
	}
	if (!w.n) {
		ret = 0;
		goto out;
	}
	q = prep(c->db, "SELECT DISTINCT created_by FROM wb_jobs WHERE "
		 "created_by IS NOT NULL ORDER BY 1", err);
	if (!q)
		goto out;
	while (sqlite3_step(q) == SQLITE_ROW) {
		XGROW(w.creators, ca, w.ncreators + 1);
		w.creators[w.ncreators++] = xstrdup(col_text(q, 0));
	}
	sqlite3_finalize(q);
	w.known = prep(c->db, "SELECT 1 FROM wb_jobs WHERE job_id = ?1", err);
	if (!w.known || ingest_list(&c->bulk, on_listed, &w, err) < 0)
		goto out;
	for (size_t i = 0; i < w.norphans; i++) {
		log_info("ingest job %s was created by a cycle that could not "
			 "record it: aborting it (it holds no rows)",
			 w.orphans[i]);
		if (ingest_abort(&c->bulk, w.orphans[i], err) < 0)
			goto out;
	}
	q = prep(c->db, "DELETE FROM wb_intents WHERE intent_id <= ?1", err);
	if (!q)
		goto out;
	sqlite3_bind_int64(q, 1, last);
	if (sqlite3_step(q) != SQLITE_DONE)
		db_fail(c->db, err, "cannot forget the intents");
	else
		ret = 0;
	sqlite3_finalize(q);
out:
	sqlite3_finalize(w.known);
	for (size_t i = 0; i < w.n; i++) {
		free(w.in[i].sobject);
		free(w.in[i].operation);
		free(w.in[i].key_field);
	}
	for (size_t i = 0; i < w.ncreators; i++)
		free(w.creators[i]);
	for (size_t i = 0; i < w.norphans; i++)
		free(w.orphans[i]);
	free(w.in);
	free(w.creators);
	free(w.orphans);
	return ret;
}

/* ---- sending --------------------------------------------------------------------- */

struct pend {
	char *id, *sobject, *header, *request, *key;
	size_t rank; /* copies of the same content key before it */
};

static int pend_cmp(const void *a, const void *b)
{
	const struct pend *x = a, *y = b;
	int r = strcmp(x->sobject, y->sobject);

	if (!r)
		r = strcmp(x->header, y->header);
	if (!r)
		r = x->rank < y->rank ? -1 : x->rank > y->rank;
	if (!r)
		r = strcmp(x->id, y->id);
	return r;
}

static int pend_key_cmp(const void *a, const void *b)
{
	const struct pend *x = a, *y = b;
	int r = strcmp(x->header, y->header);

	if (!r)
		r = strcmp(x->key, y->key);
	if (!r)
		r = strcmp(x->id, y->id);
	return r;
}

/* Sends one batch: a job, the ledger marks, the upload, the close, the
 * outcome. */
static int send_batch(struct cycle *c, struct pend *p, size_t n,
		      const char *body, size_t len, struct err *err)
{
	const char *ext = c->job->settings->writeback.external_id_field;
	const char *sobject = p[0].sobject;
	int upsert = strcmp(sobject, "Task") == 0 && ext;
	sqlite3_stmt *mark = NULL, *apply = NULL, *job = NULL;
	char *job_id = NULL, *rel = NULL, rows[24];
	long long intent;
	uint64_t calls;
	int ret = -1;

	if (!c->session) {
		/* fixture source: stage the request, send nothing */
		c->fixture_batches++;
		rel = xasprintf("unsent-%03llu/%s.csv.gz",
				(unsigned long long)c->fixture_batches,
				sobject);
		ret = stage_csv(c, rel, body, len, err);
		if (ret == 0)
			c->res->staged += n;
		free(rel);
		return ret;
	}
	/* the intent outlives a crash before the job is recorded (and a
	 * create that was retried): sweep_intents() aborts what it left */
	intent = add_intent(c, sobject, upsert ? "upsert" : "insert",
			    upsert ? ext : NULL, err);
	if (intent < 0)
		return -1;
	calls = http_requests(c->http);
	if (ingest_create(&c->bulk, sobject, upsert ? "upsert" : "insert",
			  upsert ? ext : NULL, &job_id, err) < 0)
		return -1;
	calls = http_requests(c->http) - calls;
	c->res->jobs++;
	/* the rows are "submitted" before a byte of them is sent */
	snprintf(rows, sizeof(rows), "%zu", n);
	if (store_begin(c->store, err) < 0)
		goto out;
	job = prep(c->db, "INSERT INTO wb_jobs(job_id, sobject, operation, "
		   "key_field, state, rows, run_id) VALUES (?1, ?2, ?3, ?4, "
		   "'open', ?5, ?6)", err);
	/* the batch's ids go to a temporary table, then one statement
	 * marks them */
	if (sqlite3_exec(c->db, "CREATE TEMP TABLE IF NOT EXISTS wb_batch("
			 "activity_id TEXT PRIMARY KEY); DELETE FROM "
			 "temp.wb_batch", NULL, NULL, NULL) != SQLITE_OK) {
		db_fail(c->db, err, "cannot stage the batch");
		goto rollback;
	}
	mark = prep(c->db, "INSERT INTO temp.wb_batch(activity_id) VALUES "
		    "(?1)", err);
	apply = prep(c->db, "UPDATE wb_activities SET state = 'submitted', "
		     "job_id = ?1, attempts = attempts + 1, updated_run_id = "
		     "?2 WHERE state = 'pending' AND activity_id IN "
		     "temp.wb_batch", err);
	if (!job || !mark || !apply)
		goto rollback;
	{
		const char *v[6] = { job_id, sobject, upsert ? "upsert" :
				     "insert", upsert ? ext : NULL, rows,
				     c->run->id };

		if (exec_texts(c->db, job, 6, v, err) < 0)
			goto rollback;
	}
	for (size_t i = 0; i < n; i++)
		if (exec_texts(c->db, mark, 1, (const char *const *)&p[i].id,
			       err) < 0)
			goto rollback;
	{
		const char *v[2] = { job_id, c->run->id };

		if (exec_texts(c->db, apply, 2, v, err) < 0)
			goto rollback;
		if ((size_t)sqlite3_changes(c->db) != n) {
			err_set(err, ERR_SOFTWARE, "ingest job %s: %zu rows "
				"to mark, %d were pending", job_id, n,
				sqlite3_changes(c->db));
			goto rollback;
		}
	}
	/* one request made one job: nothing left to sweep */
	if (calls == 1 && drop_intent(c, intent, err) < 0)
		goto rollback;
	if (store_commit(c->store, err) < 0)
		goto out;
	log_debug("ingest job %s: %zu rows marked submitted", job_id, n);
	rel = xasprintf("%s/%s.csv.gz", job_id, sobject);
	if (stage_csv(c, rel, body, len, err) < 0)
		goto out;
	log_debug("ingest job %s: request staged as %s", job_id, rel);
	c->res->staged += n;
	if (ingest_upload(&c->bulk, job_id, body, len, err) < 0 ||
	    ingest_close(&c->bulk, job_id, err) < 0) {
		struct err again = ERR_INIT;

		/* an Open job never processes: settle it now (abort, rows
		 * back to pending) if Salesforce lets us, else next cycle */
		if (settle_job(c, job_id, upsert ? ext : NULL, &again) < 0)
			log_warn("%s", again.msg);
		goto out;
	}
	ret = settle_job(c, job_id, upsert ? ext : NULL, err);
	goto out;
rollback:
	store_rollback(c->store);
out:
	sqlite3_finalize(mark);
	sqlite3_finalize(apply);
	sqlite3_finalize(job);
	free(rel);
	free(job_id);
	return ret;
}

/* Sends every pending row, in jobs of at most max_bytes per object and
 * field list; rows with a content key never share a job with a copy. */
static int send_pending(struct cycle *c, struct err *err)
{
	size_t max = c->opt->max_bytes ? c->opt->max_bytes : INGEST_MAX_BYTES;
	sqlite3_stmt *q = prep(c->db, "SELECT a.activity_id, sobject, header, "
			       "request, row_key FROM wb_activities a JOIN "
			       "wb_payloads p ON p.activity_id = a.activity_id "
			       "WHERE state = 'pending'", err);
	struct strbuf body = STRBUF_INIT;
	struct pend *p = NULL;
	size_t n = 0, alloc = 0, start;
	int ret = -1, rc;

	if (!q)
		return -1;
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		XGROW(p, alloc, n + 1);
		p[n].id = xstrdup(col_text(q, 0));
		p[n].sobject = xstrdup(col_text(q, 1));
		p[n].header = xstrdup(col_text(q, 2));
		p[n].request = xstrdup(col_text(q, 3));
		p[n].key = xstrdup(col_text(q, 4));
		p[n].rank = 0;
		n++;
	}
	sqlite3_finalize(q);
	if (rc != SQLITE_DONE) {
		db_fail(c->db, err, "cannot read the ledger");
		goto out;
	}
	c->res->pending = n;
	if (!n) {
		ret = 0;
		goto out;
	}
	/* rank copies of one content key (same header and key) */
	qsort(p, n, sizeof(*p), pend_key_cmp);
	for (size_t i = 1; i < n; i++)
		if (!strcmp(p[i].header, p[i - 1].header) &&
		    !strcmp(p[i].key, p[i - 1].key))
			p[i].rank = p[i - 1].rank + 1;
	qsort(p, n, sizeof(*p), pend_cmp);
	for (start = 0; start < n;) {
		size_t end = start;

		strbuf_reset(&body);
		strbuf_addstr(&body, p[start].header);
		strbuf_addch(&body, '\n');
		while (end < n && !strcmp(p[end].sobject, p[start].sobject) &&
		       !strcmp(p[end].header, p[start].header) &&
		       p[end].rank == p[start].rank &&
		       (end == start ||
			body.len + strlen(p[end].request) + 1 <= max)) {
			strbuf_addstr(&body, p[end].request);
			strbuf_addch(&body, '\n');
			end++;
		}
		if (body.len > max) {
			err_set(err, ERR_DATA, "activity %s: its row alone is "
				"%zu bytes, over the %zu bytes of a job",
				p[start].id, body.len, max);
			goto out;
		}
		if (send_batch(c, p + start, end - start, body.buf, body.len,
			       err) < 0)
			goto out;
		start = end;
	}
	ret = 0;
out:
	for (size_t i = 0; i < n; i++) {
		free(p[i].id);
		free(p[i].sobject);
		free(p[i].header);
		free(p[i].request);
		free(p[i].key);
	}
	free(p);
	strbuf_release(&body);
	return ret;
}

/* ---- the cycle ------------------------------------------------------------------- */

static int count_state(struct cycle *c, const char *state, uint64_t *out,
		       struct err *err)
{
	sqlite3_stmt *q = prep(c->db, "SELECT count(*) FROM wb_activities "
			       "WHERE state = ?1", err);

	if (!q)
		return -1;
	bind_texts(q, 1, &state);
	if (sqlite3_step(q) != SQLITE_ROW) {
		sqlite3_finalize(q);
		return db_fail(c->db, err, "cannot read the ledger");
	}
	*out = (uint64_t)sqlite3_column_int64(q, 0);
	sqlite3_finalize(q);
	return 0;
}

static int open_store(const struct job *job, struct store **out,
		      struct err *err)
{
	char *state = job_state_dir(job);
	char *path = xasprintf("%s/store.db", state);
	int ret = fs_mkdirs(state, 0755, err);

	if (ret == 0)
		ret = store_open(path, 1, out, err);
	/* a row marked submitted must stay so after a power cut too, the
	 * upload that follows being out of reach: each commit is synced
	 * (the store's default is NORMAL).  A cycle rewrites every row it
	 * sends a few times: keep the ledger's pages in memory rather than
	 * spilling them to the WAL and reading them back (64 MiB at most,
	 * used only as needed), and checkpoint the WAL once it holds
	 * 64 MiB rather than 4 MiB (the last close checkpoints it) */
	if (ret == 0 && sqlite3_exec(store_db(*out), "PRAGMA synchronous = "
				     "FULL; PRAGMA cache_size = -65536; "
				     "PRAGMA wal_autocheckpoint = 16384",
				     NULL, NULL, NULL) != SQLITE_OK)
		ret = db_fail(store_db(*out), err, "cannot size the cache");
	if (ret == 0 && store_migrate(*out, "ledger", ledger_steps,
				      sizeof(ledger_steps) /
				      sizeof(ledger_steps[0]), err) < 0) {
		store_close(*out);
		*out = NULL;
		ret = -1;
	}
	free(path);
	free(state);
	return ret;
}

static int connect_sf(struct cycle *c, struct err *err)
{
	const struct job *job = c->job;

	c->http = sf_http_new(job, err);
	if (!c->http)
		return -1;
	c->session = sf_session_open(job, c->http, err);
	if (!c->session)
		return -1;
	c->bulk.session = c->session;
	c->bulk.api_version = job->source.api_version;
	c->bulk.budget_share = job->source.api_budget_share;
	c->bulk.poll_base_ms = job->source.poll_interval_ms;
	c->bulk.poll_max_ms = 5000;
	c->bulk.poll_timeout_s = job->source.poll_timeout_seconds;
	return 0;
}

/* A cycle of `job` for `run` that has opened nothing yet. */
static void cycle_init(struct cycle *c, const struct job *job,
		       const struct run *run, const struct export_options *opt,
		       struct export_result *res)
{
	memset(res, 0, sizeof(*res));
	memset(c, 0, sizeof(*c));
	c->job = job;
	c->run = run;
	c->opt = opt;
	c->res = res;
	strbuf_init(&c->record, 0);
}

/* Releases what `c` opened; a stage not committed is abandoned.  After a
 * failure (`ret` < 0) the API calls made so far are still counted. */
static void cycle_close(struct cycle *c, int ret)
{
	if (ret < 0 && c->http)
		c->res->api_calls = http_requests(c->http);
	csvw_abort(c->rj);
	stage_abandon(c->st);
	sf_session_close(c->session);
	http_free(c->http);
	store_close(c->store);
	strbuf_release(&c->record);
}

int export_run(const struct job *job, const struct run *run,
	       const struct export_options *opt, struct export_result *res,
	       struct err *err)
{
	struct cycle c;
	int rc, ret = -1;

	cycle_init(&c, job, run, opt, res);
	if (!job->settings->writeback.enabled) {
		res->disabled = 1;
		return 0;
	}
	rc = stage_begin(run, "exports", &c.st, err);
	if (rc < 0)
		return -1;
	if (rc == 1) {
		res->skipped_stage = 1;
		return 0;
	}
	if (open_store(job, &c.store, err) < 0)
		goto out;
	c.db = store_db(c.store);
	if (store_begin(c.store, err) < 0)
		goto out;
	if (read_seats(&c, err) < 0 || read_activities(&c, err) < 0) {
		store_rollback(c.store);
		goto out;
	}
	if (store_commit(c.store, err) < 0)
		goto out;
	log_debug("inputs read: %llu activities, %llu new",
		  (unsigned long long)res->read, (unsigned long long)res->added);
	if (c.rj) {
		struct csv_file_info info;
		int bad = csvw_commit(c.rj, &info, err);

		c.rj = NULL;
		if (bad < 0)
			goto out;
		stage_add_rejects(c.st, "rejects/export.csv.gz",
				  "staged/rejects", &info);
	}
	if (job->source.kind == SOURCE_SALESFORCE) {
		if (connect_sf(&c, err) < 0 || sweep_intents(&c, err) < 0 ||
		    settle_open_jobs(&c, err) < 0)
			goto out;
		res->sent = 1;
	}
	if (decide_all(&c, err) < 0)
		goto out;
	log_debug("activities decided");
	if (send_pending(&c, err) < 0)
		goto out;
	if (count_state(&c, "held", &res->held, err) < 0)
		goto out;
	if (res->sent && count_state(&c, "pending", &res->pending, err) < 0)
		goto out;
	if (c.http) {
		res->api_calls = http_requests(c.http);
		stage_add_api_calls(c.st, res->api_calls);
	}
	ret = stage_commit(c.st, err);
	c.st = NULL;
out:
	cycle_close(&c, ret);
	return ret;
}

/* ---- test writeback (R46) ------------------------------------------------------ */

struct one_result {
	char id[32];
	char error[512];
};

static int on_one(void *ctx, enum ingest_result which, char *const *header,
		  size_t ncols, char *const *row, uint64_t line,
		  struct err *err)
{
	struct one_result *o = ctx;

	(void)header;
	(void)line;
	(void)err;
	if (which == INGEST_SUCCESSFUL && ncols > 0)
		snprintf(o->id, sizeof(o->id), "%s", row[0]);
	else if (which == INGEST_FAILED_ROWS && ncols > 1)
		snprintf(o->error, sizeof(o->error), "%s", row[1]);
	return 0;
}

/*
 * Inserts the one record of `csv` (header and one row) into `sobject` in
 * an ingest job of its own, staged as exports/<job id>/ with its result
 * files; `id` receives the new record's Id.  A refused row is ERR_DATA
 * with Salesforce's sf__Error; a job that does not complete ERR_TEMPFAIL.
 */
static int test_insert(struct cycle *c, const char *what, const char *sobject,
		       const char *csv, char *id, size_t idl, struct err *err)
{
	struct ingest_info info = INGEST_INFO_INIT;
	struct one_result o;
	char *job_id = NULL, *rel = NULL;
	int ret = -1;

	memset(&o, 0, sizeof(o));
	if (ingest_create(&c->bulk, sobject, "insert", NULL, &job_id, err) < 0)
		goto out;
	c->res->jobs++;
	rel = xasprintf("%s/%s.csv.gz", job_id, sobject);
	if (stage_csv(c, rel, csv, strlen(csv), err) < 0)
		goto abort;
	if (ingest_upload(&c->bulk, job_id, csv, strlen(csv), err) < 0 ||
	    ingest_close(&c->bulk, job_id, err) < 0)
		goto abort;
	if (ingest_wait(&c->bulk, job_id, &info, err) < 0)
		goto out;
	if (info.state != INGEST_JOB_COMPLETE) {
		err_set(err, ERR_TEMPFAIL, "ingest job %s ended %s%s%s",
			job_id, ingest_state_name(info.state),
			info.error_message ? ": " : "",
			info.error_message ? info.error_message : "");
		goto out;
	}
	for (int w = INGEST_SUCCESSFUL; w <= INGEST_FAILED_ROWS; w++) {
		char *res = xasprintf("%s/%s.csv.gz", job_id,
				      ingest_result_name(w));
		char *path = stage_path(c->st, res);
		uint64_t rows = 0;
		int bad = ingest_results(&c->bulk, job_id, w, path, on_one, &o,
					 &rows, err) < 0 ||
			  list_result(c, res, rows, err) < 0;

		free(path);
		free(res);
		if (bad)
			goto out;
	}
	if (!*o.id) {
		err_set(err, ERR_DATA, "Salesforce refused it (ingest job %s): "
			"%s", job_id, *o.error ? o.error : "no result row");
		goto out;
	}
	snprintf(id, idl, "%s", o.id);
	c->res->written++;
	ret = 0;
	goto out;
abort:
	{
		struct err ignored = ERR_INIT;

		/* an Open job never processes; closing the door anyway */
		ingest_abort(&c->bulk, job_id, &ignored);
	}
out:
	if (ret < 0 && job_id)
		err_prefix(err, "the test %s", what);
	ingest_info_release(&info);
	free(rel);
	free(job_id);
	return ret;
}

/* The owner of the test activities: opt->test_owner, else the first
 * writeback user given as a User Id or mapped by email in the seat map. */
static int test_owner(struct cycle *c, char *owner, size_t ol,
		      struct err *err)
{
	const struct job_settings *js = c->job->settings;
	sqlite3_stmt *q;

	if (c->opt->test_owner) {
		snprintf(owner, ol, "%s", c->opt->test_owner);
		return 0;
	}
	for (size_t i = 0; i < js->writeback.nusers; i++)
		if (js->writeback.users[i].is_id) {
			snprintf(owner, ol, "%s", js->writeback.users[i].value);
			return 0;
		}
	q = prep(c->db, "SELECT user_id FROM seats WHERE user_id IS NOT NULL "
		 "AND mapped_by = 'email' AND lower(seat_email) = lower(?1)",
		 err);
	if (!q)
		return -1;
	for (size_t i = 0; i < js->writeback.nusers && !*owner; i++) {
		const char *v = js->writeback.users[i].value;

		bind_texts(q, 1, &v);
		if (sqlite3_step(q) == SQLITE_ROW)
			snprintf(owner, ol, "%s", col_text(q, 0));
		sqlite3_reset(q);
	}
	sqlite3_finalize(q);
	if (!*owner)
		return err_set(err, ERR_CONFIG, "job '%s': no writeback user "
			       "has a CRM User Id yet (writeback.users names "
			       "none by Id, and the seat map of the store maps "
			       "none of their emails: run 'crmsync run' first) "
			       "- or name the owner with --owner USER_ID",
			       c->job->path);
	return 0;
}

/* One test activity of type t on contact `who` as CSV (header, row). */
static void test_row(struct cycle *c, int t, const char *owner,
		     const char *who, struct strbuf *out)
{
	const struct job_settings *js = c->job->settings;
	const char *ext = t == WB_NOTE ? NULL :
			  js->writeback.external_id_field;
	const struct schema *s = schema_find("salesforce", schema_name(t));
	const char *const *order = t == WB_NOTE ? note_order : task_order;
	const char *names[12], *vals[12];
	char date[32], subject[128], body[256], key[96];
	size_t n = 0;

	sf_datetime_format(clock_now_ms(), date, sizeof(date));
	date[10] = '\0';
	snprintf(subject, sizeof(subject), "crmsync writeback test: %s",
		 type_names[t]);
	snprintf(body, sizeof(body), "A test %s written by 'crmsync export "
		 "--test' in run %s. Safe to delete.", type_names[t],
		 c->run->id);
	snprintf(key, sizeof(key), "test-%s-%s", c->run->id, type_names[t]);
	if (ext) {
		names[n] = ext;
		vals[n++] = key;
	}
	for (size_t i = 0; order[i]; i++)
		if (schema_field_index(s, order[i]) >= 0) {
			names[n] = order[i];
			vals[n++] = "";
		}
	set_field(names, vals, n, "OwnerId", owner);
	if (t == WB_NOTE) {
		set_field(names, vals, n, "ParentId", who);
		set_field(names, vals, n, "Title", subject);
		set_field(names, vals, n, "Body", body);
	} else {
		const char *rt = js->writeback.record_type_ids[t];

		set_field(names, vals, n, "RecordTypeId", rt ? rt : "");
		set_field(names, vals, n, "WhoId", who);
		set_field(names, vals, n, "ActivityDate", date);
		set_field(names, vals, n, "Subject", subject);
		set_field(names, vals, n, "Status", js->writeback.task_status);
		set_field(names, vals, n, "Description", body);
	}
	strbuf_reset(out);
	for (size_t i = 0; i < n; i++) {
		if (i)
			strbuf_addch(out, ',');
		strbuf_addstr(out, names[i]);
	}
	strbuf_addch(out, '\n');
	for (size_t i = 0; i < n; i++) {
		if (i)
			strbuf_addch(out, ',');
		wb_csv_value(out, vals[i]);
	}
	strbuf_addch(out, '\n');
}

int export_test(const struct job *job, const struct run *run,
		const struct export_options *opt, struct export_result *res,
		FILE *out, struct err *err)
{
	struct strbuf csv = STRBUF_INIT;
	char owner[32] = "", contact[32] = "", id[32];
	struct cycle c;
	int ret = -1;

	cycle_init(&c, job, run, opt, res);
	if (job->source.kind != SOURCE_SALESFORCE)
		return err_set(err, ERR_CONFIG, "job '%s': 'export --test' "
			       "writes into a Salesforce org, and this job's "
			       "source is a fixture directory", job->path);
	ret = stage_begin(run, "exports", &c.st, err);
	if (ret != 0)
		return ret < 0 ? -1 : err_set(err, ERR_USAGE, "run %s already "
					      "has an export stage: the test "
					      "needs a run of its own", run->id);
	ret = -1;
	if (open_store(job, &c.store, err) < 0)
		goto out;
	c.db = store_db(c.store);
	if (test_owner(&c, owner, sizeof(owner), err) < 0 ||
	    connect_sf(&c, err) < 0)
		goto out;
	res->sent = 1;
	/* the one person R46 lets us create: a contact named "test" */
	strbuf_addf(&csv, "FirstName,LastName,Description\ncrmsync,Test,"
		    "A test contact written by 'crmsync export --test' in run "
		    "%s to carry its test activities. Safe to delete.\n",
		    run->id);
	if (test_insert(&c, "contact", "Contact", csv.buf, contact,
			sizeof(contact), err) < 0)
		goto out;
	fprintf(out, "%-12s %-8s %s\n", "contact", "Contact", contact);
	fflush(out);
	for (int t = 0; t < WB_NTYPES; t++) {
		if (!opt->test_types[t])
			continue;
		test_row(&c, t, owner, contact, &csv);
		if (test_insert(&c, type_names[t], t == WB_NOTE ? "Note" :
				"Task", csv.buf, id, sizeof(id), err) < 0)
			goto out;
		fprintf(out, "%-12s %-8s %s\n", type_names[t],
			t == WB_NOTE ? "Note" : "Task", id);
		fflush(out);
	}
	res->api_calls = http_requests(c.http);
	stage_add_api_calls(c.st, res->api_calls);
	ret = stage_commit(c.st, err);
	c.st = NULL;
out:
	cycle_close(&c, ret);
	strbuf_release(&csv);
	return ret;
}
