/*
 * examples.c - menus/MENU.examples/ turned into the "### Examples" text of
 * the prompts (the rules are in examples.h). It reads files and formats;
 * which prompts show the text is the search's business.
 */
#include "engine/search/examples.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/util/util.h"

/* The part of name after "dir/", or NULL when name is not in dir. */
static const char *in_dir(const char *name, const char *dir)
{
	size_t n = strlen(dir);
	if (strncmp(name, dir, n) || name[n] != '/' || !name[n + 1])
		return NULL;
	return name + n + 1;
}

/* "tile.before.c" -> stem "tile", which "before", ext ".c". */
static bool split_pair(const char *leaf, char *stem, size_t len, const char **which,
                       const char **ext)
{
	const char *b = strstr(leaf, ".before");
	const char *a = strstr(leaf, ".after");
	const char *w = b ? b : a;
	if (!w || w == leaf)
		return false;
	const char *rest = w + (b ? 7 : 6);
	if (*rest && *rest != '.')
		return false;
	snprintf(stem, len, "%.*s", (int)(w - leaf), leaf);
	*which = b ? "before" : "after";
	*ext = rest;
	return true;
}

static const char *fence_of(const char *ext)
{
	if (!strcmp(ext, ".c") || !strcmp(ext, ".h"))
		return "c";
	if (!strcmp(ext, ".cu"))
		return "cuda";
	if (!strcmp(ext, ".py"))
		return "python";
	return "";
}

char *examples_format(const struct file_row *rows, int n, const char *dir, int max_bytes,
                      int *shown, int *left_out)
{
	struct strbuf sb = {0};
	int ok = 0, out = 0;
	for (int i = 0; i < n; i++) {
		const char *leaf = in_dir(rows[i].name, dir);
		if (!leaf || !rows[i].data || memchr(rows[i].data, '\0', rows[i].size))
			continue;   /* not text */
		struct strbuf one = {0};
		char stem[256];
		const char *which, *ext;
		if (split_pair(leaf, stem, sizeof(stem), &which, &ext)) {
			if (strcmp(which, "before"))
				continue; /* shown with its "before" half, or not at all */
			const struct file_row *after = NULL;
			char want[600];
			snprintf(want, sizeof(want), "%s/%s.after%s", dir, stem, ext);
			for (int j = 0; j < n && !after; j++)
				if (!strcmp(rows[j].name, want) && rows[j].data)
					after = &rows[j];
			if (!after)
				continue;
			sb_addf(&one, "#### %s\n\nBefore:\n\n```%s\n%s%s```\n\nAfter:\n\n```%s\n%s%s```\n\n",
			        stem, fence_of(ext), rows[i].data,
			        rows[i].size && rows[i].data[rows[i].size - 1] == '\n' ? "" : "\n",
			        fence_of(ext), after->data,
			        after->size && after->data[after->size - 1] == '\n' ? "" : "\n");
		} else {
			sb_addf(&one, "#### %s\n\n%s%s\n", leaf, rows[i].data,
			        rows[i].size && rows[i].data[rows[i].size - 1] == '\n' ? "" : "\n");
		}
		if (!one.buf || (long)(sb.len + one.len) > (long)max_bytes) {
			out++;
		} else {
			sb_add(&sb, one.buf, one.len);
			ok++;
		}
		sb_release(&one);
	}
	if (shown)
		*shown = ok;
	if (left_out)
		*left_out = out;
	char *text = sb_detach(&sb);
	return text ? text : strdup("");
}

char *examples_read(struct store *s, const char *menu_name, int max_bytes, int *shown,
                    int *left_out)
{
	struct file_row *rows;
	int n;
	if (shown)
		*shown = 0;
	if (left_out)
		*left_out = 0;
	if (store_file_list(s, STORE_MENUS_KERNEL, true, &rows, &n))
		return strdup("");
	char dir[300];
	snprintf(dir, sizeof(dir), "%s.examples", menu_name);
	char *text = examples_format(rows, n, dir, max_bytes, shown, left_out);
	file_rows_free(rows, n);
	return text;
}
