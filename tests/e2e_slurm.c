/*
 * e2e_slurm.c - timed runs on a real Slurm cluster, through a real mount.
 *
 * Each test starts a private cluster of its own (tools/slurm-cluster: one
 * slurmctld and two slurmd, n1 and n2, on loopback, configured by a
 * slurm.conf in a temporary directory that the daemon finds through
 * SLURM_CONF) and stops it afterwards; nothing in /etc is touched. The
 * kernel is tests/kernels/slurm-sleep: a command-target evaluator that
 * sleeps a fixed time (read from a file the test writes) and knobs for the
 * offline tuner. What ran where is read from Slurm (its jobcomp file and
 * squeue), not from our own log.
 *
 *   both_nodes        a tuner run whose jobs ran on n1 and n2; metrics.json
 *                     and candidates/N.log name job and node
 *   scancel           a job cancelled from outside is evaluated again, not
 *                     counted as the candidate's failure
 *   three_losses      ... but the third loss is a run error saying why
 *   node_lost         a node dies (its slurmd and the job's slurmstepd killed)
 *                     under a run: the run is done again on the other node
 *   controller        slurmctld stopped mid-run: status says so, runs wait,
 *                     and go on when it is started again
 *   kill9             the daemon killed with jobs in flight: the next daemon
 *                     cancels them and evaluates their candidates again
 *   stop_rmdir_umount ctl stop, rmdir and unmount cancel the kernel's jobs
 *   misconfigured     no srun, or a broken slurm.conf: a clear targets line
 *                     and a failed run with the reason, not a hang
 *   cpu_on_node       a cpu-target kernel tuned on the cluster: the judge and
 *                     the sandbox (no network, PID namespace, unprivileged
 *                     uid) apply on the node as they do here
 *
 * Where Slurm cannot start here, the tests skip, saying why.
 */
#include <criterion/criterion.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "tests/support.h"

static struct mnt m;
static char cluster[300];   /* the cluster's directory */
static char conf_env[400];  /* SLURM_CONF=... */
static char share[64];      /* world-readable: the evaluator's sleep file */
static bool cluster_up;

static void sleep_ms(int ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
	nanosleep(&ts, NULL);
}

static void setup(void)
{
	mnt_init(&m);
	snprintf(cluster, sizeof(cluster), "%s/cluster", m.base);
	snprintf(conf_env, sizeof(conf_env), "SLURM_CONF=%s/slurm.conf", cluster);
	snprintf(share, sizeof(share), "/tmp/acfs-slurm-XXXXXX");
	cr_assert(mkdtemp(share));
	cr_assert_eq(chmod(share, 0755), 0);
	cluster_up = false;
}

static void teardown(void)
{
	if (m.pid)
		mnt_stop(&m);
	if (cluster_up)
		sh("'%s/tools/slurm-cluster' stop '%s' >/dev/null 2>&1", src_dir(), cluster);
	mnt_cleanup(&m);
	sh("rm -rf '%s'", share);
}

TestSuite(slurm, .init = setup, .fini = teardown, .timeout = 300);

/* Starts the private cluster, or skips the test saying why it cannot. */
static void start_cluster(int nodes)
{
	char *why = sh_out("'%s/tools/slurm-cluster' why 2>&1", src_dir());
	if (why && why[0]) {
		why[strcspn(why, "\n")] = '\0';
		cr_skip_test("Slurm cannot run here: %s", why);
	}
	free(why);
	int rc = sh("'%s/tools/slurm-cluster' start '%s' %d >'%s/start.out' 2>&1", src_dir(),
	            cluster, nodes, m.base);
	if (rc != 0) {
		char *out = slurpf("%s/start.out", m.base);
		sh("'%s/tools/slurm-cluster' stop '%s' >/dev/null 2>&1", src_dir(), cluster);
		cr_skip_test("the private Slurm cluster did not start: %s", out ? out : "");
	}
	cluster_up = true;
}

/* squeue's view of our jobs: "ID NAME STATE NODE" lines (caller frees). */
static char *our_jobs(void)
{
	return sh_out("SLURM_CONF='%s/slurm.conf' squeue -h -o '%%i %%j %%T %%N' 2>/dev/null | "
	              "grep ' ac-' || true", cluster);
}

