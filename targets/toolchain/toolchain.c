/*
 * toolchain.c - what the compiled targets share to build a candidate:
 * writing the job's sources into the scratch directory (names checked),
 * and running tool steps in the sandbox with their command line and output
 * in the result log.
 *
 * It knows no particular compiler or flags beyond the host C compiler's
 * name ($CC, else cc); the targets choose those. It
 * does not run candidates, only tools; argument vectors are argv.c's,
 * symbol work symbols.c's, the per-run object cache refcache.c's.
 */
#include "targets/toolchain/toolchain.h"
#include "targets/exec/fileio.h"
#include "targets/exec/sandbox.h"
#include "targets/targets.h"

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CAPTURE_CAP ((size_t)16 << 20)
#define LOG_OUTPUT_CAP ((size_t)256 << 10)

/* --- files ----------------------------------------------------------- */

bool ac_toolchain_name_ok(const char *name)
{
	size_t n = name ? strlen(name) : 0;

	return n > 0 && n <= 255 && name[0] != '.' && !strchr(name, '/');
}

/* Writes dir/name whole, mode 0644 (the sandbox user must be able to read
 * it). No name checks. */
static int write_at(const char *dir, const char *name, const void *data, size_t size)
{
	char path[PATH_MAX];

	if ((size_t)snprintf(path, sizeof path, "%s/%s", dir, name) >= sizeof path)
		return -ENAMETOOLONG;
	return ac_write_file(AT_FDCWD, path, data, size, 0644);
}

int ac_toolchain_write_file(const char *dir, const char *name, const void *data,
                            size_t size)
{
	if (!dir || !ac_toolchain_name_ok(name))
		return -EINVAL;
	return write_at(dir, name, data, size);
}

int ac_toolchain_write_scratch(const char *dir, const char *name, const void *data,
                               size_t size)
{
	if (!dir || !name || name[0] != '.' || strchr(name, '/') || !name[1])
		return -EINVAL;
	return write_at(dir, name, data, size);
}

const struct ac_file *ac_toolchain_find_file(const struct ac_job *job, const char *name)
{
	for (size_t i = 0; i < job->nfiles; i++)
		if (job->files[i].name && strcmp(job->files[i].name, name) == 0)
			return &job->files[i];
	return NULL;
}

int ac_toolchain_write_job(const struct ac_job *job, const char *input_name,
                           struct ac_result *r)
{
	int rc;

	assert(job != NULL && input_name != NULL && r != NULL);
	assert(job->nfiles == 0 || job->files != NULL);

	for (size_t i = 0; i < job->nfiles; i++) {
		const char *name = job->files[i].name;

		if (!ac_toolchain_name_ok(name) || strcmp(name, input_name) == 0) {
			r->outcome = AC_BUILD_ERROR;
			ac_result_set_message(r, "refusing file name \"%s\"", name ? name : "");
			return -EINVAL;
		}
	}
	rc = ac_toolchain_write_file(job->scratch_dir, input_name, job->candidate,
	                             job->candidate_size);
	for (size_t i = 0; rc == 0 && i < job->nfiles; i++)
		rc = ac_toolchain_write_file(job->scratch_dir, job->files[i].name,
		                             job->files[i].data, job->files[i].size);
	return rc;
}

/* --- running tools --------------------------------------------------- */

static void log_command(struct ac_result *r, char *const *argv)
{
	ac_result_logf(r, "$");
	for (char *const *a = argv; *a; a++) {
		if (**a && !strpbrk(*a, " \t\n'\"\\$"))
			ac_result_logf(r, " %s", *a);
		else
			ac_result_logf(r, " '%s'", *a);
	}
	ac_result_logf(r, "\n");
}

static void log_output(struct ac_result *r, const struct ac_proc_result *pr)
{
	size_t n = pr->output_len < LOG_OUTPUT_CAP ? pr->output_len : LOG_OUTPUT_CAP;

	if (n == 0)
		return;
	assert(pr->output != NULL);   /* the sandbox never returns output_len without it */
	ac_result_logf(r, "%.*s%s", (int)n, pr->output,
	               pr->output[n - 1] == '\n' ? "" : "\n");
	if (pr->truncated || n < pr->output_len)
		ac_result_logf(r, "[output cut]\n");
}

/* Runs one tool; on return pr holds what happened (when 0 is returned). */
static int tool_exec(const struct ac_tool_run *t, size_t cap, struct ac_result *r,
                     struct ac_proc_result *pr)
{
	struct ac_sandbox_opts so;
	int rc;

