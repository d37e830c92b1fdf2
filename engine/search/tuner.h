/*
 * tuner.h - search over knob values (no LLM).
 *
 * The strategy is pure: it proposes points of the space, the caller
 * evaluates them (through the real build and timed run) and tells the
 * result back. Exhaustive when the space fits the budget; otherwise a
 * documented guided strategy (see tuner.c) that beats random sampling.
 * Points that fail (build error, wrong, timeout) are skipped, not fatal.
 */
#ifndef AC_TUNER_H
#define AC_TUNER_H

#include <stddef.h>
#include <stdint.h>

#include "engine/search/knob.h"

struct tuner;

/* Creates a tuner over set, starting from start (the source's current
 * choices; -1 entries mean "first value"), evaluating at most budget points
 * (start included), seeded. Returns NULL on OOM. The tuner copies what it
 * needs from set. */
struct tuner *tuner_new(const struct knob_set *set, const int *start,
                        size_t budget, uint64_t seed);
void tuner_free(struct tuner *t);

/* The next points to evaluate: fills up to max choice vectors (each
 * set->count ints, laid out one after another in out) and returns how many.
 * Returns 0 when the search is over. Points already evaluated are never
 * proposed again. May return several so that builds run in parallel. */
int tuner_next(struct tuner *t, int *out, int max);

/* Reports a point's result: time_ns > 0 for a correct run, <= 0 for a
 * failure of any kind. */
void tuner_report(struct tuner *t, const int *choice, int64_t time_ns);

/* The best point so far (NULL if none succeeded) and its time. */
const int *tuner_best(const struct tuner *t, int64_t *time_ns);

/* How many points have been reported. */
size_t tuner_evaluated(const struct tuner *t);

#endif
