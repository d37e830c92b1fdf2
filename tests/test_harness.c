/*
 * test_harness.c - harnesses written by the engine (targets/harness/):
 * the expressions lengths are written in, the signature the compiler
 * gives, the plan a description makes (every refusal, every parameter
 * class, in-place buffers, structured inputs, the default tolerance), the
 * C it becomes, and that C built in process and run: correct against the
 * input itself.
 *
 * The signature tests run the system compiler in the sandbox, as the
 * mount does; nothing here times anything against a threshold.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "engine/util/util.h"
#include "targets/harness/harness.h"
#include "targets/targets.h"
#include "targets/exec/fileio.h"

/* ---- expressions ---- */

static int lookup(void *arg, const char *name, int64_t *v)
{
	(void)arg;
	if (!strcmp(name, "n"))
		*v = 10;
	else if (!strcmp(name, "m"))
		*v = 3;
	else
		return -ENOENT;
	return 0;
}

static int64_t eval(const char *text)
{
	struct ac_expr *e;
	char why[200];
	int64_t v = -999;

	cr_assert_eq(ac_expr_parse(text, &e, why, sizeof why), 0, "%s: %s", text, why);
	cr_assert_eq(ac_expr_eval(e, lookup, NULL, &v, why, sizeof why), 0, "%s: %s", text, why);
	ac_expr_free(e);
	return v;
}

static char *printed(const char *text)
{
	struct ac_expr *e;
	char why[200], *buf = NULL;
	size_t len = 0;
	FILE *o = open_memstream(&buf, &len);

	cr_assert_eq(ac_expr_parse(text, &e, why, sizeof why), 0, "%s", why);
	ac_expr_print(e, o);
	fclose(o);
	ac_expr_free(e);
	return buf;
}

Test(expr, c_precedence_and_associativity)
{
	cr_assert_eq(eval("n*m"), 30);
	cr_assert_eq(eval("n + 1"), 11);
	cr_assert_eq(eval("n - m - 1"), 6);
	cr_assert_eq(eval("n / m * m"), 9);
	cr_assert_eq(eval("(n + 1) * (m - 1)"), 22);
	cr_assert_eq(eval("-n + 2*m"), -4);
	cr_assert_eq(eval("n % m"), 1);
	cr_assert_eq(eval("0x10 + 4UL"), 20);
	cr_assert_eq(eval("n + 0"), 10, "PolyBench's macros expand to this");
}

Test(expr, printed_back_with_only_the_parentheses_c_needs)
{
	char *s;

	s = printed("M*K");
	cr_assert_str_eq(s, "M * K");
	free(s);
	s = printed("(n+1)*m");
	cr_assert_str_eq(s, "(n + 1) * m");
	free(s);
	s = printed("n-(m-1)");
	cr_assert_str_eq(s, "n - (m - 1)");
	free(s);
	s = printed("((n))");
	cr_assert_str_eq(s, "n");
	free(s);
}

Test(expr, refusals_say_where)
{
	struct ac_expr *e;
	char why[200];
	int64_t v;
	const char *bad[] = { "", "n*", "n m", "sizeof(float)", "1.5", "(n", "n)", "f(n)", NULL };

	for (int i = 0; bad[i]; i++) {
		cr_assert_eq(ac_expr_parse(bad[i], &e, why, sizeof why), -EINVAL, "%s", bad[i]);
		cr_assert(strlen(why) > 0);
		cr_assert_null(e);
	}
	cr_assert_eq(ac_expr_parse("q * n", &e, why, sizeof why), 0);
	cr_assert_eq(ac_expr_eval(e, lookup, NULL, &v, why, sizeof why), -ENOENT);
	cr_assert(strstr(why, "q"), "%s", why);
	ac_expr_free(e);
	cr_assert_eq(ac_expr_parse("n / (m - 3)", &e, why, sizeof why), 0);
	cr_assert_eq(ac_expr_eval(e, lookup, NULL, &v, why, sizeof why), -EDOM);
	ac_expr_free(e);
	cr_assert_eq(ac_expr_parse("4611686018427387904 * 4", &e, why, sizeof why), 0);
	cr_assert_eq(ac_expr_eval(e, lookup, NULL, &v, why, sizeof why), -ERANGE);
	ac_expr_free(e);
}

Test(expr, names_and_square_roots)
{
	struct ac_expr *e;
	const char *names[4];
	char why[100];

	cr_assert_eq(ac_expr_parse("n * m + n", &e, why, sizeof why), 0);
	cr_assert_eq(ac_expr_names(e, names, 4), 2);
	cr_assert_str_eq(names[0], "n");
	cr_assert_str_eq(names[1], "m");
	cr_assert_null(ac_expr_square_root(e));
	ac_expr_free(e);
	cr_assert_eq(ac_expr_parse("(n+1) * (n+1)", &e, why, sizeof why), 0);
	cr_assert_not_null(ac_expr_square_root(e));
	ac_expr_free(e);
}

/* ---- the signature, from preprocessed text ---- */

