/*
 * test_reply.c - reading LLM answers (engine/llm/reply.c): the code is the
 * last complete fenced block, the plan is what is left after reasoning,
 * and SEARCH/REPLACE edits apply exactly or not at all.
 */
#include "engine/llm/reply.h"

#include "ac_config.h"

#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void expect_code(const char *text, const char *want)
{
	char *code = reply_code(text);
	if (!want) {
		cr_assert_null(code, "expected no code, got \"%s\"", code);
		return;
	}
	cr_assert_not_null(code, "no code found in \"%s\"", text);
	cr_assert_str_eq(code, want);
	free(code);
}

Test(reply, code_last_fence_wins)
{
	expect_code("First:\n```c\nold();\n```\nThen:\n```c\nnew();\n```\nDone.", "new();\n");
}

Test(reply, code_any_language_tag)
{
	expect_code("```\nplain();\n```", "plain();\n");
	expect_code("```cuda\n__global__ void k() {}\n```\n", "__global__ void k() {}\n");
	expect_code("``` c  \nspaced();\n```", "spaced();\n");
	expect_code("```python title=\"x.py\"\nprint(1)\n```", "print(1)\n");
}

Test(reply, code_tilde_and_long_fences)
{
	expect_code("~~~c\ntilde();\n~~~\n", "tilde();\n");
	/* A longer fence may contain a shorter one. */
	expect_code("````markdown\n```c\ninner();\n```\n````\n", "```c\ninner();\n```\n");
	/* A closing fence must match the opening character. */
	expect_code("~~~\na();\n```\nb();\n~~~\n", "a();\n```\nb();\n");
}

Test(reply, code_unclosed_fence_is_cut)
{
	expect_code("```c\nint f(void) {\n", NULL);
	/* Even after a complete block: the final code was cut off. */
	expect_code("```c\nold();\n```\nNow:\n```c\nint f(void) {\n", NULL);
}

Test(reply, code_none)
{
	expect_code("I would tile the loops, but here is no code.", NULL);
	expect_code("", NULL);
	expect_code(NULL, NULL);
	/* Inline triple backticks are not a fence. */
	expect_code("use ```x``` inline", NULL);
}

Test(reply, code_empty_block_and_crlf)
{
	expect_code("```c\n```\n", "");
	expect_code("```c\r\nint a;\r\nint b;\r\n```\r\n", "int a;\nint b;\n");
}

Test(reply, code_indented_fence)
{
	expect_code("1. Step:\n   ```c\n   int a;\n     int b;\n   ```\n", "int a;\n  int b;\n");
}

Test(reply, code_ignores_reasoning)
{
	expect_code("<think>maybe\n```c\ndraft();\n```\n</think>\nFinal:\n```c\nfinal();\n```",
		    "final();\n");
	/* Only a draft inside the reasoning: no code. */
	expect_code("<think>```c\ndraft();\n```</think>\nI give up.", NULL);
	/* A leading reasoning section without its opening tag. */
	expect_code("```c\ndraft();\n```\n</think>\n```c\nfinal();\n```", "final();\n");
}

/* ---- the corpus of reply shapes (tests/replies/) ---- */

static char *slurp_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	static char buf[1 << 16];
	size_t n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	return strdup(buf);
}

static const char *src(void)
{
	const char *p = getenv("AC_SOURCE_DIR");
	return p && *p ? p : AC_SOURCE_DIR;
}

/* Reads tests/replies/NAME.md and checks reply_code_for against NAME.want
 * (absent: no code) for a file named file_name rewritten from parent. */
static void expect_corpus(const char *name, const char *file_name, const char *parent_code)
{
	char path[1024];
	snprintf(path, sizeof(path), "%s/tests/replies/%s.md", src(), name);
	char *text = slurp_file(path);
	cr_assert_not_null(text, "cannot read %s", path);
	snprintf(path, sizeof(path), "%s/tests/replies/%s.want", src(), name);
	char *want = slurp_file(path);
	char *gemm = NULL;
	if (!parent_code) {
		snprintf(path, sizeof(path), "%s/tests/kernels/gemm/input.c", src());
		gemm = slurp_file(path);
		cr_assert_not_null(gemm);
		parent_code = gemm;
	}
	struct reply_want w = {.file_name = file_name, .parent = parent_code};
	char *code = reply_code_for(text, &w);
	if (!want)
		cr_assert_null(code, "%s: expected no code, got \"%s\"", name, code);
	else
		cr_assert(code && !strcmp(code, want), "%s: got \"%s\"", name, code ? code : "(none)");
	free(code);
	free(want);
	free(text);
	free(gemm);
}

