/*
 * fs.h - the FUSE operations of autocompfs.
 *
 * fs_operations() is handed to fuse_new() with a struct fs_ctx as private
 * data. init() starts the engine's threads (after any daemonizing fork),
 * destroy() stops them.
 */
#ifndef AC_FS_H
#define AC_FS_H

#define FUSE_USE_VERSION 312
#include <fuse.h>

#include "engine/engine.h"

/* Files in a kernel directory may not grow past this (EFBIG). */
#define FS_MAX_FILE (1024 * 1024)

struct fs_ctx;

/* A context for engine e (not owned). NULL on OOM. */
struct fs_ctx *fs_ctx_new(struct engine *e);
void fs_ctx_free(struct fs_ctx *c);

/* Stops the invalidation thread. Call it when the FUSE loop has returned
 * and before fuse_destroy(): fuse_destroy frees the node table that
 * fuse_invalidate_path() walks before it calls the destroy operation, so
 * a thread still invalidating then crashes the daemon at unmount. */
void fs_ctx_stop(struct fs_ctx *c);

const struct fuse_operations *fs_operations(void);

#endif