Test(sig, scan_reads_the_input_s_own_definitions_only)
{
	const char *pre =
		"# 1 \"input.c\"\n"
		"# 1 \"/usr/include/stdlib.h\" 1\n"
		"extern int abs(int x) { return x; }\n"
		"# 3 \"input.c\" 2\n"
		"typedef double DATA_TYPE;\n"
		"struct s { int a; float *p; };\n"
		"static const float tab[3] = { 1, 2, 3 };\n"
		"static inline float helper(float v) { return v * tab[0]; }\n"
		"void kernel_gemm(int ni, int nj, DATA_TYPE C[ni][nj], const DATA_TYPE A[restrict ni][nj],\n"
		"                 float (*F)[8], const float *restrict x, float **rows, double *cols[],\n"
		"                 void (*cb)(int), void *opaque, struct s *p)\n"
		"{ if (ni) { C[0][0] = 1; } }\n"
		"__attribute__((noinline)) long long count(void) { return 0; }\n"
		"int decl_only(int q);\n";
	struct ac_sig s;
	char why[200];

	cr_assert_eq(ac_sig_scan(pre, "input.c", &s, why, sizeof why), 0, "%s", why);
	cr_assert_eq(s.nfn, 3, "helper, kernel_gemm, count (abs is a header's)");
	cr_assert_str_eq(s.fn[0].name, "helper");
	const struct ac_sig_fn *f = &s.fn[1];
	cr_assert_str_eq(f->name, "kernel_gemm");
	cr_assert_str_eq(f->ret, "void");
	cr_assert_eq(f->nparams, 11);
	cr_assert_eq(f->params[0].kind, AC_PK_SCALAR);
	cr_assert_str_eq(f->params[2].name, "C");
	cr_assert_eq(f->params[2].kind, AC_PK_BUFFER);
	cr_assert_eq(f->params[2].ndims, 2);
	cr_assert_str_eq(f->params[2].bound[0], "ni");
	cr_assert_str_eq(f->params[2].bound[1], "nj");
	cr_assert_str_eq(f->params[3].bound[0], "ni", "restrict is no part of the bound");
	cr_assert_str_eq(f->params[4].name, "F");
	cr_assert_eq(f->params[4].kind, AC_PK_BUFFER);
	cr_assert_eq(f->params[4].ndims, 2);
	cr_assert_str_eq(f->params[4].bound[0], "", "a pointer to arrays: the outer length is not said");
	cr_assert_str_eq(f->params[4].bound[1], "8");
	cr_assert_eq(f->params[5].kind, AC_PK_BUFFER);
	cr_assert_eq(f->params[5].ndims, 0);
	cr_assert_eq(f->params[6].kind, AC_PK_TABLE, "float **rows");
	cr_assert_eq(f->params[7].kind, AC_PK_TABLE, "double *cols[]");
	cr_assert_eq(f->params[7].ndims, 1);
	cr_assert_str_eq(f->params[8].name, "cb");
	cr_assert_str_eq(f->params[8].why, "a function pointer");
	cr_assert_str_eq(f->params[9].why, "a pointer to void");
	cr_assert_eq(f->params[10].kind, AC_PK_BUFFER, "the probe says it is a struct");
	cr_assert_str_eq(s.fn[2].name, "count");
	cr_assert_str_eq(s.fn[2].ret, "long long");
	cr_assert_eq(s.fn[2].nparams, 0);
	ac_sig_free(&s);
}

Test(sig, nm_keeps_global_functions_and_sets_types)
{
	const char *pre =
		"# 1 \"input.c\"\n"
		"typedef float real_t;\n"
		"static void helper(int n) { }\n"
		"void s000(int n, real_t a[n], const real_t b[n]) { }\n";
	/* what the probe's object lists: classes, sizes and builtins + 1 */
	const char *nm =
		"helper t 0 10\n"
		"s000 T 10 40\n"
		"ac__hg_t0_c b 0 9\n"
		"ac__hg_t0_s b 0 5\n"
		"ac__hg_t0_b b 0 e\n"
		"ac__hg_f1_p0_c.1 b 0 2\n"
		"ac__hg_f1_p0_s.2 b 0 5\n"
		"ac__hg_f1_p0_b.3 b 0 8\n"
		"ac__hg_f1_p1_c.4 b 0 9\n"
		"ac__hg_f1_p1_s.5 b 0 5\n"
		"ac__hg_f1_p1_b.6 b 0 e\n"
		"ac__hg_f1_p2_c.7 b 0 9\n"
		"ac__hg_f1_p2_s.8 b 0 5\n"
		"ac__hg_f1_p2_b.9 b 0 e\n";
	struct ac_sig s;
	char why[200];
	char *probe;

	cr_assert_eq(ac_sig_scan(pre, "input.c", &s, why, sizeof why), 0, "%s", why);
	probe = ac_sig_probe_source(&s, "input.c");
	cr_assert(strstr(probe, "#include \"input.c\""));
	cr_assert(strstr(probe, "__builtin_classify_type(a[0])"), "%s", probe);
	free(probe);
	cr_assert_eq(ac_sig_apply_nm(&s, nm, why, sizeof why), 0, "%s", why);
	cr_assert_eq(s.nfn, 1, "the static helper is no function to call");
	cr_assert_str_eq(s.fn[0].name, "s000");
	cr_assert_eq(s.fn[0].params[0].etype, AC_ET_I32);
	cr_assert_eq(s.fn[0].params[1].etype, AC_ET_F32);
	cr_assert_not(s.fn[0].params[1].is_const);
	cr_assert(s.fn[0].params[2].is_const);
	cr_assert(s.fn[0].params[1].declared);
	cr_assert_str_eq(s.types, "typedef float real_t;\n");
	ac_sig_free(&s);
}

