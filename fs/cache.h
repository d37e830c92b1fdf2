/*
 * cache.h - what the mount serves, kept current off the request path.
 *
 * A request handler asks the cache, and the cache answers from memory:
 * the content and attributes of every generated file it served lately
 * (whatever renders it: a new generated file is covered the day fs.c can
 * render it), and per kernel its candidate index, its input's extension
 * and its log. The refresher thread (inval.c, with refresh.c) brings them
 * up to date after the engine changes something, and learns which files
 * really changed (their bytes, not merely the engine's version), so only
 * those are invalidated in the kernel. A handler that changed something
 * itself (a write, ctl, mkdir...) calls cache_sync before it returns, so
 * a user reads his own change.
 *
 * The kernel's page cache serves a file whose content has settled: an
 * open gets CACHE_PAGES only when the kernel's attributes of the path are
 * known to be this version's (its invalidation is done), the content has
 * not changed for CACHE_SETTLE_NS, and no open handle of another version
 * reads through the pages; every other open reads its own snapshot
 * directly (CACHE_DIRECT). So the pages only ever hold one version. One
 * case remains: a handle reading through the pages that stays open while
 * the file changes reads on from its own version, but the kernel has the
 * new size by then, and a shorter new version cuts its reads there.
 *
 * Memory: at most CACHE_BYTES of rendered content in CACHE_ENTRIES files
 * (least recently used go first; a file open for reading through the page
 * cache stays), plus per kernel asked about lately its candidate index
 * (48 bytes a candidate of the latest run) and a bounded log (logfile.h).
 *
 * Threads: every call may come from any thread. One lock guards the table
 * and is never held while rendering or reading the store.
 */
#ifndef AC_CACHE_H
#define AC_CACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine/engine.h"
#include "fs/render.h"

#define CACHE_BYTES (8u << 20)
#define CACHE_ENTRIES 4096
/* Content that changed less than this ago is read directly: a file that
 * changes often gains nothing from the page cache, and a reader that
 * spans a change is safest reading its own snapshot. (A file first
 * served counts as settled.) */
#define CACHE_SETTLE_NS 500000000

/* What a generated file depends on (for the refresher). */
enum cache_scope {
	CACHE_ROOT,        /* the whole engine: /status, /targets, menus/ctl... */
	CACHE_KERNEL,      /* one kernel's state: status, metrics.json, best... */
	CACHE_CANDIDATE,   /* one candidate's row: candidates/N.*, plans/N.* */
};

/* Renders the generated file at path for the cache: 0 with a blob
 * reference (the cache takes it), -ENOENT when there is no such file (any
 * more), or another -errno. Called without any cache lock held, on a
 * request thread (a miss) or the refresher's. */
typedef int cache_render_fn(void *arg, const char *path, struct blob **out);

struct cache;
struct centry;

/* A cache over engine e and view v; render makes a file's content. NULL
 * on OOM. */
struct cache *cache_new(struct engine *e, struct view *v, cache_render_fn *render, void *arg);
/* Accepts NULL. No other call may be running. */
void cache_free(struct cache *c);

/* ---- generated files ---- */

/* The current content of path, a file of kernel kid (-1 for scope
 * CACHE_ROOT) and, for CACHE_CANDIDATE, of candidate num. Renders it on
 * a miss. 0 with a blob reference the caller puts, or -errno. */
int cache_get(struct cache *c, const char *path, int64_t kid, enum cache_scope scope,
              int64_t num, struct blob **out);

enum cache_mode {
	CACHE_DIRECT,      /* read the snapshot through the daemon */
	CACHE_PAGES,       /* through the page cache, dropping what it held */
	CACHE_PAGES_KEEP,  /* through the page cache, which holds this version */
};

/* cache_get for an open(2): also says how to read it, and for the page
 * cache modes gives *ref, which cache_close must return (NULL for
 * CACHE_DIRECT). */
