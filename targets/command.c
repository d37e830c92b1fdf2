/*
 * command.c - the command target: an external evaluator judges each
 * candidate, for hardware this program cannot build for or link against
 * (Gemmini on spike or FireSim, AWS Trainium through NKI, a board on the
 * network...).
 *
 * The kernel's config.json names the evaluator as an argv:
 *
 *     {"target": "command",
 *      "command": ["./eval.sh", "{candidate}", "{reference}"]}
 *
 * build writes the kernel's files and the candidate (as input.c) into the
 * candidate's scratch directory and the reference (the run's original
 * input) as .ac_reference/input.c, then checks that the evaluator exists
 * and is executable; it compiles nothing. run substitutes, anywhere inside
 * each argument, "{candidate}", "{reference}" and "{dir}" (absolute paths
 * of the two sources and of the scratch directory), runs the command in the
 * scratch directory under the sandbox with the kernel's timeout, and reads
 * the LAST non-empty line of its output, which must be the result of
 * DESIGN.md §4:
 *
 *     {"correct":true,"time_ns":81234,"samples":20,"spread":0.01,"message":"..."}
 *
 * or an error object, which the adapters in targets/adapters print:
 *
 *     {"error":"candidate does not compile","stage":"build"}   -> build_error
 *     {"error":"spike not found","stage":"run"}                -> run_error
 *
 * Anything else - no such line, a line that is not that JSON, a non-zero
 * exit, a timeout - is a run error (timeout: AC_TIMEOUT) and the output is
 * in the candidate's log. stdout and stderr are read as one stream, so an
 * evaluator must print its result last.
 *
 *     $ ./eval.sh /st/scratch/17/input.c /st/scratch/17/.ac_reference/input.c
 *     compiling... 12 cycles/elem
 *     {"correct":true,"time_ns":5123,"samples":1}
 *     [exit 0, 3.21 s]
 *
 * Differences from the compiled targets, on purpose:
 *  - the evaluator may use the network (FireSim's manager, a remote board),
 *    so it gets no network namespace; it still runs as the sandbox user,
 *    with its own process group, a clean environment and the timeout.
 *  - no address-space limit and a roomier process and file-size limit:
 *    simulators and the Neuron compiler reserve a lot of virtual memory and
 *    start many threads.
 *  - the environment is clean apart from the variables the adapters read
 *    (RISCV, CHIPYARD, GEMMINI_*, NEURON_*, ...), passed through from the
 *    daemon's environment when set; a command can also start with
 *    "env NAME=VALUE" to set its own.
 *  - a kernel file named as the command ("./eval.sh") is made executable
 *    after it is written, since copying into the mount may not keep modes.
 *
 * The input file is written as input.c whatever language it holds: the
 * target interface carries no input name, and the adapters accept any
 * file name.
 */
#include "targets/exec/argv.h"
#include "targets/exec/executor.h"
#include "targets/exec/fileio.h"
#include "targets/judge/report.h"
#include "targets/exec/sandbox.h"
#include "targets/exec/subst.h"
#include "targets/targets.h"
#include "targets/toolchain/toolchain.h"

#include <cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#define INPUT_NAME "input.c"
#define REF_DIR ".ac_reference"
#define DEFAULT_RUN_TIMEOUT_S 60.0
#define OUTPUT_CAP ((size_t)4 << 20)
#define EVAL_NPROC 4096u
#define EVAL_FSIZE ((size_t)4 << 30)

/* Variables an evaluator may need from the daemon's environment: names
 * that match exactly, or start with a prefix ending in '_'. Never keys. */
static const char *const passthrough[] = {
	"RISCV", "CHIPYARD", "GEMMINI_", "FIRESIM_", "NEURON_", "NEURONX_",
	"XLA_", "PJRT_", "TPU_", "CUDA_VISIBLE_DEVICES", "PYTHONPATH",
	"VIRTUAL_ENV", "LD_LIBRARY_PATH", NULL,
};

