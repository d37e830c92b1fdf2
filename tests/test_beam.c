/*
 * test_beam.c - the beam rule (engine/search/beam.c), case by case: who is in the
 * pool, the parent rule and its early slack, the order, the two ways a
 * place is not taken twice, the width, and an empty pool.
 */
#include <criterion/criterion.h>
#include <stdbool.h>
#include <stdint.h>

#include "engine/search/beam.h"

/* A pool entry: a child of parent with its own plan and code. */
static struct beam_cand child(int64_t num, int64_t parent, int64_t t, int64_t parent_t,
                              const char *plan, const char *key)
{
	return (struct beam_cand){ .num = num, .parent = parent, .time_ns = t,
	                           .parent_time_ns = parent_t, .child = true,
	                           .plan = plan, .key = key };
}

static struct beam_cand incumbent(int64_t num, int64_t t, const char *key)
{
	return (struct beam_cand){ .num = num, .parent = num ? 0 : -1, .time_ns = t,
	                           .incumbent = true, .plan = "the input", .key = key };
}

Test(beam, fastest_first_up_to_the_width)
{
	struct beam_cand pool[] = {
		incumbent(0, 1000, "in"),
		child(1, 0, 900, 1000, "tile", "a"),
		child(2, 0, 500, 1000, "unroll", "b"),
		child(3, 0, 700, 1000, "vector", "c"),
	};
	int64_t out[4];

	cr_assert_eq(beam_choose(pool, 4, 2, 3, out), 2);
	cr_assert_eq(out[0], 2);
	cr_assert_eq(out[1], 3);
	cr_assert_eq(beam_choose(pool, 4, 0, 3, out), 0, "a zero width chooses nothing");
}

Test(beam, the_input_stays_when_nothing_beats_it)
{
	struct beam_cand pool[] = {
		incumbent(0, 1000, "in"),
		child(1, 0, 0, 1000, "wrong", "a"),       /* not correct: time 0 */
		child(2, 0, 1500, 1000, "slower", "b"),   /* slower than its parent */
	};
	int64_t out[3];

	cr_assert_eq(beam_choose(pool, 3, 3, 5, out), 1);
	cr_assert_eq(out[0], 0);
}

Test(beam, a_child_slower_than_its_parent_is_left_out_with_early_slack)
{
	/* 5% slower than the parent: kept in iterations 1 and 2, not later */
	for (int it = 1; it <= 4; it++) {
		struct beam_cand pool[] = {
			incumbent(0, 1000, "in"),
			child(1, 0, 1050, 1000, "step", "a"),
		};
		int64_t out[2];
		int n = beam_choose(pool, 2, 2, it, out);

		cr_assert_eq(n, it <= 2 ? 2 : 1, "iteration %d: %d chosen", it, n);
	}
	/* 20% slower: left out even early */
	struct beam_cand pool[] = { incumbent(0, 1000, "in"), child(1, 0, 1200, 1000, "s", "a") };
	int64_t out[2];
	cr_assert_eq(beam_choose(pool, 2, 2, 1, out), 1);
	cr_assert_eq(beam_slack(1), 1.10);
	cr_assert_eq(beam_slack(3), 1.0);
}

Test(beam, a_child_whose_parent_failed_is_judged_on_its_own)
{
	struct beam_cand pool[] = { incumbent(0, 1000, "in"), child(5, 3, 1200, 0, "s", "a") };
	int64_t out[2];

	cr_assert_eq(beam_choose(pool, 2, 2, 4, out), 2);
	cr_assert_eq(out[0], 0);
	cr_assert_eq(out[1], 5);
}

Test(beam, outsiders_are_not_in_the_pool)
{
	struct beam_cand pool[] = {
		incumbent(0, 1000, "in"),
		child(1, 0, 100, 1000, "old", "a"),
	};
	int64_t out[2];

	pool[1].child = false;   /* an earlier iteration's, not in the beam */
	cr_assert_eq(beam_choose(pool, 2, 2, 3, out), 1);
	cr_assert_eq(out[0], 0);
}

Test(beam, the_same_code_takes_one_place)
{
	/* #2 is #1 with other comments: the same normalized hash */
	struct beam_cand pool[] = {
		incumbent(0, 1000, "in"),
		child(1, 0, 500, 1000, "tile", "h"),
		child(2, 0, 490, 1000, "tile again", "h"),
		child(3, 0, 800, 1000, "unroll", "c"),
	};
	int64_t out[3];

	cr_assert_eq(beam_choose(pool, 4, 3, 3, out), 3);
	cr_assert_eq(out[0], 2, "the faster copy wins");
	cr_assert_eq(out[1], 3);
	cr_assert_eq(out[2], 0);
}

Test(beam, a_copy_of_the_input_takes_one_place)
{
	struct beam_cand pool[] = {
		incumbent(0, 1000, "in"),
		child(1, 0, 990, 1000, "nothing", "in"),
	};
	int64_t out[2];

	cr_assert_eq(beam_choose(pool, 2, 2, 3, out), 1);
	cr_assert_eq(out[0], 1, "the faster of the two copies holds the place");
}

Test(beam, one_plan_once_per_parent)
{
	struct beam_cand pool[] = {
		incumbent(0, 1000, "in"),
		child(1, 0, 500, 1000, "tile the loops", "a"),
		child(2, 0, 520, 1000, "tile the loops", "b"),   /* same plan, same parent */
		child(3, 7, 530, 1000, "tile the loops", "c"),   /* same plan, other parent */
	};
	int64_t out[4];

	cr_assert_eq(beam_choose(pool, 4, 4, 3, out), 3);
	cr_assert_eq(out[0], 1);
	cr_assert_eq(out[1], 3);
	cr_assert_eq(out[2], 0);
}

Test(beam, ties_go_to_incumbents_then_the_older_number)
{
	struct beam_cand pool[] = {
		child(9, 0, 700, 1000, "b", "x"),
		incumbent(4, 700, "y"),
		child(6, 0, 700, 1000, "a", "z"),
		incumbent(0, 1000, "in"),
	};
	int64_t out[4];

	cr_assert_eq(beam_choose(pool, 4, 4, 3, out), 4);
	cr_assert_eq(out[0], 4);
	cr_assert_eq(out[1], 6);
	cr_assert_eq(out[2], 9);
	cr_assert_eq(out[3], 0);
}

Test(beam, an_empty_pool_chooses_nothing)
{
	int64_t out[1];

	cr_assert_eq(beam_choose(NULL, 0, 4, 1, out), 0);
}
