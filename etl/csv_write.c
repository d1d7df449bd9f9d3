/*
 * csv_write.c - the writer of staged CSV files (see csvio.h).
 *
 * The caller's thread validates and formats records into one of two
 * WBUF_SIZE buffers; when it is full, a worker thread takes it and
 * deflates it with ISA-L (or copies it, for plain files), writes the
 * result in ZOUT_SIZE chunks and hashes the bytes it writes, while the
 * caller fills the other buffer.  Buffers are handed over only when full,
 * so the deflater is always fed the same pieces of the same records, and
 * they always give the same bytes (ISA-L's output, unlike zlib's, may
 * depend on how its input is split).
 *
 * ISA-L rather than zlib: on the development VM its level 3 deflates a
 * 20 MB extract in 0.09 s where zlib's level 6 takes 0.60 s, for a file
 * 11% larger; its level 1 (CSVW_FAST) takes 0.05 s where zlib's takes
 * 0.25 s, and is smaller.  Every stage writes gzip CSV, so this is most
 * of an extract's time.
 *
 * Everything goes to a temporary file created with O_EXCL next to the
 * final one; csvw_commit() is the only place that renames it into place,
 * and every failure path unlinks it.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <isa-l/igzip_lib.h>

#include "csvio.h"
#include "fsutil.h"
#include "xalloc.h"

#define WBUF_SIZE (1u << 20) /* formatted text per hand-over */
#define ZOUT_SIZE (1u << 18) /* bytes per write(2) */

#define ONES 0x0101010101010101ULL
#define HIGHS 0x8080808080808080ULL

struct csv_writer {
	char *path;
	char *tmp;
	int fd;
	int tmp_exists;
	unsigned flags;
	size_t ncols;
	char **names;  /* the header, for messages */
	size_t *lens;  /* scratch: value lengths of the row being written */
	uint64_t rows;
	int broken;    /* an I/O failure happened: only abort is left */

	/* the caller's side of the double buffer */
	char *bufs[2];
	int fill_idx;
	char *fill;
	size_t fill_len;

	/* shared with the worker, under `lock` */
	pthread_t thread;
	int thread_started;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	const char *work; /* buffer handed to the worker; NULL when idle */
	size_t work_len;
	int work_finish;  /* the last buffer: end the stream */
	int stop;
	int werr;         /* errno of the worker's failed write, or 0 */

	/* the worker's own */
	struct isal_zstream z;
	int z_live;
	unsigned char *zlevel; /* the deflater's work area (level_buf) */
	unsigned char *zout;
	size_t zout_len;
	struct sha256 *sha;
	uint64_t bytes;
};

/* ---- the worker thread ------------------------------------------------- */

/* Writes and hashes `len` bytes.  Returns 0 or an errno value. */
static int emit_bytes(struct csv_writer *w, const void *p, size_t len)
{
	if (fs_write_full(w->fd, p, len) < 0)
		return errno ? errno : EIO;
	sha256_update(w->sha, p, len);
	w->bytes += len;
	return 0;
}

/* Deflates (or copies) one buffer.  Returns 0 or an errno value. */
static int absorb(struct csv_writer *w, const char *buf, size_t len,
		  int finish)
{
	int ended = 0;

	if (!w->z_live)
		return len ? emit_bytes(w, buf, len) : 0;
	w->z.next_in = (uint8_t *)buf;
	w->z.avail_in = (uint32_t)len;
	w->z.end_of_stream = finish != 0;
	do {
		w->z.next_out = w->zout + w->zout_len;
		w->z.avail_out = (uint32_t)(ZOUT_SIZE - w->zout_len);
		if (isal_deflate(&w->z) != COMP_OK)
			return EINVAL; /* cannot happen: the settings are ours */
		w->zout_len = ZOUT_SIZE - w->z.avail_out;
		ended = finish && w->z.internal_state.state == ZSTATE_END;
		if (w->zout_len == ZOUT_SIZE || (ended && w->zout_len)) {
			int e = emit_bytes(w, w->zout, w->zout_len);

			if (e)
				return e;
			w->zout_len = 0;
		}
	} while (finish ? !ended : w->z.avail_in > 0);
	return 0;
}

