/*
 * job.h - the job file (jobs/NAME.yaml): what to sync, how to match, and the
 * admin's settings (SPEC R50), parsed with libyaml and validated.
 *
 * Every error names the job file with line and column:
 *   "jobs/demo.yaml:12:3: unknown key 'treshold' in 'match.people'
 *    (did you mean 'threshold'?)"
 * and carries ERR_CONFIG.  Values of the form ${NAME} are replaced by the
 * environment variable NAME (an unset variable is an error); secrets are
 * meant to arrive that way or through files, never in the job file itself.
 *
 * Relative paths in a job file are relative to the directory holding the
 * job file, so a job runs the same from any working directory; struct job
 * stores them already resolved (joined with that directory).
 *
 * Ownership: job_load() returns a struct job that owns every string and
 * array in it; job_free() releases all of it.
 */
#ifndef CRMSYNC_JOB_H
#define CRMSYNC_JOB_H

#include <stddef.h>
#include <stdint.h>

#include "errors.h"
#include "schema.h"

enum source_kind { SOURCE_FIXTURE, SOURCE_SALESFORCE };
enum auth_flow { AUTH_JWT, AUTH_REFRESH_TOKEN, AUTH_CLIENT_CREDENTIALS };

struct job_source {
	enum source_kind kind;
	/* fixture */
	char *fixture_dir;
	/* salesforce */
	char *login_url;   /* https://login.salesforce.com */
	char *api_version; /* "62.0" */
	enum auth_flow auth_flow;
	char *client_id;
	char *username;          /* JWT sub */
	char *private_key_file;  /* JWT */
	char *client_secret;     /* client credentials (from ${ENV}) */
	char *refresh_token_file;
	char *ca_file;           /* private CA bundle, or NULL */
	/* extract tuning (both kinds) */
	long lookback_seconds;   /* incremental window overlap */
	long page_size;          /* maxRecords per results page */
	double api_budget_share; /* stop before this share of daily API */
	long timeout_seconds;
	long max_retries;
	long retry_base_ms;      /* first retry back-off, doubling */
	long poll_interval_ms;   /* first job poll interval, doubling */
	long poll_timeout_seconds; /* give up waiting for a job after this */
};

struct job_object {
	char *name;                  /* "Lead" */
	const struct schema *schema; /* salesforce/<name>, direction read */
	int enabled;
};

/* Directory-side inputs dropped by the directory (see README). */
struct job_directory {
	char *members;
	char *companies;
	char *seats;
	char *activities;
	char *overrides;
};

struct job {
	char *path;        /* as given */
	char *dir;         /* directory of the job file */
	char *name;        /* [a-z0-9_-]+, names the staging subtree */
	char *staging_root;
	char *staging_dir; /* staging_root/name */
	long sync_interval_hours;
	long max_rejects;  /* per stage; -1 = no limit */
	char *encryption_key_file; /* NULL: no encryption at rest */

	struct job_source source;
	size_t nobjects;
	struct job_object *objects;
	struct job_directory directory;

	/* Match, auto-save, writeback and ROI settings (below); never
	 * NULL after job_load(). */
	struct job_settings *settings;
};

/* ---- match, auto-save, writeback and ROI settings (job_settings) ---- */

/* How one canonical field is compared (see docs/job-file.md for the
 * score each method gives). */
enum match_method {
	MM_EXACT,        /* 1 when the normalised values are equal, else 0 */
	MM_JARO_WINKLER, /* Jaro-Winkler similarity, 0..1 */
	MM_LEVENSHTEIN,  /* edit distance; levels use max_distance */
	MM_TOKEN_SET,    /* shared words / all words (order-free), 0..1 */
	MM_PHONETIC,     /* 1 when the phonetic codes are equal, else 0 */
	MM_EMAIL,        /* 1 same address, 0.75 same local part,
			  * 0.5 same domain, else 0 */
	MM_PHONE,        /* 1 same digits, 0.75 same last 10 digits,
			  * 0.5 same last 7 digits, else 0 */
};

