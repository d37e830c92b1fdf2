/*
 * test_llm.c - the LLM client (engine/llm/llm.c) against tools/mock-llm.
 *
 * Each test starts its own mock on an ephemeral port with the script in
 * tests/mock/unit/ (behaviour chosen by the prompt's "## Kernel:" line) and
 * kills it at the end; the child dies with the test process too
 * (PR_SET_PDEATHSIG). The mock's path comes from AC_MOCK_LLM, as meson test
 * sets it, else the build directory this test was configured in.
 */
#include "engine/llm/llm.h"

#include "ac_config.h"

#include <cjson/cJSON.h>
#include <criterion/criterion.h>
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static pid_t mock_pid = -1;
static int mock_port;
static char mock_log[256];
static char url_openai[128];
static char url_anthropic[128];

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static const char *mock_path(void)
{
	const char *p = getenv("AC_MOCK_LLM");
	return p && *p ? p : AC_BUILD_DIR "/mock-llm";
}

static const char *source_dir(void)
{
	const char *p = getenv("AC_SOURCE_DIR");
	return p && *p ? p : AC_SOURCE_DIR;
}

/* Starts the mock with tests/mock/unit and reads its port. */
static void mock_start(void)
{
	char script[1024];
	snprintf(script, sizeof(script), "%s/tests/mock/unit", source_dir());
	snprintf(mock_log, sizeof(mock_log), "/tmp/ac-test-llm-%d.log", (int)getpid());
	unlink(mock_log);
	int fds[2];
	cr_assert_eq(pipe(fds), 0);
	pid_t parent = getpid();
	mock_pid = fork();
	cr_assert_geq(mock_pid, 0);
	if (mock_pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGTERM);
		if (getppid() != parent)
			_exit(1);
		dup2(fds[1], 1);
		close(fds[0]);
		close(fds[1]);
		execl(mock_path(), "mock-llm", "--script", script, "--port", "0",
		      "--log", mock_log, (char *)NULL);
		_exit(127);
	}
	close(fds[1]);
	char line[32] = "";
	size_t got = 0;
	struct pollfd p = {fds[0], POLLIN, 0};
	while (got < sizeof(line) - 1 && !strchr(line, '\n') && poll(&p, 1, 10000) > 0) {
		ssize_t n = read(fds[0], line + got, sizeof(line) - 1 - got);
		if (n <= 0)
			break;
		got += (size_t)n;
		line[got] = '\0';
	}
	close(fds[0]);
	mock_port = atoi(line);
	cr_assert_gt(mock_port, 0, "mock-llm (%s) did not print a port", mock_path());
	snprintf(url_openai, sizeof(url_openai), "http://127.0.0.1:%d/v1", mock_port);
	snprintf(url_anthropic, sizeof(url_anthropic), "http://127.0.0.1:%d", mock_port);
}

static void mock_stop(void)
{
	if (mock_pid > 0) {
		kill(mock_pid, SIGTERM);
		waitpid(mock_pid, NULL, 0);
		mock_pid = -1;
	}
	unlink(mock_log);
}

static void setup(void)
{
	unsetenv("OPENAI_API_KEY");
	unsetenv("ANTHROPIC_API_KEY");
	unsetenv("OPENAI_BASE_URL");
	unsetenv("ANTHROPIC_BASE_URL");
	mock_start();
}

/* A model at the mock: "openai@URL::mock" or "anthropic@URL::mock". */
static struct llm_model *mock_model(const char *provider)
{
	char spec[256];
	snprintf(spec, sizeof(spec), "%s@%s::mock-model", provider,
		 strcmp(provider, "openai") ? url_anthropic : url_openai);
	struct llm_model *m = NULL;
	char err[256];
	cr_assert_eq(llm_model_parse(spec, &m, err, sizeof(err)), 0, "%s", err);
	return m;
}

static struct llm_client *fast_client(int attempts, double timeout_s)
{
	struct llm_client_opts o = {.max_in_flight = 4, .timeout_s = timeout_s,
				    .max_attempts = attempts, .backoff_base_s = 0.05};
	struct llm_client *c = llm_client_new(&o);
	cr_assert_not_null(c);
	return c;
}

/* One request with prompt "## Kernel: KERNEL". */
static int ask(struct llm_client *c, const struct llm_model *m, const char *kernel,
               struct llm_reply *r, const atomic_int *cancel)
{
	char prompt[512];
	snprintf(prompt, sizeof(prompt), "## Phase: plan\n## Kernel: %s\n\nSay something.", kernel);
	struct llm_request req = {.model = m, .system = "You are a test.", .prompt = prompt,
				  .temperature = 1.0, .max_tokens = 100};
	return llm_complete(c, &req, r, cancel, NULL, NULL);
}

TestSuite(llm, .init = setup, .fini = mock_stop, .timeout = 60);

/* ---- model strings (no mock needed, but the fixture is harmless) ---- */

Test(llm, model_parse_forms)
{
	struct llm_model *m;
	char err[256];
	cr_assert_eq(llm_model_parse("openai::gpt-4.1", &m, err, sizeof(err)), 0);
	cr_assert_str_eq(m->provider, "openai");
	cr_assert_str_eq(m->name, "gpt-4.1");
	cr_assert_null(m->base_url);
	cr_assert_str_eq(m->spec, "openai::gpt-4.1");
	llm_model_free(m);

	cr_assert_eq(llm_model_parse("anthropic::claude-sonnet-4-5", &m, err, sizeof(err)), 0);
	cr_assert_str_eq(m->provider, "anthropic");
	cr_assert_str_eq(m->name, "claude-sonnet-4-5");
	llm_model_free(m);

	cr_assert_eq(llm_model_parse("openai@http://127.0.0.1:8000/v1::Qwen/Qwen3-8B", &m,
				     err, sizeof(err)), 0);
	cr_assert_str_eq(m->base_url, "http://127.0.0.1:8000/v1");
	cr_assert_str_eq(m->name, "Qwen/Qwen3-8B");
	llm_model_free(m);

	cr_assert_eq(llm_model_parse("openai@http://localhost:11434/v1/::qwen3:8b", &m,
				     err, sizeof(err)), 0);
	cr_assert_str_eq(m->base_url, "http://localhost:11434/v1");
	cr_assert_str_eq(m->name, "qwen3:8b");
	llm_model_free(m);

	cr_assert_eq(llm_model_parse("openai@http://[::1]:8000/v1::m", &m, err, sizeof(err)), 0);
	cr_assert_str_eq(m->base_url, "http://[::1]:8000/v1");
	cr_assert_str_eq(m->name, "m");
	llm_model_free(m);
}

