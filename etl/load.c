/*
 * load.c - the load stage: diff the run's matches against the store,
 * stage the change sets, apply them in one transaction (see load.h).
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "crypto.h"
#include "csvio.h"
#include "fsutil.h"
#include "load.h"
#include "log.h"
#include "schema.h"
#include "store.h"
#include "strbuf.h"
#include "xalloc.h"

#define KIND_PERSON "person"
#define KIND_ACCOUNT "account"
/* badge URL of a fixture source without an instance_url file */
#define FIXTURE_INSTANCE "https://fixture.invalid"

/* qsort() that accepts an empty array (a NULL base is undefined). */
static void sort_array(void *base, size_t n, size_t size,
		       int (*cmp)(const void *, const void *))
{
	if (n > 1)
		qsort(base, n, size, cmp);
}

static int streq0(const char *a, const char *b)
{
	if (!a || !b)
		return a == b;
	return strcmp(a, b) == 0;
}

/* Logs (at -vv) how long the step `what` took since the previous one. */
static void phase(const char *what)
{
	static struct timespec last;
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	if (what && log_level() >= LOG_DEBUG)
		log_debug("load: %s %.3f s", what,
			  (double)(now.tv_sec - last.tv_sec) +
			  (double)(now.tv_nsec - last.tv_nsec) / 1e9);
	last = now;
}

/* ---- an arena of strings that never move ------------------------------- */

struct arena {
	char **blocks;
	size_t nblocks, alloc;
	size_t used, cap;
};

static const char *adup(struct arena *a, const char *s, size_t len)
{
	char *p;

	if (a->used + len + 1 > a->cap) {
		size_t cap = len + 1 > (1u << 20) ? len + 1 : (1u << 20);

		XGROW(a->blocks, a->alloc, a->nblocks + 1);
		a->blocks[a->nblocks++] = xmalloc(cap);
		a->used = 0;
		a->cap = cap;
	}
	p = a->blocks[a->nblocks - 1] + a->used;
	memcpy(p, s, len);
	p[len] = '\0';
	a->used += len + 1;
	return p;
}

/* A copy of `s`, or NULL when `s` is NULL or empty. */
static const char *adup0(struct arena *a, const char *s)
{
	return s && *s ? adup(a, s, strlen(s)) : NULL;
}

static void arena_release(struct arena *a)
{
	for (size_t i = 0; i < a->nblocks; i++)
		free(a->blocks[i]);
	free(a->blocks);
	memset(a, 0, sizeof(*a));
}

/* ---- what the load works on ---------------------------------------------- */

struct link {
	const char *kind;       /* KIND_PERSON or KIND_ACCOUNT (static) */
	const char *target;
	const char *crm_object;
	const char *crm_id;
	const char *url;
	const char *email;      /* as stored (maybe encrypted); NULL: none */
	const char *phone;
	double score;
	int manual;
};

/* One change to the links table. */
enum change_op {
	CH_ADD = 'a',     /* new link (with its contact info) */
	CH_REMOVE = 'r',  /* link gone */
	CH_BADGE = 'c',   /* badge changed (and maybe contact info) */
	CH_CONTACT = 'i', /* contact info only */
};

struct change {
	int op;
	int contact;      /* a contact_info row goes with it */
	struct link l;    /* new values; CH_REMOVE: the old ones */
};

struct user {
	const char *id, *name, *email, *first, *last;
	char *email_key, *name_key; /* normalised, owned */
	int active;
};

struct seat {
	int change;       /* 'a' added, 'c' changed, 'r' removed, 0 */
	const char *seat_id, *user_id, *mapped_by;
	const char *seat_email, *seat_name, *user_name;
};

struct opp {
	const char *id, *account_id, *owner_id, *name, *amount;
	double value;     /* NAN when no amount */
};

struct save {
	const char *user_id, *seat_id, *kind, *target, *crm_object, *crm_id;
	const char *opp_id, *opp_name, *amount;
	double value;
	long rank;
};

struct summary {
	uint64_t base, generation, links;
	uint64_t added, removed, changed, contact, saves, seats;
	uint64_t mapped, by_name, unmapped;
};

struct ctx {
	const struct job *job;
	const struct run *run;
	struct stage *st;          /* NULL when reading staged change sets */
	struct store *store;
	struct pii_key *key;
	struct arena arena;
	struct strbuf tmp;
	const char *instance;

	struct link *links;        /* this run's links, by kind and target */
	size_t nlinks, alinks;
	size_t *by_crm;            /* indexes of links by crm_id */

	struct change *ch;
	size_t nch, ach;
	size_t nsorted;            /* read_staged(): sorted badge rows */

	struct user *users;        /* by id */
	size_t nusers, ausers;

	struct seat *seats;        /* new seat map, by seat_id */
	size_t nseats, aseats;
	struct seat *seat_ch;      /* its changes */
	size_t nseat_ch, aseat_ch;

	struct opp *opps;          /* open opportunities, by id */
	size_t nopps, aopps;
	struct save *saves;        /* candidates, then the new ones */
	size_t nsaves, asaves;

	struct summary sum;
	/* fields of the schema being read, by name */
	const struct schema *schema;
};

/* ---- reading staged and mirror files -------------------------------------- */

typedef int (*row_fn)(struct ctx *c, const char *const *v,
		      const struct csv_row *row, const char *path,
		      struct err *err);

/* Index of `name` in the schema being read (it is ours: must exist). */
static int fx(const struct ctx *c, const char *name)
{
	int i = schema_field_index(c->schema, name);

	if (i < 0) {
		fprintf(stderr, "crmsync: schema %s lacks %s\n",
			c->schema->name, name);
		abort();
	}
	return i;
}

/*
 * Reads `path` (columns bound to schema group/name by header) and calls
 * `fn` with the values in schema order.  A malformed row fails the load
 * (ERR_DATA with file and line): the change sets must be complete.  The
 * file is recorded as an input of the stage when c->st is set.
 */
static int read_input(struct ctx *c, const char *path, const char *group,
		      const char *name, row_fn fn, struct err *err)
{
	const struct schema *s = schema_find(group, name);
	struct csv_reader *r = NULL;
	const struct csv_row *row;
	const char **v = NULL;
	size_t *map = NULL;
	char sha[SHA256_HEX_LEN + 1];
	enum csvr_status status;
	int ret = -1;

	if (!s)
		return err_set(err, ERR_SOFTWARE, "no schema %s/%s", group,
			       name);
	c->schema = s;
	r = csvr_open(path, staged_read_flags(path), err);
	if (!r)
		goto out;
	map = xcalloc(s->nfields, sizeof(*map));
	v = xcalloc(s->nfields, sizeof(*v));
	if (schema_bind_header(s, path, csvr_header(r)->fields,
			       csvr_header(r)->nfields, map, err) < 0)
		goto out;
	while ((status = csvr_next(r, &row, err)) != CSVR_EOF) {
		if (status != CSVR_ROW)
			goto out;
		for (size_t i = 0; i < s->nfields; i++)
			v[i] = row->fields[map[i]];
		c->schema = s;
		if (fn(c, v, row, path, err) < 0)
			goto out;
	}
	if (c->st) {
		char *id = xasprintf("%s/%s", group, name);
		int rc = csvr_sha256_hex(r, sha);

		if (rc == 0)
			rc = stage_add_input(c->st, path, id, csvr_records(r),
					     0, csvr_bytes_read(r), sha, err);
		free(id);
		if (rc < 0)
			goto out;
	}
	ret = 0;
out:
	csvr_close(r);
	free(map);
	free(v);
	return ret;
}

/* Reads state/mirror/<object>.csv.gz when it exists. */
static int read_mirror(struct ctx *c, const char *object, row_fn fn,
		       struct err *err)
{
	char *state = job_state_dir(c->job);
	char *path = xasprintf("%s/mirror/%s.csv.gz", state, object);
	int ret = 0;

