/*
 * test_prompt.c - the prompts (engine/llm/prompt.c): marker lines, option
 * numbering, seeded dropout, rules, and reading which option a plan chose.
 */
#include "engine/llm/prompt.h"

#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static struct menu menu40;

static void make_menu40(void)
{
	char text[8192];
	size_t len = 0;
	len += (size_t)snprintf(text + len, sizeof(text) - len, "# a comment\n\n");
	for (int i = 1; i <= 40; i++)
		len += (size_t)snprintf(text + len, sizeof(text) - len,
					"  optimization number %d: do thing %d  \n", i, i);
	cr_assert_eq(menu_parse(text, &menu40), 0);
	cr_assert_eq(menu40.count, 40);
}

static void free_menu40(void)
{
	menu_clear(&menu40);
}

static const char code[] = "void gemm(int M, int N, int K, const float *A, const float *B, float *C)\n{\n}\n";

static struct prompt_ctx base_ctx(void)
{
	return (struct prompt_ctx){
		.kernel = "gemm", .target = "cpu", .notes = "The CPU has AVX-512.\n",
		.menu = &menu40, .keep = 0.25, .parent_code = code, .file_name = "input.c",
		.parent_time_ns = 12.5e6, .input_time_ns = 20e6, .iteration = 3, .iterations = 8,
	};
}

TestSuite(prompt, .init = make_menu40, .fini = free_menu40);

Test(prompt, rng_deterministic)
{
	uint64_t a = 42;
	uint64_t b = 42;
	for (int i = 0; i < 100; i++)
		cr_assert_eq(prompt_rng_next(&a), prompt_rng_next(&b));
	uint64_t s = 7;
	for (int i = 0; i < 1000; i++) {
		double u = prompt_rng_unit(&s);
		cr_assert(u >= 0.0 && u < 1.0);
	}
	uint64_t c = 43;
	a = 42;
	cr_assert_neq(prompt_rng_next(&a), prompt_rng_next(&c));
}

Test(prompt, menu_parse_comments_and_blanks)
{
	struct menu m;
	cr_assert_eq(menu_parse("# title\n\nloop tiling\n   # indented comment\n"
				"  unrolling  \r\n#pragma-free line\nuse #pragma omp simd\n", &m), 0);
	cr_assert_eq(m.count, 3);
	cr_assert_str_eq(m.options[0], "loop tiling");
	cr_assert_str_eq(m.options[1], "unrolling");
	cr_assert_str_eq(m.options[2], "use #pragma omp simd");
	menu_clear(&m);
	cr_assert_eq(m.count, 0);
	cr_assert_null(m.options);
	cr_assert_eq(menu_parse("", &m), 0);
	cr_assert_eq(m.count, 0);
	menu_clear(&m);
	menu_clear(NULL);
}

Test(prompt, plan_markers_and_sections)
{
	struct prompt_ctx ctx = base_ctx();
	uint64_t rng = 1;
	char *offered = NULL;
	char *p = prompt_plan(&ctx, &rng, &offered);
	cr_assert_not_null(p);
	cr_assert_eq(strncmp(p, "## Phase: plan\n## Kernel: gemm\n", 31), 0, "%s", p);
	cr_assert(strstr(p, "This is phase 3 of 8."));
	cr_assert(strstr(p, "The CPU has AVX-512."));
	cr_assert(strstr(p, "```c\nvoid gemm("), "code not fenced as c");
	cr_assert(strstr(p, "12.5 ms"));
	cr_assert(strstr(p, "1.60x"));
	cr_assert(strstr(p, "20 ms"));
	cr_assert(strstr(p, "\n- [0] other: a different optimization of your own\n"));
	cr_assert(strstr(p, "exactly one"));
	free(offered);
	free(p);
}

Test(prompt, plan_rules_numbered)
{
	struct prompt_ctx ctx = base_ctx();
	uint64_t rng = 1;
	char *p = prompt_plan(&ctx, &rng, NULL);
	cr_assert_not_null(p);
	const char *rules = strstr(p, "### Rules");
	cr_assert_not_null(rules);
	cr_assert(strstr(rules, "\n1. Keep the signature"));
	cr_assert(strstr(rules, "ref_"));
	cr_assert(strstr(rules, "timers"));
	cr_assert(strstr(rules, "environment"));
	cr_assert(strstr(rules, "Correctness comes first"));
	cr_assert(strstr(rules, "Do not write code in this phase"));
	cr_assert(strstr(rules, "Be concrete"));
	cr_assert(strstr(rules, "\n7. "));
	free(p);
}

