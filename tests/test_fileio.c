/*
 * test_fileio.c - writing files whole (targets/exec/fileio.c): every byte
 * through a pipe smaller than the data (short writes), the exact mode
 * whatever the umask, no writing through a symbolic link, directories
 * made or kept with their mode.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "targets/exec/fileio.h"

static char dir[] = "/tmp/ac-test-fileio-XXXXXX";

static void setup(void)
{
	cr_assert_not_null(mkdtemp(dir));
}

static void teardown(void)
{
	char cmd[128];

	snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
	if (system(cmd) != 0)
		cr_log_warn("could not remove %s", dir);
}

TestSuite(fileio, .init = setup, .fini = teardown, .timeout = 30);

struct reader {
	int fd;
	size_t got;
	unsigned char sum;
};

static void *drain(void *arg)
{
	struct reader *rd = arg;
	unsigned char buf[4096];
	ssize_t n;

	while ((n = read(rd->fd, buf, sizeof buf)) > 0) {
		for (ssize_t i = 0; i < n; i++)
			rd->sum ^= buf[i];
		rd->got += (size_t)n;
	}
	return NULL;
}

Test(fileio, write_all_survives_short_writes)
{
	size_t n = (size_t)1 << 20;   /* far more than a pipe holds */
	unsigned char *data = malloc(n), sum = 0;
	struct reader rd = { 0 };
	pthread_t t;
	int p[2];

	cr_assert_not_null(data);
	for (size_t i = 0; i < n; i++) {
		data[i] = (unsigned char)(i * 31 + 7);
		sum ^= data[i];
	}
	cr_assert_eq(pipe(p), 0);
	rd.fd = p[0];
	cr_assert_eq(pthread_create(&t, NULL, drain, &rd), 0);
	cr_expect_eq(ac_write_all(p[1], data, n), 0);
	close(p[1]);
	pthread_join(t, NULL);
	close(p[0]);
	cr_expect_eq(rd.got, n);
	cr_expect_eq(rd.sum, sum);
	cr_expect_eq(ac_write_all(p[1], "x", 1), -EBADF, "a closed descriptor is an error");
	cr_expect_eq(ac_write_all(-1, NULL, 0), 0, "nothing to write is not an error");
	free(data);
}

Test(fileio, write_file_sets_the_mode_whatever_the_umask)
{
	char path[256];
	struct stat st;
	mode_t old = umask(077);
	char buf[16] = "";
	FILE *f;

	snprintf(path, sizeof path, "%s/a.txt", dir);
	cr_assert_eq(ac_write_file(AT_FDCWD, path, "first version\n", 14, 0644), 0);
	cr_assert_eq(ac_write_file(AT_FDCWD, path, "second\n", 7, 0644), 0);
	umask(old);
	cr_assert_eq(stat(path, &st), 0);
	cr_expect_eq(st.st_mode & 07777, 0644);
	cr_expect_eq(st.st_size, 7, "replaced whole, not overwritten in place");
	f = fopen(path, "r");
	cr_assert_not_null(f);
	cr_expect_not_null(fgets(buf, sizeof buf, f));
	fclose(f);
	cr_expect_str_eq(buf, "second\n");
}

Test(fileio, write_file_relative_to_a_directory)
{
	char path[256];
	struct stat st;
	int dfd = open(dir, O_RDONLY | O_DIRECTORY);

	cr_assert_geq(dfd, 0);
	cr_expect_eq(ac_write_file(dfd, "b.sh", "#!/bin/sh\n", 10, 0755), 0);
	close(dfd);
	snprintf(path, sizeof path, "%s/b.sh", dir);
	cr_assert_eq(stat(path, &st), 0);
	cr_expect_eq(st.st_mode & 07777, 0755);
}

Test(fileio, write_file_never_through_a_symbolic_link)
{
	char link[256], target[256];
	struct stat st;

	snprintf(target, sizeof target, "%s/target", dir);
	snprintf(link, sizeof link, "%s/link", dir);
	cr_assert_eq(ac_write_file(AT_FDCWD, target, "keep", 4, 0644), 0);
	cr_assert_eq(symlink(target, link), 0);
	cr_expect_eq(ac_write_file(AT_FDCWD, link, "changed", 7, 0644), -ELOOP);
	cr_assert_eq(stat(target, &st), 0);
	cr_expect_eq(st.st_size, 4);
}

Test(fileio, make_dir_makes_keeps_and_refuses)
{
	char path[256], file[256];
	struct stat st;
	mode_t old = umask(077);

	snprintf(path, sizeof path, "%s/d", dir);
	cr_expect_eq(ac_make_dir(path, 0755), 0);
	cr_assert_eq(stat(path, &st), 0);
	cr_expect(S_ISDIR(st.st_mode));
	cr_expect_eq(st.st_mode & 07777, 0755);
	cr_assert_eq(chmod(path, 0700), 0);
	cr_expect_eq(ac_make_dir(path, 0755), 0, "an existing directory is kept");
	cr_assert_eq(stat(path, &st), 0);
	cr_expect_eq(st.st_mode & 07777, 0755, "with the mode asked for");
	snprintf(file, sizeof file, "%s/f", dir);
	cr_assert_eq(ac_write_file(AT_FDCWD, file, "", 0, 0644), 0);
	cr_expect_eq(ac_make_dir(file, 0755), -ENOTDIR);
	umask(old);
}

Test(fileio, read_file_whole_and_missing)
{
	char path[256], *text = NULL, big[10000];
	size_t len = 0;

	memset(big, 'x', sizeof big);
	snprintf(path, sizeof path, "%s/big", dir);
	cr_assert_eq(ac_write_file(AT_FDCWD, path, big, sizeof big, 0644), 0);
	cr_assert_eq(ac_read_file(path, &text, &len), 0);
	cr_expect_eq(len, sizeof big, "past the first buffer's size");
	cr_expect_eq(text[len], '\0');
	cr_expect_eq(memcmp(text, big, len), 0);
	free(text);
	snprintf(path, sizeof path, "%s/none", dir);
	cr_expect_eq(ac_read_file(path, &text, NULL), -ENOENT);
	cr_expect_null(text);
}

Test(fileio, remove_tree_removes_everything_but_what_links_point_to)
{
	char top[256], path[300], outside[256];
	struct stat st;

	snprintf(top, sizeof top, "%s/tree", dir);
	snprintf(outside, sizeof outside, "%s/outside", dir);
	cr_assert_eq(ac_make_dir(top, 0755), 0);
	snprintf(path, sizeof path, "%s/sub", top);
	cr_assert_eq(ac_make_dir(path, 0700), 0);
	snprintf(path, sizeof path, "%s/sub/f", top);
	cr_assert_eq(ac_write_file(AT_FDCWD, path, "f", 1, 0400), 0);
	cr_assert_eq(ac_make_dir(outside, 0755), 0);
	snprintf(path, sizeof path, "%s/link", top);
	cr_assert_eq(symlink(outside, path), 0);
	cr_expect_eq(ac_remove_tree(top), 0);
	cr_expect_neq(stat(top, &st), 0);
	cr_expect_eq(stat(outside, &st), 0, "a link's target stays");
	cr_expect_eq(ac_remove_tree(top), 0, "a tree that is gone is fine");
}
