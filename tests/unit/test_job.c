/*
 * test_job.c - job files: what loads, and the exact file:line:col
 * message for each kind of mistake.  Job files are written into a
 * temporary directory, except tests/unit/jobs/ and jobs/demo.yaml (the
 * runner executes this from the repository root).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "job.h"
#include "tap.h"
#include "xalloc.h"

static char tmpdir[] = "/tmp/crmsync-test-job.XXXXXX";
static int nfiles;

#define HEAD "job:\n  name: t\nsource:\n  kind: fixture\n  dir: org\n"

/* Writes `text` to a new file in tmpdir; caller frees the path. */
static char *write_job(const char *text)
{
	char *path = xasprintf("%s/job%d.yaml", tmpdir, nfiles++);
	FILE *f = fopen(path, "w");

	if (!f || fputs(text, f) == EOF || fclose(f)) {
		printf("# cannot write %s\n", path);
		exit(1);
	}
	return path;
}

/* Loads `text` and expects failure with "<path>:<want>". */
static void expect_err(const char *text, const char *want, const char *name)
{
	struct err e = ERR_INIT;
	char *path = write_job(text);
	char *full = xasprintf("%s:%s", path, want);
	struct job *job = job_load(path, &e);

	ok(job == NULL && e.cls == ERR_CONFIG, "%s fails with ERR_CONFIG",
	   name);
	is_str(e.msg, full, "%s: message", name);
	job_free(job);
	free(full);
	free(path);
}

static struct job *load_ok(const char *text, const char *name)
{
	struct err e = ERR_INIT;
	char *path = write_job(text);
	struct job *job = job_load(path, &e);

	ok(job != NULL, "%s loads: %s", name, e.msg);
	free(path);
	return job;
}

static void test_syntax(void)
{
	expect_err(HEAD "objects: [Lead, Contact\n",
		   "7:1: did not find expected ',' or ']' while parsing a "
		   "flow sequence started at line 6", "unclosed list");
	expect_err("job:\n  name: t\n source: 1\n",
		   "3:2: did not find expected key while parsing a block "
		   "mapping started at line 1", "bad indentation");
	expect_err("job:\n  name: t\n  name: u\n",
		   "3:3: duplicate key 'name' (first at line 2, column 3)",
		   "duplicate key");
	expect_err("a: &x 1\nb: *x\n", "1:4: anchors are not supported",
		   "anchor");
	expect_err("", "1:1: the job file is empty", "empty file");
	expect_err("- 1\n", "1:1: a job file must be a mapping, not a list",
		   "list at top");
}

static void test_keys(void)
{
	expect_err(HEAD "sycn:\n  interval_hours: 3\n",
		   "6:1: unknown key 'sycn' (did you mean 'sync'?)",
		   "unknown top-level key");
	expect_err(HEAD "  dri: x\n",
		   "6:3: unknown key 'dri' in 'source' (did you mean 'dir'?)",
		   "unknown nested key");
	expect_err(HEAD "match:\n  people:\n    treshold: 3\n",
		   "8:5: unknown key 'treshold' in 'match.people' (did you "
		   "mean 'threshold'?)", "unknown key deep down");
	expect_err(HEAD "sync:\n  interval_hours: yes\n",
		   "7:19: expected an integer for 'sync.interval_hours', got "
		   "'yes'", "integer expected");
	expect_err(HEAD "writeback:\n  enabled: yes\n",
		   "7:12: expected a boolean (true or false) for "
		   "'writeback.enabled', got 'yes'", "boolean expected");
	expect_err(HEAD "sync:\n  interval_hours: 0\n",
		   "7:19: 'sync.interval_hours' must be between 1 and 168, "
		   "got 0", "out of range");
	expect_err(HEAD "staging: [a]\n",
		   "6:10: expected a mapping for 'staging', got a list",
		   "mapping expected");
	expect_err("job:\n  name: t\nsource:\n  dir: org\n",
		   "4:3: missing required key 'kind' in 'source'",
		   "missing nested key");
	expect_err("job:\n  name: t\n",
		   "1:1: missing required key 'source'", "missing section");
	expect_err("job:\n  name: Big Name\nsource: {kind: fixture, dir: o}\n",
		   "2:9: 'job.name' must be 1 to 64 of a-z, 0-9, '_' and '-', "
		   "got 'Big Name'", "bad job name");
	expect_err("job:\n  name: t\nsource:\n  kind: fixtrue\n",
		   "4:9: unknown value 'fixtrue' for 'source.kind' (did you "
		   "mean 'fixture'?); expected one of: fixture, salesforce",
		   "unknown enum value");
	expect_err(HEAD "objects: [Lead, Contcat]\n",
		   "6:17: unknown object 'Contcat' in 'objects' (did you mean "
		   "'Contact'?)", "unknown object");
	expect_err(HEAD "objects: [Lead, Lead]\n",
		   "6:17: object 'Lead' is listed twice", "object twice");
}

