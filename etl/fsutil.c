/*
 * fsutil.c - directories, atomic publish and small-file helpers
 * (see fsutil.h).
 */
#define _XOPEN_SOURCE 700 /* nftw */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fsutil.h"
#include "strbuf.h"
#include "xalloc.h"

int fs_mkdirs(const char *path, mode_t mode, struct err *err)
{
	char *p = xstrdup(path);
	int ret = -1;

	for (char *s = p + 1; ; s++) {
		int end = (*s == '\0');

		if (*s != '/' && !end)
			continue;
		*s = '\0';
		if (mkdir(p, mode) < 0 && errno != EEXIST) {
			err_errno(err, err_class_of_errno(errno) == ERR_NOINPUT
					       ? ERR_CANTCREAT
					       : err_class_of_errno(errno),
				  errno, "cannot create directory '%s'", p);
			goto out;
		}
		if (end)
			break;
		*s = '/';
	}
	if (!fs_is_dir(path)) {
		err_set(err, ERR_CANTCREAT, "cannot create directory '%s': "
			"a file of that name exists", path);
		goto out;
	}
	ret = 0;
out:
	free(p);
	return ret;
}

int fs_fsync_dir(const char *dir, struct err *err)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0)
		return err_errno(err, ERR_IO, errno, "cannot open directory '%s'",
				 dir);
	if (fsync(fd) < 0 && errno != EINVAL) {
		int e = errno;

		close(fd);
		return err_errno(err, ERR_IO, e, "cannot sync directory '%s'", dir);
	}
	close(fd);
	return 0;
}

char *fs_dirname(const char *path)
{
	const char *slash = strrchr(path, '/');

	if (!slash)
		return xstrdup(".");
	if (slash == path)
		return xstrdup("/");
	return xstrndup(path, (size_t)(slash - path));
}

char *fs_tmp_name(const char *path)
{
	const char *slash = strrchr(path, '/');
	const char *base = slash ? slash + 1 : path;
	int dirlen = slash ? (int)(slash - path + 1) : 0;

	return xasprintf("%.*s.%s.tmp.%ld", dirlen, path, base, (long)getpid());
}

int fs_publish(const char *tmp, const char *path, struct err *err)
{
	char *dir;
	int ret;

	if (rename(tmp, path) < 0)
		return err_errno(err, ERR_IO, errno, "cannot rename '%s' to '%s'",
				 tmp, path);
	dir = fs_dirname(path);
	ret = fs_fsync_dir(dir, err);
	free(dir);
	return ret;
}

int fs_write_full(int fd, const void *data, size_t len)
{
	const char *p = data;

	while (len) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int fs_write_atomic(const char *path, const void *data, size_t len,
		    mode_t mode, struct err *err)
{
	char *tmp = fs_tmp_name(path);
	int fd, ret = -1;

	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	if (fd < 0) {
		err_errno(err, err_class_of_errno(errno) == ERR_NOINPUT
				       ? ERR_CANTCREAT
				       : err_class_of_errno(errno),
			  errno, "cannot create '%s'", tmp);
		goto out;
	}
	if (fs_write_full(fd, data, len) < 0 || fsync(fd) < 0) {
		err_errno(err, ERR_IO, errno, "cannot write '%s'", tmp);
		close(fd);
		unlink(tmp);
		goto out;
	}
	if (close(fd) < 0) {
		err_errno(err, ERR_IO, errno, "cannot write '%s'", tmp);
		unlink(tmp);
		goto out;
	}
	if (fs_publish(tmp, path, err) < 0) {
		unlink(tmp);
		goto out;
	}
	ret = 0;
out:
	free(tmp);
	return ret;
}

int fs_read_all(const char *path, char **data, size_t *len, struct err *err)
{
	struct strbuf sb = STRBUF_INIT;
	char buf[8192];
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return err_errno(err, err_class_of_errno(errno), errno,
				 "cannot open '%s'", path);
	for (;;) {
		ssize_t n = read(fd, buf, sizeof(buf));

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			int e = errno;

			close(fd);
			strbuf_release(&sb);
			return err_errno(err, ERR_IO, e, "cannot read '%s'", path);
		}
		if (n == 0)
			break;
		strbuf_add(&sb, buf, (size_t)n);
	}
	close(fd);
	if (len)
		*len = sb.len;
	*data = strbuf_detach(&sb, NULL);
	return 0;
}

int fs_exists(const char *path)
{
	struct stat st;

	return lstat(path, &st) == 0;
}

int fs_is_dir(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

int fs_remove_stale_tmp(const char *dir, struct err *err)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	int ret = 0;

	if (!d)
		return 0;
	while ((de = readdir(d))) {
		char *path;

		if (de->d_name[0] != '.' || !strstr(de->d_name, ".tmp."))
			continue;
		path = xasprintf("%s/%s", dir, de->d_name);
		if (unlink(path) < 0 && errno != ENOENT)
			ret = err_errno(err, ERR_IO, errno, "cannot remove "
					"'%s'", path);
		free(path);
	}
	closedir(d);
	return ret;
}

static int remove_one(const char *path, const struct stat *st, int flag,
		      struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path) < 0 && errno != ENOENT ? -1 : 0;
}

int fs_remove_tree(const char *path, struct err *err)
{
	if (!fs_exists(path))
		return 0;
	if (nftw(path, remove_one, 16, FTW_DEPTH | FTW_PHYS) < 0)
		return err_errno(err, ERR_IO, errno, "cannot remove '%s'", path);
	return 0;
}
