/*
 * test_target_cuda.c - the cuda target: the cuda-gemm sample compiled with
 * nvcc wherever nvcc exists (it needs no GPU), the ref_ renaming of a
 * reference with kernels, __constant__ and __device__ variables, build
 * errors, and - on a machine with a GPU - real runs: correct, wrong and
 * crashing kernels.
 *
 * Without nvcc every test skips ("nvcc not found"); without a GPU the run
 * tests check that a run ends at once with "no GPU found" and then skip
 * visibly with cr_skip_test("no GPU").
 */
#define AC_TARGETS_COMPLETE 1
#include "targets/targets.h"

#include "ac_config.h"

#include <criterion/criterion.h>
#include <criterion/logging.h>
#include <dirent.h>
#include <errno.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* The daemon runs with umask 077 (fs/main.c), and so do these tests: a
 * file a target writes for the sandbox user with the umask's mode instead
 * of its own is unreadable there, and fails here. */
static void __attribute__((constructor)) daemon_umask(void)
{
	umask(077);
}

struct world {
	char base[64];
	char scratch[96];
	char run[96];
	char *harness;
	size_t harness_len;
	char *input;
	size_t input_len;
	struct ac_file files[1];
	struct ac_target_opts opts;
	struct ac_job job;
};

static char *read_fixture(const char *name, size_t *len)
{
	char path[512];
	FILE *f;
	char *buf;
	long n;

	snprintf(path, sizeof path, "%s/tests/kernels/cuda-gemm/%s", AC_SOURCE_DIR, name);
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

/* The probe's verdict: 0 (GPU), -ENODEV (nvcc, no GPU) or -ENOENT. */
static int probe(char *line, size_t len)
{
	return ac_target_cuda.probe(line, len);
}

/* Skips the test unless nvcc is there. Returns true when a GPU is too. */
static bool need_nvcc(void)
{
	char line[256];
	int rc = probe(line, sizeof line);

	if (rc != 0 && rc != -ENODEV)
		cr_skip_test("%s", line);
	return rc == 0;
}

static void world_init(struct world *w)
{
	memset(w, 0, sizeof *w);
	snprintf(w->base, sizeof w->base, "/tmp/ac-test-cuda-XXXXXX");
	cr_assert_not_null(mkdtemp(w->base));
	chmod(w->base, 0755);
	snprintf(w->scratch, sizeof w->scratch, "%s/scratch", w->base);
	snprintf(w->run, sizeof w->run, "%s/run", w->base);
	cr_assert_eq(mkdir(w->scratch, 0755), 0);
	cr_assert_eq(mkdir(w->run, 0755), 0);
	w->harness = read_fixture("harness.cu", &w->harness_len);
	w->input = read_fixture("input.cu", &w->input_len);
	w->files[0].name = "harness.cu";
	w->files[0].data = w->harness;
	w->files[0].size = w->harness_len;
	w->opts.timeout_s = 60;
	w->opts.cpu = -1;
	w->job.scratch_dir = w->scratch;
	w->job.run_dir = w->run;
	w->job.candidate = w->input;
	w->job.candidate_size = w->input_len;
	w->job.reference = w->input;
	w->job.reference_size = w->input_len;
	w->job.files = w->files;
	w->job.nfiles = 1;
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

/* A fresh scratch directory for the next candidate of the same run. */
static void next_candidate(struct world *w, const char *name)
{
	snprintf(w->scratch, sizeof w->scratch, "%s/%s", w->base, name);
	cr_assert_eq(mkdir(w->scratch, 0755), 0);
}

/* How many non-empty files the run directory holds: what the toolchain
 * cached there (the renamed reference object), whatever it names them. */
static int count_cached(const char *run)
{
	DIR *d = opendir(run);
	struct dirent *e;
	int n = 0;

	cr_assert_not_null(d);
	while ((e = readdir(d)) != NULL) {
		char path[PATH_MAX];
		struct stat st;

		if ((size_t)snprintf(path, sizeof path, "%s/%s", run, e->d_name) >= sizeof path)
			continue;
		n += e->d_name[0] != '.' && stat(path, &st) == 0 && S_ISREG(st.st_mode) &&
		     st.st_size > 0;
	}
	closedir(d);
	return n;
}

static void build(struct world *w, struct ac_result *r)
{
	int rc;

	memset(r, 0, sizeof *r);
	rc = ac_target_cuda.build(&w->job, r);
	cr_assert_eq(rc, 0, "build returned %d: %s\n%s", rc, r->message ? r->message : "",
	             r->log ? r->log : "");
}

#define SAY(r) ac_outcome_name((r).outcome), (r).message ? (r).message : "", \
               (r).log ? (r).log : ""

Test(cuda, probe_line)
{
	char line[256];
	int rc = probe(line, sizeof line);

	cr_log_info("cuda probe: %s (%d)", line, rc);
	cr_assert_str_eq(ac_target_cuda.name, "cuda");
	cr_assert_str_eq(ac_target_cuda.input_name, "input.cu");
	cr_assert_str_eq(ac_target_cuda.harness_name, "harness.cu");
	if (rc == -ENOENT) {
		cr_assert_str_eq(line, "nvcc not found");
		cr_skip_test("nvcc not found");
	}
	cr_assert(strncmp(line, "nvcc ", 5) == 0, "%s", line);
	if (rc == -ENODEV)
		cr_assert(strstr(line, ", no GPU") != NULL, "%s", line);
	else
		cr_assert(rc == 0 && strstr(line, "(sm_") != NULL, "%d %s", rc, line);
}

Test(cuda, gemm_sample_compiles_with_a_renamed_reference, .timeout = 280)
{
	struct world w;
	struct ac_result r;
	char path[160];
	struct stat st;

	need_nvcc();
	world_init(&w);
	build(&w, &r);
	cr_assert_eq(r.outcome, AC_OK, "%s: %s\n%s", SAY(r));
	cr_assert(strstr(r.log, "-Dgemm=ref_gemm") != NULL, "%s", r.log);
	cr_assert(strstr(r.log, "-Dgemm_kernel=ref_gemm_kernel") != NULL, "%s", r.log);
	snprintf(path, sizeof path, "%s/candidate", w.scratch);
	cr_assert_eq(stat(path, &st), 0);
	cr_assert(st.st_mode & S_IXUSR);
	/* The renamed reference and the harness object are kept for the run's
	 * next candidates, which then cost two nvcc calls. */
	cr_assert_geq(count_cached(w.run), 2, "nothing cached in the run directory");
	ac_result_clear(&r);
	next_candidate(&w, "scratch2");
	build(&w, &r);
	cr_assert_eq(r.outcome, AC_OK, "%s: %s\n%s", SAY(r));
	cr_assert(strstr(r.log, "cached") != NULL, "%s", r.log);
	cr_assert(strstr(r.log, "-c harness.cu") == NULL, "harness rebuilt:\n%s", r.log);
	cr_assert(strstr(r.log, "-c .ac_reference.cu") == NULL, "reference rebuilt:\n%s", r.log);
	ac_result_clear(&r);
	world_free(&w);
}

Test(cuda, reference_with_device_globals_links_beside_the_candidate, .timeout = 280)
{
	/* The kernel, the launcher and a namespaced function must be renamed
	 * (they would clash at link time); __constant__ and __device__
	 * variables and template instances need not be: nvcc gives them (and
	 * the variables' host shadows) internal linkage without -rdc. The
	 * link proves both. */
	static const char src[] =
		"#include <cuda_runtime.h>\n"
		"__constant__ float scale;\n"
		"__device__ int calls;\n"
		"namespace util { float twice(float x) { return 2 * x; } }\n"
		"template <typename T> __attribute__((noinline)) T half_of(T x) { return x / 2; }\n"
		"__global__ void axpy_kernel(int n, float a, const float *x, float *y)\n"
		"{\n"
		"	int i = blockIdx.x * blockDim.x + threadIdx.x;\n"
		"	if (i < n) y[i] += a * scale * x[i];\n"
		"	if (i == 0) atomicAdd(&calls, 1);\n"
		"}\n"
		"void axpy(int n, float a, const float *x, float *y)\n"
		"{\n"
		"	float one = half_of(util::twice(1.0f));\n"
		"	cudaMemcpyToSymbol(scale, &one, sizeof one);\n"
		"	axpy_kernel<<<(n + 255) / 256, 256>>>(n, a, x, y);\n"
		"}\n";
	static const char harness[] =
		"#include <autocomp_cuda.h>\n"
		"void axpy(int n, float a, const float *x, float *y);\n"
		"void ref_axpy(int n, float a, const float *x, float *y);\n"
		"int main(int argc, char **argv)\n"
		"{\n"
		"	const int n = 1 << 20;\n"
		"	float *x, *y, *want = ac_alloc_f32(n), *got = ac_alloc_f32(n), *y0 = ac_alloc_f32(n);\n"
		"	ac_cuda_init(argc, argv);\n"
		"	x = ac_cuda_alloc_f32(n);\n"
		"	y = ac_cuda_alloc_f32(n);\n"
		"	ac_cuda_fill_f32(x, n, -1, 1, NULL);\n"
		"	ac_cuda_fill_f32(y, n, -1, 1, y0);\n"
		"	ref_axpy(n, 2.0f, x, y);\n"
		"	ac_cuda_download_f32(want, y, n);\n"
		"	ac_cuda_upload_f32(y, y0, n);\n"
		"	axpy(n, 2.0f, x, y);\n"
		"	ac_cuda_download_f32(got, y, n);\n"
		"	ac_check_close_f32(\"y\", got, want, n, 1e-5, 1e-5);\n"
		"	AC_CUDA_TIME(axpy(n, 2.0f, x, y));\n"
		"	return ac_report();\n"
		"}\n";
	struct world w;
	struct ac_result r;

	need_nvcc();
	world_init(&w);
	w.files[0].data = harness;
	w.files[0].size = strlen(harness);
	w.job.candidate = src;
	w.job.candidate_size = strlen(src);
	w.job.reference = src;
	w.job.reference_size = strlen(src);
	build(&w, &r);
	cr_assert_eq(r.outcome, AC_OK, "%s: %s\n%s", SAY(r));
	cr_assert(strstr(r.log, "-Dtwice=ref_twice") != NULL, "%s", r.log);
	cr_assert(strstr(r.log, "-Daxpy_kernel=ref_axpy_kernel") != NULL, "%s", r.log);
	cr_assert(strstr(r.log, "-Daxpy=ref_axpy") != NULL, "%s", r.log);
	ac_result_clear(&r);
	world_free(&w);
}

Test(cuda, candidate_that_does_not_compile_is_a_build_error, .timeout = 280)
{
	static const char broken[] =
		"__global__ void gemm_kernel(int M) { undeclared_thing = M; }\n"
		"void gemm(int M, int N, int K, const float *A, const float *B, float *C)\n"
		"{ gemm_kernel<<<1, 1>>>(M); }\n";
	struct world w;
	struct ac_result r;

	need_nvcc();
	world_init(&w);
	w.job.candidate = broken;
	w.job.candidate_size = strlen(broken);
	build(&w, &r);
	cr_assert_eq(r.outcome, AC_BUILD_ERROR, "%s: %s\n%s", SAY(r));
	cr_assert_str_eq(r.message, "candidate does not compile");
	cr_assert(strstr(r.log, "undeclared_thing") != NULL, "%s", r.log);
	ac_result_clear(&r);
	world_free(&w);
}

/* The cases of what_a_candidate_may_define, built with nvcc as cc names
 * it (NULL: the one the target finds). */
static void refuse_what_a_candidate_may_not_define(const char *cc)
{
	static const struct {
		const char *src, *want;
	} cases[] = {
		{ "#include <cuda_runtime.h>\n"
		  "extern \"C\" cudaError_t cudaEventElapsedTime(float *ms, cudaEvent_t a, cudaEvent_t b)\n"
		  "{ (void)a; (void)b; *ms = 0.001f; return cudaSuccess; }\n"
		  "__global__ void gemm_kernel(float *C) { C[threadIdx.x] = 0; }\n"
		  "void gemm(int M, int N, int K, const float *A, const float *B, float *C)\n"
		  "{ gemm_kernel<<<1, 1>>>(C); }\n",
		  "defines cudaEventElapsedTime, which the C, C++ or CUDA runtime provides" },
		{ "static int early;\n"
		  "__attribute__((constructor)) static void first(void) { early = 1; }\n"
		  "__global__ void gemm_kernel(float *C, int e) { C[threadIdx.x] = e; }\n"
		  "void gemm(int M, int N, int K, const float *A, const float *B, float *C)\n"
		  "{ gemm_kernel<<<1, 1>>>(C, early); }\n",
		  "has a .init_array section" },
	};
	need_nvcc();
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct world w;
		struct ac_result r;

		world_init(&w);
		w.opts.cc = cc;
		w.job.candidate = cases[i].src;
		w.job.candidate_size = strlen(cases[i].src);
		build(&w, &r);
		cr_assert_eq(r.outcome, AC_BUILD_ERROR, "%s: %s\n%s", SAY(r));
		cr_assert(r.message && strstr(r.message, cases[i].want), "%s -> %s", cases[i].want,
		          r.message);
		ac_result_clear(&r);
		world_free(&w);
	}
}

/* In the harness's process, a candidate must not define what the CUDA
 * runtime or the C library provides (here the events' clock), nor add a
 * constructor to nvcc's own registration one. Builds without a GPU. */
Test(cuda, what_a_candidate_may_define, .timeout = 280)
{
	refuse_what_a_candidate_may_not_define(NULL);
}

/* The same through an nvcc that is a script exec'ing the real one, as
 * /usr/local/bin/nvcc often is: the CUDA runtime is not beside it, and
 * the check must still find and list it. */
Test(cuda, what_a_candidate_may_define_through_a_wrapper_nvcc, .timeout = 280)
{
	char dir[] = "/tmp/ac-test-nvcc-XXXXXX", wrapper[64], real[PATH_MAX] = "";
	const char *path = getenv("PATH");
	FILE *f;

	need_nvcc();
	for (const char *p = path ? path : ""; *p && !real[0]; ) {
		size_t n = strcspn(p, ":");

		snprintf(real, sizeof real, "%.*s/nvcc", (int)n, p);
		if (access(real, X_OK) != 0)
			real[0] = '\0';
		p += n + (p[n] == ':');
	}
	if (!real[0])
		snprintf(real, sizeof real, "/usr/local/cuda/bin/nvcc");
	cr_assert_not_null(mkdtemp(dir));
	chmod(dir, 0755);
	snprintf(wrapper, sizeof wrapper, "%s/nvcc", dir);
	f = fopen(wrapper, "w");
	cr_assert_not_null(f);
	fprintf(f, "#!/bin/sh\nexec %s \"$@\"\n", real);
	fclose(f);
	chmod(wrapper, 0755);
	refuse_what_a_candidate_may_not_define(wrapper);
	unlink(wrapper);
	rmdir(dir);
}

Test(cuda, missing_harness_is_a_build_error)
{
	struct world w;
	struct ac_result r;

	world_init(&w);
	w.job.nfiles = 0;
	build(&w, &r);
	cr_assert_eq(r.outcome, AC_BUILD_ERROR);
	cr_assert_str_eq(r.message, "no harness.cu");
	ac_result_clear(&r);
	world_free(&w);
}

Test(cuda, gemm_runs_on_the_gpu, .timeout = 280)
{
	struct world w;
	struct ac_result r;
	bool gpu = need_nvcc();

	world_init(&w);
	if (!gpu) {
		/* Without a GPU a run ends at once, saying why. */
		memset(&r, 0, sizeof r);
		cr_assert_eq(ac_target_cuda.run(&w.job, &r), 0);
		cr_assert_eq(r.outcome, AC_RUN_ERROR);
		cr_assert_str_eq(r.message, "no GPU found");
		ac_result_clear(&r);
		world_free(&w);
		cr_skip_test("no GPU");
	}
	build(&w, &r);
	cr_assert_eq(r.outcome, AC_OK, "%s: %s\n%s", SAY(r));
	cr_assert_eq(ac_target_cuda.run(&w.job, &r), 0);
	cr_assert_eq(r.outcome, AC_OK, "%s: %s\n%s", SAY(r));
	cr_assert_gt(r.time_ns, 0);
	cr_assert_geq(r.samples, 10);
	cr_log_info("cuda-gemm: %.3f ms median over %d samples, spread %.3f",
	            (double)r.time_ns / 1e6, r.samples, r.spread);
	ac_result_clear(&r);
	world_free(&w);
}

Test(cuda, wrong_and_crashing_kernels_on_the_gpu, .timeout = 280)
{
	static const char wrong[] =
		"__global__ void gemm_kernel(int M, int N, int K, const float *A, const float *B,\n"
		"                            float *C)\n"
		"{\n"
		"	int i = blockIdx.y * blockDim.y + threadIdx.y;\n"
		"	int j = blockIdx.x * blockDim.x + threadIdx.x;\n"
		"	if (i < M && j < N) C[i * N + j] = 0.0f;\n"
		"}\n"
		"void gemm(int M, int N, int K, const float *A, const float *B, float *C)\n"
		"{\n"
		"	dim3 b(16, 16), g((N + 15) / 16, (M + 15) / 16);\n"
		"	gemm_kernel<<<g, b>>>(M, N, K, A, B, C);\n"
		"}\n";
	static const char crash[] =
		"__global__ void gemm_kernel(float *C) { C[threadIdx.x] = 1.0f; }\n"
		"void gemm(int M, int N, int K, const float *A, const float *B, float *C)\n"
		"{\n"
		"	gemm_kernel<<<1, 32>>>((float *)0x10);\n"
		"}\n";
	struct world w;
	struct ac_result r;

	if (!need_nvcc())
		cr_skip_test("no GPU");
	world_init(&w);
	w.job.candidate = wrong;
	w.job.candidate_size = strlen(wrong);
	build(&w, &r);
	cr_assert_eq(r.outcome, AC_OK, "%s: %s\n%s", SAY(r));
	cr_assert_eq(ac_target_cuda.run(&w.job, &r), 0);
	cr_assert_eq(r.outcome, AC_WRONG, "%s: %s\n%s", SAY(r));
	ac_result_clear(&r);

	next_candidate(&w, "scratch2");
	w.job.candidate = crash;
	w.job.candidate_size = strlen(crash);
	build(&w, &r);
	cr_assert_eq(r.outcome, AC_OK, "%s: %s\n%s", SAY(r));
	cr_assert_eq(ac_target_cuda.run(&w.job, &r), 0);
	cr_assert_eq(r.outcome, AC_RUN_ERROR, "%s: %s\n%s", SAY(r));
	cr_assert(strstr(r.message, "illegal") != NULL || strstr(r.message, "address") != NULL,
	          "%s", r.message);
	ac_result_clear(&r);
	world_free(&w);
}
