/*
 * csv_read.c - the streaming reader of staged CSV files (see csvio.h).
 *
 * Two threads share the work.  The feeder thread reads the raw file,
 * hashes its bytes (SHA-256, the lineage hash) and inflates them with
 * ISA-L when the file is gzip (a third faster than zlib, and the library
 * the writer deflates with); it hands the text over through a ring of
 * RING_SLOTS buffers.  The caller's thread, in csvr_next(), cuts that text into
 * segments that end at each CR or LF, feeds them to libcsv and stops as
 * soon as libcsv reports the end of a record, so one record is in memory
 * at a time and reading costs about max(inflate, parse).
 *
 * Cutting at line ends is also how physical lines are counted: libcsv
 * ends a record only at an unquoted CR or LF, which is always the last
 * byte of a segment, so a record starts on the line of the first segment
 * fed after the previous record that is not a bare line end.
 *
 * libcsv trims unquoted leading and trailing blanks unless told
 * otherwise; the dialect passes values through untouched, so a space
 * function that never matches turns the trimming off for the segments
 * where trimming could happen (see scan_segment()).
 */
#include <csv.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <isa-l/igzip_lib.h>

#include "csvio.h"
#include "xalloc.h"

#define RING_SLOTS 4
#define SLOT_SIZE (1u << 20) /* decompressed text per hand-over */
#define RAW_SIZE (1u << 18)  /* raw bytes per read(2) */
#define BLK_SIZE (1u << 16)  /* first growth step of libcsv's buffer */

#define ONES 0x0101010101010101ULL
#define HIGHS 0x8080808080808080ULL

/* A buffer of text handed from the feeder to the parser. */
struct slot {
	char *data;
	size_t len;
	int last; /* the feeder stopped after these bytes */
};

/* How the feeder ended; anything but FEED_OK is fatal for the reader. */
enum feed_end {
	FEED_OK = 0,
	FEED_READ,      /* read(2) failed: feed_errno */
	FEED_NOT_GZIP,  /* CSVR_GZIP was asked and the magic is missing */
	FEED_TRUNCATED, /* the file ends inside a gzip member */
	FEED_CORRUPT,   /* the inflater refused the data: feed_msg */
	FEED_TRAILING,  /* bytes that are not gzip after the last member */
	FEED_STOPPED,   /* csvr_close() asked the feeder to stop */
};

struct csv_reader {
	char *path;
	unsigned flags;
	int fd;
	int own_fd;
	uint64_t file_size;

	/* ---- shared with the feeder, under `lock` ---- */
	pthread_t thread;
	int thread_started;
	pthread_mutex_t lock;
	pthread_cond_t filled; /* a slot was handed over */
	pthread_cond_t freed;  /* a slot was given back, or stop was set */
	struct slot slots[RING_SLOTS];
	unsigned head;  /* oldest filled slot */
	unsigned count; /* filled slots, the parser's current one included */
	int stop;
	_Atomic uint64_t bytes_read;
	/* written by the feeder before it hands over the last slot */
	enum feed_end feed_end;
	int feed_errno;
	char feed_msg[128];
	char sha_hex[SHA256_HEX_LEN + 1];

	/* ---- parser side ---- */
	struct csv_parser parser;
	int parser_live;
	size_t blk_size;  /* libcsv's buffer growth step */
	int keep_blanks;  /* no_blank() is libcsv's space function */
	struct slot *cur; /* slot being parsed, NULL when none is held */
	size_t pos;       /* next byte of cur to feed */
	uint64_t line;    /* physical line of the next byte fed */
	int between;      /* no record is under way */
	int at_end;       /* the last record was read */
	int eof;          /* CSVR_EOF was returned */
	int fatal;        /* a fatal error happened: it is in fatal_err */
	struct err fatal_err;

	/* the record being built: values back to back, NUL-terminated */
	char *buf;
	size_t buf_len, buf_alloc;
	size_t *offs, *lens;
	size_t nf, offs_alloc, lens_alloc;
	char **ptrs;
	size_t ptrs_alloc;
	uint64_t rec_line;
	int rec_odd;  /* a NUL or non-ASCII byte was fed for this record */
	int row_done; /* libcsv ended the record */
	struct csv_row row;
	uint64_t records;

