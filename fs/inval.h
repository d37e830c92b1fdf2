/*
 * inval.h - tells the kernel when generated files change.
 *
 * The mount lets the kernel cache attributes for a second (so `ls -l` of
 * thousands of candidates costs one readdir, not thousands of getattr
 * calls); a thread watches the engine's versions and invalidates exactly
 * the paths that changed, so stat still tells the truth at once. It runs
 * outside every request handler, as libfuse requires for notifications.
 */
#ifndef AC_INVAL_H
#define AC_INVAL_H

#define FUSE_USE_VERSION 312
#include <fuse.h>

#include "engine/engine.h"
#include "fs/render.h"

struct inval;

/* Starts the watcher for fuse f. NULL on failure (the mount still works,
 * only staler for up to the attribute timeout). */
struct inval *inval_start(struct fuse *f, struct engine *e, struct view *v);

/* Stops and joins the watcher; accepts NULL. */
void inval_stop(struct inval *w);

#endif