	if (!t || !t->dir || !t->argv || !t->argv[0])
		return -EINVAL;
	log_command(r, t->argv);
	memset(&so, 0, sizeof so);
	so.dir = t->dir;
	so.argv = t->argv;
	so.env = t->env;
	so.timeout_s = t->timeout_s > 0 ? t->timeout_s : AC_TOOL_TIMEOUT_S;
	so.output_cap = cap;
	so.cpu = -1;
	so.isolate_net = true;
	so.mem_bytes = t->mem_bytes;
	so.cancel = t->cancel;
	rc = ac_sandbox_run(&so, pr);
	if (rc == -ENOENT)
		ac_result_logf(r, "%s: not found\n", t->argv[0]);
	else if (rc < 0)
		ac_result_logf(r, "%s: cannot run: %s\n", t->argv[0], strerror(-rc));
	return rc;
}

static int tool_status(const struct ac_tool_run *t, const struct ac_proc_result *pr,
                       struct ac_result *r, bool *ok)
{
	char how[96];

	*ok = !pr->timed_out && !pr->cancelled && !pr->signal && pr->exit_code == 0;
	if (!*ok)
		ac_result_logf(r, "[%s]\n",
		               ac_proc_describe(pr, t->timeout_s > 0 ? t->timeout_s
		                                                     : AC_TOOL_TIMEOUT_S,
		                                how, sizeof how));
	return pr->cancelled ? -ECANCELED : 0;
}

int ac_toolchain_run(const struct ac_tool_run *t, struct ac_result *r, bool *ok)
{
	struct ac_proc_result pr;
	int rc;

	*ok = false;
	rc = tool_exec(t, LOG_OUTPUT_CAP, r, &pr);
	if (rc < 0)
		return rc;
	log_output(r, &pr);
	rc = tool_status(t, &pr, r, ok);
	ac_proc_result_clear(&pr);
	return rc;
}

int ac_toolchain_capture(const struct ac_tool_run *t, struct ac_result *r, bool *ok,
                         char **output, size_t *output_len)
{
	struct ac_proc_result pr;
	int rc;

	*ok = false;
	*output = NULL;
	*output_len = 0;
	rc = tool_exec(t, CAPTURE_CAP, r, &pr);
	if (rc < 0)
		return rc;
	rc = tool_status(t, &pr, r, ok);
	if (!*ok)
		log_output(r, &pr);
	if (rc < 0) {
		ac_proc_result_clear(&pr);
		return rc;
	}
	*output = pr.output;
	*output_len = pr.output_len;
	pr.output = NULL;
	ac_proc_result_clear(&pr);
	return 0;
}

int ac_toolchain_step(const struct ac_job *job, struct ac_argv *a, double timeout_s,
                      struct ac_result *r, bool *ok)
{
	struct ac_tool_run t;
	int rc;

	*ok = false;
	if (a->oom) {
		ac_argv_free(a);
		return -ENOMEM;
	}
	memset(&t, 0, sizeof t);
	t.dir = job->scratch_dir;
	t.argv = a->v;
	t.timeout_s = timeout_s;
	t.cancel = job->cancel;
	rc = ac_toolchain_run(&t, r, ok);
	ac_argv_free(a);
	return rc;
}

int ac_toolchain_compile(const struct ac_job *job, struct ac_argv *a, const char *src,
                         const char *obj, double timeout_s, struct ac_result *r, bool *ok)
{
	ac_argv_add(a, "-c");
	ac_argv_add(a, src);
	ac_argv_add(a, "-o");
	ac_argv_add(a, obj);
	return ac_toolchain_step(job, a, timeout_s, r, ok);
}

void ac_toolchain_add_include(struct ac_argv *a)
{
	ac_argv_add(a, "-I");
	ac_argv_add(a, ac_target_include_dir());
}

const char *ac_toolchain_cc(const struct ac_target_opts *opts)
{
	const char *env = getenv("CC");

	if (opts && opts->cc && *opts->cc)
		return opts->cc;
	if (env && *env)
		return env;
	return "cc";
}

/* --- a build's opening and close ------------------------------------- */

int ac_toolchain_begin(const struct ac_job *job, const struct ac_target *t,
                       struct ac_result *r, bool *ok)
{
	char why[300];
	int rc;

	assert(job != NULL && t != NULL && t->input_name != NULL && r != NULL);
	*ok = false;
	r->outcome = AC_PENDING;
	r->time_ns = 0;
	r->samples = 0;
	r->spread = 0;
	if (t->harness_name && !ac_toolchain_find_file(job, t->harness_name)) {
		snprintf(why, sizeof why, "no %s", t->harness_name);
		return ac_build_error(r, 0, why);
	}
	rc = ac_toolchain_write_job(job, t->input_name, r);
	if (rc == -EINVAL)
		return 0;   /* a refused file name: r says which */
	if (rc < 0)
		return ac_build_error(r, rc, "cannot write the sources");
	*ok = true;
	return 0;
}

int ac_build_error(struct ac_result *r, int rc, const char *message)
{
	r->outcome = AC_BUILD_ERROR;
	ac_result_set_message(r, "%s", message);
	return rc;
}

int ac_build_ok(struct ac_result *r)
{
	r->outcome = AC_OK;
	free(r->message);
	r->message = NULL;
	return 0;
}
