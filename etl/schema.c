/*
 * schema.c - the embedded schemas/ files, parsed and checked, plus the
 * value checks and header binding every CSV reader relies on.
 *
 * The schema files are compiled into the binary (embed.h); a malformed
 * one is a bug in the build, so every problem found here is ERR_SOFTWARE
 * with the file, line and column of the offending node.
 */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "embed.h"
#include "schema.h"
#include "strbuf.h"
#include "xalloc.h"
#include "yaml_tree.h"

/* A loaded schema with what the public struct has no room for.  `s` is
 * first, so a `const struct schema *` handed out can be cast back. */
struct schema_slot {
	struct schema s;
	struct schema_field *fields;
	const char **names;
};

static struct schema_slot *slots;
static size_t nslots;
static int loaded;

static const char *const type_names[] = {
	[FT_ID] = "id",
	[FT_REFERENCE] = "reference",
	[FT_STRING] = "string",
	[FT_TEXTAREA] = "textarea",
	[FT_EMAIL] = "email",
	[FT_PHONE] = "phone",
	[FT_URL] = "url",
	[FT_PICKLIST] = "picklist",
	[FT_BOOLEAN] = "boolean",
	[FT_INT] = "int",
	[FT_DOUBLE] = "double",
	[FT_CURRENCY] = "currency",
	[FT_PERCENT] = "percent",
	[FT_DATE] = "date",
	[FT_DATETIME] = "datetime",
	[FT_SHA256] = "sha256",
};
#define NTYPES (sizeof(type_names) / sizeof(type_names[0]))

static const char *const top_keys[] = {
	"name", "group", "direction", "sobject", "key", "description",
	"fields", NULL
};
static const char *const field_keys[] = {
	"name", "type", "required", "max_length", "description", NULL
};
static const char *const groups[] = {
	"salesforce", "directory", "staged", NULL
};

const char *field_type_name(enum field_type t)
{
	if ((size_t)t < NTYPES && type_names[t])
		return type_names[t];
	return "?";
}

size_t edit_distance(const char *a, const char *b, size_t cap)
{
	size_t la = strlen(a), lb = strlen(b), i, j, best, d;
	size_t *row;

	if ((la > lb ? la - lb : lb - la) > cap)
		return cap + 1;
	row = xcalloc(lb + 1, sizeof(*row));
	for (j = 0; j <= lb; j++)
		row[j] = j;
	for (i = 1; i <= la; i++) {
		size_t diag = row[0];

		row[0] = i;
		best = row[0];
		for (j = 1; j <= lb; j++) {
			size_t up = row[j];

			d = diag + (a[i - 1] != b[j - 1]);
			if (up + 1 < d)
				d = up + 1;
			if (row[j - 1] + 1 < d)
				d = row[j - 1] + 1;
			row[j] = d;
			diag = up;
			if (d < best)
				best = d;
		}
		if (best > cap) {
			free(row);
			return cap + 1;
		}
	}
	d = row[lb];
	free(row);
	return d > cap ? cap + 1 : d;
}

/* Lower-cased copy of `s`, for case-blind suggestions; caller frees. */
static char *lower_dup(const char *s)
{
	char *d = xstrdup(s), *p;

	for (p = d; *p; p++)
		*p = (char)tolower((unsigned char)*p);
	return d;
}

/* The entry of `names` (n of them) closest to `name`, case ignored, when
 * close enough to be a typo; NULL otherwise. */
static const char *suggest(const char *name, const char *const *names,
			   size_t n)
{
	size_t len = strlen(name), cap, i, d, best_d;
	const char *best = NULL;
	char *lname = lower_dup(name);

	cap = len < 3 ? 1 : len < 8 ? 2 : 3;
	best_d = cap + 1;
	for (i = 0; i < n; i++) {
		char *lc = lower_dup(names[i]);

		d = edit_distance(lname, lc, cap);
		free(lc);
		if (d < best_d) {
			best_d = d;
			best = names[i];
		}
	}
	free(lname);
	return best;
}

/* ---- loading ---- */

struct sctx {
	const char *file;
	struct err *err;
};

__attribute__((format(printf, 3, 4)))
static int bad(const struct sctx *c, const struct ynode *n,
	       const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return err_set(c->err, ERR_SOFTWARE, "%s:%d:%d: %s", c->file,
		       n ? n->line : 1, n ? n->col : 1, msg);
}

