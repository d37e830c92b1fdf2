/*
 * toolchain.h - what every compiled target (cpu, cuda, opencl) needs to
 * build a candidate: write the job's files into the scratch directory, run
 * compiler steps in the sandbox with their command lines and output going
 * into the result's log, and build the *reference* - the run's original
 * input compiled with every global renamed ref_NAME, so that a harness can
 * call both gemm (the candidate) and ref_gemm (the original) in one
 * program. The reference (and the compiled harness) are built once per run
 * and cached in job->run_dir.
 *
 * A target's build typically reads:
 *
 *     ac_toolchain_write_job(job, "input.c", r)          sources in place
 *     ac_toolchain_cached_object(job, &harness_spec, r, &ok)
 *         !ok -> AC_BUILD_ERROR "harness does not compile"
 *     ac_toolchain_reference(job, &spec, r, &ok)         cached ref object
 *         !ok -> AC_BUILD_ERROR "input does not compile"
 *     ac_toolchain_run(... candidate ...), ac_toolchain_run(... link ...)
 *
 * Two ways to rename the reference's globals, chosen in the spec's build
 * callback:
 *  - objcopy (C): compile normally, then ac_toolchain_rename_object() -
 *    `nm --defined-only -g` lists every defined global (functions and data)
 *    and `objcopy --redefine-syms` renames each NAME to ref_NAME.
 *  - macros (C++, CUDA, where symbols are mangled): compile once, ask
 *    ac_toolchain_global_names() for the demangled base names, then
 *    compile again with -DNAME=ref_NAME for each.
 *
 * Every command runs through ac_sandbox_run (own process group, rlimits,
 * clean environment, no network, the sandbox uid when root), in the
 * scratch directory, with file names relative to it. Scratch file names
 * that start with '.' belong to the toolchain (".ac_reference.o"); user
 * files may not start with '.', so they never collide.
 */
#ifndef AC_TOOLCHAIN_H
#define AC_TOOLCHAIN_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "targets/symcheck.h"
#include "targets/target.h"

#define AC_TOOL_TIMEOUT_S 120.0

/* --- argument vectors ----------------------------------------------- */

/* A growable, NULL-terminated argv. Start from { 0 }; v is NULL until the
 * first add. On allocation failure `oom` is set and further adds do
 * nothing; ac_toolchain_run refuses such a vector with -ENOMEM. */
struct ac_argv {
	char **v;
	size_t n;
	size_t cap;
	bool oom;
};

/* Appends a copy of s. */
void ac_argv_add(struct ac_argv *a, const char *s);

