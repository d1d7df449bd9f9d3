/*
 * test_store.c - the SQLite store: creation, core tables, per-component
 * migrations, refusal of a newer schema, of a damaged file and of a file
 * that is not a store, transactions, the never-unsave triggers.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fsutil.h"
#include "store.h"
#include "tap.h"
#include "xalloc.h"

static char *tmpdir;

static long count(struct store *s, const char *sql)
{
	sqlite3_stmt *st = store_prepare(s, sql, NULL);
	long n = -1;

	if (st && sqlite3_step(st) == SQLITE_ROW)
		n = (long)sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return n;
}

static void test_create(void)
{
	char *path = xasprintf("%s/a.db", tmpdir);
	struct err err = ERR_INIT;
	struct store *s = NULL;
	char *v;

	ok(store_open(path, 0, &s, &err) < 0 && err.cls == ERR_NOINPUT,
	   "a missing store without create is ERR_NOINPUT");
	err_clear(&err);
	ok(store_open(path, 1, &s, &err) == 0, "store created: %s", err.msg);
	is_int(store_version(s, "core", &err), STORE_CORE_VERSION,
	       "core schema at the build's version");
	is_int(count(s, "SELECT count(*) FROM sqlite_master WHERE name IN "
		     "('links', 'seats', 'saves', 'loads', 'meta', "
		     "'in_crm', 'contact_info')"), 7,
	       "core tables and the in_crm view exist");
	v = NULL;
	{
		sqlite3_stmt *st = store_prepare(s, "PRAGMA journal_mode",
						 NULL);

		if (st && sqlite3_step(st) == SQLITE_ROW)
			v = xstrdup((const char *)sqlite3_column_text(st, 0));
		sqlite3_finalize(st);
	}
	is_str(v, "wal", "WAL mode");
	free(v);
	is_int(count(s, "PRAGMA foreign_keys"), 1, "foreign keys on");
	ok(store_meta_set(s, "k", "v1", &err) == 0, "meta set");
	v = store_meta_get(s, "k", &err);
	is_str(v, "v1", "meta get");
	free(v);
	ok(store_meta_get(s, "nope", &err) == NULL && err.cls == ERR_OK,
	   "absent meta is NULL without error");

	/* transactions */
	ok(store_begin(s, &err) == 0, "begin");
	store_exec(s, "INSERT INTO links VALUES ('person', 'M1', 'Contact', "
		   "'003000000000001AAA', 1.5, 0, 'u', 'r1')",
		   &err);
	store_rollback(s);
	is_int(count(s, "SELECT count(*) FROM links"), 0,
	       "rollback leaves nothing");
	ok(store_begin(s, &err) == 0 &&
	   store_exec(s, "INSERT INTO links VALUES ('person', 'M1', "
		      "'Contact', '003000000000001AAA', 1.5, 0, 'u', 'r1')",
		      &err) == 0 &&
	   store_commit(s, &err) == 0, "commit");
	is_int(count(s, "SELECT count(*) FROM in_crm"), 1,
	       "the committed link is in CRM");
	ok(store_exec(s, "INSERT INTO links VALUES ('robot', 'M2', 'Lead', "
		      "'x', 1, 0, 'u', 'r1')", &err) < 0,
	   "kind is checked");
	err_clear(&err);

	/* R33: saves are never removed nor changed */
	ok(store_exec(s, "INSERT INTO saves VALUES ('005A', 'person', 'M1', "
		      "'Contact', '003000000000001AAA', '006A', 'Opp', 10, "
		      "'S1', 'r1')", &err) == 0, "a save is inserted");
	ok(store_exec(s, "DELETE FROM saves", &err) < 0 &&
	   strstr(err.msg, "never removed"), "deleting a save is refused");
	err_clear(&err);
	ok(store_exec(s, "UPDATE saves SET user_id = '005B'", &err) < 0 &&
	   strstr(err.msg, "never changed"), "changing a save is refused");
	err_clear(&err);
	is_int(count(s, "SELECT count(*) FROM saves"), 1, "the save stays");
	ok(store_integrity_check(s, &err) == 0, "integrity check passes");
	store_close(s);
	store_close(NULL);
	free(path);
}

static const char *const ledger_v2[] = {
	"CREATE TABLE ledger(id TEXT PRIMARY KEY)",
	"ALTER TABLE ledger ADD COLUMN state TEXT",
};

