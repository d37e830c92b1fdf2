/*
 * test_target_opencl.c - the opencl target, for real: the opencl-gemm
 * sample built and run on whatever OpenCL device this machine has (PoCL on
 * the CPU here), a wrong kernel, kernels that do not compile, build
 * options, a kernel that hangs, and the probe line.
 *
 * Every test skips visibly ("no OpenCL device") where the probe finds
 * none and no OpenCL is installed, so the suite still passes on a machine
 * without OpenCL; where the headers and an ICD are installed (tools/setup
 * installs PoCL) a probe that finds nothing fails. The tests run under the
 * daemon's umask 077.
 */
#define AC_TARGETS_COMPLETE 1
#include "targets/targets.h"

#include "ac_config.h"

#include <criterion/criterion.h>
#include <criterion/logging.h>
#include <dirent.h>
#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* The daemon runs with umask 077 (fs/main.c), and so do these tests: a
 * file a target writes for the sandbox user with the umask's mode instead
 * of its own is unreadable there, and fails here. */
static void __attribute__((constructor)) daemon_umask(void)
{
	umask(077);
}

/* One candidate's world: a base directory (o+x, so the sandbox may drop to
 * its own user) holding the scratch and run directories. */
struct world {
	char base[64];
	char scratch[96];
	char run[96];
	char *harness;
	size_t harness_len;
	char *input;
	size_t input_len;
	struct ac_file files[2];
	size_t nfiles;
	struct ac_target_opts opts;
	struct ac_job job;
};

static char *read_fixture(const char *name, size_t *len)
{
	char path[512];
	FILE *f;
	char *buf;
	long n;

	snprintf(path, sizeof path, "%s/tests/kernels/opencl-gemm/%s", AC_SOURCE_DIR, name);
	f = fopen(path, "rb");
	cr_assert_not_null(f, "cannot open %s", path);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	buf = malloc((size_t)n + 1);
	cr_assert_not_null(buf);
	cr_assert_eq(fread(buf, 1, (size_t)n, f), (size_t)n);
	buf[n] = '\0';
	fclose(f);
	*len = (size_t)n;
	return buf;
}

/* Is an OpenCL implementation installed (the headers and an ICD, such as
 * tools/setup's pocl-opencl-icd)? Then the probe must find a device: "not
 * available" is a failure, not a reason to skip. */
static bool opencl_installed(void)
{
	struct stat st;
	DIR *d;
	struct dirent *e;
	bool icd = false;

	if (stat("/usr/include/CL/cl.h", &st) != 0)
		return false;
	d = opendir("/etc/OpenCL/vendors");
	if (!d)
		return false;
	while ((e = readdir(d)) != NULL)
		if (strlen(e->d_name) > 4 && !strcmp(e->d_name + strlen(e->d_name) - 4, ".icd"))
			icd = true;
	closedir(d);
	return icd;
}

/* Skips the test unless the probe finds a device; fails it when OpenCL is
 * installed and the probe still finds none. */
static void need_device(void)
{
	char line[256];

	if (ac_target_opencl.probe(line, sizeof line) == 0)
		return;
	cr_assert(!opencl_installed(), "OpenCL is installed, yet the probe says: %s", line);
	cr_skip_test("no OpenCL device: %s", line);
}

/* Sets up w with the sample's harness and input; candidate = input. */
static void world_init(struct world *w)
{
	memset(w, 0, sizeof *w);
	snprintf(w->base, sizeof w->base, "/tmp/ac-test-opencl-XXXXXX");
	cr_assert_not_null(mkdtemp(w->base));
	chmod(w->base, 0755);
	snprintf(w->scratch, sizeof w->scratch, "%s/scratch", w->base);
	snprintf(w->run, sizeof w->run, "%s/run", w->base);
	cr_assert_eq(mkdir(w->scratch, 0755), 0);
	cr_assert_eq(mkdir(w->run, 0755), 0);
	w->harness = read_fixture("harness.c", &w->harness_len);
	w->input = read_fixture("input.cl", &w->input_len);
	w->files[0].name = "harness.c";
	w->files[0].data = w->harness;
	w->files[0].size = w->harness_len;
	w->nfiles = 1;
	w->opts.timeout_s = 60;
	w->opts.cpu = -1;
	w->job.scratch_dir = w->scratch;
	w->job.run_dir = w->run;
	w->job.candidate = w->input;
	w->job.candidate_size = w->input_len;
	w->job.reference = w->input;
	w->job.reference_size = w->input_len;
	w->job.files = w->files;
	w->job.nfiles = w->nfiles;
	w->job.opts = &w->opts;
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	remove(path);
	return 0;
}

