/*
 * e2e_faults.c - what goes wrong around a search: the LLM and the
 * toolchain.
 *
 * all_at_once: one mount holds a kernel for every fault tests/mock/unit
 * plays (chosen by kernel name: always 500, garbage JSON, a 401 echoing
 * the key, hang-ups, no code, cut-off replies, 400, a 429/500/malformed
 * answer that a retry gets past), a kernel whose compiler does not exist, one whose compiler
 * segfaults, one whose compiler vanishes mid-search, and a normal gemm
 * search. Each ends in words, the key appears nowhere, the daemon stays
 * up, and the normal search gets faster as if nothing had happened.
 *
 * llm_outage: the LLM server goes away in the middle of a search and comes
 * back on the same port two seconds later: the search waits (retrying, in
 * the log) and finishes with no candidate lost to the outage. A model
 * nobody listens for is waited for, and the status says so.
 */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "ac_config.h"
#include "tests/support.h"

static struct mnt m;
static pid_t mocks[3];
static char tools[64];   /* world-readable: compilers the sandbox user runs */

static const char *SECRET = "OPENAI_API_KEY=sk-test-FAULTS-9090";

static void setup(void)
{
	mnt_init(&m);
	snprintf(tools, sizeof(tools), "/tmp/acfs-tools-XXXXXX");
	cr_assert(mkdtemp(tools));
	cr_assert_eq(chmod(tools, 0755), 0);
	mocks[0] = mocks[1] = mocks[2] = 0;
}

static void teardown(void)
{
	mnt_cleanup(&m);
	for (int i = 0; i < 3; i++)
		mock_stop(mocks[i]);
	sh("rm -rf '%s'", tools);
}

TestSuite(faults, .init = setup, .fini = teardown, .timeout = 600);

/* Starts build/mock-llm on port (0: any) with latency; returns the port. */
static int mock_on(const char *script, int port, int latency_ms, const char *log, pid_t *pid)
{
	const char *mock = getenv("AC_MOCK_LLM");
	char def[1024], dir[1024], portv[16], lat[16];
	if (!mock || !*mock) {
		snprintf(def, sizeof(def), "%s/mock-llm", AC_BUILD_DIR);
		mock = def;
	}
	snprintf(dir, sizeof(dir), "%s/%s", src_dir(), script);
	snprintf(portv, sizeof(portv), "%d", port);
	snprintf(lat, sizeof(lat), "%d", latency_ms);
	int p[2];
	cr_assert(pipe(p) == 0);
	pid_t parent = getpid();
	pid_t child = fork();
	cr_assert(child >= 0);
	if (child == 0) {
		prctl(PR_SET_PDEATHSIG, SIGTERM);
		if (getppid() != parent)
			_exit(1);
		dup2(p[1], 1);
		close(p[0]);
		close(p[1]);
		execl(mock, mock, "--script", dir, "--port", portv, "--latency-ms", lat, "--log",
		      log ? log : "/dev/null", (char *)NULL);
		_exit(127);
	}
	close(p[1]);
	char buf[64] = "";
	size_t n = 0;
	while (n < sizeof(buf) - 1 && read(p[0], buf + n, 1) == 1 && buf[n] != '\n')
		n++;
	buf[n] = '\0';
	close(p[0]);
	*pid = child;
	return atoi(buf);
}

/* A port on 127.0.0.1 that nobody listens on (bound, then closed). */
static int dead_port(void)
{
	struct sockaddr_in a;
	socklen_t len = sizeof(a);
	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	int s = socket(AF_INET, SOCK_STREAM, 0);
	cr_assert(s >= 0);
	cr_assert_eq(bind(s, (struct sockaddr *)&a, sizeof(a)), 0);
	cr_assert_eq(getsockname(s, (struct sockaddr *)&a, &len), 0);
	close(s);
	return ntohs(a.sin_port);
}

static void add_gemm(const char *name, const char *config)
{
	cr_assert_eq(sh("mkdir %s/kernels/%s && printf '%%s' '%s' > %s/kernels/%s/config.json && "
	                "cp %s/tests/kernels/gemm/* %s/kernels/%s/",
	                m.dir, name, config, m.dir, name, src_dir(), m.dir, name), 0,
	             "adding %s", name);
}

static void write_tool(const char *name, const char *text)
{
	char path[200];
	snprintf(path, sizeof(path), "%s/%s", tools, name);
	FILE *f = fopen(path, "w");
	cr_assert(f);
	fputs(text, f);
	fclose(f);
	cr_assert_eq(chmod(path, 0755), 0);
}

