/*
 * e2e_foreign.c - kernels as their authors write them, through a real
 * mount: tests/kernels/foreign/ holds kernels in the shapes of public
 * suites and real code (PolyBench/C-style variable-length 2-D and 3-D
 * array parameters with DATA_TYPE and in-place updates, a triangular solve
 * and a Cholesky factorization that need well-conditioned inputs, a
 * TSVC-style loop, an image filter on uint8_t with size_t sizes, a
 * parameter struct holding pointers, a table of row pointers, OpenMP, an
 * int64_t return, three functions and a static const table, fixed-size
 * arrays, enums and bool, char buffers), each with the harness its author
 * would write.
 *
 *  - every one copied in (`cp -r`) reaches a baseline the judge found
 *    correct and timed, with its inputs rotated;
 *  - a short search against build/mock-llm playing tests/mock/foreign
 *    (faster versions of pb-gemm, img-box3 and rows-table) crowns the
 *    faster candidate of each.
 */
#include <criterion/criterion.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/support.h"

static struct mnt m;
static pid_t mock;

static void teardown(void)
{
	mnt_cleanup(&m);
	if (mock > 0)
		mock_stop(mock);
}

TestSuite(foreign, .fini = teardown, .timeout = 900);

/* The kernels in tests/kernels/foreign, sorted. */
static int kernels(char names[][64], int cap)
{
	char path[600];
	struct dirent **v;
	int n, k = 0;

	snprintf(path, sizeof path, "%s/tests/kernels/foreign", src_dir());
	n = scandir(path, &v, NULL, alphasort);
	cr_assert_gt(n, 0, "%s", path);
	for (int i = 0; i < n; i++) {
		if (v[i]->d_name[0] != '.' && k < cap)
			snprintf(names[k++], 64, "%.63s", v[i]->d_name);
		free(v[i]);
	}
	free(v);
	return k;
}

Test(foreign, every_shape_reaches_a_judged_baseline)
{
	char names[40][64];
	int n = kernels(names, 40);

	cr_assert_geq(n, 15, "the corpus has %d kernels", n);
	mnt_init(&m);
	mnt_start(&m, NULL, NULL);
	for (int i = 0; i < n; i++)
		cr_assert_eq(sh("cp -r %s/tests/kernels/foreign/%s %s/kernels/", src_dir(), names[i],
		                m.dir), 0, "%s", names[i]);
	for (int i = 0; i < n; i++) {
		char *st = wait_final(&m, names[i], 600);
		char *log = slurpf("%s/kernels/%s/candidates/0.log", m.dir, names[i]);
		char *metrics = slurpf("%s/kernels/%s/metrics.json", m.dir, names[i]);

		cr_assert(st, "%s did not end", names[i]);
		cr_expect(!strncmp(st, "done: baseline", 14), "%s: %s\n%s", names[i], st,
		          log ? log : "");
		cr_expect(metrics && strstr(metrics, "\"outcome\":\t\"ok\""), "%s: %s", names[i],
		          metrics ? metrics : "");
		cr_expect(log && strstr(log, "\"correct\":true") && strstr(log, "\"rotation\":\"on\""),
		          "%s: not judged correct with rotated inputs:\n%s", names[i], log ? log : "");
		cr_expect(log && strstr(log, "timed repetitions checked"), "%s:\n%s", names[i],
		          log ? log : "");
		free(st);
		free(log);
		free(metrics);
	}
	cr_assert_eq(mnt_stop(&m), 0);
}