	/* the header row, copied */
	struct csv_row header;
	char *hdr_buf;
};

/* ---- the feeder thread ------------------------------------------------- */

struct feeder {
	struct csv_reader *r;
	unsigned char *raw;
	size_t raw_len;
	struct sha256 *sha;
	char *out; /* the slot being filled */
	size_t out_len;
};

/*
 * Reads up to RAW_SIZE - `at` raw bytes into f->raw + at, hashing and
 * counting them.  Returns the count, 0 at end of file, or -1 with errno.
 */
static ssize_t feed_read(struct feeder *f, size_t at)
{
	ssize_t n;

	do {
		n = read(f->r->fd, f->raw + at, RAW_SIZE - at);
	} while (n < 0 && errno == EINTR);
	if (n > 0) {
		sha256_update(f->sha, f->raw + at, (size_t)n);
		atomic_fetch_add_explicit(&f->r->bytes_read, (uint64_t)n,
					  memory_order_relaxed);
	}
	return n;
}

/*
 * Hands the slot being filled over to the parser and, unless it is the
 * last, waits for a free slot to fill next.  Returns -1 when the reader
 * is being closed: the feeder must then stop at once.
 */
static int feed_push(struct feeder *f, int last)
{
	struct csv_reader *r = f->r;
	struct slot *s;
	int ret = 0;

	pthread_mutex_lock(&r->lock);
	s = &r->slots[(r->head + r->count) % RING_SLOTS];
	s->len = f->out_len;
	s->last = last;
	r->count++;
	pthread_cond_signal(&r->filled);
	while (!last && r->count == RING_SLOTS && !r->stop)
		pthread_cond_wait(&r->freed, &r->lock);
	if (r->stop)
		ret = -1;
	else if (!last)
		f->out = r->slots[(r->head + r->count) % RING_SLOTS].data;
	pthread_mutex_unlock(&r->lock);
	f->out_len = 0;
	return ret;
}

/* Appends plain text to the slots.  Returns -1 when told to stop. */
static int feed_text(struct feeder *f, const unsigned char *p, size_t len)
{
	while (len) {
		size_t n = SLOT_SIZE - f->out_len;

		if (n > len)
			n = len;
		memcpy(f->out + f->out_len, p, n);
		f->out_len += n;
		p += n;
		len -= n;
		if (f->out_len == SLOT_SIZE && feed_push(f, 0) < 0)
			return -1;
	}
	return 0;
}

/* Copies a plain file into the slots, from the bytes already in f->raw. */
static enum feed_end feed_plain(struct feeder *f)
{
	for (;;) {
		ssize_t n;

		if (feed_text(f, f->raw, f->raw_len) < 0)
			return FEED_STOPPED;
		n = feed_read(f, 0);
		if (n < 0) {
			f->r->feed_errno = errno;
			return FEED_READ;
		}
		if (n == 0)
			return FEED_OK;
		f->raw_len = (size_t)n;
	}
}

/* What ISA-L's inflate error `code` means, for messages. */
static const char *inflate_error(int code)
{
	switch (code) {
	case ISAL_INVALID_BLOCK:
		return "invalid deflate block";
	case ISAL_INVALID_SYMBOL:
		return "invalid deflate symbol";
	case ISAL_INVALID_LOOKBACK:
		return "invalid distance too far back";
	case ISAL_INVALID_WRAPPER:
		return "invalid gzip header";
	case ISAL_UNSUPPORTED_METHOD:
		return "unknown compression method";
	case ISAL_INCORRECT_CHECKSUM:
		return "incorrect data check";
	case ISAL_NEED_DICT:
		return "a preset dictionary is needed";
	default:
		return "inflate failed";
	}
}

/*
 * Inflates every gzip member of the file into the slots.  A file that
 * ends inside a member is truncated; after the last member only the end
 * of the file may follow.
 */
static enum feed_end feed_gunzip(struct feeder *f, struct inflate_state *z)
{
	int in_member = 1, at_eof = 0;

