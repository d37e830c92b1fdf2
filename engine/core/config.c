/*
 * config.c - validation of config.json.
 *
 * A table of known keys drives both parsing and the error messages, so a
 * new setting is one row. Validation is strict (unknown keys, wrong types,
 * out-of-range numbers are refused) because a silently ignored typo would
 * make a user wait hours for a search that does not do what they asked.
 */
#include "engine/core/config.h"

#include <assert.h>
#include <cjson/cJSON.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/core/calldesc.h"
#include "engine/llm/cost.h"
#include "engine/llm/llm.h"
#include "targets/exec/executor.h"
#include "targets/target.h"

static const char *const strategy_names[STRATEGY_COUNT] = {
	[STRATEGY_AUTO] = "auto",
	[STRATEGY_LLM] = "llm",
	[STRATEGY_TUNE] = "tune",
	[STRATEGY_NONE] = "none",
};

const char *strategy_name(enum strategy s)
{
	assert(s >= 0 && s < STRATEGY_COUNT);
	return strategy_names[s];
}

static const struct ac_executor *const executors[EXECUTOR_COUNT] = {
	[EXECUTOR_LOCAL] = &ac_executor_local,
	[EXECUTOR_SLURM] = &ac_executor_slurm,
};

const struct ac_executor *config_executor(enum executor_choice x,
                                          const struct ac_executor *dflt)
{
	assert(x >= 0 && x < EXECUTOR_COUNT);
	return executors[x] ? executors[x] : dflt;
}

/* A word's place among names[0..n) (NULL entries name nothing), or -1. */
static int word_index(const char *word, const char *const *names, int n)
{
	for (int i = 0; word && i < n; i++)
		if (names[i] && !strcmp(word, names[i]))
			return i;
	return -1;
}

static const char *const *strategy_words(void)
{
	return strategy_names;
}

/* The executors' words, by enum executor_choice (none for the mount's). */
static const char *const *executor_names(void)
{
	static const char *names[EXECUTOR_COUNT];
	for (int i = 0; i < EXECUTOR_COUNT; i++)
		names[i] = executors[i] ? executors[i]->name : NULL;
	return names;
}

int config_executor_parse(const char *word)
{
	return word_index(word, executor_names(), EXECUTOR_COUNT);
}

/* K_WORD: a string that must be one of a table's words, kept as the
 * word's enum value (an unknown word as the table's size, refused once
 * every key is read: see the checks at the end of config_parse). */
enum kind { K_INT, K_LONG, K_NUM, K_BOOL, K_STR, K_STRV, K_U64, K_PRICES, K_REUSE, K_CALL, K_WORD };

struct key {
	const char *name;
	enum kind kind;
	size_t off;
	double min, max;     /* K_WORD: max is how many words there are */
	const char *const *(*words)(void);   /* K_WORD: the table of words */
};

#define OFF(f) offsetof(struct ac_config, f)
static const struct key keys[] = {
	{"target", K_STR, OFF(target), 0, 0},
	{"input", K_STR, OFF(input), 0, 0},
	{"menu", K_STR, OFF(menu), 0, 0},
	{"models", K_STRV, OFF(models), 0, 0},
	{"code_models", K_STRV, OFF(code_models), 0, 0},
	{"iterations", K_INT, OFF(iterations), 0, 1000},
	{"beam", K_INT, OFF(beam), 1, 64},
	{"plans", K_INT, OFF(plans), 1, 64},
	{"implementations", K_INT, OFF(implementations), 1, 64},
	{"dropout", K_NUM, OFF(dropout), 0, 1},
	{"temperature", K_NUM, OFF(temperature), 0, 2},
	{"early_stop", K_INT, OFF(early_stop), 0, 1000},
	{"max_candidates", K_INT, OFF(max_candidates), 0, 1000000},
	{"max_tokens", K_LONG, OFF(max_tokens), 0, 1e15},
	{"reasoning_effort", K_STR, OFF(reasoning_effort), 0, 0},
	{"thinking_budget", K_INT, OFF(thinking_budget), 0, 1000000},
	{"max_output_tokens", K_INT, OFF(max_output_tokens), 0, 1000000},
	{"skip_planning", K_BOOL, OFF(skip_planning), 0, 0},
	{"reimplement_failed", K_BOOL, OFF(reimplement_failed), 0, 0},
	{"edits", K_BOOL, OFF(edits), 0, 0},
	{"tune", K_BOOL, OFF(tune), 0, 0},
	{"strategy", K_WORD, OFF(strategy), 0, STRATEGY_COUNT, strategy_words},
	{"reuse", K_REUSE, OFF(reuse), 0, 0},
	{"seed", K_U64, OFF(seed), 0, 9007199254740992.0},
	{"timeout_s", K_NUM, OFF(timeout_s), 0.01, 86400},
	{"recheck", K_NUM, OFF(recheck), 0, 1e9},
	{"retime_rounds", K_INT, OFF(retime_rounds), 2, 100},
	{"cc", K_STR, OFF(cc), 0, 0},
	{"cflags", K_STR, OFF(cflags), 0, 0},
	{"arch", K_STR, OFF(arch), 0, 0},
	{"command", K_STRV, OFF(command), 0, 0},
	{"max_cost", K_NUM, OFF(max_cost), 0, 1e9},
	{"prices", K_PRICES, OFF(prices), 0, 0},
	{"combine_every", K_INT, OFF(combine_every), 0, 1000},
	{"reuse_duplicates", K_BOOL, OFF(reuse_duplicates), 0, 0},
	{"examples_max_bytes", K_INT, OFF(examples_max_bytes), 0, 1000000},
	{"executor", K_WORD, OFF(executor), 0, EXECUTOR_COUNT, executor_names},
	{"cores", K_INT, OFF(cores), 1, 1024},
	{"slurm_args", K_STRV, OFF(slurm_args), 0, 0},
	{"call", K_CALL, OFF(call), 0, 0},
};

