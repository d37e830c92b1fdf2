/*
 * cpu.c - the cpu target: C candidates compiled with the system compiler
 * and timed on this machine by the judge (targets/judge/judge.h).
 *
 * build compiles, in the job's scratch directory, the judge (the harness,
 * generated stubs, and the reference: the run's original input with its
 * globals renamed ref_) and the candidate's loader once per run, and the
 * candidate (input.c) into candidate.so (cpu_build says the steps). run
 * executes ./candidate in the sandbox, pinned to the kernel's cores, with
 * the report pipe, and reads the harness's JSON report from it: only that
 * pipe counts, never stdout. The judge starts ./candidate.worker, which
 * loads candidate.so once it is locked in, and times every call.
 *
 * Extra user files (headers, data) are written next to the sources and so
 * are visible to #include; extra .c files are not compiled or linked.
 */
#include "targets/exec/argv.h"
#include "targets/toolchain/harness_run.h"
#include "targets/judge/judge.h"
#include "targets/toolchain/refcache.h"
#include "targets/exec/fileio.h"
#include "targets/exec/sandbox.h"
#include "targets/toolchain/symbols.h"
#include "targets/targets.h"
#include "targets/toolchain/toolchain.h"

#include <cJSON.h>
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <sys/stat.h>
#include <unistd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DEFAULT_CFLAGS "-O3 -march=native"
/* Processes a timed run may add, well under a build's (the sandbox's
 * default, 256): all of them count against the one sandbox user, so a
 * candidate that forks without end must stop long before the builds that
 * run meanwhile (other kernels') could not start their compilers. A run
 * is pinned to one core; more threads than this would not help it. */
#define RUN_NPROC 64u

static const char *cpu_cflags(const struct ac_target_opts *o)
{
	return o && o->cflags ? o->cflags : DEFAULT_CFLAGS;
}

static int cpu_probe(char *buf, size_t len)
{
	const char *cc = ac_toolchain_cc(NULL);
	struct ac_sandbox_opts so;
	struct ac_proc_result pr;
	struct ac_argv argv = { 0 };
	int rc;

	ac_argv_add_split(&argv, cc);
	ac_argv_add(&argv, "--version");
	if (argv.oom || argv.n < 2) {
		ac_argv_free(&argv);
		snprintf(buf, len, "no C compiler configured");
		return -ENOENT;
	}
	memset(&so, 0, sizeof so);
	so.dir = "/";
	so.argv = argv.v;
	so.timeout_s = 10;
	so.cpu = -1;
	so.keep_uid = true;   /* nothing to write: no need to chown a scratch dir */
	rc = ac_sandbox_run(&so, &pr);
	if (rc < 0) {
		snprintf(buf, len, "%s not found", argv.v[0]);
		ac_argv_free(&argv);
		return rc == -ENOENT ? -ENOENT : rc;
	}
	if (pr.signal || pr.exit_code != 0 || pr.output_len == 0) {
		snprintf(buf, len, "%s --version failed", argv.v[0]);
		rc = -ENOEXEC;
	} else {
		snprintf(buf, len, "%.*s", (int)strcspn(pr.output, "\n"), pr.output);
		rc = 0;
	}
	ac_proc_result_clear(&pr);
	ac_argv_free(&argv);
	return rc;
}

/* Starts a compiler command line: CC CFLAGS -fopenmp [-I include].
 * OpenMP is always on: a kernel's pragmas work without editing cflags,
 * and OMP_NUM_THREADS (the kernel's cores) decides how many threads run. */
static void compiler(struct ac_argv *a, const struct ac_job *job, bool include)
{
	ac_argv_add_split(a, ac_toolchain_cc(job->opts));
	ac_argv_add_split(a, cpu_cflags(job->opts));
	ac_argv_add(a, "-fopenmp");
	if (include)
		ac_toolchain_add_include(a);
}

/* Ends a command line with "-o out -lm" and runs it (a link). */
static int link_to(const struct ac_job *job, struct ac_argv *a, const char *out,
                   struct ac_result *r, bool *ok)
{
	ac_argv_add(a, "-o");
	ac_argv_add(a, out);
	ac_argv_add(a, "-lm");
	return ac_toolchain_step(job, a, 0, r, ok);
}

static int compile(const struct ac_job *job, const char *src, const char *obj,
                   struct ac_result *r, bool *ok)
{
	struct ac_argv a = { 0 };

