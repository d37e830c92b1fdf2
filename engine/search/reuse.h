/*
 * reuse.h - schedule reuse: the steps that made a similar kernel fast.
 *
 * The Autocomp paper reports that reusing the optimization schedule of a
 * similar kernel gives more speedup at a fixed sample budget. A run reuses
 * a schedule when config.json names a donor ("reuse": "gemm-512"), several
 * to choose from (["gemm-512", "gemm-1024"]) or any earlier kernel of the
 * mount (true), or when the kernel directory holds a reuse.schedule file
 * (one step per line).
 *
 * Reuse is a head start, never a fence: the tuner tries the donor's knob
 * values first and keeps the exploration of a free run (tuner.h), and the
 * LLM search steers one plan prompt in REUSE_SHARE of its first
 * iterations, the others planning as usual.
 */
#ifndef AC_REUSE_H
#define AC_REUSE_H

#include <stdbool.h>
#include <stdint.h>

#include "engine/core/run.h"
#include "engine/util/util.h"

/* One plan prompt in REUSE_SHARE follows the donor's step. */
#define REUSE_SHARE 4

/* The steps, in order: the chosen donor's chain of plans from its input
 * to its best (first line of each), then the lines of reuse.schedule.
 * Returns the count and a NULL-terminated list in *steps (free with
 * strv_free; NULL when there are none). Which donor was chosen, or why
 * none fits, is said in the kernel's log; no donor gives no steps. */
int reuse_steps(struct run_ctx *rc, char ***steps);

/* For the tuner: the knob values the steps' "tune: NAME A -> B" lines end
 * with. Fills values[i] (an index into ks->knobs[i].values, or -1 when the
 * schedule does not set knob i); returns how many knobs it set. */
struct knob_set;
int reuse_knob_values(char *const *steps, const struct knob_set *ks, int *values);

/* The step (0-based) that plan prompt `prompt` of iteration `iteration`
 * follows, or -1 when the model plans on its own. Prompts are numbered
 * from 0 in the order the iteration asks them (parent by parent, the
 * best parent first); iterations from 1. Iteration i <= nsteps steers the
 * prompts numbered 0, REUSE_SHARE, 2 * REUSE_SHARE... with step i - 1: of
 * an iteration's n prompts, ceil(n / REUSE_SHARE) follow the step (at
 * least one), which is all that a step that does not transfer can cost. */
int reuse_steer_step(int iteration, int nsteps, int prompt);

/* ---- choosing the donor ---- */

/* The sizes a harness is written for: integer constants it names
 * ("const int M = 384, N = 768;", "#define ROWS 4096"), the first
 * definition of each name, at most REUSE_SHAPE_MAX. */
#define REUSE_SHAPE_MAX 32
struct reuse_shape {
	int n;
	char name[REUSE_SHAPE_MAX][32];
	long long value[REUSE_SHAPE_MAX];
};

/* Reads the sizes from a harness's text (NULL: none). Comments and string
 * literals are skipped. Never fails: a harness that names no sizes gives
 * n = 0. */
void reuse_shape_parse(const char *harness, struct reuse_shape *out);

/* How far apart two shapes are: *unmatched counts the names only one of
 * them has; the result sums |ln(a / b)| over the names both have (0 for
 * the same sizes). */
double reuse_shape_distance(const struct reuse_shape *a, const struct reuse_shape *b,
                            int *unmatched);

/* What the choice knows of a kernel: its latest run. */
struct reuse_kernel {
	const char *name;
	const char *input;        /* the run's input; NULL: the kernel never ran */
	const char *input_name;   /* its file name ("input.c"): how it is compared */
	const char *harness;      /* the run's harness text, or NULL */
	bool schedule;            /* the run found something faster than its input */
	int64_t created_ns;       /* when the run started: the newer wins a tie */
};

/* Chooses the donor for here (this run: input, input_name, harness) among
 * the n kernels in k. A donor fits when it has a schedule and the same
 * input (comments and layout aside, codehash.h); of those, the closest
 * shapes win (fewest unmatched sizes, then the smallest distance, then
 * the newest run). any_input: the user named this one kernel, so another
 * input is no bar (similar kernels often differ in their code). Appends
 * to words what was chosen and why, or why none fits, in the log's words.
 * Returns the index in k, or -1 when none fits (or on OOM). */
int reuse_choose(const struct reuse_kernel *here, const struct reuse_kernel *k, int n,
                 bool any_input, struct strbuf *words);

#endif
