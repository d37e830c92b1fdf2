/*
 * path.c - splits a mount path into the node it names.
 *
 * The names the engine generates inside a kernel directory are reserved;
 * every other name there is a user file. Candidate numbers are decimal
 * without leading zeros, so each candidate has exactly one path.
 */
#include "fs/path.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *const path_kernel_files[] = {"status", "log", "metrics.json", "best.EXT",
                                         "schedule", "progress.svg", "index.html", "plans",
                                         "candidates", "ctl", NULL};

const char *const path_root_files[] = {"status", "targets", "progress.svg", "index.html", NULL};

static int component(const char **p, char *out, size_t len)
{
	const char *s = *p;
	while (*s == '/')
		s++;
	const char *e = strchr(s, '/');
	size_t n = e ? (size_t)(e - s) : strlen(s);
	if (n >= len || n > 255)
		return -ENAMETOOLONG;
	memcpy(out, s, n);
	out[n] = '\0';
	*p = s + n;
	return 0;
}

static bool at_end(const char *p)
{
	while (*p == '/')
		p++;
	return *p == '\0';
}

/* "17.md" → 17 and "md"; -ENOENT unless NUMBER.EXT with a canonical number. */
static int numbered(const char *name, int64_t *num, char *ext, size_t extlen)
{
	const char *dot = strchr(name, '.');
	if (!dot || dot == name || dot - name > 18)
		return -ENOENT;
	for (const char *c = name; c < dot; c++)
		if (*c < '0' || *c > '9')
			return -ENOENT;
	if (name[0] == '0' && dot - name > 1)
		return -ENOENT;
	if (strlen(dot + 1) == 0 || strlen(dot + 1) >= extlen)
		return -ENOENT;
	*num = strtoll(name, NULL, 10);
	snprintf(ext, extlen, "%s", dot + 1);
	return 0;
}

int path_parse(const char *path, struct node *n)
{
	memset(n, 0, sizeof(*n));
	const char *p = path;
	char c[256];
	int rc;
	if (at_end(p)) {
		n->type = NODE_ROOT;
		return 0;
	}
	if ((rc = component(&p, c, sizeof(c))))
		return rc;
	if (!strcmp(c, "status") || !strcmp(c, "targets")) {
		n->type = c[0] == 's' ? NODE_ROOT_STATUS : NODE_TARGETS;
		return at_end(p) ? 0 : -ENOENT;
	}
	if (!strcmp(c, "progress.svg") || !strcmp(c, "index.html")) {
		n->type = c[0] == 'p' ? NODE_ROOT_PROGRESS : NODE_ROOT_INDEX;
		return at_end(p) ? 0 : -ENOENT;
	}
	if (!strcmp(c, "menus")) {
		if (at_end(p)) {
			n->type = NODE_MENUS;
			return 0;
		}
		if ((rc = component(&p, n->file, sizeof(n->file))))
			return rc;
		if (at_end(p)) {
			if (!strcmp(n->file, "ctl"))
				n->type = NODE_MENU_CTL;
			else if (!strcmp(n->file, "log"))
				n->type = NODE_LOG;      /* the menus' own log; n->kernel stays "" */
			else if (menu_dir_name_valid(n->file))
				n->type = NODE_MENU_DIR;
			else
				n->type = NODE_MENU_FILE;
			return 0;
		}
		if (!menu_dir_name_valid(n->file))
			return -ENOENT;
		char leaf[256];
		if ((rc = component(&p, leaf, sizeof(leaf))))
			return rc;
		if (!at_end(p))
			return -ENOENT;
		char dir[256];
		snprintf(dir, sizeof(dir), "%s", n->file);
		if (strlen(dir) + 1 + strlen(leaf) >= sizeof(n->file))
			return -ENAMETOOLONG;
		size_t dl = strlen(dir), ll = strlen(leaf);
		memcpy(n->file, dir, dl);
		n->file[dl] = '/';
		memcpy(n->file + dl + 1, leaf, ll + 1);
		n->type = NODE_MENU_FILE;
		return 0;
	}
	if (strcmp(c, "kernels"))
		return -ENOENT;
	if (at_end(p)) {
		n->type = NODE_KERNELS;
		return 0;
	}
	if ((rc = component(&p, n->kernel, sizeof(n->kernel))))
		return rc;
	if (at_end(p)) {
		n->type = NODE_KERNEL;
		return 0;
	}
	if ((rc = component(&p, n->file, sizeof(n->file))))
		return rc;
	const char *f = n->file;
	bool last = at_end(p);
	if (!strcmp(f, "plans") || !strcmp(f, "candidates")) {
		bool plans = f[0] == 'p';
		if (last) {
			n->type = plans ? NODE_PLANS : NODE_CANDIDATES;
			return 0;
		}
		char leaf[256];
		if ((rc = component(&p, leaf, sizeof(leaf))))
			return rc;
		if (!at_end(p))
			return -ENOENT;
		if (numbered(leaf, &n->num, n->ext, sizeof(n->ext)))
			return -ENOENT;
		snprintf(n->file, sizeof(n->file), "%s", leaf);
		if (plans) {
			if (!strcmp(n->ext, "md"))
				n->type = NODE_PLAN;
			else if (!strcmp(n->ext, "prompt"))
				n->type = NODE_PLAN_PROMPT;
			else
				return -ENOENT;
		} else {
			n->type = strcmp(n->ext, "log") ? NODE_CAND_SRC : NODE_CAND_LOG;
		}
		return 0;
	}
	if (!last)
		return -ENOENT;
	if (!strcmp(f, "ctl"))
		n->type = NODE_CTL;
	else if (!strcmp(f, "status"))
		n->type = NODE_STATUS;
	else if (!strcmp(f, "log"))
		n->type = NODE_LOG;
	else if (!strcmp(f, "metrics.json"))
		n->type = NODE_METRICS;
	else if (!strcmp(f, "schedule"))
		n->type = NODE_SCHEDULE;
	else if (!strcmp(f, "progress.svg"))
		n->type = NODE_PROGRESS;
	else if (!strcmp(f, "index.html"))
		n->type = NODE_INDEX;
	else if (!strncmp(f, "best.", 5) && f[5] && strlen(f + 5) < sizeof(n->ext)) {
		n->type = NODE_BEST;
		snprintf(n->ext, sizeof(n->ext), "%s", f + 5);
	} else
		n->type = NODE_USER_FILE;
	return 0;
}

