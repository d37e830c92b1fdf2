/*
 * origin.c - the names of a candidate's origins (origin.h).
 */
#include "engine/core/origin.h"

#include <assert.h>
#include <string.h>

static const char *const names[ORIGIN_COUNT] = {
	[ORIGIN_INPUT] = "input",
	[ORIGIN_LLM] = "llm",
	[ORIGIN_REPAIR] = "repair",
	[ORIGIN_TUNE] = "tune",
};

const char *cand_origin_name(enum cand_origin o)
{
	assert(o >= 0 && o < ORIGIN_COUNT);
	return names[o];
}

int cand_origin_parse(const char *word)
{
	for (int i = 0; word && i < ORIGIN_COUNT; i++)
		if (!strcmp(word, names[i]))
			return i;
	return -1;
}
