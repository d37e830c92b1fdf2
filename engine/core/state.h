/*
 * state.h - the states of a kernel and of its runs, with one table of
 * names (the words the store keeps and `status` starts with).
 *
 * A run's state is stored in its row; a kernel's is the first word of its
 * status line, which is its latest run's state or, before a run can start,
 * "waiting". The life of a run:
 *
 *            (input, harness, config.json written; ctl start/restart)
 *                                   |
 *                   create_run      v         files missing or bad
 *     waiting <---------------- (debounce) -------------------------> waiting
 *                                   |                                 failed
 *                                   v
 *                                 queued        sched.c: create_run, resume
 *                                   |
 *                   driver_run      v
 *                                baseline       driver.c: driver_baseline
 *                                /      \
 *          input wrong, does   /        \  input ok
 *          not build, timeout v          v
 *                          failed    searching  search.c: search_phase
 *                                    /   |    \          (or tuning: tune.c)
 *                                   /    |     \
 *                 ctl stop, new    /     |      \  a model that does not
 *                 input (superseded)     |       \ exist, strategy "llm"
 *                                v       v        v without a model
 *                           stopped    done     failed
 *                              |
 *                              +--> queued again on ctl start (resumed)
 *
 * A full disk or the daemon's exit leaves the stored state as it was (the
 * kernel shows "waiting" meanwhile): the next daemon, or the scheduler a
 * few seconds later, resumes the run from the store (sched.c, engine_start).
 * A deleted kernel's run stops writing at once.
 */
#ifndef AC_STATE_H
#define AC_STATE_H

#include <stdbool.h>

enum run_state {
	RS_WAITING,    /* kernel only: no run can start yet, or paused */
	RS_QUEUED,
	RS_BASELINE,
	RS_SEARCHING,
	RS_TUNING,
	RS_DONE,
	RS_STOPPED,
	RS_FAILED,
	RS_COUNT
};

/* The state's word ("searching"). */
const char *run_state_name(enum run_state s);

/* The state a word names, or -1 (for the store, which keeps the words). */
int run_state_parse(const char *word);

/* True for the states a kernel rests in (no run going on): waiting, done,
 * stopped, failed. */
bool run_state_idle(enum run_state s);

/* True for the states a run ends in: done, stopped, failed (a run in any
 * other state is resumed by the next daemon). */
bool run_state_final(enum run_state s);

#endif