static bool daemon_alive(void)
{
	int st;
	return m.pid > 0 && waitpid(m.pid, &st, WNOHANG) == 0;
}

/* The kernel's final status, its log and metrics.json, all in one string
 * (caller frees): what a user would read to learn what happened. */
static char *words_of(const char *kernel)
{
	char *st = wait_final(&m, kernel, 300);
	cr_assert(st, "%s did not end", kernel);
	char *log = slurpf("%s/kernels/%s/log", m.dir, kernel);
	char *metrics = slurpf("%s/kernels/%s/metrics.json", m.dir, kernel);
	char *all = NULL;
	cr_assert(asprintf(&all, "%s\n%s\n%s", st, log ? log : "", metrics ? metrics : "") > 0);
	free(st);
	free(log);
	free(metrics);
	return all;
}

struct llm_fault {
	const char *kernel;   /* the unit script's behaviour of that name */
	const char *words;    /* what the user must be told */
};

static const struct llm_fault llm_faults[] = {
	{"always500", "HTTP 500"},
	{"badjson", "malformed reply"},
	{"echokey", "HTTP 401"},
	{"close", "gave up after"},
	{"nocode", "no code in reply"},
	{"truncated", "cut off at the length limit"},
	{"r400", "HTTP 400"},
	{"r429", "429 from"},
	{"r500", "500 from"},
	{"malformed", "malformed"},
};
#define NLLM (sizeof(llm_faults) / sizeof(llm_faults[0]))

Test(faults, all_at_once)
{
	int unit = mock_on("tests/mock/unit", 0, 0, NULL, &mocks[0]);
	int gemm = mock_on("tests/mock/gemm", 0, 0, NULL, &mocks[1]);
	/* the vanishing-compiler kernel gets its own scripted model: a script's
	 * rotation of good and broken code is shared by every kernel asking it */
	int gemm2 = mock_on("tests/mock/gemm", 0, 0, NULL, &mocks[2]);
	cr_assert(unit > 0 && gemm > 0 && gemm2 > 0);
	const char *env[] = {SECRET, NULL};
	mnt_start(&m, NULL, env);

	char config[600];
	snprintf(config, sizeof(config), "{\"models\": [\"openai@http://127.0.0.1:%d/v1::mock\"], "
	         "\"iterations\": 1, \"beam\": 2, \"plans\": 2, \"implementations\": 1}", gemm);
	add_gemm("normal", config);
	/* its compiler vanishes once the baseline is built */
	write_tool("vanishing-cc", "#!/bin/sh\nexec cc \"$@\"\n");
	snprintf(config, sizeof(config), "{\"models\": [\"openai@http://127.0.0.1:%d/v1::mock\"], "
	         "\"iterations\": 1, \"beam\": 2, \"plans\": 2, \"implementations\": 1, "
	         "\"cc\": \"%s/vanishing-cc\"}", gemm2, tools);
	add_gemm("vanish", config);
	for (size_t i = 0; i < NLLM; i++) {
		snprintf(config, sizeof(config), "{\"models\": [\"openai@http://127.0.0.1:%d/v1::m\"], "
		         "\"iterations\": 1, \"beam\": 1, \"plans\": 1, \"implementations\": 1}", unit);
		add_gemm(llm_faults[i].kernel, config);
	}
	add_gemm("nocc", "{\"cc\": \"/nonexistent/gcc\"}");
	write_tool("segv-cc", "#!/bin/sh\nkill -SEGV $$\n");
	snprintf(config, sizeof(config), "{\"cc\": \"%s/segv-cc\"}", tools);
	add_gemm("segvcc", config);

	char path[400];
	snprintf(path, sizeof(path), "%s/kernels/vanish/log", m.dir);
	cr_assert(wait_contains(path, "candidate 0: ok", 120), "vanish: no baseline");
	cr_assert_eq(sh("rm %s/vanishing-cc", tools), 0);

	/* the compilers */
	char *w = words_of("nocc");
	cr_expect(!strncmp(w, "failed: ", 8) && strstr(w, "compiler /nonexistent/gcc not found"),
	          "nocc does not name the missing compiler:\n%s", w);
	free(w);
	char *log0 = slurpf("%s/kernels/nocc/candidates/0.log", m.dir);
	cr_expect(log0 && strstr(log0, "/nonexistent/gcc"), "%s", log0 ? log0 : "");
	free(log0);
	w = words_of("segvcc");
	cr_expect(!strncmp(w, "failed: ", 8), "%s", w);
	free(w);
	log0 = slurpf("%s/kernels/segvcc/candidates/0.log", m.dir);
	cr_expect(log0 && strstr(log0, "SIGSEGV"), "segvcc: %s", log0 ? log0 : "");
	free(log0);

	/* the LLM faults: each search ends, in words */
	for (size_t i = 0; i < NLLM; i++) {
		w = words_of(llm_faults[i].kernel);
		cr_expect(!strncmp(w, "done: 1 iterations", 18), "%s: %.300s", llm_faults[i].kernel, w);
		cr_expect(strstr(w, llm_faults[i].words), "%s: no \"%s\" in\n%s", llm_faults[i].kernel,
		          llm_faults[i].words, w);
		free(w);
	}

	/* the vanished compiler: the search ends, and says why */
	w = words_of("vanish");
	cr_expect(!strncmp(w, "done: 1 iterations", 18), "vanish: %.300s", w);
	cr_expect(strstr(w, "vanishing-cc not found"), "vanish does not say what happened:\n%s", w);
	free(w);

	/* the normal search was untouched */
	w = words_of("normal");
	cr_assert(!strncmp(w, "done: 1 iterations", 18), "normal: %.300s", w);
	const char *sp = strstr(w, "\"run\":");
	sp = sp ? strstr(sp, "\"speedup\":") : NULL;
	cr_expect(sp && atof(sp + 10) > 1.0, "normal did not get faster");
	free(w);

	cr_assert(daemon_alive(), "the daemon died");
	cr_expect_eq(sh("grep -r -a -s -q --exclude=ctl 'FAULTS-9090' %s/kernels %s/status", m.dir,
	                m.dir), 1, "the key is in the mount");
	cr_expect_eq(sh("grep -r -a -s -q 'FAULTS-9090' %s", m.state), 1, "the key is stored");
	cr_assert_eq(mnt_stop(&m), 0);
}

