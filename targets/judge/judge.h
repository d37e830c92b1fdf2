/*
 * judge.h - the generated sources that put a candidate in its own process.
 *
 * The cpu target builds, once per run, a judge (./candidate: the harness,
 * a stub for every function the input defines, the reference) and a
 * trusted loader (./candidate.worker); per candidate only the candidate's
 * shared object (candidate.so). A stub forwards its call to the loader's
 * process, which has the candidate loaded. The sources are generated here
 * from the prototypes the compiler itself states for the input (gcc
 * -aux-info), never from a parser of C of our own. The run-time halves are
 * targets/include/autocomp_judge.h, autocomp_stub.h and autocomp_worker.h.
 *
 * A pointer or array parameter of any shape (double A[n][m] is printed
 * double (*A)[], const float A[N][N] const float (*A)[128], a struct
 * holding pointers, a table of row pointers) is an address: the stub takes
 * it as void *, since every buffer the harness allocated is mapped in the
 * candidate's process at its address. A scalar keeps the input's own type
 * (DATA_TYPE, size_t, an enum): the stubs' translation unit includes the
 * input, its functions renamed out of the way, so those names mean there
 * what they mean in the input. What cannot travel is refused, naming the
 * function and the parameter: a function pointer, varargs, a struct or
 * union by value (by its keyword here; through a typedef by a static
 * assertion in the stub), a long double or complex value.
 *
 * Calling sequence:
 *
 *     cc -fsyntax-only -aux-info .ac_protos.aux .ac_reference.c
 *     ac_protos_parse(aux, ".ac_reference.c", &p, why, sizeof why)  refuses
 *         what cannot be forwarded, naming function and parameter
 *     ac_stubs_source(&p, ".ac_reference.c") -> .ac_stubs.c  (input + stubs)
 *     ac_judge_source("harness.c")          -> .ac_judge.c  (the harness, judged)
 *     ac_worker_source(&p)                  -> .ac_worker.c (the loader's names)
 *     ac_protos_keep(&p)                    -> the stubs' symbols to keep global
 *     ac_protos_free(&p)
 *
 * Pure functions: no files, no processes.
 *
 * Folder targets/judge/ owns the judge's parts on this side: the source
 * generator (judge.c), what a candidate's object may define (symcheck.c)
 * and reading a harness's report (report.c); the run-time halves are the
 * headers in targets/include/. It may call only targets/exec/.
 */
#ifndef AC_JUDGE_H
#define AC_JUDGE_H

#include <stdbool.h>
#include <stddef.h>

#define AC_PROTO_MAXPARAMS 30

/* One function the input defines, as the compiler printed it. */
struct ac_proto {
	char *name;
	char *ret;                              /* "void", "float", "DATA_TYPE", "void *" */
	int line;                               /* in the input */
	int nparams;
	char *ptype[AC_PROTO_MAXPARAMS];        /* "void *" for an address, else the scalar type */
	char *pname[AC_PROTO_MAXPARAMS];        /* "A" */
	bool paddr[AC_PROTO_MAXPARAMS];         /* a pointer or array: an address */
	char *pdecl[AC_PROTO_MAXPARAMS];        /* as printed: "double (*A)[]" */
};

struct ac_protos {
	struct ac_proto *v;
	int n;
};

/* Reads gcc -aux-info output and keeps the global functions defined in
 * src (static ones and declarations from headers are left out). Returns 0,
 * -EINVAL with why set to one line naming the function and the parameter
 * the judge cannot forward ("gemm: parameter cb (void (*cb)(int)) is a
 * function pointer: ..."), or when src defines no global function, or
 * -ENOMEM. out is the caller's on success: free with ac_protos_free. */
int ac_protos_parse(const char *aux, const char *src, struct ac_protos *out, char *why,
                    size_t whylen);

/* Frees what ac_protos_parse made; accepts NULL and an empty struct. */
void ac_protos_free(struct ac_protos *p);

/* The stubs' translation unit: the input (#include "input"), its
 * functions renamed ac__in_NAME, then a stub per function named NAME and
 * a declaration of ref_NAME with the stub's parameter types. Malloc'd
 * (the caller frees), NULL on OOM. */
char *ac_stubs_source(const struct ac_protos *p, const char *input);

/* The judge's translation unit: AC_JUDGE and the harness. Malloc'd, NULL
 * on OOM. */
char *ac_judge_source(const char *harness);

/* The loader's translation unit: the input's function names (an index of
 * the wire's CALL is a position here) and autocomp_worker.h. Malloc'd,
 * NULL on OOM. */
char *ac_worker_source(const struct ac_protos *p);

/* The names the stubs' object keeps global (one per line, for objcopy
 * --keep-global-symbols): the stubs; the input's own copy in that
 * object becomes local. Malloc'd, NULL on OOM. */
char *ac_protos_keep(const struct ac_protos *p);

#endif