/* Learns the signature of src with the real compiler, in the sandbox. */
static void learn(const char *src, struct ac_sig *s)
{
	char dir[] = "/tmp/test-harness-XXXXXX";
	struct ac_target_opts opts = { .cpu = -1 };
	struct ac_job job = { 0 };
	struct ac_result r = { 0 };
	bool ok = false;

	cr_assert_not_null(mkdtemp(dir));
	chmod(dir, 0755);
	job.scratch_dir = dir;
	job.candidate = job.reference = src;
	job.candidate_size = job.reference_size = strlen(src);
	job.opts = &opts;
	cr_assert_eq(ac_sig_learn(&job, s, &r, &ok), 0);
	cr_assert(ok, "%s\n%s", r.message ? r.message : "", r.log ? r.log : "");
	ac_result_clear(&r);
	ac_remove_tree(dir);
}

static const char gemm_vla[] =
	"typedef double DATA_TYPE;\n"
	"#define N 8\n"
	"void kernel_gemm(int ni, int nj, int nk, DATA_TYPE alpha, DATA_TYPE beta,\n"
	"                 DATA_TYPE C[ni][nj], DATA_TYPE A[ni][nk], DATA_TYPE B[nk][nj])\n"
	"{\n"
	"\tfor (int i = 0; i < ni; i++)\n"
	"\t\tfor (int j = 0; j < nj; j++) {\n"
	"\t\t\tC[i][j] *= beta;\n"
	"\t\t\tfor (int k = 0; k < nk; k++)\n"
	"\t\t\t\tC[i][j] += alpha * A[i][k] * B[k][j];\n"
	"\t\t}\n"
	"}\n";

Test(sig, the_compiler_resolves_every_scalar_and_element_type)
{
	static const char src[] =
		"#include <stdbool.h>\n#include <stddef.h>\n#include <stdint.h>\n"
		"typedef double DATA_TYPE;\n"
		"enum mode { ADD, SUB };\n"
		"struct args { int n; float *x; };\n"
		"#define N 16\n"
		"static int twice(int v) { return 2 * v; }\n"
		"int64_t f(size_t w, uint8_t u8, char c, long long ll, bool flag, enum mode m,\n"
		"          DATA_TYPE d, float fl, const uint16_t *p16, const float A[N][N],\n"
		"          struct args *s, double _Complex *z)\n"
		"{ return twice((int)w); }\n";
	struct ac_sig s;

	learn(src, &s);
	cr_assert_eq(s.nfn, 1);
	const struct ac_sig_fn *f = &s.fn[0];
	cr_assert_eq(f->ret_etype, AC_ET_I64);
	enum ac_etype want[] = { AC_ET_U64, AC_ET_U8, AC_ET_CHAR, AC_ET_I64, AC_ET_BOOL, AC_ET_U32,
		                 AC_ET_F64, AC_ET_F32, AC_ET_U16, AC_ET_F32 };
	for (int k = 0; k < 10; k++)
		cr_assert_eq(f->params[k].etype, want[k], "parameter %s", f->params[k].name);
	cr_assert_str_eq(f->params[5].decl, "unsigned int m",
	                 "an enum is declared as the integer type the compiler gave it");
	cr_assert(f->params[9].declared, "const float A[N][N]: N is a number after cc -E");
	cr_assert(f->params[9].is_const);
	cr_assert_eq(f->params[10].kind, AC_PK_OTHER);
	cr_assert_str_eq(f->params[10].why, "a pointer to a struct");
	cr_assert_eq(f->params[11].kind, AC_PK_OTHER);
	cr_assert(strstr(s.types, "typedef double DATA_TYPE;"), "%s", s.types);
	cr_assert(strstr(s.types, "struct args;"), "%s", s.types);
	ac_sig_free(&s);
}

/* ---- plans ---- */

static struct ac_call_arg arg_len(const char *name, const char *len)
{
	struct ac_call_arg a = { 0 };

	a.name = (char *)name;
	a.buffer = true;
	a.length = (char *)len;
	return a;
}

static struct ac_call_arg arg_val(const char *name, double v)
{
	struct ac_call_arg a = { 0 };

	a.name = (char *)name;
	a.has_value = true;
	a.value = v;
	a.integral = v == (double)(int64_t)v;
	return a;
}

static int plan_of(const struct ac_sig *s, struct ac_call_arg *args, int n, struct ac_plan *p,
                   char *why)
{
	struct ac_call c = { 0 };

	c.args = args;
	c.nargs = n;
	return ac_plan_make(s, &c, p, why, 400);
}