static int command_probe(char *buf, size_t len)
{
	snprintf(buf, len, "runs the evaluator named in config.json (\"command\")");
	return 0;
}

/* Writes the reference as REF_DIR/INPUT_NAME in the scratch directory,
 * both readable by the sandbox user whatever the daemon's umask. */
static int write_reference(const struct ac_job *job)
{
	char path[PATH_MAX];
	int dfd;
	int rc;

	if ((size_t)snprintf(path, sizeof path, "%s/%s", job->scratch_dir, REF_DIR) >=
	    sizeof path)
		return -ENAMETOOLONG;
	rc = ac_make_dir(path, 0755);
	if (rc < 0)
		return rc;
	/* Never through a symbolic link someone left in the scratch directory. */
	dfd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (dfd < 0)
		return -errno;
	rc = ac_write_file(dfd, INPUT_NAME, job->reference, job->reference_size, 0644);
	close(dfd);
	return rc;
}

/* Is path a regular file with an execute bit? */
static bool executable_file(const char *path, bool *exists)
{
	struct stat st;

	*exists = stat(path, &st) == 0;
	return *exists && S_ISREG(st.st_mode) && (st.st_mode & (S_IXUSR | S_IXGRP | S_IXOTH));
}

/* Finds the evaluator the way the sandbox will: a name with '/' relative to
 * the scratch directory (or absolute), a bare name in the sandbox's PATH.
 * Returns 0, -ENOENT (not found) or -EACCES (found, not executable). */
static int check_evaluator(const char *dir, const char *cmd)
{
	char path[PATH_MAX];
	bool exists;

	if (strchr(cmd, '/')) {
		if (cmd[0] == '/')
			snprintf(path, sizeof path, "%s", cmd);
		else if ((size_t)snprintf(path, sizeof path, "%s/%s", dir, cmd) >= sizeof path)
			return -ENAMETOOLONG;
		if (executable_file(path, &exists))
			return 0;
		return exists ? -EACCES : -ENOENT;
	}
	return ac_sandbox_which(cmd, NULL, path, sizeof path);
}

/* A kernel file the command names ("./eval.sh" or "eval.sh" among the
 * job's files) is made executable: modes do not survive every copy. */
static void make_evaluator_executable(const struct ac_job *job, const char *cmd)
{
	const char *name = cmd;
	char path[PATH_MAX];

	if (strncmp(name, "./", 2) == 0)
		name += 2;
	if (strchr(name, '/') || !ac_toolchain_find_file(job, name))
		return;
	if ((size_t)snprintf(path, sizeof path, "%s/%s", job->scratch_dir, name) < sizeof path)
		chmod(path, 0755);
}

static int build_error(struct ac_result *r, int rc, const char *fmt, const char *arg)
{
	r->outcome = AC_BUILD_ERROR;
	ac_result_set_message(r, fmt, arg);
	ac_result_logf(r, "%s\n", r->message ? r->message : "");
	return rc;
}

static int command_build(const struct ac_job *job, struct ac_result *r)
{
	const struct ac_target_opts *o = job->opts;
	const char *cmd;
	int rc;

	r->outcome = AC_PENDING;
	r->time_ns = 0;
	r->samples = 0;
	r->spread = 0;
	if (!o || !o->command || !o->command[0] || !o->command[0][0])
		return build_error(r, 0, "%s",
		                   "no evaluator: set \"command\" in config.json, e.g. "
		                   "[\"./eval.sh\", \"{candidate}\"]");
	cmd = o->command[0];
	rc = ac_toolchain_write_job(job, INPUT_NAME, r);
	if (rc == -EINVAL)
		return 0;   /* a refused file name: r says which */
	if (rc < 0)
		return build_error(r, rc, "cannot write the sources: %s", strerror(-rc));
	rc = write_reference(job);
	if (rc < 0)
		return build_error(r, rc, "cannot write the reference: %s", strerror(-rc));
	make_evaluator_executable(job, cmd);
	rc = check_evaluator(job->scratch_dir, cmd);
	if (rc == -EACCES)
		return build_error(r, 0, "evaluator not executable: %s", cmd);
	if (rc < 0)
		return build_error(r, 0, "evaluator not found: %s", cmd);
	ac_result_logf(r, "# wrote %s and %s/%s; evaluator %s\n", INPUT_NAME, REF_DIR,
	               INPUT_NAME, cmd);
	return ac_build_ok(r);
}

