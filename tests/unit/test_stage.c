/*
 * test_stage.c - manifests, verification, runs and the job lock;
 * Salesforce datetimes.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "csvio.h"
#include "fsutil.h"
#include "stage.h"
#include "tap.h"
#include "timeutil.h"
#include "xalloc.h"

static char *tmpdir;

struct counts {
	int ok, note, fail;
	char last[1024];
};

static void count(void *ctx, enum verify_severity sev, const char *what)
{
	struct counts *c = ctx;

	if (sev == VERIFY_OK)
		c->ok++;
	else if (sev == VERIFY_NOTE)
		c->note++;
	else
		c->fail++;
	if (sev != VERIFY_OK)
		snprintf(c->last, sizeof(c->last), "%s", what);
}

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	fputs(text, f);
	fclose(f);
}

static void flip_byte(const char *path, long at)
{
	int fd = open(path, O_RDWR);
	unsigned char c;

	pread(fd, &c, 1, at);
	c ^= 0x01;
	pwrite(fd, &c, 1, at);
	close(fd);
}

static void test_datetimes(void)
{
	int64_t a, b;
	char buf[32];

	ok(sf_datetime_parse("2026-11-29T20:15:00.000Z", 24, &a) == 0,
	   "datetime with millis parses");
	ok(sf_datetime_parse("2026-11-29T21:15:00+0100", 24, &b) == 0 && a == b,
	   "offset +0100 is the same instant");
	ok(sf_datetime_parse("2026-11-29T20:15:00Z", 20, &b) == 0 && a == b,
	   "datetime without millis");
	ok(sf_datetime_parse("2026-02-29T00:00:00Z", 20, &b) < 0,
	   "2026-02-29 is refused");
	ok(sf_datetime_parse("2024-02-29T00:00:00Z", 20, &b) == 0,
	   "2024-02-29 is a leap day");
	ok(sf_datetime_parse("2026-11-29 20:15:00Z", 20, &b) < 0,
	   "a space instead of T is refused");
	ok(sf_datetime_parse("2026-11-29T20:15:00.000", 23, &b) < 0,
	   "a datetime without zone is refused");
	sf_datetime_format(a, buf, sizeof(buf));
	is_str(buf, "2026-11-29T20:15:00.000Z", "format round trip");
	sf_datetime_format(0, buf, sizeof(buf));
	is_str(buf, "1970-01-01T00:00:00.000Z", "epoch");
}

static void test_manifest(void)
{
	static const char *const header[] = { "Id", "Name" };
	static const char *const row[] = { "001000000000001AAA", "Acme, Inc." };
	struct run run = { (char *)"r1", NULL };
	struct csv_file_info info;
	struct err err = ERR_INIT;
	struct counts c;
	struct stage *st;
	struct csv_writer *w;
	char *input = xasprintf("%s/input.csv", tmpdir);
	char *out, *manifest;
	char sha[65];
	char *extract_dir;
	unsigned long long bytes;

	run.dir = xasprintf("%s/runs/r1", tmpdir);
	extract_dir = xasprintf("%s/extract", run.dir);
	fs_mkdirs(run.dir, 0755, NULL);
	write_file(input, "Id,Name\n1,a\n");
	ok(stage_begin(&run, "extract", &st, &err) == 0, "stage begins: %s",
	   err.msg);
	out = stage_path(st, "Account.csv.gz");
	w = csvw_open(out, header, 2, 0, &err);
	csvw_row(w, row, NULL, &err);
	ok(csvw_commit(w, &info, &err) == 0, "output committed");
	stage_add_output(st, "Account.csv.gz", "", &info);
	sha256_file(input, sha, &bytes, NULL);
	ok(stage_add_input(st, input, "", 1, 0, bytes, sha, &err) == 0,
	   "input recorded");
	ok(stage_commit(st, &err) == 0, "manifest written");
	manifest = xasprintf("%s/runs/r1/extract/manifest.csv", tmpdir);
	{
		char *text = NULL;

		fs_read_all(manifest, &text, NULL, NULL);
		ok(text && strstr(text, "input,../../../input.csv,,1,0,12,"),
		   "input path is relative to the stage directory");
		ok(text && strstr(text, "\nmanifest,manifest.csv,,0,0,"),
		   "closing self-hash row");
		free(text);
	}
	ok(stage_begin(&run, "extract", &st, &err) == 1 && !st,
	   "a complete stage is skipped");

	memset(&c, 0, sizeof(c));
	ok(manifest_verify(extract_dir, count, &c, &err) == 0 &&
	   c.fail == 0 && c.ok == 2, "verify passes on fresh files (%d ok): %s %s",
	   c.ok, err.msg, c.last);

	/* the input moves on: a note, not a failure */
	write_file(input, "Id,Name\n2,b\n");
	memset(&c, 0, sizeof(c));
	ok(manifest_verify(extract_dir, count, &c, &err) == 0 &&
	   c.note == 1, "a changed input is a note");

	write_file(input, "Id,Name\n1,a\n");
	/* one flipped byte in the output */
	flip_byte(out, 20);
	memset(&c, 0, sizeof(c));
	ok(manifest_verify(extract_dir, count, &c, &err) == 1 &&
	   strstr(c.last, "SHA-256 differs"), "a flipped output byte fails: %s",
	   c.last);
	flip_byte(out, 20);

	/* one flipped byte in the manifest itself */
	flip_byte(manifest, 60);
	memset(&c, 0, sizeof(c));
	ok(manifest_verify(extract_dir, count, &c, &err) < 0 &&
	   strstr(err.msg, "self hash"), "a flipped manifest byte fails: %s",
	   err.msg);
	ok(!manifest_quick_check(extract_dir),
	   "and the stage no longer counts as complete");
	flip_byte(manifest, 60);

	/* a stray file */
	{
		char *stray = xasprintf("%s/runs/r1/extract/.x.tmp.1", tmpdir);

		write_file(stray, "x");
		memset(&c, 0, sizeof(c));
		ok(manifest_verify(extract_dir, count, &c,
				   &err) == 1 && strstr(c.last, "not listed"),
		   "an unlisted file fails: %s", c.last);
		unlink(stray);
		free(stray);
	}

	/* a rerun of an incomplete stage starts clean */
	unlink(manifest);
	ok(stage_begin(&run, "extract", &st, &err) == 0 && !fs_exists(out),
	   "an interrupted stage is redone from scratch");
	stage_abandon(st);

	free(extract_dir);
	free(manifest);
	free(out);
	free(input);
	free(run.dir);
}