#define MATCH_MAX_OBJECTS 3 /* people: Lead, Contact, members */

/* One object's field(s) feeding a canonical field. */
struct match_source {
	size_t nfields;   /* 0: the object does not feed this field */
	char **fields;    /* fallbacks: the first non-empty value wins */
	int *index;       /* index of each in the object's schema; for a
			   * lookup, of the reference field (AccountId) */
	/* lookups through a reference, "Account.Name" from a Contact or
	 * "CompanyPage.Website" from members: the parent's schema
	 * (salesforce/Account, directory/companies) and the field's index
	 * in it (NULL / -1 for a plain field) */
	const struct schema **lookup_schema;
	int *lookup_index;
};

/* A canonical field ("last_name") and where each object keeps it. */
struct match_field {
	char *name;
	/* indexed like match_model.objects[] */
	struct match_source src[MATCH_MAX_OBJECTS];
};

/* One comparison level: the first level that holds gives its weight. */
struct match_level {
	double min;        /* score >= min (all methods but levenshtein) */
	long max_distance; /* distance <= max (levenshtein); else -1 */
	double m, u;       /* as given, or 0 when `weight` was given */
	double weight;     /* log2(m/u), or as given */
};

struct match_comparison {
	char *field;       /* canonical field name */
	size_t field_index;/* into match_model.fields[] */
	enum match_method method;
	size_t nlevels;
	struct match_level *levels;
	double else_weight;    /* no level held */
	double missing_weight; /* either side empty (default 0) */
	/* term_frequency: the strictest level's u is the frequency of the
	 * value among the directory's values (a common name says less than
	 * a rare one, as in Splink); that level then needs m */
	int term_frequency;
	/* term_frequency_given: 1 + index of another comparison, 0 when
	 * none (so a zeroed comparison has none).  When
	 * that comparison's values are equal too, u is the share of the
	 * directory records holding this value among those holding the
	 * other one (a surname among the people of that first name):
	 * names are not independent, and counting each alone overrates
	 * a namesake */
	size_t tf_given;
	/* implied_by: 1 + index of another comparison, 0 when none.  When
	 * that comparison is at its first level, this one counts as missing:
	 * a state or a country says nothing more once the city agrees */
	size_t implied_by;
	/* train_without: 1 + index of another comparison, 0 when none.
	 * `crmsync train` estimates this one's m from the pairs it is sure
	 * of without either: fields that change together (a new employer
	 * brings a new work email) would otherwise pick the pairs that
	 * agree on this one too */
	size_t train_without;
};

/* How a blocking key is derived from a normalised value. */
enum block_transform {
	BT_NONE,     /* the value itself */
	BT_PHONETIC, /* its Double Metaphone code ("last_name:phonetic") */
	BT_INITIAL,  /* its first character ("first_name:initial") */
};

/* A blocking rule: pairs agreeing on all `keys` (normalised, non-empty,
 * transformed) become candidates; the candidate set is the union over
 * the rules. */
#define MATCH_MAX_RULES 32     /* blocking rules per model */
#define MATCH_MAX_RULE_KEYS 8  /* keys per blocking rule */
#define MATCH_DEFAULT_MAX_BLOCK_PAIRS 10000
/* odds of 1 to 16 384 (docs/job-file.md): a pair below them is not worth
 * an auditor's line, nor a rival's weight */
#define MATCH_DEFAULT_CANDIDATE_FLOOR -14.0

struct match_blocking {
	size_t nkeys;
	size_t *keys;      /* indexes into match_model.fields[] */
	enum block_transform *transforms; /* one per key */
	int crossed;       /* {keys: [...], crossed: true}: the rule also
			    * pairs records whose first and last names
			    * were entered the wrong way round (it keys on
			    * both) */
};

