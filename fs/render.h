/*
 * render.h - the generated files of the mount, rendered from the store.
 *
 * A struct view caches what it rendered per kernel, keyed by the engine's
 * kernel version, so stat and read of a generated file cost a lookup while
 * nothing changed. Content is handed out as immutable, reference-counted
 * blobs: a reader that opened best.c keeps its whole version even when a
 * new best arrives (snapshot at open).
 *
 * The log is the exception: it only grows, so it is served live (tail -f).
 */
#ifndef AC_RENDER_H
#define AC_RENDER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine/engine.h"
#include "fs/path.h"

struct blob {
	atomic_int refs;
	int64_t mtime_ns;
	size_t len;
	char data[];
};

/* Takes another reference / drops one (frees at zero; accepts NULL). */
struct blob *blob_get(struct blob *b);
void blob_put(struct blob *b);
/* A new blob holding a copy of data (refs = 1). NULL on OOM. */
struct blob *blob_new(const void *data, size_t len, int64_t mtime_ns);

struct view;

struct view *view_new(struct engine *e);
void view_free(struct view *v);
/* Forgets what the view keeps of kernel kid (deleted, or not looked at
 * lately); it is loaded again when asked for. */
void view_drop(struct view *v, int64_t kid);

/* The content of a generated node (n->type generated, kernel id resolved by
 * the caller in kid). Returns 0 with a blob reference the caller puts, or
 * -ENOENT. For NODE_LOG it returns the log as it is now. */
int view_render(struct view *v, int64_t kid, const struct node *n, struct blob **out);

/* /progress.svg: every kernel's best-so-far line, rendered on each call
 * from the per-kernel caches. Returns 0 with a blob reference the caller
 * puts, or a negative errno. */
int view_root_progress(struct view *v, struct blob **out);

/* /status: a line per kernel, then the engine's totals, whose counts add
 * up the kernels' (figures.h). Returns 0 with a blob reference the caller
 * puts, or a negative errno. */
int view_root_status(struct view *v, struct blob **out);

/* /index.html: every kernel as a page (html.h), cached until the engine's
 * version changes. Returns 0 with a blob reference, or a negative errno. */
int view_root_index(struct view *v, struct blob **out);

/* The log's current length and mtime (cheap; for tail -f's fstat). */
int view_log_stat(struct view *v, int64_t kid, size_t *len, int64_t *mtime_ns);
/* Copies up to size bytes of the log from off into buf; returns the count. */
size_t view_log_read(struct view *v, int64_t kid, char *buf, size_t size, size_t off);

/* The extension of the kernel's input ("c", "cu", "cl"...): the current
 * run's input name, else the one its config.json implies. */
void view_input_ext(struct view *v, int64_t kid, char *ext, size_t len);

/* One entry of a kernel's candidate listing. */
struct view_cand {
	int64_t num;
	size_t source_len;
	size_t log_len;
	int64_t created_ns;
	int64_t evaluated_ns;
	int64_t retime_ns;
};

/* The candidates of the kernel's latest run (a copy the caller frees). */
int view_cand_list(struct view *v, int64_t kid, struct view_cand **out, int *n);

/* Size and mtime of candidates/N.EXT (is_log false) or candidates/N.log of
 * the latest run, from the cached index; -ENOENT if there is none. */
int view_cand_stat(struct view *v, int64_t kid, int64_t num, bool is_log, const char *ext,
                   size_t *size, int64_t *mtime_ns);

#endif
