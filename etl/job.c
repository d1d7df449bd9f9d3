/*
 * job.c - the job file (jobs/NAME.yaml) read into a validated struct job.
 *
 * The file is parsed into a yaml_tree first; each mapping level is then
 * walked against a table of the keys it allows (struct keydef), which
 * gives every level the same treatment: unknown keys with a "did you
 * mean", wrong types, missing required keys, all as
 * "file:line:col: message" with ERR_CONFIG.  Sections that refer to
 * each other (objects, match fields, blocking, comparisons) are checked
 * after the walk, in a fixed order, so errors do not depend on the order
 * of keys in the file.  docs/job-file.md documents every key.
 */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fsutil.h"
#include "job.h"
#include "strbuf.h"
#include "xalloc.h"
#include "yaml_tree.h"

/* ---- defaults (docs/job-file.md) ---- */
#define DEF_STAGING_ROOT "staging"
#define DEF_LOGIN_URL "https://login.salesforce.com"
#define DEF_API_VERSION "62.0"
#define DEF_LOOKBACK 300L
#define DEF_PAGE_SIZE 50000L
#define DEF_RETRY_BASE_MS 500L
#define DEF_POLL_INTERVAL_MS 1000L
#define DEF_POLL_TIMEOUT 3600L
#define DEF_BUDGET_SHARE 0.5
#define DEF_TIMEOUT 60L
#define DEF_RETRIES 5L
#define DEF_INTERVAL_HOURS 12L
#define DEF_MAX_REJECTS 100L
#define DEF_TASK_STATUS "Completed"
#define DEF_WB_INTERVAL 5L
#define DEF_REVENUE_FIELD "Amount"

static const char *const read_objects[] = {
	"Lead", "Contact", "Account", "Opportunity",
	"OpportunityContactRole", "User", "UserRole", NULL
};

static const char *const wb_names[WB_NTYPES + 1] = {
	"InMail", "Message", "Call", "Note", "PointDrive", NULL
};

static const char *const method_names[] = {
	[MM_EXACT] = "exact",
	[MM_JARO_WINKLER] = "jaro_winkler",
	[MM_LEVENSHTEIN] = "levenshtein",
	[MM_TOKEN_SET] = "token_set",
	[MM_PHONETIC] = "phonetic",
	[MM_EMAIL] = "email",
	[MM_PHONE] = "phone",
	NULL
};

static const char *const people_fields[] = {
	"first_name", "last_name", "email", "phone", "title", "company",
	"previous_company", "domain", "city", "state", "country", NULL
};

static const char *const account_fields[] = {
	"name", "website", "phone", "industry", "employee_count", "street",
	"city", "state", "postal_code", "country", NULL
};

const char *wb_type_name(enum wb_type t)
{
	return (unsigned)t < WB_NTYPES ? wb_names[t] : "?";
}

int job_user_listed(const struct job_user *users, size_t n,
		    const char *email, const char *id)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (users[i].is_id && id && !strcmp(users[i].value, id))
			return 1;
		if (!users[i].is_id && email &&
		    !strcasecmp(users[i].value, email))
			return 1;
	}
	return 0;
}

/* ---- context and messages ---- */

struct jctx {
	const char *file;  /* job file, for messages */
	const char *dir;   /* its directory, for relative paths */
	struct err *err;
};

__attribute__((format(printf, 3, 4)))
static int jerr(const struct jctx *c, const struct ynode *n,
		const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return err_set(c->err, ERR_CONFIG, "%s:%d:%d: %s", c->file,
		       n ? n->line : 1, n ? n->col : 1, msg);
}

static size_t count_names(const char *const *names)
{
	size_t n = 0;

	while (names[n])
		n++;
	return n;
}

/* Index of `name` in the NULL-terminated `names`, or -1. */
static int name_index(const char *const *names, const char *name)
{
	size_t i;

	for (i = 0; names[i]; i++)
		if (!strcmp(names[i], name))
			return (int)i;
	return -1;
}

/* Closest of the NULL-terminated `names` to `name`, or NULL. */
static const char *did_you_mean(const char *name, const char *const *names)
{
	size_t len = strlen(name), cap = len < 3 ? 1 : len < 8 ? 2 : 3;
	size_t i, d, best_d = cap + 1;
	const char *best = NULL;

	for (i = 0; names[i]; i++) {
		d = edit_distance(name, names[i], cap);
		if (d < best_d) {
			best_d = d;
			best = names[i];
		}
	}
	return best;
}

/* " (did you mean 'x'?)" or "", in a static buffer good until next call */
static const char *hint(const char *name, const char *const *names)
{
	static char buf[160];
	const char *h = did_you_mean(name, names);

	if (!h)
		return "";
	snprintf(buf, sizeof(buf), " (did you mean '%s'?)", h);
	return buf;
}

/* "a.b" from prefix "a" and key "b"; caller frees. */
static char *key_path(const char *prefix, const char *key)
{
	return *prefix ? xasprintf("%s.%s", prefix, key) : xstrdup(key);
}

/*
 * The text of scalar `n` with ${NAME} replaced by the environment
 * variable NAME ($${ stays a literal ${).  Fails when `n` is not a
 * scalar, a variable is unset or a reference is malformed; the error
 * names the variable, never its value.  Caller frees *out.
 */
static int scalar(const struct jctx *c, const struct ynode *n,
		  const char *what, char **out)
{
	struct strbuf sb = STRBUF_INIT;
	const char *p, *end, *val;
	char *name;

	*out = NULL;
	if (n->type != YNODE_SCALAR)
		return jerr(c, n, "expected a scalar for '%s', got %s", what,
			    ynode_kind(n));
	for (p = n->str; *p; p++) {
		if (p[0] == '$' && p[1] == '$' && p[2] == '{') {
			strbuf_addstr(&sb, "${");
			p += 2;
			continue;
		}
		if (p[0] != '$' || p[1] != '{') {
			strbuf_addch(&sb, *p);
			continue;
		}
		end = strchr(p + 2, '}');
		if (!end || end == p + 2 ||
		    isdigit((unsigned char)p[2]) ||
		    strspn(p + 2, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnop"
			   "qrstuvwxyz0123456789_") != (size_t)(end - p - 2)) {
			strbuf_release(&sb);
			return jerr(c, n, "malformed variable reference in "
				    "'%s' (write ${NAME}, or $${ for a "
				    "literal ${)", what);
		}
		name = xstrndup(p + 2, (size_t)(end - p - 2));
		val = getenv(name);
		if (!val) {
			jerr(c, n, "environment variable '%s' is not set "
			     "(used by '%s')", name, what);
			free(name);
			strbuf_release(&sb);
			return -1;
		}
		free(name);
		strbuf_addstr(&sb, val);
		p = end;
	}
	*out = strbuf_detach(&sb, NULL);
	return 0;
}

/* `value` resolved against the job file's directory; caller frees. */
static char *resolve(const struct jctx *c, const char *value)
{
	if (value[0] == '/' || !strcmp(c->dir, "."))
		return xstrdup(value);
	return xasprintf("%s/%s", c->dir, value);
}

/* The raw text of `n` for "got '...'" (never substituted: a secret from
 * the environment must not reach a message). */
static const char *shown(const struct ynode *n)
{
	static char buf[72];

	snprintf(buf, sizeof(buf), "%.60s%s", n->str,
		 n->len > 60 ? "..." : "");
	return buf;
}

/* ---- the key tables ---- */

enum vk {
	VK_STR,    /* char *, non-empty */
	VK_SECRET, /* char *, must be a ${VAR} reference */
	VK_PATH,   /* char *, resolved against the job's directory */
	VK_BOOL,   /* int, true | false */
	VK_LONG,   /* long within [min, max] */
	VK_DOUBLE, /* double within [min, max] */
	VK_NODE,   /* const struct ynode *, checked by the caller */
	VK_SKIP,   /* allowed here, read by the caller with ynode_get() */
};

#define KF_REQUIRED 1u

struct keydef {
	const char *name;
	enum vk kind;
	unsigned flags;
	size_t off;
	double min, max;
};

#define K(name, kind, flags, type, member) \
	{ name, kind, flags, offsetof(type, member), 0, 0 }
#define KR(name, kind, type, member, lo, hi) \
	{ name, kind, 0, offsetof(type, member), lo, hi }
#define KS(name, flags) { name, VK_SKIP, flags, 0, 0, 0 }
#define KEND { NULL, VK_NODE, 0, 0, 0, 0 }

/* Parses `text` as a decimal long in [lo, hi] into *out; -1 with an
 * error at `n` otherwise. */
