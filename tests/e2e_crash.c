/*
 * e2e_crash.c - the daemon killed at random moments, and a state directory
 * whose disk fills up.
 *
 * kill -9 during searches (mock LLM, small searches on two kernels), over
 * and over: after each kill the dead mount is unmounted, every candidate
 * stored before the kill is still there with the same outcome, the
 * database is intact (PRAGMA integrity_check), nothing the daemon ran is
 * left running, and a new daemon on the same state directory resumes. At
 * the end the searches finish. The delays are random; the seed is logged
 * (AC_CRASH_SEED=N repeats a sequence).
 *
 * A full disk: the state directory on a small tmpfs that the test fills.
 * The status says so in words, nothing is corrupted, a write into the
 * mount fails with an error, and the search goes on once space returns.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "tests/support.h"

static struct mnt m;
static pid_t mock;
static char modelopt[300];
static char fsdir[320];   /* the tmpfs, when a test mounts one */

static const char *SECRET = "OPENAI_API_KEY=sk-test-CRASH-5151";

static void setup(void)
{
	mnt_init(&m);
	int port = mock_start("tests/mock/gemm", 0, NULL, &mock);
	snprintf(modelopt, sizeof(modelopt), "models=openai@http://127.0.0.1:%d/v1::mock", port);
	fsdir[0] = '\0';
}

static void teardown(void)
{
	if (m.pid)
		mnt_stop(&m);
	if (fsdir[0])
		umount2(fsdir, MNT_DETACH);
	mnt_cleanup(&m);
	mock_stop(mock);
}

TestSuite(crash, .init = setup, .fini = teardown, .timeout = 900);

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

/* A query on the database through the sqlite3 shell (a second reader: WAL
 * lets it read while the daemon writes). Caller frees. */
static char *query(const char *sql)
{
	return sh_out("sqlite3 -cmd '.timeout 10000' %s/autocompfs.db \"%s\" 2>&1", m.state, sql);
}

static char *integrity(void)
{
	return query("PRAGMA integrity_check");
}

static int count(const char *sql)
{
	char *s = query(sql);
	int n = s ? atoi(s) : -1;
	free(s);
	return n;
}

/* Every line of before ("run|num|outcome") is in after, the same; a
 * pending candidate may have got its result since. Returns the first line
 * missing, or NULL. Caller frees. */
static char *lost_candidate(const char *before, const char *after)
{
	const char *p = before;
	while (*p) {
		size_t n = strcspn(p, "\n");
		char line[200];
		snprintf(line, sizeof(line), "%.*s", (int)(n < 199 ? n : 199), p);
		p += n + (p[n] == '\n');
		if (!line[0])
			continue;
		char *bar = strrchr(line, '|');
		if (bar && !strcmp(bar + 1, "pending"))
			bar[1] = '\0';   /* match "run|num|" with any outcome */
		else
			strcat(line, "\n");
		char needle[210];
		snprintf(needle, sizeof(needle), "\n%s", line);
		char *hay = NULL;
		if (asprintf(&hay, "\n%s", after) < 0)
			return strdup("?");
		bool found = strstr(hay, needle) != NULL;
		free(hay);
		if (!found)
			return strdup(line);
	}
	return NULL;
}

/* Where the daemon builds and runs (as root: the directory noted in
 * STATE/scratch-dir). Caller frees. */
static char *scratch_dir(void)
{
	char *note = slurpf("%s/scratch-dir", m.state);
	if (note && note[0] == '/') {
		note[strcspn(note, "\n")] = '\0';
		return note;
	}
	free(note);
	char *dir = NULL;
	cr_assert(asprintf(&dir, "%s/scratch", m.state) > 0);
	return dir;
}

/* Processes whose working directory is under dir. */
static int running_in(const char *dir)
{
	char *out = sh_out("for p in /proc/[0-9]*; do readlink $p/cwd; done 2>/dev/null | "
	                   "grep -c '^%s' || true", dir);
	int n = out ? atoi(out) : 0;
	free(out);
	return n;
}

static bool final_word(const char *kernel)
{
	char *s = slurpf("%s/kernels/%s/status", m.dir, kernel);
	bool yes = s && (!strncmp(s, "done", 4) || !strncmp(s, "failed", 6));
	free(s);
	return yes;
}

