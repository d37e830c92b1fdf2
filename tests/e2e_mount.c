/*
 * e2e_mount.c - the mount, driven by real commands through a real daemon.
 *
 * Each test mounts a fresh state directory on a fresh mountpoint, uses the
 * shell tools people use (cp, cat, sed -i, mv, rsync, tail -f...) and
 * unmounts. These are the user-facing contract of DESIGN.md §2.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "ac_config.h"
#include "tests/support.h"

static struct mnt m;

static void setup(void)
{
	mnt_init(&m);
	mnt_start(&m, NULL, NULL);
}

static void teardown(void)
{
	mnt_cleanup(&m);
}

TestSuite(mount, .init = setup, .fini = teardown, .timeout = 180);

/* Copies the gemm kernel in and waits for its run to end. */
static char *run_gemm(const char *name)
{
	cr_assert_eq(sh("cp -r %s/tests/kernels/gemm %s/kernels/%s", src_dir(), m.dir, name), 0);
	char *st = wait_final(&m, name, 120);
	cr_assert(st, "the run did not end");
	return st;
}

Test(mount, layout_at_the_root)
{
	char *ls = sh_out("ls %s", m.dir);
	cr_assert_str_eq(ls, "index.html\nkernels\nmenus\nprogress.svg\nstatus\ntargets\n");
	free(ls);
	cr_assert(wait_contains(m.dir, "", 1));
	char path[400];
	snprintf(path, sizeof(path), "%s/targets", m.dir);
	cr_assert(wait_contains(path, "cpu: available", 20), "targets: %s", slurp(path));
	char *t = slurp(path);
	cr_assert(strstr(t, "cuda:") && strstr(t, "command:"), "%s", t);
	free(t);
	char *menus = sh_out("ls %s/menus", m.dir);
	cr_assert(strstr(menus, "cpu.menu") && strstr(menus, "cpu.md"), "menus: %s", menus);
	free(menus);
	char *status = slurpf("%s/status", m.dir);
	cr_assert(strstr(status, "engine: 0 kernels"), "%s", status);
	free(status);
}

Test(mount, gemm_baseline_end_to_end)
{
	char *st = run_gemm("gemm");
	cr_assert(!strncmp(st, "done", 4), "status: %s", st);
	free(st);
	char *best = slurpf("%s/kernels/gemm/best.c", m.dir);
	char *input = slurpf("%s/tests/kernels/gemm/input.c", src_dir());
	cr_assert_str_eq(best, input);
	char *c0 = slurpf("%s/kernels/gemm/candidates/0.c", m.dir);
	cr_assert_str_eq(c0, input);
	free(best);
	free(input);
	free(c0);
	char *metrics = slurpf("%s/kernels/gemm/metrics.json", m.dir);
	cr_assert(strstr(metrics, "\"outcome\":\t\"ok\""), "%s", metrics);
	cr_assert(strstr(metrics, "\"time_ns\""));
	free(metrics);
	char *log = slurpf("%s/kernels/gemm/log", m.dir);
	cr_assert_eq(count_of(log, " queued\n"), 1, "exactly one run: %s", log);
	cr_assert(strstr(log, "candidate 0: ok"), "%s", log);
	free(log);
	char *ls = sh_out("ls %s/kernels/gemm/candidates %s/kernels/gemm/plans", m.dir, m.dir);
	cr_assert(strstr(ls, "0.c\n0.log") && strstr(ls, "0.md"), "%s", ls);
	free(ls);
	char *sched = slurpf("%s/kernels/gemm/schedule", m.dir);
	cr_assert(!strncmp(sched, "#0 input", 8), "%s", sched);
	free(sched);
	char *root = slurpf("%s/status", m.dir);
	cr_assert(strstr(root, "gemm: done"), "%s", root);
	free(root);
}

Test(mount, harness_that_does_not_compile)
{
	sh("mkdir %s/kernels/bad && cp %s/tests/kernels/gemm/input.c %s/kernels/bad/ && "
	   "printf 'int main(void) { return x; }\\n' > %s/kernels/bad/harness.c",
	   m.dir, src_dir(), m.dir, m.dir);
	char *st = wait_final(&m, "bad", 60);
	cr_assert(st);
	cr_assert(strstr(st, "failed: harness does not compile"), "%s", st);
	free(st);
	char *log = slurpf("%s/kernels/bad/candidates/0.log", m.dir);
	cr_assert(strstr(log, "error"), "compiler output expected: %s", log);
	free(log);
}

Test(mount, inputs_that_misbehave)
{
	struct {
		const char *name;
		const char *body;
		const char *want;
	} cases[] = {
		{"crash", "void gemm(int M,int N,int K,const float*A,const float*B,float*C)"
		          "{ (void)M;(void)N;(void)K;(void)A;(void)B;(void)C; *(volatile int*)0 = 1; }",
		 "failed: the input did not run"},
		{"loop", "void gemm(int M,int N,int K,const float*A,const float*B,float*C)"
		         "{ (void)M;(void)N;(void)K;(void)A;(void)B;(void)C; for(;;); }",
		 "failed: the input timed out"},
		{"flood", "#include <stdio.h>\nvoid gemm(int M,int N,int K,const float*A,const float*B,float*C)"
		          "{ (void)M;(void)N;(void)K;(void)A;(void)B;(void)C; for(;;) puts(\"spam spam spam\"); }",
		 "failed: the input"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char path[600];
		snprintf(path, sizeof(path), "%s/kernels/%s", m.dir, cases[i].name);
		cr_assert_eq(mkdir(path, 0755), 0);
		sh("printf '{\"timeout_s\": 2}' > %s/config.json", path);
		FILE *f = fopen(strcat(strcpy((char[700]){0}, path), "/input.c"), "w");
		fputs(cases[i].body, f);
		fclose(f);
		sh("cp %s/tests/kernels/gemm/harness.c %s/", src_dir(), path);
	}
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *st = wait_final(&m, cases[i].name, 90);
		cr_assert(st, "%s did not end", cases[i].name);
		cr_assert(strstr(st, cases[i].want), "%s: %s", cases[i].name, st);
		free(st);
	}
	/* the daemon is still fine */
	char *st = run_gemm("after");
	cr_assert(!strncmp(st, "done", 4), "%s", st);
	free(st);
}

