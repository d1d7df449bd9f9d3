/*
 * match.c - blocking, scoring and one-to-one resolution (see match.h).
 *
 * Memory: every record of both sides is normalised once into a side's
 * arena (strings never move, so records point into it).  Candidates are
 * found through a sorted array of (rule, key hash) per CRM record, so the
 * directory side, the larger one, is only streamed through the index.
 * Only pairs at or above the threshold are kept, plus the best few
 * candidates of every CRM record for the audit file.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "csvio.h"
#include "fsutil.h"
#include "log.h"
#include "match.h"
#include "match_prep.h"
#include "norm.h"
#include "schema.h"
#include "sim.h"
#include "strbuf.h"
#include "timeutil.h"
#include "xalloc.h"

#define NF_MAX 24  /* canonical fields per model */
#define TOP_K 3    /* candidates per CRM record in the audit file */

/* sort_array() that accepts an empty array (a NULL base is undefined). */
static void sort_array(void *base, size_t n, size_t size,
		       int (*cmp)(const void *, const void *))
{
	if (n > 1)
		qsort(base, n, size, cmp);
}

/* ---- an arena of strings that never move ------------------------------- */

struct arena {
	char **blocks;
	size_t nblocks, alloc;
	size_t used, cap;
};

static const char *arena_dup(struct arena *a, const char *s, size_t len)
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

static void arena_release(struct arena *a)
{
	for (size_t i = 0; i < a->nblocks; i++)
		free(a->blocks[i]);
	free(a->blocks);
	memset(a, 0, sizeof(*a));
}

/* ---- records ------------------------------------------------------------- */

struct rec {
	const char *id;
	const char *v[NF_MAX];  /* normalised values; NULL: none */
	const char *hash;       /* SHA-256 of the email, when known */
	unsigned obj;           /* index into the model's objects */
};

struct side {
	struct rec *r;
	size_t n, alloc;
	struct arena arena;
};

static void side_release(struct side *s)
{
	free(s->r);
	arena_release(&s->arena);
	memset(s, 0, sizeof(*s));
}

/* Values of one field of a parent object by Id, for lookups such as a
 * Contact's "Account.Name": sorted by Id for bsearch. */
struct lookup_entry {
	const char *id;
	const char *value;
};

struct lookup {
	const struct schema *schema;
	int field;
	struct lookup_entry *e;
	size_t n;
	struct arena arena;
};

static int lookup_cmp(const void *a, const void *b)
{
	return strcmp(((const struct lookup_entry *)a)->id,
		      ((const struct lookup_entry *)b)->id);
}

/* What the stage knows about one model. */
struct model {
	const struct match_model *m;
	const char *label;          /* "people" | "accounts" */
	enum prep_kind kind[NF_MAX];
	int email_field;            /* -1 when none */
	int country_field;          /* -1 when none */
	int cmp_first, cmp_last;    /* comparisons of the names, or -1 */
	struct side crm, dir;
	uint64_t skipped;
	/* parent values read through lookups ("Account.Name") */
	struct lookup *lookups;
	size_t nlookups;
};

/* Whether the model maps any field of CRM object `obj`: an object it
 * maps nothing of takes no part (no mirror needed, no report row). */
static int object_used(const struct model *md, size_t obj)
{
	for (size_t f = 0; f < md->m->nfields; f++)
		if (md->m->fields[f].src[obj].nfields)
			return 1;
	return 0;
}

/* The value of field `field` of the `schema` record `id`, or NULL. */
static const char *lookup_value(const struct model *md,
				const struct schema *schema, int field,
				const char *id)
{
	for (size_t i = 0; i < md->nlookups; i++) {
		const struct lookup *l = &md->lookups[i];
		struct lookup_entry key = { id, NULL };
		const struct lookup_entry *hit;

		if (l->schema != schema || l->field != field || !l->n)
			continue;
		hit = bsearch(&key, l->e, l->n, sizeof(key), lookup_cmp);
		return hit ? hit->value : NULL;
	}
	return NULL;
}

/* The raw value of canonical field `f` for object `obj` in `row`: the
 * first non-empty of the mapped fields.  *sha is set when it comes from a
 * sha256-typed field (a hashed email). */
static const char *raw_value(const struct model *md, size_t f, unsigned obj,
			     const struct csv_row *row, size_t *len, int *sha)
{
	const struct match_source *src = &md->m->fields[f].src[obj];
	const struct schema *s = md->m->schemas[obj];

	*sha = 0;
	for (size_t k = 0; k < src->nfields; k++) {
		int col = src->index[k];

		if (src->lookup_schema && src->lookup_schema[k] && col >= 0 &&
		    (size_t)col < row->nfields && row->lens[col]) {
			const char *v = lookup_value(md, src->lookup_schema[k],
						     src->lookup_index[k],
						     row->fields[col]);

			if (v && *v) {
				*len = strlen(v);
				return v;
			}
			continue;
		}
		if (col >= 0 && (size_t)col < row->nfields &&
		    row->lens[col]) {
			*len = row->lens[col];
			*sha = s->fields[col].type == FT_SHA256;
			return row->fields[col];
		}
	}
	*len = 0;
	return NULL;
}

/* Normalises one row into a record of `side`. */
static void add_record(struct model *md, struct side *side, unsigned obj,
		       const char *id, const struct csv_row *row,
		       struct strbuf *tmp)
{
	struct rec *r;
	const char *country = NULL;
	char *country_copy = NULL;
	size_t len;
	int sha;

	XGROW(side->r, side->alloc, side->n + 1);
	r = &side->r[side->n++];
	memset(r, 0, sizeof(*r));
	r->obj = obj;
	r->id = arena_dup(&side->arena, id, strlen(id));
	if (md->country_field >= 0) {
		const char *c = raw_value(md, (size_t)md->country_field, obj,
					  row, &len, &sha);

		if (c)
			country = country_copy = xstrndup(c, len);
	}
	for (size_t f = 0; f < md->m->nfields; f++) {
		const char *raw = raw_value(md, f, obj, row, &len, &sha);

		if (!raw)
			continue;
		if (sha) {
			/* a hashed email: only the hash can be compared */
			strbuf_reset(tmp);
			for (size_t i = 0; i < len; i++)
				strbuf_addch(tmp, raw[i] >= 'A' && raw[i] <= 'F'
						  ? raw[i] + 32 : raw[i]);
			r->hash = arena_dup(&side->arena, tmp->buf, tmp->len);
			continue;
		}
		if ((int)f == md->email_field) {
			prep_email_hash(raw, len, tmp);
			if (tmp->len)
				r->hash = arena_dup(&side->arena, tmp->buf,
						    tmp->len);
		}
		prep_value(md->kind[f], raw, len, country, tmp);
		if (!tmp->len)
			continue;
		r->v[f] = arena_dup(&side->arena, tmp->buf, tmp->len);
	}
	free(country_copy);
}

static int is_true(const struct csv_row *row, int col)
{
	return col >= 0 && strcmp(row->fields[col], "true") == 0;
}

