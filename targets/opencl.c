/*
 * opencl.c - the opencl target: OpenCL C kernels (input.cl) run by a host
 * harness (harness.c, using autocomp_opencl.h) on whatever OpenCL device
 * the machine has - a GPU first, else PoCL's CPU device.
 *
 * The kernel is not compiled by this program: OpenCL compiles kernels at
 * run time, inside the harness. build therefore
 *
 *     writes input.cl (the candidate), .ac_reference.cl (the run's original
 *       input) and the kernel's files into the scratch directory;
 *     $ cc -O2 -I.../targets/include harness.c -o candidate -lOpenCL -lm
 *     $ AC_CL_BUILD_ONLY=1 ./candidate      (see autocomp_opencl.h)
 *
 * where the last step builds both kernel sources with the device's
 * compiler and exits: a candidate whose kernel does not compile is a build
 * error with the OpenCL build log in its log, and the device compiler's
 * cache (PoCL keeps it under $HOME/.cache/pocl, and HOME is the scratch
 * directory in the sandbox) is warm for the timed run. The reference needs
 * no renaming: the harness builds it into a cl_program of its own, so its
 * kernels keep their names and the candidate cannot reach them.
 *
 * run executes ./candidate with the report pipe, with AC_KERNEL_SOURCE and
 * AC_REFERENCE_SOURCE naming the two sources and AC_CL_BUILD_OPTIONS
 * holding opts->cflags (options for clBuildProgram, e.g.
 * "-cl-fast-relaxed-math"; none by default). The harness times with
 * OpenCL profiling events. Like the cuda target, no address-space limit
 * (GPU drivers reserve large virtual ranges). CUDA_VISIBLE_DEVICES,
 * AC_CL_DEVICE and POCL_* variables pass through from the daemon's
 * environment. opts->cpu pins the host side (and so PoCL's worker threads)
 * to one core when >= 0; by default nothing is pinned and PoCL uses every
 * core it may.
 *
 * Timing on PoCL, measured on this project's 2-core machine: building a
 * kernel takes ~0.8 s the first time in a scratch directory (once per
 * kernel source at build time, then cached), and the first launch with a
 * new work-group size ~0.15 s more (inside the harness's warm-up).
 *
 * probe compiles and runs a tiny program (~0.3 s, cached for a minute):
 * "OpenCL 3.0, PoCL 3.1+debian, pthread-skylake-avx512-AMD EPYC, 2 compute
 * units", or -ENODEV with "no OpenCL platform found" / "no OpenCL device
 * found", or -ENOENT when the OpenCL headers or libOpenCL are missing, with
 * the compiler's own words: "cannot build an OpenCL program (CL/cl.h,
 * -lOpenCL): probe.c:1:10: fatal error: CL/cl.h: No such file or directory".
 *
 * Every file it writes for the sandbox user goes through ac_write_file,
 * which sets the mode whatever the daemon's umask (077): a file left 0600
 * and root's is one the harness cannot read.
 */
#include "targets/exec/argv.h"
#include "targets/exec/fileio.h"
#include "targets/toolchain/harness_run.h"
#include "targets/exec/sandbox.h"
#include "targets/targets.h"
#include "targets/toolchain/toolchain.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define HOST_CFLAGS "-O2"
#define CHECK_TIMEOUT_S 120.0
#define PROBE_TIMEOUT_S 30.0
#define PROBE_TTL_S 60.0
#define REF_NAME ".ac_reference.cl"

/* Exit codes of AC_CL_BUILD_ONLY (autocomp_opencl.h). */
#define EXIT_CANDIDATE 10
#define EXIT_REFERENCE 11
#define EXIT_SETUP 12

/* The probe program: picks the device the way every harness does. Exit 2:
 * no platform, 3: no device. */