static int set_long(const struct jctx *c, const struct ynode *n,
		    const char *what, const char *text, double lo, double hi,
		    long *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(text, &end, 10);
	if (!*text || *end || errno || isspace((unsigned char)*text))
		return jerr(c, n, "expected an integer for '%s', got '%s'",
			    what, shown(n));
	if (v < lo || v > hi)
		return jerr(c, n, "'%s' must be between %.0f and %.0f, "
			    "got %ld", what, lo, hi, v);
	*out = v;
	return 0;
}

/* Parses `text` as a finite number in [lo, hi] into *out; -1 with an
 * error at `n` otherwise. */
static int set_double(const struct jctx *c, const struct ynode *n,
		      const char *what, const char *text, double lo,
		      double hi, double *out)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(text, &end);
	if (!*text || *end || errno || !isfinite(v) ||
	    isspace((unsigned char)*text) || isalpha((unsigned char)*text))
		return jerr(c, n, "expected a number for '%s', got '%s'",
			    what, shown(n));
	if (v < lo || v > hi)
		return jerr(c, n, "'%s' must be between %g and %g, got %g",
			    what, lo, hi, v);
	*out = v;
	return 0;
}

/* Converts one value `n` per `d` into base + d->off. */
static int set_value(const struct jctx *c, const struct keydef *d,
		     const struct ynode *n, const char *what, char *base)
{
	void *dst = base + d->off;
	char *text = NULL;
	int ret = -1;

	if (d->kind == VK_SKIP)
		return 0;
	if (d->kind == VK_NODE) {
		*(const struct ynode **)dst = n;
		return 0;
	}
	if (n->type != YNODE_SCALAR) {
		static const char *const kinds[] = {
			"a string", "a string", "a path", "a boolean",
			"an integer", "a number"
		};
		return jerr(c, n, "expected %s for '%s', got %s",
			    kinds[d->kind], what, ynode_kind(n));
	}
	if (d->kind == VK_SECRET && !strstr(n->str, "${"))
		return jerr(c, n, "'%s' is a secret: write ${NAME} and set "
			    "NAME in the environment, never the secret "
			    "itself", what);
	if (scalar(c, n, what, &text))
		return -1;
	switch (d->kind) {
	case VK_STR:
	case VK_SECRET:
	case VK_PATH:
		if (!*text) {
			jerr(c, n, "'%s' must not be empty", what);
			goto out;
		}
		free(*(char **)dst);
		if (d->kind == VK_PATH) {
			*(char **)dst = resolve(c, text);
		} else {
			*(char **)dst = text;
			text = NULL;
		}
		break;
	case VK_BOOL:
		if (strcmp(text, "true") && strcmp(text, "false")) {
			jerr(c, n, "expected a boolean (true or false) for "
			     "'%s', got '%s'", what, shown(n));
			goto out;
		}
		*(int *)dst = !strcmp(text, "true");
		break;
	case VK_LONG:
		if (set_long(c, n, what, text, d->min, d->max, dst))
			goto out;
		break;
	case VK_DOUBLE:
		if (set_double(c, n, what, text, d->min, d->max, dst))
			goto out;
		break;
	case VK_NODE:
	case VK_SKIP:
		break;
	}
	ret = 0;
out:
	free(text);
	return ret;
}

/*
 * Walks mapping `map` (the value of key path `path`, "" at the top)
 * against `defs`: every key must be in the table, every value of the
 * right type, every KF_REQUIRED key present and not null.  Null values
 * leave the destination at its default.
 */
static int walk(const struct jctx *c, const struct ynode *map,
		const char *path, const struct keydef *defs, void *base)
{
	const char *names[40];
	size_t nd = 0, i, j;
	char *what;
	int ret;

	if (map->type != YNODE_MAPPING) {
		if (*path)
			return jerr(c, map, "expected a mapping for '%s', "
				    "got %s", path, ynode_kind(map));
		return jerr(c, map, "a job file must be a mapping, not %s",
			    ynode_kind(map));
	}
	while (defs[nd].name && nd + 1 < sizeof(names) / sizeof(names[0])) {
		names[nd] = defs[nd].name;
		nd++;
	}
	names[nd] = NULL;
	for (i = 0; i < map->n; i++) {
		const struct ynode *k = map->pairs[i].key;
		const struct ynode *v = map->pairs[i].value;

		for (j = 0; j < nd; j++)
			if (!strcmp(k->str, defs[j].name))
				break;
		if (j == nd) {
			if (*path)
				return jerr(c, k, "unknown key '%s' in "
					    "'%s'%s", k->str, path,
					    hint(k->str, names));
			return jerr(c, k, "unknown key '%s'%s", k->str,
				    hint(k->str, names));
		}
		if (ynode_is_null(v))
			continue;
		what = key_path(path, k->str);
		ret = set_value(c, &defs[j], v, what, base);
		free(what);
		if (ret)
			return -1;
	}
	for (j = 0; j < nd; j++) {
		if (!(defs[j].flags & KF_REQUIRED) ||
		    !ynode_is_null(ynode_get(map, defs[j].name)))
			continue;
		if (*path)
			return jerr(c, map, "missing required key '%s' in "
				    "'%s'", defs[j].name, path);
		return jerr(c, map, "missing required key '%s'",
			    defs[j].name);
	}
	return 0;
}

/* Node of `key` in `map` for messages: the key itself when present. */
static const struct ynode *key_node(const struct ynode *map, const char *key)
{
	size_t i;

	for (i = 0; map && map->type == YNODE_MAPPING && i < map->n; i++)
		if (!strcmp(map->pairs[i].key->str, key))
			return map->pairs[i].key;
	return map;
}

/* Reads an enum value: `n` must be one of `names`; *out its index. */
static int enum_value(const struct jctx *c, const struct ynode *n,
		      const char *what, const char *const *names, int *out)
{
	struct strbuf sb = STRBUF_INIT;
	char *text;
	size_t i;
	int idx;

	if (scalar(c, n, what, &text))
		return -1;
	idx = name_index(names, text);
	if (idx >= 0) {
		*out = idx;
		free(text);
		return 0;
	}
	for (i = 0; names[i]; i++)
		strbuf_addf(&sb, "%s%s", i ? ", " : "", names[i]);
	jerr(c, n, "unknown value '%s' for '%s'%s; expected one of: %s",
	     shown(n), what, hint(text, names), sb.buf);
	free(text);
	strbuf_release(&sb);
	return -1;
}

/* ---- sections ---- */

struct top_nodes {
	const struct ynode *job, *staging, *source, *sync, *objects,
		*directory, *match, *autosave, *writeback, *roi, *security;
};

static const struct keydef top_keys[] = {
	K("job", VK_NODE, KF_REQUIRED, struct top_nodes, job),
	K("staging", VK_NODE, 0, struct top_nodes, staging),
	K("source", VK_NODE, KF_REQUIRED, struct top_nodes, source),
	K("sync", VK_NODE, 0, struct top_nodes, sync),
	K("objects", VK_NODE, 0, struct top_nodes, objects),
	K("directory", VK_NODE, 0, struct top_nodes, directory),
	K("match", VK_NODE, 0, struct top_nodes, match),
	K("autosave", VK_NODE, 0, struct top_nodes, autosave),
	K("writeback", VK_NODE, 0, struct top_nodes, writeback),
	K("roi", VK_NODE, 0, struct top_nodes, roi),
	K("security", VK_NODE, 0, struct top_nodes, security),
	KEND
};

static const struct keydef job_keys[] = {
	K("name", VK_STR, KF_REQUIRED, struct job, name),
	KEND
};

static const struct keydef staging_keys[] = {
	K("root", VK_PATH, 0, struct job, staging_root),
	KEND
};

static const struct keydef sync_keys[] = {
	KR("interval_hours", VK_LONG, struct job, sync_interval_hours,
	   1, 24 * 7),
	KR("max_rejects", VK_LONG, struct job, max_rejects, -1, 1e9),
	KEND
};

static const struct keydef security_keys[] = {
	K("encryption_key_file", VK_PATH, 0, struct job,
	  encryption_key_file),
	KEND
};

static const struct keydef directory_keys[] = {
	K("members", VK_PATH, 0, struct job_directory, members),
	K("companies", VK_PATH, 0, struct job_directory, companies),
	K("seats", VK_PATH, 0, struct job_directory, seats),
	K("activities", VK_PATH, 0, struct job_directory, activities),
	K("overrides", VK_PATH, 0, struct job_directory, overrides),
	KEND
};