/* The option numbers listed in a prompt, in order; returns how many. */
static int listed(const char *p, int *nums, int max)
{
	int n = 0;
	for (const char *q = strstr(p, "\n- ["); q && n < max; q = strstr(q + 1, "\n- ["))
		nums[n++] = atoi(q + 4);
	return n;
}

Test(prompt, options_numbered_in_full_menu)
{
	struct prompt_ctx ctx = base_ctx();
	ctx.keep = 1.0;
	uint64_t rng = 5;
	char *offered = NULL;
	char *p = prompt_plan(&ctx, &rng, &offered);
	int nums[64];
	int n = listed(p, nums, 64);
	cr_assert_eq(n, 41);
	for (int i = 0; i < 40; i++)
		cr_assert_eq(nums[i], i + 1);
	cr_assert_eq(nums[40], 0);
	cr_assert(strstr(p, "\n- [17] optimization number 17: do thing 17\n"));
	cr_assert_eq(strncmp(offered, "[1] optimization number 1: do thing 1\n", 38), 0);
	free(offered);
	free(p);

	/* With dropout, numbers still refer to the full menu and match "offered". */
	ctx.keep = 0.25;
	rng = 99;
	p = prompt_plan(&ctx, &rng, &offered);
	n = listed(p, nums, 64);
	cr_assert_gt(n, 1);
	int lines = 0;
	for (const char *q = offered; *q; q++)
		lines += *q == '\n';
	cr_assert_eq(lines, n - 1);
	for (int i = 0; i + 1 < n; i++) {
		char want[128];
		snprintf(want, sizeof(want), "[%d] optimization number %d: do thing %d\n",
			 nums[i], nums[i], nums[i]);
		cr_assert(strstr(offered, want), "offered lacks %s", want);
		if (i > 0)
			cr_assert_gt(nums[i], nums[i - 1]);
	}
	free(offered);
	free(p);
}

Test(prompt, dropout_deterministic_per_seed)
{
	struct prompt_ctx ctx = base_ctx();
	uint64_t r1 = 1234;
	uint64_t r2 = 1234;
	char *o1;
	char *o2;
	char *p1 = prompt_plan(&ctx, &r1, &o1);
	char *p2 = prompt_plan(&ctx, &r2, &o2);
	cr_assert_str_eq(p1, p2);
	cr_assert_str_eq(o1, o2);
	cr_assert_eq(r1, r2);
	/* Another seed gives another draw (for these seeds). */
	uint64_t r3 = 4321;
	char *o3;
	char *p3 = prompt_plan(&ctx, &r3, &o3);
	cr_assert_str_neq(o1, o3);
	free(p1);
	free(p2);
	free(p3);
	free(o1);
	free(o2);
	free(o3);
}

Test(prompt, dropout_keeps_a_quarter_on_average)
{
	struct prompt_ctx ctx = base_ctx();
	long total = 0;
	int runs = 2000;
	for (int seed = 0; seed < runs; seed++) {
		uint64_t rng = (uint64_t)seed;
		char *offered;
		char *p = prompt_plan(&ctx, &rng, &offered);
		cr_assert_not_null(p);
		int lines = 0;
		for (const char *q = offered; *q; q++)
			lines += *q == '\n';
		cr_assert_geq(lines, 1);
		total += lines;
		free(offered);
		free(p);
	}
	double mean = (double)total / runs;
	cr_assert(mean > 9.5 && mean < 10.5, "mean kept %.2f of 40", mean);
}

Test(prompt, dropout_keeps_at_least_one)
{
	struct prompt_ctx ctx = base_ctx();
	ctx.keep = 1e-9;
	for (int seed = 0; seed < 50; seed++) {
		uint64_t rng = (uint64_t)seed;
		char *offered;
		char *p = prompt_plan(&ctx, &rng, &offered);
		int nums[64];
		cr_assert_eq(listed(p, nums, 64), 2);
		cr_assert_gt(nums[0], 0);
		free(offered);
		free(p);
	}
}

Test(prompt, invent_asks_for_something_new)
{
	struct prompt_ctx ctx = base_ctx();
	ctx.invent = true;
	uint64_t rng = 3;
	char *p = prompt_plan(&ctx, &rng, NULL);
	cr_assert(strstr(p, "## Phase: plan\n"));
	cr_assert(strstr(p, "not on the list"));
	cr_assert(strstr(p, "[0]"));
	free(p);
}