static const char probe_src[] =
	"#include <autocomp_opencl.h>\n"
	"int main(void)\n"
	"{\n"
	"	struct ac_cl cl;\n"
	"	cl_uint nplat = 0, cu = 0;\n"
	"	char version[256] = \"\", name[256] = \"\";\n"
	"	const char *v = version;\n"
	"	memset(&cl, 0, sizeof cl);\n"
	"	if (clGetPlatformIDs(0, NULL, &nplat) != CL_SUCCESS || nplat == 0)\n"
	"		return 2;\n"
	"	if (ac__cl_pick(&cl) != 0)\n"
	"		return 3;\n"
	"	clGetPlatformInfo(cl.platform, CL_PLATFORM_VERSION, sizeof version, version, NULL);\n"
	"	clGetDeviceInfo(cl.device, CL_DEVICE_NAME, sizeof name, name, NULL);\n"
	"	clGetDeviceInfo(cl.device, CL_DEVICE_MAX_COMPUTE_UNITS, sizeof cu, &cu, NULL);\n"
	"	/* \"OpenCL 3.0 PoCL 3.1+debian  Linux, ...\": the API version, then the\n"
	"	   implementation up to a double space or a comma */\n"
	"	if (strncmp(v, \"OpenCL \", 7) == 0) {\n"
	"		size_t n = strcspn(v + 7, \" \");\n"
	"		const char *impl = v + 7 + n;\n"
	"		size_t m;\n"
	"		while (*impl == ' ')\n"
	"			impl++;\n"
	"		m = strcspn(impl, \",\");\n"
	"		if (strstr(impl, \"  \") && (size_t)(strstr(impl, \"  \") - impl) < m)\n"
	"			m = (size_t)(strstr(impl, \"  \") - impl);\n"
	"		if (m > 0)\n"
	"			printf(\"OpenCL %.*s, %.*s, %s, %u compute units\\n\", (int)n, v + 7,\n"
	"			       (int)m, impl, name, cu);\n"
	"		else\n"
	"			printf(\"OpenCL %.*s, %s, %u compute units\\n\", (int)n, v + 7, name, cu);\n"
	"	} else {\n"
	"		printf(\"%s, %s, %u compute units\\n\", version, name, cu);\n"
	"	}\n"
	"	return 0;\n"
	"}\n";

static pthread_mutex_t probe_lock = PTHREAD_MUTEX_INITIALIZER;
static struct {
	bool valid;
	double when;
	int rc;
	char line[256];
} probe_cache;

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Runs argv in dir (sandboxed, as the sandbox user) and fills *pr. */
static int run_in(const char *dir, char *const *argv, double timeout_s,
                  struct ac_proc_result *pr)
{
	struct ac_sandbox_opts so;

	memset(&so, 0, sizeof so);
	so.dir = dir;
	so.argv = argv;
	so.timeout_s = timeout_s;
	so.cpu = -1;
	so.isolate_net = true;
	so.mem_bytes = (size_t)RLIM_INFINITY;
	return ac_sandbox_run(&so, pr);
}

/* What the compiler said that matters: its first line with "error" in it
 * (else its first line, else how it ended), trimmed, into buf. */
static const char *compiler_words(const struct ac_proc_result *pr, char *buf, size_t len)
{
	const char *out = pr->output ? pr->output : "";
	const char *line = out;
	size_t n;

	for (const char *p = out; *p;) {
		size_t m = strcspn(p, "\n");

		if (memmem(p, m, "error", 5)) {
			line = p;
			break;
		}
		p += m;
		if (*p == '\n')
			p++;
	}
	while (*line == ' ' || *line == '\t')
		line++;
	n = strcspn(line, "\n");
	if (n == 0)
		return ac_proc_describe(pr, PROBE_TIMEOUT_S, buf, len);
	snprintf(buf, len, "%.*s", (int)n, line);
	return buf;
}

/* The uncached probe: compile the probe program in a temporary directory
 * and run it. */
