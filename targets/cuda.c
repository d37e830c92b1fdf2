/*
 * cuda.c - the cuda target: CUDA candidates (input.cu) compiled with nvcc
 * together with a harness (harness.cu, using autocomp_cuda.h) and timed on
 * an NVIDIA GPU with CUDA events.
 *
 * build, in the candidate's scratch directory:
 *
 *     $ nvcc -O3 -arch=sm_90 -I.../targets/include -c input.cu -o .ac_candidate.o
 *     $ nm -P .ac_candidate.o; readelf -SW .ac_candidate.o   (what it may define)
 *     $ nvcc -O3 -arch=sm_90 -I.../targets/include -c harness.cu -o .ac_harness.o
 *     $ nvcc -O3 -arch=sm_90 -c .ac_reference.cu -o .ac_reference.raw.o
 *     $ nm -C --defined-only -g .ac_reference.raw.o
 *     $ nvcc -O3 -arch=sm_90 -Dgemm_kernel=ref_gemm_kernel -Dgemm=ref_gemm \
 *            -c .ac_reference.cu -o .ac_reference.o
 *     $ nvcc -O3 -arch=sm_90 .ac_candidate.o .ac_harness.o .ac_reference.o -o candidate
 *
 * The reference (the run's original input) gets every defined global
 * function and variable renamed ref_NAME. C++ mangles names, so objcopy
 * renaming (the cpu target's way) would have to re-mangle them; instead
 * the names are listed from a first compile (demangled base names, see
 * ac_symbols_global_names) and the source is compiled again with
 * -DNAME=ref_NAME for each. That renames the definition and every use
 * inside the reference alike: host launchers, __global__ kernels (their
 * host-side launch functions), namespaced functions, global variables.
 * Device code is compiled per file (no -rdc), so the two copies never meet
 * on the device; nvcc gives __device__/__constant__ variables (and their
 * host shadows) and template instances internal linkage, so those never
 * clash and are not listed. The renamed object, like the compiled
 * harness, is cached per run in job->run_dir: after the run's first
 * candidate a build is two nvcc calls (candidate, link).
 *
 * run executes ./candidate in the sandbox with the report pipe, like the
 * cpu target, with two differences: no address-space limit (the CUDA
 * driver reserves tens of GiB of virtual memory, and RLIMIT_AS would make
 * context creation fail; device memory is not counted by it anyway), and
 * CUDA_VISIBLE_DEVICES / CUDA_DEVICE_ORDER passed through from the
 * daemon's environment. The run keeps the sandbox's network namespace and
 * sandbox user: the driver is reached through /dev/nvidia* (normally mode
 * 0666), not the network. A host where those device files are restricted
 * to a group must open them to the sandbox user ("nobody"), or every run
 * fails with "no GPU found".
 *
 * Without a GPU the target still builds (nvcc needs none) but cannot run:
 * probe returns -ENODEV with "nvcc 13.0, no GPU", and the engine should
 * show the target as present but unable to time ("cuda: nvcc 13.0, no GPU
 * - candidates compile, nothing runs") and not start searches on it; a run
 * attempted anyway ends at once as a run error "no GPU found". With one:
 * "nvcc 13.0, NVIDIA H100 80GB HBM3 (sm_90)".
 *
 * Settings: opts->cc (nvcc: else the first nvcc in PATH, $CUDA_HOME/bin,
 * $CUDA_PATH/bin, /usr/local/cuda/bin), opts->cflags (default -O3),
 * opts->arch ("sm_90"; default: the first GPU's compute capability from
 * nvidia-smi, else nvcc's own default, which still runs on newer GPUs
 * through its embedded PTX), opts->timeout_s, opts->cpu (the core the host
 * side is pinned to; < 0: not pinned). GPUs are found with nvidia-smi, or
 * where it is missing (some containers) from /proc/driver/nvidia/gpus.
 */
