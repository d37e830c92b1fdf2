/*
 * test_util.c - the engine's vocabulary (engine/util/util.c): the string
 * buffer, names, durations and times for people, and the file helpers on
 * a real directory.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "engine/util/util.h"
#include "targets/exec/fileio.h"

Test(util, strbuf_grows_and_hands_over)
{
	struct strbuf sb = {0};

	cr_assert_eq(sb_adds(&sb, "gemm"), 0);
	cr_assert_eq(sb_add(&sb, " 1234", 3), 0);
	cr_assert_eq(sb_addf(&sb, " #%d", 7), 0);
	cr_assert_str_eq(sb.buf, "gemm 12 #7");
	cr_assert_eq(sb.len, strlen(sb.buf));
	for (int i = 0; i < 10000; i++)
		cr_assert_eq(sb_adds(&sb, "x"), 0);
	cr_assert_eq(sb.len, 10 + 10000);
	cr_assert_eq(sb.buf[sb.len], '\0');
	cr_assert_eq(sb_setlen(&sb, 4), 0);
	cr_assert_str_eq(sb.buf, "gemm");
	char *s = sb_detach(&sb);
	cr_assert_str_eq(s, "gemm");
	cr_assert_null(sb.buf, "detach leaves the buffer empty");
	free(s);
	s = sb_detach(&sb);
	cr_assert_str_eq(s, "", "an empty buffer detaches as an empty string");
	free(s);
	sb_release(&sb);
	sb_release(NULL);
}

Test(util, kernel_and_file_names)
{
	cr_expect(kernel_name_valid("gemm-1.2_x+y"));
	cr_expect(!kernel_name_valid(""));
	cr_expect(!kernel_name_valid(".hidden"));
	cr_expect(!kernel_name_valid("a/b"));
	cr_expect(!kernel_name_valid("with space"));
	char long_name[70];
	memset(long_name, 'k', 64);
	long_name[64] = '\0';
	cr_expect(kernel_name_valid(long_name));
	long_name[64] = 'k';
	long_name[65] = '\0';
	cr_expect(!kernel_name_valid(long_name));

	cr_expect(file_name_valid("input.c"));
	cr_expect(file_name_valid(".input.c.swp"));
	cr_expect(!file_name_valid("."));
	cr_expect(!file_name_valid(".."));
	cr_expect(!file_name_valid("a/b"));
	cr_expect(!file_name_valid(""));
}

Test(util, durations_and_times_for_people)
{
	char b[32];

	cr_expect_str_eq(fmt_duration(-1, b, sizeof b), "-");
	cr_expect_str_eq(fmt_duration(640, b, sizeof b), "640 ns");
	cr_expect_str_eq(fmt_duration(812000, b, sizeof b), "812 us");
	cr_expect_str_eq(fmt_duration(12300000, b, sizeof b), "12.3 ms");
	cr_expect_str_eq(fmt_duration(1240000000, b, sizeof b), "1.24 s");
	cr_expect_str_eq(fmt_time(1764024001123000000LL, b, sizeof b), "2025-11-24 22:40:01.123");
	cr_expect_lt(mono_ns() - mono_ns(), 1, "the monotonic clock does not go back");
	cr_expect_gt(now_ns(), 1764024001123000000LL);
}

Test(util, files_are_written_whole_and_trees_removed)
{
	char dir[] = "/tmp/ac-test-util-XXXXXX", path[128], deep[160];
	char *text = NULL;
	size_t len = 0;
	struct stat st;

	cr_assert_not_null(mkdtemp(dir));
	umask(022);
	snprintf(deep, sizeof deep, "%s/a/b/c", dir);
	cr_assert_eq(mkdir_p(deep, 0700), 0);
	cr_assert_eq(mkdir_p(deep, 0700), 0, "an existing directory is fine");
	snprintf(path, sizeof path, "%s/a/b/note", dir);
	cr_assert_eq(write_file_atomic(path, "first", 5, 0600), 0);
	cr_assert_eq(write_file_atomic(path, "second\n", 7, 0640), 0);
	cr_assert_eq(ac_read_file(path, &text, &len), 0);
	cr_expect_eq(len, 7);
	cr_expect_str_eq(text, "second\n");
	free(text);
	cr_assert_eq(stat(path, &st), 0);
	cr_expect_eq(st.st_mode & 0777, 0640, "the mode given (less the umask)");
	cr_expect_eq(ac_read_file("/nonexistent/x", &text, NULL), -ENOENT);
	snprintf(path, sizeof path, "%s/a/b/c/file", dir);
	cr_assert_eq(write_file_atomic(path, "", 0, 0600), 0);
	cr_expect_eq(write_file_atomic("/nonexistent/dir/x", "x", 1, 0600) < 0, true);

	cr_assert_eq(ac_remove_tree(dir), 0);
	cr_expect_eq(stat(dir, &st), -1);
	cr_expect_eq(errno, ENOENT);
}

Test(util, a_first_line_is_cut_at_a_word_and_marked)
{
	char out[40];
	text_first_line("\n# tile the loops\nsecond line", out, sizeof(out));
	cr_assert_str_eq(out, "tile the loops");
	/* 39 bytes at most: cut after a whole word, then the ellipsis */
	text_first_line("Block C in registers: compute 4 rows by 32 columns at a time", out,
	                sizeof(out));
	cr_assert_str_eq(out, "Block C in registers: compute 4 rows\xe2\x80\xa6", "%s", out);
	cr_assert_lt(strlen(out), sizeof(out));
	/* one long word: cut between characters, never inside one */
	char word[200] = "";
	for (int i = 0, at = 0; i < 30; i++)
		at += snprintf(word + at, sizeof(word) - (size_t)at, "\xc3\xa9");   /* é, two bytes */
	text_first_line(word, out, sizeof(out));
	cr_assert_eq((strlen(out) - 3) % 2, 0, "a whole number of characters: %s", out);
	cr_assert(!strcmp(out + strlen(out) - 3, "\xe2\x80\xa6"));
}
