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
	const char *url;        /* NULL: the instance URL + "/" + crm_id */
	double score;
	int manual;
};

/* One change to the links table or to contact_info. */
enum change_op {
	CH_ADD = 'a',     /* new row */
	CH_REMOVE = 'r',  /* row gone */
	CH_CHANGE = 'c',  /* row changed */
};

struct change {
	int op;
	struct link l;    /* new values; CH_REMOVE: the old ones */
};

/* The contact info (R32) of one linked Lead or Contact. */
struct contact {
	int op;           /* enum change_op */
	const char *crm_object, *crm_id;
	const char *email, *phone; /* as stored (maybe encrypted); NULL: none */
};

/* Inputs whose identity the store records with each load (meta
 * "input:<name>"): when a load finds the same identities as the last
 * one, those inputs cannot bring a change and are not read at all. */
enum input_id { IN_PERSON, IN_ACCOUNT, IN_CONTACT, IN_LEAD, IN_BADGES,
		IN_NUM };
static const char *const input_names[IN_NUM] = {
	"input:match/person_matches", "input:match/account_matches",
	"input:mirror/Contact", "input:mirror/Lead", "input:badges",
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
	struct strbuf tmp, tmp2;
	const char *instance;

	struct link *links;        /* this run's links, by kind and target */
	size_t nlinks, alinks;
	size_t *by_crm;            /* indexes of links by crm_id */
	int links_read;            /* links holds this run's links; else the
				    * store's are the same (same_links) */
	sqlite3_stmt *link_q;      /* a link by crm_id, when !links_read */
	struct link found;         /* its result */

	struct change *ch;
	size_t nch, ach;
	struct contact *cch;       /* contact info changes, by object and Id */
	size_t ncch, acch;

	/* identities of the inputs (enum input_id): this run's, and the
	 * ones the store recorded with its last load (NULL: none) */
	char *in_now[IN_NUM];
	char *in_was[IN_NUM];

	/* the contact merge (merge_contacts()) */
	const char *m_object;      /* object being merged */
	size_t m_wi;               /* next wanted link (by_crm), links_read */
	sqlite3_stmt *m_stored;    /* contact_info rows of m_object by Id */
	int m_has;                 /* m_stored holds a row */
	const char *m_wanted;      /* the next wanted Id, links_read */
	char m_last[64];           /* Id of the previous mirror row */

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
	struct {
		const struct schema *schema;
		const char *name;  /* a literal: compared by address */
		int index;
	} fx_cache[48];
	size_t nfx_cache;
};

/* ---- reading staged and mirror files -------------------------------------- */

typedef int (*row_fn)(struct ctx *c, const char *const *v,
		      const struct csv_row *row, const char *path,
		      struct err *err);

/* Index of `name` (a string literal) in the schema being read (it is
 * ours: must exist).  Remembered: it is asked for every row. */
