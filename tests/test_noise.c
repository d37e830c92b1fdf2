/*
 * test_noise.c - the noise rules (engine/noise.c): a single measurement
 * must beat the best by more than the spread, and the interleaved paired
 * comparison calls a candidate faster only beyond its confidence
 * interval; an identical copy, measured with realistic noise, is never
 * crowned (checked over many seeded trials).
 */
#include <criterion/criterion.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>

#include "engine/noise.h"

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

Test(noise, t_quantiles)
{
	cr_assert_float_eq(noise_t95(1), 12.706, 1e-9);
	cr_assert_float_eq(noise_t95(4), 2.776, 1e-9);
	cr_assert_float_eq(noise_t95(30), 2.042, 1e-9);
	cr_assert(noise_t95(45) < 2.042 && noise_t95(45) > 2.0);
	cr_assert_float_eq(noise_t95(1000), 1.96, 1e-9);
	cr_assert(isinf(noise_t95(0)));
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
 * always. */
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
}