	z->next_in = f->raw;
	z->avail_in = (uint32_t)f->raw_len;
	for (;;) {
		int zret;

		if (z->avail_in == 0 && !at_eof) {
			ssize_t n = feed_read(f, 0);

			if (n < 0) {
				f->r->feed_errno = errno;
				return FEED_READ;
			}
			at_eof = (n == 0);
			z->next_in = f->raw;
			z->avail_in = (uint32_t)n;
		}
		if (z->avail_in == 0)
			return in_member ? FEED_TRUNCATED : FEED_OK;
		if (!in_member) {
			uint8_t *next = z->next_in;
			uint32_t avail = z->avail_in;

			if (next[0] != 0x1f)
				return FEED_TRAILING;
			/* the reset clears the input and the wrapper */
			isal_inflate_reset(z);
			z->crc_flag = ISAL_GZIP;
			z->next_in = next;
			z->avail_in = avail;
			in_member = 1;
		}
		z->next_out = (uint8_t *)f->out + f->out_len;
		z->avail_out = (uint32_t)(SLOT_SIZE - f->out_len);
		zret = isal_inflate(z);
		f->out_len = SLOT_SIZE - z->avail_out;
		if (f->out_len == SLOT_SIZE && feed_push(f, 0) < 0)
			return FEED_STOPPED;
		if (zret < 0 || zret == ISAL_NEED_DICT) {
			snprintf(f->r->feed_msg, sizeof(f->r->feed_msg), "%s",
				 inflate_error(zret));
			return FEED_CORRUPT;
		}
		if (z->block_state == ISAL_BLOCK_FINISH)
			in_member = 0;
		/* otherwise it wants more input or more room */
	}
}

/* Sniffs the format (gzip magic or not) and feeds the whole file. */
static enum feed_end feed_run(struct feeder *f)
{
	struct csv_reader *r = f->r;
	struct inflate_state *z;
	enum feed_end end;
	int gz;

	while (f->raw_len < 2) {
		ssize_t n = feed_read(f, f->raw_len);

		if (n < 0) {
			r->feed_errno = errno;
			return FEED_READ;
		}
		if (n == 0)
			break;
		f->raw_len += (size_t)n;
	}
	gz = f->raw_len >= 2 && f->raw[0] == 0x1f && f->raw[1] == 0x8b;
	if (r->flags & CSVR_PLAIN)
		gz = 0;
	else if ((r->flags & CSVR_GZIP) && !gz && f->raw_len > 0)
		return FEED_NOT_GZIP;
	if (!gz)
		return feed_plain(f);

	/* the state holds its window and tables: 200 kB, not for a stack */
	z = xmalloc(sizeof(*z));
	isal_inflate_init(z);
	z->crc_flag = ISAL_GZIP;
	end = feed_gunzip(f, z);
	free(z);
	return end;
}

/*
 * The feeder thread: feeds the whole file, then records how it ended and
 * the SHA-256 (on success) before handing over the last slot, so the
 * parser sees both once it reaches that slot.  Leaves at once when the
 * reader is closed.
 */
static void *feeder_main(void *arg)
{
	struct feeder f;
	enum feed_end end;

	memset(&f, 0, sizeof(f));
	f.r = arg;
	f.raw = xmalloc(RAW_SIZE);
	f.sha = sha256_new();
	f.out = f.r->slots[0].data;
	end = feed_run(&f);
	if (end != FEED_STOPPED) {
		f.r->feed_end = end;
		if (end == FEED_OK) {
			sha256_final_hex(f.sha, f.r->sha_hex);
			f.sha = NULL;
		}
		feed_push(&f, 1);
	}
	sha256_free(f.sha);
	free(f.raw);
	return NULL;
}

/* ---- the parser side --------------------------------------------------- */

/* Waits for the next filled slot and makes it current. */
static void take_slot(struct csv_reader *r)
{
	pthread_mutex_lock(&r->lock);
	while (r->count == 0)
		pthread_cond_wait(&r->filled, &r->lock);
	r->cur = &r->slots[r->head];
	pthread_mutex_unlock(&r->lock);
	r->pos = 0;
}