/* The evaluator's command line: o->command with every {candidate},
 * {reference} and {dir} replaced by the paths in dir, into argv (check
 * argv->oom). */
static void evaluator_argv(const struct ac_target_opts *o, const char *dir,
                           struct ac_argv *argv)
{
	static const char *const from[] = { "{candidate}", "{reference}", "{dir}" };
	char candidate[PATH_MAX], reference[PATH_MAX];
	const char *to[] = { candidate, reference, dir };

	snprintf(candidate, sizeof candidate, "%s/%s", dir, INPUT_NAME);
	snprintf(reference, sizeof reference, "%s/%s/%s", dir, REF_DIR, INPUT_NAME);
	for (char *const *a = o->command; *a; a++) {
		char *s = ac_subst(*a, 3, from, to);

		if (!s) {
			argv->oom = true;
			return;
		}
		ac_argv_add(argv, s);
		free(s);
	}
}

/* Is the environment entry e one of the passthrough names? */
static bool passed_through(const char *e)
{
	size_t n = strcspn(e, "=");

	if (e[n] != '=')
		return false;
	for (const char *const *p = passthrough; *p; p++) {
		size_t pl = strlen(*p);

		if ((*p)[pl - 1] == '_' ? (n > pl && strncmp(e, *p, pl) == 0)
		                        : (n == pl && strncmp(e, *p, pl) == 0))
			return true;
	}
	return false;
}

/* The passthrough subset of the daemon's environment (NULL-terminated;
 * the strings are the environment's own, do not free them). */
static char **evaluator_env(void)
{
	size_t n = 0, k = 0;
	char **env;

	for (char **e = environ; e && *e; e++)
		n += passed_through(*e);
	env = calloc(n + 1, sizeof *env);
	if (!env)
		return NULL;
	for (char **e = environ; e && *e && k < n; e++)
		if (passed_through(*e))
			env[k++] = *e;
	return env;
}

/* Turns the evaluator's last output line into r's outcome and message. */
static void judge_line(const char *line, size_t len, struct ac_result *r)
{
	cJSON *root = cJSON_ParseWithLength(line, len);
	const cJSON *err = root ? cJSON_GetObjectItemCaseSensitive(root, "error") : NULL;

	if (cJSON_IsObject(root) && cJSON_IsString(err)) {
		const cJSON *stage = cJSON_GetObjectItemCaseSensitive(root, "stage");

		r->outcome = cJSON_IsString(stage) && strcmp(stage->valuestring, "build") == 0
		                 ? AC_BUILD_ERROR : AC_RUN_ERROR;
		r->time_ns = 0;
		r->samples = 0;
		r->spread = 0;
		ac_result_set_message(r, "evaluator: %s", err->valuestring);
		cJSON_Delete(root);
		return;
	}
	cJSON_Delete(root);
	if (ac_report_parse_evaluator(line, len, r) < 0) {
		char *why = r->message;

		r->message = NULL;
		ac_result_set_message(r, "evaluator's last line is not a result (%s)",
		                      why ? why : "unreadable");
		free(why);
	}
}

