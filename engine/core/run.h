/*
 * run.h - one run of a kernel, as the engine's driver thread sees it.
 *
 * Internal to engine/: the driver (driver.c), the LLM search (search.c) and
 * the tuner (tune.c) all work on a struct run_ctx, and reach the engine
 * only through rc->host (host.h). A run is: the baseline (candidate 0, the
 * input), then a search phase, then the finalists timed again. Everything
 * a run learns is stored before it is acted on, so a run can be resumed by
 * a new daemon from the store alone. The services here live in run.c.
 *
 * Folder engine/core/ owns what every run uses, whatever its strategy:
 * the run services (run.c), what the engine lends a run (host.c), the
 * store (store.c), config.json (config.c), run states (state.c), scratch
 * directories (scratch.c), the menus directory (menus.c), the noise rules
 * (noise.c) and duplicate detection (codehash.c). It may call
 * engine/llm/, engine/util/ and targets/, never engine/search/ or the
 * facade.
 */
#ifndef AC_RUN_H
#define AC_RUN_H

#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "engine/core/config.h"
#include "engine/core/figures.h"
#include "engine/core/host.h"
#include "engine/core/noise.h"
#include "engine/core/state.h"
#include "engine/core/store.h"
#include "targets/exec/executor.h"
#include "targets/target.h"

/* Why a run is asked to stop (the value of run_ctx.cancel). */
enum run_cancel {
	RUN_GO = 0,
	RUN_STOP = 1,        /* ctl stop: state becomes "stopped" */
	RUN_SHUTDOWN = 2,    /* daemon exits: state kept, resumed by the next daemon */
	RUN_SUPERSEDED = 3,  /* new input / restart: state becomes "stopped" */
	RUN_DELETED = 4,     /* kernel removed: nothing more is written */
	RUN_NOSPACE = 5,     /* the disk is full: state kept, tried again later */
};

/* How many of the fastest correct candidates are timed again at the end. */
#define RUN_FINALISTS 4

struct run_ctx {
	struct run_host *host;       /* the engine's, lent for the run */
	int64_t kid;
	int64_t rid;
	char kernel_name[80];        /* updated by a rename, under the engine's lock */
	struct run_row row;          /* as loaded at start */
	struct ac_config cfg;
	const struct ac_target *target;
	const struct ac_executor *executor; /* where its timed runs go */
	struct ac_target_opts topts;
	struct file_row *files;      /* harness + extras snapshot */
	int nfiles;
	struct ac_file *afiles;
	char run_dir[PATH_MAX];
	atomic_int cancel;
	int64_t input_time_ns;       /* baseline median, 0 before it is known */
	pthread_mutex_t lock;        /* best_*, candidates: task threads share them */
	int64_t best_num;
	int64_t best_time_ns;
	double best_spread;
	bool no_gain;                /* the final re-timing found no finalist faster */
	int64_t closest;             /* then: the nearest finalist and its ratio */
	double closest_ratio, closest_lo, closest_hi;
	long tokens;                 /* LLM tokens spent by this run */
	int candidates;              /* made by the run, the input not counted (what
	                                max_candidates counts; run_take_candidate) */
	bool candidates_known;       /* candidates counted from the store */
	int64_t started_mono_ns;
	long full_mark;              /* store_full_count() when the run started */
	char *call_words;            /* a generated harness's call in words, for the
	                                prompts (engine/describe.h); NULL: none */
	char call_note[256];         /* what describing did, for the baseline's status ("" none) */
	char call_sizes[128];        /* the sizes it chose ("ni = nj = nk = 512"; "" none) */
	/* What the evaluations built, kept for the final re-timing under lock:
	 * the input's and those of the RUN_FINALISTS fastest correct candidates
	 * by their first time, each in its own directory of run_dir, so that the
	 * finalists are timed again without building them again (run.c). */
	struct run_kept {
		int64_t num;
		int64_t time_ns;
	} kept[RUN_FINALISTS + 1];
	int nkept;
};

/* True when the run should stop what it is doing. A store write that
 * failed for want of disk space (in any run) stops it as RUN_NOSPACE:
 * going on would ask the LLM for work that cannot be kept. */
static inline bool run_cancelled(struct run_ctx *rc)
{
	if (store_full_count() != rc->full_mark) {
		int go = RUN_GO;
		atomic_compare_exchange_strong(&rc->cancel, &go, RUN_NOSPACE);
	}
	return atomic_load(&rc->cancel) != RUN_GO;
}

