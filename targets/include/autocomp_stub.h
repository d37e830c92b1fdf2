/*
 * autocomp_stub.h - what the generated stubs (.ac_stubs.c) and the judge
 * (autocomp_judge.h, in the harness's translation unit) share.
 *
 * The stubs live in a translation unit of their own that includes the
 * input itself (its functions renamed out of the way), so a stub's scalar
 * parameters have the input's own types (DATA_TYPE, size_t, enum mode...)
 * whatever the harness declares, and every pointer or array parameter,
 * whatever its shape (double A[n][m], float (*B)[N], struct args *), is an
 * address: void *. A stub describes its arguments with these structs and
 * calls the judge through ac__j_stub_ext, which the judge's translation
 * unit defines.
 */
#ifndef AUTOCOMP_STUB_H
#define AUTOCOMP_STUB_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* One forwarded argument, as the stub describes it. */
struct ac__farg {
	const char *name;   /* the parameter's name in the input */
	int cls;            /* __builtin_classify_type: 1-4 integers, 5 pointer, 8 real */
	int size;
	uint64_t bits;
};

/* One function the input defines. */
struct ac__jfn {
	const char *name;
	unsigned index;     /* in the worker's table */
};

/* The judge's entry (autocomp_judge.h): forwards one call, returns the
 * return value's bits. ref calls the reference with the typed arguments
 * in argstruct. */
uint64_t ac__j_stub_ext(const struct ac__jfn *fn, const struct ac__farg *args, int nargs,
                        int ret_cls, int ret_size, void *argstruct, size_t argsize,
                        void (*ref)(const void *args, void *ret));

/* How a value travels: integers and pointers of up to 8 bytes, float,
 * double. */
#define AC__FWD_OK(x) ((__builtin_classify_type(x) >= 1 && __builtin_classify_type(x) <= 5 && \
                        sizeof(x) <= 8) ||                                                    \
                       (__builtin_classify_type(x) == 8 && (sizeof(x) == 4 || sizeof(x) == 8)))
/* Its wire class (autocomp_wire.h): 1 integer, 2 float, 3 double. */
#define AC__WCLS(x) (__builtin_classify_type(x) == 8 ? (sizeof(x) == 4 ? 2 : 3) : 1)

static inline uint64_t ac__fbits(const void *p, size_t n)
{
	uint64_t b = 0;

	memcpy(&b, p, n);
	return b;
}

/* Its bits: a float's as they are, an integer's or a pointer's value. */
#define AC__BITS(x) __builtin_choose_expr(__builtin_classify_type(x) == 8, \
	ac__fbits(&(x), sizeof(x)), (uint64_t)(uintptr_t)(x))

#endif
