/*
 * e2e_hostile.c - hostile inputs (tests/kernels/hostile/) in one real
 * mount, next to a normal gemm search against the mock LLM.
 *
 * Each hostile kernel's input is evaluated as the baseline, so its status
 * ends "done" (the act was contained and the gemm was right) or "failed:
 * the input ..." with the outcome in metrics.json and a reason in
 * candidates/0.log. Around them the test checks what must not happen:
 * a connection reaching the listener, a key in reach, a file outside the
 * scratch directory, a process outliving its run, the daemon dying, the
 * other kernel's search stalling.
 *
 * The fixtures: the gemm harness at 48 x 48 x 48 and the naive gemm plus
 * one hostile act, done only in the candidate's copy (the cpu target
 * compiles the reference, the same input under ref_ names, from
 * .ac_reference.c, so __FILE__[0] == '.' there and the reference stays an
 * honest gemm to check against). The test writes hostile.h into each
 * kernel (any extra file goes into every build): the state directory, the
 * mount, a port with a listener, a world-writable directory for evidence.
 * Without it the inputs fall back to harmless defaults.
 *
 * The daemon runs with OPENAI_API_KEY set and no default model: only the
 * normal kernel searches (its config.json names the mock), the hostile ones
 * stop after the baseline with config.json {"timeout_s": 3}.
 */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "tests/support.h"

static struct mnt m;
static pid_t mock;
static int port;
static char drop[64];   /* world-writable: evidence the sandbox user leaves */
static int listener = -1;
static int listen_port;

static const char *SECRET = "OPENAI_API_KEY=sk-test-HOSTILE-7373";

static void setup(void)
{
	mnt_init(&m);
	port = mock_start("tests/mock/gemm", 0, NULL, &mock);
	snprintf(drop, sizeof(drop), "/tmp/acfs-drop-XXXXXX");
	cr_assert(mkdtemp(drop));
	cr_assert_eq(chmod(drop, 01777), 0);

	struct sockaddr_in a;
	socklen_t len = sizeof(a);
	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	listener = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	cr_assert(listener >= 0);
	cr_assert_eq(bind(listener, (struct sockaddr *)&a, sizeof(a)), 0);
	cr_assert_eq(listen(listener, 16), 0);
	cr_assert_eq(getsockname(listener, (struct sockaddr *)&a, &len), 0);
	listen_port = ntohs(a.sin_port);
}

static void teardown(void)
{
	mnt_cleanup(&m);
	mock_stop(mock);
	if (listener >= 0)
		close(listener);
	if (drop[0])
		sh("rm -rf '%s'", drop);
}

TestSuite(hostile, .init = setup, .fini = teardown, .timeout = 600);

struct expect {
	const char *name;
	double timeout_s;      /* config.json's */
	const char *outcome;   /* candidate 0's outcome in metrics.json */
	const char *reason;    /* words that must be in candidates/0.log */
};

static const struct expect hostile[] = {
	{"fork-bomb", 3, "timeout", "timed out after 3.0 s"},
	{"alloc-100g", 3, "run_error", "crashed in gemm: Segmentation fault"},
	{"write-10g", 15, "ok", "open big: Operation not permitted"},
	{"sleep-forever", 3, "timeout", "timed out after 3.0 s"},
	{"busy-loop", 3, "timeout", "timed out after 3.0 s"},
	{"tcp-connect", 3, "ok", "connect 127.0.0.1:"},
	{"env-keys", 3, "ok", "environ files readable"},
	{"write-outside", 3, "ok", "autocompfs.db for writing: "},
	{"kill-parent", 3, "ok", "kill(parent, SIGKILL) = -1"},
	{"forge-stdout", 3, "run_error", "\"time_ns\":1,"},
	{"overwrite-inputs", 3, "run_error", "wrote to A, a read-only input of gemm"},
	{"overwrite-reference", 3, "ok", "found nothing to overwrite"},
	{"leave-child", 3, "ok", "fork: Operation not permitted"},
	/* the judge's classes: each trick fails in words */
	{"own-clock", 3, "build_error", "defines clock_gettime, which the C library provides"},
	{"constructor-report", 3, "build_error", "has a .init_array section"},
	{"scan-fds-exit", 3, "run_error", "exited with status 0 during gemm"},
	{"cache-by-pointer", 3, "wrong", "in timed repetition"},
	{"cache-by-content", 3, "ok", "\"rotation\":\"on\""},
	{"lazy-sigsegv", 3, "wrong", "got nan"},
	{"work-after-return", 3, "run_error", "left a thread sleeping after gemm returned"},
	{"skip-after-warmup", 3, "wrong", "in timed repetition"},
	{"read-judge", 3, "wrong", "read-judge: tried"},
	/* the judge's second line: the worker is arbitrary code that speaks the
	 * wire protocol however it likes */
	{"serve-socket", 10, "wrong", "got nan"},
	{"reply-ahead", 10, "run_error", "did not ask for"},
	{"busy-poll-socket", 10, "run_error", "left threads running"},
	{"poll-between-calls", 10, "run_error", "of CPU between calls"},
	{"forge-crash", 10, "run_error", "exited with status 0 during gemm"},
	{"gmon-start", 3, "build_error", "__gmon_start__"},
	{"tm-clone", 3, "build_error", ".tm_clone_table"},
	{"init-array-asm", 3, "build_error", ".init_array"},
	{"tamper-binaries", 10, "ok", "tamper-binaries: 0 changed"},
	{"escape-core", 10, "ok", "escape-core: 0 of 5"},
	{"keep-state", 10, "ok", "keep-state: 0 kept"},
	{"inf-answer", 10, "wrong", "want inf"},
	{"two-outputs", 10, "wrong", "scaled["},
};
#define NHOSTILE (sizeof(hostile) / sizeof(hostile[0]))