/* -1 with an error at the first key of `map` not in `allowed`. */
static int check_keys(const struct sctx *c, const struct ynode *map,
		      const char *const *allowed, const char *where)
{
	size_t i, j, n = 0;

	while (allowed[n])
		n++;
	for (i = 0; i < map->n; i++) {
		const struct ynode *k = map->pairs[i].key;
		const char *hint;

		for (j = 0; j < n; j++)
			if (!strcmp(k->str, allowed[j]))
				break;
		if (j < n)
			continue;
		hint = suggest(k->str, allowed, n);
		if (hint)
			return bad(c, k, "unknown key '%s' in %s "
				   "(did you mean '%s'?)", k->str, where, hint);
		return bad(c, k, "unknown key '%s' in %s", k->str, where);
	}
	return 0;
}

/* The scalar under `key`, or NULL (with an error when `required`). */
static int get_str(const struct sctx *c, const struct ynode *map,
		   const char *key, int required, char **out)
{
	const struct ynode *v = ynode_get(map, key);

	*out = NULL;
	if (ynode_is_null(v)) {
		if (required)
			return bad(c, map, "missing key '%s'", key);
		return 0;
	}
	if (v->type != YNODE_SCALAR)
		return bad(c, v, "'%s' must be a scalar, not %s", key,
			   ynode_kind(v));
	*out = xstrdup(v->str);
	return 0;
}

/* One entry of `fields` into `f`; -1 on unknown keys or types. */
static int parse_field(const struct sctx *c, const struct ynode *fn,
		       struct schema_field *f)
{
	const struct ynode *v;
	char *type = NULL, *end;
	size_t t;
	int ret = -1;

	if (fn->type != YNODE_MAPPING)
		return bad(c, fn, "a field must be a mapping, not %s",
			   ynode_kind(fn));
	if (check_keys(c, fn, field_keys, "a field"))
		return -1;
	if (get_str(c, fn, "name", 1, (char **)&f->name) ||
	    get_str(c, fn, "description", 0, (char **)&f->description) ||
	    get_str(c, fn, "type", 1, &type))
		goto out;
	for (t = 0; t < NTYPES; t++)
		if (!strcmp(type, type_names[t]))
			break;
	if (t == NTYPES) {
		const char *hint = suggest(type, type_names, NTYPES);

		v = ynode_get(fn, "type");
		if (hint)
			bad(c, v, "unknown type '%s' (did you mean '%s'?)",
			    type, hint);
		else
			bad(c, v, "unknown type '%s'", type);
		goto out;
	}
	f->type = (enum field_type)t;
	v = ynode_get(fn, "required");
	if (!ynode_is_null(v)) {
		if (v->type != YNODE_SCALAR ||
		    (strcmp(v->str, "true") && strcmp(v->str, "false"))) {
			bad(c, v, "'required' must be true or false");
			goto out;
		}
		f->required = !strcmp(v->str, "true");
	}
	v = ynode_get(fn, "max_length");
	if (!ynode_is_null(v)) {
		unsigned long long n;

		errno = 0;
		n = v->type == YNODE_SCALAR && isdigit((unsigned char)*v->str)
			? strtoull(v->str, &end, 10) : 0;
		if (!n || errno || *end) {
			bad(c, v, "'max_length' must be a positive integer");
			goto out;
		}
		f->max_length = (size_t)n;
	}
	ret = 0;
out:
	free(type);
	return ret;
}

/* Frees what a slot owns and zeroes it; can't fail. */
static void slot_release(struct schema_slot *sl)
{
	size_t i;

	for (i = 0; sl->fields && i < sl->s.nfields; i++) {
		free((char *)sl->fields[i].name);
		free((char *)sl->fields[i].description);
	}
	free(sl->fields);
	free(sl->names);
	free((char *)sl->s.name);
	free((char *)sl->s.group);
	free((char *)sl->s.direction);
	free((char *)sl->s.sobject);
	free((char *)sl->s.key);
	free((char *)sl->s.description);
	free((char *)sl->s.source);
	memset(sl, 0, sizeof(*sl));
}

