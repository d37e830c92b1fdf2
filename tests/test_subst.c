/*
 * test_subst.c - words replaced in a command line's arguments
 * (targets/exec/subst.c): every occurrence, the first pair that matches
 * at a place, nothing read again, an empty word never matched.
 */
#include <criterion/criterion.h>
#include <stdlib.h>

#include "targets/exec/subst.h"

Test(subst, every_occurrence_once)
{
	static const char *const from[] = { "{candidate}", "{dir}" };
	static const char *const to[] = { "/s/17/input.c", "/s/17" };
	char *s = ac_subst("--in={candidate} {dir}/x {dir}", 2, from, to);

	cr_assert_str_eq(s, "--in=/s/17/input.c /s/17/x /s/17");
	free(s);
	s = ac_subst("no words here", 2, from, to);
	cr_assert_str_eq(s, "no words here");
	free(s);
	s = ac_subst("", 2, from, to);
	cr_assert_str_eq(s, "");
	free(s);
}

Test(subst, what_is_put_in_is_not_read_again)
{
	static const char *const from[] = { "/daemon/scratch" };
	static const char *const to[] = { "/node/daemon/scratch" };
	char *s = ac_subst("/daemon/scratch/a:/daemon/scratch", 1, from, to);

	cr_assert_str_eq(s, "/node/daemon/scratch/a:/node/daemon/scratch");
	free(s);
}

Test(subst, first_pair_wins_and_empty_never_matches)
{
	static const char *const from[] = { "", "ab", "a" };
	static const char *const to[] = { "E", "X", "Y" };
	char *s = ac_subst("aab", 3, from, to);

	cr_assert_str_eq(s, "YX");
	free(s);
}
