/*
 * host.h - what the engine lends every run: the store connections, the
 * LLM client, the build and timing slots, the daemon's totals, and a way
 * to say that a kernel changed.
 *
 * Internal to engine/. The engine (engine.c) owns one struct run_host,
 * made in engine_open and freed in engine_free, and it outlives every run.
 * The driver, the strategies (search.c, tune.c) and the services they use
 * (run.c, reuse.c, menubuild.c) reach the engine only through it, so
 * nothing below the facade includes engine.h: dependencies run one way,
 * fs -> engine facade -> scheduler -> driver -> strategies -> run ->
 * store, targets.
 */
#ifndef AC_HOST_H
#define AC_HOST_H

#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "engine/core/state.h"
#include "targets/exec/executor.h"

struct llm_client;
struct sigcache;
struct store;

/* A count of timed runs that may go at once to one executor. */
struct slot_pool {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	int busy;
	int total;                   /* >= 1 */
	bool fixed;                  /* given by the mount (slots=N) */
	bool used;                   /* some run went through it */
	int64_t checked_ns;          /* when total was last asked of the executor */
	atomic_int waiting;
	char where[256];             /* the last probe's words ("2 nodes up in
	                                partition debug"), under lock */
};

/* How often a pool without a fixed size asks how many nodes are up. */
#define SLOTS_REFRESH_NS (30 * (int64_t)1000000000)

/* How long a run paused by a full disk waits before it tries again. */
#define NOSPACE_RETRY_NS (5 * (int64_t)1000000000)

struct run_host {
	struct store *writer;        /* engine threads write through this one */
	struct store *reader;        /* the mount reads through this one */
	struct llm_client *llm;
	char *const *models;         /* mount-wide models (NULL-terminated) or NULL */
	const char *state_dir;
	const char *scratch_dir;     /* builds and runs happen under here */
	const char *state_id;        /* STATE/id: a cluster job's name carries it */
	const char *incarnation;     /* this daemon's, among those of the state dir */
	/* the mount-wide defaults of config.json's model settings (-o) */
	const char *reasoning_effort;
	int thinking_budget;
	int max_output_tokens;

	pthread_mutex_t build_lock;  /* build slots */
	pthread_cond_t build_cond;
	int builds_free;
	int build_jobs;              /* >= 1 */
	atomic_int builds_waiting;
	pthread_mutex_t timing_lock; /* local timed runs one at a time */
	int cores;                   /* cores a timed run has by default (-o cores=) */
	int nice;                    /* the daemon's nice value when it started */
	bool renice;                 /* builds may run 10 lower and return to nice */
	int reserved;                /* under build_lock: the cores (the last ones) a local
	                                timed run holds or waits for; builds keep off them */
	int *builds_on;              /* under build_lock: running builds by the highest core
	                                they may use */
	atomic_int timing_waiting;
	const struct ac_executor *executor; /* the mount's default */
	struct sigcache *sigs;       /* each kernel's input's signature, once a run
	                                learned it (sigcache.h); NULL: none kept */
	struct slot_pool slurm;      /* Slurm timed runs at once */

	atomic_long tokens;
	atomic_long reasoning_tokens;
	atomic_llong cost_microdollars; /* spent by this daemon's calls (any price known) */
	atomic_long evaluated;
	atomic_llong full_mono_ns;   /* when a run last paused on a full disk */

	/* The engine's side: a kernel changed (the mount's caches), and the
	 * `targets` text (a new string, caller frees). */
	void (*touch)(void *arg, int64_t kid);
	void (*touch_log)(void *arg, int64_t kid);   /* its log only grew */
	char *(*targets_text)(void *arg);
	void *arg;
};

/* Initializes the locks and counters; build_jobs <= 0: online CPUs. */
void host_init(struct run_host *h, int build_jobs, int slots);

/* Destroys what host_init made (the stores and the client are the engine's). */
void host_destroy(struct run_host *h);

/* Marks kernel kid (and the global state) changed. */
void host_touch(struct run_host *h, int64_t kid);

/* Appends a line to kernel kid's log (STORE_MENUS_KERNEL: the menus' own
 * log; kid < 0: the daemon's stderr). */
void host_log(struct run_host *h, int64_t kid, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void host_vlog(struct run_host *h, int64_t kid, const char *fmt, va_list ap)
	__attribute__((format(printf, 3, 0)));

/* Sets kernel kid's status line (state its first word) and, when log is
 * true, appends it to the kernel's log too. */
void host_set_status(struct run_host *h, int64_t kid, enum run_state state, const char *line,
                     bool log);

/* For a store write the caller cannot do more about than say it failed
 * (a log or status line, a mark): a full disk is counted by the store and
 * pauses the runs (run_cancelled); any other failure is said on the
 * daemon's stderr with what was lost. Returns err. */
int host_stored(int err, const char *what);

/* Adds to the daemon's totals (root status). */
void host_add_tokens(struct run_host *h, long n);
void host_add_reasoning_tokens(struct run_host *h, long n);
void host_add_cost(struct run_host *h, double dollars);

/* Takes and gives back a build slot; the calling thread keeps off the
 * cores timed runs are pinned to meanwhile: the last one, or the last N a
 * run of N cores holds (with no core left, the build waits for the run). */
void host_build_acquire(struct run_host *h);
void host_build_release(struct run_host *h);

/* A local timed run of cores cores (> 1) takes the last cores cores from
 * the builds: new builds keep off them, and this waits until the builds
 * already running there have finished. host_cores_release gives them
 * back. Call with the timing lock held (one timed run at a time). */
void host_cores_reserve(struct run_host *h, int cores);
void host_cores_release(struct run_host *h);

/* The cores this machine lets a local timed run have (the online CPUs). */
int host_cores_max(void);

#endif
