/*
 * inval.h - the refresher: keeps the mount's cache current and tells the
 * kernel what changed.
 *
 * One thread waits for the engine to change something, brings the cache
 * (cache.h) up to date, and invalidates in the kernel exactly the paths
 * whose attributes or content moved, so the kernel may keep attributes,
 * entries and pages of everything else. It runs outside every request
 * handler, as libfuse requires for notifications.
 */
#ifndef AC_INVAL_H
#define AC_INVAL_H

#define FUSE_USE_VERSION 312
#include <fuse.h>

#include "engine/engine.h"
#include "fs/cache.h"

struct inval;

/* Starts the refresher for fuse f. NULL on failure (the mount still works,
 * only staler, for up to the attribute timeout). */
struct inval *inval_start(struct fuse *f, struct engine *e, struct cache *c);

/* Stops and joins the refresher; accepts NULL. */
void inval_stop(struct inval *w);

#endif