/* Gives the current slot back to the feeder. */
static void drop_slot(struct csv_reader *r)
{
	pthread_mutex_lock(&r->lock);
	r->head = (r->head + 1) % RING_SLOTS;
	r->count--;
	pthread_cond_signal(&r->freed);
	pthread_mutex_unlock(&r->lock);
	r->cur = NULL;
}

#define SEG_ODD 1   /* a NUL or a byte >= 0x80: check the values */
#define SEG_BLANK 2 /* a blank that libcsv's trimming could drop */

/* High bit of each byte of `v` equal to the byte repeated in `pat`. */
static inline uint64_t bytes_equal(uint64_t v, uint64_t pat)
{
	uint64_t x = v ^ pat;

	return ~(((x & ~HIGHS) + ~HIGHS) | x) & HIGHS;
}

static inline int is_blank(char c)
{
	return c == ' ' || c == '\t';
}

static inline int is_edge(char c)
{
	return c == ',' || c == '"';
}

/*
 * Looks at a segment before libcsv does, eight bytes at a time, and
 * returns SEG_* flags.  libcsv's built-in blank test is much cheaper than
 * calling no_blank() for every byte, and it only changes a value where a
 * blank starts or ends the segment, comes before its line end, or touches
 * a comma or a quote: SEG_BLANK says the segment has such a blank and
 * must be parsed with no_blank().  This function can't fail.
 */
static unsigned scan_segment(const char *p, size_t len)
{
	uint64_t odd = 0, risky = 0, carry_b = 0, carry_d = 0;
	unsigned flags = 0;
	size_t i = 0, end = len;

	if (len && (p[len - 1] == '\n' || p[len - 1] == '\r'))
		end = len - 1;
	if (len && (is_blank(p[0]) || (end && is_blank(p[end - 1]))))
		flags |= SEG_BLANK;
	for (; i + 8 <= len; i += 8) {
		uint64_t v, b, d;

		memcpy(&v, p + i, 8);
		odd |= v | ((v - ONES) & ~v);
		b = bytes_equal(v, ONES * ' ') | bytes_equal(v, ONES * '\t');
		d = bytes_equal(v, ONES * ',') | bytes_equal(v, ONES * '"');
		risky |= b & ((d << 8) | (d >> 8) | carry_d);
		risky |= d & carry_b;
		carry_b = b >> 56;
		carry_d = d >> 56;
	}
	for (; i < len; i++) {
		unsigned char c = (unsigned char)p[i];

		if (c == 0 || c >= 0x80)
			flags |= SEG_ODD;
		if (i && ((is_blank(p[i]) && is_edge(p[i - 1])) ||
			  (is_edge(p[i]) && is_blank(p[i - 1]))))
			flags |= SEG_BLANK;
	}
	if (odd & HIGHS)
		flags |= SEG_ODD;
	if (risky)
		flags |= SEG_BLANK;
	return flags;
}

/* libcsv space function: no byte is a blank to trim. */
static int no_blank(unsigned char c)
{
	(void)c;
	return 0;
}

/* Parses the next segment with no_blank() or with libcsv's own test. */
static inline void blank_mode(struct csv_reader *r, int keep_blanks)
{
	if (keep_blanks == r->keep_blanks)
		return;
	csv_set_space_func(&r->parser, keep_blanks ? no_blank : NULL);
	r->keep_blanks = keep_blanks;
}

/*
 * libcsv grows its value buffer by a fixed step, which is quadratic for
 * a value of many megabytes: make the step as large as the buffer before
 * each segment, so the buffer at least doubles every slot's worth.
 */
static inline void grow_step(struct csv_reader *r)
{
	size_t cap = csv_get_buffer_size(&r->parser);

	if (cap > r->blk_size) {
		r->blk_size = cap;
		csv_set_blk_size(&r->parser, cap);
	}
}

