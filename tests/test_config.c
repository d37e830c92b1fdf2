/*
 * test_config.c - config.json validation: defaults, every kind of key,
 * and the refusals the mount turns into EINVAL.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <string.h>

#include "engine/core/config.h"

static int parse(const char *text, struct ac_config *c, char *err)
{
	return config_parse(text, strlen(text), c, err, 256);
}

Test(config, empty_and_braces_give_the_published_defaults)
{
	struct ac_config c;
	char err[256];
	const char *texts[] = {"", "  \n", "{}"};
	for (int i = 0; i < 3; i++) {
		cr_assert_eq(parse(texts[i], &c, err), 0);
		cr_assert_eq(c.iterations, 8);
		cr_assert_eq(c.beam, 4);
		cr_assert_eq(c.plans, 4);
		cr_assert_eq(c.implementations, 2);
		cr_assert_float_eq(c.dropout, 0.25, 1e-9);
		cr_assert_float_eq(c.temperature, 1.0, 1e-9);
		cr_assert_eq(c.early_stop, 0);
		cr_assert(c.tune);
		cr_assert_null(c.target);
		config_clear(&c);
	}
}

Test(config, every_kind_of_value)
{
	struct ac_config c;
	char err[256];
	const char *text = "{\"target\": \"cpu\", \"models\": [\"openai::a\", \"anthropic::b\"],"
	                   " \"code_models\": \"openai::c, openai::d\", \"iterations\": 3,"
	                   " \"dropout\": 0.5, \"skip_planning\": true, \"max_tokens\": 100000,"
	                   " \"seed\": 42, \"cflags\": \"-O2\", \"command\": [\"./eval.sh\", \"{candidate}\"],"
	                   " \"strategy\": \"tune\", \"reuse\": \"other\", \"timeout_s\": 2.5}";
	cr_assert_eq(parse(text, &c, err), 0, "%s", err);
	cr_assert_str_eq(c.target, "cpu");
	cr_assert_eq(strv_len(c.models), 2);
	cr_assert_str_eq(c.models[1], "anthropic::b");
	cr_assert_eq(strv_len(c.code_models), 2);
	cr_assert_str_eq(c.code_models[1], "openai::d");
	cr_assert_eq(c.iterations, 3);
	cr_assert_float_eq(c.dropout, 0.5, 1e-9);
	cr_assert(c.skip_planning);
	cr_assert_eq(c.max_tokens, 100000);
	cr_assert_eq(c.seed, 42);
	cr_assert_str_eq(c.command[1], "{candidate}");
	cr_assert_eq(c.strategy, STRATEGY_TUNE);
	cr_assert_eq(strv_len(c.reuse), 1);
	cr_assert_str_eq(c.reuse[0], "other");
	cr_assert_not(c.reuse_any);
	cr_assert_float_eq(c.timeout_s, 2.5, 1e-9);
	config_clear(&c);
	cr_assert_null(c.models);
}

Test(config, refusals_name_the_key)
{
	struct {
		const char *text;
		const char *why;
	} bad[] = {
		{"{\"beams\": 2}", "unknown key \"beams\""},
		{"{\"beam\": \"2\"}", "\"beam\" must be a number"},
		{"{\"beam\": 2.5}", "\"beam\" must be a whole number"},
		{"{\"beam\": 0}", "\"beam\" must be between"},
		{"{\"dropout\": 1.5}", "\"dropout\" must be between"},
		{"{\"edits\": 1}", "\"edits\" must be true or false"},
		{"{\"models\": [1]}", "\"models\" must be a list of strings"},
		{"{\"target\": \"tpu9\"}", "unknown target \"tpu9\""},
		{"{\"strategy\": \"fast\"}", "\"strategy\" must be"},
		{"{\"command\": []}", "\"command\" must not be empty"},
		{"{\"input\": \"../x.c\"}", "\"input\" must be a file name"},
		{"{\"executor\": \"pbs\"}", "\"executor\" must be \"local\" or \"slurm\""},
		{"{\"slurm_args\": [1]}", "\"slurm_args\" must be a list of strings"},
		{"[1, 2]", "must be a JSON object"},
		{"{\"beam\": ", "invalid JSON"},
		{"{\"beam\": 2} trailing", "invalid JSON"},
		{"{\"max_cost\": -1}", "\"max_cost\" must be between"},
		{"{\"prices\": {\"m\": [1]}}", "the price of \"m\""},
		{"{\"prices\": [1, 2]}", "\"prices\" must be an object"},
		{"{\"combine_every\": 1.5}", "\"combine_every\" must be a whole number"},
		/* a model that cannot be asked is refused when written, not after
		 * the baseline */
		{"{\"models\": \"opnai::gpt-4.1\"}", "unknown provider \"opnai\""},
		{"{\"models\": [\"openai::gpt-4.1\", \"gpt-4.1\"]}", "expected provider::model"},
		{"{\"code_models\": \"anthropic::\"}", "no model name after"},
		{"{\"reuse\": 3}", "\"reuse\" must be a kernel name, a list of kernel names or true"},
		{"{\"reuse\": []}", "\"reuse\" must be a kernel name"},
		{"{\"reuse\": [\"a\", 2]}", "\"reuse\" must be a kernel name"},
		{"{\"reuse\": \"\"}", "\"reuse\" must be a kernel name"},
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct ac_config c;
		char err[256];
		cr_assert_eq(parse(bad[i].text, &c, err), -EINVAL, "%s", bad[i].text);
		cr_assert(strstr(err, bad[i].why), "%s: %s", bad[i].text, err);
		cr_assert(strstr(err, "config.json"), "%s", err);
		cr_assert_eq(c.beam, 4, "defaults are left after a refusal");
		config_clear(&c);
	}
}