static const struct keydef source_keys[] = {
	KS("kind", KF_REQUIRED),
	K("dir", VK_PATH, 0, struct job_source, fixture_dir),
	KS("auth", 0),
	K("login_url", VK_STR, 0, struct job_source, login_url),
	K("api_version", VK_STR, 0, struct job_source, api_version),
	K("ca_file", VK_PATH, 0, struct job_source, ca_file),
	KR("lookback_seconds", VK_LONG, struct job_source, lookback_seconds,
	   0, 7 * 86400),
	KR("page_size", VK_LONG, struct job_source, page_size, 0, 1e8),
	KR("api_budget_share", VK_DOUBLE, struct job_source,
	   api_budget_share, 0.01, 1),
	KR("timeout_seconds", VK_LONG, struct job_source, timeout_seconds,
	   1, 3600),
	KR("max_retries", VK_LONG, struct job_source, max_retries, 0, 100),
	KR("retry_base_ms", VK_LONG, struct job_source, retry_base_ms, 1,
	   60000),
	KR("poll_interval_ms", VK_LONG, struct job_source, poll_interval_ms,
	   1, 60000),
	KR("poll_timeout_seconds", VK_LONG, struct job_source,
	   poll_timeout_seconds, 1, 86400),
	KEND
};

static const struct keydef auth_keys[] = {
	KS("flow", KF_REQUIRED),
	K("client_id", VK_STR, KF_REQUIRED, struct job_source, client_id),
	K("username", VK_STR, 0, struct job_source, username),
	K("private_key_file", VK_PATH, 0, struct job_source,
	  private_key_file),
	K("client_secret", VK_SECRET, 0, struct job_source, client_secret),
	K("refresh_token_file", VK_PATH, 0, struct job_source,
	  refresh_token_file),
	KEND
};

/* http:// only to loopback (tests); otherwise https:// (R3). */
static int check_login_url(const struct jctx *c, const struct ynode *n,
			   const char *url)
{
	static const char *const loopback[] = {
		"http://127.0.0.1", "http://localhost", "http://[::1]", NULL
	};
	size_t i, l;

	if (!strncmp(url, "https://", 8) && url[8] && url[8] != '/')
		return 0;
	for (i = 0; loopback[i]; i++) {
		l = strlen(loopback[i]);
		if (!strncmp(url, loopback[i], l) &&
		    (!url[l] || url[l] == ':' || url[l] == '/'))
			return 0;
	}
	return jerr(c, n, "'source.login_url' must be an https:// URL "
		    "(plain http is allowed to loopback only), got '%s'",
		    shown(n));
}

/* Fills the auth fields of `src` from `source.auth` and checks that the
 * chosen flow has what it needs; -1 with an error otherwise. */
static int parse_auth(const struct jctx *c, const struct ynode *an,
		      struct job_source *src)
{
	static const char *const flows[] = {
		"jwt", "refresh_token", "client_credentials", NULL
	};
	int flow;

	if (walk(c, an, "source.auth", auth_keys, src) ||
	    enum_value(c, ynode_get(an, "flow"), "source.auth.flow", flows,
		       &flow))
		return -1;
	src->auth_flow = (enum auth_flow)flow;
	switch (src->auth_flow) {
	case AUTH_JWT:
		if (!src->username || !src->private_key_file)
			return jerr(c, an, "'source.auth' flow jwt needs "
				    "'username' and 'private_key_file'");
		break;
	case AUTH_REFRESH_TOKEN:
		if (!src->refresh_token_file)
			return jerr(c, an, "'source.auth' flow refresh_token "
				    "needs 'refresh_token_file'");
		break;
	case AUTH_CLIENT_CREDENTIALS:
		if (!src->client_secret)
			return jerr(c, an, "'source.auth' flow "
				    "client_credentials needs "
				    "'client_secret'");
		break;
	}
	return 0;
}

/* Fills `src` (defaults first) from the `source` mapping; -1 with an
 * error on any unknown key, bad value or kind/key mismatch. */
static int parse_source(const struct jctx *c, const struct ynode *sn,
			struct job_source *src)
{
	static const char *const kinds[] = { "fixture", "salesforce", NULL };
	const struct ynode *v, *auth;
	int kind;

	src->login_url = xstrdup(DEF_LOGIN_URL);
	src->api_version = xstrdup(DEF_API_VERSION);
	src->lookback_seconds = DEF_LOOKBACK;
	src->page_size = DEF_PAGE_SIZE;
	src->api_budget_share = DEF_BUDGET_SHARE;
	src->timeout_seconds = DEF_TIMEOUT;
	src->max_retries = DEF_RETRIES;
	src->retry_base_ms = DEF_RETRY_BASE_MS;
	src->poll_interval_ms = DEF_POLL_INTERVAL_MS;
	src->poll_timeout_seconds = DEF_POLL_TIMEOUT;
	if (walk(c, sn, "source", source_keys, src) ||
	    enum_value(c, ynode_get(sn, "kind"), "source.kind", kinds,
		       &kind))
		return -1;
	auth = ynode_get(sn, "auth");
	if (ynode_is_null(auth))
		auth = NULL;
	src->kind = (enum source_kind)kind;
	if (src->kind == SOURCE_FIXTURE) {
		if (!src->fixture_dir)
			return jerr(c, sn, "'source' of kind fixture needs "
				    "'dir'");
		if (auth)
			return jerr(c, key_node(sn, "auth"), "'source.auth' "
				    "is for kind salesforce only");
		return 0;
	}
	if (src->fixture_dir)
		return jerr(c, key_node(sn, "dir"), "'source.dir' is for "
			    "kind fixture only");
	if (!auth)
		return jerr(c, sn, "missing required key 'auth' in 'source' "
			    "(kind salesforce)");
	v = ynode_get(sn, "login_url");
	if (check_login_url(c, v ? v : sn, src->login_url))
		return -1;
	v = ynode_get(sn, "api_version");
	if (v) {
		const char *p = src->api_version;
		size_t d = strspn(p, "0123456789");

		if (!d || p[d] != '.' || !p[d + 1] ||
		    strspn(p + d + 1, "0123456789") != strlen(p + d + 1))
			return jerr(c, v, "'source.api_version' must look "
				    "like 62.0, got '%s'", shown(v));
	}
	return parse_auth(c, auth, src);
}

/* Fills job->objects from the `objects` list (NULL: all seven), in the
 * canonical order; -1 on unknown or repeated names. */
static int parse_objects(const struct jctx *c, const struct ynode *on,
			 struct job *job)
{
	int listed[8] = { 0 };
	size_t i, n = count_names(read_objects);
	char *text;
	int idx;

	if (on) {
		if (on->type != YNODE_SEQUENCE)
			return jerr(c, on, "expected a list for 'objects', "
				    "got %s", ynode_kind(on));
		if (!on->n)
			return jerr(c, on, "'objects' must name at least one "
				    "object");
		for (i = 0; i < on->n; i++) {
			if (scalar(c, on->items[i], "objects", &text))
				return -1;
			idx = name_index(read_objects, text);
			if (idx < 0) {
				jerr(c, on->items[i], "unknown object '%s' in "
				     "'objects'%s", shown(on->items[i]),
				     hint(text, read_objects));
				free(text);
				return -1;
			}
			free(text);
			if (listed[idx])
				return jerr(c, on->items[i], "object '%s' is "
					    "listed twice", read_objects[idx]);
			listed[idx] = 1;
		}
	}
	job->objects = xcalloc(n, sizeof(*job->objects));
	for (i = 0; i < n; i++) {
		const struct schema *s;

		if (on && !listed[i])
			continue;
		s = schema_find("salesforce", read_objects[i]);
		if (!s)
			return err_set(c->err, ERR_SOFTWARE, "no schema for "
				       "salesforce/%s", read_objects[i]);
		job->objects[job->nobjects].name = xstrdup(read_objects[i]);
		job->objects[job->nobjects].schema = s;
		job->objects[job->nobjects].enabled = 1;
		job->nobjects++;
	}
	return 0;
}

/* ---- users ---- */

static int parse_users(const struct jctx *c, const struct ynode *un,
		       const char *what, struct job_user **users, size_t *n)
{
	char why[128];
	size_t i;
	char *text;

	if (un->type != YNODE_SEQUENCE)
		return jerr(c, un, "expected a list for '%s', got %s", what,
			    ynode_kind(un));
	*users = xcalloc(un->n ? un->n : 1, sizeof(**users));
	for (i = 0; i < un->n; i++) {
		struct job_user *u = &(*users)[*n];

		if (scalar(c, un->items[i], what, &text))
			return -1;
		u->value = text;
		(*n)++;
		u->is_id = !strchr(text, '@');
		if (!field_value_check(u->is_id ? FT_ID : FT_EMAIL, 0, text,
				       strlen(text), why, sizeof(why)) &&
		    *text)
			continue;
		return jerr(c, un->items[i], "'%s' in '%s' is neither an "
			    "email address nor a User Id", shown(un->items[i]),
			    what);
	}
	return 0;
}

