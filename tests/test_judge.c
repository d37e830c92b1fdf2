/*
 * test_judge.c - the stub generator (targets/judge/judge.c): reading gcc
 * -aux-info, refusing what cannot be forwarded with the function and the
 * parameter named, and generated sources that a real compiler builds and
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
	cr_assert_str_eq(p.v[0].ptype[3], "const float *");
	cr_assert(p.v[0].pconst[3] && p.v[0].pconst[4] && !p.v[0].pconst[5] && !p.v[0].pconst[0]);
	cr_assert_str_eq(p.v[1].name, "dot");
	cr_assert_str_eq(p.v[1].ret, "double");
	cr_assert_str_eq(p.v[1].ptype[0], "size_t");
	cr_assert(p.v[1].pconst[1] && p.v[1].pconst[2], "\"double const *\" is const too");
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
		{ "extern void pp (const float *const *rows); /* (rows) const float *const *rows; */",
		  "parameter rows", "pointer to pointers" },
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
		"#define N 64\n"   /* a macro named like a parameter must not matter */
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
	char *judge = ac_judge_source(&p, "harness.c"), *worker = ac_worker_source(&p);
	cr_assert(judge && worker);
	snprintf(cmd, sizeof cmd, "%s/.ac_judge.c", dir);
	write_file(cmd, judge);
	snprintf(cmd, sizeof cmd, "%s/.ac_worker.c", dir);
	write_file(cmd, worker);
	free(judge);
	free(worker);
	ac_protos_free(&p);
	snprintf(cmd, sizeof cmd,
	         "cd %s && I=%s/targets/include && cc -O2 -Wall -Wextra -Werror -I$I -c .ac_judge.c && "
	         "cc -O2 -c .ac_reference.c -o raw.o && "
	         "nm -P --defined-only -g raw.o | awk '{print $1\" ref_\"$1}' > syms && "
	         "objcopy --redefine-syms=syms raw.o ref.o && cc .ac_judge.o ref.o -o candidate -lm && "
	         "cc -O2 -Wall -Wextra -Werror -I$I -c .ac_worker.c && cc -O2 -c input.c && "
	         "cc input.o .ac_worker.o -o candidate.worker -lm && AC_MIN_TIME_S=0.01 ./candidate",
	         dir, AC_SOURCE_DIR);
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
	static const char aux[] =
		"/* .ac_reference.c:3:NF */ extern void f (pair p, int n); /* (p, n) pair p; int n; */\n";
	char dir[] = "/tmp/ac-test-judge-XXXXXX", cmd[2048], why[256];
	struct ac_protos p;

	cr_assert_eq(ac_protos_parse(aux, SRC, &p, why, sizeof why), 0, "%s", why);
	cr_assert_not_null(mkdtemp(dir));
	char *judge = ac_judge_source(&p, "harness.c");
	snprintf(cmd, sizeof cmd, "%s/.ac_judge.c", dir);
	write_file(cmd, judge);
	snprintf(cmd, sizeof cmd, "%s/harness.c", dir);
	write_file(cmd, "#include <autocomp.h>\ntypedef struct { int a, b; } pair;\n"
	                "void f(pair p, int n);\nint main(void) { return 0; }\n");
	free(judge);
	ac_protos_free(&p);
	snprintf(cmd, sizeof cmd, "cd %s && cc -I%s/targets/include -c .ac_judge.c 2>&1; rm -rf %s",
	         dir, AC_SOURCE_DIR, dir);
	FILE *pp = popen(cmd, "r");
	static char out[8192];
	size_t n = fread(out, 1, sizeof out - 1, pp);
	out[n] = '\0';
	pclose(pp);
	cr_assert(strstr(out, "f: parameter p (pair) cannot be forwarded"), "%s", out);
}

/*
 * A kernel that returns its answer (a dot product) and caches it by its
 * input pointers: the judge checks the returned value of every timed
 * repetition with the rule of the harness's own check of a returned value.
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
		"  const int n = 4096;\n  double got, want;\n"
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
		snprintf(path, sizeof path, "%s/.ac_reference.c", dir);
		write_file(path, honest);
		snprintf(path, sizeof path, "%s/input.c", dir);
		write_file(path, which ? cached : honest);
		snprintf(path, sizeof path, "%s/harness.c", dir);
		write_file(path, harness);
		snprintf(cmd, sizeof cmd,
		         "cd %s && I=%s/targets/include && cc -fsyntax-only -aux-info .ac_protos.aux "
		         ".ac_reference.c && %s/judge-gen .ac_protos.aux .ac_reference.c harness.c && "
		         "cc -O2 -Werror -I$I -c .ac_judge.c && cc -O2 -c .ac_reference.c -o raw.o && "
		         "nm -P --defined-only -g raw.o | awk '{print $1\" ref_\"$1}' > syms && "
		         "objcopy --redefine-syms=syms raw.o ref.o && cc .ac_judge.o ref.o -o candidate -lm && "
		         "cc -O2 -I$I -c .ac_worker.c && cc -O2 -c input.c && "
		         "cc input.o .ac_worker.o -o candidate.worker -lm && AC_MIN_TIME_S=0.01 ./candidate",
		         dir, AC_SOURCE_DIR, AC_BUILD_DIR);
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
