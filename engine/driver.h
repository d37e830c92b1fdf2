/*
 * driver.h - one run, from its stored row to its final state.
 *
 * Internal to engine/: the scheduler (sched.c) calls driver_run on the
 * run's own thread. The driver loads what the run needs (config, target,
 * executor, file snapshot), evaluates the baseline (candidate 0, the
 * input), hands over to the strategy config.json chose (search_phase:
 * the LLM beam search, or the tuner) and records how the run ended, as
 * state.h draws it.
 */
#ifndef AC_DRIVER_H
#define AC_DRIVER_H

#include "engine/core/run.h"

/* Runs rc (rc->host, kid, rid, kernel_name set) to its end and frees what
 * it loaded; rc itself stays the caller's. Returns why it ended: RUN_GO
 * when it finished by itself (done or failed), RUN_NOSPACE when a full
 * disk paused it (the stored state is kept: resume it later), else the
 * reason it was asked to stop. */
enum run_cancel driver_run(struct run_ctx *rc);

#endif