Test(llm, model_parse_errors)
{
	struct llm_model *m = (void *)1;
	char err[256];
	cr_assert_eq(llm_model_parse("gpt-4.1", &m, err, sizeof(err)), -EINVAL);
	cr_assert_null(m);
	cr_assert(strstr(err, "provider::model"), "%s", err);
	cr_assert_eq(llm_model_parse("google::gemini", &m, err, sizeof(err)), -EINVAL);
	cr_assert(strstr(err, "unknown provider"), "%s", err);
	cr_assert_eq(llm_model_parse("openai::", &m, err, sizeof(err)), -EINVAL);
	cr_assert_eq(llm_model_parse("openai@ftp://x::m", &m, err, sizeof(err)), -EINVAL);
	cr_assert_eq(llm_model_parse(NULL, &m, err, sizeof(err)), -EINVAL);
	llm_model_free(NULL);
}

Test(llm, missing_key_for_real_apis)
{
	struct llm_client *c = fast_client(2, 5);
	struct llm_model *m;
	char err[256];
	struct llm_reply r;
	cr_assert_eq(llm_model_parse("openai::gpt-4.1", &m, err, sizeof(err)), 0);
	cr_assert_eq(ask(c, m, "ok", &r, NULL), -ENOKEY);
	cr_assert_str_eq(r.error, "OPENAI_API_KEY is not set");
	cr_assert_eq(r.attempts, 0);
	llm_reply_clear(&r);
	llm_model_free(m);

	cr_assert_eq(llm_model_parse("anthropic::claude-sonnet-4-5", &m, err, sizeof(err)), 0);
	cr_assert_eq(ask(c, m, "ok", &r, NULL), -ENOKEY);
	cr_assert_str_eq(r.error, "ANTHROPIC_API_KEY is not set");
	llm_reply_clear(&r);
	llm_model_free(m);
	llm_client_free(c);
}

/* ---- replies ---- */

Test(llm, openai_reply_reasoning_usage)
{
	struct llm_client *c = fast_client(3, 10);
	struct llm_model *m = mock_model("openai");
	struct llm_reply r;
	cr_assert_eq(ask(c, m, "ok", &r, NULL), 0, "%s", r.error);
	cr_assert_str_eq(r.text, "Here you go.\n\n```c\nint x;\n```\n");
	cr_assert_str_eq(r.reasoning, "thinking about x");
	cr_assert_gt(r.prompt_tokens, 0);
	cr_assert_gt(r.completion_tokens, 0);
	cr_assert_eq(r.attempts, 1);
	cr_assert_eq(r.http_status, 200);
	cr_assert_not(r.truncated);
	cr_assert_null(r.error);
	llm_reply_clear(&r);
	llm_reply_clear(NULL);
	llm_model_free(m);
	llm_client_free(c);
}

Test(llm, anthropic_reply_thinking_usage)
{
	struct llm_client *c = fast_client(3, 10);
	struct llm_model *m = mock_model("anthropic");
	struct llm_reply r;
	cr_assert_eq(ask(c, m, "ok", &r, NULL), 0, "%s", r.error);
	cr_assert_str_eq(r.text, "Here you go.\n\n```c\nint x;\n```\n");
	cr_assert_str_eq(r.reasoning, "thinking about x");
	cr_assert_gt(r.prompt_tokens, 0);
	cr_assert_gt(r.completion_tokens, 0);
	llm_reply_clear(&r);

	/* A base URL that already ends in /v1 reaches /v1/messages too. */
	char spec[256];
	char err[256];
	struct llm_model *m2;
	snprintf(spec, sizeof(spec), "anthropic@http://127.0.0.1:%d/v1::mock", mock_port);
	cr_assert_eq(llm_model_parse(spec, &m2, err, sizeof(err)), 0);
	cr_assert_eq(ask(c, m2, "rotate", &r, NULL), 0, "%s", r.error);
	cr_assert_str_eq(r.text, "one");
	llm_reply_clear(&r);
	llm_model_free(m2);
	llm_model_free(m);
	llm_client_free(c);
}

Test(llm, base_url_from_environment)
{
	setenv("OPENAI_BASE_URL", url_openai, 1);
	struct llm_client *c = fast_client(2, 10);
	struct llm_model *m;
	char err[256];
	struct llm_reply r;
	cr_assert_eq(llm_model_parse("openai::mock", &m, err, sizeof(err)), 0);
	cr_assert_eq(ask(c, m, "file", &r, NULL), 0, "%s", r.error);
	cr_assert(strstr(r.text, "for kernel file, request 1"), "%s", r.text);
	llm_reply_clear(&r);
	llm_model_free(m);
	llm_client_free(c);
}

Test(llm, inline_think_moves_to_reasoning)
{
	struct llm_client *c = fast_client(2, 10);
	struct llm_model *m = mock_model("openai");
	struct llm_reply r;
	cr_assert_eq(ask(c, m, "think", &r, NULL), 0, "%s", r.error);
	cr_assert_str_eq(r.text, "[2] Tile the loops.");
	cr_assert_str_eq(r.reasoning, "inline reasoning");
	llm_reply_clear(&r);
	llm_model_free(m);
	llm_client_free(c);
}

