/*
 * engine.h - the engine: kernels in memory, runs, worker threads.
 *
 * The mount (fs/) calls these functions from FUSE handlers, and only
 * these: it reads the store through the view calls below and writes
 * through calls that store a change and mark it changed in one step, so
 * it never holds a struct store nor says itself that something changed.
 * They only touch memory and SQLite and return at once. Builds, timed
 * runs and LLM calls happen on engine threads: a scheduler thread
 * (debounce, starting runs, reaping them) and one driver thread per
 * active run, which fans work out to short-lived task threads. Builds are
 * bounded by a semaphore (parallel), timed runs by one mutex (alone, so
 * they do not disturb each other).
 *
 * Where each part lives: engine.c is this facade (view.c its reads of the
 * store, files.c its writes of the user's files), sched.c the scheduler,
 * driver.c one run's course, describe.c the harness a run gets when the
 * user brings none, run.c the services a strategy uses, search.c and
 * tune.c the strategies; state.h draws the states a run goes through.
 * Below the facade nothing includes this header: a run reaches the engine
 * through its struct run_host (host.h).
 *
 * Folder engine/ (this header is its front door): the facade, the
 * scheduler and the driver live here; below them, one folder per
 * subsystem, each with a main header that says what it owns:
 * search/ (search.h: the strategies), core/ (run.h: what every run uses),
 * llm/ (llm.h: talking to models), util/ (util.h). Calls run one way:
 * engine/ -> search/ -> core/ -> llm/ -> util/, and any of them -> targets/.
 */
#ifndef AC_ENGINE_H
#define AC_ENGINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine/core/config.h"
#include "engine/core/figures.h"
#include "engine/core/store.h"
#include "engine/util/util.h"

struct engine;

struct engine_opts {
	const char *state_dir;     /* created 0700 if missing */
	char **models;             /* mount-wide models (NULL-terminated) or NULL */
	int build_jobs;            /* parallel builds; <= 0: online CPUs */
	int llm_in_flight;         /* LLM requests in flight; <= 0: 4 */
	double debounce_s;         /* quiet time before a run starts; < 0: 0.3 s */
	/* The mount-wide defaults of config.json's model settings (-o): */
	const char *reasoning_effort; /* NULL: none; must outlive the engine */
	int thinking_budget;       /* 0: off */
	int max_output_tokens;     /* 0: the default cap */
	enum executor_choice executor; /* where timed runs go unless config.json says
	                              (EXECUTOR_MOUNT: local) */
	int slots;                 /* slurm: timed runs at once; <= 0: the nodes up */
	int cores;                 /* cores a timed run has to itself unless config.json
	                              says; <= 0: 1 */
};

/* Locks the state directory (a second daemon on it gets -EBUSY and a clear
 * message in err), opens the store. Starts no thread. */
int engine_open(const struct engine_opts *o, struct engine **out, char *err, size_t errlen);

/* Starts the threads and resumes runs a previous daemon left unfinished. */
int engine_start(struct engine *e);

/* Stops every thread. Runs in progress stay resumable: their state is not
 * changed, so the next daemon on this state directory picks them up. */
void engine_shutdown(struct engine *e);

/* Frees everything (calls engine_shutdown if needed); accepts NULL. */
void engine_free(struct engine *e);

/* Changes anywhere bump the global version; changes to one kernel bump its
 * version too, except a line added to its log, which bumps its log
 * version instead. Renderers cache by version. */
uint64_t engine_version(struct engine *e);
uint64_t engine_kernel_version(struct engine *e, int64_t kid);
uint64_t engine_kernel_log_version(struct engine *e, int64_t kid);
/* Waits until engine_version() differs from seen, engine_wake is called
 * or timeout_ms passed, and returns engine_version(). For the mount's
 * refresher thread (one waiter). */
uint64_t engine_wait_change(struct engine *e, uint64_t seen, int timeout_ms);
/* Ends engine_wait_change's wait without a change (the mount has work
 * queued for its refresher). */