/* Copies tests/kernels/hostile/NAME in with config.json and hostile.h. */
static void add_hostile(const char *name, double timeout_s)
{
	char header[2048];
	snprintf(header, sizeof(header),
	         "#define HOSTILE_STATE \"%s\"\n#define HOSTILE_MOUNT \"%s\"\n"
	         "#define HOSTILE_DROP \"%s\"\n#define HOSTILE_PORT %d\n",
	         m.state, m.dir, drop, listen_port);
	cr_assert_eq(sh("mkdir %s/kernels/%s && printf '{\"timeout_s\": %g}' > "
	                "%s/kernels/%s/config.json && printf '%%s' '%s' > %s/kernels/%s/hostile.h && "
	                "cp %s/tests/kernels/hostile/%s/* %s/kernels/%s/",
	                m.dir, name, timeout_s, m.dir, name, header, m.dir, name, src_dir(), name,
	                m.dir, name), 0, "adding %s", name);
}

/* Candidate 0's outcome as metrics.json says it, e.g. "timeout". */
static bool outcome_is(const char *name, const char *outcome)
{
	char *metrics = slurpf("%s/kernels/%s/metrics.json", m.dir, name);
	char needle[100];
	snprintf(needle, sizeof(needle), "\"outcome\":\t\"%s\"", outcome);
	bool yes = metrics && strstr(metrics, needle);
	free(metrics);
	return yes;
}

/* Where the daemon builds and runs: STATE/scratch, or (as root) the
 * directory noted in STATE/scratch-dir. Caller frees. */
static char *scratch_dir(void)
{
	char *note = slurpf("%s/scratch-dir", m.state);
	char *dir = NULL;
	if (note && note[0] == '/') {
		note[strcspn(note, "\n")] = '\0';
		dir = note;
	} else {
		free(note);
		cr_assert(asprintf(&dir, "%s/scratch", m.state) > 0);
	}
	return dir;
}

/* Is a process alive whose working directory is (was) under the state or
 * the scratch directory? Anything the sandbox ran there must be gone. */
static int leftovers(char *which, size_t len)
{
	char *scratch = scratch_dir();
	DIR *d = opendir("/proc");
	struct dirent *e;
	int n = 0;
	which[0] = '\0';
	while (d && (e = readdir(d))) {
		if (e->d_name[0] < '1' || e->d_name[0] > '9')
			continue;
		char path[300], cwd[1024];
		snprintf(path, sizeof(path), "/proc/%s/cwd", e->d_name);
		ssize_t k = readlink(path, cwd, sizeof(cwd) - 1);
		if (k <= 0)
			continue;
		cwd[k] = '\0';
		if (strstr(cwd, m.state) || strstr(cwd, scratch)) {
			n++;
			snprintf(which, len, "pid %.16s in %.1000s", e->d_name, cwd);
		}
	}
	if (d)
		closedir(d);
	free(scratch);
	return n;
}

static bool daemon_alive(void)
{
	int st;
	return m.pid > 0 && waitpid(m.pid, &st, WNOHANG) == 0;
}