Test(llm, offered_options_and_rotation)
{
	struct llm_client *c = fast_client(2, 10);
	struct llm_model *m = mock_model("openai");
	const char *prompt = "## Phase: plan\n## Kernel: offer\n- [3] tiling\n- [7] unrolling\n"
			     "- [0] other: a different optimization of your own\n";
	struct llm_request req = {.model = m, .prompt = prompt, .temperature = 1};
	struct llm_reply r;
	cr_assert_eq(llm_complete(c, &req, &r, NULL, NULL, NULL), 0, "%s", r.error);
	cr_assert_str_eq(r.text, "[3] first");
	llm_reply_clear(&r);
	cr_assert_eq(llm_complete(c, &req, &r, NULL, NULL, NULL), 0, "%s", r.error);
	cr_assert_str_eq(r.text, "[7] second");
	llm_reply_clear(&r);
	req.prompt = "## Phase: plan\n## Kernel: offer\n- [3] tiling\n";
	cr_assert_eq(llm_complete(c, &req, &r, NULL, NULL, NULL), 0, "%s", r.error);
	cr_assert_str_eq(r.text, "no 3 and 7");
	llm_reply_clear(&r);
	llm_model_free(m);
	llm_client_free(c);
}

/* ---- retries ---- */

struct notes {
	int count;
	char last[512];
};

static void note(void *arg, const char *line)
{
	struct notes *n = arg;
	n->count++;
	snprintf(n->last, sizeof(n->last), "%s", line);
}

Test(llm, retry_after_429)
{
	struct llm_client *c = fast_client(4, 10);
	struct llm_model *m = mock_model("openai");
	struct llm_request req = {.model = m, .prompt = "## Kernel: r429\n", .temperature = 1};
	struct llm_reply r;
	struct notes n = {0};
	double t0 = now_s();
	cr_assert_eq(llm_complete(c, &req, &r, NULL, note, &n), 0, "%s", r.error);
	double dt = now_s() - t0;
	cr_assert_str_eq(r.text, "after 429");
	cr_assert_eq(r.attempts, 2);
	cr_assert_geq(dt, 0.95, "Retry-After: 1 not honoured (%.3f s)", dt);
	cr_assert_eq(n.count, 1);
	cr_assert(strstr(n.last, "429 from openai@"), "%s", n.last);
	cr_assert(strstr(n.last, "retrying in 1 s"), "%s", n.last);
	llm_reply_clear(&r);
	llm_model_free(m);
	llm_client_free(c);
}

Test(llm, retry_500)
{
	struct llm_client *c = fast_client(4, 10);
	struct llm_model *m = mock_model("anthropic");
	struct llm_reply r;
	cr_assert_eq(ask(c, m, "r500", &r, NULL), 0, "%s", r.error);
	cr_assert_str_eq(r.text, "after 500");
	cr_assert_eq(r.attempts, 3);
	cr_assert_eq(r.http_status, 200);
	llm_reply_clear(&r);
	llm_model_free(m);
	llm_client_free(c);
}

Test(llm, mock_attempt_matching)
{
	struct llm_client *c = fast_client(3, 10);
	struct llm_model *m = mock_model("openai");
	struct llm_reply r;
	cr_assert_eq(ask(c, m, "attempt", &r, NULL), 0, "%s", r.error);
	cr_assert_str_eq(r.text, "attempt 1");
	cr_assert_eq(r.attempts, 2);
	llm_reply_clear(&r);
	llm_model_free(m);
	llm_client_free(c);
}

Test(llm, stall_times_out_then_retry_succeeds)
{
	struct llm_client *c = fast_client(3, 0.5);
	struct llm_model *m = mock_model("openai");
	struct llm_reply r;
	double t0 = now_s();
	cr_assert_eq(ask(c, m, "stall", &r, NULL), 0, "%s", r.error);
	double dt = now_s() - t0;
	cr_assert_str_eq(r.text, "after stall");
	cr_assert_eq(r.attempts, 2);
	cr_assert_geq(dt, 0.45);
	cr_assert_lt(dt, 3.0);
	llm_reply_clear(&r);
	llm_model_free(m);
	llm_client_free(c);
}

Test(llm, hang_up_is_retried)
{
	struct llm_client *c = fast_client(2, 5);
	struct llm_model *m = mock_model("openai");
	struct llm_reply r;
	cr_assert_eq(ask(c, m, "close", &r, NULL), -EIO);
	cr_assert_eq(r.attempts, 2);
	cr_assert(strstr(r.error, "network error"), "%s", r.error);
	cr_assert(strstr(r.error, "gave up after 2 attempts"), "%s", r.error);
	llm_reply_clear(&r);
	llm_model_free(m);
	llm_client_free(c);
}

Test(llm, malformed_once_is_retried)
{
	struct llm_client *c = fast_client(4, 10);
	struct llm_model *m = mock_model("openai");
	struct llm_reply r;
	cr_assert_eq(ask(c, m, "malformed", &r, NULL), 0, "%s", r.error);
	cr_assert_str_eq(r.text, "after malformed");
	cr_assert_eq(r.attempts, 2);
	llm_reply_clear(&r);
	llm_model_free(m);
	llm_client_free(c);
}

Test(llm, malformed_always_fails_after_three)
{
	struct llm_client *c = fast_client(6, 10);
	struct llm_model *m = mock_model("openai");
	struct llm_reply r;
	cr_assert_eq(ask(c, m, "badjson", &r, NULL), -EPROTO);
	cr_assert_eq(r.attempts, 3);
	cr_assert_null(r.text);
	cr_assert(strstr(r.error, "malformed reply from openai@"), "%s", r.error);
	llm_reply_clear(&r);
	llm_model_free(m);
	llm_client_free(c);
}

Test(llm, truncated_reply)
{
	struct llm_client *c = fast_client(4, 10);
	const char *providers[] = {"openai", "anthropic"};
	for (int i = 0; i < 2; i++) {
		struct llm_model *m = mock_model(providers[i]);
		struct llm_reply r;
		cr_assert_eq(ask(c, m, "truncated", &r, NULL), -EPROTO);
		cr_assert(r.truncated);
		cr_assert_eq(r.attempts, 1);
		cr_assert_null(r.text);
		cr_assert_gt(r.completion_tokens, 0);
		cr_assert(strstr(r.error, "cut off"), "%s", r.error);
		llm_reply_clear(&r);
		llm_model_free(m);
	}
	llm_client_free(c);
}