#include "targets/exec/argv.h"
#include "targets/exec/executor.h"
#include "targets/toolchain/harness_run.h"
#include "targets/toolchain/refcache.h"
#include "targets/exec/sandbox.h"
#include "targets/toolchain/symbols.h"
#include "targets/targets.h"
#include "targets/toolchain/toolchain.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#define DEFAULT_CFLAGS "-O3"
#define PROBE_TIMEOUT_S 20.0
#define NVCC_TIMEOUT_S 300.0

/* What nvidia-smi said, kept between calls (it takes ~100 ms). */
struct gpu_info {
	bool known;         /* detection ran */
	bool present;       /* at least one GPU answered */
	int count;
	char name[128];     /* the first GPU's name */
	char arch[16];      /* "sm_90", or "" when the capability is unknown */
};

static pthread_mutex_t gpu_lock = PTHREAD_MUTEX_INITIALIZER;
static struct gpu_info gpu_cache;

/* Is path an executable regular file? */
static bool is_exec(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISREG(st.st_mode) && access(path, X_OK) == 0;
}

/* The nvcc to use (see the top of the file), into out. */
static void find_nvcc(const struct ac_target_opts *o, char *out, size_t len)
{
	static const char *const homes[] = { "CUDA_HOME", "CUDA_PATH" };

	if (o && o->cc && *o->cc) {
		snprintf(out, len, "%s", o->cc);
		return;
	}
	if (getenv("PATH") && ac_sandbox_which("nvcc", getenv("PATH"), out, len) == 0)
		return;
	for (size_t i = 0; i < sizeof homes / sizeof homes[0]; i++) {
		const char *h = getenv(homes[i]);

		if (h && *h && (size_t)snprintf(out, len, "%s/bin/nvcc", h) < len && is_exec(out))
			return;
	}
	if (is_exec("/usr/local/cuda/bin/nvcc")) {
		snprintf(out, len, "/usr/local/cuda/bin/nvcc");
		return;
	}
	snprintf(out, len, "nvcc");
}

/* Runs a trusted helper (nvcc --version, nvidia-smi) with a short timeout.
 * Returns 0 with *pr filled (caller clears it) or -errno. */
static int run_helper(char *const *argv, struct ac_proc_result *pr)
{
	struct ac_sandbox_opts so;

	memset(&so, 0, sizeof so);
	so.dir = "/";
	so.argv = argv;
	so.timeout_s = PROBE_TIMEOUT_S;
	so.cpu = -1;
	so.keep_uid = true;   /* writes nothing; nvidia-smi may need root's view */
	so.mem_bytes = (size_t)RLIM_INFINITY;
	return ac_sandbox_run(&so, pr);
}

/* The driver's own list, for hosts (containers) without nvidia-smi: one
 * directory per GPU under /proc/driver/nvidia/gpus, whose "information"
 * file has a "Model:" line. The compute capability is not there. */
static void detect_gpu_proc(struct gpu_info *g)
{
	static const char root[] = "/proc/driver/nvidia/gpus";
	DIR *d = opendir(root);
	struct dirent *e;

	if (!d)
		return;
	while ((e = readdir(d)) != NULL) {
		char path[PATH_MAX];
		char line[256];
		FILE *f;

		if (e->d_name[0] == '.')
			continue;
		if (g->count++ > 0)
			continue;
		snprintf(path, sizeof path, "%s/%s/information", root, e->d_name);
		f = fopen(path, "r");
		if (!f)
			continue;
		while (fgets(line, sizeof line, f)) {
			const char *v = line + 6;

			if (strncmp(line, "Model:", 6) != 0)
				continue;
			while (*v == ' ' || *v == '\t')
				v++;
			snprintf(g->name, sizeof g->name, "%.*s", (int)strcspn(v, "\n"), v);
			break;
		}
		fclose(f);
	}
	closedir(d);
	g->present = g->count > 0;
	if (g->present && !g->name[0])
		snprintf(g->name, sizeof g->name, "NVIDIA GPU");
}

