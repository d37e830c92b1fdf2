/*
 * prompt.h - the plan, implement and repair prompts of the Autocomp method.
 *
 * Pure text: built from the target notes (menus/TARGET.md), the menu
 * (menus/TARGET.menu) after dropout, the parent's code and measured time.
 * Dropout draws from a caller-owned seeded generator so a run repeats.
 *
 * Prompts carry fixed marker lines that tests and tools/mock-llm match on:
 *   "## Phase: plan" / "## Phase: implement" / "## Phase: repair" / "## Phase: plan+implement"
 *   "## Kernel: NAME"
 *   each menu option offered as a line "- [N] option text"
 *   "## Combine: #A + #B" in a plan or implement prompt that combines two
 *   beam members; "### Hardware figures" when the parent has some;
 *   "### Examples" when the menu has examples
 */
#ifndef AC_PROMPT_H
#define AC_PROMPT_H

#include <stdbool.h>
#include <stdint.h>

/* splitmix64-style generator: deterministic for a seed. */
uint64_t prompt_rng_next(uint64_t *state);
double prompt_rng_unit(uint64_t *state); /* in [0, 1) */

/* Menu options: non-empty lines of a .menu file without '#' comments. */
struct menu {
	char **options;   /* a strv (util.h), NULL when there are none */
	int count;        /* its length */
};
int menu_parse(const char *text, struct menu *out); /* 0 or -ENOMEM */
void menu_clear(struct menu *m);

/* A menu's or notes' text for a kernel whose timed runs have cores cores:
 * a line that starts with "@one-core " is kept (without the mark) only
 * when cores is 1, one that starts with "@cores " only when it is more,
 * and "{cores}" becomes the number. Other lines stay as they are. Returns
 * a new string (the caller frees), NULL on OOM; text NULL gives NULL. */
char *text_for_cores(const char *text, int cores);

struct prompt_ctx {
	const char *kernel;        /* kernel name */
	const char *target;        /* target name */
	const char *notes;         /* menus/TARGET.md text, may be NULL */
	const struct menu *menu;
	double keep;               /* probability each option is kept [0.25] */
	const char *parent_code;
	const char *file_name;     /* "input.c", "input.cu"... (for the code fence language) */
	double parent_time_ns;     /* measured time of the parent */
	double input_time_ns;      /* measured time of the original input */
	int iteration;             /* 1-based */
	int iterations;
	bool invent;               /* ask for a strategy not on the menu (~10% of prompts) */
	const char *steer;         /* schedule reuse: "apply this step next: ..." or NULL */
	bool edits;                /* the implement reply may be SEARCH/REPLACE edits */
	const char *parent_metrics; /* the parent's hardware figures, a JSON object, or NULL */
	const char *examples;      /* menus/MENU.examples/ text (already capped), or NULL */
	/* combining: a second beam member whose optimization the plan adds to
	 * the parent's ("## Combine: #A + #B" marks such a prompt) */
	int64_t other_num;         /* > 0: combine with this candidate */
	const char *other_code;
	const char *other_plan;    /* the plan that produced it */
	const char *parent_plan;   /* the plan that produced the parent */
	int64_t parent_num;
	double other_time_ns;
	/* the call the harness times, in words, when the engine wrote the
	 * harness (its sizes are nowhere else for the model to see), or NULL */
	const char *call;
};

/* The plan prompt. Dropout is drawn from *rng; the options kept are
 * returned in *offered (a new string, one option per line as "[N] text",
 * N counting from 1 in the full menu, "other" not included; caller frees;
 * offered may be NULL).
 * Returns a new string (caller frees) or NULL on OOM. */
char *prompt_plan(const struct prompt_ctx *ctx, uint64_t *rng, char **offered);

/* The implement prompt for a plan. */
char *prompt_implement(const struct prompt_ctx *ctx, const char *plan);

/* One prompt that plans and writes the code (skip_planning). */
char *prompt_plan_implement(const struct prompt_ctx *ctx, uint64_t *rng, char **offered);

/* A repair prompt: the code that failed and what building or running it printed. */
char *prompt_repair(const struct prompt_ctx *ctx, const char *plan,
                    const char *failed_code, const char *error_log);

/* Which menu option a plan chose: the index (0-based into menu) of the first
 * "[N]" or option text the plan names, or -1 ("other"). */
int prompt_plan_option(const struct menu *menu, const char *plan);

#endif