/* Checks name and group against the file's path schemas/<group>/<name>. */
static int check_path(const struct sctx *c, const struct ynode *root,
		      const struct schema *s)
{
	char *want = xasprintf("schemas/%s/%s.yaml", s->group, s->name);
	int ok = !strcmp(want, c->file);

	free(want);
	if (!ok)
		return bad(c, root, "schema '%s/%s' must live in "
			   "schemas/%s/%s.yaml", s->group, s->name,
			   s->group, s->name);
	return 0;
}

/* Parses and checks one embedded schema file into `sl`; -1 with an
 * ERR_SOFTWARE error naming file:line:col (the slot is then empty). */
static int parse_schema(const struct embedded_file *ef,
			struct schema_slot *sl, struct err *err)
{
	struct sctx c = { ef->path, err };
	struct ydoc *doc;
	const struct ynode *root, *fl;
	struct schema *s = &sl->s;
	size_t i, j;
	int ret = -1;

	memset(sl, 0, sizeof(*sl));
	doc = ydoc_parse(ef->path, ef->data, ef->len, ERR_SOFTWARE, err);
	if (!doc)
		return -1;
	root = doc->root;
	s->source = xstrdup(ef->path);
	if (!root || root->type != YNODE_MAPPING) {
		bad(&c, root, "a schema file must be a mapping");
		goto out;
	}
	if (check_keys(&c, root, top_keys, "a schema") ||
	    get_str(&c, root, "name", 1, (char **)&s->name) ||
	    get_str(&c, root, "group", 1, (char **)&s->group) ||
	    get_str(&c, root, "direction", 0, (char **)&s->direction) ||
	    get_str(&c, root, "sobject", 0, (char **)&s->sobject) ||
	    get_str(&c, root, "key", 0, (char **)&s->key) ||
	    get_str(&c, root, "description", 0, (char **)&s->description))
		goto out;
	for (i = 0; groups[i]; i++)
		if (!strcmp(groups[i], s->group))
			break;
	if (!groups[i]) {
		bad(&c, ynode_get(root, "group"), "unknown group '%s'",
		    s->group);
		goto out;
	}
	if (check_path(&c, root, s))
		goto out;
	if (!strcmp(s->group, "salesforce")) {
		if (!s->direction || (strcmp(s->direction, "read") &&
				      strcmp(s->direction, "write"))) {
			bad(&c, root, "a salesforce schema needs "
			    "'direction: read' or 'direction: write'");
			goto out;
		}
		if (!strcmp(s->direction, "write") && !s->sobject) {
			bad(&c, root, "a write schema needs 'sobject'");
			goto out;
		}
	} else if (s->direction || s->sobject) {
		bad(&c, root, "'direction' and 'sobject' are for salesforce "
		    "schemas only");
		goto out;
	}
	fl = ynode_get(root, "fields");
	if (!fl || fl->type != YNODE_SEQUENCE || !fl->n) {
		bad(&c, fl ? fl : root, "'fields' must be a non-empty list");
		goto out;
	}
	sl->fields = xcalloc(fl->n, sizeof(*sl->fields));
	sl->names = xcalloc(fl->n + 1, sizeof(*sl->names));
	for (i = 0; i < fl->n; i++) {
		s->nfields = i + 1;
		if (parse_field(&c, fl->items[i], &sl->fields[i]))
			goto out;
		for (j = 0; j < i; j++)
			if (!strcmp(sl->fields[j].name, sl->fields[i].name)) {
				bad(&c, fl->items[i], "duplicate field '%s'",
				    sl->fields[i].name);
				goto out;
			}
		sl->names[i] = sl->fields[i].name;
	}
	s->fields = sl->fields;
	if (s->key && schema_field_index(s, s->key) < 0) {
		bad(&c, ynode_get(root, "key"), "key '%s' is not a field",
		    s->key);
		goto out;
	}
	ret = 0;
out:
	if (ret)
		slot_release(sl);
	ydoc_free(doc);
	return ret;
}

static int slot_cmp(const void *a, const void *b)
{
	const struct schema_slot *x = a, *y = b;
	int c = strcmp(x->s.group, y->s.group);

	return c ? c : strcmp(x->s.name, y->s.name);
}

