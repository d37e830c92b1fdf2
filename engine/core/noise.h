/*
 * noise.h - when a timing difference is real: the rules that decide
 * whether a candidate is faster than the incumbent, kept pure so that
 * every rule is unit-tested (tests/test_noise.c), like engine/search/tuner.h.
 *
 * Two rules:
 *  - during a search, a candidate's first measurement moves best.c only
 *    when it beats the best so far by more than both measurements' spread
 *    and at least AC_NOISE_FLOOR (noise_first_beats);
 *  - before a run is done, the finalists and the incumbent are timed again
 *    interleaved, round after round (A B C A B C ...), and a finalist
 *    replaces the incumbent only when the family-wise 95% confidence
 *    interval of its time ratio to the incumbent lies below 1 by a margin
 *    (noise_paired_ratio_k):
 *    the ratio of each round is paired, so a slow spell of the machine
 *    that hits both in the same round cancels out.
 */
#ifndef AC_NOISE_H
#define AC_NOISE_H

#include <stdbool.h>
#include <stdint.h>

/* The smallest relative difference a single measurement can claim. */
#define AC_NOISE_FLOOR 0.02

/* What the interleaved comparison's interval must clear besides 1: a
 * bias the pairing cannot see (the order within a round, the cache state
 * one program leaves the next) must not pass for a gain. */
#define AC_NOISE_MARGIN 0.01

/* Does a first measurement t (relative spread s, (q3-q1)/median) beat the
 * best so far t_best (spread s_best)? True when t < t_best * (1 - m) with
 * m = max(AC_NOISE_FLOOR, s + s_best). A best of 0 or less is beaten by
 * any t > 0. */
bool noise_first_beats(int64_t t, double s, int64_t t_best, double s_best);

/* The paired comparison of a candidate with the incumbent. */
struct noise_ratio {
	int rounds;       /* paired rounds used */
	double ratio;     /* geometric mean of candidate/incumbent times: < 1 is faster */
	double lo, hi;    /* its 95% confidence interval (Student's t on the logs) */
	bool faster;      /* hi < 1: faster beyond the noise */
};

/* Compares cand[i] with inc[i] (times of round i, > 0) over n rounds.
 * Rounds where either is <= 0 are skipped. With fewer than 2 usable
 * rounds the interval is unbounded (lo 0, hi +inf) and faster is false.
 * faster: hi < 1 - AC_NOISE_MARGIN. Returns the number of rounds used. */
int noise_paired_ratio(const int64_t *cand, const int64_t *inc, int n, struct noise_ratio *out);

/* The same as one of k_cmp comparisons with the same incumbent: the
 * interval is the family's 95% (two-sided 0.05 / k_cmp each). */
int noise_paired_ratio_k(const int64_t *cand, const int64_t *inc, int n, int k_cmp,
                         struct noise_ratio *out);

/* The p-quantile of Student's t with df degrees of freedom (exact for df
 * 1 and 2, a Cornish-Fisher expansion beyond: within 0.5% for df >= 3 and
 * p <= 0.9975). */
double noise_t_quantile(double p, int df);

/* noise_t_quantile(0.975, df): the two-sided 95% quantile. */
double noise_t95(int df);

#endif
