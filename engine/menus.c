/*
 * menus.c - where a menu's text comes from.
 *
 * Shipped menus are plain files (menus/ in the source tree, or the
 * installed data directory); what a user writes into the mount's menus/ is
 * stored in the database and shadows the shipped file from then on.
 */
#include "engine/menus.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/engine.h"
#include "engine/util.h"

char *menus_read(struct store *s, const char *name)
{
	if (!file_name_valid(name))
		return NULL;
	struct file_row f;
	if (store_file_get(s, STORE_MENUS_KERNEL, name, true, &f) == 0) {
		char *t = f.data;
		f.data = NULL;
		file_row_clear(&f);
		return t;
	}
	file_row_clear(&f);
	char path[PATH_MAX];
	snprintf(path, sizeof(path), "%s/%s", engine_menus_dir(), name);
	char *t = NULL;
	if (read_file(path, &t, NULL))
		return NULL;
	return t;
}
