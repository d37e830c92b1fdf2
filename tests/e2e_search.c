/*
 * e2e_search.c - the LLM search through a real mount, over real HTTP,
 * against build/mock-llm playing tests/mock/gemm (every fault kind, real
 * faster GEMMs, broken ones).
 */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "tests/support.h"

static struct mnt m;
static pid_t mock;
static int port;
static char mocklog[400];
static char modelopt[300];

static void setup(void)
{
	mnt_init(&m);
	snprintf(mocklog, sizeof(mocklog), "%s/mock.log", m.base);
	port = mock_start("tests/mock/gemm", 0, mocklog, &mock);
	snprintf(modelopt, sizeof(modelopt), "models=openai@http://127.0.0.1:%d/v1::mock", port);
}

static void teardown(void)
{
	mnt_cleanup(&m);
	mock_stop(mock);
}

TestSuite(search, .init = setup, .fini = teardown, .timeout = 600);

static const char *SECRET = "OPENAI_API_KEY=sk-test-SECRET-4242";

static void start(void)
{
	const char *args[] = {"-o", modelopt, NULL};
	const char *env[] = {SECRET, NULL};
	mnt_start(&m, args, env);
}

static void add_gemm(const char *name, const char *config)
{
	cr_assert_eq(sh("mkdir %s/kernels/%s && printf '%%s' '%s' > %s/kernels/%s/config.json && "
	                "cp %s/tests/kernels/gemm/* %s/kernels/%s/",
	                m.dir, name, config, m.dir, name, src_dir(), m.dir, name), 0);
}

static double json_number(const char *json, const char *key)
{
	char needle[100];
	snprintf(needle, sizeof(needle), "\"%s\":", key);
	const char *p = strstr(json, needle);
	return p ? atof(p + strlen(needle)) : -1;
}

Test(search, whole_search_meets_every_fault_and_gets_faster)
{
	start();
	add_gemm("gemm", "{\"iterations\": 3, \"beam\": 2, \"plans\": 2, \"implementations\": 2, "
	                 "\"seed\": 7}");
	char *st = wait_final(&m, "gemm", 500);
	cr_assert(st, "the search did not end");
	cr_assert(!strncmp(st, "done: 3 iterations", 18), "%s", st);
	free(st);
	char *metrics = slurpf("%s/kernels/gemm/metrics.json", m.dir);
	const char *run = strstr(metrics, "\"run\":");
	cr_assert(run);
	double speedup = json_number(run, "speedup");
	cr_assert(speedup > 1.5, "speedup %.2f", speedup);
	/* every outcome the script provokes */
	cr_assert(json_number(run, "build_error") >= 1, "%s", run);
	cr_assert(json_number(run, "wrong") >= 1, "%s", run);
	cr_assert(json_number(run, "failed") >= 2, "%s", run);
	cr_assert(strstr(metrics, "no code in reply"), "nocode");
	cr_assert(strstr(metrics, "reply cut off at the length limit"), "truncated");
	cr_assert(json_number(run, "tokens") > 0);
	free(metrics);
	/* the client met 429, 500, malformed and a stalled connection */
	char *log = slurpf("%s/kernels/gemm/log", m.dir);
	cr_assert(strstr(log, "429 from"), "%s", log);
	cr_assert(strstr(log, "500 from"), "%s", log);
	cr_assert(strstr(log, "malformed"), "%s", log);
	cr_assert(strstr(log, "finalist"), "finalists re-timed: %s", log);
	free(log);
	char *mlog = slurp(mocklog);
	cr_assert(strstr(mlog, "\"fault\":\"stall\""), "stall was played");
	free(mlog);
	/* best.c is the winning candidate, and the schedule leads to it */
	char *best = slurpf("%s/kernels/gemm/best.c", m.dir);
	char *input = slurpf("%s/kernels/gemm/input.c", m.dir);
	cr_assert(strcmp(best, input), "best.c is not the input");
	free(best);
	free(input);
	char *sched = slurpf("%s/kernels/gemm/schedule", m.dir);
	cr_assert(count_of(sched, "\n") >= 2, "%s", sched);
	free(sched);
	char *plan = slurpf("%s/kernels/gemm/plans/1.md", m.dir);
	cr_assert(strstr(plan, "- model: openai@"), "%s", plan);
	free(plan);
	char *prompt = slurpf("%s/kernels/gemm/plans/1.prompt", m.dir);
	cr_assert(strstr(prompt, "## Phase: plan") && strstr(prompt, "## Phase: implement"), "%s",
	          prompt);
	free(prompt);
	/* the key is nowhere: mount, log, database */
	char *hits = sh_out("grep -r -a -s -l 'SECRET-4242' %s/kernels %s/status %s/targets %s; true",
	                    m.dir, m.dir, m.dir, m.state);
	cr_assert_str_eq(hits, "", "the key leaked into: %s", hits);
	free(hits);
	char *probe = sh_out("grep -r -a -s -l 'sk-test' %s/kernels %s; true", m.dir, m.state);
	cr_assert_str_eq(probe, "", "%s", probe);
	free(probe);
}