	compiler(&a, job, true);
	return ac_toolchain_compile(job, &a, src, obj, 0, r, ok);
}

/* The reference's build callback: compile, then rename with objcopy. */
static int build_reference(const struct ac_job *job, const struct ac_ref_spec *spec,
                           struct ac_result *r, bool *ok)
{
	static const char raw[] = ".ac_reference.raw.o";
	int rc;

	rc = compile(job, spec->src_name, raw, r, ok);
	if (rc < 0 || !*ok)
		return rc;
	return ac_symbols_rename_object(job->scratch_dir, raw, spec->obj_name, job->cancel,
	                                  r, ok);
}

/* The input's prototypes, as the compiler states them. */
static int build_protos(const struct ac_job *job, const struct ac_ref_spec *spec,
                        struct ac_result *r, bool *ok)
{
	struct ac_argv a = { 0 };

	compiler(&a, job, true);
	ac_argv_add(&a, "-fsyntax-only");
	ac_argv_add(&a, "-aux-info");
	ac_argv_add(&a, spec->obj_name);
	ac_argv_add(&a, spec->src_name);
	return ac_toolchain_step(job, &a, 0, r, ok);
}

/* The judge: the harness and the stubs (the input's copy in them made
 * local), linked with the reference. The same for every candidate of a
 * run, so it is built once (refcache.h). */
static int build_judge(const struct ac_job *job, const struct ac_ref_spec *spec,
                       struct ac_result *r, bool *ok)
{
	const struct ac_argv *keep = spec->arg;
	struct ac_argv a = { 0 };
	int rc;

	rc = compile(job, ".ac_judge.c", ".ac_judge.o", r, ok);
	if (rc < 0 || !*ok)
		return rc;
	rc = compile(job, ".ac_stubs.c", ".ac_stubs.raw.o", r, ok);
	if (rc < 0 || !*ok)
		return rc;
	rc = ac_symbols_keep_globals(job->scratch_dir, keep, ".ac_stubs.raw.o", ".ac_stubs.o",
	                               job->cancel, r, ok);
	if (rc < 0 || !*ok)
		return rc;
	compiler(&a, job, false);
	ac_argv_add(&a, ".ac_judge.o");
	ac_argv_add(&a, ".ac_stubs.o");
	ac_argv_add(&a, ".ac_reference.o");
	return link_to(job, &a, spec->obj_name, r, ok);
}

/* The candidate's loader (autocomp_worker.h): trusted, the same for every
 * candidate of a run. */
static int build_loader(const struct ac_job *job, const struct ac_ref_spec *spec,
                        struct ac_result *r, bool *ok)
{
	struct ac_argv a = { 0 };

	compiler(&a, job, true);
	ac_argv_add(&a, ".ac_worker.c");
	return link_to(job, &a, spec->obj_name, r, ok);
}

/* Can argv[0] of the command line cmd be run (as the sandbox's PATH finds it)? */
static bool on_path(const char *cmd)
{
	char name[PATH_MAX], path[PATH_MAX];
	size_t n = strcspn(cmd, " \t");

	if (n == 0 || n >= sizeof name)
		return false;
	memcpy(name, cmd, n);
	name[n] = '\0';
	if (strchr(name, '/'))
		return access(name, X_OK) == 0;
	return ac_sandbox_which(name, NULL, path, sizeof path) == 0;
}

/* ac_build_error() for a step that ran tool (NULL: one of several): when the tool
 * is missing (-ENOENT), that is the message, not the code's fault. */
static int step_failed(const struct ac_job *job, struct ac_result *r, int rc,
                       const char *tool, const char *message)
{
	if (rc != -ENOENT)
		return ac_build_error(r, rc, message);
	r->outcome = AC_BUILD_ERROR;
	if (!tool && !on_path(ac_toolchain_cc(job->opts)))
		tool = ac_toolchain_cc(job->opts);   /* the step's first tool is the compiler */
	if (tool)
		ac_result_set_message(r, "compiler %s not found", tool);
	else
		ac_result_set_message(r, "a build tool was not found (compiler %s, nm, objcopy)",
		                      ac_toolchain_cc(job->opts));
	return rc;
}

