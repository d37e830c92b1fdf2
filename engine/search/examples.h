/*
 * examples.h - in-context examples for the prompts: the files of
 * menus/MENU.examples/, short before/after code pairs that the plan and
 * implement prompts show, as Autocomp's in-context examples do.
 *
 * A pair is two files with one stem: NAME.before.EXT and NAME.after.EXT
 * (tile.before.c, tile.after.c); any other file is one example shown as it
 * is (a Markdown note with both versions, say). Examples go in by name
 * until the next would take the text past max_bytes; the rest are left
 * out and counted, so a large folder cannot crowd the code out of the
 * model's context.
 */
#ifndef AC_EXAMPLES_H
#define AC_EXAMPLES_H

#include "engine/core/store.h"

/* Formats the examples among rows (files named DIR/NAME, data loaded;
 * only those under dir + "/" count, in the order given) within max_bytes.
 * Returns a new string ("" when there are none; caller frees) or NULL on
 * OOM; *shown and *left_out count examples (either may be NULL). */
char *examples_format(const struct file_row *rows, int n, const char *dir, int max_bytes,
                      int *shown, int *left_out);

/* The examples of menu menu_name from the store (menus/MENU.examples/).
 * Same return as examples_format. */
char *examples_read(struct store *s, const char *menu_name, int max_bytes, int *shown,
                    int *left_out);

#endif