Test(llm, attempts_exhausted)
{
	struct llm_client *c = fast_client(3, 10);
	struct llm_model *m = mock_model("openai");
	struct llm_reply r;
	struct notes n = {0};
	char prompt[] = "## Kernel: always500\n";
	struct llm_request req = {.model = m, .prompt = prompt};
	cr_assert_eq(llm_complete(c, &req, &r, NULL, note, &n), -EIO);
	cr_assert_eq(r.attempts, 3);
	cr_assert_eq(r.http_status, 500);
	cr_assert_eq(n.count, 2);
	cr_assert(strstr(r.error, "HTTP 500: mock: scripted HTTP 500"), "%s", r.error);
	cr_assert(strstr(r.error, "gave up after 3 attempts"), "%s", r.error);
	llm_reply_clear(&r);
	llm_model_free(m);
	llm_client_free(c);
}

Test(llm, client_error_fails_at_once)
{
	struct llm_client *c = fast_client(5, 10);
	struct llm_model *m = mock_model("openai");
	struct llm_reply r;
	cr_assert_eq(ask(c, m, "r400", &r, NULL), -EINVAL);
	cr_assert_eq(r.attempts, 1);
	cr_assert_eq(r.http_status, 400);
	cr_assert(strstr(r.error, "HTTP 400: mock: scripted HTTP 400"), "%s", r.error);
	llm_reply_clear(&r);
	/* An unknown kernel matches no rule: the mock's 400 names it. */
	cr_assert_eq(ask(c, m, "nothing-matches", &r, NULL), -EINVAL);
	cr_assert(strstr(r.error, "no rule matches"), "%s", r.error);
	llm_reply_clear(&r);
	llm_model_free(m);
	llm_client_free(c);
}

Test(llm, connection_refused)
{
	struct llm_client *c = fast_client(2, 5);
	struct llm_model *m;
	char err[256];
	struct llm_reply r;
	/* The mock's port after the mock is gone: nothing listens there. */
	char spec[128];
	snprintf(spec, sizeof(spec), "openai@http://127.0.0.1:%d/v1::m", mock_port);
	mock_stop();
	cr_assert_eq(llm_model_parse(spec, &m, err, sizeof(err)), 0);
	cr_assert_eq(ask(c, m, "ok", &r, NULL), -ECONNREFUSED);
	cr_assert_eq(r.attempts, 2);
	cr_assert(strstr(r.error, "cannot connect"), "%s", r.error);
	llm_reply_clear(&r);
	llm_model_free(m);
	llm_client_free(c);
}

/* ---- keys ---- */

Test(llm, key_never_in_error)
{
	setenv("OPENAI_API_KEY", "sk-test-SECRET123", 1);
	setenv("ANTHROPIC_API_KEY", "sk-ant-test-SECRET456", 1);
	struct llm_client *c = fast_client(3, 10);
	const char *providers[] = {"openai", "anthropic"};
	for (int i = 0; i < 2; i++) {
		struct llm_model *m = mock_model(providers[i]);
		struct llm_reply r;
		cr_assert_eq(ask(c, m, "echokey", &r, NULL), -EACCES);
		cr_assert_eq(r.attempts, 1);
		cr_assert_eq(r.http_status, 401);
		cr_assert(strstr(r.error, "Incorrect API key provided"), "%s", r.error);
		cr_assert_null(strstr(r.error, "SECRET"), "%s", r.error);
		cr_assert_null(strstr(r.error, "sk-"), "%s", r.error);
		llm_reply_clear(&r);
		llm_model_free(m);
	}
	/* A key of any shape is removed by its value. */
	setenv("OPENAI_API_KEY", "plainSECRETvalue", 1);
	struct llm_model *m = mock_model("openai");
	struct llm_reply r;
	cr_assert_eq(ask(c, m, "echokey", &r, NULL), -EACCES);
	cr_assert_null(strstr(r.error, "SECRET"), "%s", r.error);
	cr_assert(strstr(r.error, "[redacted]"), "%s", r.error);
	llm_reply_clear(&r);
	llm_model_free(m);

	/* The key was sent (the mock saw an auth header). */
	FILE *f = fopen(mock_log, "r");
	cr_assert_not_null(f);
	char line[2048];
	int with_auth = 0;
	while (fgets(line, sizeof(line), f))
		with_auth += strstr(line, "\"auth\":true") != NULL;
	fclose(f);
	cr_assert_eq(with_auth, 3);
	llm_client_free(c);
}

/* ---- concurrency and cancellation ---- */

struct par {
	struct llm_client *c;
	struct llm_model *m;
	int rc;
};

static void *par_main(void *arg)
{
	struct par *p = arg;
	struct llm_reply r;
	p->rc = ask(p->c, p->m, "slow", &r, NULL);
	llm_reply_clear(&r);
	return NULL;
}

Test(llm, in_flight_limit_holds)
{
	struct llm_client_opts o = {.max_in_flight = 2, .timeout_s = 10, .max_attempts = 1};
	struct llm_client *c = llm_client_new(&o);
	struct llm_model *m = mock_model("openai");
	enum { N = 6 };
	pthread_t t[N];
	struct par p[N];
	double t0 = now_s();
	for (int i = 0; i < N; i++) {
		p[i] = (struct par){c, m, -1};
		pthread_create(&t[i], NULL, par_main, &p[i]);
	}
	for (int i = 0; i < N; i++) {
		pthread_join(t[i], NULL);
		cr_assert_eq(p[i].rc, 0);
	}
	double dt = now_s() - t0;
	/* 6 requests of 300 ms, two at a time: three rounds. */
	cr_assert_geq(dt, 0.85, "finished in %.3f s: more than 2 in flight?", dt);
	cr_assert_lt(dt, 3.0);
	FILE *f = fopen(mock_log, "r");
	cr_assert_not_null(f);
	char line[2048];
	int max = 0;
	int count = 0;
	while (fgets(line, sizeof(line), f)) {
		cJSON *o2 = cJSON_Parse(line);
		cJSON *v = cJSON_GetObjectItem(o2, "in_flight");
		if (cJSON_IsNumber(v) && v->valueint > max)
			max = v->valueint;
		count++;
		cJSON_Delete(o2);
	}
	fclose(f);
	cr_assert_eq(count, N);
	cr_assert_eq(max, 2, "the mock saw %d requests at once", max);
	llm_model_free(m);
	llm_client_free(c);
}