Test(reply, corpus_of_reply_shapes)
{
	static const char *const c_cases[] = {
		"inline-snippets", "usage-block", "two-versions", "headers-block", "header-first",
		"search-replace", "think", "unterminated", "unterminated-usage", "json-and-diff",
		"partial-after-whole", "untagged",
	};
	for (size_t i = 0; i < sizeof(c_cases) / sizeof(c_cases[0]); i++)
		expect_corpus(c_cases[i], "input.c", NULL);
	expect_corpus("cuda", "input.cu", NULL);
	expect_corpus("python", "input.py", "def gemm(a, b):\n    return a @ b\n");
}

Test(reply, corpus_edits_still_apply)
{
	char path[1024];
	snprintf(path, sizeof(path), "%s/tests/replies/search-replace.md", src());
	char *text = slurp_file(path);
	snprintf(path, sizeof(path), "%s/tests/kernels/gemm/input.c", src());
	char *gemm = slurp_file(path);
	cr_assert(text && gemm);
	char *out = NULL;
	char err[256];
	cr_assert_eq(reply_apply_edits(gemm, text, &out, err, sizeof(err)), 0, "%s", err);
	cr_assert(strstr(out, "float acc = 0;"), "%s", out);
	free(out);
	free(text);
	free(gemm);
}

Test(reply, code_for_language_and_functions)
{
	struct reply_want c = {.file_name = "input.c", .parent = "int f(void) { return 1; }\n"};
	/* a block in another language is not the code of a C file */
	char *code = reply_code_for("```c\nint f(void) { return 2; }\n```\n"
				    "```python\nprint(f())\n```\n", &c);
	cr_assert_str_eq(code, "int f(void) { return 2; }\n");
	free(code);
	/* tags are read case-insensitively, with attributes or a file name */
	code = reply_code_for("```C++ title=\"input.c\"\nint f(void) { return 3; }\n```\n", &c);
	cr_assert_str_eq(code, "int f(void) { return 3; }\n");
	free(code);
	code = reply_code_for("```c:input.c\nint f(void) { return 4; }\n```\n", &c);
	cr_assert_str_eq(code, "int f(void) { return 4; }\n");
	free(code);
	/* only never-code blocks: no code */
	code = reply_code_for("```bash\nmake\n```\n```sh\n./run\n```\n", &c);
	cr_assert_null(code);
	code = reply_code_for("```bash\nmake\n```\n", NULL);
	cr_assert_null(code);
	/* a call or a prototype is not a definition; a comment or string neither */
	c.parent = "void k(int n)\n{\n}\n";
	code = reply_code_for("```c\nvoid k(int n)\n{\n\tstep(n);\n}\n```\n"
			      "```c\n/* k(n) { */\nvoid k(int n);\nint main(void) { k(3); }\n```\n", &c);
	cr_assert_str_eq(code, "void k(int n)\n{\n\tstep(n);\n}\n");
	free(code);
	/* attributes between the parameters and the body */
	code = reply_code_for("```c\nvoid k(int n) __attribute__((hot))\n{\n}\n```\n"
			      "```c\nint other(void) { return 0; }\n```\n", &c);
	cr_assert_str_eq(code, "void k(int n) __attribute__((hot))\n{\n}\n");
	free(code);
	/* of two blocks, the one that defines more of the kernel's functions */
	c.parent = "void a(void) {}\nvoid b(void) {}\n";
	code = reply_code_for("```c\nvoid a(void) { x(); }\nvoid b(void) { y(); }\n```\n"
			      "```c\nvoid b(void) { z(); }\n```\n", &c);
	cr_assert_str_eq(code, "void a(void) { x(); }\nvoid b(void) { y(); }\n");
	free(code);
	/* an unknown extension takes its own tag and untagged blocks */
	struct reply_want m = {.file_name = "kernel.metal"};
	code = reply_code_for("```metal\nkernel void k() {}\n```\n```swift\nrun()\n```\n", &m);
	cr_assert_str_eq(code, "kernel void k() {}\n");
	free(code);
}

static void expect_plan(const char *text, const char *want)
{
	char *plan = reply_plan(text);
	cr_assert_not_null(plan);
	cr_assert_str_eq(plan, want);
	free(plan);
}

Test(reply, plan_strips_think)
{
	expect_plan("  [3] Tile the loops.  \n", "[3] Tile the loops.");
	expect_plan("<think>hmm, tiling or unrolling?</think>\n\n[3] Tile the loops.", "[3] Tile the loops.");
	expect_plan("reasoning without an opening tag</think>[5] Unroll.", "[5] Unroll.");
	expect_plan("A <think>x</think>B<think>y</think> C", "A B C");
	expect_plan("<thinking>long</thinking>\n[1] Hoist.", "[1] Hoist.");
	/* Reasoning cut off before it closed leaves nothing. */
	expect_plan("[2] Plan start. <think>and then", "[2] Plan start.");
	expect_plan("", "");
	expect_plan(NULL, "");
}