Test(foreign, a_search_crowns_the_faster_version)
{
	static const char *const three[] = { "pb-gemm", "img-box3", "rows-table" };
	char opt[300];
	int port;

	mnt_init(&m);
	port = mock_start("tests/mock/foreign", 0, NULL, &mock);
	snprintf(opt, sizeof opt, "models=openai@http://127.0.0.1:%d/v1::mock", port);
	const char *args[] = { "-o", opt, NULL };
	mnt_start(&m, args, NULL);
	for (int i = 0; i < 3; i++)
		cr_assert_eq(sh("mkdir %s/kernels/%s && printf '%%s' '{\"iterations\": 1, \"beam\": 1, "
		                "\"plans\": 1, \"implementations\": 1, \"tune\": false}' > "
		                "%s/kernels/%s/config.json && cp %s/tests/kernels/foreign/%s/* "
		                "%s/kernels/%s/", m.dir, three[i], m.dir, three[i], src_dir(), three[i],
		                m.dir, three[i]), 0);
	for (int i = 0; i < 3; i++) {
		char *st = wait_final(&m, three[i], 600);
		char *log = slurpf("%s/kernels/%s/log", m.dir, three[i]);

		cr_assert(st, "%s did not end", three[i]);
		cr_expect(!strncmp(st, "done", 4) && strstr(st, "best ") && !strstr(st, "no significant"),
		          "%s: %s\n%s", three[i], st, log ? log : "");
		cr_expect_eq(sh("cmp -s %s/kernels/%s/best.c %s/kernels/%s/input.c", m.dir, three[i],
		                m.dir, three[i]), 1, "%s: best.c is still the input", three[i]);
		free(st);
		free(log);
	}
	cr_assert_eq(mnt_stop(&m), 0);
}

/* An OpenMP kernel with "cores": 2 is timed with its threads on two cores
 * of their own, and says so; one asking for a larger team (num_threads)
 * than its cores still runs; with "cores" above the machine's CPUs the
 * run fails in words before anything is built. */
Test(foreign, openmp_on_the_cores_it_is_given)
{
	mnt_init(&m);
	mnt_start(&m, NULL, NULL);
	cr_assert_eq(sh("mkdir %s/kernels/omp && printf '{\"cores\": 2}' > %s/kernels/omp/config.json "
	                "&& cp %s/tests/kernels/foreign/omp-matvec/* %s/kernels/omp/", m.dir, m.dir,
	                src_dir(), m.dir), 0);
	cr_assert_eq(sh("mkdir %s/kernels/many && printf '{\"cores\": 1000}' > "
	                "%s/kernels/many/config.json && cp %s/tests/kernels/foreign/omp-matvec/* "
	                "%s/kernels/many/", m.dir, m.dir, src_dir(), m.dir), 0);
	cr_assert_eq(sh("mkdir %s/kernels/team && printf '{\"cores\": 2}' > %s/kernels/team/config.json "
	                "&& sed 's/omp parallel for/omp parallel for num_threads(4)/' "
	                "%s/tests/kernels/foreign/omp-matvec/input.c > %s/kernels/team/input.c "
	                "&& cp %s/tests/kernels/foreign/omp-matvec/harness.c "
	                "%s/tests/kernels/foreign/omp-matvec/call.json %s/kernels/team/", m.dir, m.dir,
	                src_dir(), m.dir, src_dir(), src_dir(), m.dir), 0);
	char *st = wait_final(&m, "omp", 600);
	char *log = slurpf("%s/kernels/omp/candidates/0.log", m.dir);
	char *metrics = slurpf("%s/kernels/omp/metrics.json", m.dir);

	cr_assert(st, "the omp kernel did not end");
	cr_expect(!strncmp(st, "done: baseline", 14), "%s\n%s", st, log ? log : "");
	cr_expect(log && strstr(log, "(cpus ") && strstr(log, "timed on 2 cores"), "%s",
	          log ? log : "");
	cr_expect(metrics && strstr(metrics, "\"cores\":\t2"), "%s", metrics ? metrics : "");
	free(st);
	free(log);
	free(metrics);
	st = wait_final(&m, "team", 600);
	log = slurpf("%s/kernels/team/candidates/0.log", m.dir);
	cr_expect(st && !strncmp(st, "done: baseline", 14), "%s\n%s", st ? st : "(none)",
	          log ? log : "");
	free(st);
	free(log);
	st = wait_final(&m, "many", 60);
	cr_expect(st && strstr(st, "failed: cores is 1000"), "%s", st ? st : "(none)");
	free(st);
	cr_assert_eq(mnt_stop(&m), 0);
}
