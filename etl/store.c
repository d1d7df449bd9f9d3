/*
 * store.c - the SQLite store: opening, checking, transactions and
 * per-component schema migrations (see store.h).  The only file of etl/
 * besides the stages' own store code that talks to libsqlite3 directly.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fsutil.h"
#include "store.h"
#include "xalloc.h"

struct store {
	sqlite3 *db;
	char *path;
	char *seal;      /* path of the seal file, "<path>.seal" */
	int sound;       /* the file passed the open's check (seal or
			  * quick_check): a clean close may seal it */
	int unsealed;    /* this connection removed the seal */
	int seal_err;    /* removing the seal failed: commits are refused */
};

/* Page size of a new store (an existing one keeps its own). */
#define STORE_PAGE_SIZE "16384"

/* Milliseconds a writer waits for another's lock before ERR_TEMPFAIL. */
#define STORE_BUSY_MS 5000

/*
 * The core schema, one step per version.  Never edit a step that has
 * shipped: add a new one (stores in the field hold the old steps).
 */
static const char *const core_steps[STORE_CORE_VERSION] = {
	/* 1: the tables of the load stage */
	"CREATE TABLE meta(\n"
	"  key TEXT PRIMARY KEY,\n"
	"  value TEXT NOT NULL) WITHOUT ROWID;\n"
	"CREATE TABLE links(\n"
	"  kind TEXT NOT NULL CHECK (kind IN ('person', 'account')),\n"
	"  target_id TEXT NOT NULL,\n"
	"  crm_object TEXT NOT NULL,\n"
	"  crm_id TEXT NOT NULL,\n"
	"  score REAL,\n"
	"  manual INTEGER NOT NULL,\n"
	"  badge_url TEXT NOT NULL,\n"
	"  email TEXT,\n"
	"  phone TEXT,\n"
	"  run_id TEXT NOT NULL,\n"
	"  PRIMARY KEY (kind, target_id)) WITHOUT ROWID;\n"
	"CREATE INDEX links_crm_id ON links(crm_id);\n"
	"CREATE VIEW in_crm AS\n"
	"  SELECT kind, target_id, crm_object, crm_id FROM links;\n"
	"CREATE TABLE seats(\n"
	"  seat_id TEXT PRIMARY KEY,\n"
	"  user_id TEXT,\n"
	"  mapped_by TEXT CHECK (mapped_by IN ('email', 'name')),\n"
	"  seat_email TEXT,\n"
	"  seat_name TEXT,\n"
	"  user_name TEXT,\n"
	"  run_id TEXT NOT NULL) WITHOUT ROWID;\n"
	"CREATE INDEX seats_user_id ON seats(user_id);\n"
	"CREATE TABLE saves(\n"
	"  user_id TEXT NOT NULL,\n"
	"  kind TEXT NOT NULL CHECK (kind IN ('person', 'account')),\n"
	"  target_id TEXT NOT NULL,\n"
	"  crm_object TEXT NOT NULL,\n"
	"  crm_id TEXT NOT NULL,\n"
	"  opportunity_id TEXT NOT NULL,\n"
	"  opportunity_name TEXT,\n"
	"  amount REAL,\n"
	"  seat_id TEXT,\n"
	"  run_id TEXT NOT NULL,\n"
	"  PRIMARY KEY (user_id, kind, target_id)) WITHOUT ROWID;\n"
	"CREATE INDEX saves_target ON saves(kind, target_id);\n"
	/* R33: a save is never undone, whatever changes */
	"CREATE TRIGGER saves_never_removed BEFORE DELETE ON saves\n"
	"  BEGIN SELECT RAISE(ABORT, 'saves are never removed (R33)'); END;\n"
	"CREATE TRIGGER saves_never_changed BEFORE UPDATE ON saves\n"
	"  BEGIN SELECT RAISE(ABORT, 'saves are never changed (R33)'); END;\n"
	"CREATE TABLE loads(\n"
	"  run_id TEXT PRIMARY KEY,\n"
	"  generation INTEGER NOT NULL UNIQUE,\n"
	"  badges_added INTEGER NOT NULL,\n"
	"  badges_removed INTEGER NOT NULL,\n"
	"  badges_changed INTEGER NOT NULL,\n"
	"  contact_info_changed INTEGER NOT NULL,\n"
	"  saves_added INTEGER NOT NULL,\n"
	"  seats_changed INTEGER NOT NULL) WITHOUT ROWID;\n",
	/* 2: contact info (R32) leaves links for a table of its own, one
	 * row per linked Lead or Contact: an incremental load rewrites the
	 * pages of the few records whose email or phone changed, not the
	 * pages of every link.  The old values are dropped, not moved (they
	 * were encrypted for the profile, now for the CRM record): the next
	 * load finds contact_info empty and stages every record's contact
	 * info again. */
	"CREATE TABLE contact_info(\n"
	"  crm_object TEXT NOT NULL,\n"
	"  crm_id TEXT NOT NULL,\n"
	"  email TEXT,\n"
	"  phone TEXT,\n"
	"  run_id TEXT NOT NULL,\n"
	"  PRIMARY KEY (crm_object, crm_id)) WITHOUT ROWID;\n"
	"ALTER TABLE links DROP COLUMN email;\n"
	"ALTER TABLE links DROP COLUMN phone;\n"
	"DELETE FROM meta WHERE key LIKE 'input:%';\n",
};

