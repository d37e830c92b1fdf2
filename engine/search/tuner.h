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

/* Schedule reuse: donor is the point a similar kernel ended at. Call
 * before the first tuner_next. 0, -EINVAL (out of range, or too late),
 * -ENOMEM. */
int tuner_set_donor(struct tuner *t, const int *donor);

/* Schedule reuse: donor is the point a similar kernel's tuning ended at
 * (set->count indices). Call it once, after tuner_new and before the first
 * tuner_next. The donor's point is tried first, with the exploration a
 * free run makes; the search follows it only while it leads (tuner.c).
 * Returns 0 (also when donor is the start or was reported already: then
 * nothing changes), -EINVAL (out of range, a second donor, or too late) or
 * -ENOMEM (the tuner is as it was). */
int tuner_set_donor(struct tuner *t, const int *donor);

/* What became of the donor (for the log). */
enum tuner_donor {
	TUNER_DONOR_NONE = 0,   /* none, or the space is small enough to try
	                           every point (the donor's first) */
	TUNER_DONOR_QUEUED,     /* its point waits for the exploration's results */
	TUNER_DONOR_FOLLOWED,   /* it was the best point: the search goes on around it */
	TUNER_DONOR_BEATEN,     /* the exploration found better: a free run's search */
	TUNER_DONOR_LEFT,       /* followed until its neighbours stopped improving;
	                           then the free run's search took over */
};
enum tuner_donor tuner_donor_state(const struct tuner *t);

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