static int fx(struct ctx *c, const char *name)
{
	int i;

	for (size_t k = 0; k < c->nfx_cache; k++)
		if (c->fx_cache[k].name == name &&
		    c->fx_cache[k].schema == c->schema)
			return c->fx_cache[k].index;
	i = schema_field_index(c->schema, name);
	if (i >= 0 && c->nfx_cache < sizeof(c->fx_cache) /
	    sizeof(c->fx_cache[0])) {
		c->fx_cache[c->nfx_cache].schema = c->schema;
		c->fx_cache[c->nfx_cache].name = name;
		c->fx_cache[c->nfx_cache++].index = i;
	}
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

/* by crm_id, then by kind and target (the order of the links array) */
static int by_crm_cmp(const void *pa, const void *pb)
{
	size_t ia = *(const size_t *)pa, ib = *(const size_t *)pb;
	int d = strcmp(crm_ctx->links[ia].crm_id, crm_ctx->links[ib].crm_id);

	return d ? d : (ia > ib) - (ia < ib);
}

/* The badge URL of `l` (in c->tmp when built: valid until the next use). */
static const char *link_url(struct ctx *c, const struct link *l)
{
	if (l->url)
		return l->url;
	strbuf_reset(&c->tmp);
	strbuf_addstr(&c->tmp, c->instance);
	strbuf_addch(&c->tmp, '/');
	strbuf_addstr(&c->tmp, l->crm_id);
	return c->tmp.buf;
}

/* 1 when `url` is the badge URL of `crm_id`. */
static int is_url_of(const struct ctx *c, const char *url, const char *crm_id)
{
	size_t n = strlen(c->instance);

	return url && strncmp(url, c->instance, n) == 0 && url[n] == '/' &&
	       strcmp(url + n + 1, crm_id) == 0;
}

/*
 * The link of CRM record `crm_id` (the first by kind and target when
 * several profiles link to it), or NULL.  From this run's links when
 * they were read, else from the store (which holds the same ones).
 */
static const struct link *link_by_crm(struct ctx *c, const char *crm_id,
				      struct err *err)
{
	size_t lo = 0, hi = c->nlinks;
	int rc;

	if (c->links_read) {
		while (lo < hi) {
			size_t mid = lo + (hi - lo) / 2;
			int d = strcmp(crm_id, c->links[c->by_crm[mid]].crm_id);

			if (d <= 0)
				hi = mid;
			else
				lo = mid + 1;
		}
		if (lo < c->nlinks &&
		    !strcmp(crm_id, c->links[c->by_crm[lo]].crm_id))
			return &c->links[c->by_crm[lo]];
		return NULL;
	}
	if (!c->link_q) {
		c->link_q = store_prepare(c->store, "SELECT kind, target_id, "
					  "crm_object FROM links WHERE crm_id "
					  "= ? ORDER BY kind, target_id LIMIT 1",
					  err);
		if (!c->link_q)
			return NULL;
	}
	sqlite3_reset(c->link_q);
	sqlite3_bind_text(c->link_q, 1, crm_id, -1, SQLITE_TRANSIENT);
	rc = sqlite3_step(c->link_q);
	if (rc != SQLITE_ROW) {
		if (rc != SQLITE_DONE)
			store_error(c->store, err, "cannot read links");
		return NULL;
	}
	memset(&c->found, 0, sizeof(c->found));
	c->found.kind = strcmp((const char *)sqlite3_column_text(c->link_q, 0),
			       KIND_PERSON) ? KIND_ACCOUNT : KIND_PERSON;
	c->found.target = adup0(&c->arena, (const char *)
				sqlite3_column_text(c->link_q, 1));
	c->found.crm_object = adup0(&c->arena, (const char *)
				    sqlite3_column_text(c->link_q, 2));
	c->found.crm_id = adup0(&c->arena, crm_id);
	return &c->found;
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
	return 0;
}

static void add_change(struct ctx *c, int op, const struct link *l)
{
	struct change *ch;

	XGROW(c->ch, c->ach, c->nch + 1);
	ch = &c->ch[c->nch++];
	ch->op = op;
	ch->l = *l;
}

static void add_contact(struct ctx *c, int op, const char *object,
			const char *crm_id, const char *email,
			const char *phone)
{
	struct contact *k;

	XGROW(c->cch, c->acch, c->ncch + 1);
	k = &c->cch[c->ncch++];
	k->op = op;
	k->crm_object = object;
	k->crm_id = crm_id;
	k->email = email;
	k->phone = phone;
	c->sum.contact++;
}

/* Compares the store's links (in key order) with this run's. */
static int diff_links(struct ctx *c, struct err *err)
{
	sqlite3_stmt *q = store_prepare(c->store, "SELECT kind, target_id, "
					"crm_object, crm_id, score, manual, "
					"badge_url FROM links ORDER BY kind, "
					"target_id", err);
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
			add_change(c, CH_ADD, &c->links[i++]);
			c->sum.added++;
		}
		if (rc == SQLITE_DONE)
			break;
		old.crm_object = (const char *)sqlite3_column_text(q, 2);
		old.crm_id = (const char *)sqlite3_column_text(q, 3);
		old.score = sqlite3_column_double(q, 4);
		old.manual = sqlite3_column_int(q, 5);
		old.url = (const char *)sqlite3_column_text(q, 6);
		d = i < c->nlinks ? link_cmp(&c->links[i], &old) : 1;
		if (d > 0) {
			/* stored, no longer linked: badge and flag go */
			struct link gone = old;

			gone.target = adup0(&c->arena, old.target);
			gone.crm_object = adup0(&c->arena, old.crm_object);
			gone.crm_id = adup0(&c->arena, old.crm_id);
			gone.url = adup0(&c->arena, old.url);
			add_change(c, CH_REMOVE, &gone);
			c->sum.removed++;
		} else {
			const struct link *l = &c->links[i++];

			if (!streq0(l->crm_object, old.crm_object) ||
			    !streq0(l->crm_id, old.crm_id) ||
			    l->score != old.score ||
			    l->manual != old.manual ||
			    !is_url_of(c, old.url, l->crm_id)) {
				add_change(c, CH_CHANGE, l);
				c->sum.changed++;
			}
		}
	}
	sqlite3_finalize(q);
	if (rc != SQLITE_DONE)
		return store_error(c->store, err, "cannot read links");
	return 0;
}

