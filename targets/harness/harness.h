/*
 * harness.h - harnesses written by the engine: from the input's own
 * prototypes and a short description of the call (config.json's "call",
 * typed here as struct ac_call), a harness.c in the project's dialect.
 *
 * Calling sequence (engine/describe.c does this before a baseline when
 * the kernel has no harness of its own):
 *
 *     ac_sig_learn(job, &sig, r, &ok)       what the input's functions take,
 *                                           as the compiler says (cc -E, a
 *                                           probe object, nm)
 *     ac_plan_make(&sig, call, &plan, why)  the description checked against
 *                                           the prototype, gaps filled:
 *                                           -EINVAL and why for one that
 *                                           cannot work
 *     if (plan.to_pick || plan.to_probe)
 *         ac_plan_measure(job, &plan, r, &ok)  sizes chosen so that a call
 *                                           takes 1-100 ms, the access of
 *                                           non-const buffers measured
 *     ac_plan_harness(&plan)                harness.c's text
 *     ac_plan_description(&plan)            the "call" object, with comments
 *     ac_plan_free(&plan); ac_sig_free(&sig)
 *
 * ac_plan_guess makes a plan for a kernel the description does not cover
 * yet (lengths guessed and marked so), for the draft a user edits.
 *
 * What a generated harness does (README, "Describing the call"): every
 * input made by ac_fill_* (so the judge can vary it) and ac_protect'ed;
 * outputs poisoned (NaN, or a pattern for integers) for both the
 * reference and the candidate; a buffer read and written (an in-place
 * update) filled once, registered with ac_inout (restored before every
 * timed call) and copied for the reference; the ref_ copy called first;
 * every written buffer (and a returned value) checked before AC_TIME and
 * after it. The tolerance, unless described: exact for integers; for
 * floats rtol = atol = 16 * eps * K, at least 64 * eps and at most 1e-3
 * (float) or 1e-9 (double), K the reduction length ("reduction", else the
 * largest integer argument of the call). A structured fill autocomp.h has
 * no generator for (never-zero integers, a permutation of unsigned
 * indices) is refused, saying what to write instead. A table of row
 * pointers is one ac_alloc block of the rows and a table made by hand
 * (ac_protect'ed), the same in every input set the judge makes.
 *
 * Folder targets/harness/: this (sig.c: the signature; plan.c: the plan
 * and its words; gen.c: the C text; measure.c: the tools it runs) and
 * expr.h (the integer expressions lengths are written in). It may call
 * targets/toolchain/, targets/judge/ and targets/exec/; the targets call
 * none of it (the engine does).
 */
#ifndef AC_HARNESS_H
#define AC_HARNESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "targets/harness/expr.h"
#include "targets/target.h"

/* ---- the description of a call (config.json's "call", typed) ---- */

enum ac_access {
	AC_ACCESS_UNSET = 0,   /* from const: const is read, else measured or written */
	AC_ACCESS_READ,
	AC_ACCESS_WRITE,
	AC_ACCESS_BOTH,
};

enum ac_values {
	AC_VALUES_UNIFORM = 0, /* uniform in the range */
	AC_VALUES_NONZERO,     /* uniform, never near zero (divisors) */
	AC_VALUES_SORTED,      /* ascending */
	AC_VALUES_PERMUTATION, /* 0 .. length-1 in random order (indices) */
	AC_VALUES_DIAGDOM,     /* a square matrix whose diagonal dominates */
	AC_VALUES_SPD,         /* a symmetric positive definite square matrix */
};

/* One parameter the description names. */
struct ac_call_arg {
	char *name;
	bool buffer;           /* described as a buffer (a length or an object) */
	/* a scalar: its value */
	bool has_value;
	double value;
	bool integral;         /* the value was written as a whole number */
	/* a buffer */
	char *length;          /* element count, an expression; NULL: the declared bounds
	                          (a table: the count of each row) */
	char *rows;            /* a table: how many row pointers; NULL: the declared bound */
	enum ac_access access;
	char *lo, *hi;         /* the range of its values, numbers or expressions as
	                          written; NULL: the element type's default */
	enum ac_values values;
	bool has_tol;
	double rtol, atol;
};

