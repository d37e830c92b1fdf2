/*
 * toolchain.h - what every compiled target (cpu, cuda, opencl) needs to
 * build a candidate: write the job's files into the scratch directory, and
 * run compiler steps in the sandbox with their command lines and output
 * going into the result's log.
 *
 * Beside it: symbols.h does the nm and objcopy work (the reference's
 * renaming, the candidate's check) and refcache.h builds the reference and
 * other per-run objects once; exec/argv.h builds the command lines and
 * exec/fileio.h writes files with an exact mode.
 *
 * Every command runs through ac_sandbox_run (own process group, rlimits,
 * clean environment, no network, the sandbox uid when root), in the
 * scratch directory, with file names relative to it. Scratch file names
 * that start with '.' belong to the toolchain (".ac_reference.o"); user
 * files may not start with '.', so they never collide.
 *
 * Folder targets/toolchain/: this, symbols.c, refcache.c and
 * harness_run.c. It may call targets/judge/ and targets/exec/.
 */
#ifndef AC_TOOLCHAIN_H
#define AC_TOOLCHAIN_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>

#include "targets/target.h"
#include "targets/exec/argv.h"

#define AC_TOOL_TIMEOUT_S 120.0

/* --- files ----------------------------------------------------------- */

/* May name be a user file in a scratch directory? Non-empty, at most 255
 * bytes, no '/', not starting with '.'. */
bool ac_toolchain_name_ok(const char *name);

/* Writes data into dir/name (created or replaced, mode 0644). Refuses a
 * name that fails ac_toolchain_name_ok with -EINVAL. Returns 0 or -errno. */
int ac_toolchain_write_file(const char *dir, const char *name, const void *data,
                            size_t size);

/* Writes a file of the toolchain's own (name starts with '.', no '/')
 * into dir, like ac_toolchain_write_file. Returns 0 or -errno (-EINVAL
 * for another name). */
int ac_toolchain_write_scratch(const char *dir, const char *name, const void *data,
                               size_t size);

/* The file of job->files called name, or NULL. */
const struct ac_file *ac_toolchain_find_file(const struct ac_job *job, const char *name);

/* Writes the candidate into job->scratch_dir as input_name, and every
 * entry of job->files under its own name. A refused name (see
 * ac_toolchain_name_ok, or a file named like the input) sets r->outcome =
 * AC_BUILD_ERROR with r->message naming it and returns -EINVAL; other
 * failures return -errno. */
int ac_toolchain_write_job(const struct ac_job *job, const char *input_name,
                           struct ac_result *r);

/* --- running tools --------------------------------------------------- */

/* One sandboxed tool invocation. Zero means the default. */
struct ac_tool_run {
	const char *dir;            /* working directory: the job's scratch_dir */
	char *const *argv;          /* argv[0] is looked up in the sandbox's PATH */
	char *const *env;           /* extra NAME=VALUE entries, NULL-terminated; may be NULL */
	double timeout_s;           /* <= 0: AC_TOOL_TIMEOUT_S */
	size_t mem_bytes;           /* RLIMIT_AS; 0: the sandbox's default (8 GiB) */
	const atomic_int *cancel;   /* the job's cancel flag; may be NULL */
};

/* Runs t->argv in the sandbox and appends to r->log the command line
 * ("$ gcc -O3 -c input.c -o .ac_candidate.o"), everything it printed, and
 * a line saying how it ended unless it exited 0. *ok is true when it
 * exited 0. Returns 0 when the tool ran (whatever its status), -ENOENT
 * when it is not installed (also logged), -ECANCELED when the job was
 * cancelled (*ok false), or another -errno. */
int ac_toolchain_run(const struct ac_tool_run *t, struct ac_result *r, bool *ok);

/* Like ac_toolchain_run, but hands the tool's output (stdout and stderr,
 * NUL-terminated, capped at 16 MiB) to the caller in *output instead of
 * logging it; the command line is still logged, and so is the output when
 * the tool fails. The caller frees *output (NULL on a negative return). */
int ac_toolchain_capture(const struct ac_tool_run *t, struct ac_result *r, bool *ok,
                         char **output, size_t *output_len);

/* One build step: runs a's command line in job's scratch directory
 * (ac_toolchain_run, with the job's cancel flag), then frees a. timeout_s
 * <= 0: AC_TOOL_TIMEOUT_S. Returns as ac_toolchain_run, or -ENOMEM when a
 * ran out of memory while it was built (*ok false). */
int ac_toolchain_step(const struct ac_job *job, struct ac_argv *a, double timeout_s,
                      struct ac_result *r, bool *ok);

/* Appends "-c src -o obj" to a (a compiler's command line so far) and
 * runs it as ac_toolchain_step, which frees a. Returns as
 * ac_toolchain_step. */
int ac_toolchain_compile(const struct ac_job *job, struct ac_argv *a, const char *src,
                         const char *obj, double timeout_s, struct ac_result *r, bool *ok);

/* Appends "-I DIR" for the harness headers (ac_target_include_dir). */
void ac_toolchain_add_include(struct ac_argv *a);

/* The host C compiler's command line: opts->cc when set (opts may be
 * NULL), else $CC, else "cc". Not a copy: valid as long as opts and the
 * environment. */
const char *ac_toolchain_cc(const struct ac_target_opts *opts);

/* --- a build's opening and close ------------------------------------- */

/* The opening every compiled target's build shares: r's verdict reset
 * (AC_PENDING, no time), the harness t->harness_name checked among
 * job->files (when t names one), and the sources written into the scratch
 * directory (ac_toolchain_write_job, the candidate as t->input_name).
 * Returns 0 with *ok true: go on; 0 with *ok false: r is a build error
 * ("no harness.c", a refused file name); -errno with *ok false: r is the
 * build error "cannot write the sources". The build returns what this
 * returns unless *ok. */
int ac_toolchain_begin(const struct ac_job *job, const struct ac_target *t,
                       struct ac_result *r, bool *ok);

/* Marks r a build error with message; returns rc, which the build passes
 * up (0 for an ordinary build error). */
int ac_build_error(struct ac_result *r, int rc, const char *message);

/* Marks r built: AC_OK, no message. Returns 0, the build's return. */
int ac_build_ok(struct ac_result *r);

#endif