/* ---- contact info (R32) ------------------------------------------------------ */

/*
 * Contact info is kept per linked Lead or Contact in contact_info and
 * diffed by a merge of three streams in Id order: the CRM records this
 * run links people to (the wanted ones), the store's contact_info rows
 * and the mirror's records (sorted by Id).  When the links are the same
 * as at the last load (same_links), the wanted records are the stored
 * rows themselves and the links are not read at all.
 */

/* Advances the stored rows (m_stored) to the next one. */
static int stored_next(struct ctx *c, struct err *err)
{
	int rc = sqlite3_step(c->m_stored);

	c->m_has = rc == SQLITE_ROW;
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return store_error(c->store, err, "cannot read contact_info");
	return 0;
}

static const char *stored_id(const struct ctx *c)
{
	return (const char *)sqlite3_column_text(c->m_stored, 0);
}

/* The next wanted Id of this run's links (links_read), or NULL. */
static const char *wanted_next(struct ctx *c)
{
	while (c->m_wi < c->nlinks) {
		const struct link *l = &c->links[c->by_crm[c->m_wi++]];

		if (strcmp(l->kind, KIND_PERSON) ||
		    strcmp(l->crm_object, c->m_object) ||
		    (c->m_wanted && !strcmp(c->m_wanted, l->crm_id)))
			continue; /* several profiles may link to one record */
		return l->crm_id;
	}
	return NULL;
}

/*
 * The stored form of a contact value, for comparing: NULL when empty,
 * `value` itself without a key, else its encryption in `buf`.  Not a
 * copy: add_contact() callers copy with pii_value().
 */
static const char *pii_form(struct ctx *c, struct strbuf *buf,
			    const char *column, const char *crm_id,
			    const char *value)
{
	char context[128];

	if (!value || !*value)
		return NULL;
	if (!c->key)
		return value;
	snprintf(context, sizeof(context), "%s:%s", column, crm_id);
	strbuf_reset(buf);
	pii_encrypt(c->key, context, value, strlen(value), buf);
	return buf->buf;
}

/*
 * Wanted record `id` has (email, phone) in the CRM now (NULL, NULL when
 * the mirror lacks it): compares with its stored row, removing the
 * stored rows before it that no link wants any more.  `id` need only
 * live until the call returns.
 */
static int settle(struct ctx *c, const char *id, const char *email,
		  const char *phone, struct err *err)
{
	const char *e, *p;
	int d = 1;

	while (c->m_has && (d = strcmp(stored_id(c), id)) < 0) {
		add_contact(c, CH_REMOVE, c->m_object,
			    adup0(&c->arena, stored_id(c)), NULL, NULL);
		if (stored_next(c, err) < 0)
			return -1;
	}
	if (!c->m_has)
		d = 1;
	e = pii_form(c, &c->tmp, "email", id, email);
	p = pii_form(c, &c->tmp2, "phone", id, phone);
	if (d == 0 &&
	    streq0(e, (const char *)sqlite3_column_text(c->m_stored, 1)) &&
	    streq0(p, (const char *)sqlite3_column_text(c->m_stored, 2)))
		return stored_next(c, err); /* unchanged: the usual case */
	add_contact(c, d ? CH_ADD : CH_CHANGE, c->m_object,
		    adup0(&c->arena, id), e ? adup0(&c->arena, e) : NULL,
		    p ? adup0(&c->arena, p) : NULL);
	return d ? 0 : stored_next(c, err);
}

/* The next wanted Id: of this run's links (links_read), else the stored
 * row's; NULL when none is left. */
