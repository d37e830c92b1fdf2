/*
 * menus.c - where a menu's text comes from.
 *
 * Shipped menus are plain files (menus/ in the source tree, or the
 * installed data directory); what a user writes into the mount's menus/ is
 * stored in the database and shadows the shipped file from then on.
 */
#include "engine/core/menus.h"

#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "ac_config.h"
#include "engine/util/util.h"
#include "targets/exec/fileio.h"

static char dir_buf[PATH_MAX];
static pthread_once_t dir_once = PTHREAD_ONCE_INIT;

/* $AUTOCOMP_MENUS_DIR, else the source tree's menus/ when there is one
 * (a build run in place), else the installed data directory's. */
static void dir_init(void)
{
	const char *env = getenv("AUTOCOMP_MENUS_DIR");
	struct stat st;
	if (env && *env) {
		snprintf(dir_buf, sizeof(dir_buf), "%s", env);
		return;
	}
	snprintf(dir_buf, sizeof(dir_buf), "%s/menus", AC_SOURCE_DIR);
	if (stat(dir_buf, &st) == 0 && S_ISDIR(st.st_mode))
		return;
	snprintf(dir_buf, sizeof(dir_buf), "%s/menus", AC_DATA_DIR);
}

const char *menus_dir(void)
{
	pthread_once(&dir_once, dir_init);
	return dir_buf;
}

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
	snprintf(path, sizeof(path), "%s/%s", menus_dir(), name);
	char *t = NULL;
	if (ac_read_file(path, &t, NULL))
		return NULL;
	return t;
}