static int command_run(const struct ac_job *job, struct ac_result *r)
{
	const struct ac_target_opts *o = job->opts;
	/* what the evaluator reads where it runs (executor.h), besides job->files */
	static const char *const ship[] = { INPUT_NAME, REF_DIR "/" INPUT_NAME, NULL };
	struct ac_sandbox_opts so;
	struct ac_proc_result pr;
	struct ac_argv argv = { 0 };
	const char *line;
	size_t line_len;
	char **env;
	char how[96];
	int rc;

	if (!o || !o->command || !o->command[0]) {
		r->outcome = AC_RUN_ERROR;
		ac_result_set_message(r, "no evaluator configured");
		return 0;
	}
	evaluator_argv(o, job->scratch_dir, &argv);
	env = evaluator_env();
	if (argv.oom || !env) {
		ac_argv_free(&argv);
		free(env);
		return -ENOMEM;
	}
	memset(&so, 0, sizeof so);
	so.dir = job->scratch_dir;
	so.argv = argv.v;
	so.env = env;
	so.timeout_s = o->timeout_s > 0 ? o->timeout_s : DEFAULT_RUN_TIMEOUT_S;
	so.output_cap = OUTPUT_CAP;
	so.cpu = o->cpu;
	so.isolate_net = false;
	so.mem_bytes = (size_t)RLIM_INFINITY;
	so.nproc = EVAL_NPROC;
	so.fsize_bytes = EVAL_FSIZE;
	so.cancel = job->cancel;

	ac_result_logf(r, "$");
	for (char **a = argv.v; *a; a++)
		ac_result_logf(r, " %s", *a);
	ac_result_logf(r, "        (timeout %.1f s)\n", so.timeout_s);
	rc = ac_exec_run(job, &so, ship, &pr, r);
	free(env);
	if (rc < 0) {
		r->outcome = AC_RUN_ERROR;
		ac_result_set_message(r, "cannot run the evaluator %s: %s", argv.v[0],
		                      strerror(-rc));
		ac_result_logf(r, "%s\n", r->message);
		ac_argv_free(&argv);
		return 0;
	}
	ac_argv_free(&argv);
	if (pr.output_len > 0)
		ac_result_logf(r, "%s%s", pr.output,
		               pr.output[pr.output_len - 1] == '\n' ? "" : "\n");
	if (pr.truncated)
		ac_result_logf(r, "[output cut at %zu bytes]\n", pr.output_len);
	ac_proc_describe(&pr, so.timeout_s, how, sizeof how);
	ac_result_logf(r, "[%s, %.2f s]\n", how, pr.wall_s);

	r->time_ns = 0;
	r->samples = 0;
	r->spread = 0;
	line = ac_report_last_line(pr.output, pr.output_len, &line_len);
	if (pr.cancelled) {
		r->outcome = AC_RUN_ERROR;
		ac_result_set_message(r, "cancelled");
	} else if (pr.timed_out) {
		r->outcome = AC_TIMEOUT;
		ac_result_set_message(r, "evaluator %s", how);
	} else if (pr.truncated) {
		r->outcome = AC_RUN_ERROR;
		ac_result_set_message(r, "evaluator printed more than %zu bytes: its result line was lost",
		                      OUTPUT_CAP);
	} else if (!line) {
		r->outcome = AC_RUN_ERROR;
		ac_result_set_message(r, "evaluator printed nothing (%s)", how);
	} else {
		judge_line(line, line_len, r);
		if ((pr.signal || pr.exit_code != 0) &&
		    (r->outcome == AC_OK || r->outcome == AC_WRONG)) {
			r->outcome = AC_RUN_ERROR;
			r->time_ns = 0;
			ac_result_set_message(r, "evaluator %s after printing a result", how);
		} else if ((pr.signal || pr.exit_code != 0) && r->outcome == AC_RUN_ERROR &&
		           r->message && strncmp(r->message, "evaluator's last line", 21) == 0) {
			ac_result_set_message(r, "evaluator %s without a result line", how);
		}
	}
	ac_proc_result_clear(&pr);
	return 0;
}

const struct ac_target ac_target_command = {
	.name = "command",
	.input_name = INPUT_NAME,
	.harness_name = NULL,
	.probe = command_probe,
	.build = command_build,
	.run = command_run,
};