static void test_lock(void)
{
	struct job job;
	struct err err = ERR_INIT;
	struct job_lock *lock;
	int status;
	pid_t pid;

	memset(&job, 0, sizeof(job));
	job.name = (char *)"unit";
	job.staging_dir = xasprintf("%s/staging/unit", tmpdir);
	lock = job_lock_acquire(&job, &err);
	ok(lock != NULL, "lock taken: %s", err.msg);
	pid = fork();
	if (pid == 0) {
		struct err e2 = ERR_INIT;
		struct job_lock *l2 = job_lock_acquire(&job, &e2);

		_exit(!l2 && e2.cls == ERR_TEMPFAIL &&
		      strstr(e2.msg, "locked by another crmsync") ? 0 : 1);
	}
	waitpid(pid, &status, 0);
	ok(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	   "a second process is refused with ERR_TEMPFAIL");
	job_lock_release(lock);
	lock = job_lock_acquire(&job, &err);
	ok(lock != NULL, "lock free again after release");
	job_lock_release(lock);
	free(job.staging_dir);
}

int main(void)
{
	char tmpl[] = "/tmp/crmsync-test-stage-XXXXXX";

	tmpdir = mkdtemp(tmpl);
	test_datetimes();
	test_manifest();
	test_lock();
	if (!getenv("KEEP")) fs_remove_tree(tmpdir, NULL);
	return tap_done();
}