/*
 * The worker thread: absorbs each buffer handed over until the last one
 * or the first write failure (left in w->werr), or until destroy() sets
 * `stop`.
 */
static void *worker_main(void *arg)
{
	struct csv_writer *w = arg;

	pthread_mutex_lock(&w->lock);
	for (;;) {
		const char *buf;
		size_t len;
		int finish, e = 0;

		while (!w->work && !w->stop)
			pthread_cond_wait(&w->cond, &w->lock);
		if (w->stop)
			break;
		buf = w->work;
		len = w->work_len;
		finish = w->work_finish;
		pthread_mutex_unlock(&w->lock);
		e = absorb(w, buf, len, finish);
		pthread_mutex_lock(&w->lock);
		if (e)
			w->werr = e;
		w->work = NULL;
		pthread_cond_broadcast(&w->cond);
		if (finish || e)
			break;
	}
	pthread_mutex_unlock(&w->lock);
	return NULL;
}

/* ---- the caller's side ------------------------------------------------- */

/* Marks the writer broken and fails with ERR_IO naming the file. */
static int io_error(struct csv_writer *w, int errnum, struct err *err)
{
	w->broken = 1;
	return err_errno(err, ERR_IO, errnum, "cannot write '%s'", w->path);
}

/*
 * Hands the buffer being filled to the worker (once it is idle) and
 * switches to the other one.  Fails with ERR_IO when the worker could not
 * write an earlier buffer.
 */
static int hand_over(struct csv_writer *w, int finish, struct err *err)
{
	int e;

	pthread_mutex_lock(&w->lock);
	while (w->work && !w->werr)
		pthread_cond_wait(&w->cond, &w->lock);
	e = w->werr;
	if (!e) {
		w->work = w->fill;
		w->work_len = w->fill_len;
		w->work_finish = finish;
		pthread_cond_broadcast(&w->cond);
	}
	pthread_mutex_unlock(&w->lock);
	if (e)
		return io_error(w, e, err);
	w->fill_idx ^= 1;
	w->fill = w->bufs[w->fill_idx];
	w->fill_len = 0;
	return 0;
}

/* put() when the bytes fill the buffer: hands it over as it fills. */
static int put_slow(struct csv_writer *w, const char *p, size_t n,
		    struct err *err)
{
	while (n) {
		size_t room = WBUF_SIZE - w->fill_len;

		if (room > n)
			room = n;
		memcpy(w->fill + w->fill_len, p, room);
		w->fill_len += room;
		p += room;
		n -= room;
		if (w->fill_len == WBUF_SIZE && hand_over(w, 0, err) < 0)
			return -1;
	}
	return 0;
}

/* Appends `n` bytes to the output; fails only as hand_over() does. */
static inline int put(struct csv_writer *w, const char *p, size_t n,
		      struct err *err)
{
	if (n < WBUF_SIZE - w->fill_len) {
		memcpy(w->fill + w->fill_len, p, n);
		w->fill_len += n;
		return 0;
	}
	return put_slow(w, p, n, err);
}

/* 1 when the value holds a comma, a quote, a CR or an LF. */
static int has_special(const char *p, size_t len)
{
	size_t i = 0;

	for (; i + 8 <= len; i += 8) {
		uint64_t v, a, b, c, d;

		memcpy(&v, p + i, 8);
		a = v ^ (ONES * ',');
		b = v ^ (ONES * '"');
		c = v ^ (ONES * '\r');
		d = v ^ (ONES * '\n');
		if ((((a - ONES) & ~a) | ((b - ONES) & ~b) |
		     ((c - ONES) & ~c) | ((d - ONES) & ~d)) & HIGHS)
			return 1;
	}
	for (; i < len; i++)
		if (p[i] == ',' || p[i] == '"' || p[i] == '\r' || p[i] == '\n')
			return 1;
	return 0;
}