static const char *wanted(const struct ctx *c)
{
	if (c->links_read)
		return c->m_wanted;
	return c->m_has ? stored_id(c) : NULL;
}

/* Settles wanted Id `w` with (email, phone) and moves to the next. */
static int settle_wanted(struct ctx *c, const char *w, const char *email,
			 const char *phone, struct err *err)
{
	if (settle(c, w, email, phone, err) < 0)
		return -1;
	if (c->links_read)
		c->m_wanted = wanted_next(c);
	return 0;
}

/* Wanted Ids before mirror Id `id` (NULL: all) have no CRM record: no
 * contact info. */
static int settle_missing(struct ctx *c, const char *id, struct err *err)
{
	const char *w;

	while ((w = wanted(c)) && (!id || strcmp(w, id) < 0))
		if (settle_wanted(c, w, NULL, NULL, err) < 0)
			return -1;
	return 0;
}

/* A mirror record of a Lead or Contact. */
static int contact_row(struct ctx *c, const char *const *v,
		       const struct csv_row *row, const char *path,
		       struct err *err)
{
	const char *id = v[fx(c, "Id")];
	const char *w;

	if (*c->m_last && strcmp(c->m_last, id) >= 0)
		return bad_value(path, row, "Id", "the mirror is not sorted "
				 "by Id", err);
	snprintf(c->m_last, sizeof(c->m_last), "%s", id);
	if (settle_missing(c, id, err) < 0)
		return -1;
	w = wanted(c);
	if (!w || strcmp(w, id))
		return 0; /* not linked */
	return settle_wanted(c, w, v[fx(c, "Email")], v[fx(c, "Phone")], err);
}

/* The contact info changes of `object`'s linked records. */
static int merge_contacts(struct ctx *c, const char *object,
			  struct err *err)
{
	int ret = -1;

	c->m_object = object;
	c->m_wi = 0;
	c->m_last[0] = '\0';
	c->m_stored = store_prepare(c->store, "SELECT crm_id, email, phone "
				    "FROM contact_info WHERE crm_object = ? "
				    "ORDER BY crm_id", err);
	if (!c->m_stored)
		return -1;
	sqlite3_bind_text(c->m_stored, 1, object, -1, SQLITE_STATIC);
	if (stored_next(c, err) < 0)
		goto out;
	c->m_wanted = NULL;
	c->m_wanted = c->links_read ? wanted_next(c) : NULL;
	if (read_mirror(c, object, contact_row, err) < 0 ||
	    settle_missing(c, NULL, err) < 0)
		goto out;
	/* stored rows no link wants any more */
	while (c->m_has) {
		add_contact(c, CH_REMOVE, object,
			    adup0(&c->arena, stored_id(c)), NULL, NULL);
		if (stored_next(c, err) < 0)
			goto out;
	}
	ret = 0;
out:
	sqlite3_finalize(c->m_stored);
	c->m_stored = NULL;
	return ret;
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

static int add_candidate(struct ctx *c, const struct opp *o,
			 const char *crm_id, const char *object,
			 struct err *err)
{
	const struct link *l = crm_id && *crm_id ? link_by_crm(c, crm_id,
							       err) : NULL;
	struct save *s;

	if (!l && err && err->cls != ERR_OK)
		return -1;
	if (!l || strcmp(l->crm_object, object))
		return 0; /* not matched: nothing to save on the directory */
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
	return 0;
}

static int ocr_row(struct ctx *c, const char *const *v,
		   const struct csv_row *row, const char *path,
		   struct err *err)
{
	struct opp key = { .id = v[fx(c, "OpportunityId")] };
	const struct opp *o;