Test(config, search_extras)
{
	struct ac_config c;
	char err[256];
	cr_assert_eq(parse("{}", &c, err), 0);
	cr_assert_eq(c.combine_every, 0, "combining is off by default");
	cr_assert_float_eq(c.max_cost, 0, 1e-12);
	cr_assert_eq(c.examples_max_bytes, 8000);
	cr_assert_null(c.prices);
	cr_assert(c.reuse_duplicates, "duplicates are reused by default");
	config_clear(&c);
	cr_assert_eq(parse("{\"reuse_duplicates\": false}", &c, err), 0, "%s", err);
	cr_assert_not(c.reuse_duplicates);
	config_clear(&c);
	cr_assert_eq(parse("{\"max_cost\": 5.0, \"prices\": {\"openai::gpt-4.1\": [2.0, 8.0]}, "
	                   "\"combine_every\": 3, \"examples_max_bytes\": 0}", &c, err), 0, "%s", err);
	cr_assert_float_eq(c.max_cost, 5.0, 1e-12);
	cr_assert_str_eq(c.prices, "{\"openai::gpt-4.1\":[2,8]}");
	cr_assert_eq(c.combine_every, 3);
	cr_assert_eq(c.examples_max_bytes, 0);
	config_clear(&c);
	cr_assert_null(c.prices);
}

Test(config, executor_and_slurm_args)
{
	struct ac_config c;
	char err[256];
	cr_assert_eq(parse("{\"executor\": \"slurm\", \"slurm_args\": [\"--partition=gpu\", "
	                   "\"--gres=gpu:1\"]}", &c, err), 0, "%s", err);
	cr_assert_eq(c.executor, EXECUTOR_SLURM);
	cr_assert_eq(strv_len(c.slurm_args), 2);
	cr_assert_str_eq(c.slurm_args[1], "--gres=gpu:1");
	config_clear(&c);
	cr_assert_eq(c.executor, EXECUTOR_MOUNT);
	cr_assert_eq(parse("{}", &c, err), 0);
	cr_assert_eq(c.executor, EXECUTOR_MOUNT, "the mount's executor unless config.json says");
	config_clear(&c);
}

/* One donor by name (a comma is part of a name), several to choose
 * from, or any earlier kernel. */