int store_error(struct store *s, struct err *err, const char *what)
{
	int code = s->db ? sqlite3_extended_errcode(s->db) & 0xff : SQLITE_ERROR;
	const char *msg = s->db ? sqlite3_errmsg(s->db) : "cannot open";
	enum err_class cls;

	switch (code) {
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		cls = ERR_TEMPFAIL;
		break;
	case SQLITE_FULL:
	case SQLITE_IOERR:
		cls = ERR_IO;
		break;
	case SQLITE_CORRUPT:
	case SQLITE_NOTADB:
		cls = ERR_DATA;
		break;
	case SQLITE_CANTOPEN:
	case SQLITE_READONLY:
	case SQLITE_PERM:
		cls = ERR_CANTCREAT;
		break;
	default:
		cls = ERR_SOFTWARE;
		break;
	}
	return err_set(err, cls, "store '%s': %s: %s", s->path, what, msg);
}

int store_exec(struct store *s, const char *sql, struct err *err)
{
	if (sqlite3_exec(s->db, sql, NULL, NULL, NULL) != SQLITE_OK)
		return store_error(s, err, "cannot run SQL");
	return 0;
}

sqlite3_stmt *store_prepare(struct store *s, const char *sql,
			    struct err *err)
{
	sqlite3_stmt *st = NULL;

	if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK) {
		store_error(s, err, "cannot prepare statement");
		sqlite3_finalize(st);
		return NULL;
	}
	return st;
}

sqlite3 *store_db(struct store *s)
{
	return s->db;
}

const char *store_path(const struct store *s)
{
	return s->path;
}

int store_begin(struct store *s, struct err *err)
{
	if (sqlite3_exec(s->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) !=
	    SQLITE_OK)
		return store_error(s, err, "cannot begin a transaction");
	return 0;
}

