/*
 * search.h - a run's search phase: the strategy config.json chose.
 *
 * Internal to engine/: the driver calls it after a good baseline. The LLM
 * beam search lives in search.c (its beam rule in beam.c), the tuner in
 * tune.c, and schedule reuse in reuse.c.
 */
#ifndef AC_SEARCH_H
#define AC_SEARCH_H

#include "engine/run.h"

/* The search phase after a good baseline: the LLM beam search, or the
 * tuner for strategy "tune". Returns 0 when it finished (or had nothing to
 * do), -ECANCELED when cancelled. Sets the final status line through rc
 * when it finishes. */
int search_phase(struct run_ctx *rc);

#endif
