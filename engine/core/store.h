/*
 * store.h - the SQLite store: the single source of truth of autocompfs.
 *
 * Every kernel, user file, run, candidate and log line lives here; what the
 * mount shows is rendered from it. One struct store wraps one connection
 * (WAL mode, so the mount's reader connection never waits on the engine's
 * writer). Each call is one statement or one transaction; a mutex makes a
 * store safe to share between threads. Row structs own their strings: free
 * them with the matching _clear function.
 *
 * Every call that returns int (store_schema_version aside) returns 0 or a
 * negative errno: -ENOENT for a row that is not there, -EEXIST for a taken
 * name or key (any constraint), -ENOSPC when the disk is full (counted by
 * store_full_count), -EFBIG for a value over SQLite's limit, -EBUSY,
 * -ENOMEM or -EIO. A write that fails loses nothing stored before it; the
 * calls that change several rows do it in one transaction.
 *
 * States, outcomes and origins are enums in every row struct and every
 * call; the database keeps their words (state.h, origin.h, target.h), and
 * this file alone turns one into the other. A row holding a word that no
 * table knows is not read: -EIO.
 *
 * The menus directory is stored as the files of the pseudo-kernel 0.
 */
#ifndef AC_STORE_H
#define AC_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A write: its result says whether what was asked is stored; callers
 * must look (a full disk, an I/O error), the compiler makes sure. */
#define STORE_WRITE __attribute__((warn_unused_result))

#include "engine/core/origin.h"
#include "engine/core/state.h"
#include "targets/target.h"

#define STORE_MENUS_KERNEL 0
#define STORE_SCHEMA_VERSION 7

struct store;

/* Opens (creating and migrating when needed) the database at path.
 * Returns 0 or a negative errno with the reason in err. */
int store_open(const char *path, struct store **out, char *err, size_t errlen);
void store_close(struct store *s);

/* The schema version recorded in PRAGMA user_version. */
int store_schema_version(struct store *s);

/* How many store calls, in any store of this process, have failed because
 * the disk was full (SQLITE_FULL, returned as -ENOSPC). The engine pauses
 * its runs when this grows and tries again later. */
long store_full_count(void);

/* Explicit transactions for multi-statement changes. begin locks the
 * store's mutex until commit/rollback (calls in between reenter it); both
 * release it whatever they return. A commit that fails rolls back and
 * returns why; rollback returns 0 or -errno. */
STORE_WRITE int store_begin(struct store *s);
STORE_WRITE int store_commit(struct store *s);
STORE_WRITE int store_rollback(struct store *s);

/* Caps the connection's page cache at kib KiB (SQLite's default: 2 MiB
 * per connection). 0 or -errno. */
int store_cache_limit(struct store *s, int kib);

/* "ok" or the first problem PRAGMA integrity_check reports (caller frees). */
char *store_integrity(struct store *s);

/* ---- kernels ---- */
struct kernel_row {
	int64_t id;
	char *name;
	enum run_state state;
	char *status;     /* the whole status line, its state's word first */
	int64_t created_ns;
	int64_t status_ns;
};
void kernel_row_clear(struct kernel_row *k);

/* 0 and the new id, -EEXIST, or -errno. */
STORE_WRITE int store_kernel_create(struct store *s, const char *name, int64_t *id);
/* Deletes the kernel and everything it owns. */
STORE_WRITE int store_kernel_delete(struct store *s, int64_t id);
/* -EEXIST when to is taken. */
STORE_WRITE int store_kernel_rename(struct store *s, int64_t id, const char *to);
STORE_WRITE int store_kernel_set_status(struct store *s, int64_t id, enum run_state state,
                                        const char *status, int64_t ts);
/* All kernels (not the menus pseudo-kernel), by name. Caller frees with
 * kernel_rows_free. */
int store_kernel_list(struct store *s, struct kernel_row **rows, int *n);
int store_kernel_get(struct store *s, int64_t id, struct kernel_row *k);
void kernel_rows_free(struct kernel_row *rows, int n);

/* ---- user files ---- */
struct file_row {
	int64_t id;
	int64_t kernel_id;
	char *name;
	char *data;       /* NULL unless asked for; NUL-terminated */
	size_t size;
	int mode;
	int64_t mtime_ns;
	int64_t ctime_ns;
};
void file_row_clear(struct file_row *f);
void file_rows_free(struct file_row *rows, int n);

/* Looks up a file by name; with_data loads its content. -ENOENT if none. */
int store_file_get(struct store *s, int64_t kid, const char *name, bool with_data,
                   struct file_row *f);
int store_file_get_id(struct store *s, int64_t fid, bool with_data, struct file_row *f);
/* Files of a kernel by name, without data unless with_data. */
int store_file_list(struct store *s, int64_t kid, bool with_data,
                    struct file_row **rows, int *n);