static const char saxpy[] =
	"void saxpy(int n, float a, const float *restrict x, float *restrict y)\n"
	"{ for (int i = 0; i < n; i++) y[i] = a * x[i] + y[i]; }\n";

Test(plan, refusals_name_the_parameter_and_say_what_to_write)
{
	struct ac_sig s;
	struct ac_plan p;
	char why[400];
	struct ac_call_arg a[3];

	learn(saxpy, &s);
	/* a pointer parameter left out */
	cr_assert_eq(ac_plan_make(&s, NULL, &p, why, sizeof why), -EINVAL);
	cr_assert(strstr(why, "the prototype of saxpy does not say how long x and y are: give their "
	                      "lengths in config.json's \"call\""), "%s", why);
	/* an unknown parameter */
	a[0] = arg_val("q", 3);
	cr_assert_eq(plan_of(&s, a, 1, &p, why), -EINVAL);
	cr_assert(strstr(why, "saxpy has no parameter q (it takes n, a, x, y)"), "%s", why);
	/* a length that names nothing */
	a[0] = arg_len("x", "n*m");
	a[1] = arg_len("y", "n");
	cr_assert_eq(plan_of(&s, a, 2, &p, why), -EINVAL);
	cr_assert(strstr(why, "names m, which is no parameter of saxpy"), "%s", why);
	/* a length that names a float */
	a[0] = arg_len("x", "a");
	cr_assert_eq(plan_of(&s, a, 2, &p, why), -EINVAL);
	cr_assert(strstr(why, "not an integer parameter"), "%s", why);
	/* a scalar described as a buffer and the other way round */
	a[0] = arg_len("n", "4");
	cr_assert_eq(plan_of(&s, a, 1, &p, why), -EINVAL);
	cr_assert(strstr(why, "n is a number"), "%s", why);
	a[0] = arg_val("x", 4);
	cr_assert_eq(plan_of(&s, a, 1, &p, why), -EINVAL);
	cr_assert(strstr(why, "x is a pointer"), "%s", why);
	/* a value the type cannot hold */
	a[0] = arg_val("n", 3.5);
	a[1] = arg_len("x", "n");
	a[2] = arg_len("y", "n");
	cr_assert_eq(plan_of(&s, a, 3, &p, why), -EINVAL);
	cr_assert(strstr(why, "3.5 is not a value it holds"), "%s", why);
	a[0] = arg_val("n", 5e9);
	cr_assert_eq(plan_of(&s, a, 3, &p, why), -EINVAL);
	/* writing a const */
	a[0] = arg_len("x", "n");
	a[0].access = AC_ACCESS_WRITE;
	a[1] = arg_len("y", "n");
	cr_assert_eq(plan_of(&s, a, 2, &p, why), -EINVAL);
	cr_assert(strstr(why, "const"), "%s", why);
	ac_sig_free(&s);
}

Test(plan, sizes_left_out_are_picked_and_the_rest_take_defaults)
{
	struct ac_sig s;
	struct ac_plan p;
	char why[400];
	struct ac_call_arg a[2] = { arg_len("x", "n"), arg_len("y", "n") };

	learn(saxpy, &s);
	cr_assert_eq(plan_of(&s, a, 2, &p, why), 0, "%s", why);
	cr_assert(p.to_pick);
	cr_assert(p.to_probe, "y is not const and its access is not said");
	cr_assert_eq(p.args[0].how, AC_HOW_PICKED);
	cr_assert_eq(p.args[1].how, AC_HOW_DEFAULT);
	cr_assert_float_eq(p.args[1].fval, 0.5, 1e-12);
	cr_assert_eq(p.args[2].access, AC_ACCESS_READ);
	cr_assert_eq(p.args[2].access_how, AC_HOW_DECLARED);
	cr_assert_eq(p.args[3].access, AC_ACCESS_WRITE, "until measured: not const, so written");
	ac_plan_free(&p);
	ac_sig_free(&s);
}

Test(plan, declared_bounds_need_no_description)
{
	struct ac_sig s;
	struct ac_plan p;
	char why[400];

	learn(gemm_vla, &s);
	cr_assert_eq(ac_plan_make(&s, NULL, &p, why, sizeof why), 0, "%s", why);
	cr_assert(p.to_pick);
	for (int k = 0; k < 3; k++)
		cr_assert_eq(p.args[k].how, AC_HOW_PICKED);
	for (int k = 5; k < 8; k++)
		cr_assert_eq(p.args[k].how, AC_HOW_DECLARED);
	cr_assert_eq(ac_plan_eval(&p, why, sizeof why), 0, "%s", why);
	cr_assert_eq(p.args[5].n, 16 * 16);
	ac_plan_free(&p);
	ac_sig_free(&s);
}