int cache_open(struct cache *c, const char *path, int64_t kid, enum cache_scope scope,
               int64_t num, struct blob **out, enum cache_mode *mode, struct centry **ref);
/* The handle that cache_open gave ref and blob b filled pages (a read
 * reached the daemon); accepts NULL. */
void cache_paged_read(struct cache *c, struct centry *ref, const struct blob *b);
/* The handle that cache_open gave ref and blob b is released. Accepts NULL. */
void cache_close(struct cache *c, struct centry *ref, const struct blob *b);

/* ---- per kernel ---- */

/* The input's extension of kernel kid ("c", "cu"...), into ext. */
void cache_input_ext(struct cache *c, int64_t kid, char *ext, size_t len);
/* A copy of kernel kid's candidate index (the caller frees *out). 0 or
 * -ENOMEM. */
int cache_cand_list(struct cache *c, int64_t kid, struct view_cand **out, int *n);
/* Size and mtime of candidates/N.EXT (is_log false) or candidates/N.log;
 * -ENOENT if there is none. */
int cache_cand_stat(struct cache *c, int64_t kid, int64_t num, bool is_log, const char *ext,
                    size_t *size, int64_t *mtime_ns);
/* Kernel kid's log (STORE_MENUS_KERNEL: menus/log): its length and mtime,
 * and up to size bytes from off (returns the count). The log shows a line
 * only once cache_show_logs has run after the refresh that took it in:
 * by then the change it tells of is visible in every other file. */
int cache_log_stat(struct cache *c, int64_t kid, size_t *len, int64_t *mtime_ns);
size_t cache_log_read(struct cache *c, int64_t kid, char *buf, size_t size, size_t off);

/* ---- keeping it current ---- */

/* Brings everything up to the engine's state: the root files when the
 * engine's version moved (no more often than every 50 ms, unless force),
 * every kernel whose version or log moved. Queues what changed for
 * invalidation (and wakes the refresher's engine_wait_change). For the
 * refresher thread; returns true when the root files were left for a
 * later call (within 50 ms). */
bool cache_refresh(struct cache *c, bool force);
/* The same, now, for a handler that changed kernel kid (-1: none in
 * particular) and the root files: what it changed is what it reads next. */
void cache_sync(struct cache *c, int64_t kid);

/* Shows the log lines the refreshes took in, of kernel kid (-1: of every
 * kernel), and queues the logs whose length moved. The refresher calls it
 * for every kernel once the invalidations queued by the same refreshes
 * are carried out; a handler that changed kernel kid, once it has waited
 * for those its cache_sync queued, so the lines that tell of its change
 * are in the log when its syscall returns. Returns whether it queued any. */
bool cache_show_logs(struct cache *c, int64_t kid);

/* One path for the kernel to forget (attributes and pages); gen is the
 * version the forgetting is for (0: none). */
struct cache_inval {
	char *path;
	uint64_t gen;
};
/* Takes the queued invalidations (the caller frees each path and the
 * array): 0, or -ENOMEM. *n is 0 when none is queued. Returns the
 * sequence number of the last one taken (for cache_wait_invals). */
uint64_t cache_take_invals(struct cache *c, struct cache_inval **out, int *n);
/* The kernel forgot path for version gen: from now on its attributes,
 * once asked for again, are that version's. */
void cache_inval_done(struct cache *c, const char *path, uint64_t gen);
/* Marks the invalidations up to seq carried out (wakes cache_wait_invals). */
void cache_invals_through(struct cache *c, uint64_t seq);
/* Waits up to timeout_ms for every invalidation queued so far to be
 * carried out. For a handler that changed something, so that a stat
 * right after its syscall tells the truth. */
void cache_wait_invals(struct cache *c, int timeout_ms);

/* What the cache holds now: entries and their bytes (tests, tools). */
void cache_usage(struct cache *c, size_t *entries, size_t *bytes);

#endif