/* Reads dir/name whole (NUL-terminated); 0 or -errno. */
static int read_scratch(const char *dir, const char *name, char **out)
{
	char path[PATH_MAX];

	snprintf(path, sizeof path, "%s/%s", dir, name);
	return ac_read_file(path, out, NULL);
}

/* The names the C runtime exports, listed once per process. */
static struct ac_runtime_names runtime = AC_RUNTIME_NAMES_INIT;

/* Lists them unless an earlier build did (a failed listing is tried again
 * the next time; the check then runs against what there is). */
static void list_runtime(const struct ac_job *job)
{
	static const char *const libs[] = { "libc.so.6", "libm.so.6", "libgomp.so.1", NULL };

	pthread_mutex_lock(&runtime.lock);
	if (!runtime.listed) {
		ac_symbols_runtime_names(job, ac_toolchain_cc(job->opts), libs, &runtime.names);
		runtime.listed = runtime.names.n > 0;
	}
	pthread_mutex_unlock(&runtime.lock);
}

/* The stub file's refusal, from the compiler's words about a static
 * assertion in .ac_stubs.c ("f: parameter p (pair p) cannot be forwarded
 * ..."), or NULL. */
static char *stub_refusal(const char *log)
{
	const char *p = log ? strstr(log, "static assertion failed: \"") : NULL;
	const char *e;

	if (!p)
		return NULL;
	p += strlen("static assertion failed: \"");
	e = strchr(p, '"');
	return e ? strndup(p, (size_t)(e - p)) : NULL;
}

/* Writes the generated sources (stubs, judge, loader) from the input's
 * prototypes, and gives back the input's function names (sorted): what
 * the candidate must define, and all it may define as globals. 0 and
 * *ok; *ok false: the input cannot be forwarded (r says why). */
static int generate(const struct ac_job *job, struct ac_argv *names, struct ac_result *r,
                    bool *ok)
{
	struct ac_protos protos;
	char *aux = NULL, *stubs = NULL, *judge = NULL, *worker = NULL, why[512];
	int rc;

	*ok = false;
	rc = read_scratch(job->scratch_dir, ".ac_protos.aux", &aux);
	if (rc < 0)
		return rc;
	rc = ac_protos_parse(aux, ".ac_reference.c", &protos, why, sizeof why);
	free(aux);
	if (rc == -EINVAL) {
		ac_result_logf(r, "the judge cannot call the input's functions: %s\n", why);
		ac_result_set_message(r, "the judge cannot call the input's functions: %s", why);
		r->outcome = AC_BUILD_ERROR;
		return 0;
	}
	if (rc < 0)
		return rc;
	for (int i = 0; i < protos.n; i++)
		ac_argv_add(names, protos.v[i].name);
	if (names->oom)
		rc = -ENOMEM;
	ac_argv_sort(names);
	stubs = ac_stubs_source(&protos, ".ac_reference.c");
	judge = ac_judge_source("harness.c");
	worker = ac_worker_source(&protos);
	ac_protos_free(&protos);
	if (rc == 0 && (!stubs || !judge || !worker))
		rc = -ENOMEM;
	if (rc == 0)
		rc = ac_toolchain_write_scratch(job->scratch_dir, ".ac_stubs.c", stubs, strlen(stubs));
	if (rc == 0)
		rc = ac_toolchain_write_scratch(job->scratch_dir, ".ac_judge.c", judge, strlen(judge));
	if (rc == 0)
		rc = ac_toolchain_write_scratch(job->scratch_dir, ".ac_worker.c", worker,
		                                strlen(worker));
	free(stubs);
	free(judge);
	free(worker);
	*ok = rc == 0;
	return rc;
}

/* Places a built program as name, read-only and (as root) root's: no
 * process of an evaluation, running as the sandbox user, can change it. */
static int place(const char *dir, const char *built, const char *name)
{
	char from[PATH_MAX], to[PATH_MAX];

	snprintf(from, sizeof from, "%s/%s", dir, built);
	snprintf(to, sizeof to, "%s/%s", dir, name);
	if (rename(from, to) != 0)
		return -errno;
	if (geteuid() == 0 && chown(to, 0, 0) != 0)
		return -errno;
	return chmod(to, 0555) != 0 ? -errno : 0;
}