Test(plan, structured_fills_fit_their_element_types)
{
	static const char src[] =
		"#include <stdint.h>\n"
		"void f(int n, const float *L, const int32_t *idx, const double *s, float *out)\n"
		"{ for (int i = 0; i < n; i++) out[i] = L[i * n + i] + (float)s[idx[i]]; }\n";
	struct ac_sig s;
	struct ac_plan p;
	char why[400];
	struct ac_call_arg a[5] = { arg_val("n", 16), arg_len("L", "n*n"), arg_len("idx", "n"),
		                    arg_len("s", "n"), arg_len("out", "n") };

	learn(src, &s);
	a[1].values = AC_VALUES_SPD;
	a[2].values = AC_VALUES_PERMUTATION;
	a[3].values = AC_VALUES_SORTED;
	cr_assert_eq(plan_of(&s, a, 5, &p, why), 0, "%s", why);
	cr_assert_eq(ac_plan_eval(&p, why, sizeof why), 0, "%s", why);
	char *h = ac_plan_harness(&p);
	cr_assert(strstr(h, "ac_fill_spd_f32(L, (size_t)(n), -1, 1);"), "%s", h);
	cr_assert(strstr(h, "ac_fill_perm_i32(idx, idx_n);"), "%s", h);
	cr_assert(strstr(h, "ac_fill_sorted_f64(s, s_n, -1, 1);"), "%s", h);
	free(h);
	ac_plan_free(&p);
	/* a permutation of floats, a matrix of integers, a matrix not square */
	a[1].values = AC_VALUES_UNIFORM;
	a[3].values = AC_VALUES_PERMUTATION;
	cr_assert_eq(plan_of(&s, a, 5, &p, why), -EINVAL);
	cr_assert(strstr(why, "\"permutation\" is for int32_t and int64_t"), "%s", why);
	a[3].values = AC_VALUES_UNIFORM;
	a[2].values = AC_VALUES_DIAGDOM;
	cr_assert_eq(plan_of(&s, a, 5, &p, why), -EINVAL);
	a[2].values = AC_VALUES_NONZERO;
	cr_assert_eq(plan_of(&s, a, 5, &p, why), -EINVAL);
	cr_assert(strstr(why, "give a range without 0"), "%s", why);
	a[2].values = AC_VALUES_UNIFORM;
	a[1] = arg_len("L", "n*n+1");
	a[1].values = AC_VALUES_DIAGDOM;
	cr_assert_eq(plan_of(&s, a, 5, &p, why), 0, "%s", why);
	cr_assert_eq(ac_plan_eval(&p, why, sizeof why), -EINVAL);
	cr_assert(strstr(why, "is not a square"), "%s", why);
	ac_plan_free(&p);
	ac_sig_free(&s);
}

Test(plan, what_cannot_be_described_is_said)
{
	static const char src[] =
		"struct args { int n; float *x; };\n"
		"void axpy(struct args *p) { p->x[0] = 0; }\n"
		"void rows(int n, float **r) { r[0][0] = n; }\n";
	struct ac_sig s;
	struct ac_plan p;
	struct ac_call c = { 0 };
	char why[400];

	learn(src, &s);
	c.function = "axpy";
	cr_assert_eq(ac_plan_make(&s, &c, &p, why, sizeof why), -EINVAL);
	cr_assert(strstr(why, "parameter p is a pointer to a struct"), "%s", why);
	cr_assert(strstr(why, "write harness.c"), "%s", why);
	cr_assert_eq(ac_plan_make(&s, NULL, &p, why, sizeof why), -EINVAL);
	cr_assert(strstr(why, "(\"r\": {\"rows\": \"n\", \"length\": \"m\"}"), "a table: %s", why);
	c.function = "nothing";
	cr_assert_eq(ac_plan_make(&s, &c, &p, why, sizeof why), -EINVAL);
	cr_assert(strstr(why, "no global function nothing (it defines axpy, rows)"), "%s", why);
	ac_sig_free(&s);
}

Test(plan, default_tolerance_follows_element_type_and_reduction_length)
{
	struct ac_sig s;
	struct ac_plan p;
	char why[400];
	double rtol, atol;
	struct ac_call_arg a[3] = { arg_val("n", 256), arg_len("x", "n"), arg_len("y", "n") };
	struct ac_call c = { 0 };

	learn(saxpy, &s);
	cr_assert_eq(plan_of(&s, a, 3, &p, why), 0, "%s", why);
	ac_plan_tolerance(&p, &p.args[3], &rtol, &atol);
	cr_assert_float_eq(rtol, 16 * 1.1920928955078125e-07 * 256, 1e-12);
	cr_assert_float_eq(atol, rtol, 1e-15);
	ac_plan_free(&p);
	a[0] = arg_val("n", 100000000);
	cr_assert_eq(plan_of(&s, a, 3, &p, why), 0);
	ac_plan_tolerance(&p, &p.args[3], &rtol, &atol);
	cr_assert_float_eq(rtol, 1e-3, 1e-15, "float's cap");
	ac_plan_free(&p);
	c.args = a;
	c.nargs = 3;
	c.reduction = "1";
	cr_assert_eq(ac_plan_make(&s, &c, &p, why, sizeof why), 0, "%s", why);
	ac_plan_tolerance(&p, &p.args[3], &rtol, &atol);
	cr_assert_float_eq(rtol, 64 * 1.1920928955078125e-07, 1e-15, "the floor");
	ac_plan_free(&p);
	c.reduction = NULL;
	c.has_tol = true;
	c.rtol = 1e-5;
	c.atol = 1e-7;
	cr_assert_eq(ac_plan_make(&s, &c, &p, why, sizeof why), 0, "%s", why);
	ac_plan_tolerance(&p, &p.args[3], &rtol, &atol);
	cr_assert_float_eq(rtol, 1e-5, 1e-15);
	cr_assert_float_eq(atol, 1e-7, 1e-15);
	ac_plan_free(&p);
	ac_sig_free(&s);
	/* doubles: much tighter (integers are exact: gen's test) */
	learn(gemm_vla, &s);
	cr_assert_eq(ac_plan_make(&s, NULL, &p, why, sizeof why), 0);
	ac_plan_tolerance(&p, &p.args[5], &rtol, &atol);
	cr_assert_float_eq(rtol, 16 * 2.220446049250313e-16 * 16, 1e-20, "K = 16, the sizes");
	ac_plan_free(&p);
	ac_sig_free(&s);
}

