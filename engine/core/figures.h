/*
 * figures.h - the counts and figures of a run that every view shows.
 *
 * status, metrics.json, schedule, the progress charts and the index.html
 * pages all say how many candidates a run made and how fast its best is.
 * Each count and each figure is defined once, here, from the stored
 * candidate rows, so that no two views can disagree:
 *
 *   candidates  = evaluated + duplicates + failed + pending
 *
 *   candidates  every candidate the run made; the input (#0) is not one
 *   evaluated   built (and, when it built, run and timed) for itself
 *   duplicates  the same code as an earlier candidate: that one's result
 *               was reused, nothing was built or run
 *   failed      never reached the compiler (no code in the reply, a
 *               model error, an edit that did not apply)
 *   pending     not settled yet
 *
 * The outcome counts (ok, wrong, build_error, run_error, timeout, failed,
 * pending) also add up to candidates: a duplicate counts under the
 * outcome it reused.
 *
 * The times: a candidate's time is its re-measured median when the final
 * comparison re-timed it, else its first one; the input's time that a
 * speedup divides is the re-timed one when both were re-timed together
 * (they were then measured interleaved), else its first one.
 */
#ifndef AC_FIGURES_H
#define AC_FIGURES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine/core/store.h"

struct cand_tally {
	int candidates;
	int evaluated;
	int duplicates;
	int failed;
	int pending;
	int outcome[AC_OUTCOMES];  /* by enum ac_outcome; the input not counted */
	long tokens;         /* the candidates' tokens */
};

/* Counts rows[0..n) (a run's candidates, any order) into t. Pure. */
void cand_tally(const struct cand_row *rows, int n, struct cand_tally *t);

/* The counts in words, as status and the pages say them: "232 candidates
 * (8 evaluated, 178 duplicates, 46 without code)"; a count that is 0 is
 * left out of the parenthesis, "1 candidate" is singular. */
void cand_tally_words(const struct cand_tally *t, char *buf, size_t len);

/* Adds b's counts to a (the root's totals over kernels). */
void cand_tally_add(struct cand_tally *a, const struct cand_tally *b);

/* Whether c is a duplicate: the same code as an earlier candidate, whose
 * result it reused (neither built nor run). */
bool cand_is_duplicate(const struct cand_row *c);

/* Whether a later candidate with c's code may reuse c's result: c is not
 * itself a duplicate, and did not fail before evaluation. */
bool cand_reusable(const struct cand_row *c);

/* The one speedup figure every view shows for candidate c over the input:
 * both re-timed (interleaved at the end of the run): input->retime_ns /
 * c->retime_ns; otherwise the first measurements. 0 when either is not a
 * correct, timed candidate. */
double cand_speedup(const struct cand_row *input, const struct cand_row *c);

/* The two times whose ratio is c's speedup over the input (cand_speedup):
 * *in_ns the input's, *c_ns c's. Both 0 (and the return false) when either
 * is not a correct, timed candidate. input may be NULL. */
bool cand_figures(const struct cand_row *input, const struct cand_row *c, int64_t *in_ns,
                  int64_t *c_ns);

/* The 95% interval of c's speedup over the input, from the final
 * comparison's paired ratios stored in its verdict ("retime": {"ratio_95":
 * [lo, hi]}): true with *lo <= *hi, or false when it was not re-timed. */
bool cand_speedup_interval(const struct cand_row *c, double *lo, double *hi);

/* The time c is judged by: re-measured if it was, else its first (0 when
 * it has none). */
int64_t cand_time(const struct cand_row *c);

#endif