Test(mount, config_json_is_validated)
{
	sh("mkdir %s/kernels/k", m.dir);
	cr_assert_eq(sh("printf '{\"iterations\": 3}' > %s/kernels/k/config.json", m.dir), 0);
	/* unknown key: EINVAL, the old config stays, the log names the key */
	cr_assert_neq(sh("(printf '{\"beams\": 2}' > %s/kernels/k/config.json) 2>/dev/null", m.dir), 0);
	char *cfg = slurpf("%s/kernels/k/config.json", m.dir);
	cr_assert_str_eq(cfg, "{\"iterations\": 3}");
	free(cfg);
	char *log = slurpf("%s/kernels/k/log", m.dir);
	cr_assert(strstr(log, "unknown key \"beams\""), "%s", log);
	free(log);
	/* wrong type, and invalid JSON written through cp (error at close) */
	cr_assert_neq(sh("(printf '{\"beam\": \"x\"}' > %s/kernels/k/config.json) 2>/dev/null", m.dir), 0);
	sh("printf '{nope' > %s/bad.json", m.base);
	cr_assert_neq(sh("cp %s/bad.json %s/kernels/k/config.json 2>/dev/null", m.base, m.dir), 0);
	cfg = slurpf("%s/kernels/k/config.json", m.dir);
	cr_assert_str_eq(cfg, "{\"iterations\": 3}");
	free(cfg);
	/* the errno itself, from write(2) */
	int fd = open(strcat(strcpy((char[600]){0}, m.dir), "/kernels/k/config.json"),
	              O_WRONLY | O_TRUNC);
	cr_assert(fd >= 0);
	errno = 0;
	cr_assert_eq(write(fd, "{\"seed\": -1}", 12), -1);
	cr_assert_eq(errno, EINVAL);
	close(fd);
}

/* A refusal's reason is in the log by the time the write returns: a user
 * who runs `cat log` right after a refused write reads why (not only once
 * the refresher has come round). Each write names another key, so every
 * read must see a line that did not exist a moment before. */
Test(mount, a_refusal_is_in_the_log_when_the_write_returns)
{
	for (int i = 0; i < 30; i++) {
		/* a new kernel's first write, and another's later one */
		const char *k = i % 2 ? "k" : "new";
		if (i % 2 == 0)
			sh("rm -rf %s/kernels/new; mkdir %s/kernels/new", m.dir, m.dir);
		else if (i == 1)
			sh("mkdir %s/kernels/k", m.dir);
		cr_assert_eq(sh("(printf '{\"nokey%d\": 1}' > %s/kernels/%s/config.json) 2>/dev/null; "
		                "grep -q 'unknown key \"nokey%d\"' %s/kernels/%s/log && "
		                "grep -q 'nokey%d' %s/kernels/%s/status",
		                i, m.dir, k, i, m.dir, k, i, m.dir, k), 0,
		             "write %d: its reason was not there yet", i);
	}
}

Test(mount, refusals)
{
	sh("mkdir %s/kernels/k", m.dir);
	/* 1 MiB limit */
	cr_assert_neq(sh("(head -c 1100000 /dev/zero > %s/kernels/k/big.bin) 2>/dev/null", m.dir), 0);
	int fd = open(strcat(strcpy((char[600]){0}, m.dir), "/kernels/k/big2"), O_WRONLY | O_CREAT, 0644);
	cr_assert(fd >= 0);
	errno = 0;
	cr_assert_eq(pwrite(fd, "x", 1, 1 << 20), -1);
	cr_assert_eq(errno, EFBIG);
	close(fd);
	/* generated files are read-only */
	errno = 0;
	cr_assert_eq(open(strcat(strcpy((char[600]){0}, m.dir), "/kernels/k/status"), O_WRONLY), -1);
	cr_assert_eq(errno, EACCES);
	cr_assert_neq(sh("(echo x > %s/kernels/k/metrics.json) 2>/dev/null", m.dir), 0);
	/* unknown ctl command */
	fd = open(strcat(strcpy((char[600]){0}, m.dir), "/kernels/k/ctl"), O_WRONLY);
	cr_assert(fd >= 0);
	errno = 0;
	cr_assert_eq(write(fd, "launch\n", 7), -1);
	cr_assert_eq(errno, EINVAL);
	cr_assert_eq(write(fd, "stop\n", 5), 5);
	close(fd);
	/* names that cannot be kernels */
	cr_assert_neq(sh("mkdir '%s/kernels/.hidden' 2>/dev/null", m.dir), 0);
	cr_assert_neq(sh("mkdir '%s/kernels/a b' 2>/dev/null", m.dir), 0);
	cr_assert_neq(sh("mkdir %s/kernels/k/sub 2>/dev/null", m.dir), 0);
	cr_assert_neq(sh("mkdir %s/menus/x 2>/dev/null", m.dir), 0);
	cr_assert_neq(sh("touch %s/nothere 2>/dev/null", m.dir), 0);
}

