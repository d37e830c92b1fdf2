/*
 * fileio.c - writing files whole (fileio.h): the EINTR- and
 * short-write-proof write loop, and files and directories created with an
 * exact mode rather than one the umask decides.
 *
 * It does not choose names or check them (toolchain.c does, for scratch
 * directories), and it does not read.
 */
#include "targets/exec/fileio.h"

#include <assert.h>
#include <errno.h>
#include <string.h>
#include <stdio.h>
#include <dirent.h>
#include <stdlib.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

int ac_write_all(int fd, const void *data, size_t n)
{
	const char *p = data;

	assert(data != NULL || n == 0);
	while (n > 0) {
		ssize_t w = write(fd, p, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -errno;
		assert((size_t)w <= n);
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

int ac_write_file(int dirfd, const char *path, const void *data, size_t size, mode_t mode)
{
	int fd;
	int rc = 0;

	fd = openat(dirfd, path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, mode);
	if (fd < 0)
		return -errno;
	/* the daemon's umask (077) would leave the file unreadable to the
	 * sandbox user: the mode is set on the descriptor, not left to it */
	if (fchmod(fd, mode) != 0)
		rc = -errno;
	if (rc == 0)
		rc = ac_write_all(fd, data, size);
	if (close(fd) != 0 && rc == 0)
		rc = -errno;
	return rc;
}

int ac_make_dir(const char *path, mode_t mode)
{
	struct stat st;

	if (mkdir(path, mode) != 0 && errno != EEXIST)
		return -errno;
	if (lstat(path, &st) != 0)
		return -errno;
	if (!S_ISDIR(st.st_mode))
		return -ENOTDIR;
	if ((st.st_mode & 07777) != mode && chmod(path, mode) != 0)
		return -errno;
	return 0;
}

int ac_read_file(const char *path, char **out, size_t *len)
{
	size_t cap = 4096, n = 0;
	char *buf = malloc(cap);
	int fd = open(path, O_RDONLY | O_CLOEXEC), rc = 0;

	*out = NULL;
	if (fd < 0 || !buf) {
		rc = fd < 0 ? -errno : -ENOMEM;
		free(buf);
		if (fd >= 0)
			close(fd);
		return rc;
	}
	for (;;) {
		ssize_t got;

		if (n + 1 >= cap) {
			char *grown = realloc(buf, cap * 2);

			if (!grown) {
				rc = -ENOMEM;
				break;
			}
			buf = grown;
			cap *= 2;
		}
		got = read(fd, buf + n, cap - n - 1);
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0)
			rc = -errno;
		if (got <= 0)
			break;
		n += (size_t)got;
	}
	close(fd);
	if (rc) {
		free(buf);
		return rc;
	}
	buf[n] = '\0';
	*out = buf;
	if (len)
		*len = n;
	return 0;
}

int ac_remove_tree(const char *path)
{
	DIR *d = opendir(path);
	if (!d)
		return errno == ENOENT ? 0 : (unlink(path) < 0 ? -errno : 0);
	int rc = 0;
	struct dirent *de;
	while ((de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		char sub[4096];
		int n = snprintf(sub, sizeof(sub), "%s/%s", path, de->d_name);
		if (n < 0 || (size_t)n >= sizeof(sub))
			continue;
		struct stat st;
		if (lstat(sub, &st) == 0 && S_ISDIR(st.st_mode)) {
			int r = ac_remove_tree(sub);
			if (r)
				rc = r;
		} else if (unlink(sub) < 0) {
			rc = -errno;
		}
	}
	closedir(d);
	if (rmdir(path) < 0 && errno != ENOENT)
		rc = -errno;
	return rc;
}

uint64_t ac_fnv1a(uint64_t h, const void *data, size_t n)
{
	const unsigned char *p = data;

	for (size_t i = 0; i < n; i++) {
		h ^= p[i];
		h *= 0x100000001b3ULL;
	}
	return h;
}
