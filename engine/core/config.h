/*
 * config.h - a kernel's config.json: parse, validate, defaults.
 *
 * Everything has a default, so an empty file or "{}" is valid. Unknown keys
 * and wrong types are refused with -EINVAL and a reason naming the key, so
 * the mount can return EINVAL and keep the old config.
 */
#ifndef AC_CONFIG_H
#define AC_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine/util/util.h"   /* the lists below are strv */

struct ac_executor;
struct llm_model;

/* How a run searches ("strategy"), one table of names in config.c. */
enum strategy {
	STRATEGY_AUTO,     /* llm with a model, else tune (the default) */
	STRATEGY_LLM,
	STRATEGY_TUNE,
	STRATEGY_NONE,     /* the baseline only */
	STRATEGY_COUNT
};

/* The strategy's word ("tune"). */
const char *strategy_name(enum strategy s);

/* Where a run's timed runs go ("executor"); its names are the executors'
 * own (targets/exec/executor.h). */
enum executor_choice {
	EXECUTOR_MOUNT,    /* not said: the mount's (-o executor=, else local) */
	EXECUTOR_LOCAL,
	EXECUTOR_SLURM,
	EXECUTOR_COUNT
};

/* The executor x names, or dflt for EXECUTOR_MOUNT. Never NULL when dflt
 * is not. */
const struct ac_executor *config_executor(enum executor_choice x,
                                          const struct ac_executor *dflt);

/* The executor a word names ("slurm"), or -1 (for -o executor=). */
int config_executor_parse(const char *word);

struct ac_config {
	char *target;            /* "cpu" */
	char *input;             /* input file name; NULL: the target's (input.c...) */
	char *menu;              /* menus/MENU.menu and MENU.md; NULL: the target's name
	                            (a command target says "gemmini", "trainium"...) */
	char **models;           /* NULL-terminated or NULL: the mount's models */
	char **code_models;      /* NULL: same as models */
	int iterations;          /* 8 */
	int beam;                /* the beam's width, members kept an iteration: 4 */
	int plans;               /* 4 plans per parent */
	int implementations;     /* 2 per plan */
	double dropout;          /* probability a menu option is kept: 0.25 */
	double temperature;      /* 1.0 */
	int early_stop;          /* iterations without improvement; 0: off */
	int max_candidates;      /* 0: no limit */
	long max_tokens;         /* token budget for the kernel; 0: no limit */
	char *reasoning_effort;  /* OpenAI reasoning effort (none, minimal, low, medium,
	                            high, xhigh); NULL: the mount's, else not sent */
	int thinking_budget;     /* Anthropic extended thinking budget (>= 1024); 0: the
	                            mount's, else off */
	int max_output_tokens;   /* output cap per call, reasoning included; 0: the
	                            mount's, else llm_default_cap */
	bool skip_planning;
	bool reimplement_failed;
	bool edits;
	bool tune;               /* tune knobs of new beam members: true */
	enum strategy strategy;
	char **reuse;            /* schedule reuse: the kernels that may serve as donor
	                            ("reuse": "NAME" or ["A", "B"]), NULL-terminated;
	                            NULL: none named */
	bool reuse_any;          /* "reuse": true: any earlier kernel of the mount */
	uint64_t seed;           /* 0: derived from the run id */
	double timeout_s;        /* per candidate run: 60 */
	double recheck;          /* a candidate this many times faster than its parent is
	                            evaluated again in a fresh process first: 10; 0: never */
	int retime_rounds;       /* interleaved rounds of the final re-timing: 7 */
	char *cc;
	char *cflags;
	char *arch;
	char **command;          /* command target argv, NULL-terminated */
	double max_cost;         /* US dollars the search may spend on models; 0: no limit */
	char *prices;            /* "prices": the validated JSON object text (engine/llm/cost.h);
	                            NULL: STATE_DIR/prices.json alone */
	int combine_every;       /* every Nth iteration combines pairs of beam members; 0: off */
	int examples_max_bytes;  /* menus/MENU.examples/ text per prompt: 8000; 0: none */
	bool reuse_duplicates;   /* the same code as an earlier candidate reuses its result
	                            instead of being built and timed: true */
	enum executor_choice executor;
	int cores;               /* cores a timed run has to itself; 0: the mount's (1) */
	char **slurm_args;       /* extra srun arguments ("--partition=gpu"), NULL-terminated */
	char *call;              /* "call": the description of the call a generated harness
	                            makes, checked (engine/core/calldesc.h), as compact
	                            JSON text; NULL: none */
};

/* Fills the defaults (no allocation). */
void config_defaults(struct ac_config *c);

/* Parses and validates text (len bytes, need not be NUL-terminated; // and
 * slash-star comments are allowed, as in the draft the engine writes). On
 * success returns 0 with *c filled (free with config_clear). On failure
 * returns -EINVAL, leaves *c with defaults and writes the reason into err
 * ("config.json: unknown key \"beams\""). */
int config_parse(const char *text, size_t len, struct ac_config *c,
                 char *err, size_t errlen);

/* Checks the model settings of config.json or -o together: effort one of
 * the words above (or NULL), budget 0 or at least 1024, a cap (0: the
 * default) above the budget. Returns the effort as a static string in
 * *word (NULL for none) and 0, or -EINVAL with the reason in err. name is
 * how the caller calls where they come from ("config.json", "-o"). */
int config_check_reasoning(const char *name, const char *effort, long budget, long cap,
                           const char **word, char *err, size_t errlen);

/* Parses a list of model strings (provider::model, provider@URL::model;
 * llm_model_parse, the one parser of a model string): 0 and *out, *n
 * models (free with config_models_free), or -EINVAL with the reason in
 * err (*out NULL), or -ENOMEM. */
int config_models(char *const *specs, struct llm_model ***out, int *n, char *err,
                  size_t errlen);

/* Frees n models of config_models; accepts NULL. */
void config_models_free(struct llm_model **models, int n);

/* Checks a list of model strings (provider::model, provider@URL::model):
 * every provider known, every name present. 0, or -EINVAL with the reason
 * in err, prefixed by name ("config.json: \"models\"", "-o models="). */
int config_check_models(const char *name, char *const *specs, char *err, size_t errlen);

/* Frees what config_parse allocated and resets to defaults; accepts NULL. */
void config_clear(struct ac_config *c);

#endif
