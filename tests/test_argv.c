/*
 * test_argv.c - the growable argument vector (targets/exec/argv.c): words,
 * formatted words, whitespace splitting of a configured command, growth
 * past the first allocation, the remembered allocation failure, and the
 * vector sorted as a set of names.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "targets/exec/argv.h"

Test(argv, starts_empty_and_frees_to_empty)
{
	struct ac_argv a = { 0 };

	cr_expect_null(a.v);
	ac_argv_free(&a);
	cr_expect_null(a.v);
	cr_expect_eq(a.n, 0);
	ac_argv_free(NULL);
}

Test(argv, split_on_any_whitespace)
{
	struct ac_argv a = { 0 };

	ac_argv_add_split(&a, "\t gcc  -O3\n-march=native\r\v-DX=1  ");
	cr_assert_eq(a.n, 4);
	cr_expect_str_eq(a.v[0], "gcc");
	cr_expect_str_eq(a.v[1], "-O3");
	cr_expect_str_eq(a.v[2], "-march=native");
	cr_expect_str_eq(a.v[3], "-DX=1");
	cr_expect_null(a.v[4]);
	cr_expect(!a.oom);
	ac_argv_free(&a);
}

Test(argv, split_does_not_quote)
{
	struct ac_argv a = { 0 };

	/* no shell: quotes and backslashes are part of the words */
	ac_argv_add_split(&a, "cc '-DNAME=a b' \\ x");
	cr_assert_eq(a.n, 5);
	cr_expect_str_eq(a.v[1], "'-DNAME=a");
	cr_expect_str_eq(a.v[2], "b'");
	cr_expect_str_eq(a.v[3], "\\");
	ac_argv_free(&a);
}

Test(argv, split_of_nothing_adds_nothing)
{
	struct ac_argv a = { 0 };

	ac_argv_add_split(&a, NULL);
	ac_argv_add_split(&a, "");
	ac_argv_add_split(&a, " \t\n ");
	cr_expect_eq(a.n, 0);
	cr_expect_null(a.v);
	cr_expect(!a.oom);
	ac_argv_free(&a);
}

Test(argv, add_keeps_a_word_whole)
{
	struct ac_argv a = { 0 };

	ac_argv_add(&a, "has space");
	ac_argv_add(&a, "");
	ac_argv_addf(&a, "-D%s=ref_%s", "gemm", "gemm");
	cr_assert_eq(a.n, 3);
	cr_expect_str_eq(a.v[0], "has space");
	cr_expect_str_eq(a.v[1], "");
	cr_expect_str_eq(a.v[2], "-Dgemm=ref_gemm");
	cr_expect_null(a.v[3]);
	ac_argv_free(&a);
}

Test(argv, grows_past_its_first_allocation)
{
	struct ac_argv a = { 0 };
	char want[16];

	for (int i = 0; i < 1000; i++)
		ac_argv_addf(&a, "w%d", i);
	cr_assert(!a.oom);
	cr_assert_eq(a.n, 1000);
	for (int i = 0; i < 1000; i += 97) {
		snprintf(want, sizeof want, "w%d", i);
		cr_expect_str_eq(a.v[i], want);
	}
	cr_expect_null(a.v[1000]);
	ac_argv_free(&a);
}

Test(argv, a_failed_add_is_remembered)
{
	struct ac_argv a = { 0 };

	ac_argv_add(&a, "cc");
	ac_argv_add(&a, NULL);   /* what a failed strdup looks like */
	cr_expect(a.oom);
	ac_argv_add(&a, "-c");
	ac_argv_add_split(&a, "x.c y.c");
	cr_expect_eq(a.n, 1, "nothing is added after a failure");
	cr_expect_str_eq(a.v[0], "cc");
	cr_expect_null(a.v[1]);
	ac_argv_free(&a);
	cr_expect(!a.oom);
}

Test(argv, sorted_it_is_a_set_of_names)
{
	struct ac_argv a = { 0 };

	cr_expect_eq(ac_argv_find(&a, "gemm"), -1, "an empty set holds nothing");
	cr_expect_eq(ac_argv_find(NULL, "gemm"), -1);
	ac_argv_add(&a, "memcpy");
	ac_argv_addn(&a, "gemm@@V1", 4);
	ac_argv_add(&a, "abs");
	ac_argv_add(&a, "memcpy");
	ac_argv_sort(&a);
	cr_assert(!a.oom);
	cr_assert_eq(a.n, 3, "each name once");
	cr_expect_str_eq(a.v[0], "abs");
	cr_expect_str_eq(a.v[1], "gemm");
	cr_expect_str_eq(a.v[2], "memcpy");
	cr_expect_null(a.v[3], "still NULL-terminated");
	cr_expect_eq(ac_argv_find(&a, "gemm"), 1);
	cr_expect_eq(ac_argv_find(&a, "gem"), -1);
	ac_argv_free(&a);
}