Test(mount, every_way_of_writing)
{
	const char *k = "w";
	sh("mkdir %s/kernels/%s", m.dir, k);
	char d[400];
	snprintf(d, sizeof(d), "%s/kernels/%s", m.dir, k);
	/* cp new, cp over existing */
	cr_assert_eq(sh("cp /etc/hostname %s/notes.txt && cp /etc/os-release %s/notes.txt", d, d), 0);
	cr_assert_eq(sh("cmp /etc/os-release %s/notes.txt", d), 0);
	/* > and >> */
	cr_assert_eq(sh("echo one > %s/a.txt && echo two >> %s/a.txt", d, d), 0);
	char *a = slurpf("%s/a.txt", d);
	cr_assert_str_eq(a, "one\ntwo\n");
	free(a);
	/* truncate, both via path and to a length */
	cr_assert_eq(sh("truncate -s 2 %s/a.txt", d), 0);
	a = slurpf("%s/a.txt", d);
	cr_assert_str_eq(a, "on");
	free(a);
	/* sed -i (temp file, rename) */
	cr_assert_eq(sh("echo 'alpha beta' > %s/s.txt && sed -i 's/beta/gamma/' %s/s.txt", d, d), 0);
	a = slurpf("%s/s.txt", d);
	cr_assert_str_eq(a, "alpha gamma\n");
	free(a);
	/* touch: new file, existing file's mtime */
	cr_assert_eq(sh("touch %s/t.txt && touch -d '2001-02-03 04:05:06 UTC' %s/t.txt", d, d), 0);
	struct stat st;
	cr_assert_eq(stat(strcat(strcpy((char[600]){0}, d), "/t.txt"), &st), 0);
	cr_assert_eq(st.st_mtime, 981173106);
	cr_assert_eq(st.st_size, 0);
	/* mv inside the kernel directory */
	cr_assert_eq(sh("mv %s/t.txt %s/u.txt && test -e %s/u.txt && test ! -e %s/t.txt", d, d, d, d), 0);
	/* rsync (temp file + rename) */
	cr_assert_eq(sh("cp /etc/os-release %s/src.txt && rsync -a %s/src.txt %s/r.txt", m.base, m.base, d), 0);
	cr_assert_eq(sh("cmp /etc/os-release %s/r.txt", d), 0);
	/* vim: swap file, write, rename-less save */
	cr_assert_eq(sh("cd %s && HOME=%s vim.tiny -u NONE -i NONE -n -es "
	                "-c 's/alpha/omega/' -c 'wq' s.txt </dev/null", d, m.base), 0);
	a = slurpf("%s/s.txt", d);
	cr_assert_str_eq(a, "omega gamma\n");
	free(a);
	/* chmod sticks */
	cr_assert_eq(sh("chmod 600 %s/r.txt", d), 0);
	cr_assert_eq(stat(strcat(strcpy((char[600]){0}, d), "/r.txt"), &st), 0);
	cr_assert_eq(st.st_mode & 0777, 0600);
	/* across kernels: EXDEV (mv falls back to copy + unlink) */
	sh("mkdir %s/kernels/other", m.dir);
	errno = 0;
	char from[600], to[600];
	snprintf(from, sizeof(from), "%s/u.txt", d);
	snprintf(to, sizeof(to), "%s/kernels/other/u.txt", m.dir);
	cr_assert_eq(rename(from, to), -1);
	cr_assert_eq(errno, EXDEV);
	/* a file name that is kept as given */
	cr_assert_eq(sh("echo x > '%s/we ird#name.h'", d), 0);
	char *ls = sh_out("ls %s", d);
	cr_assert(strstr(ls, "we ird#name.h"), "%s", ls);
	free(ls);
	/* unlink */
	cr_assert_eq(sh("rm %s/a.txt && test ! -e %s/a.txt", d, d), 0);
}

Test(mount, sed_and_vim_on_the_input_start_runs)
{
	char *st = run_gemm("g");
	free(st);
	/* sed -i onto input.c: a new run */
	cr_assert_eq(sh("sed -i 's/acc = 0.0f/acc = 0.0f + 0.0f/' %s/kernels/g/input.c", m.dir), 0);
	char path[400];
	snprintf(path, sizeof(path), "%s/kernels/g/log", m.dir);
	for (int i = 0; i < 200; i++) {
		char *log = slurp(path);
		int runs = count_of(log, " queued\n");
		free(log);
		if (runs >= 2)
			break;
		usleep(50000);
	}
	char *log = slurp(path);
	cr_assert_eq(count_of(log, " queued\n"), 2, "%s", log);
	free(log);
	st = wait_final(&m, "g", 120);
	cr_assert(st && !strncmp(st, "done", 4), "%s", st);
	free(st);
	char *c0 = slurpf("%s/kernels/g/candidates/0.c", m.dir);
	cr_assert(strstr(c0, "0.0f + 0.0f"), "%s", c0);
	free(c0);
}

Test(mount, cp_r_starts_exactly_one_run_and_touch_starts_none)
{
	char *st = run_gemm("one");
	free(st);
	sleep(1);
	sh("touch %s/kernels/one/input.c", m.dir);
	sleep(1);
	char *log = slurpf("%s/kernels/one/log", m.dir);
	cr_assert_eq(count_of(log, " queued\n"), 1, "%s", log);
	free(log);
}

Test(mount, best_mtime_is_stable_and_stat_is_true)
{
	char *st = run_gemm("g");
	free(st);
	struct stat a, b;
	char path[400];
	snprintf(path, sizeof(path), "%s/kernels/g/best.c", m.dir);
	cr_assert_eq(stat(path, &a), 0);
	char *best = slurp(path);
	cr_assert_eq((size_t)a.st_size, strlen(best));
	free(best);
	sleep(1);
	cr_assert_eq(stat(path, &b), 0);
	cr_assert_eq(a.st_mtim.tv_sec, b.st_mtim.tv_sec);
	cr_assert_eq(a.st_mtim.tv_nsec, b.st_mtim.tv_nsec);
	/* make sees it as a normal prerequisite */
	sh("printf 'out.o: %s\\n\\tcc -c -o out.o %s\\n' > %s/Makefile", path, path, m.base);
	cr_assert_eq(sh("cd %s && make -s >/dev/null 2>&1", m.base), 0);
	cr_assert_eq(sh("cd %s && make -q 2>/dev/null", m.base), 0, "up to date after a build");
	snprintf(path, sizeof(path), "%s/kernels/g/metrics.json", m.dir);
	cr_assert_eq(stat(path, &a), 0);
	char *mj = slurp(path);
	cr_assert_eq((size_t)a.st_size, strlen(mj));
	free(mj);
}

