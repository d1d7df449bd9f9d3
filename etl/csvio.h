/*
 * csvio.h - staged CSV files: streaming reader and writer of gzip CSV in
 * the Salesforce Bulk API 2.0 dialect.
 *
 * The dialect (DESIGN.md "Staged files"): UTF-8 without BOM, comma, LF
 * line ends (CRLF accepted on read), RFC 4180 quoting with embedded
 * newlines and doubled quotes, a header row of exact field API names, an
 * empty value meaning null in extracted data and the literal `#N/A`
 * meaning an explicit null in ingest request files.  Values are passed
 * through untouched: interpreting them is the caller's business.
 *
 * csv_read.c and csv_write.c are the only files of etl/ that include
 * <csv.h> (libcsv) or ISA-L's <igzip_lib.h>.  Memory stays flat whatever the file
 * size: a reader holds one record and a ring of four 1 MiB buffers fed
 * by an inflating thread (which also hashes the raw bytes), a writer two
 * 1 MiB buffers and a deflating thread.
 *
 * Ownership: a reader owns the row it returns; the row and its strings
 * stay valid until the next csvr_next() or csvr_close().  The header stays
 * valid until csvr_close().  A writer copies nothing it is given.
 */
#ifndef CRMSYNC_CSVIO_H
#define CRMSYNC_CSVIO_H

#include <stddef.h>
#include <stdint.h>

#include "crypto.h"
#include "errors.h"

/* One record: `nfields` NUL-terminated values (embedded NULs are refused
 * on read) with their byte lengths. */
struct csv_row {
	size_t nfields;
	char **fields;
	size_t *lens;
	/* physical line (1-based) where the record starts in the
	 * decompressed text; the header is line 1 */
	uint64_t line;
};

/* ---- reading ---------------------------------------------------------- */

struct csv_reader;

enum csvr_flags {
	CSVR_GZIP = 1 << 0,  /* file must be gzip: anything else is refused */
	CSVR_PLAIN = 1 << 1, /* file must be plain text */
	/* neither: detect by the gzip magic bytes */
};

/* Return values of csvr_next(). */
enum csvr_status {
	CSVR_ERROR = -1, /* fatal: the file cannot be read further; err set */
	CSVR_EOF = 0,
	CSVR_ROW = 1,
	/* the record was read but is malformed (wrong column count, invalid
	 * UTF-8): err says why with file and line; the row holds the raw
	 * values and reading may go on with the next record */
	CSVR_BADROW = 2,
};

/*
 * Opens `path` ("-" is standard input) and reads its header row.  Fails
 * with ERR_NOINPUT when the file does not exist, ERR_DATA when it is empty,
 * not gzip when CSVR_GZIP is asked, starts with a BOM, or has a malformed
 * header (empty, duplicate names, invalid UTF-8), ERR_IO on read errors.
 * Every message names the file (and the line when there is one).
 */
struct csv_reader *csvr_open(const char *path, unsigned flags,
			     struct err *err);

/* The header row; valid until csvr_close(). */
const struct csv_row *csvr_header(const struct csv_reader *r);

/*
 * Reads the next record into `*row` (owned by the reader).  See enum
 * csvr_status.  Fatal errors: an unbalanced quote at end of file, a quote
 * inside an unquoted value, text after a closing quote, a truncated or
 * corrupt gzip stream, bytes after the last gzip member, a read error.
 * The messages read "'<path>' line <N>: <what>".  A corrupt gzip stream
 * is only detected at its end, after its rows were returned: a caller
 * must treat CSVR_ERROR as making the whole file invalid.  Blank lines
 * between records are skipped; CRLF and a lone CR end a record.
 */
enum csvr_status csvr_next(struct csv_reader *r, const struct csv_row **row,
			   struct err *err);

/* Records returned so far (CSVR_ROW and CSVR_BADROW, header excluded). */
uint64_t csvr_records(const struct csv_reader *r);
/* Bytes of the file consumed so far (compressed bytes for gzip), for
 * progress bars. */
uint64_t csvr_bytes_read(const struct csv_reader *r);
/* Total size of the file when known (a regular file), else 0. */
uint64_t csvr_file_size(const struct csv_reader *r);
/* Path as given to csvr_open(). */
const char *csvr_path(const struct csv_reader *r);

/*
 * SHA-256 of the raw file bytes read so far (the whole file once EOF was
 * returned): the lineage hash of an input, computed without a second read.
 * Returns -1 when called before EOF.
 */
int csvr_sha256_hex(const struct csv_reader *r, char hex[SHA256_HEX_LEN + 1]);

/* Closes and frees; NULL is a no-op. */
void csvr_close(struct csv_reader *r);

/* ---- writing ---------------------------------------------------------- */

struct csv_writer;

enum csvw_flags {
	CSVW_PLAIN = 1 << 0,     /* no gzip (manifests) */
	CSVW_QUOTE_ALL = 1 << 1, /* quote every value, as query results do */
	CSVW_FAST = 1 << 2,      /* ISA-L level 1 instead of 3: for large,
				  * short-lived files (a load's change sets);
				  * as deterministic */
};

/* What a committed file holds, for the manifest. */
struct csv_file_info {
	uint64_t rows;  /* data rows, header excluded */
	uint64_t bytes; /* bytes on disk */
	char sha256[SHA256_HEX_LEN + 1]; /* of the bytes on disk */
};

/*
 * Creates a writer for `path`.  The data goes to a temporary file in the
 * same directory (".<name>.tmp.<pid>") which only csvw_commit() renames to
 * `path`: until then no file that looks complete exists.  The header row
 * is written at once.  gzip output is deterministic: no name, mtime 0,
 * ISA-L level 3 (level 1 with CSVW_FAST), so the same rows always give
 * the same bytes (compression runs in a second thread, fed whole
 * buffers, which keeps that true).  Fails
 * with ERR_CANTCREAT/ERR_IO naming the file (also when the temporary
 * name exists: one writer per path and process), ERR_DATA for a header
 * name that is not UTF-8, ERR_SOFTWARE for no columns.
 */
struct csv_writer *csvw_open(const char *path, const char *const *header,
			     size_t ncols, unsigned flags, struct err *err);

/*
 * Appends one record of exactly `ncols` values.  `lens` may be NULL
 * (strlen is used); a NULL value is written as empty (with
 * CSVW_QUOTE_ALL: unquoted, while "" is written quoted).  Values must be
 * valid UTF-8 without NUL: anything else fails with ERR_DATA naming the
 * column and row, writes nothing of the row, and leaves the writer
 * usable.  Write failures (a full disk) fail with ERR_IO; after one the
 * writer can only be aborted.
 */
int csvw_row(struct csv_writer *w, const char *const *fields,
	     const size_t *lens, struct err *err);

/*
 * Finishes the stream, fsyncs, renames the temporary file to the final
 * name, fsyncs the directory, fills `info` (may be NULL) and frees `w`
 * whatever the outcome; on failure the temporary file is removed and
 * nothing is left at `path` by this writer.
 */
int csvw_commit(struct csv_writer *w, struct csv_file_info *info,
		struct err *err);

/* Drops the temporary file and frees; NULL is a no-op. */
void csvw_abort(struct csv_writer *w);

/* ---- helpers ---------------------------------------------------------- */

/*
 * Checks that `s` is valid UTF-8 (no overlongs, no surrogates, nothing
 * above U+10FFFF) without NUL bytes.  Returns the length of `s` when
 * valid, else the byte offset of the first bad byte, and sets *bad.
 * This function can't fail.
 */
size_t utf8_check(const char *s, size_t len, int *bad);

#endif
