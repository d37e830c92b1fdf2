/*
 * origin.h - where a candidate came from, with one table of names (the
 * words the store keeps and metrics.json, plans/N.md and the charts say).
 *
 * Candidate 0 is the input; every other candidate has a parent (a beam
 * member, or the input), and its origin says which step of a strategy
 * made it from that parent:
 *
 *     parent --plan, implement--> llm      search.c (also: two parents combined)
 *     parent --same plan again--> repair   search.c, when the llm one was not correct
 *     parent --set its knobs----> tune     tune.c
 */
#ifndef AC_ORIGIN_H
#define AC_ORIGIN_H

enum cand_origin {
	ORIGIN_INPUT,     /* candidate 0: the user's input */
	ORIGIN_LLM,       /* a model implemented a plan (or combined two parents) */
	ORIGIN_REPAIR,    /* a model's second try at a plan whose code was not correct */
	ORIGIN_TUNE,      /* the tuner set the parent's knobs */
	ORIGIN_COUNT
};

/* The origin's word ("llm"). */
const char *cand_origin_name(enum cand_origin o);

/* The origin a word names, or -1 (for the store, which keeps the words). */
int cand_origin_parse(const char *word);

#endif
