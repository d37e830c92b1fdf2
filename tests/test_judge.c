/*
 * test_judge.c - the judge's source generator (targets/judge/judge.c):
 * reading gcc -aux-info, every parameter shape real kernels use (arrays of
 * any rank, typedef'd scalars, structs and tables of pointers) taken as an
 * address or a scalar, refusing what cannot be forwarded with the
 * function and the parameter named, and generated sources that a real
 * compiler builds (tools/judge-build, the cpu target's steps by hand) and
 * that forward calls of every argument class correctly.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ac_config.h"
#include "targets/judge/judge.h"

#define SRC ".ac_reference.c"

static const char gemm_aux[] =
	"/* /usr/include/stdio.h:356:NC */ extern int printf (const char *, ...);\n"
	"/* .ac_reference.c:4:NF */ static void helper (int x); /* (x) int x; */\n"
	"/* .ac_reference.c:5:NF */ extern void gemm (int M, int N, int K, const float *A, "
	"const float *B, float *C); /* (M, N, K, A, B, C) int M; int N; int K; const float *A; "
	"const float *B; float *C; */\n"
	"/* .ac_reference.c:9:NF */ extern double dot (size_t n, const double *x, "
	"double const *y); /* (n, x, y) size_t n; const double *x; double const *y; */\n"
	"/* .ac_reference.c:12:NC */ extern void later (int n); /* (n) int n; */\n"
	"/* .ac_reference.c:20:NF */ extern int none (void); /* () */\n";

Test(judge, parses_definitions_only)
{
	struct ac_protos p;
	char why[256];

	cr_assert_eq(ac_protos_parse(gemm_aux, SRC, &p, why, sizeof why), 0, "%s", why);
	cr_assert_eq(p.n, 3, "gemm, dot, none: not the static helper, printf or a declaration");
	cr_assert_str_eq(p.v[0].name, "gemm");
	cr_assert_str_eq(p.v[0].ret, "void");
	cr_assert_eq(p.v[0].line, 5);
	cr_assert_eq(p.v[0].nparams, 6);
	cr_assert_str_eq(p.v[0].pname[3], "A");
	cr_assert_str_eq(p.v[0].ptype[3], "void *", "every pointer is an address");
	cr_assert_str_eq(p.v[0].pdecl[3], "const float *A");
	cr_assert(p.v[0].paddr[3] && p.v[0].paddr[4] && p.v[0].paddr[5] && !p.v[0].paddr[0]);
	cr_assert_str_eq(p.v[0].ptype[0], "int");
	cr_assert_str_eq(p.v[1].name, "dot");
	cr_assert_str_eq(p.v[1].ret, "double");
	cr_assert_str_eq(p.v[1].ptype[0], "size_t");
	cr_assert(p.v[1].paddr[1] && p.v[1].paddr[2]);
	cr_assert_eq(p.v[2].nparams, 0);
	ac_protos_free(&p);
	ac_protos_free(&p);   /* twice is harmless */
}

/* Each refusal names the function and the parameter. */
Test(judge, refusals_name_function_and_parameter)
{
	static const struct {
		const char *line, *want1, *want2;
	} cases[] = {
		{ "extern int va (int n, ...); /* (n) int n; */", "va:", "variable argument" },
		{ "extern void bv (struct s x); /* (x) struct s x; */", "parameter x", "by value" },
		{ "extern void fp (void (*cb) (int)); /* (cb) void (*cb)(); */", "parameter cb",
		  "function pointer" },
		{ "extern void bu (const union u x); /* (x) const union u x; */", "parameter x",
		  "by value" },
		{ "extern void fq (int n, double (*f)(double)); /* (n, f) int n; double (*f)(); */",
		  "parameter f", "function pointer" },
		{ "extern struct s rs (int n); /* (n) int n; */", "rs: its return type", "by value" },
		{ "extern void ld (long double x); /* (x) long double x; */", "parameter x",
		  "long double" },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char aux[512], why[256];
		struct ac_protos p;

		snprintf(aux, sizeof aux, "/* " SRC ":3:NF */ %s\n", cases[i].line);
		cr_assert_eq(ac_protos_parse(aux, SRC, &p, why, sizeof why), -EINVAL, "%s",
		             cases[i].line);
		cr_assert(strstr(why, cases[i].want1) && strstr(why, cases[i].want2), "%s -> %s",
		          cases[i].line, why);
		cr_assert_null(p.v);
	}
}

/* Every shape real kernels use: arrays of any rank, variable or fixed,
 * pointers to arrays, structs and tables of pointers are addresses; typedef'd
 * and qualified scalars keep their type without the qualifier. */