Test(mount, tail_f_follows_the_log)
{
	sh("mkdir %s/kernels/t", m.dir);
	char out[400];
	snprintf(out, sizeof(out), "%s/tail.out", m.base);
	sh("(timeout 30 tail -f %s/kernels/t/log > %s 2>&1 &)", m.dir, out);
	sleep(1);
	sh("cp %s/tests/kernels/gemm/* %s/kernels/t/", src_dir(), m.dir);
	cr_assert(wait_contains(out, "candidate 0: ok", 60), "tail saw: %s", slurp(out));
	sh("pkill -f 'tail -f %s/kernels/t/log'", m.dir);
}

Test(mount, rm_r_and_rmdir_delete_a_kernel)
{
	char *st = run_gemm("gone");
	free(st);
	cr_assert_eq(sh("rm -r %s/kernels/gone", m.dir), 0);
	cr_assert_neq(sh("test -e %s/kernels/gone", m.dir), 0);
	sh("mkdir %s/kernels/gone2 && echo x > %s/kernels/gone2/f", m.dir, m.dir);
	cr_assert_eq(sh("rmdir %s/kernels/gone2", m.dir), 0);
	char *ls = sh_out("ls %s/kernels", m.dir);
	cr_assert_str_eq(ls, "");
	free(ls);
	/* a kernel can be made again with the same name */
	cr_assert_eq(sh("mkdir %s/kernels/gone", m.dir), 0);
	/* and renamed */
	cr_assert_eq(sh("mv %s/kernels/gone %s/kernels/back", m.dir, m.dir), 0);
	cr_assert_eq(sh("test -d %s/kernels/back/candidates", m.dir), 0);
}

Test(mount, ctl_stop_and_start)
{
	sh("mkdir %s/kernels/c && printf '{\"timeout_s\": 30}' > %s/kernels/c/config.json", m.dir, m.dir);
	sh("printf 'void gemm(int M,int N,int K,const float*A,const float*B,float*C)"
	   "{(void)M;(void)N;(void)K;(void)A;(void)B;(void)C; for(;;);}' > %s/kernels/c/input.c", m.dir);
	sh("cp %s/tests/kernels/gemm/harness.c %s/kernels/c/", src_dir(), m.dir);
	char path[400];
	snprintf(path, sizeof(path), "%s/kernels/c/status", m.dir);
	cr_assert(wait_contains(path, "baseline", 30));
	cr_assert_eq(sh("echo stop > %s/kernels/c/ctl", m.dir), 0);
	cr_assert(wait_contains(path, "stopped", 10), "%s", slurp(path));
	/* fix the input and restart */
	sh("cp %s/tests/kernels/gemm/input.c %s/kernels/c/input.c", src_dir(), m.dir);
	char *st = wait_final(&m, "c", 60);
	/* the new input started a run by itself */
	for (int i = 0; st && strncmp(st, "done", 4) && i < 100; i++) {
		free(st);
		usleep(100000);
		st = wait_final(&m, "c", 60);
	}
	cr_assert(st && !strncmp(st, "done", 4), "%s", st);
	free(st);
	cr_assert_eq(sh("echo restart > %s/kernels/c/ctl", m.dir), 0);
	cr_assert(wait_contains(path, "baseline", 10) || wait_contains(path, "done", 60));
}

Test(mount, menus_edits_are_kept_across_remounts)
{
	cr_assert_eq(sh("echo '# my own option' >> %s/menus/cpu.menu", m.dir), 0);
	cr_assert_eq(sh("printf 'my notes\\n' > %s/menus/extra.md", m.dir), 0);
	cr_assert_eq(mnt_stop(&m), 0);
	mnt_start(&m, NULL, NULL);
	char *menu = slurpf("%s/menus/cpu.menu", m.dir);
	cr_assert(strstr(menu, "# my own option"), "%s", menu);
	free(menu);
	char *shipped = slurpf("%s/menus/cpu.menu", src_dir());
	cr_assert(shipped && !strstr(shipped, "my own option"), "the shipped file is untouched");
	free(shipped);
	char *extra = slurpf("%s/menus/extra.md", m.dir);
	cr_assert_str_eq(extra, "my notes\n");
	free(extra);
	/* removing the edit brings the shipped menu back */
	cr_assert_eq(sh("rm %s/menus/cpu.menu", m.dir), 0);
	menu = slurpf("%s/menus/cpu.menu", m.dir);
	cr_assert(!strstr(menu, "# my own option"));
	free(menu);
	cr_assert_neq(sh("rm %s/menus/cpu.md 2>/dev/null", m.dir), 0);
}

Test(mount, second_daemon_on_the_same_state_is_refused)
{
	char other[400];
	snprintf(other, sizeof(other), "%s/other", m.base);
	mkdir(other, 0755);
	char *out = sh_out("%s -o state=%s %s 2>&1; echo rc=$?", daemon_path(), m.state, other);
	cr_assert(strstr(out, "in use by another autocompfs"), "%s", out);
	cr_assert(strstr(out, "rc=1"), "%s", out);
	free(out);
}

Test(mount, unmount_and_sigterm_exit_zero)
{
	cr_assert_eq(mnt_stop(&m), 0);
	mnt_start(&m, NULL, NULL);
	kill(m.pid, SIGTERM);
	int st;
	waitpid(m.pid, &st, 0);
	m.pid = 0;
	cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0, "status %d", st);
	char *mounts = slurp("/proc/self/mounts");
	cr_assert(!strstr(mounts, m.dir), "still mounted after SIGTERM");
	free(mounts);
}