	if (fs_exists(path))
		ret = read_input(c, path, "salesforce", object, fn, err);
	free(path);
	free(state);
	return ret;
}

static int bad_value(const char *path, const struct csv_row *row,
		     const char *field, const char *what, struct err *err)
{
	return err_set(err, ERR_DATA, "'%s' line %llu: field %s: %s", path,
		       (unsigned long long)row->line, field, what);
}

/* ---- links ---------------------------------------------------------------- */

static int link_cmp(const void *pa, const void *pb)
{
	const struct link *a = pa, *b = pb;
	int d = strcmp(a->kind, b->kind);

	return d ? d : strcmp(a->target, b->target);
}

static const struct ctx *crm_ctx;

static int by_crm_cmp(const void *pa, const void *pb)
{
	const struct link *a = &crm_ctx->links[*(const size_t *)pa];
	const struct link *b = &crm_ctx->links[*(const size_t *)pb];

	return strcmp(a->crm_id, b->crm_id);
}

static struct link *link_by_crm(const struct ctx *c, const char *crm_id)
{
	size_t lo = 0, hi = c->nlinks;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		struct link *l = &c->links[c->by_crm[mid]];
		int d = strcmp(crm_id, l->crm_id);

		if (!d)
			return l;
		if (d < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return NULL;
}

static int match_row(struct ctx *c, const char *const *v,
		     const struct csv_row *row, const char *path,
		     struct err *err)
{
	int person = strcmp(c->schema->name, "person_matches") == 0;
	const char *target = v[fx(c, person ? "MemberId" : "CompanyPageId")];
	const char *score = v[fx(c, "Score")];
	const char *manual = v[fx(c, "Manual")];
	const char *crm_id = v[fx(c, "CrmId")];
	struct link *l;
	char *end;

	if (!*target || !*crm_id)
		return bad_value(path, row, *target ? "CrmId" : "TargetId",
				 "empty", err);
	XGROW(c->links, c->alinks, c->nlinks + 1);
	l = &c->links[c->nlinks++];
	memset(l, 0, sizeof(*l));
	l->kind = person ? KIND_PERSON : KIND_ACCOUNT;
	l->target = adup0(&c->arena, target);
	l->crm_object = adup0(&c->arena, v[fx(c, "CrmObject")]);
	l->crm_id = adup0(&c->arena, crm_id);
	errno = 0;
	l->score = strtod(score, &end);
	if (!*score || *end || errno)
		return bad_value(path, row, "Score", "not a number", err);
	if (strcmp(manual, "true") && strcmp(manual, "false"))
		return bad_value(path, row, "Manual", "not a boolean", err);
	l->manual = strcmp(manual, "true") == 0;
	if (!l->crm_object)
		return bad_value(path, row, "CrmObject", "empty", err);
	strbuf_reset(&c->tmp);
	strbuf_addf(&c->tmp, "%s/%s", c->instance, crm_id);
	l->url = adup(&c->arena, c->tmp.buf, c->tmp.len);
	return 0;
}

/* The stored form of a contact value: NULL when empty, encrypted when
 * the job has a key. */
static const char *pii_value(struct ctx *c, const char *column,
			     const char *target, const char *value)
{
	if (!value || !*value)
		return NULL;
	if (!c->key)
		return adup(&c->arena, value, strlen(value));
	{
		char *context = xasprintf("%s:%s", column, target);

		strbuf_reset(&c->tmp);
		pii_encrypt(c->key, context, value, strlen(value), &c->tmp);
		free(context);
	}
	return adup(&c->arena, c->tmp.buf, c->tmp.len);
}

/* Contact info (R32) of linked Leads and Contacts, from the mirror. */
static int contact_row(struct ctx *c, const char *const *v,
		       const struct csv_row *row, const char *path,
		       struct err *err)
{
	struct link *l = link_by_crm(c, v[fx(c, "Id")]);

	(void)row;
	(void)path;
	(void)err;
	if (!l || strcmp(l->kind, KIND_PERSON) ||
	    strcmp(l->crm_object, c->schema->name))
		return 0;
	l->email = pii_value(c, "email", l->target, v[fx(c, "Email")]);
	l->phone = pii_value(c, "phone", l->target, v[fx(c, "Phone")]);
	return 0;
}

static void add_change(struct ctx *c, int op, int contact,
		       const struct link *l)
{
	struct change *ch;

	XGROW(c->ch, c->ach, c->nch + 1);
	ch = &c->ch[c->nch++];
	ch->op = op;
	ch->contact = contact;
	ch->l = *l;
}

/* Compares the store's links (in key order) with this run's. */
static int diff_links(struct ctx *c, struct err *err)
{
	sqlite3_stmt *q = store_prepare(c->store, "SELECT kind, target_id, "
					"crm_object, crm_id, score, manual, "
					"badge_url, email, phone FROM links "
					"ORDER BY kind, target_id", err);
	size_t i = 0;
	int rc;

	if (!q)
		return -1;
	for (;;) {
		struct link old;
		int d;

		rc = sqlite3_step(q);
		if (rc != SQLITE_ROW && rc != SQLITE_DONE)
			break;
		if (rc == SQLITE_ROW) {
			memset(&old, 0, sizeof(old));
			old.kind = strcmp((const char *)sqlite3_column_text(
					  q, 0), KIND_PERSON) ? KIND_ACCOUNT :
				   KIND_PERSON;
			old.target = (const char *)sqlite3_column_text(q, 1);
		}
		/* this run's links before the stored one are new */
		while (i < c->nlinks &&
		       (rc == SQLITE_DONE ||
			link_cmp(&c->links[i], &old) < 0)) {
			const struct link *l = &c->links[i++];

			add_change(c, CH_ADD, l->email || l->phone, l);
			c->sum.added++;
			if (l->email || l->phone)
				c->sum.contact++;
		}
		if (rc == SQLITE_DONE)
			break;
		old.crm_object = (const char *)sqlite3_column_text(q, 2);
		old.crm_id = (const char *)sqlite3_column_text(q, 3);
		old.score = sqlite3_column_double(q, 4);
		old.manual = sqlite3_column_int(q, 5);
		old.url = (const char *)sqlite3_column_text(q, 6);
		old.email = (const char *)sqlite3_column_text(q, 7);
		old.phone = (const char *)sqlite3_column_text(q, 8);
		d = i < c->nlinks ? link_cmp(&c->links[i], &old) : 1;
		if (d > 0) {
			/* stored, no longer linked: badge and flag go */
			struct link gone = old;

			gone.target = adup0(&c->arena, old.target);
			gone.crm_object = adup0(&c->arena, old.crm_object);
			gone.crm_id = adup0(&c->arena, old.crm_id);
			gone.url = adup0(&c->arena, old.url);
			gone.email = gone.phone = NULL;
			add_change(c, CH_REMOVE, 0, &gone);
			c->sum.removed++;
		} else {
			const struct link *l = &c->links[i++];
			int badge = !streq0(l->crm_object, old.crm_object) ||
				    !streq0(l->crm_id, old.crm_id) ||
				    l->score != old.score ||
				    l->manual != old.manual ||
				    !streq0(l->url, old.url);
			int contact = !streq0(l->email, old.email) ||
				      !streq0(l->phone, old.phone);

			if (badge)
				c->sum.changed++;
			if (contact)
				c->sum.contact++;
			if (badge || contact)
				add_change(c, badge ? CH_BADGE : CH_CONTACT,
					   contact, l);
		}
	}
	sqlite3_finalize(q);
	if (rc != SQLITE_DONE)
		return store_error(c->store, err, "cannot read links");
	c->sum.links = c->nlinks;
	return 0;
}

/* ---- users and the seat map (R34) ------------------------------------------ */

static char *lower_trim(const char *s)
{
	size_t len;
	char *out;

	while (*s == ' ' || *s == '\t')
		s++;
	len = strlen(s);
	while (len && (s[len - 1] == ' ' || s[len - 1] == '\t'))
		len--;
	out = xstrndup(s, len);
	for (char *p = out; *p; p++)
		if (*p >= 'A' && *p <= 'Z')
			*p = (char)(*p - 'A' + 'a');
	return out;
}

static char *name_key(const char *first, const char *last)
{
	char *f = lower_trim(first ? first : ""), *l = lower_trim(last ? last :
								  "");
	char *k = *f && *l ? xasprintf("%s %s", f, l) : NULL;

	free(f);
	free(l);
	return k;
}

static int user_row(struct ctx *c, const char *const *v,
		    const struct csv_row *row, const char *path,
		    struct err *err)
{
	struct user *u;