/* Appends one value, quoted when it must be. */
static int put_value(struct csv_writer *w, const char *v, size_t len,
		     int is_null, struct err *err)
{
	int quote;

	if (!len) {
		/* a lone empty value would make a blank line, which
		 * readers skip: quote it */
		quote = w->ncols == 1 ||
			(!is_null && (w->flags & CSVW_QUOTE_ALL));
		return quote ? put(w, "\"\"", 2, err) : 0;
	}
	quote = (w->flags & CSVW_QUOTE_ALL) || v[0] == ' ' ||
		v[len - 1] == ' ' || has_special(v, len);
	if (!quote)
		return put(w, v, len, err);
	if (put(w, "\"", 1, err) < 0)
		return -1;
	for (;;) {
		const char *q = memchr(v, '"', len);
		size_t n = q ? (size_t)(q - v) + 1 : len;

		if (put(w, v, n, err) < 0)
			return -1;
		if (!q)
			break;
		if (put(w, "\"", 1, err) < 0) /* double the quote */
			return -1;
		v += n;
		len -= n;
	}
	return put(w, "\"", 1, err);
}

/* Appends a record whose values were checked and measured in w->lens. */
static int put_record(struct csv_writer *w, const char *const *vals,
		      struct err *err)
{
	for (size_t i = 0; i < w->ncols; i++) {
		if (i && put(w, ",", 1, err) < 0)
			return -1;
		if (put_value(w, vals[i] ? vals[i] : "", w->lens[i], !vals[i],
			      err) < 0)
			return -1;
	}
	return put(w, "\n", 1, err);
}

/*
 * Measures the values into w->lens and checks that they are UTF-8
 * without NUL.  Fails with ERR_DATA naming the column and the row (or
 * the header, while w->names is not set yet).
 */
static int check_record(struct csv_writer *w, const char *const *vals,
			const size_t *lens, struct err *err)
{
	for (size_t i = 0; i < w->ncols; i++) {
		const char *v = vals[i];
		size_t len = !v ? 0 : lens ? lens[i] : strlen(v);
		size_t at;
		int bad;

		w->lens[i] = len;
		if (!v)
			continue;
		at = utf8_check(v, len, &bad);
		if (!bad)
			continue;
		if (!w->names)
			return err_set(err, ERR_DATA, "'%s' header: %s in "
				       "column %zu at byte offset %zu",
				       w->path, v[at] ? "invalid UTF-8" :
				       "NUL byte", i + 1, at);
		return err_set(err, ERR_DATA, "'%s' row %llu: %s in column "
			       "'%s' at byte offset %zu", w->path,
			       (unsigned long long)w->rows + 1,
			       v[at] ? "invalid UTF-8" : "NUL byte",
			       w->names[i], at);
	}
	return 0;
}

/* Stops the worker, closes and removes the temporary file, frees. */
static void destroy(struct csv_writer *w)
{
	if (w->thread_started) {
		pthread_mutex_lock(&w->lock);
		w->stop = 1;
		pthread_cond_broadcast(&w->cond);
		pthread_mutex_unlock(&w->lock);
		pthread_join(w->thread, NULL);
	}
	if (w->bufs[0]) {
		pthread_mutex_destroy(&w->lock);
		pthread_cond_destroy(&w->cond);
	}
	free(w->zlevel);
	if (w->fd >= 0)
		close(w->fd);
	if (w->tmp_exists)
		unlink(w->tmp);
	if (w->names)
		for (size_t i = 0; i < w->ncols; i++)
			free(w->names[i]);
	free(w->names);
	free(w->lens);
	free(w->bufs[0]);
	free(w->bufs[1]);
	free(w->zout);
	sha256_free(w->sha);
	free(w->tmp);
	free(w->path);
	free(w);
}

/*
 * Checks the header, creates the temporary file, starts the worker and
 * writes the header row.  Returns 0, or -1 with `err` set; destroy() then
 * undoes what was done.
 */
static int open_writer(struct csv_writer *w, const char *const *header,
		       struct err *err)
{
	sigset_t all, old;
	int rc;

	if (!w->ncols)
		return err_set(err, ERR_SOFTWARE, "'%s': a file needs at least "
			       "one column", w->path);
	w->lens = xcalloc(w->ncols, sizeof(*w->lens));
	for (size_t i = 0; i < w->ncols; i++)
		if (!header[i])
			return err_set(err, ERR_SOFTWARE, "'%s': column %zu "
				       "has no name", w->path, i + 1);
	if (check_record(w, header, NULL, err) < 0)
		return -1;
	w->names = xcalloc(w->ncols, sizeof(*w->names));
	for (size_t i = 0; i < w->ncols; i++)
		w->names[i] = xstrdup(header[i]);

