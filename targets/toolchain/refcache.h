/*
 * refcache.h - objects built once per run and shared by all its
 * candidates: the *reference* (the run's original input compiled with
 * every global renamed ref_NAME, so that a harness can call both gemm, the
 * candidate, and ref_gemm, the original, in one program; symbols.h does
 * the renaming) and whatever else is the same for every candidate (a
 * compiled harness, the judge, generated prototypes). They are cached in
 * job->run_dir.
 *
 * A target's build typically reads:
 *
 *     ac_toolchain_write_job(job, "input.c", r)          sources in place
 *     ac_refcache_object(job, &harness_spec, r, &ok)
 *         !ok -> AC_BUILD_ERROR "harness does not compile"
 *     ac_refcache_reference(job, &spec, r, &ok)         cached ref object
 *         !ok -> AC_BUILD_ERROR "input does not compile"
 *     ac_toolchain_run(... candidate ...), ac_toolchain_run(... link ...)
 *
 * Scratch file names that start with '.' belong to the toolchain
 * (".ac_reference.o"); user files may not start with '.', so they never
 * collide.
 */
#ifndef AC_REFCACHE_H
#define AC_REFCACHE_H

#include <stdbool.h>

#include "targets/target.h"

struct ac_ref_spec;

/* Builds a cached object: for ac_refcache_reference, job->reference has
 * been written into job->scratch_dir as spec->src_name. The callback must
 * leave the object there as spec->obj_name and set *ok (false: it does
 * not compile; the output is in r->log). Returns 0 or -errno. */
typedef int (*ac_ref_build_fn)(const struct ac_job *job, const struct ac_ref_spec *spec,
                               struct ac_result *r, bool *ok);

struct ac_ref_spec {
	const char *src_name;   /* e.g. ".ac_reference.c", where job->reference is
	                           written (must start with '.'); NULL for
	                           ac_refcache_object: write nothing */
	const char *obj_name;   /* e.g. ".ac_reference.o": must start with '.' */
	const char *key;        /* whatever else the object depends on (compiler,
	                           flags, arch), mixed into the cache key; may be NULL */
	ac_ref_build_fn build;
	void *arg;              /* for the callback */
	const char *what;       /* for the log: "harness"; NULL: "reference" */
};

/* Leaves the reference object in job->scratch_dir as spec->obj_name and
 * sets *ok: writes job->reference as spec->src_name, then as
 * ac_refcache_object. -EINVAL without a src_name. */
int ac_refcache_reference(const struct ac_job *job, const struct ac_ref_spec *spec,
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
 * The compiler's words about the reference (".ac_reference.c:8:5: error")
 * are logged as about the input ("input.c:8:5: error").
 * Without job->run_dir it just builds. Returns 0 or -errno (-ECANCELED
 * when the job is cancelled while waiting for the lock; -EINVAL for a bad
 * spec). */
int ac_refcache_object(const struct ac_job *job, const struct ac_ref_spec *spec,
                               struct ac_result *r, bool *ok);

#endif