	(void)row;
	(void)path;
	(void)err;
	XGROW(c->users, c->ausers, c->nusers + 1);
	u = &c->users[c->nusers++];
	u->id = adup0(&c->arena, v[fx(c, "Id")]);
	u->name = adup0(&c->arena, v[fx(c, "Name")]);
	u->email = adup0(&c->arena, v[fx(c, "Email")]);
	u->first = adup0(&c->arena, v[fx(c, "FirstName")]);
	u->last = adup0(&c->arena, v[fx(c, "LastName")]);
	u->active = strcmp(v[fx(c, "IsActive")], "true") == 0;
	u->email_key = u->email ? lower_trim(u->email) : NULL;
	u->name_key = name_key(u->first, u->last);
	if (!u->id)
		c->nusers--;
	return 0;
}

static int user_cmp(const void *pa, const void *pb)
{
	return strcmp(((const struct user *)pa)->id,
		      ((const struct user *)pb)->id);
}

static struct user *user_find(const struct ctx *c, const char *id)
{
	struct user key = { .id = id };

	if (!id || !c->nusers)
		return NULL;
	return bsearch(&key, c->users, c->nusers, sizeof(*c->users),
		       user_cmp);
}

static int seat_row(struct ctx *c, const char *const *v,
		    const struct csv_row *row, const char *path,
		    struct err *err)
{
	const char *id = v[fx(c, "SeatId")];
	const char *first = v[fx(c, "FirstName")], *last = v[fx(c,
								 "LastName")];
	struct seat *s;

	if (!*id)
		return bad_value(path, row, "SeatId", "empty", err);
	XGROW(c->seats, c->aseats, c->nseats + 1);
	s = &c->seats[c->nseats++];
	memset(s, 0, sizeof(*s));
	s->seat_id = adup0(&c->arena, id);
	s->seat_email = adup0(&c->arena, v[fx(c, "Email")]);
	strbuf_reset(&c->tmp);
	strbuf_addf(&c->tmp, "%s%s%s", first, *first && *last ? " " : "",
		    last);
	s->seat_name = adup0(&c->arena, c->tmp.buf);
	return 0;
}

static int seat_cmp(const void *pa, const void *pb)
{
	return strcmp(((const struct seat *)pa)->seat_id,
		      ((const struct seat *)pb)->seat_id);
}

/* Maps seats to active users: by email, then by name (unique). */
static void map_seats(struct ctx *c)
{
	char *claimed = xcalloc(c->nusers + 1, 1);

	for (size_t pass = 0; pass < 2; pass++) {
		for (size_t i = 0; i < c->nseats; i++) {
			struct seat *s = &c->seats[i];
			char *key;
			long found = -1;
			int many = 0;

			if (s->user_id)
				continue;
			if (pass == 0) {
				key = s->seat_email ? lower_trim(s->seat_email)
						    : NULL;
			} else {
				/* the seats file's names, split again */
				key = s->seat_name ? lower_trim(s->seat_name)
						   : NULL;
			}
			if (!key || !*key) {
				free(key);
				continue;
			}
			for (size_t u = 0; u < c->nusers; u++) {
				const struct user *us = &c->users[u];
				const char *k = pass ? us->name_key :
						us->email_key;

				if (!us->active || claimed[u] || !k ||
				    strcmp(k, key))
					continue;
				if (found >= 0)
					many = 1;
				else
					found = (long)u;
			}
			free(key);
			/* an ambiguous name maps nobody */
			if (found < 0 || (pass == 1 && many))
				continue;
			claimed[found] = 1;
			s->user_id = c->users[found].id;
			s->user_name = c->users[found].name;
			s->mapped_by = pass ? "name" : "email";
		}
	}
	for (size_t i = 0; i < c->nseats; i++) {
		if (!c->seats[i].user_id)
			c->sum.unmapped++;
		else if (!strcmp(c->seats[i].mapped_by, "name"))
			c->sum.by_name++;
		if (c->seats[i].user_id)
			c->sum.mapped++;
	}
	free(claimed);
}

static void add_seat_change(struct ctx *c, int change, const struct seat *s)
{
	XGROW(c->seat_ch, c->aseat_ch, c->nseat_ch + 1);
	c->seat_ch[c->nseat_ch] = *s;
	c->seat_ch[c->nseat_ch++].change = change;
	c->sum.seats++;
}

static int diff_seats(struct ctx *c, struct err *err)
{
	sqlite3_stmt *q = store_prepare(c->store, "SELECT seat_id, user_id, "
					"mapped_by, seat_email, seat_name, "
					"user_name FROM seats ORDER BY "
					"seat_id", err);
	size_t i = 0;
	int rc;

	if (!q)
		return -1;
	for (;;) {
		struct seat old;
		int d;

		memset(&old, 0, sizeof(old));
		rc = sqlite3_step(q);
		if (rc != SQLITE_ROW && rc != SQLITE_DONE)
			break;
		if (rc == SQLITE_ROW)
			old.seat_id = (const char *)sqlite3_column_text(q, 0);
		while (i < c->nseats && (rc == SQLITE_DONE ||
		       strcmp(c->seats[i].seat_id, old.seat_id) < 0))
			add_seat_change(c, 'a', &c->seats[i++]);
		if (rc == SQLITE_DONE)
			break;
		old.user_id = (const char *)sqlite3_column_text(q, 1);
		old.mapped_by = (const char *)sqlite3_column_text(q, 2);
		old.seat_email = (const char *)sqlite3_column_text(q, 3);
		old.seat_name = (const char *)sqlite3_column_text(q, 4);
		old.user_name = (const char *)sqlite3_column_text(q, 5);
		d = i < c->nseats ? strcmp(c->seats[i].seat_id,
					   old.seat_id) : 1;
		if (d > 0) {
			struct seat gone;

			memset(&gone, 0, sizeof(gone));
			gone.seat_id = adup0(&c->arena, old.seat_id);
			add_seat_change(c, 'r', &gone);
		} else {
			const struct seat *s = &c->seats[i++];

			if (!streq0(s->user_id, old.user_id) ||
			    !streq0(s->mapped_by, old.mapped_by) ||
			    !streq0(s->seat_email, old.seat_email) ||
			    !streq0(s->seat_name, old.seat_name) ||
			    !streq0(s->user_name, old.user_name))
				add_seat_change(c, 'c', s);
		}
	}
	sqlite3_finalize(q);
	if (rc != SQLITE_DONE)
		return store_error(c->store, err, "cannot read seats");
	return 0;
}

static const char *seat_of_user(const struct ctx *c, const char *user_id)
{
	for (size_t i = 0; i < c->nseats; i++)
		if (streq0(c->seats[i].user_id, user_id))
			return c->seats[i].seat_id;
	return NULL;
}

/* ---- auto-save (R33) --------------------------------------------------------- */

static int opp_row(struct ctx *c, const char *const *v,
		   const struct csv_row *row, const char *path,
		   struct err *err)
{
	const char *amount = v[fx(c, "Amount")];
	const struct user *owner;
	struct opp *o;
	char *end;

