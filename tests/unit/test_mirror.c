/*
 * test_mirror.c - merging deltas into the CRM mirror: newest version
 * wins, deletions remove, ties go to the delta, a second merge of the
 * same delta changes nothing, and the spill path gives the same result
 * as the in-memory one.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "csvio.h"
#include "fsutil.h"
#include "mirror.h"
#include "schema.h"
#include "tap.h"
#include "xalloc.h"

static char *tmpdir;
static const struct schema *role;

/* Writes rows "Id|Name|Modified|Deleted" as a UserRole file. */
static void write_rows(const char *path, const char *const *rows)
{
	struct err err = ERR_INIT;
	struct csv_writer *w = csvw_open(path, schema_field_names(role),
					 role->nfields, 0, &err);
	int id = schema_field_index(role, "Id");
	int name = schema_field_index(role, "Name");
	int mod = schema_field_index(role, "LastModifiedDate");
	int del = schema_field_index(role, "IsDeleted");

	for (size_t r = 0; rows[r]; r++) {
		const char *v[32] = { 0 };
		char *copy = xstrdup(rows[r]);
		char *parts[4];
		char *save = NULL;

		parts[0] = strtok_r(copy, "|", &save);
		for (int k = 1; k < 4; k++)
			parts[k] = strtok_r(NULL, "|", &save);
		for (size_t i = 0; i < role->nfields; i++)
			v[i] = "";
		v[id] = parts[0];
		v[name] = parts[1];
		v[mod] = parts[2];
		v[del] = parts[3];
		if (csvw_row(w, v, NULL, &err) < 0)
			printf("# write failed: %s\n", err.msg);
		free(copy);
	}
	if (csvw_commit(w, NULL, &err) < 0)
		printf("# commit failed: %s\n", err.msg);
}

/* The mirror as "Id:Name;" pairs. */
static char *dump(const char *path)
{
	struct err err = ERR_INIT;
	struct csv_reader *r = csvr_open(path, 0, &err);
	const struct csv_row *row;
	int id = schema_field_index(role, "Id");
	int name = schema_field_index(role, "Name");
	char buf[4096] = "";

	if (!r)
		return xstrdup(err.msg);
	while (csvr_next(r, &row, &err) == CSVR_ROW) {
		strcat(buf, row->fields[id]);
		strcat(buf, ":");
		strcat(buf, row->fields[name]);
		strcat(buf, ";");
	}
	csvr_close(r);
	return xstrdup(buf);
}

static char *path_of(const char *name)
{
	return xasprintf("%s/%s", tmpdir, name);
}