	w->fd = open(w->tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	if (w->fd < 0) {
		enum err_class cls = err_class_of_errno(errno);

		/* EEXIST: another writer of the same file in this process */
		if (cls == ERR_NOINPUT || errno == EEXIST)
			cls = ERR_CANTCREAT;
		return err_errno(err, cls, errno, "cannot create '%s'",
				 w->tmp);
	}
	w->tmp_exists = 1;
	if (!(w->flags & CSVW_PLAIN)) {
		int fast = (w->flags & CSVW_FAST) != 0;

		/* ISA-L's gzip header: mtime 0, no name */
		isal_deflate_init(&w->z);
		w->z.gzip_flag = IGZIP_GZIP;
		w->z.level = fast ? 1 : 3;
		w->z.level_buf_size = fast ? ISAL_DEF_LVL1_DEFAULT :
				      ISAL_DEF_LVL3_DEFAULT;
		w->zlevel = xmalloc(w->z.level_buf_size);
		w->z.level_buf = w->zlevel;
		w->z_live = 1;
		w->zout = xmalloc(ZOUT_SIZE);
	}
	w->sha = sha256_new();
	w->bufs[0] = xmalloc(WBUF_SIZE);
	w->bufs[1] = xmalloc(WBUF_SIZE);
	w->fill = w->bufs[0];
	pthread_mutex_init(&w->lock, NULL);
	pthread_cond_init(&w->cond, NULL);
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	rc = pthread_create(&w->thread, NULL, worker_main, w);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc)
		return err_errno(err, ERR_IO, rc, "'%s': cannot start the "
				 "writer thread", w->path);
	w->thread_started = 1;
	return put_record(w, header, err);
}

struct csv_writer *csvw_open(const char *path, const char *const *header,
			     size_t ncols, unsigned flags, struct err *err)
{
	struct csv_writer *w = xcalloc(1, sizeof(*w));

	w->path = xstrdup(path);
	w->tmp = fs_tmp_name(path);
	w->fd = -1;
	w->flags = flags;
	w->ncols = ncols;
	if (open_writer(w, header, err) < 0) {
		destroy(w);
		return NULL;
	}
	return w;
}

int csvw_row(struct csv_writer *w, const char *const *fields,
	     const size_t *lens, struct err *err)
{
	if (w->broken)
		return err_set(err, ERR_IO, "cannot write '%s': an earlier "
			       "write failed", w->path);
	/* everything is checked before a byte is written, so a data error
	 * leaves the file as it was */
	if (check_record(w, fields, lens, err) < 0)
		return -1;
	if (put_record(w, fields, err) < 0)
		return -1;
	w->rows++;
	return 0;
}

int csvw_commit(struct csv_writer *w, struct csv_file_info *info,
		struct err *err)
{
	char hex[SHA256_HEX_LEN + 1];
	int ret = -1, rc;

	if (w->broken) {
		err_set(err, ERR_IO, "cannot write '%s': an earlier write "
			"failed", w->path);
		goto out;
	}
	if (hand_over(w, 1, err) < 0)
		goto out;
	pthread_join(w->thread, NULL);
	w->thread_started = 0;
	if (w->werr) {
		io_error(w, w->werr, err);
		goto out;
	}
	if (fsync(w->fd) < 0) {
		io_error(w, errno, err);
		goto out;
	}
	rc = close(w->fd);
	w->fd = -1;
	if (rc < 0) {
		io_error(w, errno, err);
		goto out;
	}
	if (fs_publish(w->tmp, w->path, err) < 0) {
		/* the rename may have happened before the directory sync
		 * failed: then the file under the final name is ours */
		if (!fs_exists(w->tmp))
			unlink(w->path);
		goto out;
	}
	w->tmp_exists = 0;
	sha256_final_hex(w->sha, hex);
	w->sha = NULL;
	if (info) {
		info->rows = w->rows;
		info->bytes = w->bytes;
		memcpy(info->sha256, hex, sizeof(hex));
	}
	ret = 0;
out:
	destroy(w);
	return ret;
}

void csvw_abort(struct csv_writer *w)
{
	if (w)
		destroy(w);
}
