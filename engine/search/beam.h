/*
 * beam.h - the beam rule: which candidates seed the next iteration.
 *
 * A pure function over what the store says of the candidates, so the rule
 * can be read and tested on its own (tests/test_beam.c); search.c gathers
 * the pool and stores the outcome.
 *
 * The rule (Autocomp's beam search, with its guard against noise):
 *   - the pool is the current beam, this iteration's children and the
 *     input, counting only correct, timed candidates;
 *   - a child slower than its parent is left out (10% slack in the first
 *     two iterations, where a first step may pay for a later one);
 *   - the fastest go first (ties: incumbents, then the older number);
 *   - a place is never taken twice by the same code (the normalized
 *     code's hash), nor by the same plan text applied to the same parent.
 */
#ifndef AC_BEAM_H
#define AC_BEAM_H

#include <stdbool.h>
#include <stdint.h>

struct beam_cand {
	int64_t num;
	int64_t parent;
	int64_t time_ns;          /* > 0: correct and timed; else not eligible */
	int64_t parent_time_ns;   /* the parent's when it is correct and timed, else 0 */
	bool incumbent;           /* in the current beam, or the input (#0) */
	bool child;               /* made by this iteration */
	const char *plan;         /* the plan text (non-NULL) */
	const char *key;          /* what makes code distinct (non-NULL) */
};

/* The slack a child gets over its parent's time in iteration it. */
double beam_slack(int iteration);

/* Chooses at most width candidates of pool[0..n) for the next beam into
 * out[], fastest first; returns how many (0 when none is eligible: the
 * caller keeps the beam it has). Reorders pool. */
int beam_choose(struct beam_cand *pool, int n, int width, int iteration, int64_t *out);

#endif