static int probe_now(char *buf, size_t len)
{
	const char *tmp = getenv("TMPDIR");
	char dir[PATH_MAX], path[PATH_MAX + 16];
	struct ac_argv cc = { 0 };
	char *run_argv[] = { "./probe", NULL };
	struct ac_proc_result pr;
	int rc;

	if ((size_t)snprintf(dir, sizeof dir, "%s/autocompfs-clprobe-XXXXXX",
	                     tmp && *tmp ? tmp : "/tmp") >= sizeof dir || !mkdtemp(dir)) {
		snprintf(buf, len, "cannot make a temporary directory");
		return -EIO;
	}
	snprintf(path, sizeof path, "%s/probe.c", dir);
	rc = ac_write_file(AT_FDCWD, path, probe_src, sizeof probe_src - 1, 0644);
	if (rc < 0) {
		snprintf(buf, len, "cannot write the probe: %s", strerror(-rc));
		goto out;
	}
	ac_argv_add_split(&cc, ac_toolchain_cc(NULL));
	ac_toolchain_add_include(&cc);
	ac_argv_add(&cc, "probe.c");
	ac_argv_add(&cc, "-o");
	ac_argv_add(&cc, "probe");
	ac_argv_add(&cc, "-lOpenCL");
	if (cc.oom) {
		rc = -ENOMEM;
		snprintf(buf, len, "out of memory");
		goto out;
	}
	rc = run_in(dir, cc.v, PROBE_TIMEOUT_S, &pr);
	if (rc < 0) {
		snprintf(buf, len, "no C compiler (%s) to build OpenCL harnesses", cc.v[0]);
		rc = -ENOENT;
		goto out;
	}
	if (pr.signal || pr.exit_code != 0) {
		char words[160];

		snprintf(buf, len, "cannot build an OpenCL program (CL/cl.h, -lOpenCL): %s",
		         compiler_words(&pr, words, sizeof words));
		ac_proc_result_clear(&pr);
		rc = -ENOENT;
		goto out;
	}
	ac_proc_result_clear(&pr);
	rc = run_in(dir, run_argv, PROBE_TIMEOUT_S, &pr);
	if (rc < 0) {
		snprintf(buf, len, "cannot run the OpenCL probe: %s", strerror(-rc));
		goto out;
	}
	if (!pr.signal && pr.exit_code == 0 && pr.output_len > 0) {
		snprintf(buf, len, "%.*s", (int)strcspn(pr.output, "\n"), pr.output);
		rc = 0;
	} else if (!pr.signal && pr.exit_code == 2) {
		snprintf(buf, len, "no OpenCL platform found");
		rc = -ENODEV;
	} else if (!pr.signal && pr.exit_code == 3) {
		snprintf(buf, len, "no OpenCL device found");
		rc = -ENODEV;
	} else {
		char how[96];

		snprintf(buf, len, "the OpenCL probe failed (%s)",
		         ac_proc_describe(&pr, PROBE_TIMEOUT_S, how, sizeof how));
		rc = -ENODEV;
	}
	ac_proc_result_clear(&pr);
out:
	ac_argv_free(&cc);
	ac_remove_tree(dir);
	return rc;
}

static int opencl_probe(char *buf, size_t len)
{
	int rc;

	pthread_mutex_lock(&probe_lock);
	if (!probe_cache.valid || now_s() - probe_cache.when > PROBE_TTL_S) {
		probe_cache.rc = probe_now(probe_cache.line, sizeof probe_cache.line);
		probe_cache.when = now_s();
		probe_cache.valid = true;
	}
	snprintf(buf, len, "%s", probe_cache.line);
	rc = probe_cache.rc;
	pthread_mutex_unlock(&probe_lock);
	return rc;
}

/* The environment of the harness: the two sources, the build options, and
 * the device-selection variables of the daemon's environment. Fills a
 * NULL-terminated list in a (free with ac_argv_free). */
static void harness_env(const struct ac_job *job, bool build_only, struct ac_argv *a)
{
	static const char *const keep[] = { "CUDA_VISIBLE_DEVICES=", "AC_CL_DEVICE=", "POCL_" };

	ac_argv_add(a, "AC_KERNEL_SOURCE=input.cl");
	ac_argv_add(a, "AC_REFERENCE_SOURCE=" REF_NAME);
	if (job->opts && job->opts->cflags && *job->opts->cflags)
		ac_argv_addf(a, "AC_CL_BUILD_OPTIONS=%s", job->opts->cflags);
	if (build_only)
		ac_argv_add(a, "AC_CL_BUILD_ONLY=1");
	for (char **e = environ; e && *e; e++)
		for (size_t i = 0; i < sizeof keep / sizeof keep[0]; i++)
			if (strncmp(*e, keep[i], strlen(keep[i])) == 0 && strchr(*e, '='))
				ac_argv_add(a, *e);
}

/* The sandbox options of a run of the harness (ac_harness_opts) with its
 * environment (harness_env, in env: free it with ac_argv_free) and no
 * address-space limit. Returns 0, or -ENOMEM with env freed. */
static int harness_opts(const struct ac_job *job, bool build_only, struct ac_argv *env,
                        struct ac_sandbox_opts *so)
{
	harness_env(job, build_only, env);
	if (env->oom) {
		ac_argv_free(env);
		return -ENOMEM;
	}
	ac_harness_opts(job, so);
	so->env = env->v;
	so->mem_bytes = (size_t)RLIM_INFINITY;
	return 0;
}

/* Runs the harness with AC_CL_BUILD_ONLY: both kernel sources through the
 * device compiler. Returns 0 and sets r on a verdict, -errno otherwise. */
