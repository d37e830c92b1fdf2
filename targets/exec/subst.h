/*
 * subst.h - words replaced inside the arguments of a command line: the
 * command target's placeholders ("{candidate}", "{dir}") and the node
 * program's move of a run from the daemon's scratch directory to its own.
 */
#ifndef AC_SUBST_H
#define AC_SUBST_H

#include <stddef.h>

/* A copy of s with every occurrence of from[i] replaced by to[i], for the
 * n pairs. s is read once from the left; at each place the first pair
 * whose from matches there wins, and what is put in is not read again.
 * An empty from never matches. Returns a malloc'd string the caller
 * frees, or NULL when out of memory. */
char *ac_subst(const char *s, size_t n, const char *const from[], const char *const to[]);

#endif