Test(prompt, steer_included)
{
	struct prompt_ctx ctx = base_ctx();
	ctx.steer = "apply this step next: [4] pack B into panels";
	uint64_t rng = 3;
	char *p = prompt_plan(&ctx, &rng, NULL);
	cr_assert(strstr(p, "apply this step next: [4] pack B into panels"));
	free(p);
}

Test(prompt, implement_prompt)
{
	struct prompt_ctx ctx = base_ctx();
	char *p = prompt_implement(&ctx, "[3] Interchange the j and k loops.");
	cr_assert_not_null(p);
	cr_assert_eq(strncmp(p, "## Phase: implement\n## Kernel: gemm\n", 36), 0);
	cr_assert(strstr(p, "[3] Interchange the j and k loops."));
	cr_assert(strstr(p, "The CPU has AVX-512."));
	cr_assert(strstr(p, "void gemm("));
	cr_assert(strstr(p, "one fenced code block"));
	cr_assert(strstr(p, "\n1. Keep the signature"));
	cr_assert_null(strstr(p, "Do not write code"));
	cr_assert_null(strstr(p, "\n- ["), "no menu in an implement prompt");
	free(p);

	ctx.edits = true;
	p = prompt_implement(&ctx, "[3] x");
	cr_assert(strstr(p, "<<<<<<< SEARCH\n"));
	cr_assert(strstr(p, "\n=======\n"));
	cr_assert(strstr(p, "\n>>>>>>> REPLACE\n"));
	free(p);
}

Test(prompt, plan_implement_prompt)
{
	struct prompt_ctx ctx = base_ctx();
	uint64_t rng = 11;
	char *offered;
	char *p = prompt_plan_implement(&ctx, &rng, &offered);
	cr_assert_eq(strncmp(p, "## Phase: plan+implement\n## Kernel: gemm\n", 41), 0);
	cr_assert(strstr(p, "\n- [0] other"));
	cr_assert(strstr(p, "one fenced code block"));
	cr_assert_null(strstr(p, "Do not write code"));
	cr_assert_gt(strlen(offered), 0);
	free(offered);
	free(p);
}

Test(prompt, repair_prompt_caps_log)
{
	struct prompt_ctx ctx = base_ctx();
	size_t big = 20000;
	char *log = malloc(big + 1);
	memset(log, 'x', big);
	memcpy(log, "HEAD-ERROR", 10);
	memcpy(log + big - 10, "TAIL-ERROR", 10);
	log[big] = '\0';
	char *p = prompt_repair(&ctx, "[2] Tile.", "int broken(", log);
	cr_assert_not_null(p);
	cr_assert_eq(strncmp(p, "## Phase: repair\n## Kernel: gemm\n", 33), 0);
	cr_assert(strstr(p, "[2] Tile."));
	cr_assert(strstr(p, "int broken("));
	cr_assert(strstr(p, "HEAD-ERROR"));
	cr_assert(strstr(p, "TAIL-ERROR"));
	cr_assert(strstr(p, "bytes left out"));
	cr_assert_lt(strlen(p), 4096 + 4000, "repair prompt is %zu bytes", strlen(p));
	free(p);

	p = prompt_repair(&ctx, NULL, "int x;", "error: expected ';'");
	cr_assert(strstr(p, "error: expected ';'\n```"));
	free(p);
	free(log);
}

Test(prompt, code_with_backticks_gets_longer_fence)
{
	struct prompt_ctx ctx = base_ctx();
	ctx.parent_code = "/* see ```this``` */\nint x;\n";
	char *p = prompt_implement(&ctx, "plan");
	cr_assert(strstr(p, "````c\n/* see ```this``` */\nint x;\n````\n"));
	free(p);
}

Test(prompt, untimed_parent_and_other_languages)
{
	struct prompt_ctx ctx = base_ctx();
	ctx.parent_time_ns = 0;
	ctx.file_name = "input.cu";
	ctx.notes = NULL;
	char *p = prompt_implement(&ctx, "plan");
	cr_assert(strstr(p, "not been timed"));
	cr_assert(strstr(p, "```cuda\n"));
	cr_assert_null(strstr(p, "About the target"));
	free(p);
}

Test(prompt, plan_option_numbers)
{
	cr_assert_eq(prompt_plan_option(&menu40, "[3] Tile the loops."), 2);
	cr_assert_eq(prompt_plan_option(&menu40, "I choose **[ 12 ]** because..."), 11);
	cr_assert_eq(prompt_plan_option(&menu40, "[0] something new"), -1);
	cr_assert_eq(prompt_plan_option(&menu40, "see [99], then [40]"), 39);
	cr_assert_eq(prompt_plan_option(&menu40, "array[i] and [x] are not options; [5]"), 4);
	cr_assert_eq(prompt_plan_option(&menu40, "nothing here"), -1);
	cr_assert_eq(prompt_plan_option(&menu40, NULL), -1);
}