/* libcsv callback: one value ended; append it to the record. */
static void on_field(void *s, size_t len, void *data)
{
	struct csv_reader *r = data;

	if (r->nf == r->offs_alloc) {
		XGROW(r->offs, r->offs_alloc, r->nf + 1);
		XGROW(r->lens, r->lens_alloc, r->nf + 1);
	}
	if (r->buf_alloc - r->buf_len <= len)
		XGROW(r->buf, r->buf_alloc, r->buf_len + len + 1);
	if (len)
		memcpy(r->buf + r->buf_len, s, len);
	r->buf[r->buf_len + len] = '\0';
	r->offs[r->nf] = r->buf_len;
	r->lens[r->nf] = len;
	r->nf++;
	r->buf_len += len + 1;
}

/* libcsv callback: the record ended. */
static void on_record(int c, void *data)
{
	struct csv_reader *r = data;

	(void)c;
	r->row_done = 1;
}

/*
 * A whole record on one line without quotes and without blanks that
 * libcsv would trim (`len` excludes the line end): splits it at the
 * commas as libcsv would, without its byte-at-a-time state machine.  The
 * usual record of a staged file takes this way.  Can't fail.
 */
static void split_plain(struct csv_reader *r, const char *p, size_t len)
{
	const char *comma;

	while ((comma = memchr(p, ',', len)) != NULL) {
		on_field((void *)p, (size_t)(comma - p), r);
		len -= (size_t)(comma - p) + 1;
		p = comma + 1;
	}
	on_field((void *)p, len, r);
	r->row_done = 1;
}

/* Writes "'<name>'" or "<n>" for column `i` (0-based) into `buf`. */
static const char *column_label(const struct csv_reader *r, size_t i,
				char *buf, size_t size)
{
	if (i < r->header.nfields)
		snprintf(buf, size, "'%s'", r->header.fields[i]);
	else
		snprintf(buf, size, "%zu", i + 1);
	return buf;
}

/* Turns the feeder's failure into a message in r->fatal_err. */
static int feed_error(struct csv_reader *r)
{
	struct err *e = &r->fatal_err;
	unsigned long long line = r->line;

	switch (r->feed_end) {
	case FEED_READ:
		return err_errno(e, ERR_IO, r->feed_errno, "cannot read '%s'",
				 r->path);
	case FEED_NOT_GZIP:
		return err_set(e, ERR_DATA, "'%s': not a gzip file", r->path);
	case FEED_TRUNCATED:
		return err_set(e, ERR_DATA,
			       "'%s' line %llu: unexpected end of gzip stream "
			       "(the file is truncated)", r->path, line);
	case FEED_TRAILING:
		return err_set(e, ERR_DATA,
			       "'%s' line %llu: trailing garbage after the "
			       "gzip stream", r->path, line);
	case FEED_CORRUPT:
		return err_set(e, ERR_DATA,
			       "'%s' line %llu: corrupt gzip stream: %s",
			       r->path, line, r->feed_msg);
	default:
		return err_set(e, ERR_SOFTWARE, "'%s': reader stopped",
			       r->path);
	}
}

/* The end of the text: report the feeder's failure or flush libcsv. */
static int finish(struct csv_reader *r)
{
	r->at_end = 1;
	if (r->feed_end != FEED_OK)
		return feed_error(r);
	if (csv_fini(&r->parser, on_field, on_record, r) != 0)
		return err_set(&r->fatal_err, ERR_DATA,
			       "'%s' line %llu: unbalanced quote: a quoted "
			       "value of this record never ends", r->path,
			       (unsigned long long)r->rec_line);
	return r->row_done;
}

/* libcsv refused byte `at` of the segment at `p`: a fatal ERR_DATA. */
static int parse_error(struct csv_reader *r, const char *p, size_t at)
{
	char col[64];

	if (csv_error(&r->parser) != CSV_EPARSE)
		return err_set(&r->fatal_err, ERR_SOFTWARE,
			       "'%s' line %llu: %s", r->path,
			       (unsigned long long)r->line,
			       csv_strerror(csv_error(&r->parser)));
	/* with no blanks to skip, libcsv refuses only these two cases */
	column_label(r, r->nf, col, sizeof(col));
	if (p[at] == '"')
		return err_set(&r->fatal_err, ERR_DATA,
			       "'%s' line %llu: bad quoting in column %s: a "
			       "quote inside an unquoted value", r->path,
			       (unsigned long long)r->line, col);
	return err_set(&r->fatal_err, ERR_DATA,
		       "'%s' line %llu: bad quoting in column %s: text after "
		       "the closing quote", r->path,
		       (unsigned long long)r->line, col);
}