int main(void)
{
	static const char *const first[] = {
		"00E000000000003AAA|Reps West|2026-11-01T00:00:00.000Z|false",
		"00E000000000001AAA|CEO|2026-11-01T00:00:00.000Z|false",
		"00E000000000002AAA|VP Sales|2026-11-02T00:00:00.000Z|false",
		NULL,
	};
	static const char *const second[] = {
		/* newer rename */
		"00E000000000002AAA|VP Revenue|2026-11-05T00:00:00.000Z|false",
		/* deleted */
		"00E000000000003AAA|Reps West|2026-11-05T00:00:00.000Z|true",
		/* older than the mirror: ignored */
		"00E000000000001AAA|Chief|2026-10-01T00:00:00.000Z|false",
		/* new, twice: the later row of the same instant wins */
		"00E000000000004AAA|Ops|2026-11-06T00:00:00.000Z|false",
		"00E000000000004AAA|Ops 2|2026-11-06T00:00:00.000Z|false",
		NULL,
	};
	char tmpl[] = "/tmp/crmsync-test-mirror-XXXXXX";
	struct mirror_stats ms;
	struct err err = ERR_INIT;
	char *d1, *d2, *m, *m2, *got;
	char sha_a[65], sha_b[65];

	tmpdir = mkdtemp(tmpl);
	if (schemas_load(&err) < 0) {
		printf("Bail out! %s\n", err.msg);
		return 1;
	}
	role = schema_find("salesforce", "UserRole");
	d1 = path_of("d1.csv.gz");
	d2 = path_of("d2.csv.gz");
	m = path_of("mirror.csv.gz");
	m2 = path_of("mirror2.csv.gz");
	write_rows(d1, first);
	write_rows(d2, second);

	ok(mirror_merge(role, NULL, d1, m, tmpdir, &ms, &err) == 0,
	   "first merge: %s", err.msg);
	got = dump(m);
	is_str(got, "00E000000000001AAA:CEO;00E000000000002AAA:VP Sales;"
	       "00E000000000003AAA:Reps West;", "mirror sorted by Id");
	free(got);
	is_int(ms.rows, 3, "3 rows");

	ok(mirror_merge(role, m, d2, m, tmpdir, &ms, &err) == 0,
	   "second merge in place: %s", err.msg);
	got = dump(m);
	is_str(got, "00E000000000001AAA:CEO;00E000000000002AAA:VP Revenue;"
	       "00E000000000004AAA:Ops 2;",
	       "newer wins, older ignored, deleted removed, later tie wins");
	free(got);
	is_int(ms.deletes, 1, "one delete counted");
	sha256_file(m, sha_a, NULL, NULL);

	ok(mirror_merge(role, m, d2, m, tmpdir, &ms, &err) == 0,
	   "merging the same delta again");
	sha256_file(m, sha_b, NULL, NULL);
	is_str(sha_b, sha_a, "is idempotent, byte for byte");

	/* the spill path: tiny chunks */
	mirror_chunk_bytes = 64;
	ok(mirror_merge(role, NULL, d1, m2, tmpdir, &ms, &err) == 0 &&
	   mirror_merge(role, m2, d2, m2, tmpdir, &ms, &err) == 0,
	   "merges with spilled chunks: %s", err.msg);
	sha256_file(m2, sha_b, NULL, NULL);
	is_str(sha_b, sha_a, "spilled merge gives the same bytes");
	mirror_chunk_bytes = 64u << 20;
	{
		char *spill = path_of(".spill-0.csv");

		ok(!fs_exists(spill), "spill files removed");
		free(spill);
	}

	/* a malformed delta names file and line */
	{
		char *bad = path_of("bad.csv.gz");
		static const char *const rows[] = {
			"00E000000000009AAA|X|yesterday|false", NULL,
		};

		write_rows(bad, rows);
		ok(mirror_merge(role, m, bad, m, tmpdir, &ms, &err) < 0 &&
		   err.cls == ERR_DATA && strstr(err.msg, "line 2") &&
		   strstr(err.msg, "bad.csv.gz"),
		   "bad LastModifiedDate is ERR_DATA with file and line: %s",
		   err.msg);
		sha256_file(m, sha_b, NULL, NULL);
		is_str(sha_b, sha_a, "and the mirror is untouched");
		free(bad);
	}

	/* a sorted full import: one pass gives what the merge gives */
	{
		static const char *const sorted[] = {
			"00E000000000001AAA|CEO|2026-11-01T00:00:00.000Z|false",
			"00E000000000002AAA|Gone|2026-11-02T00:00:00.000Z|true",
			"00E000000000003AAA|Ops|2026-11-03T00:00:00.000Z|false",
			NULL,
		};
		char *ds = path_of("sorted.csv.gz");
		char *ma = path_of("merged.csv.gz"), *mb = path_of("one.csv.gz");

		write_rows(ds, sorted);
		ok(mirror_merge(role, NULL, ds, ma, tmpdir, &ms, &err) == 0 &&
		   mirror_from_sorted(role, ds, mb, &ms, &err) == 0,
		   "merge and one-pass copy of a sorted delta: %s", err.msg);
		is_int(ms.deletes, 1, "the deleted record is dropped");
		sha256_file(ma, sha_a, NULL, NULL);
		sha256_file(mb, sha_b, NULL, NULL);
		is_str(sha_b, sha_a, "the one pass gives the merge's bytes");
		ok(mirror_from_sorted(role, d1, mb, &ms, &err) < 0 &&
		   err.cls == ERR_SOFTWARE && strstr(err.msg, "out of order"),
		   "an unsorted delta is refused: %s", err.msg);
		free(ds);
		free(ma);
		free(mb);
	}

	free(d1);
	free(d2);
	free(m);
	free(m2);
	fs_remove_tree(tmpdir, NULL);
	schemas_free();
	return tap_done();
}