#define PEOPLE(fields)							\
	HEAD "directory:\n  members: m.csv.gz\n"			\
	"match:\n  people:\n    threshold: 5\n"			\
	"    fields:\n" fields						\
	"    blocking: [email]\n"					\
	"    comparisons:\n"						\
	"      email:\n        method: email\n"			\
	"        levels: [{min: 1, weight: 10}]\n"

static void test_match(void)
{
	struct job *job;
	const struct match_model *m;

	expect_err(PEOPLE("      email: {Lead: Emial, members: Email}\n"),
		   "12:21: field 'Emial' is not in schema salesforce/Lead "
		   "(did you mean 'Email'?)", "CRM field not in schema");
	expect_err(PEOPLE("      email: {Lead: Email, members: Mail}\n"),
		   "12:37: field 'Mail' is not in schema directory/members "
		   "(did you mean 'Email'?)", "directory field not in schema");
	expect_err(PEOPLE("      emial: {Lead: Email, members: Email}\n"),
		   "12:7: unknown field 'emial' in 'match.people.fields' (did "
		   "you mean 'email'?)", "unknown canonical field");
	expect_err(PEOPLE("      email: {Leed: Email, members: Email}\n"),
		   "12:15: unknown object 'Leed' in 'match.people.fields.email'"
		   " (did you mean 'Lead'?)", "unknown match object");
	expect_err(PEOPLE("      phone: {Lead: Phone, members: Phone}\n"),
		   "13:16: 'match.people.blocking' names field 'email', which "
		   "is not mapped in 'fields'", "blocking on unmapped field");
	expect_err(PEOPLE("      email: {Lead: Email, members: Email}\n"
			  "    prior: maybe\n"),
		   "13:12: expected auto, none or a probability for "
		   "'match.people.prior', got 'maybe'", "prior not a probability");
	expect_err(PEOPLE("      email: {Lead: Email, members: Email}\n")
		   "        term_frequency: true\n",
		   "17:18: 'match.people.comparisons.email.term_frequency' "
		   "needs m and u on the first level (its u is replaced by the "
		   "value's frequency), not a weight", "term_frequency needs m");
	expect_err(PEOPLE("      email: {Lead: Email, members: Email}\n")
		   "        term_frequency_given: email\n",
		   "18:31: 'match.people.comparisons.email.term_frequency_given'"
		   " needs 'term_frequency: true'", "given needs tf");
	expect_err(PEOPLE("      email: {Lead: Email, members: Email}\n"
			  "      phone: {Lead: Phone, members: Phone}\n")
		   "      phone:\n        method: phone\n"
		   "        levels: [{min: 1, m: 0.9, u: 0.01}]\n"
		   "        term_frequency: true\n"
		   "        term_frequency_given: phone\n",
		   "23:31: 'match.people.comparisons.phone.term_frequency_given'"
		   " names 'phone', which is not another comparison of "
		   "match.people", "given names no comparison");
	expect_err(PEOPLE("      email: {Lead: Email, members: Email}\n")
		   "        implied_by: city\n",
		   "18:21: 'match.people.comparisons.email.implied_by' names "
		   "'city', which is not another comparison of match.people",
		   "implied_by names no comparison");
	expect_err(PEOPLE("      email: {Lead: Email, members: Email}\n")
		   "        train_without: email\n",
		   "18:24: 'match.people.comparisons.email.train_without' "
		   "names 'email', which is not another comparison of "
		   "match.people", "train_without names itself");
	expect_err(HEAD "directory:\n  members: m.csv.gz\n"
		   "match:\n  people:\n    threshold: 5\n"
		   "    fields:\n"
		   "      email: {Lead: Email, members: Email}\n"
		   "      last_name: {Lead: LastName, members: LastName}\n"
		   "    blocking:\n"
		   "      - {keys: [\"last_name:phonetic\", email], "
		   "crossed: true}\n"
		   "    comparisons:\n"
		   "      email:\n        method: email\n"
		   "        levels: [{min: 1, weight: 10}]\n",
		   "15:9: a crossed rule in 'match.people.blocking' must key "
		   "on both first_name and last_name", "crossed needs names");
	expect_err(PEOPLE("      email: {Lead: Email, members: Email}\n"
			  "    prior: none\n    exclusive: true\n"),
		   "14:16: 'match.people.exclusive' weighs a pair's odds "
		   "against its rivals': it needs a prior (prior: none gives "
		   "bare sums)", "exclusive needs a prior");
	job = load_ok(PEOPLE("      email: {Lead: Email, Contact: Email,"
			     " members: [Email, EmailSha256]}\n"),
		      "people model");
	if (!job)
		return;
	m = &job->settings->people;
	ok(m->enabled && !job->settings->accounts.enabled,
	   "people on, accounts off");
	ok(m->nfields == 1 && m->fields[0].src[2].nfields == 2 &&
	   !strcmp(m->fields[0].src[2].fields[1], "EmailSha256") &&
	   m->fields[0].src[2].index[1] == 7, "fallback fields and indexes");
	ok(m->nblocking == 1 && m->blocking[0].nkeys == 1,
	   "one blocking rule");
	ok(m->ncomparisons == 1 && m->comparisons[0].method == MM_EMAIL &&
	   m->comparisons[0].levels[0].weight == 10,
	   "comparison parsed");
	job_free(job);
}