void engine_wake(struct engine *e);

/* The kernel's id by name; -ENOENT if there is none. */
int engine_kernel_id(struct engine *e, const char *name, int64_t *kid);

/* mkdir: -EINVAL for a name that cannot be a kernel, -EEXIST. */
int engine_kernel_create(struct engine *e, const char *name);
/* rmdir / rm -r: stops the kernel's run and deletes everything it owns. */
int engine_kernel_delete(struct engine *e, const char *name);
int engine_kernel_rename(struct engine *e, const char *from, const char *to);

/* ---- what the mount reads ----
 *
 * The store's rows, read on the calling thread's own connection (so a
 * FUSE handler never waits on the engine's writer). Each call but
 * engine_run_view is the store call of the same name (store.h); each
 * returns 0, -ENOENT for a row that is not there, or another negative
 * errno; the caller owns the rows it gets and frees them with the row
 * type's _clear or _free. */

int engine_kernel_get(struct engine *e, int64_t kid, struct kernel_row *k);
/* Every kernel (not the menus pseudo-kernel), by name. */
int engine_kernel_list(struct engine *e, struct kernel_row **rows, int *n);
/* A file of kernel kid (STORE_MENUS_KERNEL: the menus directory) by name
 * or by id, its content only when with_data; a kernel's files by name. */
int engine_file_get(struct engine *e, int64_t kid, const char *name, bool with_data,
                    struct file_row *f);
int engine_file_get_id(struct engine *e, int64_t fid, bool with_data, struct file_row *f);
int engine_file_list(struct engine *e, int64_t kid, bool with_data, struct file_row **rows,
                     int *n);
/* One candidate of run rid with everything (source, log, prompts). */
int engine_cand_get(struct engine *e, int64_t rid, int64_t num, struct cand_row *c);

/* A kernel's latest run as the mount shows it, read in one call: the
 * run, its candidates by number (without source, log and prompts, but
 * with their lengths) and what its LLM calls add up to (0 where that
 * cannot be read). */
struct engine_run_view {
	struct run_row run;
	struct cand_row *cands;
	int ncands;
	long calls, call_tokens, reasoning;
	int64_t call_wall_ns;
	double cost;
};
/* Fills *v with kernel kid's latest run. Returns 0, -ENOENT if it never
 * ran, or another negative errno; *v is empty unless 0 is returned. The
 * caller owns what *v holds: engine_run_view_clear (which accepts an
 * empty or zeroed one) frees it. */
int engine_run_view(struct engine *e, int64_t kid, struct engine_run_view *v);
void engine_run_view_clear(struct engine_run_view *v);

/* Kernel kid's log lines with id > after, oldest first, fn called for
 * each (engine_log_page: at most limit of them); the id of its newest
 * line (0: none). */
typedef void (*engine_log_fn)(void *arg, int64_t id, int64_t ts, const char *line);
int engine_log_since(struct engine *e, int64_t kid, int64_t after, engine_log_fn fn, void *arg);
int engine_log_page(struct engine *e, int64_t kid, int64_t after, int limit, engine_log_fn fn,
                    void *arg);
int engine_log_last(struct engine *e, int64_t kid, int64_t *id);

/* ---- the user's files: a write is stored and announced in one call ----
 *
 * Each call below stores one change to kernel kid's files (kid
 * STORE_MENUS_KERNEL: the menus directory) and, when it is stored, marks
 * the kernel changed so the mount's caches render it again. Each returns
 * 0 or the store's negative errno (store.h): -ENOENT for a file that is
 * not there, -ENOSPC for a full disk... On failure nothing is marked.
 * None of them starts a run: engine_file_stored and engine_file_changed
 * say when a write is complete. */

/* Creates an empty file (or finds the existing one; emptied when
 * truncate) and its id in *fid. */
int engine_file_create(struct engine *e, int64_t kid, const char *name, int mode,
                       bool truncate, int64_t *fid);