/* ---- autosave, writeback, roi ---- */

static const struct keydef autosave_keys[] = {
	K("enabled", VK_BOOL, 0, struct job_settings, autosave.enabled),
	KS("users", 0),
	KEND
};

static const struct keydef writeback_keys[] = {
	K("enabled", VK_BOOL, 0, struct job_settings, writeback.enabled),
	KS("users", 0),
	KS("types", 0),
	KS("record_type_ids", 0),
	K("task_status", VK_STR, 0, struct job_settings,
	  writeback.task_status),
	K("external_id_field", VK_STR, 0, struct job_settings,
	  writeback.external_id_field),
	KR("interval_minutes", VK_LONG, struct job_settings,
	   writeback.interval_minutes, 1, 60),
	KEND
};

static const struct keydef roi_keys[] = {
	K("enabled", VK_BOOL, 0, struct job_settings, roi.enabled),
	K("pipeline_stage", VK_STR, 0, struct job_settings,
	  roi.pipeline_stage),
	K("revenue_field", VK_STR, 0, struct job_settings, roi.revenue_field),
	KEND
};

/* `autosave` into st->autosave; enabled needs a non-empty user list. */
static int parse_autosave(const struct jctx *c, const struct ynode *an,
			  struct job_settings *st)
{
	const struct ynode *un = ynode_get(an, "users");

	if (walk(c, an, "autosave", autosave_keys, st))
		return -1;
	if (!ynode_is_null(un) &&
	    parse_users(c, un, "autosave.users", &st->autosave.users,
			&st->autosave.nusers))
		return -1;
	if (st->autosave.enabled && !st->autosave.nusers)
		return jerr(c, an, "'autosave' is enabled but 'users' "
			    "names nobody (auto-save is enabled per user)");
	return 0;
}

/* `writeback.types` into st->writeback.types[]; -1 on unknown types. */
static int parse_wb_types(const struct jctx *c, const struct ynode *tn,
			  struct job_settings *st)
{
	size_t i;
	int t;

	if (tn->type != YNODE_SEQUENCE)
		return jerr(c, tn, "expected a list for 'writeback.types', "
			    "got %s", ynode_kind(tn));
	memset(st->writeback.types, 0, sizeof(st->writeback.types));
	for (i = 0; i < tn->n; i++) {
		if (enum_value(c, tn->items[i], "writeback.types", wb_names,
			       &t))
			return -1;
		st->writeback.types[t] = 1;
	}
	return 0;
}

/* `writeback.record_type_ids` into st->writeback.record_type_ids[];
 * -1 on unknown keys (Note included) or values that are not Ids. */
static int parse_record_types(const struct jctx *c, const struct ynode *rn,
			      struct job_settings *st)
{
	static const char *const rt_names[] = {
		"InMail", "Message", "Call", "PointDrive", NULL
	};
	char why[128];
	size_t i;
	int t;

	if (rn->type != YNODE_MAPPING)
		return jerr(c, rn, "expected a mapping for "
			    "'writeback.record_type_ids', got %s",
			    ynode_kind(rn));
	for (i = 0; i < rn->n; i++) {
		const struct ynode *k = rn->pairs[i].key;
		const struct ynode *v = rn->pairs[i].value;
		char *text;

		t = name_index(wb_names, k->str);
		if (t < 0 || t == WB_NOTE)
			return jerr(c, k, "unknown key '%s' in "
				    "'writeback.record_type_ids'%s%s", k->str,
				    t == WB_NOTE ? " (a Note has no record "
				    "type)" : "", hint(k->str, rt_names));
		if (ynode_is_null(v))
			continue;
		if (scalar(c, v, "writeback.record_type_ids", &text))
			return -1;
		if (field_value_check(FT_ID, 0, text, strlen(text), why,
				      sizeof(why))) {
			free(text);
			return jerr(c, v, "'writeback.record_type_ids.%s' "
				    "must be a RecordType Id (15 or 18 "
				    "letters and digits), got '%s'", k->str,
				    shown(v));
		}
		st->writeback.record_type_ids[t] = text;
	}
	return 0;
}

/* `writeback` into st->writeback; -1 on bad values, or when enabled
 * without users or without the record types of InMail and Message. */
static int parse_writeback(const struct jctx *c, const struct ynode *wn,
			   struct job_settings *st)
{
	const struct ynode *un, *tn, *rn;
	const char *f;
	int t;

	if (walk(c, wn, "writeback", writeback_keys, st))
		return -1;
	un = ynode_get(wn, "users");
	tn = ynode_get(wn, "types");
	rn = ynode_get(wn, "record_type_ids");
	if (!ynode_is_null(un) &&
	    parse_users(c, un, "writeback.users", &st->writeback.users,
			&st->writeback.nusers))
		return -1;
	if (!ynode_is_null(tn) && parse_wb_types(c, tn, st))
		return -1;
	if (!ynode_is_null(rn) && parse_record_types(c, rn, st))
		return -1;
	f = st->writeback.external_id_field;
	if (f && (strlen(f) < 4 || strcmp(f + strlen(f) - 3, "__c") ||
		  !isalpha((unsigned char)*f) ||
		  strspn(f, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuv"
			 "wxyz0123456789_") != strlen(f)))
		return jerr(c, ynode_get(wn, "external_id_field"),
			    "'writeback.external_id_field' must be a custom "
			    "field API name ending in __c, got '%s'",
			    shown(ynode_get(wn, "external_id_field")));
	if (!st->writeback.enabled)
		return 0;
	if (!st->writeback.nusers)
		return jerr(c, wn, "'writeback' is enabled but 'users' names "
			    "nobody (writeback is enabled per user)");
	for (t = WB_INMAIL; t <= WB_MESSAGE; t++)
		if (st->writeback.types[t] &&
		    !st->writeback.record_type_ids[t])
			return jerr(c, rn ? rn : wn, "'writeback.record_type_"
				    "ids.%s' is required: %s activities are "
				    "a custom Task record type", wb_names[t],
				    wb_names[t]);
	return 0;
}

/* `roi` into st->roi; revenue_field must be a numeric Opportunity
 * field, and enabled needs pipeline_stage. */
static int parse_roi(const struct jctx *c, const struct ynode *rn,
		     struct job_settings *st)
{
	const struct schema *opp = schema_find("salesforce", "Opportunity");
	const struct ynode *fn;
	enum field_type t;
	int idx;

	if (walk(c, rn, "roi", roi_keys, st))
		return -1;
	fn = ynode_get(rn, "revenue_field");
	idx = schema_field_index(opp, st->roi.revenue_field);
	if (idx < 0) {
		const char *h = schema_suggest_field(opp,
						     st->roi.revenue_field);

		return jerr(c, fn, "field '%s' is not in schema "
			    "salesforce/Opportunity%s%s%s", shown(fn),
			    h ? " (did you mean '" : "", h ? h : "",
			    h ? "'?)" : "");
	}
	t = opp->fields[idx].type;
	if (t != FT_CURRENCY && t != FT_DOUBLE && t != FT_INT &&
	    t != FT_PERCENT)
		return jerr(c, fn, "'roi.revenue_field' must be a numeric "
			    "Opportunity field; '%s' is of type %s",
			    st->roi.revenue_field, field_type_name(t));
	st->roi.revenue_index = idx;
	if (st->roi.enabled && !st->roi.pipeline_stage)
		return jerr(c, rn, "'roi' is enabled but 'pipeline_stage' is "
			    "not set (the StageName that enters the "
			    "pipeline)");
	return 0;
}

/* ---- match ---- */

struct model_nodes {
	double threshold;
	double candidate_floor;
	long max_block_pairs;
	int exclusive;
	const struct ynode *fields, *blocking, *comparisons, *prior;
};

static const struct keydef model_keys[] = {
	{ "threshold", VK_DOUBLE, KF_REQUIRED,
	  offsetof(struct model_nodes, threshold), -1e6, 1e6 },
	K("fields", VK_NODE, KF_REQUIRED, struct model_nodes, fields),
	K("blocking", VK_NODE, KF_REQUIRED, struct model_nodes, blocking),
	K("comparisons", VK_NODE, KF_REQUIRED, struct model_nodes,
	  comparisons),
	K("prior", VK_NODE, 0, struct model_nodes, prior),
	KR("max_block_pairs", VK_LONG, struct model_nodes, max_block_pairs,
	   0, 1000000000000L),
	KR("candidate_floor", VK_DOUBLE, struct model_nodes, candidate_floor,
	   -1e6, 1e6),
	K("exclusive", VK_BOOL, 0, struct model_nodes, exclusive),
	KEND
};

