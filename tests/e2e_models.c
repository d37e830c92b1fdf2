/*
 * e2e_models.c - searches through a real mount with each provider as
 * today's APIs behave, against build/mock-llm playing tests/mock/models
 * (replies with usage blocks, two versions, header blocks) under the
 * mock's model-name rules: an OpenAI reasoning model, one under a
 * deployment name that refuses max_tokens, the Responses API, Claude with
 * extended thinking, an older compatible server that knows neither
 * max_completion_tokens nor reasoning_effort.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/support.h"

static struct mnt m;
static pid_t mock;
static int port;
static char mocklog[400];

static void setup(void)
{
	mnt_init(&m);
	snprintf(mocklog, sizeof(mocklog), "%s/mock.log", m.base);
	port = mock_start("tests/mock/models", 0, mocklog, &mock);
}

static void teardown(void)
{
	mnt_cleanup(&m);
	mock_stop(mock);
}

TestSuite(models, .init = setup, .fini = teardown, .timeout = 400);

/* Mounts with -o models=PROVIDER@MOCK::NAME and more -o options (or NULL). */
static void start(const char *provider, const char *name, const char *more)
{
	char opt[600];
	snprintf(opt, sizeof(opt), "models=%s@http://127.0.0.1:%d%s::%s%s%s", provider, port,
	         strcmp(provider, "anthropic") ? "/v1" : "", name, more ? "," : "", more ? more : "");
	const char *args[] = {"-o", opt, NULL};
	const char *env[] = {"OPENAI_API_KEY=sk-test-SECRET-7171",
	                     "ANTHROPIC_API_KEY=sk-ant-test-SECRET-7272", NULL};
	mnt_start(&m, args, env);
}

/* tests/kernels/trivial into kernel name, its vector made 512Ki floats
 * long on the way: a call then stands well above the noise of the judge's
 * round trip to the candidate's process, even on a loaded machine, so
 * every candidate gets a time. */
static void copy_vadd(const char *name)
{
	cr_assert_eq(sh("sed 's/const int n = 1024;/const int n = 1 << 19;/' "
	                "%s/tests/kernels/trivial/harness.c > %s/kernels/%s/harness.c && "
	                "grep -q '1 << 19' %s/kernels/%s/harness.c && "
	                "cp %s/tests/kernels/trivial/input.c %s/kernels/%s/",
	                src_dir(), m.dir, name, m.dir, name, src_dir(), m.dir, name), 0);
}

/* A trivial kernel named name with config (one iteration, two candidates
 * unless config says otherwise); waits for the end and returns the status. */
static char *search(const char *name, const char *config)
{
	cr_assert_eq(sh("mkdir %s/kernels/%s && printf '%%s' '%s' > %s/kernels/%s/config.json",
	                m.dir, name, config, m.dir, name), 0);
	copy_vadd(name);
	char *st = wait_final(&m, name, 300);
	cr_assert(st, "the search of %s did not end", name);
	return st;
}

static double json_number(const char *json, const char *key)
{
	char needle[100];
	snprintf(needle, sizeof(needle), "\"%s\":", key);
	const char *p = strstr(json, needle);
	return p ? atof(p + strlen(needle)) : -1;
}

/* The run object of the kernel's metrics.json (caller frees the whole text
 * in *all). */
static const char *run_of(const char *name, char **all)
{
	*all = slurpf("%s/kernels/%s/metrics.json", m.dir, name);
	cr_assert(*all);
	const char *run = strstr(*all, "\"run\":");
	cr_assert(run, "%s", *all);
	return run;
}

/* Every candidate of the search is correct: no usage block, header or old
 * version was taken for the code. */
static void all_ok(const char *name, int want)
{
	char *all;
	const char *run = run_of(name, &all);
	/* the input is not counted among the candidates (figures.h) */
	cr_assert_eq(json_number(run, "ok"), want, "%s", all);
	cr_assert_eq(json_number(run, "build_error"), 0, "%s", all);
	cr_assert_eq(json_number(run, "failed"), 0, "%s", all);
	free(all);
}

static const char *CONFIG = "{\"iterations\": 1, \"beam\": 1, \"plans\": 1, "
                            "\"implementations\": 3, \"tune\": false}";

