/*
 * expr.h - the integer expressions of a call's description: the length
 * of a buffer ("M*K", "n + 1", "(n/2)*m"), the bound of an array
 * parameter as its author declared it (double A[ni][nj + 1]), a range's
 * end ("n-1").
 *
 * A small subset of C's integer expressions: decimal and hexadecimal
 * literals (with C's u and l suffixes), names, + - * / %, unary minus and
 * parentheses. Values are 64-bit and checked: an overflow, a division by
 * zero or a name without a value is an error in words, never a wrong
 * number. Pure: no I/O.
 *
 *     struct ac_expr *e;
 *     ac_expr_parse("M*K", &e, why, sizeof why)        -EINVAL: why says where
 *     ac_expr_eval(e, lookup, arg, &v, why, sizeof why)
 *     ac_expr_print(e, out)                            "M * K", for C code
 *     ac_expr_free(e)
 */
#ifndef AC_EXPR_H
#define AC_EXPR_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct ac_expr;

/* Parses text. Returns 0 with *out the caller's (free with ac_expr_free),
 * -EINVAL with why naming what is wrong ("expected a name, a number or
 * '(' at \"*K\""), or -ENOMEM. */
int ac_expr_parse(const char *text, struct ac_expr **out, char *why, size_t whylen);

/* Frees an expression; accepts NULL. */
void ac_expr_free(struct ac_expr *e);

/* The value of a name: 0 and *v, or -ENOENT when it has none. */
typedef int (*ac_expr_lookup)(void *arg, const char *name, int64_t *v);

/* Evaluates e with the names' values from lookup. Returns 0 and *v;
 * -ENOENT when a name has no value (why: "n is not an integer parameter");
 * -ERANGE on an overflow of 64 bits; -EDOM on a division by zero. */
int ac_expr_eval(const struct ac_expr *e, ac_expr_lookup lookup, void *arg, int64_t *v,
                 char *why, size_t whylen);

/* The names e uses, each once, in order of appearance: returns how many,
 * and points names[0..n) (up to max) into e (valid while e lives). */
int ac_expr_names(const struct ac_expr *e, const char **names, int max);

/* Writes e as a C expression over names of the same spelling, with
 * parentheses only where C needs them ("M * K", "(n + 1) * m"). */
void ac_expr_print(const struct ac_expr *e, FILE *out);

/* True when a and b are the same expression (same tree). */
int ac_expr_same(const struct ac_expr *a, const struct ac_expr *b);

/* If e is X * X for one subexpression X (a square matrix's "n*n"), returns
 * X (inside e), else NULL. */
const struct ac_expr *ac_expr_square_root(const struct ac_expr *e);

#endif
