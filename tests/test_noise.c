/*
 * test_noise.c - the noise rules (engine/core/noise.c): a single measurement
 * must beat the best by more than the spread, and the interleaved paired
 * comparison calls a candidate faster only beyond its confidence
 * interval; an identical copy, measured with realistic noise, is never
 * crowned (checked over many seeded trials).
 */
#include <criterion/criterion.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>

#include "engine/core/noise.h"

Test(noise, first_measurement_margin)
{
	cr_assert(noise_first_beats(900, 0.01, 1000, 0.01), "10% beats 2% of noise");
	cr_assert(!noise_first_beats(990, 0.001, 1000, 0.001), "1% is within the floor");
	cr_assert(!noise_first_beats(950, 0.04, 1000, 0.03), "5% is within 7% of spread");
	cr_assert(noise_first_beats(920, 0.04, 1000, 0.03), "8% is beyond 7%");
	cr_assert(noise_first_beats(1000, 0, 0, 0), "no best yet");
	cr_assert(!noise_first_beats(0, 0, 1000, 0), "no time is no result");
	cr_assert(noise_first_beats(100, 5, 1000, 5), "a huge spread caps at 50%");
}

/* Against published tables of Student's t. */
Test(noise, t_quantiles)
{
	static const struct {
		double p;
		int df;
		double t;
	} table[] = {
		{ 0.975, 1, 12.706 }, { 0.975, 2, 4.303 }, { 0.975, 4, 2.776 }, { 0.975, 6, 2.447 },
		{ 0.975, 30, 2.042 }, { 0.975, 1000, 1.962 }, { 0.995, 4, 4.604 }, { 0.995, 6, 3.707 },
		{ 0.99375, 6, 3.521 }, { 0.9975, 6, 4.317 }, { 0.95, 10, 1.812 }, { 0.9, 3, 1.638 },
	};
	for (size_t i = 0; i < sizeof table / sizeof table[0]; i++) {
		double t = noise_t_quantile(table[i].p, table[i].df);
		cr_assert(fabs(t - table[i].t) < 0.005 * table[i].t, "t(%g, %d) = %g, table %g",
		          table[i].p, table[i].df, t, table[i].t);
	}
	cr_assert(isinf(noise_t95(0)));
	cr_assert(noise_t_quantile(0.025, 6) < 0, "symmetric");
}

/* Four finalists against one incumbent: each interval is the family's. */
Test(noise, family_of_comparisons_is_wider)
{
	int64_t inc[7] = { 1000, 1010, 990, 1005, 1000, 995, 1002 };
	int64_t cand[7] = { 975, 985, 960, 990, 970, 975, 980 };
	struct noise_ratio one, four;

	noise_paired_ratio_k(cand, inc, 7, 1, &one);
	noise_paired_ratio_k(cand, inc, 7, 4, &four);
	cr_assert_float_eq(one.ratio, four.ratio, 1e-12);
	cr_assert(four.hi > one.hi && four.lo < one.lo);
	cr_assert(one.faster, "2.3%% faster, alone: [%g, %g]", one.lo, one.hi);
}

Test(noise, paired_ratio_clear_win_and_tie)
{
	int64_t inc[5] = { 1000, 1100, 1000, 1300, 1000 };   /* the machine slows in round 4 */
	int64_t fast[5] = { 500, 550, 505, 650, 498 };
	int64_t same[5] = { 1010, 1090, 995, 1320, 990 };
	struct noise_ratio r;

	cr_assert_eq(noise_paired_ratio(fast, inc, 5, &r), 5);
	cr_assert(r.faster && r.ratio > 0.49 && r.ratio < 0.51, "ratio %g [%g, %g]", r.ratio, r.lo,
	          r.hi);
	cr_assert(r.lo < r.ratio && r.ratio < r.hi && r.hi < 1);
	noise_paired_ratio(same, inc, 5, &r);
	cr_assert(!r.faster, "a copy is not faster: %g [%g, %g]", r.ratio, r.lo, r.hi);
	cr_assert(r.lo < 1 && r.hi > 1);
	cr_assert(fabs(r.ratio - 1) < 0.02, "and it reads within 1.02x: %g", r.ratio);
}

