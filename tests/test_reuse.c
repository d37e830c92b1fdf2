/*
 * test_reuse.c - schedule reuse's pure rules: which earlier kernel serves
 * as the donor (the same input, the closest shapes, the words the log
 * gets), the sizes read from a harness, and which plan prompts a donor's
 * step steers (one in REUSE_SHARE, the others planning as usual).
 */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "engine/search/reuse.h"

static const char *gemm_input =
	"/* C = A x B */\n"
	"#define MC 256 // autocomp-tune: 64 128 256\n"
	"void gemm(int M, int N, int K, const float *A, const float *B, float *C)\n"
	"{\n\tfor (int i = 0; i < M; i++) C[i] = A[i] + B[i];\n}\n";

/* The same code with other comments and layout: the same input. */
static const char *gemm_input_relaid =
	"// gemm, as the donor wrote it\n"
	"#define MC 256   // autocomp-tune: 64 128 256\n"
	"void gemm(int M, int N, int K,\n"
	"          const float *A, const float *B, float *C)\n"
	"{\n  for (int i = 0; i < M; i++)\n    C[i] = A[i] + B[i];\n}\n";

static const char *conv_input =
	"void conv2d(int C, int K, const float *in, float *out) { out[0] = in[0]; }\n";

static char harness[8][400];

/* A gemm harness for M x N x K. */
static const char *gemm_harness(int slot, int m, int n, int k)
{
	snprintf(harness[slot], sizeof(harness[slot]),
	         "#include <autocomp.h>\n"
	         "int main(int argc, char **argv)\n{\n"
	         "\tconst int M = %d, N = %d, K = %d;\n"
	         "\tfor (int r = 0; r < 3; r++)\n\t\tgemm(M, N, K, 0, 0, 0);\n"
	         "\treturn ac_report();\n}\n", m, n, k);
	return harness[slot];
}

Test(reuse, shapes_are_the_integer_constants_a_harness_names)
{
	struct reuse_shape s;
	const char *text =
		"/* sizes: X = 5; in a comment do not count */\n"
		"#define ROWS 4096\n"
		"#  define COLS 0x10   // hex\n"
		"#define NAME \"x\"\n"
		"static const char *why = \"Y = 3;\";\n"
		"int main(void)\n{\n"
		"\tconst int M = 384, N = 768, K = 384;\n"
		"\tsize_t big = 1 << 20;\n"
		"\tdouble alpha = 1.5;\n"
		"\tint M2=7;\n"
		"\tfor (int i = 0; i < M; i++)\n"
		"\t\tif (i == 3) continue;\n"
		"\tint M = 1;\n"
		"\treturn 0;\n}\n";

	reuse_shape_parse(text, &s);
	const char *names[] = { "ROWS", "COLS", "M", "N", "K", "M2", "i" };
	const long long values[] = { 4096, 16, 384, 768, 384, 7, 0 };
	cr_assert_eq(s.n, 7, "%d sizes", s.n);
	for (int j = 0; j < 7; j++) {
		cr_assert_str_eq(s.name[j], names[j]);
		cr_assert_eq(s.value[j], values[j], "%s", names[j]);
	}
	reuse_shape_parse(NULL, &s);
	cr_assert_eq(s.n, 0);
	reuse_shape_parse("int main(void) { return 0; }", &s);
	cr_assert_eq(s.n, 0);
}

Test(reuse, shape_distance_is_the_sum_of_log_ratios)
{
	struct reuse_shape a, b, c;
	int un;

	reuse_shape_parse(gemm_harness(0, 512, 512, 512), &a);
	reuse_shape_parse(gemm_harness(1, 384, 768, 384), &b);
	cr_assert_float_eq(reuse_shape_distance(&a, &a, &un), 0, 1e-12);
	cr_assert_eq(un, 0);
	double want = 2 * log(512.0 / 384.0) + log(768.0 / 512.0);
	cr_assert_float_eq(reuse_shape_distance(&a, &b, &un), want, 1e-9);
	cr_assert_eq(un, 0);
	cr_assert_float_eq(reuse_shape_distance(&b, &a, NULL), want, 1e-9, "symmetric");
	reuse_shape_parse("#define ROWS 10\nint M = 512;\n", &c);
	reuse_shape_distance(&a, &c, &un);
	cr_assert_eq(un, 3 + 1, "N, K, r of one and ROWS of the other");
}

static struct reuse_kernel here(void)
{
	return (struct reuse_kernel){
		.name = "gemm-b", .input = gemm_input, .input_name = "input.c",
		.harness = gemm_harness(7, 384, 768, 384),
	};
}

Test(reuse, the_same_input_and_the_closest_shapes_win)
{
	struct reuse_kernel me = here();
	struct reuse_kernel k[] = {
		{ "conv", conv_input, "input.c", "const int C = 64;", true, 1 },
		{ "gemm-1024", gemm_input, "input.c", gemm_harness(0, 1024, 1024, 1024), true, 2 },
		{ "gemm-512", gemm_input_relaid, "input.c", gemm_harness(1, 512, 512, 512), true, 3 },
		{ "gemm-new", gemm_input, "input.c", gemm_harness(2, 384, 768, 384), false, 4 },
		{ "never", NULL, NULL, NULL, false, 0 },
	};
	struct strbuf w = { 0 };

	cr_assert_eq(reuse_choose(&me, k, 5, false, &w), 2, "%s", w.buf);
	cr_assert_str_eq(w.buf, "donor gemm-512: the same input, M 512 -> 384, N 512 -> 768, "
	                 "K 512 -> 384; passed over: conv (another input), gemm-1024 (farther "
	                 "shapes: M 1024 -> 384, N 1024 -> 768, K 1024 -> 384), gemm-new (no "
	                 "schedule: nothing beat its input), never (never ran)");
	sb_release(&w);
}

