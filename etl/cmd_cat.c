/*
 * cmd_cat.c - `crmsync cat FILE [--head N]`: prints a staged file as
 * plain CSV on stdout, for auditors (gzip or not; encrypted files once
 * encryption at rest lands).
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "csvio.h"
#include "stage.h"
#include "xalloc.h"

static const char cat_help[] =
	"usage: crmsync cat [--head N] [--columns LIST] FILE\n"
	"\n"
	"Prints a staged file (gzip CSV) as plain CSV on standard output,\n"
	"header first.  Malformed rows are reported on stderr with their\n"
	"line and printed as read.\n"
	"\n"
	"options:\n"
	"  -n, --head N   print only the header and the first N rows\n"
	"  -c, --columns LIST\n"
	"                 print only these columns (comma-separated names,\n"
	"                 in the order given)\n"
	"  -h, --help     this help\n";

static int put_value(const char *v, size_t len)
{
	int quote = len && (memchr(v, ',', len) || memchr(v, '"', len) ||
			    memchr(v, '\n', len) || memchr(v, '\r', len) ||
			    v[0] == ' ' || v[len - 1] == ' ');

	if (!quote)
		return fwrite(v, 1, len, stdout) == len ? 0 : -1;
	if (putchar('"') == EOF)
		return -1;
	for (size_t i = 0; i < len; i++) {
		if (v[i] == '"' && putchar('"') == EOF)
			return -1;
		if (putchar(v[i]) == EOF)
			return -1;
	}
	return putchar('"') == EOF ? -1 : 0;
}

/* Prints the row's columns `cols` (all of them when ncols is 0). */
static int put_row(const struct csv_row *row, const size_t *cols,
		   size_t ncols)
{
	size_t n = ncols ? ncols : row->nfields;

	for (size_t i = 0; i < n; i++) {
		size_t c = ncols ? cols[i] : i;

		if (i && putchar(',') == EOF)
			return -1;
		if (c < row->nfields &&
		    put_value(row->fields[c], row->lens[c]) < 0)
			return -1;
	}
	return putchar('\n') == EOF ? -1 : 0;
}

/* Resolves a comma-separated list of header names to column indexes. */
static int pick_columns(const struct csv_row *h, const char *list,
			size_t **cols, size_t *ncols, struct err *err)
{
	char *copy = xstrdup(list), *save = NULL;
	size_t alloc = 0;
	int ret = 0;

	*cols = NULL;
	*ncols = 0;
	for (char *name = strtok_r(copy, ",", &save); name;
	     name = strtok_r(NULL, ",", &save)) {
		size_t i;

		for (i = 0; i < h->nfields; i++)
			if (strcmp(h->fields[i], name) == 0)
				break;
		if (i == h->nfields) {
			ret = err_set(err, ERR_USAGE, "no column '%s' in "
				      "this file", name);
			break;
		}
		XGROW(*cols, alloc, *ncols + 1);
		(*cols)[(*ncols)++] = i;
	}
	free(copy);
	return ret;
}

int cmd_cat(int argc, char **argv, struct err *err)
{
	static const struct option longopts[] = {
		{ "head", required_argument, NULL, 'n' },
		{ "columns", required_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct csv_reader *r = NULL;
	const struct csv_row *row;
	enum csvr_status s;
	const char *columns = NULL;
	size_t *cols = NULL, ncols = 0;
	long head = -1;
	int c, ret = -1;

	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, "+hn:c:", longopts, NULL)) != -1) {
		if (c == 'h')
			return cmd_print_help(cat_help);
		if (c == 'c') {
			columns = optarg;
			continue;
		}
		if (c != 'n')
			return cmd_usage_error(err, "cat", "unknown option "
					       "'%s'", argv[optind - 1]);
		if (cmd_parse_long("--head", optarg, &head, err) < 0)
			return -1;
	}
	if (optind != argc - 1)
		return cmd_usage_error(err, "cat", "expected one FILE");
	r = csvr_open(argv[optind], staged_read_flags(argv[optind]), err);
	if (!r)
		return -1;
	if (columns && pick_columns(csvr_header(r), columns, &cols, &ncols,
				    err) < 0)
		goto out;
	if (put_row(csvr_header(r), cols, ncols) < 0)
		goto write_error;
	while (head < 0 || csvr_records(r) < (uint64_t)head) {
		s = csvr_next(r, &row, err);
		if (s == CSVR_EOF)
			break;
		if (s == CSVR_ERROR)
			goto out;
		if (s == CSVR_BADROW)
			fprintf(stderr, "crmsync: warning: %s\n", err->msg);
		if (put_row(row, cols, ncols) < 0)
			goto write_error;
	}
	ret = EXIT_OK;
	goto out;
write_error:
	if (errno == EPIPE)
		ret = EXIT_OK; /* the reader went away: not our failure */
	else
		err_errno(err, ERR_IO, errno, "cannot write to standard "
			  "output");
out:
	free(cols);
	csvr_close(r);
	return ret;
}
