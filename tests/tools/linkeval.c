/*
 * linkeval.c - precision, recall and F1 of the match stage's one-to-one
 * links against a ground truth (issue 4, item 8).
 *
 *	linkeval --truth truth.csv --matches person_matches.csv.gz
 *	         [--kind person|account] [--object Lead,Contact] [--errors N]
 *	         [--sweep P]
 *
 * The truth has the columns CrmObject, CrmId, Kind and the target either
 * as TargetId (gen_org, tests/datasets) or as MemberId / CompanyPageId
 * (tests/fixtures/demo/truth.csv); Notes is optional.  Kind is match,
 * duplicate, deleted or nonmatch.  The matches are the match stage's
 * staged output (schemas/staged/person_matches.yaml, account_matches.yaml):
 * CrmObject, CrmId, MemberId or CompanyPageId (or TargetId), the rest is
 * ignored; gzip or plain, found by the magic bytes.
 *
 * Scoring, on the rows of the chosen objects only:
 *   TP  a link (CrmObject, CrmId, target) that is a Kind=match truth row
 *   FP  any other link: to a duplicate, deleted or nonmatch truth row, or
 *       to a pair the truth does not list (counted separately); a link
 *       repeated in the file counts once as TP and then as FP
 *   FN  a Kind=match truth row with no link
 * precision = TP/(TP+FP), recall = TP/(TP+FN), F1 their harmonic mean; an
 * empty denominator gives 0.  Rows of other objects are skipped.
 *
 * Entity level: a link from a CRM duplicate of the profile's person (a
 * Kind=duplicate row with the same target) while that person's match
 * record is left unlinked names the right person; R21 links whichever of
 * the duplicates scores best, which the truth cannot know.  The report
 * gives precision and recall counting those as right, on a line of its
 * own ("entity level: ...").
 *
 * Threshold sweep (--sweep P, matches with a Score column): the links
 * that a higher threshold would keep are those scoring at least as much,
 * so ranking them by score (ties kept or dropped together) traces
 * precision against recall at the entity level; the report gives the
 * best recall at precision >= P and the score it takes, or says that no
 * threshold reaches P.  A manual link (Manual true) stays at every
 * threshold: corrections override the model.  Only raising the
 * threshold can be read off the links; lowering it would need the
 * candidates.
 *
 * Output: a short report, up to N false positives and negatives with
 * --errors N (with the truth's Notes), and a last line for scripts:
 *	precision=0.9981 recall=0.9854 f1=0.9917 tp=... fp=... fn=...
 * Exit 0 when the files could be read, 1 when not, 2 on a usage error.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "csvio.h"
#include "errors.h"

enum { K_MATCH, K_DUPLICATE, K_DELETED, K_NONMATCH, K_ABSENT, NKIND };
static const char *const kind_names[NKIND] = {
	"match", "duplicate", "deleted", "nonmatch", "absent",
};

/* ---- an arena of strings and a hash table of string keys ---------------- */

struct arena {
	char *buf;
	size_t len, cap;
};

static void *xrealloc(void *p, size_t n)
{
	p = realloc(p, n ? n : 1);
	if (!p) {
		fputs("linkeval: out of memory\n", stderr);
		exit(1);
	}
	return p;
}

/* Copies s (n bytes) into the arena; returns its offset. */
static size_t arena_add(struct arena *a, const char *s, size_t n)
{
	size_t off = a->len;

	if (a->len + n + 1 > a->cap) {
		while (a->len + n + 1 > a->cap)
			a->cap = a->cap ? a->cap * 2 : 1 << 20;
		a->buf = xrealloc(a->buf, a->cap);
	}
	memcpy(a->buf + a->len, s, n);
	a->buf[a->len + n] = 0;
	a->len += n + 1;
	return off;
}

/* Open addressing, keys are arena offsets, values ints. */
struct table {
	size_t *keys; /* offset + 1; 0 is empty */
	int *vals;
	size_t cap, n;
	struct arena *ar;
};

static uint64_t hash_str(const char *s, size_t n)
{
	uint64_t h = 1469598103934665603ULL;
	size_t i;

	for (i = 0; i < n; i++)
		h = (h ^ (unsigned char)s[i]) * 1099511628211ULL;
	return h ^ (h >> 29);
}

