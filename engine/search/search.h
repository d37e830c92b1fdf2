/*
 * search.h - a run's search phase: the strategy config.json chose.
 *
 * Internal to engine/: the driver calls it after a good baseline. The LLM
 * beam search lives in search.c (its beam rule in beam.c), the tuner in
 * tune.c, and schedule reuse in reuse.c.
 *
 * Folder engine/search/ owns the strategies: the LLM beam search
 * (search.c, beam.c), the tuner (tune.c over the pure tuner.c, knob.c),
 * schedule reuse (reuse.c), in-context examples (examples.c) and menus
 * built from documents (menubuild.c). It may call engine/core/,
 * engine/llm/, engine/util/ and targets/; the driver and the facade above
 * call it, nothing in core/ or llm/ does.
 */
#ifndef AC_SEARCH_H
#define AC_SEARCH_H

#include "engine/core/run.h"

/* The search phase after a good baseline: the LLM beam search, or the
 * tuner for strategy "tune". Returns 0 when it finished (or had nothing to
 * do), -ECANCELED when cancelled. Sets the final status line through rc
 * when it finishes. */
int search_phase(struct run_ctx *rc);

#endif