void config_defaults(struct ac_config *c)
{
	memset(c, 0, sizeof(*c));
	c->iterations = 8;
	c->beam = 4;
	c->plans = 4;
	c->implementations = 2;
	c->dropout = 0.25;
	c->temperature = 1.0;
	c->tune = true;
	c->timeout_s = 60;
	c->recheck = 10;
	c->retime_rounds = 7;
	c->examples_max_bytes = 8000;
	c->reuse_duplicates = true;
}

void config_clear(struct ac_config *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		void *f = (char *)c + keys[i].off;
		if (keys[i].kind == K_STR || keys[i].kind == K_PRICES || keys[i].kind == K_CALL)
			free(*(char **)f);
		else if (keys[i].kind == K_STRV || keys[i].kind == K_REUSE)
			strv_free(*(char ***)f);
	}
	config_defaults(c);
}

int config_check_reasoning(const char *name, const char *effort, long budget, long cap,
                           const char **word, char *err, size_t errlen)
{
	static const char *const efforts[] = {"none", "minimal", "low", "medium", "high",
					      "xhigh", NULL};
	*word = NULL;
	if (effort) {
		for (int i = 0; efforts[i] && !*word; i++)
			if (!strcmp(efforts[i], effort))
				*word = efforts[i];
		if (!*word) {
			snprintf(err, errlen, "%s: \"reasoning_effort\" must be none, minimal, low, "
			         "medium, high or xhigh", name);
			return -EINVAL;
		}
	}
	if (budget != 0 && budget < 1024) {
		snprintf(err, errlen, "%s: \"thinking_budget\" must be 0 (off) or at least 1024 "
		         "tokens", name);
		return -EINVAL;
	}
	if (budget > 0 && cap > 0 && cap <= budget) {
		snprintf(err, errlen, "%s: \"max_output_tokens\" (%ld) must be more than "
		         "\"thinking_budget\" (%ld): thinking counts against the output cap",
		         name, cap, budget);
		return -EINVAL;
	}
	return 0;
}

int config_models(char *const *specs, struct llm_model ***out, int *n, char *err,
                  size_t errlen)
{
	int cnt = strv_len(specs);
	*out = calloc((size_t)cnt + 1, sizeof(**out));
	*n = 0;
	if (!*out)
		return -ENOMEM;
	for (int i = 0; i < cnt; i++) {
		int rc = llm_model_parse(specs[i], &(*out)[i], err, errlen);
		if (rc) {
			config_models_free(*out, i);
			*out = NULL;
			return rc;
		}
		*n = i + 1;
	}
	return 0;
}

void config_models_free(struct llm_model **models, int n)
{
	for (int i = 0; models && i < n; i++)
		llm_model_free(models[i]);
	free(models);
}

int config_check_models(const char *name, char *const *specs, char *err, size_t errlen)
{
	struct llm_model **models;
	char why[400];
	int n;
	int rc = config_models(specs, &models, &n, why, sizeof(why));
	if (rc == -EINVAL)
		snprintf(err, errlen, "%s: %s", name, why);
	config_models_free(models, n);
	return rc;
}

static int fail(char *err, size_t errlen, const char *fmt, const char *key)
{
	snprintf(err, errlen, fmt, key);
	return -EINVAL;
}

/* The strings of the JSON array v (a lone string: itself) as a new strv
 * in *out: 0, -EINVAL when an item is not a string (or, with nonempty, is
 * empty), or -ENOMEM. */