/* frees the table (not its arena); a zeroed table is a no-op */
static void table_release(struct table *t)
{
	free(t->keys);
	free(t->vals);
	t->keys = NULL;
	t->vals = NULL;
}

static void table_init(struct table *t, struct arena *ar)
{
	t->cap = 1024;
	t->n = 0;
	t->ar = ar;
	t->keys = calloc(t->cap, sizeof(*t->keys));
	t->vals = calloc(t->cap, sizeof(*t->vals));
	if (!t->keys || !t->vals) {
		fputs("linkeval: out of memory\n", stderr);
		exit(1);
	}
}

static size_t table_slot(const struct table *t, const char *k, size_t n)
{
	size_t i = (size_t)hash_str(k, n) & (t->cap - 1);

	while (t->keys[i]) {
		const char *s = t->ar->buf + t->keys[i] - 1;

		if (!memcmp(s, k, n) && !s[n])
			break;
		i = (i + 1) & (t->cap - 1);
	}
	return i;
}

/* The value of key k, or -1. */
static int table_get(const struct table *t, const char *k, size_t n)
{
	size_t i = table_slot(t, k, n);

	return t->keys[i] ? t->vals[i] : -1;
}

/* Sets k to v unless it is there already; returns the value now held. */
static int table_put(struct table *t, const char *k, size_t n, int v)
{
	size_t i;

	if ((t->n + 1) * 2 > t->cap) {
		size_t oc = t->cap, j;
		size_t *ok = t->keys;
		int *ov = t->vals;

		t->cap *= 2;
		t->keys = calloc(t->cap, sizeof(*t->keys));
		t->vals = calloc(t->cap, sizeof(*t->vals));
		if (!t->keys || !t->vals) {
			fputs("linkeval: out of memory\n", stderr);
			exit(1);
		}
		for (j = 0; j < oc; j++) {
			const char *s;

			if (!ok[j])
				continue;
			s = t->ar->buf + ok[j] - 1;
			i = table_slot(t, s, strlen(s));
			t->keys[i] = ok[j];
			t->vals[i] = ov[j];
		}
		free(ok);
		free(ov);
	}
	i = table_slot(t, k, n);
	if (t->keys[i])
		return t->vals[i];
	t->keys[i] = arena_add(t->ar, k, n) + 1;
	t->vals[i] = v;
	t->n++;
	return v;
}

/* ---- truth --------------------------------------------------------------- */

struct truth_row {
	int kind;
	int linked;      /* times a link hit it */
	size_t key;      /* arena offset of "obj\tid\ttarget" */
	size_t notes;    /* arena offset */
};

struct eval {
	struct arena ar;
	struct table pairs;  /* obj\tid\ttarget -> truth row */
	struct table crm;    /* obj\tid -> its match row */
	struct table seen_crm, seen_target;
	struct table match_target; /* target -> its match row */
	struct truth_row *rows;
	size_t nrows, caprows;
	const char *objects[8];
	int nobjects;
	int account;         /* --kind account */
};

/* prints an "obj\tid\ttarget" key with spaces */
static void put_key(const char *k)
{
	for (; *k; k++)
		putchar(*k == '\t' ? ' ' : *k);
}

static int object_wanted(const struct eval *e, const char *obj)
{
	int i;

	for (i = 0; i < e->nobjects; i++)
		if (!strcmp(e->objects[i], obj))
			return 1;
	return 0;
}

static int col_of(const struct csv_row *h, const char *name)
{
	size_t i;

	for (i = 0; i < h->nfields; i++)
		if (!strcmp(h->fields[i], name))
			return (int)i;
	return -1;
}

static int parse_kind(const char *s)
{
	int k;

	for (k = 0; k < K_ABSENT; k++)
		if (!strcmp(s, kind_names[k]))
			return k;
	return -1;
}

static size_t make_key(char *buf, size_t n, const char *obj, const char *id,
		       const char *target)
{
	int len = target ? snprintf(buf, n, "%s\t%s\t%s", obj, id, target) :
			   snprintf(buf, n, "%s\t%s", obj, id);

	return len < 0 || (size_t)len >= n ? n - 1 : (size_t)len;
}

/* the target column: TargetId, else MemberId / CompanyPageId */
static int target_col(const struct csv_row *h, int account)
{
	int c = col_of(h, "TargetId");

	if (c < 0)
		c = col_of(h, account ? "CompanyPageId" : "MemberId");
	return c;
}

