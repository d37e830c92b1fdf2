/*
 * path.h - the mount's path router: a path names one node of the layout.
 *
 * Pure string work, no I/O: whether the kernel or file exists is decided by
 * the caller. The layout is DESIGN.md §2.
 */
#ifndef AC_PATH_H
#define AC_PATH_H

#include <stdbool.h>
#include <stdint.h>

enum node_type {
	NODE_ROOT,
	NODE_ROOT_STATUS,     /* /status */
	NODE_TARGETS,         /* /targets */
	NODE_ROOT_PROGRESS,   /* /progress.svg */
	NODE_ROOT_INDEX,      /* /index.html */
	NODE_MENUS,           /* /menus */
	NODE_MENU_FILE,       /* /menus/NAME, /menus/M.docs/NAME (file "M.docs/NAME") */
	NODE_MENU_DIR,        /* /menus/M.docs, /menus/M.examples (file "M.docs") */
	NODE_MENU_CTL,        /* /menus/ctl */
	NODE_KERNELS,         /* /kernels */
	NODE_KERNEL,          /* /kernels/K */
	NODE_USER_FILE,       /* /kernels/K/NAME (input, harness, config, extras) */
	NODE_CTL,             /* /kernels/K/ctl */
	NODE_STATUS,          /* /kernels/K/status */
	NODE_LOG,             /* /kernels/K/log */
	NODE_METRICS,         /* /kernels/K/metrics.json */
	NODE_BEST,            /* /kernels/K/best.EXT */
	NODE_SCHEDULE,        /* /kernels/K/schedule */
	NODE_PROGRESS,        /* /kernels/K/progress.svg */
	NODE_INDEX,           /* /kernels/K/index.html */
	NODE_PLANS,           /* /kernels/K/plans */
	NODE_PLAN,            /* /kernels/K/plans/N.md */
	NODE_PLAN_PROMPT,     /* /kernels/K/plans/N.prompt */
	NODE_CANDIDATES,      /* /kernels/K/candidates */
	NODE_CAND_SRC,        /* /kernels/K/candidates/N.EXT */
	NODE_CAND_LOG,        /* /kernels/K/candidates/N.log */
};

struct node {
	enum node_type type;
	char kernel[256];
	char file[256];       /* the last component */
	char ext[32];         /* NODE_BEST, NODE_CAND_SRC: "c", "cu"... */
	int64_t num;          /* NODE_PLAN*, NODE_CAND_*: the candidate number */
};

/* Parses path. Returns 0, -ENOENT for a path that cannot exist in the
 * layout, -ENAMETOOLONG for a component over 255 bytes. */
int path_parse(const char *path, struct node *n);

bool node_is_dir(enum node_type t);

/* A folder menus/ may hold: NAME.docs (documentation to build a menu
 * from) or NAME.examples (in-context examples), NAME a valid file name. */
bool menu_dir_name_valid(const char *name);
/* A name of the menus pseudo-kernel: a plain file name, or "DIR/FILE"
 * with DIR as above. */
bool menu_file_name_valid(const char *name);
/* The names the engine generates in a kernel directory, in the order
 * readdir lists them ("best.EXT" stands for best with the input's
 * extension), NULL-terminated; every other name there is a user file. */
extern const char *const path_kernel_files[];

/* The files at the root of the mount, likewise (menus/ and kernels/ are
 * folders and not in the list). */
extern const char *const path_root_files[];

/* Rendered by autocompfs (read-only for the user). */
bool node_is_generated(enum node_type t);

#endif