/*
 * The build, in the job's scratch directory (every step sandboxed):
 *
 *     once per run (refcache.h): the reference (the input, globals renamed
 *       ref_), the input's prototypes (-aux-info), from them the stubs, the
 *       judge (harness + stubs + reference) and the loader
 *     per candidate:
 *     $ cc CFLAGS -fopenmp -fPIC -fno-semantic-interposition -ftls-model=initial-exec \
 *          -c input.c -o .ac_candidate.o
 *     $ nm -P .ac_candidate.o; readelf -SW .ac_candidate.o   (what it may define)
 *     $ cc -shared -fopenmp -Wl,-Bsymbolic -Wl,--no-undefined .ac_candidate.o -o candidate.so -lm
 *
 * -fno-semantic-interposition and -Bsymbolic let the candidate's calls to
 * its own functions inline and bind directly, and the linker turn its own
 * data's GOT loads into direct addresses: the code runs as the input would
 * in a program, from a shared object the loader opens only once it is
 * locked in.
 */
static int cpu_build(const struct ac_job *job, struct ac_result *r)
{
	struct ac_ref_spec spec;
	struct ac_argv names = { 0 };
	struct ac_argv a = { 0 };
	const char *cc = ac_toolchain_cc(job->opts);
	char key[1024];
	bool ok;
	int rc;

	rc = ac_toolchain_begin(job, &ac_target_cpu, r, &ok);
	if (rc < 0 || !ok)
		return rc;

	memset(&spec, 0, sizeof spec);
	snprintf(key, sizeof key, "cc=%s\ncflags=%s\ninclude=%s\njudge=3\n", cc,
	         cpu_cflags(job->opts), ac_target_include_dir());
	spec.src_name = ".ac_reference.c";
	spec.obj_name = ".ac_reference.o";
	spec.key = key;
	spec.build = build_reference;
	rc = ac_refcache_reference(job, &spec, r, &ok);
	if (rc < 0 || !ok)
		return step_failed(job, r, rc, NULL, "input does not compile");

	spec.obj_name = ".ac_protos.aux";
	spec.build = build_protos;
	spec.what = "prototypes";
	rc = ac_refcache_reference(job, &spec, r, &ok);
	if (rc < 0 || !ok)
		return step_failed(job, r, rc, cc, "input does not compile");
	rc = generate(job, &names, r, &ok);
	if (rc < 0 || !ok) {
		ac_argv_free(&names);
		return r->outcome == AC_BUILD_ERROR ? rc : ac_build_error(r, rc, "cannot write the judge");
	}

	spec.src_name = NULL;
	spec.obj_name = ".ac_judge";
	spec.build = build_judge;
	spec.arg = &names;
	spec.what = "judge (harness and stubs)";
	rc = ac_refcache_object(job, &spec, r, &ok);
	if (rc == 0 && !ok) {
		char *why = stub_refusal(r->log);

		if (why) {
			r->outcome = AC_BUILD_ERROR;
			ac_result_set_message(r, "the judge cannot call the input's functions: %s", why);
			free(why);
			ac_argv_free(&names);
			return 0;
		}
	}
	if (rc < 0 || !ok) {
		ac_argv_free(&names);
		return step_failed(job, r, rc, cc, "harness does not compile");
	}

	spec.obj_name = ".ac_loader";
	spec.build = build_loader;
	spec.what = "loader";
	rc = ac_refcache_object(job, &spec, r, &ok);
	if (rc < 0 || !ok) {
		ac_argv_free(&names);
		return step_failed(job, r, rc, cc, "the loader does not compile");
	}

	compiler(&a, job, true);
	ac_argv_add(&a, "-fPIC");
	ac_argv_add(&a, "-fno-semantic-interposition");
	ac_argv_add(&a, "-ftls-model=initial-exec");
	rc = ac_toolchain_compile(job, &a, "input.c", AC_CANDIDATE_OBJ, 0, r, &ok);
	if (rc < 0 || !ok) {
		ac_argv_free(&names);
		return step_failed(job, r, rc, cc, "candidate does not compile");
	}
	list_runtime(job);
	rc = ac_check_candidate(job, &runtime, NULL, NULL, &names, r, &ok);
	ac_argv_free(&names);
	if (r->outcome == AC_BUILD_ERROR)
		return rc;
	if (rc < 0 || !ok)
		return step_failed(job, r, rc, "nm", "cannot list the candidate's symbols");

	/* the candidate's object alone, as the loader opens it */
	compiler(&a, job, false);
	ac_argv_add(&a, "-shared");
	ac_argv_add(&a, "-Wl,-Bsymbolic");
	ac_argv_add(&a, "-Wl,--no-undefined");
	ac_argv_add(&a, AC_CANDIDATE_OBJ);
	rc = link_to(job, &a, ".ac_candidate.so", r, &ok);
	if (rc < 0 || !ok)
		return step_failed(job, r, rc, cc, "does not link");
	rc = place(job->scratch_dir, ".ac_candidate.so", "candidate.so");
	if (rc == 0)
		rc = place(job->scratch_dir, ".ac_loader", "candidate.worker");
	if (rc == 0)
		rc = place(job->scratch_dir, ".ac_judge", "candidate");
	if (rc < 0)
		return ac_build_error(r, rc, "cannot place the judge");
	return ac_build_ok(r);
}