static int strings_of(const cJSON *v, bool nonempty, char ***out)
{
	char **sv = calloc(1, sizeof(*sv));
	const cJSON *it = cJSON_IsString(v) ? v : v->child;
	int rc = sv ? 0 : -ENOMEM;
	for (; it && !rc; it = cJSON_IsString(v) ? NULL : it->next) {
		if (!cJSON_IsString(it) || (nonempty && !it->valuestring[0]))
			rc = -EINVAL;
		else
			rc = strv_addn(&sv, it->valuestring, strlen(it->valuestring));
	}
	if (rc) {
		strv_free(sv);
		sv = NULL;
	}
	*out = sv;
	return rc;
}

static int set_key(struct ac_config *c, const struct key *k, const cJSON *v,
                   char *err, size_t errlen)
{
	void *f = (char *)c + k->off;
	switch (k->kind) {
	case K_INT:
	case K_LONG:
	case K_U64:
	case K_NUM: {
		if (!cJSON_IsNumber(v))
			return fail(err, errlen, "config.json: \"%s\" must be a number", k->name);
		double d = v->valuedouble;
		if (k->kind != K_NUM && d != floor(d))
			return fail(err, errlen, "config.json: \"%s\" must be a whole number", k->name);
		if (!isfinite(d) || d < k->min || d > k->max) {
			snprintf(err, errlen, "config.json: \"%s\" must be between %g and %g",
			         k->name, k->min, k->max);
			return -EINVAL;
		}
		if (k->kind == K_INT)
			*(int *)f = (int)d;
		else if (k->kind == K_LONG)
			*(long *)f = (long)d;
		else if (k->kind == K_U64)
			*(uint64_t *)f = (uint64_t)d;
		else
			*(double *)f = d;
		return 0;
	}
	case K_BOOL:
		if (!cJSON_IsBool(v))
			return fail(err, errlen, "config.json: \"%s\" must be true or false", k->name);
		*(bool *)f = cJSON_IsTrue(v);
		return 0;
	case K_STR:
		if (!cJSON_IsString(v))
			return fail(err, errlen, "config.json: \"%s\" must be a string", k->name);
		free(*(char **)f);
		*(char **)f = strdup(v->valuestring);
		return *(char **)f ? 0 : -ENOMEM;
	case K_WORD: {
		if (!cJSON_IsString(v))
			return fail(err, errlen, "config.json: \"%s\" must be a string", k->name);
		int i = word_index(v->valuestring, k->words(), (int)k->max);
		*(int *)f = i >= 0 ? i : (int)k->max;
		return 0;
	}
	case K_PRICES: {
		char *text = cJSON_PrintUnformatted(v);
		if (!text)
			return -ENOMEM;
		struct price_table t;
		int rc = cost_table_parse(text, strlen(text), "config.json", &t, err, errlen);
		cost_table_clear(&t);
		if (rc) {
			free(text);
			return rc;
		}
		free(*(char **)f);
		*(char **)f = text;
		return 0;
	}
	case K_REUSE: {
		/* a kernel name (never split: a name may hold a comma), a list
		 * of names, or true for any earlier kernel */
		if (cJSON_IsBool(v)) {
			c->reuse_any = cJSON_IsTrue(v);
			strv_free(*(char ***)f);
			*(char ***)f = NULL;
			return 0;
		}
		const char *bad = "config.json: \"%s\" must be a kernel name, a list of kernel "
		                  "names or true";
		if (!cJSON_IsString(v) && !(cJSON_IsArray(v) && cJSON_GetArraySize(v) > 0))
			return fail(err, errlen, bad, k->name);
		char **sv;
		int rc = strings_of(v, true, &sv);
		if (rc == -EINVAL)
			return fail(err, errlen, bad, k->name);
		if (rc)
			return rc;
		strv_free(*(char ***)f);
		*(char ***)f = sv;
		c->reuse_any = false;
		return 0;
	}
	case K_CALL: {
		struct ac_call call;
		int rc = calldesc_parse(v, &call, err, errlen);
		ac_call_clear(&call);
		if (rc)
			return rc;
		char *text = cJSON_PrintUnformatted(v);
		if (!text)
			return -ENOMEM;
		free(*(char **)f);
		*(char **)f = text;
		return 0;
	}
	case K_STRV: {
		if (cJSON_IsString(v)) {
			char **sv = strv_split(v->valuestring, ',');
			if (!sv)
				return -ENOMEM;
			strv_free(*(char ***)f);
			*(char ***)f = sv;
			return 0;
		}
		char **sv;
		int rc = cJSON_IsArray(v) ? strings_of(v, false, &sv) : -EINVAL;
		if (rc == -EINVAL)
			return fail(err, errlen, "config.json: \"%s\" must be a list of strings", k->name);
		if (rc)
			return rc;
		strv_free(*(char ***)f);
		*(char ***)f = sv;
		return 0;
	}
	}
	return -EINVAL;
}

