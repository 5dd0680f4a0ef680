/* lib/fs.c - atomic writes and careful reads for the state directory. */
#include "lib/fs.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int write_all(int fd, const void *data, size_t len)
{
	const uint8_t *p = data;

	while (len > 0) {
		ssize_t n = write(fd, p, len);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static int fsync_parent(const char *path)
{
	char dir[PATH_MAX];
	const char *slash = strrchr(path, '/');
	size_t n;
	int fd, r = 0;

	if (!slash) {
		strcpy(dir, ".");
	} else {
		n = (size_t)(slash - path);
		if (n == 0)
			n = 1; /* "/file" */
		if (n >= sizeof(dir))
			return -ENAMETOOLONG;
		memcpy(dir, path, n);
		dir[n] = '\0';
	}
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fsync(fd) < 0)
		r = -errno;
	close(fd);
	return r;
}

int fs_write_atomic(const char *path, const void *data, size_t len, mode_t mode)
{
	char tmp[PATH_MAX];
	int fd, r;

	if (snprintf(tmp, sizeof(tmp), "%s.tmp.%ld", path, (long)getpid()) >= (int)sizeof(tmp))
		return -ENAMETOOLONG;
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, mode);
	if (fd < 0)
		return -errno;
	/* O_CREAT's mode is masked by the umask; secrets must be exactly `mode`. */
	if (fchmod(fd, mode) < 0) {
		r = -errno;
		goto err_close;
	}
	r = write_all(fd, data, len);
	if (r < 0)
		goto err_close;
	if (fsync(fd) < 0) {
		r = -errno;
		goto err_close;
	}
	if (close(fd) < 0) {
		r = -errno;
		goto err_unlink;
	}
	if (rename(tmp, path) < 0) {
		r = -errno;
		goto err_unlink;
	}
	return fsync_parent(path);

err_close:
	close(fd);
err_unlink:
	unlink(tmp);
	return r;
}

int fs_write_new(const char *path, const void *data, size_t len, mode_t mode)
{
	int fd, r;

	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, mode);
	if (fd < 0)
		return -errno;
	if (fchmod(fd, mode) < 0 || (r = write_all(fd, data, len)) < 0 || fsync(fd) < 0) {
		r = -errno;
		close(fd);
		unlink(path);
		return r ? r : -EIO;
	}
	close(fd);
	return fsync_parent(path);
}

int fs_read_file(const char *path, size_t max_len, uint8_t **out_buf, size_t *out_len)
{
	struct stat st;
	uint8_t *buf = NULL;
	size_t got = 0;
	int fd, r;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0) {
		r = -errno;
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		r = -EINVAL;
		goto out;
	}
	if ((uint64_t)st.st_size > max_len) {
		r = -EFBIG;
		goto out;
	}
	buf = malloc((size_t)st.st_size + 1);
	if (!buf) {
		r = -ENOMEM;
		goto out;
	}
	/* Read up to the size seen by fstat; a file that grows meanwhile is
	 * caught by the extra byte. */
	for (;;) {
		ssize_t n = read(fd, buf + got, (size_t)st.st_size + 1 - got);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			r = -errno;
			goto out;
		}
		if (n == 0)
			break;
		got += (size_t)n;
		if (got > (size_t)st.st_size) {
			r = -EFBIG;
			goto out;
		}
	}
	buf[got] = '\0';
	*out_buf = buf;
	*out_len = got;
	buf = NULL;
	r = 0;
out:
	free(buf);
	close(fd);
	return r;
}

int fs_check_private(const char *path, mode_t *out_mode)
{
	struct stat st;

	if (stat(path, &st) < 0)
		return -errno;
	if (!S_ISREG(st.st_mode))
		return -EINVAL;
	if (out_mode)
		*out_mode = st.st_mode & 07777;
	return (st.st_mode & 077) ? -EPERM : 0;
}

int fs_mkdir_p(const char *path, mode_t mode)
{
	char buf[PATH_MAX];
	size_t n = strlen(path);

	if (n == 0 || n >= sizeof(buf))
		return n ? -ENAMETOOLONG : -EINVAL;
	memcpy(buf, path, n + 1);
	for (size_t i = 1; i <= n; i++) {
		if (buf[i] != '/' && buf[i] != '\0')
			continue;
		char saved = buf[i];

		buf[i] = '\0';
		if (mkdir(buf, mode) < 0) {
			struct stat st;

			if (errno != EEXIST)
				return -errno;
			/* EEXIST is fine only for a directory, not a file. */
			if (stat(buf, &st) < 0)
				return -errno;
			if (!S_ISDIR(st.st_mode))
				return -ENOTDIR;
		}
		buf[i] = saved;
	}
	return 0;
}

int fs_path_join(char *out, size_t cap, const char *dir, const char *name)
{
	int n = snprintf(out, cap, "%s/%s", dir, name);

	return (n < 0 || (size_t)n >= cap) ? -ENAMETOOLONG : 0;
}
