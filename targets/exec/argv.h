/*
 * argv.h - the targets' one list of strings: a growable argument vector
 * for the command lines they build (compiler steps, nm, objcopy,
 * evaluators), which sorted is also the set of names the symbol check
 * reads (a runtime's exports, the input's functions).
 *
 * Calling sequence:
 *
 *     struct ac_argv a = { 0 };
 *     ac_argv_add_split(&a, cc);            "gcc -m64" gives two words
 *     ac_argv_add(&a, "-c");
 *     ac_argv_addf(&a, "-D%s=ref_%s", n, n);
 *     if (a.oom) ... -ENOMEM
 *     ... run a.v ...
 *     ac_argv_free(&a);
 *
 * An allocation failure is remembered, not returned, so a command line is
 * built without a check after every word; the caller checks oom once,
 * before it uses v.
 *
 * As a set of names:
 *
 *     ac_argv_addn(&a, name, len);  ...      in any order, duplicates too
 *     ac_argv_sort(&a);                      sorted, each name once
 *     if (ac_argv_find(&a, "memcpy") >= 0) ...
 */
#ifndef AC_ARGV_H
#define AC_ARGV_H

#include <stdbool.h>
#include <stddef.h>

/* A growable, NULL-terminated argv. Start from { 0 }; v is NULL until the
 * first add, and after it v[n] is NULL. On allocation failure `oom` is set
 * and further adds do nothing: check oom before using v (nothing else
 * does). The vector owns its strings. */
struct ac_argv {
	char **v;
	size_t n;
	size_t cap;
	bool oom;
};

/* Appends a copy of s (s NULL sets oom). */
void ac_argv_add(struct ac_argv *a, const char *s);

/* Appends a copy of the n bytes at s. */
void ac_argv_addn(struct ac_argv *a, const char *s, size_t n);

/* Appends a printf-formatted argument. */
void ac_argv_addf(struct ac_argv *a, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Appends each whitespace-separated word of words (no shell quoting:
 * "-O3 -march=native" gives two arguments); NULL adds nothing. */
void ac_argv_add_split(struct ac_argv *a, const char *words);

/* Sorts the strings (strcmp order) and drops repeats: a set of names. */
void ac_argv_sort(struct ac_argv *a);

/* The index of s in a sorted vector (ac_argv_sort), or -1; a may be NULL. */
long ac_argv_find(const struct ac_argv *a, const char *s);

/* Frees the strings and the vector and zeroes *a; accepts NULL. */
void ac_argv_free(struct ac_argv *a);

#endif
