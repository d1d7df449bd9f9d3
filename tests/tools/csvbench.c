/*
 * csvbench.c - drives the staged CSV layer (csvio.h) for the benchmarks
 * in tests/bench/run.sh; the timing is done from outside, by peakrss.
 *
 *	csvbench read FILE             reads every record with csvr_next()
 *	csvbench write [--seed S] N OUT.csv.gz
 *	                               writes the N rows of gen_contacts
 *	                               --seed S through csvw_row(), commits
 *	csvbench gen [--seed S] N      only builds those rows (the share of
 *	                               row generation in the write time)
 *
 * read and gen print one line to stdout,
 *
 *	rows 5000000 bad 0 bytes 947364181 digest 5d1c0e2a9f4b7731
 *
 * where bytes sums the field lengths and digest hashes every byte of every
 * field in order, with the field boundaries: the benchmark touches all the
 * data a real consumer would, the compiler cannot drop the work, and a
 * file read back gives the same digest as the rows it was written from.
 * write prints "rows N bytes B sha256 HEX" from csvw_commit().
 *
 * Exit 0; 65 when a record was malformed; otherwise the class of the
 * failure as crmsync would exit (64 usage, 66 no input, 73/74 output).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "csvio.h"
#include "errors.h"
#include "gen_rows.h"

static const char usage[] =
	"usage: csvbench read FILE\n"
	"       csvbench write [--seed S] N OUT.csv.gz\n"
	"       csvbench gen [--seed S] N\n";

/* Same mapping as the exit code table of crmsync (errors.h). */
static int exit_code(enum err_class cls)
{
	switch (cls) {
	case ERR_OK: return 0;
	case ERR_USAGE: return 64;
	case ERR_DATA: return 65;
	case ERR_NOINPUT: return 66;
	case ERR_SOFTWARE: return 70;
	case ERR_CANTCREAT: return 73;
	case ERR_IO: return 74;
	case ERR_TEMPFAIL: return 75;
	case ERR_NOPERM: return 77;
	case ERR_CONFIG: return 78;
	}
	return 70;
}

static int fail(const struct err *err)
{
	fprintf(stderr, "csvbench: %s\n", err->msg);
	return exit_code(err->cls);
}

/* ---- the digest -------------------------------------------------------- */

struct digest {
	uint64_t rows, bad, bytes, h;
};

#define DIGEST_INIT { 0, 0, 0, 0x6a09e667f3bcc908ULL }

/*
 * Folds one field into `d`: eight bytes at a time through a
 * multiply-xor chain, the tail byte by byte, then the field into the
 * running hash, so that moving a byte across a field boundary changes
 * the result.  Not cryptographic; it only has to be cheap, touch
 * everything and tell two row streams apart.  This function can't fail.
 */
static inline void digest_field(struct digest *d, const char *s, size_t len)
{
	uint64_t acc = len, w;
	size_t i = 0;

	for (; i + 8 <= len; i += 8) {
		memcpy(&w, s + i, 8);
		acc = (acc ^ w) * 0x9e3779b97f4a7c15ULL;
	}
	for (w = 0; i < len; i++)
		w = w << 8 | (unsigned char)s[i];
	acc = (acc ^ w) * 0xbf58476d1ce4e5b9ULL;
	d->h = (d->h ^ acc ^ (acc >> 31)) * 0x94d049bb133111ebULL;
	d->bytes += len;
}

static void digest_row(struct digest *d, const char *const *fields,
		       const size_t *lens, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		digest_field(d, fields[i], lens[i]);
	d->h ^= d->h >> 29; /* end of record */
	d->rows++;
}

static void digest_print(const struct digest *d)
{
	printf("rows %" PRIu64 " bad %" PRIu64 " bytes %" PRIu64
	       " digest %016" PRIx64 "\n", d->rows, d->bad, d->bytes, d->h);
}

/* ---- subcommands ------------------------------------------------------- */