int schemas_load(struct err *err)
{
	size_t i;

	if (loaded)
		return 0;
	slots = xcalloc(embedded_schemas_count + 1, sizeof(*slots));
	for (i = 0; i < embedded_schemas_count; i++) {
		if (parse_schema(&embedded_schemas[i], &slots[i], err)) {
			nslots = i;
			schemas_free();
			return -1;
		}
	}
	nslots = embedded_schemas_count;
	qsort(slots, nslots, sizeof(*slots), slot_cmp);
	for (i = 1; i < nslots; i++)
		if (!slot_cmp(&slots[i - 1], &slots[i])) {
			err_set(err, ERR_SOFTWARE, "%s: schema %s/%s defined "
				"twice", slots[i].s.source, slots[i].s.group,
				slots[i].s.name);
			schemas_free();
			return -1;
		}
	loaded = 1;
	return 0;
}

void schemas_free(void)
{
	size_t i;

	for (i = 0; i < nslots; i++)
		slot_release(&slots[i]);
	free(slots);
	slots = NULL;
	nslots = 0;
	loaded = 0;
}

const struct schema *schema_find(const char *group, const char *name)
{
	size_t i;

	if (schemas_load(NULL))
		return NULL;
	for (i = 0; i < nslots; i++)
		if (!strcmp(slots[i].s.group, group) &&
		    !strcmp(slots[i].s.name, name))
			return &slots[i].s;
	return NULL;
}

size_t schema_count(void)
{
	if (schemas_load(NULL))
		return 0;
	return nslots;
}

const struct schema *schema_at(size_t i)
{
	if (schemas_load(NULL) || i >= nslots)
		return NULL;
	return &slots[i].s;
}

int schema_field_index(const struct schema *s, const char *field)
{
	size_t i;

	for (i = 0; i < s->nfields; i++)
		if (!strcmp(s->fields[i].name, field))
			return (int)i;
	return -1;
}

const char *schema_suggest_field(const struct schema *s, const char *name)
{
	return suggest(name, schema_field_names(s), s->nfields);
}

const char *const *schema_field_names(const struct schema *s)
{
	return ((const struct schema_slot *)s)->names;
}

/* ---- value checks ---- */

/*
 * Counts the code points of `len` bytes of UTF-8; returns (size_t)-1 when
 * they are not valid UTF-8 (overlong forms and surrogates included).
 */
static size_t utf8_count(const unsigned char *p, size_t len)
{
	size_t i = 0, n = 0, k, need;
	unsigned long cp, min;

	while (i < len) {
		unsigned char c = p[i];

		if (c < 0x80) {
			i++;
			n++;
			continue;
		}
		if ((c & 0xe0) == 0xc0) {
			need = 1, cp = c & 0x1f, min = 0x80;
		} else if ((c & 0xf0) == 0xe0) {
			need = 2, cp = c & 0x0f, min = 0x800;
		} else if ((c & 0xf8) == 0xf0) {
			need = 3, cp = c & 0x07, min = 0x10000;
		} else {
			return (size_t)-1;
		}
		if (need >= len - i)
			return (size_t)-1;
		for (k = 1; k <= need; k++) {
			if ((p[i + k] & 0xc0) != 0x80)
				return (size_t)-1;
			cp = (cp << 6) | (p[i + k] & 0x3f);
		}
		if (cp < min || cp > 0x10ffff ||
		    (cp >= 0xd800 && cp <= 0xdfff))
			return (size_t)-1;
		i += need + 1;
		n++;
	}
	return n;
}

static int all_of(const char *v, size_t len, int (*pred)(int))
{
	size_t i;

	for (i = 0; i < len; i++)
		if (!pred((unsigned char)v[i]))
			return 0;
	return 1;
}

static int is_lower_hex(int c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
}

/* Reads exactly `n` digits at v[*i] into *out; 0 or -1. */
static int digits(const char *v, size_t len, size_t *i, int n, int *out)
{
	int k;

	*out = 0;
	for (k = 0; k < n; k++, (*i)++) {
		if (*i >= len || !isdigit((unsigned char)v[*i]))
			return -1;
		*out = *out * 10 + (v[*i] - '0');
	}
	return 0;
}

static int days_in_month(int y, int m)
{
	static const int dm[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31,
				  30, 31 };
	int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;

	return m == 2 && leap ? 29 : dm[m - 1];
}

