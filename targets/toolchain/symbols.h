/*
 * symbols.h - what the compiled targets learn from, and do to, the
 * symbols of an object with nm, objcopy and readelf: the reference's
 * globals renamed ref_NAME (two ways, see below), the names a runtime
 * library exports, and the check of what a candidate's object may define
 * (symcheck.h holds the rules; this runs the tools that feed them).
 *
 * Two ways to rename the reference's globals, chosen in the reference's
 * build callback (refcache.h):
 *  - objcopy (C): compile normally, then ac_symbols_rename_object() -
 *    `nm --defined-only -g` lists every defined global (functions and data)
 *    and `objcopy --redefine-syms` renames each NAME to ref_NAME.
 *  - macros (C++, CUDA, where symbols are mangled): compile once, ask
 *    ac_symbols_global_names() for the demangled base names, then
 *    compile again with -DNAME=ref_NAME for each.
 *
 * Every tool runs through toolchain.h (sandboxed, in the given directory).
 */
#ifndef AC_SYMBOLS_H
#define AC_SYMBOLS_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>

#include "targets/judge/symcheck.h"
#include "targets/target.h"

/* The objcopy renaming, for C-like objects: lists the defined global
 * symbols of dir/raw_obj with `nm --defined-only -g` (functions and data)
 * and writes dir/out_obj with each NAME renamed ref_NAME by `objcopy
 * --redefine-syms`. Both tools run sandboxed and are logged into r.
 * *ok false when a tool failed. Returns 0 or -errno. */
int ac_symbols_rename_object(const char *dir, const char *raw_obj, const char *out_obj,
                               const atomic_int *cancel, struct ac_result *r, bool *ok);

/* The macro renaming's input, for C++ and CUDA objects: the base names of
 * the defined global functions and variables of dir/obj, from
 * `nm -C --defined-only -g`: "void ns::gemm<float>(int, float const*)"
 * gives "gemm". Compiler-generated names (starting with "_" and an
 * uppercase letter or "__", e.g. the host-side launch wrappers nvcc emits and
 * __cudaRegisterLinkedBinary_, _GLOBAL__sub_I_), "main", operators,
 * vtables and other names with spaces are left out; duplicates once.
 * Recompile the reference with -DNAME=ref_NAME for each name.
 * *names is a sorted set the caller owns: free it with ac_argv_free.
 * Returns 0 (with *ok true), or 0 with *ok false when nm failed (logged),
 * or -errno (*names empty). */
int ac_symbols_global_names(const char *dir, const char *obj, const atomic_int *cancel,
                            struct ac_result *r, bool *ok, struct ac_argv *names);

/* Adds to *out the names the libraries export, for ac_symcheck: each of
 * libs is a path, or a name the compiler cc finds (cc -print-file-name);
 * shared objects are read with `nm -D --defined-only`, archives with
 * `nm --defined-only -g`, run in job->scratch_dir and not logged. A
 * library that cannot be found or read is left out. Sorts *out. */
void ac_symbols_runtime_names(const struct ac_job *job, const char *cc,
                                const char *const *libs, struct ac_argv *out);

/* The names a target's runtime exports, listed once per process (by the
 * target, with ac_symbols_runtime_names) and shared by all its builds.
 * A static one starts as AC_RUNTIME_NAMES_INIT; lock guards names and
 * listed. */
struct ac_runtime_names {
	pthread_mutex_t lock;
	struct ac_argv names;
	bool listed;      /* names holds the list; until then a target may retry */
};

#define AC_RUNTIME_NAMES_INIT { PTHREAD_MUTEX_INITIALIZER, { 0 }, false }

/* The candidate's object, as every compiled target names it in the
 * scratch directory. */
#define AC_CANDIDATE_OBJ ".ac_candidate.o"

/* Checks what AC_CANDIDATE_OBJ in job->scratch_dir defines (symcheck.h):
 * `nm -P` and `readelf -SW` of it (their command lines logged into r),
 * then ac_symcheck_ex against rt->names, read under rt->lock.
 * runtime_words says whose names they are in a refusal ("the C, C++ or
 * CUDA runtime"; NULL: "the C library"). init_entries, when not NULL,
 * tells from the nm output how many .init_array entries the compiler's
 * own constructors account for (nvcc's kernel registration); NULL: none
 * may be there.
 * Returns 0 with *ok true when the object may be linked; 0 with *ok false,
 * r->outcome = AC_BUILD_ERROR and r->message the refusal in words (also
 * logged as "refused: ...") when it may not; 0 with *ok false and the
 * outcome untouched when a tool failed (its output logged); else -errno
 * with *ok false. With only (the input's function names, sorted), the
 * object must define each of them and every other global it defines is
 * made local in place (ac_symcheck_only). */
int ac_check_candidate(const struct ac_job *job, struct ac_runtime_names *rt,
                       const char *runtime_words,
                       unsigned long (*init_entries)(const char *nm_out),
                       const struct ac_argv *only, struct ac_result *r, bool *ok);

/* Runs `objcopy --keep-global-symbols` on dir/in into dir/out: only the
 * names in keep (sorted or not) stay global defined symbols, every other
 * definition becomes local (undefined references are untouched). *ok
 * false when objcopy failed (logged). Returns 0 or -errno. */
int ac_symbols_keep_globals(const char *dir, const struct ac_argv *keep, const char *in,
                              const char *out, const atomic_int *cancel, struct ac_result *r,
                              bool *ok);

#endif
