/*
 * test_sandbox.c - ac_sandbox_run against real commands: exit codes and
 * signals, the timeout and cancel flag killing the whole group (a
 * grandchild that ignores SIGTERM, one that left with setsid), output caps,
 * the clean environment (no API key leaks), the report pipe, no leaked
 * descriptors or zombies, the network namespace, RLIMIT_FSIZE, a fork bomb,
 * the uid drop and CPU pinning, several runs at once, and finding a
 * command and the last core as the sandbox does.
 *
 * The commands are /bin/sh, bash, coreutils and util-linux programs, so no
 * compiler is needed here.
 */
#include <criterion/criterion.h>

#include "targets/exec/sandbox.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static char dir[64];

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static void setup(void)
{
	snprintf(dir, sizeof dir, "/tmp/ac-sandbox-XXXXXX");
	cr_assert_not_null(mkdtemp(dir));
}

/* Idempotent: a test that skips itself calls it before the suite does. */
static void teardown(void)
{
	if (dir[0])
		nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	dir[0] = '\0';
}

TestSuite(sandbox, .init = setup, .fini = teardown, .timeout = 30);

static struct ac_sandbox_opts opts_for(char *const *argv)
{
	struct ac_sandbox_opts o;

	memset(&o, 0, sizeof o);
	o.dir = dir;
	o.argv = argv;
	o.timeout_s = 10;
	o.cpu = -1;
	return o;
}

static int run_sh(const char *script, struct ac_sandbox_opts *o, struct ac_proc_result *res)
{
	char *argv[] = { "sh", "-c", (char *)script, NULL };
	struct ac_sandbox_opts d = opts_for(argv);

	if (o) {
		o->argv = argv;
		if (!o->dir)
			o->dir = dir;
		return ac_sandbox_run(o, res);
	}
	return ac_sandbox_run(&d, res);
}

static bool exists_in_dir(const char *name)
{
	char path[128];

	snprintf(path, sizeof path, "%s/%s", dir, name);
	return access(path, F_OK) == 0;
}