struct canceller {
	atomic_int *flag;
	double after_s;
};

static void *cancel_main(void *arg)
{
	struct canceller *k = arg;
	struct timespec ts = {0, (long)(k->after_s * 1e9)};
	nanosleep(&ts, NULL);
	atomic_store(k->flag, 1);
	return NULL;
}

Test(llm, cancel_aborts_stalled_request)
{
	struct llm_client *c = fast_client(3, 60);
	struct llm_model *m = mock_model("openai");
	atomic_int flag = 0;
	struct canceller k = {&flag, 0.2};
	pthread_t t;
	pthread_create(&t, NULL, cancel_main, &k);
	struct llm_reply r;
	double t0 = now_s();
	cr_assert_eq(ask(c, m, "hang", &r, &flag), -ECANCELED);
	double dt = now_s() - t0;
	pthread_join(t, NULL);
	cr_assert_lt(dt, 0.6, "cancel took %.3f s", dt);
	cr_assert(strstr(r.error, "cancelled"), "%s", r.error);
	llm_reply_clear(&r);
	llm_model_free(m);
	llm_client_free(c);
}

Test(llm, cancel_during_backoff)
{
	struct llm_client *c = fast_client(3, 10);
	struct llm_model *m = mock_model("openai");
	atomic_int flag = 0;
	struct canceller k = {&flag, 0.2};
	pthread_t t;
	pthread_create(&t, NULL, cancel_main, &k);
	struct llm_reply r;
	double t0 = now_s();
	cr_assert_eq(ask(c, m, "r429", &r, &flag), -ECANCELED);
	double dt = now_s() - t0;
	pthread_join(t, NULL);
	cr_assert_lt(dt, 0.6, "cancel took %.3f s", dt);
	cr_assert_eq(r.attempts, 1);
	llm_reply_clear(&r);

	/* Already cancelled: no request at all. */
	cr_assert_eq(ask(c, m, "ok", &r, &flag), -ECANCELED);
	cr_assert_eq(r.attempts, 0);
	llm_reply_clear(&r);
	llm_model_free(m);
	llm_client_free(c);
}

/* ---- the mock itself ---- */