/* Waits until squeue shows at least n of our jobs RUNNING. */
static bool wait_running(int n, double timeout_s)
{
	for (int i = 0; i < (int)(timeout_s * 10); i++) {
		char *j = our_jobs();
		int k = count_of(j ? j : "", "RUNNING");
		free(j);
		if (k >= n)
			return true;
		sleep_ms(100);
	}
	return false;
}

/* Waits until squeue shows none of our jobs. */
static bool wait_no_jobs(double timeout_s)
{
	for (int i = 0; i < (int)(timeout_s * 10); i++) {
		char *j = our_jobs();
		bool none = !j || !j[0];
		free(j);
		if (none)
			return true;
		sleep_ms(100);
	}
	return false;
}

static void set_sleep(const char *seconds)
{
	cr_assert_eq(sh("echo %s > '%s/sleep' && chmod 0644 '%s/sleep'", seconds, share, share), 0);
}

/* Copies the slurm-sleep kernel in as NAME with up to max candidates. */
static void add_kernel(const char *name, int max)
{
	cr_assert_eq(sh("mkdir '%s/kernels/%s'", m.dir, name), 0);
	cr_assert_eq(sh("cp '%s/tests/kernels/slurm-sleep/eval.sh' '%s/tests/kernels/slurm-sleep/input.c' "
	                "'%s/kernels/%s/'", src_dir(), src_dir(), m.dir, name), 0);
	cr_assert_eq(sh("printf '{\"target\":\"command\",\"command\":[\"./eval.sh\",\"{candidate}\","
	                "\"%s/sleep\"],\"max_candidates\":%d}' > '%s/kernels/%s/config.json'",
	                share, max, m.dir, name), 0);
}

static void mount_slurm(const char *opts)
{
	const char *args[] = {"-o", opts, NULL};
	const char *env[] = {conf_env, NULL};
	mnt_start(&m, args, env);
}

Test(slurm, both_nodes)
{
	start_cluster(2);
	set_sleep("0.3");
	mount_slurm("executor=slurm");
	char *t = NULL;
	for (int i = 0; i < 100; i++) {
		free(t);
		t = slurpf("%s/targets", m.dir);
		if (t && strstr(t, "executor slurm: available"))
			break;
		sleep_ms(100);
	}
	cr_assert(t && strstr(t, "executor slurm: available (the mount's default), 2 nodes up in "
	                         "partition debug"), "%s", t ? t : "");
	free(t);
	add_kernel("k", 12);
	char *st = wait_final(&m, "k", 120);
	cr_assert(st && !strncmp(st, "done", 4), "%s", st ? st : "(no final status)");
	free(st);

	/* Slurm's own record: our jobs ran on both nodes */
	char *n1 = sh_out("grep -c 'Name=ac-.*NodeList=n1 ' '%s/jobcomp.txt' || true", cluster);
	char *n2 = sh_out("grep -c 'Name=ac-.*NodeList=n2 ' '%s/jobcomp.txt' || true", cluster);
	cr_assert(n1 && atoi(n1) > 0 && n2 && atoi(n2) > 0, "jobs on n1: %s, on n2: %s",
	          n1 ? n1 : "?", n2 ? n2 : "?");
	free(n1);
	free(n2);
	char *metrics = slurpf("%s/kernels/k/metrics.json", m.dir);
	cr_assert(metrics && strstr(metrics, "\"node\":\t\"n1\"") &&
	          strstr(metrics, "\"node\":\t\"n2\""), "%s", metrics ? metrics : "");
	cr_assert(!strstr(metrics, "\"job\":\tnull"), "every timed run was a job: %s", metrics);
	free(metrics);
	char *log1 = slurpf("%s/kernels/k/candidates/1.log", m.dir);
	cr_assert(log1 && strstr(log1, "# slurm: job ") && strstr(log1, " on node n"), "%s",
	          log1 ? log1 : "");
	free(log1);
	char *status = slurpf("%s/status", m.dir);
	cr_assert(status && strstr(status, "slurm: 2 nodes up in partition debug, 0/2 timed runs"),
	          "%s", status ? status : "");
	free(status);
}