struct level_parse {
	double min, m, u, weight;
	long max_distance;
};

static const struct keydef level_keys[] = {
	KR("min", VK_DOUBLE, struct level_parse, min, 0, 1),
	KR("max_distance", VK_LONG, struct level_parse, max_distance, 0, 100),
	KR("m", VK_DOUBLE, struct level_parse, m, 1e-12, 1),
	KR("u", VK_DOUBLE, struct level_parse, u, 1e-12, 1),
	KR("weight", VK_DOUBLE, struct level_parse, weight, -1000, 1000),
	KEND
};

static const struct keydef else_keys[] = {
	KR("m", VK_DOUBLE, struct level_parse, m, 1e-12, 1),
	KR("u", VK_DOUBLE, struct level_parse, u, 1e-12, 1),
	KR("weight", VK_DOUBLE, struct level_parse, weight, -1000, 1000),
	KEND
};

struct comparison_parse {
	const struct ynode *method, *levels, *else_, *missing, *given;
	const struct ynode *implied, *train_without;
	int term_frequency;
};

static const struct keydef comparison_keys[] = {
	K("method", VK_NODE, KF_REQUIRED, struct comparison_parse, method),
	K("levels", VK_NODE, KF_REQUIRED, struct comparison_parse, levels),
	K("else", VK_NODE, 0, struct comparison_parse, else_),
	K("missing", VK_NODE, 0, struct comparison_parse, missing),
	K("term_frequency", VK_BOOL, 0, struct comparison_parse,
	  term_frequency),
	K("term_frequency_given", VK_NODE, 0, struct comparison_parse, given),
	K("implied_by", VK_NODE, 0, struct comparison_parse, implied),
	K("train_without", VK_NODE, 0, struct comparison_parse,
	  train_without),
	KEND
};

/* The weight of a level or `else` mapping: `weight`, or m and u. */
static int level_weight(const struct jctx *c, const struct ynode *n,
			const char *what, struct level_parse *lp,
			double *weight)
{
	int has_w = ynode_get(n, "weight") != NULL;
	int has_m = ynode_get(n, "m") != NULL;
	int has_u = ynode_get(n, "u") != NULL;

	if (has_w && !has_m && !has_u) {
		*weight = lp->weight;
		lp->m = lp->u = 0;
		return 0;
	}
	if (!has_w && has_m && has_u) {
		*weight = log2(lp->m / lp->u);
		return 0;
	}
	return jerr(c, n, "'%s' needs either 'weight' or both 'm' and 'u'",
		    what);
}

/* The canonical field names of model `m` (people or accounts). */
static const char *const *canon_names(const struct match_model *m)
{
	return m->ncrm == 2 ? people_fields : account_fields;
}

/*
 * The parent schema of lookup relation `rel` from schema `s`: a CRM
 * object's is the Salesforce object `rel` ("Account"); a directory
 * file's is the directory file keyed by "<rel>Id" ("CompanyPage" ->
 * companies, keyed by CompanyPageId).  NULL when there is none.
 */
static const struct schema *lookup_parent(const struct schema *s,
					  const char *rel, const char *ref)
{
	if (strcmp(s->group, "directory") != 0)
		return schema_find("salesforce", rel);
	for (size_t i = 0; i < schema_count(); i++) {
		const struct schema *p = schema_at(i);

		if (p != s && strcmp(p->group, "directory") == 0 && p->key &&
		    strcmp(p->key, ref) == 0)
			return p;
	}
	return NULL;
}

/*
 * A lookup through a reference field, Salesforce style: "Account.Name"
 * from a Contact reads the Name of the Account its AccountId names.  The
 * object must have the reference field <Rel>Id and <Rel> must be a
 * schema with the field.  A directory file looks up another directory
 * file the same way: "CompanyPage.Website" from members reads the
 * Website of the company page its CompanyPageId names.
 */
static int parse_lookup(const struct jctx *c, const struct ynode *n,
			const struct schema *s, const char *text,
			const char *dot, struct match_source *src, size_t i)
{
	char *rel = xstrndup(text, (size_t)(dot - text));
	char *ref = xasprintf("%sId", rel);
	const struct schema *parent = lookup_parent(s, rel, ref);
	int ri = schema_field_index(s, ref);
	int fi = parent ? schema_field_index(parent, dot + 1) : -1;
	int directory = strcmp(s->group, "directory") == 0;
	int ret = 0;

	if (ri < 0 || !parent ||
	    (!directory && s->fields[ri].type != FT_REFERENCE))
		ret = jerr(c, n, "'%s' is not a lookup schema %s/%s can make: "
			   "it has no reference field '%s' to a known %s",
			   shown(n), s->group, s->name, ref,
			   directory ? "directory file" : "object");
	else if (fi < 0)
		ret = jerr(c, n, "field '%s' is not in schema %s/%s",
			   dot + 1, parent->group, parent->name);
	else {
		src->index[i] = ri;
		src->lookup_schema[i] = parent;
		src->lookup_index[i] = fi;
	}
	free(ref);
	free(rel);
	return ret;
}

/* Reads one `Object: Field` or `Object: [Field, Fallback]` entry. */
static int parse_source_fields(const struct jctx *c, const struct ynode *v,
			       const char *what, const struct schema *s,
			       struct match_source *src)
{
	const struct ynode *const *items = &v;
	size_t n = 1, i;
	char *text;
	int idx;

	if (v->type == YNODE_SEQUENCE) {
		items = (const struct ynode *const *)v->items;
		n = v->n;
		if (!n)
			return jerr(c, v, "'%s' must name at least one "
				    "field", what);
	}
	src->fields = xcalloc(n, sizeof(*src->fields));
	src->index = xcalloc(n, sizeof(*src->index));
	src->lookup_schema = xcalloc(n, sizeof(*src->lookup_schema));
	src->lookup_index = xcalloc(n, sizeof(*src->lookup_index));
	for (i = 0; i < n; i++) {
		const char *dot;

		if (scalar(c, items[i], what, &text))
			return -1;
		src->fields[src->nfields++] = text;
		src->lookup_index[i] = -1;
		dot = strchr(text, '.');
		if (dot) {
			if (parse_lookup(c, items[i], s, text, dot, src, i) < 0)
				return -1;
			continue;
		}
		idx = schema_field_index(s, text);
		if (idx < 0) {
			const char *h = schema_suggest_field(s, text);

			return jerr(c, items[i], "field '%s' is not in schema "
				    "%s/%s%s%s%s", shown(items[i]), s->group,
				    s->name, h ? " (did you mean '" : "",
				    h ? h : "", h ? "'?)" : "");
		}
		src->index[i] = idx;
	}
	return 0;
}

/* `<path>.fields` into m->fields; -1 on unknown canonical fields or
 * objects, fields not in the schema, or a field mapped on one side only. */
static int parse_model_fields(const struct jctx *c, const struct ynode *fn,
			      const char *path, struct match_model *m)
{
	const char *const *canon = canon_names(m);
	size_t i, j;
	char *what;
	int ci, oi, ret;

	if (fn->type != YNODE_MAPPING || !fn->n)
		return jerr(c, fn, "expected a non-empty mapping for "
			    "'%s.fields', got %s", path, ynode_kind(fn));
	m->fields = xcalloc(fn->n, sizeof(*m->fields));
	for (i = 0; i < fn->n; i++) {
		const struct ynode *k = fn->pairs[i].key;
		const struct ynode *v = fn->pairs[i].value;
		struct match_field *f = &m->fields[i];
		int ncrm = 0;

		ci = name_index(canon, k->str);
		if (ci < 0)
			return jerr(c, k, "unknown field '%s' in "
				    "'%s.fields'%s", k->str, path,
				    hint(k->str, canon));
		f->name = xstrdup(k->str);
		m->nfields = i + 1;
		if (v->type != YNODE_MAPPING)
			return jerr(c, v, "expected a mapping for "
				    "'%s.fields.%s', got %s", path, k->str,
				    ynode_kind(v));
		for (j = 0; j < v->n; j++) {
			const struct ynode *ok = v->pairs[j].key;

			oi = name_index(m->objects, ok->str);
			if (oi < 0)
				return jerr(c, ok, "unknown object '%s' in "
					    "'%s.fields.%s'%s", ok->str, path,
					    k->str, hint(ok->str,
							 m->objects));
			if (ynode_is_null(v->pairs[j].value))
				continue;
			what = xasprintf("%s.fields.%s.%s", path, k->str,
					 ok->str);
			ret = parse_source_fields(c, v->pairs[j].value, what,
						  m->schemas[oi], &f->src[oi]);
			free(what);
			if (ret)
				return -1;
			if ((size_t)oi < m->ncrm)
				ncrm++;
		}
		if (!f->src[m->ncrm].nfields || !ncrm)
			return jerr(c, v, "'%s.fields.%s' must map '%s' and at "
				    "least one CRM object", path, k->str,
				    m->objects[m->ncrm]);
	}
	return 0;
}