/* YYYY-MM-DD at v[*i], a real calendar day; advances *i. */
static int parse_date(const char *v, size_t len, size_t *i)
{
	int y, m, d;

	if (digits(v, len, i, 4, &y) || *i >= len || v[(*i)++] != '-' ||
	    digits(v, len, i, 2, &m) || *i >= len || v[(*i)++] != '-' ||
	    digits(v, len, i, 2, &d))
		return -1;
	if (y < 1 || m < 1 || m > 12 || d < 1 || d > days_in_month(y, m))
		return -1;
	return 0;
}

/* 2026-11-29T20:15:00[.000](Z|+0000|+00:00) */
static int check_datetime(const char *v, size_t len)
{
	size_t i = 0;
	int h, mi, s, zh, zm, nfrac = 0;

	if (parse_date(v, len, &i) || i >= len || v[i++] != 'T' ||
	    digits(v, len, &i, 2, &h) || i >= len || v[i++] != ':' ||
	    digits(v, len, &i, 2, &mi) || i >= len || v[i++] != ':' ||
	    digits(v, len, &i, 2, &s))
		return -1;
	if (h > 23 || mi > 59 || s > 59)
		return -1;
	if (i < len && v[i] == '.') {
		for (i++; i < len && isdigit((unsigned char)v[i]); i++)
			nfrac++;
		if (nfrac < 1 || nfrac > 9)
			return -1;
	}
	if (i < len && v[i] == 'Z')
		return i + 1 == len ? 0 : -1;
	if (i >= len || (v[i] != '+' && v[i] != '-'))
		return -1;
	i++;
	if (digits(v, len, &i, 2, &zh))
		return -1;
	if (i < len && v[i] == ':')
		i++;
	if (digits(v, len, &i, 2, &zm) || i != len || zh > 23 || zm > 59)
		return -1;
	return 0;
}

/* [+-]digits[.digits][e[+-]digits], or only the integer part. */
static int check_number(const char *v, size_t len, int integer)
{
	size_t i = 0, nd = 0;

	if (i < len && (v[i] == '+' || v[i] == '-'))
		i++;
	for (; i < len && isdigit((unsigned char)v[i]); i++)
		nd++;
	if (integer)
		return nd && i == len && nd <= 18 ? 0 : -1;
	if (i < len && v[i] == '.')
		for (i++; i < len && isdigit((unsigned char)v[i]); i++)
			nd++;
	if (!nd)
		return -1;
	if (i < len && (v[i] == 'e' || v[i] == 'E')) {
		size_t ne = 0;

		i++;
		if (i < len && (v[i] == '+' || v[i] == '-'))
			i++;
		for (; i < len && isdigit((unsigned char)v[i]); i++)
			ne++;
		if (!ne)
			return -1;
	}
	return i == len ? 0 : -1;
}

static int has_space_or_ctl(const char *v, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if ((unsigned char)v[i] <= ' ' || v[i] == 0x7f)
			return 1;
	return 0;
}

/* One '@' with text on both sides and no blanks; 0 or -1. */
static int check_email(const char *v, size_t len)
{
	const char *at = memchr(v, '@', len);

	if (!at || at == v || at == v + len - 1 ||
	    memchr(at + 1, '@', len - (size_t)(at - v) - 1))
		return -1;
	return has_space_or_ctl(v, len) ? -1 : 0;
}

/* At least one digit and no control characters; 0 or -1. */
static int check_phone(const char *v, size_t len)
{
	size_t i;
	int digit = 0;

	for (i = 0; i < len; i++) {
		if ((unsigned char)v[i] < ' ' || v[i] == 0x7f)
			return -1;
		if (isdigit((unsigned char)v[i]))
			digit = 1;
	}
	return digit ? 0 : -1;
}

static int is_alnum(int c)
{
	return isalnum(c);
}