Test(faults, llm_outage)
{
	char mocklog[400];
	snprintf(mocklog, sizeof(mocklog), "%s/mock.log", m.base);
	/* every answer takes 300 ms, so that the outage lands mid-search */
	int port = mock_on("tests/mock/unit", 0, 300, mocklog, &mocks[0]);
	cr_assert(port > 0);
	int dead = dead_port();
	const char *env[] = {SECRET, NULL};
	mnt_start(&m, NULL, env);

	char config[600];
	/* "ok" is the unit script's well-behaved kernel */
	snprintf(config, sizeof(config), "{\"models\": [\"openai@http://127.0.0.1:%d/v1::m\"], "
	         "\"iterations\": 2, \"beam\": 1, \"plans\": 3, \"implementations\": 1}", port);
	add_gemm("ok", config);
	snprintf(config, sizeof(config), "{\"models\": [\"openai@http://127.0.0.1:%d/v1::m\"], "
	         "\"iterations\": 1, \"beam\": 1, \"plans\": 1, \"implementations\": 1}", dead);
	add_gemm("gone", config);
	time_t t0 = time(NULL);

	/* the server goes away after its first answers, for two seconds */
	cr_assert(wait_contains(mocklog, "\"status\":200", 120), "the mock was never asked");
	mock_stop(mocks[0]);
	mocks[0] = 0;
	sleep(2);
	cr_assert_eq(mock_on("tests/mock/unit", port, 300, mocklog, &mocks[0]), port,
	             "the mock did not come back on port %d", port);

	char *w = words_of("ok");
	cr_assert(!strncmp(w, "done: 2 iterations", 18), "%.400s", w);
	cr_expect(strstr(w, "connection refused from") || strstr(w, "network error from"),
	          "the log does not say the LLM was unreachable:\n%s", w);
	cr_expect(strstr(w, "retrying in"), "%s", w);
	cr_expect(!strstr(w, "gave up after"), "the outage cost candidates:\n%s", w);
	cr_expect(!strstr(w, "\"outcome\":\t\"failed\""), "an LLM call failed for good:\n%s", w);
	free(w);

	/* nobody listens at all: after the client's retries the search waits for
	 * the model instead of failing every candidate, and the status says so */
	char path[600];
	snprintf(path, sizeof(path), "%s/kernels/gone/status", m.dir);
	cr_assert(wait_contains(path, "unreachable", 180), "%s", slurp(path));
	cr_log_info("an unreachable model was waited for after %ld s", (long)(time(NULL) - t0));
	w = slurpf("%s/kernels/gone/log", m.dir);
	cr_expect(strstr(w, "cannot connect to") && strstr(w, "the search waits"), "%s", w);
	cr_expect(!strstr(w, "candidate 1: failed"), "no candidate is failed for it: %s", w);
	free(w);
	cr_assert(daemon_alive(), "the daemon died");
	cr_assert_eq(mnt_stop(&m), 0);
}