/* Index of the mapped canonical field `n` names, or -1 with an error. */
static int model_field(const struct jctx *c, const struct ynode *n,
		       const char *what, const struct match_model *m)
{
	const char *names[16];
	size_t i;
	char *text;

	if (scalar(c, n, what, &text))
		return -1;
	for (i = 0; i < m->nfields && i < 15; i++) {
		names[i] = m->fields[i].name;
		if (!strcmp(text, m->fields[i].name)) {
			free(text);
			return (int)i;
		}
	}
	names[i] = NULL;
	jerr(c, n, "'%s' names field '%s', which is not mapped in "
	     "'fields'%s", what, shown(n), hint(text, names));
	free(text);
	return -1;
}

/*
 * One key of a blocking rule: "field" or "field:transform" with transform
 * phonetic (the Double Metaphone code of the normalised value) or initial
 * (its first character).  Returns the field's index and sets *t.
 */
static int blocking_key(const struct jctx *c, const struct ynode *n,
			const char *what, const struct match_model *m,
			enum block_transform *t)
{
	static const struct {
		const char *name;
		enum block_transform t;
	} transforms[] = {
		{ "phonetic", BT_PHONETIC },
		{ "initial", BT_INITIAL },
	};
	const char *colon;
	struct ynode field;

	*t = BT_NONE;
	if (n->type != YNODE_SCALAR || !(colon = strchr(n->str, ':')))
		return model_field(c, n, what, m);
	for (size_t i = 0; i < sizeof(transforms) / sizeof(*transforms); i++)
		if (!strcmp(colon + 1, transforms[i].name))
			*t = transforms[i].t;
	if (*t == BT_NONE)
		return jerr(c, n, "unknown transform '%s' in '%s' (use "
			    "phonetic or initial)", colon + 1, what);
	field = *n;
	field.len = (size_t)(colon - n->str);
	field.str = xstrndup(n->str, field.len);
	{
		int fi = model_field(c, &field, what, m);

		free(field.str);
		return fi;
	}
}

/* `<path>.blocking` into m->blocking; every key must be a mapped field. */
struct rule_nodes {
	const struct ynode *keys;
	int crossed;
};

static const struct keydef rule_keys[] = {
	K("keys", VK_NODE, KF_REQUIRED, struct rule_nodes, keys),
	K("crossed", VK_BOOL, 0, struct rule_nodes, crossed),
	KEND
};

static int parse_blocking(const struct jctx *c, const struct ynode *bn,
			  const char *path, struct match_model *m)
{
	char *what = xasprintf("%s.blocking", path);
	size_t i, j;
	int ret = -1, fi;

	if (bn->type != YNODE_SEQUENCE || !bn->n) {
		jerr(c, bn, "expected a non-empty list of rules for '%s', "
		     "got %s", what, ynode_kind(bn));
		goto out;
	}
	if (bn->n > MATCH_MAX_RULES) {
		jerr(c, bn, "'%s' has %zu rules, at most %d are supported",
		     what, bn->n, MATCH_MAX_RULES);
		goto out;
	}
	m->blocking = xcalloc(bn->n, sizeof(*m->blocking));
	for (i = 0; i < bn->n; i++) {
		const struct ynode *r = bn->items[i];
		const struct ynode *const *keys = &r;
		struct match_blocking *b = &m->blocking[i];
		struct rule_nodes rn = { NULL, 0 };
		int first = 0, last = 0;
		size_t n = 1;

		m->nblocking = i + 1;
		if (r->type == YNODE_MAPPING) {
			if (walk(c, r, what, rule_keys, &rn))
				goto out;
			b->crossed = rn.crossed;
			r = rn.keys;
			keys = &r;
		}
		if (r->type == YNODE_SEQUENCE) {
			keys = (const struct ynode *const *)r->items;
			n = r->n;
		}
		if (!n || r->type == YNODE_MAPPING) {
			jerr(c, r, "a rule in '%s' must be a field or a list "
			     "of fields", what);
			goto out;
		}
		if (n > MATCH_MAX_RULE_KEYS) {
			jerr(c, r, "a rule in '%s' has %zu keys, at most %d "
			     "are supported", what, n, MATCH_MAX_RULE_KEYS);
			goto out;
		}
		b->keys = xcalloc(n, sizeof(*b->keys));
		b->transforms = xcalloc(n, sizeof(*b->transforms));
		for (j = 0; j < n; j++) {
			enum block_transform t;

			fi = blocking_key(c, keys[j], what, m, &t);
			if (fi < 0)
				goto out;
			b->transforms[b->nkeys] = t;
			b->keys[b->nkeys++] = (size_t)fi;
			first |= !strcmp(m->fields[fi].name, "first_name");
			last |= !strcmp(m->fields[fi].name, "last_name");
		}
		if (b->crossed && !(first && last)) {
			jerr(c, bn->items[i], "a crossed rule in '%s' must key "
			     "on both first_name and last_name", what);
			goto out;
		}
	}
	ret = 0;
out:
	free(what);
	return ret;
}

/* The `levels` list of one comparison into cmp->levels; -1 when a level
 * lacks its threshold or weight, or levels do not get looser. */
static int parse_levels(const struct jctx *c, const struct ynode *ln,
			const char *what, struct match_comparison *cmp)
{
	int lev = cmp->method == MM_LEVENSHTEIN;
	size_t i;

	if (ln->type != YNODE_SEQUENCE || !ln->n)
		return jerr(c, ln, "expected a non-empty list for '%s', "
			    "got %s", what, ynode_kind(ln));
	cmp->levels = xcalloc(ln->n, sizeof(*cmp->levels));
	for (i = 0; i < ln->n; i++) {
		const struct ynode *n = ln->items[i];
		struct level_parse lp = { -1, 0, 0, 0, -1 };
		struct match_level *l = &cmp->levels[i];

		if (walk(c, n, what, level_keys, &lp) ||
		    level_weight(c, n, what, &lp, &l->weight))
			return -1;
		if (lev ? (lp.max_distance < 0 || lp.min >= 0) :
			  (lp.min < 0 || lp.max_distance >= 0))
			return jerr(c, n, "a level of method %s needs '%s' "
				    "(and not '%s')",
				    method_names[cmp->method],
				    lev ? "max_distance" : "min",
				    lev ? "min" : "max_distance");
		l->min = lp.min;
		l->max_distance = lp.max_distance;
		l->m = lp.m;
		l->u = lp.u;
		cmp->nlevels = i + 1;
		if (i && (lev ? l->max_distance <= l[-1].max_distance :
			        l->min >= l[-1].min))
			return jerr(c, n, "levels of '%s' must go from the "
				    "strictest to the loosest", what);
	}
	return 0;
}

/* The comparison `<path>.comparisons.<i's field>.<key>` (node `n`, may be
 * NULL) names: *ref = 1 + its index, or left 0 when `n` is NULL.  Fails
 * with file:line when it names no other comparison of the model. */
static int comparison_ref(const struct jctx *c, const struct ynode *n,
			  const char *path, const char *key,
			  const struct match_model *m, size_t i, size_t *ref)
{
	char *what, *text = NULL;
	size_t g;
	int ret = -1;

	if (!n)
		return 0;
	what = xasprintf("%s.comparisons.%s.%s", path, m->comparisons[i].field,
			 key);
	if (scalar(c, n, what, &text))
		goto out;
	for (g = 0; g < m->ncomparisons; g++)
		if (g != i && !strcmp(m->comparisons[g].field, text))
			break;
	if (g == m->ncomparisons) {
		jerr(c, n, "'%s' names '%s', which is not another comparison "
		     "of %s", what, text, path);
		goto out;
	}
	*ref = g + 1;
	ret = 0;
out:
	free(text);
	free(what);
	return ret;
}