/* Sends raw bytes to the mock and returns the status code of the answer. */
static int raw_status(const char *request)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)mock_port),
				.sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	cr_assert_eq(connect(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	cr_assert_eq(write(fd, request, strlen(request)), (ssize_t)strlen(request));
	char buf[256] = "";
	struct pollfd p = {fd, POLLIN, 0};
	ssize_t n = 0;
	if (poll(&p, 1, 5000) > 0)
		n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	int status = 0;
	if (n > 0)
		sscanf(buf, "HTTP/1.1 %d", &status);
	return status;
}

/* A POST of body to path, as raw HTTP; the status code. */
static int raw_post(const char *path, const char *body)
{
	char req[1024];
	snprintf(req, sizeof(req), "POST %s HTTP/1.1\r\nHost: x\r\nContent-Length: %zu\r\n\r\n%s",
		 path, strlen(body), body);
	return raw_status(req);
}

Test(llm, mock_refuses_malformed_requests)
{
	cr_assert_eq(raw_status("hello there\r\n\r\n"), 400);
	cr_assert_eq(raw_post("/v1/chat/completions", "hello"), 400);
	cr_assert_eq(raw_post("/v1/chat/completions", "{\"model\":1}"), 400);
	cr_assert_eq(raw_post("/v1/chat/completions", "{\"model\":\"m\",\"messages\":[]}"), 400);
	/* The Messages API requires max_tokens. */
	cr_assert_eq(raw_post("/v1/messages",
			      "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}"),
		     400);
	cr_assert_eq(raw_status("POST /v1/chat/completions HTTP/1.1\r\nContent-Length: x\r\n\r\n"), 400);
	/* The Responses API requires an input. */
	cr_assert_eq(raw_post("/v1/responses", "{\"model\":\"m\"}"), 400);
	cr_assert_eq(raw_post("/v1/responses", "{\"model\":\"m\",\"input\":\"## Kernel: ok\"}"), 200);
	cr_assert_eq(raw_status("GET /nowhere HTTP/1.1\r\n\r\n"), 404);
	cr_assert_eq(raw_status("GET /health HTTP/1.1\r\n\r\n"), 200);
	/* Still serving after all that. */
	cr_assert_eq(raw_post("/chat/completions",
			      "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"## Kernel: ok\"}]}"),
		     200);
}

/* ---- today's models: parameters, reasoning, the Responses API ---- */

/* A model "PROVIDER@URL::NAME" at the mock. */
static struct llm_model *named_model(const char *provider, const char *name)
{
	char spec[256];
	snprintf(spec, sizeof(spec), "%s@%s::%s", provider,
		 strcmp(provider, "anthropic") ? url_openai : url_anthropic, name);
	struct llm_model *m = NULL;
	char err[256];
	cr_assert_eq(llm_model_parse(spec, &m, err, sizeof(err)), 0, "%s", err);
	return m;
}

/* The mock's log lines, parsed (n of them); free with log_free. */
static cJSON **log_lines(int *n)
{
	cJSON **v = calloc(64, sizeof(*v));
	*n = 0;
	FILE *f = fopen(mock_log, "r");
	cr_assert_not_null(f);
	char line[4096];
	while (*n < 64 && fgets(line, sizeof(line), f))
		v[(*n)++] = cJSON_Parse(line);
	fclose(f);
	return v;
}

static void log_free(cJSON **v, int n)
{
	for (int i = 0; i < n; i++)
		cJSON_Delete(v[i]);
	free(v);
}

static const char *log_str(const cJSON *o, const char *key)
{
	const cJSON *v = cJSON_GetObjectItem(o, key);
	return cJSON_IsString(v) ? v->valuestring : "";
}

static double log_num(const cJSON *o, const char *key)
{
	const cJSON *v = cJSON_GetObjectItem(o, key);
	return cJSON_IsNumber(v) ? v->valuedouble : -1;
}

/* One request with prompt "## Kernel: KERNEL" and the given request fields. */
static int ask_req(struct llm_client *c, struct llm_request *req, const char *kernel,
                   struct llm_reply *r, struct notes *n)
{
	char prompt[512];
	snprintf(prompt, sizeof(prompt), "## Phase: implement\n## Kernel: %s\n\nWrite it.", kernel);
	req->prompt = prompt;
	req->system = "You are a test.";
	return llm_complete(c, req, r, NULL, n ? note : NULL, n);
}

Test(llm, default_caps)
{
	struct llm_model *plain = named_model("openai", "gpt-4.1");
	struct llm_model *reasoner = named_model("openai", "gpt-5.1");
	struct llm_request req = {.model = plain};
	cr_assert_eq(llm_default_cap(&req), 8192);
	req.max_tokens = 1000;
	cr_assert_eq(llm_default_cap(&req), 1000);
	req.max_tokens = 0;
	req.reasoning_effort = "high";
	cr_assert_eq(llm_default_cap(&req), 32768);
	req.reasoning_effort = NULL;
	/* a thinking budget counts for Anthropic only, an effort for OpenAI only */
	req.thinking_budget = 4096;
	cr_assert_eq(llm_default_cap(&req), 8192);
	struct llm_model *claude = named_model("anthropic", "claude-sonnet-4-5");
	req.model = claude;
	cr_assert_eq(llm_default_cap(&req), 4096 + 8192);
	req.thinking_budget = 0;
	req.reasoning_effort = "high";
	cr_assert_eq(llm_default_cap(&req), 8192);
	req.reasoning_effort = NULL;
	llm_model_free(claude);
	req.model = reasoner;
	cr_assert_eq(llm_default_cap(&req), 32768);
	cr_assert(llm_model_reasons(reasoner));
	cr_assert_not(llm_model_reasons(plain));
	llm_model_free(plain);
	llm_model_free(reasoner);
}

Test(llm, reasoning_model_gets_max_completion_tokens_and_counts_reasoning)
{
	struct llm_client *c = fast_client(3, 10);
	struct llm_model *m = named_model("openai", "gpt-5.1");
	struct llm_request req = {.model = m, .temperature = 0.7, .reasoning_effort = "high"};
	struct llm_reply r;
	struct notes n = {0};
	cr_assert_eq(ask_req(c, &req, "ok", &r, &n), 0, "%s", r.error);
	cr_assert_eq(r.attempts, 1);
	cr_assert_eq(r.reasoning_tokens, 256);
	cr_assert_gt(r.completion_tokens, 256);
	cr_assert_eq(r.output_cap, 32768);
	cr_assert_eq(n.count, 0);
	llm_reply_clear(&r);
	int nl;
	cJSON **lines = log_lines(&nl);
	cr_assert_eq(nl, 1);
	cr_assert_str_eq(log_str(lines[0], "cap_param"), "max_completion_tokens");
	cr_assert_str_eq(log_str(lines[0], "effort"), "high");
	cr_assert(cJSON_IsNull(cJSON_GetObjectItem(lines[0], "temperature")));
	log_free(lines, nl);
	llm_model_free(m);
	llm_client_free(c);
}

Test(llm, refused_max_tokens_is_adapted_once_and_remembered)
{
	struct llm_client *c = fast_client(3, 10);
	/* a reasoning model deployed under a name of its own */
	struct llm_model *m = named_model("openai", "reasoner-prod");
	struct llm_request req = {.model = m, .temperature = 1};
	struct llm_reply r;
	struct notes n = {0};
	cr_assert_eq(ask_req(c, &req, "ok", &r, &n), 0, "%s", r.error);
	cr_assert_eq(r.attempts, 2);
	cr_assert_eq(n.count, 1);
	cr_assert(strstr(n.last, "refuses max_tokens"), "%s", n.last);
	cr_assert(strstr(n.last, "Unsupported parameter: 'max_tokens'"), "the provider's words: %s",
		  n.last);
	cr_assert(strstr(n.last, "sending max_completion_tokens from now on"), "%s", n.last);
	llm_reply_clear(&r);
	/* the next call goes straight to the parameter that works, in silence */
	cr_assert_eq(ask_req(c, &req, "ok", &r, &n), 0, "%s", r.error);
	cr_assert_eq(r.attempts, 1);
	cr_assert_eq(n.count, 1);
	llm_reply_clear(&r);
	int nl;
	cJSON **lines = log_lines(&nl);
	cr_assert_eq(nl, 3);
	cr_assert_str_eq(log_str(lines[0], "cap_param"), "max_tokens");
	cr_assert_eq(log_num(lines[0], "status"), 400);
	cr_assert_str_eq(log_str(lines[1], "cap_param"), "max_completion_tokens");
	cr_assert_str_eq(log_str(lines[2], "cap_param"), "max_completion_tokens");
	log_free(lines, nl);
	/* another client (another mount) learns anew */
	struct llm_client *c2 = fast_client(3, 10);
	cr_assert_eq(ask_req(c2, &req, "ok", &r, NULL), 0, "%s", r.error);
	cr_assert_eq(r.attempts, 2);
	llm_reply_clear(&r);
	llm_client_free(c2);
	llm_model_free(m);
	llm_client_free(c);
}

Test(llm, compatible_server_falls_back_to_max_tokens)
{
	struct llm_client *c = fast_client(3, 10);
	/* a proxy name that looks like OpenAI's, served by an older server */
	struct llm_model *m = named_model("openai", "compat/gpt-5-mini");
	struct llm_request req = {.model = m, .reasoning_effort = "low"};
	struct llm_reply r;
	struct notes n = {0};
	cr_assert_eq(ask_req(c, &req, "ok", &r, &n), 0, "%s", r.error);
	/* max_completion_tokens refused, then reasoning_effort: one lesson each */
	cr_assert_eq(r.attempts, 3);
	cr_assert_eq(n.count, 2);
	cr_assert(strstr(n.last, "refuses reasoning_effort"), "%s", n.last);
	cr_assert(strstr(n.last, "extra_forbidden"), "%s", n.last);
	llm_reply_clear(&r);
	int nl;
	cJSON **lines = log_lines(&nl);
	cr_assert_eq(nl, 3);
	cr_assert_str_eq(log_str(lines[0], "cap_param"), "max_completion_tokens");
	cr_assert_str_eq(log_str(lines[1], "cap_param"), "max_tokens");
	cr_assert_str_eq(log_str(lines[1], "effort"), "low");
	cr_assert_str_eq(log_str(lines[2], "effort"), "");
	cr_assert_eq(log_num(lines[2], "status"), 200);
	log_free(lines, nl);
	llm_model_free(m);
	llm_client_free(c);
}

Test(llm, refused_temperature_is_left_out)
{
	struct llm_client *c = fast_client(3, 10);
	struct llm_model *m = named_model("openai", "fixedtemp-m");
	struct llm_request req = {.model = m, .temperature = 0.5};
	struct llm_reply r;
	struct notes n = {0};
	cr_assert_eq(ask_req(c, &req, "ok", &r, &n), 0, "%s", r.error);
	cr_assert_eq(r.attempts, 2);
	cr_assert(strstr(n.last, "refuses temperature"), "%s", n.last);
	cr_assert(strstr(n.last, "leaving temperature out"), "%s", n.last);
	llm_reply_clear(&r);
	llm_model_free(m);
	llm_client_free(c);
}

Test(llm, adapting_never_loops)
{
	struct llm_client *c = fast_client(5, 10);
	struct llm_model *m = named_model("openai", "nocap-m");
	struct llm_request req = {.model = m};
	struct llm_reply r;
	struct notes n = {0};
	cr_assert_eq(ask_req(c, &req, "ok", &r, &n), -EINVAL);
	/* max_tokens refused, max_completion_tokens refused: the end */
	cr_assert_eq(r.attempts, 2);
	cr_assert_eq(n.count, 1);
	cr_assert(strstr(r.error, "HTTP 400: Unsupported parameter: 'max_completion_tokens'"),
		  "the provider's message: %s", r.error);
	llm_reply_clear(&r);
	cr_assert_eq(ask_req(c, &req, "ok", &r, &n), -EINVAL);
	cr_assert_eq(r.attempts, 1);
	llm_reply_clear(&r);
	llm_model_free(m);
	llm_client_free(c);
}

Test(llm, responses_api)
{
	struct llm_client *c = fast_client(3, 10);
	struct llm_model *m = named_model("openai-responses", "gpt-5.1");
	struct llm_request req = {.model = m, .temperature = 1, .reasoning_effort = "medium"};
	struct llm_reply r;
	cr_assert_eq(ask_req(c, &req, "ok", &r, NULL), 0, "%s", r.error);
	cr_assert_str_eq(r.text, "Here you go.\n\n```c\nint x;\n```\n");
	cr_assert_str_eq(r.reasoning, "thinking about x");
	cr_assert_eq(r.reasoning_tokens, 256);
	cr_assert_gt(r.prompt_tokens, 0);
	cr_assert_eq(r.attempts, 1);
	llm_reply_clear(&r);
	int nl;
	cJSON **lines = log_lines(&nl);
	cr_assert_eq(nl, 1);
	cr_assert_str_eq(log_str(lines[0], "path"), "/v1/responses");
	cr_assert_str_eq(log_str(lines[0], "provider"), "openai-responses");
	cr_assert_str_eq(log_str(lines[0], "cap_param"), "max_output_tokens");
	cr_assert_str_eq(log_str(lines[0], "effort"), "medium");
	log_free(lines, nl);
	/* shared transport: retries and key secrecy */
	cr_assert_eq(ask_req(c, &req, "r500", &r, NULL), 0, "%s", r.error);
	cr_assert_str_eq(r.text, "after 500");
	cr_assert_eq(r.attempts, 3);
	llm_reply_clear(&r);
	setenv("OPENAI_API_KEY", "sk-test-SECRET789", 1);
	cr_assert_eq(ask_req(c, &req, "echokey", &r, NULL), -EACCES);
	cr_assert_null(strstr(r.error, "SECRET"), "%s", r.error);
	llm_reply_clear(&r);
	llm_model_free(m);
	llm_client_free(c);
}

Test(llm, reasoning_eats_the_cap_and_says_which_key)
{
	struct llm_client *c = fast_client(3, 10);
	const char *providers[] = {"openai-responses", "openai"};
	for (int i = 0; i < 2; i++) {
		struct llm_model *m = named_model(providers[i], "gpt-5.1");
		struct llm_request req = {.model = m, .reasoning_effort = "high"};
		struct llm_reply r;
		cr_assert_eq(ask_req(c, &req, "deepthought", &r, NULL), -EPROTO);
		cr_assert(r.truncated);
		cr_assert_eq(r.attempts, 1);
		cr_assert_eq(r.reasoning_tokens, 32768, "%ld", r.reasoning_tokens);
		cr_assert(strstr(r.error, "cut off at the output cap of 32768 tokens"), "%s", r.error);
		cr_assert(strstr(r.error, "raise \"max_output_tokens\""), "%s", r.error);
		cr_assert(strstr(r.error, "lower \"reasoning_effort\""), "%s", r.error);
		llm_reply_clear(&r);
		llm_model_free(m);
	}
	llm_client_free(c);
}

Test(llm, anthropic_extended_thinking)
{
	struct llm_client *c = fast_client(3, 10);
	struct llm_model *m = named_model("anthropic", "claude-sonnet-4-5");
	struct llm_request req = {.model = m, .temperature = 0.5, .thinking_budget = 2048};
	struct llm_reply r;
	cr_assert_eq(ask_req(c, &req, "usage", &r, NULL), 0, "%s", r.error);
	cr_assert(strstr(r.reasoning, "unit-stride"), "%s", r.reasoning);
	cr_assert_null(strstr(r.text, "unit-stride"), "%s", r.text);
	cr_assert_gt(r.reasoning_tokens, 0);
	cr_assert_eq(r.output_cap, 2048 + 8192);
	cr_assert_eq(r.attempts, 1);
	llm_reply_clear(&r);
	int nl;
	cJSON **lines = log_lines(&nl);
	cr_assert_eq(nl, 1);
	cr_assert_eq(log_num(lines[0], "thinking_budget"), 2048);
	cr_assert_eq(log_num(lines[0], "cap"), 2048 + 8192);
	cr_assert(cJSON_IsNull(cJSON_GetObjectItem(lines[0], "temperature")),
		  "no temperature with thinking");
	log_free(lines, nl);
	/* a cap below the budget: the API's own words come back */
	req.max_tokens = 1500;
	cr_assert_eq(ask_req(c, &req, "ok", &r, NULL), -EINVAL);
	cr_assert(strstr(r.error, "must be greater than `thinking.budget_tokens`"), "%s", r.error);
	llm_reply_clear(&r);
	llm_model_free(m);
	llm_client_free(c);
}

Test(llm, anthropic_overloaded_529_is_retried)
{
	struct llm_client *c = fast_client(3, 10);
	struct llm_model *m = mock_model("anthropic");
	struct llm_reply r;
	cr_assert_eq(ask(c, m, "r529", &r, NULL), 0, "%s", r.error);
	cr_assert_str_eq(r.text, "after 529");
	cr_assert_eq(r.attempts, 2);
	llm_reply_clear(&r);
	llm_model_free(m);
	llm_client_free(c);
}

/* A Responses API body read as llm_complete reads it. */
static int parse_responses(const char *body, struct llm_reply *r, char *detail)
{
	memset(r, 0, sizeof(*r));
	return llm_parse_reply("openai-responses", body, strlen(body), r, detail, 256);
}

Test(llm, responses_bodies)
{
	struct llm_reply r;
	char detail[256];
	cr_assert_eq(parse_responses(
		"{\"status\":\"completed\",\"output\":["
		"{\"type\":\"reasoning\",\"summary\":[{\"type\":\"summary_text\",\"text\":\"hmm\"}]},"
		"{\"type\":\"message\",\"content\":[{\"type\":\"output_text\",\"text\":\"A\"},"
		"{\"type\":\"output_text\",\"text\":\"B\"}]}],"
		"\"usage\":{\"input_tokens\":5,\"output_tokens\":9,"
		"\"output_tokens_details\":{\"reasoning_tokens\":7}},\"error\":null}", &r, detail), 0,
		"%s", detail);
	cr_assert_str_eq(r.text, "AB");
	cr_assert_str_eq(r.reasoning, "hmm");
	cr_assert_eq(r.reasoning_tokens, 7);
	cr_assert_eq(r.completion_tokens, 9);
	cr_assert_not(r.truncated);
	llm_reply_clear(&r);
	/* cut off while reasoning: truncated, no text */
	cr_assert_eq(parse_responses(
		"{\"status\":\"incomplete\",\"incomplete_details\":{\"reason\":\"max_output_tokens\"},"
		"\"output\":[{\"type\":\"reasoning\",\"summary\":[]}],"
		"\"usage\":{\"output_tokens\":100,\"output_tokens_details\":{\"reasoning_tokens\":100}}}",
		&r, detail), 0, "%s", detail);
	cr_assert(r.truncated);
	cr_assert_null(r.text);
	llm_reply_clear(&r);
	/* incomplete for another reason, refusals, no output */
	cr_assert_eq(parse_responses("{\"status\":\"incomplete\",\"incomplete_details\":"
				     "{\"reason\":\"content_filter\"},\"output\":[]}", &r, detail),
		     -EPROTO);
	cr_assert(strstr(detail, "content_filter"), "%s", detail);
	llm_reply_clear(&r);
	cr_assert_eq(parse_responses("{\"status\":\"completed\",\"output\":[{\"type\":\"message\","
				     "\"content\":[{\"type\":\"refusal\",\"refusal\":\"no\"}]}]}",
				     &r, detail), -EPROTO);
	cr_assert(strstr(detail, "refused: no"), "%s", detail);
	llm_reply_clear(&r);
	cr_assert_eq(parse_responses("{\"status\":\"completed\"}", &r, detail), -EPROTO);
	llm_reply_clear(&r);
	cr_assert_eq(parse_responses("{\"status\":\"failed\",\"error\":{\"message\":\"boom\"},"
				     "\"output\":[]}", &r, detail), -EPROTO);
	cr_assert(strstr(detail, "boom"), "%s", detail);
	llm_reply_clear(&r);
}

Test(llm, model_parse_responses_provider)
{
	struct llm_model *m;
	char err[256];
	cr_assert_eq(llm_model_parse("openai-responses::gpt-5.1", &m, err, sizeof(err)), 0, "%s", err);
	cr_assert_str_eq(m->provider, "openai-responses");
	cr_assert_str_eq(m->name, "gpt-5.1");
	llm_model_free(m);
	cr_assert_eq(llm_model_parse("openai-responses@http://127.0.0.1:9/v1::o3", &m, err,
				     sizeof(err)), 0, "%s", err);
	cr_assert_str_eq(m->base_url, "http://127.0.0.1:9/v1");
	llm_model_free(m);
	struct llm_client *c = fast_client(2, 5);
	struct llm_reply r;
	cr_assert_eq(llm_model_parse("openai-responses::o3", &m, err, sizeof(err)), 0);
	cr_assert_eq(ask(c, m, "ok", &r, NULL), -ENOKEY);
	cr_assert_str_eq(r.error, "OPENAI_API_KEY is not set");
	llm_reply_clear(&r);
	llm_model_free(m);
	llm_client_free(c);
}