Test(plan, a_guess_makes_a_draft_with_its_guesses_marked)
{
	struct ac_sig s;
	struct ac_plan p;
	char why[400];

	learn(saxpy, &s);
	cr_assert_eq(ac_plan_guess(&s, NULL, &p, why, sizeof why), 0, "%s", why);
	cr_assert_eq(p.args[2].how, AC_HOW_GUESS);
	char *d = ac_plan_description(&p, 0);
	cr_assert(strstr(d, "\"x\": {\"length\": \"n\", \"access\": \"read\"},  // guess"), "%s", d);
	cr_assert(strstr(d, "// \"n\": the engine picks it"), "%s", d);
	cr_assert(strstr(d, "say \"both\" if the call also reads it"), "%s", d);
	free(d);
	ac_plan_free(&p);
	ac_sig_free(&s);
}

Test(plan, the_measuring_program_s_output_sets_sizes_and_access)
{
	struct ac_sig s;
	struct ac_plan p;
	char why[400];

	learn(gemm_vla, &s);
	cr_assert_eq(ac_plan_make(&s, NULL, &p, why, sizeof why), 0, "%s", why);
	const char *out =
		"ac-measure: access C both\n"
		"ac-measure: access A read\n"
		"something the kernel printed\n"
		"ac-measure: access B read\n"
		"ac-measure: size 16 ns 4000\n"
		"ac-measure: size 32 ns 31000\n"
		"ac-measure: size 64 ns 250000\n"
		"ac-measure: size 128 ns 2100000\n";
	cr_assert_eq(ac_plan_measure_read(&p, out, why, sizeof why), 0, "%s", why);
	cr_assert_eq(p.picked, 128);
	cr_assert_eq(p.args[0].ival, 128);
	cr_assert_eq(p.args[5].access, AC_ACCESS_BOTH);
	cr_assert_eq(p.args[5].access_how, AC_HOW_MEASURED);
	cr_assert_eq(p.args[6].access, AC_ACCESS_READ);
	cr_assert(strstr(p.note, "2.1 ms"), "%s", p.note);
	/* the memory cap stopped the doubling: the largest size measured */
	cr_assert_eq(ac_plan_measure_read(&p, "ac-measure: size 16 ns 100\n"
	                                      "ac-measure: size 32 ns 400\n"
	                                      "ac-measure: size 64 too-large\n", why, sizeof why), 0);
	cr_assert_eq(p.picked, 32);
	cr_assert(strstr(p.note, "256 MiB"), "%s", p.note);
	cr_assert_eq(ac_plan_measure_read(&p, "nothing\n", why, sizeof why), -EINVAL);
	ac_plan_free(&p);
	ac_sig_free(&s);
}

/* ---- the harness ---- */

