/*
 * judge.h - the stubs that put a candidate in its own process.
 *
 * The cpu target's judge (./candidate) is the harness compiled with a stub
 * for every function the input defines; each stub forwards its call to the
 * candidate's process (./candidate.worker), which is the candidate's object
 * linked with a table of the same functions. Both files are generated here
 * from the prototypes the compiler itself states for the input (gcc
 * -aux-info), never from a parser of our own. The run-time halves are
 * targets/include/autocomp_judge.h and autocomp_worker.h.
 *
 * Calling sequence:
 *
 *     cc -fsyntax-only -aux-info .ac_protos.aux .ac_reference.c
 *     ac_protos_parse(aux, ".ac_reference.c", &p, why, sizeof why)  refuses
 *         what cannot be forwarded, naming function and parameter
 *     ac_judge_source(&p, "harness.c")   -> .ac_judge.c  (harness + stubs)
 *     ac_worker_source(&p)               -> .ac_worker.c (function table)
 *     ac_protos_free(&p)
 *
 * Pure functions: no files, no processes.
 *
 * Folder targets/judge/ owns the judge's parts on this side: the stub
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
	char *ret;                              /* "void", "float", "int *" */
	int line;                               /* in the input */
	int nparams;
	char *ptype[AC_PROTO_MAXPARAMS];        /* "const float *" */
	char *pname[AC_PROTO_MAXPARAMS];        /* "A" */
	bool pconst[AC_PROTO_MAXPARAMS];        /* a pointer to const: read-only for the candidate */
};

struct ac_protos {
	struct ac_proto *v;
	int n;
};

/* Reads gcc -aux-info output and keeps the global functions defined in
 * src (static ones and declarations from headers are left out). Returns 0,
 * -EINVAL with why set to one line naming the function and the parameter
 * the judge cannot forward ("gemm: parameter p is a struct passed by
 * value..."), or when src defines no global function, or -ENOMEM. out is
 * the caller's on success: free with ac_protos_free. */
int ac_protos_parse(const char *aux, const char *src, struct ac_protos *out, char *why,
                    size_t whylen);

/* Frees what ac_protos_parse made; accepts NULL and an empty struct. */
void ac_protos_free(struct ac_protos *p);

/* The judge's translation unit: AC_JUDGE, the harness (#include "harness"),
 * then a stub per function. Malloc'd (the caller frees), NULL on OOM. */
char *ac_judge_source(const struct ac_protos *p, const char *harness);

/* The worker's translation unit: the function table and the worker's
 * main (autocomp_worker.h). Malloc'd, NULL on OOM. */
char *ac_worker_source(const struct ac_protos *p);

#endif
