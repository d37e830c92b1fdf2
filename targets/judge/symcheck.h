/*
 * symcheck.h - what a candidate's object may define.
 *
 * Only functions and data of its own: no constructors or destructors (no
 * .init_array, .fini_array, .preinit_array, .ctors, .dtors, .init or .fini
 * section, whatever its name), no IFUNC, and no definition of a symbol
 * that the harness library (ac_*), the program (main, _start...) or the C
 * runtime (every name libc and libm export) provides: such a definition
 * would interpose on code the candidate's process runs besides the
 * candidate. A refusal is a build error whose reason names the symbol, so
 * the model that wrote the code learns what to change.
 *
 * Pure functions over the text of `nm -P` and `readelf -SW`, plus one that
 * lists the runtime's names with `nm -D`.
 */
#ifndef AC_SYMCHECK_H
#define AC_SYMCHECK_H

#include <stddef.h>

#include "targets/exec/argv.h"

/* Adds every defined dynamic symbol of `nm -D --defined-only` output
 * (versions after '@' dropped) to the set names. Returns 0 or -ENOMEM.
 * Sort it (ac_argv_sort) before looking anything up. */
int ac_symcheck_add_dynamic(struct ac_argv *names, const char *nm_out);

/* Checks a candidate object: nm_out is `nm -P` of it, sections is
 * `readelf -SW` of it, runtime the C runtime's names (sorted; may be
 * NULL).
 * Returns 0 when it may be linked, -EPERM with why set to one sentence
 * ("the candidate defines clock_gettime, which the C library provides:
 * make it static or rename it"), or -EINVAL when the text is not nm
 * output. */
int ac_symcheck(const char *nm_out, const char *sections, const struct ac_argv *runtime,
                char *why, size_t whylen);

/* ac_symcheck for objects whose compiler emits constructors of its own
 * (nvcc registers the object's kernels with the CUDA runtime from one
 * .init_array entry): up to init_entries entries of .init_array pass,
 * nothing more; runtime_label names the runtime in a refusal ("the C
 * library", NULL for that). */
int ac_symcheck_ex(const char *nm_out, const char *sections, const struct ac_argv *runtime,
                   const char *runtime_label, unsigned long init_entries, char *why,
                   size_t whylen);

/* The candidate may define as globals only the input's functions (only,
 * sorted), and must define each of them as a function: -EPERM with why
 * naming the first one missing. Every other global it defines (a helper
 * left non-static, a table) is added to *extra, sorted, for the caller to
 * make local (objcopy --localize-symbols), so that the object as linked
 * defines nothing else. nm_out is `nm -P` of the object. Returns 0,
 * -EPERM, -EINVAL (no text, or more than 256 names) or -ENOMEM. */
int ac_symcheck_only(const char *nm_out, const struct ac_argv *only, struct ac_argv *extra,
                     char *why, size_t whylen);

#endif