Test(slurm, scancel)
{
	start_cluster(2);
	set_sleep("3");
	mount_slurm("executor=slurm");
	add_kernel("k", 4);
	cr_assert(wait_running(1, 60), "no job started");
	/* let the node program start and name its job (a slow, sanitized build
	 * takes a while) before the job is cancelled */
	usleep(800000);
	char *jobs = our_jobs();
	char id[32] = "";
	cr_assert(jobs && sscanf(jobs, "%31s", id) == 1, "%s", jobs ? jobs : "");
	free(jobs);
	cr_assert_eq(sh("SLURM_CONF='%s/slurm.conf' scancel %s", cluster, id), 0);
	char *st = wait_final(&m, "k", 300);
	cr_assert(st && !strncmp(st, "done", 4), "%s", st ? st : "(no final status)");
	free(st);
	char *metrics = slurpf("%s/kernels/k/metrics.json", m.dir);
	cr_assert(metrics && !strstr(metrics, "\"outcome\":\t\"run_error\""), "the loss was not the candidate's: %s",
	          metrics ? metrics : "");
	free(metrics);
	char *log = slurpf("%s/kernels/k/log", m.dir);
	char needle[64];
	snprintf(needle, sizeof(needle), "slurm: job %s", id);
	cr_assert(log && strstr(log, needle) && strstr(log, "lost") && strstr(log, "evaluating again"),
	          "%s", log ? log : "");
	free(log);
}

Test(slurm, controller)
{
	start_cluster(2);
	set_sleep("0.5");
	mount_slurm("executor=slurm");
	add_kernel("k", 10);
	cr_assert(wait_running(1, 60), "no job started");
	cr_assert_eq(sh("'%s/tools/slurm-cluster' ctld-stop '%s'", src_dir(), cluster), 0);
	char path[400];
	snprintf(path, sizeof(path), "%s/status", m.dir);
	cr_assert(wait_contains(path, "the Slurm controller is unreachable", 60),
	          "status never said so");
	snprintf(path, sizeof(path), "%s/kernels/k/status", m.dir);
	cr_assert(wait_contains(path, "waiting: slurm: the controller is unreachable", 10));
	sleep_ms(2000);
	cr_assert_eq(sh("'%s/tools/slurm-cluster' ctld-start '%s'", src_dir(), cluster), 0);
	char *st = wait_final(&m, "k", 200);
	cr_assert(st && !strncmp(st, "done", 4), "%s", st ? st : "(no final status)");
	free(st);
	char *metrics = slurpf("%s/kernels/k/metrics.json", m.dir);
	cr_assert(metrics && !strstr(metrics, "\"outcome\":\t\"run_error\""), "%s", metrics ? metrics : "");
	free(metrics);
	char *log = slurpf("%s/kernels/k/log", m.dir);
	cr_assert(log && strstr(log, "the controller answers again"), "%s", log ? log : "");
	free(log);
	char *status = slurpf("%s/status", m.dir);
	cr_assert(status && !strstr(status, "unreachable"), "%s", status ? status : "");
	free(status);
}

Test(slurm, kill9)
{
	start_cluster(2);
	set_sleep("60");
	mount_slurm("executor=slurm");
	add_kernel("k", 4);
	cr_assert(wait_running(1, 60), "no job started");
	/* let the node program start and name its job before the daemon dies
	 * (as in scancel; a sanitized build takes a while): a daemon killed
	 * earlier than that was seen to take its job with it once, most
	 * likely through srun's broken pipe, which leaves nothing for the
	 * next daemon to find and clean up */
	usleep(1500000);
	char *before = our_jobs();
	char id[32] = "";
	cr_assert(before && sscanf(before, "%31s", id) == 1, "%s", before ? before : "");
	mnt_kill9(&m);
	/* the old daemon's job is still there: nobody cancelled it */
	sleep_ms(500);
	char *still = our_jobs();
	cr_assert(still && strstr(still, id), "job %s vanished by itself: %s", id, still ? still : "");
	free(still);
	set_sleep("0.3");
	mount_slurm("executor=slurm");
	/* found by its name (the state directory's identity) and cancelled */
	bool gone = false;
	for (int i = 0; i < 300 && !gone; i++) {
		char *now = our_jobs();
		char needle[40];
		snprintf(needle, sizeof(needle), "%s ", id);
		gone = !now || strncmp(now, needle, strlen(needle)) != 0;
		gone = gone && (!now || !strstr(now, needle));
		free(now);
		if (!gone)
			sleep_ms(100);
	}
	cr_assert(gone, "job %s of the killed daemon was not cancelled (was: %s)", id, before);
	free(before);
	char *st = wait_final(&m, "k", 120);
	cr_assert(st && !strncmp(st, "done", 4), "%s", st ? st : "(no final status)");
	free(st);
	char *dlog = slurp(m.log);
	cr_assert(dlog && strstr(dlog, "left by an earlier daemon of this state directory"), "%s",
	          dlog ? dlog : "");
	free(dlog);
	char *metrics = slurpf("%s/kernels/k/metrics.json", m.dir);
	cr_assert(metrics && !strstr(metrics, "\"outcome\":\t\"run_error\"") && !strstr(metrics, "\"outcome\":\t\"pending\""), "%s",
	          metrics ? metrics : "");
	free(metrics);
}