	(void)row;
	(void)path;
	(void)err;
	if (strcmp(v[fx(c, "IsClosed")], "false") || !*v[fx(c, "OwnerId")])
		return 0; /* closed: saves it made stay, it makes no more */
	owner = user_find(c, v[fx(c, "OwnerId")]);
	if (!job_user_listed(c->job->settings->autosave.users,
			     c->job->settings->autosave.nusers,
			     owner ? owner->email : NULL, v[fx(c, "OwnerId")]))
		return 0; /* the admin did not enable the owner */
	XGROW(c->opps, c->aopps, c->nopps + 1);
	o = &c->opps[c->nopps++];
	o->id = adup0(&c->arena, v[fx(c, "Id")]);
	o->account_id = adup0(&c->arena, v[fx(c, "AccountId")]);
	o->owner_id = adup0(&c->arena, v[fx(c, "OwnerId")]);
	o->name = adup0(&c->arena, v[fx(c, "Name")]);
	o->amount = adup0(&c->arena, amount);
	o->value = *amount ? strtod(amount, &end) : NAN;
	if (*amount && *end)
		o->value = NAN;
	if (!o->id)
		c->nopps--;
	return 0;
}

static int opp_cmp(const void *pa, const void *pb)
{
	return strcmp(((const struct opp *)pa)->id,
		      ((const struct opp *)pb)->id);
}

static void add_candidate(struct ctx *c, const struct opp *o,
			  const char *crm_id, const char *object)
{
	const struct link *l = crm_id ? link_by_crm(c, crm_id) : NULL;
	struct save *s;

	if (!l || strcmp(l->crm_object, object))
		return; /* not matched: nothing to save on the directory */
	XGROW(c->saves, c->asaves, c->nsaves + 1);
	s = &c->saves[c->nsaves++];
	memset(s, 0, sizeof(*s));
	s->user_id = o->owner_id;
	s->seat_id = seat_of_user(c, o->owner_id);
	s->kind = l->kind;
	s->target = l->target;
	s->crm_object = l->crm_object;
	s->crm_id = l->crm_id;
	s->opp_id = o->id;
	s->opp_name = o->name;
	s->amount = o->amount;
	s->value = o->value;
}

static int ocr_row(struct ctx *c, const char *const *v,
		   const struct csv_row *row, const char *path,
		   struct err *err)
{
	struct opp key = { .id = v[fx(c, "OpportunityId")] };
	const struct opp *o;

	(void)row;
	(void)path;
	(void)err;
	if (!c->nopps)
		return 0;
	o = bsearch(&key, c->opps, c->nopps, sizeof(*c->opps), opp_cmp);
	if (o)
		add_candidate(c, o, v[fx(c, "ContactId")], "Contact");
	return 0;
}

/* greater amounts first, no amount last */
static int value_cmp(double a, double b)
{
	if (isnan(a) || isnan(b))
		return isnan(a) - isnan(b);
	return a > b ? -1 : a < b;
}

static int save_key_cmp(const void *pa, const void *pb)
{
	const struct save *a = pa, *b = pb;
	int d = strcmp(a->user_id, b->user_id);

	if (!d)
		d = strcmp(a->kind, b->kind);
	if (!d)
		d = strcmp(a->target, b->target);
	if (!d)
		d = value_cmp(a->value, b->value);
	return d ? d : strcmp(a->opp_id, b->opp_id);
}

static int alert_cmp(const void *pa, const void *pb)
{
	const struct save *a = pa, *b = pb;
	int d = strcmp(a->user_id, b->user_id);

	if (!d)
		d = value_cmp(a->value, b->value);
	if (!d)
		d = strcmp(a->kind, b->kind);
	return d ? d : strcmp(a->target, b->target);
}

/* Candidates of open opportunities, less those already saved. */
static int find_saves(struct ctx *c, struct err *err)
{
	sqlite3_stmt *q;
	size_t n = 0;

	if (!c->job->settings->autosave.enabled)
		return 0;
	if (read_mirror(c, "Opportunity", opp_row, err) < 0)
		return -1;
	sort_array(c->opps, c->nopps, sizeof(*c->opps), opp_cmp);
	for (size_t i = 0; i < c->nopps; i++)
		add_candidate(c, &c->opps[i], c->opps[i].account_id,
			      "Account");
	if (read_mirror(c, "OpportunityContactRole", ocr_row, err) < 0)
		return -1;
	sort_array(c->saves, c->nsaves, sizeof(*c->saves), save_key_cmp);
	q = store_prepare(c->store, "SELECT 1 FROM saves WHERE user_id = ? "
			  "AND kind = ? AND target_id = ?", err);
	if (!q)
		return -1;
	for (size_t i = 0; i < c->nsaves; i++) {
		const struct save *s = &c->saves[i];
		int rc;

		/* one save per owner and target: its best opportunity */
		if (n && !strcmp(c->saves[n - 1].user_id, s->user_id) &&
		    !strcmp(c->saves[n - 1].kind, s->kind) &&
		    !strcmp(c->saves[n - 1].target, s->target))
			continue;
		sqlite3_reset(q);
		sqlite3_bind_text(q, 1, s->user_id, -1, SQLITE_STATIC);
		sqlite3_bind_text(q, 2, s->kind, -1, SQLITE_STATIC);
		sqlite3_bind_text(q, 3, s->target, -1, SQLITE_STATIC);
		rc = sqlite3_step(q);
		if (rc == SQLITE_ROW) {
			/* saved before: never again, never undone, but it
			 * blocks later duplicates of the same key */
			c->saves[n++] = *s;
			c->saves[n - 1].rank = -1;
			continue;
		}
		if (rc != SQLITE_DONE) {
			sqlite3_finalize(q);
			return store_error(c->store, err, "cannot read saves");
		}
		c->saves[n++] = *s;
	}
	sqlite3_finalize(q);
	/* keep the new ones */
	c->nsaves = 0;
	for (size_t i = 0; i < n; i++)
		if (c->saves[i].rank != -1)
			c->saves[c->nsaves++] = c->saves[i];
	c->sum.saves = c->nsaves;
	return 0;
}

/* ---- writing the change sets ---------------------------------------------- */

static struct csv_writer *open_out(struct stage *st, const char *name,
				   const char *schema, struct err *err)
{
	const struct schema *s = schema_find("staged", schema);
	char *path = stage_path(st, name);
	struct csv_writer *w;

	if (!s) {
		free(path);
		err_set(err, ERR_SOFTWARE, "no schema staged/%s", schema);
		return NULL;
	}
	w = csvw_open(path, schema_field_names(s), s->nfields, 0, err);
	free(path);
	return w;
}

static int close_out(struct stage *st, struct csv_writer *w,
		     const char *name, const char *schema, struct err *err)
{
	struct csv_file_info info;
	char *id = xasprintf("staged/%s", schema);

	if (csvw_commit(w, &info, err) < 0) {
		free(id);
		return -1;
	}
	stage_add_output(st, name, id, &info);
	free(id);
	return 0;
}

static const char *change_name(int op)
{
	return op == CH_ADD ? "added" : op == CH_REMOVE ? "removed" :
	       "changed";
}

static int write_badges(struct ctx *c, struct err *err)
{
	struct csv_writer *w = open_out(c->st, "badges.csv.gz", "load_badges",
					err);
	char score[64];

	if (!w)
		return -1;
	for (size_t i = 0; i < c->nch; i++) {
		const struct change *ch = &c->ch[i];
		const char *v[8];

		if (ch->op == CH_CONTACT)
			continue;
		snprintf(score, sizeof(score), "%.3f", ch->l.score);
		v[0] = change_name(ch->op);
		v[1] = ch->l.kind;
		v[2] = ch->l.target;
		v[3] = ch->l.crm_object;
		v[4] = ch->l.crm_id;
		v[5] = ch->l.url;
		v[6] = score;
		v[7] = ch->l.manual ? "true" : "false";
		if (csvw_row(w, v, NULL, err) < 0) {
			csvw_abort(w);
			return -1;
		}
	}
	return close_out(c->st, w, "badges.csv.gz", "load_badges", err);
}

static int write_contacts(struct ctx *c, struct err *err)
{
	struct csv_writer *w = open_out(c->st, "contact_info.csv.gz",
					"load_contact_info", err);

	if (!w)
		return -1;
	for (size_t i = 0; i < c->nch; i++) {
		const struct change *ch = &c->ch[i];
		const char *v[5];

		if (!ch->contact)
			continue;
		v[0] = ch->l.target;
		v[1] = ch->l.crm_object;
		v[2] = ch->l.crm_id;
		v[3] = ch->l.email;
		v[4] = ch->l.phone;
		if (csvw_row(w, v, NULL, err) < 0) {
			csvw_abort(w);
			return -1;
		}
	}
	return close_out(c->st, w, "contact_info.csv.gz", "load_contact_info",
			 err);
}

static int write_saves(struct ctx *c, struct err *err)
{
	struct csv_writer *w = open_out(c->st, "saves.csv.gz", "load_saves",
					err);
	struct csv_writer *a = NULL;
	struct save *sorted = NULL;

	if (!w)
		return -1;
	for (size_t i = 0; i < c->nsaves; i++) {
		const struct save *s = &c->saves[i];
		const char *v[9] = { s->user_id, s->seat_id, s->kind,
				     s->target, s->crm_object, s->crm_id,
				     s->opp_id, s->opp_name, s->amount };

		if (csvw_row(w, v, NULL, err) < 0)
			goto fail;
	}
	if (close_out(c->st, w, "saves.csv.gz", "load_saves", err) < 0)
		return -1;
	w = NULL;
	/* alerts: the new saves of each owner, most valuable first */
	a = open_out(c->st, "alerts.csv.gz", "load_alerts", err);
	if (!a)
		return -1;
	if (c->nsaves) {
		sorted = xcalloc(c->nsaves, sizeof(*sorted));
		memcpy(sorted, c->saves, c->nsaves * sizeof(*sorted));
	}
	sort_array(sorted, c->nsaves, sizeof(*sorted), alert_cmp);
	for (size_t i = 0, rank = 0; i < c->nsaves; i++) {
		const struct save *s = &sorted[i];
		char rk[32];
		const char *v[10];

		if (!i || strcmp(sorted[i - 1].user_id, s->user_id))
			rank = 0;
		snprintf(rk, sizeof(rk), "%zu", ++rank);
		v[0] = s->user_id;
		v[1] = s->seat_id;
		v[2] = rk;
		v[3] = s->kind;
		v[4] = s->target;
		v[5] = s->crm_object;
		v[6] = s->crm_id;
		v[7] = s->opp_id;
		v[8] = s->opp_name;
		v[9] = s->amount;
		if (csvw_row(a, v, NULL, err) < 0)
			goto fail;
	}
	free(sorted);
	return close_out(c->st, a, "alerts.csv.gz", "load_alerts", err);
fail:
	free(sorted);
	csvw_abort(w);
	csvw_abort(a);
	return -1;
}

static int write_seats(struct ctx *c, struct err *err)
{
	struct csv_writer *w = open_out(c->st, "seats.csv.gz", "load_seats",
					err);

	if (!w)
		return -1;
	for (size_t i = 0; i < c->nseat_ch; i++) {
		const struct seat *s = &c->seat_ch[i];
		const char *v[7] = { s->change == 'a' ? "added" :
				     s->change == 'r' ? "removed" : "changed",
				     s->seat_id, s->user_id, s->mapped_by,
				     s->seat_email, s->seat_name,
				     s->user_name };

		if (csvw_row(w, v, NULL, err) < 0) {
			csvw_abort(w);
			return -1;
		}
	}
	return close_out(c->st, w, "seats.csv.gz", "load_seats", err);
}

static int write_summary(struct ctx *c, struct err *err)
{
	struct csv_writer *w = open_out(c->st, "summary.csv.gz",
					"load_summary", err);
	const struct summary *s = &c->sum;
	uint64_t n[12] = { s->base, s->generation, s->links, s->added,
			   s->removed, s->changed, s->contact, s->saves,
			   s->seats, s->mapped, s->by_name, s->unmapped };
	char buf[12][24];
	const char *v[12];

	if (!w)
		return -1;
	for (int i = 0; i < 12; i++) {
		snprintf(buf[i], sizeof(buf[i]), "%llu",
			 (unsigned long long)n[i]);
		v[i] = buf[i];
	}
	if (csvw_row(w, v, NULL, err) < 0) {
		csvw_abort(w);
		return -1;
	}
	return close_out(c->st, w, "summary.csv.gz", "load_summary", err);
}

/* ---- reading staged change sets back (resuming an interrupted load) ---- */

static uint64_t num(const char *s)
{
	return strtoull(s, NULL, 10);
}

static int summary_row(struct ctx *c, const char *const *v,
		       const struct csv_row *row, const char *path,
		       struct err *err)
{
	struct summary *s = &c->sum;

