/*
 * menus.h - the optimization menus and target notes the prompts are built
 * from: the user's edit (stored as a file of the menus pseudo-kernel) wins
 * over the shipped file in the menus directory.
 */
#ifndef AC_MENUS_H
#define AC_MENUS_H

#include "engine/core/store.h"

/* The text of menus/NAME ("cpu.menu", "cpu.md"): the stored edit if there
 * is one, else the shipped file. Returns a new string (caller frees) or
 * NULL when neither exists. */
char *menus_read(struct store *s, const char *name);

/* The shipped menus directory (static storage). */
const char *menus_dir(void);

#endif