static void world_free(struct world *w)
{
	nftw(w->base, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	free(w->harness);
	free(w->input);
}

/* Builds and (when that worked) runs w's candidate into r. */
static void evaluate(struct world *w, const char *candidate, struct ac_result *r)
{
	int rc;

	if (candidate) {
		w->job.candidate = candidate;
		w->job.candidate_size = strlen(candidate);
	}
	memset(r, 0, sizeof *r);
	rc = ac_target_opencl.build(&w->job, r);
	cr_assert_eq(rc, 0, "build returned %d: %s\n%s", rc, r->message ? r->message : "",
	             r->log ? r->log : "");
	if (r->outcome != AC_OK)
		return;
	rc = ac_target_opencl.run(&w->job, r);
	cr_assert_eq(rc, 0, "run returned %d", rc);
}

Test(opencl, probe_names_the_device)
{
	char line[256];
	int rc = ac_target_opencl.probe(line, sizeof line);

	cr_log_info("opencl probe: %s (%d)", line, rc);
	if (rc != 0) {
		cr_assert(rc == -ENODEV || rc == -ENOENT, "probe returned %d: %s", rc, line);
		cr_assert(strstr(line, "OpenCL") != NULL, "%s", line);
		cr_assert(!opencl_installed(), "OpenCL is installed, yet the probe says: %s", line);
		cr_skip_test("no OpenCL device: %s", line);
	}
	cr_assert(strstr(line, "compute units") != NULL, "%s", line);
	cr_assert(strncmp(line, "OpenCL ", 7) == 0, "%s", line);
	cr_assert_str_eq(ac_target_opencl.name, "opencl");
	cr_assert_str_eq(ac_target_opencl.input_name, "input.cl");
	cr_assert_str_eq(ac_target_opencl.harness_name, "harness.c");
}

Test(opencl, gemm_sample_builds_runs_and_is_correct)
{
	struct world w;
	struct ac_result r;

	need_device();
	world_init(&w);
	evaluate(&w, NULL, &r);
	cr_assert_eq(r.outcome, AC_OK, "%s: %s\n%s", ac_outcome_name(r.outcome),
	             r.message ? r.message : "", r.log ? r.log : "");
	cr_assert_gt(r.time_ns, 0);
	cr_assert_geq(r.samples, 10);
	cr_assert(strstr(r.log, "AC_CL_BUILD_ONLY=1") != NULL, "%s", r.log);
	cr_assert(strstr(r.log, "# report: {\"correct\":true") != NULL, "%s", r.log);
	cr_log_info("opencl-gemm: %.3f ms median over %d samples, spread %.3f",
	            (double)r.time_ns / 1e6, r.samples, r.spread);
	/* The scratch directory holds the two sources the harness was given. */
	{
		char path[160];
		struct stat st;

		snprintf(path, sizeof path, "%s/input.cl", w.scratch);
		cr_assert_eq(stat(path, &st), 0);
		snprintf(path, sizeof path, "%s/.ac_reference.cl", w.scratch);
		cr_assert_eq(stat(path, &st), 0);
	}
	ac_result_clear(&r);
	world_free(&w);
}

Test(opencl, wrong_kernel_is_wrong)
{
	static const char wrong[] =
		"__kernel void gemm(const int M, const int N, const int K,\n"
		"                   __global const float *A, __global const float *B,\n"
		"                   __global float *C)\n"
		"{\n"
		"	int j = get_global_id(0), i = get_global_id(1);\n"
		"	if (i >= M || j >= N)\n"
		"		return;\n"
		"	float acc = 0.0f;\n"
		"	for (int k = 1; k < K; k++)   /* skips k = 0 */\n"
		"		acc += A[i * K + k] * B[k * N + j];\n"
		"	C[i * N + j] = acc;\n"
		"}\n";
	struct world w;
	struct ac_result r;

	need_device();
	world_init(&w);
	evaluate(&w, wrong, &r);
	cr_assert_eq(r.outcome, AC_WRONG, "%s: %s\n%s", ac_outcome_name(r.outcome),
	             r.message ? r.message : "", r.log ? r.log : "");
	cr_assert(r.message && strstr(r.message, "C[") != NULL, "%s", r.message);
	cr_assert_eq(r.time_ns, 0);
	ac_result_clear(&r);
	world_free(&w);
}

Test(opencl, kernel_that_does_not_compile_is_a_build_error_with_the_log)
{
	static const char broken[] =
		"__kernel void gemm(const int M, const int N, const int K,\n"
		"                   __global const float *A, __global const float *B,\n"
		"                   __global float *C)\n"
		"{\n"
		"	C[0] = no_such_variable;\n"
		"}\n";
	struct world w;
	struct ac_result r;

	need_device();
	world_init(&w);
	evaluate(&w, broken, &r);
	cr_assert_eq(r.outcome, AC_BUILD_ERROR, "%s: %s\n%s", ac_outcome_name(r.outcome),
	             r.message ? r.message : "", r.log ? r.log : "");
	cr_assert_str_eq(r.message, "candidate does not compile");
	cr_assert(strstr(r.log, "no_such_variable") != NULL, "no build log in:\n%s", r.log);
	cr_assert(strstr(r.log, "build log of candidate") != NULL, "%s", r.log);
	ac_result_clear(&r);
	world_free(&w);
}

Test(opencl, reference_that_does_not_compile_is_named)
{
	static const char broken[] = "__kernel void gemm( {\n";
	struct world w;
	struct ac_result r;

	need_device();
	world_init(&w);
	w.job.reference = broken;
	w.job.reference_size = strlen(broken);
	evaluate(&w, NULL, &r);
	cr_assert_eq(r.outcome, AC_BUILD_ERROR);
	cr_assert_str_eq(r.message, "input does not compile");
	ac_result_clear(&r);
	world_free(&w);
}

Test(opencl, missing_kernel_name_is_a_run_error_saying_so)
{
	static const char renamed[] =
		"__kernel void matmul(const int M, const int N, const int K,\n"
		"                     __global const float *A, __global const float *B,\n"
		"                     __global float *C)\n"
		"{\n"
		"}\n";
	struct world w;
	struct ac_result r;

	need_device();
	world_init(&w);
	evaluate(&w, renamed, &r);
	cr_assert_eq(r.outcome, AC_RUN_ERROR, "%s: %s", ac_outcome_name(r.outcome),
	             r.message ? r.message : "");
	cr_assert(strstr(r.message, "CL_INVALID_KERNEL_NAME") != NULL, "%s", r.message);
	ac_result_clear(&r);
	world_free(&w);
}

Test(opencl, cflags_are_the_kernel_build_options)
{
	static const char scaled[] =
		"__kernel void gemm(const int M, const int N, const int K,\n"
		"                   __global const float *A, __global const float *B,\n"
		"                   __global float *C)\n"
		"{\n"
		"	int j = get_global_id(0), i = get_global_id(1);\n"
		"	if (i >= M || j >= N)\n"
		"		return;\n"
		"	float acc = 0.0f;\n"
		"	for (int k = 0; k < K; k++)\n"
		"		acc += A[i * K + k] * B[k * N + j];\n"
		"	C[i * N + j] = acc * (ONE);\n"
		"}\n";
	struct world w;
	struct ac_result r;

	need_device();
	world_init(&w);
	evaluate(&w, scaled, &r);
	cr_assert_eq(r.outcome, AC_BUILD_ERROR, "ONE is undefined without the option");
	ac_result_clear(&r);
	world_free(&w);

	world_init(&w);
	w.opts.cflags = "-DONE=1.0f";
	evaluate(&w, scaled, &r);
	cr_assert_eq(r.outcome, AC_OK, "%s: %s\n%s", ac_outcome_name(r.outcome),
	             r.message ? r.message : "", r.log ? r.log : "");
	ac_result_clear(&r);
	world_free(&w);
}

Test(opencl, hanging_kernel_times_out)
{
	static const char hang[] =
		"__kernel void gemm(const int M, const int N, const int K,\n"
		"                   __global const float *A, __global const float *B,\n"
		"                   __global float *C)\n"
		"{\n"
		"	for (;;)\n"
		"		C[get_global_id(0)] += 1.0f;\n"
		"}\n";
	struct world w;
	struct ac_result r;

	need_device();
	world_init(&w);
	w.opts.timeout_s = 4;
	evaluate(&w, hang, &r);
	cr_assert_eq(r.outcome, AC_TIMEOUT, "%s: %s", ac_outcome_name(r.outcome),
	             r.message ? r.message : "");
	ac_result_clear(&r);
	world_free(&w);
}

Test(opencl, no_harness_is_a_build_error)
{
	struct world w;
	struct ac_result r;

	world_init(&w);
	w.job.nfiles = 0;
	memset(&r, 0, sizeof r);
	cr_assert_eq(ac_target_opencl.build(&w.job, &r), 0);
	cr_assert_eq(r.outcome, AC_BUILD_ERROR);
	cr_assert_str_eq(r.message, "no harness.c");
	ac_result_clear(&r);
	world_free(&w);
}