	(void)row;
	(void)path;
	(void)err;
	s->base = num(v[fx(c, "BaseGeneration")]);
	s->generation = num(v[fx(c, "Generation")]);
	s->links = num(v[fx(c, "Links")]);
	s->added = num(v[fx(c, "BadgesAdded")]);
	s->removed = num(v[fx(c, "BadgesRemoved")]);
	s->changed = num(v[fx(c, "BadgesChanged")]);
	s->contact = num(v[fx(c, "ContactInfoChanged")]);
	s->saves = num(v[fx(c, "SavesAdded")]);
	s->seats = num(v[fx(c, "SeatsChanged")]);
	s->mapped = num(v[fx(c, "SeatsMapped")]);
	s->by_name = num(v[fx(c, "SeatsMappedByName")]);
	s->unmapped = num(v[fx(c, "SeatsUnmapped")]);
	return 0;
}

static int badge_row(struct ctx *c, const char *const *v,
		     const struct csv_row *row, const char *path,
		     struct err *err)
{
	const char *change = v[fx(c, "Change")];
	struct link l;
	int op = !strcmp(change, "added") ? CH_ADD :
		 !strcmp(change, "removed") ? CH_REMOVE :
		 !strcmp(change, "changed") ? CH_BADGE : 0;

	if (!op)
		return bad_value(path, row, "Change", "unknown change", err);
	memset(&l, 0, sizeof(l));
	l.kind = !strcmp(v[fx(c, "Kind")], KIND_PERSON) ? KIND_PERSON :
		 KIND_ACCOUNT;
	l.target = adup0(&c->arena, v[fx(c, "TargetId")]);
	l.crm_object = adup0(&c->arena, v[fx(c, "CrmObject")]);
	l.crm_id = adup0(&c->arena, v[fx(c, "CrmId")]);
	l.url = adup0(&c->arena, v[fx(c, "BadgeUrl")]);
	l.score = strtod(v[fx(c, "Score")], NULL);
	l.manual = !strcmp(v[fx(c, "Manual")], "true");
	if (!l.target || !l.crm_id || !l.url || !l.crm_object)
		return bad_value(path, row, "TargetId", "empty", err);
	add_change(c, op, 0, &l);
	return 0;
}

static int change_cmp(const void *pa, const void *pb)
{
	return link_cmp(&((const struct change *)pa)->l,
			&((const struct change *)pb)->l);
}

static int contact_change_row(struct ctx *c, const char *const *v,
			      const struct csv_row *row, const char *path,
			      struct err *err)
{
	struct change key, *ch;