Test(crash, kill_9_at_random_moments_loses_nothing)
{
	const char *seedv = getenv("AC_CRASH_SEED");
	unsigned seed = seedv && *seedv ? (unsigned)strtoul(seedv, NULL, 0)
	                                : (unsigned)time(NULL) ^ (unsigned)getpid();
	cr_log_info("AC_CRASH_SEED=%u", seed);
	const char *config = "{\"iterations\": 2, \"beam\": 2, \"plans\": 2, "
	                     "\"implementations\": 1}";
	const char *kernels[] = {"k1", "k2"};
	start();
	for (int i = 0; i < 2; i++)
		add_gemm(kernels[i], config);

	const int trials = 24;
	int restarts = 0, mid_search = 0;
	time_t t0 = time(NULL);
	for (int trial = 0; trial < trials; trial++) {
		/* a random moment: 0.2 to 2.7 s into this daemon's life */
		int ms = 200 + (int)(rand_r(&seed) % 2500);
		usleep((useconds_t)ms * 1000);
		char *before = query("SELECT run_id||'|'||num||'|'||outcome FROM candidate "
		                     "ORDER BY run_id, num");
		int calls_before = count("SELECT count(*) FROM llm_call");
		bool searching = !final_word("k1") || !final_word("k2");
		mid_search += searching;
		char *scratch = scratch_dir();

		mnt_kill9(&m);

		char *after = query("SELECT run_id||'|'||num||'|'||outcome FROM candidate "
		                    "ORDER BY run_id, num");
		char *lost = lost_candidate(before, after);
		cr_assert(!lost, "trial %d (after %d ms): candidate %s lost\nbefore:\n%s\nafter:\n%s",
		          trial, ms, lost, before, after);
		cr_assert_geq(count("SELECT count(*) FROM llm_call"), calls_before,
		              "trial %d: stored LLM calls lost", trial);
		char *ok = integrity();
		cr_assert_str_eq(ok, "ok\n", "trial %d: %s", trial, ok);
		free(ok);
		/* the sandbox's children die with the daemon */
		int left = 0;
		for (int i = 0; i < 40 && (left = running_in(scratch)) > 0; i++)
			usleep(50000);
		cr_assert_eq(left, 0, "trial %d: %d processes left running in %s", trial, left,
		             scratch);
		free(before);
		free(after);

		start();
		/* the previous daemon's scratch directory is cleaned up */
		if (strcmp(scratch, m.state) && strncmp(scratch, m.state, strlen(m.state)))
			cr_assert_neq(sh("test -d %s", scratch), 0, "%s was left behind", scratch);
		free(scratch);
		/* keep killing searches, not idle daemons */
		if (final_word("k1") && final_word("k2") && trial + 1 < trials) {
			for (int i = 0; i < 2; i++)
				cr_assert_eq(sh("echo restart > %s/kernels/%s/ctl", m.dir, kernels[i]), 0);
			restarts++;
		}
	}
	cr_log_info("%d trials (%d mid-search), %d restarts, %ld s", trials, mid_search, restarts,
	            (long)(time(NULL) - t0));
	cr_assert_geq(mid_search, 20, "only %d kills hit a search", mid_search);

	/* the last daemon finishes both searches */
	for (int i = 0; i < 2; i++) {
		char *st = wait_final(&m, kernels[i], 400);
		cr_assert(st && !strncmp(st, "done: 2 iterations", 18), "%s: %s", kernels[i],
		          st ? st : "(no end)");
		free(st);
	}
	/* no slot holds two candidates: nothing cut off was counted twice */
	char *dups = query("SELECT run_id, slot FROM candidate WHERE slot <> '' "
	                   "GROUP BY run_id, slot HAVING count(*) > 1");
	cr_assert_str_eq(dups, "", "slots filled twice: %s", dups);
	free(dups);
	cr_assert_eq(mnt_stop(&m), 0);
	char *ok = integrity();
	cr_assert_str_eq(ok, "ok\n");
	free(ok);
	cr_assert_eq(sh("grep -r -a -s -q 'CRASH-5151' %s", m.state), 1, "the key was stored");
}

Test(crash, full_disk_pauses_in_words_and_goes_on)
{
	/* the state directory on an 8 MiB tmpfs */
	snprintf(fsdir, sizeof(fsdir), "%s/fs", m.base);
	cr_assert_eq(sh("mkdir %s", fsdir), 0);
	if (mount("tmpfs", fsdir, "tmpfs", 0, "size=8m,mode=0755") != 0) {
		int err = errno;
		fsdir[0] = '\0';
		cr_skip_test("cannot mount a tmpfs: %s", strerror(err));
	}
	cr_assert_lt(strlen(fsdir) + 7, sizeof(m.state));
	memcpy(m.state, fsdir, strlen(fsdir));
	memcpy(m.state + strlen(fsdir), "/state", 7);
	start();
	add_gemm("g", "{\"iterations\": 2, \"beam\": 2, \"plans\": 2, \"implementations\": 1}");
	char path[400];
	snprintf(path, sizeof(path), "%s/kernels/g/log", m.dir);
	cr_assert(wait_contains(path, "candidate 0: ok", 120), "no baseline");
	int before = count("SELECT count(*) FROM candidate");

	/* fill it: every byte */
	sh("dd if=/dev/zero of=%s/filler bs=64k 2>/dev/null", fsdir);
	snprintf(path, sizeof(path), "%s/status", m.dir);
	cr_assert(wait_contains(path, "is full", 60), "the status does not say the disk is full:\n%s",
	          slurp(path));
	char *status = slurp(path);
	cr_assert(strstr(status, m.state), "the status does not say which disk: %s", status);
	free(status);
	int st;
	cr_assert_eq(waitpid(m.pid, &st, WNOHANG), 0, "the daemon died");
	/* a user's write fails with an error, not silently */
	cr_assert_neq(sh("(echo '/* note */' > %s/kernels/g/notes.h) 2>/dev/null", m.dir), 0,
	              "a write into a full state directory succeeded");
	char *kst = slurpf("%s/kernels/g/status", m.dir);
	cr_assert(kst && strncmp(kst, "done", 4) && strncmp(kst, "failed", 6),
	          "the run ended on a full disk: %s", kst);
	free(kst);
	char *ok = integrity();
	cr_assert_str_eq(ok, "ok\n", "on a full disk: %s", ok);
	free(ok);
	/* let it try (and fail) to go on a few times */
	sleep(6);
	cr_assert_geq(count("SELECT count(*) FROM candidate"), before);

	/* space returns: the search goes on by itself and finishes */
	cr_assert_eq(sh("rm %s/filler", fsdir), 0);
	char *fin = wait_final(&m, "g", 400);
	cr_assert(fin && !strncmp(fin, "done: 2 iterations", 18), "after space returned: %s",
	          fin ? fin : "(no end)");
	free(fin);
	cr_assert_geq(count("SELECT count(*) FROM candidate"), before + 4);
	cr_assert_eq(waitpid(m.pid, &st, WNOHANG), 0, "the daemon died");
	cr_assert_eq(mnt_stop(&m), 0);
	ok = integrity();
	cr_assert_str_eq(ok, "ok\n");
	free(ok);
}
