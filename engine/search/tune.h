/*
 * tune.h - the tuner inside a run: knob points become ordinary candidates.
 *
 * The strategy (which points to try) is engine/search/tuner.c; this file turns
 * each point into a candidate (the #define lines rewritten, a plan saying
 * what changed), evaluates points in parallel through the normal pipeline
 * and feeds the times back.
 */
#ifndef AC_TUNE_H
#define AC_TUNE_H

#include <stdint.h>

#include "engine/core/run.h"

/* Points tried per tuned candidate when config.json sets no max_candidates. */
#define TUNE_DEFAULT_BUDGET 64
/* Points per beam member when the LLM search tunes its beam. */
#define TUNE_BEAM_BUDGET 16

/* The tune strategy: tunes the input (candidate 0), then re-times the
 * finalists and finishes the run's status. 0, or -ECANCELED. */
int tune_phase(struct run_ctx *rc);

/* Tunes each of the beam's n members (their numbers) that has knobs and
 * was not tuned before. */
void tune_beam(struct run_ctx *rc, const int64_t *members, int n);

/* Tunes candidate num with at most budget points (num itself counts).
 * Returns the number of points evaluated, or -ECANCELED. */
int tune_candidate(struct run_ctx *rc, int64_t num, int budget);

/* The same, starting from the knob values a reused schedule ends with
 * (steps from reuse_steps; NULL: from the candidate's own values). */
int tune_candidate_from(struct run_ctx *rc, int64_t num, int budget, char *const *steps);

#endif