	(void)row;
	(void)path;
	if (!c->nopps)
		return 0;
	o = bsearch(&key, c->opps, c->nopps, sizeof(*c->opps), opp_cmp);
	if (o)
		return add_candidate(c, o, v[fx(c, "ContactId")], "Contact",
				     err);
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
		if (add_candidate(c, &c->opps[i], c->opps[i].account_id,
				  "Account", err) < 0)
			return -1;
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

static const char *change_name(int op)
{
	return op == CH_ADD ? "added" : op == CH_REMOVE ? "removed" :
	       "changed";
}

static int write_badges(struct ctx *c, struct err *err)
{
	struct csv_writer *w = stage_open_output(c->st, "badges.csv.gz",
				"load_badges", CSVW_FAST, err);
	char score[64];

	if (!w)
		return -1;
	for (size_t i = 0; i < c->nch; i++) {
		const struct change *ch = &c->ch[i];
		const char *v[8];

		snprintf(score, sizeof(score), "%.3f", ch->l.score);
		v[0] = change_name(ch->op);
		v[1] = ch->l.kind;
		v[2] = ch->l.target;
		v[3] = ch->l.crm_object;
		v[4] = ch->l.crm_id;
		v[5] = link_url(c, &ch->l);
		v[6] = score;
		v[7] = ch->l.manual ? "true" : "false";
		if (csvw_row(w, v, NULL, err) < 0) {
			csvw_abort(w);
			return -1;
		}
	}
	return stage_commit_output(c->st, w, "badges.csv.gz", "load_badges", err);
}

static int write_contacts(struct ctx *c, struct err *err)
{
	struct csv_writer *w = stage_open_output(c->st, "contact_info.csv.gz",
					"load_contact_info", CSVW_FAST, err);

	if (!w)
		return -1;
	for (size_t i = 0; i < c->ncch; i++) {
		const struct contact *k = &c->cch[i];
		const char *v[5];

		v[0] = change_name(k->op);
		v[1] = k->crm_object;
		v[2] = k->crm_id;
		v[3] = k->email;
		v[4] = k->phone;
		if (csvw_row(w, v, NULL, err) < 0) {
			csvw_abort(w);
			return -1;
		}
	}
	return stage_commit_output(c->st, w, "contact_info.csv.gz", "load_contact_info",
			 err);
}

static int write_saves(struct ctx *c, struct err *err)
{
	struct csv_writer *w = stage_open_output(c->st, "saves.csv.gz",
				"load_saves", CSVW_FAST, err);
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
	if (stage_commit_output(c->st, w, "saves.csv.gz", "load_saves", err) < 0)
		return -1;
	w = NULL;
	/* alerts: the new saves of each owner, most valuable first */
	a = stage_open_output(c->st, "alerts.csv.gz", "load_alerts", CSVW_FAST,
			      err);
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
	return stage_commit_output(c->st, a, "alerts.csv.gz", "load_alerts", err);
fail:
	free(sorted);
	csvw_abort(w);
	csvw_abort(a);
	return -1;
}

static int write_seats(struct ctx *c, struct err *err)
{
	struct csv_writer *w = stage_open_output(c->st, "seats.csv.gz",
				"load_seats", CSVW_FAST, err);

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
	return stage_commit_output(c->st, w, "seats.csv.gz", "load_seats", err);
}

static int write_summary(struct ctx *c, struct err *err)
{
	struct csv_writer *w = stage_open_output(c->st, "summary.csv.gz",
					"load_summary", CSVW_FAST, err);
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
	return stage_commit_output(c->st, w, "summary.csv.gz", "load_summary", err);
}

static int write_inputs(struct ctx *c, struct err *err)
{
	struct csv_writer *w = stage_open_output(c->st, "inputs.csv.gz",
				"load_inputs", CSVW_FAST, err);

	if (!w)
		return -1;
	for (int i = 0; i < IN_NUM; i++) {
		const char *v[2] = { input_names[i] + strlen("input:"),
				     c->in_now[i] };

		if (csvw_row(w, v, NULL, err) < 0) {
			csvw_abort(w);
			return -1;
		}
	}
	return stage_commit_output(c->st, w, "inputs.csv.gz", "load_inputs", err);
}

/* ---- reading staged change sets back (resuming an interrupted load) ---- */

static int input_row(struct ctx *c, const char *const *v,
		     const struct csv_row *row, const char *path,
		     struct err *err)
{
	const char *name = v[fx(c, "Name")];