	(void)row;
	(void)path;
	(void)err;
	memset(&key, 0, sizeof(key));
	key.l.kind = KIND_PERSON;
	key.l.target = v[fx(c, "TargetId")];
	/* only the badge rows are sorted; contact-only rows follow */
	ch = c->nsorted ? bsearch(&key, c->ch, c->nsorted, sizeof(*c->ch),
				  change_cmp) : NULL;
	if (!ch) {
		/* appended after the sorted badge rows; sorted below */
		key.l.target = adup0(&c->arena, key.l.target);
		key.l.crm_object = adup0(&c->arena, v[fx(c, "CrmObject")]);
		key.l.crm_id = adup0(&c->arena, v[fx(c, "CrmId")]);
		key.l.email = adup0(&c->arena, v[fx(c, "Email")]);
		key.l.phone = adup0(&c->arena, v[fx(c, "Phone")]);
		add_change(c, CH_CONTACT, 1, &key.l);
		return 0;
	}
	ch->contact = 1;
	ch->l.email = adup0(&c->arena, v[fx(c, "Email")]);
	ch->l.phone = adup0(&c->arena, v[fx(c, "Phone")]);
	return 0;
}

static int save_change_row(struct ctx *c, const char *const *v,
			   const struct csv_row *row, const char *path,
			   struct err *err)
{
	struct save *s;

	(void)row;
	(void)path;
	(void)err;
	XGROW(c->saves, c->asaves, c->nsaves + 1);
	s = &c->saves[c->nsaves++];
	memset(s, 0, sizeof(*s));
	s->user_id = adup0(&c->arena, v[fx(c, "UserId")]);
	s->seat_id = adup0(&c->arena, v[fx(c, "SeatId")]);
	s->kind = !strcmp(v[fx(c, "Kind")], KIND_PERSON) ? KIND_PERSON :
		  KIND_ACCOUNT;
	s->target = adup0(&c->arena, v[fx(c, "TargetId")]);
	s->crm_object = adup0(&c->arena, v[fx(c, "CrmObject")]);
	s->crm_id = adup0(&c->arena, v[fx(c, "CrmId")]);
	s->opp_id = adup0(&c->arena, v[fx(c, "OpportunityId")]);
	s->opp_name = adup0(&c->arena, v[fx(c, "OpportunityName")]);
	s->amount = adup0(&c->arena, v[fx(c, "Amount")]);
	s->value = s->amount ? strtod(s->amount, NULL) : NAN;
	return 0;
}

static int seat_change_row(struct ctx *c, const char *const *v,
			   const struct csv_row *row, const char *path,
			   struct err *err)
{
	const char *change = v[fx(c, "Change")];
	struct seat s;

	memset(&s, 0, sizeof(s));
	s.change = !strcmp(change, "added") ? 'a' :
		   !strcmp(change, "removed") ? 'r' :
		   !strcmp(change, "changed") ? 'c' : 0;
	if (!s.change)
		return bad_value(path, row, "Change", "unknown change", err);
	s.seat_id = adup0(&c->arena, v[fx(c, "SeatId")]);
	s.user_id = adup0(&c->arena, v[fx(c, "UserId")]);
	s.mapped_by = adup0(&c->arena, v[fx(c, "MappedBy")]);
	s.seat_email = adup0(&c->arena, v[fx(c, "SeatEmail")]);
	s.seat_name = adup0(&c->arena, v[fx(c, "SeatName")]);
	s.user_name = adup0(&c->arena, v[fx(c, "UserName")]);
	XGROW(c->seat_ch, c->aseat_ch, c->nseat_ch + 1);
	c->seat_ch[c->nseat_ch++] = s;
	return 0;
}

/* Reads the change sets of a committed load stage back into `c`. */
static int read_staged(struct ctx *c, const char *dir, struct err *err)
{
	static const struct {
		const char *file, *schema;
		row_fn fn;
	} files[] = {
		{ "summary.csv.gz", "load_summary", summary_row },
		{ "badges.csv.gz", "load_badges", badge_row },
		{ "contact_info.csv.gz", "load_contact_info",
		  contact_change_row },
		{ "saves.csv.gz", "load_saves", save_change_row },
		{ "seats.csv.gz", "load_seats", seat_change_row },
	};

	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		char *path = xasprintf("%s/%s", dir, files[i].file);
		int rc = read_input(c, path, "staged", files[i].schema,
				    files[i].fn, err);

		free(path);
		if (rc < 0)
			return -1;
		if (i == 1) { /* the contact rows look badge rows up */
			sort_array(c->ch, c->nch, sizeof(*c->ch), change_cmp);
			c->nsorted = c->nch;
		}
	}
	return 0;
}

/* ---- applying ----------------------------------------------------------------- */

