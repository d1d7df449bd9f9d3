/*
 * test_csv.c - unit tests of the staged CSV layer (csvio.h): reader,
 * writer and utf8_check().  Everything is written under a mkdtemp()
 * directory in /tmp, removed at the end.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zlib.h>

#include "crypto.h"
#include "csvio.h"
#include "fsutil.h"
#include "strbuf.h"
#include "tap.h"
#include "xalloc.h"

static char tmpdir[] = "/tmp/test_csv.XXXXXX";

/* A path in the test directory; caller frees. */
static char *tpath(const char *name)
{
	return xasprintf("%s/%s", tmpdir, name);
}

static void put_file(const char *path, const void *data, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);

	if (fd < 0 || fs_write_full(fd, data, len) < 0 || close(fd) < 0) {
		perror(path);
		exit(1);
	}
}

/* Writes `data` gzip-compressed (one member) to `path`. */
static void put_gz(const char *path, const void *data, size_t len)
{
	z_stream z;
	size_t cap = compressBound((uLong)len) + 64;
	unsigned char *out = xmalloc(cap);

	memset(&z, 0, sizeof(z));
	if (deflateInit2(&z, 6, Z_DEFLATED, 15 + 16, 8,
			 Z_DEFAULT_STRATEGY) != Z_OK)
		exit(1);
	z.next_in = (unsigned char *)data;
	z.avail_in = (uInt)len;
	z.next_out = out;
	z.avail_out = (uInt)cap;
	if (deflate(&z, Z_FINISH) != Z_STREAM_END)
		exit(1);
	put_file(path, out, cap - z.avail_out);
	deflateEnd(&z);
	free(out);
}

static char *get_file(const char *path, size_t *len)
{
	char *data = NULL;

	if (fs_read_all(path, &data, len, NULL) < 0)
		return xstrdup("");
	return data;
}

/* The decompressed text of a gzip file; caller frees. */
static char *gunzip_file(const char *path)
{
	struct strbuf sb = STRBUF_INIT;
	gzFile g = gzopen(path, "rb");
	char buf[4096];
	int n;

	if (!g)
		return xstrdup("");
	while ((n = gzread(g, buf, sizeof(buf))) > 0)
		strbuf_add(&sb, buf, (size_t)n);
	gzclose(g);
	return strbuf_detach(&sb, NULL);
}

/*
 * Reads a whole file and renders it as "<line>:v1|v2\n" per record, CR
 * and LF in values shown as \r and \n, a BADROW prefixed with "!".  A
 * fatal error appends "ERROR\n".  Returns NULL when csvr_open() failed.
 * `err` keeps the last error; `bad` counts BADROWs.
 */
static char *slurp(const char *path, unsigned flags, struct err *err,
		   int *bad)
{
	struct strbuf sb = STRBUF_INIT;
	struct csv_reader *r;
	const struct csv_row *row;
	enum csvr_status st;
	struct err e = ERR_INIT;

	if (bad)
		*bad = 0;
	err_clear(err);
	r = csvr_open(path, flags, err);
	if (!r)
		return NULL;
	while ((st = csvr_next(r, &row, &e)) != CSVR_EOF) {
		if (st == CSVR_ERROR) {
			strbuf_addstr(&sb, "ERROR\n");
			break;
		}
		if (st == CSVR_BADROW) {
			strbuf_addch(&sb, '!');
			if (bad)
				(*bad)++;
		}
		strbuf_addf(&sb, "%llu:", (unsigned long long)row->line);
		for (size_t i = 0; i < row->nfields; i++) {
			if (i)
				strbuf_addch(&sb, '|');
			for (size_t j = 0; j < row->lens[i]; j++) {
				char c = row->fields[i][j];

				if (c == '\n')
					strbuf_addstr(&sb, "\\n");
				else if (c == '\r')
					strbuf_addstr(&sb, "\\r");
				else
					strbuf_addch(&sb, c);
			}
		}
		strbuf_addch(&sb, '\n');
	}
	if (err && e.cls != ERR_OK)
		*err = e;
	csvr_close(r);
	return strbuf_detach(&sb, NULL);
}

/* Reads plain text from a file made for the test. */
static char *slurp_text(const char *name, const char *text, unsigned flags,
			struct err *err, int *bad)
{
	char *path = tpath(name);
	char *got;