/* What best.c showed right after the log said "best: #num". */
struct sighting {
	long num;
	char *content;
	long st_size;    /* stat's size just before the read */
};

/* A whole read of path (caller frees), its length in *len; NULL if it
 * cannot be opened. */
static char *read_whole(const char *path, long *len)
{
	int fd = open(path, O_RDONLY);
	if (fd < 0)
		return NULL;
	size_t cap = 4096, n = 0;
	char *buf = malloc(cap + 1);
	ssize_t got;
	while (buf && (got = read(fd, buf + n, cap - n)) > 0) {
		n += (size_t)got;
		if (n == cap)
			buf = realloc(buf, (cap *= 2) + 1);
	}
	close(fd);
	if (buf)
		buf[n] = '\0';
	*len = (long)n;
	return buf;
}

/* The order of events when the best changes: by the time the log says
 * "best: #N", best.c is candidate N (or a newer best), and stat's size is
 * what a read gives. The log is followed as tail -f would, but every few
 * milliseconds; best.c is looked at the moment a line arrives. (How soon
 * a change reaches stat: tools/bench-fs, figure (d).) */
Test(search, the_log_never_runs_ahead_of_best_c)
{
	start();
	add_gemm("b", "{\"iterations\": 2, \"beam\": 2, \"plans\": 2, \"implementations\": 2, "
	              "\"seed\": 7}");
	char logp[400], bestp[400];
	snprintf(logp, sizeof(logp), "%s/kernels/b/log", m.dir);
	snprintf(bestp, sizeof(bestp), "%s/kernels/b/best.c", m.dir);
	struct sighting seen[256];
	int nseen = 0;
	char line[4096];
	size_t linelen = 0;
	off_t off = 0;
	time_t end = time(NULL) + 500;
	bool done = false;
	while (!done && time(NULL) < end) {
		char *st = slurpf("%s/kernels/b/status", m.dir);
		done = st && (!strncmp(st, "done", 4) || !strncmp(st, "failed", 6) ||
		              !strncmp(st, "stopped", 7));
		free(st);
		int fd = open(logp, O_RDONLY);
		char buf[8192];
		ssize_t got;
		while (fd >= 0 && (got = pread(fd, buf, sizeof(buf), off)) > 0) {
			off += got;
			for (ssize_t i = 0; i < got; i++) {
				if (buf[i] != '\n') {
					if (linelen < sizeof(line) - 1)
						line[linelen++] = buf[i];
					continue;
				}
				line[linelen] = '\0';
				linelen = 0;
				const char *b = strstr(line, " best: #");
				if (!b || nseen == (int)(sizeof(seen) / sizeof(seen[0])))
					continue;
				struct stat sb;
				cr_assert_eq(stat(bestp, &sb), 0);
				long len = 0;
				seen[nseen].num = atol(b + 8);
				seen[nseen].content = read_whole(bestp, &len);
				seen[nseen].st_size = (long)sb.st_size;
				cr_assert(seen[nseen].content);
				nseen++;
			}
		}
		if (fd >= 0)
			close(fd);
		usleep(3000);
	}
	cr_assert(done, "the search did not end");
	cr_assert_gt(nseen, 0, "the log never named a new best");
	char *final = slurp(bestp);
	for (int i = 0; i < nseen; i++) {
		char *src = slurpf("%s/kernels/b/candidates/%ld.c", m.dir, seen[i].num);
		cr_assert(src);
		bool ok = !strcmp(seen[i].content, src) &&
		          seen[i].st_size == (long)strlen(seen[i].content);
		/* or it had moved on already: a later best, or the final one */
		for (int j = i + 1; !ok && j < nseen; j++) {
			char *later = slurpf("%s/kernels/b/candidates/%ld.c", m.dir, seen[j].num);
			ok = later && !strcmp(seen[i].content, later);
			free(later);
		}
		ok = ok || !strcmp(seen[i].content, final);
		cr_assert(ok, "the log said best: #%ld, best.c showed %ld bytes (stat: %ld) of "
		          "something else:\n%s", seen[i].num, (long)strlen(seen[i].content),
		          seen[i].st_size, seen[i].content);
		free(src);
		free(seen[i].content);
	}
	free(final);
}

Test(search, no_model_says_what_to_set)
{
	mnt_start(&m, NULL, NULL);
	add_gemm("plain", "{}");
	char *st = wait_final(&m, "plain", 120);
	cr_assert(st && strstr(st, "no model configured") && strstr(st, "AUTOCOMP_MODELS"), "%s", st);
	free(st);
}

/* A model string that cannot be asked is refused when it is written, like
 * every other bad key, not after the baseline. */