static int cmd_read(const char *path)
{
	struct err err = ERR_INIT;
	struct digest d = DIGEST_INIT;
	struct csv_reader *r;
	const struct csv_row *row;
	enum csvr_status st;

	r = csvr_open(path, 0, &err);
	if (!r)
		return fail(&err);
	while ((st = csvr_next(r, &row, &err)) != CSVR_EOF) {
		if (st == CSVR_ERROR) {
			csvr_close(r);
			return fail(&err);
		}
		if (st == CSVR_BADROW && !d.bad++)
			fprintf(stderr, "csvbench: %s\n", err.msg);
		digest_row(&d, (const char *const *)row->fields, row->lens,
			   row->nfields);
	}
	if (csvr_records(r) != d.rows) {
		fprintf(stderr, "csvbench: '%s': csvr_records() says %" PRIu64
			", csvr_next() gave %" PRIu64 "\n", path,
			csvr_records(r), d.rows);
		d.bad++;
	}
	csvr_close(r);
	digest_print(&d);
	return d.bad ? 65 : 0;
}

static int cmd_write(uint64_t seed, uint64_t n, const char *path)
{
	struct err err = ERR_INIT;
	struct csv_file_info info;
	struct csv_writer *w;
	struct gen_rows *g;
	uint64_t i;

	g = malloc(sizeof(*g));
	if (!g) {
		fputs("csvbench: out of memory\n", stderr);
		return 70;
	}
	gen_init(g, seed);
	w = csvw_open(path, gen_header, GEN_NCOLS, 0, &err);
	if (!w) {
		free(g);
		return fail(&err);
	}
	for (i = 0; i < n; i++) {
		gen_next(g);
		if (csvw_row(w, g->fields, g->lens, &err)) {
			csvw_abort(w);
			free(g);
			return fail(&err);
		}
	}
	free(g);
	if (csvw_commit(w, &info, &err))
		return fail(&err);
	printf("rows %" PRIu64 " bytes %" PRIu64 " sha256 %s\n", info.rows,
	       info.bytes, info.sha256);
	return info.rows == n ? 0 : 70;
}

static int cmd_gen(uint64_t seed, uint64_t n)
{
	struct digest d = DIGEST_INIT;
	struct gen_rows *g;
	uint64_t i;

	g = malloc(sizeof(*g));
	if (!g) {
		fputs("csvbench: out of memory\n", stderr);
		return 70;
	}
	gen_init(g, seed);
	for (i = 0; i < n; i++) {
		gen_next(g);
		digest_row(&d, g->fields, g->lens, GEN_NCOLS);
	}
	free(g);
	digest_print(&d);
	return 0;
}

/* Parses a decimal or 0x number; 0 on success, -1 when malformed. */
static int parse_u64(const char *s, uint64_t *out)
{
	char *end;
	unsigned long long v;

	if (!*s || *s == '-')
		return -1;
	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno || *end)
		return -1;
	*out = v;
	return 0;
}

int main(int argc, char **argv)
{
	uint64_t seed = 1, n;
	int a = 2;

	if (argc < 2)
		goto bad;
	if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
		fputs(usage, stdout);
		return 0;
	}
	if (!strcmp(argv[1], "read") && argc == 3)
		return cmd_read(argv[2]);

	if (a + 1 < argc && !strcmp(argv[a], "--seed")) {
		if (parse_u64(argv[a + 1], &seed))
			goto bad;
		a += 2;
	}
	if (!strcmp(argv[1], "write") && argc - a == 2) {
		if (parse_u64(argv[a], &n))
			goto bad;
		return cmd_write(seed, n, argv[a + 1]);
	}
	if (!strcmp(argv[1], "gen") && argc - a == 1) {
		if (parse_u64(argv[a], &n))
			goto bad;
		return cmd_gen(seed, n);
	}
bad:
	fputs(usage, stderr);
	return 64;
}