Test(gen, every_parameter_class_reads_as_the_readme_s_pattern)
{
	static const char src[] =
		"#include <stdint.h>\n"
		"typedef float real_t;\n"
		"int64_t f(int n, real_t s, const real_t *in, real_t *out, real_t *acc,\n"
		"          uint8_t *mask, const int32_t *idx)\n"
		"{ int64_t c = 0; for (int i = 0; i < n; i++) { out[i] = s * in[idx[i]];\n"
		"  acc[i] += in[i]; mask[i] = in[i] > 0; c += mask[i]; } return c; }\n";
	struct ac_sig s;
	struct ac_plan p;
	char why[400];
	struct ac_call_arg a[6] = { arg_val("n", 1000), arg_len("in", "n"), arg_len("out", "n"),
		                    arg_len("acc", "n"), arg_len("mask", "n"), arg_len("idx", "n") };

	learn(src, &s);
	a[2].access = AC_ACCESS_WRITE;
	a[3].access = AC_ACCESS_BOTH;
	a[4].access = AC_ACCESS_WRITE;
	a[5].lo = "0";
	a[5].hi = "n - 1";
	cr_assert_eq(plan_of(&s, a, 6, &p, why), 0, "%s", why);
	cr_assert_not(p.to_probe);
	cr_assert_eq(ac_plan_eval(&p, why, sizeof why), 0, "%s", why);
	char *h = ac_plan_harness(&p);
	const char *want[] = {
		"typedef float real_t;",
		"int64_t f(int n, real_t s, const real_t *in, real_t *out, real_t *acc, uint8_t *mask, "
		"const int32_t *idx);",
		"int64_t ref_f(",
		"const int64_t n = 1000;",
		"const double s = 0.5;",
		"ac_fill_f32(in, in_n, -1, 1);\n\tac_protect(in);",
		"ac_fill_nan_f32(out_want, out_n);\n\tac_fill_nan_f32(out, out_n);",
		"ac_fill_f32(acc, acc_n, -1, 1);\n\tac_inout(acc);\n\tmemcpy(acc_want, acc, acc_n * sizeof(float));",
		"ac_fill_u8(mask, mask_n, 0x5a, 0x5a);",
		"ac_fill_i32(idx, idx_n, 0, n - 1);",
		"r_want = ref_f(n, s, (void *)in, (void *)out_want, (void *)acc_want, (void *)mask_want, (void *)idx);",
		"untouched_f32(\"out\", out_want, out_n);",
		"ac_check_equal_u8(\"mask\", mask, mask_want, mask_n);",
		"ac_check_equal_i64(\"the returned value\", &r_got, &r_want, 1);",
		"AC_TIME(r_got = f(n, s, (void *)in, (void *)out, (void *)acc, (void *)mask, (void *)idx));",
		"return ac_report();",
		NULL
	};
	for (int i = 0; want[i]; i++)
		cr_assert(strstr(h, want[i]), "missing: %s\n%s", want[i], h);
	/* the reference is called before the candidate, and timing comes last */
	cr_assert_lt(strstr(h, "ref_f(n"), strstr(h, "r_got = f(n"));
	cr_assert_lt(strstr(h, "r_got = f(n"), strstr(h, "AC_TIME"));
	free(h);
	ac_plan_free(&p);
	ac_sig_free(&s);
}

Test(gen, the_marker_tells_the_engine_s_harness_from_an_edited_one)
{
	struct ac_sig s;
	struct ac_plan p;
	char why[400];
	struct ac_call_arg a[3] = { arg_val("n", 100), arg_len("x", "n"), arg_len("y", "n") };

	learn(saxpy, &s);
	cr_assert_eq(plan_of(&s, a, 3, &p, why), 0, "%s", why);
	cr_assert_eq(ac_plan_eval(&p, why, sizeof why), 0);
	char *h = ac_plan_harness(&p);
	cr_assert(ac_harness_generated(h, strlen(h)));
	char *edited = strdup(h);
	edited[strlen(edited) - 3] = ' ';
	cr_assert_not(ac_harness_generated(edited, strlen(edited)));
	cr_assert_not(ac_harness_generated("int main(void) { return 0; }\n", 29));
	free(edited);
	char *d = ac_mark_draft("{}\n");
	cr_assert(ac_harness_generated(d, strlen(d)));
	free(d);
	free(h);
	ac_plan_free(&p);
	ac_sig_free(&s);
}

Test(gen, colliding_names_get_a_prefix)
{
	static const char src[] =
		"void f(int n, const float *x, float *x_want, int i) { x_want[0] = x[0] + n + i; }\n";
	struct ac_sig s;
	struct ac_plan p;
	char why[400];
	struct ac_call_arg a[4] = { arg_val("n", 8), arg_len("x", "n"), arg_len("x_want", "n"),
		                    arg_val("i", 1) };

	learn(src, &s);
	a[2].access = AC_ACCESS_WRITE;
	cr_assert_eq(plan_of(&s, a, 4, &p, why), 0, "%s", why);
	cr_assert_eq(ac_plan_eval(&p, why, sizeof why), 0);
	char *h = ac_plan_harness(&p);
	cr_assert(strstr(h, "float *v_x_want_want"), "%s", h);
	cr_assert(strstr(h, "const int64_t v_i = 1;"), "%s", h);
	free(h);
	ac_plan_free(&p);
	ac_sig_free(&s);
}

/* Builds harness.c with src and its ref_ copy in process (README: "Building
 * and running a harness by hand") and runs it: its report. */
static char *run_in_process(const char *src, const char *harness)
{
	char dir[] = "/tmp/test-harness-run-XXXXXX", cmd[2048], path[PATH_MAX];
	char *report = NULL;
	FILE *f;

	cr_assert_not_null(mkdtemp(dir));
	snprintf(path, sizeof path, "%s/input.c", dir);
	f = fopen(path, "w");
	fputs(src, f);
	fclose(f);
	snprintf(path, sizeof path, "%s/harness.c", dir);
	f = fopen(path, "w");
	fputs(harness, f);
	fclose(f);
	snprintf(cmd, sizeof cmd,
	         "cd %s && cc -O2 -c input.c -o ref.o && "
	         "nm --defined-only -g ref.o | awk '$2 ~ /[TDBR]/ {print $3, \"ref_\" $3}' > ref.syms && "
	         "objcopy --redefine-syms=ref.syms ref.o && "
	         "cc -O2 -I %s harness.c input.c ref.o -o h -lm 2>&1 && "
	         "AC_MIN_TIME_S=0.01 AC_MIN_REPS=2 ./h > report 2>&1", dir, ac_target_include_dir());
	int rc = system(cmd);
	snprintf(path, sizeof path, "%s/report", dir);
	ac_read_file(path, &report, NULL);
	cr_assert_eq(rc, 0, "%s", report ? report : "(no report)");
	ac_remove_tree(dir);
	return report;
}

