/*
 * test_target_cpu.c - the cpu target end to end on the gemm fixture
 * (tests/kernels/gemm): a correct candidate builds and runs with a
 * plausible time; wrong results, compile errors in the candidate, harness
 * or input, link errors, crashes, endless loops, forged reports (on stdout
 * and on the report pipe) and writes into protected inputs each end in the
 * outcome and message the engine relies on; the reference is cached per
 * run; user headers reach the build.
 */
#include <criterion/criterion.h>

#include "ac_config.h"
#include "targets/targets.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <pthread.h>
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

static char root[64];
static char run_dir[128];
static char *gemm_input;
static size_t gemm_input_len;
static char *gemm_harness;
static size_t gemm_harness_len;
static int scratch_count;

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static char *slurp(const char *name, size_t *len)
{
	const char *src = getenv("AC_SOURCE_DIR");
	char path[512];
	FILE *f;
	char *buf;
	long n;

	snprintf(path, sizeof path, "%s/tests/kernels/gemm/%s", src && *src ? src : AC_SOURCE_DIR,
	         name);
	f = fopen(path, "rb");
	cr_assert_not_null(f, "cannot open %s", path);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	buf = malloc((size_t)n + 1);
	cr_assert_not_null(buf);
	cr_assert_eq(fread(buf, 1, (size_t)n, f), (size_t)n);
	buf[n] = '\0';
	fclose(f);
	*len = (size_t)n;
	return buf;
}

static void setup(void)
{
	snprintf(root, sizeof root, "/tmp/ac-cpu-XXXXXX");
	cr_assert_not_null(mkdtemp(root));
	/* Searchable by the sandbox user, so builds and runs drop root. */
	cr_assert_eq(chmod(root, 0711), 0);
	snprintf(run_dir, sizeof run_dir, "%s/run", root);
	cr_assert_eq(mkdir(run_dir, 0700), 0);
	gemm_input = slurp("input.c", &gemm_input_len);
	gemm_harness = slurp("harness.c", &gemm_harness_len);
	scratch_count = 0;
}