Test(reuse, none_fits_says_why_each_was_passed_over)
{
	struct reuse_kernel me = here();
	struct reuse_kernel k[] = {
		{ "conv", conv_input, "input.c", "const int C = 64;", true, 1 },
		{ "gemm-new", gemm_input, "input.c", gemm_harness(2, 384, 768, 384), false, 4 },
	};
	struct strbuf w = { 0 };

	cr_assert_eq(reuse_choose(&me, k, 2, false, &w), -1);
	cr_assert_str_eq(w.buf, "no earlier kernel fits (the same input, with a schedule): conv "
	                 "(another input), gemm-new (no schedule: nothing beat its input)");
	sb_release(&w);
	cr_assert_eq(reuse_choose(&me, k, 0, false, &w), -1);
	cr_assert_str_eq(w.buf, "no earlier kernel to choose from");
	sb_release(&w);
}

/* A kernel the user named alone serves even with another input: similar
 * kernels often differ in their code. */
Test(reuse, one_named_kernel_serves_with_another_input)
{
	struct reuse_kernel me = here();
	struct reuse_kernel k[] = {
		{ "conv", conv_input, "input.c", "const int C = 64;", true, 1 },
	};
	struct strbuf w = { 0 };

	cr_assert_eq(reuse_choose(&me, k, 1, true, &w), 0);
	cr_assert_str_eq(w.buf, "donor conv: another input (named in config.json): only its "
	                 "steps that apply here count");
	sb_release(&w);
	k[0].schedule = false;
	cr_assert_eq(reuse_choose(&me, k, 1, true, &w), -1);
	cr_assert_str_eq(w.buf, "no donor: conv (no schedule: nothing beat its input)");
	sb_release(&w);
}

Test(reuse, a_tie_goes_to_the_newer_run_and_same_sizes_say_so)
{
	struct reuse_kernel me = here();
	struct reuse_kernel k[] = {
		{ "old", gemm_input, "input.c", gemm_harness(0, 384, 768, 384), true, 10 },
		{ "new", gemm_input, "input.c", gemm_harness(1, 384, 768, 384), true, 20 },
		{ "mid", gemm_input, "input.c", gemm_harness(2, 384, 768, 384), true, 15 },
	};
	struct strbuf w = { 0 };

	cr_assert_eq(reuse_choose(&me, k, 3, false, &w), 1);
	cr_assert_str_eq(w.buf, "donor new: the same input, the same sizes; passed over: old "
	                 "(shapes as close, an older run), mid (shapes as close, an older run)");
	sb_release(&w);
}

/* Sizes named in one harness only count before the distance: a harness
 * written for another call is a poorer match than other sizes of the
 * same call. */
Test(reuse, unmatched_sizes_come_before_the_distance)
{
	struct reuse_kernel me = here();
	struct reuse_kernel k[] = {
		{ "other-call", gemm_input, "input.c", "#define ROWS 384\n#define COLS 768\n", true, 1 },
		{ "far", gemm_input, "input.c", gemm_harness(0, 4096, 4096, 4096), true, 2 },
	};
	struct strbuf w = { 0 };

	cr_assert_eq(reuse_choose(&me, k, 2, false, &w), 1, "%s", w.buf);
	cr_assert(strstr(w.buf, "other-call (farther shapes: the same sizes (6 sizes named in one "
	                        "harness only))"), "%s", w.buf);
	sb_release(&w);
}

/* One plan prompt in REUSE_SHARE follows the step of its iteration, the
 * first of each run of REUSE_SHARE; iterations past the schedule plan
 * freely. */
Test(reuse, one_plan_prompt_in_share_is_steered)
{
	cr_assert_eq(REUSE_SHARE, 4);
	cr_assert_eq(reuse_steer_step(1, 2, 0), 0);
	cr_assert_eq(reuse_steer_step(1, 2, 1), -1);
	cr_assert_eq(reuse_steer_step(1, 2, 3), -1);
	cr_assert_eq(reuse_steer_step(1, 2, 4), 0);
	cr_assert_eq(reuse_steer_step(2, 2, 8), 1);
	cr_assert_eq(reuse_steer_step(3, 2, 0), -1, "past the schedule");
	cr_assert_eq(reuse_steer_step(1, 0, 0), -1, "no schedule");
	cr_assert_eq(reuse_steer_step(0, 2, 0), -1);
	cr_assert_eq(reuse_steer_step(1, 2, -1), -1);
	/* of n prompts, ceil(n / 4) follow the step: its whole cost */
	for (int n = 1; n <= 40; n++) {
		int steered = 0;
		for (int p = 0; p < n; p++)
			steered += reuse_steer_step(1, 1, p) == 0;
		cr_assert_eq(steered, (n + REUSE_SHARE - 1) / REUSE_SHARE, "n %d", n);
	}
}
