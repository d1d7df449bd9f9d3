/*
 * cmd_report.c - `crmsync report --seats [--role NAME] JOB`: the CRM
 * users an admin can give directory seats to (R34), with the UserRole
 * hierarchy (ParentRoleId) and the current seat map of the store.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "csvio.h"
#include "fsutil.h"
#include "load.h"
#include "schema.h"
#include "stage.h"
#include "store.h"
#include "xalloc.h"

static const char report_help[] =
	"usage: crmsync report --seats [--role NAME] JOB.yaml\n"
	"\n"
	"Prints the UserRole hierarchy of the CRM mirror (each role with its\n"
	"active users and how many hold a directory seat), then the ACTIVE\n"
	"CRM users the admin can give seats to, with their role and current\n"
	"seat (from the store's seat map: mapped by email, or by name when no\n"
	"email matched).  --role NAME keeps the users of that role and of\n"
	"every role below it (ParentRoleId).\n"
	"\n"
	"options:\n"
	"  --seats       the seat report (the only report so far)\n"
	"  --role NAME   only this role and the roles below it\n"
	"  -h, --help    this help\n";

struct role {
	char *id, *name, *parent;
	int selected;
	unsigned users, seated;
};

struct user {
	char *id, *name, *email, *role;
	char *seat, *mapped_by;
	int active;
};

struct report {
	struct role *roles;
	size_t nroles, aroles;
	struct user *users;
	size_t nusers, ausers;
};

typedef void (*take_fn)(struct report *r, char **v);

/* Reads mirror file `object` (if present) with `fields` in this order. */
static int read_object(const struct job *job, const char *object,
		       const char *const *fields, size_t nf, struct report *r,
		       take_fn take, struct err *err)
{
	const struct schema *s = schema_find("salesforce", object);
	char *path = xasprintf("%s/state/mirror/%s.csv.gz", job->staging_dir,
			       object);
	struct csv_reader *rd = NULL;
	const struct csv_row *row;
	char *v[8];
	int idx[8], ret = -1;
	enum csvr_status st;

	if (!fs_exists(path)) {
		ret = 0;
		goto out;
	}
	rd = csvr_open(path, CSVR_GZIP, err);
	if (!rd)
		goto out;
	for (size_t i = 0; i < nf; i++) {
		idx[i] = -1;
		for (size_t k = 0; k < csvr_header(rd)->nfields; k++)
			if (!strcmp(csvr_header(rd)->fields[k], fields[i]))
				idx[i] = (int)k;
		if (idx[i] < 0) {
			err_set(err, ERR_DATA, "'%s' line 1: no column %s",
				path, fields[i]);
			goto out;
		}
	}
	(void)s;
	while ((st = csvr_next(rd, &row, err)) != CSVR_EOF) {
		if (st != CSVR_ROW)
			goto out;
		for (size_t i = 0; i < nf; i++)
			v[i] = row->fields[idx[i]];
		take(r, v);
	}
	ret = 0;
out:
	csvr_close(rd);
	free(path);
	return ret;
}

static char *dup0(const char *s)
{
	return s && *s ? xstrdup(s) : NULL;
}

static void take_role(struct report *r, char **v)
{
	struct role *ro;

	XGROW(r->roles, r->aroles, r->nroles + 1);
	ro = &r->roles[r->nroles++];
	memset(ro, 0, sizeof(*ro));
	ro->id = xstrdup(v[0]);
	ro->name = xstrdup(v[1]);
	ro->parent = dup0(v[2]);
}

static void take_user(struct report *r, char **v)
{
	struct user *u;

	XGROW(r->users, r->ausers, r->nusers + 1);
	u = &r->users[r->nusers++];
	memset(u, 0, sizeof(*u));
	u->id = xstrdup(v[0]);
	u->name = xstrdup(v[1]);
	u->email = xstrdup(v[2]);
	u->active = !strcmp(v[3], "true");
	u->role = dup0(v[4]);
}

static struct role *role_find(struct report *r, const char *id)
{
	for (size_t i = 0; id && i < r->nroles; i++)
		if (!strcmp(r->roles[i].id, id))
			return &r->roles[i];
	return NULL;
}

/* 1 when role `id` is a selected role or below one. */
static int in_subtree(struct report *r, const char *id)
{
	struct role *ro = role_find(r, id);

	/* a broken tree (a cycle) ends after nroles steps */
	for (size_t depth = 0; ro && depth <= r->nroles; depth++) {
		if (ro->selected)
			return 1;
		ro = role_find(r, ro->parent);
	}
	return 0;
}

static int name_cmp(const void *a, const void *b)
{
	const struct role *x = *(struct role *const *)a;
	const struct role *y = *(struct role *const *)b;

	return strcmp(x->name, y->name);
}

static void print_tree(struct report *r, const char *parent, int depth)
{
	struct role **kids = xcalloc(r->nroles + 1, sizeof(*kids));
	size_t n = 0;

	for (size_t i = 0; i < r->nroles; i++) {
		struct role *ro = &r->roles[i];
		int root = !ro->parent || !role_find(r, ro->parent);

		if (parent ? (ro->parent && !strcmp(ro->parent, parent)) : root)
			kids[n++] = ro;
	}
	if (n > 1)
		qsort(kids, n, sizeof(*kids), name_cmp);
	for (size_t i = 0; i < n; i++) {
		printf("%*s%-*s %6u %7u\n", depth * 2, "", 40 - depth * 2,
		       kids[i]->name, kids[i]->users, kids[i]->seated);
		if (depth < 32)
			print_tree(r, kids[i]->id, depth + 1);
	}
	free(kids);
}

