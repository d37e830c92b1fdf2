/*
 * calldesc.h - config.json's "call": the description of the call a
 * generated harness makes, read from JSON into the typed struct ac_call
 * (targets/harness/harness.h), strictly, as config.c reads every key.
 *
 *     "call": {
 *       "function": "saxpy",                      optional: the input's only,
 *                                                 else its last, function
 *       "args": {
 *         "n": 1000000,                           an integer or float parameter
 *         "a": 2.5,
 *         "x": "n",                               a pointer: its length ...
 *         "y": {"length": "n",                    ... or an object:
 *               "access": "both",                 "read", "write", "both"
 *               "range": [-1, 1],                 numbers, or expressions ("n-1")
 *               "values": "nonzero",              uniform, nonzero, sorted,
 *                                                 permutation, diagonally
 *                                                 dominant, positive definite
 *               "tolerance": 1e-5}                a number, or {"rtol": .., "atol": ..}
 *       },
 *       "reduction": "n",                         the default tolerance's length
 *       "tolerance": {"rtol": 1e-4, "atol": 1e-6} for every checked buffer
 *     }
 *
 * What needs the input (does "x" exist? is "n" an integer?) is checked
 * by targets/harness/ against the prototype; this checks the shape.
 */
#ifndef AC_CALLDESC_H
#define AC_CALLDESC_H

#include <stddef.h>

#include "targets/harness/harness.h"

struct cJSON;

/* Reads the value of "call". Returns 0 with *out filled (free with
 * ac_call_clear), or -EINVAL with err saying what and where
 * ("config.json: \"call\": \"args\": y: \"access\" must be \"read\",
 * \"write\" or \"both\""), or -ENOMEM. */
int calldesc_parse(const struct cJSON *v, struct ac_call *out, char *err, size_t errlen);

/* The same from JSON text (what struct ac_config keeps). */
int calldesc_parse_text(const char *text, struct ac_call *out, char *err, size_t errlen);

#endif