	for (int i = 0; i < IN_NUM; i++)
		if (!strcmp(input_names[i] + strlen("input:"), name)) {
			free(c->in_now[i]);
			c->in_now[i] = xstrdup(v[fx(c, "Identity")]);
			return 0;
		}
	return bad_value(path, row, "Name", "unknown input", err);
}

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

static int change_op_of(const char *change)
{
	return !strcmp(change, "added") ? CH_ADD :
	       !strcmp(change, "removed") ? CH_REMOVE :
	       !strcmp(change, "changed") ? CH_CHANGE : 0;
}

static int badge_row(struct ctx *c, const char *const *v,
		     const struct csv_row *row, const char *path,
		     struct err *err)
{
	struct link l;
	int op = change_op_of(v[fx(c, "Change")]);

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
	add_change(c, op, &l);
	return 0;
}

static int contact_change_row(struct ctx *c, const char *const *v,
			      const struct csv_row *row, const char *path,
			      struct err *err)
{
	int op = change_op_of(v[fx(c, "Change")]);
	const char *object = adup0(&c->arena, v[fx(c, "CrmObject")]);
	const char *id = adup0(&c->arena, v[fx(c, "CrmId")]);

	if (!op)
		return bad_value(path, row, "Change", "unknown change", err);
	if (!object || !id)
		return bad_value(path, row, "CrmId", "empty", err);
	add_contact(c, op, object, id, adup0(&c->arena, v[fx(c, "Email")]),
		    adup0(&c->arena, v[fx(c, "Phone")]));
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
		{ "inputs.csv.gz", "load_inputs", input_row },
		{ "badges.csv.gz", "load_badges", badge_row },
		{ "contact_info.csv.gz", "load_contact_info",
		  contact_change_row },
		{ "saves.csv.gz", "load_saves", save_change_row },
		{ "seats.csv.gz", "load_seats", seat_change_row },
	};

	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		char *path = xasprintf("%s/%s", dir, files[i].file);
		int rc = 0;

		/* staged by a build that did not record its inputs: then the
		 * next load reads every input */
		if (files[i].fn != input_row || fs_exists(path))
			rc = read_input(c, path, "staged", files[i].schema,
					files[i].fn, err);

		free(path);
		if (rc < 0)
			return -1;
	}
	/* add_contact() counted the rows again */
	c->sum.contact -= c->ncch;
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
		"score, manual, badge_url, run_id) VALUES "
		"(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
		"DELETE FROM links WHERE kind = ?1 AND target_id = ?2",
		"UPDATE links SET crm_object = ?3, crm_id = ?4, score = ?5, "
		"manual = ?6, badge_url = ?7, run_id = ?8 WHERE kind = ?1 "
		"AND target_id = ?2",
		"INSERT INTO contact_info(crm_object, crm_id, email, phone, "
		"run_id) VALUES (?1, ?2, ?3, ?4, ?5)",
		"UPDATE contact_info SET email = ?3, phone = ?4, run_id = ?5 "
		"WHERE crm_object = ?1 AND crm_id = ?2",
		"DELETE FROM contact_info WHERE crm_object = ?1 AND crm_id = ?2",
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
	enum { INS, DEL, UPD, CINS, CUPD, CDEL, SAVE, SEAT, UNSEAT, LOAD, NQ };
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
		sqlite3_stmt *st = ch->op == CH_ADD ? q[INS] :
				   ch->op == CH_REMOVE ? q[DEL] : q[UPD];

		sqlite3_bind_text(st, 1, l->kind, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, l->target, -1, SQLITE_STATIC);
		if (st != q[DEL]) {
			bind0(st, 3, l->crm_object);
			bind0(st, 4, l->crm_id);
			sqlite3_bind_double(st, 5, l->score);
			sqlite3_bind_int(st, 6, l->manual);
			sqlite3_bind_text(st, 7, link_url(c, l), -1,
					  SQLITE_TRANSIENT);
			sqlite3_bind_text(st, 8, run_id, -1, SQLITE_STATIC);
		}
		if (step_done(c, st, "cannot write links", err) < 0)
			goto out;
	}
	for (size_t i = 0; i < c->ncch; i++) {
		const struct contact *k = &c->cch[i];
		sqlite3_stmt *st = k->op == CH_REMOVE ? q[CDEL] :
				   k->op == CH_ADD ? q[CINS] : q[CUPD];

		sqlite3_bind_text(st, 1, k->crm_object, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, k->crm_id, -1, SQLITE_STATIC);
		if (st != q[CDEL]) {
			bind0(st, 3, k->email);
			bind0(st, 4, k->phone);
			sqlite3_bind_text(st, 5, run_id, -1, SQLITE_STATIC);
		}
		if (step_done(c, st, "cannot write contact_info", err) < 0)
			goto out;
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
	/* what the store now reflects (inputs.csv.gz) */
	if (store_exec(c->store, "DELETE FROM meta WHERE key LIKE 'input:%'",
		       err) < 0)
		goto out;
	for (int i = 0; i < IN_NUM; i++)
		if (c->in_now[i] && store_meta_set(c->store, input_names[i],
						   c->in_now[i], err) < 0)
			goto out;
	snprintf(gen, sizeof(gen), "%llu", (unsigned long long)c->sum.links);
	if (store_meta_set(c->store, "links", gen, err) < 0)
		goto out;
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
	free(c->cch);
	for (int i = 0; i < IN_NUM; i++) {
		free(c->in_now[i]);
		free(c->in_was[i]);
	}
	sqlite3_finalize(c->link_q);
	free(c->seats);
	free(c->seat_ch);
	free(c->opps);
	free(c->saves);
	strbuf_release(&c->tmp);
	strbuf_release(&c->tmp2);
	arena_release(&c->arena);
	pii_key_free(c->key);
	store_close(c->store);
}