struct ac_call {
	char *function;        /* NULL: the input's only (else its last) global function */
	int nargs;
	struct ac_call_arg *args;
	char *reduction;       /* the reduction length for the default tolerance; NULL */
	bool has_tol;          /* a tolerance for every checked buffer */
	double rtol, atol;
};

/* The words "access" and "values" take, for the parser and the messages:
 * the enum's value, or -1 for a word that is none of them. */
int ac_access_parse(const char *word);
const char *ac_access_name(enum ac_access a);
int ac_values_parse(const char *word);
const char *ac_values_name(enum ac_values v);
/* "\"uniform\", \"nonzero\", ..." for a message. */
const char *ac_values_words(void);

/* Checks what can be checked without the input: every expression parses,
 * names are C identifiers, no name twice, a range's low end below its
 * high end. Returns 0, or -EINVAL with why naming the parameter. */
int ac_call_check(const struct ac_call *c, char *why, size_t whylen);

/* Frees what a call holds and zeroes it; accepts NULL. */
void ac_call_clear(struct ac_call *c);

/* ---- the signature: what the input's functions take ---- */

/* The element types autocomp.h fills and checks. */
enum ac_etype {
	AC_ET_NONE = 0,        /* none the library fills (a struct, void, long double) */
	AC_ET_F32, AC_ET_F64,
	AC_ET_I8, AC_ET_I16, AC_ET_I32, AC_ET_I64,
	AC_ET_U8, AC_ET_U16, AC_ET_U32, AC_ET_U64,
	AC_ET_CHAR, AC_ET_BOOL,
};

enum ac_pkind {
	AC_PK_SCALAR,          /* a number passed by value: integer, bool, enum, float, double */
	AC_PK_BUFFER,          /* a pointer to numbers: float *x, double A[n][m], float (*A)[N] */
	AC_PK_TABLE,           /* a table of row pointers: float **rows, double *cols[n] */
	AC_PK_OTHER,           /* anything else (a struct, a function pointer, void *): why says */
};

#define AC_SIG_MAXDIMS 8

struct ac_sig_param {
	char *name;
	char *decl;            /* its declaration as the harness writes it: the author's
	                          text (macros expanded); a bound naming what the
	                          harness cannot see becomes [*] */
	enum ac_pkind kind;
	enum ac_etype etype;   /* the scalar's type, or the buffer's elements' */
	int cls;               /* __builtin_classify_type of the value or element */
	int size;              /* its sizeof */
	bool is_const;         /* a buffer of const elements */
	bool declared;         /* a buffer whose every dimension has a bound the
	                          harness can compute (double A[n][m], const float x[N]);
	                          a table whose row count has one (double *cols[n]) */
	int ndims;             /* array dimensions written after the name */
	char *bound[AC_SIG_MAXDIMS]; /* each as written ("" when left empty) */
	char *why;             /* AC_PK_OTHER: what it is, in words */
};

struct ac_sig_fn {
	char *name;
	char *ret;             /* the return type as written ("void", "int64_t") */
	enum ac_etype ret_etype; /* AC_ET_NONE for void and what the harness cannot check */
	int nparams;
	struct ac_sig_param *params;
};

struct ac_sig {
	int nfn;
	struct ac_sig_fn *fn;  /* the input's global functions, in the order defined */
	char *types;           /* lines the harness needs before the prototypes: the
	                          input's typedefs as the compiler resolves them, and
	                          struct tags ("typedef double DATA_TYPE;\n") */
};

/* Frees a signature and zeroes it; accepts NULL. */
void ac_sig_free(struct ac_sig *s);

/* The function a call names (NULL: the only one, else the last), or NULL
 * when the input defines no function of that name. */
