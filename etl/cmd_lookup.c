/*
 * cmd_lookup.c - `crmsync lookup JOB --member ID | --company ID |
 * --crm-id ID`: what the store serves for a profile, a company page or a
 * CRM record: the badge (R30), the in-CRM flag (R31), contact info (R32,
 * decrypted with the job's key) and the saves (R33).
 */
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "cmd.h"
#include "crypto.h"
#include "load.h"
#include "store.h"
#include "strbuf.h"

static const char lookup_help[] =
	"usage: crmsync lookup (--member ID | --company ID | --crm-id ID) "
	"JOB.yaml\n"
	"\n"
	"Prints what the job's store holds for a directory profile, a company\n"
	"page or a CRM record: the CRM badge (object, Id and link), whether it\n"
	"is in CRM, the link's score and origin, the CRM's email and phone\n"
	"(decrypted when the job has a key), and the auto-saves made for it\n"
	"(who, through which opportunity).  Reads the store only.\n";

static const char *text(sqlite3_stmt *q, int i)
{
	const unsigned char *t = sqlite3_column_text(q, i);

	return t ? (const char *)t : NULL;
}

/* Prints a contact value, decrypting it when needed. */
static int print_pii(const char *label, const char *column,
		     const char *crm_id, const char *value,
		     const struct pii_key *key, struct err *err)
{
	struct strbuf sb = STRBUF_INIT;

	if (!value) {
		printf("  %-10s -\n", label);
		return 0;
	}
	if (pii_is_encrypted(value)) {
		char ctx[512];

		snprintf(ctx, sizeof(ctx), "%s:%s", column, crm_id);
		if (!key)
			return err_set(err, ERR_CONFIG, "the store's contact "
				       "info is encrypted and the job names "
				       "no key");
		if (pii_decrypt(key, ctx, value, &sb, err) < 0)
			return -1;
		value = sb.buf;
	}
	printf("  %-10s %s\n", label, value);
	strbuf_release(&sb);
	return 0;
}

static int print_saves(struct store *s, const char *where, const char *a,
		       const char *b, struct err *err)
{
	char sql[1024];
	sqlite3_stmt *q;
	int rc, n = 0;

	snprintf(sql, sizeof(sql), "SELECT sv.user_id, (SELECT user_name "
		 "FROM seats WHERE seats.user_id = sv.user_id ORDER BY seat_id "
		 "LIMIT 1), sv.seat_id, sv.opportunity_id, sv.opportunity_name,"
		 " sv.amount, sv.run_id, sv.crm_object, sv.crm_id FROM saves "
		 "sv WHERE %s ORDER BY sv.user_id", where);
	q = store_prepare(s, sql, err);
	if (!q)
		return -1;
	sqlite3_bind_text(q, 1, a, -1, SQLITE_STATIC);
	if (b)
		sqlite3_bind_text(q, 2, b, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		char amount[64] = "-";

		if (sqlite3_column_type(q, 5) != SQLITE_NULL)
			snprintf(amount, sizeof(amount), "%.2f",
				 sqlite3_column_double(q, 5));
		printf("  %-10s %s%s%s (seat %s): %s %s, opportunity %s "
		       "\"%s\", amount %s (run %s)\n", n++ ? "" : "saved for",
		       text(q, 0), text(q, 1) ? " " : "",
		       text(q, 1) ? text(q, 1) : "",
		       text(q, 2) ? text(q, 2) : "none", text(q, 7), text(q, 8),
		       text(q, 3), text(q, 4) ? text(q, 4) : "", amount,
		       text(q, 6));
	}
	sqlite3_finalize(q);
	if (rc != SQLITE_DONE)
		return store_error(s, err, "cannot read saves");
	if (!n)
		printf("  %-10s nobody\n", "saved for");
	return 0;
}