/* `<path>.comparisons` into m->comparisons (fields must be mapped). */
static int parse_comparisons(const struct jctx *c, const struct ynode *cn,
			     const char *path, struct match_model *m)
{
	size_t i;
	char *what = NULL;
	const struct ynode **givens, **implied, **without;
	int ret = -1, rc, fi, meth;

	if (cn->type != YNODE_MAPPING || !cn->n)
		return jerr(c, cn, "expected a non-empty mapping for "
			    "'%s.comparisons', got %s", path, ynode_kind(cn));
	m->comparisons = xcalloc(cn->n, sizeof(*m->comparisons));
	givens = xcalloc(cn->n, sizeof(*givens));
	implied = xcalloc(cn->n, sizeof(*implied));
	without = xcalloc(cn->n, sizeof(*without));
	for (i = 0; i < cn->n; i++) {
		const struct ynode *k = cn->pairs[i].key;
		struct match_comparison *cmp = &m->comparisons[i];
		struct comparison_parse cp = { NULL, NULL, NULL, NULL, NULL,
					       NULL, NULL, 0 };
		struct level_parse ep = { -1, 0, 0, 0, -1 };
		char *lw;

		free(what);
		what = xasprintf("%s.comparisons.%s", path, k->str);
		m->ncomparisons = i + 1;
		fi = model_field(c, k, what, m);
		if (fi < 0)
			goto out;
		cmp->field = xstrdup(k->str);
		cmp->field_index = (size_t)fi;
		if (walk(c, cn->pairs[i].value, what, comparison_keys, &cp))
			goto out;
		lw = xasprintf("%s.method", what);
		rc = enum_value(c, cp.method, lw, method_names, &meth);
		free(lw);
		if (rc)
			goto out;
		cmp->method = (enum match_method)meth;
		lw = xasprintf("%s.levels", what);
		if (parse_levels(c, cp.levels, lw, cmp)) {
			free(lw);
			goto out;
		}
		free(lw);
		cmp->term_frequency = cp.term_frequency;
		givens[i] = cp.given;
		implied[i] = cp.implied;
		without[i] = cp.train_without;
		if (cp.given && !cp.term_frequency) {
			jerr(c, cp.given, "'%s.term_frequency_given' needs "
			     "'term_frequency: true'", what);
			goto out;
		}
		if (cp.term_frequency && !(cmp->levels[0].m > 0)) {
			lw = xasprintf("%s.term_frequency", what);
			jerr(c, cp.levels->items[0], "'%s' needs m and u on "
			     "the first level (its u is replaced by the "
			     "value's frequency), not a weight", lw);
			free(lw);
			goto out;
		}
		if (cp.else_) {
			lw = xasprintf("%s.else", what);
			if (walk(c, cp.else_, lw, else_keys, &ep) ||
			    level_weight(c, cp.else_, lw, &ep,
					 &cmp->else_weight)) {
				free(lw);
				goto out;
			}
			free(lw);
		}
		if (cp.missing) {
			char *text;

			lw = xasprintf("%s.missing", what);
			if (scalar(c, cp.missing, lw, &text)) {
				free(lw);
				goto out;
			}
			rc = set_double(c, cp.missing, lw, text, -1000, 1000,
					&cmp->missing_weight);
			free(text);
			free(lw);
			if (rc)
				goto out;
		}
	}
	/* term_frequency_given, implied_by and train_without name another
	 * comparison, maybe a later one */
	for (i = 0; i < m->ncomparisons; i++)
		if (comparison_ref(c, givens[i], path, "term_frequency_given",
				   m, i, &m->comparisons[i].tf_given) ||
		    comparison_ref(c, implied[i], path, "implied_by", m, i,
				   &m->comparisons[i].implied_by) ||
		    comparison_ref(c, without[i], path, "train_without", m, i,
				   &m->comparisons[i].train_without))
			goto out;
	ret = 0;
out:
	free(without);
	free(implied);
	free(givens);
	free(what);
	return ret;
}

/* `<path>.prior`: auto, none, or the probability that two records
 * taken at random match. */
static int parse_prior(const struct jctx *c, const struct ynode *n,
		       const char *path, struct match_model *m)
{
	char *what = xasprintf("%s.prior", path), *text = NULL;
	int ret = -1;

	if (scalar(c, n, what, &text))
		goto out;
	if (!strcmp(text, "auto")) {
		m->prior = PRIOR_AUTO;
	} else if (!strcmp(text, "none")) {
		m->prior = PRIOR_NONE;
	} else if (isalpha((unsigned char)*text)) {
		jerr(c, n, "expected auto, none or a probability for '%s', "
		     "got '%s'", what, text);
		goto out;
	} else {
		if (set_double(c, n, what, text, 1e-15, 0.5,
			       &m->prior_probability))
			goto out;
		m->prior = PRIOR_GIVEN;
	}
	ret = 0;
out:
	free(text);
	free(what);
	return ret;
}

/* One model (match.people or match.accounts) into `m`, whose objects
 * are already set; fields first, then blocking and comparisons. */
static int parse_model(const struct jctx *c, const struct ynode *mn,
		       const char *path, struct match_model *m)
{
	struct model_nodes nodes = { 0, MATCH_DEFAULT_CANDIDATE_FLOOR,
				     MATCH_DEFAULT_MAX_BLOCK_PAIRS, -1,
				     NULL, NULL, NULL, NULL };
	size_t i;

	if (walk(c, mn, path, model_keys, &nodes))
		return -1;
	m->prior = PRIOR_AUTO;
	if (nodes.prior && parse_prior(c, nodes.prior, path, m))
		return -1;
	for (i = 0; i < m->nobjects; i++) {
		m->schemas[i] = schema_find(i < m->ncrm ? "salesforce" :
					    "directory", m->objects[i]);
		if (!m->schemas[i])
			return err_set(c->err, ERR_SOFTWARE, "no schema for "
				       "%s", m->objects[i]);
	}
	m->enabled = 1;
	m->threshold = nodes.threshold;
	m->max_block_pairs = (uint64_t)nodes.max_block_pairs;
	m->candidate_floor = nodes.candidate_floor;
	/* rivals weigh odds: without a prior the scores are not odds */
	if (nodes.exclusive == 1 && m->prior == PRIOR_NONE) {
		const struct ynode *at = ynode_get(mn, "exclusive");

		return jerr(c, at ? at : mn, "'%s.exclusive' weighs a pair's "
			    "odds against its rivals': it needs a prior "
			    "(prior: none gives bare sums)", path);
	}
	m->exclusive = nodes.exclusive < 0 ? m->prior != PRIOR_NONE :
		       nodes.exclusive;
	if (parse_model_fields(c, nodes.fields, path, m) ||
	    parse_blocking(c, nodes.blocking, path, m) ||
	    parse_comparisons(c, nodes.comparisons, path, m))
		return -1;
	return 0;
}

struct match_nodes {
	const struct ynode *people, *accounts;
};

static const struct keydef match_keys[] = {
	K("people", VK_NODE, 0, struct match_nodes, people),
	K("accounts", VK_NODE, 0, struct match_nodes, accounts),
	KEND
};

/* `match` into st->people and st->accounts (each optional). */
static int parse_match(const struct jctx *c, const struct ynode *mn,
		       struct job_settings *st)
{
	struct match_nodes nodes = { NULL, NULL };

	if (walk(c, mn, "match", match_keys, &nodes))
		return -1;
	if (nodes.people && parse_model(c, nodes.people, "match.people",
					&st->people))
		return -1;
	if (nodes.accounts && parse_model(c, nodes.accounts,
					  "match.accounts", &st->accounts))
		return -1;
	return 0;
}

/* ---- cross-section checks ---- */

static int need_object(const struct jctx *c, const struct job *job,
		       const struct ynode *at, const char *who,
		       const char *object)
{
	if (job_object_find(job, object))
		return 0;
	return jerr(c, at, "%s needs object '%s', which 'objects' leaves "
		    "out", who, object);
}

/* Whether a field of model `m` is read through a lookup into the
 * directory file `name` ("CompanyPage.Website" reads companies). */
static int looks_up(const struct match_model *m, const char *name)
{
	for (size_t f = 0; f < m->nfields; f++)
		for (size_t o = 0; o < m->nobjects; o++) {
			const struct match_source *src = &m->fields[f].src[o];

			for (size_t k = 0; k < src->nfields; k++)
				if (src->lookup_schema &&
				    src->lookup_schema[k] &&
				    strcmp(src->lookup_schema[k]->group,
					   "directory") == 0 &&
				    strcmp(src->lookup_schema[k]->name,
					   name) == 0)
					return 1;
		}
	return 0;
}

/* -1 with an error at `at` unless directory input `key` is set. */
static int need_input(const struct jctx *c, const struct ynode *at,
		      const char *who, const char *path, const char *key)
{
	if (path)
		return 0;
	return jerr(c, at, "%s needs 'directory.%s'", who, key);
}