/*
 * Reads the next record into r->buf/offs/lens/nf.  Returns 1 when there
 * is one, 0 at the end of the file, -1 with r->fatal_err set when the
 * file cannot be read further.
 */
static int read_record(struct csv_reader *r)
{
	r->nf = 0;
	r->buf_len = 0;
	r->row_done = 0;
	r->rec_odd = 0;
	if (r->at_end)
		return 0;
	for (;;) {
		const char *p, *nl, *cr;
		size_t avail, seg, done;
		unsigned flags;

		if (!r->cur)
			take_slot(r);
		avail = r->cur->len - r->pos;
		if (!avail) {
			if (r->cur->last)
				return finish(r);
			drop_slot(r);
			continue;
		}
		p = r->cur->data + r->pos;
		nl = memchr(p, '\n', avail);
		seg = nl ? (size_t)(nl - p) + 1 : avail;
		cr = memchr(p, '\r', seg);
		if (cr)
			seg = (size_t)(cr - p) + 1;
		r->pos += seg;
		if (r->between) {
			if (seg == 1 && (*p == '\n' || *p == '\r')) {
				/* an empty line: libcsv would skip it too */
				if (*p == '\n')
					r->line++;
				continue;
			}
			r->between = 0;
			r->rec_line = r->line;
			flags = scan_segment(p, seg);
			r->rec_odd |= flags & SEG_ODD;
			if (p[seg - 1] == '\n' && !(flags & SEG_BLANK) &&
			    !memchr(p, '"', seg)) {
				split_plain(r, p, seg - 1);
				r->line++;
				r->between = 1;
				return 1;
			}
		} else {
			flags = scan_segment(p, seg);
			r->rec_odd |= flags & SEG_ODD;
		}
		blank_mode(r, (flags & SEG_BLANK) != 0);
		grow_step(r);
		done = csv_parse(&r->parser, p, seg, on_field, on_record, r);
		if (done != seg) {
			r->at_end = 1;
			return parse_error(r, p, done);
		}
		if (p[seg - 1] == '\n')
			r->line++;
		if (r->row_done) {
			r->between = 1;
			return 1;
		}
	}
}

/* Points r->ptrs at the values of the record and fills `row`. */
static void fill_row(struct csv_reader *r, struct csv_row *row)
{
	if (r->ptrs_alloc < r->nf)
		XGROW(r->ptrs, r->ptrs_alloc, r->nf);
	for (size_t i = 0; i < r->nf; i++)
		r->ptrs[i] = r->buf + r->offs[i];
	row->nfields = r->nf;
	row->fields = r->ptrs;
	row->lens = r->lens;
	row->line = r->rec_line;
}

/*
 * Checks every value of `row` for UTF-8 and NUL bytes.  Returns 0, or -1
 * with a message naming the column in `e`.
 */
static int check_values(const struct csv_reader *r, const struct csv_row *row,
			enum err_class cls, struct err *e)
{
	for (size_t i = 0; i < row->nfields; i++) {
		char col[64];
		int bad;
		size_t at = utf8_check(row->fields[i], row->lens[i], &bad);

		if (!bad)
			continue;
		return err_set(e, cls,
			       "'%s' line %llu: %s in column %s at byte offset "
			       "%zu", r->path, (unsigned long long)row->line,
			       row->fields[i][at] ? "invalid UTF-8" :
			       "NUL byte",
			       column_label(r, i, col, sizeof(col)), at);
	}
	return 0;
}

struct name_ref {
	const char *name;
	size_t col;
};

/* qsort() order of header names: by name, then by column. */
static int cmp_name_ref(const void *a, const void *b)
{
	const struct name_ref *x = a, *y = b;
	int c = strcmp(x->name, y->name);

	if (c)
		return c;
	return x->col < y->col ? -1 : x->col > y->col;
}