Test(judge, every_parameter_shape_is_an_address_or_a_scalar)
{
	static const char aux[] =
		"/* " SRC ":7:NF */ extern void kernel_gemm (int ni, int nj, int nk, DATA_TYPE alpha, "
		"DATA_TYPE beta, DATA_TYPE (*C)[], DATA_TYPE (*A)[], const DATA_TYPE (*B)[]); /* (ni, "
		"nj, nk, alpha, beta, C, A, B) int ni; int nj; int nk; DATA_TYPE alpha; DATA_TYPE beta; "
		"DATA_TYPE (*C)[]; DATA_TYPE (*A)[]; const DATA_TYPE (*B)[]; */\n"
		"/* " SRC ":8:NF */ extern void fixed (const float (*A)[128], float (*B)[128], double "
		"(*X)[5][6], int n, double (*Y)[][]); /* (A, B, X, n, Y) const float (*A)[128]; float "
		"(*B)[128]; double (*X)[5][6]; int n; double (*Y)[][]; */\n"
		"/* " SRC ":9:NF */ extern int64_t ret64 (size_t n, _Bool b, enum mode m, const int k, "
		"long long int ll, const uint8_t *img); /* (n, b, m, k, ll, img) size_t n; _Bool b; enum "
		"mode m; const int k; long long int ll; const uint8_t *img; */\n"
		"/* " SRC ":10:NF */ extern void axpy (struct args *p); /* (p) struct args *p; */\n"
		"/* " SRC ":11:NF */ extern void rows (float **rows, double **cols, int n); /* (rows, "
		"cols, n) float **rows; double **cols; int n; */\n"
		"/* " SRC ":12:NF */ extern void vol (volatile float *x, float *const const y); /* (x, "
		"y) volatile float *x; float *const const y; */\n"
		"/* " SRC ":13:NF */ extern const float *pick (const float *a, int i); /* (a, i) const "
		"float *a; int i; */\n";
	struct ac_protos p;
	char why[256];

	cr_assert_eq(ac_protos_parse(aux, SRC, &p, why, sizeof why), 0, "%s", why);
	cr_assert_eq(p.n, 7);
	cr_assert_str_eq(p.v[0].pname[5], "C");
	cr_assert(p.v[0].paddr[5] && p.v[0].paddr[6] && p.v[0].paddr[7]);
	cr_assert_str_eq(p.v[0].ptype[3], "DATA_TYPE");
	cr_assert_str_eq(p.v[0].pdecl[7], "const DATA_TYPE (*B)[]");
	for (int k = 0; k < 5; k++)
		cr_assert_eq(p.v[1].paddr[k], k != 3, "fixed: parameter %d", k);
	cr_assert_str_eq(p.v[1].pname[4], "Y");
	cr_assert_str_eq(p.v[2].ret, "int64_t");
	cr_assert_str_eq(p.v[2].ptype[1], "_Bool");
	cr_assert_str_eq(p.v[2].ptype[2], "enum mode");
	cr_assert_str_eq(p.v[2].ptype[3], "int", "a const scalar is copied: no qualifier");
	cr_assert_str_eq(p.v[2].ptype[4], "long long int");
	cr_assert(p.v[3].paddr[0] && p.v[4].paddr[0] && p.v[4].paddr[1] && !p.v[4].paddr[2]);
	cr_assert(p.v[5].paddr[0] && p.v[5].paddr[1]);
	cr_assert_str_eq(p.v[6].ret, "void *");
	ac_protos_free(&p);
}

Test(judge, no_function_is_an_error)
{
	struct ac_protos p;
	char why[256];

	cr_assert_eq(ac_protos_parse("/* " SRC ":1:NF */ static void f (void); /* () */\n", SRC, &p,
	                             why, sizeof why), -EINVAL);
	cr_assert(strstr(why, "no global function"), "%s", why);
}

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	cr_assert_not_null(f, "%s", path);
	fputs(text, f);
	fclose(f);
}

static char *run(const char *cmd)
{
	static char out[8192];
	FILE *p = popen(cmd, "r");
	size_t n;

	cr_assert_not_null(p);
	n = fread(out, 1, sizeof out - 1, p);
	out[n] = '\0';
	cr_assert_eq(pclose(p), 0, "%s:\n%s", cmd, out);
	return out;
}

/*
 * A real build: an input with every argument class (ints of each width,
 * float and double in and past the registers, pointers to const and not,
 * returns of each class), compiled with -aux-info, the generated judge and
 * worker built, and a harness that checks every forwarded value.
 */