const struct ac_sig_fn *ac_sig_function(const struct ac_sig *s, const char *name);

/* Learns the signature of job->reference (the input): writes it into
 * job->scratch_dir, preprocesses it (cc -E) to read each global
 * function's parameters as written, and compiles a probe that includes
 * it, so the compiler itself says what each type is (sizes, kinds,
 * typedefs resolved) and nm which functions are global. cc and cflags as
 * the cpu target uses them (job->opts). Sets *ok; false means the input
 * does not compile or defines no function (r's message and log say why).
 * Returns 0 or -errno. *out is the caller's when *ok. */
int ac_sig_learn(const struct ac_job *job, struct ac_sig *out, struct ac_result *r, bool *ok);

/* Where the C string or character literal opening at p (a quote) ends:
 * just past its closing quote, or at the newline or the end of text that
 * leaves it unclosed; a backslash escapes the character after it. The one
 * reader of literals: the signature scanner, the engine's code hash and
 * its reply reader all skip them so. */
const char *ac_c_literal_end(const char *p);

/* The pure parts of ac_sig_learn, for tests: scans preprocessed text (the
 * output of cc -E on a file named input) for the functions that file
 * defines, with their parameters' declarations and bounds. 0, -EINVAL
 * (why), -ENOMEM. */
int ac_sig_scan(const char *pre, const char *input, struct ac_sig *out, char *why,
                size_t whylen);
/* The probe translation unit for a scanned signature (malloc'd, NULL on
 * OOM): #includes input and asks the compiler about every type. */
char *ac_sig_probe_source(const struct ac_sig *s, const char *input);
/* Reads `nm -P -S` of the probe's object: keeps the functions nm lists
 * as global definitions and sets every type's facts. 0 or -EINVAL (why). */
int ac_sig_apply_nm(struct ac_sig *s, const char *nm, char *why, size_t whylen);

/* ---- the plan: the call the harness makes ---- */

/* Where a value in the plan came from (the description says so in words). */
enum ac_how {
	AC_HOW_GIVEN = 0,      /* the description */
	AC_HOW_DECLARED,       /* the prototype (a bound, const) */
	AC_HOW_PICKED,         /* an integer the engine sizes (ac_plan_measure) */
	AC_HOW_MEASURED,       /* the access ac_plan_measure observed */
	AC_HOW_DEFAULT,        /* the documented default */
	AC_HOW_GUESS,          /* a guess for the draft: check it */
};

struct ac_plan_arg {
	const struct ac_sig_param *p;
	enum ac_how how;       /* of the value (scalar) or of the length (buffer) */
	/* a scalar */
	int64_t ival;
	double fval;
	/* a buffer */
	struct ac_expr *len;   /* element count (a table: of each row) */
	struct ac_expr *rows;  /* a table: how many rows; NULL otherwise */
	enum ac_how rows_how;
	enum ac_access access;
	enum ac_how access_how;
	enum ac_values values;
	bool has_range;        /* given; else the element type's default */
	struct ac_expr *ilo, *ihi; /* integer elements' range */
	double flo, fhi;       /* float elements' range */
	bool has_tol;
	double rtol, atol;
	int64_t n;             /* the elements' count (ac_plan_eval; a table: all rows') */
};

struct ac_plan {
	const struct ac_sig *sig;
	const struct ac_sig_fn *fn;
	enum ac_how fn_how;    /* given, or the only/last one (default/guess) */
	bool described;        /* made from a description that said something */
	int nargs;             /* fn->nparams */
	struct ac_plan_arg *args;
	struct ac_expr *reduction; /* NULL: the largest integer argument */
	bool has_tol;
	double rtol, atol;
	bool to_pick;          /* some integers are PICKED: ac_plan_measure sizes them */
	bool to_probe;         /* some buffers' access is to be measured */
	int64_t picked;        /* the value the PICKED integers were given (0: none yet) */
	double call_ns;        /* the reference's time at that size (0: unknown) */
	char note[256];        /* how the sizes were chosen, in words ("" before) */
};