/* Reads one input file (a mirror file or a directory file) into `side`. */
static int load_file(struct model *md, struct side *side, unsigned obj,
		     const char *path, struct stage *st, struct err *err)
{
	const struct schema *s = md->m->schemas[obj];
	struct csv_reader *r = csvr_open(path, staged_read_flags(path), err);
	struct strbuf tmp = STRBUF_INIT;
	const struct csv_row *row;
	char sha[SHA256_HEX_LEN + 1];
	size_t *map = NULL;
	const char *key = s->key ? s->key : "Id";
	int key_col = schema_field_index(s, key);
	int converted = schema_field_index(s, "IsConverted");
	int converted_to = schema_field_index(s, "ConvertedContactId");
	char *schema_id = xasprintf("%s/%s", s->group, s->name);
	uint64_t rows = 0;
	enum csvr_status status;
	int ret = -1;

	if (!r)
		goto out;
	map = xcalloc(s->nfields, sizeof(*map));
	if (schema_bind_header(s, path, csvr_header(r)->fields,
			       csvr_header(r)->nfields, map, err) < 0)
		goto out;
	/* mirror and directory files hold the schema's columns; the
	 * sources index fields by schema position, so insist on it */
	for (size_t i = 0; i < s->nfields; i++) {
		if (map[i] != i) {
			err_set(err, ERR_DATA, "'%s' line 1: columns are not in "
				"the order of schema %s", path, schema_id);
			goto out;
		}
	}
	while ((status = csvr_next(r, &row, err)) != CSVR_EOF) {
		if (status == CSVR_ERROR)
			goto out;
		rows++;
		if (status == CSVR_BADROW || key_col < 0 ||
		    !row->lens[key_col]) {
			/* counted: the extract stage rejects these earlier */
			md->skipped++;
			err_clear(err);
			continue;
		}
		/* a converted lead is matched through its contact */
		if (is_true(row, converted) && converted_to >= 0 &&
		    row->lens[converted_to]) {
			md->skipped++;
			continue;
		}
		add_record(md, side, obj, row->fields[key_col], row, &tmp);
	}
	if (st && (csvr_sha256_hex(r, sha) < 0 ||
		   stage_add_input(st, path, schema_id, rows, 0,
				   csvr_bytes_read(r), sha, err) < 0))
		goto out;
	ret = 0;
out:
	strbuf_release(&tmp);
	csvr_close(r);
	free(map);
	free(schema_id);
	return ret;
}

/* ---- blocking ------------------------------------------------------------- */

struct bkey {
	uint64_t hash;
	uint32_t rule;
	uint32_t rec;
};

static uint64_t fnv1a(uint64_t h, const char *s)
{
	for (; *s; s++) {
		h ^= (unsigned char)*s;
		h *= 1099511628211ULL;
	}
	return h;
}

/* The value a blocking key sees: the email hash stands for the email,
 * so clear and hashed addresses meet; transforms apply on top.  `buf`
 * holds a transformed value.  NULL when there is nothing to block on. */
static const char *key_value(const struct model *md, const struct rec *r,
			     size_t f, enum block_transform t, char *buf,
			     size_t size)
{
	const char *v = (int)f == md->email_field ? r->hash : r->v[f];
	size_t n;

	if (!v || !*v)
		return NULL;
	switch (t) {
	case BT_NONE:
		return v;
	case BT_PHONETIC:
		n = sim_phonetic(v, strlen(v), buf);
		return n ? buf : NULL;
	case BT_INITIAL:
		/* the first character, whole (UTF-8) */
		n = 1;
		while (v[n] && ((unsigned char)v[n] & 0xC0) == 0x80 &&
		       n < size - 1)
			n++;
		memcpy(buf, v, n);
		buf[n] = '\0';
		return buf;
	}
	return NULL;
}

/* Hash of rule `rule` for record `r`, or 0 when a key is empty. */
static uint64_t rule_hash(const struct model *md, size_t rule,
			  const struct rec *r)
{
	const struct match_blocking *b = &md->m->blocking[rule];
	uint64_t h = 14695981039346656037ULL ^ (rule * 0x9e3779b97f4a7c15ULL);
	char buf[16];

	for (size_t k = 0; k < b->nkeys; k++) {
		const char *v = key_value(md, r, b->keys[k], b->transforms[k],
					  buf, sizeof(buf));

		if (!v)
			return 0;
		h = fnv1a(h, v);
		h = fnv1a(h, "\x1f");
	}
	return h ? h : 1;
}

static int same_block(const struct model *md, size_t rule,
		      const struct rec *a, const struct rec *b)
{
	const struct match_blocking *bl = &md->m->blocking[rule];
	char ba[16], bb[16];

	for (size_t k = 0; k < bl->nkeys; k++) {
		const char *x = key_value(md, a, bl->keys[k],
					  bl->transforms[k], ba, sizeof(ba));
		const char *y = key_value(md, b, bl->keys[k],
					  bl->transforms[k], bb, sizeof(bb));

		if (!x || !y || strcmp(x, y) != 0)
			return 0;
	}
	return 1;
}

static int bkey_cmp(const void *a, const void *b)
{
	const struct bkey *x = a, *y = b;

	if (x->hash != y->hash)
		return x->hash < y->hash ? -1 : 1;
	if (x->rule != y->rule)
		return x->rule < y->rule ? -1 : 1;
	return x->rec < y->rec ? -1 : x->rec > y->rec;
}

struct index {
	struct bkey *k;
	size_t n;
};

static void index_build(const struct model *md, struct index *ix)
{
	size_t alloc = 0;

	ix->k = NULL;
	ix->n = 0;
	for (size_t i = 0; i < md->crm.n; i++) {
		for (size_t rule = 0; rule < md->m->nblocking; rule++) {
			uint64_t h = rule_hash(md, rule, &md->crm.r[i]);

			if (!h)
				continue;
			XGROW(ix->k, alloc, ix->n + 1);
			ix->k[ix->n].hash = h;
			ix->k[ix->n].rule = (uint32_t)rule;
			ix->k[ix->n].rec = (uint32_t)i;
			ix->n++;
		}
	}
	sort_array(ix->k, ix->n, sizeof(*ix->k), bkey_cmp);
}