/* Appends a printf-formatted argument. */
void ac_argv_addf(struct ac_argv *a, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Appends each whitespace-separated word of words (no shell quoting:
 * "-O3 -march=native" gives two arguments); NULL adds nothing. */
void ac_argv_add_split(struct ac_argv *a, const char *words);

/* Frees the strings and the vector and zeroes *a; accepts NULL. */
void ac_argv_free(struct ac_argv *a);

/* --- files ----------------------------------------------------------- */

/* The one way every target writes a file for a sandboxed command: data
 * into path (relative to dirfd, which may be AT_FDCWD), created or
 * replaced whole, never through a symbolic link, with exactly mode
 * whatever the umask (the daemon runs with umask 077, and the sandbox
 * user must be able to read what a target writes for it). Returns 0 or
 * -errno; on failure the file may be left partly written. */
int ac_write_file(int dirfd, const char *path, const void *data, size_t size, mode_t mode);

/* Makes the directory path (or keeps the one there) with exactly mode,
 * whatever the umask. -ENOTDIR when path is something else (a symbolic
 * link included). Returns 0 or -errno. */
int ac_make_dir(const char *path, mode_t mode);

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

/* Adds to *out the names the libraries export, for ac_symcheck: each of
 * libs is a path, or a name the compiler cc finds (cc -print-file-name);
 * shared objects are read with `nm -D --defined-only`, archives with
 * `nm --defined-only -g`, run in job->scratch_dir and not logged. A
 * library that cannot be found or read is left out. Sorts *out. */
void ac_toolchain_runtime_names(const struct ac_job *job, const char *cc,
                                const char *const *libs, struct ac_names *out);

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

/* --- the reference (and other objects built once per run) ----------- */

struct ac_ref_spec;

/* Builds a cached object: for ac_toolchain_reference, job->reference has
 * been written into job->scratch_dir as spec->src_name. The callback must
 * leave the object there as spec->obj_name and set *ok (false: it does
 * not compile; the output is in r->log). Returns 0 or -errno. */
typedef int (*ac_ref_build_fn)(const struct ac_job *job, const struct ac_ref_spec *spec,
                               struct ac_result *r, bool *ok);

struct ac_ref_spec {
	const char *src_name;   /* e.g. ".ac_reference.c", where job->reference is
	                           written (must start with '.'); NULL for
	                           ac_toolchain_cached_object: write nothing */
	const char *obj_name;   /* e.g. ".ac_reference.o": must start with '.' */
	const char *key;        /* whatever else the object depends on (compiler,
	                           flags, arch), mixed into the cache key; may be NULL */
	ac_ref_build_fn build;
	void *arg;              /* for the callback */
	const char *what;       /* for the log: "harness"; NULL: "reference" */
};

/* Leaves the reference object in job->scratch_dir as spec->obj_name and
 * sets *ok: writes job->reference as spec->src_name, then as
 * ac_toolchain_cached_object. -EINVAL without a src_name. */
int ac_toolchain_reference(const struct ac_job *job, const struct ac_ref_spec *spec,
                           struct ac_result *r, bool *ok);

/* Leaves an object that is the same for every candidate of a run (the
 * reference, a compiled harness) in job->scratch_dir as spec->obj_name and
 * sets *ok. The cache key is a hash of the reference source, every file of
 * job->files (names and contents: the harness or a header can change the
 * object), spec->key and the file names, so a changed input, harness,
 * header or flag builds afresh. With a hit in job->run_dir the object is
 * copied (logged as "# reference: cached (obj-HEX)"); otherwise it is
 * built with spec->build while holding an flock on
 * run_dir/<obj_name without the dot>.lock, so parallel builds of one run
 * build it once, and stored there as obj-HEX (written to a temporary,
 * renamed into place). A failed build is cached too, with its log: every
 * later candidate of the run gets *ok false and the same log at once.
 * Without job->run_dir it just builds. Returns 0 or -errno (-ECANCELED
 * when the job is cancelled while waiting for the lock; -EINVAL for a bad
 * spec). */
int ac_toolchain_cached_object(const struct ac_job *job, const struct ac_ref_spec *spec,
                               struct ac_result *r, bool *ok);

/* The objcopy renaming, for C-like objects: lists the defined global
 * symbols of dir/raw_obj with `nm --defined-only -g` (functions and data)
 * and writes dir/out_obj with each NAME renamed ref_NAME by `objcopy
 * --redefine-syms`. Both tools run sandboxed and are logged into r.
 * *ok false when a tool failed. Returns 0 or -errno. */
int ac_toolchain_rename_object(const char *dir, const char *raw_obj, const char *out_obj,
                               const atomic_int *cancel, struct ac_result *r, bool *ok);

/* The macro renaming's input, for C++ and CUDA objects: the base names of
 * the defined global functions and variables of dir/obj, from
 * `nm -C --defined-only -g`: "void ns::gemm<float>(int, float const*)"
 * gives "gemm". Compiler-generated names (starting with "_" and an
 * uppercase letter or "__", e.g. the host-side launch wrappers nvcc emits and
 * __cudaRegisterLinkedBinary_, _GLOBAL__sub_I_), "main", operators,
 * vtables and other names with spaces are left out; duplicates once.
 * Recompile the reference with -DNAME=ref_NAME for each name.
 * *names is NULL-terminated and owned by the caller: free it with
 * ac_toolchain_names_free. Returns 0 (with *ok true), or 0 with *ok false
 * when nm failed (logged), or -errno (*names NULL). */
int ac_toolchain_global_names(const char *dir, const char *obj, const atomic_int *cancel,
                              struct ac_result *r, bool *ok, char ***names);

/* Frees a list from ac_toolchain_global_names; accepts NULL. */
void ac_toolchain_names_free(char **names);

#endif