static void test_env(void)
{
	struct job *job;

	unsetenv("CRMSYNC_TEST_UNSET");
	expect_err("job:\n  name: ${CRMSYNC_TEST_UNSET}\n"
		   "source: {kind: fixture, dir: o}\n",
		   "2:9: environment variable 'CRMSYNC_TEST_UNSET' is not set "
		   "(used by 'job.name')", "unset variable");
	expect_err("job:\n  name: t\nsource:\n  kind: salesforce\n"
		   "  auth:\n    flow: client_credentials\n"
		   "    client_id: abc\n    client_secret: hunter2\n",
		   "8:20: 'source.auth.client_secret' is a secret: write "
		   "${NAME} and set NAME in the environment, never the secret"
		   " itself", "literal secret refused");
	setenv("CRMSYNC_TEST_SECRET", "s3cr3t-value", 1);
	setenv("CRMSYNC_TEST_NAME", "envjob", 1);
	setenv("CRMSYNC_TEST_BOOL", "maybe", 1);
	expect_err(HEAD "writeback:\n  enabled: ${CRMSYNC_TEST_BOOL}\n",
		   "7:12: expected a boolean (true or false) for "
		   "'writeback.enabled', got '${CRMSYNC_TEST_BOOL}'",
		   "bad value from env shows the reference, not the value");
	job = load_ok("job:\n  name: ${CRMSYNC_TEST_NAME}\n"
		      "source:\n  kind: salesforce\n"
		      "  login_url: http://127.0.0.1:8443\n"
		      "  auth:\n    flow: client_credentials\n"
		      "    client_id: id-$${literal}\n"
		      "    client_secret: ${CRMSYNC_TEST_SECRET}\n",
		      "${VAR} substitution");
	if (job) {
		is_str(job->name, "envjob", "name from the environment");
		is_str(job->source.client_secret, "s3cr3t-value",
		       "secret from the environment");
		is_str(job->source.client_id, "id-${literal}",
		       "$${ escapes a literal ${");
		is_int(job->source.auth_flow, AUTH_CLIENT_CREDENTIALS,
		       "auth flow");
		job_free(job);
	}
	expect_err("job:\n  name: t\nsource:\n  kind: salesforce\n"
		   "  login_url: http://login.example.com\n"
		   "  auth:\n    flow: jwt\n    client_id: a\n",
		   "5:14: 'source.login_url' must be an https:// URL (plain "
		   "http is allowed to loopback only), got "
		   "'http://login.example.com'", "plain http refused");
}