static int load_seats(const struct job *job, struct report *r,
		      struct err *err)
{
	struct store *s = NULL;
	char *path = load_store_path(job);
	sqlite3_stmt *q;
	int rc, exists = fs_exists(path);

	free(path);
	if (!exists)
		return 0;
	if (load_open_store(job, &s, NULL, err) < 0)
		return -1;
	q = store_prepare(s, "SELECT user_id, seat_id, mapped_by FROM seats "
			  "WHERE user_id IS NOT NULL", err);
	if (!q) {
		store_close(s);
		return -1;
	}
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		const char *uid = (const char *)sqlite3_column_text(q, 0);

		for (size_t i = 0; i < r->nusers; i++) {
			if (strcmp(r->users[i].id, uid))
				continue;
			free(r->users[i].seat);
			free(r->users[i].mapped_by);
			r->users[i].seat = xstrdup(
				(const char *)sqlite3_column_text(q, 1));
			r->users[i].mapped_by = xstrdup(
				(const char *)sqlite3_column_text(q, 2));
		}
	}
	sqlite3_finalize(q);
	if (rc != SQLITE_DONE)
		rc = store_error(s, err, "cannot read seats");
	else
		rc = 0;
	store_close(s);
	return rc;
}

static void report_release(struct report *r)
{
	for (size_t i = 0; i < r->nroles; i++) {
		free(r->roles[i].id);
		free(r->roles[i].name);
		free(r->roles[i].parent);
	}
	for (size_t i = 0; i < r->nusers; i++) {
		free(r->users[i].id);
		free(r->users[i].name);
		free(r->users[i].email);
		free(r->users[i].role);
		free(r->users[i].seat);
		free(r->users[i].mapped_by);
	}
	free(r->roles);
	free(r->users);
}

static int user_cmp(const void *a, const void *b)
{
	const struct user *x = a, *y = b;
	int d = strcmp(x->name, y->name);

	return d ? d : strcmp(x->id, y->id);
}

int cmd_report(int argc, char **argv, struct err *err)
{
	static const struct option longopts[] = {
		{ "seats", no_argument, NULL, 's' },
		{ "role", required_argument, NULL, 'r' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	static const char *const role_fields[] = { "Id", "Name",
						   "ParentRoleId" };
	static const char *const user_fields[] = { "Id", "Name", "Email",
						   "IsActive", "UserRoleId" };
	const char *role = NULL;
	struct report r;
	struct job *job = NULL;
	unsigned inactive = 0, listed = 0;
	int c, seats = 0, ret = -1;

	memset(&r, 0, sizeof(r));
	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, "+h", longopts, NULL)) != -1) {
		if (c == 'h')
			return cmd_print_help(report_help);
		if (c == 's')
			seats = 1;
		else if (c == 'r')
			role = optarg;
		else
			return cmd_usage_error(err, "report", "unknown option "
					       "'%s'", argv[optind - 1]);
	}
	if (!seats)
		return cmd_usage_error(err, "report", "say which report: "
				       "--seats");
	job = cmd_load_job(argc, argv, optind, "crmsync report --seats "
			   "JOB.yaml", err);
	if (!job)
		return -1;
	if (read_object(job, "UserRole", role_fields, 3, &r, take_role,
			err) < 0 ||
	    read_object(job, "User", user_fields, 5, &r, take_user, err) < 0)
		goto out;
	if (!r.nusers) {
		err_set(err, ERR_NOINPUT, "job '%s' has no CRM users in its "
			"mirror: extract User (and UserRole) first", job->name);
		goto out;
	}
	if (load_seats(job, &r, err) < 0)
		goto out;
	if (role) {
		int found = 0;

		for (size_t i = 0; i < r.nroles; i++)
			if (!strcmp(r.roles[i].name, role))
				found = r.roles[i].selected = 1;
		if (!found) {
			err_set(err, ERR_NOINPUT, "no role named '%s' in the "
				"mirror's UserRole", role);
			goto out;
		}
	}
	for (size_t i = 0; i < r.nusers; i++) {
		struct role *ro = role_find(&r, r.users[i].role);

		if (ro && r.users[i].active) {
			ro->users++;
			ro->seated += r.users[i].seat != NULL;
		}
	}
	printf("%-40s %6s %7s\n", "role (UserRole hierarchy)", "users",
	       "seated");
	print_tree(&r, NULL, 0);
	if (r.nusers > 1)
		qsort(r.users, r.nusers, sizeof(*r.users), user_cmp);
	printf("\nactive CRM users%s%s%s:\n", role ? " in role '" : "",
	       role ? role : "", role ? "' and below" : "");
	printf("%-18s  %-20s  %-42s  %-24s  %s\n", "UserId", "Name", "Email",
	       "Role", "Seat");
	for (size_t i = 0; i < r.nusers; i++) {
		const struct user *u = &r.users[i];
		struct role *ro = role_find(&r, u->role);

		if (!u->active) {
			inactive++;
			continue;
		}
		if (role && !in_subtree(&r, u->role))
			continue;
		listed++;
		printf("%-18s  %-20s  %-42s  %-24s  %s%s%s%s\n", u->id,
		       u->name, u->email, ro ? ro->name : "-",
		       u->seat ? u->seat : "-", u->seat ? " (by " : "",
		       u->seat ? u->mapped_by : "", u->seat ? ")" : "");
	}
	printf("%u listed; %u inactive user%s left out (they cannot hold a "
	       "seat)\n", listed, inactive, inactive == 1 ? "" : "s");
	ret = EXIT_OK;
out:
	report_release(&r);
	job_free(job);
	return ret;
}