/* One line in words for the log: how the judge reached the verdict. */
static void log_judge(struct ac_result *r)
{
	cJSON *j = r->judge ? cJSON_Parse(r->judge) : NULL;
	const cJSON *fw = cJSON_GetObjectItemCaseSensitive(j, "forward_ns");
	const cJSON *sets = cJSON_GetObjectItemCaseSensitive(j, "sets");
	const cJSON *checked = cJSON_GetObjectItemCaseSensitive(j, "checked");
	const cJSON *procs = cJSON_GetObjectItemCaseSensitive(j, "processes");
	const cJSON *cores = cJSON_GetObjectItemCaseSensitive(j, "cores");
	const cJSON *rot = cJSON_GetObjectItemCaseSensitive(j, "rotation");
	bool rotated = !cJSON_IsString(rot) || !strcmp(rot->valuestring, "on");

	if (cJSON_IsNumber(fw) && cJSON_IsNumber(sets) && cJSON_IsNumber(checked) &&
	    cJSON_IsNumber(procs))
		ac_result_logf(r, "# judge: round trip %.1f us (the running median of an empty "
		               "call's, taken off every call), %d input sets, %d timed repetitions "
		               "checked, %d candidate processes, timed on %d core%s%s%s\n",
		               fw->valuedouble / 1e3, sets->valueint, checked->valueint,
		               procs->valueint, cJSON_IsNumber(cores) ? cores->valueint : 1,
		               cJSON_IsNumber(cores) && cores->valueint == 1 ? "" : "s",
		               rotated ? "" : "; inputs not rotated: ",
		               rotated ? "" : rot->valuestring);
	cJSON_Delete(j);
}

static int cpu_run(const struct ac_job *job, struct ac_result *r)
{
	const struct ac_target_opts *o = job->opts;
	/* what the run needs where it happens (executor.h); absent names are skipped */
	static const char *const ship[] = { "candidate", "candidate.worker", "candidate.so", NULL };
	char min_time[64], threads[64], where[64];
	char *env[] = { threads, NULL, NULL };
	struct ac_sandbox_opts so;
	int cores = o && o->cores > 1 ? o->cores : 1;
	int rc;

	ac_harness_opts(job, &so);
	so.env = env;
	so.nproc = RUN_NPROC;
	if (so.cpu < 0)
		so.cpu = ac_sandbox_last_cpu();
	so.ncpus = cores;
	/* the candidate's OpenMP threads: one per core it has */
	snprintf(threads, sizeof threads, "OMP_NUM_THREADS=%d", cores);
	if (o && o->min_time_s > 0) {
		snprintf(min_time, sizeof min_time, "AC_MIN_TIME_S=%g", o->min_time_s);
		env[1] = min_time;
	}
	if (cores > 1)
		snprintf(where, sizeof where, "cpus %d-%d", so.cpu - cores + 1, so.cpu);
	else
		snprintf(where, sizeof where, "cpu %d", so.cpu);
	ac_result_logf(r, "$ ./candidate        (%s, timeout %.1f s)\n", where, so.timeout_s);
	rc = ac_harness_run(job, &so, ship, AC_HARNESS_SANDBOX_WORDS, r);
	if (rc < 0)
		return rc;
	log_judge(r);
	return 0;
}

const struct ac_target ac_target_cpu = {
	.name = "cpu",
	.input_name = "input.c",
	.harness_name = "harness.c",
	.probe = cpu_probe,
	.build = cpu_build,
	.run = cpu_run,
};
