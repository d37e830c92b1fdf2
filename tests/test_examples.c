/*
 * test_examples.c - in-context examples: before/after pairs by stem,
 * single files as they are, the size cap.
 */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "engine/search/examples.h"

static struct file_row row(const char *name, const char *data)
{
	return (struct file_row){.name = (char *)name, .data = (char *)data, .size = strlen(data)};
}

Test(examples, pairs_singles_and_the_cap)
{
	struct file_row rows[] = {
		row("cpu.examples/", ""),
		row("cpu.examples/a-tile.after.c", "tiled();\n"),
		row("cpu.examples/a-tile.before.c", "plain();\n"),
		row("cpu.examples/b-note.md", "use restrict\n"),
		row("cpu.examples/c-lonely.before.c", "no after\n"),
		row("gpu.examples/x.md", "other menu\n"),
		row("cpu.examples/d-big.md", "0123456789012345678901234567890123456789"),
	};
	int shown, left;
	char *t = examples_format(rows, 7, "cpu.examples", 150, &shown, &left);
	cr_assert(strstr(t, "#### a-tile\n\nBefore:\n\n```c\nplain();\n```\n\nAfter:\n\n```c\ntiled();\n```"),
	          "%s", t);
	cr_assert(strstr(t, "#### b-note.md\n\nuse restrict\n"), "%s", t);
	cr_assert_null(strstr(t, "no after"), "a half pair is not shown");
	cr_assert_null(strstr(t, "other menu"));
	cr_assert_null(strstr(t, "0123456789"), "over the cap: %s", t);
	cr_assert_eq(shown, 2);
	cr_assert_eq(left, 1);
	cr_assert(strlen(t) <= 150);
	free(t);
	t = examples_format(rows, 7, "none.examples", 1000, &shown, &left);
	cr_assert_str_eq(t, "");
	free(t);
}