static void test_migrations(void)
{
	char *path = xasprintf("%s/m.db", tmpdir);
	struct err err = ERR_INIT;
	struct store *s = NULL;
	static const char *const bad[] = { "CREATE TABLE x(", };

	store_open(path, 1, &s, &err);
	ok(store_migrate(s, "ledger", ledger_v2, 1, &err) == 0 &&
	   store_version(s, "ledger", &err) == 1, "ledger to version 1");
	ok(store_migrate(s, "ledger", ledger_v2, 2, &err) == 0 &&
	   store_version(s, "ledger", &err) == 2, "ledger to version 2");
	ok(store_migrate(s, "ledger", ledger_v2, 2, &err) == 0,
	   "migrating again is a no-op");
	is_int(count(s, "SELECT count(*) FROM pragma_table_info('ledger')"),
	       2, "both steps applied once");
	ok(store_migrate(s, "ledger", ledger_v2, 1, &err) < 0 &&
	   err.cls == ERR_DATA && strstr(err.msg, "newer crmsync"),
	   "an older build refuses a newer component: %s", err.msg);
	err_clear(&err);
	ok(store_migrate(s, "broken", bad, 1, &err) < 0 &&
	   err.cls == ERR_DATA && strstr(err.msg, "'broken'") &&
	   store_version(s, "broken", NULL) == 0,
	   "a failing step is rolled back with its version");
	err_clear(&err);
	/* a newer core schema is refused by store_open() */
	store_exec(s, "UPDATE schema_version SET version = 99 WHERE "
		   "component = 'core'", &err);
	store_close(s);
	s = NULL;
	ok(store_open(path, 0, &s, &err) < 0 && err.cls == ERR_DATA &&
	   strstr(err.msg, "newer crmsync") && strstr(err.msg, "version 99"),
	   "store_open refuses a newer core schema: %s", err.msg);
	free(path);
}

static void test_damage(void)
{
	char *path = xasprintf("%s/d.db", tmpdir);
	char *junk = xasprintf("%s/junk.db", tmpdir);
	struct err err = ERR_INIT;
	struct store *s = NULL;
	char buf[65536];
	long pgsz;
	int fd;

	store_open(path, 1, &s, &err);
	store_begin(s, &err);
	for (int i = 0; i < 2000; i++) {
		char sql[256];

		snprintf(sql, sizeof(sql), "INSERT INTO links VALUES "
			 "('person', 'M%05d', 'Lead', '00Q%015d', 1, 0, "
			 "'https://x/00Q%d', 'r')", i, i, i);
		store_exec(s, sql, &err);
	}
	store_commit(s, &err);
	store_exec(s, "PRAGMA wal_checkpoint(TRUNCATE)", &err);
	pgsz = count(s, "PRAGMA page_size");
	store_close(s);
	s = NULL;
	/* scribble over a page in the middle of the links tree */
	memset(buf, 0x5a, sizeof(buf));
	fd = open(path, O_WRONLY);
	ok(fd >= 0 && pgsz <= (long)sizeof(buf) &&
	   pwrite(fd, buf, (size_t)pgsz, pgsz * 3) == pgsz, "page damaged");
	close(fd);
	ok(store_open(path, 0, &s, &err) < 0 && err.cls == ERR_DATA &&
	   strstr(err.msg, "damaged") && strstr(err.msg, path),
	   "a damaged store is refused, naming it: %s", err.msg);
	err_clear(&err);
	fd = open(junk, O_WRONLY | O_CREAT, 0644);
	memset(buf, 'x', sizeof(buf));
	ok(fd >= 0 && write(fd, buf, sizeof(buf)) == (ssize_t)sizeof(buf),
	   "junk file written");
	close(fd);
	ok(store_open(junk, 0, &s, &err) < 0 && err.cls == ERR_DATA,
	   "a file that is not a database is refused: %s", err.msg);
	free(path);
	free(junk);
}

/* The seal: a clean close records the file's stat; a write removes it
 * before its commit; a stale seal means a quick_check again. */
static void test_seal(void)
{
	char *path = xasprintf("%s/s.db", tmpdir);
	char *seal = xasprintf("%s.seal", path);
	struct err err = ERR_INIT;
	struct store *s = NULL, *r = NULL;
	char buf[65536];
	long pgsz;
	int fd;

	ok(store_open(path, 1, &s, &err) == 0, "store created");
	pgsz = count(s, "PRAGMA page_size");
	ok(!fs_exists(seal), "no seal while the store is open");
	store_close(s);
	ok(fs_exists(seal), "a clean close seals the store");
	ok(store_open(path, 0, &s, &err) == 0 && fs_exists(seal),
	   "a sealed store opens and keeps its seal");
	ok(store_open(path, 0, &r, &err) == 0, "a second connection opens");
	ok(store_exec(s, "INSERT INTO meta VALUES ('a', 'b')", &err) == 0 &&
	   !fs_exists(seal), "the first commit removes the seal");
	store_close(s);
	ok(!fs_exists(seal), "no seal while another connection is open");
	store_close(r);
	ok(fs_exists(seal), "the last clean close seals again");
	/* any write that bypasses crmsync voids the seal */
	memset(buf, 0x5a, sizeof(buf));
	fd = open(path, O_WRONLY);
	ok(fd >= 0 && pgsz <= (long)sizeof(buf) &&
	   pwrite(fd, buf, (size_t)pgsz, pgsz) == pgsz, "page damaged");
	close(fd);
	s = NULL;
	ok(store_open(path, 0, &s, &err) < 0 && err.cls == ERR_DATA &&
	   strstr(err.msg, "damaged"), "a damaged sealed store is refused: %s",
	   err.msg);
	ok(!fs_exists(seal), "and its seal is gone");
	free(seal);
	free(path);
}

int main(void)
{
	char tmpl[] = "/tmp/crmsync-test-store-XXXXXX";

	tmpdir = mkdtemp(tmpl);
	if (!tmpdir)
		return 1;
	test_create();
	test_migrations();
	test_damage();
	test_seal();
	fs_remove_tree(tmpdir, NULL);
	return tap_done();
}