static void bind0(sqlite3_stmt *q, int i, const char *s)
{
	if (s)
		sqlite3_bind_text(q, i, s, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(q, i);
}

static int step_done(struct ctx *c, sqlite3_stmt *q, const char *what,
		     struct err *err)
{
	int rc = sqlite3_step(q);

	sqlite3_reset(q);
	if (rc != SQLITE_DONE)
		return store_error(c->store, err, what);
	return 0;
}

static uint64_t store_generation(struct ctx *c, struct err *err, int *bad)
{
	char *g = store_meta_get(c->store, "generation", err);
	uint64_t v = g ? strtoull(g, NULL, 10) : 0;

	*bad = !g && err && err->cls != ERR_OK;
	free(g);
	return v;
}

/* Applies the change sets in `c` in one transaction. */
static int apply(struct ctx *c, struct err *err)
{
	static const char *const sql[] = {
		"INSERT INTO links(kind, target_id, crm_object, crm_id, "
		"score, manual, badge_url, email, phone, run_id) VALUES "
		"(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
		"DELETE FROM links WHERE kind = ?1 AND target_id = ?2",
		"UPDATE links SET crm_object = ?3, crm_id = ?4, score = ?5, "
		"manual = ?6, badge_url = ?7, run_id = ?10 WHERE kind = ?1 "
		"AND target_id = ?2",
		"UPDATE links SET email = ?8, phone = ?9, run_id = ?10 WHERE "
		"kind = ?1 AND target_id = ?2",
		"INSERT OR IGNORE INTO saves(user_id, kind, target_id, "
		"crm_object, crm_id, opportunity_id, amount, seat_id, run_id, "
		"opportunity_name) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
		"INSERT OR REPLACE INTO seats(seat_id, user_id, mapped_by, "
		"seat_email, seat_name, user_name, run_id) VALUES "
		"(?, ?, ?, ?, ?, ?, ?)",
		"DELETE FROM seats WHERE seat_id = ?",
		"INSERT INTO loads(run_id, generation, badges_added, "
		"badges_removed, badges_changed, contact_info_changed, "
		"saves_added, seats_changed) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
	};
	enum { INS, DEL, UPD, UPC, SAVE, SEAT, UNSEAT, LOAD, NQ };
	sqlite3_stmt *q[NQ] = { NULL };
	const char *run_id = c->run->id;
	char gen[32];
	int ret = -1;

	if (store_begin(c->store, err) < 0)
		return -1;
	for (int i = 0; i < NQ; i++) {
		q[i] = store_prepare(c->store, sql[i], err);
		if (!q[i])
			goto out;
	}
	for (size_t i = 0; i < c->nch; i++) {
		const struct change *ch = &c->ch[i];
		const struct link *l = &ch->l;
		sqlite3_stmt *s[2] = { NULL, NULL };

		switch (ch->op) {
		case CH_ADD:
			s[0] = q[INS];
			break;
		case CH_REMOVE:
			s[0] = q[DEL];
			break;
		case CH_BADGE:
			s[0] = q[UPD];
			s[1] = ch->contact ? q[UPC] : NULL;
			break;
		default:
			s[0] = q[UPC];
			break;
		}
		for (int k = 0; k < 2 && s[k]; k++) {
			sqlite3_stmt *st = s[k];

			sqlite3_bind_text(st, 1, l->kind, -1, SQLITE_STATIC);
			sqlite3_bind_text(st, 2, l->target, -1, SQLITE_STATIC);
			if (st != q[DEL] && st != q[UPC]) {
				bind0(st, 3, l->crm_object);
				bind0(st, 4, l->crm_id);
				sqlite3_bind_double(st, 5, l->score);
				sqlite3_bind_int(st, 6, l->manual);
				bind0(st, 7, l->url);
			}
			if (st == q[INS] || st == q[UPC]) {
				bind0(st, 8, l->email);
				bind0(st, 9, l->phone);
			}
			if (st != q[DEL])
				sqlite3_bind_text(st, 10, run_id, -1,
						  SQLITE_STATIC);
			if (step_done(c, st, "cannot write links", err) < 0)
				goto out;
		}
	}
	for (size_t i = 0; i < c->nsaves; i++) {
		const struct save *s = &c->saves[i];
		const char *v[10] = { s->user_id, s->kind, s->target,
				      s->crm_object, s->crm_id, s->opp_id,
				      NULL, s->seat_id, run_id, s->opp_name };

		for (int k = 0; k < 10; k++)
			bind0(q[SAVE], k + 1, v[k]);
		if (!isnan(s->value))
			sqlite3_bind_double(q[SAVE], 7, s->value);
		if (step_done(c, q[SAVE], "cannot write saves", err) < 0)
			goto out;
	}
	for (size_t i = 0; i < c->nseat_ch; i++) {
		const struct seat *s = &c->seat_ch[i];

		if (s->change == 'r') {
			bind0(q[UNSEAT], 1, s->seat_id);
			if (step_done(c, q[UNSEAT], "cannot write seats",
				      err) < 0)
				goto out;
			continue;
		}
		bind0(q[SEAT], 1, s->seat_id);
		bind0(q[SEAT], 2, s->user_id);
		bind0(q[SEAT], 3, s->mapped_by);
		bind0(q[SEAT], 4, s->seat_email);
		bind0(q[SEAT], 5, s->seat_name);
		bind0(q[SEAT], 6, s->user_name);
		bind0(q[SEAT], 7, run_id);
		if (step_done(c, q[SEAT], "cannot write seats", err) < 0)
			goto out;
	}
	sqlite3_bind_text(q[LOAD], 1, run_id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(q[LOAD], 2, (sqlite3_int64)c->sum.generation);
	sqlite3_bind_int64(q[LOAD], 3, (sqlite3_int64)c->sum.added);
	sqlite3_bind_int64(q[LOAD], 4, (sqlite3_int64)c->sum.removed);
	sqlite3_bind_int64(q[LOAD], 5, (sqlite3_int64)c->sum.changed);
	sqlite3_bind_int64(q[LOAD], 6, (sqlite3_int64)c->sum.contact);
	sqlite3_bind_int64(q[LOAD], 7, (sqlite3_int64)c->sum.saves);
	sqlite3_bind_int64(q[LOAD], 8, (sqlite3_int64)c->sum.seats);
	if (step_done(c, q[LOAD], "cannot record the load", err) < 0)
		goto out;
	snprintf(gen, sizeof(gen), "%llu",
		 (unsigned long long)c->sum.generation);
	if (store_meta_set(c->store, "generation", gen, err) < 0 ||
	    (c->instance &&
	     store_meta_set(c->store, "instance_url", c->instance, err) < 0))
		goto out;
	if (c->key) {
		char check[SHA256_HEX_LEN + 1];

		pii_key_check(c->key, check);
		if (store_meta_set(c->store, "key_check", check, err) < 0)
			goto out;
	}
	for (int i = 0; i < NQ; i++) {
		sqlite3_finalize(q[i]);
		q[i] = NULL;
	}
	phase("apply");
	if (store_commit(c->store, err) < 0)
		goto out;
	phase("commit store");
	ret = 0;
out:
	for (int i = 0; i < NQ; i++)
		sqlite3_finalize(q[i]);
	if (ret < 0)
		store_rollback(c->store);
	return ret;
}

/* ---- the stage ------------------------------------------------------------------ */

char *load_store_path(const struct job *job)
{
	return xasprintf("%s/state/store.db", job->staging_dir);
}

/* Checks the job's key (or its absence) against the store's. */
static int check_key(struct store *s, const struct pii_key *key,
		     const struct job *job, struct err *err)
{
	char *have = store_meta_get(s, "key_check", err);
	char check[SHA256_HEX_LEN + 1];
	int ret = 0;

	if (!have && err && err->cls != ERR_OK)
		return -1;
	if (key)
		pii_key_check(key, check);
	if (have && !key)
		ret = err_set(err, ERR_CONFIG, "store '%s' holds contact info "
			      "encrypted with a key, but the job names none "
			      "(security.encryption_key_file)", store_path(s));
	else if (have && strcmp(have, check))
		ret = err_set(err, ERR_CONFIG, "store '%s' was encrypted with "
			      "another key than '%s'", store_path(s),
			      job->encryption_key_file);
	free(have);
	return ret;
}

int load_open_store(const struct job *job, struct store **out,
		    struct pii_key **key, struct err *err)
{
	char *path = load_store_path(job);
	int ret = -1;

	*out = NULL;
	if (key)
		*key = NULL;
	if (!fs_exists(path)) {
		err_set(err, ERR_NOINPUT, "job '%s' has no store yet ('%s'): "
			"run 'crmsync load' or 'crmsync run' first", job->name,
			path);
		goto out;
	}
	if (store_open(path, 0, out, err) < 0)
		goto out;
	if (key && job->encryption_key_file &&
	    pii_key_load(job->encryption_key_file, key, err) < 0)
		goto out;
	if (key && check_key(*out, *key, job, err) < 0)
		goto out;
	ret = 0;
out:
	if (ret < 0) {
		store_close(*out);
		*out = NULL;
		if (key) {
			pii_key_free(*key);
			*key = NULL;
		}
	}
	free(path);
	return ret;
}

/* The instance URL that badges link to. */
static char *instance_url(const struct job *job, struct store *s)
{
	char *url = NULL;

	if (job->source.kind == SOURCE_FIXTURE) {
		char *path = xasprintf("%s/instance_url",
				       job->source.fixture_dir);
		size_t len;

		if (fs_read_all(path, &url, &len, NULL) == 0) {
			while (len && strchr(" \t\r\n", url[len - 1]))
				url[--len] = '\0';
		}
		free(path);
		if (url && *url)
			return url;
		free(url);
		return xstrdup(FIXTURE_INSTANCE);
	}
	{
		/* the session's, as cached by the extract (sf_auth.c) */
		char *path = xasprintf("%s/state/token.json",
				       job->staging_dir);
		char *text = NULL, *p, *q;
		size_t len;

		if (fs_read_all(path, &text, &len, NULL) == 0 &&
		    (p = strstr(text, "\"instance_url\"")) &&
		    (p = strchr(p + 14, '"')) && (q = strchr(p + 1, '"')))
			url = xstrndup(p + 1, (size_t)(q - p - 1));
		free(text);
		free(path);
	}
	if (!url)
		url = store_meta_get(s, "instance_url", NULL);
	return url;
}

static void ctx_release(struct ctx *c)
{
	for (size_t i = 0; i < c->nusers; i++) {
		free(c->users[i].email_key);
		free(c->users[i].name_key);
	}
	free(c->users);
	free(c->links);
	free(c->by_crm);
	free(c->ch);
	free(c->seats);
	free(c->seat_ch);
	free(c->opps);
	free(c->saves);
	strbuf_release(&c->tmp);
	arena_release(&c->arena);
	pii_key_free(c->key);
	store_close(c->store);
}

/* Computes the change sets of a fresh load into c->st. */
static int compute(struct ctx *c, const char *match_dir, struct err *err)
{
	const struct job_settings *set = c->job->settings;
	static const char *const sides[2][2] = {
		{ "person_matches", "person_matches.csv.gz" },
		{ "account_matches", "account_matches.csv.gz" },
	};
	int bad;

	c->sum.base = store_generation(c, err, &bad);
	if (bad)
		return -1;
	c->sum.generation = c->sum.base + 1;
	for (int i = 0; i < 2; i++) {
		char *path = xasprintf("%s/%s", match_dir, sides[i][1]);
		int rc = 0;

		if ((i ? set->accounts.enabled : set->people.enabled) ||
		    fs_exists(path))
			rc = read_input(c, path, "staged", sides[i][0],
					match_row, err);
		free(path);
		if (rc < 0)
			return -1;
	}
	phase("read matches");
	sort_array(c->links, c->nlinks, sizeof(*c->links), link_cmp);
	for (size_t i = 1; i < c->nlinks; i++)
		if (!link_cmp(&c->links[i - 1], &c->links[i]))
			return err_set(err, ERR_DATA, "run %s: %s '%s' is "
				       "linked twice in the match output",
				       c->run->id, c->links[i].kind,
				       c->links[i].target);
	c->by_crm = xcalloc(c->nlinks + 1, sizeof(*c->by_crm));
	for (size_t i = 0; i < c->nlinks; i++)
		c->by_crm[i] = i;
	crm_ctx = c;
	sort_array(c->by_crm, c->nlinks, sizeof(*c->by_crm), by_crm_cmp);
	phase("sort links");
	if (read_mirror(c, "Contact", contact_row, err) < 0 ||
	    read_mirror(c, "Lead", contact_row, err) < 0)
		return -1;
	phase("read contact info");
	if (diff_links(c, err) < 0)
		return -1;
	phase("diff links");
	if (read_mirror(c, "User", user_row, err) < 0)
		return -1;
	sort_array(c->users, c->nusers, sizeof(*c->users), user_cmp);
	if (c->job->directory.seats) {
		if (read_input(c, c->job->directory.seats, "directory",
			       "seats", seat_row, err) < 0)
			return -1;
		sort_array(c->seats, c->nseats, sizeof(*c->seats), seat_cmp);
		for (size_t i = 1; i < c->nseats; i++)
			if (!strcmp(c->seats[i - 1].seat_id,
				    c->seats[i].seat_id))
				return err_set(err, ERR_DATA, "'%s': seat '%s' "
					       "appears twice",
					       c->job->directory.seats,
					       c->seats[i].seat_id);
		map_seats(c);
	}
	if (diff_seats(c, err) < 0 || find_saves(c, err) < 0)
		return -1;
	phase("seats and saves");
	if (write_badges(c, err) < 0 || write_contacts(c, err) < 0 ||
	    write_saves(c, err) < 0 || write_seats(c, err) < 0 ||
	    write_summary(c, err) < 0)
		return -1;
	phase("write change sets");
	return 0;
}

static void fill_result(const struct ctx *c, struct load_result *res)
{
	res->links = c->sum.links;
	res->badges_added = c->sum.added;
	res->badges_removed = c->sum.removed;
	res->badges_changed = c->sum.changed;
	res->contact_changed = c->sum.contact;
	res->saves_added = c->sum.saves;
	res->seats_changed = c->sum.seats;
	res->seats_mapped = c->sum.mapped;
	res->seats_by_name = c->sum.by_name;
	res->seats_unmapped = c->sum.unmapped;
	res->generation = c->sum.generation;
}

/* 1 when the store already holds run `id` (its generation in *gen). */
static int run_loaded(struct ctx *c, const char *id, uint64_t *gen,
		      struct err *err)
{
	sqlite3_stmt *q = store_prepare(c->store, "SELECT generation FROM "
					"loads WHERE run_id = ?", err);
	int rc;

	if (!q)
		return -1;
	sqlite3_bind_text(q, 1, id, -1, SQLITE_STATIC);
	rc = sqlite3_step(q);
	if (rc == SQLITE_ROW)
		*gen = (uint64_t)sqlite3_column_int64(q, 0);
	sqlite3_finalize(q);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return store_error(c->store, err, "cannot read loads");
	return rc == SQLITE_ROW;
}

int load_run(const struct job *job, const struct run *run,
	     struct load_result *res, struct err *err)
{
	struct ctx c;
	char *match_dir = xasprintf("%s/match", run->dir);
	char *state = job_state_dir(job);
	char *path = load_store_path(job);
	uint64_t gen = 0;
	int ret = -1, begun, loaded, bad;

	phase(NULL);
	memset(res, 0, sizeof(*res));
	memset(&c, 0, sizeof(c));
	strbuf_init(&c.tmp, 0);
	c.job = job;
	c.run = run;
	if (fs_mkdirs(state, 0700, err) < 0 ||
	    store_open(path, 1, &c.store, err) < 0)
		goto out;
	if (job->encryption_key_file &&
	    pii_key_load(job->encryption_key_file, &c.key, err) < 0)
		goto out;
	if (check_key(c.store, c.key, job, err) < 0)
		goto out;
	phase("open store");
	loaded = run_loaded(&c, run->id, &gen, err);
	if (loaded < 0)
		goto out;
	if (loaded) {
		res->skipped = 1;
		res->generation = gen;
		ret = 0;
		goto out;
	}
	begun = stage_begin(run, "load", &c.st, err);
	if (begun < 0)
		goto out;
	if (begun == 1) {
		/* staged but not applied: apply what was staged, unless
		 * the store moved on since (then recompute) */
		char *dir = xasprintf("%s/load", run->dir);
		uint64_t now = store_generation(&c, err, &bad);

		if (bad || read_staged(&c, dir, err) < 0) {
			free(dir);
			goto out;
		}
		if (c.sum.base == now) {
			free(dir);
			res->resumed = 1;
			if (apply(&c, err) < 0)
				goto out;
			fill_result(&c, res);
			ret = 0;
			goto out;
		}
		log_warn("run %s: the staged load was computed against store "
			 "generation %llu, the store is at %llu: recomputing",
			 run->id, (unsigned long long)c.sum.base,
			 (unsigned long long)now);
		{
			char *m = xasprintf("%s/manifest.csv", dir);

			unlink(m);
			free(m);
		}
		free(dir);
		ctx_release(&c);
		memset(&c, 0, sizeof(c));
		strbuf_init(&c.tmp, 0);
		c.job = job;
		c.run = run;
		if (store_open(path, 1, &c.store, err) < 0 ||
		    (job->encryption_key_file &&
		     pii_key_load(job->encryption_key_file, &c.key, err) < 0))
			goto out;
		if (stage_begin(run, "load", &c.st, err) != 0)
			goto out;
	}
	if (!manifest_quick_check(match_dir)) {
		err_set(err, ERR_NOINPUT, "run %s has no complete match stage "
			"('%s'): run 'crmsync match' or 'crmsync run' first",
			run->id, match_dir);
		goto out;
	}
	c.instance = NULL;
	{
		char *url = instance_url(job, c.store);

		if (!url) {
			err_set(err, ERR_CONFIG, "no Salesforce instance URL "
				"known for the badges: run 'crmsync connect' "
				"first");
			goto out;
		}
		c.instance = adup(&c.arena, url, strlen(url));
		free(url);
	}
	if (fs_mkdirs(stage_dir(c.st), 0755, err) < 0 ||
	    compute(&c, match_dir, err) < 0)
		goto out;
	if (stage_commit(c.st, err) < 0) {
		c.st = NULL;
		goto out;
	}
	c.st = NULL;
	phase("commit stage");
	if (apply(&c, err) < 0)
		goto out;
	fill_result(&c, res);
	ret = 0;
out:
	if (ret < 0 && err && !strstr(err->msg, "load"))
		err_prefix(err, "load");
	stage_abandon(c.st);
	ctx_release(&c);
	phase("close");
	free(path);
	free(state);
	free(match_dir);
	return ret;
}