Test(slurm, stop_rmdir_umount)
{
	start_cluster(2);
	set_sleep("60");
	mount_slurm("executor=slurm");
	add_kernel("a", 4);
	cr_assert(wait_running(1, 60), "no job started");
	cr_assert_eq(sh("echo stop > '%s/kernels/a/ctl'", m.dir), 0);
	cr_assert(wait_no_jobs(20), "ctl stop left jobs behind");

	add_kernel("b", 4);
	cr_assert(wait_running(1, 60), "no job started for b");
	cr_assert_eq(sh("rm -rf '%s/kernels/b'", m.dir), 0);
	cr_assert(wait_no_jobs(20), "rmdir left jobs behind");

	add_kernel("c", 4);
	cr_assert(wait_running(1, 60), "no job started for c");
	cr_assert_eq(mnt_stop(&m), 0);
	cr_assert(wait_no_jobs(20), "unmount left jobs behind");
}

Test(slurm, misconfigured)
{
	/* no srun at all: the daemon's PATH has no Slurm */
	const char *args[] = {"-o", "executor=slurm", NULL};
	const char *env[] = {"PATH=/nonexistent", NULL};
	mnt_start(&m, args, env);
	set_sleep("0.1");
	char path[400];
	snprintf(path, sizeof(path), "%s/targets", m.dir);
	cr_assert(wait_contains(path, "executor slurm: unavailable (the mount's default): srun not "
	                        "found in PATH", 20));
	add_kernel("k", 2);
	char *st = wait_final(&m, "k", 60);
	cr_assert(st && strstr(st, "failed") && strstr(st, "srun not found"), "%s",
	          st ? st : "(no final status)");
	free(st);
	cr_assert_eq(mnt_stop(&m), 0);

	/* Slurm installed, its configuration broken */
	char *why = sh_out("'%s/tools/slurm-cluster' why 2>&1", src_dir());
	if (why && why[0]) {
		why[strcspn(why, "\n")] = '\0';
		cr_skip_test("Slurm cannot run here: %s", why);
	}
	free(why);
	cr_assert_eq(sh("echo 'this is not a slurm.conf' > '%s/bad.conf'", share), 0);
	char bad[200];
	snprintf(bad, sizeof(bad), "SLURM_CONF=%s/bad.conf", share);
	const char *env2[] = {bad, NULL};
	mnt_start(&m, args, env2);
	cr_assert(wait_contains(path, "executor slurm: unavailable (the mount's default): sinfo failed", 30));
	cr_assert_eq(sh("rm -rf '%s/kernels/k'", m.dir), 0);
	add_kernel("k2", 2);
	st = wait_final(&m, "k2", 60);
	cr_assert(st && strstr(st, "failed") && strstr(st, "srun failed"), "%s",
	          st ? st : "(no final status)");
	free(st);
}