Test(search, bad_model_string_is_refused_in_words_when_written)
{
	mnt_start(&m, NULL, NULL);
	cr_assert_eq(sh("mkdir %s/kernels/bad", m.dir), 0);
	const char *bad[] = {"[\"nonsense\"]", "\"opnai::gpt-4.1\""};
	const char *why[] = {"expected provider::model", "unknown provider \"opnai\""};
	for (int i = 0; i < 2; i++) {
		cr_assert_neq(sh("echo '{\"models\": %s}' 2>/dev/null > %s/kernels/bad/config.json",
		                 bad[i], m.dir), 0, "refused: %s", bad[i]);
		char *log = slurpf("%s/kernels/bad/log", m.dir);
		cr_assert(log && strstr(log, why[i]), "%s", log);
		free(log);
		char *st = slurpf("%s/kernels/bad/status", m.dir);
		cr_assert(st && strstr(st, "config.json refused: ") && strstr(st, why[i]), "%s", st);
		free(st);
	}
	char *ls = sh_out("ls %s/kernels/bad", m.dir);
	cr_assert_null(strstr(ls, "config.json"), "%s", ls);
	free(ls);
}

Test(search, token_budget_stops_cleanly)
{
	start();
	add_gemm("budget", "{\"iterations\": 8, \"beam\": 2, \"plans\": 2, \"implementations\": 2, "
	                   "\"max_tokens\": 4000}");
	char *st = wait_final(&m, "budget", 400);
	cr_assert(st && strstr(st, "token budget spent"), "%s", st);
	free(st);
}

Test(search, stop_and_start_mid_search)
{
	start();
	add_gemm("s", "{\"iterations\": 2, \"beam\": 2, \"plans\": 2, \"implementations\": 2}");
	char path[400];
	snprintf(path, sizeof(path), "%s/kernels/s/log", m.dir);
	cr_assert(wait_contains(path, "candidate 2:", 200));
	cr_assert_eq(sh("echo stop > %s/kernels/s/ctl", m.dir), 0);
	char *st = wait_final(&m, "s", 60);
	cr_assert(st && !strncmp(st, "stopped", 7), "%s", st);
	free(st);
	cr_assert_eq(sh("echo start > %s/kernels/s/ctl", m.dir), 0);
	snprintf(path, sizeof(path), "%s/kernels/s/status", m.dir);
	cr_assert(wait_contains(path, "done", 400), "%s", slurp(path));
	char *log = slurpf("%s/kernels/s/log", m.dir);
	cr_assert_eq(count_of(log, " queued\n"), 1, "start resumes the same run: %s", log);
	cr_assert_eq(count_of(log, "candidate 0: "), 1, "the baseline is not redone: %s", log);
	cr_assert_eq(count_of(log, "candidate 1: "), 1, "candidate 1 evaluated once: %s", log);
	free(log);
}

Test(search, kill_9_mid_search_resumes_without_asking_twice)
{
	start();
	add_gemm("k", "{\"iterations\": 2, \"beam\": 2, \"plans\": 2, \"implementations\": 2}");
	char path[400];
	snprintf(path, sizeof(path), "%s/kernels/k/log", m.dir);
	cr_assert(wait_contains(path, "candidate 3:", 300));
	mnt_kill9(&m);
	start();
	char *st = wait_final(&m, "k", 500);
	cr_assert(st && !strncmp(st, "done", 4), "%s", st);
	free(st);
	/* every successful answer the mock gave was stored, except at most the
	 * requests in flight when the daemon died (4) */
	char *out = sh_out("grep -c '\"status\":200' %s", mocklog);
	int answered = atoi(out);
	free(out);
	out = sh_out("sqlite3 %s/autocompfs.db 'SELECT count(*) FROM llm_call'", m.state);
	int stored = atoi(out);
	free(out);
	cr_assert(answered <= stored + 4, "answered %d, stored %d", answered, stored);
	/* no slot holds two candidates: nothing was redone twice */
	char *dups = sh_out("sqlite3 %s/autocompfs.db \"SELECT slot FROM candidate WHERE slot <> '' "
	                    "GROUP BY run_id, slot HAVING count(*) > 1\"", m.state);
	cr_assert_str_eq(dups, "");
	free(dups);
	char *ok = sh_out("sqlite3 %s/autocompfs.db 'PRAGMA integrity_check'", m.state);
	cr_assert_str_eq(ok, "ok\n");
	free(ok);
}

Test(search, an_unreachable_model_is_waited_for)
{
	/* the model's port: free it again so nothing listens there */
	mock_stop(mock);
	mock = 0;
	start();
	add_gemm("wait", "{\"iterations\": 1, \"beam\": 1, \"plans\": 1, \"implementations\": 1}");
	char path[400];
	snprintf(path, sizeof(path), "%s/kernels/wait/status", m.dir);
	cr_assert(wait_contains(path, "unreachable", 120), "%s", slurp(path));
	char *st = slurp(path);
	cr_assert(!strncmp(st, "searching", 9), "still a search, waiting: %s", st);
	free(st);
	/* the model comes back on the same port: the search goes on */
	mock_start_on("tests/mock/gemm", port, 0, NULL, &mock);
	char *fin = wait_final(&m, "wait", 200);
	cr_assert(fin && !strncmp(fin, "done", 4), "%s", fin);
	free(fin);
	char *log = slurpf("%s/kernels/wait/log", m.dir);
	cr_assert(strstr(log, "answers again"), "%s", log);
	free(log);
}