/* A link's score and whether it names the right person (entity level). */
struct scored_link {
	double score;
	int right;       /* 1 or 0; -1 - row: right unless match row `row`
			  * is linked itself (a duplicate's link) */
};

static int by_score_desc(const void *a, const void *b)
{
	double x = ((const struct scored_link *)a)->score;
	double y = ((const struct scored_link *)b)->score;

	return (x < y) - (x > y);
}

/*
 * Prints the best entity-level recall among the thresholds that keep
 * precision at or above `want` (see the header), of `n` links against
 * `positives` true matches.  Sorts `links`.
 */
static void sweep(struct scored_link *links, size_t n, uint64_t positives,
		  double want)
{
	uint64_t right = 0, best_right = 0;
	size_t i = 0, best_n = 0;
	double best_score = 0;
	int found = 0;

	qsort(links, n, sizeof(*links), by_score_desc);
	while (i < n) {
		double s = links[i].score;

		for (; i < n && links[i].score == s; i++)
			right += (uint64_t)links[i].right;
		/* the highest threshold of the best recall */
		if ((double)right >= want * (double)i &&
		    (!found || right > best_right)) {
			best_right = right;
			best_n = i;
			best_score = s;
			found = 1;
		}
	}
	if (!found) {
		printf("threshold sweep: no threshold keeps precision >= %.4f "
		       "(entity level)\n", want);
		return;
	}
	printf("threshold sweep: recall %.4f at precision >= %.4f (entity "
	       "level): the %zu links scoring >= %.3f, precision %.4f\n",
	       positives ? (double)best_right / (double)positives : 0, want,
	       best_n, best_score, (double)best_right / (double)best_n);
}

static int read_truth(struct eval *e, const char *path)
{
	struct err err = ERR_INIT;
	struct csv_reader *r = csvr_open(path, 0, &err);
	const struct csv_row *h, *row;
	int c_obj, c_id, c_tgt, c_kind, c_notes;
	enum csvr_status st;
	char key[1024];

	if (!r) {
		fprintf(stderr, "linkeval: %s\n", err.msg);
		return -1;
	}
	h = csvr_header(r);
	c_obj = col_of(h, "CrmObject");
	c_id = col_of(h, "CrmId");
	c_kind = col_of(h, "Kind");
	c_notes = col_of(h, "Notes");
	c_tgt = target_col(h, e->account);
	if (c_obj < 0 || c_id < 0 || c_kind < 0 || c_tgt < 0) {
		fprintf(stderr, "linkeval: '%s' lacks CrmObject, CrmId, Kind "
			"or a target column (TargetId, %s)\n", path,
			e->account ? "CompanyPageId" : "MemberId");
		csvr_close(r);
		return -1;
	}
	while ((st = csvr_next(r, &row, &err)) != CSVR_EOF) {
		const char *tgt;
		struct truth_row *t;
		size_t n;
		int kind;

		if (st == CSVR_ERROR) {
			fprintf(stderr, "linkeval: %s\n", err.msg);
			csvr_close(r);
			return -1;
		}
		if (st == CSVR_BADROW) {
			fprintf(stderr, "linkeval: skipped: %s\n", err.msg);
			continue;
		}
		if (!object_wanted(e, row->fields[c_obj]))
			continue;
		tgt = row->fields[c_tgt];
		if (!tgt[0])
			continue; /* demo truth: a row of the other kind */
		kind = parse_kind(row->fields[c_kind]);
		if (kind < 0) {
			fprintf(stderr, "linkeval: '%s' line %llu: unknown Kind "
				"'%s'\n", path, (unsigned long long)row->line,
				row->fields[c_kind]);
			continue;
		}
		n = make_key(key, sizeof(key), row->fields[c_obj],
			     row->fields[c_id], tgt);
		if (table_get(&e->pairs, key, n) >= 0) {
			fprintf(stderr, "linkeval: '%s' line %llu: pair listed "
				"twice, first row kept\n", path,
				(unsigned long long)row->line);
			continue;
		}
		if (e->nrows == e->caprows) {
			e->caprows = e->caprows ? e->caprows * 2 : 4096;
			e->rows = xrealloc(e->rows, e->caprows * sizeof(*e->rows));
		}
		t = &e->rows[e->nrows];
		t->kind = kind;
		t->linked = 0;
		table_put(&e->pairs, key, n, (int)e->nrows);
		t->key = table_slot(&e->pairs, key, n);
		t->key = e->pairs.keys[t->key] - 1;
		t->notes = c_notes >= 0 ?
			   arena_add(&e->ar, row->fields[c_notes],
				     row->lens[c_notes]) : arena_add(&e->ar, "", 0);
		if (kind == K_MATCH) {
			n = make_key(key, sizeof(key), row->fields[c_obj],
				     row->fields[c_id], NULL);
			table_put(&e->crm, key, n, (int)e->nrows);
		}
		e->nrows++;
	}
	csvr_close(r);
	return 0;
}