/* Creates an empty file (or returns the existing one's id); 0 or -errno. */
STORE_WRITE int store_file_create(struct store *s, int64_t kid, const char *name, int mode,
                      int64_t *fid);
/* Replaces a file's content by id; -ENOENT if it was deleted meanwhile. */
STORE_WRITE int store_file_write(struct store *s, int64_t fid, const void *data, size_t len,
                     int64_t mtime_ns);
/* Creates or replaces by name (used by the engine and for menus). */
STORE_WRITE int store_file_put(struct store *s, int64_t kid, const char *name, const void *data,
                   size_t len, int mode, int64_t mtime_ns);
STORE_WRITE int store_file_truncate(struct store *s, int64_t fid, size_t len, int64_t mtime_ns);
STORE_WRITE int store_file_set_mode(struct store *s, int64_t fid, int mode);
STORE_WRITE int store_file_set_times(struct store *s, int64_t fid, int64_t mtime_ns);
STORE_WRITE int store_file_unlink(struct store *s, int64_t kid, const char *name);
/* Renames within a kernel, replacing the destination. */
STORE_WRITE int store_file_rename(struct store *s, int64_t kid, const char *from, const char *to);

/* ---- runs ---- */
struct run_row {
	int64_t id;
	int64_t kernel_id;
	enum run_state state; /* never RS_WAITING */
	char *target;
	char *input_name;
	char *input;          /* the original input (candidate 0 and the reference) */
	char *config;         /* config.json text at start */
	int64_t best;         /* best candidate number, -1 before the baseline */
	int64_t best_ns;      /* when best last changed */
	int64_t created_ns;
	int64_t finished_ns;
	int iteration;        /* search progress: the last iteration finished */
	long tokens;          /* LLM tokens spent */
	char *verdict;        /* JSON: the final interleaved comparison ("" before) */
};
void run_row_clear(struct run_row *r);

STORE_WRITE int store_run_create(struct store *s, int64_t kid, const char *target,
                     const char *input_name, const char *input, const char *config,
                     const struct ac_file *files, size_t nfiles, int64_t *rid);
/* The kernel's latest run; -ENOENT if it never ran. */
int store_run_latest(struct store *s, int64_t kid, struct run_row *r);
int store_run_get(struct store *s, int64_t rid, struct run_row *r);
STORE_WRITE int store_run_set_state(struct store *s, int64_t rid, enum run_state state,
                                    bool finished);
STORE_WRITE int store_run_set_best(struct store *s, int64_t rid, int64_t num, int64_t ts);
/* Records the last iteration the search finished and the tokens spent. */
STORE_WRITE int store_run_set_progress(struct store *s, int64_t rid, int iteration, long tokens);
/* Stores the run's final comparison (a JSON object). */
STORE_WRITE int store_run_set_verdict(struct store *s, int64_t rid, const char *json);
/* Ids of the runs that were not finished: each kernel's latest run, when
 * it has no finish time and its state is not final (run_state_final), for
 * resuming after a restart. */
int store_runs_unfinished(struct store *s, int64_t **rids, int *n);
/* Adds (or replaces) a file of the run: a harness the engine wrote for it
 * goes into every build of the run, and stays with it when it resumes. */
STORE_WRITE int store_run_file_put(struct store *s, int64_t rid, const char *name,
                                   const void *data, size_t len);
/* The files the run was started with (harness and extras), data loaded. */
int store_run_files(struct store *s, int64_t rid, struct file_row **rows, int *n);

/* ---- candidates ---- */
struct cand_row {
	int64_t run_id;
	int64_t num;
	int64_t parent;       /* -1 for the input */
	int iteration;
	enum cand_origin origin;
	char *plan;           /* the plan text (or what the tuner changed) */
	char *option;         /* menu option the plan chose */
	char *model;
	char *source;
	size_t source_len;
	enum ac_outcome outcome;  /* AC_PENDING until evaluated */
	int64_t time_ns;
	int samples;
	double spread;
	char *message;
	char *log;
	size_t log_len;
	char *plan_prompt;
	char *code_prompt;
	long tokens;
	int beam_iteration;   /* the last iteration whose beam kept it, 0: never */
	int64_t created_ns;
	int64_t evaluated_ns;
	char *slot;           /* the search slot it fills ("i2/p5/plan1/impl0"), "" if none */
	int64_t retime_ns;    /* finalists: the re-measured median, 0 if not re-timed */
	long reasoning_tokens; /* of tokens, spent reasoning by the implementing call */
	char *verdict;        /* JSON: how the verdict was reached ("" before) */
	char *code_hash;      /* the normalized code's hash (engine/core/codehash.h), "" if none */
	int64_t same_as;      /* the earlier candidate whose result this duplicate reused;
	                         -1: none (the store's default; a row made by hand sets it) */
	int64_t parent2;      /* a combined candidate's second parent (never the input); 0: none */
	char *metrics;        /* JSON object of the harness's hardware figures, "" if none */
	char *job;            /* the scheduler's job id of its timed run, "" if local */
	char *node;           /* the node it ran on, "" if local */
};
void cand_row_clear(struct cand_row *c);