Test(config, reuse_names_a_donor_several_or_any)
{
	struct ac_config c;
	char err[256];

	cr_assert_eq(parse("{\"reuse\": \"gemm,512\"}", &c, err), 0, "%s", err);
	cr_assert_eq(strv_len(c.reuse), 1);
	cr_assert_str_eq(c.reuse[0], "gemm,512");
	cr_assert_not(c.reuse_any);
	config_clear(&c);
	cr_assert_eq(parse("{\"reuse\": [\"gemm-512\", \"gemm-1024\"]}", &c, err), 0, "%s", err);
	cr_assert_eq(strv_len(c.reuse), 2);
	cr_assert_str_eq(c.reuse[1], "gemm-1024");
	config_clear(&c);
	cr_assert_eq(parse("{\"reuse\": true}", &c, err), 0, "%s", err);
	cr_assert_null(c.reuse);
	cr_assert(c.reuse_any);
	config_clear(&c);
	cr_assert_not(c.reuse_any, "cleared");
	cr_assert_eq(parse("{\"reuse\": false}", &c, err), 0, "%s", err);
	cr_assert_null(c.reuse);
	cr_assert_not(c.reuse_any);
	config_clear(&c);
}

Test(config, strv_split_trims_and_drops_empty_items)
{
	char **v = strv_split(" a, b ,,c ", ',');
	cr_assert_eq(strv_len(v), 3);
	cr_assert_str_eq(v[0], "a");
	cr_assert_str_eq(v[1], "b");
	cr_assert_str_eq(v[2], "c");
	strv_free(v);
	strv_free(NULL);
	config_clear(NULL);
}

Test(config, model_settings)
{
	struct ac_config c;
	char err[256];
	cr_assert_eq(parse("{\"reasoning_effort\": \"high\", \"max_output_tokens\": 40000}", &c, err),
	             0, "%s", err);
	cr_assert_str_eq(c.reasoning_effort, "high");
	cr_assert_eq(c.max_output_tokens, 40000);
	cr_assert_eq(c.thinking_budget, 0);
	config_clear(&c);
	cr_assert_null(c.reasoning_effort);
	cr_assert_eq(parse("{\"thinking_budget\": 16000, \"max_output_tokens\": 24000}", &c, err),
	             0, "%s", err);
	cr_assert_eq(c.thinking_budget, 16000);
	config_clear(&c);

	cr_assert_eq(parse("{\"reasoning_effort\": \"extreme\"}", &c, err), -EINVAL);
	cr_assert(strstr(err, "\"reasoning_effort\" must be none, minimal, low, medium, high"), "%s",
	          err);
	cr_assert_null(c.reasoning_effort);
	cr_assert_eq(parse("{\"reasoning_effort\": 3}", &c, err), -EINVAL);
	cr_assert(strstr(err, "\"reasoning_effort\" must be a string"), "%s", err);
	cr_assert_eq(parse("{\"thinking_budget\": 500}", &c, err), -EINVAL);
	cr_assert(strstr(err, "at least 1024"), "%s", err);
	cr_assert_eq(parse("{\"thinking_budget\": 8000, \"max_output_tokens\": 8000}", &c, err),
	             -EINVAL);
	cr_assert(strstr(err, "\"max_output_tokens\" (8000) must be more than \"thinking_budget\""),
	          "%s", err);
	cr_assert_eq(parse("{\"max_output_tokens\": -1}", &c, err), -EINVAL);

	const char *word;
	cr_assert_eq(config_check_reasoning("-o", "low", 0, 0, &word, err, sizeof(err)), 0);
	cr_assert_str_eq(word, "low");
	cr_assert_eq(config_check_reasoning("-o", NULL, 0, 0, &word, err, sizeof(err)), 0);
	cr_assert_null(word);
	cr_assert_eq(config_check_reasoning("-o", "LOW", 0, 0, &word, err, sizeof(err)), -EINVAL);
	cr_assert(!strncmp(err, "-o: ", 4), "%s", err);
}