	put_file(path, text, strlen(text));
	got = slurp(path, flags, err, bad);
	free(path);
	return got;
}

static int contains(const char *hay, const char *needle)
{
	return hay && strstr(hay, needle) != NULL;
}

/* ---- utf8_check -------------------------------------------------------- */

static void test_utf8(void)
{
	static const struct {
		const char *s;
		size_t len, want;
		int bad;
		const char *what;
	} cases[] = {
		{ "plain ascii", 11, 11, 0, "ascii" },
		{ "Zo\xc3\xab \xe6\x9d\xb1\xe4\xba\xac \xf0\x9f\x98\x80", 16,
		  16, 0, "2, 3 and 4 byte sequences" },
		{ "a\xc0\x80", 3, 1, 1, "overlong NUL" },
		{ "ab\xe0\x80\xaf", 5, 2, 1, "overlong 3-byte" },
		{ "\xed\xa0\x80", 3, 0, 1, "surrogate" },
		{ "x\xf4\x90\x80\x80", 5, 1, 1, "above U+10FFFF" },
		{ "abc\xe2\x82", 5, 3, 1, "cut sequence" },
		{ "\x80", 1, 0, 1, "lone continuation byte" },
		{ "ab\0cd", 5, 2, 1, "NUL" },
		{ "0123456789abcdef0123456789abcdef0123\xff", 37, 36, 1,
		  "bad byte after the fast path" },
		{ "0123456789abcdef01234\0", 22, 21, 1,
		  "NUL after the fast path" },
		{ "0123456789abcde\xc3\xa9", 17, 17, 0,
		  "sequence across the 16-byte boundary" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int bad = -1;
		size_t at = utf8_check(cases[i].s, cases[i].len, &bad);

		ok(at == cases[i].want && bad == cases[i].bad,
		   "utf8_check: %s (offset %zu, bad %d)", cases[i].what, at,
		   bad);
	}
}

/* ---- writer and reader round trip ------------------------------------- */

static const char *const hdr3[] = { "Id", "Name", "Note" };

static void test_round_trip(void)
{
	static const char *const rows[][3] = {
		{ "1", "plain", "" },
		{ "2", "two\nlines", "crlf\r\ninside" },
		{ "3", "say \"hi\"", "a,b" },
		{ "4", "#N/A", " leading" },
		{ "5", "trailing ", "Zo\xc3\xab \xe6\x9d\xb1\xe4\xba\xac "
				    "\xf0\x9f\x98\x80" },
		{ "6", NULL, "in side" },
	};
	const char *want_text =
		"Id,Name,Note\n"
		"1,plain,\n"
		"2,\"two\nlines\",\"crlf\r\ninside\"\n"
		"3,\"say \"\"hi\"\"\",\"a,b\"\n"
		"4,#N/A,\" leading\"\n"
		"5,\"trailing \",Zo\xc3\xab \xe6\x9d\xb1\xe4\xba\xac "
		"\xf0\x9f\x98\x80\n"
		"6,,in side\n";
	const char *want_rows =
		"2:1|plain|\n"
		"3:2|two\\nlines|crlf\\r\\ninside\n"
		"6:3|say \"hi\"|a,b\n"
		"7:4|#N/A| leading\n"
		"8:5|trailing |Zo\xc3\xab \xe6\x9d\xb1\xe4\xba\xac "
		"\xf0\x9f\x98\x80\n"
		"9:6||in side\n";
	char *path = tpath("rt.csv.gz");
	struct err err = ERR_INIT;
	struct csv_file_info info;
	struct csv_writer *w;
	char hex[SHA256_HEX_LEN + 1];
	unsigned long long size = 0;
	char *text, *got;
	int rc = 0;

	w = csvw_open(path, hdr3, 3, 0, &err);
	ok(w != NULL, "csvw_open: %s", err.msg);
	if (!w)
		goto out;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
		rc |= csvw_row(w, rows[i], NULL, &err);
	is_int(rc, 0, "csvw_row x6");
	is_int(csvw_commit(w, &info, &err), 0, "csvw_commit");
	is_int(info.rows, 6, "info.rows");
	sha256_file(path, hex, &size, NULL);
	is_str(info.sha256, hex, "info.sha256 is the sha256 of the file");
	is_int(info.bytes, size, "info.bytes is the file size");

	text = gunzip_file(path);
	is_str(text, want_text, "quoting only where needed, LF line ends");
	free(text);

	got = slurp(path, CSVR_GZIP, &err, NULL);
	is_str(got, want_rows, "read back: values, line numbers");
	free(got);
out:
	free(path);
}

static void test_quote_all_and_plain(void)
{
	static const char *const row[3] = { "1", NULL, "" };
	const char *want = "\"Id\",\"Name\",\"Note\"\n\"1\",,\"\"\n";
	char *path = tpath("qa.csv");
	struct err err = ERR_INIT;
	struct csv_file_info info;
	struct csv_writer *w;
	size_t len = 0;
	char *text;

	w = csvw_open(path, hdr3, 3, CSVW_PLAIN | CSVW_QUOTE_ALL, &err);
	ok(w && csvw_row(w, row, NULL, &err) == 0 &&
	   csvw_commit(w, &info, &err) == 0, "plain, quote-all file: %s",
	   err.msg);
	text = get_file(path, &len);
	is_str(text, want, "CSVW_QUOTE_ALL quotes all but NULL values");
	is_int(info.bytes, len, "plain file: info.bytes");
	free(text);
	free(path);
}

static void test_one_column_empty(void)
{
	static const char *const hdr[1] = { "Name" };
	static const char *const empty[1] = { "" };
	char *path = tpath("one.csv");
	struct err err = ERR_INIT;
	struct csv_writer *w;
	char *got;

	w = csvw_open(path, hdr, 1, CSVW_PLAIN, &err);
	if (w) {
		csvw_row(w, empty, NULL, &err);
		csvw_commit(w, NULL, &err);
	}
	got = slurp(path, 0, &err, NULL);
	is_str(got, "2:\n", "one column: an empty value is not a blank line");
	free(got);
	free(path);
}

static void test_deterministic(void)
{
	char *a = tpath("a.csv.gz"), *b = tpath("b.csv.gz");
	struct csv_file_info ia, ib;
	struct err err = ERR_INIT;
	char *da, *db;
	size_t la = 0, lb = 0;

	for (int k = 0; k < 2; k++) {
		struct csv_writer *w = csvw_open(k ? b : a, hdr3, 3, 0, &err);
		char id[32], name[64];
		const char *row[3] = { id, name, "x,y" };

		if (!w)
			break;
		for (int i = 0; i < 50000; i++) {
			snprintf(id, sizeof(id), "%d", i);
			snprintf(name, sizeof(name), "name %d \"q\"", i * 7);
			csvw_row(w, row, NULL, &err);
		}
		csvw_commit(w, k ? &ib : &ia, &err);
	}
	da = get_file(a, &la);
	db = get_file(b, &lb);
	ok(la == lb && la > 0 && memcmp(da, db, la) == 0,
	   "same rows give byte-identical files (%zu bytes)", la);
	is_str(ia.sha256, ib.sha256, "same sha256");
	ok(la > 10 && (unsigned char)da[3] == 0 && !da[4] && !da[5] &&
	   !da[6] && !da[7], "gzip header: no name, mtime 0");
	free(da);
	free(db);
	free(a);
	free(b);
}

/* ---- reader ------------------------------------------------------------ */

static void test_read_lines(void)
{
	struct err err = ERR_INIT;
	char *got;

	got = slurp_text("crlf.csv",
			 "Id,Name\r\n1,\"a\r\nb\"\r\n2,c\r\n\r\n"
			 "3,\"\"\"q\"\"\"\r\n",
			 0, &err, NULL);
	is_str(got, "2:1|a\\r\\nb\n4:2|c\n6:3|\"q\"\n",
	       "CRLF input, quoted CRLF, doubled quotes, blank line");
	free(got);

	got = slurp_text("multi.csv",
			 "h1,h2\n1,\"x\ny\nz\"\n2,w\n\n3,\"\nv\"\n4,,\n", 0,
			 &err, NULL);
	is_str(got, "2:1|x\\ny\\nz\n5:2|w\n7:3|\\nv\n!9:4||\n",
	       "line numbers after multi-line values");
	free(got);

	got = slurp_text("nofinal.csv", "a,b\n1, 2 ", 0, &err, NULL);
	is_str(got, "2:1| 2 \n", "no final newline; blanks kept");
	free(got);

	got = slurp_text("blanks.csv",
			 "a,b,c\n x ,y\t,\tz\n"
			 "p q,\"r, s\",t u v w x y z\n"
			 "0123456 ,01234567,0123456 \n"
			 "01234567, 1234567,1\r\n"
			 "\t,\"q\"\"\",\" \"\n", 0, &err, NULL);
	is_str(got, "2: x |y\t|\tz\n3:p q|r, s|t u v w x y z\n"
	       "4:0123456 |01234567|0123456 \n5:01234567| 1234567|1\n"
	       "6:\t|q\"| \n", "blanks next to commas and line ends kept");
	free(got);

	got = slurp_text("qblank.csv", "a,b\n1,\"x\" \n", 0, &err, NULL);
	ok(contains(got, "ERROR") && contains(err.msg, "after the closing"),
	   "a blank after a closing quote is refused: %s", err.msg);
	free(got);
}

static void test_read_big(void)
{
	struct strbuf sb = STRBUF_INIT;
	char *path = tpath("big.csv.gz");
	struct err err = ERR_INIT;
	struct csv_reader *r;
	const struct csv_row *row;
	enum csvr_status st;
	char hex[SHA256_HEX_LEN + 1], want[SHA256_HEX_LEN + 1];
	unsigned long long size = 0;
	size_t huge = 3u << 20, nrows = 0, bad = 0;
	uint64_t last_line = 0;

	strbuf_addstr(&sb, "Id,Text\n");
	for (int i = 0; i < 100000; i++)
		strbuf_addf(&sb, "%d,\"row %d\nsecond line\"\n", i, i);
	strbuf_addstr(&sb, "big,\"");
	for (size_t i = 0; i < huge; i++)
		strbuf_addch(&sb, (char)('a' + i % 26));
	strbuf_addstr(&sb, "\"\nlast,x\n");
	put_gz(path, sb.buf, sb.len);
	strbuf_release(&sb);
	sha256_file(path, want, &size, NULL);

	r = csvr_open(path, 0, &err);
	ok(r != NULL, "open a large gzip file: %s", err.msg);
	if (!r)
		goto out;
	is_int(csvr_file_size(r), size, "csvr_file_size");
	ok(csvr_sha256_hex(r, hex) < 0, "no sha256 before EOF");
	while ((st = csvr_next(r, &row, &err)) == CSVR_ROW) {
		nrows++;
		last_line = row->line;
		if (row->nfields != 2)
			bad++;
		else if (nrows == 100001 && row->lens[1] != huge)
			bad++;
	}
	is_int(st, CSVR_EOF, "read to EOF: %s", st == CSVR_EOF ? "" : err.msg);
	is_int(nrows, 100002, "every record");
	is_int(bad, 0, "values intact across buffers (3 MiB value)");
	is_int(last_line, 200003, "line of the last record");
	is_int(csvr_records(r), 100002, "csvr_records");
	is_int(csvr_bytes_read(r), size, "csvr_bytes_read is the gz size");
	ok(csvr_sha256_hex(r, hex) == 0, "sha256 after EOF");
	is_str(hex, want, "reader sha256 equals sha256_file");
	csvr_close(r);
out:
	free(path);
}

static void test_early_close_and_stdin(void)
{
	struct strbuf sb = STRBUF_INIT;
	char *path = tpath("early.csv.gz");
	struct err err = ERR_INIT;
	struct csv_reader *r;
	const struct csv_row *row;
	int fd, saved;
	char *got;

	strbuf_addstr(&sb, "Id\n");
	for (int i = 0; i < 300000; i++)
		strbuf_addf(&sb, "%d\n", i);
	put_gz(path, sb.buf, sb.len);
	strbuf_release(&sb);
	r = csvr_open(path, 0, &err);
	ok(r && csvr_next(r, &row, &err) == CSVR_ROW &&
	   strcmp(row->fields[0], "0") == 0, "first record of a big file");
	csvr_close(r);
	ok(1, "closing before EOF stops the feeder");

	fd = open(path, O_RDONLY);
	saved = dup(STDIN_FILENO);
	dup2(fd, STDIN_FILENO);
	close(fd);
	got = slurp("-", CSVR_GZIP, &err, NULL);
	dup2(saved, STDIN_FILENO);
	close(saved);
	ok(got && strncmp(got, "2:0\n3:1\n", 8) == 0 &&
	   contains(got, "300001:299999\n"), "\"-\" reads standard input");
	free(got);
	free(path);
}

static void test_multi_member(void)
{
	char *a = tpath("m1.gz"), *b = tpath("m2.gz"), *c = tpath("m.csv.gz");
	struct err err = ERR_INIT;
	size_t la, lb;
	char *da, *db, *cat, *got;

	put_gz(a, "Id,Name\n1,a\n2,\"b", 16);
	put_gz(b, "b\"\n3,c\n", 7);
	da = get_file(a, &la);
	db = get_file(b, &lb);
	cat = xmalloc(la + lb);
	memcpy(cat, da, la);
	memcpy(cat + la, db, lb);
	put_file(c, cat, la + lb);
	got = slurp(c, CSVR_GZIP, &err, NULL);
	is_str(got, "2:1|a\n3:2|bb\n4:3|c\n",
	       "concatenated gzip members are read fully");
	free(got);

	memcpy(cat + la, "junk", 4); /* lb > 4 */
	put_file(c, cat, la + 4);
	got = slurp(c, 0, &err, NULL);
	ok(contains(got, "ERROR") && err.cls == ERR_DATA &&
	   contains(err.msg, "trailing garbage"), "trailing garbage: %s",
	   err.msg);
	free(got);
	free(da);
	free(db);
	free(cat);
	free(a);
	free(b);
	free(c);
}

static void test_read_errors(void)
{
	struct err err = ERR_INIT;
	char *path, *got;
	int bad;

	got = slurp_text("bom.csv", "\xef\xbb\xbfId,Name\n1,a\n", 0, &err,
			 NULL);
	ok(!got && err.cls == ERR_DATA && contains(err.msg, "bom.csv") &&
	   contains(err.msg, "byte order mark"), "BOM refused: %s", err.msg);

	got = slurp_text("empty.csv.gz", "", 0, &err, NULL);
	ok(!got && err.cls == ERR_DATA &&
	   contains(err.msg, "empty.csv.gz': empty file: no header row"),
	   "empty file: %s", err.msg);

	path = tpath("emptygz.csv.gz");
	put_gz(path, "", 0);
	got = slurp(path, CSVR_GZIP, &err, NULL);
	ok(!got && err.cls == ERR_DATA && contains(err.msg, "empty file"),
	   "empty gzip file: %s", err.msg);
	free(path);

	got = slurp_text("plain.csv.gz", "Id\n1\n", CSVR_GZIP, &err, NULL);
	ok(!got && err.cls == ERR_DATA && contains(err.msg, "plain.csv.gz") &&
	   contains(err.msg, "not a gzip file"), "CSVR_GZIP on plain: %s",
	   err.msg);

	path = tpath("missing.csv.gz");
	got = slurp(path, 0, &err, NULL);
	ok(!got && err.cls == ERR_NOINPUT && contains(err.msg, path),
	   "missing file: %s", err.msg);
	free(path);

	got = slurp_text("quote.csv", "a,b\n1,2\n3,\"open\n4,5\n", 0, &err,
			 NULL);
	is_str(got, "2:1|2\nERROR\n", "unbalanced quote is fatal");
	ok(err.cls == ERR_DATA && contains(err.msg, "quote.csv' line 3:") &&
	   contains(err.msg, "unbalanced quote"), "... at the record's "
	   "line: %s", err.msg);
	free(got);

	got = slurp_text("stray.csv", "a,b\n1,x\"y\n", 0, &err, NULL);
	ok(contains(got, "ERROR") && err.cls == ERR_DATA &&
	   contains(err.msg, "line 2") && contains(err.msg, "'b'"),
	   "stray quote is fatal: %s", err.msg);
	free(got);

	got = slurp_text("after.csv", "a,b\n1,\"x\"y\n", 0, &err, NULL);
	ok(contains(got, "ERROR") && err.cls == ERR_DATA &&
	   contains(err.msg, "text after the closing quote"),
	   "text after a closing quote is fatal: %s", err.msg);
	free(got);

	got = slurp_text("cols.csv",
			 "a,b,c,d,e,f,g\n1,2,3,4,5\n1,2,3,4,5,6,7\n", 0,
			 &err, &bad);
	ok(bad == 1 && contains(got, "!2:1|2|3|4|5\n3:1|2|3|4|5|6|7\n") &&
	   err.cls == ERR_DATA &&
	   contains(err.msg, "line 2: 5 values where the header has 7"),
	   "wrong column count is a BADROW: %s", err.msg);
	free(got);

	got = slurp_text("utf8.csv", "Id,Email\n1,ab\xff" "c\n2,ok\n", 0,
			 &err, &bad);
	ok(bad == 1 && contains(got, "3:2|ok") && err.cls == ERR_DATA &&
	   contains(err.msg, "line 2") && contains(err.msg, "'Email'") &&
	   contains(err.msg, "byte offset 2"),
	   "invalid UTF-8 is a BADROW naming the column: %s", err.msg);
	free(got);

	path = tpath("nul.csv");
	put_file(path, "Id,Email\n1,a\0b\n", 15);
	got = slurp(path, 0, &err, &bad);
	ok(bad == 1 && err.cls == ERR_DATA && contains(err.msg, "NUL") &&
	   contains(err.msg, "'Email'"), "NUL byte is a BADROW: %s",
	   err.msg);
	free(got);
	free(path);

	got = slurp_text("dup.csv", "Id,Name,Id\n1,2,3\n", 0, &err, NULL);
	ok(!got && err.cls == ERR_DATA &&
	   contains(err.msg, "duplicate column name 'Id'") &&
	   contains(err.msg, "columns 1 and 3"), "duplicate header: %s",
	   err.msg);

	got = slurp_text("hempty.csv", "Id,,Name\n1,2,3\n", 0, &err, NULL);
	ok(!got && err.cls == ERR_DATA && contains(err.msg, "empty column"),
	   "empty header name: %s", err.msg);
}

static void test_gzip_damage(void)
{
	struct strbuf sb = STRBUF_INIT;
	char *path = tpath("dmg.csv.gz"), *good = tpath("good.csv.gz");
	struct err err = ERR_INIT;
	char *data, *got;
	size_t len = 0;

	strbuf_addstr(&sb, "Id,Text\n");
	for (int i = 0; i < 20000; i++)
		strbuf_addf(&sb, "%d,text number %d\n", i, i * 31 % 977);
	put_gz(good, sb.buf, sb.len);
	strbuf_release(&sb);
	data = get_file(good, &len);

	put_file(path, data, len / 2);
	got = slurp(path, 0, &err, NULL);
	ok(contains(got, "ERROR") && err.cls == ERR_DATA &&
	   contains(err.msg, "dmg.csv.gz' line ") &&
	   contains(err.msg, "unexpected end of gzip stream"),
	   "gzip cut in half: %s", err.msg);
	free(got);

	put_file(path, data, len - 4);
	got = slurp(path, 0, &err, NULL);
	ok(contains(got, "ERROR") && err.cls == ERR_DATA &&
	   contains(err.msg, "unexpected end of gzip stream"),
	   "gzip without its last 4 bytes: %s", err.msg);
	free(got);

	data[len / 2] ^= 0x10;
	put_file(path, data, len);
	got = slurp(path, 0, &err, NULL);
	ok(contains(got, "ERROR") && err.cls == ERR_DATA,
	   "a flipped byte in the middle is detected: %s", err.msg);
	free(got);
	data[len / 2] ^= 0x10;

	data[len - 6] ^= 0x01; /* in the CRC-32 of the trailer */
	put_file(path, data, len);
	got = slurp(path, 0, &err, NULL);
	ok(contains(got, "ERROR") && err.cls == ERR_DATA &&
	   contains(err.msg, "corrupt gzip stream"),
	   "a flipped CRC byte is detected: %s", err.msg);
	free(got);
	free(data);
	free(path);
	free(good);
}

/* ---- writer failures --------------------------------------------------- */

static void test_write_errors(void)
{
	static const char *const badrow[3] = { "1", "ok", "a\xc3(" };
	static const char *const nulrow[3] = { "1", "a\0b", "c" };
	static const size_t nullens[3] = { 1, 3, 1 };
	static const char *const goodrow[3] = { "2", "x", "y" };
	char *path = tpath("w.csv.gz"), *tmp = fs_tmp_name(path);
	struct err err = ERR_INIT;
	struct csv_file_info info;
	struct csv_writer *w, *w2;
	char *got;

	w = csvw_open(path, hdr3, 3, 0, &err);
	ok(w != NULL, "csvw_open");
	if (!w)
		goto out;
	ok(!fs_exists(path) && fs_exists(tmp),
	   "only the temporary file exists before commit");
	ok(csvw_row(w, badrow, NULL, &err) < 0 && err.cls == ERR_DATA &&
	   contains(err.msg, "row 1") && contains(err.msg, "'Note'") &&
	   contains(err.msg, "invalid UTF-8"), "invalid UTF-8 value: %s",
	   err.msg);
	ok(csvw_row(w, nulrow, nullens, &err) < 0 && err.cls == ERR_DATA &&
	   contains(err.msg, "NUL byte in column 'Name'"), "NUL value: %s",
	   err.msg);
	w2 = csvw_open(path, hdr3, 3, 0, &err);
	ok(!w2 && err.cls == ERR_CANTCREAT && fs_exists(tmp),
	   "a second writer of the same file is refused: %s", err.msg);
	is_int(csvw_row(w, goodrow, NULL, &err), 0, "the writer goes on");
	ok(!fs_exists(path), "still nothing under the final name");
	csvw_abort(w);
	ok(!fs_exists(path) && !fs_exists(tmp), "abort leaves no file");

	w = csvw_open(path, hdr3, 3, 0, &err);
	if (w && csvw_row(w, goodrow, NULL, &err) == 0 &&
	    csvw_commit(w, &info, &err) == 0) {
		ok(fs_exists(path) && !fs_exists(tmp) && info.rows == 1,
		   "commit publishes the file");
		got = slurp(path, 0, &err, NULL);
		is_str(got, "2:2|x|y\n", "the committed file reads back");
		free(got);
	} else {
		ok(0, "commit: %s", err.msg);
	}
out:
	free(tmp);
	free(path);
}

/*
 * In a child with a 64 KiB file size limit and SIGXFSZ ignored, writes
 * until it fails; exit status 0 when the failure was ERR_IO naming the
 * file and no file was left.
 */
static int fsize_child(const char *path)
{
	struct rlimit rl = { 65536, 65536 };
	struct err err = ERR_INIT;
	struct csv_writer *w;
	char *tmp = fs_tmp_name(path);
	uint64_t x = 88172645463325252ULL;
	char id[32], val[160];
	const char *row[3] = { id, val, "" };
	int rc = 0;

	signal(SIGXFSZ, SIG_IGN);
	if (setrlimit(RLIMIT_FSIZE, &rl) < 0)
		return 10;
	w = csvw_open(path, hdr3, 3, 0, &err);
	if (!w)
		return 11;
	for (int i = 0; i < 100000 && !rc; i++) {
		for (size_t j = 0; j + 1 < sizeof(val); j++) {
			x ^= x << 13;
			x ^= x >> 7;
			x ^= x << 17;
			val[j] = (char)('!' + (x % 90));
		}
		val[sizeof(val) - 1] = '\0';
		snprintf(id, sizeof(id), "%d", i);
		rc = csvw_row(w, row, NULL, &err);
	}
	if (rc)
		csvw_abort(w);
	else
		rc = csvw_commit(w, NULL, &err);
	printf("# child: %s\n", err.msg);
	if (!rc)
		return 12;
	if (err.cls != ERR_IO || !contains(err.msg, path) ||
	    !contains(err.msg, "File too large"))
		return 13;
	if (fs_exists(path) || fs_exists(tmp))
		return 14;
	free(tmp);
	return 0;
}

static void test_fsize_limit(void)
{
	char *path = tpath("fsize.csv.gz");
	int status = -1;
	pid_t pid;

	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		int rc = fsize_child(path);

		fflush(stdout);
		_exit(rc);
	}
	if (pid > 0)
		waitpid(pid, &status, 0);
	ok(pid > 0 && WIFEXITED(status) && WEXITSTATUS(status) == 0,
	   "file size limit: ERR_IO naming the file, no file left "
	   "(child status %d)", status);
	free(path);
}

int main(void)
{
	if (!mkdtemp(tmpdir)) {
		perror("mkdtemp");
		return 1;
	}
	test_utf8();
	test_round_trip();
	test_quote_all_and_plain();
	test_one_column_empty();
	test_deterministic();
	test_read_lines();
	test_read_big();
	test_early_close_and_stdin();
	test_multi_member();
	test_read_errors();
	test_gzip_damage();
	test_write_errors();
	test_fsize_limit();
	fs_remove_tree(tmpdir, NULL);
	return tap_done();
}
