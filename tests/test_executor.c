/*
 * test_executor.c - the executor module without a cluster: the registry,
 * the local executor, the bundle (written, unpacked, run by the real
 * autocompfs-run as a node would) and the result line.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "targets/exec/executor.h"
#include "targets/toolchain/toolchain.h"

static char dir[64];

static void setup(void)
{
	snprintf(dir, sizeof(dir), "/tmp/ac-test-executor-XXXXXX");
	cr_assert(mkdtemp(dir));
	chmod(dir, 0711);
}

static void teardown(void)
{
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	cr_assert_eq(system(cmd), 0);
}

TestSuite(executor, .init = setup, .fini = teardown);

Test(executor, registry)
{
	cr_assert_eq(ac_executor_find(NULL), &ac_executor_local);
	cr_assert_eq(ac_executor_find("local"), &ac_executor_local);
	cr_assert_eq(ac_executor_find("slurm"), &ac_executor_slurm);
	cr_assert_null(ac_executor_find("pbs"));
	cr_assert_eq(ac_executor_local.slots(NULL), 1);
}

Test(executor, local_is_the_sandbox)
{
	char *argv[] = {"sh", "-c", "echo hi", NULL};
	struct ac_sandbox_opts so = {.dir = dir, .argv = argv, .cpu = -1, .keep_uid = true};
	struct ac_proc_result pr;
	struct ac_result r = {0};
	struct ac_job job = {.scratch_dir = dir};
	cr_assert_eq(ac_exec_run(&job, &so, NULL, &pr, &r), 0);
	cr_assert_str_eq(pr.output, "hi\n");
	cr_assert_null(r.log, "the local executor adds nothing to the log");
	ac_proc_result_clear(&pr);
}

Test(executor, result_line_round_trip)
{
	char out[] = {'a', 0, 'b', '\n', (char)0xff};
	struct ac_proc_result pr = {.exit_code = 3, .timed_out = true, .output = out,
	                            .output_len = sizeof(out), .report = "{\"x\":1}",
	                            .report_len = 7, .wall_s = 1.5, .uid_dropped = true};
	char *line = ac_bundle_result_line(&pr, 100.25, 101.5);
	cr_assert(line && !strncmp(line, "AC-RESULT {", 11), "%s", line ? line : "");
	cr_assert(!strchr(line, 0xff) && strchr(line, '\n') == line + strlen(line) - 1,
	          "one line, any byte hex-encoded");
	struct ac_proc_result back;
	double start, end;
	cr_assert_eq(ac_bundle_result_parse(line + 10, &back, &start, &end), 0);
	cr_assert_eq(back.exit_code, 3);
	cr_assert(back.timed_out && back.uid_dropped && !back.cancelled);
	cr_assert_eq(back.output_len, sizeof(out));
	cr_assert_eq(memcmp(back.output, out, sizeof(out)), 0);
	cr_assert_eq(back.report_len, 7);
	cr_assert_str_eq(back.report, "{\"x\":1}");
	cr_assert_float_eq(start, 100.25, 1e-6);
	cr_assert_float_eq(end, 101.5, 1e-6);
	ac_proc_result_clear(&back);
	free(line);
	cr_assert_eq(ac_bundle_result_parse("{\"output\":\"zz\"}", &back, NULL, NULL), -EPROTO);
	cr_assert_eq(ac_bundle_result_parse("not json", &back, NULL, NULL), -EPROTO);
}

/* The bundle as a node sees it: unpacked by the real autocompfs-run,
 * the files in place, the scratch path in argv replaced by the node's
 * directory, the run sandboxed, and one result line. */
Test(executor, bundle_runs_on_a_node)
{
	static const char cand[] = "#!/bin/sh\nexec sh ./helper \"$@\"\n";
	static const char helper[] = "cat data.txt; echo \"$1\" | sed \"s#$PWD#NODE#\"; id -u\n";
	cr_assert_eq(ac_toolchain_write_file(dir, "candidate", cand, strlen(cand)), 0);
	char path[128];
	snprintf(path, sizeof(path), "%s/candidate", dir);
	cr_assert_eq(chmod(path, 0755), 0);
	cr_assert_eq(ac_toolchain_write_file(dir, "helper", helper, strlen(helper)), 0);
	cr_assert_eq(ac_toolchain_write_file(dir, "data.txt", "payload\n", 8), 0);
	char arg[128];
	snprintf(arg, sizeof(arg), "%s/x", dir);
	char *argv[] = {"./candidate", arg, NULL};
	struct ac_sandbox_opts so = {.dir = dir, .argv = argv, .cpu = 0, .timeout_s = 10};
	struct ac_file files[] = {{"data.txt", "payload\n", 8}};
	struct ac_job job = {.scratch_dir = dir, .files = files, .nfiles = 1};
	const char *const ship[] = {"helper", "candidate.worker", NULL};
	char bundle[128];
	snprintf(bundle, sizeof(bundle), "%s/.ac_bundle", dir);
	cr_assert_eq(ac_bundle_write(bundle, &so, ship, &job), 0);
	/* a missing relative executable is an error, not a silent skip */
	char *bad_argv[] = {"./nothing", NULL};
	struct ac_sandbox_opts bad = so;
	bad.argv = bad_argv;
	char bad_path[128];
	snprintf(bad_path, sizeof(bad_path), "%s/.bad", dir);
	cr_assert_eq(ac_bundle_write(bad_path, &bad, ship, &job), -ENOENT);
	cr_assert_neq(access(bad_path, F_OK), 0);

	char cmd[300];
	snprintf(cmd, sizeof(cmd), "SLURMD_NODENAME=testnode '%s' 2>&1", bundle);
	FILE *p = popen(cmd, "r");
	cr_assert(p);
	char buf[65536];
	size_t n = fread(buf, 1, sizeof(buf) - 1, p);
	buf[n] = '\0';
	pclose(p);
	cr_assert(!strncmp(buf, "AC-NODE job=- step=- node=testnode start=", 41), "%s", buf);
	char *res = strstr(buf, "\nAC-RESULT ");
	cr_assert(res, "%s", buf);
	*strchr(res + 1, '\n') = '\0';
	struct ac_proc_result pr;
	cr_assert_eq(ac_bundle_result_parse(res + 11, &pr, NULL, NULL), 0);
	cr_assert_eq(pr.exit_code, 0, "%s", pr.output);
	const char *want = geteuid() == 0 ? "payload\nNODE/x\n65534\n" : NULL;
	if (want)
		cr_assert_str_eq(pr.output, want, "files shipped, path remapped, uid dropped");
	else
		cr_assert(!strncmp(pr.output, "payload\nNODE/x\n", 15), "%s", pr.output);
	ac_proc_result_clear(&pr);
	cr_assert_eq(access(bundle, F_OK), 0, "only a shipped bundle removes itself");
}
