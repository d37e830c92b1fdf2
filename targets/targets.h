/*
 * targets.h - the targets this build knows, and where their harness header
 * lives.
 *
 * Each target module defines one `const struct ac_target`; the registry in
 * target.c lists them.
 *
 * While the cuda, opencl and command modules were being written they were
 * declared weak, so the tree linked without them (a weak reference nothing
 * defines is NULL, and the registry skips NULL entries). Building with
 * -DAC_TARGETS_WEAK still does that. It is not the default because the
 * linker never pulls an object out of a static library (libactargets.a) to
 * satisfy a weak reference: with weak declarations the daemon would list
 * only the cpu target even though the others are in the library.
 */
#ifndef AC_TARGETS_H
#define AC_TARGETS_H

#include "targets/target.h"

#ifdef AC_TARGETS_WEAK
#define AC_TARGET_OPTIONAL __attribute__((weak))
#else
#define AC_TARGET_OPTIONAL
#endif

extern const struct ac_target ac_target_cpu;
extern const struct ac_target ac_target_cuda AC_TARGET_OPTIONAL;
extern const struct ac_target ac_target_opencl AC_TARGET_OPTIONAL;
extern const struct ac_target ac_target_command AC_TARGET_OPTIONAL;

/* The directory holding autocomp.h (the harness library), for -I: the
 * environment's AUTOCOMP_INCLUDE_DIR if set, else the source tree's
 * targets/include, else the installed DATADIR/autocompfs/include when the
 * source tree is gone. Never NULL; the string is static or the
 * environment's (do not free, do not keep across setenv). */
const char *ac_target_include_dir(void);

#endif