int field_value_check(enum field_type t, size_t max_length,
		      const char *value, size_t len,
		      char *whybuf, size_t whylen)
{
	const char *what = NULL;
	size_t chars;
	int shown;

	chars = utf8_count((const unsigned char *)value, len);
	if (chars == (size_t)-1) {
		snprintf(whybuf, whylen, "not valid UTF-8");
		return -1;
	}
	if (max_length && chars > max_length) {
		snprintf(whybuf, whylen, "%zu characters, more than the "
			 "%zu allowed", chars, max_length);
		return -1;
	}
	switch (t) {
	case FT_ID:
	case FT_REFERENCE:
		if ((len != 15 && len != 18) || !all_of(value, len, is_alnum))
			what = "not a Salesforce Id";
		break;
	case FT_BOOLEAN:
		if (!(len == 4 && !memcmp(value, "true", 4)) &&
		    !(len == 5 && !memcmp(value, "false", 5)))
			what = "not a boolean (true or false)";
		break;
	case FT_INT:
		if (check_number(value, len, 1))
			what = "not an integer";
		break;
	case FT_DOUBLE:
	case FT_CURRENCY:
	case FT_PERCENT:
		if (check_number(value, len, 0))
			what = "not a number";
		break;
	case FT_DATE: {
		size_t i = 0;

		if (parse_date(value, len, &i) || i != len)
			what = "not a date (YYYY-MM-DD)";
		break;
	}
	case FT_DATETIME:
		if (check_datetime(value, len))
			what = "not a datetime (YYYY-MM-DDThh:mm:ss.sssZ)";
		break;
	case FT_SHA256:
		if (len != 64 || !all_of(value, len, is_lower_hex))
			what = "not a SHA-256 (64 lower-case hex digits)";
		break;
	case FT_EMAIL:
		if (check_email(value, len))
			what = "not an email address";
		break;
	case FT_PHONE:
		if (check_phone(value, len))
			what = "not a phone number";
		break;
	case FT_URL:
		if (has_space_or_ctl(value, len))
			what = "not a URL";
		break;
	case FT_STRING:
	case FT_TEXTAREA:
	case FT_PICKLIST:
		break;
	}
	if (!what)
		return 0;
	shown = len > 40 ? 40 : (int)len;
	snprintf(whybuf, whylen, "%s: '%.*s%s'", what, shown, value,
		 len > 40 ? "..." : "");
	return -1;
}

/* ---- header binding ---- */

int schema_bind_header(const struct schema *s, const char *file,
		       char *const *names, size_t ncols, size_t *map,
		       struct err *err)
{
	struct strbuf sb = STRBUF_INIT;
	const char *const *fnames = schema_field_names(s);
	size_t i, j, nmissing = 0, nunknown = 0;
	int ret = -1;

	for (i = 0; i < ncols; i++)
		for (j = 0; j < i; j++)
			if (!strcmp(names[i], names[j])) {
				err_set(err, ERR_DATA, "'%s' line 1: column "
					"'%s' appears twice", file, names[i]);
				goto out;
			}
	for (i = 0; i < s->nfields; i++) {
		map[i] = (size_t)-1;
		for (j = 0; j < ncols; j++)
			if (!strcmp(names[j], fnames[i]))
				map[i] = j;
		if (map[i] != (size_t)-1)
			continue;
		strbuf_addf(&sb, "%s'%s'", nmissing ? ", " : "", fnames[i]);
		nmissing++;
	}
	if (nmissing) {
		char *list = strbuf_detach(&sb, NULL);

		strbuf_addf(&sb, "'%s' line 1: header lacks field%s %s of "
			    "schema %s/%s", file, nmissing > 1 ? "s" : "",
			    list, s->group, s->name);
		free(list);
	}
	for (j = 0; j < ncols; j++) {
		const char *hint;

		if (schema_field_index(s, names[j]) >= 0)
			continue;
		hint = schema_suggest_field(s, names[j]);
		if (nmissing)
			strbuf_addf(&sb, "%s'%s'", nunknown ? ", " : " (found ",
				    names[j]);
		else if (!nunknown)
			strbuf_addf(&sb, "'%s' line 1: column '%s' is not a "
				    "field of schema %s/%s", file, names[j],
				    s->group, s->name);
		else
			strbuf_addf(&sb, "; nor is column '%s'", names[j]);
		if (hint)
			strbuf_addf(&sb, "%sdid you mean '%s'?%s",
				    nmissing ? ": " : " (", hint,
				    nmissing ? "" : ")");
		nunknown++;
	}
	if (nmissing && nunknown)
		strbuf_addch(&sb, ')');
	if (sb.len) {
		err_set(err, ERR_DATA, "%s", sb.buf);
		goto out;
	}
	ret = 0;
out:
	strbuf_release(&sb);
	return ret;
}
