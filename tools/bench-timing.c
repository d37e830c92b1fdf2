/*
 * bench-timing.c - how repeatable is the cpu target's timing? Builds one
 * kernel (unchanged: the candidate is the input itself) once through the
 * cpu target, runs it N times in a row, and prints each run's median,
 * sample count and spread, then the max/min ratio of the N medians. On an
 * idle machine the goal is a ratio under 1.05.
 *
 *     $ build/bench-timing                       # tests/kernels/gemm, 10 runs
 *     $ build/bench-timing tests/kernels/softmax 5
 *
 * Every regular file of KERNEL_DIR other than input.c (harness.c, headers)
 * goes into the build, as it would from the mount. Nothing is written
 * outside a temporary directory, which is removed at the end.
 */
#include "ac_config.h"
#include "targets/exec/fileio.h"
#include "targets/targets.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAX_FILES 64

struct kernel {
	char *input;
	size_t input_len;
	struct ac_file files[MAX_FILES];
	size_t nfiles;
};

static int load_kernel(const char *dir, struct kernel *k)
{
	char path[4096];
	struct dirent *e;
	DIR *d;
	int rc;

	memset(k, 0, sizeof *k);
	snprintf(path, sizeof path, "%s/input.c", dir);
	rc = ac_read_file(path, &k->input, &k->input_len);
	if (rc < 0) {
		fprintf(stderr, "bench-timing: %s: %s\n", path, strerror(-rc));
		return rc;
	}
	d = opendir(dir);
	if (!d)
		return -errno;
	while ((e = readdir(d)) && k->nfiles < MAX_FILES) {
		struct ac_file *f = &k->files[k->nfiles];
		struct stat st;
		char *data;
		size_t len;

		if (e->d_name[0] == '.' || strcmp(e->d_name, "input.c") == 0)
			continue;
		snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
		if (stat(path, &st) != 0 || !S_ISREG(st.st_mode))
			continue;
		rc = ac_read_file(path, &data, &len);
		if (rc < 0)
			continue;
		f->name = strdup(e->d_name);
		f->data = data;
		f->size = len;
		k->nfiles++;
	}
	closedir(d);
	return 0;
}

static void free_kernel(struct kernel *k)
{
	free(k->input);
	for (size_t i = 0; i < k->nfiles; i++) {
		free((char *)k->files[i].name);
		free((void *)k->files[i].data);
	}
	memset(k, 0, sizeof *k);
}

int main(int argc, char **argv)
{
	const char *dir = argc > 1 ? argv[1] : AC_SOURCE_DIR "/tests/kernels/gemm";
	int n = argc > 2 ? atoi(argv[2]) : 10;
	char tmp[] = "/tmp/bench-timing-XXXXXX";
	char scratch[64], run_dir[64], version[256];
	struct ac_target_opts opts;
	struct kernel k;
	struct ac_job job;
	struct ac_result r;
	double lo = 0, hi = 0;
	int status = 0;

	if (argc > 3 || n < 1 || (argc > 1 && strcmp(argv[1], "--help") == 0)) {
		fprintf(stderr, "usage: bench-timing [KERNEL_DIR] [N]\n"
		                "  builds KERNEL_DIR (default: tests/kernels/gemm) once with the cpu\n"
		                "  target and times it N times (default 10)\n");
		return 2;
	}
	if (load_kernel(dir, &k) < 0)
		return 1;
	if (!mkdtemp(tmp)) {
		perror("bench-timing: mkdtemp");
		free_kernel(&k);
		return 1;
	}
	/* Searchable, so that a root run can drop to the sandbox user. */
	chmod(tmp, 0711);
	snprintf(scratch, sizeof scratch, "%s/candidate", tmp);
	snprintf(run_dir, sizeof run_dir, "%s/run", tmp);
	mkdir(scratch, 0700);
	mkdir(run_dir, 0700);

	memset(&opts, 0, sizeof opts);
	opts.cpu = -1;
	memset(&job, 0, sizeof job);
	job.scratch_dir = scratch;
	job.run_dir = run_dir;
	job.candidate = k.input;
	job.candidate_size = k.input_len;
	job.reference = k.input;
	job.reference_size = k.input_len;
	job.files = k.files;
	job.nfiles = k.nfiles;
	job.opts = &opts;

	if (ac_target_cpu.probe(version, sizeof version) != 0) {
		fprintf(stderr, "bench-timing: cpu target unavailable: %s\n", version);
		status = 1;
		goto out;
	}
	printf("kernel %s, cpu target (%s)\n", dir, version);
	memset(&r, 0, sizeof r);
	if (ac_target_cpu.build(&job, &r) != 0 || r.outcome != AC_OK) {
		fprintf(stderr, "bench-timing: build failed: %s\n%s", r.message ? r.message : "",
		        r.log ? r.log : "");
		ac_result_clear(&r);
		status = 1;
		goto out;
	}
	ac_result_clear(&r);

	printf("%4s %12s %8s %8s\n", "run", "median_ms", "samples", "spread");
	for (int i = 0; i < n; i++) {
		double ms;

		memset(&r, 0, sizeof r);
		if (ac_target_cpu.run(&job, &r) != 0 || r.outcome != AC_OK) {
			fprintf(stderr, "bench-timing: run %d: %s: %s\n%s", i + 1,
			        ac_outcome_name(r.outcome), r.message ? r.message : "",
			        r.log ? r.log : "");
			ac_result_clear(&r);
			status = 1;
			goto out;
		}
		ms = (double)r.time_ns / 1e6;
		printf("%4d %12.3f %8d %8.4f\n", i + 1, ms, r.samples, r.spread);
		fflush(stdout);
		if (i == 0 || ms < lo)
			lo = ms;
		if (i == 0 || ms > hi)
			hi = ms;
		ac_result_clear(&r);
	}
	printf("medians: min %.3f ms, max %.3f ms, max/min %.4f (goal < 1.05: %s)\n", lo, hi,
	       hi / lo, hi / lo < 1.05 ? "met" : "missed");
out:
	ac_remove_tree(tmp);
	free_kernel(&k);
	return status;
}