static bool ends_with(const char *s, const char *tail)
{
	size_t n = strlen(s), m = strlen(tail);
	return n > m && !strcmp(s + n - m, tail);
}

bool menu_dir_name_valid(const char *name)
{
	return name && name[0] != '.' && !strchr(name, '/') && strlen(name) < 128 &&
	       (ends_with(name, ".docs") || ends_with(name, ".examples"));
}

bool menu_file_name_valid(const char *name)
{
	const char *slash = strchr(name, '/');
	if (!slash)
		return name[0] && strcmp(name, ".") && strcmp(name, "..") && strlen(name) < 256;
	char dir[256];
	snprintf(dir, sizeof(dir), "%.*s", (int)(slash - name), name);
	const char *leaf = slash + 1;
	return menu_dir_name_valid(dir) && leaf[0] && !strchr(leaf, '/') && strcmp(leaf, ".") &&
	       strcmp(leaf, "..");
}

bool node_is_dir(enum node_type t)
{
	return t == NODE_ROOT || t == NODE_MENUS || t == NODE_MENU_DIR || t == NODE_KERNELS || t == NODE_KERNEL ||
	       t == NODE_PLANS || t == NODE_CANDIDATES;
}

bool node_is_generated(enum node_type t)
{
	switch (t) {
	case NODE_ROOT_STATUS:
	case NODE_TARGETS:
	case NODE_STATUS:
	case NODE_LOG:
	case NODE_METRICS:
	case NODE_BEST:
	case NODE_SCHEDULE:
	case NODE_PROGRESS:
	case NODE_ROOT_PROGRESS:
	case NODE_INDEX:
	case NODE_ROOT_INDEX:
	case NODE_PLAN:
	case NODE_PLAN_PROMPT:
	case NODE_CAND_SRC:
	case NODE_CAND_LOG:
		return true;
	default:
		return false;
	}
}