Test(hostile, every_act_contained_while_a_search_goes_on)
{
	char modelopt[200];
	const char *env[] = {SECRET, NULL};
	mnt_start(&m, NULL, env);
	snprintf(modelopt, sizeof(modelopt), "openai@http://127.0.0.1:%d/v1::mock", port);

	/* the normal kernel first, so that its search runs alongside */
	cr_assert_eq(sh("mkdir %s/kernels/normal && printf '%%s' '{\"models\": [\"%s\"], "
	                "\"iterations\": 1, \"beam\": 2, \"plans\": 2, \"implementations\": 1}' > "
	                "%s/kernels/normal/config.json && cp %s/tests/kernels/gemm/* "
	                "%s/kernels/normal/", m.dir, modelopt, m.dir, src_dir(), m.dir), 0);
	for (size_t i = 0; i < NHOSTILE; i++)
		add_hostile(hostile[i].name, hostile[i].timeout_s);

	for (size_t i = 0; i < NHOSTILE; i++) {
		const struct expect *x = &hostile[i];
		char *st = wait_final(&m, x->name, 300);
		cr_assert(st, "%s did not end", x->name);
		char *log = slurpf("%s/kernels/%s/candidates/0.log", m.dir, x->name);
		bool ok = !strcmp(x->outcome, "ok");
		bool built = strcmp(x->outcome, "build_error") != 0;
		cr_expect(ok ? !strncmp(st, "done", 4)
		             : !strncmp(st, built ? "failed: the input" : "failed: the candidate", 17),
		          "%s: %s", x->name, st);
		cr_expect(outcome_is(x->name, x->outcome), "%s: not %s: %s\n%s", x->name,
		          x->outcome, st, log ? log : "");
		cr_expect(log && strstr(log, x->reason), "%s: no \"%s\" in candidates/0.log:\n%s",
		          x->name, x->reason, log ? log : "");
		cr_expect(!log || !strstr(log, "BREACH"), "%s:\n%s", x->name, log);
		if (!ok)
			cr_expect(strstr(st, "see candidates/0.log"), "%s: %s", x->name, st);
		if (!strcmp(x->name, "cache-by-content") && log) {
			/* the cache never hit a timed repetition: the time is honest */
			const char *t = strstr(log, "\"time_ns\":"), *rf = strstr(log, "\"ref_ns\":");
			cr_expect(t && rf && atof(t + 10) > 0.5 * atof(rf + 9), "%s: a cache hit was timed",
			          x->name);
		}
		if (!strcmp(x->name, "forge-stdout"))
			cr_expect(strstr(st, "exited with status 0 during gemm"), "%s", st);
		if (!strcmp(x->name, "forge-crash")) {
			/* the worker's words never become the judge's */
			cr_expect(log && !strstr(log, "IGNORE"), "%s", log ? log : "");
			cr_expect(!strstr(st, "IGNORE"), "%s", st);
		}
		free(st);
		free(log);
	}
	cr_assert(daemon_alive(), "the daemon died");

	/* every run dropped to the sandbox user, without network */
	for (size_t i = 0; i < NHOSTILE; i++) {
		if (!strcmp(hostile[i].outcome, "build_error"))
			continue;   /* refused before it could run */
		char *log = slurpf("%s/kernels/%s/candidates/0.log", m.dir, hostile[i].name);
		cr_expect(log && strstr(log, "unprivileged uid"), "%s ran as root:\n%s",
		          hostile[i].name, log ? log : "");
		free(log);
	}

	/* tcp-connect: where there is a network namespace, nothing arrived */
	char *tlog = slurpf("%s/kernels/tcp-connect/candidates/0.log", m.dir);
	if (tlog && strstr(tlog, "no network")) {
		int c = accept(listener, NULL, NULL);
		cr_expect(c < 0 && (errno == EAGAIN || errno == EWOULDBLOCK),
		          "the listener got a connection");
		if (c >= 0)
			close(c);
	} else {
		cr_log_warn("no network namespace here: the connection test proves nothing");
	}
	free(tlog);

	/* write-outside: nothing appeared where it aimed */
	cr_expect_eq(sh("test -e %s/hostile-was-here", m.state), 1);
	cr_expect_eq(sh("test -e %s/kernels/write-outside/hostile-was-here", m.dir), 1);
	cr_expect_eq(sh("test -e %s/kernels/hostile-spawned", m.dir), 1);
	char *scratch = scratch_dir();
	cr_expect_eq(sh("find %s %s -name hostile-was-here | grep -q .", m.state, scratch), 1);

	/* write-10g: the file went with its scratch directory */
	cr_expect_eq(sh("find %s %s -name big | grep -q .", m.state, scratch), 1);
	free(scratch);

	/* leave-child: the candidate's process could not make one */
	usleep(200000);
	char *pidtext = slurpf("%s/leave-child.pid", drop);
	cr_expect_null(pidtext, "leave-child left a process behind: %s", pidtext ? pidtext : "");
	free(pidtext);

	/* the normal search finished, faster, as if nothing had happened */
	char *st = wait_final(&m, "normal", 400);
	cr_assert(st && !strncmp(st, "done: 1 iterations", 18), "normal: %s", st ? st : "(none)");
	free(st);
	char *metrics = slurpf("%s/kernels/normal/metrics.json", m.dir);
	const char *run = strstr(metrics, "\"run\":");
	const char *sp = run ? strstr(run, "\"speedup\":") : NULL;
	cr_expect(sp && atof(sp + 10) > 1.0, "normal did not get faster: %s", run ? run : "");
	free(metrics);

	/* nothing the sandbox ran is left anywhere */
	char which[1400];
	cr_expect_eq(leftovers(which, sizeof(which)), 0, "left over: %s", which);

	/* the daemon is up and answering; the key is nowhere */
	cr_assert(daemon_alive(), "the daemon died");
	char *status = slurpf("%s/status", m.dir);
	cr_assert(status && strstr(status, "engine: 36 kernels"), "%s", status ? status : "");
	free(status);
	cr_expect_eq(sh("grep -r -a -s -q --exclude=ctl 'HOSTILE-7373' %s/kernels %s/status", m.dir,
	                m.dir), 1);
	cr_expect_eq(sh("grep -r -a -s -q 'HOSTILE-7373' %s", m.state), 1);
	cr_assert_eq(mnt_stop(&m), 0);
}
