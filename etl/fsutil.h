/*
 * fsutil.h - filesystem helpers: directories, atomic publish, locks.
 *
 * Publishing a file atomically means: write it under a temporary name in
 * the same directory, fsync it, rename it over the final name, fsync the
 * directory.  A reader then sees either the old file or the new one,
 * never a torn one, even after a crash or power loss.
 */
#ifndef CRMSYNC_FSUTIL_H
#define CRMSYNC_FSUTIL_H

#include <stddef.h>
#include <sys/types.h>

#include "errors.h"

/* mkdir -p with `mode` for the directories it creates. */
int fs_mkdirs(const char *path, mode_t mode, struct err *err);

/* fsync() the directory `dir` so a rename in it is durable. */
int fs_fsync_dir(const char *dir, struct err *err);

/* The temporary name used while writing `path`:
 * "<dir>/.<base>.tmp.<pid>"; caller frees. */
char *fs_tmp_name(const char *path);

/* Directory part of `path` ("." when none); caller frees. */
char *fs_dirname(const char *path);

/* rename(tmp, path) then fsync the directory of `path`. */
int fs_publish(const char *tmp, const char *path, struct err *err);

/* Writes `len` bytes to `path` atomically (temporary file, fsync,
 * rename, fsync dir) with `mode`. */
int fs_write_atomic(const char *path, const void *data, size_t len,
		    mode_t mode, struct err *err);

/* Reads a whole (small) file; *data is NUL-terminated and the caller
 * frees it.  ERR_NOINPUT when absent. */
int fs_read_all(const char *path, char **data, size_t *len, struct err *err);

/* 1 when `path` exists (any type), else 0. */
int fs_exists(const char *path);

/* 1 when `path` is a directory. */
int fs_is_dir(const char *path);

/* Removes the temporary files a killed writer left in `dir` (names made
 * by fs_tmp_name(): ".<base>.tmp.<pid>").  A missing dir is fine. */
int fs_remove_stale_tmp(const char *dir, struct err *err);

/* rm -rf `path`; a missing path is not an error. */
int fs_remove_tree(const char *path, struct err *err);

/* write(2) all of `data`, retrying short writes and EINTR. */
int fs_write_full(int fd, const void *data, size_t len);

#endif