/* First entry with (hash, rule) or ix->n. */
static size_t index_find(const struct index *ix, uint64_t hash, uint32_t rule)
{
	size_t lo = 0, hi = ix->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const struct bkey *k = &ix->k[mid];

		if (k->hash < hash || (k->hash == hash && k->rule < rule))
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* ---- scoring ----------------------------------------------------------------- */

/* 1 when two different addresses are one personal (gmail.com) and one
 * not, or both personal. */
static int personal_vs_other(const char *x, const char *y)
{
	const char *dx = strchr(x, '@'), *dy = strchr(y, '@');

	if (!dx || !dy || strcmp(x, y) == 0)
		return 0;
	return norm_email_personal(dx + 1) || norm_email_personal(dy + 1);
}

/* Weight of comparison `c` for the values `x` and `y` (and, for the
 * email, the hashes); *sim gets the similarity, or -1 when a side is
 * missing. */
static double compare_values(const struct model *md,
			     const struct match_comparison *c, const char *x,
			     const char *y, const char *xh, const char *yh,
			     double *sim)
{
	size_t f = c->field_index;
	double s;

	*sim = -1;
	if ((int)f == md->email_field && x && y &&
	    personal_vs_other(x, y)) {
		/* a gmail address against a work one says nothing about
		 * whether the people are the same */
		return c->missing_weight;
	}
	if ((int)f == md->email_field && (!x || !y)) {
		/* hashes only compare equal or not */
		if (!xh || !yh)
			return c->missing_weight;
		s = strcmp(xh, yh) == 0;
	} else {
		if (!x || !y)
			return c->missing_weight;
		s = prep_compare(c->method, md->kind[f], x, y,
				 c->method == MM_LEVENSHTEIN && c->nlevels ?
				 c->levels[c->nlevels - 1].max_distance : 0);
	}
	*sim = s;
	for (size_t l = 0; l < c->nlevels; l++) {
		const struct match_level *lv = &c->levels[l];

		if (c->method == MM_LEVENSHTEIN ? s <= (double)lv->max_distance
						: s >= lv->min)
			return lv->weight;
	}
	return c->else_weight;
}

/*
 * Every comparison's weight (and similarity) for the pair; returns the
 * total.  First and last names are also tried crossed, and the crossed
 * reading is kept when it scores better: directories and CRMs both
 * hold people whose names were entered the wrong way round.  *swapped
 * tells which reading won.
 */
static double pair_weights(const struct model *md, const struct rec *a,
			   const struct rec *b, double *w, double *sim,
			   int *swapped)
{
	const struct match_model *m = md->m;
	double total = 0;

	*swapped = 0;
	for (size_t i = 0; i < m->ncomparisons; i++) {
		size_t f = m->comparisons[i].field_index;

		w[i] = compare_values(md, &m->comparisons[i], a->v[f],
				      b->v[f], a->hash, b->hash, &sim[i]);
		total += w[i];
	}
	if (md->cmp_first >= 0 && md->cmp_last >= 0) {
		const struct match_comparison *cf = &m->comparisons[md->cmp_first];
		const struct match_comparison *cl = &m->comparisons[md->cmp_last];
		double sf, sl;
		double wf = compare_values(md, cf, a->v[cf->field_index],
					   b->v[cl->field_index], NULL, NULL,
					   &sf);
		double wl = compare_values(md, cl, a->v[cl->field_index],
					   b->v[cf->field_index], NULL, NULL,
					   &sl);
		double before = w[md->cmp_first] + w[md->cmp_last];

		if (wf + wl > before) {
			total += wf + wl - before;
			w[md->cmp_first] = wf;
			w[md->cmp_last] = wl;
			sim[md->cmp_first] = sf;
			sim[md->cmp_last] = sl;
			*swapped = 1;
		}
	}
	return total;
}

static double score_pair(const struct model *md, const struct rec *a,
			 const struct rec *b)
{
	double w[NF_MAX], sim[NF_MAX];
	int swapped;

	return pair_weights(md, a, b, w, sim, &swapped);
}

/* "email=13.136;last_name=8.732" or, with sims, "email=1.000:13.136";
 * "names=swapped" ends it when the names were read crossed. */
static void describe_pair(const struct model *md, const struct rec *a,
			  const struct rec *b, int sims, struct strbuf *out)
{
	double w[NF_MAX], sim[NF_MAX];
	int swapped;

	pair_weights(md, a, b, w, sim, &swapped);
	strbuf_reset(out);
	for (size_t i = 0; i < md->m->ncomparisons; i++) {
		const struct match_comparison *c = &md->m->comparisons[i];

		if (i)
			strbuf_addch(out, ';');
		if (!sims)
			strbuf_addf(out, "%s=%.3f", c->field, w[i]);
		else if (sim[i] < 0)
			strbuf_addf(out, "%s=missing:%.3f", c->field, w[i]);
		else
			strbuf_addf(out, "%s=%.3f:%.3f", c->field, sim[i],
				    w[i]);
	}
	if (swapped)
		strbuf_addstr(out, ";names=swapped");
}

/* ---- candidate pairs -------------------------------------------------------- */

struct edge {
	uint32_t crm, dir;
	double score;
};

struct top {
	uint32_t dir[TOP_K];
	double score[TOP_K];
	unsigned n;
};

/* Keeps the K best (score desc, dir asc) candidates of a CRM record. */
static void top_add(struct top *t, uint32_t dir, double score)
{
	unsigned i = t->n < TOP_K ? t->n : TOP_K;

	if (t->n == TOP_K && (score < t->score[TOP_K - 1] ||
			      (score == t->score[TOP_K - 1] &&
			       dir > t->dir[TOP_K - 1])))
		return;
	if (t->n < TOP_K)
		t->n++;
	else
		i = TOP_K - 1;
	while (i > 0 && (t->score[i - 1] < score ||
			 (t->score[i - 1] == score && t->dir[i - 1] > dir))) {
		t->score[i] = t->score[i - 1];
		t->dir[i] = t->dir[i - 1];
		i--;
	}
	t->score[i] = score;
	t->dir[i] = dir;
}

struct pairs {
	struct edge *e;
	size_t n, alloc;
	struct top *top;   /* per CRM record */
	uint64_t scored;
};

/* Scores every candidate pair; keeps those >= threshold. */
static void find_pairs(const struct model *md, struct pairs *p)
{
	struct index ix;
	uint32_t *stamp = xcalloc(md->crm.n + 1, sizeof(*stamp));

	index_build(md, &ix);
	p->top = xcalloc(md->crm.n + 1, sizeof(*p->top));
	for (size_t d = 0; d < md->dir.n; d++) {
		const struct rec *b = &md->dir.r[d];

		for (size_t rule = 0; rule < md->m->nblocking; rule++) {
			uint64_t h = rule_hash(md, rule, b);

			if (!h)
				continue;
			for (size_t i = index_find(&ix, h, (uint32_t)rule);
			     i < ix.n && ix.k[i].hash == h &&
			     ix.k[i].rule == rule; i++) {
				uint32_t c = ix.k[i].rec;
				const struct rec *a = &md->crm.r[c];
				double score;

				if (stamp[c] == d + 1 ||
				    !same_block(md, rule, a, b))
					continue;
				stamp[c] = (uint32_t)(d + 1);
				score = score_pair(md, a, b);
				p->scored++;
				top_add(&p->top[c], (uint32_t)d, score);
				if (score < md->m->threshold)
					continue;
				XGROW(p->e, p->alloc, p->n + 1);
				p->e[p->n].crm = c;
				p->e[p->n].dir = (uint32_t)d;
				p->e[p->n].score = score;
				p->n++;
			}
		}
	}
	free(ix.k);
	free(stamp);
}

/* ---- manual corrections (R22) ------------------------------------------------ */

struct correction {
	char *id, *action, *object, *crm_id, *target, *created, *seat;
	int64_t at;
	char *source;      /* file it came from, for rejects */
	uint64_t line;
	size_t seq;        /* read order */
};

struct corrections {
	struct correction *c;
	size_t n, alloc;
};

static void correction_free(struct correction *c);

static void corrections_release(struct corrections *cs)
{
	for (size_t i = 0; i < cs->n; i++)
		correction_free(&cs->c[i]);
	free(cs->c);
	memset(cs, 0, sizeof(*cs));
}

/*
 * Appends a row (source_file, source_line, reason, record) to the file
 * `*w`, opening it at `path` on first use: the shape of rejects and of
 * unapplied corrections.  `file` is reduced to its base name, stable
 * wherever the job lives.
 */
static int note_row(struct csv_writer **w, const char *path,
		    const char *file, uint64_t line, const char *why,
		    const char *record, struct err *err)
{
	static const char *const header[] = {
		"source_file", "source_line", "reason", "record",
	};
	const char *v[4];
	char num[24];

	if (!*w) {
		*w = csvw_open(path, header, 4, 0, err);
		if (!*w)
			return -1;
	}
	snprintf(num, sizeof(num), "%llu", (unsigned long long)line);
	v[0] = strrchr(file, '/') ? strrchr(file, '/') + 1 : file;
	v[1] = num;
	v[2] = why;
	v[3] = record;
	return csvw_row(*w, v, NULL, err);
}

/*
 * Reads corrections from `path` (state/overrides.csv or the directory's
 * overrides input).  A row that cannot be used goes to `rj` with its
 * reason; nothing is dropped silently.
 */
static int load_corrections(const char *path, struct corrections *cs,
			    struct csv_writer **rj, const char *rj_path,
			    uint64_t *rejected, struct err *err)
{
	const struct schema *s = schema_find("directory", "overrides");
	struct csv_reader *r = csvr_open(path, staged_read_flags(path), err);
	const struct csv_row *row;
	size_t *map = NULL;
	enum csvr_status status;
	int ret = -1;

	if (!r || !s)
		goto out;
	map = xcalloc(s->nfields, sizeof(*map));
	if (schema_bind_header(s, path, csvr_header(r)->fields,
			       csvr_header(r)->nfields, map, err) < 0)
		goto out;
	while ((status = csvr_next(r, &row, err)) != CSVR_EOF) {
		const char *v[8];
		char why[ERR_MSG_MAX] = "";
		int64_t at = 0;

		if (status == CSVR_ERROR)
			goto out;
		if (status == CSVR_BADROW) {
			snprintf(why, sizeof(why), "%s", err->msg);
			err_clear(err);
		} else {
			for (size_t i = 0; i < 8 && i < s->nfields; i++)
				v[i] = row->fields[map[i]];
			if (!*v[0] || !*v[3])
				snprintf(why, sizeof(why), "CorrectionId and "
					 "CrmId are required");
			else if (strcmp(v[1], "link") && strcmp(v[1], "unlink"))
				snprintf(why, sizeof(why), "Action '%s' is not "
					 "link or unlink", v[1]);
			else if (!*v[4] && !*v[5])
				snprintf(why, sizeof(why), "neither MemberId "
					 "nor CompanyPageId is given");
			else if (sf_datetime_parse(v[6], strlen(v[6]), &at) <
				 0)
				snprintf(why, sizeof(why), "CreatedAt '%s' is "
					 "not a datetime", v[6]);
		}
		if (*why) {
			(*rejected)++;
			if (note_row(rj, rj_path, path, row->line, why,
				     row->nfields ? row->fields[0] : "",
				     err) < 0)
				goto out;
			continue;
		}
		XGROW(cs->c, cs->alloc, cs->n + 1);
		cs->c[cs->n].id = xstrdup(v[0]);
		cs->c[cs->n].action = xstrdup(v[1]);
		cs->c[cs->n].object = xstrdup(v[2]);
		cs->c[cs->n].crm_id = xstrdup(v[3]);
		cs->c[cs->n].target = xstrdup(*v[4] ? v[4] : v[5]);
		cs->c[cs->n].created = xstrdup(v[6]);
		cs->c[cs->n].seat = xstrdup(v[7]);
		cs->c[cs->n].at = at;
		cs->c[cs->n].source = xstrdup(path);
		cs->c[cs->n].line = row->line;
		cs->n++;
	}
	ret = 0;
out:
	csvr_close(r);
	free(map);
	return ret;
}

static void correction_free(struct correction *c)
{
	free(c->id);
	free(c->action);
	free(c->object);
	free(c->crm_id);
	free(c->target);
	free(c->created);
	free(c->seat);
	free(c->source);
}

static int corr_by_id_seq(const void *a, const void *b)
{
	const struct correction *x = a, *y = b;
	int r = strcmp(x->id, y->id);

	return r ? r : (x->seq < y->seq ? -1 : x->seq > y->seq);
}

/* Keeps one correction per CorrectionId: the last read wins, so a row in
 * the directory's new file replaces the state's copy. */
static void corrections_dedupe(struct corrections *cs)
{
	size_t out = 0;

	for (size_t i = 0; i < cs->n; i++)
		cs->c[i].seq = i;
	sort_array(cs->c, cs->n, sizeof(*cs->c), corr_by_id_seq);
	for (size_t i = 0; i < cs->n; i++) {
		if (i + 1 < cs->n && strcmp(cs->c[i].id, cs->c[i + 1].id) == 0) {
			correction_free(&cs->c[i]);
			continue;
		}
		cs->c[out++] = cs->c[i];
	}
	cs->n = out;
}

/* Writes the accumulated corrections to state/overrides.csv. */
static int corrections_save(const char *path, const struct corrections *cs,
			    struct err *err)
{
	const struct schema *s = schema_find("directory", "overrides");
	struct csv_writer *w = csvw_open(path, schema_field_names(s),
					 s->nfields, CSVW_PLAIN, err);

	if (!w)
		return -1;
	for (size_t i = 0; i < cs->n; i++) {
		const struct correction *c = &cs->c[i];
		int person = strcmp(c->object, "Account") != 0;
		const char *v[8] = {
			c->id, c->action, c->object, c->crm_id,
			person ? c->target : "", person ? "" : c->target,
			c->created, c->seat,
		};

		if (csvw_row(w, v, NULL, err) < 0) {
			csvw_abort(w);
			return -1;
		}
	}
	return csvw_commit(w, NULL, err);
}

/* ---- one-to-one resolution (R21) ------------------------------------------------ */

struct id_ix {
	const char *id;
	uint32_t rec;
};

static int id_ix_cmp(const void *a, const void *b)
{
	return strcmp(((const struct id_ix *)a)->id,
		      ((const struct id_ix *)b)->id);
}

static struct id_ix *id_index(const struct side *s)
{
	struct id_ix *ix = xcalloc(s->n + 1, sizeof(*ix));

	for (size_t i = 0; i < s->n; i++) {
		ix[i].id = s->r[i].id;
		ix[i].rec = (uint32_t)i;
	}
	sort_array(ix, s->n, sizeof(*ix), id_ix_cmp);
	return ix;
}

static long id_find(const struct id_ix *ix, size_t n, const char *id)
{
	struct id_ix key = { id, 0 };
	const struct id_ix *hit = n ? bsearch(&key, ix, n, sizeof(*ix),
					      id_ix_cmp) : NULL;

	return hit ? (long)hit->rec : -1;
}

struct manual {
	uint32_t crm, dir;
	int64_t at;
	const char *id;
};

static int manual_cmp(const void *a, const void *b)
{
	const struct manual *x = a, *y = b;

	/* most recent first; CorrectionId breaks ties */
	if (x->at != y->at)
		return x->at > y->at ? -1 : 1;
	return strcmp(y->id, x->id);
}

/* qsort has no context argument: the model being resolved */
static const struct model *edge_model;

static int edge_cmp(const void *a, const void *b)
{
	const struct edge *x = a, *y = b;
	int r;

	if (x->score != y->score)
		return x->score > y->score ? -1 : 1;
	r = strcmp(edge_model->crm.r[x->crm].id, edge_model->crm.r[y->crm].id);
	if (r)
		return r;
	return strcmp(edge_model->dir.r[x->dir].id,
		      edge_model->dir.r[y->dir].id);
}

struct links {
	uint32_t *crm_to;   /* dir index + 1, 0 when unlinked */
	uint32_t *dir_to;   /* crm index + 1 */
	unsigned char *manual;
	double *score;      /* of the link */
	/* unlinked pairs, sorted (crm, dir) */
	struct edge *forbid;
	size_t nforbid;
};

static int forbid_cmp(const void *a, const void *b)
{
	const struct edge *x = a, *y = b;

	if (x->crm != y->crm)
		return x->crm < y->crm ? -1 : 1;
	return x->dir < y->dir ? -1 : x->dir > y->dir;
}

static int forbidden(const struct links *l, uint32_t crm, uint32_t dir)
{
	struct edge key = { crm, dir, 0 };

	return l->nforbid && bsearch(&key, l->forbid, l->nforbid, sizeof(key),
				     forbid_cmp) != NULL;
}

/* Whether correction `c` concerns this model's CRM objects. */
static int model_has_object(const struct model *md, const char *object)
{
	for (size_t i = 0; i < md->m->ncrm; i++)
		if (strcmp(md->m->objects[i], object) == 0)
			return 1;
	return 0;
}

static int corr_by_pair(const void *a, const void *b)
{
	const struct correction *x = *(const struct correction *const *)a;
	const struct correction *y = *(const struct correction *const *)b;
	int r = strcmp(x->crm_id, y->crm_id);

	if (r)
		return r;
	r = strcmp(x->target, y->target);
	if (r)
		return r;
	if (x->at != y->at)
		return x->at < y->at ? -1 : 1;
	return strcmp(x->id, y->id);
}

/*
 * Applies the corrections of this model then the scored pairs.  Manual
 * links that cannot be applied (a CRM record no longer in the mirror, an
 * unknown profile) are written to `rj` (unapplied_corrections) with the
 * reason: the correction was valid, the record it names is gone.
 */
static int resolve(struct model *md, const struct corrections *cs,
		   struct pairs *p, struct links *l, struct csv_writer **rj,
		   const char *rj_path, uint64_t *unapplied, struct err *err)
{
	struct id_ix *cix = id_index(&md->crm), *dix = id_index(&md->dir);
	const struct correction **mine = xcalloc(cs->n + 1, sizeof(*mine));
	struct manual *man = NULL;
	size_t nmine = 0, nman = 0, man_alloc = 0, forbid_alloc = 0;
	int ret = -1;

	l->crm_to = xcalloc(md->crm.n + 1, sizeof(*l->crm_to));
	l->dir_to = xcalloc(md->dir.n + 1, sizeof(*l->dir_to));
	l->manual = xcalloc(md->crm.n + 1, 1);
	l->score = xcalloc(md->crm.n + 1, sizeof(*l->score));
	for (size_t i = 0; i < cs->n; i++)
		if (model_has_object(md, cs->c[i].object))
			mine[nmine++] = &cs->c[i];
	/* per (CRM record, profile) the most recent correction decides */
	sort_array(mine, nmine, sizeof(*mine), corr_by_pair);
	for (size_t i = 0; i < nmine; i++) {
		const struct correction *c = mine[i];
		long crm, dir;
		const char *why = NULL;

		if (i + 1 < nmine && !strcmp(c->crm_id, mine[i + 1]->crm_id) &&
		    !strcmp(c->target, mine[i + 1]->target))
			continue;
		crm = id_find(cix, md->crm.n, c->crm_id);
		dir = id_find(dix, md->dir.n, c->target);
		if (strcmp(c->action, "unlink") == 0) {
			if (crm < 0 || dir < 0)
				continue; /* nothing to undo */
			XGROW(l->forbid, forbid_alloc, l->nforbid + 1);
			l->forbid[l->nforbid].crm = (uint32_t)crm;
			l->forbid[l->nforbid].dir = (uint32_t)dir;
			l->nforbid++;
			continue;
		}
		if (crm < 0)
			why = "the CRM record is not in the mirror (deleted, "
			      "or never extracted)";
		else if (dir < 0)
			why = "the profile is not in the directory input";
		else if (strcmp(md->m->objects[md->crm.r[crm].obj],
				c->object) != 0)
			why = "CrmObject does not match the record's object";
		if (why) {
			char record[512];

			snprintf(record, sizeof(record), "%s,%s,%s,%s,%s",
				 c->id, c->action, c->object, c->crm_id,
				 c->target);
			(*unapplied)++;
			log_info("correction %s (%s %s %s -> %s): %s", c->id,
				 c->action, c->object, c->crm_id, c->target,
				 why);
			if (note_row(rj, rj_path, c->source, c->line, why,
				     record, err) < 0)
				goto out;
			continue;
		}
		XGROW(man, man_alloc, nman + 1);
		man[nman].crm = (uint32_t)crm;
		man[nman].dir = (uint32_t)dir;
		man[nman].at = c->at;
		man[nman].id = c->id;
		nman++;
	}
	sort_array(l->forbid, l->nforbid, sizeof(*l->forbid), forbid_cmp);
	sort_array(man, nman, sizeof(*man), manual_cmp);
	for (size_t i = 0; i < nman; i++) {
		struct manual *m = &man[i];

		if (l->crm_to[m->crm] || l->dir_to[m->dir])
			continue; /* a more recent correction claimed it */
		l->crm_to[m->crm] = m->dir + 1;
		l->dir_to[m->dir] = m->crm + 1;
		l->manual[m->crm] = 1;
		l->score[m->crm] = score_pair(md, &md->crm.r[m->crm],
					      &md->dir.r[m->dir]);
	}
	edge_model = md;
	sort_array(p->e, p->n, sizeof(*p->e), edge_cmp);
	for (size_t i = 0; i < p->n; i++) {
		const struct edge *e = &p->e[i];

		if (l->crm_to[e->crm] || l->dir_to[e->dir] ||
		    forbidden(l, e->crm, e->dir))
			continue;
		l->crm_to[e->crm] = e->dir + 1;
		l->dir_to[e->dir] = e->crm + 1;
		l->score[e->crm] = e->score;
	}
	ret = 0;
out:
	free(man);
	free(mine);
	free(cix);
	free(dix);
	return ret;
}

static void links_release(struct links *l)
{
	free(l->crm_to);
	free(l->dir_to);
	free(l->manual);
	free(l->score);
	free(l->forbid);
	memset(l, 0, sizeof(*l));
}

/* ---- outputs ------------------------------------------------------------------ */

static const struct model *order_model;

static int order_cmp(const void *a, const void *b)
{
	const struct rec *x = &order_model->crm.r[*(const uint32_t *)a];
	const struct rec *y = &order_model->crm.r[*(const uint32_t *)b];
	int r = strcmp(order_model->m->objects[x->obj],
		       order_model->m->objects[y->obj]);

	return r ? r : strcmp(x->id, y->id);
}

/* CRM record indexes in output order: object name, then Id. */
static uint32_t *crm_order(const struct model *md)
{
	uint32_t *o = xcalloc(md->crm.n + 1, sizeof(*o));

	for (size_t i = 0; i < md->crm.n; i++)
		o[i] = (uint32_t)i;
	order_model = md;
	sort_array(o, md->crm.n, sizeof(*o), order_cmp);
	return o;
}

/* Opens staged file `name` of schema staged/<schema>. */
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

static const char *outcome(const struct model *md, const struct links *l,
			   uint32_t crm, uint32_t dir, double score,
			   char *buf, size_t size)
{
	if (l->crm_to[crm] == dir + 1)
		return l->manual[crm] ? "linked (manual)" : "linked";
	if (forbidden(l, crm, dir))
		return "unlinked by a manual correction";
	if (l->crm_to[crm]) {
		snprintf(buf, size, "record linked to %s",
			 md->dir.r[l->crm_to[crm] - 1].id);
		return buf;
	}
	if (score < md->m->threshold)
		return "below threshold";
	if (l->dir_to[dir]) {
		snprintf(buf, size, "profile linked to %s",
			 md->crm.r[l->dir_to[dir] - 1].id);
		return buf;
	}
	return "not linked";
}

static int write_outputs(struct model *md, const struct pairs *p,
			 const struct links *l, struct stage *st,
			 struct csv_writer *rate, struct csv_writer *hist,
			 struct match_side_result *res, struct err *err)
{
	static const double bands[] = { 0, 5, 10, 15, 20, 25, 30 };
	enum { NBANDS = sizeof(bands) / sizeof(bands[0]) + 2 };
	int person = strcmp(md->label, "people") == 0;
	char *mname = xasprintf("%s_matches.csv.gz",
				person ? "person" : "account");
	char *cname = xasprintf("%s_candidates.csv.gz",
				person ? "person" : "account");
	uint32_t *order = crm_order(md);
	struct csv_writer *mw = NULL, *cw = NULL;
	struct strbuf desc = STRBUF_INIT;
	int ret = -1;

	mw = open_out(st, mname, person ? "person_matches" : "account_matches",
		      err);
	cw = mw ? open_out(st, cname, "match_candidates", err) : NULL;
	if (!cw)
		goto out;
	for (size_t o = 0; o < md->crm.n; o++) {
		uint32_t c = order[o];
		const struct rec *a = &md->crm.r[c];
		const struct top *t = &p->top[c];
		char score[32], rank[16], buf[160];

		for (unsigned k = 0; k < t->n; k++) {
			const char *v[7];

			describe_pair(md, a, &md->dir.r[t->dir[k]], 1, &desc);
			snprintf(rank, sizeof(rank), "%u", k + 1);
			snprintf(score, sizeof(score), "%.3f", t->score[k]);
			v[0] = md->m->objects[a->obj];
			v[1] = a->id;
			v[2] = rank;
			v[3] = md->dir.r[t->dir[k]].id;
			v[4] = score;
			v[5] = desc.buf;
			v[6] = outcome(md, l, c, t->dir[k], t->score[k], buf,
				       sizeof(buf));
			if (csvw_row(cw, v, NULL, err) < 0)
				goto out;
		}
		if (l->crm_to[c]) {
			const struct rec *b = &md->dir.r[l->crm_to[c] - 1];
			const char *v[6];

			describe_pair(md, a, b, 0, &desc);
			snprintf(score, sizeof(score), "%.3f", l->score[c]);
			v[0] = md->m->objects[a->obj];
			v[1] = a->id;
			v[2] = b->id;
			v[3] = score;
			v[4] = l->manual[c] ? "true" : "false";
			v[5] = desc.buf;
			if (csvw_row(mw, v, NULL, err) < 0)
				goto out;
			res->links++;
			res->manual += l->manual[c];
		}
	}
	if (close_out(st, mw, mname, person ? "person_matches" :
		      "account_matches", err) < 0) {
		mw = NULL;
		goto out;
	}
	mw = NULL;
	if (close_out(st, cw, cname, "match_candidates", err) < 0) {
		cw = NULL;
		goto out;
	}
	cw = NULL;
	/* the report, per CRM object (R23) */
	for (size_t obj = 0; obj < md->m->ncrm; obj++) {
		uint64_t records = 0, matched = 0, manual = 0;
		uint64_t band[NBANDS] = { 0 };
		char r1[24], r2[24], r3[24], r4[24];
		const char *v[5];

		if (!object_used(md, obj))
			continue;

		for (size_t c = 0; c < md->crm.n; c++) {
			const struct top *t = &p->top[c];
			size_t b = 0;

			if (md->crm.r[c].obj != obj)
				continue;
			records++;
			matched += l->crm_to[c] != 0;
			manual += l->manual[c];
			if (!t->n) {
				band[NBANDS - 1]++;
				continue;
			}
			while (b < NBANDS - 2 && t->score[0] >= bands[b])
				b++;
			band[b]++;
		}
		snprintf(r1, sizeof(r1), "%llu", (unsigned long long)records);
		snprintf(r2, sizeof(r2), "%llu", (unsigned long long)matched);
		snprintf(r3, sizeof(r3), "%llu", (unsigned long long)manual);
		snprintf(r4, sizeof(r4), "%.4f",
			 records ? (double)matched / (double)records : 0.0);
		v[0] = md->m->objects[obj];
		v[1] = r1;
		v[2] = r2;
		v[3] = r3;
		v[4] = r4;
		if (csvw_row(rate, v, NULL, err) < 0)
			goto out;
		for (size_t b = 0; b < NBANDS; b++) {
			char name[32], n[24];
			const char *hv[3];

			if (b == 0)
				snprintf(name, sizeof(name), "<%g", bands[0]);
			else if (b == NBANDS - 2)
				snprintf(name, sizeof(name), ">=%g",
					 bands[NBANDS - 3]);
			else if (b == NBANDS - 1)
				snprintf(name, sizeof(name), "none");
			else
				snprintf(name, sizeof(name), "[%g,%g)",
					 bands[b - 1], bands[b]);
			snprintf(n, sizeof(n), "%llu",
				 (unsigned long long)band[b]);
			hv[0] = md->m->objects[obj];
			hv[1] = name;
			hv[2] = n;
			if (csvw_row(hist, hv, NULL, err) < 0)
				goto out;
		}
	}
	ret = 0;
out:
	csvw_abort(mw);
	csvw_abort(cw);
	strbuf_release(&desc);
	free(order);
	free(cname);
	free(mname);
	return ret;
}

/* ---- the stage ---------------------------------------------------------------- */


static void model_init(struct model *md, const struct match_model *m,
		       const char *label)
{
	memset(md, 0, sizeof(*md));
	md->m = m;
	md->label = label;
	md->email_field = -1;
	md->country_field = -1;
	md->cmp_first = -1;
	md->cmp_last = -1;
	for (size_t i = 0; i < m->ncomparisons; i++) {
		if (!strcmp(m->comparisons[i].field, "first_name"))
			md->cmp_first = (int)i;
		if (!strcmp(m->comparisons[i].field, "last_name"))
			md->cmp_last = (int)i;
	}
	for (size_t f = 0; f < m->nfields && f < NF_MAX; f++) {
		md->kind[f] = prep_kind_of(m->fields[f].name);
		if (strcmp(m->fields[f].name, "email") == 0)
			md->email_field = (int)f;
		if (strcmp(m->fields[f].name, "country") == 0)
			md->country_field = (int)f;
	}
}

static void model_release(struct model *md)
{
	side_release(&md->crm);
	side_release(&md->dir);
	for (size_t i = 0; i < md->nlookups; i++) {
		free(md->lookups[i].e);
		arena_release(&md->lookups[i].arena);
	}
	free(md->lookups);
	md->lookups = NULL;
	md->nlookups = 0;
}

/* Reads, from the mirror, the parent values every lookup of the model
 * needs (each distinct parent field once). */
static int load_lookups(struct model *md, const char *state,
			struct stage *st, struct err *err)
{
	size_t alloc = 0;

	for (size_t f = 0; f < md->m->nfields; f++) {
		for (size_t obj = 0; obj < md->m->ncrm; obj++) {
			const struct match_source *src =
				&md->m->fields[f].src[obj];

			for (size_t k = 0; k < src->nfields; k++) {
				const struct schema *ps = src->lookup_schema ?
					src->lookup_schema[k] : NULL;
				int pf = ps ? src->lookup_index[k] : -1;
				struct lookup *l;
				struct csv_reader *r;
				const struct csv_row *row;
				enum csvr_status status;
				char *path, *schema_id;
				char sha[SHA256_HEX_LEN + 1];
				int id_col, known = 0;
				size_t ealloc = 0;

				if (!ps)
					continue;
				for (size_t i = 0; i < md->nlookups; i++)
					known |= md->lookups[i].schema == ps &&
						 md->lookups[i].field == pf;
				if (known)
					continue;
				XGROW(md->lookups, alloc, md->nlookups + 1);
				l = &md->lookups[md->nlookups++];
				memset(l, 0, sizeof(*l));
				l->schema = ps;
				l->field = pf;
				id_col = schema_field_index(ps, "Id");
				path = xasprintf("%s/mirror/%s.csv.gz", state,
						 ps->name);
				r = csvr_open(path, CSVR_GZIP, err);
				if (!r) {
					err_prefix(err, "lookup %s.%s", ps->name,
						   ps->fields[pf].name);
					free(path);
					return -1;
				}
				while ((status = csvr_next(r, &row, err)) ==
				       CSVR_ROW) {
					if ((size_t)pf >= row->nfields ||
					    id_col < 0)
						continue;
					XGROW(l->e, ealloc, l->n + 1);
					l->e[l->n].id = arena_dup(&l->arena,
						row->fields[id_col],
						row->lens[id_col]);
					l->e[l->n].value = arena_dup(&l->arena,
						row->fields[pf],
						row->lens[pf]);
					l->n++;
				}
				schema_id = xasprintf("salesforce/%s",
						      ps->name);
				if (status != CSVR_EOF ||
				    (st && (csvr_sha256_hex(r, sha) < 0 ||
					    stage_add_input(st, path, schema_id,
							    csvr_records(r), 0,
							    csvr_bytes_read(r),
							    sha, err) < 0))) {
					free(schema_id);
					csvr_close(r);
					free(path);
					return -1;
				}
				free(schema_id);
				csvr_close(r);
				free(path);
				sort_array(l->e, l->n, sizeof(*l->e),
					   lookup_cmp);
			}
		}
	}
	return 0;
}

/* Loads both sides of a model: the CRM mirror and the directory file. */
static int load_model(const struct job *job, struct model *md,
		      const char *dir_path, struct stage *st, struct err *err)
{
	char *state = job_state_dir(job);
	int ret = -1;

	if (load_lookups(md, state, st, err) < 0)
		goto out;
	if (md->m->nfields > NF_MAX) {
		err_set(err, ERR_CONFIG, "%s: match.%s maps %zu fields, at most "
			"%d are supported", job->path, md->label,
			md->m->nfields, NF_MAX);
		goto out;
	}
	for (size_t obj = 0; obj < md->m->ncrm; obj++) {
		char *path;

		if (!object_used(md, obj))
			continue;
		path = xasprintf("%s/mirror/%s.csv.gz", state,
				 md->m->objects[obj]);

		if (!fs_exists(path)) {
			err_set(err, ERR_NOINPUT, "match %s: no mirror of %s "
				"('%s'): run the extract first", md->label,
				md->m->objects[obj], path);
			free(path);
			goto out;
		}
		ret = load_file(md, &md->crm, (unsigned)obj, path, st, err);
		free(path);
		if (ret < 0)
			goto out;
		ret = -1;
	}
	if (!dir_path) {
		err_set(err, ERR_CONFIG, "%s: match.%s needs the directory "
			"input '%s'", job->path, md->label,
			md->m->objects[md->m->ncrm]);
		goto out;
	}
	if (load_file(md, &md->dir, (unsigned)md->m->ncrm, dir_path, st,
		      err) < 0)
		goto out;
	ret = 0;
out:
	if (ret < 0)
		err_prefix(err, "match %s", md->label);
	free(state);
	return ret;
}

int match_run(const struct job *job, const struct run *run,
	      struct match_result *res, struct err *err)
{
	const struct job_settings *set = job->settings;
	struct corrections cs = { NULL, 0, 0 };
	struct csv_writer *rate = NULL, *hist = NULL, *rj = NULL, *ua = NULL;
	struct stage *st = NULL;
	struct model models[2];
	char *state = job_state_dir(job);
	char *saved = xasprintf("%s/overrides.csv", state);
	char *rj_path = NULL, *ua_path = NULL;
	int ret = -1, begun;

	memset(res, 0, sizeof(*res));
	model_init(&models[0], &set->people, "people");
	model_init(&models[1], &set->accounts, "accounts");
	begun = stage_begin(run, "match", &st, err);
	if (begun < 0)
		goto out;
	if (begun == 1) {
		res->skipped = 1;
		ret = 0;
		goto out;
	}
	rj_path = stage_path(st, "rejects/overrides.csv.gz");
	ua_path = stage_path(st, "unapplied_corrections.csv.gz");
	if (fs_mkdirs(stage_dir(st), 0755, err) < 0)
		goto out;
	{
		char *rjdir = stage_path(st, "rejects");

		if (fs_mkdirs(rjdir, 0755, err) < 0) {
			free(rjdir);
			goto out;
		}
		free(rjdir);
	}
	/* manual corrections: what earlier runs kept, then what is new */
	if (fs_exists(saved) &&
	    load_corrections(saved, &cs, &rj, rj_path,
			     &res->overrides_rejected, err) < 0)
		goto out;
	if (job->directory.overrides &&
	    load_corrections(job->directory.overrides, &cs, &rj, rj_path,
			     &res->overrides_rejected, err) < 0)
		goto out;
	corrections_dedupe(&cs);
	rate = open_out(st, "match_rate.csv.gz", "match_rate", err);
	hist = rate ? open_out(st, "match_histogram.csv.gz",
			       "match_histogram", err) : NULL;
	if (!hist)
		goto out;
	for (int i = 0; i < 2; i++) {
		struct model *md = &models[i];
		struct match_side_result *sr = i ? &res->accounts : &res->people;
		struct pairs p;
		struct links l;
		int rc;

		if (!md->m->enabled)
			continue;
		memset(&p, 0, sizeof(p));
		memset(&l, 0, sizeof(l));
		sr->enabled = 1;
		if (load_model(job, md, i ? job->directory.companies :
			       job->directory.members, st, err) < 0)
			goto out;
		find_pairs(md, &p);
		rc = resolve(md, &cs, &p, &l, &ua, ua_path,
			     &res->corrections_unapplied, err);
		if (rc == 0)
			rc = write_outputs(md, &p, &l, st, rate, hist, sr, err);
		sr->crm_records = md->crm.n;
		sr->crm_skipped = md->skipped;
		sr->profiles = md->dir.n;
		sr->pairs = p.scored;
		log_info("match %s: %zu CRM records, %zu profiles, %llu pairs "
			 "scored, %llu links (%llu manual)", md->label,
			 md->crm.n, md->dir.n, (unsigned long long)p.scored,
			 (unsigned long long)sr->links,
			 (unsigned long long)sr->manual);
		free(p.e);
		free(p.top);
		links_release(&l);
		model_release(md);
		if (rc < 0)
			goto out;
	}
	if (close_out(st, rate, "match_rate.csv.gz", "match_rate", err) < 0) {
		rate = NULL;
		goto out;
	}
	rate = NULL;
	if (close_out(st, hist, "match_histogram.csv.gz", "match_histogram",
		      err) < 0) {
		hist = NULL;
		goto out;
	}
	hist = NULL;
	if (rj) {
		struct csv_file_info info;

		if (csvw_commit(rj, &info, err) < 0) {
			rj = NULL;
			goto out;
		}
		rj = NULL;
		stage_add_rejects(st, "rejects/overrides.csv.gz",
				  "staged/rejects", &info);
	}
	if (ua) {
		struct csv_file_info info;

		if (csvw_commit(ua, &info, err) < 0) {
			ua = NULL;
			goto out;
		}
		ua = NULL;
		stage_add_output(st, "unapplied_corrections.csv.gz",
				 "staged/unapplied_corrections", &info);
	}
	if (stage_commit(st, err) < 0) {
		st = NULL;
		goto out;
	}
	st = NULL;
	/* corrections persist for every later run (R22) */
	if (corrections_save(saved, &cs, err) < 0)
		goto out;
	ret = 0;
out:
	if (ret < 0 && err && !strstr(err->msg, "match"))
		err_prefix(err, "match");
	csvw_abort(rate);
	csvw_abort(hist);
	csvw_abort(rj);
	csvw_abort(ua);
	stage_abandon(st);
	model_release(&models[0]);
	model_release(&models[1]);
	corrections_release(&cs);
	free(rj_path);
	free(ua_path);
	free(saved);
	free(state);
	return ret;
}

/* ---- explain ------------------------------------------------------------------ */

/* A record of either side whose Id is `id`, or -1. */
static long find_id(const struct side *s, const char *id)
{
	for (size_t i = 0; i < s->n; i++)
		if (strcmp(s->r[i].id, id) == 0)
			return (long)i;
	return -1;
}

/* Blocking rules `a` and `b` share, as "email, phone" (or "none"). */
static void shared_rules(const struct model *md, const struct rec *a,
			 const struct rec *b, struct strbuf *out)
{
	strbuf_reset(out);
	for (size_t rule = 0; rule < md->m->nblocking; rule++) {
		const struct match_blocking *bl = &md->m->blocking[rule];

		if (!rule_hash(md, rule, a) || !rule_hash(md, rule, b) ||
		    !same_block(md, rule, a, b))
			continue;
		if (out->len)
			strbuf_addstr(out, ", ");
		strbuf_addch(out, '[');
		for (size_t k = 0; k < bl->nkeys; k++)
			strbuf_addf(out, "%s%s%s", k ? " " : "",
				    md->m->fields[bl->keys[k]].name,
				    bl->transforms[k] == BT_PHONETIC ?
				    ":phonetic" : bl->transforms[k] ==
				    BT_INITIAL ? ":initial" : "");
		strbuf_addch(out, ']');
	}
	if (!out->len)
		strbuf_addstr(out, "none (never scored by the stage)");
}

static void explain_pair(FILE *out, const struct model *md,
			 const struct links *l, uint32_t c, uint32_t d,
			 struct strbuf *sb)
{
	const struct rec *a = &md->crm.r[c], *b = &md->dir.r[d];
	double w[NF_MAX], sim[NF_MAX], total;
	char buf[160];
	int swapped;

	shared_rules(md, a, b, sb);
	total = pair_weights(md, a, b, w, sim, &swapped);
	fprintf(out, "  %s %s ~ %s\n    blocking rules shared: %s\n",
		md->m->objects[a->obj], a->id, b->id, sb->buf);
	if (swapped)
		fprintf(out, "    (first and last names compared crossed: "
			"they score better that way)\n");
	for (size_t i = 0; i < md->m->ncomparisons; i++) {
		const struct match_comparison *cmp = &md->m->comparisons[i];
		size_t f = cmp->field_index;
		const char *x = a->v[f], *y = b->v[f];

		if ((int)f == md->email_field) {
			x = x ? x : a->hash ? "(hash)" : NULL;
			y = y ? y : b->hash ? "(hash)" : NULL;
		}
		fprintf(out, "    %-16s %-28.28s %-28.28s ", cmp->field,
			x ? x : "-", y ? y : "-");
		if (sim[i] < 0)
			fprintf(out, "missing     %+8.3f\n", w[i]);
		else
			fprintf(out, "sim %6.3f  %+8.3f\n", sim[i], w[i]);
	}
	fprintf(out, "    score %.3f (threshold %.3f): %s\n", total,
		md->m->threshold,
		outcome(md, l, c, d, total, buf, sizeof(buf)));
}

int match_explain(const struct job *job, const char *crm_id,
		  const char *target_id, FILE *out, struct err *err)
{
	const struct job_settings *set = job->settings;
	struct corrections cs = { NULL, 0, 0 };
	struct csv_writer *rj = NULL;
	struct strbuf sb = STRBUF_INIT;
	char *state = job_state_dir(job);
	char *saved = xasprintf("%s/overrides.csv", state);
	char *rj_path = xasprintf("%s/.explain-rejects.csv.gz", state);
	uint64_t rejected = 0;
	int ret = -1, found = 0;

	if (fs_exists(saved) &&
	    load_corrections(saved, &cs, &rj, rj_path, &rejected, err) < 0)
		goto out;
	if (job->directory.overrides &&
	    load_corrections(job->directory.overrides, &cs, &rj, rj_path,
			     &rejected, err) < 0)
		goto out;
	corrections_dedupe(&cs);
	for (int i = 0; i < 2 && !found; i++) {
		const struct match_model *m = i ? &set->accounts : &set->people;
		struct model md;
		struct pairs p;
		struct links l;
		long c = -1, d = -1;

		if (!m->enabled)
			continue;
		model_init(&md, m, i ? "accounts" : "people");
		memset(&p, 0, sizeof(p));
		memset(&l, 0, sizeof(l));
		if (load_model(job, &md, i ? job->directory.companies :
			       job->directory.members, NULL, err) < 0) {
			model_release(&md);
			goto out;
		}
		if (crm_id)
			c = find_id(&md.crm, crm_id);
		if (target_id)
			d = find_id(&md.dir, target_id);
		if ((crm_id && c < 0) || (target_id && d < 0)) {
			model_release(&md);
			continue;
		}
		found = 1;
		find_pairs(&md, &p);
		if (resolve(&md, &cs, &p, &l, &rj, rj_path, &rejected,
			    err) == 0) {
			if (c >= 0 && d < 0) {
				const struct top *t = &p.top[c];

				fprintf(out, "%s %s: %u candidate%s\n",
					m->objects[md.crm.r[c].obj], crm_id,
					t->n, t->n == 1 ? "" : "s");
				if (l.crm_to[c] && l.manual[c])
					fprintf(out, "  linked by a manual "
						"correction to %s\n",
						md.dir.r[l.crm_to[c] - 1].id);
				for (unsigned k = 0; k < t->n; k++)
					explain_pair(out, &md, &l,
						     (uint32_t)c, t->dir[k],
						     &sb);
			} else if (c >= 0) {
				explain_pair(out, &md, &l, (uint32_t)c,
					     (uint32_t)d, &sb);
			} else {
				size_t n = 0;

				fprintf(out, "%s %s:\n",
					m->objects[m->ncrm], target_id);
				for (size_t k = 0; k < p.n; k++)
					if (p.e[k].dir == (uint32_t)d) {
						explain_pair(out, &md, &l,
							     p.e[k].crm,
							     (uint32_t)d, &sb);
						n++;
					}
				if (l.dir_to[d] && l.manual[l.dir_to[d] - 1])
					fprintf(out, "  linked by a manual "
						"correction to %s\n",
						md.crm.r[l.dir_to[d] - 1].id);
				if (!n)
					fprintf(out, "  no CRM record scores "
						"at or above the threshold "
						"%.3f\n", m->threshold);
			}
			ret = 0;
		}
		free(p.e);
		free(p.top);
		links_release(&l);
		model_release(&md);
		if (ret < 0)
			goto out;
	}
	if (!found)
		err_set(err, ERR_NOINPUT, "no CRM record '%s' or profile '%s' "
			"in the job's mirror and directory inputs",
			crm_id ? crm_id : "-", target_id ? target_id : "-");
out:
	csvw_abort(rj);
	strbuf_release(&sb);
	corrections_release(&cs);
	free(rj_path);
	free(saved);
	free(state);
	return found ? ret : -1;
}