/* Asks nvidia-smi for the GPUs, else the driver's /proc files; fills *g
 * (present false when there is no GPU or no driver). */
static void detect_gpu(struct gpu_info *g)
{
	char *argv[] = { "nvidia-smi", "--query-gpu=name,compute_cap", "--format=csv,noheader",
	                 NULL };
	struct ac_proc_result pr;
	char *line, *save = NULL;

	memset(g, 0, sizeof *g);
	g->known = true;
	if (run_helper(argv, &pr) < 0) {
		detect_gpu_proc(g);
		return;
	}
	if (pr.signal || pr.exit_code != 0 || !pr.output) {
		ac_proc_result_clear(&pr);
		detect_gpu_proc(g);
		return;
	}
	for (line = strtok_r(pr.output, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *comma = strrchr(line, ',');
		int major = 0, minor = 0;

		if (!comma || comma == line)
			continue;
		if (g->count++ > 0)
			continue;
		*comma = '\0';
		snprintf(g->name, sizeof g->name, "%s", line);
		if (sscanf(comma + 1, " %d.%d", &major, &minor) == 2 && major > 0)
			snprintf(g->arch, sizeof g->arch, "sm_%d%d", major, minor);
	}
	g->present = g->count > 0;
	ac_proc_result_clear(&pr);
}

/* The cached detection, running it the first time (or always, refresh). */
static struct gpu_info gpu_get(bool refresh)
{
	struct gpu_info g;

	pthread_mutex_lock(&gpu_lock);
	if (refresh || !gpu_cache.known)
		detect_gpu(&gpu_cache);
	g = gpu_cache;
	pthread_mutex_unlock(&gpu_lock);
	return g;
}

/* nvcc's "release 13.0" as "13.0" into out; -ENOENT when nvcc is missing. */
static int nvcc_version(const char *nvcc, char *out, size_t len)
{
	char *argv[] = { (char *)nvcc, "--version", NULL };
	struct ac_proc_result pr;
	const char *rel;
	int rc = run_helper(argv, &pr);

	if (rc < 0)
		return rc;
	rel = pr.output ? strstr(pr.output, "release ") : NULL;
	if (pr.signal || pr.exit_code != 0 || !rel) {
		ac_proc_result_clear(&pr);
		return -ENOEXEC;
	}
	rel += 8;
	snprintf(out, len, "%.*s", (int)strcspn(rel, ", \n"), rel);
	ac_proc_result_clear(&pr);
	return 0;
}

static int cuda_probe(char *buf, size_t len)
{
	char nvcc[PATH_MAX];
	char version[32];
	struct gpu_info g;
	int rc;

	find_nvcc(NULL, nvcc, sizeof nvcc);
	rc = nvcc_version(nvcc, version, sizeof version);
	if (rc == -ENOENT) {
		snprintf(buf, len, "nvcc not found");
		return -ENOENT;
	}
	if (rc < 0) {
		snprintf(buf, len, "%s --version failed", nvcc);
		return rc;
	}
	g = gpu_get(true);
	if (!g.present) {
		snprintf(buf, len, "nvcc %s, no GPU", version);
		return -ENODEV;
	}
	if (g.count > 1)
		snprintf(buf, len, "nvcc %s, %s (%s) and %d more", version, g.name,
		         g.arch[0] ? g.arch : "unknown arch", g.count - 1);
	else
		snprintf(buf, len, "nvcc %s, %s (%s)", version, g.name,
		         g.arch[0] ? g.arch : "unknown arch");
	return 0;
}

/* The -arch value: opts->arch, else the detected GPU's, else "" (nvcc's
 * default). */
static void pick_arch(const struct ac_target_opts *o, char *out, size_t len)
{
	if (o && o->arch && *o->arch) {
		snprintf(out, len, "%s", o->arch);
		return;
	}
	snprintf(out, len, "%s", gpu_get(false).arch);
}

/* Per-build settings, resolved once per build. */
struct cuda_build {
	const struct ac_job *job;
	char nvcc[PATH_MAX];
	char arch[32];
	const char *cflags;
};

/* Starts an nvcc command line: NVCC CFLAGS [-arch=ARCH]. */
static void nvcc_cmd(const struct cuda_build *b, struct ac_argv *a)
{
	ac_argv_add(a, b->nvcc);
	ac_argv_add_split(a, b->cflags);
	if (b->arch[0])
		ac_argv_addf(a, "-arch=%s", b->arch);
}

/* The names the C and C++ runtimes and the CUDA runtime export, once. */
static struct ac_runtime_names runtime = AC_RUNTIME_NAMES_INIT;

/*
 * Where the static CUDA runtime nvcc links lives, in path: nvcc itself
 * says, in the link line --dryrun prints ("-L.../targets/x86_64-linux/lib"),
 * whatever wraps it (/usr/local/bin/nvcc is often a script exec'ing the
 * real one, so nvcc's own directory proves nothing). Falls back to
 * ../lib64 beside the resolved nvcc. Returns 0 or -ENOENT.
 */
static int find_cudart(const struct cuda_build *b, char *path, size_t len)
{
	struct ac_tool_run t = { .dir = b->job->scratch_dir, .cancel = b->job->cancel };
	struct ac_result quiet = { 0 };
	struct ac_argv a = { 0 };
	char *out = NULL, real[PATH_MAX];
	size_t n;
	bool ok = false;
	int rc = -ENOENT;

	nvcc_cmd(b, &a);
	ac_argv_add(&a, "--dryrun");
	ac_argv_add(&a, AC_CANDIDATE_OBJ);
	ac_argv_add(&a, "-o");
	ac_argv_add(&a, ".ac_cudart_probe");
	t.argv = a.v;
	if (!a.oom && ac_toolchain_capture(&t, &quiet, &ok, &out, &n) == 0 && ok) {
		for (const char *p = out; rc != 0 && (p = strstr(p, "-L")); ) {
			size_t dlen;

			p += 2;
			dlen = strcspn(p, "\" \t\n");
			if ((size_t)snprintf(path, len, "%.*s/libcudart_static.a", (int)dlen, p) < len &&
			    access(path, R_OK) == 0)
				rc = 0;
			p += dlen;
		}
	}
	free(out);
	ac_argv_free(&a);
	ac_result_clear(&quiet);
	if (rc != 0 && realpath(b->nvcc, real)) {
		char *slash = strrchr(real, '/');

		if (slash && (size_t)snprintf(path, len, "%.*s/../lib64/libcudart_static.a",
		                              (int)(slash - real), real) < len &&
		    access(path, R_OK) == 0)
			rc = 0;
	}
	return rc;
}

/* nvcc's own registration of the object's kernels: one .init_array entry
 * when the object has it. */
static unsigned long nvcc_init_entries(const char *nm_out)
{
	return strstr(nm_out, "__sti____cudaRegisterAll") ? 1 : 0;
}

/*
 * The candidate is linked into the harness's process here (no separate
 * process, see menus/cuda.md), so what it may define matters all the
 * more: nothing that libc, libm, libstdc++ or the CUDA runtime provides
 * (a cudaEventElapsedTime of its own would be the harness's clock), no
 * constructor but the one nvcc emits to register the object's kernels.
 * A CUDA runtime that cannot be listed refuses the build: the check
 * fails closed.
 */
static int check_candidate(const struct cuda_build *b, struct ac_result *r, bool *ok)
{
	bool listed;

	pthread_mutex_lock(&runtime.lock);
	if (!runtime.listed) {
		char cudart[PATH_MAX];
		const char *libs[] = { "libc.so.6", "libm.so.6", "libstdc++.so.6", NULL };
		const char *cudart_lib[] = { cudart, NULL };
		size_t before;

		if (find_cudart(b, cudart, sizeof cudart) == 0) {
			ac_symbols_runtime_names(b->job, "cc", cudart_lib, &runtime.names);
			before = runtime.names.n;
			if (before > 0) {
				ac_symbols_runtime_names(b->job, "cc", libs, &runtime.names);
				runtime.listed = runtime.names.n > before;
			}
		}
		if (!runtime.listed)
			ac_argv_free(&runtime.names);
	}
	listed = runtime.listed;
	pthread_mutex_unlock(&runtime.lock);
	if (!listed) {
		ac_result_set_message(r, "cannot list what the CUDA runtime (libcudart_static.a, "
		                         "found from nvcc --dryrun) and libc define");
		ac_result_logf(r, "refused: %s\n", r->message);
		r->outcome = AC_BUILD_ERROR;
		*ok = false;
		return 0;
	}
	return ac_check_candidate(b->job, &runtime, "the C, C++ or CUDA runtime",
	                          nvcc_init_entries, NULL, r, ok);
}

/* nvcc -c src -o obj, with the include directory when include is set and
 * -DNAME=ref_NAME for each of renames (may be NULL). */
static int compile(const struct cuda_build *b, const char *src, const char *obj, bool include,
                   const struct ac_argv *renames, struct ac_result *r, bool *ok)
{
	struct ac_argv a = { 0 };

	nvcc_cmd(b, &a);
	if (include)
		ac_toolchain_add_include(&a);
	for (size_t i = 0; renames && i < renames->n; i++)
		ac_argv_addf(&a, "-D%s=ref_%s", renames->v[i], renames->v[i]);
	return ac_toolchain_compile(b->job, &a, src, obj, NVCC_TIMEOUT_S, r, ok);
}

/* The harness's build callback (its object is cached per run too). */
static int build_harness(const struct ac_job *job, const struct ac_ref_spec *spec,
                         struct ac_result *r, bool *ok)
{
	(void)job;
	return compile(spec->arg, "harness.cu", spec->obj_name, true, NULL, r, ok);
}

/* The reference's build callback: compile, list the names, compile again
 * with each renamed by the preprocessor. */
static int build_reference(const struct ac_job *job, const struct ac_ref_spec *spec,
                           struct ac_result *r, bool *ok)
{
	static const char raw[] = ".ac_reference.raw.o";
	const struct cuda_build *b = spec->arg;
	struct ac_argv names = { 0 };
	int rc;

	rc = compile(b, spec->src_name, raw, true, NULL, r, ok);
	if (rc < 0 || !*ok)
		return rc;
	rc = ac_symbols_global_names(job->scratch_dir, raw, job->cancel, r, ok, &names);
	if (rc < 0 || !*ok)
		return rc;
	ac_result_logf(r, "# renaming %zu global name%s to ref_NAME\n", names.n,
	               names.n == 1 ? "" : "s");
	rc = compile(b, spec->src_name, spec->obj_name, true, &names, r, ok);
	ac_argv_free(&names);
	return rc;
}

static int cuda_build(const struct ac_job *job, struct ac_result *r)
{
	struct cuda_build b;
	struct ac_ref_spec spec;
	struct ac_argv a = { 0 };
	char key[PATH_MAX + 256];
	bool ok;
	int rc;

	rc = ac_toolchain_begin(job, &ac_target_cuda, r, &ok);
	if (rc < 0 || !ok)
		return rc;
	memset(&b, 0, sizeof b);
	b.job = job;
	find_nvcc(job->opts, b.nvcc, sizeof b.nvcc);
	pick_arch(job->opts, b.arch, sizeof b.arch);
	b.cflags = job->opts && job->opts->cflags ? job->opts->cflags : DEFAULT_CFLAGS;

	/* The candidate first: it is the step most likely to fail, and nvcc
	 * takes seconds per file. */
	rc = compile(&b, "input.cu", AC_CANDIDATE_OBJ, true, NULL, r, &ok);
	if (rc < 0 || !ok)
		return ac_build_error(r, rc == -ENOENT ? 0 : rc,
		              rc == -ENOENT ? "nvcc not found" : "candidate does not compile");
	rc = check_candidate(&b, r, &ok);
	if (r->outcome == AC_BUILD_ERROR)
		return rc;
	if (rc < 0 || !ok)
		return ac_build_error(r, rc, "cannot list the candidate's symbols");

	memset(&spec, 0, sizeof spec);
	snprintf(key, sizeof key, "nvcc=%s\ncflags=%s\narch=%s\ninclude=%s\n", b.nvcc, b.cflags,
	         b.arch, ac_target_include_dir());
	spec.obj_name = ".ac_harness.o";
	spec.key = key;
	spec.build = build_harness;
	spec.arg = &b;
	spec.what = "harness";
	rc = ac_refcache_object(job, &spec, r, &ok);
	if (rc < 0 || !ok)
		return ac_build_error(r, rc, "harness does not compile");

	spec.what = NULL;
	spec.src_name = ".ac_reference.cu";
	spec.obj_name = ".ac_reference.o";
	spec.key = key;
	spec.build = build_reference;
	spec.arg = &b;
	rc = ac_refcache_reference(job, &spec, r, &ok);
	if (rc < 0 || !ok)
		return ac_build_error(r, rc, "input does not compile");

	nvcc_cmd(&b, &a);
	ac_argv_add(&a, AC_CANDIDATE_OBJ);
	ac_argv_add(&a, ".ac_harness.o");
	ac_argv_add(&a, ".ac_reference.o");
	ac_argv_add(&a, "-o");
	ac_argv_add(&a, "candidate");
	rc = ac_toolchain_step(job, &a, NVCC_TIMEOUT_S, r, &ok);
	if (rc < 0 || !ok)
		return ac_build_error(r, rc, "does not link");
	return ac_build_ok(r);
}

/* CUDA_VISIBLE_DEVICES and CUDA_DEVICE_ORDER from the daemon's environment,
 * as NAME=VALUE strings in env[0..2] (NULL-terminated; env has 3 slots and
 * bufs 2 x 256 bytes). */
static void gpu_env(char *env[3], char bufs[2][256])
{
	static const char *const names[] = { "CUDA_VISIBLE_DEVICES", "CUDA_DEVICE_ORDER" };
	int n = 0;

	for (int i = 0; i < 2; i++) {
		const char *v = getenv(names[i]);

		if (v && (size_t)snprintf(bufs[n], 256, "%s=%s", names[i], v) < 256) {
			env[n] = bufs[n];
			n++;
		}
	}
	env[n] = NULL;
}

static int cuda_run(const struct ac_job *job, struct ac_result *r)
{
	static const char *const ship[] = { "candidate", "candidate.worker", NULL };
	char *env[3];
	char envbuf[2][256];
	struct ac_sandbox_opts so;

	r->time_ns = 0;
	r->samples = 0;
	r->spread = 0;
	/* elsewhere (a cluster node) the GPU is the node's to find */
	if (ac_exec_is_local(job) && !gpu_get(false).present) {
		r->outcome = AC_RUN_ERROR;
		ac_result_set_message(r, "no GPU found");
		ac_result_logf(r, "no GPU found (nvidia-smi lists none): the candidate built but "
		                  "cannot run here\n");
		return 0;
	}
	gpu_env(env, envbuf);
	ac_harness_opts(job, &so);
	so.env = env;
	so.mem_bytes = (size_t)RLIM_INFINITY;
	ac_result_logf(r, "$ ./candidate        (timeout %.1f s)\n", so.timeout_s);
	return ac_harness_run(job, &so, ship, AC_HARNESS_REPORT_MESSAGE, r);
}

const struct ac_target ac_target_cuda = {
	.name = "cuda",
	.input_name = "input.cu",
	.harness_name = "harness.cu",
	.probe = cuda_probe,
	.build = cuda_build,
	.run = cuda_run,
};