Test(slurm, cpu_on_node)
{
	start_cluster(2);
	mount_slurm("executor=slurm");
	cr_assert_eq(sh("mkdir '%s/kernels/ew' && cp '%s/tests/kernels/tune-elementwise/harness.c' "
	                "'%s/kernels/ew/' && echo '{\"max_candidates\": 4}' > '%s/kernels/ew/config.json' && "
	                "cp '%s/tests/kernels/tune-elementwise/input.c' '%s/kernels/ew/'",
	                m.dir, src_dir(), m.dir, m.dir, src_dir(), m.dir), 0);
	char *st = wait_final(&m, "ew", 240);
	cr_assert(st && !strncmp(st, "done", 4), "%s", st ? st : "(no final status)");
	free(st);
	char *log0 = slurpf("%s/kernels/ew/candidates/0.log", m.dir);
	cr_assert(log0 && strstr(log0, "# slurm: job ") && strstr(log0, "# report: {"), "%s",
	          log0 ? log0 : "");
	cr_assert(strstr(log0, "sandbox: no network, pid namespace, unprivileged uid"), "%s", log0);
	free(log0);
	char *n = sh_out("grep -c 'Name=ac-' '%s/jobcomp.txt' || true", cluster);
	cr_assert(n && atoi(n) >= 5, "baseline, 4 points and finalists were jobs: %s", n ? n : "");
	free(n);
}

Test(slurm, three_losses)
{
	start_cluster(2);
	set_sleep("30");
	mount_slurm("executor=slurm");
	add_kernel("k", 2);
	/* cancel every job of ours as soon as it runs, until the run gives up */
	char *st = NULL;
	for (int i = 0; i < 600; i++) {
		sh("SLURM_CONF='%s/slurm.conf' squeue -h -t RUNNING -o '%%i %%j' 2>/dev/null | "
		   "awk '$2 ~ /^ac-/ { print $1 }' | xargs -r env SLURM_CONF='%s/slurm.conf' scancel",
		   cluster, cluster);
		st = slurpf("%s/kernels/k/status", m.dir);
		if (st && !strncmp(st, "failed", 6))
			break;
		free(st);
		st = NULL;
		sleep_ms(200);
	}
	cr_assert(st && strstr(st, "the Slurm job was lost 3 times"), "%s", st ? st : "(still running)");
	free(st);
	char *log0 = slurpf("%s/kernels/k/candidates/0.log", m.dir);
	cr_assert(log0 && count_of(log0, "# slurm: job ") >= 3 && strstr(log0, "lost"), "%s",
	          log0 ? log0 : "");
	/* each loss names its job: by id, or by name when it was lost before
	 * its node program started */
	cr_assert_null(strstr(log0, "job ?"), "%s", log0);
	for (const char *p = strstr(log0, "# slurm: job "); p; p = strstr(p + 1, "# slurm: job ")) {
		const char *w = p + strlen("# slurm: job ");
		cr_assert((*w >= '0' && *w <= '9') || !strncmp(w, "ac-", 3), "%.200s", p);
	}
	free(log0);
}

Test(slurm, node_lost)
{
	start_cluster(2);
	set_sleep("20");
	mount_slurm("executor=slurm");
	add_kernel("k", 1);
	cr_assert(wait_running(1, 60), "no job started");
	char *jobs = our_jobs();
	char id[32] = "", name[200] = "", state[32] = "", node[32] = "";
	cr_assert(jobs && sscanf(jobs, "%31s %199s %31s %31s", id, name, state, node) == 4, "%s",
	          jobs ? jobs : "");
	free(jobs);
	usleep(1500000);   /* the node program has started and named its job */
	/* the node goes away: its slurmd, and the step daemon of our job on it */
	cr_assert_eq(sh("kill -9 $(cat '%s/slurmd-%s.pid') $(pgrep -f 'slurmstepd: \\[%s\\.')",
	                cluster, node, id), 0);
	set_sleep("0.3");
	char *st = wait_final(&m, "k", 120);
	cr_assert(st && !strncmp(st, "done", 4), "%s", st ? st : "(no final status)");
	free(st);
	char *log0 = slurpf("%s/kernels/k/candidates/0.log", m.dir);
	char lost[64];
	snprintf(lost, sizeof(lost), "# slurm: job %s lost", id);
	cr_assert(log0 && strstr(log0, lost) && strstr(log0, "(attempt 2)"), "%s", log0 ? log0 : "");
	free(log0);
}
