/*
 * measure.c - the tools a generated harness needs run (harness.h:
 * ac_sig_learn, ac_plan_measure): the preprocessor, the probe's compile
 * and nm for the signature, and the measuring program for sizes and
 * access. All of it in the job's scratch directory, in the sandbox, with
 * the compiler and flags the cpu target uses, each command logged into
 * the result as a build step is.
 *
 *     $ cc -O3 -march=native -fopenmp -I.../include -E input.c -o .ac_hg_pre.i
 *     $ cc -O3 -march=native -fopenmp -I.../include -w -c .ac_hg_probe.c -o .ac_hg_probe.o
 *     $ nm -P -S .ac_hg_probe.o
 *     $ cc -O3 -march=native -fopenmp -I.../include .ac_hg_measure.c input.c -o .ac_hg_measure -lm
 *     $ ./.ac_hg_measure        (cpu 1, timeout 60.0 s; OMP_NUM_THREADS as the kernel's cores)
 *
 * The input's code runs here as it does in a baseline: untrusted, in the
 * sandbox, pinned to the core timed runs use (the caller holds the
 * timing slot).
 */
#include "targets/harness/harness.h"

#include <errno.h>
#include <limits.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "targets/exec/fileio.h"
#include "targets/exec/sandbox.h"
#include "targets/targets.h"
#include "targets/exec/argv.h"
#include "targets/toolchain/toolchain.h"

#define INPUT "input.c"
#define DEFAULT_CFLAGS "-O3 -march=native"

/* The compiler and flags, as the cpu target chooses them. */
static const char *cc_of(const struct ac_job *job)
{
	const char *env = getenv("CC");

	if (job->opts && job->opts->cc && *job->opts->cc)
		return job->opts->cc;
	return env && *env ? env : "cc";
}

static const char *cflags_of(const struct ac_job *job)
{
	return job->opts && job->opts->cflags ? job->opts->cflags : DEFAULT_CFLAGS;
}

/* CC CFLAGS -fopenmp -I include, as the cpu target compiles (an OpenMP
 * kernel's pragmas and omp_* calls mean there what they mean here). */
static void compiler(struct ac_argv *a, const struct ac_job *job)
{
	ac_argv_add_split(a, cc_of(job));
	ac_argv_add_split(a, cflags_of(job));
	ac_argv_add(a, "-fopenmp");
	ac_argv_add(a, "-I");
	ac_argv_add(a, ac_target_include_dir());
}

/* dir/name whole (ac_read_file). */
static int read_scratch(const char *dir, const char *name, char **out)
{
	char path[PATH_MAX];

	snprintf(path, sizeof path, "%s/%s", dir, name);
	return ac_read_file(path, out, NULL);
}

static void failed(struct ac_result *r, const char *fmt, const char *detail)
{
	r->outcome = AC_BUILD_ERROR;
	ac_result_set_message(r, fmt, detail);
	ac_result_logf(r, "harness: ");
	ac_result_logf(r, fmt, detail);
	ac_result_logf(r, "\n");
}

int ac_sig_learn(const struct ac_job *job, struct ac_sig *out, struct ac_result *r, bool *ok)
{
	struct ac_argv a = { 0 };
	char *pre = NULL, *probe = NULL, *nm = NULL, why[512];
	size_t nmlen = 0;
	int rc;

	*ok = false;
	memset(out, 0, sizeof *out);
	rc = ac_toolchain_write_job(job, INPUT, r);
	if (rc < 0)
		return rc == -EINVAL ? 0 : rc;

	compiler(&a, job);
	ac_argv_add(&a, "-E");
	ac_argv_add(&a, INPUT);
	ac_argv_add(&a, "-o");
	ac_argv_add(&a, ".ac_hg_pre.i");
	rc = ac_toolchain_step(job, &a, 0, r, ok);
	if (rc < 0 || !*ok) {
		if (rc >= 0)
			failed(r, "%s does not compile", INPUT);
		*ok = false;
		return rc == -ENOENT ? 0 : rc;
	}
	*ok = false;
	rc = read_scratch(job->scratch_dir, ".ac_hg_pre.i", &pre);
	if (rc < 0)
		return rc;
	rc = ac_sig_scan(pre, INPUT, out, why, sizeof why);
	free(pre);
	if (rc == -EINVAL) {
		failed(r, "%s", why);
		return 0;
	}
	if (rc < 0)
		return rc;
	if (out->nfn == 0) {
		failed(r, "%s", INPUT " defines no function for a harness to call");
		ac_sig_free(out);
		return 0;
	}
	probe = ac_sig_probe_source(out, INPUT);
	if (!probe) {
		ac_sig_free(out);
		return -ENOMEM;
	}
	rc = ac_toolchain_write_scratch(job->scratch_dir, ".ac_hg_probe.c", probe, strlen(probe));
	free(probe);
	if (rc < 0) {
		ac_sig_free(out);
		return rc;
	}
	compiler(&a, job);
	ac_argv_add(&a, "-w");
	ac_argv_add(&a, "-c");
	ac_argv_add(&a, ".ac_hg_probe.c");
	ac_argv_add(&a, "-o");
	ac_argv_add(&a, ".ac_hg_probe.o");
	rc = ac_toolchain_step(job, &a, 0, r, ok);
	if (rc < 0 || !*ok) {
		if (rc >= 0)
			failed(r, "%s", "the compiler could not say what the input's parameter types "
			       "are (.ac_hg_probe.c did not compile; see the log)");
		*ok = false;
		ac_sig_free(out);
		return rc == -ENOENT ? 0 : rc;
	}
	ac_argv_add(&a, "nm");
	ac_argv_add(&a, "-P");
	ac_argv_add(&a, "-S");
	ac_argv_add(&a, ".ac_hg_probe.o");
	if (a.oom) {
		ac_argv_free(&a);
		ac_sig_free(out);
		return -ENOMEM;
	}
	{
		struct ac_tool_run t;

		memset(&t, 0, sizeof t);
		t.dir = job->scratch_dir;
		t.argv = a.v;
		t.cancel = job->cancel;
		rc = ac_toolchain_capture(&t, r, ok, &nm, &nmlen);
		ac_argv_free(&a);
	}
	if (rc < 0 || !*ok) {
		if (rc >= 0)
			failed(r, "%s", "nm could not read the probe's object");
		*ok = false;
		free(nm);
		ac_sig_free(out);
		return rc == -ENOENT ? 0 : rc;
	}
	*ok = false;
	rc = ac_sig_apply_nm(out, nm, why, sizeof why);
	free(nm);
	if (rc == -EINVAL) {
		failed(r, "%s", why);
		ac_sig_free(out);
		return 0;
	}
	if (rc < 0) {
		ac_sig_free(out);
		return rc;
	}
	*ok = true;
	return 0;
}