Test(models, openai_reasoning_model)
{
	start("openai", "gpt-5.1", NULL);
	char *st = search("r", "{\"iterations\": 1, \"beam\": 1, \"plans\": 1, "
	                  "\"implementations\": 3, \"tune\": false, \"reasoning_effort\": \"high\"}");
	cr_assert(!strncmp(st, "done", 4), "%s", st);
	cr_assert(strstr(st, " reasoning)"), "status shows reasoning tokens: %s", st);
	free(st);
	all_ok("r", 3);
	char *all;
	const char *run = run_of("r", &all);
	/* one plan and three implementations, 256 hidden reasoning tokens each */
	cr_assert_eq(json_number(run, "reasoning_tokens"), 4 * 256, "%s", run);
	cr_assert(strstr(all, "\"reasoning_tokens\":\t256") || strstr(all, "\"reasoning_tokens\": 256"),
	          "per candidate: %s", all);
	free(all);
	char *mlog = slurp(mocklog);
	cr_assert_eq(count_of(mlog, "\"cap_param\":\"max_completion_tokens\""), 4, "%s", mlog);
	cr_assert_eq(count_of(mlog, "\"effort\":\"high\""), 4, "%s", mlog);
	cr_assert_eq(count_of(mlog, "\"status\":400"), 0, "%s", mlog);
	free(mlog);
	char *root = slurpf("%s/status", m.dir);
	cr_assert(strstr(root, "(1024 reasoning)"), "%s", root);
	free(root);
}

Test(models, deployment_refusing_max_tokens_is_adapted_once)
{
	start("openai", "reasoner-prod", NULL);
	char *st = search("d", CONFIG);
	cr_assert(!strncmp(st, "done", 4), "%s", st);
	free(st);
	all_ok("d", 3);
	char *log = slurpf("%s/kernels/d/log", m.dir);
	cr_assert_eq(count_of(log, "refuses max_tokens"), 1, "logged once: %s", log);
	cr_assert(strstr(log, "Unsupported parameter: 'max_tokens' is not supported with this model"),
	          "in the provider's words: %s", log);
	cr_assert(strstr(log, "sending max_completion_tokens from now on"), "%s", log);
	free(log);
	char *mlog = slurp(mocklog);
	cr_assert_eq(count_of(mlog, "\"status\":400"), 1, "one refusal in all: %s", mlog);
	cr_assert_eq(count_of(mlog, "\"cap_param\":\"max_tokens\""), 1, "%s", mlog);
	free(mlog);
}

Test(models, responses_api)
{
	start("openai-responses", "gpt-5.1", "reasoning_effort=medium");
	char *st = search("resp", CONFIG);
	cr_assert(!strncmp(st, "done", 4), "%s", st);
	free(st);
	all_ok("resp", 3);
	char *all;
	const char *run = run_of("resp", &all);
	cr_assert_eq(json_number(run, "reasoning_tokens"), 4 * 256, "%s", run);
	free(all);
	char *mlog = slurp(mocklog);
	cr_assert_eq(count_of(mlog, "\"path\":\"/v1/responses\""), 4, "%s", mlog);
	cr_assert_eq(count_of(mlog, "\"cap_param\":\"max_output_tokens\""), 4, "%s", mlog);
	cr_assert_eq(count_of(mlog, "\"effort\":\"medium\""), 4, "-o reasoning_effort: %s", mlog);
	free(mlog);
	/* the key is nowhere in the mount or the state */
	char *hits = sh_out("grep -r -a -s -l 'SECRET-7171' %s/kernels %s/status %s; true",
	                    m.dir, m.dir, m.state);
	cr_assert_str_eq(hits, "", "the key leaked into: %s", hits);
	free(hits);
}

Test(models, claude_with_extended_thinking)
{
	start("anthropic", "claude-sonnet-4-5", NULL);
	char *st = search("t", "{\"iterations\": 1, \"beam\": 1, \"plans\": 1, "
	                  "\"implementations\": 3, \"tune\": false, \"thinking_budget\": 2048, "
	                  "\"temperature\": 0.5}");
	cr_assert(!strncmp(st, "done", 4), "%s", st);
	free(st);
	all_ok("t", 3);
	char *mlog = slurp(mocklog);
	cr_assert_eq(count_of(mlog, "\"thinking_budget\":2048"), 4, "%s", mlog);
	cr_assert_eq(count_of(mlog, "\"cap\":10240"), 4, "budget + room for a kernel: %s", mlog);
	cr_assert_eq(count_of(mlog, "\"temperature\":null"), 4, "no temperature with thinking: %s",
	             mlog);
	cr_assert_eq(count_of(mlog, "\"status\":200"), 4, "%s", mlog);
	free(mlog);
	/* the thinking stays out of the plan */
	char *plan = slurpf("%s/kernels/t/plans/1.md", m.dir);
	cr_assert(plan && !strstr(plan, "unit-stride"), "%s", plan);
	free(plan);
	char *all;
	const char *run = run_of("t", &all);
	cr_assert_gt(json_number(run, "reasoning_tokens"), 0, "estimated from the thinking: %s", run);
	free(all);
}