Test(mount, kill_9_loses_nothing_and_resumes)
{
	sh("mkdir %s/kernels/p && cp %s/tests/kernels/gemm/* %s/kernels/p/", m.dir, src_dir(), m.dir);
	sh("echo 'extra data' > %s/kernels/p/data.txt", m.dir);
	char path[400];
	snprintf(path, sizeof(path), "%s/kernels/p/status", m.dir);
	cr_assert(wait_contains(path, "baseline", 30));
	mnt_kill9(&m);
	mnt_start(&m, NULL, NULL);
	char *st = wait_final(&m, "p", 120);
	cr_assert(st && !strncmp(st, "done", 4), "%s", st);
	free(st);
	char *data = slurpf("%s/kernels/p/data.txt", m.dir);
	cr_assert_str_eq(data, "extra data\n");
	free(data);
	cr_assert_eq(sh("cmp %s/tests/kernels/gemm/input.c %s/kernels/p/input.c", src_dir(), m.dir), 0);
	/* and after a clean remount the result is still there */
	cr_assert_eq(mnt_stop(&m), 0);
	mnt_start(&m, NULL, NULL);
	char *metrics = slurpf("%s/kernels/p/metrics.json", m.dir);
	cr_assert(strstr(metrics, "\"outcome\":\t\"ok\""), "%s", metrics);
	free(metrics);
	cr_assert_eq(sh("sqlite3 %s/autocompfs.db 'PRAGMA integrity_check' | grep -qx ok", m.state), 0);
}

Test(mount, help_and_version, .init = NULL, .fini = NULL)
{
	char *out = sh_out("%s --version", daemon_path());
	cr_assert(strstr(out, "autocompfs "), "%s", out);
	free(out);
	out = sh_out("%s --help 2>&1", daemon_path());
	cr_assert(strstr(out, "state=DIR"), "%s", out);
	free(out);
	cr_assert_eq(sh("%s >/dev/null 2>&1", daemon_path()), 2);
}

/* The opencl target under the daemon (umask 077, the sandbox user): the
 * sample kernel through the mount, its target found from input.cl alone. */
Test(mount, opencl_gemm_through_the_mount)
{
	char path[400];
	snprintf(path, sizeof(path), "%s/targets", m.dir);
	cr_assert(wait_contains(path, "opencl: ", 30), "%s", slurp(path));
	cr_assert(wait_contains(path, "cpu: available", 30), "%s", slurp(path));
	for (int i = 0; i < 100; i++) {
		char *t = slurp(path);
		bool probing = strstr(t, "opencl: probing") != NULL;
		free(t);
		if (!probing)
			break;
		usleep(100000);
	}
	char *t = slurp(path);
	bool installed = access("/usr/include/CL/cl.h", F_OK) == 0 &&
	                 sh("ls /etc/OpenCL/vendors/*.icd >/dev/null 2>&1") == 0;
	if (!strstr(t, "opencl: available")) {
		cr_assert(!installed, "OpenCL is installed, yet: %s", t);
		free(t);
		cr_skip_test("no OpenCL here");
	}
	free(t);
	cr_assert_eq(sh("cp -r %s/tests/kernels/opencl-gemm %s/kernels/", src_dir(), m.dir), 0);
	char *st = wait_final(&m, "opencl-gemm", 120);
	cr_assert(st && !strncmp(st, "done", 4), "status: %s\nlog: %s\n0.log: %s", st,
	          slurpf("%s/kernels/opencl-gemm/log", m.dir),
	          slurpf("%s/kernels/opencl-gemm/candidates/0.log", m.dir));
	free(st);
	char *log = slurpf("%s/kernels/opencl-gemm/log", m.dir);
	cr_assert(strstr(log, "candidate 0: ok"), "%s", log);
	free(log);
	char *best = slurpf("%s/kernels/opencl-gemm/best.cl", m.dir);
	char *input = slurpf("%s/tests/kernels/opencl-gemm/input.cl", src_dir());
	cr_assert_str_eq(best, input);
	free(best);
	free(input);
	char *metrics = slurpf("%s/kernels/opencl-gemm/metrics.json", m.dir);
	cr_assert(strstr(metrics, "\"target\":\t\"opencl\""), "%s", metrics);
	free(metrics);
}

/* kill -9 in the middle of offline tuning: the remounted daemon goes on
 * with the same run, evaluates no knob point twice and keeps the budget. */
Test(mount, kill_9_while_tuning_redoes_no_point)
{
	sh("mkdir %s/kernels/t && printf '{\"max_candidates\": 20}' > %s/kernels/t/config.json",
	   m.dir, m.dir);
	cr_assert_eq(sh("cp %s/tests/kernels/tune-gemm/input.c %s/tests/kernels/tune-gemm/harness.c "
	                "%s/kernels/t/", src_dir(), src_dir(), m.dir), 0);
	char path[400];
	snprintf(path, sizeof(path), "%s/kernels/t/log", m.dir);
	cr_assert(wait_contains(path, "candidate 6: ", 120), "%s", slurp(path));
	/* status keeps up with the log's best, and metrics.json's two states agree */
	char *log = slurp(path);
	const char *last = NULL;
	for (const char *p = strstr(log, "best: #"); p; p = strstr(p + 1, "best: #"))
		last = p;
	long best = last ? atol(last + 7) : 0;
	free(log);
	char *status = slurpf("%s/kernels/t/status", m.dir);
	const char *hash = strstr(status, "(#");
	cr_assert(!strncmp(status, "tuning", 6) && hash && atol(hash + 2) >= best,
	          "status %s behind the log's best #%ld", status, best);
	free(status);
	char *metrics = slurpf("%s/kernels/t/metrics.json", m.dir);
	cr_assert_eq(count_of(metrics, "\"state\":\t\"tuning\""), 2, "%s", metrics);
	free(metrics);
	mnt_kill9(&m);
	mnt_start(&m, NULL, NULL);
	char *st = wait_final(&m, "t", 150);
	cr_assert(st && !strncmp(st, "done", 4), "%s", st);
	free(st);
	log = slurp(path);
	cr_assert_eq(count_of(log, " queued\n"), 1, "the same run goes on: %s", log);
	cr_assert(strstr(log, "resumed after restart: kept "), "%s", log);
	cr_assert_eq(count_of(log, "candidate 0: "), 1, "the baseline is not redone: %s", log);
	free(log);
	char *n = sh_out("sqlite3 %s/autocompfs.db 'SELECT count(*) FROM candidate'", m.state);
	cr_assert_leq(atoi(n), 20, "max_candidates 20, yet %s candidates", n);
	cr_assert_geq(atoi(n), 10, "%s candidates", n);
	free(n);
	char *dups = sh_out("sqlite3 %s/autocompfs.db 'SELECT num FROM candidate GROUP BY run_id, "
	                    "source HAVING count(*) > 1'", m.state);
	cr_assert_str_eq(dups, "", "a point evaluated twice");
	free(dups);
}