/* Checks what sections need from each other (objects, inputs). */
static int cross_check(const struct jctx *c, const struct job *job,
		       const struct top_nodes *tn)
{
	const struct job_settings *st = job->settings;
	const struct match_model *mm[2] = { &st->people, &st->accounts };
	const struct ynode *at;
	const char *who;
	size_t k, i, f;

	for (k = 0; k < 2; k++) {
		const struct match_model *m = mm[k];

		if (!m->enabled)
			continue;
		who = k ? "'match.accounts'" : "'match.people'";
		at = ynode_get(tn->match, k ? "accounts" : "people");
		if (need_input(c, at, who, k ? job->directory.companies :
			       job->directory.members,
			       k ? "companies" : "members"))
			return -1;
		if (!k && looks_up(m, "companies") &&
		    need_input(c, at, who, job->directory.companies,
			       "companies"))
			return -1;
		for (i = 0; i < m->ncrm; i++)
			for (f = 0; f < m->nfields; f++)
				if (m->fields[f].src[i].nfields &&
				    need_object(c, job, at, who,
						m->objects[i]))
					return -1;
	}
	if (st->autosave.enabled &&
	    (need_object(c, job, tn->autosave, "'autosave'", "Opportunity") ||
	     need_object(c, job, tn->autosave, "'autosave'",
			 "OpportunityContactRole")))
		return -1;
	if (st->roi.enabled &&
	    need_object(c, job, tn->roi, "'roi'", "Opportunity"))
		return -1;
	if (st->writeback.enabled &&
	    (need_object(c, job, tn->writeback, "'writeback'", "User") ||
	     need_input(c, tn->writeback, "'writeback'", job->directory.seats,
			"seats") ||
	     need_input(c, tn->writeback, "'writeback'",
			job->directory.activities, "activities")))
		return -1;
	return 0;
}

/* ---- load and free ---- */

static void settings_defaults(struct job_settings *st)
{
	int t;

	st->people.nobjects = 3;
	st->people.ncrm = 2;
	st->people.objects[0] = "Lead";
	st->people.objects[1] = "Contact";
	st->people.objects[2] = "members";
	st->accounts.nobjects = 2;
	st->accounts.ncrm = 1;
	st->accounts.objects[0] = "Account";
	st->accounts.objects[1] = "companies";
	for (t = 0; t < WB_NTYPES; t++)
		st->writeback.types[t] = 1;
	st->writeback.task_status = xstrdup(DEF_TASK_STATUS);
	st->writeback.interval_minutes = DEF_WB_INTERVAL;
	st->roi.revenue_field = xstrdup(DEF_REVENUE_FIELD);
}

/* job.name: 1 to 64 of [a-z0-9_-]; -1 with an error otherwise. */
static int check_name(const struct jctx *c, const struct ynode *jn,
		      const char *name)
{
	if (strlen(name) <= 64 &&
	    strspn(name, "abcdefghijklmnopqrstuvwxyz0123456789_-") ==
	    strlen(name))
		return 0;
	return jerr(c, ynode_get(jn, "name"), "'job.name' must be 1 to 64 "
		    "of a-z, 0-9, '_' and '-', got '%s'",
		    shown(ynode_get(jn, "name")));
}

/* Fills `job` from the parsed document, section by section in a fixed
 * order; -1 with the first error found. */
static int load(const struct jctx *c, const struct ydoc *doc,
		struct job *job)
{
	struct top_nodes tn;
	struct job_settings *st = job->settings;

	memset(&tn, 0, sizeof(tn));
	if (!doc->root)
		return jerr(c, NULL, "the job file is empty");
	if (walk(c, doc->root, "", top_keys, &tn) ||
	    walk(c, tn.job, "job", job_keys, job) ||
	    check_name(c, tn.job, job->name))
		return -1;
	if (tn.staging && walk(c, tn.staging, "staging", staging_keys, job))
		return -1;
	if (!job->staging_root)
		job->staging_root = resolve(c, DEF_STAGING_ROOT);
	job->staging_dir = xasprintf("%s/%s", job->staging_root, job->name);
	if (parse_source(c, tn.source, &job->source))
		return -1;
	if (tn.sync && walk(c, tn.sync, "sync", sync_keys, job))
		return -1;
	if (parse_objects(c, tn.objects, job))
		return -1;
	if (tn.directory && walk(c, tn.directory, "directory",
				 directory_keys, &job->directory))
		return -1;
	if (tn.match && parse_match(c, tn.match, st))
		return -1;
	if (tn.autosave && parse_autosave(c, tn.autosave, st))
		return -1;
	if (tn.writeback && parse_writeback(c, tn.writeback, st))
		return -1;
	if (tn.roi && parse_roi(c, tn.roi, st))
		return -1;
	if (tn.security && walk(c, tn.security, "security", security_keys,
				job))
		return -1;
	return cross_check(c, job, &tn);
}

struct job *job_load(const char *path, struct err *err)
{
	struct job *job = xcalloc(1, sizeof(*job));
	struct ydoc *doc = NULL;
	struct jctx c;
	int ret = -1;

	job->path = xstrdup(path);
	job->dir = fs_dirname(path);
	job->sync_interval_hours = DEF_INTERVAL_HOURS;
	job->max_rejects = DEF_MAX_REJECTS;
	job->settings = xcalloc(1, sizeof(*job->settings));
	settings_defaults(job->settings);
	c.file = path;
	c.dir = job->dir;
	c.err = err;
	if (schemas_load(err))
		goto out;
	doc = ydoc_parse_file(path, ERR_CONFIG, err);
	if (!doc)
		goto out;
	ret = load(&c, doc, job);
out:
	ydoc_free(doc);
	if (ret) {
		job_free(job);
		return NULL;
	}
	return job;
}

static void users_free(struct job_user *users, size_t n)
{
	size_t i;

	for (i = 0; users && i < n; i++)
		free(users[i].value);
	free(users);
}

static void model_free(struct match_model *m)
{
	size_t i, j, k;

	for (i = 0; m->fields && i < m->nfields; i++) {
		free(m->fields[i].name);
		for (k = 0; k < MATCH_MAX_OBJECTS; k++) {
			struct match_source *s = &m->fields[i].src[k];

			for (j = 0; s->fields && j < s->nfields; j++)
				free(s->fields[j]);
			free(s->fields);
			free(s->index);
			free(s->lookup_schema);
			free(s->lookup_index);
		}
	}
	free(m->fields);
	for (i = 0; m->blocking && i < m->nblocking; i++) {
		free(m->blocking[i].keys);
		free(m->blocking[i].transforms);
	}
	free(m->blocking);
	for (i = 0; m->comparisons && i < m->ncomparisons; i++) {
		free(m->comparisons[i].field);
		free(m->comparisons[i].levels);
	}
	free(m->comparisons);
}

static void settings_free(struct job_settings *st)
{
	int t;

	if (!st)
		return;
	model_free(&st->people);
	model_free(&st->accounts);
	users_free(st->autosave.users, st->autosave.nusers);
	users_free(st->writeback.users, st->writeback.nusers);
	for (t = 0; t < WB_NTYPES; t++)
		free(st->writeback.record_type_ids[t]);
	free(st->writeback.task_status);
	free(st->writeback.external_id_field);
	free(st->roi.pipeline_stage);
	free(st->roi.revenue_field);
	free(st);
}

void job_free(struct job *job)
{
	struct job_source *s;
	size_t i;

	if (!job)
		return;
	s = &job->source;
	free(s->fixture_dir);
	free(s->login_url);
	free(s->api_version);
	free(s->client_id);
	free(s->username);
	free(s->private_key_file);
	if (s->client_secret)
		memset(s->client_secret, 0, strlen(s->client_secret));
	free(s->client_secret);
	free(s->refresh_token_file);
	free(s->ca_file);
	for (i = 0; job->objects && i < job->nobjects; i++)
		free(job->objects[i].name);
	free(job->objects);
	free(job->directory.members);
	free(job->directory.companies);
	free(job->directory.seats);
	free(job->directory.activities);
	free(job->directory.overrides);
	settings_free(job->settings);
	free(job->path);
	free(job->dir);
	free(job->name);
	free(job->staging_root);
	free(job->staging_dir);
	free(job->encryption_key_file);
	free(job);
}

const struct job_object *job_object_find(const struct job *job,
					 const char *name)
{
	size_t i;

	for (i = 0; i < job->nobjects; i++)
		if (!strcmp(job->objects[i].name, name))
			return &job->objects[i];
	return NULL;
}
