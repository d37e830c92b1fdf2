/*
 * engine_int.h - the engine's memory, shared by the facade the mount calls
 * (engine.c, with its reads in view.c and its file writes in files.c) and
 * the scheduler that starts and reaps runs (sched.c).
 *
 * Internal to those files (and to tests that set a store up by hand).
 * Nothing a run does reaches this: a run sees its struct run_ctx and,
 * through it, the struct run_host (host.h).
 *
 * Calls run one way: engine.c, files.c and view.c may call sched.c;
 * sched.c calls none of them (what it shares with them is in this header,
 * and it tells of a change through the host, host.h).
 *
 * Locking: e->lock guards kernels[], every struct kernel's fields but
 * version, and e->stopping; e->wake wakes the scheduler. The store is the
 * truth; this keeps only what threads need to coordinate.
 */
#ifndef AC_ENGINE_INT_H
#define AC_ENGINE_INT_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "engine/engine.h"
#include "engine/core/host.h"
#include "engine/core/state.h"
#include "targets/target.h"

struct run_ctx;

struct kernel {
	int64_t id;
	char name[80];
	atomic_uint_fast64_t version;
	atomic_uint_fast64_t log_version;  /* its log only: a line added */
	int64_t due_mono_ns;        /* debounce deadline, 0 if nothing pending */
	int64_t resume_rid;         /* start this stored run instead of a new one */
	struct run_ctx *run;        /* the active run, NULL if none */
	struct engine *engine;      /* for the run's thread */
	pthread_t thread;
	atomic_bool thread_done;    /* the driver returned; join it */
	bool deleted;
};

struct engine {
	struct engine_opts opts;
	char state_dir[2048];
	char db_path[2048 + 32];     /* STATE/autocompfs.db */
	char scratch_dir[2048 + 16]; /* builds and runs happen under here */
	bool scratch_own;            /* scratch_dir is ours to remove at exit */
	int lock_fd;
	char **models;
	int64_t debounce_ns;
	struct run_host host;        /* what every run is lent (host.h) */

	pthread_mutex_t lock;        /* kernels[], k->run, k->due */
	pthread_cond_t wake;
	struct kernel **kernels;
	int nkernels;
	atomic_uint_fast64_t version;
	pthread_mutex_t change_lock; /* with change_cond: engine_wait_change */
	pthread_cond_t change_cond;
	bool woken;                  /* engine_wake since the last wait */

	/* One reader connection per thread that reads (engine_reader): the
	 * key finds the calling thread's, the list lets engine_free close
	 * them all. */
	pthread_key_t reader_key;
	bool reader_key_made;
	pthread_mutex_t readers_lock;
	struct reader *readers;

	pthread_t scheduler;
	bool started;
	bool stopping;

	char state_id[20];           /* this state directory's identity (STATE/id) */
	char incarnation[12];        /* this daemon's, among those of the state dir */

	pthread_mutex_t targets_lock;
	char *targets_text;
	pthread_t prober;
	bool prober_started;
};

/* The read connection of the calling thread (each thread that reads has
 * its own, opened on its first call and closed when it exits or with the
 * engine; if one cannot be opened, a shared one), and the write
 * connection. Not owned by the caller. */
struct store *engine_reader(struct engine *e);
struct store *engine_writer(struct engine *e);

/* Marks a kernel (and the global state) changed; kid -1: only the global
 * state. Every write the mount asks for does this itself. */
void engine_touch(struct engine *e, int64_t kid);
/* Marks a kernel's log grown (and the global state changed). */
void engine_touch_log(struct engine *e, int64_t kid);

/* The live kernel with this id, or NULL. Call with e->lock held. */
static inline struct kernel *kernel_find(struct engine *e, int64_t kid)
{
	for (int i = 0; i < e->nkernels; i++)
		if (!e->kernels[i]->deleted && e->kernels[i]->id == kid)
			return e->kernels[i];
	return NULL;
}

/* sched.c: starts the scheduler thread after marking the runs a previous
 * daemon left unfinished for resumption; stops it and joins every run
 * (their stored state unchanged). */
int sched_start(struct engine *e);
void sched_stop(struct engine *e);

/* The target a kernel's files imply when config.json names neither a
 * target nor an input: cpu for input.c, else the target whose input file
 * is there (input.cu: cuda, input.cl: opencl), else cpu. */
const struct ac_target *sched_implied_target(const struct file_row *files, int n);

/* A file that can complete a kernel was stored: when the kernel now has
 * what a run needs and nothing runs, its status says "queued" at once
 * (the run itself starts after the debounce); while it still waits, the
 * waiting line names what is missing now. */
void sched_note_written(struct engine *e, int64_t kid);

/* Asks kernel k's active run to stop for reason (enum run_cancel). Call
 * with e->lock held; the scheduler joins it. */
void sched_cancel_locked(struct kernel *k, int reason);

#endif