/* Copies kernels/NAME out with cp -r, tar, rsync -a and ls -laR; every tool
 * must exit 0 (every listed entry exists and is readable). */
static void copies_out(const char *name, const char *stage)
{
	cr_assert_eq(sh("ls -laR %s/kernels/%s >/dev/null", m.dir, name), 0, "ls -laR %s", stage);
	cr_assert_eq(sh("rm -rf %s/cp && cp -r %s/kernels/%s %s/cp", m.base, m.dir, name, m.base),
	             0, "cp -r %s", stage);
	/* on a live directory GNU tar may say "file changed as we read it"
	 * (exit 1) of a generated file that changed meanwhile, as on any
	 * filesystem; anything else fails */
	char *tar = sh_out("tar -C %s/kernels -cf %s/k.tar %s 2>&1; echo rc=$?", m.dir, m.base,
	                   name);
	bool live = !strcmp(stage, "while tuning");
	cr_assert(strstr(tar, "rc=0\n") == tar ||
	          (live && strstr(tar, "rc=1\n") && count_of(tar, "\n") ==
	                   count_of(tar, "file changed as we read it\n") + 1),
	          "tar %s: %s", stage, tar);
	free(tar);
	cr_assert_eq(sh("rm -rf %s/rs && rsync -a %s/kernels/%s/ %s/rs/", m.base, m.dir, name,
	                m.base), 0, "rsync -a %s", stage);
	cr_assert_eq(sh("find %s/kernels/%s -type f -exec cat {} + >/dev/null", m.dir, name), 0,
	             "find | cat %s", stage);
}

Test(mount, a_kernel_directory_copies_out_at_every_stage)
{
	sh("mkdir %s/kernels/k", m.dir);
	char *ls = sh_out("ls %s/kernels/k", m.dir);
	cr_assert(!strstr(ls, "best"), "no input, no best: %s", ls);
	free(ls);
	copies_out("k", "after mkdir");
	sh("printf '{\"max_candidates\": 12}' > %s/kernels/k/config.json", m.dir);
	copies_out("k", "with only config.json");
	/* ctl reads back the commands it takes and the state */
	char *ctl = slurpf("%s/kernels/k/ctl", m.dir);
	cr_assert(strstr(ctl, "start, stop or restart") && strstr(ctl, "# state: "), "%s", ctl);
	free(ctl);
	sh("cp %s/tests/kernels/tune-gemm/input.c %s/tests/kernels/tune-gemm/harness.c "
	   "%s/kernels/k/", src_dir(), src_dir(), m.dir);
	ls = sh_out("ls %s/kernels/k", m.dir);
	cr_assert(strstr(ls, "best.c"), "%s", ls);
	free(ls);
	char path[400];
	snprintf(path, sizeof(path), "%s/kernels/k/log", m.dir);
	cr_assert(wait_contains(path, "tuning", 60), "%s", slurp(path));
	for (int i = 0; i < 4; i++)
		copies_out("k", "while tuning");
	char *st = wait_final(&m, "k", 120);
	cr_assert(st && !strncmp(st, "done", 4), "%s", st);
	free(st);
	copies_out("k", "when done");
	cr_assert_eq(sh("cmp %s/kernels/k/best.c %s/cp/best.c", m.dir, m.base), 0);
	cr_assert_eq(sh("tar -tf %s/k.tar | grep -qx k/ctl", m.base), 0);
	ctl = slurpf("%s/kernels/k/ctl", m.dir);
	cr_assert(strstr(ctl, "# state: done"), "%s", ctl);
	free(ctl);
	/* what reading ctl showed, written back, is only comments: accepted,
	 * and it starts nothing */
	cr_assert_eq(sh("cat %s/cp/ctl > %s/kernels/k/ctl", m.base, m.dir), 0);
	char *log = slurp(path);
	cr_assert_eq(count_of(log, " queued\n"), 1, "%s", log);
	free(log);
	st = NULL;
	free(st);
}

/* A kernel whose baseline runs for a while (an endless input), so that a
 * build is in flight when the daemon is told to go. Returns the daemon's
 * scratch directory (in a static buffer; "" when it keeps it in STATE). */
static const char *busy_kernel(void)
{
	static char scratch[400];
	sh("mkdir %s/kernels/c && printf '{\"timeout_s\": 30}' > %s/kernels/c/config.json", m.dir,
	   m.dir);
	sh("printf 'void gemm(int M,int N,int K,const float*A,const float*B,float*C)"
	   "{(void)M;(void)N;(void)K;(void)A;(void)B;(void)C; for(;;);}' > %s/kernels/c/input.c",
	   m.dir);
	sh("cp %s/tests/kernels/gemm/harness.c %s/kernels/c/", src_dir(), m.dir);
	char path[400];
	snprintf(path, sizeof(path), "%s/kernels/c/status", m.dir);
	cr_assert(wait_contains(path, "baseline", 30));
	char *note = slurpf("%s/scratch-dir", m.state);
	snprintf(scratch, sizeof(scratch), "%s", note ? note : "");
	scratch[strcspn(scratch, "\n")] = '\0';
	free(note);
	return scratch;
}

Test(mount, sigterm_during_shutdown_exits_zero_and_cleans_scratch)
{
	const char *scratch = busy_kernel();
	if (scratch[0])
		cr_assert_eq(access(scratch, F_OK), 0, "%s", scratch);
	/* what scripts and service managers do: unmount, then SIGTERM at once
	 * (and again, for as long as the daemon is there) */
	sh("fusermount3 -u %s", m.dir);
	int st = 0;
	pid_t r = 0;
	for (int i = 0; i < 2000 && r == 0; i++) {
		kill(m.pid, SIGTERM);
		usleep(5000);
		r = waitpid(m.pid, &st, WNOHANG);
	}
	if (r == 0)
		r = waitpid(m.pid, &st, 0);
	m.pid = 0;
	cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0, "status %d (signal %d)", st,
	          WIFSIGNALED(st) ? WTERMSIG(st) : 0);
	if (scratch[0])
		cr_assert_neq(access(scratch, F_OK), 0, "%s stayed behind", scratch);
}

