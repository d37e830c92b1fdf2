/*
 * describe.h - a run's harness when the user brought none: written by
 * the engine from the input's prototypes and config.json's "call"
 * (targets/harness/harness.h), before the baseline.
 *
 * Internal to engine/: the driver calls describe_run after loading the
 * run and before its baseline. What the user sees:
 *
 *   kernels/K/harness.c          the harness the run uses (a file of the
 *                                kernel's, marked as the engine's: an edit
 *                                makes it the user's, and the engine never
 *                                writes over the user's)
 *   kernels/K/config.draft.json  config.json with the call described: what
 *                                was used, or, for a kernel the engine
 *                                cannot describe alone, a draft with its
 *                                guesses marked
 *   status, log                  what was chosen or what is missing
 */
#ifndef AC_DESCRIBE_H
#define AC_DESCRIBE_H

#include "engine/core/run.h"

/* The name of the draft description in a kernel's directory. */
#define DESCRIBE_DRAFT "config.draft.json"

/* Gives the run a harness unless it has one (the user's, or one this
 * wrote when the run started before a restart). Returns 0 to go on to the
 * baseline; -ENOEXEC when the run ended here (the kernel cannot be
 * described: status says what is missing in one line, and the draft is
 * in the kernel's directory; or the input does not compile); -ECANCELED;
 * or another -errno. Sets rc->call_words for the prompts. */
int describe_run(struct run_ctx *rc);

/* Does the cpu target get a harness written when the kernel has none?
 * (The other targets need their own.) */
bool describe_supported(const char *target);

#endif