Test(noise, too_few_rounds_decide_nothing)
{
	int64_t inc[3] = { 1000, 0, -1 }, cand[3] = { 10, 10, 10 };
	struct noise_ratio r;

	cr_assert_eq(noise_paired_ratio(cand, inc, 3, &r), 1);
	cr_assert(!r.faster && isinf(r.hi));
	cr_assert_eq(noise_paired_ratio(cand, inc, 0, &r), 0);
	cr_assert(!r.faster);
}

/* Gaussian noise from a seeded generator. */
static double gauss(unsigned *seed)
{
	double u = (rand_r(seed) + 1.0) / (RAND_MAX + 2.0), v = (rand_r(seed) + 1.0) / (RAND_MAX + 2.0);

	return sqrt(-2 * log(u)) * cos(2 * M_PI * v);
}

/* An identical copy against the incumbent: 3% noise per measurement and a
 * machine whose speed drifts by 20% between rounds. Over 2000 trials of 5
 * rounds the copy is called faster at most at the test's 2.5% rate, never
 * reads outside 1.02x on average, while a 10% faster candidate wins nearly
 * always; with four copies compared at once (the family-wise interval) a
 * copy is crowned in at most 2.5% of the searches. */
Test(noise, identical_copies_are_not_crowned)
{
	unsigned seed = 12345;
	int crowned = 0, won = 0, trials = 2000;
	double mean_ratio = 0;

	for (int t = 0; t < trials; t++) {
		int64_t inc[5], copy[5], better[5];
		struct noise_ratio r;

		for (int i = 0; i < 5; i++) {
			double machine = 1 + 0.2 * (rand_r(&seed) / (double)RAND_MAX);

			inc[i] = (int64_t)(1e6 * machine * (1 + 0.03 * gauss(&seed)));
			copy[i] = (int64_t)(1e6 * machine * (1 + 0.03 * gauss(&seed)));
			better[i] = (int64_t)(0.9e6 * machine * (1 + 0.03 * gauss(&seed)));
		}
		noise_paired_ratio(copy, inc, 5, &r);
		crowned += r.faster;
		mean_ratio += r.ratio / trials;
		noise_paired_ratio(better, inc, 5, &r);
		won += r.faster;
	}
	cr_assert_leq(crowned, trials * 4 / 100, "a copy crowned %d times of %d", crowned, trials);
	cr_assert(fabs(mean_ratio - 1) < 0.02, "mean ratio of a copy %g", mean_ratio);
	cr_assert_geq(won, trials * 70 / 100, "10%% faster won only %d times of %d", won, trials);

	/* four copies in one search, 7 rounds as the engine does */
	int searches = 1000, any = 0;
	for (int t = 0; t < searches; t++) {
		int64_t inc[7], copy[4][7];
		bool crowned_one = false;

		for (int i = 0; i < 7; i++) {
			double machine = 1 + 0.2 * (rand_r(&seed) / (double)RAND_MAX);

			inc[i] = (int64_t)(1e6 * machine * (1 + 0.03 * gauss(&seed)));
			for (int c = 0; c < 4; c++)
				copy[c][i] = (int64_t)(1e6 * machine * (1 + 0.03 * gauss(&seed)));
		}
		for (int c = 0; c < 4; c++) {
			struct noise_ratio r;

			noise_paired_ratio_k(copy[c], inc, 7, 4, &r);
			crowned_one |= r.faster;
		}
		any += crowned_one;
	}
	cr_assert_leq(any, searches * 25 / 1000, "a copy was crowned in %d of %d searches", any,
	              searches);
}
