/*
 * state.c - the names of the run states (state.h).
 */
#include "engine/core/state.h"

#include <assert.h>
#include <string.h>

static const char *const names[RS_COUNT] = {
	[RS_WAITING] = "waiting",
	[RS_QUEUED] = "queued",
	[RS_BASELINE] = "baseline",
	[RS_SEARCHING] = "searching",
	[RS_TUNING] = "tuning",
	[RS_DONE] = "done",
	[RS_STOPPED] = "stopped",
	[RS_FAILED] = "failed",
};

const char *run_state_name(enum run_state s)
{
	assert(s >= 0 && s < RS_COUNT);
	return names[s];
}

int run_state_parse(const char *word)
{
	for (int i = 0; word && i < RS_COUNT; i++)
		if (!strcmp(word, names[i]))
			return i;
	return -1;
}

bool run_state_final(enum run_state s)
{
	assert(s >= 0 && s < RS_COUNT);
	return s == RS_DONE || s == RS_STOPPED || s == RS_FAILED;
}

bool run_state_idle(enum run_state s)
{
	return s == RS_WAITING || run_state_final(s);
}
