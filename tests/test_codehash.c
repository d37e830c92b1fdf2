/*
 * test_codehash.c - the normalized-source hash that recognises a
 * duplicate: comments and layout do not count, code does.
 */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "engine/core/codehash.h"

static void same(const char *a, const char *b, const char *file)
{
	char ha[32], hb[32];
	cr_assert_eq(codehash(a, file, ha, sizeof(ha)), 0);
	cr_assert_eq(codehash(b, file, hb, sizeof(hb)), 0);
	cr_assert_str_eq(ha, hb, "should be the same code:\n%s\n---\n%s", a, b);
}

static void differ(const char *a, const char *b, const char *file)
{
	char ha[32], hb[32];
	cr_assert_eq(codehash(a, file, ha, sizeof(ha)), 0);
	cr_assert_eq(codehash(b, file, hb, sizeof(hb)), 0);
	cr_assert_str_neq(ha, hb, "should differ:\n%s\n---\n%s", a, b);
}

Test(codehash, comments_and_layout_do_not_count)
{
	same("int f(int a){return a+1;}",
	     "/* f */\nint f(int a)\n{\n\treturn a + 1; // one more\n}\n", "input.c");
	same("void g(void) { x(); }", "void g(void)\r\n{\r\n    x();\r\n}\r\n", "k.cu");
}

Test(codehash, code_and_literals_count)
{
	differ("int f(int a){return a+1;}", "int f(int a){return a+2;}", "input.c");
	differ("const char *s = \"a  b\";", "const char *s = \"a b\";", "input.c");
	differ("char c = '/';", "char c = '*';", "input.c");
	/* tokens that would fuse keep their space */
	differ("int x = a - -b;", "int x = a --b;", "input.c");
	differ("unsigned int u;", "unsignedint u;", "input.c");
	/* a comment inside a string is no comment */
	differ("const char *s = \"/* x */\";", "const char *s = \"\";", "input.c");
}

Test(codehash, preprocessor_lines_stay_lines)
{
	same("#define N 4\nint a[N];\n", "#define N 4 /* four */\n\nint a[N];", "input.c");
	differ("#define N 4\nint a[N];\n", "#define N 4 int a[N];\n", "input.c");
	same("#define M(x) \\\n  ((x) + 1)\nint y;", "#define M(x) ((x) + 1)\nint y;", "input.c");
}

Test(codehash, line_numbers_in_code_keep_the_layout)
{
	differ("int l = __LINE__;", "\nint l = __LINE__;", "input.c");
}

Test(codehash, other_languages_keep_indentation)
{
	same("def f(x):\n    return x\n", "def f(x):   \n\n    return x\n", "input.py");
	differ("def f(x):\n    return x\n", "def f(x):\nreturn x\n", "input.py");
	char *n = codehash_normalize("# a comment\nx = 1\n", "input.py");
	cr_assert_str_eq(n, "# a comment\nx = 1\n", "a # line is code in Python's rules here");
	free(n);
}
