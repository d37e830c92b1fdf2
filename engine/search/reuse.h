/*
 * reuse.h - schedule reuse: the steps that made a similar kernel fast.
 *
 * The Autocomp paper reports that reusing the optimization schedule of a
 * similar kernel gives more speedup at a fixed sample budget. A run reuses
 * a schedule when config.json names a donor ("reuse": "gemm-512") or when
 * the kernel directory holds a reuse.schedule file (one step per line).
 */
#ifndef AC_REUSE_H
#define AC_REUSE_H

#include "engine/core/run.h"

/* The steps, in order: the donor's chain of plans from its input to its
 * best (first line of each), then the lines of reuse.schedule. Returns the
 * count and a NULL-terminated list in *steps (free with strv_free; NULL
 * when there are none). A missing donor is logged and gives no steps. */
int reuse_steps(struct run_ctx *rc, char ***steps);

/* For the tuner: the knob values the steps' "tune: NAME A -> B" lines end
 * with. Fills values[i] (an index into ks->knobs[i].values, or -1 when the
 * schedule does not set knob i); returns how many knobs it set. */
struct knob_set;
int reuse_knob_values(char *const *steps, const struct knob_set *ks, int *values);

#endif