static void sleep_s(double s)
{
	struct timespec ts = { (time_t)s, (long)((s - (double)(time_t)s) * 1e9) };

	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

Test(sandbox, exit_code)
{
	struct ac_proc_result res;
	char buf[64];

	cr_assert_eq(run_sh("exit 3", NULL, &res), 0);
	cr_expect_eq(res.exit_code, 3);
	cr_expect_eq(res.signal, 0);
	cr_expect(!res.timed_out && !res.cancelled && !res.truncated);
	cr_expect_str_eq(ac_proc_describe(&res, 10, buf, sizeof buf), "exit 3");
	cr_expect_not_null(res.output);
	cr_expect_eq(res.output_len, 0);
	cr_expect_null(res.report);
	ac_proc_result_clear(&res);
	cr_expect_null(res.output);
	ac_proc_result_clear(NULL);
}

Test(sandbox, signal)
{
	struct ac_proc_result res;
	char buf[64];

	cr_assert_eq(run_sh("kill -SEGV $$", NULL, &res), 0);
	cr_expect_eq(res.signal, SIGSEGV);
	cr_expect_str_eq(ac_proc_describe(&res, 10, buf, sizeof buf), "killed by SIGSEGV");
	ac_proc_result_clear(&res);
}

Test(sandbox, output_interleaved)
{
	struct ac_proc_result res;

	cr_assert_eq(run_sh("echo out; echo err >&2; echo out2", NULL, &res), 0);
	cr_expect_str_eq(res.output, "out\nerr\nout2\n");
	cr_expect_eq(res.output_len, strlen("out\nerr\nout2\n"));
	cr_expect_eq(res.exit_code, 0);
	ac_proc_result_clear(&res);
}

Test(sandbox, not_found)
{
	char *argv[] = { "no-such-command-for-autocompfs", NULL };
	struct ac_sandbox_opts o = opts_for(argv);
	struct ac_proc_result res;

	cr_expect_eq(ac_sandbox_run(&o, &res), -ENOENT);
	cr_expect_null(res.output);
}

Test(sandbox, stdin_is_dev_null)
{
	struct ac_proc_result res;

	cr_assert_eq(run_sh("cat; echo done", NULL, &res), 0);
	cr_expect_str_eq(res.output, "done\n");
	ac_proc_result_clear(&res);
}

Test(sandbox, timeout_kills_group)
{
	struct ac_sandbox_opts o;
	struct ac_proc_result res;
	char buf[64];

	memset(&o, 0, sizeof o);
	o.timeout_s = 0.3;
	o.cpu = -1;
	/* The grandchild ignores SIGTERM and would write a marker after 1 s. */
	cr_assert_eq(run_sh("(trap '' TERM; sleep 1; echo alive > marker) & sleep 10", &o, &res), 0);
	cr_expect(res.timed_out);
	cr_expect_eq(res.signal, SIGKILL);
	cr_expect(res.wall_s >= 0.3 && res.wall_s < 1.0, "wall %.2f s", res.wall_s);
	cr_expect_str_eq(ac_proc_describe(&res, 0.3, buf, sizeof buf), "timed out after 0.3 s");
	ac_proc_result_clear(&res);
	sleep_s(1.3);
	cr_expect(!exists_in_dir("marker"), "the grandchild survived the timeout");
}

Test(sandbox, leftover_child_killed)
{
	struct ac_proc_result res;

	cr_assert_eq(run_sh("(sleep 0.5; echo alive > marker) & exit 0", NULL, &res), 0);
	cr_expect_eq(res.exit_code, 0);
	cr_expect(res.wall_s < 0.4, "waited for the child: %.2f s", res.wall_s);
	ac_proc_result_clear(&res);
	sleep_s(0.8);
	cr_expect(!exists_in_dir("marker"), "a child left running survived");
}

Test(sandbox, setsid_escape_killed)
{
	struct ac_proc_result res;

	if (geteuid() != 0) {
		teardown();   /* a skipped test does not get its .fini */
		cr_skip_test("only root gets a PID namespace");
	}
	cr_assert_eq(run_sh("setsid sh -c 'sleep 0.5; echo alive > marker' & sleep 0.1; exit 0",
	                    NULL, &res), 0);
	cr_expect(res.pid_isolated);
	ac_proc_result_clear(&res);
	sleep_s(0.8);
	cr_expect(!exists_in_dir("marker"), "a process that left the group survived");
}

Test(sandbox, output_cap)
{
	struct ac_sandbox_opts o;
	struct ac_proc_result res;

	memset(&o, 0, sizeof o);
	o.output_cap = 1000;
	o.cpu = -1;
	cr_assert_eq(run_sh("head -c 10000000 /dev/zero | tr '\\0' x; echo; echo done >&2", &o, &res), 0);
	cr_expect(res.truncated);
	cr_expect_eq(res.output_len, 1000);
	cr_expect_eq(strlen(res.output), 1000);
	cr_expect_eq(res.exit_code, 0, "the writer was not drained: %d", res.exit_code);
	ac_proc_result_clear(&res);
}

Test(sandbox, endless_flood_times_out)
{
	char *argv[] = { "yes", NULL };
	struct ac_sandbox_opts o = opts_for(argv);
	struct ac_proc_result res;

	o.timeout_s = 0.5;
	o.output_cap = 4096;
	cr_assert_eq(ac_sandbox_run(&o, &res), 0);
	cr_expect(res.timed_out);
	cr_expect(res.truncated);
	cr_expect_eq(res.output_len, 4096);
	cr_expect(res.wall_s < 1.5);
	ac_proc_result_clear(&res);
}

struct canceller {
	atomic_int flag;
	double after_s;
};

static void *cancel_later(void *arg)
{
	struct canceller *c = arg;

	sleep_s(c->after_s);
	atomic_store(&c->flag, 1);
	return NULL;
}

Test(sandbox, cancel)
{
	char *argv[] = { "sleep", "10", NULL };
	struct ac_sandbox_opts o = opts_for(argv);
	struct ac_proc_result res;
	struct canceller c;
	pthread_t th;
	char buf[64];

	atomic_init(&c.flag, 0);
	c.after_s = 0.2;
	o.cancel = &c.flag;
	cr_assert_eq(pthread_create(&th, NULL, cancel_later, &c), 0);
	cr_assert_eq(ac_sandbox_run(&o, &res), 0);
	pthread_join(th, NULL);
	cr_expect(res.cancelled);
	cr_expect(!res.timed_out);
	cr_expect(res.wall_s < 0.6, "cancel took %.2f s", res.wall_s);
	cr_expect_str_eq(ac_proc_describe(&res, 10, buf, sizeof buf), "cancelled");
	ac_proc_result_clear(&res);
}

Test(sandbox, clean_environment)
{
	char *env[] = { "FOO=bar", "LANG=C.UTF-8", NULL };
	char *argv[] = { "env", NULL };
	struct ac_sandbox_opts o = opts_for(argv);
	struct ac_proc_result res;
	char want[128];

	setenv("OPENAI_API_KEY", "sk-test-secret", 1);
	setenv("ANTHROPIC_API_KEY", "sk-ant-secret", 1);
	o.env = env;
	cr_assert_eq(ac_sandbox_run(&o, &res), 0);
	cr_expect_null(strstr(res.output, "OPENAI"), "leaked: %s", res.output);
	cr_expect_null(strstr(res.output, "secret"), "leaked: %s", res.output);
	cr_expect_null(strstr(res.output, "AC_REPORT_FD"));
	cr_expect_not_null(strstr(res.output, "FOO=bar\n"));
	cr_expect_not_null(strstr(res.output, "LANG=C.UTF-8\n"), "extra env must win");
	cr_expect_null(strstr(res.output, "LANG=C\n"));
	cr_expect_not_null(strstr(res.output, "PATH=/usr/local/bin:/usr/bin:/bin"));
	snprintf(want, sizeof want, "HOME=%s\n", dir);
	cr_expect_not_null(strstr(res.output, want), "%s", res.output);
	snprintf(want, sizeof want, "TMPDIR=%s\n", dir);
	cr_expect_not_null(strstr(res.output, want));
	ac_proc_result_clear(&res);
}

Test(sandbox, report_pipe)
{
	/* dash cannot redirect to descriptors above 9; bash can. */
	char *argv[] = { "bash", "-c",
	                 "echo '{\"correct\":true}' >&$AC_REPORT_FD; echo on-stdout", NULL };
	struct ac_sandbox_opts o = opts_for(argv);
	struct ac_proc_result res;

	o.report = true;
	cr_assert_eq(ac_sandbox_run(&o, &res), 0);
	cr_assert_not_null(res.report, "output: %s", res.output);
	cr_expect_eq(res.report_len, strlen("{\"correct\":true}\n"));
	cr_expect_eq(memcmp(res.report, "{\"correct\":true}\n", res.report_len), 0);
	cr_expect_str_eq(res.output, "on-stdout\n");
	ac_proc_result_clear(&res);
}

Test(sandbox, no_descriptor_leaks)
{
	char *argv[] = { "ls", "/proc/self/fd", NULL };
	struct ac_sandbox_opts o = opts_for(argv);
	struct ac_proc_result res;
	int leak = open("/dev/null", O_RDONLY);   /* deliberately not close-on-exec */
	int n = 0;

	cr_assert_geq(leak, 0);
	cr_assert_eq(ac_sandbox_run(&o, &res), 0);
	/* 0, 1, 2 and the descriptor ls itself uses to read the directory. */
	for (char *p = res.output; *p; p++)
		n += *p == '\n';
	cr_expect_eq(n, 4, "descriptors: %s", res.output);
	ac_proc_result_clear(&res);
	close(leak);
}

Test(sandbox, no_zombies)
{
	struct ac_proc_result res;
	struct ac_sandbox_opts o;

	memset(&o, 0, sizeof o);
	o.timeout_s = 0.2;
	o.cpu = -1;
	cr_assert_eq(run_sh("sleep 0.1 & sleep 0.05 & exit 0", NULL, &res), 0);
	ac_proc_result_clear(&res);
	cr_assert_eq(run_sh("sleep 5", &o, &res), 0);
	ac_proc_result_clear(&res);
	cr_expect_eq(waitpid(-1, NULL, WNOHANG), -1);
	cr_expect_eq(errno, ECHILD);
}

Test(sandbox, network_namespace)
{
	struct sockaddr_in addr;
	socklen_t alen = sizeof addr;
	struct ac_proc_result res;
	struct ac_sandbox_opts o;
	char script[128];
	int ls = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	cr_assert_geq(ls, 0);
	memset(&addr, 0, sizeof addr);
	addr.sin_family = AF_INET;
	addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	cr_assert_eq(bind(ls, (struct sockaddr *)&addr, sizeof addr), 0);
	cr_assert_eq(listen(ls, 8), 0);
	cr_assert_eq(getsockname(ls, (struct sockaddr *)&addr, &alen), 0);
	snprintf(script, sizeof script, "exec 3<>/dev/tcp/127.0.0.1/%d && echo connected",
	         ntohs(addr.sin_port));
	{
		char *argv[] = { "bash", "-c", script, NULL };

		/* Control: without isolation the listener is reachable. */
		o = opts_for(argv);
		cr_assert_eq(ac_sandbox_run(&o, &res), 0);
		cr_expect(!res.net_isolated);
		cr_expect_eq(res.exit_code, 0, "control run could not connect: %s", res.output);
		ac_proc_result_clear(&res);

		o.isolate_net = true;
		cr_assert_eq(ac_sandbox_run(&o, &res), 0);
		if (!res.net_isolated) {
			ac_proc_result_clear(&res);
			close(ls);
			teardown();   /* a skipped test does not get its .fini */
			cr_skip_test("the kernel refused a network namespace");
		}
		cr_expect_neq(res.exit_code, 0, "connected from inside the namespace");
		cr_expect_null(strstr(res.output, "connected\n"));
		ac_proc_result_clear(&res);
	}
	close(ls);
}

Test(sandbox, file_size_limit)
{
	struct ac_sandbox_opts o;
	struct ac_proc_result res;
	struct stat st;
	char path[128];

	memset(&o, 0, sizeof o);
	o.fsize_bytes = 1 << 20;
	o.cpu = -1;
	cr_assert_eq(run_sh("exec head -c 3000000 /dev/zero > big", &o, &res), 0);
	cr_expect_eq(res.signal, SIGXFSZ, "signal %d exit %d", res.signal, res.exit_code);
	snprintf(path, sizeof path, "%s/big", dir);
	cr_assert_eq(stat(path, &st), 0);
	cr_expect_leq(st.st_size, 1 << 20);
	ac_proc_result_clear(&res);
}

/* Counts processes whose command line contains the marker argument. */
static int count_marked(const char *marker)
{
	DIR *d = opendir("/proc");
	struct dirent *e;
	int n = 0;

	if (!d)
		return -1;
	while ((e = readdir(d))) {
		char path[300], buf[256];
		ssize_t len;
		int fd;

		if (e->d_name[0] < '0' || e->d_name[0] > '9')
			continue;
		snprintf(path, sizeof path, "/proc/%s/cmdline", e->d_name);
		fd = open(path, O_RDONLY);
		if (fd < 0)
			continue;
		len = read(fd, buf, sizeof buf - 1);
		close(fd);
		if (len <= 0)
			continue;
		for (ssize_t i = 0; i < len; i++)
			if (buf[i] == '\0')
				buf[i] = ' ';
		buf[len] = '\0';
		if (strstr(buf, marker))
			n++;
	}
	closedir(d);
	return n;
}

Test(sandbox, fork_bomb_contained)
{
	struct ac_sandbox_opts o;
	struct ac_proc_result res;
	int left = -1;

	memset(&o, 0, sizeof o);
	o.timeout_s = 1;
	o.nproc = 64;
	o.cpu = -1;
	/* Forks sleepers until fork fails, and keeps trying (bash retries a
	 * failed fork where dash may give up). */
	cr_assert_eq(run_sh("exec bash -c 'while :; do sleep 31.41592 & done' 2>/dev/null", &o, &res), 0);
	cr_expect(res.wall_s < 2.0, "the bomb ran %.2f s", res.wall_s);
	if (geteuid() == 0)
		cr_expect(res.uid_dropped || res.pid_isolated);
	ac_proc_result_clear(&res);
	for (int i = 0; i < 100 && left != 0; i++) {
		left = count_marked("31.41592");
		if (left)
			sleep_s(0.01);
	}
	cr_expect_eq(left, 0, "%d bomb processes survived", left);
}

Test(sandbox, uid_drop)
{
	struct ac_sandbox_opts o;
	struct ac_proc_result res;

	if (geteuid() != 0) {
		teardown();   /* a skipped test does not get its .fini */
		cr_skip_test("the uid drop needs root");
	}
	cr_assert_eq(run_sh("id -u; touch mine && echo wrote; touch /root/.ac-sandbox-test 2>/dev/null || echo refused",
	                    NULL, &res), 0);
	cr_expect(res.uid_dropped);
	cr_expect(res.pid_isolated);
	cr_expect_str_eq(res.output, "65534\nwrote\nrefused\n");
	ac_proc_result_clear(&res);
	unlink("/root/.ac-sandbox-test");

	memset(&o, 0, sizeof o);
	o.keep_uid = true;
	o.cpu = -1;
	cr_assert_eq(run_sh("id -u", &o, &res), 0);
	cr_expect(!res.uid_dropped);
	cr_expect_str_eq(res.output, "0\n");
	ac_proc_result_clear(&res);
}

Test(sandbox, unreachable_dir_keeps_root)
{
	char parent[128], inner[192];
	struct ac_sandbox_opts o;
	struct ac_proc_result res;

	if (geteuid() != 0) {
		teardown();   /* a skipped test does not get its .fini */
		cr_skip_test("the uid drop needs root");
	}
	/* dir (0700, root) holds the run's directory: nobody cannot reach it. */
	snprintf(parent, sizeof parent, "%s/private", dir);
	cr_assert_eq(mkdir(parent, 0700), 0);
	cr_assert_eq(chown(dir, 0, 0), 0);
	cr_assert_eq(chmod(dir, 0700), 0);
	snprintf(inner, sizeof inner, "%s/run", parent);
	cr_assert_eq(mkdir(inner, 0700), 0);
	memset(&o, 0, sizeof o);
	o.dir = inner;
	o.cpu = -1;
	cr_assert_eq(run_sh("id -u", &o, &res), 0);
	cr_expect(!res.uid_dropped);
	cr_expect_str_eq(res.output, "0\n");
	ac_proc_result_clear(&res);
}

Test(sandbox, cpu_pinning)
{
	struct ac_sandbox_opts o;
	struct ac_proc_result res;
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	char want[64];

	memset(&o, 0, sizeof o);
	o.cpu = (int)(ncpu - 1);
	cr_assert_eq(run_sh("grep Cpus_allowed_list /proc/self/status", &o, &res), 0);
	snprintf(want, sizeof want, "Cpus_allowed_list:\t%ld\n", ncpu - 1);
	cr_expect_str_eq(res.output, want);
	ac_proc_result_clear(&res);
}

Test(sandbox, cpu_time_limit)
{
	struct ac_sandbox_opts o;
	struct ac_proc_result res;

	memset(&o, 0, sizeof o);
	o.cpu_s = 1;
	o.timeout_s = 5;
	o.cpu = -1;
	cr_assert_eq(run_sh("exec sh -c 'while :; do :; done'", &o, &res), 0);
	cr_expect(!res.timed_out);
	cr_expect(res.signal == SIGXCPU || res.signal == SIGKILL, "signal %d", res.signal);
	ac_proc_result_clear(&res);
}

struct par {
	int id;
	char dir[128];
	int rc;
	char output[64];
};

static void *run_par(void *arg)
{
	struct par *p = arg;
	char script[64];
	char *argv[] = { "sh", "-c", script, NULL };
	struct ac_sandbox_opts o;
	struct ac_proc_result res;

	snprintf(script, sizeof script, "sleep 0.1; echo job-%d", p->id);
	memset(&o, 0, sizeof o);
	o.dir = p->dir;
	o.argv = argv;
	o.cpu = -1;
	o.report = p->id % 2;
	o.isolate_net = true;
	p->rc = ac_sandbox_run(&o, &res);
	if (p->rc == 0)
		snprintf(p->output, sizeof p->output, "%s", res.output);
	ac_proc_result_clear(&res);
	return NULL;
}

Test(sandbox, concurrent_runs)
{
	struct par ps[6];
	pthread_t th[6];

	for (int i = 0; i < 6; i++) {
		ps[i].id = i;
		snprintf(ps[i].dir, sizeof ps[i].dir, "%s/d%d", dir, i);
		cr_assert_eq(mkdir(ps[i].dir, 0700), 0);
		cr_assert_eq(pthread_create(&th[i], NULL, run_par, &ps[i]), 0);
	}
	for (int i = 0; i < 6; i++) {
		char want[32];

		pthread_join(th[i], NULL);
		snprintf(want, sizeof want, "job-%d\n", i);
		cr_expect_eq(ps[i].rc, 0);
		cr_expect_str_eq(ps[i].output, want);
	}
}

Test(sandbox, bad_arguments)
{
	struct ac_proc_result res;
	char *argv[] = { NULL };
	struct ac_sandbox_opts o = opts_for(argv);

	cr_expect_eq(ac_sandbox_run(&o, &res), -EINVAL);
	o.argv = NULL;
	cr_expect_eq(ac_sandbox_run(&o, &res), -EINVAL);
	{
		char *ok[] = { "true", NULL };

		o.argv = ok;
		o.dir = "/nonexistent/autocompfs";
		cr_expect_eq(ac_sandbox_run(&o, &res), -ENOENT);
	}
}

/* Pinning: one core, or the last ncpus ending at cpu; more than there are
 * below cpu is refused. */
Test(sandbox, pinned_to_one_core_or_several)
{
	struct ac_proc_result res;
	struct ac_sandbox_opts o;
	long n = sysconf(_SC_NPROCESSORS_ONLN);
	char want[64];

	memset(&o, 0, sizeof o);
	o.timeout_s = 10;
	o.cpu = (int)n - 1;
	cr_assert_eq(run_sh("grep Cpus_allowed_list /proc/self/status", &o, &res), 0);
	snprintf(want, sizeof want, "Cpus_allowed_list:\t%ld\n", n - 1);
	cr_expect_str_eq(res.output, want);
	ac_proc_result_clear(&res);
	if (n < 2)
		return;
	memset(&o, 0, sizeof o);
	o.timeout_s = 10;
	o.cpu = (int)n - 1;
	o.ncpus = 2;
	cr_assert_eq(run_sh("grep Cpus_allowed_list /proc/self/status", &o, &res), 0);
	snprintf(want, sizeof want, "Cpus_allowed_list:\t%ld-%ld\n", n - 2, n - 1);
	cr_expect_str_eq(res.output, want);
	ac_proc_result_clear(&res);
	memset(&o, 0, sizeof o);
	o.cpu = 0;
	o.ncpus = 2;
	cr_expect_eq(run_sh("true", &o, &res), -EINVAL);
}

/* A bare name is found as the sandbox will find it; a name with '/' is
 * not looked up; the last core is one this process may run on. */
Test(sandbox, which_and_last_cpu)
{
	char path[4096];
	cpu_set_t set;
	int cpu = ac_sandbox_last_cpu();

	cr_assert_eq(ac_sandbox_which("sh", NULL, path, sizeof path), 0);
	cr_expect(strlen(path) > 3 && !strcmp(path + strlen(path) - 3, "/sh"), "%s", path);
	cr_assert_eq(ac_sandbox_which("sh", "/nonexistent::/bin", path, sizeof path), 0);
	cr_expect_str_eq(path, "/bin/sh");
	cr_expect_eq(ac_sandbox_which("./sh", NULL, path, sizeof path), -ENOENT);
	cr_expect_eq(ac_sandbox_which("no-such-command-here", NULL, path, sizeof path), -ENOENT);
	cr_expect_eq(ac_sandbox_which("", NULL, path, sizeof path), -ENOENT);
	cr_assert(cpu >= 0);
	cr_assert_eq(sched_getaffinity(0, sizeof set, &set), 0);
	cr_expect(CPU_ISSET(cpu, &set));
	for (int c = cpu + 1; c < CPU_SETSIZE; c++)
		cr_expect(!CPU_ISSET(c, &set), "core %d is after the last", c);
}