static const char parent[] =
	"int f(int x)\n"
	"{\n"
	"\treturn x + 1;\n"
	"}\n"
	"\n"
	"int g(int y)\n"
	"{\n"
	"\treturn y * 2;\n"
	"}\n";

Test(reply, edits_apply_in_order)
{
	const char *text =
		"I will change both functions.\n"
		"<<<<<<< SEARCH\n"
		"\treturn x + 1;\n"
		"=======\n"
		"\treturn x + 2;\n"
		">>>>>>> REPLACE\n"
		"and\n"
		"<<<<<<< SEARCH\n"
		"int g(int y)\n"
		"{\n"
		"\treturn y * 2;\n"
		"=======\n"
		"int g(int y)\n"
		"{\n"
		"\tint z = y << 1;\n"
		"\treturn z;\n"
		">>>>>>> REPLACE\n";
	char *out = NULL;
	char err[256];
	cr_assert_eq(reply_apply_edits(parent, text, &out, err, sizeof(err)), 0, "%s", err);
	cr_assert_str_eq(out,
		"int f(int x)\n{\n\treturn x + 2;\n}\n\nint g(int y)\n{\n"
		"\tint z = y << 1;\n\treturn z;\n}\n");
	free(out);
}

Test(reply, edits_inside_fence_and_deletion)
{
	const char *text =
		"```diff\n"
		"<<<<<<< SEARCH\n"
		"\n"
		"int g(int y)\n"
		"{\n"
		"\treturn y * 2;\n"
		"}\n"
		"=======\n"
		">>>>>>> REPLACE\n"
		"```\n";
	char *out = NULL;
	char err[256];
	cr_assert_eq(reply_apply_edits(parent, text, &out, err, sizeof(err)), 0, "%s", err);
	cr_assert_str_eq(out, "int f(int x)\n{\n\treturn x + 1;\n}\n");
	free(out);
}

Test(reply, edits_tolerate_trailing_blanks)
{
	const char *text = "<<<<<<< SEARCH\n\treturn x + 1;   \n=======\n\treturn 0;\n>>>>>>> REPLACE\n";
	char *out = NULL;
	char err[256];
	cr_assert_eq(reply_apply_edits(parent, text, &out, err, sizeof(err)), 0, "%s", err);
	cr_assert(strstr(out, "\treturn 0;\n"));
	free(out);
}

Test(reply, edits_no_final_newline_kept)
{
	char *out = NULL;
	char err[256];
	cr_assert_eq(reply_apply_edits("a\nb", "<<<<<<< SEARCH\nb\n=======\nc\n>>>>>>> REPLACE\n",
				       &out, err, sizeof(err)), 0, "%s", err);
	cr_assert_str_eq(out, "a\nc");
	free(out);
}

static void expect_edit_error(const char *text, const char *want)
{
	char *out = (char *)1;
	char err[256];
	cr_assert_eq(reply_apply_edits(parent, text, &out, err, sizeof(err)), -EINVAL);
	cr_assert_null(out);
	cr_assert(strstr(err, want), "error \"%s\" lacks \"%s\"", err, want);
}

Test(reply, edits_errors)
{
	expect_edit_error("no edits here", "no SEARCH/REPLACE edits");
	expect_edit_error("<<<<<<< SEARCH\nreturn z;\n=======\nx\n>>>>>>> REPLACE\n",
			  "edit 1: search text not found");
	expect_edit_error("<<<<<<< SEARCH\n{\n=======\n{ \n>>>>>>> REPLACE\n",
			  "edit 1: search text occurs 2 times");
	expect_edit_error("<<<<<<< SEARCH\n\treturn x + 1;\n=======\n\treturn 0;\n>>>>>>> REPLACE\n"
			  "<<<<<<< SEARCH\n\treturn x + 1;\n=======\nx\n>>>>>>> REPLACE\n",
			  "edit 2: search text not found");
	expect_edit_error("<<<<<<< SEARCH\n\treturn x + 1;\n=======\n\treturn 0;\n",
			  "edit 1: no >>>>>>> REPLACE");
	expect_edit_error("<<<<<<< SEARCH\n\treturn x + 1;\n", "edit 1: no =======");
	expect_edit_error("<<<<<<< SEARCH\n=======\nx\n>>>>>>> REPLACE\n", "edit 1: empty search");
}

Test(reply, edits_ignore_reasoning)
{
	const char *text =
		"<think>\n<<<<<<< SEARCH\nnot there\n=======\nx\n>>>>>>> REPLACE\n</think>\n"
		"<<<<<<< SEARCH\n\treturn y * 2;\n=======\n\treturn y + y;\n>>>>>>> REPLACE\n";
	char *out = NULL;
	char err[256];
	cr_assert_eq(reply_apply_edits(parent, text, &out, err, sizeof(err)), 0, "%s", err);
	cr_assert(strstr(out, "\treturn y + y;\n"));
	free(out);
}