/* The highest CPU this process may run on: where timed runs go. */
static int last_cpu(void)
{
	cpu_set_t set;

	if (sched_getaffinity(0, sizeof set, &set) != 0)
		return -1;
	for (int c = CPU_SETSIZE - 1; c >= 0; c--)
		if (CPU_ISSET(c, &set))
			return c;
	return -1;
}

int ac_plan_measure(const struct ac_job *job, struct ac_plan *p, struct ac_result *r, bool *ok)
{
	struct ac_argv a = { 0 };
	struct ac_sandbox_opts so;
	struct ac_proc_result pr;
	char *src, how[96], why[256];
	char *argv[] = { "./.ac_hg_measure", NULL };
	char threads[64];
	char *env[] = { "AC_SEED=1", threads, NULL };
	int cores = job->opts && job->opts->cores > 1 ? job->opts->cores : 1;
	int rc;

	*ok = false;
	rc = ac_toolchain_write_job(job, INPUT, r);
	if (rc < 0)
		return rc == -EINVAL ? 0 : rc;
	src = ac_plan_measure_source(p);
	if (!src)
		return -ENOMEM;
	rc = ac_toolchain_write_scratch(job->scratch_dir, ".ac_hg_measure.c", src, strlen(src));
	free(src);
	if (rc < 0)
		return rc;
	compiler(&a, job);
	ac_argv_add(&a, ".ac_hg_measure.c");
	ac_argv_add(&a, INPUT);
	ac_argv_add(&a, "-o");
	ac_argv_add(&a, ".ac_hg_measure");
	ac_argv_add(&a, "-lm");
	rc = ac_toolchain_step(job, &a, 0, r, ok);
	if (rc < 0 || !*ok) {
		if (rc >= 0)
			failed(r, "%s", "the program that measures the call does not build "
			       "(.ac_hg_measure.c; see the log)");
		*ok = false;
		return rc == -ENOENT ? 0 : rc;
	}
	*ok = false;
	memset(&so, 0, sizeof so);
	so.dir = job->scratch_dir;
	so.argv = argv;
	so.env = env;
	so.timeout_s = job->opts && job->opts->timeout_s > 0 ? job->opts->timeout_s : 60;
	so.cpu = job->opts && job->opts->cpu >= 0 ? job->opts->cpu : last_cpu();
	so.ncpus = cores;
	/* as many OpenMP threads as a timed run of the kernel gets */
	snprintf(threads, sizeof threads, "OMP_NUM_THREADS=%d", cores);
	so.isolate_net = true;
	so.nproc = 64;
	so.cancel = job->cancel;
	ac_result_logf(r, "$ ./.ac_hg_measure        (cpu %d, timeout %.1f s)\n", so.cpu,
	               so.timeout_s);
	rc = ac_sandbox_run(&so, &pr);
	if (rc < 0) {
		r->outcome = AC_RUN_ERROR;
		ac_result_set_message(r, "cannot run the measuring program: %s", strerror(-rc));
		return rc;
	}
	if (pr.output_len)
		ac_result_logf(r, "%s%s", pr.output, pr.output[pr.output_len - 1] == '\n' ? "" : "\n");
	ac_proc_describe(&pr, so.timeout_s, how, sizeof how);
	ac_result_logf(r, "[%s, %.2f s]\n", how, pr.wall_s);
	if (pr.cancelled) {
		ac_proc_result_clear(&pr);
		return -ECANCELED;
	}
	if (pr.signal || pr.exit_code != 0 || pr.timed_out) {
		r->outcome = pr.timed_out ? AC_TIMEOUT : AC_RUN_ERROR;
		ac_result_set_message(r, "the input's call failed while the engine measured it (%s): "
		                      "check the description's lengths and ranges", how);
		ac_proc_result_clear(&pr);
		return 0;
	}
	rc = ac_plan_measure_read(p, pr.output, why, sizeof why);
	ac_proc_result_clear(&pr);
	if (rc == -EINVAL) {
		r->outcome = AC_RUN_ERROR;
		ac_result_set_message(r, "%s", why);
		return 0;
	}
	*ok = rc == 0;
	return rc;
}