Test(mount, scratch_of_a_dead_daemon_is_removed_by_the_next)
{
	const char *scratch = busy_kernel();
	if (!scratch[0])
		cr_skip_test("not root: scratch lives in the state directory");
	char kept[400];
	snprintf(kept, sizeof(kept), "%s", scratch);
	/* two that must stay: one without an owner record, one whose owner
	 * (this test) is alive */
	char *plain = sh_out("mktemp -d /tmp/autocompfs-scratch-XXXXXX | tr -d '\\n'");
	char *alive = sh_out("mktemp -d /tmp/autocompfs-scratch-XXXXXX | tr -d '\\n'");
	sh("cat /proc/%d/stat | sed 's/.*) //' | awk '{print \"%d \" $20}' > %s/.owner && "
	   "echo /nonexistent >> %s/.owner", (int)getpid(), (int)getpid(), alive, alive);
	mnt_kill9(&m);
	cr_assert_eq(access(kept, F_OK), 0, "kill -9 leaves it");
	sh("rm -rf %s", m.state);
	snprintf(m.state, sizeof(m.state), "%s/state2", m.base);
	mnt_start(&m, NULL, NULL);
	cr_assert_neq(access(kept, F_OK), 0, "%s stayed behind", kept);
	cr_assert_eq(access(plain, F_OK), 0, "one without an owner record is left alone");
	cr_assert_eq(access(alive, F_OK), 0, "one whose owner runs is left alone");
	sh("rm -rf %s %s", plain, alive);
	free(plain);
	free(alive);
}

/* One scheme of exit statuses (the man page's): 2 for a bad command line,
 * 1 for a start that failed, with the reason in words. */
Test(mount, command_line_exit_codes_and_refusals, .init = NULL, .fini = NULL)
{
	mnt_init(&m);
	struct {
		const char *args;
		int status;
		const char *says;
	} cases[] = {
		{"", 2, "no mountpoint given"},
		{"-o bogus MP", 2, "unknown option"},
		{"-x MP", 2, "unknown option"},
		{"-o jobs=x MP", 2, "jobs=x"},
		{"-o jobs=-3 MP", 2, "jobs=N"},
		{"-o llm_inflight=-1 MP", 2, "llm_inflight=N"},
		{"-o log=loud MP", 2, "say error, info or debug"},
		{"a b MP", 2, "too many arguments"},
		{"MP/nonexistent", 1, "does not exist (make it with mkdir -p"},
		{"BASE/file", 1, "is not a directory"},
	};
	sh("touch %s/file", m.base);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char args[600] = "";
		const char *a = cases[i].args;
		for (size_t o = 0; *a && o + 300 < sizeof(args); a++) {
			if (!strncmp(a, "MP", 2)) {
				o += (size_t)snprintf(args + o, sizeof(args) - o, "%s", m.dir);
				a++;
			} else if (!strncmp(a, "BASE", 4)) {
				o += (size_t)snprintf(args + o, sizeof(args) - o, "%s", m.base);
				a += 3;
			} else {
				args[o++] = *a;
				args[o] = '\0';
			}
		}
		char *out = sh_out("%s -o state=%s %s 2>&1; echo rc=$?", daemon_path(), m.state, args);
		char want[16];
		snprintf(want, sizeof(want), "rc=%d\n", cases[i].status);
		cr_expect(strstr(out, want) && strstr(out, cases[i].says), "%s: %s", args, out);
		free(out);
	}
	char *mounts = slurp("/proc/self/mounts");
	cr_assert(!strstr(mounts, m.base), "nothing was mounted: %s", mounts);
	free(mounts);
	/* no permission on /dev/fuse: said as such, not as a stale mount */
	if (geteuid() == 0 && sh("command -v setpriv >/dev/null") == 0) {
		sh("chown 65534 %s %s/mnt", m.base, m.base);
		char *out = sh_out("cd / && setpriv --reuid=65534 --regid=65534 --clear-groups env "
		                   "HOME=%s %s -o state=%s/st %s 2>&1; echo rc=$?", m.base,
		                   daemon_path(), m.base, m.dir);
		if (!strstr(out, "rc=0"))
			cr_expect(strstr(out, "/dev/fuse") && !strstr(out, "fusermount3 -u") &&
			          strstr(out, "rc=1"), "%s", out);
		else
			sh("fusermount3 -u %s", m.dir);
		free(out);
	}
	/* --debug (sshfs's spelling) is -d: the foreground, and the start line
	 * says debug */
	char *out = sh_out("timeout -s TERM 3 %s --debug -o state=%s/st3 %s 2>&1 | "
	                   "grep 'autocompfs: '", daemon_path(), m.base,
	                   m.dir);
	cr_expect(strstr(out, "log debug)") && strstr(out, "exiting with status 0"), "%s", out);
	free(out);
	out = sh_out("timeout -s TERM 3 %s -d -o state=%s/st4 %s 2>&1 | grep 'autocompfs: mounted'",
	             daemon_path(), m.base, m.dir);
	cr_expect(strstr(out, "log debug)"), "%s", out);
	free(out);
	mnt_cleanup(&m);
}

/* bash ignores close(2)'s error: `echo bad > config.json` exits 0. Then the
 * log and status say the write was refused, and no empty config.json is
 * left where there was none. */