/* How the prior odds that two records match are set (match.*.prior). */
enum match_prior {
	PRIOR_AUTO,  /* 1 / the larger side's record count (default) */
	PRIOR_NONE,  /* no prior: scores are bare sums of weights */
	PRIOR_GIVEN, /* prior_probability */
};

/* The scoring model for one side: people (Lead, Contact -> members) or
 * accounts (Account -> companies).  A pair's score is its match weight:
 * log2 of the prior odds plus the sum of its comparisons' weights (log2
 * Bayes factors, Fellegi-Sunter as in Splink); it links when the score
 * is >= threshold (one-to-one resolution after). */
struct match_model {
	int enabled;       /* 0 when the job has no such section */
	size_t nobjects;   /* CRM objects then the directory dataset */
	/* "Lead", "Contact", "members" (static strings), NULL-ended */
	const char *objects[MATCH_MAX_OBJECTS + 1];
	const struct schema *schemas[MATCH_MAX_OBJECTS];
	size_t ncrm;       /* objects[0..ncrm) are CRM objects */
	double threshold;
	enum match_prior prior;
	double prior_probability; /* PRIOR_GIVEN: in (0, 1) */
	uint64_t max_block_pairs; /* blocks holding more pairs are
				   * skipped; 0: no limit */
	double candidate_floor;   /* a pair scoring less is no candidate:
				   * not in the audit file nor among the
				   * rivals (match.*.candidate_floor) */
	int exclusive;     /* a CRM record is one person or company: a pair's
			    * odds are weighed against the record's other
			    * candidates (match.*.exclusive, default 1) */
	size_t nfields;
	struct match_field *fields;
	size_t nblocking;
	struct match_blocking *blocking;
	size_t ncomparisons;
	struct match_comparison *comparisons;
};

/* Activity types of writeback, in this order everywhere. */
enum wb_type { WB_INMAIL, WB_MESSAGE, WB_CALL, WB_NOTE, WB_POINTDRIVE,
	       WB_NTYPES };

/* An admin-selected CRM user: an email (matched to User.Email, case
 * ignored) or a User Id (15 or 18 characters). */
struct job_user {
	char *value;
	int is_id;
};

struct job_settings {
	struct match_model people;   /* match.people */
	struct match_model accounts; /* match.accounts */

	struct {
		int enabled;         /* default 0 */
		size_t nusers;
		struct job_user *users;
	} autosave;

	struct {
		int enabled;         /* global switch, default 0 (R41) */
		size_t nusers;       /* only these users write back */
		struct job_user *users;
		int types[WB_NTYPES]; /* allowed types, default all 1 */
		char *record_type_ids[WB_NTYPES]; /* NULL: none (Note: always
						   * NULL) */
		char *task_status;   /* default "Completed" */
		char *external_id_field; /* NULL or a custom field (__c) */
		long interval_minutes;   /* default 5 (R45) */
	} writeback;

	struct {
		int enabled;         /* default 0: needs the customer's
				      * consent (R35) */
		char *pipeline_stage;/* an Opportunity StageName */
		char *revenue_field; /* default "Amount" */
		int revenue_index;   /* in salesforce/Opportunity */
	} roi;
};

/* "InMail", "Message", "Call", "Note", "PointDrive". */
const char *wb_type_name(enum wb_type t);

/* 1 when `user` (an email or a User Id) is in the list, case ignored
 * for emails; `email` and `id` may each be NULL. */
int job_user_listed(const struct job_user *users, size_t n,
		    const char *email, const char *id);

/*
 * Reads and validates the job file at `path`.  Returns NULL with
 * ERR_NOINPUT when the file is missing, ERR_CONFIG for anything wrong in
 * it (YAML syntax, unknown key, wrong type, missing key, field not in the
 * object's schema, unset ${VAR}), with file:line:col.
 */
struct job *job_load(const char *path, struct err *err);

/* NULL is a no-op. */
void job_free(struct job *job);

/* The job's object entry for `name`, or NULL when not configured. */
const struct job_object *job_object_find(const struct job *job,
					 const char *name);

#endif