/* Copies the record just read as the header and checks its names. */
static int take_header(struct csv_reader *r)
{
	struct csv_row *h = &r->header;
	struct name_ref *refs = NULL;
	size_t first = 0, second = SIZE_MAX;
	int ret = -1;

	fill_row(r, h);
	r->hdr_buf = xmalloc(r->buf_len);
	memcpy(r->hdr_buf, r->buf, r->buf_len);
	h->fields = xcalloc(r->nf, sizeof(*h->fields));
	h->lens = xcalloc(r->nf, sizeof(*h->lens));
	for (size_t i = 0; i < r->nf; i++) {
		h->fields[i] = r->hdr_buf + r->offs[i];
		h->lens[i] = r->lens[i];
	}
	/* no column label yet: the header itself is being checked */
	h->nfields = 0;
	if (check_values(r, h, ERR_DATA, &r->fatal_err) < 0)
		goto out;
	h->nfields = r->nf;
	for (size_t i = 0; i < h->nfields; i++) {
		if (h->lens[i])
			continue;
		err_set(&r->fatal_err, ERR_DATA,
			"'%s' line %llu: empty column name in the header "
			"(column %zu)", r->path, (unsigned long long)h->line,
			i + 1);
		goto out;
	}
	refs = xcalloc(h->nfields, sizeof(*refs));
	for (size_t i = 0; i < h->nfields; i++) {
		refs[i].name = h->fields[i];
		refs[i].col = i;
	}
	qsort(refs, h->nfields, sizeof(*refs), cmp_name_ref);
	for (size_t i = 1; i < h->nfields; i++) {
		if (strcmp(refs[i - 1].name, refs[i].name) != 0 ||
		    refs[i].col >= second)
			continue;
		first = refs[i - 1].col;
		second = refs[i].col;
	}
	if (second != SIZE_MAX) {
		err_set(&r->fatal_err, ERR_DATA,
			"'%s' line %llu: duplicate column name '%s' in the "
			"header (columns %zu and %zu)", r->path,
			(unsigned long long)h->line, h->fields[first],
			first + 1, second + 1);
		goto out;
	}
	ret = 0;
out:
	free(refs);
	return ret;
}

/*
 * Opens the file, starts the feeder and reads the header row.  Returns 0,
 * or -1 with r->fatal_err set; csvr_close() then undoes what was done.
 */
static int open_reader(struct csv_reader *r)
{
	struct err *e = &r->fatal_err;
	sigset_t all, old;
	struct stat st;
	int rc;

	if ((r->flags & CSVR_GZIP) && (r->flags & CSVR_PLAIN))
		return err_set(e, ERR_SOFTWARE, "'%s': CSVR_GZIP and "
			       "CSVR_PLAIN both given", r->path);
	if (strcmp(r->path, "-") == 0) {
		r->fd = STDIN_FILENO;
	} else {
		r->fd = open(r->path, O_RDONLY | O_CLOEXEC);
		if (r->fd < 0) {
			int en = errno;

			return err_errno(e, en == EACCES || en == EPERM ||
					 en == ENOENT || en == ENOTDIR ?
					 ERR_NOINPUT : ERR_IO, en,
					 "cannot open '%s'", r->path);
		}
		r->own_fd = 1;
	}
	if (fstat(r->fd, &st) < 0)
		return err_errno(e, ERR_IO, errno, "cannot stat '%s'", r->path);
	if (S_ISDIR(st.st_mode))
		return err_set(e, ERR_NOINPUT, "cannot read '%s': it is a "
			       "directory", r->path);
	if (S_ISREG(st.st_mode))
		r->file_size = (uint64_t)st.st_size;

	csv_init(&r->parser, CSV_STRICT | CSV_STRICT_FINI | CSV_APPEND_NULL);
	csv_set_space_func(&r->parser, no_blank);
	r->keep_blanks = 1;
	csv_set_realloc_func(&r->parser, xrealloc);
	r->blk_size = BLK_SIZE;
	csv_set_blk_size(&r->parser, r->blk_size);
	r->parser_live = 1;

	for (int i = 0; i < RING_SLOTS; i++)
		r->slots[i].data = xmalloc(SLOT_SIZE);
	pthread_mutex_init(&r->lock, NULL);
	pthread_cond_init(&r->filled, NULL);
	pthread_cond_init(&r->freed, NULL);
	/* signals are for the caller's thread, never the feeder */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	rc = pthread_create(&r->thread, NULL, feeder_main, r);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc)
		return err_errno(e, ERR_IO, rc, "'%s': cannot start the "
				 "reader thread", r->path);
	r->thread_started = 1;

	take_slot(r);
	if (r->cur->len >= 3 && memcmp(r->cur->data, "\xef\xbb\xbf", 3) == 0)
		return err_set(e, ERR_DATA, "'%s' line 1: the file starts "
			       "with a byte order mark (BOM), which the Bulk "
			       "API dialect does not have", r->path);
	rc = read_record(r);
	if (rc < 0)
		return -1;
	if (rc == 0)
		return err_set(e, ERR_DATA, "'%s': empty file: no header row",
			       r->path);
	return take_header(r);
}