/* Prints the link of (kind, target), or says it is not in CRM. */
static int print_target(struct store *s, const struct pii_key *key,
			const char *kind, const char *target, struct err *err)
{
	sqlite3_stmt *q = store_prepare(s, "SELECT l.crm_object, l.crm_id, "
					"l.badge_url, l.score, l.manual, "
					"ci.email, ci.phone, l.run_id FROM "
					"links l LEFT JOIN contact_info ci ON "
					"ci.crm_object = l.crm_object AND "
					"ci.crm_id = l.crm_id WHERE l.kind = ? "
					"AND l.target_id = ?", err);
	const char *label = strcmp(kind, "person") ? "company page" :
			    "member";
	int rc;

	if (!q)
		return -1;
	sqlite3_bind_text(q, 1, kind, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 2, target, -1, SQLITE_STATIC);
	rc = sqlite3_step(q);
	if (rc == SQLITE_ROW) {
		printf("%s %s: in CRM\n", label, target);
		printf("  %-10s %s %s %s\n", "badge", text(q, 0), text(q, 1),
		       text(q, 2));
		printf("  %-10s score %.3f, %s (loaded by run %s)\n", "link",
		       sqlite3_column_double(q, 3),
		       sqlite3_column_int(q, 4) ? "manual" : "by the model",
		       text(q, 7));
		if (!strcmp(kind, "person") &&
		    (print_pii("email", "email", text(q, 1), text(q, 5), key,
			       err) < 0 ||
		     print_pii("phone", "phone", text(q, 1), text(q, 6), key,
			       err) < 0)) {
			sqlite3_finalize(q);
			return -1;
		}
	} else if (rc == SQLITE_DONE) {
		printf("%s %s: not in CRM\n", label, target);
	}
	sqlite3_finalize(q);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return store_error(s, err, "cannot read links");
	return print_saves(s, "sv.kind = ?1 AND sv.target_id = ?2", kind,
			   target, err);
}

static int print_crm(struct store *s, const struct pii_key *key,
		     const char *crm_id, struct err *err)
{
	sqlite3_stmt *q = store_prepare(s, "SELECT kind, target_id FROM links "
					"WHERE crm_id = ? ORDER BY kind, "
					"target_id", err);
	int rc, n = 0;

	if (!q)
		return -1;
	sqlite3_bind_text(q, 1, crm_id, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		char kind[16], target[512];

		snprintf(kind, sizeof(kind), "%s", text(q, 0));
		snprintf(target, sizeof(target), "%s", text(q, 1));
		printf("%sCRM record %s: linked to %s %s\n", n++ ? "\n" : "",
		       crm_id, strcmp(kind, "person") ? "company page" :
		       "member", target);
		if (print_target(s, key, kind, target, err) < 0) {
			sqlite3_finalize(q);
			return -1;
		}
	}
	sqlite3_finalize(q);
	if (rc != SQLITE_DONE)
		return store_error(s, err, "cannot read links");
	if (!n) {
		printf("CRM record %s: not linked to a profile or company "
		       "page\n", crm_id);
		return print_saves(s, "sv.crm_id = ?1", crm_id, NULL, err);
	}
	return 0;
}

int cmd_lookup(int argc, char **argv, struct err *err)
{
	static const struct option longopts[] = {
		{ "crm-id", required_argument, NULL, 'c' },
		{ "member", required_argument, NULL, 'm' },
		{ "company", required_argument, NULL, 'a' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *id = NULL;
	struct pii_key *key = NULL;
	struct store *s = NULL;
	struct job *job;
	int c, what = 0, ret = -1;

	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, "+h", longopts, NULL)) != -1) {
		if (c == 'h')
			return cmd_print_help(lookup_help);
		if (c != 'c' && c != 'm' && c != 'a')
			return cmd_usage_error(err, "lookup", "unknown option "
					       "'%s'", argv[optind - 1]);
		if (what)
			return cmd_usage_error(err, "lookup", "give one of "
					       "--member, --company, --crm-id");
		what = c;
		id = optarg;
	}
	if (!what)
		return cmd_usage_error(err, "lookup", "give --member, "
				       "--company or --crm-id");
	job = cmd_load_job(argc, argv, optind, "crmsync lookup --member ID "
			   "JOB.yaml", err);
	if (!job)
		return -1;
	if (load_open_store(job, &s, &key, err) < 0)
		goto out;
	if (what == 'c')
		ret = print_crm(s, key, id, err);
	else
		ret = print_target(s, key, what == 'm' ? "person" : "account",
				   id, err);
	if (ret == 0)
		ret = EXIT_OK;
out:
	pii_key_free(key);
	store_close(s);
	job_free(job);
	return ret;
}