/* ---- matches ------------------------------------------------------------ */

struct fp {
	size_t key;  /* arena offset of the link, "obj\tid\ttarget" */
	int kind;
	int truth;   /* the CRM record's match row, or -1 */
};

int main(int argc, char **argv)
{
	const char *truth = NULL, *matches = NULL, *objects = NULL;
	long nerrors = 0;
	struct eval e;
	struct err err = ERR_INIT;
	struct csv_reader *r = NULL;
	const struct csv_row *h, *row;
	enum csvr_status st;
	int c_obj, c_id, c_tgt, c_score, c_manual, i;
	double want_precision = -1;
	struct scored_link *scored = NULL;
	size_t nscored = 0, capscored = 0;
	uint64_t tp = 0, fp = 0, fn = 0, links = 0, skipped = 0;
	uint64_t fp_kind[NKIND] = { 0 }, truth_match = 0;
	uint64_t multi_crm = 0, multi_target = 0, dup_right = 0;
	int *dups = NULL;
	size_t ndups = 0, capdups = 0;
	struct fp *fps = NULL;
	size_t nfps = 0, capfps = 0, k;
	char key[1024], *objbuf = NULL;
	double prec, rec, f1;
	int rc = 1;

	memset(&e, 0, sizeof(e));
	for (i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
			puts("usage: linkeval --truth FILE --matches FILE "
			     "[--kind person|account] [--object A,B] "
			     "[--errors N] [--sweep P]");
			return 0;
		}
		if (i + 1 >= argc)
			goto usage;
		if (!strcmp(a, "--truth"))
			truth = argv[++i];
		else if (!strcmp(a, "--matches"))
			matches = argv[++i];
		else if (!strcmp(a, "--object"))
			objects = argv[++i];
		else if (!strcmp(a, "--errors"))
			nerrors = strtol(argv[++i], NULL, 10);
		else if (!strcmp(a, "--sweep")) {
			char *end;

			want_precision = strtod(argv[++i], &end);
			if (*end || !(want_precision > 0) ||
			    want_precision > 1)
				goto usage;
		}
		else if (!strcmp(a, "--kind")) {
			i++;
			if (!strcmp(argv[i], "account"))
				e.account = 1;
			else if (strcmp(argv[i], "person"))
				goto usage;
		} else
			goto usage;
	}
	if (!truth || !matches)
		goto usage;
	if (!objects && e.account)
		objects = "Account";
	if (!objects)
		objects = "Lead,Contact";
	if (!strcmp(objects, "Account"))
		e.account = 1;
	objbuf = strdup(objects);
	if (!objbuf)
		goto out;
	for (objects = strtok(objbuf, ","); objects && e.nobjects < 8;
	     objects = strtok(NULL, ","))
		e.objects[e.nobjects++] = objects;

	table_init(&e.pairs, &e.ar);
	table_init(&e.crm, &e.ar);
	table_init(&e.seen_crm, &e.ar);
	table_init(&e.seen_target, &e.ar);
	arena_add(&e.ar, "", 0);
	if (read_truth(&e, truth))
		goto out;
	table_init(&e.match_target, &e.ar);
	for (k = 0; k < e.nrows; k++) {
		const char *target;
		size_t n;

		if (e.rows[k].kind != K_MATCH)
			continue;
		truth_match++;
		target = strrchr(e.ar.buf + e.rows[k].key, '\t') + 1;
		n = make_key(key, sizeof(key), target, "", NULL);
		table_put(&e.match_target, key, n, (int)k);
	}

	r = csvr_open(matches, 0, &err);
	if (!r) {
		fprintf(stderr, "linkeval: %s\n", err.msg);
		goto out;
	}
	h = csvr_header(r);
	c_obj = col_of(h, "CrmObject");
	c_id = col_of(h, "CrmId");
	c_tgt = col_of(h, "TargetId");
	if (c_tgt < 0)
		c_tgt = col_of(h, e.account ? "CompanyPageId" : "MemberId");
	if (c_tgt < 0)
		c_tgt = col_of(h, e.account ? "MemberId" : "CompanyPageId");
	if (c_obj < 0 || c_id < 0 || c_tgt < 0) {
		fprintf(stderr, "linkeval: '%s' lacks CrmObject, CrmId or "
			"MemberId/CompanyPageId\n", matches);
		goto out;
	}
	c_score = col_of(h, "Score");
	c_manual = col_of(h, "Manual");
	if (want_precision > 0 && c_score < 0) {
		fprintf(stderr, "linkeval: --sweep: '%s' has no Score "
			"column\n", matches);
		goto out;
	}
	while ((st = csvr_next(r, &row, &err)) != CSVR_EOF) {
		size_t n;
		int t, kind;

		if (st == CSVR_ERROR) {
			fprintf(stderr, "linkeval: %s\n", err.msg);
			goto out;
		}
		if (st == CSVR_BADROW) {
			fprintf(stderr, "linkeval: skipped: %s\n", err.msg);
			continue;
		}
		if (!object_wanted(&e, row->fields[c_obj])) {
			skipped++;
			continue;
		}
		if (!row->fields[c_tgt][0]) {
			skipped++;
			continue;
		}
		links++;
		n = make_key(key, sizeof(key), row->fields[c_obj],
			     row->fields[c_id], NULL);
		if (table_put(&e.seen_crm, key, n, (int)links) != (int)links)
			multi_crm++;
		n = make_key(key, sizeof(key), row->fields[c_tgt], "", NULL);
		if (table_put(&e.seen_target, key, n, (int)links) != (int)links)
			multi_target++;
		n = make_key(key, sizeof(key), row->fields[c_obj],
			     row->fields[c_id], row->fields[c_tgt]);
		t = table_get(&e.pairs, key, n);
		kind = t < 0 ? K_ABSENT : e.rows[t].kind;
		if (want_precision > 0) {
			if (nscored == capscored) {
				capscored = capscored ? 2 * capscored : 1024;
				scored = xrealloc(scored, capscored *
						  sizeof(*scored));
			}
			scored[nscored].score =
				c_manual >= 0 &&
				!strcmp(row->fields[c_manual], "true") ?
				INFINITY : strtod(row->fields[c_score], NULL);
			scored[nscored++].right = kind == K_MATCH &&
						  !e.rows[t].linked;
		}
		if (kind == K_MATCH && !e.rows[t].linked++) {
			tp++;
			continue;
		}
		fp++;
		fp_kind[kind]++;
		if (kind == K_DUPLICATE) {
			n = make_key(key, sizeof(key), row->fields[c_tgt], "",
				     NULL);
			t = table_get(&e.match_target, key, n);
			if (t >= 0 && want_precision > 0)
				scored[nscored - 1].right = -1 - t;
			if (t >= 0) {
				if (ndups == capdups) {
					capdups = capdups ? 2 * capdups : 64;
					dups = xrealloc(dups, capdups *
							sizeof(*dups));
				}
				dups[ndups++] = t;
			}
		}
		if ((long)nfps < nerrors) {
			if (nfps == capfps) {
				capfps = capfps ? capfps * 2 : 64;
				fps = xrealloc(fps, capfps * sizeof(*fps));
			}
			/* the pair's key again: a duplicate's made the
			 * target's own above */
			n = make_key(key, sizeof(key), row->fields[c_obj],
				     row->fields[c_id], row->fields[c_tgt]);
			fps[nfps].key = arena_add(&e.ar, key, n);
			fps[nfps].kind = kind;
			n = make_key(key, sizeof(key), row->fields[c_obj],
				     row->fields[c_id], NULL);
			fps[nfps].truth = table_get(&e.crm, key, n);
			nfps++;
		}
	}
	csvr_close(r);
	r = NULL;
	fn = truth_match - tp;
	/* entity level: a duplicate's link stands for its person's match
	 * row when that row is not linked itself */
	for (k = 0; k < ndups; k++)
		dup_right += !e.rows[dups[k]].linked;

	prec = tp + fp ? (double)tp / (double)(tp + fp) : 0;
	rec = tp + fn ? (double)tp / (double)(tp + fn) : 0;
	f1 = prec + rec > 0 ? 2 * prec * rec / (prec + rec) : 0;

	for (i = 1; i < e.nobjects; i++)
		objbuf[strlen(objbuf)] = ','; /* undo strtok for the report */
	printf("linkeval: %s links of %s\n", e.account ? "account" : "person",
	       objbuf);
	printf("  truth    %s: %llu match rows (%llu rows in all)\n", truth,
	       (unsigned long long)truth_match, (unsigned long long)e.nrows);
	printf("  matches  %s: %llu links (%llu rows of other objects or "
	       "without a target skipped)\n", matches,
	       (unsigned long long)links, (unsigned long long)skipped);
	printf("  TP %llu  FP %llu  FN %llu\n", (unsigned long long)tp,
	       (unsigned long long)fp, (unsigned long long)fn);
	printf("  false positives by truth kind: duplicate %llu, deleted %llu,"
	       " nonmatch %llu, not in truth %llu, repeated match %llu\n",
	       (unsigned long long)fp_kind[K_DUPLICATE],
	       (unsigned long long)fp_kind[K_DELETED],
	       (unsigned long long)fp_kind[K_NONMATCH],
	       (unsigned long long)fp_kind[K_ABSENT],
	       (unsigned long long)fp_kind[K_MATCH]);
	if (multi_crm || multi_target)
		printf("  warning: not one-to-one: %llu CRM records and %llu "
		       "targets are linked more than once\n",
		       (unsigned long long)multi_crm,
		       (unsigned long long)multi_target);
	if (nerrors > 0) {
		long shown = 0;

		printf("false positives (CrmObject CrmId Target: truth kind; "
		       "the record's true target):\n");
		for (k = 0; k < nfps; k++) {
			const char *tk = fps[k].truth >= 0 ?
				e.ar.buf + e.rows[fps[k].truth].key : NULL;

			fputs("  FP ", stdout);
			put_key(e.ar.buf + fps[k].key);
			printf(": %s", kind_names[fps[k].kind]);
			if (tk)
				printf("; true %s", strrchr(tk, '\t') + 1);
			putchar('\n');
		}
		printf("false negatives (CrmObject CrmId Target: notes):\n");
		for (k = 0; k < e.nrows && shown < nerrors; k++) {
			if (e.rows[k].kind != K_MATCH || e.rows[k].linked)
				continue;
			fputs("  FN ", stdout);
			put_key(e.ar.buf + e.rows[k].key);
			printf(": %s\n", e.ar.buf + e.rows[k].notes);
			shown++;
		}
	}
	{
		uint64_t etp = tp + dup_right, efp = fp - dup_right,
			 efn = fn - dup_right;
		double ep = etp + efp ? (double)etp / (double)(etp + efp) : 0;
		double er = etp + efn ? (double)etp / (double)(etp + efn) : 0;

		printf("entity level (a CRM duplicate's link names the right "
		       "person): precision %.4f recall %.4f f1 %.4f\n", ep, er,
		       ep + er > 0 ? 2 * ep * er / (ep + er) : 0);
	}
	if (want_precision > 0) {
		for (k = 0; k < nscored; k++)
			if (scored[k].right < 0)
				scored[k].right =
					!e.rows[-1 - scored[k].right].linked;
		sweep(scored, nscored, truth_match, want_precision);
	}
	printf("precision=%.4f recall=%.4f f1=%.4f tp=%llu fp=%llu fn=%llu\n",
	       prec, rec, f1, (unsigned long long)tp, (unsigned long long)fp,
	       (unsigned long long)fn);
	rc = 0;
out:
	if (r)
		csvr_close(r);
	free(objbuf);
	free(fps);
	free(scored);
	free(dups);
	table_release(&e.match_target);
	free(e.rows);
	table_release(&e.pairs);
	table_release(&e.crm);
	table_release(&e.seen_crm);
	table_release(&e.seen_target);
	free(e.ar.buf);
	return rc;

usage:
	fputs("usage: linkeval --truth FILE --matches FILE "
	      "[--kind person|account] [--object A,B] [--errors N] "
	      "[--sweep P]\n", stderr);
	return 2;
}