/* The words of names[0..n) as a refusal lists them: "a", "b" or "c". */
static void word_list(const char *const *names, int n, char *buf, size_t len)
{
	int last = -1;
	for (int i = 0; i < n; i++)
		if (names[i])
			last = i;
	size_t at = 0;
	buf[0] = '\0';
	for (int i = 0, k = 0; i < n && at < len; i++) {
		if (!names[i])
			continue;
		int w = snprintf(buf + at, len - at, "%s\"%s\"",
		                 k == 0 ? "" : i == last ? " or " : ", ", names[i]);
		at += w > 0 ? (size_t)w : 0;
		k++;
	}
}

static bool blank(const char *text, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (text[i] != ' ' && text[i] != '\n' && text[i] != '\t' && text[i] != '\r')
			return false;
	return true;
}

int config_parse(const char *text, size_t len, struct ac_config *c,
                 char *err, size_t errlen)
{
	config_defaults(c);
	if (err && errlen)
		err[0] = '\0';
	if (!text || blank(text, len))
		return 0;
	/* comments (the engine's draft marks its guesses with them) go first */
	char *plain = NULL;
	if (memmem(text, len, "//", 2) || memmem(text, len, "/*", 2)) {
		plain = strndup(text, len);
		if (!plain)
			return -ENOMEM;
		cJSON_Minify(plain);
		text = plain;
		len = strlen(plain);
		if (blank(text, len)) {
			free(plain);
			return 0;
		}
	}
	const char *end = NULL;
	cJSON *root = cJSON_ParseWithLengthOpts(text, len, &end, 0);
	if (!root) {
		size_t at = end && end >= text ? (size_t)(end - text) : 0;
		snprintf(err, errlen, "config.json: invalid JSON near byte %zu%s", at,
		         plain ? " (comments left out)" : "");
		free(plain);
		return -EINVAL;
	}
	int rc = 0;
	if (end && end >= text && !blank(end, len - (size_t)(end - text))) {
		snprintf(err, errlen, "config.json: invalid JSON near byte %zu (text after the object)",
		         (size_t)(end - text));
		rc = -EINVAL;
		goto out;
	}
	if (!cJSON_IsObject(root)) {
		snprintf(err, errlen, "config.json: must be a JSON object");
		rc = -EINVAL;
		goto out;
	}
	const cJSON *it;
	cJSON_ArrayForEach(it, root) {
		const struct key *k = NULL;
		for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
			if (!strcmp(keys[i].name, it->string))
				k = &keys[i];
		if (!k) {
			snprintf(err, errlen, "config.json: unknown key \"%s\"", it->string);
			rc = -EINVAL;
			goto out;
		}
		rc = set_key(c, k, it, err, errlen);
		if (rc)
			goto out;
	}
	if (c->target && !ac_target_find(c->target)) {
		snprintf(err, errlen, "config.json: unknown target \"%s\"", c->target);
		rc = -EINVAL;
		goto out;
	}
	if (c->strategy == STRATEGY_COUNT) {
		char words[200];
		word_list(strategy_words(), STRATEGY_COUNT, words, sizeof(words));
		snprintf(err, errlen, "config.json: \"strategy\" must be %s (the baseline only)", words);
		rc = -EINVAL;
		goto out;
	}
	/* a model that cannot be asked is refused now, not after the baseline */
	rc = config_check_models("config.json: \"models\"", c->models, err, errlen);
	if (!rc)
		rc = config_check_models("config.json: \"code_models\"", c->code_models, err, errlen);
	if (rc)
		goto out;
	const char *word;
	rc = config_check_reasoning("config.json", c->reasoning_effort, c->thinking_budget,
	                            c->max_output_tokens, &word, err, errlen);
	if (rc)
		goto out;
	if (c->command && !c->command[0]) {
		snprintf(err, errlen, "config.json: \"command\" must not be empty");
		rc = -EINVAL;
		goto out;
	}
	if (c->executor == EXECUTOR_COUNT) {
		char words[200];
		word_list(executor_names(), EXECUTOR_COUNT, words, sizeof(words));
		snprintf(err, errlen, "config.json: \"executor\" must be %s", words);
		rc = -EINVAL;
		goto out;
	}
	if (c->menu && (!c->menu[0] || strchr(c->menu, '/') || c->menu[0] == '.')) {
		snprintf(err, errlen, "config.json: \"menu\" must be a menu name such as \"gemmini\"");
		rc = -EINVAL;
		goto out;
	}
	/* a name in the kernel's directory: no '/', and not "." or ".." (nor
	 * another dot-file, which never goes into a build) */
	if (c->input && (!c->input[0] || strchr(c->input, '/') || c->input[0] == '.')) {
		snprintf(err, errlen, "config.json: \"input\" must be a file name");
		rc = -EINVAL;
		goto out;
	}
out:
	cJSON_Delete(root);
	free(plain);
	if (rc)
		config_clear(c);
	return rc;
}