int store_commit(struct store *s, struct err *err)
{
	if (sqlite3_exec(s->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
		if (s->seal_err)
			err_errno(err, ERR_CANTCREAT, s->seal_err, "store '%s': "
				  "cannot remove '%s' before the commit",
				  s->path, s->seal);
		else
			store_error(s, err, "cannot commit");
		store_rollback(s);
		return -1;
	}
	return 0;
}

void store_rollback(struct store *s)
{
	if (s && s->db && !sqlite3_get_autocommit(s->db))
		sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
}

/* Runs a check pragma; -1 with ERR_DATA quoting its first finding. */
static int run_check(struct store *s, const char *pragma, struct err *err)
{
	sqlite3_stmt *st = store_prepare(s, pragma, NULL);
	const unsigned char *first;
	int rc;

	if (!st)
		return err_set(err, ERR_DATA, "store '%s' is damaged: %s (move "
			       "it away and run the load again, or restore "
			       "a backup)", s->path, sqlite3_errmsg(s->db));
	rc = sqlite3_step(st);
	first = rc == SQLITE_ROW ? sqlite3_column_text(st, 0) : NULL;
	if (rc != SQLITE_ROW || !first || strcmp((const char *)first, "ok")) {
		char what[512];
		const char *p = first ? (const char *)first :
				sqlite3_errmsg(s->db);

		/* one line: "*** in database main ***\nPage 7: ..." */
		if (strncmp(p, "*** in database main ***", 24) == 0)
			p += 24;
		p += strspn(p, " \n");
		snprintf(what, sizeof(what), "%s", p);
		for (char *c = what; *c; c++)
			if (*c == '\n' || *c == '\r')
				*c = ' ';
		err_set(err, ERR_DATA, "store '%s' is damaged: %s (move it "
			"away and run the load again, or restore a backup)",
			s->path, what);
		sqlite3_finalize(st);
		return -1;
	}
	sqlite3_finalize(st);
	return 0;
}

int store_integrity_check(struct store *s, struct err *err)
{
	return run_check(s, "PRAGMA integrity_check(1)", err);
}

long store_version(struct store *s, const char *component, struct err *err)
{
	sqlite3_stmt *st = store_prepare(s, "SELECT version FROM "
					 "schema_version WHERE component = ?",
					 err);
	long v = 0;
	int rc;

	if (!st)
		return -1;
	sqlite3_bind_text(st, 1, component, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		v = (long)sqlite3_column_int64(st, 0);
	else if (rc != SQLITE_DONE)
		v = store_error(s, err, "cannot read schema_version");
	sqlite3_finalize(st);
	return v;
}

int store_migrate(struct store *s, const char *component,
		  const char *const *steps, size_t nsteps, struct err *err)
{
	sqlite3_stmt *set = NULL;
	long have;
	int ret = -1;

	if (store_exec(s, "CREATE TABLE IF NOT EXISTS schema_version("
		       "component TEXT PRIMARY KEY, version INTEGER NOT NULL)",
		       err) < 0)
		return -1;
	have = store_version(s, component, err);
	if (have < 0)
		return -1;
	if ((size_t)have > nsteps)
		return err_set(err, ERR_DATA, "store '%s' was written by a "
			       "newer crmsync (schema '%s' version %ld, this "
			       "build knows up to %zu): upgrade crmsync",
			       s->path, component, have, nsteps);
	if ((size_t)have == nsteps)
		return 0;
	set = store_prepare(s, "INSERT OR REPLACE INTO schema_version"
			    "(component, version) VALUES (?, ?)", err);
	if (!set)
		return -1;
	for (size_t i = (size_t)have; i < nsteps; i++) {
		if (store_begin(s, err) < 0)
			goto out;
		if (sqlite3_exec(s->db, steps[i], NULL, NULL, NULL) !=
		    SQLITE_OK) {
			err_set(err, ERR_DATA, "store '%s': migration of '%s' "
				"to version %zu failed: %s", s->path, component,
				i + 1, sqlite3_errmsg(s->db));
			store_rollback(s);
			goto out;
		}
		sqlite3_reset(set);
		sqlite3_bind_text(set, 1, component, -1, SQLITE_STATIC);
		sqlite3_bind_int64(set, 2, (sqlite3_int64)(i + 1));
		if (sqlite3_step(set) != SQLITE_DONE) {
			store_error(s, err, "cannot record schema version");
			store_rollback(s);
			goto out;
		}
		if (store_commit(s, err) < 0)
			goto out;
	}
	ret = 0;
out:
	sqlite3_finalize(set);
	return ret;
}

/*
 * The seal: "<store>.seal" holds the device, inode, size and change time
 * (ctime, in nanoseconds) of the database file as crmsync left it when
 * it closed the store cleanly (the last connection gone, the WAL
 * checkpointed and deleted).  Every write to the file, by crmsync or
 * anything else (sqlite3, dd, cp over it), changes its ctime, so a store
 * whose stat still matches its seal and that has no WAL is byte for byte
 * what crmsync closed: store_open() then skips PRAGMA quick_check, which
 * reads every page.  Any other store (no seal, a stale seal, a WAL left
 * by a crash or by another process) is quick-checked.  Damage that leaves
 * the ctime alone (a failing disk) is for `crmsync verify`, which runs
 * the full integrity_check.  Before its first commit a connection removes
 * the seal (commit hook), so a crash can never leave a seal that vouches
 * for a file it does not describe.
 */
static void seal_text(const struct stat *sb, char *buf, size_t size)
{
	snprintf(buf, size, "crmsync store seal 1 dev %llu ino %llu size %lld "
		 "ctime %lld.%09ld\n", (unsigned long long)sb->st_dev,
		 (unsigned long long)sb->st_ino, (long long)sb->st_size,
		 (long long)sb->st_ctim.tv_sec, (long)sb->st_ctim.tv_nsec);
}

/* 1 when the seal vouches for the file as it is now. */
static int seal_holds(const struct store *s)
{
	char *have = NULL, want[256];
	char *wal = xasprintf("%s-wal", s->path);
	struct stat sb, wb;
	size_t len;
	int ok = 0;

	if (stat(s->path, &sb) == 0 &&
	    (stat(wal, &wb) < 0 || wb.st_size == 0) &&
	    fs_read_all(s->seal, &have, &len, NULL) == 0) {
		seal_text(&sb, want, sizeof(want));
		ok = strcmp(have, want) == 0;
	}
	free(have);
	free(wal);
	return ok;
}

/* Commit hook: the seal goes before the first change is committed; a
 * seal that cannot be removed turns the commit into a rollback. */
static int unseal_hook(void *arg)
{
	struct store *s = arg;

	if (s->unsealed)
		return 0;
	if (unlink(s->seal) < 0) {
		if (errno != ENOENT) {
			s->seal_err = errno;
			return 1;
		}
	} else {
		/* durable before the commit is */
		char *dir = fs_dirname(s->seal);

		fs_fsync_dir(dir, NULL);
		free(dir);
	}
	s->unsealed = 1;
	return 0;
}

/* After a clean close (no WAL left: this was the last connection),
 * records the file's stat in the seal, unless the seal says so already.
 * Failing is harmless: the next open quick-checks. */
static void write_seal(const struct store *s)
{
	char *wal = xasprintf("%s-wal", s->path);
	char text[256], *have = NULL;
	struct stat sb;
	size_t len;

	if (!fs_exists(wal) && stat(s->path, &sb) == 0) {
		seal_text(&sb, text, sizeof(text));
		if (fs_read_all(s->seal, &have, &len, NULL) < 0 ||
		    strcmp(have, text))
			fs_write_atomic(s->seal, text, strlen(text), 0644,
					NULL);
	}
	free(have);
	free(wal);
}

int store_open(const char *path, int create, struct store **out,
	       struct err *err)
{
	struct store *s = xcalloc(1, sizeof(*s));
	struct stat sb;
	int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX;

	*out = NULL;
	s->path = xstrdup(path);
	s->seal = xasprintf("%s.seal", path);
	if (stat(path, &sb) < 0) {
		if (errno != ENOENT || !create) {
			err_errno(err, err_class_of_errno(errno), errno,
				  "cannot open store '%s'", path);
			goto fail;
		}
		flags |= SQLITE_OPEN_CREATE;
	} else if (!S_ISREG(sb.st_mode)) {
		err_set(err, ERR_DATA, "store '%s' is not a regular file", path);
		goto fail;
	}
	if (sqlite3_open_v2(path, &s->db, flags, NULL) != SQLITE_OK) {
		store_error(s, err, "cannot open");
		goto fail;
	}
	sqlite3_extended_result_codes(s->db, 1);
	sqlite3_busy_timeout(s->db, STORE_BUSY_MS);
	/* a new store gets 16 KiB pages: loads read and write most pages of
	 * contact_info and links anyway, in a quarter of the I/O calls */
	if ((flags & SQLITE_OPEN_CREATE) &&
	    store_exec(s, "PRAGMA page_size=" STORE_PAGE_SIZE, err) < 0)
		goto fail;
	/* the first read of the header tells a non-database file */
	if (sqlite3_exec(s->db, "PRAGMA journal_mode=WAL", NULL, NULL, NULL) !=
	    SQLITE_OK) {
		if ((sqlite3_errcode(s->db) & 0xff) == SQLITE_NOTADB ||
		    (sqlite3_errcode(s->db) & 0xff) == SQLITE_CORRUPT)
			err_set(err, ERR_DATA, "store '%s' is not a crmsync "
				"store or is damaged: %s", path,
				sqlite3_errmsg(s->db));
		else
			store_error(s, err, "cannot set WAL mode");
		goto fail;
	}
	/* WAL + NORMAL: a commit survives a crash of the process; only a
	 * power loss may lose the last commits, never consistency */
	if (store_exec(s, "PRAGMA synchronous=NORMAL; "
		       "PRAGMA foreign_keys=ON", err) < 0)
		goto fail;
	/* a store crmsync closed cleanly and nothing touched since needs no
	 * page-by-page check (see seal_text()) */
	sqlite3_commit_hook(s->db, unseal_hook, s);
	if (!seal_holds(s)) {
		if (unlink(s->seal) < 0 && errno != ENOENT) {
			err_errno(err, ERR_CANTCREAT, errno, "store '%s': "
				  "cannot remove '%s'", path, s->seal);
			goto fail;
		}
		if (run_check(s, "PRAGMA quick_check(1)", err) < 0)
			goto fail;
		s->unsealed = 1;
	}
	s->sound = 1;
	if (store_migrate(s, "core", core_steps, STORE_CORE_VERSION, err) < 0)
		goto fail;
	*out = s;
	return 0;
fail:
	store_close(s);
	return -1;
}

void store_close(struct store *s)
{
	if (!s)
		return;
	if (s->db) {
		store_rollback(s);
		if (sqlite3_close(s->db) != SQLITE_OK)
			sqlite3_close_v2(s->db); /* statements left open */
		else if (s->sound && !s->seal_err)
			write_seal(s);
	}
	free(s->seal);
	free(s->path);
	free(s);
}

char *store_meta_get(struct store *s, const char *key, struct err *err)
{
	sqlite3_stmt *st = store_prepare(s, "SELECT value FROM meta WHERE "
					 "key = ?", err);
	char *v = NULL;
	int rc;

	if (!st)
		return NULL;
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		v = xstrdup((const char *)sqlite3_column_text(st, 0));
	else if (rc != SQLITE_DONE)
		store_error(s, err, "cannot read meta");
	sqlite3_finalize(st);
	return v;
}

int store_meta_set(struct store *s, const char *key, const char *value,
		   struct err *err)
{
	sqlite3_stmt *st = store_prepare(s, "INSERT OR REPLACE INTO meta"
					 "(key, value) VALUES (?, ?)", err);
	int rc;

	if (!st)
		return -1;
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, value, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return store_error(s, err, "cannot write meta");
	return 0;
}