/* Makes the plan for call (NULL: an empty description) on sig. Refuses
 * with -EINVAL and why in one line: an unknown function or parameter, a
 * pointer parameter left out whose length the prototype does not say, a
 * length or range that names something other than an integer parameter,
 * a value the parameter's type cannot hold, a structured fill the element
 * type has no generator for, a parameter the engine cannot describe (a
 * struct, a function pointer, void *: write harness.c). A table of row
 * pointers (float **m) is one block of rows x length elements and a table
 * of pointers into it. Integers a length or
 * bound uses and the description leaves out are PICKED; other integers
 * default to 10 (bool: true), floats to 0.5. -ENOMEM. plan keeps pointers into sig. */
int ac_plan_make(const struct ac_sig *sig, const struct ac_call *call, struct ac_plan *out,
                 char *why, size_t whylen);

/* The same, but a pointer parameter whose length nobody says gets a guess
 * (marked AC_HOW_GUESS): the draft of a description for a kernel that
 * ac_plan_make refused for that reason. Other refusals stay refusals. */
int ac_plan_guess(const struct ac_sig *sig, const struct ac_call *call, struct ac_plan *out,
                  char *why, size_t whylen);

/* Evaluates every length (and structured matrix's dimension) with the
 * integers as they are. 0, or -EINVAL with why ("the length of x is 0
 * with n = 0"). */
int ac_plan_eval(struct ac_plan *p, char *why, size_t whylen);

/* The tolerance a buffer's check uses (arg NULL: the returned value's). */
void ac_plan_tolerance(const struct ac_plan *p, const struct ac_plan_arg *arg, double *rtol,
                       double *atol);

/* Runs the measuring program (ac_plan_measure_source) in job->scratch_dir,
 * linked with the input, pinned to the timing core: measures the access
 * of every buffer to probe, and when integers are to be picked, doubles
 * them together from 16 until the input's call takes at least 1 ms
 * (halving back between the last two sizes when it then takes more than
 * 100 ms; stopping at 256 MiB of buffers). Updates p (access, picked
 * integers, call_ns, note). *ok false: the program did not build or run
 * (r says why). Returns 0 or -errno. */
int ac_plan_measure(const struct ac_job *job, struct ac_plan *p, struct ac_result *r, bool *ok);

/* The measuring program's text and the reading of its output (pure, for
 * tests). ac_plan_measure_read returns 0 or -EINVAL (why). */
char *ac_plan_measure_source(const struct ac_plan *p);
int ac_plan_measure_read(struct ac_plan *p, const char *output, char *why, size_t whylen);

/* harness.c for the plan (malloc'd; NULL on OOM). Its header says what
 * it calls and checks, and carries the marker ac_harness_generated finds. */
char *ac_plan_harness(const struct ac_plan *p);

/* Is text a harness (or a draft, ac_mark_draft) this module wrote,
 * unedited? (The marker line holds a hash of what follows it: any edit
 * makes the file the user's.) */
bool ac_harness_generated(const char *text, size_t len);

/* body (a config.json text with comments) with the draft's marker line
 * first. Malloc'd; NULL on OOM. */
char *ac_mark_draft(const char *body);

/* The description of the plan as config.json's "call" value: JSON with
 * // comments saying where each value came from (chosen, measured,
 * default, guess). Each line is indented by indent spaces after the first.
 * Malloc'd, NULL on OOM. */
char *ac_plan_description(const struct ac_plan *p, int indent);

/* The call in one line of words, for logs and prompts:
 * "saxpy(n = 1048576, a = 1.5, x: 1048576 float read, y: 1048576 float read and written)". */
char *ac_plan_words(const struct ac_plan *p);

/* Frees what a plan holds; accepts NULL. */
void ac_plan_free(struct ac_plan *p);

#endif
