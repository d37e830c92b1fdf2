/*
 * targets.h - the targets this build knows.
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


#endif