Test(mount, a_refused_new_config_leaves_nothing_and_says_so)
{
	sh("mkdir %s/kernels/k", m.dir);
	cr_assert_eq(sh("echo '{nope' > %s/kernels/k/config.json", m.dir), 0, "bash says 0");
	char path[400];
	snprintf(path, sizeof(path), "%s/kernels/k/log", m.dir);
	cr_assert(wait_contains(path, "the write was refused and no config.json is kept", 5),
	          "%s", slurp(path));
	for (int i = 0; i < 50 && sh("test -e %s/kernels/k/config.json", m.dir) == 0; i++)
		usleep(100000);
	cr_assert_neq(sh("test -e %s/kernels/k/config.json", m.dir), 0, "an empty one stayed");
	char *st = slurpf("%s/kernels/k/status", m.dir);
	cr_assert(strstr(st, "config.json refused: "), "%s", st);
	free(st);
	/* removing the input of a failed run: status says what it waits for */
	cr_assert_eq(sh("printf 'int x = ;' > %s/kernels/k/input.c && cp %s/tests/kernels/gemm/"
	                "harness.c %s/kernels/k/", m.dir, src_dir(), m.dir), 0);
	st = wait_final(&m, "k", 60);
	cr_assert(st && !strncmp(st, "failed", 6), "%s", st);
	free(st);
	cr_assert_eq(sh("rm %s/kernels/k/input.c", m.dir), 0);
	snprintf(path, sizeof(path), "%s/kernels/k/status", m.dir);
	cr_assert(wait_contains(path, "waiting: input.c is missing", 5), "%s", slurp(path));
}

/* A compile error in the input points at input.c, the name the user knows,
 * not at the reference copy the target compiles it as. */
Test(mount, an_input_that_does_not_compile_is_named_input_c)
{
	sh("mkdir %s/kernels/e && cp %s/tests/kernels/gemm/harness.c %s/kernels/e/", m.dir,
	   src_dir(), m.dir);
	sh("printf 'void gemm(int M,int N,int K,const float*A,const float*B,float*C)\\n{\\n"
	   "\\tno_such_name = 1;\\n}\\n' > %s/kernels/e/input.c", m.dir);
	char *st = wait_final(&m, "e", 60);
	cr_assert(st && strstr(st, "failed"), "%s", st);
	free(st);
	char *log = slurpf("%s/kernels/e/candidates/0.log", m.dir);
	cr_assert(strstr(log, "input.c:3:"), "%s", log);
	cr_assert(!strstr(log, ".ac_reference.c:3"), "%s", log);
	free(log);
}

/* The man page: it renders without warnings, names every config.json key,
 * its session example runs as printed (in a fresh HOME) and says what the
 * program says, and its systemd example matches the shipped unit. */
Test(mount, man_page_examples_hold, .init = NULL, .fini = NULL)
{
	const char *man = "man/autocompfs.1";
	char *out = sh_out("cd %s && groff -t -man -ww -z %s 2>&1; echo rc=$?", src_dir(), man);
	cr_expect_str_eq(out, "rc=0\n", "groff warnings: %s", out);
	free(out);
	out = sh_out("cd %s && for k in $(sed -n 's/^\t{\"\\([a-z_]*\\)\", K_.*/\\1/p' "
	             "engine/core/config.c); do sed -n '/^\\.SH CONFIG.JSON/,/^\\.SH FILES/p' %s | "
	             "grep -q \"^\\.BR* $k\\b\\|^\\.BR* .*[ ,]$k\\b\" || echo \"$k\"; done", src_dir(),
	             man);
	cr_expect_str_eq(out, "", "config.json keys missing from the man page: %s", out);
	free(out);
	/* the session, command by command; tail -f waits for the run to end */
	mnt_init(&m);
	char *script = sh_out("cd %s && sed -n '/^A session:/,/^\\.EE/p' %s | sed -n 's/^\\$ //p' | "
	                      "sed 's/\\\\-/-/g; s/^tail -f \\(.*\\)\\/log$/"
	                      "until grep -q \"^done\\\\|^failed\" \\1\\/status; do sleep 0.2; done/'",
	                      src_dir(), man);
	cr_assert(strstr(script, "autocompfs ~/ac") && strstr(script, "until grep"), "%s", script);
	char path[400];
	snprintf(path, sizeof(path), "%s/session.sh", m.base);
	FILE *f = fopen(path, "w");
	cr_assert(f);
	fprintf(f, "set -e\ncd %s\nexport HOME=%s PATH=%s:$PATH\nunset XDG_STATE_HOME "
	        "AUTOCOMP_MODELS\n%s", src_dir(), m.base, AC_BUILD_DIR, script);
	fclose(f);
	free(script);
	out = sh_out("cd %s && timeout 120 bash %s/session.sh 2>&1; echo rc=$?", m.base, m.base);
	sh("fusermount3 -u %s/ac 2>/dev/null; rm -f %s/gemm.png", m.base, src_dir());
	char *said = sh_out("cd %s && sed -n '/^A session:/,/^\\.EE/p' %s | "
	                    "sed -n '/cat .*status$/{n;p}' | sed 's/ \\.\\.\\.$//; s/ [0-9.]* ms; /|/'",
	                    src_dir(), man);
	said[strcspn(said, "\n")] = '\0';
	char *bar = strchr(said, '|');
	cr_assert(bar, "%s", said);
	*bar = '\0';
	cr_expect(strstr(out, "rc=0") && strstr(out, said) && strstr(out, bar + 1),
	          "the man page says \"%s ... %s\", the session printed: %s", said, bar + 1, out);
	free(said);
	free(out);
	/* the systemd example: the instance is the path under HOME, and the
	 * state directory the page names is the unit's */
	char *unit = slurpf("%s/tools/autocompfs@.service", src_dir());
	char *page = slurpf("%s/%s", src_dir(), man);
	cr_expect(strstr(unit, "%h/%I") && strstr(page, "autocompfs@ac.service"), "instance");
	cr_expect(strstr(unit, "state=%S/autocompfs@%i") &&
	          strstr(page, ".I ~/.local/state/autocompfs@INSTANCE"), "state directory");
	cr_expect(!strstr(page, "systemd\\-escape \\-\\-path"), "--path escapes from /, not ~");
	free(unit);
	free(page);
	mnt_cleanup(&m);
}