/* Appends a line to the kernel's log. */
void run_log(struct run_ctx *rc, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Sets the kernel's status line (state word first) and logs it. */
void run_status(struct run_ctx *rc, enum run_state state, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Sets the status line without a log line (progress counters). */
void run_progress(struct run_ctx *rc, enum run_state state, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Stores the run's state (done, stopped and failed finish it). 0 or -errno. */
int run_set_state(struct run_ctx *rc, enum run_state state);

/* Builds and times candidate num again without touching its stored result
 * (finalists are re-measured so noise cannot crown a winner). */
int run_remeasure(struct run_ctx *rc, int64_t num, struct ac_result *r);

#define RUN_RETIME_MAX_ROUNDS NOISE_MAX_ROUNDS
#define RUN_RETIME_MIN_TIME_S 0.1   /* each run of a round times this long */
/* A finalist's first time is at most this many times the fastest's: on a
 * shared host one process may run the same code up to 1.4x slower than
 * another, so two first measurements can be 1.4 x 1.4 = 2x apart for the
 * same speed, and no more. */
#define RUN_FINALIST_SPAN 2.0
_Static_assert(RUN_FINALISTS + 1 <= NOISE_MAX_MEMBERS, "the verdict holds every finalist");

/* The final verdict: the RUN_FINALISTS fastest correct candidates (within
 * RUN_FINALIST_SPAN of the fastest) and the input (the incumbent), with
 * the builds kept from their evaluations (or built again in parallel),
 * are timed again interleaved, one run each a round, and the rule of
 * engine/core/noise.h decides after
 * every round which of them the next round needs: the rounds stop as
 * soon as every finalist's call is made, at most cfg.retime_rounds. A
 * finalist replaces the input only when the 95% interval of its paired
 * time ratio (widened for the number of finalists compared and spent over
 * the rounds) lies below 0.99; the fastest such one becomes the best,
 * else the input does. Stores the figures (retime_ns: the input's median,
 * a finalist's the input's times its ratio) and how they were reached
 * (verdicts: every round's times, each finalist's call, the rounds used),
 * so every view shows the same best and speedup. state is the status word
 * meanwhile. Returns 0, or the store's -errno when the verdict could not
 * be stored. */
int run_finalists(struct run_ctx *rc, enum run_state state);

/* The final words for status: "best 2.98x (#7, 1.2 ms vs 3.6 ms)" or
 * "no significant improvement over the input (closest #7: 1.01x, 95%
 * interval 0.98x-1.03x)". */
void run_best_words(struct run_ctx *rc, char *buf, size_t len);

/* Makes num the best, whatever its stored time (after re-measurement).
 * 0, or the store's -errno (then nothing changed). */
int run_set_best(struct run_ctx *rc, int64_t num, int64_t time_ns);

/* Makes dir afresh (what was there is removed) and fills job to build
 * candidate in it against the run's input, with the run's files, target
 * options and cancel flag. job borrows dir, candidate and the run's
 * storage: keep them until the job is done. 0 or -errno. */
int run_job(struct run_ctx *rc, const char *dir, const char *candidate, struct ac_job *job);

/* Builds (in parallel with others) and times (alone) candidate num, stores
 * the result and logs one line. On return r holds the result (caller clears).
 * Returns 0, or -ECANCELED when the run was cancelled (nothing stored), or
 * another negative errno when the store failed. */
int run_evaluate(struct run_ctx *rc, int64_t num, struct ac_result *r);

/* Adds a candidate (c->run_id is set here); 0 and c->num, or -errno.
 * Take its place in the budget first (run_take_candidate). */
int run_cand_add(struct run_ctx *rc, struct cand_row *c);

/* The candidate whose result a candidate with code hash made after the
 * others (before is its number) may reuse: the first with that hash that
 * is reusable (figures.h: cand_reusable). 0 and *num, -ENOENT when there
 * is none, or the store's -errno. */
int run_cand_original(struct run_ctx *rc, const char *hash, int64_t before, int64_t *num);

/* The candidate budget (config.json "max_candidates"), decided here
 * alone: every candidate the run makes after the input, whatever makes
 * it (a model, the tuner), counts, and so does every one made before a
 * restart (counted from the store the first time). Reserves a place for
 * one more candidate: true, or false when the budget is spent. Thread
 * safe. */
bool run_take_candidate(struct run_ctx *rc);

/* How many more candidates the budget allows (INT_MAX: no budget). */
int run_candidates_left(struct run_ctx *rc);

/* Gives back a place run_take_candidate reserved and no candidate took. */
void run_give_back_candidate(struct run_ctx *rc);

/* Considers candidate num with time t (relative spread spread) for best:
 * when it is faster than the best so far beyond both measurements' noise
 * (noise_first_beats), best.c changes (and its mtime). 0, or the store's
 * -errno (then the best is what it was). */
int run_offer_best(struct run_ctx *rc, int64_t num, int64_t time_ns, double spread);

/* The run's counts as every view shows them (figures.h), from the store.
 * 0, or -errno (then t is all zeros). */
int run_tally(struct run_ctx *rc, struct cand_tally *t);

/* Runs fn(arg, i) for i in [0, n) on up to threads threads; returns when all
 * are done. */
void run_tasks(int n, int threads, void (*fn)(void *arg, int i), void *arg);

/* Parallel build slots of the engine (for sizing task pools). */
int run_build_jobs(struct run_ctx *rc);

/* How many candidates the run should have in evaluation at once to keep
 * builds and timed runs busy: twice the build slots, or twice the
 * executor's slots when it has more (a cluster). */
int run_parallel(struct run_ctx *rc);

#endif