static int check_kernels(const struct ac_job *job, struct ac_result *r, bool *ok)
{
	struct ac_argv env = { 0 };
	struct ac_sandbox_opts so;
	struct ac_proc_result pr;
	char how[96];
	int rc;

	*ok = false;
	rc = harness_opts(job, true, &env, &so);
	if (rc < 0)
		return rc;
	/* untimed: no report, not pinned */
	so.timeout_s = CHECK_TIMEOUT_S;
	so.report = false;
	so.cpu = -1;
	ac_result_logf(r, "$ AC_CL_BUILD_ONLY=1 ./candidate\n");
	rc = ac_sandbox_run(&so, &pr);
	ac_argv_free(&env);
	if (rc < 0) {
		ac_result_logf(r, "cannot run the harness: %s\n", strerror(-rc));
		return ac_build_error(r, rc, "cannot run the harness");
	}
	if (pr.output_len > 0)
		ac_result_logf(r, "%s%s", pr.output,
		               pr.output[pr.output_len - 1] == '\n' ? "" : "\n");
	ac_proc_describe(&pr, so.timeout_s, how, sizeof how);
	ac_result_logf(r, "[%s, %.2f s]\n", how, pr.wall_s);
	if (pr.cancelled)
		rc = -ECANCELED;
	else if (pr.timed_out)
		ac_build_error(r, 0, "kernel compilation timed out");
	else if (pr.signal)
		ac_build_error(r, 0, "the OpenCL compiler crashed");
	else if (pr.exit_code == EXIT_CANDIDATE)
		ac_build_error(r, 0, "candidate does not compile");
	else if (pr.exit_code == EXIT_REFERENCE)
		ac_build_error(r, 0, "input does not compile");
	else if (pr.exit_code == EXIT_SETUP)
		ac_build_error(r, 0, "no OpenCL device found");
	else if (pr.exit_code != 0)
		ac_build_error(r, 0, "harness failed while building the kernels");
	else
		*ok = true;
	ac_proc_result_clear(&pr);
	return rc == -ECANCELED ? ac_build_error(r, rc, "cancelled") : 0;
}

static int opencl_build(const struct ac_job *job, struct ac_result *r)
{
	char path[PATH_MAX];
	struct ac_argv a = { 0 };
	struct ac_tool_run t;
	bool ok;
	int rc;

	rc = ac_toolchain_begin(job, &ac_target_opencl, r, &ok);
	if (rc < 0 || !ok)
		return rc;
	if ((size_t)snprintf(path, sizeof path, "%s/%s", job->scratch_dir, REF_NAME) >=
	    sizeof path)
		return ac_build_error(r, -ENAMETOOLONG, "cannot write the sources");
	rc = ac_write_file(AT_FDCWD, path, job->reference, job->reference_size, 0644);
	if (rc < 0)
		return ac_build_error(r, rc, "cannot write the reference");

	ac_argv_add_split(&a, ac_toolchain_cc(job->opts));
	ac_argv_add_split(&a, HOST_CFLAGS);
	ac_toolchain_add_include(&a);
	ac_argv_add(&a, "harness.c");
	ac_argv_add(&a, "-o");
	ac_argv_add(&a, "candidate");
	ac_argv_add(&a, "-lOpenCL");
	ac_argv_add(&a, "-lm");
	if (a.oom) {
		ac_argv_free(&a);
		return ac_build_error(r, -ENOMEM, "out of memory");
	}
	memset(&t, 0, sizeof t);
	t.dir = job->scratch_dir;
	t.argv = a.v;
	t.cancel = job->cancel;
	rc = ac_toolchain_run(&t, r, &ok);
	ac_argv_free(&a);
	if (rc < 0 || !ok)
		return ac_build_error(r, rc == -ENOENT ? 0 : rc,
		              rc == -ENOENT ? "C compiler not found" : "harness does not compile");

	rc = check_kernels(job, r, &ok);
	if (rc < 0 || !ok)
		return rc;
	return ac_build_ok(r);
}

static int opencl_run(const struct ac_job *job, struct ac_result *r)
{
	/* the host program reads both kernel sources at run time */
	static const char *const ship[] = { "candidate", "input.cl", REF_NAME, NULL };
	struct ac_argv env = { 0 };
	struct ac_sandbox_opts so;
	int rc;

	r->time_ns = 0;
	r->samples = 0;
	r->spread = 0;
	rc = harness_opts(job, false, &env, &so);
	if (rc < 0)
		return rc;
	ac_result_logf(r, "$ ./candidate        (timeout %.1f s)\n", so.timeout_s);
	rc = ac_harness_run(job, &so, ship, AC_HARNESS_REPORT_MESSAGE, r);
	ac_argv_free(&env);
	return rc;
}

const struct ac_target ac_target_opencl = {
	.name = "opencl",
	.input_name = "input.cl",
	.harness_name = "harness.c",
	.probe = opencl_probe,
	.build = opencl_build,
	.run = opencl_run,
};