Test(judge, generated_sources_forward_every_class, .timeout = 120)
{
	static const char input[] =
		"#include <stddef.h>\n#include <stdint.h>\n"
		"typedef float real;\n"
		"double mix(char c, short s, int i, long l, unsigned char uc, float f1, double d1,\n"
		"           real f2, size_t z, int64_t q, float f3, double d2, float f4, double d3,\n"
		"           float f5, double d4, float f6, double d5, float f7, int i2, int i3)\n"
		"{ return (double)c + s + i + l + uc + f1 + d1 + f2 + (double)z + (double)q + f3 + d2 + f4 + d3\n"
		"         + f5 + d4 + f6 + d5 + f7 + i2 + i3; }\n"
		"float half(float x) { return x / 2; }\n"
		"int64_t neg(int64_t x) { return -x; }\n"
		"const float *pick(const float *a, int i) { return a + i; }\n"
		"void scale(int n, const float *in, float *out, float k)\n"
		"{ for (int i = 0; i < n; i++) out[i] = in[i] * k; }\n";
	static const char harness[] =
		"#include <autocomp.h>\n#include <stdint.h>\n"
		"#define N (1 << 20)\n"   /* named like a parameter: must not matter; a call of
		                             * about 0.5 ms stays measurable on a busy machine */
		"typedef float real;\n"
		"double mix(char, short, int, long, unsigned char, float, double, real, size_t,\n"
		"           int64_t, float, double, float, double, float, double, float, double,\n"
		"           float, int, int);\n"
		"float half(float); int64_t neg(int64_t); const float *pick(const float *, int);\n"
		"void scale(int n, const float *in, float *out, float k);\n"
		"void ref_scale(int n, const float *in, float *out, float k);\n"
		"int main(int argc, char **argv)\n{\n"
		"  ac_init(argc, argv);\n"
		"  double m = mix(-3, -300, -70000, -5000000000L, 250, 1.5f, 2.25, 3.5f, 7, -9, 0.5f,\n"
		"                 0.25, 0.125f, 8, 16, 32, 64, 128, 256, 1000, 2000);\n"
		"  double want = -3 - 300 - 70000 - 5000000000.0 + 250 + 1.5 + 2.25 + 3.5 + 7 - 9 + 0.5\n"
		"                + 0.25 + 0.125 + 8 + 16 + 32 + 64 + 128 + 256 + 1000 + 2000;\n"
		"  if (m != want) ac_fail(\"mix %.17g want %.17g\", m, want);\n"
		"  if (half(3.0f) != 1.5f) ac_fail(\"half\");\n"
		"  if (neg(INT64_MIN + 1) != INT64_MAX) ac_fail(\"neg\");\n"
		"  float *a = ac_alloc_f32(N), *b = ac_alloc_f32(N), *w = ac_alloc_f32(N);\n"
		"  ac_fill_f32(a, N, -1, 1);\n"
		"  if (pick(a, 5) != a + 5) ac_fail(\"pick\");\n"
		"  ref_scale(N, a, w, 3);\n"
		"  ac_fill_nan_f32(b, N);\n"
		"  scale(N, a, b, 3);\n"
		"  ac_check_close_f32(\"out\", b, w, N, 0, 0);\n"
		"  AC_TIME(scale(N, a, b, 3));\n"
		"  ac_check_close_f32(\"out\", b, w, N, 0, 0);\n"
		"  return ac_report();\n}\n";
	char dir[] = "/tmp/ac-test-judge-XXXXXX", cmd[4096], why[256], *aux;
	struct ac_protos p;
	FILE *f;
	long n;

	cr_assert_not_null(mkdtemp(dir));
	snprintf(cmd, sizeof cmd, "%s/.ac_reference.c", dir);
	write_file(cmd, input);
	snprintf(cmd, sizeof cmd, "%s/input.c", dir);
	write_file(cmd, input);
	snprintf(cmd, sizeof cmd, "%s/harness.c", dir);
	write_file(cmd, harness);
	snprintf(cmd, sizeof cmd, "cd %s && cc -fsyntax-only -aux-info .ac_protos.aux .ac_reference.c",
	         dir);
	run(cmd);
	snprintf(cmd, sizeof cmd, "%s/.ac_protos.aux", dir);
	f = fopen(cmd, "r");
	cr_assert_not_null(f);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	aux = calloc(1, (size_t)n + 1);
	cr_assert_eq(fread(aux, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	cr_assert_eq(ac_protos_parse(aux, SRC, &p, why, sizeof why), 0, "%s", why);
	free(aux);
	cr_assert_eq(p.n, 5);
	ac_protos_free(&p);
	snprintf(cmd, sizeof cmd, "cd %s && JUDGE_GEN=%s/judge-gen %s/tools/judge-build -O2 >&2 && "
	         "AC_MIN_TIME_S=0.01 ./candidate", dir, AC_BUILD_DIR, AC_SOURCE_DIR);
	char *out = run(cmd);
	cr_assert(strstr(out, "\"correct\":true"), "%s", out);
	cr_assert(strstr(out, "\"rotation\":\"on\""), "%s", out);
	snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
	run(cmd);
}

/* A typedef'd struct by value is caught by the stub's static assertion,
 * which names the function and the parameter. */
Test(judge, typedef_struct_by_value_is_a_named_build_error, .timeout = 60)
{
	static const char input[] = "typedef struct { int a, b; } pair;\n"
	                            "int f(pair p, int n) { return p.a + p.b + n; }\n";
	char dir[] = "/tmp/ac-test-judge-XXXXXX", cmd[2048], why[256], *aux;
	struct ac_protos p;

	cr_assert_not_null(mkdtemp(dir));
	snprintf(cmd, sizeof cmd, "%s/.ac_reference.c", dir);
	write_file(cmd, input);
	snprintf(cmd, sizeof cmd, "cd %s && cc -fsyntax-only -aux-info .ac_protos.aux "
	         ".ac_reference.c && cat .ac_protos.aux", dir);
	aux = strdup(run(cmd));
	cr_assert_eq(ac_protos_parse(aux, SRC, &p, why, sizeof why), 0, "%s", why);
	free(aux);
	char *stubs = ac_stubs_source(&p, SRC);
	snprintf(cmd, sizeof cmd, "%s/.ac_stubs.c", dir);
	write_file(cmd, stubs);
	free(stubs);
	ac_protos_free(&p);
	snprintf(cmd, sizeof cmd, "cd %s && cc -I%s/targets/include -c .ac_stubs.c 2>&1; rm -rf %s",
	         dir, AC_SOURCE_DIR, dir);
	FILE *pp = popen(cmd, "r");
	static char out[8192];
	size_t n = fread(out, 1, sizeof out - 1, pp);
	out[n] = '\0';
	pclose(pp);
	cr_assert(strstr(out, "f: parameter p (pair p) cannot be forwarded"), "%s", out);
}

/*
 * A kernel that returns its answer (a dot product) and caches it by its
 * input pointers: the judge checks the returned value of every timed
 * repetition with the rule of the harness's own check of a returned value.
 * (A million elements: a call of about half a millisecond stands above the
 * round trip's noise when the other core is busy too.)
 */
Test(judge, a_returned_value_is_checked_every_repetition, .timeout = 120)
{
	static const char honest[] =
		"double dot(int n, const double *x, const double *y)\n"
		"{ double s = 0; for (int i = 0; i < n; i++) s += x[i] * y[i]; return s; }\n";
	static const char cached[] =
		"double dot(int n, const double *x, const double *y)\n"
		"{ static const double *lx; static double last;\n"
		"  if (x == lx) return last;\n"
		"  double s = 0; for (int i = 0; i < n; i++) s += x[i] * y[i];\n"
		"  lx = x; last = s; return s; }\n";
	static const char harness[] =
		"#include <autocomp.h>\n"
		"double dot(int n, const double *x, const double *y);\n"
		"double ref_dot(int n, const double *x, const double *y);\n"
		"int main(int argc, char **argv)\n{\n"
		"  const int n = 1 << 20;\n  double got, want;\n"
		"  ac_init(argc, argv);\n"
		"  double *x = ac_alloc_f64(n), *y = ac_alloc_f64(n);\n"
		"  ac_fill_f64(x, n, -1, 1);\n  ac_fill_f64(y, n, -1, 1);\n"
		"  want = ref_dot(n, x, y);\n  got = dot(n, x, y);\n"
		"  ac_check_close_f64(\"dot\", &got, &want, 1, 1e-9, 1e-9);\n"
		"  AC_TIME(got = dot(n, x, y));\n"
		"  ac_check_close_f64(\"dot\", &got, &want, 1, 1e-9, 1e-9);\n"
		"  return ac_report();\n}\n";
	for (int which = 0; which < 2; which++) {
		char dir[] = "/tmp/ac-test-judge-XXXXXX", cmd[4096], path[600];

		cr_assert_not_null(mkdtemp(dir));
		snprintf(path, sizeof path, "%s/reference.c", dir);
		write_file(path, honest);
		snprintf(path, sizeof path, "%s/input.c", dir);
		write_file(path, which ? cached : honest);
		snprintf(path, sizeof path, "%s/harness.c", dir);
		write_file(path, harness);
		snprintf(cmd, sizeof cmd, "cd %s && REFERENCE=reference.c JUDGE_GEN=%s/judge-gen "
		         "%s/tools/judge-build -O2 >&2 && AC_MIN_TIME_S=0.01 ./candidate", dir,
		         AC_BUILD_DIR, AC_SOURCE_DIR);
		char *out = run(cmd);
		if (which == 0) {
			cr_assert(strstr(out, "\"correct\":true") && strstr(out, "\"rotation\":\"on\""),
			          "%s", out);
		} else {
			cr_assert(strstr(out, "\"correct\":false"), "%s", out);
			cr_assert(strstr(out, "dot returned") && strstr(out, "a timed repetition"), "%s", out);
		}
		snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
		run(cmd);
	}
}