/* Idempotent: a test that skips itself calls it before the suite does. */
static void teardown(void)
{
	if (root[0])
		nftw(root, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	root[0] = '\0';
	free(gemm_input);
	free(gemm_harness);
	gemm_input = gemm_harness = NULL;
}

TestSuite(cpu, .init = setup, .fini = teardown, .timeout = 120);

/* A job with its own scratch directory; candidate NULL means the input. */
struct fixture {
	char scratch[160];
	struct ac_file files[3];
	struct ac_target_opts opts;
	struct ac_job job;
};

static void fixture_init(struct fixture *f, const char *candidate, const char *harness)
{
	memset(f, 0, sizeof *f);
	snprintf(f->scratch, sizeof f->scratch, "%s/c%d", root, scratch_count++);
	cr_assert_eq(mkdir(f->scratch, 0700), 0);
	f->files[0].name = "harness.c";
	f->files[0].data = harness ? harness : gemm_harness;
	f->files[0].size = harness ? strlen(harness) : gemm_harness_len;
	f->opts.cpu = -1;
	f->opts.timeout_s = 10;
	f->job.scratch_dir = f->scratch;
	f->job.run_dir = run_dir;
	f->job.candidate = candidate ? candidate : gemm_input;
	f->job.candidate_size = candidate ? strlen(candidate) : gemm_input_len;
	f->job.reference = gemm_input;
	f->job.reference_size = gemm_input_len;
	f->job.files = f->files;
	f->job.nfiles = 1;
	f->job.opts = &f->opts;
}

static void build_ok(struct fixture *f, struct ac_result *r)
{
	memset(r, 0, sizeof *r);
	cr_assert_eq(ac_target_cpu.build(&f->job, r), 0, "build: %s\n%s", r->message, r->log);
	cr_assert_eq(r->outcome, AC_OK, "build: %s\n%s", r->message, r->log);
}

/* The gemm input with one line inserted before the loops. */
static char *gemm_with(const char *prologue, const char *epilogue)
{
	char *s = NULL;

	cr_assert_geq(asprintf(&s,
	                       "#include <stdio.h>\n#include <stdlib.h>\n#include <unistd.h>\n"
	                       "void gemm(int M, int N, int K, const float *A, const float *B, float *C)\n"
	                       "{\n%s\n"
	                       "\tfor (int i = 0; i < M; i++)\n"
	                       "\t\tfor (int j = 0; j < N; j++) {\n"
	                       "\t\t\tfloat acc = 0.0f;\n"
	                       "\t\t\tfor (int k = 0; k < K; k++)\n"
	                       "\t\t\t\tacc += A[i * K + k] * B[k * N + j];\n"
	                       "\t\t\tC[i * N + j] = acc;\n"
	                       "\t\t}\n%s\n}\n",
	                       prologue, epilogue),
	              0);
	return s;
}

Test(cpu, registry_and_probe)
{
	char buf[256];

	cr_expect_eq(ac_target_find("cpu"), &ac_target_cpu);
	cr_expect_str_eq(ac_target_cpu.input_name, "input.c");
	cr_expect_str_eq(ac_target_cpu.harness_name, "harness.c");
	cr_assert_eq(ac_target_cpu.probe(buf, sizeof buf), 0, "%s", buf);
	cr_expect(strlen(buf) > 0);
	cr_expect_null(strchr(buf, '\n'));
}

Test(cpu, gemm_ok)
{
	struct fixture f;
	struct ac_result r;

	fixture_init(&f, NULL, NULL);
	build_ok(&f, &r);
	/* the judge (harness + stubs + reference), the loader, the candidate's object */
	cr_expect_not_null(strstr(r.log, "-c .ac_judge.c"), "%s", r.log);
	cr_expect_not_null(strstr(r.log, "-aux-info .ac_protos.aux .ac_reference.c"), "%s", r.log);
	cr_expect_not_null(strstr(r.log, "objcopy --redefine-syms"), "%s", r.log);
	cr_expect_not_null(strstr(r.log, "objcopy --keep-global-symbols"), "%s", r.log);
	cr_expect_not_null(strstr(r.log, ".ac_judge.o .ac_stubs.o .ac_reference.o -o .ac_judge -lm"),
	                   "%s", r.log);
	cr_expect_not_null(strstr(r.log, ".ac_worker.c -o .ac_loader -lm"), "%s", r.log);
	cr_expect_not_null(strstr(r.log, "-shared -Wl,-Bsymbolic -Wl,--no-undefined "
	                                 ".ac_candidate.o -o .ac_candidate.so -lm"), "%s", r.log);
	cr_assert_eq(ac_target_cpu.run(&f.job, &r), 0);
	cr_assert_eq(r.outcome, AC_OK, "%s\n%s", r.message, r.log);
	/* 256^3 multiply-adds: ~20 ms naive here; anything from 0.5 ms to a
	 * second is plausible on any machine. */
	cr_expect(r.time_ns > 500000 && r.time_ns < 1000000000, "time %lld ns",
	          (long long)r.time_ns);
	cr_expect_geq(r.samples, 10);
	cr_expect(r.spread >= 0 && r.spread < 10, "spread %g", r.spread);
	cr_expect_not_null(strstr(r.log, "# report: {\"correct\":true"), "%s", r.log);
	/* how the verdict was reached: the inputs rotated, every timed
	 * repetition checked, the forwarding's round trip measured */
	cr_assert_not_null(r.judge, "%s", r.log);
	cr_expect_not_null(strstr(r.judge, "\"rotation\":\"on\""), "%s", r.judge);
	cr_expect_null(strstr(r.judge, "\"checked\":0,"), "%s", r.judge);
	cr_expect_null(strstr(r.judge, "\"forward_ns\":0,"), "%s", r.judge);
	cr_expect_not_null(strstr(r.log, "# judge: round trip "), "%s", r.log);
	cr_expect_not_null(strstr(r.log, "timed on 1 core"), "%s", r.log);
	if (geteuid() == 0)
		cr_expect_not_null(strstr(r.log, "sandbox: no network, pid namespace, unprivileged uid"),
		                   "%s", r.log);
	ac_result_clear(&r);
}

Test(cpu, wrong_result)
{
	char *cand = gemm_with("", "\tC[137] += 0.5f;");
	struct fixture f;
	struct ac_result r;

	fixture_init(&f, cand, NULL);
	build_ok(&f, &r);
	cr_assert_eq(ac_target_cpu.run(&f.job, &r), 0);
	cr_expect_eq(r.outcome, AC_WRONG, "%s\n%s", r.message, r.log);
	cr_expect_eq(r.time_ns, 0);
	cr_assert_not_null(r.message);
	cr_expect_not_null(strstr(r.message, "C[137]: got"), "%s", r.message);
	cr_expect_not_null(strstr(r.message, "1 of 65536 elements differ"), "%s", r.message);
	ac_result_clear(&r);
	free(cand);
}

Test(cpu, candidate_compile_error)
{
	struct fixture f;
	struct ac_result r;

	fixture_init(&f, "void gemm(int M) { this is not C }\n", NULL);
	memset(&r, 0, sizeof r);
	cr_assert_eq(ac_target_cpu.build(&f.job, &r), 0);
	cr_expect_eq(r.outcome, AC_BUILD_ERROR);
	cr_expect_str_eq(r.message, "candidate does not compile");
	cr_expect_not_null(strstr(r.log, "input.c:1:"), "%s", r.log);
	cr_expect_not_null(strstr(r.log, "error"), "%s", r.log);
	ac_result_clear(&r);
}

Test(cpu, harness_compile_error)
{
	struct fixture f;
	struct ac_result r;

	fixture_init(&f, NULL, "#include <autocomp.h>\nint main(void) { return ac_report() +; }\n");
	memset(&r, 0, sizeof r);
	cr_assert_eq(ac_target_cpu.build(&f.job, &r), 0);
	cr_expect_eq(r.outcome, AC_BUILD_ERROR);
	cr_expect_str_eq(r.message, "harness does not compile");
	cr_expect_not_null(strstr(r.log, "harness.c:2:"), "%s", r.log);
	ac_result_clear(&r);
}

Test(cpu, input_compile_error_cached)
{
	static const char broken[] = "void gemm(void) { syntax error here }\n";
	struct fixture f;
	struct ac_result r;

	fixture_init(&f, NULL, NULL);
	f.job.reference = broken;
	f.job.reference_size = strlen(broken);
	memset(&r, 0, sizeof r);
	cr_assert_eq(ac_target_cpu.build(&f.job, &r), 0);
	cr_expect_eq(r.outcome, AC_BUILD_ERROR);
	cr_expect_str_eq(r.message, "input does not compile");
	cr_expect_not_null(strstr(r.log, "syntax error"), "%s", r.log);
	ac_result_clear(&r);

	/* The next candidate of the run gets the cached failure at once. */
	fixture_init(&f, NULL, NULL);
	f.job.reference = broken;
	f.job.reference_size = strlen(broken);
	memset(&r, 0, sizeof r);
	cr_assert_eq(ac_target_cpu.build(&f.job, &r), 0);
	cr_expect_str_eq(r.message, "input does not compile");
	cr_expect_not_null(strstr(r.log, "failed before"), "%s", r.log);
	cr_expect_not_null(strstr(r.log, "syntax error"), "%s", r.log);
	ac_result_clear(&r);
}

Test(cpu, link_error)
{
	static const char cand[] =
		"void helper_that_is_nowhere(void);\n"
		"void gemm(int M, int N, int K, const float *A, const float *B, float *C)\n"
		"{ helper_that_is_nowhere(); }\n";
	struct fixture f;
	struct ac_result r;

	fixture_init(&f, cand, NULL);
	memset(&r, 0, sizeof r);
	cr_assert_eq(ac_target_cpu.build(&f.job, &r), 0);
	cr_expect_eq(r.outcome, AC_BUILD_ERROR);
	cr_expect_str_eq(r.message, "does not link");
	cr_expect_not_null(strstr(r.log, "helper_that_is_nowhere"), "%s", r.log);
	ac_result_clear(&r);
}

Test(cpu, crash_is_run_error)
{
	char *cand = gemm_with("\tif (M > 0) *(volatile int *)0 = 1;", "");
	struct fixture f;
	struct ac_result r;

	fixture_init(&f, cand, NULL);
	build_ok(&f, &r);
	cr_assert_eq(ac_target_cpu.run(&f.job, &r), 0);
	cr_expect_eq(r.outcome, AC_RUN_ERROR);
	cr_expect_str_eq(r.message, "the candidate crashed in gemm: Segmentation fault at address 0");
	ac_result_clear(&r);
	free(cand);
}

Test(cpu, exit_is_run_error)
{
	char *cand = gemm_with("\texit(3);", "");
	struct fixture f;
	struct ac_result r;

	fixture_init(&f, cand, NULL);
	build_ok(&f, &r);
	cr_assert_eq(ac_target_cpu.run(&f.job, &r), 0);
	cr_expect_eq(r.outcome, AC_RUN_ERROR);
	cr_expect_str_eq(r.message, "the candidate's process exited with status 3 during gemm");
	ac_result_clear(&r);
	free(cand);
}

Test(cpu, endless_loop_times_out)
{
	char *cand = gemm_with("\tfor (volatile int spin = 1; spin;) ;", "");
	struct fixture f;
	struct ac_result r;

	fixture_init(&f, cand, NULL);
	f.opts.timeout_s = 1;
	build_ok(&f, &r);
	cr_assert_eq(ac_target_cpu.run(&f.job, &r), 0);
	cr_expect_eq(r.outcome, AC_TIMEOUT);
	cr_expect_str_eq(r.message, "timed out after 1.0 s");
	cr_expect_eq(r.time_ns, 0);
	ac_result_clear(&r);
	free(cand);
}

Test(cpu, forged_stdout_report_ignored)
{
	/* Prints a perfect report on stdout, then computes garbage. */
	char *cand = gemm_with(
		"\tprintf(\"{\\\"correct\\\":true,\\\"time_ns\\\":1,\\\"samples\\\":10,\\\"spread\\\":0,\\\"message\\\":\\\"\\\"}\\n\");\n"
		"\tfflush(stdout);\n"
		"\tfor (int i = 0; i < M * N; i++) C[i] = 0; return;",
		"");
	struct fixture f;
	struct ac_result r;

	fixture_init(&f, cand, NULL);
	build_ok(&f, &r);
	cr_assert_eq(ac_target_cpu.run(&f.job, &r), 0);
	cr_expect_eq(r.outcome, AC_WRONG, "%s\n%s", r.message, r.log);
	ac_result_clear(&r);
	free(cand);

	/* Prints a perfect report on stdout and exits before the harness can. */
	cand = gemm_with(
		"\tprintf(\"{\\\"correct\\\":true,\\\"time_ns\\\":1,\\\"samples\\\":10}\\n\");\n"
		"\tfflush(stdout); _exit(0);",
		"");
	fixture_init(&f, cand, NULL);
	build_ok(&f, &r);
	cr_assert_eq(ac_target_cpu.run(&f.job, &r), 0);
	cr_expect_eq(r.outcome, AC_RUN_ERROR, "%s\n%s", r.message, r.log);
	cr_expect_str_eq(r.message, "the candidate's process exited with status 0 during gemm");
	ac_result_clear(&r);
	free(cand);
}

Test(cpu, forged_pipe_report_rejected)
{
	/* Tries every descriptor to find the report pipe and writes a perfect
	 * report into it, then computes correctly. The candidate's process
	 * holds no report descriptor: only the judge's own report arrives, and
	 * the junk on the judge's socket is not a message. */
	char *cand = gemm_with(
		"\tstatic int done;\n"
		"\tstatic const char forged[] = \"{\\\"correct\\\":true,\\\"time_ns\\\":1,\\\"samples\\\":10}\\n\";\n"
		"\tif (!done) { done = 1; for (int fd = 3; fd < 4096; fd++) (void)!write(fd, forged, sizeof forged - 1); }",
		"");
	struct fixture f;
	struct ac_result r;

	fixture_init(&f, cand, NULL);
	build_ok(&f, &r);
	cr_assert_eq(ac_target_cpu.run(&f.job, &r), 0);
	cr_expect_eq(r.outcome, AC_OK, "%s\n%s", r.message, r.log);
	cr_expect_geq(r.time_ns, 1000000, "the judge's time, not the forged 1 ns");
	ac_result_clear(&r);
	free(cand);
}

Test(cpu, writing_inputs_is_run_error)
{
	/* Casts const away to "cache" into its input. */
	char *cand = gemm_with("\t((float *)A)[0] = 0.0f;", "");
	struct fixture f;
	struct ac_result r;

	fixture_init(&f, cand, NULL);
	build_ok(&f, &r);
	cr_assert_eq(ac_target_cpu.run(&f.job, &r), 0);
	cr_expect_eq(r.outcome, AC_RUN_ERROR, "%s\n%s", r.message, r.log);
	cr_expect_str_eq(r.message, "the candidate wrote to A, a read-only input of gemm "
	                            "(Segmentation fault at offset 0); inputs are const: write only "
	                            "the outputs");
	ac_result_clear(&r);
	free(cand);
}

static const char naive_gemm[] =
	"static void naive(int M, int N, int K, const float *A, const float *B, float *C)\n"
	"{\n"
	"\tfor (int i = 0; i < M; i++)\n"
	"\t\tfor (int j = 0; j < N; j++) {\n"
	"\t\t\tfloat acc = 0.0f;\n"
	"\t\t\tfor (int k = 0; k < K; k++)\n"
	"\t\t\t\tacc += A[i * K + k] * B[k * N + j];\n"
	"\t\t\tC[i * N + j] = acc;\n"
	"\t\t}\n"
	"}\n";

static char *with_naive(const char *rest)
{
	char *s = NULL;

	cr_assert_geq(asprintf(&s, "#include <pthread.h>\n#include <time.h>\n%s%s", naive_gemm, rest), 0);
	return s;
}

/* A thread that goes on computing after the call returned: the judge
 * waits for it, and gives up with a run error when it never rests. */
Test(cpu, threads_left_running_are_a_run_error)
{
	char *cand = with_naive(
		"static void *spin(void *a) { for (volatile int x = 1; x;) ; return a; }\n"
		"void gemm(int M, int N, int K, const float *A, const float *B, float *C)\n"
		"{\n\tstatic int once;\n\tpthread_t t;\n\tnaive(M, N, K, A, B, C);\n"
		"\tif (!once++) pthread_create(&t, 0, spin, 0);\n}\n");
	struct fixture f;
	struct ac_result r;

	fixture_init(&f, cand, NULL);
	f.opts.cflags = "-O2 -pthread";
	build_ok(&f, &r);
	cr_assert_eq(ac_target_cpu.run(&f.job, &r), 0);
	cr_expect_eq(r.outcome, AC_RUN_ERROR, "%s\n%s", r.message, r.log);
	cr_expect_not_null(strstr(r.message ? r.message : "", "left threads running 2 s after gemm returned"),
	                   "%s", r.message);
	ac_result_clear(&r);
	free(cand);
}

/* A thread that starts working a moment after each call returned, while
 * the judge checks and prepares the next one: work the clock did not see. */
Test(cpu, work_between_calls_is_a_run_error)
{
	char *cand = with_naive(
		"#include <semaphore.h>\nstatic sem_t go;\n"
		"static void *bg(void *a)\n{\n\tfor (;;) {\n"
		"\t\tstruct timespec ts = { 0, 200000 };\n\t\tsem_wait(&go);\n\t\tnanosleep(&ts, 0);\n"
		"\t\tfor (volatile long i = 0; i < 20000000; i++) ;\n\t}\n\treturn a;\n}\n"
		"void gemm(int M, int N, int K, const float *A, const float *B, float *C)\n"
		"{\n\tstatic int once;\n\tpthread_t t;\n"
		"\tif (!once++) { sem_init(&go, 0, 0); pthread_create(&t, 0, bg, 0); }\n"
		"\tnaive(M, N, K, A, B, C);\n\tsem_post(&go);\n}\n");
	struct fixture f;
	struct ac_result r;

	fixture_init(&f, cand, NULL);
	f.opts.cflags = "-O2 -pthread";
	build_ok(&f, &r);
	cr_assert_eq(ac_target_cpu.run(&f.job, &r), 0);
	cr_expect_eq(r.outcome, AC_RUN_ERROR, "%s\n%s", r.message, r.log);
	/* it sleeps before it works: caught as it is left behind */
	cr_expect_not_null(strstr(r.message ? r.message : "", "left a thread sleeping after gemm "
	                                                      "returned"), "%s", r.message);
	ac_result_clear(&r);
	free(cand);
}

/* The candidate's process holds its standard descriptors and the judge's
 * socket, nothing else: no report descriptor, no shared memory of another
 * call, nothing of the judge's. */
Test(cpu, the_candidate_holds_no_descriptor_of_the_judge)
{
	char *cand = gemm_with(
		"\tstatic int once;\n"
		"\tif (!once++) {\n"
		"\t\tfor (int fd = 0; fd < 1024; fd++)\n"
		"\t\t\tif (fcntl(fd, F_GETFD) >= 0) printf(\"fd %d open\\n\", fd);\n"
		"\t\tfflush(stdout);\n\t}", "");
	char *with_fcntl = NULL;
	struct fixture f;
	struct ac_result r;

	cr_assert_geq(asprintf(&with_fcntl, "#include <fcntl.h>\n%s", cand), 0);
	fixture_init(&f, with_fcntl, NULL);
	build_ok(&f, &r);
	cr_assert_eq(ac_target_cpu.run(&f.job, &r), 0);
	cr_expect_eq(r.outcome, AC_OK, "%s\n%s", r.message, r.log);
	cr_expect(strstr(r.log, "fd 0 open\nfd 1 open\nfd 2 open\nfd 3 open\n") &&
	          !strstr(r.log, "fd 4 open"), "%s", r.log);
	ac_result_clear(&r);
	free(with_fcntl);
	free(cand);
}

/* What the forwarding cannot carry is a build error naming the function
 * and the parameter, before anything runs. */
Test(cpu, an_unforwardable_prototype_is_a_named_build_error)
{
	static const char input[] =
		"#include <stdarg.h>\n"
		"void gemm(int n, ...) { va_list ap; va_start(ap, n); va_end(ap); }\n";
	struct fixture f;
	struct ac_result r;

	fixture_init(&f, input, NULL);
	f.job.reference = input;
	f.job.reference_size = strlen(input);
	memset(&r, 0, sizeof r);
	cr_assert_eq(ac_target_cpu.build(&f.job, &r), 0);
	cr_expect_eq(r.outcome, AC_BUILD_ERROR, "%s\n%s", r.message, r.log);
	cr_expect_str_eq(r.message, "the judge cannot call the input's functions: gemm: takes a "
	                            "variable argument list (...), which cannot be forwarded");
	ac_result_clear(&r);
}

/* A harness that passes the candidate memory of its own (not ac_alloc's)
 * hears so in words: the judge shares only ac_alloc blocks. */
Test(cpu, a_pointer_outside_ac_alloc_is_a_harness_error)
{
	static const char harness[] =
		"#include <autocomp.h>\n"
		"void gemm(int M, int N, int K, const float *A, const float *B, float *C);\n"
		"int main(int argc, char **argv)\n{\n"
		"\tstatic float A[4], B[4], C[4];\n"
		"\tac_init(argc, argv);\n"
		"\tgemm(2, 2, 2, A, B, C);\n"
		"\treturn ac_report();\n}\n";
	struct fixture f;
	struct ac_result r;

	fixture_init(&f, NULL, harness);
	build_ok(&f, &r);
	cr_assert_eq(ac_target_cpu.run(&f.job, &r), 0);
	cr_expect_eq(r.outcome, AC_RUN_ERROR, "%s\n%s", r.message, r.log);
	cr_expect(r.message && strstr(r.message, "harness: gemm's argument A (") &&
	          strstr(r.message, "is not in ac_alloc memory"), "%s", r.message);
	ac_result_clear(&r);
}

/* A single-threaded candidate in the sandbox's PID namespace: the judge
 * finds its worker in /proc all the same, and nothing is flagged. */
Test(cpu, threads_are_watched_in_the_sandbox)
{
	struct fixture f;
	struct ac_result r;

	fixture_init(&f, NULL, NULL);
	build_ok(&f, &r);
	cr_assert_eq(ac_target_cpu.run(&f.job, &r), 0);
	cr_assert_eq(r.outcome, AC_OK, "%s\n%s", r.message, r.log);
	cr_expect_not_null(strstr(r.judge, "\"threads_watched\":true"), "%s", r.judge);
	ac_result_clear(&r);
}

Test(cpu, lazy_candidate_is_wrong)
{
	/* Computes once, then returns at once for the timed calls: the
	 * harness poisons C before timing and checks it again after. */
	char *cand = gemm_with("\tstatic int calls;\n\tif (calls++ > 0) return;", "");
	struct fixture f;
	struct ac_result r;

	fixture_init(&f, cand, NULL);
	build_ok(&f, &r);
	cr_assert_eq(ac_target_cpu.run(&f.job, &r), 0);
	cr_expect_eq(r.outcome, AC_WRONG, "%s\n%s", r.message, r.log);
	cr_expect_not_null(strstr(r.message, "got nan"), "%s", r.message);
	ac_result_clear(&r);
	free(cand);
}

Test(cpu, reference_cached_per_run)
{
	struct fixture f;
	struct ac_result r;

	fixture_init(&f, NULL, NULL);
	build_ok(&f, &r);
	cr_expect_null(strstr(r.log, "reference: cached"));
	ac_result_clear(&r);

	fixture_init(&f, NULL, NULL);
	build_ok(&f, &r);
	cr_expect_not_null(strstr(r.log, "reference: cached"), "%s", r.log);
	cr_expect_not_null(strstr(r.log, "judge (harness and stubs): cached"), "%s", r.log);
	cr_expect_not_null(strstr(r.log, "prototypes: cached"), "%s", r.log);
	cr_expect_null(strstr(r.log, "objcopy"));
	cr_expect_null(strstr(r.log, "-c .ac_judge.c"));
	ac_result_clear(&r);

	/* A changed harness is compiled afresh. */
	fixture_init(&f, NULL, NULL);
	f.files[0].size--;   /* drops the final newline */
	build_ok(&f, &r);
	cr_expect_not_null(strstr(r.log, "-c .ac_judge.c"), "%s", r.log);
	ac_result_clear(&r);

	/* Other flags: another object. */
	fixture_init(&f, NULL, NULL);
	f.opts.cflags = "-O2";
	build_ok(&f, &r);
	cr_expect_null(strstr(r.log, "reference: cached"), "%s", r.log);
	cr_expect_not_null(strstr(r.log, "$ cc -O2 -fopenmp -I"), "%s", r.log);
	ac_result_clear(&r);
}

struct par_build {
	struct fixture f;
	struct ac_result r;
	int rc;
};

static void *par_build(void *arg)
{
	struct par_build *p = arg;

	p->rc = ac_target_cpu.build(&p->f.job, &p->r);
	return NULL;
}

Test(cpu, parallel_builds_share_the_reference)
{
	struct par_build p[3];
	pthread_t th[3];
	int built = 0;

	for (int i = 0; i < 3; i++) {
		fixture_init(&p[i].f, NULL, NULL);
		memset(&p[i].r, 0, sizeof p[i].r);
		cr_assert_eq(pthread_create(&th[i], NULL, par_build, &p[i]), 0);
	}
	for (int i = 0; i < 3; i++) {
		pthread_join(th[i], NULL);
		cr_expect_eq(p[i].rc, 0);
		cr_expect_eq(p[i].r.outcome, AC_OK, "%s", p[i].r.log);
		built += strstr(p[i].r.log, "objcopy") != NULL;
		ac_result_clear(&p[i].r);
	}
	cr_expect_eq(built, 1, "the reference was built %d times", built);
}

Test(cpu, user_header_and_refused_names)
{
	static const char header[] = "#define GEMM_SCALE 1.0f\n";
	static const char cand[] =
		"#include \"params.h\"\n"
		"void gemm(int M, int N, int K, const float *A, const float *B, float *C)\n"
		"{\n\tfor (int i = 0; i < M; i++)\n\t\tfor (int j = 0; j < N; j++) {\n"
		"\t\t\tfloat acc = 0;\n\t\t\tfor (int k = 0; k < K; k++)\n"
		"\t\t\t\tacc += A[i * K + k] * B[k * N + j];\n"
		"\t\t\tC[i * N + j] = acc * GEMM_SCALE;\n\t\t}\n}\n";
	struct fixture f;
	struct ac_result r;

	fixture_init(&f, cand, NULL);
	f.files[1].name = "params.h";
	f.files[1].data = header;
	f.files[1].size = strlen(header);
	f.job.nfiles = 2;
	build_ok(&f, &r);
	ac_result_clear(&r);

	f.files[1].name = ".hidden";
	memset(&r, 0, sizeof r);
	cr_assert_eq(ac_target_cpu.build(&f.job, &r), 0);
	cr_expect_eq(r.outcome, AC_BUILD_ERROR);
	cr_expect_str_eq(r.message, "refusing file name \".hidden\"");
	ac_result_clear(&r);

	f.files[1].name = "../escape.h";
	memset(&r, 0, sizeof r);
	cr_assert_eq(ac_target_cpu.build(&f.job, &r), 0);
	cr_expect_eq(r.outcome, AC_BUILD_ERROR);
	ac_result_clear(&r);
}

Test(cpu, missing_harness)
{
	struct fixture f;
	struct ac_result r;

	fixture_init(&f, NULL, NULL);
	f.job.nfiles = 0;
	memset(&r, 0, sizeof r);
	cr_assert_eq(ac_target_cpu.build(&f.job, &r), 0);
	cr_expect_eq(r.outcome, AC_BUILD_ERROR);
	cr_expect_str_eq(r.message, "no harness.c");
	ac_result_clear(&r);
}

Test(cpu, untimed_harness_is_wrong)
{
	static const char harness[] =
		"#include <autocomp.h>\n"
		"int main(int argc, char **argv) { ac_init(argc, argv); return ac_report(); }\n";
	struct fixture f;
	struct ac_result r;

	fixture_init(&f, NULL, harness);
	build_ok(&f, &r);
	cr_assert_eq(ac_target_cpu.run(&f.job, &r), 0);
	cr_expect_eq(r.outcome, AC_WRONG);
	cr_expect_str_eq(r.message, "harness did not time anything");
	ac_result_clear(&r);
}

Test(cpu, include_dir)
{
	struct stat st;
	char path[512];

	unsetenv("AUTOCOMP_INCLUDE_DIR");
	snprintf(path, sizeof path, "%s/autocomp.h", ac_target_include_dir());
	cr_expect_eq(stat(path, &st), 0, "%s", path);
	setenv("AUTOCOMP_INCLUDE_DIR", "/elsewhere", 1);
	cr_expect_str_eq(ac_target_include_dir(), "/elsewhere");
	unsetenv("AUTOCOMP_INCLUDE_DIR");
}

/* --- toolchain: the helpers the compiled targets share ---------------- */

#include "targets/exec/argv.h"
#include "targets/toolchain/refcache.h"
#include "targets/toolchain/symbols.h"
#include "targets/toolchain/toolchain.h"

#include <sys/file.h>

TestSuite(toolchain, .init = setup, .fini = teardown, .timeout = 60);

Test(toolchain, names)
{
	char longname[300];

	memset(longname, 'a', sizeof longname - 1);
	longname[sizeof longname - 1] = '\0';
	cr_expect(ac_toolchain_name_ok("harness.c"));
	cr_expect(ac_toolchain_name_ok("params.h"));
	cr_expect(!ac_toolchain_name_ok(""));
	cr_expect(!ac_toolchain_name_ok(NULL));
	cr_expect(!ac_toolchain_name_ok(".ac_reference.o"));
	cr_expect(!ac_toolchain_name_ok(".."));
	cr_expect(!ac_toolchain_name_ok("a/b.h"));
	cr_expect(!ac_toolchain_name_ok(longname));
}

Test(toolchain, argv)
{
	struct ac_argv a = { 0 };

	ac_argv_add_split(&a, "  cc   -O3\t-march=native \n");
	ac_argv_add_split(&a, NULL);
	ac_argv_add_split(&a, "   ");
	ac_argv_add(&a, "has space");
	ac_argv_addf(&a, "-D%s=%d", "N", 4);
	cr_assert_eq(a.n, 5);
	cr_expect_str_eq(a.v[0], "cc");
	cr_expect_str_eq(a.v[1], "-O3");
	cr_expect_str_eq(a.v[2], "-march=native");
	cr_expect_str_eq(a.v[3], "has space");
	cr_expect_str_eq(a.v[4], "-DN=4");
	cr_expect_null(a.v[5]);
	cr_expect(!a.oom);
	ac_argv_free(&a);
	cr_expect_null(a.v);
	cr_expect_eq(a.n, 0);
	ac_argv_free(&a);
	ac_argv_free(NULL);
}

Test(toolchain, write_files)
{
	struct ac_file files[2] = { { "harness.c", "int x;\n", 7 }, { "input.c", "dup", 3 } };
	struct ac_job job;
	struct ac_result r;
	struct stat st;
	char path[256];
	mode_t old = umask(077);

	cr_expect_eq(ac_toolchain_write_file(root, "a.h", "#define A 1\n", 12), 0);
	umask(old);
	snprintf(path, sizeof path, "%s/a.h", root);
	cr_assert_eq(stat(path, &st), 0);
	cr_expect_eq(st.st_mode & 0777, 0644, "the sandbox user must read it");
	cr_expect_eq(st.st_size, 12);
	cr_expect_eq(ac_toolchain_write_file(root, "../a.h", "x", 1), -EINVAL);
	cr_expect_eq(ac_toolchain_write_file(root, ".a.h", "x", 1), -EINVAL);

	memset(&job, 0, sizeof job);
	memset(&r, 0, sizeof r);
	job.scratch_dir = root;
	job.candidate = "void f(void) {}\n";
	job.candidate_size = 16;
	job.files = files;
	job.nfiles = 1;
	cr_expect_eq(ac_toolchain_write_job(&job, "input.c", &r), 0);
	cr_expect_not_null(ac_toolchain_find_file(&job, "harness.c"));
	cr_expect_null(ac_toolchain_find_file(&job, "input.c"));
	job.nfiles = 2;   /* a user file may not shadow the candidate */
	cr_expect_eq(ac_toolchain_write_job(&job, "input.c", &r), -EINVAL);
	cr_expect_eq(r.outcome, AC_BUILD_ERROR);
	cr_expect_str_eq(r.message, "refusing file name \"input.c\"");
	ac_result_clear(&r);
}

static bool run_tool(char **argv, struct ac_result *r)
{
	struct ac_tool_run t;
	bool ok = false;

	memset(&t, 0, sizeof t);
	t.dir = root;
	t.argv = argv;
	cr_assert_eq(ac_toolchain_run(&t, r, &ok), 0, "%s", r->log);
	return ok;
}

Test(toolchain, run_logs_command_and_output)
{
	char *argv[] = { "sh", "-c", "echo compiling; echo 'x.c:1: error' >&2; exit 1", NULL };
	char *missing[] = { "no-such-compiler-for-autocompfs", "-c", "x.c", NULL };
	struct ac_tool_run t;
	struct ac_result r;
	bool ok = true;

	memset(&r, 0, sizeof r);
	cr_expect(!run_tool(argv, &r));
	cr_expect_not_null(strstr(r.log, "$ sh -c 'echo compiling;"), "%s", r.log);
	cr_expect_not_null(strstr(r.log, "compiling\nx.c:1: error\n[exit 1]\n"), "%s", r.log);
	memset(&t, 0, sizeof t);
	t.dir = root;
	t.argv = missing;
	cr_expect_eq(ac_toolchain_run(&t, &r, &ok), -ENOENT);
	cr_expect(!ok);
	cr_expect_not_null(strstr(r.log, "no-such-compiler-for-autocompfs: not found"));
	ac_result_clear(&r);
}

Test(toolchain, capture)
{
	char *argv[] = { "sh", "-c", "echo one; echo two", NULL };
	struct ac_tool_run t;
	struct ac_result r;
	char *out;
	size_t len;
	bool ok;

	memset(&t, 0, sizeof t);
	memset(&r, 0, sizeof r);
	t.dir = root;
	t.argv = argv;
	cr_assert_eq(ac_toolchain_capture(&t, &r, &ok, &out, &len), 0);
	cr_expect(ok);
	cr_expect_str_eq(out, "one\ntwo\n");
	cr_expect_eq(len, 8);
	cr_expect_null(strstr(r.log, "one\ntwo"), "captured output is not logged");
	free(out);
	ac_result_clear(&r);
}

Test(toolchain, rename_object)
{
	static const char src[] =
		"int table[4] = { 1, 2, 3, 4 };\n"
		"int counter;\n"
		"static int hidden(int x) { return x + counter; }\n"
		"int helper(int x) { return hidden(x) * 2; }\n"
		"int f(int x) { return helper(x) + table[x & 3]; }\n";
	char *cc[] = { "cc", "-O0", "-c", "k.c", "-o", "k.o", NULL };
	char *nm[] = { "nm", "k.ref.o", NULL };
	struct ac_tool_run t;
	struct ac_result r;
	char *out;
	size_t len;
	bool ok;

	memset(&r, 0, sizeof r);
	cr_assert_eq(ac_toolchain_write_file(root, "k.c", src, strlen(src)), 0);
	cr_assert(run_tool(cc, &r), "%s", r.log);
	cr_assert_eq(ac_symbols_rename_object(root, "k.o", "k.ref.o", NULL, &r, &ok), 0);
	cr_assert(ok, "%s", r.log);
	cr_expect_not_null(strstr(r.log, "renaming 4 global symbols"), "%s", r.log);
	memset(&t, 0, sizeof t);
	t.dir = root;
	t.argv = nm;
	cr_assert_eq(ac_toolchain_capture(&t, &r, &ok, &out, &len), 0);
	cr_expect_not_null(strstr(out, " T ref_f\n"), "%s", out);
	cr_expect_not_null(strstr(out, " T ref_helper\n"), "%s", out);
	cr_expect_not_null(strstr(out, " D ref_table\n"), "%s", out);
	cr_expect_not_null(strstr(out, " B ref_counter\n"), "%s", out);
	cr_expect_not_null(strstr(out, " t hidden\n"), "statics keep their names: %s", out);
	cr_expect_null(strstr(out, " T f\n"), "%s", out);
	free(out);
	ac_result_clear(&r);
}

Test(toolchain, global_names_demangled)
{
	static const char src[] =
		"#include <vector>\n"
		"namespace k { float table[4]; void gemm(int n, const float *a, float *c) { c[0] = a[n]; } }\n"
		"template <typename T> T scale(T x) { return x * 2; }\n"
		"template float scale<float>(float);\n"
		"extern \"C\" void plain(void) {}\n"
		"struct Box { virtual ~Box(); int get() const; };\n"
		"Box::~Box() {}\n"
		"int Box::get() const { return 1; }\n"
		"bool operator<(const Box &, const Box &) { return false; }\n"
		"int counter = 3;\n"
		"int main() { std::vector<int> v(3); return (int)v.size() + counter; }\n";
	char *cxx[] = { "g++", "-O1", "-c", "k.cc", "-o", "k.o", NULL };
	struct ac_result r;
	struct ac_argv names = { 0 };
	bool ok;
	char all[512] = "";

	memset(&r, 0, sizeof r);
	cr_assert_eq(ac_toolchain_write_file(root, "k.cc", src, strlen(src)), 0);
	if (!run_tool(cxx, &r)) {
		ac_result_clear(&r);
		teardown();   /* a skipped test does not get its .fini */
		cr_skip_test("no C++ compiler");
	}
	cr_assert_eq(ac_symbols_global_names(root, "k.o", NULL, &r, &ok, &names), 0);
	cr_assert(ok, "%s", r.log);
	for (size_t i = 0; i < names.n; i++) {
		size_t used = strlen(all);

		snprintf(all + used, sizeof all - used, "%s ", names.v[i]);
	}
	cr_expect_not_null(strstr(all, "gemm "), "%s", all);
	cr_expect_not_null(strstr(all, "table "), "%s", all);
	cr_expect_not_null(strstr(all, "scale "), "%s", all);
	cr_expect_not_null(strstr(all, "plain "), "%s", all);
	cr_expect_not_null(strstr(all, "get "), "%s", all);
	cr_expect_not_null(strstr(all, "counter "), "%s", all);
	cr_expect_null(strstr(all, "main"), "%s", all);
	cr_expect_null(strstr(all, "operator"), "%s", all);
	cr_expect_null(strstr(all, "vtable"), "%s", all);
	cr_expect_null(strstr(all, "Box "), "vtables and typeinfo are left out: %s", all);
	cr_expect_null(strstr(all, "vector"), "%s", all);
	cr_expect_null(strstr(all, "("), "%s", all);
	ac_argv_free(&names);
	ac_argv_free(NULL);
	ac_result_clear(&r);
}

static int copy_c_reference(const struct ac_job *job, const struct ac_ref_spec *spec,
                            struct ac_result *r, bool *ok)
{
	char *cc[] = { "cc", "-c", (char *)spec->src_name, "-o", ".raw.o", NULL };
	struct ac_tool_run t;
	int rc;

	memset(&t, 0, sizeof t);
	t.dir = job->scratch_dir;
	t.argv = cc;
	rc = ac_toolchain_run(&t, r, ok);
	if (rc < 0 || !*ok)
		return rc;
	(*(int *)spec->arg)++;
	return ac_symbols_rename_object(job->scratch_dir, ".raw.o", spec->obj_name, NULL, r, ok);
}

Test(toolchain, reference_without_run_dir_and_cancel)
{
	struct fixture f;
	struct ac_ref_spec spec;
	struct ac_result r;
	atomic_int cancel;
	char lock_path[256];
	int builds = 0;
	int lock;
	bool ok;

	fixture_init(&f, NULL, NULL);
	memset(&spec, 0, sizeof spec);
	spec.src_name = ".ref.c";
	spec.obj_name = ".ref.o";
	spec.build = copy_c_reference;
	spec.arg = &builds;
	memset(&r, 0, sizeof r);

	f.job.run_dir = NULL;   /* no cache: builds each time */
	cr_assert_eq(ac_refcache_reference(&f.job, &spec, &r, &ok), 0);
	cr_expect(ok, "%s", r.log);
	cr_assert_eq(ac_refcache_reference(&f.job, &spec, &r, &ok), 0);
	cr_expect_eq(builds, 2);

	spec.obj_name = "visible.o";   /* must be a toolchain (dot) name */
	cr_expect_eq(ac_refcache_reference(&f.job, &spec, &r, &ok), -EINVAL);
	spec.obj_name = ".ref.o";

	/* Someone else holds the run's lock; the job is cancelled meanwhile. */
	f.job.run_dir = run_dir;
	snprintf(lock_path, sizeof lock_path, "%s/ref.o.lock", run_dir);
	lock = open(lock_path, O_RDWR | O_CREAT, 0644);
	cr_assert_geq(lock, 0);
	cr_assert_eq(flock(lock, LOCK_EX), 0);
	atomic_init(&cancel, 1);
	f.job.cancel = &cancel;
	cr_expect_eq(ac_refcache_reference(&f.job, &spec, &r, &ok), -ECANCELED);
	cr_expect(!ok);
	close(lock);
	atomic_store(&cancel, 0);
	cr_assert_eq(ac_refcache_reference(&f.job, &spec, &r, &ok), 0);
	cr_expect(ok);
	cr_expect_eq(builds, 3);
	ac_result_clear(&r);
}

/* --- autocomp.h: the harness library, compiled and run directly -------- */

#include "targets/judge/report.h"

#include <sys/wait.h>

TestSuite(harness_lib, .init = setup, .fini = teardown, .timeout = 60);

/* Compiles src against autocomp.h (with compiler, e.g. "cc" or "g++ -x
 * c++") into root/h, runs it with the environment prefix env, and returns
 * the wait status; its stdout goes into out. */
static int harness_program(const char *compiler, const char *src, const char *env, char *out,
                           size_t outlen)
{
	char path[256], cmd[2048];
	FILE *p;
	size_t n;

	cr_assert(root[0] == '/');
	snprintf(path, sizeof path, "%s/h.c", root);
	p = fopen(path, "w");
	cr_assert_not_null(p);
	fputs(src, p);
	fclose(p);
	snprintf(cmd, sizeof cmd,
	         "%s -O2 -Wall -Wextra -Werror -I %s %s/h.c -o %s/h -lm >&2 && cd %s && %s ./h",
	         compiler, ac_target_include_dir(), root, root, root, env ? env : "");
	p = popen(cmd, "r");
	cr_assert_not_null(p);
	n = fread(out, 1, outlen - 1, p);
	out[n] = '\0';
	return pclose(p);
}

static const char lib_checks[] =
	"#include <autocomp.h>\n"
	"int main(int argc, char **argv)\n"
	"{\n"
	"	float want[8] = { 1, 2, 3, 1, 5, 6, 7, 8 };\n"
	"	float got[8] = { 1, 2, 3, 1.5f, 5, 6, 7, 8 };\n"
	"	double inf[2] = { 1.0 / 0.0, -1.0 / 0.0 };\n"
	"	volatile int sink = 0;\n"
	"	ac_init(argc, argv);\n"
	"	if (ac_check_close_f64(\"inf\", inf, inf, 2, 0, 0) != 1) return 10;\n"
	"	if (ac_check_close_f32(\"ok\", want, want, 8, 0, 0) != 1) return 11;\n"
	"	if (ac_check_close_f32(\"x\", got, want, 8, 1e-3, 0) != 0) return 12;\n"
	"	got[5] = nanf(\"\");\n"
	"	if (ac_check_close_f32(\"y\", got, want, 8, 1, 1) != 0) return 13;\n"
	"	ac_fail(\"later failures do not replace the first\");\n"
	"	AC_TIME(sink++);\n"
	"	return ac_report();\n"
	"}\n";

Test(harness_lib, check_messages_and_report)
{
	char out[4096];
	struct ac_result r;

	cr_assert_eq(harness_program("cc", lib_checks, NULL, out, sizeof out), 0, "%s", out);
	memset(&r, 0, sizeof r);
	cr_assert_eq(ac_report_parse(out, strlen(out), &r), 0, "%s", out);
	cr_expect_eq(r.outcome, AC_WRONG);
	cr_expect_str_eq(r.message,
	                 "x[3]: got 1.5, want 1 (rtol 0.001, atol 0); 1 of 8 elements differ");
	ac_result_clear(&r);
}

Test(harness_lib, compiles_as_cpp)
{
	char out[4096];

	if (system("command -v g++ >/dev/null 2>&1") != 0) {
		teardown();   /* a skipped test does not get its .fini */
		cr_skip_test("no g++");
	}
	cr_assert_eq(harness_program("g++ -x c++", lib_checks, NULL, out, sizeof out), 0, "%s", out);
	cr_expect_not_null(strstr(out, "\"correct\":false"), "%s", out);
}

Test(harness_lib, timing_and_escaping)
{
	static const char src[] =
		"#include <autocomp.h>\n"
		"int main(int argc, char **argv)\n"
		"{\n"
		"	volatile double x = 1;\n"
		"	ac_init(argc, argv);\n"
		"	AC_TIME(for (int i = 0; i < 1000; i++) x = x * 1.0000001);\n"
		"	if (argc > 1) ac_fail(\"said \\\"%s\\\"\\n\\tand \\\\ left\", argv[1]);\n"
		"	return ac_report();\n"
		"}\n";
	char out[4096];
	struct ac_result r;

	cr_assert_eq(harness_program("cc", src, "AC_MIN_REPS=37 AC_MIN_TIME_S=0", out, sizeof out),
	             0, "%s", out);
	memset(&r, 0, sizeof r);
	cr_assert_eq(ac_report_parse(out, strlen(out), &r), 0, "%s", out);
	cr_expect_eq(r.outcome, AC_OK);
	cr_expect_eq(r.samples, 37, "%s", out);
	cr_expect(r.time_ns > 0 && r.time_ns < 10000000, "%s", out);
	ac_result_clear(&r);

	cr_assert_eq(harness_program("cc", src, "AC_MAX_REPS=5 AC_MIN_TIME_S=10", out, sizeof out),
	             0, "%s", out);
	cr_assert_eq(ac_report_parse(out, strlen(out), &r), 0, "%s", out);
	cr_expect_eq(r.samples, 10, "at least AC_MIN_REPS even when AC_MAX_REPS is lower: %s", out);
	ac_result_clear(&r);

	{
		char cmd[512];
		FILE *p;
		size_t n;

		snprintf(cmd, sizeof cmd, "cd %s && AC_MIN_TIME_S=0 ./h 'q\"uote'", root);
		p = popen(cmd, "r");
		cr_assert_not_null(p);
		n = fread(out, 1, sizeof out - 1, p);
		out[n] = '\0';
		pclose(p);
	}
	cr_assert_eq(ac_report_parse(out, strlen(out), &r), 0, "%s", out);
	cr_expect_eq(r.outcome, AC_WRONG);
	/* The report keeps it intact; the result flattens it to one line. */
	cr_expect_not_null(strstr(out, "said \\\"q\\\"uote\\\"\\n\\u0009and \\\\ left"), "%s", out);
	cr_expect_str_eq(r.message, "said \"q\"uote\"  and \\ left");
	ac_result_clear(&r);
}

Test(harness_lib, seed_memory_and_report_fd)
{
	static const char src[] =
		"#include <autocomp.h>\n"
		"int main(int argc, char **argv)\n"
		"{\n"
		"	float *p;\n"
		"	double *d;\n"
		"	volatile int sink = 0;\n"
		"	ac_init(argc, argv);\n"
		"	p = ac_alloc_f32(1000);\n"
		"	d = ac_alloc_f64(3);\n"
		"	if (((uintptr_t)p & 4095) || ((uintptr_t)d & 4095)) return 20;\n"
		"	for (int i = 0; i < 1000; i++) if (p[i] != 0) return 21;\n"
		"	ac_fill_f32(p, 1000, -2, 3);\n"
		"	for (int i = 0; i < 1000; i++) if (p[i] < -2 || p[i] >= 3) return 22;\n"
		"	if (getenv(\"AC_REPORT_FD\")) return 23;\n"
		"	if (fcntl(5, F_GETFD) >= 0) return 24;\n"
		"	printf(\"rand %llu %g\\n\", (unsigned long long)ac_rand(), p[0]);\n"
		"	fflush(stdout);\n"
		"	ac_protect(p);\n"
		"	ac_free(d);\n"
		"	AC_TIME(sink++);\n"
		"	ac_report();\n"
		"	if (argc > 1) p[1] = 1;   /* protected: dies here */\n"
		"	return 0;\n"
		"}\n";
	char out[4096], again[4096], other[4096], env[512], path[300];
	FILE *f;
	size_t n;
	int st;

	snprintf(path, sizeof path, "%s/report.txt", root);
	snprintf(env, sizeof env, "AC_SEED=42 AC_MIN_TIME_S=0 AC_REPORT_FD=5 5>%s", path);
	cr_assert_eq(harness_program("cc", src, env, out, sizeof out), 0, "%s", out);
	cr_expect_eq(strncmp(out, "rand ", 5), 0, "the report went to the report fd: %s", out);
	cr_expect_null(strstr(out, "correct"), "%s", out);
	f = fopen(path, "r");
	cr_assert_not_null(f);
	n = fread(other, 1, sizeof other - 1, f);
	other[n] = '\0';
	fclose(f);
	cr_expect_eq(strncmp(other, "{\"correct\":true,", 16), 0, "%s", other);

	/* AC_SEED makes the inputs repeatable; without it they are fresh. */
	cr_assert_eq(harness_program("cc", src, "AC_SEED=42 AC_MIN_TIME_S=0", again, sizeof again), 0);
	cr_expect_eq(strncmp(out, again, strcspn(out, "\n")), 0, "%s vs %s", out, again);
	cr_assert_eq(harness_program("cc", src, "AC_MIN_TIME_S=0", other, sizeof other), 0);
	cr_expect_neq(strncmp(out, other, strcspn(out, "\n")), 0, "%s vs %s", out, other);

	{
		char cmd[512];

		snprintf(cmd, sizeof cmd, "cd %s && AC_MIN_TIME_S=0 ./h write >/dev/null 2>&1", root);
		st = system(cmd);
		/* sh reports a signal death as 128 + the signal. */
		cr_expect_eq(WEXITSTATUS(st), 128 + SIGSEGV, "status %d", st);
	}
}

/* Every fill keeps its promise (ranges inclusive for integers, sorted,
 * permutations, matrices symmetric and dominant, never zero), integer
 * checks compare exactly or within a tolerance, a special value is matched
 * only by itself, and AC_TIME puts an ac_inout buffer back before every
 * call. */
static const char lib_fills[] =
	"#include <autocomp.h>\n"
	"#define FAIL(code) return code\n"
	"int main(int argc, char **argv)\n"
	"{\n"
	"	ac_init(argc, argv);\n"
	"	uint8_t *u8 = ac_alloc(4096); int16_t *i16 = ac_alloc(2 * 4096);\n"
	"	uint64_t *u64 = ac_alloc(8 * 64); char *ch = ac_alloc(4096);\n"
	"	int32_t *perm = ac_alloc(4 * 1000), *srt = ac_alloc(4 * 1000);\n"
	"	double *spd = ac_alloc_f64(50 * 50), *dd = ac_alloc_f64(50 * 50);\n"
	"	float *nz = ac_alloc_f32(4096), *fs = ac_alloc_f32(1000), *io = ac_alloc_f32(16);\n"
	"	int seen_lo = 0, seen_hi = 0, count[1000] = {0};\n"
	"	ac_fill_u8(u8, 4096, 250, 255);\n"
	"	for (int i = 0; i < 4096; i++) { if (u8[i] < 250) FAIL(10); seen_lo |= u8[i] == 250; seen_hi |= u8[i] == 255; }\n"
	"	if (!seen_lo || !seen_hi) FAIL(11);\n"
	"	ac_fill_i16(i16, 4096, -3, 3);\n"
	"	for (int i = 0; i < 4096; i++) if (i16[i] < -3 || i16[i] > 3) FAIL(12);\n"
	"	ac_fill_u64(u64, 64, 0, UINT64_MAX);\n"
	"	ac_fill_char(ch, 4096, 'a', 'z');\n"
	"	for (int i = 0; i < 4096; i++) if (ch[i] < 'a' || ch[i] > 'z') FAIL(13);\n"
	"	ac_fill_perm_i32(perm, 1000);\n"
	"	for (int i = 0; i < 1000; i++) { if (perm[i] < 0 || perm[i] >= 1000 || count[perm[i]]++) FAIL(14); }\n"
	"	ac_fill_sorted_i32(srt, 1000, -50, 50);\n"
	"	for (int i = 1; i < 1000; i++) if (srt[i] < srt[i - 1] || srt[i] < -50 || srt[i] > 50) FAIL(15);\n"
	"	ac_fill_sorted_f32(fs, 1000, 1, 2);\n"
	"	for (int i = 1; i < 1000; i++) if (fs[i] < fs[i - 1] || fs[i] < 1 || fs[i] >= 2) FAIL(16);\n"
	"	ac_fill_nonzero_f32(nz, 4096, -1, 1);\n"
	"	for (int i = 0; i < 4096; i++) if (fabsf(nz[i]) < 0.125f || nz[i] < -1 || nz[i] > 1) FAIL(17);\n"
	"	ac_fill_spd_f64(spd, 50, -1, 1);\n"
	"	ac_fill_diag_dominant_f64(dd, 50, -1, 1);\n"
	"	for (int i = 0; i < 50; i++) {\n"
	"		double s = 0, t = 0;\n"
	"		for (int j = 0; j < 50; j++) {\n"
	"			if (spd[i * 50 + j] != spd[j * 50 + i]) FAIL(18);\n"
	"			if (j != i) { s += fabs(spd[i * 50 + j]); t += fabs(dd[i * 50 + j]); }\n"
	"		}\n"
	"		if (spd[i * 50 + i] <= s || dd[i * 50 + i] <= t) FAIL(19);\n"
	"	}\n"
	"	uint8_t a[3] = { 1, 2, 3 }, b[3] = { 1, 2, 4 };\n"
	"	if (ac_check_equal_u8(\"eq\", a, a, 3) != 1 || ac_check_close_u8(\"close\", b, a, 3, 0, 1) != 1) FAIL(20);\n"
	"	double inf[2] = { 1.0 / 0.0, nan(\"\") }, fin[2] = { 1e308, 0 }, nans[2] = { 1.0 / 0.0, nan(\"\") };\n"
	"	if (ac_check_close_f64(\"special\", nans, inf, 2, 0, 0) != 1) FAIL(21);\n"
	"	ac_fill_f32(io, 16, -1, 1);\n"
	"	float first = io[0];\n"
	"	ac_inout(io);\n"
	"	AC_TIME(io[0] += 1.0f);\n"
	"	if (io[0] != first + 1.0f) FAIL(22);\n"
	"	ac_check_equal_u8(\"b\", b, a, 3);\n"
	"	ac_check_close_f64(\"fin\", fin, inf, 2, 1, 1);\n"
	"	return ac_report();\n"
	"}\n";

Test(harness_lib, fills_checks_and_inout)
{
	char out[4096];
	struct ac_result r;
	int rc = harness_program("cc", lib_fills, NULL, out, sizeof out);

	cr_assert_eq(rc, 0, "exit status %d: %s", WEXITSTATUS(rc), out);
	memset(&r, 0, sizeof r);
	cr_assert_eq(ac_report_parse(out, strlen(out), &r), 0, "%s", out);
	cr_expect_eq(r.outcome, AC_WRONG);
	/* the first failure: an integer exact check, in the integers' words */
	cr_expect_str_eq(r.message, "b[2]: got 4, want 3; 1 of 3 elements differ");
	ac_result_clear(&r);
}