Test(prompt, plan_option_by_text)
{
	struct menu m;
	cr_assert_eq(menu_parse("loop tiling: split loops into blocks that fit the cache\n"
				"unroll loops (by 2, 4 or 8)\n"
				"hoist loop-invariant loads\n", &m), 0);
	cr_assert_eq(prompt_plan_option(&m, "I will HOIST LOOP-INVARIANT LOADS out of k."), 2);
	cr_assert_eq(prompt_plan_option(&m, "Apply loop tiling with 64x64 blocks."), 0);
	cr_assert_eq(prompt_plan_option(&m, "Unroll loops fully, then loop tiling."), 1);
	cr_assert_eq(prompt_plan_option(&m, "Vectorize."), -1);
	menu_clear(&m);
}

Test(prompt, parent_figures_in_the_plan_prompt)
{
	struct prompt_ctx ctx = base_ctx();
	ctx.parent_metrics = "{\"scratchpad_util\":0.42,\"cycles\":12000}";
	uint64_t rng = 1;
	char *p = prompt_plan(&ctx, &rng, NULL);
	cr_assert(strstr(p, "### Hardware figures"), "%s", p);
	cr_assert(strstr(p, "- scratchpad_util: 0.42\n- cycles: 12000\n"), "%s", p);
	free(p);
	ctx.parent_metrics = "{}";
	rng = 1;
	p = prompt_plan(&ctx, &rng, NULL);
	cr_assert_null(strstr(p, "Hardware figures"));
	free(p);
}

Test(prompt, combine_shows_both_parents)
{
	struct prompt_ctx ctx = base_ctx();
	ctx.other_num = 9;
	ctx.parent_num = 4;
	ctx.other_code = "void gemm_other(void) {}\n";
	ctx.other_plan = "[2] tile the loops";
	ctx.parent_plan = "[5] unroll by four";
	ctx.other_time_ns = 3e6;
	uint64_t rng = 1;
	char *p = prompt_plan(&ctx, &rng, NULL);
	cr_assert(strstr(p, "## Combine: #4 + #9\n"), "%s", p);
	cr_assert(strstr(p, "gemm_other") && strstr(p, "tile the loops") && strstr(p, "unroll by four"),
	          "%s", p);
	cr_assert(strstr(p, "applies both"), "%s", p);
	free(p);
	p = prompt_implement(&ctx, "[5] combine them");
	cr_assert(strstr(p, "## Combine: #4 + #9\n") && strstr(p, "gemm_other"), "%s", p);
	free(p);
}

Test(prompt, examples_in_plan_and_implement)
{
	struct prompt_ctx ctx = base_ctx();
	ctx.examples = "#### tile\n\nBefore:\n\n```c\nA\n```\n";
	uint64_t rng = 1;
	char *p = prompt_plan(&ctx, &rng, NULL);
	cr_assert(strstr(p, "### Examples") && strstr(p, "#### tile"), "%s", p);
	free(p);
	p = prompt_implement(&ctx, "[1] tile");
	cr_assert(strstr(p, "### Examples"), "%s", p);
	free(p);
}

/* Menus and notes for one core or several: marked lines kept or left out,
 * the number filled in. */
Test(prompt, text_for_cores_keeps_the_lines_of_its_case)
{
	static const char text[] = "# cpu\n"
	                           "Tile the loops\n"
	                           "@one-core Single thread only\n"
	                           "@cores Parallelize the outer loop over {cores} cores\n"
	                           "timed on {cores} core(s)";
	char *one = text_for_cores(text, 1), *two = text_for_cores(text, 2);

	cr_assert_str_eq(one, "# cpu\nTile the loops\nSingle thread only\ntimed on 1 core(s)");
	cr_assert_str_eq(two, "# cpu\nTile the loops\nParallelize the outer loop over 2 cores\n"
	                      "timed on 2 core(s)");
	free(one);
	free(two);
	cr_assert_null(text_for_cores(NULL, 2));
	struct menu m;
	char *menu = text_for_cores("a\n@cores b\n@one-core c\n", 4);
	cr_assert_eq(menu_parse(menu, &m), 0);
	cr_assert_eq(m.count, 2);
	cr_assert_str_eq(m.options[1], "b");
	menu_clear(&m);
	free(menu);
}