void cand_rows_free(struct cand_row *rows, int n);

/* Adds a candidate; c->num < 0 assigns the next number. Returns 0 and the
 * number in c->num. */
STORE_WRITE int store_cand_add(struct store *s, struct cand_row *c);
STORE_WRITE int store_cand_set_result(struct store *s, int64_t rid, int64_t num,
                          const struct ac_result *r, int64_t ts);
/* Stores a duplicate's result: r (copied from candidate same_as, which
 * was not built or timed again) and same_as, in one statement, so a
 * resumed run sees either a pending candidate or a settled duplicate.
 * store_cand_set_result is this with same_as -1. */
STORE_WRITE int store_cand_set_dup(struct store *s, int64_t rid, int64_t num, int64_t same_as,
                       const struct ac_result *r, int64_t ts);
/* The candidates before `before` whose code has hash, by number, as
 * store_cand_list gives them (which one a duplicate may reuse is the
 * engine's rule: cand_reusable). An empty hash has none. */
int store_cand_by_hash(struct store *s, int64_t rid, const char *hash, int64_t before,
                       struct cand_row **rows, int *n);
/* Records the code hash of a candidate added without one (the input). */
STORE_WRITE int store_cand_set_hash(struct store *s, int64_t rid, int64_t num, const char *hash);
/* Records that the beam chosen at the end of iteration kept candidate num. */
STORE_WRITE int store_cand_set_beam(struct store *s, int64_t rid, int64_t num, int iteration);
/* One candidate with everything (source, log, prompts). */
int store_cand_get(struct store *s, int64_t rid, int64_t num, struct cand_row *c);
/* All candidates of a run, without source/log/prompts text but with their
 * lengths, by number. */
int store_cand_list(struct store *s, int64_t rid, struct cand_row **rows, int *n);
/* Candidates of a run not evaluated yet. */
int store_cand_pending(struct store *s, int64_t rid, int64_t **nums, int *n);

/* Records a finalist's re-measured time. */
STORE_WRITE int store_cand_set_retime(struct store *s, int64_t rid, int64_t num, int64_t ns);
/* Stores how candidate num's verdict was reached (a JSON object: the
 * judge's figures, a re-check, the interleaved re-timing). */
STORE_WRITE int store_cand_set_verdict(struct store *s, int64_t rid, int64_t num, const char *json);
/* Records where candidate num's timed run happened (a Slurm job id and
 * node; "" or NULL for none). 0 or -errno. */
STORE_WRITE int store_cand_set_where(struct store *s, int64_t rid, int64_t num, const char *job,
                         const char *node);
/* The candidate that fills slot; -ENOENT if none yet. */
int store_cand_by_slot(struct store *s, int64_t rid, const char *slot, int64_t *num);

/* ---- LLM calls: each stored once, so a resumed run never asks twice ---- */
struct llm_call_row {
	int64_t run_id;
	char *slot;
	char *model;
	char *prompt;
	char *reply;
	char *reasoning;
	char *error;          /* "" on success */
	int truncated;
	long prompt_tokens;
	long completion_tokens;  /* reasoning included */
	int attempts;
	int64_t wall_ns;
	long reasoning_tokens;   /* of completion_tokens, spent reasoning */
	double cost;             /* US dollars at the prices known when it was made */
};
void llm_call_row_clear(struct llm_call_row *c);
STORE_WRITE int store_call_put(struct store *s, const struct llm_call_row *c);
/* -ENOENT when the slot was never asked. */
int store_call_get(struct store *s, int64_t rid, const char *slot, struct llm_call_row *c);
/* The run's calls, tokens, wall time and (reasoning may be NULL) reasoning tokens. */
int store_call_totals(struct store *s, int64_t rid, long *calls, long *tokens, int64_t *wall_ns,
                      long *reasoning);

/* The dollars the calls of run rid cost; rid < 0: of every run in the store. */
int store_call_cost(struct store *s, int64_t rid, double *cost);

/* ---- log ---- */
STORE_WRITE int store_log_add(struct store *s, int64_t kid, int64_t ts, const char *line);
/* Lines with id > after, oldest first; fn is called for each. */
int store_log_since(struct store *s, int64_t kid, int64_t after,
                    void (*fn)(void *arg, int64_t id, int64_t ts, const char *line),
                    void *arg);
/* store_log_since, at most limit lines (a page of a long log). */
int store_log_page(struct store *s, int64_t kid, int64_t after, int limit,
                   void (*fn)(void *arg, int64_t id, int64_t ts, const char *line),
                   void *arg);
/* The id of kernel kid's newest line (0: none) into *id. */
int store_log_last(struct store *s, int64_t kid, int64_t *id);

#endif
