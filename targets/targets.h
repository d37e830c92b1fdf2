/*
 * targets.h - the targets this build knows, and where their harness header
 * lives.
 *
 * Each target module defines one `const struct ac_target`; the registry in
 * target.c lists them. Every one is always linked: the declarations are
 * plain (not weak), since the linker never pulls an object out of a static
 * library (libactargets.a) to satisfy a weak reference.
 */
#ifndef AC_TARGETS_H
#define AC_TARGETS_H

#include "targets/target.h"

extern const struct ac_target ac_target_cpu;
extern const struct ac_target ac_target_cuda;
extern const struct ac_target ac_target_opencl;
extern const struct ac_target ac_target_command;

/* The directory holding autocomp.h (the harness library), for -I: the
 * environment's AUTOCOMP_INCLUDE_DIR if set, else the source tree's
 * targets/include, else the installed DATADIR/autocompfs/include when the
 * source tree is gone. Never NULL; the string is static or the
 * environment's (do not free, do not keep across setenv). */
const char *ac_target_include_dir(void);

#endif