struct csv_reader *csvr_open(const char *path, unsigned flags,
			     struct err *err)
{
	struct csv_reader *r = xcalloc(1, sizeof(*r));

	r->path = xstrdup(path);
	r->flags = flags;
	r->fd = -1;
	r->line = 1;
	r->between = 1;
	if (open_reader(r) < 0) {
		if (err)
			*err = r->fatal_err;
		csvr_close(r);
		return NULL;
	}
	return r;
}

const struct csv_row *csvr_header(const struct csv_reader *r)
{
	return &r->header;
}

enum csvr_status csvr_next(struct csv_reader *r, const struct csv_row **row,
			   struct err *err)
{
	int rc;

	*row = NULL;
	if (r->fatal) {
		if (err)
			*err = r->fatal_err;
		return CSVR_ERROR;
	}
	rc = read_record(r);
	if (rc < 0) {
		r->fatal = 1;
		if (err)
			*err = r->fatal_err;
		return CSVR_ERROR;
	}
	if (rc == 0) {
		r->eof = 1;
		return CSVR_EOF;
	}
	fill_row(r, &r->row);
	r->records++;
	*row = &r->row;
	if (r->nf != r->header.nfields) {
		err_set(err, ERR_DATA, "'%s' line %llu: %zu values where the "
			"header has %zu", r->path,
			(unsigned long long)r->rec_line, r->nf,
			r->header.nfields);
		return CSVR_BADROW;
	}
	if (r->rec_odd && check_values(r, &r->row, ERR_DATA, err) < 0)
		return CSVR_BADROW;
	return CSVR_ROW;
}

uint64_t csvr_records(const struct csv_reader *r)
{
	return r->records;
}

uint64_t csvr_bytes_read(const struct csv_reader *r)
{
	return atomic_load_explicit(&((struct csv_reader *)r)->bytes_read,
				    memory_order_relaxed);
}

uint64_t csvr_file_size(const struct csv_reader *r)
{
	return r->file_size;
}

const char *csvr_path(const struct csv_reader *r)
{
	return r->path;
}

int csvr_sha256_hex(const struct csv_reader *r, char hex[SHA256_HEX_LEN + 1])
{
	if (!r->eof)
		return -1;
	memcpy(hex, r->sha_hex, sizeof(r->sha_hex));
	return 0;
}

void csvr_close(struct csv_reader *r)
{
	if (!r)
		return;
	if (r->thread_started) {
		pthread_mutex_lock(&r->lock);
		r->stop = 1;
		pthread_cond_broadcast(&r->freed);
		pthread_mutex_unlock(&r->lock);
		pthread_join(r->thread, NULL);
	}
	if (r->slots[0].data) {
		pthread_mutex_destroy(&r->lock);
		pthread_cond_destroy(&r->filled);
		pthread_cond_destroy(&r->freed);
	}
	for (int i = 0; i < RING_SLOTS; i++)
		free(r->slots[i].data);
	if (r->parser_live)
		csv_free(&r->parser);
	if (r->own_fd)
		close(r->fd);
	free(r->buf);
	free(r->offs);
	free(r->lens);
	free(r->ptrs);
	free(r->header.fields);
	free(r->header.lens);
	free(r->hdr_buf);
	free(r->path);
	free(r);
}
