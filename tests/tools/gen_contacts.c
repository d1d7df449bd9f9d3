/*
 * gen_contacts.c - prints deterministic Contact-shaped rows as plain CSV,
 * the input of the benchmarks (tests/bench/run.sh).
 *
 *	gen_contacts [--rows N] [--seed S] >contacts.csv
 *
 * The rows come from gen_rows.h, which csvbench shares, so `csvbench
 * write` compresses exactly these rows.  The CSV is formatted here with
 * plain code, not with the staged CSV layer under test: comma, LF line
 * ends, a value quoted only when it holds a comma, a quote, CR or LF,
 * quotes doubled inside.  Exit 0, or 64 on a bad command line, 74 when
 * stdout cannot be written.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gen_rows.h"

static const char usage[] =
	"usage: gen_contacts [--rows N] [--seed S] >FILE.csv\n";

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

/*
 * Appends one CSV value to `out` and returns the new end.  `out` must
 * have room for 2 * len + 2 bytes.  This function can't fail.
 */
static char *put_value(char *out, const char *s, size_t len)
{
	size_t i;

	if (!memchr(s, ',', len) && !memchr(s, '"', len) &&
	    !memchr(s, '\n', len) && !memchr(s, '\r', len)) {
		memcpy(out, s, len);
		return out + len;
	}
	*out++ = '"';
	for (i = 0; i < len; i++) {
		if (s[i] == '"')
			*out++ = '"';
		*out++ = s[i];
	}
	*out++ = '"';
	return out;
}

/* Writes one record, LF-terminated; -1 on a write error. */
static int put_row(FILE *f, const char *const *fields, const size_t *lens)
{
	static char line[2 * GEN_ROW_MAX + 2 * GEN_NCOLS + 1];
	char *p = line;
	int i;

	for (i = 0; i < GEN_NCOLS; i++) {
		if (i)
			*p++ = ',';
		p = put_value(p, fields[i], lens ? lens[i] : strlen(fields[i]));
	}
	*p++ = '\n';
	return fwrite(line, 1, (size_t)(p - line), f) == (size_t)(p - line) ?
		0 : -1;
}

int main(int argc, char **argv)
{
	static char obuf[1 << 20];
	struct gen_rows *g;
	uint64_t rows = 1000, seed = 1, i;
	int a;

	for (a = 1; a < argc; a++) {
		if (!strcmp(argv[a], "--rows") && a + 1 < argc) {
			if (parse_u64(argv[++a], &rows))
				goto bad;
		} else if (!strcmp(argv[a], "--seed") && a + 1 < argc) {
			if (parse_u64(argv[++a], &seed))
				goto bad;
		} else if (!strcmp(argv[a], "-h") || !strcmp(argv[a], "--help")) {
			fputs(usage, stdout);
			return 0;
		} else {
			goto bad;
		}
	}

	g = malloc(sizeof(*g));
	if (!g) {
		fputs("gen_contacts: out of memory\n", stderr);
		return 70;
	}
	setvbuf(stdout, obuf, _IOFBF, sizeof(obuf));
	gen_init(g, seed);
	if (put_row(stdout, gen_header, NULL))
		goto write_error;
	for (i = 0; i < rows; i++) {
		gen_next(g);
		if (put_row(stdout, g->fields, g->lens))
			goto write_error;
	}
	if (fflush(stdout))
		goto write_error;
	free(g);
	return 0;

write_error:
	fprintf(stderr, "gen_contacts: cannot write to stdout: %s\n",
		strerror(errno));
	free(g);
	return 74;
bad:
	fputs(usage, stderr);
	return 64;
}