Test(models, older_compatible_server)
{
	start("openai", "compat-qwen", "reasoning_effort=low");
	char *st = search("c", CONFIG);
	cr_assert(!strncmp(st, "done", 4), "%s", st);
	free(st);
	all_ok("c", 3);
	char *log = slurpf("%s/kernels/c/log", m.dir);
	cr_assert_eq(count_of(log, "refuses reasoning_effort"), 1, "%s", log);
	cr_assert(strstr(log, "Extra inputs are not permitted"), "%s", log);
	free(log);
	char *mlog = slurp(mocklog);
	cr_assert_eq(count_of(mlog, "\"cap_param\":\"max_tokens\""), 5, "%s", mlog);
	cr_assert_eq(count_of(mlog, "\"status\":400"), 1, "%s", mlog);
	free(mlog);
}

Test(models, reasoning_that_eats_the_cap_says_which_key_to_raise)
{
	start("openai", "gpt-5.1", NULL);
	char *st = search("cut", "{\"iterations\": 1, \"beam\": 1, \"plans\": 1, "
	                  "\"implementations\": 1, \"tune\": false, \"skip_planning\": true, "
	                  "\"max_output_tokens\": 300}");
	cr_assert(!strncmp(st, "done", 4), "%s", st);
	free(st);
	char *all;
	const char *run = run_of("cut", &all);
	cr_assert_eq(json_number(run, "failed"), 1, "%s", all);
	cr_assert(strstr(all, "raise \\\"max_output_tokens\\\""), "%s", all);
	cr_assert(strstr(all, "256 of them reasoning"), "%s", all);
	free(all);
}

Test(models, bad_settings_are_refused)
{
	start("openai", "gpt-5.1", NULL);
	cr_assert_eq(sh("mkdir %s/kernels/b", m.dir), 0);
	cr_assert_neq(sh("printf '{\"reasoning_effort\": \"max\"}' > %s/kernels/b/config.json "
	                 "2>/dev/null", m.dir), 0, "EINVAL");
	char *log = slurpf("%s/kernels/b/log", m.dir);
	cr_assert(log && strstr(log, "reasoning_effort"), "%s", log);
	free(log);
	/* -o is checked at mount time */
	char *out = sh_out("mkdir -p %s/other && %s -f -o thinking_budget=10 %s/other 2>&1; true",
	                   m.base, daemon_path(), m.base);
	cr_assert(strstr(out, "\"thinking_budget\" must be 0 (off) or at least 1024"), "%s", out);
	free(out);
}

Test(models, responses_api_resumes_without_asking_twice)
{
	/* slower answers, so that the stop comes mid-search */
	mock_stop(mock);
	port = mock_start("tests/mock/models", 150, mocklog, &mock);
	start("openai-responses", "gpt-5.1", NULL);
	cr_assert_eq(sh("mkdir %s/kernels/s && printf '%%s' '{\"iterations\": 2, \"beam\": 1, "
	                "\"plans\": 2, \"implementations\": 2, \"tune\": false}' > "
	                "%s/kernels/s/config.json", m.dir, m.dir), 0);
	copy_vadd("s");
	char path[400];
	snprintf(path, sizeof(path), "%s/kernels/s/log", m.dir);
	cr_assert(wait_contains(path, "candidate 2:", 200));
	cr_assert_eq(sh("echo stop > %s/kernels/s/ctl", m.dir), 0);
	char *st = wait_final(&m, "s", 60);
	cr_assert(st && !strncmp(st, "stopped", 7), "%s", st);
	free(st);
	cr_assert_eq(sh("echo start > %s/kernels/s/ctl", m.dir), 0);
	snprintf(path, sizeof(path), "%s/kernels/s/status", m.dir);
	cr_assert(wait_contains(path, "done", 300), "%s", slurp(path));
	char *out = sh_out("grep -c '\"status\":200' %s", mocklog);
	int answered = atoi(out);
	free(out);
	out = sh_out("sqlite3 %s/autocompfs.db 'SELECT count(*) FROM llm_call'", m.state);
	int stored = atoi(out);
	free(out);
	cr_assert(answered <= stored + 4, "answered %d, stored %d", answered, stored);
	out = sh_out("sqlite3 %s/autocompfs.db 'SELECT min(reasoning_tokens) FROM llm_call'",
	             m.state);
	cr_assert_eq(atoi(out), 256, "every stored call kept its reasoning tokens: %s", out);
	free(out);
}