/*
 * The output row of `name` in `dir`/manifest.csv: its SHA-256 (a new
 * string; NULL when the manifest or the row is missing), rows and bytes.
 */
static char *manifest_entry(const char *dir, const char *name,
			    uint64_t *rows, uint64_t *bytes)
{
	char *path = xasprintf("%s/manifest.csv", dir);
	struct csv_reader *r = csvr_open(path, CSVR_PLAIN, NULL);
	const struct csv_row *h, *row;
	long col[5] = { -1, -1, -1, -1, -1 };
	static const char *const names[5] = { "kind", "path", "sha256", "rows",
					      "bytes" };
	char *sha = NULL;

	free(path);
	if (!r)
		return NULL;
	h = csvr_header(r);
	for (size_t i = 0; i < h->nfields; i++)
		for (int k = 0; k < 5; k++)
			if (!strcmp(h->fields[i], names[k]))
				col[k] = (long)i;
	for (int k = 0; k < 5; k++)
		if (col[k] < 0)
			goto out;
	while (csvr_next(r, &row, NULL) == CSVR_ROW)
		if (!strcmp(row->fields[col[0]], "output") &&
		    !strcmp(row->fields[col[1]], name)) {
			sha = xstrdup(row->fields[col[2]]);
			*rows = strtoull(row->fields[col[3]], NULL, 10);
			*bytes = strtoull(row->fields[col[4]], NULL, 10);
			break;
		}
out:
	csvr_close(r);
	return sha;
}

/*
 * Fills c->in_now (this run's input identities) and c->in_was (the ones
 * recorded with the last load).  A missing file is "none".
 */
static int input_identities(struct ctx *c, const char *match_dir,
			    struct err *err)
{
	char *state = job_state_dir(c->job);
	char *mirror = xasprintf("%s/mirror", state);
	uint64_t rows, bytes;
	char check[SHA256_HEX_LEN + 1] = "none";

	c->in_now[IN_PERSON] = manifest_entry(match_dir,
					      "person_matches.csv.gz", &rows,
					      &bytes);
	c->in_now[IN_ACCOUNT] = manifest_entry(match_dir,
					       "account_matches.csv.gz", &rows,
					       &bytes);
	c->in_now[IN_CONTACT] = manifest_entry(mirror, "Contact.csv.gz", &rows,
					       &bytes);
	c->in_now[IN_LEAD] = manifest_entry(mirror, "Lead.csv.gz", &rows,
					    &bytes);
	free(mirror);
	free(state);
	if (c->key)
		pii_key_check(c->key, check);
	c->in_now[IN_BADGES] = xasprintf("instance %s key %s", c->instance,
					 check);
	for (int i = 0; i < IN_NUM; i++) {
		if (!c->in_now[i])
			c->in_now[i] = xstrdup("none");
		c->in_was[i] = store_meta_get(c->store, input_names[i], err);
		if (!c->in_was[i] && err && err->cls != ERR_OK)
			return -1;
	}
	return 0;
}

static int same_input(const struct ctx *c, enum input_id i)
{
	return c->in_was[i] && !strcmp(c->in_was[i], c->in_now[i]);
}