static void test_defaults(void)
{
	struct err e = ERR_INIT;
	struct job *job = job_load("tests/unit/jobs/minimal.yaml", &e);
	const struct job_settings *st;

	if (!ok(job != NULL, "minimal.yaml loads: %s", e.msg))
		return;
	st = job->settings;
	is_str(job->dir, "tests/unit/jobs", "job dir");
	is_str(job->source.fixture_dir, "tests/unit/jobs/org",
	       "paths relative to the job file");
	is_str(job->staging_root, "tests/unit/jobs/staging",
	       "default staging root");
	is_str(job->staging_dir, "tests/unit/jobs/staging/minimal",
	       "staging dir");
	is_int(job->sync_interval_hours, 12, "interval default 12");
	is_int(job->max_rejects, 100, "max_rejects default 100");
	is_int(job->source.lookback_seconds, 300, "lookback default 300");
	ok(job->source.api_budget_share == 0.5, "budget share default 0.5");
	is_int(job->nobjects, 7, "all seven objects by default");
	ok(job_object_find(job, "UserRole") &&
	   job_object_find(job, "UserRole")->schema ==
	   schema_find("salesforce", "UserRole"), "object schema bound");
	ok(!st->people.enabled && !st->accounts.enabled, "no match models");
	ok(!st->writeback.enabled && !st->autosave.enabled &&
	   !st->roi.enabled, "writeback, autosave, roi off by default");
	is_str(st->writeback.task_status, "Completed", "task status default");
	is_str(st->roi.revenue_field, "Amount", "revenue field default");
	ok(job->encryption_key_file == NULL, "no encryption by default");
	job_free(job);
	ok(job_load("tests/unit/jobs/absent.yaml", &e) == NULL &&
	   e.cls == ERR_NOINPUT, "missing job file is ERR_NOINPUT");
}

static void test_settings(void)
{
	expect_err(HEAD "roi:\n  enabled: true\n  pipeline_stage: Won\n"
		   "  revenue_field: Name\n",
		   "9:18: 'roi.revenue_field' must be a numeric Opportunity "
		   "field; 'Name' is of type string", "non-numeric revenue");
	expect_err(HEAD "roi:\n  revenue_field: Amuont\n",
		   "7:18: field 'Amuont' is not in schema "
		   "salesforce/Opportunity (did you mean 'Amount'?)",
		   "unknown revenue field");
	expect_err(HEAD "writeback:\n  types: [InMail, Cal]\n",
		   "7:19: unknown value 'Cal' for 'writeback.types' (did you "
		   "mean 'Call'?); expected one of: InMail, Message, Call, "
		   "Note, PointDrive", "unknown writeback type");
	expect_err(HEAD "writeback:\n  enabled: true\n",
		   "7:3: 'writeback' is enabled but 'users' names nobody "
		   "(writeback is enabled per user)", "writeback needs users");
	expect_err(HEAD "autosave:\n  users: [not-an-id]\n",
		   "7:11: 'not-an-id' in 'autosave.users' is neither an email "
		   "address nor a User Id", "bad user");
	expect_err(HEAD "objects: [Lead]\nroi:\n  enabled: true\n"
		   "  pipeline_stage: Qualification\n",
		   "8:3: 'roi' needs object 'Opportunity', which 'objects' "
		   "leaves out", "roi needs Opportunity");
}