/* Replaces file fid's content (a copy is stored; data stays the
 * caller's). -ENOENT when it was deleted meanwhile. */
int engine_file_write(struct engine *e, int64_t kid, int64_t fid, const void *data, size_t len);
/* Creates or replaces a file by name; its id in *fid when fid is not
 * NULL (left as it was if the id cannot be read back). */
int engine_file_put(struct engine *e, int64_t kid, const char *name, const void *data,
                    size_t len, int mode, int64_t *fid);
/* chmod and utimens (mtime_ns: the new modification time). */
int engine_file_set_mode(struct engine *e, int64_t kid, int64_t fid, int mode);
int engine_file_set_time(struct engine *e, int64_t kid, int64_t fid, int64_t mtime_ns);
/* Deletes a file by name. */
int engine_file_delete(struct engine *e, int64_t kid, const char *name);
/* Renames a file within its kernel, replacing the destination. */
int engine_file_rename(struct engine *e, int64_t kid, const char *from, const char *to);

/* Says in kernel kid's status line that a config.json write was refused
 * for err, while the kernel is idle (a run's progress replaces the line;
 * a second refusal replaces the first's words). The refusal's errno went
 * back to the writer already: a store that fails here loses only the
 * words. */
void engine_config_refused(struct engine *e, int64_t kid, const char *err);

/* Checks a config.json text for kernel kid (its write is refused when this
 * fails): what config_parse checks, and what needs the engine's
 * knowledge: "strategy": "llm" with no model anywhere, and a "call" the
 * kernel's input cannot take (when a run has already read the input's
 * prototypes, engine/core/sigcache.h). Returns 0 or -EINVAL with the
 * reason in err ("config.json: ..."). */
int engine_config_check(struct engine *e, int64_t kid, const char *text, size_t len,
                        char *err, size_t errlen);

/* A handle that wrote name was released, or a file was renamed onto name:
 * when name is the input, the harness or config.json, a run starts once
 * things are quiet for the debounce time. */
void engine_file_changed(struct engine *e, int64_t kid, const char *name);

/* A handle's write of name was stored (close: flush): when name is the
 * input, the harness or config.json and the kernel now has what a run
 * needs, its status says "queued" before this returns, so a script that
 * polls status after cp sees it at once. Starts nothing (the release
 * does: engine_file_changed). */
void engine_file_stored(struct engine *e, int64_t kid, const char *name);

/* One ctl command ("start", "stop", "restart", trailing whitespace ignored).
 * Returns 0, or -EINVAL for an unknown command (reason in the log),
 * -EBUSY... */
int engine_ctl(struct engine *e, int64_t kid, const char *cmd, size_t len);

/* Appends a line to the kernel's log (kid 0: the daemon's stderr). */
void engine_log(struct engine *e, int64_t kid, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* The `targets` file: one line per target. A new string (caller frees). */
char *engine_targets_text(struct engine *e);

/* What the kernels add up to, as the mount counts them (figures.h): the
 * counts of each kernel's latest run, its tokens as metrics.json says
 * them, and the reasoning tokens among them. */
struct engine_sums {
	struct cand_tally tally;
	long tokens;
	long reasoning;
};

/* The engine's totals for the root `status` (appended to sb): the
 * engine's own state (kernels, builds, queues, models, cost) and sums,
 * the counts the kernels' views show added up. */
void engine_totals(struct engine *e, const struct engine_sums *sums, struct strbuf *sb);

/* What the menu builder did last (menubuild_state); caller frees. */
char *engine_menus_state(struct engine *e);

/* The name of kernel kid's input file as its files and config.json stand
 * now (what a run started now would read): the config's "input", else
 * its target's ("input.c" for cpu...), else what the files imply
 * (input.cl alone: opencl's). Into name (len bytes, cut if longer);
 * "input.c" when the store cannot be read. */
void engine_input_name(struct engine *e, int64_t kid, char *name, size_t len);

#endif