/* Computes the change sets of a fresh load into c->st. */
static int compute(struct ctx *c, const char *match_dir, struct err *err)
{
	const struct job_settings *set = c->job->settings;
	static const char *const sides[2][2] = {
		{ "person_matches", "person_matches.csv.gz" },
		{ "account_matches", "account_matches.csv.gz" },
	};
	static const char *const contact_objects[2] = { "Contact", "Lead" };
	int bad, same_links;

	c->sum.base = store_generation(c, err, &bad);
	if (bad)
		return -1;
	c->sum.generation = c->sum.base + 1;
	if (input_identities(c, match_dir, err) < 0)
		return -1;
	/* the store holds exactly the links of matches with these hashes
	 * (the load is their only writer): nothing to diff */
	same_links = same_input(c, IN_PERSON) && same_input(c, IN_ACCOUNT) &&
		     same_input(c, IN_BADGES);
	if (same_links) {
		char *n = store_meta_get(c->store, "links", err);

		if (!n)
			same_links = 0;
		else
			c->sum.links = strtoull(n, NULL, 10);
		free(n);
		if (!n && err && err->cls != ERR_OK)
			return -1;
	}
	for (int i = 0; i < 2; i++) {
		char *path = xasprintf("%s/%s", match_dir, sides[i][1]);
		int rc = 0;

		if (same_links) {
			/* not read, but an input all the same (lineage) */
			uint64_t rows = 0, bytes = 0;
			char *sha = manifest_entry(match_dir, sides[i][1],
						   &rows, &bytes);
			char *id = xasprintf("staged/%s", sides[i][0]);

			if (sha)
				rc = stage_add_input(c->st, path, id, rows, 0,
						     bytes, sha, err);
			free(id);
			free(sha);
		} else if ((i ? set->accounts.enabled : set->people.enabled) ||
			   fs_exists(path)) {
			rc = read_input(c, path, "staged", sides[i][0],
					match_row, err);
		}
		free(path);
		if (rc < 0)
			return -1;
	}
	phase("read matches");
	if (!same_links) {
		c->links_read = 1;
		sort_array(c->links, c->nlinks, sizeof(*c->links), link_cmp);
		for (size_t i = 1; i < c->nlinks; i++)
			if (!link_cmp(&c->links[i - 1], &c->links[i]))
				return err_set(err, ERR_DATA, "run %s: %s '%s' "
					       "is linked twice in the match "
					       "output", c->run->id,
					       c->links[i].kind,
					       c->links[i].target);
		c->by_crm = xcalloc(c->nlinks + 1, sizeof(*c->by_crm));
		for (size_t i = 0; i < c->nlinks; i++)
			c->by_crm[i] = i;
		crm_ctx = c;
		sort_array(c->by_crm, c->nlinks, sizeof(*c->by_crm),
			   by_crm_cmp);
		phase("sort links");
		if (diff_links(c, err) < 0)
			return -1;
		c->sum.links = c->nlinks;
		phase("diff links");
	}
	for (int i = 0; i < 2; i++) {
		/* same links and the same mirror file: same contact info (the
		 * file is an input all the same) */
		if (same_links && same_input(c, i ? IN_LEAD : IN_CONTACT)) {
			char *state = job_state_dir(c->job);
			char *mirror = xasprintf("%s/mirror", state);
			char *file = xasprintf("%s.csv.gz", contact_objects[i]);
			char *path = xasprintf("%s/%s", mirror, file);
			char *id = xasprintf("salesforce/%s",
					     contact_objects[i]);
			uint64_t rows = 0, bytes = 0;
			char *sha = manifest_entry(mirror, file, &rows, &bytes);
			int rc = 0;

			if (sha)
				rc = stage_add_input(c->st, path, id, rows, 0,
						     bytes, sha, err);
			log_debug("load: %s: the same mirror file as the last "
				  "load's, not read", contact_objects[i]);
			free(sha);
			free(id);
			free(path);
			free(file);
			free(mirror);
			free(state);
			if (rc < 0)
				return -1;
			continue;
		}
		if (merge_contacts(c, contact_objects[i], err) < 0)
			return -1;
	}
	phase("contact info");
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
	    write_summary(c, err) < 0 || write_inputs(c, err) < 0)
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
	strbuf_init(&c.tmp2, 0);
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
		strbuf_init(&c.tmp2, 0);
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