/* Whether comparison `i` of `m` is `field` and `link` (its tf_given,
 * implied_by or train_without: 1 + an index) names comparison `j`,
 * which is `other`. */
static int links_to(const struct match_model *m, size_t i, const char *field,
		    size_t link, size_t j, const char *other)
{
	return !strcmp(m->comparisons[i].field, field) && link == j + 1 &&
	       !strcmp(m->comparisons[j].field, other);
}

static void test_demo(void)
{
	struct err e = ERR_INIT;
	struct job *job = job_load("jobs/demo.yaml", &e);
	const struct job_settings *st;

	if (!ok(job != NULL, "jobs/demo.yaml loads: %s", e.msg))
		return;
	st = job->settings;
	is_str(job->name, "demo", "demo name");
	is_str(job->staging_dir, "jobs/../staging/demo", "demo staging");
	is_int(job->source.kind, SOURCE_FIXTURE, "demo is offline");
	ok(st->people.enabled && st->accounts.enabled, "both models");
	ok(st->people.ncomparisons >= 5, "people model has comparisons");
	ok(st->people.prior == PRIOR_AUTO && st->people.max_block_pairs ==
	   MATCH_DEFAULT_MAX_BLOCK_PAIRS, "prior and block cap default");
	ok(st->people.candidate_floor == MATCH_DEFAULT_CANDIDATE_FLOOR &&
	   st->accounts.candidate_floor == -14.0, "candidate floor default");
	ok(st->people.comparisons[2].term_frequency &&
	   !st->people.comparisons[0].term_frequency,
	   "term_frequency read per comparison");
	ok(links_to(&st->people, 3, "last_name", st->people.comparisons[3].tf_given,
		    2, "first_name") && !st->people.comparisons[2].tf_given,
	   "last_name's term frequency is given first_name");
	ok(links_to(&st->people, 9, "state", st->people.comparisons[9].implied_by,
		    8, "city") && !st->people.comparisons[8].implied_by,
	   "state is implied by the city");
	ok(links_to(&st->people, 6, "domain",
		    st->people.comparisons[6].implied_by, 4, "company") &&
	   !st->people.comparisons[4].implied_by,
	   "the domain is implied by the company");
	ok(links_to(&st->people, 5, "previous_company",
		    st->people.comparisons[5].implied_by, 4, "company"),
	   "the previous employer is implied by the company");
	ok(links_to(&st->people, 4, "company",
		    st->people.comparisons[4].train_without, 0, "email") &&
	   !st->people.comparisons[7].train_without,
	   "the company is trained without the email");
	ok(st->people.exclusive && st->accounts.exclusive,
	   "exclusive by default with a prior");
	ok(st->writeback.enabled && st->writeback.record_type_ids[WB_INMAIL],
	   "writeback configured");
	is_str(job->directory.members,
	       "jobs/../tests/fixtures/demo/directory/members.csv.gz",
	       "members path");
	job_free(job);
}

int main(void)
{
	struct err e = ERR_INIT;
	int i;

	if (!mkdtemp(tmpdir) || schemas_load(&e)) {
		printf("Bail out! %s\n", e.msg);
		return 1;
	}
	test_syntax();
	test_keys();
	test_match();
	test_env();
	test_defaults();
	test_settings();
	test_demo();
	for (i = 0; i < nfiles; i++) {
		char *p = xasprintf("%s/job%d.yaml", tmpdir, i);

		unlink(p);
		free(p);
	}
	rmdir(tmpdir);
	schemas_free();
	return tap_done();
}
