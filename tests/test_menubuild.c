/*
 * test_menubuild.c - menus from documentation: splitting documents into
 * parts that fit, the prompts, and reading (or refusing) the model's menu.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/core/config.h"
#include "engine/search/menubuild.h"

Test(menubuild, split_keeps_everything_and_cuts_at_lines)
{
	char text[5000];
	size_t n = 0;
	for (int i = 0; i < 100; i++)
		n += (size_t)snprintf(text + n, sizeof(text) - n, "line %d of the manual\n", i);
	char **parts;
	int k = menubuild_split(text, 500, &parts);
	cr_assert(k >= 4, "%d parts", k);
	size_t total = 0;
	for (int i = 0; i < k; i++) {
		size_t l = strlen(parts[i]);
		cr_assert(l <= 500);
		cr_assert_eq(parts[i][l - 1], '\n', "part %d ends at a line: %s", i, parts[i]);
		total += l;
	}
	cr_assert_eq(total, strlen(text));
	strv_free(parts);
	k = menubuild_split("short", 500, &parts);
	cr_assert_eq(k, 1);
	cr_assert_str_eq(parts[0], "short");
	strv_free(parts);
}

Test(menubuild, prompts_carry_their_markers)
{
	char *p = menubuild_notes_prompt("widget", "the DMA moves rows", 2, 3);
	cr_assert(strstr(p, "## Phase: docs\n") && strstr(p, "part 2 of 3") &&
	          strstr(p, "the DMA moves rows"), "%s", p);
	free(p);
	p = menubuild_menu_prompt("widget", "notes", "the menu has 3 options; 15 to 40 are wanted");
	cr_assert(strstr(p, "## Phase: menu\n") && strstr(p, "15 to 40") &&
	          strstr(p, "could not be used"), "%s", p);
	free(p);
}

static char *reply_with(int options)
{
	static char buf[8000];
	size_t n = (size_t)snprintf(buf, sizeof(buf), "Sure.\n\n```menu\n");
	for (int i = 1; i <= options; i++)
		n += (size_t)snprintf(buf + n, sizeof(buf) - n, "%d. option %d\n", i, i);
	snprintf(buf + n, sizeof(buf) - n, "```\n\n```markdown\n# Notes\n\n1. A rule.\n```\n");
	return buf;
}

Test(menubuild, reply_gives_menu_and_notes)
{
	char *menu, *notes, why[200];
	int k;
	cr_assert_eq(menubuild_parse_reply(reply_with(20), &menu, &notes, &k, why, sizeof(why)), 0,
	             "%s", why);
	cr_assert_eq(k, 20);
	cr_assert(!strncmp(menu, "option 1\noption 2\n", 18), "numbers go: %s", menu);
	cr_assert_str_eq(notes, "# Notes\n\n1. A rule.\n");
	free(menu);
	free(notes);
}

Test(menubuild, wrong_replies_are_refused_in_words)
{
	char *menu, *notes, why[200];
	int k;
	cr_assert_eq(menubuild_parse_reply(reply_with(9), &menu, &notes, &k, why, sizeof(why)),
	             -EINVAL);
	cr_assert(strstr(why, "9 options; 15 to 40"), "%s", why);
	cr_assert_eq(menubuild_parse_reply(reply_with(41), &menu, &notes, &k, why, sizeof(why)),
	             -EINVAL);
	cr_assert_eq(menubuild_parse_reply("no blocks at all", &menu, &notes, &k, why, sizeof(why)),
	             -EINVAL);
	cr_assert(strstr(why, "two fenced blocks"), "%s", why);
	cr_assert_null(menu);
}