Test(gen, generated_harnesses_pass_the_input_in_process, .timeout = 120)
{
	static const char *const srcs[] = {
		gemm_vla,
		"#include <math.h>\n"
		"void kernel_cholesky(int n, double A[n][n]) {\n"
		" for (int i = 0; i < n; i++) { for (int j = 0; j < i; j++) {\n"
		"  for (int k = 0; k < j; k++) A[i][j] -= A[i][k] * A[j][k];\n"
		"  A[i][j] /= A[j][j]; }\n"
		" for (int k = 0; k < i; k++) A[i][i] -= A[i][k] * A[i][k];\n"
		" A[i][i] = sqrt(A[i][i]); } }\n",
		"float dot(int n, const float x[n], const float y[n])\n"
		"{ float s = 0; for (int i = 0; i < n; i++) s += x[i] * y[i]; return s; }\n",
		"void row_dot(int rows, int cols, float **m, const float *w, float *out)\n"
		"{ for (int r = 0; r < rows; r++) { float s = 0;\n"
		"  for (int c = 0; c < cols; c++) s += m[r][c] * w[c]; out[r] = s; } }\n",
		NULL
	};
	for (int i = 0; srcs[i]; i++) {
		struct ac_sig s;
		struct ac_plan p;
		struct ac_call c = { 0 };
		struct ac_call_arg a = { 0 };
		char why[400];

		learn(srcs[i], &s);
		struct ac_call_arg t[3] = { arg_len("m", "cols"), arg_len("w", "cols"),
			                    arg_len("out", "rows") };

		if (i == 1) {
			a.name = "A";
			a.buffer = true;
			a.values = AC_VALUES_SPD;
			a.access = AC_ACCESS_BOTH;
			c.args = &a;
			c.nargs = 1;
		}
		if (i == 3) {
			t[0].rows = "rows";
			t[0].access = AC_ACCESS_READ;
			c.args = t;
			c.nargs = 3;
		}
		cr_assert_eq(ac_plan_make(&s, &c, &p, why, sizeof why), 0, "%s", why);
		for (int k = 0; k < p.nargs; k++) {
			if (p.args[k].how == AC_HOW_PICKED)
				p.args[k].ival = 24;
			if (p.args[k].access_how == AC_HOW_DEFAULT)
				p.args[k].access = AC_ACCESS_BOTH;
		}
		cr_assert_eq(ac_plan_eval(&p, why, sizeof why), 0, "%s", why);
		char *h = ac_plan_harness(&p);
		if (i == 3)
			cr_assert(strstr(h, "float **m = (float **)ac_alloc(m_rows * sizeof(float *));\n"
			                    "\tfor (size_t i = 0; i < m_rows; i++)\n"
			                    "\t\tm[i] = m_data + i * m_cols;\n\tac_protect(m);"), "%s", h);
		char *report = run_in_process(srcs[i], h);
		cr_assert(strstr(report, "\"correct\":true"), "%s\n%s", report, h);
		free(report);
		free(h);
		ac_plan_free(&p);
		ac_sig_free(&s);
	}
}

Test(gen, the_measuring_program_chooses_sizes_and_finds_in_place_buffers, .timeout = 120)
{
	struct ac_sig s;
	struct ac_plan p;
	char why[400], dir[] = "/tmp/test-harness-measure-XXXXXX";
	struct ac_target_opts opts = { .cpu = -1 };
	struct ac_job job = { 0 };
	struct ac_result r = { 0 };
	bool ok = false;

	learn(gemm_vla, &s);
	cr_assert_eq(ac_plan_make(&s, NULL, &p, why, sizeof why), 0, "%s", why);
	cr_assert_not_null(mkdtemp(dir));
	chmod(dir, 0755);
	job.scratch_dir = dir;
	job.candidate = job.reference = gemm_vla;
	job.candidate_size = job.reference_size = strlen(gemm_vla);
	job.opts = &opts;
	cr_assert_eq(ac_plan_measure(&job, &p, &r, &ok), 0);
	cr_assert(ok, "%s\n%s", r.message ? r.message : "", r.log ? r.log : "");
	/* C is updated in place; A and B are only read (not const: measured) */
	cr_assert_eq(p.args[5].access, AC_ACCESS_BOTH);
	cr_assert_eq(p.args[6].access, AC_ACCESS_READ);
	cr_assert_eq(p.args[7].access, AC_ACCESS_READ);
	cr_assert_gt(p.picked, 0);
	cr_assert_gt(p.call_ns, 0);
	cr_assert(p.note[0]);
	ac_result_clear(&r);
	ac_remove_tree(dir);
	ac_plan_free(&p);
	ac_sig_free(&s);
}
